# profile_to_json.py: profile a program with `python3 -m cProfile -o` and
# write its statistics in the JSON the views' tests load into a store
# (see views-test-input.c), so the views can be checked against exactly
# what cProfile measured.
#
#   python3 profile_to_json.py OUT.json REF.prof PROGRAM.py [ARGS...]
#
# REF.prof is cProfile's own pstats file of the same run.

import json
import os
import pstats
import subprocess
import sys


def stats_to_json(stats):
    # pstats' dict: {(file, line, func): (cc, nc, tt, ct, callers)} with
    # callers {(file, line, func): (nc, cc, tt, ct)}
    keys = list(stats.keys())
    index = {key: i for i, key in enumerate(keys)}
    entries = []
    for key in keys:
        cc, nc, tt, ct, callers = stats[key]
        entries.append({
            'file': key[0],
            'line': key[1],
            'function': key[2],
            'ncalls': nc,
            'primcalls': cc,
            'tottime_ns': round(tt * 1e9),
            'cumtime_ns': round(ct * 1e9),
            'callers': [
                {
                    'caller': index[caller],
                    'ncalls': value[0],
                    'primcalls': value[1],
                    'tottime_ns': round(value[2] * 1e9),
                    'cumtime_ns': round(value[3] * 1e9),
                }
                for caller, value in callers.items()
            ],
        })
    return {'entries': entries}


def main():
    out, ref, program = sys.argv[1:4]
    subprocess.run([sys.executable, '-m', 'cProfile', '-o', ref, program] + sys.argv[4:],
                   check=True, stdout=subprocess.DEVNULL)
    stats = pstats.Stats(ref).stats
    document = {
        'run': {
            'id': '5eed0f1e0000000000000000000000000001',
            'description': os.path.basename(program),
            'pid': os.getpid(),
            'threads': [{'id': 1, 'pid': os.getpid(), 'native_id': os.getpid(),
                         'name': 'MainThread'}],
        },
        'stats': stats_to_json(stats),
    }
    with open(out, 'w') as f:
        json.dump(document, f)


if __name__ == '__main__':
    main()
