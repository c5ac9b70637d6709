/* smiley-python-source.c: runs a Python program and records what it does
 *
 * SPDX-License-Identifier: Apache-2.0
 *
 * The program runs in a child process, in the very interpreter the user
 * would have run (Debian's /usr/bin/python3, or the active virtualenv's),
 * not in a libpython embedded here: the statically linked interpreter is
 * about 1.3× faster than libpython3.11.so, and a child gets python3's own
 * argv, sys.path[0], __main__, exit codes, tracebacks and signal handling
 * for free, and cannot take smiley down when it crashes.
 *
 * The tracer is the _smiley_tracer extension, loaded by a bootstrap
 * sitecustomize that this source puts first on the child's PYTHONPATH
 * (see python-bootstrap/). It writes wire-format frames into a
 * shared-memory ring (smiley-ring.h) that a thread of ours drains with a
 * SmileyRingConsumer into the sink, while the calling thread waits for the
 * child. When the child is gone the ring is drained to the last byte, so
 * nothing the program did before it died is lost. A sink that takes the
 * ring (a listener on this machine, see docs/transport.md) drains it
 * instead, and this process only waits and reports how the program ended.
 */
/* memfd_create, dladdr */
#define _GNU_SOURCE 1

#include "smiley-build-config.h"

#include "smiley-python-source.h"
#include "smiley-ring-consumer.h"
#include "smiley-wire.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

G_STATIC_ASSERT (SMILEY_EVENT_CALL == 1 && SMILEY_EVENT_LINE == 2 && SMILEY_EVENT_RETURN == 3
                 && SMILEY_EVENT_EXCEPTION == 4 && SMILEY_EVENT_YIELD == 5
                 && SMILEY_EVENT_RESUME == 6);

#define DEFAULT_REPR_LIMIT 256
#define DEFAULT_EVENT_BUDGET (64u * 1024u)
#define DEFAULT_RUN_BUDGET (G_GUINT64_CONSTANT (1) << 30)

struct _SmileyPythonSource
{
  GObject parent_instance;

  GStrv    argv;
  char    *module;
  char    *python;
  char    *description;
  gboolean include_stdlib;
  gboolean include_site_packages;
  GStrv    include_packages;
  GStrv    exclude;
  gboolean profile_only;
  guint    repr_limit;
  guint    event_budget;
  guint64  run_budget;
  guint    ring_size;

  char   *bootstrap_dir;
  guint64 events_emitted;
  guint64 events_delivered;
  int     exit_status;
};

enum
{
  PROP_0,
  PROP_ARGV,
  PROP_MODULE,
  PROP_PYTHON,
  PROP_DESCRIPTION,
  PROP_INCLUDE_STDLIB,
  PROP_INCLUDE_SITE_PACKAGES,
  PROP_INCLUDE_PACKAGES,
  PROP_EXCLUDE,
  PROP_PROFILE_ONLY,
  PROP_REPR_LIMIT,
  PROP_EVENT_BUDGET,
  PROP_RUN_BUDGET,
  PROP_RING_SIZE,
  PROP_EVENTS_EMITTED,
  PROP_EVENTS_DELIVERED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void smiley_python_source_source_iface_init (SmileySourceInterface *iface);
static void smiley_python_source_initable_iface_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SmileyPythonSource, smiley_python_source, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SMILEY_TYPE_SOURCE,
                                                      smiley_python_source_source_iface_init)
                                   G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                          smiley_python_source_initable_iface_init))

/* The one thing a signal handler needs: whom to forward to. A handler
 * has no user data, and there is one traced child per smiley process. */
static volatile sig_atomic_t forward_pid;

/* ---- one run ------------------------------------------------------------ */

typedef struct
{
  SmileyRing          ring;
  SmileyRingConsumer *consumer;
  gint                child_exited;
} RunContext;

static void
run_context_free (RunContext *ctx)
{
  g_clear_pointer (&ctx->consumer, smiley_ring_consumer_free);
  smiley_ring_unmap (&ctx->ring);
  g_free (ctx);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RunContext, run_context_free)

static gpointer
reader_thread (gpointer data)
{
  RunContext *ctx = data;

  smiley_ring_consumer_run (ctx->consumer, &ctx->child_exited);
  return NULL;
}

/* ---- spawning ----------------------------------------------------------- */

