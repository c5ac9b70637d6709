/* smiley-ring.h: the shared-memory ring between a traced interpreter and
 * the smiley process that consumes its frames
 *
 * SPDX-License-Identifier: Apache-2.0
 *
 * This header depends on nothing but the C library and Linux, because both
 * sides include it: the consumer (the python source of `smiley run`, or a
 * `smiley monitor`/`record` that `smiley run` handed the ring to, see
 * docs/transport.md) and the _smiley_tracer extension inside the traced
 * interpreter (producer), which must not load GLib into a program that
 * might use its own. Not installed. The layout is shared by the tracer and
 * smiley of one build, and by a `smiley run` and a listener that may come
 * from different builds: SMILEY_RING_VERSION says which layout a ring has,
 * and a consumer refuses any other.
 *
 * Layout of the memfd: one header page, then SIZE bytes of data. The data
 * is mapped twice, back to back, right after the header (the trick of
 * sysprof's mapped-ring-buffer.c), so a record that crosses the end of the
 * ring is still one contiguous run of bytes for both sides: writers never
 * split a frame and readers hand the reader one pointer.
 *
 * Positions (head: bytes ever written, tail: bytes ever consumed) only
 * grow; offset = position & (SIZE - 1). There is exactly one producer at a
 * time (the traced interpreter's threads all hold the GIL while they
 * write) and one consumer (the python source's reader thread, or the listener
 * it was handed to).
 *
 * Waiting is done with futexes on words inside the shared page, so that
 * neither side needs a pipe write per event: the producer only wakes the
 * consumer when the consumer said it is asleep, and the other way round.
 * Waits have a timeout so that a peer that died never hangs the other.
 */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define SMILEY_RING_MAGIC 0x534d5247u /* "SMRG" */
#define SMILEY_RING_VERSION 2u
#define SMILEY_RING_HEADER_SIZE 4096u
/* 8 MiB: a few hundred thousand events of slack, so a consumer that is
 * briefly slower than the program (a sink flushing) does not stall it. */
#define SMILEY_RING_DEFAULT_SIZE (8u * 1024u * 1024u)

typedef struct
{
  uint32_t magic;
  uint32_t version;
  uint64_t size;

  /* Producer's cache line. */
  _Atomic uint64_t head;
  _Atomic uint32_t head_seq;         /* futex word the consumer sleeps on */
  _Atomic uint32_t producer_waiting; /* producer sleeps on tail_seq */
  _Atomic uint64_t events_emitted;   /* events the tracer committed */
  _Atomic uint32_t finished;         /* the producer wrote RUN_END */
  uint8_t          pad0[64 - 28];

  /* Consumer's cache line. */
  _Atomic uint64_t tail;
  _Atomic uint32_t tail_seq;          /* futex word the producer sleeps on */
  _Atomic uint32_t consumer_sleeping; /* consumer sleeps on head_seq */
  _Atomic uint64_t events_consumed;   /* events the consumer handed on */
  /* A consumer in another process than the producer's parent (a listener
   * `smiley run` handed the ring to): its pid, so that a producer stuck on
   * a full ring can tell it died, and a flag it sets when it stops
   * consuming while it lives on (it refused or dropped the run). */
  _Atomic int32_t  consumer_pid;
  _Atomic uint32_t consumer_gone;
  uint8_t          pad1[64 - 32];

  /* Once the traced program forks, its processes all write to this ring:
   * a frame, a string id or a thread id is then only taken under @lock
   * (the owner's pid, 0 when free), from these shared counters, so the
   * one stream stays in order with dense ids. */
  _Atomic uint32_t shared;
  _Atomic uint32_t lock;
  _Atomic uint32_t lock_waiters;
  _Atomic uint32_t next_string;
  _Atomic uint32_t next_thread;

  /* Warnings for the user, lines of UTF-8 appended by the traced
   * processes (under @lock once shared) and printed by smiley when the
   * run ends: "the program installed its own profiler …". */
  _Atomic uint32_t notes_len;
  char             notes[2048];
} SmileyRingHeader;

_Static_assert(sizeof (SmileyRingHeader) <= SMILEY_RING_HEADER_SIZE,
               "the ring's header must fit in its page");

typedef struct
{
  SmileyRingHeader *header;
  uint8_t          *data; /* 2 × size bytes visible, the second a mirror */
  uint64_t          size;
  uint64_t          mask;
  size_t            map_size; /* header + 2 × size, for munmap */
  /* Consumer: its own copy of the tail. The shared one is only published
   * for the producer, which could overwrite it. */
  uint64_t tail;
} SmileyRing;

