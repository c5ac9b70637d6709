/* smiley-socket-source.c: receives runs from publishing smileys
 *
 * SPDX-License-Identifier: Apache-2.0
 */
/* memfd seals, in smiley-ring.h */
#define _GNU_SOURCE 1

#include "smiley-build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gunixfdmessage.h>
#include <glib/gstdio.h>

#include "smiley-ring-consumer.h"
#include "smiley-socket-private.h"
#include "smiley-socket-source.h"

/**
 * SmileySocketSource:
 *
 * The source behind `smiley monitor` and `smiley record`: it listens on
 * #SmileySocketSource:endpoint and passes every run that `smiley run`
 * publishes there to its sink, many runs at once.
 *
 * Everything happens on the thread that calls smiley_source_run(), in a
 * main context of its own, so the sink is only ever called from that
 * thread. A connection is read only while nothing else is: while the sink
 * works on a batch no connection is read, the kernel's socket buffers fill
 * up, and the publishers' writes block — back-pressure without loss.
 *
 * Peers are not trusted. A peer that sends something that is not a smiley
 * stream is disconnected with one line on stderr ("smiley: disconnecting
 * peer …: REASON") and its run, if it had begun, ends as abnormal; every
 * other connection carries on.
 *
 * A publisher on the same machine may attach its tracer's ring to the
 * first bytes of its stream (docs/transport.md). The connection then
 * carries only the run's start and end, and the run's frames are taken
 * from the ring by a SmileyRingConsumer, polled from the same main
 * context: the producer does not wake us, we look every RING_POLL_MS
 * while the ring is empty, which is how the python source's own reader
 * waits too.
 */

/* How much of one connection is read before others get their turn. */
#define READ_CHUNK_SIZE (256 * 1024)
/* Consecutive EVENTS frames already received are merged into batches of
 * up to this many events: the tracer sends one event per frame, and a
 * store pays per batch (a transaction). Merging never waits for data. */
#define MAX_BATCH 8192
/* How often an empty ring is looked at, and how much of a ring is taken
 * before other connections get their turn. */
#define RING_POLL_MS 10
#define RING_CHUNK_SIZE (1u << 20)

typedef struct _Server Server;

typedef struct
{
  Server            *server;
  GSocket           *socket;
  GSource           *watch;
  SmileyFrameReader *reader;
  /* Set between RUN_BEGIN and the run's end_run on the sink. */
  SmileyRun *run;
  /* Who is at the other end, for messages: "pid 1234" or "127.0.0.1:5678". */
  char *peer;
  /* A Unix peer may attach its ring to the stream's first bytes: read
   * with room for one fd until the run begins. */
  gboolean    accepts_ring;
  gboolean    extra_fds;
  gboolean    fds_truncated;
  int         ring_fd;
  SmileyRing *ring;
  /* Set in ring mode: it makes connection->run, and a GSource drains it. */
  SmileyRingConsumer *consumer;
  GSource            *ring_watch;
} Connection;

struct _Server
{
  SmileySocketSource *self;
  SmileySink         *sink;
  GMainLoop          *loop;
  GHashTable         *connections; /* set of Connection* */
  GHashTable         *run_ids;     /* ids of runs being received */
  GError             *error;       /* the sink failed: the listener stops */
};

struct _SmileySocketSource
{
  GObject parent_instance;

  char *endpoint;

  SmileySocketEndpoint *parsed;
  char                 *bound_endpoint;
  GSocket              *listener;
  gboolean              stopped;
  /* A Unix listener holds an exclusive lock on PATH.lock so that a second
   * listener can tell a live socket from a stale one without racing. */
  int lock_fd;
  /* The socket file this listener made, removed when it stops unless
   * something else has replaced it. */
  char *socket_path;
  dev_t socket_dev;
  ino_t socket_ino;
};

enum
{
  PROP_0,
  PROP_ENDPOINT,
  PROP_BOUND_ENDPOINT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  PEER_DISCONNECTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void smiley_socket_source_iface_init (SmileySourceInterface *iface);
static void smiley_socket_source_initable_iface_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SmileySocketSource, smiley_socket_source, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SMILEY_TYPE_SOURCE,
                                                      smiley_socket_source_iface_init)
                                   G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                          smiley_socket_source_initable_iface_init))

/* Binding {{{1 */

