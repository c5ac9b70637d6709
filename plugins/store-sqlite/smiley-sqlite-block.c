/* smiley-sqlite-block.c
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include <smiley-wire.h>

#include "smiley-sqlite-block.h"

/* The first byte of an encoded event: its kind in the low four bits, and
 * flags saying which fields repeat the previous event's. */
#define HEADER_KIND_MASK 0x0f
#define HEADER_SAME_THREAD 0x10
#define HEADER_SAME_FRAME 0x20 /* call id, parent, depth, file, function */
#define HEADER_HAS_LOCALS 0x40
#define HEADER_EXTENDED 0x80 /* a second byte of flags follows */

#define EXTENDED_HAS_ARG 0x01

/* Values: varint v; 0 = absent (a deleted local), odd = inline UTF-8 of
 * v >> 1 bytes following, even = id v >> 1 in the value table. */

typedef struct
{
  guint32 thread;
  guint64 call_id;
  guint64 parent_call_id;
  guint32 depth;
  gint64  time_ns;
  guint32 file;
  guint32 line;
  guint32 function;
} BlockState;

struct _SmileySqliteBlock
{
  guint8    *data;
  gsize      length;
  gsize      allocated;
  GArray    *threads; /* SmileySqliteBlockThread */
  guint64    first_seq;
  guint      n_events;
  BlockState state;
};

SmileySqliteBlock *
smiley_sqlite_block_new (void)
{
  SmileySqliteBlock *self = g_new0 (SmileySqliteBlock, 1);

  self->allocated = SMILEY_SQLITE_BLOCK_MAX_BYTES + 1024;
  self->data = g_malloc (self->allocated);
  self->threads = g_array_new (FALSE, FALSE, sizeof (SmileySqliteBlockThread));
  return self;
}

void
smiley_sqlite_block_free (SmileySqliteBlock *self)
{
  if (self == NULL)
    return;
  g_free (self->data);
  g_array_unref (self->threads);
  g_free (self);
}

/**
 * smiley_sqlite_block_reset:
 * @self: a block
 * @first_seq: run-wide index of the next event to be added
 *
 * Empties the block so it starts at @first_seq.
 */
void
smiley_sqlite_block_reset (SmileySqliteBlock *self, guint64 first_seq)
{
  self->length = 0;
  g_array_set_size (self->threads, 0);
  self->first_seq = first_seq;
  self->n_events = 0;
  memset (&self->state, 0, sizeof self->state);
}

/* An inline value: varint (length << 1 | 1), then the bytes. */
static inline guint8 *
put_inline_value (guint8 *p, const char *value, gsize length)
{
  p = smiley_wire_put_varint (p, ((guint64)length << 1) | 1);
  memcpy (p, value, length);
  return p + length;
}

/* Encoding appends to self->data with the inline encoders of
 * smiley-wire.h, after making room: no call or copy per field. */
static inline void
reserve (SmileySqliteBlock *self, gsize extra)
{
  if (G_UNLIKELY (self->length + extra > self->allocated))
    {
      self->allocated = MAX (self->allocated * 2, self->length + extra);
      self->data = g_realloc (self->data, self->allocated);
    }
}

static inline void
put_byte (SmileySqliteBlock *self, guint8 byte)
{
  reserve (self, 1);
  self->data[self->length++] = byte;
}

static inline void
put_varint (SmileySqliteBlock *self, guint64 v)
{
  reserve (self, SMILEY_WIRE_MAX_VARINT);
  self->length = smiley_wire_put_varint (self->data + self->length, v) - self->data;
}

static inline void
put_svarint (SmileySqliteBlock *self, gint64 v)
{
  reserve (self, SMILEY_WIRE_MAX_VARINT);
  self->length = smiley_wire_put_svarint (self->data + self->length, v) - self->data;
}

static gboolean
put_value (SmileySqliteBlock *self, const char *value, SmileySqliteInternValueFunc intern,
           gpointer user_data, GError **error)
{
  gsize   length;
  guint64 id = 0;

  if (value == NULL)
    {
      put_byte (self, 0);
      return TRUE;
    }

  length = strlen (value);
  if (!intern (value, length, &id, user_data, error))
    return FALSE;
  if (id != 0)
    {
      put_varint (self, id << 1);
      return TRUE;
    }
  reserve (self, SMILEY_WIRE_MAX_VARINT + length);
  self->length = put_inline_value (self->data + self->length, value, length) - self->data;
  return TRUE;
}

