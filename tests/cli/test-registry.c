/* test-registry.c: loading plugins, good and broken
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include <unistd.h>

#include <glib/gstdio.h>

#include "smiley.h"

/* FIXTURE_DIR (from meson) holds smiley-test-good.so and the deliberately
 * broken smiley-test-*.so modules. */

static char *
fixture (const char *name)
{
  return g_build_filename (FIXTURE_DIR, name, NULL);
}

static char *
make_temp_dir (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("smiley-registry-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

/* A symbolic link, not a copy: dlopen() maps one file once, and a copy
 * would register the module's types a second time in this process. */
static void
link_file (const char *from, const char *to)
{
  g_assert_cmpint (symlink (from, to), ==, 0);
}

static void
write_text (const char *path, const char *text)
{
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
}

static void
remove_tree (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_unlink (path);
    }
  g_rmdir (dir);
}

static void
test_builtin (void)
{
  g_autoptr (SmileyPluginRegistry) registry = smiley_plugin_registry_new ();
  const SmileyImplementation *impl;
  g_autoptr (GPtrArray) failures = NULL;

  impl = smiley_plugin_registry_lookup (registry, SMILEY_TYPE_SOURCE, "replay");
  g_assert_nonnull (impl);
  g_assert_cmpstr (impl->file, ==, "(built-in)");
  g_assert_true (g_type_is_a (impl->type, SMILEY_TYPE_SOURCE));
  g_assert_null (smiley_plugin_registry_lookup (registry, SMILEY_TYPE_SINK, "replay"));

  failures = smiley_plugin_registry_list_failures (registry);
  g_assert_cmpuint (failures->len, ==, 0);
}

static void
test_load_good (void)
{
  g_autoptr (SmileyPluginRegistry) registry = smiley_plugin_registry_new ();
  g_autofree char *path = fixture ("smiley-test-good.so");
  g_autoptr (GError) error = NULL;
  g_autoptr (GObject) sink = NULL;
  const SmileyImplementation *impl;

  g_assert_true (smiley_plugin_registry_load_module (registry, path, &error));
  g_assert_no_error (error);
  /* A second load of the same file is a no-op, not a duplicate. */
  g_assert_true (smiley_plugin_registry_load_module (registry, path, &error));
  g_assert_no_error (error);

  impl = smiley_plugin_registry_lookup (registry, SMILEY_TYPE_SINK, "test-good");
  g_assert_nonnull (impl);
  g_assert_cmpstr (impl->description, ==, "a test sink that accepts everything");
  g_assert_true (g_str_has_suffix (impl->file, "/smiley-test-good.so"));

  sink = smiley_plugin_registry_create (registry, SMILEY_TYPE_SINK, "test-good", &error);
  g_assert_no_error (error);
  g_assert_true (SMILEY_IS_SINK (sink));
  g_assert_cmpuint (smiley_plugin_registry_list_failures (registry)->len, ==, 0);
}

static void
assert_load_fails (const char *file, int code, const char *expected)
{
  g_autoptr (SmileyPluginRegistry) registry = smiley_plugin_registry_new ();
  g_autoptr (GError) error = NULL;

  g_assert_false (smiley_plugin_registry_load_module (registry, file, &error));
  g_assert_error (error, SMILEY_PLUGIN_ERROR, code);
  if (strstr (error->message, expected) == NULL)
    g_error ("'%s' does not contain '%s'", error->message, expected);
  /* Nothing but the built-in replay source was registered. */
  g_assert_cmpuint (smiley_plugin_registry_list (registry)->len, ==, 1);
  /* The failure is recorded for `smiley plugins`. */
  {
    g_autoptr (GPtrArray) failures = smiley_plugin_registry_list_failures (registry);
    const SmileyPluginFailure *failure;

    g_assert_cmpuint (failures->len, ==, 1);
    failure = g_ptr_array_index (failures, 0);
    g_assert_cmpstr (failure->file, ==, file);
    g_assert_cmpstr (failure->reason, ==, error->message);
  }
}

static void
test_missing_symbol (void)
{
  g_autofree char *path = fixture ("smiley-test-no-symbol.so");

  assert_load_fails (path, SMILEY_PLUGIN_ERROR_LOAD,
                     "not a smiley plugin: no 'smiley_plugin_abi_version' symbol");
}

static void
test_missing_register (void)
{
  g_autofree char *path = fixture ("smiley-test-no-register.so");

  assert_load_fails (path, SMILEY_PLUGIN_ERROR_LOAD, "no 'smiley_plugin_register' symbol");
}

static void
test_wrong_abi (void)
{
  g_autofree char *path = fixture ("smiley-test-wrong-abi.so");
  g_autofree char *expected
      = g_strdup_printf ("plugin built for plugin ABI %u, this smiley has ABI %u",
                         SMILEY_PLUGIN_ABI_VERSION + 1000, SMILEY_PLUGIN_ABI_VERSION);

  assert_load_fails (path, SMILEY_PLUGIN_ERROR_ABI, expected);
}

static void
test_not_shared_object (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "smiley-broken.so", NULL);

  write_text (path, "this is a text file, not an ELF object\n");
  assert_load_fails (path, SMILEY_PLUGIN_ERROR_LOAD, "cannot load plugin: ");
  remove_tree (dir);
}

