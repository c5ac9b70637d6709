/* smiley-python-source.h: the "python" source, which runs and traces a
 * Python program
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#pragma once

#include <smiley.h>

G_BEGIN_DECLS

#define SMILEY_TYPE_PYTHON_SOURCE (smiley_python_source_get_type ())
G_DECLARE_FINAL_TYPE (SmileyPythonSource, smiley_python_source, SMILEY, PYTHON_SOURCE, GObject)

G_END_DECLS
