/*
 * test_icmp.c - ICMP echo (icmp.c, RFC 792 / RFC 1122 3.2.2.6) in both
 * directions: answering requests, delivering replies, and stack_ping()
 * through routing and ARP resolution.
 */
#include <stdint.h>

#include "fake_netif.h"
#include "testlib.h"

static struct fake_host H;
static uint8_t f[2048];

#define IP (f + ETH_HLEN_AX)

static uint8_t data56[56];

static int setup(void)
{
	size_t i;

	for (i = 0; i < sizeof(data56); i++)
		data56[i] = (uint8_t)(0x10 + i);
	if (fake_host_init(&H))
		return -1;
	fake_learn(&H, FAKE_PEER_IP, FAKE_PEER_MAC);
	return 0;
}

/* What the echo reply callback saw. */
static struct {
	unsigned int calls;
	void *arg;
	struct icmp_echo_reply r;
	uint8_t data[1600];
} cb;

static void on_reply(void *arg, const struct icmp_echo_reply *r)
{
	cb.calls++;
	cb.arg = arg;
	cb.r = *r;
	if (r->data_len <= sizeof(cb.data))
		memcpy(cb.data, r->data, r->data_len);
	cb.r.data = NULL; /* only valid during the call */
}

/* Checks every field of an echo message we built: addresses, TTL 64, no
 * fragmentation, both checksums. */
static void check_echo(const struct fake_frame *fr, const uint8_t *eth_dst,
		       uint32_t dst, uint8_t type, uint16_t id, uint16_t seq,
		       const void *data, size_t data_len)
{
	struct fake_icmp_view v;

	REQUIRE(fr != NULL);
	REQUIRE(fake_parse_icmp(fr, &v) == 0);
	CHECK_MEM(v.eth_dst, eth_dst, 6);
	CHECK_MEM(v.eth_src, FAKE_OUR_MAC, 6);
	CHECK_EQ(v.ethtype, ETHTYPE_IPV4);
	CHECK_EQ(v.version, 4);
	CHECK_EQ(v.ihl, 5);
	CHECK_EQ(v.tot_len, 20 + 8 + data_len);
	CHECK_EQ(fr->len, ETH_HLEN_AX + 20 + 8 + data_len);
	CHECK_EQ(v.frag_off & (IP_FLAG_MF | IP_OFFMASK), 0);
	CHECK_EQ(v.ttl, 64);
	CHECK_EQ(v.proto, IP_PROTO_ICMP);
	CHECK_EQ(v.src, FAKE_OUR_IP);
	CHECK_EQ(v.dst, dst);
	CHECK(v.ip_csum_ok);
	CHECK_EQ(v.type, type);
	CHECK_EQ(v.code, 0);
	CHECK_EQ(v.id, id);
	CHECK_EQ(v.seq, seq);
	CHECK_EQ(v.data_len, data_len);
	if (v.data_len == data_len && data_len)
		CHECK_MEM(v.data, data, data_len);
	CHECK(v.icmp_csum_ok);
}

#define CHECK_ANSWERED_CNT(n)                                              \
	CHECK_CNT(&H, { AX_C_eth_rx, n }, { AX_C_ip_rx, n },                 \
		  { AX_C_icmp_rx, n }, { AX_C_icmp_echo_rx, n },             \
		  { AX_C_icmp_echo_reply_tx, n }, { AX_C_ip_tx, n },         \
		  { AX_C_eth_tx, n })

/* RFC 792: the reply swaps the addresses, keeps identifier, sequence and
 * data, and carries correct IP and ICMP checksums; TTL is ours (64). */
