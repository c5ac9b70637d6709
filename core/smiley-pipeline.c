/* smiley-pipeline.c
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include <errno.h>
#include <stdlib.h>

#include "smiley-pipeline.h"

/* A command is a handful of objects (a source, a sink, a store, a view)
 * named by the user and configured by string settings that come from four
 * layers: built-in defaults, the configuration file's [smiley] group, its
 * command group, and command-line options. Every setting is either one of
 * the reserved keys that choose the objects (source, sink, store, database,
 * socket) or the name of a GObject property of one of them.
 *
 * Objects are created with all their properties at once
 * (g_object_new_with_properties), so construct-only properties work too,
 * and initialised (GInitable) before anything runs, so that a bad database
 * or a missing listener fails before a traced program starts. */

typedef struct
{
  SmileySettingLayer layer;
  guint              seq;
  char              *key;
  char              *value;    /* NULL when values is set */
  GStrv              values;   /* repeatable options */
  char              *origin;   /* prefix for messages, naming the key */
  gboolean           optional; /* no error if no object has the property */
  gboolean           lenient;  /* no error if some plugin has the property */
} Setting;

struct _SmileyPipeline
{
  GObject parent_instance;

  SmileyPluginRegistry *registry;
  GPtrArray            *settings; /* Setting* */
  guint                 next_seq;

  gboolean has_role[SMILEY_PIPELINE_N_ROLES];
  char    *name[SMILEY_PIPELINE_N_ROLES];
  GObject *object[SMILEY_PIPELINE_N_ROLES];
  gboolean sink_is_store;
  gboolean built;

  /* Per role, the values the configuration file gave its object: an
   * object's GInitable error knows nothing of files and lines, so the
   * pipeline names the setting whose value the error quotes. */
  GPtrArray *attributions[SMILEY_PIPELINE_N_ROLES]; /* Attribution* */
};

typedef struct
{
  char *value;
  char *origin;
} Attribution;

static void
attribution_free (Attribution *a)
{
  g_free (a->value);
  g_free (a->origin);
  g_free (a);
}

G_DEFINE_FINAL_TYPE (SmileyPipeline, smiley_pipeline, G_TYPE_OBJECT)

static const char *role_names[SMILEY_PIPELINE_N_ROLES] = { "source", "sink", "store", "view" };

static GType
role_interface (SmileyPipelineRole role)
{
  switch (role)
    {
    case SMILEY_PIPELINE_SOURCE:
      return SMILEY_TYPE_SOURCE;
    case SMILEY_PIPELINE_SINK:
      return SMILEY_TYPE_SINK;
    case SMILEY_PIPELINE_STORE:
      return SMILEY_TYPE_STORE;
    case SMILEY_PIPELINE_VIEW:
    case SMILEY_PIPELINE_N_ROLES:
    default:
      return SMILEY_TYPE_VIEW;
    }
}

static void
setting_free (Setting *setting)
{
  g_free (setting->key);
  g_free (setting->value);
  g_strfreev (setting->values);
  g_free (setting->origin);
  g_free (setting);
}

static void
smiley_pipeline_finalize (GObject *object)
{
  SmileyPipeline *self = SMILEY_PIPELINE (object);

  for (guint i = 0; i < SMILEY_PIPELINE_N_ROLES; i++)
    {
      g_clear_pointer (&self->name[i], g_free);
      g_clear_object (&self->object[i]);
      g_clear_pointer (&self->attributions[i], g_ptr_array_unref);
    }
  g_clear_pointer (&self->settings, g_ptr_array_unref);
  g_clear_object (&self->registry);

  G_OBJECT_CLASS (smiley_pipeline_parent_class)->finalize (object);
}

static void
smiley_pipeline_class_init (SmileyPipelineClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = smiley_pipeline_finalize;
}

static void
smiley_pipeline_init (SmileyPipeline *self)
{
  self->settings = g_ptr_array_new_with_free_func ((GDestroyNotify)setting_free);
}

/**
 * smiley_pipeline_new:
 * @registry: where implementations are looked up by name
 *
 * Returns: (transfer full): an empty pipeline; declare its roles with
 *   smiley_pipeline_set_role()
 */
SmileyPipeline *
smiley_pipeline_new (SmileyPluginRegistry *registry)
{
  SmileyPipeline *self;

  g_return_val_if_fail (SMILEY_IS_PLUGIN_REGISTRY (registry), NULL);

  self = g_object_new (SMILEY_TYPE_PIPELINE, NULL);
  self->registry = g_object_ref (registry);
  return self;
}

/**
 * smiley_pipeline_set_role:
 * @self: a pipeline
 * @role: a role the command needs
 * @default_name: (nullable): the implementation used unless a setting
 *   names another (for the store: a URI such as `sqlite:smiley.db`; for
 *   the sink: %SMILEY_PIPELINE_STORE_SINK means the store)
 *
 * Declares that the command has an object in @role.
 */
void
smiley_pipeline_set_role (SmileyPipeline *self, SmileyPipelineRole role, const char *default_name)
{
  g_return_if_fail (SMILEY_IS_PIPELINE (self));
  g_return_if_fail (role < SMILEY_PIPELINE_N_ROLES);

  self->has_role[role] = TRUE;
  g_free (self->name[role]);
  self->name[role] = g_strdup (default_name);
}

