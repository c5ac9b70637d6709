/* smiley-store.c
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include "smiley.h"

/* clang-format off */
G_DEFINE_QUARK (smiley-store-error-quark, smiley_store_error)
/* clang-format on */

G_DEFINE_INTERFACE (SmileyStore, smiley_store, SMILEY_TYPE_SINK)

static void
smiley_store_default_init (SmileyStoreInterface *iface)
{
}

/**
 * smiley_store_list_runs:
 * @self: a store
 * @error: return location for a #GError
 *
 * Returns: (transfer container) (element-type SmileyRun): every run,
 *   newest first
 */
GPtrArray *
smiley_store_list_runs (SmileyStore *self, GError **error)
{
  g_return_val_if_fail (SMILEY_IS_STORE (self), NULL);

  return SMILEY_STORE_GET_IFACE (self)->list_runs (self, error);
}

/**
 * smiley_store_get_run:
 * @self: a store
 * @run_id: a full run id
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the run with its string table and threads
 */
SmileyRun *
smiley_store_get_run (SmileyStore *self, const char *run_id, GError **error)
{
  g_return_val_if_fail (SMILEY_IS_STORE (self), NULL);
  g_return_val_if_fail (run_id != NULL, NULL);

  return SMILEY_STORE_GET_IFACE (self)->get_run (self, run_id, error);
}

/**
 * smiley_store_find_run:
 * @self: a store
 * @id_or_prefix: a full run id or a prefix of one, as git takes them
 * @error: return location for a #GError
 *
 * Resolves what a user typed to one run. A prefix matching several runs is
 * refused with %SMILEY_STORE_ERROR_AMBIGUOUS, naming the candidates.
 *
 * Returns: (transfer full): the run, loaded with smiley_store_get_run()
 */
SmileyRun *
smiley_store_find_run (SmileyStore *self, const char *id_or_prefix, GError **error)
{
  g_autoptr (GPtrArray) runs = NULL;
  g_autoptr (GPtrArray) matches = NULL;
  g_autoptr (GString) names = NULL;

  g_return_val_if_fail (SMILEY_IS_STORE (self), NULL);
  g_return_val_if_fail (id_or_prefix != NULL, NULL);

  if (*id_or_prefix == '\0')
    {
      g_set_error_literal (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NOT_FOUND, "empty run id");
      return NULL;
    }

  runs = smiley_store_list_runs (self, error);
  if (runs == NULL)
    return NULL;

  matches = g_ptr_array_new ();
  for (guint i = 0; i < runs->len; i++)
    {
      const char *id = smiley_run_get_id (g_ptr_array_index (runs, i));

      if (g_str_equal (id, id_or_prefix))
        return smiley_store_get_run (self, id, error);
      if (g_str_has_prefix (id, id_or_prefix))
        g_ptr_array_add (matches, g_ptr_array_index (runs, i));
    }

  if (matches->len == 1)
    return smiley_store_get_run (self, smiley_run_get_id (g_ptr_array_index (matches, 0)), error);

  if (matches->len == 0)
    {
      g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NOT_FOUND,
                   "no run with id '%s' (see 'smiley list')", id_or_prefix);
      return NULL;
    }

  names = g_string_new (NULL);
  for (guint i = 0; i < matches->len && i < 5; i++)
    g_string_append_printf (names, "%s%s", i > 0 ? ", " : "",
                            smiley_run_get_id (g_ptr_array_index (matches, i)));
  if (matches->len > 5)
    g_string_append (names, ", …");
  g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_AMBIGUOUS,
               "run id prefix '%s' is ambiguous: %u runs match (%s)", id_or_prefix, matches->len,
               names->str);
  return NULL;
}

/**
 * smiley_store_delete_run:
 * @self: a store
 * @run_id: a full run id
 * @error: return location for a #GError
 *
 * Returns: %FALSE with @error set if the run is unknown or could not go
 */
gboolean
smiley_store_delete_run (SmileyStore *self, const char *run_id, GError **error)
{
  g_return_val_if_fail (SMILEY_IS_STORE (self), FALSE);
  g_return_val_if_fail (run_id != NULL, FALSE);

  return SMILEY_STORE_GET_IFACE (self)->delete_run (self, run_id, error);
}

/**
 * smiley_store_get_events:
 * @self: a store
 * @run: a run returned by this store
 * @thread: a thread id, or -1 for all threads
 * @offset: events to skip
 * @limit: most events to return
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the events, possibly none at the end
 */
SmileyBatch *
smiley_store_get_events (SmileyStore *self, SmileyRun *run, int thread, guint64 offset, guint limit,
                         GError **error)
{
  g_return_val_if_fail (SMILEY_IS_STORE (self), NULL);
  g_return_val_if_fail (SMILEY_IS_RUN (run), NULL);

  return SMILEY_STORE_GET_IFACE (self)->get_events (self, run, thread, offset, limit, error);
}

/**
 * smiley_store_get_source:
 * @self: a store
 * @run: a run returned by this store
 * @path: a file name as the run recorded it
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the file's content as the run saw it
 */
GBytes *
smiley_store_get_source (SmileyStore *self, SmileyRun *run, const char *path, GError **error)
{
  g_return_val_if_fail (SMILEY_IS_STORE (self), NULL);
  g_return_val_if_fail (SMILEY_IS_RUN (run), NULL);
  g_return_val_if_fail (path != NULL, NULL);

  return SMILEY_STORE_GET_IFACE (self)->get_source (self, run, path, error);
}

/**
 * smiley_store_list_files:
 * @self: a store
 * @run: a run returned by this store
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the source files the run recorded
 */
GStrv
smiley_store_list_files (SmileyStore *self, SmileyRun *run, GError **error)
{
  g_return_val_if_fail (SMILEY_IS_STORE (self), NULL);
  g_return_val_if_fail (SMILEY_IS_RUN (run), NULL);

  return SMILEY_STORE_GET_IFACE (self)->list_files (self, run, error);
}

/**
 * smiley_store_get_stats:
 * @self: a store
 * @run: a run returned by this store
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the run's profile
 */
SmileyStats *
smiley_store_get_stats (SmileyStore *self, SmileyRun *run, GError **error)
{
  g_return_val_if_fail (SMILEY_IS_STORE (self), NULL);
  g_return_val_if_fail (SMILEY_IS_RUN (run), NULL);

  return SMILEY_STORE_GET_IFACE (self)->get_stats (self, run, error);
}
