/* smiley-console-plugin.c: the module that provides the "console" sink
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include "smiley-console-sink.h"

static void
smiley_console_register (SmileyPluginRegistry *registry)
{
  smiley_plugin_registry_register (registry, SMILEY_TYPE_SINK, "console", SMILEY_TYPE_CONSOLE_SINK,
                                   "prints events as text (smiley monitor's format)");
}

SMILEY_PLUGIN_DEFINE (smiley_console_register)
