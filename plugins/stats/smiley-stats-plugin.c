/* smiley-stats-plugin.c: registers the stats table view
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include "smiley-stats-view.h"

static void
smiley_stats_plugin_register (SmileyPluginRegistry *registry)
{
  smiley_plugin_registry_register (registry, SMILEY_TYPE_VIEW, "stats", SMILEY_TYPE_STATS_VIEW,
                                   "the profile of a run as a pstats-like table");
}

SMILEY_PLUGIN_DEFINE (smiley_stats_plugin_register)