TEST(echo_request_answered)
{
	struct fake_icmp_view a, b;

	REQUIRE(setup() == 0);
	fake_rx(&H, f, fake_ping_frame(f, 0xbeef, 0x0102, data56, 56));
	CHECK_ANSWERED_CNT(1);
	CHECK_EQ(H.nif.n, 1);
	check_echo(fake_frame(&H.nif, 0), FAKE_PEER_MAC, FAKE_PEER_IP,
		   ICMP_ECHO_REPLY, 0xbeef, 0x0102, data56, 56);

	/* Odd data length (checksum over an odd byte), no data at all; the
	 * IP identification moves on with each datagram. */
	fake_mark(&H);
	fake_rx(&H, f, fake_ping_frame(f, 1, 2, data56, 33));
	fake_rx(&H, f, fake_ping_frame(f, 1, 3, NULL, 0));
	CHECK_ANSWERED_CNT(2);
	REQUIRE(H.nif.n == 2);
	check_echo(fake_frame(&H.nif, 0), FAKE_PEER_MAC, FAKE_PEER_IP,
		   ICMP_ECHO_REPLY, 1, 2, data56, 33);
	check_echo(fake_frame(&H.nif, 1), FAKE_PEER_MAC, FAKE_PEER_IP,
		   ICMP_ECHO_REPLY, 1, 3, NULL, 0);
	fake_parse_icmp(&H.nif.frames[0], &a);
	fake_parse_icmp(&H.nif.frames[1], &b);
	CHECK_EQ((uint16_t)(b.ip_id - a.ip_id), 1);
	CHECK_EQ(H.nif.contract_errors, 0);
}

/* The reply to an off-link source goes to the default gateway's MAC. */
TEST(echo_reply_via_gateway)
{
	uint32_t far = FAKE_IP(192, 0, 2, 9);

	REQUIRE(setup() == 0);
	fake_learn(&H, FAKE_GW_IP, FAKE_GW_MAC);
	fake_rx(&H, f, fake_echo_frame(f, FAKE_OUR_MAC, FAKE_GW_MAC, far,
				       FAKE_OUR_IP, 0, ICMP_ECHO_REQUEST, 5, 6,
				       data56, 56));
	CHECK_ANSWERED_CNT(1);
	check_echo(fake_frame(&H.nif, 0), FAKE_GW_MAC, far, ICMP_ECHO_REPLY,
		   5, 6, data56, 56);
}

/* A request from a neighbour not in the cache: the reply waits for ARP
 * (we learn nothing from IP), then leaves with the resolved MAC. */
TEST(echo_reply_waits_for_arp)
{
	struct fake_arp_view a;
	size_t n;

	REQUIRE(setup() == 0);
	fake_rx(&H, f, fake_echo_frame(f, FAKE_OUR_MAC, FAKE_OTHER_MAC,
				       FAKE_OTHER_IP, FAKE_OUR_IP, 0,
				       ICMP_ECHO_REQUEST, 9, 9, data56, 10));
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_ip_rx, 1 },
		  { AX_C_icmp_rx, 1 }, { AX_C_icmp_echo_rx, 1 },
		  { AX_C_arp_requests_tx, 1 }, { AX_C_eth_tx, 1 },
		  { AX_C_arp_queued, 1 }, { AX_C_ip_tx, 1 },
		  { AX_C_icmp_echo_reply_tx, 1 });
	REQUIRE(H.nif.n == 1);
	REQUIRE(fake_parse_arp(&H.nif.frames[0], &a) == 0);
	CHECK_EQ(a.op, ARP_OP_REQUEST);
	CHECK_EQ(a.tpa, FAKE_OTHER_IP);

	fake_mark(&H);
	n = fake_arp(f, FAKE_OUR_MAC, ARP_OP_REPLY, FAKE_OTHER_MAC,
		     FAKE_OTHER_IP, FAKE_OUR_MAC, FAKE_OUR_IP);
	fake_rx(&H, f, n);
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_arp_rx, 1 },
		  { AX_C_arp_replies_rx, 1 }, { AX_C_eth_tx, 1 });
	CHECK_EQ(H.nif.n, 1);
	check_echo(fake_frame(&H.nif, 0), FAKE_OTHER_MAC, FAKE_OTHER_IP,
		   ICMP_ECHO_REPLY, 9, 9, data56, 10);
}

