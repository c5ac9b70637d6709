/* test-config.c: configuration file and settings precedence
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include <glib/gstdio.h>

#include "smiley.h"
#include "smiley-config.h"
#include "smiley-pipeline.h"

/* Small objects with one property of every kind the configuration can
 * set, registered under the names the real plugins use. */

/* ---- a source ---------------------------------------------------------- */

#define TEST_TYPE_SOURCE (test_source_get_type ())
G_DECLARE_FINAL_TYPE (TestSource, test_source, TEST, SOURCE, GObject)

struct _TestSource
{
  GObject  parent_instance;
  GStrv    argv;
  gboolean include_stdlib;
  gboolean include_site_packages;
  guint    repr_limit;
  gint64   offset;
  double   ratio;
  char    *python;
  char    *endpoint;
};

enum
{
  SRC_PROP_0,
  SRC_ARGV,
  SRC_STDLIB,
  SRC_SITE,
  SRC_LIMIT,
  SRC_OFFSET,
  SRC_RATIO,
  SRC_PYTHON,
  SRC_EMITTED,
  SRC_ENDPOINT,
  SRC_N
};

static gboolean
test_source_run (SmileySource *source, SmileySink *sink, GCancellable *cancellable, GError **error)
{
  return TRUE;
}

static void
test_source_iface_init (SmileySourceInterface *iface)
{
  iface->run = test_source_run;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (TestSource, test_source, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SMILEY_TYPE_SOURCE, test_source_iface_init))

static void
test_source_set_property (GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  TestSource *self = TEST_SOURCE (object);

  switch (id)
    {
    case SRC_ARGV:
      g_strfreev (self->argv);
      self->argv = g_value_dup_boxed (value);
      break;
    case SRC_STDLIB:
      self->include_stdlib = g_value_get_boolean (value);
      break;
    case SRC_SITE:
      self->include_site_packages = g_value_get_boolean (value);
      break;
    case SRC_LIMIT:
      self->repr_limit = g_value_get_uint (value);
      break;
    case SRC_OFFSET:
      self->offset = g_value_get_int64 (value);
      break;
    case SRC_RATIO:
      self->ratio = g_value_get_double (value);
      break;
    case SRC_PYTHON:
      g_free (self->python);
      self->python = g_value_dup_string (value);
      break;
    case SRC_ENDPOINT:
      g_free (self->endpoint);
      self->endpoint = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
    }
}

static void
test_source_get_property (GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  switch (id)
    {
    case SRC_EMITTED:
      g_value_set_uint64 (value, 7);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
    }
}

static void
test_source_finalize (GObject *object)
{
  TestSource *self = TEST_SOURCE (object);

  g_strfreev (self->argv);
  g_free (self->python);
  g_free (self->endpoint);
  G_OBJECT_CLASS (test_source_parent_class)->finalize (object);
}

