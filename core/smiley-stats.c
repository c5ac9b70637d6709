/* smiley-stats.c
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include "smiley.h"

struct _SmileyStats
{
  gatomicrefcount ref_count;
  GPtrArray      *entries; /* SmileyStatsEntry */
  GHashTable     *index;   /* stats_key () → position + 1 */
};

G_DEFINE_BOXED_TYPE (SmileyStats, smiley_stats, smiley_stats_ref, smiley_stats_unref)

static void
stats_entry_free (gpointer data)
{
  SmileyStatsEntry *entry = data;

  g_free (entry->file);
  g_free (entry->function);
  g_array_unref (entry->callers);
  g_free (entry);
}

/* The file name goes in with its length, so that names containing the
 * separator cannot make two functions share a key. */
static char *
stats_key (const char *file, guint line, const char *function)
{
  return g_strdup_printf ("%" G_GSIZE_FORMAT ":%s\n%u\n%s", strlen (file), file, line, function);
}

/**
 * smiley_stats_new:
 *
 * Returns: (transfer full): empty statistics
 */
SmileyStats *
smiley_stats_new (void)
{
  SmileyStats *self = g_new0 (SmileyStats, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->entries = g_ptr_array_new_with_free_func (stats_entry_free);
  self->index = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return self;
}

SmileyStats *
smiley_stats_ref (SmileyStats *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
smiley_stats_unref (SmileyStats *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_ptr_array_unref (self->entries);
  g_hash_table_unref (self->index);
  g_free (self);
}

guint
smiley_stats_get_length (SmileyStats *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->entries->len;
}

/**
 * smiley_stats_get_entry:
 * @self: statistics
 * @index: below smiley_stats_get_length()
 *
 * Returns: (transfer none): the entry; callers may update its counters
 */
SmileyStatsEntry *
smiley_stats_get_entry (SmileyStats *self, guint index)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (index < self->entries->len, NULL);

  return g_ptr_array_index (self->entries, index);
}

/**
 * smiley_stats_lookup:
 * @self: statistics
 * @file: file name ("~" for C functions)
 * @line: first line
 * @function: function name
 *
 * Returns: the index of the function's entry, or -1
 */
int
smiley_stats_lookup (SmileyStats *self, const char *file, guint line, const char *function)
{
  g_autofree char *key = stats_key (file, line, function);
  gpointer         position;

  g_return_val_if_fail (self != NULL, -1);

  position = g_hash_table_lookup (self->index, key);
  return position == NULL ? -1 : GPOINTER_TO_INT (position) - 1;
}

/**
 * smiley_stats_add_entry:
 * @self: statistics
 * @file: file name ("~" for C functions)
 * @line: first line
 * @function: function name
 *
 * Finds or adds the entry of a function, with zero counters when new.
 *
 * Returns: the entry's index
 */
guint
smiley_stats_add_entry (SmileyStats *self, const char *file, guint line, const char *function)
{
  SmileyStatsEntry *entry;
  int               found;

  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (file != NULL && function != NULL, 0);

  found = smiley_stats_lookup (self, file, line, function);
  if (found >= 0)
    return found;

  entry = g_new0 (SmileyStatsEntry, 1);
  entry->file = g_strdup (file);
  entry->line = line;
  entry->function = g_strdup (function);
  entry->callers = g_array_new (FALSE, TRUE, sizeof (SmileyStatsCaller));
  g_ptr_array_add (self->entries, entry);
  g_hash_table_insert (self->index, stats_key (file, line, function),
                       GINT_TO_POINTER (self->entries->len));
  return self->entries->len - 1;
}

/**
 * smiley_stats_add_caller:
 * @self: statistics
 * @callee: index of the called function
 * @caller: counters of the calls from one caller; added to any already
 *   recorded for the same caller
 */
void
smiley_stats_add_caller (SmileyStats *self, guint callee, const SmileyStatsCaller *caller)
{
  SmileyStatsEntry *entry;

  g_return_if_fail (self != NULL);
  g_return_if_fail (callee < self->entries->len);
  g_return_if_fail (caller->caller < self->entries->len);

  entry = g_ptr_array_index (self->entries, callee);
  for (guint i = 0; i < entry->callers->len; i++)
    {
      SmileyStatsCaller *known = &g_array_index (entry->callers, SmileyStatsCaller, i);

      if (known->caller == caller->caller)
        {
          known->ncalls += caller->ncalls;
          known->primcalls += caller->primcalls;
          /* Summed as unsigned: decoded counters can be anything, and a
           * signed overflow would be undefined behaviour. */
          known->tottime_ns = (gint64)((guint64)known->tottime_ns + (guint64)caller->tottime_ns);
          known->cumtime_ns = (gint64)((guint64)known->cumtime_ns + (guint64)caller->cumtime_ns);
          return;
        }
    }
  g_array_append_val (entry->callers, *caller);
}

/**
 * smiley_stats_get_total_time:
 * @self: statistics
 *
 * Returns: the sum of every function's own time, which is what pstats
 *   reports as the total
 */
gint64
smiley_stats_get_total_time (SmileyStats *self)
{
  guint64 total = 0;

  g_return_val_if_fail (self != NULL, 0);

  /* Summed as unsigned so that counters decoded from a stream, which can
   * be anything, cannot overflow a signed integer. */
  for (guint i = 0; i < self->entries->len; i++)
    total += (guint64)((SmileyStatsEntry *)g_ptr_array_index (self->entries, i))->tottime_ns;
  return (gint64)total;
}

/**
 * smiley_stats_get_total_calls:
 * @self: statistics
 *
 * Returns: the sum of every function's call count
 */
guint64
smiley_stats_get_total_calls (SmileyStats *self)
{
  guint64 total = 0;

  g_return_val_if_fail (self != NULL, 0);

  for (guint i = 0; i < self->entries->len; i++)
    total += ((SmileyStatsEntry *)g_ptr_array_index (self->entries, i))->ncalls;
  return total;
}

static gboolean
stats_caller_equal (const SmileyStatsCaller *p, const SmileyStatsCaller *q)
{
  return p->caller == q->caller && p->ncalls == q->ncalls && p->primcalls == q->primcalls
         && p->tottime_ns == q->tottime_ns && p->cumtime_ns == q->cumtime_ns;
}

/**
 * smiley_stats_equal:
 * @a: statistics
 * @b: other statistics
 *
 * Returns: whether both hold the same entries in the same order, with the
 *   same counters and callers, as a round trip through a store or the wire
 *   format must keep them
 */
gboolean
smiley_stats_equal (SmileyStats *a, SmileyStats *b)
{
  g_return_val_if_fail (a != NULL && b != NULL, FALSE);

  if (a->entries->len != b->entries->len)
    return FALSE;
  for (guint i = 0; i < a->entries->len; i++)
    {
      SmileyStatsEntry *x = g_ptr_array_index (a->entries, i);
      SmileyStatsEntry *y = g_ptr_array_index (b->entries, i);

      if (g_strcmp0 (x->file, y->file) != 0 || x->line != y->line
          || g_strcmp0 (x->function, y->function) != 0 || x->ncalls != y->ncalls
          || x->primcalls != y->primcalls || x->tottime_ns != y->tottime_ns
          || x->cumtime_ns != y->cumtime_ns || x->callers->len != y->callers->len)
        return FALSE;
      for (guint c = 0; c < x->callers->len; c++)
        if (!stats_caller_equal (&g_array_index (x->callers, SmileyStatsCaller, c),
                                 &g_array_index (y->callers, SmileyStatsCaller, c)))
          return FALSE;
    }
  return TRUE;
}
