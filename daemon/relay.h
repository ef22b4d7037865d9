/*
 * relay.h - a TCP connection opened by the engine and spliced to a
 * control-socket client: `axnet nc` streams its stdin into the connection
 * and the connection's data to its stdout.
 *
 * After the request line "nc A.B.C.D PORT", the instance answers one line,
 * "connected" or "error MESSAGE", and from then on the socket carries the
 * connection's bytes both ways. The client's half-close (shutdown) becomes
 * a FIN; the peer's FIN becomes EOF on the socket.
 *
 * The relay borrows the client's socket (the caller closes it) and owns
 * the TCP connection. It buffers at most one 64 KiB chunk towards the
 * client; beyond that, TCP's own windows push back.
 */
#ifndef AX_CLI_RELAY_H
#define AX_CLI_RELAY_H

#include <stdint.h>

struct ax_stack;
struct relay;

/* NULL and errno when the connection cannot even be started. */
struct relay *relay_start(struct ax_stack *s, int fd, uint32_t dst, uint16_t port);
/* The poll() events the relay wants on its socket now. */
short relay_events(const struct relay *r);
/* The socket is ready (revents from poll). */
void relay_io(struct relay *r, short revents);
/* Both directions are finished (or the connection failed). */
int relay_done(const struct relay *r);
/* Let go of the TCP connection (closing it cleanly if it still runs). */
void relay_free(struct relay *r);

#endif /* AX_CLI_RELAY_H */
