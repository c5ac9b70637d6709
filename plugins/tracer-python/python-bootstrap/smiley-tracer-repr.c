/* smiley-tracer-repr.c: bounded, exception-safe rendering of values
 *
 * SPDX-License-Identifier: Apache-2.0
 *
 * The built-in containers and scalars are rendered here, item by item, so
 * that a list of a million items costs as much as the part that is shown;
 * their output is what repr() prints when nothing is cut. Anything else
 * goes through PyObject_Repr(), whose result is cut afterwards. Code run
 * by a __repr__ is not traced: CPython disables tracing while a trace
 * function runs (tstate->tracing), and this is only called from there.
 */
#include "smiley-tracer-private.h"

#include "cpython/longintrepr.h"

#define ELLIPSIS "\xe2\x80\xa6"

typedef struct
{
  TracerBuf              *buf;
  size_t                  start;
  const TracerReprLimits *limits;
  int                     truncated;
  /* Containers being rendered, to print a recursive one as Python does. */
  PyObject *active[16];
  int       n_active;
} Render;

static size_t
used (Render *r)
{
  return r->buf->len - r->start;
}

static int
full (Render *r)
{
  return used (r) >= r->limits->value_limit;
}

/* Length of the longest prefix of @s (at most @max bytes) that ends on a
 * UTF-8 character boundary. */
static size_t
utf8_prefix (const char *s, size_t len, size_t max)
{
  if (len <= max)
    return len;
  while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
    max--;
  return max;
}

static void
put (Render *r, const char *s, size_t len)
{
  size_t room = r->limits->value_limit > used (r) ? r->limits->value_limit - used (r) : 0;

  if (len > room)
    {
      len = utf8_prefix (s, len, room);
      r->truncated = 1;
    }
  tracer_buf_append (r->buf, s, len);
}

static void
put_str (Render *r, const char *s)
{
  put (r, s, strlen (s));
}

static void
put_unicode (Render *r, PyObject *text)
{
  Py_ssize_t  len;
  const char *utf8 = PyUnicode_AsUTF8AndSize (text, &len);

  if (utf8 == NULL)
    {
      /* Lone surrogates from a custom __repr__. */
      PyErr_Clear ();
      put_str (r, "<repr not UTF-8>");
      return;
    }
  put (r, utf8, (size_t)len);
}

static void
put_failure (Render *r)
{
  PyObject   *type, *value, *tb;
  const char *name = "?";

  PyErr_Fetch (&type, &value, &tb);
  if (type != NULL && PyType_Check (type))
    name = ((PyTypeObject *)type)->tp_name;
  put_str (r, "<repr failed: ");
  put_str (r, name);
  put_str (r, ">");
  Py_XDECREF (type);
  Py_XDECREF (value);
  Py_XDECREF (tb);
}

static void
put_repr_call (Render *r, PyObject *value)
{
  PyObject *text = PyObject_Repr (value);

  if (text == NULL)
    {
      put_failure (r);
      return;
    }
  put_unicode (r, text);
  Py_DECREF (text);
}

static void render (Render *r, PyObject *value, int depth);

static int
enter (Render *r, PyObject *container)
{
  for (int i = 0; i < r->n_active; i++)
    if (r->active[i] == container)
      return 0;
  if (r->n_active < (int)(sizeof r->active / sizeof r->active[0]))
    r->active[r->n_active++] = container;
  return 1;
}

static void
leave (Render *r, PyObject *container)
{
  if (r->n_active > 0 && r->active[r->n_active - 1] == container)
    r->n_active--;
}

static void
render_sequence (Render *r, PyObject *seq, const char *open, const char *close, int depth)
{
  int        is_tuple = PyTuple_CheckExact (seq);
  Py_ssize_t n = Py_SIZE (seq);

  if (!enter (r, seq))
    {
      put_str (r, open);
      put_str (r, "...");
      put_str (r, close);
      return;
    }
  put_str (r, open);
  if (n > 0 && depth >= r->limits->max_depth)
    {
      put_str (r, ELLIPSIS);
    }
  else
    {
      /* Re-read the size every time: a __repr__ may shrink the list. */
      for (Py_ssize_t i = 0; i < Py_SIZE (seq); i++)
        {
          PyObject *item;

          if (i > 0)
            put_str (r, ", ");
          if (full (r) || (size_t)i >= r->limits->max_items)
            {
              /* Items left out are marked in place; the value as a whole
               * only gets a trailing marker when bytes were cut. */
              put_str (r, ELLIPSIS);
              break;
            }
          item = is_tuple ? PyTuple_GET_ITEM (seq, i) : PyList_GET_ITEM (seq, i);
          Py_INCREF (item);
          render (r, item, depth + 1);
          Py_DECREF (item);
        }
      if (is_tuple && n == 1)
        put_str (r, ",");
    }
  put_str (r, close);
  leave (r, seq);
}

