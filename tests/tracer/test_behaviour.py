#!/usr/bin/python3
"""smiley run must be indistinguishable from python3 for the program.

Every case runs the same command under /usr/bin/python3 and under
`smiley run` (to the null sink and to the console sink writing a file) and
compares stdout, stderr and the exit status byte for byte, as a shell
would see them.
"""

import os
import re
import signal
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tracer_helpers import (PROGRAMS, PYTHON, SMILEY, TEST_APP,  # noqa: E402
                            shell_status)

# regrtest prints the time and the load average; nothing else may differ.
VOLATILE = re.compile(rb'^\d+:\d\d:\d\d (load avg: [\d.]+ )?|^Total duration: .*$',
                      re.MULTILINE)


class Behaviour(unittest.TestCase):
    maxDiff = None

    def run_both(self, args, cwd=PROGRAMS, stdin=b'', env=None, filter_volatile=False):
        env = dict(os.environ if env is None else env)
        plain = subprocess.run([PYTHON] + args, cwd=cwd, input=stdin, env=env,
                               capture_output=True, timeout=50)
        with tempfile.TemporaryDirectory() as tmp:
            for sink in (['--sink', 'null'],
                         ['--sink', 'console', '--output', os.path.join(tmp, 'console.txt')]):
                traced = subprocess.run([SMILEY, 'run'] + sink + args, cwd=cwd, input=stdin,
                                        env=env, capture_output=True, timeout=50)
                out_a, out_b = plain.stdout, traced.stdout
                err_a, err_b = plain.stderr, traced.stderr
                if filter_volatile:
                    out_a, out_b = VOLATILE.sub(b'', out_a), VOLATILE.sub(b'', out_b)
                    err_a, err_b = VOLATILE.sub(b'', err_a), VOLATILE.sub(b'', err_b)
                with self.subTest(sink=sink[1]):
                    self.assertEqual(out_a, out_b, 'stdout differs')
                    self.assertEqual(err_a, err_b, 'stderr differs')
                    self.assertEqual(shell_status(plain.returncode), traced.returncode,
                                     'exit status differs')
        return plain

    def test_test_app(self):
        for extra in ([], ['-t'], ['-e']):
            with self.subTest(args=extra):
                self.run_both(['test.py'] + extra, cwd=TEST_APP)

    def test_test_app_by_path(self):
        self.run_both([os.path.join(TEST_APP, 'test.py'), 'a b'], cwd=PROGRAMS)

    def test_sys_exit_number(self):
        self.assertEqual(self.run_both(['exit_code.py']).returncode, 3)

    def test_sys_exit_message(self):
        plain = self.run_both(['exit_message.py'])
        self.assertEqual(plain.returncode, 1)
        self.assertEqual(plain.stderr, b'the message\n')

    def test_uncaught_exception(self):
        plain = self.run_both(['uncaught.py'])
        self.assertIn(b"KeyError: 'missing key'", plain.stderr)

    def test_os_exit(self):
        self.assertEqual(self.run_both(['os_exit.py']).returncode, 7)

    def test_kill_9(self):
        self.assertEqual(shell_status(self.run_both(['kill9.py']).returncode), 137)

    def test_segfault(self):
        self.assertEqual(shell_status(self.run_both(['segfault.py']).returncode), 139)

    def test_environment_stdin_pythonpath(self):
        env = dict(os.environ, PYTHONPATH=os.path.join(PROGRAMS, 'lib'))
        plain = self.run_both(['environment.py', 'x', 'y z'], stdin=b'piped input\n', env=env)
        self.assertIn(b'stdin piped input', plain.stdout)
        self.assertIn(b'helper from PYTHONPATH', plain.stdout)

    def test_environment_without_pythonpath(self):
        env = dict(os.environ)
        env.pop('PYTHONPATH', None)
        plain = self.run_both(['environment.py'], env=env)
        self.assertIn(b'pythonpath None', plain.stdout)

    def test_virtualenv(self):
        with tempfile.TemporaryDirectory() as tmp:
            venv = os.path.join(tmp, 'venv')
            made = subprocess.run([PYTHON, '-m', 'venv', '--without-pip', venv], capture_output=True)
            if made.returncode != 0:
                self.skipTest('python3 -m venv is not available: %s' % made.stderr.decode()[-200:])
            site = subprocess.run([os.path.join(venv, 'bin', 'python3'), '-c',
                                   'import site; print(site.getsitepackages()[0])'],
                                  capture_output=True, check=True).stdout.decode().strip()
            with open(os.path.join(site, 'venv_only.py'), 'w') as f:
                f.write("VALUE = 'only in the virtualenv'\n")
            script = os.path.join(tmp, 'use_venv.py')
            with open(script, 'w') as f:
                f.write('import sys\nimport venv_only\n'
                        'print(venv_only.VALUE, sys.prefix != sys.base_prefix)\n')
            env = dict(os.environ, VIRTUAL_ENV=venv,
                       PATH=os.path.join(venv, 'bin') + os.pathsep + os.environ.get('PATH', ''))
            plain = subprocess.run([os.path.join(venv, 'bin', 'python3'), script], env=env,
                                   capture_output=True, timeout=50)
            traced = subprocess.run([SMILEY, 'run', '--sink', 'null', script], env=env,
                                    capture_output=True, timeout=50)
            self.assertEqual(plain.stdout, b'only in the virtualenv True\n')
            self.assertEqual(plain.stdout, traced.stdout)
            self.assertEqual(plain.stderr, traced.stderr)
            self.assertEqual(plain.returncode, traced.returncode)

    def test_atexit(self):
        plain = self.run_both(['atexit_prog.py'])
        self.assertEqual(plain.stdout, b'main done\ngoodbye world\n')

    def test_threads_invisible(self):
        plain = self.run_both(['threads.py'])
        self.assertIn(b"main ['MainThread'] 1 1", plain.stdout)

    def test_fork_and_multiprocessing(self):
        plain = self.run_both(['forks.py'])
        self.assertIn(b'squares [0, 1, 4, 9, 16]', plain.stdout)

    def test_fork_child_outliving_the_program(self):
        plain = self.run_both(['orphan.py'])
        self.assertEqual(plain.stdout, b'parent done\n')

    def test_bad_repr(self):
        plain = self.run_both(['bad_repr.py'])
        self.assertIn(b'program still sees no repr for you', plain.stdout)

    def test_missing_script(self):
        plain = self.run_both(['no_such_script.py'])
        self.assertEqual(plain.returncode, 2)

    def test_missing_module(self):
        plain = self.run_both(['-m', 'no_such_module_here'])
        self.assertEqual(plain.returncode, 1)

    def test_json_tool(self):
        self.run_both(['-m', 'json.tool'], stdin=b'{"b": [1, 2], "a": null}')

    def test_json_tool_bad_input(self):
        plain = self.run_both(['-m', 'json.tool'], stdin=b'{"b": ')
        self.assertEqual(plain.returncode, 1)

    def test_calendar(self):
        self.run_both(['-m', 'calendar', '2024', '2'])

    def test_tabnanny(self):
        self.run_both(['-m', 'tabnanny', '-v', os.path.join(TEST_APP, 'test_funcs.py')])

    def test_stdlib_test_suites(self):
        plain = self.run_both(['-m', 'test', 'test_bisect', 'test_textwrap', 'test_heapq'],
                              filter_volatile=True)
        self.assertIn(b'All 3 tests OK.', plain.stdout)

    def test_coroutines(self):
        plain = self.run_both(['coroutines.py'])
        self.assertEqual(plain.stdout, b"['a done 1', 'b done 3']\n")

    def test_sigterm_is_forwarded(self):
        def terminated(cmd):
            proc = subprocess.Popen(cmd, cwd=PROGRAMS, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE)
            first = proc.stdout.readline()
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=30)
            return shell_status(proc.returncode), first + out, err

        plain = terminated([PYTHON, 'sigint.py'])
        traced = terminated([SMILEY, 'run', '--sink', 'null', 'sigint.py'])
        self.assertEqual(plain, (143, b'ready\n', b''))
        self.assertEqual(traced, plain)

    def test_sigint_is_keyboard_interrupt(self):
        def interrupted(cmd):
            proc = subprocess.Popen(cmd, cwd=PROGRAMS, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE)
            first = proc.stdout.readline()
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=30)
            return shell_status(proc.returncode), first + out, err

        with tempfile.TemporaryDirectory() as tmp:
            plain = interrupted([PYTHON, 'sigint.py'])
            traced = interrupted([SMILEY, 'run', '--sink', 'console', '--output',
                                  os.path.join(tmp, 'console.txt'), 'sigint.py'])
        self.assertEqual(plain[0], 130)
        self.assertEqual(traced[0], 130)
        self.assertEqual(plain[1], traced[1])
        self.assertEqual(plain[1], b'ready\ncleanup ran\n')
        self.assertTrue(traced[2].endswith(b'KeyboardInterrupt\n'), traced[2])


if __name__ == '__main__':
    unittest.main()
