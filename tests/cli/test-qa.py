#!/usr/bin/python3
"""Regression tests for the command-line bugs QA found (one class per bug).

Run by meson (suite 'cli') with Debian's python3, against the real
build/smiley binary.
"""

import os
import re
import subprocess
import unittest

from cli_common import BUILD, FILL, PLUGINS, SMILEY, SOURCE, SmileyTestCase, have, smiley  # noqa: F401


class QaTestCase(SmileyTestCase):
    tmp_prefix = "smiley-qa-"

    def write(self, name, data):
        path = os.path.join(self.tmp, name)
        with open(path, "wb" if isinstance(data, bytes) else "w") as f:
            f.write(data)
        return path


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
        # In one group of the configuration file it is as ambiguous.
        conf = self.write("c.conf", "[list]\ndatabase = %s\nstore = sqlite:%s\n" % (other, self.db))
        r = smiley("list", "--config", conf, env=self.env)
        self.assertOneLineError(r, 1, "%s:2: [list] database and %s:3: [list] store both choose the "
                                "store: keep only one" % (conf, conf))
        # In different layers the stronger one wins, as documented.
        conf = self.write("c.conf", "[smiley]\ndatabase = %s\n[list]\nstore = sqlite:%s\n"
                          % (other, self.db))
        r = smiley("list", "--config", conf, env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(run_id, r.stdout)
        # The run is still there: delete did not happen.
        r = smiley("list", "--database", self.db, env=self.env)
        self.assertIn(run_id, r.stdout)


class NumericOptionsTest(QaTestCase):
    """Bug 3: --limit -1 was accepted silently; every numeric option of every
    command is checked as a usage error (exit 2) naming the option."""

    def test_bad_numbers(self):
        run_id = self.fill()
        out = os.path.join(self.tmp, "g.dot")
        cases = []
        for bad in ["-1", "abc", "", "1x", " 3", "99999999999999999999"]:
            cases.append((["stats", "show", "--limit", bad, run_id], "--limit"))
        for bad in ["-5", "abc", "", "100.5", "nan", "inf"]:
            cases.append((["stats", "graph", run_id, "-o", out, "--node-threshold", bad],
                          "--node-threshold"))
            cases.append((["stats", "graph", run_id, "-o", out, "--edge-threshold", bad],
                          "--edge-threshold"))
        for bad in ["-5", "-1", "65536", "http", ""]:
            cases.append((["server", "--port", bad], "--port"))
        for args, option in cases:
            r = smiley(*args, "--database", self.db, env=self.env, cwd=self.tmp)
            self.assertOneLineError(r, 2, "%s must be a " % option, "not '%s'" % args[args.index(option) + 1])
            self.assertFalse(os.path.exists(out))

    def test_good_numbers_pass_the_check(self):
        run_id = self.fill()
        # The synthetic run has no profile: getting that far means the
        # option itself was accepted.
        for args in [["stats", "show", "--limit", "0", run_id],
                     ["stats", "show", "--limit", "7", run_id],
                     ["stats", "graph", run_id, "-o", os.path.join(self.tmp, "g.dot"),
                      "--node-threshold", "2.5", "--edge-threshold", "0"]]:
            r = smiley(*args, "--database", self.db, env=self.env)
            self.assertNotEqual(r.returncode, 2, r.stderr)
            self.assertNotIn("must be a", r.stderr)


class ConfigColorTest(QaTestCase):
    """Bug 2: a bad console value from a configuration file did not name the
    file and line (every configuration error says file:line: [group] key:)."""

    def test_bad_color_names_file_and_line(self):
        run_id = self.fill()
        for group, args in [("replay", ["replay", "--database", self.db, run_id]),
                            ("smiley", ["replay", "--database", self.db, run_id]),
                            ("run", ["run", "--sink", "console"])]:
            conf = self.write("bad.conf", "# comment\n[%s]\n\ncolor = purple\n" % group)
            self.write("prog.py", "open('ran', 'w')\n")
            args = args + ["--config", conf] + (["prog.py"] if args[0] == "run" else [])
            r = smiley(*args, env=self.env, cwd=self.tmp)
            self.assertOneLineError(r, 1, "%s:4: [%s] color: 'purple' is not one of auto, always, never"
                                    % (conf, group))
            self.assertFalse(os.path.exists(os.path.join(self.tmp, "ran")))

    def test_bad_stream_names_file_and_line(self):
        run_id = self.fill()
        conf = self.write("bad.conf", "[replay]\nstream = stdlog\n")
        r = smiley("replay", "--database", self.db, run_id, "--config", conf, env=self.env)
        self.assertOneLineError(r, 1, "%s:2: [replay] stream: 'stdlog' is not one of stdout, stderr" % conf)

    def test_object_errors_name_file_and_line(self):
        # Errors an object finds only when it opens (GInitable) or renders
        # quote a value; the setting that gave that value is named.
        run_id = self.fill()
        self.write("prog.py", "open('ran', 'w')\n")
        cases = [
            ("[replay]\noutput = /nonexistent/dir/x.txt\n", ["replay", "--database", self.db, run_id],
             "%s:2: [replay] output: cannot write /nonexistent/dir/x.txt"),
            ("[replay]\ndatabase = /nonexistent/x.db\n", ["replay", run_id],
             "%s:2: [replay] database: /nonexistent/x.db: no such store"),
            ("[smiley]\n\ndatabase = /nonexistent/dir/q.db\n", ["run", "--local", "prog.py"],
             "%s:3: [smiley] database: /nonexistent/dir/q.db: "),
            ("[run]\nsocket = garbage\n", ["run", "prog.py"],
             "%s:2: [run] socket: 'garbage' is not a socket endpoint"),
        ]
        if have("source", "python"):
            cases.append(("[run]\nsink = null\npython = /nonexistent/python\n", ["run", "prog.py"],
                          "%s:3: [run] python: /nonexistent/python: "))
        for text, args, expected in cases:
            conf = self.write("c.conf", text)
            argv = args[:1] + ["--config", conf] + args[1:]
            r = smiley(*argv, env=self.env, cwd=self.tmp)
            self.assertOneLineError(r, 1, "smiley %s: " % args[0] + expected % conf)
            self.assertFalse(os.path.exists(os.path.join(self.tmp, "ran")))
        # The same value on the command line is not given a file.
        r = smiley("replay", "--database", self.db, "--set", "output=/nonexistent/dir/x.txt", run_id,
                   env=self.env)
        self.assertOneLineError(r, 1, "smiley replay: cannot write /nonexistent/dir/x.txt")

    def test_good_color_from_config(self):
        run_id = self.fill()
        conf = self.write("good.conf", "[replay]\ncolor = always\n")
        r = smiley("replay", "--database", self.db, run_id, "--config", conf, env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("\033[", r.stdout)
        r = smiley("replay", "--database", self.db, run_id, "--config", conf, "--color=never", env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("\033[", r.stdout)


SUMMARY = r"smiley: (\d+) events emitted, \1 events recorded\n"


@unittest.skipUnless(have("source", "python"), "tracer not built")
class StatsSummaryTest(QaTestCase):
    """Bug 1: the --stats-summary line ran into the program's last stderr
    line when that had no newline."""

    def run_to_file(self, *args):
        path = os.path.join(self.tmp, "stderr.txt")
        with open(path, "w") as err:
            r = subprocess.run([SMILEY, "run", "--sink", "null", "--stats-summary", *args],
                               cwd=self.tmp, env=self.env, stdout=subprocess.PIPE, stderr=err,
                               text=True, timeout=30)
        with open(path) as f:
            return r, f.read()

    def test_regular_file_without_final_newline(self):
        r, err = self.run_to_file("-m", "py_compile", "missing.py")
        self.assertEqual(r.returncode, 1)
        self.assertRegex(err, r"^\[Errno 2\] No such file or directory: 'missing.py'\n" + SUMMARY + "$")

    def test_regular_file_with_final_newline(self):
        prog = self.write("prog.py", "import sys\nsys.stderr.write('done\\n')\n")
        r, err = self.run_to_file(prog)
        self.assertEqual(r.returncode, 0)
        self.assertRegex(err, r"^done\n" + SUMMARY + "$")

    def test_regular_file_program_silent(self):
        prog = self.write("prog.py", "x = 1\n")
        r, err = self.run_to_file(prog)
        self.assertRegex(err, "^" + SUMMARY + "$")

    def test_appended_file(self):
        prog = self.write("prog.py", "import sys\nsys.stderr.write('tail')\n")
        path = os.path.join(self.tmp, "log.txt")
        with open(path, "w") as f:
            f.write("earlier line\n")
        with open(path, "a") as err:
            subprocess.run([SMILEY, "run", "--sink", "null", "--stats-summary", prog],
                           cwd=self.tmp, env=self.env, stderr=err, timeout=30)
        with open(path) as f:
            self.assertRegex(f.read(), r"^earlier line\ntail\n" + SUMMARY + "$")

    def test_pipe(self):
        # A pipe cannot be read back: nothing is added, so the usual
        # newline-terminated output is followed by the summary alone.
        prog = self.write("prog.py", "import sys\nsys.stderr.write('done\\n')\n")
        r = smiley("run", "--sink", "null", "--stats-summary", prog, cwd=self.tmp, env=self.env)
        self.assertRegex(r.stderr, r"^done\n" + SUMMARY + "$")

    def run_in_terminal(self, program, columns=80):
        import pty
        import struct
        import fcntl
        import termios
        import select
        prog = self.write("prog.py", program)
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
        # No translation of \n to \r\n: the bytes are what smiley wrote.
        attrs = termios.tcgetattr(slave)
        attrs[1] &= ~termios.OPOST
        termios.tcsetattr(slave, termios.TCSANOW, attrs)
        p = subprocess.Popen([SMILEY, "run", "--sink", "null", "--stats-summary", prog],
                             cwd=self.tmp, env=self.env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=slave)
        os.close(slave)
        data = b""
        while True:
            ready, _, _ = select.select([master], [], [], 30)
            if not ready:
                break
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
        p.wait(timeout=30)
        os.close(master)
        return data.decode()

    def test_terminal(self):
        # A row of spaces as wide as the terminal and a carriage return:
        # the summary lands at the start of the next line after a partial
        # line and overwrites the spaces after a complete one.
        pad = " " * 80 + "\r"
        out = self.run_in_terminal("import sys\nsys.stderr.write('partial')\n")
        self.assertRegex(out, "^partial" + pad + SUMMARY + "$")
        self.assertEqual(screen(out, 80), ["partial", out.split("\r")[-1].rstrip("\n")])
        out = self.run_in_terminal("import sys\nsys.stderr.write('done\\n')\n")
        self.assertRegex(out, "^done\n" + pad + SUMMARY + "$")
        self.assertEqual(screen(out, 80), ["done", out.split("\r")[-1].rstrip("\n")])


def screen(data, columns):
    """The lines a terminal with deferred wrap (xterm, VTE) shows for data."""
    lines, row, col, pending = [[]], 0, 0, False
    for ch in data:
        if ch == "\r":
            col, pending = 0, False
        elif ch == "\n":
            row, col, pending = row + 1, 0, False
            lines.append([])
        else:
            if pending:
                row, col, pending = row + 1, 0, False
                lines.append([])
            line = lines[row]
            line.extend(" " * (col + 1 - len(line)))
            line[col] = ch
            if col == columns - 1:
                pending = True
            else:
                col += 1
    text = ["".join(line).rstrip() for line in lines]
    while text and text[-1] == "":
        text.pop()
    return text


LATIN1_SOURCE = ("# -*- coding: latin-1 -*-\n"
                 "name = 'Fran\u00e7ois \u00e0 la pla\u00e7a'\n"
                 "print(len(name))\n").encode("latin-1")


@unittest.skipUnless(have("source", "python"), "tracer not built")
class SourceEncodingTest(QaTestCase):
    """Bug 5: the console showed a latin-1 source with a coding cookie as
    U+FFFD (or invalid UTF-8): source lines are decoded as Python does."""

    def check(self, source, expected_line, lineno=2):
        prog = self.write("prog.py", source)
        r = subprocess.run([SMILEY, "run", "--sink", "console", "--color=never", "prog.py"],
                           cwd=self.tmp, env=self.env, capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        live = r.stderr.decode("utf-8")   # strict: must be valid UTF-8
        self.assertIn("prog.py:%d: %s\n" % (lineno, expected_line), live)
        self.assertNotIn("\ufffd", live)
        r = subprocess.run([SMILEY, "run", "--database", self.db, "prog.py"],
                           cwd=self.tmp, env=self.env, capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        run_id = smiley("list", "--database", self.db, "--format", "csv",
                        env=self.env).stdout.splitlines()[1].split(",")[0]
        r = subprocess.run([SMILEY, "replay", "--database", self.db, "--color=never", run_id],
                           env=self.env, capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        replayed = r.stdout.decode("utf-8")
        self.assertIn("prog.py:%d: %s\n" % (lineno, expected_line), replayed)
        self.assertNotIn("\ufffd", replayed)
        os.unlink(self.db)

    def test_latin1_cookie_line1(self):
        self.check(LATIN1_SOURCE, "name = 'Fran\u00e7ois \u00e0 la pla\u00e7a'")

    def test_cookie_line2(self):
        source = ("#!/usr/bin/python3\n# vim: set fileencoding=iso-8859-15 :\n"
                  "price = '5 \u20ac'\n").encode("iso-8859-15")
        self.check(source, "price = '5 \u20ac'", lineno=3)

    def test_cp1252_cookie(self):
        source = "# coding=cp1252\nq = '\u201cquoted\u201d'\n".encode("cp1252")
        self.check(source, "q = '\u201cquoted\u201d'")

    def test_utf8_bom(self):
        source = b"\xef\xbb\xbf" + "s = 'na\u00efve'\n".encode("utf-8")
        self.check(source, "s = 'na\u00efve'", lineno=1)

    def test_plain_utf8(self):
        self.check("s = 'gr\u00fc\u00df'\n".encode("utf-8"), "s = 'gr\u00fc\u00df'", lineno=1)


class ReadOnlyStoreTest(QaTestCase):
    """Bug 6: the read-only commands ask the store to open read-only (a
    construct-only "read-only" property, where the store has one), so they
    cannot turn an empty file into a database; delete does not."""

    def test_read_only_commands(self):
        env = dict(self.env)
        env["SMILEY_PLUGIN_PATH"] = os.path.join(BUILD, "tests", "cli")
        location = self.write("probe", "")
        uri = "test-probe:" + location
        for args, read_only in [(["list"], True), (["replay", "abc"], True),
                                (["stats", "show", "abc"], True),
                                (["stats", "graph", "abc", "-o", "g.svg"], True),
                                (["stats", "export", "abc", "x.prof"], True),
                                (["export", "abc", "x.json"], True),
                                (["delete", "abc"], False)]:
            r = smiley(*args, "--store", uri, env=env, cwd=self.tmp)
            self.assertOneLineError(r, 1, "test-probe %s: read-only=%s"
                                    % (location, "true" if read_only else "false"))


    def test_empty_locations_stay_empty(self):
        empty_file = self.write("empty.db", "")
        empty_dir = os.path.join(self.tmp, "empty-store")
        os.mkdir(empty_dir)
        for uri in ["sqlite:" + empty_file, "file:" + empty_dir]:
            for args in [["list"], ["replay", "abc"], ["stats", "show", "abc"],
                         ["stats", "export", "abc", "x.prof"], ["export", "abc", "x.json"]]:
                r = smiley(*args, "--store", uri, env=self.env, cwd=self.tmp)
                self.assertIn(r.returncode, (0, 1), (args, r.stderr))
                self.assertEqual(os.path.getsize(empty_file), 0, (uri, args))
                self.assertEqual(os.listdir(empty_dir), [], (uri, args))

HELP_COMMANDS = ["run", "monitor", "record", "list", "delete", "replay", "stats show",
                 "stats export", "stats graph", "export", "server", "report", "plugins"]


def help_options(command):
    r = smiley(*command.split(), "--help")
    assert r.returncode == 0, r.stderr
    return set(re.findall(r"^\s+(?:-\w, )?(--[a-z-]+)", r.stdout, re.M)) - {"--help"}


class HelpAndGuideTest(QaTestCase):
    """Bug 7: every command's --help and docs/user-guide.md agree."""

    def guide(self):
        with open(os.path.join(SOURCE, "docs", "user-guide.md")) as f:
            return f.read()

    def test_guide_synopses_are_in_help(self):
        # The indented synopsis lines: "    smiley stats graph RUN -o FILE [--format …]".
        synopses = {}
        current = None
        for line in self.guide().splitlines():
            m = re.match(r"^    smiley (\w+(?: (?:show|export|graph))?)\b(.*)", line)
            if m and m.group(1).split()[0] in [c.split()[0] for c in HELP_COMMANDS]:
                current = m.group(1)
                synopses.setdefault(current, set()).update(re.findall(r"--[a-z-]+", m.group(2)))
            elif current and re.match(r"^ {10,}\[", line):
                synopses[current].update(re.findall(r"--[a-z-]+", line))
            else:
                current = None
        self.assertIn("stats graph", synopses)
        for command, options in synopses.items():
            if command not in HELP_COMMANDS:
                continue
            self.assertLessEqual(options, help_options(command), command)

    def test_help_options_are_in_guide(self):
        guide = self.guide()
        for command in HELP_COMMANDS:
            for option in help_options(command):
                self.assertTrue(re.search(r"`[^`]*%s\b" % re.escape(option), guide),
                                "%s %s is not in docs/user-guide.md" % (command, option))

    def test_monitor_has_no_store(self):
        self.assertNotIn("--database", help_options("monitor"))
        self.assertNotIn("--store", help_options("monitor"))
        r = smiley("monitor", "--database", os.path.join(self.tmp, "x.db"), env=self.env)
        self.assertOneLineError(r, 2, "--database")
        self.assertIn("--database", help_options("record"))

    def test_profile_only_help(self):
        r = smiley("run", "--help")
        self.assertIn("no line events, no locals, no values", " ".join(r.stdout.split()))


if __name__ == "__main__":
    unittest.main(verbosity=2)
