/*
 * test_eth_ipv4.c - Ethernet demux (stack.c) and IPv4 input (ipv4.c)
 * against malformed and hostile frames.
 *
 * Every frame is fed from a heap copy of its exact length (fake_rx), so a
 * read past the end is an ASan report, and every test asserts the exact
 * movement of every counter (CHECK_CNT) and what was sent.
 */
#include "fake_netif.h"
#include "testlib.h"

static struct fake_host H;
static uint8_t f[2048];

#define IP (f + ETH_HLEN_AX)

static const uint8_t payload[] = "0123456789abcdefghij";

/* A host that knows its peer, so that echo replies go straight out. */
static int setup(void)
{
	if (fake_host_init(&H))
		return -1;
	fake_learn(&H, FAKE_PEER_IP, FAKE_PEER_MAC);
	return 0;
}

/* A well-formed echo request from the peer; returns the frame length. */
static size_t good_ping(void)
{
	return fake_ping_frame(f, 0x1234, 1, payload, sizeof(payload));
}

/* The frame was answered with exactly one echo reply to the peer carrying
 * our payload. */
static void check_answered(void)
{
	struct fake_icmp_view v;

	CHECK_EQ(H.nif.n, 1);
	REQUIRE(H.nif.n >= 1);
	REQUIRE(fake_parse_icmp(&H.nif.frames[0], &v) == 0);
	CHECK_MEM(v.eth_dst, FAKE_PEER_MAC, 6);
	CHECK_EQ(v.type, ICMP_ECHO_REPLY);
	CHECK_EQ(v.ihl, 5);
	CHECK_EQ(v.dst, FAKE_PEER_IP);
	CHECK(v.ip_csum_ok);
	CHECK(v.icmp_csum_ok);
	CHECK_EQ(v.data_len, sizeof(payload));
	CHECK_MEM(v.data, payload, sizeof(payload));
}

#define CHECK_ANSWERED_CNT(n)                                              \
	CHECK_CNT(&H, { AX_C_eth_rx, n }, { AX_C_ip_rx, n },                 \
		  { AX_C_icmp_rx, n }, { AX_C_icmp_echo_rx, n },             \
		  { AX_C_icmp_echo_reply_tx, n }, { AX_C_ip_tx, n },         \
		  { AX_C_eth_tx, n })

/* The baseline the hostile cases are variations of: answered. */
TEST(good_echo_answered)
{
	REQUIRE(setup() == 0);
	fake_rx(&H, f, good_ping());
	CHECK_ANSWERED_CNT(1);
	check_answered();
	CHECK_EQ(H.nif.contract_errors, 0);
}

/* A frame shorter than the 14-byte Ethernet header: counted, not read. */
TEST(eth_short_frames)
{
	size_t len;

	REQUIRE(setup() == 0);
	good_ping();
	stack_input(&H.s, NULL, 0);
	for (len = 0; len < ETH_HLEN_AX; len++)
		fake_rx(&H, f, len);
	CHECK_CNT(&H, { AX_C_eth_rx, ETH_HLEN_AX + 1 },
		  { AX_C_eth_malformed, ETH_HLEN_AX + 1 });
	CHECK_EQ(H.nif.n, 0);
}

/* A bare 14-byte header: the layer above sees zero bytes. */
TEST(eth_header_only)
{
	REQUIRE(setup() == 0);
	fake_eth(f, FAKE_OUR_MAC, FAKE_PEER_MAC, ETHTYPE_IPV4);
	fake_rx(&H, f, ETH_HLEN_AX);
	fake_eth(f, FAKE_BCAST_MAC, FAKE_PEER_MAC, ETHTYPE_ARP);
	fake_rx(&H, f, ETH_HLEN_AX);
	CHECK_CNT(&H, { AX_C_eth_rx, 2 }, { AX_C_ip_rx, 1 },
		  { AX_C_ip_malformed, 1 }, { AX_C_arp_rx, 1 },
		  { AX_C_arp_malformed, 1 });
	CHECK_EQ(H.nif.n, 0);
}

