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

/* Written by hand rather than through a JsonBuilder tree: an export has
 * millions of these, and the object's shape never changes. */
static void
append_event (SmileyExportWriter *writer, GString *scratch, SmileyRun *run,
              const SmileyEvent *event)
{
  g_string_printf (scratch,
                   "{\"kind\":\"%s\",\"thread\":%u,\"call_id\":%" G_GUINT64_FORMAT
                   ",\"parent_call_id\":%" G_GUINT64_FORMAT
                   ",\"depth\":%u,\"time_ns\":%" G_GINT64_FORMAT ",\"file\":",
                   smiley_event_kind_to_string (event->kind), event->thread, event->call_id,
                   event->parent_call_id, event->depth, event->time_ns);
  smiley_export_writer_append (writer, scratch->str);
  smiley_export_writer_append_string (writer, smiley_run_get_string (run, event->file));
  g_string_printf (scratch, ",\"line\":%u,\"function\":", event->line);
  smiley_export_writer_append (writer, scratch->str);
  smiley_export_writer_append_string (writer, smiley_run_get_string (run, event->function));
  smiley_export_writer_append (writer, ",\"arg\":");
  smiley_export_writer_append_string (writer, event->arg);

  /* A deleted variable is null, so "x": null is told apart from x = None
   * (whose repr is the string "None"). */
  smiley_export_writer_append (writer, ",\"locals\":{");
  for (guint i = 0; i < event->n_locals; i++)
    {
      const char *name = smiley_run_get_string (run, event->locals[i].name);

      if (i > 0)
        smiley_export_writer_append (writer, ",");
      smiley_export_writer_append_string (writer, name != NULL ? name : "?");
      smiley_export_writer_append (writer, ":");
      smiley_export_writer_append_string (writer, event->locals[i].value);
    }
  smiley_export_writer_append (writer, "}}\n");
}

static gboolean
smiley_jsonl_view_render (SmileyView *view, SmileyStore *store, SmileyRun *run,
                          GOutputStream *output, GCancellable *cancellable, GError **error)
{
  g_autoptr (SmileyExportWriter) writer = NULL;
  g_autoptr (GString) scratch = g_string_sized_new (256);
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
      g_autoptr (SmileyBatch) batch
          = smiley_export_next_events (store, run, &offset, cancellable, error);
      guint length;

      if (batch == NULL)
        return FALSE;
      length = smiley_batch_get_length (batch);
      if (length == 0)
        break;
      for (guint i = 0; i < length; i++)
        append_event (writer, scratch, run, smiley_batch_get_event (batch, i));
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
