/* smiley-stats-view.c
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include <gio/gunixoutputstream.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "smiley-profile.h"
#include "smiley-stats-view.h"

/* The numeric columns are exactly pstats' ("%9s" then four "%8.3f"), so
 * people who read `python3 -m pstats` output read this table too. */
#define NUMBERS_WIDTH 45
#define EDGE_NUMBERS_WIDTH 27
#define MIN_NAME_WIDTH 8
/* Output is buffered and written in blocks of this size. */
#define FLUSH_SIZE (64 * 1024)

struct _SmileyStatsView
{
  GObject parent_instance;

  char *sort;
  guint limit;
  char *callers;
  char *callees;
  guint width;
};

enum
{
  PROP_0,
  PROP_SORT,
  PROP_LIMIT,
  PROP_CALLERS,
  PROP_CALLEES,
  PROP_WIDTH,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void smiley_stats_view_iface_init (SmileyViewInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SmileyStatsView, smiley_stats_view, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SMILEY_TYPE_VIEW,
                                                      smiley_stats_view_iface_init))

/* Where the text goes: a buffer written out whenever it grows large, so a
 * profile of many thousand functions is not held twice in memory. */
typedef struct
{
  GString       *text;
  GOutputStream *output;
  GCancellable  *cancellable;
} TableWriter;

static gboolean
table_writer_flush (TableWriter *writer, gboolean force, GError **error)
{
  if (writer->text->len == 0 || (!force && writer->text->len < FLUSH_SIZE))
    return TRUE;
  if (!g_output_stream_write_all (writer->output, writer->text->str, writer->text->len, NULL,
                                  writer->cancellable, error))
    return FALSE;
  g_string_truncate (writer->text, 0);
  return TRUE;
}

/* Widths are counted in characters, not bytes: names are UTF-8 and the
 * ellipsis is one character of three bytes. (A name that is not UTF-8, from
 * a damaged store, is repaired first: counting its characters could read
 * past its end.) */
static void
append_padded (GString *text, const char *value, guint width, gboolean right_align,
               gboolean cut_left)
{
  g_autofree char *valid = NULL;
  glong            len;

  if (!g_utf8_validate (value, -1, NULL))
    value = valid = g_utf8_make_valid (value, -1);
  len = g_utf8_strlen (value, -1);

  if (width == 0 || (guint)len <= width)
    {
      if (right_align)
        for (glong i = len; i < (glong)width; i++)
          g_string_append_c (text, ' ');
      g_string_append (text, value);
      if (!right_align)
        for (glong i = len; i < (glong)width; i++)
          g_string_append_c (text, ' ');
      return;
    }

  if (width == 1)
    {
      g_string_append (text, "…");
      return;
    }

  /* Paths lose their beginning (the end names the file), function names
   * their end (the beginning names the class). */
  if (cut_left)
    {
      g_string_append (text, "…");
      g_string_append (text, g_utf8_offset_to_pointer (value, len - (width - 1)));
    }
  else
    {
      const char *end = g_utf8_offset_to_pointer (value, width - 1);

      g_string_append_len (text, value, end - value);
      g_string_append (text, "…");
    }
}

static guint
utf8_width (const char *value)
{
  g_autofree char *valid = NULL;

  if (!g_utf8_validate (value, -1, NULL))
    value = valid = g_utf8_make_valid (value, -1);
  return g_utf8_strlen (value, -1);
}

typedef struct
{
  guint       function;
  guint       file;
  guint       line;
  guint       span; /* room for a C function's name, across all three */
  gboolean    truncate;
  const char *base_dir;
} NameColumns;

/* Files under the directory the program ran in are shown relative to it
 * (as the user typed them, usually): the table has little room. */
static const char *
shown_file (const char *file, const char *base_dir)
{
  gsize length;

  if (base_dir == NULL || *base_dir == '\0')
    return file;
  length = strlen (base_dir);
  while (length > 1 && base_dir[length - 1] == '/')
    length--;
  if (strncmp (file, base_dir, length) == 0 && file[length] == '/' && file[length + 1] != '\0')
    return file + length + 1;
  return file;
}

