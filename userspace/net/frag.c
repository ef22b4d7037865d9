/*
 * frag.c - see frag.h.
 */
#include "frag.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "csum.h"
#include "proto.h"
#include "stack.h"

enum { Q_FREE = 0, Q_LIVE, Q_DEAD };

#define FRAG_PROTO_TCP 6
#define FRAG_PROTO_UDP 17
#define FRAG_PROTO_ICMP 1
#define FRAG_PROTO_ICMPV6 58

void frag_init(struct frag_table *t)
{
	unsigned int i;

	memset(t->q, 0, sizeof(t->q));
	for (i = 0; i < AX_FRAG_QUEUES; i++)
		t->q[i].buf = -1;
	for (i = 0; i < AX_FRAG_BUFS; i++)
		t->free_bufs[i] = (int16_t)(AX_FRAG_BUFS - 1 - i);
	t->nfree = AX_FRAG_BUFS;
	t->used = 0;
	t->tx_id6 = 0;
	/* The secret of the IPv6 identifications (frag_out.c). Without
	 * getrandom (never on Linux >= 3.17) the clock is a poor stand-in. */
	if (getrandom(t->id_key, sizeof(t->id_key), 0) != sizeof(t->id_key)) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		t->id_key[0] = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull;
		t->id_key[1] = (uint64_t)ts.tv_sec ^ (uint64_t)(uintptr_t)t;
	}
	t->tx_id6 = (uint32_t)t->id_key[1];
}

unsigned int frag_bufs_used(const struct ax_stack *s)
{
	return s->frag.used;
}

/* One source for the pool's share: an IPv4 address, an IPv6 /64 (one
 * host picks any address of its /64 at will, RFC 4941). */
static int same_source(const struct frag_queue *q, const struct ip_addr *src,
		       uint8_t family)
{
	if (q->family != family)
		return 0;
	return memcmp(q->src.b, src->b, family == 4 ? 16 : 8) == 0;
}

static void release_buf(struct frag_table *t, struct frag_queue *q)
{
	if (q->buf < 0)
		return;
	t->free_bufs[t->nfree++] = q->buf;
	t->used--;
	q->buf = -1;
}

static void queue_free(struct frag_table *t, struct frag_queue *q)
{
	release_buf(t, q);
	q->state = Q_FREE;
}

/* RFC 5722: the datagram is dropped, and the fragments of it still to
 * come: the queue keeps its key, without a buffer, until its deadline. */
static void queue_kill(struct ax_stack *s, struct frag_queue *q, enum ax_counter c)
{
	stack_count(s, c);
	release_buf(&s->frag, q);
	q->state = Q_DEAD;
}

/*
 * RFC 792 (time exceeded, code 1) and RFC 8200 4.5: a reassembly that
 * times out with its first fragment held is reported to the source,
 * quoting that fragment as it came (IPv6: its fragment header put back,
 * in the transmit scratch buffer); without the first fragment, nothing
 * (there is no L4 header to tell the sender which flow). ip_send_error
 * applies the rules and the rate limit.
 */
static void send_timeout(struct ax_stack *s, struct frag_queue *q)
{
	uint8_t *data = s->frag.bufs[q->buf] + AX_FRAG_HDR_MAX;
	struct ip_rx rx;
	size_t first = q->frags[0].end;

	memset(&rx, 0, sizeof(rx));
	rx.src = q->src;
	rx.dst = q->dst;
	rx.family = q->family;
	rx.proto = q->proto;
	rx.l2_mcast = q->l2_mcast;
	rx.reassembled = 1; /* a first fragment: never "a later one" */
	if (q->family == 4) {
		rx.net = data - q->hdr_len;
		rx.net_len = q->hdr_len + first;
		rx.ttl = rx.net[8];
	} else {
		uint8_t *b = s->frag.txbuf, *fh = b + q->hdr_len;

		if (first > 1232)
			first = 1232; /* the quote is cut at the minimum MTU */
		memcpy(b, data - q->hdr_len, q->hdr_len);
		b[q->nh_off] = 44;
		fh[0] = q->proto;
		fh[1] = 0;
		fh[2] = 0;
		fh[3] = 1; /* offset 0, M */
		fh[4] = (uint8_t)(q->id >> 24);
		fh[5] = (uint8_t)(q->id >> 16);
		fh[6] = (uint8_t)(q->id >> 8);
		fh[7] = (uint8_t)q->id;
		memcpy(fh + 8, data, first);
		rx.net = b;
		rx.net_len = q->hdr_len + 8 + first;
		rx.ttl = b[7];
	}
	rx.l4 = rx.net + rx.net_len - first;
	rx.l4_len = first;
	ip_send_error(s, &rx, IP_ERR_REASM_TIMEOUT, 0);
}

