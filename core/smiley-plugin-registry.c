/* smiley-plugin-registry.c
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include <stdlib.h>

#include <gmodule.h>

#include "smiley.h"
#include "smiley-store-replay.h"

/* A plugin module is a shared object exporting two symbols (see
 * SMILEY_PLUGIN_DEFINE): its ABI version and its register function. A
 * module that fails any check is remembered as a #SmileyPluginFailure so
 * `smiley plugins` can explain it, and loading goes on with the others:
 * one broken third-party plugin must not take the tool down. */

struct _SmileyPluginRegistry
{
  GObject parent_instance;

  GPtrArray  *implementations; /* SmileyImplementation*, in registration order */
  GPtrArray  *failures;        /* SmileyPluginFailure* */
  GHashTable *loaded_files;    /* canonical path → NULL: each module once */
  GHashTable *loaded_names;    /* basename → canonical path of the module loaded */
  char       *current_file;    /* the module being registered, for ->file */
};

G_DEFINE_FINAL_TYPE (SmileyPluginRegistry, smiley_plugin_registry, G_TYPE_OBJECT)

/* clang-format off */
G_DEFINE_QUARK (smiley-plugin-error-quark, smiley_plugin_error)
/* clang-format on */

typedef void (*SmileyPluginRegisterFunc) (SmileyPluginRegistry *registry);

/* Names the project ships plugins for, so that a missing one is reported
 * as "not built in this installation" rather than as a typo. */
typedef struct
{
  const char *kind;
  const char *name;
  const char *command;
} KnownPlugin;

static const KnownPlugin known_plugins[] = {
  { "view", "web", "smiley server" },
  { "view", "report", "smiley report" },
  { "view", "stats", "smiley stats show" },
  { "view", "pstats", "smiley stats export" },
  { "view", "callgraph", "smiley stats graph" },
  { "view", "chrome", "smiley export --format chrome" },
  { "view", "jsonl", "smiley export --format jsonl" },
  { "source", "python", "smiley run" },
  { "source", "socket", "smiley monitor" },
  { "sink", "socket", "smiley run" },
  { "store", "sqlite", "the store sqlite:PATH" },
  { "store", "file", "the store file:DIR" },
};

static void
smiley_implementation_free (SmileyImplementation *impl)
{
  g_free (impl->name);
  g_free (impl->description);
  g_free (impl->file);
  g_free (impl);
}

static void
smiley_plugin_failure_free (SmileyPluginFailure *failure)
{
  g_free (failure->file);
  g_free (failure->reason);
  g_free (failure);
}

static const char *
kind_name (GType interface_type)
{
  if (interface_type == SMILEY_TYPE_SOURCE)
    return "source";
  if (interface_type == SMILEY_TYPE_SINK)
    return "sink";
  if (interface_type == SMILEY_TYPE_STORE)
    return "store";
  if (interface_type == SMILEY_TYPE_VIEW)
    return "view";
  return g_type_name (interface_type);
}

static void
smiley_plugin_registry_finalize (GObject *object)
{
  SmileyPluginRegistry *self = SMILEY_PLUGIN_REGISTRY (object);

  g_clear_pointer (&self->implementations, g_ptr_array_unref);
  g_clear_pointer (&self->failures, g_ptr_array_unref);
  g_clear_pointer (&self->loaded_files, g_hash_table_unref);
  g_clear_pointer (&self->loaded_names, g_hash_table_unref);
  g_clear_pointer (&self->current_file, g_free);

  G_OBJECT_CLASS (smiley_plugin_registry_parent_class)->finalize (object);
}

static void
smiley_plugin_registry_class_init (SmileyPluginRegistryClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = smiley_plugin_registry_finalize;
}

static void
smiley_plugin_registry_init (SmileyPluginRegistry *self)
{
  self->implementations
      = g_ptr_array_new_with_free_func ((GDestroyNotify)smiley_implementation_free);
  self->failures = g_ptr_array_new_with_free_func ((GDestroyNotify)smiley_plugin_failure_free);
  self->loaded_files = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->loaded_names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  /* Built into libsmiley: replaying a stored run needs no plugin. */
  self->current_file = g_strdup ("(built-in)");
  smiley_plugin_registry_register (self, SMILEY_TYPE_SOURCE, "replay", SMILEY_TYPE_STORE_REPLAY,
                                   "replays a run of a store (smiley replay)");
  g_clear_pointer (&self->current_file, g_free);
}

