/*
 * test_ipv6.c - IPv6 input and output (RFC 8200) and ICMPv6 echo
 * (RFC 4443) through a fake device: header checks, the extension header
 * chain in order with its parameter problems, atomic fragments, the
 * bounded chain, echo both ways with exact bytes and checksums.
 */
#include "ip6_helper.h"
#include "testlib.h"

static struct fake_host H;
static uint8_t f[2048], m[1600];
static const struct ip_addr *peer = &ip6_peer_g;

static int setup(void)
{
	if (ip6_host_init(&H))
		return -1;
	ip6_learn(&H, peer, FAKE_PEER_MAC);
	fake_mark(&H);
	return 0;
}

/* A packet from the peer to fd00::1 whose payload is pl (starting with
 * next header nh); echo requests are completed with their checksum by
 * the caller. */
static void rx6(uint8_t nh, const uint8_t *pl, size_t len)
{
	fake_rx(&H, f, ip6_frame(f, FAKE_OUR_MAC, FAKE_PEER_MAC, peer, &ip6_our_g, nh, 64, pl, len));
}

/* The one frame sent is a parameter problem of code and pointer, quoting
 * the packet from its IPv6 header. */
static int sent_param_problem(uint8_t code, uint32_t ptr)
{
	struct ip6_view v;

	if (H.nif.n != 1 || ip6_parse(fake_frame(&H.nif, 0), &v) < 0)
		return 0;
	return v.nh == 58 && v.csum_ok && v.pl[0] == ICMP6_PARAM_PROBLEM && v.pl[1] == code &&
	       fake_get32(v.pl + 4) == ptr && ip_addr_eq(&v.dst, peer) &&
	       ip_addr_eq(&v.src, &ip6_our_g) && (v.pl[8] >> 4) == 6 &&
	       memcmp(v.eth_dst, FAKE_PEER_MAC, 6) == 0;
}

/* An echo request of n data bytes behind ext (extension headers, elen
 * bytes, whose last next header must be 58). */
static size_t echo_behind(uint8_t *pl, const uint8_t *ext, size_t elen, size_t n)
{
	size_t len;

	if (elen)
		memcpy(pl, ext, elen);
	len = ip6_echo(pl + elen, ICMP6_ECHO_REQUEST, 0x1234, 7, n);
	ip6_icmp_fix(pl + elen, len, peer, &ip6_our_g);
	return elen + len;
}

static int sent_echo_reply(size_t n)
{
	struct ip6_view v;
	size_t i;

	if (H.nif.n != 1 || ip6_parse(fake_frame(&H.nif, 0), &v) < 0)
		return 0;
	if (v.nh != 58 || !v.csum_ok || v.pl[0] != ICMP6_ECHO_REPLY || v.pl[1] != 0 ||
	    fake_get16(v.pl + 4) != 0x1234 || fake_get16(v.pl + 6) != 7 || v.plen != 8 + n ||
	    v.hops != 64 || !ip_addr_eq(&v.dst, peer) || !ip_addr_eq(&v.src, &ip6_our_g) ||
	    memcmp(v.eth_dst, FAKE_PEER_MAC, 6) != 0 || memcmp(v.eth_src, FAKE_OUR_MAC, 6) != 0)
		return 0;
	for (i = 0; i < n; i++)
		if (v.pl[8 + i] != (uint8_t)i)
			return 0;
	return 1;
}

TEST(echo_request_answered)
{
	REQUIRE(setup() == 0);
	rx6(58, m, echo_behind(m, NULL, 0, 56));
	CHECK(sent_echo_reply(56));
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_ip6_rx, 1 }, { AX_C_icmp6_rx, 1 },
		  { AX_C_icmp6_echo_rx, 1 }, { AX_C_icmp6_echo_reply_tx, 1 }, { AX_C_ip6_tx, 1 },
		  { AX_C_eth_tx, 1 });
}

