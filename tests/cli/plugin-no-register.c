/* plugin-no-register.c: right ABI symbol, no register function (a broken
 * fixture)
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley.h"

G_MODULE_EXPORT const guint32 smiley_plugin_abi_version = SMILEY_PLUGIN_ABI_VERSION;
