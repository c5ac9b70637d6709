/* smiley-frame-writer.c: encodes a run into the smiley frame format
 *
 * SPDX-License-Identifier: Apache-2.0
 *
 * Every frame is built in place at the end of one GByteArray: space for the
 * largest possible encoding of the next item is reserved, the item is
 * written with the inline encoders of smiley-wire.h (the same ones the
 * tracer's extension uses without GLib), and the array is cut back to what
 * was really written. Nothing is allocated per field or per event once the
 * array has grown to its working size.
 */
#include "smiley-build-config.h"

#include "smiley.h"
#include "smiley-wire.h"

/* Merged EVENTS frames (smiley_frame_writer_push_encoded()) stay about
 * this small, so that a reader never holds a large one whole. */
#define MERGED_FRAME_MAX (1024 * 1024)

/* Batches are cut into EVENTS frames of about this size, so a reader
 * never has to buffer much more than this to make progress, whatever size
 * of batch a producer pushes. The same holds for STRINGS and THREADS. */
#define FRAME_TARGET_SIZE (4u * 1024u * 1024u)

/* Payload room of the largest frame the format allows. */
#define FRAME_PAYLOAD_MAX (SMILEY_WIRE_MAX_FRAME_SIZE - SMILEY_WIRE_FRAME_HEADER_SIZE)

/* A name, thread name or argument longer than this is cut (at a character
 * boundary), so that any single entry fits in a frame. Real names are far
 * shorter; the cap only keeps a pathological run encodable. */
#define STRING_CAP (16u * 1024u * 1024u)

/* Most room an item count can take: a batch never holds more than
 * G_MAXUINT events, and G_MAXUINT takes five LEB128 bytes. */
#define COUNT_SLOT 5

typedef struct
{
  gboolean sent;
  guint32  pid;
  guint64  native_id;
  char    *name;
} SentThread;

struct _SmileyFrameWriter
{
  GByteArray *out;
  gboolean    in_run;
  /* What the reader already knows about the current run. */
  guint32 strings_sent; /* ids below this were sent; id 0 is implicit */
  GArray *threads_sent; /* SentThread, index = thread id - 1 */
  guint   sources_sent;
  /* Lengths of the strings of the event being encoded, reused. */
  gsize *lengths;
  gsize  lengths_alloc;
};

static void
sent_thread_clear (gpointer data)
{
  SentThread *thread = data;

  g_clear_pointer (&thread->name, g_free);
}

/**
 * smiley_frame_writer_new:
 *
 * Returns: (transfer full): a writer with nothing pending
 */
SmileyFrameWriter *
smiley_frame_writer_new (void)
{
  SmileyFrameWriter *self = g_new0 (SmileyFrameWriter, 1);

  self->out = g_byte_array_sized_new (64 * 1024);
  self->threads_sent = g_array_new (FALSE, TRUE, sizeof (SentThread));
  g_array_set_clear_func (self->threads_sent, sent_thread_clear);
  return self;
}

/**
 * smiley_frame_writer_free:
 * @self: (transfer full): a writer
 *
 * Frees the writer and any bytes not taken yet.
 */
void
smiley_frame_writer_free (SmileyFrameWriter *self)
{
  if (self == NULL)
    return;
  g_byte_array_unref (self->out);
  g_array_unref (self->threads_sent);
  g_free (self->lengths);
  g_free (self);
}

/* Makes room for @n more bytes and returns where they start. The pointer
 * is only valid until the next reservation. */
static inline guint8 *
writer_reserve (SmileyFrameWriter *self, gsize n)
{
  gsize len = self->out->len;

  g_byte_array_set_size (self->out, len + n);
  return self->out->data + len;
}

/* Gives back the reserved bytes after @end. Shrinking through
 * g_byte_array_set_size() goes through g_array_remove_range(), which is
 * measurably slower on this per-event path than lowering the public length
 * field; the capacity stays for the next reservation either way. */
static inline void
writer_commit (SmileyFrameWriter *self, const guint8 *end)
{
  self->out->len = end - self->out->data;
}

/* Starts a frame; returns its offset, for writer_end_frame(). */
static inline gsize
writer_begin_frame (SmileyFrameWriter *self)
{
  gsize start = self->out->len;

  writer_reserve (self, SMILEY_WIRE_FRAME_HEADER_SIZE);
  return start;
}

