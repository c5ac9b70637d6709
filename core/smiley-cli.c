/* smiley-cli.c: command dispatch, help, and what the commands share
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <glib-unix.h>
#include <gio/gunixoutputstream.h>

#include "smiley-cli.h"

/* clang-format off */
G_DEFINE_QUARK (smiley-cli-error-quark, smiley_cli_error)
/* clang-format on */

typedef struct
{
  const char       *name;
  const char       *usage;
  const char       *summary;
  SmileyCommandFunc func;
} SmileyCommand;

static const SmileyCommand commands[] = {
  { "run", "[OPTIONS] [--] SCRIPT [ARGS…] | -m MODULE [ARGS…]",
    "run a Python program with tracing on", smiley_command_run },
  { "monitor", "[OPTIONS]", "listen for runs and print their events live", smiley_command_monitor },
  { "record", "[OPTIONS]", "listen for runs and write them to a store", smiley_command_record },
  { "list", "[OPTIONS]", "list the recorded runs, newest first", smiley_command_list },
  { "delete", "[OPTIONS] RUN…", "delete recorded runs", smiley_command_delete },
  { "replay", "[OPTIONS] RUN", "print a recorded run as monitor showed it", smiley_command_replay },
  { "stats", "show|export|graph RUN …", "profiler statistics of a run", smiley_command_stats },
  { "export", "[OPTIONS] RUN FILE", "export a run as a Chrome trace or JSON lines",
    smiley_command_export },
  { "server", "[OPTIONS]", "web UI over the store", smiley_command_server },
  { "report", "[OPTIONS] RUN -o DIR", "static HTML report of a run", smiley_command_report },
  { "plugins", "", "list the plugins and the modules that failed to load", smiley_command_plugins },
  { "help", "[COMMAND]", "show help for smiley or a command", NULL },
};

static const SmileyCommand *
find_command (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (commands[i].name, name))
      return &commands[i];
  return NULL;
}

/**
 * smiley_common_options_clear:
 * @options: options parsed by a command
 *
 * Frees the strings GOption filled in.
 */
void
smiley_common_options_clear (SmileyCommonOptions *options)
{
  g_clear_pointer (&options->config, g_free);
  g_clear_pointer (&options->store, g_free);
  g_clear_pointer (&options->database, g_free);
  g_clear_pointer (&options->sink, g_free);
  g_clear_pointer (&options->socket, g_free);
  g_clear_pointer (&options->set, g_strfreev);
}

/**
 * smiley_cli_get_registry:
 * @cli: the command line
 *
 * Returns: (transfer none): the plugin registry, with the default plugin
 *   directories loaded on the first call
 */
SmileyPluginRegistry *
smiley_cli_get_registry (SmileyCli *cli)
{
  if (cli->registry == NULL)
    {
      cli->registry = smiley_plugin_registry_new ();
      smiley_plugin_registry_load_defaults (cli->registry);
    }
  return cli->registry;
}

/**
 * smiley_cli_option_context:
 * @cli: the command line
 * @parameter_string: what follows the options in the usage line
 * @summary: (nullable): a paragraph above the options
 *
 * Returns: (transfer full): an option context whose --help names the
 *   command ("Usage: smiley run [OPTION…] …")
 */
GOptionContext *
smiley_cli_option_context (SmileyCli *cli, const char *parameter_string, const char *summary)
{
  GOptionContext  *context;
  g_autofree char *prgname = g_strdup_printf ("smiley %s", cli->command);

  /* GOption prints g_get_prgname() in the usage line. */
  g_set_prgname (prgname);
  context = g_option_context_new (parameter_string);
  if (summary != NULL)
    g_option_context_set_summary (context, summary);
  return context;
}

/**
 * smiley_cli_add_common:
 * @context: a command's option context
 * @options: where the values go
 * @with_sink: whether the command has a sink (--sink)
 * @with_socket: whether it talks over a socket (--socket)
 *
 * Adds --config, --store, --database, --set and, as asked, --sink and
 * --socket.
 */
void
smiley_cli_add_common (GOptionContext *context, SmileyCommonOptions *options, gboolean with_sink,
                       gboolean with_socket)
{
  smiley_cli_add_common_full (context, options, TRUE, with_sink, with_socket);
}