static void
test_source_class_init (TestSourceClass *klass)
{
  GObjectClass *oc = G_OBJECT_CLASS (klass);
  GParamFlags   rw = G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS;

  oc->set_property = test_source_set_property;
  oc->get_property = test_source_get_property;
  oc->finalize = test_source_finalize;
  g_object_class_install_property (oc, SRC_ARGV,
                                   g_param_spec_boxed ("argv", NULL, NULL, G_TYPE_STRV, rw));
  g_object_class_install_property (oc, SRC_STDLIB,
                                   g_param_spec_boolean ("include-stdlib", NULL, NULL, FALSE, rw));
  g_object_class_install_property (
      oc, SRC_SITE, g_param_spec_boolean ("include-site-packages", NULL, NULL, TRUE, rw));
  g_object_class_install_property (oc, SRC_LIMIT,
                                   g_param_spec_uint ("repr-limit", NULL, NULL, 8, 4096, 256, rw));
  g_object_class_install_property (oc, SRC_OFFSET,
                                   g_param_spec_int64 ("offset", NULL, NULL, -10, 10, 0, rw));
  g_object_class_install_property (oc, SRC_RATIO,
                                   g_param_spec_double ("ratio", NULL, NULL, 0, 100, 1, rw));
  g_object_class_install_property (oc, SRC_PYTHON,
                                   g_param_spec_string ("python", NULL, NULL, NULL, rw));
  g_object_class_install_property (oc, SRC_ENDPOINT,
                                   g_param_spec_string ("endpoint", NULL, NULL, NULL, rw));
  g_object_class_install_property (oc, SRC_EMITTED,
                                   g_param_spec_uint64 ("events-emitted", NULL, NULL, 0,
                                                        G_MAXUINT64, 0,
                                                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
}

static void
test_source_init (TestSource *self)
{
  self->include_site_packages = TRUE;
  self->repr_limit = 256;
  self->ratio = 1;
}

/* ---- a sink ------------------------------------------------------------ */

#define TEST_TYPE_SINK (test_sink_get_type ())
G_DECLARE_FINAL_TYPE (TestSink, test_sink, TEST, SINK, GObject)

struct _TestSink
{
  GObject parent_instance;
  char   *color;
  char   *stream;
};

enum
{
  SINK_PROP_0,
  SINK_COLOR,
  SINK_STREAM
};

static gboolean
sink_begin (SmileySink *s, SmileyRun *r, GError **e)
{
  return TRUE;
}
static gboolean
sink_push (SmileySink *s, SmileyRun *r, SmileyBatch *b, GError **e)
{
  return TRUE;
}
static gboolean
sink_end (SmileySink *s, SmileyRun *r, GError **e)
{
  return TRUE;
}
static gboolean
sink_flush (SmileySink *s, GError **e)
{
  return TRUE;
}

static void
test_sink_iface_init (SmileySinkInterface *iface)
{
  iface->begin_run = sink_begin;
  iface->push = sink_push;
  iface->end_run = sink_end;
  iface->flush = sink_flush;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (TestSink, test_sink, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SMILEY_TYPE_SINK, test_sink_iface_init))

static void
test_sink_set_property (GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  TestSink *self = TEST_SINK (object);

  switch (id)
    {
    case SINK_COLOR:
      g_free (self->color);
      self->color = g_value_dup_string (value);
      break;
    case SINK_STREAM:
      g_free (self->stream);
      self->stream = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
    }
}

static void
test_sink_finalize (GObject *object)
{
  TestSink *self = TEST_SINK (object);

  g_free (self->color);
  g_free (self->stream);
  G_OBJECT_CLASS (test_sink_parent_class)->finalize (object);
}

static void
test_sink_class_init (TestSinkClass *klass)
{
  GObjectClass *oc = G_OBJECT_CLASS (klass);
  GParamFlags   w = G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS;

  oc->set_property = test_sink_set_property;
  oc->finalize = test_sink_finalize;
  g_object_class_install_property (oc, SINK_COLOR,
                                   g_param_spec_string ("color", NULL, NULL, "auto", w));
  g_object_class_install_property (oc, SINK_STREAM,
                                   g_param_spec_string ("stream", NULL, NULL, "stdout", w));
}

static void
test_sink_init (TestSink *self)
{
}

/* A plain sink with no properties (the "null" of this test). */
#define TEST_TYPE_BARE_SINK (test_bare_sink_get_type ())
G_DECLARE_FINAL_TYPE (TestBareSink, test_bare_sink, TEST, BARE_SINK, GObject)
struct _TestBareSink
{
  GObject parent_instance;
};
G_DEFINE_FINAL_TYPE_WITH_CODE (TestBareSink, test_bare_sink, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SMILEY_TYPE_SINK, test_sink_iface_init))
static void
test_bare_sink_class_init (TestBareSinkClass *klass)
{
}
static void
test_bare_sink_init (TestBareSink *self)
{
}

/* ---- a store ----------------------------------------------------------- */

#define TEST_TYPE_STORE (test_store_get_type ())
G_DECLARE_FINAL_TYPE (TestStore, test_store, TEST, STORE, GObject)

struct _TestStore
{
  GObject parent_instance;
  char   *location;
};

enum
{
  STORE_PROP_0,
  STORE_LOCATION
};

static void
test_store_iface_init (SmileyStoreInterface *iface)
{
}

G_DEFINE_FINAL_TYPE_WITH_CODE (TestStore, test_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SMILEY_TYPE_SINK, test_sink_iface_init)
                                   G_IMPLEMENT_INTERFACE (SMILEY_TYPE_STORE, test_store_iface_init))

