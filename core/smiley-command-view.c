/* smiley-command-view.c: the commands that render runs — stats, export,
 * server, report
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include <stdio.h>

#include "smiley-cli.h"

typedef struct
{
  SmileyView    *view;
  SmileyStore   *store;
  SmileyRun     *run;
  GOutputStream *output;
} RenderJob;

static gboolean
render_work (gpointer data, GCancellable *cancellable, GError **error)
{
  RenderJob *job = data;

  return smiley_view_render (job->view, job->store, job->run, job->output, cancellable, error);
}

/* The common end of every view command: build the pipeline (a store and a
 * view named @view_name), resolve @run_id, open @output_path (NULL: stdout)
 * and render, interruptibly. A view that serves (the web UI) runs until
 * SIGINT/SIGTERM, which is success. */
static int
render_view (SmileyCli *cli, SmileyPipeline *pipeline, const char *view_name, const char *run_id,
             const char *output_path, GError **error)
{
  g_autoptr (SmileyRun) run = NULL;
  g_autoptr (GOutputStream) output = NULL;
  g_autoptr (GError) local_error = NULL;
  RenderJob job = {
    0,
  };
  gboolean interrupted = FALSE;
  gboolean ok;

  smiley_pipeline_set_role (pipeline, SMILEY_PIPELINE_STORE, "sqlite:smiley.db");
  smiley_pipeline_set_role (pipeline, SMILEY_PIPELINE_VIEW, view_name);
  smiley_cli_request_read_only (pipeline);

  if (!smiley_pipeline_build (pipeline, error) || !smiley_cli_check_store_exists (pipeline, error)
      || !smiley_pipeline_initialize (pipeline, NULL, error))
    return -1;

  job.view = smiley_pipeline_get_object (pipeline, SMILEY_PIPELINE_VIEW);
  job.store = smiley_pipeline_get_object (pipeline, SMILEY_PIPELINE_STORE);

  if (run_id != NULL)
    {
      run = smiley_store_find_run (job.store, run_id, error);
      if (run == NULL)
        return -1;
      job.run = run;
    }

  output = smiley_cli_open_output (output_path, error);
  if (output == NULL)
    return -1;
  job.output = output;

  ok = smiley_cli_run_interruptible (render_work, &job, &interrupted, &local_error);
  /* Views check some settings (a sort order) only when they render. */
  smiley_pipeline_attribute_error (pipeline, SMILEY_PIPELINE_VIEW, local_error);
  if (!ok && interrupted && g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
      && run_id == NULL)
    {
      /* The server was asked to stop. */
      g_clear_error (&local_error);
      ok = TRUE;
    }

  if (!smiley_cli_commit_output (output, output_path, ok, ok ? error : NULL))
    return -1;
  if (!ok)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return -1;
    }
  return 0;
}

static gboolean
check_arguments (int argc, char **argv, int wanted, const char *missing, GError **error)
{
  if (argc < wanted)
    {
      g_set_error_literal (error, SMILEY_CLI_ERROR, SMILEY_CLI_ERROR_USAGE, missing);
      return FALSE;
    }
  if (argc > wanted)
    {
      g_set_error (error, SMILEY_CLI_ERROR, SMILEY_CLI_ERROR_USAGE, "unexpected argument '%s'",
                   argv[wanted]);
      return FALSE;
    }
  return TRUE;
}

