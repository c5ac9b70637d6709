/* plugin-good.c: a well-formed test plugin providing sink "test-good"
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley.h"

#define TEST_TYPE_GOOD_SINK (test_good_sink_get_type ())
G_DECLARE_FINAL_TYPE (TestGoodSink, test_good_sink, TEST, GOOD_SINK, GObject)

struct _TestGoodSink
{
  GObject parent_instance;
};

static gboolean
good_begin_run (SmileySink *sink, SmileyRun *run, GError **error)
{
  return TRUE;
}

static gboolean
good_push (SmileySink *sink, SmileyRun *run, SmileyBatch *batch, GError **error)
{
  return TRUE;
}

static gboolean
good_end_run (SmileySink *sink, SmileyRun *run, GError **error)
{
  return TRUE;
}

static gboolean
good_flush (SmileySink *sink, GError **error)
{
  return TRUE;
}

static void
good_sink_iface_init (SmileySinkInterface *iface)
{
  iface->begin_run = good_begin_run;
  iface->push = good_push;
  iface->end_run = good_end_run;
  iface->flush = good_flush;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (TestGoodSink, test_good_sink, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SMILEY_TYPE_SINK, good_sink_iface_init))

static void
test_good_sink_class_init (TestGoodSinkClass *klass)
{
}

static void
test_good_sink_init (TestGoodSink *self)
{
}

static void
good_register (SmileyPluginRegistry *registry)
{
  smiley_plugin_registry_register (registry, SMILEY_TYPE_SINK, "test-good", TEST_TYPE_GOOD_SINK,
                                   "a test sink that accepts everything");
}

SMILEY_PLUGIN_DEFINE (good_register)
