#!/usr/bin/python3
"""End-to-end tests of the smiley command line: the real build/smiley binary.

Run by meson (suite 'cli') with Debian's python3. The stores are filled
with the fill-store helper (a synthetic run through the plugin registry),
and, where the tracer and socket plugins are built, with real runs.
"""

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
import unittest

from cli_common import BUILD, FILL, PLUGINS, SMILEY, SOURCE, SmileyTestCase, have, smiley  # noqa: F401

COMMANDS = ["run", "monitor", "record", "list", "delete", "replay", "stats",
            "export", "server", "report", "plugins", "help"]


class CliTestCase(SmileyTestCase):
    tmp_prefix = "smiley-cli-"


class HelpTest(CliTestCase):
    def test_help_lists_every_command(self):
        r = smiley("help")
        self.assertEqual(r.returncode, 0)
        listed = [line.split()[0] for line in r.stdout.splitlines()
                  if line.startswith("  ")]
        self.assertEqual(listed, COMMANDS)

    def test_help_command(self):
        r = smiley("help", "run")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("smiley run", r.stdout)
        for option in ["--include-stdlib", "--no-include-site-packages",
                       "--include-package", "--database", "--socket", "--sink",
                       "--local", "--stats-summary", "--config"]:
            self.assertIn(option, r.stdout)
        self.assertEqual(r.stdout, smiley("run", "--help").stdout)

    def test_help_every_command(self):
        for command in COMMANDS[:-1]:
            r = smiley("help", command)
            self.assertEqual(r.returncode, 0, (command, r.stderr))
            self.assertIn("smiley " + command, r.stdout)

    def test_version(self):
        r = smiley("--version")
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^smiley \d+\.\d+\.\d+\n$")

    def test_no_command(self):
        r = smiley()
        self.assertEqual(r.returncode, 2)
        self.assertIn("Usage: smiley COMMAND", r.stderr)


class UsageErrorTest(CliTestCase):
    def test_unknown_command(self):
        r = smiley("frobnicate")
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stderr, "smiley: unknown command 'frobnicate'\n"
                                   "Try 'smiley help' for the list of commands.\n")

    def test_unknown_global_option(self):
        r = smiley("--frobnicate")
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown option '--frobnicate'", r.stderr)

    def test_unknown_option(self):
        for command in ["list", "replay", "monitor", "record", "delete", "run"]:
            r = smiley(command, "--frobnicate")
            self.assertOneLineError(r, 2, "smiley %s: " % command, "--frobnicate")

    def test_missing_run_id(self):
        for args in [["replay"], ["delete"], ["stats", "show"], ["stats", "export"],
                     ["export"], ["report"]]:
            r = smiley(*args, env=self.env)
            self.assertOneLineError(r, 2, "missing")

    def test_missing_program(self):
        r = smiley("run", "--sink", "null")
        self.assertOneLineError(r, 2, "smiley run: missing the program to run")

    def test_local_with_other_sink(self):
        r = smiley("run", "--local", "--sink", "console", "x.py")
        self.assertOneLineError(r, 2, "--local")

    def test_bad_values(self):
        self.assertOneLineError(smiley("list", "--format", "xml"), 2, "--format must be table, json or csv")
        self.assertOneLineError(smiley("delete", "--all-before", "yesterday"), 2, "not an ISO 8601 date")
        self.assertOneLineError(smiley("monitor", "--color=sometimes"), 2, "auto, always or never")
        self.assertOneLineError(smiley("stats", "frob"), 2, "unknown sub-command 'frob'")