/**
 * smiley_plugin_registry_new:
 *
 * Creates a registry that knows only the built-in implementations (the
 * "replay" source). Load plugins with
 * smiley_plugin_registry_load_defaults() or
 * smiley_plugin_registry_load_directory().
 *
 * Returns: (transfer full): a new registry
 */
SmileyPluginRegistry *
smiley_plugin_registry_new (void)
{
  return g_object_new (SMILEY_TYPE_PLUGIN_REGISTRY, NULL);
}

static void
add_failure (SmileyPluginRegistry *self, const char *file, const char *reason)
{
  SmileyPluginFailure *failure = g_new0 (SmileyPluginFailure, 1);

  failure->file = g_strdup (file);
  failure->reason = g_strdup (reason);
  g_ptr_array_add (self->failures, failure);
}

static gboolean
is_plugin_file_name (const char *name)
{
  return g_str_has_prefix (name, "smiley-") && g_str_has_suffix (name, ".so");
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char *const *)a, *(const char *const *)b);
}

/* Directory entries sorted by name, so the load order (and with it which
 * of two same-named plugins wins) does not depend on the file system. */
static GPtrArray *
list_directory_sorted (const char *directory)
{
  g_autoptr (GDir) dir = NULL;
  GPtrArray  *names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  dir = g_dir_open (directory, 0, NULL);
  if (dir == NULL)
    return names;

  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));

  g_ptr_array_sort (names, compare_strings);
  return names;
}

/**
 * smiley_plugin_registry_load_directory:
 * @self: a registry
 * @directory: a directory holding plugin modules
 *
 * Loads every `smiley-*.so` in @directory (not below it). Other files are
 * ignored: plugins keep private helper files next to them. A module that
 * fails to load is recorded (see smiley_plugin_registry_list_failures())
 * and the others still load. A missing directory is not an error.
 */
void
smiley_plugin_registry_load_directory (SmileyPluginRegistry *self, const char *directory)
{
  g_autoptr (GPtrArray) names = NULL;

  g_return_if_fail (SMILEY_IS_PLUGIN_REGISTRY (self));
  g_return_if_fail (directory != NULL);

  names = list_directory_sorted (directory);
  for (guint i = 0; i < names->len; i++)
    {
      const char      *name = g_ptr_array_index (names, i);
      g_autofree char *path = NULL;
      g_autoptr (GError) error = NULL;

      if (!is_plugin_file_name (name))
        continue;

      path = g_build_filename (directory, name, NULL);
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        continue;

      /* A failure is recorded by load_module; the others still load. */
      smiley_plugin_registry_load_module (self, path, &error);
    }
}

/* Whether the running program is the one in the build tree: then it loads
 * the plugins built next to it rather than whatever is installed. */
static gboolean
running_from_build_tree (void)
{
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *root = NULL;
  g_autofree char *root_slash = NULL;

  /* /proc/self/exe has every symbolic link resolved: so must the root. */
  root = realpath (SMILEY_BUILD_ROOT, NULL);
  if (exe == NULL || root == NULL)
    return FALSE;

  root_slash = g_strconcat (root, G_DIR_SEPARATOR_S, NULL);
  return g_str_has_prefix (exe, root_slash);
}

/**
 * smiley_plugin_registry_load_defaults:
 * @self: a registry
 *
 * Loads the plugins a `smiley` command uses: every directory of
 * `$SMILEY_PLUGIN_PATH` (colon-separated, first), then, when the running
 * executable lives in the build tree, each plugin directory of the build
 * tree, else the installed plugin directory.
 */
