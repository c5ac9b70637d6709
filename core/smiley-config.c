/* smiley-config.c
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include "smiley-config.h"

/* The configuration is a GKeyFile: [smiley] applies to every command, a
 * group named for a command overrides it for that command, and
 * command-line options override both (see SmileyPipeline for how the
 * layers combine). GKeyFile does not say where things are in the file,
 * so the file is also scanned here line by line: every message about a
 * setting names the file, the line and the key, which is what a user
 * needs to fix it. */

struct _SmileyConfig
{
  GObject parent_instance;

  char       *path;
  GKeyFile   *key_file;
  GHashTable *lines; /* "group\nkey" and "group" → line number */
};

G_DEFINE_FINAL_TYPE (SmileyConfig, smiley_config, G_TYPE_OBJECT)

/* clang-format off */
G_DEFINE_QUARK (smiley-config-error-quark, smiley_config_error)
/* clang-format on */

static const char *known_groups[] = {
  "smiley", "run",    "monitor", "record", "replay",  "list", "delete",
  "server", "report", "stats",   "export", "plugins", NULL,
};

static void
smiley_config_finalize (GObject *object)
{
  SmileyConfig *self = SMILEY_CONFIG (object);

  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->key_file, g_key_file_unref);
  g_clear_pointer (&self->lines, g_hash_table_unref);

  G_OBJECT_CLASS (smiley_config_parent_class)->finalize (object);
}

static void
smiley_config_class_init (SmileyConfigClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = smiley_config_finalize;
}

static void
smiley_config_init (SmileyConfig *self)
{
  self->lines = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

/**
 * smiley_config_new:
 *
 * Returns: (transfer full): an empty configuration (no settings)
 */
SmileyConfig *
smiley_config_new (void)
{
  return g_object_new (SMILEY_TYPE_CONFIG, NULL);
}

static gboolean
is_known_group (const char *group)
{
  for (guint i = 0; known_groups[i] != NULL; i++)
    if (g_str_equal (group, known_groups[i]))
      return TRUE;
  return FALSE;
}

/* Walks the file as GKeyFile reads it, noting the line of every group and
 * key, and reports the first line GKeyFile would refuse. */
static gboolean
scan_lines (SmileyConfig *self, const char *contents, GError **error)
{
  g_auto (GStrv) lines = g_strsplit (contents, "\n", -1);
  g_autofree char *group = NULL;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      guint lineno = i + 1;
      char *line = lines[i];
      char *eq;

      g_strchug (line);
      g_strchomp (line);

      if (*line == '\0' || *line == '#')
        continue;

      if (*line == '[')
        {
          size_t len = strlen (line);

          if (len < 3 || line[len - 1] != ']' || strpbrk (line + 1, "[") != NULL
              || memchr (line + 1, ']', len - 2) != NULL)
            {
              g_set_error (error, SMILEY_CONFIG_ERROR, SMILEY_CONFIG_ERROR_SYNTAX,
                           "%s:%u: syntax error: '%s' is not a group header like [run]", self->path,
                           lineno, line);
              return FALSE;
            }
          g_free (group);
          group = g_strndup (line + 1, len - 2);
          if (!is_known_group (group))
            {
              g_autofree char *known = g_strjoinv (", ", (char **)known_groups);

              g_set_error (error, SMILEY_CONFIG_ERROR, SMILEY_CONFIG_ERROR_GROUP,
                           "%s:%u: unknown group [%s] (known: %s)", self->path, lineno, group,
                           known);
              return FALSE;
            }
          g_hash_table_insert (self->lines, g_strdup (group), GUINT_TO_POINTER (lineno));
          continue;
        }

      eq = strchr (line, '=');
      if (eq == NULL || eq == line)
        {
          g_set_error (error, SMILEY_CONFIG_ERROR, SMILEY_CONFIG_ERROR_SYNTAX,
                       "%s:%u: syntax error: '%s' is not a 'key = value' line", self->path, lineno,
                       line);
          return FALSE;
        }
      if (group == NULL)
        {
          g_set_error (error, SMILEY_CONFIG_ERROR, SMILEY_CONFIG_ERROR_SYNTAX,
                       "%s:%u: syntax error: setting before the first group (start with [smiley])",
                       self->path, lineno);
          return FALSE;
        }

      *eq = '\0';
      g_strchomp (line);
      g_hash_table_insert (self->lines, g_strdup_printf ("%s\n%s", group, line),
                           GUINT_TO_POINTER (lineno));
    }

  return TRUE;
}

