/* test-callgraph.c: the call graph of `smiley stats graph`, drawn with
 * graphviz
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include <math.h>

#include "smiley-callgraph.h"
#include "smiley-callgraph-view.h"
#include "smiley-memory-store.h"
#include "views-test-input.h"

/* Under LeakSanitizer (the sanitizer build of tests/run): graphviz's text
 * layout goes through pango and fontconfig, which keep their font caches
 * until exit on purpose. Only their allocations are exempt. */
const char *__lsan_default_suppressions (void);

const char *
__lsan_default_suppressions (void)
{
  return "leak:libfontconfig.so\n"
         "leak:libpango\n"
         "leak:libcairo.so\n";
}

static char *
render_text (SmileyStats *stats, const char *format, double node_threshold, double edge_threshold)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes
      = smiley_callgraph_render (stats, format, node_threshold, edge_threshold, &error);
  gsize       length;
  const char *data;

  g_assert_no_error (error);
  g_assert_nonnull (bytes);
  data = g_bytes_get_data (bytes, &length);
  return g_strndup (data, length);
}

static guint
count (const char *text, const char *needle)
{
  guint n = 0;

  for (const char *p = strstr (text, needle); p != NULL; p = strstr (p + 1, needle))
    n++;
  return n;
}

static void
test_dot (void)
{
  g_autoptr (SmileyStats) stats = views_test_sample_stats ();
  g_autofree char *dot = render_text (stats, "dot", 0.5, 0.1);

  g_assert_true (g_str_has_prefix (dot, "digraph callgraph {"));
  /* total time is the sum of own times, 70.4 ms: fib's 90 ms of
   * cumulative time is more than all of it, as for any function that
   * recursed, and is shown as 100% */
  g_assert_nonnull (strstr (dot, "label=\"fib\\napp.py:10\\n100.00% (85.23%)\\n177×\""));
  g_assert_nonnull (
      strstr (dot, "label=\"<built-in method builtins.len>\\n12.78% (12.78%)\\n5×\""));
  g_assert_nonnull (strstr (dot, "tooltip=\"app.py:10(fib)\""));
  /* four functions; calls <module>→fib, fib→fib, fib→len, <module>→long */
  g_assert_cmpuint (count (dot, "shape=box"), ==, 1);
  g_assert_cmpuint (count (dot, "tooltip="), ==, 4);
  g_assert_cmpuint (count (dot, " -> "), ==, 4);
  g_assert_nonnull (strstr (dot, "label=\"12.78%\\n5×\""));
  /* the colours of 0% and 100%: gprof2dot's dark blue and red */
  g_assert_nonnull (strstr (dot, "#ff0000"));
}

static void
test_thresholds (void)
{
  g_autoptr (SmileyStats) stats = views_test_sample_stats ();
  g_autofree char *few = render_text (stats, "dot", 50.0, 0.1);
  g_autofree char *thin = render_text (stats, "dot", 0.0, 20.0);
  g_autofree char *all = render_text (stats, "dot", 0.0, 0.0);

  /* only <module> and fib have half the time; the edge to len goes too */
  g_assert_cmpuint (count (few, "tooltip="), ==, 2);
  g_assert_null (strstr (few, "builtins.len"));
  g_assert_cmpuint (count (few, " -> "), ==, 2);

  /* edges under 20%: fib→len (12.78%) and <module>→long (0.57%) */
  g_assert_cmpuint (count (thin, "tooltip="), ==, 4);
  g_assert_cmpuint (count (thin, " -> "), ==, 2);

  g_assert_cmpuint (count (all, " -> "), ==, 4);
  /* a function with 0.57% of the time is nearly gprof2dot's dark blue */
  g_assert_nonnull (strstr (
      all,
      "a_function_with_a_really_long_name_for_truncation\\nmodule_with_long_name.py:1234\\n0.57%"));
}