/**
 * smiley_cli_add_common_full:
 * @context: a command's option context
 * @options: where the values go
 * @with_store: whether the command has a store (--store, --database)
 * @with_sink: whether the command has a sink (--sink)
 * @with_socket: whether it talks over a socket (--socket)
 *
 * Adds --config, --set and, as asked, --store and --database, --sink and
 * --socket. A command without a store (monitor) must not take --database:
 * it would be ignored, and the user would look for runs that were never
 * written.
 */
void
smiley_cli_add_common_full (GOptionContext *context, SmileyCommonOptions *options,
                            gboolean with_store, gboolean with_sink, gboolean with_socket)
{
  const GOptionEntry config_entries[]
      = { { "config", 0, 0, G_OPTION_ARG_FILENAME, &options->config,
            "Read the configuration from FILE instead of $XDG_CONFIG_HOME/smiley/smiley.conf",
            "FILE" },
          G_OPTION_ENTRY_NULL };
  const GOptionEntry store_entries[]
      = { { "store", 0, 0, G_OPTION_ARG_STRING, &options->store,
            "Store to use: sqlite:PATH or file:DIR (default: sqlite:smiley.db)", "URI" },
          { "database", 0, 0, G_OPTION_ARG_FILENAME, &options->database,
            "SQLite database to use (the same as --store sqlite:FILE)", "FILE" },
          G_OPTION_ENTRY_NULL };
  const GOptionEntry set_entries[]
      = { { "set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &options->set,
            "Set property KEY of the command's source, sink, store or view (repeatable)",
            "KEY=VALUE" },
          G_OPTION_ENTRY_NULL };
  const GOptionEntry sink_entries[]
      = { { "sink", 0, 0, G_OPTION_ARG_STRING, &options->sink,
            "Where events go: console, null, socket, store, or a plugin's sink", "NAME" },
          G_OPTION_ENTRY_NULL };
  const GOptionEntry socket_entries[]
      = { { "socket", 0, 0, G_OPTION_ARG_STRING, &options->socket,
            "Endpoint to talk over: unix:PATH or tcp://HOST:PORT", "ENDPOINT" },
          G_OPTION_ENTRY_NULL };

  g_option_context_add_main_entries (context, config_entries, NULL);
  if (with_store)
    g_option_context_add_main_entries (context, store_entries, NULL);
  g_option_context_add_main_entries (context, set_entries, NULL);
  if (with_sink)
    g_option_context_add_main_entries (context, sink_entries, NULL);
  if (with_socket)
    g_option_context_add_main_entries (context, socket_entries, NULL);
}

/**
 * smiley_cli_parse:
 * @cli: the command line
 * @context: the command's option context
 * @argc: (inout): argument count, the command name first
 * @argv: (inout): arguments; the options are removed
 * @error: return location for a #GError
 *
 * Returns: %FALSE with %SMILEY_CLI_ERROR_USAGE on an unknown or malformed
 *   option
 */
gboolean
smiley_cli_parse (SmileyCli *cli, GOptionContext *context, int *argc, char ***argv, GError **error)
{
  g_autoptr (GError) local_error = NULL;

  if (!g_option_context_parse (context, argc, argv, &local_error))
    {
      g_set_error_literal (error, SMILEY_CLI_ERROR, SMILEY_CLI_ERROR_USAGE, local_error->message);
      return FALSE;
    }
  return TRUE;
}

/**
 * smiley_cli_new_pipeline:
 * @cli: the command line
 * @options: the common options of the command
 * @error: return location for a #GError
 *
 * Creates the command's pipeline with the configuration file's settings
 * and the common options applied. The caller declares the roles, adds
 * its own settings, then builds and initialises it.
 *
 * Returns: (transfer full): the pipeline, or %NULL if the configuration
 *   file cannot be read
 */