static gboolean
lock_endpoint (SmileySocketSource *self, const char *name, GError **error)
{
  g_autofree char *lock_path = g_strconcat (self->parsed->path, ".lock", NULL);
  int              fd;

  fd = g_open (lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_FAILED,
                   "%s: cannot create the lock file %s: %s", name, lock_path,
                   g_strerror (saved_errno));
      return FALSE;
    }

  if (flock (fd, LOCK_EX | LOCK_NB) != 0)
    {
      int saved_errno = errno;

      close (fd);
      if (saved_errno == EWOULDBLOCK)
        g_set_error (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_ALREADY_LISTENING,
                     "%s: another 'smiley monitor' or 'smiley record' is already listening "
                     "there; stop it, or give this one another --socket",
                     name);
      else
        g_set_error (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_FAILED,
                     "%s: cannot lock %s: %s", name, lock_path, g_strerror (saved_errno));
      return FALSE;
    }

  self->lock_fd = fd;
  return TRUE;
}

/* A socket file may be left over from a listener that was killed. It is
 * only removed when nothing answers on it: a live listener that is not
 * ours (an older smiley, another program) keeps its socket. */
static gboolean
remove_stale_socket (SmileySocketSource *self, GSocketAddress *address, const char *name,
                     GError **error)
{
  const char *path = self->parsed->path;
  g_autoptr (GSocket) probe = NULL;
  g_autoptr (GError) local_error = NULL;
  struct stat st;

  if (g_lstat (path, &st) != 0)
    return TRUE;

  if (!S_ISSOCK (st.st_mode))
    {
      g_set_error (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_FAILED,
                   "%s: %s exists and is not a socket; refusing to replace it", name, path);
      return FALSE;
    }

  probe
      = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, error);
  if (probe == NULL)
    return FALSE;
  g_socket_set_timeout (probe, 1);
  if (g_socket_connect (probe, address, NULL, &local_error)
      || g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    {
      g_set_error (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_ALREADY_LISTENING,
                   "%s: another program is already listening there; stop it, or give this "
                   "listener another --socket",
                   name);
      return FALSE;
    }
  if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
    {
      g_set_error (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_FAILED,
                   "%s: cannot tell whether the existing socket is in use: %s", name,
                   local_error->message);
      return FALSE;
    }

  if (g_unlink (path) != 0 && errno != ENOENT)
    {
      int saved_errno = errno;

      g_set_error (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_FAILED,
                   "%s: cannot remove the stale socket: %s", name, g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

static gboolean
smiley_socket_source_initable_init (GInitable *initable, GCancellable *cancellable, GError **error)
{
  SmileySocketSource *self = SMILEY_SOCKET_SOURCE (initable);
  g_autoptr (GSocketAddress) address = NULL;
  g_autoptr (GSocketAddress) local_address = NULL;
  g_autoptr (GSocket) listener = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autofree char *name = NULL;
  gboolean         is_unix;

  if (self->listener != NULL)
    return TRUE;
  if (self->stopped)
    {
      g_set_error (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_FAILED,
                   "this listener has already stopped");
      return FALSE;
    }

  g_clear_pointer (&self->parsed, smiley_socket_endpoint_free);
  self->parsed = smiley_socket_endpoint_parse (self->endpoint, error);
  if (self->parsed == NULL)
    return FALSE;
  name = smiley_socket_endpoint_to_string (self->parsed);
  is_unix = self->parsed->kind == SMILEY_SOCKET_ENDPOINT_UNIX;

  address = smiley_socket_endpoint_resolve (self->parsed, cancellable, error);
  if (address == NULL)
    return FALSE;

  if (is_unix
      && (!smiley_socket_endpoint_ensure_directory (self->parsed, error)
          || (self->lock_fd < 0 && !lock_endpoint (self, name, error))
          || !remove_stale_socket (self, address, name, error)))
    return FALSE;

  listener = g_socket_new (g_socket_address_get_family (address), G_SOCKET_TYPE_STREAM,
                           G_SOCKET_PROTOCOL_DEFAULT, &local_error);
  if (listener == NULL)
    {
      g_set_error (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_FAILED,
                   "%s: cannot create a socket: %s", name, local_error->message);
      return FALSE;
    }

  if (!g_socket_bind (listener, address, !is_unix, &local_error))
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
        g_set_error (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_ALREADY_LISTENING,
                     "%s: the address is already in use; is another 'smiley monitor' or "
                     "'smiley record' already listening there?",
                     name);
      else
        g_set_error (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_FAILED,
                     "cannot listen on %s: %s", name, local_error->message);
      return FALSE;
    }

  if (is_unix)
    {
      struct stat st;

      /* The directory of the default socket is already private; a socket
       * the user placed elsewhere is made private here. Peers are also
       * checked by uid on accept, which covers the moment in between. */
      if (g_chmod (self->parsed->path, 0600) != 0 || g_stat (self->parsed->path, &st) != 0)
        {
          int saved_errno = errno;

          g_set_error (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_FAILED,
                       "%s: cannot restrict the socket to its owner: %s", name,
                       g_strerror (saved_errno));
          g_unlink (self->parsed->path);
          return FALSE;
        }
      self->socket_path = g_strdup (self->parsed->path);
      self->socket_dev = st.st_dev;
      self->socket_ino = st.st_ino;
    }

  g_socket_set_listen_backlog (listener, 128);
  if (!g_socket_listen (listener, &local_error))
    {
      g_set_error (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_FAILED,
                   "cannot listen on %s: %s", name, local_error->message);
      return FALSE;
    }
  g_socket_set_blocking (listener, FALSE);

  local_address = g_socket_get_local_address (listener, NULL);
  g_free (self->bound_endpoint);
  self->bound_endpoint
      = local_address != NULL ? smiley_socket_address_to_string (local_address) : g_strdup (name);

  if (!is_unix)
    {
      GInetAddress *inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address));

      if (!g_inet_address_get_is_loopback (inet))
        g_printerr ("smiley: warning: %s accepts traces from other machines, without "
                    "authentication; bind a loopback address unless that is what you want\n",
                    self->bound_endpoint);
    }

  self->listener = g_steal_pointer (&listener);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BOUND_ENDPOINT]);
  return TRUE;
}

