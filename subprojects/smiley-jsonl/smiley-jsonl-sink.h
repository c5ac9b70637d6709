/* smiley-jsonl-sink.h: the "jsonl" sink of the example plugin
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#pragma once

#include <smiley.h>

G_BEGIN_DECLS

#define SMILEY_TYPE_JSONL_SINK (smiley_jsonl_sink_get_type ())
G_DECLARE_FINAL_TYPE (SmileyJsonlSink, smiley_jsonl_sink, SMILEY, JSONL_SINK, GObject)

G_END_DECLS
