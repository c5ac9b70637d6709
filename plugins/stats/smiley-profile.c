/* smiley-profile.c
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include "smiley-profile.h"

static const struct
{
  const char       *name;
  SmileyProfileSort sort;
} sort_names[] = {
  { "cumtime", SMILEY_PROFILE_SORT_CUMTIME },
  { "tottime", SMILEY_PROFILE_SORT_TOTTIME },
  { "ncalls", SMILEY_PROFILE_SORT_NCALLS },
  { "name", SMILEY_PROFILE_SORT_NAME },
  { "file", SMILEY_PROFILE_SORT_FILE },
  /* pstats' own spellings, for people who know `sort_stats()` */
  { "cumulative", SMILEY_PROFILE_SORT_CUMTIME },
  { "time", SMILEY_PROFILE_SORT_TOTTIME },
  { "calls", SMILEY_PROFILE_SORT_NCALLS },
  { "filename", SMILEY_PROFILE_SORT_FILE },
};

/**
 * smiley_profile_sort_from_string:
 * @name: (nullable): "cumtime", "tottime", "ncalls", "name" or "file"
 *   (pstats' "cumulative", "time", "calls" and "filename" also work);
 *   %NULL or "" mean the default, cumtime
 * @sort: (out): the order
 * @error: return location for a #GError
 *
 * Returns: %FALSE with %G_IO_ERROR_INVALID_ARGUMENT for an unknown name
 */
gboolean
smiley_profile_sort_from_string (const char *name, SmileyProfileSort *sort, GError **error)
{
  if (name == NULL || *name == '\0')
    {
      *sort = SMILEY_PROFILE_SORT_CUMTIME;
      return TRUE;
    }

  for (guint i = 0; i < G_N_ELEMENTS (sort_names); i++)
    if (g_str_equal (name, sort_names[i].name))
      {
        *sort = sort_names[i].sort;
        return TRUE;
      }

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               "unknown sort order '%s' (use cumtime, tottime, ncalls, name or file)", name);
  return FALSE;
}

/**
 * smiley_profile_sort_describe:
 * @sort: an order
 *
 * Returns: the words pstats prints after "Ordered by:"
 */
const char *
smiley_profile_sort_describe (SmileyProfileSort sort)
{
  switch (sort)
    {
    case SMILEY_PROFILE_SORT_TOTTIME:
      return "internal time";
    case SMILEY_PROFILE_SORT_NCALLS:
      return "call count";
    case SMILEY_PROFILE_SORT_NAME:
      return "function name";
    case SMILEY_PROFILE_SORT_FILE:
      return "file name";
    case SMILEY_PROFILE_SORT_CUMTIME:
    default:
      return "cumulative time";
    }
}

static int
compare_names (const SmileyStatsEntry *a, const SmileyStatsEntry *b)
{
  int cmp = strcmp (a->function, b->function);

  if (cmp == 0)
    cmp = strcmp (a->file, b->file);
  if (cmp == 0)
    cmp = (a->line > b->line) - (a->line < b->line);
  return cmp;
}

static int
compare_files (const SmileyStatsEntry *a, const SmileyStatsEntry *b)
{
  int cmp = strcmp (a->file, b->file);

  if (cmp == 0)
    cmp = (a->line > b->line) - (a->line < b->line);
  if (cmp == 0)
    cmp = strcmp (a->function, b->function);
  return cmp;
}

#define DESCENDING(a, b) (((a) < (b)) - ((a) > (b)))

