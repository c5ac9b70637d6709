/* test-socket.c: the socket sink and listener source, end to end in-process
 *
 * SPDX-License-Identifier: Apache-2.0
 *
 * Every test starts a real listener (SmileySocketSource) on a temporary
 * Unix socket or on tcp://127.0.0.1:0, runs it on a thread of its own as
 * `smiley monitor` would, and publishes to it with real SmileySocketSinks
 * or raw sockets. What arrives is recorded by TestRecordingSink and
 * compared field by field with what was sent.
 */
/* memfd_create() and its seals, for the rings the tests hand over */
#define _GNU_SOURCE 1

#include "smiley-build-config.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gunixfdmessage.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>

#include <smiley.h>
#include <smiley-wire.h>

#include "smiley-ring-consumer.h"
#include "smiley-socket-private.h"
#include "smiley-socket-sink.h"
#include "smiley-socket-source.h"

#define WAIT_SECONDS 30

/* TestRecordingSink {{{1 */

typedef struct
{
  SmileyRun     *run;
  GPtrArray     *batches; /* SmileyBatch*, as pushed */
  guint          n_begin;
  guint          n_end;
  guint64        n_events;
  SmileyRunState end_state;
  char          *end_error;
} RecordedRun;

#define TEST_TYPE_RECORDING_SINK (test_recording_sink_get_type ())
G_DECLARE_FINAL_TYPE (TestRecordingSink, test_recording_sink, TEST, RECORDING_SINK, GObject)

struct _TestRecordingSink
{
  GObject    parent_instance;
  GMutex     lock;
  GCond      cond;
  GPtrArray *runs;   /* RecordedRun*, in begin order */
  GThread   *thread; /* the one thread the sink was called from */
  gboolean   wrong_thread;
  guint      push_delay_us; /* per thousand events pushed */
  gboolean   keep_batches;
  guint64    n_events; /* over all runs */
  guint      n_ended;
  gint       fail_after_pushes; /* < 0: never */
  char      *refuse_run_id;     /* begin_run of this id fails */
  gboolean   hold_begin;        /* begin_run waits until it is cleared */
  guint      n_holding;         /* begin_run calls waiting so */
};

static void test_recording_sink_iface_init (SmileySinkInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TestRecordingSink, test_recording_sink, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SMILEY_TYPE_SINK,
                                                      test_recording_sink_iface_init))

static void
recorded_run_free (gpointer data)
{
  RecordedRun *recorded = data;

  g_object_unref (recorded->run);
  g_ptr_array_unref (recorded->batches);
  g_free (recorded->end_error);
  g_free (recorded);
}

static void
check_thread (TestRecordingSink *self)
{
  if (self->thread == NULL)
    self->thread = g_thread_self ();
  else if (self->thread != g_thread_self ())
    self->wrong_thread = TRUE;
}

static RecordedRun *
find_recorded (TestRecordingSink *self, SmileyRun *run)
{
  for (guint i = 0; i < self->runs->len; i++)
    {
      RecordedRun *recorded = self->runs->pdata[i];

      if (recorded->run == run)
        return recorded;
    }
  return NULL;
}

static gboolean
test_recording_sink_begin_run (SmileySink *sink, SmileyRun *run, GError **error)
{
  TestRecordingSink *self = TEST_RECORDING_SINK (sink);
  RecordedRun       *recorded;

  g_mutex_lock (&self->lock);
  check_thread (self);
  /* Keeps the listener's thread busy while a test arranges what it will
   * find once it goes on. */
  self->n_holding++;
  g_cond_broadcast (&self->cond);
  while (self->hold_begin)
    g_cond_wait (&self->cond, &self->lock);
  self->n_holding--;
  if (g_strcmp0 (self->refuse_run_id, smiley_run_get_id (run)) == 0)
    {
      g_mutex_unlock (&self->lock);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "a run with id %s is already stored",
                   smiley_run_get_id (run));
      return FALSE;
    }
  recorded = find_recorded (self, run);
  if (recorded == NULL)
    {
      recorded = g_new0 (RecordedRun, 1);
      recorded->run = g_object_ref (run);
      recorded->batches = g_ptr_array_new_with_free_func ((GDestroyNotify)smiley_batch_unref);
      g_ptr_array_add (self->runs, recorded);
    }
  recorded->n_begin++;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static gboolean
test_recording_sink_push (SmileySink *sink, SmileyRun *run, SmileyBatch *batch, GError **error)
{
  TestRecordingSink *self = TEST_RECORDING_SINK (sink);
  RecordedRun       *recorded;

  /* Per event, not per push: the listener merges frames into batches of
   * its own size. */
  if (self->push_delay_us > 0)
    g_usleep ((guint64)self->push_delay_us * smiley_batch_get_length (batch) / 1000);

  g_mutex_lock (&self->lock);
  check_thread (self);
  if (self->fail_after_pushes == 0)
    {
      g_mutex_unlock (&self->lock);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, "test store is full");
      return FALSE;
    }
  if (self->fail_after_pushes > 0)
    self->fail_after_pushes--;
  recorded = find_recorded (self, run);
  if (recorded == NULL)
    g_error ("run %s was not begun on the sink", smiley_run_get_id (run));
  if (self->keep_batches)
    g_ptr_array_add (recorded->batches, smiley_batch_ref (batch));
  recorded->n_events += smiley_batch_get_length (batch);
  self->n_events += smiley_batch_get_length (batch);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static gboolean
test_recording_sink_end_run (SmileySink *sink, SmileyRun *run, GError **error)
{
  TestRecordingSink *self = TEST_RECORDING_SINK (sink);
  RecordedRun       *recorded;

  g_mutex_lock (&self->lock);
  check_thread (self);
  if (g_strcmp0 (self->refuse_run_id, smiley_run_get_id (run)) == 0)
    {
      g_mutex_unlock (&self->lock);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "a run with id %s is already stored",
                   smiley_run_get_id (run));
      return FALSE;
    }
  recorded = find_recorded (self, run);
  if (recorded == NULL)
    g_error ("run %s was not begun on the sink", smiley_run_get_id (run));
  recorded->n_end++;
  recorded->end_state = smiley_run_get_state (run);
  g_free (recorded->end_error);
  recorded->end_error = g_strdup (smiley_run_get_error (run));
  self->n_ended++;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static void
test_recording_sink_iface_init (SmileySinkInterface *iface)
{
  iface->begin_run = test_recording_sink_begin_run;
  iface->push = test_recording_sink_push;
  iface->end_run = test_recording_sink_end_run;
}

static void
test_recording_sink_finalize (GObject *object)
{
  TestRecordingSink *self = TEST_RECORDING_SINK (object);

  g_ptr_array_unref (self->runs);
  g_free (self->refuse_run_id);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (test_recording_sink_parent_class)->finalize (object);
}

static void
test_recording_sink_class_init (TestRecordingSinkClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_recording_sink_finalize;
}

static void
test_recording_sink_init (TestRecordingSink *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->runs = g_ptr_array_new_with_free_func (recorded_run_free);
  self->keep_batches = TRUE;
  self->fail_after_pushes = -1;
}

/* Waits until @n_ended runs ended on the sink. */
static void
recording_sink_wait_ended (TestRecordingSink *self, guint n_ended)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_SECONDS * G_TIME_SPAN_SECOND;

  g_mutex_lock (&self->lock);
  while (self->n_ended < n_ended)
    if (!g_cond_wait_until (&self->cond, &self->lock, deadline))
      break;
  g_assert_cmpuint (self->n_ended, >=, n_ended);
  g_mutex_unlock (&self->lock);
}

static guint64
recording_sink_get_n_events (TestRecordingSink *self)
{
  guint64 n;

  g_mutex_lock (&self->lock);
  n = self->n_events;
  g_mutex_unlock (&self->lock);
  return n;
}

/* A listener on its own thread {{{1 */

typedef struct
{
  SmileySocketSource *source;
  TestRecordingSink  *sink;
  GCancellable       *cancellable;
  GThread            *thread;
  gboolean            ok;
  GError             *error;
  char               *endpoint; /* bound-endpoint */
  GMutex              lock;
  GPtrArray          *disconnects; /* reasons */
} Listener;

static gpointer
listener_thread (gpointer data)
{
  Listener *listener = data;

  listener->ok = smiley_source_run (SMILEY_SOURCE (listener->source), SMILEY_SINK (listener->sink),
                                    listener->cancellable, &listener->error);
  return NULL;
}

static void
on_peer_disconnected (SmileySocketSource *source, const char *peer, const char *reason,
                      Listener *listener)
{
  g_mutex_lock (&listener->lock);
  g_ptr_array_add (listener->disconnects, g_strdup (reason));
  g_mutex_unlock (&listener->lock);
}

static Listener *
listener_start (const char *endpoint)
{
  Listener *listener = g_new0 (Listener, 1);
  g_autoptr (GError) error = NULL;

  g_mutex_init (&listener->lock);
  listener->disconnects = g_ptr_array_new_with_free_func (g_free);
  listener->source = g_object_new (SMILEY_TYPE_SOCKET_SOURCE, "endpoint", endpoint, NULL);
  g_signal_connect (listener->source, "peer-disconnected", G_CALLBACK (on_peer_disconnected),
                    listener);
  g_initable_init (G_INITABLE (listener->source), NULL, &error);
  g_assert_no_error (error);
  g_object_get (listener->source, "bound-endpoint", &listener->endpoint, NULL);
  g_assert_nonnull (listener->endpoint);

  listener->sink = g_object_new (TEST_TYPE_RECORDING_SINK, NULL);
  listener->cancellable = g_cancellable_new ();
  listener->thread = g_thread_new ("listener", listener_thread, listener);
  return listener;
}

/* Stops the listener and checks it stopped cleanly. */
static void
listener_stop (Listener *listener)
{
  g_cancellable_cancel (listener->cancellable);
  g_thread_join (listener->thread);
  listener->thread = NULL;
  g_assert_no_error (listener->error);
  g_assert_true (listener->ok);
  g_assert_false (listener->sink->wrong_thread);
}

static void
listener_free (Listener *listener)
{
  if (listener->thread != NULL)
    {
      g_cancellable_cancel (listener->cancellable);
      g_thread_join (listener->thread);
    }
  g_clear_error (&listener->error);
  g_object_unref (listener->source);
  g_object_unref (listener->sink);
  g_object_unref (listener->cancellable);
  g_ptr_array_unref (listener->disconnects);
  g_mutex_clear (&listener->lock);
  g_free (listener->endpoint);
  g_free (listener);
}

static gboolean
listener_has_disconnect (Listener *listener, const char *needle)
{
  gboolean found = FALSE;

  g_mutex_lock (&listener->lock);
  for (guint i = 0; i < listener->disconnects->len && !found; i++)
    found = strstr (listener->disconnects->pdata[i], needle) != NULL;
  g_mutex_unlock (&listener->lock);
  return found;
}

/* Runs and events to send {{{1 */

