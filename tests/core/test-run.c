/* test-run.c: SmileyRun, the run's metadata and tables
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include <smiley.h>

static void
test_new (void)
{
  g_autoptr (SmileyRun) named = smiley_run_new ("abc");
  g_autoptr (SmileyRun) a = smiley_run_new (NULL);
  g_autoptr (SmileyRun) b = smiley_run_new (NULL);

  g_assert_cmpstr (smiley_run_get_id (named), ==, "abc");
  /* Random ids are UUIDs, different every time. */
  g_assert_true (g_uuid_string_is_valid (smiley_run_get_id (a)));
  g_assert_cmpstr (smiley_run_get_id (a), !=, smiley_run_get_id (b));
  g_assert_cmpint (smiley_run_get_state (a), ==, SMILEY_RUN_RUNNING);
  g_assert_cmpint (smiley_run_get_exit_status (a), ==, -1);
  g_assert_null (smiley_run_get_argv (a));
  g_assert_null (smiley_run_get_stats (a));
  g_assert_cmpuint (smiley_run_get_n_threads (a), ==, 0);
  g_assert_cmpuint (smiley_run_get_n_sources (a), ==, 0);
}

static void
test_metadata (void)
{
  g_autoptr (SmileyRun) run = smiley_run_new ("m");
  const char *const argv[] = { "a.py", "-x", NULL };

  smiley_run_set_description (run, "desc");
  smiley_run_set_cwd (run, "/tmp");
  smiley_run_set_argv (run, argv);
  smiley_run_set_pid (run, 7);
  smiley_run_set_start_time (run, -5);
  smiley_run_set_end_time (run, 99);
  smiley_run_set_error (run, "E");
  smiley_run_set_traceback (run, "T");
  smiley_run_set_events_emitted (run, G_MAXUINT64);

  g_assert_cmpstr (smiley_run_get_description (run), ==, "desc");
  g_assert_cmpstr (smiley_run_get_cwd (run), ==, "/tmp");
  g_assert_true (g_strv_equal (smiley_run_get_argv (run), argv));
  g_assert_cmpuint (smiley_run_get_pid (run), ==, 7);
  g_assert_cmpint (smiley_run_get_start_time (run), ==, -5);
  g_assert_cmpint (smiley_run_get_end_time (run), ==, 99);
  g_assert_cmpstr (smiley_run_get_error (run), ==, "E");
  g_assert_cmpstr (smiley_run_get_traceback (run), ==, "T");
  g_assert_cmpuint (smiley_run_get_events_emitted (run), ==, G_MAXUINT64);

  /* Setting a field to its own value must not free it first. */
  smiley_run_set_description (run, smiley_run_get_description (run));
  g_assert_cmpstr (smiley_run_get_description (run), ==, "desc");
  smiley_run_set_error (run, NULL);
  g_assert_null (smiley_run_get_error (run));
}

static void
test_strings (void)
{
  g_autoptr (SmileyRun) run = smiley_run_new ("s");
  GError *error = NULL;
  guint32 a, b;

  g_assert_cmpuint (smiley_run_get_n_strings (run), ==, 1);
  g_assert_cmpstr (smiley_run_get_string (run, 0), ==, "");
  g_assert_cmpuint (smiley_run_intern (run, ""), ==, 0);
  g_assert_cmpuint (smiley_run_intern (run, NULL), ==, 0);

  a = smiley_run_intern (run, "a.py");
  b = smiley_run_intern (run, "main");
  g_assert_cmpuint (a, ==, 1);
  g_assert_cmpuint (b, ==, 2);
  g_assert_cmpuint (smiley_run_intern (run, "a.py"), ==, a);
  g_assert_cmpstr (smiley_run_get_string (run, b), ==, "main");
  g_assert_null (smiley_run_get_string (run, 3));

  /* Decoders define ids in order; gaps and redefinitions are refused. */
  g_assert_true (smiley_run_set_string (run, 3, "x", &error));
  g_assert_no_error (error);
  g_assert_false (smiley_run_set_string (run, 5, "y", &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "expected 4"));
  g_clear_error (&error);
  g_assert_false (smiley_run_set_string (run, 1, "z", &error));
  g_clear_error (&error);
  /* The same text under a second id: the first stays canonical. */
  g_assert_true (smiley_run_set_string (run, 4, "a.py", &error));
  g_assert_cmpuint (smiley_run_intern (run, "a.py"), ==, 1);
  g_assert_cmpstr (smiley_run_get_string (run, 4), ==, "a.py");
  g_assert_cmpuint (smiley_run_get_n_strings (run), ==, 5);
}

