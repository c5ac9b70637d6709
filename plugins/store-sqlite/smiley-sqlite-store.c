/* smiley-sqlite-store.c
 *
 * SPDX-License-Identifier: Apache-2.0
 *
 * Runs in an SQLite database: one row per run, its string table, threads
 * and values in their own tables, and its events packed into blocks (see
 * smiley-sqlite-block.c and docs/store-schema.md).
 *
 * Thread rules: one store object is used from one thread at a time (the
 * pipeline may push from a listener thread, as long as nothing else
 * touches the object meanwhile). Several processes may use one database:
 * WAL lets readers read while one writer writes, and a busy timeout makes
 * a second writer wait for its turn.
 */
#include "smiley-build-config.h"

#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <sqlite3.h>

#include "smiley-sqlite-block.h"
#include "smiley-sqlite-store.h"

/* Every push is committed, so the write lock is never held between
 * pushes, but events wait in a block until it is full, this old (µs), or
 * a flush or end_run comes: readers see a run at most this late when
 * events keep coming, and blocks stay large when they come slowly. */
#define BLOCK_MAX_AGE_US (200 * 1000)

/* A database up to this size is checked page by page when opened; larger
 * ones are checked as they are read (SQLITE_CORRUPT on any query). */
#define QUICK_CHECK_MAX_SIZE (64 * 1024 * 1024)

/* Short values remembered per run being written (a direct-mapped cache,
 * so remembering costs no allocation), to store repeated ones once. */
#define VALUE_SLOTS 4096
/* Long values remembered per run being written, and values cached per
 * store for reading. */
#define VALUE_MEMORY_MAX 16384

#define BUSY_TIMEOUT_MS 5000

/* The tables of schema 1; a database without one of them is not ours. */
static const char *const required_tables[] = {
  "run",          "string", "thread",   "value", "event_block",
  "block_thread", "source", "run_file", "stat",  "stat_caller",
};

typedef enum
{
  STMT_BEGIN,
  STMT_COMMIT,
  STMT_ROLLBACK,
  STMT_FIND_RUN_KEY,
  STMT_RUN_EXISTS,
  STMT_INSERT_RUN,
  STMT_INSERT_STRING,
  STMT_UPSERT_THREAD,
  STMT_INSERT_SOURCE,
  STMT_INSERT_RUN_FILE,
  STMT_INSERT_VALUE,
  STMT_INSERT_BLOCK,
  STMT_INSERT_BLOCK_THREAD,
  STMT_UPDATE_PROGRESS,
  STMT_END_RUN,
  STMT_DELETE_STATS,
  STMT_DELETE_STAT_CALLERS,
  STMT_INSERT_STAT,
  STMT_INSERT_STAT_CALLER,
  STMT_LIST_RUNS,
  STMT_GET_RUN,
  STMT_GET_STRINGS,
  STMT_GET_THREADS,
  STMT_GET_SOURCES,
  STMT_GET_VALUE,
  STMT_BLOCKS_FROM_SEQ,
  STMT_BLOCKS_FROM_TSEQ,
  STMT_GET_SOURCE,
  STMT_LIST_FILES,
  STMT_HAS_STATS,
  STMT_GET_STATS,
  STMT_GET_STAT_CALLERS,
  STMT_DELETE_RUN_SOURCES,
  STMT_DELETE_RUN_FILES,
  STMT_DELETE_RUN_BLOCK_THREADS,
  STMT_DELETE_RUN_BLOCKS,
  STMT_DELETE_RUN_VALUES,
  STMT_DELETE_RUN_STRINGS,
  STMT_DELETE_RUN_THREADS,
  STMT_DELETE_RUN,
  STMT_ORPHAN_KEYS,
  N_STMTS
} Stmt;

#define RUN_COLUMNS                                                                                \
  "id, description, cwd, argv, pid, start_us, end_us, state, exit_status, "                        \
  "signal, error, traceback, events_emitted, key"

static const char *const stmt_sql[N_STMTS] = {
  [STMT_BEGIN] = "BEGIN IMMEDIATE",
  [STMT_COMMIT] = "COMMIT",
  [STMT_ROLLBACK] = "ROLLBACK",
  [STMT_FIND_RUN_KEY] = "SELECT key FROM run WHERE id = ?1",
  /* By key and id: a run begun after the deletion may get the same key. */
  [STMT_RUN_EXISTS] = "SELECT 1 FROM run WHERE key = ?1 AND id = ?2",
  [STMT_INSERT_RUN] = "INSERT INTO run (id, description, cwd, argv, pid, start_us, state) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0)",
  [STMT_INSERT_STRING] = "INSERT INTO string (run, id, text) VALUES (?1, ?2, ?3)",
  [STMT_UPSERT_THREAD]
  = "INSERT OR REPLACE INTO thread (run, id, pid, native_id, name) VALUES (?1, ?2, ?3, ?4, ?5)",
  [STMT_INSERT_SOURCE] = "INSERT OR IGNORE INTO source (sha256, content) VALUES (?1, ?2)",
  [STMT_INSERT_RUN_FILE] = "INSERT INTO run_file (run, seq, path, sha256) VALUES (?1, ?2, ?3, ?4)",
  [STMT_INSERT_VALUE] = "INSERT INTO value (key, text) VALUES (?1, ?2)",
  [STMT_INSERT_BLOCK] = "INSERT INTO event_block (run, first_seq, n_events, data, checksum) VALUES "
                        "(?1, ?2, ?3, ?4, ?5)",
  [STMT_INSERT_BLOCK_THREAD]
  = "INSERT INTO block_thread (run, thread, first_tseq, n_events, block) "
    "VALUES (?1, ?2, ?3, ?4, ?5)",
  [STMT_UPDATE_PROGRESS] = "UPDATE run SET events_stored = ?2 WHERE key = ?1",
  [STMT_END_RUN]
  = "UPDATE run SET end_us = ?2, state = ?3, exit_status = ?4, signal = ?5, error = ?6, "
    "traceback = ?7, events_emitted = ?8, events_stored = ?9, has_stats = ?10, "
    "description = ?11 WHERE key = ?1",
  [STMT_DELETE_STATS] = "DELETE FROM stat WHERE run = ?1",
  [STMT_DELETE_STAT_CALLERS] = "DELETE FROM stat_caller WHERE run = ?1",
  [STMT_INSERT_STAT]
  = "INSERT INTO stat (run, idx, file, line, function, ncalls, primcalls, tottime_ns, cumtime_ns) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
  [STMT_INSERT_STAT_CALLER]
  = "INSERT INTO stat_caller (run, callee, caller, ncalls, primcalls, tottime_ns, cumtime_ns) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
  [STMT_LIST_RUNS] = "SELECT " RUN_COLUMNS " FROM run ORDER BY start_us DESC, key DESC",
  [STMT_GET_RUN] = "SELECT " RUN_COLUMNS " FROM run WHERE id = ?1",
  [STMT_GET_STRINGS] = "SELECT id, text FROM string WHERE run = ?1 ORDER BY id",
  [STMT_GET_THREADS] = "SELECT id, pid, native_id, name FROM thread WHERE run = ?1 ORDER BY id",
  [STMT_GET_SOURCES]
  = "SELECT f.path, s.content FROM run_file f JOIN source s ON s.sha256 = f.sha256 "
    "WHERE f.run = ?1 ORDER BY f.seq",
  [STMT_GET_VALUE] = "SELECT text FROM value WHERE key = ?1",
  [STMT_BLOCKS_FROM_SEQ]
  = "SELECT first_seq, n_events, data, checksum FROM event_block "
    "WHERE run = ?1 AND first_seq >= "
    "  (SELECT ifnull (max (first_seq), 0) FROM event_block WHERE run = ?1 AND first_seq <= ?2) "
    "ORDER BY first_seq",
  [STMT_BLOCKS_FROM_TSEQ]
  = "SELECT t.first_tseq, b.n_events, b.data, b.checksum FROM block_thread t "
    "JOIN event_block b ON b.key = t.block "
    "WHERE t.run = ?1 AND t.thread = ?2 AND t.first_tseq >= "
    "  (SELECT ifnull (max (first_tseq), 0) FROM block_thread "
    "   WHERE run = ?1 AND thread = ?2 AND first_tseq <= ?3) "
    "ORDER BY t.first_tseq",
  [STMT_GET_SOURCE] = "SELECT s.content FROM run_file f JOIN source s ON s.sha256 = f.sha256 "
                      "WHERE f.run = ?1 AND f.path = ?2 ORDER BY f.seq DESC LIMIT 1",
  [STMT_LIST_FILES] = "SELECT path FROM run_file WHERE run = ?1 GROUP BY path ORDER BY min (seq)",
  [STMT_HAS_STATS] = "SELECT has_stats FROM run WHERE key = ?1",
  [STMT_GET_STATS] = "SELECT idx, file, line, function, ncalls, primcalls, tottime_ns, cumtime_ns "
                     "FROM stat WHERE run = ?1 ORDER BY idx",
  [STMT_GET_STAT_CALLERS] = "SELECT callee, caller, ncalls, primcalls, tottime_ns, cumtime_ns "
                            "FROM stat_caller WHERE run = ?1 ORDER BY callee, caller",
  /* Sources go when no other run refers to them; the run's own links are
   * deleted right after, so they are excluded here. */
  [STMT_DELETE_RUN_SOURCES]
  = "DELETE FROM source WHERE sha256 IN (SELECT sha256 FROM run_file WHERE run = ?1) "
    "AND NOT EXISTS (SELECT 1 FROM run_file f WHERE f.sha256 = source.sha256 AND f.run != ?1)",
  [STMT_DELETE_RUN_FILES] = "DELETE FROM run_file WHERE run = ?1",
  [STMT_DELETE_RUN_BLOCK_THREADS] = "DELETE FROM block_thread WHERE run = ?1",
  [STMT_DELETE_RUN_BLOCKS] = "DELETE FROM event_block WHERE run = ?1",
  [STMT_DELETE_RUN_VALUES]
  = "DELETE FROM value WHERE key BETWEEN ?1 * 4294967296 AND ?1 * 4294967296 + 4294967295",
  [STMT_DELETE_RUN_STRINGS] = "DELETE FROM string WHERE run = ?1",
  [STMT_DELETE_RUN_THREADS] = "DELETE FROM thread WHERE run = ?1",
  [STMT_DELETE_RUN] = "DELETE FROM run WHERE key = ?1",
  /* Rows of runs that are gone: left by recorders before they checked
   * that their run still exists (see check_runs_exist). Each DISTINCT is
   * a walk over an index with one entry per block, name or function. */
  [STMT_ORPHAN_KEYS]
  = "SELECT run FROM (SELECT DISTINCT run FROM event_block UNION SELECT DISTINCT run FROM "
    "block_thread UNION SELECT DISTINCT run FROM string UNION SELECT DISTINCT run FROM thread "
    "UNION SELECT DISTINCT run FROM run_file UNION SELECT DISTINCT run FROM stat "
    "UNION SELECT DISTINCT run FROM stat_caller) WHERE run NOT IN (SELECT key FROM run)",
};

typedef struct
{
  guint32 hash;
  guint32 id; /* in the value table, 0 = stored inline so far */
  guint8  used;
  guint8  length;
  guint8  seen; /* times stored inline so far */
  char    text[SMILEY_SQLITE_BLOCK_INLINE_MAX];
} ValueSlot;