static void
count_thread (SmileySqliteBlock *self, guint32 thread, guint64 tseq)
{
  SmileySqliteBlockThread entry = { thread, tseq, 1 };

  /* Few threads share a block; a linear search beats a hash here. */
  for (guint i = 0; i < self->threads->len; i++)
    {
      SmileySqliteBlockThread *known = &g_array_index (self->threads, SmileySqliteBlockThread, i);

      if (known->thread == thread)
        {
          known->n_events++;
          return;
        }
    }
  g_array_append_val (self->threads, entry);
}

/**
 * smiley_sqlite_block_add:
 * @self: a block
 * @event: the next event of the run
 * @tseq: index of @event among its thread's events
 * @intern: decides for each value whether it goes inline or by id
 * @user_data: for @intern
 * @error: return location for a #GError, from @intern
 *
 * Appends @event to the block.
 *
 * Returns: %FALSE if @intern failed; the block is then unchanged
 */
gboolean
smiley_sqlite_block_add (SmileySqliteBlock *self, const SmileyEvent *event, guint64 tseq,
                         SmileySqliteInternValueFunc intern, gpointer user_data, GError **error)
{
  BlockState *state = &self->state;
  gsize       old_length = self->length;
  guint8      header = event->kind & HEADER_KIND_MASK;
  gboolean    same_frame;

  g_return_val_if_fail (event->kind >= SMILEY_EVENT_CALL && event->kind <= SMILEY_EVENT_KIND_LAST,
                        FALSE);

  same_frame = self->n_events > 0 && event->call_id == state->call_id
               && event->parent_call_id == state->parent_call_id && event->depth == state->depth
               && event->file == state->file && event->function == state->function;

  if (self->n_events > 0 && event->thread == state->thread)
    header |= HEADER_SAME_THREAD;
  if (same_frame)
    header |= HEADER_SAME_FRAME;
  if (event->n_locals > 0)
    header |= HEADER_HAS_LOCALS;
  if (event->arg != NULL)
    header |= HEADER_EXTENDED;

  put_byte (self, header);
  if (header & HEADER_EXTENDED)
    put_byte (self, EXTENDED_HAS_ARG);
  if (!(header & HEADER_SAME_THREAD))
    put_varint (self, event->thread);
  if (!same_frame)
    {
      /* A call's parent is usually the frame of the event before it, and
       * ids grow as frames start: both deltas stay small. */
      put_svarint (self, (gint64)(event->call_id - state->call_id));
      put_svarint (self, (gint64)(event->parent_call_id - state->call_id));
      put_varint (self, event->depth);
      put_varint (self, event->file);
      put_varint (self, event->function);
    }
  put_svarint (self, event->time_ns - state->time_ns);
  put_svarint (self, (gint64)event->line - (gint64)state->line);

  if (event->n_locals > 0)
    {
      put_varint (self, event->n_locals);
      for (guint32 i = 0; i < event->n_locals; i++)
        {
          put_varint (self, event->locals[i].name);
          if (!put_value (self, event->locals[i].value, intern, user_data, error))
            goto failed;
        }
    }
  if (event->arg != NULL && !put_value (self, event->arg, intern, user_data, error))
    goto failed;

  state->thread = event->thread;
  state->call_id = event->call_id;
  state->parent_call_id = event->parent_call_id;
  state->depth = event->depth;
  state->time_ns = event->time_ns;
  state->file = event->file;
  state->line = event->line;
  state->function = event->function;
  count_thread (self, event->thread, tseq);
  self->n_events++;
  return TRUE;

failed:
  self->length = old_length;
  return FALSE;
}

gboolean
smiley_sqlite_block_is_full (SmileySqliteBlock *self)
{
  return self->n_events >= SMILEY_SQLITE_BLOCK_MAX_EVENTS
         || self->length >= SMILEY_SQLITE_BLOCK_MAX_BYTES;
}

guint
smiley_sqlite_block_get_n_events (SmileySqliteBlock *self)
{
  return self->n_events;
}

guint64
smiley_sqlite_block_get_first_seq (SmileySqliteBlock *self)
{
  return self->first_seq;
}

