#!/usr/bin/python3
"""End-to-end tests of the socket transport with the real smiley binary.

`smiley record` / `smiley monitor` listen, `smiley run` publishes real
traced Python programs to them, and what arrives is checked with
`smiley list`, `replay` and `export`. Run by meson (suite 'socket') with
Debian's python3.
"""

import json
import os
import re
import select
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
import unittest

BUILD = os.environ["SMILEY_BUILD_ROOT"]
SOURCE = os.environ["SMILEY_SOURCE_ROOT"]
PYTHON = os.environ.get("SMILEY_PYTHON", "/usr/bin/python3")
SMILEY = os.path.join(BUILD, "smiley")
TEST_APP = os.path.join(SOURCE, "test_app", "test.py")

NOBODY = ("smiley run: nobody is listening on {}: start 'smiley monitor' or "
          "'smiley record', or use 'smiley run --local'\n")

# Runs until STOP exists (or 20 s pass), after writing its pid to PIDFILE
# and printing "ready": long enough to be killed or cut mid-stream.
LONG_PROGRAM = """\
import os, sys, time
pidfile, stop = sys.argv[1], sys.argv[2]
with open(pidfile, 'w') as f:
    f.write(str(os.getpid()))
def step(i):
    return i + 1
print('ready', flush=True)
deadline = time.monotonic() + 20
n = 0
while time.monotonic() < deadline:
    n = step(n)
    if n % 2000 == 0 and os.path.exists(stop):
        break
"""

# About 300,000 events.
BIG_PROGRAM = """\
def f(i):
    x = i * 2
    return x

total = 0
for i in range(50000):
    total += f(i)
print(total)
"""

# Waits until its two siblings have started too, so a monitor has all three
# runs open at once, then does some traced work.
SLOW_PROGRAM = """\
import os, sys, time
open(os.path.join(sys.argv[1], 'started-%d' % os.getpid()), 'w').close()
deadline = time.monotonic() + 20
while (len([n for n in os.listdir(sys.argv[1]) if n.startswith('started-')]) < 3
       and time.monotonic() < deadline):
    time.sleep(0.01)
def tick(i):
    time.sleep(0.01)
    return i
for i in range(10):
    tick(i)
"""


def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7f) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def string(text):
    data = text.encode()
    return varint(len(data)) + data


def run_begin_stream(run_id):
    """The stream header and a RUN_BEGIN frame (docs/wire-format.md)."""
    payload = (string(run_id) + varint(42) + varint(1700000000000000 << 1) + string("/tmp")
               + string("resent") + varint(1) + string("resent.py"))
    return (b"SMLY\x01\x00\x00\x00" + (8 + len(payload)).to_bytes(4, "little")
            + b"\x01\x00\x00\x00" + payload)


def have_plugins():
    out = subprocess.run([SMILEY, "plugins"], capture_output=True, text=True).stdout
    names = {tuple(line.split()[:2]) for line in out.splitlines()[1:] if line.strip()}
    return {("source", "socket"), ("sink", "socket"), ("source", "python")} <= names


