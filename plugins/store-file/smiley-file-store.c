/* smiley-file-store.c
 *
 * SPDX-License-Identifier: Apache-2.0
 *
 * A directory of runs: DIR/RUNID.smly is the run's frame stream exactly as
 * SmileyFrameWriter encodes it, appended as batches arrive, and DIR/index
 * is a key file with every run's metadata, rewritten atomically when a run
 * begins or ends. A log whose writer was killed ends at a frame boundary
 * or inside a frame; it reads up to its last complete frame, and the run
 * is RUNNING (nobody saw it end).
 *
 * Thread rules: one store object is used from one thread at a time.
 * Several processes may share a directory: the index is rewritten under
 * an flock() of the directory, from what is on disk at that moment.
 */
#include "smiley-build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <glib-unix.h>

#include "smiley-file-store.h"
#include "smiley-log-cursor.h"

#define INDEX_NAME "index"
#define INDEX_GROUP "store"
#define INDEX_FORMAT "smiley-file-store"
#define RUN_GROUP_PREFIX "run "
#define LOG_SUFFIX ".smly"

/* A run this store object is writing. */
typedef struct
{
  SmileyRun         *run;
  SmileyFrameWriter *writer;
  char              *path;
  int                fd;
  guint64            written;
  gboolean           deleted; /* by another process, while being written */
} RunLog;

/* A run read from its log: its whole tables (the log was read to the end
 * once), and for each thread paged (and for all threads) a cursor where
 * its last page ended, so paging forwards reads the log once, in bounded
 * memory, even when a viewer pages several threads in turn. Kept until
 * the log changes. */
typedef struct
{
  char       *id;
  SmileyRun  *run;
  GHashTable *cursors; /* thread + 1 (0 for all) → SmileyLogCursor */
  gint64      size;
  gint64      mtime;
} DecodedRun;

struct _SmileyFileStore
{
  GObject parent_instance;

  char    *location;
  char    *index_path;
  gboolean opened;
  /* The directory cannot be written by this user: reading works, writing
   * is refused. */
  gboolean read_only;
  /* The "read-only" property: whoever opened the store only reads it. */
  gboolean    open_read_only;
  GHashTable *logs;    /* run id → RunLog */
  DecodedRun *decoded; /* the last run read */
};

enum
{
  PROP_0,
  PROP_LOCATION,
  PROP_READ_ONLY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void smiley_file_store_initable_iface_init (GInitableIface *iface);
static void smiley_file_store_sink_iface_init (SmileySinkInterface *iface);
static void smiley_file_store_store_iface_init (SmileyStoreInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (
    SmileyFileStore, smiley_file_store, G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE, smiley_file_store_initable_iface_init)
        G_IMPLEMENT_INTERFACE (SMILEY_TYPE_SINK, smiley_file_store_sink_iface_init)
            G_IMPLEMENT_INTERFACE (SMILEY_TYPE_STORE, smiley_file_store_store_iface_init))

static void
run_log_free (gpointer data)
{
  RunLog *log = data;

  if (log->fd >= 0)
    close (log->fd);
  g_object_unref (log->run);
  smiley_frame_writer_free (log->writer);
  g_free (log->path);
  g_free (log);
}

static void
decoded_run_free (DecodedRun *decoded)
{
  if (decoded == NULL)
    return;
  g_free (decoded->id);
  g_clear_object (&decoded->run);
  g_hash_table_unref (decoded->cursors);
  g_free (decoded);
}

static void
io_error (GError **error, int saved_errno, const char *path, const char *doing)
{
  g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_IO, "%s: %s: %s%s", path, doing,
               g_strerror (saved_errno),
               saved_errno == ENOSPC || saved_errno == EFBIG || saved_errno == EDQUOT
                   ? " (the run is left unfinished)"
                   : "");
}

/* A run id becomes a file name and a key-file group name: it may not
 * leave the directory or break the index. */
static gboolean
run_id_is_valid (const char *id)
{
  if (id == NULL || *id == '\0' || *id == '.' || !g_utf8_validate (id, -1, NULL))
    return FALSE;
  for (const char *p = id; *p != '\0'; p++)
    if (*p == '/' || *p == '[' || *p == ']' || (guchar)*p < 0x20 || *p == 0x7f)
      return FALSE;
  return TRUE;
}

static char *
log_path (SmileyFileStore *self, const char *id)
{
  g_autofree char *name = g_strconcat (id, LOG_SUFFIX, NULL);

  return g_build_filename (self->location, name, NULL);
}

static void
not_found (SmileyFileStore *self, const char *id, GError **error)
{
  g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NOT_FOUND,
               "no run with id '%s' in %s (see 'smiley list')", id, self->location);
}

/* The index */

