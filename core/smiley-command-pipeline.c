/* smiley-command-pipeline.c: the commands that move events — run, monitor,
 * record, replay
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "smiley-cli.h"
#include "smiley-store-replay.h"

/* ---- run ---------------------------------------------------------------- */

typedef struct
{
  SmileyCommonOptions common;
  gboolean            local;
  char               *output;
  char               *color;
  int                 include_stdlib;        /* -1: not given */
  int                 include_site_packages; /* -1: not given */
  char              **include_packages;
  char              **exclude;
  gboolean            profile_only;
  char               *python;
  char               *module;
  gboolean            stats_summary;
} RunOptions;

static void
run_options_clear (RunOptions *options)
{
  smiley_common_options_clear (&options->common);
  g_clear_pointer (&options->output, g_free);
  g_clear_pointer (&options->color, g_free);
  g_clear_pointer (&options->include_packages, g_strfreev);
  g_clear_pointer (&options->exclude, g_strfreev);
  g_clear_pointer (&options->python, g_free);
  g_clear_pointer (&options->module, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (RunOptions, run_options_clear)

/* The paired --include-X / --no-include-X flags: the last one wins. */
static gboolean
parse_include_flag (const char *option_name, const char *value, gpointer data, GError **error)
{
  RunOptions *options = data;
  gboolean    on = !g_str_has_prefix (option_name, "--no-");

  if (strstr (option_name, "stdlib") != NULL)
    options->include_stdlib = on;
  else
    options->include_site_packages = on;
  return TRUE;
}

static gboolean
parse_color (const char *option_name, const char *value, gpointer data, GError **error)
{
  char **color = data;

  if (value == NULL)
    value = "always";
  if (!g_str_equal (value, "auto") && !g_str_equal (value, "always")
      && !g_str_equal (value, "never"))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--color must be auto, always or never, not '%s'", value);
      return FALSE;
    }
  g_free (*color);
  *color = g_strdup (value);
  return TRUE;
}

static gboolean
parse_run_color (const char *option_name, const char *value, gpointer data, GError **error)
{
  RunOptions *options = data;

  return parse_color (option_name, value, &options->color, error);
}

/* The options of smiley_cli_add_common() that take a value. */
static const char *common_value_options[]
    = { "config", "store", "database", "sink", "socket", "set", NULL };

/* Where the program's own arguments begin: at the first argument that is
 * not an option (the script), after `--`, or right after `-m MODULE`.
 * Everything from there belongs to the program, even what looks like an
 * option of smiley's. */
static int
find_program_start (const GOptionEntry *entries, int argc, char **argv, gboolean *skip_separator)
{
  *skip_separator = FALSE;

  for (int i = 1; i < argc; i++)
    {
      const char *arg = argv[i];
      gboolean    takes_value = FALSE;

      if (g_str_equal (arg, "--"))
        {
          *skip_separator = TRUE;
          return i;
        }
      if (arg[0] != '-' || arg[1] == '\0')
        return i;

      if (g_str_equal (arg, "-m") || g_str_equal (arg, "--module"))
        return MIN (i + 2, argc);
      if (g_str_has_prefix (arg, "-m") || g_str_has_prefix (arg, "--module="))
        return i + 1;

      if (g_str_has_prefix (arg, "--") && strchr (arg, '=') == NULL)
        {
          if (g_strv_contains (common_value_options, arg + 2))
            takes_value = TRUE;
          for (const GOptionEntry *e = entries; e->long_name != NULL; e++)
            if (g_str_equal (arg + 2, e->long_name))
              takes_value
                  = e->arg != G_OPTION_ARG_NONE
                    && (e->flags & (G_OPTION_FLAG_NO_ARG | G_OPTION_FLAG_OPTIONAL_ARG)) == 0;
        }
      else if (arg[0] == '-' && arg[1] != '-' && arg[2] == '\0')
        {
          for (const GOptionEntry *e = entries; e->long_name != NULL; e++)
            if (e->short_name == arg[1])
              takes_value
                  = e->arg != G_OPTION_ARG_NONE
                    && (e->flags & (G_OPTION_FLAG_NO_ARG | G_OPTION_FLAG_OPTIONAL_ARG)) == 0;
        }

      if (takes_value)
        i++;
    }
  return argc;
}

/* What to write before the summary so that it starts a line of its own on
 * the standard error the traced program shared, without touching the
 * program's bytes:
 *
 * - a regular file can be read back: its last byte is the one before the
 *   shared file offset, and a newline is added only if that is not one;
 * - a terminal cannot be read back, but can be made to tell: a line of
 *   spaces as wide as the terminal, then a carriage return, leaves the
 *   cursor at the start of the same line if it was there (the last column
 *   only arms the wrap) and at the start of the next one otherwise (the
 *   wrap happens); the summary then overwrites the spaces;
 * - anything else (a pipe, a socket) cannot be known: nothing is added,
 *   so that a program that ended its output with a newline, the usual
 *   case, is followed by the summary line alone. */
static char *
summary_separator (void)
{
  struct stat    st;
  struct winsize ws;
  off_t          offset;
  char           last = '\n';
  ssize_t        n;

  if (fstat (STDERR_FILENO, &st) != 0)
    return g_strdup ("");

  if (isatty (STDERR_FILENO))
    {
      g_autofree char *spaces = NULL;

      if (ioctl (STDERR_FILENO, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0)
        return g_strdup ("\n");
      spaces = g_strnfill (ws.ws_col, ' ');
      return g_strconcat (spaces, "\r", NULL);
    }

  if (!S_ISREG (st.st_mode))
    return g_strdup ("");
  offset = lseek (STDERR_FILENO, 0, SEEK_CUR);
  if (offset <= 0)
    return g_strdup ("");

  /* `2>file` opens it write-only: read it through /proc instead. */
  n = pread (STDERR_FILENO, &last, 1, offset - 1);
  if (n != 1)
    {
      int fd = open ("/proc/self/fd/2", O_RDONLY | O_CLOEXEC);

      if (fd < 0)
        return g_strdup ("");
      n = pread (fd, &last, 1, offset - 1);
      close (fd);
      if (n != 1)
        return g_strdup ("");
    }
  return g_strdup (last == '\n' ? "" : "\n");
}

static void
print_stats_summary (SmileySource *source)
{
  GObjectClass    *klass = G_OBJECT_GET_CLASS (source);
  guint64          emitted = 0, delivered = 0;
  g_autofree char *separator = NULL;

  fflush (stderr);
  separator = summary_separator ();

  if (g_object_class_find_property (klass, "events-emitted") == NULL
      || g_object_class_find_property (klass, "events-delivered") == NULL)
    {
      fprintf (stderr, "%ssmiley: this source does not count its events\n", separator);
      return;
    }
  g_object_get (source, "events-emitted", &emitted, "events-delivered", &delivered, NULL);
  fprintf (stderr,
           "%ssmiley: %" G_GUINT64_FORMAT " events emitted, %" G_GUINT64_FORMAT
           " events recorded\n",
           separator, emitted, delivered);
}

/**
 * smiley_command_run:
 *
 * `smiley run [OPTIONS] [--] SCRIPT [ARGS…]` and `smiley run [OPTIONS] -m
 * MODULE [ARGS…]`: the "python" source into the socket publisher (by
 * default), the store (--local, --store, --database) or any sink.
 *
 * Returns: the traced program's exit status as a shell shows it
 */
int
smiley_command_run (SmileyCli *cli, int argc, char **argv, GError **error)
{
  g_auto (RunOptions) options = { .include_stdlib = -1, .include_site_packages = -1 };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GOptionGroup) group = NULL;
  g_autoptr (SmileyPipeline) pipeline = NULL;
  g_autoptr (GError) run_error = NULL;
  g_autofree char **own_argv = NULL;
  g_autoptr (GStrvBuilder) program = g_strv_builder_new ();
  g_auto (GStrv) program_argv = NULL;
  SmileySource      *source;
  gboolean           skip_separator;
  int                own_argc, start;
  gboolean           ok;
  const GOptionEntry entries[]
      = { { "local", 0, 0, G_OPTION_ARG_NONE, &options.local,
            "Write the events straight to the store instead of to a listening monitor/record",
            NULL },
          { "output", 'o', 0, G_OPTION_ARG_FILENAME, &options.output,
            "With the console sink: write to FILE instead of standard error", "FILE" },
          { "color", 0, G_OPTION_FLAG_OPTIONAL_ARG, G_OPTION_ARG_CALLBACK, parse_run_color,
            "With the console sink: colour the output (auto, always, never)", "WHEN" },
          { "include-stdlib", 0, G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK, parse_include_flag,
            "Trace the standard library too", NULL },
          { "no-include-stdlib", 0, G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK, parse_include_flag,
            "Do not trace the standard library (default)", NULL },
          { "include-site-packages", 0, G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK,
            parse_include_flag, "Trace installed packages (default)", NULL },
          { "no-include-site-packages", 0, G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK,
            parse_include_flag, "Do not trace installed packages", NULL },
          { "include-package", 0, 0, G_OPTION_ARG_STRING_ARRAY, &options.include_packages,
            "Trace package NAME even where it would be excluded (repeatable)", "NAME" },
          { "exclude", 0, 0, G_OPTION_ARG_STRING_ARRAY, &options.exclude,
            "Do not trace files or modules matching PATTERN (repeatable)", "PATTERN" },
          { "profile-only", 0, 0, G_OPTION_ARG_NONE, &options.profile_only,
            "Only collect profiler statistics and the calls and returns of traced code: "
            "no line events, no locals, no values",
            NULL },
          { "python", 0, 0, G_OPTION_ARG_FILENAME, &options.python,
            "Run the program with this Python interpreter", "PATH" },
          { "stats-summary", 0, 0, G_OPTION_ARG_NONE, &options.stats_summary,
            "Print how many events were emitted and recorded", NULL },
          { "module", 'm', 0, G_OPTION_ARG_STRING, &options.module,
            "Run library module MODULE as a script (as python3 -m)", "MODULE" },
          G_OPTION_ENTRY_NULL };

  context
      = smiley_cli_option_context (cli, "[--] SCRIPT [ARGS…] | -m MODULE [ARGS…]",
                                   "Runs a Python program as python3 would, with tracing on.\n"
                                   "By default the events go to a listening 'smiley monitor' or\n"
                                   "'smiley record'; --local writes them to the store.");
  g_option_context_set_strict_posix (context, TRUE);
  group = g_option_group_new ("run", "Run options", "Show run options", &options, NULL);
  g_option_group_add_entries (group, entries);
  g_option_context_set_main_group (context, g_steal_pointer (&group));
  smiley_cli_add_common (context, &options.common, TRUE, TRUE);

  start = find_program_start (entries, argc, argv, &skip_separator);

  /* GOption takes "-m MODULE" but not python's "-mMODULE": split it. It
   * can only be the last of smiley's arguments, since it ends them. */
  own_argv = g_new0 (char *, start + 2);
  own_argc = 0;
  for (int i = 0; i < start; i++)
    {
      if (i > 0 && i == start - 1 && g_str_has_prefix (argv[i], "-m") && argv[i][1] == 'm'
          && argv[i][2] != '\0')
        {
          own_argv[own_argc++] = (char *)"-m";
          own_argv[own_argc++] = argv[i] + 2;
        }
      else
        own_argv[own_argc++] = argv[i];
    }
  {
    char **parse_argv = own_argv;

    if (!smiley_cli_parse (cli, context, &own_argc, &parse_argv, error))
      return -1;
    if (own_argc > 1)
      {
        g_set_error (error, SMILEY_CLI_ERROR, SMILEY_CLI_ERROR_USAGE, "unexpected argument '%s'",
                     parse_argv[1]);
        return -1;
      }
  }

  if (skip_separator)
    start++;
  for (int i = start; i < argc; i++)
    g_strv_builder_add (program, argv[i]);
  program_argv = g_strv_builder_end (program);

  if (options.module == NULL && program_argv[0] == NULL)
    {
      g_set_error_literal (error, SMILEY_CLI_ERROR, SMILEY_CLI_ERROR_USAGE,
                           "missing the program to run: smiley run [OPTIONS] SCRIPT [ARGS…] "
                           "or smiley run [OPTIONS] -m MODULE [ARGS…]");
      return -1;
    }

  pipeline = smiley_cli_new_pipeline (cli, &options.common, error);
  if (pipeline == NULL)
    return -1;

  smiley_pipeline_set_role (pipeline, SMILEY_PIPELINE_SOURCE, "python");
  smiley_pipeline_set_role (pipeline, SMILEY_PIPELINE_SINK, "socket");

  if (options.common.sink == NULL)
    {
      if (options.local || options.common.store != NULL || options.common.database != NULL)
        smiley_pipeline_add_setting (pipeline, SMILEY_SETTING_FLAG, "sink",
                                     SMILEY_PIPELINE_STORE_SINK, "--local");
      else if (options.output != NULL)
        smiley_pipeline_add_setting (pipeline, SMILEY_SETTING_FLAG, "sink", "console", "--output");
    }
  else if (options.local && !g_str_equal (options.common.sink, SMILEY_PIPELINE_STORE_SINK))
    {
      g_set_error (error, SMILEY_CLI_ERROR, SMILEY_CLI_ERROR_USAGE,
                   "--local writes to the store; it cannot be combined with --sink %s",
                   options.common.sink);
      return -1;
    }
  if (options.local)
    smiley_pipeline_set_role (pipeline, SMILEY_PIPELINE_STORE, "sqlite:smiley.db");

  /* The console of `run` shares the terminal with the program's own
   * output: standard error keeps it out of the program's stdout. */
  smiley_pipeline_add_optional (pipeline, SMILEY_SETTING_DEFAULT, "stream", "stderr", NULL);
  if (options.output != NULL)
    smiley_pipeline_add_setting (pipeline, SMILEY_SETTING_FLAG, "output", options.output,
                                 "--output");
  if (options.color != NULL)
    smiley_pipeline_add_optional (pipeline, SMILEY_SETTING_FLAG, "color", options.color, "--color");

  smiley_pipeline_add_strv (pipeline, SMILEY_SETTING_FLAG, "argv",
                            (const char *const *)program_argv, "the program's arguments");
  if (options.module != NULL)
    smiley_pipeline_add_setting (pipeline, SMILEY_SETTING_FLAG, "module", options.module, "-m");
  if (options.include_stdlib >= 0)
    smiley_pipeline_add_setting (pipeline, SMILEY_SETTING_FLAG, "include-stdlib",
                                 options.include_stdlib ? "true" : "false", "--include-stdlib");
  if (options.include_site_packages >= 0)
    smiley_pipeline_add_setting (pipeline, SMILEY_SETTING_FLAG, "include-site-packages",
                                 options.include_site_packages ? "true" : "false",
                                 "--include-site-packages");
  if (options.include_packages != NULL)
    smiley_pipeline_add_strv (pipeline, SMILEY_SETTING_FLAG, "include-packages",
                              (const char *const *)options.include_packages, "--include-package");
  if (options.exclude != NULL)
    smiley_pipeline_add_strv (pipeline, SMILEY_SETTING_FLAG, "exclude",
                              (const char *const *)options.exclude, "--exclude");
  if (options.profile_only)
    smiley_pipeline_add_setting (pipeline, SMILEY_SETTING_FLAG, "profile-only", "true",
                                 "--profile-only");
  if (options.python != NULL)
    smiley_pipeline_add_setting (pipeline, SMILEY_SETTING_FLAG, "python", options.python,
                                 "--python");

  if (!smiley_pipeline_build (pipeline, error)
      || !smiley_pipeline_initialize (pipeline, NULL, error))
    return -1;

  /* No signal handling here: SIGINT and SIGTERM are the traced program's,
   * and the tracer forwards them to it while it runs. */
  source = smiley_pipeline_get_object (pipeline, SMILEY_PIPELINE_SOURCE);
  ok = smiley_pipeline_run (pipeline, NULL, &run_error);

  if (options.stats_summary)
    print_stats_summary (source);

  if (!ok)
    {
      g_propagate_error (error, g_steal_pointer (&run_error));
      return -1;
    }
  return smiley_source_get_exit_status (source);
}

/* ---- monitor, record ---------------------------------------------------- */

static gboolean
run_pipeline_work (gpointer data, GCancellable *cancellable, GError **error)
{
  return smiley_pipeline_run (SMILEY_PIPELINE (data), cancellable, error);
}

/* Runs a built and initialised pipeline until its source ends or a
 * signal stops it; being stopped by a signal is success. */
static int
run_until_interrupted (SmileyPipeline *pipeline, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  gboolean interrupted = FALSE;

  if (smiley_cli_run_interruptible (run_pipeline_work, pipeline, &interrupted, &local_error))
    return 0;
  if (interrupted && g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return 0;
  g_propagate_error (error, g_steal_pointer (&local_error));
  return -1;
}

typedef struct
{
  SmileyCommonOptions common;
  char               *color;
} ListenOptions;

static void
listen_options_clear (ListenOptions *options)
{
  smiley_common_options_clear (&options->common);
  g_clear_pointer (&options->color, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ListenOptions, listen_options_clear)

static gboolean
parse_listen_color (const char *option_name, const char *value, gpointer data, GError **error)
{
  ListenOptions *options = data;

  return parse_color (option_name, value, &options->color, error);
}

/* Says where the listener is, on stderr so that stdout is only events:
 * with `tcp://127.0.0.1:0` this is the only way to learn the port. */
static void
announce_listener (SmileyCli *cli, SmileyPipeline *pipeline, gboolean record)
{
  GObject         *source = smiley_pipeline_get_object (pipeline, SMILEY_PIPELINE_SOURCE);
  const char      *property = NULL;
  g_autofree char *endpoint = NULL;

  if (g_object_class_find_property (G_OBJECT_GET_CLASS (source), "bound-endpoint") != NULL)
    property = "bound-endpoint";
  else if (g_object_class_find_property (G_OBJECT_GET_CLASS (source), "endpoint") != NULL)
    property = "endpoint";
  if (property == NULL)
    return;

  g_object_get (source, property, &endpoint, NULL);
  if (endpoint == NULL)
    return;

  if (record)
    fprintf (stderr, "smiley %s: listening on %s, recording into %s (Ctrl-C to stop)\n",
             cli->command, endpoint, smiley_pipeline_get_name (pipeline, SMILEY_PIPELINE_STORE));
  else
    fprintf (stderr, "smiley %s: listening on %s (Ctrl-C to stop)\n", cli->command, endpoint);
}

static int
listen_command (SmileyCli *cli, int argc, char **argv, gboolean record, GError **error)
{
  g_auto (ListenOptions) options = {
    0,
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GOptionGroup) group = NULL;
  g_autoptr (SmileyPipeline) pipeline = NULL;
  const GOptionEntry color_entries[]
      = { { "color", 0, G_OPTION_FLAG_OPTIONAL_ARG, G_OPTION_ARG_CALLBACK, parse_listen_color,
            "Colour the output: auto (if a terminal), always, never", "WHEN" },
          G_OPTION_ENTRY_NULL };

  context = smiley_cli_option_context (
      cli, NULL,
      record ? "Listens for runs of 'smiley run' and writes them to the store\n"
               "until interrupted (Ctrl-C)."
             : "Listens for runs of 'smiley run' and prints their events\n"
               "until interrupted (Ctrl-C).");
  if (!record)
    {
      group = g_option_group_new ("monitor", "Monitor options", "Show monitor options", &options,
                                  NULL);
      g_option_group_add_entries (group, color_entries);
      g_option_context_set_main_group (context, g_steal_pointer (&group));
    }
  /* monitor keeps no store: --database would be silently ignored. */
  smiley_cli_add_common_full (context, &options.common, record, TRUE, TRUE);

  if (!smiley_cli_parse (cli, context, &argc, &argv, error))
    return -1;
  if (argc > 1)
    {
      g_set_error (error, SMILEY_CLI_ERROR, SMILEY_CLI_ERROR_USAGE, "unexpected argument '%s'",
                   argv[1]);
      return -1;
    }

  pipeline = smiley_cli_new_pipeline (cli, &options.common, error);
  if (pipeline == NULL)
    return -1;

  smiley_pipeline_set_role (pipeline, SMILEY_PIPELINE_SOURCE, "socket");
  smiley_pipeline_set_role (pipeline, SMILEY_PIPELINE_SINK,
                            record ? SMILEY_PIPELINE_STORE_SINK : "console");
  if (record)
    smiley_pipeline_set_role (pipeline, SMILEY_PIPELINE_STORE, "sqlite:smiley.db");
  else
    smiley_pipeline_add_optional (pipeline, SMILEY_SETTING_DEFAULT, "stream", "stdout", NULL);
  if (options.color != NULL)
    smiley_pipeline_add_optional (pipeline, SMILEY_SETTING_FLAG, "color", options.color, "--color");

  if (!smiley_pipeline_build (pipeline, error)
      || !smiley_pipeline_initialize (pipeline, NULL, error))
    return -1;

  announce_listener (cli, pipeline, record);
  return run_until_interrupted (pipeline, error);
}

/**
 * smiley_command_monitor:
 *
 * `smiley monitor`: the socket listener into the console on stdout.
 */
int
smiley_command_monitor (SmileyCli *cli, int argc, char **argv, GError **error)
{
  return listen_command (cli, argc, argv, FALSE, error);
}

/**
 * smiley_command_record:
 *
 * `smiley record`: the socket listener into the store.
 */
int
smiley_command_record (SmileyCli *cli, int argc, char **argv, GError **error)
{
  return listen_command (cli, argc, argv, TRUE, error);
}

/* ---- replay ------------------------------------------------------------- */

typedef struct
{
  SmileyCommonOptions common;
  char               *color;
} ReplayOptions;

static void
replay_options_clear (ReplayOptions *options)
{
  smiley_common_options_clear (&options->common);
  g_clear_pointer (&options->color, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ReplayOptions, replay_options_clear)

static gboolean
parse_replay_color (const char *option_name, const char *value, gpointer data, GError **error)
{
  ReplayOptions *options = data;

  return parse_color (option_name, value, &options->color, error);
}

/**
 * smiley_command_replay:
 *
 * `smiley replay RUN`: the built-in "replay" source over the store into
 * the console on stdout, which prints what `monitor` printed live.
 */
int
smiley_command_replay (SmileyCli *cli, int argc, char **argv, GError **error)
{
  g_auto (ReplayOptions) options = {
    0,
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GOptionGroup) group = NULL;
  g_autoptr (SmileyPipeline) pipeline = NULL;
  g_autoptr (GError) local_error = NULL;
  gboolean           interrupted = FALSE;
  GObject           *source;
  const GOptionEntry entries[]
      = { { "color", 0, G_OPTION_FLAG_OPTIONAL_ARG, G_OPTION_ARG_CALLBACK, parse_replay_color,
            "Colour the output: auto (if a terminal), always, never", "WHEN" },
          G_OPTION_ENTRY_NULL };

  context
      = smiley_cli_option_context (cli, "RUN",
                                   "Prints a recorded run (a full id or a unique prefix of one)\n"
                                   "in the console format, as 'smiley monitor' showed it.");
  group = g_option_group_new ("replay", "Replay options", "Show replay options", &options, NULL);
  g_option_group_add_entries (group, entries);
  g_option_context_set_main_group (context, g_steal_pointer (&group));
  smiley_cli_add_common (context, &options.common, TRUE, FALSE);

  if (!smiley_cli_parse (cli, context, &argc, &argv, error))
    return -1;
  if (argc < 2)
    {
      g_set_error_literal (error, SMILEY_CLI_ERROR, SMILEY_CLI_ERROR_USAGE,
                           "missing the run to replay (see 'smiley list')");
      return -1;
    }
  if (argc > 2)
    {
      g_set_error (error, SMILEY_CLI_ERROR, SMILEY_CLI_ERROR_USAGE, "unexpected argument '%s'",
                   argv[2]);
      return -1;
    }

  pipeline = smiley_cli_new_pipeline (cli, &options.common, error);
  if (pipeline == NULL)
    return -1;

  smiley_pipeline_set_role (pipeline, SMILEY_PIPELINE_SOURCE, "replay");
  smiley_pipeline_set_role (pipeline, SMILEY_PIPELINE_SINK, "console");
  smiley_pipeline_set_role (pipeline, SMILEY_PIPELINE_STORE, "sqlite:smiley.db");
  /* Replay always reads the store, whatever the configuration's source. */
  smiley_pipeline_add_setting (pipeline, SMILEY_SETTING_FLAG, "source", "replay", "replay");
  smiley_cli_request_read_only (pipeline);
  smiley_pipeline_add_optional (pipeline, SMILEY_SETTING_DEFAULT, "stream", "stdout", NULL);
  if (options.color != NULL)
    smiley_pipeline_add_optional (pipeline, SMILEY_SETTING_FLAG, "color", options.color, "--color");

  if (!smiley_pipeline_build (pipeline, error) || !smiley_cli_check_store_exists (pipeline, error))
    return -1;

  source = smiley_pipeline_get_object (pipeline, SMILEY_PIPELINE_SOURCE);
  g_object_set (source, "store", smiley_pipeline_get_object (pipeline, SMILEY_PIPELINE_STORE),
                "run-id", argv[1], NULL);

  if (!smiley_pipeline_initialize (pipeline, NULL, error))
    return -1;

  if (smiley_cli_run_interruptible (run_pipeline_work, pipeline, &interrupted, &local_error))
    return 0;
  if (interrupted && g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return 130;
  g_propagate_error (error, g_steal_pointer (&local_error));
  return -1;
}
