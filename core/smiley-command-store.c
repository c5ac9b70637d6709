/* smiley-command-store.c: the commands that manage stored runs — list, delete
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include <stdio.h>

#include <json-glib/json-glib.h>

#include "smiley-cli.h"

static GDateTime *
local_time (gint64 unix_us)
{
  g_autoptr (GDateTime) seconds = g_date_time_new_from_unix_local (unix_us / G_USEC_PER_SEC);

  if (seconds == NULL)
    return NULL;
  return g_date_time_add (seconds, unix_us % G_USEC_PER_SEC);
}

static char *
format_time (gint64 unix_us)
{
  g_autoptr (GDateTime) dt = NULL;

  if (unix_us <= 0)
    return g_strdup ("");
  dt = local_time (unix_us);
  return dt ? g_date_time_format (dt, "%Y-%m-%d %H:%M:%S") : g_strdup ("");
}

static char *
format_time_iso (gint64 unix_us)
{
  g_autoptr (GDateTime) dt = NULL;

  if (unix_us <= 0)
    return NULL;
  dt = local_time (unix_us);
  return dt ? g_date_time_format_iso8601 (dt) : NULL;
}

static const char *
state_name (SmileyRunState state)
{
  switch (state)
    {
    case SMILEY_RUN_RUNNING:
      return "running";
    case SMILEY_RUN_FINISHED:
      return "finished";
    case SMILEY_RUN_ABNORMAL:
    default:
      return "abnormal";
    }
}

/* What the last column of `smiley list` says: the error that ended the
 * run, else how it ended. */
static char *
run_outcome (SmileyRun *run)
{
  const char *error = smiley_run_get_error (run);

  if (error != NULL && *error != '\0')
    return g_strdup (error);
  return smiley_run_format_status (run);
}

static gboolean
run_failed (SmileyRun *run)
{
  const char *error = smiley_run_get_error (run);

  return (error != NULL && *error != '\0') || smiley_run_get_state (run) == SMILEY_RUN_ABNORMAL
         || (smiley_run_get_state (run) == SMILEY_RUN_FINISHED
             && smiley_run_get_exit_status (run) != 0);
}

static char *
one_line (const char *text)
{
  char *copy = g_strdup (text ? text : "");

  for (char *p = copy; *p; p++)
    if (*p == '\n' || *p == '\r' || *p == '\t')
      *p = ' ';
  return copy;
}

static void
print_table (GPtrArray *runs)
{
  static const char *headers[] = { "RUN", "DESCRIPTION", "START", "END", "STATUS" };
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify)g_strfreev);
  int widths[G_N_ELEMENTS (headers)];

  for (guint c = 0; c < G_N_ELEMENTS (headers); c++)
    widths[c] = g_utf8_strlen (headers[c], -1);

  for (guint i = 0; i < runs->len; i++)
    {
      SmileyRun       *run = g_ptr_array_index (runs, i);
      char           **row = g_new0 (char *, G_N_ELEMENTS (headers) + 1);
      g_autofree char *outcome = run_outcome (run);

      row[0] = g_strdup (smiley_run_get_id (run));
      row[1] = one_line (smiley_run_get_description (run));
      row[2] = format_time (smiley_run_get_start_time (run));
      row[3] = format_time (smiley_run_get_end_time (run));
      row[4] = one_line (outcome);
      for (guint c = 0; c < G_N_ELEMENTS (headers) - 1; c++)
        widths[c] = MAX (widths[c], (int)g_utf8_strlen (row[c], -1));
      g_ptr_array_add (rows, row);
    }

  /* The description column is capped so a long command line does not push
   * the status off the screen. */
  widths[1] = MIN (widths[1], 40);

  for (guint c = 0; c < G_N_ELEMENTS (headers); c++)
    printf ("%-*s%s", c + 1 < G_N_ELEMENTS (headers) ? widths[c] : 0, headers[c],
            c + 1 < G_N_ELEMENTS (headers) ? "  " : "\n");

  for (guint i = 0; i < rows->len; i++)
    {
      char **row = g_ptr_array_index (rows, i);

      for (guint c = 0; c < G_N_ELEMENTS (headers); c++)
        {
          g_autofree char *cell = NULL;
          int              len = g_utf8_strlen (row[c], -1);

          if (c + 1 == G_N_ELEMENTS (headers))
            {
              printf ("%s\n", row[c]);
              continue;
            }
          if (len > widths[c])
            {
              g_autofree char *head = g_utf8_substring (row[c], 0, widths[c] - 1);

              cell = g_strconcat (head, "…", NULL);
              len = widths[c];
            }
          else
            cell = g_strdup (row[c]);
          /* printf pads bytes, not characters: pad by hand. */
          printf ("%s%*s  ", cell, widths[c] - len, "");
        }
    }
}

