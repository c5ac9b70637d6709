/* smiley-callgraph.c
 *
 * The look is gprof2dot's: boxes coloured from dark blue (no time) through
 * green and yellow to red (all the time) by the share of total time spent
 * in a function and below, edges coloured and thickened the same way by
 * the time spent under those calls.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>

#include "smiley-callgraph.h"

/* clang-format off */
G_DEFINE_QUARK (smiley-callgraph-error-quark, smiley_callgraph_error)
/* clang-format on */

/* Graphviz keeps global state (its error channel, plugin and symbol
 * tables), so graphs are built and drawn by one thread at a time: the web
 * UI may draw from several. */
static GMutex graphviz_lock;

/* One graphviz context for the life of the process, made on first use
 * (under graphviz_lock). Not only to load graphviz's plugins once: its
 * pango text layout plugin remembers the font name of the last label it
 * measured as a pointer into the context's font table, so freeing a
 * context and drawing again with a new one reads freed memory (graphviz
 * 2.42). */
static GVC_t *graphviz_context;

/* gprof2dot's TEMPERATURE_COLORMAP, in HSL */
static const double min_hsl[3] = { 2.0 / 3.0, 0.80, 0.25 };
static const double max_hsl[3] = { 0.0, 1.0, 0.5 };
#define MIN_PENWIDTH 0.5
#define MAX_PENWIDTH 4.0

static double
hue_to_rgb (double m1, double m2, double h)
{
  if (h < 0.0)
    h += 1.0;
  else if (h > 1.0)
    h -= 1.0;
  if (h * 6 < 1.0)
    return m1 + (m2 - m1) * h * 6.0;
  if (h * 2 < 1.0)
    return m2;
  if (h * 3 < 2.0)
    return m1 + (m2 - m1) * (2.0 / 3.0 - h) * 6.0;
  return m1;
}

/* @weight in [0, 1] → "#rrggbb", interpolating in HSL as gprof2dot's
 * Theme.color() does */
static char *
weight_color (double weight)
{
  double h, s, l, m1, m2;
  int    r, g, b;

  weight = CLAMP (weight, 0.0, 1.0);
  h = min_hsl[0] + weight * (max_hsl[0] - min_hsl[0]);
  s = min_hsl[1] + weight * (max_hsl[1] - min_hsl[1]);
  l = min_hsl[2] + weight * (max_hsl[2] - min_hsl[2]);

  h = fmod (h, 1.0);
  m2 = l <= 0.5 ? l * (s + 1.0) : l + s - l * s;
  m1 = l * 2.0 - m2;
  r = (int)lround (255.0 * hue_to_rgb (m1, m2, h + 1.0 / 3.0));
  g = (int)lround (255.0 * hue_to_rgb (m1, m2, h));
  b = (int)lround (255.0 * hue_to_rgb (m1, m2, h - 1.0 / 3.0));
  return g_strdup_printf ("#%02x%02x%02x", CLAMP (r, 0, 255), CLAMP (g, 0, 255), CLAMP (b, 0, 255));
}

/* Graphviz reads backslash escapes in labels ("\n", "\l"); a name
 * containing a backslash must not turn into one. Graphviz also wants
 * UTF-8: a name from a damaged store is repaired. */
static void
append_label_text (GString *label, const char *text)
{
  g_autofree char *valid = NULL;

  if (!g_utf8_validate (text, -1, NULL))
    text = valid = g_utf8_make_valid (text, -1);
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '\\')
        g_string_append_c (label, '\\');
      g_string_append_c (label, *p);
    }
}

static gboolean
is_builtin (const SmileyStatsEntry *entry)
{
  return g_str_equal (entry->file, "~") && entry->line == 0;
}

static char *
node_label (const SmileyStatsEntry *entry, double total_ratio, double self_ratio)
{
  GString *label = g_string_new (NULL);

  append_label_text (label, entry->function);
  if (!is_builtin (entry))
    {
      g_autofree char *base = g_path_get_basename (entry->file);

      g_string_append (label, "\\n");
      append_label_text (label, base);
      g_string_append_printf (label, ":%u", entry->line);
    }
  g_string_append_printf (label, "\\n%.2f%% (%.2f%%)\\n%" G_GUINT64_FORMAT "×", 100.0 * total_ratio,
                          100.0 * self_ratio, entry->ncalls);
  return g_string_free (label, FALSE);
}

static char *
format_double (const char *format, double value)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  /* graphviz wants '.' whatever the locale */
  return g_strdup (g_ascii_formatd (buffer, sizeof buffer, format, value));
}

static void
set_attribute (void *object, const char *name, const char *value)
{
  agsafeset (object, (char *)name, (char *)value, (char *)"");
}