static Setting *
add_setting (SmileyPipeline *self, SmileySettingLayer layer, const char *key, const char *origin)
{
  Setting *setting = g_new0 (Setting, 1);

  setting->layer = layer;
  setting->seq = self->next_seq++;
  setting->key = g_strdup (key);
  setting->origin = g_strdup (origin ? origin : key);
  g_ptr_array_add (self->settings, setting);
  return setting;
}

/**
 * smiley_pipeline_add_setting:
 * @self: a pipeline
 * @layer: where the setting comes from
 * @key: a reserved key (source, sink, store, database, socket) or a
 *   property name of one of the pipeline's objects
 * @value: its value, as text
 * @origin: (nullable): how error messages name the setting, e.g.
 *   `smiley.conf:7: [run] sink` or `--sink`; @key when %NULL
 *
 * Adds a setting. Of several settings of one key, the one of the latest
 * layer wins, and within a layer the last one added. A property setting
 * of the command's layers that no object of the pipeline has is an error
 * at smiley_pipeline_build(); one of the [smiley] layer only needs some
 * plugin to have it (the group applies to all commands).
 */
void
smiley_pipeline_add_setting (SmileyPipeline *self, SmileySettingLayer layer, const char *key,
                             const char *value, const char *origin)
{
  Setting *setting;

  g_return_if_fail (SMILEY_IS_PIPELINE (self));
  g_return_if_fail (key != NULL);
  g_return_if_fail (value != NULL);

  setting = add_setting (self, layer, key, origin);
  setting->value = g_strdup (value);
}

/**
 * smiley_pipeline_add_strv:
 * @self: a pipeline
 * @layer: where the setting comes from
 * @key: a property name
 * @values: the values of a repeatable option
 * @origin: (nullable): how error messages name the setting
 *
 * Like smiley_pipeline_add_setting() for a string-list property.
 */
void
smiley_pipeline_add_strv (SmileyPipeline *self, SmileySettingLayer layer, const char *key,
                          const char *const *values, const char *origin)
{
  Setting *setting;

  g_return_if_fail (SMILEY_IS_PIPELINE (self));
  g_return_if_fail (key != NULL);

  setting = add_setting (self, layer, key, origin);
  setting->values = g_strdupv ((char **)(values ? values : (const char *const[]){ NULL }));
}

/**
 * smiley_pipeline_add_lenient:
 * @self: a pipeline
 * @layer: where the setting comes from
 * @key: a property name
 * @value: its value, as text
 * @origin: (nullable): how error messages name the setting
 *
 * Like smiley_pipeline_add_setting(), for a setting that is shared by
 * commands with different objects (the [stats] group serves `stats show`,
 * `stats export` and `stats graph`): unused when no object of this
 * pipeline has the property, but still an error when no plugin at all has
 * it, so that a typo is caught.
 */
void
smiley_pipeline_add_lenient (SmileyPipeline *self, SmileySettingLayer layer, const char *key,
                             const char *value, const char *origin)
{
  Setting *setting;

  g_return_if_fail (SMILEY_IS_PIPELINE (self));
  g_return_if_fail (key != NULL);
  g_return_if_fail (value != NULL);

  setting = add_setting (self, layer, key, origin);
  setting->value = g_strdup (value);
  setting->lenient = TRUE;
}

/**
 * smiley_pipeline_add_optional:
 * @self: a pipeline
 * @layer: where the setting comes from
 * @key: a property name
 * @value: its value, as text
 * @origin: (nullable): how error messages name the setting
 *
 * Like smiley_pipeline_add_setting(), but silently unused when no object
 * of the pipeline has the property (`--color` when the sink is not the
 * console).
 */
void
smiley_pipeline_add_optional (SmileyPipeline *self, SmileySettingLayer layer, const char *key,
                              const char *value, const char *origin)
{
  Setting *setting;

  g_return_if_fail (SMILEY_IS_PIPELINE (self));
  g_return_if_fail (key != NULL);
  g_return_if_fail (value != NULL);

  setting = add_setting (self, layer, key, origin);
  setting->value = g_strdup (value);
  setting->optional = TRUE;
}

static gboolean
setting_wins_over (const Setting *a, const Setting *b)
{
  if (a->layer != b->layer)
    return a->layer > b->layer;
  return a->seq > b->seq;
}

/* The winning setting of every key, in order of first appearance. */
static GPtrArray *
winning_settings (SmileyPipeline *self)
{
  g_autoptr (GHashTable) by_key = g_hash_table_new (g_str_hash, g_str_equal);
  GPtrArray *winners = g_ptr_array_new ();

  for (guint i = 0; i < self->settings->len; i++)
    {
      Setting    *setting = g_ptr_array_index (self->settings, i);
      const char *key = setting->key;
      Setting    *current;

      /* `socket` is the endpoint of whichever object has one. */
      if (g_str_equal (key, "socket"))
        key = "endpoint";

      current = g_hash_table_lookup (by_key, key);
      if (current == NULL)
        {
          g_hash_table_insert (by_key, (gpointer)key, setting);
          g_ptr_array_add (winners, setting);
        }
      else if (setting_wins_over (setting, current))
        {
          g_hash_table_insert (by_key, (gpointer)key, setting);
          for (guint j = 0; j < winners->len; j++)
            if (winners->pdata[j] == current)
              winners->pdata[j] = setting;
        }
    }

  return winners;
}

