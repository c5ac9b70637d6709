/* smiley-queue-sink.h: hands batches to another sink on a thread of its own
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#pragma once

#include "smiley.h"

G_BEGIN_DECLS

#define SMILEY_TYPE_QUEUE_SINK (smiley_queue_sink_get_type ())
G_DECLARE_FINAL_TYPE (SmileyQueueSink, smiley_queue_sink, SMILEY, QUEUE_SINK, GObject)

SmileySink *smiley_queue_sink_new (SmileySink *target, gsize max_queued_bytes);

G_END_DECLS
