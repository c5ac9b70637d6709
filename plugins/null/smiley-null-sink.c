/* smiley-null-sink.c: discards events, counting them
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include "smiley-null-sink.h"

/* What the benchmarks measure the tracer against: a sink that costs
 * nothing, but still counts, so a test can check nothing was lost. */

struct _SmileyNullSink
{
  GObject parent_instance;

  guint64 events;
  guint   runs;
};

enum
{
  PROP_0,
  PROP_EVENTS,
  PROP_RUNS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void smiley_null_sink_sink_iface_init (SmileySinkInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SmileyNullSink, smiley_null_sink, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SMILEY_TYPE_SINK,
                                                      smiley_null_sink_sink_iface_init))

static gboolean
smiley_null_sink_begin_run (SmileySink *sink, SmileyRun *run, GError **error)
{
  SMILEY_NULL_SINK (sink)->runs++;
  return TRUE;
}

static gboolean
smiley_null_sink_push (SmileySink *sink, SmileyRun *run, SmileyBatch *batch, GError **error)
{
  SMILEY_NULL_SINK (sink)->events += smiley_batch_get_length (batch);
  return TRUE;
}

static gboolean
smiley_null_sink_end_run (SmileySink *sink, SmileyRun *run, GError **error)
{
  return TRUE;
}

static gboolean
smiley_null_sink_flush (SmileySink *sink, GError **error)
{
  return TRUE;
}

static void
smiley_null_sink_sink_iface_init (SmileySinkInterface *iface)
{
  iface->begin_run = smiley_null_sink_begin_run;
  iface->push = smiley_null_sink_push;
  iface->end_run = smiley_null_sink_end_run;
  iface->flush = smiley_null_sink_flush;
}

static void
smiley_null_sink_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SmileyNullSink *self = SMILEY_NULL_SINK (object);

  switch (prop_id)
    {
    case PROP_EVENTS:
      g_value_set_uint64 (value, self->events);
      break;
    case PROP_RUNS:
      g_value_set_uint (value, self->runs);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
smiley_null_sink_class_init (SmileyNullSinkClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = smiley_null_sink_get_property;

  properties[PROP_EVENTS] = g_param_spec_uint64 ("events", NULL, "events received", 0, G_MAXUINT64,
                                                 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_RUNS] = g_param_spec_uint ("runs", NULL, "runs begun", 0, G_MAXUINT, 0,
                                             G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
smiley_null_sink_init (SmileyNullSink *self)
{
}
