/* smiley-console-sink.h: the "console" sink
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#pragma once

#include <smiley.h>

G_BEGIN_DECLS

#define SMILEY_TYPE_CONSOLE_SINK (smiley_console_sink_get_type ())
G_DECLARE_FINAL_TYPE (SmileyConsoleSink, smiley_console_sink, SMILEY, CONSOLE_SINK, GObject)

G_END_DECLS
