/* fuzz-ring-consumer.c: libFuzzer target for SmileyRingConsumer
 *
 * SPDX-License-Identifier: Apache-2.0
 *
 * A `smiley record` listener drains rings that untrusted peers hand it
 * (plugins/socket/smiley-socket-source.c); this target drains one the way
 * it does. The input is three parameter bytes, then what the tracer would
 * have written into the ring (every frame after RUN_BEGIN); see
 * fuzz-ring-params.h.
 *
 * The frames are published all at once or frame by frame, with drains of
 * varying budgets in between. Beyond "no crash": the consumer never
 * releases more than was published, leaves nothing in the ring, counts
 * what the sink took in the ring's header, hands on only events that
 * refer to defined strings and threads, with the sources of their files,
 * and as EVENTS frames (pass-through) only frames that decode; and unless
 * the producer broke the ring or the sink failed, it accepts exactly the
 * streams a plain SmileyFrameReader accepts, delivering as many events.
 */
/* memfd_create() in smiley-ring.h */
#define _GNU_SOURCE 1

#include "smiley-build-config.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "smiley-ring-consumer.h"

#include "fuzz-common.h"
#include "fuzz-ring-params.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define RING_SIZE (64u * 1024u)

/* Scribbles of a hostile producer per input, so draining ends. */
#define MAX_SCRIBBLES 16

/* Set up once, reused by every input. */
typedef struct
{
  SmileyRing ring;
  GBytes    *begin; /* stream header and RUN_BEGIN */
  char      *cwd;   /* prog.py, a FIFO and a directory */
} Fixture;

static Fixture fixture;

static void
fixture_clean (void)
{
  const char *names[] = { "prog.py", "fifo.py", "dir.py" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_build_filename (fixture.cwd, names[i], NULL);

      g_remove (path);
    }
  g_rmdir (fixture.cwd);
}

static void
fixture_init (void)
{
  g_autoptr (SmileyRun) run = smiley_run_new ("fuzz-ring");
  g_autoptr (SmileyFrameWriter) writer = smiley_frame_writer_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char  *prog = NULL, *fifo = NULL, *dir = NULL;
  const char *const argv[] = { "prog.py", NULL };

  /* A critical or warning from GLib means a bug the harness should see. */
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);

  CHECK (smiley_ring_create (&fixture.ring, RING_SIZE) >= 0);

  smiley_run_set_pid (run, 1234);
  smiley_run_set_start_time (run, G_GINT64_CONSTANT (1700000000000000));
  smiley_run_set_cwd (run, "/home/u");
  smiley_run_set_argv (run, argv);
  smiley_frame_writer_begin_run (writer, run);
  fixture.begin = smiley_frame_writer_take_bytes (writer);

  /* Source files are read by name from the cwd: a regular file, and what
   * must not be read (a FIFO would block, a directory is not a file). */
  fixture.cwd = g_dir_make_tmp ("smiley-fuzz-ring-XXXXXX", &error);
  CHECK (fixture.cwd != NULL);
  prog = g_build_filename (fixture.cwd, "prog.py", NULL);
  fifo = g_build_filename (fixture.cwd, "fifo.py", NULL);
  dir = g_build_filename (fixture.cwd, "dir.py", NULL);
  CHECK (g_file_set_contents (prog, "def f(x):\n    return x\n", -1, &error));
  CHECK (mkfifo (fifo, 0600) == 0);
  CHECK (g_mkdir (dir, 0700) == 0);
  atexit (fixture_clean);
}

/* The sink: counts and checks what the consumer hands on. FuzzSink takes
 * batches, its subclass FuzzEncodedSink EVENTS frames as they are. */
#define FUZZ_TYPE_SINK (fuzz_sink_get_type ())
G_DECLARE_FINAL_TYPE (FuzzSink, fuzz_sink, FUZZ, SINK, GObject)

