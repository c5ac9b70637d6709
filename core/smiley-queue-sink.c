/* smiley-queue-sink.c: hands batches to another sink on a thread of its own
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include "smiley-queue-sink.h"

/**
 * SmileyQueueSink:
 *
 * Puts a thread between a source and a slow sink, so that decoding the
 * next events (the socket listener of `smiley record`, the tracer's ring
 * reader of `smiley run --local`) overlaps with storing the previous ones
 * instead of waiting for it.
 *
 * Batches are queued, up to a number of bytes; past that, push() waits,
 * so back-pressure still reaches the program and nothing is dropped.
 * begin_run(), end_run() and flush() wait until the queue is empty and
 * then call the target directly, so when end_run() returns, every event
 * of the run was taken by the target (the listener's ACK keeps its
 * meaning).
 *
 * A run's tables (strings, threads, sources) grow on the source's thread
 * while the target reads them on the worker's, so the target is given a
 * mirror of each run instead: the additions since the last batch travel
 * with each batch and are applied to the mirror just before it is pushed.
 *
 * The first failure of a queued push is returned by the next call of any
 * kind, and the target is not asked to end a run whose events it failed
 * to take: a run cut short is not recorded as complete.
 */

typedef struct
{
  guint32 pid;
  guint64 native_id;
  char   *name;
} SentThread;

/* What a source run gained since it was last copied to its mirror. */
typedef struct
{
  guint32    first_string;
  GPtrArray *strings; /* char*, ids from first_string on; or NULL */
  GPtrArray *threads; /* SmileyThread*, copies; or NULL */
  GArray    *sources; /* Source; or NULL */
} TableDelta;

typedef struct
{
  guint32 file;
  GBytes *content;
} Source;

/* The producer's record of one run: its mirror and how much of the
 * source run was copied to it. */
typedef struct
{
  SmileyRun *run;
  guint32    n_strings;
  GArray    *threads; /* SentThread, index id - 1 */
  guint      n_sources;
} Mirror;

typedef struct
{
  SmileyRun   *run; /* the mirror */
  SmileyBatch *batch;
  TableDelta   delta;
  gsize        size;
} Op;

struct _SmileyQueueSink
{
  GObject parent_instance;

  SmileySink *target;
  gsize       max_queued_bytes;
  GHashTable *mirrors; /* source run → Mirror*; the producer's */

  GMutex   lock;
  GCond    changed;
  GQueue   ops; /* Op*, oldest first */
  gsize    queued_bytes;
  gboolean busy; /* the worker is pushing an op */
  gboolean stopping;
  GError  *error; /* the first failed push */
  GThread *worker;
};

static void smiley_queue_sink_iface_init (SmileySinkInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SmileyQueueSink, smiley_queue_sink, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SMILEY_TYPE_SINK,
                                                      smiley_queue_sink_iface_init))

static void
sent_thread_clear (gpointer data)
{
  SentThread *sent = data;

  g_free (sent->name);
}

static void
source_clear (gpointer data)
{
  Source *source = data;

  g_bytes_unref (source->content);
}

static void
thread_copy_free (gpointer data)
{
  SmileyThread *thread = data;

  g_free (thread->name);
  g_free (thread);
}

static void
mirror_free (gpointer data)
{
  Mirror *mirror = data;

  g_object_unref (mirror->run);
  g_array_unref (mirror->threads);
  g_free (mirror);
}

static void
table_delta_clear (TableDelta *delta)
{
  g_clear_pointer (&delta->strings, g_ptr_array_unref);
  g_clear_pointer (&delta->threads, g_ptr_array_unref);
  g_clear_pointer (&delta->sources, g_array_unref);
}

static void
op_free (Op *op)
{
  g_object_unref (op->run);
  smiley_batch_unref (op->batch);
  table_delta_clear (&op->delta);
  g_free (op);
}

