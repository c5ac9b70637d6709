#!/usr/bin/python3
"""Regression tests for the tracer bugs QA found, one test (or more) per bug.

Each test runs the real build/smiley on a small program written on the fly
and checks what the program saw, what smiley returned and what was
recorded, against plain python3 where that is the reference.
"""

import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tracer_helpers import PYTHON, SMILEY, shell_status  # noqa: E402


class QA(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.dir = tmp.name

    def write(self, name, text, mode='w'):
        path = os.path.join(self.dir, name)
        with open(path, mode) as f:
            f.write(text)
        return path

    def smiley(self, args, options=(), **kwargs):
        """smiley run to the console sink; returns (process, console text)."""
        out = os.path.join(self.dir, 'console.txt')
        kwargs.setdefault('cwd', self.dir)
        kwargs.setdefault('stdin', subprocess.DEVNULL)
        proc = subprocess.run([SMILEY, 'run', '--stats-summary', '--sink', 'console',
                               '--output', out] + list(options) + list(args),
                              capture_output=True, timeout=50, **kwargs)
        text = ''
        if os.path.exists(out):
            with open(out, encoding='utf-8', errors='replace') as f:
                text = f.read()
        return proc, text

    def python(self, args, **kwargs):
        kwargs.setdefault('cwd', self.dir)
        kwargs.setdefault('stdin', subprocess.DEVNULL)
        return subprocess.run([PYTHON] + list(args), capture_output=True, timeout=50, **kwargs)

    def counts(self, proc):
        lines = [line for line in proc.stderr.decode(errors='replace').splitlines()
                 if line.startswith('smiley: ') and 'events emitted' in line]
        self.assertEqual(len(lines), 1, proc.stderr)
        words = lines[0].split()
        return int(words[1]), int(words[4])

    # 1. fork() in a program that never imported threading
    def test_fork_without_threading(self):
        self.write('fork.py', 'import os\n'
                              'def in_child():\n'
                              '    return 42\n'
                              'pid = os.fork()\n'
                              'if pid == 0:\n'
                              '    in_child()\n'
                              '    os._exit(0)\n'
                              'os.waitpid(pid, 0)\n'
                              'print("parent done")\n')
        proc, text = self.smiley(['fork.py'])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout, b'parent done\n')
        emitted, recorded = self.counts(proc)
        self.assertEqual(emitted, recorded)
        self.assertRegex(text, r'\[MainThread \(pid \d+\)\] fork.py:2: call>>> in_child')
        self.assertIn('fork.py:3: return>>> 42', text)
        self.assertTrue(text.endswith('Finished run\n'), text[-300:])

    # 2. a forked child still running when the program's process exits
    def test_child_outliving_the_program(self):
        self.write('outlive.py', 'import os, threading, time\n'
                                 'if os.fork() == 0:\n'
                                 '    time.sleep(0.5)\n'
                                 '    os._exit(0)\n'
                                 'print("parent done")\n')
        start = time.monotonic()
        proc, text = self.smiley(['outlive.py'])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout, b'parent done\n')
        # smiley returns when python3 would: it does not wait for the child.
        self.assertLess(time.monotonic() - start, 5)
        emitted, recorded = self.counts(proc)
        self.assertEqual(emitted, recorded)
        self.assertTrue(text.endswith('Finished run\n'), text[-300:])
        db = os.path.join(self.dir, 'r.db')
        proc = subprocess.run([SMILEY, 'run', '--database', db, 'outlive.py'], cwd=self.dir,
                              capture_output=True, timeout=50, stdin=subprocess.DEVNULL)
        self.assertEqual((proc.returncode, proc.stderr), (0, b''))
        time.sleep(0.8)  # the child ends, too late for the run


    # 3. bytes that are not UTF-8 in an argument, the script's path, the cwd
    def test_non_utf8_arguments_path_and_cwd(self):
        weird = os.path.join(os.fsencode(self.dir), b'd\xe9')
        os.mkdir(weird)
        script = b'h\xe9.py'
        with open(os.path.join(weird, script), 'w') as f:
            f.write('import os, sys\n'
                    'def shown(x):\n'
                    '    return x\n'
                    'shown(1)\n'
                    'print(ascii(sys.argv), ascii(os.getcwd()))\n')
        args = [script, b'caf\xe9']
        plain = self.python(args, cwd=weird)
        self.assertEqual(plain.returncode, 0, plain.stderr)
        self.assertIn(b"'caf\\udce9'", plain.stdout)
        proc, text = self.smiley(args, cwd=weird)
        self.assertEqual((proc.returncode, proc.stdout), (0, plain.stdout), proc.stderr)
        self.assertIn("Starting new run: ['h\\\\xe9.py', 'caf\\\\xe9']", text)
        self.assertIn('h\\xe9.py:2: call>>> shown', text)
        # Its source is still in the run (sent by the traced process, which
        # reads it through the module's loader: see send_source_if_not_on_disk).
        self.assertIn('h\\xe9.py:3:     return x\n', text)
        db = os.path.join(self.dir, 'r.db')
        proc = subprocess.run([SMILEY, 'run', '--database', db] + args, cwd=weird,
                              capture_output=True, timeout=50, stdin=subprocess.DEVNULL)
        self.assertEqual((proc.returncode, proc.stdout), (0, plain.stdout), proc.stderr)
        listing = subprocess.run([SMILEY, 'list', '--database', db], capture_output=True,
                                 timeout=50)
        self.assertEqual(listing.returncode, 0, listing.stderr)
        self.assertIn(b'h\\xe9.py caf\\xe9', listing.stdout)

    # 4. ignored signals and the signal mask reach the program as under python3
    SIGNAL_PROGRAM = (
        'import signal, sys, time\n'
        'names = ["SIGHUP", "SIGINT", "SIGQUIT", "SIGUSR1", "SIGTERM"]\n'
        'print([(n, int(signal.getsignal(getattr(signal, n)) == signal.SIG_IGN))\n'
        '       for n in names])\n'
        'print(sorted(s.name for s in signal.pthread_sigmask(signal.SIG_BLOCK, [])))\n'
        'if sys.argv[1:] == ["wait"]:\n'
        '    print("ready", flush=True)\n'
        '    time.sleep(1)\n'
        '    print("survived", flush=True)\n')
    LAUNCHER = (
        'import os, signal, sys\n'
        'for s in (signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGUSR1):\n'
        '    signal.signal(s, signal.SIG_IGN)\n'
        'signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR2])\n'
        'os.execv(sys.argv[1], sys.argv[1:])\n')

    def test_ignored_signals_and_mask_are_inherited(self):
        self.write('sigprog.py', self.SIGNAL_PROGRAM)
        launcher = self.write('launch.py', self.LAUNCHER)
        expected = (b"[('SIGHUP', 1), ('SIGINT', 1), ('SIGQUIT', 1), ('SIGUSR1', 1), "
                    b"('SIGTERM', 0)]\n['SIGUSR2']\n")
        plain = self.python([launcher, PYTHON, 'sigprog.py'])
        self.assertEqual(plain.stdout, expected, plain.stderr)
        traced = self.python([launcher, SMILEY, 'run', '--sink', 'null', 'sigprog.py'])
        self.assertEqual((traced.returncode, traced.stdout), (0, expected), traced.stderr)
        # Without a launcher, nothing is ignored or blocked.
        proc, _ = self.smiley(['sigprog.py'])
        self.assertEqual(proc.stdout, b"[('SIGHUP', 0), ('SIGINT', 0), ('SIGQUIT', 0), "
                                      b"('SIGUSR1', 0), ('SIGTERM', 0)]\n[]\n")

    def test_nohup_sighup_is_not_forwarded(self):
        self.write('sigprog.py', self.SIGNAL_PROGRAM)
        launcher = self.write('launch.py', self.LAUNCHER)
        results = []
        for cmd in ([PYTHON, 'sigprog.py', 'wait'],
                    [SMILEY, 'run', '--sink', 'null', 'sigprog.py', 'wait']):
            proc = subprocess.Popen([PYTHON, launcher] + cmd, cwd=self.dir,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            lines = [proc.stdout.readline() for _ in range(3)]
            self.assertEqual(lines[2], b'ready\n')
            proc.send_signal(signal.SIGHUP)
            out, err = proc.communicate(timeout=30)
            results.append((shell_status(proc.returncode), out, err))
        self.assertEqual(results[0], (0, b'survived\n', b''))
        self.assertEqual(results[1], results[0])

    def test_ignored_sigchld_is_inherited_and_the_status_kept(self):
        self.write('chld.py', 'import os, signal, sys\n'
                              'print(signal.getsignal(signal.SIGCHLD) == signal.SIG_IGN)\n'
                              'pid = os.fork()\n'
                              'if pid == 0:\n'
                              '    os._exit(3)\n'
                              'try:\n'
                              '    os.waitpid(pid, 0)\n'
                              'except ChildProcessError:\n'
                              '    print("reaped by the kernel")\n'
                              'sys.exit(5)\n')
        launcher = self.write('ign.py', 'import os, signal, sys\n'
                                        'signal.signal(signal.SIGCHLD, signal.SIG_IGN)\n'
                                        'os.execv(sys.argv[1], sys.argv[1:])\n')
        plain = self.python([launcher, PYTHON, 'chld.py'])
        self.assertEqual((plain.returncode, plain.stdout), (5, b'True\nreaped by the kernel\n'))
        traced = self.python([launcher, SMILEY, 'run', '--sink', 'null', 'chld.py'])
        self.assertEqual((traced.returncode, traced.stdout), (5, plain.stdout), traced.stderr)

    # 5. smiley killed with SIGKILL: the program must not run on untraced
    def test_program_dies_with_smiley(self):
        marker = os.path.join(self.dir, 'still-running')
        self.write('long.py', 'import os, time\n'
                              'print(os.getpid(), flush=True)\n'
                              'time.sleep(2)\n'
                              'open(%r, "w").close()\n' % marker)
        proc = subprocess.Popen([SMILEY, 'run', '--sink', 'null', 'long.py'], cwd=self.dir,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        child = int(proc.stdout.readline())
        proc.kill()
        proc.communicate(timeout=30)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with open('/proc/%d/stat' % child) as f:
                    if f.read().rsplit(')', 1)[1].split()[0] == 'Z':
                        break
            except FileNotFoundError:
                break
            time.sleep(0.05)
        else:
            self.fail('the traced program outlived smiley')
        time.sleep(2.5)
        self.assertFalse(os.path.exists(marker))

    def test_interpreter_behind_a_wrapper_is_not_killed(self):
        # A wrapper that forks python3 (not one that execs it) is the
        # program's parent; the parent-death guard must not take that for
        # smiley having died.
        wrapper = self.write('wrap.sh', '#!/bin/sh\n%s "$@"\nexit $?\n' % PYTHON)
        os.chmod(wrapper, 0o755)
        self.write('hi.py', 'print("hi")\n')
        proc = subprocess.run([SMILEY, 'run', '--python', wrapper, '--sink', 'null',
                               '--stats-summary', 'hi.py'], cwd=self.dir,
                              capture_output=True, timeout=30)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout, b'hi\n')
        self.assertRegex(proc.stderr, rb'smiley: ([1-9]\d*) events emitted, \1 events recorded')

    # 7. interpreters that are not Debian's python3
    PYENV_311 = '/root/.pyenv/versions/3.11.7/bin/python3'

    @unittest.skipUnless(os.access(PYENV_311, os.X_OK), 'no pyenv Python 3.11 here')
    def test_python_without_its_own_sitecustomize(self):
        self.write('sc.py', 'import sys\n'
                            'print("sitecustomize" in sys.modules)\n')
        plain = subprocess.run([self.PYENV_311, 'sc.py'], cwd=self.dir, capture_output=True,
                               timeout=50)
        self.assertEqual(plain.stdout, b'False\n')
        proc, text = self.smiley(['sc.py'], options=['--python', self.PYENV_311])
        self.assertEqual((proc.returncode, proc.stdout), (0, plain.stdout))
        self.assertNotIn(b'sitecustomize', proc.stderr)
        self.assertIn('sc.py:2: return>>> None', text)

    def fake_python(self, name, body):
        path = self.write(name, '#!/bin/sh\n' + body)
        os.chmod(path, 0o755)
        return path

    def test_other_python_versions_are_refused(self):
        self.write('hi.py', 'print("hi")\n')
        cases = [
            (self.fake_python('python3.12', 'printf 3.12\n'),
             ' is Python 3.12; this smiley traces Python 3.11 only'),
            (self.fake_python('python2', 'echo 2.7\n'),
             ' is Python 2.7; this smiley traces Python 3.11 only'),
            ('/bin/true', ': not a Python interpreter'),
        ]
        for python, message in cases:
            with self.subTest(python=python):
                proc, _ = self.smiley(['hi.py'], options=['--python', python])
                self.assertEqual(proc.returncode, 1)
                self.assertEqual(proc.stdout, b'')
                lines = proc.stderr.decode().splitlines()
                self.assertEqual(len(lines), 1, lines)
                self.assertIn(python + message, lines[0])
        # A Python 3.11 reached through another path is accepted.
        wrapper = self.fake_python('wrapped', 'exec %s "$@"\n' % PYTHON)
        proc, text = self.smiley(['hi.py'], options=['--python', wrapper])
        self.assertEqual((proc.returncode, proc.stdout), (0, b'hi\n'), proc.stderr)
        self.assertIn('hi.py:1: return>>> None', text)

    # 8. a program started with stdin, stdout or stderr closed
    def test_closed_standard_fds(self):
        seen = os.path.join(self.dir, 'seen.txt')
        self.write('closed.py', 'import sys\n'
                                'print("hello")\n'
                                'with open(%r, "a") as f:\n'
                                '    f.write(repr([s is None for s in (sys.stdin, sys.stdout, '
                                'sys.stderr)]) + "\\n")\n' % seen)
        db = os.path.join(self.dir, 'c.db')
        for redirections in ('<&- >&- 2>&-', '>&-', '2>&-'):
            results = []
            for cmd in ([PYTHON], [SMILEY, 'run', '--database', db],
                        [SMILEY, 'run', '--sink', 'null']):
                proc = subprocess.run(['sh', '-c', 'exec "$@" ' + redirections, 'sh'] + cmd
                                      + ['closed.py'], cwd=self.dir, capture_output=True,
                                      timeout=50)
                with open(seen) as f:
                    results.append((proc.returncode, f.read()))
                os.unlink(seen)
            with self.subTest(redirections=redirections):
                self.assertEqual(results[0][0], 0)
                self.assertEqual(results[1], results[0])
                self.assertEqual(results[2], results[0])

    # 6. a program that installs its own profiler or trace function
    def test_own_profiler_is_noticed_and_tracing_resumes(self):
        self.write('prof.py', 'import cProfile, sys\n'
                              'def f(n):\n'
                              '    return n * 2\n'
                              'for i in range(5):\n'
                              '    f(i)\n'
                              'cProfile.run("f(100)", "/dev/null")\n'
                              'for i in range(5, 10):\n'
                              '    f(i)\n'
                              'seen = []\n'
                              'def mine(frame, event, arg):\n'
                              '    seen.append((event, frame.f_code.co_name))\n'
                              'sys.setprofile(mine)\n'
                              'f(1000)\n'
                              'sys.setprofile(None)\n'
                              'print(seen)\n'
                              'f(11)\n')
        plain = self.python(['prof.py'])
        proc, text = self.smiley(['prof.py'])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        # Known and documented: the program's own profile function first
        # gets the c_return of its sys.setprofile() call, which python3
        # does not give it (CPython sends it to whatever profiler is set
        # when the call returns).
        self.assertEqual(proc.stdout, plain.stdout.replace(b"[(", b"[('c_return', '<module>'), (", 1))
        returns = [int(line.rsplit(' ', 1)[1]) for line in text.splitlines()
                   if line.startswith('prof.py:3: return>>> ')]
        self.assertEqual(returns, [2 * n for n in list(range(10)) + [11]])
        err = proc.stderr.decode()
        self.assertIn('smiley: the program installed its own profiler on thread 1 at '
                      '/usr/lib/python3.11/cProfile.py:', err)
        self.assertIn('; tracing of that thread stopped there\n', err)
        self.assertIn('smiley: the program removed its profiler on thread 1 at '
                      '/usr/lib/python3.11/cProfile.py:', err)
        self.assertIn('smiley: the program installed its own profiler on thread 1 at '
                      '%s:13; tracing of that thread stopped there\n'
                      % os.path.join(self.dir, 'prof.py'), err)
        self.assertIn('smiley: the program removed its profiler on thread 1 at '
                      '%s:15; tracing of that thread resumed there\n'
                      % os.path.join(self.dir, 'prof.py'), err)
        emitted, recorded = self.counts(proc)
        self.assertEqual(emitted, recorded)

    def test_own_trace_function_is_noticed(self):
        self.write('tr.py', 'import sys\n'
                            'def f(n):\n'
                            '    x = n + 1\n'
                            '    return x\n'
                            'def tracer(frame, event, arg):\n'
                            '    return tracer\n'
                            'f(1)\n'
                            'sys.settrace(tracer)\n'
                            'f(2)\n'
                            'sys.settrace(None)\n'
                            'f(3)\n')
        proc, text = self.smiley(['tr.py'])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(text.count('call>>> f'), 3)
        self.assertEqual(text.count('tr.py:3:     x = n + 1'), 2)
        err = proc.stderr.decode()
        path = os.path.join(self.dir, 'tr.py')
        self.assertIn('smiley: the program installed its own trace function on thread 1 at '
                      '%s:8; line and exception events of that thread stopped there\n' % path, err)
        self.assertIn('smiley: the program removed its trace function on thread 1 at '
                      '%s:10; line and exception events of that thread resumed there\n' % path,
                      err)

    def test_dash_m_cprofile_says_why_nothing_is_recorded(self):
        self.write('plain.py', 'def f():\n'
                               '    return 1\n'
                               'f()\n')
        proc, text = self.smiley(['-m', 'cProfile', 'plain.py'])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn(b'function calls', proc.stdout)
        self.assertNotIn('call>>> f', text)
        self.assertIn(b'smiley: the program installed its own profiler on thread 1 at ',
                      proc.stderr)

    # 10. sources: stored byte for byte; read from the archive for zipapps
    def stored_sources(self, db):
        import sqlite3
        with sqlite3.connect(db) as conn:
            return {row[0] for row in conn.execute('SELECT content FROM source')}

    def test_latin1_source_is_stored_unchanged(self):
        text = b'# -*- coding: latin-1 -*-\ns = "caf\xe9"\nprint(len(s))\n'
        self.write('lat.py', text, mode='wb')
        db = os.path.join(self.dir, 'l.db')
        proc = subprocess.run([SMILEY, 'run', '--database', db, 'lat.py'], cwd=self.dir,
                              capture_output=True, timeout=50, stdin=subprocess.DEVNULL)
        self.assertEqual((proc.returncode, proc.stdout), (0, b'4\n'), proc.stderr)
        self.assertEqual(self.stored_sources(db), {text})

    def test_zipapp_sources_come_from_the_archive(self):
        import zipapp
        os.makedirs(os.path.join(self.dir, 'zapp', 'pkg'))
        main = b'from pkg import helper\ndef main():\n    return helper.twice(21)\nprint(main())\n'
        helper = b'def twice(n):\n    return n * 2\n'
        self.write('zapp/__main__.py', main, mode='wb')
        self.write('zapp/pkg/__init__.py', b'', mode='wb')
        self.write('zapp/pkg/helper.py', helper, mode='wb')
        zipapp.create_archive(os.path.join(self.dir, 'zapp'), os.path.join(self.dir, 'app.pyz'))
        proc, text = self.smiley(['app.pyz'])
        self.assertEqual((proc.returncode, proc.stdout), (0, b'42\n'), proc.stderr)
        self.assertIn('app.pyz/__main__.py:3:     return helper.twice(21)\n', text)
        self.assertIn('app.pyz/pkg/helper.py:2:     return n * 2\n', text)
        db = os.path.join(self.dir, 'z.db')
        proc = subprocess.run([SMILEY, 'run', '--database', db, 'app.pyz'], cwd=self.dir,
                              capture_output=True, timeout=50, stdin=subprocess.DEVNULL)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertTrue({main, helper} <= self.stored_sources(db))

    def test_script_read_from_a_fifo_does_not_hang_smiley(self):
        # smiley reads the run's source files again by name; a FIFO (or a
        # device) must be skipped, not opened and waited on for ever.
        fifo = os.path.join(self.dir, 'fifo.py')
        os.mkfifo(fifo, 0o600)
        code = b'def f(x):\n    return x + 1\nprint(f(1))\n'

        def feed():
            with open(fifo, 'wb') as f:
                f.write(code)

        import threading
        writer = threading.Thread(target=feed)
        writer.start()
        db = os.path.join(self.dir, 'f.db')
        proc = subprocess.run([SMILEY, 'run', '--database', db, 'fifo.py'], cwd=self.dir,
                              capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
        writer.join()
        self.assertEqual((proc.returncode, proc.stdout), (0, b'2\n'), proc.stderr)
        self.assertEqual(self.stored_sources(db), set())

if __name__ == '__main__':
    unittest.main()