/* Only our unicast MAC and broadcast are ours; other unicast and
 * multicast (no multicast user yet) are not. */
TEST(eth_not_ours)
{
	static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
	size_t len = good_ping();

	REQUIRE(setup() == 0);
	memcpy(f, FAKE_OTHER_MAC, 6);
	fake_rx(&H, f, len);
	memcpy(f, mcast, 6);
	fake_rx(&H, f, len);
	/* Our MAC with the group bit set is not our MAC. */
	memcpy(f, FAKE_OUR_MAC, 6);
	f[0] |= 1;
	fake_rx(&H, f, len);
	CHECK_CNT(&H, { AX_C_eth_rx, 3 }, { AX_C_eth_not_ours, 3 });
	CHECK_EQ(H.nif.n, 0);
}

/* 802.1Q and 802.1ad tags: no VLAN is configured, so dropped, even with a
 * good packet behind the tag. */
TEST(eth_vlan_dropped)
{
	uint8_t g[2048];
	size_t len = good_ping();

	REQUIRE(setup() == 0);
	/* Insert a tag (TCI 5, inner type IPv4) after the MAC addresses. */
	memcpy(g, f, 12);
	fake_put16(g + 12, ETHTYPE_VLAN);
	fake_put16(g + 14, 5);
	memcpy(g + 16, f + 12, len - 12);
	fake_rx(&H, g, len + 4);
	fake_put16(g + 12, ETHTYPE_QINQ);
	fake_rx(&H, g, len + 4);
	/* A tag and nothing after it. */
	fake_rx(&H, g, ETH_HLEN_AX);
	CHECK_CNT(&H, { AX_C_eth_rx, 3 }, { AX_C_eth_vlan_dropped, 3 });
	CHECK_EQ(H.nif.n, 0);
}

/* EtherTypes the engine does not run: an 802.3 length, 0xffff. (IPv6 it
 * runs: an IPv4 packet under its EtherType is a malformed IPv6 one.) */
TEST(eth_unknown_type)
{
	static const uint16_t types[] = { 0x0000, 0x05dc, 0x0801, 0xffff };
	size_t len = good_ping(), i;

	REQUIRE(setup() == 0);
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		fake_put16(f + 12, types[i]);
		fake_rx(&H, f, len);
	}
	CHECK_CNT(&H, { AX_C_eth_rx, 4 }, { AX_C_eth_unknown_type, 4 });
	fake_put16(f + 12, ETHTYPE_IPV6);
	fake_rx(&H, f, len);
	CHECK_CNT(&H, { AX_C_eth_rx, 5 }, { AX_C_eth_unknown_type, 4 }, { AX_C_ip6_rx, 1 },
		  { AX_C_ip6_malformed, 1 });
	CHECK_EQ(H.nif.n, 0);
}

/* RFC 1122 3.2.1.1: fewer than 20 bytes cannot be an IPv4 header. */
TEST(ipv4_truncated_header)
{
	size_t l3;

	REQUIRE(setup() == 0);
	good_ping();
	for (l3 = 0; l3 < 20; l3++)
		fake_rx(&H, f, ETH_HLEN_AX + l3);
	CHECK_CNT(&H, { AX_C_eth_rx, 20 }, { AX_C_ip_rx, 20 },
		  { AX_C_ip_malformed, 20 });
	CHECK_EQ(H.nif.n, 0);
}

/* RFC 1122 3.2.1.1: a version other than 4 is discarded, even with a
 * correct checksum (an IPv6 packet under the IPv4 EtherType). */
TEST(ipv4_wrong_version)
{
	static const uint8_t versions[] = { 0, 5, 6, 15 };
	size_t len, i;

	REQUIRE(setup() == 0);
	for (i = 0; i < sizeof(versions); i++) {
		len = good_ping();
		IP[0] = (uint8_t)(versions[i] << 4 | 5);
		fake_ipv4_fix_csum(IP);
		fake_rx(&H, f, len);
	}
	CHECK_CNT(&H, { AX_C_eth_rx, 4 }, { AX_C_ip_rx, 4 },
		  { AX_C_ip_malformed, 4 });
	CHECK_EQ(H.nif.n, 0);
}

