/* smiley-tracer-python-plugin.c: the module that provides the "python"
 * source
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include "smiley-python-source.h"

static void
smiley_tracer_python_register (SmileyPluginRegistry *registry)
{
  smiley_plugin_registry_register (registry, SMILEY_TYPE_SOURCE, "python",
                                   SMILEY_TYPE_PYTHON_SOURCE,
                                   "runs a Python program in python3 and records what it does");
}

SMILEY_PLUGIN_DEFINE (smiley_tracer_python_register)
