/*
 * test_icmp_err.c - ip_send_error() (icmp_err.c), both families: when an
 * error is never sent (RFC 1122 3.2.2, RFC 4443 2.4(e)), the token buckets
 * per family and per destination (RFC 4443 2.4(f)), and the messages'
 * bytes (type, code, pointer, quote, checksums, size bounds).
 */
#include "ip6_helper.h"
#include "testlib.h"

#include "net/ip.h"

static struct fake_host H;
static uint8_t pkt[2048];

static void setup(void)
{
	REQUIRE(ip6_host_init(&H) == 0);
	fake_learn(&H, FAKE_PEER_IP, FAKE_PEER_MAC);
	fake_learn(&H, FAKE_GW_IP, FAKE_GW_MAC);
	ip6_learn(&H, &ip6_peer_g, FAKE_PEER_MAC);
	fake_mark(&H);
}

/* An IPv4 datagram src -> dst of protocol proto with n bytes of payload
 * (the first byte first_byte), as ip_rx. */
static struct ip_rx rx4(uint32_t src, uint32_t dst, uint8_t proto, uint8_t first_byte, size_t n)
{
	size_t h = fake_ipv4(pkt, src, dst, proto, 0, n);
	struct ip_rx rx = {
		.src = ip_addr_v4(src),
		.dst = ip_addr_v4(dst),
		.net = pkt,
		.net_len = h + n,
		.l4 = pkt + h,
		.l4_len = n,
		.family = 4,
		.proto = proto,
		.ttl = 64,
	};

	memset(pkt + h, 0x5a, n);
	pkt[h] = first_byte;
	return rx;
}

/* An IPv6 packet src -> dst whose payload (n bytes, first byte
 * first_byte) follows a chain of next header nh; ext: bytes of extension
 * headers placed first (their own next header fields set by the caller). */
static struct ip_rx rx6(const struct ip_addr *src, const struct ip_addr *dst, uint8_t nh,
			const uint8_t *ext, size_t extlen, uint8_t proto, uint8_t first_byte,
			size_t n)
{
	struct ip_rx rx = {
		.src = *src,
		.dst = *dst,
		.net = pkt,
		.net_len = 40 + extlen + n,
		.l4 = pkt + 40 + extlen,
		.l4_len = n,
		.family = 6,
		.proto = proto,
		.ttl = 64,
	};

	memset(pkt, 0, 40);
	pkt[0] = 0x60;
	fake_put16(pkt + 4, (uint16_t)(extlen + n));
	pkt[6] = nh;
	pkt[7] = 64;
	memcpy(pkt + 8, src->b, 16);
	memcpy(pkt + 24, dst->b, 16);
	if (extlen)
		memcpy(pkt + 40, ext, extlen);
	memset(pkt + 40 + extlen, 0x5a, n);
	pkt[40 + extlen] = first_byte;
	return rx;
}

static uint64_t moved(enum ax_counter c)
{
	return H.s.cnt[c] - H.mark[c];
}

/* RFC 1122 3.2.2: nothing about an ICMP error, a broadcast or multicast
 * (IP or link layer), a source that is not one host, or a fragment past
 * the first; everything else is answered. */
