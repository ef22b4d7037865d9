/*
 * test_udp.c - UDP (userspace/net/udp.c): delivery to bound ports, the
 * length and checksum checks of RFC 768, the authorization hook (hold
 * and deliver later), and the datagrams udp_sendto() builds.
 */
#include <stdint.h>

#include "fake_netif.h"
#include "testlib.h"

static struct fake_host H;
static uint8_t f[2048];

static struct {
	unsigned int n;
	uint32_t src;
	uint16_t sport, dport;
	size_t len;
	uint8_t data[1500];
} got;

static struct {
	int answer;     /* what the hook returns */
	unsigned int n;
	uint8_t held[1500];
	size_t held_len;
	uint16_t sport, dport;
} hook;

static void on_recv(void *arg, const struct ip_addr *src6, uint16_t sport, uint16_t dport,
		    const uint8_t *data, size_t len)
{
	uint32_t src = ip_addr_get_v4(src6);

	(void)arg;
	got.n++;
	got.src = src;
	got.sport = sport;
	got.dport = dport;
	got.len = len;
	memcpy(got.data, data, len < sizeof(got.data) ? len : sizeof(got.data));
}

static int on_authz(void *arg, int inbound, const struct ax_cred *owner,
		    const struct ip_addr *src, uint16_t sport, const struct ip_addr *dst,
		    uint16_t dport, const uint8_t *data, size_t len)
{
	(void)arg;
	(void)owner;
	if (!inbound)
		return 1;
	(void)src;
	(void)dst;
	hook.n++;
	if (!hook.answer) { /* keep it, as the authorizer does */
		memcpy(hook.held, data, len);
		hook.held_len = len;
		hook.sport = sport;
		hook.dport = dport;
	}
	return hook.answer;
}

static int setup(void)
{
	if (fake_host_reset(&H, FAKE_PEER_IP, FAKE_PEER_MAC))
		return -1;
	memset(&got, 0, sizeof(got));
	memset(&hook, 0, sizeof(hook));
	fake_mark(&H);
	return 0;
}

/* A datagram from the peer: ulen overrides the UDP length field when not
 * 0; csum: 1 computed, 0 none, -1 wrong. */
static size_t udp_frame(uint16_t sport, uint16_t dport, const char *payload, size_t ulen, int csum)
{
	size_t plen = strlen(payload), off = fake_eth(f, FAKE_OUR_MAC, FAKE_PEER_MAC, 0x0800);
	uint8_t *ip = f + off, *u;
	uint32_t src = FAKE_PEER_IP, dst = FAKE_OUR_IP;

	off += fake_ipv4(ip, src, dst, 17, 0, 8 + plen);
	u = f + off;
	fake_put16(u, sport);
	fake_put16(u + 2, dport);
	fake_put16(u + 4, (uint16_t)(ulen ? ulen : 8 + plen));
	fake_put16(u + 6, 0);
	memcpy(u + 8, payload, plen);
	if (csum) {
		uint32_t sum = 0;
		uint8_t ph[12];
		uint16_t c;

		memcpy(ph, &src, 4);
		memcpy(ph + 4, &dst, 4);
		ph[8] = 0;
		ph[9] = 17;
		fake_put16(ph + 10, (uint16_t)(8 + plen));
		for (size_t i = 0; i < 12; i += 2)
			sum += (uint32_t)ph[i] << 8 | ph[i + 1];
		for (size_t i = 0; i < 8 + plen; i += 2)
			sum += (uint32_t)u[i] << 8 | (i + 1 < 8 + plen ? u[i + 1] : 0);
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		c = (uint16_t)~sum;
		if (csum < 0)
			c ^= 0x0101;
		fake_put16(u + 6, c ? c : 0xffff);
	}
	return off + 8 + plen;
}

#define RX(n) { AX_C_eth_rx, n }, { AX_C_ip_rx, n }, { AX_C_udp_rx, n }
/* A datagram to no socket draws a port unreachable (RFC 1122 4.1.3.1). */
#define TX_UNREACH { AX_C_eth_tx, 1 }, { AX_C_ip_tx, 1 }, { AX_C_udp_unreach_tx, 1 }, { AX_C_icmp_err_tx, 1 }

