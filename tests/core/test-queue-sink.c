/* test-queue-sink.c: SmileyQueueSink hands batches to a sink on its own
 * thread without losing events, order, tables or failures
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include <smiley.h>

#include "smiley-queue-sink.h"

/* ---- a target that checks what it is given ------------------------------ */

#define TEST_TYPE_CHECKING_SINK (test_checking_sink_get_type ())
G_DECLARE_FINAL_TYPE (TestCheckingSink, test_checking_sink, TEST, CHECKING_SINK, GObject)

struct _TestCheckingSink
{
  GObject parent_instance;

  GThread   *producer; /* pushes must come from another thread */
  guint      push_delay_us;
  guint      fail_at_push; /* 1-based; 0 never */
  guint      n_pushes;
  guint64    n_events;
  guint64    next_line;  /* events carry line = their index in the run */
  gboolean   all_named;  /* every event's file and thread were defined */
  gboolean   off_thread; /* every push ran off the producer's thread */
  gboolean   ended;
  SmileyRun *end_run;     /* the run end_run() was given */
  char      *thread_name; /* thread 1's name at the last push */
  guint      n_sources;
};

static gboolean
checking_begin_run (SmileySink *sink, SmileyRun *run, GError **error)
{
  return TRUE;
}

static gboolean
checking_push (SmileySink *sink, SmileyRun *run, SmileyBatch *batch, GError **error)
{
  TestCheckingSink *self = TEST_CHECKING_SINK (sink);

  self->n_pushes++;
  if (self->n_pushes == self->fail_at_push)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, "disk full at push %u", self->n_pushes);
      return FALSE;
    }
  if (g_thread_self () == self->producer)
    self->off_thread = FALSE;
  if (self->push_delay_us > 0)
    g_usleep (self->push_delay_us);

  for (guint i = 0; i < smiley_batch_get_length (batch); i++)
    {
      const SmileyEvent *event = smiley_batch_get_event (batch, i);

      if (smiley_run_get_string (run, event->file) == NULL
          || smiley_run_get_thread (run, event->thread) == NULL)
        self->all_named = FALSE;
      if (event->line != self->next_line)
        self->next_line = G_MAXUINT64; /* out of order: never matches again */
      else
        self->next_line++;
      self->n_events++;
    }
  g_free (self->thread_name);
  self->thread_name = g_strdup (smiley_run_get_thread (run, 1)->name);
  self->n_sources = smiley_run_get_n_sources (run);
  return TRUE;
}

static gboolean
checking_end_run (SmileySink *sink, SmileyRun *run, GError **error)
{
  TestCheckingSink *self = TEST_CHECKING_SINK (sink);

  self->ended = TRUE;
  g_set_object (&self->end_run, run);
  return TRUE;
}

static void
checking_iface_init (SmileySinkInterface *iface)
{
  iface->begin_run = checking_begin_run;
  iface->push = checking_push;
  iface->end_run = checking_end_run;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (TestCheckingSink, test_checking_sink, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SMILEY_TYPE_SINK, checking_iface_init))

static void
test_checking_sink_finalize (GObject *object)
{
  TestCheckingSink *self = TEST_CHECKING_SINK (object);

  g_clear_object (&self->end_run);
  g_free (self->thread_name);
  G_OBJECT_CLASS (test_checking_sink_parent_class)->finalize (object);
}

static void
test_checking_sink_class_init (TestCheckingSinkClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_checking_sink_finalize;
}

static void
test_checking_sink_init (TestCheckingSink *self)
{
  self->producer = g_thread_self ();
  self->all_named = TRUE;
  self->off_thread = TRUE;
}

/* ---- helpers -------------------------------------------------------------- */

/* A batch of @n events, each in a file defined just now (so a target that
 * saw an old copy of the run's strings would miss it). */
