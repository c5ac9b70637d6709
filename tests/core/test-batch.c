/* test-batch.c: SmileyBatch owns copies of its events' strings
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include <smiley.h>

static void
test_add_copies (void)
{
  g_autoptr (SmileyBatch) batch = smiley_batch_new ();
  char               arg[] = "return value";
  char               value[] = "'v'";
  SmileyLocal        locals[2] = { { 3, value }, { 4, NULL } };
  SmileyEvent        event = { SMILEY_EVENT_RETURN, 1, 2, 1, 5, 1000, 6, 7, 8, arg, 2, locals };
  const SmileyEvent *copy;

  smiley_batch_add (batch, &event);
  /* The caller's buffers change; the batch's copy does not. */
  arg[0] = 'X';
  value[1] = 'X';
  locals[0].name = 99;
  copy = smiley_batch_get_event (batch, 0);
  g_assert_cmpstr (copy->arg, ==, "return value");
  g_assert_cmpuint (copy->n_locals, ==, 2);
  g_assert_cmpuint (copy->locals[0].name, ==, 3);
  g_assert_cmpstr (copy->locals[0].value, ==, "'v'");
  g_assert_null (copy->locals[1].value);
  g_assert_cmpuint (copy->call_id, ==, 2);
  g_assert_cmpint (copy->time_ns, ==, 1000);
  g_assert_cmpuint (smiley_batch_get_length (batch), ==, 1);
  g_assert_cmpuint (smiley_batch_get_size (batch), >, sizeof (SmileyEvent));
}

static void
test_pointers_stable (void)
{
  g_autoptr (SmileyBatch) batch = smiley_batch_new ();
  g_autofree char *big = g_strnfill (40000, 'b');
  const char      *first_arg;
  SmileyEvent      event = { SMILEY_EVENT_LINE, 1, 1, 0, 0, 0, 0, 1, 0, "first", 0, NULL };

  smiley_batch_add (batch, &event);
  first_arg = smiley_batch_get_event (batch, 0)->arg;
  /* Growing the batch (events and string chunks) keeps earlier strings. */
  event.arg = big;
  for (guint i = 0; i < 2000; i++)
    smiley_batch_add (batch, &event);
  g_assert_true (smiley_batch_get_event (batch, 0)->arg == first_arg);
  g_assert_cmpstr (first_arg, ==, "first");
  g_assert_cmpstr (smiley_batch_get_event (batch, 1999)->arg, ==, big);
}

static void
test_equal_and_clear (void)
{
  g_autoptr (SmileyBatch) a = smiley_batch_new ();
  g_autoptr (SmileyBatch) b = smiley_batch_new ();
  SmileyLocal local = { 2, "1" };
  SmileyEvent event = { SMILEY_EVENT_CALL, 1, 1, 0, 0, 5, 1, 1, 1, NULL, 1, &local };

  g_assert_true (smiley_batch_equal (a, b));
  smiley_batch_add (a, &event);
  g_assert_false (smiley_batch_equal (a, b));
  smiley_batch_add (b, &event);
  g_assert_true (smiley_batch_equal (a, b));

  local.value = NULL;
  smiley_batch_add (a, &event);
  local.value = "1";
  smiley_batch_add (b, &event);
  g_assert_false (smiley_batch_equal (a, b));

  smiley_batch_clear (a);
  g_assert_cmpuint (smiley_batch_get_length (a), ==, 0);
  g_assert_cmpuint (smiley_batch_get_size (a), ==, 0);
  smiley_batch_add (a, &event);
  g_assert_cmpstr (smiley_batch_get_event (a, 0)->locals[0].value, ==, "1");
}

/* Adds event @index with @n_locals locals, named @index * 7 + i, whose
 * values are "@tag:@index:i", every fifth one deleted (NULL). The
 * caller's copies go away at once; the batch keeps its own. */
static void
add_with_locals (SmileyBatch *batch, const char *tag, guint index, guint n_locals)
{
  g_autofree SmileyLocal *locals = g_new0 (SmileyLocal, MAX (n_locals, 1));
  g_autoptr (GPtrArray) values = g_ptr_array_new_with_free_func (g_free);
  SmileyEvent event = { SMILEY_EVENT_LINE, 1, index, 0, 0, index, 1, 2, 3, NULL, n_locals, locals };

  for (guint i = 0; i < n_locals; i++)
    {
      char *value = i % 5 == 4 ? NULL : g_strdup_printf ("%s:%u:%u", tag, index, i);

      locals[i].name = index * 7 + i;
      locals[i].value = value;
      g_ptr_array_add (values, value);
    }
  smiley_batch_add (batch, &event);
}