/* RFC 1122 3.2.2.6: an echo request to a broadcast address may be
 * ignored, and is (limited and directed broadcast). */
TEST(broadcast_echo_not_answered)
{
	REQUIRE(setup() == 0);
	fake_rx(&H, f, fake_echo_frame(f, FAKE_BCAST_MAC, FAKE_PEER_MAC,
				       FAKE_PEER_IP, 0xffffffffu, 0,
				       ICMP_ECHO_REQUEST, 1, 1, data56, 8));
	fake_rx(&H, f, fake_echo_frame(f, FAKE_BCAST_MAC, FAKE_PEER_MAC,
				       FAKE_PEER_IP, FAKE_SUBNET_BCAST, 0,
				       ICMP_ECHO_REQUEST, 1, 2, data56, 8));
	CHECK_CNT(&H, { AX_C_eth_rx, 2 }, { AX_C_ip_rx, 2 },
		  { AX_C_icmp_rx, 2 }, { AX_C_icmp_echo_rx, 2 },
		  { AX_C_icmp_echo_ignored, 2 });
	CHECK_EQ(H.nif.n, 0);
}

/* RFC 792: the checksum covers the whole ICMP message; a bad one is
 * dropped, whatever the type. */
TEST(bad_icmp_csum)
{
	size_t len;

	REQUIRE(setup() == 0);
	H.s.echo_reply_cb = on_reply;
	memset(&cb, 0, sizeof(cb));
	len = fake_ping_frame(f, 1, 1, data56, 56);
	f[len - 1] ^= 0x20; /* last data byte */
	fake_rx(&H, f, len);
	len = fake_ping_frame(f, 1, 1, data56, 56);
	IP[20 + 2] ^= 0xff; /* the checksum itself */
	fake_rx(&H, f, len);
	len = fake_echo_frame(f, FAKE_OUR_MAC, FAKE_PEER_MAC, FAKE_PEER_IP,
			      FAKE_OUR_IP, 0, ICMP_ECHO_REPLY, 1, 1, data56, 3);
	IP[20 + 4] ^= 1; /* identifier */
	fake_rx(&H, f, len);
	CHECK_CNT(&H, { AX_C_eth_rx, 3 }, { AX_C_ip_rx, 3 },
		  { AX_C_icmp_rx, 3 }, { AX_C_icmp_bad_csum, 3 });
	CHECK_EQ(H.nif.n, 0);
	CHECK_EQ(cb.calls, 0);
}

/* An ICMP message shorter than its 8-byte header is counted, not read
 * (IP says 20 + k bytes, k = 0..7). */
TEST(truncated_icmp)
{
	size_t k;

	REQUIRE(setup() == 0);
	for (k = 0; k < 8; k++) {
		fake_ping_frame(f, 1, 1, NULL, 0);
		fake_put16(IP + 2, (uint16_t)(20 + k));
		fake_ipv4_fix_csum(IP);
		fake_rx(&H, f, ETH_HLEN_AX + 20 + k);
	}
	CHECK_CNT(&H, { AX_C_eth_rx, 8 }, { AX_C_ip_rx, 8 },
		  { AX_C_icmp_rx, 8 }, { AX_C_icmp_malformed, 8 });
	CHECK_EQ(H.nif.n, 0);
}

/* RFC 792 defines echo with code 0 only; other codes are not answered. */
TEST(echo_nonzero_code)
{
	size_t len;

	REQUIRE(setup() == 0);
	len = fake_ping_frame(f, 1, 1, data56, 4);
	IP[21] = 1;
	IP[22] = IP[23] = 0;
	fake_put16(IP + 22, fake_csum(IP + 20, 12));
	fake_rx(&H, f, len);
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_ip_rx, 1 },
		  { AX_C_icmp_rx, 1 }, { AX_C_icmp_echo_rx, 1 },
		  { AX_C_icmp_echo_ignored, 1 });
	CHECK_EQ(H.nif.n, 0);
}

