/* smiley-log-cursor.h: reads the events of a run's frame log in order
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#pragma once

#include <smiley.h>

G_BEGIN_DECLS

/**
 * SmileyLogCursor:
 *
 * Walks a run's log (a frame stream in a file) one event at a time,
 * holding one batch of decoded events at most, so a run of any length is
 * read in bounded memory. A log that ends between frames or inside one (a
 * writer killed mid-write) simply ends; anything else that is not a valid
 * stream is %SMILEY_STORE_ERROR_CORRUPT (or %SMILEY_STORE_ERROR_VERSION).
 */
typedef struct _SmileyLogCursor SmileyLogCursor;

SmileyLogCursor *smiley_log_cursor_new (const char *path, GError **error);
void             smiley_log_cursor_free (SmileyLogCursor *self);
gboolean         smiley_log_cursor_next (SmileyLogCursor *self, const SmileyEvent **event,
                                         guint64 *thread_index, GError **error);
guint64          smiley_log_cursor_get_position (SmileyLogCursor *self);
guint64          smiley_log_cursor_get_thread_position (SmileyLogCursor *self, guint32 thread);
SmileyRun       *smiley_log_cursor_get_run (SmileyLogCursor *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SmileyLogCursor, smiley_log_cursor_free)

G_END_DECLS
