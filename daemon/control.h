/*
 * control.h - the control server: the socket between the daemon (`axnet
 * run`) and the other subcommands (their side: userspace/cli/ctl_client.h): a Unix stream socket <state-dir>/control.sock speaking lines
 * of text.
 *
 * A client sends one request line and reads response lines until the
 * server closes. Requests and responses:
 *
 *   stats                      -> "<group>.<name> <value>" lines, then "end"
 *   neigh                      -> "neigh ..." lines (neigh.c), then "end"
 *   ping DST COUNT INTERVAL_MS SIZE TIMEOUT_MS
 *                              -> "reply seq=N bytes=B ttl=T rtt_ns=R",
 *                                 "timeout seq=N", "baddata seq=N" lines as
 *                                 they happen, then "done sent=S received=R"
 *   conns                      -> "sock ..." lines (TCP, listeners first, then
 *                                 UDP), "end"; a line is
 *     sock PROTO STATE RECVQ SENDQ LADDR:LPORT RADDR:RPORT AUTH PENDING
 *          UID GID PID EXE CWND SSTHRESH SNDWND MSS SRTT_US RETX BYTES_IN BYTES_OUT
 *   PROTO tcp or udp; STATE a TCP state (tcp_state_name) or, for UDP,
 *   UNCONN or ESTABLISHED (connected); queues in bytes; RADDR:RPORT
 *   0.0.0.0:0 when there is no peer (listening, unconnected); AUTH the
 *   Axiom entry that authorized it (0: none), PENDING 1 while it waits for
 *   that entry's commit; UID..EXE its owner (util/cred.h; EXE escaped as
 *   a policy's `program` path, "-" unknown), all four "-" without one;
 *   the last eight TCP's (tcp_info_ax), "-" for UDP.
 *   policy push PATH           -> "pushed seq=N sha256=HEX revoked=R"
 *   policy show                -> "# policy in force since entry N, sha256
 *                                 HEX", the canonical text, then "end"
 *   anything else              -> "error <message>"
 *
 * Every malformed request (a NUL byte, longer than CTL_REQ_MAX, unknown,
 * or cut short by the client's EOF) is answered with one "error" line. The
 * server never waits for a client: replies go into a per-client buffer
 * (struct ctl_out) that the event loop drains as the socket takes them.
 * Limits (the server's, see run.c): CTL_MAX_CLIENTS at once (one more is
 * told "error too many control clients" and closed), CTL_IDLE_MS to send a
 * request, and a reader that takes nothing for CTL_STALL_MS while a reply
 * waits is dropped.
 */
#ifndef AX_DAEMON_CONTROL_H
#define AX_DAEMON_CONTROL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CTL_MAX_CLIENTS 64
#define CTL_REQ_MAX 511            /* bytes of a request line, without \n */
#define CTL_IDLE_MS 10000u         /* to send a complete request */
#define CTL_STALL_MS 10000u        /* a reply may wait this long for a reader */
#define CTL_OUT_LINES (64u * 1024) /* buffered for a reply of a few lines, or a
				    * stream (ping) the client must keep up with */
#define CTL_OUT_TABLE (8u << 20)   /* for a whole table (stats; policy show
				    * adds its text's size); `conns` is walked
				    * in steps below CTL_OUT_LOW, never near it */
#define CTL_OUT_LOW (16u * 1024)   /* `conns` produces more below this: a
				    * loop iteration's worth (~150 lines) */

/*
 * A reply waiting for its reader: bytes appended at the end, sent from
 * off. Grows on demand up to the max given to ctl_out_printf().
 */
struct ctl_out {
	char *buf;
	size_t off, len, cap;
	uint64_t stalled_ns; /* the last time the socket took bytes while some
			      * waited (0: nothing waits) */
};

/* Append a line (a '\n' is added; longer than 4 KiB is cut). 0, or
 * -ENOBUFS (would pass max) / -ENOMEM: nothing appended. */
int ctl_out_printf(struct ctl_out *o, size_t max, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Append len bytes as they are (whole lines, the caller's '\n's). 0, or
 * -ENOBUFS / -ENOMEM as above. */
int ctl_out_write(struct ctl_out *o, size_t max, const void *data, size_t len);
static inline size_t ctl_out_pending(const struct ctl_out *o)
{
	return o->len - o->off;
}
/* Send what the socket takes now (never blocks, no SIGPIPE). 0, or
 * -errno when the client is gone. Tracks stalled_ns with now_ns. */
int ctl_out_flush(struct ctl_out *o, int fd, uint64_t now_ns);
void ctl_out_free(struct ctl_out *o);

/* Server: listen on path (a stale socket file is replaced). fd or -errno. */
int ctl_listen(const char *path);

#endif /* AX_DAEMON_CONTROL_H */
