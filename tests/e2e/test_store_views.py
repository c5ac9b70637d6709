# The commands that read recorded runs, on runs of a real program recorded
# into both stores (sqlite: and file:), and every kind of bad input a user
# can give them: damaged or foreign databases, unknown and ambiguous run
# ids, bad options, a broken configuration file.
import json
import re
import os
import sqlite3
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_common import E2ETestCase, PYTHON, smiley  # noqa: E402

PROGRAM = """\
import asyncio, sys
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)
async def work(x):
    await asyncio.sleep(0)
    return fib(x)
async def main():
    return await asyncio.gather(*(work(i) for i in range(8)))
print(asyncio.run(main()), sys.argv[1:])
"""


class StoreViewsTest(E2ETestCase):
    def setUp(self):
        super().setUp()
        self.write("prog.py", PROGRAM)
        self.write("hot.py", "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\nprint(fib(16))\n")
        self.stores = {
            "sqlite": ("--database", self.db),
            "file": ("--store", "file:" + os.path.join(self.tmp, "filestore")),
        }
        for name, store in self.stores.items():
            r = smiley("run", *store, "prog.py", name, cwd=self.tmp, env=self.env)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout, b"[0, 1, 1, 2, 3, 5, 8, 13] ['%s']\n" % name.encode())

    def test_list_formats(self):
        for name, store in self.stores.items():
            with self.subTest(store=name):
                r = smiley("list", *store, env=self.env)
                self.assertEqual(r.returncode, 0, r.stderr)
                lines = r.stdout.decode().splitlines()
                self.assertTrue(lines[0].startswith("RUN"))
                self.assertIn("prog.py %s" % name, lines[1])
                self.assertIn("exit status 0", lines[1])
                runs = json.loads(smiley("list", "--format", "json", *store, env=self.env).stdout)
                self.assertEqual(len(runs), 1)
                self.assertEqual(runs[0]["argv"], ["prog.py", name])
                self.assertEqual(runs[0]["cwd"], self.tmp)
                self.assertEqual(runs[0]["exit_status"], 0)
                csv = smiley("list", "--format", "csv", *store, env=self.env).stdout.decode()
                self.assertEqual(csv.splitlines()[1].split(",")[0], runs[0]["id"])
                self.assertEqual(smiley("list", "--errors", *store, env=self.env).stdout.decode().count("\n"), 1)

    def test_replay_same_in_both_stores(self):
        texts = {}
        for name, store in self.stores.items():
            run = self.last_run(*store)
            # A unique prefix works as the id does.
            texts[name] = self.replay(run[:8], *store)
            self.assertIn("call>>> fib", texts[name])
            self.assertIn("return>>> 13", texts[name])
            self.assertIn("    n = 7", texts[name])
            self.assertTrue(texts[name].endswith("Finished run\n"))
        norm = {k: re.sub(r"0x[0-9a-f]+", "0x?", v.replace("'%s'" % k, "'X'")) for k, v in texts.items()}
        self.assertTrue(norm["sqlite"] == norm["file"], "the two stores replay the run differently")

    def test_stats_show_export_graph(self):
        for name, store in self.stores.items():
            with self.subTest(store=name):
                run = self.last_run(*store)
                r = smiley("stats", "show", run, *store, "--sort", "name", env=self.env)
                self.assertEqual(r.returncode, 0, r.stderr)
                out = r.stdout.decode()
                # fib(0..7) makes 1+1+3+5+9+15+25+41 = 100 calls, 8 of them primitive.
                self.assertRegex(out, r"\n\s+100/8\s.*\bfib\s+prog\.py\s+2\n")
                r = smiley("stats", "show", run, *store, "--callers", "fib", env=self.env)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertIn("work", r.stdout.decode())
                prof = os.path.join(self.tmp, "prof-%s.out" % name)
                r = smiley("stats", "export", run, prof, *store, env=self.env)
                self.assertEqual(r.returncode, 0, r.stderr)
                check = subprocess.run([PYTHON, "-c", "import pstats, sys; s = pstats.Stats(sys.argv[1]); "
                                        "print([(v[0], v[1]) for k, v in s.stats.items() if k[2] == 'fib'])", prof],
                                       capture_output=True)
                # pstats keeps (primitive calls, calls, ...), as cProfile writes it.
                self.assertEqual(check.stdout, b"[(8, 100)]\n", check.stderr)
                # A program where fib is the hot spot, so the graph keeps it.
                r = smiley("run", *store, "hot.py", cwd=self.tmp, env=self.env)
                self.assertEqual(r.returncode, 0, r.stderr)
                hot = self.last_run(*store)
                for fmt, magic in (("svg", b"<svg"), ("dot", b"digraph")):
                    out = os.path.join(self.tmp, "g-%s.%s" % (name, fmt))
                    r = smiley("stats", "graph", hot, "-o", out, "--format", fmt, *store, env=self.env)
                    self.assertEqual(r.returncode, 0, r.stderr)
                    with open(out, "rb") as f:
                        data = f.read()
                    self.assertIn(magic, data)
                    self.assertIn(b"fib", data)
                    self.assertFalse(os.path.exists(out + ".tmp"))

    def test_export_chrome_and_jsonl(self):
        for name, store in self.stores.items():
            with self.subTest(store=name):
                run = self.last_run(*store)
                out = os.path.join(self.tmp, "t-%s.json" % name)
                r = smiley("export", run, out, "--format", "chrome", *store, env=self.env)
                self.assertEqual(r.returncode, 0, r.stderr)
                with open(out) as f:
                    trace = json.load(f)
                events = trace["traceEvents"] if isinstance(trace, dict) else trace
                self.assertTrue(any(e.get("name", "").startswith("fib") for e in events))
                self.assertFalse(os.path.exists(out + ".tmp"))
                r = smiley("export", run, "-", "--format", "jsonl", *store, env=self.env)
                self.assertEqual(r.returncode, 0, r.stderr)
                lines = [json.loads(l) for l in r.stdout.decode().splitlines()]
                calls = [l for l in lines if l["kind"] == "call" and l["function"] == "fib"]
                self.assertEqual(len(calls), 100)
                self.assertTrue(all(l["file"].endswith("prog.py") for l in calls))

    def test_delete(self):
        for name, store in self.stores.items():
            with self.subTest(store=name):
                r = smiley("run", *store, "prog.py", "second", cwd=self.tmp, env=self.env)
                self.assertEqual(r.returncode, 0, r.stderr)
                ids = self.run_ids(*store)
                self.assertEqual(len(ids), 2)
                r = smiley("delete", ids[0][:10], *store, env=self.env)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertIn(("deleted %s (prog.py second)" % ids[0]).encode(), r.stdout)
                self.assertEqual(self.run_ids(*store), ids[1:])
                r = smiley("delete", ids[0], *store, env=self.env)
                self.assertOneLineError(r, 1, "no run with id")
                r = smiley("delete", "--all-before", "2999-01-01", *store, env=self.env)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual(self.run_ids(*store), [])

    def test_unknown_and_ambiguous_ids(self):
        for _ in range(40):  # 42 runs: some share a first hex digit
            smiley("run", "--database", self.db, "prog.py", cwd=self.tmp, env=self.env)
        ids = self.run_ids()
        first = [i[0] for i in ids]
        dup = next(c for c in first if first.count(c) > 1)
        for cmd in (["replay"], ["stats", "show"], ["export"], ["delete"]):
            with self.subTest(cmd=cmd):
                extra = ["x.json"] if cmd == ["export"] else []
                r = smiley(*cmd, dup, *extra, "--database", self.db, env=self.env, cwd=self.tmp)
                self.assertOneLineError(r, 1, "ambiguous")
                self.assertIn(min(i for i in ids if i.startswith(dup)), r.stderr.decode())
                r = smiley(*cmd, "nonexistent", *extra, "--database", self.db, env=self.env, cwd=self.tmp)
                self.assertOneLineError(r, 1, "no run with id 'nonexistent'")
        self.assertEqual(len(self.run_ids()), len(ids))


