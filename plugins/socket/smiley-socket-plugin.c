/* smiley-socket-plugin.c: the socket transport's module entry point
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include "smiley-socket-sink.h"
#include "smiley-socket-source.h"

static void
smiley_socket_register (SmileyPluginRegistry *registry)
{
  smiley_plugin_registry_register (
      registry, SMILEY_TYPE_SINK, "socket", SMILEY_TYPE_SOCKET_SINK,
      "publish runs to a listening 'smiley monitor' or 'smiley record'");
  smiley_plugin_registry_register (registry, SMILEY_TYPE_SOURCE, "socket",
                                   SMILEY_TYPE_SOCKET_SOURCE,
                                   "listen for runs published by 'smiley run'");
}

SMILEY_PLUGIN_DEFINE (smiley_socket_register)