/* Fills in the header of the frame started at @start. A frame that came
 * out larger than the format allows is dropped (with a warning) rather
 * than emitted, so the stream stays readable; the callers keep every
 * frame well below the limit, so this only guards against bugs. */
static gboolean
writer_end_frame (SmileyFrameWriter *self, gsize start, SmileyWireFrameType type)
{
  gsize size = self->out->len - start;

  if (size > SMILEY_WIRE_MAX_FRAME_SIZE)
    {
      g_warning ("smiley frame writer: dropping a frame of type %d and %" G_GSIZE_FORMAT
                 " bytes, larger than the format's limit of %u bytes",
                 type, size, SMILEY_WIRE_MAX_FRAME_SIZE);
      g_byte_array_set_size (self->out, start);
      return FALSE;
    }
  smiley_wire_put_frame_header (self->out->data + start, (guint32)size, type);
  return TRUE;
}

/* Starts a frame whose item count is only known once it is full: room is
 * reserved for the count of @most items, the most it can hold. Returns the
 * offset of that room. */
static gsize
writer_begin_counted_frame (SmileyFrameWriter *self, guint64 most, gsize *start)
{
  gsize count_at;

  *start = writer_begin_frame (self);
  count_at = self->out->len;
  writer_reserve (self, smiley_wire_varint_size (most));
  return count_at;
}

/* Writes the count into the room reserved at @count_at for @most items.
 * Only when fewer items went in and their count is shorter (a batch cut
 * into several frames, some threads unchanged) is the payload moved down
 * over the unused bytes. */
static void
writer_end_counted_frame (SmileyFrameWriter *self, gsize start, gsize count_at, guint64 most,
                          guint count, SmileyWireFrameType type)
{
  gsize   slot = smiley_wire_varint_size (most);
  gsize   used = smiley_wire_varint_size (count);
  guint8 *p = self->out->data + count_at;

  if (used < slot)
    {
      memmove (p + used, p + slot, self->out->len - count_at - slot);
      self->out->len -= slot - used;
    }
  smiley_wire_put_varint (p, count);
  writer_end_frame (self, start, type);
}

/* How many bytes of @text (of @len bytes) to keep under @cap, cutting at a
 * character boundary so the result stays valid UTF-8. */
static gsize
bounded_length (const char *text, gsize len, gsize cap)
{
  const char *cut;

  if (len <= cap)
    return len;
  cut = text + cap;
  /* Back up over continuation bytes to the start of the cut character. */
  while (cut > text && ((guchar)*cut & 0xc0) == 0x80)
    cut--;
  return cut - text;
}

/* Writes a str of at most STRING_CAP bytes. Needs 10 + STRING_CAP room. */
static inline guint8 *
put_str (guint8 *p, const char *text, gsize len)
{
  return smiley_wire_put_bytes (p, text, bounded_length (text, len, STRING_CAP));
}

static inline gsize
str_room (gsize len)
{
  return SMILEY_WIRE_MAX_VARINT + MIN (len, STRING_CAP);
}

/**
 * smiley_frame_writer_begin_run:
 * @self: a writer
 * @run: the run that starts
 *
 * Appends the stream header and the RUN_BEGIN frame with @run's id,
 * process, start time, working directory, description and command line.
 * Whatever the writer knew of an earlier run is forgotten, so one writer
 * can encode several runs, each as its own stream.
 */
