# smiley monitor / record with smiley run publishing over the default
# (per-user) Unix socket and over TCP on loopback; peers that send garbage,
# truncated or corrupted streams are turned away one line each while the
# listener keeps serving.
import os
import random
import signal
import socket
import subprocess
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_common import E2ETestCase, SMILEY, smiley  # noqa: E402

HELLO = """\
import sys
def add(a, b):
    total = a + b
    return total
print(add(1, 2), sys.argv[1:])
"""


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class ListenerTestCase(E2ETestCase):
    def setUp(self):
        super().setUp()
        self.write("hello.py", HELLO)
        self.listeners = []

    def tearDown(self):
        for p in self.listeners:
            if p.poll() is None:
                p.kill()
                p.wait()
            p.stdout.close()
            p.stderr.close()
        super().tearDown()

    def listen(self, command, *args):
        p = subprocess.Popen([SMILEY, command, *args], cwd=self.tmp, env=self.env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.listeners.append(p)
        # The "listening on" line is printed once the socket is bound.
        line = p.stderr.readline()
        self.assertIn(b"listening on", line)
        self.first_line = line.decode()
        return p

    def stop(self, p, sig=signal.SIGINT):
        p.send_signal(sig)
        out, err = p.communicate(timeout=30)
        self.assertEqual(p.returncode, 0, err)
        return out.decode("utf-8", "replace"), self.first_line + err.decode("utf-8", "replace")

    def run_until_listening(self, *socket_args):
        """smiley run, retried while the listener is still starting up."""
        deadline = time.time() + 15
        while True:
            r = smiley("run", *socket_args, "hello.py", "x", cwd=self.tmp, env=self.env)
            if r.returncode == 0 or time.time() > deadline or b"nobody is listening" not in r.stderr:
                return r
            time.sleep(0.1)


class RecordMonitorTest(ListenerTestCase):
    def test_record_default_socket(self):
        rec = self.listen("record", "--database", self.db)
        r = self.run_until_listening()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, b"3 ['x']\n")
        self.write("sig.py", "import os, signal\ndef f(i):\n    return i\nfor i in range(50):\n    f(i)\n"
                   "os.kill(os.getpid(), signal.SIGKILL)\n")
        r = smiley("run", "sig.py", cwd=self.tmp, env=self.env)
        self.assertEqual(r.returncode, 137)
        # Two programs publishing at once.
        ps = [subprocess.Popen([SMILEY, "run", "hello.py", str(i)], cwd=self.tmp, env=self.env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE) for i in range(4)]
        for i, p in enumerate(ps):
            out, err = p.communicate(timeout=30)
            self.assertEqual((p.returncode, out), (0, b"3 ['%d']\n" % i), err)
        out, err = self.stop(rec)
        self.assertIn("recording into sqlite:" + self.db, err)
        listing = smiley("list", "--database", self.db, env=self.env).stdout.decode()
        self.assertEqual(listing.count("hello.py"), 5)
        self.assertIn("killed by signal 9 (Killed)", listing)
        self.assertEqual(self.replay(None).count("call>>> add"), 1)
        ids = self.run_ids()
        sig_run = [i for i in ids if "sig.py" in smiley("replay", i, "--database", self.db,
                                                          env=self.env).stdout.decode().splitlines()[0]]
        self.assertEqual(len(sig_run), 1)
        self.assertEqual(self.replay(sig_run[0]).count("call>>> f"), 50)

    def test_monitor_tcp(self):
        endpoint = "tcp://127.0.0.1:%d" % free_port()
        mon = self.listen("monitor", "--socket", endpoint)
        r = self.run_until_listening("--socket", endpoint)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, b"3 ['x']\n")
        out, err = self.stop(mon, signal.SIGTERM)
        self.assertIn("listening on " + endpoint, err)
        self.assertIn("Starting new run: ['hello.py', 'x']", out)
        self.assertIn("hello.py:2: call>>> add\n    a = 1\n    b = 2\n", out)
        self.assertIn("hello.py:4: return>>> 3\n", out)
        self.assertTrue(out.rstrip().endswith("Finished run"), out[-300:])

    def test_record_tcp_file_store(self):
        endpoint = "tcp://127.0.0.1:%d" % free_port()
        store = "file:" + os.path.join(self.tmp, "fs")
        rec = self.listen("record", "--socket", endpoint, "--store", store)
        r = self.run_until_listening("--socket", endpoint)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.stop(rec)
        self.assertIn("return>>> 3", self.replay(None, "--store", store))

    def test_listener_bad_endpoints(self):
        for endpoint, fragment in (("udp://x", "not a socket endpoint"),
                                   ("tcp://127.0.0.1:99999", "99999"),
                                   ("unix:/etc/passwd/s.sock", "/etc/passwd")):
            for cmd in ("monitor", "record"):
                with self.subTest(cmd=cmd, endpoint=endpoint):
                    store = ["--database", self.db] if cmd == "record" else []
                    r = smiley(cmd, "--socket", endpoint, *store, env=self.env, timeout=15)
                    self.assertOneLineError(r, 1, fragment)

    def test_port_in_use(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        try:
            r = smiley("monitor", "--socket", "tcp://127.0.0.1:%d" % s.getsockname()[1], env=self.env, timeout=15)
            self.assertOneLineError(r, 1, str(s.getsockname()[1]))
        finally:
            s.close()


class HostilePeerTest(ListenerTestCase):
    def capture_stream(self):
        """The bytes smiley run sends, taken by a fake listener that ACKs."""
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)
        port = srv.getsockname()[1]
        p = subprocess.Popen([SMILEY, "run", "--socket", "tcp://127.0.0.1:%d" % port, "hello.py", "cap"],
                             cwd=self.tmp, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        conn, _ = srv.accept()
        conn.settimeout(1.0)
        data = b""
        while True:
            try:
                chunk = conn.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            data += chunk
        conn.sendall(b"\x06")
        conn.close()
        srv.close()
        out, err = p.communicate(timeout=30)
        self.assertEqual(p.returncode, 0, err)
        self.assertTrue(data.startswith(b"SMLY"))
        return data

    def send(self, port, data):
        s = socket.create_connection(("127.0.0.1", port))
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            s.settimeout(10)
            return s.recv(16)
        except OSError:  # reset, broken pipe, or already shut down by the listener
            return b""
        finally:
            s.close()

    def test_garbage_truncation_and_corruption(self):
        stream = self.capture_stream()
        port = free_port()
        endpoint = "tcp://127.0.0.1:%d" % port
        rec = self.listen("record", "--socket", endpoint, "--database", self.db)
        # The run id sits after the 8-byte stream header and the RUN_BEGIN
        # frame's own header; give every copy a fresh one so the store does
        # not turn copies away as duplicates.
        rid = stream.index(b"-", 8) - 8
        rid_len = 36

        def fresh(b):
            return b[:rid] + str(uuid.uuid4()).encode() + b[rid + rid_len:]

        self.assertEqual(self.send(port, b"garbage\n"), b"")
        self.assertEqual(self.send(port, bytes(range(256)) * 400), b"")
        self.assertEqual(self.send(port, b""), b"")
        self.assertEqual(self.send(port, b"SMLY"), b"")
        acks = 0
        for cut in range(0, len(stream), max(1, len(stream) // 60)):
            acks += self.send(port, fresh(stream)[:cut]) == b"\x06"
        rng = random.Random(7)
        for _ in range(150):
            b = bytearray(fresh(stream))
            for _ in range(rng.randint(1, 4)):
                b[rng.randrange(8, len(b))] = rng.randrange(256)
            self.send(port, bytes(b))
        # Idle connections do not block others.
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(20)]
        self.assertEqual(self.send(port, fresh(stream)), b"\x06")
        self.assertEqual(self.send(port, stream), b"\x06")
        self.assertEqual(self.send(port, stream), b"", "a duplicate run id was accepted")
        for s in idle:
            s.close()
        self.assertEqual(rec.poll(), None, "the listener died")
        r = smiley("run", "--socket", endpoint, "hello.py", "after", cwd=self.tmp, env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        out, err = self.stop(rec)
        lines = err.splitlines()
        self.assertTrue(lines[0].startswith("smiley record: listening on"))
        for line in lines[1:]:
            self.assertTrue(line.startswith("smiley: disconnecting peer 127.0.0.1:"), line)
        self.assertIn("not a smiley event stream: it starts with \u201cgarb\u201d", err)
        self.assertNotIn("Traceback", err)
        listing = smiley("list", "--database", self.db, env=self.env).stdout.decode()
        self.assertIn("hello.py after", listing)
        self.assertIn("connection lost", listing)
        # Every run that reached the store can be replayed or is reported as damaged, never a crash.
        for run in self.run_ids():
            r = smiley("replay", run, "--database", self.db, env=self.env)
            self.assertIn(r.returncode, (0, 1), r.stderr)
            if r.returncode:
                self.assertOneLineError(r, 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
