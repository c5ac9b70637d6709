/* test-export-views.c: the Chrome trace and JSON lines exports of
 * `smiley export`
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include <json-glib/json-glib.h>

#include "smiley-chrome-view.h"
#include "smiley-jsonl-view.h"
#include "smiley-memory-store.h"
#include "views-test-input.h"

/* Two threads. Thread 1 runs main(), which calls len(), runs a generator
 * that yields once and then returns, and calls crash(), which never
 * returns: the run ends there. Thread 2 runs worker(), which returns 42.
 * A return whose call was never seen is ignored.
 *
 *   time  thread  event
 *      0  1       call main (1)
 *     10  1       c_call len
 *     15  2       call worker (4)
 *     20  1       c_return len
 *     30  1       call gen (2)
 *     35  2       return worker "42"
 *     40  1       yield gen "1"
 *     45  2       return ??? (99)
 *     50  1       resume gen (2)
 *     55  1       exception gen "StopIteration: "
 *     60  1       return gen "None"
 *     70  1       call crash (3)
 *     80  1       line crash
 */
static SmileyStore *
store_with_events (SmileyRun **run_out)
{
  g_autoptr (SmileyMemoryStore) store = smiley_memory_store_new ();
  g_autoptr (SmileyBatch) batch = smiley_batch_new ();
  g_autoptr (GError) error = NULL;
  SmileyRun  *run = smiley_run_new (VIEWS_TEST_RUN_ID);
  guint32     file = smiley_run_intern (run, "/src/app.py");
  guint32     builtin = smiley_run_intern (run, "~");
  guint32     x = smiley_run_intern (run, "x");
  SmileyLocal locals[] = { { x, "1" } };
  const struct
  {
    SmileyEventKind kind;
    guint32         thread;
    guint64         call_id;
    gint64          time;
    guint32         file;
    const char     *function;
    guint32         line;
    const char     *arg;
  } events[] = {
    { SMILEY_EVENT_CALL, 1, 1, 0, file, "main", 1, NULL },
    { SMILEY_EVENT_C_CALL, 1, 5, 10, builtin, "<built-in method builtins.len>", 0, NULL },
    { SMILEY_EVENT_CALL, 2, 4, 15, file, "worker", 20, NULL },
    { SMILEY_EVENT_C_RETURN, 1, 5, 20, builtin, "<built-in method builtins.len>", 0, NULL },
    { SMILEY_EVENT_CALL, 1, 2, 30, file, "gen", 10, NULL },
    { SMILEY_EVENT_RETURN, 2, 4, 35, file, "worker", 22, "42" },
    { SMILEY_EVENT_YIELD, 1, 2, 40, file, "gen", 11, "1" },
    { SMILEY_EVENT_RETURN, 2, 99, 45, file, "elsewhere", 1, "None" },
    { SMILEY_EVENT_RESUME, 1, 2, 50, file, "gen", 11, NULL },
    { SMILEY_EVENT_EXCEPTION, 1, 2, 55, file, "gen", 11, "StopIteration: " },
    { SMILEY_EVENT_RETURN, 1, 2, 60, file, "gen", 12, "None" },
    { SMILEY_EVENT_CALL, 1, 3, 70, file, "crash", 30, NULL },
    { SMILEY_EVENT_LINE, 1, 3, 80, file, "crash", 31, NULL },
  };

  smiley_run_set_description (run, "app.py");
  smiley_run_set_pid (run, 4242);
  smiley_run_set_thread (run, 1, 4242, 4242, "MainThread");
  smiley_run_set_thread (run, 2, 4242, 4243, "worker-0");

  for (guint i = 0; i < G_N_ELEMENTS (events); i++)
    {
      SmileyEvent event = {
        .kind = events[i].kind,
        .thread = events[i].thread,
        .call_id = events[i].call_id,
        .time_ns = events[i].time * 1000,
        .file = events[i].file,
        .line = events[i].line,
        .function = smiley_run_intern (run, events[i].function),
        .arg = events[i].arg,
        .n_locals = i == 0 ? 1 : 0,
        .locals = locals,
      };

      smiley_batch_add (batch, &event);
    }

  smiley_sink_begin_run (SMILEY_SINK (store), run, &error);
  g_assert_no_error (error);
  smiley_sink_push (SMILEY_SINK (store), run, batch, &error);
  g_assert_no_error (error);
  *run_out = run;
  return SMILEY_STORE (g_steal_pointer (&store));
}

