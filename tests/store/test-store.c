/* test-store.c: one suite run against every store backend
 *
 * SPDX-License-Identifier: Apache-2.0
 *
 * Every case is added once per backend (/smiley/store/<backend>/<case>),
 * so the SQLite and file stores keep to the same SmileyStore contract.
 */
#include "smiley-build-config.h"

#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <sqlite3.h>

#include <smiley.h>

#include "smiley-sqlite-block.h"
#include "smiley-sqlite-store.h"
#ifdef HAVE_FILE_STORE
#include "smiley-file-store.h"
#endif

typedef struct
{
  const char *name;
  GType (*get_type) (void);
  /* The location inside the test's directory: a file or a directory. */
  const char *location;
} Backend;

static const Backend backends[] = {
  { "sqlite", smiley_sqlite_store_get_type, "smiley.db" },
#ifdef HAVE_FILE_STORE
  { "file", smiley_file_store_get_type, "runs" },
#endif
};

typedef struct
{
  const Backend *backend;
  char          *dir;
  char          *location;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->backend = data;
  f->dir = g_dir_make_tmp ("smiley-store-XXXXXX", NULL);
  g_assert_nonnull (f->dir);
  f->location = g_build_filename (f->dir, f->backend->location, NULL);
}

static void
remove_tree (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    {
      g_chmod (path, 0755);
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          remove_tree (child);
        }
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->location);
}

static SmileyStore *
open_store_at (const Backend *backend, const char *location, GError **error)
{
  return g_initable_new (backend->get_type (), NULL, error, "location", location, NULL);
}

static SmileyStore *
open_store (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  SmileyStore *store = open_store_at (f->backend, f->location, &error);

  g_assert_no_error (error);
  g_assert_true (SMILEY_IS_STORE (store));
  return store;
}

static gsize disk_usage (const char *path);

/* Building runs */

static SmileyRun *
new_run (const char *id, gint64 start_time)
{
  const char *argv[] = { "prog.py", "--flag", "ünï", NULL };
  SmileyRun  *run = smiley_run_new (id);

  smiley_run_set_description (run, "prog.py --flag ünï");
  smiley_run_set_cwd (run, "/home/user/project");
  smiley_run_set_argv (run, argv);
  smiley_run_set_pid (run, 4242);
  smiley_run_set_start_time (run, start_time);
  return run;
}

static void
add_event (SmileyBatch *batch, SmileyEventKind kind, guint32 thread, guint64 call_id,
           guint64 parent, guint32 depth, gint64 time_ns, guint32 file, guint32 line,
           guint32 function, const char *arg, guint32 n_locals, const SmileyLocal *locals)
{
  SmileyEvent event = {
    .kind = kind,
    .thread = thread,
    .call_id = call_id,
    .parent_call_id = parent,
    .depth = depth,
    .time_ns = time_ns,
    .file = file,
    .line = line,
    .function = function,
    .arg = arg,
    .n_locals = n_locals,
    .locals = locals,
  };

  smiley_batch_add (batch, &event);
}

static void
append_batch (SmileyBatch *all, SmileyBatch *batch)
{
  for (guint i = 0; i < smiley_batch_get_length (batch); i++)
    smiley_batch_add (all, smiley_batch_get_event (batch, i));
}

static void
assert_same_events (SmileyBatch *expected, SmileyBatch *got)
{
  g_assert_cmpuint (smiley_batch_get_length (got), ==, smiley_batch_get_length (expected));
  for (guint i = 0; i < smiley_batch_get_length (expected); i++)
    {
      const SmileyEvent *a = smiley_batch_get_event (expected, i);
      const SmileyEvent *b = smiley_batch_get_event (got, i);

      g_assert_cmpint (a->kind, ==, b->kind);
      g_assert_cmpuint (a->thread, ==, b->thread);
      g_assert_cmpuint (a->call_id, ==, b->call_id);
      g_assert_cmpuint (a->parent_call_id, ==, b->parent_call_id);
      g_assert_cmpuint (a->depth, ==, b->depth);
      g_assert_cmpint (a->time_ns, ==, b->time_ns);
      g_assert_cmpuint (a->file, ==, b->file);
      g_assert_cmpuint (a->line, ==, b->line);
      g_assert_cmpuint (a->function, ==, b->function);
      g_assert_cmpstr (a->arg, ==, b->arg);
      g_assert_cmpuint (a->n_locals, ==, b->n_locals);
      for (guint j = 0; j < a->n_locals; j++)
        {
          g_assert_cmpuint (a->locals[j].name, ==, b->locals[j].name);
          g_assert_cmpstr (a->locals[j].value, ==, b->locals[j].value);
        }
    }
  g_assert_true (smiley_batch_equal (expected, got));
}

static SmileyStats *
new_stats (void)
{
  SmileyStats *stats = smiley_stats_new ();
  guint main_fn = smiley_stats_add_entry (stats, "/home/user/project/prog.py", 1, "<module>");
  guint work = smiley_stats_add_entry (stats, "/home/user/project/prog.py", 10, "wörk");
  guint len = smiley_stats_add_entry (stats, "~", 0, "<built-in method builtins.len>");
  SmileyStatsCaller from_main = { main_fn, 3, 3, 300, 900 };
  SmileyStatsCaller from_work = { work, 5, 4, 50, 70 };
  SmileyStatsEntry *entry;

  entry = smiley_stats_get_entry (stats, main_fn);
  entry->ncalls = entry->primcalls = 1;
  entry->tottime_ns = 1000;
  entry->cumtime_ns = 2000;
  entry = smiley_stats_get_entry (stats, work);
  entry->ncalls = 5;
  entry->primcalls = 4;
  entry->tottime_ns = 300;
  entry->cumtime_ns = 900;
  smiley_stats_add_caller (stats, work, &from_main);
  smiley_stats_add_caller (stats, work, &from_work);
  entry = smiley_stats_get_entry (stats, len);
  entry->ncalls = entry->primcalls = 7;
  entry->tottime_ns = entry->cumtime_ns = 70;
  smiley_stats_add_caller (stats, len, &(SmileyStatsCaller){ work, 7, 7, 70, 70 });
  return stats;
}

static void
assert_same_stats (SmileyStats *a, SmileyStats *b)
{
  g_assert_true (smiley_stats_equal (a, b));
}

static SmileyBatch *
all_events (SmileyStore *store, SmileyRun *run, int thread)
{
  g_autoptr (GError) error = NULL;
  SmileyBatch *all = smiley_batch_new ();

  for (;;)
    {
      g_autoptr (SmileyBatch) page = smiley_store_get_events (
          store, run, thread, smiley_batch_get_length (all), 777, &error);
      g_assert_no_error (error);
      if (smiley_batch_get_length (page) == 0)
        break;
      append_batch (all, page);
    }
  return all;
}

/* /smiley/store/<backend>/roundtrip: every event kind, locals (a deleted
 * one, unicode), several threads with a rename, sources added over time,
 * statistics with callers, and the end data. */
