/* smiley-frame-reader.c: decodes and validates the smiley frame format
 *
 * SPDX-License-Identifier: Apache-2.0
 *
 * The reader keeps the bytes fed to it in one buffer that is compacted
 * (the undecoded tail moved to the front) only when it would otherwise
 * have to grow, so a steady stream costs one memcpy per feed and no
 * allocation. A frame is decoded once it is complete; every field is
 * checked against the frame's end and the run's tables before it is used,
 * so hostile input yields a SMILEY_FRAME_ERROR naming the frame's byte
 * offset in the stream, never a crash or an unbounded allocation.
 */
#include "smiley-build-config.h"

#include "smiley.h"
#include "smiley-batch-private.h"
#include "smiley-wire.h"

/* clang-format off */
G_DEFINE_QUARK (smiley-frame-error-quark, smiley_frame_error)
/* clang-format on */

typedef enum
{
  READER_HEADER,       /* waiting for the stream header */
  READER_BEFORE_BEGIN, /* header read, waiting for RUN_BEGIN */
  READER_IN_RUN,
  READER_ENDED,  /* RUN_END read; nothing may follow */
  READER_FAILED, /* an error was found; it is reported again */
} ReaderState;

/* Smallest encodings, to reject counts the rest of a frame cannot hold
 * before anything is allocated for them. */
#define MIN_STRING_ENTRY 2 /* id, length */
#define MIN_THREAD_ENTRY 4 /* id, pid, native id, name length */
#define MIN_EVENT 11       /* kind, 8 varints, arg, n_locals */
#define MIN_LOCAL 2        /* name, value */
#define MIN_STATS_ENTRY 8  /* file, line, function, 4 counters, n_callers */
#define MIN_STATS_CALLER 5
#define MIN_ARG 1 /* argv element: length */

/* Run ids become file names and URL parts in stores; keep them tame. */
#define MAX_RUN_ID_LENGTH 128

struct _SmileyFrameReader
{
  gsize max_frame_size;
  guint max_batch;

  /* Fed bytes: [pos, len) of data is not decoded yet; data[0] is at
   * stream offset base_offset. data is the reader's own buf, or the
   * caller's memory while it is lent (smiley_frame_reader_lend()). */
  const guint8 *data;
  gsize         len;
  gsize         pos;
  guint64       base_offset;
  guint8       *buf;
  gsize         alloc;
  gboolean      lent;

  ReaderState state;
  GError     *error;

  SmileyRun *run;
  /* Copies of the run's table sizes, checked once per event field
   * without a function call. */
  guint32 n_strings;
  guint32 n_threads;

  /* Events decoded but not reported yet; the first pending_committed of
   * them come from frames that decoded without error. */
  SmileyBatch *pending;
  guint        pending_committed;
  /* The batch reported last, kept to be refilled once its taker let go
   * of it: fresh batches of thousands of events cost page faults. */
  SmileyBatch *reported;

  /* Pass-through (smiley_frame_reader_set_pass_events()): the validated
   * EVENTS frames at [span_start, span_start + span_len) of buf, not
   * reported yet, and the ones reported last. */
  gboolean pass_events;
  /* Stream header flags accepted, and those of the stream read. */
  guint16 accepted_flags;
  guint16 stream_flags;
  gsize   span_start;
  gsize   span_len;
  guint   span_events;
  gsize   passed_start;
  gsize   passed_len;
  guint   passed_events;
  /* Which string ids events were seen in as their file (one byte per
   * id), and those first seen in the events waiting to be reported. */
  guint8 *files_seen;
  gsize   files_seen_alloc;
  guint32 last_file;
  GArray *new_files;
};

/* Where a frame's payload is being read, for bounds checks and errors. */
typedef struct
{
  const guint8       *p;
  const guint8       *end;
  guint64             offset; /* stream offset of the frame */
  SmileyWireFrameType type;
  const char         *item;  /* "event", "string" …, or NULL */
  guint64             index; /* which one */
  GError            **error;
} Cursor;

static const char *
frame_type_name (guint type)
{
  static const char *const names[] = {
    [SMILEY_WIRE_RUN_BEGIN] = "RUN_BEGIN", [SMILEY_WIRE_STRINGS] = "STRINGS",
    [SMILEY_WIRE_THREADS] = "THREADS",     [SMILEY_WIRE_SOURCE] = "SOURCE",
    [SMILEY_WIRE_EVENTS] = "EVENTS",       [SMILEY_WIRE_STATS] = "STATS",
    [SMILEY_WIRE_RUN_END] = "RUN_END",
  };

  if (type == 0 || type > SMILEY_WIRE_FRAME_TYPE_LAST)
    return "unknown";
  return names[type];
}

static void cursor_fail (Cursor *c, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* Sets an INVALID error: "frame at offset 1234 (EVENTS), event 3: …". */
static void
cursor_fail (Cursor *c, const char *format, ...)
{
  g_autofree char *what = NULL;
  va_list          args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);

  if (c->item != NULL)
    g_set_error (c->error, SMILEY_FRAME_ERROR, SMILEY_FRAME_ERROR_INVALID,
                 "frame at offset %" G_GUINT64_FORMAT " (%s), %s %" G_GUINT64_FORMAT ": %s",
                 c->offset, frame_type_name (c->type), c->item, c->index, what);
  else
    g_set_error (c->error, SMILEY_FRAME_ERROR, SMILEY_FRAME_ERROR_INVALID,
                 "frame at offset %" G_GUINT64_FORMAT " (%s): %s", c->offset,
                 frame_type_name (c->type), what);
}

static gboolean
read_varint_slow (Cursor *c, guint64 *value, const char *what)
{
  guint64 v = 0;

  for (guint i = 0; i < SMILEY_WIRE_MAX_VARINT; i++)
    {
      guint8 b;

      if (c->p >= c->end)
        {
          cursor_fail (c, "%s: the frame ends inside a varint", what);
          return FALSE;
        }
      b = *c->p++;
      if (i == SMILEY_WIRE_MAX_VARINT - 1)
        {
          if (b & 0x80)
            {
              cursor_fail (c, "%s: varint longer than %d bytes", what, SMILEY_WIRE_MAX_VARINT);
              return FALSE;
            }
          if (b > 1)
            {
              cursor_fail (c, "%s: varint does not fit in 64 bits", what);
              return FALSE;
            }
        }
      v |= (guint64)(b & 0x7f) << (7 * i);
      if ((b & 0x80) == 0)
        break;
    }
  *value = v;
  return TRUE;
}

static inline gboolean
read_varint (Cursor *c, guint64 *value, const char *what)
{
  const guint8 *p = c->p;
  gsize         room = MIN ((gsize)(c->end - p), SMILEY_WIRE_MAX_VARINT - 1);
  guint64       v;

  /* Most fields are small: one byte, no loop. Longer ones (call ids,
   * times) that end within the frame need no check per byte, and nine
   * bytes cannot break the tenth byte's rules; the rest, and every error,
   * go the slow way. */
  if (G_LIKELY (room > 0 && p[0] < 0x80))
    {
      *value = p[0];
      c->p++;
      return TRUE;
    }
  v = 0;
  for (gsize i = 0; i < room; i++)
    {
      v |= (guint64)(p[i] & 0x7f) << (7 * i);
      if (p[i] < 0x80)
        {
          *value = v;
          c->p = p + i + 1;
          return TRUE;
        }
    }
  return read_varint_slow (c, value, what);
}