/* RFC 791: IHL counts 32-bit words and is at least 5. */
TEST(ipv4_ihl_too_small)
{
	size_t len;
	int ihl;

	REQUIRE(setup() == 0);
	for (ihl = 0; ihl < 5; ihl++) {
		len = good_ping();
		IP[0] = (uint8_t)(0x40 | ihl);
		fake_rx(&H, f, len);
	}
	CHECK_CNT(&H, { AX_C_eth_rx, 5 }, { AX_C_ip_rx, 5 },
		  { AX_C_ip_malformed, 5 });
	CHECK_EQ(H.nif.n, 0);
}

/* An IHL that points past tot_len or past the frame is not trusted. */
TEST(ipv4_ihl_past_end)
{
	size_t len;

	REQUIRE(setup() == 0);
	/* IHL 15 (60 bytes) in a 20 + 8 byte packet: tot_len < IHL*4. */
	len = fake_ping_frame(f, 1, 1, NULL, 0);
	IP[0] = 0x4f;
	fake_rx(&H, f, len);
	/* ...and with tot_len claiming 60 bytes the frame does not have. */
	fake_put16(IP + 2, 60);
	fake_rx(&H, f, len);
	/* IHL 6 with nothing after the fixed header at all. */
	fake_ipv4(IP, FAKE_PEER_IP, FAKE_OUR_IP, IP_PROTO_ICMP, 0, 0);
	IP[0] = 0x46;
	fake_put16(IP + 2, 24);
	fake_rx(&H, f, ETH_HLEN_AX + 20);
	CHECK_CNT(&H, { AX_C_eth_rx, 3 }, { AX_C_ip_rx, 3 },
		  { AX_C_ip_malformed, 3 });
	CHECK_EQ(H.nif.n, 0);
}

/* tot_len larger than what arrived: truncated in transit, dropped (with a
 * correct header checksum, so only the length check can catch it). */
TEST(ipv4_tot_len_past_frame)
{
	size_t len;

	REQUIRE(setup() == 0);
	len = good_ping();
	fake_put16(IP + 2, (uint16_t)(len - ETH_HLEN_AX + 1));
	fake_ipv4_fix_csum(IP);
	fake_rx(&H, f, len);
	fake_put16(IP + 2, 0xffff);
	fake_ipv4_fix_csum(IP);
	fake_rx(&H, f, len);
	CHECK_CNT(&H, { AX_C_eth_rx, 2 }, { AX_C_ip_rx, 2 },
		  { AX_C_ip_malformed, 2 });
	CHECK_EQ(H.nif.n, 0);
}

/* tot_len smaller than the header it belongs to. */
TEST(ipv4_tot_len_below_ihl)
{
	static const uint16_t tots[] = { 0, 1, 19 };
	size_t len, i;

	REQUIRE(setup() == 0);
	for (i = 0; i < 3; i++) {
		len = good_ping();
		fake_put16(IP + 2, tots[i]);
		fake_ipv4_fix_csum(IP);
		fake_rx(&H, f, len);
	}
	/* With options: IHL 8 (32 bytes) but tot_len 28. */
	len = fake_echo_frame(f, FAKE_OUR_MAC, FAKE_PEER_MAC, FAKE_PEER_IP,
			      FAKE_OUR_IP, 12, ICMP_ECHO_REQUEST, 1, 1, NULL, 0);
	fake_put16(IP + 2, 28);
	fake_ipv4_fix_csum(IP);
	fake_rx(&H, f, len);
	CHECK_CNT(&H, { AX_C_eth_rx, 4 }, { AX_C_ip_rx, 4 },
		  { AX_C_ip_malformed, 4 });
	CHECK_EQ(H.nif.n, 0);
}

/* RFC 1122 3.2.1.2: a bad header checksum is discarded silently; the
 * checksum covers the options too. */
