/* test-frame.c: the frame codec, written and read back, and every way a
 * stream can be wrong
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include <smiley.h>
#include <smiley-wire.h>

/* How a test feeds a stream to the reader. */
typedef enum
{
  FEED_ALL,    /* everything at once */
  FEED_BYTES,  /* one byte at a time */
  FEED_CHUNKS, /* pseudo-random pieces of 1..4096 bytes */
  /* Lent in place (smiley_frame_reader_lend()) as more of it arrives, in
   * pieces of several sizes; the unconsumed tail is lent again with the
   * next piece, and what was consumed is overwritten at once. */
  FEED_LEND,
  /* Lent as the tracer's ring reader does, after the frames in the first
   * 256 bytes were fed: at most LEND_LIMIT bytes at a time, or everything
   * readable when that held no whole frame. */
  FEED_LEND_RING,
  /* Received into the reader's own buffer (smiley_frame_reader_reserve()
   * and _commit()), reserving more than arrives; next() is called until
   * it needs more, or only once, in turn, so that some receives find
   * whole frames not decoded yet. */
  FEED_RESERVE,
} FeedMode;

static const FeedMode feed_modes[] = {
  FEED_ALL, FEED_BYTES, FEED_CHUNKS, FEED_LEND, FEED_LEND_RING, FEED_RESERVE,
};

/* The ring reader's MAX_FEED, scaled down to the frames of these tests. */
#define LEND_LIMIT 64

/* ------------------------------------------------------------------ */
/* Building runs                                                        */

static SmileyRun *
make_run (const char *id)
{
  SmileyRun        *run = smiley_run_new (id);
  const char *const argv[] = { "prog.py", "--flag", "ümlaut", NULL };

  smiley_run_set_pid (run, 4242);
  smiley_run_set_start_time (run, G_GINT64_CONSTANT (1700000000123456));
  smiley_run_set_cwd (run, "/home/user/project");
  smiley_run_set_description (run, "prog.py --flag ümlaut");
  smiley_run_set_argv (run, argv);
  smiley_run_set_thread (run, 1, 4242, 4242, "MainThread");
  return run;
}

static void
end_run (SmileyRun *run)
{
  smiley_run_set_end_time (run, G_GINT64_CONSTANT (1700000001123456));
  smiley_run_set_state (run, SMILEY_RUN_FINISHED);
  smiley_run_set_exit_status (run, 3);
  smiley_run_set_signal (run, 0);
  smiley_run_set_error (run, "RuntimeError: boom");
  smiley_run_set_traceback (
      run, "Traceback (most recent call last):\n  File \"prog.py\", line 3\nRuntimeError: boom\n");
  smiley_run_set_events_emitted (run, 12345);
}

/* Adds an event with the given locals ("name", "value" pairs, a NULL
 * value meaning deleted), interning names in @run. */
static void
add_event (SmileyRun *run, SmileyBatch *batch, SmileyEventKind kind, guint32 thread,
           guint64 call_id, const char *file, guint32 line, const char *function, const char *arg,
           guint n_locals, const char **locals)
{
  SmileyLocal l[16];
  SmileyEvent event = {
    .kind = kind,
    .thread = thread,
    .call_id = call_id,
    .parent_call_id = call_id > 0 ? call_id - 1 : 0,
    .depth = (guint32)(call_id % 50),
    .time_ns = (gint64)call_id * 1000 + line,
    .file = smiley_run_intern (run, file),
    .line = line,
    .function = smiley_run_intern (run, function),
    .arg = arg,
    .n_locals = n_locals,
    .locals = l,
  };

  g_assert_cmpuint (n_locals, <=, G_N_ELEMENTS (l));
  for (guint i = 0; i < n_locals; i++)
    {
      l[i].name = smiley_run_intern (run, locals[2 * i]);
      l[i].value = locals[2 * i + 1];
    }
  smiley_batch_add (batch, &event);
}

/* ------------------------------------------------------------------ */
/* Reading streams                                                      */

/* What a pass-through reader reported as SMILEY_FRAME_ENCODED_EVENTS,
 * and the run's table sizes at that moment. */
typedef struct
{
  GBytes *frames; /* a copy, headers included */
  guint   n_events;
  GArray *new_files; /* guint32 */
  guint32 n_strings;
  guint32 n_threads;
  guint   n_sources;
} Span;

static void
span_free (Span *span)
{
  g_bytes_unref (span->frames);
  g_array_unref (span->new_files);
  g_free (span);
}

typedef struct
{
  SmileyRun *run;     /* owned */
  GPtrArray *batches; /* SmileyBatch, as reported */
  gboolean   begun;
  gboolean   ended;
  GError    *error; /* from next() */
  GError    *finish_error;

  /* Pass-through mode (smiley_frame_reader_set_pass_events()): the spans
   * reported, and the stream built again from them the way the socket
   * publisher does: a second writer's RUN_BEGIN, before each span the
   * tables the reader's run gained, the span's bytes, then RUN_END. */
  gboolean           pass;
  GPtrArray         *spans; /* Span */
  SmileyFrameWriter *rewriter;
  GByteArray        *rewrapped;
  /* The same through smiley_frame_writer_push_encoded(), which merges
   * each span's frames, as the socket publisher sends them. */
  SmileyFrameWriter *merger;
  GByteArray        *merged;

  /* While bytes are lent: the producer's memory, which holds the stream
   * at the stream's own offsets, and the part of it that is lent. */
  const guint8 *stream;
  const guint8 *lent_memory;
  gsize         lent_start;
  gsize         lent_end;
} Decoded;

static void
decoded_free (Decoded *d)
{
  g_clear_object (&d->run);
  g_ptr_array_unref (d->batches);
  g_clear_error (&d->error);
  g_clear_error (&d->finish_error);
  g_ptr_array_unref (d->spans);
  smiley_frame_writer_free (d->rewriter);
  g_byte_array_unref (d->rewrapped);
  smiley_frame_writer_free (d->merger);
  g_byte_array_unref (d->merged);
  g_free (d);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Decoded, decoded_free)

static Decoded *
decoded_new (gboolean pass)
{
  Decoded *d = g_new0 (Decoded, 1);

  d->batches = g_ptr_array_new_with_free_func ((GDestroyNotify)smiley_batch_unref);
  d->pass = pass;
  d->spans = g_ptr_array_new_with_free_func ((GDestroyNotify)span_free);
  d->rewriter = smiley_frame_writer_new ();
  d->rewrapped = g_byte_array_new ();
  d->merger = smiley_frame_writer_new ();
  d->merged = g_byte_array_new ();
  return d;
}

static void
append_bytes (GByteArray *array, GBytes *bytes)
{
  gsize         len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  g_byte_array_append (array, data, len);
}

/* How many frames @frames holds; every one must be a whole EVENTS
 * frame. */
static guint
count_events_frames (GBytes *frames)
{
  gsize         len, at;
  const guint8 *data = g_bytes_get_data (frames, &len);
  guint         n = 0;

  for (at = 0; at + SMILEY_WIRE_FRAME_HEADER_SIZE <= len; at += smiley_wire_get_u32 (data + at))
    {
      g_assert_cmpuint (data[at + 4], ==, SMILEY_WIRE_EVENTS);
      g_assert_cmpuint (smiley_wire_get_u32 (data + at), >=, SMILEY_WIRE_FRAME_HEADER_SIZE);
      n++;
    }
  g_assert_cmpuint (at, ==, len);
  return n;
}

/* Copies what the reader just reported as ENCODED_EVENTS, and forwards it
 * to d->rewrapped after the tables it needs. */
static void
take_span (SmileyFrameReader *reader, Decoded *d)
{
  SmileyRun     *run = smiley_frame_reader_get_run (reader);
  Span          *span = g_new0 (Span, 1);
  const guint8  *frames;
  const guint32 *files;
  gsize          length;
  guint          n_files;
  g_autoptr (GBytes) tables = NULL;
  g_autoptr (GBytes) merged = NULL;

  frames = smiley_frame_reader_get_encoded_events (reader, &length, &span->n_events);
  g_assert_nonnull (frames);
  g_assert_cmpuint (length, >, SMILEY_WIRE_FRAME_HEADER_SIZE);
  g_assert_cmpuint (span->n_events, >, 0);
  span->frames = g_bytes_new (frames, length);
  count_events_frames (span->frames);
  if (d->lent_memory != NULL)
    {
      guintptr at = (guintptr)frames;

      /* Passed in place: the lent bytes themselves, not a copy. */
      g_assert_cmpuint (at, >=, (guintptr)(d->lent_memory + d->lent_start));
      g_assert_cmpuint (at + length, <=, (guintptr)(d->lent_memory + d->lent_end));
      g_assert_cmpmem (frames, length, d->stream + (frames - d->lent_memory), length);
    }
  files = smiley_frame_reader_get_new_files (reader, &n_files);
  g_assert_true ((files == NULL) == (n_files == 0));
  span->new_files = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_array_append_vals (span->new_files, files, n_files);
  span->n_strings = smiley_run_get_n_strings (run);
  span->n_threads = smiley_run_get_n_threads (run);
  span->n_sources = smiley_run_get_n_sources (run);
  g_ptr_array_add (d->spans, span);

  smiley_frame_writer_put_tables (d->rewriter, run);
  tables = smiley_frame_writer_take_bytes (d->rewriter);
  append_bytes (d->rewrapped, tables);
  g_byte_array_append (d->rewrapped, frames, length);

  smiley_frame_writer_push_encoded (d->merger, run, frames, length, span->n_events);
  merged = smiley_frame_writer_take_bytes (d->merger);
  append_bytes (d->merged, merged);
}

/* Calls next() until it needs more or @max_messages times, checking the
 * message protocol as it goes. Returns FALSE on error. */
static gboolean
drain_at_most (SmileyFrameReader *reader, Decoded *d, guint max_messages)
{
  for (guint taken = 0; taken < max_messages; taken++)
    {
      SmileyFrameMessage message;
      SmileyBatch       *batch = NULL;

      if (!smiley_frame_reader_next (reader, &message, &batch, &d->error))
        {
          g_assert_null (batch);
          /* The error sticks. */
          {
            GError            *again = NULL;
            SmileyFrameMessage m2;

            g_assert_false (smiley_frame_reader_next (reader, &m2, NULL, &again));
            g_assert_error (again, d->error->domain, d->error->code);
            g_assert_cmpstr (again->message, ==, d->error->message);
            g_error_free (again);
          }
          return FALSE;
        }
      switch (message)
        {
        case SMILEY_FRAME_NEED_MORE:
          g_assert_null (batch);
          /* Nothing is left over from an earlier report. */
          {
            gsize length = 1;
            guint n_events = 1;

            g_assert_null (smiley_frame_reader_get_encoded_events (reader, &length, &n_events));
            g_assert_cmpuint (length, ==, 0);
            g_assert_cmpuint (n_events, ==, 0);
          }
          return TRUE;
        case SMILEY_FRAME_RUN_BEGIN:
          g_assert_null (batch);
          g_assert_false (d->begun);
          d->begun = TRUE;
          g_assert_nonnull (smiley_frame_reader_get_run (reader));
          if (d->pass)
            {
              smiley_frame_writer_begin_run (d->rewriter, smiley_frame_reader_get_run (reader));
              smiley_frame_writer_begin_run (d->merger, smiley_frame_reader_get_run (reader));
            }
          break;
        case SMILEY_FRAME_BATCH:
          g_assert_false (d->pass);
          g_assert_true (d->begun);
          g_assert_false (d->ended);
          g_assert_nonnull (batch);
          g_assert_cmpuint (smiley_batch_get_length (batch), >, 0);
          g_ptr_array_add (d->batches, batch);
          break;
        case SMILEY_FRAME_ENCODED_EVENTS:
          g_assert_true (d->pass);
          g_assert_null (batch);
          g_assert_true (d->begun);
          g_assert_false (d->ended);
          take_span (reader, d);
          break;
        case SMILEY_FRAME_RUN_END:
          g_assert_null (batch);
          g_assert_true (d->begun);
          g_assert_false (d->ended);
          d->ended = TRUE;
          if (d->pass)
            {
              g_autoptr (GBytes) end = NULL;

              smiley_frame_writer_end_run (d->rewriter, smiley_frame_reader_get_run (reader));
              end = smiley_frame_writer_take_bytes (d->rewriter);
              append_bytes (d->rewrapped, end);
              g_clear_pointer (&end, g_bytes_unref);
              smiley_frame_writer_end_run (d->merger, smiley_frame_reader_get_run (reader));
              end = smiley_frame_writer_take_bytes (d->merger);
              append_bytes (d->merged, end);
            }
          break;
        default:
          g_assert_not_reached ();
        }
    }
  return TRUE;
}

/* Drains next() the way every consumer does. Returns FALSE on error. */
static gboolean
drain (SmileyFrameReader *reader, Decoded *d)
{
  return drain_at_most (reader, d, G_MAXUINT);
}

/* Where the last whole frame of the stream's first @end bytes ends: as
 * much as a reader lent them can consume (the stream header counts as a
 * frame). */
static gsize
whole_frames_end (const guint8 *data, gsize end)
{
  gsize at = SMILEY_WIRE_STREAM_HEADER_SIZE;

  if (end < at)
    return 0;
  while (end - at >= SMILEY_WIRE_FRAME_HEADER_SIZE)
    {
      guint32 size = smiley_wire_get_u32 (data + at);

      if (size < SMILEY_WIRE_FRAME_HEADER_SIZE || size > end - at)
        break;
      at += size;
    }
  return at;
}

/* Lends @ring[*start, @end) to the reader and drains it. Unless the
 * reader failed, it must consume exactly the whole frames there; those
 * are overwritten, as a ring's producer may do at once, and *start moves
 * past them. Returns FALSE on error, and how much was consumed. */
static gboolean
lend_and_drain (SmileyFrameReader *reader, Decoded *d, guint8 *ring, gsize *start, gsize end,
                gsize *consumed)
{
  gboolean ok;

  d->lent_memory = ring;
  d->lent_start = *start;
  d->lent_end = end;
  smiley_frame_reader_lend (reader, ring + *start, end - *start);
  g_assert_cmpuint (smiley_frame_reader_get_buffered (reader), ==, end - *start);
  ok = drain (reader, d);
  *consumed = smiley_frame_reader_take_back (reader);
  d->lent_memory = NULL;
  g_assert_cmpuint (smiley_frame_reader_get_buffered (reader), ==, 0);
  if (ok)
    g_assert_cmpuint (*start + *consumed, ==, whole_frames_end (d->stream, end));
  memset (ring + *start, 0xa5, *consumed);
  *start += *consumed;
  return ok;
}

/* FEED_LEND and FEED_LEND_RING: bytes arrive in a ring at their stream
 * offsets and are lent from there; an incomplete frame left at the end is
 * fed, so that finish() can say where the stream was cut. */
static void
lend_stream (SmileyFrameReader *reader, Decoded *d, const guint8 *data, gsize len, FeedMode mode,
             GRand *rand)
{
  const gsize        sizes[] = { 1, 7, 100, 4096, 65536 };
  g_autofree guint8 *ring = g_malloc (len + 1);
  gsize              start = 0, written = 0, limit = LEND_LIMIT, consumed;
  guint              step = 0;

  /* Not written yet: garbage, not the stream. */
  memset (ring, 0x5a, len + 1);
  d->stream = data;
  if (mode == FEED_LEND_RING)
    {
      /* The tracer's source feeds the stream header and RUN_BEGIN before
       * it lends the ring: stream offsets go on from there. */
      start = written = whole_frames_end (data, MIN (len, 256));
      smiley_frame_reader_feed (reader, data, start);
      if (!drain (reader, d))
        return;
    }
  while (written < len || (mode == FEED_LEND_RING && start < written))
    {
      gsize n;

      if (written < len)
        {
          n = mode == FEED_LEND ? sizes[step++ % G_N_ELEMENTS (sizes)]
                                : (gsize)g_rand_int_range (rand, 1, 4097);
          n = MIN (n, len - written);
          memcpy (ring + written, data + written, n);
          written += n;
        }
      if (mode == FEED_LEND)
        {
          if (!lend_and_drain (reader, d, ring, &start, written, &consumed))
            return;
          continue;
        }

      /* The ring reader: a frame larger than the limit gets all there
       * is, once the limit held no whole frame. */
      n = MIN (written - start, limit);
      if (!lend_and_drain (reader, d, ring, &start, start + n, &consumed))
        return;
      if (consumed == 0 && start + n == written && written == len)
        break; /* an incomplete frame at the very end */
      limit = consumed > 0 ? LEND_LIMIT : written - start;
    }

  if (start < len)
    {
      smiley_frame_reader_feed (reader, data + start, len - start);
      drain (reader, d);
    }
}

/* Decodes a stream, or with @pass reads it in pass-through mode. */
static Decoded *
decode_stream (const guint8 *data, gsize len, FeedMode mode, guint max_batch, gsize max_frame_size,
               gboolean pass)
{
  g_autoptr (SmileyFrameReader) reader = smiley_frame_reader_new (max_frame_size);
  Decoded *d = decoded_new (pass);
  GRand   *rand = g_rand_new_with_seed (len);
  gsize    at = 0;

  smiley_frame_reader_set_max_batch (reader, max_batch);
  smiley_frame_reader_set_pass_events (reader, pass);

  if (mode == FEED_LEND || mode == FEED_LEND_RING)
    lend_stream (reader, d, data, len, mode, rand);
  else
    while (at < len)
      {
        gsize n;
        guint max_messages;

        switch (mode)
          {
          case FEED_ALL:
            n = len;
            break;
          case FEED_BYTES:
            n = 1;
            break;
          case FEED_CHUNKS:
          case FEED_RESERVE:
          default:
            n = g_rand_int_range (rand, 1, 4097);
            break;
          }
        n = MIN (n, len - at);
        if (mode == FEED_RESERVE)
          {
            gsize   extra = g_rand_int_range (rand, 0, 100);
            guint8 *room = smiley_frame_reader_reserve (reader, n + extra);

            memcpy (room, data + at, n);
            /* What the receive did not fill must not be decoded. */
            memset (room + n, 0xa5, extra);
            smiley_frame_reader_commit (reader, n);
          }
        else
          smiley_frame_reader_feed (reader, data + at, n);
        at += n;
        /* Received bytes may wait behind frames not decoded yet, but not
         * the last ones. */
        max_messages = mode == FEED_RESERVE && at < len && g_rand_boolean (rand) ? 1 : G_MAXUINT;
        if (!drain_at_most (reader, d, max_messages))
          break;
      }
  if (d->error == NULL)
    smiley_frame_reader_finish (reader, &d->finish_error);
  if (smiley_frame_reader_get_run (reader) != NULL)
    d->run = g_object_ref (smiley_frame_reader_get_run (reader));
  g_rand_free (rand);
  return d;
}

static Decoded *
decode_full (const guint8 *data, gsize len, FeedMode mode, guint max_batch, gsize max_frame_size)
{
  return decode_stream (data, len, mode, max_batch, max_frame_size, FALSE);
}

static Decoded *
decode (GBytes *bytes, FeedMode mode, guint max_batch)
{
  gsize         len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  return decode_full (data, len, mode, max_batch, 0);
}

/* ------------------------------------------------------------------ */
/* Comparing                                                            */

static void
assert_stats_equal (SmileyStats *a, SmileyStats *b)
{
  if (a == NULL || b == NULL)
    {
      g_assert_true (a == b);
      return;
    }
  g_assert_true (smiley_stats_equal (a, b));
}

/* Everything but the end data, which only RUN_END carries. */
static void
assert_run_tables_equal (SmileyRun *a, SmileyRun *b)
{
  const char *const *argv_a = smiley_run_get_argv (a);
  const char *const *argv_b = smiley_run_get_argv (b);

  g_assert_cmpstr (smiley_run_get_id (a), ==, smiley_run_get_id (b));
  g_assert_cmpuint (smiley_run_get_pid (a), ==, smiley_run_get_pid (b));
  g_assert_cmpint (smiley_run_get_start_time (a), ==, smiley_run_get_start_time (b));
  /* The wire has no NULL cwd or description: they arrive as "". */
  g_assert_cmpstr (smiley_run_get_cwd (a) ? smiley_run_get_cwd (a) : "", ==,
                   smiley_run_get_cwd (b));
  g_assert_cmpstr (smiley_run_get_description (a) ? smiley_run_get_description (a) : "", ==,
                   smiley_run_get_description (b));
  g_assert_nonnull (argv_b);
  if (argv_a == NULL)
    g_assert_null (argv_b[0]);
  else
    g_assert_true (g_strv_equal ((const char *const *)argv_a, (const char *const *)argv_b));

  g_assert_cmpuint (smiley_run_get_n_strings (a), ==, smiley_run_get_n_strings (b));
  for (guint32 i = 0; i < smiley_run_get_n_strings (a); i++)
    g_assert_cmpstr (smiley_run_get_string (a, i), ==, smiley_run_get_string (b, i));

  g_assert_cmpuint (smiley_run_get_n_threads (a), ==, smiley_run_get_n_threads (b));
  for (guint32 i = 1; i <= smiley_run_get_n_threads (a); i++)
    {
      const SmileyThread *x = smiley_run_get_thread (a, i);
      const SmileyThread *y = smiley_run_get_thread (b, i);

      g_assert_nonnull (x);
      g_assert_nonnull (y);
      g_assert_cmpuint (x->id, ==, y->id);
      g_assert_cmpuint (x->pid, ==, y->pid);
      g_assert_cmpuint (x->native_id, ==, y->native_id);
      g_assert_cmpstr (x->name, ==, y->name);
    }

  g_assert_cmpuint (smiley_run_get_n_sources (a), ==, smiley_run_get_n_sources (b));
  for (guint i = 0; i < smiley_run_get_n_sources (a); i++)
    {
      guint32 fa, fb;
      GBytes *ca = smiley_run_get_source (a, i, &fa);
      GBytes *cb = smiley_run_get_source (b, i, &fb);

      g_assert_cmpuint (fa, ==, fb);
      g_assert_true (g_bytes_equal (ca, cb));
    }
  assert_stats_equal (smiley_run_get_stats (a), smiley_run_get_stats (b));
}