static void
test_store_set_property (GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  TestStore *self = TEST_STORE (object);

  switch (id)
    {
    case STORE_LOCATION:
      g_free (self->location);
      self->location = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
    }
}

static void
test_store_finalize (GObject *object)
{
  g_free (TEST_STORE (object)->location);
  G_OBJECT_CLASS (test_store_parent_class)->finalize (object);
}

static void
test_store_class_init (TestStoreClass *klass)
{
  GObjectClass *oc = G_OBJECT_CLASS (klass);

  oc->set_property = test_store_set_property;
  oc->finalize = test_store_finalize;
  g_object_class_install_property (oc, STORE_LOCATION,
                                   g_param_spec_string ("location", NULL, NULL, NULL,
                                                        G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS));
}

static void
test_store_init (TestStore *self)
{
}

/* ---- fixture ----------------------------------------------------------- */

typedef struct
{
  SmileyPluginRegistry *registry;
  char                 *dir;
  char                 *path;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->registry = smiley_plugin_registry_new ();
  smiley_plugin_registry_register (f->registry, SMILEY_TYPE_SOURCE, "python", TEST_TYPE_SOURCE,
                                   "test");
  smiley_plugin_registry_register (f->registry, SMILEY_TYPE_SINK, "console", TEST_TYPE_SINK,
                                   "test");
  smiley_plugin_registry_register (f->registry, SMILEY_TYPE_SINK, "null", TEST_TYPE_BARE_SINK,
                                   "test");
  smiley_plugin_registry_register (f->registry, SMILEY_TYPE_STORE, "sqlite", TEST_TYPE_STORE,
                                   "test");
  smiley_plugin_registry_register (f->registry, SMILEY_TYPE_STORE, "file", TEST_TYPE_STORE, "test");
  f->dir = g_dir_make_tmp ("smiley-config-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "smiley.conf", NULL);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_unlink (f->path);
  g_rmdir (f->dir);
  g_free (f->path);
  g_free (f->dir);
  g_object_unref (f->registry);
}

static void
write_config (Fixture *f, const char *text)
{
  g_autoptr (GError) error = NULL;

  g_file_set_contents (f->path, text, -1, &error);
  g_assert_no_error (error);
}

/* A `run`-shaped pipeline: source python, sink console by default. */
static SmileyPipeline *
run_pipeline (Fixture *f, const char *command, const char *config_text, GError **error)
{
  g_autoptr (SmileyConfig) config = smiley_config_new ();
  g_autoptr (SmileyPipeline) pipeline = smiley_pipeline_new (f->registry);

  if (config_text != NULL)
    {
      write_config (f, config_text);
      if (!smiley_config_load_file (config, f->path, error))
        return NULL;
    }
  smiley_pipeline_set_role (pipeline, SMILEY_PIPELINE_SOURCE, "python");
  smiley_pipeline_set_role (pipeline, SMILEY_PIPELINE_SINK, "console");
  smiley_pipeline_add_optional (pipeline, SMILEY_SETTING_DEFAULT, "stream", "stderr", NULL);
  smiley_config_apply (config, pipeline, command);
  return g_steal_pointer (&pipeline);
}

static void
assert_error_is (GError *error, const char *path, const char *expected_after_path)
{
  g_autofree char *expected = g_strconcat (path, expected_after_path, NULL);

  g_assert_nonnull (error);
  g_assert_cmpstr (error->message, ==, expected);
}

/* ---- precedence -------------------------------------------------------- */

static void
test_defaults (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SmileyPipeline) pipeline = run_pipeline (f, "run", NULL, &error);
  TestSource *source;
  TestSink   *sink;

  g_assert_true (smiley_pipeline_build (pipeline, &error));
  g_assert_no_error (error);
  source = smiley_pipeline_get_object (pipeline, SMILEY_PIPELINE_SOURCE);
  sink = smiley_pipeline_get_object (pipeline, SMILEY_PIPELINE_SINK);
  g_assert_true (TEST_IS_SOURCE (source));
  g_assert_true (TEST_IS_SINK (sink));
  g_assert_false (source->include_stdlib);
  g_assert_cmpuint (source->repr_limit, ==, 256);
  g_assert_cmpstr (sink->stream, ==, "stderr");
  g_assert_null (smiley_pipeline_get_object (pipeline, SMILEY_PIPELINE_STORE));
}