TEST(ipv4_bad_header_csum)
{
	size_t len;

	REQUIRE(setup() == 0);
	len = good_ping();
	IP[10] ^= 0x01;
	fake_rx(&H, f, len);
	len = good_ping();
	IP[15] ^= 0x80; /* a source bit, checksum not updated */
	fake_rx(&H, f, len);
	len = fake_echo_frame(f, FAKE_OUR_MAC, FAKE_PEER_MAC, FAKE_PEER_IP,
			      FAKE_OUR_IP, 8, ICMP_ECHO_REQUEST, 1, 1, NULL, 0);
	IP[21] = 0x07; /* an option byte */
	fake_rx(&H, f, len);
	CHECK_CNT(&H, { AX_C_eth_rx, 3 }, { AX_C_ip_rx, 3 },
		  { AX_C_ip_bad_csum, 3 });
	CHECK_EQ(H.nif.n, 0);
}

/* RFC 1122 3.2.1.3: not for us (another host, the network address, a
 * multicast group we did not join) is dropped. */
TEST(ipv4_not_ours)
{
	static const uint8_t dsts[][4] = {
		{ 10, 0, 0, 3 }, { 10, 0, 0, 0 }, { 224, 0, 0, 1 },
		{ 192, 0, 2, 1 }, { 0, 0, 0, 0 },
	};
	size_t i, len;

	REQUIRE(setup() == 0);
	for (i = 0; i < 5; i++) {
		uint32_t dst = FAKE_IP(dsts[i][0], dsts[i][1], dsts[i][2],
				       dsts[i][3]);

		len = fake_echo_frame(f, FAKE_OUR_MAC, FAKE_PEER_MAC,
				      FAKE_PEER_IP, dst, 0, ICMP_ECHO_REQUEST,
				      1, 1, NULL, 0);
		fake_rx(&H, f, len);
	}
	CHECK_CNT(&H, { AX_C_eth_rx, 5 }, { AX_C_ip_rx, 5 },
		  { AX_C_ip_not_ours, 5 });
	CHECK_EQ(H.nif.n, 0);
}

/* No reassembly yet: first fragments (MF), middle and last fragments
 * (offset != 0) are all dropped; DF alone is not a fragment. */
TEST(ipv4_fragments_dropped)
{
	static const uint16_t frag[] = { IP_FLAG_MF, IP_FLAG_MF | 1, 1,
					 IP_OFFMASK, IP_FLAG_DF | 185 };
	size_t len, i;

	REQUIRE(setup() == 0);
	for (i = 0; i < 5; i++) {
		len = good_ping();
		fake_put16(IP + 6, frag[i]);
		fake_ipv4_fix_csum(IP);
		fake_rx(&H, f, len);
	}
	CHECK_CNT(&H, { AX_C_eth_rx, 5 }, { AX_C_ip_rx, 5 },
		  { AX_C_ip_frag_dropped, 5 });
	CHECK_EQ(H.nif.n, 0);

	fake_mark(&H);
	len = good_ping();
	fake_put16(IP + 6, IP_FLAG_DF);
	fake_ipv4_fix_csum(IP);
	fake_rx(&H, f, len);
	CHECK_ANSWERED_CNT(1);
	check_answered();
}

/* RFC 1122 3.2.1.3: a source address that is broadcast (limited or our
 * subnet's), multicast, "this network" (0/8), loopback (127/8) or our own
 * is discarded. */
