/* smiley-batch.c
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include "smiley.h"
#include "smiley-batch-private.h"

/* Locals are carved from blocks of this many entries. */
#define LOCALS_BLOCK 1024

struct _SmileyBatch
{
  gatomicrefcount ref_count;
  GArray         *events; /* SmileyEvent */
  /* Locals and values are copied into chunks that never move, so the
   * pointers held by earlier events stay valid as the batch grows. */
  GStringChunk *strings;
  GPtrArray    *locals; /* blocks of SmileyLocal, never moved */
  SmileyLocal  *locals_next;
  gsize         locals_left; /* free entries at locals_next */
  gsize         size;
};

G_DEFINE_BOXED_TYPE (SmileyBatch, smiley_batch, smiley_batch_ref, smiley_batch_unref)

/**
 * smiley_batch_new:
 *
 * Returns: (transfer full): a new empty batch
 */
SmileyBatch *
smiley_batch_new (void)
{
  SmileyBatch *self = g_new0 (SmileyBatch, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->events = g_array_sized_new (FALSE, FALSE, sizeof (SmileyEvent), 256);
  self->strings = g_string_chunk_new (16 * 1024);
  self->locals = g_ptr_array_new_with_free_func (g_free);
  return self;
}

SmileyBatch *
smiley_batch_ref (SmileyBatch *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
smiley_batch_unref (SmileyBatch *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_array_unref (self->events);
  g_string_chunk_free (self->strings);
  g_ptr_array_unref (self->locals);
  g_free (self);
}

guint
smiley_batch_get_length (SmileyBatch *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->events->len;
}

/**
 * smiley_batch_get_event:
 * @self: a batch
 * @index: which event, below smiley_batch_get_length()
 *
 * Returns: (transfer none): the event, valid while the batch lives
 */
const SmileyEvent *
smiley_batch_get_event (SmileyBatch *self, guint index)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (index < self->events->len, NULL);

  return &g_array_index (self->events, SmileyEvent, index);
}

/**
 * smiley_batch_add:
 * @self: a batch
 * @event: an event whose strings and locals are borrowed
 *
 * Appends a copy of @event; the batch copies its argument, locals and their
 * values, so the caller keeps ownership of everything @event points to.
 *
 * Returns: (transfer none): the copy inside the batch. Its pointers stay
 *   valid for the batch's lifetime, but the event itself may move when more
 *   events are added.
 */
SmileyEvent *
smiley_batch_add (SmileyBatch *self, const SmileyEvent *event)
{
  SmileyEvent copy;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (event != NULL, NULL);

  copy = *event;
  copy.arg
      = event->arg != NULL ? smiley_batch_copy_text (self, event->arg, strlen (event->arg)) : NULL;
  copy.locals = NULL;
  if (event->n_locals > 0)
    {
      SmileyLocal *locals = smiley_batch_alloc_locals (self, event->n_locals);

      for (guint32 i = 0; i < event->n_locals; i++)
        {
          const char *value = event->locals[i].value;

          locals[i].name = event->locals[i].name;
          locals[i].value
              = value != NULL ? smiley_batch_copy_text (self, value, strlen (value)) : NULL;
        }
      copy.locals = locals;
    }

  smiley_batch_append (self, &copy);
  return &g_array_index (self->events, SmileyEvent, self->events->len - 1);
}

/* Copies @length bytes of @text into the batch, NUL-terminated. */
const char *
smiley_batch_copy_text (SmileyBatch *self, const char *text, gsize length)
{
  self->size += length + 1;
  return g_string_chunk_insert_len (self->strings, text, length);
}

/* Room for @n_locals locals that live as long as the batch. */
SmileyLocal *
smiley_batch_alloc_locals (SmileyBatch *self, guint32 n_locals)
{
  SmileyLocal *locals;

  if (n_locals > self->locals_left)
    {
      gsize block = MAX (n_locals, LOCALS_BLOCK);

      self->locals_next = g_new (SmileyLocal, block);
      self->locals_left = block;
      g_ptr_array_add (self->locals, self->locals_next);
    }
  locals = self->locals_next;
  self->locals_next += n_locals;
  self->locals_left -= n_locals;
  self->size += n_locals * sizeof (SmileyLocal);
  return locals;
}

/* Appends @event as it is: its strings and locals must belong to the
 * batch already. */
void
smiley_batch_append (SmileyBatch *self, const SmileyEvent *event)
{
  self->size += sizeof (SmileyEvent);
  g_array_append_vals (self->events, event, 1);
}

/**
 * smiley_batch_clear:
 * @self: a batch nobody else holds a reference to
 *
 * Empties the batch for reuse, keeping its allocations.
 */
void
smiley_batch_clear (SmileyBatch *self)
{
  g_return_if_fail (self != NULL);

  g_array_set_size (self->events, 0);
  g_string_chunk_clear (self->strings);
  g_ptr_array_set_size (self->locals, 0);
  self->locals_next = NULL;
  self->locals_left = 0;
  self->size = 0;
}

/**
 * smiley_batch_get_size:
 * @self: a batch
 *
 * Returns: approximately how many bytes the batch's events take, for
 *   bounding memory on the recording path
 */
gsize
smiley_batch_get_size (SmileyBatch *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->size;
}

static gboolean
event_equal (const SmileyEvent *a, const SmileyEvent *b)
{
  if (a->kind != b->kind || a->thread != b->thread || a->call_id != b->call_id
      || a->parent_call_id != b->parent_call_id || a->depth != b->depth || a->time_ns != b->time_ns
      || a->file != b->file || a->line != b->line || a->function != b->function
      || a->n_locals != b->n_locals || g_strcmp0 (a->arg, b->arg) != 0)
    return FALSE;

  for (guint32 i = 0; i < a->n_locals; i++)
    if (a->locals[i].name != b->locals[i].name
        || g_strcmp0 (a->locals[i].value, b->locals[i].value) != 0)
      return FALSE;

  return TRUE;
}

/**
 * smiley_batch_equal:
 * @a: a batch
 * @b: another batch
 *
 * Returns: whether both hold the same events, field by field
 */
gboolean
smiley_batch_equal (SmileyBatch *a, SmileyBatch *b)
{
  g_return_val_if_fail (a != NULL && b != NULL, FALSE);

  if (a->events->len != b->events->len)
    return FALSE;
  for (guint i = 0; i < a->events->len; i++)
    if (!event_equal (&g_array_index (a->events, SmileyEvent, i),
                      &g_array_index (b->events, SmileyEvent, i)))
      return FALSE;
  return TRUE;
}

/* Whether the caller holds the only reference to @self, so that it may
 * clear and refill it instead of allocating a new one. */
gboolean
smiley_batch_is_unshared (SmileyBatch *self)
{
  return g_atomic_ref_count_compare (&self->ref_count, 1);
}