static SmileyBatch *
make_batch (SmileyRun *run, guint n, guint64 *line)
{
  SmileyBatch *batch = smiley_batch_new ();

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *file = g_strdup_printf ("file-%" G_GUINT64_FORMAT ".py", *line);
      SmileyEvent      event = { 0 };

      event.kind = SMILEY_EVENT_LINE;
      event.thread = 1;
      event.file = smiley_run_intern (run, file);
      event.function = smiley_run_intern (run, "f");
      event.line = (guint32)(*line)++;
      smiley_batch_add (batch, &event);
    }
  return batch;
}

static SmileyRun *
make_run (void)
{
  SmileyRun *run = smiley_run_new ("queued");

  smiley_run_set_description (run, "prog.py");
  smiley_run_set_thread (run, 1, 42, 4242, "MainThread");
  return run;
}

/* ---- tests ---------------------------------------------------------------- */

/* Everything arrives, in order, off the producer's thread, with every
 * string, thread rename and source added between batches; the end data
 * and statistics reach the target's end_run. */
static void
test_delivers_in_order (void)
{
  g_autoptr (TestCheckingSink) target = g_object_new (TEST_TYPE_CHECKING_SINK, NULL);
  g_autoptr (SmileySink) queue = smiley_queue_sink_new (SMILEY_SINK (target), 64 * 1024);
  g_autoptr (SmileyRun) run = make_run ();
  g_autoptr (SmileyStats) stats = smiley_stats_new ();
  g_autoptr (GError) error = NULL;
  guint64 line = 0;

  g_assert_true (smiley_sink_begin_run (queue, run, &error));
  for (guint b = 0; b < 200; b++)
    {
      g_autoptr (SmileyBatch) batch = make_batch (run, 1 + b % 50, &line);

      if (b == 100)
        {
          g_autoptr (GBytes) content = g_bytes_new_static ("print()\n", 8);

          smiley_run_set_thread (run, 1, 42, 4242, "renamed");
          smiley_run_add_source (run, 1, content);
        }
      g_assert_true (smiley_sink_push (queue, run, batch, &error));
    }
  smiley_run_set_end_time (run, 1234);
  smiley_run_set_state (run, SMILEY_RUN_FINISHED);
  smiley_run_set_exit_status (run, 3);
  smiley_run_set_error (run, "SystemExit: 3");
  smiley_run_set_events_emitted (run, line);
  smiley_run_set_stats (run, stats);
  g_assert_true (smiley_sink_end_run (queue, run, &error));
  g_assert_no_error (error);

  g_assert_cmpuint (target->n_events, ==, line);
  g_assert_cmpuint (target->next_line, ==, line);
  g_assert_true (target->all_named);
  g_assert_true (target->off_thread);
  g_assert_cmpstr (target->thread_name, ==, "renamed");
  g_assert_cmpuint (target->n_sources, ==, 1);
  g_assert_true (target->ended);
  g_assert_true (target->end_run != run);
  g_assert_cmpstr (smiley_run_get_id (target->end_run), ==, "queued");
  g_assert_cmpstr (smiley_run_get_description (target->end_run), ==, "prog.py");
  g_assert_cmpint (smiley_run_get_end_time (target->end_run), ==, 1234);
  g_assert_cmpint (smiley_run_get_state (target->end_run), ==, SMILEY_RUN_FINISHED);
  g_assert_cmpint (smiley_run_get_exit_status (target->end_run), ==, 3);
  g_assert_cmpstr (smiley_run_get_error (target->end_run), ==, "SystemExit: 3");
  g_assert_cmpuint (smiley_run_get_events_emitted (target->end_run), ==, line);
  g_assert_true (smiley_run_get_stats (target->end_run) == stats);
  g_assert_cmpuint (smiley_run_get_n_strings (target->end_run), ==, smiley_run_get_n_strings (run));
}

/* A slow target holds the producer back: what waits in the queue stays
 * within the limit (one batch may exceed it alone). */
