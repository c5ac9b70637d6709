/* smiley-memory-store.c
 *
 * Runs pushed into it stay in memory with their batches; the statistics of
 * a run are whatever smiley_run_get_stats() holds. Setting "fail-events"
 * makes event queries fail, as a damaged store would.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include "smiley-memory-store.h"

typedef struct
{
  SmileyRun *run;
  GPtrArray *batches; /* SmileyBatch */
} StoredRun;

struct _SmileyMemoryStore
{
  GObject parent_instance;

  GPtrArray *runs; /* StoredRun, oldest first */
  gboolean   fail_events;
};

enum
{
  PROP_0,
  PROP_FAIL_EVENTS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void smiley_memory_store_sink_init (SmileySinkInterface *iface);
static void smiley_memory_store_store_init (SmileyStoreInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SmileyMemoryStore, smiley_memory_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SMILEY_TYPE_SINK,
                                                      smiley_memory_store_sink_init)
                                   G_IMPLEMENT_INTERFACE (SMILEY_TYPE_STORE,
                                                          smiley_memory_store_store_init))

static void
stored_run_free (gpointer data)
{
  StoredRun *stored = data;

  g_object_unref (stored->run);
  g_ptr_array_unref (stored->batches);
  g_free (stored);
}

static StoredRun *
find_stored (SmileyMemoryStore *self, const char *id)
{
  for (guint i = 0; i < self->runs->len; i++)
    {
      StoredRun *stored = g_ptr_array_index (self->runs, i);

      if (g_str_equal (smiley_run_get_id (stored->run), id))
        return stored;
    }
  return NULL;
}

static StoredRun *
find_stored_or_fail (SmileyMemoryStore *self, const char *id, GError **error)
{
  StoredRun *stored = find_stored (self, id);

  if (stored == NULL)
    g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NOT_FOUND, "no run with id '%s'",
                 id);
  return stored;
}

static gboolean
memory_begin_run (SmileySink *sink, SmileyRun *run, GError **error)
{
  SmileyMemoryStore *self = SMILEY_MEMORY_STORE (sink);
  StoredRun         *stored;

  if (find_stored (self, smiley_run_get_id (run)) != NULL)
    return TRUE;
  stored = g_new0 (StoredRun, 1);
  stored->run = g_object_ref (run);
  stored->batches = g_ptr_array_new_with_free_func ((GDestroyNotify)smiley_batch_unref);
  g_ptr_array_add (self->runs, stored);
  return TRUE;
}

static gboolean
memory_push (SmileySink *sink, SmileyRun *run, SmileyBatch *batch, GError **error)
{
  StoredRun *stored
      = find_stored_or_fail (SMILEY_MEMORY_STORE (sink), smiley_run_get_id (run), error);

  if (stored == NULL)
    return FALSE;
  g_ptr_array_add (stored->batches, smiley_batch_ref (batch));
  return TRUE;
}

static gboolean
memory_end_run (SmileySink *sink, SmileyRun *run, GError **error)
{
  return find_stored_or_fail (SMILEY_MEMORY_STORE (sink), smiley_run_get_id (run), error) != NULL;
}

static gboolean
memory_flush (SmileySink *sink, GError **error)
{
  return TRUE;
}

static void
smiley_memory_store_sink_init (SmileySinkInterface *iface)
{
  iface->begin_run = memory_begin_run;
  iface->push = memory_push;
  iface->end_run = memory_end_run;
  iface->flush = memory_flush;
}

static GPtrArray *
memory_list_runs (SmileyStore *store, GError **error)
{
  SmileyMemoryStore *self = SMILEY_MEMORY_STORE (store);
  GPtrArray         *runs = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = self->runs->len; i > 0; i--)
    g_ptr_array_add (runs,
                     g_object_ref (((StoredRun *)g_ptr_array_index (self->runs, i - 1))->run));
  return runs;
}

static SmileyRun *
memory_get_run (SmileyStore *store, const char *run_id, GError **error)
{
  StoredRun *stored = find_stored_or_fail (SMILEY_MEMORY_STORE (store), run_id, error);

  return stored != NULL ? g_object_ref (stored->run) : NULL;
}

