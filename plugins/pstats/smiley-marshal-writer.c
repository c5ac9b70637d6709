/* smiley-marshal-writer.c
 *
 * The type codes and layouts are those of CPython's Python/marshal.c
 * (w_object); every integer in the format is little-endian.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include <string.h>

#include "smiley-marshal-writer.h"

#define TYPE_NULL '0'
#define TYPE_INT 'i'
#define TYPE_LONG 'l'
#define TYPE_BINARY_FLOAT 'g'
#define TYPE_UNICODE 'u'
#define TYPE_TUPLE '('
#define TYPE_SMALL_TUPLE ')'
#define TYPE_DICT '{'

/* Python's long objects are marshalled in base 2**15 digits. */
#define LONG_SHIFT 15
#define LONG_MASK ((1 << LONG_SHIFT) - 1)

struct _SmileyMarshalWriter
{
  GByteArray *buffer;
};

/**
 * smiley_marshal_writer_new:
 *
 * Returns: (transfer full): a writer with an empty buffer
 */
SmileyMarshalWriter *
smiley_marshal_writer_new (void)
{
  SmileyMarshalWriter *self = g_new0 (SmileyMarshalWriter, 1);

  self->buffer = g_byte_array_new ();
  return self;
}

/**
 * smiley_marshal_writer_free:
 * @self: (nullable): a writer
 *
 * Frees the writer and what it wrote.
 */
void
smiley_marshal_writer_free (SmileyMarshalWriter *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->buffer, g_byte_array_unref);
  g_free (self);
}

static void
put_byte (SmileyMarshalWriter *self, guint8 byte)
{
  g_byte_array_append (self->buffer, &byte, 1);
}

static void
put_int32 (SmileyMarshalWriter *self, gint32 value)
{
  guint32 le = GUINT32_TO_LE ((guint32)value);

  g_byte_array_append (self->buffer, (const guint8 *)&le, 4);
}

/**
 * smiley_marshal_writer_begin_dict:
 * @self: a writer
 *
 * Starts a dict; write key, value, key, value … then end it with
 * smiley_marshal_writer_end_dict().
 */
void
smiley_marshal_writer_begin_dict (SmileyMarshalWriter *self)
{
  put_byte (self, TYPE_DICT);
}

/**
 * smiley_marshal_writer_end_dict:
 * @self: a writer
 *
 * Ends the dict begun last (marshal's NULL marker).
 */
void
smiley_marshal_writer_end_dict (SmileyMarshalWriter *self)
{
  put_byte (self, TYPE_NULL);
}

/**
 * smiley_marshal_writer_begin_tuple:
 * @self: a writer
 * @n_items: how many values follow as the tuple's items
 */
void
smiley_marshal_writer_begin_tuple (SmileyMarshalWriter *self, guint n_items)
{
  g_return_if_fail (n_items <= G_MAXINT32);

  if (n_items < 256)
    {
      put_byte (self, TYPE_SMALL_TUPLE);
      put_byte (self, n_items);
    }
  else
    {
      put_byte (self, TYPE_TUPLE);
      put_int32 (self, n_items);
    }
}

static void
put_long (SmileyMarshalWriter *self, gboolean negative, guint64 magnitude)
{
  guint16 digits[5];
  gint32  n_digits = 0;

  while (magnitude != 0)
    {
      digits[n_digits++] = magnitude & LONG_MASK;
      magnitude >>= LONG_SHIFT;
    }

  put_byte (self, TYPE_LONG);
  put_int32 (self, negative ? -n_digits : n_digits);
  for (gint32 i = 0; i < n_digits; i++)
    {
      guint16 le = GUINT16_TO_LE (digits[i]);

      g_byte_array_append (self->buffer, (const guint8 *)&le, 2);
    }
}

/**
 * smiley_marshal_writer_add_int:
 * @self: a writer
 * @value: any 64-bit integer; those beyond 32 bits become Python longs
 */
void
smiley_marshal_writer_add_int (SmileyMarshalWriter *self, gint64 value)
{
  if (value >= G_MININT32 && value <= G_MAXINT32)
    {
      put_byte (self, TYPE_INT);
      put_int32 (self, (gint32)value);
    }
  else if (value < 0)
    put_long (self, TRUE, (guint64)0 - (guint64)value);
  else
    put_long (self, FALSE, (guint64)value);
}

/**
 * smiley_marshal_writer_add_uint:
 * @self: a writer
 * @value: any unsigned 64-bit integer
 */
void
smiley_marshal_writer_add_uint (SmileyMarshalWriter *self, guint64 value)
{
  if (value <= G_MAXINT32)
    smiley_marshal_writer_add_int (self, (gint64)value);
  else
    put_long (self, FALSE, value);
}

/**
 * smiley_marshal_writer_add_float:
 * @self: a writer
 * @value: a double, stored bit for bit
 */
void
smiley_marshal_writer_add_float (SmileyMarshalWriter *self, double value)
{
  guint64 bits;

  memcpy (&bits, &value, sizeof bits);
  bits = GUINT64_TO_LE (bits);
  put_byte (self, TYPE_BINARY_FLOAT);
  g_byte_array_append (self->buffer, (const guint8 *)&bits, 8);
}

/**
 * smiley_marshal_writer_add_string:
 * @self: a writer
 * @value: text; invalid UTF-8 is replaced by U+FFFD, because Python's
 *   marshal refuses to load a str that does not decode
 */
void
smiley_marshal_writer_add_string (SmileyMarshalWriter *self, const char *value)
{
  g_autofree char *valid = NULL;
  gsize            length;

  if (value == NULL)
    value = "";
  if (!g_utf8_validate (value, -1, NULL))
    value = valid = g_utf8_make_valid (value, -1);

  length = strlen (value);
  g_return_if_fail (length <= G_MAXINT32);
  put_byte (self, TYPE_UNICODE);
  put_int32 (self, (gint32)length);
  g_byte_array_append (self->buffer, (const guint8 *)value, length);
}

/**
 * smiley_marshal_writer_get_data:
 * @self: a writer
 * @length: (out): the number of bytes written so far
 *
 * Returns: (transfer none): the bytes written so far
 */
const guint8 *
smiley_marshal_writer_get_data (SmileyMarshalWriter *self, gsize *length)
{
  *length = self->buffer->len;
  return self->buffer->data;
}

/**
 * smiley_marshal_writer_steal_bytes:
 * @self: a writer
 *
 * Returns: (transfer full): the bytes written so far; the writer starts
 *   over with an empty buffer
 */
GBytes *
smiley_marshal_writer_steal_bytes (SmileyMarshalWriter *self)
{
  GBytes *bytes = g_byte_array_free_to_bytes (self->buffer);

  self->buffer = g_byte_array_new ();
  return bytes;
}