class PluginsTest(CliTestCase):
    def test_lists_builtin_plugins(self):
        r = smiley("plugins", env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines()[0].split(), ["KIND", "NAME", "FILE", "DESCRIPTION"])
        rows = {tuple(line.split()[:2]): line for line in r.stdout.splitlines()[1:]}
        self.assertIn(("sink", "console"), rows)
        self.assertIn(("sink", "null"), rows)
        self.assertIn(("source", "replay"), rows)
        self.assertIn("smiley-console.so", rows[("sink", "console")])
        self.assertEqual(r.stderr, "")

    def test_properties(self):
        r = smiley("plugins", "--properties", env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        console = [i for i, line in enumerate(lines) if line.split()[:2] == ["sink", "console"]][0]
        settings = []
        for line in lines[console + 1:]:
            if not line.startswith("        "):
                break
            settings.append(line.strip())
        self.assertIn("color (choice, default auto): auto (if the stream is a terminal), always or never",
                      settings)
        self.assertIn("stream (choice, default stdout): stdout or stderr", settings)
        self.assertIn("output (text): a file to write instead of the stream", settings)
        # Read-only counters are not settings.
        setting_names = [line.split()[0] for line in lines if line.startswith("        ")]
        self.assertNotIn("events", setting_names)
        self.assertNotIn("events-emitted", setting_names)

    def test_reports_broken_plugin(self):
        plugdir = os.path.join(self.tmp, "plugins")
        os.mkdir(plugdir)
        broken = os.path.join(plugdir, "smiley-broken.so")
        with open(broken, "w") as f:
            f.write("not a shared object\n")
        with open(os.path.join(plugdir, "notes.txt"), "w") as f:
            f.write("ignored\n")
        self.env["SMILEY_PLUGIN_PATH"] = plugdir
        r = smiley("plugins", env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("console", r.stdout)
        self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
        self.assertTrue(r.stderr.startswith("error: %s: cannot load plugin: " % broken), r.stderr)
        # The other commands still work with the broken module around.
        self.assertEqual(smiley("help", env=self.env).returncode, 0)

    def test_not_built_views(self):
        if not have("view", "web"):
            r = smiley("server", "--database", self.db, env=self.env)
            self.assertOneLineError(r, 1, "smiley server: smiley server needs the 'web' view plugin, "
                                          "which is not built in this installation")
        if not have("view", "report"):
            self.fill()
            r = smiley("report", "--database", self.db, "x", "-o", self.tmp, env=self.env)
            self.assertOneLineError(r, 1, "needs the 'report' view plugin")

    def test_unknown_sink(self):
        run_id = self.fill()
        r = smiley("replay", "--database", self.db, "--sink", "consol", run_id, env=self.env)
        self.assertOneLineError(r, 1, "smiley replay: --sink: no sink plugin named 'consol' (known: console,")


class StoreCommandsTest(CliTestCase):
    def test_missing_store(self):
        for args in [["list"], ["replay", "abc"], ["delete", "abc"], ["stats", "show", "abc"]]:
            r = smiley(*args, "--database", os.path.join(self.tmp, "nope.db"), env=self.env)
            self.assertOneLineError(r, 1, "nope.db: no such store")
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "nope.db")))

    def test_default_store_is_cwd_smiley_db(self):
        r = smiley("list", cwd=self.tmp, env=self.env)
        self.assertOneLineError(r, 1, "smiley.db: no such store")
        self.fill(uri="sqlite:" + os.path.join(self.tmp, "smiley.db"))
        r = smiley("list", cwd=self.tmp, env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("test.py -t", r.stdout)

    def test_corrupt_store(self):
        with open(self.db, "w") as f:
            f.write("this is not a database\n" * 100)
        r = smiley("list", "--database", self.db, env=self.env)
        self.assertOneLineError(r, 1, "smiley list: ")

    def test_list_formats(self):
        old = self.fill("--start", "1700000000", "--description", "old, \"quoted\"")
        failed = self.fill("--start", "1700000100", "--error")
        killed = self.fill("--start", "1700000200", "--abnormal")
        newest = self.fill("--start", "1700000300")

        r = smiley("list", "--database", self.db, env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertEqual(lines[0].split(), ["RUN", "DESCRIPTION", "START", "END", "STATUS"])
        self.assertEqual([line.split()[0] for line in lines[1:]], [newest, killed, failed, old])
        self.assertTrue(lines[3].endswith("RuntimeError: boom"))
        self.assertTrue(lines[2].endswith("killed by signal 9 (Killed)"))
        self.assertTrue(lines[1].endswith("exit status 0"))

        r = smiley("list", "--database", self.db, "--format", "json", env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        runs = json.loads(r.stdout)
        self.assertEqual([run["id"] for run in runs], [newest, killed, failed, old])
        self.assertEqual(runs[3]["description"], "old, \"quoted\"")
        self.assertEqual(runs[2]["error"], "RuntimeError: boom")
        self.assertEqual(runs[2]["exit_status"], 1)
        self.assertEqual(runs[1]["state"], "abnormal")
        self.assertEqual(runs[1]["signal"], 9)
        self.assertEqual(runs[0]["state"], "finished")
        self.assertIsNone(runs[0]["error"])
        self.assertEqual(runs[0]["argv"], ["test.py", "-t"])
        self.assertEqual(runs[0]["start_us"], 1700000300 * 1000000)

        r = smiley("list", "--database", self.db, "--format", "csv", env=self.env)
        rows = list(csv.DictReader(io.StringIO(r.stdout, newline="")))
        self.assertEqual([row["id"] for row in rows], [newest, killed, failed, old])
        self.assertEqual(rows[3]["description"], "old, \"quoted\"")
        self.assertEqual(rows[2]["error"], "RuntimeError: boom")

        r = smiley("list", "--database", self.db, "--errors", "--format", "json", env=self.env)
        self.assertEqual([run["id"] for run in json.loads(r.stdout)], [killed, failed])

    def test_replay_matches_live_console(self):
        run_id = self.fill("--threads", "--error")
        live = subprocess.run([FILL, "sqlite:" + self.db, "--threads", "--error", "--sink", "console",
                               "--id", "live-run"], capture_output=True, text=True)
        self.assertEqual(live.returncode, 0, live.stderr)
        r = smiley("replay", "--database", self.db, run_id[:8], env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, live.stdout.replace("live-run\n", ""))
        self.assertIn("[worker-1] test.py:3: call>>> add\n", r.stdout)
        self.assertTrue(r.stdout.endswith("Finished run: RuntimeError: boom\n"))

    def test_replay_errors(self):
        self.fill("--id", "abcd-1")
        self.fill("--id", "abce-2")
        r = smiley("replay", "--database", self.db, "zzz", env=self.env)
        self.assertOneLineError(r, 1, "smiley replay: no run with id 'zzz' (see 'smiley list')")
        r = smiley("replay", "--database", self.db, "abc", env=self.env)
        self.assertOneLineError(r, 1, "ambiguous", "abcd-1", "abce-2")

    def test_delete(self):
        a = self.fill("--id", "aaaa-1111", "--description", "first", "--start", "1600000000")
        self.fill("--id", "aaab-2222", "--description", "second", "--start", "1700000000")
        self.fill("--id", "bbbb-3333", "--description", "third", "--start", "1800000000")

        r = smiley("delete", "--database", self.db, "aaa", env=self.env)
        self.assertOneLineError(r, 1, "ambiguous", "aaaa-1111", "aaab-2222")
        # A bad id among good ones deletes nothing.
        r = smiley("delete", "--database", self.db, "aaaa", "nope", env=self.env)
        self.assertOneLineError(r, 1, "no run with id 'nope'")
        self.assertIn(a, smiley("list", "--database", self.db, env=self.env).stdout)

        r = smiley("delete", "--database", self.db, "aaaa", env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "deleted aaaa-1111 (first)\n")

        r = smiley("delete", "--database", self.db, "--all-before", "2027-01-01", env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "deleted aaab-2222 (second)\n")
        r = smiley("delete", "--database", self.db, "--all-before", "2000-01-01T00:00:00Z", env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("no runs", r.stdout)
        ids = [run["id"] for run in json.loads(smiley("list", "--database", self.db, "--format", "json",
                                                       env=self.env).stdout)]
        self.assertEqual(ids, ["bbbb-3333"])

    def test_file_store(self):
        uri = "file:" + os.path.join(self.tmp, "runs")
        if not have("store", "file"):
            self.skipTest("file store not built")
        run_id = self.fill(uri=uri)
        r = smiley("list", "--store", uri, "--format", "json", env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual([run["id"] for run in json.loads(r.stdout)], [run_id])
        r = smiley("replay", "--store", uri, run_id, env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("test.py:3: call>>> add", r.stdout)

    def test_bad_store_uri(self):
        r = smiley("list", "--store", "runs.db", env=self.env)
        self.assertOneLineError(r, 1, "--store: 'runs.db' is not a store URI")
        r = smiley("list", "--store", "postgres:x", env=self.env)
        self.assertOneLineError(r, 1, "--store: no store plugin named 'postgres'")


class ViewCommandsTest(CliTestCase):
    def test_unwritable_output(self):
        run_id = self.fill()
        target = os.path.join(self.tmp, "no", "such", "dir", "out.prof")
        r = smiley("stats", "export", "--database", self.db, run_id, target, env=self.env)
        if not have("view", "pstats"):
            self.assertOneLineError(r, 1, "pstats")
            return
        self.assertOneLineError(r, 1, "cannot write %s: No such file or directory" % target)

    def test_export_jsonl_atomic(self):
        if not have("view", "jsonl"):
            self.skipTest("jsonl view not built")
        run_id = self.fill()
        target = os.path.join(self.tmp, "events.jsonl")
        r = smiley("export", "--database", self.db, run_id, target, env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertFalse(os.path.exists(target + ".tmp"))
        with open(target) as f:
            lines = [json.loads(line) for line in f if line.strip()]
        self.assertTrue(any("add" in json.dumps(line) for line in lines))

    def test_no_stats(self):
        if not have("view", "stats"):
            self.skipTest("stats view not built")
        run_id = self.fill()
        r = smiley("stats", "show", "--database", self.db, run_id, env=self.env)
        self.assertOneLineError(r, 1, "smiley stats show: ")

    def test_unknown_run(self):
        self.fill()
        for args in [["stats", "show", "nope"], ["export", "nope", os.path.join(self.tmp, "x.json")]]:
            r = smiley(*args, "--database", self.db, env=self.env)
            self.assertOneLineError(r, 1, "no run with id 'nope'")
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "x.json")))
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "x.json.tmp")))


class ConfigTest(CliTestCase):
    def write_config(self, text, path=None):
        path = path or os.path.join(self.env["XDG_CONFIG_HOME"], "smiley", "smiley.conf")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_missing_config_file(self):
        missing = os.path.join(self.tmp, "nope.conf")
        r = smiley("list", "--config", missing, env=self.env)
        self.assertOneLineError(r, 1, "smiley list: %s: no such configuration file" % missing)

    def test_config_error_names_file_line_key(self):
        run_id = self.fill()
        path = self.write_config("[smiley]\ndatabase = %s\n\n[replay]\ncolor = never\nsink = consol\n" % self.db)
        r = smiley("replay", run_id, env=self.env)
        self.assertOneLineError(r, 1, "smiley replay: %s:6: [replay] sink: no sink plugin named 'consol' "
                                      "(known: console, " % path)

    def test_config_syntax_error(self):
        path = self.write_config("[smiley]\ndatabase = x.db\nbogus line\n", os.path.join(self.tmp, "x.conf"))
        r = smiley("list", "--config", path, env=self.env)
        self.assertOneLineError(r, 1, "%s:3: syntax error" % path)

    def test_config_unknown_key(self):
        run_id = self.fill()
        path = self.write_config("[replay]\ncolour = always\n")
        r = smiley("replay", "--database", self.db, run_id, env=self.env)
        self.assertOneLineError(r, 1, "%s:2: [replay] colour: unknown setting 'colour'" % path)

    def test_binary_config(self):
        path = os.path.join(self.tmp, "x.conf")
        with open(path, "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
        r = smiley("list", "--config", path, env=self.env)
        self.assertOneLineError(r, 1, "%s: not a configuration file" % path)

    def test_set_errors(self):
        run_id = self.fill()
        r = smiley("replay", "--database", self.db, "--set", "color", run_id, env=self.env)
        self.assertOneLineError(r, 2, "--set color: expected KEY=VALUE")
        r = smiley("replay", "--database", self.db, "--set", "colour=never", run_id, env=self.env)
        self.assertOneLineError(r, 1, "--set colour: unknown setting 'colour'")
        r = smiley("replay", "--database", self.db, "--set", "output=/nonexistent/dir/x.txt", run_id,
                   env=self.env)
        self.assertOneLineError(r, 1, "cannot write /nonexistent/dir/x.txt: No such file or directory")
        r = smiley("replay", "--database", self.db, "--set", "output=%s" % os.path.join(self.tmp, "out.txt"),
                   run_id, env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "")
        with open(os.path.join(self.tmp, "out.txt")) as f:
            self.assertIn("test.py:3: call>>> add", f.read())

    def test_stats_group_serves_every_stats_command(self):
        if not (have("view", "stats") and have("view", "pstats")):
            self.skipTest("stats views not built")
        run_id = self.fill()
        self.write_config("[stats]\nsort = tottime\nlimit = 5\n")
        out = os.path.join(self.tmp, "x.prof")
        # `stats export` has no sort or limit: the [stats] keys do not stop it.
        r = smiley("stats", "export", "--database", self.db, run_id, out, env=self.env)
        self.assertNotIn("unknown setting", r.stderr)

    def test_precedence(self):
        run_id = self.fill()
        other = os.path.join(self.tmp, "other.db")
        # [smiley] names the database; [replay] turns colour on.
        self.write_config("[smiley]\ndatabase = %s\ncolor = never\n[replay]\ncolor = always\n" % self.db)
        r = smiley("list", "--format", "json", env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)[0]["id"], run_id)
        r = smiley("replay", run_id, env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("\033[", r.stdout)
        # The flag beats the configuration.
        r = smiley("replay", "--color=never", run_id, env=self.env)
        self.assertNotIn("\033[", r.stdout)
        r = smiley("list", "--database", other, env=self.env)
        self.assertOneLineError(r, 1, "other.db: no such store")
        # --config replaces the default file.
        path = self.write_config("[list]\ndatabase = %s\n" % other, os.path.join(self.tmp, "x.conf"))
        r = smiley("list", "--config", path, env=self.env)
        self.assertOneLineError(r, 1, "other.db: no such store")


@unittest.skipUnless(have("source", "python"), "tracer plugin not built")
class RunTest(CliTestCase):
    def script(self, text, name="prog.py"):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_program_arguments_are_the_programs(self):
        prog = self.script("import sys\nprint(sys.argv[1:])\n")
        r = smiley("run", "--sink", "null", prog, "--sink", "x", "-m", "--help", cwd=self.tmp, env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "['--sink', 'x', '-m', '--help']\n")
        r = smiley("run", "--sink", "null", "--", prog, "--", cwd=self.tmp, env=self.env)
        self.assertEqual(r.stdout, "['--']\n")

    def test_module(self):
        r = smiley("run", "--sink", "null", "-m", "json.tool", "--sort-keys", input='{"b": 1, "a": 2}',
                   cwd=self.tmp, env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, '{\n    "a": 2,\n    "b": 1\n}\n')
        for form in [["--module", "json.tool"], ["--module=json.tool"], ["-mjson.tool"]]:
            r = smiley("run", "--sink", "null", *form, "--sort-keys", input='{"b": 1, "a": 2}',
                       cwd=self.tmp, env=self.env)
            self.assertEqual(r.returncode, 0, (form, r.stderr))
            self.assertEqual(r.stdout, '{\n    "a": 2,\n    "b": 1\n}\n')

    def test_exit_status(self):
        prog = self.script("import sys\nsys.exit(3)\n")
        r = smiley("run", "--sink", "null", prog, cwd=self.tmp, env=self.env)
        self.assertEqual(r.returncode, 3, r.stderr)

    def test_local_then_list_and_replay(self):
        prog = self.script("def f(x):\n    y = x + 1\n    return y\n\nf(41)\n")
        live = os.path.join(self.tmp, "live.txt")
        r = smiley("run", "--database", self.db, prog, cwd=self.tmp, env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = smiley("run", "--sink", "console", "--output", live, "--stats-summary", prog,
                   cwd=self.tmp, env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stderr, r"smiley: (\d+) events emitted, \1 events recorded\n")
        runs = json.loads(smiley("list", "--database", self.db, "--format", "json", env=self.env).stdout)
        self.assertEqual(len(runs), 1)
        r = smiley("replay", "--database", self.db, runs[0]["id"], env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(live) as f:
            self.assertEqual(r.stdout, f.read())
        self.assertIn("prog.py:2:     y = x + 1\nprog.py:3:     return y\n    y = 42\n", r.stdout)
        self.assertIn("prog.py:3: return>>> 42\n", r.stdout)

    def test_console_to_stderr(self):
        prog = self.script("print('hello')\n")
        r = smiley("run", "--sink", "console", prog, cwd=self.tmp, env=self.env)
        self.assertEqual(r.stdout, "hello\n")
        self.assertIn("Starting new run:", r.stderr)
        self.assertIn("prog.py:1: print('hello')", r.stderr)

    def test_bad_database_fails_before_running(self):
        prog = self.script("open(%r, 'w').write('ran')\n" % os.path.join(self.tmp, "ran"))
        with open(self.db, "w") as f:
            f.write("garbage " * 1000)
        r = smiley("run", "--database", self.db, prog, cwd=self.tmp, env=self.env)
        self.assertOneLineError(r, 1, "smiley run: ")
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "ran")))

    def test_unwritable_console_output_fails_before_running(self):
        prog = self.script("open(%r, 'w').write('ran')\n" % os.path.join(self.tmp, "ran"))
        r = smiley("run", "--sink", "console", "--output", "/nonexistent/dir/trace.txt", prog,
                   cwd=self.tmp, env=self.env)
        self.assertOneLineError(r, 1, "smiley run: cannot write /nonexistent/dir/trace.txt")
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "ran")))

    def test_missing_script(self):
        r = smiley("run", "--sink", "null", os.path.join(self.tmp, "nope.py"), cwd=self.tmp, env=self.env)
        expected = subprocess.run(["/usr/bin/python3",
                                   os.path.join(self.tmp, "nope.py")], capture_output=True, text=True)
        self.assertEqual(r.returncode, expected.returncode)

    @unittest.skipUnless(have("sink", "socket"), "socket plugin not built")
    def test_nobody_listening(self):
        prog = self.script("open(%r, 'w').write('ran')\n" % os.path.join(self.tmp, "ran"))
        r = smiley("run", "--socket", "unix:" + os.path.join(self.tmp, "none.sock"), prog,
                   cwd=self.tmp, env=self.env, timeout=10)
        self.assertOneLineError(r, 1, "smiley run: ")
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "ran")))


