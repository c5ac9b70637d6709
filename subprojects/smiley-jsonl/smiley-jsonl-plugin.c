/* smiley-jsonl-plugin.c: what smiley calls when it loads smiley-jsonl.so
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-jsonl-sink.h"

static void
smiley_jsonl_register (SmileyPluginRegistry *registry)
{
  smiley_plugin_registry_register (registry, SMILEY_TYPE_SINK, "jsonl", SMILEY_TYPE_JSONL_SINK,
                                   "writes one JSON object per event to a file (example plugin)");
}

/* Exports smiley_plugin_abi_version and smiley_plugin_register. */
SMILEY_PLUGIN_DEFINE (smiley_jsonl_register)