static void
render_dict (Render *r, PyObject *dict, int depth)
{
  Py_ssize_t pos = 0, i = 0;
  PyObject  *key, *value;

  if (!enter (r, dict))
    {
      put_str (r, "{...}");
      return;
    }
  put_str (r, "{");
  if (PyDict_GET_SIZE (dict) > 0 && depth >= r->limits->max_depth)
    {
      put_str (r, ELLIPSIS);
    }
  else
    {
      while (PyDict_Next (dict, &pos, &key, &value))
        {
          if (i > 0)
            put_str (r, ", ");
          if (full (r) || (size_t)i >= r->limits->max_items)
            {
              /* Items left out are marked in place; the value as a whole
               * only gets a trailing marker when bytes were cut. */
              put_str (r, ELLIPSIS);
              break;
            }
          Py_INCREF (key);
          Py_INCREF (value);
          render (r, key, depth + 1);
          put_str (r, ": ");
          render (r, value, depth + 1);
          Py_DECREF (key);
          Py_DECREF (value);
          i++;
        }
    }
  put_str (r, "}");
  leave (r, dict);
}

static void
render_set (Render *r, PyObject *set, int depth)
{
  int        frozen = PyFrozenSet_CheckExact (set);
  Py_ssize_t pos = 0, i = 0;
  Py_hash_t  hash;
  PyObject  *key;

  if (PySet_GET_SIZE (set) == 0)
    {
      put_str (r, frozen ? "frozenset()" : "set()");
      return;
    }
  if (!enter (r, set))
    {
      put_str (r, frozen ? "frozenset(...)" : "set(...)");
      return;
    }
  put_str (r, frozen ? "frozenset({" : "{");
  if (depth >= r->limits->max_depth)
    {
      put_str (r, ELLIPSIS);
    }
  else
    {
      while (_PySet_NextEntry (set, &pos, &key, &hash))
        {
          if (i > 0)
            put_str (r, ", ");
          if (full (r) || (size_t)i >= r->limits->max_items)
            {
              /* Items left out are marked in place; the value as a whole
               * only gets a trailing marker when bytes were cut. */
              put_str (r, ELLIPSIS);
              break;
            }
          Py_INCREF (key);
          render (r, key, depth + 1);
          Py_DECREF (key);
          i++;
        }
    }
  put_str (r, frozen ? "})" : "}");
  leave (r, set);
}

static void
render_string (Render *r, PyObject *text)
{
  Py_ssize_t len = PyUnicode_GET_LENGTH (text);
  size_t     room = r->limits->value_limit > used (r) ? r->limits->value_limit - used (r) : 0;
  /* Two bytes for the quotes, so a cut string still reads as one. */
  Py_ssize_t max = room > 3 ? (Py_ssize_t)room - 2 : 1;

  if (len > max)
    {
      /* Render only what can be shown; the rest is never copied. */
      PyObject *head = PyUnicode_Substring (text, 0, max);
      if (head == NULL)
        {
          put_failure (r);
          return;
        }
      put_repr_call (r, head);
      Py_DECREF (head);
      r->truncated = 1;
      return;
    }
  put_repr_call (r, text);
}

/* object.__repr__ without PyUnicode_FromFormat: the default repr is the
 * most common one for the program's own objects, and the costliest to
 * produce through the generic path. Same text as object_repr(). */
static void
put_default_repr (Render *r, PyObject *value)
{
  static PyObject *module_key;
  PyTypeObject    *type = Py_TYPE (value);
  /* "%p" by hand, as glibc prints it: 0x and lowercase hex. */
  char      address[2 + 2 * sizeof (void *)];
  char     *end = address + sizeof address, *p = end;
  uintptr_t bits = (uintptr_t)value;
  size_t    n;

  do
    *--p = "0123456789abcdef"[bits & 15];
  while ((bits >>= 4) != 0);
  *--p = 'x';
  *--p = '0';
  n = (size_t)(end - p);

  put_str (r, "<");
  if (type->tp_flags & Py_TPFLAGS_HEAPTYPE)
    {
      PyObject *module;

      if (module_key == NULL)
        module_key = PyUnicode_InternFromString ("__module__");
      module = module_key ? PyDict_GetItemWithError (type->tp_dict, module_key) : NULL;
      PyErr_Clear ();
      if (module != NULL && PyUnicode_Check (module)
          && PyUnicode_CompareWithASCIIString (module, "builtins") != 0)
        {
          put_unicode (r, module);
          put_str (r, ".");
          put_unicode (r, ((PyHeapTypeObject *)type)->ht_qualname);
        }
      else
        put_str (r, type->tp_name);
    }
  else
    put_str (r, type->tp_name);
  put_str (r, " object at ");
  put (r, p, n);
  put_str (r, ">");
}

