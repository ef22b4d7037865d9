/*
 * tcp_check.h - the segment checker shared by the TCP unit tests.
 *
 * A test file defines `static struct fake_host H`, `struct fake_tcp_peer P`
 * and `struct fake_tcp_view V` (tcp_helper.h does), then CHECK_SEG(i,
 * flags, seq, ack, len) checks that frame i is a TCP segment from us to the
 * peer's port with exactly those flags, seq, ack and payload length, the
 * right addresses, MAC, checksums and well-formed options, no urgent
 * pointer, and no more than an MTU. The parsed segment stays in V. Returns 1 when it all holds.
 */
#ifndef AX_TEST_TCP_CHECK_H
#define AX_TEST_TCP_CHECK_H

#include <stdio.h>

#include "fake_netif.h"
#include "testlib.h"

static inline int tcp_check_seg(struct fake_host *h, const struct fake_tcp_peer *p,
				struct fake_tcp_view *v, unsigned int i, uint8_t flags,
				uint32_t seq, uint32_t ack, size_t len, int line)
{
	int ok = 1;

	if (fake_tcp_sent(h, i, v)) {
		printf("  line %d: frame %u is missing or not TCP (%u sent)\n", line, i, h->nif.n);
		testlib.failed = 1;
		return 0;
	}
	ok &= CHECK_EQ(v->flags, flags);
	ok &= CHECK_EQ(v->seq, seq);
	ok &= CHECK_EQ(v->ack, ack);
	ok &= CHECK_EQ(v->len, len);
	ok &= CHECK_EQ(v->sport, p->lport);
	ok &= CHECK_EQ(v->dport, p->port);
	ok &= CHECK_EQ(v->src, FAKE_OUR_IP);
	ok &= CHECK_EQ(v->dst, FAKE_PEER_IP);
	ok &= CHECK_MEM(v->eth_dst, FAKE_PEER_MAC, 6);
	ok &= CHECK(v->ip_csum_ok);
	ok &= CHECK(v->tcp_csum_ok);
	ok &= CHECK_EQ(v->opts_err, 0);
	ok &= CHECK_EQ(v->urp, 0);
	ok &= CHECK(v->tot_len <= 1500);
	if (!ok)
		printf("  (segment %u, checked at line %d)\n", i, line);
	return ok;
}

#define CHECK_SEG(i, fl, sq, ak, ln) tcp_check_seg(&H, &P, &V, i, fl, sq, ak, ln, __LINE__)

#endif /* AX_TEST_TCP_CHECK_H */