static gboolean
memory_delete_run (SmileyStore *store, const char *run_id, GError **error)
{
  SmileyMemoryStore *self = SMILEY_MEMORY_STORE (store);
  StoredRun         *stored = find_stored_or_fail (self, run_id, error);

  if (stored == NULL)
    return FALSE;
  g_ptr_array_remove (self->runs, stored);
  return TRUE;
}

static SmileyBatch *
memory_get_events (SmileyStore *store, SmileyRun *run, int thread, guint64 offset, guint limit,
                   GError **error)
{
  SmileyMemoryStore *self = SMILEY_MEMORY_STORE (store);
  StoredRun         *stored;
  SmileyBatch       *result;
  guint64            seen = 0;

  if (self->fail_events)
    {
      g_set_error_literal (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_CORRUPT,
                           "memory store: events are unreadable (fail-events is set)");
      return NULL;
    }

  stored = find_stored_or_fail (self, smiley_run_get_id (run), error);
  if (stored == NULL)
    return NULL;

  result = smiley_batch_new ();
  for (guint b = 0; b < stored->batches->len; b++)
    {
      SmileyBatch *batch = g_ptr_array_index (stored->batches, b);

      for (guint i = 0; i < smiley_batch_get_length (batch); i++)
        {
          const SmileyEvent *event = smiley_batch_get_event (batch, i);

          if (thread >= 0 && event->thread != (guint32)thread)
            continue;
          if (seen++ < offset)
            continue;
          if (smiley_batch_get_length (result) >= limit)
            return result;
          smiley_batch_add (result, event);
        }
    }
  return result;
}

static GBytes *
memory_get_source (SmileyStore *store, SmileyRun *run, const char *path, GError **error)
{
  g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NOT_FOUND,
               "memory store: no source for '%s'", path);
  return NULL;
}

static GStrv
memory_list_files (SmileyStore *store, SmileyRun *run, GError **error)
{
  return g_new0 (char *, 1);
}

static SmileyStats *
memory_get_stats (SmileyStore *store, SmileyRun *run, GError **error)
{
  StoredRun *stored
      = find_stored_or_fail (SMILEY_MEMORY_STORE (store), smiley_run_get_id (run), error);
  SmileyStats *stats;

  if (stored == NULL)
    return NULL;
  stats = smiley_run_get_stats (stored->run);
  if (stats == NULL)
    {
      /* deliberately terse: the views must say why themselves */
      g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NO_STATS, "no stats");
      return NULL;
    }
  return smiley_stats_ref (stats);
}

static void
smiley_memory_store_store_init (SmileyStoreInterface *iface)
{
  iface->list_runs = memory_list_runs;
  iface->get_run = memory_get_run;
  iface->delete_run = memory_delete_run;
  iface->get_events = memory_get_events;
  iface->get_source = memory_get_source;
  iface->list_files = memory_list_files;
  iface->get_stats = memory_get_stats;
}

static void
smiley_memory_store_finalize (GObject *object)
{
  SmileyMemoryStore *self = SMILEY_MEMORY_STORE (object);

  g_ptr_array_unref (self->runs);

  G_OBJECT_CLASS (smiley_memory_store_parent_class)->finalize (object);
}

static void
smiley_memory_store_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_FAIL_EVENTS:
      g_value_set_boolean (value, SMILEY_MEMORY_STORE (object)->fail_events);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
smiley_memory_store_set_property (GObject *object, guint prop_id, const GValue *value,
                                  GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_FAIL_EVENTS:
      SMILEY_MEMORY_STORE (object)->fail_events = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
smiley_memory_store_class_init (SmileyMemoryStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = smiley_memory_store_finalize;
  object_class->get_property = smiley_memory_store_get_property;
  object_class->set_property = smiley_memory_store_set_property;

  properties[PROP_FAIL_EVENTS] = g_param_spec_boolean ("fail-events", NULL, NULL, FALSE,
                                                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
smiley_memory_store_init (SmileyMemoryStore *self)
{
  self->runs = g_ptr_array_new_with_free_func (stored_run_free);
}

SmileyMemoryStore *
smiley_memory_store_new (void)
{
  return g_object_new (SMILEY_TYPE_MEMORY_STORE, NULL);
}
