/* smiley-cli.h: the `smiley` command line, shared by its command groups
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#pragma once

#include "smiley.h"
#include "smiley-config.h"
#include "smiley-pipeline.h"

G_BEGIN_DECLS

#define SMILEY_CLI_ERROR (smiley_cli_error_quark ())

/**
 * SmileyCliError:
 * @SMILEY_CLI_ERROR_USAGE: the command line is wrong (exit status 2)
 * @SMILEY_CLI_ERROR_FAILED: the command failed (exit status 1)
 */
typedef enum
{
  SMILEY_CLI_ERROR_USAGE,
  SMILEY_CLI_ERROR_FAILED,
} SmileyCliError;

GQuark smiley_cli_error_quark (void);

/**
 * SmileyCli:
 * @command: the command's name as messages show it ("run", "stats show")
 * @group: the configuration group of the command ("run", "stats")
 * @registry: the plugins, loaded on first use
 *
 * What every command gets.
 */
typedef struct
{
  const char           *command;
  const char           *group;
  SmileyPluginRegistry *registry;
} SmileyCli;

/**
 * SmileyCommonOptions:
 * @config: --config FILE
 * @store: --store URI
 * @database: --database FILE
 * @sink: --sink NAME
 * @socket: --socket ENDPOINT
 * @set: --set KEY=VALUE, repeatable: any property of the command's objects
 *
 * The options most commands share.
 */
typedef struct
{
  char  *config;
  char  *store;
  char  *database;
  char  *sink;
  char  *socket;
  char **set;
} SmileyCommonOptions;

void smiley_common_options_clear (SmileyCommonOptions *options);

/* Return the command's exit status, or -1 with @error set. */
typedef int (*SmileyCommandFunc) (SmileyCli *cli, int argc, char **argv, GError **error);

SmileyPluginRegistry *smiley_cli_get_registry (SmileyCli *cli);
GOptionContext       *smiley_cli_option_context (SmileyCli *cli, const char *parameter_string,
                                                 const char *summary);
void                  smiley_cli_add_common (GOptionContext *context, SmileyCommonOptions *options,
                                             gboolean with_sink, gboolean with_socket);
void            smiley_cli_add_common_full (GOptionContext *context, SmileyCommonOptions *options,
                                            gboolean with_store, gboolean with_sink, gboolean with_socket);
gboolean        smiley_cli_parse (SmileyCli *cli, GOptionContext *context, int *argc, char ***argv,
                                  GError **error);
SmileyPipeline *smiley_cli_new_pipeline (SmileyCli *cli, SmileyCommonOptions *options,
                                         GError **error);
gboolean        smiley_cli_check_store_exists (SmileyPipeline *pipeline, GError **error);
SmileyStore *smiley_cli_open_store (SmileyCli *cli, SmileyCommonOptions *options, GError **error);
SmileyStore *smiley_cli_open_store_read_only (SmileyCli *cli, SmileyCommonOptions *options,
                                              GError **error);
void         smiley_cli_request_read_only (SmileyPipeline *pipeline);
gboolean smiley_cli_check_whole (const char *option, const char *text, guint64 max, GError **error);
gboolean smiley_cli_check_number (const char *option, const char *text, double min, double max,
                                  GError **error);

typedef gboolean (*SmileyCliWorkFunc) (gpointer data, GCancellable *cancellable, GError **error);

gboolean smiley_cli_run_interruptible (SmileyCliWorkFunc work, gpointer data, gboolean *interrupted,
                                       GError **error);

GOutputStream *smiley_cli_open_output (const char *path, GError **error);
gboolean       smiley_cli_commit_output (GOutputStream *stream, const char *path, gboolean success,
                                         GError **error);

int smiley_command_run (SmileyCli *cli, int argc, char **argv, GError **error);
int smiley_command_monitor (SmileyCli *cli, int argc, char **argv, GError **error);
int smiley_command_record (SmileyCli *cli, int argc, char **argv, GError **error);
int smiley_command_replay (SmileyCli *cli, int argc, char **argv, GError **error);
int smiley_command_list (SmileyCli *cli, int argc, char **argv, GError **error);
int smiley_command_delete (SmileyCli *cli, int argc, char **argv, GError **error);
int smiley_command_stats (SmileyCli *cli, int argc, char **argv, GError **error);
int smiley_command_export (SmileyCli *cli, int argc, char **argv, GError **error);
int smiley_command_server (SmileyCli *cli, int argc, char **argv, GError **error);
int smiley_command_report (SmileyCli *cli, int argc, char **argv, GError **error);
int smiley_command_plugins (SmileyCli *cli, int argc, char **argv, GError **error);

int smiley_cli_main (int argc, char **argv);

G_END_DECLS
