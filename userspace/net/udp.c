/*
 * udp.c - UDP input and output (RFC 768), see udp.h.
 */
#include "udp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "csum.h"
#include "ipv4.h"
#include "proto.h"
#include "stack.h"

struct udp_hdr {
	uint16_t sport, dport, len, csum;
} __attribute__((packed));


static int slot_of(const struct ax_stack *s, uint16_t port)
{
	for (int i = 0; i < AX_UDP_MAX_BINDS; i++)
		if (s->udp.b[i].port == port)
			return i;
	return -1;
}

int udp_bind(struct ax_stack *s, uint16_t port, udp_recv_fn fn, void *arg)
{
	int i;

	if (!port || !fn)
		return -EINVAL;
	if (slot_of(s, port) >= 0)
		return -EADDRINUSE;
	i = slot_of(s, 0);
	if (i < 0)
		return -ENOSPC;
	s->udp.b[i].port = port;
	s->udp.b[i].fn = fn;
	s->udp.b[i].arg = arg;
	return 0;
}

void udp_unbind(struct ax_stack *s, uint16_t port)
{
	int i = port ? slot_of(s, port) : -1;

	if (i >= 0)
		memset(&s->udp.b[i], 0, sizeof(s->udp.b[i]));
}

int udp_bound(const struct ax_stack *s, uint16_t port)
{
	return port && slot_of(s, port) >= 0;
}

void udp_set_admit(struct ax_stack *s, udp_admit_fn fn, void *arg)
{
	s->udp.admit = fn;
	s->udp.admit_arg = arg;
}

void udp_deliver(struct ax_stack *s, uint32_t src, uint16_t sport, uint16_t dport,
		 const uint8_t *data, size_t len)
{
	int i = slot_of(s, dport);

	if (i < 0 || !dport) {
		stack_count(s, AX_C_udp_no_port);
		return;
	}
	stack_count(s, AX_C_udp_delivered);
	s->udp.b[i].fn(s->udp.b[i].arg, src, sport, dport, data, len);
}

void udp_input(struct ax_stack *s, uint32_t src, uint32_t dst, const uint8_t *seg, size_t len)
{
	struct udp_hdr h;
	size_t ulen;
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
	/* A zero checksum means none was computed (IPv4 only). */
	if (h.csum && csum_l4(src, dst, IP_PROTO_UDP, seg, ulen) != 0) {
		stack_count(s, AX_C_udp_bad_csum);
		return;
	}
	sport = ntohs(h.sport);
	dport = ntohs(h.dport);
	/* RFC 768: source port 0 means "no reply expected", a legal port
	 * the kernel delivers too; udp_sendto() refuses it as a destination. */
	if (!udp_bound(s, dport)) {
		stack_count(s, AX_C_udp_no_port);
		return;
	}
	if (s->udp.admit &&
	    !s->udp.admit(s->udp.admit_arg, src, sport, dst, dport, seg + sizeof(h),
			  ulen - sizeof(h)))
		return;
	udp_deliver(s, src, sport, dport, seg + sizeof(h), ulen - sizeof(h));
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
