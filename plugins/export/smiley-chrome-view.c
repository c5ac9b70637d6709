/* smiley-chrome-view.c
 *
 * The Trace Event Format: {"traceEvents": [...], "displayTimeUnit": "ns",
 * "otherData": {...}}, read by Perfetto and chrome://tracing. Each Python
 * call becomes one complete ("X") event with its start and duration in
 * microseconds, found by pairing the call with the event that ends it;
 * metadata ("M") events name the process and its threads.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include "smiley-chrome-view.h"
#include "smiley-export-writer.h"

struct _SmileyChromeView
{
  GObject parent_instance;
};

static void smiley_chrome_view_iface_init (SmileyViewInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SmileyChromeView, smiley_chrome_view, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SMILEY_TYPE_VIEW,
                                                      smiley_chrome_view_iface_init))

/* A frame that has started (or resumed) and not yet ended. */
typedef struct
{
  guint64  call_id;
  gint64   start_ns;
  guint32  file;
  guint32  line;
  guint32  function;
  gboolean is_c;
  gboolean resumed;
  char    *exception;
} OpenFrame;

/* Where a thread's events go in the trace, and what runs on it now. */
typedef struct
{
  guint64 pid;
  guint64 tid;
  GArray *stack; /* OpenFrame, innermost last */
} ThreadTrack;

typedef struct
{
  SmileyRun          *run;
  SmileyExportWriter *writer;
  GHashTable         *tracks;     /* thread id → ThreadTrack */
  GHashTable         *named_pids; /* pids with a process_name event */
  gboolean            first;
  gint64              last_ns;
} ChromeTrace;

static void
open_frame_clear (gpointer data)
{
  OpenFrame *frame = data;

  g_clear_pointer (&frame->exception, g_free);
}

static void
thread_track_free (gpointer data)
{
  ThreadTrack *track = data;

  g_array_unref (track->stack);
  g_free (track);
}

static void
chrome_trace_append (ChromeTrace *trace, JsonNode *node)
{
  smiley_export_writer_append (trace->writer, trace->first ? "\n" : ",\n");
  smiley_export_writer_append_node (trace->writer, node);
  trace->first = FALSE;
}

/* json-glib writes strings byte for byte: text that is not UTF-8 (a
 * damaged store) would make the whole trace unreadable. */
static void
add_string_member (JsonBuilder *builder, const char *name, const char *value)
{
  json_builder_set_member_name (builder, name);
  if (g_utf8_validate (value, -1, NULL))
    json_builder_add_string_value (builder, value);
  else
    {
      g_autofree char *valid = g_utf8_make_valid (value, -1);

      json_builder_add_string_value (builder, valid);
    }
}

static void
append_metadata (ChromeTrace *trace, const char *what, guint64 pid, guint64 tid, const char *name)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) node = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "ph");
  json_builder_add_string_value (builder, "M");
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, what);
  json_builder_set_member_name (builder, "pid");
  json_builder_add_int_value (builder, pid);
  json_builder_set_member_name (builder, "tid");
  json_builder_add_int_value (builder, tid);
  json_builder_set_member_name (builder, "args");
  json_builder_begin_object (builder);
  add_string_member (builder, "name", name);
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  node = json_builder_get_root (builder);
  chrome_trace_append (trace, node);
}

static void
name_process (ChromeTrace *trace, guint64 pid)
{
  const char      *description = smiley_run_get_description (trace->run);
  g_autofree char *name = NULL;

  if (g_hash_table_contains (trace->named_pids, GSIZE_TO_POINTER (pid)))
    return;
  g_hash_table_add (trace->named_pids, GSIZE_TO_POINTER (pid));

  if (description != NULL && *description != '\0')
    name = g_strdup_printf ("%s (pid %" G_GUINT64_FORMAT ")", description, pid);
  else
    name = g_strdup_printf ("run %s (pid %" G_GUINT64_FORMAT ")", smiley_run_get_id (trace->run),
                            pid);
  append_metadata (trace, "process_name", pid, 0, name);
}

/* Threads the run's table knows are shown with their kernel thread id
 * and process (a forked child is its own process); others by their id in
 * the run. */
static ThreadTrack *
chrome_trace_get_track (ChromeTrace *trace, guint32 thread)
{
  ThreadTrack        *track = g_hash_table_lookup (trace->tracks, GUINT_TO_POINTER (thread));
  const SmileyThread *info;
  g_autofree char    *fallback_name = NULL;

  if (track != NULL)
    return track;

  track = g_new0 (ThreadTrack, 1);
  track->stack = g_array_new (FALSE, TRUE, sizeof (OpenFrame));
  g_array_set_clear_func (track->stack, open_frame_clear);
  info = smiley_run_get_thread (trace->run, thread);
  track->pid = info != NULL && info->pid != 0 ? info->pid : smiley_run_get_pid (trace->run);
  track->tid = info != NULL && info->native_id != 0 ? info->native_id : thread;
  g_hash_table_insert (trace->tracks, GUINT_TO_POINTER (thread), track);

  name_process (trace, track->pid);
  if (info == NULL || info->name == NULL)
    fallback_name = g_strdup_printf ("thread %u", thread);
  append_metadata (trace, "thread_name", track->pid, track->tid,
                   fallback_name != NULL ? fallback_name : info->name);
  return track;
}