/* Types the engine does not serve are counted and left alone; a
 * destination unreachable (code 1: host, quoting nothing of ours) is
 * counted as such and goes nowhere. */
TEST(other_icmp_types)
{
	static const uint8_t types[] = { ICMP_DEST_UNREACH, 5, 11, 13, 255 };
	size_t i, len;

	REQUIRE(setup() == 0);
	for (i = 0; i < sizeof(types); i++) {
		len = fake_ping_frame(f, 1, 1, data56, 28);
		IP[20] = types[i];
		IP[22] = IP[23] = 0;
		fake_put16(IP + 22, fake_csum(IP + 20, 8 + 28));
		fake_rx(&H, f, len);
	}
	CHECK_CNT(&H, { AX_C_eth_rx, 5 }, { AX_C_ip_rx, 5 },
		  { AX_C_icmp_rx, 5 }, { AX_C_icmp_other_rx, 4 }, { AX_C_icmp_unreach_rx, 1 });
	CHECK_EQ(H.nif.n, 0);
}

/* An echo reply goes to echo_reply_cb with id/seq in host order, the TTL
 * it arrived with and exactly its data (padding excluded). */
TEST(echo_reply_delivered)
{
	size_t len;

	REQUIRE(setup() == 0);
	memset(&cb, 0, sizeof(cb));
	H.s.echo_reply_cb = on_reply;
	H.s.echo_reply_arg = &cb;
	len = fake_echo_frame(f, FAKE_OUR_MAC, FAKE_PEER_MAC, FAKE_PEER_IP,
			      FAKE_OUR_IP, 0, ICMP_ECHO_REPLY, 0x4242, 0x0007,
			      data56, 56);
	IP[8] = 61;
	fake_ipv4_fix_csum(IP);
	memset(f + len, 0x77, 10);
	fake_rx(&H, f, len + 10);
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_ip_rx, 1 },
		  { AX_C_icmp_rx, 1 }, { AX_C_icmp_echo_reply_rx, 1 });
	CHECK_EQ(H.nif.n, 0);
	CHECK_EQ(cb.calls, 1);
	CHECK(cb.arg == &cb);
	CHECK_EQ(cb.r.src, FAKE_PEER_IP);
	CHECK_EQ(cb.r.id, 0x4242);
	CHECK_EQ(cb.r.seq, 7);
	CHECK_EQ(cb.r.ttl, 61);
	CHECK_EQ(cb.r.data_len, 56);
	CHECK_MEM(cb.data, data56, 56);

	/* No data; and with no callback set it is only counted. */
	fake_mark(&H);
	fake_rx(&H, f, fake_echo_frame(f, FAKE_OUR_MAC, FAKE_PEER_MAC,
				       FAKE_PEER_IP, FAKE_OUR_IP, 0,
				       ICMP_ECHO_REPLY, 1, 2, NULL, 0));
	CHECK_EQ(cb.calls, 2);
	CHECK_EQ(cb.r.data_len, 0);
	H.s.echo_reply_cb = NULL;
	fake_rx(&H, f, fake_echo_frame(f, FAKE_OUR_MAC, FAKE_PEER_MAC,
				       FAKE_PEER_IP, FAKE_OUR_IP, 0,
				       ICMP_ECHO_REPLY, 1, 3, NULL, 0));
	CHECK_EQ(cb.calls, 2);
	CHECK_CNT(&H, { AX_C_eth_rx, 2 }, { AX_C_ip_rx, 2 },
		  { AX_C_icmp_rx, 2 }, { AX_C_icmp_echo_reply_rx, 2 });
}

/* A request whose reply would not fit our MTU is not answered (it could
 * only have arrived on a link with a larger MTU than ours). */