static int
stats_show (SmileyCli *cli, int argc, char **argv, GError **error)
{
  SmileyCommonOptions options = {
    0,
  };
  g_autofree char *sort = NULL;
  g_autofree char *callers = NULL;
  g_autofree char *callees = NULL;
  g_autofree char *limit = NULL;
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (SmileyPipeline) pipeline = NULL;
  int                status = -1;
  const GOptionEntry entries[]
      = { { "sort", 0, 0, G_OPTION_ARG_STRING, &sort,
            "Order by cumtime (default), tottime, ncalls, name or file", "KEY" },
          { "limit", 0, 0, G_OPTION_ARG_STRING, &limit, "Show only the first N functions (0: all)",
            "N" },
          { "callers", 0, 0, G_OPTION_ARG_STRING, &callers,
            "Show who called the functions matching FUNC", "FUNC" },
          { "callees", 0, 0, G_OPTION_ARG_STRING, &callees,
            "Show what the functions matching FUNC called", "FUNC" },
          G_OPTION_ENTRY_NULL };

  context = smiley_cli_option_context (cli, "RUN",
                                       "Shows the profile of a run as a table, as pstats does.");
  g_option_context_add_main_entries (context, entries, NULL);
  smiley_cli_add_common (context, &options, FALSE, FALSE);

  if (!smiley_cli_parse (cli, context, &argc, &argv, error)
      || !check_arguments (argc, argv, 2, "missing the run (see 'smiley list')", error))
    goto out;
  if (limit != NULL && !smiley_cli_check_whole ("--limit", limit, G_MAXINT, error))
    goto out;

  pipeline = smiley_cli_new_pipeline (cli, &options, error);
  if (pipeline == NULL)
    goto out;
  if (sort != NULL)
    smiley_pipeline_add_setting (pipeline, SMILEY_SETTING_FLAG, "sort", sort, "--sort");
  if (limit != NULL)
    smiley_pipeline_add_setting (pipeline, SMILEY_SETTING_FLAG, "limit", limit, "--limit");
  if (callers != NULL)
    smiley_pipeline_add_setting (pipeline, SMILEY_SETTING_FLAG, "callers", callers, "--callers");
  if (callees != NULL)
    smiley_pipeline_add_setting (pipeline, SMILEY_SETTING_FLAG, "callees", callees, "--callees");

  status = render_view (cli, pipeline, "stats", argv[1], NULL, error);

out:
  smiley_common_options_clear (&options);
  return status;
}