static void expire(struct ax_stack *s)
{
	unsigned int i;

	for (i = 0; i < AX_FRAG_QUEUES; i++) {
		struct frag_queue *q = &s->frag.q[i];

		if (q->state == Q_FREE || s->now_ns < q->deadline_ns)
			continue;
		if (q->state == Q_LIVE) {
			stack_count(s, AX_C_frag_timeout);
			if (q->have_first)
				send_timeout(s, q);
		}
		queue_free(&s->frag, q);
	}
}

void frag_timers(struct ax_stack *s)
{
	expire(s);
}

uint64_t frag_next_deadline(const struct ax_stack *s)
{
	uint64_t next = UINT64_MAX;
	unsigned int i;

	for (i = 0; i < AX_FRAG_QUEUES; i++)
		if (s->frag.q[i].state != Q_FREE && s->frag.q[i].deadline_ns < next)
			next = s->frag.q[i].deadline_ns;
	return next;
}

static struct frag_queue *find(struct frag_table *t, const struct frag_in *f)
{
	unsigned int i;

	for (i = 0; i < AX_FRAG_QUEUES; i++) {
		struct frag_queue *q = &t->q[i];

		/* RFC 791 3.2: source, destination, protocol and
		 * identification; RFC 8200 4.5: source, destination and
		 * identification. */
		if (q->state != Q_FREE && q->id == f->id && q->family == f->family &&
		    (f->family == 6 || q->proto == f->proto) &&
		    ip_addr_eq(&q->src, &f->src) && ip_addr_eq(&q->dst, &f->dst))
			return q;
	}
	return NULL;
}

/* The oldest live reassembly holding a buffer, of src's source when src
 * is not NULL. */
static struct frag_queue *oldest_live(struct frag_table *t, const struct ip_addr *src,
				      uint8_t family)
{
	struct frag_queue *best = NULL;
	unsigned int i;

	for (i = 0; i < AX_FRAG_QUEUES; i++) {
		struct frag_queue *q = &t->q[i];

		if (q->state != Q_LIVE || q->buf < 0)
			continue;
		if (src && !same_source(q, src, family))
			continue;
		if (!best || q->born_ns < best->born_ns)
			best = q;
	}
	return best;
}

static unsigned int source_bufs(const struct frag_table *t, const struct ip_addr *src,
				uint8_t family)
{
	unsigned int i, n = 0;

	for (i = 0; i < AX_FRAG_QUEUES; i++)
		if (t->q[i].buf >= 0 && same_source(&t->q[i], src, family))
			n++;
	return n;
}

static void evict(struct ax_stack *s, struct frag_queue *q)
{
	stack_count(s, AX_C_frag_evicted);
	queue_free(&s->frag, q);
}

/* Make room for a new reassembly from f's source: a buffer, within the
 * source's share, and a queue. Never fails: something can always go. */
static struct frag_queue *queue_new(struct ax_stack *s, const struct frag_in *f)
{
	struct frag_table *t = &s->frag;
	struct frag_queue *q = NULL, *v;
	unsigned int i;

	if (source_bufs(t, &f->src, f->family) >= AX_FRAG_PER_SRC) {
		/* Over its share: the source competes with itself only. */
		v = oldest_live(t, &f->src, f->family);
		if (v)
			evict(s, v);
	}
	if (t->nfree == 0) {
		/* The pool is full of sources within their share: the one
		 * holding most gives its oldest. */
		unsigned int most = 0;
		struct frag_queue *holder = NULL;

		for (i = 0; i < AX_FRAG_QUEUES; i++) {
			unsigned int n;

			if (t->q[i].state != Q_LIVE || t->q[i].buf < 0)
				continue;
			n = source_bufs(t, &t->q[i].src, t->q[i].family);
			if (n > most || (n == most && holder &&
					 t->q[i].born_ns < holder->born_ns)) {
				most = n;
				holder = &t->q[i];
			}
		}
		v = holder ? oldest_live(t, &holder->src, holder->family) : NULL;
		if (v)
			evict(s, v);
	}
	for (i = 0; i < AX_FRAG_QUEUES; i++) {
		if (t->q[i].state == Q_FREE) {
			q = &t->q[i];
			break;
		}
		/* Else the oldest dead one: its late fragments start a
		 * reassembly that times out, at worst. */
		if (t->q[i].state == Q_DEAD && (!q || t->q[i].born_ns < q->born_ns))
			q = &t->q[i];
	}
	if (!q) {
		/* Every queue live: as many buffers as queues is impossible
		 * (AX_FRAG_QUEUES > AX_FRAG_BUFS), but stay safe. */
		q = oldest_live(t, NULL, 0);
		if (!q)
			return NULL;
		evict(s, q);
	}
	if (t->nfree == 0)
		return NULL;
	memset(q, 0, sizeof(*q));
	q->src = f->src;
	q->dst = f->dst;
	q->id = f->id;
	q->family = f->family;
	q->proto = f->proto;
	q->state = Q_LIVE;
	q->born_ns = s->now_ns;
	q->deadline_ns = s->now_ns + 1000000ull * (f->family == 4 ? AX_FRAG_TIMEOUT_V4_MS
								  : AX_FRAG_TIMEOUT_V6_MS);
	q->buf = t->free_bufs[--t->nfree];
	t->used++;
	if (t->used > s->cnt[AX_C_frag_bufs_peak])
		s->cnt[AX_C_frag_bufs_peak] = t->used;
	return q;
}

