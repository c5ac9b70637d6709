# More of what a user notices: the program's environment is untouched, a
# user's own sitecustomize still runs, exec and broken pipes behave as
# under python3, the console sink and value budgets, concurrent runs into
# one SQLite store, and what happens when smiley or its listener is killed.
import json
import os
import re
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_common import E2ETestCase, SMILEY, PYTHON, smiley, python  # noqa: E402

HELLO = """\
def add(a, b):
    total = a + b
    return total
print(add(1, 2))
"""


class EnvironmentTest(E2ETestCase):
    def test_environment_and_interpreter_state(self):
        self.write("envp.py", """\
import os, sys, json
env = dict(os.environ)
env.pop("_", None)
print(json.dumps(env, sort_keys=True))
print(sys.path)
print(sys.orig_argv, sys.flags, sys.executable)
print(__spec__, type(__loader__).__name__, sorted(globals()))
print('sitecustomize' in sys.modules, sys.stdin.isatty(), sys.stdout.encoding)
import warnings; warnings.warn("careful")
""")
        for extra in ({}, {"PYTHONSAFEPATH": "1"}, {"PYTHONUNBUFFERED": "1", "PYTHONIOENCODING": "latin-1",
                                                    "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0"}):
            with self.subTest(env=extra):
                env = dict(self.env, **extra)
                s = self.assertSameAsPython("envp.py", env=env)
                self.assertIn(b"UserWarning: careful", s.stderr)

    def test_user_sitecustomize_still_runs(self):
        self.write("sc/sitecustomize.py", "import sys\nprint('user sitecustomize ran', file=sys.stderr)\n"
                   "sys.custom_flag = 1\n")
        self.write("usesc.py", "import sys\ndef f():\n    return getattr(sys, 'custom_flag', None)\nprint(f())\n")
        env = dict(self.env, PYTHONPATH=os.path.join(self.tmp, "sc"))
        s = self.assertSameAsPython("usesc.py", env=env)
        self.assertEqual(s.stdout, b"1\n")
        self.assertEqual(s.stderr, b"user sitecustomize ran\n")
        self.assertIn("return>>> 1", self.replay())

    def test_exec(self):
        self.write("ex.py", "import os, sys\ndef f(x):\n    return x\nf(1)\nprint('before', flush=True)\n"
                   "os.execv('/bin/sh', ['sh', '-c', 'echo sh ran; exit 4'])\n")
        s = self.assertSameAsPython("ex.py")
        self.assertEqual((s.returncode, s.stdout), (4, b"before\nsh ran\n"))
        self.assertIn("return>>> 1", self.replay())

    def test_broken_pipe(self):
        self.write("many.py", "for i in range(200000):\n    print(i)\n")
        results = []
        for cmd in ([PYTHON, "many.py"], [SMILEY, "run", "--database", self.db, "many.py"]):
            p = subprocess.Popen(cmd, cwd=self.tmp, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            first = p.stdout.readline()
            p.stdout.close()
            err = p.stderr.read()
            p.stderr.close()
            p.wait(timeout=30)
            results.append((first, p.returncode, err))
        self.assertEqual(results[0], results[1])
        self.assertIn(b"BrokenPipeError", results[1][2])
        listing = smiley("list", "--database", self.db, env=self.env).stdout
        self.assertIn(b"BrokenPipeError", listing)


class SinksTest(E2ETestCase):
    def test_console_sink(self):
        self.write("h.py", HELLO)
        r = smiley("run", "--sink", "console", "h.py", cwd=self.tmp, env=self.env)
        self.assertEqual((r.returncode, r.stdout), (0, b"3\n"), r.stderr)
        self.assertEqual(r.stderr.decode(), """\
Starting new run: ['h.py']
h.py:1: call>>> <module>
h.py:1: def add(a, b):
h.py:4: print(add(1, 2))
h.py:1: call>>> add
    a = 1
    b = 2
h.py:2:     total = a + b
h.py:3:     return total
    total = 3
h.py:3: return>>> 3
h.py:4: return>>> None
Finished run
""")
        out = os.path.join(self.tmp, "con.txt")
        r = smiley("run", "--sink", "console", "--output", out, "h.py", cwd=self.tmp, env=self.env)
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, b"3\n", b""))
        with open(out) as f:
            self.assertIn("h.py:3: return>>> 3\n", f.read())
        r = smiley("run", "--sink", "console", "--color=always", "h.py", cwd=self.tmp, env=self.env)
        self.assertIn(b"\x1b[", r.stderr)
        r = smiley("run", "--sink", "console", "--output", "/nonexistent-dir/x.txt", "h.py", cwd=self.tmp,
                   env=self.env)
        self.assertOneLineError(r, 1, "/nonexistent-dir/x.txt")
        self.assertEqual(r.stdout, b"", "the program ran although its sink failed")
        r = smiley("run", "--sink", "null", "--stats-summary", "h.py", cwd=self.tmp, env=self.env)
        self.assertEqual((r.returncode, r.stdout), (0, b"3\n"))
        self.assertEqual(r.stderr, b"smiley: 8 events emitted, 8 events recorded\n")

    def test_budgets(self):
        self.write("bud.py", "def f(i):\n    s = 'x' * 1000 + str(i)\n    return s\n"
                   "for i in range(3000):\n    f(i)\nprint('ok')\n")
        s = self.traced("bud.py", opts=("--set", "run-budget=10000"))
        self.assertEqual(s.stdout, b"ok\n")
        text = self.replay()
        self.assertIn("<run budget exceeded>", text)
        self.assertEqual(text.count("call>>> f"), 3000)
        self.assertLess(os.path.getsize(self.db), 2_000_000)
        self.traced("bud.py", opts=("--set", "repr-limit=16"))
        self.assertIn("return>>> 'xxxxxxxxxxxxxx'\u2026", self.replay())
        for bad in ("repr-limit=1", "ring-size=4096", "event-budget=x"):
            r = smiley("run", "--database", self.db, "--set", bad, "bud.py", cwd=self.tmp, env=self.env)
            self.assertOneLineError(r, 1, bad.split("=")[0])
            self.assertEqual(r.stdout, b"")

    def test_concurrent_runs_into_one_new_database(self):
        self.write("h.py", HELLO)
        ps = [subprocess.Popen([SMILEY, "run", "--database", self.db, "--stats-summary", "h.py"],
                               cwd=self.tmp, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
              for _ in range(6)]
        for p in ps:
            out, err = p.communicate(timeout=30)
            self.assertEqual((p.returncode, out, err), (0, b"3\n", b"smiley: 8 events emitted, 8 events recorded\n"))
        self.assertEqual(len(self.run_ids()), 6)


class MoreProgramsTest(E2ETestCase):
    def test_unicode_names_and_values(self):
        self.write("uni.py", """\
import threading
def gr\u00fc\u00dfe(na\u00efve, \u540d\u524d="\u5024"):
    \u03bb = na\u00efve + "\U0001f389"
    return \u03bb
class \u0108lass:
    def m\u00e9thode(self): return gr\u00fc\u00dfe("x")
t = threading.Thread(target=lambda: \u0108lass().m\u00e9thode(), name="thr\u00e9ad-\U0001f9f5")
t.start(); t.join()
print(gr\u00fc\u00dfe("\u00e9"), "\\u2028", "\\x00")
s = "\\ud800"
print(repr(s))
""", "w")
        s = self.assertSameAsPython("uni.py")
        text = self.replay()
        self.assertIn("[thr\u00e9ad-\U0001f9f5] ", text)
        self.assertIn("call>>> \u0108lass.m\u00e9thode", text)
        self.assertIn("    \u540d\u524d = '\u5024'", text)
        self.assertIn("return>>> '\u00e9\U0001f389'", text)
        self.assertIn("    s = '\\ud800'", text)
        run = self.last_run()
        out = os.path.join(self.tmp, "u.json")
        self.assertEqual(smiley("export", run, out, "--database", self.db, env=self.env).returncode, 0)
        with open(out, encoding="utf-8") as f:
            json.load(f)
        r = smiley("export", run, "-", "--format", "jsonl", "--database", self.db, env=self.env)
        names = {json.loads(l)["function"] for l in r.stdout.decode("utf-8").splitlines()}
        self.assertIn("gr\u00fc\u00dfe", names)

    def test_program_from_stdin_and_directory(self):
        s = self.assertSameAsPython("-", input=b"import sys\ndef f():\n    return sys.argv\nprint(f())\n")
        self.assertEqual(s.stdout, b"['-']\n")
        self.assertIn("return>>> ['-']", self.replay())
        self.write("dirapp/__main__.py", "def f():\n    return 5\nprint(f())\n")
        s = self.assertSameAsPython("dirapp")
        self.assertEqual(s.stdout, b"5\n")
        self.write("-x.py", "print('dash')\n")
        r = smiley("run", "--database", self.db, "--", "-x.py", cwd=self.tmp, env=self.env)
        self.assertEqual((r.returncode, r.stdout), (0, b"dash\n"), r.stderr)
        # Words after the script belong to the program.
        self.write("args.py", "import sys\nprint(sys.argv)\n")
        r = smiley("run", "--database", self.db, "args.py", "--database", "zz", "-m", "x",
                   cwd=self.tmp, env=self.env)
        self.assertEqual(r.stdout, b"['args.py', '--database', 'zz', '-m', 'x']\n")

    def test_many_threads_nothing_lost(self):
        self.write("stress.py", """\
import threading
def f(i):
    x = i * 2
    return x
def work(n):
    for i in range(n):
        f(i)
ts = [threading.Thread(target=work, args=(20000,), name="t%d" % k) for k in range(8)]
for t in ts: t.start()
for t in ts: t.join()
print("done")
""")
        s = self.assertSameAsPython("stress.py")
        self.assertGreater(s.events, 8 * 20000 * 5)
        r = smiley("export", self.last_run(), "-", "--format", "jsonl", "--database", self.db, env=self.env)
        calls = r.stdout.count(b'"kind":"call","thread"')
        self.assertGreaterEqual(calls, 8 * 20000)
        text = self.replay()
        for k in range(8):
            self.assertEqual(text.count("[t%d] stress.py:2: call>>> f" % k), 20000)

    def test_console_replay_and_record_agree(self):
        self.write("det.py", "def f(d):\n    for k, v in d.items():\n        yield k, v * 2\n"
                   "print(list(f({'a': 1, 'b': 2})))\ntry:\n    {}['x']\nexcept KeyError:\n    pass\n")
        live = smiley("run", "--sink", "console", "det.py", cwd=self.tmp, env=self.env).stderr.decode()
        self.traced("det.py")
        stored = self.replay()
        sock = "unix:" + os.path.join(self.tmp, "d.sock")
        db2 = os.path.join(self.tmp, "rec.db")
        rec = subprocess.Popen([SMILEY, "record", "--socket", sock, "--database", db2], cwd=self.tmp,
                               env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.assertIn(b"listening on", rec.stderr.readline())
        r = smiley("run", "--socket", sock, "det.py", cwd=self.tmp, env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        rec.send_signal(signal.SIGINT)
        rec.communicate(timeout=30)
        recorded = self.replay(None, "--database", db2)
        mask = lambda t: re.sub(r"0x[0-9a-f]+", "0x?", t)
        self.assertEqual(mask(live), mask(stored))
        self.assertEqual(mask(live), mask(recorded))
        self.assertIn("det.py:3: yield>>> ('a', 2)", live)
        self.assertIn("det.py:6: exception>>> KeyError: 'x'", live)


class RealProgramsTest(E2ETestCase):
    @unittest.skipUnless(os.path.exists("/usr/bin/meson"), "meson not installed")
    def test_meson_introspect(self):
        # A real installed Python application, traced with its package.
        build = os.path.abspath(os.environ.get("SMILEY_BUILD_ROOT", "build"))
        s = self.assertSameAsPython("/usr/bin/meson", "introspect", "--targets", "--buildoptions", build)
        self.assertIn(b'"name": "smiley"', s.stdout)
        self.assertGreater(s.events, 1000)
        run = self.last_run()
        r = smiley("stats", "show", run, "--database", self.db, "--sort", "name", env=self.env)
        self.assertIn(b"mesonbuild/", r.stdout)
        s = self.assertSameAsPython("/usr/bin/meson", "--version")

    def test_interpreter_environment_variables(self):
        self.write("opt.py", "assert False, 'asserts are on'\n")
        self.write("dev.py", "import sys, warnings\nprint(sys.flags.dev_mode, sys.flags.optimize, sys.warnoptions)\n"
                   "warnings.warn('w', DeprecationWarning)\nprint('after')\n")
        s = self.assertSameAsPython("opt.py", env=dict(self.env, PYTHONOPTIMIZE="1"))
        self.assertEqual(s.returncode, 0)
        s = self.assertSameAsPython("dev.py", env=dict(self.env, PYTHONDEVMODE="1"))
        self.assertIn(b"DeprecationWarning", s.stderr)
        s = self.assertSameAsPython("dev.py", env=dict(self.env, PYTHONWARNINGS="error"))
        self.assertEqual(s.returncode, 1)

    def test_terminal_ctrl_c_reaches_program_once(self):
        import pty
        import select
        self.write("cc.py", """\
import signal, time
n = 0
def h(s, f):
    global n
    n += 1
signal.signal(signal.SIGINT, h)
print("ready", flush=True)
t = time.time()
while time.time() - t < 1.5:
    time.sleep(0.05)
print("sigints", n, flush=True)
""")
        outs = []
        for argv in ([PYTHON, "cc.py"], [SMILEY, "run", "--database", self.db, "cc.py"]):
            pid, fd = pty.fork()
            if pid == 0:
                os.chdir(self.tmp)
                os.execve(argv[0], argv, self.env)
            out, sent, deadline = b"", False, time.time() + 20
            while time.time() < deadline:
                ready, _, _ = select.select([fd], [], [], 0.1)
                if ready:
                    try:
                        data = os.read(fd, 1000)
                    except OSError:
                        break
                    if not data:
                        break
                    out += data
                if b"ready" in out and not sent:
                    time.sleep(0.2)
                    os.write(fd, b"\x03")
                    sent = True
            _, status = os.waitpid(pid, 0)
            os.close(fd)
            outs.append((out, os.waitstatus_to_exitcode(status)))
        self.assertEqual(outs[0], outs[1])
        self.assertIn(b"sigints 1", outs[1][0])


class KilledTest(E2ETestCase):
    LONG = """\
import time
def f(i):
    return i
for j in range(30):
    for i in range(2000):
        f(i)
    time.sleep(0.03)
print("program finished", flush=True)
"""

    def test_smiley_killed_program_dies_too(self):
        # smiley stands for the program: killing it kills the program, as
        # killing python3 would, instead of leaving it running untraced.
        self.write("long.py", self.LONG)
        out = open(os.path.join(self.tmp, "out.txt"), "wb")
        p = subprocess.Popen([SMILEY, "run", "--database", self.db, "long.py"], cwd=self.tmp, env=self.env,
                             stdout=out, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        p.kill()
        p.wait()
        out.close()
        time.sleep(3)
        with open(os.path.join(self.tmp, "out.txt"), "rb") as f:
            self.assertEqual(f.read(), b"")
        run = self.last_run()
        self.assertIn("not finished", self.replay(run))
        r = smiley("stats", "show", run, "--database", self.db, env=self.env)
        self.assertOneLineError(r, 1, "no profile statistics")

    def test_listener_killed(self):
        self.write("long.py", self.LONG)
        sock = "unix:" + os.path.join(self.tmp, "l.sock")
        rec = subprocess.Popen([SMILEY, "record", "--socket", sock, "--database", self.db], cwd=self.tmp,
                               env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.assertIn(b"listening on", rec.stderr.readline())
        p = subprocess.Popen([SMILEY, "run", "--socket", sock, "long.py"], cwd=self.tmp, env=self.env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(0.5)
        rec.kill()
        rec.wait()
        rec.stderr.close()
        out, err = p.communicate(timeout=30)
        self.assertEqual(out, b"program finished\n")
        self.assertEqual(p.returncode, 1)
        self.assertEqual(len(err.splitlines()), 1, err)
        # The ring was handed to the listener, so the tracer stopped with it.
        self.assertIn(b"stopped taking run", err)
        self.assertIn(b"went on untraced", err)
        # A new listener takes over the stale socket.
        rec = subprocess.Popen([SMILEY, "record", "--socket", sock, "--database", self.db], cwd=self.tmp,
                               env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.assertIn(b"listening on", rec.stderr.readline())
        second = smiley("monitor", "--socket", sock, env=self.env, timeout=15)
        self.assertOneLineError(second, 1, "already listening")
        self.write("h.py", HELLO)
        r = smiley("run", "--socket", sock, "h.py", cwd=self.tmp, env=self.env)
        self.assertEqual((r.returncode, r.stdout), (0, b"3\n"), r.stderr)
        rec.send_signal(signal.SIGTERM)
        rec.communicate(timeout=30)
        self.assertEqual(rec.returncode, 0)
        self.assertIn("return>>> 3", self.replay())


if __name__ == "__main__":
    unittest.main(verbosity=2)