TEST(ipv4_never_about)
{
	struct ip_rx r;
	int sup = 0;

	setup();
	r = rx4(FAKE_PEER_IP, FAKE_OUR_IP, IP_PROTO_ICMP, 3 /* dest unreach */, 36);
	CHECK_EQ(ip_send_error(&H.s, &r, IP_ERR_PROTO_UNREACH, 0), -EPERM), sup++;
	r = rx4(FAKE_PEER_IP, FAKE_OUR_IP, IP_PROTO_ICMP, 11 /* time exceeded */, 36);
	CHECK_EQ(ip_send_error(&H.s, &r, IP_ERR_PROTO_UNREACH, 0), -EPERM), sup++;
	r = rx4(FAKE_PEER_IP, FAKE_OUR_IP, IP_PROTO_ICMP, 99 /* unknown: not a query */, 36);
	CHECK_EQ(ip_send_error(&H.s, &r, IP_ERR_PROTO_UNREACH, 0), -EPERM), sup++;
	r = rx4(FAKE_PEER_IP, 0xffffffffu, IP_PROTO_UDP, 0, 12);
	CHECK_EQ(ip_send_error(&H.s, &r, IP_ERR_PORT_UNREACH, 0), -EPERM), sup++;
	r = rx4(FAKE_PEER_IP, FAKE_SUBNET_BCAST, IP_PROTO_UDP, 0, 12);
	CHECK_EQ(ip_send_error(&H.s, &r, IP_ERR_PORT_UNREACH, 0), -EPERM), sup++;
	r = rx4(FAKE_PEER_IP, FAKE_IP(224, 0, 0, 251), IP_PROTO_UDP, 0, 12);
	CHECK_EQ(ip_send_error(&H.s, &r, IP_ERR_PORT_UNREACH, 0), -EPERM), sup++;
	r = rx4(FAKE_PEER_IP, FAKE_OUR_IP, IP_PROTO_UDP, 0, 12);
	r.l2_mcast = 1;
	CHECK_EQ(ip_send_error(&H.s, &r, IP_ERR_PORT_UNREACH, 0), -EPERM), sup++;
	r = rx4(FAKE_IP(0, 0, 0, 7), FAKE_OUR_IP, IP_PROTO_UDP, 0, 12);
	CHECK_EQ(ip_send_error(&H.s, &r, IP_ERR_PORT_UNREACH, 0), -EPERM), sup++;
	r = rx4(FAKE_IP(127, 0, 0, 1), FAKE_OUR_IP, IP_PROTO_UDP, 0, 12);
	CHECK_EQ(ip_send_error(&H.s, &r, IP_ERR_PORT_UNREACH, 0), -EPERM), sup++;
	r = rx4(FAKE_IP(240, 0, 0, 1), FAKE_OUR_IP, IP_PROTO_UDP, 0, 12);
	CHECK_EQ(ip_send_error(&H.s, &r, IP_ERR_PORT_UNREACH, 0), -EPERM), sup++;
	r = rx4(FAKE_SUBNET_BCAST, FAKE_OUR_IP, IP_PROTO_UDP, 0, 12);
	CHECK_EQ(ip_send_error(&H.s, &r, IP_ERR_PORT_UNREACH, 0), -EPERM), sup++;
	r = rx4(FAKE_PEER_IP, FAKE_OUR_IP, 132, 0, 12);
	fake_put16(pkt + 6, 0x2000 | 185); /* MF, offset 1480: a later fragment */
	CHECK_EQ(ip_send_error(&H.s, &r, IP_ERR_PROTO_UNREACH, 0), -EPERM), sup++;
	CHECK_EQ(moved(AX_C_icmp_err_suppressed), (uint64_t)sup);
	CHECK_EQ(H.nif.n, 0);

	/* The first fragment, an echo request, a reassembled datagram: yes. */
	fake_mark(&H);
	r = rx4(FAKE_PEER_IP, FAKE_OUR_IP, 132, 0, 12);
	fake_put16(pkt + 6, 0x2000);
	CHECK_EQ(ip_send_error(&H.s, &r, IP_ERR_PROTO_UNREACH, 0), 0);
	r = rx4(FAKE_PEER_IP, FAKE_OUR_IP, IP_PROTO_ICMP, 8 /* echo */, 36);
	CHECK_EQ(ip_send_error(&H.s, &r, IP_ERR_PROTO_UNREACH, 0), 0);
	r = rx4(FAKE_PEER_IP, FAKE_OUR_IP, 132, 0, 12);
	fake_put16(pkt + 6, 185);
	r.reassembled = 1;
	CHECK_EQ(ip_send_error(&H.s, &r, IP_ERR_REASM_TIMEOUT, 0), 0);
	CHECK_CNT(&H, { AX_C_icmp_err_tx, 3 }, { AX_C_ip_tx, 3 }, { AX_C_eth_tx, 3 });
	CHECK_EQ(H.nif.n, 3);
}