void
smiley_frame_writer_begin_run (SmileyFrameWriter *self, SmileyRun *run)
{
  const char *const *argv;
  const char        *id, *cwd, *description;
  gsize              id_len, cwd_len, description_len, argc = 0, room;
  gsize              start;
  guint8            *p;

  g_return_if_fail (self != NULL);
  g_return_if_fail (SMILEY_IS_RUN (run));

  self->in_run = TRUE;
  self->strings_sent = 1;
  g_array_set_size (self->threads_sent, 0);
  self->sources_sent = 0;

  p = writer_reserve (self, SMILEY_WIRE_STREAM_HEADER_SIZE);
  smiley_wire_put_stream_header (p);

  id = smiley_run_get_id (run);
  cwd = smiley_run_get_cwd (run);
  description = smiley_run_get_description (run);
  argv = smiley_run_get_argv (run);
  /* The wire has no NULL for these: an unknown cwd or description is "". */
  if (cwd == NULL)
    cwd = "";
  if (description == NULL)
    description = "";
  id_len = strlen (id);
  cwd_len = strlen (cwd);
  description_len = strlen (description);

  room = 4 * SMILEY_WIRE_MAX_VARINT + str_room (id_len) + str_room (cwd_len)
         + str_room (description_len);
  if (argv != NULL)
    for (; argv[argc] != NULL; argc++)
      room += str_room (strlen (argv[argc]));

  start = writer_begin_frame (self);
  p = writer_reserve (self, room);
  p = put_str (p, id, id_len);
  p = smiley_wire_put_varint (p, smiley_run_get_pid (run));
  p = smiley_wire_put_svarint (p, smiley_run_get_start_time (run));
  p = put_str (p, cwd, cwd_len);
  p = put_str (p, description, description_len);
  p = smiley_wire_put_varint (p, argc);
  for (gsize i = 0; i < argc; i++)
    p = put_str (p, argv[i], strlen (argv[i]));
  writer_commit (self, p);
  writer_end_frame (self, start, SMILEY_WIRE_RUN_BEGIN);
}

/* STRINGS frames for the ids the reader does not know yet. */
static void
writer_put_strings (SmileyFrameWriter *self, SmileyRun *run)
{
  guint32 n_strings = smiley_run_get_n_strings (run);

  while (self->strings_sent < n_strings)
    {
      gsize   start = writer_begin_frame (self);
      guint32 first = self->strings_sent;
      guint32 id = first;
      gsize   payload = 0;
      guint8 *p;

      /* The count is known up front: take every string that keeps the
       * frame near its target size (and at least one). */
      while (id < n_strings)
        {
          gsize need = SMILEY_WIRE_MAX_VARINT + str_room (strlen (smiley_run_get_string (run, id)));

          if (id > first && payload + need > FRAME_TARGET_SIZE)
            break;
          payload += need;
          id++;
        }

      p = writer_reserve (self, SMILEY_WIRE_MAX_VARINT);
      p = smiley_wire_put_varint (p, id - first);
      writer_commit (self, p);

      for (guint32 i = first; i < id; i++)
        {
          const char *text = smiley_run_get_string (run, i);
          gsize       len = strlen (text);

          p = writer_reserve (self, SMILEY_WIRE_MAX_VARINT + str_room (len));
          p = smiley_wire_put_varint (p, i);
          p = put_str (p, text, len);
          writer_commit (self, p);
        }
      writer_end_frame (self, start, SMILEY_WIRE_STRINGS);
      self->strings_sent = id;
    }
}

static gboolean
thread_changed (const SentThread *sent, const SmileyThread *thread)
{
  return !sent->sent || sent->pid != thread->pid || sent->native_id != thread->native_id
         || g_strcmp0 (sent->name, thread->name) != 0;
}

/* THREADS frames for new threads and those whose name or ids changed. */
static void
writer_put_threads (SmileyFrameWriter *self, SmileyRun *run)
{
  guint32 n_threads = smiley_run_get_n_threads (run);
  guint32 id = 1;

  if (self->threads_sent->len < n_threads)
    g_array_set_size (self->threads_sent, n_threads);

  while (id <= n_threads)
    {
      gsize   start = 0, payload = 0, count_at = 0;
      guint64 most = 0;
      guint   count = 0;
      guint8 *p;

      for (; id <= n_threads; id++)
        {
          const SmileyThread *thread = smiley_run_get_thread (run, id);
          SentThread         *sent = &g_array_index (self->threads_sent, SentThread, id - 1);
          SmileyThread        placeholder = { id, 0, 0, (char *)"" };
          gsize               name_len, need;

          /* Thread ids on the wire are dense; a gap the run left (a later
           * id was set first) goes out as a nameless thread, so the
           * stream stays one any reader accepts. */
          if (thread == NULL)
            thread = &placeholder;
          if (!thread_changed (sent, thread))
            continue;

          name_len = thread->name != NULL ? strlen (thread->name) : 0;
          need = 3 * SMILEY_WIRE_MAX_VARINT + str_room (name_len);
          if (count > 0 && payload + need > FRAME_TARGET_SIZE)
            break;

          if (count == 0)
            {
              most = n_threads - id + 1;
              count_at = writer_begin_counted_frame (self, most, &start);
            }
          p = writer_reserve (self, need);
          p = smiley_wire_put_varint (p, id);
          p = smiley_wire_put_varint (p, thread->pid);
          p = smiley_wire_put_varint (p, thread->native_id);
          p = put_str (p, thread->name != NULL ? thread->name : "", name_len);
          writer_commit (self, p);
          payload += need;
          count++;

          sent->sent = TRUE;
          sent->pid = thread->pid;
          sent->native_id = thread->native_id;
          g_free (sent->name);
          sent->name = g_strdup (thread->name);
        }

      if (count == 0)
        break;

      writer_end_counted_frame (self, start, count_at, most, count, SMILEY_WIRE_THREADS);
    }
}