void
smiley_plugin_registry_load_defaults (SmileyPluginRegistry *self)
{
  const char *path;

  g_return_if_fail (SMILEY_IS_PLUGIN_REGISTRY (self));

  path = g_getenv ("SMILEY_PLUGIN_PATH");
  if (path != NULL && *path != '\0')
    {
      g_auto (GStrv) dirs = g_strsplit (path, G_SEARCHPATH_SEPARATOR_S, -1);

      for (guint i = 0; dirs[i] != NULL; i++)
        if (*dirs[i] != '\0')
          smiley_plugin_registry_load_directory (self, dirs[i]);
    }

  if (running_from_build_tree ())
    {
      g_autoptr (GPtrArray) names = list_directory_sorted (SMILEY_BUILD_PLUGINDIR);

      for (guint i = 0; i < names->len; i++)
        {
          g_autofree char *sub
              = g_build_filename (SMILEY_BUILD_PLUGINDIR, g_ptr_array_index (names, i), NULL);

          if (g_file_test (sub, G_FILE_TEST_IS_DIR))
            smiley_plugin_registry_load_directory (self, sub);
        }
    }
  else
    {
      smiley_plugin_registry_load_directory (self, SMILEY_PLUGINDIR);
    }
}

/**
 * smiley_plugin_registry_load_module:
 * @self: a registry
 * @file: path of a plugin module
 * @error: return location for a #GError
 *
 * Opens @file, checks its `smiley_plugin_abi_version` and calls its
 * `smiley_plugin_register` function. The module stays loaded for the
 * life of the process (types cannot be unregistered). Loading the same
 * file twice is a no-op. A failure is also recorded (see
 * smiley_plugin_registry_list_failures()).
 *
 * Returns: %FALSE with %SMILEY_PLUGIN_ERROR_LOAD (not a shared object,
 *   missing symbol) or %SMILEY_PLUGIN_ERROR_ABI (built for another
 *   version of smiley)
 */
static gboolean load_module (SmileyPluginRegistry *self, const char *file, GError **error);