static inline gboolean
read_u32 (Cursor *c, guint32 *value, const char *what)
{
  guint64 v;

  if (!read_varint (c, &v, what))
    return FALSE;
  if (G_UNLIKELY (v > G_MAXUINT32))
    {
      cursor_fail (c, "%s %" G_GUINT64_FORMAT " is out of range (more than 32 bits)", what, v);
      return FALSE;
    }
  *value = (guint32)v;
  return TRUE;
}

static inline gboolean
read_svarint (Cursor *c, gint64 *value, const char *what)
{
  guint64 v;

  if (!read_varint (c, &v, what))
    return FALSE;
  *value = (gint64)(v >> 1) ^ -(gint64)(v & 1);
  return TRUE;
}

static gboolean
read_int (Cursor *c, int *value, const char *what)
{
  gint64 v;

  if (!read_svarint (c, &v, what))
    return FALSE;
  if (v < G_MININT || v > G_MAXINT)
    {
      cursor_fail (c, "%s %" G_GINT64_FORMAT " is out of range", what, v);
      return FALSE;
    }
  *value = (int)v;
  return TRUE;
}

/* A count of items of at least @min_size bytes each; refused when the rest
 * of the frame cannot hold that many, so a hostile count never turns into
 * a huge allocation. */
static inline gboolean
read_count (Cursor *c, guint32 *count, gsize min_size, const char *what)
{
  guint64 v;

  if (!read_varint (c, &v, what))
    return FALSE;
  if (v > (guint64)(c->end - c->p) / min_size)
    {
      cursor_fail (c,
                   "%s %" G_GUINT64_FORMAT " is more than the %" G_GSIZE_FORMAT
                   " bytes left in the frame can hold",
                   what, v, (gsize)(c->end - c->p));
      return FALSE;
    }
  *count = (guint32)v;
  return TRUE;
}

/* A length-prefixed run of bytes, left in the frame. */
static inline gboolean
read_bytes (Cursor *c, const guint8 **data, gsize *len, const char *what)
{
  guint64 v;

  if (!read_varint (c, &v, what))
    return FALSE;
  if (G_UNLIKELY (v > (guint64)(c->end - c->p)))
    {
      cursor_fail (c, "%s: length %" G_GUINT64_FORMAT " runs past the end of the frame", what, v);
      return FALSE;
    }
  *data = c->p;
  *len = (gsize)v;
  c->p += v;
  return TRUE;
}

/* Valid UTF-8 without NUL bytes, since strings travel on as C strings. */
static inline gboolean
check_utf8 (Cursor *c, const guint8 *data, gsize len, const char *what)
{
  gsize i = 0;

  /* Names and reprs are mostly ASCII: check that cheaply first, eight
   * bytes at a time (no byte with its high bit set, none zero), and only
   * hand strings with other bytes (or a NUL) to the full validator. */
  for (; i + 8 <= len; i += 8)
    {
      guint64 w;

      memcpy (&w, data + i, 8);
      if (((w | ((w - G_GUINT64_CONSTANT (0x0101010101010101)) & ~w))
           & G_GUINT64_CONSTANT (0x8080808080808080))
          != 0)
        break;
    }
  while (i < len && (guint8)(data[i] - 1) < 0x7f)
    i++;
  if (G_UNLIKELY (i < len && !g_utf8_validate_len ((const char *)data + i, len - i, NULL)))
    {
      cursor_fail (c, "%s is not valid UTF-8 (or contains a NUL byte)", what);
      return FALSE;
    }
  return TRUE;
}

/* An optional string, its bounds checked but not its text: *data is
 * NULL when absent. */
static inline gboolean
read_ostr_span (Cursor *c, const guint8 **data, gsize *len, const char *what)
{
  guint64 v;

  if (!read_varint (c, &v, what))
    return FALSE;
  if (v == 0)
    {
      *data = NULL;
      *len = 0;
      return TRUE;
    }
  v--;
  if (G_UNLIKELY (v > (guint64)(c->end - c->p)))
    {
      cursor_fail (c, "%s: length %" G_GUINT64_FORMAT " runs past the end of the frame", what, v);
      return FALSE;
    }
  *data = c->p;
  *len = (gsize)v;
  c->p += v;
  return TRUE;
}

/* An optional string, checked where it is: for frames that are passed on,
 * not kept. */
static inline gboolean
read_ostr (Cursor *c, const guint8 **data, gsize *len, const char *what)
{
  return read_ostr_span (c, data, len, what)
         && (*data == NULL || check_utf8 (c, *data, *len, what));
}

/* Strings that are kept are checked after they were copied, not before:
 * lent bytes may be shared with their producer (the tracer's ring, mapped
 * into the traced program), which could change them in between. */

/* A NUL-terminated copy of @len bytes at @data, checked once copied. */
static gboolean
dup_checked (Cursor *c, const guint8 *data, gsize len, char **text, const char *what)
{
  char *copy = g_malloc (len + 1);

  memcpy (copy, data, len);
  copy[len] = '\0';
  if (!check_utf8 (c, (const guint8 *)copy, len, what))
    {
      g_free (copy);
      return FALSE;
    }
  *text = copy;
  return TRUE;
}

static gboolean
read_str_dup (Cursor *c, char **text, const char *what)
{
  const guint8 *data;
  gsize         len;

  return read_bytes (c, &data, &len, what) && dup_checked (c, data, len, text, what);
}

static gboolean
read_ostr_dup (Cursor *c, char **text, const char *what)
{
  const guint8 *data;
  gsize         len;

  if (!read_ostr_span (c, &data, &len, what))
    return FALSE;
  if (data == NULL)
    {
      *text = NULL;
      return TRUE;
    }
  return dup_checked (c, data, len, text, what);
}

/* An optional string of an event, copied into @batch and then checked. */
static inline gboolean
read_ostr_into (Cursor *c, SmileyBatch *batch, const char **text, const char *what)
{
  const guint8 *data;
  gsize         len;

  if (!read_ostr_span (c, &data, &len, what))
    return FALSE;
  if (data == NULL)
    {
      *text = NULL;
      return TRUE;
    }
  *text = smiley_batch_copy_text (batch, (const char *)data, len);
  return check_utf8 (c, (const guint8 *)*text, len, what);
}

static inline gboolean
read_string_id (Cursor *c, guint32 n_strings, guint32 *id, const char *what)
{
  guint64 v;

  if (!read_varint (c, &v, what))
    return FALSE;
  if (G_UNLIKELY (v >= n_strings))
    {
      cursor_fail (c, "%s: string id %" G_GUINT64_FORMAT " not defined (the run has %u strings)",
                   what, v, n_strings);
      return FALSE;
    }
  *id = (guint32)v;
  return TRUE;
}

