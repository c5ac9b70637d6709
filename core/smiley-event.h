/* smiley-event.h: one thing a traced program did
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#pragma once

#if !defined(SMILEY_INSIDE) && !defined(SMILEY_COMPILATION)
#error "Only <smiley.h> can be included directly."
#endif

#include <glib.h>

G_BEGIN_DECLS

/**
 * SmileyEventKind:
 * @SMILEY_EVENT_CALL: a Python frame starts; its locals are the arguments
 * @SMILEY_EVENT_LINE: a line is about to run; locals are those that changed
 * @SMILEY_EVENT_RETURN: a frame returns for good; arg is the return value
 * @SMILEY_EVENT_EXCEPTION: an exception is raised in (or passes through) a
 *   frame; arg is "Type: message"
 * @SMILEY_EVENT_YIELD: a generator or coroutine frame suspends; arg is the
 *   yielded value
 * @SMILEY_EVENT_RESUME: a suspended generator or coroutine frame resumes
 * @SMILEY_EVENT_C_CALL: a C function is called (profiling)
 * @SMILEY_EVENT_C_RETURN: a C function returns (profiling)
 * @SMILEY_EVENT_C_EXCEPTION: a C function raised (profiling)
 *
 * The values are part of the wire format and the store schemas: never
 * renumber them.
 */
typedef enum
{
  SMILEY_EVENT_CALL = 1,
  SMILEY_EVENT_LINE = 2,
  SMILEY_EVENT_RETURN = 3,
  SMILEY_EVENT_EXCEPTION = 4,
  SMILEY_EVENT_YIELD = 5,
  SMILEY_EVENT_RESUME = 6,
  SMILEY_EVENT_C_CALL = 7,
  SMILEY_EVENT_C_RETURN = 8,
  SMILEY_EVENT_C_EXCEPTION = 9,
} SmileyEventKind;

#define SMILEY_EVENT_KIND_LAST SMILEY_EVENT_C_EXCEPTION

/**
 * SmileyLocal:
 * @name: string id of the variable name (see smiley_run_get_string())
 * @value: the bounded repr of the value, UTF-8, owned by the batch; %NULL
 *   when the variable was deleted
 */
typedef struct
{
  guint32     name;
  const char *value;
} SmileyLocal;

/**
 * SmileyEvent:
 * @kind: what happened
 * @thread: id of the thread in the run's thread table (see
 *   smiley_run_get_thread()); threads of forked children have their own ids
 * @call_id: unique within the run for one activation of a frame; every
 *   event of that activation carries it, so a viewer rebuilds the call tree
 * @parent_call_id: call id of the calling frame, 0 for a thread's first
 * @depth: nesting depth of the frame within its thread, 0 for the outermost
 * @time_ns: monotonic nanoseconds since the run started
 * @file: string id of the file name
 * @line: line number (0 when unknown, as for C functions)
 * @function: string id of the function's qualified name
 * @arg: return value, yielded value or "Type: message"; %NULL otherwise
 * @n_locals: number of entries in @locals
 * @locals: on a call all arguments and locals, on a line those that changed
 *
 * Plain data: an event lives in a #SmileyBatch and its strings are owned by
 * that batch.
 */
typedef struct
{
  SmileyEventKind    kind;
  guint32            thread;
  guint64            call_id;
  guint64            parent_call_id;
  guint32            depth;
  gint64             time_ns;
  guint32            file;
  guint32            line;
  guint32            function;
  const char        *arg;
  guint32            n_locals;
  const SmileyLocal *locals;
} SmileyEvent;

const char *smiley_event_kind_to_string (SmileyEventKind kind);
gboolean    smiley_event_kind_from_string (const char *name, SmileyEventKind *kind);

G_END_DECLS
