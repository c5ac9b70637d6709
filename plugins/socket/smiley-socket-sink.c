/* smiley-socket-sink.c: publishes runs to a listening smiley
 *
 * SPDX-License-Identifier: Apache-2.0
 */
/* memfd seals, in smiley-ring.h */
#define _GNU_SOURCE 1

#include "smiley-build-config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gio/gunixfdmessage.h>

#include "smiley-ring.h"
#include "smiley-socket-private.h"
#include "smiley-socket-sink.h"

/**
 * SmileySocketSink:
 *
 * The sink behind `smiley run` (without `--local`): every run it is given
 * goes over its own connection to a `smiley monitor` or `smiley record`
 * listening on #SmileySocketSink:endpoint, encoded with
 * #SmileyFrameWriter.
 *
 * Writes block. The tracer calls the sink from its own thread, not from the
 * traced program's, so a slow listener slows the publisher down instead of
 * losing events. A listener that goes away mid-run makes the next push
 * fail: the events cannot be delivered, and saying so beats pretending.
 * end_run() waits for the listener to confirm the run with an ACK byte, so
 * a successful end means the listener's sink took every event.
 *
 * A listener on the same machine is handed the tracer's ring instead
 * (#SmileySocketSink:share-ring): the events then go from the traced
 * program to the listener without passing through this process at all,
 * and the connection only carries the run's start and end.
 */

typedef struct
{
  GSocketConnection *connection;
  SmileyFrameWriter *writer;
  /* Set once a write failed; later calls repeat the failure. */
  char *failure;
  /* The listener's pid as this process sees it, 0 if unknown or remote. */
  pid_t listener_pid;
  /* The tracer's ring went to the listener: its header, and a thread
   * that says in it when the listener hangs up. */
  SmileyRingHeader *ring_header;
  GCancellable     *watch_cancel;
  GThread          *watcher;
} Stream;

static void
stream_stop_watching (Stream *stream)
{
  if (stream->watcher == NULL)
    return;
  g_cancellable_cancel (stream->watch_cancel);
  g_thread_join (g_steal_pointer (&stream->watcher));
  g_clear_object (&stream->watch_cancel);
}

struct _SmileySocketSink
{
  GObject parent_instance;

  char    *endpoint;
  guint    connect_timeout;
  gboolean share_ring;

  SmileySocketEndpoint *parsed;
  char                 *name;
  /* Made by g_initable_init() so that `smiley run` fails before the
   * program starts when nobody listens; the first run takes it. */
  GSocketConnection *spare;
  pid_t              spare_pid;
  GHashTable        *streams; /* SmileyRun* → Stream* */
};

enum
{
  PROP_0,
  PROP_ENDPOINT,
  PROP_CONNECT_TIMEOUT,
  PROP_SHARE_RING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void smiley_socket_sink_iface_init (SmileySinkInterface *iface);
static void smiley_socket_sink_initable_iface_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SmileySocketSink, smiley_socket_sink, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SMILEY_TYPE_SINK,
                                                      smiley_socket_sink_iface_init)
                                   G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                          smiley_socket_sink_initable_iface_init))

static void
stream_free (gpointer data)
{
  Stream *stream = data;

  stream_stop_watching (stream);
  if (stream->ring_header != NULL)
    munmap (stream->ring_header, SMILEY_RING_HEADER_SIZE);
  /* Closing without RUN_END is how the listener learns the run was cut
   * short: it records the run as ended abnormally. */
  g_io_stream_close (G_IO_STREAM (stream->connection), NULL, NULL);
  g_object_unref (stream->connection);
  smiley_frame_writer_free (stream->writer);
  g_free (stream->failure);
  g_free (stream);
}

static gboolean
smiley_socket_sink_prepare (SmileySocketSink *self, GError **error)
{
  if (self->parsed != NULL)
    return TRUE;

  self->parsed = smiley_socket_endpoint_parse (self->endpoint, error);
  if (self->parsed == NULL)
    return FALSE;
  self->name = smiley_socket_endpoint_to_string (self->parsed);
  return TRUE;
}