/* A long value remembered: the key of RunWriter.long_values. Its hash is
 * computed once per event by hash_value (eight bytes at a time), not
 * byte by byte by g_str_hash in every lookup. A lookup key points @text
 * at the event's value; a stored one at the bytes after itself. */
typedef struct
{
  guint32     hash;
  guint32     length;
  const char *text;
} LongValue;

static guint
long_value_hash (gconstpointer key)
{
  return ((const LongValue *)key)->hash;
}

static gboolean
long_value_equal (gconstpointer a, gconstpointer b)
{
  const LongValue *x = a, *y = b;

  return x->hash == y->hash && x->length == y->length && memcmp (x->text, y->text, x->length) == 0;
}

static LongValue *
long_value_new (const LongValue *key)
{
  LongValue *value = g_malloc (sizeof (LongValue) + key->length);
  char      *text = (char *)(value + 1);

  memcpy (text, key->text, key->length);
  value->hash = key->hash;
  value->length = key->length;
  value->text = text;
  return value;
}

/* What the store has written of a run it is recording. */
typedef struct
{
  SmileySqliteStore *store; /* unowned */
  SmileyRun         *run;
  sqlite3_int64      key;
  guint32            strings_saved; /* ids below this are in the database */
  GPtrArray         *threads_saved; /* id - 1 → the SmileyThread last saved */
  guint              sources_saved;
  guint64            n_events;      /* events added to blocks so far */
  GArray            *thread_counts; /* guint64 per thread id: events so far */
  ValueSlot         *short_values;  /* VALUE_SLOTS of them */
  GHashTable        *long_values;   /* text → id in the value table */
  guint32            next_value_id;
  SmileySqliteBlock *block;
  gint64             block_started; /* monotonic time of its first event */
  gboolean           progress_dirty;
  /* Another process deleted the run while this one recorded it: nothing
   * more of it may be written, or its rows would be orphans. */
  gboolean deleted;
} RunWriter;

struct _SmileySqliteStore
{
  GObject parent_instance;

  char         *location;
  sqlite3      *db;
  sqlite3_stmt *stmts[N_STMTS];
  gboolean      in_transaction;
  /* Opened read-only because this user cannot write the database or the
   * directory it is in: reading works, writing is refused. */
  gboolean read_only;
  /* The "read-only" property: whoever opened the store only reads it. */
  gboolean open_read_only;
  /* The file is empty and is read as an empty store from memory; the
   * first write makes it a smiley database (see open_empty). */
  gboolean empty_in_memory;
  /* After a failed write the transaction was rolled back and what the
   * writers remember no longer matches the database; refuse more writes. */
  char *write_failure;

  GHashTable *writers;     /* run id → RunWriter */
  GHashTable *value_cache; /* value key (gint64*) → text, for reading */
};

enum
{
  PROP_0,
  PROP_LOCATION,
  PROP_READ_ONLY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void smiley_sqlite_store_initable_iface_init (GInitableIface *iface);
static void smiley_sqlite_store_sink_iface_init (SmileySinkInterface *iface);
static void smiley_sqlite_store_store_iface_init (SmileyStoreInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (
    SmileySqliteStore, smiley_sqlite_store, G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE, smiley_sqlite_store_initable_iface_init)
        G_IMPLEMENT_INTERFACE (SMILEY_TYPE_SINK, smiley_sqlite_store_sink_iface_init)
            G_IMPLEMENT_INTERFACE (SMILEY_TYPE_STORE, smiley_sqlite_store_store_iface_init))

/* Errors */

static int
error_code_for (int rc)
{
  switch (rc & 0xff)
    {
    case SQLITE_CORRUPT:
      return SMILEY_STORE_ERROR_CORRUPT;
    case SQLITE_NOTADB:
      return SMILEY_STORE_ERROR_NOT_A_STORE;
    default:
      return SMILEY_STORE_ERROR_IO;
    }
}

/* Sets @error from SQLite's last failure on @db, in words: "smiley.db:
 * cannot save events: database or disk is full". */
static void
set_error_from_db (GError **error, const char *location, sqlite3 *db, int rc, const char *doing)
{
  const char *detail = db != NULL ? sqlite3_errmsg (db) : sqlite3_errstr (rc);

  switch (rc & 0xff)
    {
    case SQLITE_CORRUPT:
      /* Damage found by this code rather than by SQLite leaves SQLite's
       * message at "not an error": say what was being read instead. */
      if (db != NULL && sqlite3_errcode (db) == SQLITE_OK)
        detail = doing;
      g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_CORRUPT,
                   "%s: the database is damaged (%s)", location, detail);
      break;
    case SQLITE_NOTADB:
      g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NOT_A_STORE,
                   "%s: not a smiley database (%s)", location, detail);
      break;
    case SQLITE_FULL:
      g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_IO, "%s: %s: the disk is full",
                   location, doing);
      break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_IO,
                   "%s: %s: the database stayed locked by another process for %d s", location,
                   doing, BUSY_TIMEOUT_MS / 1000);
      break;
    default:
      {
        int system_errno = db != NULL ? sqlite3_system_errno (db) : 0;

        if (system_errno != 0)
          g_set_error (error, SMILEY_STORE_ERROR, error_code_for (rc), "%s: %s: %s (%s)", location,
                       doing, detail, g_strerror (system_errno));
        else if (rc == SQLITE_IOERR_WRITE || rc == SQLITE_IOERR_FSYNC
                 || rc == SQLITE_IOERR_TRUNCATE)
          g_set_error (error, SMILEY_STORE_ERROR, error_code_for (rc),
                       "%s: %s: writing failed (is the disk full, or the file too large?)",
                       location, doing);
        else
          g_set_error (error, SMILEY_STORE_ERROR, error_code_for (rc), "%s: %s: %s", location,
                       doing, detail);
      }
      break;
    }
}

static gboolean
store_error (SmileySqliteStore *self, int rc, const char *doing, GError **error)
{
  set_error_from_db (error, self->location, self->db, rc, doing);
  return FALSE;
}

/* Damage this code found in what SQLite read back without complaint: a
 * value out of range, text that is not UTF-8. Returns FALSE. */
G_GNUC_PRINTF (3, 4)
static gboolean
damaged (SmileySqliteStore *self, GError **error, const char *format, ...)
{
  g_autofree char *what = NULL;
  va_list          args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_CORRUPT,
               "%s: the database is damaged (%s)", self->location, what);
  return FALSE;
}

/* The text of a column that must be UTF-8 (names, values, paths), or
 * NULL if it is not. */
static const char *
column_utf8 (sqlite3_stmt *stmt, int column)
{
  const char *text = (const char *)sqlite3_column_text (stmt, column);

  if (text == NULL || !g_utf8_validate (text, sqlite3_column_bytes (stmt, column), NULL))
    return NULL;
  return text;
}

/* Statements */

static sqlite3_stmt *
get_stmt (SmileySqliteStore *self, Stmt which, GError **error)
{
  int rc;

  if (self->stmts[which] != NULL)
    {
      sqlite3_reset (self->stmts[which]);
      sqlite3_clear_bindings (self->stmts[which]);
      return self->stmts[which];
    }

  rc = sqlite3_prepare_v3 (self->db, stmt_sql[which], -1, SQLITE_PREPARE_PERSISTENT,
                           &self->stmts[which], NULL);
  if (rc != SQLITE_OK)
    {
      store_error (self, rc, "cannot read the database", error);
      return NULL;
    }
  return self->stmts[which];
}

/* Runs a statement that returns no rows, after its parameters are bound. */
static gboolean
step_done (SmileySqliteStore *self, sqlite3_stmt *stmt, const char *doing, GError **error)
{
  int rc = sqlite3_step (stmt);

  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return store_error (self, rc, doing, error);
  return TRUE;
}

static gboolean
exec_key_stmt (SmileySqliteStore *self, Stmt which, sqlite3_int64 key, const char *doing,
               GError **error)
{
  sqlite3_stmt *stmt = get_stmt (self, which, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, key);
  return step_done (self, stmt, doing, error);
}

static void
bind_text (sqlite3_stmt *stmt, int column, const char *text)
{
  if (text == NULL)
    sqlite3_bind_null (stmt, column);
  else
    sqlite3_bind_text (stmt, column, text, -1, SQLITE_STATIC);
}

static const char *
column_text (sqlite3_stmt *stmt, int column)
{
  return (const char *)sqlite3_column_text (stmt, column);
}

/* Transactions */

static gboolean abandon_transaction (SmileySqliteStore *self, GError **error);
static gboolean initialise_empty (SmileySqliteStore *self, GError **error);

/* A run can be deleted by another process while this one records it. The
 * write lock is held from BEGIN IMMEDIATE to COMMIT, so a run that exists
 * when a transaction begins cannot go before it commits: checking here,
 * one rowid lookup per run being recorded, is enough to never write rows
 * of a deleted run. */
static gboolean
check_runs_exist (SmileySqliteStore *self, GError **error)
{
  GHashTableIter iter;
  RunWriter     *writer;

  g_hash_table_iter_init (&iter, self->writers);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *)&writer))
    {
      sqlite3_stmt *stmt;
      int           rc;

      if (writer->deleted)
        continue;
      if ((stmt = get_stmt (self, STMT_RUN_EXISTS, error)) == NULL)
        return abandon_transaction (self, error);
      sqlite3_bind_int64 (stmt, 1, writer->key);
      bind_text (stmt, 2, smiley_run_get_id (writer->run));
      rc = sqlite3_step (stmt);
      sqlite3_reset (stmt);
      if (rc == SQLITE_DONE)
        writer->deleted = TRUE;
      else if (rc != SQLITE_ROW)
        {
          store_error (self, rc, "cannot start writing", error);
          return abandon_transaction (self, error);
        }
    }
  return TRUE;
}

/* Returns FALSE with an error if @writer's run was deleted under it. */
static gboolean
check_not_deleted (RunWriter *writer, GError **error)
{
  if (!writer->deleted)
    return TRUE;
  g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NOT_FOUND,
               "%s: run %s was deleted while it was being recorded", writer->store->location,
               smiley_run_get_id (writer->run));
  return FALSE;
}

static gboolean
begin_transaction (SmileySqliteStore *self, GError **error)
{
  sqlite3_stmt *stmt;

  if (self->read_only)
    {
      if (self->open_read_only)
        g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_IO,
                     "%s: cannot write to the database: it was opened read-only", self->location);
      else
        g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_IO,
                     "%s: cannot write to the database: it is read-only for this user",
                     self->location);
      return FALSE;
    }
  if (self->write_failure != NULL)
    {
      g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_IO,
                   "%s: not writing after an earlier failure (%s)", self->location,
                   self->write_failure);
      return FALSE;
    }
  if (self->in_transaction)
    return TRUE;
  if (self->empty_in_memory)
    {
      GError *local_error = NULL;

      if (!initialise_empty (self, &local_error))
        {
          /* No database to write to now: refuse later writes too. */
          self->write_failure = g_strdup (local_error->message);
          g_propagate_error (error, local_error);
          return FALSE;
        }
    }
  if ((stmt = get_stmt (self, STMT_BEGIN, error)) == NULL
      || !step_done (self, stmt, "cannot start writing", error))
    return FALSE;
  self->in_transaction = TRUE;
  return check_runs_exist (self, error);
}