/**
 * smiley_store_uri_parse:
 * @uri: a store URI such as `sqlite:smiley.db` or `file:runs`
 * @scheme: (out): the store plugin's name
 * @location: (out): its "location" property
 * @error: return location for a #GError
 *
 * Returns: %FALSE with %SMILEY_PLUGIN_ERROR_PROPERTY if @uri has no scheme
 *   or no location
 */
gboolean
smiley_store_uri_parse (const char *uri, char **scheme, char **location, GError **error)
{
  const char *colon;

  g_return_val_if_fail (uri != NULL, FALSE);

  colon = strchr (uri, ':');
  if (colon == NULL || colon == uri || colon[1] == '\0')
    {
      g_set_error (error, SMILEY_PLUGIN_ERROR, SMILEY_PLUGIN_ERROR_PROPERTY,
                   "'%s' is not a store URI (expected sqlite:PATH or file:DIR)", uri);
      return FALSE;
    }

  *scheme = g_strndup (uri, colon - uri);
  *location = g_strdup (colon + 1);
  return TRUE;
}

static gboolean
parse_boolean (const char *text, gboolean *out)
{
  static const char *truths[] = { "true", "yes", "1", "on" };
  static const char *falsehoods[] = { "false", "no", "0", "off" };

  for (guint i = 0; i < G_N_ELEMENTS (truths); i++)
    if (g_ascii_strcasecmp (text, truths[i]) == 0)
      {
        *out = TRUE;
        return TRUE;
      }
  for (guint i = 0; i < G_N_ELEMENTS (falsehoods); i++)
    if (g_ascii_strcasecmp (text, falsehoods[i]) == 0)
      {
        *out = FALSE;
        return TRUE;
      }
  return FALSE;
}

/**
 * smiley_value_from_string:
 * @pspec: the property to set
 * @text: the value a user wrote
 * @value: (out caller-allocates): an unset #GValue, initialised here to
 *   the property's type
 * @error: return location for a #GError
 *
 * Converts a setting to a property value: booleans accept
 * true/false/yes/no/on/off/1/0, numbers must be whole and in the
 * property's range, enumerations take their nick, string lists are
 * separated by commas or semicolons.
 *
 * Returns: %FALSE with %SMILEY_PLUGIN_ERROR_PROPERTY saying what is
 *   expected
 */
