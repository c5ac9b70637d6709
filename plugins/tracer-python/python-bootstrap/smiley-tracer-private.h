/* smiley-tracer-private.h: shared by the parts of the _smiley_tracer
 * extension, which runs inside the traced interpreter
 *
 * SPDX-License-Identifier: Apache-2.0
 *
 * No GLib in here: the traced program may load its own.
 */
#pragma once

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Event kinds, as numbered by SmileyEventKind (core/smiley-event.h, which
 * needs GLib); the plugin checks at build time that they agree. */
enum
{
  TRACER_EVENT_CALL = 1,
  TRACER_EVENT_LINE = 2,
  TRACER_EVENT_RETURN = 3,
  TRACER_EVENT_EXCEPTION = 4,
  TRACER_EVENT_YIELD = 5,
  TRACER_EVENT_RESUME = 6,
};

/* A growable byte buffer, reused from event to event so the hot path does
 * not allocate. */
typedef struct
{
  uint8_t *data;
  size_t   len;
  size_t   cap;
} TracerBuf;

static inline int
tracer_buf_reserve (TracerBuf *b, size_t extra)
{
  if (b->len + extra > b->cap)
    {
      size_t   cap = b->cap ? b->cap : 256;
      uint8_t *p;

      while (cap < b->len + extra)
        cap *= 2;
      p = realloc (b->data, cap);
      if (p == NULL)
        return -1;
      b->data = p;
      b->cap = cap;
    }
  return 0;
}

static inline void
tracer_buf_append (TracerBuf *b, const void *data, size_t len)
{
  if (tracer_buf_reserve (b, len) == 0)
    {
      memcpy (b->data + b->len, data, len);
      b->len += len;
    }
}

/* Limits on rendered values (see TracerRepr in smiley-tracer-repr.c). */
typedef struct
{
  size_t value_limit; /* bytes per value before "…" */
  int    max_depth;   /* container nesting shown */
  size_t max_items;   /* items per container shown */
} TracerReprLimits;

/* Appends a bounded, exception-safe repr of @value to @out, as UTF-8.
 * Never raises: a failing __repr__ becomes "<repr failed: Type>". */
void tracer_repr (TracerBuf *out, PyObject *value, const TracerReprLimits *limits);

/* "Type: message" of an exception instance, bounded like a value. */
void tracer_format_exception (TracerBuf *out, PyObject *type, PyObject *value,
                              const TracerReprLimits *limits);

/* Profiler statistics with _lsprof's meaning (smiley-tracer-profile.c). */
typedef struct _TracerProfile TracerProfile;

TracerProfile *tracer_profile_new (void);
uint32_t       tracer_profile_entry (TracerProfile *self, const char *file, uint32_t line,
                                     const char *function);
uint32_t       tracer_profile_c_entry (TracerProfile *self, PyObject *callable);
/* The (caller, callee) pair's id; callers cache it, ids never move. */
uint32_t tracer_profile_sub (TracerProfile *self, uint32_t caller_entry, uint32_t entry);

/* Appends a complete STATS frame; times were measured in ticks of
 * @ns_per_tick nanoseconds. */
void tracer_profile_encode (TracerProfile *self, TracerBuf *out, double ns_per_tick);

#define TRACER_NO_ENTRY UINT32_MAX

/* The per-call bookkeeping is inline: it runs twice per call, Python or C.
 * Its data are only touched here and in smiley-tracer-profile.c. */
typedef struct
{
  char    *file;
  uint32_t line;
  char    *function;
  uint64_t ncalls;
  uint64_t reccalls;
  int64_t  tt; /* cumulative (cProfile's cumtime) */
  int64_t  it; /* inline (cProfile's tottime) */
  int      recursion;
  uint32_t out_index;
} Entry;

typedef struct
{
  uint32_t caller;
  uint32_t callee;
  uint64_t ncalls;
  uint64_t reccalls;
  int64_t  tt;
  int64_t  it;
  int      recursion;
} Sub;

typedef struct
{
  const void *key;
  uint32_t    value;
} TableSlot;

/* Open addressing, linear probing, pointer or integer keys, never
 * shrinks: lookups happen once per new code object or C function, and
 * once per call for the (caller, callee) pair. */
typedef struct
{
  TableSlot *slots;
  size_t     cap;
  size_t     n;
} Table;

struct _TracerProfile
{
  Entry *entries;
  size_t n_entries;
  size_t entries_cap;
  Sub   *subs;
  size_t n_subs;
  size_t subs_cap;
  Table  sub_table;   /* (caller << 32 | callee) + 1 → sub */
  Table  c_table;     /* PyMethodDef* → entry */
  Table  label_table; /* hash of (file, line, function) → entry */
};

/* Starts a call of @entry through @sub (TRACER_NO_ENTRY when there is no
 * caller): the recursion bookkeeping _lsprof does in initContext(). */
static inline void
tracer_profile_start (TracerProfile *self, uint32_t entry, uint32_t sub)
{
  self->entries[entry].recursion++;
  if (sub != TRACER_NO_ENTRY)
    self->subs[sub].recursion++;
}

static inline void
tracer_profile_stop (TracerProfile *self, uint32_t entry, uint32_t sub, int64_t tt, int64_t it)
{
  Entry *e = &self->entries[entry];

  if (--e->recursion == 0)
    e->tt += tt;
  else
    e->reccalls++;
  e->it += it;
  e->ncalls++;
  if (sub != TRACER_NO_ENTRY)
    {
      Sub *s = &self->subs[sub];
      if (--s->recursion == 0)
        s->tt += tt;
      else
        s->reccalls++;
      s->it += it;
      s->ncalls++;
    }
}
