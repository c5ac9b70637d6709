# test_funcs.py: the functions test.py calls, small enough to read in a
# trace. Every kind of event smiley records happens somewhere in here: a
# call with arguments, line events with changing locals, a generator that
# yields and resumes, a caught exception, a return value that is a
# nested container holding HTML (viewers must escape it).

import sys


# gen() yields, so a trace shows yield and resume events between the
# caller's line events rather than one call and one return.
def gen(m):
    # Counting down would work too; counting up keeps the output obvious.
    for i in range(m):
        yield i


# c() consumes the generator and returns a list, a local that changes on
# every line of the loop.
def c(input):
    print('input =', input)
    data = list(gen(input))
    print('Leaving c()')
    return data


def b(arg):
    # A local that is a string, then an int, then a list.
    val = arg * 5
    print('val =', val)
    result = c(val)
    print('result =', result)
    return result


def raises_and_catches():
    # The exception event is recorded where it is raised; the handler
    # keeps the program going, so the frame still returns normally.
    try:
        raise ValueError('this is caught')
    except ValueError as err:
        message = str(err)
    return message


def nested_data():
    # A value with markup in it: the console shows it verbatim, web views
    # must escape it.
    data = {
        'level1': {
            'level2': [1, 2, ('tuple', 'of', 'strings')],
            'html': '<b>this text is an html snippet</b>',
        },
        'count': 3,
    }
    return data


def a():
    print('args:', sys.argv)
    b(2)
    caught = raises_and_catches()
    print('caught:', caught)
    data = nested_data()
    print('nested:', data)
    return data
