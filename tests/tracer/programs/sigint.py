import time

# Waits for a SIGINT from the test, which starts sending once it has read
# the first line; wherever the KeyboardInterrupt lands, the finally runs.
try:
    print('ready', flush=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        time.sleep(0.01)
finally:
    print('cleanup ran', flush=True)