static void
set_weight_style (void *object, double weight, gboolean is_edge)
{
  g_autofree char *color = weight_color (weight);

  set_attribute (object, "color", color);
  if (is_edge)
    {
      double           penwidth = MAX (weight * MAX_PENWIDTH, MIN_PENWIDTH);
      g_autofree char *width = format_double ("%.2f", penwidth);
      g_autofree char *arrow = format_double ("%.2f", 0.5 * sqrt (penwidth));

      set_attribute (object, "fontcolor", color);
      set_attribute (object, "penwidth", width);
      set_attribute (object, "arrowsize", arrow);
    }
  else
    set_attribute (object, "fillcolor", color);
}

static double
time_ratio (gint64 ns, gint64 total_ns)
{
  if (total_ns <= 0)
    return 0.0;
  return CLAMP ((double)ns / (double)total_ns, 0.0, 1.0);
}

static int
compare_cumtime (gconstpointer a, gconstpointer b, gpointer user_data)
{
  const SmileyStatsEntry *ea = smiley_stats_get_entry (user_data, *(const guint *)a);
  const SmileyStatsEntry *eb = smiley_stats_get_entry (user_data, *(const guint *)b);

  if (ea->cumtime_ns != eb->cumtime_ns)
    return ea->cumtime_ns < eb->cumtime_ns ? 1 : -1;
  return strcmp (ea->function, eb->function);
}

/* Builds the graph of the functions and calls above the thresholds.
 * Without a measurable total time (a profile of a program too quick for
 * the clock) nothing can be pruned by time, so every function is drawn. */
static Agraph_t *
build_graph (SmileyStats *stats, double node_threshold, double edge_threshold, Agdisc_t *disc)
{
  gint64                total = smiley_stats_get_total_time (stats);
  guint                 n = smiley_stats_get_length (stats);
  g_autofree Agnode_t **nodes = g_new0 (Agnode_t *, MAX (n, 1));
  g_autoptr (GArray) order = g_array_sized_new (FALSE, FALSE, sizeof (guint), n);
  Agraph_t *graph;

  graph = agopen ((char *)"callgraph", Agdirected, disc);
  agattr (graph, AGRAPH, (char *)"fontname", (char *)"Arial");
  agattr (graph, AGRAPH, (char *)"nodesep", (char *)"0.125");
  agattr (graph, AGRAPH, (char *)"ranksep", (char *)"0.25");
  agattr (graph, AGNODE, (char *)"fontname", (char *)"Arial");
  agattr (graph, AGNODE, (char *)"shape", (char *)"box");
  agattr (graph, AGNODE, (char *)"style", (char *)"filled");
  agattr (graph, AGNODE, (char *)"fontcolor", (char *)"white");
  agattr (graph, AGNODE, (char *)"width", (char *)"0");
  agattr (graph, AGNODE, (char *)"height", (char *)"0");
  agattr (graph, AGEDGE, (char *)"fontname", (char *)"Arial");
  agattr (graph, AGEDGE, (char *)"labeldistance", (char *)"4");

  /* Nodes go in by decreasing time so the layout of a given profile is
   * always the same. */
  for (guint i = 0; i < n; i++)
    g_array_append_val (order, i);
  g_array_sort_with_data (order, compare_cumtime, stats);

  for (guint k = 0; k < n; k++)
    {
      guint                   i = g_array_index (order, guint, k);
      const SmileyStatsEntry *entry = smiley_stats_get_entry (stats, i);
      double                  ratio = time_ratio (entry->cumtime_ns, total);
      g_autofree char        *name = NULL;
      g_autofree char        *label = NULL;
      g_autofree char        *tooltip = NULL;

      if (total > 0 && 100.0 * ratio < node_threshold)
        continue;

      name = g_strdup_printf ("f%u", i);
      nodes[i] = agnode (graph, name, TRUE);
      label = node_label (entry, ratio, time_ratio (entry->tottime_ns, total));
      set_attribute (nodes[i], "label", label);
      if (is_builtin (entry))
        tooltip = g_utf8_make_valid (entry->function, -1);
      else
        {
          g_autofree char *raw
              = g_strdup_printf ("%s:%u(%s)", entry->file, entry->line, entry->function);

          tooltip = g_utf8_make_valid (raw, -1);
        }
      set_attribute (nodes[i], "tooltip", tooltip);
      set_weight_style (nodes[i], ratio, FALSE);
    }

  for (guint k = 0; k < n; k++)
    {
      guint                   i = g_array_index (order, guint, k);
      const SmileyStatsEntry *entry = smiley_stats_get_entry (stats, i);

      if (nodes[i] == NULL)
        continue;

      for (guint c = 0; c < entry->callers->len; c++)
        {
          const SmileyStatsCaller *caller = &g_array_index (entry->callers, SmileyStatsCaller, c);
          double                   ratio = time_ratio (caller->cumtime_ns, total);
          g_autofree char         *label = NULL;
          Agedge_t                *edge;

          if (nodes[caller->caller] == NULL)
            continue;
          if (total > 0 && 100.0 * ratio < edge_threshold)
            continue;

          edge = agedge (graph, nodes[caller->caller], nodes[i], NULL, TRUE);
          label
              = g_strdup_printf ("%.2f%%\\n%" G_GUINT64_FORMAT "×", 100.0 * ratio, caller->ncalls);
          set_attribute (edge, "label", label);
          set_weight_style (edge, ratio, TRUE);
        }
    }

  return graph;
}

