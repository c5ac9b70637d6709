# threads_mix.py: calls in several named threads, a generator consumed
# across calls, an exception that escapes a frame, for the trace export
# tests (every interval must nest within its thread).

import threading


def leaf(n):
    return sum(range(n))


def middle(n):
    return leaf(n) + leaf(n // 2)


def countdown(n):
    while n > 0:
        yield n
        n -= 1


def escapes():
    raise KeyError('escapes its frame')


def guarded():
    try:
        escapes()
    except KeyError:
        return 'caught'


def worker(k):
    total = 0
    for value in countdown(3):
        total += middle(value * 100 + k)
    return total, guarded()


def main():
    threads = [threading.Thread(target=worker, args=(k,), name='worker-%d' % k) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print('main done', worker(10))


if __name__ == '__main__':
    main()