static void
test_roundtrip (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SmileyRun) run = new_run ("0f3a2c1e-roundtrip", 1700000000000000);
  g_autoptr (SmileyBatch) expected = smiley_batch_new ();
  g_autoptr (SmileyBatch) first = smiley_batch_new ();
  g_autoptr (SmileyBatch) second = smiley_batch_new ();
  g_autoptr (SmileyStats) stats = new_stats ();
  g_autoptr (GBytes) prog_source = g_bytes_new_static ("def wörk(x):\n    return x * 2\n", 31);
  g_autoptr (GBytes) lib_source = g_bytes_new_static ("import os\n\x00binary\xff\n", 19);
  guint32          prog, lib, module, work, helper, x, y, snowman, long_name;
  g_autofree char *long_value = g_strnfill (5000, 'v');
  g_autofree char *long_name_text = g_strnfill (300, 'n');

  {
    g_autoptr (SmileyStore) store = open_store (f);

    prog = smiley_run_intern (run, "/home/user/project/prog.py");
    module = smiley_run_intern (run, "<module>");
    work = smiley_run_intern (run, "wörk");
    x = smiley_run_intern (run, "x");
    smiley_run_set_thread (run, 1, 4242, 4242, "MainThread");
    smiley_run_add_source (run, prog, prog_source);
    g_assert_true (smiley_sink_begin_run (SMILEY_SINK (store), run, &error));
    g_assert_no_error (error);

    {
      SmileyLocal call_locals[] = { { x, "21" } };
      SmileyLocal line_locals[] = { { x, "42" }, { x, NULL } };

      add_event (first, SMILEY_EVENT_CALL, 1, 1, 0, 0, 10, prog, 1, module, NULL, 0, NULL);
      add_event (first, SMILEY_EVENT_LINE, 1, 1, 0, 0, 20, prog, 3, module, NULL, 0, NULL);
      add_event (first, SMILEY_EVENT_CALL, 1, 2, 1, 1, 30, prog, 1, work, NULL, 1, call_locals);
      add_event (first, SMILEY_EVENT_LINE, 1, 2, 1, 1, 40, prog, 2, work, NULL, 2, line_locals);
      add_event (first, SMILEY_EVENT_C_CALL, 1, 2, 1, 1, 45, prog, 2, work, "len", 0, NULL);
      add_event (first, SMILEY_EVENT_C_RETURN, 1, 2, 1, 1, 46, prog, 2, work, "len", 0, NULL);
      add_event (first, SMILEY_EVENT_RETURN, 1, 2, 1, 1, 50, prog, 2, work, "42", 0, NULL);
    }
    g_assert_true (smiley_sink_push (SMILEY_SINK (store), run, first, &error));
    g_assert_no_error (error);
    append_batch (expected, first);

    /* Between pushes the run gains names, a thread, a rename, a source. */
    lib = smiley_run_intern (run, "/usr/lib/python3/lib.py");
    helper = smiley_run_intern (run, "gen☃");
    y = smiley_run_intern (run, "ÿ");
    snowman = smiley_run_intern (run, "☃");
    long_name = smiley_run_intern (run, long_name_text);
    smiley_run_add_source (run, lib, lib_source);
    smiley_run_set_thread (run, 2, 4242, 4300, "Thread-1");
    smiley_run_set_thread (run, 2, 4242, 4300, "worker ☃");
    smiley_run_set_thread (run, 1, 4242, 4242, "MainThread");

    {
      SmileyLocal gen_locals[]
          = { { y, "'ünïcödé ☃ \U0001F600'" }, { snowman, "" }, { long_name, long_value } };
      SmileyLocal repeat[] = { { y, long_value }, { snowman, "'ünïcödé ☃ \U0001F600'" } };

      add_event (second, SMILEY_EVENT_CALL, 2, 3, 0, 0, 100, lib, 5, helper, NULL, 3, gen_locals);
      add_event (second, SMILEY_EVENT_YIELD, 2, 3, 0, 0, 110, lib, 6, helper, "1", 0, NULL);
      add_event (second, SMILEY_EVENT_LINE, 1, 1, 0, 0, 105, prog, 4, module, NULL, 0, NULL);
      add_event (second, SMILEY_EVENT_RESUME, 2, 3, 0, 0, 120, lib, 6, helper, NULL, 2, repeat);
      add_event (second, SMILEY_EVENT_EXCEPTION, 2, 3, 0, 0, 130, lib, 7, helper,
                 "ValueError: bad ☃", 0, NULL);
      add_event (second, SMILEY_EVENT_C_EXCEPTION, 2, 3, 0, 0, 131, lib, 7, helper, "int", 0, NULL);
      add_event (second, SMILEY_EVENT_RETURN, 2, 3, 0, 0, 140, lib, 7, helper, "None", 0, NULL);
      add_event (second, SMILEY_EVENT_LINE, 1, 1, 0, 0, 150, prog, 5, module, NULL, 0, NULL);
      add_event (second, SMILEY_EVENT_RETURN, 1, 1, 0, 0, 160, prog, 5, module, "None", 0, NULL);
    }
    g_assert_true (smiley_sink_push (SMILEY_SINK (store), run, second, &error));
    g_assert_no_error (error);
    append_batch (expected, second);

    smiley_run_set_end_time (run, 1700000001000000);
    smiley_run_set_state (run, SMILEY_RUN_FINISHED);
    smiley_run_set_exit_status (run, 3);
    smiley_run_set_error (run, "SystemExit: 3");
    smiley_run_set_traceback (run, "Traceback (most recent call last):\n  ☃\nSystemExit: 3\n");
    smiley_run_set_events_emitted (run, 16);
    smiley_run_set_stats (run, stats);
    g_assert_true (smiley_sink_end_run (SMILEY_SINK (store), run, &error));
    g_assert_no_error (error);
    g_assert_true (smiley_sink_flush (SMILEY_SINK (store), &error));
    g_assert_no_error (error);
  }

  /* A new store object sees what the first one wrote. */
  {
    g_autoptr (SmileyStore) store = open_store (f);
    g_autoptr (SmileyRun) got = smiley_store_get_run (store, "0f3a2c1e-roundtrip", &error);
    g_autoptr (SmileyBatch) events = NULL;
    g_autoptr (SmileyStats) got_stats = NULL;
    g_autoptr (GBytes) content = NULL;
    g_auto (GStrv) files = NULL;
    const SmileyThread *thread;
    const char *const  *argv;

    g_assert_no_error (error);
    g_assert_cmpstr (smiley_run_get_id (got), ==, "0f3a2c1e-roundtrip");
    g_assert_cmpstr (smiley_run_get_description (got), ==, "prog.py --flag ünï");
    g_assert_cmpstr (smiley_run_get_cwd (got), ==, "/home/user/project");
    argv = smiley_run_get_argv (got);
    g_assert_nonnull (argv);
    g_assert_cmpstr (argv[0], ==, "prog.py");
    g_assert_cmpstr (argv[2], ==, "ünï");
    g_assert_null (argv[3]);
    g_assert_cmpuint (smiley_run_get_pid (got), ==, 4242);
    g_assert_cmpint (smiley_run_get_start_time (got), ==, 1700000000000000);
    g_assert_cmpint (smiley_run_get_end_time (got), ==, 1700000001000000);
    g_assert_cmpint (smiley_run_get_state (got), ==, SMILEY_RUN_FINISHED);
    g_assert_cmpint (smiley_run_get_exit_status (got), ==, 3);
    g_assert_cmpint (smiley_run_get_signal (got), ==, 0);
    g_assert_cmpstr (smiley_run_get_error (got), ==, "SystemExit: 3");
    g_assert_cmpstr (smiley_run_get_traceback (got), ==, smiley_run_get_traceback (run));
    g_assert_cmpuint (smiley_run_get_events_emitted (got), ==, 16);

    g_assert_cmpuint (smiley_run_get_n_strings (got), >=, smiley_run_get_n_strings (run));
    for (guint32 i = 0; i < smiley_run_get_n_strings (run); i++)
      g_assert_cmpstr (smiley_run_get_string (got, i), ==, smiley_run_get_string (run, i));

    g_assert_cmpuint (smiley_run_get_n_threads (got), ==, 2);
    thread = smiley_run_get_thread (got, 1);
    g_assert_cmpstr (thread->name, ==, "MainThread");
    g_assert_cmpuint (thread->native_id, ==, 4242);
    thread = smiley_run_get_thread (got, 2);
    g_assert_cmpstr (thread->name, ==, "worker ☃");
    g_assert_cmpuint (thread->pid, ==, 4242);
    g_assert_cmpuint (thread->native_id, ==, 4300);

    /* Sources come with the run, under their names, as they were. */
    g_assert_cmpuint (smiley_run_get_n_sources (got), ==, 2);
    {
      guint32 file;
      GBytes *bytes = smiley_run_get_source (got, 1, &file);

      g_assert_cmpstr (smiley_run_get_string (got, file), ==, "/usr/lib/python3/lib.py");
      g_assert_true (g_bytes_equal (bytes, lib_source));
    }
    files = smiley_store_list_files (store, got, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (g_strv_length (files), ==, 2);
    g_assert_cmpstr (files[0], ==, "/home/user/project/prog.py");
    g_assert_cmpstr (files[1], ==, "/usr/lib/python3/lib.py");
    content = smiley_store_get_source (store, got, "/home/user/project/prog.py", &error);
    g_assert_no_error (error);
    g_assert_true (g_bytes_equal (content, prog_source));
    g_clear_pointer (&content, g_bytes_unref);
    content = smiley_store_get_source (store, got, "/nowhere.py", &error);
    g_assert_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NOT_FOUND);
    g_assert_null (content);
    g_clear_error (&error);

    events = smiley_store_get_events (store, got, -1, 0, 1000, &error);
    g_assert_no_error (error);
    assert_same_events (expected, events);

    got_stats = smiley_store_get_stats (store, got, &error);
    g_assert_no_error (error);
    assert_same_stats (stats, got_stats);
  }
}

static void
store_whole_run (SmileyStore *store, SmileyRun *run, guint n_events)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SmileyBatch) batch = smiley_batch_new ();
  guint32 file = smiley_run_intern (run, "/tmp/x.py");
  guint32 function = smiley_run_intern (run, "f");

  smiley_run_set_thread (run, 1, 1, 1, "MainThread");
  g_assert_true (smiley_sink_begin_run (SMILEY_SINK (store), run, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < n_events; i++)
    add_event (batch, i == 0 ? SMILEY_EVENT_CALL : SMILEY_EVENT_LINE, 1, 1, 0, 0, i, file, i + 1,
               function, NULL, 0, NULL);
  g_assert_true (smiley_sink_push (SMILEY_SINK (store), run, batch, &error));
  g_assert_no_error (error);
  smiley_run_set_state (run, SMILEY_RUN_FINISHED);
  smiley_run_set_exit_status (run, 0);
  smiley_run_set_end_time (run, smiley_run_get_start_time (run) + 1000);
  g_assert_true (smiley_sink_end_run (SMILEY_SINK (store), run, &error));
  g_assert_no_error (error);
}