static inline long
smiley_ring_futex (_Atomic uint32_t *word, int op, uint32_t value, const struct timespec *timeout)
{
  /* Not FUTEX_PRIVATE: the word is shared between two processes. */
  return syscall (SYS_futex, (uint32_t *)word, op, value, timeout, NULL, 0);
}

/* Maps an existing ring memfd of header + @size bytes. Returns 0 or an
 * errno value. */
static inline int
smiley_ring_map (SmileyRing *ring, int fd, uint64_t size)
{
  size_t   total = SMILEY_RING_HEADER_SIZE + 2 * size;
  uint8_t *base;
  void    *p;

  memset (ring, 0, sizeof *ring);
  if (size == 0 || (size & (size - 1)) != 0 || size % 4096 != 0)
    return EINVAL;

  /* Reserve the whole range first so that the two data mappings land back
   * to back without racing other mmap() calls. */
  base = mmap (NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED)
    return errno;
  p = mmap (base, SMILEY_RING_HEADER_SIZE + size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
            fd, 0);
  if (p == MAP_FAILED)
    goto fail;
  p = mmap (base + SMILEY_RING_HEADER_SIZE + size, size, PROT_READ | PROT_WRITE,
            MAP_SHARED | MAP_FIXED, fd, SMILEY_RING_HEADER_SIZE);
  if (p == MAP_FAILED)
    goto fail;

  ring->header = (SmileyRingHeader *)base;
  ring->data = base + SMILEY_RING_HEADER_SIZE;
  ring->size = size;
  ring->mask = size - 1;
  ring->map_size = total;
  return 0;

fail:
  {
    int saved = errno;
    munmap (base, total);
    return saved;
  }
}

/* Creates a ring memfd (close-on-exec; the spawner decides who inherits
 * it) and maps it. Returns the fd, or -errno.
 *
 * Its size is sealed: whoever maps it (a listener it is handed to) can
 * rely on every page staying there, where a file that shrank under a
 * mapping would kill the reader with SIGBUS. */
