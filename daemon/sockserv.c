/*
 * sockserv.c - see sockserv.h. The layout and the protocol are in
 * include/axnet/ipc.h; this file is the daemon's side of it.
 *
 * Private state (never in shared memory): per segment the allocator, the
 * socket table by slot id, and which socket owns which ring block; per
 * socket the indices the daemon last accepted or published. The engine's
 * ring heads and lengths are the truth for TCP; each program-written index
 * is loaded once and checked against them.
 */
#define _GNU_SOURCE
#include "daemon/sockserv.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "axnet/ipc.h"
#include "daemon/ipc_decode.h"
#include "daemon/segalloc.h"
#include "net/opt.h"
#include "net/tcp.h"
#include "sock/sock.h"
#include "util/cred.h"
#include "util/instance.h"
#include "util/log.h"

/* Requests taken from one session per round: one program cannot starve
 * the others (or the data path) by streaming requests. */
#define SS_REQ_BUDGET 64
#define SS_EVENTS 64
#define SS_LISTEN_BACKLOG 128

enum ss_kind { SS_LISTENER, SS_SESSION, SS_BELL };

struct ss_sock;
struct ss_seg;

/* A cred kept as long as its segment: sockets and the connections they
 * made (lingering ones too) point at it as their owner. */
struct ss_cred {
	struct ax_cred c;
	struct ss_cred *next;
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
	struct ss_sock **blk_owner; /* by ring block offset / SEGALLOC_MIN */
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
	/* rings as published; buf NULL: none (yet, or freed) */
	uint8_t *rx_buf, *tx_buf;
	uint32_t rx_size, tx_size;
	uint64_t udp_tx_off;   /* UDP: our own tx ring's block */
	uint32_t tx_cons;      /* UDP tx: records consumed */
	int tx_blocked;        /* UDP tx: sock_send said -EAGAIN */
	uint32_t pending;      /* events since the last publication */
	uint32_t last_ready;
	int dirty, released;
	struct ss_sock *dirty_next;
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
	int reap;               /* a segment may be empty: look at flush */
	int closing;            /* sockserv_close: the last segment frees us */
	uint64_t log_sec;
	unsigned log_n;
	struct {
		uint64_t sessions, sessions_total, segments, sockets, requests, kicks,
			doorbells, wakeups, bad_msg, bad_index, no_memory, ring_bytes;
	} st;
};

static void seg_free(struct ss_seg *g);

static const uint32_t ready_dead = EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP;

/* A program that misbehaves may try to fill the log: a few lines a
 * second, the counters say the rest. */
static int log_ok(struct sockserv *ss)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if ((uint64_t)ts.tv_sec != ss->log_sec) {
		ss->log_sec = (uint64_t)ts.tv_sec;
		ss->log_n = 0;
	}
	return ss->log_n++ < 10;
}

#define LD(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define ST(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)

static struct axipc_slot *slot_of(struct ss_sock *s)
{
	return &s->seg->slots[s->id];
}

static void mark_dirty(struct ss_sock *s, uint32_t events)
{
	s->pending |= events;
	if (!s->dirty && !s->released) {
		s->dirty = 1;
		s->dirty_next = s->seg->ss->dirty;
		s->seg->ss->dirty = s;
	}
}

/* ---- ring memory (tcp_mem_ops, also the socket layer's UDP rings) ---- */

static void *mem_alloc(void *arg, struct tcp_pcb *pcb, uint32_t size, int is_rcv)
{
	struct ss_seg *g = arg;
	int64_t off = segalloc_alloc(&g->alloc, size);

	(void)pcb;
	(void)is_rcv;
	if (off < 0) {
		g->ss->st.no_memory++;
		return NULL;
	}
	g->ss->st.ring_bytes += segalloc_size(size);
	return g->base + off;
}

static void mem_free(void *arg, struct tcp_pcb *pcb, void *mem, uint32_t size, int is_rcv)
{
	struct ss_seg *g = arg;
	uint64_t off = (uint64_t)((uint8_t *)mem - g->base);
	struct ss_sock *s = g->blk_owner[off / SEGALLOC_MIN];

	(void)pcb;
	(void)is_rcv;
	if (s) {
		/* The connection is gone under an open socket (reset, timed
		 * out): its rings go; the slot says so. */
		g->blk_owner[off / SEGALLOC_MIN] = NULL;
		if (s->rx_buf == mem)
			s->rx_buf = NULL;
		if (s->tx_buf == mem)
			s->tx_buf = NULL;
		mark_dirty(s, 0);
	}
	if (segalloc_free(&g->alloc, off, size) == 0)
		g->ss->st.ring_bytes -= segalloc_size(size);
	g->ss->reap = 1;
	if (g->ss->closing && !g->alloc.live) {
		/* The daemon stops: this lingering connection was the
		 * last user of its segment (and maybe of the server). */
		struct sockserv *ss = g->ss;

		seg_free(g);
		if (!ss->segs)
			free(ss);
	}
}

static const struct tcp_mem_ops mem_ops = { .alloc = mem_alloc, .free = mem_free };

/* Memory the engine or the socket layer handed us as a ring: inside our
 * ring area (else it is not the program's to see). */
static int ring_off(struct ss_seg *g, const uint8_t *buf, uint32_t size, uint64_t *off)
{
	if (!buf || buf < g->base + g->alloc.start || size < 8 || (size & (size - 1)) ||
	    (uint64_t)(buf - g->base) + size > g->alloc.end)
		return -EINVAL;
	*off = (uint64_t)(buf - g->base);
	return 0;
}

/* ---- sockets ---- */

static void sock_events(void *arg, struct sock *so, uint32_t events)
{
	(void)so;
	mark_dirty(arg, events);
}

/* Stop serving a socket's data: the connection is reset (SO_LINGER
 * {1,0} and close: RST, as the kernel's abort), the program sees
 * ECONNRESET. */
