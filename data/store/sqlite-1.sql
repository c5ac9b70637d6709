-- smiley's SQLite store, schema version 1 (from an empty database).
-- docs/store-schema.md explains every table; keep it true with this file.
-- Each data/store/sqlite-N.sql migrates schema N-1 to N and is applied in
-- one transaction together with PRAGMA user_version = N.

-- One row per traced run. "key" is the compact integer every other table
-- refers to; "id" is the UUID users see.
CREATE TABLE run (
  key            INTEGER PRIMARY KEY,
  id             TEXT NOT NULL UNIQUE,
  description    TEXT NOT NULL DEFAULT '',
  cwd            TEXT NOT NULL DEFAULT '',
  argv           TEXT NOT NULL DEFAULT '[]',   -- JSON array of strings
  pid            INTEGER NOT NULL DEFAULT 0,
  start_us       INTEGER NOT NULL DEFAULT 0,   -- Unix time, microseconds
  end_us         INTEGER NOT NULL DEFAULT 0,
  state          INTEGER NOT NULL DEFAULT 0,   -- SmileyRunState
  exit_status    INTEGER NOT NULL DEFAULT -1,
  signal         INTEGER NOT NULL DEFAULT 0,
  error          TEXT,
  traceback      TEXT,
  events_emitted INTEGER NOT NULL DEFAULT 0,   -- as the tracer counted them
  events_stored  INTEGER NOT NULL DEFAULT 0,   -- events in event_block
  has_stats      INTEGER NOT NULL DEFAULT 0    -- 1 once end_run wrote stats
);
CREATE INDEX run_by_start ON run (start_us);

-- The run's string table (file, function and variable names), dense ids
-- from 1; id 0 is the empty string and is not stored.
CREATE TABLE string (
  run  INTEGER NOT NULL REFERENCES run (key),
  id   INTEGER NOT NULL,
  text TEXT NOT NULL,
  PRIMARY KEY (run, id)
) WITHOUT ROWID;

-- Threads by their dense id within the run; a rename rewrites the name.
CREATE TABLE thread (
  run       INTEGER NOT NULL REFERENCES run (key),
  id        INTEGER NOT NULL,
  pid       INTEGER NOT NULL,
  native_id INTEGER NOT NULL,
  name      TEXT NOT NULL,
  PRIMARY KEY (run, id)
) WITHOUT ROWID;

-- Values (locals, return values, exception texts) that occur more than
-- once in a run or are long, stored once per run and referred to by id
-- from event blocks. A short value seen for the first time is kept inline
-- in its block, where it takes less room than an id plus this row.
-- key = run key * 2^32 + the value's id within the run, so a lookup is a
-- rowid search and a run's values are one rowid range.
CREATE TABLE value (
  key  INTEGER PRIMARY KEY,
  text TEXT NOT NULL
);

-- Events, packed: one row per block of consecutive events of a run (all
-- threads, recording order), encoded as described in
-- docs/store-schema.md. first_seq is the run-wide index of the block's
-- first event, so "events from offset N over all threads" is one index
-- range scan.
CREATE TABLE event_block (
  key        INTEGER PRIMARY KEY,
  run        INTEGER NOT NULL REFERENCES run (key),
  first_seq  INTEGER NOT NULL,
  n_events   INTEGER NOT NULL,
  data       BLOB NOT NULL,
  checksum   INTEGER NOT NULL   -- of data, so damage inside it is found
);
CREATE UNIQUE INDEX event_block_by_seq ON event_block (run, first_seq);

-- For each block, which threads it holds and the per-thread index of the
-- first of their events in it: "page N of thread T" is one range scan.
CREATE TABLE block_thread (
  run        INTEGER NOT NULL,
  thread     INTEGER NOT NULL,
  first_tseq INTEGER NOT NULL,
  n_events   INTEGER NOT NULL,
  block      INTEGER NOT NULL REFERENCES event_block (key),
  PRIMARY KEY (run, thread, first_tseq)
) WITHOUT ROWID;

-- Source files, once per content (SHA-256 of the bytes), shared by runs.
CREATE TABLE source (
  sha256  TEXT PRIMARY KEY,
  content BLOB NOT NULL
);

-- Which files a run traced, under which name, in the order it saw them.
CREATE TABLE run_file (
  run    INTEGER NOT NULL REFERENCES run (key),
  seq    INTEGER NOT NULL,
  path   TEXT NOT NULL,
  sha256 TEXT NOT NULL REFERENCES source (sha256),
  PRIMARY KEY (run, seq)
) WITHOUT ROWID;
CREATE INDEX run_file_by_source ON run_file (sha256);

-- Profile statistics (cProfile's meaning), one row per function.
CREATE TABLE stat (
  run        INTEGER NOT NULL REFERENCES run (key),
  idx        INTEGER NOT NULL,
  file       TEXT NOT NULL,
  line       INTEGER NOT NULL,
  function   TEXT NOT NULL,
  ncalls     INTEGER NOT NULL,
  primcalls  INTEGER NOT NULL,
  tottime_ns INTEGER NOT NULL,
  cumtime_ns INTEGER NOT NULL,
  PRIMARY KEY (run, idx)
) WITHOUT ROWID;

-- Who called each function, with the counters of those calls.
CREATE TABLE stat_caller (
  run        INTEGER NOT NULL REFERENCES run (key),
  callee     INTEGER NOT NULL,
  caller     INTEGER NOT NULL,
  ncalls     INTEGER NOT NULL,
  primcalls  INTEGER NOT NULL,
  tottime_ns INTEGER NOT NULL,
  cumtime_ns INTEGER NOT NULL,
  PRIMARY KEY (run, callee, caller)
) WITHOUT ROWID;