static void
set_connect_error (SmileySocketSink *self, GError *cause, GError **error)
{
  if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED)
      || g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    g_set_error (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_NOT_LISTENING,
                 "nobody is listening on %s: start 'smiley monitor' or 'smiley record', "
                 "or use 'smiley run --local'",
                 self->name);
  else if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    g_set_error (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_NOT_LISTENING,
                 "the listener on %s did not accept the connection within %u s: it is stopped "
                 "or overloaded; restart 'smiley monitor' or 'smiley record', or use "
                 "'smiley run --local'",
                 self->name, self->connect_timeout);
  else if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    /* A Unix listener whose backlog is full refuses at once (EAGAIN)
     * instead of making connect() wait. */
    g_set_error (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_NOT_LISTENING,
                 "the listener on %s is not accepting connections: it is stopped or "
                 "overloaded; restart 'smiley monitor' or 'smiley record', or use "
                 "'smiley run --local'",
                 self->name);
  else if (cause->domain == G_RESOLVER_ERROR)
    g_set_error (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_ENDPOINT,
                 "%s: cannot resolve host '%s': %s", self->name, self->parsed->host,
                 cause->message);
  else
    g_set_error (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_FAILED, "cannot connect to %s: %s",
                 self->name, cause->message);
}

/* On a Unix socket the kernel tells who listens (SO_PEERCRED). Traces hold
 * program data, so they only go to a listener of the same user, even if
 * the socket file was left writable by someone. */
static gboolean
check_listener_user (SmileySocketSink *self, GSocket *socket, pid_t *pid, GError **error)
{
  g_autoptr (GCredentials) credentials = NULL;
  g_autoptr (GError) local_error = NULL;
  uid_t uid;

  credentials = g_socket_get_credentials (socket, &local_error);
  uid = credentials != NULL ? g_credentials_get_unix_user (credentials, &local_error) : (uid_t)-1;
  *pid = credentials != NULL ? g_credentials_get_unix_pid (credentials, NULL) : -1;
  if (uid == (uid_t)-1)
    {
      g_set_error (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_UNSAFE,
                   "%s: cannot tell which user listens there (%s); refusing to send traces",
                   self->name, local_error->message);
      return FALSE;
    }
  if (uid != getuid ())
    {
      g_set_error (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_UNSAFE,
                   "%s: the listener runs as uid %u, not as you (uid %u); refusing to send "
                   "traces to another user",
                   self->name, (guint)uid, (guint)getuid ());
      return FALSE;
    }
  return TRUE;
}

static GSocketConnection *
smiley_socket_sink_connect (SmileySocketSink *self, pid_t *listener_pid, GError **error)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnectable) connectable = NULL;
  g_autoptr (GSocketConnection) connection = NULL;
  g_autoptr (GError) local_error = NULL;
  GSocket *socket;

  /* A stopped listener whose backlog is full would make connect() wait
   * forever on a Unix socket; `smiley run` must fail instead. */
  g_socket_client_set_timeout (client, self->connect_timeout);
  /* Traces go straight to the listener, never through a proxy; this also
   * keeps GIO from loading a proxy resolver that might look things up on
   * the network. */
  g_socket_client_set_enable_proxy (client, FALSE);
  connectable = smiley_socket_endpoint_get_connectable (self->parsed);
  connection = g_socket_client_connect (client, connectable, NULL, &local_error);
  if (connection == NULL)
    {
      set_connect_error (self, local_error, error);
      return NULL;
    }

  socket = g_socket_connection_get_socket (connection);
  /* The client's timeout stays on the socket; once connected, writes must
   * wait as long as the listener needs (lossless back-pressure). */
  g_socket_set_timeout (socket, 0);

  *listener_pid = 0;
  if (self->parsed->kind == SMILEY_SOCKET_ENDPOINT_UNIX
      && !check_listener_user (self, socket, listener_pid, error))
    return NULL;

  return g_steal_pointer (&connection);
}

