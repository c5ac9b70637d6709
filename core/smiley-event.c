/* smiley-event.c
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include "smiley.h"

static const char *const kind_names[] = {
  [SMILEY_EVENT_CALL] = "call",
  [SMILEY_EVENT_LINE] = "line",
  [SMILEY_EVENT_RETURN] = "return",
  [SMILEY_EVENT_EXCEPTION] = "exception",
  [SMILEY_EVENT_YIELD] = "yield",
  [SMILEY_EVENT_RESUME] = "resume",
  [SMILEY_EVENT_C_CALL] = "c_call",
  [SMILEY_EVENT_C_RETURN] = "c_return",
  [SMILEY_EVENT_C_EXCEPTION] = "c_exception",
};

/**
 * smiley_event_kind_to_string:
 * @kind: an event kind
 *
 * Returns: (transfer none): the kind's name as Python's trace hooks spell
 *   it ("call", "line", "c_call" …), or "unknown"
 */
const char *
smiley_event_kind_to_string (SmileyEventKind kind)
{
  if (kind < SMILEY_EVENT_CALL || kind > SMILEY_EVENT_KIND_LAST)
    return "unknown";
  return kind_names[kind];
}

/**
 * smiley_event_kind_from_string:
 * @name: a name as returned by smiley_event_kind_to_string()
 * @kind: (out): the kind
 *
 * Returns: %FALSE if @name names no kind
 */
gboolean
smiley_event_kind_from_string (const char *name, SmileyEventKind *kind)
{
  for (guint i = SMILEY_EVENT_CALL; i <= SMILEY_EVENT_KIND_LAST; i++)
    if (g_strcmp0 (name, kind_names[i]) == 0)
      {
        *kind = i;
        return TRUE;
      }
  return FALSE;
}