static void
print_csv_field (GString *out, const char *text, gboolean last)
{
  text = text ? text : "";
  if (strpbrk (text, ",\"\n\r") != NULL)
    {
      g_string_append_c (out, '"');
      for (const char *p = text; *p; p++)
        {
          if (*p == '"')
            g_string_append_c (out, '"');
          g_string_append_c (out, *p);
        }
      g_string_append_c (out, '"');
    }
  else
    g_string_append (out, text);
  g_string_append (out, last ? "\r\n" : ",");
}

static void
print_csv (GPtrArray *runs)
{
  g_autoptr (GString) out
      = g_string_new ("id,description,start,end,state,exit_status,signal,status,error\r\n");

  for (guint i = 0; i < runs->len; i++)
    {
      SmileyRun       *run = g_ptr_array_index (runs, i);
      g_autofree char *start = format_time_iso (smiley_run_get_start_time (run));
      g_autofree char *end = format_time_iso (smiley_run_get_end_time (run));
      g_autofree char *status = smiley_run_format_status (run);
      g_autofree char *exit_status = g_strdup_printf ("%d", smiley_run_get_exit_status (run));
      g_autofree char *signum = g_strdup_printf ("%d", smiley_run_get_signal (run));

      print_csv_field (out, smiley_run_get_id (run), FALSE);
      print_csv_field (out, smiley_run_get_description (run), FALSE);
      print_csv_field (out, start, FALSE);
      print_csv_field (out, end, FALSE);
      print_csv_field (out, state_name (smiley_run_get_state (run)), FALSE);
      print_csv_field (out, exit_status, FALSE);
      print_csv_field (out, signum, FALSE);
      print_csv_field (out, status, FALSE);
      print_csv_field (out, smiley_run_get_error (run), TRUE);
    }
  fwrite (out->str, 1, out->len, stdout);
}

static void
print_json (GPtrArray *runs)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_array (builder);
  for (guint i = 0; i < runs->len; i++)
    {
      SmileyRun         *run = g_ptr_array_index (runs, i);
      const char *const *argv = smiley_run_get_argv (run);
      g_autofree char   *start = format_time_iso (smiley_run_get_start_time (run));
      g_autofree char   *end = format_time_iso (smiley_run_get_end_time (run));
      g_autofree char   *status = smiley_run_format_status (run);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, smiley_run_get_id (run));
      json_builder_set_member_name (builder, "description");
      json_builder_add_string_value (builder, smiley_run_get_description (run));
      json_builder_set_member_name (builder, "cwd");
      json_builder_add_string_value (builder, smiley_run_get_cwd (run));
      json_builder_set_member_name (builder, "argv");
      json_builder_begin_array (builder);
      for (guint j = 0; argv != NULL && argv[j] != NULL; j++)
        json_builder_add_string_value (builder, argv[j]);
      json_builder_end_array (builder);
      json_builder_set_member_name (builder, "pid");
      json_builder_add_int_value (builder, smiley_run_get_pid (run));
      json_builder_set_member_name (builder, "start");
      if (start != NULL)
        json_builder_add_string_value (builder, start);
      else
        json_builder_add_null_value (builder);
      json_builder_set_member_name (builder, "end");
      if (end != NULL)
        json_builder_add_string_value (builder, end);
      else
        json_builder_add_null_value (builder);
      json_builder_set_member_name (builder, "start_us");
      json_builder_add_int_value (builder, smiley_run_get_start_time (run));
      json_builder_set_member_name (builder, "end_us");
      json_builder_add_int_value (builder, smiley_run_get_end_time (run));
      json_builder_set_member_name (builder, "state");
      json_builder_add_string_value (builder, state_name (smiley_run_get_state (run)));
      json_builder_set_member_name (builder, "exit_status");
      json_builder_add_int_value (builder, smiley_run_get_exit_status (run));
      json_builder_set_member_name (builder, "signal");
      json_builder_add_int_value (builder, smiley_run_get_signal (run));
      json_builder_set_member_name (builder, "status");
      json_builder_add_string_value (builder, status);
      json_builder_set_member_name (builder, "error");
      if (smiley_run_get_error (run) != NULL)
        json_builder_add_string_value (builder, smiley_run_get_error (run));
      else
        json_builder_add_null_value (builder);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  printf ("%s\n", text);
}