/* A SOURCE frame for every source added since the last push. */
static void
writer_put_sources (SmileyFrameWriter *self, SmileyRun *run)
{
  guint n_sources = smiley_run_get_n_sources (run);

  for (; self->sources_sent < n_sources; self->sources_sent++)
    {
      guint32       file;
      GBytes       *content = smiley_run_get_source (run, self->sources_sent, &file);
      gsize         size;
      const guint8 *data = g_bytes_get_data (content, &size);
      gsize         start;
      guint8       *p;

      if (size > FRAME_PAYLOAD_MAX - 2 * SMILEY_WIRE_MAX_VARINT)
        {
          /* A source is only there for display; better to go without it
           * than to emit a frame no reader accepts. */
          g_warning ("smiley frame writer: not sending the source of “%s”: "
                     "%" G_GSIZE_FORMAT " bytes is more than a frame can hold",
                     smiley_run_get_string (run, file), size);
          continue;
        }
      start = writer_begin_frame (self);
      p = writer_reserve (self, 2 * SMILEY_WIRE_MAX_VARINT + size);
      p = smiley_wire_put_varint (p, file);
      p = smiley_wire_put_bytes (p, data, size);
      writer_commit (self, p);
      writer_end_frame (self, start, SMILEY_WIRE_SOURCE);
    }
}

/* Per-value byte cap for an event whose values together would not fit in
 * one frame; G_MAXSIZE when they fit, which is always so for the bounded
 * reprs the tracer produces. */
static gsize
event_value_cap (gsize values_len, guint n_values)
{
  gsize fixed
      = COUNT_SLOT + 9 * SMILEY_WIRE_MAX_VARINT + (gsize)n_values * 2 * SMILEY_WIRE_MAX_VARINT;

  if (fixed + values_len <= FRAME_PAYLOAD_MAX)
    return G_MAXSIZE;
  if (fixed >= FRAME_PAYLOAD_MAX)
    return 0;
  return (FRAME_PAYLOAD_MAX - fixed) / MAX (n_values, 1);
}