SmileyPipeline *
smiley_cli_new_pipeline (SmileyCli *cli, SmileyCommonOptions *options, GError **error)
{
  g_autoptr (SmileyPipeline) pipeline = smiley_pipeline_new (smiley_cli_get_registry (cli));
  g_autoptr (SmileyConfig) config = smiley_config_new ();

  /* Both choose the store; letting the last one win would quietly read
   * or write a database the user did not mean. */
  if (options->store != NULL && options->database != NULL)
    {
      g_set_error (error, SMILEY_CLI_ERROR, SMILEY_CLI_ERROR_USAGE,
                   "--store %s and --database %s both choose the store: give only one",
                   options->store, options->database);
      return NULL;
    }

  if (options->config != NULL)
    {
      if (!smiley_config_load_file (config, options->config, error))
        return NULL;
    }
  else if (!smiley_config_load_default (config, error))
    return NULL;

  smiley_config_apply (config, pipeline, cli->group);

  if (options->store != NULL)
    smiley_pipeline_add_setting (pipeline, SMILEY_SETTING_FLAG, "store", options->store, "--store");
  if (options->database != NULL)
    smiley_pipeline_add_setting (pipeline, SMILEY_SETTING_FLAG, "database", options->database,
                                 "--database");
  if (options->sink != NULL)
    smiley_pipeline_add_setting (pipeline, SMILEY_SETTING_FLAG, "sink", options->sink, "--sink");
  if (options->socket != NULL)
    smiley_pipeline_add_setting (pipeline, SMILEY_SETTING_FLAG, "socket", options->socket,
                                 "--socket");

  /* --set is the command line's way to reach any property, including
   * those of third-party plugins the CLI knows nothing about. */
  for (guint i = 0; options->set != NULL && options->set[i] != NULL; i++)
    {
      const char      *eq = strchr (options->set[i], '=');
      g_autofree char *key = NULL;
      g_autofree char *origin = NULL;

      if (eq == NULL || eq == options->set[i])
        {
          g_set_error (error, SMILEY_CLI_ERROR, SMILEY_CLI_ERROR_USAGE,
                       "--set %s: expected KEY=VALUE", options->set[i]);
          return NULL;
        }
      key = g_strndup (options->set[i], eq - options->set[i]);
      origin = g_strdup_printf ("--set %s", key);
      smiley_pipeline_add_setting (pipeline, SMILEY_SETTING_FLAG, key, eq + 1, origin);
    }

  return g_steal_pointer (&pipeline);
}

/**
 * smiley_cli_check_store_exists:
 * @pipeline: a built pipeline with a store
 * @error: return location for a #GError
 *
 * Commands that only read a store must not create an empty one where the
 * user mistyped a path.
 *
 * Returns: %FALSE if the store's location does not exist
 */
gboolean
smiley_cli_check_store_exists (SmileyPipeline *pipeline, GError **error)
{
  const char      *uri = smiley_pipeline_get_name (pipeline, SMILEY_PIPELINE_STORE);
  g_autofree char *scheme = NULL;
  g_autofree char *location = NULL;

  if (uri == NULL || !smiley_store_uri_parse (uri, &scheme, &location, NULL))
    return TRUE;

  if (!g_file_test (location, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, SMILEY_CLI_ERROR, SMILEY_CLI_ERROR_FAILED,
                   "%s: no such store (record a run first with 'smiley run --local' or "
                   "'smiley record', or choose one with --database/--store)",
                   location);
      if (error != NULL)
        smiley_pipeline_attribute_error (pipeline, SMILEY_PIPELINE_STORE, *error);
      return FALSE;
    }
  return TRUE;
}

/**
 * smiley_cli_request_read_only:
 * @pipeline: a pipeline with a store, not built yet
 *
 * Asks for the store to be opened read-only, for the commands that only
 * read it (list, replay, stats, export, report, server): such a command
 * must not turn a file that is not a store yet (an empty file, say) into
 * one. Stores say so with a construct-only boolean "read-only" property;
 * one without it is opened as before.
 */
void
smiley_cli_request_read_only (SmileyPipeline *pipeline)
{
  smiley_pipeline_add_optional (pipeline, SMILEY_SETTING_DEFAULT, "read-only", "true", NULL);
}

static SmileyStore *
open_store (SmileyCli *cli, SmileyCommonOptions *options, gboolean read_only, GError **error)
{
  g_autoptr (SmileyPipeline) pipeline = smiley_cli_new_pipeline (cli, options, error);

  if (pipeline == NULL)
    return NULL;

  smiley_pipeline_set_role (pipeline, SMILEY_PIPELINE_STORE, "sqlite:smiley.db");
  if (read_only)
    smiley_cli_request_read_only (pipeline);
  if (!smiley_pipeline_build (pipeline, error) || !smiley_cli_check_store_exists (pipeline, error)
      || !smiley_pipeline_initialize (pipeline, NULL, error))
    return NULL;

  return g_object_ref (smiley_pipeline_get_object (pipeline, SMILEY_PIPELINE_STORE));
}