/* Abandons the open transaction after a failed write, so that nothing
 * half-written is committed, and remembers why. Returns FALSE. */
static gboolean
abandon_transaction (SmileySqliteStore *self, GError **error)
{
  if (self->in_transaction)
    {
      /* ROLLBACK may fail when SQLite already rolled back on its own
       * (disk full); either way the transaction is gone. */
      sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
      self->in_transaction = FALSE;
    }
  if (self->write_failure == NULL)
    self->write_failure
        = g_strdup (error != NULL && *error != NULL ? (*error)->message : "write failed");
  return FALSE;
}

static gboolean write_block (RunWriter *writer, GError **error);
static gboolean exec_sql (SmileySqliteStore *self, const char *sql, const char *doing,
                          GError **error);

/* While runs are being recorded, SQLite does not sync: with WAL, every
 * commit still survives a crash of smiley, but checkpoints no longer
 * wait for the disk (an fdatasync of the WAL and one of the database per
 * 1000 pages, which kept the writer from draining the tracer's events).
 * The price is that an OS crash or power cut during recording can lose
 * or damage what was checkpointed meanwhile. When the last run being
 * recorded ends (or the store is closed), synchronous is set back to
 * NORMAL and a checkpoint syncs the WAL and the database file, so a
 * database at rest is as safe as before. */
static gboolean
sync_after_recording (SmileySqliteStore *self, GError **error)
{
  int rc;

  if (g_hash_table_size (self->writers) > 0)
    return TRUE;
  if (!exec_sql (self, "PRAGMA synchronous = NORMAL", "cannot sync the database", error))
    return FALSE;
  /* Another process checkpointing at this moment makes this one BUSY:
   * everything is committed all the same, so that is no failure of the
   * run (the next checkpoint syncs). */
  rc = sqlite3_exec (self->db, "PRAGMA wal_checkpoint(PASSIVE)", NULL, NULL, NULL);
  if (rc != SQLITE_OK && (rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
    return store_error (self, rc, "cannot sync the database", error);
  return TRUE;
}

/* Commits what was written, with each run's count of stored events;
 * with @write_partial, the events still waiting in blocks go first. */
static gboolean
commit (SmileySqliteStore *self, gboolean write_partial, GError **error)
{
  GHashTableIter iter;
  RunWriter     *writer;
  sqlite3_stmt  *stmt;

  g_hash_table_iter_init (&iter, self->writers);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *)&writer))
    {
      if (writer->deleted)
        continue;
      if (write_partial && smiley_sqlite_block_get_n_events (writer->block) > 0)
        {
          if (!begin_transaction (self, error))
            return FALSE;
          if (!write_block (writer, error))
            return abandon_transaction (self, error);
        }
      if (writer->progress_dirty && self->in_transaction)
        {
          if ((stmt = get_stmt (self, STMT_UPDATE_PROGRESS, error)) == NULL)
            return abandon_transaction (self, error);
          sqlite3_bind_int64 (stmt, 1, writer->key);
          /* The next block starts after the last one written. */
          sqlite3_bind_int64 (stmt, 2,
                              (sqlite3_int64)smiley_sqlite_block_get_first_seq (writer->block));
          if (!step_done (self, stmt, "cannot save events", error))
            return abandon_transaction (self, error);
          writer->progress_dirty = FALSE;
        }
    }

  if (!self->in_transaction)
    return TRUE;
  if ((stmt = get_stmt (self, STMT_COMMIT, error)) == NULL
      || !step_done (self, stmt, "cannot save events", error))
    return abandon_transaction (self, error);
  self->in_transaction = FALSE;
  return TRUE;
}

/* Ends a transaction in which nothing was written, so that the write lock
 * is not kept. Returns FALSE, for the caller's error already set. */
static gboolean
end_transaction_unchanged (SmileySqliteStore *self)
{
  if (self->in_transaction)
    {
      sqlite3_exec (self->db, "COMMIT", NULL, NULL, NULL);
      self->in_transaction = FALSE;
    }
  return FALSE;
}

/* Queries see everything pushed through this object so far (after a
 * failed write, what made it into the database). */
static gboolean
commit_before_reading (SmileySqliteStore *self, GError **error)
{
  if (self->write_failure != NULL)
    return TRUE;
  return commit (self, TRUE, error);
}

/* Writing runs */

static void
run_writer_free (gpointer data)
{
  RunWriter *writer = data;

  g_object_unref (writer->run);
  g_ptr_array_unref (writer->threads_saved);
  g_array_unref (writer->thread_counts);
  g_free (writer->short_values);
  g_hash_table_unref (writer->long_values);
  smiley_sqlite_block_free (writer->block);
  g_free (writer);
}

static void
saved_thread_free (gpointer data)
{
  SmileyThread *thread = data;

  if (thread != NULL)
    g_free (thread->name);
  g_free (thread);
}

static RunWriter *
run_writer_new (SmileySqliteStore *self, SmileyRun *run, sqlite3_int64 key)
{
  RunWriter *writer = g_new0 (RunWriter, 1);

  writer->store = self;
  writer->run = g_object_ref (run);
  writer->key = key;
  writer->strings_saved = 1;
  writer->threads_saved = g_ptr_array_new_with_free_func (saved_thread_free);
  writer->thread_counts = g_array_new (FALSE, TRUE, sizeof (guint64));
  writer->short_values = g_new0 (ValueSlot, VALUE_SLOTS);
  writer->long_values = g_hash_table_new_full (long_value_hash, long_value_equal, g_free, NULL);
  writer->next_value_id = 1;
  writer->block = smiley_sqlite_block_new ();
  smiley_sqlite_block_reset (writer->block, 0);
  return writer;
}

static RunWriter *
lookup_writer (SmileySqliteStore *self, SmileyRun *run, GError **error)
{
  RunWriter *writer = g_hash_table_lookup (self->writers, smiley_run_get_id (run));

  if (writer == NULL)
    g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NOT_FOUND,
                 "%s: run %s was not begun in this store", self->location, smiley_run_get_id (run));
  return writer;
}

static gboolean
thread_changed (const SmileyThread *saved, const SmileyThread *now)
{
  return saved == NULL || saved->pid != now->pid || saved->native_id != now->native_id
         || g_strcmp0 (saved->name, now->name) != 0;
}

/* Saves the strings, threads and sources the run gained since the last
 * call, so they are in the database before the events that use them. */
static gboolean
save_run_tables (RunWriter *writer, GError **error)
{
  SmileySqliteStore *self = writer->store;
  SmileyRun         *run = writer->run;
  guint32            n_strings = smiley_run_get_n_strings (run);
  guint32            n_threads = smiley_run_get_n_threads (run);
  guint              n_sources = smiley_run_get_n_sources (run);
  sqlite3_stmt      *stmt;

  for (; writer->strings_saved < n_strings; writer->strings_saved++)
    {
      if ((stmt = get_stmt (self, STMT_INSERT_STRING, error)) == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, writer->key);
      sqlite3_bind_int64 (stmt, 2, writer->strings_saved);
      bind_text (stmt, 3, smiley_run_get_string (run, writer->strings_saved));
      if (!step_done (self, stmt, "cannot save the run's names", error))
        return FALSE;
    }

  if (writer->threads_saved->len < n_threads)
    g_ptr_array_set_size (writer->threads_saved, n_threads);
  for (guint32 id = 1; id <= n_threads; id++)
    {
      const SmileyThread *thread = smiley_run_get_thread (run, id);
      SmileyThread       *saved = g_ptr_array_index (writer->threads_saved, id - 1);

      if (thread == NULL || !thread_changed (saved, thread))
        continue;
      if ((stmt = get_stmt (self, STMT_UPSERT_THREAD, error)) == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, writer->key);
      sqlite3_bind_int64 (stmt, 2, id);
      sqlite3_bind_int64 (stmt, 3, thread->pid);
      sqlite3_bind_int64 (stmt, 4, (sqlite3_int64)thread->native_id);
      bind_text (stmt, 5, thread->name);
      if (!step_done (self, stmt, "cannot save the run's threads", error))
        return FALSE;
      if (saved == NULL)
        {
          saved = g_new0 (SmileyThread, 1);
          writer->threads_saved->pdata[id - 1] = saved;
        }
      saved->id = id;
      saved->pid = thread->pid;
      saved->native_id = thread->native_id;
      g_free (saved->name);
      saved->name = g_strdup (thread->name);
    }

  for (; writer->sources_saved < n_sources; writer->sources_saved++)
    {
      guint32          file;
      GBytes          *content = smiley_run_get_source (run, writer->sources_saved, &file);
      g_autofree char *sha256 = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, content);
      gsize            size;
      gconstpointer    data = g_bytes_get_data (content, &size);

      if ((stmt = get_stmt (self, STMT_INSERT_SOURCE, error)) == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, sha256, -1, SQLITE_STATIC);
      sqlite3_bind_blob64 (stmt, 2, data != NULL ? data : "", size, SQLITE_STATIC);
      if (!step_done (self, stmt, "cannot save a source file", error))
        return FALSE;

      if ((stmt = get_stmt (self, STMT_INSERT_RUN_FILE, error)) == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, writer->key);
      sqlite3_bind_int64 (stmt, 2, writer->sources_saved);
      bind_text (stmt, 3,
                 smiley_run_get_string (run, file) != NULL ? smiley_run_get_string (run, file)
                                                           : "");
      sqlite3_bind_text (stmt, 4, sha256, -1, SQLITE_STATIC);
      if (!step_done (self, stmt, "cannot save a source file", error))
        return FALSE;
    }

  return TRUE;
}

static gboolean
insert_value (RunWriter *writer, const char *text, gsize length, guint32 *id, GError **error)
{
  SmileySqliteStore *self = writer->store;
  sqlite3_stmt      *stmt;

  if ((stmt = get_stmt (self, STMT_INSERT_VALUE, error)) == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, (writer->key << 32) | writer->next_value_id);
  sqlite3_bind_text64 (stmt, 2, text, length, SQLITE_STATIC, SQLITE_UTF8);
  if (!step_done (self, stmt, "cannot save a value", error))
    return FALSE;
  *id = writer->next_value_id++;
  return TRUE;
}

/* Short values are hashed on every event that carries them: eight bytes
 * at a time, with multiply-xorshift mixing. */
static inline guint32
hash_value (const char *text, gsize length)
{
  guint64 hash = G_GUINT64_CONSTANT (0x9e3779b97f4a7c15) ^ length;
  guint64 word;

  for (; length >= 8; text += 8, length -= 8)
    {
      memcpy (&word, text, 8);
      hash = (hash ^ word) * G_GUINT64_CONSTANT (0xff51afd7ed558ccd);
      hash ^= hash >> 32;
    }
  if (length > 0)
    {
      word = 0;
      memcpy (&word, text, length);
      hash = (hash ^ word) * G_GUINT64_CONSTANT (0xc4ceb9fe1a85ec53);
      hash ^= hash >> 29;
    }
  return (guint32)(hash ^ (hash >> 32));
}

/* How many times a short value of @length bytes goes inline before it
 * moves to the value table. Its row there costs about length + 12 bytes
 * (and an INSERT, the dearest thing the writer does per event), each
 * later use 2-3 bytes of id instead of length + 1: a value of a few bytes
 * (a loop counter's numbers, seen two or three times each) is cheaper
 * inline until it has repeated several times. */