static gboolean is_builtin (const SmileyStatsEntry *entry);

/* Splits what is left of @width after the numbers between the function
 * and file columns: each gets what it needs if both fit, otherwise the
 * function keeps at least half. A @width of 0 means no limit. */
static NameColumns
name_columns_fit (SmileyStats *stats, const guint *entries, guint n_entries, guint numbers_width,
                  guint width, const char *base_dir)
{
  NameColumns columns
      = { strlen ("function"), strlen ("file"), strlen ("line"), 0, width != 0, base_dir };
  guint available;

  for (guint i = 0; i < n_entries; i++)
    {
      SmileyStatsEntry *entry = smiley_stats_get_entry (stats, entries[i]);
      g_autofree char  *line = g_strdup_printf ("%u", entry->line);

      /* C functions span all three columns (see append_names()) */
      if (is_builtin (entry))
        continue;
      columns.function = MAX (columns.function, utf8_width (entry->function));
      columns.file = MAX (columns.file, utf8_width (shown_file (entry->file, base_dir)));
      columns.line = MAX (columns.line, strlen (line));
    }

  if (width == 0)
    return columns;

  /* two spaces before each of the three name columns */
  if (width > numbers_width + 6 + columns.line + 2 * MIN_NAME_WIDTH)
    available = width - numbers_width - 6 - columns.line;
  else
    available = 2 * MIN_NAME_WIDTH;

  if (columns.function + columns.file > available)
    {
      guint function
          = MIN (columns.function, MAX (available / 2, available - MIN (columns.file, available)));

      function = MAX (function, MIN_NAME_WIDTH);
      columns.file = available - function;
      columns.function = function;
    }
  columns.span = columns.function + columns.file + columns.line + 4;
  if (width > numbers_width + 2)
    columns.span = MAX (columns.span, width - numbers_width - 2);
  return columns;
}

/* C functions have no file or line ("~" and 0 in pstats): their long
 * names ("<built-in method builtins.isinstance>") take the room of all
 * three name columns rather than being cut to fit the first. */
static gboolean
is_builtin (const SmileyStatsEntry *entry)
{
  return entry->line == 0 && g_str_equal (entry->file, "~");
}

static void
append_names (GString *text, const SmileyStatsEntry *entry, const NameColumns *columns)
{
  g_autofree char *line = g_strdup_printf ("%u", entry->line);

  g_string_append (text, "  ");
  if (is_builtin (entry))
    {
      append_padded (text, entry->function, columns->truncate ? columns->span : 0, FALSE, FALSE);
      while (text->len > 0 && text->str[text->len - 1] == ' ')
        g_string_truncate (text, text->len - 1);
      g_string_append_c (text, '\n');
      return;
    }
  append_padded (text, entry->function, columns->function, FALSE, FALSE);
  g_string_append (text, "  ");
  append_padded (text, shown_file (entry->file, columns->base_dir), columns->file, FALSE, TRUE);
  g_string_append (text, "  ");
  append_padded (text, line, columns->line, TRUE, FALSE);
  /* no trailing blanks when the line column is the widest part */
  while (text->len > 0 && text->str[text->len - 1] == ' ')
    g_string_truncate (text, text->len - 1);
  g_string_append_c (text, '\n');
}

static void
append_title (GString *text, const char *numbers, const NameColumns *columns)
{
  g_string_append (text, numbers);
  g_string_append (text, "  ");
  append_padded (text, "function", columns->function, FALSE, FALSE);
  g_string_append (text, "  ");
  append_padded (text, "file", columns->file, FALSE, FALSE);
  g_string_append (text, "  ");
  append_padded (text, "line", columns->line, TRUE, FALSE);
  g_string_append_c (text, '\n');
}