static gboolean
cursor_finish (Cursor *c)
{
  c->item = NULL;
  if (c->p != c->end)
    {
      cursor_fail (c, "%" G_GSIZE_FORMAT " bytes left over after the last field",
                   (gsize)(c->end - c->p));
      return FALSE;
    }
  return TRUE;
}

/**
 * smiley_frame_reader_new:
 * @max_frame_size: the largest frame to accept, in bytes, or 0 for the
 *   format's own limit (%SMILEY_WIRE_MAX_FRAME_SIZE, also the upper bound)
 *
 * Creates a reader for one run's stream. A frame announcing more than
 * @max_frame_size bytes is refused from its header, before its payload is
 * waited for, which bounds what a hostile producer can make the reader
 * hold.
 *
 * Returns: (transfer full): a new reader
 */
SmileyFrameReader *
smiley_frame_reader_new (gsize max_frame_size)
{
  SmileyFrameReader *self = g_new0 (SmileyFrameReader, 1);

  if (max_frame_size == 0 || max_frame_size > SMILEY_WIRE_MAX_FRAME_SIZE)
    max_frame_size = SMILEY_WIRE_MAX_FRAME_SIZE;
  self->max_frame_size = max_frame_size;
  self->state = READER_HEADER;
  /* No string id: the first event's file, even string 0, is noted. */
  self->last_file = G_MAXUINT32;
  self->new_files = g_array_new (FALSE, FALSE, sizeof (guint32));
  return self;
}

/**
 * smiley_frame_reader_free:
 * @self: (transfer full): a reader
 *
 * Frees the reader, its buffered bytes, undelivered events and its
 * reference to the run.
 */
void
smiley_frame_reader_free (SmileyFrameReader *self)
{
  if (self == NULL)
    return;
  g_free (self->buf);
  g_clear_error (&self->error);
  g_clear_object (&self->run);
  g_clear_pointer (&self->pending, smiley_batch_unref);
  g_clear_pointer (&self->reported, smiley_batch_unref);
  g_free (self->files_seen);
  g_array_unref (self->new_files);
  g_free (self);
}

/**
 * smiley_frame_reader_set_max_batch:
 * @self: a reader
 * @max_events: most events to merge into one batch, or 0 to report every
 *   EVENTS frame as its own batch (the default)
 *
 * Turns on merging of consecutive EVENTS frames (see #SmileyFrameReader).
 * A single frame with more events than @max_events is still reported
 * whole, as one batch.
 */
void
smiley_frame_reader_set_max_batch (SmileyFrameReader *self, guint max_events)
{
  g_return_if_fail (self != NULL);

  self->max_batch = max_events;
}

/* The frames reported last are gone (the buffer moves, or a new message
 * is on its way). */
static inline void
reader_forget_passed (SmileyFrameReader *self)
{
  self->passed_len = 0;
  self->passed_events = 0;
}

/**
 * smiley_frame_reader_set_accepted_flags:
 * @self: a reader that has not read the stream header yet
 * @flags: stream header flags to accept (%SMILEY_WIRE_FLAG_RING)
 *
 * By default a stream with any flag set is refused. A listener that can
 * take the tracer's ring accepts %SMILEY_WIRE_FLAG_RING, and then checks
 * smiley_frame_reader_get_stream_flags().
 */
void
smiley_frame_reader_set_accepted_flags (SmileyFrameReader *self, guint16 flags)
{
  g_return_if_fail (self != NULL);

  self->accepted_flags = flags;
}

/**
 * smiley_frame_reader_get_stream_flags:
 * @self: a reader
 *
 * Returns: the flags of the stream header read, 0 until it is read
 */
guint16
smiley_frame_reader_get_stream_flags (SmileyFrameReader *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->stream_flags;
}

/**
 * smiley_frame_reader_set_pass_events:
 * @self: a reader
 * @pass: whether to pass EVENTS frames through instead of decoding them
 *
 * For a consumer that forwards the stream in the frame format anyway
 * (`smiley run` publishing to a socket): EVENTS frames are still checked
 * field by field against the run's tables, but not decoded into batches.
 * Runs of consecutive EVENTS frames (up to the reader's max batch of
 * events) are reported as %SMILEY_FRAME_ENCODED_EVENTS; take them with
 * smiley_frame_reader_get_encoded_events() and the files their events are
 * in with smiley_frame_reader_get_new_files(). The other frames update the
 * run as usual.
 */
void
smiley_frame_reader_set_pass_events (SmileyFrameReader *self, gboolean pass)
{
  g_return_if_fail (self != NULL);

  self->pass_events = pass;
}

/**
 * smiley_frame_reader_get_encoded_events:
 * @self: a reader that just reported %SMILEY_FRAME_ENCODED_EVENTS
 * @length: (out): the frames' size in bytes
 * @n_events: (out) (optional): how many events they hold
 *
 * The EVENTS frames of the last %SMILEY_FRAME_ENCODED_EVENTS message,
 * headers included, exactly as they were fed: every field valid, every
 * string and thread they refer to defined in the reader's run.
 *
 * Returns: (transfer none) (array length=length): the frames, valid until
 *   the next call to smiley_frame_reader_next(), _feed(), _reserve() or
 *   _take_back() (they are in the lent memory after a lend)
 */
const guint8 *
smiley_frame_reader_get_encoded_events (SmileyFrameReader *self, gsize *length, guint *n_events)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (length != NULL, NULL);

  *length = self->passed_len;
  if (n_events != NULL)
    *n_events = self->passed_events;
  return self->passed_len > 0 ? self->data + self->passed_start : NULL;
}

/**
 * smiley_frame_reader_get_new_files:
 * @self: a reader that just reported %SMILEY_FRAME_BATCH or
 *   %SMILEY_FRAME_ENCODED_EVENTS
 * @n_files: (out): how many
 *
 * The string ids of the files that the events just reported (the batch,
 * or the encoded frames) are in and that no earlier event of the run was
 * in, in the order the events entered them: what a consumer that attaches
 * source files needs, whether or not it decodes the events.
 *
 * Returns: (transfer none) (array length=n_files): the ids
 */
const guint32 *
smiley_frame_reader_get_new_files (SmileyFrameReader *self, guint *n_files)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (n_files != NULL, NULL);

  *n_files = self->new_files->len;
  return *n_files > 0 ? (const guint32 *)(gpointer)self->new_files->data : NULL;
}

/**
 * smiley_frame_reader_reserve:
 * @self: a reader
 * @length: how many bytes the caller is about to add
 *
 * Room for @length more bytes at the end of the reader's buffer, for a
 * caller that reads the stream from a file or socket: it receives into
 * it and calls smiley_frame_reader_commit(), sparing the copy of
 * smiley_frame_reader_feed().
 *
 * Returns: (transfer none): where to write, valid until the next call on
 *   the reader
 */
