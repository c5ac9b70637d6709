/* fuzz-frame-reader.c: libFuzzer target for SmileyFrameReader
 *
 * SPDX-License-Identifier: Apache-2.0
 *
 * The input is fed to a reader in pieces whose sizes (and the reader's
 * merge setting) are derived from the input itself, so a crash replays
 * from the input file alone. next() is drained until an error or
 * NEED_MORE after each piece, then finish() is called. Beyond "no crash",
 * the decoded result must be self-consistent: every event refers to
 * defined strings and threads, and a run that decoded without error must
 * decode to the same thing again after a round trip through the writer.
 */
#include "smiley-build-config.h"

#include <stdint.h>
#include <stdlib.h>

#include <smiley.h>

#include "fuzz-common.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check_batch (SmileyRun *run, SmileyBatch *batch)
{
  for (guint i = 0; i < smiley_batch_get_length (batch); i++)
    check_event (run, smiley_batch_get_event (batch, i));
}

typedef struct
{
  SmileyRun *run;
  GPtrArray *batches;
  gboolean   ended;
  gboolean   failed;
} Result;

static void
result_clear (Result *r)
{
  g_clear_object (&r->run);
  g_clear_pointer (&r->batches, g_ptr_array_unref);
}

/* Drains the reader after a piece: Returns FALSE once it failed. With a
 * @forward writer (pass-through mode), EVENTS frames come encoded and are
 * forwarded as the socket publisher does. */
static gboolean
drain (SmileyFrameReader *reader, Result *r, SmileyFrameWriter *forward)
{
  for (;;)
    {
      g_autoptr (GError) error = NULL;
      SmileyFrameMessage message;
      SmileyBatch       *batch = NULL;

      if (!smiley_frame_reader_next (reader, &message, &batch, &error))
        {
          CHECK (error->domain == SMILEY_FRAME_ERROR);
          CHECK (batch == NULL);
          r->failed = TRUE;
          return FALSE;
        }
      if (message == SMILEY_FRAME_NEED_MORE)
        return TRUE;
      if (message == SMILEY_FRAME_RUN_BEGIN && forward != NULL)
        smiley_frame_writer_begin_run (forward, smiley_frame_reader_get_run (reader));
      if (message == SMILEY_FRAME_RUN_END)
        {
          r->ended = TRUE;
          if (forward != NULL)
            smiley_frame_writer_end_run (forward, smiley_frame_reader_get_run (reader));
        }
      if (message == SMILEY_FRAME_BATCH)
        {
          CHECK (forward == NULL);
          CHECK (batch != NULL);
          CHECK (!r->ended);
          check_batch (smiley_frame_reader_get_run (reader), batch);
          g_ptr_array_add (r->batches, batch);
        }
      if (message == SMILEY_FRAME_ENCODED_EVENTS)
        {
          const guint8 *frames;
          gsize         length;
          guint         n_events, n_files;

          CHECK (forward != NULL);
          CHECK (batch == NULL);
          frames = smiley_frame_reader_get_encoded_events (reader, &length, &n_events);
          CHECK (frames != NULL && length > 0 && n_events > 0);
          smiley_frame_reader_get_new_files (reader, &n_files);
          CHECK (n_files <= n_events);
          smiley_frame_writer_push_encoded (forward, smiley_frame_reader_get_run (reader), frames,
                                            length, n_events);
        }
    }
}

static void
decode (const guint8 *data, gsize size, guint32 seed, Result *r, SmileyFrameWriter *forward)
{
  g_autoptr (SmileyFrameReader) reader = NULL;
  guint32 state = seed;
  gsize   at = 0;
  /* Mostly the format's own limit, sometimes a small one. */
  gsize max_frame = (next_random (&state) % 4 == 0) ? 64 + next_random (&state) % 4096 : 0;

  reader = smiley_frame_reader_new (max_frame);
  smiley_frame_reader_set_max_batch (reader,
                                     next_random (&state) % 3 == 0 ? 0 : next_random (&state) % 64);
  r->batches = g_ptr_array_new_with_free_func ((GDestroyNotify)smiley_batch_unref);

  if (forward != NULL)
    {
      gsize lend = 1;

      /* As the ring reader does: lend, decode in place, take back what
       * was consumed; lend more when not even one frame was whole. */
      smiley_frame_reader_set_pass_events (reader, TRUE);
      while (at < size && !r->failed)
        {
          gsize n = MIN (size - at, lend);
          gsize consumed;

          smiley_frame_reader_lend (reader, data + at, n);
          drain (reader, r, forward);
          consumed = smiley_frame_reader_take_back (reader);
          at += consumed;
          if (consumed == 0 && at + n >= size)
            break;
          lend = consumed == 0 ? n * 2 : 1 + next_random (&state) % 4096;
        }
      /* An incomplete frame at the end: fed, for finish() to report. */
      if (!r->failed && at < size)
        smiley_frame_reader_feed (reader, data + at, size - at);
      at = size;
    }

  while (at < size && !r->failed)
    {
      gsize piece = 1 + next_random (&state) % (next_random (&state) % 2 ? 16 : 4096);

      piece = MIN (piece, size - at);
      smiley_frame_reader_feed (reader, data + at, piece);
      at += piece;
      drain (reader, r, NULL);
    }

  {
    g_autoptr (GError) error = NULL;

    if (!smiley_frame_reader_finish (reader, &error))
      {
        CHECK (error->domain == SMILEY_FRAME_ERROR);
        r->failed = TRUE;
      }
  }
  if (smiley_frame_reader_get_run (reader) != NULL)
    r->run = g_object_ref (smiley_frame_reader_get_run (reader));
}

