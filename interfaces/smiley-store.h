/* smiley-store.h: a sink that persists runs and answers queries on them
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#pragma once

#if !defined(SMILEY_INSIDE) && !defined(SMILEY_COMPILATION)
#error "Only <smiley.h> can be included directly."
#endif

#include <gio/gio.h>

#include "smiley-sink.h"
#include "smiley-stats.h"

G_BEGIN_DECLS

#define SMILEY_TYPE_STORE (smiley_store_get_type ())
G_DECLARE_INTERFACE (SmileyStore, smiley_store, SMILEY, STORE, SmileySink)

/**
 * SmileyStoreInterface:
 * @list_runs: every run, newest first, as #SmileyRun objects with their
 *   metadata (no events). Returns a #GPtrArray owning its elements.
 * @get_run: one run by its full id, with metadata, string table and
 *   threads loaded; %NULL with %SMILEY_STORE_ERROR_NOT_FOUND if unknown.
 * @delete_run: delete a run and everything only it refers to.
 * @get_events: events of a run in the order they happened, starting at
 *   the @offset-th event (0-based, counted over the selected thread or
 *   over all threads when @thread is -1), at most @limit of them. The
 *   string ids in the batch are those of the run returned by @get_run.
 *   An empty batch means the end.
 * @get_source: the content of a source file of a run, as it was when the
 *   run traced it; %NULL with %SMILEY_STORE_ERROR_NOT_FOUND if the run did
 *   not record that file.
 * @list_files: the paths of the source files a run recorded.
 * @get_stats: the profile statistics of a run; %NULL with
 *   %SMILEY_STORE_ERROR_NO_STATS if the run has none (still running, or the
 *   program died before it could write them).
 *
 * A store is opened by its plugin's GInitable implementation from its
 * "location" property (the part of the store URI after the scheme). It is
 * also a #SmileySink: runs pushed into it are persisted.
 */
struct _SmileyStoreInterface
{
  GTypeInterface g_iface;

  GPtrArray *(*list_runs) (SmileyStore *self, GError **error);
  SmileyRun *(*get_run) (SmileyStore *self, const char *run_id, GError **error);
  gboolean (*delete_run) (SmileyStore *self, const char *run_id, GError **error);
  SmileyBatch *(*get_events) (SmileyStore *self, SmileyRun *run, int thread, guint64 offset,
                              guint limit, GError **error);
  GBytes *(*get_source) (SmileyStore *self, SmileyRun *run, const char *path, GError **error);
  GStrv (*list_files) (SmileyStore *self, SmileyRun *run, GError **error);
  SmileyStats *(*get_stats) (SmileyStore *self, SmileyRun *run, GError **error);

  /*< private >*/
  gpointer padding[8];
};

#define SMILEY_STORE_ERROR (smiley_store_error_quark ())

/**
 * SmileyStoreError:
 * @SMILEY_STORE_ERROR_NOT_FOUND: no such run (or file of a run)
 * @SMILEY_STORE_ERROR_AMBIGUOUS: a run id prefix matches several runs
 * @SMILEY_STORE_ERROR_NOT_A_STORE: the location is not a smiley store
 * @SMILEY_STORE_ERROR_VERSION: the store was written by a newer smiley
 * @SMILEY_STORE_ERROR_CORRUPT: the store is damaged
 * @SMILEY_STORE_ERROR_NO_STATS: the run has no profile statistics
 * @SMILEY_STORE_ERROR_IO: reading or writing failed (disk full, read-only)
 */
typedef enum
{
  SMILEY_STORE_ERROR_NOT_FOUND,
  SMILEY_STORE_ERROR_AMBIGUOUS,
  SMILEY_STORE_ERROR_NOT_A_STORE,
  SMILEY_STORE_ERROR_VERSION,
  SMILEY_STORE_ERROR_CORRUPT,
  SMILEY_STORE_ERROR_NO_STATS,
  SMILEY_STORE_ERROR_IO,
} SmileyStoreError;

GQuark smiley_store_error_quark (void);

GPtrArray   *smiley_store_list_runs (SmileyStore *self, GError **error);
SmileyRun   *smiley_store_get_run (SmileyStore *self, const char *run_id, GError **error);
SmileyRun   *smiley_store_find_run (SmileyStore *self, const char *id_or_prefix, GError **error);
gboolean     smiley_store_delete_run (SmileyStore *self, const char *run_id, GError **error);
SmileyBatch *smiley_store_get_events (SmileyStore *self, SmileyRun *run, int thread, guint64 offset,
                                      guint limit, GError **error);
GBytes      *smiley_store_get_source (SmileyStore *self, SmileyRun *run, const char *path,
                                      GError **error);
GStrv        smiley_store_list_files (SmileyStore *self, SmileyRun *run, GError **error);
SmileyStats *smiley_store_get_stats (SmileyStore *self, SmileyRun *run, GError **error);

G_END_DECLS