static void
forward_signal (int signum, siginfo_t *info, void *context)
{
  pid_t child = (pid_t)forward_pid;

  /* A terminal's ^C reaches the whole foreground process group, the
   * child included: forwarding it would deliver it twice. Only signals a
   * process sent to smiley itself are passed on. */
  if (child > 0 && info != NULL && (info->si_code == SI_USER || info->si_code == SI_QUEUE)
      && info->si_pid != child)
    kill (child, signum);
}

static const int forwarded_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

static char *
build_description (SmileyPythonSource *self)
{
  g_autoptr (GString) text = g_string_new (NULL);

  if (self->module != NULL)
    g_string_append_printf (text, "-m %s", self->module);
  for (guint i = 0; self->argv && self->argv[i]; i++)
    {
      g_autofree char *quoted = NULL;
      const char      *arg = self->argv[i];

      if (text->len > 0)
        g_string_append_c (text, ' ');
      if (arg[0] != '\0' && strpbrk (arg, " \t\n'\"\\$`*?[]{}()<>|&;#~") == NULL)
        g_string_append (text, arg);
      else
        {
          quoted = g_shell_quote (arg);
          g_string_append (text, quoted);
        }
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static char *
join_lines (const char *const *items)
{
  return items ? g_strjoinv ("\n", (char **)items) : g_strdup ("");
}

static GStrv
build_environment (SmileyPythonSource *self, int ring_fd, gint64 t0, gboolean sigchld_ignored)
{
  g_auto (GStrv) env = g_get_environ ();
  const char      *old_path = g_environ_getenv (env, "PYTHONPATH");
  g_autofree char *path = NULL;
  g_autofree char *ring = NULL;
  g_autofree char *options = NULL;
  g_autofree char *t0_text = NULL;
  g_autofree char *parent = NULL;
  g_autofree char *packages = join_lines ((const char *const *)self->include_packages);
  g_autofree char *exclude = join_lines ((const char *const *)self->exclude);

  /* An empty PYTHONPATH element would mean the current directory. */
  path = old_path && old_path[0] ? g_strconcat (self->bootstrap_dir, ":", old_path, NULL)
                                 : g_strdup (self->bootstrap_dir);
  env = g_environ_setenv (env, "SMILEY_TRACER_PYTHONPATH_SET", old_path ? "1" : "0", TRUE);
  if (old_path != NULL)
    env = g_environ_setenv (env, "SMILEY_TRACER_PYTHONPATH", old_path, TRUE);
  env = g_environ_setenv (env, "PYTHONPATH", path, TRUE);

  ring = g_strdup_printf ("%d:%u", ring_fd, self->ring_size);
  env = g_environ_setenv (env, "SMILEY_TRACER_RING", ring, TRUE);
  t0_text = g_strdup_printf ("%" G_GINT64_FORMAT, t0);
  env = g_environ_setenv (env, "SMILEY_TRACER_T0", t0_text, TRUE);
  parent = g_strdup_printf ("%d", (int)getpid ());
  env = g_environ_setenv (env, "SMILEY_TRACER_PARENT", parent, TRUE);
  if (sigchld_ignored)
    env = g_environ_setenv (env, "SMILEY_TRACER_SIGCHLD", "ignore", TRUE);
  options = g_strdup_printf ("include_stdlib=%d;include_site=%d;profile_only=%d;"
                             "repr_limit=%u;event_budget=%u;run_budget=%" G_GUINT64_FORMAT,
                             self->include_stdlib ? 1 : 0, self->include_site_packages ? 1 : 0,
                             self->profile_only ? 1 : 0, self->repr_limit, self->event_budget,
                             self->run_budget);
  env = g_environ_setenv (env, "SMILEY_TRACER_OPTIONS", options, TRUE);
  env = g_environ_setenv (env, "SMILEY_TRACER_PACKAGES", packages, TRUE);
  env = g_environ_setenv (env, "SMILEY_TRACER_EXCLUDE", exclude, TRUE);
  return g_steal_pointer (&env);
}

static GStrv
build_argv (SmileyPythonSource *self)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();

  g_strv_builder_add (builder, self->python);
  if (self->module != NULL)
    {
      g_strv_builder_add (builder, "-m");
      g_strv_builder_add (builder, self->module);
    }
  for (guint i = 0; self->argv && self->argv[i]; i++)
    {
      /* A script named like an option must not be taken for one. */
      if (i == 0 && self->module == NULL && self->argv[0][0] == '-' && self->argv[0][1] != '\0')
        g_strv_builder_add (builder, "--");
      g_strv_builder_add (builder, self->argv[i]);
    }
  return g_strv_builder_end (builder);
}

/* @text as valid UTF-8, each byte that is not part of a UTF-8 sequence
 * written as \xNN (what Python's surrogateescape + backslashreplace
 * shows). The run's metadata must be UTF-8, but arguments, the script's
 * path and the working directory are bytes: the program still gets them
 * unchanged, only the record shows them escaped. */
static char *
escape_invalid_utf8 (const char *text)
{
  g_autoptr (GString) out = NULL;
  const char *p = text, *end;

  if (g_utf8_validate (text, -1, &end))
    return g_strdup (text);
  out = g_string_new (NULL);
  while (*p)
    {
      if (g_utf8_validate (p, -1, &end))
        {
          g_string_append (out, p);
          break;
        }
      g_string_append_len (out, p, end - p);
      g_string_append_printf (out, "\\x%02x", (guint8)*end);
      p = end + 1;
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* The stream header and RUN_BEGIN frame of this run, fed to the reader
 * ahead of the child's frames (the child does not know the metadata). */
static GBytes *
encode_run_begin (const char *run_id, guint32 pid, gint64 start_us, const char *cwd,
                  const char *description, const char *const *argv)
{
  gsize size = SMILEY_WIRE_STREAM_HEADER_SIZE + SMILEY_WIRE_FRAME_HEADER_SIZE
               + 6 * SMILEY_WIRE_MAX_VARINT + strlen (run_id) + strlen (cwd) + strlen (description);
  guint8 *buf, *p, *frame;
  guint   argc = argv ? g_strv_length ((char **)argv) : 0;

  for (guint i = 0; i < argc; i++)
    size += SMILEY_WIRE_MAX_VARINT + strlen (argv[i]);
  buf = g_malloc (size);
  p = smiley_wire_put_stream_header (buf);
  frame = p;
  p += SMILEY_WIRE_FRAME_HEADER_SIZE;
  p = smiley_wire_put_bytes (p, run_id, strlen (run_id));
  p = smiley_wire_put_varint (p, pid);
  p = smiley_wire_put_svarint (p, start_us);
  p = smiley_wire_put_bytes (p, cwd, strlen (cwd));
  p = smiley_wire_put_bytes (p, description, strlen (description));
  p = smiley_wire_put_varint (p, argc);
  for (guint i = 0; i < argc; i++)
    p = smiley_wire_put_bytes (p, argv[i], strlen (argv[i]));
  smiley_wire_put_frame_header (frame, (guint32)(p - frame), SMILEY_WIRE_RUN_BEGIN);
  return g_bytes_new_take (buf, (gsize)(p - buf));
}

/* What the tracer asked to tell the user (the program replaced its
 * profiler, …): printed once the run is over, so that it does not get
 * mixed into the program's own output. */
static void
print_notes (SmileyRing *ring)
{
  guint32          len = MIN (atomic_load (&ring->header->notes_len), sizeof ring->header->notes);
  g_autofree char *raw = g_strndup (ring->header->notes, len);
  g_autofree char *text = g_utf8_make_valid (raw, -1);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    if (lines[i][0] != '\0')
      g_printerr ("smiley: %s\n", lines[i]);
}

static gboolean
smiley_python_source_run (SmileySource *source, SmileySink *sink, GCancellable *cancellable,
                          GError **error)
{
  SmileyPythonSource *self = SMILEY_PYTHON_SOURCE (source);
  g_autoptr (RunContext) ctx = g_new0 (RunContext, 1);
  g_auto (GStrv) env = NULL;
  g_auto (GStrv) child_argv = NULL;
  g_autoptr (GBytes) begin = NULL;
  g_autofree char *run_id = g_uuid_string_random ();
  g_autofree char *description = NULL;
  g_autoptr (GPtrArray) run_argv = g_ptr_array_new_with_free_func (g_free);
  posix_spawnattr_t attr;
  sigset_t          mask, defaults;
  struct sigaction  old_actions[G_N_ELEMENTS (forwarded_signals)];
  struct sigaction  old_sigchld;
  gboolean          sigchld_changed = FALSE;
  GThread          *thread = NULL;
  g_autofree char  *cwd = g_get_current_dir ();
  g_autoptr (SmileyRun) run = NULL;
  gint64   start_us;
  int      ring_fd, spawn_error, status = 0, signum = 0;
  pid_t    pid;
  GError  *local_error = NULL;
  gboolean ok, adopted = FALSE;

  self->events_emitted = 0;
  self->events_delivered = 0;

  ring_fd = smiley_ring_create (&ctx->ring, self->ring_size);
  if (ring_fd < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (-ring_fd),
                   "cannot create the event ring (%u bytes of shared memory): %s", self->ring_size,
                   g_strerror (-ring_fd));
      return FALSE;
    }

  /* An ignored SIGCHLD is inherited by python3 too, but smiley cannot
   * have it ignored while it runs: the kernel would reap the child before
   * smiley reads its exit status. So smiley takes the default while the
   * program runs and the bootstrap ignores SIGCHLD again in the program,
   * through Python's own signal module, before the program starts. */
  sigaction (SIGCHLD, NULL, &old_sigchld);
  if (old_sigchld.sa_handler == SIG_IGN || (old_sigchld.sa_flags & SA_NOCLDWAIT) != 0)
    {
      struct sigaction dfl = { 0 };

      dfl.sa_handler = SIG_DFL;
      sigemptyset (&dfl.sa_mask);
      sigaction (SIGCHLD, &dfl, NULL);
      sigchld_changed = TRUE;
    }
  env = build_environment (self, ring_fd, g_get_monotonic_time () * 1000, sigchld_changed);
  child_argv = build_argv (self);

  /* The child inherits smiley's signal mask and ignored signals exactly
   * as python3 would have if smiley had exec'd it: under nohup, SIGHUP
   * stays ignored; a launcher's SIG_IGN for SIGINT means no
   * KeyboardInterrupt, as with python3. Only SIGPIPE and SIGCHLD are reset:
   * GLib's GSocket ignores SIGPIPE process-wide once a socket sink exists,
   * and python3 ignores SIGPIPE itself at start-up anyway; SIGCHLD is
   * reset because smiley must be able to wait for the child (ignoring it
   * would make the kernel reap the child behind our back). */
  pthread_sigmask (SIG_BLOCK, NULL, &mask);
  sigemptyset (&defaults);
  sigaddset (&defaults, SIGPIPE);
  sigaddset (&defaults, SIGCHLD);
  posix_spawnattr_init (&attr);
  posix_spawnattr_setsigmask (&attr, &mask);
  posix_spawnattr_setsigdefault (&attr, &defaults);
  posix_spawnattr_setflags (&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  /* Only this child inherits the ring; the bootstrap marks it
   * close-on-exec again before the program runs. */
  fcntl (ring_fd, F_SETFD, 0);
  start_us = g_get_real_time ();
  spawn_error = posix_spawn (&pid, self->python, NULL, &attr, child_argv, env);
  fcntl (ring_fd, F_SETFD, FD_CLOEXEC);
  posix_spawnattr_destroy (&attr);
  if (spawn_error != 0)
    {
      close (ring_fd);
      if (sigchld_changed)
        sigaction (SIGCHLD, &old_sigchld, NULL);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (spawn_error), "cannot run %s: %s",
                   self->python, g_strerror (spawn_error));
      return FALSE;
    }

  /* While the program runs, signals aimed at smiley are the program's. */
  forward_pid = pid;
  for (guint i = 0; i < G_N_ELEMENTS (forwarded_signals); i++)
    {
      struct sigaction action = { 0 };

      /* A signal smiley was told to ignore (nohup) is ignored by the
       * child too, which inherited that; it is not smiley's to pass on. */
      sigaction (forwarded_signals[i], NULL, &old_actions[i]);
      if (old_actions[i].sa_handler == SIG_IGN)
        continue;
      action.sa_sigaction = forward_signal;
      action.sa_flags = SA_SIGINFO | SA_RESTART;
      sigemptyset (&action.sa_mask);
      sigaction (forwarded_signals[i], &action, NULL);
    }

  {
    g_autofree char *raw
        = self->description ? g_strdup (self->description) : build_description (self);
    description = escape_invalid_utf8 (raw);
  }
  if (self->module != NULL)
    {
      g_ptr_array_add (run_argv, g_strdup ("-m"));
      g_ptr_array_add (run_argv, escape_invalid_utf8 (self->module));
    }
  for (guint i = 0; self->argv && self->argv[i]; i++)
    g_ptr_array_add (run_argv, escape_invalid_utf8 (self->argv[i]));
  g_ptr_array_add (run_argv, NULL);
  {
    g_autofree char *shown_cwd = escape_invalid_utf8 (cwd);
    begin = encode_run_begin (run_id, (guint32)pid, start_us, shown_cwd, description,
                              (const char *const *)run_argv->pdata);
  }
  ctx->consumer = smiley_ring_consumer_new (&ctx->ring, begin, cwd, sink, &local_error);
  if (ctx->consumer != NULL)
    run = g_object_ref (smiley_ring_consumer_get_run (ctx->consumer));
  /* A sink that takes the ring has it drained where the events go (a
   * listener on this machine): then they never pass through here. */
  if (run != NULL && smiley_sink_begin_run (sink, run, &local_error))
    adopted = smiley_sink_takes_ring (sink, run);
  if (run == NULL || local_error != NULL
      || (adopted && !smiley_sink_adopt_ring (sink, run, ring_fd, &local_error)))
    {
      /* Nothing will record this run: don't let it run untraced. */
      kill (pid, SIGKILL);
      while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
        ;
      if (sigchld_changed)
        sigaction (SIGCHLD, &old_sigchld, NULL);
      forward_pid = 0;
      for (guint i = 0; i < G_N_ELEMENTS (forwarded_signals); i++)
        sigaction (forwarded_signals[i], &old_actions[i], NULL);
      close (ring_fd);
      g_propagate_error (error, local_error);
      return FALSE;
    }
  if (adopted)
    g_clear_pointer (&ctx->consumer, smiley_ring_consumer_free);
  else
    thread = g_thread_new ("smiley-ring-reader", reader_thread, ctx);
  close (ring_fd);

  while (waitpid (pid, &status, 0) < 0)
    {
      if (errno != EINTR)
        {
          status = 0;
          break;
        }
    }
  forward_pid = 0;
  for (guint i = 0; i < G_N_ELEMENTS (forwarded_signals); i++)
    sigaction (forwarded_signals[i], &old_actions[i], NULL);
  if (sigchld_changed)
    sigaction (SIGCHLD, &old_sigchld, NULL);

  if (thread != NULL)
    {
      g_atomic_int_set (&ctx->child_exited, 1);
      smiley_ring_kick (&ctx->ring);
      g_thread_join (thread);
    }

  self->events_emitted = atomic_load (&ctx->ring.header->events_emitted);
  print_notes (&ctx->ring);

  if (WIFSIGNALED (status))
    signum = WTERMSIG (status);
  self->exit_status = signum != 0 ? 128 + signum : WEXITSTATUS (status);
  smiley_run_set_pid (run, (guint32)pid);
  /* Whoever drained the ring saw the tracer's RUN_END; when that is a
   * listener, the flag the tracer sets after writing it tells. */
  smiley_run_conclude (run,
                       ctx->consumer != NULL ? smiley_ring_consumer_got_end (ctx->consumer)
                                             : atomic_load (&ctx->ring.header->finished) != 0,
                       self->exit_status, signum, self->events_emitted);

  ok = smiley_sink_end_run (sink, run, &local_error);
  self->events_delivered = atomic_load (&ctx->ring.header->events_consumed);
  if (ctx->consumer != NULL && smiley_ring_consumer_get_error (ctx->consumer, NULL) != NULL)
    {
      g_clear_error (&local_error);
      g_propagate_error (error, smiley_ring_consumer_steal_error (ctx->consumer));
      return FALSE;
    }
  if (!ok)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  return TRUE;
}

static int
smiley_python_source_get_exit_status (SmileySource *source)
{
  return SMILEY_PYTHON_SOURCE (source)->exit_status;
}

static void
smiley_python_source_source_iface_init (SmileySourceInterface *iface)
{
  iface->run = smiley_python_source_run;
  iface->get_exit_status = smiley_python_source_get_exit_status;
}

/* ---- set-up ------------------------------------------------------------- */

/* python-bootstrap/ next to this module, wherever it was loaded from (the
 * build tree or plugindir). */
static char *
find_bootstrap_dir (void)
{
  Dl_info info;

  if (dladdr ((void *)find_bootstrap_dir, &info) != 0 && info.dli_fname != NULL)
    {
      g_autofree char *dir = g_path_get_dirname (info.dli_fname);
      return g_build_filename (dir, "python-bootstrap", NULL);
    }
  return g_build_filename (SMILEY_PLUGINDIR, "python-bootstrap", NULL);
}

/* The extension reads CPython's internals, so only the Python version it
 * was built for can be traced. Anything else would run the program
 * untraced (the bootstrap cannot load the extension), so it is refused
 * here, before the program starts. The build's own interpreter (or a
 * virtualenv linking to it) is not asked: that costs a Python start-up
 * (about 7 ms) on every run. */
static gboolean
check_python_version (const char *python, GError **error)
{
  const char *query_argv[]
      = { python, "-E", "-S", "-c", "import sys; sys.stdout.write('%d.%d' % sys.version_info[:2])",
          NULL };
  g_autofree char *real = realpath (python, NULL);
  g_autofree char *ours = realpath (SMILEY_PYTHON, NULL);
  g_autofree char *out = NULL;
  g_autoptr (GError) spawn_error = NULL;
  int status = 0;

  if (real != NULL && ours != NULL && strcmp (real, ours) == 0)
    return TRUE;
  if (!g_spawn_sync (NULL, (char **)query_argv, NULL,
                     G_SPAWN_STDIN_FROM_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out,
                     NULL, &status, &spawn_error))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot run %s: %s", python,
                   spawn_error->message);
      return FALSE;
    }
  g_strstrip (out);
  if (strcmp (out, SMILEY_TRACER_PYTHON_VERSION) == 0)
    return TRUE;
  if (g_regex_match_simple ("^[0-9]+\\.[0-9]+$", out, 0, 0))
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                 "%s is Python %s; this smiley traces Python " SMILEY_TRACER_PYTHON_VERSION " only",
                 python, out);
  else
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                 "%s: not a Python interpreter (it does not say which Python it is); set "
                 "--python to a python" SMILEY_TRACER_PYTHON_VERSION,
                 python);
  return FALSE;
}