static int
stats_export (SmileyCli *cli, int argc, char **argv, GError **error)
{
  SmileyCommonOptions options = {
    0,
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (SmileyPipeline) pipeline = NULL;
  int status = -1;

  context = smiley_cli_option_context (cli, "RUN FILE",
                                       "Writes the profile of a run in CPython's pstats format\n"
                                       "(python3 -m pstats FILE, snakeviz, gprof2dot read it).");
  smiley_cli_add_common (context, &options, FALSE, FALSE);

  if (!smiley_cli_parse (cli, context, &argc, &argv, error)
      || !check_arguments (argc, argv, 3,
                           "missing the run and the file to write: smiley stats export RUN FILE",
                           error))
    goto out;

  pipeline = smiley_cli_new_pipeline (cli, &options, error);
  if (pipeline == NULL)
    goto out;

  status = render_view (cli, pipeline, "pstats", argv[1], argv[2], error);

out:
  smiley_common_options_clear (&options);
  return status;
}

static int
stats_graph (SmileyCli *cli, int argc, char **argv, GError **error)
{
  SmileyCommonOptions options = {
    0,
  };
  g_autofree char *output = NULL;
  g_autofree char *format = NULL;
  g_autofree char *node_threshold = NULL;
  g_autofree char *edge_threshold = NULL;
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (SmileyPipeline) pipeline = NULL;
  int                status = -1;
  const GOptionEntry entries[]
      = { { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Write the graph to FILE", "FILE" },
          { "format", 0, 0, G_OPTION_ARG_STRING, &format,
            "svg, png or dot (default: from FILE's extension, else svg)", "FORMAT" },
          { "node-threshold", 0, 0, G_OPTION_ARG_STRING, &node_threshold,
            "Leave out functions under PCT percent of the total time (default 0.5)", "PCT" },
          { "edge-threshold", 0, 0, G_OPTION_ARG_STRING, &edge_threshold,
            "Leave out calls under PCT percent of the total time (default 0.1)", "PCT" },
          G_OPTION_ENTRY_NULL };

  context
      = smiley_cli_option_context (cli, "RUN -o FILE", "Draws the call graph of a run's profile.");
  g_option_context_add_main_entries (context, entries, NULL);
  smiley_cli_add_common (context, &options, FALSE, FALSE);

  if (!smiley_cli_parse (cli, context, &argc, &argv, error)
      || !check_arguments (argc, argv, 2, "missing the run: smiley stats graph RUN -o FILE", error))
    goto out;
  if (output == NULL)
    {
      g_set_error_literal (error, SMILEY_CLI_ERROR, SMILEY_CLI_ERROR_USAGE,
                           "missing the output file: smiley stats graph RUN -o FILE");
      goto out;
    }
  if ((node_threshold != NULL
       && !smiley_cli_check_number ("--node-threshold", node_threshold, 0, 100, error))
      || (edge_threshold != NULL
          && !smiley_cli_check_number ("--edge-threshold", edge_threshold, 0, 100, error)))
    goto out;
  if (format == NULL)
    {
      if (g_str_has_suffix (output, ".png"))
        format = g_strdup ("png");
      else if (g_str_has_suffix (output, ".dot") || g_str_has_suffix (output, ".gv"))
        format = g_strdup ("dot");
    }

  pipeline = smiley_cli_new_pipeline (cli, &options, error);
  if (pipeline == NULL)
    goto out;
  if (format != NULL)
    smiley_pipeline_add_setting (pipeline, SMILEY_SETTING_FLAG, "format", format, "--format");
  if (node_threshold != NULL)
    smiley_pipeline_add_setting (pipeline, SMILEY_SETTING_FLAG, "node-threshold", node_threshold,
                                 "--node-threshold");
  if (edge_threshold != NULL)
    smiley_pipeline_add_setting (pipeline, SMILEY_SETTING_FLAG, "edge-threshold", edge_threshold,
                                 "--edge-threshold");

  status = render_view (cli, pipeline, "callgraph", argv[1], output, error);

out:
  smiley_common_options_clear (&options);
  return status;
}

/**
 * smiley_command_stats:
 *
 * `smiley stats show|export|graph …`: the profile of a run.
 */
int
smiley_command_stats (SmileyCli *cli, int argc, char **argv, GError **error)
{
  if (argc >= 2 && g_str_equal (argv[1], "show"))
    {
      cli->command = "stats show";
      return stats_show (cli, argc - 1, argv + 1, error);
    }
  if (argc >= 2 && g_str_equal (argv[1], "export"))
    {
      cli->command = "stats export";
      return stats_export (cli, argc - 1, argv + 1, error);
    }
  if (argc >= 2 && g_str_equal (argv[1], "graph"))
    {
      cli->command = "stats graph";
      return stats_graph (cli, argc - 1, argv + 1, error);
    }

  if (argc < 2 || g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h"))
    {
      FILE *out = argc < 2 ? stderr : stdout;

      fprintf (
          out,
          "Usage:\n"
          "  smiley stats show RUN [--sort KEY] [--limit N] [--callers FUNC] [--callees FUNC]\n"
          "  smiley stats export RUN FILE\n"
          "  smiley stats graph RUN -o FILE [--format svg|png|dot] [--node-threshold PCT] "
          "[--edge-threshold PCT]\n"
          "\n"
          "The profiler statistics of a run:\n"
          "  show    a table with pstats' columns, by cumulative time\n"
          "  export  a file in CPython's pstats format\n"
          "  graph   a call graph coloured by time share\n"
          "\n"
          "Run 'smiley stats show --help' (etc.) for the options.\n");
      if (argc < 2)
        {
          g_set_error_literal (error, SMILEY_CLI_ERROR, SMILEY_CLI_ERROR_USAGE,
                               "missing the sub-command: show, export or graph");
          return -1;
        }
      return 0;
    }

  g_set_error (error, SMILEY_CLI_ERROR, SMILEY_CLI_ERROR_USAGE,
               "unknown sub-command '%s' (use show, export or graph)", argv[1]);
  return -1;
}

/**
 * smiley_command_export:
 *
 * `smiley export RUN FILE [--format chrome|jsonl]`: the run's events for
 * other tools.
 */
int
smiley_command_export (SmileyCli *cli, int argc, char **argv, GError **error)
{
  SmileyCommonOptions options = {
    0,
  };
  g_autofree char *format = NULL;
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (SmileyPipeline) pipeline = NULL;
  int                status = -1;
  const GOptionEntry entries[] = { { "format", 0, 0, G_OPTION_ARG_STRING, &format,
                                     "chrome (Chrome trace JSON, the default; .jsonl files default "
                                     "to jsonl) or jsonl (one event per line)",
                                     "FORMAT" },
                                   G_OPTION_ENTRY_NULL };

  context = smiley_cli_option_context (
      cli, "RUN FILE",
      "Exports a run's events: as a Chrome trace (Perfetto, chrome://tracing)\n"
      "or as JSON lines. FILE '-' is standard output.");
  g_option_context_add_main_entries (context, entries, NULL);
  smiley_cli_add_common (context, &options, FALSE, FALSE);

  if (!smiley_cli_parse (cli, context, &argc, &argv, error)
      || !check_arguments (argc, argv, 3,
                           "missing the run and the file to write: smiley export RUN FILE", error))
    goto out;

  if (format == NULL)
    format = g_strdup (g_str_has_suffix (argv[2], ".jsonl") ? "jsonl" : "chrome");
  if (!g_str_equal (format, "chrome") && !g_str_equal (format, "jsonl"))
    {
      g_set_error (error, SMILEY_CLI_ERROR, SMILEY_CLI_ERROR_USAGE,
                   "--format must be chrome or jsonl, not '%s'", format);
      goto out;
    }

  pipeline = smiley_cli_new_pipeline (cli, &options, error);
  if (pipeline == NULL)
    goto out;

  status = render_view (cli, pipeline, format, argv[1], argv[2], error);

out:
  smiley_common_options_clear (&options);
  return status;
}

/**
 * smiley_command_server:
 *
 * `smiley server [--port N] [--host ADDR]`: the "web" view over the
 * whole store, until interrupted.
 */
int
smiley_command_server (SmileyCli *cli, int argc, char **argv, GError **error)
{
  SmileyCommonOptions options = {
    0,
  };
  g_autofree char *host = NULL;
  g_autofree char *port = NULL;
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (SmileyPipeline) pipeline = NULL;
  int                status = -1;
  const GOptionEntry entries[]
      = { { "port", 0, 0, G_OPTION_ARG_STRING, &port, "Listen on port N (default 8080)", "N" },
          { "host", 0, 0, G_OPTION_ARG_STRING, &host, "Listen on ADDR (default 127.0.0.1)",
            "ADDR" },
          G_OPTION_ENTRY_NULL };

  context
      = smiley_cli_option_context (cli, NULL, "Serves a web UI over the store until interrupted.");
  g_option_context_add_main_entries (context, entries, NULL);
  smiley_cli_add_common (context, &options, FALSE, FALSE);

  if (!smiley_cli_parse (cli, context, &argc, &argv, error)
      || !check_arguments (argc, argv, 1, "", error))
    goto out;
  if (port != NULL && !smiley_cli_check_whole ("--port", port, 65535, error))
    goto out;

  pipeline = smiley_cli_new_pipeline (cli, &options, error);
  if (pipeline == NULL)
    goto out;
  if (port != NULL)
    smiley_pipeline_add_setting (pipeline, SMILEY_SETTING_FLAG, "port", port, "--port");
  if (host != NULL)
    smiley_pipeline_add_setting (pipeline, SMILEY_SETTING_FLAG, "host", host, "--host");

  status = render_view (cli, pipeline, "web", NULL, NULL, error);

out:
  smiley_common_options_clear (&options);
  return status;
}

/**
 * smiley_command_report:
 *
 * `smiley report RUN -o DIR`: the "report" view, static HTML into DIR.
 */
int
smiley_command_report (SmileyCli *cli, int argc, char **argv, GError **error)
{
  SmileyCommonOptions options = {
    0,
  };
  g_autofree char *output_dir = NULL;
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (SmileyPipeline) pipeline = NULL;
  int                status = -1;
  const GOptionEntry entries[] = { { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output_dir,
                                     "Write the report into directory DIR", "DIR" },
                                   G_OPTION_ENTRY_NULL };

  context = smiley_cli_option_context (cli, "RUN -o DIR",
                                       "Writes a static HTML report of a run, readable from disk.");
  g_option_context_add_main_entries (context, entries, NULL);
  smiley_cli_add_common (context, &options, FALSE, FALSE);

  if (!smiley_cli_parse (cli, context, &argc, &argv, error)
      || !check_arguments (argc, argv, 2, "missing the run: smiley report RUN -o DIR", error))
    goto out;
  if (output_dir == NULL)
    {
      g_set_error_literal (error, SMILEY_CLI_ERROR, SMILEY_CLI_ERROR_USAGE,
                           "missing the output directory: smiley report RUN -o DIR");
      goto out;
    }

  pipeline = smiley_cli_new_pipeline (cli, &options, error);
  if (pipeline == NULL)
    goto out;
  smiley_pipeline_add_setting (pipeline, SMILEY_SETTING_FLAG, "output-dir", output_dir, "--output");

  status = render_view (cli, pipeline, "report", argv[1], NULL, error);

out:
  smiley_common_options_clear (&options);
  return status;
}
