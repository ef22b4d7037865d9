/*
 * test_arp.c - ARP (arp.c): RFC 826 input and merge, RFC 5227 probes,
 * announcements and conflicts, the neighbour cache and its timers, and
 * the queue of frames waiting for resolution.
 */
#include "fake_netif.h"
#include "testlib.h"

static struct fake_host H;
static uint8_t f[128];

static const uint8_t mac_a[6] = { 0x02, 0xaa, 0, 0, 0, 0x01 };
static const uint8_t mac_b[6] = { 0x02, 0xbb, 0, 0, 0, 0x02 };
static const uint8_t mac_c[6] = { 0x02, 0xcc, 0, 0, 0, 0x03 };

static int setup(void)
{
	if (fake_host_init(&H))
		return -1;
	fake_mark(&H);
	return 0;
}

/* A request from sha/spa for tpa, broadcast as usual. */
static void rx_request(const uint8_t *sha, uint32_t spa, uint32_t tpa)
{
	fake_rx(&H, f, fake_arp(f, FAKE_BCAST_MAC, ARP_OP_REQUEST, sha, spa,
				FAKE_ZERO_MAC, tpa));
}

/* A reply from sha/spa to us. */
static void rx_reply(const uint8_t *sha, uint32_t spa)
{
	fake_rx(&H, f, fake_arp(f, FAKE_OUR_MAC, ARP_OP_REPLY, sha, spa,
				FAKE_OUR_MAC, FAKE_OUR_IP));
}

/* The entry for ip is REACHABLE with mac. */
static int knows(uint32_t ip, const uint8_t *mac)
{
	const struct arp_entry *e = arp_lookup(&H.s.arp, ip);

	return e && e->state == ARP_REACHABLE && memcmp(e->mac, mac, 6) == 0;
}

/* Frame i is an ARP request from us for tpa (broadcast). */
static void check_request(unsigned int i, uint32_t tpa)
{
	struct fake_arp_view a;

	REQUIRE(fake_frame(&H.nif, i) != NULL);
	REQUIRE(fake_parse_arp(fake_frame(&H.nif, i), &a) == 0);
	CHECK_MEM(a.eth_dst, FAKE_BCAST_MAC, 6);
	CHECK_MEM(a.eth_src, FAKE_OUR_MAC, 6);
	CHECK_EQ(a.op, ARP_OP_REQUEST);
	CHECK_MEM(a.sha, FAKE_OUR_MAC, 6);
	CHECK_EQ(a.spa, FAKE_OUR_IP);
	CHECK_MEM(a.tha, FAKE_ZERO_MAC, 6);
	CHECK_EQ(a.tpa, tpa);
}

#define CHECK_ANSWERED_REQUEST_CNT(n)                                      \
	CHECK_CNT(&H, { AX_C_eth_rx, n }, { AX_C_arp_rx, n },                \
		  { AX_C_arp_requests_rx, n }, { AX_C_arp_replies_tx, n },   \
		  { AX_C_eth_tx, n })

/* RFC 826: a request for our address is answered with our MAC, to the
 * requester, and the requester is learned (we are the target). */