static void
test_colors (void)
{
  g_autoptr (SmileyStats) stats = smiley_stats_new ();
  guint            hot = smiley_stats_add_entry (stats, "a.py", 1, "hot");
  guint            cold = smiley_stats_add_entry (stats, "a.py", 2, "cold");
  g_autofree char *dot = NULL;

  smiley_stats_get_entry (stats, hot)->ncalls = 1;
  smiley_stats_get_entry (stats, hot)->tottime_ns = 1000000000;
  smiley_stats_get_entry (stats, hot)->cumtime_ns = 1000000000;
  smiley_stats_get_entry (stats, cold)->ncalls = 1;

  dot = render_text (stats, "dot", 0.0, 0.0);
  g_assert_nonnull (strstr (dot, "color=\"#ff0000\""));
  g_assert_nonnull (strstr (dot, "color=\"#0d0d73\""));
}

/* The colours gprof2dot itself gives the same shares of time (checked
 * with gprof2dot -f pstats on a smiley export): the scale is its own. */
static void
test_gprof2dot_colors (void)
{
  g_autoptr (SmileyStats) stats = smiley_stats_new ();
  const struct
  {
    const char *name;
    gint64      tottime;
    gint64      cumtime;
    const char *color;
  } cases[] = {
    { "hot", 933800, 933800, "#f54202" },
    { "warm", 31100, 992600, "#fe0800" },
    { "cool", 35100, 35100, "#0d1c77" },
  };
  g_autofree char *dot = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      SmileyStatsEntry *entry = smiley_stats_get_entry (
          stats, smiley_stats_add_entry (stats, "a.py", i + 1, cases[i].name));

      entry->ncalls = entry->primcalls = 1;
      entry->tottime_ns = cases[i].tottime;
      entry->cumtime_ns = cases[i].cumtime;
    }
  dot = render_text (stats, "dot", 0.0, 0.0);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *label = g_strdup_printf ("label=\"%s\\n", cases[i].name);
      g_autofree char *fill = g_strdup_printf ("fillcolor=\"%s\"", cases[i].color);
      const char      *at = strstr (dot, label);
      const char      *start;
      const char      *end;
      g_autofree char *attributes = NULL;

      /* the node's attribute list, [ … ], in whatever order graphviz
       * writes them */
      g_assert_nonnull (at);
      for (start = at; start > dot && *start != '['; start--)
        ;
      end = strchr (at, ']');
      g_assert_nonnull (end);
      attributes = g_strndup (start, end - start);
      if (strstr (attributes, fill) == NULL)
        g_error ("%s is not drawn in %s: %s", cases[i].name, cases[i].color, attributes);
    }
}

static void
test_svg (void)
{
  g_autoptr (SmileyStats) stats = views_test_sample_stats ();
  g_autofree char *svg = render_text (stats, "svg", 0.5, 0.1);

  g_assert_nonnull (strstr (svg, "<svg"));
  g_assert_nonnull (strstr (svg, "</svg>"));
  /* names are escaped for XML */
  g_assert_nonnull (strstr (svg, ">fib</text>"));
  g_assert_nonnull (strstr (svg, "&lt;module&gt;"));
  g_assert_nonnull (strstr (svg, "fill=\"#ff0000\""));
}

static void
test_png (void)
{
  g_autoptr (SmileyStats) stats = views_test_sample_stats ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = smiley_callgraph_render (stats, "png", 0.5, 0.1, &error);

  if (bytes == NULL)
    {
      /* a graphviz without its cairo plugin cannot make PNGs, and says so */
      g_assert_error (error, SMILEY_CALLGRAPH_ERROR, SMILEY_CALLGRAPH_ERROR_FORMAT);
      g_assert_nonnull (strstr (error->message, "use --format svg"));
      g_test_skip ("graphviz here cannot render png");
      return;
    }
  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), 8, "\x89PNG\r\n\x1a\n", 8);
}

