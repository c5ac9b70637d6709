# A traced program behaves exactly as under Debian's /usr/bin/python3:
# same stdout and stderr bytes, exit status, argv, sys.path[0], __main__,
# stdin; and every event emitted is recorded. Real stdlib tools and small
# programs of the kinds users write.
import os
import re
import signal
import subprocess
import sys
import tarfile
import unittest
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_common import E2ETestCase, PYTHON, smiley, python  # noqa: E402

HELLO = """\
import sys
def add(a, b):
    total = a + b
    return total
print(add(1, 2), sys.argv, sys.path[0], __name__, __file__)
"""


class StdlibToolsTest(E2ETestCase):
    def test_json_tool_stdin(self):
        s = self.assertSameAsPython("-m", "json.tool", input=b'{"a": [1, 2, {"b": null}], "\xc3\xa9": 1.5}')
        self.assertIn(b'"b": null', s.stdout)
        self.assertGreater(s.events, 0)

    def test_json_tool_bad_input(self):
        s = self.assertSameAsPython("-m", "json.tool", input=b"{not json")
        self.assertEqual(s.returncode, 1)
        self.assertIn(b"Expecting property name", s.stderr)

    def test_calendar(self):
        s = self.assertSameAsPython("-m", "calendar", "2024", "2")
        self.assertIn(b"February 2024", s.stdout)

    def test_tabnanny(self):
        self.write("ok.py", HELLO)
        self.write("bad.py", "if True:\n\tx = 1\n        y = 2\n")
        s = self.assertSameAsPython("-m", "tabnanny", "ok.py", "bad.py")
        self.assertIn(b"bad.py", s.stdout + s.stderr)

    def test_zipfile_and_tarfile_list(self):
        self.write("a.txt", "alpha\n")
        self.write("sub dir/b.txt", "beta\n")
        with zipfile.ZipFile(os.path.join(self.tmp, "a.zip"), "w") as z:
            z.write(os.path.join(self.tmp, "a.txt"), "a.txt")
            z.write(os.path.join(self.tmp, "sub dir/b.txt"), "sub dir/b.txt")
        with tarfile.open(os.path.join(self.tmp, "a.tar"), "w") as t:
            t.add(os.path.join(self.tmp, "a.txt"), "a.txt")
        s = self.assertSameAsPython("-m", "zipfile", "-l", "a.zip")
        self.assertIn(b"sub dir/b.txt", s.stdout)
        s = self.assertSameAsPython("-m", "tarfile", "-l", "a.tar")
        self.assertIn(b"a.txt", s.stdout)
        s = self.assertSameAsPython("-m", "zipfile", "-l", "missing.zip")
        self.assertNotEqual(s.returncode, 0)

    def test_py_compile(self):
        self.write("ok.py", HELLO)
        self.write("syntax.py", "def f(:\n")
        self.assertSameAsPython("-m", "py_compile", "ok.py")
        s = self.assertSameAsPython("-m", "py_compile", "syntax.py")
        self.assertEqual(s.returncode, 1)
        s = self.assertSameAsPython("-m", "py_compile", "nonexistent.py")
        self.assertEqual(s.returncode, 1)

    def test_timeit(self):
        # One repeat: with several, timeit warns "results are likely unreliable"
        # whenever a loaded machine makes one repeat 4x slower than another.
        s = self.assertSameAsPython("-m", "timeit", "-n", "100", "-r", "1", "x=1", mask=rb"[0-9.]+ [num]?sec")
        self.assertIn(b"100 loops", s.stdout)

    def test_unittest_discovery(self):
        self.write("tests/test_x.py", """\
import unittest
class T(unittest.TestCase):
    def test_ok(self):
        self.assertEqual(1 + 1, 2)
    def test_fail(self):
        self.assertEqual([1, 2], [1, 3])
    @unittest.skip("not today")
    def test_skip(self):
        pass
    def test_error(self):
        raise KeyError("k")
""")
        s = self.assertSameAsPython("-m", "unittest", "discover", "-s", "tests", "-v",
                                    mask=rb"in [0-9.]+s")
        self.assertEqual(s.returncode, 1)
        self.assertIn(b"FAILED (failures=1, errors=1, skipped=1)", s.stderr)
        # The test module itself is user code: traced.
        self.assertIn("test_x.py", self.replay())

    def test_doctest_file(self):
        self.write("doc.txt", """\
>>> 1 + 1
2
>>> sorted({3, 1, 2})
[1, 2, 3]
>>> print("wrong")
right
""")
        s = self.assertSameAsPython("-m", "doctest", "doc.txt")
        self.assertEqual(s.returncode, 1)
        self.assertIn(b"1 of   3 in doc.txt", s.stdout)

    @unittest.skipUnless(os.path.exists("/usr/lib/python3.11/test/test_bisect.py"),
                         "libpython3.11-testsuite not installed")
    def test_regrtest(self):
        s = self.assertSameAsPython("-m", "test", "test_bisect", "test_textwrap", "test_heapq",
                                    mask=rb"(\d+:\d+:\d+ load avg: [0-9.]+ )|(duration: .*)|(\[\d+/\d+\] )|(\d+ (ms|sec))")
        self.assertEqual(s.returncode, 0)
        self.assertIn(b"Tests result: SUCCESS", s.stdout)


