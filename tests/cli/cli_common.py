"""What the command-line end-to-end tests share: where the binaries are, a
runner for the real build/smiley, the plugins it loaded, and a test case
base with a private directory, configuration and store per test."""

import os
import shutil
import subprocess
import tempfile
import unittest

BUILD = os.environ["SMILEY_BUILD_ROOT"]
SOURCE = os.environ["SMILEY_SOURCE_ROOT"]
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


class SmileyTestCase(unittest.TestCase):
    tmp_prefix = "smiley-cli-"

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix=self.tmp_prefix)
        self.db = os.path.join(self.tmp, "runs.db")
        self.env = dict(os.environ)
        self.env["XDG_CONFIG_HOME"] = os.path.join(self.tmp, "config")
        self.env.pop("SMILEY_PLUGIN_PATH", None)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def assertOneLineError(self, r, status, *fragments):
        """One line on stderr with each fragment (plus the usage hint for
        status 2) and the given exit status."""
        self.assertEqual(r.returncode, status, (r.stdout, r.stderr))
        lines = r.stderr.splitlines()
        self.assertTrue(lines, "no error message")
        if status == 2:
            self.assertIn("Try 'smiley help", lines[-1])
            lines = lines[:-1]
        self.assertEqual(len(lines), 1, r.stderr)
        for fragment in fragments:
            self.assertIn(fragment, lines[0])

    def fill(self, *args, uri=None):
        r = subprocess.run([FILL, uri or "sqlite:" + self.db, *args],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.strip()