gboolean
smiley_value_from_string (GParamSpec *pspec, const char *text, GValue *value, GError **error)
{
  GType            type = G_PARAM_SPEC_VALUE_TYPE (pspec);
  GType            fundamental = G_TYPE_FUNDAMENTAL (type);
  g_autofree char *stripped = g_strstrip (g_strdup (text));

  g_value_init (value, type);

  if (type == G_TYPE_STRING)
    {
      g_value_set_string (value, text);
      return TRUE;
    }

  if (type == G_TYPE_STRV)
    {
      g_auto (GStrv) parts = g_strsplit_set (text, ",;", -1);
      g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();

      for (guint i = 0; parts[i] != NULL; i++)
        {
          g_strstrip (parts[i]);
          if (*parts[i] != '\0')
            g_strv_builder_add (builder, parts[i]);
        }
      g_value_take_boxed (value, g_strv_builder_end (builder));
      return TRUE;
    }

  if (fundamental == G_TYPE_BOOLEAN)
    {
      gboolean b;

      if (!parse_boolean (stripped, &b))
        {
          g_set_error (error, SMILEY_PLUGIN_ERROR, SMILEY_PLUGIN_ERROR_PROPERTY,
                       "'%s' is not a boolean (use true/false, yes/no or 1/0)", text);
          g_value_unset (value);
          return FALSE;
        }
      g_value_set_boolean (value, b);
      return TRUE;
    }

  if (fundamental == G_TYPE_INT || fundamental == G_TYPE_LONG || fundamental == G_TYPE_INT64)
    {
      gint64 n, min, max;

      if (fundamental == G_TYPE_INT)
        min = G_PARAM_SPEC_INT (pspec)->minimum, max = G_PARAM_SPEC_INT (pspec)->maximum;
      else if (fundamental == G_TYPE_LONG)
        min = G_PARAM_SPEC_LONG (pspec)->minimum, max = G_PARAM_SPEC_LONG (pspec)->maximum;
      else
        min = G_PARAM_SPEC_INT64 (pspec)->minimum, max = G_PARAM_SPEC_INT64 (pspec)->maximum;

      if (!g_ascii_string_to_signed (stripped, 10, min, max, &n, NULL))
        {
          g_set_error (error, SMILEY_PLUGIN_ERROR, SMILEY_PLUGIN_ERROR_PROPERTY,
                       "'%s' is not a whole number between %" G_GINT64_FORMAT
                       " and %" G_GINT64_FORMAT,
                       text, min, max);
          g_value_unset (value);
          return FALSE;
        }
      if (fundamental == G_TYPE_INT)
        g_value_set_int (value, (int)n);
      else if (fundamental == G_TYPE_LONG)
        g_value_set_long (value, (long)n);
      else
        g_value_set_int64 (value, n);
      return TRUE;
    }

  if (fundamental == G_TYPE_UINT || fundamental == G_TYPE_ULONG || fundamental == G_TYPE_UINT64)
    {
      guint64 n, min, max;

      if (fundamental == G_TYPE_UINT)
        min = G_PARAM_SPEC_UINT (pspec)->minimum, max = G_PARAM_SPEC_UINT (pspec)->maximum;
      else if (fundamental == G_TYPE_ULONG)
        min = G_PARAM_SPEC_ULONG (pspec)->minimum, max = G_PARAM_SPEC_ULONG (pspec)->maximum;
      else
        min = G_PARAM_SPEC_UINT64 (pspec)->minimum, max = G_PARAM_SPEC_UINT64 (pspec)->maximum;

      if (!g_ascii_string_to_unsigned (stripped, 10, min, max, &n, NULL))
        {
          g_set_error (error, SMILEY_PLUGIN_ERROR, SMILEY_PLUGIN_ERROR_PROPERTY,
                       "'%s' is not a whole number between %" G_GUINT64_FORMAT
                       " and %" G_GUINT64_FORMAT,
                       text, min, max);
          g_value_unset (value);
          return FALSE;
        }
      if (fundamental == G_TYPE_UINT)
        g_value_set_uint (value, (guint)n);
      else if (fundamental == G_TYPE_ULONG)
        g_value_set_ulong (value, (gulong)n);
      else
        g_value_set_uint64 (value, n);
      return TRUE;
    }

  if (fundamental == G_TYPE_DOUBLE || fundamental == G_TYPE_FLOAT)
    {
      char  *end = NULL;
      double d, min, max;

      if (fundamental == G_TYPE_DOUBLE)
        min = G_PARAM_SPEC_DOUBLE (pspec)->minimum, max = G_PARAM_SPEC_DOUBLE (pspec)->maximum;
      else
        min = G_PARAM_SPEC_FLOAT (pspec)->minimum, max = G_PARAM_SPEC_FLOAT (pspec)->maximum;

      errno = 0;
      d = g_ascii_strtod (stripped, &end);
      if (*stripped == '\0' || end == NULL || *end != '\0' || errno != 0 || d < min || d > max)
        {
          g_set_error (error, SMILEY_PLUGIN_ERROR, SMILEY_PLUGIN_ERROR_PROPERTY,
                       "'%s' is not a number between %g and %g", text, min, max);
          g_value_unset (value);
          return FALSE;
        }
      if (fundamental == G_TYPE_DOUBLE)
        g_value_set_double (value, d);
      else
        g_value_set_float (value, (float)d);
      return TRUE;
    }

  if (fundamental == G_TYPE_ENUM)
    {
      g_autoptr (GEnumClass) klass = g_type_class_ref (type);
      GEnumValue *ev = g_enum_get_value_by_nick (klass, stripped);
      g_autoptr (GString) nicks = g_string_new (NULL);

      if (ev == NULL)
        ev = g_enum_get_value_by_name (klass, stripped);
      if (ev != NULL)
        {
          g_value_set_enum (value, ev->value);
          return TRUE;
        }
      for (guint i = 0; i < klass->n_values; i++)
        g_string_append_printf (nicks, "%s%s", i > 0 ? ", " : "", klass->values[i].value_nick);
      g_set_error (error, SMILEY_PLUGIN_ERROR, SMILEY_PLUGIN_ERROR_PROPERTY,
                   "'%s' is not one of %s", text, nicks->str);
      g_value_unset (value);
      return FALSE;
    }

  g_set_error (error, SMILEY_PLUGIN_ERROR, SMILEY_PLUGIN_ERROR_PROPERTY,
               "property of type %s cannot be set from text", g_type_name (type));
  g_value_unset (value);
  return FALSE;
}

/* Whether any registered implementation has a property named @key: the
 * test for settings of the [smiley] group, which applies to every command
 * and so may name properties of objects this command does not have. */
static gboolean
any_implementation_has_property (SmileyPipeline *self, const char *key)
{
  g_autoptr (GPtrArray) impls = smiley_plugin_registry_list (self->registry);

  if (g_str_equal (key, "location"))
    return TRUE;

  for (guint i = 0; i < impls->len; i++)
    {
      const SmileyImplementation *impl = g_ptr_array_index (impls, i);
      g_autoptr (GTypeClass) klass = g_type_class_ref (impl->type);

      if (g_object_class_find_property (G_OBJECT_CLASS (klass), key) != NULL)
        return TRUE;
    }
  return FALSE;
}

typedef struct
{
  GPtrArray *names;  /* const char*, owned by the pspecs */
  GArray    *values; /* GValue */
} PropertyList;

static void
property_list_clear (PropertyList *list)
{
  g_clear_pointer (&list->names, g_ptr_array_unref);
  g_clear_pointer (&list->values, g_array_unref);
}

