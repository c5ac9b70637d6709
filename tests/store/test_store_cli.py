"""End-to-end tests of the stores through the real smiley binary.

Every case runs against the SQLite store (as --database FILE and as
--store sqlite:FILE) and the file store (--store file:DIR): smiley run
--local records test_app/test.py, and list, replay and delete read it back.
Bad store locations must give one clear line on stderr, a non-zero exit,
and leave the file exactly as it was.
"""

import hashlib
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

BUILD_ROOT = os.environ.get('SMILEY_BUILD_ROOT', os.path.join(os.path.dirname(__file__), '..', '..', 'build'))
SOURCE_ROOT = os.environ.get('SMILEY_SOURCE_ROOT', os.path.join(os.path.dirname(__file__), '..', '..'))
SMILEY = os.path.join(BUILD_ROOT, 'smiley')
TEST_PY = os.path.join(SOURCE_ROOT, 'test_app', 'test.py')

# Object addresses differ between two runs of the same program.
ADDRESS = re.compile(r' at 0x[0-9a-f]+')
# The console names the thread before its events when threads switch.
THREAD_PREFIX = re.compile(r'^\[[^]]*\] ')


def smiley(*args, check=True, cwd=None, timeout=60):
    result = subprocess.run([SMILEY, *args], capture_output=True, text=True,
                            cwd=cwd, timeout=timeout, stdin=subprocess.DEVNULL)
    if check and result.returncode != 0:
        raise AssertionError('smiley %s failed (%d): %s' % (' '.join(args), result.returncode,
                                                           result.stderr))
    return result


def tracer_built():
    """Whether this build has the Python tracer ('smiley run' needs it)."""
    listing = subprocess.run([SMILEY, 'plugins'], capture_output=True, text=True)
    return any(line.split()[:2] == ['source', 'python'] for line in listing.stdout.splitlines())


