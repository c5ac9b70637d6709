/* smiley-socket-sink.h: publishes runs to a listening smiley
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#pragma once

#include <smiley.h>

G_BEGIN_DECLS

#define SMILEY_TYPE_SOCKET_SINK (smiley_socket_sink_get_type ())
G_DECLARE_FINAL_TYPE (SmileySocketSink, smiley_socket_sink, SMILEY, SOCKET_SINK, GObject)

G_END_DECLS
