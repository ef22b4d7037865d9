/*
 * sockserv.h - the daemon's server for programs (libaxnet): the api.sock
 * SOCK_SEQPACKET listener, one session per connected process, one shared
 * segment per process family (fork + ATTACH), per-socket rings in it that
 * are the engine's own buffers for TCP, and wake-ups both ways as AF_XDP's
 * need_wakeup. The wire is include/axnet/ipc.h.
 *
 * Trust: everything a program can write (control packets, ring indices,
 * UDP records, the kick set) is read once, checked against the daemon's
 * private state, and nonsense costs only that program: a malformed request
 * ends its session, a bad ring index aborts that connection (RST). The
 * memfd is sealed against shrinking, so no program can make the daemon's
 * mapping fault.
 *
 * Lifetimes: a socket lives while a session holds a reference (the one
 * that made it, and every session that ATTACHed to its segment since);
 * on the last reference it is closed as the kernel closes a socket whose
 * process exits (queued data, then FIN; unread data: RST). A segment lives
 * until its last session has gone and the last ring in it is freed (a
 * closed connection may linger in FIN_WAIT/TIME_WAIT with its rings).
 *
 * The daemon's loop (run.c) drives it, one thread, never blocking:
 * sockserv_fd() to poll for POLLIN; sockserv_before_sleep() just before a
 * poll that may sleep; sockserv_io() after poll; sockserv_flush() at the
 * end of each round (takes late kicks, retries UDP senders told to wait -
 * a flow's authorization committing -, publishes what the engine did,
 * wakes programs).
 *
 * Costs: per round, a look at each segment's 16 kick summary words; per
 * kicked or eventful socket, its ring views and one slot update; an
 * eventfd write only when the program asked (slot want bits), a doorbell
 * read only when the daemon slept. Per segment: 32 GiB of address space
 * (AX_IPC_SEG_SIZE), 24 MiB of it slots, pages only where touched.
 */
#ifndef AX_DAEMON_SOCKSERV_H
#define AX_DAEMON_SOCKSERV_H

#include <stdint.h>

struct sockserv;
struct sock_layer;

struct sockserv_config {
	const char *path;        /* the api.sock path (made mode 0666) */
	struct sock_layer *socks;
	uint64_t seg_size;       /* 0: AX_IPC_SEG_SIZE (opt.h) */
	/* Limits (0: opt.h's): per uid, sessions and sockets at once
	 * (AX_IPC_MAX_SESSIONS_UID, AX_IPC_MAX_SOCKETS_UID); descriptors
	 * kept for the daemon below its RLIMIT_NOFILE (AX_IPC_FD_RESERVE). */
	unsigned max_uid_sessions, max_uid_sockets, fd_reserve;
};

/* 0 or -errno (the socket cannot be made). *out is the caller's. */
int sockserv_open(struct sockserv **out, const struct sockserv_config *cfg);
/* End every session (their sockets closed as at exit), unlink the path,
 * free everything. Call before the socket layer closes. NULL: nothing. */
void sockserv_close(struct sockserv *ss);

/* The descriptor the loop polls for POLLIN (an epoll set of the listener,
 * the sessions and the doorbells). */
int sockserv_fd(const struct sockserv *ss);
/* The loop is about to sleep for up to timeout ms: ask programs to ring
 * the doorbell (need_wakeup); returns the timeout to use: 0 when kicks
 * came in meanwhile. */
int sockserv_before_sleep(struct sockserv *ss, int timeout);
/* After poll (revents of sockserv_fd's entry, 0 when it said nothing):
 * accept sessions, answer requests, take the programs' kicks. */
void sockserv_io(struct sockserv *ss, short revents);
/* End of a round: publish readiness and rings, wake the programs that
 * asked, send waiting replies, free what closed. */
void sockserv_flush(struct sockserv *ss);

/* `axnet stats`: every counter as fn(arg, "sockserv.NAME", value). */
void sockserv_stats(const struct sockserv *ss,
		    void (*fn)(void *arg, const char *name, uint64_t value), void *arg);

#endif /* AX_DAEMON_SOCKSERV_H */
