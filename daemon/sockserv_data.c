/*
 * sockserv_data.c - the data half of the server for programs (see
 * sockserv.h, sockserv_priv.h): sockets and their rings in the program's
 * segment, what the program moved (loaded once, checked against the
 * engine's own heads and lengths: nonsense aborts that connection), what
 * the engine did (published in the slot), and the wake-ups both ways.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "daemon/ipc_decode.h"
#include "daemon/sockserv_priv.h"
#include "net/opt.h"
#include "net/tcp.h"
#include "sock/sock.h"
#include "util/log.h"

static const uint32_t ready_dead = EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP;

/* A program that misbehaves may try to fill the log: a few lines a
 * second, the counters say the rest. */
int ss_log_ok(struct sockserv *ss)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if ((uint64_t)ts.tv_sec != ss->log_sec) {
		ss->log_sec = (uint64_t)ts.tv_sec;
		ss->log_n = 0;
	}
	return ss->log_n++ < 10;
}


static struct axipc_slot *slot_of(struct ss_sock *s)
{
	return &s->seg->slots[s->id];
}

void ss_mark_dirty(struct ss_sock *s, uint32_t events)
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
	int64_t off;

	(void)pcb;
	(void)is_rcv;
	/* Every ring a socket shows is one of these blocks. */
	if (ringown_reserve(&g->own, (uint64_t)g->alloc.live + 1) < 0) {
		g->ss->st.no_memory++;
		return NULL;
	}
	off = segalloc_alloc(&g->alloc, size);
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
	struct ss_sock *s = ringown_get(&g->own, off);

	(void)pcb;
	(void)is_rcv;
	if (s) {
		/* The connection is gone under an open socket (reset, timed
		 * out): its rings go; the slot says so. */
		ringown_del(&g->own, off);
		if (s->rx_buf == mem)
			s->rx_buf = NULL;
		if (s->tx_buf == mem)
			s->tx_buf = NULL;
		ss_mark_dirty(s, 0);
	}
	if (segalloc_free(&g->alloc, off, size) == 0)
		g->ss->st.ring_bytes -= segalloc_size(size);
	g->ss->reap = 1;
	if (g->ss->closing && !g->alloc.live) {
		/* The daemon stops: this lingering connection was the
		 * last user of its segment (and maybe of the server). */
		struct sockserv *ss = g->ss;

		ss_seg_free(g);
		if (!ss->segs)
			free(ss);
	}
}

const struct tcp_mem_ops ss_mem_ops = { .alloc = mem_alloc, .free = mem_free };

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
	ss_mark_dirty(arg, events);
}

static void forget_ring(struct ss_sock *s, const uint8_t *buf, uint32_t size)
{
	uint64_t off;

	if (buf && ring_off(s->seg, buf, size, &off) == 0 && ringown_get(&s->seg->own, off) == s)
		ringown_del(&s->seg->own, off);
}

/* Stop serving a socket's data: the connection is reset (SO_LINGER
 * {1,0} and close: RST, as the kernel's abort), the program sees
 * ECONNRESET (SO_ERROR), then answers as a reset socket (dead_reply). */
