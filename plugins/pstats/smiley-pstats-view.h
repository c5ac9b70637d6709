/* smiley-pstats-view.h: a run's profile as a file CPython's pstats reads
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#pragma once

#include <smiley.h>

G_BEGIN_DECLS

#define SMILEY_TYPE_PSTATS_VIEW (smiley_pstats_view_get_type ())
G_DECLARE_FINAL_TYPE (SmileyPstatsView, smiley_pstats_view, SMILEY, PSTATS_VIEW, GObject)

SmileyPstatsView *smiley_pstats_view_new (void);
GBytes           *smiley_pstats_view_encode (SmileyStats *stats);

G_END_DECLS