static inline guint8
short_value_repeats (gsize length)
{
  if (length >= 8)
    return 1;
  return 4;
}

/* Short values go inline the first times they are seen (see
 * short_value_repeats) and into the value table after; long ones go
 * there at once. Values that never
 * repeat (a loop counter) then cost their length, and repeated ones an id.
 * A value the caches forgot is stored again, under a new id: a little
 * space, never a wrong answer. */
static gboolean
intern_value (const char *text, gsize length, guint64 *id, gpointer user_data, GError **error)
{
  RunWriter *writer = user_data;
  LongValue  key;
  gpointer   known;
  guint32    new_id;

  *id = 0;
  /* Value ids are 32 bits wide (see the value table's key); past that,
   * everything goes inline. */
  if (writer->next_value_id == G_MAXUINT32)
    return TRUE;

  if (length <= SMILEY_SQLITE_BLOCK_INLINE_MAX)
    {
      guint32    hash = hash_value (text, length);
      ValueSlot *slot = &writer->short_values[hash % VALUE_SLOTS];

      if (slot->used && slot->hash == hash && slot->length == length
          && memcmp (slot->text, text, length) == 0)
        {
          if (slot->id == 0)
            {
              if (slot->seen < short_value_repeats (length))
                {
                  slot->seen++;
                  return TRUE;
                }
              if (!insert_value (writer, text, length, &slot->id, error))
                return FALSE;
            }
          *id = slot->id;
          return TRUE;
        }
      slot->used = TRUE;
      slot->hash = hash;
      slot->id = 0;
      slot->seen = 1;
      slot->length = (guint8)length;
      memcpy (slot->text, text, length);
      return TRUE;
    }

  /* Frames keep values far below 4 GiB; one that was not would go
   * inline rather than be remembered under a truncated length. */
  if (length > G_MAXUINT32)
    return TRUE;
  key.hash = hash_value (text, length);
  key.length = (guint32)length;
  key.text = text;
  if (g_hash_table_lookup_extended (writer->long_values, &key, NULL, &known))
    {
      *id = GPOINTER_TO_UINT (known);
      return TRUE;
    }
  if (!insert_value (writer, text, length, &new_id, error))
    return FALSE;
  *id = new_id;
  if (g_hash_table_size (writer->long_values) >= VALUE_MEMORY_MAX)
    g_hash_table_remove_all (writer->long_values);
  g_hash_table_insert (writer->long_values, long_value_new (&key), GUINT_TO_POINTER ((guint)*id));
  return TRUE;
}

static gboolean
write_block (RunWriter *writer, GError **error)
{
  SmileySqliteStore             *self = writer->store;
  SmileySqliteBlock             *block = writer->block;
  const SmileySqliteBlockThread *threads;
  guint                          n_threads;
  sqlite3_int64                  block_key;
  sqlite3_stmt                  *stmt;
  const guint8                  *data;
  gsize                          length;

  if (smiley_sqlite_block_get_n_events (block) == 0)
    return TRUE;

  data = smiley_sqlite_block_get_data (block, &length);
  if ((stmt = get_stmt (self, STMT_INSERT_BLOCK, error)) == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, writer->key);
  sqlite3_bind_int64 (stmt, 2, (sqlite3_int64)smiley_sqlite_block_get_first_seq (block));
  sqlite3_bind_int64 (stmt, 3, smiley_sqlite_block_get_n_events (block));
  sqlite3_bind_blob64 (stmt, 4, data, length, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 5, smiley_sqlite_block_checksum (data, length));
  if (!step_done (self, stmt, "cannot save events", error))
    return FALSE;
  block_key = sqlite3_last_insert_rowid (self->db);

  threads = smiley_sqlite_block_get_threads (block, &n_threads);
  for (guint i = 0; i < n_threads; i++)
    {
      if ((stmt = get_stmt (self, STMT_INSERT_BLOCK_THREAD, error)) == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, writer->key);
      sqlite3_bind_int64 (stmt, 2, threads[i].thread);
      sqlite3_bind_int64 (stmt, 3, (sqlite3_int64)threads[i].first_tseq);
      sqlite3_bind_int64 (stmt, 4, threads[i].n_events);
      sqlite3_bind_int64 (stmt, 5, block_key);
      if (!step_done (self, stmt, "cannot save events", error))
        return FALSE;
    }

  smiley_sqlite_block_reset (block, writer->n_events);
  writer->progress_dirty = TRUE;
  return TRUE;
}

static gboolean
add_event (RunWriter *writer, const SmileyEvent *event, GError **error)
{
  guint64 *count;

  if (event->kind < SMILEY_EVENT_CALL || event->kind > SMILEY_EVENT_KIND_LAST)
    {
      g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_IO,
                   "%s: event of unknown kind %d in run %s", writer->store->location, event->kind,
                   smiley_run_get_id (writer->run));
      return FALSE;
    }

  if (event->thread >= writer->thread_counts->len)
    g_array_set_size (writer->thread_counts, event->thread + 1);
  count = &g_array_index (writer->thread_counts, guint64, event->thread);

  if (smiley_sqlite_block_get_n_events (writer->block) == 0)
    writer->block_started = g_get_monotonic_time ();
  if (!smiley_sqlite_block_add (writer->block, event, *count, intern_value, writer, error))
    return FALSE;
  (*count)++;
  writer->n_events++;
  if (smiley_sqlite_block_is_full (writer->block))
    return write_block (writer, error);
  return TRUE;
}

static char *
argv_to_json (SmileyRun *run)
{
  const char *const *argv = smiley_run_get_argv (run);
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_array (builder);
  for (guint i = 0; argv != NULL && argv[i] != NULL; i++)
    json_builder_add_string_value (builder, argv[i]);
  json_builder_end_array (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

static gboolean
smiley_sqlite_store_begin_run (SmileySink *sink, SmileyRun *run, GError **error)
{
  SmileySqliteStore *self = SMILEY_SQLITE_STORE (sink);
  const char        *id = smiley_run_get_id (run);
  g_autofree char   *argv = argv_to_json (run);
  RunWriter         *writer;
  sqlite3_stmt      *stmt;
  int                rc;

  if (g_hash_table_contains (self->writers, id))
    {
      g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_IO,
                   "%s: run %s is already being recorded", self->location, id);
      return FALSE;
    }
  if (!begin_transaction (self, error))
    return FALSE;

  if ((stmt = get_stmt (self, STMT_INSERT_RUN, error)) == NULL)
    return abandon_transaction (self, error);
  bind_text (stmt, 1, id);
  bind_text (stmt, 2,
             smiley_run_get_description (run) != NULL ? smiley_run_get_description (run) : "");
  bind_text (stmt, 3, smiley_run_get_cwd (run) != NULL ? smiley_run_get_cwd (run) : "");
  bind_text (stmt, 4, argv);
  sqlite3_bind_int64 (stmt, 5, smiley_run_get_pid (run));
  sqlite3_bind_int64 (stmt, 6, smiley_run_get_start_time (run));
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if ((rc & 0xff) == SQLITE_CONSTRAINT)
    {
      /* Nothing was written; end the transaction so that the write lock
       * is not kept. */
      if (commit (self, FALSE, error))
        g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_IO,
                     "%s: a run with id %s is already stored", self->location, id);
      return FALSE;
    }
  if (rc != SQLITE_DONE)
    {
      store_error (self, rc, "cannot save the run", error);
      return abandon_transaction (self, error);
    }

  writer = run_writer_new (self, run, sqlite3_last_insert_rowid (self->db));
  g_hash_table_insert (self->writers, g_strdup (id), writer);
  if (!save_run_tables (writer, error))
    return abandon_transaction (self, error);

  /* Commit at once so that readers list the run while it runs; then
   * record without syncing (see sync_after_recording). */
  return commit (self, FALSE, error)
         && exec_sql (self, "PRAGMA synchronous = OFF", "cannot save the run", error);
}

static gboolean
smiley_sqlite_store_push (SmileySink *sink, SmileyRun *run, SmileyBatch *batch, GError **error)
{
  SmileySqliteStore *self = SMILEY_SQLITE_STORE (sink);
  RunWriter         *writer = lookup_writer (self, run, error);
  guint              n_events = smiley_batch_get_length (batch);

  if (writer == NULL || !begin_transaction (self, error))
    return FALSE;
  if (!check_not_deleted (writer, error))
    return end_transaction_unchanged (self);
  if (!save_run_tables (writer, error))
    return abandon_transaction (self, error);

  for (guint i = 0; i < n_events; i++)
    if (!add_event (writer, smiley_batch_get_event (batch, i), error))
      return abandon_transaction (self, error);

  if (smiley_sqlite_block_get_n_events (writer->block) > 0
      && g_get_monotonic_time () - writer->block_started >= BLOCK_MAX_AGE_US
      && !write_block (writer, error))
    return abandon_transaction (self, error);
  return commit (self, FALSE, error);
}

static gboolean
save_stats (RunWriter *writer, SmileyStats *stats, GError **error)
{
  SmileySqliteStore *self = writer->store;
  guint              n_entries = smiley_stats_get_length (stats);
  sqlite3_stmt      *stmt;

  if (!exec_key_stmt (self, STMT_DELETE_STATS, writer->key, "cannot save statistics", error)
      || !exec_key_stmt (self, STMT_DELETE_STAT_CALLERS, writer->key, "cannot save statistics",
                         error))
    return FALSE;

  for (guint i = 0; i < n_entries; i++)
    {
      SmileyStatsEntry *entry = smiley_stats_get_entry (stats, i);

      if ((stmt = get_stmt (self, STMT_INSERT_STAT, error)) == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, writer->key);
      sqlite3_bind_int64 (stmt, 2, i);
      bind_text (stmt, 3, entry->file);
      sqlite3_bind_int64 (stmt, 4, entry->line);
      bind_text (stmt, 5, entry->function);
      sqlite3_bind_int64 (stmt, 6, (sqlite3_int64)entry->ncalls);
      sqlite3_bind_int64 (stmt, 7, (sqlite3_int64)entry->primcalls);
      sqlite3_bind_int64 (stmt, 8, entry->tottime_ns);
      sqlite3_bind_int64 (stmt, 9, entry->cumtime_ns);
      if (!step_done (self, stmt, "cannot save statistics", error))
        return FALSE;

      for (guint j = 0; j < entry->callers->len; j++)
        {
          const SmileyStatsCaller *caller = &g_array_index (entry->callers, SmileyStatsCaller, j);

          if ((stmt = get_stmt (self, STMT_INSERT_STAT_CALLER, error)) == NULL)
            return FALSE;
          sqlite3_bind_int64 (stmt, 1, writer->key);
          sqlite3_bind_int64 (stmt, 2, i);
          sqlite3_bind_int64 (stmt, 3, caller->caller);
          sqlite3_bind_int64 (stmt, 4, (sqlite3_int64)caller->ncalls);
          sqlite3_bind_int64 (stmt, 5, (sqlite3_int64)caller->primcalls);
          sqlite3_bind_int64 (stmt, 6, caller->tottime_ns);
          sqlite3_bind_int64 (stmt, 7, caller->cumtime_ns);
          if (!step_done (self, stmt, "cannot save statistics", error))
            return FALSE;
        }
    }
  return TRUE;
}

