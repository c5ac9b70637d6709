/* smiley-command-plugins.c: `smiley plugins`
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include <stdio.h>

#include "smiley-cli.h"

static const char *
kind_of (GType interface_type)
{
  if (interface_type == SMILEY_TYPE_SOURCE)
    return "source";
  if (interface_type == SMILEY_TYPE_SINK)
    return "sink";
  if (interface_type == SMILEY_TYPE_STORE)
    return "store";
  return "view";
}

/**
 * smiley_command_plugins:
 *
 * `smiley plugins`: every implementation (kind, name, file, description)
 * on stdout, then every module that failed to load as "error: FILE:
 * REASON" on stderr. Succeeds if any plugin module loaded.
 */
int
smiley_command_plugins (SmileyCli  *cli,
                        int         argc,
                        char      **argv,
                        GError    **error)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GPtrArray) impls = NULL;
  g_autoptr(GPtrArray) failures = NULL;
  SmileyPluginRegistry *registry;
  int name_width = 4, file_width = 4;
  guint from_modules = 0;

  context = smiley_cli_option_context (cli, NULL,
                                       "Lists the sources, sinks, stores and views smiley can use, and the\n"
                                       "plugin modules that could not be loaded. Plugins are read from\n"
                                       "$SMILEY_PLUGIN_PATH (colon-separated) and the plugin directory.");
  if (!smiley_cli_parse (cli, context, &argc, &argv, error))
    return -1;
  if (argc > 1)
    {
      g_set_error (error, SMILEY_CLI_ERROR, SMILEY_CLI_ERROR_USAGE, "unexpected argument '%s'", argv[1]);
      return -1;
    }

  registry = smiley_cli_get_registry (cli);
  impls = smiley_plugin_registry_list (registry);
  failures = smiley_plugin_registry_list_failures (registry);

  for (guint i = 0; i < impls->len; i++)
    {
      const SmileyImplementation *impl = g_ptr_array_index (impls, i);

      name_width = MAX (name_width, (int) strlen (impl->name));
      file_width = MAX (file_width, (int) strlen (impl->file));
      if (impl->file[0] == '/')
        from_modules++;
    }

  printf ("%-6s  %-*s  %-*s  %s\n", "KIND", name_width, "NAME", file_width, "FILE", "DESCRIPTION");
  for (guint i = 0; i < impls->len; i++)
    {
      const SmileyImplementation *impl = g_ptr_array_index (impls, i);

      printf ("%-6s  %-*s  %-*s  %s\n", kind_of (impl->interface_type), name_width, impl->name,
              file_width, impl->file, impl->description);
    }
  fflush (stdout);

  for (guint i = 0; i < failures->len; i++)
    {
      const SmileyPluginFailure *failure = g_ptr_array_index (failures, i);

      fprintf (stderr, "error: %s: %s\n", failure->file, failure->reason);
    }

  if (from_modules == 0)
    {
      g_set_error_literal (error, SMILEY_CLI_ERROR, SMILEY_CLI_ERROR_FAILED,
                           "no plugin could be loaded (check $SMILEY_PLUGIN_PATH and the installation)");
      return -1;
    }
  return 0;
}