TEST(echo_reply_larger_than_mtu)
{
	static uint8_t big[1000];

	REQUIRE(setup() == 0);
	H.nif.netif.mtu = 576;
	fake_rx(&H, f, fake_ping_frame(f, 1, 1, big, 576 - 28 + 1));
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_ip_rx, 1 },
		  { AX_C_icmp_rx, 1 }, { AX_C_icmp_echo_rx, 1 },
		  { AX_C_icmp_echo_ignored, 1 });
	CHECK_EQ(H.nif.n, 0);
	fake_mark(&H);
	fake_rx(&H, f, fake_ping_frame(f, 1, 2, big, 576 - 28));
	CHECK_ANSWERED_CNT(1);
	check_echo(fake_frame(&H.nif, 0), FAKE_PEER_MAC, FAKE_PEER_IP,
		   ICMP_ECHO_REPLY, 1, 2, big, 576 - 28);
}

/* No route back to the source: the request is counted, the reply is not
 * sent (ip_no_route). */
TEST(echo_reply_no_route)
{
	REQUIRE(fake_host_init(&H) == 0);
	REQUIRE(stack_init(&H.s, &H.nif.netif, FAKE_OUR_IP, 24, 0) == 0);
	fake_mark(&H);
	fake_rx(&H, f, fake_echo_frame(f, FAKE_OUR_MAC, FAKE_GW_MAC,
				       FAKE_IP(192, 0, 2, 1), FAKE_OUR_IP, 0,
				       ICMP_ECHO_REQUEST, 1, 1, data56, 8));
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_ip_rx, 1 },
		  { AX_C_icmp_rx, 1 }, { AX_C_icmp_echo_rx, 1 },
		  { AX_C_ip_no_route, 1 }, { AX_C_route_no_route, 1 });
	CHECK_EQ(H.nif.n, 0);
}

/* stack_ping to a resolved neighbour: one echo request, at once. */
TEST(ping_resolved)
{
	REQUIRE(setup() == 0);
	CHECK_EQ(stack_ping(&H.s, FAKE_PEER_IP, 0xabcd, 3, data56, 56), 0);
	CHECK_CNT(&H, { AX_C_icmp_echo_tx, 1 }, { AX_C_ip_tx, 1 },
		  { AX_C_eth_tx, 1 });
	CHECK_EQ(H.nif.n, 1);
	check_echo(fake_frame(&H.nif, 0), FAKE_PEER_MAC, FAKE_PEER_IP,
		   ICMP_ECHO_REQUEST, 0xabcd, 3, data56, 56);
	/* No data: a NULL pointer with length 0 is allowed. */
	fake_mark(&H);
	CHECK_EQ(stack_ping(&H.s, FAKE_PEER_IP, 1, 4, NULL, 0), 0);
	check_echo(fake_frame(&H.nif, 0), FAKE_PEER_MAC, FAKE_PEER_IP,
		   ICMP_ECHO_REQUEST, 1, 4, NULL, 0);
}

/* stack_ping to an unresolved neighbour: the request is queued, an ARP
 * request goes out, and the ARP reply releases the queued frame with the
 * right destination MAC (RFC 1122 2.3.2.2: queue at least one). */
