/* smiley-socket-private.h: what the socket sink and source share
 *
 * SPDX-License-Identifier: Apache-2.0
 *
 * The transport is described in docs/transport.md: one connection carries
 * one run's stream in the smiley frame format, publisher to listener, and
 * the listener answers with a single ACK byte once the run has been handed
 * to its sink in full.
 */
#pragma once

#include <gio/gio.h>

#include <smiley-wire.h>

G_BEGIN_DECLS

#define SMILEY_SOCKET_ERROR (smiley_socket_error_quark ())

/**
 * SmileySocketError:
 * @SMILEY_SOCKET_ERROR_ENDPOINT: the endpoint is not `unix:PATH` or
 *   `tcp://HOST:PORT`, or its host cannot be resolved
 * @SMILEY_SOCKET_ERROR_NOT_LISTENING: nobody accepts connections there
 * @SMILEY_SOCKET_ERROR_ALREADY_LISTENING: another listener owns the endpoint
 * @SMILEY_SOCKET_ERROR_UNSAFE: the socket's directory or peer belongs to
 *   another user, so traces could leak or be injected
 * @SMILEY_SOCKET_ERROR_DISCONNECTED: the listener went away mid-run
 * @SMILEY_SOCKET_ERROR_FAILED: any other socket failure
 */
typedef enum
{
  SMILEY_SOCKET_ERROR_ENDPOINT,
  SMILEY_SOCKET_ERROR_NOT_LISTENING,
  SMILEY_SOCKET_ERROR_ALREADY_LISTENING,
  SMILEY_SOCKET_ERROR_UNSAFE,
  SMILEY_SOCKET_ERROR_DISCONNECTED,
  SMILEY_SOCKET_ERROR_FAILED,
} SmileySocketError;

GQuark smiley_socket_error_quark (void);

/* The listener's answer after it handed a run's RUN_END to its sink: the
 * publisher waits for it, so `smiley run` only succeeds once every event
 * reached the listener's sink (ASCII ACK). */
#define SMILEY_SOCKET_ACK 0x06

/* Frames larger than this are refused by the listener. It is the format's
 * own limit, not less: event frames are cut at about 4 MiB, but a source
 * file goes out whole in one frame, and a run must not be refused for
 * carrying a 20 MB generated module. A peer claiming more is broken or
 * hostile; a peer that does send that much costs the listener as much
 * memory, which only the socket's own user (or, over TCP, a local user)
 * can make it spend. */
#define SMILEY_SOCKET_MAX_FRAME_SIZE SMILEY_WIRE_MAX_FRAME_SIZE

typedef enum
{
  SMILEY_SOCKET_ENDPOINT_UNIX,
  SMILEY_SOCKET_ENDPOINT_TCP,
} SmileySocketEndpointKind;

/**
 * SmileySocketEndpoint:
 * @kind: unix or tcp
 * @path: the socket file (unix)
 * @host: the host as written (tcp); empty means loopback
 * @port: the port (tcp); 0 lets a listener pick one
 * @is_default: the per-user default endpoint, whose directory smiley
 *   creates and checks
 */
typedef struct
{
  SmileySocketEndpointKind kind;
  char                    *path;
  char                    *host;
  guint16                  port;
  gboolean                 is_default;
} SmileySocketEndpoint;

char                 *smiley_socket_endpoint_get_default_string (void);
SmileySocketEndpoint *smiley_socket_endpoint_parse (const char *text, GError **error);
void                  smiley_socket_endpoint_free (SmileySocketEndpoint *self);
char                 *smiley_socket_endpoint_to_string (SmileySocketEndpoint *self);
GSocketConnectable   *smiley_socket_endpoint_get_connectable (SmileySocketEndpoint *self);
GSocketAddress       *smiley_socket_endpoint_resolve (SmileySocketEndpoint *self,
                                                      GCancellable *cancellable, GError **error);
gboolean smiley_socket_endpoint_ensure_directory (SmileySocketEndpoint *self, GError **error);
char    *smiley_socket_address_to_string (GSocketAddress *address);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SmileySocketEndpoint, smiley_socket_endpoint_free)

G_END_DECLS
