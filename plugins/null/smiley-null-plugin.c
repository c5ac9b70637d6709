/* smiley-null-plugin.c: the module that provides the "null" sink
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include "smiley-null-sink.h"

static void
smiley_null_register (SmileyPluginRegistry *registry)
{
  smiley_plugin_registry_register (registry, SMILEY_TYPE_SINK, "null", SMILEY_TYPE_NULL_SINK,
                                   "discards events, counting them (for benchmarks)");
}

SMILEY_PLUGIN_DEFINE (smiley_null_register)
