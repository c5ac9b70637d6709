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

/* A property's type as a user writes its value in a setting. */
static const char *
value_kind (GParamSpec *pspec)
{
  GType type = G_PARAM_SPEC_VALUE_TYPE (pspec);

  if (type == G_TYPE_STRV)
    return "list";
  switch (G_TYPE_FUNDAMENTAL (type))
    {
    case G_TYPE_BOOLEAN:
      return "boolean";
    case G_TYPE_INT:
    case G_TYPE_LONG:
    case G_TYPE_INT64:
    case G_TYPE_UINT:
    case G_TYPE_ULONG:
    case G_TYPE_UINT64:
      return "integer";
    case G_TYPE_FLOAT:
    case G_TYPE_DOUBLE:
      return "number";
    case G_TYPE_ENUM:
      return "choice";
    case G_TYPE_STRING:
      return "text";
    default:
      return NULL;
    }
}

/* The settings an implementation takes: its writable properties whose
 * values can be written as text, with their defaults. */
static void
print_properties (const SmileyImplementation *impl)
{
  g_autoptr (GTypeClass) klass = g_type_class_ref (impl->type);
  guint                   n_pspecs = 0;
  g_autofree GParamSpec **pspecs
      = g_object_class_list_properties (G_OBJECT_CLASS (klass), &n_pspecs);

  for (guint i = 0; i < n_pspecs; i++)
    {
      GParamSpec      *pspec = pspecs[i];
      const char      *kind = value_kind (pspec);
      const GValue    *def;
      g_autofree char *def_text = NULL;
      const char      *blurb = g_param_spec_get_blurb (pspec);

      if (kind == NULL || (pspec->flags & G_PARAM_WRITABLE) == 0)
        continue;

      def = g_param_spec_get_default_value (pspec);
      if (G_VALUE_HOLDS_STRING (def))
        def_text = g_strdup (g_value_get_string (def));
      else if (G_VALUE_HOLDS_BOOLEAN (def))
        def_text = g_strdup (g_value_get_boolean (def) ? "true" : "false");
      else if (G_VALUE_HOLDS_ENUM (def))
        {
          GEnumValue *ev
              = g_enum_get_value (G_PARAM_SPEC_ENUM (pspec)->enum_class, g_value_get_enum (def));
          def_text = g_strdup (ev ? ev->value_nick : "");
        }
      else if (G_VALUE_HOLDS_DOUBLE (def))
        def_text = g_strdup_printf ("%g", g_value_get_double (def));
      else if (G_VALUE_HOLDS_FLOAT (def))
        def_text = g_strdup_printf ("%g", (double)g_value_get_float (def));
      else if (!G_VALUE_HOLDS (def, G_TYPE_STRV))
        {
          GValue text = G_VALUE_INIT;

          g_value_init (&text, G_TYPE_STRING);
          if (g_value_transform (def, &text))
            def_text = g_value_dup_string (&text);
          g_value_unset (&text);
        }

      printf ("        %s (%s%s%s)%s%s\n", pspec->name, kind,
              def_text && *def_text ? ", default " : "", def_text && *def_text ? def_text : "",
              blurb && *blurb ? ": " : "", blurb && *blurb ? blurb : "");
    }
}

/**
 * smiley_command_plugins:
 *
 * `smiley plugins`: every implementation (kind, name, file, description)
 * on stdout, then every module that failed to load as "error: FILE:
 * REASON" on stderr. Succeeds if any plugin module loaded.
 */
int
smiley_command_plugins (SmileyCli *cli, int argc, char **argv, GError **error)
{
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GPtrArray) impls = NULL;
  g_autoptr (GPtrArray) failures = NULL;
  gboolean              properties = FALSE;
  SmileyPluginRegistry *registry;
  int                   name_width = 4, file_width = 4;
  guint                 from_modules = 0;

  context = smiley_cli_option_context (
      cli, NULL,
      "Lists the sources, sinks, stores and views smiley can use, and the\n"
      "plugin modules that could not be loaded. Plugins are read from\n"
      "$SMILEY_PLUGIN_PATH (colon-separated) and the plugin directory.");
  g_option_context_add_main_entries (
      context,
      (const GOptionEntry[]){ { "properties", 'p', 0, G_OPTION_ARG_NONE, &properties,
                                "Also list the settings (properties) each one takes, for --set and "
                                "the configuration file",
                                NULL },
                              G_OPTION_ENTRY_NULL },
      NULL);
  if (!smiley_cli_parse (cli, context, &argc, &argv, error))
    return -1;
  if (argc > 1)
    {
      g_set_error (error, SMILEY_CLI_ERROR, SMILEY_CLI_ERROR_USAGE, "unexpected argument '%s'",
                   argv[1]);
      return -1;
    }

  registry = smiley_cli_get_registry (cli);
  impls = smiley_plugin_registry_list (registry);
  failures = smiley_plugin_registry_list_failures (registry);

  for (guint i = 0; i < impls->len; i++)
    {
      const SmileyImplementation *impl = g_ptr_array_index (impls, i);

      name_width = MAX (name_width, (int)strlen (impl->name));
      file_width = MAX (file_width, (int)strlen (impl->file));
      if (impl->file[0] == '/')
        from_modules++;
    }

  printf ("%-6s  %-*s  %-*s  %s\n", "KIND", name_width, "NAME", file_width, "FILE", "DESCRIPTION");
  for (guint i = 0; i < impls->len; i++)
    {
      const SmileyImplementation *impl = g_ptr_array_index (impls, i);

      printf ("%-6s  %-*s  %-*s  %s\n", kind_of (impl->interface_type), name_width, impl->name,
              file_width, impl->file, impl->description);
      if (properties)
        print_properties (impl);
    }
  fflush (stdout);

  for (guint i = 0; i < failures->len; i++)
    {
      const SmileyPluginFailure *failure = g_ptr_array_index (failures, i);

      fprintf (stderr, "error: %s: %s\n", failure->file, failure->reason);
    }

  if (from_modules == 0)
    {
      g_set_error_literal (
          error, SMILEY_CLI_ERROR, SMILEY_CLI_ERROR_FAILED,
          "no plugin could be loaded (check $SMILEY_PLUGIN_PATH and the installation)");
      return -1;
    }
  return 0;
}
