/* smiley-batch-private.h: filling a batch without copying twice
 *
 * SPDX-License-Identifier: Apache-2.0
 *
 * For the frame reader, which knows every string's length and decodes
 * straight into the batch: no scratch copy, no strlen, and locals carved
 * from blocks instead of one allocation per event.
 */
#pragma once

#include "smiley-batch.h"

G_BEGIN_DECLS

gboolean     smiley_batch_is_unshared (SmileyBatch *self);
const char  *smiley_batch_copy_text (SmileyBatch *self, const char *text, gsize length);
SmileyLocal *smiley_batch_alloc_locals (SmileyBatch *self, guint32 n_locals);
void         smiley_batch_append (SmileyBatch *self, const SmileyEvent *event);

G_END_DECLS