static gboolean
smiley_sqlite_store_end_run (SmileySink *sink, SmileyRun *run, GError **error)
{
  SmileySqliteStore *self = SMILEY_SQLITE_STORE (sink);
  RunWriter         *writer = lookup_writer (self, run, error);
  SmileyStats       *stats = smiley_run_get_stats (run);
  sqlite3_stmt      *stmt;

  if (writer == NULL || !begin_transaction (self, error))
    return FALSE;
  if (!check_not_deleted (writer, error))
    return end_transaction_unchanged (self);
  if (!save_run_tables (writer, error) || !write_block (writer, error))
    return abandon_transaction (self, error);
  if (stats != NULL && !save_stats (writer, stats, error))
    return abandon_transaction (self, error);

  if ((stmt = get_stmt (self, STMT_END_RUN, error)) == NULL)
    return abandon_transaction (self, error);
  sqlite3_bind_int64 (stmt, 1, writer->key);
  sqlite3_bind_int64 (stmt, 2, smiley_run_get_end_time (run));
  sqlite3_bind_int (stmt, 3, smiley_run_get_state (run));
  sqlite3_bind_int (stmt, 4, smiley_run_get_exit_status (run));
  sqlite3_bind_int (stmt, 5, smiley_run_get_signal (run));
  bind_text (stmt, 6, smiley_run_get_error (run));
  bind_text (stmt, 7, smiley_run_get_traceback (run));
  sqlite3_bind_int64 (stmt, 8, (sqlite3_int64)smiley_run_get_events_emitted (run));
  sqlite3_bind_int64 (stmt, 9, (sqlite3_int64)writer->n_events);
  sqlite3_bind_int (stmt, 10, stats != NULL);
  bind_text (stmt, 11,
             smiley_run_get_description (run) != NULL ? smiley_run_get_description (run) : "");
  if (!step_done (self, stmt, "cannot save the end of the run", error))
    return abandon_transaction (self, error);

  writer->progress_dirty = FALSE;
  g_hash_table_remove (self->writers, smiley_run_get_id (run));
  return commit (self, FALSE, error) && sync_after_recording (self, error);
}

static gboolean
smiley_sqlite_store_flush (SmileySink *sink, GError **error)
{
  return commit (SMILEY_SQLITE_STORE (sink), TRUE, error);
}

/* Reading runs */

static SmileyRun *
run_from_row (SmileySqliteStore *self, sqlite3_stmt *stmt)
{
  SmileyRun *run = smiley_run_new (column_text (stmt, 0));
  g_autoptr (JsonParser) parser = json_parser_new ();
  const char *argv_json = column_text (stmt, 3);

  smiley_run_set_description (run, column_text (stmt, 1));
  smiley_run_set_cwd (run, column_text (stmt, 2));
  if (argv_json != NULL && json_parser_load_from_data (parser, argv_json, -1, NULL)
      && JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser)))
    {
      JsonArray *array = json_node_get_array (json_parser_get_root (parser));
      g_autoptr (GPtrArray) argv = g_ptr_array_new ();

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          const char *arg = json_array_get_string_element (array, i);
          g_ptr_array_add (argv, (gpointer)(arg != NULL ? arg : ""));
        }
      g_ptr_array_add (argv, NULL);
      smiley_run_set_argv (run, (const char *const *)argv->pdata);
    }
  smiley_run_set_pid (run, (guint32)sqlite3_column_int64 (stmt, 4));
  smiley_run_set_start_time (run, sqlite3_column_int64 (stmt, 5));
  smiley_run_set_end_time (run, sqlite3_column_int64 (stmt, 6));
  smiley_run_set_state (
      run, CLAMP (sqlite3_column_int (stmt, 7), SMILEY_RUN_RUNNING, SMILEY_RUN_ABNORMAL));
  smiley_run_set_exit_status (run, sqlite3_column_int (stmt, 8));
  smiley_run_set_signal (run, sqlite3_column_int (stmt, 9));
  smiley_run_set_error (run, column_text (stmt, 10));
  smiley_run_set_traceback (run, column_text (stmt, 11));
  smiley_run_set_events_emitted (run, (guint64)sqlite3_column_int64 (stmt, 12));
  return run;
}

static GPtrArray *
smiley_sqlite_store_list_runs (SmileyStore *store, GError **error)
{
  SmileySqliteStore *self = SMILEY_SQLITE_STORE (store);
  g_autoptr (GPtrArray) runs = g_ptr_array_new_with_free_func (g_object_unref);
  sqlite3_stmt *stmt;
  int           rc;

  if (!commit_before_reading (self, error)
      || (stmt = get_stmt (self, STMT_LIST_RUNS, error)) == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (runs, run_from_row (self, stmt));
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      store_error (self, rc, "cannot list runs", error);
      return NULL;
    }
  return g_steal_pointer (&runs);
}

/* The integer key of a run, or -1 with NOT_FOUND. */
static sqlite3_int64
find_run_key (SmileySqliteStore *self, const char *run_id, GError **error)
{
  sqlite3_stmt *stmt = get_stmt (self, STMT_FIND_RUN_KEY, error);
  sqlite3_int64 key;
  int           rc;

  if (stmt == NULL)
    return -1;
  bind_text (stmt, 1, run_id);
  rc = sqlite3_step (stmt);
  key = rc == SQLITE_ROW ? sqlite3_column_int64 (stmt, 0) : -1;
  sqlite3_reset (stmt);
  if (rc == SQLITE_DONE)
    g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NOT_FOUND,
                 "no run with id '%s' in %s (see 'smiley list')", run_id, self->location);
  else if (rc != SQLITE_ROW)
    store_error (self, rc, "cannot find the run", error);
  return key;
}

static gboolean
load_run_tables (SmileySqliteStore *self, SmileyRun *run, sqlite3_int64 key, GError **error)
{
  sqlite3_stmt *stmt;
  int           rc;

  if ((stmt = get_stmt (self, STMT_GET_STRINGS, error)) == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, key);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      sqlite3_int64 id = sqlite3_column_int64 (stmt, 0);
      const char   *text = column_utf8 (stmt, 1);

      if (text == NULL && id >= 0 && id <= G_MAXUINT32)
        {
          sqlite3_reset (stmt);
          return damaged (self, error, "run %s: name %" G_GINT64_FORMAT " is not UTF-8 text",
                          smiley_run_get_id (run), (gint64)id);
        }
      if (id < 0 || id > G_MAXUINT32 || !smiley_run_set_string (run, (guint32)id, text, NULL))
        {
          sqlite3_reset (stmt);
          g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_CORRUPT,
                       "%s: the database is damaged (run %s: string %" G_GINT64_FORMAT
                       " out of sequence)",
                       self->location, smiley_run_get_id (run), (gint64)id);
          return FALSE;
        }
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return store_error (self, rc, "cannot read the run's names", error);

  if ((stmt = get_stmt (self, STMT_GET_THREADS, error)) == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, key);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      sqlite3_int64 id = sqlite3_column_int64 (stmt, 0);

      if (id <= 0 || id > G_MAXUINT32)
        continue;
      smiley_run_set_thread (run, (guint32)id, (guint32)sqlite3_column_int64 (stmt, 1),
                             (guint64)sqlite3_column_int64 (stmt, 2), column_text (stmt, 3));
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return store_error (self, rc, "cannot read the run's threads", error);

  /* Sources are small next to events, and the console replay needs their
   * lines: load them with the run. */
  if ((stmt = get_stmt (self, STMT_GET_SOURCES, error)) == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, key);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_autoptr (GBytes) content
          = g_bytes_new (sqlite3_column_blob (stmt, 1), sqlite3_column_bytes (stmt, 1));
      const char *path = column_text (stmt, 0);

      smiley_run_add_source (run, smiley_run_intern (run, path != NULL ? path : ""), content);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return store_error (self, rc, "cannot read the run's source files", error);

  return TRUE;
}

static SmileyRun *
smiley_sqlite_store_get_run (SmileyStore *store, const char *run_id, GError **error)
{
  SmileySqliteStore *self = SMILEY_SQLITE_STORE (store);
  g_autoptr (SmileyRun) run = NULL;
  sqlite3_stmt *stmt;
  sqlite3_int64 key;
  int           rc;

  if (!commit_before_reading (self, error) || (stmt = get_stmt (self, STMT_GET_RUN, error)) == NULL)
    return NULL;
  bind_text (stmt, 1, run_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      run = run_from_row (self, stmt);
      key = sqlite3_column_int64 (stmt, 13);
    }
  sqlite3_reset (stmt);
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NOT_FOUND,
                   "no run with id '%s' in %s (see 'smiley list')", run_id, self->location);
      return NULL;
    }
  if (rc != SQLITE_ROW)
    {
      store_error (self, rc, "cannot read the run", error);
      return NULL;
    }

  if (!load_run_tables (self, run, key, error))
    return NULL;
  return g_steal_pointer (&run);
}

/* Deletes the rows of runs that no longer exist, so that a database an
 * older smiley left them in gets its space back at the next delete. */
static gboolean
delete_orphans (SmileySqliteStore *self, const Stmt *deletes, guint n_deletes, GError **error)
{
  g_autoptr (GArray) keys = g_array_new (FALSE, FALSE, sizeof (sqlite3_int64));
  sqlite3_stmt *stmt;
  int           rc;

  if ((stmt = get_stmt (self, STMT_ORPHAN_KEYS, error)) == NULL)
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      sqlite3_int64 key = sqlite3_column_int64 (stmt, 0);

      g_array_append_val (keys, key);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return store_error (self, rc, "cannot delete the run", error);

  for (guint k = 0; k < keys->len; k++)
    for (guint i = 0; i < n_deletes; i++)
      if (!exec_key_stmt (self, deletes[i], g_array_index (keys, sqlite3_int64, k),
                          "cannot delete the run", error))
        return FALSE;
  return TRUE;
}

static gboolean
smiley_sqlite_store_delete_run (SmileyStore *store, const char *run_id, GError **error)
{
  SmileySqliteStore *self = SMILEY_SQLITE_STORE (store);
  static const Stmt  deletes[] = {
     STMT_DELETE_RUN_SOURCES, STMT_DELETE_RUN_FILES,  STMT_DELETE_RUN_BLOCK_THREADS,
     STMT_DELETE_RUN_BLOCKS,  STMT_DELETE_RUN_VALUES, STMT_DELETE_RUN_STRINGS,
     STMT_DELETE_RUN_THREADS, STMT_DELETE_STATS,      STMT_DELETE_STAT_CALLERS,
     STMT_DELETE_RUN,
  };
  sqlite3_int64 key;

  if (g_hash_table_contains (self->writers, run_id))
    {
      g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_IO,
                   "%s: run %s is being recorded; it can be deleted once it ends", self->location,
                   run_id);
      return FALSE;
    }
  if (!commit_before_reading (self, error) || (key = find_run_key (self, run_id, error)) < 0
      || !begin_transaction (self, error))
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (deletes); i++)
    if (!exec_key_stmt (self, deletes[i], key, "cannot delete the run", error))
      return abandon_transaction (self, error);
  if (!delete_orphans (self, deletes, G_N_ELEMENTS (deletes), error))
    return abandon_transaction (self, error);
  if (!commit (self, FALSE, error))
    return FALSE;

  /* Give the freed pages back, so that deleting runs shrinks the file.
   * The run is gone either way: a failure here (another process holds
   * the lock) only leaves the pages free for later runs. */
  if (sqlite3_exec (self->db, "PRAGMA incremental_vacuum", NULL, NULL, NULL) != SQLITE_OK)
    g_debug ("%s: pages of deleted run %s not given back: %s", self->location, run_id,
             sqlite3_errmsg (self->db));
  return TRUE;
}

