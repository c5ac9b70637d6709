# test.py: the sample program every smiley test and demo traces.
#
#   test.py        call a() once
#   test.py -t     call a() in three threads with their default names
#   test.py -e     call a(), then die of an uncaught RuntimeError

import sys
import threading

import test_funcs


def run_threads():
    # Default names (Thread-1 (a), ...) so a trace shows what threading
    # calls them; joined one by one so the output order is fixed.
    for _ in range(3):
        t = threading.Thread(target=test_funcs.a)
        t.start()
        t.join()


def main():
    if '-t' in sys.argv[1:]:
        run_threads()
    else:
        test_funcs.a()
    if '-e' in sys.argv[1:]:
        raise RuntimeError('test exception')


if __name__ == '__main__':
    main()