static int
compare_entries (gconstpointer a, gconstpointer b, gpointer user_data)
{
  SmileyStats            *stats = ((gpointer *)user_data)[0];
  SmileyProfileSort       sort = GPOINTER_TO_INT (((gpointer *)user_data)[1]);
  const SmileyStatsEntry *ea = smiley_stats_get_entry (stats, *(const guint *)a);
  const SmileyStatsEntry *eb = smiley_stats_get_entry (stats, *(const guint *)b);
  int                     cmp = 0;

  switch (sort)
    {
    case SMILEY_PROFILE_SORT_CUMTIME:
      cmp = DESCENDING (ea->cumtime_ns, eb->cumtime_ns);
      break;
    case SMILEY_PROFILE_SORT_TOTTIME:
      cmp = DESCENDING (ea->tottime_ns, eb->tottime_ns);
      break;
    case SMILEY_PROFILE_SORT_NCALLS:
      cmp = DESCENDING (ea->ncalls, eb->ncalls);
      break;
    case SMILEY_PROFILE_SORT_FILE:
      return compare_files (ea, eb);
    case SMILEY_PROFILE_SORT_NAME:
    default:
      break;
    }

  /* Ties (common: many functions take no measurable time) are broken by
   * name so the table is the same from one invocation to the next. */
  return cmp != 0 ? cmp : compare_names (ea, eb);
}

/**
 * smiley_profile_sort_entries:
 * @stats: statistics
 * @sort: the order
 *
 * Returns: (transfer full) (element-type guint): the indices of every
 *   entry of @stats in the order @sort asks for
 */
GArray *
smiley_profile_sort_entries (SmileyStats *stats, SmileyProfileSort sort)
{
  guint    n = smiley_stats_get_length (stats);
  GArray  *order = g_array_sized_new (FALSE, FALSE, sizeof (guint), n);
  gpointer data[2] = { stats, GINT_TO_POINTER (sort) };

  for (guint i = 0; i < n; i++)
    g_array_append_val (order, i);
  g_array_sort_with_data (order, compare_entries, data);
  return order;
}

/**
 * smiley_profile_load:
 * @store: the store holding @run
 * @run: (nullable): the run whose profile to read
 * @error: return location for a #GError
 *
 * Reads a run's statistics for a profiler view. A run without statistics
 * gets an error that says why a run can lack them, whatever the store
 * said.
 *
 * Returns: (transfer full): the statistics, or %NULL with @error set
 */
SmileyStats *
smiley_profile_load (SmileyStore *store, SmileyRun *run, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  SmileyStats *stats;

  if (run == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "profiler views show one run: name the run");
      return NULL;
    }

  stats = smiley_store_get_stats (store, run, &local_error);
  if (stats == NULL)
    {
      if (g_error_matches (local_error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NO_STATS))
        {
          g_autofree char *short_id = g_strndup (smiley_run_get_id (run), 8);

          g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NO_STATS,
                       "run %s has no profile statistics (it is still running "
                       "or the program died before writing them)",
                       short_id);
        }
      else if (local_error != NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NO_STATS,
                     "run %s has no profile statistics", smiley_run_get_id (run));
      return NULL;
    }
  return stats;
}

/**
 * smiley_profile_format_function:
 * @entry: an entry
 *
 * Returns: (transfer full): the function as pstats names it:
 *   "file:line(function)", or "{built-in method builtins.len}" for C
 *   functions
 */
char *
smiley_profile_format_function (const SmileyStatsEntry *entry)
{
  if (g_str_equal (entry->file, "~") && entry->line == 0)
    {
      gsize len = strlen (entry->function);

      if (len >= 2 && entry->function[0] == '<' && entry->function[len - 1] == '>')
        return g_strdup_printf ("{%.*s}", (int)len - 2, entry->function + 1);
      return g_strdup (entry->function);
    }
  return g_strdup_printf ("%s:%u(%s)", entry->file, entry->line, entry->function);
}

/**
 * smiley_profile_entry_matches:
 * @entry: an entry
 * @pattern: what a user typed after --callers or --callees
 *
 * A pattern names a function either by a part of its name ("fib" matches
 * "fib" and "fib_memo") or exactly as pstats prints it
 * ("app.py:3(fib)", "{built-in method builtins.len}").
 *
 * Returns: whether @entry is one of the functions @pattern names
 */
gboolean
smiley_profile_entry_matches (const SmileyStatsEntry *entry, const char *pattern)
{
  g_autofree char *full = NULL;

  if (strstr (entry->function, pattern) != NULL)
    return TRUE;
  full = smiley_profile_format_function (entry);
  return g_str_equal (full, pattern);
}