class LanguageTest(E2ETestCase):
    def test_asyncio(self):
        self.write("aio.py", """\
import asyncio
async def agen(n):
    for i in range(n):
        await asyncio.sleep(0)
        yield i
async def work(x):
    await asyncio.sleep(0.01)
    return x * 2
async def main():
    r = await asyncio.gather(*(work(i) for i in range(5)))
    t = asyncio.create_task(work(10))
    s = [v async for v in agen(3)]
    try:
        await asyncio.wait_for(asyncio.sleep(1), 0.01)
    except asyncio.TimeoutError:
        print("timeout")
    print(r, await t, s)
asyncio.run(main())
""")
        s = self.assertSameAsPython("aio.py")
        self.assertEqual(s.stdout, b"timeout\n[0, 2, 4, 6, 8] 20 [0, 1, 2]\n")
        text = self.replay()
        self.assertIn("call>>> work", text)
        self.assertIn("return>>> 20", text)

    def test_recursion(self):
        self.write("rec.py", """\
import sys
depth = 0
def f(n):
    global depth
    depth = n
    return f(n + 1)
try:
    f(0)
except RecursionError as e:
    print("depth", depth, e)
sys.setrecursionlimit(5000)
def g(n):
    return 0 if n == 0 else 1 + g(n - 1)
print(g(4000))
""")
        s = self.assertSameAsPython("rec.py")
        self.assertIn(b"maximum recursion depth exceeded", s.stdout)
        self.assertIn(b"4000\n", s.stdout)

    def test_generators(self):
        self.write("gen.py", """\
def inner():
    x = yield 1
    yield x
    return "done"
def outer():
    r = yield from inner()
    yield r
g = outer()
print(next(g), g.send(42), next(g))
try:
    next(g)
except StopIteration as e:
    print("stop", e.value)
def closing():
    try:
        yield 1
    finally:
        print("closed")
h = closing(); next(h); h.close()
def thrown():
    yield 1
k = thrown(); next(k)
try:
    k.throw(ValueError("x"))
except ValueError as e:
    print("thrown", e)
""")
        s = self.assertSameAsPython("gen.py")
        self.assertEqual(s.stdout, b"1 42 done\nstop None\nclosed\nthrown x\n")
        text = self.replay()
        self.assertIn("yield>>> 42", text)
        self.assertIn("exception>>> ValueError: x", text)

    def test_hostile_reprs_and_del(self):
        self.write("reprs.py", """\
import sys
class Raises:
    def __repr__(self): raise RuntimeError("no repr")
class Recurse:
    def __repr__(self): return repr(self)
class NonStr:
    def __repr__(self): return 42
class Exits:
    def __repr__(self): sys.exit(3)
class Big:
    def __repr__(self): return "x" * 10_000_000
def use(a, b, c, d, e):
    z = a
    return z
print(use(Raises(), Recurse(), NonStr(), Exits(), Big()) is not None)
class D:
    def __del__(self): raise ValueError("in del")
x = D(); del x
print("after del")
""")
        s = self.assertSameAsPython("reprs.py", mask=rb"0x[0-9a-f]+")
        self.assertEqual(s.stdout, b"True\nafter del\n")
        self.assertIn(b"Exception ignored in", s.stderr)
        text = self.replay()
        self.assertIn("a = <repr failed: RuntimeError>", text)
        self.assertIn("b = <repr failed: RecursionError>", text)
        self.assertIn("c = <repr failed: TypeError>", text)
        self.assertIn("d = <repr failed: SystemExit>", text)
        big = [l for l in text.splitlines() if l.startswith("    e = ")]
        self.assertEqual(len(big), 1)
        self.assertLess(len(big[0]), 1000)
        self.assertIn("exception>>> ValueError: in del", text)

    def test_huge_locals(self):
        self.write("huge.py", """\
def f():
    s = "a" * 10_000_000
    l = list(range(1_000_000))
    b = bytes(10_000_000)
    for i in range(3):
        s = s + "b"
        l.append(i)
    return len(s) + len(l) + len(b)
print(f())
""")
        s = self.assertSameAsPython("huge.py")
        self.assertEqual(s.stdout, b"21000006\n")
        self.assertLess(os.path.getsize(self.db), 5_000_000)
        text = self.replay()
        self.assertIn("return>>> 21000006", text)
        self.assertTrue(all(len(l) < 2000 for l in text.splitlines()))

    def test_threads_invisible(self):
        self.write("thr.py", """\
import threading, concurrent.futures, sys, atexit
def w(n):
    s = 0
    for i in range(n):
        s += i
    return s
ts = [threading.Thread(target=w, args=(200,), name="worker-%d" % i) for i in range(3)]
for t in ts: t.start()
for t in ts: t.join()
print(sorted(t.name for t in threading.enumerate()), threading.active_count())
with concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="pool") as ex:
    print(list(ex.map(w, [10, 20, 30])))
print(threading.active_count(), threading.current_thread().name, sys.gettrace(), sys.getprofile())
atexit.register(lambda: print("atexit ran"))
""")
        s = self.assertSameAsPython("thr.py")
        self.assertEqual(s.stdout, b"['MainThread'] 1\n[45, 190, 435]\n1 MainThread None None\natexit ran\n")
        text = self.replay()
        for name in ("worker-0", "worker-1", "worker-2"):
            self.assertIn("[%s] " % name, text)
        self.assertRegex(text, r"\[pool_\d\] ")

    def test_multiprocessing_fork_and_subprocess(self):
        self.write("mp.py", """\
import multiprocessing as mp, os, sys, subprocess
def sq(x):
    y = x * x
    return y
if __name__ == "__main__":
    mp.set_start_method("fork")
    with mp.Pool(2) as p:
        print(p.map(sq, range(5)))
    pr = mp.Process(target=sq, args=(3,)); pr.start(); pr.join(); print("exitcode", pr.exitcode)
    pid = os.fork()
    if pid == 0:
        print("child", sq(7)); sys.stdout.flush(); os._exit(5)
    _, st = os.waitpid(pid, 0); print("child status", os.waitstatus_to_exitcode(st))
    out = subprocess.run([sys.executable, "-c", "import sys; print('sub', sys.argv)"],
                         capture_output=True, text=True)
    print(out.stdout, end=""); print(sys.executable)
""")
        s = self.assertSameAsPython("mp.py")
        # stdout is a pipe, so the children inherit unflushed output, as
        # under python3 (compared byte for byte above).
        self.assertIn(b"child 49\n", s.stdout)
        self.assertTrue(s.stdout.endswith(b"child status 5\nsub ['-c']\n/usr/bin/python3\n"), s.stdout)
        text = self.replay()
        # Every sq() call in every process was recorded.
        self.assertEqual(text.count("call>>> sq"), 7, text)
        self.assertIn("return>>> 49", text)

    def test_os_exit_keeps_events(self):
        self.write("oexit.py", """\
import os, sys
def f(i):
    return i * 2
for i in range(1000):
    f(i)
print("bye", flush=True)
os._exit(7)
""")
        s = self.assertSameAsPython("oexit.py")
        self.assertEqual(s.returncode, 7)
        text = self.replay()
        self.assertEqual(text.count("call>>> f"), 1000)
        self.assertIn("return>>> 1998", text)
        r = smiley("list", "--database", self.db, env=self.env)
        self.assertIn(b"exit status 7", r.stdout)

    def test_uncaught_exception(self):
        self.write("boom.py", "def f():\n    raise RuntimeError('boom')\nf()\n")
        s = self.assertSameAsPython("boom.py")
        self.assertEqual(s.returncode, 1)
        self.assertIn("Finished run: RuntimeError: boom", self.replay())
        r = smiley("list", "--errors", "--database", self.db, env=self.env)
        self.assertIn(b"RuntimeError", r.stdout)

    def test_sys_exit_codes(self):
        for code, want in (("3", 3), ("'message'", 1), ("None", 0)):
            self.write("ex.py", "import sys\nsys.exit(%s)\n" % code)
            s = self.assertSameAsPython("ex.py")
            self.assertEqual(s.returncode, want)