/* Ends @frame at @end_ns: one complete event. @how names what ended it
 * ("return", "yield") and @value is that event's argument. */
static void
chrome_trace_end_frame (ChromeTrace *trace, ThreadTrack *track, const OpenFrame *frame,
                        gint64 end_ns, const char *how, const char *value)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) node = NULL;
  const char *file = smiley_run_get_string (trace->run, frame->file);
  const char *function = smiley_run_get_string (trace->run, frame->function);

  json_builder_begin_object (builder);
  add_string_member (builder, "ph", "X");
  add_string_member (builder, "name", function != NULL ? function : "?");
  add_string_member (builder, "cat", frame->is_c ? "builtin" : (file != NULL ? file : "?"));
  json_builder_set_member_name (builder, "ts");
  json_builder_add_double_value (builder, frame->start_ns / 1000.0);
  json_builder_set_member_name (builder, "dur");
  json_builder_add_double_value (builder, MAX (end_ns - frame->start_ns, 0) / 1000.0);
  json_builder_set_member_name (builder, "pid");
  json_builder_add_int_value (builder, track->pid);
  json_builder_set_member_name (builder, "tid");
  json_builder_add_int_value (builder, track->tid);

  json_builder_set_member_name (builder, "args");
  json_builder_begin_object (builder);
  if (!frame->is_c)
    {
      add_string_member (builder, "file", file != NULL ? file : "?");
      json_builder_set_member_name (builder, "line");
      json_builder_add_int_value (builder, frame->line);
    }
  json_builder_set_member_name (builder, "call_id");
  json_builder_add_int_value (builder, frame->call_id);
  if (frame->resumed)
    {
      json_builder_set_member_name (builder, "resumed");
      json_builder_add_boolean_value (builder, TRUE);
    }
  if (frame->exception != NULL)
    add_string_member (builder, "exception", frame->exception);
  if (how != NULL && value != NULL)
    add_string_member (builder, how, value);
  if (how == NULL)
    {
      json_builder_set_member_name (builder, "unfinished");
      json_builder_add_boolean_value (builder, TRUE);
    }
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  node = json_builder_get_root (builder);
  chrome_trace_append (trace, node);
}

/* Ends every frame above @depth (exclusive) at @end_ns: frames left by an
 * exception, or whose end the tracer did not see, end no later than the
 * frame that was running them. */
static void
chrome_trace_unwind (ChromeTrace *trace, ThreadTrack *track, guint depth, gint64 end_ns)
{
  while (track->stack->len > depth)
    {
      guint top = track->stack->len - 1;

      chrome_trace_end_frame (trace, track, &g_array_index (track->stack, OpenFrame, top), end_ns,
                              NULL, NULL);
      g_array_remove_index (track->stack, top);
    }
}

static int
find_open_frame (ThreadTrack *track, const SmileyEvent *event, gboolean is_c)
{
  for (guint i = track->stack->len; i > 0; i--)
    {
      const OpenFrame *frame = &g_array_index (track->stack, OpenFrame, i - 1);

      /* A C function has no frame of its own; match it by name as well
       * in case the tracer gives it its caller's call id. */
      if (frame->is_c == is_c && frame->call_id == event->call_id
          && (!is_c || frame->function == event->function))
        return i - 1;
    }
  return -1;
}

static void
chrome_trace_add_event (ChromeTrace *trace, const SmileyEvent *event)
{
  ThreadTrack *track = chrome_trace_get_track (trace, event->thread);
  gboolean     is_c = event->kind == SMILEY_EVENT_C_CALL || event->kind == SMILEY_EVENT_C_RETURN
                  || event->kind == SMILEY_EVENT_C_EXCEPTION;
  int found;

  trace->last_ns = MAX (trace->last_ns, event->time_ns);

  switch (event->kind)
    {
    case SMILEY_EVENT_CALL:
    case SMILEY_EVENT_RESUME:
    case SMILEY_EVENT_C_CALL:
      {
        OpenFrame frame = {
          .call_id = event->call_id,
          .start_ns = event->time_ns,
          .file = event->file,
          .line = event->line,
          .function = event->function,
          .is_c = is_c,
          .resumed = event->kind == SMILEY_EVENT_RESUME,
        };

        g_array_append_val (track->stack, frame);
        break;
      }

    case SMILEY_EVENT_EXCEPTION:
      found = find_open_frame (track, event, FALSE);
      if (found >= 0 && event->arg != NULL)
        {
          OpenFrame *frame = &g_array_index (track->stack, OpenFrame, found);

          g_free (frame->exception);
          frame->exception = g_strdup (event->arg);
        }
      break;

    case SMILEY_EVENT_RETURN:
    case SMILEY_EVENT_YIELD:
    case SMILEY_EVENT_C_RETURN:
    case SMILEY_EVENT_C_EXCEPTION:
      /* An end without a start (tracing began inside the frame) has no
       * interval to show. */
      found = find_open_frame (track, event, is_c);
      if (found < 0)
        break;
      chrome_trace_unwind (trace, track, found + 1, event->time_ns);
      chrome_trace_end_frame (trace, track, &g_array_index (track->stack, OpenFrame, found),
                              event->time_ns,
                              event->kind == SMILEY_EVENT_YIELD         ? "yield"
                              : event->kind == SMILEY_EVENT_C_EXCEPTION ? "exception"
                                                                        : "return",
                              event->arg);
      g_array_remove_index (track->stack, found);
      break;

    case SMILEY_EVENT_LINE:
    default:
      break;
    }
}