class BadStoreTest(E2ETestCase):
    def setUp(self):
        super().setUp()
        self.write("prog.py", PROGRAM)
        r = smiley("run", "--database", self.db, "prog.py", cwd=self.tmp, env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.run_id = self.last_run()
        with open(self.db, "rb") as f:
            self.good = f.read()

    def damaged(self, name, data):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def commands(self):
        return (["list"], ["replay", self.run_id], ["stats", "show", self.run_id],
                ["export", self.run_id, "-", "--format", "jsonl"], ["delete", self.run_id])

    def test_not_a_database(self):
        cases = {
            "text.db": (b"hello, not a database\n" * 100, "not a smiley database"),
            "random.db": (bytes((i * 7919) % 251 for i in range(100000)), "not a smiley database"),
            "truncated.db": (self.good[:5000], "damaged"),
        }
        other = os.path.join(self.tmp, "other.db")
        c = sqlite3.connect(other)
        c.execute("create table t (x)")
        c.commit()
        c.close()
        for name, (data, fragment) in cases.items():
            path = self.damaged(name, data)
            for cmd in self.commands():
                with self.subTest(db=name, cmd=cmd[0]):
                    self.assertOneLineError(smiley(*cmd, "--database", path, env=self.env), 1, fragment)
            with open(path, "rb") as f:
                self.assertEqual(f.read(), data, "a refused file was modified")
        for cmd in self.commands():
            self.assertOneLineError(smiley(*cmd, "--database", other, env=self.env), 1, "not a smiley database")
        r = smiley("run", "--database", other, "prog.py", cwd=self.tmp, env=self.env)
        self.assertOneLineError(r, 1, "not a smiley database")
        self.assertEqual(r.stdout, b"", "the program ran although its store was refused")

    def test_damaged_pages(self):
        data = bytearray(self.good)
        for off in range(4096, len(data) - 32, 997):
            data[off:off + 32] = b"\xde\xad\xbe\xef" * 8
        path = self.damaged("pages.db", bytes(data))
        for cmd in self.commands():
            with self.subTest(cmd=cmd[0]):
                self.assertOneLineError(smiley(*cmd, "--database", path, env=self.env), 1, "damaged")

    def test_damaged_event_blocks(self):
        for sql in ("update event_block set data = randomblob(length(data))",
                    "update event_block set data = substr(data, 1, length(data) / 2)",
                    "update event_block set n_events = n_events + 5",
                    "delete from string"):
            path = self.damaged("blocks.db", self.good)
            c = sqlite3.connect(path)
            c.execute(sql)
            c.commit()
            c.close()
            for cmd in (["replay", self.run_id], ["export", self.run_id, "-", "--format", "jsonl"]):
                with self.subTest(sql=sql, cmd=cmd[0]):
                    r = smiley(*cmd, "--database", path, env=self.env)
                    self.assertOneLineError(r, 1, "damaged", self.run_id)

    def test_missing_stores(self):
        for store in (("--database", os.path.join(self.tmp, "nope.db")),
                      ("--store", "file:" + os.path.join(self.tmp, "nodir"))):
            for cmd in self.commands():
                with self.subTest(store=store[1], cmd=cmd[0]):
                    self.assertOneLineError(smiley(*cmd, *store, env=self.env), 1, "no such store")
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "nope.db")))
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "nodir")))
        for uri, fragment in (("bogus:x", "no store plugin named 'bogus'"),
                              ("sqlite:", "not a store URI"), ("file:", "not a store URI"),
                              ("nocolon", "not a store URI")):
            self.assertOneLineError(smiley("list", "--store", uri, env=self.env), 1, fragment)

    def test_unwritable_places(self):
        for store, fragment in ((("--database", "/proc/smiley.db"), "cannot create the database"),
                                (("--database", "/nonexistent-dir/x.db"), "/nonexistent-dir/x.db")):
            r = smiley("run", *store, "prog.py", cwd=self.tmp, env=self.env)
            self.assertOneLineError(r, 1, fragment)
            self.assertEqual(r.stdout, b"")
        r = smiley("stats", "graph", self.run_id, "-o", "/nonexistent-dir/g.svg", "--database", self.db, env=self.env)
        self.assertOneLineError(r, 1, "cannot write /nonexistent-dir/g.svg")
        r = smiley("export", self.run_id, "/nonexistent-dir/t.json", "--database", self.db, env=self.env)
        self.assertOneLineError(r, 1, "cannot write /nonexistent-dir/t.json")
        r = smiley("stats", "export", self.run_id, "/nonexistent-dir/p.out", "--database", self.db, env=self.env)
        self.assertOneLineError(r, 1, "/nonexistent-dir/p.out")