static void
test_bad_options (void)
{
  g_autoptr (SmileyStats) stats = views_test_sample_stats ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = NULL;

  bytes = smiley_callgraph_render (stats, "gif", 0.5, 0.1, &error);
  g_assert_null (bytes);
  g_assert_error (error, SMILEY_CALLGRAPH_ERROR, SMILEY_CALLGRAPH_ERROR_FORMAT);
  g_assert_cmpstr (error->message, ==, "unknown call graph format 'gif' (use svg, png or dot)");
  g_clear_error (&error);

  bytes = smiley_callgraph_render (stats, "svg", 150.0, 0.1, &error);
  g_assert_null (bytes);
  g_assert_error (error, SMILEY_CALLGRAPH_ERROR, SMILEY_CALLGRAPH_ERROR_THRESHOLD);
  g_clear_error (&error);

  bytes = smiley_callgraph_render (stats, "svg", 0.5, NAN, &error);
  g_assert_null (bytes);
  g_assert_error (error, SMILEY_CALLGRAPH_ERROR, SMILEY_CALLGRAPH_ERROR_THRESHOLD);
}

static void
test_invalid_utf8 (void)
{
  g_autoptr (SmileyStats) stats = smiley_stats_new ();
  guint            bad = smiley_stats_add_entry (stats,
                                                 "dir\\b\xff"
                                                            "d.py",
                                                 3, "na\xc3me\\l");
  g_autofree char *svg = NULL;

  smiley_stats_get_entry (stats, bad)->ncalls = 1;
  smiley_stats_get_entry (stats, bad)->tottime_ns = 10;
  smiley_stats_get_entry (stats, bad)->cumtime_ns = 10;
  svg = render_text (stats, "svg", 0.5, 0.1);
  g_assert_true (g_utf8_validate (svg, -1, NULL));
  /* the backslash is a backslash, not graphviz's "\l" */
  g_assert_nonnull (strstr (svg, ">na\xef\xbf\xbdme\\l</text>"));
}

static void
test_empty_profile (void)
{
  g_autoptr (SmileyStats) stats = smiley_stats_new ();
  g_autofree char *svg = render_text (stats, "svg", 0.5, 0.1);

  g_assert_nonnull (strstr (svg, "</svg>"));
}

static void
test_view (void)
{
  g_autoptr (SmileyStats) stats = views_test_sample_stats ();
  g_autoptr (SmileyRun) run = NULL;
  g_autoptr (SmileyStore) store = views_test_store_new (stats, &run);
  g_autoptr (SmileyCallgraphView) view = smiley_callgraph_view_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *dot = NULL;
  g_autofree char *format = NULL;
  double           node, edge;

  g_object_get (view, "format", &format, "node-threshold", &node, "edge-threshold", &edge, NULL);
  g_assert_cmpstr (format, ==, "svg");
  g_assert_cmpfloat (node, ==, 0.5);
  g_assert_cmpfloat (edge, ==, 0.1);

  g_object_set (view, "format", "dot", "node-threshold", 50.0, NULL);
  dot = views_test_render (SMILEY_VIEW (view), store, run, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (count (dot, "tooltip="), ==, 2);
}

static void
test_view_no_stats (void)
{
  g_autoptr (SmileyRun) run = NULL;
  g_autoptr (SmileyStore) store = views_test_store_new (NULL, &run);
  g_autoptr (SmileyCallgraphView) view = smiley_callgraph_view_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *text = views_test_render (SMILEY_VIEW (view), store, run, &error);

  g_assert_null (text);
  g_assert_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NO_STATS);
  g_assert_nonnull (strstr (error->message, "has no profile statistics"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/smiley/callgraph/dot", test_dot);
  g_test_add_func ("/smiley/callgraph/thresholds", test_thresholds);
  g_test_add_func ("/smiley/callgraph/colors", test_colors);
  g_test_add_func ("/smiley/callgraph/gprof2dot-colors", test_gprof2dot_colors);
  g_test_add_func ("/smiley/callgraph/svg", test_svg);
  g_test_add_func ("/smiley/callgraph/png", test_png);
  g_test_add_func ("/smiley/callgraph/bad-options", test_bad_options);
  g_test_add_func ("/smiley/callgraph/invalid-utf8", test_invalid_utf8);
  g_test_add_func ("/smiley/callgraph/empty-profile", test_empty_profile);
  g_test_add_func ("/smiley/callgraph/view", test_view);
  g_test_add_func ("/smiley/callgraph/view-no-stats", test_view_no_stats);

  return g_test_run ();
}
