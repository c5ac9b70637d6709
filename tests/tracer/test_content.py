#!/usr/bin/python3
"""What smiley run records: events, locals, threads, run ends, filters."""

import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tracer_helpers import PROGRAMS, SMILEY, TEST_APP  # noqa: E402


class Content(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def console(self, args, cwd=TEST_APP, options=(), env=None):
        out = os.path.join(self.tmp.name, 'console.txt')
        proc = subprocess.run([SMILEY, 'run', '--stats-summary', '--sink', 'console',
                               '--output', out] + list(options) + list(args),
                              cwd=cwd, capture_output=True, timeout=50, env=env,
                              stdin=subprocess.DEVNULL)
        with open(out, encoding='utf-8') as f:
            return proc, f.read()

    def assert_in_order(self, text, expected):
        pos = 0
        for item in expected:
            found = text.find(item, pos)
            self.assertNotEqual(found, -1, 'missing (in order): %r after offset %d' % (item, pos))
            pos = found + len(item)

    def assert_counts_match(self, proc):
        summary = [line for line in proc.stderr.decode().splitlines()
                   if line.startswith('smiley: ') and 'events emitted' in line]
        self.assertEqual(len(summary), 1, proc.stderr)
        words = summary[0].split()
        emitted, recorded = int(words[1]), int(words[4])
        self.assertGreater(emitted, 0)
        self.assertEqual(emitted, recorded, summary[0])
        return emitted

    def test_test_app_every_event_in_order(self):
        proc, text = self.console(['test.py'])
        self.assertEqual(proc.returncode, 0)
        self.assert_in_order(text, [
            "Starting new run: ['test.py']",
            'test.py:1: call>>> <module>',
            'test_funcs.py:59: call>>> a\n',
            "test_funcs.py:60:     print('args:', sys.argv)\n",
            'test_funcs.py:27: call>>> b\n    arg = 2\n',
            'test_funcs.py:29:     val = arg * 5\n',
            "test_funcs.py:30:     print('val =', val)\n    val = 10\n",
            'test_funcs.py:20: call>>> c\n    input = 10\n',
            'test_funcs.py:12: call>>> gen\n    m = 10\n',
            'test_funcs.py:15:         yield i\n    i = 0\n',
            'test_funcs.py:15: yield>>> 0\n',
            'test_funcs.py:15: resume>>> gen\n',
            'test_funcs.py:15: yield>>> 9\n',
            'test_funcs.py:14: return>>> None\n',
            '    data = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]\n',
            'test_funcs.py:24: return>>> [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]\n',
            '    result = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]\n',
            'test_funcs.py:36: call>>> raises_and_catches\n',
            "test_funcs.py:40:         raise ValueError('this is caught')\n",
            'test_funcs.py:40: exception>>> ValueError: this is caught\n',
            "    err = ValueError('this is caught')\n",
            "    message = 'this is caught'\n",
            "test_funcs.py:43: return>>> 'this is caught'\n",
            "    caught = 'this is caught'\n",
            'test_funcs.py:46: call>>> nested_data\n',
            "'html': '<b>this text is an html snippet</b>'",
            "test_funcs.py:66: return>>> {'level1': {'level2': [1, 2, ('tuple', 'of', 'strings')]",
            'test.py:32: return>>> None\n',
            'Finished run\n',
        ])
        # Modules, functions and dunder names are never locals.
        self.assertNotIn('    sys = ', text)
        self.assertNotIn('    a = <function', text)
        self.assertNotIn('    __name__', text)
        self.assertEqual(text.count('resume>>> gen'), 10)
        self.assertEqual(text.count('yield>>> '), 10)
        self.assert_counts_match(proc)

    def test_test_app_three_named_threads(self):
        proc, text = self.console(['test.py', '-t'])
        self.assertEqual(proc.returncode, 0)
        for n in (1, 2, 3):
            name = '[Thread-%d (a)] ' % n
            self.assert_in_order(text, [
                name + 'test_funcs.py:59: call>>> a\n',
                name + 'test_funcs.py:27: call>>> b\n',
                name + 'test_funcs.py:40: exception>>> ValueError: this is caught\n',
                name + "test_funcs.py:66: return>>> {'level1'",
            ])
        self.assertIn('[MainThread] test.py:19:         t.join()\n', text)
        self.assertNotIn('[Thread-4', text)
        self.assert_counts_match(proc)

    def test_test_app_uncaught_runtime_error(self):
        proc, text = self.console(['test.py', '-e'])
        self.assertEqual(proc.returncode, 1)
        self.assert_in_order(text, [
            "test.py:28:         raise RuntimeError('test exception')\n",
            'test.py:28: exception>>> RuntimeError: test exception\n',
            'test.py:32: exception>>> RuntimeError: test exception\n',
        ])
        self.assertTrue(text.endswith('Finished run: RuntimeError: test exception\n'), text[-200:])

    def test_events_before_os_exit(self):
        proc, text = self.console(['os_exit.py'], cwd=PROGRAMS)
        self.assertEqual(proc.returncode, 7)
        self.assert_in_order(text, [
            'os_exit.py:5: call>>> before_exit\n    n = 7\n',
            "    marker = 'last words 7'\n",
            "os_exit.py:7: return>>> 'last words 7'\n",
            'os_exit.py:12: os._exit(7)\n',
        ])
        self.assertTrue(text.endswith('Finished run: ended abnormally, exit status 7\n'), text[-200:])
        self.assert_counts_match(proc)

    def test_events_before_kill_9(self):
        proc, text = self.console(['kill9.py'], cwd=PROGRAMS)
        self.assertEqual(proc.returncode, 137)
        self.assert_in_order(text, [
            "kill9.py:7: return>>> 'about to be killed'\n",
            'kill9.py:11: os.kill(os.getpid(), signal.SIGKILL)\n',
        ])
        self.assertTrue(text.endswith('Finished run: killed by signal 9 (Killed)\n'), text[-200:])
        self.assert_counts_match(proc)

    def test_events_before_segfault(self):
        proc, text = self.console(['segfault.py'], cwd=PROGRAMS)
        self.assertEqual(proc.returncode, 139)
        self.assert_in_order(text, [
            "segfault.py:6: return>>> 'about to crash'\n",
            'segfault.py:10: ctypes.string_at(0)\n',
        ])
        self.assertIn('Finished run: killed by signal 11', text)
        self.assert_counts_match(proc)

    def test_forked_children_are_recorded(self):
        proc, text = self.console(['forks.py'], cwd=PROGRAMS)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        child = [line for line in text.splitlines() if 'call>>> in_child' in line]
        self.assertEqual(len(child), 1, text[-2000:])
        self.assertRegex(child[0], r'^\[MainThread \(pid \d+\)\] forks.py:9: call>>> in_child$')
        self.assertIn("forks.py:12: return>>> 'child says hi'", text)
        workers = [line for line in text.splitlines() if 'call>>> square' in line]
        self.assertEqual(len(workers), 5)
        for line in workers:
            self.assertIn('(pid ', line)
        for n in range(5):
            self.assertIn('forks.py:6: return>>> %d\n' % (n * n), text)
        # The program's own process goes on and ends the run.
        self.assertIn("[MainThread] forks.py:24:         print('squares', pool.map(square, range(5)))", text)
        self.assertTrue(text.endswith('Finished run\n'), text[-300:])
        self.assert_counts_match(proc)

    def test_coroutines_yield_and_resume(self):
        proc, text = self.console(['coroutines.py'], cwd=PROGRAMS)
        self.assertEqual(proc.returncode, 0)
        self.assert_in_order(text, [
            "coroutines.py:5: call>>> tick\n    name = 'a'\n    count = 2\n",
            'coroutines.py:9: yield>>> None\n',
            'coroutines.py:9: resume>>> tick\n',
            "coroutines.py:10: return>>> 'a done 1'\n",
        ])
        self.assertIn("coroutines.py:10: return>>> 'b done 3'\n", text)

    def test_bad_and_big_values(self):
        proc, text = self.console(['bad_repr.py'], cwd=PROGRAMS)
        self.assertEqual(proc.returncode, 0)
        self.assert_in_order(text, [
            '    value = <repr failed: ValueError>\n',
            'bad_repr.py:13: return>>> <repr failed: ValueError>\n',
            '    value = <repr failed: RecursionError>\n',
            'bad_repr.py:3: exception>>> ValueError: no repr for you\n',
            '    value = [0, 1, 2, 3',
            "    value = 'xxxxxxxx",
        ])
        for line in text.splitlines():
            # 256 bytes of value plus the name and the marker
            self.assertLess(len(line.encode()), 400, line[:100])
        self.assertIn('…]', text)
        self.assertIn("xxx'…", text)

    def test_repr_limit_and_budgets(self):
        config = os.path.join(self.tmp.name, 'smiley.conf')
        with open(config, 'w') as f:
            f.write('[run]\nrepr-limit=20\nevent-budget=10\n')
        proc, text = self.console(['test.py'], options=['--config', config])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("    data = {'level1': {'level2'…\n", text)
        with open(config, 'w') as f:
            f.write('[run]\nrun-budget=30\n')
        proc, text = self.console(['test.py'], options=['--config', config])
        self.assertIn('    result = <run budget exceeded>\n', text)

    def test_default_filters(self):
        proc, text = self.console(['uses_stdlib.py'], cwd=PROGRAMS)
        self.assertEqual(proc.returncode, 0)
        self.assertIn('uses_stdlib.py:6: call>>> main', text)
        self.assertNotIn('json/encoder.py', text)
        self.assertNotIn('textwrap.py', text)
        proc, text = self.console(['uses_stdlib.py'], cwd=PROGRAMS, options=['--include-stdlib'])
        self.assertIn('json/encoder.py', text)
        self.assertIn('textwrap.py', text)

    def test_main_module_of_dash_m_is_traced(self):
        proc, text = self.console(['-m', 'calendar', '2024', '1'], cwd=PROGRAMS)
        self.assertEqual(proc.returncode, 0)
        self.assertIn('calendar.py', text)
        self.assertIn('call>>> main', text)

    def test_include_package_and_exclude(self):
        proc, text = self.console(['-m', 'json.tool'], cwd=PROGRAMS,
                                  options=['--include-package', 'json'])
        self.assertIn('json/tool.py', text)
        self.assertIn('json/decoder.py', text)
        self.assertNotIn('argparse.py', text)
        proc, text = self.console(['test.py'], options=['--exclude', '*/test_funcs.py'])
        self.assertIn('test.py:26:         test_funcs.a()', text)
        self.assertNotIn('test_funcs.py', text)
        proc, text = self.console(['test.py'], options=['--no-include-site-packages'])
        self.assertNotIn('dist-packages', text)
        self.assertIn('test_funcs.py:59: call>>> a', text)

    def test_small_ring_back_pressure_loses_nothing(self):
        # A 64 KiB ring and the console sink writing every event: the
        # program must wait for smiley, never drop an event.
        config = os.path.join(self.tmp.name, 'smiley.conf')
        with open(config, 'w') as f:
            f.write('[run]\nring-size=65536\n')
        workloads = os.path.join(os.path.dirname(PROGRAMS), '..', '..', 'bench', 'workloads')
        proc, text = self.console(['calls.py', '1'], cwd=workloads, options=['--config', config])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        emitted = self.assert_counts_match(proc)
        self.assertGreater(emitted, 500000)
        self.assertEqual(text.count('call>>> fib'), 57313)
        self.assertTrue(text.endswith('Finished run\n'))

    def test_bad_ring_size(self):
        config = os.path.join(self.tmp.name, 'smiley.conf')
        with open(config, 'w') as f:
            f.write('[run]\nring-size=100000\n')
        proc = subprocess.run([SMILEY, 'run', '--sink', 'null', '--config', config, 'test.py'],
                              cwd=TEST_APP, capture_output=True, timeout=50)
        self.assertEqual(proc.returncode, 1)
        lines = proc.stderr.decode().splitlines()
        self.assertEqual(len(lines), 1, lines)
        self.assertIn('ring-size 100000: must be a power of two', lines[0])
        self.assertEqual(proc.stdout, b'')

    def test_big_module_body(self):
        # Module-level names are locals of the module's frame; a generated
        # module with thousands of them must neither lose one nor take
        # quadratic time.
        script = os.path.join(self.tmp.name, 'generated.py')
        with open(script, 'w') as f:
            f.write('a = 1\na = 2\n')
            f.write(''.join('x%d = %d\n' % (i, i) for i in range(20000)))
            f.write('print(x19999)\n')
        proc, text = self.console([script], cwd=self.tmp.name)
        self.assertEqual(proc.returncode, 0)
        self.assertEqual(proc.stdout, b'19999\n')
        self.assert_in_order(text, ['    a = 1\n', '    a = 2\n', '    x0 = 0\n',
                                    '    x19999 = 19999\n'])
        self.assertEqual(sum(1 for line in text.splitlines() if line.startswith('    x')), 20000)

    def test_profile_only_records_calls_and_returns_only(self):
        proc = subprocess.run([SMILEY, 'run', '--stats-summary', '--sink', 'null',
                               '--profile-only', 'test.py'], cwd=TEST_APP,
                              capture_output=True, timeout=50)
        self.assertEqual(proc.returncode, 0)
        self.assert_counts_match(proc)
        _, text = self.console(['test.py'], options=['--profile-only'])
        self.assert_in_order(text, ['call>>> a', 'call>>> b', 'call>>> c', 'call>>> gen',
                                    'yield>>>', 'resume>>> gen', 'return>>>', 'Finished run'])
        # Neither lines, values nor locals: those are what --profile-only saves.
        for line in text.splitlines():
            if line.startswith(('Starting new run', 'Finished run')):
                continue
            self.assertRegex(line, r'^\S+:\d+: (call|resume)>>> \S+$|^\S+:\d+: (return|yield)>>>$')

    def test_store_keeps_abnormal_runs(self):
        db = os.path.join(self.tmp.name, 'runs.db')
        for script, status in (('kill9.py', 137), ('os_exit.py', 7), ('exit_code.py', 3)):
            proc = subprocess.run([SMILEY, 'run', '--database', db, script], cwd=PROGRAMS,
                                  capture_output=True, timeout=50)
            self.assertEqual(proc.returncode, status, proc.stderr)
        listing = subprocess.run([SMILEY, 'list', '--database', db, '--format', 'csv'],
                                 capture_output=True, timeout=50, check=True).stdout.decode()
        self.assertIn('killed by signal 9', listing)
        self.assertIn('ended abnormally, exit status 7', listing)
        self.assertIn('exit status 3', listing)
        run_id = [line for line in listing.splitlines() if 'kill9' in line][0].split(',')[0]
        replay = subprocess.run([SMILEY, 'replay', '--database', db, run_id],
                                capture_output=True, timeout=50, check=True).stdout.decode()
        self.assertIn("kill9.py:7: return>>> 'about to be killed'", replay)

    def test_missing_script_leaves_a_finished_run(self):
        db = os.path.join(self.tmp.name, 'runs.db')
        proc = subprocess.run([SMILEY, 'run', '--database', db, 'no_such_script.py'],
                              cwd=PROGRAMS, capture_output=True, timeout=50)
        self.assertEqual(proc.returncode, 2)
        listing = subprocess.run([SMILEY, 'list', '--database', db, '--format', 'csv'],
                                 capture_output=True, timeout=50, check=True).stdout.decode()
        self.assertIn('exit status 2', listing)
        self.assertNotIn('running', listing)

    def test_bad_interpreter(self):
        proc = subprocess.run([SMILEY, 'run', '--sink', 'null', '--python', '/nonexistent/python3',
                               'test.py'], cwd=TEST_APP, capture_output=True, timeout=50)
        self.assertEqual(proc.returncode, 1)
        lines = proc.stderr.decode().splitlines()
        self.assertEqual(len(lines), 1, lines)
        self.assertIn('/nonexistent/python3', lines[0])


if __name__ == '__main__':
    unittest.main()
