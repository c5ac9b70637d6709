#!/usr/bin/python3
"""smiley's profile statistics count calls exactly as cProfile does.

The program runs once under `python3 -m cProfile -o FILE` and once under
`smiley run --database DB`, whose statistics are exported with
`smiley stats export` to a file pstats reads. Compared: ncalls and
primitive calls of every function defined in the program's own files, and
every caller entry (to any function, built-ins included) from those files.

What is left out is what cProfile's own harness changes: it imports
optparse, runpy and friends before the program starts, so imports the
program makes cost different calls under it, and its exec()/disable()
calls appear in its table.
"""

import os
import pstats
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tracer_helpers import BENCH, PYTHON, SMILEY, TEST_APP  # noqa: E402


def normalize(stats, cwd):
    def key(k):
        if k[0] in ('~',) or k[0].startswith('<'):
            return k
        return (os.path.normpath(os.path.join(cwd, k[0])), k[1], k[2])

    out = {}
    for k, (cc, nc, tt, ct, callers) in stats.items():
        out[key(k)] = (nc, cc, {key(c): v[:2] for c, v in callers.items()})
    return out


class Profile(unittest.TestCase):
    maxDiff = None

    def profiles(self, args, cwd):
        with tempfile.TemporaryDirectory() as tmp:
            cprof = os.path.join(tmp, 'cprofile.pstats')
            subprocess.run([PYTHON, '-m', 'cProfile', '-o', cprof] + args, cwd=cwd,
                           capture_output=True, timeout=100, check=True)
            db = os.path.join(tmp, 'runs.db')
            proc = subprocess.run([SMILEY, 'run', '--profile-only', '--database', db] + args,
                                  cwd=cwd, capture_output=True, timeout=100)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            listing = subprocess.run([SMILEY, 'list', '--database', db, '--format', 'csv'],
                                     capture_output=True, timeout=30, check=True).stdout.decode()
            run_id = listing.splitlines()[1].split(',')[0]
            exported = os.path.join(tmp, 'smiley.pstats')
            subprocess.run([SMILEY, 'stats', 'export', '--database', db, run_id, exported],
                           capture_output=True, timeout=30, check=True)
            return (normalize(pstats.Stats(cprof).stats, cwd),
                    normalize(pstats.Stats(exported).stats, cwd))

    def compare(self, args, cwd, own_dir):
        theirs, ours = self.profiles(args, cwd)
        own = lambda k: k[0].startswith(own_dir + os.sep)  # noqa: E731
        own_functions = sorted({k for k in list(theirs) + list(ours) if own(k)})
        self.assertTrue(own_functions)
        for k in own_functions:
            self.assertIn(k, theirs, 'cProfile never saw %s' % (k,))
            self.assertIn(k, ours, 'smiley never saw %s' % (k,))
            self.assertEqual(theirs[k][:2], ours[k][:2], 'ncalls/primcalls of %s' % (k,))
        checked = 0
        for k in sorted(set(theirs) | set(ours), key=str):
            if k[0].startswith('<frozen importlib'):
                continue  # imports: see the module's docstring
            a = {c: v for c, v in theirs.get(k, (0, 0, {}))[2].items() if own(c)}
            b = {c: v for c, v in ours.get(k, (0, 0, {}))[2].items() if own(c)}
            self.assertEqual(a, b, 'calls from the program to %s' % (k,))
            checked += len(a)
        self.assertGreater(checked, 0)
        return theirs, ours

    def test_test_app(self):
        theirs, ours = self.compare(['test.py'], TEST_APP, TEST_APP)
        gen = [k for k in ours if k[2] == 'gen'][0]
        self.assertEqual(ours[gen][:2], (11, 11))
        self.assertIn(('~', 0, "<method 'append' of 'list' objects>"), theirs)

    def test_bench_workloads(self):
        workloads = os.path.join(BENCH, 'workloads')
        # Small sizes: the counts, not the time, are compared.
        for name, scale in (('cpu.py', '1'), ('calls.py', '2'), ('stdlib.py', '1')):
            with self.subTest(workload=name):
                theirs, ours = self.compare([name, scale], workloads, workloads)
                if name == 'calls.py':
                    fib = [k for k in ours if k[2] == 'fib'][0]
                    self.assertEqual(ours[fib][:2], theirs[fib][:2])
                    self.assertGreater(ours[fib][0], ours[fib][1])  # recursion


if __name__ == '__main__':
    unittest.main()