/* GKeyFile says what is wrong but not where: the first line at which a
 * growing prefix of the file stops parsing is where. Configuration files
 * are small, so trying every prefix is cheap. */
static guint
first_bad_line (const char *contents)
{
  g_autoptr (GString) prefix = g_string_new (NULL);
  g_auto (GStrv) lines = g_strsplit (contents, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr (GKeyFile) key_file = g_key_file_new ();

      g_string_append (prefix, lines[i]);
      g_string_append_c (prefix, '\n');
      if (!g_key_file_load_from_data (key_file, prefix->str, prefix->len, G_KEY_FILE_NONE, NULL))
        return i + 1;
    }
  return 0;
}

/**
 * smiley_config_load_file:
 * @self: a configuration
 * @path: the file to read
 * @error: return location for a #GError
 *
 * Reads the configuration from @path, which must exist (it was named on
 * the command line).
 *
 * Returns: %FALSE with %SMILEY_CONFIG_ERROR (or a #GFileError) naming the
 *   file and, for syntax errors and unknown groups, the line
 */
gboolean
smiley_config_load_file (SmileyConfig *self, const char *path, GError **error)
{
  g_autofree char *contents = NULL;
  g_autoptr (GError) local_error = NULL;
  gsize length;

  g_return_val_if_fail (SMILEY_IS_CONFIG (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  g_free (self->path);
  self->path = g_strdup (path);
  g_hash_table_remove_all (self->lines);
  g_clear_pointer (&self->key_file, g_key_file_unref);

  if (!g_file_get_contents (path, &contents, &length, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_set_error (error, SMILEY_CONFIG_ERROR, SMILEY_CONFIG_ERROR_NOT_FOUND,
                     "%s: no such configuration file", path);
      else
        g_set_error (error, SMILEY_CONFIG_ERROR, SMILEY_CONFIG_ERROR_NOT_FOUND,
                     "cannot read configuration: %s", local_error->message);
      return FALSE;
    }

  if (!g_utf8_validate (contents, length, NULL) || memchr (contents, '\0', length) != NULL)
    {
      g_set_error (error, SMILEY_CONFIG_ERROR, SMILEY_CONFIG_ERROR_SYNTAX,
                   "%s: not a configuration file (not UTF-8 text)", path);
      return FALSE;
    }

  if (!scan_lines (self, contents, error))
    return FALSE;

  self->key_file = g_key_file_new ();
  if (!g_key_file_load_from_data (self->key_file, contents, length, G_KEY_FILE_NONE, &local_error))
    {
      guint line = first_bad_line (contents);

      if (line > 0)
        g_set_error (error, SMILEY_CONFIG_ERROR, SMILEY_CONFIG_ERROR_SYNTAX,
                     "%s:%u: syntax error: %s", path, line, local_error->message);
      else
        g_set_error (error, SMILEY_CONFIG_ERROR, SMILEY_CONFIG_ERROR_SYNTAX, "%s: syntax error: %s",
                     path, local_error->message);
      g_clear_pointer (&self->key_file, g_key_file_unref);
      return FALSE;
    }

  /* Values are only unescaped when read: read them all now, so a bad
   * escape is reported here, with its line. */
  {
    g_auto (GStrv) groups = g_key_file_get_groups (self->key_file, NULL);

    for (guint i = 0; groups[i] != NULL; i++)
      {
        g_auto (GStrv) keys = g_key_file_get_keys (self->key_file, groups[i], NULL, NULL);

        for (guint j = 0; keys != NULL && keys[j] != NULL; j++)
          {
            g_autofree char *raw = NULL;
            g_autofree char *lookup = NULL;

            /* Only the error matters here (GKeyFile returns a value even
             * when it sets one). */
            g_free (g_key_file_get_string (self->key_file, groups[i], keys[j], &local_error));
            if (local_error == NULL)
              continue;
            raw = g_key_file_get_value (self->key_file, groups[i], keys[j], NULL);
            lookup = g_strdup_printf ("%s\n%s", groups[i], keys[j]);
            g_set_error (error, SMILEY_CONFIG_ERROR, SMILEY_CONFIG_ERROR_SYNTAX,
                         "%s:%u: [%s] %s: '%s' has an invalid escape sequence (write \\\\ for a "
                         "backslash)",
                         path, GPOINTER_TO_UINT (g_hash_table_lookup (self->lines, lookup)),
                         groups[i], keys[j], raw ? raw : "");
            g_clear_pointer (&self->key_file, g_key_file_unref);
            return FALSE;
          }
      }
  }

  return TRUE;
}

/**
 * smiley_config_load_default:
 * @self: a configuration
 * @error: return location for a #GError
 *
 * Reads `$XDG_CONFIG_HOME/smiley/smiley.conf` if it exists; a missing
 * file is an empty configuration.
 *
 * Returns: %FALSE if the file exists but is not valid
 */
gboolean
smiley_config_load_default (SmileyConfig *self, GError **error)
{
  g_autofree char *path = NULL;

  g_return_val_if_fail (SMILEY_IS_CONFIG (self), FALSE);

  path = g_build_filename (g_get_user_config_dir (), "smiley", "smiley.conf", NULL);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE;

  return smiley_config_load_file (self, path, error);
}

/**
 * smiley_config_get_path:
 * @self: a configuration
 *
 * Returns: (nullable): the file the configuration was read from
 */
const char *
smiley_config_get_path (SmileyConfig *self)
{
  g_return_val_if_fail (SMILEY_IS_CONFIG (self), NULL);

  return self->key_file != NULL ? self->path : NULL;
}

/* Groups that serve several commands with different objects. */
static const char *shared_command_groups[] = { "stats", NULL };

static void
apply_group (SmileyConfig *self, SmileyPipeline *pipeline, const char *group,
             SmileySettingLayer layer)
{
  gboolean lenient = g_strv_contains (shared_command_groups, group);

  g_auto (GStrv) keys = NULL;

  if (!g_key_file_has_group (self->key_file, group))
    return;

  keys = g_key_file_get_keys (self->key_file, group, NULL, NULL);
  for (guint i = 0; keys != NULL && keys[i] != NULL; i++)
    {
      g_autofree char *lookup = g_strdup_printf ("%s\n%s", group, keys[i]);
      guint            line = GPOINTER_TO_UINT (g_hash_table_lookup (self->lines, lookup));
      g_autofree char *value = g_key_file_get_string (self->key_file, group, keys[i], NULL);
      g_autofree char *origin = NULL;

      /* Every value was read once at load time: this cannot fail. */
      if (value == NULL)
        continue;

      origin = g_strdup_printf ("%s:%u: [%s] %s", self->path, line, group, keys[i]);
      if (lenient)
        smiley_pipeline_add_lenient (pipeline, layer, keys[i], value, origin);
      else
        smiley_pipeline_add_setting (pipeline, layer, keys[i], value, origin);
    }
}

/**
 * smiley_config_apply:
 * @self: a configuration
 * @pipeline: the pipeline of @command
 * @command: the command's name (`run`, `stats`, …)
 *
 * Adds the settings of the [smiley] group and of @command's group to
 * @pipeline, each named by file, line, group and key for messages.
 */
void
smiley_config_apply (SmileyConfig *self, SmileyPipeline *pipeline, const char *command)
{
  g_return_if_fail (SMILEY_IS_CONFIG (self));
  g_return_if_fail (SMILEY_IS_PIPELINE (pipeline));

  if (self->key_file == NULL)
    return;

  apply_group (self, pipeline, "smiley", SMILEY_SETTING_SHARED);
  if (command != NULL && !g_str_equal (command, "smiley"))
    apply_group (self, pipeline, command, SMILEY_SETTING_COMMAND);
}