/* Reads DIR/index; a missing index is an empty one. */
static GKeyFile *
load_index (SmileyFileStore *self, GError **error)
{
  g_autoptr (GKeyFile) index = g_key_file_new ();
  g_autoptr (GError) local_error = NULL;
  g_autofree char *format = NULL;
  gint64           version;

  if (!g_key_file_load_from_file (index, self->index_path, G_KEY_FILE_KEEP_COMMENTS, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        {
          g_key_file_set_string (index, INDEX_GROUP, "format", INDEX_FORMAT);
          g_key_file_set_int64 (index, INDEX_GROUP, "version", SMILEY_FILE_STORE_VERSION);
          return g_steal_pointer (&index);
        }
      if (local_error->domain == G_FILE_ERROR)
        g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_IO,
                     "%s: cannot read the index: %s", self->index_path, local_error->message);
      else
        g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NOT_A_STORE,
                     "%s: not a smiley file store index (%s)", self->index_path,
                     local_error->message);
      return NULL;
    }

  format = g_key_file_get_string (index, INDEX_GROUP, "format", NULL);
  if (g_strcmp0 (format, INDEX_FORMAT) != 0)
    {
      g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NOT_A_STORE,
                   "%s: not a smiley file store index (no [%s] format=%s)", self->index_path,
                   INDEX_GROUP, INDEX_FORMAT);
      return NULL;
    }
  version = g_key_file_get_int64 (index, INDEX_GROUP, "version", &local_error);
  if (local_error != NULL || version < 1)
    {
      g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_CORRUPT,
                   "%s: the index is damaged (no valid version)", self->index_path);
      return NULL;
    }
  if (version > SMILEY_FILE_STORE_VERSION)
    {
      g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_VERSION,
                   "%s: written by a newer smiley (file store version %" G_GINT64_FORMAT
                   ", this one reads up to %d)",
                   self->index_path, version, SMILEY_FILE_STORE_VERSION);
      return NULL;
    }
  return g_steal_pointer (&index);
}

typedef gboolean (*IndexEditFunc) (GKeyFile *index, gpointer user_data, GError **error);

/* Re-reads the index, lets @edit change it and writes it back, all under
 * an exclusive lock of the directory, so that processes sharing the store
 * do not lose each other's runs. */
/* Takes an exclusive flock() of the store's directory, which every
 * change to the index and the store's creation hold. Returns the
 * directory's descriptor (closing it unlocks), or -1 with @error set. */
static int
lock_directory (SmileyFileStore *self, GError **error)
{
  int dir_fd = open (self->location, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (dir_fd < 0)
    {
      io_error (error, errno, self->location, "cannot open the store");
      return -1;
    }
  while (flock (dir_fd, LOCK_EX) != 0)
    if (errno != EINTR)
      {
        io_error (error, errno, self->location, "cannot lock the store");
        close (dir_fd);
        return -1;
      }
  return dir_fd;
}

static gboolean
edit_index (SmileyFileStore *self, IndexEditFunc edit, gpointer user_data, GError **error)
{
  g_autoptr (GKeyFile) index = NULL;
  g_autofree char *data = NULL;
  gsize            length;
  gboolean         ok = FALSE;
  int              dir_fd = lock_directory (self, error);

  if (dir_fd < 0)
    return FALSE;

  if ((index = load_index (self, error)) == NULL || !edit (index, user_data, error))
    goto out;
  data = g_key_file_to_data (index, &length, NULL);
  if (!g_file_set_contents_full (self->index_path, data, length,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE, 0644,
                                 NULL))
    {
      io_error (error, errno, self->index_path, "cannot write the index");
      goto out;
    }
  ok = TRUE;

out:
  close (dir_fd);
  return ok;
}

static const char *
state_to_string (SmileyRunState state)
{
  switch (state)
    {
    case SMILEY_RUN_FINISHED:
      return "finished";
    case SMILEY_RUN_ABNORMAL:
      return "abnormal";
    case SMILEY_RUN_RUNNING:
    default:
      return "running";
    }
}

static SmileyRunState
state_from_string (const char *text)
{
  if (g_strcmp0 (text, "finished") == 0)
    return SMILEY_RUN_FINISHED;
  if (g_strcmp0 (text, "abnormal") == 0)
    return SMILEY_RUN_ABNORMAL;
  return SMILEY_RUN_RUNNING;
}

static void
set_optional_string (GKeyFile *index, const char *group, const char *key, const char *value)
{
  if (value != NULL)
    g_key_file_set_string (index, group, key, value);
  else
    g_key_file_remove_key (index, group, key, NULL);
}

/* Writes a run's metadata into its group; @log_size is the log's length
 * once the run ended, 0 while it runs. */
static void
index_set_run (GKeyFile *index, SmileyRun *run, guint64 log_size)
{
  g_autofree char   *group = g_strconcat (RUN_GROUP_PREFIX, smiley_run_get_id (run), NULL);
  const char *const *argv = smiley_run_get_argv (run);

  if (!g_key_file_has_group (index, group))
    {
      gint64 order = g_key_file_get_int64 (index, INDEX_GROUP, "next-order", NULL);

      g_key_file_set_int64 (index, INDEX_GROUP, "next-order", order + 1);
      g_key_file_set_int64 (index, group, "order", order);
    }
  g_key_file_set_string (index, group, "description",
                         smiley_run_get_description (run) ? smiley_run_get_description (run) : "");
  g_key_file_set_string (index, group, "cwd",
                         smiley_run_get_cwd (run) ? smiley_run_get_cwd (run) : "");
  g_key_file_set_string_list (index, group, "argv", argv,
                              argv != NULL ? g_strv_length ((char **)argv) : 0);
  g_key_file_set_int64 (index, group, "pid", smiley_run_get_pid (run));
  g_key_file_set_int64 (index, group, "start", smiley_run_get_start_time (run));
  g_key_file_set_int64 (index, group, "end", smiley_run_get_end_time (run));
  g_key_file_set_string (index, group, "state", state_to_string (smiley_run_get_state (run)));
  g_key_file_set_integer (index, group, "exit-status", smiley_run_get_exit_status (run));
  g_key_file_set_integer (index, group, "signal", smiley_run_get_signal (run));
  set_optional_string (index, group, "error", smiley_run_get_error (run));
  set_optional_string (index, group, "traceback", smiley_run_get_traceback (run));
  g_key_file_set_uint64 (index, group, "events-emitted", smiley_run_get_events_emitted (run));
  g_key_file_set_uint64 (index, group, "log-size", log_size);
}

/* A run as the index describes it; the log may say otherwise (see
 * list_runs). */
static SmileyRun *
index_get_run (GKeyFile *index, const char *group)
{
  SmileyRun *run = smiley_run_new (group + strlen (RUN_GROUP_PREFIX));
  g_auto (GStrv) argv = g_key_file_get_string_list (index, group, "argv", NULL, NULL);
  g_autofree char *description = g_key_file_get_string (index, group, "description", NULL);
  g_autofree char *cwd = g_key_file_get_string (index, group, "cwd", NULL);
  g_autofree char *state = g_key_file_get_string (index, group, "state", NULL);
  g_autofree char *error_text = g_key_file_get_string (index, group, "error", NULL);
  g_autofree char *traceback = g_key_file_get_string (index, group, "traceback", NULL);
  g_autoptr (GError) error = NULL;
  int exit_status;

  smiley_run_set_description (run, description);
  smiley_run_set_cwd (run, cwd);
  if (argv != NULL)
    smiley_run_set_argv (run, (const char *const *)argv);
  smiley_run_set_pid (run, (guint32)g_key_file_get_int64 (index, group, "pid", NULL));
  smiley_run_set_start_time (run, g_key_file_get_int64 (index, group, "start", NULL));
  smiley_run_set_end_time (run, g_key_file_get_int64 (index, group, "end", NULL));
  smiley_run_set_state (run, state_from_string (state));
  exit_status = g_key_file_get_integer (index, group, "exit-status", &error);
  smiley_run_set_exit_status (run, error != NULL ? -1 : exit_status);
  smiley_run_set_signal (run, g_key_file_get_integer (index, group, "signal", NULL));
  smiley_run_set_error (run, error_text);
  smiley_run_set_traceback (run, traceback);
  smiley_run_set_events_emitted (run, g_key_file_get_uint64 (index, group, "events-emitted", NULL));
  return run;
}

typedef struct
{
  SmileyRun  *run;
  guint64     log_size;
  const char *location; /* set when the run must be in the index already */
} IndexUpdate;

static void
run_deleted_error (const char *location, SmileyRun *run, GError **error)
{
  g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NOT_FOUND,
               "%s: run %s was deleted while it was being recorded", location,
               smiley_run_get_id (run));
}

