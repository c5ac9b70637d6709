/* smiley-jsonl-sink.c: one JSON object per line for every run and event
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include <errno.h>
#include <fcntl.h>

#include <glib/gstdio.h>
#include <gio/gunixoutputstream.h>
#include <json-glib/json-glib.h>

#include "smiley-jsonl-sink.h"

/* The file holds, one per line:
 *   {"type":"run-begin","run":ID,"argv":[…],"cwd":…,"start_us":…}
 *   {"type":"event","run":ID,"kind":"call","thread":1,"thread_name":…,
 *    "call_id":…,"parent_call_id":…,"depth":…,"time_ns":…,"file":…,
 *    "line":…,"function":…,"arg":…,"locals":{"name":"repr" or null}}
 *   {"type":"run-end","run":ID,"status":…,"exit_status":…,"error":…}
 */

struct _SmileyJsonlSink
{
  GObject parent_instance;

  char          *output_path;
  GOutputStream *output;
  JsonGenerator *generator;
  GString       *buffer;
};

enum
{
  PROP_0,
  PROP_OUTPUT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void smiley_jsonl_sink_sink_iface_init (SmileySinkInterface *iface);
static void smiley_jsonl_sink_initable_iface_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SmileyJsonlSink, smiley_jsonl_sink, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SMILEY_TYPE_SINK,
                                                      smiley_jsonl_sink_sink_iface_init)
                                   G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                          smiley_jsonl_sink_initable_iface_init))

/* smiley calls g_initable_init() after setting properties and before the
 * traced program starts: an unwritable file fails here, not mid-run. */
static gboolean
smiley_jsonl_sink_initable_init (GInitable *initable, GCancellable *cancellable, GError **error)
{
  SmileyJsonlSink *self = SMILEY_JSONL_SINK (initable);
  int              fd;

  if (self->output != NULL)
    return TRUE;

  if (self->output_path == NULL || *self->output_path == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "the jsonl sink needs a file: set its 'output' property "
                           "(smiley run --output FILE, or --set output=FILE)");
      return FALSE;
    }

  fd = g_open (self->output_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "cannot write %s: %s",
                   self->output_path, g_strerror (saved_errno));
      return FALSE;
    }
  self->output = g_unix_output_stream_new (fd, TRUE);
  return TRUE;
}

static void
smiley_jsonl_sink_initable_iface_init (GInitableIface *iface)
{
  iface->init = smiley_jsonl_sink_initable_init;
}

static void
append_line (SmileyJsonlSink *self, JsonBuilder *builder)
{
  g_autoptr (JsonNode) root = json_builder_get_root (builder);
  g_autofree char *text = NULL;

  json_generator_set_root (self->generator, root);
  text = json_generator_to_data (self->generator, NULL);
  g_string_append (self->buffer, text);
  g_string_append_c (self->buffer, '\n');
}

static gboolean
write_buffer (SmileyJsonlSink *self, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  gboolean ok;

  if (self->output == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                           "the jsonl sink was not initialised");
      return FALSE;
    }

  ok = g_output_stream_write_all (self->output, self->buffer->str, self->buffer->len, NULL, NULL,
                                  &local_error);
  g_string_truncate (self->buffer, 0);
  if (!ok)
    g_set_error (error, G_IO_ERROR, local_error->code, "cannot write %s: %s", self->output_path,
                 local_error->message);
  return ok;
}