/**
 * smiley_sqlite_block_get_data:
 * @self: a block
 * @length: (out): its size in bytes
 *
 * Returns: (transfer none): the encoded events
 */
const guint8 *
smiley_sqlite_block_get_data (SmileySqliteBlock *self, gsize *length)
{
  *length = self->length;
  return self->data;
}

/**
 * smiley_sqlite_block_get_threads:
 * @self: a block
 * @n_threads: (out): how many threads the block holds events of
 *
 * Returns: (transfer none): for each thread, where its events start
 */
const SmileySqliteBlockThread *
smiley_sqlite_block_get_threads (SmileySqliteBlock *self, guint *n_threads)
{
  *n_threads = self->threads->len;
  return (const SmileySqliteBlockThread *)self->threads->data;
}

/**
 * smiley_sqlite_block_checksum:
 * @data: an encoded block
 * @length: its size
 *
 * A 64-bit multiply-xorshift hash of the block, stored beside it: SQLite
 * checks the structure of its pages but not the bytes of a BLOB, and a
 * damaged byte in a block could otherwise decode into a wrong value.
 *
 * Returns: the checksum
 */
gint64
smiley_sqlite_block_checksum (const guint8 *data, gsize length)
{
  guint64 hash = G_GUINT64_CONSTANT (0x9e3779b97f4a7c15) ^ length;
  guint64 word;

  for (; length >= 8; data += 8, length -= 8)
    {
      memcpy (&word, data, 8);
      hash = (hash ^ word) * G_GUINT64_CONSTANT (0xff51afd7ed558ccd);
      hash ^= hash >> 32;
    }
  word = 0;
  if (length > 0)
    memcpy (&word, data, length);
  hash = (hash ^ word) * G_GUINT64_CONSTANT (0xc4ceb9fe1a85ec53);
  hash ^= hash >> 29;
  return (gint64)hash;
}

/* Decoding: every read is bounds-checked, because a block comes from a
 * file anyone could have edited. */

typedef struct
{
  const guint8 *p;
  const guint8 *end;
} Cursor;

static gboolean
get_varint (Cursor *cursor, guint64 *value)
{
  guint64 v = 0;

  for (guint shift = 0; shift < 64; shift += 7)
    {
      guint8 byte;

      if (cursor->p >= cursor->end)
        return FALSE;
      byte = *cursor->p++;
      v |= (guint64)(byte & 0x7f) << shift;
      if (!(byte & 0x80))
        {
          *value = v;
          return TRUE;
        }
    }
  return FALSE;
}

static gboolean
get_svarint (Cursor *cursor, gint64 *value)
{
  guint64 v;

  if (!get_varint (cursor, &v))
    return FALSE;
  *value = (gint64)(v >> 1) ^ -(gint64)(v & 1);
  return TRUE;
}

static gboolean
get_u32 (Cursor *cursor, guint32 *value)
{
  guint64 v;

  if (!get_varint (cursor, &v) || v > G_MAXUINT32)
    return FALSE;
  *value = (guint32)v;
  return TRUE;
}

typedef struct
{
  SmileySqliteLookupValueFunc lookup;
  gpointer                    lookup_data;
  GStringChunk               *texts;
} ValueReader;

/* Reads a value into @out (NULL for an absent one). Returns FALSE on
 * damage; @error is set only when the value table failed. */
static gboolean
get_value (Cursor *cursor, ValueReader *reader, const char **out, GError **error)
{
  guint64 v;

  if (!get_varint (cursor, &v))
    return FALSE;
  if (v == 0)
    {
      *out = NULL;
      return TRUE;
    }
  if (v & 1)
    {
      guint64 length = v >> 1;

      if (length > (guint64)(cursor->end - cursor->p)
          || !g_utf8_validate ((const char *)cursor->p, length, NULL))
        return FALSE;
      *out = g_string_chunk_insert_len (reader->texts, (const char *)cursor->p, length);
      cursor->p += length;
      return TRUE;
    }
  else
    {
      const char *text = reader->lookup (v >> 1, reader->lookup_data, error);

      if (text == NULL)
        return FALSE;
      *out = g_string_chunk_insert (reader->texts, text);
      return TRUE;
    }
}