static gboolean
index_update_run (GKeyFile *index, gpointer user_data, GError **error)
{
  IndexUpdate     *update = user_data;
  g_autofree char *group = g_strconcat (RUN_GROUP_PREFIX, smiley_run_get_id (update->run), NULL);

  /* Deleted by another process since it began: adding it back would
   * list a run whose log is gone. */
  if (update->location != NULL && !g_key_file_has_group (index, group))
    {
      run_deleted_error (update->location, update->run, error);
      return FALSE;
    }
  index_set_run (index, update->run, update->log_size);
  return TRUE;
}

static gboolean
index_remove_run (GKeyFile *index, gpointer user_data, GError **error)
{
  g_autofree char *group = g_strconcat (RUN_GROUP_PREFIX, (const char *)user_data, NULL);

  g_key_file_remove_group (index, group, NULL);
  return TRUE;
}

/* Writing runs */

static gboolean
write_all (RunLog *log, GBytes *bytes, GError **error)
{
  gsize         length;
  const guint8 *data = g_bytes_get_data (bytes, &length);

  while (length > 0)
    {
      gssize n = write (log->fd, data, length);

      if (n < 0)
        {
          int saved_errno = errno;

          if (saved_errno == EINTR)
            continue;
          io_error (error, saved_errno, log->path, "cannot save events");
          return FALSE;
        }
      data += n;
      length -= n;
      log->written += n;
    }
  return TRUE;
}

static gboolean
write_pending (RunLog *log, GError **error)
{
  g_autoptr (GBytes) bytes = NULL;

  if (smiley_frame_writer_get_pending (log->writer) == 0)
    return TRUE;
  bytes = smiley_frame_writer_take_bytes (log->writer);
  return write_all (log, bytes, error);
}

static gboolean
sync_log (RunLog *log, GError **error)
{
  if (fsync (log->fd) != 0)
    {
      io_error (error, errno, log->path, "cannot save events");
      return FALSE;
    }
  return TRUE;
}

static void
forget_decoded (SmileyFileStore *self, const char *id)
{
  if (self->decoded != NULL && g_str_equal (self->decoded->id, id))
    g_clear_pointer (&self->decoded, decoded_run_free);
}