TEST(delivered_to_bound_port)
{
	REQUIRE(setup() == 0);
	CHECK_EQ(udp_bind(&H.s, 7, on_recv, NULL), 0);
	CHECK_EQ(udp_bind(&H.s, 7, on_recv, NULL), -EADDRINUSE);
	CHECK_EQ(udp_bind(&H.s, 0, on_recv, NULL), -EINVAL);
	fake_rx(&H, f, udp_frame(40000, 7, "hello", 0, 1));
	CHECK_CNT(&H, RX(1), { AX_C_udp_delivered, 1 });
	CHECK_EQ(got.n, 1);
	CHECK_EQ(got.sport, 40000);
	CHECK_EQ(got.dport, 7);
	CHECK_EQ(got.src, FAKE_PEER_IP);
	CHECK_EQ(got.len, 5);
	CHECK_MEM(got.data, "hello", 5);

	/* No checksum (0) is allowed over IPv4 (RFC 768). */
	fake_mark(&H);
	fake_rx(&H, f, udp_frame(40000, 7, "nocsum", 0, 0));
	CHECK_CNT(&H, RX(1), { AX_C_udp_delivered, 1 });
	CHECK_EQ(got.n, 2);
	stack_fini(&H.s);
}

TEST(bad_datagrams_counted)
{
	REQUIRE(setup() == 0);
	CHECK_EQ(udp_bind(&H.s, 7, on_recv, NULL), 0);
	fake_rx(&H, f, udp_frame(40000, 7, "hello", 0, -1));
	CHECK_CNT(&H, RX(1), { AX_C_udp_bad_csum, 1 });
	fake_mark(&H);
	fake_rx(&H, f, udp_frame(40000, 7, "hello", 7, 0));  /* shorter than a header */
	fake_rx(&H, f, udp_frame(40000, 7, "hello", 99, 0)); /* past the IP payload */
	CHECK_CNT(&H, RX(2), { AX_C_udp_malformed, 2 });
	fake_mark(&H);
	fake_rx(&H, f, udp_frame(40000, 8, "hello", 0, 1));  /* nobody on 8 */
	CHECK_CNT(&H, RX(1), { AX_C_udp_no_port, 1 }, TX_UNREACH);
	CHECK_EQ(got.n, 0);
	CHECK_EQ(H.nif.n, 1);
	udp_unbind(&H.s, 7);
	fake_mark(&H);
	fake_rx(&H, f, udp_frame(40000, 7, "hello", 0, 1));
	CHECK_CNT(&H, RX(1), { AX_C_udp_no_port, 1 }, TX_UNREACH);
	stack_fini(&H.s);
}

/* The hook sees only datagrams for bound ports; 0 keeps them from the
 * port until udp_deliver() brings them. */
TEST(authz_hold_and_deliver)
{
	REQUIRE(setup() == 0);
	CHECK_EQ(udp_bind(&H.s, 7, on_recv, NULL), 0);
	udp_set_admit(&H.s, on_authz, NULL);
	fake_rx(&H, f, udp_frame(40000, 8, "x", 0, 1));
	CHECK_EQ(hook.n, 0);
	fake_mark(&H);
	fake_rx(&H, f, udp_frame(40000, 7, "first", 0, 1));
	CHECK_CNT(&H, RX(1));
	CHECK_EQ(hook.n, 1);
	CHECK_EQ(got.n, 0);
	fake_mark(&H);
	udp_deliver(&H.s, FAKE_V4(FAKE_PEER_IP), hook.sport, FAKE_V4(FAKE_OUR_IP), hook.dport, hook.held, hook.held_len);
	CHECK_CNT(&H, { AX_C_udp_delivered, 1 });
	CHECK_EQ(got.n, 1);
	CHECK_MEM(got.data, "first", 5);
	hook.answer = 1;
	fake_rx(&H, f, udp_frame(40000, 7, "second", 0, 1));
	CHECK_EQ(hook.n, 2);
	CHECK_EQ(got.n, 2);
	CHECK_MEM(got.data, "second", 6);
	stack_fini(&H.s);
}