static void
assert_run_equal (SmileyRun *a, SmileyRun *b)
{
  assert_run_tables_equal (a, b);
  g_assert_cmpint (smiley_run_get_end_time (a), ==, smiley_run_get_end_time (b));
  g_assert_cmpint (smiley_run_get_state (a), ==, smiley_run_get_state (b));
  g_assert_cmpint (smiley_run_get_exit_status (a), ==, smiley_run_get_exit_status (b));
  g_assert_cmpint (smiley_run_get_signal (a), ==, smiley_run_get_signal (b));
  g_assert_cmpstr (smiley_run_get_error (a), ==, smiley_run_get_error (b));
  g_assert_cmpstr (smiley_run_get_traceback (a), ==, smiley_run_get_traceback (b));
  g_assert_cmpuint (smiley_run_get_events_emitted (a), ==, smiley_run_get_events_emitted (b));
}

/* All events of @batches, in order, as one batch. */
static SmileyBatch *
concat (GPtrArray *batches)
{
  SmileyBatch *all = smiley_batch_new ();

  for (guint i = 0; i < batches->len; i++)
    {
      SmileyBatch *batch = g_ptr_array_index (batches, i);

      for (guint e = 0; e < smiley_batch_get_length (batch); e++)
        smiley_batch_add (all, smiley_batch_get_event (batch, e));
    }
  return all;
}

/* Field by field, with messages that say which field differs, so a
 * failure points at the codec's bug rather than "not equal". */
static void
assert_batch_equal (SmileyBatch *a, SmileyBatch *b)
{
  g_assert_cmpuint (smiley_batch_get_length (a), ==, smiley_batch_get_length (b));
  for (guint i = 0; i < smiley_batch_get_length (a); i++)
    {
      const SmileyEvent *x = smiley_batch_get_event (a, i);
      const SmileyEvent *y = smiley_batch_get_event (b, i);

      g_assert_cmpint (x->kind, ==, y->kind);
      g_assert_cmpuint (x->thread, ==, y->thread);
      g_assert_cmpuint (x->call_id, ==, y->call_id);
      g_assert_cmpuint (x->parent_call_id, ==, y->parent_call_id);
      g_assert_cmpuint (x->depth, ==, y->depth);
      g_assert_cmpint (x->time_ns, ==, y->time_ns);
      g_assert_cmpuint (x->file, ==, y->file);
      g_assert_cmpuint (x->line, ==, y->line);
      g_assert_cmpuint (x->function, ==, y->function);
      g_assert_cmpstr (x->arg, ==, y->arg);
      g_assert_cmpuint (x->n_locals, ==, y->n_locals);
      for (guint l = 0; l < x->n_locals; l++)
        {
          g_assert_cmpuint (x->locals[l].name, ==, y->locals[l].name);
          g_assert_cmpstr (x->locals[l].value, ==, y->locals[l].value);
        }
    }
  g_assert_true (smiley_batch_equal (a, b));
}

/* The same batches, one for one. */
static void
assert_batches_equal (GPtrArray *want, GPtrArray *got)
{
  g_assert_cmpuint (got->len, ==, want->len);
  for (guint i = 0; i < want->len; i++)
    assert_batch_equal (g_ptr_array_index (want, i), g_ptr_array_index (got, i));
}

/* Encodes @run with @batches pushed one by one (the run's tables as they
 * are now, since the helpers intern before pushing). */
static GBytes *
encode (SmileyRun *run, GPtrArray *batches, gboolean with_end)
{
  g_autoptr (SmileyFrameWriter) writer = smiley_frame_writer_new ();

  smiley_frame_writer_begin_run (writer, run);
  for (guint i = 0; batches != NULL && i < batches->len; i++)
    smiley_frame_writer_push (writer, run, g_ptr_array_index (batches, i));
  if (with_end)
    smiley_frame_writer_end_run (writer, run);
  return smiley_frame_writer_take_bytes (writer);
}

/* The EVENTS frames of the whole stream @bytes, concatenated, and how many
 * runs of consecutive EVENTS frames there are between the other frames. */
static GByteArray *
stream_events_frames (GBytes *bytes, guint *n_runs)
{
  gsize         len, at;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  GByteArray   *frames = g_byte_array_new ();
  gboolean      in_run = FALSE;

  *n_runs = 0;
  for (at = SMILEY_WIRE_STREAM_HEADER_SIZE; at < len; at += smiley_wire_get_u32 (data + at))
    {
      gboolean events = data[at + 4] == SMILEY_WIRE_EVENTS;

      if (events)
        g_byte_array_append (frames, data + at, smiley_wire_get_u32 (data + at));
      if (events && !in_run)
        (*n_runs)++;
      in_run = events;
    }
  g_assert_cmpuint (at, ==, len);
  return frames;
}

/* Reads @bytes in pass-through mode and checks that the spans are the
 * stream's EVENTS frames byte for byte, cut only at other frames and at
 * @max_batch, each with the files its events are the first in; and that
 * the stream rebuilt from them decodes to @run and @nonempty, frame for
 * frame. */
static void
assert_pass_through (GBytes *bytes, SmileyRun *run, GPtrArray *nonempty, FeedMode mode,
                     guint max_batch)
{
  g_autoptr (SmileyBatch) expected = concat (nonempty);
  g_autoptr (Decoded) d = decode_stream (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                         mode, max_batch, 0, TRUE);
  g_autoptr (Decoded) again = NULL;
  g_autoptr (GByteArray) events_frames = NULL;
  g_autoptr (GByteArray) passed = g_byte_array_new ();
  g_autoptr (GHashTable) seen = g_hash_table_new (NULL, NULL);
  guint n_runs, at = 0;

  g_assert_no_error (d->error);
  g_assert_no_error (d->finish_error);
  g_assert_true (d->ended);
  assert_run_equal (run, d->run);

  for (guint s = 0; s < d->spans->len; s++)
    {
      Span *span = g_ptr_array_index (d->spans, s);
      g_autoptr (GArray) new_files = g_array_new (FALSE, FALSE, sizeof (guint32));

      append_bytes (passed, span->frames);
      /* Up to max_batch events, unless one frame alone holds more. */
      if (max_batch == 0 || span->n_events > max_batch)
        g_assert_cmpuint (count_events_frames (span->frames), ==, 1);

      g_assert_cmpuint (at + span->n_events, <=, smiley_batch_get_length (expected));
      for (guint e = at; e < at + span->n_events; e++)
        {
          guint32 file = smiley_batch_get_event (expected, e)->file;

          if (g_hash_table_add (seen, GUINT_TO_POINTER (file)))
            g_array_append_val (new_files, file);
        }
      at += span->n_events;
      g_assert_cmpmem (span->new_files->data, span->new_files->len * sizeof (guint32),
                       new_files->data, new_files->len * sizeof (guint32));
    }
  g_assert_cmpuint (at, ==, smiley_batch_get_length (expected));

  events_frames = stream_events_frames (bytes, &n_runs);
  g_assert_cmpmem (passed->data, passed->len, events_frames->data, events_frames->len);
  /* Fed whole, frames are only cut where they must be. */
  if (mode == FEED_ALL && at <= max_batch)
    g_assert_cmpuint (d->spans->len, ==, n_runs);

  again = decode_full (d->rewrapped->data, d->rewrapped->len, FEED_ALL, 0, 0);
  g_assert_no_error (again->error);
  g_assert_no_error (again->finish_error);
  g_assert_true (again->ended);
  assert_run_equal (run, again->run);
  assert_batches_equal (nonempty, again->batches);

  /* Merged: the same run and events, one EVENTS frame per span (these
   * spans are far below the 1 MiB a merged frame may reach). */
  {
    g_autoptr (Decoded) merged = decode_full (d->merged->data, d->merged->len, FEED_ALL, 0, 0);
    g_autoptr (SmileyBatch) got = NULL;
    g_autoptr (GBytes) merged_bytes = g_bytes_new (d->merged->data, d->merged->len);
    guint n_merged_runs;
    g_autoptr (GByteArray) merged_frames = stream_events_frames (merged_bytes, &n_merged_runs);
    g_autoptr (GBytes) merged_frames_bytes = g_bytes_new (merged_frames->data, merged_frames->len);

    g_assert_no_error (merged->error);
    g_assert_no_error (merged->finish_error);
    g_assert_true (merged->ended);
    assert_run_equal (run, merged->run);
    got = concat (merged->batches);
    assert_batch_equal (expected, got);
    g_assert_cmpuint (count_events_frames (merged_frames_bytes), ==, d->spans->len);
  }
}

/* Round-trips in every feeding mode, with and without merging, and checks
 * every field of the run and every event back. With merging off, batch
 * boundaries must be the pushed ones (frames never merge or split for
 * batches this small). */
static void
assert_roundtrip (SmileyRun *run, GPtrArray *batches)
{
  g_autoptr (GBytes) bytes = encode (run, batches, TRUE);
  g_autoptr (GPtrArray) nonempty = g_ptr_array_new ();
  g_autoptr (SmileyBatch) expected = NULL;
  const guint max_batches[] = { 0, 1, 7, 100000 };

  for (guint i = 0; batches != NULL && i < batches->len; i++)
    if (smiley_batch_get_length (g_ptr_array_index (batches, i)) > 0)
      g_ptr_array_add (nonempty, g_ptr_array_index (batches, i));
  expected = concat (nonempty);

  for (guint m = 0; m < G_N_ELEMENTS (feed_modes); m++)
    for (guint b = 0; b < G_N_ELEMENTS (max_batches); b++)
      {
        g_autoptr (Decoded) d = NULL;
        g_autoptr (SmileyBatch) got = NULL;

        /* Byte by byte is slow for big streams and adds nothing there. */
        if (feed_modes[m] == FEED_BYTES && g_bytes_get_size (bytes) > 2 * 1024 * 1024)
          continue;
        d = decode (bytes, feed_modes[m], max_batches[b]);
        g_assert_no_error (d->error);
        g_assert_no_error (d->finish_error);
        g_assert_true (d->begun);
        g_assert_true (d->ended);
        assert_run_equal (run, d->run);

        got = concat (d->batches);
        assert_batch_equal (expected, got);

        if (max_batches[b] == 0)
          assert_batches_equal (nonempty, d->batches);
        else
          {
            /* Merged batches hold up to max_batch events, unless one
             * frame alone is larger. */
            for (guint i = 0; i < d->batches->len; i++)
              {
                guint n = smiley_batch_get_length (g_ptr_array_index (d->batches, i));

                if (n > max_batches[b])
                  g_assert_cmpuint (n, <=, 1000);
              }
            if (feed_modes[m] == FEED_ALL && max_batches[b] == 100000)
              g_assert_cmpuint (d->batches->len, <=, 1);
          }

        assert_pass_through (bytes, run, nonempty, feed_modes[m], max_batches[b]);
      }
}

static GPtrArray *
batches_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify)smiley_batch_unref);
}

/* ------------------------------------------------------------------ */
/* Round trips                                                          */

static void
test_empty_run (void)
{
  g_autoptr (SmileyRun) run = smiley_run_new ("empty");

  /* Nothing set at all: no cwd, no argv, no threads, no end data. */
  assert_roundtrip (run, NULL);
}

static void
test_no_events (void)
{
  g_autoptr (SmileyRun) run = make_run ("no-events");
  g_autoptr (GPtrArray) batches = batches_new ();
  g_autoptr (GBytes) source = g_bytes_new_static ("print('hi')\n", 12);

  smiley_run_intern (run, "prog.py");
  smiley_run_add_source (run, smiley_run_intern (run, "prog.py"), source);
  g_ptr_array_add (batches, smiley_batch_new ());
  end_run (run);
  assert_roundtrip (run, batches);
}

static void
test_every_kind (void)
{
  g_autoptr (SmileyRun) run = make_run ("every-kind");
  g_autoptr (GPtrArray) batches = batches_new ();
  SmileyBatch *batch = smiley_batch_new ();
  const char  *locals[] = { "a", "1", "b", "'two'", "c", "[3]" };

  g_ptr_array_add (batches, batch);
  for (guint kind = SMILEY_EVENT_CALL; kind <= SMILEY_EVENT_KIND_LAST; kind++)
    add_event (run, batch, kind, 1, kind, "prog.py", kind * 10, "main",
               kind == SMILEY_EVENT_RETURN      ? "42"
               : kind == SMILEY_EVENT_EXCEPTION ? "ValueError: bad"
                                                : NULL,
               kind % 4, locals);
  end_run (run);
  assert_roundtrip (run, batches);
}

static void
test_huge_values (void)
{
  g_autoptr (SmileyRun) run = smiley_run_new ("huge");
  g_autoptr (GPtrArray) batches = batches_new ();
  g_autoptr (SmileyStats) stats = smiley_stats_new ();
  SmileyBatch      *batch = smiley_batch_new ();
  SmileyStatsCaller caller = { 0, G_MAXUINT64, G_MAXUINT64 - 1, G_MININT64, G_MAXINT64 };
  g_autofree char  *big = g_strnfill (300000, 'x');
  SmileyLocal       local = { 0, big };
  SmileyEvent       event = {
          .kind = SMILEY_EVENT_C_EXCEPTION,
          .thread = G_MAXUINT32,
          .call_id = G_MAXUINT64,
          .parent_call_id = G_MAXUINT64 - 1,
          .depth = G_MAXUINT32,
          .time_ns = G_MAXINT64,
          .line = G_MAXUINT32,
          .arg = big,
          .n_locals = 1,
          .locals = &local,
  };
  guint e;

  smiley_run_set_pid (run, G_MAXUINT32);
  smiley_run_set_start_time (run, G_MININT64);
  /* Thread ids are dense, so the largest one a test can afford is small;
   * the 32-bit range of the field is covered by the decoder's checks. */
  smiley_run_set_thread (run, 1, G_MAXUINT32, G_MAXUINT64, "");
  event.thread = 1;
  event.file = smiley_run_intern (run, "f");
  event.function = smiley_run_intern (run, "g");
  local.name = smiley_run_intern (run, "v");
  smiley_batch_add (batch, &event);
  event.time_ns = -1; /* round-trips through the unsigned field */
  event.call_id = 0;
  smiley_batch_add (batch, &event);

  e = smiley_stats_add_entry (stats, "~", 0, "<built-in method builtins.len>");
  smiley_stats_get_entry (stats, e)->ncalls = G_MAXUINT64;
  smiley_stats_get_entry (stats, e)->primcalls = G_MAXUINT64;
  smiley_stats_get_entry (stats, e)->tottime_ns = G_MININT64;
  smiley_stats_get_entry (stats, e)->cumtime_ns = G_MAXINT64;
  smiley_stats_add_entry (stats, "f", G_MAXUINT32, "g");
  smiley_stats_add_caller (stats, 0, &caller);
  smiley_run_set_stats (run, stats);

  g_ptr_array_add (batches, batch);
  smiley_run_set_end_time (run, G_MAXINT64);
  smiley_run_set_state (run, SMILEY_RUN_ABNORMAL);
  smiley_run_set_exit_status (run, G_MININT);
  smiley_run_set_signal (run, G_MAXINT);
  smiley_run_set_events_emitted (run, G_MAXUINT64);
  assert_roundtrip (run, batches);
}

static void
test_unicode (void)
{
  g_autoptr (SmileyRun) run = smiley_run_new ("unicode");
  g_autoptr (GPtrArray) batches = batches_new ();
  SmileyBatch      *batch = smiley_batch_new ();
  const char       *locals[] = { "名前", "'値 — ☃'", "émoji", "'🐍🐍'" };
  const char *const argv[] = { "プログラム.py", "Ω", NULL };

  smiley_run_set_description (run, "Ünïcödé ☃ run 🐍");
  smiley_run_set_cwd (run, "/tmp/ディレクトリ");
  smiley_run_set_argv (run, argv);
  smiley_run_set_thread (run, 1, 1, 1, "Поток-1");
  add_event (run, batch, SMILEY_EVENT_CALL, 1, 1, "/tmp/ディレクトリ/プログラム.py", 1, "функция",
             NULL, 2, locals);
  add_event (run, batch, SMILEY_EVENT_RETURN, 1, 1, "/tmp/ディレクトリ/プログラム.py", 2, "функция",
             "'結果'", 0, NULL);
  g_ptr_array_add (batches, batch);
  smiley_run_set_error (run, "KeyError: 'ключ'");
  assert_roundtrip (run, batches);
}

static void
test_many_threads (void)
{
  g_autoptr (SmileyRun) run = make_run ("threads");
  g_autoptr (GPtrArray) batches = batches_new ();

  for (guint round = 0; round < 5; round++)
    {
      SmileyBatch *batch = smiley_batch_new ();

      /* New threads each round, and renames of old ones (including a
       * change of pid and native id, as after a fork). */
      for (guint t = round * 300 + 1; t <= (round + 1) * 300; t++)
        {
          g_autofree char *name = g_strdup_printf ("Thread-%u", t);

          smiley_run_set_thread (run, t, 4242, 100000 + t, name);
        }
      if (round > 0)
        {
          g_autofree char *name = g_strdup_printf ("renamed in round %u", round);

          smiley_run_set_thread (run, round, 4242, 100000 + round, name);
          smiley_run_set_thread (run, round + 1, 5000 + round, 7, name);
        }
      for (guint t = 1; t <= smiley_run_get_n_threads (run); t += 97)
        add_event (run, batch, SMILEY_EVENT_LINE, t, t, "prog.py", round, "worker", NULL, 0, NULL);
      g_ptr_array_add (batches, batch);
    }
  end_run (run);
  assert_roundtrip (run, batches);
}

/* A rename is sent even when it is the only change between pushes, and
 * the reader's run shows the new name from that point on. */
static void
test_thread_rename_between_pushes (void)
{
  g_autoptr (SmileyRun) run = make_run ("rename");
  g_autoptr (SmileyFrameWriter) writer = smiley_frame_writer_new ();
  g_autoptr (SmileyFrameReader) reader = smiley_frame_reader_new (0);
  g_autoptr (SmileyBatch) batch = smiley_batch_new ();
  g_autoptr (GBytes) first = NULL;
  g_autoptr (GBytes) second = NULL;
  g_autoptr (GBytes) third = NULL;
  SmileyFrameMessage message;
  SmileyBatch       *got = NULL;
  GError            *error = NULL;

  add_event (run, batch, SMILEY_EVENT_CALL, 1, 1, "prog.py", 1, "main", NULL, 0, NULL);
  smiley_frame_writer_begin_run (writer, run);
  smiley_frame_writer_push (writer, run, batch);
  first = smiley_frame_writer_take_bytes (writer);
  g_assert_cmpuint (smiley_frame_writer_get_pending (writer), ==, 0);

  smiley_frame_reader_feed (reader, g_bytes_get_data (first, NULL), g_bytes_get_size (first));
  g_assert_true (smiley_frame_reader_next (reader, &message, &got, &error));
  g_assert_cmpint (message, ==, SMILEY_FRAME_RUN_BEGIN);
  g_assert_true (smiley_frame_reader_next (reader, &message, &got, &error));
  g_assert_cmpint (message, ==, SMILEY_FRAME_BATCH);
  g_clear_pointer (&got, smiley_batch_unref);
  g_assert_cmpstr (smiley_run_get_thread (smiley_frame_reader_get_run (reader), 1)->name, ==,
                   "MainThread");

  /* Nothing changed: a push of an empty batch sends nothing at all. */
  smiley_batch_clear (batch);
  smiley_frame_writer_push (writer, run, batch);
  g_assert_cmpuint (smiley_frame_writer_get_pending (writer), ==, 0);

  smiley_run_set_thread (run, 1, 4242, 4242, "Renamed");
  smiley_frame_writer_push (writer, run, batch);
  second = smiley_frame_writer_take_bytes (writer);
  g_assert_cmpuint (g_bytes_get_size (second), >, 0);
  smiley_frame_reader_feed (reader, g_bytes_get_data (second, NULL), g_bytes_get_size (second));
  g_assert_true (smiley_frame_reader_next (reader, &message, &got, &error));
  g_assert_no_error (error);
  g_assert_cmpint (message, ==, SMILEY_FRAME_NEED_MORE);
  g_assert_cmpstr (smiley_run_get_thread (smiley_frame_reader_get_run (reader), 1)->name, ==,
                   "Renamed");

  smiley_frame_writer_end_run (writer, run);
  third = smiley_frame_writer_take_bytes (writer);
  smiley_frame_reader_feed (reader, g_bytes_get_data (third, NULL), g_bytes_get_size (third));
  g_assert_true (smiley_frame_reader_next (reader, &message, &got, &error));
  g_assert_cmpint (message, ==, SMILEY_FRAME_RUN_END);
  g_assert_true (smiley_frame_reader_finish (reader, &error));
  g_assert_no_error (error);
}