static inline int
smiley_ring_create (SmileyRing *ring, uint64_t size)
{
  int fd = memfd_create ("smiley-ring", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  int err;

  if (fd < 0)
    return -errno;
  if (ftruncate (fd, SMILEY_RING_HEADER_SIZE + size) < 0
      || fcntl (fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
    {
      err = errno;
      close (fd);
      return -err;
    }
  err = smiley_ring_map (ring, fd, size);
  if (err != 0)
    {
      close (fd);
      return -err;
    }
  ring->header->magic = SMILEY_RING_MAGIC;
  ring->header->version = SMILEY_RING_VERSION;
  ring->header->size = size;
  return fd;
}

static inline void
smiley_ring_unmap (SmileyRing *ring)
{
  if (ring->header != NULL)
    munmap (ring->header, ring->map_size);
  memset (ring, 0, sizeof *ring);
}

static inline void
smiley_ring_wake_consumer (SmileyRing *ring)
{
  SmileyRingHeader *h = ring->header;

  atomic_store (&h->consumer_sleeping, 0);
  atomic_fetch_add (&h->head_seq, 1);
  smiley_ring_futex (&h->head_seq, FUTEX_WAKE, 1, NULL);
}

/* Producer: makes sure the consumer looks at the ring now (the last
 * frames of a run). */
static inline void
smiley_ring_flush (SmileyRing *ring)
{
  atomic_thread_fence (memory_order_seq_cst);
  if (atomic_load_explicit (&ring->header->consumer_sleeping, memory_order_relaxed))
    smiley_ring_wake_consumer (ring);
}

/* Producer: waits until @len bytes are free. Returns 0, or -1 if the
 * consumer made no progress for @give_up_ms (it died: the caller stops
 * recording rather than hang the program). */
static inline int
smiley_ring_wait_space (SmileyRing *ring, uint64_t len, int give_up_ms)
{
  SmileyRingHeader *h = ring->header;
  uint64_t          head = atomic_load_explicit (&h->head, memory_order_relaxed);
  int               waited_ms = 0;

  for (;;)
    {
      uint64_t        tail = atomic_load_explicit (&h->tail, memory_order_acquire);
      uint32_t        seq;
      struct timespec ts = { 0, 50 * 1000 * 1000 };

      if (ring->size - (head - tail) >= len)
        return 0;

      /* A full ring and a consumer asleep until its timeout: wake it. */
      smiley_ring_flush (ring);
      seq = atomic_load_explicit (&h->tail_seq, memory_order_acquire);
      atomic_store (&h->producer_waiting, 1);
      atomic_thread_fence (memory_order_seq_cst);
      tail = atomic_load_explicit (&h->tail, memory_order_acquire);
      if (ring->size - (head - tail) >= len)
        {
          atomic_store (&h->producer_waiting, 0);
          return 0;
        }
      if (smiley_ring_futex (&h->tail_seq, FUTEX_WAIT, seq, &ts) < 0 && errno == ETIMEDOUT)
        {
          waited_ms += 50;
          if (give_up_ms > 0 && waited_ms >= give_up_ms)
            return -1;
        }
      else
        waited_ms = 0;
    }
}

/* Producer: whether the consumer stopped for good. A listener that was
 * handed the ring sets consumer_gone when it drops the run, and cannot
 * when it is killed: then its pid is gone. (The consumer in smiley run's
 * own process is watched through the producer's parent instead.) */
static inline int
smiley_ring_consumer_lost (SmileyRing *ring)
{
  SmileyRingHeader *h = ring->header;
  int32_t           pid = atomic_load_explicit (&h->consumer_pid, memory_order_relaxed);

  if (atomic_load_explicit (&h->consumer_gone, memory_order_acquire))
    return 1;
  return pid > 0 && kill ((pid_t)pid, 0) < 0 && errno == ESRCH;
}

/* Producer: where the next frame goes; smiley_ring_wait_space() made
 * room for it. Thanks to the mirror mapping it is contiguous. */
static inline uint8_t *
smiley_ring_write_pointer (SmileyRing *ring)
{
  return ring->data
         + (atomic_load_explicit (&ring->header->head, memory_order_relaxed) & ring->mask);
}

/* Producer: publishes @len bytes (whole frames) written at the write
 * pointer. The consumer is only woken once the ring is an eighth full (or
 * by its own timeout): a wake-up per event would cost a context switch
 * per event. */
static inline void
smiley_ring_publish (SmileyRing *ring, uint64_t len)
{
  SmileyRingHeader *h = ring->header;
  uint64_t          head = atomic_load_explicit (&h->head, memory_order_relaxed);

  atomic_store_explicit (&h->head, head + len, memory_order_release);
  if (atomic_load_explicit (&h->consumer_sleeping, memory_order_relaxed)
      && head + len - atomic_load_explicit (&h->tail, memory_order_relaxed) >= ring->size / 8)
    smiley_ring_wake_consumer (ring);
}

/* Consumer: how many bytes are readable at smiley_ring_read_pointer().
 * More than the ring's size means the producer broke the ring (a
 * consumer that does not trust it checks). */
static inline uint64_t
smiley_ring_readable (SmileyRing *ring)
{
  return atomic_load_explicit (&ring->header->head, memory_order_acquire) - ring->tail;
}

static inline const uint8_t *
smiley_ring_read_pointer (SmileyRing *ring)
{
  return ring->data + (ring->tail & ring->mask);
}

/* Consumer: releases @len bytes and wakes a producer waiting for room. */
static inline void
smiley_ring_release (SmileyRing *ring, uint64_t len)
{
  SmileyRingHeader *h = ring->header;

  ring->tail += len;
  atomic_store_explicit (&h->tail, ring->tail, memory_order_release);
  atomic_thread_fence (memory_order_seq_cst);
  if (atomic_load_explicit (&h->producer_waiting, memory_order_relaxed))
    {
      atomic_store (&h->producer_waiting, 0);
      atomic_fetch_add (&h->tail_seq, 1);
      smiley_ring_futex (&h->tail_seq, FUTEX_WAKE, 1, NULL);
    }
}

/* Consumer: sleeps until data may be readable or @timeout_ms passed. */
static inline void
smiley_ring_wait_data (SmileyRing *ring, int timeout_ms)
{
  SmileyRingHeader *h = ring->header;
  uint32_t          seq = atomic_load_explicit (&h->head_seq, memory_order_acquire);
  struct timespec   ts = { timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L };

  atomic_store (&h->consumer_sleeping, 1);
  atomic_thread_fence (memory_order_seq_cst);
  if (smiley_ring_readable (ring) == 0)
    smiley_ring_futex (&h->head_seq, FUTEX_WAIT, seq, &ts);
  atomic_store (&h->consumer_sleeping, 0);
}

/* Consumer: wakes itself (another thread of the consumer process wants
 * the reader to look at the ring now, e.g. the child exited). */
static inline void
smiley_ring_kick (SmileyRing *ring)
{
  atomic_fetch_add (&ring->header->head_seq, 1);
  smiley_ring_futex (&ring->header->head_seq, FUTEX_WAKE, 1, NULL);
}
