/* smiley-store-replay.h: a source that replays a stored run
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#pragma once

#include <gio/gio.h>

#include "smiley.h"

G_BEGIN_DECLS

#define SMILEY_TYPE_STORE_REPLAY (smiley_store_replay_get_type ())
G_DECLARE_FINAL_TYPE (SmileyStoreReplay, smiley_store_replay, SMILEY, STORE_REPLAY, GObject)

SmileyStoreReplay *smiley_store_replay_new (SmileyStore *store, const char *run_id);

G_END_DECLS