static void
test_threads (void)
{
  g_autoptr (SmileyRun) run = smiley_run_new ("t");
  const SmileyThread *thread;

  g_assert_null (smiley_run_get_thread (run, 0));
  g_assert_null (smiley_run_get_thread (run, 1));
  smiley_run_set_thread (run, 1, 10, 11, "MainThread");
  smiley_run_set_thread (run, 2, 10, 12, NULL);
  thread = smiley_run_get_thread (run, 1);
  g_assert_cmpuint (thread->id, ==, 1);
  g_assert_cmpuint (thread->pid, ==, 10);
  g_assert_cmpuint (thread->native_id, ==, 11);
  g_assert_cmpstr (thread->name, ==, "MainThread");
  g_assert_cmpstr (smiley_run_get_thread (run, 2)->name, ==, "");
  g_assert_cmpuint (smiley_run_get_n_threads (run), ==, 2);

  smiley_run_set_thread (run, 1, 20, 21, "Renamed");
  thread = smiley_run_get_thread (run, 1);
  g_assert_cmpstr (thread->name, ==, "Renamed");
  g_assert_cmpuint (thread->pid, ==, 20);
  g_assert_cmpuint (smiley_run_get_n_threads (run), ==, 2);
  g_assert_null (smiley_run_get_thread (run, 3));
}

static void
test_sources (void)
{
  g_autoptr (SmileyRun) run = smiley_run_new ("src");
  g_autoptr (GBytes) one = g_bytes_new_static ("one", 3);
  g_autoptr (GBytes) two = g_bytes_new_static ("two", 3);
  guint32 file = 0;

  smiley_run_add_source (run, smiley_run_intern (run, "a.py"), one);
  smiley_run_add_source (run, smiley_run_intern (run, "b.py"), two);
  g_assert_cmpuint (smiley_run_get_n_sources (run), ==, 2);
  g_assert_true (g_bytes_equal (smiley_run_get_source (run, 1, &file), two));
  g_assert_cmpstr (smiley_run_get_string (run, file), ==, "b.py");
  g_assert_true (smiley_run_get_source (run, 0, NULL) == one);
}

static void
test_stats (void)
{
  g_autoptr (SmileyRun) run = smiley_run_new ("st");
  g_autoptr (SmileyStats) stats = smiley_stats_new ();

  smiley_run_set_stats (run, stats);
  g_assert_true (smiley_run_get_stats (run) == stats);
  /* Setting the same stats again keeps them alive. */
  smiley_run_set_stats (run, smiley_run_get_stats (run));
  g_assert_true (smiley_run_get_stats (run) == stats);
  smiley_run_set_stats (run, NULL);
  g_assert_null (smiley_run_get_stats (run));
}

static void
test_format_status (void)
{
  g_autoptr (SmileyRun) run = smiley_run_new ("f");
  struct
  {
    SmileyRunState state;
    int            exit_status;
    int            signum;
    const char    *expected;
  } cases[] = {
    { SMILEY_RUN_RUNNING, -1, 0, "running" },
    { SMILEY_RUN_FINISHED, 0, 0, "exit status 0" },
    { SMILEY_RUN_FINISHED, 3, 0, "exit status 3" },
    { SMILEY_RUN_ABNORMAL, -1, 9, "killed by signal 9" },
    { SMILEY_RUN_ABNORMAL, 7, 0, "ended abnormally, exit status 7" },
    { SMILEY_RUN_ABNORMAL, -1, 0, "ended abnormally" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *status = NULL;

      smiley_run_set_state (run, cases[i].state);
      smiley_run_set_exit_status (run, cases[i].exit_status);
      smiley_run_set_signal (run, cases[i].signum);
      status = smiley_run_format_status (run);
      g_assert_true (g_str_has_prefix (status, cases[i].expected));
    }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/smiley/run/new", test_new);
  g_test_add_func ("/smiley/run/metadata", test_metadata);
  g_test_add_func ("/smiley/run/strings", test_strings);
  g_test_add_func ("/smiley/run/threads", test_threads);
  g_test_add_func ("/smiley/run/sources", test_sources);
  g_test_add_func ("/smiley/run/stats", test_stats);
  g_test_add_func ("/smiley/run/format-status", test_format_status);

  return g_test_run ();
}