static void
append_ncalls (GString *text, guint64 ncalls, guint64 primcalls)
{
  g_autofree char *calls = NULL;

  if (ncalls != primcalls)
    calls = g_strdup_printf ("%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT, ncalls, primcalls);
  else
    calls = g_strdup_printf ("%" G_GUINT64_FORMAT, ncalls);
  append_padded (text, calls, 9, TRUE, FALSE);
}

static double
seconds (gint64 ns)
{
  return ns / 1e9;
}

static void
append_row (GString *text, const SmileyStatsEntry *entry, const NameColumns *columns)
{
  append_ncalls (text, entry->ncalls, entry->primcalls);
  g_string_append_printf (text, " %8.3f", seconds (entry->tottime_ns));
  /* pstats divides own time by all calls, cumulative time by primitive
   * calls (recursive calls would count the same time twice) */
  if (entry->ncalls == 0)
    g_string_append (text, "         ");
  else
    g_string_append_printf (text, " %8.3f", seconds (entry->tottime_ns) / entry->ncalls);
  g_string_append_printf (text, " %8.3f", seconds (entry->cumtime_ns));
  if (entry->primcalls == 0)
    g_string_append (text, "         ");
  else
    g_string_append_printf (text, " %8.3f", seconds (entry->cumtime_ns) / entry->primcalls);
  append_names (text, entry, columns);
}

/* One caller or callee of a function, with the counters of the calls
 * between the two. */
typedef struct
{
  guint                    other;
  const SmileyStatsCaller *counters;
} Edge;

static int
compare_edges (gconstpointer a, gconstpointer b, gpointer user_data)
{
  const Edge  *ea = a;
  const Edge  *eb = b;
  const guint *rank = user_data;

  /* Edges follow the table's order of the function at their other end. */
  return (rank[ea->other] > rank[eb->other]) - (rank[ea->other] < rank[eb->other]);
}

static void
append_edges (GString *text, SmileyStats *stats, GArray *edges, const guint *rank, guint width,
              const char *base_dir)
{
  g_autofree guint *others = g_new (guint, MAX (edges->len, 1));
  NameColumns       columns;

  g_array_sort_with_data (edges, compare_edges, (gpointer)rank);
  for (guint i = 0; i < edges->len; i++)
    others[i] = g_array_index (edges, Edge, i).other;
  columns = name_columns_fit (stats, others, edges->len, EDGE_NUMBERS_WIDTH, width, base_dir);

  append_title (text, "   ncalls  tottime  cumtime", &columns);
  for (guint i = 0; i < edges->len; i++)
    {
      const Edge *edge = &g_array_index (edges, Edge, i);

      append_ncalls (text, edge->counters->ncalls, edge->counters->primcalls);
      g_string_append_printf (text, " %8.3f %8.3f", seconds (edge->counters->tottime_ns),
                              seconds (edge->counters->cumtime_ns));
      append_names (text, smiley_stats_get_entry (stats, edge->other), &columns);
    }
}

static void
append_function_heading (GString *text, const SmileyStatsEntry *entry, const char *what)
{
  if (g_str_equal (entry->file, "~") && entry->line == 0)
    g_string_append_printf (text, "\n%s %s:\n", entry->function, what);
  else
    g_string_append_printf (text, "\n%s (%s:%u) %s:\n", entry->function, entry->file, entry->line,
                            what);
}

/* The width of the terminal @output writes to, or 0 (no limit) when it
 * goes to a file or a pipe, where the full names are worth more than a
 * tidy table. */
static guint
output_width (GOutputStream *output)
{
  struct winsize size;
  int            fd;

  while (G_IS_FILTER_OUTPUT_STREAM (output))
    output = g_filter_output_stream_get_base_stream (G_FILTER_OUTPUT_STREAM (output));
  if (!G_IS_UNIX_OUTPUT_STREAM (output))
    return 0;
  fd = g_unix_output_stream_get_fd (G_UNIX_OUTPUT_STREAM (output));
  if (!isatty (fd))
    return 0;
  if (ioctl (fd, TIOCGWINSZ, &size) == 0 && size.ws_col > 0)
    return size.ws_col;
  return 80;
}

/* The entries, in table order, that @pattern names (all of them for a
 * %NULL pattern), at most @limit of them when @limit is not 0; fails when
 * a pattern names nothing, as a misspelt name would. */
static GArray *
select_entries (SmileyStats *stats, GArray *order, const char *pattern, guint limit,
                guint *n_matching, SmileyRun *run, GError **error)
{
  g_autoptr (GArray) selected = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint i = 0; i < order->len; i++)
    {
      guint index = g_array_index (order, guint, i);

      if (pattern == NULL
          || smiley_profile_entry_matches (smiley_stats_get_entry (stats, index), pattern))
        g_array_append_val (selected, index);
    }

  if (pattern != NULL && selected->len == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "no function in the profile of run %s matches '%s'", smiley_run_get_id (run),
                   pattern);
      return NULL;
    }

  *n_matching = selected->len;
  if (limit > 0 && limit < selected->len)
    g_array_set_size (selected, limit);
  return g_steal_pointer (&selected);
}