static void
test_precedence (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SmileyPipeline) pipeline = run_pipeline (f, "run",
                                                      "# shared by every command\n"
                                                      "[smiley]\n"
                                                      "repr-limit = 100\n"
                                                      "include-stdlib = yes\n"
                                                      "ratio = 2.5\n"
                                                      "python = /shared/python\n"
                                                      "stream = stdout\n"
                                                      "\n"
                                                      "[run]\n"
                                                      "repr-limit = 200\n"
                                                      "include-stdlib = 0\n"
                                                      "python = /run/python\n"
                                                      "\n"
                                                      "[monitor]\n"
                                                      "repr-limit = 999\n",
                                                      &error);
  TestSource *source;
  TestSink   *sink;

  g_assert_no_error (error);
  /* The flag beats both groups. */
  smiley_pipeline_add_setting (pipeline, SMILEY_SETTING_FLAG, "python", "/flag/python", "--python");
  g_assert_true (smiley_pipeline_build (pipeline, &error));
  g_assert_no_error (error);

  source = smiley_pipeline_get_object (pipeline, SMILEY_PIPELINE_SOURCE);
  sink = smiley_pipeline_get_object (pipeline, SMILEY_PIPELINE_SINK);
  g_assert_cmpuint (source->repr_limit, ==, 200);       /* [run] > [smiley] */
  g_assert_false (source->include_stdlib);              /* [run] 0 > [smiley] yes */
  g_assert_cmpfloat (source->ratio, ==, 2.5);           /* [smiley] > default */
  g_assert_cmpstr (source->python, ==, "/flag/python"); /* flag > [run] > [smiley] */
  g_assert_cmpstr (sink->stream, ==, "stdout");         /* [smiley] > built-in default */
  g_assert_cmpstr (smiley_pipeline_get_value (pipeline, "repr-limit"), ==, "200");
}

static void
test_flag_order_within_layer (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SmileyPipeline) pipeline = run_pipeline (f, "run", NULL, &error);
  TestSource *source;

  /* Added in the wrong order on purpose: the layer decides, then order. */
  smiley_pipeline_add_setting (pipeline, SMILEY_SETTING_FLAG, "repr-limit", "10", NULL);
  smiley_pipeline_add_setting (pipeline, SMILEY_SETTING_COMMAND, "repr-limit", "20", NULL);
  smiley_pipeline_add_setting (pipeline, SMILEY_SETTING_FLAG, "repr-limit", "30", NULL);
  smiley_pipeline_add_setting (pipeline, SMILEY_SETTING_SHARED, "repr-limit", "40", NULL);
  g_assert_true (smiley_pipeline_build (pipeline, &error));
  source = smiley_pipeline_get_object (pipeline, SMILEY_PIPELINE_SOURCE);
  g_assert_cmpuint (source->repr_limit, ==, 30);
}

static void
test_reserved_keys (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SmileyPipeline) pipeline = run_pipeline (f, "run",
                                                      "[smiley]\n"
                                                      "store = file:/shared/runs\n"
                                                      "socket = unix:/shared.sock\n"
                                                      "[run]\n"
                                                      "sink = store\n"
                                                      "database = /run/x.db\n",
                                                      &error);
  TestStore  *store;
  TestSource *source;

  g_assert_no_error (error);
  g_assert_true (smiley_pipeline_build (pipeline, &error));
  g_assert_no_error (error);

  /* [run] database beats [smiley] store: they are one setting. */
  g_assert_cmpstr (smiley_pipeline_get_name (pipeline, SMILEY_PIPELINE_STORE), ==,
                   "sqlite:/run/x.db");
  store = smiley_pipeline_get_object (pipeline, SMILEY_PIPELINE_STORE);
  g_assert_true (TEST_IS_STORE (store));
  g_assert_cmpstr (store->location, ==, "/run/x.db");
  /* sink = store makes the store the sink. */
  g_assert_true (smiley_pipeline_get_object (pipeline, SMILEY_PIPELINE_SINK) == (gpointer)store);
  /* socket = … sets whichever object has an endpoint. */
  source = smiley_pipeline_get_object (pipeline, SMILEY_PIPELINE_SOURCE);
  g_assert_cmpstr (source->endpoint, ==, "unix:/shared.sock");
}