static void sock_abort(struct ss_sock *s, const char *why)
{
	struct sockserv *ss = s->seg->ss;
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	ss->st.bad_index++;
	if (ss_log_ok(ss))
		log_info("sockserv: socket %u of pid %u aborted: %s", s->id,
			 s->seg->creds ? s->seg->creds->c.pid : 0, why);
	if (!s->so)
		return;
	{
		struct sockaddr_storage sa;
		socklen_t len = sizeof(sa);

		if (sock_getsockname(s->so, (struct sockaddr *)&sa, &len) == 0 &&
		    len <= AXIPC_SOCKADDR_MAX) {
			s->local.len = len;
			memcpy(s->local.addr, &sa, len);
		}
	}
	sock_set_event(s->so, NULL, NULL);
	if (s->type == SOCK_STREAM)
		(void)sock_setsockopt(s->so, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	/* Its rings are no longer the program's to see (the engine frees
	 * them when the reset connection goes). */
	forget_ring(s, s->rx_buf, s->rx_size);
	if (s->type == SOCK_STREAM)
		forget_ring(s, s->tx_buf, s->tx_size);
	s->rx_buf = s->tx_buf = NULL;
	sock_close(s->so);
	s->so = NULL;
	s->err = -ECONNRESET;
	ss_mark_dirty(s, EPOLLERR | EPOLLHUP);
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
	/* Room was reserved when the engine allocated them (mem_alloc). */
	if (ringown_set(&g->own, roff, s) < 0 || ringown_set(&g->own, toff, s) < 0) {
		ringown_del(&g->own, roff);
		return -EINVAL;
	}
	s->rx_buf = rv.buf;
	s->rx_size = rv.size;
	s->tx_buf = tv.buf;
	s->tx_size = tv.size;
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
	if (ringown_set(&g->own, roff, s) < 0)
		return -EINVAL;
	s->rx_buf = rv.buf;
	s->rx_size = rv.size;
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
		/* -EPIPE/-ENOTCONN: written after shutdown or a reset; the
		 * bytes are not taken (the library says EPIPE itself, as
		 * send() does, not a pending SO_ERROR). */
	}
	ss_mark_dirty(s, 0);
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

/* The records written before a SHUT_WR (do_shutdown) have all gone:
 * it applies, and those after it are refused (EPIPE). */
static void shut_wr_due(struct ss_sock *s)
{
	if (s->tx_shut_wr && s->so && s->tx_cons == s->tx_shut_at) {
		s->tx_shut_wr = 0;
		sock_shutdown(s->so, SHUT_WR);
	}
}

/* Send the datagrams the program put in its tx ring, in order, until the
 * socket layer says wait (-EAGAIN: retried on EPOLLOUT). A failed send
 * takes its record and leaves its error for the program (SO_ERROR), as a
 * kernel's asynchronous UDP error. */
static void udp_take_tx(struct ss_sock *s)
{
	struct axipc_slot *sl = slot_of(s);
	uint32_t prod, start;

	if (!s->tx_buf)
		return;
	prod = LD(&sl->tx_ring.prod);
	if (prod - s->tx_cons > s->tx_size) {
		sock_abort(s, "tx producer index past the ring");
		return;
	}
	start = s->tx_cons;
	while (s->so && s->tx_cons != prod) {
		shut_wr_due(s);
		struct axipc_dgram d;
		struct sockaddr_in sin;
		struct sockaddr_in6 sin6;
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
		} else if (d.family == AF_INET6) {
			/* The library checked it (libaxnet/io.c dgram_dest): a
			 * link-local destination is on our one link. */
			memset(&sin6, 0, sizeof(sin6));
			sin6.sin6_family = AF_INET6;
			sin6.sin6_port = d.port;
			memcpy(&sin6.sin6_addr, d.addr, 16);
			if (IN6_IS_ADDR_LINKLOCAL(&sin6.sin6_addr))
				sin6.sin6_scope_id = sock_ifindex(s->so);
			rc = sock_send(s->so, s->tx_buf + payload, d.len, MSG_DONTWAIT | MSG_NOSIGNAL,
				       (const struct sockaddr *)&sin6, sizeof(sin6));
		} else if (d.family == AF_UNSPEC) {
			rc = sock_send(s->so, s->tx_buf + payload, d.len, MSG_DONTWAIT | MSG_NOSIGNAL,
				       NULL, 0);
		} else {
			rc = -EAFNOSUPPORT;
		}
		if (rc == -EAGAIN || rc == -ENOBUFS) {
			/* Held (its flow's authorization is committing; or
			 * -ENOBUFS: the device is full, or the neighbour is
			 * being resolved and its queue holds AX_ARP_QUEUE_PER_
			 * ENTRY frames already, where Linux would queue it and
			 * send() succeed): the record stays in the ring, the
			 * program's ring fills (its sends wait as on a full
			 * socket buffer), and it is retried next round. */
			if (!s->tx_blocked) {
				s->tx_blocked = 1;
				s->blocked_next = s->seg->ss->blocked;
				s->seg->ss->blocked = s;
			}
			break;
		}
		if (rc < 0) {
			s->err = (int)rc;
			ss_mark_dirty(s, EPOLLERR);
		}
		s->tx_cons += (uint32_t)n;
	}
	ST(&sl->tx_ring.cons, s->tx_cons);
	shut_wr_due(s);
	/* Room in the ring: a program waiting to send is woken. */
	ss_mark_dirty(s, s->tx_cons != start ? EPOLLOUT : 0);
}

