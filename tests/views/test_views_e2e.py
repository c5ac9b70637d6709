# test_views_e2e.py: the profiler and export commands of the real smiley
# binary on real programs traced with `smiley run --local`:
#
#   smiley stats export   — pstats reads it; the program's own functions
#                           have the call counts `python3 -m cProfile` gives
#   smiley stats show     — the table, its sorts, limits, callers, callees
#   smiley stats graph    — SVG that parses and names the hot function
#   smiley export         — Chrome trace that validates and nests; JSON lines
#   bad input             — one-line errors and a non-zero exit
#
#   python3 test_views_e2e.py

import glob
import json
import os
import pstats
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.environ.get('SMILEY_SOURCE_ROOT', os.path.dirname(os.path.dirname(HERE)))
BUILD_ROOT = os.environ.get('SMILEY_BUILD_ROOT', os.path.join(SOURCE_ROOT, 'build'))
SMILEY = os.path.join(BUILD_ROOT, 'smiley')
PYTHON = os.environ.get('SMILEY_PYTHON', '/usr/bin/python3')
SVG = '{http://www.w3.org/2000/svg}'
# built without graphviz (-Dcallgraph=disabled), there is no stats graph
HAVE_CALLGRAPH = os.path.exists(os.path.join(BUILD_ROOT, 'plugins', 'callgraph',
                                             'smiley-callgraph.so'))

sys.path.insert(0, HERE)
import chrome_trace_check  # noqa: E402

PROFILE_MIX = os.path.join(HERE, 'workloads', 'profile_mix.py')
THREADS_MIX = os.path.join(HERE, 'workloads', 'threads_mix.py')
TEST_APP = os.path.join(SOURCE_ROOT, 'test_app', 'test.py')

# Programs whose profile must match cProfile's: single-threaded (cProfile
# only sees the main thread), deterministic in their calls.
CPROFILE_WORKLOADS = [
    (PROFILE_MIX, ['20000']),
    (TEST_APP, []),
]
# The benchmark workloads (bench/workloads/*.py SCALE), at the smallest
# scale: a second or two each under smiley.
for bench in sorted(glob.glob(os.path.join(SOURCE_ROOT, 'bench', 'workloads', '*.py'))):
    CPROFILE_WORKLOADS.append((bench, ['1']))

# cProfile's own doing, not the program's
CPROFILE_ARTIFACTS = {
    ('~', 0, '<built-in method builtins.exec>'),
    ('~', 0, "<method 'disable' of '_lsprof.Profiler' objects>"),
}


def smiley(*args, check=True, cwd=None):
    result = subprocess.run([SMILEY] + list(args), capture_output=True, text=True, cwd=cwd)
    if check and result.returncode != 0:
        raise AssertionError('smiley %s failed (%d): %s' % (' '.join(args), result.returncode,
                                                           result.stderr))
    return result


def record(tmp, name, program, args):
    """Runs @program under smiley into its own database; returns (db, run id)."""
    db = os.path.join(tmp, name + '.db')
    run = subprocess.run([SMILEY, 'run', '--local', '--database', db, program] + args,
                         capture_output=True, text=True, cwd=tmp)
    runs = json.loads(smiley('list', '--format', 'json', '--database', db).stdout)
    assert len(runs) == 1, (run.stderr, runs)
    return db, runs[0]['id'], run


class ViewsEndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmpdir = tempfile.TemporaryDirectory()
        cls.tmp = cls.tmpdir.name
        # big enough for hot_loop() to take nearly all the time, even on a
        # loaded machine
        cls.mix_db, cls.mix_run, _ = record(cls.tmp, 'mix', PROFILE_MIX, ['200000'])

    @classmethod
    def tearDownClass(cls):
        cls.tmpdir.cleanup()

    def own_file(self, program, key):
        return key[0].startswith(os.path.dirname(os.path.abspath(program)) + os.sep)

    def assert_matches_cprofile(self, program, exported, reference):
        ours = pstats.Stats(exported).stats
        theirs = pstats.Stats(reference).stats
        own = {k for k in theirs if self.own_file(program, k)}
        self.assertTrue(own)
        # the program's own functions: the same set, call counts and callers
        self.assertEqual({k for k in ours if self.own_file(program, k)}, own)
        for func in own:
            self.assertEqual(ours[func][:2], theirs[func][:2], func)
            # calls from the program's own functions (builtins.exec calls
            # the main module under cProfile, not under smiley)
            our_callers = {c: v[:2] for c, v in ours[func][4].items() if c in own}
            their_callers = {c: v[:2] for c, v in theirs[func][4].items() if c in own}
            self.assertEqual(our_callers, their_callers, func)
        # the C functions they call: the same counts on those calls
        for func, value in theirs.items():
            if func in CPROFILE_ARTIFACTS or func[0] != '~':
                continue
            for caller, counts in value[4].items():
                if caller in own:
                    self.assertIn(func, ours)
                    self.assertEqual(ours[func][4].get(caller, (None, None))[:2], counts[:2],
                                     (func, caller))

    def test_pstats_export_matches_cprofile(self):
        for program, args in CPROFILE_WORKLOADS:
            with self.subTest(program=os.path.basename(program)), \
                    tempfile.TemporaryDirectory() as tmp:
                db, run, _ = record(tmp, 'w', program, args)
                exported = os.path.join(tmp, 'out.pstats')
                smiley('stats', 'export', run, exported, '--database', db)
                reference = os.path.join(tmp, 'reference.prof')
                subprocess.run([PYTHON, '-m', 'cProfile', '-o', reference, program] + args,
                               check=True, cwd=tmp, stdout=subprocess.DEVNULL)
                self.assert_matches_cprofile(program, exported, reference)
                # the pstats browser opens it
                browse = subprocess.run([PYTHON, '-m', 'pstats', exported],
                                        input='sort cumtime\nstats 3\nquit\n',
                                        capture_output=True, text=True, check=True)
                self.assertIn('function calls', browse.stdout)

    def test_stats_show(self):
        exported = os.path.join(self.tmp, 'show.pstats')
        smiley('stats', 'export', self.mix_run, exported, '--database', self.mix_db)
        stats = pstats.Stats(exported)
        text = smiley('stats', 'show', self.mix_run[:8], '--database', self.mix_db).stdout
        self.assertIn('%d function calls (%d primitive calls) in %.3f seconds'
                      % (stats.total_calls, stats.prim_calls, stats.total_tt), text)
        self.assertIn('   Ordered by: cumulative time\n', text)
        rows = text.split('percall  function')[1].splitlines()[1:]
        self.assertEqual(len(rows), len(stats.stats))
        # main() holds nearly all the time, hot_loop() most of it
        self.assertIn('main', rows[1])
        fib = [r for r in rows if ' fib ' in r]
        self.assertEqual(len(fib), 1)
        self.assertTrue(fib[0].lstrip().startswith('465/1 '), fib[0])

        text = smiley('stats', 'show', self.mix_run, '--sort', 'ncalls', '--limit', '2',
                      '--database', self.mix_db).stdout
        self.assertIn('List reduced from %d to 2 due to restriction <2>' % len(stats.stats), text)
        rows = text.split('percall  function')[1].splitlines()[1:]
        self.assertEqual(len(rows), 2)
        self.assertIn(' fib ', rows[0])

        text = smiley('stats', 'show', self.mix_run, '--callers', 'is_odd',
                      '--callees', 'catches', '--database', self.mix_db).stdout
        self.assertRegex(text, r'\nis_odd \(.*profile_mix\.py:19\) was called by:\n')
        callers = text.split('was called by:\n')[1].split('\n\n')[0]
        self.assertRegex(callers, r'\n +10(/1)? .* is_even ')
        callees = text.split(') called:\n')[1]
        self.assertRegex(callees, r'\n +3 .* fails ')

    @unittest.skipUnless(HAVE_CALLGRAPH, 'built without graphviz')
    def test_stats_graph(self):
        svg = os.path.join(self.tmp, 'graph.svg')
        # A node threshold well above the tiny functions' time share (about
        # 1 %, which varies with the machine's load) keeps this test stable.
        smiley('stats', 'graph', self.mix_run, '-o', svg, '--node-threshold', '5',
               '--database', self.mix_db)
        root = ET.parse(svg).getroot()
        self.assertEqual(root.tag, SVG + 'svg')
        nodes = {}
        for node in root.iter(SVG + 'g'):
            if node.get('class') == 'node':
                lines = [t.text for t in node.iter(SVG + 'text')]
                nodes[lines[0]] = (lines, node.find('.//' + SVG + 'polygon').get('fill'))
        self.assertIn('hot_loop', nodes)
        lines, fill = nodes['hot_loop']
        self.assertRegex(lines[1], r'^profile_mix\.py:28$')
        self.assertGreater(float(lines[2].split('%')[0]), 50.0)
        self.assertEqual(lines[3], '1×')
        # the hot end of the colour scale: more red than blue
        self.assertGreater(int(fill[1:3], 16), int(fill[5:7], 16))
        # the tiny functions fall under the node threshold
        self.assertNotIn('fails', nodes)

        dot = os.path.join(self.tmp, 'graph.dot')
        smiley('stats', 'graph', self.mix_run, '-o', dot, '--node-threshold', '0',
               '--edge-threshold', '0', '--database', self.mix_db)
        with open(dot) as f:
            text = f.read()
        self.assertTrue(text.startswith('digraph callgraph {'))
        self.assertIn('label="fails\\n', text)

    def test_chrome_export(self):
        for name, program, args in [('mix', PROFILE_MIX, ['2000']),
                                    ('threads', THREADS_MIX, []),
                                    ('app', TEST_APP, ['-t'])]:
            with self.subTest(program=name), tempfile.TemporaryDirectory() as tmp:
                db, run, _ = record(tmp, name, program, args)
                trace = os.path.join(tmp, 'trace.json')
                lines = os.path.join(tmp, 'events.jsonl')
                smiley('export', run, trace, '--format', 'chrome', '--database', db)
                smiley('export', run, lines, '--format', 'jsonl', '--database', db)
                with open(trace) as f:
                    document = json.load(f)
                complete = chrome_trace_check.check(document)
                with open(lines) as f:
                    events = [json.loads(line) for line in f]
                starts = [e for e in events if e['kind'] in ('call', 'resume', 'c_call')]
                self.assertEqual(len(complete), len(starts))
                self.assertEqual({e['name'] for e in complete}, {e['function'] for e in starts})
                self.assertFalse([e for e in complete if e['args'].get('unfinished')])
                self.assertEqual(document['otherData']['run_id'], run)
                thread_names = [e['args']['name'] for e in document['traceEvents']
                                if e['ph'] == 'M' and e['name'] == 'thread_name']
                self.assertEqual(len(thread_names), len({e['thread'] for e in events}))
                if name == 'threads':
                    self.assertEqual(sorted(thread_names),
                                     ['MainThread', 'worker-0', 'worker-1', 'worker-2'])

    def test_crashed_run(self):
        with tempfile.TemporaryDirectory() as tmp:
            program = os.path.join(tmp, 'dies.py')
            with open(program, 'w') as f:
                f.write('import os\n\ndef inner():\n    os._exit(3)\n\ndef outer():\n'
                        '    inner()\n\nouter()\n')
            db, run, result = record(tmp, 'dies', program, [])
            self.assertEqual(result.returncode, 3)
            for args in (['stats', 'show', run], ['stats', 'export', run, 'x.pstats'],
                         ['stats', 'graph', run, '-o', 'x.svg']):
                if args[1] == 'graph' and not HAVE_CALLGRAPH:
                    continue
                with self.subTest(command=args[:2]):
                    failed = smiley(*args, '--database', db, check=False, cwd=tmp)
                    self.assertNotEqual(failed.returncode, 0)
                    self.assertEqual(failed.stderr.count('\n'), 1, failed.stderr)
                    self.assertIn('run %s has no profile statistics (it is still running or the '
                                  'program died before writing them)' % run[:8], failed.stderr)
                    self.assertFalse(os.path.exists(os.path.join(tmp, args[-1])))
            # its events still export: the frames that never returned end
            # with the run's last event
            trace = os.path.join(tmp, 'trace.json')
            smiley('export', run, trace, '--database', db)
            with open(trace) as f:
                complete = chrome_trace_check.check(json.load(f))
            unfinished = {e['name'] for e in complete if e['args'].get('unfinished')}
            self.assertEqual(unfinished, {'<module>', 'outer', 'inner'})

    def test_bad_input(self):
        cases = [
            (['stats', 'show', 'f00dfeed'], "no run with id 'f00dfeed'"),
            (['stats', 'export', 'f00dfeed', os.path.join(self.tmp, 'x.pstats')], "no run with id"),
            (['stats', 'graph', 'f00dfeed', '-o', os.path.join(self.tmp, 'x.svg')], "no run with id"),
            (['export', 'f00dfeed', os.path.join(self.tmp, 'x.json')], "no run with id"),
            (['stats', 'export', self.mix_run, '/nonexistent-dir/x.pstats'], '/nonexistent-dir/x.pstats'),
            (['stats', 'graph', self.mix_run, '-o', '/nonexistent-dir/x.svg'], '/nonexistent-dir/x.svg'),
            (['export', self.mix_run, '/nonexistent-dir/x.json'], '/nonexistent-dir/x.json'),
            (['stats', 'show', self.mix_run, '--sort', 'speed'], "unknown sort order 'speed'"),
            (['stats', 'show', self.mix_run, '--callers', 'no_such_function'],
             "matches 'no_such_function'"),
            (['stats', 'graph', self.mix_run, '-o', os.path.join(self.tmp, 'x.gif'), '--format', 'gif'],
             "unknown call graph format 'gif'"),
        ]
        for args, message in cases:
            if args[:2] == ['stats', 'graph'] and not HAVE_CALLGRAPH:
                continue
            with self.subTest(args=args):
                result = smiley(*args, '--database', self.mix_db, check=False)
                self.assertNotEqual(result.returncode, 0)
                self.assertEqual(result.stderr.count('\n'), 1, result.stderr)
                self.assertIn(message, result.stderr)
                self.assertNotIn('Traceback', result.stderr)

    def test_not_a_database(self):
        garbage = os.path.join(self.tmp, 'garbage.db')
        with open(garbage, 'wb') as f:
            f.write(os.urandom(4096))
        result = smiley('stats', 'show', 'abc', '--database', garbage, check=False)
        self.assertNotEqual(result.returncode, 0)
        self.assertEqual(result.stderr.count('\n'), 1, result.stderr)
        self.assertIn('garbage.db', result.stderr)


if __name__ == '__main__':
    unittest.main()
