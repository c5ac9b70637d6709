/* test-pipeline.c: the built-in replay source and running a pipeline
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include "smiley.h"
#include "smiley-pipeline.h"
#include "smiley-store-replay.h"

/* What the objects below saw, in order: "init:store", "begin", … */
static GPtrArray *journal;

static void
note (const char *what)
{
  g_ptr_array_add (journal, g_strdup (what));
}

static char *
journal_text (void)
{
  g_ptr_array_add (journal, NULL);
  {
    char *text = g_strjoinv (" ", (char **)journal->pdata);
    g_ptr_array_remove_index (journal, journal->len - 1);
    return text;
  }
}

/* ---- an in-memory store with one run of N events ------------------------ */

#define TEST_TYPE_MEMORY_STORE (test_memory_store_get_type ())
G_DECLARE_FINAL_TYPE (TestMemoryStore, test_memory_store, TEST, MEMORY_STORE, GObject)

struct _TestMemoryStore
{
  GObject parent_instance;
  char   *location;
  guint   n_events;
  guint   fail_init;
};

static SmileyRun *
memory_make_run (void)
{
  SmileyRun *run = smiley_run_new ("feedface-0001");

  smiley_run_set_argv (run, (const char *const[]){ "x.py", NULL });
  smiley_run_intern (run, "/x.py");
  smiley_run_intern (run, "f");
  smiley_run_set_state (run, SMILEY_RUN_FINISHED);
  return run;
}

static GPtrArray *
memory_list_runs (SmileyStore *store, GError **error)
{
  GPtrArray *runs = g_ptr_array_new_with_free_func (g_object_unref);

  g_ptr_array_add (runs, memory_make_run ());
  return runs;
}

static SmileyRun *
memory_get_run (SmileyStore *store, const char *run_id, GError **error)
{
  if (!g_str_equal (run_id, "feedface-0001"))
    {
      g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NOT_FOUND, "no run %s", run_id);
      return NULL;
    }
  return memory_make_run ();
}

static SmileyBatch *
memory_get_events (SmileyStore *store, SmileyRun *run, int thread, guint64 offset, guint limit,
                   GError **error)
{
  TestMemoryStore *self = TEST_MEMORY_STORE (store);
  SmileyBatch     *batch = smiley_batch_new ();
  g_autofree char *what = g_strdup_printf ("get:%" G_GUINT64_FORMAT "+%u", offset, limit);

  note (what);
  g_assert_cmpint (thread, ==, -1);
  for (guint64 i = offset; i < self->n_events && i < offset + limit; i++)
    {
      SmileyEvent ev = {
        0,
      };

      ev.kind = SMILEY_EVENT_LINE;
      ev.thread = 1;
      ev.file = 1;
      ev.function = 2;
      ev.line = (guint32)i + 1;
      smiley_batch_add (batch, &ev);
    }
  return batch;
}

static gboolean
memory_begin (SmileySink *s, SmileyRun *r, GError **e)
{
  return TRUE;
}

static gboolean
memory_push (SmileySink *s, SmileyRun *r, SmileyBatch *b, GError **e)
{
  return TRUE;
}

static gboolean
memory_end (SmileySink *s, SmileyRun *r, GError **e)
{
  return TRUE;
}

static gboolean
memory_flush (SmileySink *s, GError **e)
{
  return TRUE;
}

static void
memory_sink_iface_init (SmileySinkInterface *iface)
{
  iface->begin_run = memory_begin;
  iface->push = memory_push;
  iface->end_run = memory_end;
  iface->flush = memory_flush;
}

static void
memory_store_iface_init (SmileyStoreInterface *iface)
{
  iface->list_runs = memory_list_runs;
  iface->get_run = memory_get_run;
  iface->get_events = memory_get_events;
}

static gboolean
memory_initable_init (GInitable *initable, GCancellable *cancellable, GError **error)
{
  note ("init:store");
  if (TEST_MEMORY_STORE (initable)->fail_init)
    {
      g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NOT_A_STORE, "not a store");
      return FALSE;
    }
  return TRUE;
}

static void
memory_initable_iface_init (GInitableIface *iface)
{
  iface->init = memory_initable_init;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (TestMemoryStore, test_memory_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SMILEY_TYPE_SINK, memory_sink_iface_init)
                                   G_IMPLEMENT_INTERFACE (SMILEY_TYPE_STORE,
                                                          memory_store_iface_init)
                                       G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                              memory_initable_iface_init))

enum
{
  MEM_PROP_0,
  MEM_LOCATION,
  MEM_N_EVENTS,
  MEM_FAIL_INIT
};

