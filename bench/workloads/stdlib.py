# Stdlib-heavy real code over real files: reads the standard library's
# own sources and runs json, difflib, textwrap and re over them. Most of
# the time is spent inside the standard library, which smiley does not
# trace by default.
import difflib
import json
import os
import re
import sys
import textwrap

LIBDIR = os.path.dirname(os.__file__)
FILES = ['textwrap.py', 'difflib.py', 'json/encoder.py', 'json/decoder.py', 'shlex.py',
         'fnmatch.py', 'string.py', 'bisect.py', 'heapq.py', 'colorsys.py']
WORD = re.compile(r'[A-Za-z_][A-Za-z0-9_]*')


def load(name):
    with open(os.path.join(LIBDIR, name), encoding='utf-8') as f:
        return f.read()


def summarize(text):
    words = WORD.findall(text)
    counts = {}
    for w in words:
        counts[w] = counts.get(w, 0) + 1
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:20]
    return {'lines': text.count('\n'), 'words': len(words), 'top': top}


# Sized to run for about half a second under plain python3 here.
DEFAULT_SCALE = 50


def main(scale):
    texts = [load(name) for name in FILES]
    report = {name: summarize(text) for name, text in zip(FILES, texts)}
    encoded = json.dumps(report, indent=2, sort_keys=True)
    decoded = json.loads(encoded)
    print('files', len(decoded), 'json bytes', len(encoded))
    wrapped = 0
    for text in texts[:4] * scale:
        wrapped += len(textwrap.wrap(text[:20000], 60))
    print('wrapped lines', wrapped)
    changes = 0
    for a, b in zip(texts[:3], texts[1:4]):
        for _ in range(scale):
            changes += sum(1 for line in difflib.unified_diff(a.splitlines()[:400], b.splitlines()[:400]))
    print('diff lines', changes)


if __name__ == '__main__':
    main(int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SCALE)
