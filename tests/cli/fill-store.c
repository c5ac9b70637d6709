/* fill-store.c: writes a synthetic run into a store through the plugin
 * registry, so the CLI tests can list, replay and delete runs without the
 * tracer.
 *
 * Usage: fill-store URI [--threads] [--error] [--abnormal] [--start UNIX_S]
 *                       [--id ID] [--description TEXT] [--sink NAME]
 * Prints the run id.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include <stdio.h>

#include "smiley.h"
#include "smiley-pipeline.h"

static const char test_py[] = "import sys\n"
                              "\n"
                              "def add(a, b):\n"
                              "    total = a + b   \n"
                              "    return total\n"
                              "\n"
                              "def main():\n"
                              "    x = add(1, 2)\n"
                              "    try:\n"
                              "        raise ValueError('bad')\n"
                              "    except ValueError:\n"
                              "        pass\n";

static void
add_event (SmileyBatch *batch, SmileyEventKind kind, guint32 thread, guint64 call_id, guint32 file,
           guint32 line, guint32 function, const char *arg, guint n_locals,
           const SmileyLocal *locals)
{
  static gint64 clock;
  SmileyEvent   ev = {
      0,
  };

  ev.kind = kind;
  ev.thread = thread;
  ev.call_id = call_id;
  ev.time_ns = clock += 1000;
  ev.file = file;
  ev.line = line;
  ev.function = function;
  ev.arg = arg;
  ev.n_locals = n_locals;
  ev.locals = locals;
  smiley_batch_add (batch, &ev);
}

int
main (int argc, char **argv)
{
  g_autoptr (SmileyPluginRegistry) registry = smiley_plugin_registry_new ();
  g_autoptr (SmileyPipeline) pipeline = NULL;
  g_autoptr (SmileyRun) run = NULL;
  g_autoptr (SmileyBatch) batch = smiley_batch_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char   *id = NULL;
  g_autofree char   *description = NULL;
  g_autofree char   *sink_name = NULL;
  gboolean           threads = FALSE, with_error = FALSE, abnormal = FALSE;
  gint64             start = 0;
  SmileySink        *sink;
  guint32            file, f_main, f_add, n_a, n_b, n_total, n_x;
  const GOptionEntry entries[]
      = { { "threads", 0, 0, G_OPTION_ARG_NONE, &threads, "two threads", NULL },
          { "error", 0, 0, G_OPTION_ARG_NONE, &with_error, "end with an exception", NULL },
          { "abnormal", 0, 0, G_OPTION_ARG_NONE, &abnormal, "killed by SIGKILL", NULL },
          { "start", 0, 0, G_OPTION_ARG_INT64, &start, "start time, unix seconds", NULL },
          { "id", 0, 0, G_OPTION_ARG_STRING, &id, "run id", NULL },
          { "description", 0, 0, G_OPTION_ARG_STRING, &description, "description", NULL },
          { "sink", 0, 0, G_OPTION_ARG_STRING, &sink_name, "a sink instead of the store", NULL },
          G_OPTION_ENTRY_NULL };
  g_autoptr (GOptionContext) context = g_option_context_new ("URI");

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc != 2)
    {
      fprintf (stderr, "usage: fill-store URI [options]\n");
      return 2;
    }

  smiley_plugin_registry_load_defaults (registry);
  pipeline = smiley_pipeline_new (registry);
  smiley_pipeline_set_role (pipeline, SMILEY_PIPELINE_SINK, sink_name ? sink_name : "store");
  smiley_pipeline_set_role (pipeline, SMILEY_PIPELINE_STORE, argv[1]);
  if (sink_name != NULL)
    smiley_pipeline_add_optional (pipeline, SMILEY_SETTING_FLAG, "color", "never", NULL);
  if (!smiley_pipeline_build (pipeline, &error)
      || !smiley_pipeline_initialize (pipeline, NULL, &error))
    {
      fprintf (stderr, "fill-store: %s\n", error->message);
      return 1;
    }
  sink = smiley_pipeline_get_object (pipeline, SMILEY_PIPELINE_SINK);

  if (id == NULL)
    id = g_uuid_string_random ();
  run = smiley_run_new (id);
  smiley_run_set_description (run, description ? description : "test.py -t");
  smiley_run_set_cwd (run, "/tmp/proj");
  smiley_run_set_argv (run, (const char *const[]){ "test.py", "-t", NULL });
  smiley_run_set_pid (run, 4242);
  smiley_run_set_start_time (run, (start ? start : g_get_real_time () / G_USEC_PER_SEC)
                                      * G_USEC_PER_SEC);
  smiley_run_set_thread (run, 1, 4242, 4242, "MainThread");
  if (threads)
    smiley_run_set_thread (run, 2, 4242, 4243, "worker-1");

  file = smiley_run_intern (run, "/tmp/proj/test.py");
  f_main = smiley_run_intern (run, "main");
  f_add = smiley_run_intern (run, "add");
  n_a = smiley_run_intern (run, "a");
  n_b = smiley_run_intern (run, "b");
  n_total = smiley_run_intern (run, "total");
  n_x = smiley_run_intern (run, "x");
  {
    g_autoptr (GBytes) content = g_bytes_new_static (test_py, sizeof test_py - 1);
    smiley_run_add_source (run, file, content);
  }

  if (!smiley_sink_begin_run (sink, run, &error))
    goto fail;

  add_event (batch, SMILEY_EVENT_CALL, 1, 1, file, 7, f_main, NULL, 0, NULL);
  add_event (batch, SMILEY_EVENT_LINE, 1, 1, file, 8, f_main, NULL, 0, NULL);
  add_event (batch, SMILEY_EVENT_CALL, 1, 2, file, 3, f_add, NULL, 2,
             (SmileyLocal[]){ { n_a, "1" }, { n_b, "2" } });
  add_event (batch, SMILEY_EVENT_LINE, 1, 2, file, 4, f_add, NULL, 0, NULL);
  add_event (batch, SMILEY_EVENT_LINE, 1, 2, file, 5, f_add, NULL, 1,
             (SmileyLocal[]){ { n_total, "3" } });
  add_event (batch, SMILEY_EVENT_RETURN, 1, 2, file, 5, f_add, "3", 0, NULL);
  if (!smiley_sink_push (sink, run, batch, &error))
    goto fail;
  smiley_batch_clear (batch);

  if (threads)
    {
      add_event (batch, SMILEY_EVENT_CALL, 2, 3, file, 3, f_add, NULL, 2,
                 (SmileyLocal[]){ { n_a, "'x'" }, { n_b, "'y'" } });
      add_event (batch, SMILEY_EVENT_RETURN, 2, 3, file, 5, f_add, "'xy'", 0, NULL);
    }
  add_event (batch, SMILEY_EVENT_LINE, 1, 1, file, 9, f_main, NULL, 1,
             (SmileyLocal[]){ { n_x, "3" } });
  add_event (batch, SMILEY_EVENT_LINE, 1, 1, file, 10, f_main, NULL, 0, NULL);
  add_event (batch, SMILEY_EVENT_EXCEPTION, 1, 1, file, 10, f_main, "ValueError: bad", 0, NULL);
  add_event (batch, SMILEY_EVENT_LINE, 1, 1, file, 12, f_main, NULL, 1,
             (SmileyLocal[]){ { n_x, NULL } });
  add_event (batch, SMILEY_EVENT_RETURN, 1, 1, file, 12, f_main, "None", 0, NULL);
  if (!smiley_sink_push (sink, run, batch, &error))
    goto fail;

  smiley_run_set_end_time (run, smiley_run_get_start_time (run) + 1500000);
  if (abnormal)
    {
      smiley_run_set_state (run, SMILEY_RUN_ABNORMAL);
      smiley_run_set_signal (run, 9);
      smiley_run_set_exit_status (run, -1);
    }
  else
    {
      smiley_run_set_state (run, SMILEY_RUN_FINISHED);
      smiley_run_set_exit_status (run, with_error ? 1 : 0);
      if (with_error)
        smiley_run_set_error (run, "RuntimeError: boom");
    }
  if (!smiley_sink_end_run (sink, run, &error) || !smiley_sink_flush (sink, &error))
    goto fail;

  printf ("%s\n", id);
  return 0;

fail:
  fprintf (stderr, "fill-store: %s\n", error->message);
  return 1;
}