static void
render (Render *r, PyObject *value, int depth)
{
  PyTypeObject *type = Py_TYPE (value);

  if (full (r))
    {
      r->truncated = 1;
      return;
    }
  if (value == Py_None)
    put_str (r, "None");
  else if (value == Py_True)
    put_str (r, "True");
  else if (value == Py_False)
    put_str (r, "False");
  else if (type == &PyLong_Type)
    {
      int       overflow = 0;
      long long v = PyLong_AsLongLongAndOverflow (value, &overflow);

      if (overflow == 0 && !(v == -1 && PyErr_Occurred ()))
        {
          /* By hand: snprintf() costs more than the rest of an event. */
          char               num[24];
          char              *end = num + sizeof num, *p = end;
          unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

          do
            *--p = (char)('0' + u % 10);
          while ((u /= 10) != 0);
          if (v < 0)
            *--p = '-';
          put (r, p, (size_t)(end - p));
        }
      else
        {
          /* Huge ints: repr may refuse them (int_max_str_digits). */
          PyErr_Clear ();
          put_repr_call (r, value);
        }
    }
  else if (type == &PyUnicode_Type)
    render_string (r, value);
  else if (type == &PyFloat_Type)
    put_repr_call (r, value);
  else if (type == &PyList_Type)
    render_sequence (r, value, "[", "]", depth);
  else if (type == &PyTuple_Type)
    render_sequence (r, value, "(", ")", depth);
  else if (type == &PyDict_Type)
    render_dict (r, value, depth);
  else if (type == &PySet_Type || type == &PyFrozenSet_Type)
    render_set (r, value, depth);
  else if (type == &PyBytes_Type && PyBytes_GET_SIZE (value) > (Py_ssize_t)r->limits->value_limit)
    {
      PyObject *head = PyBytes_FromStringAndSize (PyBytes_AS_STRING (value),
                                                  (Py_ssize_t)r->limits->value_limit);
      if (head == NULL)
        put_failure (r);
      else
        {
          put_repr_call (r, head);
          Py_DECREF (head);
        }
      r->truncated = 1;
    }
  else if (type->tp_repr == PyBaseObject_Type.tp_repr)
    put_default_repr (r, value);
  else
    {
      /* Anything else runs its own __repr__: a RecursionError, a raising
       * property or a broken object all end up as a placeholder, and the
       * exception never reaches the program. */
      put_repr_call (r, value);
    }
}

void
tracer_repr (TracerBuf *out, PyObject *value, const TracerReprLimits *limits)
{
  Render    r;
  PyObject *type = NULL, *val = NULL, *tb = NULL;
  int       saved;

  /* The commonest values, without the general machinery. */
  if (Py_IS_TYPE (value, &PyLong_Type) && Py_SIZE (value) >= -1 && Py_SIZE (value) <= 1)
    {
      /* One 30-bit digit at most (cpython/longintrepr.h). */
      char      num[24];
      char     *end = num + sizeof num, *p = end;
      long long v = (long long)Py_SIZE (value) * (long long)((PyLongObject *)value)->ob_digit[0];
      unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

      do
        *--p = (char)('0' + u % 10);
      while ((u /= 10) != 0);
      if (v < 0)
        *--p = '-';
      tracer_buf_append (out, p, (size_t)(end - p));
      return;
    }
  if (value == Py_None)
    {
      tracer_buf_append (out, "None", 4);
      return;
    }

  r.buf = out;
  r.start = out->len;
  r.limits = limits;
  r.truncated = 0;
  r.n_active = 0;
  /* Trace functions are called with no exception set (CPython fetches
   * it around them); keep whatever there is anyway, it is not ours. */
  saved = PyErr_Occurred () != NULL;
  if (saved)
    PyErr_Fetch (&type, &val, &tb);
  render (&r, value, 0);
  if (PyErr_Occurred ())
    PyErr_Clear ();
  if (saved)
    PyErr_Restore (type, val, tb);
  if (r.truncated)
    tracer_buf_append (out, ELLIPSIS, sizeof ELLIPSIS - 1);
}

void
tracer_format_exception (TracerBuf *out, PyObject *type, PyObject *value,
                         const TracerReprLimits *limits)
{
  Render    r = { out, out->len, limits, 0, { NULL }, 0 };
  PyObject *et, *ev, *etb;

  PyErr_Fetch (&et, &ev, &etb);
  if (type != NULL && PyType_Check (type))
    {
      PyObject *module = PyObject_GetAttrString (type, "__module__");
      PyObject *qualname = PyType_GetQualName ((PyTypeObject *)type);

      /* Named as the traceback module names it. */
      if (module != NULL && PyUnicode_Check (module)
          && PyUnicode_CompareWithASCIIString (module, "builtins") != 0
          && PyUnicode_CompareWithASCIIString (module, "__main__") != 0)
        {
          put_unicode (&r, module);
          put_str (&r, ".");
        }
      if (qualname != NULL)
        put_unicode (&r, qualname);
      else
        put_str (&r, ((PyTypeObject *)type)->tp_name);
      Py_XDECREF (module);
      Py_XDECREF (qualname);
      PyErr_Clear ();
    }
  if (value != NULL && value != Py_None)
    {
      PyObject *text = PyObject_Str (value);

      if (text == NULL)
        {
          put_str (&r, ": ");
          put_failure (&r);
        }
      else
        {
          if (PyUnicode_GET_LENGTH (text) > 0)
            {
              put_str (&r, ": ");
              put_unicode (&r, text);
            }
          Py_DECREF (text);
        }
    }
  PyErr_Clear ();
  PyErr_Restore (et, ev, etb);
  if (r.truncated)
    tracer_buf_append (out, ELLIPSIS, sizeof ELLIPSIS - 1);
}