int frag_l4_ports(uint8_t proto, const uint8_t *l4, size_t len,
		  uint16_t *sport, uint16_t *dport, int *syn)
{
	*sport = *dport = 0;
	*syn = 0;
	switch (proto) {
	case FRAG_PROTO_TCP:
		if (len < 20)
			return -EINVAL;
		*syn = (l4[13] & 0x02) && !(l4[13] & 0x10);
		break;
	case FRAG_PROTO_UDP:
	case FRAG_PROTO_ICMP:
	case FRAG_PROTO_ICMPV6:
		if (len < 8)
			return -EINVAL;
		if (proto != FRAG_PROTO_UDP)
			return 0;
		break;
	default:
		return 0;
	}
	*sport = (uint16_t)(l4[0] << 8 | l4[1]);
	*dport = (uint16_t)(l4[2] << 8 | l4[3]);
	return 0;
}

/*
 * The L4 header of a fragmentable part p/len whose first header is proto:
 * for IPv6, past the extension headers that may follow a fragment header
 * (hop-by-hop and routing may not, RFC 8200 4.1, but their format is the
 * same, so they are walked too rather than trusted). -EINVAL when the
 * chain or the L4 header is cut (RFC 7112 5: the first fragment must
 * hold the whole chain and the upper-layer header).
 */
static int l4_locate(uint8_t family, uint8_t proto, const uint8_t *p, size_t len,
		     uint8_t *l4proto, size_t *off)
{
	size_t o = 0;
	unsigned int n;
	uint16_t sp, dp;
	int syn;

	for (n = 0; family == 6 && n < 8 &&
		    (proto == 0 || proto == 43 || proto == 60); n++) {
		size_t hl;

		if (len - o < 8)
			return -EINVAL;
		hl = ((size_t)p[o + 1] + 1) * 8;
		if (hl > len - o)
			return -EINVAL;
		proto = p[o];
		o += hl;
	}
	if (family == 6 && (proto == 0 || proto == 43 || proto == 60))
		return -EINVAL;
	*l4proto = proto;
	*off = o;
	return frag_l4_ports(proto, p + o, len - o, &sp, &dp, &syn);
}

static void frags_insert(struct frag_queue *q, uint32_t start, uint32_t end)
{
	unsigned int i = q->nfrags;

	while (i > 0 && q->frags[i - 1].start > start) {
		q->frags[i] = q->frags[i - 1];
		i--;
	}
	q->frags[i].start = start;
	q->frags[i].end = end;
	q->nfrags++;
}

/* The datagram is whole: rebuild its header in front of the data. */
static int rebuild(struct ax_stack *s, struct frag_queue *q, struct ip_rx *rx)
{
	uint8_t *data = s->frag.bufs[q->buf] + AX_FRAG_HDR_MAX;
	uint8_t *p = data - q->hdr_len;
	uint8_t l4proto;
	uint16_t sport, dport;
	size_t off;
	int syn;

	if (q->family == 4) {
		uint16_t v;

		if (q->hdr_len + q->total > 65535u)
			goto oversize;
		v = htons((uint16_t)(q->hdr_len + q->total));
		memcpy(p + 2, &v, 2);
		p[6] = p[7] = 0; /* flags and offset: one datagram now */
		p[10] = p[11] = 0;
		v = csum_fold(csum_partial(p, q->hdr_len, 0));
		memcpy(p + 10, &v, 2);
		rx->ttl = p[8];
	} else {
		uint16_t v;

		if (q->hdr_len - 40u + q->total > 65535u)
			goto oversize;
		v = htons((uint16_t)(q->hdr_len - 40u + q->total));
		memcpy(p + 4, &v, 2);
		p[q->nh_off] = q->proto; /* the fragment header is gone */
		rx->ttl = p[7];
	}
	rx->src = q->src;
	rx->dst = q->dst;
	rx->net = p;
	rx->net_len = q->hdr_len + q->total;
	rx->l4 = data;
	rx->l4_len = q->total;
	rx->family = q->family;
	rx->proto = q->proto;
	rx->l2_mcast = q->l2_mcast;
	rx->reassembled = 1;
	/* The first fragment's check found a whole L4 header. The filter is
	 * asked about that upper-layer protocol and header, not about an
	 * extension header that may follow the fragment header (RFC 8200
	 * 4.1: destination options): the ports it gets are that protocol's. */
	if (l4_locate(q->family, q->proto, data, q->total, &l4proto, &off) == 0 &&
	    frag_l4_ports(l4proto, data + off, q->total - off, &sport, &dport, &syn) == 0 &&
	    s->l4_filter) {
		struct ip_rx fr = *rx;

		fr.proto = l4proto;
		fr.l4 = data + off;
		fr.l4_len = q->total - off;
		if (!s->l4_filter(s->l4_filter_arg, &fr, sport, dport, syn)) {
			stack_count(s, AX_C_frag_filtered);
			queue_free(&s->frag, q);
			return 0;
		}
	}
	stack_count(s, AX_C_frag_reassembled);
	/* The buffer stays as it is until the next frag_input(). */
	queue_free(&s->frag, q);
	return 1;

oversize:
	queue_kill(s, q, AX_C_frag_oversize);
	return 0;
}

