/* smiley-sink.h: where events go
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#pragma once

#if !defined(SMILEY_INSIDE) && !defined(SMILEY_COMPILATION)
#error "Only <smiley.h> can be included directly."
#endif

#include <gio/gio.h>

#include "smiley-batch.h"
#include "smiley-run.h"

G_BEGIN_DECLS

#define SMILEY_TYPE_SINK (smiley_sink_get_type ())
G_DECLARE_INTERFACE (SmileySink, smiley_sink, SMILEY, SINK, GObject)

/**
 * SmileySinkInterface:
 * @begin_run: a run starts; @run carries its metadata (id, argv, cwd, start
 *   time). Called once per run before any batch of it. A sink may see
 *   several runs interleaved (a listener serves many programs at once).
 * @push: a batch of events of a run that has begun. The batch is only
 *   borrowed: take a reference to keep it.
 * @end_run: the run is over; @run now has its end time, exit status, error,
 *   and (when the program lived to write them) its profile statistics.
 * @flush: make everything pushed so far durable or visible.
 * @push_encoded: optional. Events of a run that has begun as one or more
 *   whole EVENTS frames of the wire format (docs/wire-format.md), headers
 *   included, already validated, every string and thread they refer to
 *   defined in @run. A sink that writes the frame format anyway (the
 *   socket publisher) implements it to forward the events without having
 *   them decoded and encoded again (smiley_frame_writer_push_encoded());
 *   a source calls it only when smiley_sink_takes_encoded() says so. The
 *   bytes are only borrowed.
 * @takes_ring: optional. Whether the sink would take over the ring of
 *   @run (see @adopt_ring); without it, none is taken.
 * @adopt_ring: optional. @run, which has begun, is written by a tracer
 *   into a shared-memory ring (core/smiley-ring.h: every frame after
 *   RUN_BEGIN, the tracer's RUN_END included), and @ring_fd is its memfd.
 *   A sink that can have the ring drained where the events are going
 *   anyway (the socket publisher hands it to a listener on the same
 *   machine) takes it, so that they never pass through this process.
 *   From then on the source does not read the ring; once the producer
 *   is gone it concludes @run (smiley_run_conclude()) with how the
 *   process ended and calls end_run(), which succeeds only if whoever
 *   drained the ring took the whole run. The consumer counts the events
 *   it handed on in the ring's header. @ring_fd is only borrowed.
 *
 * A sink receives the events of one or more runs. Every vfunc reports
 * failure through @error; a sink that fails stops the pipeline, so the
 * failure must be one a user can act on.
 */
struct _SmileySinkInterface
{
  GTypeInterface g_iface;

  gboolean (*begin_run) (SmileySink *self, SmileyRun *run, GError **error);
  gboolean (*push) (SmileySink *self, SmileyRun *run, SmileyBatch *batch, GError **error);
  gboolean (*end_run) (SmileySink *self, SmileyRun *run, GError **error);
  gboolean (*flush) (SmileySink *self, GError **error);
  gboolean (*push_encoded) (SmileySink *self, SmileyRun *run, const guint8 *frames, gsize length,
                            guint n_events, GError **error);
  gboolean (*takes_ring) (SmileySink *self, SmileyRun *run);
  gboolean (*adopt_ring) (SmileySink *self, SmileyRun *run, int ring_fd, GError **error);

  /*< private >*/
  gpointer padding[5];
};

gboolean smiley_sink_begin_run (SmileySink *self, SmileyRun *run, GError **error);
gboolean smiley_sink_push (SmileySink *self, SmileyRun *run, SmileyBatch *batch, GError **error);
gboolean smiley_sink_end_run (SmileySink *self, SmileyRun *run, GError **error);
gboolean smiley_sink_flush (SmileySink *self, GError **error);
gboolean smiley_sink_takes_encoded (SmileySink *self);
gboolean smiley_sink_push_encoded (SmileySink *self, SmileyRun *run, const guint8 *frames,
                                   gsize length, guint n_events, GError **error);
gboolean smiley_sink_takes_ring (SmileySink *self, SmileyRun *run);
gboolean smiley_sink_adopt_ring (SmileySink *self, SmileyRun *run, int ring_fd, GError **error);

G_END_DECLS