struct _FuzzSink
{
  GObject     parent_instance;
  SmileyRun  *run; /* begun; not owned */
  gboolean    ended;
  guint64     n_events;
  gboolean    check_sources; /* prog.py can be read */
  SmileyRing *hostile;       /* scribbled over if set */
  guint32     random;
  guint       scribbles;
  guint       pushes;
  guint       fail_at; /* the push that fails, G_MAXUINT for none */
  gboolean    failed;
};

static void fuzz_sink_iface_init (SmileySinkInterface *iface);
static void fuzz_encoded_sink_iface_init (SmileySinkInterface *iface);

/* Not G_DEFINE_FINAL_TYPE: FuzzEncodedSink derives from it. */
G_DEFINE_TYPE_WITH_CODE (FuzzSink, fuzz_sink, G_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (SMILEY_TYPE_SINK, fuzz_sink_iface_init))

typedef FuzzSink      FuzzEncodedSink;
typedef FuzzSinkClass FuzzEncodedSinkClass;
GType                 fuzz_encoded_sink_get_type (void);

G_DEFINE_TYPE_WITH_CODE (FuzzEncodedSink, fuzz_encoded_sink, FUZZ_TYPE_SINK,
                         G_IMPLEMENT_INTERFACE (SMILEY_TYPE_SINK, fuzz_encoded_sink_iface_init))

static void
fuzz_sink_class_init (FuzzSinkClass *klass)
{
}

static void
fuzz_sink_init (FuzzSink *self)
{
}

static void
fuzz_encoded_sink_class_init (FuzzEncodedSinkClass *klass)
{
}

static void
fuzz_encoded_sink_init (FuzzEncodedSink *self)
{
}

static gboolean
run_has_source (SmileyRun *run, guint32 file)
{
  for (guint i = 0; i < smiley_run_get_n_sources (run); i++)
    {
      guint32 source_file;

      smiley_run_get_source (run, i, &source_file);
      if (source_file == file)
        return TRUE;
    }
  return FALSE;
}

static void
check_batch (FuzzSink *self, SmileyBatch *batch)
{
  SmileyRun *run = self->run;

  CHECK (smiley_batch_get_length (batch) > 0);
  for (guint i = 0; i < smiley_batch_get_length (batch); i++)
    {
      const SmileyEvent *event = smiley_batch_get_event (batch, i);

      check_event (run, event);
      /* The consumer read the file's source before handing on its first
       * event. */
      if (self->check_sources
          && g_strcmp0 (smiley_run_get_string (run, event->file), "prog.py") == 0)
        CHECK (run_has_source (run, event->file));
    }
}

/* A hostile producer changes the ring under the consumer: bytes anywhere
 * (those lent to the reader too), and its head. */
static void
scribble (FuzzSink *self)
{
  SmileyRing *ring = self->hostile;
  guint32     r;

  if (ring == NULL || self->scribbles >= MAX_SCRIBBLES)
    return;
  self->scribbles++;
  r = next_random (&self->random);
  switch (r % 4)
    {
    case 0:
    case 1:
      for (guint i = 0; i < 1 + r % 8; i++)
        ring->data[next_random (&self->random) & ring->mask] = (guint8)next_random (&self->random);
      break;
    case 2:
      atomic_fetch_add (&ring->header->head, next_random (&self->random) % 256);
      break;
    default:
      atomic_fetch_sub (&ring->header->head, next_random (&self->random) % 256);
      break;
    }
}

/* Whether this push is the one that fails. */
static gboolean
push_fails (FuzzSink *self, GError **error)
{
  CHECK (!self->failed);
  if (self->pushes++ != self->fail_at)
    return FALSE;
  self->failed = TRUE;
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, "the sink is full");
  return TRUE;
}

static gboolean
fuzz_sink_begin_run (SmileySink *sink, SmileyRun *run, GError **error)
{
  FuzzSink *self = (FuzzSink *)sink;

  CHECK (self->run == NULL);
  self->run = run;
  return TRUE;
}

