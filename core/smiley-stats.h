/* smiley-stats.h: profiler statistics of a run, with cProfile's meaning
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#pragma once

#if !defined(SMILEY_INSIDE) && !defined(SMILEY_COMPILATION)
#error "Only <smiley.h> can be included directly."
#endif

#include <glib-object.h>

G_BEGIN_DECLS

#define SMILEY_TYPE_STATS (smiley_stats_get_type ())

/**
 * SmileyStatsCaller:
 * @caller: index of the calling function in the stats' entries
 * @ncalls: calls made from @caller
 * @primcalls: of those, calls that were not recursive
 * @tottime_ns: time spent in the callee itself under those calls
 * @cumtime_ns: time spent in the callee and below under those calls
 */
typedef struct
{
  guint   caller;
  guint64 ncalls;
  guint64 primcalls;
  gint64  tottime_ns;
  gint64  cumtime_ns;
} SmileyStatsCaller;

/**
 * SmileyStatsEntry:
 * @file: file name, "~" for C functions (as in pstats)
 * @line: first line of the function, 0 for C functions
 * @function: the name pstats shows: the code name for Python functions,
 *   "<built-in method builtins.len>" and the like for C functions
 * @ncalls: total calls
 * @primcalls: primitive (non-recursive) calls
 * @tottime_ns: time in the function itself
 * @cumtime_ns: time in the function and everything it called
 * @callers: (element-type SmileyStatsCaller): who called it
 */
typedef struct
{
  char   *file;
  guint   line;
  char   *function;
  guint64 ncalls;
  guint64 primcalls;
  gint64  tottime_ns;
  gint64  cumtime_ns;
  GArray *callers;
} SmileyStatsEntry;

typedef struct _SmileyStats SmileyStats;

GType             smiley_stats_get_type (void) G_GNUC_CONST;
SmileyStats      *smiley_stats_new (void);
SmileyStats      *smiley_stats_ref (SmileyStats *self);
void              smiley_stats_unref (SmileyStats *self);
guint             smiley_stats_get_length (SmileyStats *self);
SmileyStatsEntry *smiley_stats_get_entry (SmileyStats *self, guint index);
guint             smiley_stats_add_entry (SmileyStats *self, const char *file, guint line,
                                          const char *function);
int     smiley_stats_lookup (SmileyStats *self, const char *file, guint line, const char *function);
void    smiley_stats_add_caller (SmileyStats *self, guint callee, const SmileyStatsCaller *caller);
gint64  smiley_stats_get_total_time (SmileyStats *self);
guint64 smiley_stats_get_total_calls (SmileyStats *self);
gboolean smiley_stats_equal (SmileyStats *a, SmileyStats *b);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SmileyStats, smiley_stats_unref)

G_END_DECLS
