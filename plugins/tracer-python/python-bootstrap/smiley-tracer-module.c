/* smiley-tracer-module.c: the _smiley_tracer extension, loaded into the
 * traced interpreter by the bootstrap sitecustomize
 *
 * SPDX-License-Identifier: Apache-2.0
 *
 * The hot path. A C profile function (PyEval_SetProfile) sees every call
 * and return, Python or C; it keeps a shadow stack per thread, the
 * profiler statistics, and the call/return/yield/resume events of traced
 * frames. A C trace function, for line and exception events, is set on a
 * thread only while a traced frame is on top of its stack: in 3.11 every
 * instruction of every frame pays for the line check as soon as one is set
 * (maybe_call_line_trace, and a frame object per frame), so excluded code
 * runs with the profile function alone.
 *
 * Events are encoded with core/smiley-wire.h, one EVENTS frame per event,
 * straight into the shared ring the smiley process drains; nothing here
 * does I/O, and a program that dies loses nothing it already emitted.
 *
 * The state is process-wide on purpose: CPython calls the hooks with no
 * user pointer we could use without it showing in sys.getprofile(), and
 * there is exactly one tracer per traced process.
 */
#include "smiley-tracer-private.h"

#define Py_BUILD_CORE 1
#include "internal/pycore_frame.h"
#include "internal/pycore_code.h"
#undef Py_BUILD_CORE
#include "opcode.h"

/* internal/pycore_pylifecycle.h declares it, but cannot be included next
 * to the public headers without a macro clash (_PyGC_FINALIZED). */
PyAPI_DATA (int) _Py_UnhandledKeyboardInterrupt;

#include <fcntl.h>
#if defined(__x86_64__)
#include <cpuid.h>
#include <x86intrin.h>
#endif
#include <fnmatch.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>

#include "smiley-wire.h"
#include "smiley-ring.h"

#define C_ENTRY_CACHE 256
#define BUDGET_EVENT_MARK "<event budget exceeded>"
#define BUDGET_RUN_MARK "<run budget exceeded>"

/* Per code object, computed the first time it runs after start. */
typedef struct
{
  uint32_t  file_id;
  uint32_t  func_id;
  uint32_t  stats_entry;
  uint8_t   included;
  uint8_t   generator;        /* generator, coroutine or async generator */
  uint8_t   fast;             /* locals live in localsplus, not a dict */
  uint8_t   threading_module; /* the body of the threading module */
  uint32_t  n;                /* co_nlocalsplus */
  uint32_t *names;            /* string id per local, 0 = never shown */
} CodeInfo;

typedef struct
{
  PyObject *ptr; /* identity only, never a reference: holding one
                  * would change when the program's objects die */
  uint64_t fp;
  uint8_t  shown;
} Slot;

typedef struct
{
  PyObject *key; /* strong: a str */
  uint32_t  name;
  Slot      slot;
} DictSlot;

typedef struct
{
  uint64_t   version;
  size_t     n;
  size_t     cap;
  DictSlot  *e;
  Py_ssize_t scan_pos; /* PyDict_Next() position after the last entry seen */
  size_t     scan_idx; /* and the index in e[] it corresponds to */
} DictLocals;

/* Module and class bodies with more names than this are only checked for
 * new names at each line, not for rebound ones: rescanning every name on
 * every line made a generated module of 60000 assignments run 45× slower
 * (quadratic). */
#define DICT_FULL_SCAN_MAX 512

typedef struct
{
  PyFrameObject *frame; /* identity only */
  CodeInfo      *ci;
  uint64_t       call_id;  /* 0 when not traced */
  uint64_t       ctx_call; /* nearest traced call id at or below */
  uint32_t       depth;    /* traced frames below this one */
  uint8_t        is_c;
  uint8_t        traced;
  uint8_t        lines; /* the trace function is on while on top */
  uint32_t       entry; /* profile entry, TRACER_NO_ENTRY if none */
  uint32_t       sub;
  uint32_t       last_callee; /* cache of this frame's last (self, callee) */
  uint32_t       last_sub;
  int64_t        t0;
  int64_t        subt;
  size_t         slots; /* offset in the thread's slot stack */
  DictLocals    *dict;
} Rec;

typedef struct
{
  uint32_t  id;
  Rec      *stack;
  size_t    n;
  size_t    cap;
  Slot     *slots;
  size_t    n_slots;
  size_t    slots_cap;
  TracerBuf locals; /* encoded (name, value) pairs of the event */
  uint32_t  n_locals;
  TracerBuf value; /* one rendered value */
  TracerBuf arg;
  TracerBuf ev; /* the EVENTS frame */
  /* The program called sys.setprofile()/settrace() on this thread (seen
   * by the audit hook): look at what it installed at the next event. */
  uint8_t profile_check;
  uint8_t trace_check;
  uint8_t profile_lost; /* the program's profiler replaced ours */
  uint8_t trace_lost;   /* the program's trace function replaced ours */
} ThreadState;

typedef struct
{
  uint64_t hash;
  uint32_t id;
  uint32_t len;
  char    *text;
} StringSlot;

typedef struct
{
  int              started;
  int              finished;
  int              disabled;
  int              shared;      /* the program forked: see SmileyRingHeader */
  int              is_child;    /* this process is a fork of the program */
  int              forked_main; /* the forking thread is not announced yet */
  pid_t            pid;
  int              profile_only;
  int              stats_on;
  SmileyRing       ring;
  pid_t            parent;
  int64_t          t0;
  TracerReprLimits limits;
  size_t           event_budget;
  uint64_t         run_budget;
  uint64_t         run_used;
  int              include_stdlib;
  int              include_site;
  char           **stdlib;
  char           **packages;
  char           **exclude;
  Py_ssize_t       extra;
  StringSlot      *strings;
  size_t           strings_cap;
  uint32_t         n_strings; /* next id; 0 is "" */
  TracerBuf        pending;   /* STRINGS and THREADS frames to send */
  uint32_t         n_threads;
  uint64_t         next_call;
  uint64_t         events;
  TracerProfile   *profile;
  PyObject        *thread_hook;
  PyObject        *hide_module; /* the bootstrap, if it had to stay in sys.modules */
  PyObject        *name_key;    /* "__name__" */
  PyCodeObject    *main_code;
  int              threading_hooked;
  int              setting_profile; /* our own PyEval_SetProfile() call */
  uint8_t         *sources_checked; /* by file string id: looked for on disk */
  size_t           sources_checked_cap;
  const void      *c_cache_key[C_ENTRY_CACHE];
  uint32_t         c_cache_entry[C_ENTRY_CACHE];
} Tracer;

static Tracer tracer;
/* initial-exec: one pointer fits in the static TLS glibc keeps for
 * dlopen()ed modules, and saves a __tls_get_addr() call per event. */
static __thread ThreadState *tls_state __attribute__ ((tls_model ("initial-exec")));

static int profile_cb (PyObject *obj, PyFrameObject *frame, int what, PyObject *arg);
static int trace_cb (PyObject *obj, PyFrameObject *frame, int what, PyObject *arg);

static inline int64_t
clock_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* CLOCK_MONOTONIC read through the TSC. Every event and every profiled
 * call reads the clock, and clock_gettime() was an eighth of the tracer's
 * time in a VM. With an invariant TSC the rate is measured against
 * CLOCK_MONOTONIC from the start of the run and the two are re-anchored
 * every few thousand reads, so the result never drifts; it never goes
 * backwards either. Only called with the GIL held. */
typedef struct
{
  int      usable;
  uint64_t reads;
  uint64_t tsc0;
  int64_t  ns0;
  uint64_t anchor_tsc;
  int64_t  anchor_ns;
  double   ns_per_tick;
  int64_t  last;
} TracerClock;

static TracerClock tracer_clock;

static void
clock_init (void)
{
#if defined(__x86_64__)
  unsigned int eax, ebx, ecx, edx;

  /* CPUID 0x80000007, EDX bit 8: the TSC runs at a constant rate in
   * every power state. */
  if (__get_cpuid (0x80000007, &eax, &ebx, &ecx, &edx) && (edx & (1u << 8)))
    {
      tracer_clock.usable = 1;
      tracer_clock.tsc0 = __rdtsc ();
      tracer_clock.ns0 = clock_ns ();
    }
#endif
}

/* The profiler's clock: raw TSC ticks when usable (converted to ns once,
 * when the statistics are written), else nanoseconds. */
static inline uint64_t
ticks (void)
{
#if defined(__x86_64__)
  if (tracer_clock.usable)
    return __rdtsc ();
#endif
  return (uint64_t)clock_ns ();
}

static double
ns_per_tick (void)
{
#if defined(__x86_64__)
  if (tracer_clock.usable)
    {
      uint64_t tsc = __rdtsc ();
      int64_t  ns = clock_ns ();

      if (tsc > tracer_clock.tsc0 && ns > tracer_clock.ns0)
        return (double)(ns - tracer_clock.ns0) / (double)(tsc - tracer_clock.tsc0);
    }
#endif
  return 1.0;
}