TEST(sendto_builds_a_datagram)
{
	const struct fake_frame *fr;
	const uint8_t *ip, *u;
	uint32_t sum = 0;
	size_t ulen, i;

	REQUIRE(setup() == 0);
	CHECK_EQ(udp_sendto(&H.s, NULL, FAKE_V4(FAKE_PEER_IP), 7, 40000, "reply!", 6), 0);
	CHECK_CNT(&H, { AX_C_udp_tx, 1 }, { AX_C_ip_tx, 1 }, { AX_C_eth_tx, 1 });
	fr = fake_frame(&H.nif, 0);
	REQUIRE(fr != NULL);
	ip = fr->data + ETH_HLEN_AX;
	CHECK_EQ(ip[9], 17);
	u = ip + 20;
	CHECK_EQ(fake_get16(u), 7);
	CHECK_EQ(fake_get16(u + 2), 40000);
	ulen = fake_get16(u + 4);
	CHECK_EQ(ulen, 14);
	CHECK_MEM(u + 8, "reply!", 6);
	/* The checksum verifies over the pseudo-header. */
	for (i = 12; i < 20; i += 2)
		sum += (uint32_t)ip[i] << 8 | ip[i + 1];
	sum += 17 + (uint32_t)ulen;
	for (i = 0; i < ulen; i += 2)
		sum += (uint32_t)u[i] << 8 | (i + 1 < ulen ? u[i + 1] : 0);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	CHECK_EQ(sum, 0xffff);
	/* Too big for the MTU: in two fragments (1480 bytes, then the
	 * rest), one identification; too big for a datagram: refused. */
	fake_mark(&H);
	{
		static uint8_t big[65508];

		CHECK_EQ(udp_sendto(&H.s, NULL, FAKE_V4(FAKE_PEER_IP), 7, 40000, big, 1500), 0);
		REQUIRE(H.nif.n == 2);
		CHECK_EQ(fake_get16(H.nif.frames[0].data + 14 + 2), 1500);
		CHECK_EQ(fake_get16(H.nif.frames[0].data + 14 + 6), IP_FLAG_MF);
		CHECK_EQ(fake_get16(H.nif.frames[1].data + 14 + 2), 20 + 1508 - 1480);
		CHECK_EQ(fake_get16(H.nif.frames[1].data + 14 + 6), 1480 / 8);
		CHECK_CNT(&H, { AX_C_udp_tx, 1 }, { AX_C_ip_tx, 2 }, { AX_C_eth_tx, 2 },
			  { AX_C_frag_tx, 2 }, { AX_C_frag_tx_datagrams, 1 });
		fake_mark(&H);
		CHECK_EQ(udp_sendto(&H.s, NULL, FAKE_V4(FAKE_PEER_IP), 7, 40000, big, 65508), -EMSGSIZE);
	}
	CHECK_EQ(H.nif.n, 0);
	stack_fini(&H.s);
}

/* RFC 768: "If not used, a value of zero is inserted" - source port 0 is
 * legal, and the kernel delivers such datagrams (recvfrom names port 0).
 * Replying to it is refused as Linux's udp_sendmsg does (EINVAL). */
TEST(source_port_zero_delivered)
{
	REQUIRE(setup() == 0);
	CHECK_EQ(udp_bind(&H.s, 7, on_recv, NULL), 0);
	fake_rx(&H, f, udp_frame(0, 7, "nosport", 0, 1));
	CHECK_CNT(&H, RX(1), { AX_C_udp_delivered, 1 });
	CHECK_EQ(got.n, 1);
	CHECK_EQ(got.sport, 0);
	CHECK_EQ(got.dport, 7);
	CHECK_EQ(got.len, 7);
	CHECK_MEM(got.data, "nosport", 7);
	/* Without a checksum too. */
	fake_mark(&H);
	fake_rx(&H, f, udp_frame(0, 7, "x", 0, 0));
	CHECK_CNT(&H, RX(1), { AX_C_udp_delivered, 1 });
	CHECK_EQ(got.n, 2);
	/* The hook sees it like any other datagram. */
	udp_set_admit(&H.s, on_authz, NULL);
	fake_mark(&H);
	fake_rx(&H, f, udp_frame(0, 7, "held", 0, 1));
	CHECK_CNT(&H, RX(1));
	CHECK_EQ(hook.n, 1);
	CHECK_EQ(hook.sport, 0);
	CHECK_EQ(hook.held_len, 4);
	/* An answer to port 0 does not leave. */
	fake_mark(&H);
	CHECK_EQ(udp_sendto(&H.s, NULL, FAKE_V4(FAKE_PEER_IP), 7, 0, "r", 1), -EINVAL);
	CHECK_EQ(H.nif.n, 0);
	CHECK_CNT(&H);
	stack_fini(&H.s);
}