static void
test_store_flag_beats_config (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SmileyPipeline) pipeline
      = run_pipeline (f, "list", "[list]\ndatabase = /conf.db\n", &error);

  g_assert_no_error (error);
  smiley_pipeline_set_role (pipeline, SMILEY_PIPELINE_STORE, "sqlite:smiley.db");
  smiley_pipeline_add_setting (pipeline, SMILEY_SETTING_FLAG, "store", "file:/flag", "--store");
  g_assert_true (smiley_pipeline_build (pipeline, &error));
  g_assert_cmpstr (smiley_pipeline_get_name (pipeline, SMILEY_PIPELINE_STORE), ==, "file:/flag");
  g_assert_cmpstr (
      TEST_STORE (smiley_pipeline_get_object (pipeline, SMILEY_PIPELINE_STORE))->location, ==,
      "/flag");
}

static void
test_value_forms (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SmileyPipeline) pipeline = run_pipeline (f, "run",
                                                      "[run]\n"
                                                      "argv = a.py, -x;  second arg  \n"
                                                      "include-site-packages = No\n"
                                                      "offset = -3\n",
                                                      &error);
  TestSource *source;

  g_assert_no_error (error);
  g_assert_true (smiley_pipeline_build (pipeline, &error));
  g_assert_no_error (error);
  source = smiley_pipeline_get_object (pipeline, SMILEY_PIPELINE_SOURCE);
  g_assert_cmpstrv (source->argv, ((const char *[]){ "a.py", "-x", "second arg", NULL }));
  g_assert_false (source->include_site_packages);
  g_assert_cmpint (source->offset, ==, -3);
}

static void
test_shared_key_for_other_command (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SmileyPipeline) pipeline = NULL;

  /* [smiley] color is for the console sink; a command with the null sink
   * ignores it rather than failing. */
  pipeline = run_pipeline (f, "run", "[smiley]\ncolor = always\n[run]\nsink = null\n", &error);
  g_assert_no_error (error);
  g_assert_true (smiley_pipeline_build (pipeline, &error));
  g_assert_no_error (error);
}

static void
test_shared_command_group (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SmileyPipeline) pipeline = NULL;

  /* [stats] serves commands with different views: a key another view of
   * the group takes is not an error here… */
  pipeline = run_pipeline (f, "stats", "[stats]\nsink = null\ncolor = always\n", &error);
  g_assert_no_error (error);
  g_assert_true (smiley_pipeline_build (pipeline, &error));
  g_assert_no_error (error);
  g_clear_object (&pipeline);

  /* …but a key no plugin has still is. */
  pipeline = run_pipeline (f, "stats", "[stats]\nsink = null\nsrot = tottime\n", &error);
  g_assert_no_error (error);
  g_assert_false (smiley_pipeline_build (pipeline, &error));
  assert_error_is (error, f->path,
                   ":3: [stats] srot: unknown setting 'srot' (not a property of "
                   "source 'python', sink 'null')");
  g_clear_error (&error);
  g_clear_object (&pipeline);

  /* The same key in a group of one command is an error. */
  pipeline = run_pipeline (f, "run", "[run]\nsink = null\ncolor = always\n", &error);
  g_assert_no_error (error);
  g_assert_false (smiley_pipeline_build (pipeline, &error));
  assert_error_is (error, f->path,
                   ":3: [run] color: unknown setting 'color' (not a property of "
                   "source 'python', sink 'null')");
}

/* ---- errors ------------------------------------------------------------ */

static void
test_error_unknown_sink (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SmileyPipeline) pipeline
      = run_pipeline (f, "run", "[smiley]\n\n# comment\n\n\n[run]\nsink = consol\n", &error);

  g_assert_no_error (error);
  g_assert_false (smiley_pipeline_build (pipeline, &error));
  g_assert_error (error, SMILEY_PLUGIN_ERROR, SMILEY_PLUGIN_ERROR_NOT_FOUND);
  assert_error_is (error, f->path,
                   ":7: [run] sink: no sink plugin named 'consol' (known: console, null, store)");
}

