import json
import textwrap


# Calls into the standard library, which is not traced unless asked.
def main():
    data = json.dumps({'words': textwrap.wrap('a few words to wrap', 8)})
    print(data)


main()
