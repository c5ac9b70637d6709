import atexit


def goodbye(who):
    print('goodbye', who)


atexit.register(goodbye, 'world')
print('main done')