static gboolean
smiley_python_source_initable_init (GInitable *initable, GCancellable *cancellable, GError **error)
{
  SmileyPythonSource *self = SMILEY_PYTHON_SOURCE (initable);
  g_autofree char    *site = NULL;

  if (self->module == NULL && (self->argv == NULL || self->argv[0] == NULL))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "no program to run: give a script or -m MODULE");
      return FALSE;
    }
  if (self->python == NULL)
    {
      const char      *venv = g_getenv ("VIRTUAL_ENV");
      g_autofree char *venv_python = venv ? g_build_filename (venv, "bin", "python3", NULL) : NULL;

      if (venv_python != NULL && g_file_test (venv_python, G_FILE_TEST_IS_EXECUTABLE))
        self->python = g_steal_pointer (&venv_python);
      else
        self->python = g_strdup (SMILEY_PYTHON);
    }
  if (!g_file_test (self->python, G_FILE_TEST_IS_EXECUTABLE)
      || g_file_test (self->python, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "%s: no Python interpreter there (set --python to a python3.11)", self->python);
      return FALSE;
    }
  if (!check_python_version (self->python, error))
    return FALSE;
  if (self->ring_size < 65536 || (self->ring_size & (self->ring_size - 1)) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "ring-size %u: must be a power of two of at least 65536", self->ring_size);
      return FALSE;
    }
  g_clear_pointer (&self->bootstrap_dir, g_free);
  self->bootstrap_dir = find_bootstrap_dir ();
  site = g_build_filename (self->bootstrap_dir, "sitecustomize.py", NULL);
  if (!g_file_test (site, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "%s: missing; the python tracer is not installed completely", site);
      return FALSE;
    }
  return TRUE;
}