/* Event timestamps: @tick (from ticks()) as CLOCK_MONOTONIC ns. */
static inline int64_t
ticks_ns (uint64_t tick)
{
#if defined(__x86_64__)
  TracerClock *c = &tracer_clock;

  if (c->usable)
    {
      int64_t ns;

      if ((++c->reads & 4095) == 0 || c->ns_per_tick == 0)
        {
          ns = clock_ns ();
          /* A rate measured over less than 10 ms is not trusted yet. */
          if (ns - c->ns0 > 10000000 && tick > c->tsc0)
            {
              c->ns_per_tick = (double)(ns - c->ns0) / (double)(tick - c->tsc0);
              c->anchor_tsc = tick;
              c->anchor_ns = ns;
            }
        }
      else
        ns = c->anchor_ns + (int64_t)((double)(tick - c->anchor_tsc) * c->ns_per_tick);
      if (ns < c->last)
        ns = c->last;
      c->last = ns;
      return ns;
    }
#endif
  return (int64_t)tick;
}

static inline int64_t
now_ns (void)
{
  return ticks_ns (ticks ());
}

/* ---- frames into the ring ---------------------------------------------- */

/* Waits for @len free bytes in the ring and returns where to write them,
 * or NULL when recording stopped. */
static uint8_t *
ring_reserve (size_t len)
{
  /* The program's process ended the run; a forked child that outlives it
   * has nobody left to record for. Checked under the ring's lock, which
   * the RUN_END was written under. */
  if (tracer.is_child && atomic_load_explicit (&tracer.ring.header->finished, memory_order_relaxed))
    {
      tracer.disabled = 1;
      return NULL;
    }
  if (len > tracer.ring.size / 2)
    return NULL; /* cannot happen with the budgets; never block forever */
  while (smiley_ring_wait_space (&tracer.ring, len, 1000) < 0)
    {
      /* The consumer made no progress for a second: only give up if it
       * is gone, otherwise a slow sink is allowed to slow us down. */
      if ((kill (tracer.parent, 0) < 0 && errno == ESRCH)
          || smiley_ring_consumer_lost (&tracer.ring))
        {
          tracer.disabled = 1;
          return NULL;
        }
    }
  return smiley_ring_write_pointer (&tracer.ring);
}

static void
ring_write (const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
  uint8_t *p = ring_reserve (a_len + b_len);

  if (p == NULL)
    return;
  if (a_len > 0)
    memcpy (p, a, a_len);
  if (b_len > 0)
    memcpy (p + a_len, b, b_len);
  smiley_ring_publish (&tracer.ring, a_len + b_len);
}

/* Cross-process lock of the ring in shared mode. A process killed while
 * holding it cannot publish a half-written frame (head only moves after
 * the frame is complete), so its lock is simply taken over. */
static void
shared_lock (void)
{
  SmileyRingHeader *h = tracer.ring.header;

  if (!tracer.shared)
    return;
  for (int spins = 0;; spins++)
    {
      uint32_t        owner = 0;
      struct timespec ts = { 0, 10 * 1000 * 1000 };

      if (atomic_compare_exchange_strong (&h->lock, &owner, (uint32_t)tracer.pid))
        return;
      if (spins < 100)
        continue;
      atomic_fetch_add (&h->lock_waiters, 1);
      if (smiley_ring_futex (&h->lock, FUTEX_WAIT, owner, &ts) < 0 && errno == ETIMEDOUT
          && kill ((pid_t)owner, 0) < 0 && errno == ESRCH)
        atomic_compare_exchange_strong (&h->lock, &owner, 0);
      atomic_fetch_sub (&h->lock_waiters, 1);
    }
}

static void
shared_unlock (void)
{
  SmileyRingHeader *h = tracer.ring.header;

  if (!tracer.shared)
    return;
  atomic_store (&h->lock, 0);
  if (atomic_load (&h->lock_waiters) > 0)
    smiley_ring_futex (&h->lock, FUTEX_WAKE, 1, NULL);
}

static void
count_event (void)
{
  tracer.events++;
  if (tracer.shared)
    atomic_fetch_add_explicit (&tracer.ring.header->events_emitted, 1, memory_order_relaxed);
  else
    atomic_store_explicit (&tracer.ring.header->events_emitted, tracer.events,
                           memory_order_relaxed);
}

/* Queues a one-entry STRINGS or THREADS frame; in shared mode it is
 * written at once, under the lock its id was taken under. */
static void
queue_definition (const uint8_t *frame, size_t len)
{
  if (tracer.shared)
    ring_write (frame, len, NULL, 0);
  else
    tracer_buf_append (&tracer.pending, frame, len);
}

/* Writes the queued STRINGS/THREADS frames in groups of whole frames
 * that fit the ring. */
static void
flush_pending (void)
{
  size_t done = 0;

  while (done < tracer.pending.len)
    {
      size_t group = 0;

      while (done + group < tracer.pending.len)
        {
          uint32_t size = smiley_wire_get_u32 (tracer.pending.data + done + group);
          if (group > 0 && group + size > tracer.ring.size / 4)
            break;
          group += size;
        }
      ring_write (tracer.pending.data + done, group, NULL, 0);
      done += group;
    }
  tracer.pending.len = 0;
}

/* ---- string table ------------------------------------------------------ */

static uint64_t
hash_bytes (const char *s, size_t len)
{
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < len; i++)
    h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
  return h | 1;
}

static uint32_t
intern_bytes (const char *s, size_t len)
{
  uint64_t h;
  size_t   i;

  if (len == 0)
    return 0;
  if ((tracer.n_strings + 1) * 2 > tracer.strings_cap)
    {
      size_t      cap = tracer.strings_cap ? tracer.strings_cap * 2 : 1024;
      StringSlot *slots = calloc (cap, sizeof *slots);
      if (slots == NULL)
        return 0;
      for (size_t j = 0; j < tracer.strings_cap; j++)
        if (tracer.strings[j].hash != 0)
          {
            size_t k = tracer.strings[j].hash & (cap - 1);
            while (slots[k].hash != 0)
              k = (k + 1) & (cap - 1);
            slots[k] = tracer.strings[j];
          }
      free (tracer.strings);
      tracer.strings = slots;
      tracer.strings_cap = cap;
    }
  h = hash_bytes (s, len);
  i = h & (tracer.strings_cap - 1);
  while (tracer.strings[i].hash != 0)
    {
      StringSlot *slot = &tracer.strings[i];
      if (slot->hash == h && slot->len == len && memcmp (slot->text, s, len) == 0)
        return slot->id;
      i = (i + 1) & (tracer.strings_cap - 1);
    }
  tracer.strings[i].hash = h;
  tracer.strings[i].len = (uint32_t)len;
  tracer.strings[i].text = malloc (len);
  if (tracer.strings[i].text != NULL)
    memcpy (tracer.strings[i].text, s, len);
  tracer.n_strings++;

  /* Defined before any event that uses it reaches the ring. */
  {
    uint8_t *frame = malloc (SMILEY_WIRE_FRAME_HEADER_SIZE + 2 * SMILEY_WIRE_MAX_VARINT + len);
    uint8_t *p;

    if (frame == NULL)
      return 0;
    shared_lock ();
    tracer.strings[i].id = tracer.shared ? atomic_fetch_add (&tracer.ring.header->next_string, 1)
                                         : tracer.n_strings - 1;
    p = frame + SMILEY_WIRE_FRAME_HEADER_SIZE;
    p = smiley_wire_put_varint (p, 1);
    p = smiley_wire_put_varint (p, tracer.strings[i].id);
    p = smiley_wire_put_bytes (p, s, len);
    smiley_wire_put_frame_header (frame, (uint32_t)(p - frame), SMILEY_WIRE_STRINGS);
    queue_definition (frame, (size_t)(p - frame));
    shared_unlock ();
    free (frame);
  }
  return tracer.strings[i].id;
}

static uint32_t
intern_unicode (PyObject *text)
{
  Py_ssize_t  len;
  const char *utf8;

  if (text == NULL || !PyUnicode_Check (text))
    return 0;
  utf8 = PyUnicode_AsUTF8AndSize (text, &len);
  if (utf8 == NULL)
    {
      /* A file name with bytes that are not UTF-8 (surrogate-escaped by
       * Python): recorded with those bytes as \xNN, as the smiley
       * process records such arguments and directories. */
      PyObject *raw, *shown;
      uint32_t  id = 0;

      PyErr_Clear ();
      raw = PyUnicode_AsEncodedString (text, "utf-8", "surrogateescape");
      shown = raw ? PyUnicode_DecodeUTF8 (PyBytes_AS_STRING (raw), PyBytes_GET_SIZE (raw),
                                          "backslashreplace")
                  : NULL;
      utf8 = shown ? PyUnicode_AsUTF8AndSize (shown, &len) : NULL;
      if (utf8 != NULL)
        id = intern_bytes (utf8, (size_t)len);
      else
        id = intern_bytes ("<not UTF-8>", 11);
      PyErr_Clear ();
      Py_XDECREF (shown);
      Py_XDECREF (raw);
      return id;
    }
  return intern_bytes (utf8, (size_t)len);
}

/* ---- threads ----------------------------------------------------------- */

static ThreadState *thread_state_new (void);

static inline ThreadState *
thread_state (void)
{
  ThreadState *ts = tls_state;

  if (ts != NULL && ts->id != 0)
    return ts;
  return thread_state_new ();
}

