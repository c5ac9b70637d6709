/* fuzz-main.c: runs fuzz targets over a corpus without libFuzzer
 *
 * SPDX-License-Identifier: Apache-2.0
 *
 * In builds without -Dfuzzing=true this main() stands in for libFuzzer's,
 * so every build replays the committed corpus through the target as a
 * regression test. Arguments are files or directories of files.
 */
#include <glib.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static gboolean
run_file (const char *path, guint *count, GError **error)
{
  g_autofree char *contents = NULL;
  gsize            len;

  if (!g_file_get_contents (path, &contents, &len, error))
    return FALSE;
  LLVMFuzzerTestOneInput ((const uint8_t *)contents, len);
  (*count)++;
  return TRUE;
}

int
main (int argc, char *argv[])
{
  guint count = 0;

  for (int i = 1; i < argc; i++)
    {
      g_autoptr (GError) error = NULL;

      if (g_file_test (argv[i], G_FILE_TEST_IS_DIR))
        {
          g_autoptr (GDir) dir = g_dir_open (argv[i], 0, &error);
          const char *name;

          if (dir == NULL)
            {
              g_printerr ("%s\n", error->message);
              return 1;
            }
          while ((name = g_dir_read_name (dir)) != NULL)
            {
              g_autofree char *path = g_build_filename (argv[i], name, NULL);

              if (!run_file (path, &count, &error))
                {
                  g_printerr ("%s\n", error->message);
                  return 1;
                }
            }
        }
      else if (!run_file (argv[i], &count, &error))
        {
          g_printerr ("%s\n", error->message);
          return 1;
        }
    }

  /* An empty or missing corpus would make this test pass vacuously. */
  if (count == 0)
    {
      g_printerr ("no corpus files given\n");
      return 1;
    }
  g_print ("ran %u inputs\n", count);
  return 0;
}
