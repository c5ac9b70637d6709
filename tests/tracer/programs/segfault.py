import ctypes


def before_crash():
    marker = 'about to crash'
    return marker


print(before_crash(), flush=True)
ctypes.string_at(0)