class UsageTest(E2ETestCase):
    def test_usage_errors(self):
        self.write("prog.py", PROGRAM)
        smiley("run", "--database", self.db, "prog.py", cwd=self.tmp, env=self.env)
        run = self.last_run()
        cases = [
            (["frob"], 2, "unknown command 'frob'"),
            (["list", "--bogus"], 2, "--bogus"),
            (["list", "--format", "xml", "--database", self.db], 2, "xml"),
            (["replay", "--database", self.db], 2, "missing the run"),
            (["replay", "", "--database", self.db], 1, "empty run id"),
            (["stats", "frob"], 2, "unknown sub-command 'frob'"),
            (["stats", "show", run, "--sort", "bogus", "--database", self.db], 1, "bogus"),
            (["stats", "show", run, "--limit", "abc", "--database", self.db], 2, "abc"),
            (["stats", "show", run, "--callers", "nosuchfunc", "--database", self.db], 1, "nosuchfunc"),
            (["stats", "graph", run, "--database", self.db], 2, "missing the output file"),
            (["stats", "graph", run, "-o", "x.gif", "--format", "gif", "--database", self.db], 1, "gif"),
            (["export", run, "x.out", "--format", "xml", "--database", self.db], 2, "xml"),
            (["delete", "--all-before", "notadate", "--database", self.db], 2, "notadate"),
            (["run"], 2, "missing the program"),
            (["run", "-m"], 2, "-m"),
            (["run", "--sink", "nosuch", "prog.py"], 1, "nosuch"),
            (["run", "--socket", "udp://x", "prog.py"], 1, "udp://x"),
            (["run", "--set", "repr-limit=abc", "--local", "prog.py"], 1, "abc"),
            (["run", "--set", "nosuchkey=1", "--local", "prog.py"], 1, "nosuchkey"),
            (["list", "--config", "/nonexistent.conf"], 1, "/nonexistent.conf"),
        ]
        for args, status, fragment in cases:
            with self.subTest(args=args):
                r = smiley(*args, cwd=self.tmp, env=self.env)
                self.assertOneLineError(r, status, fragment)
                self.assertEqual(r.stdout, b"")

    def test_nobody_listening(self):
        self.write("prog.py", PROGRAM)
        r = smiley("run", "prog.py", cwd=self.tmp, env=self.env)
        self.assertOneLineError(r, 1, "nobody is listening", "smiley monitor")
        self.assertEqual(r.stdout, b"")

    def test_config_errors(self):
        self.write("prog.py", PROGRAM)
        cases = [
            ("[run]\nrepr-limit = abc\n", ":2:", "repr-limit"),
            ("[run]\nnosuchkey = 1\n", ":2:", "nosuchkey"),
            ("garbage line\n", ":1:", "garbage line"),
            ("[run\nx=1\n", ":1:", "[run"),
            ("[run]\ninclude-stdlib = maybe\n", ":2:", "maybe"),
            ("[run]\nsink = nosuch\n", ":2:", "nosuch"),
            ("[list]\nstore = bogus\n", ":2:", "bogus"),
            ("[run]\nrepr-limit = 99999999999999999999\n", ":2:", "99999999999999999999"),
        ]
        for text, where, fragment in cases:
            with self.subTest(conf=text):
                conf = self.write("bad.conf", text)
                cmd = "list" if text.startswith("[list]") else "run"
                args = [cmd, "--config", conf] + (["prog.py"] if cmd == "run" else [])
                r = smiley(*args, cwd=self.tmp, env=self.env)
                self.assertOneLineError(r, 1, "bad.conf" + where, fragment)
                self.assertEqual(r.stdout, b"")
        conf = self.write("latin.conf", b"\xff\xfe[run]\n", "wb")
        self.assertOneLineError(smiley("run", "--config", conf, "prog.py", cwd=self.tmp, env=self.env),
                                1, "not UTF-8")
        # A good configuration file is obeyed.
        conf = self.write("good.conf", "[run]\nsink = store\ndatabase = %s\nprofile-only = true\n" % self.db)
        r = smiley("run", "--config", conf, "prog.py", cwd=self.tmp, env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        # profile-only: calls and returns, but no line events and no values
        replay = self.replay()
        self.assertIn("call>>> fib", replay)
        self.assertNotRegex(replay, r"prog\.py:\d+: (?!call|return|yield|resume)")
        self.assertNotRegex(replay, r"return>>> .")


if __name__ == "__main__":
    unittest.main(verbosity=2)
