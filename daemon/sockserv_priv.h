/*
 * sockserv_priv.h - what the two halves of the server for programs share
 * (sockserv.c: segments, sessions, requests, the loop's calls;
 * sockserv_data.c: sockets, their rings, kicks and wake-ups). Nothing
 * outside those two files includes it.
 */
#ifndef AX_DAEMON_SOCKSERV_PRIV_H
#define AX_DAEMON_SOCKSERV_PRIV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/un.h>

#include "axnet/ipc.h"
#include "daemon/ringown.h"
#include "daemon/segalloc.h"
#include "daemon/sockserv.h"
#include "util/cred.h"

struct sock;
struct tcp_mem_ops;

/* Requests taken from one session per round: one program cannot starve
 * the others (or the data path) by streaming requests. */
#define SS_REQ_BUDGET 64
#define SS_EVENTS 64
#define SS_LISTEN_BACKLOG 128
/* Sessions of a uid past its cap kept to be told EMFILE: beyond these,
 * its connections are closed at once. */
#define SS_REFUSED_MAX 16

enum ss_kind { SS_LISTENER, SS_SESSION, SS_BELL };

struct ss_sock;
struct ss_seg;

/* A cred kept as long as its segment: sockets and the connections they
 * made (lingering ones too) point at it as their owner. */
struct ss_cred {
	struct ax_cred c;
	struct ss_cred *next;
	int used; /* a socket was made with it: kept with the segment */
};

/* What one uid holds (sessions from accept to end, sockets from creation
 * to release): the per-uid caps. Freed when both are 0. */
struct ss_acct {
	uint32_t uid;
	unsigned sessions, sockets;
	struct ss_acct *next;
};

struct ss_seg {
	enum ss_kind kind; /* SS_BELL: its doorbell in the epoll set */
	struct sockserv *ss;
	struct ss_seg *next, *prev;
	int memfd, bell;
	uint8_t *base;
	uint64_t size;
	struct axipc_seg_hdr *hdr;
	struct axipc_slot *slots;
	uint8_t token[AXIPC_TOKEN_LEN];
	struct segalloc alloc;
	struct ss_sock **socks;     /* by slot id */
	struct ringown own;         /* ring offset -> the socket showing it */
	uint32_t *free_ids, nfree, next_id;
	uint32_t nsocks, sessions;
	struct ss_cred *creds;
	int sleeping; /* need_wakeup is set */
};

struct ss_sess {
	enum ss_kind kind; /* SS_SESSION */
	struct sockserv *ss;
	struct ss_sess *next, *prev;
	int fd;
	struct ss_seg *seg;      /* NULL before HELLO/ATTACH */
	struct ss_cred *cred;
	struct ax_cred peer;     /* SO_PEERCRED at accept */
	struct ss_acct *acct;    /* peer.uid's */
	int refused;             /* over its uid's cap: EMFILE, then ends */
	uint64_t refs[AXIPC_SLOTS / 64]; /* the sockets it holds */
	/* A reply the socket did not take: sent first, reading waits. */
	uint8_t out[AXIPC_MSG_MAX];
	size_t outlen;
	int outfd;
	int ending;
};

struct ss_sock {
	struct ss_seg *seg;
	struct sock *so;   /* NULL once closed or aborted */
	uint32_t id;
	int type;
	int efd;
	unsigned refs;
	int err;           /* an error of ours for SO_ERROR (aborted, UDP sends) */
	struct axipc_addr local; /* its name when it was aborted */
	/* rings as published; buf NULL: none (yet, or freed) */
	uint8_t *rx_buf, *tx_buf;
	uint32_t rx_size, tx_size;
	uint64_t udp_tx_off;   /* UDP: our own tx ring's block */
	uint32_t tx_cons;      /* UDP tx: records consumed */
	int tx_blocked;        /* UDP tx: sock_send said -EAGAIN: retried each round */
	int tx_shut_wr;        /* UDP: a SHUT_WR waiting for the records before it */
	uint32_t tx_shut_at;   /* ...its tx ring index: applied once tx_cons is there */
	struct ss_sock *blocked_next;
	uint32_t pending;      /* events since the last publication */
	uint32_t last_ready;
	int dirty, released;
	struct ss_sock *dirty_next;
	struct ss_acct *acct;  /* the uid it counts against (its creator's) */
};

struct sockserv {
	enum ss_kind kind; /* SS_LISTENER */
	int ep, lfd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct sock_layer *socks;
	uint64_t seg_size;
	struct ss_seg *segs;
	struct ss_sess *sessions;
	struct ss_sock *dirty;
	struct ss_sock *dead;   /* released: freed at the end of the round */
	struct ss_sock *blocked; /* UDP senders waiting (admission pending, ...) */
	int reap;               /* a segment may be empty: look at flush */
	int closing;            /* sockserv_close: the last segment frees us */
	struct ss_acct *accts;
	unsigned max_uid_sessions, max_uid_sockets;
	uint64_t fd_budget;     /* RLIMIT_NOFILE less the daemon's reserve */
	uint64_t fd_reserve;
	uint64_t log_sec;
	unsigned log_n;
	struct {
		uint64_t sessions, sessions_total, segments, sockets, requests, kicks,
			doorbells, wakeups, bad_msg, bad_index, no_memory, ring_bytes, creds;
	} st;
};

#define LD(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define ST(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)

/* sockserv_data.c */
extern const struct tcp_mem_ops ss_mem_ops; /* rings in a segment (arg: the segment) */
int ss_log_ok(struct sockserv *ss);
void ss_mark_dirty(struct ss_sock *s, uint32_t events);
/* A socket with a slot, an eventfd, and for UDP its tx ring; one
 * reference (the caller records whose). NULL and -errno in *err. */
struct ss_sock *ss_sock_new(struct ss_seg *g, struct sock *so, int type, int *err);
void ss_sock_unref(struct ss_sock *s);
/* Take what the program moved in the socket's rings (a kick or a request). */
void ss_sock_take(struct ss_sock *s);
/* Show the socket's rings and readiness; wake the program if it asked. */
void ss_sock_publish(struct ss_sock *s);
/* The segment's kicks, each socket taken once; 1 if there were any. */
int ss_seg_kicks(struct ss_seg *g);
int ss_seg_pending(const struct ss_seg *g);
/* Retry the UDP senders that were told to wait (once a round). */
void ss_retry_blocked(struct sockserv *ss);

/* sockserv.c */
void ss_seg_free(struct ss_seg *g);
/* A socket of a's went (released); frees a when it holds nothing. */
void ss_acct_sock_put(struct sockserv *ss, struct ss_acct *a);

#endif /* AX_DAEMON_SOCKSERV_PRIV_H */
