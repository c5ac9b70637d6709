/* test-pstats-view.c: the pstats export of `smiley stats export`, read
 * back by Debian's python3 pstats module
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include <glib/gstdio.h>

#include "smiley-memory-store.h"
#include "smiley-pstats-view.h"
#include "views-test-input.h"

/* Loads @path with pstats.Stats and prints every entry, sorted, with its
 * callers, exactly as pstats sees them. */
static char *
python_pstats_dump (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *err = NULL;
  char            *out = NULL;
  const char      *python = g_getenv ("SMILEY_PYTHON");
  const char      *script
      = "import pstats, sys\n"
        "s = pstats.Stats(sys.argv[1])\n"
        "print('total', s.total_calls, s.prim_calls, round(s.total_tt, 6))\n"
        "for func in sorted(s.stats):\n"
        "    cc, nc, tt, ct, callers = s.stats[func]\n"
        "    print(pstats.func_std_string(func), cc, nc, round(tt, 6), round(ct, 6))\n"
        "    for caller in sorted(callers):\n"
        "        print('  <-', pstats.func_std_string(caller), *[round(v, 6) for v in "
        "callers[caller]])\n";
  const char *argv[] = { python != NULL ? python : SMILEY_PYTHON, "-c", script, path, NULL };
  int         status;

  g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status,
                &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("python3 could not load the pstats file: %s", err);
  return out;
}

static void
test_python_reads (void)
{
  g_autoptr (SmileyStats) stats = views_test_sample_stats ();
  g_autoptr (SmileyRun) run = NULL;
  g_autoptr (SmileyStore) store = views_test_store_new (stats, &run);
  g_autoptr (SmileyPstatsView) view = smiley_pstats_view_new ();
  g_autoptr (GOutputStream) output = NULL;
  g_autoptr (GFile) file = NULL;
  g_autoptr (GFileIOStream) io = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *dump = NULL;
  g_autofree char *path = NULL;

  file = g_file_new_tmp ("smiley-pstats-XXXXXX", &io, &error);
  g_assert_no_error (error);
  path = g_file_get_path (file);
  output = g_object_ref (g_io_stream_get_output_stream (G_IO_STREAM (io)));
  g_assert_true (smiley_view_render (SMILEY_VIEW (view), store, run, output, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_io_stream_close (G_IO_STREAM (io), NULL, &error));

  dump = python_pstats_dump (path);
  g_assert_cmpstr (dump, ==,
                   "total 185 9 0.0704\n" VIEWS_TEST_LONG_FILE
                   ":1234(a_function_with_a_really_long_name_for_truncation) 2 2 0.0004 0.0004\n"
                   "  <- app.py:1(<module>) 2 2 0.0004 0.0004\n"
                   "app.py:1(<module>) 1 1 0.001 0.1\n"
                   "app.py:10(fib) 1 177 0.06 0.09\n"
                   "  <- app.py:1(<module>) 1 1 0.06 0.09\n"
                   "  <- app.py:10(fib) 176 0 0.059 0.088\n"
                   "{built-in method builtins.len} 5 5 0.009 0.009\n"
                   "  <- app.py:10(fib) 5 5 0.009 0.009\n");
  g_unlink (path);
}

static void
test_encode_empty (void)
{
  g_autoptr (SmileyStats) stats = smiley_stats_new ();
  g_autoptr (GBytes) bytes = smiley_pstats_view_encode (stats);
  gsize       length;
  const char *data = g_bytes_get_data (bytes, &length);

  /* an empty dict: pstats reads it as a profile with no functions */
  g_assert_cmpmem (data, length, "{0", 2);
}

static void
test_no_stats (void)
{
  g_autoptr (SmileyRun) run = NULL;
  g_autoptr (SmileyStore) store = views_test_store_new (NULL, &run);
  g_autoptr (SmileyPstatsView) view = smiley_pstats_view_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *text = views_test_render (SMILEY_VIEW (view), store, run, &error);

  g_assert_null (text);
  g_assert_error (error, SMILEY_STORE_ERROR, SMILEY_STORE_ERROR_NO_STATS);
  g_assert_cmpstr (error->message, ==,
                   "run 1234abcd has no profile statistics (it is still running or the "
                   "program died before writing them)");
}

static void
test_write_error (void)
{
  g_autoptr (SmileyStats) stats = views_test_sample_stats ();
  g_autoptr (SmileyRun) run = NULL;
  g_autoptr (SmileyStore) store = views_test_store_new (stats, &run);
  g_autoptr (SmileyPstatsView) view = smiley_pstats_view_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GOutputStream) output = g_memory_output_stream_new_resizable ();

  g_output_stream_close (output, NULL, NULL);
  g_assert_false (smiley_view_render (SMILEY_VIEW (view), store, run, output, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/smiley/pstats-view/python-reads", test_python_reads);
  g_test_add_func ("/smiley/pstats-view/encode-empty", test_encode_empty);
  g_test_add_func ("/smiley/pstats-view/no-stats", test_no_stats);
  g_test_add_func ("/smiley/pstats-view/write-error", test_write_error);

  return g_test_run ();
}