/* The IPv4 messages' bytes: type and code per error, the pointer of a
 * parameter problem, the quote whole when small and cut at 576 bytes in
 * all (RFC 1812 4.3.2.3), checksums right. */
TEST(ipv4_message_bytes)
{
	static const struct {
		enum ip_err e;
		uint32_t param;
		uint8_t type, code, word0;
	} cases[] = {
		{ IP_ERR_PORT_UNREACH, 0, 3, 3, 0 },
		{ IP_ERR_PROTO_UNREACH, 0, 3, 2, 0 },
		{ IP_ERR_REASM_TIMEOUT, 0, 11, 1, 0 },
		{ IP_ERR_PARAM_PROBLEM, 9, 12, 0, 9 },
	};
	struct fake_icmp_view v;
	struct ip_rx r;
	size_t i;

	setup();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fake_mark(&H);
		r = rx4(FAKE_PEER_IP, FAKE_OUR_IP, IP_PROTO_UDP, 0, 20);
		CHECK_EQ(ip_send_error(&H.s, &r, cases[i].e, cases[i].param), 0);
		REQUIRE(H.nif.n == 1);
		REQUIRE(fake_parse_icmp(fake_frame(&H.nif, 0), &v) == 0);
		CHECK_EQ(v.src, FAKE_OUR_IP);
		CHECK_EQ(v.dst, FAKE_PEER_IP);
		CHECK(v.ip_csum_ok && v.icmp_csum_ok);
		CHECK_EQ(v.type, cases[i].type);
		CHECK_EQ(v.code, cases[i].code);
		CHECK_EQ(v.id, (uint16_t)(cases[i].word0 << 8));
		CHECK_EQ(v.seq, 0);
		CHECK_EQ(v.data_len, 40);
		CHECK_MEM(v.data, pkt, 40);
		stack_set_time(&H.s, H.s.now_ns + MS_TO_NS(1000)); /* refill */
	}
	fake_mark(&H);
	r = rx4(FAKE_PEER_IP, FAKE_OUR_IP, 132, 0, 1400);
	CHECK_EQ(ip_send_error(&H.s, &r, IP_ERR_PROTO_UNREACH, 0), 0);
	REQUIRE(fake_parse_icmp(fake_frame(&H.nif, 0), &v) == 0);
	CHECK_EQ(v.tot_len, 576);
	CHECK_EQ(v.data_len, 576 - 20 - 8);
	CHECK_MEM(v.data, pkt, 576 - 28);
	CHECK(v.icmp_csum_ok);

	/* About a datagram to a second address of ours: from that address. */
	{
		struct ip_addr second = ip_addr_v4(FAKE_IP(10, 0, 0, 9));

		REQUIRE(stack_addr_add(&H.s, &second, 24, STACK_ADDR_F_STATIC) == 0);
	}
	fake_mark(&H);
	stack_set_time(&H.s, H.s.now_ns + MS_TO_NS(1000));
	r = rx4(FAKE_PEER_IP, FAKE_IP(10, 0, 0, 9), IP_PROTO_UDP, 0, 20);
	CHECK_EQ(ip_send_error(&H.s, &r, IP_ERR_PORT_UNREACH, 0), 0);
	REQUIRE(fake_parse_icmp(fake_frame(&H.nif, 0), &v) == 0);
	CHECK_EQ(v.src, FAKE_IP(10, 0, 0, 9));
	CHECK(v.ip_csum_ok && v.icmp_csum_ok);
}

/* RFC 4443 2.4(e): nothing about an ICMPv6 error or a redirect, a packet
 * to a group (but a parameter problem code 2), from :: or a group, or a
 * fragment past the first. */
