/* smiley-socket-endpoint.c: `unix:PATH` and `tcp://HOST:PORT`
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smiley-build-config.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>

#include "smiley-socket-private.h"

/* clang-format off */
G_DEFINE_QUARK (smiley-socket-error-quark, smiley_socket_error)
/* clang-format on */

/* sun_path is 108 bytes on Linux, including the terminating NUL. */
#define UNIX_PATH_MAX_LENGTH 107

/**
 * smiley_socket_endpoint_get_default_string:
 *
 * The per-user endpoint `smiley run`, `monitor` and `record` meet at when
 * none is given: `unix:$XDG_RUNTIME_DIR/smiley/smiley.sock`, or, when
 * XDG_RUNTIME_DIR is unset (cron, su, ssh without a session), a directory
 * of this user's under the temporary directory.
 *
 * Returns: (transfer full): the endpoint
 */
char *
smiley_socket_endpoint_get_default_string (void)
{
  const char      *runtime_dir = g_getenv ("XDG_RUNTIME_DIR");
  g_autofree char *dir = NULL;

  /* The environment is read on every call rather than through
   * g_get_user_runtime_dir(), which caches it and falls back to the cache
   * directory, a place other machines may share over NFS. */
  if (runtime_dir != NULL && g_path_is_absolute (runtime_dir))
    dir = g_build_filename (runtime_dir, "smiley", NULL);
  else
    {
      g_autofree char *name = g_strdup_printf ("smiley-%u", (guint)getuid ());

      dir = g_build_filename (g_get_tmp_dir (), name, NULL);
    }

  return g_strconcat ("unix:", dir, G_DIR_SEPARATOR_S, "smiley.sock", NULL);
}

static gboolean
parse_port (const char *text, guint16 *port)
{
  guint64 value;

  if (text[0] == '\0' || !g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT16, &value, NULL))
    return FALSE;
  *port = (guint16)value;
  return TRUE;
}

static gboolean
parse_tcp (SmileySocketEndpoint *self, const char *rest)
{
  const char *colon;

  if (rest[0] == '[')
    {
      const char *close = strchr (rest, ']');

      if (close == NULL || close[1] != ':')
        return FALSE;
      self->host = g_strndup (rest + 1, close - rest - 1);
      colon = close + 1;
      if (self->host[0] == '\0')
        return FALSE;
    }
  else
    {
      colon = strrchr (rest, ':');
      if (colon == NULL)
        return FALSE;
      self->host = g_strndup (rest, colon - rest);
      /* An IPv6 literal must be bracketed, or its port is ambiguous. */
      if (strchr (self->host, ':') != NULL || strchr (self->host, '/') != NULL)
        return FALSE;
    }

  return parse_port (colon + 1, &self->port);
}

/**
 * smiley_socket_endpoint_parse:
 * @text: (nullable): `unix:PATH`, `tcp://HOST:PORT`, `tcp://:PORT`
 *   (loopback), or %NULL for the default endpoint
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the endpoint, or %NULL with
 *   %SMILEY_SOCKET_ERROR_ENDPOINT set
 */
SmileySocketEndpoint *
smiley_socket_endpoint_parse (const char *text, GError **error)
{
  g_autoptr (SmileySocketEndpoint) self = g_new0 (SmileySocketEndpoint, 1);
  g_autofree char *default_string = smiley_socket_endpoint_get_default_string ();

  if (text == NULL || text[0] == '\0')
    text = default_string;

  if (g_str_has_prefix (text, "unix:"))
    {
      self->kind = SMILEY_SOCKET_ENDPOINT_UNIX;
      self->path = g_strdup (text + strlen ("unix:"));
      if (self->path[0] == '\0')
        {
          g_set_error (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_ENDPOINT,
                       "'%s' names no socket file: use unix:PATH", text);
          return NULL;
        }
      if (strlen (self->path) > UNIX_PATH_MAX_LENGTH)
        {
          g_set_error (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_ENDPOINT,
                       "%s: the socket path is %zu bytes long, but Unix sockets allow at most %d; "
                       "choose a shorter path",
                       text, strlen (self->path), UNIX_PATH_MAX_LENGTH);
          return NULL;
        }
      self->is_default = g_str_equal (text, default_string);
    }
  else if (g_str_has_prefix (text, "tcp://"))
    {
      self->kind = SMILEY_SOCKET_ENDPOINT_TCP;
      if (!parse_tcp (self, text + strlen ("tcp://")))
        {
          g_set_error (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_ENDPOINT,
                       "'%s' is not a TCP endpoint: use tcp://HOST:PORT (port 0-65535, "
                       "IPv6 hosts in brackets, tcp://:PORT for loopback)",
                       text);
          return NULL;
        }
    }
  else
    {
      g_set_error (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_ENDPOINT,
                   "'%s' is not a socket endpoint: use unix:PATH or tcp://HOST:PORT", text);
      return NULL;
    }

  return g_steal_pointer (&self);
}

void
smiley_socket_endpoint_free (SmileySocketEndpoint *self)
{
  if (self == NULL)
    return;
  g_free (self->path);
  g_free (self->host);
  g_free (self);
}

static char *
format_tcp (const char *host, guint16 port)
{
  if (strchr (host, ':') != NULL)
    return g_strdup_printf ("tcp://[%s]:%u", host, port);
  return g_strdup_printf ("tcp://%s:%u", host, port);
}

