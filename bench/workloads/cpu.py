# CPU-bound pure Python: arithmetic loops with few calls (a sieve, a
# Mandelbrot set and a naive string scan), so the cost measured is the
# per-line cost of tracing.
import sys


def sieve(limit):
    flags = [True] * (limit + 1)
    flags[0] = flags[1] = False
    i = 2
    while i * i <= limit:
        if flags[i]:
            j = i * i
            while j <= limit:
                flags[j] = False
                j += i
        i += 1
    count = 0
    for f in flags:
        if f:
            count += 1
    return count


def mandelbrot(size, iterations):
    inside = 0
    for y in range(size):
        ci = 2.0 * y / size - 1.0
        for x in range(size):
            cr = 3.0 * x / size - 2.0
            zr = zi = 0.0
            n = 0
            while n < iterations and zr * zr + zi * zi < 4.0:
                zr, zi = zr * zr - zi * zi + cr, 2.0 * zr * zi + ci
                n += 1
            if n == iterations:
                inside += 1
    return inside


# Sized to run for about half a second under plain python3 here.
DEFAULT_SCALE = 6


def main(scale):
    print('primes', sieve(200000 * scale))
    print('inside', mandelbrot(60 * scale, 50))


if __name__ == '__main__':
    main(int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SCALE)