/* A run whose thread table has a gap (id 3 set before 2) still makes a
 * valid stream: the gap goes out as a nameless thread, and when thread 2
 * is set later it goes out as a change. */
static void
test_thread_gap (void)
{
  g_autoptr (SmileyRun) run = make_run ("gap");
  g_autoptr (GPtrArray) batches = batches_new ();
  SmileyBatch *batch = smiley_batch_new ();
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (Decoded) d = NULL;

  smiley_run_set_thread (run, 3, 4242, 3, "Third");
  add_event (run, batch, SMILEY_EVENT_CALL, 3, 1, "prog.py", 1, "t", NULL, 0, NULL);
  g_ptr_array_add (batches, batch);
  batch = smiley_batch_new ();
  smiley_run_set_thread (run, 2, 4242, 2, "Second");
  add_event (run, batch, SMILEY_EVENT_CALL, 2, 2, "prog.py", 1, "t", NULL, 0, NULL);
  g_ptr_array_add (batches, batch);

  bytes = encode (run, batches, TRUE);
  d = decode (bytes, FEED_CHUNKS, 0);
  g_assert_no_error (d->error);
  g_assert_true (d->ended);
  g_assert_cmpuint (smiley_run_get_n_threads (d->run), ==, 3);
  g_assert_cmpstr (smiley_run_get_thread (d->run, 2)->name, ==, "Second");
  g_assert_cmpstr (smiley_run_get_thread (d->run, 3)->name, ==, "Third");
  g_assert_cmpuint (d->batches->len, ==, 2);
}

/* More strings than one STRINGS frame takes: the table is cut into
 * several frames, in order. */
static void
test_many_strings (void)
{
  g_autoptr (SmileyRun) run = make_run ("strings");
  g_autoptr (GPtrArray) batches = batches_new ();
  SmileyBatch *batch = smiley_batch_new ();
  g_autoptr (GBytes) bytes = NULL;
  const guint8 *data;
  gsize         len, at;
  guint         n_strings_frames = 0;

  for (guint i = 0; i < 60000; i++)
    {
      g_autofree char *name = g_strdup_printf ("/a/rather/long/path/to/some/module/number_%06u/"
                                               "with/more/directories/inside.py",
                                               i);

      smiley_run_intern (run, name);
    }
  add_event (run, batch, SMILEY_EVENT_CALL, 1, 1, "last.py", 1, "f", NULL, 0, NULL);
  g_ptr_array_add (batches, batch);
  end_run (run);

  bytes = encode (run, batches, TRUE);
  data = g_bytes_get_data (bytes, &len);
  for (at = SMILEY_WIRE_STREAM_HEADER_SIZE; at < len; at += smiley_wire_get_u32 (data + at))
    if (data[at + 4] == SMILEY_WIRE_STRINGS)
      {
        g_assert_cmpuint (smiley_wire_get_u32 (data + at), <=, 4 * 1024 * 1024 + 64);
        n_strings_frames++;
      }
  g_assert_cmpuint (n_strings_frames, >=, 2);
  assert_roundtrip (run, batches);
}

static void
test_sources (void)
{
  g_autoptr (SmileyRun) run = make_run ("sources");
  g_autoptr (GPtrArray) batches = batches_new ();
  g_autoptr (GBytes) empty = g_bytes_new (NULL, 0);
  static const char binary_data[] = "\0\xff\xfe not utf-8 \x80";
  g_autoptr (GBytes) binary = g_bytes_new (binary_data, sizeof binary_data - 1);
  g_autoptr (GString) large = g_string_new (NULL);
  g_autoptr (GBytes) large_bytes = NULL;
  SmileyBatch *batch;

  for (guint i = 0; i < 20000; i++)
    g_string_append_printf (large, "line_%u = %u  # ünïcode\n", i, i * i);
  large_bytes = g_string_free_to_bytes (g_steal_pointer (&large));

  smiley_run_add_source (run, smiley_run_intern (run, "empty.py"), empty);
  smiley_run_add_source (run, smiley_run_intern (run, "binary.py"), binary);
  batch = smiley_batch_new ();
  add_event (run, batch, SMILEY_EVENT_LINE, 1, 1, "empty.py", 1, "<module>", NULL, 0, NULL);
  g_ptr_array_add (batches, batch);
  /* Sources added after the first push go with the next one… */
  smiley_run_add_source (run, smiley_run_intern (run, "large.py"), large_bytes);
  batch = smiley_batch_new ();
  add_event (run, batch, SMILEY_EVENT_LINE, 1, 2, "large.py", 1, "<module>", NULL, 0, NULL);
  g_ptr_array_add (batches, batch);
  /* …and the same file twice (content changed) stays two sources. */
  smiley_run_add_source (run, smiley_run_intern (run, "empty.py"), binary);
  end_run (run);
  assert_roundtrip (run, batches);
}

static void
test_stats (void)
{
  g_autoptr (SmileyRun) run = make_run ("stats");
  g_autoptr (SmileyStats) stats = smiley_stats_new ();

  for (guint i = 0; i < 50; i++)
    {
      g_autofree char  *function = g_strdup_printf ("f%u", i);
      guint             e = smiley_stats_add_entry (stats, i % 5 ? "prog.py" : "~", i, function);
      SmileyStatsEntry *entry = smiley_stats_get_entry (stats, e);

      entry->ncalls = i * 3;
      entry->primcalls = i * 2;
      entry->tottime_ns = i * 1000;
      entry->cumtime_ns = i * 5000 - 7;
    }
  for (guint i = 0; i < 50; i++)
    for (guint k = 0; k < i % 4; k++)
      {
        /* Callers both before and after the callee: forward references. */
        SmileyStatsCaller caller = { (i * 7 + k * 13) % 50, i + k, k, -(gint64)i, i * 2 };

        smiley_stats_add_caller (stats, i, &caller);
      }
  smiley_run_set_stats (run, stats);
  end_run (run);
  assert_roundtrip (run, NULL);
}

static void
test_empty_stats (void)
{
  g_autoptr (SmileyRun) run = make_run ("stats-empty");
  g_autoptr (SmileyStats) stats = smiley_stats_new ();

  smiley_run_set_stats (run, stats);
  assert_roundtrip (run, NULL);
}

static void
test_deleted_locals (void)
{
  g_autoptr (SmileyRun) run = make_run ("deleted");
  g_autoptr (GPtrArray) batches = batches_new ();
  SmileyBatch *batch = smiley_batch_new ();
  const char  *call[] = { "x", "1", "y", "''" };
  const char  *del[] = { "x", NULL, "y", "'now set'", "z", NULL };

  add_event (run, batch, SMILEY_EVENT_CALL, 1, 1, "prog.py", 1, "f", NULL, 2, call);
  add_event (run, batch, SMILEY_EVENT_LINE, 1, 1, "prog.py", 2, "f", NULL, 3, del);
  /* An empty string is not NULL, in arg as in values. */
  add_event (run, batch, SMILEY_EVENT_RETURN, 1, 1, "prog.py", 3, "f", "", 0, NULL);
  g_ptr_array_add (batches, batch);
  end_run (run);
  assert_roundtrip (run, batches);
}

static void
test_many_batches (void)
{
  g_autoptr (SmileyRun) run = make_run ("many-batches");
  g_autoptr (GPtrArray) batches = batches_new ();
  guint64 call = 1;

  for (guint b = 0; b < 200; b++)
    {
      SmileyBatch *batch = smiley_batch_new ();

      for (guint e = 0; e < b % 13; e++)
        {
          g_autofree char *file = g_strdup_printf ("mod%u.py", (b + e) % 37);
          g_autofree char *value = g_strdup_printf ("%u", b * e);
          const char      *locals[] = { "i", value };

          add_event (run, batch, 1 + (b + e) % SMILEY_EVENT_KIND_LAST, 1, call++, file, e, "loop",
                     e % 3 ? NULL : value, e % 2, locals);
        }
      g_ptr_array_add (batches, batch);
    }
  end_run (run);
  assert_roundtrip (run, batches);
}

/* A batch larger than the writer's frame target is cut into several
 * EVENTS frames, each a valid frame; merged reading gives the events back
 * in order. */
static void
test_large_batch_split (void)
{
  g_autoptr (SmileyRun) run = make_run ("split");
  g_autoptr (GPtrArray) batches = batches_new ();
  SmileyBatch     *batch = smiley_batch_new ();
  g_autofree char *value = g_strnfill (2000, 'v');
  const char      *locals[] = { "big", value };
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (Decoded) d = NULL;
  const guint8 *data;
  gsize         len, at;
  guint         n_events_frames = 0;

  for (guint e = 0; e < 5000; e++)
    add_event (run, batch, SMILEY_EVENT_LINE, 1, e, "prog.py", e, "f", value, 1, locals);
  g_ptr_array_add (batches, batch);
  end_run (run);

  bytes = encode (run, batches, TRUE);
  data = g_bytes_get_data (bytes, &len);
  for (at = SMILEY_WIRE_STREAM_HEADER_SIZE; at < len; at += smiley_wire_get_u32 (data + at))
    {
      g_assert_cmpuint (smiley_wire_get_u32 (data + at), <=, 5 * 1024 * 1024);
      if (data[at + 4] == SMILEY_WIRE_EVENTS)
        n_events_frames++;
    }
  g_assert_cmpuint (at, ==, len);
  g_assert_cmpuint (n_events_frames, >=, 4);

  d = decode (bytes, FEED_CHUNKS, 0);
  g_assert_no_error (d->error);
  g_assert_cmpuint (d->batches->len, ==, n_events_frames);
  {
    g_autoptr (SmileyBatch) got = concat (d->batches);

    assert_batch_equal (batch, got);
  }
  g_clear_pointer (&d, decoded_free);

  d = decode (bytes, FEED_ALL, G_MAXUINT);
  g_assert_no_error (d->error);
  g_assert_cmpuint (d->batches->len, ==, 1);
  assert_batch_equal (batch, g_ptr_array_index (d->batches, 0));

  /* A reader that held a big buffer lets it go once it is drained, and
   * carries on with what comes next (RUN_END here). */
  {
    g_autoptr (SmileyFrameReader) reader = smiley_frame_reader_new (0);
    gsize              cut = SMILEY_WIRE_STREAM_HEADER_SIZE;
    SmileyFrameMessage message;
    GError            *error = NULL;
    guint              n = 0;

    while (cut + smiley_wire_get_u32 (data + cut) < len)
      cut += smiley_wire_get_u32 (data + cut);
    g_assert_cmpuint (cut, >, 16 * 1024 * 1024);
    g_assert_cmpuint (data[cut + 4], ==, SMILEY_WIRE_RUN_END);
    smiley_frame_reader_feed (reader, data, cut);
    do
      {
        SmileyBatch *got = NULL;

        g_assert_true (smiley_frame_reader_next (reader, &message, &got, &error));
        if (got != NULL)
          n += smiley_batch_get_length (got);
        g_clear_pointer (&got, smiley_batch_unref);
      }
    while (message != SMILEY_FRAME_NEED_MORE);
    g_assert_cmpuint (n, ==, 5000);
    g_assert_cmpuint (smiley_frame_reader_get_buffered (reader), ==, 0);
    smiley_frame_reader_feed (reader, data + cut, len - cut);
    g_assert_true (smiley_frame_reader_next (reader, &message, NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpint (message, ==, SMILEY_FRAME_RUN_END);
    g_assert_true (smiley_frame_reader_finish (reader, &error));
  }
}

/* Merging: many one-event frames become batches of max_batch events,
 * reported when full, when the bytes run out, and before RUN_END. */
static void
test_coalesce (void)
{
  g_autoptr (SmileyRun) run = make_run ("coalesce");
  g_autoptr (SmileyFrameWriter) writer = smiley_frame_writer_new ();
  g_autoptr (SmileyFrameReader) reader = smiley_frame_reader_new (0);
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GPtrArray) batches = batches_new ();
  g_autoptr (SmileyBatch) all = smiley_batch_new ();
  SmileyFrameMessage message;
  SmileyBatch       *got = NULL;
  GError            *error = NULL;
  const guint8      *data;
  gsize              len;
  guint              n = 0;

  smiley_frame_writer_begin_run (writer, run);
  for (guint e = 0; e < 103; e++)
    {
      g_autoptr (SmileyBatch) one = smiley_batch_new ();

      add_event (run, one, SMILEY_EVENT_LINE, 1, e, "prog.py", e, "f", NULL, 0, NULL);
      add_event (run, all, SMILEY_EVENT_LINE, 1, e, "prog.py", e, "f", NULL, 0, NULL);
      smiley_frame_writer_push (writer, run, one);
    }
  smiley_frame_writer_end_run (writer, run);
  bytes = smiley_frame_writer_take_bytes (writer);
  data = g_bytes_get_data (bytes, &len);

  smiley_frame_reader_set_max_batch (reader, 10);
  smiley_frame_reader_feed (reader, data, len);
  g_assert_true (smiley_frame_reader_next (reader, &message, &got, &error));
  g_assert_cmpint (message, ==, SMILEY_FRAME_RUN_BEGIN);
  for (;;)
    {
      g_assert_true (smiley_frame_reader_next (reader, &message, &got, &error));
      g_assert_no_error (error);
      if (message != SMILEY_FRAME_BATCH)
        break;
      /* Ten per batch, and the last three before RUN_END. */
      g_assert_cmpuint (smiley_batch_get_length (got), ==, n < 100 ? 10 : 3);
      n += smiley_batch_get_length (got);
      g_ptr_array_add (batches, g_steal_pointer (&got));
    }
  g_assert_cmpint (message, ==, SMILEY_FRAME_RUN_END);
  g_assert_cmpuint (n, ==, 103);
  {
    g_autoptr (SmileyBatch) merged = concat (batches);

    assert_batch_equal (all, merged);
  }
  g_assert_true (smiley_frame_reader_next (reader, &message, &got, &error));
  g_assert_cmpint (message, ==, SMILEY_FRAME_NEED_MORE);
}

/* When the fed bytes run out, what was merged so far is reported rather
 * than held back waiting for more. */
static void
test_coalesce_partial (void)
{
  g_autoptr (SmileyRun) run = make_run ("coalesce-partial");
  g_autoptr (SmileyFrameWriter) writer = smiley_frame_writer_new ();
  g_autoptr (SmileyFrameReader) reader = smiley_frame_reader_new (0);
  g_autoptr (GBytes) bytes = NULL;
  SmileyFrameMessage message;
  SmileyBatch       *got = NULL;
  GError            *error = NULL;
  const guint8      *data;
  gsize              len;

  smiley_frame_writer_begin_run (writer, run);
  for (guint e = 0; e < 5; e++)
    {
      g_autoptr (SmileyBatch) one = smiley_batch_new ();

      add_event (run, one, SMILEY_EVENT_LINE, 1, e, "prog.py", e, "f", NULL, 0, NULL);
      smiley_frame_writer_push (writer, run, one);
    }
  bytes = smiley_frame_writer_take_bytes (writer);
  data = g_bytes_get_data (bytes, &len);

  smiley_frame_reader_set_max_batch (reader, 1000);
  /* All but the last 3 bytes: four complete EVENTS frames. */
  smiley_frame_reader_feed (reader, data, len - 3);
  g_assert_true (smiley_frame_reader_next (reader, &message, &got, &error));
  g_assert_cmpint (message, ==, SMILEY_FRAME_RUN_BEGIN);
  g_assert_true (smiley_frame_reader_next (reader, &message, &got, &error));
  g_assert_cmpint (message, ==, SMILEY_FRAME_BATCH);
  g_assert_cmpuint (smiley_batch_get_length (got), ==, 4);
  g_clear_pointer (&got, smiley_batch_unref);
  g_assert_true (smiley_frame_reader_next (reader, &message, &got, &error));
  g_assert_cmpint (message, ==, SMILEY_FRAME_NEED_MORE);
  g_assert_cmpuint (smiley_frame_reader_get_buffered (reader), >, 0);

  smiley_frame_reader_feed (reader, data + len - 3, 3);
  g_assert_true (smiley_frame_reader_next (reader, &message, &got, &error));
  g_assert_cmpint (message, ==, SMILEY_FRAME_BATCH);
  g_assert_cmpuint (smiley_batch_get_length (got), ==, 1);
  g_assert_cmpuint (smiley_batch_get_event (got, 0)->call_id, ==, 4);
  g_clear_pointer (&got, smiley_batch_unref);
  g_assert_cmpuint (smiley_frame_reader_get_buffered (reader), ==, 0);
  /* A writer killed here: no RUN_END, not an error for finish(). */
  g_assert_true (smiley_frame_reader_finish (reader, &error));
  g_assert_no_error (error);
  g_assert_cmpint (smiley_run_get_state (smiley_frame_reader_get_run (reader)), ==,
                   SMILEY_RUN_RUNNING);
}

/* Adds an event with @n_locals locals whose values name the event and
 * the local, every seventh one deleted. */
static void
add_event_with_locals (SmileyRun *run, SmileyBatch *batch, guint64 call_id, guint n_locals)
{
  g_autofree SmileyLocal *locals = g_new0 (SmileyLocal, MAX (n_locals, 1));
  g_autoptr (GPtrArray) values = g_ptr_array_new_with_free_func (g_free);
  SmileyEvent event = {
    .kind = SMILEY_EVENT_LINE,
    .thread = 1,
    .call_id = call_id,
    .time_ns = (gint64)call_id,
    .file = smiley_run_intern (run, "locals.py"),
    .line = n_locals,
    .function = smiley_run_intern (run, "f"),
    .n_locals = n_locals,
    .locals = locals,
  };

  for (guint i = 0; i < n_locals; i++)
    {
      g_autofree char *name = g_strdup_printf ("v%u", i % 300);

      locals[i].name = smiley_run_intern (run, name);
      if (i % 7 != 3)
        {
          locals[i].value = g_strdup_printf ("%" G_GUINT64_FORMAT ":%u", call_id, i);
          g_ptr_array_add (values, (char *)locals[i].value);
        }
    }
  smiley_batch_add (batch, &event);
}

/* The reader decodes locals into blocks of the batch: events with more
 * locals than a block holds, many with a few (sharing blocks), and some
 * that do not fit in what is left of a block. */
static void
test_many_locals (void)
{
  g_autoptr (SmileyRun) run = make_run ("many-locals");
  g_autoptr (GPtrArray) batches = batches_new ();
  const guint  sizes[] = { 3000, 3, 1, 1020, 5, 1024, 0, 2, 1025, 2048, 7 };
  SmileyBatch *batch = smiley_batch_new ();
  guint64      call = 0;

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    add_event_with_locals (run, batch, call++, sizes[i]);
  for (guint i = 0; i < 900; i++)
    add_event_with_locals (run, batch, call++, i % 4);
  g_ptr_array_add (batches, batch);
  batch = smiley_batch_new ();
  for (guint i = 0; i < 700; i++)
    add_event_with_locals (run, batch, call++, 3);
  add_event_with_locals (run, batch, call++, 1500);
  g_ptr_array_add (batches, batch);
  end_run (run);
  assert_roundtrip (run, batches);
}

/* ------------------------------------------------------------------ */
/* Pass-through (smiley_frame_reader_set_pass_events())                 */

static Decoded *
pass_whole (GBytes *bytes, guint max_batch)
{
  Decoded *d = decode_stream (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), FEED_ALL,
                              max_batch, 0, TRUE);

  g_assert_no_error (d->error);
  g_assert_no_error (d->finish_error);
  g_assert_true (d->ended);
  return d;
}

static Span *
get_span (Decoded *d, guint i)
{
  g_assert_cmpuint (i, <, d->spans->len);
  return g_ptr_array_index (d->spans, i);
}

/* Pushes @n events of @function on @thread as one batch. */
static void
push_events (SmileyFrameWriter *writer, SmileyRun *run, GPtrArray *batches, guint n,
             const char *function, guint32 thread)
{
  SmileyBatch *batch = smiley_batch_new ();

  for (guint e = 0; e < n; e++)
    add_event (run, batch, SMILEY_EVENT_LINE, thread, batches->len * 100 + e, "prog.py", e,
               function, NULL, 0, NULL);
  smiley_frame_writer_push (writer, run, batch);
  g_ptr_array_add (batches, batch);
}

/* Spans end at every other frame, which is decoded only after the span
 * is reported, and hold up to max_batch events, unless a frame alone
 * holds more. */
