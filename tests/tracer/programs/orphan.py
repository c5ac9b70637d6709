import os
import time


def child_work(n):
    total = 0
    for i in range(n):
        total += i
    return total


# The forked child outlives the program: its late events must not break
# the run the program's process ended.
pid = os.fork()
if pid == 0:
    time.sleep(0.3)
    child_work(1000)
    os._exit(0)
print('parent done', flush=True)
