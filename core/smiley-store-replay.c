/* smiley-store-replay.c: the built-in "replay" source
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include "smiley.h"
#include "smiley-store-replay.h"

/* Replaying feeds a sink exactly what it would have seen live (begin_run,
 * batches in order, end_run), so the console sink prints the same bytes
 * for `smiley replay` as it did for `smiley monitor`. */

#define REPLAY_PAGE_SIZE 4096

struct _SmileyStoreReplay
{
  GObject parent_instance;

  SmileyStore *store;
  char        *run_id;
};

enum
{
  PROP_0,
  PROP_STORE,
  PROP_RUN_ID,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void smiley_store_replay_source_iface_init (SmileySourceInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SmileyStoreReplay, smiley_store_replay, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SMILEY_TYPE_SOURCE,
                                                      smiley_store_replay_source_iface_init))

static gboolean
smiley_store_replay_run (SmileySource *source, SmileySink *sink, GCancellable *cancellable,
                         GError **error)
{
  SmileyStoreReplay *self = SMILEY_STORE_REPLAY (source);
  g_autoptr (SmileyRun) run = NULL;
  guint64 offset = 0;

  if (self->store == NULL || self->run_id == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "replay needs a store and a run id");
      return FALSE;
    }

  run = smiley_store_find_run (self->store, self->run_id, error);
  if (run == NULL)
    return FALSE;

  if (!smiley_sink_begin_run (sink, run, error))
    return FALSE;

  for (;;)
    {
      g_autoptr (SmileyBatch) batch = NULL;
      guint length;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;

      batch = smiley_store_get_events (self->store, run, -1, offset, REPLAY_PAGE_SIZE, error);
      if (batch == NULL)
        return FALSE;

      length = smiley_batch_get_length (batch);
      if (length == 0)
        break;

      if (!smiley_sink_push (sink, run, batch, error))
        return FALSE;

      offset += length;
    }

  return smiley_sink_end_run (sink, run, error);
}

static void
smiley_store_replay_source_iface_init (SmileySourceInterface *iface)
{
  iface->run = smiley_store_replay_run;
}

static void
smiley_store_replay_finalize (GObject *object)
{
  SmileyStoreReplay *self = SMILEY_STORE_REPLAY (object);

  g_clear_object (&self->store);
  g_clear_pointer (&self->run_id, g_free);

  G_OBJECT_CLASS (smiley_store_replay_parent_class)->finalize (object);
}

static void
smiley_store_replay_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SmileyStoreReplay *self = SMILEY_STORE_REPLAY (object);

  switch (prop_id)
    {
    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;
    case PROP_RUN_ID:
      g_value_set_string (value, self->run_id);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
smiley_store_replay_set_property (GObject *object, guint prop_id, const GValue *value,
                                  GParamSpec *pspec)
{
  SmileyStoreReplay *self = SMILEY_STORE_REPLAY (object);

  switch (prop_id)
    {
    case PROP_STORE:
      g_set_object (&self->store, g_value_get_object (value));
      break;
    case PROP_RUN_ID:
      g_free (self->run_id);
      self->run_id = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
smiley_store_replay_class_init (SmileyStoreReplayClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = smiley_store_replay_finalize;
  object_class->get_property = smiley_store_replay_get_property;
  object_class->set_property = smiley_store_replay_set_property;

  properties[PROP_STORE] = g_param_spec_object ("store", NULL, NULL, SMILEY_TYPE_STORE,
                                                G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_RUN_ID] = g_param_spec_string ("run-id", NULL, NULL, NULL,
                                                 G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
smiley_store_replay_init (SmileyStoreReplay *self)
{
}

/**
 * smiley_store_replay_new:
 * @store: the store to read from
 * @run_id: a full run id or a unique prefix of one
 *
 * Returns: (transfer full): a source that replays the run into a sink
 */
SmileyStoreReplay *
smiley_store_replay_new (SmileyStore *store, const char *run_id)
{
  return g_object_new (SMILEY_TYPE_STORE_REPLAY, "store", store, "run-id", run_id, NULL);
}