guint8 *
smiley_frame_reader_reserve (SmileyFrameReader *self, gsize length)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (!self->lent, NULL);

  if (self->pos == self->len)
    {
      self->base_offset += self->pos;
      self->pos = self->len = 0;
      /* One huge frame should not pin its buffer for the rest of a
       * long-lived connection. */
      if (self->alloc > 16 * 1024 * 1024)
        {
          g_clear_pointer (&self->buf, g_free);
          self->alloc = 0;
        }
    }

  if (self->alloc - self->len < length)
    {
      /* Move the undecoded tail (usually part of one frame) to the front
       * before considering a larger buffer. */
      if (self->pos > 0)
        {
          memmove (self->buf, self->buf + self->pos, self->len - self->pos);
          self->base_offset += self->pos;
          self->len -= self->pos;
          self->pos = 0;
        }
      if (self->alloc - self->len < length)
        {
          gsize want = MAX (MAX (self->alloc * 2, self->len + length), 4096);

          self->buf = g_realloc (self->buf, want);
          self->alloc = want;
        }
    }
  /* Frames reported last may have moved. */
  reader_forget_passed (self);
  self->data = self->buf;
  return self->buf + self->len;
}

/**
 * smiley_frame_reader_commit:
 * @self: a reader
 * @length: how many bytes were written where smiley_frame_reader_reserve()
 *   said, at most what was reserved
 *
 * Adds those bytes to decode. Bytes added after the reader found an error
 * are dropped.
 */
void
smiley_frame_reader_commit (SmileyFrameReader *self, gsize length)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (!self->lent);
  g_return_if_fail (length <= self->alloc - self->len);

  if (self->state != READER_FAILED)
    self->len += length;
}

/**
 * smiley_frame_reader_feed:
 * @self: a reader
 * @data: (array length=length): bytes of the stream, in order
 * @length: how many
 *
 * Appends bytes to decode; the reader copies them. Bytes fed after the
 * reader found an error are dropped.
 */
void
smiley_frame_reader_feed (SmileyFrameReader *self, const guint8 *data, gsize length)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (data != NULL || length == 0);
  g_return_if_fail (!self->lent);

  if (length == 0 || self->state == READER_FAILED)
    return;
  memcpy (smiley_frame_reader_reserve (self, length), data, length);
  smiley_frame_reader_commit (self, length);
}

/**
 * smiley_frame_reader_lend:
 * @self: a reader that holds no undecoded bytes of its own
 * @data: (array length=length): bytes of the stream, in order
 * @length: how many
 *
 * Like smiley_frame_reader_feed(), without the copy: the reader decodes
 * from @data in place, for a caller that has the stream in memory anyway
 * (the tracer's ring). @data must stay valid and unchanged until
 * smiley_frame_reader_take_back(), which the caller calls once
 * smiley_frame_reader_next() asked for more.
 */
void
smiley_frame_reader_lend (SmileyFrameReader *self, const guint8 *data, gsize length)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (data != NULL || length == 0);
  g_return_if_fail (!self->lent);
  g_return_if_fail (self->pos == self->len);

  self->base_offset += self->pos;
  reader_forget_passed (self);
  self->data = data;
  self->pos = 0;
  self->len = length;
  self->lent = TRUE;
}

/**
 * smiley_frame_reader_take_back:
 * @self: a reader that was lent bytes
 *
 * Ends the loan of smiley_frame_reader_lend(). The reader keeps nothing
 * of the lent bytes: an incomplete frame at their end was not consumed,
 * and must be lent (or fed) again, with what follows it.
 *
 * Returns: how many of the lent bytes were consumed (whole frames)
 */
gsize
smiley_frame_reader_take_back (SmileyFrameReader *self)
{
  gsize consumed;

  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (self->lent, 0);

  consumed = self->pos;
  self->base_offset += consumed;
  reader_forget_passed (self);
  self->data = self->buf;
  self->pos = self->len = 0;
  self->lent = FALSE;
  return consumed;
}

static void
reader_fail (SmileyFrameReader *self, GError *error)
{
  self->state = READER_FAILED;
  g_clear_error (&self->error);
  self->error = error;
}

static gboolean
reader_check_header (SmileyFrameReader *self, GError **error)
{
  const guint8 *p;
  gsize         avail = self->len - self->pos;
  guint         version, flags;

  if (avail == 0)
    return TRUE;
  p = self->data + self->pos;

  /* Compare what is there already, so a stream of something else fails
   * at once rather than after a full header's worth of bytes. */
  for (gsize i = 0; i < MIN (avail, 4); i++)
    if (p[i] != (guint8)SMILEY_WIRE_MAGIC[i])
      {
        g_autoptr (GString) got = g_string_new (NULL);

        for (gsize j = 0; j < MIN (avail, 4); j++)
          {
            if (g_ascii_isprint (p[j]) && p[j] != '\\')
              g_string_append_c (got, p[j]);
            else
              g_string_append_printf (got, "\\x%02x", p[j]);
          }
        g_set_error (error, SMILEY_FRAME_ERROR, SMILEY_FRAME_ERROR_BAD_MAGIC,
                     "not a smiley event stream: it starts with “%s”, not “%s”", got->str,
                     SMILEY_WIRE_MAGIC);
        return FALSE;
      }
  if (avail < SMILEY_WIRE_STREAM_HEADER_SIZE)
    return TRUE;

  version = p[4] | (p[5] << 8);
  flags = p[6] | (p[7] << 8);
  if (version != SMILEY_WIRE_VERSION)
    {
      g_set_error (error, SMILEY_FRAME_ERROR, SMILEY_FRAME_ERROR_VERSION,
                   "smiley event stream of format version %u; this smiley reads version %u",
                   version, SMILEY_WIRE_VERSION);
      return FALSE;
    }
  if ((flags & ~self->accepted_flags) != 0)
    {
      g_set_error (error, SMILEY_FRAME_ERROR, SMILEY_FRAME_ERROR_INVALID,
                   "stream header: unknown flags 0x%04x (version %u has none)", flags,
                   SMILEY_WIRE_VERSION);
      return FALSE;
    }
  self->stream_flags = flags;
  self->pos += SMILEY_WIRE_STREAM_HEADER_SIZE;
  self->state = READER_BEFORE_BEGIN;
  return TRUE;
}

/* Checks the 8-byte header of the frame at self->pos: size, type, reserved
 * bytes and whether the frame may come now. */
