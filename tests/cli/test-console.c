/* test-console.c: the console sink's format (the monitor format)
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include <glib/gstdio.h>

#include "smiley.h"
#include "smiley-pipeline.h"

typedef struct
{
  SmileyPluginRegistry *registry;
  char                 *dir;
  char                 *output;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->registry = smiley_plugin_registry_new ();
  smiley_plugin_registry_load_defaults (f->registry);
  g_assert_nonnull (smiley_plugin_registry_lookup (f->registry, SMILEY_TYPE_SINK, "console"));
  f->dir = g_dir_make_tmp ("smiley-console-XXXXXX", &error);
  g_assert_no_error (error);
  f->output = g_build_filename (f->dir, "out.txt", NULL);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_unlink (f->output);
  g_rmdir (f->dir);
  g_free (f->output);
  g_free (f->dir);
  g_object_unref (f->registry);
}

/* Sets a property as the pipeline does, from the text a user wrote. */
static void
set_from_text (GObject *object, const char *name, const char *text)
{
  g_autoptr (GError) error = NULL;
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (object), name);
  GValue      value = G_VALUE_INIT;

  g_assert_nonnull (pspec);
  g_assert_true (smiley_value_from_string (pspec, text, &value, &error));
  g_assert_no_error (error);
  g_object_set_property (object, name, &value);
  g_value_unset (&value);
}

static SmileySink *
make_console (Fixture *f, const char *color)
{
  g_autoptr (GError) error = NULL;
  GObject *sink = smiley_plugin_registry_create (f->registry, SMILEY_TYPE_SINK, "console", &error);

  g_assert_no_error (error);
  set_from_text (sink, "color", color);
  g_object_set (sink, "output", f->output, NULL);
  g_assert_true (g_initable_init (G_INITABLE (sink), NULL, &error));
  g_assert_no_error (error);
  return SMILEY_SINK (sink);
}

static char *
read_output (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  char *text = NULL;

  g_file_get_contents (f->output, &text, NULL, &error);
  g_assert_no_error (error);
  return text;
}

static SmileyRun *
make_run (const char *id)
{
  SmileyRun *run = smiley_run_new (id);
  g_autoptr (GBytes) source
      = g_bytes_new_static ("def f(a):\n    b = a * 2   \n    return b\n", 40);

  smiley_run_set_cwd (run, "/home/u/proj");
  smiley_run_set_argv (run, (const char *const[]){ "prog.py", "it's", "a \"b\"\n", NULL });
  smiley_run_set_thread (run, 1, 10, 10, "MainThread");
  smiley_run_set_thread (run, 2, 10, 11, "worker");
  smiley_run_add_source (run, smiley_run_intern (run, "/home/u/proj/prog.py"), source);
  return run;
}

static void
add (SmileyBatch *batch, SmileyRun *run, SmileyEventKind kind, guint32 thread, const char *file,
     guint32 line, const char *function, const char *arg, guint n_locals, const SmileyLocal *locals)
{
  SmileyEvent ev = {
    0,
  };

  ev.kind = kind;
  ev.thread = thread;
  ev.file = smiley_run_intern (run, file);
  ev.line = line;
  ev.function = smiley_run_intern (run, function);
  ev.arg = arg;
  ev.n_locals = n_locals;
  ev.locals = locals;
  smiley_batch_add (batch, &ev);
}

static void
push (SmileySink *sink, SmileyRun *run, SmileyBatch *batch)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (smiley_sink_push (sink, run, batch, &error));
  g_assert_no_error (error);
  smiley_batch_clear (batch);
}

