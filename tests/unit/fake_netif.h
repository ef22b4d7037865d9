/*
 * fake_netif.h - a struct ax_netif that records what the engine sends, a
 * test host around it, and builders for the frames tests feed the engine
 * (the lwIP test/unit/tcp/tcp_helper.h pattern). Header-only: each test
 * program, and the fuzz target, is one translation unit.
 *
 * The TX buffer is a heap block of exactly the advertised capacity, so
 * ASan catches the engine writing past what tx_begin promised. Captured
 * frames are copies; the fake also counts breaches of the netif.h contract
 * (commit without begin, commit longer than the buffer).
 *
 * Builders write into a caller's buffer and return the bytes written.
 * Addresses are in network order, ICMP id/seq in host order. They compute
 * checksums with their own plain RFC 1071 loop, not with the engine's
 * csum.c, so that a test does not check the engine against itself.
 */
#ifndef FAKE_NETIF_H
#define FAKE_NETIF_H

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "netif.h"
#include "net/opt.h"
#include "net/proto.h"
#include "net/stack.h"
#include "net/tcp_priv.h"

#define FAKE_IP(a, b, c, d)                                        \
	htonl(((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) |      \
	      ((uint32_t)(c) << 8) | (uint32_t)(d))

/* A pointer to the mapped form of an IPv4 address (network order), for
 * the engine's calls that take struct ip_addr (valid in its block). */
#define FAKE_V4(be) (&(struct ip_addr[1]){ ip_addr_v4(be) }[0])

/* The host under test and its neighbours (locally administered MACs). */
#define FAKE_OUR_MAC ((const uint8_t[6]){ 0x02, 0, 0, 0, 0, 0x01 })
#define FAKE_PEER_MAC ((const uint8_t[6]){ 0x02, 0, 0, 0, 0, 0x02 })
#define FAKE_OTHER_MAC ((const uint8_t[6]){ 0x02, 0, 0, 0, 0, 0x03 })
#define FAKE_GW_MAC ((const uint8_t[6]){ 0x02, 0, 0, 0, 0, 0xfe })
#define FAKE_BCAST_MAC ((const uint8_t[6]){ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff })
#define FAKE_ZERO_MAC ((const uint8_t[6]){ 0, 0, 0, 0, 0, 0 })
#define FAKE_OUR_IP FAKE_IP(10, 0, 0, 1)
#define FAKE_PEER_IP FAKE_IP(10, 0, 0, 2)
#define FAKE_OTHER_IP FAKE_IP(10, 0, 0, 3)
#define FAKE_GW_IP FAKE_IP(10, 0, 0, 254)
#define FAKE_SUBNET_BCAST FAKE_IP(10, 0, 0, 255)
#define FAKE_PREFIX 24

#define FAKE_MAX_FRAMES 128
#define MS_TO_NS(ms) ((uint64_t)(ms) * 1000000ull)

struct fake_frame {
	size_t len;
	uint8_t data[AX_FRAME_MAX];
};

struct fake_netif {
	struct ax_netif netif;
	/* Behaviour, set by the test. */
	size_t cap;           /* capacity tx_begin reports (default AX_FRAME_MAX) */
	int no_buffers;       /* tx_begin returns NULL */
	int commit_err;       /* tx_commit returns this when not 0 */
	/* What happened. */
	unsigned int begins;  /* tx_begin calls, NULL returns included */
	unsigned int n;       /* frames committed; only the first
			       * FAKE_MAX_FRAMES are kept */
	unsigned int contract_errors;
	int open;             /* a buffer is between begin and commit */
	uint8_t *buf;         /* the TX buffer, exactly bufcap bytes */
	size_t bufcap;
	struct fake_frame frames[FAKE_MAX_FRAMES];
};

static inline uint8_t *fake_tx_begin(void *ctx, size_t *cap)
{
	struct fake_netif *f = ctx;

	f->begins++;
	if (f->no_buffers)
		return NULL;
	if (!f->buf || f->bufcap != f->cap) {
		free(f->buf);
		/* malloc(0) may return NULL: keep at least one byte. */
		f->buf = malloc(f->cap ? f->cap : 1);
		if (!f->buf)
			abort();
		f->bufcap = f->cap;
	}
	/* Poison: a field the engine forgets to write shows up as 0xa5. */
	memset(f->buf, 0xa5, f->bufcap);
	f->open = 1;
	*cap = f->bufcap;
	return f->buf;
}

static inline int fake_tx_commit(void *ctx, size_t len)
{
	struct fake_netif *f = ctx;

	if (!f->open || len > f->bufcap) {
		f->contract_errors++;
		return -EINVAL;
	}
	f->open = 0;
	if (f->commit_err)
		return f->commit_err;
	if (f->n < FAKE_MAX_FRAMES) {
		/* A test may set cap above AX_FRAME_MAX: keep what fits. */
		size_t keep = len < AX_FRAME_MAX ? len : AX_FRAME_MAX;

		f->frames[f->n].len = keep;
		memcpy(f->frames[f->n].data, f->buf, keep);
	}
	f->n++;
	return 0;
}

static inline void fake_netif_init(struct fake_netif *f, const uint8_t *mac)
{
	uint8_t *buf = f->buf;
	size_t bufcap = f->bufcap;

	/* Keep the heap buffer across re-inits of a static fake. */
	memset(f, 0, sizeof(*f));
	f->buf = buf;
	f->bufcap = bufcap;
	memcpy(f->netif.mac, mac, 6);
	f->netif.mtu = 1500;
	f->netif.ctx = f;
	f->netif.tx_begin = fake_tx_begin;
	f->netif.tx_commit = fake_tx_commit;
	f->cap = AX_FRAME_MAX;
}

/* Forget the captured frames (the configuration stays). */
static inline void fake_netif_clear(struct fake_netif *f)
{
	f->n = 0;
	f->begins = 0;
}

static inline const struct fake_frame *fake_frame(const struct fake_netif *f,
						  unsigned int i)
{
	return i < f->n && i < FAKE_MAX_FRAMES ? &f->frames[i] : NULL;
}

/* --- a host: the stack on a fake device ----------------------------------- */

struct fake_host {
	struct fake_netif nif;
	struct ax_stack s;
	uint64_t mark[AX_C_MAX]; /* counters at the last fake_mark() */
};

/* 10.0.0.1/24 with a default route via 10.0.0.254, at time 1 s. Returns
 * stack_init()'s result. */
static inline int fake_host_init(struct fake_host *h)
{
	int err;

	/* Expected conflicts and the like are not news in a test run. */
	ax_log_set_level(AX_LOG_ERROR);
	fake_netif_init(&h->nif, FAKE_OUR_MAC);
	err = stack_init(&h->s, &h->nif.netif, FAKE_OUR_IP, FAKE_PREFIX,
			 FAKE_GW_IP);
	stack_set_time(&h->s, MS_TO_NS(1000));
	memset(h->mark, 0, sizeof(h->mark));
	return err;
}

/* Start a new step: counters are checked against this point, and the
 * captured frames are forgotten. */
static inline void fake_mark(struct fake_host *h)
{
	memcpy(h->mark, h->s.cnt, sizeof(h->mark));
	fake_netif_clear(&h->nif);
}

/* Feed a frame from a heap copy of exactly len bytes, so that ASan sees
 * any read past its end. */
static inline void fake_rx(struct fake_host *h, const uint8_t *frame,
			   size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);

	if (!copy)
		abort();
	if (len)
		memcpy(copy, frame, len);
	stack_input(&h->s, copy, len);
	free(copy);
}