static gboolean
fuzz_sink_push (SmileySink *sink, SmileyRun *run, SmileyBatch *batch, GError **error)
{
  FuzzSink *self = (FuzzSink *)sink;

  CHECK (run == self->run && !self->ended);
  check_batch (self, batch);
  if (push_fails (self, error))
    return FALSE;
  self->n_events += smiley_batch_get_length (batch);
  scribble (self);
  return TRUE;
}

/* Passed-through frames must be whole EVENTS frames, valid against the
 * run's tables: decoded after them, they hold @n_events events. */
static gboolean
fuzz_sink_push_encoded (SmileySink *sink, SmileyRun *run, const guint8 *frames, gsize length,
                        guint n_events, GError **error)
{
  FuzzSink *self = (FuzzSink *)sink;
  g_autoptr (SmileyFrameWriter) writer = smiley_frame_writer_new ();
  g_autoptr (SmileyFrameReader) reader = smiley_frame_reader_new (0);
  g_autoptr (GBytes) bytes = NULL;
  guint64 decoded = 0;

  CHECK (run == self->run && !self->ended);
  CHECK (frames != NULL && length >= 8 && n_events > 0);

  smiley_frame_writer_begin_run (writer, run);
  smiley_frame_writer_put_tables (writer, run);
  smiley_frame_writer_push_encoded (writer, run, frames, length, n_events);
  bytes = smiley_frame_writer_take_bytes (writer);
  smiley_frame_reader_feed (reader, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  for (;;)
    {
      g_autoptr (SmileyBatch) batch = NULL;
      SmileyFrameMessage message;

      CHECK (smiley_frame_reader_next (reader, &message, &batch, NULL));
      if (message == SMILEY_FRAME_NEED_MORE)
        break;
      if (message == SMILEY_FRAME_BATCH)
        {
          check_batch (self, batch);
          decoded += smiley_batch_get_length (batch);
        }
    }
  CHECK (smiley_frame_reader_finish (reader, NULL));
  CHECK (decoded == n_events);

  if (push_fails (self, error))
    return FALSE;
  self->n_events += n_events;
  scribble (self);
  return TRUE;
}

static gboolean
fuzz_sink_end_run (SmileySink *sink, SmileyRun *run, GError **error)
{
  FuzzSink *self = (FuzzSink *)sink;

  CHECK (run == self->run && !self->ended);
  self->ended = TRUE;
  return TRUE;
}

static void
fuzz_sink_iface_init (SmileySinkInterface *iface)
{
  iface->begin_run = fuzz_sink_begin_run;
  iface->push = fuzz_sink_push;
  iface->end_run = fuzz_sink_end_run;
}

static void
fuzz_encoded_sink_iface_init (SmileySinkInterface *iface)
{
  fuzz_sink_iface_init (iface);
  iface->push_encoded = fuzz_sink_push_encoded;
}

/* What a plain reader makes of the same stream, up to RUN_END (after
 * which the consumer drops everything). Returns: whether it is valid */
static gboolean
decode_plain (const guint8 *data, gsize len, guint64 *n_events, gboolean *ended)
{
  g_autoptr (SmileyFrameReader) reader = smiley_frame_reader_new (0);

  *n_events = 0;
  *ended = FALSE;
  smiley_frame_reader_feed (reader, g_bytes_get_data (fixture.begin, NULL),
                            g_bytes_get_size (fixture.begin));
  smiley_frame_reader_feed (reader, data, len);
  for (;;)
    {
      g_autoptr (SmileyBatch) batch = NULL;
      SmileyFrameMessage message;

      if (!smiley_frame_reader_next (reader, &message, &batch, NULL))
        return FALSE;
      if (message == SMILEY_FRAME_NEED_MORE)
        break;
      if (message == SMILEY_FRAME_BATCH)
        *n_events += smiley_batch_get_length (batch);
      if (message == SMILEY_FRAME_RUN_END)
        {
          *ended = TRUE;
          return TRUE;
        }
    }
  return smiley_frame_reader_finish (reader, NULL);
}

/* Where whole frames end in @data, as a producer publishes them. */
static GArray *
frame_ends (const guint8 *data, gsize len)
{
  GArray *ends = g_array_new (FALSE, FALSE, sizeof (gsize));
  gsize   at = 0;

  while (len - at >= 8)
    {
      guint32 size;

      memcpy (&size, data + at, sizeof size);
      size = GUINT32_FROM_LE (size);
      if (size < 8 || size > len - at)
        break;
      at += size;
      g_array_append_val (ends, at);
    }
  return ends;
}

typedef struct
{
  SmileyRingConsumer *consumer;
  FuzzSink           *sink;
  guint64             start;    /* ring position of the first byte */
  guint64             released; /* what drains said they took */
  gboolean            overclaimed;
  gboolean            hostile;
  guint32             random;
} Drainer;

/* One drain, and what must hold after it. */
static guint64
drain_once (Drainer *d)
{
  SmileyRing *ring = &fixture.ring;
  guint32     r = next_random (&d->random);
  /* Budgets of a few bytes (less than a frame) up to all there is. */
  guint64  budget = r % 4 == 0 ? G_MAXUINT64 : 1 + next_random (&d->random) % (r % 2 ? 64 : 8192);
  guint64  n = smiley_ring_consumer_drain (d->consumer, budget);
  gboolean from_sink = FALSE;
  const GError *error = smiley_ring_consumer_get_error (d->consumer, &from_sink);

  d->released += n;
  CHECK (ring->tail - d->start == d->released);
  CHECK (atomic_load (&ring->header->tail) == ring->tail);
  CHECK (atomic_load (&ring->header->events_consumed) == d->sink->n_events);
  /* The sink's failure when it failed first, else the frames'. */
  CHECK (error == NULL
         || (from_sink ? d->sink->failed && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE)
                       : error->domain == SMILEY_FRAME_ERROR));
  if (!d->hostile)
    {
      /* Never past the head: the producer would overwrite what the
       * consumer is still reading. */
      CHECK (ring->tail - d->start <= atomic_load (&ring->header->head) - d->start);
      if (d->overclaimed && n > 0)
        CHECK (error != NULL);
    }
  return n;
}