/**
 * smiley_cli_open_store:
 * @cli: the command line
 * @options: the common options of the command
 * @error: return location for a #GError
 *
 * Opens the command's store to read and change it (delete):
 * --store/--database, else the configuration's, else sqlite:smiley.db. It
 * must exist.
 *
 * Returns: (transfer full): the initialised store
 */
SmileyStore *
smiley_cli_open_store (SmileyCli *cli, SmileyCommonOptions *options, GError **error)
{
  return open_store (cli, options, FALSE, error);
}

/**
 * smiley_cli_open_store_read_only:
 * @cli: the command line
 * @options: the common options of the command
 * @error: return location for a #GError
 *
 * Opens the command's store as smiley_cli_open_store() does, asking the
 * store to open it read-only (see smiley_cli_request_read_only()).
 *
 * Returns: (transfer full): the initialised store
 */
SmileyStore *
smiley_cli_open_store_read_only (SmileyCli *cli, SmileyCommonOptions *options, GError **error)
{
  return open_store (cli, options, TRUE, error);
}

/**
 * smiley_cli_check_whole:
 * @option: the option, e.g. "--limit"
 * @text: what the user wrote
 * @max: the largest value allowed
 * @error: return location for a #GError
 *
 * Checks a numeric option that takes a whole number from 0 to @max. The
 * options are parsed as text and checked here rather than by GOption,
 * whose integers accept negative numbers that commands then mistook for
 * "not given".
 *
 * Returns: %FALSE with %SMILEY_CLI_ERROR_USAGE if @text is not such a
 *   number
 */
gboolean
smiley_cli_check_whole (const char *option, const char *text, guint64 max, GError **error)
{
  if (!g_ascii_string_to_unsigned (text, 10, 0, max, NULL, NULL))
    {
      g_set_error (error, SMILEY_CLI_ERROR, SMILEY_CLI_ERROR_USAGE,
                   "%s must be a whole number from 0 to %" G_GUINT64_FORMAT ", not '%s'", option,
                   max, text);
      return FALSE;
    }
  return TRUE;
}

/**
 * smiley_cli_check_number:
 * @option: the option, e.g. "--node-threshold"
 * @text: what the user wrote
 * @min: the smallest value allowed
 * @max: the largest value allowed
 * @error: return location for a #GError
 *
 * Checks a numeric option that takes a decimal number (C locale) from
 * @min to @max.
 *
 * Returns: %FALSE with %SMILEY_CLI_ERROR_USAGE if @text is not such a
 *   number
 */
gboolean
smiley_cli_check_number (const char *option, const char *text, double min, double max,
                         GError **error)
{
  char  *end = NULL;
  double d;

  errno = 0;
  d = g_ascii_strtod (text, &end);
  if (*text == '\0' || g_ascii_isspace (*text) || end == NULL || *end != '\0' || errno != 0
      || !(d >= min && d <= max))
    {
      g_set_error (error, SMILEY_CLI_ERROR, SMILEY_CLI_ERROR_USAGE,
                   "%s must be a number from %g to %g, not '%s'", option, min, max, text);
      return FALSE;
    }
  return TRUE;
}

typedef struct
{
  SmileyCliWorkFunc work;
  gpointer          data;
  GCancellable     *cancellable;
  GMainLoop        *loop;
  GError           *error;
  gboolean          ok;
  int               signals;
} Job;

static gboolean
job_done (gpointer user_data)
{
  Job *job = user_data;

  g_main_loop_quit (job->loop);
  return G_SOURCE_REMOVE;
}

static gpointer
job_thread (gpointer user_data)
{
  Job *job = user_data;

  job->ok = job->work (job->data, job->cancellable, &job->error);
  g_main_context_invoke (g_main_loop_get_context (job->loop), job_done, job);
  return NULL;
}

