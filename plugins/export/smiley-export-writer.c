/* smiley-export-writer.c
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include "smiley-export-writer.h"

#define FLUSH_SIZE (64 * 1024)
/* Events are read from the store this many at a time. */
#define PAGE_SIZE 8192

struct _SmileyExportWriter
{
  GOutputStream *output;
  GCancellable  *cancellable;
  GString       *buffer;
  JsonGenerator *generator;
};

/**
 * smiley_export_writer_new:
 * @output: where the text goes
 * @cancellable: (nullable): stops a long export
 *
 * Returns: (transfer full): a writer with an empty buffer
 */
SmileyExportWriter *
smiley_export_writer_new (GOutputStream *output, GCancellable *cancellable)
{
  SmileyExportWriter *self = g_new0 (SmileyExportWriter, 1);

  self->output = g_object_ref (output);
  self->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  self->buffer = g_string_sized_new (FLUSH_SIZE + 4096);
  self->generator = json_generator_new ();
  return self;
}

/**
 * smiley_export_writer_free:
 * @self: (nullable): a writer
 *
 * Frees the writer; what is still buffered is dropped (flush first).
 */
void
smiley_export_writer_free (SmileyExportWriter *self)
{
  if (self == NULL)
    return;
  g_clear_object (&self->output);
  g_clear_object (&self->cancellable);
  g_string_free (self->buffer, TRUE);
  g_clear_object (&self->generator);
  g_free (self);
}

/**
 * smiley_export_writer_append:
 * @self: a writer
 * @text: text to write as it is
 */
void
smiley_export_writer_append (SmileyExportWriter *self, const char *text)
{
  g_string_append (self->buffer, text);
}

/**
 * smiley_export_writer_append_node:
 * @self: a writer
 * @node: a JSON value, written compactly on one line
 */
void
smiley_export_writer_append_node (SmileyExportWriter *self, JsonNode *node)
{
  json_generator_set_root (self->generator, node);
  json_generator_to_gstring (self->generator, self->buffer);
}

/**
 * smiley_export_writer_append_string:
 * @self: a writer
 * @value: (nullable): UTF-8 text
 *
 * Writes @value as a JSON string (or null), escaped as RFC 8259 wants:
 * quotes, backslashes and control characters. Invalid UTF-8 is replaced
 * by U+FFFD so the document stays valid JSON. This is the hot path of
 * the JSON lines export, where building a JSON tree per event cost three
 * times more than the rest of the export.
 */
void
smiley_export_writer_append_string (SmileyExportWriter *self, const char *value)
{
  g_autofree char *valid = NULL;
  GString         *out = self->buffer;
  const char      *run;

  if (value == NULL)
    {
      g_string_append (out, "null");
      return;
    }
  if (!g_utf8_validate (value, -1, NULL))
    value = valid = g_utf8_make_valid (value, -1);

  g_string_append_c (out, '"');
  run = value;
  for (const char *p = value; *p != '\0'; p++)
    {
      guchar c = *p;

      if (c >= 0x20 && c != '"' && c != '\\')
        continue;
      g_string_append_len (out, run, p - run);
      run = p + 1;
      switch (c)
        {
        case '"':
          g_string_append (out, "\\\"");
          break;
        case '\\':
          g_string_append (out, "\\\\");
          break;
        case '\n':
          g_string_append (out, "\\n");
          break;
        case '\r':
          g_string_append (out, "\\r");
          break;
        case '\t':
          g_string_append (out, "\\t");
          break;
        default:
          g_string_append_printf (out, "\\u%04x", c);
          break;
        }
    }
  g_string_append (out, run);
  g_string_append_c (out, '"');
}

/**
 * smiley_export_writer_flush:
 * @self: a writer
 * @force: write whatever is buffered; otherwise only once the buffer is
 *   large
 * @error: return location for a #GError
 *
 * Returns: %FALSE with @error set if writing failed or was cancelled
 */
gboolean
smiley_export_writer_flush (SmileyExportWriter *self, gboolean force, GError **error)
{
  if (self->buffer->len == 0 || (!force && self->buffer->len < FLUSH_SIZE))
    return TRUE;
  if (!g_output_stream_write_all (self->output, self->buffer->str, self->buffer->len, NULL,
                                  self->cancellable, error))
    return FALSE;
  g_string_truncate (self->buffer, 0);
  return TRUE;
}

/**
 * smiley_export_next_events:
 * @store: the store
 * @run: the run
 * @offset: (inout): index of the next event to read; advanced past the
 *   events returned
 * @cancellable: (nullable): stops a long export
 * @error: return location for a #GError
 *
 * Reads the next page of a run's events, of all threads in the order they
 * happened.
 *
 * Returns: (transfer full): the events, an empty batch at the end, or
 *   %NULL with @error set
 */
SmileyBatch *
smiley_export_next_events (SmileyStore *store, SmileyRun *run, guint64 *offset,
                           GCancellable *cancellable, GError **error)
{
  SmileyBatch *batch;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  batch = smiley_store_get_events (store, run, -1, *offset, PAGE_SIZE, error);
  if (batch != NULL)
    *offset += smiley_batch_get_length (batch);
  return batch;
}
