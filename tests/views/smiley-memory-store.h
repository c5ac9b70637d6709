/* smiley-memory-store.h: a store that keeps runs in memory, for testing
 * views without a database
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#pragma once

#include <smiley.h>

G_BEGIN_DECLS

#define SMILEY_TYPE_MEMORY_STORE (smiley_memory_store_get_type ())
G_DECLARE_FINAL_TYPE (SmileyMemoryStore, smiley_memory_store, SMILEY, MEMORY_STORE, GObject)

SmileyMemoryStore *smiley_memory_store_new (void);

G_END_DECLS