def sha256(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


class StoreCase:
    """The cases; subclasses say how the store is named on the command line."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix='smiley-store-e2e-')

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def store_args(self):
        raise NotImplementedError

    def record(self, *program_args):
        result = smiley('run', '--local', *self.store_args(), '--', TEST_PY, *program_args,
                        check=False, cwd=self.dir)
        return result

    def list_runs(self):
        result = smiley('list', '--format', 'json', *self.store_args(), cwd=self.dir)
        return json.loads(result.stdout)

    def test_record_list_replay(self):
        result = self.record()
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn('caught: this is caught', result.stdout)
        failed = self.record('-e')
        self.assertEqual(failed.returncode, 1, failed.stderr)

        runs = self.list_runs()
        self.assertEqual(len(runs), 2)
        newest, oldest = runs
        self.assertEqual(newest['argv'], [TEST_PY, '-e'])
        self.assertEqual(newest['state'], 'finished')
        self.assertEqual(newest['exit_status'], 1)
        self.assertIn('RuntimeError: test exception', newest['error'])
        self.assertEqual(oldest['argv'], [TEST_PY])
        self.assertEqual(oldest['state'], 'finished')
        self.assertEqual(oldest['exit_status'], 0)
        self.assertEqual(oldest['cwd'], os.path.realpath(self.dir))
        self.assertLessEqual(oldest['start_us'], newest['start_us'])

        # What replay prints is what the console printed live.
        live = smiley('run', '--sink', 'console', '--color=never', '--', TEST_PY,
                      check=False, cwd=self.dir)
        self.assertEqual(live.returncode, 0, live.stderr)
        replay = smiley('replay', '--color=never', *self.store_args(), oldest['id'], cwd=self.dir)
        self.assertEqual(ADDRESS.sub(' at 0x?', replay.stdout), ADDRESS.sub(' at 0x?', live.stderr))
        self.assertIn('test_funcs.py', replay.stdout)

        # A unique prefix names the run too.
        by_prefix = smiley('replay', '--color=never', *self.store_args(), oldest['id'][:8], cwd=self.dir)
        self.assertEqual(by_prefix.stdout, replay.stdout)

    def test_delete(self):
        self.assertEqual(self.record().returncode, 0)
        self.assertEqual(self.record().returncode, 0)
        first, second = self.list_runs()
        smiley('delete', *self.store_args(), first['id'], cwd=self.dir)
        runs = self.list_runs()
        self.assertEqual([r['id'] for r in runs], [second['id']])

        gone = smiley('replay', *self.store_args(), first['id'], check=False, cwd=self.dir)
        self.assertNotEqual(gone.returncode, 0)
        self.assertEqual(len(gone.stderr.strip().splitlines()), 1, gone.stderr)
        self.assertIn(first['id'], gone.stderr)

        # The other run still replays whole.
        replay = smiley('replay', *self.store_args(), second['id'], cwd=self.dir)
        self.assertIn('test_funcs.py', replay.stdout)

    def test_program_killed(self):
        """A traced program that dies of SIGKILL leaves a run that is not
        reported as complete, with its events up to the kill."""
        program = os.path.join(self.dir, 'dies.py')
        with open(program, 'w') as f:
            f.write('import os, signal\n'
                    'def work(n):\n'
                    '    total = 0\n'
                    '    for i in range(n):\n'
                    '        total += i\n'
                    '    return total\n'
                    'print(work(50), flush=True)\n'
                    'os.kill(os.getpid(), signal.SIGKILL)\n')
        result = smiley('run', '--local', *self.store_args(), '--', program, check=False, cwd=self.dir)
        self.assertNotEqual(result.returncode, 0)
        runs = self.list_runs()
        self.assertEqual(len(runs), 1)
        self.assertNotEqual(runs[0]['state'], 'finished')
        replay = smiley('replay', '--color=never', *self.store_args(), runs[0]['id'], cwd=self.dir)
        self.assertIn('total += i', replay.stdout)
        self.assertIn('return total', replay.stdout)

    def test_recorder_killed(self):
        """The recording smiley itself killed mid-run: the run reads back
        unfinished, with events that were written."""
        program = os.path.join(self.dir, 'slow.py')
        with open(program, 'w') as f:
            f.write('import time\n'
                    'def tick(i):\n'
                    '    time.sleep(0.01)\n'
                    '    return i\n'
                    'for i in range(100000):\n'
                    '    tick(i)\n')
        process = subprocess.Popen([SMILEY, 'run', '--local', *self.store_args(), '--', program],
                                   cwd=self.dir, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   start_new_session=True)
        try:
            deadline = time.monotonic() + 20
            runs = []
            # Wait until some events are stored (the SQLite store commits
            # blocks at least every 200 ms while events come).
            while time.monotonic() < deadline:
                time.sleep(0.5)
                listing = smiley('list', '--format', 'json', *self.store_args(), check=False, cwd=self.dir)
                if listing.returncode == 0 and json.loads(listing.stdout):
                    runs = json.loads(listing.stdout)
                    break
            self.assertEqual(len(runs), 1)
            time.sleep(1.0)
        finally:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        runs = self.list_runs()
        self.assertEqual(len(runs), 1)
        self.assertEqual(runs[0]['state'], 'running')
        replay = smiley('replay', '--color=never', *self.store_args(), runs[0]['id'], cwd=self.dir)
        self.assertIn('time.sleep(0.01)', replay.stdout)

    def test_record_over_socket(self):
        """smiley record writes what smiley run publishes; list and replay
        read the store while record still has it open."""
        socket_path = os.path.join(self.dir, 'smiley.sock')
        recorder = subprocess.Popen([SMILEY, 'record', *self.store_args(), '--socket', 'unix:' + socket_path],
                                    cwd=self.dir, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 10
            while not os.path.exists(socket_path) and time.monotonic() < deadline:
                time.sleep(0.05)
            for args in ([], ['-t']):
                result = smiley('run', '--socket', 'unix:' + socket_path, '--', TEST_PY, *args,
                                check=False, cwd=self.dir)
                self.assertEqual(result.returncode, 0, result.stderr)

            runs = self.list_runs()
            self.assertEqual(len(runs), 2)
            self.assertEqual(runs[0]['argv'], [TEST_PY, '-t'])
            self.assertEqual([r['state'] for r in runs], ['finished', 'finished'])

            # Threads interleave differently from one execution to the
            # next: compare the lines, each without its thread prefix.
            live = smiley('run', '--sink', 'console', '--color=never', '--', TEST_PY, '-t',
                          check=False, cwd=self.dir)
            replay = smiley('replay', '--color=never', *self.store_args(), runs[0]['id'], cwd=self.dir)

            def lines(text):
                return sorted(THREAD_PREFIX.sub('', line) for line in ADDRESS.sub(' at 0x?', text).splitlines())
            self.assertEqual(lines(replay.stdout), lines(live.stderr))
            for name in ('MainThread', 'Thread-1 (a)', 'Thread-2 (a)', 'Thread-3 (a)'):
                self.assertIn('[%s]' % name, replay.stdout)
        finally:
            recorder.send_signal(signal.SIGINT)
            _, stderr = recorder.communicate(timeout=30)
        self.assertEqual(recorder.returncode, 0, stderr)

    def test_delete_while_recording(self):
        """A run deleted while it records: its recorder stops with a clear
        error at its next write instead of leaving orphan rows or bringing
        the run back, and nothing of the run is left in the store."""
        program = os.path.join(self.dir, 'waits.py')
        go = os.path.join(self.dir, 'go')
        with open(program, 'w') as f:
            f.write('import os, time\n'
                    'def step(n):\n'
                    '    return n + 1\n'
                    'n = 0\n'
                    'deadline = time.time() + 30\n'
                    'while not os.path.exists(%r) and time.time() < deadline:\n'
                    '    n = step(n)\n'
                    'for i in range(20000):\n'
                    '    n = step(n)\n'
                    'print("finished")\n' % go)
        recorder = subprocess.Popen([SMILEY, 'run', '--local', *self.store_args(), '--', program],
                                    cwd=self.dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True, stdin=subprocess.DEVNULL)
        try:
            runs = []
            deadline = time.time() + 20
            while not runs and time.time() < deadline:
                time.sleep(0.2)
                if self.store_exists():
                    runs = self.list_runs()
            self.assertEqual(len(runs), 1)
            time.sleep(0.5)  # events of the run are stored by now
            smiley('delete', *self.store_args(), runs[0]['id'], cwd=self.dir)
            open(go, 'w').close()
            out, err = recorder.communicate(timeout=60)
        finally:
            if recorder.poll() is None:
                recorder.kill()
                recorder.communicate()
        self.assertIn('finished', out)
        self.assertNotEqual(recorder.returncode, 0, err)
        self.assertIn('run %s was deleted while it was being recorded' % runs[0]['id'], err)
        self.assertEqual(self.list_runs(), [])
        self.assertStoreEmpty()

    def test_unknown_run(self):
        self.assertEqual(self.record().returncode, 0)
        result = smiley('replay', *self.store_args(), 'no-such-run', check=False, cwd=self.dir)
        self.assertNotEqual(result.returncode, 0)
        self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
        self.assertIn('no-such-run', result.stderr)


class SqliteCase(StoreCase):
    def store_exists(self):
        return os.path.exists(os.path.join(self.dir, 'runs.db'))

    def assertStoreEmpty(self):
        db = sqlite3.connect(os.path.join(self.dir, 'runs.db'))
        try:
            for table in ('run', 'string', 'thread', 'value', 'event_block', 'block_thread',
                          'source', 'run_file', 'stat', 'stat_caller'):
                count = db.execute('SELECT count(*) FROM %s' % table).fetchone()[0]
                self.assertEqual(count, 0, 'rows left in table %s' % table)
        finally:
            db.close()


    def test_delete_removes_orphans(self):
        """Rows of a run that is gone (an older smiley's recorder kept
        writing after its run was deleted) go at the next delete."""
        self.assertEqual(self.record().returncode, 0)
        self.assertEqual(self.record().returncode, 0)
        orphan, other = self.list_runs()
        db = sqlite3.connect(os.path.join(self.dir, 'runs.db'))
        db.execute('DELETE FROM run WHERE id = ?', (orphan['id'],))
        db.commit()
        self.assertGreater(db.execute('SELECT count(*) FROM event_block').fetchone()[0], 1)
        db.close()
        self.assertEqual([r['id'] for r in self.list_runs()], [other['id']])
        smiley('delete', *self.store_args(), other['id'], cwd=self.dir)
        self.assertStoreEmpty()


class SqliteDatabaseOption(SqliteCase, unittest.TestCase):
    def store_args(self):
        return ['--database', os.path.join(self.dir, 'runs.db')]


class SqliteStoreUri(SqliteCase, unittest.TestCase):
    def store_args(self):
        return ['--store', 'sqlite:' + os.path.join(self.dir, 'runs.db')]


class FileStoreUri(StoreCase, unittest.TestCase):
    def store_args(self):
        return ['--store', 'file:' + os.path.join(self.dir, 'runs')]

    def store_exists(self):
        return os.path.exists(os.path.join(self.dir, 'runs', 'index'))

    def assertStoreEmpty(self):
        self.assertEqual(os.listdir(os.path.join(self.dir, 'runs')), ['index'])

    def check_deletable(self, damage):
        """A run whose log is missing or damaged is listed, replay says
        what is wrong with the log, and delete removes it."""
        self.assertEqual(self.record().returncode, 0)
        self.assertEqual(self.record().returncode, 0)
        victim, kept = self.list_runs()
        log = os.path.join(self.dir, 'runs', victim['id'] + '.smly')
        damage(log)
        self.assertIn(victim['id'], [r['id'] for r in self.list_runs()])

        replay = smiley('replay', *self.store_args(), victim['id'], check=False, cwd=self.dir)
        self.assertNotEqual(replay.returncode, 0)
        self.assertEqual(len(replay.stderr.strip().splitlines()), 1, replay.stderr)
        self.assertIn(victim['id'] + '.smly', replay.stderr)

        smiley('delete', *self.store_args(), victim['id'], cwd=self.dir)
        self.assertEqual([r['id'] for r in self.list_runs()], [kept['id']])
        self.assertFalse(os.path.exists(log))
        smiley('replay', *self.store_args(), kept['id'], cwd=self.dir)

    def test_delete_run_with_missing_log(self):
        self.check_deletable(os.unlink)

    def test_delete_run_with_damaged_log(self):
        def damage(path):
            with open(path, 'r+b') as f:
                f.seek(8)
                f.write(b'\xff' * 64)
        self.check_deletable(damage)


class FileStoreCreation(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix='smiley-store-create-')
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        self.program = os.path.join(self.dir, 'tiny.py')
        with open(self.program, 'w') as f:
            f.write('total = 0\nfor i in range(3):\n    total += i\nprint("total", total)\n')

    def test_concurrent_creation(self):
        """Several runs creating the same new file store at once all get
        it: a directory or index another one just created is opened, not
        refused."""
        for attempt in range(12):
            store = os.path.join(self.dir, 'new-%d' % attempt)
            runs = [subprocess.Popen([SMILEY, 'run', '--local', '--store', 'file:' + store, '--',
                                      self.program], cwd=self.dir, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
                    for _ in range(6)]
            for run in runs:
                out, err = run.communicate(timeout=60)
                self.assertEqual(run.returncode, 0, err)
                self.assertIn('total 3', out)
            listed = json.loads(smiley('list', '--format', 'json', '--store', 'file:' + store).stdout)
            self.assertEqual(len(listed), 6)
            self.assertEqual(len([n for n in os.listdir(store) if n.endswith('.smly')]), 6)


class ReadingLeavesEmptyStoresAlone(unittest.TestCase):
    """Commands that only read never make an empty file or directory a
    store: list shows no runs, the others say there is no such run, and
    the file or directory is left exactly as it was. The first run
    recorded into it makes it a store."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix='smiley-store-empty-')
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)

    def check(self, store_args, snapshot):
        before = snapshot()
        listing = smiley('list', '--format', 'json', *store_args, cwd=self.dir)
        self.assertEqual(json.loads(listing.stdout), [])
        for command in (['replay', *store_args, 'abc'],
                        ['delete', *store_args, 'abc'],
                        ['export', *store_args, 'abc', '-'],
                        ['stats', 'show', *store_args, 'abc']):
            result = smiley(*command, check=False, cwd=self.dir)
            self.assertNotEqual(result.returncode, 0, command)
            self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
            self.assertIn("no run with id 'abc'", result.stderr)
        self.assertEqual(snapshot(), before)

        record = smiley('run', '--local', *store_args, '--', TEST_PY, cwd=self.dir)
        self.assertIn('caught: this is caught', record.stdout)
        self.assertEqual(len(json.loads(smiley('list', '--format', 'json', *store_args,
                                               cwd=self.dir).stdout)), 1)

    def test_empty_file(self):
        path = os.path.join(self.dir, 'notes.md')
        open(path, 'w').close()
        self.check(['--database', path], lambda: sorted(os.listdir(self.dir)) + [sha256(path)])
        self.assertGreater(os.path.getsize(path), 0)

    def test_empty_sqlite_database(self):
        path = os.path.join(self.dir, 'empty.db')
        db = sqlite3.connect(path)
        db.execute('CREATE TABLE scratch (x)')
        db.execute('DROP TABLE scratch')
        db.commit()
        db.close()
        self.assertGreater(os.path.getsize(path), 0)
        self.check(['--store', 'sqlite:' + path],
                   lambda: sorted(os.listdir(self.dir)) + [sha256(path)])

    def test_empty_directory(self):
        path = os.path.join(self.dir, 'runs')
        os.mkdir(path)
        self.check(['--store', 'file:' + path], lambda: os.listdir(path))
        self.assertIn('index', os.listdir(path))