static gboolean
reader_check_frame_header (SmileyFrameReader *self, guint32 *size, guint *type, GError **error)
{
  const guint8 *p = self->data + self->pos;
  guint64       offset = self->base_offset + self->pos;

  *size = smiley_wire_get_u32 (p);
  *type = p[4];

  if (*type == 0 || *type > SMILEY_WIRE_FRAME_TYPE_LAST)
    {
      g_set_error (error, SMILEY_FRAME_ERROR, SMILEY_FRAME_ERROR_INVALID,
                   "frame at offset %" G_GUINT64_FORMAT ": unknown frame type %u", offset, *type);
      return FALSE;
    }
  if (p[5] != 0 || p[6] != 0 || p[7] != 0)
    {
      g_set_error (error, SMILEY_FRAME_ERROR, SMILEY_FRAME_ERROR_INVALID,
                   "frame at offset %" G_GUINT64_FORMAT " (%s): reserved header bytes are not zero",
                   offset, frame_type_name (*type));
      return FALSE;
    }
  if (*size < SMILEY_WIRE_FRAME_HEADER_SIZE)
    {
      g_set_error (error, SMILEY_FRAME_ERROR, SMILEY_FRAME_ERROR_INVALID,
                   "frame at offset %" G_GUINT64_FORMAT
                   " (%s): size %u is smaller than its own header",
                   offset, frame_type_name (*type), *size);
      return FALSE;
    }
  if (*size > self->max_frame_size)
    {
      g_set_error (error, SMILEY_FRAME_ERROR, SMILEY_FRAME_ERROR_TOO_LARGE,
                   "frame at offset %" G_GUINT64_FORMAT
                   " (%s) is %u bytes, more than the limit of %" G_GSIZE_FORMAT,
                   offset, frame_type_name (*type), *size, self->max_frame_size);
      return FALSE;
    }
  if (self->state == READER_BEFORE_BEGIN && *type != SMILEY_WIRE_RUN_BEGIN)
    {
      g_set_error (error, SMILEY_FRAME_ERROR, SMILEY_FRAME_ERROR_INVALID,
                   "frame at offset %" G_GUINT64_FORMAT " (%s) comes before RUN_BEGIN", offset,
                   frame_type_name (*type));
      return FALSE;
    }
  if (self->state == READER_IN_RUN && *type == SMILEY_WIRE_RUN_BEGIN)
    {
      g_set_error (error, SMILEY_FRAME_ERROR, SMILEY_FRAME_ERROR_INVALID,
                   "frame at offset %" G_GUINT64_FORMAT " (RUN_BEGIN): the run has already begun",
                   offset);
      return FALSE;
    }
  return TRUE;
}

/* Run ids end up in file names and URLs of stores. */
static gboolean
run_id_is_tame (const guint8 *id, gsize len)
{
  if (len == 0 || len > MAX_RUN_ID_LENGTH || id[0] == '.')
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isgraph (id[i]) || id[i] == '/' || id[i] == '\\')
      return FALSE;
  return TRUE;
}

static gboolean
reader_decode_run_begin (SmileyFrameReader *self, Cursor *c)
{
  g_autoptr (SmileyRun) run = NULL;
  g_autofree char *cwd = NULL;
  g_autofree char *description = NULL;
  g_autoptr (GPtrArray) argv = NULL;
  g_autofree char *run_id = NULL;
  guint32          pid, argc;
  gint64           start_time;

  if (!read_str_dup (c, &run_id, "run id"))
    return FALSE;
  if (!run_id_is_tame ((const guint8 *)run_id, strlen (run_id)))
    {
      cursor_fail (c,
                   "run id must be 1 to %d printable ASCII characters without "
                   "“/”, “\\” or a leading “.”",
                   MAX_RUN_ID_LENGTH);
      return FALSE;
    }
  if (!read_u32 (c, &pid, "pid") || !read_svarint (c, &start_time, "start time")
      || !read_str_dup (c, &cwd, "cwd") || !read_str_dup (c, &description, "description")
      || !read_count (c, &argc, MIN_ARG, "argc"))
    return FALSE;

  argv = g_ptr_array_new_full (argc + 1, g_free);
  for (guint32 i = 0; i < argc; i++)
    {
      char *arg;

      c->item = "argument";
      c->index = i;
      if (!read_str_dup (c, &arg, "text"))
        return FALSE;
      g_ptr_array_add (argv, arg);
    }
  g_ptr_array_add (argv, NULL);
  if (!cursor_finish (c))
    return FALSE;

  run = smiley_run_new (run_id);
  smiley_run_set_pid (run, pid);
  smiley_run_set_start_time (run, start_time);
  smiley_run_set_cwd (run, cwd);
  smiley_run_set_description (run, description);
  smiley_run_set_argv (run, (const char *const *)argv->pdata);

  self->run = g_steal_pointer (&run);
  self->n_strings = smiley_run_get_n_strings (self->run);
  self->n_threads = smiley_run_get_n_threads (self->run);
  self->state = READER_IN_RUN;
  return TRUE;
}

static gboolean
reader_decode_strings (SmileyFrameReader *self, Cursor *c)
{
  guint32 count;

  if (!read_count (c, &count, MIN_STRING_ENTRY, "string count"))
    return FALSE;

  for (guint32 i = 0; i < count; i++)
    {
      g_autofree char *text = NULL;
      guint32          id;

      c->item = "string";
      c->index = i;
      if (!read_u32 (c, &id, "id"))
        return FALSE;
      if (id != self->n_strings)
        {
          cursor_fail (
              c, "string id %u is not the next free id %u (ids are dense and never redefined)", id,
              self->n_strings);
          return FALSE;
        }
      if (!read_str_dup (c, &text, "text"))
        return FALSE;
      /* The id was checked above, so this cannot fail. */
      if (!smiley_run_set_string (self->run, id, text, NULL))
        g_assert_not_reached ();
      self->n_strings++;
    }
  return cursor_finish (c);
}

static gboolean
reader_decode_threads (SmileyFrameReader *self, Cursor *c)
{
  guint32 count;

  if (!read_count (c, &count, MIN_THREAD_ENTRY, "thread count"))
    return FALSE;

  for (guint32 i = 0; i < count; i++)
    {
      g_autofree char *name = NULL;
      guint32          id, pid;
      guint64          native_id;

      c->item = "thread";
      c->index = i;
      if (!read_u32 (c, &id, "id"))
        return FALSE;
      /* Dense ids also keep a hostile id from sizing the thread table. */
      if (id == 0 || id > self->n_threads + 1)
        {
          cursor_fail (c, "thread id %u is neither a known thread nor the next free id %u", id,
                       self->n_threads + 1);
          return FALSE;
        }
      if (!read_u32 (c, &pid, "pid") || !read_varint (c, &native_id, "native id")
          || !read_str_dup (c, &name, "name"))
        return FALSE;
      smiley_run_set_thread (self->run, id, pid, native_id, name);
      self->n_threads = MAX (self->n_threads, id);
    }
  return cursor_finish (c);
}

static gboolean
reader_decode_source (SmileyFrameReader *self, Cursor *c)
{
  g_autoptr (GBytes) bytes = NULL;
  const guint8 *data;
  gsize         len;
  guint32       file;

  if (!read_string_id (c, self->n_strings, &file, "file") || !read_bytes (c, &data, &len, "content")
      || !cursor_finish (c))
    return FALSE;

  bytes = g_bytes_new (data, len);
  smiley_run_add_source (self->run, file, bytes);
  return TRUE;
}

/* Remembers that events are in @file; a file not seen before in the run
 * is added to the files reported with the passed frames. */
static void
reader_note_file (SmileyFrameReader *self, guint32 file)
{
  self->last_file = file;
  if (file >= self->files_seen_alloc)
    {
      gsize alloc = MAX (MAX ((gsize)file + 1, 2 * self->files_seen_alloc), 1024);

      self->files_seen = g_realloc (self->files_seen, alloc);
      memset (self->files_seen + self->files_seen_alloc, 0, alloc - self->files_seen_alloc);
      self->files_seen_alloc = alloc;
    }
  if (self->files_seen[file])
    return;
  self->files_seen[file] = TRUE;
  g_array_append_val (self->new_files, file);
}