/* Decoding events into a batch */

typedef struct
{
  SmileySqliteStore *store;
  SmileyBatch       *batch;
  gint64             thread;   /* -1 for all */
  guint64            position; /* index of the next decoded event (run- or thread-wide) */
  guint64            offset;   /* first index wanted */
  guint              limit;
} EventPage;

static const char *
lookup_value (guint64 id, gpointer user_data, GError **error)
{
  SmileySqliteStore *self = user_data;
  const char        *text;
  sqlite3_stmt      *stmt;
  gint64             key = (gint64)id;
  int                rc;

  text = g_hash_table_lookup (self->value_cache, &key);
  if (text != NULL)
    return text;

  if ((stmt = get_stmt (self, STMT_GET_VALUE, error)) == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, key);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW && column_utf8 (stmt, 0) != NULL)
    {
      if (g_hash_table_size (self->value_cache) >= VALUE_MEMORY_MAX)
        g_hash_table_remove_all (self->value_cache);
      text = g_strdup (column_text (stmt, 0));
      g_hash_table_insert (self->value_cache, g_memdup2 (&key, sizeof key), (char *)text);
    }
  sqlite3_reset (stmt);
  if (rc == SQLITE_ROW && text == NULL)
    damaged (self, error, "value %" G_GUINT64_FORMAT " is not UTF-8 text", id & G_MAXUINT32);
  else if (rc == SQLITE_DONE)
    g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_CORRUPT,
                 "%s: the database is damaged (value %" G_GUINT64_FORMAT " is missing)",
                 self->location, id & G_MAXUINT32);
  else if (rc != SQLITE_ROW)
    store_error (self, rc, "cannot read a value", error);
  return text;
}

static gboolean
add_to_page (const SmileyEvent *event, guint index, gpointer user_data)
{
  EventPage *page = user_data;

  if (page->thread >= 0 && event->thread != (guint32)page->thread)
    return TRUE;
  if (page->position++ < page->offset)
    return TRUE;
  smiley_batch_add (page->batch, event);
  return smiley_batch_get_length (page->batch) < page->limit;
}

/* A value key as the decoder sees it: the run's key in the high bits. */
typedef struct
{
  SmileySqliteStore *store;
  sqlite3_int64      run_key;
} ValueScope;

static const char *
lookup_run_value (guint64 id, gpointer user_data, GError **error)
{
  ValueScope *scope = user_data;

  if (id == 0 || id > G_MAXUINT32)
    {
      g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_CORRUPT,
                   "%s: the database is damaged (value id %" G_GUINT64_FORMAT " out of range)",
                   scope->store->location, id);
      return NULL;
    }
  return lookup_value (((guint64)scope->run_key << 32) | id, scope->store, error);
}

static SmileyBatch *
smiley_sqlite_store_get_events (SmileyStore *store, SmileyRun *run, int thread, guint64 offset,
                                guint limit, GError **error)
{
  SmileySqliteStore *self = SMILEY_SQLITE_STORE (store);
  g_autoptr (SmileyBatch) batch = smiley_batch_new ();
  EventPage     page = { self, batch, thread < 0 ? -1 : thread, 0, offset, limit };
  ValueScope    scope = { self, 0 };
  sqlite3_stmt *stmt;
  int           rc = SQLITE_DONE;

  if (!commit_before_reading (self, error)
      || (scope.run_key = find_run_key (self, smiley_run_get_id (run), error)) < 0)
    return NULL;
  if (limit == 0)
    return g_steal_pointer (&batch);

  stmt = get_stmt (self, thread < 0 ? STMT_BLOCKS_FROM_SEQ : STMT_BLOCKS_FROM_TSEQ, error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, scope.run_key);
  if (thread < 0)
    sqlite3_bind_int64 (stmt, 2, (sqlite3_int64)MIN (offset, (guint64)G_MAXINT64));
  else
    {
      sqlite3_bind_int64 (stmt, 2, thread);
      sqlite3_bind_int64 (stmt, 3, (sqlite3_int64)MIN (offset, (guint64)G_MAXINT64));
    }

  while (smiley_batch_get_length (batch) < limit && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      sqlite3_int64 first = sqlite3_column_int64 (stmt, 0);
      sqlite3_int64 n_events = sqlite3_column_int64 (stmt, 1);
      const guint8 *data = sqlite3_column_blob (stmt, 2);
      gsize         length = sqlite3_column_bytes (stmt, 2);
      g_autoptr (GError) local_error = NULL;

      if (first < 0 || n_events <= 0 || n_events > G_MAXUINT || (data == NULL && length > 0))
        {
          rc = SQLITE_CORRUPT;
          break;
        }
      if (smiley_sqlite_block_checksum (data, length) != sqlite3_column_int64 (stmt, 3))
        {
          sqlite3_reset (stmt);
          g_set_error (
              error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_CORRUPT,
              "%s: the database is damaged (run %s: the block of events from %" G_GINT64_FORMAT
              " fails its checksum)",
              self->location, smiley_run_get_id (run), (gint64)first);
          return NULL;
        }
      page.position = (guint64)first;
      if (!smiley_sqlite_block_decode (data, length, (guint)n_events,
                                       smiley_run_get_n_strings (run), lookup_run_value, &scope,
                                       add_to_page, &page, &local_error))
        {
          sqlite3_reset (stmt);
          if (local_error->code == SMILEY_STORE_ERROR_CORRUPT
              && !g_str_has_prefix (local_error->message, self->location))
            g_set_error (
                error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_CORRUPT,
                "%s: the database is damaged (run %s, events from %" G_GINT64_FORMAT ": %s)",
                self->location, smiley_run_get_id (run), (gint64)first, local_error->message);
          else
            g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      rc = SQLITE_DONE;
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    {
      store_error (self, rc, "cannot read events", error);
      return NULL;
    }
  return g_steal_pointer (&batch);
}

static GBytes *
smiley_sqlite_store_get_source (SmileyStore *store, SmileyRun *run, const char *path,
                                GError **error)
{
  SmileySqliteStore *self = SMILEY_SQLITE_STORE (store);
  GBytes            *content = NULL;
  sqlite3_stmt      *stmt;
  sqlite3_int64      key;
  int                rc;

  if (!commit_before_reading (self, error)
      || (key = find_run_key (self, smiley_run_get_id (run), error)) < 0
      || (stmt = get_stmt (self, STMT_GET_SOURCE, error)) == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, key);
  bind_text (stmt, 2, path);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    content = g_bytes_new (sqlite3_column_blob (stmt, 0), sqlite3_column_bytes (stmt, 0));
  sqlite3_reset (stmt);
  if (rc == SQLITE_DONE)
    g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NOT_FOUND,
                 "run %s did not record the file '%s'", smiley_run_get_id (run), path);
  else if (rc != SQLITE_ROW)
    store_error (self, rc, "cannot read a source file", error);
  return content;
}

static GStrv
smiley_sqlite_store_list_files (SmileyStore *store, SmileyRun *run, GError **error)
{
  SmileySqliteStore *self = SMILEY_SQLITE_STORE (store);
  g_autoptr (GStrvBuilder) files = g_strv_builder_new ();
  sqlite3_stmt *stmt;
  sqlite3_int64 key;
  int           rc;

  if (!commit_before_reading (self, error)
      || (key = find_run_key (self, smiley_run_get_id (run), error)) < 0
      || (stmt = get_stmt (self, STMT_LIST_FILES, error)) == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, key);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_strv_builder_add (files, column_text (stmt, 0));
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      store_error (self, rc, "cannot list the run's files", error);
      return NULL;
    }
  return g_strv_builder_end (files);
}

static SmileyStats *
smiley_sqlite_store_get_stats (SmileyStore *store, SmileyRun *run, GError **error)
{
  SmileySqliteStore *self = SMILEY_SQLITE_STORE (store);
  g_autoptr (SmileyStats) stats = NULL;
  sqlite3_stmt *stmt;
  sqlite3_int64 key;
  gboolean      has_stats;
  int           rc;

  if (!commit_before_reading (self, error)
      || (key = find_run_key (self, smiley_run_get_id (run), error)) < 0
      || (stmt = get_stmt (self, STMT_HAS_STATS, error)) == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, key);
  rc = sqlite3_step (stmt);
  has_stats = rc == SQLITE_ROW && sqlite3_column_int (stmt, 0) != 0;
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW)
    {
      store_error (self, rc == SQLITE_DONE ? SQLITE_CORRUPT : rc, "cannot read statistics", error);
      return NULL;
    }
  if (!has_stats)
    {
      g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NO_STATS,
                   "run %s has no profile statistics (it is still running, or ended before "
                   "it could write them)",
                   smiley_run_get_id (run));
      return NULL;
    }

  stats = smiley_stats_new ();
  if ((stmt = get_stmt (self, STMT_GET_STATS, error)) == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, key);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      SmileyStatsEntry *entry;
      guint             index;
      sqlite3_int64     idx = sqlite3_column_int64 (stmt, 0);
      const char       *file = column_utf8 (stmt, 1);
      const char       *function = column_utf8 (stmt, 3);

      if (file == NULL || function == NULL)
        {
          sqlite3_reset (stmt);
          damaged (
              self, error, "run %s: the %s of profile entry %" G_GINT64_FORMAT " is not UTF-8 text",
              smiley_run_get_id (run), file == NULL ? "file name" : "function name", (gint64)idx);
          return NULL;
        }
      index = smiley_stats_add_entry (stats, file, (guint)sqlite3_column_int64 (stmt, 2), function);
      if (idx < 0 || index != (guint64)idx)
        {
          sqlite3_reset (stmt);
          damaged (self, error,
                   "run %s: profile entry %" G_GINT64_FORMAT " is out of sequence or repeats "
                   "another",
                   smiley_run_get_id (run), (gint64)idx);
          return NULL;
        }
      entry = smiley_stats_get_entry (stats, index);
      entry->ncalls = (guint64)sqlite3_column_int64 (stmt, 4);
      entry->primcalls = (guint64)sqlite3_column_int64 (stmt, 5);
      entry->tottime_ns = sqlite3_column_int64 (stmt, 6);
      entry->cumtime_ns = sqlite3_column_int64 (stmt, 7);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      store_error (self, rc, "cannot read statistics", error);
      return NULL;
    }

  if ((stmt = get_stmt (self, STMT_GET_STAT_CALLERS, error)) == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, key);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      sqlite3_int64     callee = sqlite3_column_int64 (stmt, 0);
      SmileyStatsCaller caller = {
        .caller = (guint)sqlite3_column_int64 (stmt, 1),
        .ncalls = (guint64)sqlite3_column_int64 (stmt, 2),
        .primcalls = (guint64)sqlite3_column_int64 (stmt, 3),
        .tottime_ns = sqlite3_column_int64 (stmt, 4),
        .cumtime_ns = sqlite3_column_int64 (stmt, 5),
      };

      if (callee < 0 || callee >= smiley_stats_get_length (stats)
          || sqlite3_column_int64 (stmt, 1) < 0 || caller.caller >= smiley_stats_get_length (stats))
        {
          sqlite3_reset (stmt);
          damaged (self, error,
                   "run %s: a caller of profile entry %" G_GINT64_FORMAT " refers to no entry",
                   smiley_run_get_id (run), (gint64)callee);
          return NULL;
        }
      smiley_stats_add_caller (stats, (guint)callee, &caller);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      store_error (self, rc, "cannot read statistics", error);
      return NULL;
    }
  return g_steal_pointer (&stats);
}

