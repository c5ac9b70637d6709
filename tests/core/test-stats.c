/* test-stats.c: SmileyStats, profile entries and their callers
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include <smiley.h>

static void
test_entries (void)
{
  g_autoptr (SmileyStats) stats = smiley_stats_new ();
  guint a, b;

  g_assert_cmpuint (smiley_stats_get_length (stats), ==, 0);
  a = smiley_stats_add_entry (stats, "a.py", 1, "f");
  b = smiley_stats_add_entry (stats, "~", 0, "<built-in method builtins.len>");
  g_assert_cmpuint (a, ==, 0);
  g_assert_cmpuint (b, ==, 1);
  /* The same function is found, not added twice. */
  g_assert_cmpuint (smiley_stats_add_entry (stats, "a.py", 1, "f"), ==, a);
  /* A different line is a different function. */
  g_assert_cmpuint (smiley_stats_add_entry (stats, "a.py", 2, "f"), ==, 2);
  g_assert_cmpint (smiley_stats_lookup (stats, "~", 0, "<built-in method builtins.len>"), ==, 1);
  g_assert_cmpint (smiley_stats_lookup (stats, "a.py", 3, "f"), ==, -1);
  g_assert_cmpstr (smiley_stats_get_entry (stats, b)->file, ==, "~");
  g_assert_cmpuint (smiley_stats_get_entry (stats, a)->ncalls, ==, 0);
  g_assert_cmpuint (smiley_stats_get_entry (stats, a)->callers->len, ==, 0);
}

static void
test_keys_do_not_collide (void)
{
  g_autoptr (SmileyStats) stats = smiley_stats_new ();

  /* Names containing the key separator must not alias other entries. */
  smiley_stats_add_entry (stats, "a", 1, "b\n2\nc");
  g_assert_cmpint (smiley_stats_lookup (stats, "a\n1\nb", 2, "c"), ==, -1);
  g_assert_cmpuint (smiley_stats_add_entry (stats, "a\n1\nb", 2, "c"), ==, 1);
  g_assert_cmpuint (smiley_stats_get_length (stats), ==, 2);
}

static void
test_callers (void)
{
  g_autoptr (SmileyStats) stats = smiley_stats_new ();
  guint              f = smiley_stats_add_entry (stats, "a.py", 1, "f");
  guint              g = smiley_stats_add_entry (stats, "a.py", 5, "g");
  SmileyStatsCaller  from_f = { f, 2, 1, 10, 20 };
  SmileyStatsCaller  from_g = { g, 1, 1, 5, 5 };
  SmileyStatsCaller *caller;
  SmileyStatsEntry  *entry;

  smiley_stats_add_caller (stats, g, &from_f);
  smiley_stats_add_caller (stats, g, &from_f);
  smiley_stats_add_caller (stats, g, &from_g);
  entry = smiley_stats_get_entry (stats, g);
  /* The same caller twice is summed into one record. */
  g_assert_cmpuint (entry->callers->len, ==, 2);
  caller = &g_array_index (entry->callers, SmileyStatsCaller, 0);
  g_assert_cmpuint (caller->caller, ==, f);
  g_assert_cmpuint (caller->ncalls, ==, 4);
  g_assert_cmpuint (caller->primcalls, ==, 2);
  g_assert_cmpint (caller->tottime_ns, ==, 20);
  g_assert_cmpint (caller->cumtime_ns, ==, 40);
}

static void
test_totals (void)
{
  g_autoptr (SmileyStats) stats = smiley_stats_new ();

  for (guint i = 0; i < 10; i++)
    {
      g_autofree char  *name = g_strdup_printf ("f%u", i);
      SmileyStatsEntry *entry
          = smiley_stats_get_entry (stats, smiley_stats_add_entry (stats, "x.py", i, name));

      entry->ncalls = i;
      entry->tottime_ns = 100 * i;
      entry->cumtime_ns = 1000 * i;
    }
  g_assert_cmpuint (smiley_stats_get_total_calls (stats), ==, 45);
  /* pstats' total is the sum of own times, not of cumulative ones. */
  g_assert_cmpint (smiley_stats_get_total_time (stats), ==, 4500);

  /* Decoded counters can be anything: sums wrap, never trap (UBSan). */
  smiley_stats_get_entry (stats, 0)->tottime_ns = G_MAXINT64;
  g_assert_cmpint (smiley_stats_get_total_time (stats), ==, (gint64)((guint64)G_MAXINT64 + 4500));
}

static SmileyStats *
make_stats (gint64 caller_cumtime)
{
  SmileyStats *stats = smiley_stats_new ();
  guint        main_entry = smiley_stats_add_entry (stats, "a.py", 1, "<module>");
  guint        f = smiley_stats_add_entry (stats, "a.py", 3, "f");

  smiley_stats_get_entry (stats, f)->ncalls = 4;
  smiley_stats_get_entry (stats, f)->primcalls = 4;
  smiley_stats_add_caller (stats, f, &(SmileyStatsCaller){ main_entry, 4, 4, 10, caller_cumtime });
  return stats;
}

static void
test_equal (void)
{
  g_autoptr (SmileyStats) a = make_stats (20);
  g_autoptr (SmileyStats) b = make_stats (20);
  g_autoptr (SmileyStats) c = make_stats (21);
  g_autoptr (SmileyStats) d = make_stats (20);

  g_assert_true (smiley_stats_equal (a, b));
  /* A caller's counter, an entry's counter, an extra entry: all count. */
  g_assert_false (smiley_stats_equal (a, c));
  smiley_stats_get_entry (d, 1)->tottime_ns = 1;
  g_assert_false (smiley_stats_equal (a, d));
  smiley_stats_add_entry (b, "~", 0, "<built-in method builtins.len>");
  g_assert_false (smiley_stats_equal (a, b));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/smiley/stats/entries", test_entries);
  g_test_add_func ("/smiley/stats/keys-do-not-collide", test_keys_do_not_collide);
  g_test_add_func ("/smiley/stats/callers", test_callers);
  g_test_add_func ("/smiley/stats/totals", test_totals);
  g_test_add_func ("/smiley/stats/equal", test_equal);

  return g_test_run ();
}