static gboolean
smiley_socket_sink_initable_init (GInitable *initable, GCancellable *cancellable, GError **error)
{
  SmileySocketSink *self = SMILEY_SOCKET_SINK (initable);

  if (!smiley_socket_sink_prepare (self, error))
    return FALSE;
  if (self->spare != NULL)
    return TRUE;

  self->spare = smiley_socket_sink_connect (self, &self->spare_pid, error);
  return self->spare != NULL;
}

static gboolean
stream_write_pending (SmileySocketSink *self, Stream *stream, SmileyRun *run, GError **error)
{
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) local_error = NULL;
  GOutputStream *output;
  gsize          length;
  const guint8  *data;

  if (stream->failure != NULL)
    {
      g_set_error_literal (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_DISCONNECTED,
                           stream->failure);
      return FALSE;
    }

  bytes = smiley_frame_writer_take_bytes (stream->writer);
  data = g_bytes_get_data (bytes, &length);
  if (length == 0)
    return TRUE;

  output = g_io_stream_get_output_stream (G_IO_STREAM (stream->connection));
  if (!g_output_stream_write_all (output, data, length, NULL, NULL, &local_error))
    {
      /* With the ring handed over, only the run's end is written here:
       * the listener dropped the run (it died, stopped or refused it)
       * while the program ran, and the tracer stopped then. */
      if (stream->ring_header != NULL)
        stream->failure = g_strdup_printf (
            "the listener on %s stopped taking run %s while the program ran (%s); the program "
            "went on untraced from there",
            self->name, smiley_run_get_id (run), local_error->message);
      else
        stream->failure
            = g_strdup_printf ("lost the connection to the listener on %s (%s): "
                               "the rest of run %s cannot be recorded",
                               self->name, local_error->message, smiley_run_get_id (run));
      g_set_error_literal (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_DISCONNECTED,
                           stream->failure);
      return FALSE;
    }

  return TRUE;
}

static Stream *
lookup_stream (SmileySocketSink *self, SmileyRun *run, GError **error)
{
  Stream *stream = g_hash_table_lookup (self->streams, run);

  if (stream == NULL)
    g_set_error (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_FAILED,
                 "run %s has not begun on the socket sink", smiley_run_get_id (run));
  return stream;
}

static gboolean
smiley_socket_sink_begin_run (SmileySink *sink, SmileyRun *run, GError **error)
{
  SmileySocketSink  *self = SMILEY_SOCKET_SINK (sink);
  GSocketConnection *connection;
  Stream            *stream;
  pid_t              listener_pid = self->spare_pid;

  if (g_hash_table_contains (self->streams, run))
    {
      g_set_error (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_FAILED,
                   "run %s has already begun on the socket sink", smiley_run_get_id (run));
      return FALSE;
    }
  if (!smiley_socket_sink_prepare (self, error))
    return FALSE;

  /* One connection per run keeps each stream self-contained, so that
   * runs a listener receives at once never mix. */
  if (self->spare != NULL)
    connection = g_steal_pointer (&self->spare);
  else if ((connection = smiley_socket_sink_connect (self, &listener_pid, error)) == NULL)
    return FALSE;

  stream = g_new0 (Stream, 1);
  stream->connection = connection;
  stream->listener_pid = listener_pid;
  stream->writer = smiley_frame_writer_new ();
  g_hash_table_insert (self->streams, g_object_ref (run), stream);

  /* Sent with whatever comes next: the ring, if the run's source hands
   * it over, must come with the stream's first byte. */
  smiley_frame_writer_begin_run (stream->writer, run);
  return TRUE;
}

/* Whether @pid sees the same files as we do: it will read the run's
 * source files by the names the run has here. */
static gboolean
same_mount_namespace (pid_t pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/ns/mnt", (int)pid);
  struct stat      ours, theirs;

  return pid > 0 && stat ("/proc/self/ns/mnt", &ours) == 0 && stat (path, &theirs) == 0
         && ours.st_dev == theirs.st_dev && ours.st_ino == theirs.st_ino;
}