static void
assert_locals (SmileyBatch *batch, const char *tag, guint index, guint n_locals)
{
  const SmileyEvent *event = smiley_batch_get_event (batch, index);

  g_assert_cmpuint (event->call_id, ==, index);
  g_assert_cmpuint (event->n_locals, ==, n_locals);
  if (n_locals == 0)
    return;
  g_assert_nonnull (event->locals);
  for (guint i = 0; i < n_locals; i++)
    {
      g_autofree char *value = i % 5 == 4 ? NULL : g_strdup_printf ("%s:%u:%u", tag, index, i);

      g_assert_cmpuint (event->locals[i].name, ==, index * 7 + i);
      g_assert_cmpstr (event->locals[i].value, ==, value);
    }
}

/* How many locals event @index of the sequence below has: more than a
 * block of 1024 at once, runs of a few that share blocks, and some that
 * do not fit in what a block has left. */
static guint
n_locals_of (guint index)
{
  const guint big[] = { 3000, 1024, 1023, 1025, 2, 0, 700, 400 };

  if (index < G_N_ELEMENTS (big))
    return big[index];
  if (index % 97 == 0)
    return 600 + index % 500;
  return index % 4;
}

static void
fill_with_locals (SmileyBatch *batch, const char *tag, guint n_events)
{
  for (guint e = 0; e < n_events; e++)
    add_with_locals (batch, tag, e, n_locals_of (e));
}

static void
test_many_locals (void)
{
  g_autoptr (SmileyBatch) batch = smiley_batch_new ();
  g_autoptr (SmileyBatch) fresh = smiley_batch_new ();
  const guint n_events = 3000;
  gsize       n_locals = 0;

  /* Checked only once all are added: a later event never writes over the
   * locals of an earlier one. */
  fill_with_locals (batch, "first", n_events);
  g_assert_cmpuint (smiley_batch_get_length (batch), ==, n_events);
  for (guint e = 0; e < n_events; e++)
    assert_locals (batch, "first", e, n_locals_of (e));

  /* Cleared, the batch is as good as new: same content, same size. */
  smiley_batch_clear (batch);
  g_assert_cmpuint (smiley_batch_get_size (batch), ==, 0);
  fill_with_locals (batch, "second", n_events);
  fill_with_locals (fresh, "second", n_events);
  for (guint e = 0; e < n_events; e++)
    assert_locals (batch, "second", e, n_locals_of (e));
  g_assert_true (smiley_batch_equal (batch, fresh));
  g_assert_cmpuint (smiley_batch_get_size (batch), ==, smiley_batch_get_size (fresh));
  /* What is used, not what the blocks hold. */
  for (guint e = 0; e < n_events; e++)
    n_locals += n_locals_of (e);
  g_assert_cmpuint (smiley_batch_get_size (batch), >,
                    n_events * sizeof (SmileyEvent) + n_locals * sizeof (SmileyLocal));
  g_assert_cmpuint (smiley_batch_get_size (batch), <,
                    n_events * sizeof (SmileyEvent) + (n_locals + 1024) * sizeof (SmileyLocal)
                        + n_locals * 20);

  /* And again, with a few events only, after the big ones. */
  smiley_batch_clear (batch);
  add_with_locals (batch, "third", 0, 2);
  add_with_locals (batch, "third", 1, 5000);
  add_with_locals (batch, "third", 2, 1);
  assert_locals (batch, "third", 0, 2);
  assert_locals (batch, "third", 1, 5000);
  assert_locals (batch, "third", 2, 1);
}

static void
test_ref (void)
{
  SmileyBatch *batch = smiley_batch_new ();
  GValue       value = G_VALUE_INIT;

  g_assert_true (smiley_batch_ref (batch) == batch);
  smiley_batch_unref (batch);
  /* The boxed type works with GValue, as signals and properties need. */
  g_value_init (&value, SMILEY_TYPE_BATCH);
  g_value_take_boxed (&value, batch);
  g_assert_true (g_value_get_boxed (&value) == batch);
  g_value_unset (&value);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/smiley/batch/add-copies", test_add_copies);
  g_test_add_func ("/smiley/batch/pointers-stable", test_pointers_stable);
  g_test_add_func ("/smiley/batch/equal-and-clear", test_equal_and_clear);
  g_test_add_func ("/smiley/batch/many-locals", test_many_locals);
  g_test_add_func ("/smiley/batch/ref", test_ref);

  return g_test_run ();
}
