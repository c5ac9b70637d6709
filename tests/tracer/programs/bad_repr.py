class Raises:
    def __repr__(self):
        raise ValueError('no repr for you')


class Recurses:
    def __repr__(self):
        return repr(self)


def use(value):
    kept = value
    return kept


print(use(1) is not None)
r = Raises()
use(r)
use(Recurses())
try:
    repr(r)
except ValueError as err:
    print('program still sees', err)
big = list(range(100000))
use(big)
use('x' * 100000)
print('done')