TEST(ipv4_martian_source)
{
	static const uint8_t srcs[][4] = {
		{ 255, 255, 255, 255 }, { 10, 0, 0, 255 }, { 224, 0, 0, 5 },
		{ 239, 255, 255, 255 }, { 127, 0, 0, 1 }, { 0, 1, 2, 3 },
		{ 10, 0, 0, 1 }, /* FAKE_OUR_IP */
	};
	size_t i, len;

	REQUIRE(setup() == 0);
	for (i = 0; i < sizeof(srcs) / sizeof(srcs[0]); i++) {
		uint32_t src = FAKE_IP(srcs[i][0], srcs[i][1], srcs[i][2],
				       srcs[i][3]);

		len = fake_echo_frame(f, FAKE_OUR_MAC, FAKE_PEER_MAC, src,
				      FAKE_OUR_IP, 0, ICMP_ECHO_REQUEST, 1, 1,
				      NULL, 0);
		fake_rx(&H, f, len);
	}
	CHECK_CNT(&H, { AX_C_eth_rx, 7 }, { AX_C_ip_rx, 7 },
		  { AX_C_ip_martian, 7 });
	CHECK_EQ(H.nif.n, 0);
	/* Nothing was learned or queued for them either. */
	CHECK_EQ(H.s.neigh.used, 1);
}

/* RFC 1122 3.3.6: a datagram for our unicast address that came in a
 * link-layer broadcast is discarded; one for a broadcast address in a
 * link-layer broadcast is fine (and an echo to it goes unanswered). */
TEST(ipv4_unicast_in_l2_broadcast)
{
	REQUIRE(setup() == 0);
	fake_rx(&H, f, fake_echo_frame(f, FAKE_BCAST_MAC, FAKE_PEER_MAC,
				       FAKE_PEER_IP, FAKE_OUR_IP, 0,
				       ICMP_ECHO_REQUEST, 1, 1, NULL, 0));
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_ip_rx, 1 },
		  { AX_C_ip_l2_bcast, 1 });
	CHECK_EQ(H.nif.n, 0);
	fake_mark(&H);
	fake_rx(&H, f, fake_echo_frame(f, FAKE_BCAST_MAC, FAKE_PEER_MAC,
				       FAKE_PEER_IP, 0xffffffffu, 0,
				       ICMP_ECHO_REQUEST, 1, 2, NULL, 0));
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_ip_rx, 1 },
		  { AX_C_icmp_rx, 1 }, { AX_C_icmp_echo_rx, 1 },
		  { AX_C_icmp_echo_ignored, 1 });
	CHECK_EQ(H.nif.n, 0);
}

/* RFC 791: options (IHL 6..15) are skipped by IHL; the ICMP message
 * starts after them and the echo is still answered, without options. */
TEST(ipv4_options_skipped)
{
	size_t optlen, len;
	int bad = 0;

	REQUIRE(setup() == 0);
	for (optlen = 4; optlen <= 40; optlen += 4) {
		struct fake_icmp_view v;

		fake_mark(&H);
		len = fake_echo_frame(f, FAKE_OUR_MAC, FAKE_PEER_MAC,
				      FAKE_PEER_IP, FAKE_OUR_IP, optlen,
				      ICMP_ECHO_REQUEST, 7, (uint16_t)optlen,
				      payload, sizeof(payload));
		fake_rx(&H, f, len);
		CHECK_ANSWERED_CNT(1);
		if (H.nif.n != 1 || fake_parse_icmp(&H.nif.frames[0], &v) ||
		    v.ihl != 5 || v.seq != optlen || !v.ip_csum_ok ||
		    !v.icmp_csum_ok || v.data_len != sizeof(payload) ||
		    memcmp(v.data, payload, sizeof(payload)) != 0) {
			printf("  optlen %zu: bad or no reply\n", optlen);
			bad++;
		}
	}
	CHECK_EQ(bad, 0);
}

/*
 * IPv4 options are validated as Linux's ip_options_compile does (RFC 791
 * 3.1, RFC 1812 5.2.4): a malformed option drops the datagram
 * (ip_bad_options), a well-formed source route drops it too
 * (ip_source_route, as Linux with accept_source_route=0), anything else is
 * answered. Each case below was sent to Linux 6.18 from scapy: "answered"
 * ones got an echo reply, "bad" ones a parameter problem, "srr" ones
 * nothing.
 * BUG (fixed, ipv4.c ipv4_input): options were skipped by IHL unread, so
 * all of these were answered.
 */
enum opt_fate { OPT_ANSWERED, OPT_BAD, OPT_SRR };