/* Walks an EVENTS frame, checking every field and noting the files the
 * events are in. With a @batch, its events are decoded into it; without
 * (pass-through, see smiley_frame_reader_set_pass_events()), nothing is
 * copied. Inlined into both callers so that
 * each loop is compiled without the other's work. */
G_ALWAYS_INLINE static inline gboolean
reader_walk_events (SmileyFrameReader *self, Cursor *c, SmileyBatch *batch, guint32 *n_events)
{
  guint32 count;
  guint32 n_strings = self->n_strings;
  guint32 n_threads = self->n_threads;

  if (!read_count (c, &count, MIN_EVENT, "event count"))
    return FALSE;
  *n_events = count;

  c->item = "event";
  for (guint32 i = 0; i < count; i++)
    {
      SmileyEvent   event;
      const guint8 *data;
      gsize         len;
      guint64       v;
      guint8        kind;

      c->index = i;
      if (G_UNLIKELY (c->p >= c->end))
        {
          cursor_fail (c, "the frame ends before the event");
          return FALSE;
        }
      kind = *c->p++;
      if (G_UNLIKELY (kind < SMILEY_EVENT_CALL || kind > SMILEY_EVENT_KIND_LAST))
        {
          cursor_fail (c, "unknown event kind %u", kind);
          return FALSE;
        }
      event.kind = kind;

      if (!read_varint (c, &v, "thread"))
        return FALSE;
      if (G_UNLIKELY (v == 0 || v > n_threads))
        {
          cursor_fail (c, "thread %" G_GUINT64_FORMAT " not defined (the run has %u threads)", v,
                       n_threads);
          return FALSE;
        }
      event.thread = (guint32)v;

      if (!read_varint (c, &event.call_id, "call id")
          || !read_varint (c, &event.parent_call_id, "parent call id")
          || !read_u32 (c, &event.depth, "depth") || !read_varint (c, &v, "time"))
        return FALSE;
      event.time_ns = (gint64)v;

      if (!read_string_id (c, n_strings, &event.file, "file") || !read_u32 (c, &event.line, "line")
          || !read_string_id (c, n_strings, &event.function, "function"))
        return FALSE;
      if (event.file != self->last_file)
        reader_note_file (self, event.file);

      event.arg = NULL;
      if (batch != NULL ? !read_ostr_into (c, batch, &event.arg, "arg")
                        : !read_ostr (c, &data, &len, "arg"))
        return FALSE;

      if (!read_count (c, &event.n_locals, MIN_LOCAL, "number of locals"))
        return FALSE;
      event.locals = NULL;
      if (batch == NULL)
        {
          for (guint32 l = 0; l < event.n_locals; l++)
            {
              guint32 name;

              if (!read_string_id (c, n_strings, &name, "local name")
                  || !read_ostr (c, &data, &len, "local value"))
                return FALSE;
            }
          continue;
        }
      if (event.n_locals > 0)
        {
          /* Bounded by read_count(): at most half the payload. */
          SmileyLocal *locals = smiley_batch_alloc_locals (batch, event.n_locals);

          for (guint32 l = 0; l < event.n_locals; l++)
            {
              if (!read_string_id (c, n_strings, &locals[l].name, "local name")
                  || !read_ostr_into (c, batch, &locals[l].value, "local value"))
                return FALSE;
            }
          event.locals = locals;
        }

      smiley_batch_append (batch, &event);
    }
  return cursor_finish (c);
}

static gboolean
reader_decode_events (SmileyFrameReader *self, Cursor *c, SmileyBatch *batch, guint32 *n_events)
{
  return reader_walk_events (self, c, batch, n_events);
}

static gboolean
reader_check_events (SmileyFrameReader *self, Cursor *c, guint32 *n_events)
{
  return reader_walk_events (self, c, NULL, n_events);
}

/* Peeks at an EVENTS frame's event count; 0 if it does not decode (the
 * real decoding reports why). */
static guint64
events_frame_count (const guint8 *payload, gsize len)
{
  Cursor  c = { payload, payload + len, 0, SMILEY_WIRE_EVENTS, NULL, 0, NULL };
  guint64 count = 0;

  if (!read_varint (&c, &count, "event count"))
    return 0;
  return count;
}

typedef struct
{
  guint             callee;
  SmileyStatsCaller caller;
} PendingCaller;

static gboolean
reader_decode_stats (SmileyFrameReader *self, Cursor *c)
{
  g_autoptr (SmileyStats) stats = smiley_stats_new ();
  g_autoptr (GArray) callers = g_array_new (FALSE, FALSE, sizeof (PendingCaller));
  g_autofree guint *merged_into = NULL;
  guint32           n_entries;

  if (!read_count (c, &n_entries, MIN_STATS_ENTRY, "entry count"))
    return FALSE;
  /* Where each entry of the frame went in @stats: two entries with the
   * same file, line and function (two lambdas or comprehensions on one
   * line) are one function to pstats, which sums them, and so does this. */
  merged_into = g_new (guint, MAX (n_entries, 1));

  for (guint32 i = 0; i < n_entries; i++)
    {
      g_autofree char  *file = NULL;
      g_autofree char  *function = NULL;
      SmileyStatsEntry *entry;
      guint32           line, n_callers;
      guint64           ncalls, primcalls;
      gint64            tottime, cumtime;

      c->item = "entry";
      c->index = i;
      if (!read_str_dup (c, &file, "file") || !read_u32 (c, &line, "line")
          || !read_str_dup (c, &function, "function") || !read_varint (c, &ncalls, "ncalls")
          || !read_varint (c, &primcalls, "primcalls") || !read_svarint (c, &tottime, "tottime")
          || !read_svarint (c, &cumtime, "cumtime")
          || !read_count (c, &n_callers, MIN_STATS_CALLER, "caller count"))
        return FALSE;

      merged_into[i] = smiley_stats_add_entry (stats, file, line, function);
      entry = smiley_stats_get_entry (stats, merged_into[i]);
      /* Unsigned and two's complement sums wrap rather than trap, so
       * hostile counters cannot do harm here. */
      entry->ncalls += ncalls;
      entry->primcalls += primcalls;
      entry->tottime_ns = (gint64)((guint64)entry->tottime_ns + (guint64)tottime);
      entry->cumtime_ns = (gint64)((guint64)entry->cumtime_ns + (guint64)cumtime);

      for (guint32 k = 0; k < n_callers; k++)
        {
          PendingCaller pending = { i,
                                    {
                                        0,
                                    } };
          guint32       caller;

          if (!read_u32 (c, &caller, "caller index"))
            return FALSE;
          if (caller >= n_entries)
            {
              cursor_fail (c, "caller index %u is not below the entry count %u", caller, n_entries);
              return FALSE;
            }
          pending.caller.caller = caller;
          if (!read_varint (c, &pending.caller.ncalls, "caller ncalls")
              || !read_varint (c, &pending.caller.primcalls, "caller primcalls")
              || !read_svarint (c, &pending.caller.tottime_ns, "caller tottime")
              || !read_svarint (c, &pending.caller.cumtime_ns, "caller cumtime"))
            return FALSE;
          g_array_append_val (callers, pending);
        }
    }
  if (!cursor_finish (c))
    return FALSE;

  /* Callers may name entries that come later in the frame, so they are
   * added once every entry exists, through the same merging. */
  for (guint i = 0; i < callers->len; i++)
    {
      PendingCaller *pending = &g_array_index (callers, PendingCaller, i);

      pending->caller.caller = merged_into[pending->caller.caller];
      smiley_stats_add_caller (stats, merged_into[pending->callee], &pending->caller);
    }
  smiley_run_set_stats (self->run, stats);
  return TRUE;
}

