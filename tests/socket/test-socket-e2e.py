#!/usr/bin/python3
"""End-to-end tests of the socket transport with the real smiley binary.

`smiley record` / `smiley monitor` listen, `smiley run` publishes real
traced Python programs to them, and what arrives is checked with
`smiley list`, `replay` and `export`. Where a real peer cannot misbehave
on purpose, the test plays it: a publisher handing over broken rings, a
listener that drops the ring it was handed. Run by meson (suite 'socket')
with Debian's python3.
"""

import fcntl
import json
import mmap
import os
import re
import select
import shutil
import signal
import socket
import stat
import struct
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

# About 1.2 million events, after "ready" and a line on stdin.
PAUSED_LARGE_PROGRAM = """\
import sys
print('ready', flush=True)
sys.stdin.readline()
def f(i):
    x = i * 2
    return x

total = 0
for i in range(200000):
    total += f(i)
print(total)
"""

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

# The same, after "ready" and a line on stdin: while it waits, the run has
# begun and the test can look at who holds its ring.
PAUSED_BIG_PROGRAM = """\
import sys
print('ready', flush=True)
sys.stdin.readline()
""" + BIG_PROGRAM

# Calls a function as fast as it can for 3 s (far more events than the
# ring holds), then says so.
BUSY_PROGRAM = """\
import time
def step(i):
    return i + 1
print('ready', flush=True)
deadline = time.monotonic() + 3
n = 0
while time.monotonic() < deadline:
    n = step(n)
print('done', n > 1000)
"""

# About 2 million events, deterministic, with no pause: far more than an
# 8 MiB ring holds.
MANY_CALLS_PROGRAM = """\
def step(i):
    return i + 1
n = 0
for i in range(300000):
    n = step(n)
print('done', n)
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


def ostr(text):
    """An optional string: absent for None."""
    if text is None:
        return varint(0)
    data = text.encode()
    return varint(len(data) + 1) + data


def svarint(v):
    return varint(v << 1 if v >= 0 else (-v << 1) - 1)


def frame(kind, payload):
    """One frame: its size (header included), type and payload."""
    return (8 + len(payload)).to_bytes(4, "little") + bytes([kind, 0, 0, 0]) + payload


def run_end_frame(events_emitted, exit_status=0):
    """A RUN_END frame: finished, with that exit status, no error."""
    return frame(7, svarint(1700000001000000) + varint(1) + svarint(exit_status) + varint(0)
                 + b"\x00\x00" + varint(events_emitted))


def read_varint(data, pos):
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7f) << shift
        shift += 7
        if byte < 0x80:
            return value, pos


def split_frames(data):
    """The (type, payload) of the whole frames in @data, and what is left."""
    frames = []
    while len(data) >= 8:
        size = int.from_bytes(data[:4], "little")
        if size < 8 or len(data) < size:
            break
        frames.append((data[4], data[8:size]))
        data = data[size:]
    return frames, data


# The ring `smiley run` hands to a listener (core/smiley-ring.h): a header
# page, then the data.
RING_HEADER_SIZE = 4096
RING_MAGIC = 0x534d5247
RING_VERSION = 2
RING_SEALS = fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_SEAL
# Offsets of SmileyRingHeader's fields (offsetof() on 64-bit Linux: the
# producer's 64 bytes start at 16, the consumer's at 80).
RING_HEAD = 16
RING_EVENTS_EMITTED = 32
RING_TAIL = 80
RING_EVENTS_CONSUMED = 96
RING_CONSUMER_PID = 104
RING_CONSUMER_GONE = 108


class Ring:
    """A ring as the tracer makes it, written by the test instead: a sealed
    memfd holding a header for @size bytes of data (@header_size and
    @magic lie about it if given)."""

    def __init__(self, size=65536, header_size=None, magic=RING_MAGIC, seals=RING_SEALS):
        self.fd = os.memfd_create("test-ring", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
        self.size = size
        self.head = 0
        os.ftruncate(self.fd, RING_HEADER_SIZE + size)
        self.map = mmap.mmap(self.fd, RING_HEADER_SIZE + size)
        struct.pack_into("<IIQ", self.map, 0, magic, RING_VERSION,
                         size if header_size is None else header_size)
        if seals & fcntl.F_SEAL_WRITE:
            # Not while a writable mapping exists (EBUSY).
            self.map.close()
            self.map = None
        if seals:
            fcntl.fcntl(self.fd, fcntl.F_ADD_SEALS, seals)

    def close(self):
        if self.map is not None:
            self.map.close()
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def field(self, fmt, offset):
        return struct.unpack_from(fmt, self.map, offset)[0]

    def publish(self, head):
        self.head = head
        struct.pack_into("<Q", self.map, RING_HEAD, head)

    def write(self, data, timeout=20):
        """Writes whole frames once there is room for them, and publishes
        them, as the tracer does (the listener's mapping of the data is
        doubled; this one is not, so the bytes are cut at the end)."""
        deadline = time.monotonic() + timeout
        while self.size - (self.head - self.field("<Q", RING_TAIL)) < len(data):
            if time.monotonic() > deadline:
                raise AssertionError("the listener did not drain the ring: tail %d, head %d"
                                     % (self.field("<Q", RING_TAIL), self.head))
            time.sleep(0.001)
        offset = self.head & (self.size - 1)
        first = min(len(data), self.size - offset)
        start = RING_HEADER_SIZE + offset
        self.map[start:start + first] = data[:first]
        self.map[RING_HEADER_SIZE:RING_HEADER_SIZE + len(data) - first] = data[first:]
        self.publish(self.head + len(data))


def ring_mapped_by(pid):
    """Whether process @pid maps a ring made by smiley run's tracer."""
    with open("/proc/%d/maps" % pid) as f:
        return "/memfd:smiley-ring" in f.read()