static ThreadState *
thread_state_new (void)
{
  ThreadState *ts = tls_state;
  char         name[256] = "";
  uint64_t     native;
  PyObject    *modules, *threading, *active, *ident, *thread, *pyname;

  if (ts != NULL && ts->id != 0)
    return ts;
  native = (uint64_t)syscall (SYS_gettid);
  if (ts == NULL)
    ts = calloc (1, sizeof *ts);
  if (ts == NULL)
    return NULL;
  tls_state = ts;

  /* The name threading gave it, read without running Python code where
   * possible: threading._active[get_ident()]._name. The program may not
   * have imported threading, and we must not import it for it. */
  modules = PyImport_GetModuleDict ();
  threading = modules ? PyDict_GetItemString (modules, "threading") : NULL;
  active = threading ? PyObject_GetAttrString (threading, "_active") : NULL;
  ident = PyLong_FromUnsignedLong (PyThread_get_thread_ident ());
  thread
      = (active && ident && PyDict_Check (active)) ? PyDict_GetItemWithError (active, ident) : NULL;
  pyname = thread ? PyObject_GetAttrString (thread, "_name") : NULL;
  if (pyname != NULL && PyUnicode_Check (pyname))
    {
      const char *utf8 = PyUnicode_AsUTF8 (pyname);
      if (utf8 != NULL)
        snprintf (name, sizeof name, "%s", utf8);
    }
  Py_XDECREF (pyname);
  Py_XDECREF (ident);
  Py_XDECREF (active);
  PyErr_Clear ();
  /* Without threading: the first thread, or the one that forked a child
   * (the only one the child has), is its process's main thread. */
  if (name[0] == '\0')
    snprintf (name, sizeof name, "%s",
              tracer.n_threads == 0 || tracer.forked_main ? "MainThread" : "Thread");
  tracer.forked_main = 0;
  if (tracer.is_child)
    {
      /* Threads of forked processes carry their pid in their name too, so
       * that every view tells the processes apart. */
      size_t used = strlen (name);
      snprintf (name + used, sizeof name - used, " (pid %d)", (int)tracer.pid);
    }

  {
    uint8_t  frame[SMILEY_WIRE_FRAME_HEADER_SIZE + 5 * SMILEY_WIRE_MAX_VARINT + sizeof name];
    uint8_t *p = frame + SMILEY_WIRE_FRAME_HEADER_SIZE;

    shared_lock ();
    tracer.n_threads++;
    ts->id
        = tracer.shared ? atomic_fetch_add (&tracer.ring.header->next_thread, 1) : tracer.n_threads;
    p = smiley_wire_put_varint (p, 1);
    p = smiley_wire_put_varint (p, ts->id);
    p = smiley_wire_put_varint (p, (uint64_t)tracer.pid);
    p = smiley_wire_put_varint (p, native);
    p = smiley_wire_put_bytes (p, name, strlen (name));
    smiley_wire_put_frame_header (frame, (uint32_t)(p - frame), SMILEY_WIRE_THREADS);
    queue_definition (frame, (size_t)(p - frame));
    shared_unlock ();
  }
  return ts;
}

/* ---- code objects ------------------------------------------------------ */

static void
code_info_free (void *data)
{
  CodeInfo *ci = data;
  if (ci != NULL)
    {
      free (ci->names);
      free (ci);
    }
}

static int
has_prefix (const char *s, const char *prefix)
{
  return strncmp (s, prefix, strlen (prefix)) == 0;
}

static int
package_matches (const char *module, const char *package)
{
  size_t len = strlen (package);
  return strncmp (module, package, len) == 0 && (module[len] == '\0' || module[len] == '.');
}

static int
decide (const char *file, const char *module, int inherited)
{
  if (module != NULL)
    for (char **p = tracer.packages; p && *p; p++)
      if (package_matches (module, *p))
        return 1;
  for (char **p = tracer.exclude; p && *p; p++)
    if (fnmatch (*p, file, 0) == 0 || (module && fnmatch (*p, module, 0) == 0))
      return 0;
  /* The program itself, wherever it lives: `-m json.tool` traces the
   * tool even though it is part of the standard library. */
  if (module != NULL && strcmp (module, "__main__") == 0)
    return 1;
  if (strstr (file, "/site-packages/") || strstr (file, "/dist-packages/"))
    return tracer.include_site;
  if (has_prefix (file, "<frozen "))
    return tracer.include_stdlib;
  /* Code compiled from a string (namedtuple's, a template engine's) goes
   * with the code that runs it; -c and <stdin> have no caller. */
  if (file[0] == '<' && inherited >= 0)
    return inherited;
  for (char **p = tracer.stdlib; p && *p; p++)
    if (has_prefix (file, *p))
      return tracer.include_stdlib;
  return 1;
}

static int
hidden_name (PyObject *name)
{
  Py_ssize_t  len = PyUnicode_GET_LENGTH (name);
  int         kind = PyUnicode_KIND (name);
  const void *data = PyUnicode_DATA (name);

  if (len == 0)
    return 1;
  /* ".0", the iterator argument of comprehensions */
  if (PyUnicode_READ (kind, data, 0) == '.')
    return 1;
  return len > 4 && PyUnicode_READ (kind, data, 0) == '_' && PyUnicode_READ (kind, data, 1) == '_'
         && PyUnicode_READ (kind, data, len - 1) == '_'
         && PyUnicode_READ (kind, data, len - 2) == '_';
}

/* The layout of code->co_extra (Objects/codeobject.c, 3.11), read
 * directly: _PyCode_GetExtra() costs a call and checks per event. */
typedef struct
{
  Py_ssize_t ce_size;
  void      *ce_extras[1];
} CodeExtra;

static inline CodeInfo *
cached_code_info (PyCodeObject *code)
{
  CodeExtra *extra = (CodeExtra *)code->co_extra;

  if (extra != NULL && tracer.extra < extra->ce_size)
    return extra->ce_extras[tracer.extra];
  return NULL;
}

/* A traced file that is not on disk (a module in a zip archive, a
 * zipapp's __main__) would have no source in the run: the smiley process
 * reads sources from disk. Its bytes are sent from here instead, once per
 * file, as the module's own loader reads them (CPython does not trace
 * Python code called from a profile function). */
static void
send_source_if_not_on_disk (uint32_t file_id, const char *file, PyObject *filename,
                            PyObject *globals)
{
  struct stat st;
  PyObject   *loader, *data;
  uint8_t    *buf, *p;
  Py_ssize_t  len;

  if (file_id == 0 || file[0] == '\0' || file[0] == '<')
    return;
  if (file_id >= tracer.sources_checked_cap)
    {
      size_t   cap = tracer.sources_checked_cap ? tracer.sources_checked_cap : 256;
      uint8_t *q;

      while (cap <= file_id)
        cap *= 2;
      q = realloc (tracer.sources_checked, cap);
      if (q == NULL)
        return;
      memset (q + tracer.sources_checked_cap, 0, cap - tracer.sources_checked_cap);
      tracer.sources_checked = q;
      tracer.sources_checked_cap = cap;
    }
  if (tracer.sources_checked[file_id])
    return;
  tracer.sources_checked[file_id] = 1;
  if (stat (file, &st) == 0 || globals == NULL || !PyDict_Check (globals))
    return;
  loader = PyDict_GetItemString (globals, "__loader__");
  if (loader == NULL || !PyObject_HasAttrString (loader, "get_data"))
    {
      PyErr_Clear ();
      return;
    }
  data = PyObject_CallMethod (loader, "get_data", "O", filename);
  if (data == NULL || !PyBytes_Check (data))
    {
      PyErr_Clear ();
      Py_XDECREF (data);
      return;
    }
  len = PyBytes_GET_SIZE (data);
  buf = (size_t)len < tracer.ring.size / 4
            ? malloc (SMILEY_WIRE_FRAME_HEADER_SIZE + 2 * SMILEY_WIRE_MAX_VARINT + (size_t)len)
            : NULL;
  if (buf != NULL)
    {
      p = buf + SMILEY_WIRE_FRAME_HEADER_SIZE;
      p = smiley_wire_put_varint (p, file_id);
      p = smiley_wire_put_bytes (p, PyBytes_AS_STRING (data), (size_t)len);
      smiley_wire_put_frame_header (buf, (uint32_t)(p - buf), SMILEY_WIRE_SOURCE);
      shared_lock ();
      flush_pending (); /* the file's name is defined first */
      ring_write (buf, (size_t)(p - buf), NULL, 0);
      shared_unlock ();
      free (buf);
    }
  Py_DECREF (data);
}

