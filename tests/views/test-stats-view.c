/* test-stats-view.c: the pstats-like table of `smiley stats show`
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include "smiley-memory-store.h"
#include "smiley-stats-view.h"
#include "views-test-input.h"

typedef struct
{
  SmileyStore     *store;
  SmileyRun       *run;
  SmileyStatsView *view;
} Fixture;

static void
fixture_set_up (Fixture *fixture, gconstpointer data)
{
  g_autoptr (SmileyStats) stats = views_test_sample_stats ();

  fixture->store = views_test_store_new (stats, &fixture->run);
  fixture->view = smiley_stats_view_new ();
  g_object_set (fixture->view, "width", 80, NULL);
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer data)
{
  g_clear_object (&fixture->view);
  g_clear_object (&fixture->run);
  g_clear_object (&fixture->store);
}

static char *
render (Fixture *fixture)
{
  g_autoptr (GError) error = NULL;
  char *text
      = views_test_render (SMILEY_VIEW (fixture->view), fixture->store, fixture->run, &error);

  g_assert_no_error (error);
  g_assert_nonnull (text);
  return text;
}

/* The table's rows: the lines after the column titles. */
static GStrv
table_rows (const char *text)
{
  const char *title = strstr (text, "   ncalls  tottime  percall  cumtime  percall  function");
  const char *end;

  g_assert_nonnull (title);
  end = strchr (title, '\n');
  g_assert_nonnull (end);
  return g_strsplit (end + 1, "\n", -1);
}

static void
assert_row_order (const char *text, const char *const *functions)
{
  g_auto (GStrv) rows = table_rows (text);
  guint i = 0;

  for (; functions[i] != NULL; i++)
    {
      g_assert_nonnull (rows[i]);
      if (strstr (rows[i], functions[i]) == NULL)
        g_error ("row %u is '%s', expected function %s\n%s", i, rows[i], functions[i], text);
    }
  g_assert_cmpstr (rows[i], ==, "");
}

static void
test_default (Fixture *fixture, gconstpointer data)
{
  g_autofree char *text = render (fixture);
  g_auto (GStrv) rows = NULL;
  const char *order[]
      = { "<module>", "fib", "<built-in method builtins.len>", "a_function_", NULL };

  g_assert_true (g_str_has_prefix (text, "run 1234abcd5678ef90: app.py\n\n"));
  g_assert_nonnull (
      strstr (text, "\n      185 function calls (9 primitive calls) in 0.070 seconds\n"));
  g_assert_nonnull (strstr (text, "\n   Ordered by: cumulative time\n"));
  g_assert_null (strstr (text, "List reduced"));
  assert_row_order (text, order);

  rows = table_rows (text);
  /* pstats' own columns: ncalls as total/primitive, own time per call
   * over all calls, cumulative time per call over primitive calls */
  g_assert_true (
      g_str_has_prefix (rows[0], "        1    0.001    0.001    0.100    0.100  <module>"));
  g_assert_true (g_str_has_prefix (rows[1], "    177/1    0.060    0.000    0.090    0.090  fib"));
  g_assert_true (
      g_str_has_prefix (rows[2], "        5    0.009    0.002    0.009    0.002  <built-in"));
  g_assert_cmpstr (
      rows[1], ==,
      "    177/1    0.060    0.000    0.090    0.090  fib           app.py           10");
  /* a C function has no file or line: its name takes their room */
  g_assert_cmpstr (rows[2], ==,
                   "        5    0.009    0.002    0.009    0.002  <built-in method builtins.len>");
  g_assert_true (g_str_has_suffix (rows[3], "1234"));
}

static void
test_fits_80_columns (Fixture *fixture, gconstpointer data)
{
  g_autofree char *text = render (fixture);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  g_auto (GStrv) rows = table_rows (text);

  for (guint i = 0; lines[i] != NULL; i++)
    if (g_utf8_strlen (lines[i], -1) > 80)
      g_error ("line %u is longer than 80 characters: '%s'", i, lines[i]);

  /* the long path loses its beginning, the long name its end */
  g_assert_nonnull (strstr (rows[3], "a_function_"));
  g_assert_nonnull (strstr (rows[3], "…"));
  g_assert_null (strstr (rows[3], VIEWS_TEST_LONG_FILE));
  g_assert_nonnull (strstr (rows[3], "…"));
  g_assert_true (g_str_has_suffix (rows[3], "1234"));
}