/* /smiley/store/<backend>/list: newest first, metadata only. */
static void
test_list (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SmileyStore) store = open_store (f);
  g_autoptr (GPtrArray) runs = NULL;
  const char *ids[] = { "run-middle", "run-newest", "run-oldest" };
  gint64      starts[] = { 2000, 3000, 1000 };

  runs = smiley_store_list_runs (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (runs->len, ==, 0);
  g_clear_pointer (&runs, g_ptr_array_unref);

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      g_autoptr (SmileyRun) run = new_run (ids[i], starts[i]);
      store_whole_run (store, run, 3);
    }

  {
    g_autoptr (SmileyStore) reopened = open_store (f);

    runs = smiley_store_list_runs (reopened, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (runs->len, ==, 3);
    g_assert_cmpstr (smiley_run_get_id (runs->pdata[0]), ==, "run-newest");
    g_assert_cmpstr (smiley_run_get_id (runs->pdata[1]), ==, "run-middle");
    g_assert_cmpstr (smiley_run_get_id (runs->pdata[2]), ==, "run-oldest");
    g_assert_cmpint (smiley_run_get_start_time (runs->pdata[2]), ==, 1000);
    g_assert_cmpint (smiley_run_get_end_time (runs->pdata[2]), ==, 2000);
    g_assert_cmpint (smiley_run_get_state (runs->pdata[0]), ==, SMILEY_RUN_FINISHED);
    g_assert_cmpstr (smiley_run_get_description (runs->pdata[0]), ==, "prog.py --flag ünï");
  }
}

/* /smiley/store/<backend>/find: unknown ids, prefixes, ambiguity. */
static void
test_find (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SmileyStore) store = open_store (f);
  g_autoptr (SmileyRun) a = new_run ("abc123-0000", 1);
  g_autoptr (SmileyRun) b = new_run ("abc456-0000", 2);
  g_autoptr (SmileyRun) c = new_run ("def789-0000", 3);
  SmileyRun *found;

  store_whole_run (store, a, 2);
  store_whole_run (store, b, 2);
  store_whole_run (store, c, 2);

  found = smiley_store_get_run (store, "nope", &error);
  g_assert_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NOT_FOUND);
  g_assert_null (found);
  g_assert_nonnull (strstr (error->message, "nope"));
  g_clear_error (&error);

  /* get_run wants a full id. */
  found = smiley_store_get_run (store, "abc123", &error);
  g_assert_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  found = smiley_store_find_run (store, "abc1", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (smiley_run_get_id (found), ==, "abc123-0000");
  g_assert_cmpuint (smiley_run_get_n_threads (found), ==, 1);
  g_object_unref (found);

  found = smiley_store_find_run (store, "def789-0000", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (smiley_run_get_id (found), ==, "def789-0000");
  g_object_unref (found);

  found = smiley_store_find_run (store, "abc", &error);
  g_assert_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_AMBIGUOUS);
  g_assert_null (found);
  g_assert_nonnull (strstr (error->message, "abc123-0000"));
  g_assert_nonnull (strstr (error->message, "abc456-0000"));
  g_clear_error (&error);

  found = smiley_store_find_run (store, "zzz", &error);
  g_assert_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NOT_FOUND);
  g_assert_null (found);
  g_clear_error (&error);
}

/* /smiley/store/<backend>/delete: the run goes, the others and shared
 * sources stay; an unknown run is NOT_FOUND. */