TEST(ipv6_never_about)
{
	static const struct ip_addr grp = { { 0xff, 0x02, [15] = 0xfb } };
	uint8_t frag[8] = { 132, 0, 0, 0, 0, 0, 0, 1 };
	struct ip_rx r;
	int sup = 0;

	setup();
	r = rx6(&ip6_peer_g, &ip6_our_g, 58, NULL, 0, 58, 1 /* dest unreach */, 48);
	CHECK_EQ(ip_send_error(&H.s, &r, IP_ERR_PARAM_PROBLEM, 1u << 16), -EPERM), sup++;
	r = rx6(&ip6_peer_g, &ip6_our_g, 58, NULL, 0, 58, 137 /* redirect */, 48);
	CHECK_EQ(ip_send_error(&H.s, &r, IP_ERR_PARAM_PROBLEM, 1u << 16), -EPERM), sup++;
	r = rx6(&ip6_peer_g, &grp, 17, NULL, 0, 17, 0, 12);
	CHECK_EQ(ip_send_error(&H.s, &r, IP_ERR_PORT_UNREACH, 0), -EPERM), sup++;
	r = rx6(&ip6_peer_g, &ip6_our_g, 17, NULL, 0, 17, 0, 12);
	r.l2_mcast = 1;
	CHECK_EQ(ip_send_error(&H.s, &r, IP_ERR_PORT_UNREACH, 0), -EPERM), sup++;
	r = rx6(&ip_addr_any6, &ip6_our_g, 17, NULL, 0, 17, 0, 12);
	CHECK_EQ(ip_send_error(&H.s, &r, IP_ERR_PORT_UNREACH, 0), -EPERM), sup++;
	r = rx6(&grp, &ip6_our_g, 17, NULL, 0, 17, 0, 12);
	CHECK_EQ(ip_send_error(&H.s, &r, IP_ERR_PORT_UNREACH, 0), -EPERM), sup++;
	fake_put16(frag + 2, 1448); /* offset 181 x 8: not the first */
	r = rx6(&ip6_peer_g, &ip6_our_g, 44, frag, 8, 132, 0, 16);
	CHECK_EQ(ip_send_error(&H.s, &r, IP_ERR_PARAM_PROBLEM, 1u << 16 | 40), -EPERM), sup++;
	CHECK_EQ(moved(AX_C_icmp_err_suppressed), (uint64_t)sup);
	CHECK_EQ(H.nif.n, 0);

	/* A parameter problem code 2 may answer a packet to a group; an
	 * echo request and a first fragment are answered. */
	fake_mark(&H);
	r = rx6(&ip6_peer_g, &grp, 60, NULL, 0, 60, 0, 16);
	CHECK_EQ(ip_send_error(&H.s, &r, IP_ERR_PARAM_PROBLEM, 2u << 16 | 42), 0);
	r = rx6(&ip6_peer_g, &ip6_our_g, 58, NULL, 0, 58, 128 /* echo */, 16);
	CHECK_EQ(ip_send_error(&H.s, &r, IP_ERR_PARAM_PROBLEM, 1u << 16 | 6), 0);
	fake_put16(frag + 2, 1); /* offset 0, M */
	r = rx6(&ip6_peer_g, &ip6_our_g, 44, frag, 8, 132, 0, 16);
	CHECK_EQ(ip_send_error(&H.s, &r, IP_ERR_PARAM_PROBLEM, 1u << 16 | 40), 0);
	CHECK_CNT(&H, { AX_C_icmp6_err_tx, 3 }, { AX_C_ip6_tx, 3 }, { AX_C_eth_tx, 3 });
}

/* RFC 4443 2.4(e.1) through ipv6_input: an ICMPv6 error behind a
 * Destination Options header whose unknown option says "discard and
 * report" (type 0x80) draws nothing, as Linux's is_ineligible walks the
 * chain to the ICMPv6 type; the same header in front of an echo request
 * draws the parameter problem (code 2, pointing at the option). */
