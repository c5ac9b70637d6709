/* smiley-socket-source.h: receives runs from publishing smileys
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#pragma once

#include <smiley.h>

G_BEGIN_DECLS

#define SMILEY_TYPE_SOCKET_SOURCE (smiley_socket_source_get_type ())
G_DECLARE_FINAL_TYPE (SmileySocketSource, smiley_socket_source, SMILEY, SOCKET_SOURCE, GObject)

G_END_DECLS