SIG = """\
import os, signal, sys, time
def f(i):
    return i
for i in range(100):
    f(i)
print("ready", flush=True)
mode = sys.argv[1]
if mode == "handler":
    signal.signal(signal.SIGTERM, lambda s, fr: (print("got", s), sys.exit(3)))
    os.kill(os.getpid(), signal.SIGTERM)
elif mode == "wait":
    time.sleep(30)
else:
    os.kill(os.getpid(), getattr(signal, mode))
time.sleep(2)
print("not reached")
"""


class SignalTest(E2ETestCase):
    def test_self_signals(self):
        self.write("sig.py", SIG)
        for mode, status in (("SIGTERM", 143), ("SIGINT", 130), ("SIGKILL", 137),
                             ("SIGSEGV", 139), ("handler", 3)):
            with self.subTest(mode=mode):
                s = self.assertSameAsPython("sig.py", mode)
                self.assertEqual(s.returncode, status)
                self.assertEqual(self.replay().count("call>>> f"), 100)
        listing = smiley("list", "--database", self.db, env=self.env).stdout.decode()
        self.assertIn("killed by signal 9 (Killed)", listing)
        self.assertIn("KeyboardInterrupt", listing)

    def _background(self, sig):
        self.write("sig.py", SIG)
        p = subprocess.Popen([os.environ.get("SMILEY_BUILD_ROOT", "build") + "/smiley", "run",
                              "--database", self.db, "sig.py", "wait"],
                             cwd=self.tmp, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.assertEqual(p.stdout.readline(), b"ready\n")
        p.send_signal(sig)
        out, err = p.communicate(timeout=30)
        return p.returncode, err

    def test_sigterm_to_smiley_reaches_program(self):
        status, err = self._background(signal.SIGTERM)
        self.assertEqual(status, 143)
        self.assertEqual(err, b"")
        listing = smiley("list", "--database", self.db, env=self.env).stdout.decode()
        self.assertIn("killed by signal 15 (Terminated)", listing)
        self.assertEqual(self.replay().count("call>>> f"), 100)

    def test_sigint_to_smiley_is_ctrl_c_for_program(self):
        status, err = self._background(signal.SIGINT)
        self.assertEqual(status, 130)
        self.assertIn(b"KeyboardInterrupt", err)
        self.assertIn("KeyboardInterrupt", smiley("list", "--database", self.db, env=self.env).stdout.decode())


class IOTest(E2ETestCase):
    INTER = """\
import sys
while True:
    try:
        line = input("> ")
    except EOFError:
        print("eof")
        break
    print("echo", line.upper())
sys.stdout.flush()
sys.stdout.buffer.write(bytes(range(256)) * 4)
sys.stderr.buffer.write(b"\\xff\\xfe err \\x00\\n")
"""

    def test_stdin_and_binary_output(self):
        self.write("inter.py", self.INTER)
        s = self.assertSameAsPython("inter.py", input=b"abc\nd\xe9f\n\nlast")
        self.assertTrue(s.stdout.endswith(bytes(range(256)) * 4))
        self.assertIn(b"echo LAST", s.stdout)

    def test_interactive_pipe(self):
        self.write("inter.py", self.INTER)
        p = subprocess.Popen([os.environ.get("SMILEY_BUILD_ROOT", "build") + "/smiley", "run",
                              "--database", self.db, "inter.py"], cwd=self.tmp, env=self.env,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        got = b""
        for word in (b"one", b"two"):
            p.stdin.write(word + b"\n")
            p.stdin.flush()
            # The answer comes while stdin is still open: nothing buffers it.
            while b"echo " + word.upper() not in got:
                chunk = p.stdout.read1(4096)
                self.assertTrue(chunk, got)
                got += chunk
        p.stdin.close()
        rest = p.stdout.read()
        err = p.stderr.read()
        p.stdout.close()
        p.stderr.close()
        p.wait(timeout=30)
        self.assertEqual(p.returncode, 0, err)
        self.assertTrue((got + rest).startswith(b"> echo ONE\n> echo TWO\n> eof\n"))


class PathsTest(E2ETestCase):
    def test_spaces_and_unicode(self):
        self.write("dir with spaces/my script \u00e9.py", HELLO)
        s = self.assertSameAsPython("dir with spaces/my script \u00e9.py", "arg with space", "", "\u00fc")
        self.assertIn("dir with spaces".encode(), s.stdout)
        self.assertIn("call>>> add", self.replay())

    def test_coding_cookie(self):
        self.write("latin.py", b'# -*- coding: latin-1 -*-\ns = "caf\xe9"\ndef g(v):\n'
                   b'    w = v + "\xe0"\n    return w\nprint(g(s).encode("utf-8"))\n', "wb")
        s = self.assertSameAsPython("latin.py")
        self.assertEqual(s.stdout, b"b'caf\\xc3\\xa9\\xc3\\xa0'\n")
        text = self.replay()
        self.assertIn("return>>> 'caf\u00e9\u00e0'", text)

    def test_relative_paths(self):
        self.write("app/hello.py", HELLO)
        os.makedirs(os.path.join(self.tmp, "other"))
        s = self.assertSameAsPython("../app/hello.py", "x", cwd=os.path.join(self.tmp, "other"))
        self.assertIn(b"['../app/hello.py', 'x']", s.stdout)
        s = self.assertSameAsPython("app/hello.py")
        self.assertIn(os.path.join(self.tmp, "app").encode(), s.stdout)

    def test_zipapp(self):
        self.write("zapp/__main__.py", "import sys\ndef main():\n    v = sys.argv\n"
                   "    print('zipapp', v, sys.path[0], __name__)\nmain()\n")
        r = python("-m", "zipapp", "zapp", "-o", "app.pyz", cwd=self.tmp, env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        s = self.assertSameAsPython("app.pyz", "q")
        self.assertIn(b"zipapp ['app.pyz', 'q']", s.stdout)
        self.assertIn("call>>> main", self.replay())

    def test_package_main_and_pythonpath(self):
        self.write("pkgdir/mypkg/__init__.py", "")
        self.write("pkgdir/mypkg/util.py", "def f(x):\n    return x * 3\n")
        self.write("pkgdir/mypkg/__main__.py", "import sys\nfrom . import util\n"
                   "print('pkg', __name__, __package__, sys.argv, util.f(2), sys.path[0])\n")
        s = self.assertSameAsPython("-m", "mypkg", "z", cwd=os.path.join(self.tmp, "pkgdir"))
        self.assertIn(b"pkg __main__ mypkg", s.stdout)
        env = dict(self.env, PYTHONPATH=os.path.join(self.tmp, "pkgdir"))
        s = self.assertSameAsPython("-m", "mypkg", "y", env=env)
        self.assertIn(b"'y'] 6 " + self.tmp.encode(), s.stdout)
        self.assertIn("return>>> 6", self.replay())
        s = self.assertSameAsPython("-m", "nonexistent_module_xyz")
        self.assertEqual(s.returncode, 1)
        s = self.assertSameAsPython("nonexistent.py")
        self.assertEqual(s.returncode, 2)

    def test_virtualenv(self):
        r = python("-m", "venv", "--without-pip", "venv", cwd=self.tmp, env=self.env, timeout=50)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.write("venv/lib/python3.11/site-packages/vpkg/__init__.py",
                   "def vf(a):\n    b = a * 2\n    return b\n")
        self.write("vmain.py", "import sys, vpkg\nprint(sys.prefix, sys.executable, vpkg.vf(4))\n")
        venv = os.path.join(self.tmp, "venv")
        env = dict(self.env, VIRTUAL_ENV=venv, PATH=venv + "/bin:" + self.env["PATH"])
        want = subprocess.run([venv + "/bin/python3", "vmain.py"], cwd=self.tmp, env=env,
                              capture_output=True)
        s = self.traced("vmain.py", env=env)
        self.assertEqual(s.stdout, want.stdout)
        self.assertEqual(s.stdout, ("%s %s/bin/python3 8\n" % (venv, venv)).encode())
        self.assertIn("return>>> 8", self.replay())
        self.traced("vmain.py", env=env, opts=("--no-include-site-packages",))
        self.assertNotIn("call>>> vf", self.replay())
        self.traced("vmain.py", env=env, opts=("--no-include-site-packages", "--include-package", "vpkg"))
        self.assertIn("call>>> vf", self.replay())
        self.traced("vmain.py", env=env, opts=("--exclude", "vpkg"))
        self.assertNotIn("call>>> vf", self.replay())


class FiltersTest(E2ETestCase):
    def test_stdlib_filters(self):
        self.write("js.py", "import json\ndef f():\n    return json.dumps([1, 2])\nprint(f())\n")
        s = self.traced("js.py")
        self.assertNotIn("json/encoder.py:", self.replay())
        s = self.traced("js.py", opts=("--include-stdlib",))
        text = self.replay()
        self.assertIn("json/encoder.py", text)
        self.assertIn("call>>> JSONEncoder.encode", text)
        self.traced("js.py", opts=("--include-stdlib", "--exclude", "json", "--exclude", "json.*"))
        text = self.replay()
        self.assertNotIn("/json/encoder.py:", text)
        self.assertNotIn("/json/__init__.py:", text)
        self.assertIn("call>>> f", text)
        self.traced("js.py", opts=("--exclude", "*/js.py"))
        self.assertNotIn("call>>> f", self.replay())

    def test_profile_only(self):
        self.write("p.py", "def f(i):\n    return i\nfor i in range(50):\n    f(i)\n")
        self.traced("p.py", opts=("--profile-only",))
        run = self.last_run()
        replay = self.replay(run)
        # Calls and returns, but neither lines nor values.
        self.assertEqual(replay.count("call>>> f"), 50)
        self.assertNotIn("return i", replay)
        self.assertNotIn("return>>> 0", replay)
        r = smiley("stats", "show", run, "--database", self.db, "--sort", "ncalls", env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout.decode(), r"\n\s+50\s.*\bf\s+p\.py\s+1\n")


# 40000 distinct functions, each called once.
MANY_FUNCTIONS = """\
import sys
N = 40000
source = "".join("def function_number_%05d(x):\\n    return x + %d\\n" % (i, i) for i in range(N))
namespace = {}
exec(compile(source, "generated_functions.py", "exec"), namespace)
total = 0
for i in range(N):
    total += namespace["function_number_%05d" % i](1)
print("called", N, "functions, total", total)
sys.exit(3)
"""


class ProfileTest(E2ETestCase):
    def test_stats_frame_larger_than_one_loan(self):
        # The profile of 40000 functions is a STATS frame of about 2.5 MB,
        # more than the 1 MiB the tracer's source lends the frame reader
        # from the ring at a time: it is only decoded once the source
        # lends all that is readable (and under half the 8 MiB ring, the
        # most the tracer writes). A reader stuck on it would hang, one
        # that gave up would lose the stats.
        self.write("many.py", MANY_FUNCTIONS)
        s = self.assertSameAsPython("many.py", opts=("--local",), timeout=30)
        self.assertEqual(s.returncode, 3)
        self.assertIn(b"called 40000 functions", s.stdout)
        r = smiley("stats", "show", self.last_run(), "--database", self.db, "--sort", "name", env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout.decode()
        self.assertEqual(len(re.findall(r"\bfunction_number_\d{5}\b", out)), 40000)
        self.assertRegex(out, r"\n\s+1\s.*\bfunction_number_39999\s+generated_functions\.py\s+79999\n")


if __name__ == "__main__":
    unittest.main(verbosity=2)