static void
smiley_socket_source_close (SmileySocketSource *self)
{
  if (self->listener != NULL)
    {
      g_socket_close (self->listener, NULL);
      g_clear_object (&self->listener);
    }

  if (self->socket_path != NULL)
    {
      struct stat st;

      /* Only our own socket file goes; never one that replaced it. */
      if (g_lstat (self->socket_path, &st) == 0 && st.st_dev == self->socket_dev
          && st.st_ino == self->socket_ino)
        g_unlink (self->socket_path);
      g_clear_pointer (&self->socket_path, g_free);
    }

  /* The lock file stays: removing it would let two listeners lock two
   * different files of the same name. */
  if (self->lock_fd >= 0)
    {
      close (self->lock_fd);
      self->lock_fd = -1;
    }
}

/* Serving {{{1 */

static void
server_fail (Server *server, GError *error)
{
  if (server->error == NULL)
    server->error = g_error_copy (error);
  g_main_loop_quit (server->loop);
}

static void
connection_free (gpointer data)
{
  Connection *connection = data;

  if (connection->watch != NULL)
    {
      g_source_destroy (connection->watch);
      g_source_unref (connection->watch);
    }
  if (connection->ring_watch != NULL)
    {
      g_source_destroy (connection->ring_watch);
      g_source_unref (connection->ring_watch);
    }
  g_clear_pointer (&connection->consumer, smiley_ring_consumer_free);
  if (connection->ring != NULL)
    {
      /* Whatever the tracer writes now has nowhere to go: it stops
       * waiting for room as soon as it finds the ring full. */
      atomic_store (&connection->ring->header->consumer_gone, 1);
      smiley_ring_free (connection->ring);
    }
  if (connection->ring_fd >= 0)
    close (connection->ring_fd);
  g_socket_close (connection->socket, NULL);
  g_object_unref (connection->socket);
  smiley_frame_reader_free (connection->reader);
  g_clear_object (&connection->run);
  g_free (connection->peer);
  g_free (connection);
}

static void
connection_close (Connection *connection)
{
  g_hash_table_remove (connection->server->connections, connection);
}

/* Hands the run, cut short, to the sink. */
static void
connection_end_run_abnormally (Connection *connection, const char *reason)
{
  Server *server = connection->server;
  g_autoptr (SmileyRun) run = g_steal_pointer (&connection->run);
  g_autoptr (GError) error = NULL;

  if (run == NULL)
    return;
  g_hash_table_remove (server->run_ids, smiley_run_get_id (run));

  smiley_run_set_state (run, SMILEY_RUN_ABNORMAL);
  smiley_run_set_error (run, reason);
  if (smiley_run_get_end_time (run) == 0)
    smiley_run_set_end_time (run, g_get_real_time ());

  if (server->error == NULL && !smiley_sink_end_run (server->sink, run, &error))
    server_fail (server, error);
}