TEST(request_for_us_answered)
{
	struct fake_arp_view a;
	const struct arp_entry *e;

	REQUIRE(setup() == 0);
	rx_request(FAKE_PEER_MAC, FAKE_PEER_IP, FAKE_OUR_IP);
	CHECK_ANSWERED_REQUEST_CNT(1);
	REQUIRE(H.nif.n == 1);
	CHECK_EQ(H.nif.frames[0].len, 42);
	REQUIRE(fake_parse_arp(&H.nif.frames[0], &a) == 0);
	CHECK_MEM(a.eth_dst, FAKE_PEER_MAC, 6);
	CHECK_MEM(a.eth_src, FAKE_OUR_MAC, 6);
	CHECK_EQ(a.ethtype, ETHTYPE_ARP);
	CHECK_EQ(a.htype, ARP_HTYPE_ETHER);
	CHECK_EQ(a.ptype, ETHTYPE_IPV4);
	CHECK_EQ(a.hlen, 6);
	CHECK_EQ(a.plen, 4);
	CHECK_EQ(a.op, ARP_OP_REPLY);
	CHECK_MEM(a.sha, FAKE_OUR_MAC, 6);
	CHECK_EQ(a.spa, FAKE_OUR_IP);
	CHECK_MEM(a.tha, FAKE_PEER_MAC, 6);
	CHECK_EQ(a.tpa, FAKE_PEER_IP);

	e = arp_lookup(&H.s.arp, FAKE_PEER_IP);
	REQUIRE(e != NULL);
	CHECK_EQ(e->state, ARP_REACHABLE);
	CHECK_MEM(e->mac, FAKE_PEER_MAC, 6);
	CHECK_EQ(e->deadline_ns, H.s.now_ns + MS_TO_NS(AX_ARP_REACHABLE_MS));
	CHECK_EQ(H.s.arp.used, 1);

	/* Unicast requests (a neighbour re-checking us) and Ethernet
	 * padding to 60 bytes change nothing. */
	fake_mark(&H);
	fake_arp(f, FAKE_OUR_MAC, ARP_OP_REQUEST, FAKE_PEER_MAC, FAKE_PEER_IP,
		 FAKE_OUR_MAC, FAKE_OUR_IP);
	memset(f + 42, 0xee, 18);
	fake_rx(&H, f, 60);
	CHECK_ANSWERED_REQUEST_CNT(1);
	CHECK_EQ(H.nif.n, 1);
	CHECK_EQ(H.s.arp.used, 1);
}

/* RFC 826: a request for another host is not answered, and its sender is
 * not added (the merge only updates existing entries). */
TEST(request_for_other_ignored)
{
	REQUIRE(setup() == 0);
	rx_request(FAKE_PEER_MAC, FAKE_PEER_IP, FAKE_OTHER_IP);
	rx_request(FAKE_PEER_MAC, FAKE_PEER_IP, FAKE_PEER_IP); /* its GARP */
	CHECK_CNT(&H, { AX_C_eth_rx, 2 }, { AX_C_arp_rx, 2 });
	CHECK_EQ(H.nif.n, 0);
	CHECK(arp_lookup(&H.s.arp, FAKE_PEER_IP) == NULL);
	CHECK_EQ(H.s.arp.used, 0);
}

/* RFC 826 merge: any ARP packet (request or reply, for us or not,
 * gratuitous) from a known sender updates its MAC and restarts its
 * lifetime; an unsolicited reply to us teaches a new neighbour. */
TEST(merge_updates_existing)
{
	const struct arp_entry *e;

	REQUIRE(setup() == 0);
	rx_request(mac_a, FAKE_PEER_IP, FAKE_OUR_IP);
	fake_mark(&H);

	/* A request for someone else, from a new MAC. */
	rx_request(mac_b, FAKE_PEER_IP, FAKE_OTHER_IP);
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_arp_rx, 1 });
	CHECK(knows(FAKE_PEER_IP, mac_b));

	/* A reply, 30 s later: the lifetime restarts from now. */
	fake_mark(&H);
	stack_set_time(&H.s, H.s.now_ns + MS_TO_NS(30000));
	rx_reply(mac_c, FAKE_PEER_IP);
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_arp_rx, 1 },
		  { AX_C_arp_replies_rx, 1 });
	CHECK(knows(FAKE_PEER_IP, mac_c));
	e = arp_lookup(&H.s.arp, FAKE_PEER_IP);
	REQUIRE(e != NULL);
	CHECK_EQ(e->deadline_ns, H.s.now_ns + MS_TO_NS(AX_ARP_REACHABLE_MS));

	/* A gratuitous ARP (spa == tpa, RFC 5227 3). */
	fake_mark(&H);
	rx_request(mac_a, FAKE_PEER_IP, FAKE_PEER_IP);
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_arp_rx, 1 });
	CHECK(knows(FAKE_PEER_IP, mac_a));
	CHECK_EQ(H.s.arp.used, 1);
	CHECK_EQ(H.nif.n, 0);

	/* An unsolicited reply addressed to us: we are the target. */
	fake_mark(&H);
	rx_reply(mac_b, FAKE_OTHER_IP);
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_arp_rx, 1 },
		  { AX_C_arp_replies_rx, 1 });
	CHECK(knows(FAKE_OTHER_IP, mac_b));
	CHECK_EQ(H.s.arp.used, 2);
	CHECK_EQ(H.nif.n, 0);
}