/* Copies what @from gained since the last call (runs on the producer). */
static void
collect_delta (Mirror *mirror, SmileyRun *from, TableDelta *delta)
{
  guint32 n_strings = smiley_run_get_n_strings (from);
  guint32 n_threads = smiley_run_get_n_threads (from);
  guint   n_sources = smiley_run_get_n_sources (from);

  delta->first_string = mirror->n_strings;
  if (n_strings > mirror->n_strings)
    {
      delta->strings = g_ptr_array_new_full (n_strings - mirror->n_strings, g_free);
      for (guint32 id = mirror->n_strings; id < n_strings; id++)
        g_ptr_array_add (delta->strings, g_strdup (smiley_run_get_string (from, id)));
      mirror->n_strings = n_strings;
    }

  for (guint32 id = 1; id <= n_threads; id++)
    {
      const SmileyThread *thread = smiley_run_get_thread (from, id);
      SmileyThread       *copy;
      SentThread         *sent;

      if (thread == NULL)
        continue;
      if (id > mirror->threads->len)
        g_array_set_size (mirror->threads, id);
      sent = &g_array_index (mirror->threads, SentThread, id - 1);
      if (sent->name != NULL && sent->pid == thread->pid && sent->native_id == thread->native_id
          && g_str_equal (sent->name, thread->name))
        continue;
      sent->pid = thread->pid;
      sent->native_id = thread->native_id;
      g_free (sent->name);
      sent->name = g_strdup (thread->name);

      copy = g_new (SmileyThread, 1);
      *copy = *thread;
      copy->name = g_strdup (thread->name);
      if (delta->threads == NULL)
        delta->threads = g_ptr_array_new_with_free_func (thread_copy_free);
      g_ptr_array_add (delta->threads, copy);
    }

  if (n_sources > mirror->n_sources)
    {
      delta->sources
          = g_array_sized_new (FALSE, FALSE, sizeof (Source), n_sources - mirror->n_sources);
      g_array_set_clear_func (delta->sources, source_clear);
      for (guint i = mirror->n_sources; i < n_sources; i++)
        {
          Source source;

          source.content = g_bytes_ref (smiley_run_get_source (from, i, &source.file));
          g_array_append_val (delta->sources, source);
        }
      mirror->n_sources = n_sources;
    }
}

/* Applies a delta to the mirror, on whichever thread is about to give
 * the mirror to the target. */
static void
apply_delta (SmileyRun *mirror, const TableDelta *delta)
{
  for (guint i = 0; delta->strings != NULL && i < delta->strings->len; i++)
    {
      /* Ids come in order from a run that had them: cannot fail. */
      if (!smiley_run_set_string (mirror, delta->first_string + i, delta->strings->pdata[i], NULL))
        g_assert_not_reached ();
    }
  for (guint i = 0; delta->threads != NULL && i < delta->threads->len; i++)
    {
      const SmileyThread *thread = delta->threads->pdata[i];

      smiley_run_set_thread (mirror, thread->id, thread->pid, thread->native_id, thread->name);
    }
  for (guint i = 0; delta->sources != NULL && i < delta->sources->len; i++)
    {
      const Source *source = &g_array_index (delta->sources, Source, i);

      smiley_run_add_source (mirror, source->file, source->content);
    }
}

static gpointer
worker_main (gpointer data)
{
  SmileyQueueSink *self = data;

  g_mutex_lock (&self->lock);
  for (;;)
    {
      Op      *op;
      GError  *error = NULL;
      gboolean ok = TRUE;

      while (g_queue_is_empty (&self->ops) && !self->stopping)
        g_cond_wait (&self->changed, &self->lock);
      op = g_queue_pop_head (&self->ops);
      if (op == NULL)
        break;
      self->busy = TRUE;

      /* After a failure the rest is dropped: the target said it cannot
       * take events, and the producer hears so at its next call. */
      if (self->error == NULL)
        {
          g_mutex_unlock (&self->lock);
          apply_delta (op->run, &op->delta);
          ok = smiley_sink_push (self->target, op->run, op->batch, &error);
          g_mutex_lock (&self->lock);
        }
      if (!ok && self->error == NULL)
        self->error = error;
      else
        g_clear_error (&error);
      self->queued_bytes -= op->size;
      self->busy = FALSE;
      g_cond_broadcast (&self->changed);
      g_mutex_unlock (&self->lock);
      op_free (op);
      g_mutex_lock (&self->lock);
    }
  g_mutex_unlock (&self->lock);
  return NULL;
}