/**
 * smiley_socket_endpoint_to_string:
 * @self: an endpoint
 *
 * Returns: (transfer full): the endpoint as a user writes it, for messages
 */
char *
smiley_socket_endpoint_to_string (SmileySocketEndpoint *self)
{
  if (self->kind == SMILEY_SOCKET_ENDPOINT_UNIX)
    return g_strconcat ("unix:", self->path, NULL);
  return format_tcp (self->host[0] != '\0' ? self->host : "127.0.0.1", self->port);
}

/**
 * smiley_socket_address_to_string:
 * @address: a bound or peer address
 *
 * Returns: (transfer full): `unix:PATH` or `tcp://HOST:PORT`
 */
char *
smiley_socket_address_to_string (GSocketAddress *address)
{
  if (G_IS_UNIX_SOCKET_ADDRESS (address))
    {
      const char *path = g_unix_socket_address_get_path (G_UNIX_SOCKET_ADDRESS (address));

      return g_strconcat ("unix:", path != NULL && path[0] != '\0' ? path : "(unnamed)", NULL);
    }
  if (G_IS_INET_SOCKET_ADDRESS (address))
    {
      GInetSocketAddress *inet = G_INET_SOCKET_ADDRESS (address);
      g_autofree char *host = g_inet_address_to_string (g_inet_socket_address_get_address (inet));

      return format_tcp (host, g_inet_socket_address_get_port (inet));
    }
  return g_strdup ("(unknown address)");
}

/**
 * smiley_socket_endpoint_get_connectable:
 * @self: an endpoint
 *
 * What a publisher connects to. A TCP host name is left for
 * #GSocketClient to resolve, so that every address it has is tried
 * ("localhost" may be ::1 first while the listener is on 127.0.0.1).
 *
 * Returns: (transfer full): the connectable
 */
GSocketConnectable *
smiley_socket_endpoint_get_connectable (SmileySocketEndpoint *self)
{
  if (self->kind == SMILEY_SOCKET_ENDPOINT_UNIX)
    return G_SOCKET_CONNECTABLE (g_unix_socket_address_new (self->path));
  if (self->host[0] == '\0')
    return G_SOCKET_CONNECTABLE (g_inet_socket_address_new_from_string ("127.0.0.1", self->port));
  return g_network_address_new (self->host, self->port);
}

/**
 * smiley_socket_endpoint_resolve:
 * @self: an endpoint
 * @cancellable: (nullable): stops a host name lookup
 * @error: return location for a #GError
 *
 * The address a listener binds: the socket file, or for TCP the host's
 * first address, loopback when no host was written.
 *
 * Returns: (transfer full): the address, or %NULL if the host is unknown
 */
GSocketAddress *
smiley_socket_endpoint_resolve (SmileySocketEndpoint *self, GCancellable *cancellable,
                                GError **error)
{
  g_autoptr (GInetAddress) address = NULL;

  if (self->kind == SMILEY_SOCKET_ENDPOINT_UNIX)
    return g_unix_socket_address_new (self->path);

  if (self->host[0] == '\0')
    address = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  else
    address = g_inet_address_new_from_string (self->host);

  if (address == NULL)
    {
      g_autoptr (GResolver) resolver = g_resolver_get_default ();
      g_autoptr (GError) local_error = NULL;
      GList *addresses;

      addresses = g_resolver_lookup_by_name (resolver, self->host, cancellable, &local_error);
      if (addresses == NULL)
        {
          g_autofree char *text = smiley_socket_endpoint_to_string (self);

          g_set_error (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_ENDPOINT,
                       "%s: cannot resolve host '%s': %s", text, self->host, local_error->message);
          return NULL;
        }
      address = g_object_ref (addresses->data);
      g_resolver_free_addresses (addresses);
    }

  return g_inet_socket_address_new (address, self->port);
}

/**
 * smiley_socket_endpoint_ensure_directory:
 * @self: a unix endpoint a listener is about to bind
 * @error: return location for a #GError
 *
 * Creates the socket's directory (mode 0700) if it is missing. For the
 * default endpoint it also checks that the directory is this user's alone:
 * under /tmp another user could have made it first and would then see
 * every trace, or replace the socket with their own.
 *
 * Returns: %FALSE with @error set if the directory is missing and cannot
 *   be made, or is not safe to use
 */
gboolean
smiley_socket_endpoint_ensure_directory (SmileySocketEndpoint *self, GError **error)
{
  g_autofree char *dir = NULL;
  struct stat      st;

  g_return_val_if_fail (self->kind == SMILEY_SOCKET_ENDPOINT_UNIX, FALSE);

  dir = g_path_get_dirname (self->path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_FAILED,
                   "cannot create the socket directory %s: %s", dir, g_strerror (saved_errno));
      return FALSE;
    }

  if (!self->is_default)
    return TRUE;

  if (g_lstat (dir, &st) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_FAILED,
                   "cannot inspect the socket directory %s: %s", dir, g_strerror (saved_errno));
      return FALSE;
    }
  if (!S_ISDIR (st.st_mode) || st.st_uid != getuid () || (st.st_mode & 077) != 0)
    {
      g_set_error (error, SMILEY_SOCKET_ERROR, SMILEY_SOCKET_ERROR_UNSAFE,
                   "%s is not a directory private to you (it must be owned by uid %u with "
                   "mode 0700); remove it, or set XDG_RUNTIME_DIR, or pass --socket",
                   dir, (guint)getuid ());
      return FALSE;
    }

  return TRUE;
}
