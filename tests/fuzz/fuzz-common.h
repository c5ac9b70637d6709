/* fuzz-common.h: what the libFuzzer targets share
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#pragma once

#include <stdlib.h>

#include <smiley.h>

/* GLib's g_assert family reports through the GTest machinery, which in a
 * program that is not a GTest exits with the "skipped" status 77; a
 * failed check here must be a crash libFuzzer and meson both see. */
#define CHECK(cond)                                                                                \
  G_STMT_START                                                                                     \
  {                                                                                                \
    if (G_UNLIKELY (!(cond)))                                                                      \
      {                                                                                            \
        g_printerr ("%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);                       \
        abort ();                                                                                  \
      }                                                                                            \
  }                                                                                                \
  G_STMT_END

/* A small PRNG seeded from the input: deterministic per input, and cheap
 * enough not to slow the fuzzer down. */
static inline guint32
next_random (guint32 *state)
{
  *state ^= *state << 13;
  *state ^= *state >> 17;
  *state ^= *state << 5;
  return *state;
}

/* A decoded event refers only to defined strings and threads, and its
 * values are valid UTF-8. */
static inline void
check_event (SmileyRun *run, const SmileyEvent *event)
{
  guint32 n_strings = smiley_run_get_n_strings (run);

  CHECK (event->kind >= SMILEY_EVENT_CALL && event->kind <= SMILEY_EVENT_KIND_LAST);
  CHECK (smiley_run_get_thread (run, event->thread) != NULL);
  CHECK (event->file < n_strings);
  CHECK (event->function < n_strings);
  CHECK (event->arg == NULL || g_utf8_validate (event->arg, -1, NULL));
  for (guint32 l = 0; l < event->n_locals; l++)
    {
      CHECK (event->locals[l].name < n_strings);
      CHECK (event->locals[l].value == NULL || g_utf8_validate (event->locals[l].value, -1, NULL));
    }
}

static inline guint32
input_seed (const guint8 *data, gsize size)
{
  guint32 hash = 2166136261u;

  for (gsize i = 0; i < size; i++)
    hash = (hash ^ data[i]) * 16777619u;
  return hash != 0 ? hash : 1;
}