static char *
make_temp_dir (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("smiley-socket-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
remove_temp_dir (const char *dir)
{
  g_autoptr (GDir) handle = g_dir_open (dir, 0, NULL);
  const char *name;

  while (handle != NULL && (name = g_dir_read_name (handle)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        remove_temp_dir (path);
      else
        g_unlink (path);
    }
  g_rmdir (dir);
}

static SmileyRun *
make_run (const char *id)
{
  const char *argv[] = { "test.py", "-t", "ünïcode arg", NULL };
  SmileyRun  *run = smiley_run_new (id);
  g_autoptr (GBytes) source = g_bytes_new_static ("def f(x):\n    return x\n", 24);

  smiley_run_set_argv (run, argv);
  smiley_run_set_cwd (run, "/home/user/project");
  smiley_run_set_description (run, "test.py -t");
  smiley_run_set_pid (run, 4242);
  smiley_run_set_start_time (run, 1700000000000000);
  smiley_run_set_thread (run, 1, 4242, 4242, "MainThread");
  smiley_run_add_source (run, smiley_run_intern (run, "/home/user/project/test.py"), source);
  return run;
}

/* A batch of @n events touching new strings now and then, so string
 * frames are interleaved with event frames. */
static SmileyBatch *
make_batch (SmileyRun *run, guint n, guint seed)
{
  SmileyBatch *batch = smiley_batch_new ();
  guint32      file = smiley_run_intern (run, "/home/user/project/test.py");

  for (guint i = 0; i < n; i++)
    {
      guint            k = seed + i;
      g_autofree char *function = g_strdup_printf ("func_%u", k % 97);
      g_autofree char *value = g_strdup_printf ("[%u, 'x']", k);
      g_autofree char *arg = (k % 5 == 0) ? g_strdup_printf ("ValueError: bad %u", k) : NULL;
      SmileyLocal      locals[2] = {
             { smiley_run_intern (run, "x"), value },
             { smiley_run_intern (run, "gone"), NULL },
      };
      SmileyEvent event = {
        .kind = 1 + (k % SMILEY_EVENT_KIND_LAST),
        .thread = 1,
        .call_id = k / 3 + 1,
        .parent_call_id = k / 9,
        .depth = k % 7,
        .time_ns = (gint64)k * 1000,
        .file = file,
        .line = k % 400,
        .function = smiley_run_intern (run, function),
        .arg = arg,
        .n_locals = (k % 3 == 0) ? 2 : (k % 3 == 1 ? 1 : 0),
        .locals = locals,
      };

      smiley_batch_add (batch, &event);
    }
  return batch;
}

static void
finish_run (SmileyRun *run)
{
  g_autoptr (SmileyStats) stats = smiley_stats_new ();
  guint entry = smiley_stats_add_entry (stats, "/home/user/project/test.py", 1, "f");

  smiley_stats_get_entry (stats, entry)->ncalls = 3;
  smiley_stats_get_entry (stats, entry)->primcalls = 3;
  smiley_stats_get_entry (stats, entry)->tottime_ns = 1500;
  smiley_stats_get_entry (stats, entry)->cumtime_ns = 2500;
  smiley_run_set_stats (run, stats);
  smiley_run_set_state (run, SMILEY_RUN_FINISHED);
  smiley_run_set_exit_status (run, 0);
  smiley_run_set_end_time (run, 1700000001000000);
}

static SmileySocketSink *
publisher_new (const char *endpoint)
{
  g_autoptr (GError) error = NULL;
  SmileySocketSink *sink = g_object_new (SMILEY_TYPE_SOCKET_SINK, "endpoint", endpoint, NULL);

  g_initable_init (G_INITABLE (sink), NULL, &error);
  g_assert_no_error (error);
  return sink;
}

/* Publishes a whole run; returns the batches sent, for comparison. */
static GPtrArray *
publish_run (const char *endpoint, SmileyRun *run, guint n_batches, guint batch_size)
{
  g_autoptr (SmileySocketSink) sink = publisher_new (endpoint);
  g_autoptr (GError) error = NULL;
  GPtrArray *sent = g_ptr_array_new_with_free_func ((GDestroyNotify)smiley_batch_unref);

  g_assert_true (smiley_sink_begin_run (SMILEY_SINK (sink), run, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < n_batches; i++)
    {
      SmileyBatch *batch = make_batch (run, batch_size, i * batch_size);

      g_assert_true (smiley_sink_push (SMILEY_SINK (sink), run, batch, &error));
      g_assert_no_error (error);
      g_ptr_array_add (sent, batch);
    }
  finish_run (run);
  g_assert_true (smiley_sink_end_run (SMILEY_SINK (sink), run, &error));
  g_assert_no_error (error);
  return sent;
}

/* All events of @batches, in order, as one batch. */
static SmileyBatch *
flatten (GPtrArray *batches)
{
  SmileyBatch *all = smiley_batch_new ();

  for (guint i = 0; i < batches->len; i++)
    for (guint j = 0; j < smiley_batch_get_length (batches->pdata[i]); j++)
      smiley_batch_add (all, smiley_batch_get_event (batches->pdata[i], j));
  return all;
}

static void
assert_same_events (SmileyRun *sent_run, GPtrArray *sent, SmileyRun *got_run, GPtrArray *got)
{
  g_autoptr (SmileyBatch) a = flatten (sent);
  g_autoptr (SmileyBatch) b = flatten (got);

  g_assert_cmpuint (smiley_batch_get_length (a), ==, smiley_batch_get_length (b));
  g_assert_true (smiley_batch_equal (a, b));

  /* Equal ids only mean equal events if both string tables agree. */
  for (guint i = 0; i < smiley_batch_get_length (a); i++)
    {
      const SmileyEvent *x = smiley_batch_get_event (a, i);

      g_assert_cmpstr (smiley_run_get_string (sent_run, x->function), ==,
                       smiley_run_get_string (got_run, x->function));
      g_assert_cmpstr (smiley_run_get_string (sent_run, x->file), ==,
                       smiley_run_get_string (got_run, x->file));
    }
}

static void
assert_same_run (SmileyRun *a, SmileyRun *b)
{
  guint32 file_a, file_b;
  GBytes *source_a, *source_b;

  g_assert_cmpstr (smiley_run_get_id (a), ==, smiley_run_get_id (b));
  g_assert_cmpstrv (smiley_run_get_argv (a), smiley_run_get_argv (b));
  g_assert_cmpstr (smiley_run_get_cwd (a), ==, smiley_run_get_cwd (b));
  g_assert_cmpuint (smiley_run_get_pid (a), ==, smiley_run_get_pid (b));
  g_assert_cmpint (smiley_run_get_start_time (a), ==, smiley_run_get_start_time (b));
  g_assert_cmpint (smiley_run_get_end_time (a), ==, smiley_run_get_end_time (b));
  g_assert_cmpint (smiley_run_get_state (a), ==, smiley_run_get_state (b));
  g_assert_cmpint (smiley_run_get_exit_status (a), ==, smiley_run_get_exit_status (b));
  g_assert_cmpuint (smiley_run_get_n_strings (a), ==, smiley_run_get_n_strings (b));
  for (guint32 i = 0; i < smiley_run_get_n_strings (a); i++)
    g_assert_cmpstr (smiley_run_get_string (a, i), ==, smiley_run_get_string (b, i));
  g_assert_cmpuint (smiley_run_get_n_threads (a), ==, smiley_run_get_n_threads (b));
  g_assert_cmpstr (smiley_run_get_thread (a, 1)->name, ==, smiley_run_get_thread (b, 1)->name);
  g_assert_cmpuint (smiley_run_get_n_sources (a), ==, smiley_run_get_n_sources (b));
  source_a = smiley_run_get_source (a, 0, &file_a);
  source_b = smiley_run_get_source (b, 0, &file_b);
  g_assert_cmpuint (file_a, ==, file_b);
  g_assert_true (g_bytes_equal (source_a, source_b));
  g_assert_nonnull (smiley_run_get_stats (b));
  g_assert_cmpuint (smiley_stats_get_total_calls (smiley_run_get_stats (a)), ==,
                    smiley_stats_get_total_calls (smiley_run_get_stats (b)));
}

static RecordedRun *
listener_find_run (Listener *listener, const char *id)
{
  for (guint i = 0; i < listener->sink->runs->len; i++)
    {
      RecordedRun *recorded = listener->sink->runs->pdata[i];

      if (g_str_equal (smiley_run_get_id (recorded->run), id))
        return recorded;
    }
  return NULL;
}

/* Every test has a temporary directory of its own; most also have a
 * listener, on a Unix socket in that directory or, with data "tcp", on
 * tcp://127.0.0.1:0. */
typedef struct
{
  char     *dir;
  Listener *listener;
} Fixture;

static void
fixture_set_up_dir (Fixture *fixture, gconstpointer data)
{
  fixture->dir = make_temp_dir ();
}

static void
fixture_set_up_listener (Fixture *fixture, gconstpointer data)
{
  g_autofree char *endpoint = NULL;

  fixture_set_up_dir (fixture, data);
  if (g_strcmp0 (data, "tcp") == 0)
    endpoint = g_strdup ("tcp://127.0.0.1:0");
  else
    endpoint = g_strdup_printf ("unix:%s/s", fixture->dir);
  fixture->listener = listener_start (endpoint);
}

/* A listener the test left running must stop cleanly. */
static void
fixture_tear_down (Fixture *fixture, gconstpointer data)
{
  if (fixture->listener != NULL)
    {
      if (fixture->listener->thread != NULL)
        listener_stop (fixture->listener);
      listener_free (fixture->listener);
    }
  remove_temp_dir (fixture->dir);
  g_free (fixture->dir);
}

/* Tests {{{1 */

static void
test_endpoint_parse (void)
{
  struct
  {
    const char              *text;
    SmileySocketEndpointKind kind;
    const char              *path_or_host;
    guint16                  port;
    const char              *display;
  } good[] = {
    { "unix:/tmp/x.sock", SMILEY_SOCKET_ENDPOINT_UNIX, "/tmp/x.sock", 0, "unix:/tmp/x.sock" },
    { "unix:rel/x", SMILEY_SOCKET_ENDPOINT_UNIX, "rel/x", 0, "unix:rel/x" },
    { "tcp://127.0.0.1:0", SMILEY_SOCKET_ENDPOINT_TCP, "127.0.0.1", 0, "tcp://127.0.0.1:0" },
    { "tcp://:9000", SMILEY_SOCKET_ENDPOINT_TCP, "", 9000, "tcp://127.0.0.1:9000" },
    { "tcp://[::1]:65535", SMILEY_SOCKET_ENDPOINT_TCP, "::1", 65535, "tcp://[::1]:65535" },
    { "tcp://localhost:80", SMILEY_SOCKET_ENDPOINT_TCP, "localhost", 80, "tcp://localhost:80" },
  };
  const char *bad[] = {
    "foo",
    "unix:",
    "tcp://",
    "tcp://host",
    "tcp://host:",
    "tcp://host:65536",
    "tcp://host:-1",
    "tcp://host:12x",
    "tcp://::1:80",
    "tcp://[]:80",
    "tcp://[::1]80",
    "http://x:1",
    /* Longer than sun_path holds. */
    ("unix:/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock"),
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (SmileySocketEndpoint) endpoint
          = smiley_socket_endpoint_parse (good[i].text, &error);
      g_autofree char *display = NULL;

      g_assert_no_error (error);
      g_assert_cmpint (endpoint->kind, ==, good[i].kind);
      g_assert_cmpstr (endpoint->kind == SMILEY_SOCKET_ENDPOINT_UNIX ? endpoint->path
                                                                     : endpoint->host,
                       ==, good[i].path_or_host);
      g_assert_cmpuint (endpoint->port, ==, good[i].port);
      g_assert_false (endpoint->is_default);
      display = smiley_socket_endpoint_to_string (endpoint);
      g_assert_cmpstr (display, ==, good[i].display);
    }

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (SmileySocketEndpoint) endpoint = smiley_socket_endpoint_parse (bad[i], &error);

      g_assert_null (endpoint);
      g_assert_error (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_ENDPOINT);
      /* The message quotes what was wrong and says what is right. */
      g_assert_nonnull (strstr (error->message, bad[i]));
      g_assert_null (strchr (error->message, '\n'));
    }

  /* sun_path holds 107 bytes and the terminating NUL. */
  for (gsize length = 106; length <= 109; length++)
    {
      g_autofree char *name = g_strnfill (length - 1, 'a');
      g_autofree char *text = g_strconcat ("unix:/", name, NULL);
      g_autoptr (SmileySocketEndpoint) endpoint = smiley_socket_endpoint_parse (text, NULL);

      g_assert_true ((endpoint != NULL) == (length <= 107));
    }
}

/* Tests that change the environment run in a subprocess of their own,
 * before any thread exists: setenv() is not thread-safe. */
#define DEFINE_SUBPROCESS_TEST(name)                                                               \
  static void test_##name (void)                                                                   \
  {                                                                                                \
    if (g_test_subprocess ())                                                                      \
      {                                                                                            \
        name ();                                                                                   \
        return;                                                                                    \
      }                                                                                            \
    g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);                            \
    g_test_trap_assert_passed ();                                                                  \
  }

static void
endpoint_default (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *expected = NULL;
  g_autofree char *expected_tmp = NULL;
  g_autofree char *text = NULL;
  g_autoptr (SmileySocketEndpoint) endpoint = NULL;

  g_setenv ("XDG_RUNTIME_DIR", dir, TRUE);
  expected = g_strdup_printf ("unix:%s/smiley/smiley.sock", dir);
  text = smiley_socket_endpoint_get_default_string ();
  g_assert_cmpstr (text, ==, expected);
  endpoint = smiley_socket_endpoint_parse (NULL, NULL);
  g_assert_true (endpoint->is_default);
  g_clear_pointer (&endpoint, smiley_socket_endpoint_free);
  endpoint = smiley_socket_endpoint_parse (expected, NULL);
  g_assert_true (endpoint->is_default);

  g_unsetenv ("XDG_RUNTIME_DIR");
  g_clear_pointer (&text, g_free);
  text = smiley_socket_endpoint_get_default_string ();
  expected_tmp
      = g_strdup_printf ("unix:%s/smiley-%u/smiley.sock", g_get_tmp_dir (), (guint)getuid ());
  g_assert_cmpstr (text, ==, expected_tmp);

  remove_temp_dir (dir);
}

DEFINE_SUBPROCESS_TEST (endpoint_default)

/* With no endpoint at all, listener and publisher meet in a private
 * directory under XDG_RUNTIME_DIR. */
static void
default_listen (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *socket_dir = g_build_filename (dir, "smiley", NULL);
  g_autofree char *expected = g_strdup_printf ("unix:%s/smiley.sock", socket_dir);
  g_autoptr (SmileyRun) run = make_run (NULL);
  g_autoptr (GPtrArray) sent = NULL;
  Listener   *listener;
  struct stat st;

  g_setenv ("XDG_RUNTIME_DIR", dir, TRUE);
  listener = listener_start (NULL);
  g_assert_cmpstr (listener->endpoint, ==, expected);
  g_assert_cmpint (g_stat (socket_dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);

  sent = publish_run (NULL, run, 2, 10);
  recording_sink_wait_ended (listener->sink, 1);
  assert_same_events (run, sent, ((RecordedRun *)listener->sink->runs->pdata[0])->run,
                      ((RecordedRun *)listener->sink->runs->pdata[0])->batches);
  listener_stop (listener);
  listener_free (listener);

  /* A default directory others can enter is refused: under /tmp another
   * user could have made it. */
  g_assert_cmpint (g_chmod (socket_dir, 0755), ==, 0);
  {
    g_autoptr (SmileySocketSource) source = g_object_new (SMILEY_TYPE_SOCKET_SOURCE, NULL);
    g_autoptr (GError) error = NULL;

    g_assert_false (g_initable_init (G_INITABLE (source), NULL, &error));
    g_assert_error (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_UNSAFE);
    g_assert_nonnull (strstr (error->message, socket_dir));
  }

  remove_temp_dir (dir);
}

DEFINE_SUBPROCESS_TEST (default_listen)

static void
test_roundtrip (Fixture *fixture, gconstpointer data)
{
  Listener *listener = fixture->listener;
  g_autoptr (SmileyRun) run = make_run (NULL);
  g_autoptr (GPtrArray) sent = NULL;
  RecordedRun *got;

  /* Port 0 was replaced by the port the system chose. */
  if (g_str_equal (data, "tcp"))
    {
      g_assert_true (g_str_has_prefix (listener->endpoint, "tcp://127.0.0.1:"));
      g_assert_cmpstr (listener->endpoint, !=, "tcp://127.0.0.1:0");
    }

  sent = publish_run (listener->endpoint, run, 20, 250);

  /* end_run returned, so the listener confirmed: everything is there. */
  g_assert_cmpuint (listener->sink->n_ended, ==, 1);
  got = listener->sink->runs->pdata[0];
  g_assert_cmpuint (got->n_begin, ==, 1);
  g_assert_cmpuint (got->n_end, ==, 1);
  g_assert_cmpint (got->end_state, ==, SMILEY_RUN_FINISHED);
  assert_same_run (run, got->run);
  assert_same_events (run, sent, got->run, got->batches);
}

typedef struct
{
  const char *endpoint;
  guint       index;
  SmileyRun  *run;
  GPtrArray  *sent;
} PublisherJob;

static gpointer
publisher_thread (gpointer data)
{
  PublisherJob    *job = data;
  g_autofree char *id = g_strdup_printf ("concurrent-%u", job->index);

  job->run = make_run (id);
  job->sent = publish_run (job->endpoint, job->run, 10 + job->index, 100 + job->index * 7);
  return NULL;
}

static void
test_concurrent (Fixture *fixture, gconstpointer data)
{
  Listener    *listener = fixture->listener;
  PublisherJob jobs[12];
  GThread     *threads[G_N_ELEMENTS (jobs)];

  for (guint i = 0; i < G_N_ELEMENTS (jobs); i++)
    {
      jobs[i] = (PublisherJob){ listener->endpoint, i, NULL, NULL };
      threads[i] = g_thread_new ("publisher", publisher_thread, &jobs[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (jobs); i++)
    g_thread_join (threads[i]);

  g_assert_cmpuint (listener->sink->runs->len, ==, G_N_ELEMENTS (jobs));
  for (guint i = 0; i < G_N_ELEMENTS (jobs); i++)
    {
      RecordedRun *got = listener_find_run (listener, smiley_run_get_id (jobs[i].run));

      g_assert_nonnull (got);
      g_assert_cmpuint (got->n_end, ==, 1);
      assert_same_run (jobs[i].run, got->run);
      assert_same_events (jobs[i].run, jobs[i].sent, got->run, got->batches);
      g_object_unref (jobs[i].run);
      g_ptr_array_unref (jobs[i].sent);
    }
}

/* A publisher that goes away mid-run (SIGKILL, crash) leaves a run that
 * ended abnormally, with every event it managed to send. */
static void
test_closed_mid_run (Fixture *fixture, gconstpointer data)
{
  Listener *listener = fixture->listener;
  g_autoptr (SmileyRun) run = make_run (NULL);
  g_autoptr (SmileyRun) other = make_run (NULL);
  g_autoptr (GPtrArray) sent_other = NULL;
  SmileySocketSink *sink = publisher_new (listener->endpoint);
  g_autoptr (GError) error = NULL;
  RecordedRun *got;

  g_assert_true (smiley_sink_begin_run (SMILEY_SINK (sink), run, &error));
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr (SmileyBatch) batch = make_batch (run, 100, i * 100);

      g_assert_true (smiley_sink_push (SMILEY_SINK (sink), run, batch, &error));
    }
  g_assert_no_error (error);
  g_object_unref (sink);

  recording_sink_wait_ended (listener->sink, 1);
  got = listener_find_run (listener, smiley_run_get_id (run));
  g_assert_nonnull (got);
  g_assert_cmpint (got->end_state, ==, SMILEY_RUN_ABNORMAL);
  g_assert_cmpstr (got->end_error, ==, "connection lost");
  g_assert_cmpuint (got->n_events, ==, 300);
  g_assert_cmpint (smiley_run_get_end_time (got->run), >, 0);

  /* The listener keeps serving. */
  sent_other = publish_run (listener->endpoint, other, 2, 10);
  got = listener_find_run (listener, smiley_run_get_id (other));
  g_assert_cmpint (got->end_state, ==, SMILEY_RUN_FINISHED);
}

static GSocketConnection *
raw_connect (const char *endpoint)
{
  g_autoptr (SmileySocketEndpoint) parsed = smiley_socket_endpoint_parse (endpoint, NULL);
  g_autoptr (GSocketConnectable) connectable = smiley_socket_endpoint_get_connectable (parsed);
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GError) error = NULL;
  GSocketConnection *connection;

  g_socket_client_set_enable_proxy (client, FALSE);
  connection = g_socket_client_connect (client, connectable, NULL, &error);
  g_assert_no_error (error);
  return connection;
}

/* Sends @data and returns once the listener closed the connection. */
static void
raw_send_expect_closed (const char *endpoint, const guint8 *data, gsize length)
{
  g_autoptr (GSocketConnection) connection = raw_connect (endpoint);
  GSocket *socket = g_socket_connection_get_socket (connection);
  guint8   buffer[64];
  gssize   n;

  /* The listener may close before everything is sent; that is fine. */
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)), data, length,
                             NULL, NULL, NULL);
  /* A stream cut short waits for more until it sees the end. */
  g_socket_shutdown (socket, FALSE, TRUE, NULL);
  g_socket_set_timeout (socket, WAIT_SECONDS);
  do
    n = g_socket_receive (socket, (char *)buffer, sizeof buffer, NULL, NULL);
  while (n > 0);
  g_assert_cmpint (n, <=, 0);
}