static void
test_pass_spans (void)
{
  g_autoptr (SmileyRun) run = make_run ("spans");
  g_autoptr (SmileyFrameWriter) writer = smiley_frame_writer_new ();
  g_autoptr (GPtrArray) batches = batches_new ();
  g_autoptr (GBytes) source = g_bytes_new_static ("pass\n", 5);
  g_autoptr (GBytes) bytes = NULL;
  const struct
  {
    guint max_batch;
    guint n_spans;
    guint events[13];
    guint frames[13];
  } cases[] = {
    { 0,
      13,
      { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 10, 1, 2 },
      { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 } },
    { 3, 7, { 3, 2, 3, 2, 10, 1, 2 }, { 3, 2, 3, 2, 1, 1, 1 } },
    { 12, 5, { 5, 5, 10, 1, 2 }, { 5, 5, 1, 1, 1 } },
    { 100, 4, { 5, 15, 1, 2 }, { 5, 6, 1, 1 } },
  };

  /* EVENTS frames of 1 1 1 1 1 | STRINGS | 1 1 1 1 1 10 | THREADS | 1 |
   * SOURCE | 2 events. */
  smiley_frame_writer_begin_run (writer, run);
  for (guint i = 0; i < 5; i++)
    push_events (writer, run, batches, 1, "f", 1);
  for (guint i = 0; i < 5; i++)
    push_events (writer, run, batches, 1, "g", 1);
  push_events (writer, run, batches, 10, "g", 1);
  smiley_run_set_thread (run, 2, 4242, 4243, "Worker");
  push_events (writer, run, batches, 1, "g", 2);
  smiley_run_add_source (run, smiley_run_intern (run, "prog.py"), source);
  push_events (writer, run, batches, 2, "g", 2);
  end_run (run);
  smiley_frame_writer_end_run (writer, run);
  bytes = smiley_frame_writer_take_bytes (writer);

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autoptr (Decoded) d = pass_whole (bytes, cases[c].max_batch);

      g_assert_cmpuint (d->spans->len, ==, cases[c].n_spans);
      for (guint s = 0; s < cases[c].n_spans; s++)
        {
          g_assert_cmpuint (get_span (d, s)->n_events, ==, cases[c].events[s]);
          g_assert_cmpuint (count_events_frames (get_span (d, s)->frames), ==, cases[c].frames[s]);
        }
      for (guint m = 0; m < G_N_ELEMENTS (feed_modes); m++)
        assert_pass_through (bytes, run, batches, feed_modes[m], cases[c].max_batch);
    }

  /* The frame after a span is not decoded when the span is reported. */
  {
    g_autoptr (Decoded) d = pass_whole (bytes, 100);

    g_assert_cmpuint (get_span (d, 1)->n_strings, ==, get_span (d, 0)->n_strings + 1);
    g_assert_cmpuint (get_span (d, 1)->n_threads, ==, 1);
    g_assert_cmpuint (get_span (d, 2)->n_threads, ==, 2);
    g_assert_cmpuint (get_span (d, 2)->n_sources, ==, 0);
    g_assert_cmpuint (get_span (d, 3)->n_sources, ==, 1);
  }

  /* Feeding may move the buffer: the frames reported last are gone. */
  {
    g_autoptr (SmileyFrameReader) reader = smiley_frame_reader_new (0);
    gsize              len, half, length;
    const guint8      *data = g_bytes_get_data (bytes, &len);
    SmileyFrameMessage message;
    GError            *error = NULL;
    guint              n_events, total = 0;

    half = len / 2;
    smiley_frame_reader_set_pass_events (reader, TRUE);
    smiley_frame_reader_feed (reader, data, half);
    g_assert_true (smiley_frame_reader_next (reader, &message, NULL, &error));
    g_assert_cmpint (message, ==, SMILEY_FRAME_RUN_BEGIN);
    g_assert_true (smiley_frame_reader_next (reader, &message, NULL, &error));
    g_assert_cmpint (message, ==, SMILEY_FRAME_ENCODED_EVENTS);
    g_assert_nonnull (smiley_frame_reader_get_encoded_events (reader, &length, &n_events));
    total += n_events;
    smiley_frame_reader_feed (reader, data + half, len - half);
    g_assert_null (smiley_frame_reader_get_encoded_events (reader, &length, &n_events));
    g_assert_cmpuint (length, ==, 0);
    g_assert_cmpuint (n_events, ==, 0);
    do
      {
        g_assert_true (smiley_frame_reader_next (reader, &message, NULL, &error));
        g_assert_no_error (error);
        smiley_frame_reader_get_encoded_events (reader, &length, &n_events);
        total += n_events;
      }
    while (message != SMILEY_FRAME_NEED_MORE);
    g_assert_cmpuint (total, ==, 23);
  }
}

/* Each span lists the files its events are the first of the run in, in
 * the order they come, string 0 ("", an unknown file) included. */
static void
test_pass_new_files (void)
{
  g_autoptr (SmileyRun) run = make_run ("new-files");
  g_autoptr (SmileyFrameWriter) writer = smiley_frame_writer_new ();
  g_autoptr (GPtrArray) batches = batches_new ();
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (Decoded) d = NULL;
  const char *files[] = { "", "a.py", "b.py", "a.py", "c.py", "b.py", "", "d.py", "d.py", "a.py" };
  guint32     a, b, c, e;

  g_assert_cmpuint (smiley_run_intern (run, ""), ==, 0);
  a = smiley_run_intern (run, "a.py");
  b = smiley_run_intern (run, "b.py");
  c = smiley_run_intern (run, "c.py");
  smiley_run_intern (run, "d.py");
  smiley_run_intern (run, "f");

  smiley_frame_writer_begin_run (writer, run);
  for (guint i = 0; i < G_N_ELEMENTS (files) + 2; i++)
    {
      SmileyBatch *batch = smiley_batch_new ();

      /* The last two after a STRINGS frame: a new file and an old one. */
      add_event (run, batch, SMILEY_EVENT_LINE, 1, i,
                 i < G_N_ELEMENTS (files)    ? files[i]
                 : i == G_N_ELEMENTS (files) ? "e.py"
                                             : "a.py",
                 1, "f", NULL, 0, NULL);
      smiley_frame_writer_push (writer, run, batch);
      g_ptr_array_add (batches, batch);
    }
  e = smiley_run_intern (run, "e.py");
  end_run (run);
  smiley_frame_writer_end_run (writer, run);
  bytes = smiley_frame_writer_take_bytes (writer);

  d = pass_whole (bytes, 2);
  g_assert_cmpuint (d->spans->len, ==, 6);
  {
    const guint32 want0[] = { 0, a };
    const guint32 want1[] = { b };
    const guint32 want2[] = { c };
    const guint32 want3[] = { smiley_run_intern (run, "d.py") };
    const guint32 want5[] = { e };
    const struct
    {
      const guint32 *files;
      guint          n;
    } want[]
        = { { want0, 2 }, { want1, 1 }, { want2, 1 }, { want3, 1 }, { NULL, 0 }, { want5, 1 } };

    g_autoptr (SmileyFrameReader) reader = smiley_frame_reader_new (0);
    guint n_batches = 0;

    for (guint s = 0; s < G_N_ELEMENTS (want); s++)
      {
        Span *span = get_span (d, s);

        g_assert_cmpuint (span->n_events, ==, 2);
        g_assert_cmpmem (span->new_files->data, span->new_files->len * sizeof (guint32),
                         want[s].files, want[s].n * sizeof (guint32));
      }

    /* Decoding says the same of each batch of the same events. */
    smiley_frame_reader_set_max_batch (reader, 2);
    smiley_frame_reader_feed (reader, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
    for (;;)
      {
        SmileyFrameMessage message;
        g_autoptr (SmileyBatch) batch = NULL;
        g_autoptr (GError) error = NULL;
        const guint32 *got;
        guint          n_got;

        g_assert_true (smiley_frame_reader_next (reader, &message, &batch, &error));
        if (message == SMILEY_FRAME_NEED_MORE || message == SMILEY_FRAME_RUN_END)
          break;
        if (message != SMILEY_FRAME_BATCH)
          continue;
        g_assert_cmpuint (n_batches, <, G_N_ELEMENTS (want));
        g_assert_cmpuint (smiley_batch_get_length (batch), ==, 2);
        got = smiley_frame_reader_get_new_files (reader, &n_got);
        g_assert_cmpmem (got, n_got * sizeof (guint32), want[n_batches].files,
                         want[n_batches].n * sizeof (guint32));
        n_batches++;
      }
    g_assert_cmpuint (n_batches, ==, G_N_ELEMENTS (want));
  }

  for (guint max_batch = 0; max_batch < 5; max_batch++)
    {
      assert_pass_through (bytes, run, batches, FEED_ALL, max_batch);
      assert_pass_through (bytes, run, batches, FEED_BYTES, max_batch);
    }
}

/* A stream cut between frames (the writer was killed) decodes up to the
 * cut; finish() does not complain; the run stays RUNNING. */
static void
test_killed_writer (void)
{
  g_autoptr (SmileyRun) run = make_run ("killed");
  g_autoptr (GPtrArray) batches = batches_new ();
  SmileyBatch *batch = smiley_batch_new ();
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (Decoded) d = NULL;

  add_event (run, batch, SMILEY_EVENT_CALL, 1, 1, "prog.py", 1, "main", NULL, 0, NULL);
  g_ptr_array_add (batches, batch);
  bytes = encode (run, batches, FALSE);
  d = decode (bytes, FEED_BYTES, 0);
  g_assert_no_error (d->error);
  g_assert_no_error (d->finish_error);
  g_assert_true (d->begun);
  g_assert_false (d->ended);
  g_assert_cmpuint (d->batches->len, ==, 1);
  assert_run_tables_equal (run, d->run);
  g_assert_cmpint (smiley_run_get_state (d->run), ==, SMILEY_RUN_RUNNING);
}

static void
test_empty_stream (void)
{
  g_autoptr (SmileyFrameReader) reader = smiley_frame_reader_new (0);
  SmileyFrameMessage message;
  GError            *error = NULL;

  g_assert_true (smiley_frame_reader_next (reader, &message, NULL, &error));
  g_assert_cmpint (message, ==, SMILEY_FRAME_NEED_MORE);
  g_assert_true (smiley_frame_reader_finish (reader, &error));
  g_assert_no_error (error);
  g_assert_null (smiley_frame_reader_get_run (reader));
}

/* The example of docs/wire-format.md, byte for byte. */
static const char golden_hex[] =
    /* stream header */
    "534d4c5901000000"
    /* RUN_BEGIN */
    "2700000001000000"
    "0272312a8080f28183898506042f746d700464656d6f010764656d6f2e7079"
    /* STRINGS */
    "1b00000002000000"
    "03010764656d6f2e707902046d61696e030178"
    /* THREADS */
    "1700000003000000"
    "01012a2a0a4d61696e546872656164"
    /* EVENTS */
    "2800000005000000"
    "02"
    "0101010000e80701010200010302310"
    "3010100008827010202054e6f6e6500"
    /* RUN_END */
    "1600000007000000"
    "90cef28183898506010000000002";

static SmileyRun *
golden_run (SmileyBatch **batch_out)
{
  SmileyRun        *run = smiley_run_new ("r1");
  SmileyBatch      *batch = smiley_batch_new ();
  const char *const argv[] = { "demo.py", NULL };
  SmileyLocal       x = { 0, "1" };
  SmileyEvent       call = { SMILEY_EVENT_CALL, 1, 1, 0, 0, 1000, 0, 1, 0, NULL, 1, &x };
  SmileyEvent       ret = { SMILEY_EVENT_RETURN, 1, 1, 0, 0, 5000, 0, 2, 0, "None", 0, NULL };

  smiley_run_set_pid (run, 42);
  smiley_run_set_start_time (run, G_GINT64_CONSTANT (1700000000000000));
  smiley_run_set_cwd (run, "/tmp");
  smiley_run_set_description (run, "demo");
  smiley_run_set_argv (run, argv);
  call.file = ret.file = smiley_run_intern (run, "demo.py");
  call.function = ret.function = smiley_run_intern (run, "main");
  x.name = smiley_run_intern (run, "x");
  smiley_run_set_thread (run, 1, 42, 42, "MainThread");
  smiley_batch_add (batch, &call);
  smiley_batch_add (batch, &ret);

  smiley_run_set_end_time (run, G_GINT64_CONSTANT (1700000000005000));
  smiley_run_set_state (run, SMILEY_RUN_FINISHED);
  smiley_run_set_exit_status (run, 0);
  smiley_run_set_events_emitted (run, 2);
  *batch_out = batch;
  return run;
}

static void
test_golden (void)
{
  g_autoptr (SmileyBatch) batch = NULL;
  g_autoptr (SmileyRun) run = golden_run (&batch);
  g_autoptr (SmileyFrameWriter) writer = smiley_frame_writer_new ();
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GString) hex = g_string_new (NULL);
  g_autoptr (GPtrArray) batches = batches_new ();
  const guint8 *data;
  gsize         len;

  smiley_frame_writer_begin_run (writer, run);
  smiley_frame_writer_push (writer, run, batch);
  smiley_frame_writer_end_run (writer, run);
  bytes = smiley_frame_writer_take_bytes (writer);
  data = g_bytes_get_data (bytes, &len);
  for (gsize i = 0; i < len; i++)
    g_string_append_printf (hex, "%02x", data[i]);
  g_assert_cmpstr (hex->str, ==, golden_hex);

  g_ptr_array_add (batches, smiley_batch_ref (batch));
  assert_roundtrip (run, batches);
}

/* take_bytes hands over and clears; a writer can encode a second run. */
static void
test_writer_reuse (void)
{
  g_autoptr (SmileyFrameWriter) writer = smiley_frame_writer_new ();
  g_autoptr (SmileyRun) a = make_run ("first");
  g_autoptr (SmileyRun) b = make_run ("second");
  g_autoptr (SmileyBatch) batch = smiley_batch_new ();
  g_autoptr (GBytes) first = NULL;
  g_autoptr (GBytes) second = NULL;
  g_autoptr (GBytes) none = NULL;
  g_autoptr (Decoded) d = NULL;

  add_event (a, batch, SMILEY_EVENT_CALL, 1, 1, "a.py", 1, "fa", NULL, 0, NULL);
  smiley_frame_writer_begin_run (writer, a);
  smiley_frame_writer_push (writer, a, batch);
  smiley_frame_writer_end_run (writer, a);
  g_assert_cmpuint (smiley_frame_writer_get_pending (writer), >, 0);
  first = smiley_frame_writer_take_bytes (writer);
  g_assert_cmpuint (smiley_frame_writer_get_pending (writer), ==, 0);
  none = smiley_frame_writer_take_bytes (writer);
  g_assert_cmpuint (g_bytes_get_size (none), ==, 0);

  /* The second run has its own string table: everything is sent again. */
  smiley_batch_clear (batch);
  add_event (b, batch, SMILEY_EVENT_CALL, 1, 1, "b.py", 1, "fb", NULL, 0, NULL);
  smiley_frame_writer_begin_run (writer, b);
  smiley_frame_writer_push (writer, b, batch);
  smiley_frame_writer_end_run (writer, b);
  second = smiley_frame_writer_take_bytes (writer);

  d = decode (second, FEED_ALL, 0);
  g_assert_no_error (d->error);
  g_assert_true (d->ended);
  assert_run_equal (b, d->run);
  g_assert_cmpstr (smiley_run_get_string (d->run, 1), ==, "b.py");
  g_clear_pointer (&d, decoded_free);

  d = decode (first, FEED_ALL, 0);
  g_assert_no_error (d->error);
  assert_run_equal (a, d->run);
}

/* ------------------------------------------------------------------ */
/* Hand-built streams for the negative tests                           */

static void
put_varint (GByteArray *a, guint64 v)
{
  guint8 tmp[SMILEY_WIRE_MAX_VARINT];

  g_byte_array_append (a, tmp, smiley_wire_put_varint (tmp, v) - tmp);
}

static void
put_svarint (GByteArray *a, gint64 v)
{
  guint8 tmp[SMILEY_WIRE_MAX_VARINT];

  g_byte_array_append (a, tmp, smiley_wire_put_svarint (tmp, v) - tmp);
}

static void
put_raw (GByteArray *a, const void *data, gsize len)
{
  g_byte_array_append (a, data, len);
}

static void
put_str (GByteArray *a, const char *s)
{
  put_varint (a, strlen (s));
  put_raw (a, s, strlen (s));
}

static void
put_frame (GByteArray *stream, guint type, GByteArray *payload)
{
  guint8 header[SMILEY_WIRE_FRAME_HEADER_SIZE];

  smiley_wire_put_frame_header (header, payload->len + SMILEY_WIRE_FRAME_HEADER_SIZE, type);
  put_raw (stream, header, sizeof header);
  put_raw (stream, payload->data, payload->len);
  g_byte_array_set_size (payload, 0);
}

static void
put_stream_header (GByteArray *stream)
{
  guint8 header[SMILEY_WIRE_STREAM_HEADER_SIZE];

  smiley_wire_put_stream_header (header);
  put_raw (stream, header, sizeof header);
}

static void
put_run_begin (GByteArray *stream, const char *id)
{
  g_autoptr (GByteArray) p = g_byte_array_new ();

  put_str (p, id);
  put_varint (p, 1);
  put_svarint (p, 0);
  put_str (p, "/");
  put_str (p, "");
  put_varint (p, 0);
  put_frame (stream, SMILEY_WIRE_RUN_BEGIN, p);
}

/* Header, RUN_BEGIN, strings 1 "a.py" and 2 "f", thread 1. */
static GByteArray *
valid_prefix (void)
{
  GByteArray *stream = g_byte_array_new ();
  g_autoptr (GByteArray) p = g_byte_array_new ();

  put_stream_header (stream);
  put_run_begin (stream, "run");
  put_varint (p, 2);
  put_varint (p, 1);
  put_str (p, "a.py");
  put_varint (p, 2);
  put_str (p, "f");
  put_frame (stream, SMILEY_WIRE_STRINGS, p);
  put_varint (p, 1);
  put_varint (p, 1);
  put_varint (p, 10);
  put_varint (p, 10);
  put_str (p, "Main");
  put_frame (stream, SMILEY_WIRE_THREADS, p);
  return stream;
}

/* A valid event; fields can be replaced by the caller writing its own. */
static void
put_event (GByteArray *p, guint kind, guint64 thread, guint64 file, const char *arg)
{
  g_byte_array_append (p, (guint8[]){ kind }, 1);
  put_varint (p, thread);
  put_varint (p, 7);   /* call id */
  put_varint (p, 0);   /* parent */
  put_varint (p, 0);   /* depth */
  put_varint (p, 123); /* time */
  put_varint (p, file);
  put_varint (p, 3); /* line */
  put_varint (p, 2); /* function */
  if (arg == NULL)
    put_varint (p, 0);
  else
    {
      put_varint (p, strlen (arg) + 1);
      put_raw (p, arg, strlen (arg));
    }
  put_varint (p, 0); /* locals */
}

static void
put_run_end (GByteArray *stream)
{
  g_autoptr (GByteArray) p = g_byte_array_new ();

  put_svarint (p, 5);
  put_varint (p, SMILEY_RUN_FINISHED);
  put_svarint (p, 0);
  put_varint (p, 0);
  put_varint (p, 0);
  put_varint (p, 0);
  put_varint (p, 1);
  put_frame (stream, SMILEY_WIRE_RUN_END, p);
}

/* Decodes @stream in every feeding mode and checks the one error it must
 * give: code and a piece of the message (which names the offset). Errors
 * from next() and from finish() are both accepted. Every mode gives the
 * message that feeding it whole gives, offsets included; only a bad
 * magic number is shown as far as it had arrived. */
static void
assert_stream_error (GByteArray *stream, gint code, const char *message_part)
{
  g_autofree char *whole = NULL;
  g_autofree char *whole_passed = NULL;

  for (guint m = 0; m < G_N_ELEMENTS (feed_modes); m++)
    {
      /* Pass-through validates every field the same way. */
      for (guint pass = 0; pass < 2; pass++)
        {
          g_autoptr (Decoded) d = decode_stream (stream->data, stream->len, feed_modes[m],
                                                 m % 3 == 2 ? 5 : 0, 0, pass);
          GError *error = d->error != NULL ? d->error : d->finish_error;
          char  **first = pass ? &whole_passed : &whole;

          if (error == NULL)
            g_error ("expected an error containing “%s”, the stream decoded", message_part);
          g_test_message ("error: %s", error->message);
          g_assert_error (error, SMILEY_FRAME_ERROR, code);
          if (strstr (error->message, message_part) == NULL)
            g_error ("error “%s” does not contain “%s”", error->message, message_part);
          /* One line a user can read. */
          g_assert_null (strchr (error->message, '\n'));
          if (feed_modes[m] == FEED_ALL)
            *first = g_strdup (error->message);
          else if (code != SMILEY_FRAME_ERROR_BAD_MAGIC)
            g_assert_cmpstr (error->message, ==, *first);
        }
    }
}

static void
test_bad_magic (void)
{
  g_autoptr (GByteArray) stream = g_byte_array_new ();

  put_raw (stream, "GARBAGE!", 8);
  assert_stream_error (stream, SMILEY_FRAME_ERROR_BAD_MAGIC, "not a smiley event stream");
  g_byte_array_set_size (stream, 0);
  /* Detected from the first wrong byte, with it shown escaped. */
  put_raw (stream, "S\x01", 2);
  assert_stream_error (stream, SMILEY_FRAME_ERROR_BAD_MAGIC, "“S\\x01”");
}