/* RFC 5227 2.1.1: a probe (sender IP 0) for our address is answered, and
 * teaches nothing (there is no sender address to learn). */
TEST(probe_answered_not_learned)
{
	struct fake_arp_view a;

	REQUIRE(setup() == 0);
	rx_request(FAKE_PEER_MAC, 0, FAKE_OUR_IP);
	CHECK_ANSWERED_REQUEST_CNT(1);
	CHECK_EQ(H.s.arp.used, 0);
	CHECK(arp_lookup(&H.s.arp, 0) == NULL);
	REQUIRE(H.nif.n == 1);
	REQUIRE(fake_parse_arp(&H.nif.frames[0], &a) == 0);
	CHECK_MEM(a.eth_dst, FAKE_PEER_MAC, 6);
	CHECK_EQ(a.op, ARP_OP_REPLY);
	CHECK_EQ(a.spa, FAKE_OUR_IP);
	CHECK_MEM(a.tha, FAKE_PEER_MAC, 6);
	CHECK_EQ(a.tpa, 0);

	/* A probe for another address: nothing at all. */
	fake_mark(&H);
	rx_request(FAKE_PEER_MAC, 0, FAKE_OTHER_IP);
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_arp_rx, 1 });
	CHECK_EQ(H.nif.n, 0);
	CHECK_EQ(H.s.arp.used, 0);
}

/* RFC 5227 2.4: another MAC claiming our address is a conflict: counted,
 * not answered, not learned. Our own announcement looped back is not. */
TEST(conflict_counted)
{
	REQUIRE(setup() == 0);
	rx_request(mac_a, FAKE_OUR_IP, FAKE_OUR_IP);  /* its announcement */
	rx_request(mac_a, FAKE_OUR_IP, FAKE_PEER_IP); /* it asks as us */
	rx_reply(mac_a, FAKE_OUR_IP);                 /* it answers as us */
	rx_request(FAKE_OUR_MAC, FAKE_OUR_IP, FAKE_OUR_IP); /* our own */
	CHECK_CNT(&H, { AX_C_eth_rx, 4 }, { AX_C_arp_rx, 4 },
		  { AX_C_arp_conflict, 3 });
	CHECK_EQ(H.nif.n, 0);
	CHECK_EQ(H.s.arp.used, 0);
	CHECK(arp_lookup(&H.s.arp, FAKE_OUR_IP) == NULL);
}

/* Only Ethernet/IPv4 ARP (RFC 826 with htype 1, ptype 0x0800, hlen 6,
 * plen 4, op request/reply) from a unicast sender MAC is accepted. */
TEST(malformed_counted)
{
	static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0, 0, 1 };
	uint8_t *a = f + ETH_HLEN_AX;
	size_t len;
	int i;

	REQUIRE(setup() == 0);
	for (i = 0; i < 11; i++) {
		len = fake_arp(f, FAKE_BCAST_MAC, ARP_OP_REQUEST, FAKE_PEER_MAC,
			       FAKE_PEER_IP, FAKE_ZERO_MAC, FAKE_OUR_IP);
		switch (i) {
		case 0: len = ETH_HLEN_AX; break;           /* nothing */
		case 1: len = ETH_HLEN_AX + 27; break;      /* one byte short */
		case 2: fake_put16(a, 6); break;            /* IEEE 802 htype */
		case 3: fake_put16(a + 2, ETHTYPE_IPV6); break;
		case 4: a[4] = 8; break;                    /* hlen */
		case 5: a[5] = 16; break;                   /* plen */
		case 6: fake_put16(a + 6, 0); break;        /* op */
		case 7: fake_put16(a + 6, 3); break;        /* RARP request */
		case 8: memcpy(a + 8, mcast, 6); break;     /* multicast sha */
		case 9: memcpy(a + 8, FAKE_BCAST_MAC, 6); break;
		case 10: fake_put16(a + 6, 0x0101); break;  /* op, byte-swapped */
		}
		fake_rx(&H, f, len);
	}
	CHECK_CNT(&H, { AX_C_eth_rx, 11 }, { AX_C_arp_rx, 11 },
		  { AX_C_arp_malformed, 11 });
	CHECK_EQ(H.nif.n, 0);
	CHECK_EQ(H.s.arp.used, 0);
}