static GBytes *
encode_run (SmileyRun *run, guint n_batches, gboolean end)
{
  g_autoptr (SmileyFrameWriter) writer = smiley_frame_writer_new ();

  smiley_frame_writer_begin_run (writer, run);
  for (guint i = 0; i < n_batches; i++)
    {
      g_autoptr (SmileyBatch) batch = make_batch (run, 50, i * 50);

      smiley_frame_writer_push (writer, run, batch);
    }
  if (end)
    {
      finish_run (run);
      smiley_frame_writer_end_run (writer, run);
    }
  return smiley_frame_writer_take_bytes (writer);
}

/* Garbage, a wrong version, an oversized frame, a run cut by garbage: each
 * connection is dropped with a reason while a good run carries on. */
static void
test_bad_peers (Fixture *fixture, gconstpointer data)
{
  Listener *listener = fixture->listener;
  g_autoptr (SmileyRun) good = make_run (NULL);
  g_autoptr (SmileyRun) cut = make_run (NULL);
  g_autoptr (SmileySocketSink) sink = publisher_new (listener->endpoint);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) cut_stream = NULL;
  g_autoptr (GByteArray) bytes = NULL;
  guint8       header[SMILEY_WIRE_STREAM_HEADER_SIZE + SMILEY_WIRE_FRAME_HEADER_SIZE];
  const char   garbage[] = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  RecordedRun *got;

  /* A good run is open on the listener all along. */
  g_assert_true (smiley_sink_begin_run (SMILEY_SINK (sink), good, &error));

  raw_send_expect_closed (listener->endpoint, (const guint8 *)garbage, sizeof garbage - 1);
  g_assert_true (listener_has_disconnect (listener, "SMLY")
                 || listener_has_disconnect (listener, "smiley"));

  /* The right magic with a version from the future. */
  smiley_wire_put_stream_header (header);
  header[4] = 99;
  raw_send_expect_closed (listener->endpoint, header, SMILEY_WIRE_STREAM_HEADER_SIZE);
  g_assert_true (listener_has_disconnect (listener, "99"));

  /* A frame header claiming more than the format allows: refused before
   * anything is buffered. */
  smiley_wire_put_stream_header (header);
  smiley_wire_put_frame_header (header + SMILEY_WIRE_STREAM_HEADER_SIZE,
                                SMILEY_WIRE_MAX_FRAME_SIZE + 1, SMILEY_WIRE_EVENTS);
  raw_send_expect_closed (listener->endpoint, header, sizeof header);
  g_assert_cmpuint (listener->disconnects->len, ==, 3);

  /* A run that began and then turned to garbage ends as abnormal. */
  cut_stream = encode_run (cut, 2, FALSE);
  bytes = g_byte_array_new ();
  g_byte_array_append (bytes, g_bytes_get_data (cut_stream, NULL), g_bytes_get_size (cut_stream));
  g_byte_array_append (bytes, (const guint8 *)"\xff\xff\xff\x00\xee\x00\x00\x00junk", 12);
  raw_send_expect_closed (listener->endpoint, bytes->data, bytes->len);
  g_assert_cmpuint (listener->disconnects->len, ==, 4);
  got = listener_find_run (listener, smiley_run_get_id (cut));
  g_assert_nonnull (got);
  g_assert_cmpuint (got->n_end, ==, 1);
  g_assert_cmpint (got->end_state, ==, SMILEY_RUN_ABNORMAL);
  g_assert_true (g_str_has_prefix (got->end_error, "protocol error: "));
  g_assert_cmpuint (got->n_events, ==, 100);

  /* Meanwhile the good run was unaffected. */
  for (guint i = 0; i < 5; i++)
    {
      g_autoptr (SmileyBatch) batch = make_batch (good, 100, i * 100);

      g_assert_true (smiley_sink_push (SMILEY_SINK (sink), good, batch, &error));
    }
  finish_run (good);
  g_assert_true (smiley_sink_end_run (SMILEY_SINK (sink), good, &error));
  g_assert_no_error (error);
  got = listener_find_run (listener, smiley_run_get_id (good));
  g_assert_cmpint (got->end_state, ==, SMILEY_RUN_FINISHED);
  g_assert_cmpuint (got->n_events, ==, 500);
}

/* The listener's read path under mutated streams: every run that began
 * ends exactly once, no crash, and a good run still gets through. */
static void
test_fuzz (Fixture *fixture, gconstpointer data)
{
  Listener *listener = fixture->listener;
  g_autoptr (SmileyRun) base = make_run ("fuzz-base");
  g_autoptr (GBytes) stream = encode_run (base, 3, TRUE);
  g_autoptr (GRand) rand = g_rand_new_with_seed (20261127);
  g_autoptr (SmileyRun) good = make_run (NULL);
  g_autoptr (GPtrArray) sent = NULL;
  gsize length = g_bytes_get_size (stream);
  guint n_cases = g_test_slow () ? 5000 : 400;

  for (guint i = 0; i < n_cases; i++)
    {
      g_autoptr (GByteArray) mutated = g_byte_array_new ();
      guint n_mutations = g_rand_int_range (rand, 1, 6);

      g_byte_array_append (mutated, g_bytes_get_data (stream, NULL), length);
      for (guint m = 0; m < n_mutations; m++)
        {
          guint at = g_rand_int_range (rand, 0, mutated->len);

          switch (g_rand_int_range (rand, 0, 4))
            {
            case 0:
              mutated->data[at] ^= 1 << g_rand_int_range (rand, 0, 8);
              break;
            case 1:
              mutated->data[at] = g_rand_int_range (rand, 0, 256);
              break;
            case 2:
              g_byte_array_set_size (mutated, at + 1);
              break;
            default:
              {
                guint8 junk[16];

                for (guint j = 0; j < sizeof junk; j++)
                  junk[j] = g_rand_int_range (rand, 0, 256);
                g_byte_array_append (mutated, junk, g_rand_int_range (rand, 1, sizeof junk));
              }
            }
        }
      raw_send_expect_closed (listener->endpoint, mutated->data, mutated->len);
    }

  sent = publish_run (listener->endpoint, good, 3, 30);

  for (guint i = 0; i < listener->sink->runs->len; i++)
    {
      RecordedRun *got = listener->sink->runs->pdata[i];

      g_assert_cmpuint (got->n_begin, ==, 1);
      g_assert_cmpuint (got->n_end, ==, 1);
    }
  g_assert_cmpint (listener_find_run (listener, smiley_run_get_id (good))->end_state, ==,
                   SMILEY_RUN_FINISHED);
  g_assert_cmpuint (listener_find_run (listener, smiley_run_get_id (good))->n_events, ==, 90);
  g_test_message ("%u mutated streams, %u began a run, %u disconnected with a reason", n_cases,
                  listener->sink->runs->len - 1, listener->disconnects->len);
}

static void
assert_not_listening (const char *endpoint)
{
  g_autoptr (SmileySocketSink) sink
      = g_object_new (SMILEY_TYPE_SOCKET_SINK, "endpoint", endpoint, NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *expected = NULL;
  gint64           start = g_get_monotonic_time ();

  g_assert_false (g_initable_init (G_INITABLE (sink), NULL, &error));
  g_assert_error (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_NOT_LISTENING);
  expected = g_strdup_printf ("nobody is listening on %s: start 'smiley monitor' or "
                              "'smiley record', or use 'smiley run --local'",
                              endpoint);
  g_assert_cmpstr (error->message, ==, expected);
  /* Fails fast, never hangs. */
  g_assert_cmpint (g_get_monotonic_time () - start, <, G_TIME_SPAN_SECOND);
}

static void
test_nobody_listening (Fixture *fixture, gconstpointer data)
{
  const char      *dir = fixture->dir;
  g_autofree char *missing = g_strdup_printf ("unix:%s/s", dir);
  g_autofree char *stale_path = g_build_filename (dir, "stale", NULL);
  g_autofree char *stale = g_strdup_printf ("unix:%s", stale_path);
  g_autofree char *missing_dir = g_strdup_printf ("unix:%s/no/such/dir/s", dir);
  g_autoptr (GSocketAddress) address = g_unix_socket_address_new (stale_path);
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GSocket) tcp = NULL;
  g_autoptr (GSocketAddress) tcp_address = NULL;
  g_autoptr (GSocketAddress) bound = NULL;
  g_autofree char *tcp_endpoint = NULL;

  assert_not_listening (missing);
  assert_not_listening (missing_dir);

  /* A socket file left by a killed listener refuses connections. */
  socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, 0, NULL);
  g_assert_true (g_socket_bind (socket, address, FALSE, NULL));
  g_socket_close (socket, NULL);
  assert_not_listening (stale);

  /* A TCP port nobody listens on (bound, so nobody else takes it). */
  tcp = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, 0, NULL);
  tcp_address = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_assert_true (g_socket_bind (tcp, tcp_address, FALSE, NULL));
  bound = g_socket_get_local_address (tcp, NULL);
  tcp_endpoint = g_strdup_printf ("tcp://127.0.0.1:%u",
                                  g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  assert_not_listening (tcp_endpoint);
}