static RunLog *
lookup_log (SmileyFileStore *self, SmileyRun *run, GError **error)
{
  RunLog *log = g_hash_table_lookup (self->logs, smiley_run_get_id (run));

  if (log == NULL)
    g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NOT_FOUND,
                 "%s: run %s was not begun in this store", self->location, smiley_run_get_id (run));
  else if (log->deleted)
    {
      run_deleted_error (self->location, run, error);
      return NULL;
    }
  else if (log->fd < 0)
    {
      g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_IO,
                   "%s: not writing after an earlier failure", log->path);
      return NULL;
    }
  return log;
}

/* After a failed write the log may end inside a frame; nothing more may
 * be appended to it, and the run stays unfinished. */
static gboolean
abandon_log (RunLog *log)
{
  if (log->fd >= 0)
    close (log->fd);
  log->fd = -1;
  return FALSE;
}

static gboolean check_or_create_index_locked (SmileyFileStore *self, gboolean create,
                                              GError **error);

/* Makes the directory a store if it is not one yet: before the first
 * run's log is written, so that a directory holding a log always has an
 * index (see smiley_file_store_initable_init). */
static gboolean
create_index (SmileyFileStore *self, GError **error)
{
  gboolean ok;
  int      dir_fd;

  if (g_file_test (self->index_path, G_FILE_TEST_EXISTS))
    return TRUE;
  if ((dir_fd = lock_directory (self, error)) < 0)
    return FALSE;
  ok = check_or_create_index_locked (self, TRUE, error);
  close (dir_fd);
  return ok;
}

/* `smiley delete` in another process unlinks the log while this one
 * writes it; a link count of zero says so for the price of an fstat(). */
static gboolean
check_log_linked (SmileyFileStore *self, RunLog *log, GError **error)
{
  struct stat st;

  if (fstat (log->fd, &st) != 0)
    {
      io_error (error, errno, log->path, "cannot save events");
      return abandon_log (log);
    }
  if (st.st_nlink == 0)
    {
      log->deleted = TRUE;
      run_deleted_error (self->location, log->run, error);
      return abandon_log (log);
    }
  return TRUE;
}

static gboolean
smiley_file_store_begin_run (SmileySink *sink, SmileyRun *run, GError **error)
{
  SmileyFileStore *self = SMILEY_FILE_STORE (sink);
  const char      *id = smiley_run_get_id (run);
  IndexUpdate      update = { run, 0, NULL };
  RunLog          *log;

  if (self->read_only)
    {
      g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_IO,
                   "%s: cannot write to the store: %s", self->location,
                   self->open_read_only ? "it was opened read-only"
                                        : "it is read-only for this user");
      return FALSE;
    }
  if (!run_id_is_valid (id))
    {
      g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_IO,
                   "%s: a run id cannot be used as a file name: '%s'", self->location, id);
      return FALSE;
    }
  if (g_hash_table_contains (self->logs, id))
    {
      g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_IO,
                   "%s: run %s is already being recorded", self->location, id);
      return FALSE;
    }
  if (!create_index (self, error))
    return FALSE;

  log = g_new0 (RunLog, 1);
  log->run = g_object_ref (run);
  log->writer = smiley_frame_writer_new ();
  log->path = log_path (self, id);
  log->fd = open (log->path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
  if (log->fd < 0)
    {
      int saved_errno = errno;

      if (saved_errno == EEXIST)
        g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_IO,
                     "%s: a run with id %s is already stored", self->location, id);
      else
        io_error (error, saved_errno, log->path, "cannot create the run's log");
      run_log_free (log);
      return FALSE;
    }
  g_hash_table_insert (self->logs, g_strdup (id), log);

  smiley_frame_writer_begin_run (log->writer, run);
  if (!write_pending (log, error))
    return abandon_log (log);
  return edit_index (self, index_update_run, &update, error);
}

static gboolean
smiley_file_store_push (SmileySink *sink, SmileyRun *run, SmileyBatch *batch, GError **error)
{
  SmileyFileStore *self = SMILEY_FILE_STORE (sink);
  RunLog          *log = lookup_log (self, run, error);

  if (log == NULL || !check_log_linked (self, log, error))
    return FALSE;
  forget_decoded (self, smiley_run_get_id (run));
  /* Written at once: a log in the page cache outlives the process that
   * wrote it, so a killed recorder loses nothing it was given. */
  smiley_frame_writer_push (log->writer, run, batch);
  if (!write_pending (log, error))
    return abandon_log (log);
  return TRUE;
}

static gboolean
smiley_file_store_end_run (SmileySink *sink, SmileyRun *run, GError **error)
{
  SmileyFileStore *self = SMILEY_FILE_STORE (sink);
  RunLog          *log = lookup_log (self, run, error);
  IndexUpdate      update = { run, 0, self->location };
  GError          *local_error = NULL;

  if (log == NULL || !check_log_linked (self, log, error))
    return FALSE;
  forget_decoded (self, smiley_run_get_id (run));
  smiley_frame_writer_end_run (log->writer, run);
  if (!write_pending (log, error) || !sync_log (log, error))
    return abandon_log (log);
  /* The index says "ended" only once the whole log is on disk. */
  update.log_size = log->written;
  if (!edit_index (self, index_update_run, &update, &local_error))
    {
      if (g_error_matches (local_error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NOT_FOUND))
        log->deleted = TRUE;
      g_propagate_error (error, local_error);
      return abandon_log (log);
    }
  g_hash_table_remove (self->logs, smiley_run_get_id (run));
  return TRUE;
}

