/* smiley-store-sqlite-plugin.c: the module's entry point
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include "smiley-sqlite-store.h"

static void
smiley_store_sqlite_register (SmileyPluginRegistry *registry)
{
  smiley_plugin_registry_register (
      registry, SMILEY_TYPE_STORE, "sqlite", SMILEY_TYPE_SQLITE_STORE,
      "runs in an SQLite database (sqlite:PATH; the default is smiley.db)");
}

SMILEY_PLUGIN_DEFINE (smiley_store_sqlite_register)