/* A listener that stopped accepting (SIGSTOP, a hung process) makes
 * `smiley run` fail, not hang, once its backlog is full. */
static void
test_listener_not_accepting (Fixture *fixture, gconstpointer data)
{
  const char      *dir = fixture->dir;
  g_autofree char *path = g_build_filename (dir, "s", NULL);
  g_autofree char *endpoint = g_strdup_printf ("unix:%s", path);
  g_autoptr (GSocketAddress) address = g_unix_socket_address_new (path);
  g_autoptr (GSocket) stuck = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, 0, NULL);
  g_autoptr (GPtrArray) sinks = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  g_assert_true (g_socket_bind (stuck, address, FALSE, NULL));
  g_socket_set_listen_backlog (stuck, 1);
  g_assert_true (g_socket_listen (stuck, NULL));

  while (error == NULL)
    {
      SmileySocketSink *sink = g_object_new (SMILEY_TYPE_SOCKET_SINK, "endpoint", endpoint,
                                             "connect-timeout", 1, NULL);

      g_ptr_array_add (sinks, sink);
      g_initable_init (G_INITABLE (sink), NULL, &error);
      g_assert_cmpuint (sinks->len, <, 100);
    }
  g_assert_error (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_NOT_LISTENING);
  g_assert_nonnull (strstr (error->message, endpoint));
  g_assert_nonnull (strstr (error->message, "stopped or overloaded"));
  g_assert_cmpint (g_get_monotonic_time () - start, <, 3 * G_TIME_SPAN_SECOND);
  g_test_message ("after %u connections: %s", sinks->len - 1, error->message);

  g_socket_close (stuck, NULL);
}

static void
test_bad_endpoint (void)
{
  g_autoptr (SmileySocketSink) sink
      = g_object_new (SMILEY_TYPE_SOCKET_SINK, "endpoint", "udp://x:1", NULL);
  g_autoptr (SmileySocketSource) source
      = g_object_new (SMILEY_TYPE_SOCKET_SOURCE, "endpoint", "tcp://no-such-host.invalid:1", NULL);
  g_autoptr (GError) error = NULL;

  g_assert_false (g_initable_init (G_INITABLE (sink), NULL, &error));
  g_assert_error (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_ENDPOINT);
  g_assert_cmpstr (error->message, ==,
                   "'udp://x:1' is not a socket endpoint: use unix:PATH or tcp://HOST:PORT");
  g_clear_error (&error);

  g_assert_false (g_initable_init (G_INITABLE (source), NULL, &error));
  g_assert_error (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_ENDPOINT);
  g_assert_true (
      g_str_has_prefix (error->message, "tcp://no-such-host.invalid:1: cannot resolve host"));
}

static void
test_already_listening (Fixture *fixture, gconstpointer data)
{
  Listener *listener = fixture->listener;
  g_autoptr (SmileySocketSource) second = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (SmileyRun) run = make_run (NULL);
  g_autoptr (GPtrArray) sent = NULL;

  second = g_object_new (SMILEY_TYPE_SOCKET_SOURCE, "endpoint", listener->endpoint, NULL);
  g_assert_false (g_initable_init (G_INITABLE (second), NULL, &error));
  g_assert_error (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_ALREADY_LISTENING);
  g_assert_nonnull (strstr (error->message, listener->endpoint));
  g_assert_nonnull (strstr (error->message, "already"));
  g_clear_object (&second);

  /* The first listener still owns its socket. */
  sent = publish_run (listener->endpoint, run, 1, 10);
  g_assert_cmpuint (listener->sink->n_ended, ==, 1);
}

/* Another program listening on the socket (without smiley's lock) keeps
 * its socket too. */
static void
test_foreign_listener (Fixture *fixture, gconstpointer data)
{
  const char      *dir = fixture->dir;
  g_autofree char *path = g_build_filename (dir, "s", NULL);
  g_autofree char *endpoint = g_strdup_printf ("unix:%s", path);
  g_autoptr (GSocketAddress) address = g_unix_socket_address_new (path);
  g_autoptr (GSocket) foreign = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, 0, NULL);
  g_autoptr (SmileySocketSource) source = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_true (g_socket_bind (foreign, address, FALSE, NULL));
  g_assert_true (g_socket_listen (foreign, NULL));

  source = g_object_new (SMILEY_TYPE_SOCKET_SOURCE, "endpoint", endpoint, NULL);
  g_assert_false (g_initable_init (G_INITABLE (source), NULL, &error));
  g_assert_error (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_ALREADY_LISTENING);
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));

  g_socket_close (foreign, NULL);
}

static void
test_socket_file (Fixture *fixture, gconstpointer data)
{
  const char      *dir = fixture->dir;
  g_autofree char *path = g_build_filename (dir, "sub", "s", NULL);
  g_autofree char *endpoint = g_strdup_printf ("unix:%s", path);
  g_autofree char *stale_path = g_build_filename (dir, "stale", NULL);
  g_autofree char *stale = g_strdup_printf ("unix:%s", stale_path);
  g_autofree char *file_path = g_build_filename (dir, "file", NULL);
  g_autofree char *file = g_strdup_printf ("unix:%s", file_path);
  g_autoptr (GSocketAddress) address = g_unix_socket_address_new (stale_path);
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GError) error = NULL;
  Listener   *listener;
  struct stat st;

  /* The socket file is the user's alone; its missing directory is made. */
  listener = listener_start (endpoint);
  g_assert_cmpstr (listener->endpoint, ==, endpoint);
  g_assert_cmpint (g_lstat (path, &st), ==, 0);
  g_assert_true (S_ISSOCK (st.st_mode));
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  listener_stop (listener);
  listener_free (listener);
  /* A stopped listener leaves no socket behind. */
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  /* A stale socket (its listener was killed) is replaced. */
  socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, 0, NULL);
  g_assert_true (g_socket_bind (socket, address, FALSE, NULL));
  g_socket_close (socket, NULL);
  g_assert_true (g_file_test (stale_path, G_FILE_TEST_EXISTS));
  listener = listener_start (stale);
  listener_stop (listener);
  listener_free (listener);

  /* Anything that is not a socket is left alone. */
  g_assert_true (g_file_set_contents (file_path, "precious", -1, NULL));
  {
    g_autoptr (SmileySocketSource) source
        = g_object_new (SMILEY_TYPE_SOCKET_SOURCE, "endpoint", file, NULL);
    g_autofree char *contents = NULL;

    g_assert_false (g_initable_init (G_INITABLE (source), NULL, &error));
    g_assert_error (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_FAILED);
    g_assert_nonnull (strstr (error->message, "not a socket"));
    g_assert_true (g_file_get_contents (file_path, &contents, NULL, NULL));
    g_assert_cmpstr (contents, ==, "precious");
  }
}

/* A listener stopped with runs open ends them as abnormal; their
 * publishers learn it on their next write. */
static void
test_listener_stopped (Fixture *fixture, gconstpointer data)
{
  Listener *listener = fixture->listener;
  g_autoptr (SmileyRun) run = make_run (NULL);
  g_autoptr (SmileySocketSink) sink = publisher_new (listener->endpoint);
  g_autoptr (SmileyBatch) batch = make_batch (run, 100, 0);
  g_autoptr (GError) error = NULL;
  RecordedRun *got;
  gboolean     ok = TRUE;

  g_assert_true (smiley_sink_begin_run (SMILEY_SINK (sink), run, &error));
  g_assert_true (smiley_sink_push (SMILEY_SINK (sink), run, batch, &error));
  while (recording_sink_get_n_events (listener->sink) < 100)
    g_usleep (1000);

  listener_stop (listener);
  got = listener_find_run (listener, smiley_run_get_id (run));
  g_assert_cmpuint (got->n_end, ==, 1);
  g_assert_cmpint (got->end_state, ==, SMILEY_RUN_ABNORMAL);
  g_assert_cmpstr (got->end_error, ==, "listener stopped");

  for (guint i = 0; i < 100 && ok; i++)
    ok = smiley_sink_push (SMILEY_SINK (sink), run, batch, &error);
  g_assert_false (ok);
  g_assert_error (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_DISCONNECTED);
  g_assert_nonnull (strstr (error->message, "lost the connection to the listener on"));
  g_clear_error (&error);
  g_assert_false (smiley_sink_end_run (SMILEY_SINK (sink), run, &error));
  g_assert_error (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_DISCONNECTED);
}

/* A sink that fails stops the listener with its error; the publisher is
 * told its run was not taken. */
static void
test_sink_fails (Fixture *fixture, gconstpointer data)
{
  Listener *listener = fixture->listener;
  g_autoptr (SmileyRun) run = make_run (NULL);
  g_autoptr (SmileySocketSink) sink = publisher_new (listener->endpoint);
  g_autoptr (GError) error = NULL;
  gboolean ok = TRUE;

  listener->sink->fail_after_pushes = 2;
  g_assert_true (smiley_sink_begin_run (SMILEY_SINK (sink), run, &error));
  for (guint i = 0; i < 100 && ok; i++)
    {
      g_autoptr (SmileyBatch) batch = make_batch (run, 100, i * 100);

      ok = smiley_sink_push (SMILEY_SINK (sink), run, batch, &error);
    }
  if (ok)
    ok = smiley_sink_end_run (SMILEY_SINK (sink), run, &error);
  g_assert_false (ok);
  g_assert_error (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_DISCONNECTED);

  g_thread_join (listener->thread);
  listener->thread = NULL;
  g_assert_false (listener->ok);
  g_assert_error (listener->error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
}

/* Another user's uid for the tests below, which need root to take it. */
#define OTHER_UID 65534

/* A peer of another user, let in by a socket file someone made world
 * writable, is refused by the kernel's word on who it is (SO_PEERCRED). */
static void
test_other_user_publisher (Fixture *fixture, gconstpointer data)
{
  Listener        *listener = fixture->listener;
  g_autofree char *path = NULL;
  g_autoptr (SmileyRun) run = NULL;
  g_autoptr (GBytes) stream = NULL;
  struct sockaddr_un address = { .sun_family = AF_UNIX };
  const guint8      *bytes;
  gsize              length;
  int                status = -1;
  pid_t              pid;

  if (getuid () != 0)
    {
      g_test_skip ("needs root to publish as another user");
      return;
    }

  path = g_build_filename (fixture->dir, "s", NULL);
  g_assert_cmpint (g_chmod (fixture->dir, 0755), ==, 0);
  g_assert_cmpint (g_chmod (path, 0666), ==, 0);

  run = make_run (NULL);
  stream = encode_run (run, 1, TRUE);
  bytes = g_bytes_get_data (stream, &length);
  g_strlcpy (address.sun_path, path, sizeof address.sun_path);

  /* Only async-signal-safe calls in the child of a threaded process. */
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      int  fd;
      char answer;

      if (setgid (OTHER_UID) != 0 || setuid (OTHER_UID) != 0)
        _exit (2);
      fd = socket (AF_UNIX, SOCK_STREAM, 0);
      if (fd < 0 || connect (fd, (struct sockaddr *)&address, sizeof address) != 0)
        _exit (3);
      (void)!write (fd, bytes, length);
      /* Closed without an ACK. */
      _exit (read (fd, &answer, 1) == 0 || errno == ECONNRESET ? 0 : 4);
    }
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);

  g_assert_true (
      listener_has_disconnect (listener, "it runs as uid 65534; only uid 0 may publish here"));
  g_assert_cmpuint (listener->sink->runs->len, ==, 0);
}

/* A publisher never sends traces to a listener of another user, even one
 * that managed to sit on the endpoint. */
static void
test_other_user_listener (Fixture *fixture, gconstpointer data)
{
  const char      *dir = fixture->dir;
  g_autofree char *path = NULL;
  g_autofree char *endpoint = NULL;
  g_autoptr (SmileySocketSink) sink = NULL;
  g_autoptr (GError) error = NULL;
  struct sockaddr_un address = { .sun_family = AF_UNIX };
  int                ready[2];
  char               byte = 0;
  pid_t              pid;

  if (getuid () != 0)
    {
      g_test_skip ("needs root to listen as another user");
      return;
    }

  path = g_build_filename (dir, "s", NULL);
  endpoint = g_strdup_printf ("unix:%s", path);
  g_assert_cmpint (g_chmod (dir, 0777), ==, 0);
  g_strlcpy (address.sun_path, path, sizeof address.sun_path);
  g_assert_cmpint (pipe (ready), ==, 0);

  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      int fd;

      close (ready[0]);
      if (setgid (OTHER_UID) != 0 || setuid (OTHER_UID) != 0)
        _exit (2);
      fd = socket (AF_UNIX, SOCK_STREAM, 0);
      if (fd < 0 || bind (fd, (struct sockaddr *)&address, sizeof address) != 0
          || chmod (address.sun_path, 0666) != 0 || listen (fd, 8) != 0)
        _exit (3);
      (void)!write (ready[1], "r", 1);
      pause ();
      _exit (0);
    }
  close (ready[1]);
  g_assert_cmpint (read (ready[0], &byte, 1), ==, 1);
  close (ready[0]);

  sink = g_object_new (SMILEY_TYPE_SOCKET_SINK, "endpoint", endpoint, NULL);
  g_assert_false (g_initable_init (G_INITABLE (sink), NULL, &error));
  g_assert_error (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_UNSAFE);
  g_assert_nonnull (strstr (error->message, "the listener runs as uid 65534, not as you"));

  kill (pid, SIGKILL);
  waitpid (pid, NULL, 0);
}

