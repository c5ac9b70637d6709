/* smiley-run.c
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include "smiley.h"

typedef struct
{
  guint32 file;
  GBytes *content;
} RunSource;

struct _SmileyRun
{
  GObject parent_instance;

  char          *id;
  char          *description;
  char          *cwd;
  GStrv          argv;
  guint32        pid;
  gint64         start_time;
  gint64         end_time;
  SmileyRunState state;
  int            exit_status;
  int            signum;
  char          *error;
  char          *traceback;
  guint64        events_emitted;

  GPtrArray   *strings;    /* id → char*, [0] = "" */
  GHashTable  *string_ids; /* char* (owned by strings) → id */
  GPtrArray   *threads;    /* id - 1 → SmileyThread* (may be NULL) */
  GArray      *sources;    /* RunSource */
  SmileyStats *stats;
};

G_DEFINE_FINAL_TYPE (SmileyRun, smiley_run, G_TYPE_OBJECT)

static void
thread_free (gpointer data)
{
  SmileyThread *thread = data;

  if (thread == NULL)
    return;
  g_free (thread->name);
  g_free (thread);
}

static void
run_source_clear (gpointer data)
{
  RunSource *source = data;

  g_clear_pointer (&source->content, g_bytes_unref);
}

static void
smiley_run_finalize (GObject *object)
{
  SmileyRun *self = SMILEY_RUN (object);

  g_free (self->id);
  g_free (self->description);
  g_free (self->cwd);
  g_strfreev (self->argv);
  g_free (self->error);
  g_free (self->traceback);
  g_hash_table_unref (self->string_ids);
  g_ptr_array_unref (self->strings);
  g_ptr_array_unref (self->threads);
  g_array_unref (self->sources);
  g_clear_pointer (&self->stats, smiley_stats_unref);

  G_OBJECT_CLASS (smiley_run_parent_class)->finalize (object);
}

static void
smiley_run_class_init (SmileyRunClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = smiley_run_finalize;
}

static void
smiley_run_init (SmileyRun *self)
{
  self->strings = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->strings, g_strdup (""));
  self->string_ids = g_hash_table_new (g_str_hash, g_str_equal);
  g_hash_table_insert (self->string_ids, self->strings->pdata[0], GUINT_TO_POINTER (0));
  self->threads = g_ptr_array_new_with_free_func (thread_free);
  self->sources = g_array_new (FALSE, TRUE, sizeof (RunSource));
  g_array_set_clear_func (self->sources, run_source_clear);
  self->exit_status = -1;
}

/**
 * smiley_run_new:
 * @id: (nullable): the run's id, or %NULL for a new random UUID
 *
 * Returns: (transfer full): a run in the %SMILEY_RUN_RUNNING state
 */
SmileyRun *
smiley_run_new (const char *id)
{
  SmileyRun *self = g_object_new (SMILEY_TYPE_RUN, NULL);

  self->id = id != NULL ? g_strdup (id) : g_uuid_string_random ();
  return self;
}

#define STRING_ACCESSORS(field, getter, setter)                                                    \
  const char *getter (SmileyRun *self)                                                             \
  {                                                                                                \
    g_return_val_if_fail (SMILEY_IS_RUN (self), NULL);                                             \
    return self->field;                                                                            \
  }                                                                                                \
  void setter (SmileyRun *self, const char *value)                                                 \
  {                                                                                                \
    g_return_if_fail (SMILEY_IS_RUN (self));                                                       \
    if (value != self->field)                                                                      \
      {                                                                                            \
        g_free (self->field);                                                                      \
        self->field = g_strdup (value);                                                            \
      }                                                                                            \
  }

#define SCALAR_ACCESSORS(type, field, getter, setter)                                              \
  type getter (SmileyRun *self)                                                                    \
  {                                                                                                \
    g_return_val_if_fail (SMILEY_IS_RUN (self), 0);                                                \
    return self->field;                                                                            \
  }                                                                                                \
  void setter (SmileyRun *self, type value)                                                        \
  {                                                                                                \
    g_return_if_fail (SMILEY_IS_RUN (self));                                                       \
    self->field = value;                                                                           \
  }

const char *
smiley_run_get_id (SmileyRun *self)
{
  g_return_val_if_fail (SMILEY_IS_RUN (self), NULL);

  return self->id;
}

