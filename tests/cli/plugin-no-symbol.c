/* plugin-no-symbol.c: a shared object named like a plugin that does not
 * export smiley_plugin_abi_version (a broken fixture)
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include <gmodule.h>

G_MODULE_EXPORT int not_a_smiley_plugin (void);

G_MODULE_EXPORT int
not_a_smiley_plugin (void)
{
  return 42;
}