TEST(ipv4_options_validated)
{
	static const struct {
		const char *name;
		uint8_t len; /* a multiple of 4 */
		uint8_t o[40];
		enum opt_fate fate;
	} c[] = {
		{ "nops", 4, { 1, 1, 1, 1 }, OPT_ANSWERED },
		{ "length 0", 4, { 0x44, 0, 1, 1 }, OPT_BAD },
		{ "length 1", 4, { 0x44, 1, 1, 1 }, OPT_BAD },
		{ "length past the header", 4, { 7, 8, 4, 0 }, OPT_BAD },
		{ "unknown kind, sane length", 4, { 0x1e, 4, 0, 0 }, OPT_ANSWERED },
		{ "kind without room for a length", 4, { 1, 1, 1, 0x1e }, OPT_BAD },
		{ "EOL, then junk", 4, { 0, 0x44, 0, 1 }, OPT_ANSWERED },
		{ "one option filling 40 bytes", 40, { 0x1e, 40 }, OPT_ANSWERED },
		{ "LSRR", 8, { 131, 7, 4, 10, 0, 0, 2, 0 }, OPT_SRR },
		{ "SSRR", 8, { 137, 7, 4, 10, 0, 0, 2, 0 }, OPT_SRR },
		{ "LSRR, pointer past the route", 8, { 131, 7, 8, 10, 0, 0, 2, 0 }, OPT_SRR },
		{ "LSRR, pointer 3", 8, { 131, 7, 3, 10, 0, 0, 2, 0 }, OPT_BAD },
		{ "LSRR, length 2", 4, { 131, 2, 0, 0 }, OPT_BAD },
		{ "two source routes", 16, { 131, 7, 4, 10, 0, 0, 2, 137, 7, 4, 10, 0, 0, 2, 1, 0 },
		  OPT_BAD },
		{ "record route", 8, { 7, 7, 4, 0, 0, 0, 0, 0 }, OPT_ANSWERED },
		{ "record route, full", 8, { 7, 7, 8, 0, 0, 0, 0, 0 }, OPT_ANSWERED },
		{ "record route, length 2", 4, { 7, 2, 0, 0 }, OPT_BAD },
		{ "record route, pointer 3", 8, { 7, 7, 3, 0, 0, 0, 0, 0 }, OPT_BAD },
		{ "record route, no room at the pointer", 8, { 7, 7, 6, 0, 0, 0, 0, 0 }, OPT_BAD },
		{ "record route twice", 12, { 7, 7, 8, 0, 0, 0, 0, 7, 3, 4, 0, 0 }, OPT_BAD },
		{ "timestamp", 8, { 0x44, 8, 5, 0, 0, 0, 0, 0 }, OPT_ANSWERED },
		{ "timestamp, pointer 4", 8, { 0x44, 8, 4, 0, 0, 0, 0, 0 }, OPT_BAD },
		{ "timestamp, full, overflow 15", 8, { 0x44, 8, 9, 0xf0, 0, 0, 0, 0 }, OPT_BAD },
		{ "timestamp, full, overflow 3", 8, { 0x44, 8, 9, 0x30, 0, 0, 0, 0 }, OPT_ANSWERED },
		{ "timestamp with address, no room", 8, { 0x44, 8, 5, 1, 0, 0, 0, 0 }, OPT_BAD },
		{ "timestamp, unknown flag", 8, { 0x44, 8, 5, 7, 0, 0, 0, 0 }, OPT_ANSWERED },
		{ "router alert", 4, { 0x94, 4, 0, 0 }, OPT_ANSWERED },
		{ "router alert, length 3", 4, { 0x94, 3, 0, 0 }, OPT_BAD },
		{ "router alert, value 1", 4, { 0x94, 4, 0, 1 }, OPT_ANSWERED },
		{ "CIPSO (no DOI configured)", 8, { 0x86, 8, 0, 0, 0, 1, 0, 0 }, OPT_BAD },
		{ "security (RFC 1108)", 12, { 0x82, 11 }, OPT_ANSWERED },
	};
	unsigned int i;
	int bad = 0;

	REQUIRE(setup() == 0);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		size_t len = fake_echo_frame(f, FAKE_OUR_MAC, FAKE_PEER_MAC, FAKE_PEER_IP,
					     FAKE_OUR_IP, c[i].len, ICMP_ECHO_REQUEST, 7,
					     (uint16_t)i, payload, sizeof(payload));
		int ok;

		memcpy(IP + 20, c[i].o, c[i].len);
		fake_ipv4_fix_csum(IP);
		fake_mark(&H);
		fake_rx(&H, f, len);
		switch (c[i].fate) {
		case OPT_ANSWERED:
			ok = H.nif.n == 1 && H.s.cnt[AX_C_icmp_echo_reply_tx] -
						     H.mark[AX_C_icmp_echo_reply_tx] == 1;
			break;
		case OPT_BAD:
			ok = CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_ip_rx, 1 },
				       { AX_C_ip_bad_options, 1 }) &&
			     H.nif.n == 0;
			break;
		default:
			ok = CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_ip_rx, 1 },
				       { AX_C_ip_source_route, 1 }) &&
			     H.nif.n == 0;
			break;
		}
		if (!ok) {
			printf("  options \"%s\": not %s\n", c[i].name,
			       c[i].fate == OPT_ANSWERED ? "answered"
			       : c[i].fate == OPT_BAD	 ? "dropped as malformed"
							 : "dropped as a source route");
			bad++;
		}
	}
	CHECK_EQ(bad, 0);
}

