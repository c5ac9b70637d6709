/* test-ring.c: the shared-memory ring between the traced program and smiley
 *
 * SPDX-License-Identifier: Apache-2.0
 */
/* memfd_create */
#define _GNU_SOURCE 1

#include <glib.h>

#include "smiley-ring.h"

#define RING_SIZE (64u * 1024u)

/* Frames as the tracer writes them: a length, a sequence number and a
 * pattern derived from both, of sizes that wrap the ring at odd places. */
static gsize
frame_size (guint32 seq)
{
  return 16 + (seq * 7919u) % 6000u;
}

static void
fill_frame (guint8 *p, guint32 seq)
{
  gsize size = frame_size (seq);

  memcpy (p, &size, sizeof (guint32));
  memcpy (p + 4, &seq, sizeof seq);
  for (gsize i = 8; i < size; i++)
    p[i] = (guint8)(seq * 31 + i);
}

static void
test_ring_mirror (void)
{
  SmileyRing ring;
  int        fd = smiley_ring_create (&ring, RING_SIZE);
  guint8    *p;

  g_assert_cmpint (fd, >=, 0);
  /* A write that runs past the end lands at the start too. */
  p = ring.data + RING_SIZE - 3;
  memcpy (p, "abcdef", 6);
  g_assert_cmpmem (ring.data, 3, "def", 3);
  g_assert_cmpmem (ring.data + RING_SIZE - 3, 3, "abc", 3);
  g_assert_cmpuint (ring.header->magic, ==, SMILEY_RING_MAGIC);
  smiley_ring_unmap (&ring);
  close (fd);
}

static void
test_ring_bad_size (void)
{
  SmileyRing ring;

  g_assert_cmpint (smiley_ring_map (&ring, -1, 12345), ==, EINVAL);
  g_assert_cmpint (smiley_ring_map (&ring, -1, 0), ==, EINVAL);
}

typedef struct
{
  SmileyRing ring;
  guint32    n_frames;
} Shared;

static gpointer
producer (gpointer data)
{
  Shared *shared = data;

  for (guint32 seq = 0; seq < shared->n_frames; seq++)
    {
      gsize size = frame_size (seq);

      /* The consumer is slower on purpose: this waits, never drops. */
      g_assert_cmpint (smiley_ring_wait_space (&shared->ring, size, 0), ==, 0);
      fill_frame (smiley_ring_write_pointer (&shared->ring), seq);
      smiley_ring_publish (&shared->ring, size);
    }
  smiley_ring_flush (&shared->ring);
  return NULL;
}

static void
test_ring_stream (void)
{
  Shared   shared = { .n_frames = 20000 };
  int      fd = smiley_ring_create (&shared.ring, RING_SIZE);
  GThread *thread;
  guint32  expected = 0;
  guint8  *frame = g_malloc (8192);
  guint64  total = 0;

  g_assert_cmpint (fd, >=, 0);
  thread = g_thread_new ("producer", producer, &shared);
  while (expected < shared.n_frames)
    {
      guint64       readable = smiley_ring_readable (&shared.ring);
      const guint8 *p;
      guint32       size, seq;

      if (readable == 0)
        {
          smiley_ring_wait_data (&shared.ring, 10);
          continue;
        }
      /* Frames are published whole, and contiguous thanks to the mirror. */
      g_assert_cmpuint (readable, >=, 8);
      p = smiley_ring_read_pointer (&shared.ring);
      memcpy (&size, p, 4);
      memcpy (&seq, p + 4, 4);
      g_assert_cmpuint (seq, ==, expected);
      g_assert_cmpuint (size, ==, frame_size (seq));
      g_assert_cmpuint (readable, >=, size);
      fill_frame (frame, seq);
      g_assert_cmpmem (p, size, frame, size);
      if (expected % 1000 == 0)
        g_usleep (200);
      smiley_ring_release (&shared.ring, size);
      total += size;
      expected++;
    }
  g_thread_join (thread);
  g_assert_cmpuint (smiley_ring_readable (&shared.ring), ==, 0);
  /* Far more than the ring holds went through it. */
  g_assert_cmpuint (total, >, 100 * RING_SIZE);
  g_free (frame);
  smiley_ring_unmap (&shared.ring);
  close (fd);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/smiley/ring/mirror", test_ring_mirror);
  g_test_add_func ("/smiley/ring/bad-size", test_ring_bad_size);
  g_test_add_func ("/smiley/ring/stream", test_ring_stream);
  return g_test_run ();
}
