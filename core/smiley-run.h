/* smiley-run.h: one execution of a traced program
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#pragma once

#if !defined(SMILEY_INSIDE) && !defined(SMILEY_COMPILATION)
#error "Only <smiley.h> can be included directly."
#endif

#include <glib-object.h>

#include "smiley-stats.h"

G_BEGIN_DECLS

/**
 * SmileyRunState:
 * @SMILEY_RUN_RUNNING: the run has not ended (or its writer vanished
 *   without a trace of how it ended)
 * @SMILEY_RUN_FINISHED: the program ended normally, through sys.exit() or
 *   an uncaught exception, and the tracer saw it end
 * @SMILEY_RUN_ABNORMAL: the program was killed by a signal, called
 *   os._exit(), crashed, or its connection was lost
 */
typedef enum
{
  SMILEY_RUN_RUNNING = 0,
  SMILEY_RUN_FINISHED = 1,
  SMILEY_RUN_ABNORMAL = 2,
} SmileyRunState;

/**
 * SmileyThread:
 * @id: dense id within the run, starting at 1
 * @pid: process the thread belongs to (forked children have their own)
 * @native_id: the kernel's thread id
 * @name: the thread's name as `threading` knows it
 */
typedef struct
{
  guint32 id;
  guint32 pid;
  guint64 native_id;
  char   *name;
} SmileyThread;

#define SMILEY_TYPE_RUN (smiley_run_get_type ())
G_DECLARE_FINAL_TYPE (SmileyRun, smiley_run, SMILEY, RUN, GObject)

SmileyRun *smiley_run_new (const char *id);

const char        *smiley_run_get_id (SmileyRun *self);
const char        *smiley_run_get_description (SmileyRun *self);
void               smiley_run_set_description (SmileyRun *self, const char *description);
const char        *smiley_run_get_cwd (SmileyRun *self);
void               smiley_run_set_cwd (SmileyRun *self, const char *cwd);
const char *const *smiley_run_get_argv (SmileyRun *self);
void               smiley_run_set_argv (SmileyRun *self, const char *const *argv);
guint32            smiley_run_get_pid (SmileyRun *self);
void               smiley_run_set_pid (SmileyRun *self, guint32 pid);
gint64             smiley_run_get_start_time (SmileyRun *self);
void               smiley_run_set_start_time (SmileyRun *self, gint64 unix_us);
gint64             smiley_run_get_end_time (SmileyRun *self);
void               smiley_run_set_end_time (SmileyRun *self, gint64 unix_us);
SmileyRunState     smiley_run_get_state (SmileyRun *self);
void               smiley_run_set_state (SmileyRun *self, SmileyRunState state);
int                smiley_run_get_exit_status (SmileyRun *self);
void               smiley_run_set_exit_status (SmileyRun *self, int status);
int                smiley_run_get_signal (SmileyRun *self);
void               smiley_run_set_signal (SmileyRun *self, int signum);
const char        *smiley_run_get_error (SmileyRun *self);
void               smiley_run_set_error (SmileyRun *self, const char *message);
const char        *smiley_run_get_traceback (SmileyRun *self);
void               smiley_run_set_traceback (SmileyRun *self, const char *traceback);
guint64            smiley_run_get_events_emitted (SmileyRun *self);
void               smiley_run_set_events_emitted (SmileyRun *self, guint64 count);

/* The string table: file, function and variable names, interned once per
 * run. Id 0 is the empty string; ids are dense. */
guint32     smiley_run_intern (SmileyRun *self, const char *text);
gboolean    smiley_run_set_string (SmileyRun *self, guint32 id, const char *text, GError **error);
const char *smiley_run_get_string (SmileyRun *self, guint32 id);
guint32     smiley_run_get_n_strings (SmileyRun *self);

/* Threads, by dense id from 1. Setting an existing id renames it. */
void smiley_run_set_thread (SmileyRun *self, guint32 id, guint32 pid, guint64 native_id,
                            const char *name);
const SmileyThread *smiley_run_get_thread (SmileyRun *self, guint32 id);
guint32             smiley_run_get_n_threads (SmileyRun *self);

/* Source files as the run saw them, in the order they were added. */
void    smiley_run_add_source (SmileyRun *self, guint32 file, GBytes *content);
guint   smiley_run_get_n_sources (SmileyRun *self);
GBytes *smiley_run_get_source (SmileyRun *self, guint index, guint32 *file);

SmileyStats *smiley_run_get_stats (SmileyRun *self);
void         smiley_run_set_stats (SmileyRun *self, SmileyStats *stats);

char *smiley_run_format_status (SmileyRun *self);

G_END_DECLS