/* To the link-local address, from the peer's: answered from ours. */
TEST(echo_to_link_local_answered)
{
	struct ip_addr ours = ip6_ll(FAKE_OUR_MAC), theirs = ip6_ll(FAKE_PEER_MAC);
	struct ip6_view v;
	size_t len;

	REQUIRE(setup() == 0);
	ip6_learn(&H, &theirs, FAKE_PEER_MAC);
	len = ip6_echo(m, ICMP6_ECHO_REQUEST, 1, 1, 8);
	ip6_rx_icmp(&H, FAKE_OUR_MAC, FAKE_PEER_MAC, &theirs, &ours, 64, m, len);
	REQUIRE(H.nif.n == 1);
	REQUIRE(ip6_parse(fake_frame(&H.nif, 0), &v) == 0);
	CHECK(v.csum_ok);
	CHECK_EQ(v.pl[0], ICMP6_ECHO_REPLY);
	CHECK(ip_addr_eq(&v.src, &ours));
	CHECK(ip_addr_eq(&v.dst, &theirs));
}

/* The reply to an unknown peer waits for ND: a solicitation to its
 * solicited-node group, then the reply when the advertisement comes. */
TEST(echo_reply_waits_for_resolution)
{
	static const struct ip_addr other = { { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3 } };
	struct ip_addr sn = ip6_sn(&other);
	struct ip6_view v;
	size_t len;
	uint8_t mac[6];

	REQUIRE(setup() == 0);
	len = ip6_echo(m, ICMP6_ECHO_REQUEST, 0x1234, 7, 4);
	ip6_rx_icmp(&H, FAKE_OUR_MAC, FAKE_OTHER_MAC, &other, &ip6_our_g, 64, m, len);
	REQUIRE(H.nif.n == 1);
	REQUIRE(ip6_parse(fake_frame(&H.nif, 0), &v) == 0);
	ip6_mcast_mac(&sn, mac);
	CHECK_MEM(v.eth_dst, mac, 6);
	CHECK(ip_addr_eq(&v.dst, &sn));
	CHECK(ip_addr_eq(&v.src, &ip6_our_g));
	CHECK_EQ(v.hops, 255);
	CHECK(v.csum_ok);
	CHECK_EQ(v.plen, 32);
	CHECK_EQ(v.pl[0], ND_NS);
	CHECK_MEM(v.pl + 8, other.b, 16);
	CHECK_EQ(v.pl[24], ND_OPT_SLLAO);
	CHECK_MEM(v.pl + 26, FAKE_OUR_MAC, 6);
	CHECK_EQ(neigh_lookup(&H.s.neigh, &other)->state, NEIGH_INCOMPLETE);
	fake_mark(&H);
	len = ip6_na(m, ND_NA_F_SOLICITED | ND_NA_F_OVERRIDE, &other, FAKE_OTHER_MAC);
	ip6_rx_icmp(&H, FAKE_OUR_MAC, FAKE_OTHER_MAC, &other, &ip6_our_g, 255, m, len);
	REQUIRE(H.nif.n == 1);
	REQUIRE(ip6_parse(fake_frame(&H.nif, 0), &v) == 0);
	CHECK_EQ(v.pl[0], ICMP6_ECHO_REPLY);
	CHECK_MEM(v.eth_dst, FAKE_OTHER_MAC, 6);
	CHECK(v.csum_ok);
	CHECK_EQ(neigh_lookup(&H.s.neigh, &other)->state, NEIGH_REACHABLE);
	CHECK(fake_arp_invariants(&H.s) == NULL);
}

static int replies, reply_seq, reply_family;
static struct ip_addr reply_from;

static void on_reply(void *arg, const struct icmp_echo_reply *r)
{
	(void)arg;
	replies++;
	reply_seq = r->seq;
	reply_family = r->family;
	reply_from = r->src6;
}

