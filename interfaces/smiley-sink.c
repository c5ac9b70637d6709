/* smiley-sink.c
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include "smiley.h"

G_DEFINE_INTERFACE (SmileySink, smiley_sink, G_TYPE_OBJECT)

static gboolean
smiley_sink_real_flush (SmileySink *self, GError **error)
{
  return TRUE;
}

static void
smiley_sink_default_init (SmileySinkInterface *iface)
{
  iface->flush = smiley_sink_real_flush;
}

/**
 * smiley_sink_begin_run:
 * @self: a sink
 * @run: the run that starts
 * @error: return location for a #GError
 *
 * Returns: %FALSE with @error set if the sink cannot take the run
 */
gboolean
smiley_sink_begin_run (SmileySink *self, SmileyRun *run, GError **error)
{
  g_return_val_if_fail (SMILEY_IS_SINK (self), FALSE);
  g_return_val_if_fail (SMILEY_IS_RUN (run), FALSE);

  return SMILEY_SINK_GET_IFACE (self)->begin_run (self, run, error);
}

/**
 * smiley_sink_push:
 * @self: a sink
 * @run: the run the events belong to, begun on this sink
 * @batch: (transfer none): the events
 * @error: return location for a #GError
 *
 * Returns: %FALSE with @error set if the events could not be taken
 */
gboolean
smiley_sink_push (SmileySink *self, SmileyRun *run, SmileyBatch *batch, GError **error)
{
  g_return_val_if_fail (SMILEY_IS_SINK (self), FALSE);
  g_return_val_if_fail (SMILEY_IS_RUN (run), FALSE);
  g_return_val_if_fail (batch != NULL, FALSE);

  return SMILEY_SINK_GET_IFACE (self)->push (self, run, batch, error);
}

/**
 * smiley_sink_end_run:
 * @self: a sink
 * @run: the run that ended, with its end data set
 * @error: return location for a #GError
 *
 * Returns: %FALSE with @error set if the end could not be recorded
 */
gboolean
smiley_sink_end_run (SmileySink *self, SmileyRun *run, GError **error)
{
  g_return_val_if_fail (SMILEY_IS_SINK (self), FALSE);
  g_return_val_if_fail (SMILEY_IS_RUN (run), FALSE);

  return SMILEY_SINK_GET_IFACE (self)->end_run (self, run, error);
}

/**
 * smiley_sink_flush:
 * @self: a sink
 * @error: return location for a #GError
 *
 * Returns: %FALSE with @error set if buffered events could not be written
 */
gboolean
smiley_sink_flush (SmileySink *self, GError **error)
{
  g_return_val_if_fail (SMILEY_IS_SINK (self), FALSE);

  return SMILEY_SINK_GET_IFACE (self)->flush (self, error);
}

/**
 * smiley_sink_takes_encoded:
 * @self: a sink
 *
 * Whether @self takes events as encoded frames
 * (smiley_sink_push_encoded()), which spares a source that has them in the
 * frame format decoding them.
 *
 * Returns: %TRUE if the sink implements push_encoded
 */
gboolean
smiley_sink_takes_encoded (SmileySink *self)
{
  g_return_val_if_fail (SMILEY_IS_SINK (self), FALSE);

  return SMILEY_SINK_GET_IFACE (self)->push_encoded != NULL;
}

/**
 * smiley_sink_push_encoded:
 * @self: a sink that takes encoded events (smiley_sink_takes_encoded())
 * @run: the run the events belong to, begun on this sink, whose tables
 *   define every string and thread the frames refer to
 * @frames: (array length=length): whole, valid EVENTS frames
 * @length: their size in bytes
 * @n_events: how many events they hold
 * @error: return location for a #GError
 *
 * Returns: %FALSE with @error set if the events could not be taken
 */
gboolean
smiley_sink_push_encoded (SmileySink *self, SmileyRun *run, const guint8 *frames, gsize length,
                          guint n_events, GError **error)
{
  g_return_val_if_fail (SMILEY_IS_SINK (self), FALSE);
  g_return_val_if_fail (SMILEY_IS_RUN (run), FALSE);
  g_return_val_if_fail (frames != NULL || length == 0, FALSE);
  g_return_val_if_fail (smiley_sink_takes_encoded (self), FALSE);

  return SMILEY_SINK_GET_IFACE (self)->push_encoded (self, run, frames, length, n_events, error);
}