static void
test_memory_store_set_property (GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  TestMemoryStore *self = TEST_MEMORY_STORE (object);

  switch (id)
    {
    case MEM_LOCATION:
      g_free (self->location);
      self->location = g_value_dup_string (value);
      break;
    case MEM_N_EVENTS:
      self->n_events = g_value_get_uint (value);
      break;
    case MEM_FAIL_INIT:
      self->fail_init = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
    }
}

static void
test_memory_store_finalize (GObject *object)
{
  g_free (TEST_MEMORY_STORE (object)->location);
  G_OBJECT_CLASS (test_memory_store_parent_class)->finalize (object);
}

static void
test_memory_store_class_init (TestMemoryStoreClass *klass)
{
  GObjectClass *oc = G_OBJECT_CLASS (klass);
  GParamFlags   w = G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS;

  oc->set_property = test_memory_store_set_property;
  oc->finalize = test_memory_store_finalize;
  g_object_class_install_property (oc, MEM_LOCATION,
                                   g_param_spec_string ("location", NULL, NULL, NULL, w));
  g_object_class_install_property (oc, MEM_N_EVENTS,
                                   g_param_spec_uint ("n-events", NULL, NULL, 0, G_MAXUINT, 0, w));
  g_object_class_install_property (oc, MEM_FAIL_INIT,
                                   g_param_spec_boolean ("fail-init", NULL, NULL, FALSE, w));
}

static void
test_memory_store_init (TestMemoryStore *self)
{
}

/* ---- a sink that records what it gets ------------------------------------ */

#define TEST_TYPE_RECORDING_SINK (test_recording_sink_get_type ())
G_DECLARE_FINAL_TYPE (TestRecordingSink, test_recording_sink, TEST, RECORDING_SINK, GObject)

struct _TestRecordingSink
{
  GObject       parent_instance;
  guint         events;
  guint32       last_line;
  gboolean      in_order;
  GCancellable *cancel_on_push;
};

static gboolean
rec_begin (SmileySink *s, SmileyRun *r, GError **e)
{
  note ("begin");
  return TRUE;
}

static gboolean
rec_push (SmileySink *s, SmileyRun *r, SmileyBatch *b, GError **e)
{
  TestRecordingSink *self = TEST_RECORDING_SINK (s);
  g_autofree char   *what = g_strdup_printf ("push:%u", smiley_batch_get_length (b));

  note (what);
  for (guint i = 0; i < smiley_batch_get_length (b); i++)
    {
      const SmileyEvent *ev = smiley_batch_get_event (b, i);

      if (ev->line != self->last_line + 1)
        self->in_order = FALSE;
      self->last_line = ev->line;
      self->events++;
    }
  if (self->cancel_on_push != NULL)
    g_cancellable_cancel (self->cancel_on_push);
  return TRUE;
}

static gboolean
rec_end (SmileySink *s, SmileyRun *r, GError **e)
{
  note ("end");
  return TRUE;
}

static gboolean
rec_flush (SmileySink *s, GError **e)
{
  note ("flush");
  return TRUE;
}

static void
rec_sink_iface_init (SmileySinkInterface *iface)
{
  iface->begin_run = rec_begin;
  iface->push = rec_push;
  iface->end_run = rec_end;
  iface->flush = rec_flush;
}

static gboolean
rec_initable_init (GInitable *initable, GCancellable *cancellable, GError **error)
{
  note ("init:sink");
  return TRUE;
}

static void
rec_initable_iface_init (GInitableIface *iface)
{
  iface->init = rec_initable_init;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (TestRecordingSink, test_recording_sink, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SMILEY_TYPE_SINK, rec_sink_iface_init)
                                   G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE, rec_initable_iface_init))

static void
test_recording_sink_class_init (TestRecordingSinkClass *klass)
{
}

static void
test_recording_sink_init (TestRecordingSink *self)
{
  self->in_order = TRUE;
}

/* ---- a source that fails ------------------------------------------------- */

#define TEST_TYPE_FAILING_SOURCE (test_failing_source_get_type ())
G_DECLARE_FINAL_TYPE (TestFailingSource, test_failing_source, TEST, FAILING_SOURCE, GObject)
struct _TestFailingSource
{
  GObject parent_instance;
};

static gboolean
failing_run (SmileySource *source, SmileySink *sink, GCancellable *cancellable, GError **error)
{
  note ("run");
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE, "the program vanished");
  return FALSE;
}

static int
failing_exit_status (SmileySource *source)
{
  return 77;
}

