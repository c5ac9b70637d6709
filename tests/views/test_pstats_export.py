# test_pstats_export.py: the pstats export is the profile cProfile took,
# as pstats reads it back: same functions, call counts, primitive calls,
# times and callers; `python3 -m pstats FILE` opens it too.
#
#   python3 test_pstats_export.py VIEWS_RENDER

import os
import pstats
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.environ.get('SMILEY_SOURCE_ROOT', os.path.dirname(os.path.dirname(HERE)))
VIEWS_RENDER = sys.argv.pop(1) if len(sys.argv) > 1 else None

WORKLOADS = [
    (os.path.join(HERE, 'workloads', 'profile_mix.py'), ['20000']),
    (os.path.join(HERE, 'workloads', 'threads_mix.py'), []),
    (os.path.join(SOURCE_ROOT, 'test_app', 'test.py'), []),
]


def render(tmp, workload, args, view, output, *options):
    data = os.path.join(tmp, 'profile.json')
    reference = os.path.join(tmp, 'reference.prof')
    subprocess.run([sys.executable, os.path.join(HERE, 'profile_to_json.py'), data, reference,
                    workload] + args, check=True, cwd=tmp)
    subprocess.run([VIEWS_RENDER, data, view, output] + list(options), check=True)
    return reference


class PstatsExport(unittest.TestCase):
    def assert_same_profile(self, exported, reference):
        ours = pstats.Stats(exported)
        theirs = pstats.Stats(reference)
        self.assertEqual(set(ours.stats), set(theirs.stats))
        self.assertEqual(ours.total_calls, theirs.total_calls)
        self.assertEqual(ours.prim_calls, theirs.prim_calls)
        for func, (cc, nc, tt, ct, callers) in theirs.stats.items():
            our_cc, our_nc, our_tt, our_ct, our_callers = ours.stats[func]
            self.assertEqual((our_cc, our_nc), (cc, nc), func)
            # the store keeps nanoseconds: 1 ns of rounding at most
            self.assertAlmostEqual(our_tt, tt, delta=1e-9)
            self.assertAlmostEqual(our_ct, ct, delta=1e-9)
            self.assertEqual(set(our_callers), set(callers), func)
            for caller, value in callers.items():
                self.assertEqual(our_callers[caller][:2], value[:2], (func, caller))
                self.assertAlmostEqual(our_callers[caller][2], value[2], delta=1e-9)
                self.assertAlmostEqual(our_callers[caller][3], value[3], delta=1e-9)

    def test_round_trip(self):
        for workload, args in WORKLOADS:
            with self.subTest(workload=os.path.basename(workload)), \
                    tempfile.TemporaryDirectory() as tmp:
                exported = os.path.join(tmp, 'exported.pstats')
                reference = render(tmp, workload, args, 'pstats', exported)
                self.assert_same_profile(exported, reference)

    def test_recursion_counts(self):
        with tempfile.TemporaryDirectory() as tmp:
            exported = os.path.join(tmp, 'exported.pstats')
            render(tmp, WORKLOADS[0][0], ['1000'], 'pstats', exported)
            stats = pstats.Stats(exported).stats
            fib = [v for k, v in stats.items() if k[2] == 'fib']
            self.assertEqual(len(fib), 1)
            cc, nc = fib[0][:2]
            # fib(12) makes 465 calls, one of them from outside
            self.assertEqual((cc, nc), (1, 465))
            builtins = [k for k in stats if k[0] == '~' and k[1] == 0]
            self.assertIn('<built-in method builtins.sorted>', [k[2] for k in builtins])

    def test_pstats_browser_opens_it(self):
        with tempfile.TemporaryDirectory() as tmp:
            exported = os.path.join(tmp, 'exported.pstats')
            render(tmp, WORKLOADS[0][0], ['1000'], 'pstats', exported)
            result = subprocess.run([sys.executable, '-m', 'pstats', exported],
                                    input='sort cumtime\nstats 5\nquit\n',
                                    capture_output=True, text=True, check=True)
            self.assertIn('function calls (', result.stdout)
            self.assertIn('profile_mix.py:58(main)', result.stdout)

    def test_stats_table_matches(self):
        # the table of `smiley stats show` on the same profile: the header
        # counts are pstats' own
        with tempfile.TemporaryDirectory() as tmp:
            table = os.path.join(tmp, 'table.txt')
            reference = render(tmp, WORKLOADS[0][0], ['1000'], 'stats', table, 'width=0')
            theirs = pstats.Stats(reference)
            with open(table) as f:
                text = f.read()
            self.assertIn('%d function calls (%d primitive calls) in %.3f seconds'
                          % (theirs.total_calls, theirs.prim_calls, theirs.total_tt), text)
            self.assertIn('  465/1  ', text)


if __name__ == '__main__':
    unittest.main()
