/* smiley-ring-consumer.h: hands the frames of a tracer's ring to a sink
 *
 * SPDX-License-Identifier: Apache-2.0
 *
 * Not installed: shared by the python source, which drains the ring of
 * the program it runs, and the socket listener, which drains a ring that
 * `smiley run` handed it (docs/transport.md).
 */
#pragma once

#include "smiley.h"
#include "smiley-ring.h"

G_BEGIN_DECLS

typedef struct _SmileyRingConsumer SmileyRingConsumer;

SmileyRingConsumer *smiley_ring_consumer_new (SmileyRing *ring, GBytes *begin, const char *cwd,
                                              SmileySink *sink, GError **error);
void                smiley_ring_consumer_free (SmileyRingConsumer *self);
SmileyRun          *smiley_ring_consumer_get_run (SmileyRingConsumer *self);
guint64             smiley_ring_consumer_drain (SmileyRingConsumer *self, guint64 budget);
void                smiley_ring_consumer_run (SmileyRingConsumer *self, const gint *producer_gone);
gboolean            smiley_ring_consumer_got_end (SmileyRingConsumer *self);
const GError       *smiley_ring_consumer_get_error (SmileyRingConsumer *self, gboolean *from_sink);
GError             *smiley_ring_consumer_steal_error (SmileyRingConsumer *self);

SmileyRing *smiley_ring_open (int fd, GError **error);
void        smiley_ring_free (SmileyRing *ring);

void smiley_run_conclude (SmileyRun *run, gboolean got_end, int exit_status, int signum,
                          guint64 events_emitted);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SmileyRingConsumer, smiley_ring_consumer_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SmileyRing, smiley_ring_free)

G_END_DECLS
