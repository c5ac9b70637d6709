import os
import signal


def before_kill():
    marker = 'about to be killed'
    return marker


print(before_kill(), flush=True)
os.kill(os.getpid(), signal.SIGKILL)
