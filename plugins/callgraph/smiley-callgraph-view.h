/* smiley-callgraph-view.h: a run's profile as a call graph picture
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#pragma once

#include <smiley.h>

G_BEGIN_DECLS

#define SMILEY_TYPE_CALLGRAPH_VIEW (smiley_callgraph_view_get_type ())
G_DECLARE_FINAL_TYPE (SmileyCallgraphView, smiley_callgraph_view, SMILEY, CALLGRAPH_VIEW, GObject)

SmileyCallgraphView *smiley_callgraph_view_new (void);

G_END_DECLS