static void
test_delete (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SmileyStore) store = open_store (f);
  g_autoptr (SmileyRun) a = new_run ("run-a", 1);
  g_autoptr (SmileyRun) b = new_run ("run-b", 2);
  g_autoptr (GBytes) shared = g_bytes_new_static ("print('shared')\n", 16);
  g_autoptr (GPtrArray) runs = NULL;
  g_autoptr (SmileyRun) got = NULL;
  g_autoptr (GBytes) content = NULL;
  g_autoptr (SmileyBatch) events = NULL;

  smiley_run_add_source (a, smiley_run_intern (a, "/tmp/shared.py"), shared);
  smiley_run_add_source (b, smiley_run_intern (b, "/tmp/shared.py"), shared);
  store_whole_run (store, a, 5);
  store_whole_run (store, b, 7);

  g_assert_true (smiley_store_delete_run (store, "run-a", &error));
  g_assert_no_error (error);

  got = smiley_store_get_run (store, "run-a", &error);
  g_assert_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NOT_FOUND);
  g_assert_null (got);
  g_clear_error (&error);

  g_assert_false (smiley_store_delete_run (store, "run-a", &error));
  g_assert_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  runs = smiley_store_list_runs (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (runs->len, ==, 1);
  g_assert_cmpstr (smiley_run_get_id (runs->pdata[0]), ==, "run-b");

  got = smiley_store_get_run (store, "run-b", &error);
  g_assert_no_error (error);
  content = smiley_store_get_source (store, got, "/tmp/shared.py", &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (content, shared));
  events = smiley_store_get_events (store, got, -1, 0, 100, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (smiley_batch_get_length (events), ==, 7);
}

/* /smiley/store/<backend>/delete-frees-space: deleting a large run gives
 * its space back. */
static void
test_delete_frees_space (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  gsize before, after;

  {
    g_autoptr (SmileyStore) store = open_store (f);
    g_autoptr (SmileyRun) small = new_run ("run-small", 1);
    g_autoptr (SmileyRun) large = new_run ("run-large", 2);

    store_whole_run (store, small, 100);
    store_whole_run (store, large, 300000);
  }
  before = disk_usage (f->location);
  {
    g_autoptr (SmileyStore) store = open_store (f);

    g_assert_true (smiley_store_delete_run (store, "run-large", &error));
    g_assert_no_error (error);
  }
  after = disk_usage (f->location);
  g_test_message ("%s store: %" G_GSIZE_FORMAT " bytes before deleting, %" G_GSIZE_FORMAT " after",
                  f->backend->name, before, after);
  g_assert_cmpuint (after, <, before / 4);
}

/* /smiley/store/<backend>/paging: three interleaved threads, pushed in
 * uneven batches, read back at offsets around block edges. */
static void
test_paging (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SmileyStore) store = open_store (f);
  g_autoptr (SmileyRun) run = new_run ("run-paging", 1);
  g_autoptr (SmileyBatch) expected = smiley_batch_new ();
  SmileyBatch *per_thread[4] = {
    NULL,
  };
  guint32       file = smiley_run_intern (run, "/tmp/p.py");
  guint32       function = smiley_run_intern (run, "loop");
  guint32       name = smiley_run_intern (run, "i");
  const guint   n_events = 5000;
  const guint64 offsets[] = { 0, 1, 2, 999, 1023, 1024, 1025, 1500, 1666, 2047, 2048, 3333, 4999 };
  const guint   limits[] = { 1, 100, 1100, 6000 };
  guint         i = 0;

  for (guint32 t = 1; t <= 3; t++)
    {
      g_autofree char *thread_name = g_strdup_printf ("T%u", t);

      smiley_run_set_thread (run, t, 1, 100 + t, thread_name);
      per_thread[t] = smiley_batch_new ();
    }
  g_assert_true (smiley_sink_begin_run (SMILEY_SINK (store), run, &error));
  g_assert_no_error (error);

  while (i < n_events)
    {
      g_autoptr (SmileyBatch) batch = smiley_batch_new ();
      guint size = 1 + g_test_rand_int_range (0, 700);

      for (guint j = 0; j < size && i < n_events; j++, i++)
        {
          /* Thread 1 runs most; thread 3 only now and then. */
          guint32          thread = i % 7 == 0 ? 3 : (i % 3 == 0 ? 2 : 1);
          g_autofree char *value = g_strdup_printf ("%u", i / 4);
          SmileyLocal      local = { name, value };

          add_event (batch, SMILEY_EVENT_LINE, thread, thread, 0, 0, i * 10, file, i % 50, function,
                     NULL, 1, &local);
          add_event (per_thread[thread], SMILEY_EVENT_LINE, thread, thread, 0, 0, i * 10, file,
                     i % 50, function, NULL, 1, &local);
        }
      g_assert_true (smiley_sink_push (SMILEY_SINK (store), run, batch, &error));
      g_assert_no_error (error);
      append_batch (expected, batch);
    }
  /* Reading while the run is being recorded sees everything pushed. */
  {
    g_autoptr (SmileyBatch) page
        = smiley_store_get_events (store, run, -1, n_events - 1, 10, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (smiley_batch_get_length (page), ==, 1);
  }
  g_assert_true (smiley_sink_end_run (SMILEY_SINK (store), run, &error));
  g_assert_no_error (error);

  {
    g_autoptr (SmileyRun) got = smiley_store_get_run (store, "run-paging", &error);

    g_assert_no_error (error);
    for (int thread = -1; thread <= 3; thread++)
      {
        SmileyBatch *source;
        guint        total;

        if (thread == 0)
          continue;
        source = thread < 0 ? expected : per_thread[thread];
        total = smiley_batch_get_length (source);
        for (guint o = 0; o < G_N_ELEMENTS (offsets); o++)
          for (guint l = 0; l < G_N_ELEMENTS (limits); l++)
            {
              g_autoptr (SmileyBatch) page = NULL;
              g_autoptr (SmileyBatch) want = smiley_batch_new ();

              for (guint64 k = offsets[o]; k < total && k < offsets[o] + limits[l]; k++)
                smiley_batch_add (want, smiley_batch_get_event (source, k));
              page = smiley_store_get_events (store, got, thread, offsets[o], limits[l], &error);
              g_assert_no_error (error);
              assert_same_events (want, page);
            }

        /* Past the end: empty, not an error. */
        {
          g_autoptr (SmileyBatch) page
              = smiley_store_get_events (store, got, thread, total, 10, &error);

          g_assert_no_error (error);
          g_assert_cmpuint (smiley_batch_get_length (page), ==, 0);
        }
      }

    /* Pages of several threads read in turn, as a viewer with a pane per
     * thread reads them. */
    {
      SmileyBatch *read[5];
      gboolean     more = TRUE;

      for (guint t = 0; t < 5; t++)
        read[t] = smiley_batch_new ();
      while (more)
        {
          more = FALSE;
          for (int t = -1; t <= 3; t++)
            {
              g_autoptr (SmileyBatch) page = NULL;

              if (t == 0)
                continue;
              page = smiley_store_get_events (store, got, t, smiley_batch_get_length (read[t + 1]),
                                              250, &error);
              g_assert_no_error (error);
              append_batch (read[t + 1], page);
              more |= smiley_batch_get_length (page) > 0;
            }
        }
      assert_same_events (expected, read[0]);
      for (guint t = 1; t <= 3; t++)
        assert_same_events (per_thread[t], read[t + 1]);
      for (guint t = 0; t < 5; t++)
        smiley_batch_unref (read[t]);
    }

    /* An unknown thread has no events. */
    {
      g_autoptr (SmileyBatch) page = smiley_store_get_events (store, got, 9, 0, 10, &error);

      g_assert_no_error (error);
      g_assert_cmpuint (smiley_batch_get_length (page), ==, 0);
    }
  }

  for (guint32 t = 1; t <= 3; t++)
    smiley_batch_unref (per_thread[t]);
}

static gsize
disk_usage (const char *path)
{
  GStatBuf st;
  g_autoptr (GDir) dir = NULL;
  const char *name;
  gsize       total = 0;

  if (g_stat (path, &st) != 0)
    return 0;
  if (!S_ISDIR (st.st_mode))
    return st.st_size;
  dir = g_dir_open (path, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      total += disk_usage (child);
    }
  return total;
}

/* A batch shaped like a CPU-bound loop: the line events of
 *
 *   def work(n):
 *       total = 0
 *       for i in range(n):
 *           total += i % 7
 *       return total
 *
 * with few distinct values (i counts up, total cycles), and a call and
 * return now and then. */
static void
fill_cpu_batch (SmileyBatch *batch, guint64 *seq, guint n, guint32 file, guint32 function,
                guint32 name_i, guint32 name_total, guint64 *line_events)
{
  char i_text[32], total_text[32];

  for (guint k = 0; k < n; k++, (*seq)++)
    {
      guint64 s = *seq;
      guint64 call = 1 + s / 3000;
      guint64 step = s % 3000;
      gint64  time_ns = (gint64)s * 180;

      if (step == 0)
        add_event (batch, SMILEY_EVENT_CALL, 1, call, 0, 1, time_ns, file, 1, function, NULL, 0,
                   NULL);
      else if (step == 2999)
        add_event (batch, SMILEY_EVENT_RETURN, 1, call, 0, 1, time_ns, file, 5, function, "3", 0,
                   NULL);
      else
        {
          guint64     iteration = step / 2;
          SmileyLocal locals[1];

          if (step % 2 == 1)
            {
              g_snprintf (i_text, sizeof i_text, "%" G_GUINT64_FORMAT, iteration % 100);
              locals[0] = (SmileyLocal){ name_i, i_text };
              add_event (batch, SMILEY_EVENT_LINE, 1, call, 0, 1, time_ns, file, 3, function, NULL,
                         1, locals);
            }
          else
            {
              g_snprintf (total_text, sizeof total_text, "%" G_GUINT64_FORMAT,
                          (iteration * 3) % 50);
              locals[0] = (SmileyLocal){ name_total, total_text };
              add_event (batch, SMILEY_EVENT_LINE, 1, call, 0, 1, time_ns, file, 4, function, NULL,
                         1, locals);
            }
          (*line_events)++;
        }
    }
}

/* /smiley/store/<backend>/large: 1.2 million events round-trip their
 * count and last event, and the size per line event is reported. */
static void
test_large (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SmileyRun) run = new_run ("run-large", 1);
  g_autoptr (SmileyBatch) last = smiley_batch_new ();
  const guint64 n_events = 1200000;
  guint64       seq = 0, line_events = 0, scratch = 0;
  guint32       file = smiley_run_intern (run, "/tmp/cpu.py");
  guint32       function = smiley_run_intern (run, "work");
  guint32       name_i = smiley_run_intern (run, "i");
  guint32       name_total = smiley_run_intern (run, "total");
  gint64        started, pushed;
  gsize         size;

  smiley_run_set_thread (run, 1, 1, 1, "MainThread");
  started = g_get_monotonic_time ();
  {
    g_autoptr (SmileyStore) store = open_store (f);
    g_autoptr (SmileyBatch) batch = smiley_batch_new ();

    g_assert_true (smiley_sink_begin_run (SMILEY_SINK (store), run, &error));
    g_assert_no_error (error);
    while (seq < n_events)
      {
        smiley_batch_clear (batch);
        fill_cpu_batch (batch, &seq, MIN (4096, n_events - seq), file, function, name_i, name_total,
                        &line_events);
        g_assert_true (smiley_sink_push (SMILEY_SINK (store), run, batch, &error));
        g_assert_no_error (error);
      }
    smiley_run_set_state (run, SMILEY_RUN_FINISHED);
    smiley_run_set_exit_status (run, 0);
    smiley_run_set_events_emitted (run, n_events);
    g_assert_true (smiley_sink_end_run (SMILEY_SINK (store), run, &error));
    g_assert_no_error (error);
  }
  pushed = g_get_monotonic_time ();

  size = disk_usage (f->location);
  g_test_message ("%s store: %" G_GUINT64_FORMAT " events (%" G_GUINT64_FORMAT " line events) "
                  "written in %.2f s (%.0f ns per event), %" G_GSIZE_FORMAT " bytes on disk, "
                  "%.2f bytes per line event",
                  f->backend->name, n_events, line_events, (pushed - started) / 1e6,
                  (pushed - started) * 1e3 / n_events, size, (double)size / line_events);
  /* The figure docs/store-schema.md quotes. */
  g_print ("# bytes per line event (%s store): %.2f\n", f->backend->name,
           (double)size / line_events);
  g_assert_cmpfloat ((double)size / line_events, <, 40.0);

  /* The last event, regenerated. */
  seq = n_events - 1;
  fill_cpu_batch (last, &seq, 1, file, function, name_i, name_total, &scratch);

  {
    g_autoptr (SmileyStore) store = open_store (f);
    g_autoptr (SmileyRun) got = smiley_store_get_run (store, "run-large", &error);
    g_autoptr (SmileyBatch) tail = NULL;
    g_autoptr (SmileyBatch) beyond = NULL;
    g_autoptr (SmileyBatch) thread_tail = NULL;
    gint64 read_start = g_get_monotonic_time ();

    g_assert_no_error (error);
    g_assert_cmpuint (smiley_run_get_events_emitted (got), ==, n_events);
    tail = smiley_store_get_events (store, got, -1, n_events - 1, 100, &error);
    g_assert_no_error (error);
    assert_same_events (last, tail);
    thread_tail = smiley_store_get_events (store, got, 1, n_events - 1, 100, &error);
    g_assert_no_error (error);
    assert_same_events (last, thread_tail);
    beyond = smiley_store_get_events (store, got, -1, n_events, 100, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (smiley_batch_get_length (beyond), ==, 0);
    g_test_message ("reading the last page took %.1f ms",
                    (g_get_monotonic_time () - read_start) / 1e3);
  }
}

/* /smiley/store/<backend>/unfinished: a writer that goes away without
 * end_run leaves a run that reads back as unfinished, with its events. */
static void
test_unfinished (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SmileyRun) run = new_run ("run-killed", 5);
  g_autoptr (SmileyBatch) expected = smiley_batch_new ();
  guint32 file = smiley_run_intern (run, "/tmp/k.py");
  guint32 function = smiley_run_intern (run, "k");

  smiley_run_set_thread (run, 1, 1, 1, "MainThread");
  {
    g_autoptr (SmileyStore) store = open_store (f);

    g_assert_true (smiley_sink_begin_run (SMILEY_SINK (store), run, &error));
    g_assert_no_error (error);
    for (guint b = 0; b < 3; b++)
      {
        g_autoptr (SmileyBatch) batch = smiley_batch_new ();

        for (guint i = 0; i < 500; i++)
          add_event (batch, SMILEY_EVENT_LINE, 1, 1, 0, 0, b * 1000 + i, file, i, function, NULL, 0,
                     NULL);
        g_assert_true (smiley_sink_push (SMILEY_SINK (store), run, batch, &error));
        g_assert_no_error (error);
        append_batch (expected, batch);
      }
    /* Dropped here without end_run. */
  }

  {
    g_autoptr (SmileyStore) store = open_store (f);
    g_autoptr (SmileyRun) got = smiley_store_get_run (store, "run-killed", &error);
    g_autoptr (SmileyBatch) events = NULL;
    g_autoptr (SmileyStats) stats = NULL;

    g_assert_no_error (error);
    g_assert_cmpint (smiley_run_get_state (got), !=, SMILEY_RUN_FINISHED);
    events = all_events (store, got, -1);
    assert_same_events (expected, events);
    stats = smiley_store_get_stats (store, got, &error);
    g_assert_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NO_STATS);
    g_assert_null (stats);
  }
}

