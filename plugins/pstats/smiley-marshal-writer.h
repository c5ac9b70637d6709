/* smiley-marshal-writer.h: the subset of Python's marshal format that a
 * pstats file is made of
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * SmileyMarshalWriter:
 *
 * Appends values in CPython's marshal format (version 4, as
 * `marshal.dump()` writes and `marshal.load()` reads) to a byte buffer:
 * dicts, tuples, ints, floats and strings, which is all a pstats file
 * holds. Containers are written as a begin marker, their items, and (for
 * dicts) an end marker, so a caller streams a large dict without building
 * it first.
 */
typedef struct _SmileyMarshalWriter SmileyMarshalWriter;

SmileyMarshalWriter *smiley_marshal_writer_new (void);
void                 smiley_marshal_writer_free (SmileyMarshalWriter *self);
void                 smiley_marshal_writer_begin_dict (SmileyMarshalWriter *self);
void                 smiley_marshal_writer_end_dict (SmileyMarshalWriter *self);
void                 smiley_marshal_writer_begin_tuple (SmileyMarshalWriter *self, guint n_items);
void                 smiley_marshal_writer_add_int (SmileyMarshalWriter *self, gint64 value);
void                 smiley_marshal_writer_add_uint (SmileyMarshalWriter *self, guint64 value);
void                 smiley_marshal_writer_add_float (SmileyMarshalWriter *self, double value);
void          smiley_marshal_writer_add_string (SmileyMarshalWriter *self, const char *value);
const guint8 *smiley_marshal_writer_get_data (SmileyMarshalWriter *self, gsize *length);
GBytes       *smiley_marshal_writer_steal_bytes (SmileyMarshalWriter *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SmileyMarshalWriter, smiley_marshal_writer_free)

G_END_DECLS