static CodeInfo *
code_info (PyCodeObject *code, PyFrameObject *frame, int inherited)
{
  void       *extra = NULL;
  CodeInfo   *ci;
  const char *file, *module = NULL, *name;
  PyObject   *modname = NULL;

  if (_PyCode_GetExtra ((PyObject *)code, tracer.extra, &extra) == 0 && extra != NULL)
    return extra;
  PyErr_Clear ();

  ci = calloc (1, sizeof *ci);
  if (ci == NULL)
    return NULL;
  file = PyUnicode_AsUTF8 (code->co_filename);
  if (file == NULL)
    {
      PyErr_Clear ();
      file = "?";
    }
  if (frame->f_frame->f_globals != NULL && PyDict_Check (frame->f_frame->f_globals))
    {
      modname = PyDict_GetItemWithError (frame->f_frame->f_globals, tracer.name_key);
      if (modname != NULL && PyUnicode_Check (modname))
        module = PyUnicode_AsUTF8 (modname);
      PyErr_Clear ();
    }
  name = PyUnicode_AsUTF8 (code->co_name);
  if (name == NULL)
    {
      PyErr_Clear ();
      name = "?";
    }

  ci->included = decide (file, module, inherited);
  ci->generator = (code->co_flags & (CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GENERATOR)) != 0;
  ci->fast = (code->co_flags & CO_OPTIMIZED) != 0;
  ci->threading_module
      = module != NULL && strcmp (module, "threading") == 0 && strcmp (name, "<module>") == 0;
  ci->stats_entry
      = tracer_profile_entry (tracer.profile, file, (uint32_t)code->co_firstlineno, name);
  ci->n = (uint32_t)code->co_nlocalsplus;
  if (ci->included)
    {
      ci->file_id = intern_unicode (code->co_filename);
      send_source_if_not_on_disk (ci->file_id, file, code->co_filename, frame->f_frame->f_globals);
      ci->func_id = intern_unicode (code->co_qualname);
      if (ci->fast && ci->n > 0)
        {
          ci->names = calloc (ci->n, sizeof *ci->names);
          for (uint32_t i = 0; ci->names && i < ci->n; i++)
            {
              PyObject *local = PyTuple_GET_ITEM (code->co_localsplusnames, i);
              ci->names[i] = hidden_name (local) ? 0 : intern_unicode (local);
            }
        }
    }
  if (_PyCode_SetExtra ((PyObject *)code, tracer.extra, ci) < 0)
    {
      /* Not cached: still correct, just decided again next time. */
      PyErr_Clear ();
    }
  return ci;
}

/* ---- locals ------------------------------------------------------------ */

/* Cheap evidence that a value changed without rendering it: identity,
 * plus for the common mutable containers something that moves when they
 * are modified in place. */
static inline uint64_t
fingerprint (PyObject *v)
{
  PyTypeObject *t = Py_TYPE (v);

  if (t == &PyDict_Type)
    return ((PyDictObject *)v)->ma_version_tag;
  if (t == &PyList_Type)
    {
      /* Length, item array and the items at both ends: appends, pops,
       * sorts and edits at either end are seen; an item replaced in the
       * middle of a list is not (until the local is rebound). */
      Py_ssize_t n = PyList_GET_SIZE (v);
      PyObject **items = ((PyListObject *)v)->ob_item;
      uint64_t   h = (uint64_t)n * 0x9e3779b97f4a7c15ULL ^ (uint64_t)(uintptr_t)items;

      if (n > 0)
        h = (h ^ (uint64_t)(uintptr_t)items[0]) * 0x100000001b3ULL
            ^ (uint64_t)(uintptr_t)items[n - 1];
      return h;
    }
  if (t == &PySet_Type)
    return (uint64_t)((PySetObject *)v)->used << 32 ^ (uint64_t)((PySetObject *)v)->fill;
  if (t == &PyByteArray_Type)
    return (uint64_t)PyByteArray_GET_SIZE (v);
  return 0;
}

static inline int
hidden_value (PyObject *v)
{
  return PyModule_Check (v) || PyFunction_Check (v) || PyCFunction_Check (v) || PyType_Check (v)
         || PyMethod_Check (v);
}

static void
add_local (ThreadState *ts, uint32_t name, PyObject *value)
{
  TracerBuf  *b = &ts->locals;
  const char *text;
  size_t      len;

  ts->value.len = 0;
  if (value == NULL)
    {
      text = NULL;
      len = 0;
    }
  else if (tracer.run_budget > 0 && tracer.run_used >= tracer.run_budget)
    {
      text = BUDGET_RUN_MARK;
      len = sizeof BUDGET_RUN_MARK - 1;
    }
  else if (tracer.event_budget > 0 && b->len >= tracer.event_budget)
    {
      text = BUDGET_EVENT_MARK;
      len = sizeof BUDGET_EVENT_MARK - 1;
    }
  else
    {
      tracer_repr (&ts->value, value, &tracer.limits);
      text = (const char *)ts->value.data;
      len = ts->value.len;
      if (text == NULL)
        text = "";
      tracer.run_used += len;
    }
  if (tracer_buf_reserve (b, 2 * SMILEY_WIRE_MAX_VARINT + len) != 0)
    return;
  b->len = smiley_wire_put_varint (b->data + b->len, name) - b->data;
  b->len = smiley_wire_put_opt_bytes (b->data + b->len, text, len) - b->data;
  ts->n_locals++;
}

static inline void
update_slot (ThreadState *ts, Slot *slot, uint32_t name, PyObject *v, int full)
{
  uint64_t fp = v ? fingerprint (v) : 0;
  int      was_shown;

  if (!full && slot->ptr == v && slot->fp == fp)
    return;
  was_shown = slot->shown;
  slot->ptr = v;
  slot->fp = fp;
  if (v == NULL || hidden_value (v))
    {
      slot->shown = 0;
      if (was_shown && v == NULL)
        add_local (ts, name, NULL);
      return;
    }
  slot->shown = 1;
  add_local (ts, name, v);
}

static void
collect_fast (ThreadState *ts, Rec *rec, PyFrameObject *frame, int full)
{
  _PyInterpreterFrame *f = frame->f_frame;
  CodeInfo            *ci = rec->ci;
  Slot                *slots = ts->slots + rec->slots;
  const unsigned char *kinds
      = (const unsigned char *)PyBytes_AS_STRING (f->f_code->co_localspluskinds);

  if (ci->names == NULL || (uint32_t)f->f_code->co_nlocalsplus != ci->n)
    return;
  for (uint32_t i = 0; i < ci->n; i++)
    {
      PyObject *v;

      if (ci->names[i] == 0)
        continue;
      v = f->localsplus[i];
      if (v != NULL && (kinds[i] & (CO_FAST_CELL | CO_FAST_FREE)) && PyCell_Check (v))
        v = PyCell_GET (v);
      update_slot (ts, &slots[i], ci->names[i], v, full);
    }
}

static void
dict_locals_free (DictLocals *dl)
{
  if (dl == NULL)
    return;
  for (size_t i = 0; i < dl->n; i++)
    Py_XDECREF (dl->e[i].key);
  free (dl->e);
  free (dl);
}

static void
collect_dict (ThreadState *ts, Rec *rec, PyFrameObject *frame, int full)
{
  PyObject   *dict = frame->f_frame->f_locals;
  DictLocals *dl;
  Py_ssize_t  pos = 0;
  size_t      idx = 0;
  PyObject   *key, *value;

  if (dict == NULL || !PyDict_CheckExact (dict))
    return;
  if (rec->dict == NULL)
    rec->dict = calloc (1, sizeof (DictLocals));
  dl = rec->dict;
  if (dl == NULL)
    return;
  if (!full && dl->version == ((PyDictObject *)dict)->ma_version_tag)
    return;
  dl->version = ((PyDictObject *)dict)->ma_version_tag;
  if (!full && PyDict_GET_SIZE (dict) > DICT_FULL_SCAN_MAX)
    {
      pos = dl->scan_pos;
      idx = dl->scan_idx;
    }

  /* Dicts keep insertion order, so the slot at the same position almost
   * always holds the same key. */
  while (PyDict_Next (dict, &pos, &key, &value))
    {
      DictSlot *e = NULL;

      if (!PyUnicode_Check (key))
        continue;
      if (idx < dl->n && dl->e[idx].key == key)
        e = &dl->e[idx];
      else if (idx < dl->n)
        /* Not where it was: a name was deleted. Past the known ones, a
         * name is new (or re-added after a del: then its old slot just
         * goes stale). */
        for (size_t j = 0; j < dl->n; j++)
          if (dl->e[j].key == key)
            {
              e = &dl->e[j];
              break;
            }
      if (e == NULL)
        {
          if (dl->n == dl->cap)
            {
              size_t    cap = dl->cap ? dl->cap * 2 : 16;
              DictSlot *p = realloc (dl->e, cap * sizeof *p);
              if (p == NULL)
                return;
              dl->e = p;
              dl->cap = cap;
            }
          e = &dl->e[dl->n++];
          memset (e, 0, sizeof *e);
          e->key = Py_NewRef (key);
          e->name = hidden_name (key) ? 0 : intern_unicode (key);
        }
      idx++;
      if (e->name != 0)
        update_slot (ts, &e->slot, e->name, value, 0);
    }
  dl->scan_pos = pos;
  dl->scan_idx = idx;
}

static void
collect_locals (ThreadState *ts, Rec *rec, PyFrameObject *frame, int full)
{
  ts->locals.len = 0;
  ts->n_locals = 0;
  if (rec->ci->fast)
    collect_fast (ts, rec, frame, full);
  else
    collect_dict (ts, rec, frame, full);
}