static JsonObject *
find_complete_event (JsonArray *events, const char *name, guint nth)
{
  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonObject *event = json_array_get_object_element (events, i);

      if (g_str_equal (json_object_get_string_member (event, "ph"), "X")
          && g_str_equal (json_object_get_string_member (event, "name"), name) && nth-- == 0)
        return event;
    }
  return NULL;
}

static void
assert_interval (JsonObject *event, double ts, double dur, gint64 tid)
{
  g_assert_nonnull (event);
  /* microseconds */
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (event, "ts"), ts, 1e-9);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (event, "dur"), dur, 1e-9);
  g_assert_cmpint (json_object_get_int_member (event, "pid"), ==, 4242);
  g_assert_cmpint (json_object_get_int_member (event, "tid"), ==, tid);
}

static void
test_chrome (void)
{
  g_autoptr (SmileyRun) run = NULL;
  g_autoptr (SmileyStore) store = store_with_events (&run);
  g_autoptr (SmileyChromeView) view = smiley_chrome_view_new ();
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *text = views_test_render (SMILEY_VIEW (view), store, run, &error);
  JsonObject      *root;
  JsonArray       *events;
  JsonObject      *event;
  JsonObject      *args;
  guint            n_complete = 0;
  guint            n_thread_names = 0;

  g_assert_no_error (error);
  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (root, "displayTimeUnit"), ==, "ns");
  g_assert_cmpstr (
      json_object_get_string_member (json_object_get_object_member (root, "otherData"), "run_id"),
      ==, VIEWS_TEST_RUN_ID);
  events = json_object_get_array_member (root, "traceEvents");

  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      event = json_array_get_object_element (events, i);
      if (g_str_equal (json_object_get_string_member (event, "ph"), "X"))
        n_complete++;
      else if (g_str_equal (json_object_get_string_member (event, "name"), "thread_name"))
        {
          const char *name = json_object_get_string_member (
              json_object_get_object_member (event, "args"), "name");

          n_thread_names++;
          g_assert_cmpint (json_object_get_int_member (event, "tid"), ==,
                           g_str_equal (name, "MainThread") ? 4242 : 4243);
        }
    }
  /* main, len, worker, gen twice (before and after its yield), crash */
  g_assert_cmpuint (n_complete, ==, 6);
  g_assert_cmpuint (n_thread_names, ==, 2);

  event = find_complete_event (events, "main", 0);
  assert_interval (event, 0, 80, 4242);
  args = json_object_get_object_member (event, "args");
  g_assert_true (json_object_get_boolean_member (args, "unfinished"));
  g_assert_cmpstr (json_object_get_string_member (event, "cat"), ==, "/src/app.py");
  g_assert_cmpstr (json_object_get_string_member (args, "file"), ==, "/src/app.py");
  g_assert_cmpint (json_object_get_int_member (args, "line"), ==, 1);

  event = find_complete_event (events, "<built-in method builtins.len>", 0);
  assert_interval (event, 10, 10, 4242);
  g_assert_cmpstr (json_object_get_string_member (event, "cat"), ==, "builtin");

  event = find_complete_event (events, "worker", 0);
  assert_interval (event, 15, 20, 4243);
  g_assert_cmpstr (
      json_object_get_string_member (json_object_get_object_member (event, "args"), "return"), ==,
      "42");

  event = find_complete_event (events, "gen", 0);
  assert_interval (event, 30, 10, 4242);
  g_assert_cmpstr (
      json_object_get_string_member (json_object_get_object_member (event, "args"), "yield"), ==,
      "1");
  event = find_complete_event (events, "gen", 1);
  assert_interval (event, 50, 10, 4242);
  args = json_object_get_object_member (event, "args");
  g_assert_true (json_object_get_boolean_member (args, "resumed"));
  g_assert_cmpstr (json_object_get_string_member (args, "exception"), ==, "StopIteration: ");
  g_assert_cmpstr (json_object_get_string_member (args, "return"), ==, "None");

  event = find_complete_event (events, "crash", 0);
  assert_interval (event, 70, 10, 4242);
  g_assert_true (
      json_object_get_boolean_member (json_object_get_object_member (event, "args"), "unfinished"));

  g_assert_null (find_complete_event (events, "elsewhere", 0));
}