/* A peer that broke the protocol: say why, end its run, close. */
static void
connection_reject (Connection *connection, const char *reason)
{
  Server          *server = connection->server;
  g_autofree char *run_reason = g_strconcat ("protocol error: ", reason, NULL);

  if (connection->run != NULL)
    g_printerr ("smiley: disconnecting peer %s (run %s): %s\n", connection->peer,
                smiley_run_get_id (connection->run), reason);
  else
    g_printerr ("smiley: disconnecting peer %s: %s\n", connection->peer, reason);
  g_signal_emit (server->self, signals[PEER_DISCONNECTED], 0, connection->peer, reason);

  connection_end_run_abnormally (connection, run_reason);
  connection_close (connection);
}

/* Tells whether the peer broke the ring or our sink failed on its frames,
 * and acts on it. Returns: %FALSE if the connection is gone */
static gboolean
connection_check_ring (Connection *connection)
{
  gboolean      from_sink;
  const GError *error = smiley_ring_consumer_get_error (connection->consumer, &from_sink);

  if (error == NULL)
    return TRUE;
  if (from_sink)
    {
      server_fail (connection->server, (GError *)error);
      return FALSE;
    }
  connection_reject (connection, error->message);
  return FALSE;
}

static gboolean
connection_ring_ready (gpointer user_data)
{
  Connection *connection = user_data;

  /* The sink failed earlier in this main loop iteration. */
  if (connection->server->error != NULL)
    return G_SOURCE_CONTINUE;
  smiley_ring_consumer_drain (connection->consumer, RING_CHUNK_SIZE);
  return connection_check_ring (connection) ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

typedef struct
{
  GSource     source;
  SmileyRing *ring;
} RingWatch;

static gboolean
ring_watch_prepare (GSource *source, gint *timeout)
{
  if (smiley_ring_readable (((RingWatch *)source)->ring) > 0)
    {
      *timeout = 0;
      return TRUE;
    }
  *timeout = RING_POLL_MS;
  return FALSE;
}

static gboolean
ring_watch_check (GSource *source)
{
  return smiley_ring_readable (((RingWatch *)source)->ring) > 0;
}

static gboolean
ring_watch_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  return callback (user_data);
}

static GSourceFuncs ring_watch_funcs = {
  .prepare = ring_watch_prepare,
  .check = ring_watch_check,
  .dispatch = ring_watch_dispatch,
};

/* Maps the ring the peer attached to its stream, and starts a consumer
 * on it from the run as the stream began it. */
static gboolean
connection_take_ring (Connection *connection, SmileyRun *run, GError **error)
{
  g_autoptr (SmileyFrameWriter) writer = smiley_frame_writer_new ();
  g_autoptr (GBytes) begin = NULL;

  connection->ring = smiley_ring_open (connection->ring_fd, error);
  close (connection->ring_fd);
  connection->ring_fd = -1;
  if (connection->ring == NULL)
    {
      g_prefix_error (error, "the ring it handed over: ");
      return FALSE;
    }
  smiley_frame_writer_begin_run (writer, run);
  begin = smiley_frame_writer_take_bytes (writer);
  connection->consumer = smiley_ring_consumer_new (
      connection->ring, begin, smiley_run_get_cwd (run), connection->server->sink, error);
  return connection->consumer != NULL;
}