static void
append_selection_note (GString *text, const char *pattern, guint n_matching, guint n_shown)
{
  if (pattern != NULL)
    g_string_append_printf (text, "   Functions matching '%s': %u\n", pattern, n_matching);
  if (n_shown < n_matching)
    g_string_append_printf (text, "   List reduced from %u to %u due to restriction <%u>\n",
                            n_matching, n_shown, n_shown);
}

static void
append_header (GString *text, SmileyRun *run, SmileyStats *stats, SmileyProfileSort sort)
{
  const char *description = smiley_run_get_description (run);
  guint64     total_calls = 0;
  guint64     prim_calls = 0;

  for (guint i = 0; i < smiley_stats_get_length (stats); i++)
    {
      SmileyStatsEntry *entry = smiley_stats_get_entry (stats, i);

      total_calls += entry->ncalls;
      prim_calls += entry->primcalls;
    }

  if (description != NULL && *description != '\0')
    g_string_append_printf (text, "run %s: %s\n\n", smiley_run_get_id (run), description);
  else
    g_string_append_printf (text, "run %s\n\n", smiley_run_get_id (run));

  /* pstats' own header line */
  g_string_append_printf (text, "%9" G_GUINT64_FORMAT " function calls", total_calls);
  if (total_calls != prim_calls)
    g_string_append_printf (text, " (%" G_GUINT64_FORMAT " primitive calls)", prim_calls);
  g_string_append_printf (text, " in %.3f seconds\n\n",
                          seconds (smiley_stats_get_total_time (stats)));
  g_string_append_printf (text, "   Ordered by: %s\n", smiley_profile_sort_describe (sort));
}

/* For each selected function, the functions it called: statistics only
 * record callers, so every function's callers are looked at once. */
static GPtrArray *
collect_callees (SmileyStats *stats, GArray *selected)
{
  g_autoptr (GHashTable) slots = g_hash_table_new (NULL, NULL);
  GPtrArray *callees = g_ptr_array_new_with_free_func ((GDestroyNotify)g_array_unref);

  for (guint i = 0; i < selected->len; i++)
    {
      g_hash_table_insert (slots, GUINT_TO_POINTER (g_array_index (selected, guint, i) + 1),
                           GUINT_TO_POINTER (i + 1));
      g_ptr_array_add (callees, g_array_new (FALSE, FALSE, sizeof (Edge)));
    }

  for (guint e = 0; e < smiley_stats_get_length (stats); e++)
    {
      SmileyStatsEntry *entry = smiley_stats_get_entry (stats, e);

      for (guint c = 0; c < entry->callers->len; c++)
        {
          const SmileyStatsCaller *caller = &g_array_index (entry->callers, SmileyStatsCaller, c);
          guint                    slot = GPOINTER_TO_UINT (
                                 g_hash_table_lookup (slots, GUINT_TO_POINTER (caller->caller + 1)));
          Edge edge = { e, caller };

          if (slot != 0)
            g_array_append_val (g_ptr_array_index (callees, slot - 1), edge);
        }
    }
  return callees;
}