static gboolean
smiley_socket_sink_takes_ring (SmileySink *sink, SmileyRun *run)
{
  SmileySocketSink *self = SMILEY_SOCKET_SINK (sink);
  Stream           *stream = g_hash_table_lookup (self->streams, run);

  /* Only a listener known to be this user's, on this machine, seeing the
   * same files, can drain the ring in our place. */
  return self->share_ring && stream != NULL && stream->failure == NULL
         && self->parsed->kind == SMILEY_SOCKET_ENDPOINT_UNIX
         && smiley_frame_writer_get_pending (stream->writer) > 0
         && same_mount_namespace (stream->listener_pid);
}

/* Tells the tracer who drains its ring now, so that it stops waiting on a
 * full ring if the listener dies (smiley_ring_consumer_lost()). */
static gboolean
name_consumer (Stream *stream, int ring_fd, GError **error)
{
  SmileyRingHeader *header
      = mmap (NULL, SMILEY_RING_HEADER_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, ring_fd, 0);

  if (header == MAP_FAILED)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "cannot map the event ring: %s", g_strerror (saved_errno));
      return FALSE;
    }
  atomic_store (&header->consumer_pid, (int32_t)stream->listener_pid);
  stream->ring_header = header;
  return TRUE;
}

/* While the listener drains the ring, nothing flows on the connection
 * until the ACK: any sign of life on it before end_run() is a hang-up.
 * The tracer would notice the listener's pid vanish, but not while it is
 * an unreaped zombie, or reused: so it is told in the ring. */
static gpointer
watch_listener (gpointer data)
{
  Stream *stream = data;

  if (g_socket_condition_wait (g_socket_connection_get_socket (stream->connection),
                               G_IO_IN | G_IO_HUP | G_IO_ERR, stream->watch_cancel, NULL))
    atomic_store (&stream->ring_header->consumer_gone, 1);
  return NULL;
}

/* The run's start goes out with the ring's memfd attached to its first
 * byte (SCM_RIGHTS); the listener maps it and drains it from then on. */
static gboolean
smiley_socket_sink_adopt_ring (SmileySink *sink, SmileyRun *run, int ring_fd, GError **error)
{
  SmileySocketSink *self = SMILEY_SOCKET_SINK (sink);
  Stream           *stream = lookup_stream (self, run, error);
  g_autoptr (GUnixFDList) fds = g_unix_fd_list_new ();
  g_autoptr (GSocketControlMessage) message = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autofree guint8 *start = NULL;
  gsize              length;
  GOutputVector      vector;
  GOutputStream     *output;
  gssize             sent;

  if (stream == NULL || !name_consumer (stream, ring_fd, error))
    return FALSE;
  if (g_unix_fd_list_append (fds, ring_fd, error) < 0)
    return FALSE;
  message = g_unix_fd_message_new_with_fd_list (fds);
  /* The pending bytes start with the stream header (takes_ring() checked
   * that nothing was sent): its flag tells the listener a ring comes with
   * it, and makes a listener that cannot take one refuse the stream
   * rather than wait for events that would never come. */
  start = g_bytes_unref_to_data (smiley_frame_writer_take_bytes (stream->writer), &length);
  smiley_wire_set_stream_flags (start, SMILEY_WIRE_FLAG_RING);
  vector.buffer = start;
  vector.size = length;
  sent = g_socket_send_message (g_socket_connection_get_socket (stream->connection), NULL, &vector,
                                1, &message, 1, G_SOCKET_MSG_NONE, NULL, &local_error);
  output = g_io_stream_get_output_stream (G_IO_STREAM (stream->connection));
  if (sent < 0
      || !g_output_stream_write_all (output, (const guint8 *)vector.buffer + sent,
                                     vector.size - (gsize)sent, NULL, NULL, &local_error))
    {
      stream->failure = g_strdup_printf ("cannot hand the run to the listener on %s: %s",
                                         self->name, local_error->message);
      g_set_error_literal (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_DISCONNECTED,
                           stream->failure);
      return FALSE;
    }
  stream->watch_cancel = g_cancellable_new ();
  stream->watcher = g_thread_new ("smiley-listener-watch", watch_listener, stream);
  return TRUE;
}