static gboolean
connection_begin_run (Connection *connection)
{
  Server    *server = connection->server;
  SmileyRun *run = smiley_frame_reader_get_run (connection->reader);
  gboolean   with_ring
      = (smiley_frame_reader_get_stream_flags (connection->reader) & SMILEY_WIRE_FLAG_RING) != 0;
  g_autoptr (GError) error = NULL;

  connection->accepts_ring = FALSE;
  if (g_hash_table_contains (server->run_ids, smiley_run_get_id (run)))
    {
      g_autofree char *reason = g_strdup_printf (
          "run %s is already being received from another peer", smiley_run_get_id (run));

      connection_reject (connection, reason);
      return FALSE;
    }
  if (connection->extra_fds)
    {
      connection_reject (connection, "it sent more than one file descriptor");
      return FALSE;
    }
  if (connection->fds_truncated)
    {
      connection_reject (connection, "file descriptors it sent could not be received (is this "
                                     "listener out of descriptors?)");
      return FALSE;
    }
  if (with_ring && connection->ring_fd < 0)
    {
      connection_reject (connection, "its stream says a ring comes with it, and none did");
      return FALSE;
    }
  if (!with_ring && connection->ring_fd >= 0)
    {
      connection_reject (connection, "it sent a file descriptor with a stream that has no ring");
      return FALSE;
    }
  if (connection->ring_fd >= 0)
    {
      if (!connection_take_ring (connection, run, &error))
        {
          connection_reject (connection, error->message);
          return FALSE;
        }
      /* The ring's frames build up the run the sink gets; the stream's
       * only carries its start and end. */
      run = smiley_ring_consumer_get_run (connection->consumer);
    }

  /* A sink refuses a run for reasons of that run (a store that already
   * holds its id): the peer is turned away and the listener serves on, so
   * no peer can stop it by sending a run twice. Failures in the middle of
   * a run (push, end_run) stop the listener instead. */
  if (!smiley_sink_begin_run (server->sink, run, &error))
    {
      connection_reject (connection, error->message);
      return FALSE;
    }

  g_hash_table_add (server->run_ids, g_strdup (smiley_run_get_id (run)));
  connection->run = g_object_ref (run);
  if (connection->consumer != NULL)
    {
      connection->ring_watch = g_source_new (&ring_watch_funcs, sizeof (RingWatch));
      ((RingWatch *)connection->ring_watch)->ring = connection->ring;
      g_source_set_callback (connection->ring_watch, connection_ring_ready, connection, NULL);
      g_source_set_static_name (connection->ring_watch, "[smiley] ring");
      g_source_attach (connection->ring_watch, g_main_loop_get_context (server->loop));
    }
  return TRUE;
}

static void
connection_end_run (Connection *connection)
{
  Server *server = connection->server;
  g_autoptr (SmileyRun) run = g_steal_pointer (&connection->run);
  g_autoptr (GError) error = NULL;
  const guint8 ack = SMILEY_SOCKET_ACK;

  g_hash_table_remove (server->run_ids, smiley_run_get_id (run));
  if (!smiley_sink_end_run (server->sink, run, &error))
    {
      /* No ACK: the publisher learns its run was not taken in full. */
      server_fail (server, error);
      connection_close (connection);
      return;
    }

  /* The socket buffer is empty at this point of the protocol, so the one
   * byte goes out without blocking; a publisher that has gone already
   * does not need it. */
  g_socket_send (connection->socket, (const char *)&ack, 1, NULL, NULL);
  connection_close (connection);
}

/* The publisher's RUN_END says how the program ended; the ring said the
 * rest (the tracer's own RUN_END: its end time, error, traceback). */
static void
connection_end_ring_run (Connection *connection)
{
  SmileyRun *stream_run = smiley_frame_reader_get_run (connection->reader);

  /* The program is gone, so the ring holds all there is; a forked child
   * that outlives it only adds what is dropped after the run's end. */
  smiley_ring_consumer_drain (connection->consumer, connection->ring->size);
  if (!connection_check_ring (connection))
    return;
  smiley_run_conclude (connection->run, smiley_ring_consumer_got_end (connection->consumer),
                       smiley_run_get_exit_status (stream_run), smiley_run_get_signal (stream_run),
                       smiley_run_get_events_emitted (stream_run));
  if (smiley_run_get_state (stream_run) == SMILEY_RUN_ABNORMAL)
    smiley_run_set_state (connection->run, SMILEY_RUN_ABNORMAL);
  connection_end_run (connection);
}

/* Hands every complete message buffered for @connection to the sink.
 * Returns: %FALSE if the connection is not to be read any more: it was
 *   closed, or the sink failed and the listener is stopping */
static gboolean
connection_drain (Connection *connection)
{
  Server *server = connection->server;

  for (;;)
    {
      g_autoptr (SmileyBatch) batch = NULL;
      g_autoptr (GError) error = NULL;
      SmileyFrameMessage message = SMILEY_FRAME_NEED_MORE;

      if (!smiley_frame_reader_next (connection->reader, &message, &batch, &error))
        {
          connection_reject (connection, error->message);
          return FALSE;
        }

      switch (message)
        {
        case SMILEY_FRAME_NEED_MORE:
          return TRUE;

        case SMILEY_FRAME_RUN_BEGIN:
          if (!connection_begin_run (connection))
            return FALSE;
          break;

        case SMILEY_FRAME_BATCH:
          if (connection->run == NULL || batch == NULL)
            {
              connection_reject (connection, "events before the run began");
              return FALSE;
            }
          if (connection->consumer != NULL)
            {
              connection_reject (connection, "events on the connection of a run whose ring it "
                                             "handed over");
              return FALSE;
            }
          if (!smiley_sink_push (server->sink, connection->run, batch, &error))
            {
              server_fail (server, error);
              return FALSE;
            }
          break;

        case SMILEY_FRAME_RUN_END:
          if (connection->run == NULL)
            {
              connection_reject (connection, "the run ended before it began");
              return FALSE;
            }
          /* One connection carries one run: whatever follows is ignored. */
          if (connection->consumer != NULL)
            connection_end_ring_run (connection);
          else
            connection_end_run (connection);
          return FALSE;

        default:
          connection_reject (connection, "the frame reader reported an unknown message");
          return FALSE;
        }
    }
}