static int
gstring_putstr (void *channel, const char *text)
{
  g_string_append (channel, text);
  return 1;
}

static int
gstring_flush (void *channel)
{
  return 0;
}

static char *
take_graphviz_error (void)
{
  char *message = aglasterr ();
  char *copy;

  if (message == NULL)
    return g_strdup ("unknown error");
  copy = g_strstrip (g_strdup (message));
  free (message);
  if (*copy == '\0')
    {
      g_free (copy);
      return g_strdup ("unknown error");
    }
  return copy;
}

static GBytes *
render_locked (SmileyStats *stats, const char *format, double node_threshold, double edge_threshold,
               GError **error)
{
  Agiodisc_t   io = { AgIoDisc.afread, gstring_putstr, gstring_flush };
  Agdisc_t     disc = { &AgMemDisc, &AgIdDisc, &io };
  Agraph_t    *graph;
  GVC_t       *gvc;
  char        *data = NULL;
  unsigned int length = 0;
  GBytes      *bytes = NULL;

  /* Keep graphviz quiet on stderr: its messages are reported through
   * @error instead (aglasterr() only sees those not printed). */
  agseterr (AGMAX);

  graph = build_graph (stats, node_threshold, edge_threshold, &disc);

  if (g_str_equal (format, "dot"))
    {
      GString *text = g_string_new (NULL);

      agwrite (graph, text);
      agclose (graph);
      return g_string_free_to_bytes (text);
    }

  if (graphviz_context == NULL)
    graphviz_context = gvContext ();
  gvc = graphviz_context;
  if (gvLayout (gvc, graph, "dot") != 0)
    {
      g_autofree char *why = take_graphviz_error ();

      g_set_error (error, SMILEY_CALLGRAPH_ERROR, SMILEY_CALLGRAPH_ERROR_RENDER,
                   "graphviz could not lay out the call graph: %s", why);
    }
  else
    {
      if (gvRenderData (gvc, graph, format, &data, &length) != 0 || data == NULL)
        {
          g_autofree char *why = take_graphviz_error ();

          g_set_error (error, SMILEY_CALLGRAPH_ERROR, SMILEY_CALLGRAPH_ERROR_FORMAT,
                       "graphviz cannot render %s here (%s); use --format svg or --format dot",
                       format, why);
        }
      else
        bytes = g_bytes_new (data, length);
      if (data != NULL)
        gvFreeRenderData (data);
      gvFreeLayout (gvc, graph);
    }
  agclose (graph);
  return bytes;
}

/**
 * smiley_callgraph_render:
 * @stats: a run's profile
 * @format: (nullable): "svg" (the default), "png" or "dot" (graphviz's
 *   own language, written without laying the graph out)
 * @node_threshold: leave out functions whose cumulative time is below
 *   this percentage of the total
 * @edge_threshold: leave out calls whose time is below this percentage
 * @error: return location for a #GError
 *
 * Draws the call graph of a profile: a box per function with its share of
 * total time (with and without callees) and call count, an edge per caller
 * with the share of time under those calls and their count, coloured by
 * time share. Safe to call from any thread.
 *
 * Returns: (transfer full): the drawing, or %NULL with @error set
 *   (%SMILEY_CALLGRAPH_ERROR)
 */
GBytes *
smiley_callgraph_render (SmileyStats *stats, const char *format, double node_threshold,
                         double edge_threshold, GError **error)
{
  g_autoptr (GMutexLocker) locker = NULL;

  g_return_val_if_fail (stats != NULL, NULL);

  if (format == NULL || *format == '\0')
    format = "svg";
  if (!g_str_equal (format, "svg") && !g_str_equal (format, "png") && !g_str_equal (format, "dot"))
    {
      g_set_error (error, SMILEY_CALLGRAPH_ERROR, SMILEY_CALLGRAPH_ERROR_FORMAT,
                   "unknown call graph format '%s' (use svg, png or dot)", format);
      return NULL;
    }
  if (!(node_threshold >= 0.0 && node_threshold <= 100.0)
      || !(edge_threshold >= 0.0 && edge_threshold <= 100.0))
    {
      g_set_error (error, SMILEY_CALLGRAPH_ERROR, SMILEY_CALLGRAPH_ERROR_THRESHOLD,
                   "thresholds are percentages of the total time, from 0 to 100 "
                   "(got node %g, edge %g)",
                   node_threshold, edge_threshold);
      return NULL;
    }

  locker = g_mutex_locker_new (&graphviz_lock);
  return render_locked (stats, format, node_threshold, edge_threshold, error);
}
