/* views-test-input.c
 *
 * The input of the views' tests is one JSON document:
 *
 *   {"run": {"id", "description", "pid", "threads": [{"id", "pid",
 *            "native_id", "name"}]},
 *    "stats": {"entries": [{"file", "line", "function", "ncalls",
 *              "primcalls", "tottime_ns", "cumtime_ns",
 *              "callers": [{"caller", "ncalls", "primcalls", "tottime_ns",
 *                           "cumtime_ns"}]}]}     (or absent: no stats)
 *    "events": [{"kind", "thread", "call_id", "parent_call_id", "depth",
 *                "time_ns", "file", "line", "function", "arg",
 *                "locals": {name: value}}]}
 *
 * written by the Python helpers (tests/views/profile_to_json.py,
 * trace_to_json.py) from real runs of Debian's python3 under cProfile
 * and sys.settrace/setprofile.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include "smiley-memory-store.h"
#include "views-test-input.h"

static gint64
member_int (JsonObject *object, const char *name)
{
  return json_object_has_member (object, name) ? json_object_get_int_member (object, name) : 0;
}

static const char *
member_string (JsonObject *object, const char *name)
{
  if (!json_object_has_member (object, name) || json_object_get_null_member (object, name))
    return NULL;
  return json_object_get_string_member (object, name);
}

/**
 * views_test_stats_from_json:
 * @node: {"entries": [...]}
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the statistics the node describes
 */
SmileyStats *
views_test_stats_from_json (JsonNode *node, GError **error)
{
  g_autoptr (SmileyStats) stats = smiley_stats_new ();
  JsonArray *entries;

  if (!JSON_NODE_HOLDS_OBJECT (node)
      || !json_object_has_member (json_node_get_object (node), "entries"))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "stats: no entries");
      return NULL;
    }
  entries = json_object_get_array_member (json_node_get_object (node), "entries");

  /* entries first, so callers can refer to any of them by index */
  for (guint i = 0; i < json_array_get_length (entries); i++)
    {
      JsonObject       *object = json_array_get_object_element (entries, i);
      guint             index = smiley_stats_add_entry (stats, member_string (object, "file"),
                                                        member_int (object, "line"),
                                                        member_string (object, "function"));
      SmileyStatsEntry *entry = smiley_stats_get_entry (stats, index);

      if (index != i)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "stats: entry %u repeats %u", i,
                       index);
          return NULL;
        }
      entry->ncalls = member_int (object, "ncalls");
      entry->primcalls = member_int (object, "primcalls");
      entry->tottime_ns = member_int (object, "tottime_ns");
      entry->cumtime_ns = member_int (object, "cumtime_ns");
    }

  for (guint i = 0; i < json_array_get_length (entries); i++)
    {
      JsonObject *object = json_array_get_object_element (entries, i);
      JsonArray  *callers = json_object_get_array_member (object, "callers");

      for (guint c = 0; callers != NULL && c < json_array_get_length (callers); c++)
        {
          JsonObject       *caller_object = json_array_get_object_element (callers, c);
          SmileyStatsCaller caller = {
            .caller = member_int (caller_object, "caller"),
            .ncalls = member_int (caller_object, "ncalls"),
            .primcalls = member_int (caller_object, "primcalls"),
            .tottime_ns = member_int (caller_object, "tottime_ns"),
            .cumtime_ns = member_int (caller_object, "cumtime_ns"),
          };

          smiley_stats_add_caller (stats, i, &caller);
        }
    }
  return g_steal_pointer (&stats);
}