static void
connection_hang_up (Connection *connection)
{
  g_autoptr (GError) error = NULL;

  if (connection->run != NULL)
    {
      /* The publisher died (SIGKILL, a crash) or was stopped mid-run: the
       * run is kept up to its last complete frame, in its ring too. */
      if (connection->consumer != NULL)
        {
          smiley_ring_consumer_drain (connection->consumer, connection->ring->size);
          if (!connection_check_ring (connection))
            return;
        }
      connection_end_run_abnormally (connection, "connection lost");
      connection_close (connection);
      return;
    }

  /* Connecting and closing without a byte is how a second listener checks
   * that this one is alive: that is not worth a message. */
  if (smiley_frame_reader_get_buffered (connection->reader) > 0
      && !smiley_frame_reader_finish (connection->reader, &error))
    {
      connection_reject (connection, error->message);
      return;
    }
  connection_close (connection);
}

/* Receives like g_socket_receive(), and keeps a ring's memfd that comes
 * with the bytes. Only the first fd counts; any other is closed, and
 * makes the peer be refused when its run begins. */
static gssize
connection_receive_with_ring (Connection *connection, char *buffer, GError **error)
{
  GInputVector            vector = { buffer, READ_CHUNK_SIZE };
  GSocketControlMessage **messages = NULL;
  gint                    n_messages = 0;
  gint                    flags = 0;
  gssize                  n;

  n = g_socket_receive_message (connection->socket, NULL, &vector, 1, &messages, &n_messages,
                                &flags, NULL, error);
  for (gint i = 0; i < n_messages; i++)
    {
      if (G_IS_UNIX_FD_MESSAGE (messages[i]))
        {
          gint  n_fds = 0;
          gint *fds = g_unix_fd_message_steal_fds (G_UNIX_FD_MESSAGE (messages[i]), &n_fds);

          for (gint j = 0; j < n_fds; j++)
            {
              if (connection->ring_fd < 0 && !connection->extra_fds)
                connection->ring_fd = fds[j];
              else
                {
                  close (fds[j]);
                  connection->extra_fds = TRUE;
                }
            }
          g_free (fds);
        }
      g_object_unref (messages[i]);
    }
  g_free (messages);
  if ((flags & MSG_CTRUNC) != 0)
    connection->fds_truncated = TRUE;
  return n;
}