static JsonNode *
run_metadata (SmileyRun *run)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autofree char   *status = smiley_run_format_status (run);
  const char *const *argv = smiley_run_get_argv (run);

  json_builder_begin_object (builder);
  add_string_member (builder, "run_id", smiley_run_get_id (run));
  if (smiley_run_get_description (run) != NULL)
    add_string_member (builder, "description", smiley_run_get_description (run));
  if (argv != NULL)
    {
      g_autofree char *command = g_strjoinv (" ", (char **)argv);

      add_string_member (builder, "argv", command);
    }
  if (smiley_run_get_cwd (run) != NULL)
    add_string_member (builder, "cwd", smiley_run_get_cwd (run));
  json_builder_set_member_name (builder, "pid");
  json_builder_add_int_value (builder, smiley_run_get_pid (run));
  json_builder_set_member_name (builder, "start_time_us");
  json_builder_add_int_value (builder, smiley_run_get_start_time (run));
  json_builder_set_member_name (builder, "end_time_us");
  json_builder_add_int_value (builder, smiley_run_get_end_time (run));
  add_string_member (builder, "status", status);
  if (smiley_run_get_error (run) != NULL)
    add_string_member (builder, "error", smiley_run_get_error (run));
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static gboolean
smiley_chrome_view_render (SmileyView *view, SmileyStore *store, SmileyRun *run,
                           GOutputStream *output, GCancellable *cancellable, GError **error)
{
  g_autoptr (SmileyExportWriter) writer = NULL;
  g_autoptr (GHashTable) tracks = NULL;
  g_autoptr (GHashTable) named_pids = NULL;
  g_autoptr (JsonNode) metadata = NULL;
  ChromeTrace    trace = { 0 };
  GHashTableIter iter;
  gpointer       value;
  guint64        offset = 0;

  if (run == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "a trace export shows one run: name the run");
      return FALSE;
    }

  writer = smiley_export_writer_new (output, cancellable);
  tracks = g_hash_table_new_full (NULL, NULL, NULL, thread_track_free);
  named_pids = g_hash_table_new (NULL, NULL);
  trace = (ChromeTrace){ run, writer, tracks, named_pids, TRUE, 0 };

  smiley_export_writer_append (writer, "{\"traceEvents\":[");

  name_process (&trace, smiley_run_get_pid (run));
  /* Name every thread the run knows, even those with no calls. */
  for (guint32 id = 1; id <= smiley_run_get_n_threads (run); id++)
    if (smiley_run_get_thread (run, id) != NULL)
      chrome_trace_get_track (&trace, id);

  for (;;)
    {
      g_autoptr (SmileyBatch) batch
          = smiley_export_next_events (store, run, &offset, cancellable, error);
      guint length;

      if (batch == NULL)
        return FALSE;
      length = smiley_batch_get_length (batch);
      if (length == 0)
        break;
      for (guint i = 0; i < length; i++)
        chrome_trace_add_event (&trace, smiley_batch_get_event (batch, i));
      if (!smiley_export_writer_flush (writer, FALSE, error))
        return FALSE;
    }

  /* Frames still open when the events stop (the program crashed or was
   * killed) end with the run's last event. */
  g_hash_table_iter_init (&iter, tracks);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    chrome_trace_unwind (&trace, value, 0, trace.last_ns);

  smiley_export_writer_append (writer, "\n],\n\"displayTimeUnit\":\"ns\",\n\"otherData\":");
  metadata = run_metadata (run);
  smiley_export_writer_append_node (writer, metadata);
  smiley_export_writer_append (writer, "}\n");
  return smiley_export_writer_flush (writer, TRUE, error);
}

static void
smiley_chrome_view_iface_init (SmileyViewInterface *iface)
{
  iface->render = smiley_chrome_view_render;
}

static void
smiley_chrome_view_class_init (SmileyChromeViewClass *klass)
{
}

static void
smiley_chrome_view_init (SmileyChromeView *self)
{
}

/**
 * smiley_chrome_view_new:
 *
 * Returns: (transfer full): a Chrome trace export view
 */
SmileyChromeView *
smiley_chrome_view_new (void)
{
  return g_object_new (SMILEY_TYPE_CHROME_VIEW, NULL);
}