TEST(ping_out_and_reply_in)
{
	struct ip6_view v;
	static const uint8_t data[5] = "abcd";
	size_t len;

	REQUIRE(setup() == 0);
	H.s.echo_reply_cb = on_reply;
	replies = 0;
	CHECK_EQ(icmp6_send_echo(&H.s, peer, 0x77, 3, data, sizeof(data)), 0);
	REQUIRE(H.nif.n == 1);
	REQUIRE(ip6_parse(fake_frame(&H.nif, 0), &v) == 0);
	CHECK(v.csum_ok);
	CHECK_EQ(v.pl[0], ICMP6_ECHO_REQUEST);
	CHECK_EQ(fake_get16(v.pl + 4), 0x77);
	CHECK_EQ(fake_get16(v.pl + 6), 3);
	CHECK_MEM(v.pl + 8, data, sizeof(data));
	CHECK_EQ(v.hops, 64);
	CHECK_MEM(v.eth_dst, FAKE_PEER_MAC, 6);
	len = ip6_echo(m, ICMP6_ECHO_REPLY, 0x77, 3, 0);
	ip6_rx_icmp(&H, FAKE_OUR_MAC, FAKE_PEER_MAC, peer, &ip6_our_g, 64, m, len);
	CHECK_EQ(replies, 1);
	CHECK_EQ(reply_seq, 3);
	CHECK_EQ(reply_family, 6);
	CHECK(ip_addr_eq(&reply_from, peer));
	/* Off-link with no router: no route. */
	CHECK_EQ(icmp6_send_echo(&H.s, &ip6_far, 1, 1, NULL, 0), -ENETUNREACH);
}

TEST(bad_checksum_dropped)
{
	size_t len;

	REQUIRE(setup() == 0);
	len = echo_behind(m, NULL, 0, 8);
	m[10] ^= 1;
	rx6(58, m, len);
	CHECK_EQ(H.nif.n, 0);
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_ip6_rx, 1 }, { AX_C_icmp6_rx, 1 },
		  { AX_C_icmp6_bad_csum, 1 });
}

TEST(header_checks)
{
	size_t len, n;
	static const struct ip_addr mc_src = { { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 } };
	static const struct ip_addr other = { { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9 } };

	REQUIRE(setup() == 0);
	len = echo_behind(m, NULL, 0, 8);
	/* Version 4 in an IPv6 frame. */
	n = ip6_frame(f, FAKE_OUR_MAC, FAKE_PEER_MAC, peer, &ip6_our_g, 58, 64, m, len);
	f[14] = 0x40;
	fake_rx(&H, f, n);
	/* Payload length past the frame. */
	n = ip6_frame(f, FAKE_OUR_MAC, FAKE_PEER_MAC, peer, &ip6_our_g, 58, 64, m, len);
	fake_put16(f + 18, (uint16_t)(len + 1));
	fake_rx(&H, f, n);
	/* Shorter than the header. */
	fake_rx(&H, f, ETH_HLEN_AX + 39);
	CHECK_CNT(&H, { AX_C_eth_rx, 3 }, { AX_C_ip6_rx, 3 }, { AX_C_ip6_malformed, 3 });
	fake_mark(&H);
	/* A multicast source, another destination, ::1. */
	fake_rx(&H, f, ip6_frame(f, FAKE_OUR_MAC, FAKE_PEER_MAC, &mc_src, &ip6_our_g, 58, 64, m, len));
	fake_rx(&H, f, ip6_frame(f, FAKE_OUR_MAC, FAKE_PEER_MAC, peer, &other, 58, 64, m, len));
	CHECK_CNT(&H, { AX_C_eth_rx, 2 }, { AX_C_ip6_rx, 2 }, { AX_C_ip6_martian, 1 },
		  { AX_C_ip6_not_ours, 1 });
	fake_mark(&H);
	/* Unicast to us in a multicast frame (all-nodes MAC). */
	fake_rx(&H, f, ip6_frame(f, (const uint8_t[6]){ 0x33, 0x33, 0, 0, 0, 1 }, FAKE_PEER_MAC,
				 peer, &ip6_our_g, 58, 64, m, len));
	/* A multicast frame of a group we are not in: not even looked at. */
	fake_rx(&H, f, ip6_frame(f, (const uint8_t[6]){ 0x33, 0x33, 0xff, 0, 0, 9 }, FAKE_PEER_MAC,
				 peer, &ip6_our_g, 58, 64, m, len));
	/* A TCP segment from :: (only ND may use it). */
	fake_rx(&H, f, ip6_frame(f, FAKE_OUR_MAC, FAKE_PEER_MAC, &ip_addr_any6, &ip6_our_g, 6,
				 64, m, 20));
	CHECK_CNT(&H, { AX_C_eth_rx, 3 }, { AX_C_ip6_rx, 2 }, { AX_C_ip6_l2_mcast, 1 },
		  { AX_C_eth_not_ours, 1 }, { AX_C_ip6_martian, 1 });
	CHECK_EQ(H.nif.n, 0);
}

