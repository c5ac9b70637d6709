/* generate-ring-corpus.c: writes the seed corpus of fuzz-ring-consumer
 *
 * SPDX-License-Identifier: Apache-2.0
 *
 * Usage: generate-ring-corpus DIR
 *
 * Every seed is what a tracer writes into its ring (the frames after
 * RUN_BEGIN, one EVENTS frame per event, made by SmileyFrameWriter)
 * behind the three parameter bytes fuzz-ring-consumer.c reads: flags and
 * the offset in the ring, chosen so that the seeds between them cover
 * both sinks, data crossing the ring's end, positions crossing 2^64,
 * publishing frame by frame, a broken head, a failing sink and a hostile
 * producer. The files in tests/fuzz/corpus/ring-consumer/ were made with
 * it.
 */
#include "smiley-build-config.h"

#include <smiley.h>

#include "fuzz-ring-params.h"

static void
add (SmileyRun *run, SmileyBatch *batch, SmileyEventKind kind, guint32 thread, guint64 call_id,
     guint32 line, const char *file, const char *function, const char *arg, const char *local_value)
{
  SmileyLocal local = { 0, local_value };
  SmileyEvent event = {
    .kind = kind,
    .thread = thread,
    .call_id = call_id,
    .parent_call_id = call_id - 1,
    .depth = (guint32)call_id,
    .time_ns = (gint64)line * 1000,
    .file = smiley_run_intern (run, file),
    .line = line,
    .function = smiley_run_intern (run, function),
    .arg = arg,
    .n_locals = local_value != NULL ? 1 : 0,
    .locals = &local,
  };

  local.name = smiley_run_intern (run, "x");
  smiley_batch_add (batch, &event);
}

/* One event, pushed alone: its own EVENTS frame, after the STRINGS and
 * THREADS frames it needs, as the tracer commits them. */
static void
push_one (SmileyFrameWriter *writer, SmileyRun *run, SmileyEventKind kind, guint32 thread,
          guint64 call_id, guint32 line, const char *file, const char *function, const char *arg,
          const char *local_value)
{
  g_autoptr (SmileyBatch) one = smiley_batch_new ();

  add (run, one, kind, thread, call_id, line, file, function, arg, local_value);
  smiley_frame_writer_push (writer, run, one);
}

/* The frames a tracer would write for a short program in prog.py that
 * calls f() in two threads and raises; @end: with its RUN_END. */
static GBytes *
tracer_frames (gboolean end, gboolean with_source)
{
  g_autoptr (SmileyRun) run = smiley_run_new ("seed");
  g_autoptr (SmileyFrameWriter) writer = smiley_frame_writer_new ();
  g_autoptr (GBytes) begin = NULL;

  smiley_frame_writer_begin_run (writer, run);
  /* Known to the consumer already. */
  begin = smiley_frame_writer_take_bytes (writer);

  smiley_run_set_thread (run, 1, 1234, 1234, "MainThread");
  if (with_source)
    {
      /* The tracer sends a source itself when the consumer could not
       * read it by name. */
      g_autoptr (GBytes) source = g_bytes_new_static ("print(1)\n", 9);

      smiley_run_add_source (run, smiley_run_intern (run, "/tmp/\xc3\xa9/other.py"), source);
    }
  push_one (writer, run, SMILEY_EVENT_CALL, 1, 1, 1, "prog.py", "<module>", NULL, NULL);
  push_one (writer, run, SMILEY_EVENT_LINE, 1, 1, 3, "prog.py", "<module>", NULL, "[1, 2]");
  push_one (writer, run, SMILEY_EVENT_CALL, 1, 2, 1, "prog.py", "f", NULL, "1");
  push_one (writer, run, SMILEY_EVENT_C_CALL, 1, 2, 2, "prog.py", "<built-in method len>", NULL,
            NULL);
  push_one (writer, run, SMILEY_EVENT_RETURN, 1, 2, 2, "prog.py", "f", "1", NULL);
  smiley_run_set_thread (run, 2, 1234, 1240, "Thread-1 (worker)");
  push_one (writer, run, SMILEY_EVENT_CALL, 2, 3, 1, "/nonexistent/lib.py", "g", NULL, NULL);
  push_one (writer, run, SMILEY_EVENT_EXCEPTION, 2, 3, 4, "/nonexistent/lib.py", "g",
            "ValueError: bad", NULL);
  push_one (writer, run, SMILEY_EVENT_CALL, 1, 4, 9, "fifo.py", "h", NULL, NULL);
  push_one (writer, run, SMILEY_EVENT_CALL, 1, 5, 9, "dir.py", "h", NULL, NULL);
  push_one (writer, run, SMILEY_EVENT_YIELD, 1, 5, 10, "<frozen importlib._bootstrap>", "gen",
            "'\xc3\xa9\xe2\x98\x83'", NULL);
  if (end)
    {
      g_autoptr (SmileyStats) stats = smiley_stats_new ();
      SmileyStatsCaller caller = { 0, 1, 1, 100, 200 };
      guint             f;

      smiley_stats_add_entry (stats, "prog.py", 1, "<module>");
      f = smiley_stats_add_entry (stats, "prog.py", 1, "f");
      smiley_stats_get_entry (stats, f)->ncalls = 1;
      smiley_stats_add_caller (stats, f, &caller);
      smiley_run_set_stats (run, stats);
      smiley_run_set_end_time (run, G_GINT64_CONSTANT (1700000000500000));
      smiley_run_set_state (run, SMILEY_RUN_FINISHED);
      smiley_run_set_exit_status (run, 1);
      smiley_run_set_error (run, "ValueError: bad");
      smiley_run_set_traceback (run, "Traceback (most recent call last):\nValueError: bad\n");
      smiley_run_set_events_emitted (run, 10);
      smiley_frame_writer_end_run (writer, run);
    }
  return smiley_frame_writer_take_bytes (writer);
}

