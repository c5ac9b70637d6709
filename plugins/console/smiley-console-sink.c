/* smiley-console-sink.c: the monitor format, for people reading a terminal
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <gio/gunixoutputstream.h>

#include "smiley-console-sink.h"

/* Every decision about what to print (thread and run prefixes, paths
 * relative to the run's directory) depends only on the events this sink
 * has seen so far, never on the clock or on the terminal beyond colour:
 * that is what makes `smiley replay` print byte for byte what `smiley
 * monitor` printed live. */

#define COLOR_DIM "\033[2m"
#define COLOR_CALL "\033[36m"
#define COLOR_RETURN "\033[32m"
#define COLOR_EXCEPTION "\033[1;31m"
#define COLOR_RUN "\033[1m"
#define COLOR_RESET "\033[0m"

/* What the sink knows about one file of a run, by the file's string id:
 * built on first use so each event costs no allocation. */
typedef struct
{
  const char *display; /* the name as printed (relative to the cwd) */
  GStrv       lines;   /* its source lines, right-stripped; NULL if unknown */
  guint       n_lines;
} FileInfo;

typedef struct
{
  char       *id;
  guint32     first_thread;   /* the thread of the first event, 0 before it */
  gboolean    many_threads;   /* events of a second thread have been seen */
  GPtrArray  *files;          /* file string id → FileInfo* (or NULL) */
  GHashTable *sources;        /* file string id → GBytes, the run's sources seen so far */
  guint       n_sources_seen; /* smiley_run_get_n_sources() when last scanned */
  char       *cwd_prefix;     /* "CWD/", or NULL */
} RunState;

/* The choices of "stream" and "color" are enumerations so that a bad
 * value is refused when the property is set from text, where the
 * pipeline still knows which file, line and key it came from. */
typedef enum
{
  SMILEY_CONSOLE_STREAM_STDOUT,
  SMILEY_CONSOLE_STREAM_STDERR,
} SmileyConsoleStream;

typedef enum
{
  SMILEY_CONSOLE_COLOR_AUTO,
  SMILEY_CONSOLE_COLOR_ALWAYS,
  SMILEY_CONSOLE_COLOR_NEVER,
} SmileyConsoleColor;

GType smiley_console_stream_get_type (void);
GType smiley_console_color_get_type (void);

/* clang-format off */
G_DEFINE_ENUM_TYPE (SmileyConsoleStream, smiley_console_stream,
                    G_DEFINE_ENUM_VALUE (SMILEY_CONSOLE_STREAM_STDOUT, "stdout"),
                    G_DEFINE_ENUM_VALUE (SMILEY_CONSOLE_STREAM_STDERR, "stderr"))
G_DEFINE_ENUM_TYPE (SmileyConsoleColor, smiley_console_color,
                    G_DEFINE_ENUM_VALUE (SMILEY_CONSOLE_COLOR_AUTO, "auto"),
                    G_DEFINE_ENUM_VALUE (SMILEY_CONSOLE_COLOR_ALWAYS, "always"),
                    G_DEFINE_ENUM_VALUE (SMILEY_CONSOLE_COLOR_NEVER, "never"))
/* clang-format on */

struct _SmileyConsoleSink
{
  GObject parent_instance;

  SmileyConsoleStream stream;
  char               *output_path;
  SmileyConsoleColor  color_mode;

  GOutputStream *output;
  gboolean       color;
  GString       *buffer;
  GHashTable    *runs; /* run id → RunState*, the runs in progress */
};

enum
{
  PROP_0,
  PROP_STREAM,
  PROP_OUTPUT,
  PROP_COLOR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void smiley_console_sink_sink_iface_init (SmileySinkInterface *iface);
static void smiley_console_sink_initable_iface_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SmileyConsoleSink, smiley_console_sink, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SMILEY_TYPE_SINK,
                                                      smiley_console_sink_sink_iface_init)
                                   G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                          smiley_console_sink_initable_iface_init))

static void
file_info_free (FileInfo *info)
{
  if (info == NULL)
    return;
  g_strfreev (info->lines);
  g_free (info);
}

static void
run_state_free (RunState *state)
{
  g_free (state->id);
  g_ptr_array_unref (state->files);
  g_hash_table_unref (state->sources);
  g_free (state->cwd_prefix);
  g_free (state);
}