/* A learned neighbour is forgotten AX_ARP_REACHABLE_MS after it was last
 * heard from (the timer scan runs at most every 100 ms); the next packet
 * to it resolves again. */
TEST(cache_expiry)
{
	REQUIRE(setup() == 0);
	rx_request(FAKE_PEER_MAC, FAKE_PEER_IP, FAKE_OUR_IP);
	fake_mark(&H);
	fake_advance(&H, AX_ARP_REACHABLE_MS - 100);
	CHECK(knows(FAKE_PEER_IP, FAKE_PEER_MAC));
	fake_advance(&H, 99);
	CHECK(knows(FAKE_PEER_IP, FAKE_PEER_MAC));
	fake_advance(&H, 1);
	CHECK(arp_lookup(&H.s.arp, FAKE_PEER_IP) == NULL);
	CHECK_EQ(H.s.arp.used, 0);
	CHECK_CNT(&H);
	CHECK_EQ(H.nif.n, 0);

	CHECK_EQ(stack_ping(&H.s, FAKE_PEER_IP, 1, 1, NULL, 0), 0);
	CHECK_EQ(H.nif.n, 1);
	check_request(0, FAKE_PEER_IP);
	CHECK(fake_arp_invariants(&H.s) == NULL);
}

/* RFC 1122 2.3.2.1: one request per AX_ARP_RETRY_MS, AX_ARP_MAX_TRIES in
 * all; then the resolution fails and what waited is dropped and counted. */
TEST(resolution_retries_then_fails)
{
	int k;

	REQUIRE(setup() == 0);
	CHECK_EQ(stack_ping(&H.s, FAKE_OTHER_IP, 1, 1, NULL, 0), 0);
	CHECK_EQ(stack_ping(&H.s, FAKE_OTHER_IP, 1, 2, NULL, 0), 0);
	CHECK_CNT(&H, { AX_C_arp_requests_tx, 1 }, { AX_C_eth_tx, 1 },
		  { AX_C_arp_queued, 2 }, { AX_C_ip_tx, 2 },
		  { AX_C_icmp_echo_tx, 2 });
	check_request(0, FAKE_OTHER_IP);
	CHECK_EQ(arp_lookup(&H.s.arp, FAKE_OTHER_IP)->state, ARP_INCOMPLETE);

	for (k = 1; k < AX_ARP_MAX_TRIES; k++) {
		fake_mark(&H);
		fake_advance(&H, AX_ARP_RETRY_MS - 100); /* not yet */
		CHECK_CNT(&H);
		CHECK_EQ(H.nif.n, 0);
		fake_advance(&H, 100);
		CHECK_CNT(&H, { AX_C_arp_requests_tx, 1 }, { AX_C_eth_tx, 1 });
		CHECK_EQ(H.nif.n, 1);
		check_request(0, FAKE_OTHER_IP);
	}
	fake_mark(&H);
	fake_advance(&H, AX_ARP_RETRY_MS - 100);
	CHECK_CNT(&H);
	fake_advance(&H, 100);
	CHECK_CNT(&H, { AX_C_arp_resolve_failed, 1 },
		  { AX_C_arp_queue_dropped, 2 });
	CHECK_EQ(H.nif.n, 0);
	CHECK(arp_lookup(&H.s.arp, FAKE_OTHER_IP) == NULL);
	CHECK_EQ(fake_arp_free_slots(&H.s), AX_ARP_QUEUE_SLOTS);
	CHECK(fake_arp_invariants(&H.s) == NULL);

	/* Quiet afterwards: no more requests. */
	fake_mark(&H);
	fake_advance(&H, 10 * AX_ARP_RETRY_MS);
	CHECK_CNT(&H);

	/* A late reply to us is learned; nothing is left to send. */
	rx_reply(FAKE_OTHER_MAC, FAKE_OTHER_IP);
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_arp_rx, 1 },
		  { AX_C_arp_replies_rx, 1 });
	CHECK_EQ(H.nif.n, 0);
}