static void
push_lines (SmileyStore *store, SmileyRun *run, guint first, guint n)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SmileyBatch) batch = smiley_batch_new ();
  guint32 file = smiley_run_intern (run, "/tmp/c.py");
  guint32 function = smiley_run_intern (run, "c");

  for (guint i = first; i < first + n; i++)
    add_event (batch, SMILEY_EVENT_LINE, 1, 1, 0, 0, i, file, i + 1, function, NULL, 0, NULL);
  g_assert_true (smiley_sink_push (SMILEY_SINK (store), run, batch, &error));
  g_assert_no_error (error);
}

/* /smiley/store/<backend>/concurrent: a second store object (another
 * connection, as another process would have) opens and reads while the
 * first records, and sees what was flushed. */
static void
test_concurrent (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SmileyRun) run = new_run ("run-live", 1);
  g_autoptr (SmileyStore) writer = open_store (f);
  g_autoptr (SmileyStore) reader = NULL;
  g_autoptr (GPtrArray) runs = NULL;
  g_autoptr (SmileyBatch) events = NULL;
  g_autoptr (SmileyRun) got = NULL;
  gint64 start;

  smiley_run_set_thread (run, 1, 1, 1, "MainThread");
  g_assert_true (smiley_sink_begin_run (SMILEY_SINK (writer), run, &error));
  g_assert_no_error (error);
  push_lines (writer, run, 0, 3000);
  g_assert_true (smiley_sink_flush (SMILEY_SINK (writer), &error));
  g_assert_no_error (error);
  /* Not flushed: the reader must still open without waiting. */
  push_lines (writer, run, 3000, 10);

  start = g_get_monotonic_time ();
  reader = open_store (f);
  g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC);
  runs = smiley_store_list_runs (reader, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (runs->len, ==, 1);
  g_assert_cmpint (smiley_run_get_state (runs->pdata[0]), ==, SMILEY_RUN_RUNNING);
  got = smiley_store_get_run (reader, "run-live", &error);
  g_assert_no_error (error);
  events = all_events (reader, got, -1);
  g_assert_cmpuint (smiley_batch_get_length (events), >=, 3000);
  g_assert_cmpuint (smiley_batch_get_length (events), <=, 3010);
  g_clear_pointer (&events, smiley_batch_unref);

  /* A second writer records another run meanwhile. */
  {
    g_autoptr (SmileyRun) second = new_run ("run-second", 2);

    smiley_run_set_thread (second, 1, 2, 2, "MainThread");
    start = g_get_monotonic_time ();
    g_assert_true (smiley_sink_begin_run (SMILEY_SINK (reader), second, &error));
    g_assert_no_error (error);
    push_lines (reader, second, 0, 2500);
    push_lines (writer, run, 3010, 1990);
    push_lines (reader, second, 2500, 10);
    smiley_run_set_state (second, SMILEY_RUN_FINISHED);
    g_assert_true (smiley_sink_end_run (SMILEY_SINK (reader), second, &error));
    g_assert_no_error (error);
    g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC);
  }
  g_assert_true (smiley_sink_flush (SMILEY_SINK (writer), &error));
  g_assert_no_error (error);
  g_clear_object (&got);
  got = smiley_store_get_run (reader, "run-live", &error);
  g_assert_no_error (error);
  events = all_events (reader, got, -1);
  g_assert_cmpuint (smiley_batch_get_length (events), ==, 5000);
  g_assert_cmpuint (smiley_batch_get_event (events, 4999)->line, ==, 5000);

  smiley_run_set_state (run, SMILEY_RUN_FINISHED);
  g_assert_true (smiley_sink_end_run (SMILEY_SINK (writer), run, &error));
  g_assert_no_error (error);
  g_clear_pointer (&runs, g_ptr_array_unref);
  runs = smiley_store_list_runs (reader, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (runs->len, ==, 2);
  g_assert_cmpstr (smiley_run_get_id (runs->pdata[0]), ==, "run-second");
  g_assert_cmpint (smiley_run_get_state (runs->pdata[0]), ==, SMILEY_RUN_FINISHED);
  g_assert_cmpint (smiley_run_get_state (runs->pdata[1]), ==, SMILEY_RUN_FINISHED);
  g_clear_object (&got);
  got = smiley_store_get_run (writer, "run-second", &error);
  g_assert_no_error (error);
  g_clear_pointer (&events, smiley_batch_unref);
  events = all_events (writer, got, -1);
  g_assert_cmpuint (smiley_batch_get_length (events), ==, 2510);
}

/* A run id that is already stored cannot be recorded again. */
static void
test_duplicate (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SmileyStore) store = open_store (f);
  g_autoptr (SmileyRun) run = new_run ("run-twice", 1);
  g_autoptr (SmileyRun) again = new_run ("run-twice", 2);

  store_whole_run (store, run, 4);
  g_assert_false (smiley_sink_begin_run (SMILEY_SINK (store), again, &error));
  g_assert_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "run-twice"));
  g_clear_error (&error);

  /* The refusal holds no lock: another writer gets on at once. */
  {
    g_autoptr (SmileyStore) other = open_store (f);
    g_autoptr (SmileyRun) third = new_run ("run-other", 3);
    gint64 start = g_get_monotonic_time ();

    store_whole_run (other, third, 2);
    g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC);
  }

  /* The store still works, and the first run is intact. */
  {
    g_autoptr (SmileyRun) got = smiley_store_get_run (store, "run-twice", &error);
    g_autoptr (SmileyBatch) events = NULL;

    g_assert_no_error (error);
    g_assert_cmpint (smiley_run_get_start_time (got), ==, 1);
    events = smiley_store_get_events (store, got, -1, 0, 100, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (smiley_batch_get_length (events), ==, 4);
  }
}

/* Bad locations */

static char *
file_sha256 (const char *path)
{
  g_autofree char *contents = NULL;
  gsize            length;

  if (!g_file_get_contents (path, &contents, &length, NULL))
    return g_strdup ("(unreadable)");
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guint8 *)contents, length);
}

/* Opens @path as a store, expects @code, and checks that the file was not
 * changed, and that no WAL/journal file was left beside it. */
static void
assert_refused (const Backend *backend, const char *path, int code, const char *words)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *before = file_sha256 (path);
  g_autofree char *after = NULL;
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *journal = g_strconcat (path, "-journal", NULL);
  g_autoptr (SmileyStore) store = open_store_at (backend, path, &error);

  g_assert_null (store);
  g_assert_error (error, SMILEY_STORE_ERROR, code);
  g_test_message ("%s: %s", path, error->message);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_null (strchr (error->message, '\n'));
  if (words != NULL)
    g_assert_nonnull (strstr (error->message, words));
  after = file_sha256 (path);
  g_assert_cmpstr (before, ==, after);
  g_assert_false (g_file_test (wal, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (journal, G_FILE_TEST_EXISTS));
}

static void
write_file (const char *path, const void *data, gsize length)
{
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, data, length, &error);
  g_assert_no_error (error);
}

static void
exec_sqlite (const char *path, const char *sql)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);
}

static void
make_real_store (Fixture *f, const char *path, guint n_runs)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SmileyStore) store = open_store_at (f->backend, path, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < n_runs; i++)
    {
      g_autofree char *id = g_strdup_printf ("run-%u", i);
      g_autoptr (SmileyRun) run = new_run (id, i);
      store_whole_run (store, run, 3000);
    }
}