static gboolean
reader_decode_run_end (SmileyFrameReader *self, Cursor *c)
{
  g_autofree char *error = NULL;
  g_autofree char *traceback = NULL;
  gint64           end_time;
  guint64          state, signum, events_emitted;
  int              exit_status;

  if (!read_svarint (c, &end_time, "end time") || !read_varint (c, &state, "state"))
    return FALSE;
  if (state > SMILEY_RUN_ABNORMAL)
    {
      cursor_fail (c, "unknown run state %" G_GUINT64_FORMAT, state);
      return FALSE;
    }
  if (!read_int (c, &exit_status, "exit status") || !read_varint (c, &signum, "signal"))
    return FALSE;
  if (signum > G_MAXINT)
    {
      cursor_fail (c, "signal %" G_GUINT64_FORMAT " is out of range", signum);
      return FALSE;
    }
  if (!read_ostr_dup (c, &error, "error") || !read_ostr_dup (c, &traceback, "traceback")
      || !read_varint (c, &events_emitted, "events emitted") || !cursor_finish (c))
    return FALSE;

  smiley_run_set_end_time (self->run, end_time);
  smiley_run_set_state (self->run, (SmileyRunState)state);
  smiley_run_set_exit_status (self->run, exit_status);
  smiley_run_set_signal (self->run, (int)signum);
  smiley_run_set_error (self->run, error);
  smiley_run_set_traceback (self->run, traceback);
  smiley_run_set_events_emitted (self->run, events_emitted);
  self->state = READER_ENDED;
  return TRUE;
}

/* A batch to decode into: the one reported last if nobody else holds it
 * any more, else a new one. */
static SmileyBatch *
reader_new_batch (SmileyFrameReader *self)
{
  if (self->reported != NULL && smiley_batch_is_unshared (self->reported))
    {
      smiley_batch_clear (self->reported);
      return g_steal_pointer (&self->reported);
    }
  return smiley_batch_new ();
}

/* Hands the pending events that came from intact frames to the caller. */
static SmileyBatch *
reader_take_pending (SmileyFrameReader *self)
{
  g_autoptr (SmileyBatch) pending = g_steal_pointer (&self->pending);
  guint        committed = self->pending_committed;
  SmileyBatch *batch;

  self->pending_committed = 0;
  if (pending == NULL || committed == smiley_batch_get_length (pending))
    return g_steal_pointer (&pending);

  /* Only on the error path: part of a broken frame's events was added
   * after the intact ones. */
  batch = smiley_batch_new ();
  for (guint i = 0; i < committed; i++)
    smiley_batch_add (batch, smiley_batch_get_event (pending, i));
  return batch;
}

/* Reports a batch through the out arguments of next(). */
static gboolean
reader_report_batch (SmileyFrameReader *self, SmileyFrameMessage *message, SmileyBatch **batch)
{
  g_autoptr (SmileyBatch) taken = reader_take_pending (self);

  g_clear_pointer (&self->reported, smiley_batch_unref);
  self->reported = smiley_batch_ref (taken);

  *message = SMILEY_FRAME_BATCH;
  if (batch != NULL)
    *batch = g_steal_pointer (&taken);
  return TRUE;
}

/* Reports the EVENTS frames passed through since the last report. */
static gboolean
reader_report_span (SmileyFrameReader *self, SmileyFrameMessage *message)
{
  self->passed_start = self->span_start;
  self->passed_len = self->span_len;
  self->passed_events = self->span_events;
  self->span_len = 0;
  self->span_events = 0;
  *message = SMILEY_FRAME_ENCODED_EVENTS;
  return TRUE;
}

/**
 * smiley_frame_reader_next:
 * @self: a reader
 * @message: (out): what was decoded
 * @batch: (out) (optional) (transfer full): the events when @message is
 *   %SMILEY_FRAME_BATCH, else %NULL
 * @error: a %SMILEY_FRAME_ERROR
 *
 * Decodes at most one message from the buffered bytes. STRINGS, THREADS,
 * SOURCE and STATS frames on the way update the run without being
 * reported. Call it until it returns %SMILEY_FRAME_NEED_MORE, then feed
 * more bytes.
 *
 * When a frame is invalid, events of earlier intact frames that were
 * merged but not reported yet come first as a batch; the error follows on
 * the next call. After an error the reader stays failed and returns the
 * same error again.
 *
 * Returns: %FALSE with @error set if the stream is invalid
 */