STRING_ACCESSORS (description, smiley_run_get_description, smiley_run_set_description)
STRING_ACCESSORS (cwd, smiley_run_get_cwd, smiley_run_set_cwd)
STRING_ACCESSORS (error, smiley_run_get_error, smiley_run_set_error)
STRING_ACCESSORS (traceback, smiley_run_get_traceback, smiley_run_set_traceback)
SCALAR_ACCESSORS (guint32, pid, smiley_run_get_pid, smiley_run_set_pid)
SCALAR_ACCESSORS (gint64, start_time, smiley_run_get_start_time, smiley_run_set_start_time)
SCALAR_ACCESSORS (gint64, end_time, smiley_run_get_end_time, smiley_run_set_end_time)
SCALAR_ACCESSORS (SmileyRunState, state, smiley_run_get_state, smiley_run_set_state)
SCALAR_ACCESSORS (int, exit_status, smiley_run_get_exit_status, smiley_run_set_exit_status)
SCALAR_ACCESSORS (int, signum, smiley_run_get_signal, smiley_run_set_signal)
SCALAR_ACCESSORS (guint64, events_emitted, smiley_run_get_events_emitted,
                  smiley_run_set_events_emitted)

/**
 * smiley_run_get_argv:
 * @self: a run
 *
 * Returns: (transfer none) (nullable): the traced program's command line
 */
const char *const *
smiley_run_get_argv (SmileyRun *self)
{
  g_return_val_if_fail (SMILEY_IS_RUN (self), NULL);

  return (const char *const *)self->argv;
}

void
smiley_run_set_argv (SmileyRun *self, const char *const *argv)
{
  g_return_if_fail (SMILEY_IS_RUN (self));

  g_strfreev (self->argv);
  self->argv = g_strdupv ((char **)argv);
}

/**
 * smiley_run_intern:
 * @self: a run
 * @text: a file, function or variable name
 *
 * Returns: the id of @text in the run's string table, adding it if new
 */
guint32
smiley_run_intern (SmileyRun *self, const char *text)
{
  gpointer id;
  char    *copy;

  g_return_val_if_fail (SMILEY_IS_RUN (self), 0);

  if (text == NULL)
    return 0;
  if (g_hash_table_lookup_extended (self->string_ids, text, NULL, &id))
    return GPOINTER_TO_UINT (id);

  copy = g_strdup (text);
  g_ptr_array_add (self->strings, copy);
  g_hash_table_insert (self->string_ids, copy, GUINT_TO_POINTER (self->strings->len - 1));
  return self->strings->len - 1;
}

/**
 * smiley_run_set_string:
 * @self: a run
 * @id: the id a producer gave the string; must be the next free id
 * @text: the string
 * @error: set when @id is not the next free id
 *
 * Defines a string with the id its producer chose, as decoders and stores
 * do when they rebuild a run. Ids stay dense, so one that would leave a gap
 * or redefine a known id is refused.
 *
 * Returns: whether the string was defined
 */
gboolean
smiley_run_set_string (SmileyRun *self, guint32 id, const char *text, GError **error)
{
  char *copy;

  g_return_val_if_fail (SMILEY_IS_RUN (self), FALSE);
  g_return_val_if_fail (text != NULL, FALSE);

  if (id != self->strings->len)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "string id %u out of sequence (expected %u)", id, self->strings->len);
      return FALSE;
    }

  copy = g_strdup (text);
  g_ptr_array_add (self->strings, copy);
  /* Two ids may carry the same text if a producer interned it twice; the
   * first one stays the canonical id. */
  if (!g_hash_table_contains (self->string_ids, copy))
    g_hash_table_insert (self->string_ids, copy, GUINT_TO_POINTER (id));
  return TRUE;
}

/**
 * smiley_run_get_string:
 * @self: a run
 * @id: a string id
 *
 * Returns: (transfer none) (nullable): the string, or %NULL for an unknown id
 */
const char *
smiley_run_get_string (SmileyRun *self, guint32 id)
{
  g_return_val_if_fail (SMILEY_IS_RUN (self), NULL);

  if (id >= self->strings->len)
    return NULL;
  return g_ptr_array_index (self->strings, id);
}

guint32
smiley_run_get_n_strings (SmileyRun *self)
{
  g_return_val_if_fail (SMILEY_IS_RUN (self), 0);

  return self->strings->len;
}

/**
 * smiley_run_set_thread:
 * @self: a run
 * @id: the thread's id, from 1
 * @pid: its process
 * @native_id: the kernel's id for it
 * @name: its name
 *
 * Adds a thread, or renames a known one.
 */