static void sock_abort(struct ss_sock *s, const char *why)
{
	struct sockserv *ss = s->seg->ss;
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	ss->st.bad_index++;
	if (log_ok(ss))
		log_info("sockserv: socket %u of pid %u aborted: %s", s->id,
			 s->seg->creds ? s->seg->creds->c.pid : 0, why);
	if (!s->so)
		return;
	sock_set_event(s->so, NULL, NULL);
	if (s->type == SOCK_STREAM)
		(void)sock_setsockopt(s->so, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	sock_close(s->so);
	s->so = NULL;
	s->err = -ECONNRESET;
	mark_dirty(s, EPOLLERR | EPOLLHUP);
}

static void set_desc(struct axipc_ringdesc *d, uint64_t off, uint32_t size)
{
	__atomic_store_n(&d->off, off, __ATOMIC_RELAXED);
	__atomic_store_n(&d->size, size, __ATOMIC_RELAXED);
}

/* TCP: once the connection has its rings, show them to the program:
 * indices are the engine's stream offsets. 0, or -EINVAL when the rings
 * are not in the segment. */
static int tcp_attach(struct ss_sock *s, struct tcp_pcb *pcb)
{
	struct ss_seg *g = s->seg;
	struct axipc_slot *sl = slot_of(s);
	struct tcp_ringview rv, tv;
	uint64_t roff, toff;

	tcp_rcv_view(pcb, &rv);
	tcp_snd_view(pcb, &tv);
	if (!rv.buf || !tv.buf)
		return 0; /* not yet */
	if (ring_off(g, rv.buf, rv.size, &roff) || ring_off(g, tv.buf, tv.size, &toff))
		return -EINVAL;
	s->rx_buf = rv.buf;
	s->rx_size = rv.size;
	s->tx_buf = tv.buf;
	s->tx_size = tv.size;
	g->blk_owner[roff / SEGALLOC_MIN] = s;
	g->blk_owner[toff / SEGALLOC_MIN] = s;
	ST(&sl->rx_ring.cons, rv.head);
	ST(&sl->rx_ring.prod, rv.head + rv.len);
	ST(&sl->tx_ring.cons, tv.head);
	ST(&sl->tx_ring.prod, tv.head + tv.len);
	set_desc(&sl->rx, roff, rv.size);
	set_desc(&sl->tx, toff, tv.size);
	return 0;
}

/* UDP: the receive ring the socket layer made (lazily). */
static int udp_attach_rx(struct ss_sock *s)
{
	struct ss_seg *g = s->seg;
	struct axipc_slot *sl = slot_of(s);
	struct tcp_ringview rv;
	uint64_t roff;

	sock_dgram_rx_view(s->so, &rv);
	if (!rv.buf)
		return 0;
	if (ring_off(g, rv.buf, rv.size, &roff))
		return -EINVAL;
	s->rx_buf = rv.buf;
	s->rx_size = rv.size;
	g->blk_owner[roff / SEGALLOC_MIN] = s;
	ST(&sl->rx_ring.cons, rv.head);
	ST(&sl->rx_ring.prod, rv.head + rv.len);
	set_desc(&sl->rx, roff, rv.size);
	return 0;
}

/* Take what the program did to a TCP socket's rings: bytes it consumed
 * (window updates), bytes it wrote (sent when allowed). */
static void tcp_take(struct ss_sock *s)
{
	struct axipc_slot *sl = slot_of(s);
	struct tcp_pcb *pcb = sock_pcb(s->so);
	struct tcp_ringview v;
	uint32_t idx, n;
	int rc;

	if (!pcb || !s->rx_buf || !s->tx_buf)
		return;
	tcp_rcv_view(pcb, &v);
	idx = LD(&sl->rx_ring.cons);
	n = idx - v.head;
	if (n > v.len) {
		sock_abort(s, "rx consumer index past the producer");
		return;
	}
	if (n && tcp_rcv_consumed(pcb, n) < 0) {
		sock_abort(s, "rx consumer index refused");
		return;
	}
	tcp_snd_view(pcb, &v);
	idx = LD(&sl->tx_ring.prod);
	n = idx - (v.head + v.len);
	if (n > v.size - v.len) {
		sock_abort(s, "tx producer index past the free space");
		return;
	}
	if (n) {
		rc = tcp_snd_produced(pcb, n);
		if (rc == -EINVAL) {
			sock_abort(s, "tx producer index refused");
			return;
		}
		if (rc < 0) {
			/* Written after shutdown: the bytes are not sent;
			 * the library says EPIPE at its write. */
			s->err = rc;
			mark_dirty(s, EPOLLERR);
		}
	}
	mark_dirty(s, 0);
}

static void udp_take_rx(struct ss_sock *s)
{
	struct axipc_slot *sl = slot_of(s);
	struct tcp_ringview v;
	uint32_t n;

	if (!s->rx_buf)
		return;
	sock_dgram_rx_view(s->so, &v);
	n = LD(&sl->rx_ring.cons) - v.head;
	if (n > v.len) {
		sock_abort(s, "rx consumer index past the producer");
		return;
	}
	if (n && sock_dgram_rx_consumed(s->so, n) < 0)
		sock_abort(s, "rx consumer index refused");
}

/* Send the datagrams the program put in its tx ring, in order, until the
 * socket layer says wait (-EAGAIN: retried on EPOLLOUT). A failed send
 * takes its record and leaves its error for the program (SO_ERROR), as a
 * kernel's asynchronous UDP error. */
static void udp_take_tx(struct ss_sock *s)
{
	struct axipc_slot *sl = slot_of(s);
	uint32_t prod;

	if (!s->tx_buf)
		return;
	prod = LD(&sl->tx_ring.prod);
	if (prod - s->tx_cons > s->tx_size) {
		sock_abort(s, "tx producer index past the ring");
		return;
	}
	s->tx_blocked = 0;
	while (s->so && s->tx_cons != prod) {
		struct axipc_dgram d;
		struct sockaddr_in sin;
		uint32_t payload;
		long n = ipc_dgram_next(s->tx_buf, s->tx_size, s->tx_cons, prod, &d, &payload);
		ssize_t rc;

		if (n <= 0) {
			sock_abort(s, "bad datagram record in the tx ring");
			return;
		}
		if (d.family == AXIPC_DGRAM_PAD) {
			s->tx_cons += (uint32_t)n;
			continue;
		}
		if (d.family == AF_INET) {
			memset(&sin, 0, sizeof(sin));
			sin.sin_family = AF_INET;
			sin.sin_port = d.port;
			memcpy(&sin.sin_addr, d.addr, 4);
			rc = sock_send(s->so, s->tx_buf + payload, d.len, MSG_DONTWAIT | MSG_NOSIGNAL,
				       (const struct sockaddr *)&sin, sizeof(sin));
		} else if (d.family == AF_UNSPEC) {
			rc = sock_send(s->so, s->tx_buf + payload, d.len, MSG_DONTWAIT | MSG_NOSIGNAL,
				       NULL, 0);
		} else {
			rc = -EAFNOSUPPORT;
		}
		if (rc == -EAGAIN) {
			s->tx_blocked = 1;
			break;
		}
		if (rc < 0) {
			s->err = (int)rc;
			mark_dirty(s, EPOLLERR);
		}
		s->tx_cons += (uint32_t)n;
	}
	ST(&sl->tx_ring.cons, s->tx_cons);
	mark_dirty(s, 0);
}

/* Everything the program may have moved on this socket (a kick, or a
 * request about it). */
static void sock_take(struct ss_sock *s)
{
	if (!s->so)
		return;
	if (s->type == SOCK_STREAM) {
		tcp_take(s);
	} else {
		udp_take_rx(s);
		if (s->so)
			udp_take_tx(s);
	}
}

/* Show the program where the socket is: rings, indices, readiness; then
 * wake it if it asked for what happened. */
static void sock_publish(struct ss_sock *s)
{
	struct sockserv *ss = s->seg->ss;
	struct axipc_slot *sl = slot_of(s);
	uint32_t ready = ready_dead, edge, want;
	struct tcp_ringview v;

	if (s->so && s->type == SOCK_STREAM) {
		struct tcp_pcb *pcb = sock_pcb(s->so);

		if (pcb && !s->rx_buf && !s->tx_buf && tcp_attach(s, pcb) < 0) {
			sock_abort(s, "connection rings outside the segment");
		} else if (pcb && s->rx_buf && s->tx_buf) {
			tcp_rcv_view(pcb, &v);
			ST(&sl->rx_ring.prod, v.head + v.len);
			tcp_snd_view(pcb, &v);
			ST(&sl->tx_ring.cons, v.head);
		}
	} else if (s->so) {
		if (s->tx_blocked && (s->pending & EPOLLOUT))
			udp_take_tx(s);
		if (s->so && !s->rx_buf && udp_attach_rx(s) < 0)
			sock_abort(s, "datagram ring outside the segment");
		else if (s->so && s->rx_buf) {
			sock_dgram_rx_view(s->so, &v);
			ST(&sl->rx_ring.prod, v.head + v.len);
		}
	}
	if (!s->rx_buf)
		__atomic_store_n(&sl->rx.size, 0, __ATOMIC_RELAXED);
	if (!s->tx_buf)
		__atomic_store_n(&sl->tx.size, 0, __ATOMIC_RELAXED);
	if (s->so)
		ready = sock_poll(s->so);
	if (s->err)
		ready |= EPOLLERR;
	__atomic_store_n(&sl->ready, ready, __ATOMIC_RELAXED);
	__atomic_store_n(&sl->so_error, s->err, __ATOMIC_RELAXED);
	__atomic_fetch_add(&sl->seq, 1, __ATOMIC_RELEASE);
	/* Dekker with the program's "set want, fence, look at the slot". */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	want = __atomic_load_n(&sl->want, __ATOMIC_RELAXED);
	edge = s->pending | (ready & ~s->last_ready);
	s->last_ready = ready;
	s->pending = 0;
	if (edge & (want | EPOLLERR | EPOLLHUP)) {
		uint64_t one = 1;

		if (write(s->efd, &one, sizeof(one)) == sizeof(one))
			ss->st.wakeups++;
	}
}

static void free_id(struct ss_seg *g, uint32_t id)
{
	g->free_ids[g->nfree++] = id;
}

/* A socket with a slot, an eventfd, and for UDP its tx ring. The
 * reference is the caller's to record. NULL and -errno in *err. */
static struct ss_sock *sock_new(struct ss_seg *g, struct sock *so, int type, int *err)
{
	struct ss_sock *s;
	uint32_t id;

	if (g->nfree)
		id = g->free_ids[--g->nfree];
	else if (g->next_id < AXIPC_SLOTS)
		id = g->next_id++;
	else {
		*err = -EMFILE;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		free_id(g, id);
		*err = -ENOMEM;
		return NULL;
	}
	s->seg = g;
	s->so = so;
	s->id = id;
	s->type = type;
	s->refs = 1;
	s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->efd < 0) {
		*err = -errno;
		free_id(g, id);
		free(s);
		return NULL;
	}
	if (type == SOCK_DGRAM) {
		int64_t off = segalloc_alloc(&g->alloc, AX_IPC_UDP_TXRING);

		if (off < 0) {
			g->ss->st.no_memory++;
			*err = -ENOBUFS;
			close(s->efd);
			free_id(g, id);
			free(s);
			return NULL;
		}
		g->ss->st.ring_bytes += segalloc_size(AX_IPC_UDP_TXRING);
		s->udp_tx_off = (uint64_t)off;
		s->tx_buf = g->base + off;
		s->tx_size = segalloc_size(AX_IPC_UDP_TXRING);
	}
	g->socks[id] = s;
	g->nsocks++;
	g->ss->st.sockets++;
	{
		struct axipc_slot *sl = &g->slots[id];

		set_desc(&sl->rx, 0, 0);
		set_desc(&sl->tx, s->tx_buf ? s->udp_tx_off : 0, s->tx_size);
		__atomic_store_n(&sl->want, 0, __ATOMIC_RELAXED);
		ST(&sl->rx_ring.prod, 0);
		ST(&sl->rx_ring.cons, 0);
		ST(&sl->tx_ring.prod, 0);
		ST(&sl->tx_ring.cons, 0);
		__atomic_store_n(&sl->type, (uint32_t)type, __ATOMIC_RELAXED);
	}
	if (so)
		sock_set_event(so, sock_events, s);
	mark_dirty(s, 0);
	return s;
}