static void
test_backpressure (void)
{
  g_autoptr (TestCheckingSink) target = g_object_new (TEST_TYPE_CHECKING_SINK, NULL);
  g_autoptr (SmileyRun) run = make_run ();
  g_autoptr (SmileyRun) probe_run = smiley_run_new ("probe");
  g_autoptr (SmileyBatch) probe = NULL;
  g_autoptr (SmileySink) queue = NULL;
  g_autoptr (GError) error = NULL;
  guint64 line = 0, probe_line = 0;
  gsize   batch_size;
  guint   max_ahead = 0;

  probe = make_batch (probe_run, 100, &probe_line);
  batch_size = smiley_batch_get_size (probe);
  /* Room for three batches. */
  queue = smiley_queue_sink_new (SMILEY_SINK (target), 3 * batch_size + batch_size / 2);
  target->push_delay_us = 2000;

  g_assert_true (smiley_sink_begin_run (queue, run, &error));
  for (guint b = 0; b < 40; b++)
    {
      g_autoptr (SmileyBatch) batch = make_batch (run, 100, &line);

      g_assert_true (smiley_sink_push (queue, run, batch, &error));
      /* Pushed so far minus taken (a racy read, but it only grows while
       * the worker sleeps in the target). */
      max_ahead = MAX (max_ahead, b + 1 - g_atomic_int_get (&target->n_pushes));
    }
  g_assert_true (smiley_sink_end_run (queue, run, &error));
  g_assert_cmpuint (target->n_events, ==, 4000);
  /* Three queued plus the one being pushed (and one counted late). */
  g_assert_cmpuint (max_ahead, <=, 5);
  g_assert_cmpuint (max_ahead, >=, 2);
}

/* A failed push comes back from a later call; the run is not ended on
 * the target (it would be recorded as complete), and nothing after the
 * failure is pushed. */
static void
test_failure (void)
{
  g_autoptr (TestCheckingSink) target = g_object_new (TEST_TYPE_CHECKING_SINK, NULL);
  g_autoptr (SmileySink) queue = smiley_queue_sink_new (SMILEY_SINK (target), 1024 * 1024);
  g_autoptr (SmileyRun) run = make_run ();
  g_autoptr (GError) error = NULL;
  gboolean failed = FALSE;
  guint64  line = 0;

  target->fail_at_push = 3;
  g_assert_true (smiley_sink_begin_run (queue, run, &error));
  for (guint b = 0; b < 20 && !failed; b++)
    {
      g_autoptr (SmileyBatch) batch = make_batch (run, 10, &line);

      failed = !smiley_sink_push (queue, run, batch, &error);
      if (!failed)
        g_usleep (1000);
    }
  if (failed)
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
  g_clear_error (&error);

  g_assert_false (smiley_sink_end_run (queue, run, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
  g_assert_cmpstr (error->message, ==, "disk full at push 3");
  g_assert_false (target->ended);
  g_assert_cmpuint (target->n_pushes, ==, 3);
  g_assert_cmpuint (target->n_events, ==, 20);
  g_clear_error (&error);

  /* And flush says so too. */
  g_assert_false (smiley_sink_flush (queue, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
}

/* Dropping the queue pushes what was still queued before its thread
 * stops. */
static void
test_dispose_drains (void)
{
  g_autoptr (TestCheckingSink) target = g_object_new (TEST_TYPE_CHECKING_SINK, NULL);
  g_autoptr (SmileyRun) run = make_run ();
  g_autoptr (GError) error = NULL;
  SmileySink *queue = smiley_queue_sink_new (SMILEY_SINK (target), 16 * 1024 * 1024);
  guint64     line = 0;

  target->push_delay_us = 1000;
  g_assert_true (smiley_sink_begin_run (queue, run, &error));
  for (guint b = 0; b < 10; b++)
    {
      g_autoptr (SmileyBatch) batch = make_batch (run, 10, &line);

      g_assert_true (smiley_sink_push (queue, run, batch, &error));
    }
  g_object_unref (queue);
  g_assert_cmpuint (target->n_events, ==, 100);
  g_assert_false (target->ended);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/smiley/queue-sink/in-order", test_delivers_in_order);
  g_test_add_func ("/smiley/queue-sink/backpressure", test_backpressure);
  g_test_add_func ("/smiley/queue-sink/failure", test_failure);
  g_test_add_func ("/smiley/queue-sink/dispose-drains", test_dispose_drains);
  return g_test_run ();
}