static void
smiley_python_source_initable_iface_init (GInitableIface *iface)
{
  iface->init = smiley_python_source_initable_init;
}

/* ---- GObject ------------------------------------------------------------ */

/* A program started with stdin, stdout or stderr closed must find them
 * closed, as under python3 (sys.stdout is None, print() does nothing).
 * But smiley itself would fill the gap: SQLite, for one, opens /dev/null
 * read-only on any of fds 0-2 it finds free, and python3 would then get
 * that and fail to print. So the free ones are taken here, by a
 * close-on-exec /dev/null: nothing in smiley can take them any more, and
 * the exec of python3 closes them again. This runs when the source is
 * created, which the pipeline does before it creates (or opens) the
 * sink and the store, and after the plugin registry has closed the
 * directory it listed. */
static void
reserve_closed_std_fds (void)
{
  for (int fd = 0; fd <= 2; fd++)
    {
      int null_fd;

      if (fcntl (fd, F_GETFD) != -1 || errno != EBADF)
        continue;
      /* The lowest free descriptor: fd itself, as 0..fd-1 are open now. */
      null_fd = open ("/dev/null", O_RDWR | O_CLOEXEC);
      if (null_fd >= 0 && null_fd != fd)
        {
          dup3 (null_fd, fd, O_CLOEXEC);
          close (null_fd);
        }
    }
}

