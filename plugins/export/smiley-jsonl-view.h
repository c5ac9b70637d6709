/* smiley-jsonl-view.h: a run's events as JSON lines
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#pragma once

#include <smiley.h>

G_BEGIN_DECLS

#define SMILEY_TYPE_JSONL_VIEW (smiley_jsonl_view_get_type ())
G_DECLARE_FINAL_TYPE (SmileyJsonlView, smiley_jsonl_view, SMILEY, JSONL_VIEW, GObject)

SmileyJsonlView *smiley_jsonl_view_new (void);

G_END_DECLS