/* At most AX_ARP_QUEUE_PER_ENTRY frames wait for one neighbour; more are
 * refused and counted; the ones queued leave in order when resolved. */
TEST(queue_per_entry_limit)
{
	unsigned int i;
	int bad = 0;

	REQUIRE(setup() == 0);
	for (i = 0; i < AX_ARP_QUEUE_PER_ENTRY + 2; i++) {
		int want = i < AX_ARP_QUEUE_PER_ENTRY ? 0 : -ENOBUFS;

		if (stack_ping(&H.s, FAKE_OTHER_IP, 1, (uint16_t)i, NULL, 0) != want)
			bad++;
	}
	CHECK_EQ(bad, 0);
	CHECK_CNT(&H, { AX_C_arp_requests_tx, 1 }, { AX_C_eth_tx, 1 },
		  { AX_C_arp_queued, AX_ARP_QUEUE_PER_ENTRY },
		  { AX_C_ip_tx, AX_ARP_QUEUE_PER_ENTRY },
		  { AX_C_icmp_echo_tx, AX_ARP_QUEUE_PER_ENTRY },
		  { AX_C_arp_queue_dropped, 2 });

	fake_mark(&H);
	rx_reply(FAKE_OTHER_MAC, FAKE_OTHER_IP);
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_arp_rx, 1 },
		  { AX_C_arp_replies_rx, 1 },
		  { AX_C_eth_tx, AX_ARP_QUEUE_PER_ENTRY });
	REQUIRE(H.nif.n == AX_ARP_QUEUE_PER_ENTRY);
	for (i = 0; i < AX_ARP_QUEUE_PER_ENTRY; i++) {
		struct fake_icmp_view v;

		if (fake_parse_icmp(&H.nif.frames[i], &v) || v.seq != i ||
		    memcmp(v.eth_dst, FAKE_OTHER_MAC, 6) != 0 ||
		    !v.ip_csum_ok || !v.icmp_csum_ok)
			bad++;
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(fake_arp_free_slots(&H.s), AX_ARP_QUEUE_SLOTS);
}

/* The AX_ARP_QUEUE_SLOTS slots are shared: when all are taken, a new
 * neighbour still gets its request but its frame is dropped; a
 * resolution gives the slots back. */
TEST(queue_slots_shared)
{
	unsigned int nb = 0, i;
	uint32_t late = FAKE_IP(10, 0, 0, 200);

	REQUIRE(setup() == 0);
	while (fake_arp_free_slots(&H.s) > 0 && nb < 100) {
		for (i = 0; i < AX_ARP_QUEUE_PER_ENTRY; i++)
			stack_ping(&H.s, FAKE_IP(10, 0, 0, 10 + nb), 1,
				   (uint16_t)i, NULL, 0);
		nb++;
	}
	CHECK_EQ(H.s.cnt[AX_C_arp_queued], AX_ARP_QUEUE_SLOTS);
	fake_mark(&H);
	CHECK_EQ(stack_ping(&H.s, late, 1, 1, NULL, 0), -ENOBUFS);
	CHECK_CNT(&H, { AX_C_arp_requests_tx, 1 }, { AX_C_eth_tx, 1 },
		  { AX_C_arp_queue_dropped, 1 });

	fake_mark(&H);
	rx_reply(mac_a, FAKE_IP(10, 0, 0, 10));
	CHECK_EQ(H.nif.n, AX_ARP_QUEUE_PER_ENTRY);
	CHECK_EQ(fake_arp_free_slots(&H.s), AX_ARP_QUEUE_PER_ENTRY);
	CHECK_EQ(stack_ping(&H.s, late, 1, 2, NULL, 0), 0);
	CHECK(fake_arp_invariants(&H.s) == NULL);
}

/* AX_ARP_ENTRIES neighbours fit. One more evicts the resolved entry
 * closest to expiry (arp_evicted), so a flood of made-up senders cannot
 * lock new neighbours out for a whole reachable time. Entries still
 * resolving hold queued frames and are never evicted: when all of them
 * are, a new resolution is refused and counted in arp_cache_full. */