static void
test_jsonl (void)
{
  g_autoptr (SmileyRun) run = NULL;
  g_autoptr (SmileyStore) store = store_with_events (&run);
  g_autoptr (SmileyJsonlView) view = smiley_jsonl_view_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *text = views_test_render (SMILEY_VIEW (view), store, run, &error);
  g_auto (GStrv) lines = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *event;

  g_assert_no_error (error);
  g_assert_true (g_str_has_suffix (text, "\n"));
  lines = g_strsplit (text, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 13 + 1);

  json_parser_load_from_data (parser, lines[0], -1, &error);
  g_assert_no_error (error);
  event = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (event, "kind"), ==, "call");
  g_assert_cmpint (json_object_get_int_member (event, "thread"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (event, "call_id"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (event, "time_ns"), ==, 0);
  g_assert_cmpstr (json_object_get_string_member (event, "file"), ==, "/src/app.py");
  g_assert_cmpstr (json_object_get_string_member (event, "function"), ==, "main");
  g_assert_true (json_object_get_null_member (event, "arg"));
  g_assert_cmpstr (
      json_object_get_string_member (json_object_get_object_member (event, "locals"), "x"), ==,
      "1");
  g_assert_cmpuint (json_object_get_size (event), ==, 11);

  json_parser_load_from_data (parser, lines[5], -1, &error);
  g_assert_no_error (error);
  event = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (event, "kind"), ==, "return");
  g_assert_cmpint (json_object_get_int_member (event, "thread"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (event, "time_ns"), ==, 35000);
  g_assert_cmpstr (json_object_get_string_member (event, "arg"), ==, "42");
  g_assert_cmpuint (json_object_get_size (json_object_get_object_member (event, "locals")), ==, 0);
}

static void
test_jsonl_escaping (void)
{
  g_autoptr (SmileyMemoryStore) store = smiley_memory_store_new ();
  g_autoptr (SmileyRun) run = smiley_run_new (VIEWS_TEST_RUN_ID);
  g_autoptr (SmileyBatch) batch = smiley_batch_new ();
  g_autoptr (SmileyJsonlView) view = smiley_jsonl_view_new ();
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  const char      *nasty = "'q\"uote' \\ back\nnew\ttab\r\x01\x1f ünï ✓ </script>";
  SmileyLocal      locals[] = {
         { smiley_run_intern (run, "we\"ird"), nasty },
         { smiley_run_intern (run, "gone"), NULL },
  };
  SmileyEvent event = {
    .kind = SMILEY_EVENT_RETURN,
    .thread = 1,
    .call_id = G_MAXUINT64,
    .time_ns = G_MAXINT64,
    .file = smiley_run_intern (run, "C:\\path\\x.py"),
    .function = smiley_run_intern (run, "f"),
    .arg = "bad \xff utf-8",
    .n_locals = G_N_ELEMENTS (locals),
    .locals = locals,
  };
  JsonObject *object;
  JsonObject *vars;

  smiley_batch_add (batch, &event);
  smiley_sink_begin_run (SMILEY_SINK (store), run, &error);
  g_assert_no_error (error);
  smiley_sink_push (SMILEY_SINK (store), run, batch, &error);
  g_assert_no_error (error);

  text = views_test_render (SMILEY_VIEW (view), SMILEY_STORE (store), run, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_suffix (text, "}\n"));
  g_assert_null (strchr (text, '\x01'));
  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  object = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (object, "file"), ==, "C:\\path\\x.py");
  g_assert_cmpstr (json_object_get_string_member (object, "arg"), ==, "bad \xef\xbf\xbd utf-8");
  g_assert_cmpint (json_object_get_int_member (object, "time_ns"), ==, G_MAXINT64);
  vars = json_object_get_object_member (object, "locals");
  g_assert_cmpstr (json_object_get_string_member (vars, "we\"ird"), ==, nasty);
  g_assert_true (json_object_get_null_member (vars, "gone"));
}