static void
test_version_2 (void)
{
  g_autoptr (GByteArray) stream = g_byte_array_new ();

  put_raw (stream, "SMLY\x02\x00\x00\x00", 8);
  put_run_begin (stream, "run");
  assert_stream_error (stream, SMILEY_FRAME_ERROR_VERSION, "format version 2");
}

static void
test_header_flags (void)
{
  g_autoptr (GByteArray) stream = g_byte_array_new ();

  put_raw (stream, "SMLY\x01\x00\x01\x00", 8);
  assert_stream_error (stream, SMILEY_FRAME_ERROR_INVALID, "unknown flags 0x0001");
}

/* The ring flag is refused unless the reader was told to accept it (a
 * listener that can take a ring); other flags still are. */
static void
test_header_ring_flag (void)
{
  g_autoptr (GByteArray) stream = g_byte_array_new ();
  g_autoptr (GByteArray) other = g_byte_array_new ();
  g_autoptr (SmileyFrameReader) reader = smiley_frame_reader_new (0);
  g_autoptr (SmileyFrameReader) strict = smiley_frame_reader_new (0);
  g_autoptr (SmileyBatch) batch = NULL;
  g_autoptr (GError) error = NULL;
  SmileyFrameMessage message;

  put_raw (stream, "SMLY\x01\x00\x01\x00", 8);
  put_run_begin (stream, "run");
  smiley_frame_reader_set_accepted_flags (reader, SMILEY_WIRE_FLAG_RING);
  g_assert_cmpuint (smiley_frame_reader_get_stream_flags (reader), ==, 0);
  smiley_frame_reader_feed (reader, stream->data, stream->len);
  g_assert_true (smiley_frame_reader_next (reader, &message, &batch, &error));
  g_assert_no_error (error);
  g_assert_cmpint (message, ==, SMILEY_FRAME_RUN_BEGIN);
  g_assert_cmpuint (smiley_frame_reader_get_stream_flags (reader), ==, SMILEY_WIRE_FLAG_RING);

  smiley_frame_reader_set_accepted_flags (strict, SMILEY_WIRE_FLAG_RING);
  put_raw (other, "SMLY\x01\x00\x03\x00", 8);
  smiley_frame_reader_feed (strict, other->data, other->len);
  g_assert_false (smiley_frame_reader_next (strict, &message, &batch, &error));
  g_assert_error (error, SMILEY_FRAME_ERROR, SMILEY_FRAME_ERROR_INVALID);
}

static void
test_oversized_frame (void)
{
  g_autoptr (GByteArray) stream = valid_prefix ();
  g_autoptr (SmileyFrameReader) reader = smiley_frame_reader_new (1024);
  guint8             header[SMILEY_WIRE_FRAME_HEADER_SIZE];
  SmileyFrameMessage message;
  GError            *error = NULL;
  guint64            offset = stream->len;

  /* Over the wire limit: refused by any reader. */
  smiley_wire_put_frame_header (header, SMILEY_WIRE_MAX_FRAME_SIZE + 1, SMILEY_WIRE_EVENTS);
  put_raw (stream, header, sizeof header);
  assert_stream_error (stream, SMILEY_FRAME_ERROR_TOO_LARGE, "more than the limit of 67108864");

  /* Over the reader's own limit: refused from the header alone, before
   * the payload arrives. */
  g_byte_array_set_size (stream, offset);
  smiley_wire_put_frame_header (header, 2000, SMILEY_WIRE_EVENTS);
  put_raw (stream, header, sizeof header);
  smiley_frame_reader_feed (reader, stream->data, stream->len);
  g_assert_true (smiley_frame_reader_next (reader, &message, NULL, &error));
  g_assert_cmpint (message, ==, SMILEY_FRAME_RUN_BEGIN);
  g_assert_false (smiley_frame_reader_next (reader, &message, NULL, &error));
  g_assert_error (error, SMILEY_FRAME_ERROR, SMILEY_FRAME_ERROR_TOO_LARGE);
  {
    g_autofree char *where
        = g_strdup_printf ("frame at offset %" G_GUINT64_FORMAT " (EVENTS) is 2000 bytes", offset);

    g_assert_nonnull (strstr (error->message, where));
  }
  g_clear_error (&error);
  /* Bytes fed after an error are dropped, not buffered. */
  {
    gsize              before = smiley_frame_reader_get_buffered (reader);
    g_autofree guint8 *junk = g_malloc0 (100000);

    smiley_frame_reader_feed (reader, junk, 100000);
    g_assert_cmpuint (smiley_frame_reader_get_buffered (reader), ==, before);
  }
  g_assert_false (smiley_frame_reader_finish (reader, &error));
  g_assert_error (error, SMILEY_FRAME_ERROR, SMILEY_FRAME_ERROR_TOO_LARGE);
  g_clear_error (&error);
}

static void
test_frame_size_too_small (void)
{
  g_autoptr (GByteArray) stream = valid_prefix ();
  guint8 header[SMILEY_WIRE_FRAME_HEADER_SIZE];

  smiley_wire_put_frame_header (header, 3, SMILEY_WIRE_EVENTS);
  put_raw (stream, header, sizeof header);
  assert_stream_error (stream, SMILEY_FRAME_ERROR_INVALID, "size 3 is smaller than its own header");
}

static void
test_reserved_bytes (void)
{
  g_autoptr (GByteArray) stream = valid_prefix ();

  put_raw (stream, "\x08\x00\x00\x00\x05\x00\x01\x00", 8);
  assert_stream_error (stream, SMILEY_FRAME_ERROR_INVALID, "reserved header bytes are not zero");
}

static void
test_unknown_frame_type (void)
{
  g_autoptr (GByteArray) stream = valid_prefix ();
  g_autoptr (GByteArray) p = g_byte_array_new ();

  put_frame (stream, 8, p);
  assert_stream_error (stream, SMILEY_FRAME_ERROR_INVALID, "unknown frame type 8");
  g_byte_array_set_size (stream, stream->len - 8);
  put_frame (stream, 0, p);
  assert_stream_error (stream, SMILEY_FRAME_ERROR_INVALID, "unknown frame type 0");
}

static void
test_truncated_stream_header (void)
{
  g_autoptr (GByteArray) stream = g_byte_array_new ();

  put_raw (stream, "SMLY\x01", 5);
  assert_stream_error (stream, SMILEY_FRAME_ERROR_TRUNCATED,
                       "after 5 bytes, inside its 8-byte header");
}

static void
test_truncated_frame_header (void)
{
  g_autoptr (GByteArray) stream = valid_prefix ();
  g_autofree char *where
      = g_strdup_printf ("inside the header of the frame at offset %u (3 of 8 bytes)", stream->len);

  put_raw (stream, "\x20\x00\x00", 3);
  assert_stream_error (stream, SMILEY_FRAME_ERROR_TRUNCATED, where);
}

/* Ends @stream with a one-event EVENTS frame cut one byte short: the
 * stream must fail as truncated inside that frame, at its offset. */
static void
assert_cut_events_frame_is_truncated (GByteArray *stream)
{
  g_autoptr (GByteArray) p = g_byte_array_new ();
  guint            offset = stream->len;
  g_autofree char *where = NULL;

  put_varint (p, 1);
  put_event (p, SMILEY_EVENT_LINE, 1, 1, NULL);
  put_frame (stream, SMILEY_WIRE_EVENTS, p);
  where = g_strdup_printf ("inside the frame at offset %u (EVENTS, %u of %u bytes)", offset,
                           stream->len - offset - 1, stream->len - offset);
  g_byte_array_set_size (stream, stream->len - 1);
  assert_stream_error (stream, SMILEY_FRAME_ERROR_TRUNCATED, where);
}

static void
test_truncated_payload (void)
{
  g_autoptr (GByteArray) stream = valid_prefix ();

  assert_cut_events_frame_is_truncated (stream);
}

static void
test_varint_overflow (void)
{
  g_autoptr (GByteArray) stream = valid_prefix ();
  g_autoptr (GByteArray) p = g_byte_array_new ();
  gsize prefix = stream->len;

  /* Eleven bytes. */
  put_raw (p, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x81\x00", 11);
  put_frame (stream, SMILEY_WIRE_EVENTS, p);
  assert_stream_error (stream, SMILEY_FRAME_ERROR_INVALID,
                       "event count: varint longer than 10 bytes");

  /* Ten bytes, but the last carries bits above 2^64. */
  g_byte_array_set_size (stream, prefix);
  put_raw (p, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 10);
  put_frame (stream, SMILEY_WIRE_EVENTS, p);
  assert_stream_error (stream, SMILEY_FRAME_ERROR_INVALID,
                       "event count: varint does not fit in 64 bits");

  /* A varint cut by the end of the frame. */
  g_byte_array_set_size (stream, prefix);
  put_raw (p, "\x81", 1);
  put_frame (stream, SMILEY_WIRE_EVENTS, p);
  assert_stream_error (stream, SMILEY_FRAME_ERROR_INVALID,
                       "event count: the frame ends inside a varint");

  /* 2^64 - 1 is fine where 64 bits are allowed, but not in a 32-bit
   * field such as a line number. */
  g_byte_array_set_size (stream, prefix);
  put_varint (p, 1);
  g_byte_array_append (p, (guint8[]){ SMILEY_EVENT_LINE }, 1);
  put_varint (p, 1);
  put_varint (p, G_MAXUINT64);
  put_varint (p, 0);
  put_varint (p, 0);
  put_varint (p, 0);
  put_varint (p, 1);
  put_varint (p, G_GUINT64_CONSTANT (1) << 32);
  put_varint (p, 2);
  put_varint (p, 0);
  put_varint (p, 0);
  put_frame (stream, SMILEY_WIRE_EVENTS, p);
  assert_stream_error (stream, SMILEY_FRAME_ERROR_INVALID, "line 4294967296 is out of range");
}

static void
test_undefined_string (void)
{
  g_autoptr (GByteArray) stream = valid_prefix ();
  g_autoptr (GByteArray) p = g_byte_array_new ();
  g_autofree char *where = g_strdup_printf (
      "frame at offset %u (EVENTS), event 1: file: string id 77 not defined", stream->len);

  put_varint (p, 2);
  put_event (p, SMILEY_EVENT_LINE, 1, 1, NULL);
  put_event (p, SMILEY_EVENT_LINE, 1, 77, NULL);
  put_frame (stream, SMILEY_WIRE_EVENTS, p);
  put_run_end (stream);
  assert_stream_error (stream, SMILEY_FRAME_ERROR_INVALID, where);
}

static void
test_undefined_local_name (void)
{
  g_autoptr (GByteArray) stream = valid_prefix ();
  g_autoptr (GByteArray) p = g_byte_array_new ();

  put_varint (p, 1);
  put_event (p, SMILEY_EVENT_LINE, 1, 1, NULL);
  g_byte_array_set_size (p, p->len - 1);
  put_varint (p, 1);
  put_varint (p, 3);
  put_varint (p, 0);
  put_frame (stream, SMILEY_WIRE_EVENTS, p);
  assert_stream_error (stream, SMILEY_FRAME_ERROR_INVALID, "local name: string id 3 not defined");
}

static void
test_undefined_thread (void)
{
  g_autoptr (GByteArray) stream = valid_prefix ();
  g_autoptr (GByteArray) p = g_byte_array_new ();
  gsize prefix = stream->len;

  put_varint (p, 1);
  put_event (p, SMILEY_EVENT_LINE, 2, 1, NULL);
  put_frame (stream, SMILEY_WIRE_EVENTS, p);
  assert_stream_error (stream, SMILEY_FRAME_ERROR_INVALID, "thread 2 not defined");

  g_byte_array_set_size (stream, prefix);
  put_varint (p, 1);
  put_event (p, SMILEY_EVENT_LINE, 0, 1, NULL);
  put_frame (stream, SMILEY_WIRE_EVENTS, p);
  assert_stream_error (stream, SMILEY_FRAME_ERROR_INVALID, "thread 0 not defined");
}

static void
test_bad_kind (void)
{
  g_autoptr (GByteArray) stream = valid_prefix ();
  g_autoptr (GByteArray) p = g_byte_array_new ();
  gsize prefix = stream->len;

  put_varint (p, 1);
  put_event (p, SMILEY_EVENT_KIND_LAST + 1, 1, 1, NULL);
  put_frame (stream, SMILEY_WIRE_EVENTS, p);
  assert_stream_error (stream, SMILEY_FRAME_ERROR_INVALID, "unknown event kind 10");

  g_byte_array_set_size (stream, prefix);
  put_varint (p, 1);
  put_event (p, 0, 1, 1, NULL);
  put_frame (stream, SMILEY_WIRE_EVENTS, p);
  assert_stream_error (stream, SMILEY_FRAME_ERROR_INVALID, "unknown event kind 0");
}

static void
test_bad_utf8 (void)
{
  g_autoptr (GByteArray) stream = valid_prefix ();
  g_autoptr (GByteArray) p = g_byte_array_new ();
  gsize prefix = stream->len;

  put_varint (p, 1);
  put_event (p, SMILEY_EVENT_RETURN, 1, 1, "bad \xc3\x28 utf-8");
  put_frame (stream, SMILEY_WIRE_EVENTS, p);
  assert_stream_error (stream, SMILEY_FRAME_ERROR_INVALID, "arg is not valid UTF-8");

  /* A NUL would cut the C string short. */
  g_byte_array_set_size (stream, prefix);
  put_varint (p, 1);
  put_varint (p, 3);
  put_varint (p, 3);
  put_raw (p, "a\0b", 3);
  put_frame (stream, SMILEY_WIRE_STRINGS, p);
  assert_stream_error (stream, SMILEY_FRAME_ERROR_INVALID, "string 0: text is not valid UTF-8");

  /* In the run's own strings too. */
  g_byte_array_set_size (stream, 0);
  put_stream_header (stream);
  put_str (p, "run");
  put_varint (p, 1);
  put_svarint (p, 0);
  put_str (p, "/tmp/\xff");
  put_frame (stream, SMILEY_WIRE_RUN_BEGIN, p);
  assert_stream_error (stream, SMILEY_FRAME_ERROR_INVALID, "cwd is not valid UTF-8");
}

static void
test_count_too_large (void)
{
  g_autoptr (GByteArray) stream = valid_prefix ();
  g_autoptr (GByteArray) p = g_byte_array_new ();
  gsize prefix = stream->len;
  const struct
  {
    guint       type;
    const char *message;
  } cases[] = {
    { SMILEY_WIRE_EVENTS, "event count 1099511627776 is more than" },
    { SMILEY_WIRE_STRINGS, "string count 1099511627776 is more than" },
    { SMILEY_WIRE_THREADS, "thread count 1099511627776 is more than" },
    { SMILEY_WIRE_STATS, "entry count 1099511627776 is more than" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_byte_array_set_size (stream, prefix);
      put_varint (p, G_GUINT64_CONSTANT (1) << 40);
      put_raw (p, "\0\0\0\0\0\0\0\0\0\0\0\0", 12);
      put_frame (stream, cases[i].type, p);
      assert_stream_error (stream, SMILEY_FRAME_ERROR_INVALID, cases[i].message);
    }

  /* Locals and argv counts too. */
  g_byte_array_set_size (stream, prefix);
  put_varint (p, 1);
  put_event (p, SMILEY_EVENT_LINE, 1, 1, NULL);
  g_byte_array_set_size (p, p->len - 1);
  put_varint (p, 1000);
  put_frame (stream, SMILEY_WIRE_EVENTS, p);
  assert_stream_error (stream, SMILEY_FRAME_ERROR_INVALID,
                       "number of locals 1000 is more than the 0 bytes");

  /* A string length beyond the frame. */
  g_byte_array_set_size (stream, prefix);
  put_varint (p, 1);
  put_varint (p, 3);
  put_varint (p, 1000);
  put_raw (p, "abc", 3);
  put_frame (stream, SMILEY_WIRE_STRINGS, p);
  assert_stream_error (stream, SMILEY_FRAME_ERROR_INVALID,
                       "text: length 1000 runs past the end of the frame");

  g_byte_array_set_size (stream, 0);
  put_stream_header (stream);
  put_str (p, "run");
  put_varint (p, 1);
  put_svarint (p, 0);
  put_str (p, "/");
  put_str (p, "");
  put_varint (p, G_MAXUINT64);
  put_frame (stream, SMILEY_WIRE_RUN_BEGIN, p);
  assert_stream_error (stream, SMILEY_FRAME_ERROR_INVALID,
                       "argc 18446744073709551615 is more than");
}

static void
test_trailing_bytes (void)
{
  g_autoptr (GByteArray) stream = valid_prefix ();
  g_autoptr (GByteArray) p = g_byte_array_new ();
  gsize       prefix = stream->len;
  const guint types[]
      = { SMILEY_WIRE_EVENTS, SMILEY_WIRE_STRINGS, SMILEY_WIRE_THREADS, SMILEY_WIRE_STATS };

  put_varint (p, 1);
  put_event (p, SMILEY_EVENT_LINE, 1, 1, NULL);
  put_raw (p, "\0", 1);
  put_frame (stream, SMILEY_WIRE_EVENTS, p);
  assert_stream_error (stream, SMILEY_FRAME_ERROR_INVALID,
                       "(EVENTS): 1 bytes left over after the last field");

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      g_byte_array_set_size (stream, prefix);
      put_varint (p, 0);
      put_raw (p, "xy", 2);
      put_frame (stream, types[i], p);
      assert_stream_error (stream, SMILEY_FRAME_ERROR_INVALID,
                           "2 bytes left over after the last field");
    }

  g_byte_array_set_size (stream, prefix);
  put_varint (p, 1);
  put_varint (p, 0);
  put_raw (p, "zz", 2);
  put_frame (stream, SMILEY_WIRE_SOURCE, p);
  assert_stream_error (stream, SMILEY_FRAME_ERROR_INVALID, "(SOURCE): 2 bytes left over");

  g_byte_array_set_size (stream, prefix);
  put_run_end (stream);
  g_byte_array_set_size (stream, stream->len - 8 - 7);
  put_svarint (p, 5);
  put_varint (p, SMILEY_RUN_FINISHED);
  put_svarint (p, 0);
  put_varint (p, 0);
  put_varint (p, 0);
  put_varint (p, 0);
  put_varint (p, 1);
  put_varint (p, 1);
  put_frame (stream, SMILEY_WIRE_RUN_END, p);
  assert_stream_error (stream, SMILEY_FRAME_ERROR_INVALID, "(RUN_END): 1 bytes left over");
}

static void
test_frame_after_run_end (void)
{
  g_autoptr (GByteArray) stream = valid_prefix ();
  g_autoptr (GByteArray) p = g_byte_array_new ();
  g_autofree char *where = NULL;

  put_run_end (stream);
  where = g_strdup_printf ("frame at offset %u: data after RUN_END", stream->len);
  put_varint (p, 0);
  put_frame (stream, SMILEY_WIRE_EVENTS, p);
  assert_stream_error (stream, SMILEY_FRAME_ERROR_INVALID, where);

  /* Even a single stray byte. */
  g_byte_array_set_size (stream, stream->len - 9);
  put_raw (stream, "\0", 1);
  assert_stream_error (stream, SMILEY_FRAME_ERROR_INVALID, "data after RUN_END");
}

static void
test_frame_before_run_begin (void)
{
  g_autoptr (GByteArray) stream = g_byte_array_new ();
  g_autoptr (GByteArray) p = g_byte_array_new ();

  put_stream_header (stream);
  put_varint (p, 1);
  put_varint (p, 1);
  put_str (p, "a.py");
  put_frame (stream, SMILEY_WIRE_STRINGS, p);
  assert_stream_error (stream, SMILEY_FRAME_ERROR_INVALID,
                       "frame at offset 8 (STRINGS) comes before RUN_BEGIN");

  g_byte_array_set_size (stream, 8);
  put_run_end (stream);
  assert_stream_error (stream, SMILEY_FRAME_ERROR_INVALID, "(RUN_END) comes before RUN_BEGIN");
}

static void
test_repeated_run_begin (void)
{
  g_autoptr (GByteArray) stream = valid_prefix ();

  put_run_begin (stream, "again");
  assert_stream_error (stream, SMILEY_FRAME_ERROR_INVALID,
                       "(RUN_BEGIN): the run has already begun");
}

static void
test_bad_run_id (void)
{
  const char *ids[] = { "", "../etc", "a/b", "a b", "tab\there", ".hidden" };

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      g_autoptr (GByteArray) stream = g_byte_array_new ();

      put_stream_header (stream);
      put_run_begin (stream, ids[i]);
      assert_stream_error (stream, SMILEY_FRAME_ERROR_INVALID, "run id must be 1 to 128 printable");
    }
}

static void
test_string_id_gap (void)
{
  g_autoptr (GByteArray) stream = valid_prefix ();
  g_autoptr (GByteArray) p = g_byte_array_new ();
  gsize prefix = stream->len;

  put_varint (p, 1);
  put_varint (p, 5);
  put_str (p, "x");
  put_frame (stream, SMILEY_WIRE_STRINGS, p);
  assert_stream_error (stream, SMILEY_FRAME_ERROR_INVALID, "string id 5 is not the next free id 3");

  /* Redefining is refused as well. */
  g_byte_array_set_size (stream, prefix);
  put_varint (p, 1);
  put_varint (p, 1);
  put_str (p, "x");
  put_frame (stream, SMILEY_WIRE_STRINGS, p);
  assert_stream_error (stream, SMILEY_FRAME_ERROR_INVALID, "string id 1 is not the next free id 3");
}

