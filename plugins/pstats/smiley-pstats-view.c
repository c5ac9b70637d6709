/* smiley-pstats-view.c
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include "smiley-marshal-writer.h"
#include "smiley-profile.h"
#include "smiley-pstats-view.h"

struct _SmileyPstatsView
{
  GObject parent_instance;
};

static void smiley_pstats_view_iface_init (SmileyViewInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SmileyPstatsView, smiley_pstats_view, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SMILEY_TYPE_VIEW,
                                                      smiley_pstats_view_iface_init))

static void
write_function_key (SmileyMarshalWriter *writer, const SmileyStatsEntry *entry)
{
  smiley_marshal_writer_begin_tuple (writer, 3);
  smiley_marshal_writer_add_string (writer, entry->file);
  smiley_marshal_writer_add_uint (writer, entry->line);
  smiley_marshal_writer_add_string (writer, entry->function);
}

static double
seconds (gint64 ns)
{
  return ns / 1e9;
}

/**
 * smiley_pstats_view_encode:
 * @stats: statistics
 *
 * Encodes statistics as `pstats.Stats.dump_stats()` does: the marshal of
 * the dict `{(file, line, function): (primitive calls, calls, tottime,
 * cumtime, {caller: (calls, primitive calls, tottime, cumtime)})}`, with
 * times in seconds. (Note the two tuples order their call counts
 * differently: that is cProfile's `snapshot_stats()`.)
 *
 * Returns: (transfer full): the content of a pstats file
 */
GBytes *
smiley_pstats_view_encode (SmileyStats *stats)
{
  g_autoptr (SmileyMarshalWriter) writer = smiley_marshal_writer_new ();

  g_return_val_if_fail (stats != NULL, NULL);

  smiley_marshal_writer_begin_dict (writer);
  for (guint i = 0; i < smiley_stats_get_length (stats); i++)
    {
      const SmileyStatsEntry *entry = smiley_stats_get_entry (stats, i);

      write_function_key (writer, entry);

      smiley_marshal_writer_begin_tuple (writer, 5);
      smiley_marshal_writer_add_uint (writer, entry->primcalls);
      smiley_marshal_writer_add_uint (writer, entry->ncalls);
      smiley_marshal_writer_add_float (writer, seconds (entry->tottime_ns));
      smiley_marshal_writer_add_float (writer, seconds (entry->cumtime_ns));

      smiley_marshal_writer_begin_dict (writer);
      for (guint c = 0; c < entry->callers->len; c++)
        {
          const SmileyStatsCaller *caller = &g_array_index (entry->callers, SmileyStatsCaller, c);

          write_function_key (writer, smiley_stats_get_entry (stats, caller->caller));
          smiley_marshal_writer_begin_tuple (writer, 4);
          smiley_marshal_writer_add_uint (writer, caller->ncalls);
          smiley_marshal_writer_add_uint (writer, caller->primcalls);
          smiley_marshal_writer_add_float (writer, seconds (caller->tottime_ns));
          smiley_marshal_writer_add_float (writer, seconds (caller->cumtime_ns));
        }
      smiley_marshal_writer_end_dict (writer);
    }
  smiley_marshal_writer_end_dict (writer);

  return smiley_marshal_writer_steal_bytes (writer);
}

static gboolean
smiley_pstats_view_render (SmileyView *view, SmileyStore *store, SmileyRun *run,
                           GOutputStream *output, GCancellable *cancellable, GError **error)
{
  g_autoptr (SmileyStats) stats = NULL;
  g_autoptr (GBytes) bytes = NULL;
  gsize         length;
  const guint8 *data;

  stats = smiley_profile_load (store, run, error);
  if (stats == NULL)
    return FALSE;

  bytes = smiley_pstats_view_encode (stats);
  data = g_bytes_get_data (bytes, &length);
  return g_output_stream_write_all (output, data, length, NULL, cancellable, error);
}

static void
smiley_pstats_view_iface_init (SmileyViewInterface *iface)
{
  iface->render = smiley_pstats_view_render;
}

static void
smiley_pstats_view_class_init (SmileyPstatsViewClass *klass)
{
}

static void
smiley_pstats_view_init (SmileyPstatsView *self)
{
}

/**
 * smiley_pstats_view_new:
 *
 * Returns: (transfer full): a pstats export view
 */
SmileyPstatsView *
smiley_pstats_view_new (void)
{
  return g_object_new (SMILEY_TYPE_PSTATS_VIEW, NULL);
}
