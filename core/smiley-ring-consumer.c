/* smiley-ring-consumer.c: hands the frames of a tracer's ring to a sink
 *
 * SPDX-License-Identifier: Apache-2.0
 *
 * The tracer writes wire-format frames into the ring (smiley-ring.h): the
 * strings, threads, events, stats and end of a run, everything but the
 * stream header and RUN_BEGIN, which the one who spawned it knows. The
 * frames are decoded in place, lent to a SmileyFrameReader a slice at a
 * time, so their space goes back to the program as soon as they are
 * decoded. The source files the events enter are read here, off the
 * traced program's path.
 *
 * Whoever consumes the ring calls smiley_ring_consumer_drain() whenever it
 * may hold something: the python source from a thread of its own, the
 * socket listener from its main loop.
 */
/* memfd seals */
#define _GNU_SOURCE 1

#include "smiley-build-config.h"

#include "smiley-ring-consumer.h"
#include "smiley-wire.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

/* Decoded events are handed to the sink in batches of up to this many. */
#define MAX_BATCH 8192
/* Bytes of the ring lent to the reader at once: their space goes back to
 * the program as soon as they are decoded, not after a whole ring. */
#define MAX_FEED (1u << 20)
/* A source file larger than a frame could not be sent anyway. */
#define MAX_SOURCE_SIZE SMILEY_WIRE_MAX_FRAME_SIZE

struct _SmileyRingConsumer
{
  SmileyRing        *ring; /* not owned */
  SmileySink        *sink;
  SmileyFrameReader *reader;
  SmileyRun         *run; /* the reader's */
  char              *cwd;
  guint64            lend;
  guint64            delivered;
  gboolean           got_end;
  GError            *error; /* set: stop decoding, keep draining */
  gboolean           error_from_sink;
};

static void
fail (SmileyRingConsumer *self, GError *error, gboolean from_sink)
{
  if (self->error == NULL)
    {
      self->error = error;
      self->error_from_sink = from_sink;
    }
  else
    g_error_free (error);
}

/**
 * smiley_ring_consumer_new:
 * @ring: the mapped ring; it must outlive the consumer
 * @begin: the stream header and RUN_BEGIN frame of the run whose frames
 *   the ring holds
 * @cwd: the traced program's working directory, against which relative
 *   source file names are read
 * @sink: where the run goes; the caller begins the run on it, with
 *   smiley_ring_consumer_get_run(), before the first drain
 *
 * Returns: (transfer full) (nullable): the consumer, or %NULL if @begin is
 *   not a stream header and RUN_BEGIN
 */
SmileyRingConsumer *
smiley_ring_consumer_new (SmileyRing *ring, GBytes *begin, const char *cwd, SmileySink *sink,
                          GError **error)
{
  g_autoptr (SmileyRingConsumer) self = g_new0 (SmileyRingConsumer, 1);
  g_autoptr (SmileyBatch) batch = NULL;
  SmileyFrameMessage message = SMILEY_FRAME_NEED_MORE;

  self->ring = ring;
  self->sink = g_object_ref (sink);
  self->cwd = g_strdup (cwd);
  self->lend = MAX_FEED;
  self->reader = smiley_frame_reader_new (0);
  smiley_frame_reader_set_max_batch (self->reader, MAX_BATCH);
  /* The tracer's frames are already in the format a socket publisher
   * sends: spare decoding and encoding them again. */
  smiley_frame_reader_set_pass_events (self->reader, smiley_sink_takes_encoded (sink));
  smiley_frame_reader_feed (self->reader, g_bytes_get_data (begin, NULL), g_bytes_get_size (begin));
  if (!smiley_frame_reader_next (self->reader, &message, &batch, error))
    return NULL;
  if (message != SMILEY_FRAME_RUN_BEGIN)
    {
      g_set_error_literal (error, SMILEY_FRAME_ERROR, SMILEY_FRAME_ERROR_TRUNCATED,
                           "the run's start is not a whole stream header and RUN_BEGIN");
      return NULL;
    }
  self->run = smiley_frame_reader_get_run (self->reader);
  return g_steal_pointer (&self);
}