TEST(ping_unresolved_queued)
{
	struct fake_arp_view a;

	REQUIRE(setup() == 0);
	CHECK_EQ(stack_ping(&H.s, FAKE_OTHER_IP, 77, 1, data56, 56), 0);
	CHECK_CNT(&H, { AX_C_arp_requests_tx, 1 }, { AX_C_eth_tx, 1 },
		  { AX_C_arp_queued, 1 }, { AX_C_ip_tx, 1 },
		  { AX_C_icmp_echo_tx, 1 });
	REQUIRE(H.nif.n == 1);
	REQUIRE(fake_parse_arp(&H.nif.frames[0], &a) == 0);
	CHECK_MEM(a.eth_dst, FAKE_BCAST_MAC, 6);
	CHECK_EQ(a.op, ARP_OP_REQUEST);
	CHECK_EQ(a.spa, FAKE_OUR_IP);
	CHECK_EQ(a.tpa, FAKE_OTHER_IP);
	CHECK_EQ(fake_arp_free_slots(&H.s), AX_ARP_QUEUE_SLOTS - 1);

	fake_mark(&H);
	fake_rx(&H, f, fake_arp(f, FAKE_OUR_MAC, ARP_OP_REPLY, FAKE_OTHER_MAC,
				FAKE_OTHER_IP, FAKE_OUR_MAC, FAKE_OUR_IP));
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_arp_rx, 1 },
		  { AX_C_arp_replies_rx, 1 }, { AX_C_eth_tx, 1 });
	CHECK_EQ(H.nif.n, 1);
	check_echo(fake_frame(&H.nif, 0), FAKE_OTHER_MAC, FAKE_OTHER_IP,
		   ICMP_ECHO_REQUEST, 77, 1, data56, 56);
	CHECK_EQ(fake_arp_free_slots(&H.s), AX_ARP_QUEUE_SLOTS);
	CHECK(fake_arp_invariants(&H.s) == NULL);
}

/* Off link, the ARP request is for the gateway; no route at all is
 * -ENETUNREACH with nothing sent. */
TEST(ping_routing)
{
	struct fake_arp_view a;

	REQUIRE(setup() == 0);
	CHECK_EQ(stack_ping(&H.s, FAKE_IP(198, 51, 100, 1), 1, 1, data56, 8), 0);
	REQUIRE(H.nif.n == 1);
	REQUIRE(fake_parse_arp(&H.nif.frames[0], &a) == 0);
	CHECK_EQ(a.tpa, FAKE_GW_IP);

	REQUIRE(stack_init(&H.s, &H.nif.netif, FAKE_OUR_IP, 24, 0) == 0);
	fake_mark(&H);
	CHECK_EQ(stack_ping(&H.s, FAKE_IP(198, 51, 100, 1), 1, 1, data56, 8),
		 -ENETUNREACH);
	CHECK_CNT(&H, { AX_C_ip_no_route, 1 }, { AX_C_route_no_route, 1 });
	CHECK_EQ(H.nif.n, 0);
}

/* -EMSGSIZE for data that cannot fit the MTU, with nothing sent and no
 * queue slot held, however often it is tried; a ping that fits still
 * works afterwards. */