/* Locals of suspended generators, so that a resume shows what changed
 * since the yield instead of everything again. Direct-mapped by frame:
 * an entry lost to a collision only costs a full snapshot. An entry is
 * only ever read by a RESUME of the frame that stored it at its last
 * yield (a new frame at the same address starts with a CALL). */
#define SUSPENDED_SLOTS 1024

typedef struct
{
  PyFrameObject *frame;
  PyCodeObject  *code;
  uint32_t       n;
  Slot          *slots;
} Suspended;

static Suspended suspended[SUSPENDED_SLOTS];

static inline Suspended *
suspended_for (PyFrameObject *frame)
{
  return &suspended[((uintptr_t)frame >> 4) % SUSPENDED_SLOTS];
}

static void
suspend_locals (ThreadState *ts, Rec *rec, PyFrameObject *frame)
{
  Suspended *s = suspended_for (frame);

  if (!rec->ci->fast || rec->ci->n == 0 || ts->n_slots < rec->slots + rec->ci->n)
    return;
  if (s->n < rec->ci->n)
    {
      Slot *p = realloc (s->slots, rec->ci->n * sizeof (Slot));
      if (p == NULL)
        return;
      s->slots = p;
    }
  memcpy (s->slots, ts->slots + rec->slots, rec->ci->n * sizeof (Slot));
  s->frame = frame;
  s->code = frame->f_frame->f_code;
  s->n = rec->ci->n;
}

/* Returns whether the frame's slots were restored. */
static int
resume_locals (ThreadState *ts, Rec *rec, PyFrameObject *frame)
{
  Suspended *s = suspended_for (frame);

  if (s->frame != frame || s->code != frame->f_frame->f_code || s->n != rec->ci->n)
    return 0;
  memcpy (ts->slots + rec->slots, s->slots, s->n * sizeof (Slot));
  s->frame = NULL;
  return 1;
}

static void
forget_locals (PyFrameObject *frame)
{
  Suspended *s = suspended_for (frame);

  if (s->frame == frame)
    s->frame = NULL;
}

/* ---- events ------------------------------------------------------------ */

static void
emit (ThreadState *ts, int kind, const Rec *rec, uint32_t line, int has_arg, int with_locals,
      int64_t now)
{
  /* The traced frame below this one (0 for the thread's outermost). */
  uint64_t parent = rec > ts->stack ? rec[-1].ctx_call : 0;
  int64_t  t = (now ? now : now_ns ()) - tracer.t0;
  size_t   arg_len = has_arg ? ts->arg.len : 0;
  size_t   need;
  uint8_t *start, *frame, *p;

  if (tracer.disabled)
    return;
  /* A forked process's thread announces itself (with its new pid) at
   * its first event, whichever hook that comes from. */
  if (ts->id == 0 && thread_state () == NULL)
    return;
  if (!with_locals)
    {
      ts->locals.len = 0;
      ts->n_locals = 0;
    }
  /* Many new names at once (a module with thousands of globals): send
   * them ahead, a ring's worth at a time, rather than in one piece. */
  if (tracer.pending.len > tracer.ring.size / 4)
    flush_pending ();
  /* Encoded in place in the ring: strings first, then the event. */
  need = tracer.pending.len + SMILEY_WIRE_FRAME_HEADER_SIZE + 1 + 12 * SMILEY_WIRE_MAX_VARINT
         + arg_len + ts->locals.len;
  shared_lock ();
  start = ring_reserve (need);
  if (start == NULL)
    {
      shared_unlock ();
      return;
    }
  p = start;
  if (tracer.pending.len > 0)
    {
      memcpy (p, tracer.pending.data, tracer.pending.len);
      p += tracer.pending.len;
      tracer.pending.len = 0;
    }
  frame = p;
  p += SMILEY_WIRE_FRAME_HEADER_SIZE;
  p = smiley_wire_put_varint (p, 1);
  *p++ = (uint8_t)kind;
  p = smiley_wire_put_varint (p, ts->id);
  p = smiley_wire_put_varint (p, rec->call_id);
  p = smiley_wire_put_varint (p, parent);
  p = smiley_wire_put_varint (p, rec->depth);
  p = smiley_wire_put_varint (p, (uint64_t)(t > 0 ? t : 0));
  p = smiley_wire_put_varint (p, rec->ci->file_id);
  p = smiley_wire_put_varint (p, line);
  p = smiley_wire_put_varint (p, rec->ci->func_id);
  if (has_arg)
    p = smiley_wire_put_opt_bytes (p, ts->arg.data ? (const char *)ts->arg.data : "", arg_len);
  else
    p = smiley_wire_put_varint (p, 0);
  p = smiley_wire_put_varint (p, ts->n_locals);
  if (ts->locals.len > 0)
    {
      memcpy (p, ts->locals.data, ts->locals.len);
      p += ts->locals.len;
    }
  smiley_wire_put_frame_header (frame, (uint32_t)(p - frame), SMILEY_WIRE_EVENTS);
  smiley_ring_publish (&tracer.ring, (uint64_t)(p - start));
  count_event ();
  shared_unlock ();
}

/* ---- shadow stack ------------------------------------------------------ */

static inline Rec *
push (ThreadState *ts)
{
  Rec *rec;

  if (ts->n == ts->cap)
    {
      size_t cap = ts->cap ? ts->cap * 2 : 64;
      Rec   *p = realloc (ts->stack, cap * sizeof *p);
      if (p == NULL)
        return NULL;
      ts->stack = p;
      ts->cap = cap;
    }
  rec = &ts->stack[ts->n++];
  /* Field by field: this runs for every call, a memset() showed. */
  rec->frame = NULL;
  rec->ci = NULL;
  rec->call_id = 0;
  rec->ctx_call = 0;
  rec->depth = 0;
  rec->is_c = 0;
  rec->traced = 0;
  rec->lines = 0;
  rec->entry = TRACER_NO_ENTRY;
  rec->sub = TRACER_NO_ENTRY;
  rec->last_callee = TRACER_NO_ENTRY;
  rec->last_sub = TRACER_NO_ENTRY;
  rec->t0 = 0;
  rec->subt = 0;
  rec->slots = ts->n_slots;
  rec->dict = NULL;
  return rec;
}

static int
reserve_slots (ThreadState *ts, Rec *rec, uint32_t n)
{
  if (ts->n_slots + n > ts->slots_cap)
    {
      size_t cap = ts->slots_cap ? ts->slots_cap : 256;
      Slot  *p;
      while (cap < ts->n_slots + n)
        cap *= 2;
      p = realloc (ts->slots, cap * sizeof *p);
      if (p == NULL)
        return -1;
      ts->slots = p;
      ts->slots_cap = cap;
    }
  rec->slots = ts->n_slots;
  memset (ts->slots + ts->n_slots, 0, n * sizeof (Slot));
  ts->n_slots += n;
  return 0;
}

static inline void
set_lines (PyThreadState *tstate, int on)
{
  /* Only toggle our own trace function: one the program installed with
   * sys.settrace() is its business. */
  if (on)
    {
      if (tstate->c_tracefunc == NULL)
        tstate->c_tracefunc = trace_cb;
    }
  else if (tstate->c_tracefunc == trace_cb)
    tstate->c_tracefunc = NULL;
}

static inline void
profile_begin (ThreadState *ts, Rec *rec, uint32_t entry, int64_t t)
{
  Rec     *below = ts->n >= 2 ? rec - 1 : NULL;
  uint32_t sub = TRACER_NO_ENTRY;

  if (!tracer.stats_on || entry == TRACER_NO_ENTRY)
    return;
  if (below != NULL && below->entry != TRACER_NO_ENTRY)
    {
      /* A loop calls the same function again and again. */
      if (below->last_callee == entry)
        sub = below->last_sub;
      else
        {
          sub = tracer_profile_sub (tracer.profile, below->entry, entry);
          below->last_callee = entry;
          below->last_sub = sub;
        }
    }
  rec->entry = entry;
  rec->sub = sub;
  tracer_profile_start (tracer.profile, entry, sub);
  rec->t0 = t;
}

static inline void
profile_end (ThreadState *ts, Rec *rec, int64_t t)
{
  int64_t tt, it;

  if (rec->entry == TRACER_NO_ENTRY)
    return;
  tt = t - rec->t0;
  it = tt - rec->subt;
  if (rec > ts->stack && rec[-1].entry != TRACER_NO_ENTRY)
    rec[-1].subt += tt;
  tracer_profile_stop (tracer.profile, rec->entry, rec->sub, tt, it);
}

static inline void
pop (ThreadState *ts)
{
  Rec *rec = &ts->stack[ts->n - 1];

  if (rec->dict != NULL)
    dict_locals_free (rec->dict);
  ts->n_slots = rec->slots;
  ts->n--;
}

static void
hook_threading (void)
{
  PyObject *modules = PyImport_GetModuleDict ();
  PyObject *threading = modules ? PyDict_GetItemString (modules, "threading") : NULL;
  PyObject *result;

  if (tracer.threading_hooked || threading == NULL)
    return;
  tracer.threading_hooked = 1;
  result = PyObject_CallMethod (threading, "setprofile", "O", tracer.thread_hook);
  Py_XDECREF (result);
  PyErr_Clear ();
}