static void
smiley_python_source_constructed (GObject *object)
{
  reserve_closed_std_fds ();
  G_OBJECT_CLASS (smiley_python_source_parent_class)->constructed (object);
}

static void
smiley_python_source_finalize (GObject *object)
{
  SmileyPythonSource *self = SMILEY_PYTHON_SOURCE (object);

  g_strfreev (self->argv);
  g_free (self->module);
  g_free (self->python);
  g_free (self->description);
  g_strfreev (self->include_packages);
  g_strfreev (self->exclude);
  g_free (self->bootstrap_dir);

  G_OBJECT_CLASS (smiley_python_source_parent_class)->finalize (object);
}

static void
smiley_python_source_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SmileyPythonSource *self = SMILEY_PYTHON_SOURCE (object);

  switch (prop_id)
    {
    case PROP_ARGV:
      g_value_set_boxed (value, self->argv);
      break;
    case PROP_MODULE:
      g_value_set_string (value, self->module);
      break;
    case PROP_PYTHON:
      g_value_set_string (value, self->python);
      break;
    case PROP_DESCRIPTION:
      g_value_set_string (value, self->description);
      break;
    case PROP_INCLUDE_STDLIB:
      g_value_set_boolean (value, self->include_stdlib);
      break;
    case PROP_INCLUDE_SITE_PACKAGES:
      g_value_set_boolean (value, self->include_site_packages);
      break;
    case PROP_INCLUDE_PACKAGES:
      g_value_set_boxed (value, self->include_packages);
      break;
    case PROP_EXCLUDE:
      g_value_set_boxed (value, self->exclude);
      break;
    case PROP_PROFILE_ONLY:
      g_value_set_boolean (value, self->profile_only);
      break;
    case PROP_REPR_LIMIT:
      g_value_set_uint (value, self->repr_limit);
      break;
    case PROP_EVENT_BUDGET:
      g_value_set_uint (value, self->event_budget);
      break;
    case PROP_RUN_BUDGET:
      g_value_set_uint64 (value, self->run_budget);
      break;
    case PROP_RING_SIZE:
      g_value_set_uint (value, self->ring_size);
      break;
    case PROP_EVENTS_EMITTED:
      g_value_set_uint64 (value, self->events_emitted);
      break;
    case PROP_EVENTS_DELIVERED:
      g_value_set_uint64 (value, self->events_delivered);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
smiley_python_source_set_property (GObject *object, guint prop_id, const GValue *value,
                                   GParamSpec *pspec)
{
  SmileyPythonSource *self = SMILEY_PYTHON_SOURCE (object);

  switch (prop_id)
    {
    case PROP_ARGV:
      g_strfreev (self->argv);
      self->argv = g_value_dup_boxed (value);
      break;
    case PROP_MODULE:
      g_free (self->module);
      self->module = g_value_dup_string (value);
      break;
    case PROP_PYTHON:
      g_free (self->python);
      self->python = g_value_dup_string (value);
      break;
    case PROP_DESCRIPTION:
      g_free (self->description);
      self->description = g_value_dup_string (value);
      break;
    case PROP_INCLUDE_STDLIB:
      self->include_stdlib = g_value_get_boolean (value);
      break;
    case PROP_INCLUDE_SITE_PACKAGES:
      self->include_site_packages = g_value_get_boolean (value);
      break;
    case PROP_INCLUDE_PACKAGES:
      g_strfreev (self->include_packages);
      self->include_packages = g_value_dup_boxed (value);
      break;
    case PROP_EXCLUDE:
      g_strfreev (self->exclude);
      self->exclude = g_value_dup_boxed (value);
      break;
    case PROP_PROFILE_ONLY:
      self->profile_only = g_value_get_boolean (value);
      break;
    case PROP_REPR_LIMIT:
      self->repr_limit = g_value_get_uint (value);
      break;
    case PROP_EVENT_BUDGET:
      self->event_budget = g_value_get_uint (value);
      break;
    case PROP_RUN_BUDGET:
      self->run_budget = g_value_get_uint64 (value);
      break;
    case PROP_RING_SIZE:
      self->ring_size = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
smiley_python_source_class_init (SmileyPythonSourceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags   rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;
  GParamFlags   ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->constructed = smiley_python_source_constructed;
  object_class->finalize = smiley_python_source_finalize;
  object_class->get_property = smiley_python_source_get_property;
  object_class->set_property = smiley_python_source_set_property;

  properties[PROP_ARGV] = g_param_spec_boxed (
      "argv", NULL, "The script and its arguments, or the arguments of -m MODULE", G_TYPE_STRV, rw);
  properties[PROP_MODULE]
      = g_param_spec_string ("module", NULL, "Module to run as python3 -m MODULE", NULL, rw);
  properties[PROP_PYTHON] = g_param_spec_string (
      "python", NULL,
      "Interpreter to run (default: $VIRTUAL_ENV/bin/python3, else Debian's python3)", NULL, rw);
  properties[PROP_DESCRIPTION] = g_param_spec_string (
      "description", NULL, "Description of the run (default: the command line)", NULL, rw);
  properties[PROP_INCLUDE_STDLIB]
      = g_param_spec_boolean ("include-stdlib", NULL, "Trace the standard library too", FALSE, rw);
  properties[PROP_INCLUDE_SITE_PACKAGES]
      = g_param_spec_boolean ("include-site-packages", NULL, "Trace installed packages", TRUE, rw);
  properties[PROP_INCLUDE_PACKAGES] = g_param_spec_boxed (
      "include-packages", NULL, "Packages traced even where others are not", G_TYPE_STRV, rw);
  properties[PROP_EXCLUDE] = g_param_spec_boxed (
      "exclude", NULL, "fnmatch patterns of files or modules not to trace", G_TYPE_STRV, rw);
  properties[PROP_PROFILE_ONLY] = g_param_spec_boolean (
      "profile-only", NULL,
      "Only collect profile statistics and calls/returns: no lines, locals or values", FALSE, rw);
  properties[PROP_REPR_LIMIT]
      = g_param_spec_uint ("repr-limit", NULL, "Bytes of a rendered value before it is cut with …",
                           16, G_MAXUINT32, DEFAULT_REPR_LIMIT, rw);
  properties[PROP_EVENT_BUDGET]
      = g_param_spec_uint ("event-budget", NULL, "Bytes of values per event (0: no limit)", 0,
                           G_MAXUINT32, DEFAULT_EVENT_BUDGET, rw);
  properties[PROP_RUN_BUDGET]
      = g_param_spec_uint64 ("run-budget", NULL, "Bytes of values per run (0: no limit)", 0,
                             G_MAXUINT64, DEFAULT_RUN_BUDGET, rw);
  properties[PROP_RING_SIZE] = g_param_spec_uint (
      "ring-size", NULL, "Bytes of shared memory between the program and smiley", 0, 1u << 30,
      SMILEY_RING_DEFAULT_SIZE, rw);
  properties[PROP_EVENTS_EMITTED] = g_param_spec_uint64 (
      "events-emitted", NULL, "Events the tracer emitted", 0, G_MAXUINT64, 0, ro);
  properties[PROP_EVENTS_DELIVERED] = g_param_spec_uint64 (
      "events-delivered", NULL, "Events the sink received", 0, G_MAXUINT64, 0, ro);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
smiley_python_source_init (SmileyPythonSource *self)
{
  self->include_site_packages = TRUE;
  self->repr_limit = DEFAULT_REPR_LIMIT;
  self->event_budget = DEFAULT_EVENT_BUDGET;
  self->run_budget = DEFAULT_RUN_BUDGET;
  self->ring_size = SMILEY_RING_DEFAULT_SIZE;
}