void
smiley_ring_consumer_free (SmileyRingConsumer *self)
{
  g_clear_object (&self->sink);
  g_clear_pointer (&self->reader, smiley_frame_reader_free);
  g_free (self->cwd);
  g_clear_error (&self->error);
  g_free (self);
}

/**
 * smiley_ring_consumer_get_run:
 *
 * Returns: (transfer none): the run the ring's frames build up
 */
SmileyRun *
smiley_ring_consumer_get_run (SmileyRingConsumer *self)
{
  return self->run;
}

/* The content of the regular file @path, or %NULL. A program's code can
 * come from anything with a name (`smiley run /dev/stdin`, a FIFO,
 * `<(cat x.py)`), and reading such a name again would hang this thread
 * (open() of a FIFO waits for a writer) or never end (/dev/zero): only a
 * regular file is read, opened without waiting. */
static GBytes *
read_source_file (const char *path)
{
  g_autofree guint8 *content = NULL;
  struct stat        st;
  gsize              length = 0;
  int                fd = open (path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

  if (fd < 0)
    return NULL;
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode) || st.st_size > MAX_SOURCE_SIZE)
    {
      close (fd);
      return NULL;
    }
  content = g_malloc (MAX ((gsize)st.st_size, 1));
  while (length < (gsize)st.st_size)
    {
      gssize n = read (fd, content + length, (gsize)st.st_size - length);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break; /* the file shrank, or cannot be read after all */
      length += (gsize)n;
    }
  close (fd);
  return g_bytes_new_take (g_steal_pointer (&content), length);
}

/* Adds the source of @file, as it is on disk now, so a viewer shows the
 * lines the run ran. */
static void
add_source (SmileyRingConsumer *self, guint32 file)
{
  const char      *name = smiley_run_get_string (self->run, file);
  g_autofree char *path = NULL;
  g_autoptr (GBytes) content = NULL;

  if (name == NULL || name[0] == '\0' || name[0] == '<')
    return;
  path = g_path_is_absolute (name) ? g_strdup (name) : g_build_filename (self->cwd, name, NULL);
  content = read_source_file (path);
  if (content != NULL)
    smiley_run_add_source (self->run, file, content);
}

/* Adds the sources of the files the events just reported entered first. */
static void
add_new_sources (SmileyRingConsumer *self)
{
  guint          n_files;
  const guint32 *files = smiley_frame_reader_get_new_files (self->reader, &n_files);

  for (guint i = 0; i < n_files; i++)
    add_source (self, files[i]);
}

/* Hands the messages of the lent bytes to the sink. Nothing after RUN_END
 * is the run's: a forked child that outlives the program may still
 * write. */
static void
drain_messages (SmileyRingConsumer *self)
{
  while (self->error == NULL && !self->got_end)
    {
      SmileyFrameMessage message;
      g_autoptr (SmileyBatch) batch = NULL;
      GError       *error = NULL;
      const guint8 *frames;
      gsize         length;
      guint         n_events;

      if (!smiley_frame_reader_next (self->reader, &message, &batch, &error))
        {
          g_prefix_error (&error, "reading the traced program's events: ");
          fail (self, error, FALSE);
          return;
        }
      switch (message)
        {
        case SMILEY_FRAME_NEED_MORE:
          return;
        case SMILEY_FRAME_RUN_END:
          self->got_end = TRUE;
          break;
        case SMILEY_FRAME_ENCODED_EVENTS:
          add_new_sources (self);
          frames = smiley_frame_reader_get_encoded_events (self->reader, &length, &n_events);
          if (!smiley_sink_push_encoded (self->sink, self->run, frames, length, n_events, &error))
            {
              fail (self, error, TRUE);
              return;
            }
          self->delivered += n_events;
          break;
        case SMILEY_FRAME_BATCH:
          add_new_sources (self);
          if (!smiley_sink_push (self->sink, self->run, batch, &error))
            {
              fail (self, error, TRUE);
              return;
            }
          self->delivered += smiley_batch_get_length (batch);
          break;
        default:
          break;
        }
    }
}