/* Extension headers that let the packet through: hop-by-hop first (PadN,
 * router alert), destination options with an unknown skippable option,
 * a routing header with no segments left. */
TEST(extension_headers_walked)
{
	uint8_t ext[48];

	REQUIRE(setup() == 0);
	memset(ext, 0, sizeof(ext));
	/* HBH (8 bytes): nh 60, len 0, router alert (5,2,0,0), Pad1 x2. */
	ext[0] = 60;
	ext[2] = 5, ext[3] = 2;
	/* DST (8): nh 43, len 0, option 0x1e (action 00) len 4. */
	ext[8] = 43;
	ext[10] = 0x1e, ext[11] = 4;
	/* Routing (8): nh 58, len 0, type 4, segments left 0. */
	ext[16] = 58;
	ext[18] = 4;
	rx6(0, m, echo_behind(m, ext, 24, 8));
	CHECK(sent_echo_reply(8));
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_ip6_rx, 1 }, { AX_C_icmp6_rx, 1 },
		  { AX_C_icmp6_echo_rx, 1 }, { AX_C_icmp6_echo_reply_tx, 1 }, { AX_C_ip6_tx, 1 },
		  { AX_C_eth_tx, 1 });
}

TEST(hop_by_hop_not_first_is_param_problem)
{
	uint8_t ext[16] = { 0 };

	REQUIRE(setup() == 0);
	ext[0] = 0;  /* DST, then HBH: out of order */
	ext[2] = 1, ext[3] = 4; /* PadN */
	ext[8] = 58;
	ext[10] = 1, ext[11] = 4;
	rx6(60, m, echo_behind(m, ext, 16, 0));
	/* Pointer: the next header field that named it (the DST header's,
	 * at offset 40). */
	CHECK(sent_param_problem(1, 40));
	CHECK_CNT(&H, { AX_C_icmp6_err_tx, 1 }, { AX_C_eth_rx, 1 }, { AX_C_ip6_rx, 1 }, { AX_C_ip6_bad_ext, 1 },
		  { AX_C_ip6_tx, 1 }, { AX_C_eth_tx, 1 });
}

TEST(unknown_next_header_is_param_problem)
{
	uint8_t pl[16] = { 0 };

	REQUIRE(setup() == 0);
	rx6(253, pl, sizeof(pl));
	CHECK(sent_param_problem(1, 6));
	CHECK_CNT(&H, { AX_C_icmp6_err_tx, 1 }, { AX_C_eth_rx, 1 }, { AX_C_ip6_rx, 1 }, { AX_C_ip6_unknown_nh, 1 },
		  { AX_C_ip6_tx, 1 }, { AX_C_eth_tx, 1 });
	/* Behind a destination options header: the pointer is its field. */
	fake_mark(&H);
	pl[0] = 253;
	pl[2] = 1, pl[3] = 4;
	rx6(60, pl, sizeof(pl));
	CHECK(sent_param_problem(1, 40));
}

TEST(routing_header_with_segments_left_is_param_problem)
{
	uint8_t ext[24] = { 0 };

	REQUIRE(setup() == 0);
	ext[0] = 58;
	ext[1] = 2;  /* 24 bytes */
	ext[2] = 0;  /* type 0 (RFC 5095) */
	ext[3] = 1;  /* one segment left */
	rx6(43, m, echo_behind(m, ext, 24, 0));
	CHECK(sent_param_problem(0, 42));
	CHECK_CNT(&H, { AX_C_icmp6_err_tx, 1 }, { AX_C_eth_rx, 1 }, { AX_C_ip6_rx, 1 }, { AX_C_ip6_routing_hdr, 1 },
		  { AX_C_ip6_tx, 1 }, { AX_C_eth_tx, 1 });
}