TEST(ping_too_large)
{
	static uint8_t big[9000];
	unsigned int i;
	int bad = 0;

	REQUIRE(setup() == 0);
	/* 1500 - 20 - 8 = 1472 bytes of data fit, 1473 do not. */
	for (i = 0; i < AX_ARP_QUEUE_SLOTS + 10; i++)
		if (stack_ping(&H.s, FAKE_OTHER_IP, 1, (uint16_t)i, big, 1473) != -EMSGSIZE)
			bad++;
	CHECK_EQ(bad, 0);
	CHECK(stack_ping(&H.s, FAKE_OTHER_IP, 1, 1, big, SIZE_MAX) == -EMSGSIZE);
	CHECK(stack_ping(&H.s, FAKE_OTHER_IP, 1, 1, big, SIZE_MAX - 27) == -EMSGSIZE);
	CHECK(stack_ping(&H.s, FAKE_OTHER_IP, 1, 1, big, SIZE_MAX - 7) == -EMSGSIZE);
	CHECK_CNT(&H);
	CHECK_EQ(H.nif.n, 0);
	CHECK_EQ(fake_arp_free_slots(&H.s), AX_ARP_QUEUE_SLOTS);
	CHECK_EQ(stack_ping(&H.s, FAKE_PEER_IP, 1, 1, big, 1472), 0);
	CHECK_EQ(H.nif.n, 1);
	CHECK_EQ(H.nif.frames[0].len, ETH_HLEN_AX + 1500);

	/* A jumbo MTU passes the MTU check, but an ARP queue slot holds one
	 * AX_FRAME_MAX frame: the frame is refused after a slot was taken,
	 * and the slot must come back each time. */
	REQUIRE(setup() == 0);
	H.nif.netif.mtu = 9000;
	for (i = 0; i < AX_ARP_QUEUE_SLOTS + 10; i++)
		if (stack_ping(&H.s, FAKE_OTHER_IP, 1, (uint16_t)i, big, 2000) != -EMSGSIZE)
			bad++;
	CHECK_EQ(bad, 0);
	/* The first attempt started resolution (one request) before the
	 * size was known; nothing else moved. */
	CHECK_CNT(&H, { AX_C_arp_requests_tx, 1 }, { AX_C_eth_tx, 1 });
	CHECK_EQ(fake_arp_free_slots(&H.s), AX_ARP_QUEUE_SLOTS);
	CHECK(fake_arp_invariants(&H.s) == NULL);

	fake_mark(&H);
	CHECK_EQ(stack_ping(&H.s, FAKE_OTHER_IP, 2, 2, data56, 56), 0);
	CHECK_CNT(&H, { AX_C_arp_queued, 1 }, { AX_C_ip_tx, 1 },
		  { AX_C_icmp_echo_tx, 1 });
	fake_mark(&H);
	fake_rx(&H, f, fake_arp(f, FAKE_OUR_MAC, ARP_OP_REPLY, FAKE_OTHER_MAC,
				FAKE_OTHER_IP, FAKE_OUR_MAC, FAKE_OUR_IP));
	CHECK_EQ(H.nif.n, 1);
	check_echo(fake_frame(&H.nif, 0), FAKE_OTHER_MAC, FAKE_OTHER_IP,
		   ICMP_ECHO_REQUEST, 2, 2, data56, 56);
}

/* A device whose buffers are too small for what is being sent: nothing is
 * written past the buffer (the fake's buffer is exactly cap bytes, so ASan
 * would see it) and nothing half-built is sent. Below Ethernet + IPv4
 * headers (34 bytes) it is "no buffer"; above, the message does not fit. */
TEST(small_device_buffers)
{
	static const size_t caps[] = { 0, 13, 14, 20, 33, 34, 41, 42, 60, 97 };
	size_t i;

	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		int small = caps[i] < ETH_HLEN_AX + 20;

		REQUIRE(setup() == 0);
		H.nif.cap = caps[i];
		/* The reply needs 14 + 20 + 8 + 56 = 98 bytes. */
		fake_rx(&H, f, fake_ping_frame(f, 1, 1, data56, 56));
		CHECK_EQ(stack_ping(&H.s, FAKE_PEER_IP, 1, 1, data56, 56),
			 small ? -ENOBUFS : -EMSGSIZE);
		CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_ip_rx, 1 },
			  { AX_C_icmp_rx, 1 }, { AX_C_icmp_echo_rx, 1 },
			  { AX_C_tx_no_buffer, small ? 2 : 0 });
		CHECK_EQ(H.nif.n, 0);
		CHECK_EQ(H.nif.contract_errors, 0);
	}
	/* 98 bytes are enough for both. */
	H.nif.cap = 98;
	fake_mark(&H);
	fake_rx(&H, f, fake_ping_frame(f, 1, 1, data56, 56));
	CHECK_EQ(stack_ping(&H.s, FAKE_PEER_IP, 1, 1, data56, 56), 0);
	CHECK_EQ(H.nif.n, 2);
}

TEST_MAIN(T(echo_request_answered), T(echo_reply_via_gateway),
	  T(echo_reply_waits_for_arp), T(broadcast_echo_not_answered),
	  T(bad_icmp_csum), T(truncated_icmp), T(echo_nonzero_code),
	  T(other_icmp_types), T(echo_reply_delivered),
	  T(echo_reply_larger_than_mtu), T(echo_reply_no_route),
	  T(ping_resolved), T(ping_unresolved_queued), T(ping_routing),
	  T(ping_too_large), T(small_device_buffers))
