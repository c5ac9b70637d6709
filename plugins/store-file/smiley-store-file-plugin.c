/* smiley-store-file-plugin.c: the module's entry point
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include "smiley-file-store.h"

static void
smiley_store_file_register (SmileyPluginRegistry *registry)
{
  smiley_plugin_registry_register (registry, SMILEY_TYPE_STORE, "file", SMILEY_TYPE_FILE_STORE,
                                   "runs as append-only frame logs in a directory (file:DIR)");
}

SMILEY_PLUGIN_DEFINE (smiley_store_file_register)
