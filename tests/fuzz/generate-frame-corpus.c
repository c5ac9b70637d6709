/* generate-frame-corpus.c: writes the seed corpus of fuzz-frame-reader
 *
 * SPDX-License-Identifier: Apache-2.0
 *
 * Usage: generate-frame-corpus DIR
 *
 * Every seed is a small stream made by SmileyFrameWriter (plus a few
 * deliberately broken ones), covering every frame type and field, so the
 * fuzzer starts from valid structure rather than from nothing. The files
 * in tests/fuzz/corpus/frame-reader/ were made with it; run it again after
 * a change to the format.
 */
#include "smiley-build-config.h"

#include <smiley.h>

static SmileyRun *
new_run (const char *id)
{
  SmileyRun        *run = smiley_run_new (id);
  const char *const argv[] = { "prog.py", "-v", NULL };

  smiley_run_set_pid (run, 1234);
  smiley_run_set_start_time (run, G_GINT64_CONSTANT (1700000000000000));
  smiley_run_set_cwd (run, "/home/u");
  smiley_run_set_description (run, "prog.py -v");
  smiley_run_set_argv (run, argv);
  smiley_run_set_thread (run, 1, 1234, 1234, "MainThread");
  return run;
}

static void
add (SmileyRun *run, SmileyBatch *batch, SmileyEventKind kind, guint64 call_id, guint32 line,
     const char *function, const char *arg, const char *local_name, const char *local_value)
{
  SmileyLocal local = { 0, local_value };
  SmileyEvent event = {
    .kind = kind,
    .thread = smiley_run_get_n_threads (run),
    .call_id = call_id,
    .parent_call_id = call_id - 1,
    .depth = (guint32)call_id,
    .time_ns = (gint64)line * 1000,
    .file = smiley_run_intern (run, "prog.py"),
    .line = line,
    .function = smiley_run_intern (run, function),
    .arg = arg,
    .n_locals = local_name != NULL ? 1 : 0,
    .locals = &local,
  };

  if (local_name != NULL)
    local.name = smiley_run_intern (run, local_name);
  smiley_batch_add (batch, &event);
}

static void
finish_run (SmileyRun *run, int exit_status)
{
  smiley_run_set_end_time (run, G_GINT64_CONSTANT (1700000000500000));
  smiley_run_set_state (run, exit_status >= 0 ? SMILEY_RUN_FINISHED : SMILEY_RUN_ABNORMAL);
  smiley_run_set_exit_status (run, exit_status);
  smiley_run_set_signal (run, exit_status >= 0 ? 0 : 9);
  if (exit_status > 0)
    {
      smiley_run_set_error (run, "ValueError: bad");
      smiley_run_set_traceback (run, "Traceback (most recent call last):\nValueError: bad\n");
    }
  smiley_run_set_events_emitted (run, 7);
}

static void
save (const char *dir, const char *name, const guint8 *data, gsize len)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr (GError) error = NULL;

  if (!g_file_set_contents (path, (const char *)data, len, &error))
    g_error ("%s", error->message);
}

static void
save_bytes (const char *dir, const char *name, GBytes *bytes)
{
  gsize         len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  save (dir, name, data, len);
}