static RunState *
run_state_new (SmileyRun *run)
{
  RunState   *state = g_new0 (RunState, 1);
  const char *cwd = smiley_run_get_cwd (run);

  state->id = g_strdup (smiley_run_get_id (run));
  state->files = g_ptr_array_new_with_free_func ((GDestroyNotify)file_info_free);
  state->sources = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify)g_bytes_unref);
  if (cwd != NULL && *cwd != '\0')
    state->cwd_prefix = g_str_has_suffix (cwd, "/") ? g_strdup (cwd) : g_strconcat (cwd, "/", NULL);
  return state;
}

/* ---- GInitable ------------------------------------------------------------ */

static gboolean
smiley_console_sink_initable_init (GInitable *initable, GCancellable *cancellable, GError **error)
{
  SmileyConsoleSink *self = SMILEY_CONSOLE_SINK (initable);
  int                fd;

  if (self->output != NULL)
    return TRUE;

  if (self->output_path != NULL && *self->output_path != '\0')
    {
      fd = g_open (self->output_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
      if (fd < 0)
        {
          int saved_errno = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       "cannot write %s: %s", self->output_path, g_strerror (saved_errno));
          return FALSE;
        }
      self->output = g_unix_output_stream_new (fd, TRUE);
    }
  else
    {
      fd = self->stream == SMILEY_CONSOLE_STREAM_STDOUT ? STDOUT_FILENO : STDERR_FILENO;
      self->output = g_unix_output_stream_new (fd, FALSE);
    }

  if (self->color_mode == SMILEY_CONSOLE_COLOR_ALWAYS)
    self->color = TRUE;
  else if (self->color_mode == SMILEY_CONSOLE_COLOR_NEVER)
    self->color = FALSE;
  else
    self->color = isatty (g_unix_output_stream_get_fd (G_UNIX_OUTPUT_STREAM (self->output)));

  return TRUE;
}

static void
smiley_console_sink_initable_iface_init (GInitableIface *iface)
{
  iface->init = smiley_console_sink_initable_init;
}

/* ---- formatting ------------------------------------------------------- */

/* A Python str's repr, as `print(sys.argv)` shows it. */
static void
append_python_repr (GString *out, const char *text)
{
  char quote = (strchr (text, '\'') != NULL && strchr (text, '"') == NULL) ? '"' : '\'';

  g_string_append_c (out, quote);
  for (const char *p = text; *p != '\0';)
    {
      gunichar c = g_utf8_get_char_validated (p, -1);

      if (c == (gunichar)-1 || c == (gunichar)-2)
        {
          /* Not UTF-8: shown byte by byte, as Python shows bytes. */
          g_string_append_printf (out, "\\x%02x", (guchar)*p);
          p++;
          continue;
        }
      p = g_utf8_next_char (p);

      if (c == '\\' || c == (gunichar)quote)
        g_string_append_printf (out, "\\%c", (char)c);
      else if (c == '\n')
        g_string_append (out, "\\n");
      else if (c == '\r')
        g_string_append (out, "\\r");
      else if (c == '\t')
        g_string_append (out, "\\t");
      else if (c < 0x20 || c == 0x7f)
        g_string_append_printf (out, "\\x%02x", c);
      else
        g_string_append_unichar (out, c);
    }
  g_string_append_c (out, quote);
}

static void
append_argv (GString *out, const char *const *argv)
{
  g_string_append_c (out, '[');
  for (guint i = 0; argv != NULL && argv[i] != NULL; i++)
    {
      if (i > 0)
        g_string_append (out, ", ");
      append_python_repr (out, argv[i]);
    }
  g_string_append_c (out, ']');
}

static void
append_prefixes (SmileyConsoleSink *self, SmileyRun *run, RunState *state, guint32 thread)
{
  if (g_hash_table_size (self->runs) > 1)
    g_string_append_printf (self->buffer, "[%.8s] ", state->id);

  if (state != NULL && thread != 0 && state->many_threads)
    {
      const SmileyThread *t = smiley_run_get_thread (run, thread);

      if (t != NULL && t->name != NULL && *t->name != '\0')
        g_string_append_printf (self->buffer, "[%s] ", t->name);
      else
        g_string_append_printf (self->buffer, "[thread %u] ", thread);
    }
}

/* Picks up the sources the run gained since the last look: the tracer
 * adds a file's source before the first batch that uses it. */