static gboolean
smiley_stats_view_render (SmileyView *view, SmileyStore *store, SmileyRun *run,
                          GOutputStream *output, GCancellable *cancellable, GError **error)
{
  SmileyStatsView *self = SMILEY_STATS_VIEW (view);
  g_autoptr (SmileyStats) stats = NULL;
  g_autoptr (GArray) order = NULL;
  g_autoptr (GArray) callers_of = NULL;
  g_autoptr (GArray) callees_of = NULL;
  g_autoptr (GString) text = g_string_sized_new (FLUSH_SIZE + 1024);
  g_autofree guint *rank = NULL;
  TableWriter       writer = { text, output, cancellable };
  SmileyProfileSort sort;
  guint             n_callers_of = 0;
  guint             n_callees_of = 0;
  guint             width;

  if (!smiley_profile_sort_from_string (self->sort, &sort, error))
    return FALSE;
  width = self->width != 0 ? self->width : output_width (output);

  stats = smiley_profile_load (store, run, error);
  if (stats == NULL)
    return FALSE;

  order = smiley_profile_sort_entries (stats, sort);
  rank = g_new (guint, MAX (order->len, 1));
  for (guint i = 0; i < order->len; i++)
    rank[g_array_index (order, guint, i)] = i;

  /* Both selections are checked before anything is written, so a
   * misspelt name fails with nothing on the output. */
  if (self->callers != NULL)
    {
      callers_of
          = select_entries (stats, order, self->callers, self->limit, &n_callers_of, run, error);
      if (callers_of == NULL)
        return FALSE;
    }
  if (self->callees != NULL)
    {
      callees_of
          = select_entries (stats, order, self->callees, self->limit, &n_callees_of, run, error);
      if (callees_of == NULL)
        return FALSE;
    }

  append_header (text, run, stats, sort);

  if (callers_of == NULL && callees_of == NULL)
    {
      guint n_matching = 0;
      g_autoptr (GArray) selected
          = select_entries (stats, order, NULL, self->limit, &n_matching, run, error);
      NameColumns columns = name_columns_fit (stats, (const guint *)selected->data, selected->len,
                                              NUMBERS_WIDTH, width, smiley_run_get_cwd (run));

      append_selection_note (text, NULL, n_matching, selected->len);
      g_string_append_c (text, '\n');
      append_title (text, "   ncalls  tottime  percall  cumtime  percall", &columns);
      for (guint i = 0; i < selected->len; i++)
        {
          append_row (text, smiley_stats_get_entry (stats, g_array_index (selected, guint, i)),
                      &columns);
          if (!table_writer_flush (&writer, FALSE, error))
            return FALSE;
        }
      return table_writer_flush (&writer, TRUE, error);
    }

  if (callers_of != NULL)
    {
      g_string_append_c (text, '\n');
      append_selection_note (text, self->callers, n_callers_of, callers_of->len);
      for (guint i = 0; i < callers_of->len; i++)
        {
          SmileyStatsEntry *entry
              = smiley_stats_get_entry (stats, g_array_index (callers_of, guint, i));
          g_autoptr (GArray) edges = g_array_new (FALSE, FALSE, sizeof (Edge));

          for (guint c = 0; c < entry->callers->len; c++)
            {
              const SmileyStatsCaller *caller
                  = &g_array_index (entry->callers, SmileyStatsCaller, c);
              Edge edge = { caller->caller, caller };

              g_array_append_val (edges, edge);
            }

          append_function_heading (text, entry, "was called by");
          if (edges->len == 0)
            g_string_append (text, "   no recorded callers (called from the top level)\n");
          else
            append_edges (text, stats, edges, rank, width, smiley_run_get_cwd (run));
          if (!table_writer_flush (&writer, FALSE, error))
            return FALSE;
        }
    }

  if (callees_of != NULL)
    {
      g_autoptr (GPtrArray) callees = collect_callees (stats, callees_of);

      g_string_append_c (text, '\n');
      append_selection_note (text, self->callees, n_callees_of, callees_of->len);
      for (guint i = 0; i < callees_of->len; i++)
        {
          SmileyStatsEntry *entry
              = smiley_stats_get_entry (stats, g_array_index (callees_of, guint, i));
          GArray *edges = g_ptr_array_index (callees, i);

          append_function_heading (text, entry, "called");
          if (edges->len == 0)
            g_string_append (text, "   no recorded calls to other functions\n");
          else
            append_edges (text, stats, edges, rank, width, smiley_run_get_cwd (run));
          if (!table_writer_flush (&writer, FALSE, error))
            return FALSE;
        }
    }

  return table_writer_flush (&writer, TRUE, error);
}