static gboolean
is_reserved_key (const char *key)
{
  return g_str_equal (key, "source") || g_str_equal (key, "sink") || g_str_equal (key, "store")
         || g_str_equal (key, "database");
}

static void
prefix_error (GError **error, const char *origin)
{
  if (error != NULL && *error != NULL)
    g_prefix_error (error, "%s: ", origin);
}

static char *
known_sinks_with_store (SmileyPipeline *self)
{
  g_autoptr (GPtrArray) impls = smiley_plugin_registry_list (self->registry);
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  g_autoptr (GString) text = g_string_new (NULL);

  g_ptr_array_add (names, (gpointer)SMILEY_PIPELINE_STORE_SINK);
  for (guint i = 0; i < impls->len; i++)
    {
      const SmileyImplementation *impl = g_ptr_array_index (impls, i);

      if (impl->interface_type == SMILEY_TYPE_SINK)
        g_ptr_array_add (names, impl->name);
    }
  for (guint i = 0; i < names->len; i++)
    {
      guint smallest = i;

      /* Few names: a selection sort keeps this free of callbacks. */
      for (guint j = i + 1; j < names->len; j++)
        if (g_strcmp0 (names->pdata[j], names->pdata[smallest]) < 0)
          smallest = j;
      if (smallest != i)
        {
          gpointer tmp = names->pdata[i];
          names->pdata[i] = names->pdata[smallest];
          names->pdata[smallest] = tmp;
        }
      g_string_append_printf (text, "%s%s", i > 0 ? ", " : "", (const char *)names->pdata[i]);
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static gboolean
from_config_file (const Setting *s)
{
  return s->layer == SMILEY_SETTING_SHARED || s->layer == SMILEY_SETTING_COMMAND;
}

static void
attribute (SmileyPipeline *self, SmileyPipelineRole role, const char *value, const char *origin)
{
  Attribution *a;

  /* Too short a value would be found in unrelated messages. */
  if (value == NULL || strlen (value) < 2)
    return;
  if (self->attributions[role] == NULL)
    self->attributions[role] = g_ptr_array_new_with_free_func ((GDestroyNotify)attribution_free);
  a = g_new0 (Attribution, 1);
  a->value = g_strdup (value);
  a->origin = g_strdup (origin);
  g_ptr_array_add (self->attributions[role], a);
}

/* Whether @message quotes @value as a whole word (not inside a longer
 * name or number). */
static gboolean
message_quotes (const char *message, const char *value)
{
  gsize len = strlen (value);

  for (const char *p = strstr (message, value); p != NULL; p = strstr (p + 1, value))
    {
      gboolean starts = p == message || !(g_ascii_isalnum (p[-1]) || p[-1] == '_');
      gboolean ends = !(g_ascii_isalnum (p[len]) || p[len] == '_');

      if (starts && ends)
        return TRUE;
    }
  return FALSE;
}

/**
 * smiley_pipeline_attribute_error:
 * @self: a built pipeline
 * @role: the role whose object failed
 * @error: the object's error, or %NULL
 *
 * Prefixes @error with the file, line, group and key of the
 * configuration-file setting whose value it quotes, if there is one (the
 * longest such value wins). Errors about command-line options are left
 * alone: the user just typed them.
 */
void
smiley_pipeline_attribute_error (SmileyPipeline *self, SmileyPipelineRole role, GError *error)
{
  const Attribution *best = NULL;

  g_return_if_fail (SMILEY_IS_PIPELINE (self));
  g_return_if_fail (role < SMILEY_PIPELINE_N_ROLES);

  if (error == NULL || self->attributions[role] == NULL)
    return;
  for (guint i = 0; i < self->attributions[role]->len; i++)
    {
      const Attribution *a = g_ptr_array_index (self->attributions[role], i);

      if (message_quotes (error->message, a->value)
          && (best == NULL || strlen (a->value) > strlen (best->value)))
        best = a;
    }
  if (best != NULL && !g_str_has_prefix (error->message, best->origin))
    g_prefix_error (&error, "%s: ", best->origin);
}

/**
 * smiley_pipeline_build:
 * @self: a pipeline
 * @error: return location for a #GError
 *
 * Chooses the implementation of every role (defaults overridden by the
 * reserved settings), converts every other setting to a property value
 * of the objects that have such a property, and creates the objects.
 * Nothing is opened yet: see smiley_pipeline_initialize().
 *
 * Returns: %FALSE with an error naming the offending setting (its file,
 *   line and key when it came from a configuration file)
 */
gboolean
smiley_pipeline_build (SmileyPipeline *self, GError **error)
{
  g_autoptr (GPtrArray) winners = NULL;
  const Setting *name_setting[SMILEY_PIPELINE_N_ROLES] = {
    NULL,
  };
  const SmileyImplementation *impl[SMILEY_PIPELINE_N_ROLES] = {
    NULL,
  };
  GTypeClass *klass[SMILEY_PIPELINE_N_ROLES] = {
    NULL,
  };
  PropertyList     props[SMILEY_PIPELINE_N_ROLES];
  g_autofree char *store_location = NULL;
  gboolean         ok = FALSE;

  g_return_val_if_fail (SMILEY_IS_PIPELINE (self), FALSE);
  g_return_val_if_fail (!self->built, FALSE);

  for (guint r = 0; r < SMILEY_PIPELINE_N_ROLES; r++)
    {
      props[r].names = g_ptr_array_new ();
      props[r].values = g_array_new (FALSE, TRUE, sizeof (GValue));
      g_array_set_clear_func (props[r].values, (GDestroyNotify)g_value_unset);
    }

  winners = winning_settings (self);

  /* 1. The reserved keys choose the objects. `store` and `database` are
   * one setting written two ways: the later layer wins. */
  {
    const Setting *store_setting = NULL;

    for (guint i = 0; i < winners->len; i++)
      {
        const Setting *s = g_ptr_array_index (winners, i);

        if (s->value == NULL)
          continue;
        if (g_str_equal (s->key, "source"))
          name_setting[SMILEY_PIPELINE_SOURCE] = s;
        else if (g_str_equal (s->key, "sink"))
          name_setting[SMILEY_PIPELINE_SINK] = s;
        else if (g_str_equal (s->key, "store") || g_str_equal (s->key, "database"))
          {
            /* Both in one layer: neither is plainly the user's choice. */
            if (store_setting != NULL && store_setting->layer == s->layer
                && s->layer != SMILEY_SETTING_DEFAULT)
              {
                g_set_error (error, SMILEY_PLUGIN_ERROR, SMILEY_PLUGIN_ERROR_PROPERTY,
                             "%s and %s both choose the store: keep only one",
                             store_setting->seq < s->seq ? store_setting->origin : s->origin,
                             store_setting->seq < s->seq ? s->origin : store_setting->origin);
                goto out;
              }
            if (store_setting == NULL || setting_wins_over (s, store_setting))
              store_setting = s;
          }
      }
    name_setting[SMILEY_PIPELINE_STORE] = store_setting;
  }

  if (self->has_role[SMILEY_PIPELINE_SINK] && name_setting[SMILEY_PIPELINE_SINK] != NULL)
    {
      g_free (self->name[SMILEY_PIPELINE_SINK]);
      self->name[SMILEY_PIPELINE_SINK] = g_strdup (name_setting[SMILEY_PIPELINE_SINK]->value);
    }

  /* The sink "store" brings the store in, before its name is chosen. */
  if (self->has_role[SMILEY_PIPELINE_SINK]
      && g_strcmp0 (self->name[SMILEY_PIPELINE_SINK], SMILEY_PIPELINE_STORE_SINK) == 0)
    {
      self->sink_is_store = TRUE;
      if (!self->has_role[SMILEY_PIPELINE_STORE])
        smiley_pipeline_set_role (self, SMILEY_PIPELINE_STORE, "sqlite:smiley.db");
    }

  for (guint r = 0; r < SMILEY_PIPELINE_N_ROLES; r++)
    {
      const Setting *s = name_setting[r];

      if (s == NULL || !self->has_role[r] || r == SMILEY_PIPELINE_SINK)
        continue;
      g_free (self->name[r]);
      if (r == SMILEY_PIPELINE_STORE && g_str_equal (s->key, "database"))
        self->name[r] = g_strconcat ("sqlite:", s->value, NULL);
      else
        self->name[r] = g_strdup (s->value);
    }

  /* 2. Look the implementations up; the view first, since a view that is
   * not built is the most telling thing to report. */
  for (guint k = 0; k < SMILEY_PIPELINE_N_ROLES; k++)
    {
      guint            r = (k + SMILEY_PIPELINE_VIEW) % SMILEY_PIPELINE_N_ROLES;
      g_autofree char *plugin_name = NULL;
      const char      *origin = name_setting[r] ? name_setting[r]->origin : role_names[r];

      if (!self->has_role[r] || (r == SMILEY_PIPELINE_SINK && self->sink_is_store))
        continue;

      if (self->name[r] == NULL)
        {
          g_set_error (error, SMILEY_PLUGIN_ERROR, SMILEY_PLUGIN_ERROR_NOT_FOUND, "no %s given",
                       role_names[r]);
          goto out;
        }

      if (r == SMILEY_PIPELINE_STORE)
        {
          if (!smiley_store_uri_parse (self->name[r], &plugin_name, &store_location, error))
            {
              prefix_error (error, origin);
              goto out;
            }
        }
      else
        plugin_name = g_strdup (self->name[r]);

      impl[r] = smiley_plugin_registry_lookup (self->registry, role_interface (r), plugin_name);
      if (impl[r] == NULL)
        {
          g_autoptr (GError) local_error = NULL;
          g_autoptr (GObject) unexpected = NULL;

          if (r == SMILEY_PIPELINE_SINK)
            {
              g_autofree char *known = known_sinks_with_store (self);

              /* A name the project ships but this build lacks keeps the
               * registry's "not built" message. */
              unexpected = smiley_plugin_registry_create (self->registry, SMILEY_TYPE_SINK,
                                                          plugin_name, &local_error);
              if (local_error != NULL && local_error->code == SMILEY_PLUGIN_ERROR_NOT_FOUND)
                {
                  g_clear_error (&local_error);
                  g_set_error (&local_error, SMILEY_PLUGIN_ERROR, SMILEY_PLUGIN_ERROR_NOT_FOUND,
                               "no sink plugin named '%s' (known: %s)", plugin_name, known);
                }
            }
          else
            unexpected = smiley_plugin_registry_create (self->registry, role_interface (r),
                                                        plugin_name, &local_error);

          g_assert (unexpected == NULL && local_error != NULL);
          /* A default the user never wrote needs no origin. */
          if (name_setting[r] != NULL)
            g_prefix_error (&local_error, "%s: ", origin);
          g_propagate_error (error, g_steal_pointer (&local_error));
          goto out;
        }
      klass[r] = g_type_class_ref (impl[r]->type);
    }

  if (store_location != NULL)
    {
      GParamSpec *pspec = g_object_class_find_property (
          G_OBJECT_CLASS (klass[SMILEY_PIPELINE_STORE]), "location");
      GValue v = G_VALUE_INIT;

      if (pspec == NULL)
        {
          g_set_error (error, SMILEY_PLUGIN_ERROR, SMILEY_PLUGIN_ERROR_PROPERTY,
                       "store plugin '%s' has no 'location' property",
                       impl[SMILEY_PIPELINE_STORE]->name);
          goto out;
        }
      if (name_setting[SMILEY_PIPELINE_STORE] != NULL
          && from_config_file (name_setting[SMILEY_PIPELINE_STORE]))
        attribute (self, SMILEY_PIPELINE_STORE, store_location,
                   name_setting[SMILEY_PIPELINE_STORE]->origin);
      g_value_init (&v, G_TYPE_STRING);
      g_value_set_string (&v, store_location);
      g_ptr_array_add (props[SMILEY_PIPELINE_STORE].names, (gpointer)pspec->name);
      g_array_append_val (props[SMILEY_PIPELINE_STORE].values, v);
    }

  /* 3. Every other setting is a property of whichever objects have it. */
  for (guint i = 0; i < winners->len; i++)
    {
      const Setting *s = g_ptr_array_index (winners, i);
      const char    *key = g_str_equal (s->key, "socket") ? "endpoint" : s->key;
      gboolean       found = FALSE;

      if (is_reserved_key (s->key))
        continue;

      for (guint r = 0; r < SMILEY_PIPELINE_N_ROLES; r++)
        {
          GParamSpec *pspec;
          GValue      v = G_VALUE_INIT;

          if (klass[r] == NULL)
            continue;
          pspec = g_object_class_find_property (G_OBJECT_CLASS (klass[r]), key);
          if (pspec == NULL)
            continue;
          found = TRUE;

          if ((pspec->flags & G_PARAM_WRITABLE) == 0)
            {
              g_set_error (error, SMILEY_PLUGIN_ERROR, SMILEY_PLUGIN_ERROR_PROPERTY,
                           "%s: property '%s' of %s '%s' is read-only", s->origin, key,
                           role_names[r], impl[r]->name);
              goto out;
            }

          if (s->values != NULL)
            {
              if (G_PARAM_SPEC_VALUE_TYPE (pspec) != G_TYPE_STRV)
                {
                  g_set_error (error, SMILEY_PLUGIN_ERROR, SMILEY_PLUGIN_ERROR_PROPERTY,
                               "%s: property '%s' of %s '%s' takes one value, not a list",
                               s->origin, key, role_names[r], impl[r]->name);
                  goto out;
                }
              g_value_init (&v, G_TYPE_STRV);
              g_value_set_boxed (&v, s->values);
            }
          else if (!smiley_value_from_string (pspec, s->value, &v, error))
            {
              prefix_error (error, s->origin);
              goto out;
            }

          g_ptr_array_add (props[r].names, (gpointer)pspec->name);
          g_array_append_val (props[r].values, v);
          if (from_config_file (s))
            {
              if (s->value != NULL)
                attribute (self, r, s->value, s->origin);
              for (guint j = 0; s->values != NULL && s->values[j] != NULL; j++)
                attribute (self, r, s->values[j], s->origin);
            }
        }

      if (found || s->optional || s->layer == SMILEY_SETTING_DEFAULT)
        continue;
      /* `socket` only matters to commands that talk over a socket. */
      if (g_str_equal (s->key, "socket"))
        continue;
      if ((s->layer == SMILEY_SETTING_SHARED || s->lenient)
          && any_implementation_has_property (self, key))
        continue;

      {
        g_autoptr (GString) objects = g_string_new (NULL);

        for (guint r = 0; r < SMILEY_PIPELINE_N_ROLES; r++)
          if (impl[r] != NULL)
            g_string_append_printf (objects, "%s%s '%s'", objects->len > 0 ? ", " : "",
                                    role_names[r], impl[r]->name);
        g_set_error (error, SMILEY_PLUGIN_ERROR, SMILEY_PLUGIN_ERROR_PROPERTY,
                     "%s: unknown setting '%s' (not a property of %s)", s->origin, key,
                     objects->len > 0 ? objects->str : "any object of this command");
        goto out;
      }
    }

  /* 4. Create the objects with their properties. */
  for (guint r = 0; r < SMILEY_PIPELINE_N_ROLES; r++)
    {
      if (impl[r] == NULL)
        continue;
      self->object[r] = g_object_new_with_properties (
          impl[r]->type, props[r].names->len, (const char **)props[r].names->pdata,
          (const GValue *)(gpointer)props[r].values->data);
    }
  if (self->sink_is_store)
    self->object[SMILEY_PIPELINE_SINK] = g_object_ref (self->object[SMILEY_PIPELINE_STORE]);

  self->built = TRUE;
  ok = TRUE;

out:
  for (guint r = 0; r < SMILEY_PIPELINE_N_ROLES; r++)
    {
      property_list_clear (&props[r]);
      g_clear_pointer (&klass[r], g_type_class_unref);
    }
  return ok;
}

/**
 * smiley_pipeline_initialize:
 * @self: a built pipeline
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Initialises every object that implements #GInitable, the store first,
 * then the sink, the source and the view: a database that cannot be
 * opened or a listener that is not there fails here, before anything runs.
 *
 * Returns: %FALSE with the first object's error
 */
gboolean
smiley_pipeline_initialize (SmileyPipeline *self, GCancellable *cancellable, GError **error)
{
  static const SmileyPipelineRole order[] = {
    SMILEY_PIPELINE_STORE,
    SMILEY_PIPELINE_SINK,
    SMILEY_PIPELINE_SOURCE,
    SMILEY_PIPELINE_VIEW,
  };

  g_return_val_if_fail (SMILEY_IS_PIPELINE (self), FALSE);
  g_return_val_if_fail (self->built, FALSE);

  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    {
      GObject *object = self->object[order[i]];

      if (object == NULL || !G_IS_INITABLE (object))
        continue;
      if (order[i] == SMILEY_PIPELINE_SINK && self->sink_is_store)
        continue;
      if (!g_initable_init (G_INITABLE (object), cancellable, error))
        {
          if (error != NULL)
            smiley_pipeline_attribute_error (self, order[i], *error);
          return FALSE;
        }
    }
  return TRUE;
}

/**
 * smiley_pipeline_get_object:
 * @self: a built pipeline
 * @role: a role
 *
 * Returns: (transfer none) (nullable) (type GObject): the object in @role
 */
gpointer
smiley_pipeline_get_object (SmileyPipeline *self, SmileyPipelineRole role)
{
  g_return_val_if_fail (SMILEY_IS_PIPELINE (self), NULL);
  g_return_val_if_fail (role < SMILEY_PIPELINE_N_ROLES, NULL);

  return self->object[role];
}

/**
 * smiley_pipeline_get_name:
 * @self: a pipeline
 * @role: a role
 *
 * Returns: (nullable): the implementation chosen for @role (for the
 *   store, its URI)
 */
const char *
smiley_pipeline_get_name (SmileyPipeline *self, SmileyPipelineRole role)
{
  g_return_val_if_fail (SMILEY_IS_PIPELINE (self), NULL);
  g_return_val_if_fail (role < SMILEY_PIPELINE_N_ROLES, NULL);

  return self->name[role];
}

/**
 * smiley_pipeline_get_value:
 * @self: a pipeline
 * @key: a setting's key
 *
 * Returns: (nullable): the winning text value of @key, for tests and for
 *   commands that read a setting themselves
 */
const char *
smiley_pipeline_get_value (SmileyPipeline *self, const char *key)
{
  g_autoptr (GPtrArray) winners = NULL;

  g_return_val_if_fail (SMILEY_IS_PIPELINE (self), NULL);

  winners = winning_settings (self);
  for (guint i = 0; i < winners->len; i++)
    {
      const Setting *s = g_ptr_array_index (winners, i);

      if (g_str_equal (s->key, key))
        return s->value;
    }
  return NULL;
}

/**
 * smiley_pipeline_run:
 * @self: an initialised pipeline with a source and a sink
 * @cancellable: (nullable): cancels the source (SIGINT, SIGTERM)
 * @error: return location for a #GError
 *
 * Runs the source into the sink, then flushes the sink. The sink is
 * flushed even when the source failed, so what arrived is kept.
 *
 * Returns: %FALSE with the source's (or else the sink's) error
 */
gboolean
smiley_pipeline_run (SmileyPipeline *self, GCancellable *cancellable, GError **error)
{
  SmileySource *source;
  SmileySink   *sink;
  g_autoptr (GError) run_error = NULL;
  g_autoptr (GError) flush_error = NULL;
  gboolean ran;

  g_return_val_if_fail (SMILEY_IS_PIPELINE (self), FALSE);

  source = SMILEY_SOURCE (self->object[SMILEY_PIPELINE_SOURCE]);
  sink = SMILEY_SINK (self->object[SMILEY_PIPELINE_SINK]);

  ran = smiley_source_run (source, sink, cancellable, &run_error);
  if (!smiley_sink_flush (sink, &flush_error) && ran)
    {
      g_propagate_error (error, g_steal_pointer (&flush_error));
      return FALSE;
    }
  if (!ran)
    {
      g_propagate_error (error, g_steal_pointer (&run_error));
      return FALSE;
    }
  return TRUE;
}