@unittest.skipUnless(have_plugins(), "socket or tracer plugin not built")
class SocketEndToEnd(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="smiley-socket-e2e-")
        self.env = dict(os.environ)
        self.env["XDG_CONFIG_HOME"] = os.path.join(self.tmp, "config")
        self.env["XDG_RUNTIME_DIR"] = os.path.join(self.tmp, "runtime")
        self.env.pop("SMILEY_PLUGIN_PATH", None)
        self.db = os.path.join(self.tmp, "runs.db")
        self.sock = os.path.join(self.tmp, "s.sock")
        self.endpoint = "unix:" + self.sock
        self.listeners = []
        self.pidfiles = []

    def tearDown(self):
        for proc in self.listeners:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        # A traced program whose smiley was killed is not ours to leave.
        for pidfile in self.pidfiles:
            try:
                with open(pidfile) as f:
                    os.kill(int(f.read()), signal.SIGKILL)
            except (OSError, ValueError):
                pass
        shutil.rmtree(self.tmp, ignore_errors=True)

    # helpers

    def smiley(self, *args, timeout=60):
        return subprocess.run([SMILEY, *args], cwd=self.tmp, env=self.env,
                              capture_output=True, text=True, timeout=timeout)

    def script(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def listen(self, command, *args, endpoint=None):
        """Starts a listener and returns once it says where it listens,
        which it does after binding."""
        proc = subprocess.Popen([SMILEY, command, "--socket", endpoint or self.endpoint, *args],
                                cwd=self.tmp, env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        self.listeners.append(proc)
        self.wait_listening(proc)
        return proc

    def wait_listening(self, proc):
        ready, _, _ = select.select([proc.stderr], [], [], 10)
        self.assertTrue(ready, "listener did not start")
        line = proc.stderr.readline()
        self.assertRegex(line, r"^smiley (record|monitor): listening on ")
        return line

    def stop(self, proc, sig=signal.SIGINT):
        """Stops a listener; returns its status, stdout and stderr without
        the line saying where it listened."""
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
        err = re.sub(r"(?m)^smiley (record|monitor): listening on .*\n", "", err)
        return proc.returncode, out, err

    def runs(self):
        r = self.smiley("list", "--database", self.db, "--format", "json")
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def wait_for_runs(self, n, state=None):
        deadline = time.monotonic() + 20
        while True:
            runs = self.runs()
            done = [run for run in runs if state is None or run["state"] == state]
            if len(done) >= n:
                return runs
            self.assertLess(time.monotonic(), deadline, "runs did not arrive: %r" % runs)
            time.sleep(0.1)

    def start_long_run(self, endpoint=None):
        prog = self.script("long.py", LONG_PROGRAM)
        pidfile = os.path.join(self.tmp, "pid")
        stopfile = os.path.join(self.tmp, "stop")
        self.pidfiles.append(pidfile)
        proc = subprocess.Popen([SMILEY, "run", "--socket", endpoint or self.endpoint, prog,
                                 pidfile, stopfile],
                                cwd=self.tmp, env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        self.assertEqual(proc.stdout.readline(), "ready\n")
        return proc, stopfile

    # tests

    def test_record_then_list_and_replay(self):
        expected = subprocess.run([PYTHON, TEST_APP], cwd=self.tmp, capture_output=True,
                                  text=True)
        rec = self.listen("record", "--database", self.db)
        r = self.smiley("run", "--socket", self.endpoint, TEST_APP)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, expected.stdout)
        self.assertEqual(r.stderr, "")

        # `smiley run` returned, so the listener confirmed the whole run:
        # it is in the store while record still runs.
        runs = self.runs()
        self.assertEqual(len(runs), 1)
        self.assertEqual(runs[0]["state"], "finished")
        self.assertEqual(runs[0]["exit_status"], 0)
        self.assertEqual(runs[0]["argv"], [TEST_APP])

        status, out, err = self.stop(rec)
        self.assertEqual(status, 0, err)
        self.assertEqual(err, "")
        r = self.smiley("replay", "--database", self.db, "--color=never", runs[0]["id"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Starting new run: ['%s']" % TEST_APP, r.stdout)
        self.assertRegex(r.stdout, r"test_funcs\.py:\d+: call>>> a\n")
        self.assertRegex(r.stdout, r"test_funcs\.py:\d+: call>>> c\n")

    def test_recorded_run_has_the_same_sources_as_local(self):
        # `smiley run` forwards the tracer's frames undecoded and only notes
        # the files its events enter: the files it sends must be exactly
        # those `run --local` stores, with the same content, in order.
        import sqlite3
        with open(os.path.join(self.tmp, "helper.py"), "w") as f:
            f.write("def twice(x):\n    y = x * 2\n    return y\n")
        with open(os.path.join(self.tmp, "main.py"), "w") as f:
            f.write("import helper\nfor i in range(3):\n    print(helper.twice(i))\n")
        local_db = os.path.join(self.tmp, "local.db")
        r = self.smiley("run", "--local", "--database", local_db, "main.py")
        self.assertEqual(r.returncode, 0, r.stderr)
        rec = self.listen("record", "--database", self.db)
        r = self.smiley("run", "--socket", self.endpoint, "main.py")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "0\n2\n4\n")
        status, _, err = self.stop(rec)
        self.assertEqual(status, 0, err)

        def files(db):
            with sqlite3.connect(db) as c:
                return c.execute("SELECT path, content FROM run_file JOIN source USING (sha256) "
                                 "ORDER BY seq").fetchall()

        recorded, local = files(self.db), files(local_db)
        self.assertEqual(recorded, local)
        names = [os.path.basename(path) for path, _ in recorded]
        self.assertIn("main.py", names)
        self.assertIn("helper.py", names)
        self.assertEqual(len(names), len(set(names)))
        self.assertIn((b"def twice(x):\n    y = x * 2\n    return y\n"),
                      [bytes(content) for _, content in recorded])

    def test_monitor_prints_the_run(self):
        mon = self.listen("monitor", "--color=never")
        r = self.smiley("run", "--socket", self.endpoint, TEST_APP)
        self.assertEqual(r.returncode, 0, r.stderr)
        status, out, err = self.stop(mon)
        self.assertEqual(status, 0, err)
        self.assertIn("Starting new run: ['%s']" % TEST_APP, out)
        self.assertRegex(out, r"test_funcs\.py:\d+: call>>> c\n")
        self.assertIn("Finished run", out)

    def test_monitor_labels_concurrent_runs(self):
        prog = self.script("slow.py", SLOW_PROGRAM)
        mon = self.listen("monitor", "--color=never")
        barrier = os.path.join(self.tmp, "barrier")
        os.mkdir(barrier)
        runs = [subprocess.Popen([SMILEY, "run", "--socket", self.endpoint, prog, barrier],
                                 cwd=self.tmp,
                                 env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True)
                for _ in range(3)]
        for proc in runs:
            out, err = proc.communicate(timeout=60)
            self.assertEqual(proc.returncode, 0, err)
        status, out, err = self.stop(mon)
        self.assertEqual(status, 0, err)
        self.assertEqual(out.count("Starting new run:"), 3)
        # While runs overlap, every line says which run it belongs to.
        labels = set(re.findall(r"^\[([0-9a-f]{8})\] ", out, re.M))
        self.assertEqual(len(labels), 3, out[:2000])
        for label in labels:
            self.assertRegex(out, r"\[%s\] .*slow\.py:\d+: call>>> tick" % label)

    def test_nobody_listening(self):
        marker = os.path.join(self.tmp, "ran")
        prog = self.script("prog.py", "open(%r, 'w').write('ran')\nprint('ran')\n" % marker)
        start = time.monotonic()
        r = self.smiley("run", "--socket", self.endpoint, prog, timeout=10)
        self.assertLess(time.monotonic() - start, 5)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, NOBODY.format(self.endpoint))
        self.assertEqual(r.stdout, "")
        self.assertFalse(os.path.exists(marker))

        # The default endpoint is a per-user socket under XDG_RUNTIME_DIR.
        r = self.smiley("run", prog, timeout=10)
        self.assertEqual(r.returncode, 1)
        default = "unix:" + os.path.join(self.env["XDG_RUNTIME_DIR"], "smiley", "smiley.sock")
        self.assertEqual(r.stderr, NOBODY.format(default))
        self.assertFalse(os.path.exists(marker))

    def test_default_endpoint(self):
        runtime = self.env["XDG_RUNTIME_DIR"]
        sock = os.path.join(runtime, "smiley", "smiley.sock")
        proc = subprocess.Popen([SMILEY, "record", "--database", self.db], cwd=self.tmp,
                                env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        self.listeners.append(proc)
        self.assertIn("listening on unix:%s," % sock, self.wait_listening(proc))
        self.assertEqual(stat.S_IMODE(os.stat(os.path.dirname(sock)).st_mode), 0o700)
        self.assertEqual(stat.S_IMODE(os.stat(sock).st_mode), 0o600)
        r = self.smiley("run", TEST_APP)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.runs()[0]["state"], "finished")
        status, out, err = self.stop(proc)
        self.assertEqual(status, 0, err)
        self.assertFalse(os.path.exists(sock))

    def test_kill_9_mid_stream_is_abnormal_and_listener_keeps_serving(self):
        rec = self.listen("record", "--database", self.db)
        run, stopfile = self.start_long_run()
        time.sleep(0.3)
        run.kill()
        # Not communicate(): the orphaned program still holds the pipes.
        self.assertEqual(run.wait(timeout=10), -signal.SIGKILL)
        run.stdout.close()
        run.stderr.close()

        runs = self.wait_for_runs(1, "abnormal")
        self.assertEqual(runs[0]["error"], "connection lost")

        r = self.smiley("run", "--socket", self.endpoint, TEST_APP)
        self.assertEqual(r.returncode, 0, r.stderr)
        states = sorted(run["state"] for run in self.runs())
        self.assertEqual(states, ["abnormal", "finished"])

        status, out, err = self.stop(rec)
        self.assertEqual(status, 0, err)

    def test_listener_stopped_mid_run(self):
        rec = self.listen("record", "--database", self.db)
        run, stopfile = self.start_long_run()
        time.sleep(0.3)
        status, out, err = self.stop(rec, signal.SIGTERM)
        self.assertEqual(status, 0, err)
        with open(stopfile, "w"):
            pass
        out, err = run.communicate(timeout=30)
        # The events have nowhere to go: the command says so and fails.
        self.assertEqual(run.returncode, 1)
        self.assertRegex(err, r"^smiley run: lost the connection to the listener on %s \(.*\): "
                         r"the rest of run [0-9a-f-]+ cannot be recorded\n$" % re.escape(self.endpoint))
        runs = self.runs()
        self.assertEqual(len(runs), 1)
        self.assertEqual(runs[0]["state"], "abnormal")
        self.assertEqual(runs[0]["error"], "listener stopped")

    def test_killed_listener_is_replaced(self):
        rec = self.listen("record", "--database", self.db)
        rec.kill()
        rec.communicate(timeout=10)
        # Its socket file stays behind, with nobody to answer.
        self.assertTrue(stat.S_ISSOCK(os.lstat(self.sock).st_mode))
        r = self.smiley("run", "--socket", self.endpoint, TEST_APP, timeout=10)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, NOBODY.format(self.endpoint))

        # A new listener takes the stale socket over.
        rec = self.listen("record", "--database", self.db)
        r = self.smiley("run", "--socket", self.endpoint, TEST_APP)
        self.assertEqual(r.returncode, 0, r.stderr)
        status, out, err = self.stop(rec)
        self.assertEqual(status, 0, err)
        self.assertEqual([run["state"] for run in self.runs()], ["finished"])

    def test_bad_peers_are_disconnected(self):
        rec = self.listen("record", "--database", self.db)
        peers = [
            (b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", "not a smiley event stream"),
            (b"SMLY\x07\x00\x00\x00", "format version 7"),
            (b"SMLY\x01\x00\x00\x00" + ((64 << 20) + 1).to_bytes(4, "little") + b"\x05\x00\x00\x00",
             "more than the limit"),
            (os.urandom(4096), "not a smiley event stream"),
        ]
        for data, _ in peers:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(10)
                s.connect(self.sock)
                try:
                    s.sendall(data)
                except OSError:
                    pass
                # The listener closes the connection.
                self.assertEqual(s.recv(16), b"")

        r = self.smiley("run", "--socket", self.endpoint, TEST_APP)
        self.assertEqual(r.returncode, 0, r.stderr)
        status, out, err = self.stop(rec)
        self.assertEqual(status, 0, err)
        lines = err.splitlines()
        self.assertEqual(len(lines), len(peers), err)
        for line, (_, reason) in zip(lines, peers):
            self.assertRegex(line, r"^smiley: disconnecting peer pid \d+: ")
            self.assertIn(reason, line)
        runs = self.runs()
        self.assertEqual([run["state"] for run in runs], ["finished"])

    def test_resent_run_id_is_refused_and_record_serves_on(self):
        rec = self.listen("record", "--database", self.db)
        r = self.smiley("run", "--socket", self.endpoint, TEST_APP)
        self.assertEqual(r.returncode, 0, r.stderr)
        run_id = self.runs()[0]["id"]

        # A peer claiming a run the store already holds is turned away.
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(10)
            s.connect(self.sock)
            s.sendall(run_begin_stream(run_id))
            self.assertEqual(s.recv(16), b"")

        r = self.smiley("run", "--socket", self.endpoint, TEST_APP)
        self.assertEqual(r.returncode, 0, r.stderr)
        status, out, err = self.stop(rec)
        self.assertEqual(status, 0, err)
        self.assertRegex(err, r"^smiley: disconnecting peer pid \d+: .*a run with id %s is "
                         r"already stored\n$" % run_id)
        runs = self.runs()
        self.assertEqual([run["state"] for run in runs], ["finished", "finished"])
        self.assertEqual(sorted(run["argv"] for run in runs), [[TEST_APP], [TEST_APP]])

    def test_second_listener_fails(self):
        rec = self.listen("record", "--database", self.db)
        for command in ["monitor", "record"]:
            start = time.monotonic()
            # monitor keeps no store, so it takes no --database
            store = ["--database", self.db] if command == "record" else []
            r = self.smiley(command, "--socket", self.endpoint, *store, timeout=10)
            self.assertLess(time.monotonic() - start, 5)
            self.assertEqual(r.returncode, 1)
            self.assertEqual(r.stderr.count("\n"), 1, r.stderr)
            self.assertIn("smiley %s: %s: another 'smiley monitor' or 'smiley record' is "
                          "already listening there" % (command, self.endpoint), r.stderr)

        self.assertEqual(stat.S_IMODE(os.lstat(self.sock).st_mode), 0o600)
        r = self.smiley("run", "--socket", self.endpoint, TEST_APP)
        self.assertEqual(r.returncode, 0, r.stderr)
        status, out, err = self.stop(rec)
        self.assertEqual(status, 0, err)
        self.assertEqual(len(self.runs()), 1)
        # A stopped listener leaves no socket behind.
        self.assertFalse(os.path.exists(self.sock))

    def test_tcp_port_0(self):
        # The listener picks a free port and says which.
        proc = subprocess.Popen([SMILEY, "record", "--socket", "tcp://127.0.0.1:0", "--database",
                                 self.db], cwd=self.tmp, env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        self.listeners.append(proc)
        line = self.wait_listening(proc)
        m = re.match(r"smiley record: listening on (tcp://127\.0\.0\.1:(\d+)),", line)
        self.assertIsNotNone(m, line)
        endpoint = m.group(1)
        self.assertNotEqual(int(m.group(2)), 0)

        r = self.smiley("run", "--socket", endpoint, TEST_APP)
        self.assertEqual(r.returncode, 0, r.stderr)
        status, out, err = self.stop(proc)
        self.assertEqual(status, 0, err)
        self.assertEqual([run["state"] for run in self.runs()], ["finished"])

        r = self.smiley("run", "--socket", endpoint, TEST_APP, timeout=10)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, NOBODY.format(endpoint))

    def test_large_run_events_sent_equal_stored(self):
        prog = self.script("big.py", BIG_PROGRAM)
        rec = self.listen("record", "--database", self.db)
        r = self.smiley("run", "--socket", self.endpoint, "--stats-summary", prog)
        self.assertEqual(r.returncode, 0, r.stderr)
        m = re.search(r"smiley: (\d+) events emitted, (\d+) events recorded", r.stderr)
        self.assertIsNotNone(m, r.stderr)
        emitted, sent = int(m.group(1)), int(m.group(2))
        self.assertEqual(emitted, sent)
        self.assertGreater(sent, 250000)
        status, out, err = self.stop(rec)
        self.assertEqual(status, 0, err)

        run_id = self.runs()[0]["id"]
        exported = os.path.join(self.tmp, "events.jsonl")
        r = self.smiley("export", "--database", self.db, "--format", "jsonl", run_id, exported)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(exported) as f:
            stored = sum(1 for line in f if line.strip())
        self.assertEqual(stored, sent)

    def test_slow_monitor_slows_run_and_loses_nothing(self):
        prog = self.script("big.py", BIG_PROGRAM)
        # Nobody reads the monitor's output yet: its console blocks on the
        # full pipe, stops taking events, and so must the publisher.
        mon = self.listen("monitor", "--color=never")
        run = subprocess.Popen([SMILEY, "run", "--socket", self.endpoint, "--stats-summary",
                                prog], cwd=self.tmp, env=self.env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
        time.sleep(2)
        self.assertIsNone(run.poll(), "the run finished although nobody took its events")

        # Drain the monitor; the run can now finish.
        lines = []
        deadline = time.monotonic() + 60
        for line in mon.stdout:
            lines.append(line)
            if line.startswith("Finished run"):
                break
            self.assertLess(time.monotonic(), deadline)
        out, err = run.communicate(timeout=60)
        self.assertEqual(run.returncode, 0, err)
        m = re.search(r"smiley: (\d+) events emitted, (\d+) events recorded", err)
        self.assertIsNotNone(m, err)
        self.assertEqual(m.group(1), m.group(2))
        status, rest, err = self.stop(mon)
        self.assertEqual(status, 0, err)
        # Every call of f() reached the console.
        calls = sum(1 for line in lines if re.search(r"big\.py:1: call>>> f$", line))
        self.assertEqual(calls, 50000)

    def test_bad_endpoint(self):
        for command in ["run", "monitor", "record"]:
            args = [TEST_APP] if command == "run" else []
            r = self.smiley(command, "--socket", "udp://localhost:9", *args, timeout=10)
            self.assertEqual(r.returncode, 1)
            self.assertEqual(r.stderr, "smiley %s: 'udp://localhost:9' is not a socket endpoint: "
                             "use unix:PATH or tcp://HOST:PORT\n" % command)


if __name__ == "__main__":
    unittest.main(verbosity=2)