/**
 * smiley_sqlite_block_decode:
 * @data: an encoded block
 * @length: its size
 * @n_events: how many events it holds
 * @n_strings: size of the run's string table, to validate ids against
 * @lookup: resolves value ids
 * @lookup_data: for @lookup
 * @func: called with every event in order
 * @func_data: for @func
 * @error: return location for a #GError
 *
 * Decodes a block, validating every field.
 *
 * Returns: %FALSE with %SMILEY_STORE_ERROR_CORRUPT if the block is damaged
 *   (or @lookup's error); %TRUE when done or when @func stopped
 */
gboolean
smiley_sqlite_block_decode (const guint8 *data, gsize length, guint n_events, guint32 n_strings,
                            SmileySqliteLookupValueFunc lookup, gpointer lookup_data,
                            SmileySqliteEventFunc func, gpointer func_data, GError **error)
{
  Cursor cursor = { data, data + length };
  g_autoptr (GArray) locals = g_array_new (FALSE, FALSE, sizeof (SmileyLocal));
  ValueReader reader = { lookup, lookup_data, g_string_chunk_new (4096) };
  SmileyEvent event = {
    0,
  };
  GError  *lookup_error = NULL;
  gboolean ok = FALSE;
  guint    index;

  for (index = 0; index < n_events; index++)
    {
      guint8  header, extended = 0;
      guint64 v;
      gint64  delta;

      if (cursor.p >= cursor.end)
        goto damaged;
      header = *cursor.p++;
      if ((header & HEADER_KIND_MASK) < SMILEY_EVENT_CALL
          || (header & HEADER_KIND_MASK) > SMILEY_EVENT_KIND_LAST)
        goto damaged;
      if (header & HEADER_EXTENDED)
        {
          if (cursor.p >= cursor.end)
            goto damaged;
          extended = *cursor.p++;
          if (extended & ~EXTENDED_HAS_ARG)
            goto damaged;
        }
      if (index == 0 && (header & (HEADER_SAME_THREAD | HEADER_SAME_FRAME)))
        goto damaged;

      event.kind = header & HEADER_KIND_MASK;
      if (!(header & HEADER_SAME_THREAD) && !get_u32 (&cursor, &event.thread))
        goto damaged;
      if (!(header & HEADER_SAME_FRAME))
        {
          guint64 previous_call = event.call_id;

          if (!get_svarint (&cursor, &delta))
            goto damaged;
          event.call_id = previous_call + (guint64)delta;
          if (!get_svarint (&cursor, &delta))
            goto damaged;
          event.parent_call_id = previous_call + (guint64)delta;
          if (!get_u32 (&cursor, &event.depth) || !get_u32 (&cursor, &event.file)
              || !get_u32 (&cursor, &event.function) || event.file >= n_strings
              || event.function >= n_strings)
            goto damaged;
        }
      if (!get_svarint (&cursor, &delta))
        goto damaged;
      event.time_ns += delta;
      if (!get_svarint (&cursor, &delta) || (gint64)event.line + delta < 0
          || (gint64)event.line + delta > G_MAXUINT32)
        goto damaged;
      event.line = (guint32)((gint64)event.line + delta);

      g_array_set_size (locals, 0);
      g_string_chunk_clear (reader.texts);
      if (header & HEADER_HAS_LOCALS)
        {
          if (!get_varint (&cursor, &v) || v == 0 || v > (guint64)(cursor.end - cursor.p))
            goto damaged;
          for (guint64 i = 0; i < v; i++)
            {
              SmileyLocal local;

              if (!get_u32 (&cursor, &local.name) || local.name >= n_strings
                  || !get_value (&cursor, &reader, &local.value, &lookup_error))
                goto damaged;
              g_array_append_val (locals, local);
            }
        }
      event.n_locals = locals->len;
      event.locals = (const SmileyLocal *)locals->data;

      event.arg = NULL;
      if ((extended & EXTENDED_HAS_ARG)
          && (!get_value (&cursor, &reader, &event.arg, &lookup_error) || event.arg == NULL))
        goto damaged;

      if (!func (&event, index, func_data))
        {
          ok = TRUE;
          goto out;
        }
    }

  if (cursor.p != cursor.end)
    goto damaged;
  ok = TRUE;
  goto out;

damaged:
  if (lookup_error != NULL)
    g_propagate_error (error, g_steal_pointer (&lookup_error));
  else
    g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_CORRUPT,
                 "event %u of the block is damaged", index);
out:
  g_string_chunk_free (reader.texts);
  return ok;
}