/* RFC 1122 4.1.3.1: a datagram for no socket draws an ICMP port
 * unreachable quoting its IP header and the start of what followed; a
 * source gets AX_ICMP_ERR_SRC_BURST of them, then one a second. */
TEST(port_unreachable_sent_and_limited)
{
	struct fake_icmp_view v;
	size_t n = udp_frame(40000, 9, "probe", 0, 1);
	unsigned int i;

	REQUIRE(setup() == 0);
	fake_rx(&H, f, n);
	CHECK_CNT(&H, RX(1), { AX_C_udp_no_port, 1 }, TX_UNREACH);
	REQUIRE(fake_frame(&H.nif, 0) != NULL);
	REQUIRE(fake_parse_icmp(fake_frame(&H.nif, 0), &v) == 0);
	CHECK_EQ(v.proto, 1);
	CHECK_EQ(v.dst, FAKE_PEER_IP);
	CHECK_EQ(v.src, FAKE_OUR_IP);
	CHECK(v.ip_csum_ok);
	CHECK(v.icmp_csum_ok);
	CHECK_EQ(v.type, 3);
	CHECK_EQ(v.code, 3);
	CHECK_EQ(v.id, 0); /* the unused word */
	CHECK_EQ(v.seq, 0);
	/* The quote: the whole datagram (20 + 8 + 5 bytes), as sent. */
	CHECK_EQ(v.data_len, 33);
	CHECK_MEM(v.data, f + ETH_HLEN_AX, 33);
	fake_mark(&H);
	for (i = 0; i < AX_ICMP_ERR_SRC_BURST + 3; i++)
		fake_rx(&H, f, n);
	CHECK_EQ(H.nif.n, AX_ICMP_ERR_SRC_BURST - 1);
	CHECK_EQ(H.s.cnt[AX_C_udp_unreach_limited] - H.mark[AX_C_udp_unreach_limited], 4);
	/* A second later, one more. */
	stack_set_time(&H.s, H.s.now_ns + MS_TO_NS(1000));
	fake_mark(&H);
	fake_rx(&H, f, n);
	fake_rx(&H, f, n);
	CHECK_EQ(H.nif.n, 1);
	CHECK_EQ(H.s.cnt[AX_C_udp_unreach_limited] - H.mark[AX_C_udp_unreach_limited], 1);
	stack_fini(&H.s);
}

/* Many sockets on one port: the one connected to the source first, then
 * one bound to our address, then one bound to any (Linux compute_score). */
static struct {
	unsigned int n[3];
	int err[3];
} multi;

static void recv_k(void *arg, const struct ip_addr *src, uint16_t sport, uint16_t dport,
		   const uint8_t *data, size_t len)
{
	(void)src;
	(void)sport;
	(void)dport;
	(void)data;
	(void)len;
	multi.n[(uintptr_t)arg]++;
}

static void err_k(void *arg, int err)
{
	multi.err[(uintptr_t)arg] = err;
}

