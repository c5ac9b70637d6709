/* smiley-tracer-profile.c: profiler statistics with cProfile's meaning
 *
 * SPDX-License-Identifier: Apache-2.0
 *
 * The bookkeeping follows Modules/_lsprof.c so that pstats numbers mean
 * the same thing: an entry's recursion level decides whether a call is
 * primitive and whether its time counts towards cumtime, and the same is
 * kept per (caller, callee) pair for the callers table. The tracer keeps
 * the per-call context (start time, time spent in sub-calls) on its own
 * shadow stack and reports finished calls here.
 */
#include "smiley-tracer-private.h"

#include "smiley-wire.h"

static inline size_t
hash_key (const void *key)
{
  uint64_t h = (uint64_t)(uintptr_t)key;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return (size_t)h;
}

static uint32_t *
table_lookup (Table *t, const void *key, int insert)
{
  size_t i;

  if (t->cap == 0 || (insert && (t->n + 1) * 2 > t->cap))
    {
      size_t     cap = t->cap ? t->cap * 2 : 256;
      TableSlot *slots = calloc (cap, sizeof *slots);

      if (slots == NULL)
        return NULL;
      for (size_t j = 0; j < t->cap; j++)
        if (t->slots[j].key != NULL)
          {
            size_t k = hash_key (t->slots[j].key) & (cap - 1);
            while (slots[k].key != NULL)
              k = (k + 1) & (cap - 1);
            slots[k] = t->slots[j];
          }
      free (t->slots);
      t->slots = slots;
      t->cap = cap;
    }
  i = hash_key (key) & (t->cap - 1);
  while (t->slots[i].key != NULL)
    {
      if (t->slots[i].key == key)
        return &t->slots[i].value;
      i = (i + 1) & (t->cap - 1);
    }
  if (!insert)
    return NULL;
  t->slots[i].key = key;
  t->slots[i].value = TRACER_NO_ENTRY;
  t->n++;
  return &t->slots[i].value;
}

TracerProfile *
tracer_profile_new (void)
{
  return calloc (1, sizeof (TracerProfile));
}