static void
test_directory (void)
{
  g_autoptr (SmileyPluginRegistry) registry = smiley_plugin_registry_new ();
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *good = fixture ("smiley-test-good.so");
  g_autofree char *wrong_abi = fixture ("smiley-test-wrong-abi.so");
  g_autofree char *good_copy = g_build_filename (dir, "smiley-test-good.so", NULL);
  g_autofree char *abi_copy = g_build_filename (dir, "smiley-test-wrong-abi.so", NULL);
  g_autofree char *broken = g_build_filename (dir, "smiley-broken.so", NULL);
  g_autofree char *helper = g_build_filename (dir, "helper.so", NULL);
  g_autofree char *notes = g_build_filename (dir, "smiley-notes.txt", NULL);
  g_autofree char *subdir = g_build_filename (dir, "smiley-dir.so", NULL);
  g_autoptr (GPtrArray) failures = NULL;
  g_autoptr (GPtrArray) impls = NULL;
  gboolean saw_broken = FALSE, saw_abi = FALSE;

  link_file (good, good_copy);
  link_file (wrong_abi, abi_copy);
  write_text (broken, "garbage");
  /* Files a plugin keeps next to itself are not loaded. */
  write_text (helper, "garbage");
  write_text (notes, "garbage");
  g_mkdir (subdir, 0700);

  smiley_plugin_registry_load_directory (registry, dir);
  /* A missing directory is no error. */
  smiley_plugin_registry_load_directory (registry, "/nonexistent/smiley/plugins");

  impls = smiley_plugin_registry_list (registry);
  g_assert_cmpuint (impls->len, ==, 2);
  g_assert_nonnull (smiley_plugin_registry_lookup (registry, SMILEY_TYPE_SINK, "test-good"));

  failures = smiley_plugin_registry_list_failures (registry);
  g_assert_cmpuint (failures->len, ==, 2);
  for (guint i = 0; i < failures->len; i++)
    {
      const SmileyPluginFailure *failure = g_ptr_array_index (failures, i);

      if (g_str_has_suffix (failure->file, "/smiley-broken.so"))
        {
          saw_broken = TRUE;
          g_assert_true (g_str_has_prefix (failure->reason, "cannot load plugin: "));
        }
      else if (g_str_has_suffix (failure->file, "/smiley-test-wrong-abi.so"))
        {
          saw_abi = TRUE;
          g_assert_nonnull (strstr (failure->reason, "plugin ABI"));
        }
      else
        g_error ("unexpected failure %s: %s", failure->file, failure->reason);
    }
  g_assert_true (saw_broken && saw_abi);

  g_rmdir (subdir);
  remove_tree (dir);
}

static void
test_plugin_path (void)
{
  g_autoptr (SmileyPluginRegistry) registry = smiley_plugin_registry_new ();
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *good = fixture ("smiley-test-good.so");
  g_autofree char *good_copy = g_build_filename (dir, "smiley-test-good.so", NULL);
  g_autofree char *dir2 = make_temp_dir ();
  g_autofree char *good_copy2 = g_build_filename (dir2, "smiley-test-good.so", NULL);
  g_autofree char *path = g_strdup_printf ("/nonexistent::%s:%s", dir, dir2);
  g_autoptr (GPtrArray) failures = NULL;
  const SmileyPluginFailure  *failure;
  const SmileyImplementation *impl;

  link_file (good, good_copy);
  link_file (good, good_copy2);
  g_setenv ("SMILEY_PLUGIN_PATH", path, TRUE);
  smiley_plugin_registry_load_defaults (registry);
  g_unsetenv ("SMILEY_PLUGIN_PATH");

  impl = smiley_plugin_registry_lookup (registry, SMILEY_TYPE_SINK, "test-good");
  g_assert_nonnull (impl);
  g_assert_true (g_str_has_prefix (impl->file, dir));
  /* This test runs from the build tree, so the built plugins load too. */
  g_assert_nonnull (smiley_plugin_registry_lookup (registry, SMILEY_TYPE_SINK, "console"));
  g_assert_nonnull (smiley_plugin_registry_lookup (registry, SMILEY_TYPE_SINK, "null"));

  /* The same module further down the path is shadowed, as in $PATH. */
  failures = smiley_plugin_registry_list_failures (registry);
  g_assert_cmpuint (failures->len, ==, 1);
  failure = g_ptr_array_index (failures, 0);
  g_assert_true (g_str_has_prefix (failure->file, dir2));
  g_assert_nonnull (strstr (failure->reason, "of the same name was loaded first"));

  remove_tree (dir);
  remove_tree (dir2);
}

