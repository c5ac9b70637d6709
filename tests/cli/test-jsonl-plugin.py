#!/usr/bin/python3
"""The example third-party plugin (subprojects/smiley-jsonl), built the way
a third party builds it: against an installed smiley only.

Installs the current build into a temporary DESTDIR, points pkg-config at
its smiley-1.pc (with the prefix rewritten to the DESTDIR), builds the
example with meson, loads it through SMILEY_PLUGIN_PATH and runs pipelines
through its "jsonl" sink.
"""

import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

BUILD = os.environ["SMILEY_BUILD_ROOT"]
SOURCE = os.environ["SMILEY_SOURCE_ROOT"]
SMILEY = os.path.join(BUILD, "smiley")
FILL = os.path.join(BUILD, "tests", "cli", "fill-store")
MESON = shutil.which("meson")


def check(args, **kwargs):
    r = subprocess.run(args, capture_output=True, text=True, **kwargs)
    if r.returncode != 0:
        raise AssertionError("%s failed (%d):\n%s\n%s" % (" ".join(args), r.returncode, r.stdout, r.stderr))
    return r


@unittest.skipIf(MESON is None, "meson not found")
class JsonlPluginTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="smiley-jsonl-")
        dest = os.path.join(cls.tmp, "dest")
        check([MESON, "install", "-C", BUILD, "--destdir", dest, "--no-rebuild", "--quiet"])

        pcs = glob.glob(os.path.join(dest, "**", "pkgconfig", "smiley-1.pc"), recursive=True)
        assert len(pcs) == 1, pcs
        with open(pcs[0]) as f:
            pc = f.read().splitlines()
        pcdir = os.path.join(cls.tmp, "pkgconfig")
        os.mkdir(pcdir)
        with open(os.path.join(pcdir, "smiley-1.pc"), "w") as f:
            for line in pc:
                if line.startswith("prefix="):
                    line = "prefix=" + dest + line[len("prefix="):]
                f.write(line + "\n")

        env = dict(os.environ)
        env["PKG_CONFIG_PATH"] = pcdir
        cls.plugin_build = os.path.join(cls.tmp, "build")
        check([MESON, "setup", "-Dwerror=true", cls.plugin_build, os.path.join(SOURCE, "subprojects", "smiley-jsonl")], env=env)
        check([MESON, "compile", "-C", cls.plugin_build], env=env)
        cls.plugin = os.path.join(cls.plugin_build, "smiley-jsonl.so")
        assert os.path.exists(cls.plugin)

        cls.env = dict(os.environ)
        cls.env["SMILEY_PLUGIN_PATH"] = cls.plugin_build
        cls.env["XDG_CONFIG_HOME"] = os.path.join(cls.tmp, "config")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def smiley(self, *args, cwd=None):
        return subprocess.run([SMILEY, *args], capture_output=True, text=True, env=self.env, cwd=cwd,
                              timeout=60)

    def read_jsonl(self, path):
        with open(path) as f:
            return [json.loads(line) for line in f]

    def test_built_against_installed_headers(self):
        # The compile commands name the DESTDIR's headers, not the source tree's.
        with open(os.path.join(self.plugin_build, "compile_commands.json")) as f:
            commands = json.load(f)
        joined = " ".join(c["command"] for c in commands)
        self.assertIn(os.path.join(self.tmp, "dest"), joined)
        self.assertNotIn(os.path.join(SOURCE, "core"), joined)

    def test_listed_by_plugins(self):
        r = self.smiley("plugins")
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = [line.split(None, 3) for line in r.stdout.splitlines()[1:]]
        jsonl = [row for row in rows if row[:2] == ["sink", "jsonl"]]
        self.assertEqual(len(jsonl), 1, r.stdout)
        self.assertEqual(jsonl[0][2], self.plugin)
        self.assertIn("example plugin", jsonl[0][3])
        self.assertEqual(r.stderr, "")

    def test_replay_into_jsonl(self):
        db = os.path.join(self.tmp, "runs.db")
        out = os.path.join(self.tmp, "replay.jsonl")
        run_id = check([FILL, "sqlite:" + db, "--threads", "--error"]).stdout.strip()
        r = self.smiley("replay", "--database", db, "--sink", "jsonl", "--set", "output=" + out, run_id)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "")
        records = self.read_jsonl(out)
        self.assertEqual(records[0]["type"], "run-begin")
        self.assertEqual(records[0]["run"], run_id)
        self.assertEqual(records[0]["argv"], ["test.py", "-t"])
        self.assertEqual(records[-1]["type"], "run-end")
        self.assertEqual(records[-1]["error"], "RuntimeError: boom")
        self.assertEqual(records[-1]["exit_status"], 1)
        events = [r for r in records if r["type"] == "event"]
        self.assertEqual(len(events), 13)
        self.assertEqual(len(records), 15)
        add_call = events[2]
        self.assertEqual(add_call["kind"], "call")
        self.assertEqual(add_call["function"], "add")
        self.assertEqual(add_call["file"], "/tmp/proj/test.py")
        self.assertEqual(add_call["line"], 3)
        self.assertEqual(add_call["locals"], {"a": "1", "b": "2"})
        self.assertEqual(add_call["thread_name"], "MainThread")
        worker = [e for e in events if e["thread"] == 2]
        self.assertEqual([e["thread_name"] for e in worker], ["worker-1", "worker-1"])
        deleted = [e for e in events if e["locals"] == {"x": None}]
        self.assertEqual(len(deleted), 1)
        exc = [e for e in events if e["kind"] == "exception"]
        self.assertEqual(exc[0]["arg"], "ValueError: bad")

    def test_unwritable_output(self):
        db = os.path.join(self.tmp, "runs2.db")
        run_id = check([FILL, "sqlite:" + db]).stdout.strip()
        r = self.smiley("replay", "--database", db, "--sink", "jsonl", "--set", "output=/nonexistent/x.jsonl",
                        run_id)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, "smiley replay: cannot write /nonexistent/x.jsonl: No such file or directory\n")
        r = self.smiley("replay", "--database", db, "--sink", "jsonl", run_id)
        self.assertEqual(r.returncode, 1)
        self.assertIn("needs a file", r.stderr)

    def test_run_into_jsonl(self):
        if "python" not in self.smiley("plugins").stdout.split():
            self.skipTest("tracer plugin not built")
        prog = os.path.join(self.tmp, "prog.py")
        out = os.path.join(self.tmp, "run.jsonl")
        with open(prog, "w") as f:
            f.write("def double(n):\n    return n * 2\n\nprint(double(21))\n")
        r = self.smiley("run", "--sink", "jsonl", "--output", out, prog, cwd=self.tmp)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "42\n")
        records = self.read_jsonl(out)
        self.assertEqual(records[0]["type"], "run-begin")
        self.assertEqual(records[-1]["type"], "run-end")
        self.assertEqual(records[-1]["status"], "exit status 0")
        returns = [r for r in records if r["type"] == "event" and r["kind"] == "return"
                   and r["function"] == "double"]
        self.assertEqual(len(returns), 1)
        self.assertEqual(returns[0]["arg"], "42")


if __name__ == "__main__":
    unittest.main(verbosity=2)