static gboolean
smiley_file_store_flush (SmileySink *sink, GError **error)
{
  SmileyFileStore *self = SMILEY_FILE_STORE (sink);
  GHashTableIter   iter;
  RunLog          *log;

  g_hash_table_iter_init (&iter, self->logs);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *)&log))
    if (log->fd >= 0 && (!write_pending (log, error) || !sync_log (log, error)))
      return abandon_log (log);
  return TRUE;
}

/* Reading runs */

/* Reads a whole log for the run's tables and end data. A log cut inside a
 * frame (its writer was killed) is read up to its last complete frame. */
static DecodedRun *
decode_log (SmileyFileStore *self, const char *id, GError **error)
{
  g_autofree char *path = NULL;
  g_autoptr (SmileyLogCursor) cursor = NULL;
  g_autoptr (SmileyRun) run = NULL;
  GError            *local_error = NULL;
  const SmileyEvent *event;
  DecodedRun        *decoded;
  GStatBuf           st;

  if (!run_id_is_valid (id))
    {
      not_found (self, id, error);
      return NULL;
    }
  path = log_path (self, id);
  if (g_stat (path, &st) != 0)
    {
      g_autoptr (GKeyFile) index = NULL;
      g_autofree char *group = NULL;

      if (errno == ENOENT)
        {
          /* Listed but gone: say so rather than "no such run". */
          group = g_strconcat (RUN_GROUP_PREFIX, id, NULL);
          index = load_index (self, NULL);
          if (index != NULL && g_key_file_has_group (index, group))
            g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_CORRUPT,
                         "%s: the run's log is missing", path);
          else
            not_found (self, id, error);
        }
      else
        io_error (error, errno, path, "cannot read the run");
      return NULL;
    }
  if (self->decoded != NULL && g_str_equal (self->decoded->id, id)
      && self->decoded->size == st.st_size && self->decoded->mtime == st.st_mtime)
    return self->decoded;

  cursor = smiley_log_cursor_new (path, &local_error);
  if (cursor == NULL)
    {
      if (g_error_matches (local_error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NOT_FOUND))
        {
          g_clear_error (&local_error);
          not_found (self, id, error);
        }
      else
        g_propagate_error (error, local_error);
      return NULL;
    }
  while (smiley_log_cursor_next (cursor, &event, NULL, &local_error))
    ;
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return NULL;
    }

  if (smiley_log_cursor_get_run (cursor) == NULL)
    {
      /* Cut before its first frame was complete: the index still knows
       * the run, which has no events. */
      g_autoptr (GKeyFile) index = load_index (self, NULL);
      g_autofree char *group = g_strconcat (RUN_GROUP_PREFIX, id, NULL);

      if (index == NULL || !g_key_file_has_group (index, group))
        {
          g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_CORRUPT,
                       "%s: the run's log is damaged (it ends before the run's first frame)", path);
          return NULL;
        }
      run = index_get_run (index, group);
      smiley_run_set_state (run, SMILEY_RUN_RUNNING);
    }
  else if (!g_str_equal (smiley_run_get_id (smiley_log_cursor_get_run (cursor)), id))
    {
      g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_CORRUPT,
                   "%s: the run's log is damaged (it holds run %s)", path,
                   smiley_run_get_id (smiley_log_cursor_get_run (cursor)));
      return NULL;
    }
  else
    run = g_object_ref (smiley_log_cursor_get_run (cursor));

  decoded = g_new0 (DecodedRun, 1);
  decoded->id = g_strdup (id);
  decoded->run = g_steal_pointer (&run);
  decoded->cursors
      = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify)smiley_log_cursor_free);
  decoded->size = st.st_size;
  decoded->mtime = st.st_mtime;
  g_clear_pointer (&self->decoded, decoded_run_free);
  self->decoded = decoded;
  return decoded;
}

static gint
compare_runs (gconstpointer a, gconstpointer b, gpointer user_data)
{
  GHashTable *order = user_data;
  SmileyRun  *x = *(SmileyRun **)a;
  SmileyRun  *y = *(SmileyRun **)b;
  gint64      ox, oy;

  if (smiley_run_get_start_time (x) != smiley_run_get_start_time (y))
    return smiley_run_get_start_time (x) > smiley_run_get_start_time (y) ? -1 : 1;
  ox = *(gint64 *)g_hash_table_lookup (order, x);
  oy = *(gint64 *)g_hash_table_lookup (order, y);
  return ox > oy ? -1 : (ox < oy ? 1 : 0);
}