TEST(ipv6_no_error_about_error_behind_ext_headers)
{
	uint8_t m[8 + 8 + 40], f[256];
	size_t i;

	setup();
	memset(m, 0, sizeof(m));
	m[0] = IP6_NH_ICMPV6; /* Destination Options, 8 bytes */
	m[1] = 0;
	m[2] = 0x80; /* unknown, top bits 10: discard, report */
	m[3] = 4;
	m[8] = 1; /* destination unreachable, port: an error */
	m[9] = 4;
	for (i = 16; i < sizeof(m); i++)
		m[i] = (uint8_t)i;
	fake_put16(m + 10, ip6_csum(&ip6_peer_g, &ip6_our_g, IP6_NH_ICMPV6, m + 8,
				    sizeof(m) - 8));
	fake_rx(&H, f, ip6_frame(f, FAKE_OUR_MAC, FAKE_PEER_MAC, &ip6_peer_g, &ip6_our_g,
				 IP6_NH_DSTOPTS, 64, m, sizeof(m)));
	CHECK_EQ(H.nif.n, 0);
	CHECK_EQ(moved(AX_C_ip6_bad_option), 1);
	CHECK_EQ(moved(AX_C_icmp_err_suppressed), 1);
	CHECK_EQ(moved(AX_C_icmp6_err_tx), 0);

	fake_mark(&H);
	m[8] = 128; /* echo request: not an error */
	m[9] = 0;
	m[10] = m[11] = 0;
	fake_put16(m + 10, ip6_csum(&ip6_peer_g, &ip6_our_g, IP6_NH_ICMPV6, m + 8,
				    sizeof(m) - 8));
	fake_rx(&H, f, ip6_frame(f, FAKE_OUR_MAC, FAKE_PEER_MAC, &ip6_peer_g, &ip6_our_g,
				 IP6_NH_DSTOPTS, 64, m, sizeof(m)));
	CHECK_EQ(H.nif.n, 1);
	CHECK_EQ(moved(AX_C_icmp6_err_tx), 1);
	CHECK_EQ(moved(AX_C_icmp_err_suppressed), 0);
}

/* The IPv6 messages: type/code per error, the pointer, the quote within
 * 1280 bytes (RFC 4443 2.4(c)), from the address the packet was sent to. */
TEST(ipv6_message_bytes)
{
	static const struct {
		enum ip_err e;
		uint32_t param;
		uint8_t type, code;
		uint32_t word;
	} cases[] = {
		{ IP_ERR_PORT_UNREACH, 0, 1, 4, 0 },
		{ IP_ERR_PROTO_UNREACH, 6, 4, 1, 6 },
		{ IP_ERR_REASM_TIMEOUT, 0, 3, 1, 0 },
		{ IP_ERR_PARAM_PROBLEM, 2u << 16 | 42, 4, 2, 42 },
	};
	struct ip6_view v;
	struct ip_rx r;
	size_t i;

	setup();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fake_mark(&H);
		r = rx6(&ip6_peer_g, &ip6_our_g, 17, NULL, 0, 17, 0, 20);
		CHECK_EQ(ip_send_error(&H.s, &r, cases[i].e, cases[i].param), 0);
		REQUIRE(H.nif.n == 1);
		REQUIRE(ip6_parse(fake_frame(&H.nif, 0), &v) == 0);
		CHECK(ip_addr_eq(&v.src, &ip6_our_g));
		CHECK(ip_addr_eq(&v.dst, &ip6_peer_g));
		CHECK_EQ(v.nh, 58);
		CHECK(v.csum_ok);
		CHECK_EQ(v.pl[0], cases[i].type);
		CHECK_EQ(v.pl[1], cases[i].code);
		CHECK_EQ((uint32_t)v.pl[4] << 24 | v.pl[5] << 16 | v.pl[6] << 8 | v.pl[7],
			 cases[i].word);
		CHECK_EQ(v.plen, 8 + 60);
		CHECK_MEM(v.pl + 8, pkt, 60);
		stack_set_time(&H.s, H.s.now_ns + MS_TO_NS(1000));
	}
	fake_mark(&H);
	r = rx6(&ip6_peer_g, &ip6_our_g, 17, NULL, 0, 17, 0, 1400);
	CHECK_EQ(ip_send_error(&H.s, &r, IP_ERR_PORT_UNREACH, 0), 0);
	REQUIRE(ip6_parse(fake_frame(&H.nif, 0), &v) == 0);
	CHECK_EQ(v.plen, 1280 - 40);
	CHECK_MEM(v.pl + 8, pkt, 1280 - 48);
	CHECK(v.csum_ok);
}