int
main (int argc, char *argv[])
{
  const char *dir;

  if (argc != 2)
    {
      g_printerr ("usage: %s DIR\n", argv[0]);
      return 2;
    }
  dir = argv[1];
  g_mkdir_with_parents (dir, 0755);

  /* An empty run: header, RUN_BEGIN, RUN_END. */
  {
    g_autoptr (SmileyRun) run = smiley_run_new ("empty");
    g_autoptr (SmileyFrameWriter) writer = smiley_frame_writer_new ();
    g_autoptr (GBytes) bytes = NULL;

    smiley_frame_writer_begin_run (writer, run);
    smiley_frame_writer_end_run (writer, run);
    bytes = smiley_frame_writer_take_bytes (writer);
    save_bytes (dir, "empty-run", bytes);
  }

  /* Calls, lines, returns and an exception, with locals, in two pushes,
   * a thread rename in between, a source and stats. */
  {
    g_autoptr (SmileyRun) run = new_run ("full");
    g_autoptr (SmileyFrameWriter) writer = smiley_frame_writer_new ();
    g_autoptr (SmileyBatch) batch = smiley_batch_new ();
    g_autoptr (SmileyStats) stats = smiley_stats_new ();
    g_autoptr (GBytes) source = g_bytes_new_static ("def f(x):\n    return x\n", 23);
    g_autoptr (GBytes) bytes = NULL;
    SmileyStatsCaller caller = { 0, 2, 2, 100, 200 };
    guint             f;

    smiley_run_add_source (run, smiley_run_intern (run, "prog.py"), source);
    smiley_frame_writer_begin_run (writer, run);
    add (run, batch, SMILEY_EVENT_CALL, 1, 1, "<module>", NULL, NULL, NULL);
    add (run, batch, SMILEY_EVENT_LINE, 1, 3, "<module>", NULL, "y", "[1, 2]");
    add (run, batch, SMILEY_EVENT_CALL, 2, 1, "f", NULL, "x", "1");
    add (run, batch, SMILEY_EVENT_RETURN, 2, 2, "f", "1", NULL, NULL);
    smiley_frame_writer_push (writer, run, batch);
    smiley_batch_clear (batch);
    smiley_run_set_thread (run, 1, 1234, 1234, "Renamed");
    smiley_run_set_thread (run, 2, 1234, 1240, "Thread-1 (worker)");
    add (run, batch, SMILEY_EVENT_EXCEPTION, 3, 4, "g", "ValueError: bad", "y", NULL);
    add (run, batch, SMILEY_EVENT_C_CALL, 3, 4, "<built-in method builtins.len>", NULL, NULL, NULL);
    add (run, batch, SMILEY_EVENT_YIELD, 3, 5, "gen", "'é☃'", NULL, NULL);
    smiley_frame_writer_push (writer, run, batch);

    smiley_stats_add_entry (stats, "prog.py", 1, "<module>");
    f = smiley_stats_add_entry (stats, "prog.py", 1, "f");
    smiley_stats_get_entry (stats, f)->ncalls = 2;
    smiley_stats_get_entry (stats, f)->tottime_ns = 100;
    smiley_stats_add_caller (stats, f, &caller);
    smiley_run_set_stats (run, stats);
    finish_run (run, 1);
    smiley_frame_writer_end_run (writer, run);
    bytes = smiley_frame_writer_take_bytes (writer);
    save_bytes (dir, "full-run", bytes);

    /* The same stream cut in the middle of a frame and between frames. */
    save (dir, "truncated-frame", g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes) - 5);
  }

  /* One small EVENTS frame per event, as the tracer's ring commits them,
   * and no RUN_END (the writer was killed). */
  {
    g_autoptr (SmileyRun) run = new_run ("killed");
    g_autoptr (SmileyFrameWriter) writer = smiley_frame_writer_new ();
    g_autoptr (GBytes) bytes = NULL;

    smiley_frame_writer_begin_run (writer, run);
    for (guint i = 1; i <= 12; i++)
      {
        g_autoptr (SmileyBatch) one = smiley_batch_new ();

        add (run, one, 1 + i % SMILEY_EVENT_KIND_LAST, i, i, i % 2 ? "a" : "b",
             i % 3 ? NULL : "None", "i", i % 4 ? "0" : NULL);
        smiley_frame_writer_push (writer, run, one);
      }
    bytes = smiley_frame_writer_take_bytes (writer);
    save_bytes (dir, "killed-one-event-frames", bytes);
  }

  /* Extreme values. */
  {
    g_autoptr (SmileyRun) run = new_run ("extremes");
    g_autoptr (SmileyFrameWriter) writer = smiley_frame_writer_new ();
    g_autoptr (SmileyBatch) batch = smiley_batch_new ();
    g_autoptr (GBytes) bytes = NULL;
    SmileyEvent event = { SMILEY_EVENT_C_EXCEPTION,
                          1,
                          G_MAXUINT64,
                          G_MAXUINT64,
                          G_MAXUINT32,
                          G_MININT64,
                          0,
                          G_MAXUINT32,
                          0,
                          "",
                          0,
                          NULL };

    smiley_run_set_start_time (run, G_MININT64);
    smiley_batch_add (batch, &event);
    smiley_frame_writer_begin_run (writer, run);
    smiley_frame_writer_push (writer, run, batch);
    smiley_run_set_exit_status (run, G_MININT);
    smiley_run_set_signal (run, G_MAXINT);
    smiley_run_set_events_emitted (run, G_MAXUINT64);
    smiley_frame_writer_end_run (writer, run);
    bytes = smiley_frame_writer_take_bytes (writer);
    save_bytes (dir, "extremes", bytes);
  }

  /* A few broken streams, so the error paths are seeded too. */
  save (dir, "bad-magic", (const guint8 *)"SMLX\x01\x00\x00\x00", 8);
  save (dir, "version-2", (const guint8 *)"SMLY\x02\x00\x00\x00", 8);
  save (dir, "oversized-frame",
        (const guint8 *)"SMLY\x01\x00\x00\x00\xff\xff\xff\xff\x01\x00\x00\x00", 16);

  return 0;
}