static inline void fake_advance(struct fake_host *h, uint64_t ms)
{
	stack_set_time(&h->s, h->s.now_ns + MS_TO_NS(ms));
	stack_timers(&h->s);
}

/*
 * Counter expectations: want lists {counter, delta} pairs ended by
 * {AX_C_MAX, 0}; every counter not listed must not have moved since the
 * mark. Prints each mismatch; returns 1 when all match.
 */
struct fake_cnt {
	enum ax_counter c;
	uint64_t delta;
};

static inline int fake_counters_match(const struct fake_host *h,
				      const struct fake_cnt *want,
				      const char *file, int line)
{
	int ok = 1;
	int c;

	for (c = 0; c < AX_C_MAX; c++) {
		uint64_t expect = 0, got = h->s.cnt[c] - h->mark[c];
		const struct fake_cnt *w;

		for (w = want; w->c != AX_C_MAX; w++)
			if ((int)w->c == c)
				expect = w->delta;
		if (got != expect) {
			printf("  %s:%d: counter %s moved by %llu, expected %llu\n",
			       file, line, ax_counter_name((enum ax_counter)c),
			       (unsigned long long)got,
			       (unsigned long long)expect);
			ok = 0;
		}
	}
	return ok;
}

/*
 * CHECK_CNT(h, { AX_C_eth_rx, 1 }, { AX_C_eth_malformed, 1 }): exactly
 * these counters moved, by exactly these amounts, since fake_mark(h).
 * CHECK_CNT(h) alone: nothing moved. Needs testlib.h.
 */