/* A destination gets AX_ICMP_ERR_SRC_BURST, then one a second; the family
 * gets AX_ICMP_ERR_BURST over all destinations, then AX_ICMP_ERR_RATE a
 * second; each family has its own bucket; limited ones are counted. */
TEST(rate_limited_per_destination_and_family)
{
	struct ip_rx r;
	unsigned int i, ok = 0;

	setup();
	for (i = 0; i < AX_ICMP_ERR_SRC_BURST + 2; i++) {
		r = rx4(FAKE_PEER_IP, FAKE_OUR_IP, IP_PROTO_UDP, 0, 12);
		ok += ip_send_error(&H.s, &r, IP_ERR_PORT_UNREACH, 0) == 0;
	}
	CHECK_EQ(ok, AX_ICMP_ERR_SRC_BURST);
	CHECK_EQ(moved(AX_C_icmp_err_rate_limited), 2);
	/* IPv6 to the same peer: its own family, its own destination. */
	r = rx6(&ip6_peer_g, &ip6_our_g, 17, NULL, 0, 17, 0, 12);
	CHECK_EQ(ip_send_error(&H.s, &r, IP_ERR_PORT_UNREACH, 0), 0);
	CHECK_EQ(moved(AX_C_icmp6_err_rate_limited), 0);
	/* A second later, one more for the peer. */
	stack_set_time(&H.s, H.s.now_ns + MS_TO_NS(1000));
	fake_mark(&H);
	r = rx4(FAKE_PEER_IP, FAKE_OUR_IP, IP_PROTO_UDP, 0, 12);
	CHECK_EQ(ip_send_error(&H.s, &r, IP_ERR_PORT_UNREACH, 0), 0);
	CHECK_EQ(ip_send_error(&H.s, &r, IP_ERR_PORT_UNREACH, 0), -EAGAIN);
	CHECK_EQ(moved(AX_C_icmp_err_rate_limited), 1);

	/* Many destinations (off-link, through the gateway): the family's
	 * burst, then nothing until it refills; IPv6 is untouched. */
	setup();
	ok = 0;
	for (i = 0; i < AX_ICMP_ERR_BURST + 10; i++) {
		r = rx4(FAKE_IP(192, 0, 2 + i / 200, 1 + i % 200), FAKE_OUR_IP, IP_PROTO_UDP, 0, 12);
		ok += ip_send_error(&H.s, &r, IP_ERR_PORT_UNREACH, 0) == 0;
	}
	CHECK_EQ(ok, AX_ICMP_ERR_BURST);
	CHECK_EQ(moved(AX_C_icmp_err_rate_limited), 10);
	CHECK_EQ(moved(AX_C_icmp_err_tx), AX_ICMP_ERR_BURST);
	r = rx6(&ip6_peer_g, &ip6_our_g, 17, NULL, 0, 17, 0, 12);
	CHECK_EQ(ip_send_error(&H.s, &r, IP_ERR_PORT_UNREACH, 0), 0);
	/* 10 ms: AX_ICMP_ERR_RATE / 100 more. */
	stack_set_time(&H.s, H.s.now_ns + MS_TO_NS(10));
	ok = 0;
	for (i = 0; i < 20; i++) {
		r = rx4(FAKE_IP(198, 51, 100, 1 + i), FAKE_OUR_IP, IP_PROTO_UDP, 0, 12);
		ok += ip_send_error(&H.s, &r, IP_ERR_PORT_UNREACH, 0) == 0;
	}
	CHECK_EQ(ok, AX_ICMP_ERR_RATE / 100);
}

TEST_MAIN(T(ipv4_never_about), T(ipv4_message_bytes), T(ipv6_never_about),
	  T(ipv6_no_error_about_error_behind_ext_headers),
	  T(ipv6_message_bytes), T(rate_limited_per_destination_and_family))
