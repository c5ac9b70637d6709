/* smiley-batch.h: events travelling together
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#pragma once

#if !defined(SMILEY_INSIDE) && !defined(SMILEY_COMPILATION)
#error "Only <smiley.h> can be included directly."
#endif

#include <glib-object.h>

#include "smiley-event.h"

G_BEGIN_DECLS

#define SMILEY_TYPE_BATCH (smiley_batch_get_type ())

/**
 * SmileyBatch:
 *
 * A reference-counted, append-only array of #SmileyEvent of one run. The
 * batch owns the strings (values, locals) of its events, so events can be
 * added from borrowed data. String ids in events refer to the run's string
 * table (smiley_run_intern()).
 *
 * Batches are plain data, not GObjects: they are made and dropped at a
 * high rate on the recording path.
 */
typedef struct _SmileyBatch SmileyBatch;

GType              smiley_batch_get_type (void) G_GNUC_CONST;
SmileyBatch       *smiley_batch_new (void);
SmileyBatch       *smiley_batch_ref (SmileyBatch *self);
void               smiley_batch_unref (SmileyBatch *self);
guint              smiley_batch_get_length (SmileyBatch *self);
const SmileyEvent *smiley_batch_get_event (SmileyBatch *self, guint index);
SmileyEvent       *smiley_batch_add (SmileyBatch *self, const SmileyEvent *event);
void               smiley_batch_clear (SmileyBatch *self);
gsize              smiley_batch_get_size (SmileyBatch *self);
gboolean           smiley_batch_equal (SmileyBatch *a, SmileyBatch *b);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SmileyBatch, smiley_batch_unref)

G_END_DECLS
