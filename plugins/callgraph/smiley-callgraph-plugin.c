/* smiley-callgraph-plugin.c: registers the call graph view
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include "smiley-callgraph-view.h"

static void
smiley_callgraph_plugin_register (SmileyPluginRegistry *registry)
{
  smiley_plugin_registry_register (
      registry, SMILEY_TYPE_VIEW, "callgraph", SMILEY_TYPE_CALLGRAPH_VIEW,
      "the profile of a run as a call graph (graphviz: svg, png, dot)");
}

SMILEY_PLUGIN_DEFINE (smiley_callgraph_plugin_register)
