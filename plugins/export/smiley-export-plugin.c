/* smiley-export-plugin.c: registers the trace export views
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include "smiley-chrome-view.h"
#include "smiley-jsonl-view.h"

static void
smiley_export_plugin_register (SmileyPluginRegistry *registry)
{
  smiley_plugin_registry_register (
      registry, SMILEY_TYPE_VIEW, "chrome", SMILEY_TYPE_CHROME_VIEW,
      "a run as Chrome Trace Event JSON for Perfetto and chrome://tracing");
  smiley_plugin_registry_register (registry, SMILEY_TYPE_VIEW, "jsonl", SMILEY_TYPE_JSONL_VIEW,
                                   "a run's events as JSON lines, one event per line");
}

SMILEY_PLUGIN_DEFINE (smiley_export_plugin_register)