static void
save (const char *dir, const char *name, guint flags, guint offset, const guint8 *frames, gsize len)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr (GByteArray) input = g_byte_array_new ();
  g_autoptr (GError) error = NULL;
  guint8 params[N_PARAM_BYTES] = { (guint8)flags, (guint8)(offset & 0xff), (guint8)(offset >> 8) };

  g_byte_array_append (input, params, sizeof params);
  g_byte_array_append (input, frames, len);
  if (!g_file_set_contents (path, (const char *)input->data, input->len, &error))
    g_error ("%s", error->message);
}

static void
save_bytes (const char *dir, const char *name, guint flags, guint offset, GBytes *bytes)
{
  gsize         len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  save (dir, name, flags, offset, data, len);
}

int
main (int argc, char *argv[])
{
  g_autoptr (GBytes) run = NULL;
  g_autoptr (GBytes) killed = NULL;
  const char   *dir;
  const guint8 *data;
  gsize         len;

  if (argc != 2)
    {
      g_printerr ("usage: %s DIR\n", argv[0]);
      return 2;
    }
  dir = argv[1];
  g_mkdir_with_parents (dir, 0755);

  run = tracer_frames (TRUE, TRUE);
  killed = tracer_frames (FALSE, FALSE);
  data = g_bytes_get_data (run, &len);

  /* Whole runs, decoded and passed through, across the ring's end and
   * 2^64, with sources read from the cwd. */
  save_bytes (dir, "run", 0, 0, run);
  save_bytes (dir, "run-encoded-wrapping", PARAM_ENCODED | PARAM_SOURCES | PARAM_PIECES,
              65536 - 100, run);
  save_bytes (dir, "run-high-position", PARAM_SOURCES | PARAM_HIGH_POSITION | PARAM_PIECES,
              65536 - 37, run);
  /* Killed before its RUN_END. */
  save_bytes (dir, "killed", PARAM_SOURCES | PARAM_PIECES, 4096, killed);
  save_bytes (dir, "killed-encoded", PARAM_ENCODED | PARAM_HIGH_POSITION, 65000, killed);
  /* A forked child that outlives the program writes after the end. */
  {
    g_autoptr (GByteArray) after = g_byte_array_new ();

    g_byte_array_append (after, data, len);
    g_byte_array_append (after, g_bytes_get_data (killed, NULL), 64);
    save (dir, "after-end", PARAM_ENCODED | PARAM_PIECES, 12, after->data, after->len);
  }
  /* The last frame cut short, and a frame of no type. */
  save (dir, "truncated", PARAM_PIECES, 100, data, len - 5);
  save (dir, "bad-frame", PARAM_ENCODED, 0, (const guint8 *)"\x08\x00\x00\x00\x00\x00\x00\x00", 8);
  /* A head that claims more than the ring, a sink that fails, and a
   * producer that scribbles over the ring. */
  save_bytes (dir, "overclaim", PARAM_OVERCLAIM | PARAM_PIECES, 300, run);
  save_bytes (dir, "sink-fails", PARAM_SINK_FAILS | PARAM_PIECES, 65536 - 200, run);
  save_bytes (dir, "sink-fails-encoded",
              PARAM_SINK_FAILS | PARAM_ENCODED | PARAM_PIECES | PARAM_SOURCES, 1, run);
  save_bytes (dir, "hostile", PARAM_HOSTILE | PARAM_PIECES | PARAM_SOURCES, 65536 - 50, run);
  save_bytes (dir, "hostile-encoded", PARAM_HOSTILE | PARAM_ENCODED, 7, killed);
  return 0;
}