static gboolean
connection_readable (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  Connection *connection = user_data;
  Server     *server = connection->server;
  g_autoptr (GError) error = NULL;
  char  *buffer;
  gssize n;

  /* The sink failed earlier in this main loop iteration: the listener is
   * stopping, and the sink must not be called again. */
  if (server->error != NULL)
    return G_SOURCE_CONTINUE;

  /* Straight into the reader's buffer: no copy. */
  buffer = (char *)smiley_frame_reader_reserve (connection->reader, READ_CHUNK_SIZE);
  if (connection->accepts_ring)
    n = connection_receive_with_ring (connection, buffer, &error);
  else
    n = g_socket_receive (socket, buffer, READ_CHUNK_SIZE, NULL, &error);
  if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    return G_SOURCE_CONTINUE;

  if (n <= 0)
    {
      connection_hang_up (connection);
      return G_SOURCE_REMOVE;
    }

  smiley_frame_reader_commit (connection->reader, n);
  return connection_drain (connection) ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

/* Returns: (transfer full) (nullable): who is at the other end, or %NULL
 * if the peer must be refused (the reason was printed) */
static char *
describe_peer (Server *server, GSocket *socket)
{
  g_autoptr (GSocketAddress) remote = NULL;
  g_autoptr (GCredentials) credentials = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *address = NULL;
  uid_t            uid;
  pid_t            pid;

  if (g_socket_get_family (socket) != G_SOCKET_FAMILY_UNIX)
    {
      remote = g_socket_get_remote_address (socket, NULL);
      if (remote == NULL)
        return g_strdup ("(unknown address)");
      /* "127.0.0.1:5678": the endpoint without its scheme. */
      address = smiley_socket_address_to_string (remote);
      return g_strdup (address + strlen ("tcp://"));
    }

  /* The socket file is private to its owner, but a socket the user put in
   * a shared place is briefly open to everyone before chmod: the kernel's
   * word on who connected closes that gap. */
  credentials = g_socket_get_credentials (socket, &error);
  uid = credentials != NULL ? g_credentials_get_unix_user (credentials, NULL) : (uid_t)-1;
  pid = credentials != NULL ? g_credentials_get_unix_pid (credentials, NULL) : -1;
  if (uid != getuid ())
    {
      g_autofree char *reason = NULL;

      if (uid == (uid_t)-1)
        reason = g_strdup ("cannot tell which user it runs as");
      else
        reason = g_strdup_printf ("it runs as uid %u; only uid %u may publish here", (guint)uid,
                                  (guint)getuid ());
      g_printerr ("smiley: disconnecting peer pid %d: %s\n", (int)pid, reason);
      g_signal_emit (server->self, signals[PEER_DISCONNECTED], 0, "(another user)", reason);
      return NULL;
    }
  return g_strdup_printf ("pid %d", (int)pid);
}

static gboolean
listener_acceptable (GSocket *listener, GIOCondition condition, gpointer user_data)
{
  Server *server = user_data;
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GError) error = NULL;
  Connection *connection;
  char       *peer;

  if (server->error != NULL)
    return G_SOURCE_CONTINUE;

  socket = g_socket_accept (listener, NULL, &error);
  if (socket == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          /* Out of file descriptors, most likely: the pending connection
           * stays in the backlog and would wake us at once again. */
          g_printerr ("smiley: cannot accept a connection: %s\n", error->message);
          g_usleep (100 * G_TIME_SPAN_MILLISECOND);
        }
      return G_SOURCE_CONTINUE;
    }

  peer = describe_peer (server, socket);
  if (peer == NULL)
    {
      g_socket_close (socket, NULL);
      return G_SOURCE_CONTINUE;
    }

  g_socket_set_blocking (socket, FALSE);
  connection = g_new0 (Connection, 1);
  connection->server = server;
  connection->socket = g_steal_pointer (&socket);
  connection->reader = smiley_frame_reader_new (SMILEY_SOCKET_MAX_FRAME_SIZE);
  smiley_frame_reader_set_max_batch (connection->reader, MAX_BATCH);
  connection->peer = peer;
  connection->ring_fd = -1;
  connection->accepts_ring = g_socket_get_family (connection->socket) == G_SOCKET_FAMILY_UNIX;
  if (connection->accepts_ring)
    smiley_frame_reader_set_accepted_flags (connection->reader, SMILEY_WIRE_FLAG_RING);
  connection->watch
      = g_socket_create_source (connection->socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (connection->watch, G_SOURCE_FUNC (connection_readable), connection, NULL);
  g_source_set_static_name (connection->watch, "[smiley] socket connection");
  g_source_attach (connection->watch, g_main_loop_get_context (server->loop));
  g_hash_table_add (server->connections, connection);

  return G_SOURCE_CONTINUE;
}

static gboolean
quit_loop (gpointer user_data)
{
  Server *server = user_data;

  g_main_loop_quit (server->loop);
  return G_SOURCE_REMOVE;
}

/* Runs on whichever thread cancelled (a signal handler's, in the CLI). A
 * source attached to the listener's context quits the loop there, even if
 * the loop has not started yet. */
static void
on_cancelled (GCancellable *cancellable, Server *server)
{
  g_autoptr (GSource) idle = g_idle_source_new ();

  g_source_set_callback (idle, quit_loop, server, NULL);
  g_source_set_priority (idle, G_PRIORITY_HIGH);
  g_source_set_static_name (idle, "[smiley] listener cancelled");
  g_source_attach (idle, g_main_loop_get_context (server->loop));
}