/* Echo replies go without DF (as Linux's): we cannot fragment, so a
 * router on a narrower path must be free to. TCP sets it (test_tcp.c). */
TEST(echo_reply_without_df)
{
	struct fake_icmp_view v;

	REQUIRE(setup() == 0);
	fake_mark(&H);
	fake_rx(&H, f, good_ping());
	REQUIRE(H.nif.n == 1);
	REQUIRE(fake_parse_icmp(&H.nif.frames[0], &v) == 0);
	CHECK_EQ(v.frag_off, 0);
}

/* Ethernet pads short frames to 60 bytes (and a sender may add more):
 * bytes after tot_len are not payload, neither for the ICMP checksum nor
 * for the echoed data. */
TEST(ipv4_eth_padding_ignored)
{
	size_t len;

	REQUIRE(setup() == 0);
	len = good_ping();
	memset(f + len, 0xee, 40);
	fake_rx(&H, f, len + 40);
	CHECK_ANSWERED_CNT(1);
	check_answered();

	/* A 4-byte echo is a 46-byte frame: padded to 60. */
	fake_mark(&H);
	len = fake_ping_frame(f, 1, 2, "abcd", 4);
	CHECK_EQ(len, 46);
	memset(f + len, 0x5a, 60 - len);
	fake_rx(&H, f, 60);
	CHECK_ANSWERED_CNT(1);
	REQUIRE(H.nif.n == 1);
	{
		struct fake_icmp_view v;

		REQUIRE(fake_parse_icmp(&H.nif.frames[0], &v) == 0);
		CHECK_EQ(v.tot_len, 32);
		CHECK_EQ(v.data_len, 4);
		CHECK_MEM(v.data, "abcd", 4);
		CHECK_EQ(H.nif.frames[0].len, ETH_HLEN_AX + 32);
	}
}

/* Protocols not served (anything but ICMP, TCP and UDP) are counted and
 * draw an ICMP protocol unreachable quoting the datagram (RFC 1122
 * 3.2.2.1, as Linux). TCP goes to TCP, which checks the segment: an
 * 8-byte ICMP body is shorter than a TCP header. */