/* /smiley/store/sqlite/bad-files */
static void
test_sqlite_bad_files (Fixture *f, gconstpointer data)
{
  static const guint8 png[] = {
    0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I',  'H',  'D',  'R',  0,
    0,    0,   1,   0,   0,    0,    1,    8,    6, 0, 0, 0,  0x1f, 0x15, 0xc4, 0x89,
  };
  g_autofree char *text = g_build_filename (f->dir, "notes.txt", NULL);
  g_autofree char *image = g_build_filename (f->dir, "image.png", NULL);
  g_autofree char *random = g_build_filename (f->dir, "random.bin", NULL);
  g_autofree char *other = g_build_filename (f->dir, "other.db", NULL);
  g_autofree char *foreign = g_build_filename (f->dir, "foreign.db", NULL);
  g_autofree char *newer = g_build_filename (f->dir, "newer.db", NULL);
  g_autofree char *corrupt = g_build_filename (f->dir, "corrupt.db", NULL);
  g_autofree char *truncated = g_build_filename (f->dir, "truncated.db", NULL);
  g_autofree char *empty = g_build_filename (f->dir, "empty.db", NULL);
  g_autofree char *directory = g_build_filename (f->dir, "a-directory", NULL);
  guint8           noise[8192];

  write_file (text, "just some notes\nnot a database\n", 32);
  assert_refused (f->backend, text, SMILEY_STORE_ERROR_NOT_A_STORE, "not an SQLite file");

  write_file (image, png, sizeof png);
  assert_refused (f->backend, image, SMILEY_STORE_ERROR_NOT_A_STORE, "not an SQLite file");

  for (guint i = 0; i < sizeof noise; i++)
    noise[i] = g_test_rand_int_range (0, 256);
  write_file (random, noise, sizeof noise);
  assert_refused (f->backend, random, SMILEY_STORE_ERROR_NOT_A_STORE, NULL);

  g_mkdir (directory, 0755);
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (SmileyStore) store = open_store_at (f->backend, directory, &error);

    g_assert_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NOT_A_STORE);
    g_assert_null (store);
  }

  /* Another program's database, with and without an application id. */
  exec_sqlite (other, "CREATE TABLE bookmarks (url TEXT); INSERT INTO bookmarks VALUES ('x');");
  assert_refused (f->backend, other, SMILEY_STORE_ERROR_NOT_A_STORE, "no 'run' table");
  exec_sqlite (foreign,
               "PRAGMA application_id = 1234; PRAGMA user_version = 9; CREATE TABLE run (x);");
  assert_refused (f->backend, foreign, SMILEY_STORE_ERROR_NOT_A_STORE, "another program");

  /* A smiley database from the future. */
  make_real_store (f, newer, 1);
  exec_sqlite (newer, "PRAGMA user_version = 7");
  assert_refused (f->backend, newer, SMILEY_STORE_ERROR_VERSION,
                  "schema 7, this one reads up to 1");

  /* A page in the middle overwritten. */
  make_real_store (f, corrupt, 40);
  {
    g_autofree char *contents = NULL;
    gsize            length;
    gsize            page;

    exec_sqlite (corrupt, "PRAGMA wal_checkpoint(TRUNCATE)");
    g_assert_true (g_file_get_contents (corrupt, &contents, &length, NULL));
    g_assert_cmpuint (length, >, 16 * 4096);
    page = (length / 4096 / 2) * 4096;
    for (gsize i = 0; i < 4096; i++)
      contents[page + i] = (char)(0xa5 ^ (i * 7));
    write_file (corrupt, contents, length);
  }
  assert_refused (f->backend, corrupt, SMILEY_STORE_ERROR_CORRUPT, "damaged");

  /* Cut short, as by a copy that did not finish. */
  make_real_store (f, truncated, 20);
  exec_sqlite (truncated, "PRAGMA wal_checkpoint(TRUNCATE)");
  {
    g_autofree char *contents = NULL;
    gsize            length;

    g_assert_true (g_file_get_contents (truncated, &contents, &length, NULL));
    write_file (truncated, contents, length / 2);
  }
  assert_refused (f->backend, truncated, SMILEY_STORE_ERROR_CORRUPT, "damaged");

  /* An empty file becomes a store, as a missing one would. */
  write_file (empty, "", 0);
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (SmileyStore) store = open_store_at (f->backend, empty, &error);
    g_autoptr (GPtrArray) runs = NULL;

    g_assert_no_error (error);
    runs = smiley_store_list_runs (store, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (runs->len, ==, 0);
  }
}

/* /smiley/store/sqlite/damaged-block: a byte changed inside an event
 * block (which SQLite's own checks cannot see) is found, not decoded into
 * wrong events. */
static void
test_sqlite_damaged_block (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SmileyStore) store = NULL;
  g_autoptr (SmileyRun) got = NULL;
  g_autoptr (SmileyBatch) events = NULL;

  make_real_store (f, f->location, 1);
  /* Flip one byte in the middle of the second block. */
  exec_sqlite (f->location,
               "UPDATE event_block SET data = substr (data, 1, 99) || "
               "  CAST (char ((unicode (substr (data, 100, 1)) + 1) % 128) AS BLOB) || "
               "  substr (data, 101) "
               "WHERE key = (SELECT key FROM event_block ORDER BY key LIMIT 1 OFFSET 1)");

  store = open_store (f);
  got = smiley_store_get_run (store, "run-0", &error);
  g_assert_no_error (error);
  /* The first block is intact. */
  events = smiley_store_get_events (store, got, -1, 0, 100, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (smiley_batch_get_length (events), ==, 100);
  g_clear_pointer (&events, smiley_batch_unref);

  events = smiley_store_get_events (store, got, -1, 2000, 100, &error);
  g_assert_null (events);
  g_assert_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_CORRUPT);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, f->location));
  g_assert_nonnull (strstr (error->message, "checksum"));
  g_assert_null (strchr (error->message, '\n'));
}

/* /smiley/store/<backend>/read-only: a store that cannot be created says
 * where and why. */
static SmileyBatch *
line_events (SmileyRun *run, guint n_events, guint first)
{
  SmileyBatch *batch = smiley_batch_new ();
  guint32      file = smiley_run_intern (run, "/tmp/x.py");
  guint32      function = smiley_run_intern (run, "f");

  for (guint i = first; i < first + n_events; i++)
    add_event (batch, i == 0 ? SMILEY_EVENT_CALL : SMILEY_EVENT_LINE, 1, 1, 0, 0, i, file, i + 1,
               function, NULL, 0, NULL);
  return batch;
}

/* /smiley/store/<backend>/delete-while-recording: another store object
 * (another process) deletes a run while it is recorded; the recorder is
 * told at its next push and writes nothing more of it, even when a run
 * begun after the deletion got the deleted run's place (SQLite reuses the
 * largest key). */
static void
test_delete_while_recording (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SmileyStore) recorder = open_store (f);
  g_autoptr (SmileyStore) deleter = open_store (f);
  g_autoptr (SmileyStats) stats = new_stats ();
  g_autoptr (SmileyRun) doomed = new_run ("run-doomed", 1000);
  g_autoptr (SmileyRun) later = new_run ("run-later", 2000);
  g_autoptr (SmileyRun) read_back = NULL;
  g_autoptr (SmileyBatch) batch = NULL;
  g_autoptr (SmileyBatch) events = NULL;
  g_autoptr (GPtrArray) runs = NULL;

  smiley_run_set_thread (doomed, 1, 1, 1, "MainThread");
  g_assert_true (smiley_sink_begin_run (SMILEY_SINK (recorder), doomed, &error));
  g_assert_no_error (error);
  batch = line_events (doomed, 5000, 0);
  g_assert_true (smiley_sink_push (SMILEY_SINK (recorder), doomed, batch, &error));
  g_assert_no_error (error);
  g_assert_true (smiley_sink_flush (SMILEY_SINK (recorder), &error));
  g_assert_no_error (error);
  g_clear_pointer (&batch, smiley_batch_unref);

  g_assert_true (smiley_store_delete_run (deleter, "run-doomed", &error));
  g_assert_no_error (error);
  store_whole_run (deleter, later, 10);

  batch = line_events (doomed, 5000, 5000);
  g_assert_false (smiley_sink_push (SMILEY_SINK (recorder), doomed, batch, &error));
  g_assert_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NOT_FOUND);
  g_assert_nonnull (
      strstr (error->message, "run run-doomed was deleted while it was being recorded"));
  g_clear_error (&error);
  smiley_run_set_state (doomed, SMILEY_RUN_FINISHED);
  smiley_run_set_stats (doomed, stats);
  g_assert_false (smiley_sink_end_run (SMILEY_SINK (recorder), doomed, &error));
  g_assert_nonnull (strstr (error->message, "was deleted while it was being recorded"));
  g_clear_error (&error);
  g_clear_object (&recorder);

  runs = smiley_store_list_runs (deleter, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (runs->len, ==, 1);
  g_assert_cmpstr (smiley_run_get_id (g_ptr_array_index (runs, 0)), ==, "run-later");
  read_back = smiley_store_get_run (deleter, "run-later", &error);
  g_assert_no_error (error);
  events = smiley_store_get_events (deleter, read_back, -1, 0, 100000, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (smiley_batch_get_length (events), ==, 10);
  g_assert_null (smiley_store_get_run (deleter, "run-doomed", &error));
  g_assert_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NOT_FOUND);
}

/* The "read-only" property (list, replay, server…): a missing location
 * reads as a store with no runs and is not created, an existing store
 * is read, and nothing is written. */