/* Batch @i of a run that gains strings in most batches, and a thread and
 * a source on the way, so the tables must go out between the events; the
 * last batches add nothing, so their frames follow each other. */
static SmileyBatch *
make_growing_batch (SmileyRun *run, guint i)
{
  if (i >= 14)
    return make_batch (run, 20, 13000 + i);
  if (i == 7)
    smiley_run_set_thread (run, 2, 4242, 4243, "Worker");
  if (i == 12)
    {
      g_autoptr (GBytes) other = g_bytes_new_static ("import os\n", 10);

      smiley_run_add_source (run, smiley_run_intern (run, "/home/user/project/other.py"), other);
    }
  return make_batch (run, 1 + i * 13, i * 1000);
}

/* `smiley run` reads the tracer's stream in pass-through mode and hands
 * the frames to a sink that takes them encoded: a run published that way
 * arrives with the same tables and events as one pushed as batches. */
static void
test_push_encoded (Fixture *fixture, gconstpointer data)
{
  Listener   *listener = fixture->listener;
  const guint n_batches = 20;
  g_autoptr (SmileyRun) run = make_run ("encoded");
  g_autoptr (SmileyRun) pushed = make_run ("pushed");
  g_autoptr (SmileyFrameWriter) writer = smiley_frame_writer_new ();
  g_autoptr (SmileyFrameReader) reader = smiley_frame_reader_new (0);
  g_autoptr (SmileySocketSink) sink = publisher_new (listener->endpoint);
  g_autoptr (SmileySocketSink) other_sink = publisher_new (listener->endpoint);
  g_autoptr (GPtrArray) sent = g_ptr_array_new_with_free_func ((GDestroyNotify)smiley_batch_unref);
  g_autoptr (GBytes) stream = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (SmileyBatch) got_encoded = NULL;
  g_autoptr (SmileyBatch) got_pushed = NULL;
  RecordedRun  *got;
  RecordedRun  *got_other;
  const guint8 *data_bytes;
  gsize         length;
  guint64       n_sent = 0, n_passed = 0;
  guint         n_spans = 0;
  gboolean      ended = FALSE;

  g_assert_true (smiley_sink_takes_encoded (SMILEY_SINK (sink)));
  g_assert_false (smiley_sink_takes_encoded (SMILEY_SINK (listener->sink)));

  /* The tracer's side. */
  smiley_frame_writer_begin_run (writer, run);
  for (guint i = 0; i < n_batches; i++)
    {
      SmileyBatch *batch = make_growing_batch (run, i);

      smiley_frame_writer_push (writer, run, batch);
      n_sent += smiley_batch_get_length (batch);
      g_ptr_array_add (sent, batch);
    }
  finish_run (run);
  smiley_frame_writer_end_run (writer, run);
  stream = smiley_frame_writer_take_bytes (writer);
  data_bytes = g_bytes_get_data (stream, &length);

  /* `smiley run`'s side: fed in pieces, so spans are cut at table frames,
   * at max_batch and where the bytes run out. */
  smiley_frame_reader_set_pass_events (reader, TRUE);
  smiley_frame_reader_set_max_batch (reader, 300);
  for (gsize at = 0; at < length; at += 3000)
    {
      SmileyFrameMessage message;

      smiley_frame_reader_feed (reader, data_bytes + at, MIN (3000, length - at));
      do
        {
          SmileyRun    *reader_run;
          const guint8 *frames;
          gsize         frames_length;
          guint         n_events;

          g_assert_true (smiley_frame_reader_next (reader, &message, NULL, &error));
          g_assert_no_error (error);
          reader_run = smiley_frame_reader_get_run (reader);
          switch (message)
            {
            case SMILEY_FRAME_RUN_BEGIN:
              g_assert_true (smiley_sink_begin_run (SMILEY_SINK (sink), reader_run, &error));
              break;
            case SMILEY_FRAME_ENCODED_EVENTS:
              frames = smiley_frame_reader_get_encoded_events (reader, &frames_length, &n_events);
              g_assert_true (smiley_sink_push_encoded (SMILEY_SINK (sink), reader_run, frames,
                                                       frames_length, n_events, &error));
              n_passed += n_events;
              n_spans++;
              break;
            case SMILEY_FRAME_RUN_END:
              g_assert_true (smiley_sink_end_run (SMILEY_SINK (sink), reader_run, &error));
              ended = TRUE;
              break;
            case SMILEY_FRAME_NEED_MORE:
              break;
            default:
              g_assert_not_reached ();
            }
          g_assert_no_error (error);
        }
      while (message != SMILEY_FRAME_NEED_MORE);
    }
  g_assert_true (smiley_frame_reader_finish (reader, &error));
  g_assert_true (ended);
  g_assert_cmpuint (n_passed, ==, n_sent);
  /* One EVENTS frame per batch; some were passed together. */
  g_assert_cmpuint (n_spans, <, n_batches);

  /* The same run pushed as batches. */
  g_assert_true (smiley_sink_begin_run (SMILEY_SINK (other_sink), pushed, &error));
  for (guint i = 0; i < n_batches; i++)
    {
      g_autoptr (SmileyBatch) batch = make_growing_batch (pushed, i);

      g_assert_true (smiley_sink_push (SMILEY_SINK (other_sink), pushed, batch, &error));
    }
  finish_run (pushed);
  g_assert_true (smiley_sink_end_run (SMILEY_SINK (other_sink), pushed, &error));
  g_assert_no_error (error);

  /* end_run returned, so the listener confirmed both. */
  got = listener_find_run (listener, "encoded");
  got_other = listener_find_run (listener, "pushed");
  g_assert_nonnull (got);
  g_assert_nonnull (got_other);
  g_assert_cmpuint (got->n_end, ==, 1);
  g_assert_cmpint (got->end_state, ==, SMILEY_RUN_FINISHED);
  assert_same_run (run, got->run);
  g_assert_cmpuint (smiley_run_get_n_threads (got->run), ==, 2);
  g_assert_cmpuint (smiley_run_get_n_sources (got->run), ==, 2);
  assert_same_events (run, sent, got->run, got->batches);

  assert_same_run (pushed, got_other->run);
  got_encoded = flatten (got->batches);
  got_pushed = flatten (got_other->batches);
  g_assert_true (smiley_batch_equal (got_encoded, got_pushed));
  g_assert_cmpuint (smiley_run_get_n_strings (got->run), ==,
                    smiley_run_get_n_strings (got_other->run));
  for (guint32 i = 0; i < smiley_run_get_n_strings (got->run); i++)
    g_assert_cmpstr (smiley_run_get_string (got->run, i), ==,
                     smiley_run_get_string (got_other->run, i));
}

/* A source file goes out in one frame, however big: a 20 MiB generated
 * module must not get its run refused. */
static void
test_large_source (Fixture *fixture, gconstpointer data)
{
  Listener   *listener = fixture->listener;
  const gsize size = 20 * 1024 * 1024;
  g_autoptr (SmileyRun) run = make_run (NULL);
  g_autoptr (GBytes) content = g_bytes_new_take (g_strnfill (size, '#'), size);
  g_autoptr (GPtrArray) sent = NULL;
  RecordedRun *got;
  guint32      file;

  smiley_run_add_source (run, smiley_run_intern (run, "/home/user/project/generated.py"), content);
  sent = publish_run (listener->endpoint, run, 1, 10);

  got = listener->sink->runs->pdata[0];
  g_assert_cmpint (got->end_state, ==, SMILEY_RUN_FINISHED);
  g_assert_cmpuint (smiley_run_get_n_sources (got->run), ==, 2);
  g_assert_true (g_bytes_equal (smiley_run_get_source (got->run, 1, &file), content));
  g_assert_cmpstr (smiley_run_get_string (got->run, file), ==, "/home/user/project/generated.py");
}

/* A run the sink refuses to begin turns its peer away; the listener
 * serves on. */
static void
test_sink_refuses_run (Fixture *fixture, gconstpointer data)
{
  Listener *listener = fixture->listener;
  g_autoptr (SmileyRun) refused = make_run ("stored-already");
  g_autoptr (SmileyRun) other = make_run (NULL);
  g_autoptr (SmileySocketSink) sink = publisher_new (listener->endpoint);
  g_autoptr (GPtrArray) sent = NULL;
  g_autoptr (GError) error = NULL;
  gboolean ok;

  listener->sink->refuse_run_id = g_strdup ("stored-already");
  ok = smiley_sink_begin_run (SMILEY_SINK (sink), refused, &error);
  for (guint i = 0; i < 100 && ok; i++)
    {
      g_autoptr (SmileyBatch) batch = make_batch (refused, 100, i * 100);

      ok = smiley_sink_push (SMILEY_SINK (sink), refused, batch, &error);
    }
  if (ok)
    ok = smiley_sink_end_run (SMILEY_SINK (sink), refused, &error);
  g_assert_false (ok);
  g_assert_error (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_DISCONNECTED);
  g_assert_true (
      listener_has_disconnect (listener, "a run with id stored-already is already stored"));

  sent = publish_run (listener->endpoint, other, 2, 10);
  g_assert_cmpuint (listener->sink->runs->len, ==, 1);
  g_assert_cmpint (listener_find_run (listener, smiley_run_get_id (other))->end_state, ==,
                   SMILEY_RUN_FINISHED);
}

