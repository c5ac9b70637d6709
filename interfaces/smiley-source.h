/* smiley-source.h: where events come from
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#pragma once

#if !defined(SMILEY_INSIDE) && !defined(SMILEY_COMPILATION)
#error "Only <smiley.h> can be included directly."
#endif

#include <gio/gio.h>

#include "smiley-sink.h"

G_BEGIN_DECLS

#define SMILEY_TYPE_SOURCE (smiley_source_get_type ())
G_DECLARE_INTERFACE (SmileySource, smiley_source, SMILEY, SOURCE, GObject)

/**
 * SmileySourceInterface:
 * @run: produce events into @sink until the source is exhausted (the
 *   traced program ended, the replayed run is complete) or @cancellable is
 *   cancelled. Calls smiley_sink_begin_run(), smiley_sink_push() and
 *   smiley_sink_end_run() on @sink for every run it produces.
 * @get_exit_status: the status the command should exit with once run()
 *   returned (the traced program's, as a shell would show it). Optional;
 *   the default is 0.
 *
 * A source is configured through its GObject properties before run().
 */
struct _SmileySourceInterface
{
  GTypeInterface g_iface;

  gboolean (*run) (SmileySource *self, SmileySink *sink, GCancellable *cancellable, GError **error);
  int (*get_exit_status) (SmileySource *self);

  /*< private >*/
  gpointer padding[8];
};

gboolean smiley_source_run (SmileySource *self, SmileySink *sink, GCancellable *cancellable,
                            GError **error);
int      smiley_source_get_exit_status (SmileySource *self);

G_END_DECLS