static gboolean
job_signal (gpointer user_data)
{
  Job *job = user_data;

  /* The first signal asks the source to stop and the sink to flush; a
   * second one means the user does not want to wait for that. */
  if (job->signals++ > 0)
    _exit (130);
  g_cancellable_cancel (job->cancellable);
  return G_SOURCE_CONTINUE;
}

/**
 * smiley_cli_run_interruptible:
 * @work: the command's long-running part
 * @data: its argument
 * @interrupted: (out) (optional): whether SIGINT or SIGTERM arrived
 * @error: return location for a #GError
 *
 * Runs @work on a thread of its own while this one waits for SIGINT and
 * SIGTERM, which cancel the #GCancellable @work gets. `monitor`, `record`
 * and `server` run until then; a second signal exits at once. (`run` does
 * not use this: there, signals belong to the traced program.)
 *
 * Returns: what @work returned
 */
gboolean
smiley_cli_run_interruptible (SmileyCliWorkFunc work, gpointer data, gboolean *interrupted,
                              GError **error)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (GSource) sigint = NULL;
  g_autoptr (GSource) sigterm = NULL;
  g_autoptr (GThread) thread = NULL;
  Job job = {
    0,
  };

  job.work = work;
  job.data = data;
  job.cancellable = g_cancellable_new ();
  job.loop = g_main_loop_new (context, FALSE);

  g_main_context_push_thread_default (context);

  sigint = g_unix_signal_source_new (SIGINT);
  g_source_set_callback (sigint, job_signal, &job, NULL);
  g_source_attach (sigint, context);
  sigterm = g_unix_signal_source_new (SIGTERM);
  g_source_set_callback (sigterm, job_signal, &job, NULL);
  g_source_attach (sigterm, context);

  thread = g_thread_new ("smiley-pipeline", job_thread, &job);
  g_main_loop_run (job.loop);
  g_thread_join (g_steal_pointer (&thread));

  g_source_destroy (sigint);
  g_source_destroy (sigterm);
  g_main_context_pop_thread_default (context);

  g_clear_object (&job.cancellable);
  g_clear_pointer (&job.loop, g_main_loop_unref);

  if (interrupted != NULL)
    *interrupted = job.signals > 0;
  if (!job.ok)
    {
      g_propagate_error (error, job.error);
      return FALSE;
    }
  g_clear_error (&job.error);
  return TRUE;
}

static char *
temporary_path (const char *path)
{
  return g_strconcat (path, ".tmp", NULL);
}

/**
 * smiley_cli_open_output:
 * @path: a file, or "-" for standard output
 * @error: return location for a #GError
 *
 * Opens where a view writes. A file is written as PATH.tmp and renamed
 * over PATH by smiley_cli_commit_output(), so a failed or interrupted
 * export never leaves a half-written file under the real name.
 *
 * Returns: (transfer full): the stream
 */
GOutputStream *
smiley_cli_open_output (const char *path, GError **error)
{
  g_autofree char *tmp = NULL;
  int              fd;

  if (path == NULL || g_str_equal (path, "-"))
    return g_unix_output_stream_new (STDOUT_FILENO, FALSE);

  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_IS_DIRECTORY, "cannot write %s: it is a directory",
                   path);
      return NULL;
    }

  tmp = temporary_path (path);
  fd = g_open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "cannot write %s: %s",
                   path, g_strerror (saved_errno));
      return NULL;
    }
  return g_unix_output_stream_new (fd, TRUE);
}

/**
 * smiley_cli_commit_output:
 * @stream: a stream from smiley_cli_open_output()
 * @path: the same path
 * @success: whether the view wrote everything
 * @error: return location for a #GError
 *
 * Closes @stream; for a file, renames PATH.tmp to PATH on success and
 * removes it otherwise.
 *
 * Returns: %FALSE if the data could not be written
 */
gboolean
smiley_cli_commit_output (GOutputStream *stream, const char *path, gboolean success, GError **error)
{
  gboolean         to_file = path != NULL && !g_str_equal (path, "-");
  g_autofree char *tmp = to_file ? temporary_path (path) : NULL;
  g_autoptr (GError) local_error = NULL;

  if (!g_output_stream_is_closed (stream) && !g_output_stream_close (stream, NULL, &local_error)
      && success)
    {
      g_set_error (error, G_IO_ERROR, local_error->code, "cannot write %s: %s",
                   to_file ? path : "standard output", local_error->message);
      if (to_file)
        g_unlink (tmp);
      return FALSE;
    }

  if (!to_file)
    return TRUE;

  if (!success)
    {
      g_unlink (tmp);
      return TRUE;
    }

  if (g_rename (tmp, path) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "cannot write %s: %s",
                   path, g_strerror (saved_errno));
      g_unlink (tmp);
      return FALSE;
    }
  return TRUE;
}