static void
test_thread_id_gap (void)
{
  g_autoptr (GByteArray) stream = valid_prefix ();
  g_autoptr (GByteArray) p = g_byte_array_new ();
  gsize prefix = stream->len;

  /* A hostile id must not size the thread table. */
  put_varint (p, 1);
  put_varint (p, G_MAXUINT32);
  put_varint (p, 1);
  put_varint (p, 1);
  put_str (p, "x");
  put_frame (stream, SMILEY_WIRE_THREADS, p);
  assert_stream_error (stream, SMILEY_FRAME_ERROR_INVALID,
                       "thread id 4294967295 is neither a known thread nor the next free id 2");

  g_byte_array_set_size (stream, prefix);
  put_varint (p, 1);
  put_varint (p, 0);
  put_varint (p, 1);
  put_varint (p, 1);
  put_str (p, "x");
  put_frame (stream, SMILEY_WIRE_THREADS, p);
  assert_stream_error (stream, SMILEY_FRAME_ERROR_INVALID, "thread id 0 is neither");
}

static void
test_bad_source (void)
{
  g_autoptr (GByteArray) stream = valid_prefix ();
  g_autoptr (GByteArray) p = g_byte_array_new ();

  put_varint (p, 9);
  put_varint (p, 0);
  put_frame (stream, SMILEY_WIRE_SOURCE, p);
  assert_stream_error (stream, SMILEY_FRAME_ERROR_INVALID,
                       "(SOURCE): file: string id 9 not defined");
}

static void
test_bad_stats (void)
{
  g_autoptr (GByteArray) stream = valid_prefix ();
  g_autoptr (GByteArray) p = g_byte_array_new ();

  put_varint (p, 1);
  put_str (p, "a.py");
  put_varint (p, 1);
  put_str (p, "f");
  put_varint (p, 1);
  put_varint (p, 1);
  put_svarint (p, 1);
  put_svarint (p, 1);
  put_varint (p, 1);
  put_varint (p, 1); /* caller 1 of 1 entry */
  put_varint (p, 1);
  put_varint (p, 1);
  put_svarint (p, 1);
  put_svarint (p, 1);
  put_frame (stream, SMILEY_WIRE_STATS, p);
  assert_stream_error (stream, SMILEY_FRAME_ERROR_INVALID,
                       "entry 0: caller index 1 is not below the entry count 1");
}

static void
put_stats_entry (GByteArray *p, const char *function, guint line, guint64 ncalls, gint64 time,
                 guint caller, guint64 caller_ncalls)
{
  put_str (p, "a.py");
  put_varint (p, line);
  put_str (p, function);
  put_varint (p, ncalls);
  put_varint (p, ncalls);
  put_svarint (p, time);
  put_svarint (p, time);
  put_varint (p, 1);
  put_varint (p, caller);
  put_varint (p, caller_ncalls);
  put_varint (p, caller_ncalls);
  put_svarint (p, time);
  put_svarint (p, time);
}

/* Two entries for one function (two lambdas or comprehensions on one
 * line) are summed, as pstats does, and callers follow the merge. */
static void
test_stats_duplicates (void)
{
  g_autoptr (GByteArray) stream = valid_prefix ();
  g_autoptr (GByteArray) p = g_byte_array_new ();
  g_autoptr (Decoded) d = NULL;
  SmileyStats       *stats;
  SmileyStatsEntry  *f, *g;
  SmileyStatsCaller *caller;

  put_varint (p, 3);
  put_stats_entry (p, "f", 1, 1, 10, 1, 1);
  put_stats_entry (p, "g", 2, 5, 20, 2, 2);
  put_stats_entry (p, "f", 1, 3, G_MAXINT64, 1, 4);
  put_frame (stream, SMILEY_WIRE_STATS, p);
  put_run_end (stream);

  d = decode_full (stream->data, stream->len, FEED_ALL, 0, 0);
  g_assert_no_error (d->error);
  g_assert_true (d->ended);
  stats = smiley_run_get_stats (d->run);
  g_assert_cmpuint (smiley_stats_get_length (stats), ==, 2);
  f = smiley_stats_get_entry (stats, 0);
  g = smiley_stats_get_entry (stats, 1);
  g_assert_cmpstr (f->function, ==, "f");
  g_assert_cmpuint (f->ncalls, ==, 4);
  g_assert_cmpuint (f->primcalls, ==, 4);
  /* Sums wrap rather than overflow. */
  g_assert_cmpint (f->tottime_ns, ==, (gint64)((guint64)G_MAXINT64 + 10));
  g_assert_cmpuint (f->callers->len, ==, 1);
  caller = &g_array_index (f->callers, SmileyStatsCaller, 0);
  g_assert_cmpuint (caller->caller, ==, 1);
  g_assert_cmpuint (caller->ncalls, ==, 5);
  g_assert_cmpstr (g->function, ==, "g");
  g_assert_cmpuint (g->ncalls, ==, 5);
  g_assert_cmpuint (g->callers->len, ==, 1);
  caller = &g_array_index (g->callers, SmileyStatsCaller, 0);
  g_assert_cmpuint (caller->caller, ==, 0);
  g_assert_cmpuint (caller->ncalls, ==, 2);
}

static void
test_bad_run_end (void)
{
  g_autoptr (GByteArray) stream = valid_prefix ();
  g_autoptr (GByteArray) p = g_byte_array_new ();
  gsize prefix = stream->len;

  put_svarint (p, 5);
  put_varint (p, 3);
  put_frame (stream, SMILEY_WIRE_RUN_END, p);
  assert_stream_error (stream, SMILEY_FRAME_ERROR_INVALID, "unknown run state 3");

  g_byte_array_set_size (stream, prefix);
  put_svarint (p, 5);
  put_varint (p, 1);
  put_svarint (p, G_GINT64_CONSTANT (1) << 40);
  put_frame (stream, SMILEY_WIRE_RUN_END, p);
  assert_stream_error (stream, SMILEY_FRAME_ERROR_INVALID,
                       "exit status 1099511627776 is out of range");
}

/* Events of intact frames merged before a broken one are reported first;
 * the error follows. */
static void
test_error_after_merged_events (void)
{
  g_autoptr (GByteArray) stream = valid_prefix ();
  g_autoptr (GByteArray) p = g_byte_array_new ();
  g_autoptr (SmileyFrameReader) reader = smiley_frame_reader_new (0);
  SmileyFrameMessage message;
  SmileyBatch       *batch = NULL;
  GError            *error = NULL;

  for (guint i = 0; i < 3; i++)
    {
      put_varint (p, 1);
      put_event (p, SMILEY_EVENT_LINE, 1, 1, "ok");
      put_frame (stream, SMILEY_WIRE_EVENTS, p);
    }
  /* Two good events, then a bad one, in the same frame. */
  put_varint (p, 3);
  put_event (p, SMILEY_EVENT_LINE, 1, 1, NULL);
  put_event (p, SMILEY_EVENT_LINE, 1, 1, NULL);
  put_event (p, SMILEY_EVENT_LINE, 1, 99, NULL);
  put_frame (stream, SMILEY_WIRE_EVENTS, p);

  smiley_frame_reader_set_max_batch (reader, 100);
  smiley_frame_reader_feed (reader, stream->data, stream->len);
  g_assert_true (smiley_frame_reader_next (reader, &message, &batch, &error));
  g_assert_cmpint (message, ==, SMILEY_FRAME_RUN_BEGIN);
  g_assert_true (smiley_frame_reader_next (reader, &message, &batch, &error));
  g_assert_cmpint (message, ==, SMILEY_FRAME_BATCH);
  /* Only the three intact frames' events. */
  g_assert_cmpuint (smiley_batch_get_length (batch), ==, 3);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpstr (smiley_batch_get_event (batch, i)->arg, ==, "ok");
  g_clear_pointer (&batch, smiley_batch_unref);
  g_assert_false (smiley_frame_reader_next (reader, &message, &batch, &error));
  g_assert_error (error, SMILEY_FRAME_ERROR, SMILEY_FRAME_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "event 2: file: string id 99 not defined"));
  g_assert_null (batch);
  g_clear_error (&error);
}

/* A broken EVENTS frame after good ones, in pass-through mode: the good
 * frames come first, exactly as fed and with only their own new files,
 * then the error, the same as decoding gives, and it sticks. */
static void
test_pass_error_after_good (void)
{
  const char *messages[] = {
    "event 1: thread 9 not defined",           "event 1: arg is not valid UTF-8",
    "event 1: local value is not valid UTF-8", "event 1: local name: string id 7 not defined",
    "event 1: file: string id 7 not defined",  "(EVENTS): 1 bytes left over after the last field",
  };

  for (guint k = 0; k < G_N_ELEMENTS (messages); k++)
    for (guint max_batch = 0; max_batch <= 100; max_batch += 100)
      {
        g_autoptr (GByteArray) stream = valid_prefix ();
        g_autoptr (GByteArray) p = g_byte_array_new ();
        g_autoptr (SmileyFrameReader) reader = smiley_frame_reader_new (0);
        g_autoptr (Decoded) decoded = NULL;
        g_autoptr (GError) error = NULL;
        g_autoptr (GError) again = NULL;
        SmileyFrameMessage message;
        gsize              good_start, good_end, length;
        const guint8      *frames;
        const guint32     *files;
        guint              n_events, n_files;

        good_start = stream->len;
        for (guint i = 0; i < 3; i++)
          {
            put_varint (p, 1);
            put_event (p, SMILEY_EVENT_LINE, 1, 1, "ok");
            put_frame (stream, SMILEY_WIRE_EVENTS, p);
          }
        good_end = stream->len;
        /* A good event in a file not seen yet, then a broken one. */
        put_varint (p, 2);
        put_event (p, SMILEY_EVENT_LINE, 1, 2, NULL);
        switch (k)
          {
          case 0:
            put_event (p, SMILEY_EVENT_LINE, 9, 1, NULL);
            break;
          case 1:
            put_event (p, SMILEY_EVENT_RETURN, 1, 1, "ok\xff");
            break;
          case 2:
          case 3:
            put_event (p, SMILEY_EVENT_LINE, 1, 1, NULL);
            g_byte_array_set_size (p, p->len - 1);
            put_varint (p, 1);
            put_varint (p, k == 2 ? 1 : 7);
            put_varint (p, 3);
            put_raw (p, k == 2 ? "\xc3(" : "ok", 2);
            break;
          case 4:
            put_event (p, SMILEY_EVENT_LINE, 1, 7, NULL);
            break;
          default:
            put_event (p, SMILEY_EVENT_LINE, 1, 1, NULL);
            put_raw (p, "\0", 1);
            break;
          }
        put_frame (stream, SMILEY_WIRE_EVENTS, p);
        put_run_end (stream);

        smiley_frame_reader_set_pass_events (reader, TRUE);
        smiley_frame_reader_set_max_batch (reader, max_batch);
        smiley_frame_reader_feed (reader, stream->data, stream->len);
        g_assert_true (smiley_frame_reader_next (reader, &message, NULL, &error));
        g_assert_cmpint (message, ==, SMILEY_FRAME_RUN_BEGIN);
        /* Merged into one span, or one span per frame. */
        for (guint s = 0; s < (max_batch > 0 ? 1 : 3); s++)
          {
            gsize frame_size = (good_end - good_start) / 3;

            g_assert_true (smiley_frame_reader_next (reader, &message, NULL, &error));
            g_assert_no_error (error);
            g_assert_cmpint (message, ==, SMILEY_FRAME_ENCODED_EVENTS);
            frames = smiley_frame_reader_get_encoded_events (reader, &length, &n_events);
            if (max_batch > 0)
              {
                g_assert_cmpuint (n_events, ==, 3);
                g_assert_cmpmem (frames, length, stream->data + good_start, good_end - good_start);
              }
            else
              {
                g_assert_cmpuint (n_events, ==, 1);
                g_assert_cmpmem (frames, length, stream->data + good_start + s * frame_size,
                                 frame_size);
              }
            /* File 2 is only in the broken frame. */
            files = smiley_frame_reader_get_new_files (reader, &n_files);
            if (s == 0)
              {
                g_assert_cmpuint (n_files, ==, 1);
                g_assert_cmpuint (files[0], ==, 1);
              }
            else
              g_assert_cmpuint (n_files, ==, 0);
          }
        g_assert_false (smiley_frame_reader_next (reader, &message, NULL, &error));
        g_assert_error (error, SMILEY_FRAME_ERROR, SMILEY_FRAME_ERROR_INVALID);
        if (strstr (error->message, messages[k]) == NULL)
          g_error ("error “%s” does not contain “%s”", error->message, messages[k]);
        g_assert_null (smiley_frame_reader_get_encoded_events (reader, &length, NULL));
        g_assert_false (smiley_frame_reader_next (reader, &message, NULL, &again));
        g_assert_cmpstr (again->message, ==, error->message);
        g_clear_error (&again);
        g_assert_false (smiley_frame_reader_finish (reader, &again));
        g_assert_cmpstr (again->message, ==, error->message);

        /* Decoding finds the same, after the same three events. */
        decoded = decode_full (stream->data, stream->len, FEED_ALL, max_batch, 0);
        g_assert_nonnull (decoded->error);
        g_assert_cmpstr (decoded->error->message, ==, error->message);
        {
          g_autoptr (SmileyBatch) got = concat (decoded->batches);

          g_assert_cmpuint (smiley_batch_get_length (got), ==, 3);
        }
      }
}

/* Writes @v in exactly @size bytes (padded with zero groups when @v
 * needs fewer), as a producer may. */
static void
put_varint_sized (GByteArray *a, guint64 v, guint size)
{
  for (guint i = 0; i + 1 < size; i++)
    {
      guint8 b = (v & 0x7f) | 0x80;

      g_byte_array_append (a, &b, 1);
      v >>= 7;
    }
  g_assert_cmpuint (v, <, size < SMILEY_WIRE_MAX_VARINT ? 0x80 : 2);
  g_byte_array_append (a, (guint8[]){ v }, 1);
}

/* Every length of varint, 1 to 10 bytes, is read wherever it is: inside a
 * frame, and ending exactly at the frame's end. */
static void
test_varint_lengths (void)
{
  for (guint size = 1; size <= SMILEY_WIRE_MAX_VARINT; size++)
    {
      g_autoptr (GByteArray) stream = valid_prefix ();
      g_autoptr (GByteArray) p = g_byte_array_new ();
      /* The smallest and largest values of that length. */
      guint64 low = size == 1 ? 0 : G_GUINT64_CONSTANT (1) << (7 * (size - 1));
      guint64 high = size == SMILEY_WIRE_MAX_VARINT ? G_MAXUINT64
                                                    : (G_GUINT64_CONSTANT (1) << (7 * size)) - 1;

      /* Call id, parent and time of that length, and the event's locals
       * count (0, padded) last in the frame. */
      put_varint (p, 2);
      for (guint e = 0; e < 2; e++)
        {
          g_byte_array_append (p, (guint8[]){ SMILEY_EVENT_LINE }, 1);
          put_varint (p, 1);
          put_varint_sized (p, e == 0 ? low : high, size);
          put_varint_sized (p, e == 0 ? high : low, size);
          put_varint (p, 0);
          put_varint_sized (p, e == 0 ? low : high, size);
          put_varint (p, 1);
          put_varint (p, 3);
          put_varint (p, 2);
          put_varint (p, 0);
          put_varint_sized (p, 0, size);
        }
      put_frame (stream, SMILEY_WIRE_EVENTS, p);
      /* An absent local value last in the frame. */
      put_varint (p, 1);
      put_event (p, SMILEY_EVENT_LINE, 1, 1, NULL);
      g_byte_array_set_size (p, p->len - 1);
      put_varint (p, 1);
      put_varint (p, 2);
      put_varint_sized (p, 0, size);
      put_frame (stream, SMILEY_WIRE_EVENTS, p);
      /* An empty EVENTS frame: the count is all there is. */
      put_varint_sized (p, 0, size);
      put_frame (stream, SMILEY_WIRE_EVENTS, p);
      /* The events emitted, last in RUN_END. */
      put_svarint (p, 5);
      put_varint (p, SMILEY_RUN_FINISHED);
      put_svarint (p, 0);
      put_varint (p, 0);
      put_varint (p, 0);
      put_varint (p, 0);
      put_varint_sized (p, high, size);
      put_frame (stream, SMILEY_WIRE_RUN_END, p);

      for (guint pass = 0; pass < 2; pass++)
        for (FeedMode mode = FEED_ALL; mode <= FEED_BYTES; mode++)
          {
            g_autoptr (Decoded) d = decode_stream (stream->data, stream->len, mode, 0, 0, pass);
            g_autoptr (SmileyBatch) got = NULL;

            g_assert_no_error (d->error);
            g_assert_no_error (d->finish_error);
            g_assert_true (d->ended);
            g_assert_cmpuint (smiley_run_get_events_emitted (d->run), ==, high);
            if (pass)
              {
                guint n = 0;

                for (guint s = 0; s < d->spans->len; s++)
                  n += get_span (d, s)->n_events;
                g_assert_cmpuint (n, ==, 3);
                continue;
              }
            got = concat (d->batches);
            g_assert_cmpuint (smiley_batch_get_length (got), ==, 3);
            g_assert_cmpuint (smiley_batch_get_event (got, 0)->call_id, ==, low);
            g_assert_cmpuint (smiley_batch_get_event (got, 0)->parent_call_id, ==, high);
            g_assert_cmpint (smiley_batch_get_event (got, 0)->time_ns, ==, (gint64)low);
            g_assert_cmpuint (smiley_batch_get_event (got, 0)->n_locals, ==, 0);
            g_assert_cmpuint (smiley_batch_get_event (got, 1)->call_id, ==, high);
            g_assert_cmpuint (smiley_batch_get_event (got, 1)->parent_call_id, ==, low);
            g_assert_cmpint (smiley_batch_get_event (got, 1)->time_ns, ==, (gint64)high);
            g_assert_cmpuint (smiley_batch_get_event (got, 2)->n_locals, ==, 1);
            g_assert_cmpuint (smiley_batch_get_event (got, 2)->locals[0].name, ==, 2);
            g_assert_null (smiley_batch_get_event (got, 2)->locals[0].value);
          }
    }
}

/* Varints the frame's end cuts, of any length, and those too long or too
 * large, wherever they are. */
static void
test_varint_refused (void)
{
  g_autoptr (GByteArray) stream = valid_prefix ();
  g_autoptr (GByteArray) p = g_byte_array_new ();
  gsize prefix = stream->len;

  for (guint size = 1; size <= 11; size++)
    {
      const char *cut = size < SMILEY_WIRE_MAX_VARINT ? "the frame ends inside a varint"
                                                      : "varint longer than 10 bytes";

      /* The event count, the locals count and RUN_END's last field. */
      g_byte_array_set_size (stream, prefix);
      for (guint i = 0; i < size; i++)
        put_raw (p, "\xff", 1);
      put_frame (stream, SMILEY_WIRE_EVENTS, p);
      assert_stream_error (stream, SMILEY_FRAME_ERROR_INVALID, cut);

      g_byte_array_set_size (stream, prefix);
      put_varint (p, 1);
      put_event (p, SMILEY_EVENT_LINE, 1, 1, NULL);
      g_byte_array_set_size (p, p->len - 1);
      for (guint i = 0; i < size; i++)
        put_raw (p, "\x80", 1);
      put_frame (stream, SMILEY_WIRE_EVENTS, p);
      assert_stream_error (stream, SMILEY_FRAME_ERROR_INVALID,
                           size < SMILEY_WIRE_MAX_VARINT ? "number of locals: the frame ends"
                                                         : "number of locals: varint longer");

      g_byte_array_set_size (stream, prefix);
      put_svarint (p, 5);
      put_varint (p, SMILEY_RUN_FINISHED);
      put_svarint (p, 0);
      put_varint (p, 0);
      put_varint (p, 0);
      put_varint (p, 0);
      for (guint i = 0; i < size; i++)
        put_raw (p, "\x81", 1);
      put_frame (stream, SMILEY_WIRE_RUN_END, p);
      assert_stream_error (stream, SMILEY_FRAME_ERROR_INVALID, cut);
    }

  /* Eleven bytes, and a tenth byte above 1, inside an event (the call
   * id) and at the frame's end (the locals count). */
  for (guint last = 0; last < 2; last++)
    for (guint tenth = 0x00; tenth <= 0xff; tenth++)
      {
        guint8 bytes[11] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, tenth, 0x00 };
        gsize  n = tenth & 0x80 ? 11 : 10;

        if (tenth <= 0x01)
          continue;
        g_byte_array_set_size (stream, prefix);
        put_varint (p, 1);
        g_byte_array_append (p, (guint8[]){ SMILEY_EVENT_LINE }, 1);
        put_varint (p, 1);
        if (!last)
          put_raw (p, bytes, n);
        else
          put_varint (p, 1);
        put_varint (p, 0);
        put_varint (p, 0);
        put_varint (p, 0);
        put_varint (p, 1);
        put_varint (p, 3);
        put_varint (p, 2);
        put_varint (p, 0);
        if (last)
          put_raw (p, bytes, n);
        else
          put_varint (p, 0);
        put_frame (stream, SMILEY_WIRE_EVENTS, p);
        assert_stream_error (stream, SMILEY_FRAME_ERROR_INVALID,
                             tenth & 0x80 ? "varint longer than 10 bytes"
                                          : "varint does not fit in 64 bits");
      }
}

