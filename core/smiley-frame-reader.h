/* smiley-frame-reader.h: decodes and validates the smiley frame format
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

#define SMILEY_FRAME_ERROR (smiley_frame_error_quark ())

/**
 * SmileyFrameError:
 * @SMILEY_FRAME_ERROR_BAD_MAGIC: the stream does not start with "SMLY"
 * @SMILEY_FRAME_ERROR_VERSION: a format version this reader does not know
 * @SMILEY_FRAME_ERROR_TOO_LARGE: a frame is larger than the reader allows
 * @SMILEY_FRAME_ERROR_TRUNCATED: the stream ended inside a frame
 * @SMILEY_FRAME_ERROR_INVALID: a field is out of range or inconsistent
 */
typedef enum
{
  SMILEY_FRAME_ERROR_BAD_MAGIC,
  SMILEY_FRAME_ERROR_VERSION,
  SMILEY_FRAME_ERROR_TOO_LARGE,
  SMILEY_FRAME_ERROR_TRUNCATED,
  SMILEY_FRAME_ERROR_INVALID,
} SmileyFrameError;

GQuark smiley_frame_error_quark (void);

/**
 * SmileyFrameMessage:
 * @SMILEY_FRAME_NEED_MORE: no complete frame is buffered; feed more bytes
 * @SMILEY_FRAME_RUN_BEGIN: the run started; see smiley_frame_reader_get_run()
 * @SMILEY_FRAME_BATCH: a batch of events; the run's strings, threads and
 *   sources were updated before it as the stream said
 * @SMILEY_FRAME_RUN_END: the run ended; its end data and stats are set
 * @SMILEY_FRAME_ENCODED_EVENTS: only in pass-through mode (see
 *   smiley_frame_reader_set_pass_events()): validated EVENTS frames, as
 *   they were fed
 *
 * STRINGS, THREADS, SOURCE and STATS frames update the run and are not
 * reported on their own.
 */
typedef enum
{
  SMILEY_FRAME_NEED_MORE,
  SMILEY_FRAME_RUN_BEGIN,
  SMILEY_FRAME_BATCH,
  SMILEY_FRAME_RUN_END,
  SMILEY_FRAME_ENCODED_EVENTS,
} SmileyFrameMessage;

/**
 * SmileyFrameReader:
 *
 * Decodes one run's stream, fed in pieces as they arrive (from a socket, a
 * file, a ring buffer). Every field is validated: string ids must be
 * defined before use, counts must fit in the frame, strings must be UTF-8,
 * kinds and versions must be known; anything else is a %SMILEY_FRAME_ERROR
 * and never a crash.
 *
 * By default every EVENTS frame is reported as its own batch. With
 * smiley_frame_reader_set_max_batch() consecutive EVENTS frames are merged
 * into one batch of up to that many events, reported when it is full, when
 * the buffered bytes are used up, or before the next RUN_END; producers
 * that commit one small frame per event (the tracer's ring) rely on it.
 */
typedef struct _SmileyFrameReader SmileyFrameReader;

SmileyFrameReader *smiley_frame_reader_new (gsize max_frame_size);
void               smiley_frame_reader_free (SmileyFrameReader *self);
void               smiley_frame_reader_set_max_batch (SmileyFrameReader *self, guint max_events);
void               smiley_frame_reader_set_pass_events (SmileyFrameReader *self, gboolean pass);
void               smiley_frame_reader_set_accepted_flags (SmileyFrameReader *self, guint16 flags);
guint16            smiley_frame_reader_get_stream_flags (SmileyFrameReader *self);
const guint8      *smiley_frame_reader_get_encoded_events (SmileyFrameReader *self, gsize *length,
                                                           guint *n_events);
const guint32     *smiley_frame_reader_get_new_files (SmileyFrameReader *self, guint *n_files);
void       smiley_frame_reader_feed (SmileyFrameReader *self, const guint8 *data, gsize length);
guint8    *smiley_frame_reader_reserve (SmileyFrameReader *self, gsize length);
void       smiley_frame_reader_commit (SmileyFrameReader *self, gsize length);
void       smiley_frame_reader_lend (SmileyFrameReader *self, const guint8 *data, gsize length);
gsize      smiley_frame_reader_take_back (SmileyFrameReader *self);
gboolean   smiley_frame_reader_next (SmileyFrameReader *self, SmileyFrameMessage *message,
                                     SmileyBatch **batch, GError **error);
gboolean   smiley_frame_reader_finish (SmileyFrameReader *self, GError **error);
SmileyRun *smiley_frame_reader_get_run (SmileyFrameReader *self);
gsize      smiley_frame_reader_get_buffered (SmileyFrameReader *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SmileyFrameReader, smiley_frame_reader_free)

G_END_DECLS
