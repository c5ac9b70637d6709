import sys
import threading


def worker(n, out):
    out.append(n * n)
    print('threads', sorted(t.name for t in threading.enumerate()),
          threading.active_count(), len(sys._current_frames()), flush=True)


out = []
print('main', sorted(t.name for t in threading.enumerate()),
      threading.active_count(), len(sys._current_frames()))
threads = [threading.Thread(target=worker, args=(i, out), name='worker-%d' % i)
           for i in range(3)]
for t in threads:
    t.start()
    t.join()
print('results', out)