static GPtrArray *
smiley_file_store_list_runs (SmileyStore *store, GError **error)
{
  SmileyFileStore *self = SMILEY_FILE_STORE (store);
  g_autoptr (GKeyFile) index = load_index (self, error);
  g_autoptr (GPtrArray) runs = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GHashTable) order = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  g_auto (GStrv) groups = NULL;

  if (index == NULL)
    return NULL;
  groups = g_key_file_get_groups (index, NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    {
      g_autofree char *path = NULL;
      SmileyRun       *run;
      GStatBuf         st;
      guint64          log_size;
      gint64           position;

      if (!g_str_has_prefix (groups[i], RUN_GROUP_PREFIX))
        continue;
      run = index_get_run (index, groups[i]);
      g_ptr_array_add (runs, run);
      position = g_key_file_get_int64 (index, groups[i], "order", NULL);
      g_hash_table_insert (order, run, g_memdup2 (&position, sizeof position));

      /* A log shorter than it was when its run ended was cut since: the
       * run reads back unfinished, so it is listed so. */
      log_size = g_key_file_get_uint64 (index, groups[i], "log-size", NULL);
      path = log_path (self, smiley_run_get_id (run));
      if (log_size > 0 && (g_stat (path, &st) != 0 || (guint64)st.st_size < log_size))
        smiley_run_set_state (run, SMILEY_RUN_RUNNING);
    }
  g_ptr_array_sort_with_data (runs, compare_runs, order);
  return g_steal_pointer (&runs);
}

static SmileyRun *
smiley_file_store_get_run (SmileyStore *store, const char *run_id, GError **error)
{
  SmileyFileStore *self = SMILEY_FILE_STORE (store);
  GError          *local_error = NULL;
  DecodedRun      *decoded = decode_log (self, run_id, &local_error);
  g_autoptr (GKeyFile) index = NULL;
  g_autofree char *group = NULL;
  SmileyRun       *run;

  if (decoded != NULL)
    return g_object_ref (decoded->run);

  /* A run the index lists but whose log is missing or damaged is still
   * found, as the index describes it, so that it can be deleted; reading
   * its events reports what is wrong with the log. */
  group = g_strconcat (RUN_GROUP_PREFIX, run_id, NULL);
  if (!g_error_matches (local_error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NOT_FOUND)
      && !g_error_matches (local_error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_CORRUPT))
    {
      g_propagate_error (error, local_error);
      return NULL;
    }
  index = load_index (self, NULL);
  if (index == NULL || !run_id_is_valid (run_id) || !g_key_file_has_group (index, group))
    {
      g_propagate_error (error, local_error);
      return NULL;
    }
  g_clear_error (&local_error);
  run = index_get_run (index, group);
  smiley_run_set_state (run, SMILEY_RUN_RUNNING);
  return run;
}

static gboolean
smiley_file_store_delete_run (SmileyStore *store, const char *run_id, GError **error)
{
  SmileyFileStore *self = SMILEY_FILE_STORE (store);
  g_autofree char *path = NULL;
  g_autoptr (GKeyFile) index = NULL;
  g_autofree char *group = NULL;

  if (g_hash_table_contains (self->logs, run_id))
    {
      g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_IO,
                   "%s: run %s is being recorded; it can be deleted once it ends", self->location,
                   run_id);
      return FALSE;
    }
  if ((index = load_index (self, error)) == NULL)
    return FALSE;
  if (self->read_only && run_id_is_valid (run_id))
    {
      g_autofree char *run_group = g_strconcat (RUN_GROUP_PREFIX, run_id, NULL);

      if (g_key_file_has_group (index, run_group))
        {
          g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_IO,
                       "%s: cannot delete run %s: the store %s", self->location, run_id,
                       self->open_read_only ? "was opened read-only"
                                            : "is read-only for this user");
          return FALSE;
        }
    }
  path = log_path (self, run_id);
  group = g_strconcat (RUN_GROUP_PREFIX, run_id, NULL);
  if (!run_id_is_valid (run_id)
      || (!g_key_file_has_group (index, group) && !g_file_test (path, G_FILE_TEST_EXISTS)))
    {
      not_found (self, run_id, error);
      return FALSE;
    }

  forget_decoded (self, run_id);
  if (g_unlink (path) != 0 && errno != ENOENT)
    {
      io_error (error, errno, path, "cannot delete the run");
      return FALSE;
    }
  return edit_index (self, index_remove_run, (gpointer)run_id, error);
}

static SmileyBatch *
smiley_file_store_get_events (SmileyStore *store, SmileyRun *run, int thread, guint64 offset,
                              guint limit, GError **error)
{
  SmileyFileStore *self = SMILEY_FILE_STORE (store);
  DecodedRun      *decoded = decode_log (self, smiley_run_get_id (run), error);
  g_autoptr (SmileyBatch) batch = NULL;
  GError            *local_error = NULL;
  const SmileyEvent *event;
  SmileyLogCursor   *cursor;
  guint64            thread_index;
  gpointer           key;

  if (decoded == NULL)
    return NULL;
  if (thread < -1)
    thread = -1;
  key = GINT_TO_POINTER (thread + 1);

  /* Pages are read forwards; going back means reading from the start. */
  cursor = g_hash_table_lookup (decoded->cursors, key);
  if (cursor != NULL
      && (thread < 0 ? smiley_log_cursor_get_position (cursor)
                     : smiley_log_cursor_get_thread_position (cursor, thread))
             > offset)
    {
      g_hash_table_remove (decoded->cursors, key);
      cursor = NULL;
    }
  if (cursor == NULL)
    {
      g_autofree char *path = log_path (self, decoded->id);

      if ((cursor = smiley_log_cursor_new (path, error)) == NULL)
        return NULL;
      /* A few threads paged in turn keep their cursors; more start over. */
      if (g_hash_table_size (decoded->cursors) >= 8)
        g_hash_table_remove_all (decoded->cursors);
      g_hash_table_insert (decoded->cursors, key, cursor);
    }

  batch = smiley_batch_new ();
  while (smiley_batch_get_length (batch) < limit
         && smiley_log_cursor_next (cursor, &event, &thread_index, &local_error))
    {
      if (thread < 0 ? smiley_log_cursor_get_position (cursor) > offset
                     : event->thread == (guint32)thread && thread_index >= offset)
        smiley_batch_add (batch, event);
    }
  if (local_error != NULL)
    {
      g_hash_table_remove (decoded->cursors, key);
      g_propagate_error (error, local_error);
      return NULL;
    }
  return g_steal_pointer (&batch);
}