static void
assert_same (Result *a, Result *b)
{
  g_autoptr (SmileyBatch) all_a = smiley_batch_new ();
  g_autoptr (SmileyBatch) all_b = smiley_batch_new ();

  CHECK (!b->failed);
  CHECK (a->ended == b->ended);
  CHECK (g_strcmp0 (smiley_run_get_id (a->run), smiley_run_get_id (b->run)) == 0);
  CHECK (smiley_run_get_n_strings (a->run) == smiley_run_get_n_strings (b->run));
  for (guint32 i = 0; i < smiley_run_get_n_strings (a->run); i++)
    CHECK (g_strcmp0 (smiley_run_get_string (a->run, i), smiley_run_get_string (b->run, i)) == 0);
  CHECK (smiley_run_get_n_threads (a->run) == smiley_run_get_n_threads (b->run));
  CHECK (smiley_run_get_n_sources (a->run) == smiley_run_get_n_sources (b->run));
  CHECK (smiley_run_get_exit_status (a->run) == smiley_run_get_exit_status (b->run));
  CHECK (g_strcmp0 (smiley_run_get_traceback (a->run), smiley_run_get_traceback (b->run)) == 0);
  /* The writer sends stats with RUN_END only, so a stream cut after its
   * STATS frame loses them in the round trip. */
  if (a->ended)
    CHECK ((smiley_run_get_stats (a->run) == NULL) == (smiley_run_get_stats (b->run) == NULL));
  if (a->ended && smiley_run_get_stats (a->run) != NULL)
    CHECK (smiley_stats_get_length (smiley_run_get_stats (a->run))
           == smiley_stats_get_length (smiley_run_get_stats (b->run)));

  for (guint i = 0; i < a->batches->len; i++)
    for (guint e = 0; e < smiley_batch_get_length (a->batches->pdata[i]); e++)
      smiley_batch_add (all_a, smiley_batch_get_event (a->batches->pdata[i], e));
  for (guint i = 0; i < b->batches->len; i++)
    for (guint e = 0; e < smiley_batch_get_length (b->batches->pdata[i]); e++)
      smiley_batch_add (all_b, smiley_batch_get_event (b->batches->pdata[i], e));
  CHECK (smiley_batch_equal (all_a, all_b));
}

/* What @writer wrote of @first's run must decode to the same thing. A
 * small max frame size (from @seed) can refuse re-encoded frames, which
 * may be larger than the input's (the writer merges them); those are not
 * compared. */
static void
check_written (Result *first, SmileyFrameWriter *writer, guint32 seed)
{
  g_autoptr (GBytes) bytes = smiley_frame_writer_take_bytes (writer);
  gsize         len;
  const guint8 *encoded = g_bytes_get_data (bytes, &len);
  Result        again = {
           0,
  };

  decode (encoded, len, seed, &again, NULL);
  if (!again.failed)
    assert_same (first, &again);
  result_clear (&again);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  Result first = {
    0,
  };
  guint32 seed = input_seed (data, size);

  /* A critical or warning from GLib means a bug the harness should see. */
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);

  decode (data, size, seed, &first, NULL);

  /* Passed through (checked, not decoded, lent in place) and forwarded
   * merged, as `smiley run` does: refused exactly when decoding refused
   * it, and what was forwarded decodes to the same run and events. */
  {
    g_autoptr (SmileyFrameWriter) forward = smiley_frame_writer_new ();
    Result passed = {
      0,
    };

    decode (data, size, seed, &passed, forward);
    CHECK (passed.failed == first.failed);
    CHECK (passed.ended == first.ended);
    if (!first.failed && first.run != NULL)
      {
        /* The tables even when no events or RUN_END carried them. */
        if (!passed.ended)
          smiley_frame_writer_put_tables (forward, passed.run);
        check_written (&first, forward, seed);
      }
    result_clear (&passed);
  }

  /* What decoded cleanly must survive the writer and decode the same. */
  if (!first.failed && first.run != NULL)
    {
      g_autoptr (SmileyFrameWriter) writer = smiley_frame_writer_new ();

      smiley_frame_writer_begin_run (writer, first.run);
      for (guint i = 0; i < first.batches->len; i++)
        smiley_frame_writer_push (writer, first.run, first.batches->pdata[i]);
      if (first.ended)
        smiley_frame_writer_end_run (writer, first.run);
      else
        /* The tables even when no events or RUN_END carried them. */
        smiley_frame_writer_put_tables (writer, first.run);
      check_written (&first, writer, seed);
    }

  result_clear (&first);
  return 0;
}
