/* smiley-export-writer.h: buffered output of JSON documents made of many
 * small pieces, shared by the chrome and jsonl views
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#pragma once

#include <json-glib/json-glib.h>
#include <smiley.h>

G_BEGIN_DECLS

/**
 * SmileyExportWriter:
 *
 * Writes text and JSON values to an output stream through a buffer that
 * is flushed whenever it grows past a few tens of kilobytes, so an export
 * of millions of events never holds more than one event as a JSON tree.
 */
typedef struct _SmileyExportWriter SmileyExportWriter;

SmileyExportWriter *smiley_export_writer_new (GOutputStream *output, GCancellable *cancellable);
void                smiley_export_writer_free (SmileyExportWriter *self);
void                smiley_export_writer_append (SmileyExportWriter *self, const char *text);
void                smiley_export_writer_append_node (SmileyExportWriter *self, JsonNode *node);
void     smiley_export_writer_append_string (SmileyExportWriter *self, const char *value);
gboolean smiley_export_writer_flush (SmileyExportWriter *self, gboolean force, GError **error);

SmileyBatch *smiley_export_next_events (SmileyStore *store, SmileyRun *run, guint64 *offset,
                                        GCancellable *cancellable, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SmileyExportWriter, smiley_export_writer_free)

G_END_DECLS