static void
add_string (JsonBuilder *builder, const char *name, const char *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static void
add_int (JsonBuilder *builder, const char *name, gint64 value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

static gboolean
smiley_jsonl_sink_begin_run (SmileySink *sink, SmileyRun *run, GError **error)
{
  SmileyJsonlSink *self = SMILEY_JSONL_SINK (sink);
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  const char *const *argv = smiley_run_get_argv (run);

  json_builder_begin_object (builder);
  add_string (builder, "type", "run-begin");
  add_string (builder, "run", smiley_run_get_id (run));
  add_string (builder, "description", smiley_run_get_description (run));
  add_string (builder, "cwd", smiley_run_get_cwd (run));
  json_builder_set_member_name (builder, "argv");
  json_builder_begin_array (builder);
  for (guint i = 0; argv != NULL && argv[i] != NULL; i++)
    json_builder_add_string_value (builder, argv[i]);
  json_builder_end_array (builder);
  add_int (builder, "pid", smiley_run_get_pid (run));
  add_int (builder, "start_us", smiley_run_get_start_time (run));
  json_builder_end_object (builder);
  append_line (self, builder);

  return write_buffer (self, error);
}

static gboolean
smiley_jsonl_sink_push (SmileySink *sink, SmileyRun *run, SmileyBatch *batch, GError **error)
{
  SmileyJsonlSink *self = SMILEY_JSONL_SINK (sink);
  guint            length = smiley_batch_get_length (batch);

  for (guint i = 0; i < length; i++)
    {
      const SmileyEvent  *event = smiley_batch_get_event (batch, i);
      const SmileyThread *thread = smiley_run_get_thread (run, event->thread);
      g_autoptr (JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      add_string (builder, "type", "event");
      add_string (builder, "run", smiley_run_get_id (run));
      add_string (builder, "kind", smiley_event_kind_to_string (event->kind));
      add_int (builder, "thread", event->thread);
      add_string (builder, "thread_name", thread ? thread->name : NULL);
      add_int (builder, "call_id", (gint64)event->call_id);
      add_int (builder, "parent_call_id", (gint64)event->parent_call_id);
      add_int (builder, "depth", event->depth);
      add_int (builder, "time_ns", event->time_ns);
      add_string (builder, "file", smiley_run_get_string (run, event->file));
      add_int (builder, "line", event->line);
      add_string (builder, "function", smiley_run_get_string (run, event->function));
      add_string (builder, "arg", event->arg);
      json_builder_set_member_name (builder, "locals");
      json_builder_begin_object (builder);
      for (guint j = 0; j < event->n_locals; j++)
        add_string (builder, smiley_run_get_string (run, event->locals[j].name),
                    event->locals[j].value);
      json_builder_end_object (builder);
      json_builder_end_object (builder);
      append_line (self, builder);
    }

  return write_buffer (self, error);
}

static gboolean
smiley_jsonl_sink_end_run (SmileySink *sink, SmileyRun *run, GError **error)
{
  SmileyJsonlSink *self = SMILEY_JSONL_SINK (sink);
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autofree char *status = smiley_run_format_status (run);

  json_builder_begin_object (builder);
  add_string (builder, "type", "run-end");
  add_string (builder, "run", smiley_run_get_id (run));
  add_string (builder, "status", status);
  add_int (builder, "exit_status", smiley_run_get_exit_status (run));
  add_int (builder, "signal", smiley_run_get_signal (run));
  add_string (builder, "error", smiley_run_get_error (run));
  add_int (builder, "end_us", smiley_run_get_end_time (run));
  json_builder_end_object (builder);
  append_line (self, builder);

  if (!write_buffer (self, error))
    return FALSE;
  return g_output_stream_flush (self->output, NULL, error);
}

static gboolean
smiley_jsonl_sink_flush (SmileySink *sink, GError **error)
{
  SmileyJsonlSink *self = SMILEY_JSONL_SINK (sink);

  return self->output == NULL || g_output_stream_flush (self->output, NULL, error);
}

static void
smiley_jsonl_sink_sink_iface_init (SmileySinkInterface *iface)
{
  iface->begin_run = smiley_jsonl_sink_begin_run;
  iface->push = smiley_jsonl_sink_push;
  iface->end_run = smiley_jsonl_sink_end_run;
  iface->flush = smiley_jsonl_sink_flush;
}

static void
smiley_jsonl_sink_finalize (GObject *object)
{
  SmileyJsonlSink *self = SMILEY_JSONL_SINK (object);

  g_clear_object (&self->output);
  g_clear_object (&self->generator);
  g_clear_pointer (&self->output_path, g_free);
  g_string_free (self->buffer, TRUE);

  G_OBJECT_CLASS (smiley_jsonl_sink_parent_class)->finalize (object);
}

static void
smiley_jsonl_sink_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SmileyJsonlSink *self = SMILEY_JSONL_SINK (object);

  switch (prop_id)
    {
    case PROP_OUTPUT:
      g_value_set_string (value, self->output_path);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
smiley_jsonl_sink_set_property (GObject *object, guint prop_id, const GValue *value,
                                GParamSpec *pspec)
{
  SmileyJsonlSink *self = SMILEY_JSONL_SINK (object);

  switch (prop_id)
    {
    case PROP_OUTPUT:
      g_free (self->output_path);
      self->output_path = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
smiley_jsonl_sink_class_init (SmileyJsonlSinkClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = smiley_jsonl_sink_finalize;
  object_class->get_property = smiley_jsonl_sink_get_property;
  object_class->set_property = smiley_jsonl_sink_set_property;

  /* Settable from the command line and the configuration file by name:
   * `--set output=FILE`, or `output = FILE` in smiley.conf. */
  properties[PROP_OUTPUT] = g_param_spec_string ("output", NULL, "the file to write", NULL,
                                                 G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
smiley_jsonl_sink_init (SmileyJsonlSink *self)
{
  self->generator = json_generator_new ();
  self->buffer = g_string_new (NULL);
}