/* RFC 8200 4.2: the two top bits of an unknown option's type. */
TEST(option_action_bits)
{
	uint8_t ext[8] = { 58, 0, 0, 4 };
	size_t len;

	REQUIRE(setup() == 0);
	ext[2] = 0x45; /* 01: discard quietly */
	rx6(60, m, echo_behind(m, ext, 8, 0));
	CHECK_EQ(H.nif.n, 0);
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_ip6_rx, 1 }, { AX_C_ip6_bad_option, 1 });
	fake_mark(&H);
	ext[2] = 0x85; /* 10: discard, parameter problem code 2 at the type */
	rx6(60, m, echo_behind(m, ext, 8, 0));
	CHECK(sent_param_problem(2, 42));
	fake_mark(&H);
	ext[2] = 0xc5; /* 11: the same to unicast... */
	rx6(60, m, echo_behind(m, ext, 8, 0));
	CHECK(sent_param_problem(2, 42));
	fake_mark(&H);
	/* ...but not to a group. */
	memcpy(m, ext, 8);
	len = ip6_echo(m + 8, ICMP6_ECHO_REQUEST, 1, 1, 0);
	ip6_icmp_fix(m + 8, len, peer, &ip6_all_nodes);
	fake_rx(&H, f, ip6_frame(f, (const uint8_t[6]){ 0x33, 0x33, 0, 0, 0, 1 }, FAKE_PEER_MAC,
				 peer, &ip6_all_nodes, 60, 64, m, 8 + len));
	CHECK_EQ(H.nif.n, 0);
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_ip6_rx, 1 }, { AX_C_ip6_bad_option, 1 });
	fake_mark(&H);
	/* An option running past its header. */
	ext[2] = 0x1e;
	ext[3] = 9;
	rx6(60, m, echo_behind(m, ext, 8, 0));
	CHECK_EQ(H.nif.n, 0);
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_ip6_rx, 1 }, { AX_C_ip6_bad_ext, 1 });
}

TEST(chain_bounded)
{
	uint8_t ext[8 * (AX_IP6_EXT_MAX + 1)];
	unsigned int i;

	REQUIRE(setup() == 0);
	memset(ext, 0, sizeof(ext));
	/* AX_IP6_EXT_MAX destination options headers pass... */
	for (i = 0; i < AX_IP6_EXT_MAX; i++) {
		ext[8 * i] = i + 1 < AX_IP6_EXT_MAX ? 60 : 58;
		ext[8 * i + 2] = 1, ext[8 * i + 3] = 4;
	}
	rx6(60, m, echo_behind(m, ext, 8 * AX_IP6_EXT_MAX, 0));
	CHECK(sent_echo_reply(0));
	fake_mark(&H);
	/* ...one more does not. */
	for (i = 0; i <= AX_IP6_EXT_MAX; i++) {
		ext[8 * i] = i < AX_IP6_EXT_MAX ? 60 : 58;
		ext[8 * i + 2] = 1, ext[8 * i + 3] = 4;
	}
	rx6(60, m, echo_behind(m, ext, 8 * (AX_IP6_EXT_MAX + 1), 0));
	CHECK_EQ(H.nif.n, 0);
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_ip6_rx, 1 }, { AX_C_ip6_ext_too_many, 1 });
	fake_mark(&H);
	/* A header running past the packet. */
	ext[0] = 58;
	ext[1] = 3;
	rx6(60, ext, 16);
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_ip6_rx, 1 }, { AX_C_ip6_bad_ext, 1 });
}

TEST(fragments)
{
	uint8_t ext[8] = { 58, 0, 0, 0, 0, 0, 0, 1 };

	REQUIRE(setup() == 0);
	/* Offset 0, M 0: an atomic fragment (RFC 8021). */
	rx6(44, m, echo_behind(m, ext, 8, 8));
	CHECK_EQ(H.nif.n, 0);
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_ip6_rx, 1 }, { AX_C_ip6_atomic_frag, 1 });
	fake_mark(&H);
	ext[3] = 1; /* M */
	rx6(44, m, echo_behind(m, ext, 8, 8));
	CHECK_EQ(H.nif.n, 0);
	/* A first fragment (M): held for reassembly (frag.c, test_frag.c). */
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_ip6_rx, 1 }, { AX_C_frag_rx, 1 },
		  { AX_C_frag_bufs_peak, 1 });
}

static int udp_errs, udp_last_err;