static void
drain_all (Drainer *d)
{
  /* Each drain but the last takes at least a byte. */
  for (guint i = 0; drain_once (d) > 0; i++)
    CHECK (i < RING_SIZE + MAX_SCRIBBLES * 256 + 16);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  SmileyRing       *ring = &fixture.ring;
  SmileyRingHeader *header;
  g_autoptr (SmileyRingConsumer) consumer = NULL;
  g_autoptr (FuzzSink) sink = NULL;
  g_autoptr (GArray) ends = NULL;
  g_autoptr (GError) error = NULL;
  const GError *consumer_error;
  gboolean      from_sink;
  const guint8 *frames;
  gsize         len;
  guint         flags, offset;
  guint         overclaim_at = G_MAXUINT;
  Drainer       d = {
          0,
  };

  if (ring->header == NULL)
    fixture_init ();
  header = ring->header;
  if (size < N_PARAM_BYTES)
    return 0;
  flags = data[0];
  offset = (data[1] | (guint)data[2] << 8) & ring->mask;
  frames = data + N_PARAM_BYTES;
  len = MIN (size - N_PARAM_BYTES, ring->size);
  d.random = input_seed (data, size);
  d.hostile = (flags & PARAM_MISCHIEF) == PARAM_HOSTILE;

  /* An empty ring whose data starts at @offset, at a position that wraps
   * around 2^64 when the data wraps around the ring's end. */
  d.start = (flags & PARAM_HIGH_POSITION) ? (G_MAXUINT64 & ~ring->mask) + offset : offset;
  memset (ring->data, 0, ring->size);
  memcpy (ring->data + offset, frames, len); /* past the end: the mirror */
  atomic_store (&header->head, d.start);
  atomic_store (&header->tail, d.start);
  atomic_store (&header->events_consumed, 0);
  ring->tail = d.start;

  sink = g_object_new ((flags & PARAM_ENCODED) ? fuzz_encoded_sink_get_type () : FUZZ_TYPE_SINK,
                       NULL);
  sink->check_sources = (flags & PARAM_SOURCES) != 0;
  sink->hostile = d.hostile ? ring : NULL;
  sink->random = d.random;
  sink->fail_at
      = (flags & PARAM_MISCHIEF) == PARAM_SINK_FAILS ? next_random (&d.random) % 4 : G_MAXUINT;
  consumer = smiley_ring_consumer_new (ring, fixture.begin,
                                       sink->check_sources ? fixture.cwd : "/nonexistent",
                                       SMILEY_SINK (sink), &error);
  CHECK (consumer != NULL);
  CHECK (smiley_sink_takes_encoded (SMILEY_SINK (sink)) == ((flags & PARAM_ENCODED) != 0));
  CHECK (smiley_sink_begin_run (SMILEY_SINK (sink), smiley_ring_consumer_get_run (consumer), NULL));
  d.consumer = consumer;
  d.sink = sink;

  /* Published as the tracer does, whole frames at a time (then the
   * rest, whatever it is), or all at once. */
  if (flags & PARAM_PIECES)
    ends = frame_ends (frames, len);
  else
    ends = g_array_new (FALSE, FALSE, sizeof (gsize));
  if (ends->len == 0 || g_array_index (ends, gsize, ends->len - 1) != len)
    g_array_append_val (ends, len);
  if ((flags & PARAM_OVERCLAIM) == PARAM_OVERCLAIM)
    overclaim_at = next_random (&d.random) % (ends->len + 1);

  for (guint i = 0; i <= ends->len; i++)
    {
      guint n_drains = next_random (&d.random) % 3;

      if (i == overclaim_at)
        {
          /* A broken producer: from the last byte published on, more
           * than the ring can hold. */
          guint64 published = i > 0 ? g_array_index (ends, gsize, i - 1) : 0;

          atomic_store (&header->head,
                        d.start + published + ring->size + 1 + next_random (&d.random) % 4096);
          d.overclaimed = TRUE;
          break;
        }
      if (i == ends->len)
        break;
      atomic_store (&header->head, d.start + g_array_index (ends, gsize, i));
      for (guint k = 0; k < n_drains; k++)
        drain_once (&d);
    }
  drain_all (&d);

  consumer_error = smiley_ring_consumer_get_error (consumer, &from_sink);
  CHECK (smiley_ring_readable (ring) == 0);
  CHECK (atomic_load (&header->events_consumed) == sink->n_events);
  if (d.overclaimed)
    CHECK (consumer_error != NULL);
  /* A failed sink stopped the consumer before anything else could. */
  CHECK (sink->failed == (consumer_error != NULL && from_sink));
  if (!d.hostile)
    {
      guint64  plain_events;
      gboolean plain_ended;
      gboolean plain_ok = decode_plain (frames, len, &plain_events, &plain_ended);

      /* The consumer stops at the first error, as the reader does. */
      CHECK (sink->n_events <= plain_events);
      if (!d.overclaimed && !sink->failed)
        {
          CHECK ((consumer_error == NULL) == plain_ok);
          CHECK (sink->n_events == plain_events);
          CHECK (smiley_ring_consumer_got_end (consumer) == plain_ended);
        }
    }

  /* As the listener ends a run handed over in a ring. */
  smiley_run_conclude (smiley_ring_consumer_get_run (consumer),
                       smiley_ring_consumer_got_end (consumer), 0, 0, sink->n_events);
  CHECK (smiley_sink_end_run (SMILEY_SINK (sink), smiley_ring_consumer_get_run (consumer), NULL));
  return 0;
}
