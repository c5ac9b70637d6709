#!/usr/bin/python3
"""Regression tests for the command-line bugs QA found (one class per bug).

Run by meson (suite 'cli') with Debian's python3, against the real
build/smiley binary.
"""

import os
import shutil
import subprocess
import tempfile
import unittest

BUILD = os.environ["SMILEY_BUILD_ROOT"]
SMILEY = os.path.join(BUILD, "smiley")
FILL = os.path.join(BUILD, "tests", "cli", "fill-store")


def smiley(*args, cwd=None, env=None, input=None, timeout=30, **kwargs):
    return subprocess.run([SMILEY, *args], cwd=cwd, env=env, input=input,
                          capture_output=True, text=True, timeout=timeout, **kwargs)


def plugin_names():
    names = set()
    for line in smiley("plugins").stdout.splitlines()[1:]:
        kind, name = line.split()[:2]
        names.add((kind, name))
    return names


PLUGINS = plugin_names()


def have(kind, name):
    return (kind, name) in PLUGINS


class QaTestCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="smiley-qa-")
        self.db = os.path.join(self.tmp, "runs.db")
        self.env = dict(os.environ)
        self.env["XDG_CONFIG_HOME"] = os.path.join(self.tmp, "config")
        self.env.pop("SMILEY_PLUGIN_PATH", None)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def fill(self, *args, uri=None):
        r = subprocess.run([FILL, uri or "sqlite:" + self.db, *args],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.strip()

    def write(self, name, data):
        path = os.path.join(self.tmp, name)
        with open(path, "wb" if isinstance(data, bytes) else "w") as f:
            f.write(data)
        return path

    def assertOneLineError(self, r, status, *fragments):
        self.assertEqual(r.returncode, status, (r.stdout, r.stderr))
        lines = r.stderr.splitlines()
        self.assertTrue(lines, "no error message")
        if status == 2:
            self.assertIn("Try 'smiley help", lines[-1])
            lines = lines[:-1]
        self.assertEqual(len(lines), 1, r.stderr)
        for fragment in fragments:
            self.assertIn(fragment, lines[0])


class StoreAndDatabaseTest(QaTestCase):
    """Bug 4: --store and --database together were resolved silently."""

    def test_both_is_a_usage_error(self):
        run_id = self.fill()
        other = os.path.join(self.tmp, "other.db")
        cases = [["list"], ["replay", run_id], ["stats", "show", run_id], ["delete", run_id],
                 ["export", run_id, os.path.join(self.tmp, "x.json")],
                 ["run", "--sink", "null", os.path.join(self.tmp, "nope.py")]]
        for args in cases:
            for order in [["--store", "sqlite:" + self.db, "--database", other],
                          ["--database", other, "--store", "sqlite:" + self.db]]:
                argv = args[:1] + order + args[1:]
                if args[0] == "stats":
                    argv = args[:2] + order + args[2:]
                r = smiley(*argv, env=self.env, cwd=self.tmp)
                self.assertOneLineError(r, 2, "--store sqlite:" + self.db, "--database " + other,
                                        "give only one")
                self.assertFalse(os.path.exists(other), argv)
        # The run is still there: delete did not happen.
        r = smiley("list", "--database", self.db, env=self.env)
        self.assertIn(run_id, r.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
