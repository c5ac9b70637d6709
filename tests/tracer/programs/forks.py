import multiprocessing
import os


def square(n):
    return n * n


def in_child():
    value = 'child says hi'
    print(value, flush=True)
    return value


if __name__ == '__main__':
    pid = os.fork()
    if pid == 0:
        in_child()
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    print('child status', os.waitstatus_to_exitcode(status))
    ctx = multiprocessing.get_context('fork')
    with ctx.Pool(2) as pool:
        print('squares', pool.map(square, range(5)))