static void
failing_source_iface_init (SmileySourceInterface *iface)
{
  iface->run = failing_run;
  iface->get_exit_status = failing_exit_status;
}

static gboolean
failing_initable_init (GInitable *initable, GCancellable *cancellable, GError **error)
{
  note ("init:source");
  return TRUE;
}

static void
failing_initable_iface_init (GInitableIface *iface)
{
  iface->init = failing_initable_init;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (TestFailingSource, test_failing_source, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SMILEY_TYPE_SOURCE, failing_source_iface_init)
                                   G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                          failing_initable_iface_init))

static void
test_failing_source_class_init (TestFailingSourceClass *klass)
{
}
static void
test_failing_source_init (TestFailingSource *self)
{
}

/* ---- tests --------------------------------------------------------------- */

static SmileyPluginRegistry *
make_registry (void)
{
  SmileyPluginRegistry *registry = smiley_plugin_registry_new ();

  smiley_plugin_registry_register (registry, SMILEY_TYPE_STORE, "memory", TEST_TYPE_MEMORY_STORE,
                                   "test");
  smiley_plugin_registry_register (registry, SMILEY_TYPE_SINK, "recording",
                                   TEST_TYPE_RECORDING_SINK, "test");
  smiley_plugin_registry_register (registry, SMILEY_TYPE_SOURCE, "failing",
                                   TEST_TYPE_FAILING_SOURCE, "test");
  return registry;
}

static void
setup_journal (void)
{
  g_clear_pointer (&journal, g_ptr_array_unref);
  journal = g_ptr_array_new_with_free_func (g_free);
}

/* A `replay` pipeline over the memory store, as `smiley replay` builds it. */
static SmileyPipeline *
replay_pipeline (SmileyPluginRegistry *registry, const char *run_id, const char *n_events)
{
  g_autoptr (GError) error = NULL;
  SmileyPipeline *pipeline = smiley_pipeline_new (registry);

  smiley_pipeline_set_role (pipeline, SMILEY_PIPELINE_SOURCE, "replay");
  smiley_pipeline_set_role (pipeline, SMILEY_PIPELINE_SINK, "recording");
  smiley_pipeline_set_role (pipeline, SMILEY_PIPELINE_STORE, "memory:somewhere");
  smiley_pipeline_add_setting (pipeline, SMILEY_SETTING_FLAG, "n-events", n_events, NULL);
  g_assert_true (smiley_pipeline_build (pipeline, &error));
  g_assert_no_error (error);
  g_object_set (smiley_pipeline_get_object (pipeline, SMILEY_PIPELINE_SOURCE), "store",
                smiley_pipeline_get_object (pipeline, SMILEY_PIPELINE_STORE), "run-id", run_id,
                NULL);
  g_assert_true (smiley_pipeline_initialize (pipeline, NULL, &error));
  g_assert_no_error (error);
  return pipeline;
}

static void
test_replay_pages (void)
{
  g_autoptr (SmileyPluginRegistry) registry = make_registry ();
  g_autoptr (SmileyPipeline) pipeline = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char   *text = NULL;
  TestRecordingSink *sink;

  setup_journal ();
  pipeline = replay_pipeline (registry, "feedface", "10000");
  g_assert_true (smiley_pipeline_run (pipeline, NULL, &error));
  g_assert_no_error (error);

  sink = smiley_pipeline_get_object (pipeline, SMILEY_PIPELINE_SINK);
  g_assert_cmpuint (sink->events, ==, 10000);
  g_assert_true (sink->in_order);
  text = journal_text ();
  g_assert_cmpstr (text, ==,
                   "init:store init:sink begin get:0+4096 push:4096 get:4096+4096 push:4096 "
                   "get:8192+4096 push:1808 get:10000+4096 end flush");
}

static void
test_replay_empty_run (void)
{
  g_autoptr (SmileyPluginRegistry) registry = make_registry ();
  g_autoptr (SmileyPipeline) pipeline = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;

  setup_journal ();
  pipeline = replay_pipeline (registry, "feedface-0001", "0");
  g_assert_true (smiley_pipeline_run (pipeline, NULL, &error));
  text = journal_text ();
  g_assert_cmpstr (text, ==, "init:store init:sink begin get:0+4096 end flush");
}

static void
test_replay_unknown_run (void)
{
  g_autoptr (SmileyPluginRegistry) registry = make_registry ();
  g_autoptr (SmileyPipeline) pipeline = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;

  setup_journal ();
  pipeline = replay_pipeline (registry, "deadbeef", "10");
  g_assert_false (smiley_pipeline_run (pipeline, NULL, &error));
  g_assert_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "no run with id 'deadbeef' (see 'smiley list')");
  /* The sink is flushed even so. */
  text = journal_text ();
  g_assert_cmpstr (text, ==, "init:store init:sink flush");
}