/* Waits until the worker has pushed everything queued. Returns %FALSE
 * with the first failure, if there was one. */
static gboolean
wait_idle (SmileyQueueSink *self, GError **error)
{
  gboolean ok;

  g_mutex_lock (&self->lock);
  while (!g_queue_is_empty (&self->ops) || self->busy)
    g_cond_wait (&self->changed, &self->lock);
  ok = self->error == NULL;
  if (!ok)
    g_propagate_error (error, g_error_copy (self->error));
  g_mutex_unlock (&self->lock);
  return ok;
}

static Mirror *
lookup_mirror (SmileyQueueSink *self, SmileyRun *run, GError **error)
{
  Mirror *mirror = g_hash_table_lookup (self->mirrors, run);

  if (mirror == NULL)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "run %s has not begun",
                 smiley_run_get_id (run));
  return mirror;
}

static gboolean
smiley_queue_sink_begin_run (SmileySink *sink, SmileyRun *run, GError **error)
{
  SmileyQueueSink *self = SMILEY_QUEUE_SINK (sink);
  Mirror          *mirror;
  TableDelta       delta = { 0 };

  if (!wait_idle (self, error))
    return FALSE;
  if (g_hash_table_contains (self->mirrors, run))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "run %s has already begun",
                   smiley_run_get_id (run));
      return FALSE;
    }

  mirror = g_new0 (Mirror, 1);
  mirror->run = smiley_run_new (smiley_run_get_id (run));
  mirror->n_strings = 1; /* id 0, the empty string, is in every run */
  mirror->threads = g_array_new (FALSE, TRUE, sizeof (SentThread));
  g_array_set_clear_func (mirror->threads, sent_thread_clear);
  smiley_run_set_description (mirror->run, smiley_run_get_description (run));
  smiley_run_set_cwd (mirror->run, smiley_run_get_cwd (run));
  smiley_run_set_argv (mirror->run, smiley_run_get_argv (run));
  smiley_run_set_pid (mirror->run, smiley_run_get_pid (run));
  smiley_run_set_start_time (mirror->run, smiley_run_get_start_time (run));
  collect_delta (mirror, run, &delta);
  apply_delta (mirror->run, &delta);
  table_delta_clear (&delta);

  if (!smiley_sink_begin_run (self->target, mirror->run, error))
    {
      mirror_free (mirror);
      return FALSE;
    }
  g_hash_table_insert (self->mirrors, g_object_ref (run), mirror);
  return TRUE;
}