static void
test_open_read_only (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SmileyStore) store = NULL;
  g_autoptr (SmileyStore) reader = NULL;
  g_autoptr (GPtrArray) runs = NULL;
  g_autoptr (SmileyRun) run = NULL;
  g_autoptr (SmileyRun) other = new_run ("run-new", 9);
  gboolean read_only = FALSE;

  store = g_initable_new (f->backend->get_type (), NULL, &error, "location", f->location,
                          "read-only", TRUE, NULL);
  g_assert_no_error (error);
  g_object_get (store, "read-only", &read_only, NULL);
  g_assert_true (read_only);
  runs = smiley_store_list_runs (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (runs->len, ==, 0);
  g_clear_pointer (&runs, g_ptr_array_unref);
  g_assert_null (smiley_store_get_run (store, "run-0", &error));
  g_assert_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (smiley_sink_begin_run (SMILEY_SINK (store), other, &error));
  g_assert_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "opened read-only"));
  g_clear_error (&error);
  g_clear_object (&store);
  g_assert_false (g_file_test (f->location, G_FILE_TEST_EXISTS));

  make_real_store (f, f->location, 2);
  reader = g_initable_new (f->backend->get_type (), NULL, &error, "location", f->location,
                           "read-only", TRUE, NULL);
  g_assert_no_error (error);
  runs = smiley_store_list_runs (reader, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (runs->len, ==, 2);
  run = smiley_store_get_run (reader, "run-1", &error);
  g_assert_no_error (error);
  g_assert_false (smiley_store_delete_run (reader, "run-1", &error));
  g_assert_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_IO);
  g_clear_error (&error);
  g_assert_false (smiley_sink_begin_run (SMILEY_SINK (reader), other, &error));
  g_assert_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_IO);
  g_clear_error (&error);
  g_clear_pointer (&runs, g_ptr_array_unref);
  runs = smiley_store_list_runs (reader, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (runs->len, ==, 2);
}

static void
test_read_only (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *locked = g_build_filename (f->dir, "locked", NULL);
  g_autofree char *path = NULL;
  g_autoptr (SmileyStore) store = NULL;

  if (geteuid () == 0)
    {
      /* root writes anywhere chmod allows nothing; /proc refuses even root. */
      g_free (locked);
      locked = g_strdup ("/proc/self");
    }
  else
    {
      g_mkdir (locked, 0755);
      g_chmod (locked, 0555);
    }
  path = g_build_filename (locked, f->backend->location, NULL);
  store = open_store_at (f->backend, path, &error);
  g_assert_null (store);
  g_assert_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_IO);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_null (strchr (error->message, '\n'));
  g_clear_error (&error);

  /* A directory that is not there. */
  g_free (path);
  path = g_build_filename (f->dir, "no", "such", "dir", f->backend->location, NULL);
  store = open_store_at (f->backend, path, &error);
  g_assert_null (store);
  g_assert_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_IO);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_null (strchr (error->message, '\n'));
}

/* /smiley/store/<backend>/disk-full: the file size limit stands in for a
 * full disk; the write fails clearly and the run is not complete. */
static void
test_disk_full (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SmileyRun) run = new_run ("run-full", 1);
  guint32       file = smiley_run_intern (run, "/tmp/full.py");
  guint32       function = smiley_run_intern (run, "f");
  guint32       name = smiley_run_intern (run, "blob");
  struct rlimit saved, limited;
  gboolean      failed = FALSE;
  void (*saved_handler) (int);

  smiley_run_set_thread (run, 1, 1, 1, "MainThread");
  g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  saved_handler = signal (SIGXFSZ, SIG_IGN);
  {
    g_autoptr (SmileyStore) store = open_store (f);

    g_assert_true (smiley_sink_begin_run (SMILEY_SINK (store), run, &error));
    g_assert_no_error (error);
    g_assert_true (smiley_sink_flush (SMILEY_SINK (store), &error));
    g_assert_no_error (error);

    limited = saved;
    limited.rlim_cur = 1024 * 1024;
    g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &limited), ==, 0);
    for (guint b = 0; b < 100 && !failed; b++)
      {
        g_autoptr (SmileyBatch) batch = smiley_batch_new ();

        for (guint i = 0; i < 200; i++)
          {
            g_autofree char *value = g_strdup_printf ("'%u%s'", b * 1000 + i, "x");
            g_autofree char *padded = g_strnfill (200, 'a' + (i % 26));
            g_autofree char *text = g_strconcat (value, padded, NULL);
            SmileyLocal      local = { name, text };

            add_event (batch, SMILEY_EVENT_LINE, 1, 1, 0, 0, b * 1000 + i, file, i, function, NULL,
                       1, &local);
          }
        if (!smiley_sink_push (SMILEY_SINK (store), run, batch, &error)
            || !smiley_sink_flush (SMILEY_SINK (store), &error))
          failed = TRUE;
      }
    g_assert_true (failed);
    g_assert_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_IO);
    g_test_message ("%s", error->message);
    g_assert_null (strchr (error->message, '\n'));
    g_clear_error (&error);

    /* Ending the run cannot report it complete either. */
    smiley_run_set_state (run, SMILEY_RUN_FINISHED);
    g_assert_false (smiley_sink_end_run (SMILEY_SINK (store), run, &error));
    g_clear_error (&error);
    g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &saved), ==, 0);

    /* The same object still reads what was stored. */
    {
      g_autoptr (SmileyRun) got = smiley_store_get_run (store, "run-full", &error);

      g_assert_no_error (error);
      g_assert_cmpint (smiley_run_get_state (got), !=, SMILEY_RUN_FINISHED);
    }
  }
  signal (SIGXFSZ, saved_handler);

  {
    g_autoptr (SmileyStore) store = open_store (f);
    g_autoptr (SmileyRun) got = smiley_store_get_run (store, "run-full", &error);

    g_assert_no_error (error);
    g_assert_cmpint (smiley_run_get_state (got), !=, SMILEY_RUN_FINISHED);
  }
}

static const char *
lookup_fake_value (guint64 id, gpointer user_data, GError **error)
{
  if (id > 3)
    {
      g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_CORRUPT, "value %u missing",
                   (guint)id);
      return NULL;
    }
  return "'value'";
}

static gboolean
count_decoded (const SmileyEvent *event, guint index, gpointer user_data)
{
  guint *count = user_data;

  g_assert_cmpint (event->kind, >=, SMILEY_EVENT_CALL);
  g_assert_cmpint (event->kind, <=, SMILEY_EVENT_KIND_LAST);
  g_assert_cmpuint (event->file, <, 50);
  g_assert_cmpuint (event->function, <, 50);
  for (guint32 i = 0; i < event->n_locals; i++)
    {
      g_assert_cmpuint (event->locals[i].name, <, 50);
      g_assert_true (event->locals[i].value == NULL
                     || g_utf8_validate (event->locals[i].value, -1, NULL));
    }
  (*count)++;
  return TRUE;
}

static gboolean
inline_every_value (const char *text, gsize length, guint64 *id, gpointer user_data, GError **error)
{
  /* Every third distinct call stores by id, to cover both forms. */
  guint *calls = user_data;

  *id = (++(*calls) % 3 == 0) ? 1 + *calls % 3 : 0;
  return TRUE;
}

/* /smiley/store/sqlite/block-garbage: the block decoder, fed random bytes
 * and mutations of a real block, reports damage and never crashes or hands
 * out events with out-of-range ids. */
