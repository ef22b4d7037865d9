/*
 * services.h - built-in services of `axnet run --serve`, so that kernel
 * tools can exercise axnet: echo (RFC 862), discard (RFC 863) and chargen
 * (RFC 864: sends its pattern as fast as TCP takes it, until the peer
 * closes or resets) on TCP, echo on UDP. They run on the socket layer
 * (sock/sock.h), as the daemon's own sockets.
 */
#ifndef AX_CLI_SERVICES_H
#define AX_CLI_SERVICES_H

#include <stdint.h>

struct sock_layer;
struct ax_cred;

/* Parse "echo:7,discard:9,chargen:19" (before anything is set up, so a
 * typo costs nothing). 0, or -EINVAL with a message printed. */
int services_parse(const char *spec);
/* Listen on (TCP) or bind (UDP) every parsed service through the socket
 * layer, the sockets owned by owner (the daemon's cred: the policy and the
 * log see the daemon; it must outlive them). 0 or -errno from
 * sock_bind/sock_listen. */
int services_start(struct sock_layer *l, const struct ax_cred *owner);
/* Close every service socket and connection (before the layer closes). */
void services_stop(void);

#endif /* AX_CLI_SERVICES_H */