static gboolean
smiley_queue_sink_push (SmileySink *sink, SmileyRun *run, SmileyBatch *batch, GError **error)
{
  SmileyQueueSink *self = SMILEY_QUEUE_SINK (sink);
  Mirror          *mirror = lookup_mirror (self, run, error);
  Op              *op;

  if (mirror == NULL)
    return FALSE;

  op = g_new0 (Op, 1);
  op->run = g_object_ref (mirror->run);
  op->batch = smiley_batch_ref (batch);
  op->size = smiley_batch_get_size (batch);
  collect_delta (mirror, run, &op->delta);

  g_mutex_lock (&self->lock);
  /* One op always fits, however large, so a huge batch cannot wait for
   * room that never comes. */
  while (self->error == NULL && self->queued_bytes > 0
         && self->queued_bytes + op->size > self->max_queued_bytes)
    g_cond_wait (&self->changed, &self->lock);
  if (self->error != NULL)
    {
      g_propagate_error (error, g_error_copy (self->error));
      g_mutex_unlock (&self->lock);
      op_free (op);
      return FALSE;
    }
  g_queue_push_tail (&self->ops, op);
  self->queued_bytes += op->size;
  g_cond_broadcast (&self->changed);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static gboolean
smiley_queue_sink_end_run (SmileySink *sink, SmileyRun *run, GError **error)
{
  SmileyQueueSink *self = SMILEY_QUEUE_SINK (sink);
  Mirror          *mirror = lookup_mirror (self, run, error);
  SmileyRun       *copy;
  TableDelta       delta = { 0 };
  gboolean         ok;

  if (mirror == NULL)
    return FALSE;
  if (!wait_idle (self, error))
    {
      g_hash_table_remove (self->mirrors, run);
      return FALSE;
    }

  copy = mirror->run;
  collect_delta (mirror, run, &delta);
  apply_delta (copy, &delta);
  table_delta_clear (&delta);
  smiley_run_set_end_time (copy, smiley_run_get_end_time (run));
  smiley_run_set_state (copy, smiley_run_get_state (run));
  smiley_run_set_exit_status (copy, smiley_run_get_exit_status (run));
  smiley_run_set_signal (copy, smiley_run_get_signal (run));
  smiley_run_set_error (copy, smiley_run_get_error (run));
  smiley_run_set_traceback (copy, smiley_run_get_traceback (run));
  smiley_run_set_events_emitted (copy, smiley_run_get_events_emitted (run));
  smiley_run_set_stats (copy, smiley_run_get_stats (run));

  ok = smiley_sink_end_run (self->target, copy, error);
  g_hash_table_remove (self->mirrors, run);
  return ok;
}

static gboolean
smiley_queue_sink_flush (SmileySink *sink, GError **error)
{
  SmileyQueueSink *self = SMILEY_QUEUE_SINK (sink);

  return wait_idle (self, error) && smiley_sink_flush (self->target, error);
}

static void
smiley_queue_sink_iface_init (SmileySinkInterface *iface)
{
  iface->begin_run = smiley_queue_sink_begin_run;
  iface->push = smiley_queue_sink_push;
  iface->end_run = smiley_queue_sink_end_run;
  iface->flush = smiley_queue_sink_flush;
}

static void
smiley_queue_sink_dispose (GObject *object)
{
  SmileyQueueSink *self = SMILEY_QUEUE_SINK (object);

  /* What was queued is still pushed before the worker stops. */
  if (self->worker != NULL)
    {
      g_mutex_lock (&self->lock);
      self->stopping = TRUE;
      g_cond_broadcast (&self->changed);
      g_mutex_unlock (&self->lock);
      g_thread_join (g_steal_pointer (&self->worker));
    }
  g_clear_pointer (&self->mirrors, g_hash_table_unref);
  g_clear_object (&self->target);

  G_OBJECT_CLASS (smiley_queue_sink_parent_class)->dispose (object);
}

static void
smiley_queue_sink_finalize (GObject *object)
{
  SmileyQueueSink *self = SMILEY_QUEUE_SINK (object);

  g_clear_error (&self->error);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->changed);

  G_OBJECT_CLASS (smiley_queue_sink_parent_class)->finalize (object);
}

static void
smiley_queue_sink_class_init (SmileyQueueSinkClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = smiley_queue_sink_dispose;
  object_class->finalize = smiley_queue_sink_finalize;
}

static void
smiley_queue_sink_init (SmileyQueueSink *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->changed);
  g_queue_init (&self->ops);
  self->mirrors
      = g_hash_table_new_full (g_direct_hash, g_direct_equal, g_object_unref, mirror_free);
}

/**
 * smiley_queue_sink_new:
 * @target: the sink to hand the events to
 * @max_queued_bytes: how much decoded events may wait for @target
 *   (smiley_batch_get_size()) before push() waits
 *
 * Returns: (transfer full): a sink that pushes to @target from a thread
 *   of its own
 */
SmileySink *
smiley_queue_sink_new (SmileySink *target, gsize max_queued_bytes)
{
  SmileyQueueSink *self;

  g_return_val_if_fail (SMILEY_IS_SINK (target), NULL);
  g_return_val_if_fail (max_queued_bytes > 0, NULL);

  self = g_object_new (SMILEY_TYPE_QUEUE_SINK, NULL);
  self->target = g_object_ref (target);
  self->max_queued_bytes = max_queued_bytes;
  self->worker = g_thread_new ("smiley-queue-sink", worker_main, self);
  return SMILEY_SINK (self);
}
