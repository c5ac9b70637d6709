/* smiley-frame-writer.h: encodes a run into the smiley frame format
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#pragma once

#if !defined(SMILEY_INSIDE) && !defined(SMILEY_COMPILATION)
#error "Only <smiley.h> can be included directly."
#endif

#include <glib.h>

#include "smiley-batch.h"
#include "smiley-run.h"

G_BEGIN_DECLS

/**
 * SmileyFrameWriter:
 *
 * Encodes one run as a stream: the stream header, RUN_BEGIN, then for every
 * pushed batch the string, thread and source frames the run gained since
 * the last push followed by an EVENTS frame, and finally STATS and RUN_END.
 * Bytes accumulate in the writer until taken with
 * smiley_frame_writer_take_bytes(); no I/O happens here.
 */
typedef struct _SmileyFrameWriter SmileyFrameWriter;

SmileyFrameWriter *smiley_frame_writer_new (void);
void               smiley_frame_writer_free (SmileyFrameWriter *self);
void               smiley_frame_writer_begin_run (SmileyFrameWriter *self, SmileyRun *run);
void    smiley_frame_writer_push (SmileyFrameWriter *self, SmileyRun *run, SmileyBatch *batch);
void    smiley_frame_writer_put_tables (SmileyFrameWriter *self, SmileyRun *run);
void    smiley_frame_writer_push_encoded (SmileyFrameWriter *self, SmileyRun *run,
                                          const guint8 *frames, gsize length, guint n_events);
void    smiley_frame_writer_end_run (SmileyFrameWriter *self, SmileyRun *run);
gsize   smiley_frame_writer_get_pending (SmileyFrameWriter *self);
GBytes *smiley_frame_writer_take_bytes (SmileyFrameWriter *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SmileyFrameWriter, smiley_frame_writer_free)

G_END_DECLS