void
smiley_run_set_thread (SmileyRun *self, guint32 id, guint32 pid, guint64 native_id,
                       const char *name)
{
  SmileyThread *thread;

  g_return_if_fail (SMILEY_IS_RUN (self));
  g_return_if_fail (id > 0);

  if (id > self->threads->len)
    g_ptr_array_set_size (self->threads, id);

  thread = g_ptr_array_index (self->threads, id - 1);
  if (thread == NULL)
    {
      thread = g_new0 (SmileyThread, 1);
      self->threads->pdata[id - 1] = thread;
    }
  thread->id = id;
  thread->pid = pid;
  thread->native_id = native_id;
  g_free (thread->name);
  thread->name = g_strdup (name != NULL ? name : "");
}

/**
 * smiley_run_get_thread:
 * @self: a run
 * @id: a thread id
 *
 * Returns: (transfer none) (nullable): the thread, or %NULL if unknown
 */
const SmileyThread *
smiley_run_get_thread (SmileyRun *self, guint32 id)
{
  g_return_val_if_fail (SMILEY_IS_RUN (self), NULL);

  if (id == 0 || id > self->threads->len)
    return NULL;
  return g_ptr_array_index (self->threads, id - 1);
}

/**
 * smiley_run_get_n_threads:
 * @self: a run
 *
 * Returns: the highest thread id defined (ids are dense from 1)
 */
guint32
smiley_run_get_n_threads (SmileyRun *self)
{
  g_return_val_if_fail (SMILEY_IS_RUN (self), 0);

  return self->threads->len;
}

/**
 * smiley_run_add_source:
 * @self: a run
 * @file: string id of the file's name
 * @content: the file's bytes as the run saw them
 */
void
smiley_run_add_source (SmileyRun *self, guint32 file, GBytes *content)
{
  RunSource source = { file, NULL };

  g_return_if_fail (SMILEY_IS_RUN (self));
  g_return_if_fail (content != NULL);

  source.content = g_bytes_ref (content);
  g_array_append_val (self->sources, source);
}

guint
smiley_run_get_n_sources (SmileyRun *self)
{
  g_return_val_if_fail (SMILEY_IS_RUN (self), 0);

  return self->sources->len;
}

/**
 * smiley_run_get_source:
 * @self: a run
 * @index: below smiley_run_get_n_sources()
 * @file: (out) (optional): string id of the file's name
 *
 * Returns: (transfer none): the file's content
 */
GBytes *
smiley_run_get_source (SmileyRun *self, guint index, guint32 *file)
{
  RunSource *source;

  g_return_val_if_fail (SMILEY_IS_RUN (self), NULL);
  g_return_val_if_fail (index < self->sources->len, NULL);

  source = &g_array_index (self->sources, RunSource, index);
  if (file != NULL)
    *file = source->file;
  return source->content;
}

/**
 * smiley_run_get_stats:
 * @self: a run
 *
 * Returns: (transfer none) (nullable): the run's profile, if it has one
 */
SmileyStats *
smiley_run_get_stats (SmileyRun *self)
{
  g_return_val_if_fail (SMILEY_IS_RUN (self), NULL);

  return self->stats;
}

void
smiley_run_set_stats (SmileyRun *self, SmileyStats *stats)
{
  g_return_if_fail (SMILEY_IS_RUN (self));

  if (stats != NULL)
    smiley_stats_ref (stats);
  g_clear_pointer (&self->stats, smiley_stats_unref);
  self->stats = stats;
}

/**
 * smiley_run_format_status:
 * @self: a run
 *
 * Returns: (transfer full): how the run ended, in words: "running",
 *   "exit status 0", "killed by signal 9 (Killed)", "ended abnormally …"
 */
char *
smiley_run_format_status (SmileyRun *self)
{
  g_return_val_if_fail (SMILEY_IS_RUN (self), NULL);

  switch (self->state)
    {
    case SMILEY_RUN_RUNNING:
      return g_strdup ("running");
    case SMILEY_RUN_FINISHED:
      return g_strdup_printf ("exit status %d", self->exit_status);
    case SMILEY_RUN_ABNORMAL:
    default:
      if (self->signum > 0)
        return g_strdup_printf ("killed by signal %d (%s)", self->signum,
                                g_strsignal (self->signum));
      if (self->exit_status >= 0)
        return g_strdup_printf ("ended abnormally, exit status %d", self->exit_status);
      return g_strdup ("ended abnormally");
    }
}
