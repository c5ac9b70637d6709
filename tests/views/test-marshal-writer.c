/* test-marshal-writer.c: the marshal encoder of the pstats export
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "smiley-marshal-writer.h"

static void
assert_bytes (SmileyMarshalWriter *writer, const char *expected, gsize expected_length)
{
  gsize         length;
  const guint8 *data = smiley_marshal_writer_get_data (writer, &length);

  g_assert_cmpmem (data, length, expected, expected_length);
}

static void
test_int (void)
{
  g_autoptr (SmileyMarshalWriter) writer = smiley_marshal_writer_new ();

  smiley_marshal_writer_add_int (writer, 5);
  smiley_marshal_writer_add_int (writer, -2);
  smiley_marshal_writer_add_uint (writer, G_MAXINT32);
  assert_bytes (writer,
                "i\x05\0\0\0"
                "i\xfe\xff\xff\xff"
                "i\xff\xff\xff\x7f",
                15);
}

static void
test_long (void)
{
  g_autoptr (SmileyMarshalWriter) writer = smiley_marshal_writer_new ();

  /* 2**31 in base 2**15 is the digits 0, 0, 2 (least significant first);
   * a negative value has a negative digit count */
  smiley_marshal_writer_add_uint (writer, G_GUINT64_CONSTANT (1) << 31);
  smiley_marshal_writer_add_int (writer, -(G_GINT64_CONSTANT (1) << 31) - 1);
  assert_bytes (writer,
                "l\x03\0\0\0"
                "\0\0"
                "\0\0"
                "\x02\0"
                "l\xfd\xff\xff\xff"
                "\x01\0"
                "\0\0"
                "\x02\0",
                22);
}

static void
test_float (void)
{
  g_autoptr (SmileyMarshalWriter) writer = smiley_marshal_writer_new ();

  smiley_marshal_writer_add_float (writer, 1.5);
  assert_bytes (writer, "g\0\0\0\0\0\0\xf8\x3f", 9);
}

static void
test_string (void)
{
  g_autoptr (SmileyMarshalWriter) writer = smiley_marshal_writer_new ();

  smiley_marshal_writer_add_string (writer, "fé");
  /* invalid UTF-8 would make marshal.load() fail: it is replaced */
  smiley_marshal_writer_add_string (writer, "a\xff");
  assert_bytes (writer,
                "u\x03\0\0\0"
                "f\xc3\xa9"
                "u\x04\0\0\0"
                "a\xef\xbf\xbd",
                17);
}

static void
test_containers (void)
{
  g_autoptr (SmileyMarshalWriter) writer = smiley_marshal_writer_new ();
  g_autoptr (GBytes) bytes = NULL;
  gsize         length;
  const guint8 *data;

  smiley_marshal_writer_begin_dict (writer);
  smiley_marshal_writer_begin_tuple (writer, 1);
  smiley_marshal_writer_add_int (writer, 1);
  smiley_marshal_writer_begin_tuple (writer, 300);
  smiley_marshal_writer_end_dict (writer);

  bytes = smiley_marshal_writer_steal_bytes (writer);
  data = g_bytes_get_data (bytes, &length);
  g_assert_cmpmem (data, length,
                   "{"
                   ")\x01"
                   "i\x01\0\0\0"
                   "(\x2c\x01\0\0"
                   "0",
                   14);

  /* the writer starts over */
  smiley_marshal_writer_get_data (writer, &length);
  g_assert_cmpuint (length, ==, 0);
}

/* What Python itself makes of the bytes is the real test. */
static void
test_python_loads (void)
{
  g_autoptr (SmileyMarshalWriter) writer = smiley_marshal_writer_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char      *python = g_getenv ("SMILEY_PYTHON");
  const char      *script = "import marshal, sys\n"
                            "v = marshal.load(open(sys.argv[1], 'rb'))\n"
                            "print(repr(v[:-1]), len(v[-1]), sum(v[-1]))\n";
  const char      *argv[] = { python, "-c", script, NULL, NULL };
  gsize            length;
  const guint8    *data;
  int              fd;
  int              status;

  if (python == NULL)
    python = argv[0] = SMILEY_PYTHON;

  smiley_marshal_writer_begin_tuple (writer, 10);
  smiley_marshal_writer_add_int (writer, 0);
  smiley_marshal_writer_add_int (writer, G_MININT64);
  smiley_marshal_writer_add_uint (writer, G_MAXUINT64);
  smiley_marshal_writer_add_int (writer, -(G_GINT64_CONSTANT (1) << 40));
  smiley_marshal_writer_add_float (writer, 0.1);
  smiley_marshal_writer_add_string (writer, "<built-in method builtins.len>");
  smiley_marshal_writer_add_string (writer, "");
  smiley_marshal_writer_add_string (writer, "ünïcode ✓");
  smiley_marshal_writer_begin_dict (writer);
  smiley_marshal_writer_begin_tuple (writer, 3);
  smiley_marshal_writer_add_string (writer, "~");
  smiley_marshal_writer_add_int (writer, 0);
  smiley_marshal_writer_add_string (writer, "f");
  smiley_marshal_writer_begin_tuple (writer, 0);
  smiley_marshal_writer_end_dict (writer);
  smiley_marshal_writer_begin_tuple (writer, 1000);
  for (int i = 0; i < 1000; i++)
    smiley_marshal_writer_add_int (writer, i);

  fd = g_file_open_tmp ("smiley-marshal-XXXXXX", &path, &error);
  g_assert_no_error (error);
  data = smiley_marshal_writer_get_data (writer, &length);
  g_assert_cmpint (write (fd, data, length), ==, (gssize)length);
  close (fd);

  argv[3] = path;
  g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status,
                &error);
  g_assert_no_error (error);
  g_assert_cmpstr (err, ==, "");
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_assert_cmpstr (out, ==,
                   "(0, -9223372036854775808, 18446744073709551615, -1099511627776, 0.1, "
                   "'<built-in method builtins.len>', '', 'ünïcode ✓', {('~', 0, 'f'): ()}) "
                   "1000 499500\n");
  g_unlink (path);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/smiley/marshal-writer/int", test_int);
  g_test_add_func ("/smiley/marshal-writer/long", test_long);
  g_test_add_func ("/smiley/marshal-writer/float", test_float);
  g_test_add_func ("/smiley/marshal-writer/string", test_string);
  g_test_add_func ("/smiley/marshal-writer/containers", test_containers);
  g_test_add_func ("/smiley/marshal-writer/python-loads", test_python_loads);

  return g_test_run ();
}
