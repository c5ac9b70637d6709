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

/**
 * smiley_sink_takes_ring:
 * @self: a sink
 * @run: a run that has begun on @self
 *
 * Whether @self would take over the shared-memory ring the tracer writes
 * @run into (smiley_sink_adopt_ring()).
 *
 * Returns: %TRUE if it would
 */
gboolean
smiley_sink_takes_ring (SmileySink *self, SmileyRun *run)
{
  SmileySinkInterface *iface;

  g_return_val_if_fail (SMILEY_IS_SINK (self), FALSE);
  g_return_val_if_fail (SMILEY_IS_RUN (run), FALSE);

  iface = SMILEY_SINK_GET_IFACE (self);
  return iface->takes_ring != NULL && iface->adopt_ring != NULL && iface->takes_ring (self, run);
}

/**
 * smiley_sink_adopt_ring:
 * @self: a sink that takes the ring (smiley_sink_takes_ring())
 * @run: the run the ring carries, begun on @self, nothing pushed yet
 * @ring_fd: the ring's memfd (core/smiley-ring.h), sealed against
 *   shrinking; only borrowed
 * @error: return location for a #GError
 *
 * Hands the draining of @run's ring to @self. See
 * #SmileySinkInterface.adopt_ring for what the caller does afterwards.
 *
 * Returns: %FALSE with @error set if the ring could not be handed over;
 *   the run cannot be recorded then
 */
gboolean
smiley_sink_adopt_ring (SmileySink *self, SmileyRun *run, int ring_fd, GError **error)
{
  g_return_val_if_fail (SMILEY_IS_SINK (self), FALSE);
  g_return_val_if_fail (SMILEY_IS_RUN (run), FALSE);
  g_return_val_if_fail (ring_fd >= 0, FALSE);
  g_return_val_if_fail (SMILEY_SINK_GET_IFACE (self)->adopt_ring != NULL, FALSE);

  return SMILEY_SINK_GET_IFACE (self)->adopt_ring (self, run, ring_fd, error);
}
