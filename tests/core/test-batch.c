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
  g_test_add_func ("/smiley/batch/ref", test_ref);

  return g_test_run ();
}