static gboolean
smiley_socket_source_run (SmileySource *source, SmileySink *sink, GCancellable *cancellable,
                          GError **error)
{
  SmileySocketSource *self = SMILEY_SOCKET_SOURCE (source);
  g_autoptr (GMainContext) context = NULL;
  g_autoptr (GSource) accept_source = NULL;
  gulong         cancelled_id = 0;
  Server         server = { 0 };
  GHashTableIter iter;
  gpointer       key;

  if (!g_initable_init (G_INITABLE (self), cancellable, error))
    return FALSE;

  context = g_main_context_new ();
  g_main_context_push_thread_default (context);

  server.self = self;
  server.sink = sink;
  server.loop = g_main_loop_new (context, FALSE);
  server.connections = g_hash_table_new_full (g_direct_hash, g_direct_equal, connection_free, NULL);
  server.run_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  accept_source = g_socket_create_source (self->listener, G_IO_IN, NULL);
  g_source_set_callback (accept_source, G_SOURCE_FUNC (listener_acceptable), &server, NULL);
  g_source_set_static_name (accept_source, "[smiley] socket listener");
  g_source_attach (accept_source, context);

  /* Not g_cancellable_source_new(): on GLib 2.74 it leaks its source
   * when the cancellable fires while the source is attached. */
  if (cancellable != NULL)
    cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled), &server, NULL);

  g_main_loop_run (server.loop);

  /* Waits for a handler running on another thread to finish. */
  if (cancellable != NULL)
    g_cancellable_disconnect (cancellable, cancelled_id);
  g_source_destroy (accept_source);

  /* Runs still open end as abnormal, so a store shows they were cut. */
  g_hash_table_iter_init (&iter, server.connections);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    connection_end_run_abnormally (key, "listener stopped");
  g_hash_table_unref (server.connections);
  g_hash_table_unref (server.run_ids);
  g_main_loop_unref (server.loop);

  self->stopped = TRUE;
  smiley_socket_source_close (self);
  g_main_context_pop_thread_default (context);

  if (server.error != NULL)
    {
      g_propagate_error (error, server.error);
      return FALSE;
    }
  return TRUE;
}

/* GObject {{{1 */

static void
smiley_socket_source_iface_init (SmileySourceInterface *iface)
{
  iface->run = smiley_socket_source_run;
}

static void
smiley_socket_source_initable_iface_init (GInitableIface *iface)
{
  iface->init = smiley_socket_source_initable_init;
}

static void
smiley_socket_source_finalize (GObject *object)
{
  SmileySocketSource *self = SMILEY_SOCKET_SOURCE (object);

  smiley_socket_source_close (self);
  g_clear_pointer (&self->parsed, smiley_socket_endpoint_free);
  g_free (self->bound_endpoint);
  g_free (self->endpoint);

  G_OBJECT_CLASS (smiley_socket_source_parent_class)->finalize (object);
}

static void
smiley_socket_source_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SmileySocketSource *self = SMILEY_SOCKET_SOURCE (object);

  switch (prop_id)
    {
    case PROP_ENDPOINT:
      g_value_set_string (value, self->endpoint);
      break;
    case PROP_BOUND_ENDPOINT:
      g_value_set_string (value, self->bound_endpoint);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
smiley_socket_source_set_property (GObject *object, guint prop_id, const GValue *value,
                                   GParamSpec *pspec)
{
  SmileySocketSource *self = SMILEY_SOCKET_SOURCE (object);

  switch (prop_id)
    {
    case PROP_ENDPOINT:
      g_free (self->endpoint);
      self->endpoint = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
smiley_socket_source_class_init (SmileySocketSourceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = smiley_socket_source_finalize;
  object_class->get_property = smiley_socket_source_get_property;
  object_class->set_property = smiley_socket_source_set_property;

  /**
   * SmileySocketSource:endpoint:
   *
   * Where to listen: `unix:PATH`, `tcp://HOST:PORT` (`tcp://:PORT` for
   * loopback; port 0 picks a free one), or %NULL for the per-user default
   * socket. Read when the source is initialized.
   */
  properties[PROP_ENDPOINT]
      = g_param_spec_string ("endpoint", NULL, NULL, NULL,
                             G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * SmileySocketSource:bound-endpoint:
   *
   * Where the source listens once initialized, with the port the system
   * chose for port 0; publishers connect to exactly this.
   */
  properties[PROP_BOUND_ENDPOINT] = g_param_spec_string ("bound-endpoint", NULL, NULL, NULL,
                                                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * SmileySocketSource::peer-disconnected:
   * @self: the source
   * @peer: who was disconnected ("pid 1234", "127.0.0.1:5678")
   * @reason: why, as printed on stderr
   *
   * Emitted on the thread running the source when it disconnects a peer
   * for breaking the protocol or for being another user.
   */
  signals[PEER_DISCONNECTED]
      = g_signal_new ("peer-disconnected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                      NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

static void
smiley_socket_source_init (SmileySocketSource *self)
{
  self->lock_fd = -1;
}