static void
print_general_help (FILE *out)
{
  fprintf (out, "Usage: smiley COMMAND [OPTIONS…]\n"
                "\n"
                "smiley records every call, line, return and exception of a Python program,\n"
                "with its local variables and profiler statistics.\n"
                "\n"
                "Commands:\n");
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-9s %s\n", commands[i].name, commands[i].summary);
  fprintf (out, "\n"
                "Run 'smiley help COMMAND' or 'smiley COMMAND --help' for a command's options.\n"
                "Configuration: $XDG_CONFIG_HOME/smiley/smiley.conf or --config FILE.\n");
}

static int
command_help (int argc, char **argv)
{
  const SmileyCommand *command;
  SmileyCli            cli = {
               0,
  };
  char *help_argv[4];
  int   help_argc = 0;

  if (argc < 2)
    {
      print_general_help (stdout);
      return 0;
    }

  command = find_command (argv[1]);
  if (command == NULL)
    {
      fprintf (stderr,
               "smiley help: unknown command '%s'\nTry 'smiley help' for the list of commands.\n",
               argv[1]);
      return 2;
    }
  if (command->func == NULL)
    {
      print_general_help (stdout);
      return 0;
    }

  /* A command prints its own help, exactly as for `smiley CMD --help`. */
  help_argv[help_argc++] = argv[1];
  if (argc > 2)
    help_argv[help_argc++] = argv[2];
  help_argv[help_argc++] = (char *)"--help";
  help_argv[help_argc] = NULL;
  cli.command = command->name;
  cli.group = command->name;
  return command->func (&cli, help_argc, help_argv, NULL);
}

/**
 * smiley_cli_main:
 * @argc: argument count
 * @argv: arguments
 *
 * The `smiley` program.
 *
 * Returns: the exit status: the traced program's for `run`, 0 on
 *   success, 1 when the command failed, 2 when the command line is wrong
 */
int
smiley_cli_main (int argc, char **argv)
{
  const SmileyCommand *command;
  SmileyCli            cli = {
               0,
  };
  g_autoptr (GError) error = NULL;
  int status;

  setlocale (LC_ALL, "");
  g_set_prgname ("smiley");

  if (argc < 2)
    {
      print_general_help (stderr);
      return 2;
    }

  if (g_str_equal (argv[1], "--version") || g_str_equal (argv[1], "version"))
    {
      printf ("smiley %s\n", SMILEY_VERSION_STRING);
      return 0;
    }

  if (g_str_equal (argv[1], "help") || g_str_equal (argv[1], "--help")
      || g_str_equal (argv[1], "-h"))
    return command_help (argc - 1, argv + 1);

  command = find_command (argv[1]);
  if (command == NULL || command->func == NULL)
    {
      if (argv[1][0] == '-')
        fprintf (stderr, "smiley: unknown option '%s'\n", argv[1]);
      else
        fprintf (stderr, "smiley: unknown command '%s'\n", argv[1]);
      fprintf (stderr, "Try 'smiley help' for the list of commands.\n");
      return 2;
    }

  cli.command = command->name;
  cli.group = command->name;
  status = command->func (&cli, argc - 1, argv + 1, &error);
  g_clear_object (&cli.registry);

  if (status >= 0)
    return status;

  g_assert (error != NULL);
  fflush (stdout);
  {
    /* The contract is one line per error, whatever a plugin wrote. */
    g_autofree char *message = g_strstrip (g_strdup (error->message));

    g_strdelimit (message, "\r\n", ' ');
    fprintf (stderr, "smiley %s: %s\n", cli.command, message);
  }
  if (g_error_matches (error, SMILEY_CLI_ERROR, SMILEY_CLI_ERROR_USAGE))
    {
      fprintf (stderr, "Try 'smiley help %s' for more information.\n", cli.group);
      return 2;
    }
  return 1;
}
