/* smiley-source.c
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include "smiley.h"

G_DEFINE_INTERFACE (SmileySource, smiley_source, G_TYPE_OBJECT)

static int
smiley_source_real_get_exit_status (SmileySource *self)
{
  return 0;
}

static void
smiley_source_default_init (SmileySourceInterface *iface)
{
  iface->get_exit_status = smiley_source_real_get_exit_status;
}

/**
 * smiley_source_run:
 * @self: a source
 * @sink: where its events go
 * @cancellable: (nullable): stops the source early
 * @error: return location for a #GError
 *
 * Returns: %FALSE with @error set if the source or the sink failed
 */
gboolean
smiley_source_run (SmileySource *self, SmileySink *sink, GCancellable *cancellable, GError **error)
{
  g_return_val_if_fail (SMILEY_IS_SOURCE (self), FALSE);
  g_return_val_if_fail (SMILEY_IS_SINK (sink), FALSE);

  return SMILEY_SOURCE_GET_IFACE (self)->run (self, sink, cancellable, error);
}

/**
 * smiley_source_get_exit_status:
 * @self: a source whose run() returned
 *
 * Returns: the status the command should exit with
 */
int
smiley_source_get_exit_status (SmileySource *self)
{
  g_return_val_if_fail (SMILEY_IS_SOURCE (self), 1);

  return SMILEY_SOURCE_GET_IFACE (self)->get_exit_status (self);
}