static void
scan_new_sources (RunState *state, SmileyRun *run)
{
  guint n_sources = smiley_run_get_n_sources (run);

  for (guint i = state->n_sources_seen; i < n_sources; i++)
    {
      guint32 file = 0;
      GBytes *content = smiley_run_get_source (run, i, &file);

      if (content != NULL)
        g_hash_table_replace (state->sources, GUINT_TO_POINTER (file), g_bytes_ref (content));
    }
  state->n_sources_seen = n_sources;
}

/* The encoding a PEP 263 coding cookie in @line names
 * (`# -*- coding: latin-1 -*-`, `# vim: set fileencoding=utf-8 :`), as
 * CPython's tokenizer finds it: a comment line with "coding", then ':' or
 * '=', then the name. */
static char *
find_coding_cookie (const char *line, gsize len)
{
  const char *end = line + len;
  const char *p = line;

  while (p < end && (*p == ' ' || *p == '\t' || *p == '\f'))
    p++;
  if (p == end || *p != '#')
    return NULL;

  for (; p + 6 < end; p++)
    {
      const char *name;

      if (memcmp (p, "coding", 6) != 0 || (p[6] != ':' && p[6] != '='))
        continue;
      name = p + 7;
      while (name < end && (*name == ' ' || *name == '\t'))
        name++;
      p = name;
      while (p < end && (g_ascii_isalnum (*p) || *p == '-' || *p == '_' || *p == '.'))
        p++;
      if (p > name)
        return g_strndup (name, p - name);
      return NULL;
    }
  return NULL;
}

/* Whether @line (without its newline) is empty or only a comment: CPython
 * looks for a cookie on the second line only after such a first line. */
static gboolean
blank_or_comment (const char *line, gsize len)
{
  for (gsize i = 0; i < len; i++)
    {
      if (line[i] == '#' || line[i] == '\r')
        return TRUE;
      if (line[i] != ' ' && line[i] != '\t' && line[i] != '\f')
        return FALSE;
    }
  return TRUE;
}

/* Converts @data from the encoding Python names @codec to UTF-8, or
 * returns NULL if iconv knows no such encoding or the bytes are not in it.
 * Python's names differ from iconv's in case and separators ("latin-1",
 * "iso_8859_15", "cp1252"), so a few spellings are tried. */
static char *
convert_from_codec (const char *data, gsize size, const char *codec)
{
  g_autofree char *lower = g_ascii_strdown (codec, -1);
  g_autofree char *hyphens = g_strdelimit (g_strdup (lower), "_", '-');
  g_autofree char *bare = NULL;
  const char      *names[4];
  GString         *squeezed = g_string_new (NULL);

  for (const char *p = lower; *p != '\0'; p++)
    if (*p != '-' && *p != '_')
      g_string_append_c (squeezed, *p);
  bare = g_string_free (squeezed, FALSE);

  names[0] = codec;
  names[1] = hyphens;
  names[2] = bare;
  names[3] = NULL;
  for (guint i = 0; names[i] != NULL; i++)
    {
      gsize read = 0, written = 0;
      char *text = g_convert (data, size, "UTF-8", names[i], &read, &written, NULL);

      if (text != NULL)
        return text;
    }
  return NULL;
}

/* The source as Python reads it: a UTF-8 byte order mark means UTF-8; a
 * coding cookie in the first two lines names the encoding; otherwise it
 * is UTF-8. What cannot be decoded (an encoding iconv does not know, or
 * bytes that are not in it) becomes U+FFFD rather than invalid UTF-8 on
 * the terminal. */
static char *
decode_source (const char *data, gsize size)
{
  const char *line1_end;
  const char *line2;
  const char *line2_end;
  gsize       len1;

  if (size >= 3 && memcmp (data, "\xef\xbb\xbf", 3) == 0)
    return g_utf8_make_valid (data + 3, size - 3);

  line1_end = memchr (data, '\n', size);
  len1 = line1_end ? (gsize)(line1_end - data) : size;
  {
    g_autofree char *codec = find_coding_cookie (data, len1);

    if (codec == NULL && line1_end != NULL && blank_or_comment (data, len1))
      {
        line2 = line1_end + 1;
        line2_end = memchr (line2, '\n', size - (line2 - data));
        codec = find_coding_cookie (line2, line2_end ? (gsize)(line2_end - line2)
                                                     : size - (gsize)(line2 - data));
      }

    if (codec != NULL && g_ascii_strncasecmp (codec, "utf-8", 5) != 0
        && g_ascii_strncasecmp (codec, "utf8", 4) != 0)
      {
        char *text = convert_from_codec (data, size, codec);

        if (text != NULL)
          return text;
      }
  }
  return g_utf8_make_valid (data, size);
}