TEST(cache_full)
{
	unsigned int i;
	uint8_t mac[6] = { 0x02, 0x10, 0, 0, 0, 0 };

	REQUIRE(setup() == 0);
	for (i = 1; i <= AX_ARP_ENTRIES; i++) {
		mac[4] = (uint8_t)(i >> 8);
		mac[5] = (uint8_t)i;
		rx_request(mac, FAKE_IP(10, 1, i >> 8, i & 0xff), FAKE_OUR_IP);
		fake_advance(&H, 1); /* distinct expiry times, oldest first */
	}
	CHECK_EQ(H.s.arp.used, AX_ARP_ENTRIES);
	CHECK_ANSWERED_REQUEST_CNT(AX_ARP_ENTRIES);

	fake_mark(&H);
	rx_request(mac_a, FAKE_IP(10, 2, 0, 1), FAKE_OUR_IP);
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_arp_rx, 1 },
		  { AX_C_arp_evicted, 1 }, { AX_C_arp_requests_rx, 1 },
		  { AX_C_arp_replies_tx, 1 }, { AX_C_eth_tx, 1 });
	CHECK(knows(FAKE_IP(10, 2, 0, 1), mac_a));
	CHECK(arp_lookup(&H.s.arp, FAKE_IP(10, 1, 0, 1)) == NULL); /* oldest */
	CHECK(arp_lookup(&H.s.arp, FAKE_IP(10, 1, 0, 2)) != NULL);
	CHECK_EQ(H.s.arp.used, AX_ARP_ENTRIES);
	CHECK(fake_arp_invariants(&H.s) == NULL);

	/* Known neighbours are still updated: no new entry needed. */
	rx_request(mac_b, FAKE_IP(10, 1, 0, 7), FAKE_OTHER_IP);
	CHECK(knows(FAKE_IP(10, 1, 0, 7), mac_b));

	/* Now fill the table with resolutions in progress: a /16 on the
	 * link gives enough neighbours. */
	REQUIRE(stack_init(&H.s, &H.nif.netif, FAKE_OUR_IP, 16, 0) == 0);
	stack_set_time(&H.s, MS_TO_NS(1000));
	for (i = 0; i < AX_ARP_ENTRIES; i++)
		stack_ping(&H.s, FAKE_IP(10, 0, 1 + i / 200, 1 + i % 200), 1,
			   (uint16_t)i, NULL, 0);
	CHECK_EQ(H.s.arp.used, AX_ARP_ENTRIES);
	fake_mark(&H);
	CHECK_EQ(stack_ping(&H.s, FAKE_IP(10, 0, 9, 9), 1, 1, NULL, 0), -ENOBUFS);
	CHECK_CNT(&H, { AX_C_arp_cache_full, 1 });
	CHECK_EQ(H.nif.n, 0);
	CHECK(fake_arp_invariants(&H.s) == NULL);

	/* Unanswered, they all fail in time, and the table is free again. */
	for (i = 0; i <= AX_ARP_MAX_TRIES; i++)
		fake_advance(&H, AX_ARP_RETRY_MS + 100);
	CHECK_EQ(H.s.arp.used, 0);
	CHECK(fake_arp_invariants(&H.s) == NULL);
	fake_mark(&H);
	CHECK_EQ(stack_ping(&H.s, FAKE_OTHER_IP, 1, 1, NULL, 0), 0);
	CHECK_EQ(H.nif.n, 1);
	check_request(0, FAKE_OTHER_IP);
}

/* A device with no TX buffer (tx_begin returns NULL) or a failing commit:
 * every lost frame is counted in tx_no_buffer, nothing crashes, and state
 * (learning, queueing, retries) carries on. */
