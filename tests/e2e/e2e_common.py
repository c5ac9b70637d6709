# Helpers shared by the e2e tests: run the real build/smiley and Debian's
# python3 on the same program and compare what a user would see.
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

BUILD = os.environ.get("SMILEY_BUILD_ROOT", os.path.join(os.path.dirname(__file__), "..", "..", "build"))
SMILEY = os.path.join(BUILD, "smiley")
PYTHON = os.environ.get("SMILEY_PYTHON", "/usr/bin/python3")
SUMMARY = re.compile(rb"smiley: (\d+) events emitted, (\d+) events recorded\n?")


def clean_env(extra=None, tmp=None):
    """The environment of a user's shell: no pyenv, no virtualenv, no
    PYTHON* variables, and (when tmp is given) a private runtime dir so the
    default socket is ours alone."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PYTHON") and k not in ("VIRTUAL_ENV", "PYENV_VERSION")}
    env["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    env["LC_ALL"] = "C.UTF-8"
    if tmp is not None:
        env["XDG_RUNTIME_DIR"] = tmp
    if extra:
        env.update(extra)
    return env


def smiley(*args, cwd=None, env=None, input=None, timeout=45, stdin=None):
    kw = {"stdin": stdin} if stdin is not None else {"input": input if input is not None else b""}
    return subprocess.run([SMILEY, *args], cwd=cwd, env=env if env is not None else clean_env(),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout, **kw)


def python(*args, cwd=None, env=None, input=b"", timeout=45):
    return subprocess.run([PYTHON, *args], cwd=cwd, env=env if env is not None else clean_env(),
                          input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)


class E2ETestCase(unittest.TestCase):
    maxDiff = 4000

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="smiley-e2e-")
        self.env = clean_env(tmp=self.tmp)
        self.db = os.path.join(self.tmp, "runs.db")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def write(self, name, text, mode="w"):
        path = os.path.join(self.tmp, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, mode) as f:
            f.write(text)
        return path

    def traced(self, *args, cwd=None, env=None, input=b"", opts=(), timeout=45):
        """Run under smiley into self.db with --stats-summary; return the
        result with the summary line taken out of stderr and checked."""
        r = smiley("run", "--database", self.db, "--stats-summary", *opts, *args,
                   cwd=cwd or self.tmp, env=env or self.env, input=input, timeout=timeout)
        m = list(SUMMARY.finditer(r.stderr))
        self.assertTrue(m, "no --stats-summary line in %r" % r.stderr[-500:])
        emitted, recorded = int(m[-1].group(1)), int(m[-1].group(2))
        self.assertEqual(emitted, recorded, "events were lost")
        r.events = recorded
        r.stderr = r.stderr[:m[-1].start()] + r.stderr[m[-1].end():]
        return r

    def assertSameAsPython(self, *args, cwd=None, env=None, input=b"", opts=(), mask=None, timeout=45):
        """Same stdout and stderr bytes and exit status as Debian's python3."""
        p = python(*args, cwd=cwd or self.tmp, env=env or self.env, input=input)
        s = self.traced(*args, cwd=cwd, env=env, input=input, opts=opts, timeout=timeout)
        pout, perr, sout, serr = p.stdout, p.stderr, s.stdout, s.stderr
        if mask is not None:
            pout, perr, sout, serr = (re.sub(mask, b"<masked>", x) for x in (pout, perr, sout, serr))
        self.assertEqual(sout, pout)
        self.assertEqual(serr, perr)
        # A shell shows 128+N for a program killed by signal N; so does smiley run.
        want = p.returncode if p.returncode >= 0 else 128 - p.returncode
        self.assertEqual(s.returncode, want)
        return s

    def run_ids(self, *store):
        r = smiley("list", "--format", "csv", *(store or ("--database", self.db)), env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        return [line.split(",")[0] for line in r.stdout.decode().splitlines()[1:]]

    def last_run(self, *store):
        ids = self.run_ids(*store)
        self.assertTrue(ids)
        return ids[0]

    def replay(self, run=None, *store):
        store = store or ("--database", self.db)
        r = smiley("replay", run or self.last_run(*store), *store, env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.decode("utf-8", "replace")

    # unittest's own messages print the whole container: a replayed run can
    # be megabytes. Show its length and the neighbourhood instead.
    def assertIn(self, member, container, msg=None):
        if member not in container:
            self.fail(msg or "%r not in %s (%d long; starts %r)" % (
                member, type(container).__name__, len(container), container[:600]))

    def assertNotIn(self, member, container, msg=None):
        if member in container:
            i = container.index(member)
            self.fail(msg or "%r unexpectedly at %d: %r" % (member, i, container[max(0, i - 300):i + 300]))

    def assertOneLineError(self, r, status, *fragments):
        self.assertEqual(r.returncode, status, (r.stdout, r.stderr))
        err = r.stderr.decode("utf-8", "replace")
        lines = err.splitlines()
        self.assertTrue(lines, "no error message")
        self.assertTrue(lines[0].startswith("smiley"), err)
        if status == 2:
            self.assertLessEqual(len(lines), 2, err)
        else:
            self.assertEqual(len(lines), 1, err)
        self.assertNotIn("Traceback", err)
        self.assertNotIn("CRITICAL", err)
        for f in fragments:
            self.assertIn(f, lines[0])