static void forget_ring(struct ss_sock *s, const uint8_t *buf, uint32_t size)
{
	uint64_t off;

	if (buf && ring_off(s->seg, buf, size, &off) == 0 &&
	    s->seg->blk_owner[off / SEGALLOC_MIN] == s)
		s->seg->blk_owner[off / SEGALLOC_MIN] = NULL;
}

/* The last reference went: close as the kernel closes a socket whose
 * last descriptor goes (what the program wrote goes out first; what it
 * left unread makes it a reset). */
static void sock_release(struct ss_sock *s)
{
	struct ss_seg *g = s->seg;
	struct sockserv *ss = g->ss;
	struct axipc_slot *sl = slot_of(s);

	if (s->so) {
		sock_take(s);
	}
	if (s->so) {
		sock_set_event(s->so, NULL, NULL);
		sock_close(s->so);
		s->so = NULL;
	}
	/* Rings the engine or the socket layer made are theirs to free
	 * (a lingering connection keeps them): they are no longer ours. */
	forget_ring(s, s->rx_buf, s->rx_size);
	if (s->type == SOCK_STREAM)
		forget_ring(s, s->tx_buf, s->tx_size);
	if (s->type == SOCK_DGRAM && segalloc_free(&g->alloc, s->udp_tx_off, s->tx_size) == 0)
		ss->st.ring_bytes -= s->tx_size;
	set_desc(&sl->rx, 0, 0);
	set_desc(&sl->tx, 0, 0);
	__atomic_store_n(&sl->type, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&sl->ready, 0, __ATOMIC_RELAXED);
	__atomic_fetch_add(&sl->seq, 1, __ATOMIC_RELEASE);
	close(s->efd);
	s->efd = -1;
	g->socks[s->id] = NULL;
	free_id(g, s->id);
	g->nsocks--;
	ss->st.sockets--;
	s->released = 1;
	/* Freed at the end of the round; one on the dirty list gets to the
	 * dead list from there. */
	if (!s->dirty) {
		s->dirty_next = ss->dead;
		ss->dead = s;
	}
	ss->reap = 1;
}