static void
test_chrome_invalid_utf8 (void)
{
  g_autoptr (SmileyMemoryStore) store = smiley_memory_store_new ();
  g_autoptr (SmileyRun) run = smiley_run_new (VIEWS_TEST_RUN_ID);
  g_autoptr (SmileyBatch) batch = smiley_batch_new ();
  g_autoptr (SmileyChromeView) view = smiley_chrome_view_new ();
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  SmileyEvent      call = {
         .kind = SMILEY_EVENT_CALL,
         .thread = 1,
         .call_id = 1,
         .file = smiley_run_intern (run, "x.py"),
         .function = smiley_run_intern (run, "bad\xfe\"name"),
  };
  SmileyEvent ret = call;
  JsonArray  *events;
  JsonObject *complete = NULL;

  ret.kind = SMILEY_EVENT_RETURN;
  ret.time_ns = 5000;
  ret.arg = "\xff";
  smiley_run_set_thread (run, 1, 7, 7, "th\xffread");
  smiley_batch_add (batch, &call);
  smiley_batch_add (batch, &ret);
  smiley_sink_begin_run (SMILEY_SINK (store), run, &error);
  g_assert_no_error (error);
  smiley_sink_push (SMILEY_SINK (store), run, batch, &error);
  g_assert_no_error (error);

  text = views_test_render (SMILEY_VIEW (view), SMILEY_STORE (store), run, &error);
  g_assert_no_error (error);
  g_assert_true (g_utf8_validate (text, -1, NULL));
  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  events = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                         "traceEvents");
  for (guint i = 0; i < json_array_get_length (events); i++)
    if (g_str_equal (
            json_object_get_string_member (json_array_get_object_element (events, i), "ph"), "X"))
      complete = json_array_get_object_element (events, i);
  g_assert_nonnull (complete);
  g_assert_cmpstr (json_object_get_string_member (complete, "name"), ==, "bad\xef\xbf\xbd\"name");
  g_assert_cmpfloat (json_object_get_double_member (complete, "dur"), ==, 5.0);
}

static void
test_store_error (void)
{
  g_autoptr (SmileyRun) run = NULL;
  g_autoptr (SmileyStore) store = store_with_events (&run);
  SmileyView *views[]
      = { SMILEY_VIEW (smiley_chrome_view_new ()), SMILEY_VIEW (smiley_jsonl_view_new ()) };

  g_object_set (store, "fail-events", TRUE, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (views); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *text = views_test_render (views[i], store, run, &error);

      g_assert_null (text);
      g_assert_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_CORRUPT);
      g_object_unref (views[i]);
    }
}

static void
test_no_run (void)
{
  g_autoptr (SmileyRun) run = NULL;
  g_autoptr (SmileyStore) store = store_with_events (&run);
  SmileyView *views[]
      = { SMILEY_VIEW (smiley_chrome_view_new ()), SMILEY_VIEW (smiley_jsonl_view_new ()) };

  for (guint i = 0; i < G_N_ELEMENTS (views); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GOutputStream) output = g_memory_output_stream_new_resizable ();

      g_assert_false (smiley_view_render (views[i], store, NULL, output, NULL, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      g_object_unref (views[i]);
    }
}

static void
test_cancelled (void)
{
  g_autoptr (SmileyRun) run = NULL;
  g_autoptr (SmileyStore) store = store_with_events (&run);
  g_autoptr (SmileyChromeView) view = smiley_chrome_view_new ();
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GOutputStream) output = g_memory_output_stream_new_resizable ();
  g_autoptr (GError) error = NULL;

  g_cancellable_cancel (cancellable);
  g_assert_false (smiley_view_render (SMILEY_VIEW (view), store, run, output, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/smiley/export/chrome", test_chrome);
  g_test_add_func ("/smiley/export/jsonl", test_jsonl);
  g_test_add_func ("/smiley/export/jsonl-escaping", test_jsonl_escaping);
  g_test_add_func ("/smiley/export/chrome-invalid-utf8", test_chrome_invalid_utf8);
  g_test_add_func ("/smiley/export/store-error", test_store_error);
  g_test_add_func ("/smiley/export/no-run", test_no_run);
  g_test_add_func ("/smiley/export/cancelled", test_cancelled);

  return g_test_run ();
}