/**
 * smiley_ring_consumer_drain:
 * @budget: roughly how many bytes to take before returning, so that a
 *   caller serving others too can give them a turn
 *
 * Hands what the ring holds to the sink. After a failure (see
 * smiley_ring_consumer_get_error()), and after the run's end, the frames
 * are still taken out of the ring, and dropped: the program must be able
 * to finish.
 *
 * Returns: how many bytes were taken out of the ring; 0 when it was empty
 */
guint64
smiley_ring_consumer_drain (SmileyRingConsumer *self, guint64 budget)
{
  SmileyRing *ring = self->ring;
  guint64     released = 0;

  while (released < budget)
    {
      guint64 readable = smiley_ring_readable (ring);
      guint64 n, consumed;

      if (readable == 0)
        break;
      if (readable > ring->size)
        {
          /* A broken producer: whatever it says is there is dropped. */
          fail (self,
                g_error_new (SMILEY_FRAME_ERROR, SMILEY_FRAME_ERROR_TRUNCATED,
                             "reading the traced program's events: the ring of %" G_GUINT64_FORMAT
                             " bytes claims to hold %" G_GUINT64_FORMAT,
                             ring->size, readable),
                FALSE);
          smiley_ring_release (ring, readable);
          released += readable;
          break;
        }
      n = MIN (readable, self->lend);
      consumed = n;
      if (self->error == NULL && !self->got_end)
        {
          /* Decoded in place: the ring holds whole frames, and they are
           * released once the reader is done with them. */
          smiley_frame_reader_lend (self->reader, smiley_ring_read_pointer (ring), n);
          drain_messages (self);
          consumed = smiley_frame_reader_take_back (self->reader);
          if (self->error != NULL || self->got_end)
            consumed = n;
        }
      /* A frame larger than MAX_FEED: lend all there is next time. The
       * producer only publishes whole frames, so that is enough. */
      self->lend = consumed > 0 ? MAX_FEED : readable;
      if (consumed == 0 && n == readable)
        {
          fail (
              self,
              g_error_new (SMILEY_FRAME_ERROR, SMILEY_FRAME_ERROR_TRUNCATED,
                           "reading the traced program's events: the ring holds %" G_GUINT64_FORMAT
                           " bytes that are not a whole frame",
                           readable),
              FALSE);
          consumed = n;
        }
      smiley_ring_release (ring, consumed);
      released += consumed;
    }
  atomic_store_explicit (&ring->header->events_consumed, self->delivered, memory_order_relaxed);
  return released;
}

/**
 * smiley_ring_consumer_run:
 * @producer_gone: set (atomically) by another thread once the producer
 *   can write no more, followed by smiley_ring_kick()
 *
 * Drains the ring until the producer is gone and the ring is empty,
 * sleeping while it is empty: the body of a thread of its own (the
 * python source's reader). The producer only wakes the consumer when the
 * ring is an eighth full; otherwise it looks every 10 ms.
 */
void
smiley_ring_consumer_run (SmileyRingConsumer *self, const gint *producer_gone)
{
  for (;;)
    {
      if (smiley_ring_consumer_drain (self, G_MAXUINT64) > 0)
        continue;
      if (g_atomic_int_get (producer_gone))
        {
          /* The producer was gone before this last look at head, so
           * nothing can follow. */
          if (smiley_ring_readable (self->ring) == 0)
            return;
          continue;
        }
      smiley_ring_wait_data (self->ring, 10);
    }
}

/**
 * smiley_ring_consumer_got_end:
 *
 * Returns: whether the tracer's RUN_END came through the ring
 */
gboolean
smiley_ring_consumer_got_end (SmileyRingConsumer *self)
{
  return self->got_end;
}