/* Opening */

static gboolean
query_int (sqlite3 *db, const char *sql, sqlite3_int64 *value, int *rc_out)
{
  sqlite3_stmt *stmt = NULL;
  int           rc = sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL);

  if (rc == SQLITE_OK)
    {
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        {
          *value = sqlite3_column_int64 (stmt, 0);
          rc = SQLITE_OK;
        }
    }
  sqlite3_finalize (stmt);
  *rc_out = rc;
  return rc == SQLITE_OK;
}

/* Opens @location for reading without creating anything beside it. A
 * read-only connection to a WAL database creates -wal and -shm files;
 * when there is no -wal (nobody has the database open for writing), the
 * file is read alone (immutable=1) instead. A rollback-journal database
 * needs no side files and keeps its locks. */
static int
open_without_side_files (const char *location, gboolean wal_mode, sqlite3 **db)
{
  g_autofree char *wal = g_strconcat (location, "-wal", NULL);

  if (wal_mode && !g_file_test (wal, G_FILE_TEST_EXISTS))
    {
      g_autofree char *absolute = g_canonicalize_filename (location, NULL);
      g_autofree char *escaped = g_uri_escape_string (absolute, "/", FALSE);
      g_autofree char *uri = g_strconcat ("file:", escaped, "?immutable=1", NULL);

      return sqlite3_open_v2 (uri, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI,
                              NULL);
    }
  return sqlite3_open_v2 (location, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
}

/* Looks at an existing file without changing a byte of it: only a smiley
 * database (or an empty one) may be opened for writing afterwards. */
static gboolean
check_existing_file (const char *location, gboolean *is_new, GError **error)
{
  static const char sqlite_magic[16] = "SQLite format 3";
  guint8            header_bytes[100];
  GStatBuf          st;
  FILE             *file;
  gsize             got;
  sqlite3          *db = NULL;
  sqlite3_int64     application_id = 0, user_version = 0, n_tables = 0;
  sqlite3_stmt     *stmt = NULL;
  g_autofree char  *quick_check = NULL;
  int               rc;

  *is_new = FALSE;
  if (g_stat (location, &st) != 0)
    {
      int saved_errno = errno;

      if (saved_errno == ENOENT)
        {
          *is_new = TRUE;
          return TRUE;
        }
      g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_IO,
                   "%s: cannot open the database: %s", location, g_strerror (saved_errno));
      return FALSE;
    }
  if (S_ISDIR (st.st_mode))
    {
      g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NOT_A_STORE,
                   "%s: not a smiley database (it is a directory; a file store is opened "
                   "with --store file:%s)",
                   location, location);
      return FALSE;
    }
  /* A device, FIFO or socket cannot hold a database (SQLite's own
   * message, "writing failed", would send the user looking at the disk). */
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NOT_A_STORE,
                   "%s: not a smiley database (it is %s, not a regular file)", location,
                   S_ISCHR (st.st_mode)    ? "a character device"
                   : S_ISBLK (st.st_mode)  ? "a block device"
                   : S_ISFIFO (st.st_mode) ? "a named pipe"
                   : S_ISSOCK (st.st_mode) ? "a socket"
                                           : "a special file");
      return FALSE;
    }
  /* An empty file is what `touch smiley.db` leaves: it becomes a store. */
  if (st.st_size == 0)
    {
      *is_new = TRUE;
      return TRUE;
    }

  file = g_fopen (location, "rb");
  if (file == NULL)
    {
      int saved_errno = errno;
      g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_IO,
                   "%s: cannot open the database: %s", location, g_strerror (saved_errno));
      return FALSE;
    }
  got = fread (header_bytes, 1, sizeof header_bytes, file);
  fclose (file);
  if (got < sizeof header_bytes || memcmp (header_bytes, sqlite_magic, sizeof sqlite_magic) != 0
      || st.st_size < 512)
    {
      g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NOT_A_STORE,
                   "%s: not a smiley database (not an SQLite file)", location);
      return FALSE;
    }

  /* Refusing someone else's file must leave nothing behind it. Byte 18
   * of the header is 2 in WAL mode. */
  rc = open_without_side_files (location, header_bytes[18] == 2, &db);
  if (rc != SQLITE_OK)
    goto sqlite_failed;
  sqlite3_busy_timeout (db, BUSY_TIMEOUT_MS);

  if (!query_int (db, "PRAGMA application_id", &application_id, &rc)
      || !query_int (db, "PRAGMA user_version", &user_version, &rc)
      || !query_int (db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'", &n_tables, &rc))
    goto sqlite_failed;

  if (application_id != 0 && application_id != SMILEY_SQLITE_APPLICATION_ID)
    {
      g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NOT_A_STORE,
                   "%s: not a smiley database (an SQLite database of another program, "
                   "application id 0x%08x)",
                   location, (guint32)application_id);
      goto failed;
    }
  if (application_id == 0 && user_version == 0 && n_tables == 0)
    {
      /* An SQLite database with nothing in it: as good as empty. */
      *is_new = TRUE;
      sqlite3_close (db);
      return TRUE;
    }
  if (application_id == SMILEY_SQLITE_APPLICATION_ID && user_version > SMILEY_SQLITE_SCHEMA_VERSION)
    {
      g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_VERSION,
                   "%s: written by a newer smiley (schema %" G_GINT64_FORMAT ", this one "
                   "reads up to %d)",
                   location, (gint64)user_version, SMILEY_SQLITE_SCHEMA_VERSION);
      goto failed;
    }

  for (guint i = 0; i < G_N_ELEMENTS (required_tables); i++)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM sqlite_schema "
                                              "WHERE type = 'table' AND name = '%s'",
                                              required_tables[i]);
      sqlite3_int64    found = 0;

      if (!query_int (db, sql, &found, &rc))
        goto sqlite_failed;
      if (found == 0)
        {
          g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NOT_A_STORE,
                       "%s: not a smiley database (no '%s' table)", location, required_tables[i]);
          goto failed;
        }
    }

  if (st.st_size <= QUICK_CHECK_MAX_SIZE)
    {
      rc = sqlite3_prepare_v2 (db, "PRAGMA quick_check(1)", -1, &stmt, NULL);
      if (rc != SQLITE_OK)
        goto sqlite_failed;
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        quick_check = g_strdup (column_text (stmt, 0));
      sqlite3_finalize (stmt);
      stmt = NULL;
      if (rc != SQLITE_ROW)
        goto sqlite_failed;
      if (g_strcmp0 (quick_check, "ok") != 0)
        {
          g_strdelimit (quick_check, "\n", ' ');
          g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_CORRUPT,
                       "%s: the database is damaged (%s)", location,
                       quick_check != NULL ? g_strstrip (quick_check) : "check failed");
          goto failed;
        }
    }

  sqlite3_close (db);
  return TRUE;

sqlite_failed:
  set_error_from_db (error, location, db, rc, "cannot read the database");
failed:
  sqlite3_close (db);
  return FALSE;
}

static gboolean
exec_sql (SmileySqliteStore *self, const char *sql, const char *doing, GError **error)
{
  int rc = sqlite3_exec (self->db, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    return store_error (self, rc, doing, error);
  return TRUE;
}

/* Brings the schema up to date, one migration (data/store/sqlite-N.sql)
 * at a time, in one transaction with the version bump. */
static gboolean
migrate (SmileySqliteStore *self, GError **error)
{
  sqlite3_int64 version = 0;
  int           rc;

  /* Up to date: no write transaction, which would wait for a process
   * recording into the database. */
  if (!query_int (self->db, "PRAGMA user_version", &version, &rc))
    return store_error (self, rc, "cannot read the database", error);
  if (version == SMILEY_SQLITE_SCHEMA_VERSION)
    return TRUE;

  if (!exec_sql (self, "BEGIN IMMEDIATE", "cannot set up the database", error))
    return FALSE;
  /* Read again inside the transaction: another process may have set the
   * database up meanwhile. */
  if (!query_int (self->db, "PRAGMA user_version", &version, &rc))
    {
      store_error (self, rc, "cannot set up the database", error);
      goto failed;
    }
  if (version > SMILEY_SQLITE_SCHEMA_VERSION)
    {
      g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_VERSION,
                   "%s: written by a newer smiley (schema %" G_GINT64_FORMAT ", this one "
                   "reads up to %d)",
                   self->location, (gint64)version, SMILEY_SQLITE_SCHEMA_VERSION);
      goto failed;
    }

  for (sqlite3_int64 next = version + 1; next <= SMILEY_SQLITE_SCHEMA_VERSION; next++)
    {
      g_autofree char *path
          = g_strdup_printf ("/org/smiley/store/sqlite-%" G_GINT64_FORMAT ".sql", (gint64)next);
      g_autoptr (GBytes) script
          = g_resources_lookup_data (path, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
      g_autofree char *sql = NULL;
      g_autofree char *bump = NULL;

      /* The scripts are compiled in; a missing one is a build bug. */
      g_assert (script != NULL);
      sql = g_strndup (g_bytes_get_data (script, NULL), g_bytes_get_size (script));
      bump = g_strdup_printf ("PRAGMA user_version = %" G_GINT64_FORMAT, (gint64)next);
      if (!exec_sql (self, sql, "cannot set up the database", error)
          || !exec_sql (self, bump, "cannot set up the database", error))
        goto failed;
    }
  if (version < SMILEY_SQLITE_SCHEMA_VERSION)
    {
      g_autofree char *application_id
          = g_strdup_printf ("PRAGMA application_id = %d", SMILEY_SQLITE_APPLICATION_ID);
      if (!exec_sql (self, application_id, "cannot set up the database", error))
        goto failed;
    }
  return exec_sql (self, "COMMIT", "cannot set up the database", error);

failed:
  sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
  return FALSE;
}

static gboolean
is_permission_error (int rc)
{
  switch (rc & 0xff)
    {
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return TRUE;
    default:
      return FALSE;
    }
}

/* The end of every read-only open: @rc and @version are what opening and
 * reading `PRAGMA user_version` gave; an older schema cannot be migrated
 * here, and @why_not says why in the message. */
static gboolean
finish_read_only_open (SmileySqliteStore *self, int rc, gint64 version, const char *why_not,
                       GError **error)
{
  if (rc != SQLITE_OK)
    {
      store_error (self, rc, "cannot open the database", error);
      g_clear_pointer (&self->db, sqlite3_close);
      return FALSE;
    }
  if (version != SMILEY_SQLITE_SCHEMA_VERSION)
    {
      g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_VERSION,
                   "%s: the database needs upgrading (schema %" G_GINT64_FORMAT " to %d)%s",
                   self->location, version, SMILEY_SQLITE_SCHEMA_VERSION, why_not);
      g_clear_pointer (&self->db, sqlite3_close);
      return FALSE;
    }
  self->read_only = TRUE;
  return TRUE;
}