/* Builds a stream whose @place ("arg", "local value" or "text" of a
 * string) is @value. */
static GByteArray *
stream_with_string (const char *place, const guint8 *value, gsize len)
{
  GByteArray *stream = valid_prefix ();
  g_autoptr (GByteArray) p = g_byte_array_new ();

  if (g_str_equal (place, "text"))
    {
      put_varint (p, 1);
      put_varint (p, 3);
      put_varint (p, len);
      put_raw (p, value, len);
      put_frame (stream, SMILEY_WIRE_STRINGS, p);
      put_varint (p, 1);
      put_event (p, SMILEY_EVENT_LINE, 1, 3, NULL);
    }
  else
    {
      put_varint (p, 1);
      put_event (p, SMILEY_EVENT_RETURN, 1, 1, NULL);
      g_byte_array_set_size (p, p->len - 2);
      if (g_str_equal (place, "arg"))
        {
          put_varint (p, len + 1);
          put_raw (p, value, len);
          put_varint (p, 0);
        }
      else
        {
          put_varint (p, 0);
          put_varint (p, 1);
          put_varint (p, 2);
          put_varint (p, len + 1);
          put_raw (p, value, len);
        }
    }
  put_frame (stream, SMILEY_WIRE_EVENTS, p);
  put_run_end (stream);
  return stream;
}

/* Decodes @stream whole, normally and passed through; returns the one
 * event, or NULL with the error both modes gave. */
static SmileyBatch *
decode_both (GByteArray *stream, char **error_message)
{
  g_autoptr (Decoded) d = decode_full (stream->data, stream->len, FEED_ALL, 0, 0);
  g_autoptr (Decoded) passed = decode_stream (stream->data, stream->len, FEED_ALL, 0, 0, TRUE);

  if (d->error != NULL)
    {
      g_assert_nonnull (passed->error);
      g_assert_cmpstr (passed->error->message, ==, d->error->message);
      g_assert_cmpuint (passed->spans->len, ==, 0);
      *error_message = g_strdup (d->error->message);
      return NULL;
    }
  g_assert_no_error (passed->error);
  g_assert_true (passed->ended);
  g_assert_cmpuint (passed->spans->len, ==, 1);
  g_assert_cmpuint (d->batches->len, ==, 1);
  *error_message = NULL;
  return smiley_batch_ref (g_ptr_array_index (d->batches, 0));
}

/* A NUL or a byte that is not UTF-8 is found at every position of strings
 * of every length up to 40, whether it starts, ends or straddles the
 * eight-byte words of the ASCII check; any ASCII or multi-byte character
 * at any position is kept. */
static void
test_utf8_positions (void)
{
  const char *places[] = { "arg", "local value", "text" };
  const guint bad[] = { 0x00, 0x80, 0xbf, 0xc0, 0xc3, 0xed, 0xf8, 0xff };
  const char *good[] = { "\x01", "\x7f", "é", "☃", "🐍" };

  for (guint pl = 0; pl < G_N_ELEMENTS (places); pl++)
    for (gsize len = 1; len <= 40; len++)
      for (gsize at = 0; at < len; at++)
        {
          g_autofree guint8 *value = g_malloc (len + 1);

          /* Every ASCII character somewhere. */
          for (gsize i = 0; i < len; i++)
            value[i] = 1 + (i * 37 + len * 11 + at) % 127;
          value[len] = '\0';
          for (guint b = 0; b < G_N_ELEMENTS (bad); b++)
            {
              g_autoptr (GByteArray) stream = NULL;
              g_autoptr (SmileyBatch) got = NULL;
              g_autofree char *message = NULL;
              g_autofree char *want = g_strdup_printf ("%s is not valid UTF-8", places[pl]);
              guint8           saved = value[at];

              value[at] = bad[b];
              stream = stream_with_string (places[pl], value, len);
              got = decode_both (stream, &message);
              if (got != NULL)
                g_error ("%s of %" G_GSIZE_FORMAT " bytes with 0x%02x at %" G_GSIZE_FORMAT
                         " was accepted",
                         places[pl], len, bad[b], at);
              if (strstr (message, want) == NULL)
                g_error ("error “%s” does not contain “%s”", message, want);
              value[at] = saved;
            }
          for (guint g = 0; g < G_N_ELEMENTS (good); g++)
            {
              gsize n = strlen (good[g]);
              g_autoptr (GByteArray) stream = NULL;
              g_autoptr (SmileyBatch) got = NULL;
              g_autofree char *message = NULL;
              g_autofree char *text = NULL;

              if (at + n > len)
                continue;
              text = g_strndup ((const char *)value, len);
              memcpy (text + at, good[g], n);
              stream = stream_with_string (places[pl], (const guint8 *)text, len);
              got = decode_both (stream, &message);
              if (got == NULL)
                g_error ("%s “%s” was refused: %s", places[pl], text, message);
              if (g_str_equal (places[pl], "arg"))
                g_assert_cmpstr (smiley_batch_get_event (got, 0)->arg, ==, text);
              else if (g_str_equal (places[pl], "local value"))
                g_assert_cmpstr (smiley_batch_get_event (got, 0)->locals[0].value, ==, text);
              else
                g_assert_cmpuint (smiley_batch_get_event (got, 0)->file, ==, 3);
            }
        }
}

/* Whatever the bytes, the reader answers with data or an error, never a
 * crash: every prefix and single-byte corruption of a real stream. */
static void
test_corruptions (void)
{
  g_autoptr (SmileyBatch) batch = NULL;
  g_autoptr (SmileyRun) run = golden_run (&batch);
  g_autoptr (GPtrArray) batches = batches_new ();
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (SmileyStats) stats = smiley_stats_new ();
  SmileyStatsCaller caller = { 0, 1, 1, 1, 1 };
  const guint8     *data;
  gsize             len;

  smiley_stats_add_entry (stats, "demo.py", 1, "main");
  smiley_stats_add_caller (stats, 0, &caller);
  smiley_run_set_stats (run, stats);
  g_ptr_array_add (batches, smiley_batch_ref (batch));
  bytes = encode (run, batches, TRUE);
  data = g_bytes_get_data (bytes, &len);

  for (gsize cut = 0; cut < len; cut++)
    {
      g_autoptr (Decoded) d = decode_full (data, cut, FEED_ALL, 0, 0);

      /* A prefix never decodes to an ended run. */
      g_assert_false (d->ended);
    }
  for (gsize at = 0; at < len; at++)
    for (guint bit = 0; bit < 8; bit++)
      {
        g_autofree guint8 *copy = g_memdup2 (data, len);
        g_autoptr (Decoded) d = NULL;
        g_autoptr (Decoded) passed = NULL;
        g_autoptr (SmileyBatch) events = NULL;
        guint n_passed = 0;

        copy[at] ^= 1u << bit;
        d = decode_full (copy, len, FEED_ALL, 3, 0);
        if (d->error != NULL)
          g_assert_true (d->error->domain == SMILEY_FRAME_ERROR);

        /* Passed through, the same bytes give the same events (as many)
         * and the same error. */
        passed = decode_stream (copy, len, FEED_ALL, 3, 0, TRUE);
        g_assert_cmpstr (passed->error != NULL ? passed->error->message : NULL, ==,
                         d->error != NULL ? d->error->message : NULL);
        g_assert_cmpstr (passed->finish_error != NULL ? passed->finish_error->message : NULL, ==,
                         d->finish_error != NULL ? d->finish_error->message : NULL);
        events = concat (d->batches);
        for (guint s = 0; s < passed->spans->len; s++)
          n_passed += get_span (passed, s)->n_events;
        g_assert_cmpuint (n_passed, ==, smiley_batch_get_length (events));

        /* Lent or received in pieces, the same events and the same error
         * at the same offset (a bad magic number is shown as far as it
         * had arrived). */
        for (FeedMode mode = FEED_LEND; mode <= FEED_RESERVE; mode++)
          {
            g_autoptr (Decoded) other = decode_full (copy, len, mode, 3, 0);
            g_autoptr (SmileyBatch) other_events = concat (other->batches);
            GError *error = d->error != NULL ? d->error : d->finish_error;
            GError *other_error = other->error != NULL ? other->error : other->finish_error;

            assert_batch_equal (events, other_events);
            g_assert_true ((error == NULL) == (other_error == NULL));
            if (error == NULL)
              continue;
            g_assert_error (other_error, error->domain, error->code);
            if (error->code != SMILEY_FRAME_ERROR_BAD_MAGIC)
              g_assert_cmpstr (other_error->message, ==, error->message);
          }
      }
}

/* ------------------------------------------------------------------ */
/* Lent and received in place (lend/take_back, reserve/commit)          */

/* A run with something in every table, and @n_batches batches of
 * @per_batch events with values and locals. */
static SmileyRun *
lend_run (GPtrArray *batches, guint n_batches, guint per_batch)
{
  SmileyRun  *run = make_run ("lend");
  const char *locals[] = { "i", "0", "name", "'a string value'" };
  g_autoptr (SmileyStats) stats = smiley_stats_new ();
  g_autoptr (GBytes) source = g_bytes_new_static ("def f(i):\n    return i\n", 24);
  SmileyStatsCaller caller = { 0, 2, 2, 30, 40 };

  smiley_run_set_thread (run, 2, 4242, 4250, "Worker-1");
  smiley_run_add_source (run, smiley_run_intern (run, "prog.py"), source);
  for (guint b = 0; b < n_batches; b++)
    {
      SmileyBatch *batch = smiley_batch_new ();

      for (guint e = 0; e < per_batch; e++)
        {
          guint64          call_id = b * per_batch + e;
          g_autofree char *function = g_strdup_printf ("function_%u", (guint)(call_id % 13));
          g_autofree char *arg = g_strdup_printf ("'value %" G_GUINT64_FORMAT "'", call_id);

          add_event (run, batch, 1 + e % 3, 1 + e % 2, call_id, "prog.py", e, function,
                     e % 3 == 2 ? arg : NULL, e % 3, locals);
        }
      g_ptr_array_add (batches, batch);
    }
  smiley_stats_add_entry (stats, "prog.py", 1, "function_0");
  smiley_stats_add_entry (stats, "prog.py", 3, "function_1");
  smiley_stats_get_entry (stats, 1)->ncalls = 2;
  smiley_stats_add_caller (stats, 1, &caller);
  smiley_run_set_stats (run, stats);
  end_run (run);
  return run;
}

/* Where the stream header and each frame of a valid stream end. */
static GArray *
frame_ends (const guint8 *data, gsize len)
{
  GArray *ends = g_array_new (FALSE, FALSE, sizeof (gsize));
  gsize   at = SMILEY_WIRE_STREAM_HEADER_SIZE;

  g_array_append_val (ends, at);
  while (at < len)
    {
      at += smiley_wire_get_u32 (data + at);
      g_array_append_val (ends, at);
    }
  g_assert_cmpuint (at, ==, len);
  return ends;
}

/* Lends @data[@from, @to), drains it into @d, and returns what
 * take_back() says was consumed. */
static gsize
lend_once (SmileyFrameReader *reader, Decoded *d, const guint8 *data, gsize from, gsize to)
{
  smiley_frame_reader_lend (reader, data + from, to - from);
  drain (reader, d);
  g_assert_no_error (d->error);
  return smiley_frame_reader_take_back (reader);
}

/* take_back() gives back exactly the bytes of the whole frames consumed:
 * lent any prefix of a stream, the reader decodes every frame that ends
 * in it and consumes nothing of the one it cuts, not even when that is
 * lent again alone; lent again with the rest, it is decoded. */
static void
test_lend_take_back (void)
{
  g_autoptr (GPtrArray) batches = batches_new ();
  g_autoptr (SmileyRun) run = lend_run (batches, 20, 10);
  g_autoptr (GBytes) bytes = encode (run, batches, TRUE);
  gsize         len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  g_autoptr (GArray) ends = frame_ends (data, len);

  for (gsize cut = 0; cut <= len; cut++)
    {
      g_autoptr (SmileyFrameReader) reader = smiley_frame_reader_new (0);
      g_autoptr (Decoded) d = decoded_new (FALSE);
      gsize whole = 0;
      guint n_events_frames = 0;

      for (guint i = 0; i < ends->len && g_array_index (ends, gsize, i) <= cut; i++)
        {
          whole = g_array_index (ends, gsize, i);
          if (i > 0 && data[g_array_index (ends, gsize, i - 1) + 4] == SMILEY_WIRE_EVENTS)
            n_events_frames++;
        }
      g_assert_cmpuint (lend_once (reader, d, data, 0, cut), ==, whole);
      g_assert_cmpuint (d->batches->len, ==, n_events_frames);
      if (whole < cut)
        {
          g_assert_cmpuint (lend_once (reader, d, data, whole, cut), ==, 0);
          g_assert_cmpuint (d->batches->len, ==, n_events_frames);
        }
      g_assert_cmpuint (lend_once (reader, d, data, whole, len), ==, len - whole);
      g_assert_true (d->begun);
      g_assert_true (d->ended);
      g_assert_true (smiley_frame_reader_finish (reader, &d->finish_error));
      assert_run_equal (run, smiley_frame_reader_get_run (reader));
      assert_batches_equal (batches, d->batches);
    }
}

/* Passed through, the EVENTS frames reported are the lent bytes
 * themselves, from the first frame not reported yet on, and nothing is
 * reported after take_back(). */
static void
test_lend_encoded_spans (void)
{
  g_autoptr (GPtrArray) batches = batches_new ();
  g_autoptr (SmileyRun) run = lend_run (batches, 20, 10);
  g_autoptr (GBytes) bytes = encode (run, batches, TRUE);
  gsize         len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  g_autoptr (GArray) ends = frame_ends (data, len);

  for (guint max_batch = 0; max_batch <= 1000; max_batch += 1000)
    {
      g_autoptr (SmileyFrameReader) reader = smiley_frame_reader_new (0);
      g_autofree guint8 *memory = g_memdup2 (data, len);
      /* Inside a frame halfway. */
      gsize cut = g_array_index (ends, gsize, ends->len / 2) + 3;
      gsize loans[][2] = { { 0, cut }, { 0, len } };
      guint next = 1, n_events = 0, n_frames = 0;

      smiley_frame_reader_set_pass_events (reader, TRUE);
      smiley_frame_reader_set_max_batch (reader, max_batch);
      for (guint l = 0; l < G_N_ELEMENTS (loans); l++)
        {
          SmileyFrameMessage message;
          GError            *error = NULL;
          const guint8      *frames;
          gsize              length;
          guint              n;

          smiley_frame_reader_lend (reader, memory + loans[l][0], loans[l][1] - loans[l][0]);
          do
            {
              gsize at;

              g_assert_true (smiley_frame_reader_next (reader, &message, NULL, &error));
              if (message != SMILEY_FRAME_ENCODED_EVENTS)
                continue;
              frames = smiley_frame_reader_get_encoded_events (reader, &length, &n);
              while (data[g_array_index (ends, gsize, next - 1) + 4] != SMILEY_WIRE_EVENTS)
                next++;
              at = g_array_index (ends, gsize, next - 1);
              g_assert_true (frames == memory + at);
              /* Whole EVENTS frames, as many as the span's length. */
              while (at < (gsize)(frames - memory) + length)
                {
                  g_assert_cmpuint (data[at + 4], ==, SMILEY_WIRE_EVENTS);
                  at = g_array_index (ends, gsize, next++);
                  n_frames++;
                }
              g_assert_cmpuint (at, ==, (gsize)(frames - memory) + length);
              g_assert_cmpuint (at, <=, loans[l][1]);
              n_events += n;
            }
          while (message != SMILEY_FRAME_NEED_MORE);
          loans[1][0] = loans[l][0] + smiley_frame_reader_take_back (reader);
          g_assert_null (smiley_frame_reader_get_encoded_events (reader, &length, &n));
          g_assert_cmpuint (length, ==, 0);
        }
      g_assert_cmpuint (n_events, ==, 200);
      g_assert_cmpuint (n_frames, ==, 20);
      g_assert_cmpint (smiley_run_get_state (smiley_frame_reader_get_run (reader)), ==,
                       SMILEY_RUN_FINISHED);
    }
}

/* What a loan decoded owns its memory: batches, strings, threads, sources
 * and stats stay the same once the lent bytes are taken back and
 * overwritten. */
static void
test_lend_batch_outlives_loan (void)
{
  g_autoptr (GPtrArray) batches = batches_new ();
  g_autoptr (SmileyRun) run = lend_run (batches, 20, 10);
  g_autoptr (GBytes) bytes = encode (run, batches, TRUE);
  g_autoptr (SmileyBatch) expected = concat (batches);

  for (guint max_batch = 0; max_batch <= 1000; max_batch += 1000)
    {
      g_autoptr (SmileyFrameReader) reader = smiley_frame_reader_new (0);
      g_autoptr (Decoded) d = decoded_new (FALSE);
      g_autoptr (SmileyBatch) got = NULL;
      gsize              len = g_bytes_get_size (bytes);
      g_autofree guint8 *memory = g_memdup2 (g_bytes_get_data (bytes, NULL), len);

      smiley_frame_reader_set_max_batch (reader, max_batch);
      g_assert_cmpuint (lend_once (reader, d, memory, 0, len), ==, len);
      memset (memory, 0xff, len);
      g_assert_true (d->ended);
      assert_run_equal (run, smiley_frame_reader_get_run (reader));
      got = concat (d->batches);
      assert_batch_equal (expected, got);
      if (max_batch == 0)
        assert_batches_equal (batches, d->batches);
      else
        g_assert_cmpuint (d->batches->len, ==, 1);
    }
}

/* Received into the reader's buffer between next() calls that did not
 * ask for more yet: the frames still buffered survive the buffer moving
 * and growing, bytes reserved but not committed are never decoded, and
 * the stream decodes as fed. */
static void
test_reserve_interleaved (void)
{
  g_autoptr (GPtrArray) batches = batches_new ();
  g_autoptr (SmileyRun) run = lend_run (batches, 20, 10);
  g_autoptr (GBytes) bytes = encode (run, batches, TRUE);
  g_autoptr (SmileyFrameReader) reader = smiley_frame_reader_new (0);
  g_autoptr (Decoded) d = decoded_new (FALSE);
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  gsize         len, at, before;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  guint8       *room;

  /* Half the stream, and only its RUN_BEGIN taken. */
  at = len / 2;
  room = smiley_frame_reader_reserve (reader, at + 100);
  memcpy (room, data, at);
  memset (room + at, 0xa5, 100);
  smiley_frame_reader_commit (reader, at);
  g_assert_cmpuint (smiley_frame_reader_get_buffered (reader), ==, at);
  g_assert_true (drain_at_most (reader, d, 1));
  g_assert_true (d->begun);
  before = smiley_frame_reader_get_buffered (reader);
  g_assert_cmpuint (before, >, SMILEY_WIRE_FRAME_HEADER_SIZE);

  /* Room for far more than the buffer holds: it moves and grows with
   * those frames in it. Nothing is committed. */
  room = smiley_frame_reader_reserve (reader, 16 * len);
  memset (room, 0xa5, 16 * len);
  smiley_frame_reader_commit (reader, 0);
  g_assert_cmpuint (smiley_frame_reader_get_buffered (reader), ==, before);

  /* The rest in small pieces, one message taken after each. */
  while (at < len)
    {
      gsize n = MIN ((gsize)g_rand_int_range (rand, 1, 65), len - at);
      gsize extra = g_rand_int_range (rand, 0, 65);

      before = smiley_frame_reader_get_buffered (reader);
      room = smiley_frame_reader_reserve (reader, n + extra);
      memcpy (room, data + at, n);
      memset (room + n, 0xa5, extra);
      smiley_frame_reader_commit (reader, n);
      at += n;
      g_assert_cmpuint (smiley_frame_reader_get_buffered (reader), ==, before + n);
      g_assert_true (drain_at_most (reader, d, 1));
    }
  g_assert_true (drain (reader, d));
  g_assert_cmpuint (smiley_frame_reader_get_buffered (reader), ==, 0);
  g_assert_true (smiley_frame_reader_finish (reader, &d->finish_error));
  g_assert_true (d->ended);
  assert_run_equal (run, smiley_frame_reader_get_run (reader));
  assert_batches_equal (batches, d->batches);
}

/* Error offsets are stream offsets however the bytes came: after the
 * reader's buffer was compacted and grown, and after many loans taken
 * back. */