static void
test_unlimited_width (Fixture *fixture, gconstpointer data)
{
  g_autofree char *text = NULL;

  /* 0 is "the terminal's width", and a memory stream is no terminal */
  g_object_set (fixture->view, "width", 0, NULL);
  text = render (fixture);
  g_assert_nonnull (strstr (text, VIEWS_TEST_LONG_FILE));
  g_assert_nonnull (strstr (text, "a_function_with_a_really_long_name_for_truncation"));
  g_assert_nonnull (strstr (text, "<built-in method builtins.len>"));
  g_assert_null (strstr (text, "…"));
}

static void
test_relative_paths (Fixture *fixture, gconstpointer data)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) rows = NULL;

  /* files under the run's working directory are shown relative to it */
  smiley_run_set_cwd (fixture->run, "/home/someone/projects/");
  g_object_set (fixture->view, "width", 0, NULL);
  text = render (fixture);
  rows = table_rows (text);
  g_assert_true (g_str_has_suffix (
      rows[3], "  a/very/deeply/nested/package/directory/module_with_long_name.py  1234"));
  g_assert_null (strstr (rows[3], "/home/someone"));
  /* others are not */
  g_assert_nonnull (strstr (rows[1], "  app.py  "));
  g_assert_true (g_str_has_suffix (rows[1], "  10"));
}

static void
test_sort (Fixture *fixture, gconstpointer data)
{
  const struct
  {
    const char *sort;
    const char *described;
    const char *order[5];
  } cases[] = {
    { "tottime", "internal time", { "fib", "<built-in m", "<module>", "a_function_", NULL } },
    { "ncalls", "call count", { "fib", "<built-in m", "a_function_", "<module>", NULL } },
    { "name", "function name", { "<built-in m", "<module>", "a_function_", "fib", NULL } },
    { "file", "file name", { "a_function_", "<module>", "fib", "<built-in m", NULL } },
    { "cumulative", "cumulative time", { "<module>", "fib", "<built-in m", "a_function_", NULL } },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = NULL;
      g_autofree char *ordered = g_strdup_printf ("   Ordered by: %s\n", cases[i].described);

      g_object_set (fixture->view, "sort", cases[i].sort, NULL);
      text = render (fixture);
      g_assert_nonnull (strstr (text, ordered));
      assert_row_order (text, cases[i].order);
    }
}

static void
test_bad_sort (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;

  g_object_set (fixture->view, "sort", "speed", NULL);
  text = views_test_render (SMILEY_VIEW (fixture->view), fixture->store, fixture->run, &error);
  g_assert_null (text);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_cmpstr (error->message, ==,
                   "unknown sort order 'speed' (use cumtime, tottime, ncalls, name or file)");
}

static void
test_limit (Fixture *fixture, gconstpointer data)
{
  g_autofree char *text = NULL;
  const char      *order[] = { "<module>", "fib", NULL };

  g_object_set (fixture->view, "limit", 2, NULL);
  text = render (fixture);
  g_assert_nonnull (strstr (text, "   List reduced from 4 to 2 due to restriction <2>\n"));
  assert_row_order (text, order);
}

static void
test_callers (Fixture *fixture, gconstpointer data)
{
  g_autofree char *text = NULL;
  const char      *heading;
  g_auto (GStrv) lines = NULL;

  g_object_set (fixture->view, "callers", "fib", NULL);
  text = render (fixture);
  g_assert_nonnull (strstr (text, "   Functions matching 'fib': 1\n"));
  heading = strstr (text, "\nfib (app.py:10) was called by:\n");
  g_assert_nonnull (heading);
  lines = g_strsplit (heading + 1, "\n", -1);
  g_assert_true (g_str_has_prefix (lines[1], "   ncalls  tottime  cumtime  function"));
  /* callers in the table's order: <module> (cumulative) before fib */
  g_assert_true (g_str_has_prefix (lines[2], "        1    0.060    0.090  <module>"));
  g_assert_true (g_str_has_prefix (lines[3], "    176/0    0.059    0.088  fib"));
  g_assert_cmpstr (lines[4], ==, "");
  g_assert_null (strstr (text, "ncalls  tottime  percall"));
}

static void
test_callees (Fixture *fixture, gconstpointer data)
{
  g_autofree char *text = NULL;
  const char      *heading;
  g_auto (GStrv) lines = NULL;

  /* the exact pstats name works as well as a part of the name */
  g_object_set (fixture->view, "callees", "app.py:10(fib)", NULL);
  text = render (fixture);
  heading = strstr (text, "\nfib (app.py:10) called:\n");
  g_assert_nonnull (heading);
  lines = g_strsplit (heading + 1, "\n", -1);
  g_assert_true (g_str_has_prefix (lines[2], "    176/0    0.059    0.088  fib"));
  g_assert_true (g_str_has_prefix (lines[3], "        5    0.009    0.009  <built-in"));
  g_assert_cmpstr (lines[4], ==, "");
}