static FileInfo *
file_info (RunState *state, SmileyRun *run, guint32 file)
{
  FileInfo *info = file < state->files->len ? g_ptr_array_index (state->files, file) : NULL;
  GBytes   *content;

  /* A file whose source was unknown is looked at again once the run has
   * new sources. */
  if (info != NULL
      && (info->lines != NULL || smiley_run_get_n_sources (run) == state->n_sources_seen))
    return info;

  if (info == NULL)
    {
      const char *name = smiley_run_get_string (run, file);

      info = g_new0 (FileInfo, 1);
      if (name == NULL)
        name = "?";
      if (state->cwd_prefix != NULL && g_str_has_prefix (name, state->cwd_prefix))
        name += strlen (state->cwd_prefix);
      /* The run's string table owns the name for the life of the run. */
      info->display = name;
      if (file >= state->files->len)
        g_ptr_array_set_size (state->files, file + 1);
      g_ptr_array_index (state->files, file) = info;
    }

  scan_new_sources (state, run);
  content = g_hash_table_lookup (state->sources, GUINT_TO_POINTER (file));
  if (content != NULL)
    {
      gsize            size = 0;
      const char      *data = g_bytes_get_data (content, &size);
      g_autofree char *text = decode_source (data ? data : "", size);

      info->lines = g_strsplit (text, "\n", -1);
      info->n_lines = g_strv_length (info->lines);
      for (guint i = 0; i < info->n_lines; i++)
        g_strchomp (info->lines[i]);
    }
  return info;
}

static void
append_uint (GString *out, guint64 value)
{
  char digits[24];
  int  n = sizeof digits;

  do
    {
      digits[--n] = '0' + value % 10;
      value /= 10;
    }
  while (value != 0);
  g_string_append_len (out, digits + n, sizeof digits - n);
}

static void
append_location (SmileyConsoleSink *self, FileInfo *info, const SmileyEvent *event)
{
  if (self->color)
    g_string_append (self->buffer, COLOR_DIM);
  g_string_append (self->buffer, info->display);
  g_string_append_c (self->buffer, ':');
  append_uint (self->buffer, event->line);
  g_string_append_c (self->buffer, ':');
  if (self->color)
    g_string_append (self->buffer, COLOR_RESET);
}

static void
append_marker (SmileyConsoleSink *self, const char *color, const char *marker, const char *text)
{
  g_string_append_c (self->buffer, ' ');
  if (self->color)
    g_string_append (self->buffer, color);
  g_string_append (self->buffer, marker);
  if (self->color)
    g_string_append (self->buffer, COLOR_RESET);
  /* A return without a value (--profile-only runs record none) ends at
   * the marker rather than with a trailing space. */
  if (text != NULL)
    {
      g_string_append_c (self->buffer, ' ');
      g_string_append (self->buffer, text);
    }
}