/* EVENTS frames for @batch, cut near FRAME_TARGET_SIZE. */
static void
writer_put_events (SmileyFrameWriter *self, SmileyBatch *batch)
{
  guint   n_events = smiley_batch_get_length (batch);
  gsize   start = 0, count_at = 0;
  guint64 most = 0;
  guint   count = 0;

  if (n_events == 0)
    return;

  for (guint i = 0; i < n_events; i++)
    {
      const SmileyEvent *event = smiley_batch_get_event (batch, i);
      gsize             *lengths, values_len, need, cap;
      guint8            *p;

      /* Measure the strings once; the lengths are reused for encoding. */
      if (self->lengths_alloc < (gsize)event->n_locals + 1)
        {
          self->lengths_alloc = MAX ((gsize)event->n_locals + 1, 2 * self->lengths_alloc);
          g_free (self->lengths);
          self->lengths = g_new (gsize, self->lengths_alloc);
        }
      lengths = self->lengths;
      lengths[0] = event->arg != NULL ? strlen (event->arg) : 0;
      values_len = lengths[0];
      for (guint32 l = 0; l < event->n_locals; l++)
        {
          lengths[l + 1] = event->locals[l].value != NULL ? strlen (event->locals[l].value) : 0;
          values_len += lengths[l + 1];
        }

      cap = event_value_cap (values_len, event->n_locals + 1);
      if (G_UNLIKELY (cap != G_MAXSIZE))
        {
          g_warning ("smiley frame writer: the values of an event (%" G_GSIZE_FORMAT
                     " bytes) do not fit in a frame; cutting each to %" G_GSIZE_FORMAT " bytes",
                     values_len, cap);
          values_len = 0;
          lengths[0] = event->arg != NULL ? bounded_length (event->arg, lengths[0], cap) : 0;
          values_len += lengths[0];
          for (guint32 l = 0; l < event->n_locals; l++)
            if (event->locals[l].value != NULL)
              {
                lengths[l + 1] = bounded_length (event->locals[l].value, lengths[l + 1], cap);
                values_len += lengths[l + 1];
              }
        }

      need = 9 * SMILEY_WIRE_MAX_VARINT + SMILEY_WIRE_MAX_VARINT
             + (gsize)event->n_locals * 2 * SMILEY_WIRE_MAX_VARINT + values_len;

      if (count > 0 && self->out->len - count_at + need > FRAME_TARGET_SIZE)
        {
          writer_end_counted_frame (self, start, count_at, most, count, SMILEY_WIRE_EVENTS);
          count = 0;
        }
      if (count == 0)
        {
          most = n_events - i;
          count_at = writer_begin_counted_frame (self, most, &start);
        }

      p = writer_reserve (self, need);
      *p++ = (guint8)event->kind;
      p = smiley_wire_put_varint (p, event->thread);
      p = smiley_wire_put_varint (p, event->call_id);
      p = smiley_wire_put_varint (p, event->parent_call_id);
      p = smiley_wire_put_varint (p, event->depth);
      /* Monotonic time since the run started is never negative; a
       * negative value still round-trips through the unsigned cast. */
      p = smiley_wire_put_varint (p, (guint64)event->time_ns);
      p = smiley_wire_put_varint (p, event->file);
      p = smiley_wire_put_varint (p, event->line);
      p = smiley_wire_put_varint (p, event->function);
      p = smiley_wire_put_opt_bytes (p, event->arg, lengths[0]);
      p = smiley_wire_put_varint (p, event->n_locals);
      for (guint32 l = 0; l < event->n_locals; l++)
        {
          p = smiley_wire_put_varint (p, event->locals[l].name);
          p = smiley_wire_put_opt_bytes (p, event->locals[l].value, lengths[l + 1]);
        }
      writer_commit (self, p);
      count++;
    }

  writer_end_counted_frame (self, start, count_at, most, count, SMILEY_WIRE_EVENTS);
}

/* Everything the run gained that the reader has not seen yet. */
static void
writer_put_tables (SmileyFrameWriter *self, SmileyRun *run)
{
  writer_put_strings (self, run);
  writer_put_threads (self, run);
  writer_put_sources (self, run);
}

/**
 * smiley_frame_writer_push:
 * @self: a writer on which smiley_frame_writer_begin_run() was called
 * @run: the run the events belong to
 * @batch: events whose string ids and threads are defined in @run
 *
 * Appends STRINGS, THREADS and SOURCE frames for what @run gained since the
 * last push (new strings, new or renamed threads, new sources), then the
 * events of @batch in one EVENTS frame, or several if the batch is larger
 * than a few megabytes. An empty batch still sends the tables.
 */
void
smiley_frame_writer_push (SmileyFrameWriter *self, SmileyRun *run, SmileyBatch *batch)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (SMILEY_IS_RUN (run));
  g_return_if_fail (batch != NULL);
  g_return_if_fail (self->in_run);

  writer_put_tables (self, run);
  writer_put_events (self, batch);
}

/**
 * smiley_frame_writer_put_tables:
 * @self: a writer inside a run
 * @run: the run
 *
 * Encodes the run's strings, threads and sources that were added since
 * they were last written, as smiley_frame_writer_push() and
 * smiley_frame_writer_push_encoded() do before their events: for a
 * forwarder that sends encoded frames unchanged after the writer's bytes,
 * or to send a run's tables while it has no events.
 */
void
smiley_frame_writer_put_tables (SmileyFrameWriter *self, SmileyRun *run)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (SMILEY_IS_RUN (run));
  g_return_if_fail (self->in_run);

  writer_put_tables (self, run);
}