static void sock_unref(struct ss_sock *s)
{
	if (--s->refs == 0)
		sock_release(s);
}

/* ---- segments ---- */

static void seg_free(struct ss_seg *g)
{
	struct sockserv *ss = g->ss;
	struct ss_cred *c, *n;

	if (g->prev)
		g->prev->next = g->next;
	else
		ss->segs = g->next;
	if (g->next)
		g->next->prev = g->prev;
	if (g->bell >= 0) {
		/* The program holds the same eventfd: without this its
		 * writes would still report our freed pointer. */
		if (ss->ep >= 0)
			epoll_ctl(ss->ep, EPOLL_CTL_DEL, g->bell, NULL);
		close(g->bell);
	}
	if (g->base && g->base != MAP_FAILED)
		munmap(g->base, g->size);
	if (g->memfd >= 0)
		close(g->memfd);
	segalloc_fini(&g->alloc);
	for (c = g->creds; c; c = n) {
		n = c->next;
		free(c);
	}
	free(g->socks);
	free(g->free_ids);
	if (g->blk_owner)
		munmap(g->blk_owner, (g->size / SEGALLOC_MIN) * sizeof(*g->blk_owner));
	ss->st.segments--;
	free(g);
}

static int seg_new(struct sockserv *ss, struct ss_seg **out)
{
	struct ss_seg *g = calloc(1, sizeof(*g));
	uint64_t slot_off, ring_start, owners;
	struct epoll_event ev = { .events = EPOLLIN };
	int err;

	if (!g)
		return -ENOMEM;
	g->kind = SS_BELL;
	g->ss = ss;
	g->memfd = g->bell = -1;
	g->next = ss->segs;
	if (ss->segs)
		ss->segs->prev = g;
	ss->segs = g;
	ss->st.segments++;
	g->size = ss->seg_size;
	slot_off = (sizeof(struct axipc_seg_hdr) + 4095) & ~4095ull;
	ring_start = (slot_off + (uint64_t)AXIPC_SLOTS * sizeof(struct axipc_slot) + 4095) &
		     ~4095ull;
	if (ring_start + SEGALLOC_MIN > g->size) {
		err = -EINVAL;
		goto fail;
	}
	g->memfd = memfd_create("axnet-api", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (g->memfd < 0 || ftruncate(g->memfd, (off_t)g->size) < 0) {
		err = -errno;
		goto fail;
	}
	/* A program that shrank the file would make our mapping fault:
	 * the size is sealed (holes may still be punched, ours or its). */
	if (fcntl(g->memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		err = -errno;
		goto fail;
	}
	g->base = mmap(NULL, g->size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
		       g->memfd, 0);
	if (g->base == MAP_FAILED) {
		err = -errno;
		goto fail;
	}
	owners = (g->size / SEGALLOC_MIN) * sizeof(*g->blk_owner);
	g->blk_owner = mmap(NULL, owners, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (g->blk_owner == MAP_FAILED) {
		g->blk_owner = NULL;
		err = -ENOMEM;
		goto fail;
	}
	g->socks = calloc(AXIPC_SLOTS, sizeof(*g->socks));
	g->free_ids = calloc(AXIPC_SLOTS, sizeof(*g->free_ids));
	if (!g->socks || !g->free_ids) {
		err = -ENOMEM;
		goto fail;
	}
	if (getrandom(g->token, sizeof(g->token), 0) != sizeof(g->token)) {
		err = -EIO;
		goto fail;
	}
	segalloc_init(&g->alloc, g->memfd, ring_start, g->size);
	g->hdr = (struct axipc_seg_hdr *)g->base;
	g->slots = (struct axipc_slot *)(g->base + slot_off);
	g->hdr->version = AXIPC_VERSION;
	g->hdr->seg_size = g->size;
	g->hdr->slot_off = slot_off;
	g->hdr->nslots = AXIPC_SLOTS;
	memcpy(g->hdr->token, g->token, sizeof(g->token));
	__atomic_store_n(&g->hdr->magic, AXIPC_MAGIC, __ATOMIC_RELEASE);
	g->bell = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ev.data.ptr = g;
	if (g->bell < 0 || epoll_ctl(ss->ep, EPOLL_CTL_ADD, g->bell, &ev) < 0) {
		err = -errno;
		goto fail;
	}
	*out = g;
	return 0;
fail:
	seg_free(g);
	return err;
}

/* Everything kicked since the last look: each socket's rings taken once
 * (the kick set deduplicates). */
static int seg_kicks(struct ss_seg *g)
{
	struct axipc_seg_hdr *h = g->hdr;
	int found = 0;
	unsigned i;

	for (i = 0; i < AXIPC_KICK_SUM_WORDS; i++) {
		uint64_t sum;

		if (!__atomic_load_n(&h->kick_sum[i], __ATOMIC_RELAXED))
			continue;
		sum = __atomic_exchange_n(&h->kick_sum[i], 0, __ATOMIC_ACQ_REL);
		while (sum) {
			unsigned w = i * 64 + (unsigned)__builtin_ctzll(sum);
			uint64_t bits = __atomic_exchange_n(&h->kick_bits[w], 0, __ATOMIC_ACQ_REL);

			sum &= sum - 1;
			while (bits) {
				uint32_t id = w * 64 + (uint32_t)__builtin_ctzll(bits);
				struct ss_sock *s = g->socks[id];

				bits &= bits - 1;
				found = 1;
				/* A kick for a free slot: a close raced it. */
				if (s) {
					g->ss->st.kicks++;
					sock_take(s);
				}
			}
		}
	}
	return found;
}

static int seg_pending(const struct ss_seg *g)
{
	unsigned i;

	for (i = 0; i < AXIPC_KICK_SUM_WORDS; i++)
		if (__atomic_load_n(&g->hdr->kick_sum[i], __ATOMIC_RELAXED))
			return 1;
	return 0;
}

/* ---- sessions ---- */

static void sess_end(struct ss_sess *e)
{
	struct sockserv *ss = e->ss;
	unsigned w;

	if (e->seg) {
		for (w = 0; w < AXIPC_SLOTS / 64; w++) {
			while (e->refs[w]) {
				uint32_t id = w * 64 + (uint32_t)__builtin_ctzll(e->refs[w]);

				e->refs[w] &= e->refs[w] - 1;
				if (e->seg->socks[id])
					sock_unref(e->seg->socks[id]);
			}
		}
		e->seg->sessions--;
		ss->reap = 1;
	}
	if (e->outfd >= 0)
		close(e->outfd);
	epoll_ctl(ss->ep, EPOLL_CTL_DEL, e->fd, NULL);
	close(e->fd);
	if (e->prev)
		e->prev->next = e->next;
	else
		ss->sessions = e->next;
	if (e->next)
		e->next->prev = e->prev;
	ss->st.sessions--;
	free(e);
}

static void sess_bad(struct ss_sess *e, const char *why)
{
	e->ss->st.bad_msg++;
	if (log_ok(e->ss))
		log_info("sockserv: session of pid %u ended: %s", e->peer.pid, why);
	e->ending = 1;
}

/* Send a reply (with fd passed along unless -1). One that does not fit
 * waits in the session (with a duplicate of fd) and reading stops. */
static void sess_reply(struct ss_sess *e, const struct axipc_hdr *rq, int32_t err,
		       const void *body, size_t blen, int fd)
{
	struct axipc_rep r = { .h = *rq, .err = err };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cm;
	struct iovec iov;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	uint8_t out[AXIPC_MSG_MAX];
	ssize_t n;

	if (err < 0)
		blen = 0;
	r.h.len = (uint32_t)(sizeof(r) + blen);
	r.h.flags = 0;
	memcpy(out, &r, sizeof(r));
	if (blen)
		memcpy(out + sizeof(r), body, blen);
	iov.iov_base = out;
	iov.iov_len = sizeof(r) + blen;
	if (fd >= 0) {
		struct cmsghdr *c;

		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof(cm.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	if (e->outlen)
		goto wait; /* keep the order */
	n = sendmsg(e->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n == (ssize_t)iov.iov_len)
		return;
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
		e->ending = 1; /* gone */
		return;
	}
wait:
	if (e->outlen) {
		/* A second waiting reply: the program sends requests
		 * without reading replies. */
		sess_bad(e, "requests sent without reading the replies");
		return;
	}
	memcpy(e->out, out, iov.iov_len);
	e->outlen = iov.iov_len;
	e->outfd = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
	{
		struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = e };

		epoll_ctl(e->ss->ep, EPOLL_CTL_MOD, e->fd, &ev);
	}
}

static void sess_send_waiting(struct ss_sess *e)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cm;
	struct iovec iov = { .iov_base = e->out, .iov_len = e->outlen };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = e };
	ssize_t n;

	if (e->outfd >= 0) {
		struct cmsghdr *c;

		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof(cm.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &e->outfd, sizeof(int));
	}
	n = sendmsg(e->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n != (ssize_t)e->outlen) {
		e->ending = 1;
		return;
	}
	e->outlen = 0;
	if (e->outfd >= 0)
		close(e->outfd);
	e->outfd = -1;
	epoll_ctl(e->ss->ep, EPOLL_CTL_MOD, e->fd, &ev);
}

static int holds(const struct ss_sess *e, uint32_t id)
{
	return id < AXIPC_SLOTS && (e->refs[id / 64] >> (id % 64) & 1);
}

static void hold(struct ss_sess *e, uint32_t id)
{
	e->refs[id / 64] |= 1ull << (id % 64);
}

static void let_go(struct ss_sess *e, uint32_t id)
{
	e->refs[id / 64] &= ~(1ull << (id % 64));
}

static void do_hello(struct ss_sess *e, const struct axipc_req *q)
{
	struct sockserv *ss = e->ss;
	struct axipc_hello_rep rep = { .version = AXIPC_VERSION, .nslots = AXIPC_SLOTS };
	struct ss_cred *c;
	struct ss_seg *g = NULL;
	int err, fds[2];

	if (q->u.hello.version != AXIPC_VERSION) {
		sess_reply(e, &q->h, -EPROTONOSUPPORT, NULL, 0, -1);
		e->ending = 1;
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		sess_reply(e, &q->h, -ENOMEM, NULL, 0, -1);
		return;
	}
	c->c = e->peer;
	if (q->h.type == AXIPC_HELLO) {
		err = seg_new(ss, &g);
		if (err) {
			free(c);
			log_warn("sockserv: no segment for pid %u: %s", e->peer.pid, strerror(-err));
			sess_reply(e, &q->h, err, NULL, 0, -1);
			return;
		}
	} else {
		for (g = ss->segs; g; g = g->next) {
			/* Not a secret compared in a hot loop: the time it
			 * takes says nothing useful (128 random bits). */
			if (!memcmp(g->token, q->u.attach.token, sizeof(g->token)))
				break;
		}
		if (!g) {
			free(c);
			sess_bad(e, "ATTACH with an unknown token");
			return;
		}
	}
	c->next = g->creds;
	g->creds = c;
	e->cred = c;
	e->seg = g;
	g->sessions++;
	rep.seg_size = g->size;
	if (q->h.type == AXIPC_ATTACH) {
		uint32_t id;

		/* The child holds what its parent held: every socket of the
		 * segment (the descriptors came with fork). */
		for (id = 0; id < g->next_id; id++) {
			struct ss_sock *s = g->socks[id];

			if (s) {
				s->refs++;
				hold(e, id);
			}
		}
		sess_reply(e, &q->h, 0, &rep, sizeof(rep), -1);
		return;
	}
	/* Two descriptors: the memfd, then the doorbell. */
	fds[0] = g->memfd;
	fds[1] = g->bell;
	{
		struct axipc_rep r = { .h = q->h };
		uint8_t out[sizeof(r) + sizeof(rep)];
		union {
			char buf[CMSG_SPACE(2 * sizeof(int))];
			struct cmsghdr align;
		} cm;
		struct iovec iov = { .iov_base = out, .iov_len = sizeof(out) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = cm.buf, .msg_controllen = sizeof(cm.buf) };
		struct cmsghdr *cmh;

		r.h.len = sizeof(out);
		memcpy(out, &r, sizeof(r));
		memcpy(out + sizeof(r), &rep, sizeof(rep));
		memset(&cm, 0, sizeof(cm));
		cmh = CMSG_FIRSTHDR(&mh);
		cmh->cmsg_level = SOL_SOCKET;
		cmh->cmsg_type = SCM_RIGHTS;
		cmh->cmsg_len = CMSG_LEN(2 * sizeof(int));
		memcpy(CMSG_DATA(cmh), fds, sizeof(fds));
		/* The first reply on a fresh socket: its buffer is empty. */
		if (sendmsg(e->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)sizeof(out))
			e->ending = 1;
	}
}

static void do_socket(struct ss_sess *e, const struct axipc_req *q)
{
	struct ss_seg *g = e->seg;
	struct axipc_sock_rep rep = { 0 };
	int type = q->u.socket.type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	int proto = q->u.socket.protocol, err = 0;
	struct sock *so;
	struct ss_sock *s;

	if (q->u.socket.domain != AF_INET) {
		sess_reply(e, &q->h, -EAFNOSUPPORT, NULL, 0, -1);
		return;
	}
	if (proto && !(type == SOCK_STREAM && proto == IPPROTO_TCP) &&
	    !(type == SOCK_DGRAM && proto == IPPROTO_UDP)) {
		sess_reply(e, &q->h, -EPROTONOSUPPORT, NULL, 0, -1);
		return;
	}
	err = sock_create(e->ss->socks, type, &e->cred->c, &so);
	if (err) {
		sess_reply(e, &q->h, err, NULL, 0, -1);
		return;
	}
	sock_set_mem(so, &mem_ops, g);
	s = sock_new(g, so, type, &err);
	if (!s) {
		sock_close(so);
		sess_reply(e, &q->h, err, NULL, 0, -1);
		return;
	}
	hold(e, s->id);
	sock_publish(s);
	rep.sock = s->id;
	sess_reply(e, &q->h, 0, &rep, sizeof(rep), s->efd);
}

static void do_accept(struct ss_sess *e, struct ss_sock *l, const struct axipc_req *q)
{
	struct ss_seg *g = e->seg;
	struct axipc_sock_rep rep = { 0 };
	struct sockaddr_storage sa;
	socklen_t salen = sizeof(sa);
	struct sock *so;
	struct ss_sock *s;
	int err;

	/* As the kernel: no descriptor to give, the connection stays
	 * queued (EMFILE). */
	if (!g->nfree && g->next_id >= AXIPC_SLOTS) {
		sess_reply(e, &q->h, -EMFILE, NULL, 0, -1);
		return;
	}
	err = sock_accept(l->so, &so);
	if (err) {
		sess_reply(e, &q->h, err, NULL, 0, -1);
		return;
	}
	s = sock_new(g, so, SOCK_STREAM, &err);
	if (!s) {
		sock_close(so);
		sess_reply(e, &q->h, err, NULL, 0, -1);
		return;
	}
	hold(e, s->id);
	sock_publish(s);
	if (sock_getpeername(so, (struct sockaddr *)&sa, &salen) == 0 &&
	    salen <= AXIPC_SOCKADDR_MAX) {
		rep.peer.len = salen;
		memcpy(rep.peer.addr, &sa, salen);
	}
	rep.sock = s->id;
	sess_reply(e, &q->h, 0, &rep, sizeof(rep), s->efd);
}

static void do_getopt(struct ss_sess *e, struct ss_sock *s, const struct axipc_req *q)
{
	struct axipc_getopt_rep rep = { 0 };
	socklen_t len = q->u.getopt.len;
	int err;

	if (q->u.getopt.level == SOL_SOCKET && q->u.getopt.name == SO_ERROR && s->err &&
	    len >= sizeof(int)) {
		/* Our own pending error (an aborted connection, a failed
		 * datagram) first, as the kernel's sk_err; read clears. */
		int v = -s->err;

		s->err = 0;
		memcpy(rep.val, &v, sizeof(v));
		rep.len = sizeof(v);
		mark_dirty(s, 0);
		sess_reply(e, &q->h, 0, &rep, sizeof(rep), -1);
		return;
	}
	if (!s->so) {
		sess_reply(e, &q->h, -ECONNRESET, NULL, 0, -1);
		return;
	}
	err = sock_getsockopt(s->so, q->u.getopt.level, q->u.getopt.name, rep.val, &len);
	if (!err && len > AXIPC_OPT_MAX)
		err = -EINVAL;
	rep.len = len;
	mark_dirty(s, 0); /* SO_ERROR clears: readiness may change */
	sess_reply(e, &q->h, err, &rep, sizeof(rep), -1);
}

static void do_sockreq(struct ss_sess *e, const struct axipc_req *q)
{
	struct ss_sock *s = holds(e, q->h.sock) ? e->seg->socks[q->h.sock] : NULL;
	struct sockaddr_storage sa;
	socklen_t salen;
	int err = 0;

	if (!s) {
		sess_reply(e, &q->h, -EBADF, NULL, 0, -1);
		return;
	}
	/* What the program wrote before this request goes first. */
	sock_take(s);
	if (q->h.type == AXIPC_CLOSE) {
		let_go(e, s->id);
		sock_unref(s);
		sess_reply(e, &q->h, 0, NULL, 0, -1);
		return;
	}
	if (q->h.type == AXIPC_GETSOCKOPT) {
		do_getopt(e, s, q);
		return;
	}
	if (!s->so) {
		/* Aborted (a bad index): every call says so. */
		sess_reply(e, &q->h, -ECONNRESET, NULL, 0, -1);
		return;
	}
	switch (q->h.type) {
	case AXIPC_BIND:
	case AXIPC_CONNECT:
		memset(&sa, 0, sizeof(sa));
		memcpy(&sa, q->u.addr.addr, q->u.addr.len);
		err = q->h.type == AXIPC_BIND
			      ? sock_bind(s->so, (struct sockaddr *)&sa, q->u.addr.len)
			      : sock_connect(s->so, (struct sockaddr *)&sa, q->u.addr.len);
		break;
	case AXIPC_LISTEN:
		err = sock_listen(s->so, q->u.i.val);
		break;
	case AXIPC_ACCEPT:
		do_accept(e, s, q);
		return;
	case AXIPC_SHUTDOWN:
		err = sock_shutdown(s->so, q->u.i.val);
		break;
	case AXIPC_SETSOCKOPT:
		err = sock_setsockopt(s->so, q->u.setopt.level, q->u.setopt.name, q->u.setopt.val,
				      q->u.setopt.len);
		break;
	case AXIPC_GETNAME: {
		struct axipc_addr a = { 0 };

		salen = sizeof(sa);
		err = q->u.i.val ? sock_getpeername(s->so, (struct sockaddr *)&sa, &salen)
				 : sock_getsockname(s->so, (struct sockaddr *)&sa, &salen);
		if (!err) {
			a.len = salen < AXIPC_SOCKADDR_MAX ? salen : AXIPC_SOCKADDR_MAX;
			memcpy(a.addr, &sa, a.len);
		}
		mark_dirty(s, 0);
		sess_reply(e, &q->h, err, &a, sizeof(a), -1);
		return;
	}
	default:
		err = -EINVAL;
		break;
	}
	mark_dirty(s, 0);
	sess_reply(e, &q->h, err, NULL, 0, -1);
}

static void sess_request(struct ss_sess *e, const struct axipc_req *q)
{
	e->ss->st.requests++;
	if (q->h.type == AXIPC_HELLO || q->h.type == AXIPC_ATTACH) {
		if (e->seg) {
			sess_bad(e, "a second HELLO or ATTACH");
			return;
		}
		do_hello(e, q);
		return;
	}
	if (!e->seg) {
		sess_bad(e, "a request before HELLO");
		return;
	}
	if (q->h.type == AXIPC_SOCKET)
		do_socket(e, q);
	else
		do_sockreq(e, q);
}

static void sess_read(struct ss_sess *e)
{
	int i;

	for (i = 0; i < SS_REQ_BUDGET && !e->ending && !e->outlen; i++) {
		uint8_t buf[AXIPC_MSG_MAX + 1];
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		struct axipc_req q;
		ssize_t n = recvmsg(e->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				e->ending = 1;
			return;
		}
		if (n == 0) {
			e->ending = 1; /* the program closed or exited */
			return;
		}
		/* Descriptors sent to us were dropped by the kernel (no
		 * control buffer): a program has no reason to send any. */
		if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
			sess_bad(e, "oversized message or descriptors sent");
			return;
		}
		if (ipc_decode_req(buf, (size_t)n, &q) < 0) {
			sess_bad(e, "malformed request");
			return;
		}
		sess_request(e, &q);
	}
}