static void
append_event (SmileyConsoleSink *self, RunState *state, SmileyRun *run, const SmileyEvent *event)
{
  const char *function = smiley_run_get_string (run, event->function);
  FileInfo   *info;

  switch (event->kind)
    {
    case SMILEY_EVENT_C_CALL:
    case SMILEY_EVENT_C_RETURN:
    case SMILEY_EVENT_C_EXCEPTION:
      return;
    case SMILEY_EVENT_CALL:
    case SMILEY_EVENT_LINE:
    case SMILEY_EVENT_RETURN:
    case SMILEY_EVENT_EXCEPTION:
    case SMILEY_EVENT_YIELD:
    case SMILEY_EVENT_RESUME:
    default:
      break;
    }

  if (state->first_thread == 0)
    state->first_thread = event->thread;
  else if (event->thread != state->first_thread)
    state->many_threads = TRUE;

  info = file_info (state, run, event->file);
  append_prefixes (self, run, state, event->thread);
  append_location (self, info, event);

  switch (event->kind)
    {
    case SMILEY_EVENT_CALL:
      append_marker (self, COLOR_CALL, "call>>>", function);
      break;
    case SMILEY_EVENT_LINE:
      if (info->lines != NULL && event->line > 0 && event->line <= info->n_lines
          && info->lines[event->line - 1][0] != '\0')
        {
          g_string_append_c (self->buffer, ' ');
          g_string_append (self->buffer, info->lines[event->line - 1]);
        }
      break;
    case SMILEY_EVENT_RETURN:
      append_marker (self, COLOR_RETURN, "return>>>", event->arg);
      break;
    case SMILEY_EVENT_YIELD:
      append_marker (self, COLOR_RETURN, "yield>>>", event->arg);
      break;
    case SMILEY_EVENT_RESUME:
      append_marker (self, COLOR_CALL, "resume>>>", function);
      break;
    case SMILEY_EVENT_EXCEPTION:
      append_marker (self, COLOR_EXCEPTION, "exception>>>", event->arg);
      break;
    case SMILEY_EVENT_C_CALL:
    case SMILEY_EVENT_C_RETURN:
    case SMILEY_EVENT_C_EXCEPTION:
    default:
      break;
    }
  g_string_append_c (self->buffer, '\n');

  for (guint i = 0; i < event->n_locals; i++)
    {
      const SmileyLocal *local = &event->locals[i];
      const char        *name = smiley_run_get_string (run, local->name);

      if (local->value == NULL)
        {
          g_string_append (self->buffer, "    del ");
          g_string_append (self->buffer, name ? name : "?");
        }
      else
        {
          g_string_append (self->buffer, "    ");
          g_string_append (self->buffer, name ? name : "?");
          g_string_append (self->buffer, " = ");
          g_string_append (self->buffer, local->value);
        }
      g_string_append_c (self->buffer, '\n');
    }
}

static gboolean
write_buffer (SmileyConsoleSink *self, GError **error)
{
  g_autoptr (GError) local_error = NULL;

  if (self->buffer->len == 0)
    return TRUE;

  if (self->output == NULL && !smiley_console_sink_initable_init (G_INITABLE (self), NULL, error))
    return FALSE;

  if (!g_output_stream_write_all (self->output, self->buffer->str, self->buffer->len, NULL, NULL,
                                  &local_error))
    {
      g_set_error (error, G_IO_ERROR, local_error->code, "cannot write %s: %s",
                   self->output_path                              ? self->output_path
                   : self->stream == SMILEY_CONSOLE_STREAM_STDOUT ? "standard output"
                                                                  : "standard error",
                   local_error->message);
      g_string_truncate (self->buffer, 0);
      return FALSE;
    }
  g_string_truncate (self->buffer, 0);
  return TRUE;
}

/* ---- SmileySink ------------------------------------------------------- */

static gboolean
smiley_console_sink_begin_run (SmileySink *sink, SmileyRun *run, GError **error)
{
  SmileyConsoleSink *self = SMILEY_CONSOLE_SINK (sink);
  RunState          *state = run_state_new (run);

  g_hash_table_replace (self->runs, state->id, state);

  append_prefixes (self, run, state, 0);
  if (self->color)
    g_string_append (self->buffer, COLOR_RUN);
  g_string_append (self->buffer, "Starting new run: ");
  append_argv (self->buffer, smiley_run_get_argv (run));
  if (self->color)
    g_string_append (self->buffer, COLOR_RESET);
  g_string_append_c (self->buffer, '\n');

  return write_buffer (self, error);
}

static gboolean
smiley_console_sink_push (SmileySink *sink, SmileyRun *run, SmileyBatch *batch, GError **error)
{
  SmileyConsoleSink *self = SMILEY_CONSOLE_SINK (sink);
  RunState          *state = g_hash_table_lookup (self->runs, smiley_run_get_id (run));
  guint              length = smiley_batch_get_length (batch);

  if (state == NULL)
    {
      /* A sink shown a batch of a run it was never told about still shows
       * it, rather than losing events. */
      state = run_state_new (run);
      g_hash_table_replace (self->runs, state->id, state);
    }

  for (guint i = 0; i < length; i++)
    append_event (self, state, run, smiley_batch_get_event (batch, i));

  return write_buffer (self, error);
}

