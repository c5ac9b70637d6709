/* smiley-chrome-view.h: a run as Chrome Trace Event Format JSON
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#pragma once

#include <smiley.h>

G_BEGIN_DECLS

#define SMILEY_TYPE_CHROME_VIEW (smiley_chrome_view_get_type ())
G_DECLARE_FINAL_TYPE (SmileyChromeView, smiley_chrome_view, SMILEY, CHROME_VIEW, GObject)

SmileyChromeView *smiley_chrome_view_new (void);

G_END_DECLS
