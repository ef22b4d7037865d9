/*
 * udp.c - UDP input and output (RFC 768), see udp.h.
 */
#include "udp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/random.h>

#include "csum.h"
#include "icmp.h"
#include "ip.h"
#include "ipv4.h"
#include "proto.h"
#include "stack.h"

struct udp_hdr {
	uint16_t sport, dport, len, csum;
} __attribute__((packed));

static uint64_t udp_key(struct ax_stack *s)
{
	uint64_t k = s->udp.key;

	if (!k) {
		if (getrandom(&k, sizeof(k), 0) != sizeof(k))
			k = s->now_ns;
		k |= 1; /* never 0: 0 means "not drawn yet" */
		s->udp.key = k;
	}
	return k;
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

static struct udp_pcb **bucket_of(struct ax_stack *s, uint16_t lport)
{
	return &s->udp.bucket[lport & (AX_UDP_HASH_BUCKETS - 1)];
}

void udp_pcb_init(struct udp_pcb *pcb, udp_recv_fn recv, udp_err_fn err, void *arg)
{
	memset(pcb, 0, sizeof(*pcb));
	pcb->recv = recv;
	pcb->err = err;
	pcb->arg = arg;
}

int udp_pcb_insert(struct ax_stack *s, struct udp_pcb *pcb)
{
	struct udp_pcb **b;

	if (!pcb->lport || pcb->hashed)
		return -EINVAL;
	b = bucket_of(s, pcb->lport);
	pcb->next = *b;
	*b = pcb;
	pcb->hashed = 1;
	s->udp.count++;
	return 0;
}

void udp_pcb_remove(struct ax_stack *s, struct udp_pcb *pcb)
{
	struct udp_pcb **pp;

	if (!pcb->hashed)
		return;
	for (pp = bucket_of(s, pcb->lport); *pp; pp = &(*pp)->next)
		if (*pp == pcb) {
			*pp = pcb->next;
			break;
		}
	pcb->next = NULL;
	pcb->hashed = 0;
	s->udp.count--;
}

struct udp_pcb *udp_pcb_first(struct ax_stack *s, uint16_t lport)
{
	struct udp_pcb *p = *bucket_of(s, lport);

	while (p && p->lport != lport)
		p = p->next;
	return p;
}

struct udp_pcb *udp_pcb_next(struct udp_pcb *prev)
{
	struct udp_pcb *p = prev->next;

	while (p && p->lport != prev->lport)
		p = p->next;
	return p;
}

/*
 * Linux's compute_score: a socket connected to this very source beats one
 * bound to our address, which beats one bound to any. Among the best, a
 * reuse-port group shares by a hash of the 4-tuple (Linux
 * reuseport_select_sock), so one flow always reaches one socket.
 */
struct udp_pcb *udp_lookup(struct ax_stack *s, uint32_t raddr, uint16_t rport, uint16_t lport)
{
	struct udp_pcb *p, *best = NULL;
	int best_score = -1;
	unsigned int ties = 0;
	uint64_t h = mix64(udp_key(s) ^ raddr ^ ((uint64_t)rport << 32 | lport));

	for (p = udp_pcb_first(s, lport); p; p = udp_pcb_next(p)) {
		int score = 0;

		if (p->laddr) {
			if (p->laddr != s->addr)
				continue;
			score += 1;
		}
		if (p->raddr) {
			if (p->raddr != raddr || p->rport != rport)
				continue;
			score += 4;
		}
		if (score > best_score) {
			best = p;
			best_score = score;
			ties = 1;
		} else if (score == best_score && p->reuseport && best->reuseport) {
			/* Reservoir pick over the group, keyed by the flow:
			 * the k-th member replaces the pick with odds 1/k. */
			ties++;
			if (mix64(h ^ ties) % ties == 0)
				best = p;
		}
	}
	return best;
}

/* --- the old fixed bindings -------------------------------------------------- */

static int legacy_slot(const struct ax_stack *s, uint16_t port)
{
	for (int i = 0; i < AX_UDP_MAX_BINDS; i++)
		if (s->udp.legacy[i].lport == port)
			return i;
	return -1;
}

int udp_bind(struct ax_stack *s, uint16_t port, udp_recv_fn fn, void *arg)
{
	struct udp_pcb *p;
	int i;

	if (!port || !fn)
		return -EINVAL;
	if (udp_pcb_first(s, port))
		return -EADDRINUSE;
	i = legacy_slot(s, 0);
	if (i < 0)
		return -ENOSPC;
	p = &s->udp.legacy[i];
	udp_pcb_init(p, fn, NULL, arg);
	p->lport = port;
	return udp_pcb_insert(s, p);
}

void udp_unbind(struct ax_stack *s, uint16_t port)
{
	int i = port ? legacy_slot(s, port) : -1;

	if (i >= 0) {
		udp_pcb_remove(s, &s->udp.legacy[i]);
		memset(&s->udp.legacy[i], 0, sizeof(s->udp.legacy[i]));
	}
}

int udp_bound(struct ax_stack *s, uint16_t port)
{
	return port && udp_pcb_first(s, port);
}

void udp_set_admit(struct ax_stack *s, udp_admit_fn fn, void *arg)
{
	s->udp.admit = fn;
	s->udp.admit_arg = arg;
}

void udp_deliver(struct ax_stack *s, uint32_t src, uint16_t sport, uint16_t dport,
		 const uint8_t *data, size_t len)
{
	struct udp_pcb *p = dport ? udp_lookup(s, src, sport, dport) : NULL;

	if (!p) {
		stack_count(s, AX_C_udp_no_port);
		return;
	}
	stack_count(s, AX_C_udp_delivered);
	p->recv(p->arg, src, sport, dport, data, len);
}

/* --- ICMP errors ---------------------------------------------------------------- */

/* RFC 1122 4.1.3.1: a datagram for a port nobody listens on SHOULD draw
 * a port unreachable; ip_send_error() keeps the rules (never about a
 * broadcast, ...) and the rate limits (a spoofed flood must not turn us
 * into a reflector). */
static void port_unreach(struct ax_stack *s, uint32_t src, uint32_t dst, const uint8_t *ip,
			 size_t hlen, size_t iplen, int l2_bcast)
{
	struct ip_rx rx = {
		.src = ip_addr_v4(src),
		.dst = ip_addr_v4(dst),
		.net = ip,
		.net_len = iplen,
		.l4 = ip + hlen,
		.l4_len = iplen - hlen,
		.family = 4,
		.proto = IP_PROTO_UDP,
		.ttl = ip[8],
		.l2_mcast = (uint8_t)l2_bcast,
	};
	int err = ip_send_error(s, &rx, IP_ERR_PORT_UNREACH, 0);

	if (err == 0)
		stack_count(s, AX_C_udp_unreach_tx);
	else if (err == -EAGAIN)
		stack_count(s, AX_C_udp_unreach_limited);
}

/* RFC 1122 3.2.2.1 codes as Linux's icmp_err_convert maps the hard ones;
 * 0: a soft error (not reported on the socket). */
static int unreach_errno(uint8_t code)
{
	switch (code) {
	case 0: /* net */
	case 6: /* net unknown */
	case 9: /* net prohibited */
	case 11: /* net for TOS */
		return -ENETUNREACH;
	case 1: /* host */
	case 10: /* host prohibited */
	case 12: /* host for TOS */
	case 13: /* communication administratively prohibited */
		return -EHOSTUNREACH;
	case 2:
		return -ENOPROTOOPT;
	case 3:
		return -ECONNREFUSED;
	case 7:
		return -EHOSTDOWN;
	case 8:
		return -ENONET;
	default:
		return 0;
	}
}

int udp_icmp_unreach(struct ax_stack *s, uint32_t raddr, uint16_t lport, uint16_t rport,
		     uint8_t code)
{
	struct udp_pcb *p = udp_lookup(s, raddr, rport, lport);
	int err = unreach_errno(code);

	/* Linux (__udp4_lib_err): without IP_RECVERR only a hard error on a
	 * connected socket is reported; its peer must be the quoted one. */
	if (!p || !p->raddr || !err || !p->err)
		return 0;
	stack_count(s, AX_C_udp_icmp_err);
	p->err(p->arg, err);
	return 1;
}

/* --- input and output ---------------------------------------------------------- */

void udp_input(struct ax_stack *s, const uint8_t *ip, size_t hlen, size_t len)
{
	const uint8_t *seg = ip + hlen;
	struct udp_hdr h;
	struct udp_pcb *p;
	uint32_t src, dst;
	size_t ulen;
	uint16_t sport, dport;

	memcpy(&src, ip + 12, 4);
	memcpy(&dst, ip + 16, 4);
	stack_count(s, AX_C_udp_rx);
	if (len < sizeof(h)) {
		stack_count(s, AX_C_udp_malformed);
		return;
	}
	memcpy(&h, seg, sizeof(h));
	ulen = ntohs(h.len);
	/* RFC 768: the length covers header and data; the IP payload may
	 * only be longer by padding. */
	if (ulen < sizeof(h) || ulen > len) {
		stack_count(s, AX_C_udp_malformed);
		return;
	}
	/* A zero checksum means none was computed (IPv4 only). */
	if (h.csum && csum_l4(src, dst, IP_PROTO_UDP, seg, ulen) != 0) {
		stack_count(s, AX_C_udp_bad_csum);
		return;
	}
	sport = ntohs(h.sport);
	dport = ntohs(h.dport);
	/* RFC 768: source port 0 means "no reply expected", a legal port
	 * the kernel delivers too; udp_sendto() refuses it as a destination. */
	p = dport ? udp_lookup(s, src, sport, dport) : NULL;
	if (!p) {
		stack_count(s, AX_C_udp_no_port);
		port_unreach(s, src, dst, ip, hlen, hlen + ulen, 0);
		return;
	}
	if (s->udp.admit &&
	    s->udp.admit(s->udp.admit_arg, 1, p->owner, src, sport, dst, dport, seg + sizeof(h),
			 ulen - sizeof(h)) != 1)
		return;
	stack_count(s, AX_C_udp_delivered);
	p->recv(p->arg, src, sport, dport, seg + sizeof(h), ulen - sizeof(h));
}

int udp_sendto(struct ax_stack *s, uint32_t dst, uint16_t sport, uint16_t dport,
	       const void *data, size_t len)
{
	struct ipv4_tx tx;
	struct udp_hdr h;
	size_t cap;
	uint16_t c;
	uint8_t *buf;
	int err = 0;

	/* As Linux's udp_sendmsg: no datagram to port 0. */
	if (dport == 0)
		return -EINVAL;
	buf = ipv4_tx_begin(s, dst, IP_PROTO_UDP, &tx, &cap, &err);
	if (!buf)
		return err;
	if (sizeof(h) + len > cap) {
		ipv4_tx_abort(s, &tx);
		return -EMSGSIZE;
	}
	h.sport = htons(sport);
	h.dport = htons(dport);
	h.len = htons((uint16_t)(sizeof(h) + len));
	h.csum = 0;
	memcpy(buf, &h, sizeof(h));
	if (len)
		memcpy(buf + sizeof(h), data, len);
	c = csum_l4(s->addr, dst, IP_PROTO_UDP, buf, sizeof(h) + len);
	if (c == 0)
		c = 0xffff; /* RFC 768: a computed zero is sent as all ones */
	memcpy(buf + offsetof(struct udp_hdr, csum), &c, 2);
	stack_count(s, AX_C_udp_tx);
	return ipv4_tx_commit(s, &tx, sizeof(h) + len);
}

int udp_send(struct ax_stack *s, struct udp_pcb *pcb, uint32_t dst, uint16_t dport,
	     const void *data, size_t len)
{
	int r;

	if (dport == 0)
		return -EINVAL;
	/* The MTU check before the admitter: a datagram that can never
	 * leave must not open a flow. */
	if (len + sizeof(struct udp_hdr) + 20 > s->netif->mtu)
		return -EMSGSIZE;
	if (s->udp.admit) {
		r = s->udp.admit(s->udp.admit_arg, 0, pcb->owner, dst, dport, s->addr, pcb->lport,
				 data, len);
		if (r < 0)
			return r;
		if (r != 1)
			return 0; /* held for its commit (or dropped) */
	}
	return udp_sendto(s, dst, pcb->lport, dport, data, len);
}