static void
smiley_stats_view_iface_init (SmileyViewInterface *iface)
{
  iface->render = smiley_stats_view_render;
}

static void
smiley_stats_view_finalize (GObject *object)
{
  SmileyStatsView *self = SMILEY_STATS_VIEW (object);

  g_free (self->sort);
  g_free (self->callers);
  g_free (self->callees);

  G_OBJECT_CLASS (smiley_stats_view_parent_class)->finalize (object);
}

/* An empty --callers/--callees is the same as not giving it. */
static char *
dup_pattern (const GValue *value)
{
  const char *pattern = g_value_get_string (value);

  return pattern != NULL && *pattern != '\0' ? g_strdup (pattern) : NULL;
}

static void
smiley_stats_view_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SmileyStatsView *self = SMILEY_STATS_VIEW (object);

  switch (prop_id)
    {
    case PROP_SORT:
      g_value_set_string (value, self->sort);
      break;
    case PROP_LIMIT:
      g_value_set_uint (value, self->limit);
      break;
    case PROP_CALLERS:
      g_value_set_string (value, self->callers);
      break;
    case PROP_CALLEES:
      g_value_set_string (value, self->callees);
      break;
    case PROP_WIDTH:
      g_value_set_uint (value, self->width);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
smiley_stats_view_set_property (GObject *object, guint prop_id, const GValue *value,
                                GParamSpec *pspec)
{
  SmileyStatsView *self = SMILEY_STATS_VIEW (object);

  switch (prop_id)
    {
    case PROP_SORT:
      g_free (self->sort);
      self->sort = g_value_dup_string (value);
      break;
    case PROP_LIMIT:
      self->limit = g_value_get_uint (value);
      break;
    case PROP_CALLERS:
      g_free (self->callers);
      self->callers = dup_pattern (value);
      break;
    case PROP_CALLEES:
      g_free (self->callees);
      self->callees = dup_pattern (value);
      break;
    case PROP_WIDTH:
      self->width = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
smiley_stats_view_class_init (SmileyStatsViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = smiley_stats_view_finalize;
  object_class->get_property = smiley_stats_view_get_property;
  object_class->set_property = smiley_stats_view_set_property;

  /**
   * SmileyStatsView:sort:
   *
   * The order of the table: "cumtime" (default), "tottime", "ncalls",
   * "name" or "file". An unknown order fails at render time.
   */
  properties[PROP_SORT]
      = g_param_spec_string ("sort", NULL, NULL, "cumtime",
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);

  /**
   * SmileyStatsView:limit:
   *
   * Show at most this many functions; 0 shows all.
   */
  properties[PROP_LIMIT] = g_param_spec_uint ("limit", NULL, NULL, 0, G_MAXUINT, 0,
                                              G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * SmileyStatsView:callers:
   *
   * Instead of the table, show who called the functions this names (a
   * part of the name, or "file:line(function)").
   */
  properties[PROP_CALLERS] = g_param_spec_string ("callers", NULL, NULL, NULL,
                                                  G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * SmileyStatsView:callees:
   *
   * Instead of the table, show what the functions this names called.
   */
  properties[PROP_CALLEES] = g_param_spec_string ("callees", NULL, NULL, NULL,
                                                  G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * SmileyStatsView:width:
   *
   * The width of the table in characters: long function names and paths
   * are shortened with "…" to fit. 0 (the default) takes the width of the
   * terminal the output goes to, and never shortens output to a file or
   * pipe.
   */
  properties[PROP_WIDTH] = g_param_spec_uint ("width", NULL, NULL, 0, G_MAXUINT, 0,
                                              G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
smiley_stats_view_init (SmileyStatsView *self)
{
}

/**
 * smiley_stats_view_new:
 *
 * Returns: (transfer full): a stats table view with default options
 */
SmileyStatsView *
smiley_stats_view_new (void)
{
  return g_object_new (SMILEY_TYPE_STATS_VIEW, NULL);
}