static void
test_error_unknown_key (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SmileyPipeline) pipeline
      = run_pipeline (f, "run", "[run]\nrepr-limit = 9\ncolour = always\n", &error);

  g_assert_no_error (error);
  g_assert_false (smiley_pipeline_build (pipeline, &error));
  g_assert_error (error, SMILEY_PLUGIN_ERROR, SMILEY_PLUGIN_ERROR_PROPERTY);
  assert_error_is (error, f->path,
                   ":3: [run] colour: unknown setting 'colour' (not a property of "
                   "source 'python', sink 'console')");
}

static void
test_error_unknown_shared_key (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SmileyPipeline) pipeline
      = run_pipeline (f, "run", "[smiley]\nno-such-thing = 1\n", &error);

  g_assert_no_error (error);
  g_assert_false (smiley_pipeline_build (pipeline, &error));
  assert_error_is (error, f->path,
                   ":2: [smiley] no-such-thing: unknown setting 'no-such-thing' (not a property of "
                   "source 'python', sink 'console')");
}

static void
test_error_bad_values (Fixture *f, gconstpointer data)
{
  static const struct
  {
    const char *config;
    const char *message;
  } cases[] = {
    { "[run]\ninclude-stdlib = maybe\n",
      ":2: [run] include-stdlib: 'maybe' is not a boolean (use true/false, yes/no or 1/0)" },
    { "[run]\nrepr-limit = 5\n",
      ":2: [run] repr-limit: '5' is not a whole number between 8 and 4096" },
    { "[run]\nrepr-limit = lots\n",
      ":2: [run] repr-limit: 'lots' is not a whole number between 8 and 4096" },
    { "[run]\nrepr-limit = -1\n",
      ":2: [run] repr-limit: '-1' is not a whole number between 8 and 4096" },
    { "[run]\noffset = 11\n", ":2: [run] offset: '11' is not a whole number between -10 and 10" },
    { "[run]\nratio = 1e3\n", ":2: [run] ratio: '1e3' is not a number between 0 and 100" },
    { "[run]\nratio = \n", ":2: [run] ratio: '' is not a number between 0 and 100" },
    { "[run]\nevents-emitted = 3\n",
      ":2: [run] events-emitted: property 'events-emitted' of source 'python' is read-only" },
    { "[run]\nstore = smiley.db\nsink = store\n",
      ":2: [run] store: 'smiley.db' is not a store URI (expected sqlite:PATH or file:DIR)" },
    { "[run]\nsink = store\nstore = postgres:db\n",
      ":3: [run] store: no store plugin named 'postgres' (known: file, sqlite)" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (SmileyPipeline) pipeline = run_pipeline (f, "run", cases[i].config, &error);

      g_assert_no_error (error);
      g_assert_false (smiley_pipeline_build (pipeline, &error));
      assert_error_is (error, f->path, cases[i].message);
    }
}

static void
test_error_flag_origin (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SmileyPipeline) pipeline = run_pipeline (f, "run", NULL, &error);

  smiley_pipeline_add_setting (pipeline, SMILEY_SETTING_FLAG, "sink", "bogus", "--sink");
  g_assert_false (smiley_pipeline_build (pipeline, &error));
  g_assert_cmpstr (error->message, ==,
                   "--sink: no sink plugin named 'bogus' (known: console, null, store)");
}