static void
test_format (Fixture *f, gconstpointer data)
{
  g_autoptr (SmileySink) sink = make_console (f, "never");
  g_autoptr (SmileyRun) run = make_run ("0123456789abcdef");
  g_autoptr (SmileyBatch) batch = smiley_batch_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  const char      *prog = "/home/u/proj/prog.py";
  guint32          a = smiley_run_intern (run, "a"), b = smiley_run_intern (run, "b");

  g_assert_true (smiley_sink_begin_run (sink, run, &error));
  add (batch, run, SMILEY_EVENT_CALL, 1, prog, 1, "f", NULL, 1, (SmileyLocal[]){ { a, "21" } });
  add (batch, run, SMILEY_EVENT_LINE, 1, prog, 2, "f", NULL, 0, NULL);
  add (batch, run, SMILEY_EVENT_C_CALL, 1, "~", 0, "<built-in function len>", NULL, 0, NULL);
  add (batch, run, SMILEY_EVENT_C_RETURN, 1, "~", 0, "<built-in function len>", NULL, 0, NULL);
  add (batch, run, SMILEY_EVENT_LINE, 1, prog, 3, "f", NULL, 2,
       (SmileyLocal[]){ { b, "42" }, { a, NULL } });
  add (batch, run, SMILEY_EVENT_YIELD, 1, prog, 3, "f", "42", 0, NULL);
  add (batch, run, SMILEY_EVENT_RESUME, 1, prog, 3, "f", NULL, 0, NULL);
  add (batch, run, SMILEY_EVENT_LINE, 1, "/usr/lib/python3.11/json/__init__.py", 7, "loads", NULL,
       0, NULL);
  add (batch, run, SMILEY_EVENT_LINE, 1, prog, 99, "f", NULL, 0, NULL);
  add (batch, run, SMILEY_EVENT_EXCEPTION, 1, prog, 3, "f", "ValueError: no <b>", 0, NULL);
  add (batch, run, SMILEY_EVENT_RETURN, 1, prog, 3, "f", "None", 0, NULL);
  push (sink, run, batch);
  smiley_run_set_state (run, SMILEY_RUN_FINISHED);
  g_assert_true (smiley_sink_end_run (sink, run, &error));
  g_assert_no_error (error);

  text = read_output (f);
  g_assert_cmpstr (text, ==,
                   "Starting new run: ['prog.py', \"it's\", 'a \"b\"\\n']\n"
                   "prog.py:1: call>>> f\n"
                   "    a = 21\n"
                   "prog.py:2:     b = a * 2\n"
                   "prog.py:3:     return b\n"
                   "    b = 42\n"
                   "    del a\n"
                   "prog.py:3: yield>>> 42\n"
                   "prog.py:3: resume>>> f\n"
                   "/usr/lib/python3.11/json/__init__.py:7:\n"
                   "prog.py:99:\n"
                   "prog.py:3: exception>>> ValueError: no <b>\n"
                   "prog.py:3: return>>> None\n"
                   "Finished run\n");
}

static void
test_threads (Fixture *f, gconstpointer data)
{
  g_autoptr (SmileySink) sink = make_console (f, "never");
  g_autoptr (SmileyRun) run = make_run ("0123456789abcdef");
  g_autoptr (SmileyBatch) batch = smiley_batch_new ();
  g_autofree char *text = NULL;
  const char      *prog = "/home/u/proj/prog.py";

  g_assert_true (smiley_sink_begin_run (sink, run, NULL));
  add (batch, run, SMILEY_EVENT_CALL, 1, prog, 1, "f", NULL, 0, NULL);
  push (sink, run, batch);
  /* The prefix starts with the first event of a second thread. */
  add (batch, run, SMILEY_EVENT_CALL, 2, prog, 1, "f", NULL, 0, NULL);
  add (batch, run, SMILEY_EVENT_RETURN, 1, prog, 3, "f", "1", 0, NULL);
  add (batch, run, SMILEY_EVENT_RETURN, 3, prog, 3, "f", "2", 0, NULL);
  push (sink, run, batch);
  smiley_run_set_state (run, SMILEY_RUN_FINISHED);
  g_assert_true (smiley_sink_end_run (sink, run, NULL));

  text = read_output (f);
  g_assert_cmpstr (text, ==,
                   "Starting new run: ['prog.py', \"it's\", 'a \"b\"\\n']\n"
                   "prog.py:1: call>>> f\n"
                   "[worker] prog.py:1: call>>> f\n"
                   "[MainThread] prog.py:3: return>>> 1\n"
                   "[thread 3] prog.py:3: return>>> 2\n"
                   "Finished run\n");
}

static void
test_runs (Fixture *f, gconstpointer data)
{
  g_autoptr (SmileySink) sink = make_console (f, "never");
  g_autoptr (SmileyRun) one = make_run ("11111111-aaaa");
  g_autoptr (SmileyRun) two = make_run ("22222222-bbbb");
  g_autoptr (SmileyBatch) batch = smiley_batch_new ();
  g_autofree char *text = NULL;

  smiley_run_set_argv (two, (const char *const[]){ "two.py", NULL });
  smiley_run_set_cwd (two, "/elsewhere/");

  g_assert_true (smiley_sink_begin_run (sink, one, NULL));
  add (batch, one, SMILEY_EVENT_CALL, 1, "/home/u/proj/prog.py", 1, "f", NULL, 0, NULL);
  push (sink, one, batch);
  g_assert_true (smiley_sink_begin_run (sink, two, NULL));
  add (batch, two, SMILEY_EVENT_CALL, 1, "/elsewhere/two.py", 5, "g", NULL, 0, NULL);
  push (sink, two, batch);
  add (batch, one, SMILEY_EVENT_RETURN, 1, "/home/u/proj/prog.py", 3, "f", "1", 0, NULL);
  push (sink, one, batch);
  smiley_run_set_state (one, SMILEY_RUN_ABNORMAL);
  smiley_run_set_signal (one, 9);
  g_assert_true (smiley_sink_end_run (sink, one, NULL));
  /* Alone again: no prefix. */
  add (batch, two, SMILEY_EVENT_RETURN, 1, "/elsewhere/two.py", 6, "g", "2", 0, NULL);
  push (sink, two, batch);
  smiley_run_set_state (two, SMILEY_RUN_FINISHED);
  smiley_run_set_exit_status (two, 1);
  smiley_run_set_error (two, "RuntimeError: boom");
  g_assert_true (smiley_sink_end_run (sink, two, NULL));

  text = read_output (f);
  g_assert_cmpstr (text, ==,
                   "Starting new run: ['prog.py', \"it's\", 'a \"b\"\\n']\n"
                   "prog.py:1: call>>> f\n"
                   "[22222222] Starting new run: ['two.py']\n"
                   "[22222222] two.py:5: call>>> g\n"
                   "[11111111] prog.py:3: return>>> 1\n"
                   "[11111111] Finished run: killed by signal 9 (Killed)\n"
                   "two.py:6: return>>> 2\n"
                   "Finished run: RuntimeError: boom\n");
}