/* Everything the program may have moved on this socket (a kick, or a
 * request about it). */
void ss_sock_take(struct ss_sock *s)
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
void ss_sock_publish(struct ss_sock *s)
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
	/* The hint names the socket's own pending error too (libaxnet's recv
	 * tells a RST in CLOSE_WAIT, EPIPE, by it). */
	__atomic_store_n(&sl->so_error, s->err ? s->err : s->so ? sock_error_peek(s->so) : 0,
			 __ATOMIC_RELAXED);
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
struct ss_sock *ss_sock_new(struct ss_seg *g, struct sock *so, int type, int *err)
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
		/* The daemon's table, not the program's, is full. */
		*err = errno == EMFILE ? -ENFILE : -errno;
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
	ss_mark_dirty(s, 0);
	return s;
}

/* The last reference went: close as the kernel closes a socket whose
 * last descriptor goes (what the program wrote goes out first; what it
 * left unread makes it a reset). */
static void sock_release(struct ss_sock *s)
{
	struct ss_seg *g = s->seg;
	struct sockserv *ss = g->ss;
	struct axipc_slot *sl = slot_of(s);

	if (s->so)
		ss_sock_take(s);
	/* Rings the engine or the socket layer made are theirs to free
	 * (a lingering connection keeps them): they are no longer ours. */
	forget_ring(s, s->rx_buf, s->rx_size);
	if (s->type == SOCK_STREAM)
		forget_ring(s, s->tx_buf, s->tx_size);
	if (s->so) {
		sock_set_event(s->so, NULL, NULL);
		sock_close(s->so);
		s->so = NULL;
	}
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
	ss_acct_sock_put(ss, s->acct);
	s->acct = NULL;
	s->released = 1;
	/* Freed at the end of the round; one on the dirty list gets to the
	 * dead list from there. */
	if (!s->dirty) {
		s->dirty_next = ss->dead;
		ss->dead = s;
	}
	ss->reap = 1;
}

void ss_sock_unref(struct ss_sock *s)
{
	if (--s->refs == 0)
		sock_release(s);
}

/* Everything kicked since the last look: each socket's rings taken once
 * (the kick set deduplicates). */
int ss_seg_kicks(struct ss_seg *g)
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
					ss_sock_take(s);
				}
			}
		}
	}
	return found;
}

int ss_seg_pending(const struct ss_seg *g)
{
	unsigned i;

	for (i = 0; i < AXIPC_KICK_SUM_WORDS; i++)
		if (__atomic_load_n(&g->hdr->kick_sum[i], __ATOMIC_RELAXED))
			return 1;
	return 0;
}

void ss_retry_blocked(struct sockserv *ss)
{
	struct ss_sock *s = ss->blocked, *next;

	ss->blocked = NULL;
	for (; s; s = next) {
		next = s->blocked_next;
		s->tx_blocked = 0;
		/* A socket released this round is still here: freed after. */
		if (!s->released && s->so)
			udp_take_tx(s);
	}
}
