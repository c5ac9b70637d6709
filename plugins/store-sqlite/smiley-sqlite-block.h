/* smiley-sqlite-block.h: the packed encoding of a block of events
 *
 * SPDX-License-Identifier: Apache-2.0
 *
 * The SQLite store keeps events in blocks of consecutive events of a run,
 * one BLOB per block; docs/store-schema.md describes the encoding. Blocks
 * decode on their own (every delta restarts at a block's start), so a
 * reader seeks to a block and never reads what came before it.
 */
#pragma once

#include <smiley.h>

G_BEGIN_DECLS

/* A block is written out when it holds this many events or bytes. */
#define SMILEY_SQLITE_BLOCK_MAX_EVENTS 1024
#define SMILEY_SQLITE_BLOCK_MAX_BYTES (32 * 1024)

/* Values up to this long are stored inline the first time they appear. */
#define SMILEY_SQLITE_BLOCK_INLINE_MAX 32

/* Decides how a value is stored: sets @id to its id in the value table
 * (adding it there if needed), or to 0 to keep it inline in the block.
 * Returns FALSE with @error set if the value table could not be written. */
typedef gboolean (*SmileySqliteInternValueFunc) (const char *text, gsize length, guint64 *id,
                                                 gpointer user_data, GError **error);

/* Returns the text of value @id, owned by the callee and valid until the
 * next call; NULL with @error set if unknown. */
typedef const char *(*SmileySqliteLookupValueFunc) (guint64 id, gpointer user_data, GError **error);

/* Called for each decoded event, with its index in the block; return FALSE
 * to stop decoding. */
typedef gboolean (*SmileySqliteEventFunc) (const SmileyEvent *event, guint index,
                                           gpointer user_data);

/**
 * SmileySqliteBlockThread:
 * @thread: a thread id
 * @first_tseq: index, among that thread's events, of its first in the block
 * @n_events: how many of its events the block holds
 */
typedef struct
{
  guint32 thread;
  guint64 first_tseq;
  guint   n_events;
} SmileySqliteBlockThread;

typedef struct _SmileySqliteBlock SmileySqliteBlock;

SmileySqliteBlock *smiley_sqlite_block_new (void);
void               smiley_sqlite_block_free (SmileySqliteBlock *self);
void               smiley_sqlite_block_reset (SmileySqliteBlock *self, guint64 first_seq);
gboolean smiley_sqlite_block_add (SmileySqliteBlock *self, const SmileyEvent *event, guint64 tseq,
                                  SmileySqliteInternValueFunc intern, gpointer user_data,
                                  GError **error);
gboolean smiley_sqlite_block_is_full (SmileySqliteBlock *self);
guint    smiley_sqlite_block_get_n_events (SmileySqliteBlock *self);
guint64  smiley_sqlite_block_get_first_seq (SmileySqliteBlock *self);
const guint8 *smiley_sqlite_block_get_data (SmileySqliteBlock *self, gsize *length);
const SmileySqliteBlockThread *smiley_sqlite_block_get_threads (SmileySqliteBlock *self,
                                                                guint             *n_threads);

gint64   smiley_sqlite_block_checksum (const guint8 *data, gsize length);
gboolean smiley_sqlite_block_decode (const guint8 *data, gsize length, guint n_events,
                                     guint32 n_strings, SmileySqliteLookupValueFunc lookup,
                                     gpointer lookup_data, SmileySqliteEventFunc func,
                                     gpointer func_data, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SmileySqliteBlock, smiley_sqlite_block_free)

G_END_DECLS