static void
test_unfinished (Fixture *f, gconstpointer data)
{
  g_autoptr (SmileySink) sink = make_console (f, "never");
  g_autoptr (SmileyRun) run = make_run ("0123456789abcdef");
  g_autofree char *text = NULL;

  /* What a replay of a run whose recorder was killed shows at its end. */
  g_assert_true (smiley_sink_begin_run (sink, run, NULL));
  g_assert_true (smiley_sink_end_run (sink, run, NULL));
  text = read_output (f);
  g_assert_cmpstr (
      text, ==,
      "Starting new run: ['prog.py', \"it's\", 'a \"b\"\\n']\n"
      "Finished run: not finished (still running, or its recording stopped before the end)\n");
}

static void
test_color (Fixture *f, gconstpointer data)
{
  g_autoptr (SmileySink) sink = make_console (f, "always");
  g_autoptr (SmileyRun) run = make_run ("0123456789abcdef");
  g_autoptr (SmileyBatch) batch = smiley_batch_new ();
  g_autofree char *text = NULL;

  g_assert_true (smiley_sink_begin_run (sink, run, NULL));
  add (batch, run, SMILEY_EVENT_RETURN, 1, "/home/u/proj/prog.py", 3, "f", "1", 0, NULL);
  add (batch, run, SMILEY_EVENT_EXCEPTION, 1, "/home/u/proj/prog.py", 3, "f", "E: x", 0, NULL);
  push (sink, run, batch);
  g_assert_true (smiley_sink_end_run (sink, run, NULL));

  text = read_output (f);
  g_assert_nonnull (strstr (text, "\033[2mprog.py:3:\033[0m \033[32mreturn>>>\033[0m 1\n"));
  g_assert_nonnull (strstr (text, "\033[2mprog.py:3:\033[0m \033[1;31mexception>>>\033[0m E: x\n"));
}

static void
test_auto_color_in_file (Fixture *f, gconstpointer data)
{
  g_autoptr (SmileySink) sink = make_console (f, "auto");
  g_autoptr (SmileyRun) run = make_run ("0123456789abcdef");
  g_autofree char *text = NULL;

  g_assert_true (smiley_sink_begin_run (sink, run, NULL));
  g_assert_true (smiley_sink_end_run (sink, run, NULL));
  text = read_output (f);
  g_assert_null (strchr (text, '\033'));
}

static void
test_errors (Fixture *f, gconstpointer data)
{
  static const struct
  {
    const char *prop;
    const char *value;
    const char *message;
  } cases[] = {
    { "output", "/nonexistent/dir/out.txt",
      "cannot write /nonexistent/dir/out.txt: No such file or directory" },
  };
  /* The choices are enumerations: a bad one is refused as text, where the
   * pipeline can still say which file and line it came from. */
  static const struct
  {
    const char *prop;
    const char *value;
    const char *message;
  } text_cases[] = {
    { "stream", "stdlog", "'stdlog' is not one of stdout, stderr" },
    { "color", "sometimes", "'sometimes' is not one of auto, always, never" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GObject) sink
          = smiley_plugin_registry_create (f->registry, SMILEY_TYPE_SINK, "console", &error);

      g_object_set (sink, cases[i].prop, cases[i].value, NULL);
      g_assert_false (g_initable_init (G_INITABLE (sink), NULL, &error));
      g_assert_cmpstr (error->message, ==, cases[i].message);
    }

  for (guint i = 0; i < G_N_ELEMENTS (text_cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GObject) sink
          = smiley_plugin_registry_create (f->registry, SMILEY_TYPE_SINK, "console", &error);
      GParamSpec *pspec
          = g_object_class_find_property (G_OBJECT_GET_CLASS (sink), text_cases[i].prop);
      GValue value = G_VALUE_INIT;

      g_assert_false (smiley_value_from_string (pspec, text_cases[i].value, &value, &error));
      g_assert_cmpstr (error->message, ==, text_cases[i].message);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func)                                                                            \
  g_test_add ("/smiley/console/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("format", test_format);
  ADD ("threads", test_threads);
  ADD ("runs", test_runs);
  ADD ("unfinished", test_unfinished);
  ADD ("color", test_color);
  ADD ("auto-color-in-file", test_auto_color_in_file);
  ADD ("errors", test_errors);

  return g_test_run ();
}
