/* fuzz-common.h: what the libFuzzer targets share
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#pragma once

#include <stdlib.h>

#include <glib.h>

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

static inline guint32
input_seed (const guint8 *data, gsize size)
{
  guint32 hash = 2166136261u;

  for (gsize i = 0; i < size; i++)
    hash = (hash ^ data[i]) * 16777619u;
  return hash != 0 ? hash : 1;
}
