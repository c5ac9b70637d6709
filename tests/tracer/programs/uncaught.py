def fail(n):
    if n == 0:
        raise KeyError('missing key')
    return fail(n - 1)


print('start')
fail(3)
