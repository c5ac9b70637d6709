/* views-render.c: renders a run described in JSON with one of the views,
 * for the Python tests that check the output with Python's own readers
 * (pstats, xml.etree, json) until and besides the end-to-end tests
 *
 *   views-render INPUT.json|sample VIEW OUTPUT|- [property=value …]
 *
 * VIEW is stats, pstats, callgraph, chrome or jsonl. Prints one line
 * "views-render: message" and exits 1 on failure, as smiley does.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include <gio/gunixoutputstream.h>
#include <stdlib.h>

#ifndef VIEWS_NO_CALLGRAPH
#include "smiley-callgraph-view.h"
#endif
#include "smiley-chrome-view.h"
#include "smiley-jsonl-view.h"
#include "smiley-memory-store.h"
#include "smiley-pstats-view.h"
#include "smiley-stats-view.h"
#include "views-test-input.h"

/* Under LeakSanitizer: pango and fontconfig, which graphviz measures
 * labels with, keep their font caches until exit on purpose. */
const char *__lsan_default_suppressions (void);

const char *
__lsan_default_suppressions (void)
{
  return "leak:libfontconfig.so\n"
         "leak:libpango\n"
         "leak:libcairo.so\n";
}

static SmileyView *
create_view (const char *name, GError **error)
{
  if (g_str_equal (name, "stats"))
    return SMILEY_VIEW (smiley_stats_view_new ());
  if (g_str_equal (name, "pstats"))
    return SMILEY_VIEW (smiley_pstats_view_new ());
#ifndef VIEWS_NO_CALLGRAPH
  if (g_str_equal (name, "callgraph"))
    return SMILEY_VIEW (smiley_callgraph_view_new ());
#endif
  if (g_str_equal (name, "chrome"))
    return SMILEY_VIEW (smiley_chrome_view_new ());
  if (g_str_equal (name, "jsonl"))
    return SMILEY_VIEW (smiley_jsonl_view_new ());
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "unknown view '%s'", name);
  return NULL;
}

static gboolean
set_option (GObject *object, const char *assignment, GError **error)
{
  g_auto (GStrv) parts = g_strsplit (assignment, "=", 2);
  GParamSpec *pspec;
  g_auto (GValue) value = G_VALUE_INIT;

  if (parts[0] == NULL || parts[1] == NULL
      || (pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (object), parts[0])) == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "bad option '%s'", assignment);
      return FALSE;
    }

  g_value_init (&value, pspec->value_type);
  if (pspec->value_type == G_TYPE_STRING)
    g_value_set_string (&value, parts[1]);
  else if (pspec->value_type == G_TYPE_UINT)
    g_value_set_uint (&value, strtoul (parts[1], NULL, 10));
  else if (pspec->value_type == G_TYPE_DOUBLE)
    g_value_set_double (&value, g_ascii_strtod (parts[1], NULL));
  else if (pspec->value_type == G_TYPE_BOOLEAN)
    g_value_set_boolean (&value, g_str_equal (parts[1], "true"));
  else
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "option '%s': unsupported type",
                   parts[0]);
      return FALSE;
    }
  g_object_set_property (object, parts[0], &value);
  return TRUE;
}

static gboolean
render (int argc, char **argv, GError **error)
{
  g_autoptr (SmileyMemoryStore) store = smiley_memory_store_new ();
  g_autoptr (SmileyRun) run = NULL;
  g_autoptr (SmileyView) view = NULL;
  g_autoptr (GOutputStream) output = NULL;

  if (argc < 4)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "usage: views-render INPUT.json VIEW OUTPUT|- [property=value …]");
      return FALSE;
    }

  /* "sample" is the profile of the GTests, views_test_sample_stats() */
  if (g_str_equal (argv[1], "sample"))
    {
      g_autoptr (SmileyStats) stats = views_test_sample_stats ();

      g_clear_object (&store);
      store = SMILEY_MEMORY_STORE (views_test_store_new (stats, &run));
    }
  else
    run = views_test_load_run_file (argv[1], SMILEY_SINK (store), error);
  if (run == NULL)
    return FALSE;
  view = create_view (argv[2], error);
  if (view == NULL)
    return FALSE;
  for (int i = 4; i < argc; i++)
    if (!set_option (G_OBJECT (view), argv[i], error))
      return FALSE;

  if (g_str_equal (argv[3], "-"))
    output = g_unix_output_stream_new (1, FALSE);
  else
    {
      g_autoptr (GFile) file = g_file_new_for_commandline_arg (argv[3]);

      output
          = G_OUTPUT_STREAM (g_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE, NULL, error));
      if (output == NULL)
        return FALSE;
    }

  if (!smiley_view_render (view, SMILEY_STORE (store), run, output, NULL, error))
    return FALSE;
  return g_output_stream_close (output, NULL, error);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;

  if (!render (argc, argv, &error))
    {
      g_printerr ("views-render: %s\n", error->message);
      return 1;
    }
  return 0;
}
