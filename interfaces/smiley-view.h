/* smiley-view.h: renders a run, or the whole store, for a person
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#pragma once

#if !defined(SMILEY_INSIDE) && !defined(SMILEY_COMPILATION)
#error "Only <smiley.h> can be included directly."
#endif

#include <gio/gio.h>

#include "smiley-store.h"

G_BEGIN_DECLS

#define SMILEY_TYPE_VIEW (smiley_view_get_type ())
G_DECLARE_INTERFACE (SmileyView, smiley_view, SMILEY, VIEW, GObject)

/**
 * SmileyViewInterface:
 * @render: render the run @run of @store (or the whole store when @run is
 *   %NULL, as the web server does) into @output. A view that serves (the
 *   web UI) returns only once @cancellable is cancelled. Options (sort
 *   order, limits, output format) are GObject properties set before.
 *
 * Views are the stats table, pstats export, call graph, Chrome trace
 * export, static HTML report and web server.
 */
struct _SmileyViewInterface
{
  GTypeInterface g_iface;

  gboolean (*render) (SmileyView *self, SmileyStore *store, SmileyRun *run, GOutputStream *output,
                      GCancellable *cancellable, GError **error);

  /*< private >*/
  gpointer padding[8];
};

gboolean smiley_view_render (SmileyView *self, SmileyStore *store, SmileyRun *run,
                             GOutputStream *output, GCancellable *cancellable, GError **error);

G_END_DECLS