static gboolean
add_events (SmileyRun *run, JsonArray *events, SmileySink *store, GError **error)
{
  g_autoptr (SmileyBatch) batch = smiley_batch_new ();
  g_autoptr (GArray) locals = g_array_new (FALSE, FALSE, sizeof (SmileyLocal));

  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonObject *object = json_array_get_object_element (events, i);
      SmileyEvent event = { 0 };

      if (!smiley_event_kind_from_string (member_string (object, "kind"), &event.kind))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "event %u: bad kind", i);
          return FALSE;
        }
      event.thread = member_int (object, "thread");
      event.call_id = member_int (object, "call_id");
      event.parent_call_id = member_int (object, "parent_call_id");
      event.depth = member_int (object, "depth");
      event.time_ns = member_int (object, "time_ns");
      event.file = smiley_run_intern (run, member_string (object, "file") ?: "");
      event.line = member_int (object, "line");
      event.function = smiley_run_intern (run, member_string (object, "function") ?: "");
      event.arg = member_string (object, "arg");

      g_array_set_size (locals, 0);
      if (json_object_has_member (object, "locals"))
        {
          JsonObject *vars = json_object_get_object_member (object, "locals");
          g_autoptr (GList) names = json_object_get_members (vars);

          for (GList *l = names; l != NULL; l = l->next)
            {
              SmileyLocal local
                  = { smiley_run_intern (run, l->data), member_string (vars, l->data) };

              g_array_append_val (locals, local);
            }
        }
      event.n_locals = locals->len;
      event.locals = (const SmileyLocal *)locals->data;
      smiley_batch_add (batch, &event);

      /* several batches, as a real store would hold them */
      if (smiley_batch_get_length (batch) == 1000)
        {
          if (!smiley_sink_push (store, run, batch, error))
            return FALSE;
          g_clear_pointer (&batch, smiley_batch_unref);
          batch = smiley_batch_new ();
        }
    }
  return smiley_batch_get_length (batch) == 0 || smiley_sink_push (store, run, batch, error);
}

/**
 * views_test_load_run:
 * @root: the document
 * @store: where the run goes
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the run, begun, filled and ended in @store
 */
SmileyRun *
views_test_load_run (JsonNode *root, SmileySink *store, GError **error)
{
  g_autoptr (SmileyRun) run = NULL;
  JsonObject *document;
  JsonObject *run_object;

  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "not a JSON object");
      return NULL;
    }
  document = json_node_get_object (root);
  run_object = json_object_get_object_member (document, "run");
  if (run_object == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "no run");
      return NULL;
    }

  run = smiley_run_new (member_string (run_object, "id"));
  smiley_run_set_description (run, member_string (run_object, "description"));
  smiley_run_set_pid (run, member_int (run_object, "pid"));
  if (json_object_has_member (run_object, "threads"))
    {
      JsonArray *threads = json_object_get_array_member (run_object, "threads");

      for (guint i = 0; i < json_array_get_length (threads); i++)
        {
          JsonObject *thread = json_array_get_object_element (threads, i);

          smiley_run_set_thread (run, member_int (thread, "id"), member_int (thread, "pid"),
                                 member_int (thread, "native_id"), member_string (thread, "name"));
        }
    }

  if (json_object_has_member (document, "stats")
      && !json_object_get_null_member (document, "stats"))
    {
      g_autoptr (SmileyStats) stats
          = views_test_stats_from_json (json_object_get_member (document, "stats"), error);

      if (stats == NULL)
        return NULL;
      smiley_run_set_stats (run, stats);
    }

  if (!smiley_sink_begin_run (store, run, error))
    return NULL;
  if (json_object_has_member (document, "events")
      && !add_events (run, json_object_get_array_member (document, "events"), store, error))
    return NULL;
  if (!smiley_sink_end_run (store, run, error))
    return NULL;
  return g_steal_pointer (&run);
}

/**
 * views_test_load_run_file:
 * @path: a JSON file
 * @store: where the run goes
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the run, loaded into @store
 */
SmileyRun *
views_test_load_run_file (const char *path, SmileySink *store, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();

  if (!json_parser_load_from_file (parser, path, error))
    return NULL;
  return views_test_load_run (json_parser_get_root (parser), store, error);
}

/**
 * views_test_sample_stats:
 *
 * A small profile with a recursive function, a builtin, and a function
 * whose path is too long for an 80-column table:
 *
 *   <module>  1 call     tottime  1 ms  cumtime 100 ms
 *   fib       177/1      tottime 60 ms  cumtime  90 ms  (from <module>, itself)
 *   len       5          tottime  9 ms  cumtime   9 ms  (from fib)
 *   long_one  2          tottime  0.4 ms cumtime 0.4 ms (from <module>)
 *
 * Returns: (transfer full): the statistics
 */