gboolean
smiley_frame_reader_next (SmileyFrameReader *self, SmileyFrameMessage *message, SmileyBatch **batch,
                          GError **error)
{
  GError *local_error = NULL;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (message != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  *message = SMILEY_FRAME_NEED_MORE;
  if (batch != NULL)
    *batch = NULL;
  reader_forget_passed (self);

  while (self->state != READER_FAILED)
    {
      const guint8 *frame;
      gsize         avail = self->len - self->pos;
      guint32       size;
      guint         type;
      Cursor        c;
      gboolean      ok = FALSE;

      if (self->state == READER_HEADER)
        {
          if (!reader_check_header (self, &local_error))
            {
              reader_fail (self, local_error);
              break;
            }
          if (self->state == READER_HEADER)
            return TRUE;
          continue;
        }

      if (avail == 0)
        break;
      if (self->state == READER_ENDED)
        {
          reader_fail (self, g_error_new (SMILEY_FRAME_ERROR, SMILEY_FRAME_ERROR_INVALID,
                                          "frame at offset %" G_GUINT64_FORMAT
                                          ": data after RUN_END, which ends the stream",
                                          self->base_offset + self->pos));
          break;
        }
      if (avail < SMILEY_WIRE_FRAME_HEADER_SIZE)
        break;
      /* The header alone says whether the frame is acceptable, so an
       * oversized or misplaced frame fails before its payload arrives. */
      if (!reader_check_frame_header (self, &size, &type, &local_error))
        {
          reader_fail (self, local_error);
          break;
        }
      if (avail < size)
        break;

      frame = self->data + self->pos;
      c.p = frame + SMILEY_WIRE_FRAME_HEADER_SIZE;
      c.end = frame + size;
      c.offset = self->base_offset + self->pos;
      c.type = type;
      c.item = NULL;
      c.index = 0;
      c.error = &local_error;

      /* Passed frames are handed out as one run of bytes, so anything
       * else ends them. */
      if (self->span_len > 0 && type != SMILEY_WIRE_EVENTS)
        {
          if (self->span_events > 0)
            return reader_report_span (self, message);
          self->span_len = 0;
        }

      switch (type)
        {
        case SMILEY_WIRE_RUN_BEGIN:
          ok = reader_decode_run_begin (self, &c);
          break;
        case SMILEY_WIRE_STRINGS:
          ok = reader_decode_strings (self, &c);
          break;
        case SMILEY_WIRE_THREADS:
          ok = reader_decode_threads (self, &c);
          break;
        case SMILEY_WIRE_SOURCE:
          ok = reader_decode_source (self, &c);
          break;
        case SMILEY_WIRE_STATS:
          ok = reader_decode_stats (self, &c);
          break;
        case SMILEY_WIRE_EVENTS:
          {
            /* Events waiting to be reported: passed frames or a batch. */
            guint   waiting = self->pass_events ? self->span_events : self->pending_committed;
            guint32 n_events;
            guint   n_new_files;

            if (self->max_batch > 0 && waiting > 0
                && waiting + events_frame_count (c.p, c.end - c.p) > self->max_batch)
              return self->pass_events ? reader_report_span (self, message)
                                       : reader_report_batch (self, message, batch);
            if (waiting == 0)
              {
                g_array_set_size (self->new_files, 0);
                if (self->pass_events)
                  self->span_start = self->pos;
                else if (self->pending == NULL)
                  self->pending = reader_new_batch (self);
              }
            n_new_files = self->new_files->len;
            ok = self->pass_events ? reader_check_events (self, &c, &n_events)
                                   : reader_decode_events (self, &c, self->pending, &n_events);
            if (!ok)
              /* What is reported before the error has none of this
               * frame's events, so none of their files either. */
              g_array_set_size (self->new_files, n_new_files);
            else if (self->pass_events)
              {
                self->span_len += size;
                self->span_events += n_events;
              }
            else
              self->pending_committed += n_events;
          }
          break;
        case SMILEY_WIRE_RUN_END:
          /* Merged events belong before the end. */
          if (self->pending != NULL)
            return reader_report_batch (self, message, batch);
          ok = reader_decode_run_end (self, &c);
          break;
        default:
          g_assert_not_reached ();
        }

      if (!ok)
        {
          reader_fail (self, local_error);
          break;
        }
      self->pos += size;

      switch (type)
        {
        case SMILEY_WIRE_RUN_BEGIN:
          *message = SMILEY_FRAME_RUN_BEGIN;
          return TRUE;
        case SMILEY_WIRE_RUN_END:
          *message = SMILEY_FRAME_RUN_END;
          return TRUE;
        case SMILEY_WIRE_EVENTS:
          if (self->pass_events)
            {
              if (self->span_events > 0
                  && (self->max_batch == 0 || self->span_events >= self->max_batch))
                return reader_report_span (self, message);
              break;
            }
          if (self->pending_committed == 0)
            {
              /* An empty frame says nothing; keep decoding. */
              g_clear_pointer (&self->pending, smiley_batch_unref);
              break;
            }
          if (self->max_batch == 0 || self->pending_committed >= self->max_batch)
            return reader_report_batch (self, message, batch);
          break;
        default:
          break;
        }
    }

  /* Out of complete frames, or failed: events merged so far go first. */
  if (self->span_events > 0)
    return reader_report_span (self, message);
  self->span_len = 0;
  if (self->pending != NULL && self->pending_committed > 0)
    return reader_report_batch (self, message, batch);
  g_clear_pointer (&self->pending, smiley_batch_unref);
  self->pending_committed = 0;

  if (self->state == READER_FAILED)
    {
      g_propagate_error (error, g_error_copy (self->error));
      return FALSE;
    }
  return TRUE;
}

/**
 * smiley_frame_reader_finish:
 * @self: a reader
 * @error: a %SMILEY_FRAME_ERROR
 *
 * Tells the reader that no more bytes will come. A stream that stops
 * between frames is not an error here, even without RUN_END (a producer
 * that was killed leaves exactly that; the run then stays
 * %SMILEY_RUN_RUNNING and the caller decides what it means). Bytes of an
 * incomplete header or frame are.
 *
 * Returns: %FALSE with %SMILEY_FRAME_ERROR_TRUNCATED if the stream ended
 *   inside its header or a frame, or with the reader's earlier error
 */
gboolean
smiley_frame_reader_finish (SmileyFrameReader *self, GError **error)
{
  gsize at, avail;

  g_return_val_if_fail (self != NULL, FALSE);

  if (self->state == READER_FAILED)
    {
      g_propagate_error (error, g_error_copy (self->error));
      return FALSE;
    }

  avail = self->len - self->pos;
  if (self->state == READER_HEADER)
    {
      if (avail == 0)
        return TRUE;
      g_set_error (error, SMILEY_FRAME_ERROR, SMILEY_FRAME_ERROR_TRUNCATED,
                   "the stream ended after %" G_GSIZE_FORMAT " bytes, inside its %d-byte header",
                   avail, SMILEY_WIRE_STREAM_HEADER_SIZE);
      return FALSE;
    }

  if (self->state == READER_ENDED && avail > 0)
    {
      g_set_error (error, SMILEY_FRAME_ERROR, SMILEY_FRAME_ERROR_INVALID,
                   "frame at offset %" G_GUINT64_FORMAT
                   ": data after RUN_END, which ends the stream",
                   self->base_offset + self->pos);
      return FALSE;
    }

  /* Skip whole frames the caller did not drain; only a partial one at the
   * end counts. */
  at = self->pos;
  while (self->len - at >= SMILEY_WIRE_FRAME_HEADER_SIZE)
    {
      guint32 size = smiley_wire_get_u32 (self->data + at);

      if (size < SMILEY_WIRE_FRAME_HEADER_SIZE || size > self->len - at)
        break;
      at += size;
    }
  avail = self->len - at;
  if (avail == 0)
    return TRUE;
  if (avail < SMILEY_WIRE_FRAME_HEADER_SIZE)
    g_set_error (error, SMILEY_FRAME_ERROR, SMILEY_FRAME_ERROR_TRUNCATED,
                 "the stream ended inside the header of the frame at offset %" G_GUINT64_FORMAT
                 " (%" G_GSIZE_FORMAT " of %d bytes)",
                 self->base_offset + at, avail, SMILEY_WIRE_FRAME_HEADER_SIZE);
  else
    g_set_error (error, SMILEY_FRAME_ERROR, SMILEY_FRAME_ERROR_TRUNCATED,
                 "the stream ended inside the frame at offset %" G_GUINT64_FORMAT
                 " (%s, %" G_GSIZE_FORMAT " of %u bytes)",
                 self->base_offset + at, frame_type_name (self->data[at + 4]), avail,
                 smiley_wire_get_u32 (self->data + at));
  return FALSE;
}

/**
 * smiley_frame_reader_get_run:
 * @self: a reader
 *
 * Returns: (transfer none) (nullable): the run, from RUN_BEGIN on; its
 *   tables grow and its end data is set as the stream goes
 */
SmileyRun *
smiley_frame_reader_get_run (SmileyFrameReader *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->run;
}

/**
 * smiley_frame_reader_get_buffered:
 * @self: a reader
 *
 * Returns: how many fed bytes are not decoded yet
 */
gsize
smiley_frame_reader_get_buffered (SmileyFrameReader *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->len - self->pos;
}