static gboolean
smiley_socket_sink_push (SmileySink *sink, SmileyRun *run, SmileyBatch *batch, GError **error)
{
  SmileySocketSink *self = SMILEY_SOCKET_SINK (sink);
  Stream           *stream = lookup_stream (self, run, error);

  if (stream == NULL)
    return FALSE;
  if (stream->failure == NULL)
    smiley_frame_writer_push (stream->writer, run, batch);
  return stream_write_pending (self, stream, run, error);
}

/* The tracer's frames go out without being decoded and encoded again,
 * merged into larger frames, after the strings, threads and sources they
 * need (docs/transport.md). */
static gboolean
smiley_socket_sink_push_encoded (SmileySink *sink, SmileyRun *run, const guint8 *frames,
                                 gsize length, guint n_events, GError **error)
{
  SmileySocketSink *self = SMILEY_SOCKET_SINK (sink);
  Stream           *stream = lookup_stream (self, run, error);

  if (stream == NULL)
    return FALSE;
  if (stream->failure == NULL)
    smiley_frame_writer_push_encoded (stream->writer, run, frames, length, n_events);
  return stream_write_pending (self, stream, run, error);
}

static gboolean
wait_for_ack (SmileySocketSink *self, Stream *stream, SmileyRun *run, GError **error)
{
  GInputStream *input = g_io_stream_get_input_stream (G_IO_STREAM (stream->connection));
  g_autoptr (GError) local_error = NULL;
  guint8 answer = 0;
  gssize n;

  n = g_input_stream_read (input, &answer, 1, NULL, &local_error);
  if (n == 1 && answer == SMILEY_SOCKET_ACK)
    return TRUE;

  if (n < 0)
    g_set_error (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_DISCONNECTED,
                 "lost the connection to the listener on %s before it confirmed run %s (%s): "
                 "its end may not have been recorded",
                 self->name, smiley_run_get_id (run), local_error->message);
  else if (n == 0)
    g_set_error (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_DISCONNECTED,
                 "the listener on %s closed the connection before confirming run %s: it "
                 "stopped or could not store it; see its messages",
                 self->name, smiley_run_get_id (run));
  else
    g_set_error (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_FAILED,
                 "the listener on %s answered run %s with byte 0x%02x instead of a "
                 "confirmation: is it a smiley of another version?",
                 self->name, smiley_run_get_id (run), answer);
  return FALSE;
}

static gboolean
smiley_socket_sink_end_run (SmileySink *sink, SmileyRun *run, GError **error)
{
  SmileySocketSink *self = SMILEY_SOCKET_SINK (sink);
  Stream           *stream = lookup_stream (self, run, error);
  gboolean          ok;

  if (stream == NULL)
    return FALSE;

  /* The program is gone: from here on the ACK is awaited here. */
  stream_stop_watching (stream);
  if (stream->failure == NULL)
    smiley_frame_writer_end_run (stream->writer, run);
  ok = stream_write_pending (self, stream, run, error) && wait_for_ack (self, stream, run, error);

  g_hash_table_remove (self->streams, run);
  return ok;
}

/* Sends what is pending, the start of runs that have pushed nothing yet
 * included. */
static gboolean
smiley_socket_sink_flush (SmileySink *sink, GError **error)
{
  SmileySocketSink *self = SMILEY_SOCKET_SINK (sink);
  GHashTableIter    iter;
  gpointer          run, stream;

  g_hash_table_iter_init (&iter, self->streams);
  while (g_hash_table_iter_next (&iter, &run, &stream))
    if (!stream_write_pending (self, stream, run, error))
      return FALSE;
  return TRUE;
}