static void
test_callers_of_top_level (Fixture *fixture, gconstpointer data)
{
  g_autofree char *text = NULL;

  g_object_set (fixture->view, "callers", "<module>", "callees", "builtins.len", NULL);
  text = render (fixture);
  g_assert_nonnull (strstr (text, "\n<module> (app.py:1) was called by:\n"
                                  "   no recorded callers (called from the top level)\n"));
  g_assert_nonnull (strstr (text, "\n<built-in method builtins.len> called:\n"
                                  "   no recorded calls to other functions\n"));
}

static void
test_no_match (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;

  g_object_set (fixture->view, "callees", "nosuchfunction", NULL);
  text = views_test_render (SMILEY_VIEW (fixture->view), fixture->store, fixture->run, &error);
  g_assert_null (text);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==,
                   "no function in the profile of run 1234abcd5678ef90 matches 'nosuchfunction'");
}

static void
test_no_stats (void)
{
  g_autoptr (SmileyRun) run = NULL;
  g_autoptr (SmileyStore) store = views_test_store_new (NULL, &run);
  g_autoptr (SmileyStatsView) view = smiley_stats_view_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *text = views_test_render (SMILEY_VIEW (view), store, run, &error);

  g_assert_null (text);
  g_assert_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NO_STATS);
  g_assert_cmpstr (error->message, ==,
                   "run 1234abcd has no profile statistics (it is still running or the "
                   "program died before writing them)");
}

static void
test_empty_profile (void)
{
  g_autoptr (SmileyStats) stats = smiley_stats_new ();
  g_autoptr (SmileyRun) run = NULL;
  g_autoptr (SmileyStore) store = views_test_store_new (stats, &run);
  g_autoptr (SmileyStatsView) view = smiley_stats_view_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *text = views_test_render (SMILEY_VIEW (view), store, run, &error);
  g_auto (GStrv) rows = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (strstr (text, "        0 function calls in 0.000 seconds\n"));
  /* the column titles, and no rows */
  rows = table_rows (text);
  g_assert_null (rows[0]);
}

static void
test_invalid_utf8 (void)
{
  g_autoptr (SmileyStats) stats = smiley_stats_new ();
  g_autoptr (SmileyRun) run = NULL;
  g_autoptr (SmileyStore) store = NULL;
  g_autoptr (SmileyStatsView) view = smiley_stats_view_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  guint            bad = smiley_stats_add_entry (stats, "b\xf0", 3, "cut\xf0");

  smiley_stats_get_entry (stats, bad)->ncalls = 1;
  store = views_test_store_new (stats, &run);
  g_object_set (view, "width", 80, NULL);
  text = views_test_render (SMILEY_VIEW (view), store, run, &error);
  g_assert_no_error (error);
  g_assert_true (g_utf8_validate (text, -1, NULL));
  g_assert_nonnull (strstr (text, "  cut\xef\xbf\xbd  "));
}

static void
test_no_run (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GOutputStream) output = g_memory_output_stream_new_resizable ();

  g_assert_false (
      smiley_view_render (SMILEY_VIEW (fixture->view), fixture->store, NULL, output, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

static void
test_write_error (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GOutputStream) output = g_memory_output_stream_new_resizable ();

  g_output_stream_close (output, NULL, NULL);
  g_assert_false (smiley_view_render (SMILEY_VIEW (fixture->view), fixture->store, fixture->run,
                                      output, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/smiley/stats-view/default", test_default);
  ADD ("/smiley/stats-view/fits-80-columns", test_fits_80_columns);
  ADD ("/smiley/stats-view/unlimited-width", test_unlimited_width);
  ADD ("/smiley/stats-view/relative-paths", test_relative_paths);
  ADD ("/smiley/stats-view/sort", test_sort);
  ADD ("/smiley/stats-view/bad-sort", test_bad_sort);
  ADD ("/smiley/stats-view/limit", test_limit);
  ADD ("/smiley/stats-view/callers", test_callers);
  ADD ("/smiley/stats-view/callees", test_callees);
  ADD ("/smiley/stats-view/callers-of-top-level", test_callers_of_top_level);
  ADD ("/smiley/stats-view/no-match", test_no_match);
  ADD ("/smiley/stats-view/no-run", test_no_run);
  ADD ("/smiley/stats-view/write-error", test_write_error);
#undef ADD
  g_test_add_func ("/smiley/stats-view/no-stats", test_no_stats);
  g_test_add_func ("/smiley/stats-view/empty-profile", test_empty_profile);
  g_test_add_func ("/smiley/stats-view/invalid-utf8", test_invalid_utf8);

  return g_test_run ();
}