static void
test_replay_cancelled (void)
{
  g_autoptr (SmileyPluginRegistry) registry = make_registry ();
  g_autoptr (SmileyPipeline) pipeline = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;

  setup_journal ();
  pipeline = replay_pipeline (registry, "feedface", "10000");
  TEST_RECORDING_SINK (smiley_pipeline_get_object (pipeline, SMILEY_PIPELINE_SINK))->cancel_on_push
      = cancellable;
  g_assert_false (smiley_pipeline_run (pipeline, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  text = journal_text ();
  g_assert_cmpstr (text, ==, "init:store init:sink begin get:0+4096 push:4096 flush");
}

static void
test_replay_new (void)
{
  g_autoptr (TestMemoryStore) store = g_object_new (TEST_TYPE_MEMORY_STORE, "n-events", 3, NULL);
  g_autoptr (SmileyStoreReplay) replay
      = smiley_store_replay_new (SMILEY_STORE (store), "feedface-0001");
  g_autoptr (TestRecordingSink) sink = g_object_new (TEST_TYPE_RECORDING_SINK, NULL);
  g_autoptr (GError) error = NULL;

  setup_journal ();
  g_assert_true (smiley_source_run (SMILEY_SOURCE (replay), SMILEY_SINK (sink), NULL, &error));
  g_assert_cmpuint (sink->events, ==, 3);
  g_assert_cmpint (smiley_source_get_exit_status (SMILEY_SOURCE (replay)), ==, 0);
}

static void
test_init_order_and_failure (void)
{
  g_autoptr (SmileyPluginRegistry) registry = make_registry ();
  g_autoptr (SmileyPipeline) pipeline = smiley_pipeline_new (registry);
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;

  setup_journal ();
  smiley_pipeline_set_role (pipeline, SMILEY_PIPELINE_SOURCE, "failing");
  smiley_pipeline_set_role (pipeline, SMILEY_PIPELINE_SINK, "recording");
  smiley_pipeline_set_role (pipeline, SMILEY_PIPELINE_STORE, "memory:x");
  smiley_pipeline_add_setting (pipeline, SMILEY_SETTING_FLAG, "fail-init", "yes", NULL);
  g_assert_true (smiley_pipeline_build (pipeline, &error));
  /* A store that cannot open stops everything before the source starts. */
  g_assert_false (smiley_pipeline_initialize (pipeline, NULL, &error));
  g_assert_cmpstr (error->message, ==, "not a store");
  text = journal_text ();
  g_assert_cmpstr (text, ==, "init:store");
}

static void
test_source_failure_still_flushes (void)
{
  g_autoptr (SmileyPluginRegistry) registry = make_registry ();
  g_autoptr (SmileyPipeline) pipeline = smiley_pipeline_new (registry);
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;

  setup_journal ();
  smiley_pipeline_set_role (pipeline, SMILEY_PIPELINE_SOURCE, "failing");
  smiley_pipeline_set_role (pipeline, SMILEY_PIPELINE_SINK, "recording");
  g_assert_true (smiley_pipeline_build (pipeline, &error));
  g_assert_true (smiley_pipeline_initialize (pipeline, NULL, &error));
  g_assert_false (smiley_pipeline_run (pipeline, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE);
  g_assert_cmpint (
      smiley_source_get_exit_status (smiley_pipeline_get_object (pipeline, SMILEY_PIPELINE_SOURCE)),
      ==, 77);
  text = journal_text ();
  g_assert_cmpstr (text, ==, "init:sink init:source run flush");
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/smiley/pipeline/replay-pages", test_replay_pages);
  g_test_add_func ("/smiley/pipeline/replay-empty-run", test_replay_empty_run);
  g_test_add_func ("/smiley/pipeline/replay-unknown-run", test_replay_unknown_run);
  g_test_add_func ("/smiley/pipeline/replay-cancelled", test_replay_cancelled);
  g_test_add_func ("/smiley/pipeline/replay-new", test_replay_new);
  g_test_add_func ("/smiley/pipeline/init-order-and-failure", test_init_order_and_failure);
  g_test_add_func ("/smiley/pipeline/source-failure-still-flushes",
                   test_source_failure_still_flushes);

  status = g_test_run ();
  g_clear_pointer (&journal, g_ptr_array_unref);
  return status;
}