static void
test_error_syntax (Fixture *f, gconstpointer data)
{
  static const struct
  {
    const char *config;
    const char *message;
  } cases[] = {
    { "[run]\nsink = console\nthis line has no equals sign\n",
      ":3: syntax error: 'this line has no equals sign' is not a 'key = value' line" },
    { "[run\nsink = console\n", ":1: syntax error: '[run' is not a group header like [run]" },
    { "sink = console\n[run]\n",
      ":1: syntax error: setting before the first group (start with [smiley])" },
    { "[smiley]\n= value\n", ":2: syntax error: '= value' is not a 'key = value' line" },
    { "[run]\n\nsink = console\na[b = c\n", ":4: syntax error: Invalid key name: a[b" },
    { "[run]\nsink = console\npython = C:\\q\n",
      ":3: [run] python: 'C:\\q' has an invalid escape sequence (write \\\\ for a backslash)" },
    { "\n[rnu]\nsink = console\n",
      ":2: unknown group [rnu] (known: smiley, run, monitor, record, replay, list, delete, server, "
      "report, stats, export, plugins)" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (SmileyPipeline) pipeline = run_pipeline (f, "run", cases[i].config, &error);

      g_assert_null (pipeline);
      g_assert_nonnull (error);
      g_assert_true (error->domain == SMILEY_CONFIG_ERROR);
      assert_error_is (error, f->path, cases[i].message);
    }
}

static void
test_error_binary (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SmileyConfig) config = smiley_config_new ();

  g_file_set_contents (f->path, "\x89PNG\r\n\x1a\n\0\0\0", 11, &error);
  g_assert_no_error (error);
  g_assert_false (smiley_config_load_file (config, f->path, &error));
  assert_error_is (error, f->path, ": not a configuration file (not UTF-8 text)");
}

static void
test_error_missing_file (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SmileyConfig) config = smiley_config_new ();
  g_autofree char *missing = g_build_filename (f->dir, "nope.conf", NULL);

  g_assert_false (smiley_config_load_file (config, missing, &error));
  g_assert_error (error, SMILEY_CONFIG_ERROR, SMILEY_CONFIG_ERROR_NOT_FOUND);
  assert_error_is (error, missing, ": no such configuration file");
}

static void
test_default_location (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SmileyConfig) config = smiley_config_new ();
  g_autofree char *config_dir = g_build_filename (g_get_user_config_dir (), "smiley", NULL);
  g_autofree char *config_file = g_build_filename (config_dir, "smiley.conf", NULL);

  /* No file: an empty configuration. */
  g_assert_true (smiley_config_load_default (config, &error));
  g_assert_no_error (error);
  g_assert_null (smiley_config_get_path (config));

  g_mkdir (config_dir, 0700);
  g_file_set_contents (config_file, "[smiley]\ncolor = never\n", -1, &error);
  g_assert_no_error (error);
  g_assert_true (smiley_config_load_default (config, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (smiley_config_get_path (config), ==, config_file);

  g_unlink (config_file);
  g_rmdir (config_dir);
}

int
main (int argc, char **argv)
{
  g_autofree char *xdg = NULL;

  g_test_init (&argc, &argv, NULL);

#define ADD(path, func)                                                                            \
  g_test_add ("/smiley/config/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("defaults", test_defaults);
  ADD ("precedence", test_precedence);
  ADD ("flag-order-within-layer", test_flag_order_within_layer);
  ADD ("reserved-keys", test_reserved_keys);
  ADD ("store-flag-beats-config", test_store_flag_beats_config);
  ADD ("value-forms", test_value_forms);
  ADD ("shared-key-for-other-command", test_shared_key_for_other_command);
  ADD ("shared-command-group", test_shared_command_group);
  ADD ("error/unknown-sink", test_error_unknown_sink);
  ADD ("error/unknown-key", test_error_unknown_key);
  ADD ("error/unknown-shared-key", test_error_unknown_shared_key);
  ADD ("error/bad-values", test_error_bad_values);
  ADD ("error/flag-origin", test_error_flag_origin);
  ADD ("error/syntax", test_error_syntax);
  ADD ("error/binary", test_error_binary);
  ADD ("error/missing-file", test_error_missing_file);

  /* g_get_user_config_dir() is cached on first use: point it at the
   * fixture's directory through a test of its own. */
  {
    g_autoptr (GError) error = NULL;
    xdg = g_dir_make_tmp ("smiley-xdg-XXXXXX", &error);
    g_assert_no_error (error);
    g_setenv ("XDG_CONFIG_HOME", xdg, TRUE);
  }
  g_test_add ("/smiley/config/default-location", Fixture, NULL, fixture_setup,
              test_default_location, fixture_teardown);

  {
    int status = g_test_run ();
    g_rmdir (xdg);
    return status;
  }
}