#define CHECK_CNT(h, ...)                                                   \
	testlib_check(fake_counters_match(                                  \
			      (h),                                          \
			      (const struct fake_cnt[]){ __VA_ARGS__        \
				      __VA_OPT__(, ){ AX_C_MAX, 0 } },      \
			      __FILE__, __LINE__),                          \
		      __FILE__, __LINE__, "counters == { " #__VA_ARGS__ " }")

/* --- ARP table invariants --------------------------------------------------- */

static inline unsigned int fake_arp_free_slots(const struct ax_stack *s)
{
	unsigned int n = 0;
	int16_t q;

	for (q = s->neigh.qfree; q >= 0 && n <= AX_ARP_QUEUE_SLOTS;
	     q = s->neigh.q[q].next)
		n++;
	return n;
}

/*
 * The cache and queue bookkeeping agree: every entry is on exactly one of
 * the hash chains or the free list, `used` counts the chained ones, and
 * every queue slot is either free or queued on exactly one entry. Returns
 * NULL, or what is wrong.
 */
static inline const char *fake_arp_invariants(const struct ax_stack *s)
{
	const struct neigh_table *t = &s->neigh;
	uint8_t seen_e[AX_ARP_ENTRIES] = { 0 };
	uint8_t seen_q[AX_ARP_QUEUE_SLOTS] = { 0 };
	unsigned int chained = 0, b, n;
	int16_t i, q;

	for (b = 0; b < AX_ARP_BUCKETS; b++) {
		for (i = t->bucket[b]; i >= 0; i = t->e[i].next) {
			const struct neigh_entry *e;

			if (i >= AX_ARP_ENTRIES || seen_e[i]++)
				return "entry chained twice (or loop)";
			e = &t->e[i];
			if (e->state == ARP_FREE)
				return "free entry on a hash chain";
			chained++;
			n = 0;
			for (q = e->qhead; q >= 0; q = t->q[q].next) {
				if (q >= AX_ARP_QUEUE_SLOTS || seen_q[q]++)
					return "queue slot used twice";
				n++;
			}
			if (n != e->nqueued)
				return "nqueued does not match the queue";
			if (n > AX_ARP_QUEUE_PER_ENTRY)
				return "per-entry queue limit exceeded";
			if (n && e->state != ARP_INCOMPLETE)
				return "frames queued on a resolved entry";
		}
	}
	if (chained != t->used)
		return "used does not match the chains";
	for (i = t->free_head; i >= 0; i = t->e[i].next) {
		if (i >= AX_ARP_ENTRIES || seen_e[i]++)
			return "entry both free and chained (or loop)";
		chained++;
	}
	if (chained != AX_ARP_ENTRIES)
		return "entries lost";
	for (q = t->qfree; q >= 0; q = t->q[q].next)
		if (q >= AX_ARP_QUEUE_SLOTS || seen_q[q]++)
			return "queue slot both free and queued (or loop)";
	for (n = 0; n < AX_ARP_QUEUE_SLOTS; n++)
		if (!seen_q[n])
			return "queue slot leaked";
	return NULL;
}

/* --- frame builders --------------------------------------------------------- */

/* RFC 1071, the textbook way: 16-bit big-endian words, end-around carry. */
static inline uint16_t fake_csum(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum; /* host order */
}

static inline void fake_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint16_t fake_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline size_t fake_eth(uint8_t *buf, const uint8_t *dst,
			      const uint8_t *src, uint16_t type)
{
	memcpy(buf, dst, 6);
	memcpy(buf + 6, src, 6);
	fake_put16(buf + 12, type);
	return ETH_HLEN_AX;
}

/* An Ethernet/IPv4 ARP packet in a frame from sha (to eth_dst); 42 bytes. */
static inline size_t fake_arp(uint8_t *buf, const uint8_t *eth_dst,
			      uint16_t op, const uint8_t *sha, uint32_t spa,
			      const uint8_t *tha, uint32_t tpa)
{
	uint8_t *a = buf + fake_eth(buf, eth_dst, sha, ETHTYPE_ARP);

	fake_put16(a + 0, ARP_HTYPE_ETHER);
	fake_put16(a + 2, ETHTYPE_IPV4);
	a[4] = 6;
	a[5] = 4;
	fake_put16(a + 6, op);
	memcpy(a + 8, sha, 6);
	memcpy(a + 14, &spa, 4);
	memcpy(a + 18, tha, 6);
	memcpy(a + 24, &tpa, 4);
	return ETH_HLEN_AX + 28;
}

/* Recompute the header checksum of the IPv4 header at p (IHL from p). */
static inline void fake_ipv4_fix_csum(uint8_t *p)
{
	size_t hlen = (size_t)(p[0] & 0x0f) * 4;

	p[10] = p[11] = 0;
	fake_put16(p + 10, fake_csum(p, hlen));
}

/*
 * An IPv4 header at p: no fragmentation, TTL 64, optlen bytes of options
 * (a multiple of 4, at most 40: NOPs ended by EOL), tot_len covering
 * payload_len bytes, correct checksum. Returns the header length.
 */
static inline size_t fake_ipv4(uint8_t *p, uint32_t src, uint32_t dst,
			       uint8_t proto, size_t optlen, size_t payload_len)
{
	size_t hlen = 20 + optlen;

	p[0] = (uint8_t)(0x40 | (hlen / 4));
	p[1] = 0;
	fake_put16(p + 2, (uint16_t)(hlen + payload_len));
	fake_put16(p + 4, 0x4242);
	fake_put16(p + 6, 0);
	p[8] = 64;
	p[9] = proto;
	memcpy(p + 12, &src, 4);
	memcpy(p + 16, &dst, 4);
	if (optlen) {
		memset(p + 20, 1, optlen); /* RFC 791: NOP */
		p[hlen - 1] = 0;           /* End of Option List */
	}
	fake_ipv4_fix_csum(p);
	return hlen;
}

/* An ICMP echo message (type 8 or 0) at p with a correct checksum. */
static inline size_t fake_icmp_echo(uint8_t *p, uint8_t type, uint16_t id,
				    uint16_t seq, const void *data,
				    size_t data_len)
{
	p[0] = type;
	p[1] = 0;
	p[2] = p[3] = 0;
	fake_put16(p + 4, id);
	fake_put16(p + 6, seq);
	if (data_len)
		memcpy(p + 8, data, data_len);
	fake_put16(p + 2, fake_csum(p, 8 + data_len));
	return 8 + data_len;
}

/* A whole echo frame from src_mac/src to dst_mac/dst, optlen bytes of IP
 * options. Returns the frame length. */
static inline size_t fake_echo_frame(uint8_t *buf, const uint8_t *dst_mac,
				     const uint8_t *src_mac, uint32_t src,
				     uint32_t dst, size_t optlen, uint8_t type,
				     uint16_t id, uint16_t seq,
				     const void *data, size_t data_len)
{
	uint8_t *ip = buf + fake_eth(buf, dst_mac, src_mac, ETHTYPE_IPV4);
	size_t hlen = fake_ipv4(ip, src, dst, IP_PROTO_ICMP, optlen,
				8 + data_len);

	fake_icmp_echo(ip + hlen, type, id, seq, data, data_len);
	return ETH_HLEN_AX + hlen + 8 + data_len;
}

/* The usual case: an echo request from the peer to us. */
static inline size_t fake_ping_frame(uint8_t *buf, uint16_t id, uint16_t seq,
				     const void *data, size_t data_len)
{
	return fake_echo_frame(buf, FAKE_OUR_MAC, FAKE_PEER_MAC, FAKE_PEER_IP,
			       FAKE_OUR_IP, 0, ICMP_ECHO_REQUEST, id, seq,
			       data, data_len);
}

/* Teach the host a neighbour the RFC 826 way (a request for our address)
 * and start a new step. */
static inline void fake_learn(struct fake_host *h, uint32_t ip,
			      const uint8_t *mac)
{
	uint8_t f[64];
	size_t n = fake_arp(f, FAKE_BCAST_MAC, ARP_OP_REQUEST, mac, ip,
			    FAKE_ZERO_MAC, FAKE_OUR_IP);

	fake_rx(h, f, n);
	fake_mark(h);
}

static inline uint32_t fake_get_ip(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* A captured IPv4/ICMP frame taken apart: numbers in host order, addresses
 * in network order, checksums verified with fake_csum(). */
struct fake_icmp_view {
	const uint8_t *eth_dst, *eth_src;
	uint16_t ethtype;
	uint8_t version, ihl, ttl, proto;
	uint16_t tot_len, ip_id, frag_off;
	uint32_t src, dst;
	int ip_csum_ok, icmp_csum_ok;
	uint8_t type, code;
	uint16_t id, seq;
	const uint8_t *data;
	size_t data_len;
};

/* 0, or -1 when the frame is too short for what its headers claim. */
static inline int fake_parse_icmp(const struct fake_frame *fr,
				  struct fake_icmp_view *v)
{
	const uint8_t *ip = fr->data + ETH_HLEN_AX, *icmp;
	size_t hlen;

	memset(v, 0, sizeof(*v));
	if (fr->len < ETH_HLEN_AX + 20)
		return -1;
	v->eth_dst = fr->data;
	v->eth_src = fr->data + 6;
	v->ethtype = fake_get16(fr->data + 12);
	v->version = ip[0] >> 4;
	v->ihl = ip[0] & 0x0f;
	hlen = (size_t)v->ihl * 4;
	v->tot_len = fake_get16(ip + 2);
	v->ip_id = fake_get16(ip + 4);
	v->frag_off = fake_get16(ip + 6);
	v->ttl = ip[8];
	v->proto = ip[9];
	v->src = fake_get_ip(ip + 12);
	v->dst = fake_get_ip(ip + 16);
	if (hlen < 20 || v->tot_len < hlen + 8 ||
	    (size_t)ETH_HLEN_AX + v->tot_len > fr->len)
		return -1;
	v->ip_csum_ok = fake_csum(ip, hlen) == 0;
	icmp = ip + hlen;
	v->icmp_csum_ok = fake_csum(icmp, v->tot_len - hlen) == 0;
	v->type = icmp[0];
	v->code = icmp[1];
	v->id = fake_get16(icmp + 4);
	v->seq = fake_get16(icmp + 6);
	v->data = icmp + 8;
	v->data_len = v->tot_len - hlen - 8;
	return 0;
}

/* A captured ARP frame taken apart, same conventions. */
struct fake_arp_view {
	const uint8_t *eth_dst, *eth_src;
	uint16_t ethtype, htype, ptype, op;
	uint8_t hlen, plen;
	const uint8_t *sha, *tha;
	uint32_t spa, tpa;
};

static inline int fake_parse_arp(const struct fake_frame *fr,
				 struct fake_arp_view *v)
{
	const uint8_t *a = fr->data + ETH_HLEN_AX;

	memset(v, 0, sizeof(*v));
	if (fr->len < ETH_HLEN_AX + 28)
		return -1;
	v->eth_dst = fr->data;
	v->eth_src = fr->data + 6;
	v->ethtype = fake_get16(fr->data + 12);
	v->htype = fake_get16(a);
	v->ptype = fake_get16(a + 2);
	v->hlen = a[4];
	v->plen = a[5];
	v->op = fake_get16(a + 6);
	v->sha = a + 8;
	v->spa = fake_get_ip(a + 14);
	v->tha = a + 18;
	v->tpa = fake_get_ip(a + 24);
	return 0;
}

/* --- neighbours that stay put ------------------------------------------------ */

/* Keep the resolved neighbour ip reachable for ever (confirmed, so never
 * probed), so that tests that
 * move the clock by minutes (RTO back-off, TIME_WAIT) need not account for
 * ARP expiry and re-resolution. Returns 0, or -1 when ip is not resolved. */
static inline int fake_pin_neighbour(struct fake_host *h, uint32_t ip)
{
	unsigned int i;

	for (i = 0; i < AX_ARP_ENTRIES; i++) {
		struct neigh_entry *e = &h->s.neigh.e[i];

		if (e->state != ARP_FREE && e->state != ARP_INCOMPLETE &&
		    ip_addr_is_v4(&e->ip) && ip_addr_get_v4(&e->ip) == ip) {
			e->state = ARP_REACHABLE;
			e->deadline_ns = UINT64_MAX;
			return 0;
		}
	}
	return -1;
}

/* Each test's fresh start: the stack a previous test left (one that stopped
 * at a REQUIRE leaves its connections behind) torn down, then a new host
 * that knows the neighbour ip at mac, pinned. 0, or -1. */
static inline int fake_host_reset(struct fake_host *h, uint32_t ip, const uint8_t *mac)
{
	if (h->s.tcp)
		stack_fini(&h->s);
	if (fake_host_init(h))
		return -1;
	fake_learn(h, ip, mac);
	return fake_pin_neighbour(h, ip);
}

/* --- TCP: segments to and from the host ----------------------------------------- */

static inline void fake_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint32_t fake_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* RFC 9293 3.1: the TCP checksum over the pseudo-header and the segment,
 * host order. Over a segment whose checksum field is right: 0. */
static inline uint16_t fake_tcp_csum(uint32_t src, uint32_t dst, const uint8_t *seg,
				     size_t len)
{
	uint8_t ph[12];
	uint32_t sum = 0;
	size_t i;

	memcpy(ph, &src, 4);
	memcpy(ph + 4, &dst, 4);
	ph[8] = 0;
	ph[9] = IP_PROTO_TCP;
	fake_put16(ph + 10, (uint16_t)len);
	for (i = 0; i < 12; i += 2)
		sum += (uint32_t)(ph[i] << 8 | ph[i + 1]);
	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(seg[i] << 8 | seg[i + 1]);
	if (len & 1)
		sum += (uint32_t)seg[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* One TCP segment as a test describes it. Ports and numbers in host
 * order, addresses in network order. */
struct fake_tcp_seg {
	uint32_t src, dst;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win;
	const uint8_t *opts; /* raw option bytes, padded with EOL to 4n */
	size_t optlen;       /* at most 40 */
	const void *data;
	size_t len;
};

/* The segment in an IPv4 packet in an Ethernet frame from src_mac to us,
 * every checksum right. buf needs 14 + 20 + 60 + len bytes. */
static inline size_t fake_tcp_frame(uint8_t *buf, const uint8_t *src_mac,
				    const struct fake_tcp_seg *sg)
{
	uint8_t *ip = buf + fake_eth(buf, FAKE_OUR_MAC, src_mac, ETHTYPE_IPV4);
	size_t olen = (sg->optlen + 3) & ~(size_t)3;
	size_t thlen = 20 + olen;
	size_t iphl = fake_ipv4(ip, sg->src, sg->dst, IP_PROTO_TCP, 0, thlen + sg->len);
	uint8_t *t = ip + iphl;

	fake_put16(t, sg->sport);
	fake_put16(t + 2, sg->dport);
	fake_put32(t + 4, sg->seq);
	fake_put32(t + 8, sg->ack);
	t[12] = (uint8_t)((thlen / 4) << 4);
	t[13] = sg->flags;
	fake_put16(t + 14, sg->win);
	fake_put16(t + 16, 0);
	fake_put16(t + 18, 0);
	memset(t + 20, 0, olen);
	if (sg->optlen)
		memcpy(t + 20, sg->opts, sg->optlen);
	if (sg->len)
		memcpy(t + thlen, sg->data, sg->len);
	fake_put16(t + 16, fake_tcp_csum(sg->src, sg->dst, t, thlen + sg->len));
	return ETH_HLEN_AX + iphl + thlen + sg->len;
}

/* A captured IPv4/TCP frame taken apart: numbers in host order, addresses
 * in network order, checksums verified with the test's own code, options
 * parsed with the engine's tcp_parse_opts() (opts_err its result). */
struct fake_tcp_view {
	const uint8_t *eth_dst, *eth_src;
	uint16_t ethtype, tot_len, frag_off;
	uint8_t proto, ttl;
	uint32_t src, dst;
	int ip_csum_ok, tcp_csum_ok;
	uint16_t sport, dport, win, urp;
	uint32_t seq, ack;
	uint8_t flags;
	size_t hlen; /* TCP header with options */
	const uint8_t *hdr;
	int opts_err;
	struct tcp_opts o;
	const uint8_t *data;
	size_t len;
};

/* 0, or -1 when fr is not a whole IPv4/TCP frame. */
static inline int fake_parse_tcp(const struct fake_frame *fr, struct fake_tcp_view *v)
{
	const uint8_t *ip, *t;
	size_t iphl;

	memset(v, 0, sizeof(*v));
	if (!fr || fr->len < ETH_HLEN_AX + 40)
		return -1;
	ip = fr->data + ETH_HLEN_AX;
	v->eth_dst = fr->data;
	v->eth_src = fr->data + 6;
	v->ethtype = fake_get16(fr->data + 12);
	iphl = (size_t)(ip[0] & 0x0f) * 4;
	v->tot_len = fake_get16(ip + 2);
	v->frag_off = fake_get16(ip + 6);
	v->ttl = ip[8];
	v->proto = ip[9];
	v->src = fake_get_ip(ip + 12);
	v->dst = fake_get_ip(ip + 16);
	if (v->ethtype != ETHTYPE_IPV4 || (ip[0] >> 4) != 4 || iphl < 20 ||
	    v->proto != IP_PROTO_TCP || v->tot_len < iphl + 20 ||
	    (size_t)ETH_HLEN_AX + v->tot_len > fr->len)
		return -1;
	v->ip_csum_ok = fake_csum(ip, iphl) == 0;
	t = ip + iphl;
	v->hdr = t;
	v->hlen = (size_t)(t[12] >> 4) * 4;
	if (v->hlen < 20 || iphl + v->hlen > v->tot_len)
		return -1;
	v->tcp_csum_ok = fake_tcp_csum(v->src, v->dst, t, v->tot_len - iphl) == 0;
	v->sport = fake_get16(t);
	v->dport = fake_get16(t + 2);
	v->seq = fake_get32(t + 4);
	v->ack = fake_get32(t + 8);
	v->flags = t[13];
	v->win = fake_get16(t + 14);
	v->urp = fake_get16(t + 18);
	v->opts_err = tcp_parse_opts(t, v->hlen, !!(v->flags & TH_SYN), &v->o);
	v->data = t + v->hlen;
	v->len = v->tot_len - iphl - v->hlen;
	return 0;
}

/* NOP NOP TS(tsval, tsecr): the 12 bytes most stacks send. */
static inline size_t fake_tcp_ts_opt(uint8_t *o, uint32_t tsval, uint32_t tsecr)
{
	o[0] = 1;
	o[1] = 1;
	o[2] = 8;
	o[3] = 10;
	fake_put32(o + 4, tsval);
	fake_put32(o + 8, tsecr);
	return 12;
}

/*
 * The peer's side of one connection with the host: its addresses, the
 * sequence number it sends next, what it acknowledges, its window field
 * and, when ts is set, the timestamps it sends. fake_tcp_send() sends from
 * this state and moves seq on; fake_tcp_rx() sends anything.
 */
struct fake_tcp_peer {
	struct fake_host *h;
	uint32_t ip;
	uint8_t mac[6];
	uint16_t port, lport; /* the peer's port, ours */
	uint32_t seq, ack;
	uint16_t win;
	int ts;
	uint32_t tsval, tsecr;
};

static inline void fake_tcp_peer_init(struct fake_tcp_peer *p, struct fake_host *h,
				      uint16_t port, uint16_t lport, uint32_t seq)
{
	memset(p, 0, sizeof(*p));
	p->h = h;
	p->ip = FAKE_PEER_IP;
	memcpy(p->mac, FAKE_PEER_MAC, 6);
	p->port = port;
	p->lport = lport;
	p->seq = seq;
	p->win = 65535;
}

/* Any segment from the peer, its state untouched. */
static inline void fake_tcp_rx(struct fake_tcp_peer *p, uint32_t seq, uint32_t ack,
			       uint8_t flags, uint16_t win, const uint8_t *opts,
			       size_t optlen, const void *data, size_t len)
{
	static uint8_t buf[ETH_HLEN_AX + 20 + 60 + 65536];
	struct fake_tcp_seg sg = {
		.src = p->ip, .dst = FAKE_OUR_IP, .sport = p->port, .dport = p->lport,
		.seq = seq, .ack = ack, .flags = flags, .win = win,
		.opts = opts, .optlen = optlen, .data = data, .len = len,
	};

	if (len > 65536 || optlen > 40)
		abort();
	fake_rx(p->h, buf, fake_tcp_frame(buf, p->mac, &sg));
}

/* A segment from the peer's state (seq, ack, win, timestamps when ts);
 * seq moves on by what the segment occupies. */
static inline void fake_tcp_send(struct fake_tcp_peer *p, uint8_t flags, const void *data,
				 size_t len)
{
	uint8_t o[12];
	size_t olen = p->ts ? fake_tcp_ts_opt(o, p->tsval, p->tsecr) : 0;

	fake_tcp_rx(p, p->seq, p->ack, flags, p->win, o, olen, data, len);
	p->seq += (uint32_t)len + !!(flags & TH_SYN) + !!(flags & TH_FIN);
}

/* Captured frame i as TCP; NULL-safe (returns -1). */
static inline int fake_tcp_sent(const struct fake_host *h, unsigned int i,
				struct fake_tcp_view *v)
{
	return fake_parse_tcp(fake_frame(&h->nif, i), v);
}

/*
 * What the application saw, through the callbacks fake_tcp_app_cb()
 * returns (arg: the struct fake_tcp_app). A listener with these callbacks
 * adopts each accepted connection (tcp_set_callbacks) unless refuse is set.
 */
struct fake_tcp_app {
	struct tcp_pcb *pcb; /* the last accepted or connected; NULL once closed */
	unsigned int accepted, connected, readable, writable, closed;
	int connect_err, close_err;
	int refuse;
};

static inline const struct tcp_callbacks *fake_tcp_app_cb(void);

static inline void fake_tcp_on_accepted(void *arg, struct tcp_pcb *pcb)
{
	struct fake_tcp_app *a = arg;

	a->accepted++;
	if (a->refuse)
		return;
	a->pcb = pcb;
	tcp_set_callbacks(pcb, fake_tcp_app_cb(), a);
}

static inline void fake_tcp_on_connected(void *arg, struct tcp_pcb *pcb, int err)
{
	struct fake_tcp_app *a = arg;

	a->connected++;
	a->connect_err = err;
	a->pcb = err ? NULL : pcb;
}

static inline void fake_tcp_on_readable(void *arg, struct tcp_pcb *pcb)
{
	(void)pcb;
	((struct fake_tcp_app *)arg)->readable++;
}

static inline void fake_tcp_on_writable(void *arg, struct tcp_pcb *pcb)
{
	(void)pcb;
	((struct fake_tcp_app *)arg)->writable++;
}

static inline void fake_tcp_on_closed(void *arg, struct tcp_pcb *pcb, int err)
{
	struct fake_tcp_app *a = arg;

	(void)pcb;
	a->closed++;
	a->close_err = err;
	a->pcb = NULL;
}

static inline const struct tcp_callbacks *fake_tcp_app_cb(void)
{
	static const struct tcp_callbacks cb = {
		.accepted = fake_tcp_on_accepted,
		.connected = fake_tcp_on_connected,
		.readable = fake_tcp_on_readable,
		.writable = fake_tcp_on_writable,
		.closed = fake_tcp_on_closed,
	};

	return &cb;
}

/* SYN options the way Linux orders them: MSS, SACK-permitted, TS, NOP, WS
 * (ws < 0: no WS; mss 0: no MSS). Returns the length (at most 20). */
static inline size_t fake_tcp_syn_opts(uint8_t *o, uint16_t mss, int ws, int sack, int ts,
				       uint32_t tsval)
{
	size_t n = 0;

	if (mss) {
		o[n++] = 2;
		o[n++] = 4;
		fake_put16(o + n, mss);
		n += 2;
	}
	if (sack && ts) {
		o[n++] = 4;
		o[n++] = 2;
	} else if (sack) {
		o[n++] = 1;
		o[n++] = 1;
		o[n++] = 4;
		o[n++] = 2;
	} else if (ts) {
		o[n++] = 1;
		o[n++] = 1;
	}
	if (ts) {
		o[n++] = 8;
		o[n++] = 10;
		fake_put32(o + n, tsval);
		fake_put32(o + n + 4, 0);
		n += 8;
	}
	if (ws >= 0) {
		o[n++] = 1;
		o[n++] = 3;
		o[n++] = 3;
		o[n++] = (uint8_t)ws;
	}
	return n;
}

/*
 * Passive open from the peer to a listener on p->lport whose callbacks are
 * fake_tcp_app_cb() with arg a: SYN (seq p->seq, the options given; when
 * they hold TS, its TSval is p->tsval), our SYN-ACK, then the peer's ACK
 * with window field ack_win (and TS when both sides agreed on it). The
 * peer's state follows (seq, ack, tsecr, ts). Returns the accepted
 * connection, or NULL when the exchange went otherwise. Starts a new step.
 */
static inline struct tcp_pcb *fake_tcp_accept(struct fake_tcp_peer *p, struct fake_tcp_app *a,
					      const uint8_t *synopts, size_t synoptlen,
					      uint16_t ack_win)
{
	struct fake_tcp_view v;

	fake_mark(p->h);
	a->pcb = NULL;
	fake_tcp_rx(p, p->seq, 0, TH_SYN, 65535, synopts, synoptlen, NULL, 0);
	if (p->h->nif.n != 1 || fake_tcp_sent(p->h, 0, &v) ||
	    v.flags != (TH_SYN | TH_ACK) || v.ack != p->seq + 1)
		return NULL;
	p->seq++;
	p->ack = v.seq + 1;
	p->ts = v.o.ts_ok;
	p->tsecr = v.o.tsval;
	p->win = ack_win;
	fake_tcp_send(p, TH_ACK, NULL, 0);
	if (p->h->nif.n != 1)
		return NULL; /* we answered the ACK: not established */
	fake_mark(p->h);
	return a->pcb;
}

/*
 * Move the clock so that the next passive open from the peer's port gets
 * our ISN iss (RFC 6528: ISN = 4-microsecond clock + F(4-tuple, secret),
 * so one probe reveals F). The probe is a SYN to the listener on p->lport,
 * then an RST that frees the embryonic connection. Up to 2^32 * 4 us
 * (4.8 h) later; pin the neighbour first. 0, or -1 when the probe failed.
 * Starts a new step.
 */
static inline int fake_tcp_steer_iss(struct fake_tcp_peer *p, uint32_t iss)
{
	struct fake_tcp_view v;
	uint32_t d;

	fake_mark(p->h);
	fake_tcp_rx(p, p->seq, 0, TH_SYN, 65535, NULL, 0, NULL, 0);
	if (p->h->nif.n != 1 || fake_tcp_sent(p->h, 0, &v) || v.flags != (TH_SYN | TH_ACK))
		return -1;
	fake_tcp_rx(p, p->seq + 1, 0, TH_RST, 0, NULL, 0, NULL, 0);
	if (tcp_lookup(&p->h->s, FAKE_V4(FAKE_OUR_IP), p->lport, FAKE_V4(p->ip), p->port))
		return -1;
	d = iss - v.seq;
	stack_set_time(&p->h->s, p->h->s.now_ns + (uint64_t)d * 4000u);
	stack_timers(&p->h->s);
	fake_mark(p->h);
	return 0;
}

#endif /* FAKE_NETIF_H */
