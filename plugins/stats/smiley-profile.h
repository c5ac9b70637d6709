/* smiley-profile.h: reading and ordering a run's profile, shared by the
 * profiler views (stats table, pstats export, call graph)
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#pragma once

#include <smiley.h>

G_BEGIN_DECLS

/**
 * SmileyProfileSort:
 * @SMILEY_PROFILE_SORT_CUMTIME: cumulative time, largest first
 * @SMILEY_PROFILE_SORT_TOTTIME: own time, largest first
 * @SMILEY_PROFILE_SORT_NCALLS: call count, largest first
 * @SMILEY_PROFILE_SORT_NAME: function name, then file and line
 * @SMILEY_PROFILE_SORT_FILE: file name, then line and function
 *
 * The orders `smiley stats show --sort` offers.
 */
typedef enum
{
  SMILEY_PROFILE_SORT_CUMTIME,
  SMILEY_PROFILE_SORT_TOTTIME,
  SMILEY_PROFILE_SORT_NCALLS,
  SMILEY_PROFILE_SORT_NAME,
  SMILEY_PROFILE_SORT_FILE,
} SmileyProfileSort;

gboolean    smiley_profile_sort_from_string (const char *name, SmileyProfileSort *sort,
                                             GError **error);
const char *smiley_profile_sort_describe (SmileyProfileSort sort);
GArray     *smiley_profile_sort_entries (SmileyStats *stats, SmileyProfileSort sort);

SmileyStats *smiley_profile_load (SmileyStore *store, SmileyRun *run, GError **error);

char    *smiley_profile_format_function (const SmileyStatsEntry *entry);
gboolean smiley_profile_entry_matches (const SmileyStatsEntry *entry, const char *pattern);

G_END_DECLS