/* The bootstrap stays in sys.modules['sitecustomize'] when the
 * interpreter has no sitecustomize of its own (importlib insists on
 * removing it itself); it leaves when the program starts, so the program
 * sees what python3 shows it: no 'sitecustomize' at all. */
static void
forget_bootstrap (void)
{
  PyObject *modules = PyImport_GetModuleDict ();
  PyObject *item;

  if (tracer.hide_module == NULL || modules == NULL)
    return;
  item = PyDict_GetItemString (modules, "sitecustomize");
  if (item == tracer.hide_module)
    PyDict_DelItemString (modules, "sitecustomize");
  PyErr_Clear ();
  Py_CLEAR (tracer.hide_module);
}

static int
is_main (PyFrameObject *frame)
{
  PyObject *globals = frame->f_frame->f_globals;
  PyObject *name;

  if (globals == NULL || !PyDict_Check (globals))
    return 0;
  name = PyDict_GetItemWithError (globals, tracer.name_key);
  if (name == NULL)
    {
      PyErr_Clear ();
      return 0;
    }
  return PyUnicode_Check (name) && PyUnicode_CompareWithASCIIString (name, "__main__") == 0;
}

static int
on_call (PyThreadState *tstate, PyFrameObject *frame)
{
  ThreadState  *ts;
  PyCodeObject *code = frame->f_frame->f_code;
  CodeInfo     *ci;
  Rec          *rec, *below;
  int64_t       t;

  if (!tracer.started)
    {
      if (!is_main (frame))
        return 0;
      tracer.started = 1;
      tracer.stats_on = 1;
      tracer.main_code = code;
      hook_threading ();
      forget_bootstrap ();
    }
  ts = thread_state ();
  if (ts == NULL)
    return 0;
  ci = cached_code_info (code);
  if (ci == NULL)
    {
      /* The nearest Python caller's decision, -1 if there is none. */
      int inherited = -1;
      for (size_t i = ts->n; i > 0; i--)
        if (!ts->stack[i - 1].is_c)
          {
            inherited = ts->stack[i - 1].ci->included;
            break;
          }
      ci = code_info (code, frame, inherited);
      if (ci == NULL)
        return 0;
    }
  t = (int64_t)ticks ();
  rec = push (ts);
  if (rec == NULL)
    return 0;
  below = ts->n >= 2 ? rec - 1 : NULL;
  rec->frame = frame;
  rec->ci = ci;
  rec->depth = below ? below->depth + (below->traced ? 1 : 0) : 0;
  rec->ctx_call = below ? below->ctx_call : 0;
  profile_begin (ts, rec, ci->stats_entry, t);

  if (ci->included && !tracer.disabled && !tracer.finished)
    {
      _Py_CODEUNIT instr = *frame->f_frame->prev_instr;
      int          opcode = _Py_OPCODE (instr);
      int          resumed = (opcode == RESUME || opcode == RESUME_QUICK) && _Py_OPARG (instr) != 0;

      rec->traced = 1;
      /* --profile-only keeps the calls and returns of traced code, so a
       * viewer still has the call tree, but neither lines nor values:
       * those are what cost. */
      rec->lines = !tracer.profile_only;
      rec->call_id = ++tracer.next_call;
      rec->ctx_call = rec->call_id;
      if (tracer.profile_only)
        {
          ts->locals.len = 0;
          ts->n_locals = 0;
        }
      else if (!ci->fast || reserve_slots (ts, rec, ci->n) == 0)
        collect_locals (ts, rec, frame, !(resumed && ci->fast && resume_locals (ts, rec, frame)));
      else
        {
          ts->locals.len = 0;
          ts->n_locals = 0;
        }
      emit (ts, resumed ? TRACER_EVENT_RESUME : TRACER_EVENT_CALL, rec,
            (uint32_t)(frame->f_lineno > 0 ? frame->f_lineno : code->co_firstlineno), 0, 1,
            ticks_ns ((uint64_t)t));
    }
  set_lines (tstate, rec->lines);
  return 0;
}

static int
on_return (PyThreadState *tstate, PyFrameObject *frame, PyObject *arg)
{
  ThreadState *ts = tls_state;
  Rec         *rec;
  int64_t      t;

  if (ts == NULL || ts->n == 0)
    {
      set_lines (tstate, 0);
      return 0;
    }
  /* C records left by a call that raised without a C return event. */
  while (ts->n > 0 && ts->stack[ts->n - 1].is_c)
    pop (ts);
  if (ts->n == 0 || ts->stack[ts->n - 1].frame != frame)
    {
      int found = 0;
      for (size_t i = ts->n; i > 0; i--)
        if (ts->stack[i - 1].frame == frame)
          {
            found = 1;
            break;
          }
      if (!found)
        {
          set_lines (tstate, ts->n > 0 && ts->stack[ts->n - 1].lines);
          return 0;
        }
      while (ts->stack[ts->n - 1].frame != frame)
        pop (ts);
    }
  rec = &ts->stack[ts->n - 1];
  t = (int64_t)ticks ();
  profile_end (ts, rec, t);

  if (rec->traced && !tracer.disabled && !tracer.finished)
    {
      int kind = TRACER_EVENT_RETURN;

      if (rec->ci->generator && arg != NULL
          && _Py_OPCODE (*frame->f_frame->prev_instr) == YIELD_VALUE)
        {
          kind = TRACER_EVENT_YIELD;
          if (!tracer.profile_only)
            suspend_locals (ts, rec, frame);
        }
      else if (rec->ci->generator && !tracer.profile_only)
        forget_locals (frame);
      ts->arg.len = 0;
      if (arg != NULL && !tracer.profile_only)
        tracer_repr (&ts->arg, arg, &tracer.limits);
      emit (ts, kind, rec, (uint32_t)(frame->f_lineno > 0 ? frame->f_lineno : 0),
            arg != NULL && !tracer.profile_only, 0, ticks_ns ((uint64_t)t));
    }
  if (rec->ci->threading_module && arg != NULL)
    hook_threading ();
  if (rec->frame == frame && frame->f_frame->f_code == tracer.main_code && ts->id == 1)
    {
      /* cProfile stops when the main module's code is done; so do the
       * statistics, so that their counts mean the same. */
      tracer.stats_on = 0;
    }
  pop (ts);
  set_lines (tstate, ts->n > 0 && ts->stack[ts->n - 1].lines);
  return 0;
}

/* ---- the program's own profiler or trace function ---------------------- */

/* CPython has one profile and one trace function per thread. A program
 * that installs its own (sys.setprofile, cProfile, profile, sys.settrace)
 * replaces ours there, and we would not even know. The audit events
 * "sys.setprofile" and "sys.settrace" say when the program calls them;
 * what it installed is looked at on the thread's next event. */

static void
set_profile (Py_tracefunc func)
{
  tracer.setting_profile = 1;
  PyEval_SetProfile (func, NULL);
  tracer.setting_profile = 0;
}

/* Appends a line to the notes smiley prints when the run ends. */
static void
add_note (const char *text)
{
  SmileyRingHeader *h = tracer.ring.header;
  size_t            len = strlen (text);
  uint32_t          used;

  shared_lock ();
  used = atomic_load (&h->notes_len);
  if (used + len + 1 <= sizeof h->notes)
    {
      memcpy (h->notes + used, text, len);
      h->notes[used + len] = '\n';
      atomic_store (&h->notes_len, used + (uint32_t)len + 1);
    }
  shared_unlock ();
}

static void
note_hook_change (ThreadState *ts, PyFrameObject *frame, const char *what, const char *outcome)
{
  char        text[512];
  const char *file = NULL;
  PyObject   *name = frame ? frame->f_frame->f_code->co_filename : NULL;

  if (name != NULL && PyUnicode_Check (name))
    file = PyUnicode_AsUTF8 (name);
  PyErr_Clear ();
  snprintf (text, sizeof text, "the program %s on thread %u at %s:%d; %s", what, ts->id,
            file ? file : "?", frame ? PyFrame_GetLineNumber (frame) : 0, outcome);
  add_note (text);
}

static int
audit_hook (const char *event, PyObject *args, void *data)
{
  ThreadState   *ts = tls_state;
  PyThreadState *tstate;

  /* Every audit event of the program comes here: leave quickly. */
  if (event[0] != 's' || strncmp (event, "sys.set", 7) != 0)
    return 0;
  if (ts == NULL || tracer.setting_profile || tracer.disabled || tracer.finished || !tracer.started)
    return 0;
  tstate = PyThreadState_GET ();
  if (strcmp (event + 7, "profile") == 0)
    {
      /* Once the profile function is the program's, the trace function
       * is our only way back in: it is switched on (unless the program
       * has its own) so that the next event of this thread is ours. */
      ts->profile_check = 1;
      if (tstate->c_tracefunc == NULL)
        tstate->c_tracefunc = trace_cb;
    }
  else if (strcmp (event + 7, "trace") == 0)
    ts->trace_check = 1;
  return 0;
}

/* Our records of frames that returned while the program's profiler was
 * in place are dropped: the shadow stack is cut back to the frames still
 * running (@frame's chain), as if those had returned now. */