TEST(lookup_prefers_connected_then_bound_address)
{
	struct udp_pcb any, ours, conn;

	REQUIRE(setup() == 0);
	memset(&multi, 0, sizeof(multi));
	udp_pcb_init(&any, recv_k, err_k, (void *)0);
	udp_pcb_init(&ours, recv_k, err_k, (void *)1);
	udp_pcb_init(&conn, recv_k, err_k, (void *)2);
	any.lport = ours.lport = conn.lport = 53;
	ours.laddr = ip_addr_v4(FAKE_OUR_IP);
	conn.raddr = ip_addr_v4(FAKE_PEER_IP);
	conn.rport = 4000;
	REQUIRE(udp_pcb_insert(&H.s, &any) == 0);
	fake_rx(&H, f, udp_frame(4000, 53, "a", 0, 1));
	REQUIRE(udp_pcb_insert(&H.s, &ours) == 0);
	fake_rx(&H, f, udp_frame(4000, 53, "b", 0, 1));
	REQUIRE(udp_pcb_insert(&H.s, &conn) == 0);
	fake_rx(&H, f, udp_frame(4000, 53, "c", 0, 1));
	fake_rx(&H, f, udp_frame(4001, 53, "d", 0, 1)); /* not conn's peer */
	CHECK_EQ(multi.n[0], 1);
	CHECK_EQ(multi.n[1], 2);
	CHECK_EQ(multi.n[2], 1);
	CHECK(udp_lookup(&H.s, FAKE_V4(FAKE_OUR_IP), FAKE_V4(FAKE_PEER_IP), 4000, 53) == &conn);
	/* ICMP errors: only the connected socket of that flow hears. */
	CHECK_EQ(udp_icmp_unreach(&H.s, FAKE_V4(FAKE_OUR_IP), FAKE_V4(FAKE_PEER_IP), 53, 4000, 3), 1);
	CHECK_EQ(multi.err[2], -ECONNREFUSED);
	CHECK_EQ(udp_icmp_unreach(&H.s, FAKE_V4(FAKE_OUR_IP), FAKE_V4(FAKE_PEER_IP), 53, 4001, 3),
		 0); /* reaches `ours` */
	CHECK_EQ(udp_icmp_unreach(&H.s, FAKE_V4(FAKE_OUR_IP), FAKE_V4(FAKE_PEER_IP), 53, 4000, 4),
		 0); /* frag-needed: soft */
	CHECK_EQ(multi.err[1], 0);
	CHECK_EQ(multi.err[0], 0);
	udp_pcb_remove(&H.s, &conn);
	udp_pcb_remove(&H.s, &ours);
	udp_pcb_remove(&H.s, &any);
	CHECK(!udp_bound(&H.s, 53));
	stack_fini(&H.s);
}

/* Linux udp4 compute_score: an AF_INET socket on 0.0.0.0 outranks an
 * AF_INET6 one on [::] (dual stack) for IPv4, in whichever order they were
 * bound (both with SO_REUSEADDR); IPv6 reaches only the [::] one. */
TEST(lookup_prefers_ipv4_wildcard_over_dual_stack)
{
	struct udp_pcb v4, dual;
	struct ip_addr v6peer, v6ours;

	REQUIRE(setup() == 0);
	REQUIRE(ip_addr_parse("fd00::1", &v6ours) == 0);
	REQUIRE(ip_addr_parse("fd00::2", &v6peer) == 0);
	for (int order = 0; order < 2; order++) {
		udp_pcb_init(&v4, recv_k, err_k, (void *)0);
		udp_pcb_init(&dual, recv_k, err_k, (void *)1);
		v4.lport = dual.lport = 53;
		v4.laddr = ip_addr_any4;
		dual.laddr = ip_addr_any6;
		REQUIRE(udp_pcb_insert(&H.s, order ? &dual : &v4) == 0);
		REQUIRE(udp_pcb_insert(&H.s, order ? &v4 : &dual) == 0);
		CHECK(udp_lookup(&H.s, FAKE_V4(FAKE_OUR_IP), FAKE_V4(FAKE_PEER_IP), 4000, 53) == &v4);
		CHECK(udp_lookup(&H.s, &v6ours, &v6peer, 4000, 53) == &dual);
		udp_pcb_remove(&H.s, &v4);
		udp_pcb_remove(&H.s, &dual);
	}
	stack_fini(&H.s);
}

TEST_MAIN(T(delivered_to_bound_port), T(bad_datagrams_counted), T(authz_hold_and_deliver),
	  T(sendto_builds_a_datagram), T(source_port_zero_delivered),
	  T(port_unreachable_sent_and_limited), T(lookup_prefers_connected_then_bound_address),
	  T(lookup_prefers_ipv4_wildcard_over_dual_stack))