/* The count at the start of a validated EVENTS frame's payload, read no
 * further than @end. */
static guint64
checked_count (const guint8 **p, const guint8 *end)
{
  guint64 v = 0;

  for (guint shift = 0; shift < 64 && *p < end; shift += 7)
    {
      guint8 b = *(*p)++;

      v |= (guint64)(b & 0x7f) << shift;
      if (b < 0x80)
        break;
    }
  return v;
}

/**
 * smiley_frame_writer_push_encoded:
 * @self: a writer inside a run
 * @run: the run, whose tables define every string and thread the frames
 *   refer to
 * @frames: (array length=length): whole, valid EVENTS frames (as
 *   smiley_frame_reader_get_encoded_events() gives them)
 * @length: their size in bytes
 * @n_events: how many events they hold
 *
 * Like smiley_frame_writer_push() for events that are already encoded:
 * the run's new strings, threads and sources first, then the events
 * without decoding them. Consecutive frames are merged into one (their
 * events are laid end to end under one header and count), up to about
 * 1 MiB a frame: the tracer writes one event per frame, and a reader
 * pays per frame.
 *
 * The frames were validated, but lent bytes (the tracer's ring, which the
 * traced program can write to) may have changed since: their sizes are
 * read once and kept within @length, so that such a change only garbles
 * what is written, which the receiver checks again.
 */
void
smiley_frame_writer_push_encoded (SmileyFrameWriter *self, SmileyRun *run, const guint8 *frames,
                                  gsize length, guint n_events)
{
  const guint8 *p = frames, *end = frames + length;
  gsize         start = 0, count_at = 0;
  guint         count = 0;
  gboolean      open = FALSE;

  g_return_if_fail (self != NULL);
  g_return_if_fail (SMILEY_IS_RUN (run));
  g_return_if_fail (frames != NULL || length == 0);
  g_return_if_fail (self->in_run);

  writer_put_tables (self, run);
  while ((gsize)(end - p) > SMILEY_WIRE_FRAME_HEADER_SIZE)
    {
      guint32       size = smiley_wire_get_u32 (p);
      const guint8 *events = p + SMILEY_WIRE_FRAME_HEADER_SIZE;
      guint64       n;
      gsize         events_length;

      if (size <= SMILEY_WIRE_FRAME_HEADER_SIZE || size > (gsize)(end - p))
        break;
      n = checked_count (&events, p + size);
      events_length = p + size - events;

      if (open && self->out->len - start + events_length > MERGED_FRAME_MAX)
        {
          writer_end_counted_frame (self, start, count_at, n_events, count, SMILEY_WIRE_EVENTS);
          open = FALSE;
        }
      if (!open)
        {
          count_at = writer_begin_counted_frame (self, n_events, &start);
          count = 0;
          open = TRUE;
        }
      g_byte_array_append (self->out, events, events_length);
      count += (guint)n;
      p += size;
    }
  if (open)
    writer_end_counted_frame (self, start, count_at, n_events, count, SMILEY_WIRE_EVENTS);
}

/* The STATS frame. Its callers refer to entries by index, so it cannot be
 * cut in pieces; stats that do not fit in a frame are left out. */
static void
writer_put_stats (SmileyFrameWriter *self, SmileyStats *stats)
{
  guint   n_entries = smiley_stats_get_length (stats);
  gsize   start = writer_begin_frame (self);
  guint8 *p;

  p = writer_reserve (self, SMILEY_WIRE_MAX_VARINT);
  p = smiley_wire_put_varint (p, n_entries);
  writer_commit (self, p);

  for (guint i = 0; i < n_entries; i++)
    {
      const SmileyStatsEntry *entry = smiley_stats_get_entry (stats, i);
      gsize                   file_len = strlen (entry->file);
      gsize                   function_len = strlen (entry->function);
      guint                   n_callers = entry->callers->len;

      p = writer_reserve (self, str_room (file_len) + str_room (function_len)
                                    + 6 * SMILEY_WIRE_MAX_VARINT
                                    + (gsize)n_callers * 5 * SMILEY_WIRE_MAX_VARINT);
      p = put_str (p, entry->file, file_len);
      p = smiley_wire_put_varint (p, entry->line);
      p = put_str (p, entry->function, function_len);
      p = smiley_wire_put_varint (p, entry->ncalls);
      p = smiley_wire_put_varint (p, entry->primcalls);
      p = smiley_wire_put_svarint (p, entry->tottime_ns);
      p = smiley_wire_put_svarint (p, entry->cumtime_ns);
      p = smiley_wire_put_varint (p, n_callers);
      for (guint c = 0; c < n_callers; c++)
        {
          const SmileyStatsCaller *caller = &g_array_index (entry->callers, SmileyStatsCaller, c);

          p = smiley_wire_put_varint (p, caller->caller);
          p = smiley_wire_put_varint (p, caller->ncalls);
          p = smiley_wire_put_varint (p, caller->primcalls);
          p = smiley_wire_put_svarint (p, caller->tottime_ns);
          p = smiley_wire_put_svarint (p, caller->cumtime_ns);
        }
      writer_commit (self, p);

      if (self->out->len - start > SMILEY_WIRE_MAX_FRAME_SIZE)
        break;
    }
  writer_end_frame (self, start, SMILEY_WIRE_STATS);
}