static gboolean
smiley_console_sink_end_run (SmileySink *sink, SmileyRun *run, GError **error)
{
  SmileyConsoleSink *self = SMILEY_CONSOLE_SINK (sink);
  RunState          *state = g_hash_table_lookup (self->runs, smiley_run_get_id (run));
  const char        *message = smiley_run_get_error (run);
  g_autofree char   *status = NULL;

  if (message == NULL || *message == '\0')
    {
      message = NULL;
      if (smiley_run_get_state (run) == SMILEY_RUN_ABNORMAL)
        message = status = smiley_run_format_status (run);
      /* Only a replay ends a run that has not ended: one still being
       * recorded, or whose recorder died before the end arrived. */
      else if (smiley_run_get_state (run) == SMILEY_RUN_RUNNING)
        message = "not finished (still running, or its recording stopped before the end)";
    }

  if (state != NULL)
    append_prefixes (self, run, state, 0);
  if (self->color)
    g_string_append (self->buffer, COLOR_RUN);
  g_string_append (self->buffer, "Finished run");
  if (message != NULL)
    g_string_append_printf (self->buffer, ": %s", message);
  if (self->color)
    g_string_append (self->buffer, COLOR_RESET);
  g_string_append_c (self->buffer, '\n');

  g_hash_table_remove (self->runs, smiley_run_get_id (run));

  if (!write_buffer (self, error))
    return FALSE;
  return g_output_stream_flush (self->output, NULL, error);
}

static gboolean
smiley_console_sink_flush (SmileySink *sink, GError **error)
{
  SmileyConsoleSink *self = SMILEY_CONSOLE_SINK (sink);

  if (!write_buffer (self, error))
    return FALSE;
  return self->output == NULL || g_output_stream_flush (self->output, NULL, error);
}

static void
smiley_console_sink_sink_iface_init (SmileySinkInterface *iface)
{
  iface->begin_run = smiley_console_sink_begin_run;
  iface->push = smiley_console_sink_push;
  iface->end_run = smiley_console_sink_end_run;
  iface->flush = smiley_console_sink_flush;
}

/* ---- GObject ---------------------------------------------------------- */

static void
smiley_console_sink_finalize (GObject *object)
{
  SmileyConsoleSink *self = SMILEY_CONSOLE_SINK (object);

  if (self->output != NULL && self->buffer->len > 0)
    write_buffer (self, NULL);
  g_clear_object (&self->output);
  g_clear_pointer (&self->output_path, g_free);
  g_string_free (self->buffer, TRUE);
  g_hash_table_unref (self->runs);

  G_OBJECT_CLASS (smiley_console_sink_parent_class)->finalize (object);
}

static void
smiley_console_sink_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SmileyConsoleSink *self = SMILEY_CONSOLE_SINK (object);

  switch (prop_id)
    {
    case PROP_STREAM:
      g_value_set_enum (value, self->stream);
      break;
    case PROP_OUTPUT:
      g_value_set_string (value, self->output_path);
      break;
    case PROP_COLOR:
      g_value_set_enum (value, self->color_mode);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
smiley_console_sink_set_property (GObject *object, guint prop_id, const GValue *value,
                                  GParamSpec *pspec)
{
  SmileyConsoleSink *self = SMILEY_CONSOLE_SINK (object);

  switch (prop_id)
    {
    case PROP_STREAM:
      self->stream = g_value_get_enum (value);
      break;
    case PROP_OUTPUT:
      g_free (self->output_path);
      self->output_path = g_value_dup_string (value);
      break;
    case PROP_COLOR:
      self->color_mode = g_value_get_enum (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
smiley_console_sink_class_init (SmileyConsoleSinkClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = smiley_console_sink_finalize;
  object_class->get_property = smiley_console_sink_get_property;
  object_class->set_property = smiley_console_sink_set_property;

  properties[PROP_STREAM] = g_param_spec_enum (
      "stream", NULL, "stdout or stderr", smiley_console_stream_get_type (),
      SMILEY_CONSOLE_STREAM_STDOUT, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_OUTPUT]
      = g_param_spec_string ("output", NULL, "a file to write instead of the stream", NULL,
                             G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_COLOR]
      = g_param_spec_enum ("color", NULL, "auto (if the stream is a terminal), always or never",
                           smiley_console_color_get_type (), SMILEY_CONSOLE_COLOR_AUTO,
                           G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
smiley_console_sink_init (SmileyConsoleSink *self)
{
  self->stream = SMILEY_CONSOLE_STREAM_STDOUT;
  self->color_mode = SMILEY_CONSOLE_COLOR_AUTO;
  self->buffer = g_string_sized_new (64 * 1024);
  self->runs
      = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify)run_state_free);
}