/* Two connections claiming the same run: the second is refused. */
static void
test_duplicate_run (Fixture *fixture, gconstpointer data)
{
  Listener *listener = fixture->listener;
  g_autoptr (SmileyRun) run = make_run ("same-id");
  g_autoptr (SmileyRun) twin = make_run ("same-id");
  g_autoptr (SmileySocketSink) first = publisher_new (listener->endpoint);
  g_autoptr (GBytes) twin_stream = encode_run (twin, 1, TRUE);
  g_autoptr (GError) error = NULL;

  g_assert_true (smiley_sink_begin_run (SMILEY_SINK (first), run, &error));
  /* The start of a run goes out with what follows it, or on flush. */
  g_assert_true (smiley_sink_flush (SMILEY_SINK (first), &error));
  raw_send_expect_closed (listener->endpoint, g_bytes_get_data (twin_stream, NULL),
                          g_bytes_get_size (twin_stream));
  g_assert_true (listener_has_disconnect (listener, "run same-id is already being received"));

  finish_run (run);
  g_assert_true (smiley_sink_end_run (SMILEY_SINK (first), run, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (listener->sink->runs->len, ==, 1);
  g_assert_cmpint (((RecordedRun *)listener->sink->runs->pdata[0])->end_state, ==,
                   SMILEY_RUN_FINISHED);
}

/* A slow sink slows the publisher down and loses nothing. */
static void
test_backpressure (Fixture *fixture, gconstpointer data)
{
  Listener   *listener = fixture->listener;
  const guint n_batches = 1000, batch_size = 1000;
  g_autoptr (SmileyRun) run = make_run (NULL);
  g_autoptr (SmileySocketSink) sink = publisher_new (listener->endpoint);
  g_autoptr (GError) error = NULL;
  guint64      sent = 0, max_lag = 0;
  gint64       start = g_get_monotonic_time ();
  gint64       elapsed;
  RecordedRun *got;

  /* 1 ms per thousand events on the listener: at least a second for the
   * run, while encoding alone takes a fraction of that. */
  listener->sink->push_delay_us = 1000;
  listener->sink->keep_batches = FALSE;

  g_assert_true (smiley_sink_begin_run (SMILEY_SINK (sink), run, &error));
  for (guint i = 0; i < n_batches; i++)
    {
      g_autoptr (SmileyBatch) batch = make_batch (run, batch_size, i * batch_size);

      g_assert_true (smiley_sink_push (SMILEY_SINK (sink), run, batch, &error));
      sent += batch_size;
      max_lag = MAX (max_lag, sent - recording_sink_get_n_events (listener->sink));
    }
  finish_run (run);
  g_assert_true (smiley_sink_end_run (SMILEY_SINK (sink), run, &error));
  g_assert_no_error (error);
  elapsed = g_get_monotonic_time () - start;

  got = listener->sink->runs->pdata[0];
  g_assert_cmpuint (sent, ==, (guint64)n_batches * batch_size);
  g_assert_cmpuint (got->n_events, ==, sent);
  g_assert_cmpint (got->end_state, ==, SMILEY_RUN_FINISHED);
  /* The publisher never ran far ahead: what it had sent but the sink had
   * not taken fits in the sockets' buffers, a small part of the run. */
  g_assert_cmpuint (max_lag, <, sent / 4);
  g_assert_cmpint (elapsed, >=, (gint64)sent / 1000 * listener->sink->push_delay_us * 9 / 10);
  g_test_message ("%" G_GUINT64_FORMAT " events in %.2f s, publisher at most %" G_GUINT64_FORMAT
                  " events ahead of the sink",
                  sent, elapsed / 1e6, max_lag);
}

/* How fast the transport alone goes: encode, socket, decode, into a sink
 * that keeps nothing. Reported, not asserted, beyond the count. */
static void
test_throughput (Fixture *fixture, gconstpointer data)
{
  Listener   *listener = fixture->listener;
  const guint n_batches = 1000, batch_size = 1000;
  g_autoptr (SmileyRun) run = make_run (NULL);
  g_autoptr (SmileySocketSink) sink = publisher_new (listener->endpoint);
  g_autoptr (GPtrArray) batches
      = g_ptr_array_new_with_free_func ((GDestroyNotify)smiley_batch_unref);
  g_autoptr (GError) error = NULL;
  gint64 start, elapsed;

  listener->sink->keep_batches = FALSE;
  /* Made beforehand, so only the transport is timed. */
  for (guint i = 0; i < 10; i++)
    g_ptr_array_add (batches, make_batch (run, batch_size, i * batch_size));

  start = g_get_monotonic_time ();
  g_assert_true (smiley_sink_begin_run (SMILEY_SINK (sink), run, &error));
  for (guint i = 0; i < n_batches; i++)
    g_assert_true (
        smiley_sink_push (SMILEY_SINK (sink), run, batches->pdata[i % batches->len], &error));
  finish_run (run);
  g_assert_true (smiley_sink_end_run (SMILEY_SINK (sink), run, &error));
  g_assert_no_error (error);
  elapsed = g_get_monotonic_time () - start;

  g_assert_cmpuint (((RecordedRun *)listener->sink->runs->pdata[0])->n_events, ==,
                    (guint64)n_batches * batch_size);
  g_test_message ("%u events through a Unix socket in %.3f s: %.0f ns per event",
                  n_batches * batch_size, elapsed / 1e6,
                  elapsed * 1e3 / ((double)n_batches * batch_size));
}

/* Rings handed over {{{1 */

/* Small, so that a run wraps it many times. */
#define RING_SIZE (64u * 1024u)
/* How the traced program ended, as only `smiley run` knows. */
#define TRACED_EXIT_STATUS 3

/* Polls @condition for up to WAIT_SECONDS, then asserts it. */
#define POLL_UNTIL(condition)                                                                      \
  G_STMT_START                                                                                     \
  {                                                                                                \
    gint64 poll_deadline = g_get_monotonic_time () + WAIT_SECONDS * G_TIME_SPAN_SECOND;            \
    while (!(condition) && g_get_monotonic_time () < poll_deadline)                                \
      g_usleep (1000);                                                                             \
    if (!(condition))                                                                              \
      g_assertion_message_expr (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, #condition);          \
  }                                                                                                \
  G_STMT_END

/* Lines of /proc/self/maps naming @needle: a ring the listener forgot
 * to unmap shows up here, where ASan does not look. */
static guint
count_mappings (const char *needle)
{
  g_autofree char *maps = NULL;
  guint            n = 0;

  g_assert_true (g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL));
  for (const char *p = maps; (p = strstr (p, needle)) != NULL; p++)
    n++;
  return n;
}

static guint
count_open_fds (void)
{
  g_autoptr (GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

/* A run as the tracer inside a traced program writes it into its ring,
 * and the ring. */
typedef struct
{
  SmileyRun *run;        /* the tracer's, which it encodes */
  GPtrArray *sent;       /* SmileyBatch*, one event each, as it emits them */
  GBytes    *begin;      /* the stream header and RUN_BEGIN: `smiley run`'s part */
  GBytes    *frames;     /* every frame after RUN_BEGIN, RUN_END last */
  gsize      events_end; /* where the frames after the last event's start */
  char      *source;     /* script.py, which the first event enters */
  SmileyRing ring;
  int        fd;

  /* The producer: the traced program. */
  GThread *producer;
  gsize    stop_at;    /* it writes @frames up to here */
  int      give_up_ms; /* on a full ring the consumer does not drain */
  gint     done;
  gsize    written;
  gboolean gave_up;
} TracedRun;

static TracedRun *
traced_run_new (const char *id, const char *dir, guint n_events)
{
  TracedRun       *traced = g_new0 (TracedRun, 1);
  const char      *argv[] = { "script.py", "--ring", NULL };
  g_autofree char *script = g_build_filename (dir, "script.py", NULL);
  g_autoptr (SmileyFrameWriter) writer = smiley_frame_writer_new ();
  SmileyRun   *run = smiley_run_new (id);
  SmileyBatch *batch = smiley_batch_new ();

  traced->run = run;
  smiley_run_set_argv (run, argv);
  smiley_run_set_cwd (run, dir);
  smiley_run_set_description (run, "script.py --ring");
  smiley_run_set_pid (run, 4242);
  smiley_run_set_start_time (run, 1700000000000000);
  smiley_frame_writer_begin_run (writer, run);
  traced->begin = smiley_frame_writer_take_bytes (writer);

  /* The listener reads the program's sources itself, by the names the
   * run has: relative ones from its working directory. */
  traced->source = g_strdup_printf ("# %s\nprint ('hello')\n", id);
  g_assert_true (g_file_set_contents (script, traced->source, -1, NULL));

  /* What the tracer writes: one EVENTS frame per event, after the
   * strings and threads it refers to. */
  smiley_run_set_thread (run, 1, 4242, 4242, "MainThread");
  traced->sent = g_ptr_array_new_with_free_func ((GDestroyNotify)smiley_batch_unref);
  smiley_batch_add (batch, &(SmileyEvent){
                               .kind = SMILEY_EVENT_CALL,
                               .thread = 1,
                               .call_id = 1,
                               .file = smiley_run_intern (run, "script.py"),
                               .line = 1,
                               .function = smiley_run_intern (run, "<module>"),
                           });
  for (guint i = 0; i < n_events; i++)
    {
      if (i > 0)
        batch = make_batch (run, 1, i);
      smiley_frame_writer_push (writer, run, batch);
      g_ptr_array_add (traced->sent, batch);
    }
  traced->events_end = smiley_frame_writer_get_pending (writer);
  smiley_run_set_events_emitted (run, n_events);
  finish_run (run);
  smiley_frame_writer_end_run (writer, run);
  traced->frames = smiley_frame_writer_take_bytes (writer);

  traced->fd = smiley_ring_create (&traced->ring, RING_SIZE);
  g_assert_cmpint (traced->fd, >=, 0);
  traced->stop_at = g_bytes_get_size (traced->frames);
  traced->give_up_ms = WAIT_SECONDS * 1000;
  return traced;
}

static void
traced_run_free (TracedRun *traced)
{
  if (traced->producer != NULL)
    g_thread_join (traced->producer);
  smiley_ring_unmap (&traced->ring);
  close (traced->fd);
  g_object_unref (traced->run);
  g_ptr_array_unref (traced->sent);
  g_bytes_unref (traced->begin);
  g_bytes_unref (traced->frames);
  g_free (traced->source);
  g_free (traced);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TracedRun, traced_run_free)

/* The tracer's side of the ring (ring_write() in the tracer module):
 * whole frames only, a few at a time as its buffered frames go out, and
 * on a ring the consumer stopped draining it gives up. */
static gpointer
traced_run_produce (gpointer data)
{
  TracedRun    *traced = data;
  SmileyRing   *ring = &traced->ring;
  const guint8 *frames = g_bytes_get_data (traced->frames, NULL);
  guint64       n_events = 0;

  for (guint round = 0; traced->written < traced->stop_at; round++)
    {
      const guint8 *start = frames + traced->written;
      gsize         length = 0;
      guint         n = 0;

      for (guint i = 0; i <= round % 4 && traced->written + length < traced->stop_at; i++)
        {
          n += start[length + 4] == SMILEY_WIRE_EVENTS;
          length += smiley_wire_get_u32 (start + length);
        }
      if (smiley_ring_wait_space (ring, length, traced->give_up_ms) < 0)
        {
          traced->gave_up = TRUE;
          break;
        }
      memcpy (smiley_ring_write_pointer (ring), start, length);
      n_events += n;
      atomic_store (&ring->header->events_emitted, n_events);
      smiley_ring_publish (ring, length);
      traced->written += length;
    }
  if (traced->written == g_bytes_get_size (traced->frames))
    atomic_store (&ring->header->finished, 1);
  smiley_ring_flush (ring);
  g_atomic_int_set (&traced->done, 1);
  return NULL;
}

static void
traced_run_start (TracedRun *traced)
{
  traced->producer = g_thread_new ("tracer", traced_run_produce, traced);
}

static void
traced_run_join (TracedRun *traced)
{
  g_thread_join (g_steal_pointer (&traced->producer));
}

/* `smiley run`'s start, as smiley_python_source_run() does it: the run
 * as its RUN_BEGIN says, begun on @sink, which takes the ring over if it
 * can; if it does not, @consumer is to drain the ring into it. */
static SmileyRun *
traced_run_begin (TracedRun *traced, SmileySink *sink, SmileyRingConsumer **consumer,
                  gboolean *adopted)
{
  g_autoptr (SmileyRingConsumer) own = NULL;
  g_autoptr (GError) error = NULL;
  SmileyRun *run;

  own = smiley_ring_consumer_new (&traced->ring, traced->begin, smiley_run_get_cwd (traced->run),
                                  sink, &error);
  g_assert_no_error (error);
  run = g_object_ref (smiley_ring_consumer_get_run (own));
  g_assert_true (smiley_sink_begin_run (sink, run, &error));
  g_assert_no_error (error);
  *adopted = smiley_sink_takes_ring (sink, run);
  if (*adopted)
    {
      g_assert_true (smiley_sink_adopt_ring (sink, run, traced->fd, &error));
      g_assert_no_error (error);
    }
  else
    *consumer = g_steal_pointer (&own);
  return run;
}

/* traced_run_begin() on a sink that must take the ring over. */
static SmileyRun *
traced_run_begin_adopted (TracedRun *traced, SmileySink *sink)
{
  g_autoptr (SmileyRingConsumer) consumer = NULL;
  gboolean   adopted;
  SmileyRun *run = traced_run_begin (traced, sink, &consumer, &adopted);

  g_assert_true (adopted);
  g_assert_null (consumer);
  return run;
}

/* Runs the traced program to its end and publishes it through @sink as
 * `smiley run` does. */
static void
publish_traced_run (TracedRun *traced, SmileySink *sink, gboolean expect_adopted)
{
  SmileyRingHeader *header = traced->ring.header;
  g_autoptr (SmileyRingConsumer) consumer = NULL;
  g_autoptr (SmileyRun) run = NULL;
  g_autoptr (GError) error = NULL;
  gboolean adopted;

  run = traced_run_begin (traced, sink, &consumer, &adopted);
  g_assert_cmpint (adopted, ==, expect_adopted);
  traced_run_start (traced);
  /* `smiley run`'s reader thread, when the sink did not take the ring. */
  if (consumer != NULL)
    smiley_ring_consumer_run (consumer, &traced->done);
  traced_run_join (traced);
  g_assert_false (traced->gave_up);
  g_assert_cmpuint (atomic_load (&header->finished), ==, 1);

  /* The program is gone; how it ended is the publisher's to say. */
  smiley_run_conclude (run,
                       consumer != NULL ? smiley_ring_consumer_got_end (consumer)
                                        : atomic_load (&header->finished) != 0,
                       TRACED_EXIT_STATUS, 0, atomic_load (&header->events_emitted));
  g_assert_true (smiley_sink_end_run (sink, run, &error));
  g_assert_no_error (error);
  if (consumer != NULL)
    g_assert_null (smiley_ring_consumer_get_error (consumer, NULL));
}

/* The listener got @traced as the tracer wrote it, and as the publisher
 * concluded it. */
static void
assert_traced_run_received (TracedRun *traced, RecordedRun *got)
{
  SmileyRun *run = traced->run;
  GBytes    *source;
  guint32    file;

  g_assert_nonnull (got);
  g_assert_cmpuint (got->n_begin, ==, 1);
  g_assert_cmpuint (got->n_end, ==, 1);
  g_assert_cmpint (got->end_state, ==, SMILEY_RUN_FINISHED);
  g_assert_null (got->end_error);
  g_assert_cmpstr (smiley_run_get_id (got->run), ==, smiley_run_get_id (run));
  g_assert_cmpstrv (smiley_run_get_argv (got->run), smiley_run_get_argv (run));
  g_assert_cmpstr (smiley_run_get_cwd (got->run), ==, smiley_run_get_cwd (run));
  g_assert_cmpuint (smiley_run_get_pid (got->run), ==, smiley_run_get_pid (run));
  g_assert_cmpint (smiley_run_get_start_time (got->run), ==, smiley_run_get_start_time (run));
  g_assert_cmpint (smiley_run_get_end_time (got->run), ==, smiley_run_get_end_time (run));
  g_assert_cmpint (smiley_run_get_exit_status (got->run), ==, TRACED_EXIT_STATUS);
  g_assert_cmpint (smiley_run_get_signal (got->run), ==, 0);
  g_assert_cmpuint (smiley_run_get_events_emitted (got->run), ==, traced->sent->len);
  g_assert_cmpstr (smiley_run_get_thread (got->run, 1)->name, ==, "MainThread");
  g_assert_nonnull (smiley_run_get_stats (got->run));
  g_assert_cmpuint (smiley_stats_get_total_calls (smiley_run_get_stats (got->run)), ==,
                    smiley_stats_get_total_calls (smiley_run_get_stats (run)));

  g_assert_cmpuint (got->n_events, ==, traced->sent->len);
  assert_same_events (run, traced->sent, got->run, got->batches);

  g_assert_cmpuint (smiley_run_get_n_sources (got->run), ==, 1);
  source = smiley_run_get_source (got->run, 0, &file);
  g_assert_cmpmem (g_bytes_get_data (source, NULL), g_bytes_get_size (source), traced->source,
                   strlen (traced->source));
  g_assert_cmpstr (smiley_run_get_string (got->run, file), ==, "script.py");
}

/* `smiley run` hands the tracer's ring to a listener on the same machine,
 * which drains it itself: it gets the run as the tracer wrote it, and its
 * end as the publisher concluded it. */
static void
test_ring_roundtrip (Fixture *fixture, gconstpointer data)
{
  Listener *listener = fixture->listener;
  g_autoptr (TracedRun) traced = traced_run_new ("ring-roundtrip", fixture->dir, 20000);
  g_autoptr (SmileySocketSink) sink = publisher_new (listener->endpoint);
  SmileyRingHeader *header = traced->ring.header;
  guint             n_mappings = count_mappings ("/memfd:smiley-ring");
  gint64            start = g_get_monotonic_time ();

  /* It wraps the ring many times. */
  g_assert_cmpuint (g_bytes_get_size (traced->frames), >, 10 * RING_SIZE);

  publish_traced_run (traced, SMILEY_SINK (sink), TRUE);
  g_test_message ("%u events, %" G_GSIZE_FORMAT " bytes through a %u-byte ring in %.3f s",
                  traced->sent->len, g_bytes_get_size (traced->frames), RING_SIZE,
                  (g_get_monotonic_time () - start) / 1e6);

  /* end_run returned, so the listener confirmed: everything is there. */
  g_assert_cmpuint (listener->sink->runs->len, ==, 1);
  assert_traced_run_received (traced, listener_find_run (listener, "ring-roundtrip"));
  g_assert_cmpuint (atomic_load (&header->events_consumed), ==, traced->sent->len);
  /* The tracer would watch the listener, not `smiley run`, while the
   * ring is full. */
  g_assert_cmpint (atomic_load (&header->consumer_pid), ==, getpid ());

  /* Done with the run, the listener lets go of the ring. */
  POLL_UNTIL (count_mappings ("/memfd:smiley-ring") == n_mappings);
  g_assert_cmpuint (atomic_load (&header->consumer_gone), ==, 1);
}

/* Over TCP, or with share-ring off, the ring stays with `smiley run`,
 * which drains it and forwards the frames over the connection. */
static void
test_ring_not_taken (Fixture *fixture, gconstpointer data)
{
  Listener *listener = fixture->listener;
  g_autoptr (TracedRun) traced = traced_run_new ("ring-not-taken", fixture->dir, 6000);
  g_autoptr (SmileySocketSink) sink = NULL;
  g_autoptr (GError) error = NULL;
  SmileyRingHeader *header = traced->ring.header;

  if (g_str_equal (data, "tcp"))
    sink = publisher_new (listener->endpoint);
  else
    {
      sink = g_object_new (SMILEY_TYPE_SOCKET_SINK, "endpoint", listener->endpoint, "share-ring",
                           FALSE, NULL);
      g_assert_true (g_initable_init (G_INITABLE (sink), NULL, &error));
      g_assert_no_error (error);
    }
  g_assert_cmpuint (g_bytes_get_size (traced->frames), >, 2 * RING_SIZE);

  publish_traced_run (traced, SMILEY_SINK (sink), FALSE);

  assert_traced_run_received (traced, listener_find_run (listener, "ring-not-taken"));
  g_assert_cmpuint (atomic_load (&header->events_consumed), ==, traced->sent->len);
  g_assert_cmpint (atomic_load (&header->consumer_pid), ==, 0);
  g_assert_cmpuint (atomic_load (&header->consumer_gone), ==, 0);
}

/* The ring's fd must come with the stream's first byte: a sink that
 * already sent the start of a run, or never began it, takes none. */
static void
test_ring_too_late (Fixture *fixture, gconstpointer data)
{
  Listener *listener = fixture->listener;
  g_autoptr (SmileySocketSink) sink = publisher_new (listener->endpoint);
  g_autoptr (SmileyRun) run = make_run ("flushed");
  g_autoptr (SmileyRun) other = make_run (NULL);
  g_autoptr (GError) error = NULL;

  g_assert_false (smiley_sink_takes_ring (SMILEY_SINK (sink), run));
  g_assert_true (smiley_sink_begin_run (SMILEY_SINK (sink), run, &error));
  g_assert_true (smiley_sink_takes_ring (SMILEY_SINK (sink), run));
  g_assert_false (smiley_sink_takes_ring (SMILEY_SINK (sink), other));
  g_assert_true (smiley_sink_flush (SMILEY_SINK (sink), &error));
  g_assert_false (smiley_sink_takes_ring (SMILEY_SINK (sink), run));
  finish_run (run);
  g_assert_true (smiley_sink_end_run (SMILEY_SINK (sink), run, &error));
  g_assert_no_error (error);
  g_assert_cmpint (listener_find_run (listener, "flushed")->end_state, ==, SMILEY_RUN_FINISHED);
}

/* A listener that refuses a run whose ring it took tells the tracer to
 * stop waiting for room, and the publisher that the run was not taken. */
static void
test_ring_refused (Fixture *fixture, gconstpointer data)
{
  Listener *listener = fixture->listener;
  g_autoptr (TracedRun) traced = traced_run_new ("ring-refused", fixture->dir, 3000);
  g_autoptr (SmileySocketSink) sink = publisher_new (listener->endpoint);
  g_autoptr (SmileyRun) run = NULL;
  g_autoptr (GError) error = NULL;
  SmileyRingHeader *header = traced->ring.header;
  guint             n_mappings = count_mappings ("/memfd:smiley-ring");

  listener->sink->refuse_run_id = g_strdup ("ring-refused");
  run = traced_run_begin_adopted (traced, SMILEY_SINK (sink));

  POLL_UNTIL (atomic_load (&header->consumer_gone) == 1);
  g_assert_true (
      listener_has_disconnect (listener, "a run with id ring-refused is already stored"));
  g_assert_true (smiley_ring_consumer_lost (&traced->ring));
  /* The listener let go of the ring; the publisher keeps its header
   * mapped until the run ends, to flag a hang-up in it. */
  POLL_UNTIL (count_mappings ("/memfd:smiley-ring") == n_mappings + 1);

  /* Nobody drains it: the program fills it, then stops recording
   * instead of hanging. */
  traced->give_up_ms = 100;
  traced_run_start (traced);
  traced_run_join (traced);
  g_assert_true (traced->gave_up);
  g_assert_cmpuint (traced->written, >, RING_SIZE / 2);
  g_assert_cmpuint (traced->written, <=, RING_SIZE);
  g_assert_cmpuint (atomic_load (&header->finished), ==, 0);

  smiley_run_conclude (run, FALSE, TRACED_EXIT_STATUS, 0, atomic_load (&header->events_emitted));
  g_assert_false (smiley_sink_end_run (SMILEY_SINK (sink), run, &error));
  g_assert_error (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_DISCONNECTED);
  g_assert_cmpuint (listener->sink->runs->len, ==, 0);
  g_assert_cmpuint (atomic_load (&header->events_consumed), ==, 0);

  /* The listener serves on. */
  {
    g_autoptr (TracedRun) next = traced_run_new ("ring-after-refused", fixture->dir, 500);

    publish_traced_run (next, SMILEY_SINK (sink), TRUE);
    assert_traced_run_received (next, listener_find_run (listener, "ring-after-refused"));
  }
}

/* The listener's sink fails on a run whose ring it drains: the listener
 * stops with the sink's error, tells the tracer to stop waiting for room,
 * and the publisher learns its run was not taken. */
static void
test_ring_sink_fails (Fixture *fixture, gconstpointer data)
{
  Listener *listener = fixture->listener;
  /* About 2.4 MB: more than the listener drops in the one drain that
   * meets the failure (1 MiB) before it stops. */
  g_autoptr (TracedRun) traced = traced_run_new ("ring-sink-fails", fixture->dir, 60000);
  g_autoptr (SmileySocketSink) sink = publisher_new (listener->endpoint);
  g_autoptr (SmileyRun) run = NULL;
  g_autoptr (GError) error = NULL;
  SmileyRingHeader *header = traced->ring.header;

  listener->sink->fail_after_pushes = 2;
  run = traced_run_begin_adopted (traced, SMILEY_SINK (sink));
  traced->give_up_ms = 100;
  traced_run_start (traced);
  traced_run_join (traced);
  /* More than the ring holds was to be written: the producer gave up on
   * the ring the stopped listener let go of, rather than hang. */
  g_assert_true (traced->gave_up);
  g_assert_cmpuint (atomic_load (&header->consumer_gone), ==, 1);

  g_thread_join (listener->thread);
  listener->thread = NULL;
  g_assert_false (listener->ok);
  g_assert_error (listener->error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);

  smiley_run_conclude (run, FALSE, TRACED_EXIT_STATUS, 0, atomic_load (&header->events_emitted));
  g_assert_false (smiley_sink_end_run (SMILEY_SINK (sink), run, &error));
  g_assert_error (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_DISCONNECTED);
}

/* A memfd of @size bytes whose header says @magic, with @seals. */
static int
make_memfd (gsize size, guint32 magic, int seals)
{
  int              fd = memfd_create ("hostile-ring", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  SmileyRingHeader header;

  g_assert_cmpint (fd, >=, 0);
  memset (&header, 0, sizeof header);
  header.magic = magic;
  header.version = SMILEY_RING_VERSION;
  header.size = size - SMILEY_RING_HEADER_SIZE;
  g_assert_cmpint (ftruncate (fd, size), ==, 0);
  g_assert_cmpint (pwrite (fd, &header, sizeof header, 0), ==, sizeof header);
  if (seals != 0)
    g_assert_cmpint (fcntl (fd, F_ADD_SEALS, seals), ==, 0);
  return fd;
}

/* Sends the start of run @id with @fds attached, as a publisher handing
 * its ring over does (just its stream header unless @whole, then hangs
 * up), and returns once the listener closed the connection. */
static void
send_ring_expect_closed (const char *endpoint, const char *id, const int *fds, guint n_fds,
                         gboolean whole)
{
  g_autoptr (GSocketConnection) connection = raw_connect (endpoint);
  GSocket *socket = g_socket_connection_get_socket (connection);
  g_autoptr (SmileyRun) run = make_run (id);
  g_autoptr (SmileyFrameWriter) writer = smiley_frame_writer_new ();
  g_autoptr (GSocketControlMessage) message = g_unix_fd_message_new ();
  g_autoptr (GError) error = NULL;
  g_autofree guint8 *bytes = NULL;
  GOutputVector      vector;
  guint8             buffer[64];
  gssize             n;

  for (guint i = 0; i < n_fds; i++)
    {
      g_assert_true (g_unix_fd_message_append_fd (G_UNIX_FD_MESSAGE (message), fds[i], &error));
      g_assert_no_error (error);
    }
  smiley_frame_writer_begin_run (writer, run);
  /* As the socket sink sends it: flagged as coming with a ring. */
  bytes = g_bytes_unref_to_data (smiley_frame_writer_take_bytes (writer), &vector.size);
  smiley_wire_set_stream_flags (bytes, SMILEY_WIRE_FLAG_RING);
  vector.buffer = bytes;
  if (!whole)
    vector.size = SMILEY_WIRE_STREAM_HEADER_SIZE;
  n = g_socket_send_message (socket, NULL, &vector, 1, &message, 1, G_SOCKET_MSG_NONE, NULL,
                             &error);
  g_assert_no_error (error);
  g_assert_cmpint (n, ==, vector.size);
  if (!whole)
    g_socket_shutdown (socket, FALSE, TRUE, NULL);

  g_socket_set_timeout (socket, WAIT_SECONDS);
  do
    n = g_socket_receive (socket, (char *)buffer, sizeof buffer, NULL, &error);
  while (n > 0);
  /* Closed by the listener, not timed out waiting for it. */
  g_assert_false (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT));
}

/* Sends a well-made ring after @prepare scribbled in it. */
static void
send_broken_ring (const char *endpoint, const char *id, void (*prepare) (SmileyRing *ring))
{
  SmileyRing ring;
  int        fd = smiley_ring_create (&ring, RING_SIZE);

  g_assert_cmpint (fd, >=, 0);
  prepare (&ring);
  send_ring_expect_closed (endpoint, id, &fd, 1, TRUE);
  /* The listener, on dropping the run, said so to the tracer. */
  g_assert_cmpuint (atomic_load (&ring.header->consumer_gone), ==, 1);
  smiley_ring_unmap (&ring);
  close (fd);
}

static void
claim_too_much (SmileyRing *ring)
{
  atomic_store (&ring->header->head, 3 * RING_SIZE + 5);
}

static void
publish_half_frame (SmileyRing *ring)
{
  guint8 *p = smiley_ring_write_pointer (ring);

  smiley_wire_put_frame_header (p, 1000, SMILEY_WIRE_STRINGS);
  memset (p + SMILEY_WIRE_FRAME_HEADER_SIZE, 0, 100);
  smiley_ring_publish (ring, 108);
}

static void
publish_garbage (SmileyRing *ring)
{
  memset (smiley_ring_write_pointer (ring), 0xff, 64);
  smiley_ring_publish (ring, 64);
}

/* Whatever a peer attaches in place of a ring, the listener turns it away
 * with a reason, keeps no fd and no mapping of it, and serves on. */
static void
test_ring_hostile (Fixture *fixture, gconstpointer data)
{
  Listener   *listener = fixture->listener;
  const char *endpoint = listener->endpoint;
  g_autoptr (SmileySocketSink) sink = NULL;
  guint     n_fds = 0;
  guint     n_disconnects = 0;
  int       fds[2];
  const int sealed = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL;
  struct
  {
    gsize       size;
    guint32     magic;
    int         seals;
    const char *reason;
  } memfds[] = {
    { SMILEY_RING_HEADER_SIZE + RING_SIZE, SMILEY_RING_MAGIC, 0,
      "the ring it handed over: the ring is not a memfd whose size is sealed" },
    /* Its seals must be final as well. */
    { SMILEY_RING_HEADER_SIZE + RING_SIZE, SMILEY_RING_MAGIC, F_SEAL_SHRINK,
      "the ring is not a memfd whose size is sealed" },
    { SMILEY_RING_HEADER_SIZE + RING_SIZE + 4096, SMILEY_RING_MAGIC, sealed,
      "the ring's 69632 bytes of data are not a power of two from 64 KiB to 1 GiB" },
    { SMILEY_RING_HEADER_SIZE + 4096, SMILEY_RING_MAGIC, sealed,
      "the ring's 4096 bytes of data are not a power of two" },
    { SMILEY_RING_HEADER_SIZE, SMILEY_RING_MAGIC, sealed, "the ring's 0 bytes of data" },
    { SMILEY_RING_HEADER_SIZE + RING_SIZE, 0x47524d53, sealed,
      "the ring's header is not a smiley ring of version 2 and 65536 bytes" },
    /* Nobody can write to it, the listener included. */
    { SMILEY_RING_HEADER_SIZE + RING_SIZE, SMILEY_RING_MAGIC, sealed | F_SEAL_WRITE,
      "the ring it handed over: cannot map the ring: " },
  };

  for (guint i = 0; i < G_N_ELEMENTS (memfds); i++)
    {
      fds[0] = make_memfd (memfds[i].size, memfds[i].magic, memfds[i].seals);
      send_ring_expect_closed (endpoint, NULL, fds, 1, TRUE);
      close (fds[0]);
      g_assert_true (listener_has_disconnect (listener, memfds[i].reason));
      g_assert_cmpuint (listener->disconnects->len, ==, ++n_disconnects);
      /* From here on, the listener's loop has made all it makes. */
      if (i == 0)
        n_fds = count_open_fds ();
    }

  g_assert_cmpint (pipe (fds), ==, 0);
  send_ring_expect_closed (endpoint, NULL, fds, 1, TRUE);
  close (fds[0]);
  close (fds[1]);
  g_assert_cmpuint (listener->disconnects->len, ==, ++n_disconnects);
  g_assert_true (
      listener_has_disconnect (listener, "the ring is not a memfd whose size is sealed"));

  fds[0] = make_memfd (SMILEY_RING_HEADER_SIZE + RING_SIZE, SMILEY_RING_MAGIC, sealed);
  fds[1] = make_memfd (SMILEY_RING_HEADER_SIZE + RING_SIZE, SMILEY_RING_MAGIC, sealed);
  send_ring_expect_closed (endpoint, NULL, fds, 2, TRUE);
  close (fds[0]);
  close (fds[1]);
  g_assert_true (listener_has_disconnect (listener, "it sent more than one file descriptor"));
  g_assert_cmpuint (listener->disconnects->len, ==, ++n_disconnects);

  /* Rings that pass the checks but hold what no tracer writes: the run
   * had begun, and ends as abnormal. */
  send_broken_ring (endpoint, "ring-overrun", claim_too_much);
  g_assert_true (listener_has_disconnect (
      listener, "reading the traced program's events: the ring of 65536 bytes claims to hold"));
  send_broken_ring (endpoint, "ring-half-frame", publish_half_frame);
  g_assert_true (listener_has_disconnect (listener, "bytes that are not a whole frame"));
  send_broken_ring (endpoint, "ring-garbage", publish_garbage);
  g_assert_cmpuint (listener->disconnects->len, ==, n_disconnects + 3);
  n_disconnects += 3;
  for (guint i = 0; i < listener->sink->runs->len; i++)
    {
      RecordedRun *got = listener->sink->runs->pdata[i];

      g_assert_cmpuint (got->n_end, ==, 1);
      g_assert_cmpint (got->end_state, ==, SMILEY_RUN_ABNORMAL);
      g_assert_true (g_str_has_prefix (got->end_error,
                                       "protocol error: reading the traced program's events: "));
    }
  g_assert_cmpuint (listener->sink->runs->len, ==, 3);

  /* A ring whose run never began. */
  fds[0] = make_memfd (SMILEY_RING_HEADER_SIZE + RING_SIZE, SMILEY_RING_MAGIC, sealed);
  send_ring_expect_closed (endpoint, NULL, fds, 1, FALSE);
  close (fds[0]);

  /* A good run still gets through. */
  sink = publisher_new (endpoint);
  {
    g_autoptr (TracedRun) good = traced_run_new ("ring-after-hostile", fixture->dir, 500);

    publish_traced_run (good, SMILEY_SINK (sink), TRUE);
    assert_traced_run_received (good, listener_find_run (listener, "ring-after-hostile"));
  }
  g_clear_object (&sink);
  g_assert_cmpuint (listener->disconnects->len, ==, n_disconnects);

  /* Nothing the peers sent stays open or mapped in the listener. */
  POLL_UNTIL (count_open_fds () == n_fds);
  POLL_UNTIL (count_mappings ("/memfd:") == 0);
}

/* `smiley run` killed mid-run: its connection closes without RUN_END. What
 * the tracer had put in the ring is still delivered, and the run ends as
 * abnormal. */
static void
test_ring_publisher_killed (Fixture *fixture, gconstpointer data)
{
  Listener          *listener = fixture->listener;
  TestRecordingSink *recorder = listener->sink;
  g_autoptr (TracedRun) traced = traced_run_new ("ring-cut", fixture->dir, 600);
  SmileySocketSink *sink = publisher_new (listener->endpoint);
  g_autoptr (SmileyRun) run = NULL;
  SmileyRingHeader *header = traced->ring.header;
  guint             n_mappings = count_mappings ("/memfd:smiley-ring");
  RecordedRun      *got;

  /* The listener's thread waits in begin_run until the publisher is gone,
   * so it finds all the events still in the ring then. */
  g_assert_cmpuint (traced->events_end, <, RING_SIZE);
  g_mutex_lock (&recorder->lock);
  recorder->hold_begin = TRUE;
  g_mutex_unlock (&recorder->lock);

  run = traced_run_begin_adopted (traced, SMILEY_SINK (sink));
  g_mutex_lock (&recorder->lock);
  while (recorder->n_holding == 0)
    g_cond_wait (&recorder->cond, &recorder->lock);
  g_mutex_unlock (&recorder->lock);

  /* The program is cut short too: no STATS, no RUN_END. */
  traced->stop_at = traced->events_end;
  traced_run_start (traced);
  traced_run_join (traced);
  g_assert_false (traced->gave_up);
  g_assert_cmpuint (smiley_ring_readable (&traced->ring), ==, traced->events_end);
  g_clear_object (&sink);

  g_mutex_lock (&recorder->lock);
  recorder->hold_begin = FALSE;
  g_cond_broadcast (&recorder->cond);
  g_mutex_unlock (&recorder->lock);

  recording_sink_wait_ended (recorder, 1);
  got = listener_find_run (listener, "ring-cut");
  g_assert_nonnull (got);
  g_assert_cmpuint (got->n_end, ==, 1);
  g_assert_cmpint (got->end_state, ==, SMILEY_RUN_ABNORMAL);
  g_assert_cmpstr (got->end_error, ==, "connection lost");
  g_assert_cmpint (smiley_run_get_end_time (got->run), >, 0);
  g_assert_cmpuint (got->n_events, ==, traced->sent->len);
  assert_same_events (traced->run, traced->sent, got->run, got->batches);
  g_assert_cmpuint (atomic_load (&header->events_consumed), ==, traced->sent->len);
  POLL_UNTIL (count_mappings ("/memfd:smiley-ring") == n_mappings);
  g_assert_cmpuint (atomic_load (&header->consumer_gone), ==, 1);
}

/* The traced program killed by a signal before the tracer wrote its end:
 * the publisher says how it ended, and the listener ends the run as
 * abnormal, with every event the ring held. */
static void
test_ring_program_killed (Fixture *fixture, gconstpointer data)
{
  Listener *listener = fixture->listener;
  g_autoptr (TracedRun) traced = traced_run_new ("ring-killed", fixture->dir, 3000);
  g_autoptr (SmileySocketSink) sink = publisher_new (listener->endpoint);
  g_autoptr (SmileyRun) run = NULL;
  g_autoptr (GError) error = NULL;
  SmileyRingHeader *header = traced->ring.header;
  gint64            before = g_get_real_time ();
  RecordedRun      *got;

  run = traced_run_begin_adopted (traced, SMILEY_SINK (sink));
  traced->stop_at = traced->events_end;
  traced_run_start (traced);
  traced_run_join (traced);
  g_assert_false (traced->gave_up);
  g_assert_cmpuint (atomic_load (&header->finished), ==, 0);

  smiley_run_conclude (run, FALSE, 128 + SIGKILL, SIGKILL, atomic_load (&header->events_emitted));
  g_assert_true (smiley_sink_end_run (SMILEY_SINK (sink), run, &error));
  g_assert_no_error (error);

  got = listener_find_run (listener, "ring-killed");
  g_assert_nonnull (got);
  g_assert_cmpuint (got->n_end, ==, 1);
  g_assert_cmpint (got->end_state, ==, SMILEY_RUN_ABNORMAL);
  g_assert_cmpint (smiley_run_get_exit_status (got->run), ==, 128 + SIGKILL);
  g_assert_cmpint (smiley_run_get_signal (got->run), ==, SIGKILL);
  g_assert_cmpuint (smiley_run_get_events_emitted (got->run), ==, traced->sent->len);
  g_assert_cmpint (smiley_run_get_end_time (got->run), >=, before);
  g_assert_null (smiley_run_get_stats (got->run));
  g_assert_cmpuint (got->n_events, ==, traced->sent->len);
  assert_same_events (traced->run, traced->sent, got->run, got->batches);
  g_assert_cmpuint (atomic_load (&header->events_consumed), ==, traced->sent->len);
}

#define ADD_LISTENER_TEST(path, data, func)                                                        \
  g_test_add (path, Fixture, data, fixture_set_up_listener, func, fixture_tear_down)
#define ADD_DIR_TEST(path, func)                                                                   \
  g_test_add (path, Fixture, NULL, fixture_set_up_dir, func, fixture_tear_down)

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/smiley/socket/endpoint/parse", test_endpoint_parse);
  g_test_add_func ("/smiley/socket/endpoint/default", test_endpoint_default);
  g_test_add_func ("/smiley/socket/endpoint/default-listen", test_default_listen);
  g_test_add_func ("/smiley/socket/endpoint/bad", test_bad_endpoint);
  ADD_LISTENER_TEST ("/smiley/socket/roundtrip/unix", "unix", test_roundtrip);
  ADD_LISTENER_TEST ("/smiley/socket/roundtrip/tcp", "tcp", test_roundtrip);
  ADD_LISTENER_TEST ("/smiley/socket/push-encoded", NULL, test_push_encoded);
  ADD_LISTENER_TEST ("/smiley/socket/concurrent", NULL, test_concurrent);
  ADD_LISTENER_TEST ("/smiley/socket/closed-mid-run", NULL, test_closed_mid_run);
  ADD_LISTENER_TEST ("/smiley/socket/bad-peers/unix", "unix", test_bad_peers);
  ADD_LISTENER_TEST ("/smiley/socket/bad-peers/tcp", "tcp", test_bad_peers);
  ADD_LISTENER_TEST ("/smiley/socket/fuzz", NULL, test_fuzz);
  ADD_DIR_TEST ("/smiley/socket/nobody-listening", test_nobody_listening);
  ADD_DIR_TEST ("/smiley/socket/not-accepting", test_listener_not_accepting);
  ADD_LISTENER_TEST ("/smiley/socket/already-listening/unix", "unix", test_already_listening);
  ADD_LISTENER_TEST ("/smiley/socket/already-listening/tcp", "tcp", test_already_listening);
  ADD_DIR_TEST ("/smiley/socket/foreign-listener", test_foreign_listener);
  ADD_DIR_TEST ("/smiley/socket/socket-file", test_socket_file);
  ADD_LISTENER_TEST ("/smiley/socket/listener-stopped", NULL, test_listener_stopped);
  ADD_LISTENER_TEST ("/smiley/socket/large-source", NULL, test_large_source);
  ADD_LISTENER_TEST ("/smiley/socket/sink-fails", NULL, test_sink_fails);
  ADD_LISTENER_TEST ("/smiley/socket/sink-refuses-run", NULL, test_sink_refuses_run);
  ADD_LISTENER_TEST ("/smiley/socket/duplicate-run", NULL, test_duplicate_run);
  ADD_LISTENER_TEST ("/smiley/socket/other-user/publisher", NULL, test_other_user_publisher);
  ADD_DIR_TEST ("/smiley/socket/other-user/listener", test_other_user_listener);
  ADD_LISTENER_TEST ("/smiley/socket/backpressure", NULL, test_backpressure);
  ADD_LISTENER_TEST ("/smiley/socket/throughput", NULL, test_throughput);
  ADD_LISTENER_TEST ("/smiley/socket/ring/roundtrip", NULL, test_ring_roundtrip);
  ADD_LISTENER_TEST ("/smiley/socket/ring/not-taken/tcp", "tcp", test_ring_not_taken);
  ADD_LISTENER_TEST ("/smiley/socket/ring/not-taken/unshared", "unshared", test_ring_not_taken);
  ADD_LISTENER_TEST ("/smiley/socket/ring/too-late", NULL, test_ring_too_late);
  ADD_LISTENER_TEST ("/smiley/socket/ring/refused", NULL, test_ring_refused);
  ADD_LISTENER_TEST ("/smiley/socket/ring/sink-fails", NULL, test_ring_sink_fails);
  ADD_LISTENER_TEST ("/smiley/socket/ring/hostile", NULL, test_ring_hostile);
  ADD_LISTENER_TEST ("/smiley/socket/ring/publisher-killed", NULL, test_ring_publisher_killed);
  ADD_LISTENER_TEST ("/smiley/socket/ring/program-killed", NULL, test_ring_program_killed);

  return g_test_run ();
}