static void
smiley_socket_sink_iface_init (SmileySinkInterface *iface)
{
  iface->begin_run = smiley_socket_sink_begin_run;
  iface->push = smiley_socket_sink_push;
  iface->push_encoded = smiley_socket_sink_push_encoded;
  iface->takes_ring = smiley_socket_sink_takes_ring;
  iface->adopt_ring = smiley_socket_sink_adopt_ring;
  iface->end_run = smiley_socket_sink_end_run;
  iface->flush = smiley_socket_sink_flush;
}

static void
smiley_socket_sink_initable_iface_init (GInitableIface *iface)
{
  iface->init = smiley_socket_sink_initable_init;
}

static void
smiley_socket_sink_finalize (GObject *object)
{
  SmileySocketSink *self = SMILEY_SOCKET_SINK (object);

  g_hash_table_unref (self->streams);
  if (self->spare != NULL)
    g_io_stream_close (G_IO_STREAM (self->spare), NULL, NULL);
  g_clear_object (&self->spare);
  g_clear_pointer (&self->parsed, smiley_socket_endpoint_free);
  g_free (self->name);
  g_free (self->endpoint);

  G_OBJECT_CLASS (smiley_socket_sink_parent_class)->finalize (object);
}

static void
smiley_socket_sink_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SmileySocketSink *self = SMILEY_SOCKET_SINK (object);

  switch (prop_id)
    {
    case PROP_ENDPOINT:
      g_value_set_string (value, self->endpoint);
      break;
    case PROP_CONNECT_TIMEOUT:
      g_value_set_uint (value, self->connect_timeout);
      break;
    case PROP_SHARE_RING:
      g_value_set_boolean (value, self->share_ring);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
smiley_socket_sink_set_property (GObject *object, guint prop_id, const GValue *value,
                                 GParamSpec *pspec)
{
  SmileySocketSink *self = SMILEY_SOCKET_SINK (object);

  switch (prop_id)
    {
    case PROP_ENDPOINT:
      g_free (self->endpoint);
      self->endpoint = g_value_dup_string (value);
      /* Parsed again by the next init or run. */
      g_clear_pointer (&self->parsed, smiley_socket_endpoint_free);
      g_clear_pointer (&self->name, g_free);
      break;
    case PROP_CONNECT_TIMEOUT:
      self->connect_timeout = g_value_get_uint (value);
      break;
    case PROP_SHARE_RING:
      self->share_ring = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
smiley_socket_sink_class_init (SmileySocketSinkClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = smiley_socket_sink_finalize;
  object_class->get_property = smiley_socket_sink_get_property;
  object_class->set_property = smiley_socket_sink_set_property;

  /**
   * SmileySocketSink:endpoint:
   *
   * Where the listener is: `unix:PATH` or `tcp://HOST:PORT`; %NULL for
   * the per-user default socket (see docs/transport.md).
   */
  properties[PROP_ENDPOINT]
      = g_param_spec_string ("endpoint", NULL, NULL, NULL,
                             G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * SmileySocketSink:connect-timeout:
   *
   * Seconds to wait for the listener to accept a connection.
   */
  properties[PROP_CONNECT_TIMEOUT]
      = g_param_spec_uint ("connect-timeout", NULL, NULL, 1, 600, 5,
                           G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * SmileySocketSink:share-ring:
   *
   * Hand the tracer's shared-memory ring to a listener on the same
   * machine (a Unix socket, the same user, the same files), which then
   * drains it itself: the events do not pass through `smiley run`. Off,
   * or over TCP, the events are forwarded over the connection.
   */
  properties[PROP_SHARE_RING]
      = g_param_spec_boolean ("share-ring", NULL, NULL, TRUE,
                              G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
smiley_socket_sink_init (SmileySocketSink *self)
{
  self->connect_timeout = 5;
  self->share_ring = TRUE;
  self->streams
      = g_hash_table_new_full (g_direct_hash, g_direct_equal, g_object_unref, stream_free);
}
