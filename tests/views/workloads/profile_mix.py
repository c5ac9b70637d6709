# profile_mix.py: a deterministic program for the profiler views' tests.
# Every call count is fixed, so a profile of it taken by cProfile and one
# taken by smiley must agree function by function. It has recursion
# (direct and mutual, so ncalls differ from primitive calls), a generator,
# a caught exception, builtins, a method and a lambda, and one function,
# hot_loop(), that takes most of the time.

import sys


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def is_even(n):
    return True if n == 0 else is_odd(n - 1)


def is_odd(n):
    return False if n == 0 else is_even(n - 1)


def squares(n):
    for i in range(n):
        yield i * i


def hot_loop(n):
    total = 0
    for i in range(n):
        total += i % 7
    return total


class Counter:
    def __init__(self):
        self.count = 0

    def add(self, value):
        self.count += value
        return self.count


def fails(x):
    raise ValueError('bad value %d' % x)


def catches():
    caught = 0
    for x in range(3):
        try:
            fails(x)
        except ValueError:
            caught += 1
    return caught


def main():
    counter = Counter()
    counter.add(fib(12))
    counter.add(sum(squares(50)))
    counter.add(len(sorted([3, 1, 2], key=lambda v: -v)))
    counter.add(1 if is_even(20) else 0)
    counter.add(catches())
    counter.add(hot_loop(int(sys.argv[1]) if len(sys.argv) > 1 else 300000))
    print('result', counter.count)


if __name__ == '__main__':
    main()