gboolean
smiley_plugin_registry_load_module (SmileyPluginRegistry *self, const char *file, GError **error)
{
  g_autoptr (GError) local_error = NULL;

  g_return_val_if_fail (SMILEY_IS_PLUGIN_REGISTRY (self), FALSE);
  g_return_val_if_fail (file != NULL, FALSE);

  if (load_module (self, file, &local_error))
    return TRUE;

  add_failure (self, file, local_error->message);
  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

static gboolean
load_module (SmileyPluginRegistry *self, const char *file, GError **error)
{
  g_autofree char *canonical = NULL;
  g_autofree char *basename = NULL;
  const char      *shadowing;
  GModule         *module;
  gpointer         abi_symbol = NULL;
  gpointer         register_symbol = NULL;
  guint32          abi;

  canonical = g_canonicalize_filename (file, NULL);
  if (g_hash_table_contains (self->loaded_files, canonical))
    return TRUE;

  /* Two copies of one module (an old build in $SMILEY_PLUGIN_PATH and the
   * installed one) would register the same GTypes twice, which GObject
   * refuses; the first one found wins, as in $PATH. */
  basename = g_path_get_basename (canonical);
  shadowing = g_hash_table_lookup (self->loaded_names, basename);
  if (shadowing != NULL)
    {
      g_set_error (error, SMILEY_PLUGIN_ERROR, SMILEY_PLUGIN_ERROR_LOAD,
                   "not loaded: %s of the same name was loaded first", shadowing);
      return FALSE;
    }

  /* BIND_LOCAL so two plugins' private symbols cannot clash. */
  module = g_module_open (canonical, G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL);
  if (module == NULL)
    {
      const char *reason = g_module_error ();

      /* dlerror() repeats the path; keep only what follows it. */
      if (reason != NULL && g_str_has_prefix (reason, canonical)
          && reason[strlen (canonical)] == ':')
        reason += strlen (canonical) + 1;
      while (reason != NULL && *reason == ' ')
        reason++;
      g_set_error (error, SMILEY_PLUGIN_ERROR, SMILEY_PLUGIN_ERROR_LOAD, "cannot load plugin: %s",
                   reason ? reason : "unknown error");
      return FALSE;
    }

  if (!g_module_symbol (module, "smiley_plugin_abi_version", &abi_symbol) || abi_symbol == NULL)
    {
      g_set_error_literal (error, SMILEY_PLUGIN_ERROR, SMILEY_PLUGIN_ERROR_LOAD,
                           "not a smiley plugin: no 'smiley_plugin_abi_version' symbol "
                           "(build it with SMILEY_PLUGIN_DEFINE)");
      g_module_close (module);
      return FALSE;
    }

  abi = *(const guint32 *)abi_symbol;
  if (abi != SMILEY_PLUGIN_ABI_VERSION)
    {
      g_set_error (error, SMILEY_PLUGIN_ERROR, SMILEY_PLUGIN_ERROR_ABI,
                   "plugin built for plugin ABI %u, this smiley has ABI %u: rebuild it "
                   "against smiley %s",
                   abi, SMILEY_PLUGIN_ABI_VERSION, SMILEY_VERSION_STRING);
      g_module_close (module);
      return FALSE;
    }

  if (!g_module_symbol (module, "smiley_plugin_register", &register_symbol)
      || register_symbol == NULL)
    {
      g_set_error_literal (error, SMILEY_PLUGIN_ERROR, SMILEY_PLUGIN_ERROR_LOAD,
                           "not a smiley plugin: no 'smiley_plugin_register' symbol "
                           "(build it with SMILEY_PLUGIN_DEFINE)");
      g_module_close (module);
      return FALSE;
    }

  /* Static types registered by the module can never go away again. */
  g_module_make_resident (module);
  g_hash_table_add (self->loaded_files, g_strdup (canonical));
  g_hash_table_insert (self->loaded_names, g_steal_pointer (&basename), g_strdup (canonical));

  g_free (self->current_file);
  self->current_file = g_strdup (canonical);
  ((SmileyPluginRegisterFunc)register_symbol) (self);
  g_clear_pointer (&self->current_file, g_free);

  return TRUE;
}

/**
 * smiley_plugin_registry_register:
 * @self: a registry
 * @interface_type: the interface @type implements
 * @name: the name users choose it by
 * @type: the implementing type
 * @description: one line for `smiley plugins`
 *
 * Called by a plugin's register function. A name already taken for that
 * kind keeps its first registration (earlier directories of
 * `$SMILEY_PLUGIN_PATH` win over the defaults) and the clash is recorded
 * as a failure.
 */
void
smiley_plugin_registry_register (SmileyPluginRegistry *self, GType interface_type, const char *name,
                                 GType type, const char *description)
{
  SmileyImplementation *impl;

  g_return_if_fail (SMILEY_IS_PLUGIN_REGISTRY (self));
  g_return_if_fail (name != NULL);
  g_return_if_fail (g_type_is_a (type, interface_type));

  if (smiley_plugin_registry_lookup (self, interface_type, name) != NULL)
    {
      const SmileyImplementation *first
          = smiley_plugin_registry_lookup (self, interface_type, name);
      g_autofree char *reason = g_strdup_printf ("%s '%s' is already provided by %s; ignored",
                                                 kind_name (interface_type), name, first->file);

      add_failure (self, self->current_file ? self->current_file : "(unknown)", reason);
      return;
    }

  impl = g_new0 (SmileyImplementation, 1);
  impl->interface_type = interface_type;
  impl->name = g_strdup (name);
  impl->type = type;
  impl->description = g_strdup (description ? description : "");
  impl->file = g_strdup (self->current_file ? self->current_file : "(registered by the program)");
  g_ptr_array_add (self->implementations, impl);
}

/**
 * smiley_plugin_registry_lookup:
 * @self: a registry
 * @interface_type: the kind of implementation
 * @name: its name
 *
 * Returns: (transfer none) (nullable): the implementation, or %NULL
 */
const SmileyImplementation *
smiley_plugin_registry_lookup (SmileyPluginRegistry *self, GType interface_type, const char *name)
{
  g_return_val_if_fail (SMILEY_IS_PLUGIN_REGISTRY (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  for (guint i = 0; i < self->implementations->len; i++)
    {
      const SmileyImplementation *impl = g_ptr_array_index (self->implementations, i);

      if (impl->interface_type == interface_type && g_str_equal (impl->name, name))
        return impl;
    }

  /* A store is also a sink: `--sink sqlite` is not meaningful, but a store
   * lookup must never fall back to sinks, and vice versa. */
  return NULL;
}

/**
 * smiley_plugin_registry_list:
 * @self: a registry
 *
 * Returns: (transfer container) (element-type SmileyImplementation): every
 *   implementation, in the order they were registered; the elements belong
 *   to the registry
 */
GPtrArray *
smiley_plugin_registry_list (SmileyPluginRegistry *self)
{
  GPtrArray *list;

  g_return_val_if_fail (SMILEY_IS_PLUGIN_REGISTRY (self), NULL);

  list = g_ptr_array_new ();
  for (guint i = 0; i < self->implementations->len; i++)
    g_ptr_array_add (list, g_ptr_array_index (self->implementations, i));
  return list;
}

/**
 * smiley_plugin_registry_list_failures:
 * @self: a registry
 *
 * Returns: (transfer container) (element-type SmileyPluginFailure): the
 *   modules that could not be loaded; the elements belong to the registry
 */
GPtrArray *
smiley_plugin_registry_list_failures (SmileyPluginRegistry *self)
{
  GPtrArray *list;

  g_return_val_if_fail (SMILEY_IS_PLUGIN_REGISTRY (self), NULL);

  list = g_ptr_array_new ();
  for (guint i = 0; i < self->failures->len; i++)
    g_ptr_array_add (list, g_ptr_array_index (self->failures, i));
  return list;
}

static const KnownPlugin *
find_known_plugin (const char *kind, const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (known_plugins); i++)
    if (g_str_equal (known_plugins[i].kind, kind) && g_str_equal (known_plugins[i].name, name))
      return &known_plugins[i];
  return NULL;
}

/**
 * smiley_plugin_registry_create:
 * @self: a registry
 * @interface_type: the kind of implementation
 * @name: its name
 * @error: return location for a #GError
 *
 * Creates an instance of the implementation named @name, with default
 * properties. The caller sets properties and, if the object implements
 * #GInitable, initialises it.
 *
 * Returns: (transfer full) (type GObject): the new object, or %NULL with
 *   %SMILEY_PLUGIN_ERROR_NOT_FOUND (no such name; the message lists the
 *   known ones) or %SMILEY_PLUGIN_ERROR_NOT_BUILT (a plugin smiley ships
 *   but this installation lacks)
 */
gpointer
smiley_plugin_registry_create (SmileyPluginRegistry *self, GType interface_type, const char *name,
                               GError **error)
{
  const SmileyImplementation *impl;
  const KnownPlugin          *known;
  g_autoptr (GString) names = NULL;
  const char *kind;

  g_return_val_if_fail (SMILEY_IS_PLUGIN_REGISTRY (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  impl = smiley_plugin_registry_lookup (self, interface_type, name);
  if (impl != NULL)
    return g_object_new (impl->type, NULL);

  kind = kind_name (interface_type);
  known = find_known_plugin (kind, name);
  if (known != NULL)
    {
      g_set_error (error, SMILEY_PLUGIN_ERROR, SMILEY_PLUGIN_ERROR_NOT_BUILT,
                   "%s needs the '%s' %s plugin, which is not built in this installation",
                   known->command, name, kind);
      return NULL;
    }

  names = g_string_new (NULL);
  {
    g_autoptr (GPtrArray) sorted = g_ptr_array_new ();

    for (guint i = 0; i < self->implementations->len; i++)
      {
        SmileyImplementation *candidate = g_ptr_array_index (self->implementations, i);

        if (candidate->interface_type == interface_type)
          g_ptr_array_add (sorted, candidate->name);
      }
    g_ptr_array_sort (sorted, compare_strings);
    for (guint i = 0; i < sorted->len; i++)
      g_string_append_printf (names, "%s%s", i > 0 ? ", " : "",
                              (const char *)g_ptr_array_index (sorted, i));
  }

  g_set_error (error, SMILEY_PLUGIN_ERROR, SMILEY_PLUGIN_ERROR_NOT_FOUND,
               "no %s plugin named '%s' (known: %s)", kind, name,
               names->len > 0 ? names->str : "none");
  return NULL;
}