uint32_t
tracer_profile_entry (TracerProfile *self, const char *file, uint32_t line, const char *function)
{
  Entry    *e;
  uint64_t  h = 1469598103934665603ULL;
  uint32_t *slot;

  /* pstats keys functions by (file, line, name): two code objects with
   * the same label (a module body exec'd twice) are one function. */
  for (const char *s = file; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  h = (h ^ line) * 1099511628211ULL;
  for (const char *s = function; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  for (;; h++)
    {
      slot = table_lookup (&self->label_table, (const void *)(uintptr_t)(h | 1), 1);
      if (slot == NULL)
        return TRACER_NO_ENTRY;
      if (*slot == TRACER_NO_ENTRY)
        break;
      e = &self->entries[*slot];
      if (e->line == line && strcmp (e->file, file) == 0 && strcmp (e->function, function) == 0)
        return *slot;
    }
  *slot = (uint32_t)self->n_entries;

  if (self->n_entries == self->entries_cap)
    {
      size_t cap = self->entries_cap ? self->entries_cap * 2 : 256;
      Entry *p = realloc (self->entries, cap * sizeof *p);
      if (p == NULL)
        return TRACER_NO_ENTRY;
      self->entries = p;
      self->entries_cap = cap;
    }
  e = &self->entries[self->n_entries];
  memset (e, 0, sizeof *e);
  e->file = strdup (file);
  e->line = line;
  e->function = strdup (function);
  return (uint32_t)self->n_entries++;
}

/* The name _lsprof gives a built-in: "<built-in method builtins.len>",
 * "<method 'append' of 'list' objects>" (normalizeUserObj). */
static char *
c_function_name (PyObject *callable)
{
  PyCFunctionObject *fn = (PyCFunctionObject *)callable;
  PyObject          *result = NULL;
  char              *name;

  if (fn->m_self == NULL)
    {
      PyObject *mod = fn->m_module;
      PyObject *modname = NULL;

      if (mod != NULL && PyUnicode_Check (mod))
        modname = Py_NewRef (mod);
      else if (mod != NULL && PyModule_Check (mod))
        {
          modname = PyModule_GetNameObject (mod);
          if (modname == NULL)
            PyErr_Clear ();
        }
      if (modname != NULL && PyUnicode_CompareWithASCIIString (modname, "builtins") != 0)
        result = PyUnicode_FromFormat ("<%U.%s>", modname, fn->m_ml->ml_name);
      else
        result = PyUnicode_FromFormat ("<%s>", fn->m_ml->ml_name);
      Py_XDECREF (modname);
    }
  else
    {
      PyObject *attr = PyUnicode_FromString (fn->m_ml->ml_name);

      if (attr != NULL)
        {
          PyObject *mo = _PyType_Lookup (Py_TYPE (fn->m_self), attr);
          Py_DECREF (attr);
          if (mo != NULL)
            {
              Py_INCREF (mo);
              result = PyObject_Repr (mo);
              Py_DECREF (mo);
            }
        }
      if (result == NULL)
        {
          PyErr_Clear ();
          if (fn->m_module != NULL && PyUnicode_Check (fn->m_module))
            result
                = PyUnicode_FromFormat ("<built-in method %S.%s>", fn->m_module, fn->m_ml->ml_name);
          else
            result = PyUnicode_FromFormat ("<built-in method %s>", fn->m_ml->ml_name);
        }
    }
  if (result == NULL)
    {
      PyErr_Clear ();
      return strdup ("<built-in>");
    }
  {
    const char *utf8 = PyUnicode_AsUTF8 (result);
    name = strdup (utf8 ? utf8 : "<built-in>");
  }
  PyErr_Clear ();
  Py_DECREF (result);
  return name;
}

uint32_t
tracer_profile_c_entry (TracerProfile *self, PyObject *callable)
{
  /* _lsprof keys built-ins by their PyMethodDef, so every bound
   * list.append is one function; the name is taken from the first. */
  const void *key = ((PyCFunctionObject *)callable)->m_ml;
  uint32_t   *slot = table_lookup (&self->c_table, key, 1);
  char       *name;

  if (slot == NULL)
    return TRACER_NO_ENTRY;
  if (*slot != TRACER_NO_ENTRY)
    return *slot;
  name = c_function_name (callable);
  *slot = tracer_profile_entry (self, "~", 0, name);
  free (name);
  return *slot;
}

uint32_t
tracer_profile_sub (TracerProfile *self, uint32_t caller_entry, uint32_t entry)
{
  uint32_t *slot;
  Sub      *s;

  slot = table_lookup (&self->sub_table,
                       (const void *)(uintptr_t)((((uint64_t)caller_entry << 32) | entry) + 1), 1);
  if (slot == NULL)
    return TRACER_NO_ENTRY;
  if (*slot == TRACER_NO_ENTRY)
    {
      if (self->n_subs == self->subs_cap)
        {
          size_t cap = self->subs_cap ? self->subs_cap * 2 : 256;
          Sub   *p = realloc (self->subs, cap * sizeof *p);
          if (p == NULL)
            return TRACER_NO_ENTRY;
          self->subs = p;
          self->subs_cap = cap;
        }
      s = &self->subs[self->n_subs];
      memset (s, 0, sizeof *s);
      s->caller = caller_entry;
      s->callee = entry;
      *slot = (uint32_t)self->n_subs++;
    }
  return *slot;
}

static void
put_str (TracerBuf *b, const char *s)
{
  size_t len = strlen (s);

  if (tracer_buf_reserve (b, SMILEY_WIRE_MAX_VARINT + len) == 0)
    b->len = smiley_wire_put_bytes (b->data + b->len, s, len) - b->data;
}

static void
put_varint (TracerBuf *b, uint64_t v)
{
  if (tracer_buf_reserve (b, SMILEY_WIRE_MAX_VARINT) == 0)
    b->len = smiley_wire_put_varint (b->data + b->len, v) - b->data;
}

static void
put_svarint (TracerBuf *b, int64_t v)
{
  if (tracer_buf_reserve (b, SMILEY_WIRE_MAX_VARINT) == 0)
    b->len = smiley_wire_put_svarint (b->data + b->len, v) - b->data;
}

void
tracer_profile_encode (TracerProfile *self, TracerBuf *out, double ns_per_tick)
{
  size_t    start = out->len;
  uint32_t  n_out = 0;
  uint32_t *n_callers;
  uint32_t *first;
  uint32_t *order;

  /* Functions that never finished a call (still running when the stats
   * were taken) are left out, as pstats would show them with zeroes. */
  for (size_t i = 0; i < self->n_entries; i++)
    self->entries[i].out_index = self->entries[i].ncalls > 0 ? n_out++ : TRACER_NO_ENTRY;

  /* Group the (caller, callee) pairs by callee: a counting sort. */
  n_callers = calloc (self->n_entries + 1, sizeof *n_callers);
  first = calloc (self->n_entries + 1, sizeof *first);
  order = calloc (self->n_subs + 1, sizeof *order);
  if (n_callers == NULL || first == NULL || order == NULL)
    goto out;
  for (size_t i = 0; i < self->n_subs; i++)
    {
      Sub *s = &self->subs[i];
      if (s->ncalls > 0 && self->entries[s->caller].out_index != TRACER_NO_ENTRY)
        n_callers[s->callee]++;
    }
  for (size_t i = 1; i <= self->n_entries; i++)
    first[i] = first[i - 1] + n_callers[i - 1];
  {
    uint32_t *fill = calloc (self->n_entries + 1, sizeof *fill);
    if (fill == NULL)
      goto out;
    for (size_t i = 0; i < self->n_subs; i++)
      {
        Sub *s = &self->subs[i];
        if (s->ncalls > 0 && self->entries[s->caller].out_index != TRACER_NO_ENTRY)
          order[first[s->callee] + fill[s->callee]++] = (uint32_t)i;
      }
    free (fill);
  }

  if (tracer_buf_reserve (out, SMILEY_WIRE_FRAME_HEADER_SIZE) != 0)
    goto out;
  out->len += SMILEY_WIRE_FRAME_HEADER_SIZE;
  put_varint (out, n_out);
  for (size_t i = 0; i < self->n_entries; i++)
    {
      Entry *e = &self->entries[i];

      if (e->out_index == TRACER_NO_ENTRY)
        continue;
      put_str (out, e->file);
      put_varint (out, e->line);
      put_str (out, e->function);
      put_varint (out, e->ncalls);
      put_varint (out, e->ncalls - e->reccalls);
      put_svarint (out, (int64_t)((double)e->it * ns_per_tick));
      put_svarint (out, (int64_t)((double)e->tt * ns_per_tick));
      put_varint (out, n_callers[i]);
      for (uint32_t j = 0; j < n_callers[i]; j++)
        {
          Sub *s = &self->subs[order[first[i] + j]];
          put_varint (out, self->entries[s->caller].out_index);
          put_varint (out, s->ncalls);
          put_varint (out, s->ncalls - s->reccalls);
          put_svarint (out, (int64_t)((double)s->it * ns_per_tick));
          put_svarint (out, (int64_t)((double)s->tt * ns_per_tick));
        }
    }
  smiley_wire_put_frame_header (out->data + start, (uint32_t)(out->len - start), SMILEY_WIRE_STATS);

out:
  free (n_callers);
  free (first);
  free (order);
}