/**
 * smiley_ring_consumer_get_error:
 * @from_sink: (out) (optional): whether the sink failed, rather than the
 *   frames being broken
 *
 * Returns: (transfer none) (nullable): why the consumer stopped handing
 *   frames on, if it did
 */
const GError *
smiley_ring_consumer_get_error (SmileyRingConsumer *self, gboolean *from_sink)
{
  if (from_sink != NULL)
    *from_sink = self->error_from_sink;
  return self->error;
}

GError *
smiley_ring_consumer_steal_error (SmileyRingConsumer *self)
{
  return g_steal_pointer (&self->error);
}

/**
 * smiley_ring_open:
 * @fd: a ring's memfd, from a process that is not trusted
 *
 * Maps a ring that another process made, after checking that it cannot
 * hurt the one mapping it: its size is sealed, so no page of the mapping
 * can vanish (SIGBUS), and its header matches its size. The fd is not
 * kept.
 *
 * Returns: (transfer full) (nullable): the ring, to be freed with
 *   smiley_ring_free()
 */
SmileyRing *
smiley_ring_open (int fd, GError **error)
{
  g_autofree SmileyRing *ring = g_new0 (SmileyRing, 1);
  struct stat            st;
  int                    seals = fcntl (fd, F_GET_SEALS);
  guint64                size;
  int                    err;

  if (seals < 0 || (seals & (F_SEAL_SHRINK | F_SEAL_SEAL)) != (F_SEAL_SHRINK | F_SEAL_SEAL))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "the ring is not a memfd whose size is sealed");
      return NULL;
    }
  if (fstat (fd, &st) != 0 || st.st_size < SMILEY_RING_HEADER_SIZE)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "the ring is smaller than its header");
      return NULL;
    }
  size = (guint64)st.st_size - SMILEY_RING_HEADER_SIZE;
  if (size < 65536 || size > (G_GUINT64_CONSTANT (1) << 30) || (size & (size - 1)) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "the ring's %" G_GUINT64_FORMAT
                   " bytes of data are not a power of two from 64 KiB to 1 GiB",
                   size);
      return NULL;
    }
  err = smiley_ring_map (ring, fd, size);
  if (err != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err), "cannot map the ring: %s",
                   g_strerror (err));
      return NULL;
    }
  if (ring->header->magic != SMILEY_RING_MAGIC || ring->header->version != SMILEY_RING_VERSION
      || ring->header->size != size)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "the ring's header is not a smiley ring of version %u and %" G_GUINT64_FORMAT
                   " bytes",
                   SMILEY_RING_VERSION, size);
      smiley_ring_unmap (ring);
      return NULL;
    }
  /* Nobody consumed before us; the shared tail is the producer's to read,
   * not ours to trust. */
  ring->tail = 0;
  return g_steal_pointer (&ring);
}

void
smiley_ring_free (SmileyRing *ring)
{
  smiley_ring_unmap (ring);
  g_free (ring);
}

/**
 * smiley_run_conclude:
 * @got_end: whether the tracer's RUN_END was received
 * @exit_status: the program's exit status, 128 + the signal if a signal
 *   killed it
 * @signum: the signal that killed it, or 0
 * @events_emitted: how many events the tracer emitted
 *
 * Completes a run read from a ring with how its process ended. Without
 * the tracer's RUN_END (os._exit(), a signal, a crash) the run ended
 * abnormally, now; a process killed by any signal but SIGINT after the
 * tracer wrote its end (during finalization) did too.
 */
void
smiley_run_conclude (SmileyRun *run, gboolean got_end, int exit_status, int signum,
                     guint64 events_emitted)
{
  if (signum != 0)
    smiley_run_set_signal (run, signum);
  smiley_run_set_exit_status (run, exit_status);
  smiley_run_set_events_emitted (run, events_emitted);
  if (!got_end)
    {
      smiley_run_set_state (run, SMILEY_RUN_ABNORMAL);
      smiley_run_set_end_time (run, g_get_real_time ());
    }
  else if (signum != 0 && signum != SIGINT)
    smiley_run_set_state (run, SMILEY_RUN_ABNORMAL);
}