int frag_input(struct ax_stack *s, const struct frag_in *f, struct ip_rx *rx)
{
	struct frag_queue *q;
	uint32_t start = f->offset, end;
	size_t limit;
	unsigned int i;
	uint8_t *data;

	stack_count(s, AX_C_frag_rx);
	expire(s);
	/* RFC 8200 4.5 (and RFC 791's 8-octet units): every fragment but the
	 * last carries a multiple of 8 bytes; an empty one carries nothing. */
	if (f->len == 0 || (f->more && f->len % 8) || f->hdr_len > AX_FRAG_HDR_MAX ||
	    (f->family == 4 && f->hdr_len < 20) ||
	    (f->family == 6 && (f->hdr_len < 40 || f->nh_off >= f->hdr_len)) ||
	    f->offset > 65535u) {
		stack_count(s, AX_C_frag_malformed);
		return 0;
	}
	end = start + (uint32_t)f->len;
	q = find(&s->frag, f);
	if (q && q->state == Q_DEAD) {
		stack_count(s, AX_C_frag_dead);
		return 0;
	}
	/* RFC 791: total length at most 65535; RFC 8200 4.5: a payload
	 * length over 65535 discards the fragment (the ping of death). */
	limit = f->family == 4 ? 65535u - f->hdr_len : 65535u - (f->hdr_len - 40u);
	if (end > limit) {
		if (q)
			queue_kill(s, q, AX_C_frag_oversize);
		else
			stack_count(s, AX_C_frag_oversize);
		return 0;
	}
	if (!q) {
		q = queue_new(s, f);
		if (!q)
			return 0;
	}
	/* The last fragment fixes the length; no fragment may end past it,
	 * a second last one must agree (Linux's ip_frag_queue: corrupt). */
	if (q->have_last && (end > q->total || (!f->more && end != q->total))) {
		queue_kill(s, q, AX_C_frag_overlap);
		return 0;
	}
	if (!f->more && q->nfrags && q->frags[q->nfrags - 1].end > end) {
		queue_kill(s, q, AX_C_frag_overlap);
		return 0;
	}
	data = s->frag.bufs[q->buf] + AX_FRAG_HDR_MAX;
	for (i = 0; i < q->nfrags; i++) {
		if (start >= q->frags[i].end || q->frags[i].start >= end)
			continue;
		/* RFC 5722 4: an exact duplicate may be dropped alone. */
		if (start == q->frags[i].start && end == q->frags[i].end &&
		    memcmp(data + start, f->data, f->len) == 0) {
			stack_count(s, AX_C_frag_duplicate);
			return 0;
		}
		queue_kill(s, q, AX_C_frag_overlap);
		return 0;
	}
	if (q->nfrags >= AX_FRAG_MAX_FRAGS) {
		queue_kill(s, q, AX_C_frag_too_many);
		return 0;
	}
	if (start == 0) {
		uint8_t l4proto;
		size_t off;

		if (l4_locate(f->family, f->proto, f->data, f->len, &l4proto, &off)) {
			queue_kill(s, q, AX_C_frag_tiny);
			return 0;
		}
		memcpy(data - f->hdr_len, f->hdr, f->hdr_len);
		q->hdr_len = (uint16_t)f->hdr_len;
		q->nh_off = (uint16_t)f->nh_off;
		q->have_first = 1;
	}
	if (!f->more) {
		q->have_last = 1;
		q->total = end;
	}
	q->l2_mcast |= f->l2_mcast;
	memcpy(data + start, f->data, f->len);
	frags_insert(q, start, end);
	q->have += (uint32_t)f->len;
	if (!q->have_first || !q->have_last || q->have != q->total)
		return 0;
	return rebuild(s, q, rx);
}