static void
test_unknown_name (void)
{
  g_autoptr (SmileyPluginRegistry) registry = smiley_plugin_registry_new ();
  g_autofree char *good = fixture ("smiley-test-good.so");
  g_autoptr (GError) error = NULL;
  gpointer object;

  g_assert_true (smiley_plugin_registry_load_module (registry, good, NULL));

  object = smiley_plugin_registry_create (registry, SMILEY_TYPE_SINK, "consol", &error);
  g_assert_null (object);
  g_assert_error (error, SMILEY_PLUGIN_ERROR, SMILEY_PLUGIN_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "no sink plugin named 'consol' (known: test-good)");
  g_clear_error (&error);

  object = smiley_plugin_registry_create (registry, SMILEY_TYPE_STORE, "postgres", &error);
  g_assert_null (object);
  g_assert_cmpstr (error->message, ==, "no store plugin named 'postgres' (known: none)");
}

static void
test_not_built (void)
{
  g_autoptr (SmileyPluginRegistry) registry = smiley_plugin_registry_new ();
  g_autoptr (GError) error = NULL;

  g_assert_null (smiley_plugin_registry_create (registry, SMILEY_TYPE_VIEW, "web", &error));
  g_assert_error (error, SMILEY_PLUGIN_ERROR, SMILEY_PLUGIN_ERROR_NOT_BUILT);
  g_assert_cmpstr (
      error->message, ==,
      "smiley server needs the 'web' view plugin, which is not built in this installation");
  g_clear_error (&error);

  g_assert_null (smiley_plugin_registry_create (registry, SMILEY_TYPE_VIEW, "report", &error));
  g_assert_error (error, SMILEY_PLUGIN_ERROR, SMILEY_PLUGIN_ERROR_NOT_BUILT);
  g_assert_cmpstr (
      error->message, ==,
      "smiley report needs the 'report' view plugin, which is not built in this installation");
}

static void
test_duplicate_name (void)
{
  g_autoptr (SmileyPluginRegistry) registry = smiley_plugin_registry_new ();
  g_autoptr (GPtrArray) failures = NULL;
  const SmileyImplementation *impl;
  const SmileyPluginFailure  *failure;

  /* A second "replay" source is refused; the built-in one stays. */
  smiley_plugin_registry_register (
      registry, SMILEY_TYPE_SOURCE, "replay",
      smiley_plugin_registry_lookup (registry, SMILEY_TYPE_SOURCE, "replay")->type, "an impostor");
  impl = smiley_plugin_registry_lookup (registry, SMILEY_TYPE_SOURCE, "replay");
  g_assert_cmpstr (impl->file, ==, "(built-in)");
  g_assert_cmpstr (impl->description, !=, "an impostor");

  failures = smiley_plugin_registry_list_failures (registry);
  g_assert_cmpuint (failures->len, ==, 1);
  failure = g_ptr_array_index (failures, 0);
  g_assert_cmpstr (failure->reason, ==,
                   "source 'replay' is already provided by (built-in); ignored");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/smiley/registry/builtin", test_builtin);
  g_test_add_func ("/smiley/registry/load-good", test_load_good);
  g_test_add_func ("/smiley/registry/missing-symbol", test_missing_symbol);
  g_test_add_func ("/smiley/registry/missing-register", test_missing_register);
  g_test_add_func ("/smiley/registry/wrong-abi", test_wrong_abi);
  g_test_add_func ("/smiley/registry/not-shared-object", test_not_shared_object);
  g_test_add_func ("/smiley/registry/directory", test_directory);
  g_test_add_func ("/smiley/registry/plugin-path", test_plugin_path);
  g_test_add_func ("/smiley/registry/unknown-name", test_unknown_name);
  g_test_add_func ("/smiley/registry/not-built", test_not_built);
  g_test_add_func ("/smiley/registry/duplicate-name", test_duplicate_name);

  return g_test_run ();
}
