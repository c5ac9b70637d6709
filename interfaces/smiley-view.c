/* smiley-view.c
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include "smiley.h"

G_DEFINE_INTERFACE (SmileyView, smiley_view, G_TYPE_OBJECT)

static void
smiley_view_default_init (SmileyViewInterface *iface)
{
}

/**
 * smiley_view_render:
 * @self: a view
 * @store: the store to read from
 * @run: (nullable): the run to render, or %NULL for the whole store
 * @output: where the rendering goes
 * @cancellable: (nullable): stops a long rendering or a server
 * @error: return location for a #GError
 *
 * Returns: %FALSE with @error set on failure
 */
gboolean
smiley_view_render (SmileyView *self, SmileyStore *store, SmileyRun *run, GOutputStream *output,
                    GCancellable *cancellable, GError **error)
{
  g_return_val_if_fail (SMILEY_IS_VIEW (self), FALSE);
  g_return_val_if_fail (SMILEY_IS_STORE (store), FALSE);
  g_return_val_if_fail (run == NULL || SMILEY_IS_RUN (run), FALSE);

  return SMILEY_VIEW_GET_IFACE (self)->render (self, store, run, output, cancellable, error);
}
