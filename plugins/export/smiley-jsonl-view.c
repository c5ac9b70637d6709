/* smiley-jsonl-view.c
 *
 * One JSON object per line per event, in the order the events happened:
 * {"kind", "thread", "call_id", "parent_call_id", "depth", "time_ns",
 * "file", "line", "function", "arg", "locals"}, names resolved through the
 * run's string table. Easy to grep, to load with pandas or jq, and to
 * stream.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include "smiley-export-writer.h"
#include "smiley-jsonl-view.h"

struct _SmileyJsonlView
{
  GObject parent_instance;
};

static void smiley_jsonl_view_iface_init (SmileyViewInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SmileyJsonlView, smiley_jsonl_view, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SMILEY_TYPE_VIEW,
                                                      smiley_jsonl_view_iface_init))

static void
add_nullable_string (JsonBuilder *builder,
                     const char  *name,
                     const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static JsonNode *
event_to_json (SmileyRun         *run,
               const SmileyEvent *event)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  add_nullable_string (builder, "kind", smiley_event_kind_to_string (event->kind));
  json_builder_set_member_name (builder, "thread");
  json_builder_add_int_value (builder, event->thread);
  json_builder_set_member_name (builder, "call_id");
  json_builder_add_int_value (builder, event->call_id);
  json_builder_set_member_name (builder, "parent_call_id");
  json_builder_add_int_value (builder, event->parent_call_id);
  json_builder_set_member_name (builder, "depth");
  json_builder_add_int_value (builder, event->depth);
  json_builder_set_member_name (builder, "time_ns");
  json_builder_add_int_value (builder, event->time_ns);
  add_nullable_string (builder, "file", smiley_run_get_string (run, event->file));
  json_builder_set_member_name (builder, "line");
  json_builder_add_int_value (builder, event->line);
  add_nullable_string (builder, "function", smiley_run_get_string (run, event->function));
  add_nullable_string (builder, "arg", event->arg);

  /* A deleted variable is null, so "x": null is told apart from x = None
   * (whose repr is the string "None"). */
  json_builder_set_member_name (builder, "locals");
  json_builder_begin_object (builder);
  for (guint i = 0; i < event->n_locals; i++)
    {
      const char *name = smiley_run_get_string (run, event->locals[i].name);

      add_nullable_string (builder, name != NULL ? name : "?", event->locals[i].value);
    }
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

static gboolean
smiley_jsonl_view_render (SmileyView    *view,
                          SmileyStore   *store,
                          SmileyRun     *run,
                          GOutputStream *output,
                          GCancellable  *cancellable,
                          GError       **error)
{
  g_autoptr(SmileyExportWriter) writer = NULL;
  guint64 offset = 0;

  if (run == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "an event export shows one run: name the run");
      return FALSE;
    }

  writer = smiley_export_writer_new (output, cancellable);
  for (;;)
    {
      g_autoptr(SmileyBatch) batch = smiley_export_next_events (store, run, &offset, cancellable, error);
      guint length;

      if (batch == NULL)
        return FALSE;
      length = smiley_batch_get_length (batch);
      if (length == 0)
        break;
      for (guint i = 0; i < length; i++)
        {
          g_autoptr(JsonNode) node = event_to_json (run, smiley_batch_get_event (batch, i));

          smiley_export_writer_append_node (writer, node);
          smiley_export_writer_append (writer, "\n");
        }
      if (!smiley_export_writer_flush (writer, FALSE, error))
        return FALSE;
    }
  return smiley_export_writer_flush (writer, TRUE, error);
}

static void
smiley_jsonl_view_iface_init (SmileyViewInterface *iface)
{
  iface->render = smiley_jsonl_view_render;
}

static void
smiley_jsonl_view_class_init (SmileyJsonlViewClass *klass)
{
}

static void
smiley_jsonl_view_init (SmileyJsonlView *self)
{
}

/**
 * smiley_jsonl_view_new:
 *
 * Returns: (transfer full): a JSON lines export view
 */
SmileyJsonlView *
smiley_jsonl_view_new (void)
{
  return g_object_new (SMILEY_TYPE_JSONL_VIEW, NULL);
}
