/* smiley-callgraph.h: a profile as a call graph, drawn with graphviz
 *
 * The call graph view and the web UI both draw graphs with this; link
 * with `smiley_callgraph_dep` (plugins/callgraph/meson.build).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#pragma once

#include <smiley.h>

G_BEGIN_DECLS

/** SMILEY_CALLGRAPH_DEFAULT_NODE_THRESHOLD: percent of total time below which a function is left
 * out (as gprof2dot) */
#define SMILEY_CALLGRAPH_DEFAULT_NODE_THRESHOLD 0.5
/** SMILEY_CALLGRAPH_DEFAULT_EDGE_THRESHOLD: percent of total time below which a call edge is left
 * out (as gprof2dot) */
#define SMILEY_CALLGRAPH_DEFAULT_EDGE_THRESHOLD 0.1

#define SMILEY_CALLGRAPH_ERROR (smiley_callgraph_error_quark ())

/**
 * SmileyCallgraphError:
 * @SMILEY_CALLGRAPH_ERROR_FORMAT: the output format is not one graphviz
 *   can produce here
 * @SMILEY_CALLGRAPH_ERROR_THRESHOLD: a threshold is not a percentage
 * @SMILEY_CALLGRAPH_ERROR_RENDER: graphviz failed to lay out or render
 */
typedef enum
{
  SMILEY_CALLGRAPH_ERROR_FORMAT,
  SMILEY_CALLGRAPH_ERROR_THRESHOLD,
  SMILEY_CALLGRAPH_ERROR_RENDER,
} SmileyCallgraphError;

GQuark smiley_callgraph_error_quark (void);

GBytes *smiley_callgraph_render (SmileyStats *stats, const char *format, double node_threshold,
                                 double edge_threshold, GError **error);

G_END_DECLS
