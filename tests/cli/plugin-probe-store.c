/* plugin-probe-store.c: a test store "test-probe" that only reports how the
 * command line opened it
 *
 * Every query fails with a message saying whether the construct-only
 * "read-only" property was set, which is how test-qa.py checks that the
 * read-only commands (list, replay, stats, export, report, server) ask
 * for a read-only store and delete and record do not.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley.h"

#define TEST_TYPE_PROBE_STORE (test_probe_store_get_type ())
G_DECLARE_FINAL_TYPE (TestProbeStore, test_probe_store, TEST, PROBE_STORE, GObject)

struct _TestProbeStore
{
  GObject  parent_instance;
  char    *location;
  gboolean read_only;
};

enum
{
  PROP_0,
  PROP_LOCATION,
  PROP_READ_ONLY,
};

static void
report (TestProbeStore *self, GError **error)
{
  g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_IO, "test-probe %s: read-only=%s",
               self->location, self->read_only ? "true" : "false");
}

static GPtrArray *
probe_list_runs (SmileyStore *store, GError **error)
{
  report (TEST_PROBE_STORE (store), error);
  return NULL;
}

static SmileyRun *
probe_get_run (SmileyStore *store, const char *run_id, GError **error)
{
  report (TEST_PROBE_STORE (store), error);
  return NULL;
}

static gboolean
probe_begin_run (SmileySink *sink, SmileyRun *run, GError **error)
{
  return TRUE;
}

static gboolean
probe_push (SmileySink *sink, SmileyRun *run, SmileyBatch *batch, GError **error)
{
  return TRUE;
}

static gboolean
probe_end_run (SmileySink *sink, SmileyRun *run, GError **error)
{
  return TRUE;
}

static gboolean
probe_flush (SmileySink *sink, GError **error)
{
  return TRUE;
}

static void
probe_sink_iface_init (SmileySinkInterface *iface)
{
  iface->begin_run = probe_begin_run;
  iface->push = probe_push;
  iface->end_run = probe_end_run;
  iface->flush = probe_flush;
}

static void
probe_store_iface_init (SmileyStoreInterface *iface)
{
  iface->list_runs = probe_list_runs;
  iface->get_run = probe_get_run;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (TestProbeStore, test_probe_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SMILEY_TYPE_SINK, probe_sink_iface_init)
                                   G_IMPLEMENT_INTERFACE (SMILEY_TYPE_STORE,
                                                          probe_store_iface_init))

static void
probe_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  TestProbeStore *self = TEST_PROBE_STORE (object);

  if (prop_id == PROP_LOCATION)
    g_value_set_string (value, self->location);
  else if (prop_id == PROP_READ_ONLY)
    g_value_set_boolean (value, self->read_only);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
probe_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  TestProbeStore *self = TEST_PROBE_STORE (object);

  if (prop_id == PROP_LOCATION)
    {
      g_free (self->location);
      self->location = g_value_dup_string (value);
    }
  else if (prop_id == PROP_READ_ONLY)
    self->read_only = g_value_get_boolean (value);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
probe_finalize (GObject *object)
{
  g_free (TEST_PROBE_STORE (object)->location);
  G_OBJECT_CLASS (test_probe_store_parent_class)->finalize (object);
}

static void
test_probe_store_class_init (TestProbeStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = probe_get_property;
  object_class->set_property = probe_set_property;
  object_class->finalize = probe_finalize;
  g_object_class_install_property (
      object_class, PROP_LOCATION,
      g_param_spec_string ("location", NULL, NULL, NULL,
                           G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (
      object_class, PROP_READ_ONLY,
      g_param_spec_boolean ("read-only", NULL, NULL, FALSE,
                            G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));
}

static void
test_probe_store_init (TestProbeStore *self)
{
}

static void
probe_register (SmileyPluginRegistry *registry)
{
  smiley_plugin_registry_register (registry, SMILEY_TYPE_STORE, "test-probe", TEST_TYPE_PROBE_STORE,
                                   "a test store reporting how it was opened");
}

SMILEY_PLUGIN_DEFINE (probe_register)