static void accept_sessions(struct sockserv *ss)
{
	int fd, i;

	for (i = 0; i < 64; i++) {
		struct ss_sess *e;
		struct ucred uc;
		socklen_t len = sizeof(uc);
		struct epoll_event ev = { .events = EPOLLIN };

		fd = accept4(ss->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE)
				log_warn("sockserv: cannot accept a session: %s", strerror(errno));
			return;
		}
		if (ss->st.sessions >= AX_IPC_MAX_SESSIONS) {
			close(fd); /* the program sees its connection end */
			continue;
		}
		e = calloc(1, sizeof(*e));
		if (!e || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0) {
			free(e);
			close(fd);
			continue;
		}
		e->kind = SS_SESSION;
		e->ss = ss;
		e->fd = fd;
		e->outfd = -1;
		cred_of_pid(&e->peer, (uint32_t)uc.pid, uc.uid, uc.gid);
		ev.data.ptr = e;
		if (epoll_ctl(ss->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			free(e);
			close(fd);
			continue;
		}
		e->next = ss->sessions;
		if (ss->sessions)
			ss->sessions->prev = e;
		ss->sessions = e;
		ss->st.sessions++;
		ss->st.sessions_total++;
	}
}

/* ---- the loop's calls ---- */

int sockserv_fd(const struct sockserv *ss)
{
	return ss ? ss->ep : -1;
}