class DefaultDatabase(unittest.TestCase):
    def test_smiley_db_in_working_directory(self):
        directory = tempfile.mkdtemp(prefix='smiley-store-e2e-')
        try:
            result = smiley('run', '--local', '--', TEST_PY, check=False, cwd=directory)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertTrue(os.path.exists(os.path.join(directory, 'smiley.db')))
            runs = json.loads(smiley('list', '--format', 'json', cwd=directory).stdout)
            self.assertEqual(len(runs), 1)
        finally:
            shutil.rmtree(directory, ignore_errors=True)


class BadLocations(unittest.TestCase):
    """Each bad store: one line naming the file and what is wrong, a
    non-zero exit, the program not run, and the file untouched."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix='smiley-store-bad-')

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, data):
        with open(self.path(name), 'wb') as f:
            f.write(data)
        return self.path(name)

    def real_database(self, name):
        path = self.path(name)
        smiley('run', '--local', '--database', path, '--', TEST_PY, cwd=self.dir)
        return path

    def assert_refused(self, store_args, path, words, side_files=True):
        before = sha256(path) if os.path.isfile(path) else None
        for command in (['list', *store_args], ['run', '--local', *store_args, '--', TEST_PY]):
            result = smiley(*command, check=False, cwd=self.dir)
            self.assertNotEqual(result.returncode, 0, result.stdout)
            lines = result.stderr.strip().splitlines()
            self.assertEqual(len(lines), 1, result.stderr)
            self.assertIn(path, lines[0])
            self.assertIn(words, lines[0])
            # The traced program never started.
            self.assertNotIn('caught: this is caught', result.stdout)
            if before is not None:
                self.assertEqual(sha256(path), before)
            if side_files:
                self.assertFalse(os.path.exists(path + '-wal'))
                self.assertFalse(os.path.exists(path + '-journal'))

    def test_text_file(self):
        path = self.write('notes.txt', b'shopping list\nmilk\n')
        self.assert_refused(['--database', path], path, 'not a smiley database')

    def test_png(self):
        path = self.write('image.png', b'\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR' + bytes(600))
        self.assert_refused(['--store', 'sqlite:' + path], path, 'not a smiley database')

    def test_other_program_database(self):
        path = self.path('bookmarks.db')
        db = sqlite3.connect(path)
        db.execute('CREATE TABLE bookmarks (url TEXT)')
        db.execute("INSERT INTO bookmarks VALUES ('http://localhost/')")
        db.commit()
        db.close()
        self.assert_refused(['--database', path], path, "no 'run' table")

    def test_newer_schema(self):
        path = self.real_database('newer.db')
        db = sqlite3.connect(path)
        db.execute('PRAGMA user_version = 7')
        db.close()
        self.assert_refused(['--database', path], path, 'written by a newer smiley (schema 7')

    def test_corrupt_page(self):
        path = self.real_database('corrupt.db')
        for _ in range(3):
            smiley('run', '--local', '--database', path, '--', TEST_PY, '-t', cwd=self.dir)
        size = os.path.getsize(path)
        self.assertGreater(size, 8 * 4096)
        with open(path, 'r+b') as f:
            f.seek((size // 4096 // 2) * 4096)
            f.write(bytes((0xa5 ^ i) & 0xff for i in range(4096)))
        self.assert_refused(['--database', path], path, 'damaged')

    def test_device(self):
        # /dev is shared with every other process: its side files are not
        # this test's to check.
        self.assert_refused(['--database', '/dev/null'], '/dev/null',
                            'not a smiley database (it is a character device, not a regular file)',
                            side_files=False)

    def test_named_pipe(self):
        path = self.path('pipe')
        os.mkfifo(path)
        self.assert_refused(['--database', path], path,
                            'not a smiley database (it is a named pipe, not a regular file)')

    def damage_and_read(self, sql, command):
        """Damages one row of a real database with @sql and runs
        @command on its run: one line saying what is damaged."""
        path = self.real_database('smiley.db')
        run_id = json.loads(smiley('list', '--format', 'json', '--database', path).stdout)[0]['id']
        db = sqlite3.connect(path)
        db.execute(sql)
        db.commit()
        db.close()
        result = smiley(*command, '--database', path, run_id, check=False, cwd=self.dir)
        self.assertEqual(result.returncode, 1, result.stdout)
        lines = result.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, result.stderr)
        self.assertIn(path + ': the database is damaged (run ' + run_id, lines[0])
        self.assertNotIn('not an error', lines[0])
        return lines[0]

    def test_stat_file_not_utf8(self):
        line = self.damage_and_read("UPDATE stat SET file = CAST(X'ff41fe' AS TEXT) WHERE idx = 0",
                                    ['stats', 'show'])
        self.assertIn('the file name of profile entry 0 is not UTF-8 text', line)

    def test_stat_out_of_sequence(self):
        line = self.damage_and_read('UPDATE stat SET idx = idx + 1000 WHERE idx = 1',
                                    ['stats', 'show'])
        self.assertIn('profile entry 2 is out of sequence', line)

    def test_name_not_utf8(self):
        line = self.damage_and_read("UPDATE string SET text = CAST(X'ff41fe' AS TEXT) WHERE id = 1",
                                    ['replay'])
        self.assertIn('name 1 is not UTF-8 text', line)

    def test_file_store_on_a_file(self):
        path = self.write('plain', b'hello\n')
        self.assert_refused(['--store', 'file:' + path], path, 'not a smiley file store')

    def test_file_store_on_a_busy_directory(self):
        os.mkdir(self.path('photos'))
        self.write('photos/holiday.jpg', b'\xff\xd8\xff')
        path = self.path('photos')
        self.assert_refused(['--store', 'file:' + path], path, 'not a smiley file store')
        self.assertEqual(os.listdir(path), ['holiday.jpg'])


class ReadOnlyDirectory:
    # The store's files as root leaves them: this user cannot write them.
    file_mode = 0o644
    """A store in a directory this user cannot write (read-only media,
    someone else's directory) can be listed and replayed; recording into
    it fails before the program runs; nothing is written there."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix='smiley-store-ro-')
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        os.chmod(self.dir, 0o755)
        self.store_dir = os.path.join(self.dir, 'media')
        os.mkdir(self.store_dir)
        smiley('run', '--local', *self.store_args(), '--', TEST_PY, cwd=self.dir)
        self.files = self.store_files()
        self.hashes = {f: sha256(f) for f in self.files if os.path.isfile(f)}
        directories = [self.store_dir] + [f for f in self.files if os.path.isdir(f)]
        for path in self.files:
            os.chmod(path, 0o755 if os.path.isdir(path) else self.file_mode)
        os.chmod(self.store_dir, 0o555)
        self.addCleanup(os.chmod, self.store_dir, 0o755)
        self.as_user = []
        if os.geteuid() == 0:
            # root writes anywhere chmod forbids: run smiley as nobody, or,
            # where nobody cannot reach this build (a clone in a private
            # mktemp -d), make the directories immutable for root too.
            nobody = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups']
            if shutil.which('setpriv') and all(
                    subprocess.run([*nobody, *probe], capture_output=True).returncode == 0
                    for probe in ([SMILEY, 'help'], ['test', '-r', TEST_PY])):
                self.as_user = nobody
            elif shutil.which('chattr') and subprocess.run(['chattr', '+i', *directories],
                                                           capture_output=True).returncode == 0:
                self.addCleanup(subprocess.run, ['chattr', '-i', *directories])
            else:
                self.skipTest('running as root, and neither setpriv as nobody nor chattr +i works here')

    def smiley_as_user(self, *args):
        return subprocess.run([*self.as_user, SMILEY, *args], capture_output=True, text=True,
                              cwd=self.dir, timeout=60, stdin=subprocess.DEVNULL)

    def store_files(self):
        return sorted(os.path.join(root, name) for root, dirs, files in os.walk(self.store_dir)
                      for name in dirs + files)

    def test_read_only_directory(self):
        listing = self.smiley_as_user('list', '--format', 'json', *self.store_args())
        self.assertEqual(listing.returncode, 0, listing.stderr)
        runs = json.loads(listing.stdout)
        self.assertEqual(len(runs), 1)

        replay = self.smiley_as_user('replay', '--color=never', *self.store_args(), runs[0]['id'])
        self.assertEqual(replay.returncode, 0, replay.stderr)
        self.assertIn('test_funcs.py', replay.stdout)

        record = self.smiley_as_user('run', '--local', *self.store_args(), '--', TEST_PY)
        self.assertNotEqual(record.returncode, 0)
        self.assertEqual(len(record.stderr.strip().splitlines()), 1, record.stderr)
        self.assertIn('read-only', record.stderr)
        self.assertIn(self.store_dir, record.stderr)
        self.assertNotIn('caught: this is caught', record.stdout)

        self.assertEqual(self.store_files(), self.files)
        self.assertEqual({f: sha256(f) for f in self.files if os.path.isfile(f)}, self.hashes)


class ReadOnlySqlite(ReadOnlyDirectory, unittest.TestCase):
    def store_args(self):
        return ['--database', os.path.join(self.store_dir, 'smiley.db')]


class ReadOnlyDirectoryWritableDatabase(ReadOnlyDirectory, unittest.TestCase):
    """Only the directory is read-only: SQLite could write the file but
    not its -wal and -shm files beside it."""
    file_mode = 0o666

    def store_args(self):
        return ['--database', os.path.join(self.store_dir, 'smiley.db')]


class ReadOnlyFileStore(ReadOnlyDirectory, unittest.TestCase):
    def store_args(self):
        return ['--store', 'file:' + os.path.join(self.store_dir, 'runs')]


if __name__ == '__main__':
    if not tracer_built():
        print('skipped: this build has no Python tracer (tracer-python disabled)')
        sys.exit(77)  # meson's "skipped"
    unittest.main(verbosity=2)