/**
 * smiley_command_list:
 *
 * `smiley list [--format table|json|csv] [--errors]`: the runs of the
 * store, newest first.
 */
int
smiley_command_list (SmileyCli *cli, int argc, char **argv, GError **error)
{
  SmileyCommonOptions options = {
    0,
  };
  g_autofree char *format = NULL;
  gboolean         errors_only = FALSE;
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (SmileyStore) store = NULL;
  g_autoptr (GPtrArray) runs = NULL;
  g_autoptr (GPtrArray) shown = NULL;
  int                status = -1;
  const GOptionEntry entries[]
      = { { "format", 0, 0, G_OPTION_ARG_STRING, &format,
            "Output format: table (default), json, csv", "FORMAT" },
          { "errors", 0, 0, G_OPTION_ARG_NONE, &errors_only,
            "Only runs that failed (an exception, a non-zero status, or an abnormal end)", NULL },
          G_OPTION_ENTRY_NULL };

  context = smiley_cli_option_context (cli, NULL, "Lists the recorded runs, newest first.");
  g_option_context_add_main_entries (context, entries, NULL);
  smiley_cli_add_common (context, &options, FALSE, FALSE);

  if (!smiley_cli_parse (cli, context, &argc, &argv, error))
    goto out;
  if (argc > 1)
    {
      g_set_error (error, SMILEY_CLI_ERROR, SMILEY_CLI_ERROR_USAGE, "unexpected argument '%s'",
                   argv[1]);
      goto out;
    }
  if (format != NULL && !g_str_equal (format, "table") && !g_str_equal (format, "json")
      && !g_str_equal (format, "csv"))
    {
      g_set_error (error, SMILEY_CLI_ERROR, SMILEY_CLI_ERROR_USAGE,
                   "--format must be table, json or csv, not '%s'", format);
      goto out;
    }

  store = smiley_cli_open_store_read_only (cli, &options, error);
  if (store == NULL)
    goto out;

  runs = smiley_store_list_runs (store, error);
  if (runs == NULL)
    goto out;

  shown = g_ptr_array_new ();
  for (guint i = 0; i < runs->len; i++)
    if (!errors_only || run_failed (g_ptr_array_index (runs, i)))
      g_ptr_array_add (shown, g_ptr_array_index (runs, i));

  if (format == NULL || g_str_equal (format, "table"))
    print_table (shown);
  else if (g_str_equal (format, "json"))
    print_json (shown);
  else
    print_csv (shown);
  status = 0;

out:
  smiley_common_options_clear (&options);
  return status;
}

/* ISO 8601 as people write it on a command line: a date (midnight, local
 * time), or a date and time with or without a zone (local when absent). */
static GDateTime *
parse_date (const char *text)
{
  g_autoptr (GTimeZone) local = g_time_zone_new_local ();
  g_autofree char *with_time = NULL;

  if (strchr (text, 'T') == NULL && strchr (text, ' ') == NULL)
    {
      with_time = g_strconcat (text, "T00:00:00", NULL);
      return g_date_time_new_from_iso8601 (with_time, local);
    }
  with_time = g_strdelimit (g_strdup (text), " ", 'T');
  return g_date_time_new_from_iso8601 (with_time, local);
}