def run_begin_stream(run_id, flags=0):
    """The stream header and a RUN_BEGIN frame (docs/wire-format.md);
    flags 1 (SMILEY_WIRE_FLAG_RING) says a ring comes with the stream."""
    payload = (string(run_id) + varint(42) + varint(1700000000000000 << 1) + string("/tmp")
               + string("resent") + varint(1) + string("resent.py"))
    return (b"SMLY\x01\x00" + flags.to_bytes(2, "little")
            + (8 + len(payload)).to_bytes(4, "little") + b"\x01\x00\x00\x00" + payload)


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

    def spawn_run(self, *args, **kwargs):
        """Starts `smiley run ARGS` in a process group of its own, which is
        killed when the test ends: a test that fails must not leave the
        traced program waiting on its ring for ever."""
        proc = subprocess.Popen([SMILEY, "run", "--socket", self.endpoint, *args], cwd=self.tmp,
                                env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, start_new_session=True, **kwargs)

        def kill_group():
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
            for pipe in (proc.stdin, proc.stdout, proc.stderr):
                if pipe is not None:
                    pipe.close()

        self.addCleanup(kill_group)
        return proc

    def wait_ring_mapped(self, proc):
        """Waits until listener @proc has mapped a run's ring: the run was
        handed over."""
        deadline = time.monotonic() + 10
        while not ring_mapped_by(proc.pid):
            self.assertLess(time.monotonic(), deadline, "the listener never mapped the ring")
            time.sleep(0.01)

    def connect_raw(self):
        """A raw client connected to the listener's socket."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.addCleanup(s.close)
        s.settimeout(10)
        s.connect(self.sock)
        return s

    def serve_as_listener(self):
        """The test's own listening socket, where a listener would be."""
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.addCleanup(server.close)
        server.bind(self.sock)
        server.listen(1)
        server.settimeout(10)
        return server

    def send_ring_run(self, run_id, fds):
        """Connects as `smiley run` does when it hands its ring over: the
        stream header and RUN_BEGIN with @fds attached. Returns the
        socket."""
        s = self.connect_raw()
        stream = run_begin_stream(run_id, flags=1)
        self.assertEqual(socket.send_fds(s, [stream], fds), len(stream))
        return s

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

    def test_handed_over_run_in_a_directory_not_utf8_has_its_sources(self):
        # Names that are not UTF-8 are recorded escaped (RUN_BEGIN's cwd,
        # the file's name), so nobody could open the file by them: the
        # tracer sends such a file's source itself, through the ring.
        import sqlite3
        work = os.path.join(os.fsencode(self.tmp), b"caf\xe9")
        os.mkdir(work)
        code = b"def f(x):\n    return x + 1\nprint(f(1))\n"
        with open(os.path.join(work, b"p.py"), "wb") as f:
            f.write(code)
        rec = self.listen("record", "--database", self.db)
        r = subprocess.run([SMILEY, "run", "--socket", self.endpoint, "p.py"], cwd=work,
                           env=self.env, capture_output=True, timeout=60)
        self.assertEqual((r.returncode, r.stdout), (0, b"2\n"), r.stderr)
        status, _, err = self.stop(rec)
        self.assertEqual(status, 0, err)
        self.assertIn("caf\\xe9", self.runs()[0]["cwd"])
        with sqlite3.connect(self.db) as c:
            stored = [bytes(row[0]) for row in c.execute("SELECT content FROM source")]
        self.assertEqual(stored, [code])

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
        # The ring was handed over: the end of the run is all that could
        # not be written, and the tracer stopped when the listener did.
        self.assertRegex(err, r"^smiley run: the listener on %s stopped taking run [0-9a-f-]+ "
                         r"while the program ran \(.*\); the program went on untraced from "
                         r"there\n$" % re.escape(self.endpoint))
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
        prog = self.script("large.py", PAUSED_LARGE_PROGRAM)
        rec = self.listen("record", "--database", self.db)
        run = self.spawn_run("--stats-summary", prog, stdin=subprocess.PIPE)
        self.assertEqual(run.stdout.readline(), "ready\n")
        # The default on a Unix socket: the listener drains the tracer's
        # ring itself.
        self.wait_ring_mapped(rec)
        out, err = run.communicate("\n", timeout=60)
        self.assertEqual(run.returncode, 0, err)
        self.assertEqual(out, "39999800000\n")
        m = re.fullmatch(r"smiley: (\d+) events emitted, (\d+) events recorded\n", err)
        self.assertIsNotNone(m, err)
        emitted, sent = int(m.group(1)), int(m.group(2))
        self.assertEqual(emitted, sent)
        self.assertGreater(sent, 1000000)
        status, out, err = self.stop(rec)
        self.assertEqual(status, 0, err)

        run_id = self.runs()[0]["id"]
        exported = os.path.join(self.tmp, "events.jsonl")
        r = self.smiley("export", "--database", self.db, "--format", "jsonl", run_id, exported)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(exported) as f:
            stored = sum(1 for line in f if line.strip())
        self.assertEqual(stored, emitted)

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

    # handing the ring over (docs/transport.md)

    def test_hostile_ring_peers_are_disconnected(self):
        rec = self.listen("record", "--database", self.db)

        sent_pipes = []

        def pipe():
            r, w = os.pipe()
            self.addCleanup(os.close, r)
            os.close(w)
            sent_pipes.append("pipe:[%d]" % os.fstat(r).st_ino)
            return [r], None

        def ring(**kwargs):
            def make():
                r = Ring(**kwargs)
                self.addCleanup(r.close)
                return [r.fd], r
            return make

        def published(data, head=None):
            """A valid ring holding @data, or claiming to hold @head bytes."""
            def make():
                fds, r = ring()()
                r.map[RING_HEADER_SIZE:RING_HEADER_SIZE + len(data)] = data
                r.publish(len(data) if head is None else head)
                return fds, r
            return make

        def two_rings():
            return ring()()[0] + ring()()[0], None

        # (how the peer breaks the ring, whether its run begins, what the
        # listener must say)
        peers = [
            (pipe, False, "the ring it handed over: the ring is not a memfd whose size is sealed"),
            (ring(seals=0), False, "the ring is not a memfd whose size is sealed"),
            (ring(seals=fcntl.F_SEAL_GROW | fcntl.F_SEAL_SEAL), False,
             "the ring is not a memfd whose size is sealed"),
            (ring(size=65536 + 4096), False,
             "the ring's 69632 bytes of data are not a power of two from 64 KiB to 1 GiB"),
            (ring(size=32768), False, "the ring's 32768 bytes of data are not a power of two"),
            (ring(magic=0x12345678), False,
             "the ring's header is not a smiley ring of version 2 and 65536 bytes"),
            (ring(header_size=1 << 20), False,
             "the ring's header is not a smiley ring of version 2 and 65536 bytes"),
            # A ring the listener could not write its tail into.
            (ring(seals=RING_SEALS | fcntl.F_SEAL_WRITE), False, "cannot map the ring"),
            (two_rings, False, "it sent more than one file descriptor"),
            (published(b"", head=65537), True, "the ring of 65536 bytes claims to hold 65537"),
            (published(b"", head=1 << 63), True, "claims to hold 9223372036854775808"),
            (published(frame(99, b"12345678")), True, "unknown frame type 99"),
            (published(b"garbage!" * 64), True, "unknown frame type 97"),
            (published(b"\xff\xff\xff\x7f\x05\x00\x00\x00" + bytes(64)), True,
             "(EVENTS) is 2147483647 bytes, more than the limit"),
            # A frame the producer would never finish: the listener must
            # not wait for its last bytes for ever.
            (published(frame(2, b"\x01" * 100)[:20]), True,
             "holds 20 bytes that are not a whole frame"),
            # A run that does not begin with strings and threads.
            (published(frame(5, varint(1) + bytes([1, 1, 1, 0, 0, 0, 1, 1, 2, 0, 0]))), True,
             "not defined"),
        ]
        for i, (make, begins, _) in enumerate(peers):
            fds, sent_ring = make()
            s = self.send_ring_run("hostile-%d" % i, fds)
            if begins and i % 2:
                # Neither does hanging up make a broken ring whole...
                s.shutdown(socket.SHUT_WR)
            elif begins:
                # ...nor the publisher's end (if the listener has not
                # refused the ring already).
                try:
                    s.sendall(run_end_frame(0))
                except OSError:
                    pass
            # No ACK: the listener closes the connection.
            self.assertEqual(s.recv(16), b"", "peer %d" % i)
            s.close()
            if begins:
                # The listener let the tracer know it will not drain any more.
                self.assertEqual(sent_ring.field("<I", RING_CONSUMER_GONE), 1, "peer %d" % i)

        # It kept none of the rings, pipes or mappings it was sent.
        held = [os.readlink("/proc/%d/fd/%s" % (rec.pid, fd))
                for fd in os.listdir("/proc/%d/fd" % rec.pid)]
        self.assertEqual([f for f in held if "test-ring" in f or f in sent_pipes], [], held)
        with open("/proc/%d/maps" % rec.pid) as f:
            self.assertNotIn("test-ring", f.read())

        # It serves on, and still takes a real ring.
        r = self.smiley("run", "--socket", self.endpoint, TEST_APP)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr, "")
        status, out, err = self.stop(rec)
        self.assertEqual(status, 0, err)
        lines = err.splitlines()
        self.assertEqual(len(lines), len(peers), err)
        for i, (line, (_, begins, reason)) in enumerate(zip(lines, peers)):
            run = r" \(run hostile-%d\)" % i if begins else ""
            self.assertRegex(line, r"^smiley: disconnecting peer pid %d%s: " % (os.getpid(), run))
            self.assertIn(reason, line)

        # The runs that began are kept, ended for the reason given.
        runs = self.runs()
        self.assertEqual([run["state"] for run in runs if run["argv"] == [TEST_APP]],
                         ["finished"])
        hostile = {run["id"]: run for run in runs if run["argv"] != [TEST_APP]}
        began = {"hostile-%d" % i: reason for i, (_, begins, reason) in enumerate(peers) if begins}
        self.assertEqual(sorted(hostile), sorted(began))
        for run_id, reason in began.items():
            self.assertEqual(hostile[run_id]["state"], "abnormal")
            self.assertRegex(hostile[run_id]["error"], r"^protocol error: .*%s" % re.escape(reason))

    def test_ring_peer_writing_more_than_its_ring_is_stored_whole(self):
        rec = self.listen("record", "--database", self.db)
        ring = Ring(65536)
        self.addCleanup(ring.close)
        s = self.send_ring_run("ring-peer", [ring.fd])

        # A file name in <>: the listener reads no source for it.
        ring.write(frame(2, varint(2) + varint(1) + string("<ring-peer>") + varint(2)
                         + string("work")))
        ring.write(frame(3, varint(1) + varint(1) + varint(42) + varint(42) + string("MainThread")))
        calls, per_frame = 12000, 100

        def event(kind, call, time_ns, line, arg):
            return (bytes([kind]) + varint(1) + varint(call) + varint(0) + varint(0)
                    + varint(time_ns) + varint(1) + varint(line) + varint(2)
                    + ostr(arg) + varint(0))

        for first in range(1, calls + 1, per_frame):
            events = b"".join(event(1, c, 1000 * c, 1, None)
                              + event(3, c, 1000 * c + 500, 2, str(c))
                              for c in range(first, first + per_frame))
            ring.write(frame(5, varint(2 * per_frame) + events))
        # The tracer's end in the ring, the publisher's on the socket.
        ring.write(run_end_frame(2 * calls))
        s.sendall(run_end_frame(2 * calls))
        self.assertEqual(s.recv(16), b"\x06")
        # The ring was filled and drained several times over, across its end.
        self.assertGreater(ring.head, 4 * ring.size)
        self.assertEqual(ring.field("<Q", RING_TAIL), ring.head)
        self.assertEqual(ring.field("<Q", RING_EVENTS_CONSUMED), 2 * calls)

        status, out, err = self.stop(rec)
        self.assertEqual(status, 0, err)
        self.assertEqual(err, "")
        runs = self.runs()
        self.assertEqual([(run["id"], run["state"], run["exit_status"]) for run in runs],
                         [("ring-peer", "finished", 0)])
        r = self.smiley("export", "--database", self.db, "--format", "jsonl", "ring-peer", "-")
        self.assertEqual(r.returncode, 0, r.stderr)
        events = [json.loads(line) for line in r.stdout.splitlines()]
        self.assertEqual(len(events), 2 * calls)
        self.assertEqual([(e["kind"], e["call_id"], e["arg"]) for e in events[:2]],
                         [("call", 1, None), ("return", 1, "1")])
        self.assertEqual([e["call_id"] for e in events[::2]], list(range(1, calls + 1)))
        self.assertEqual([e["arg"] for e in events[1::2]], [str(c) for c in range(1, calls + 1)])
        self.assertEqual({(e["file"], e["function"], e["thread"]) for e in events},
                         {("<ring-peer>", "work", 1)})

    def run_busy_program(self):
        """Starts BUSY_PROGRAM under `smiley run`, and returns once the
        listener (the last one started) has taken its ring."""
        prog = self.script("busy.py", BUSY_PROGRAM)
        start = time.monotonic()
        run = self.spawn_run(prog)
        self.assertEqual(run.stdout.readline(), "ready\n")
        self.wait_ring_mapped(self.listeners[-1])
        return run, start

    def assert_program_finished_untraced(self, run, start):
        """The busy program ran to its end although the listener went
        away, and `smiley run` said in one line that the run is lost."""
        out, err = run.communicate(timeout=30)
        self.assertLess(time.monotonic() - start, 15)
        self.assertEqual(out, "done True\n")
        self.assertEqual(run.returncode, 1, err)
        self.assertEqual(err.count("\n"), 1, err)
        self.assertRegex(err, r"^smiley run: .*listener.*\n$")

    def test_listener_killed_during_handoff(self):
        rec = self.listen("record", "--database", self.db)
        run, start = self.run_busy_program()
        time.sleep(0.3)
        rec.kill()
        # Reaped at once, as a shell would: a zombie's pid still exists.
        rec.communicate(timeout=10)
        self.assert_program_finished_untraced(run, start)

    def test_listener_killed_and_not_reaped_during_handoff(self):
        # A zombie's pid still exists, so the tracer cannot tell from the
        # pid: smiley run sees the hang-up and says so in the ring.
        rec = self.listen("record", "--database", self.db)
        run, start = self.run_busy_program()
        time.sleep(0.3)
        rec.kill()
        self.assert_program_finished_untraced(run, start)
        rec.communicate(timeout=10)

    def test_listener_stopped_during_handoff(self):
        rec = self.listen("record", "--database", self.db)
        run, start = self.run_busy_program()
        time.sleep(0.3)
        status, out, err = self.stop(rec)
        self.assertEqual(status, 0, err)
        self.assertEqual(err, "")
        self.assert_program_finished_untraced(run, start)
        runs = self.runs()
        self.assertEqual([(run["state"], run["error"]) for run in runs],
                         [("abnormal", "listener stopped")])

    def test_listener_that_cannot_take_a_ring_refuses_it_and_nothing_hangs(self):
        # A listener of a smiley from before the handover (reading with a
        # plain recv(), which drops the descriptor) refuses the flagged
        # stream header, as any stream with flags it does not know. Played
        # here by a socket that reads the header, sees the flag and closes:
        # `smiley run` must notice, and the program must not wait on a ring
        # nobody drains.
        server = self.serve_as_listener()
        prog = self.script("busy.py", BUSY_PROGRAM)
        start = time.monotonic()
        run = self.spawn_run(prog)
        conn, _ = server.accept()
        conn.settimeout(10)
        header = conn.recv(8)
        self.assertEqual(header[:6], b"SMLY\x01\x00")
        self.assertNotEqual(int.from_bytes(header[6:8], "little"), 0)
        conn.close()
        self.assertEqual(run.stdout.readline(), "ready\n")
        self.assert_program_finished_untraced(run, start)

    def test_ring_flag_and_descriptor_must_come_together(self):
        rec = self.listen("record", "--database", self.db)
        # The flag without a ring.
        s = self.connect_raw()
        s.sendall(run_begin_stream("flag-alone", flags=1))
        self.assertEqual(s.recv(1), b"")
        # A descriptor without the flag.
        r, w = os.pipe()
        self.addCleanup(os.close, r)
        self.addCleanup(os.close, w)
        s = self.connect_raw()
        stream = run_begin_stream("fd-alone")
        self.assertEqual(socket.send_fds(s, [stream], [r]), len(stream))
        self.assertEqual(s.recv(1), b"")
        status, _, err = self.stop(rec)
        self.assertEqual(status, 0, err)
        self.assertRegex(err, r"disconnecting peer pid \d+: its stream says a ring comes with "
                         r"it, and none did\n")
        self.assertRegex(err, r"disconnecting peer pid \d+: it sent a file descriptor with a "
                         r"stream that has no ring\n")
        self.assertEqual(self.runs(), [])

    def test_tracer_gives_up_on_a_ring_its_listener_dropped(self):
        # The test is the listener: it takes the ring, checks it, and drops
        # the run without draining it while it lives on.
        server = self.serve_as_listener()
        prog = self.script("many.py", MANY_CALLS_PROGRAM)
        start = time.monotonic()
        run = self.spawn_run(prog)
        conn, _ = server.accept()
        self.addCleanup(conn.close)
        conn.settimeout(20)
        data, fds, _, _ = socket.recv_fds(conn, 65536, 4)
        self.assertEqual(len(fds), 1)
        fd = fds[0]
        self.addCleanup(os.close, fd)
        # The stream's first bytes: its header and RUN_BEGIN, the ring with
        # them.
        # Flagged: a listener that cannot take a ring refuses the stream.
        self.assertEqual(data[:8], b"SMLY\x01\x00\x01\x00")
        frames, rest = split_frames(data[8:])
        self.assertEqual([kind for kind, _ in frames], [1])
        self.assertEqual(rest, b"")
        self.assertEqual(fcntl.fcntl(fd, fcntl.F_GET_SEALS) & RING_SEALS, RING_SEALS)
        size = os.fstat(fd).st_size - RING_HEADER_SIZE
        self.assertEqual(size, 8 << 20)
        with mmap.mmap(fd, RING_HEADER_SIZE) as header:
            self.assertEqual(struct.unpack_from("<IIQ", header, 0),
                             (RING_MAGIC, RING_VERSION, size))
            self.assertEqual(struct.unpack_from("<i", header, RING_CONSUMER_PID)[0], os.getpid())
            struct.pack_into("<I", header, RING_CONSUMER_GONE, 1)

            # The connection carries nothing more but the publisher's end.
            data = b""
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
                frames, rest = split_frames(data)
                if frames:
                    break
            self.assertEqual([kind for kind, _ in frames], [7], data[:100])
            self.assertEqual(rest, b"")
            head = struct.unpack_from("<Q", header, RING_HEAD)[0]
            emitted = struct.unpack_from("<Q", header, RING_EVENTS_EMITTED)[0]
        # Nothing was drained, and nothing overwritten: the tracer stopped
        # at a full ring, far from the program's 1.5 million events.
        self.assertGreater(head, size - 65536)
        self.assertLessEqual(head, size)
        self.assertGreater(emitted, 100000)
        self.assertLess(emitted, 600000)
        # How the program ended, from `smiley run`: exit status 0, no
        # signal, the events the tracer emitted, abnormal as the tracer
        # could not write its own end.
        payload = frames[0][1]
        pos = read_varint(payload, 0)[1]
        state, pos = read_varint(payload, pos)
        exit_status, pos = read_varint(payload, pos)
        signum, pos = read_varint(payload, pos)
        self.assertEqual((state, exit_status, signum), (2, 0, 0))
        self.assertEqual(payload[pos:pos + 2], b"\x00\x00")
        self.assertEqual(read_varint(payload, pos + 2), (emitted, len(payload)))
        conn.close()   # no ACK

        out, err = run.communicate(timeout=30)
        self.assertLess(time.monotonic() - start, 15)
        self.assertEqual(out, "done 300000\n")
        self.assertEqual(run.returncode, 1, err)
        self.assertEqual(err.count("\n"), 1, err)
        self.assertRegex(err, r"^smiley run: .*listener.*\n$")

    def test_share_ring_off_records_the_same(self):
        prog = self.script("paused.py", PAUSED_BIG_PROGRAM)
        rec = self.listen("record", "--database", self.db)
        counts = []
        # Off first: then no ring of an earlier run can be mapped still.
        for share in ["false", "true"]:
            run = self.spawn_run("--stats-summary", "--set", "share-ring=" + share, prog,
                                 stdin=subprocess.PIPE)
            self.assertEqual(run.stdout.readline(), "ready\n")
            self.wait_for_runs(1, "running")
            # Whether the listener took the ring over.
            self.assertEqual(ring_mapped_by(rec.pid), share == "true", share)
            out, err = run.communicate("\n", timeout=60)
            self.assertEqual(run.returncode, 0, err)
            self.assertEqual(out, "2499950000\n")
            m = re.fullmatch(r"smiley: (\d+) events emitted, (\d+) events recorded\n", err)
            self.assertIsNotNone(m, err)
            self.assertEqual(m.group(1), m.group(2))
            counts.append(int(m.group(1)))
        self.assertEqual(counts[0], counts[1])
        self.assertGreater(counts[0], 250000)
        status, out, err = self.stop(rec)
        self.assertEqual(status, 0, err)

        # runs() lists the newest first.
        ids = [run["id"] for run in reversed(self.runs())]
        self.assertEqual(len(ids), 2)
        replays, exports = [], []
        for run_id in ids:
            r = self.smiley("replay", "--database", self.db, "--color=never", run_id)
            self.assertEqual(r.returncode, 0, r.stderr)
            replays.append(r.stdout)
            r = self.smiley("export", "--database", self.db, "--format", "jsonl", run_id, "-")
            self.assertEqual(r.returncode, 0, r.stderr)
            events = [json.loads(line) for line in r.stdout.splitlines()]
            for event in events:
                del event["time_ns"]
            exports.append(events)
        self.assertEqual(len(exports[0]), counts[0])
        self.assertEqual(exports[0], exports[1])
        self.assertEqual(replays[0], replays[1])
        self.assertEqual(len(re.findall(r"(?m)^paused\.py:\d+: call>>> f$", replays[0])), 50000)

    def test_bad_endpoint(self):
        for command in ["run", "monitor", "record"]:
            args = [TEST_APP] if command == "run" else []
            r = self.smiley(command, "--socket", "udp://localhost:9", *args, timeout=10)
            self.assertEqual(r.returncode, 1)
            self.assertEqual(r.stderr, "smiley %s: 'udp://localhost:9' is not a socket endpoint: "
                             "use unix:PATH or tcp://HOST:PORT\n" % command)


if __name__ == "__main__":
    unittest.main(verbosity=2)