/* Opens a smiley database this user cannot write (or whose directory is
 * read-only, so that SQLite cannot create its -shm file) for reading:
 * list and replay work, writes are refused (see begin_transaction). */
static gboolean
open_read_only (SmileySqliteStore *self, GError **error)
{
  sqlite3_int64 version = 0;
  int           rc;

  g_clear_pointer (&self->db, sqlite3_close);
  /* A smiley database is always in WAL mode. */
  rc = open_without_side_files (self->location, TRUE, &self->db);
  if (rc == SQLITE_OK)
    {
      sqlite3_extended_result_codes (self->db, 1);
      sqlite3_busy_timeout (self->db, BUSY_TIMEOUT_MS);
      query_int (self->db, "PRAGMA user_version", &version, &rc);
    }
  return finish_read_only_open (self, rc, version, ", but it is read-only for this user", error);
}

/* An empty file (or an SQLite database with nothing in it) is not made a
 * smiley database until something is written: `smiley list` on it must
 * leave it as it was. Until then it reads as a store with no runs, from
 * an empty schema in memory. */
static gboolean
open_empty (SmileySqliteStore *self, GError **error)
{
  g_autofree char *directory = g_path_get_dirname (self->location);
  int              rc
      = sqlite3_open_v2 (":memory:", &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);

  if (rc != SQLITE_OK)
    {
      store_error (self, rc, "cannot open the database", error);
      g_clear_pointer (&self->db, sqlite3_close);
      return FALSE;
    }
  sqlite3_extended_result_codes (self->db, 1);
  if (!migrate (self, error))
    {
      g_clear_pointer (&self->db, sqlite3_close);
      return FALSE;
    }
  self->empty_in_memory = TRUE;
  /* Recording into it must fail before the program starts, as for a
   * smiley database this user cannot write. */
  if (self->open_read_only || g_access (self->location, W_OK) != 0
      || g_access (directory, W_OK) != 0)
    self->read_only = TRUE;
  return TRUE;
}

static gboolean open_for_writing (SmileySqliteStore *self, gboolean is_new, GError **error);

/* Opens an existing smiley database for a reader (the "read-only"
 * property): nothing is created, migrated or written. The connection is
 * read-write all the same where this user may write, because only such a
 * connection removes the -wal and -shm files when it closes (a read-only
 * one leaves them behind), and it sees what a process recording
 * meanwhile commits. Where it cannot write, open_read_only() reads the
 * file as it is. */
static gboolean
open_for_reading (SmileySqliteStore *self, GError **error)
{
  sqlite3_int64 version = 0, n_tables = 0;
  int           rc;

  rc = sqlite3_open_v2 (self->location, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                        NULL);
  if (rc == SQLITE_OK)
    {
      sqlite3_extended_result_codes (self->db, 1);
      sqlite3_busy_timeout (self->db, BUSY_TIMEOUT_MS);
      /* Reading a table, not only the header, makes WAL set up its -shm. */
      if (query_int (self->db, "PRAGMA user_version", &version, &rc))
        query_int (self->db, "SELECT count(*) FROM sqlite_schema", &n_tables, &rc);
    }
  if ((rc != SQLITE_OK && is_permission_error (rc))
      || (rc == SQLITE_OK && sqlite3_db_readonly (self->db, "main") == 1))
    return open_read_only (self, error);
  return finish_read_only_open (self, rc, version, ": record a run into it first", error);
}

/* The first write into an empty file: from now on it is a smiley
 * database. Another process may have made it one meanwhile, or written
 * something else into it, so it is looked at again. */
static gboolean
initialise_empty (SmileySqliteStore *self, GError **error)
{
  gboolean is_new;

  for (guint i = 0; i < N_STMTS; i++)
    g_clear_pointer (&self->stmts[i], sqlite3_finalize);
  g_clear_pointer (&self->db, sqlite3_close);
  g_hash_table_remove_all (self->value_cache);
  self->empty_in_memory = FALSE;
  if (!check_existing_file (self->location, &is_new, error))
    return FALSE;
  return open_for_writing (self, is_new, error);
}

static gboolean
smiley_sqlite_store_initable_init (GInitable *initable, GCancellable *cancellable, GError **error)
{
  SmileySqliteStore *self = SMILEY_SQLITE_STORE (initable);
  gboolean           is_new;

  if (self->db != NULL)
    return TRUE;
  if (self->location == NULL || *self->location == '\0')
    {
      g_free (self->location);
      self->location = g_strdup ("smiley.db");
    }

  if (!check_existing_file (self->location, &is_new, error))
    return FALSE;
  if (is_new && (self->open_read_only || g_file_test (self->location, G_FILE_TEST_EXISTS)))
    return open_empty (self, error);
  if (self->open_read_only)
    return open_for_reading (self, error);
  return open_for_writing (self, is_new, error);
}

/* Opens the database for writing, creating it when @is_new; a database
 * this user cannot write is opened read-only instead. */
static gboolean
open_for_writing (SmileySqliteStore *self, gboolean is_new, GError **error)
{
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  int rc;

  if (is_new)
    flags |= SQLITE_OPEN_CREATE;
  rc = sqlite3_open_v2 (self->location, &self->db, flags, NULL);
  if (rc != SQLITE_OK && !is_new && is_permission_error (rc))
    return open_read_only (self, error);
  if (rc != SQLITE_OK)
    {
      g_autofree char *directory = g_path_get_dirname (self->location);

      if (is_new && !g_file_test (directory, G_FILE_TEST_IS_DIR))
        g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_IO,
                     "%s: cannot create the database: there is no directory %s", self->location,
                     directory);
      else if (is_new && g_access (directory, W_OK) != 0)
        g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_IO,
                     "%s: cannot create the database: the directory %s is not writable (%s)",
                     self->location, directory, g_strerror (errno));
      else
        store_error (self, rc,
                     is_new ? "cannot create the database" : "cannot open the database for writing",
                     error);
      g_clear_pointer (&self->db, sqlite3_close);
      return FALSE;
    }
  sqlite3_extended_result_codes (self->db, 1);
  sqlite3_busy_timeout (self->db, BUSY_TIMEOUT_MS);

  /* Deleted runs give their pages back to the file system (see
   * delete_run); this can only be chosen before anything is written. */
  if (is_new
      && !exec_sql (self, "PRAGMA auto_vacuum = INCREMENTAL", "cannot create the database", error))
    {
      g_clear_pointer (&self->db, sqlite3_close);
      return FALSE;
    }
  /* A file this user cannot write opens read-only all the same; a
   * read-only directory shows when WAL needs its -shm file. */
  if (!is_new)
    {
      sqlite3_int64 n_runs;

      rc = sqlite3_exec (self->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
      if (rc == SQLITE_OK)
        query_int (self->db, "SELECT count(*) FROM run", &n_runs, &rc);
      if (sqlite3_db_readonly (self->db, "main") == 1 || is_permission_error (rc))
        return open_read_only (self, error);
    }
  if (!exec_sql (self, "PRAGMA journal_mode = WAL", "cannot open the database for writing", error)
      || !exec_sql (self, "PRAGMA synchronous = NORMAL", "cannot open the database for writing",
                    error)
      || !migrate (self, error))
    {
      g_clear_pointer (&self->db, sqlite3_close);
      return FALSE;
    }
  return TRUE;
}

/* GObject */

static void
smiley_sqlite_store_dispose (GObject *object)
{
  SmileySqliteStore *self = SMILEY_SQLITE_STORE (object);

  if (self->db != NULL && self->write_failure == NULL)
    {
      g_autoptr (GError) error = NULL;

      /* Runs not ended stay RUNNING with the events pushed so far. */
      if (!commit (self, TRUE, &error))
        g_warning ("%s", error->message);
      else
        {
          g_hash_table_remove_all (self->writers);
          if (!sync_after_recording (self, &error))
            g_warning ("%s", error->message);
        }
    }
  g_hash_table_remove_all (self->writers);
  for (guint i = 0; i < N_STMTS; i++)
    g_clear_pointer (&self->stmts[i], sqlite3_finalize);
  g_clear_pointer (&self->db, sqlite3_close);

  G_OBJECT_CLASS (smiley_sqlite_store_parent_class)->dispose (object);
}

static void
smiley_sqlite_store_finalize (GObject *object)
{
  SmileySqliteStore *self = SMILEY_SQLITE_STORE (object);

  g_free (self->location);
  g_free (self->write_failure);
  g_hash_table_unref (self->writers);
  g_hash_table_unref (self->value_cache);

  G_OBJECT_CLASS (smiley_sqlite_store_parent_class)->finalize (object);
}

static void
smiley_sqlite_store_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SmileySqliteStore *self = SMILEY_SQLITE_STORE (object);

  switch (prop_id)
    {
    case PROP_LOCATION:
      g_value_set_string (value, self->location);
      break;
    case PROP_READ_ONLY:
      g_value_set_boolean (value, self->open_read_only);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
smiley_sqlite_store_set_property (GObject *object, guint prop_id, const GValue *value,
                                  GParamSpec *pspec)
{
  SmileySqliteStore *self = SMILEY_SQLITE_STORE (object);

  switch (prop_id)
    {
    case PROP_LOCATION:
      g_free (self->location);
      self->location = g_value_dup_string (value);
      break;
    case PROP_READ_ONLY:
      self->open_read_only = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
smiley_sqlite_store_class_init (SmileySqliteStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = smiley_sqlite_store_dispose;
  object_class->finalize = smiley_sqlite_store_finalize;
  object_class->get_property = smiley_sqlite_store_get_property;
  object_class->set_property = smiley_sqlite_store_set_property;

  /**
   * SmileySqliteStore:location:
   *
   * The database file; `smiley.db` in the working directory when unset.
   */
  properties[PROP_LOCATION]
      = g_param_spec_string ("location", NULL, NULL, "smiley.db",
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);

  /**
   * SmileySqliteStore:read-only:
   *
   * Whether the store is only read (`list`, `replay`, `server`…): the
   * database is opened read-only, and a missing or empty file reads as a
   * store with no runs and is neither created nor initialised. Writing
   * fails.
   */
  properties[PROP_READ_ONLY]
      = g_param_spec_boolean ("read-only", NULL, NULL, FALSE,
                              G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
smiley_sqlite_store_init (SmileySqliteStore *self)
{
  self->writers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, run_writer_free);
  self->value_cache = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
}

static void
smiley_sqlite_store_initable_iface_init (GInitableIface *iface)
{
  iface->init = smiley_sqlite_store_initable_init;
}

static void
smiley_sqlite_store_sink_iface_init (SmileySinkInterface *iface)
{
  iface->begin_run = smiley_sqlite_store_begin_run;
  iface->push = smiley_sqlite_store_push;
  iface->end_run = smiley_sqlite_store_end_run;
  iface->flush = smiley_sqlite_store_flush;
}

static void
smiley_sqlite_store_store_iface_init (SmileyStoreInterface *iface)
{
  iface->list_runs = smiley_sqlite_store_list_runs;
  iface->get_run = smiley_sqlite_store_get_run;
  iface->delete_run = smiley_sqlite_store_delete_run;
  iface->get_events = smiley_sqlite_store_get_events;
  iface->get_source = smiley_sqlite_store_get_source;
  iface->list_files = smiley_sqlite_store_list_files;
  iface->get_stats = smiley_sqlite_store_get_stats;
}
