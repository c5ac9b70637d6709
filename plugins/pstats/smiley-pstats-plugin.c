/* smiley-pstats-plugin.c: registers the pstats export view
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include "smiley-pstats-view.h"

static void
smiley_pstats_plugin_register (SmileyPluginRegistry *registry)
{
  smiley_plugin_registry_register (registry, SMILEY_TYPE_VIEW, "pstats", SMILEY_TYPE_PSTATS_VIEW,
                                   "the profile of a run as a file `python3 -m pstats` reads");
}

SMILEY_PLUGIN_DEFINE (smiley_pstats_plugin_register)