/**
 * smiley_frame_writer_end_run:
 * @self: a writer on which smiley_frame_writer_begin_run() was called
 * @run: the run that ended, its end data set
 *
 * Appends what the run gained since the last push (strings, threads,
 * sources), a STATS frame if @run has stats, and the RUN_END frame with
 * the end time, state, exit status, signal, error, traceback and the
 * number of events the producer emitted. The stream is complete after it.
 */
void
smiley_frame_writer_end_run (SmileyFrameWriter *self, SmileyRun *run)
{
  const char  *error, *traceback;
  gsize        error_len, traceback_len, start;
  SmileyStats *stats;
  guint8      *p;

  g_return_if_fail (self != NULL);
  g_return_if_fail (SMILEY_IS_RUN (run));
  g_return_if_fail (self->in_run);

  writer_put_tables (self, run);

  stats = smiley_run_get_stats (run);
  if (stats != NULL)
    writer_put_stats (self, stats);

  error = smiley_run_get_error (run);
  traceback = smiley_run_get_traceback (run);
  error_len = error != NULL ? bounded_length (error, strlen (error), STRING_CAP) : 0;
  traceback_len
      = traceback != NULL ? bounded_length (traceback, strlen (traceback), STRING_CAP) : 0;

  start = writer_begin_frame (self);
  p = writer_reserve (self, 7 * SMILEY_WIRE_MAX_VARINT + error_len + traceback_len);
  p = smiley_wire_put_svarint (p, smiley_run_get_end_time (run));
  p = smiley_wire_put_varint (p, smiley_run_get_state (run));
  p = smiley_wire_put_svarint (p, smiley_run_get_exit_status (run));
  /* A signal number is never negative; keep the varint small if a caller
   * stored garbage. */
  p = smiley_wire_put_varint (p, (guint64)MAX (smiley_run_get_signal (run), 0));
  p = smiley_wire_put_opt_bytes (p, error, error_len);
  p = smiley_wire_put_opt_bytes (p, traceback, traceback_len);
  p = smiley_wire_put_varint (p, smiley_run_get_events_emitted (run));
  writer_commit (self, p);
  writer_end_frame (self, start, SMILEY_WIRE_RUN_END);

  self->in_run = FALSE;
}

/**
 * smiley_frame_writer_get_pending:
 * @self: a writer
 *
 * Returns: how many encoded bytes wait to be taken
 */
gsize
smiley_frame_writer_get_pending (SmileyFrameWriter *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->out->len;
}

/**
 * smiley_frame_writer_take_bytes:
 * @self: a writer
 *
 * Hands over the encoded bytes and starts a new, empty buffer. The bytes
 * are not copied.
 *
 * Returns: (transfer full): the bytes encoded since the last call (possibly
 *   empty)
 */
GBytes *
smiley_frame_writer_take_bytes (SmileyFrameWriter *self)
{
  GBytes *bytes;
  guint   previous;

  g_return_val_if_fail (self != NULL, NULL);

  previous = self->out->len;
  bytes = g_byte_array_free_to_bytes (self->out);
  /* The next round is likely to be about as large as this one. */
  self->out = g_byte_array_sized_new (CLAMP (previous, 4096, FRAME_TARGET_SIZE + 65536));
  return bytes;
}
