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
#include "frag.h"
#include "pmtu.h"
#include "icmp.h"
#include "ip.h"
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
/* Does a socket bound to p->laddr take a datagram to laddr? :: both
 * families (IPv6 only when v6only), ::ffff:0.0.0.0 IPv4, else that
 * address. 3 for its very address, 2 for the IPv4 wildcard, 1 for ::,
 * 0 no: Linux's udp4 compute_score ranks an AF_INET socket above an
 * AF_INET6 one, so for IPv4 0.0.0.0 beats a dual-stack [::] whichever
 * was bound first (both may hold the port with SO_REUSEADDR). */
static int laddr_match(const struct udp_pcb *p, const struct ip_addr *laddr)
{
	if (ip_addr_eq(&p->laddr, &ip_addr_any6))
		return !(p->v6only && ip_addr_is_v4(laddr));
	if (ip_addr_eq(&p->laddr, &ip_addr_any4))
		return ip_addr_is_v4(laddr) ? 2 : 0;
	return ip_addr_eq(&p->laddr, laddr) ? 3 : 0;
}

struct udp_pcb *udp_lookup(struct ax_stack *s, const struct ip_addr *laddr,
			   const struct ip_addr *raddr, uint16_t rport, uint16_t lport)
{
	struct udp_pcb *p, *best = NULL;
	int best_score = -1;
	unsigned int ties = 0;
	uint64_t h = mix64(udp_key(s) ^ ip_addr_hash(raddr) ^ ((uint64_t)rport << 32 | lport));

	for (p = udp_pcb_first(s, lport); p; p = udp_pcb_next(p)) {
		int score, m = laddr_match(p, laddr);

		if (!m)
			continue;
		score = m - 1; /* its address 2, 0.0.0.0 1, :: 0 */
		if (!ip_addr_eq(&p->raddr, &ip_addr_any6)) {
			if (!ip_addr_eq(&p->raddr, raddr) || p->rport != rport)
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

void udp_deliver(struct ax_stack *s, const struct ip_addr *src, uint16_t sport,
		 const struct ip_addr *dst, uint16_t dport, const uint8_t *data, size_t len)
{
	struct udp_pcb *p = dport ? udp_lookup(s, dst, src, sport, dport) : NULL;

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
static void port_unreach(struct ax_stack *s, const struct ip_rx *rx, size_t iplen)
{
	struct ip_rx q = *rx;
	int err;

	/* The quote: the datagram as far as UDP's length says (no padding). */
	q.net_len = iplen;
	q.l4_len = iplen - (size_t)(rx->l4 - rx->net);
	err = ip_send_error(s, &q, IP_ERR_PORT_UNREACH, 0);
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

int udp_icmp_unreach(struct ax_stack *s, const struct ip_addr *laddr,
		     const struct ip_addr *raddr, uint16_t lport, uint16_t rport, uint8_t code)
{
	return udp_icmp_error(s, laddr, raddr, lport, rport, unreach_errno(code));
}

int udp_icmp_error(struct ax_stack *s, const struct ip_addr *laddr,
		   const struct ip_addr *raddr, uint16_t lport, uint16_t rport, int err)
{
	struct udp_pcb *p = udp_lookup(s, laddr, raddr, rport, lport);

	/* Linux (__udp4_lib_err, __udp6_lib_err): without IP_RECVERR only a
	 * hard error on a connected socket is reported; its peer must be
	 * the quoted one. */
	if (!p || ip_addr_eq(&p->raddr, &ip_addr_any6) || !err || !p->err)
		return 0;
	stack_count(s, AX_C_udp_icmp_err);
	p->err(p->arg, err);
	return 1;
}

/* --- input and output ---------------------------------------------------------- */

void udp_input(struct ax_stack *s, const struct ip_rx *rx)
{
	const struct ip_addr *src = &rx->src, *dst = &rx->dst;
	const uint8_t *seg = rx->l4;
	size_t len = rx->l4_len, ulen;
	struct udp_hdr h;
	struct udp_pcb *p;
	uint16_t sport, dport;

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
	/* A zero checksum means none was computed: IPv4 only; over IPv6
	 * the checksum is mandatory (RFC 8200 8.1: such a datagram is
	 * discarded). */
	if ((h.csum || rx->family == 6) && ip_l4_csum(src, dst, IP_PROTO_UDP, seg, ulen) != 0) {
		stack_count(s, AX_C_udp_bad_csum);
		return;
	}
	sport = ntohs(h.sport);
	dport = ntohs(h.dport);
	/* RFC 768: source port 0 means "no reply expected", a legal port
	 * the kernel delivers too; udp_sendto() refuses it as a destination. */
	p = dport ? udp_lookup(s, dst, src, sport, dport) : NULL;
	if (!p) {
		stack_count(s, AX_C_udp_no_port);
		/* ip_send_error keeps groups and broadcasts out (RFC 1122
		 * 3.2.2, RFC 4443 2.4(e.3)). */
		port_unreach(s, rx, (size_t)(seg - rx->net) + ulen);
		return;
	}
	if (s->udp.admit &&
	    s->udp.admit(s->udp.admit_arg, 1, p->owner, src, sport, dst, dport, seg + sizeof(h),
			 ulen - sizeof(h)) != 1)
		return;
	stack_count(s, AX_C_udp_delivered);
	p->recv(p->arg, src, sport, dport, seg + sizeof(h), ulen - sizeof(h));
}

int udp_sendto(struct ax_stack *s, const struct ip_addr *src, const struct ip_addr *dst,
	       uint16_t sport, uint16_t dport, const void *data, size_t len)
{
	struct ip_tx tx;
	struct udp_hdr h;
	size_t cap;
	uint16_t c;
	uint8_t *buf;
	int err = 0;

	/* As Linux's udp_sendmsg: no datagram to port 0. */
	if (dport == 0)
		return -EINVAL;
	buf = ip_tx_begin(s, src, dst, IP_PROTO_UDP, &tx, &cap, &err);
	if (!buf)
		return err;
	if (sizeof(h) + len > cap) {
		/* Larger than the path MTU: in fragments (frag_out.c), as
		 * Linux's IP_PMTUDISC_WANT does; within it but not the
		 * device's buffer: the device's limit. */
		struct ip_addr from = tx.src;
		size_t iph = ip_addr_is_v4(dst) ? sizeof(struct ipv4_hdr) : 40;

		ip_tx_abort(s, &tx);
		if (len > FRAG_TX_MAX - sizeof(h) || sizeof(h) + len + iph <= pmtu_get(s, dst))
			return -EMSGSIZE;
		buf = frag_tx_buf(s);
		h.sport = htons(sport);
		h.dport = htons(dport);
		h.len = htons((uint16_t)(sizeof(h) + len));
		h.csum = 0;
		memcpy(buf, &h, sizeof(h));
		memcpy(buf + sizeof(h), data, len);
		c = ip_l4_csum(&from, dst, IP_PROTO_UDP, buf, sizeof(h) + len);
		if (c == 0)
			c = 0xffff;
		memcpy(buf + offsetof(struct udp_hdr, csum), &c, 2);
		err = frag_send(s, &from, dst, IP_PROTO_UDP, buf, sizeof(h) + len);
		if (err == 0)
			stack_count(s, AX_C_udp_tx);
		return err;
	}
	h.sport = htons(sport);
	h.dport = htons(dport);
	h.len = htons((uint16_t)(sizeof(h) + len));
	h.csum = 0;
	memcpy(buf, &h, sizeof(h));
	if (len)
		memcpy(buf + sizeof(h), data, len);
	c = ip_l4_csum(&tx.src, dst, IP_PROTO_UDP, buf, sizeof(h) + len);
	if (c == 0)
		c = 0xffff; /* RFC 768: a computed zero is sent as all ones */
	memcpy(buf + offsetof(struct udp_hdr, csum), &c, 2);
	stack_count(s, AX_C_udp_tx);
	return ip_tx_commit(s, &tx, sizeof(h) + len);
}

int udp_send(struct ax_stack *s, struct udp_pcb *pcb, const struct ip_addr *dst,
	     uint16_t dport, const void *data, size_t len)
{
	struct ip_addr src;
	int r;

	if (dport == 0)
		return -EINVAL;
	/* The size check before the admitter: a datagram that can never
	 * leave must not open a flow. Over the MTU it leaves in fragments;
	 * IPv6's payload may be 65535 less the fragment header. */
	if (len > FRAG_TX_MAX - sizeof(struct udp_hdr))
		return -EMSGSIZE;
	/* The source now: the admitter sees the flow as it will leave. */
	if (!ip_addr_is_any(&pcb->laddr)) {
		if (ip_addr_family(&pcb->laddr) != ip_addr_family(dst))
			return -EINVAL;
		src = pcb->laddr;
	} else if (stack_src_select(s, dst, &src) < 0) {
		return -EADDRNOTAVAIL;
	}
	if (s->udp.admit) {
		r = s->udp.admit(s->udp.admit_arg, 0, pcb->owner, dst, dport, &src, pcb->lport,
				 data, len);
		if (r < 0)
			return r;
		if (r != 1)
			return 0; /* held for its commit (or dropped) */
	}
	return udp_sendto(s, &src, dst, pcb->lport, dport, data, len);
}