@unittest.skipUnless(have("source", "python") and have("source", "socket") and have("sink", "socket"),
                     "tracer or socket plugin not built")
class ListenTest(CliTestCase):
    def listen(self, command, *args):
        sock = os.path.join(self.tmp, "s.sock")
        proc = subprocess.Popen([SMILEY, command, "--socket", "unix:" + sock, *args], cwd=self.tmp,
                                env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 10
        while not os.path.exists(sock):
            self.assertIsNone(proc.poll(), proc.stderr.read() if proc.poll() is not None else "")
            self.assertLess(time.monotonic(), deadline, "listener did not start")
            time.sleep(0.02)
        return proc, "unix:" + sock

    def stop(self, proc, sig=signal.SIGINT):
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=20)
        return proc.returncode, out, err

    def test_monitor_prints_run_and_stops_on_sigint(self):
        prog = os.path.join(self.tmp, "prog.py")
        with open(prog, "w") as f:
            f.write("def f(x):\n    return x * 2\n\nprint(f(21))\n")
        proc, endpoint = self.listen("monitor", "--color=never")
        r = smiley("run", "--socket", endpoint, prog, cwd=self.tmp, env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "42\n")
        time.sleep(0.3)
        status, out, err = self.stop(proc)
        self.assertEqual(status, 0, err)
        self.assertIn("Starting new run:", out)
        self.assertIn("prog.py:2: return>>> 42\n", out)
        self.assertIn("Finished run\n", out)

    def test_replay_prints_what_monitor_printed(self):
        prog = os.path.join(self.tmp, "prog.py")
        with open(prog, "w") as f:
            f.write("import threading\n\ndef work(n):\n    total = 0\n    for i in range(n):\n"
                    "        total += i\n    return total\n\n"
                    "t = threading.Thread(target=work, args=(3,), name='helper')\n"
                    "t.start()\nt.join()\nprint(work(4))\n")
        proc, endpoint = self.listen("monitor", "--color=never")
        # Installed packages (Debian's distutils hack) show object addresses.
        r = smiley("run", "--no-include-site-packages", "--socket", endpoint, prog, cwd=self.tmp, env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        time.sleep(0.3)
        status, live, err = self.stop(proc)
        self.assertEqual(status, 0, err)
        r = smiley("run", "--no-include-site-packages", "--database", self.db, prog, cwd=self.tmp, env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        run_id = json.loads(smiley("list", "--database", self.db, "--format", "json",
                                   env=self.env).stdout)[0]["id"]
        r = smiley("replay", "--database", self.db, run_id, cwd=self.tmp, env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("[helper] prog.py:4:     total = 0\n", live)
        self.assertEqual(r.stdout, live)

    def test_record_writes_store_and_stops_on_sigterm(self):
        prog = os.path.join(self.tmp, "prog.py")
        with open(prog, "w") as f:
            f.write("x = 1\n")
        proc, endpoint = self.listen("record", "--database", self.db)
        r = smiley("run", "--socket", endpoint, prog, cwd=self.tmp, env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        time.sleep(0.3)
        status, out, err = self.stop(proc, signal.SIGTERM)
        self.assertEqual(status, 0, err)
        runs = json.loads(smiley("list", "--database", self.db, "--format", "json", env=self.env).stdout)
        self.assertEqual(len(runs), 1)
        self.assertEqual(runs[0]["state"], "finished")



class BenchCompareTest(CliTestCase):
    """bench/compare refuses what is not a build directory in one line."""

    def test_not_a_build_directory(self):
        r = subprocess.run([sys.executable, os.path.join(SOURCE, "bench", "compare"),
                            "--repeat", "1", os.path.join(self.tmp, "no-build")],
                           capture_output=True, text=True, timeout=60)
        self.assertOneLineError(r, 1, "bench/compare: no smiley in", "no-build")

if __name__ == "__main__":
    unittest.main(verbosity=2)
