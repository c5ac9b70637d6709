/* smiley-log-cursor.c
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include "smiley-log-cursor.h"

/* The reader merges the small EVENTS frames of a log into batches of up
 * to this many events. */
#define BATCH_EVENTS 4096
/* The log is fed to the reader in pieces of this size. */
#define CHUNK (1024 * 1024)

struct _SmileyLogCursor
{
  char              *path;
  GMappedFile       *mapped;
  const guint8      *data;
  gsize              length;
  gsize              fed;
  SmileyFrameReader *reader;
  SmileyBatch       *batch;
  guint              batch_index;
  guint64            position;         /* run-wide index of the next event */
  GArray            *thread_positions; /* guint64 per thread id */
  gboolean           ended;
};

/**
 * smiley_log_cursor_new:
 * @path: a run's log
 * @error: return location for a #GError (%SMILEY_STORE_ERROR_NOT_FOUND if
 *   there is no such file)
 *
 * Returns: (transfer full): a cursor before the log's first event
 */
SmileyLogCursor *
smiley_log_cursor_new (const char *path, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  GMappedFile     *mapped = g_mapped_file_new (path, FALSE, &local_error);
  SmileyLogCursor *self;

  if (mapped == NULL)
    {
      g_set_error (error, SMILEY_STORE_ERROR,
                   g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT)
                       ? SMILEY_STORE_ERROR_NOT_FOUND
                       : SMILEY_STORE_ERROR_IO,
                   "%s: cannot read the run: %s", path, local_error->message);
      return NULL;
    }

  self = g_new0 (SmileyLogCursor, 1);
  self->path = g_strdup (path);
  self->mapped = mapped;
  self->data = (const guint8 *)g_mapped_file_get_contents (mapped);
  self->length = g_mapped_file_get_length (mapped);
  self->reader = smiley_frame_reader_new (0);
  smiley_frame_reader_set_max_batch (self->reader, BATCH_EVENTS);
  self->thread_positions = g_array_new (FALSE, TRUE, sizeof (guint64));
  return self;
}

void
smiley_log_cursor_free (SmileyLogCursor *self)
{
  if (self == NULL)
    return;
  g_free (self->path);
  g_mapped_file_unref (self->mapped);
  smiley_frame_reader_free (self->reader);
  g_clear_pointer (&self->batch, smiley_batch_unref);
  g_array_unref (self->thread_positions);
  g_free (self);
}

static gboolean
damaged (SmileyLogCursor *self, GError *frame_error, GError **error)
{
  g_set_error (error, SMILEY_STORE_ERROR,
               g_error_matches (frame_error, SMILEY_FRAME_ERROR, SMILEY_FRAME_ERROR_VERSION)
                   ? SMILEY_STORE_ERROR_VERSION
                   : SMILEY_STORE_ERROR_CORRUPT,
               "%s: the run's log is damaged (%s)", self->path, frame_error->message);
  g_error_free (frame_error);
  return FALSE;
}

/* Decodes until the next batch; FALSE at the end of the log. */
static gboolean
next_batch (SmileyLogCursor *self, GError **error)
{
  GError *frame_error = NULL;

  g_clear_pointer (&self->batch, smiley_batch_unref);
  self->batch_index = 0;
  while (!self->ended)
    {
      SmileyFrameMessage message;
      SmileyBatch       *batch = NULL;
      gsize              piece;

      if (!smiley_frame_reader_next (self->reader, &message, &batch, &frame_error))
        return damaged (self, frame_error, error);
      if (message == SMILEY_FRAME_BATCH)
        {
          self->batch = batch;
          return TRUE;
        }
      if (message != SMILEY_FRAME_NEED_MORE)
        continue;

      piece = MIN (CHUNK, self->length - self->fed);
      if (piece > 0)
        {
          smiley_frame_reader_feed (self->reader, self->data + self->fed, piece);
          self->fed += piece;
          continue;
        }

      self->ended = TRUE;
      /* A cut at the end is what a killed writer leaves: not damage. */
      if (!smiley_frame_reader_finish (self->reader, &frame_error))
        {
          if (!g_error_matches (frame_error, SMILEY_FRAME_ERROR, SMILEY_FRAME_ERROR_TRUNCATED))
            return damaged (self, frame_error, error);
          g_clear_error (&frame_error);
        }
    }
  return FALSE;
}

/**
 * smiley_log_cursor_next:
 * @self: a cursor
 * @event: (out) (transfer none): the next event, valid until the next call
 * @thread_index: (out) (optional): its index among its thread's events
 * @error: return location for a #GError
 *
 * Returns: %FALSE at the end of the log (with @event %NULL) or with @error
 *   set if the log is damaged
 */
gboolean
smiley_log_cursor_next (SmileyLogCursor *self, const SmileyEvent **event, guint64 *thread_index,
                        GError **error)
{
  const SmileyEvent *next;
  guint64           *count;

  *event = NULL;
  while (self->batch == NULL || self->batch_index >= smiley_batch_get_length (self->batch))
    if (!next_batch (self, error))
      return FALSE;

  next = smiley_batch_get_event (self->batch, self->batch_index++);
  if (next->thread >= self->thread_positions->len)
    g_array_set_size (self->thread_positions, next->thread + 1);
  count = &g_array_index (self->thread_positions, guint64, next->thread);
  if (thread_index != NULL)
    *thread_index = *count;
  (*count)++;
  self->position++;
  *event = next;
  return TRUE;
}

/**
 * smiley_log_cursor_get_position:
 * @self: a cursor
 *
 * Returns: how many events were read
 */
guint64
smiley_log_cursor_get_position (SmileyLogCursor *self)
{
  return self->position;
}

/**
 * smiley_log_cursor_get_thread_position:
 * @self: a cursor
 * @thread: a thread id
 *
 * Returns: how many events of @thread were read
 */
guint64
smiley_log_cursor_get_thread_position (SmileyLogCursor *self, guint32 thread)
{
  if (thread >= self->thread_positions->len)
    return 0;
  return g_array_index (self->thread_positions, guint64, thread);
}

/**
 * smiley_log_cursor_get_run:
 * @self: a cursor
 *
 * Returns: (transfer none) (nullable): the run as decoded so far: its
 *   metadata once RUN_BEGIN was read, its tables as far as the cursor got,
 *   its end data and stats once it reached RUN_END
 */
SmileyRun *
smiley_log_cursor_get_run (SmileyLogCursor *self)
{
  return smiley_frame_reader_get_run (self->reader);
}