static void
test_sqlite_block_garbage (void)
{
  g_autoptr (SmileySqliteBlock) block = smiley_sqlite_block_new ();
  SmileyLocal   locals[] = { { 3, "12" }, { 4, NULL }, { 5, "'ünï'" } };
  const guint8 *data;
  gsize         length;
  guint         calls = 0, decoded_ok = 0;

  smiley_sqlite_block_reset (block, 0);
  for (guint i = 0; i < 300; i++)
    {
      SmileyEvent event = {
        .kind = 1 + i % SMILEY_EVENT_KIND_LAST,
        .thread = 1 + i % 3,
        .call_id = i / 7,
        .parent_call_id = i / 11,
        .depth = i % 5,
        .time_ns = i * 1000 - 50,
        .file = 1 + i % 4,
        .line = (i * 37) % 400,
        .function = 2 + i % 5,
        .arg = i % 4 == 0 ? "'x'" : NULL,
        .n_locals = i % 4,
        .locals = locals,
      };
      g_assert_true (smiley_sqlite_block_add (block, &event, i, inline_every_value, &calls, NULL));
    }
  data = smiley_sqlite_block_get_data (block, &length);

  {
    guint count = 0;
    g_autoptr (GError) error = NULL;

    g_assert_true (smiley_sqlite_block_decode (data, length, 300, 50, lookup_fake_value, NULL,
                                               count_decoded, &count, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (count, ==, 300);
  }

  for (guint round = 0; round < 20000; round++)
    {
      g_autofree guint8 *copy = NULL;
      gsize              copy_length;
      guint              count = 0, n_events = 300;
      g_autoptr (GError) error = NULL;

      if (round % 2 == 0)
        {
          copy_length = g_test_rand_int_range (0, 200);
          copy = g_malloc (MAX (copy_length, 1));
          for (gsize i = 0; i < copy_length; i++)
            copy[i] = g_test_rand_int_range (0, 256);
          n_events = g_test_rand_int_range (1, 400);
        }
      else
        {
          /* Mostly whole, so decoding goes deep before it meets the damage. */
          copy_length = round % 8 == 1 ? (gsize)g_test_rand_int_range (1, length + 1) : length;
          copy = g_memdup2 (data, length);
          for (guint flips = g_test_rand_int_range (1, 4); flips > 0; flips--)
            copy[g_test_rand_int_range (0, copy_length)] = g_test_rand_int_range (0, 256);
        }
      if (smiley_sqlite_block_decode (copy, copy_length, n_events, 50, lookup_fake_value, NULL,
                                      count_decoded, &count, &error))
        decoded_ok++;
      else
        g_assert_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_CORRUPT);
    }
  g_test_message ("%u of 20000 damaged blocks still decoded (the checksum catches those)",
                  decoded_ok);
}

#ifdef HAVE_FILE_STORE
/* /smiley/store/file/truncated: a log cut inside a frame reads up to its
 * last complete frame, and the run is unfinished (RUNNING), in the list
 * too. */
static void
test_file_truncated (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SmileyRun) run = new_run ("run-cut", 1);
  g_autofree char *log = g_build_filename (f->location, "run-cut.smly", NULL);
  g_autofree char *contents = NULL;
  gsize            length;
  guint64          previous = 0;

  {
    g_autoptr (SmileyStore) store = open_store (f);
    store_whole_run (store, run, 20000);
  }

  g_assert_true (g_file_get_contents (log, &contents, &length, NULL));
  /* Cut at several places, from inside RUN_END to inside the header. */
  for (gsize cut = length - 3; cut > 4; cut = cut * 2 / 3)
    {
      g_autoptr (SmileyStore) store = NULL;
      g_autoptr (SmileyRun) got = NULL;
      g_autoptr (SmileyBatch) events = NULL;
      g_autoptr (GPtrArray) runs = NULL;

      write_file (log, contents, cut);
      store = open_store (f);
      got = smiley_store_get_run (store, "run-cut", &error);
      g_assert_no_error (error);
      g_assert_cmpint (smiley_run_get_state (got), ==, SMILEY_RUN_RUNNING);
      events = all_events (store, got, -1);
      /* A prefix of what was written, shorter with every cut. */
      g_assert_cmpuint (smiley_batch_get_length (events), <=, 20000);
      if (previous > 0)
        g_assert_cmpuint (smiley_batch_get_length (events), <=, previous);
      previous = smiley_batch_get_length (events);
      for (guint i = 0; i < smiley_batch_get_length (events); i++)
        g_assert_cmpuint (smiley_batch_get_event (events, i)->line, ==, i + 1);

      runs = smiley_store_list_runs (store, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (runs->len, ==, 1);
      g_assert_cmpint (smiley_run_get_state (runs->pdata[0]), ==, SMILEY_RUN_RUNNING);
    }
  g_assert_cmpuint (previous, <, 20000);
}

/* /smiley/store/file/bad-files */
static void
test_file_bad_files (Fixture *f, gconstpointer data)
{
  g_autofree char *plain = g_build_filename (f->dir, "plain-file", NULL);
  g_autofree char *busy = g_build_filename (f->dir, "busy-dir", NULL);
  g_autofree char *busy_file = g_build_filename (busy, "holiday.jpg", NULL);
  g_autofree char *garbage = g_build_filename (f->dir, "garbage-index", NULL);
  g_autofree char *garbage_index = g_build_filename (garbage, "index", NULL);
  g_autofree char *newer = g_build_filename (f->dir, "newer", NULL);
  g_autofree char *newer_index = g_build_filename (newer, "index", NULL);
  g_autofree char *damaged_log = g_build_filename (f->location, "run-0.smly", NULL);
  guint8           noise[4096];

  write_file (plain, "hello\n", 6);
  assert_refused (f->backend, plain, SMILEY_STORE_ERROR_NOT_A_STORE, "not a directory");

  g_mkdir (busy, 0755);
  write_file (busy_file, "\xff\xd8\xff", 3);
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (SmileyStore) store = open_store_at (f->backend, busy, &error);
    g_autofree char *index = g_build_filename (busy, "index", NULL);

    g_assert_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NOT_A_STORE);
    g_assert_null (store);
    g_assert_nonnull (strstr (error->message, busy));
    g_assert_false (g_file_test (index, G_FILE_TEST_EXISTS));
  }

  g_mkdir (garbage, 0755);
  for (guint i = 0; i < sizeof noise; i++)
    noise[i] = g_test_rand_int_range (0, 256);
  write_file (garbage_index, noise, sizeof noise);
  {
    g_autofree char *before = file_sha256 (garbage_index);
    g_autofree char *after = NULL;
    g_autoptr (GError) error = NULL;
    g_autoptr (SmileyStore) store = open_store_at (f->backend, garbage, &error);

    g_assert_null (store);
    g_assert_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NOT_A_STORE);
    g_assert_nonnull (strstr (error->message, garbage_index));
    g_assert_null (strchr (error->message, '\n'));
    after = file_sha256 (garbage_index);
    g_assert_cmpstr (before, ==, after);
  }

  make_real_store (f, newer, 1);
  write_file (newer_index, "[store]\nformat=smiley-file-store\nversion=7\n", 43);
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (SmileyStore) store = open_store_at (f->backend, newer, &error);

    g_assert_null (store);
    g_assert_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_VERSION);
    g_assert_nonnull (strstr (error->message, "version 7, this one reads up to 1"));
  }

  /* A log overwritten with garbage: the run is damaged, not the store. */
  make_real_store (f, f->location, 2);
  write_file (damaged_log, noise, sizeof noise);
  {
    g_autoptr (SmileyStore) store = open_store (f);
    g_autoptr (GError) error = NULL;
    g_autoptr (SmileyRun) run = NULL;
    g_autoptr (SmileyRun) other = NULL;
    g_autoptr (SmileyBatch) batch = NULL;
    g_autoptr (GPtrArray) runs = NULL;
    g_autofree char *before = file_sha256 (damaged_log);
    g_autofree char *after = NULL;

    /* The run is still found, as the index describes it (so that it can
     * be deleted); reading its events says what is wrong. */
    run = smiley_store_get_run (store, "run-0", &error);
    g_assert_no_error (error);
    g_assert_cmpint (smiley_run_get_state (run), ==, SMILEY_RUN_RUNNING);
    batch = smiley_store_get_events (store, run, -1, 0, 100, &error);
    g_assert_null (batch);
    g_assert_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_CORRUPT);
    g_assert_nonnull (strstr (error->message, damaged_log));
    g_assert_null (strchr (error->message, '\n'));
    g_clear_error (&error);
    other = smiley_store_get_run (store, "run-1", &error);
    g_assert_no_error (error);
    after = file_sha256 (damaged_log);
    g_assert_cmpstr (before, ==, after);

    g_assert_true (smiley_store_delete_run (store, "run-0", &error));
    g_assert_no_error (error);
    g_assert_false (g_file_test (damaged_log, G_FILE_TEST_EXISTS));
    runs = smiley_store_list_runs (store, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (runs->len, ==, 1);
    g_assert_cmpstr (smiley_run_get_id (g_ptr_array_index (runs, 0)), ==, "run-1");
  }
}
#endif

static void
add_test (const Backend *backend, const char *name, void (*func) (Fixture *, gconstpointer))
{
  g_autofree char *path = g_strdup_printf ("/smiley/store/%s/%s", backend->name, name);

  g_test_add (path, Fixture, backend, fixture_set_up, func, fixture_tear_down);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (backends); i++)
    {
      const Backend *backend = &backends[i];

      add_test (backend, "roundtrip", test_roundtrip);
      add_test (backend, "list", test_list);
      add_test (backend, "find", test_find);
      add_test (backend, "delete", test_delete);
      add_test (backend, "delete-frees-space", test_delete_frees_space);
      add_test (backend, "paging", test_paging);
      add_test (backend, "large", test_large);
      add_test (backend, "unfinished", test_unfinished);
      add_test (backend, "duplicate", test_duplicate);
      add_test (backend, "concurrent", test_concurrent);
      add_test (backend, "read-only", test_read_only);
      add_test (backend, "open-read-only", test_open_read_only);
      add_test (backend, "delete-while-recording", test_delete_while_recording);
      add_test (backend, "disk-full", test_disk_full);
    }
  add_test (&backends[0], "bad-files", test_sqlite_bad_files);
  add_test (&backends[0], "damaged-block", test_sqlite_damaged_block);
  g_test_add_func ("/smiley/store/sqlite/block-garbage", test_sqlite_block_garbage);
#ifdef HAVE_FILE_STORE
  add_test (&backends[1], "truncated", test_file_truncated);
  add_test (&backends[1], "bad-files", test_file_bad_files);
#endif

  return g_test_run ();
}