static GBytes *
smiley_file_store_get_source (SmileyStore *store, SmileyRun *run, const char *path, GError **error)
{
  SmileyFileStore *self = SMILEY_FILE_STORE (store);
  DecodedRun      *decoded = decode_log (self, smiley_run_get_id (run), error);

  if (decoded == NULL)
    return NULL;
  /* The latest content recorded under that name wins. */
  for (guint i = smiley_run_get_n_sources (decoded->run); i > 0; i--)
    {
      guint32 file;
      GBytes *content = smiley_run_get_source (decoded->run, i - 1, &file);

      if (g_strcmp0 (smiley_run_get_string (decoded->run, file), path) == 0)
        return g_bytes_ref (content);
    }
  g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NOT_FOUND,
               "run %s did not record the file '%s'", smiley_run_get_id (run), path);
  return NULL;
}

static GStrv
smiley_file_store_list_files (SmileyStore *store, SmileyRun *run, GError **error)
{
  SmileyFileStore *self = SMILEY_FILE_STORE (store);
  DecodedRun      *decoded = decode_log (self, smiley_run_get_id (run), error);
  g_autoptr (GStrvBuilder) files = NULL;
  g_autoptr (GHashTable) seen = NULL;

  if (decoded == NULL)
    return NULL;
  files = g_strv_builder_new ();
  seen = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < smiley_run_get_n_sources (decoded->run); i++)
    {
      guint32     file;
      const char *name;

      smiley_run_get_source (decoded->run, i, &file);
      name = smiley_run_get_string (decoded->run, file);
      if (name != NULL && g_hash_table_add (seen, (gpointer)name))
        g_strv_builder_add (files, name);
    }
  return g_strv_builder_end (files);
}

static SmileyStats *
smiley_file_store_get_stats (SmileyStore *store, SmileyRun *run, GError **error)
{
  SmileyFileStore *self = SMILEY_FILE_STORE (store);
  DecodedRun      *decoded = decode_log (self, smiley_run_get_id (run), error);
  SmileyStats     *stats;

  if (decoded == NULL)
    return NULL;
  stats = smiley_run_get_stats (decoded->run);
  if (stats == NULL)
    {
      g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NO_STATS,
                   "run %s has no profile statistics (it is still running, or ended before "
                   "it could write them)",
                   smiley_run_get_id (run));
      return NULL;
    }
  return smiley_stats_ref (stats);
}

/* Opening */

/* With the directory locked: checks that an empty directory can become a
 * store, or finds that another process just made it one; with @create,
 * makes it one. */
static gboolean
check_or_create_index_locked (SmileyFileStore *self, gboolean create, GError **error)
{
  g_autoptr (GKeyFile) index = NULL;
  g_autoptr (GDir) dir = NULL;
  g_autofree char *data = NULL;

  if (g_file_test (self->index_path, G_FILE_TEST_EXISTS))
    return (index = load_index (self, error)) != NULL;

  /* Only an empty directory becomes a store: anything else is some
   * other directory given by mistake. */
  dir = g_dir_open (self->location, 0, NULL);
  if (dir != NULL && g_dir_read_name (dir) != NULL)
    {
      g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NOT_A_STORE,
                   "%s: not a smiley file store (no '%s' file, and the directory is not empty)",
                   self->location, INDEX_NAME);
      return FALSE;
    }
  if ((index = load_index (self, error)) == NULL)
    return FALSE;
  if (!create)
    return TRUE;
  data = g_key_file_to_data (index, NULL, NULL);
  if (!g_file_set_contents_full (self->index_path, data, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644,
                                 NULL))
    {
      io_error (error, errno, self->index_path, "cannot create the store");
      return FALSE;
    }
  return TRUE;
}

static gboolean
smiley_file_store_initable_init (GInitable *initable, GCancellable *cancellable, GError **error)
{
  SmileyFileStore *self = SMILEY_FILE_STORE (initable);
  g_autoptr (GKeyFile) index = NULL;
  GStatBuf st;
  gboolean ok;
  int      dir_fd;

  if (self->opened)
    return TRUE;
  if (self->location == NULL || *self->location == '\0')
    {
      g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NOT_FOUND,
                   "a file store needs a directory (--store file:DIR)");
      return FALSE;
    }
  g_free (self->index_path);
  self->index_path = g_build_filename (self->location, INDEX_NAME, NULL);

  if (self->open_read_only)
    {
      self->read_only = TRUE;
      /* Nothing to read yet: no runs, and nothing is created. */
      if (g_stat (self->location, &st) != 0 && errno == ENOENT)
        {
          self->opened = TRUE;
          return TRUE;
        }
    }

  /* Several processes may create the same store at once: a directory
   * someone else just made is as good as one made here. */
  if (g_mkdir (self->location, 0755) != 0 && errno != EEXIST)
    {
      int              saved_errno = errno;
      g_autofree char *parent = g_path_get_dirname (self->location);

      if (saved_errno == ENOENT && !g_file_test (parent, G_FILE_TEST_IS_DIR))
        g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_IO,
                     "%s: cannot create the store: there is no directory %s", self->location,
                     parent);
      else if (g_stat (self->location, &st) != 0)
        io_error (error, saved_errno, self->location, "cannot create the store");
      else
        goto exists; /* e.g. EACCES on an existing directory, read-only media */
      return FALSE;
    }
