/* smiley-null-sink.h: the "null" sink
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#pragma once

#include <smiley.h>

G_BEGIN_DECLS

#define SMILEY_TYPE_NULL_SINK (smiley_null_sink_get_type ())
G_DECLARE_FINAL_TYPE (SmileyNullSink, smiley_null_sink, SMILEY, NULL_SINK, GObject)

G_END_DECLS
