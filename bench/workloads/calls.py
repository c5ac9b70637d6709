# Call-heavy pure Python: small functions, recursion, methods and
# generators, so the cost measured is the per-call cost of tracing.
import sys


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


class Vector:
    def __init__(self, x, y):
        self.x = x
        self.y = y

    def add(self, other):
        return Vector(self.x + other.x, self.y + other.y)

    def norm2(self):
        return self.x * self.x + self.y * self.y


def walk(n):
    total = Vector(0, 0)
    for i in range(n):
        total = total.add(Vector(i % 7, i % 11))
    return total.norm2()


def numbers(n):
    for i in range(n):
        yield i * 2


def consume(n):
    return sum(x for x in numbers(n) if x % 3)


# Sized to run for about half a second under plain python3 here.
DEFAULT_SCALE = 40


def main(scale):
    print('fib', fib(22))
    print('walk', walk(40000 * scale))
    print('gen', consume(40000 * scale))


if __name__ == '__main__':
    main(int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SCALE)