TEST(no_tx_buffers)
{
	REQUIRE(setup() == 0);
	H.nif.no_buffers = 1;
	rx_request(FAKE_PEER_MAC, FAKE_PEER_IP, FAKE_OUR_IP);
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_arp_rx, 1 },
		  { AX_C_arp_requests_rx, 1 }, { AX_C_tx_no_buffer, 1 });
	CHECK(knows(FAKE_PEER_IP, FAKE_PEER_MAC));

	/* The request is lost, the frame still queued for the retry. */
	fake_mark(&H);
	CHECK_EQ(stack_ping(&H.s, FAKE_OTHER_IP, 1, 1, NULL, 0), 0);
	CHECK_CNT(&H, { AX_C_tx_no_buffer, 1 }, { AX_C_arp_queued, 1 },
		  { AX_C_ip_tx, 1 }, { AX_C_icmp_echo_tx, 1 });
	stack_announce(&H.s);
	CHECK_CNT(&H, { AX_C_tx_no_buffer, 2 }, { AX_C_arp_queued, 1 },
		  { AX_C_ip_tx, 1 }, { AX_C_icmp_echo_tx, 1 });
	/* To a resolved neighbour: -ENOBUFS at once. */
	fake_mark(&H);
	CHECK_EQ(stack_ping(&H.s, FAKE_PEER_IP, 1, 1, NULL, 0), -ENOBUFS);
	CHECK_CNT(&H, { AX_C_tx_no_buffer, 1 });
	CHECK_EQ(H.nif.n, 0);

	/* Buffers are back: the retry goes out. */
	H.nif.no_buffers = 0;
	fake_mark(&H);
	fake_advance(&H, AX_ARP_RETRY_MS);
	CHECK_CNT(&H, { AX_C_arp_requests_tx, 1 }, { AX_C_eth_tx, 1 });
	check_request(0, FAKE_OTHER_IP);

	/* Gone again when the answer comes: the queued frame is lost,
	 * counted, and its slot returned. */
	H.nif.no_buffers = 1;
	fake_mark(&H);
	rx_reply(FAKE_OTHER_MAC, FAKE_OTHER_IP);
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_arp_rx, 1 },
		  { AX_C_arp_replies_rx, 1 }, { AX_C_tx_no_buffer, 1 });
	CHECK(knows(FAKE_OTHER_IP, FAKE_OTHER_MAC));
	CHECK_EQ(fake_arp_free_slots(&H.s), AX_ARP_QUEUE_SLOTS);

	/* A commit that fails is counted the same way, not as sent. */
	H.nif.no_buffers = 0;
	H.nif.commit_err = -ENOBUFS;
	fake_mark(&H);
	rx_request(FAKE_PEER_MAC, FAKE_PEER_IP, FAKE_OUR_IP);
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_arp_rx, 1 },
		  { AX_C_arp_requests_rx, 1 }, { AX_C_arp_replies_tx, 1 },
		  { AX_C_tx_no_buffer, 1 });
	CHECK_EQ(H.nif.n, 0);

	/* A buffer too small for an ARP packet (42 bytes) is not used. */
	H.nif.commit_err = 0;
	H.nif.cap = 41;
	fake_mark(&H);
	stack_announce(&H.s);
	CHECK_CNT(&H, { AX_C_tx_no_buffer, 1 });
	CHECK_EQ(H.nif.n, 0);
	CHECK_EQ(H.nif.contract_errors, 0);
	CHECK(fake_arp_invariants(&H.s) == NULL);
}

/* RFC 5227 2.4 / 3: an announcement is a broadcast request with sender
 * and target both our address, target MAC zero. */
TEST(gratuitous_announce)
{
	struct fake_arp_view a;

	REQUIRE(setup() == 0);
	stack_announce(&H.s);
	CHECK_CNT(&H, { AX_C_arp_requests_tx, 1 }, { AX_C_eth_tx, 1 });
	REQUIRE(H.nif.n == 1);
	CHECK_EQ(H.nif.frames[0].len, 42);
	check_request(0, FAKE_OUR_IP);
	REQUIRE(fake_parse_arp(&H.nif.frames[0], &a) == 0);
	CHECK_EQ(a.spa, a.tpa);
	CHECK_EQ(a.htype, ARP_HTYPE_ETHER);
	CHECK_EQ(a.ptype, ETHTYPE_IPV4);
	CHECK_EQ(a.hlen, 6);
	CHECK_EQ(a.plen, 4);
	CHECK_EQ(H.s.arp.used, 0);
}

TEST_MAIN(T(request_for_us_answered), T(request_for_other_ignored),
	  T(merge_updates_existing), T(probe_answered_not_learned),
	  T(conflict_counted), T(malformed_counted), T(cache_expiry),
	  T(resolution_retries_then_fails), T(queue_per_entry_limit),
	  T(queue_slots_shared), T(cache_full), T(no_tx_buffers),
	  T(gratuitous_announce))