int sockserv_before_sleep(struct sockserv *ss, int timeout)
{
	struct ss_seg *g;
	int kicked = 0;

	if (!ss || timeout == 0)
		return timeout;
	for (g = ss->segs; g; g = g->next) {
		__atomic_store_n(&g->hdr->need_wakeup, 1, __ATOMIC_RELAXED);
		g->sleeping = 1;
	}
	/* Dekker with the program's "kick, fence, look at need_wakeup":
	 * a kick that did not see the flag is seen here. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (g = ss->segs; g && !kicked; g = g->next)
		kicked = seg_pending(g);
	return kicked ? 0 : timeout;
}

void sockserv_io(struct sockserv *ss, short revents)
{
	struct epoll_event evs[SS_EVENTS];
	struct ss_sess *e, *en;
	struct ss_seg *g;
	int n, i;

	if (!ss)
		return;
	for (g = ss->segs; g; g = g->next) {
		if (g->sleeping) {
			__atomic_store_n(&g->hdr->need_wakeup, 0, __ATOMIC_RELAXED);
			g->sleeping = 0;
		}
	}
	n = revents ? epoll_wait(ss->ep, evs, SS_EVENTS, 0) : 0;
	for (i = 0; i < n; i++) {
		enum ss_kind *k = evs[i].data.ptr;

		if (*k == SS_LISTENER) {
			accept_sessions(ss);
		} else if (*k == SS_BELL) {
			uint64_t v;

			g = evs[i].data.ptr;
			if (read(g->bell, &v, sizeof(v)) == sizeof(v))
				ss->st.doorbells++;
		} else {
			e = evs[i].data.ptr;
			if (e->outlen && (evs[i].events & EPOLLOUT))
				sess_send_waiting(e);
			if (!e->outlen && (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
				sess_read(e);
			else if (evs[i].events & (EPOLLHUP | EPOLLERR))
				e->ending = 1;
		}
	}
	for (g = ss->segs; g; g = g->next)
		seg_kicks(g);
	for (e = ss->sessions; e; e = en) {
		en = e->next;
		if (e->ending)
			sess_end(e);
	}
}

void sockserv_flush(struct sockserv *ss)
{
	struct ss_sock *s, *next;
	struct ss_seg *g, *gn;

	if (!ss)
		return;
	/* Kicks that came while we worked, then what the engine did. */
	for (g = ss->segs; g; g = g->next)
		seg_kicks(g);
	while ((s = ss->dirty)) {
		ss->dirty = NULL;
		for (; s; s = next) {
			next = s->dirty_next;
			s->dirty = 0;
			if (s->released) {
				s->dirty_next = ss->dead;
				ss->dead = s;
				continue;
			}
			sock_publish(s);
		}
	}
	for (s = ss->dead; s; s = next) {
		next = s->dirty_next;
		free(s);
	}
	ss->dead = NULL;
	if (ss->reap) {
		ss->reap = 0;
		for (g = ss->segs; g; g = gn) {
			gn = g->next;
			if (!g->sessions && !g->nsocks && !g->alloc.live)
				seg_free(g);
		}
	}
}