static gboolean
delete_one (SmileyStore *store, SmileyRun *run, GError **error)
{
  g_autofree char *id = g_strdup (smiley_run_get_id (run));
  g_autofree char *description = g_strdup (smiley_run_get_description (run));

  if (!smiley_store_delete_run (store, id, error))
    return FALSE;
  printf ("deleted %s (%s)\n", id, description ? description : "");
  return TRUE;
}

/**
 * smiley_command_delete:
 *
 * `smiley delete RUN… [--all-before DATE]`: deletes runs given by full id
 * or unique prefix, and all runs that started before DATE.
 */
int
smiley_command_delete (SmileyCli *cli, int argc, char **argv, GError **error)
{
  SmileyCommonOptions options = {
    0,
  };
  g_autofree char *before_text = NULL;
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (SmileyStore) store = NULL;
  g_autoptr (GDateTime) before = NULL;
  g_autoptr (GPtrArray) targets = g_ptr_array_new_with_free_func (g_object_unref);
  int                status = -1;
  const GOptionEntry entries[] = {
    { "all-before", 0, 0, G_OPTION_ARG_STRING, &before_text,
      "Also delete every run that started before DATE (ISO 8601: 2024-05-01 or 2024-05-01T12:00)",
      "DATE" },
    G_OPTION_ENTRY_NULL
  };

  context = smiley_cli_option_context (
      cli, "[RUN…]", "Deletes runs, given by full id or unique prefix (see 'smiley list').");
  g_option_context_add_main_entries (context, entries, NULL);
  smiley_cli_add_common (context, &options, FALSE, FALSE);

  if (!smiley_cli_parse (cli, context, &argc, &argv, error))
    goto out;
  if (argc < 2 && before_text == NULL)
    {
      g_set_error_literal (error, SMILEY_CLI_ERROR, SMILEY_CLI_ERROR_USAGE,
                           "missing the runs to delete (give run ids or --all-before DATE)");
      goto out;
    }
  if (before_text != NULL)
    {
      before = parse_date (before_text);
      if (before == NULL)
        {
          g_set_error (error, SMILEY_CLI_ERROR, SMILEY_CLI_ERROR_USAGE,
                       "--all-before: '%s' is not an ISO 8601 date such as 2024-05-01 or "
                       "2024-05-01T12:00:00",
                       before_text);
          goto out;
        }
    }

  store = smiley_cli_open_store (cli, &options, error);
  if (store == NULL)
    goto out;

  /* Resolve every id before deleting anything, so a typo in the third id
   * does not leave the first two deleted. */
  for (int i = 1; i < argc; i++)
    {
      SmileyRun *run = smiley_store_find_run (store, argv[i], error);
      gboolean   seen = FALSE;

      if (run == NULL)
        goto out;
      for (guint j = 0; j < targets->len; j++)
        if (g_str_equal (smiley_run_get_id (g_ptr_array_index (targets, j)),
                         smiley_run_get_id (run)))
          seen = TRUE;
      if (seen)
        g_object_unref (run);
      else
        g_ptr_array_add (targets, run);
    }

  if (before != NULL)
    {
      g_autoptr (GPtrArray) runs = smiley_store_list_runs (store, error);
      gint64 limit
          = g_date_time_to_unix (before) * G_USEC_PER_SEC + g_date_time_get_microsecond (before);

      if (runs == NULL)
        goto out;
      for (guint i = 0; i < runs->len; i++)
        {
          SmileyRun *run = g_ptr_array_index (runs, i);
          gboolean   seen = FALSE;

          if (smiley_run_get_start_time (run) >= limit)
            continue;
          for (guint j = 0; j < targets->len; j++)
            if (g_str_equal (smiley_run_get_id (g_ptr_array_index (targets, j)),
                             smiley_run_get_id (run)))
              seen = TRUE;
          if (!seen)
            g_ptr_array_add (targets, g_object_ref (run));
        }
    }

  for (guint i = 0; i < targets->len; i++)
    if (!delete_one (store, g_ptr_array_index (targets, i), error))
      goto out;

  if (targets->len == 0)
    printf ("no runs started before %s\n", before_text);
  status = 0;

out:
  smiley_common_options_clear (&options);
  return status;
}