TEST(ipv4_unknown_proto)
{
	static const uint8_t protos[] = { 132 /* SCTP */, 0, 255 };
	struct fake_icmp_view v;
	size_t i, len;

	REQUIRE(setup() == 0);
	for (i = 0; i < 3; i++) {
		len = good_ping();
		IP[9] = protos[i];
		fake_ipv4_fix_csum(IP);
		fake_rx(&H, f, len);
		REQUIRE(H.nif.n == i + 1);
		REQUIRE(fake_parse_icmp(fake_frame(&H.nif, i), &v) == 0);
		CHECK_EQ(v.dst, FAKE_PEER_IP);
		CHECK_EQ(v.src, FAKE_OUR_IP);
		CHECK(v.ip_csum_ok && v.icmp_csum_ok);
		CHECK_EQ(v.type, 3);
		CHECK_EQ(v.code, 2);
		CHECK_EQ(v.data_len, len - ETH_HLEN_AX);
		CHECK_MEM(v.data, f + ETH_HLEN_AX, len - ETH_HLEN_AX);
	}
	CHECK_CNT(&H, { AX_C_eth_rx, 3 }, { AX_C_ip_rx, 3 },
		  { AX_C_ip_unknown_proto, 3 }, { AX_C_icmp_err_tx, 3 }, { AX_C_ip_tx, 3 },
		  { AX_C_eth_tx, 3 });
	fake_mark(&H);
	len = good_ping();
	IP[9] = IP_PROTO_TCP;
	fake_ipv4_fix_csum(IP);
	fake_rx(&H, f, len);
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_ip_rx, 1 }, { AX_C_tcp_rx, 1 },
		  { AX_C_tcp_malformed, 1 });
	CHECK_EQ(H.nif.n, 0);
}

/* A storm of random frames to our MAC (IPv4, ARP and random EtherTypes):
 * no crash, every frame counted once, the ARP tables stay consistent and
 * the device contract holds. */
TEST(random_frames)
{
	uint64_t x = 0x0123456789abcdefull;
	unsigned int i;
	const char *why;

	REQUIRE(setup() == 0);
	for (i = 0; i < 20000; i++) {
		size_t len, j;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		len = x % 200;
		for (j = 0; j < len; j++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			f[j] = (uint8_t)x;
		}
		if (len >= ETH_HLEN_AX) {
			memcpy(f, (x & 1) ? FAKE_OUR_MAC : FAKE_BCAST_MAC, 6);
			if ((x >> 8) % 4)
				fake_put16(f + 12, (x >> 8) % 4 == 1 ? ETHTYPE_ARP : ETHTYPE_IPV4);
			/* Sometimes a plausible IPv4 header with a good
			 * checksum, so the upper checks run too. */
			if (len >= ETH_HLEN_AX + 20 && ((x >> 16) & 3) == 0) {
				fake_put16(f + 12, ETHTYPE_IPV4);
				IP[0] = 0x45;
				fake_put16(IP + 2, (uint16_t)(len - ETH_HLEN_AX));
				memcpy(IP + 16, &H.s.addr, 4);
				fake_ipv4_fix_csum(IP);
			}
		}
		fake_rx(&H, f, len);
		if (i % 64 == 0)
			fake_advance(&H, 37);
	}
	CHECK_EQ(H.s.cnt[AX_C_eth_rx] - H.mark[AX_C_eth_rx], 20000);
	why = fake_arp_invariants(&H.s);
	if (why)
		printf("  arp invariants: %s\n", why);
	CHECK(why == NULL);
	CHECK_EQ(H.nif.contract_errors, 0);
}

TEST_MAIN(T(good_echo_answered), T(eth_short_frames), T(eth_header_only),
	  T(eth_not_ours), T(eth_vlan_dropped), T(eth_unknown_type),
	  T(ipv4_truncated_header), T(ipv4_wrong_version),
	  T(ipv4_ihl_too_small), T(ipv4_ihl_past_end),
	  T(ipv4_tot_len_past_frame), T(ipv4_tot_len_below_ihl),
	  T(ipv4_bad_header_csum), T(ipv4_not_ours),
	  T(ipv4_fragments_dropped), T(ipv4_martian_source), T(ipv4_unicast_in_l2_broadcast),
	  T(ipv4_options_skipped), T(ipv4_options_validated), T(echo_reply_without_df),
	  T(ipv4_eth_padding_ignored),
	  T(ipv4_unknown_proto), T(random_frames))