int sockserv_open(struct sockserv **out, const struct sockserv_config *cfg)
{
	struct sockserv *ss = calloc(1, sizeof(*ss));
	struct sockaddr_un sa;
	struct epoll_event ev = { .events = EPOLLIN };
	struct rlimit rl;
	int err;

	if (!ss)
		return -ENOMEM;
	ss->kind = SS_LISTENER;
	ss->lfd = -1;
	ss->socks = cfg->socks;
	ss->seg_size = cfg->seg_size ? cfg->seg_size : AX_IPC_SEG_SIZE;
	ss->ep = epoll_create1(EPOLL_CLOEXEC);
	if (ss->ep < 0) {
		err = -errno;
		goto fail;
	}
	err = instance_sockaddr(cfg->path, &sa);
	if (err)
		goto fail;
	snprintf(ss->path, sizeof(ss->path), "%s", cfg->path);
	/* One eventfd per socket: programs with many sockets need the
	 * daemon's descriptor limit raised to what it may be. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	ss->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ss->lfd < 0) {
		err = -errno;
		goto fail;
	}
	unlink(cfg->path);
	if (bind(ss->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(cfg->path, 0666) < 0 || listen(ss->lfd, SS_LISTEN_BACKLOG) < 0) {
		err = -errno;
		goto fail;
	}
	ev.data.ptr = ss;
	if (epoll_ctl(ss->ep, EPOLL_CTL_ADD, ss->lfd, &ev) < 0) {
		err = -errno;
		goto fail;
	}
	*out = ss;
	return 0;
fail:
	sockserv_close(ss);
	return err;
}

void sockserv_close(struct sockserv *ss)
{
	struct ss_seg *g, *gn;

	if (!ss)
		return;
	while (ss->sessions)
		sess_end(ss->sessions);
	sockserv_flush(ss);
	if (ss->lfd >= 0) {
		close(ss->lfd);
		unlink(ss->path);
	}
	for (g = ss->segs; g; g = gn) {
		gn = g->next;
		if (!g->alloc.live)
			seg_free(g);
	}
	if (ss->ep >= 0)
		close(ss->ep);
	ss->ep = -1;
	if (!ss->segs) {
		free(ss);
		return;
	}
	/* Connections that linger (FIN_WAIT, TIME_WAIT) hold rings in
	 * these segments: the engine frees them when the socket layer and
	 * the stack stop, and the last free frees us (mem_free). */
	ss->closing = 1;
}

void sockserv_stats(const struct sockserv *ss,
		    void (*fn)(void *arg, const char *name, uint64_t value), void *arg)
{
	if (!ss)
		return;
	fn(arg, "sockserv.sessions", ss->st.sessions);
	fn(arg, "sockserv.sessions_total", ss->st.sessions_total);
	fn(arg, "sockserv.segments", ss->st.segments);
	fn(arg, "sockserv.sockets", ss->st.sockets);
	fn(arg, "sockserv.ring_bytes", ss->st.ring_bytes);
	fn(arg, "sockserv.requests", ss->st.requests);
	fn(arg, "sockserv.kicks", ss->st.kicks);
	fn(arg, "sockserv.doorbells", ss->st.doorbells);
	fn(arg, "sockserv.wakeups", ss->st.wakeups);
	fn(arg, "sockserv.bad_msg", ss->st.bad_msg);
	fn(arg, "sockserv.bad_index", ss->st.bad_index);
	fn(arg, "sockserv.no_memory", ss->st.no_memory);
}