static void
resync_stack (ThreadState *ts, PyFrameObject *frame)
{
  int64_t t = (int64_t)ticks ();

  while (ts->n > 0)
    {
      Rec                 *rec = &ts->stack[ts->n - 1];
      _PyInterpreterFrame *f;
      int                  live = 0;

      if (!rec->is_c)
        for (f = frame->f_frame; f != NULL; f = f->previous)
          if ((PyFrameObject *)f->frame_obj == rec->frame)
            {
              live = 1;
              break;
            }
      if (live)
        break;
      profile_end (ts, rec, t);
      pop (ts);
    }
}

static void
check_profile (PyThreadState *tstate, ThreadState *ts, PyFrameObject *frame)
{
  ts->profile_check = 0;
  if (tstate->c_profilefunc == profile_cb)
    return;
  if (tstate->c_profilefunc == NULL)
    {
      /* The program removed its profiler (cProfile is done): ours again. */
      if (ts->profile_lost)
        note_hook_change (ts, frame, "removed its profiler",
                          "tracing of that thread resumed there");
      ts->profile_lost = 0;
      resync_stack (ts, frame);
      set_profile (profile_cb);
      set_lines (tstate,
                 ts->n > 0 && ts->stack[ts->n - 1].frame == frame && ts->stack[ts->n - 1].lines);
      return;
    }
  if (!ts->profile_lost)
    note_hook_change (ts, frame, "installed its own profiler",
                      "tracing of that thread stopped there");
  ts->profile_lost = 1;
  set_lines (tstate, 0);
}

static void
check_trace (PyThreadState *tstate, ThreadState *ts, PyFrameObject *frame)
{
  int theirs = tstate->c_tracefunc != NULL && tstate->c_tracefunc != trace_cb;

  ts->trace_check = 0;
  if (theirs && !ts->trace_lost)
    note_hook_change (ts, frame, "installed its own trace function",
                      "line and exception events of that thread stopped there");
  else if (!theirs && ts->trace_lost)
    note_hook_change (ts, frame, "removed its trace function",
                      "line and exception events of that thread resumed there");
  ts->trace_lost = (uint8_t)theirs;
}

static int
profile_cb (PyObject *obj, PyFrameObject *frame, int what, PyObject *arg)
{
  PyThreadState *tstate;
  ThreadState   *ts;
  Rec           *rec;

  if (tracer.disabled || tracer.finished)
    return 0;
  tstate = PyThreadState_GET ();
  if (__builtin_expect (tls_state != NULL && tls_state->trace_check, 0))
    check_trace (tstate, tls_state, frame);
  switch (what)
    {
    case PyTrace_CALL:
      return on_call (tstate, frame);

    case PyTrace_RETURN:
      if (!tracer.started)
        return 0;
      return on_return (tstate, frame, arg);

    case PyTrace_C_CALL:
      if (!tracer.stats_on || !PyCFunction_Check (arg))
        return 0;
      ts = thread_state ();
      if (ts == NULL)
        return 0;
      {
        /* Built-ins are keyed by their PyMethodDef; a small direct-mapped
         * cache in front of the profile's table. */
        const void *ml = ((PyCFunctionObject *)arg)->m_ml;
        size_t      slot = ((uintptr_t)ml >> 4) & (C_ENTRY_CACHE - 1);
        uint32_t    entry;
        int         lines = ts->n > 0 && ts->stack[ts->n - 1].lines;
        int64_t  depth = ts->n > 0 ? ts->stack[ts->n - 1].depth + ts->stack[ts->n - 1].traced : 0;
        uint64_t ctx = ts->n > 0 ? ts->stack[ts->n - 1].ctx_call : 0;

        if (tracer.c_cache_key[slot] == ml)
          entry = tracer.c_cache_entry[slot];
        else
          {
            entry = tracer_profile_c_entry (tracer.profile, arg);
            tracer.c_cache_key[slot] = ml;
            tracer.c_cache_entry[slot] = entry;
          }
        rec = push (ts);
        if (rec == NULL)
          return 0;
        rec->is_c = 1;
        rec->lines = (uint8_t)lines;
        rec->depth = (uint32_t)depth;
        rec->ctx_call = ctx;
        profile_begin (ts, rec, entry, (int64_t)ticks ());
      }
      return 0;

    case PyTrace_C_RETURN:
    case PyTrace_C_EXCEPTION:
      ts = tls_state;
      if (ts == NULL || ts->n == 0 || !ts->stack[ts->n - 1].is_c || !PyCFunction_Check (arg))
        return 0;
      profile_end (ts, &ts->stack[ts->n - 1], (int64_t)ticks ());
      pop (ts);
      return 0;

    default:
      return 0;
    }
}

static int
trace_cb (PyObject *obj, PyFrameObject *frame, int what, PyObject *arg)
{
  ThreadState *ts = tls_state;
  Rec         *rec;

  if (tracer.disabled || tracer.finished)
    {
      set_lines (PyThreadState_GET (), 0);
      return 0;
    }
  if (ts != NULL && ts->profile_check)
    {
      PyThreadState *tstate = PyThreadState_GET ();

      check_profile (tstate, ts, frame);
      if (tstate->c_profilefunc != profile_cb)
        return 0;
    }
  if (ts == NULL || ts->n == 0)
    return 0;
  rec = &ts->stack[ts->n - 1];
  if (rec->frame != frame || !rec->traced)
    return 0;

  if (what == PyTrace_LINE)
    {
      collect_locals (ts, rec, frame, 0);
      emit (ts, TRACER_EVENT_LINE, rec, (uint32_t)frame->f_lineno, 0, 1, 0);
    }
  else if (what == PyTrace_EXCEPTION && arg != NULL && PyTuple_Check (arg)
           && PyTuple_GET_SIZE (arg) >= 2)
    {
      ts->arg.len = 0;
      tracer_format_exception (&ts->arg, PyTuple_GET_ITEM (arg, 0), PyTuple_GET_ITEM (arg, 1),
                               &tracer.limits);
      emit (ts, TRACER_EVENT_EXCEPTION, rec, (uint32_t)frame->f_lineno, 1, 0, 0);
    }
  return 0;
}

/* ---- end of the run ---------------------------------------------------- */

static void
write_end (const char *error, size_t error_len, const char *traceback, size_t traceback_len)
{
  TracerBuf      out = { NULL, 0, 0 };
  struct timeval tv;
  uint8_t       *p, *start;

  if (tracer.finished || tracer.disabled || tracer.ring.header == NULL)
    return;
  tracer.finished = 1;
  /* A forked process's end is not the run's: the program's is. */
  if (tracer.is_child)
    return;

  tracer_profile_encode (tracer.profile, &out, ns_per_tick ());
  if (out.len > tracer.ring.size / 2)
    out.len = 0; /* absurdly many functions: better no stats than no end */

  gettimeofday (&tv, NULL);
  if (tracer_buf_reserve (&out, SMILEY_WIRE_FRAME_HEADER_SIZE + 8 * SMILEY_WIRE_MAX_VARINT
                                    + error_len + traceback_len)
      == 0)
    {
      start = out.data + out.len;
      p = start + SMILEY_WIRE_FRAME_HEADER_SIZE;
      p = smiley_wire_put_svarint (p, (int64_t)tv.tv_sec * 1000000 + tv.tv_usec);
      p = smiley_wire_put_varint (p, 1 /* SMILEY_RUN_FINISHED */);
      p = smiley_wire_put_svarint (p, 0); /* the smiley process knows the status */
      p = smiley_wire_put_varint (p, 0);
      p = smiley_wire_put_opt_bytes (p, error, error_len);
      p = smiley_wire_put_opt_bytes (p, traceback, traceback_len);
      p = smiley_wire_put_varint (p, tracer.events);
      smiley_wire_put_frame_header (start, (uint32_t)(p - start), SMILEY_WIRE_RUN_END);
      out.len += (size_t)(p - start);
    }
  shared_lock ();
  flush_pending ();
  ring_write (out.data, out.len, NULL, 0);
  atomic_store (&tracer.ring.header->finished, 1);
  shared_unlock ();
  smiley_ring_flush (&tracer.ring);
  free (out.data);
}

/* Py_AtExit: the program removed our atexit handler (atexit._clear()). */
static void
at_exit_fallback (void)
{
  write_end (NULL, 0, NULL, 0);
}

