/* plugin-wrong-abi.c: a plugin built for another plugin ABI (a broken
 * fixture): it must be refused before its register function runs
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include <stdlib.h>

#include "smiley.h"

G_MODULE_EXPORT const guint32 smiley_plugin_abi_version = SMILEY_PLUGIN_ABI_VERSION + 1000;
G_MODULE_EXPORT void          smiley_plugin_register (SmileyPluginRegistry *registry);

G_MODULE_EXPORT void
smiley_plugin_register (SmileyPluginRegistry *registry)
{
  /* Reaching this is the bug the test looks for. */
  abort ();
}
