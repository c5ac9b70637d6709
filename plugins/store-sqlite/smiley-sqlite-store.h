/* smiley-sqlite-store.h: runs kept in an SQLite database
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#pragma once

#include <smiley.h>

G_BEGIN_DECLS

#define SMILEY_TYPE_SQLITE_STORE (smiley_sqlite_store_get_type ())
G_DECLARE_FINAL_TYPE (SmileySqliteStore, smiley_sqlite_store, SMILEY, SQLITE_STORE, GObject)

/* The schema this build writes and the newest it reads; see
 * data/store/sqlite-N.sql and docs/store-schema.md. */
#define SMILEY_SQLITE_SCHEMA_VERSION 1

/* PRAGMA application_id of every smiley database: "SMLY". */
#define SMILEY_SQLITE_APPLICATION_ID 0x534d4c59

G_END_DECLS