exists:
  if (g_stat (self->location, &st) != 0)
    {
      io_error (error, errno, self->location, "cannot open the store");
      return FALSE;
    }
  if (!S_ISDIR (st.st_mode))
    {
      g_set_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NOT_A_STORE,
                   "%s: not a smiley file store (it is a file, not a directory; an SQLite "
                   "database is opened with --store sqlite:%s)",
                   self->location, self->location);
      return FALSE;
    }

  if (g_file_test (self->index_path, G_FILE_TEST_EXISTS))
    {
      if ((index = load_index (self, error)) == NULL)
        return FALSE;
      if (access (self->location, W_OK) != 0)
        self->read_only = TRUE;
      self->opened = TRUE;
      return TRUE;
    }

  /* No index yet: the index is created by the first run written (see
   * create_index), so that `smiley list` on an empty directory leaves it
   * empty. Whether the directory is one is still checked now, under the
   * lock that creating the index holds. */
  if (access (self->location, W_OK) != 0)
    self->read_only = TRUE;
  dir_fd = lock_directory (self, error);
  if (dir_fd < 0)
    return FALSE;
  ok = check_or_create_index_locked (self, FALSE, error);
  close (dir_fd);
  if (!ok)
    return FALSE;
  self->opened = TRUE;
  return TRUE;
}

/* GObject */

static void
smiley_file_store_dispose (GObject *object)
{
  SmileyFileStore *self = SMILEY_FILE_STORE (object);

  /* Runs not ended keep their logs as written: they read back RUNNING. */
  g_hash_table_remove_all (self->logs);
  g_clear_pointer (&self->decoded, decoded_run_free);

  G_OBJECT_CLASS (smiley_file_store_parent_class)->dispose (object);
}

static void
smiley_file_store_finalize (GObject *object)
{
  SmileyFileStore *self = SMILEY_FILE_STORE (object);

  g_free (self->location);
  g_free (self->index_path);
  g_hash_table_unref (self->logs);

  G_OBJECT_CLASS (smiley_file_store_parent_class)->finalize (object);
}

static void
smiley_file_store_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SmileyFileStore *self = SMILEY_FILE_STORE (object);

  switch (prop_id)
    {
    case PROP_LOCATION:
      g_value_set_string (value, self->location);
      break;
    case PROP_READ_ONLY:
      g_value_set_boolean (value, self->open_read_only);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
smiley_file_store_set_property (GObject *object, guint prop_id, const GValue *value,
                                GParamSpec *pspec)
{
  SmileyFileStore *self = SMILEY_FILE_STORE (object);

  switch (prop_id)
    {
    case PROP_LOCATION:
      g_free (self->location);
      self->location = g_value_dup_string (value);
      break;
    case PROP_READ_ONLY:
      self->open_read_only = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
smiley_file_store_class_init (SmileyFileStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = smiley_file_store_dispose;
  object_class->finalize = smiley_file_store_finalize;
  object_class->get_property = smiley_file_store_get_property;
  object_class->set_property = smiley_file_store_set_property;

  /**
   * SmileyFileStore:location:
   *
   * The store's directory; created (with its parent required to exist)
   * when missing.
   */
  properties[PROP_LOCATION] = g_param_spec_string ("location", NULL, NULL, NULL,
                                                   G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * SmileyFileStore:read-only:
   *
   * Whether the store is only read (`list`, `replay`, `server`…): a
   * missing directory reads as a store with no runs and is not created,
   * and writing fails.
   */
  properties[PROP_READ_ONLY]
      = g_param_spec_boolean ("read-only", NULL, NULL, FALSE,
                              G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
smiley_file_store_init (SmileyFileStore *self)
{
  self->logs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, run_log_free);
}

static void
smiley_file_store_initable_iface_init (GInitableIface *iface)
{
  iface->init = smiley_file_store_initable_init;
}

static void
smiley_file_store_sink_iface_init (SmileySinkInterface *iface)
{
  iface->begin_run = smiley_file_store_begin_run;
  iface->push = smiley_file_store_push;
  iface->end_run = smiley_file_store_end_run;
  iface->flush = smiley_file_store_flush;
}

static void
smiley_file_store_store_iface_init (SmileyStoreInterface *iface)
{
  iface->list_runs = smiley_file_store_list_runs;
  iface->get_run = smiley_file_store_get_run;
  iface->delete_run = smiley_file_store_delete_run;
  iface->get_events = smiley_file_store_get_events;
  iface->get_source = smiley_file_store_get_source;
  iface->list_files = smiley_file_store_list_files;
  iface->get_stats = smiley_file_store_get_stats;
}
