/* smiley-stats-view.h: the profile of a run as a pstats-like table
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#pragma once

#include <smiley.h>

G_BEGIN_DECLS

#define SMILEY_TYPE_STATS_VIEW (smiley_stats_view_get_type ())
G_DECLARE_FINAL_TYPE (SmileyStatsView, smiley_stats_view, SMILEY, STATS_VIEW, GObject)

SmileyStatsView *smiley_stats_view_new (void);

G_END_DECLS