static PyObject *
tracer_finish (PyObject *module, PyObject *unused)
{
  TracerBuf   error = { NULL, 0, 0 };
  PyObject   *type, *value, *tb;
  PyObject   *text = NULL;
  const char *tb_utf8 = NULL;
  Py_ssize_t  tb_len = 0;

  if (tracer.finished || tracer.disabled || !tracer.started)
    {
      if (!tracer.started && !tracer.disabled)
        write_end (NULL, 0, NULL, 0);
      Py_RETURN_NONE;
    }
  /* Python exits through SIGINT after an unhandled KeyboardInterrupt
   * only while this flag is set, and running Python code here (the
   * traceback module) can clear it. */
  int unhandled_interrupt = _Py_UnhandledKeyboardInterrupt;

  /* Stop tracing first: formatting the traceback runs Python code. */
  set_profile (NULL);
  set_lines (PyThreadState_GET (), 0);

  type = PySys_GetObject ("last_type");
  value = PySys_GetObject ("last_value");
  tb = PySys_GetObject ("last_traceback");
  if (type != NULL && value != NULL && type != Py_None
      && !PyErr_GivenExceptionMatches (type, PyExc_SystemExit))
    {
      TracerReprLimits limits = tracer.limits;
      PyObject        *traceback_module = PyImport_ImportModule ("traceback");

      limits.value_limit = 4096;
      tracer_format_exception (&error, type, value, &limits);
      if (traceback_module != NULL)
        {
          PyObject *lines = PyObject_CallMethod (traceback_module, "format_exception", "OOO", type,
                                                 value, tb ? tb : Py_None);
          if (lines != NULL)
            {
              PyObject *empty = PyUnicode_FromString ("");
              if (empty != NULL)
                text = PyUnicode_Join (empty, lines);
              Py_XDECREF (empty);
              Py_DECREF (lines);
            }
          Py_DECREF (traceback_module);
        }
      if (text != NULL)
        tb_utf8 = PyUnicode_AsUTF8AndSize (text, &tb_len);
      PyErr_Clear ();
    }
  PyErr_Clear ();
  write_end (error.data ? (const char *)error.data : (error.len ? "" : NULL), error.len, tb_utf8,
             tb_utf8 ? (size_t)tb_len : 0);
  Py_XDECREF (text);
  free (error.data);
  _Py_UnhandledKeyboardInterrupt = unhandled_interrupt;
  Py_RETURN_NONE;
}

/* threading.setprofile() hook: the first Python-level profile event of a
 * new thread installs the C hooks on it. */
static PyObject *
tracer_thread_hook (PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
  if (!tracer.disabled && !tracer.finished)
    {
      set_profile (profile_cb);
      if (nargs == 3 && PyFrame_Check (args[0]) && PyUnicode_Check (args[1])
          && PyUnicode_CompareWithASCIIString (args[1], "call") == 0)
        profile_cb (NULL, (PyFrameObject *)args[0], PyTrace_CALL, Py_None);
    }
  else
    set_profile (NULL);
  Py_RETURN_NONE;
}

/* fork(): from now on the processes share the ring (see
 * SmileyRingHeader). Runs in the forking thread, which holds the GIL, so
 * no other thread of this process is writing. */
static void
before_fork (void)
{
  SmileyRingHeader *h = tracer.ring.header;

  if (tracer.disabled || tracer.shared)
    return;
  /* Strings and threads defined so far reach the ring first. */
  flush_pending ();
  atomic_store (&h->next_string, tracer.n_strings);
  atomic_store (&h->next_thread, tracer.n_threads + 1);
  atomic_store (&h->shared, 1);
}

static void
after_fork_in_parent (void)
{
  if (!tracer.disabled)
    tracer.shared = 1;
}

static void
after_fork_in_child (void)
{
  if (tracer.disabled)
    return;
  tracer.shared = 1;
  tracer.is_child = 1;
  tracer.pid = getpid ();
  /* Statistics are the program's process's; call ids must not collide
   * with the parent's, which keeps counting from where it was. */
  tracer.stats_on = 0;
  tracer.next_call = (uint64_t)tracer.pid << 40;
  /* The forking thread goes on in the child as a new thread of the run,
   * announced with the child's pid at its first event. */
  if (tls_state != NULL)
    tls_state->id = 0;
  tracer.forked_main = 1;
}

static char **
split_list (PyObject *list)
{
  Py_ssize_t n;
  char     **out;

  if (list == NULL || !PyList_Check (list))
    return calloc (1, sizeof (char *));
  n = PyList_GET_SIZE (list);
  out = calloc ((size_t)n + 1, sizeof (char *));
  for (Py_ssize_t i = 0, j = 0; out && i < n; i++)
    {
      const char *s = PyUnicode_Check (PyList_GET_ITEM (list, i))
                          ? PyUnicode_AsUTF8 (PyList_GET_ITEM (list, i))
                          : NULL;
      if (s != NULL && *s)
        out[j++] = strdup (s);
    }
  PyErr_Clear ();
  return out;
}

static PyObject *
tracer_start (PyObject *module, PyObject *args, PyObject *kwargs)
{
  static char *keywords[]
      = { "ring_fd",      "ring_size",      "t0",           "stdlib",       "packages",
          "exclude",      "include_stdlib", "include_site", "profile_only", "repr_limit",
          "event_budget", "run_budget",     "parent",       "hide",         NULL };
  int                fd, include_stdlib = 0, include_site = 1, profile_only = 0, err;
  unsigned long long ring_size, t0, run_budget = 0;
  unsigned long      repr_limit = 256, event_budget = 0;
  PyObject          *stdlib = NULL, *packages = NULL, *exclude = NULL;
  long               parent = 0;
  PyObject          *hide = NULL;

  if (tracer.ring.header != NULL)
    {
      PyErr_SetString (PyExc_RuntimeError, "the tracer is already running");
      return NULL;
    }
  if (!PyArg_ParseTupleAndKeywords (args, kwargs, "iKK|OOOpppkkKlO", keywords, &fd, &ring_size, &t0,
                                    &stdlib, &packages, &exclude, &include_stdlib, &include_site,
                                    &profile_only, &repr_limit, &event_budget, &run_budget, &parent,
                                    &hide))
    return NULL;
  /* If smiley is killed (even with SIGKILL), the program dies with it, as
   * it would have had it been the killed process, rather than run on
   * untraced. Set here, before the program runs; the smiley thread that
   * spawned us waits for us, so it lives as long as we do. smiley may
   * already have died before this line: then our parent is no longer
   * it. Forked children of the program do not inherit this, as they
   * would not under python3. An interpreter started through a wrapper
   * (`--python` naming a script or /usr/bin/time that forks python3) has
   * the wrapper as its parent: then only smiley being already gone is a
   * reason to stop, and the wrapper's own death is not. */
  if (parent > 0)
    {
      prctl (PR_SET_PDEATHSIG, SIGKILL);
      if (getppid () != (pid_t)parent)
        {
          prctl (PR_SET_PDEATHSIG, 0);
          if (kill ((pid_t)parent, 0) != 0 && errno == ESRCH)
            raise (SIGKILL);
        }
    }
  err = smiley_ring_map (&tracer.ring, fd, ring_size);
  if (err != 0)
    {
      errno = err;
      return PyErr_SetFromErrno (PyExc_OSError);
    }
  /* Programs this one execs must not inherit the ring. */
  fcntl (fd, F_SETFD, FD_CLOEXEC);
  close (fd);

  tracer.parent = getppid ();
  tracer.pid = getpid ();
  clock_init ();
  tracer.t0 = (int64_t)t0;
  tracer.include_stdlib = include_stdlib;
  tracer.include_site = include_site;
  tracer.profile_only = profile_only;
  tracer.limits.value_limit = repr_limit > 16 ? repr_limit : 16;
  tracer.limits.max_depth = 4;
  tracer.limits.max_items = 64;
  tracer.event_budget = event_budget;
  tracer.run_budget = run_budget;
  tracer.stdlib = split_list (stdlib);
  tracer.packages = split_list (packages);
  tracer.exclude = split_list (exclude);
  tracer.n_strings = 1;
  tracer.profile = tracer_profile_new ();
  tracer.name_key = PyUnicode_InternFromString ("__name__");
  tracer.thread_hook = PyObject_GetAttrString (module, "_thread_hook");
  tracer.extra = _PyEval_RequestCodeExtraIndex (code_info_free);
  if (tracer.profile == NULL || tracer.name_key == NULL || tracer.thread_hook == NULL
      || tracer.extra < 0)
    {
      smiley_ring_unmap (&tracer.ring);
      if (!PyErr_Occurred ())
        PyErr_NoMemory ();
      return NULL;
    }
  if (hide != NULL && hide != Py_None)
    tracer.hide_module = Py_NewRef (hide);
  pthread_atfork (before_fork, after_fork_in_parent, after_fork_in_child);
  Py_AtExit (at_exit_fallback);
  /* C audit hooks cannot be seen or removed by the program. */
  PySys_AddAuditHook (audit_hook, NULL);
  set_profile (profile_cb);
  Py_RETURN_NONE;
}

static PyMethodDef tracer_methods[]
    = { { "start", (PyCFunction)(void (*) (void))tracer_start, METH_VARARGS | METH_KEYWORDS,
          "start(ring_fd, ring_size, t0, ...): start recording at the first __main__ frame" },
        { "_finish", tracer_finish, METH_NOARGS,
          "write the statistics and the end of the run (an atexit handler)" },
        { "_thread_hook", (PyCFunction)(void (*) (void))tracer_thread_hook, METH_FASTCALL,
          "threading.setprofile() hook that installs the C hooks on a new thread" },
        { NULL, NULL, 0, NULL } };

static struct PyModuleDef tracer_module = {
  PyModuleDef_HEAD_INIT,
  "_smiley_tracer",
  "smiley's tracer: records a program's calls, lines, returns and exceptions",
  -1,
  tracer_methods,
  NULL,
  NULL,
  NULL,
  NULL,
};

PyMODINIT_FUNC PyInit__smiley_tracer (void);

PyMODINIT_FUNC
PyInit__smiley_tracer (void)
{
  return PyModule_Create (&tracer_module);
}