SmileyStats *
views_test_sample_stats (void)
{
  SmileyStats      *stats = smiley_stats_new ();
  guint             module = smiley_stats_add_entry (stats, "app.py", 1, "<module>");
  guint             fib = smiley_stats_add_entry (stats, "app.py", 10, "fib");
  guint             len = smiley_stats_add_entry (stats, "~", 0, "<built-in method builtins.len>");
  guint             long_one = smiley_stats_add_entry (stats, VIEWS_TEST_LONG_FILE, 1234,
                                                       "a_function_with_a_really_long_name_for_truncation");
  SmileyStatsEntry *entry;
  SmileyStatsCaller module_fib = { module, 1, 1, 60000000, 90000000 };
  SmileyStatsCaller fib_fib = { fib, 176, 0, 59000000, 88000000 };
  SmileyStatsCaller fib_len = { fib, 5, 5, 9000000, 9000000 };
  SmileyStatsCaller module_long = { module, 2, 2, 400000, 400000 };

  entry = smiley_stats_get_entry (stats, module);
  entry->ncalls = entry->primcalls = 1;
  entry->tottime_ns = 1000000;
  entry->cumtime_ns = 100000000;

  entry = smiley_stats_get_entry (stats, fib);
  entry->ncalls = 177;
  entry->primcalls = 1;
  entry->tottime_ns = 60000000;
  entry->cumtime_ns = 90000000;
  smiley_stats_add_caller (stats, fib, &module_fib);
  smiley_stats_add_caller (stats, fib, &fib_fib);

  entry = smiley_stats_get_entry (stats, len);
  entry->ncalls = entry->primcalls = 5;
  entry->tottime_ns = entry->cumtime_ns = 9000000;
  smiley_stats_add_caller (stats, len, &fib_len);

  entry = smiley_stats_get_entry (stats, long_one);
  entry->ncalls = entry->primcalls = 2;
  entry->tottime_ns = entry->cumtime_ns = 400000;
  smiley_stats_add_caller (stats, long_one, &module_long);

  return stats;
}

/**
 * views_test_store_new:
 * @stats: (nullable): the run's statistics, or %NULL for a run without
 * @run: (out): the run, id %VIEWS_TEST_RUN_ID
 *
 * Returns: (transfer full): a memory store holding the run
 */
SmileyStore *
views_test_store_new (SmileyStats *stats, SmileyRun **run)
{
  g_autoptr (SmileyMemoryStore) store = smiley_memory_store_new ();
  g_autoptr (GError) error = NULL;

  *run = smiley_run_new (VIEWS_TEST_RUN_ID);
  smiley_run_set_description (*run, "app.py");
  smiley_run_set_stats (*run, stats);
  smiley_sink_begin_run (SMILEY_SINK (store), *run, &error);
  g_assert_no_error (error);
  smiley_sink_end_run (SMILEY_SINK (store), *run, &error);
  g_assert_no_error (error);
  return SMILEY_STORE (g_steal_pointer (&store));
}

/**
 * views_test_render:
 * @view: a view
 * @store: a store
 * @run: a run of @store
 * @error: return location for a #GError
 *
 * Returns: (transfer full): what the view wrote, NUL-terminated, or %NULL
 *   with @error set
 */
char *
views_test_render (SmileyView *view, SmileyStore *store, SmileyRun *run, GError **error)
{
  g_autoptr (GOutputStream) output = g_memory_output_stream_new_resizable ();

  if (!smiley_view_render (view, store, run, output, NULL, error))
    return NULL;
  /* the terminating NUL */
  if (!g_output_stream_write_all (output, "", 1, NULL, NULL, error)
      || !g_output_stream_close (output, NULL, error))
    return NULL;
  return g_memory_output_stream_steal_data (G_MEMORY_OUTPUT_STREAM (output));
}