static void
test_error_offset_far (void)
{
  g_autoptr (GByteArray) stream = valid_prefix ();
  g_autoptr (GByteArray) p = g_byte_array_new ();
  g_autofree char *where = NULL;
  guint            offset;

  for (guint i = 0; i < 2000; i++)
    {
      put_varint (p, 1);
      put_event (p, SMILEY_EVENT_LINE, 1, 1, "a value, to make the stream a few buffers long");
      put_frame (stream, SMILEY_WIRE_EVENTS, p);
    }
  offset = stream->len;
  where = g_strdup_printf ("frame at offset %u: unknown frame type 9", offset);
  put_frame (stream, 9, p);
  assert_stream_error (stream, SMILEY_FRAME_ERROR_INVALID, where);

  g_byte_array_set_size (stream, offset);
  assert_cut_events_frame_is_truncated (stream);
}

/* Bytes received after an error are dropped, as fed ones are: the reader
 * holds no more of them and says the same error. */
static void
test_commit_after_error (void)
{
  g_autoptr (GByteArray) stream = valid_prefix ();
  g_autoptr (GByteArray) p = g_byte_array_new ();
  g_autoptr (SmileyFrameReader) reader = smiley_frame_reader_new (0);
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) again = NULL;
  g_autofree char *where
      = g_strdup_printf ("frame at offset %u: unknown frame type 8", stream->len);
  SmileyFrameMessage message;
  gsize              buffered;
  guint8            *room;

  put_frame (stream, 8, p);
  room = smiley_frame_reader_reserve (reader, stream->len);
  memcpy (room, stream->data, stream->len);
  smiley_frame_reader_commit (reader, stream->len);
  g_assert_true (smiley_frame_reader_next (reader, &message, NULL, &error));
  g_assert_cmpint (message, ==, SMILEY_FRAME_RUN_BEGIN);
  g_assert_false (smiley_frame_reader_next (reader, &message, NULL, &error));
  g_assert_error (error, SMILEY_FRAME_ERROR, SMILEY_FRAME_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, where));

  buffered = smiley_frame_reader_get_buffered (reader);
  room = smiley_frame_reader_reserve (reader, 65536);
  memset (room, 0, 65536);
  smiley_frame_reader_commit (reader, 65536);
  g_assert_cmpuint (smiley_frame_reader_get_buffered (reader), ==, buffered);
  g_assert_false (smiley_frame_reader_next (reader, &message, NULL, &again));
  g_assert_cmpstr (again->message, ==, error->message);
  g_clear_error (&again);
  g_assert_false (smiley_frame_reader_finish (reader, &again));
  g_assert_cmpstr (again->message, ==, error->message);
}

/* Throughput of both directions, the way sinks and sources use them:
 * bytes taken after every push, fed to the reader in 64 KiB pieces. The
 * best of five rounds is reported, since the machine is shared. */
static void
test_perf (void)
{
  g_autoptr (SmileyRun) run = make_run ("perf");
  g_autoptr (SmileyBatch) batch = smiley_batch_new ();
  const char   *locals[] = { "i", "12345", "name", "'some string value'" };
  const guint   n_batches = 200, per_batch = 5000;
  const guint64 n_events = (guint64)n_batches * per_batch;
  double        best_encode = G_MAXDOUBLE, best_decode = G_MAXDOUBLE;
  gsize         total = 0;

  if (!g_test_perf ())
    {
      g_test_skip ("run with -m perf");
      return;
    }
  for (guint e = 0; e < per_batch; e++)
    add_event (run, batch, 1 + e % 3, 1, e, "prog.py", e % 100, "f", e % 3 == 2 ? "None" : NULL,
               e % 3 == 0 ? 2 : e % 2, locals);

  for (guint round = 0; round < 5; round++)
    {
      g_autoptr (SmileyFrameWriter) writer = smiley_frame_writer_new ();
      g_autoptr (SmileyFrameReader) reader = smiley_frame_reader_new (0);
      g_autoptr (GPtrArray) chunks = g_ptr_array_new_with_free_func ((GDestroyNotify)g_bytes_unref);
      GTimer *timer = g_timer_new ();
      guint64 decoded = 0;

      smiley_frame_writer_begin_run (writer, run);
      for (guint b = 0; b < n_batches; b++)
        {
          smiley_frame_writer_push (writer, run, batch);
          g_ptr_array_add (chunks, smiley_frame_writer_take_bytes (writer));
        }
      smiley_frame_writer_end_run (writer, run);
      g_ptr_array_add (chunks, smiley_frame_writer_take_bytes (writer));
      best_encode = MIN (best_encode, g_timer_elapsed (timer, NULL));

      total = 0;
      g_timer_start (timer);
      for (guint c = 0; c < chunks->len; c++)
        {
          gsize         len;
          const guint8 *data = g_bytes_get_data (chunks->pdata[c], &len);

          total += len;
          for (gsize at = 0; at < len; at += 65536)
            {
              SmileyFrameMessage message;

              smiley_frame_reader_feed (reader, data + at, MIN (65536, len - at));
              do
                {
                  SmileyBatch *got = NULL;
                  GError      *error = NULL;

                  g_assert_true (smiley_frame_reader_next (reader, &message, &got, &error));
                  if (got != NULL)
                    {
                      decoded += smiley_batch_get_length (got);
                      smiley_batch_unref (got);
                    }
                }
              while (message != SMILEY_FRAME_NEED_MORE);
            }
        }
      best_decode = MIN (best_decode, g_timer_elapsed (timer, NULL));
      g_timer_destroy (timer);
      g_assert_cmpuint (decoded, ==, n_events);
    }

  g_test_minimized_result (best_encode, "encode: %.1f M events/s, %.1f bytes/event",
                           n_events / best_encode / 1e6, (double)total / n_events);
  g_test_minimized_result (best_decode, "decode: %.1f M events/s (%.0f MB/s)",
                           n_events / best_decode / 1e6, total / best_decode / 1e6);
}

/* A batch its taker let go of is refilled for the next one (fresh
 * batches cost page faults); one still held is never touched. */
static void
test_batch_recycled (void)
{
  g_autoptr (SmileyRun) run = make_run ("recycled");
  g_autoptr (GPtrArray) batches = batches_new ();
  g_autoptr (GPtrArray) got = batches_new ();
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (SmileyFrameReader) reader = smiley_frame_reader_new (0);
  g_autoptr (SmileyBatch) held = NULL;
  g_autoptr (SmileyBatch) held_copy = smiley_batch_new ();
  g_autoptr (GError) error = NULL;
  const char   *locals[] = { "i", "1", "s", "'text'" };
  const guint8 *data;
  gsize         len;
  SmileyBatch  *last = NULL;
  guint         n_reused = 0, n_got = 0;

  for (guint b = 0; b < 6; b++)
    {
      SmileyBatch *batch = smiley_batch_new ();

      for (guint e = 0; e < 10; e++)
        add_event (run, batch, SMILEY_EVENT_LINE, 1, b * 10 + e, "prog.py", e, "f",
                   e % 2 ? "ret" : NULL, 2, locals);
      g_ptr_array_add (batches, batch);
    }
  end_run (run);
  bytes = encode (run, batches, TRUE);
  data = g_bytes_get_data (bytes, &len);

  smiley_frame_reader_feed (reader, data, len);
  for (;;)
    {
      SmileyFrameMessage message;
      g_autoptr (SmileyBatch) batch = NULL;

      g_assert_true (smiley_frame_reader_next (reader, &message, &batch, &error));
      g_assert_no_error (error);
      if (message == SMILEY_FRAME_NEED_MORE || message == SMILEY_FRAME_RUN_END)
        break;
      if (batch == NULL)
        continue;
      n_reused += batch == last;
      last = batch;
      n_got++;
      /* What the taker sees is a copy's worth: compare below. */
      g_ptr_array_add (got, smiley_batch_new ());
      for (guint i = 0; i < smiley_batch_get_length (batch); i++)
        smiley_batch_add (got->pdata[got->len - 1], smiley_batch_get_event (batch, i));
      if (n_got == 2)
        {
          /* Kept: the reader must leave it alone from now on. */
          held = smiley_batch_ref (batch);
          for (guint i = 0; i < smiley_batch_get_length (batch); i++)
            smiley_batch_add (held_copy, smiley_batch_get_event (batch, i));
        }
    }
  g_assert_cmpuint (n_got, ==, 6);
  for (guint b = 0; b < 6; b++)
    assert_batch_equal (got->pdata[b], batches->pdata[b]);
  assert_batch_equal (held, held_copy);
  /* Every batch but the first and the one after the held one reused its
   * predecessor's memory. */
  g_assert_cmpuint (n_reused, ==, 4);
}

/* Ends @run and returns a pass-through reader (as `smiley run`'s) fed
 * its stream: @batches, one-event frames as the tracer writes them. */
static SmileyFrameReader *
pass_through_reader_new (SmileyRun *run, GPtrArray *batches)
{
  SmileyFrameReader *reader = smiley_frame_reader_new (0);
  g_autoptr (GBytes) bytes = NULL;

  end_run (run);
  bytes = encode (run, batches, TRUE);
  smiley_frame_reader_set_pass_events (reader, TRUE);
  smiley_frame_reader_set_max_batch (reader, 8192);
  smiley_frame_reader_feed (reader, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  return reader;
}

/* The frames handed to push_encoded were checked, but lent bytes can
 * change afterwards (the traced program can write to its ring): sizes
 * and counts rewritten after the check must not make the writer read
 * outside the span (under ASan, an exact-size copy of the span shows it). */
static void
test_push_encoded_survives_rewritten_frames (void)
{
  g_autoptr (SmileyRun) run = make_run ("rewritten");
  g_autoptr (GPtrArray) batches = batches_new ();
  g_autoptr (SmileyFrameReader) reader = NULL;
  g_autoptr (GError) error = NULL;
  const guint32 bad_sizes[] = { 0, 3, 8, 9, 0xffffffffu };
  const guint8 *span = NULL;
  gsize         span_len = 0;
  guint         n_events = 0;

  for (guint e = 0; e < 3; e++)
    {
      SmileyBatch *batch = smiley_batch_new ();

      add_event (run, batch, SMILEY_EVENT_LINE, 1, e, "prog.py", e, "f", NULL, 0, NULL);
      g_ptr_array_add (batches, batch);
    }
  reader = pass_through_reader_new (run, batches);
  while (span == NULL)
    {
      SmileyFrameMessage message;

      g_assert_true (smiley_frame_reader_next (reader, &message, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpint (message, !=, SMILEY_FRAME_NEED_MORE);
      if (message == SMILEY_FRAME_ENCODED_EVENTS)
        span = smiley_frame_reader_get_encoded_events (reader, &span_len, &n_events);
    }
  g_assert_cmpuint (n_events, ==, 3);

  for (guint b = 0; b < G_N_ELEMENTS (bad_sizes); b++)
    for (guint where = 0; where < 2; where++)
      {
        g_autoptr (SmileyFrameWriter) writer = smiley_frame_writer_new ();
        g_autoptr (GBytes) out = NULL;
        g_autofree guint8 *copy = g_memdup2 (span, span_len);
        gsize              at = where == 0 ? 0 : smiley_wire_get_u32 (copy);

        /* The first or the second frame's size, or (size 9) a count that
         * claims to go on past the frame. */
        smiley_wire_put_frame_header (copy + at, bad_sizes[b], SMILEY_WIRE_EVENTS);
        if (bad_sizes[b] == 9)
          copy[at + SMILEY_WIRE_FRAME_HEADER_SIZE] = 0xff;
        smiley_frame_writer_begin_run (writer, smiley_frame_reader_get_run (reader));
        g_clear_pointer (&out, g_bytes_unref);
        out = smiley_frame_writer_take_bytes (writer);
        smiley_frame_writer_push_encoded (writer, smiley_frame_reader_get_run (reader), copy,
                                          span_len, n_events);
        g_clear_pointer (&out, g_bytes_unref);
        out = smiley_frame_writer_take_bytes (writer);
        /* Garbled perhaps, but never more than the span and a header. */
        g_assert_cmpuint (g_bytes_get_size (out), <=,
                          span_len + SMILEY_WIRE_FRAME_HEADER_SIZE + SMILEY_WIRE_MAX_VARINT);
      }
}

/* push_encoded merges a span's frames, but into frames of about 1 MiB at
 * most, so that a listener never holds a huge one whole. */
static void
test_push_encoded_cuts_merged_frames (void)
{
  g_autoptr (SmileyRun) run = make_run ("merged");
  g_autoptr (GPtrArray) batches = batches_new ();
  g_autoptr (SmileyFrameReader) reader = NULL;
  g_autoptr (SmileyFrameWriter) writer = smiley_frame_writer_new ();
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_autoptr (GBytes) out_bytes = NULL;
  g_autoptr (GByteArray) frames = NULL;
  g_autoptr (GBytes) frames_bytes = NULL;
  g_autoptr (Decoded) again = NULL;
  g_autoptr (SmileyBatch) expected = NULL;
  g_autoptr (SmileyBatch) got = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *value = g_strnfill (1000, 'v');
  gsize            at;
  guint            n_spans = 0, n_frames, n_runs;

  /* 3000 one-event frames of about 1 KB, as the tracer writes them. */
  for (guint e = 0; e < 3000; e++)
    {
      SmileyBatch *batch = smiley_batch_new ();

      add_event (run, batch, SMILEY_EVENT_RETURN, 1, e, "prog.py", e, "f", value, 0, NULL);
      g_ptr_array_add (batches, batch);
    }
  reader = pass_through_reader_new (run, batches);
  for (;;)
    {
      SmileyFrameMessage message;
      g_autoptr (GBytes) chunk = NULL;

      g_assert_true (smiley_frame_reader_next (reader, &message, NULL, &error));
      g_assert_no_error (error);
      if (message == SMILEY_FRAME_RUN_BEGIN)
        smiley_frame_writer_begin_run (writer, smiley_frame_reader_get_run (reader));
      else if (message == SMILEY_FRAME_ENCODED_EVENTS)
        {
          guint         n_events;
          const guint8 *span = smiley_frame_reader_get_encoded_events (reader, &at, &n_events);

          smiley_frame_writer_push_encoded (writer, smiley_frame_reader_get_run (reader), span, at,
                                            n_events);
          n_spans++;
        }
      else if (message == SMILEY_FRAME_RUN_END)
        smiley_frame_writer_end_run (writer, smiley_frame_reader_get_run (reader));
      else
        break;
      chunk = smiley_frame_writer_take_bytes (writer);
      append_bytes (out, chunk);
    }
  /* One span of all 3000 (3 MB) ... */
  g_assert_cmpuint (n_spans, ==, 1);

  out_bytes = g_bytes_new (out->data, out->len);
  frames = stream_events_frames (out_bytes, &n_runs);
  frames_bytes = g_bytes_new (frames->data, frames->len);
  n_frames = count_events_frames (frames_bytes);
  /* ... sent as three or four frames of at most 1 MiB. */
  g_assert_cmpuint (n_frames, >=, 3);
  g_assert_cmpuint (n_frames, <=, 4);
  for (at = 0; at < frames->len; at += smiley_wire_get_u32 (frames->data + at))
    g_assert_cmpuint (smiley_wire_get_u32 (frames->data + at), <=, 1024 * 1024);

  again = decode_full (out->data, out->len, FEED_ALL, 0, 0);
  g_assert_no_error (again->error);
  g_assert_no_error (again->finish_error);
  assert_run_equal (run, again->run);
  expected = concat (batches);
  got = concat (again->batches);
  assert_batch_equal (expected, got);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/smiley/frame/empty-run", test_empty_run);
  g_test_add_func ("/smiley/frame/empty-stream", test_empty_stream);
  g_test_add_func ("/smiley/frame/no-events", test_no_events);
  g_test_add_func ("/smiley/frame/every-kind", test_every_kind);
  g_test_add_func ("/smiley/frame/huge-values", test_huge_values);
  g_test_add_func ("/smiley/frame/unicode", test_unicode);
  g_test_add_func ("/smiley/frame/many-threads", test_many_threads);
  g_test_add_func ("/smiley/frame/thread-rename", test_thread_rename_between_pushes);
  g_test_add_func ("/smiley/frame/thread-gap", test_thread_gap);
  g_test_add_func ("/smiley/frame/many-strings", test_many_strings);
  g_test_add_func ("/smiley/frame/sources", test_sources);
  g_test_add_func ("/smiley/frame/stats", test_stats);
  g_test_add_func ("/smiley/frame/stats-empty", test_empty_stats);
  g_test_add_func ("/smiley/frame/deleted-locals", test_deleted_locals);
  g_test_add_func ("/smiley/frame/many-batches", test_many_batches);
  g_test_add_func ("/smiley/frame/large-batch-split", test_large_batch_split);
  g_test_add_func ("/smiley/frame/coalesce", test_coalesce);
  g_test_add_func ("/smiley/frame/coalesce-partial", test_coalesce_partial);
  g_test_add_func ("/smiley/frame/many-locals", test_many_locals);
  g_test_add_func ("/smiley/frame/pass/spans", test_pass_spans);
  g_test_add_func ("/smiley/frame/pass/new-files", test_pass_new_files);
  g_test_add_func ("/smiley/frame/killed-writer", test_killed_writer);
  g_test_add_func ("/smiley/frame/golden", test_golden);
  g_test_add_func ("/smiley/frame/writer-reuse", test_writer_reuse);

  g_test_add_func ("/smiley/frame/bad-magic", test_bad_magic);
  g_test_add_func ("/smiley/frame/version-2", test_version_2);
  g_test_add_func ("/smiley/frame/header-flags", test_header_flags);
  g_test_add_func ("/smiley/frame/header-ring-flag", test_header_ring_flag);
  g_test_add_func ("/smiley/frame/oversized", test_oversized_frame);
  g_test_add_func ("/smiley/frame/size-too-small", test_frame_size_too_small);
  g_test_add_func ("/smiley/frame/reserved-bytes", test_reserved_bytes);
  g_test_add_func ("/smiley/frame/unknown-type", test_unknown_frame_type);
  g_test_add_func ("/smiley/frame/truncated-stream-header", test_truncated_stream_header);
  g_test_add_func ("/smiley/frame/truncated-frame-header", test_truncated_frame_header);
  g_test_add_func ("/smiley/frame/truncated-payload", test_truncated_payload);
  g_test_add_func ("/smiley/frame/varint-overflow", test_varint_overflow);
  g_test_add_func ("/smiley/frame/undefined-string", test_undefined_string);
  g_test_add_func ("/smiley/frame/undefined-local-name", test_undefined_local_name);
  g_test_add_func ("/smiley/frame/undefined-thread", test_undefined_thread);
  g_test_add_func ("/smiley/frame/bad-kind", test_bad_kind);
  g_test_add_func ("/smiley/frame/bad-utf8", test_bad_utf8);
  g_test_add_func ("/smiley/frame/count-too-large", test_count_too_large);
  g_test_add_func ("/smiley/frame/trailing-bytes", test_trailing_bytes);
  g_test_add_func ("/smiley/frame/after-run-end", test_frame_after_run_end);
  g_test_add_func ("/smiley/frame/before-run-begin", test_frame_before_run_begin);
  g_test_add_func ("/smiley/frame/repeated-run-begin", test_repeated_run_begin);
  g_test_add_func ("/smiley/frame/bad-run-id", test_bad_run_id);
  g_test_add_func ("/smiley/frame/string-id-gap", test_string_id_gap);
  g_test_add_func ("/smiley/frame/thread-id-gap", test_thread_id_gap);
  g_test_add_func ("/smiley/frame/bad-source", test_bad_source);
  g_test_add_func ("/smiley/frame/bad-stats", test_bad_stats);
  g_test_add_func ("/smiley/frame/stats-duplicates", test_stats_duplicates);
  g_test_add_func ("/smiley/frame/bad-run-end", test_bad_run_end);
  g_test_add_func ("/smiley/frame/error-after-merged-events", test_error_after_merged_events);
  g_test_add_func ("/smiley/frame/pass/error-after-good", test_pass_error_after_good);
  g_test_add_func ("/smiley/frame/varint-lengths", test_varint_lengths);
  g_test_add_func ("/smiley/frame/varint-refused", test_varint_refused);
  g_test_add_func ("/smiley/frame/utf8-positions", test_utf8_positions);
  g_test_add_func ("/smiley/frame/corruptions", test_corruptions);
  g_test_add_func ("/smiley/frame/lend/take-back", test_lend_take_back);
  g_test_add_func ("/smiley/frame/lend/encoded-spans", test_lend_encoded_spans);
  g_test_add_func ("/smiley/frame/lend/batch-outlives-loan", test_lend_batch_outlives_loan);
  g_test_add_func ("/smiley/frame/reserve/interleaved", test_reserve_interleaved);
  g_test_add_func ("/smiley/frame/reserve/commit-after-error", test_commit_after_error);
  g_test_add_func ("/smiley/frame/error-offset-far", test_error_offset_far);
  g_test_add_func ("/smiley/frame/batch-recycled", test_batch_recycled);
  g_test_add_func ("/smiley/frame/push-encoded-cuts", test_push_encoded_cuts_merged_frames);
  g_test_add_func ("/smiley/frame/push-encoded-rewritten",
                   test_push_encoded_survives_rewritten_frames);
  g_test_add_func ("/smiley/frame/perf", test_perf);

  return g_test_run ();
}
