/* smiley-file-store.h: runs kept as frame logs in a directory
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#pragma once

#include <smiley.h>

G_BEGIN_DECLS

#define SMILEY_TYPE_FILE_STORE (smiley_file_store_get_type ())
G_DECLARE_FINAL_TYPE (SmileyFileStore, smiley_file_store, SMILEY, FILE_STORE, GObject)

/* The version of DIR/index this build writes and the newest it reads; see
 * docs/store-schema.md. */
#define SMILEY_FILE_STORE_VERSION 1

G_END_DECLS