static void udp_rx_none(void *arg, const struct ip_addr *src, uint16_t sport, uint16_t dport,
			const uint8_t *data, size_t len)
{
	(void)arg, (void)src, (void)sport, (void)dport, (void)data, (void)len;
}

static void udp_err_seen(void *arg, int err)
{
	(void)arg;
	udp_errs++;
	udp_last_err = err;
}

/* An ICMPv6 error quoting a UDP datagram from fd00::1 port 53 to the
 * peer's port 4000 (RFC 4443 2.4(c): the invoking packet's header first). */
static size_t udp_error_msg(uint8_t type, uint8_t code, const struct ip_addr *qsrc)
{
	uint8_t *q = m + 8;

	memset(m, 0, 8 + 40 + 8);
	m[0] = type;
	m[1] = code;
	fake_put32(q, 6u << 28);
	fake_put16(q + 4, 8);
	q[6] = IP6_NH_UDP;
	q[7] = 64;
	memcpy(q + 8, qsrc->b, 16);
	memcpy(q + 24, peer->b, 16);
	fake_put16(q + 40, 53);
	fake_put16(q + 42, 4000);
	fake_put16(q + 44, 8);
	ip6_icmp_fix(m, 8 + 48, peer, &ip6_our_g);
	return 8 + 48;
}

/* ICMPv6 errors reach the connected UDP socket of the quoted flow with
 * Linux's errno (icmpv6_err_convert): hard ones only. */
TEST(errors_reach_connected_udp)
{
	struct udp_pcb pcb;

	REQUIRE(setup() == 0);
	udp_errs = 0;
	udp_pcb_init(&pcb, udp_rx_none, udp_err_seen, NULL);
	pcb.laddr = ip6_our_g;
	pcb.raddr = *peer;
	pcb.lport = 53;
	pcb.rport = 4000;
	REQUIRE(udp_pcb_insert(&H.s, &pcb) == 0);
	rx6(58, m, udp_error_msg(ICMP6_DEST_UNREACH, 4, &ip6_our_g));
	CHECK_EQ(udp_errs, 1);
	CHECK_EQ(udp_last_err, -ECONNREFUSED);
	rx6(58, m, udp_error_msg(ICMP6_DEST_UNREACH, 1, &ip6_our_g));
	CHECK_EQ(udp_last_err, -EACCES);
	rx6(58, m, udp_error_msg(ICMP6_PARAM_PROBLEM, 1, &ip6_our_g));
	CHECK_EQ(udp_last_err, -EPROTO);
	CHECK_EQ(udp_errs, 3);
	CHECK_CNT(&H, { AX_C_eth_rx, 3 }, { AX_C_ip6_rx, 3 }, { AX_C_icmp6_rx, 3 },
		  { AX_C_icmp6_unreach_rx, 2 }, { AX_C_icmp6_param_problem_rx, 1 },
		  { AX_C_udp_icmp_err, 3 });
	fake_mark(&H);
	/* Soft: time exceeded. Not ours: a quote from another source. */
	rx6(58, m, udp_error_msg(ICMP6_TIME_EXCEEDED, 0, &ip6_our_g));
	rx6(58, m, udp_error_msg(ICMP6_DEST_UNREACH, 4, peer));
	CHECK_EQ(udp_errs, 3);
	CHECK_CNT(&H, { AX_C_eth_rx, 2 }, { AX_C_ip6_rx, 2 }, { AX_C_icmp6_rx, 2 },
		  { AX_C_icmp6_unreach_rx, 1 }, { AX_C_icmp6_time_exceeded_rx, 1 },
		  { AX_C_icmp6_err_unused, 2 });
	udp_pcb_remove(&H.s, &pcb);
}

TEST_MAIN(T(echo_request_answered), T(echo_to_link_local_answered),
	  T(echo_reply_waits_for_resolution), T(ping_out_and_reply_in), T(bad_checksum_dropped),
	  T(header_checks), T(extension_headers_walked), T(hop_by_hop_not_first_is_param_problem),
	  T(unknown_next_header_is_param_problem),
	  T(routing_header_with_segments_left_is_param_problem), T(option_action_bits),
	  T(chain_bounded), T(fragments), T(errors_reach_connected_udp))
