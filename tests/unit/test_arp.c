/*
 * test_arp.c - ARP (arp.c): RFC 826 input and merge, RFC 5227 probes,
 * announcements and conflicts, the neighbour cache and its timers, and
 * the queue of frames waiting for resolution.
 */
#include <stdio.h>
#include <unistd.h>

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

/* The entry for ip is resolved (any state but INCOMPLETE) with mac. */
static int knows(uint32_t ip, const uint8_t *mac)
{
	const struct neigh_entry *e = arp_lookup(&H.s.neigh, ip);

	return e && e->state != ARP_INCOMPLETE && memcmp(e->mac, mac, 6) == 0;
}

/* The state of ip's entry, ARP_FREE when there is none. */
static int state_of(uint32_t ip)
{
	const struct neigh_entry *e = arp_lookup(&H.s.neigh, ip);

	return e ? e->state : ARP_FREE;
}

/* A frame from eth_src carrying an ARP packet that names sha. */
static void rx_arp_from(const uint8_t *eth_dst, const uint8_t *eth_src,
			uint16_t op, const uint8_t *sha, uint32_t spa,
			uint32_t tpa)
{
	size_t n = fake_arp(f, eth_dst, op, sha, spa,
			    op == ARP_OP_REPLY ? FAKE_OUR_MAC : FAKE_ZERO_MAC,
			    tpa);

	memcpy(f + 6, eth_src, 6);
	fake_rx(&H, f, n);
}

/* Advance the clock by ms in 100 ms steps (the timer scan's period). */
static void run_for(uint64_t ms)
{
	uint64_t t;

	for (t = 0; t < ms; t += 100)
		fake_advance(&H, ms - t < 100 ? ms - t : 100);
}

/* Frame i is a unicast ARP request from us to mac for ip (a probe). */
static void check_probe(unsigned int i, const uint8_t *mac, uint32_t ip)
{
	struct fake_arp_view a;

	REQUIRE(fake_frame(&H.nif, i) != NULL);
	REQUIRE(fake_parse_arp(fake_frame(&H.nif, i), &a) == 0);
	CHECK_MEM(a.eth_dst, mac, 6);
	CHECK_EQ(a.op, ARP_OP_REQUEST);
	CHECK_MEM(a.sha, FAKE_OUR_MAC, 6);
	CHECK_EQ(a.spa, FAKE_OUR_IP);
	CHECK_EQ(a.tpa, ip);
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
 * requester, and the requester is learned (we are the target), STALE:
 * a request proves nothing about reachability (RFC 4861 7.2.3, Linux
 * neigh_event_ns). */
TEST(request_for_us_answered)
{
	struct fake_arp_view a;
	const struct neigh_entry *e;

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

	e = arp_lookup(&H.s.neigh, FAKE_PEER_IP);
	REQUIRE(e != NULL);
	CHECK_EQ(e->state, ARP_STALE);
	CHECK_MEM(e->mac, FAKE_PEER_MAC, 6);
	CHECK_EQ(e->deadline_ns, H.s.now_ns + MS_TO_NS(AX_ARP_STALE_MS));
	CHECK_EQ(H.s.neigh.used, 1);

	/* Unicast requests (a neighbour re-checking us) and Ethernet
	 * padding to 60 bytes change nothing. */
	fake_mark(&H);
	fake_arp(f, FAKE_OUR_MAC, ARP_OP_REQUEST, FAKE_PEER_MAC, FAKE_PEER_IP,
		 FAKE_OUR_MAC, FAKE_OUR_IP);
	memset(f + 42, 0xee, 18);
	fake_rx(&H, f, 60);
	CHECK_ANSWERED_REQUEST_CNT(1);
	CHECK_EQ(H.nif.n, 1);
	CHECK_EQ(H.s.neigh.used, 1);
}

/* RFC 826: a request for another host is not answered, and its sender is
 * not added (the merge only updates existing entries); nor is an unknown
 * host's announcement (Linux arp_accept=0), which is counted. */
TEST(request_for_other_ignored)
{
	REQUIRE(setup() == 0);
	rx_request(FAKE_PEER_MAC, FAKE_PEER_IP, FAKE_OTHER_IP);
	rx_request(FAKE_PEER_MAC, FAKE_PEER_IP, FAKE_PEER_IP); /* its GARP */
	CHECK_CNT(&H, { AX_C_eth_rx, 2 }, { AX_C_arp_rx, 2 },
		  { AX_C_arp_unsolicited, 1 });
	CHECK_EQ(H.nif.n, 0);
	CHECK(arp_lookup(&H.s.neigh, FAKE_PEER_IP) == NULL);
	CHECK_EQ(H.s.neigh.used, 0);
}

/* RFC 826 merge: an ARP packet from a known sender (request or reply,
 * for us or not) updates its MAC; a new MAC nobody confirmed makes the
 * entry STALE, a unicast reply to us makes it REACHABLE for the reachable
 * time. A request with the same MAC does not demote a REACHABLE entry. */
TEST(merge_updates_existing)
{
	const struct neigh_entry *e;

	REQUIRE(setup() == 0);
	rx_request(mac_a, FAKE_PEER_IP, FAKE_OUR_IP);
	run_for(AX_ARP_LOCKTIME_MS);
	fake_mark(&H);

	/* A request for someone else, from a new MAC. */
	rx_request(mac_b, FAKE_PEER_IP, FAKE_OTHER_IP);
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_arp_rx, 1 });
	CHECK(knows(FAKE_PEER_IP, mac_b));
	CHECK_EQ(state_of(FAKE_PEER_IP), ARP_STALE);

	/* A unicast reply to us, 30 s later: REACHABLE from now. */
	fake_mark(&H);
	stack_set_time(&H.s, H.s.now_ns + MS_TO_NS(30000));
	rx_reply(mac_c, FAKE_PEER_IP);
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_arp_rx, 1 },
		  { AX_C_arp_replies_rx, 1 });
	CHECK(knows(FAKE_PEER_IP, mac_c));
	e = arp_lookup(&H.s.neigh, FAKE_PEER_IP);
	REQUIRE(e != NULL);
	CHECK_EQ(e->state, ARP_REACHABLE);
	CHECK_EQ(e->deadline_ns, H.s.now_ns + MS_TO_NS(AX_ARP_REACHABLE_MS));

	/* Its broadcast request with the same MAC: still REACHABLE. */
	fake_mark(&H);
	rx_request(mac_c, FAKE_PEER_IP, FAKE_OUR_IP);
	CHECK_ANSWERED_REQUEST_CNT(1);
	CHECK_EQ(state_of(FAKE_PEER_IP), ARP_REACHABLE);
	CHECK_EQ(H.s.neigh.used, 1);
}

/* Linux's locktime: of several replies racing with different MACs, the
 * first wins; another MAC is taken only AX_ARP_LOCKTIME_MS after the last
 * update (arp_update_locked counts the ones ignored), or at once from a
 * request for our address. */
TEST(locktime_first_reply_wins)
{
	REQUIRE(setup() == 0);
	CHECK_EQ(stack_ping(&H.s, FAKE_OTHER_IP, 1, 1, NULL, 0), 0);
	CHECK_EQ(state_of(FAKE_OTHER_IP), ARP_INCOMPLETE);
	rx_reply(mac_a, FAKE_OTHER_IP);
	CHECK(knows(FAKE_OTHER_IP, mac_a));
	CHECK_EQ(state_of(FAKE_OTHER_IP), ARP_REACHABLE);
	fake_mark(&H);
	rx_reply(mac_b, FAKE_OTHER_IP);
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_arp_rx, 1 },
		  { AX_C_arp_replies_rx, 1 }, { AX_C_arp_update_locked, 1 });
	CHECK(knows(FAKE_OTHER_IP, mac_a));

	fake_advance(&H, AX_ARP_LOCKTIME_MS);
	rx_reply(mac_b, FAKE_OTHER_IP);
	CHECK(knows(FAKE_OTHER_IP, mac_b));
	CHECK_EQ(state_of(FAKE_OTHER_IP), ARP_REACHABLE);

	/* A request for our address is answered to the MAC it names, and
	 * that MAC is taken at once (Linux neigh_event_ns overrides). */
	fake_mark(&H);
	rx_request(mac_c, FAKE_OTHER_IP, FAKE_OUR_IP);
	CHECK_ANSWERED_REQUEST_CNT(1);
	CHECK(knows(FAKE_OTHER_IP, mac_c));
	CHECK_EQ(state_of(FAKE_OTHER_IP), ARP_STALE);
}

/* Only a request for our address, or the answer to our own request,
 * makes an entry: a reply nobody asked for (unicast to us or broadcast)
 * teaches nothing, and is counted. */
TEST(unsolicited_reply_not_learned)
{
	REQUIRE(setup() == 0);
	rx_reply(mac_a, FAKE_OTHER_IP);
	rx_arp_from(FAKE_BCAST_MAC, mac_b, ARP_OP_REPLY, mac_b, FAKE_PEER_IP,
		    FAKE_OUR_IP);
	CHECK_CNT(&H, { AX_C_eth_rx, 2 }, { AX_C_arp_rx, 2 },
		  { AX_C_arp_replies_rx, 2 }, { AX_C_arp_unsolicited, 2 });
	CHECK_EQ(H.s.neigh.used, 0);
	CHECK_EQ(H.nif.n, 0);
	CHECK(fake_arp_invariants(&H.s) == NULL);
}

/* A gratuitous ARP (RFC 5227 3: sender and target the same address, as a
 * request or a reply) moves a known neighbour to its new MAC at once,
 * lock time or not, STALE until confirmed; from an unknown sender it
 * teaches nothing. */
TEST(gratuitous_updates_known_only)
{
	REQUIRE(setup() == 0);
	rx_request(mac_a, FAKE_IP(10, 0, 0, 9), FAKE_IP(10, 0, 0, 9));
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_arp_rx, 1 },
		  { AX_C_arp_unsolicited, 1 });
	CHECK_EQ(H.s.neigh.used, 0);

	CHECK_EQ(stack_ping(&H.s, FAKE_PEER_IP, 1, 1, NULL, 0), 0);
	rx_reply(mac_a, FAKE_PEER_IP);
	CHECK_EQ(state_of(FAKE_PEER_IP), ARP_REACHABLE);
	fake_mark(&H);
	rx_request(mac_b, FAKE_PEER_IP, FAKE_PEER_IP);
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_arp_rx, 1 });
	CHECK(knows(FAKE_PEER_IP, mac_b));
	CHECK_EQ(state_of(FAKE_PEER_IP), ARP_STALE);
	rx_arp_from(FAKE_BCAST_MAC, mac_c, ARP_OP_REPLY, mac_c, FAKE_PEER_IP,
		    FAKE_PEER_IP);
	CHECK(knows(FAKE_PEER_IP, mac_c));
	CHECK_EQ(H.nif.n, 0);
	CHECK_EQ(H.s.neigh.used, 1);

	/* Frames follow the new MAC at once. */
	fake_mark(&H);
	CHECK_EQ(stack_ping(&H.s, FAKE_PEER_IP, 1, 2, NULL, 0), 0);
	REQUIRE(H.nif.n == 1);
	CHECK_MEM(H.nif.frames[0].data, mac_c, 6);
}

/* On one Ethernet segment the sender hardware address is the frame's
 * source: a packet that names another MAC (an attacker pointing us at a
 * third host) is dropped whole, counted, and not answered. */
TEST(mac_mismatch_dropped)
{
	REQUIRE(setup() == 0);
	rx_arp_from(FAKE_BCAST_MAC, mac_a, ARP_OP_REQUEST, mac_b, FAKE_PEER_IP,
		    FAKE_OUR_IP);
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_arp_rx, 1 },
		  { AX_C_arp_mac_mismatch, 1 });
	CHECK_EQ(H.nif.n, 0);
	CHECK_EQ(H.s.neigh.used, 0);

	/* Nor does it move a known neighbour. */
	rx_request(mac_a, FAKE_PEER_IP, FAKE_OUR_IP);
	run_for(AX_ARP_LOCKTIME_MS);
	fake_mark(&H);
	rx_arp_from(FAKE_OUR_MAC, mac_a, ARP_OP_REPLY, mac_b, FAKE_PEER_IP,
		    FAKE_OUR_IP);
	rx_arp_from(FAKE_BCAST_MAC, mac_c, ARP_OP_REQUEST, mac_b, FAKE_PEER_IP,
		    FAKE_PEER_IP);
	CHECK_CNT(&H, { AX_C_eth_rx, 2 }, { AX_C_arp_rx, 2 },
		  { AX_C_arp_mac_mismatch, 2 });
	CHECK(knows(FAKE_PEER_IP, mac_a));
}

/* A sender off our subnet (or its network or broadcast address) is never
 * a next hop: neither learned nor answered, counted. */
TEST(off_subnet_ignored)
{
	REQUIRE(setup() == 0);
	rx_request(mac_a, FAKE_IP(192, 168, 1, 5), FAKE_OUR_IP);
	rx_request(mac_a, FAKE_IP(10, 0, 1, 2), FAKE_OUR_IP);
	rx_request(mac_a, FAKE_SUBNET_BCAST, FAKE_OUR_IP);
	rx_request(mac_a, FAKE_IP(10, 0, 0, 0), FAKE_OUR_IP);
	rx_reply(mac_a, FAKE_IP(192, 168, 1, 5));
	CHECK_CNT(&H, { AX_C_eth_rx, 5 }, { AX_C_arp_rx, 5 },
		  { AX_C_arp_off_subnet, 5 });
	CHECK_EQ(H.nif.n, 0);
	CHECK_EQ(H.s.neigh.used, 0);
}

/* RFC 5227 2.1.1: a probe (sender IP 0) for our address is answered, and
 * teaches nothing (there is no sender address to learn). */
TEST(probe_answered_not_learned)
{
	struct fake_arp_view a;

	REQUIRE(setup() == 0);
	rx_request(FAKE_PEER_MAC, 0, FAKE_OUR_IP);
	CHECK_ANSWERED_REQUEST_CNT(1);
	CHECK_EQ(H.s.neigh.used, 0);
	CHECK(arp_lookup(&H.s.neigh, 0) == NULL);
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
	CHECK_EQ(H.s.neigh.used, 0);
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
	CHECK_EQ(H.s.neigh.used, 0);
	CHECK(arp_lookup(&H.s.neigh, FAKE_OUR_IP) == NULL);
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
	CHECK_EQ(H.s.neigh.used, 0);
}

/* RFC 4861 7.3.3 as Linux applies it to ARP: a STALE neighbour is used at
 * once (no queueing), goes to DELAY, and AX_ARP_DELAY_MS later to PROBE:
 * unicast requests to its cached MAC while frames keep flowing; its
 * unicast reply makes it REACHABLE again. */
TEST(stale_used_then_probed)
{
	unsigned int i;

	REQUIRE(setup() == 0);
	rx_request(FAKE_PEER_MAC, FAKE_PEER_IP, FAKE_OUR_IP);
	fake_mark(&H);
	CHECK_EQ(stack_ping(&H.s, FAKE_PEER_IP, 1, 1, NULL, 0), 0);
	CHECK_CNT(&H, { AX_C_eth_tx, 1 }, { AX_C_ip_tx, 1 },
		  { AX_C_icmp_echo_tx, 1 });
	REQUIRE(H.nif.n == 1);
	CHECK_MEM(H.nif.frames[0].data, FAKE_PEER_MAC, 6);
	CHECK_EQ(state_of(FAKE_PEER_IP), ARP_DELAY);

	fake_mark(&H);
	run_for(AX_ARP_DELAY_MS - 100);
	CHECK_CNT(&H);
	run_for(100);
	CHECK_EQ(state_of(FAKE_PEER_IP), ARP_PROBE);
	CHECK_CNT(&H, { AX_C_arp_requests_tx, 1 }, { AX_C_arp_probes_tx, 1 },
		  { AX_C_eth_tx, 1 });
	check_probe(0, FAKE_PEER_MAC, FAKE_PEER_IP);

	/* Frames still go out directly while it is probed. */
	fake_mark(&H);
	for (i = 0; i < 3; i++)
		CHECK_EQ(stack_ping(&H.s, FAKE_PEER_IP, 1, (uint16_t)(2 + i), NULL, 0), 0);
	CHECK_CNT(&H, { AX_C_eth_tx, 3 }, { AX_C_ip_tx, 3 },
		  { AX_C_icmp_echo_tx, 3 });

	rx_reply(FAKE_PEER_MAC, FAKE_PEER_IP);
	CHECK_EQ(state_of(FAKE_PEER_IP), ARP_REACHABLE);
	CHECK(fake_arp_invariants(&H.s) == NULL);
}

/* BUG (fixed, arp.c arp_timers): a neighbour in use was deleted when its
 * lifetime ran out, and traffic stalled behind an 8-frame queue while it
 * resolved again. Now a busy neighbour is re-confirmed by unicast before
 * it lapses: over several reachable times of steady traffic nothing is
 * queued, no broadcast request leaves, and one probe per reachable time
 * or so keeps it. */
TEST(busy_neighbour_refreshed_before_expiry)
{
	uint64_t t, queued;
	unsigned int bad = 0, probes_answered = 0;
	uint16_t seq = 0;

	REQUIRE(setup() == 0);
	CHECK_EQ(stack_ping(&H.s, FAKE_PEER_IP, 1, seq++, NULL, 0), 0);
	rx_reply(FAKE_PEER_MAC, FAKE_PEER_IP);
	CHECK_EQ(state_of(FAKE_PEER_IP), ARP_REACHABLE);
	fake_mark(&H);
	queued = H.s.cnt[AX_C_arp_queued];
	for (t = 0; t < 3 * (uint64_t)AX_ARP_REACHABLE_MS; t += 500) {
		unsigned int i, n0;

		fake_mark(&H);
		n0 = H.nif.n;
		if (stack_ping(&H.s, FAKE_PEER_IP, 1, seq++, NULL, 0) != 0 ||
		    H.nif.n != n0 + 1 ||
		    memcmp(H.nif.frames[n0].data, FAKE_PEER_MAC, 6) != 0)
			bad++;
		run_for(500);
		/* The peer answers what it is asked, by unicast. */
		for (i = 0; i < H.nif.n && i < FAKE_MAX_FRAMES; i++) {
			struct fake_arp_view a;

			if (fake_parse_arp(&H.nif.frames[i], &a) == 0 &&
			    a.op == ARP_OP_REQUEST) {
				if (memcmp(a.eth_dst, FAKE_PEER_MAC, 6) != 0)
					bad++; /* a broadcast: it lapsed */
				rx_reply(FAKE_PEER_MAC, FAKE_PEER_IP);
				probes_answered++;
			}
		}
		if (H.s.cnt[AX_C_arp_queued] != queued || state_of(FAKE_PEER_IP) == ARP_FREE ||
		    state_of(FAKE_PEER_IP) == ARP_INCOMPLETE)
			bad++;
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(H.s.cnt[AX_C_arp_queued], queued);
	CHECK(probes_answered >= 2);
	CHECK(probes_answered <= 4);
	CHECK_EQ(H.s.cnt[AX_C_arp_probe_failed], 0);
}

/* A neighbour that stops answering its unicast probes is dropped after
 * AX_ARP_UCAST_PROBES of them (arp_probe_failed); the next frame asks the
 * whole link again. */
TEST(unanswered_probes_drop_neighbour)
{
	unsigned int k;

	REQUIRE(setup() == 0);
	rx_request(FAKE_PEER_MAC, FAKE_PEER_IP, FAKE_OUR_IP);
	CHECK_EQ(stack_ping(&H.s, FAKE_PEER_IP, 1, 1, NULL, 0), 0);
	run_for(AX_ARP_DELAY_MS);
	CHECK_EQ(state_of(FAKE_PEER_IP), ARP_PROBE);
	fake_mark(&H);
	for (k = 1; k < AX_ARP_UCAST_PROBES; k++)
		run_for(AX_ARP_RETRY_MS);
	CHECK_CNT(&H, { AX_C_arp_requests_tx, AX_ARP_UCAST_PROBES - 1 },
		  { AX_C_arp_probes_tx, AX_ARP_UCAST_PROBES - 1 },
		  { AX_C_eth_tx, AX_ARP_UCAST_PROBES - 1 });
	fake_mark(&H);
	run_for(AX_ARP_RETRY_MS);
	CHECK_CNT(&H, { AX_C_arp_probe_failed, 1 });
	CHECK_EQ(state_of(FAKE_PEER_IP), ARP_FREE);

	fake_mark(&H);
	CHECK_EQ(stack_ping(&H.s, FAKE_PEER_IP, 1, 2, NULL, 0), 0);
	check_request(0, FAKE_PEER_IP);
	CHECK_EQ(state_of(FAKE_PEER_IP), ARP_INCOMPLETE);
	CHECK(fake_arp_invariants(&H.s) == NULL);
}

/* Idle entries: a REACHABLE one not used becomes STALE at the end of the
 * reachable time (no probe: nobody needs it); a STALE one neither used
 * nor updated for the stale time is freed (arp_stale_freed). Nothing is
 * sent for either. */
TEST(idle_entries_go_stale_then_freed)
{
	REQUIRE(setup() == 0);
	rx_request(FAKE_PEER_MAC, FAKE_PEER_IP, FAKE_OUR_IP);
	CHECK_EQ(stack_ping(&H.s, FAKE_OTHER_IP, 1, 1, NULL, 0), 0);
	rx_reply(FAKE_OTHER_MAC, FAKE_OTHER_IP);
	CHECK_EQ(state_of(FAKE_OTHER_IP), ARP_REACHABLE);
	fake_mark(&H);
	run_for(AX_ARP_REACHABLE_MS - 100);
	CHECK_EQ(state_of(FAKE_OTHER_IP), ARP_REACHABLE);
	run_for(100);
	CHECK_EQ(state_of(FAKE_OTHER_IP), ARP_STALE);
	CHECK_EQ(state_of(FAKE_PEER_IP), ARP_STALE);
	CHECK_CNT(&H);

	/* The peer was learned at the start, the other confirmed then. */
	run_for(AX_ARP_STALE_MS - AX_ARP_REACHABLE_MS);
	CHECK_EQ(state_of(FAKE_PEER_IP), ARP_FREE);
	CHECK_EQ(state_of(FAKE_OTHER_IP), ARP_FREE);
	CHECK_CNT(&H, { AX_C_arp_stale_freed, 2 });
	CHECK_EQ(H.nif.n, 0);
	CHECK_EQ(H.s.neigh.used, 0);
	CHECK(fake_arp_invariants(&H.s) == NULL);
}

/* `axnet run --neigh-reachable-ms/--neigh-stale-ms`: the times are the
 * table's, checked (at least the 100 ms timer period), 0 keeps a value. */
TEST(times_settable)
{
	REQUIRE(setup() == 0);
	CHECK_EQ(H.s.neigh.reachable_ms, AX_ARP_REACHABLE_MS);
	CHECK_EQ(H.s.neigh.stale_ms, AX_ARP_STALE_MS);
	CHECK_EQ(arp_set_times(&H.s.neigh, 99, 0), -EINVAL);
	CHECK_EQ(arp_set_times(&H.s.neigh, 0, 50), -EINVAL);
	CHECK_EQ(arp_set_times(&H.s.neigh, 1000, 0), 0);
	CHECK_EQ(H.s.neigh.reachable_ms, 1000);
	CHECK_EQ(H.s.neigh.stale_ms, AX_ARP_STALE_MS);
	CHECK_EQ(arp_set_times(&H.s.neigh, 0, 2000), 0);
	CHECK_EQ(H.s.neigh.stale_ms, 2000);

	CHECK_EQ(stack_ping(&H.s, FAKE_OTHER_IP, 1, 1, NULL, 0), 0);
	rx_reply(FAKE_OTHER_MAC, FAKE_OTHER_IP);
	CHECK_EQ(arp_lookup(&H.s.neigh, FAKE_OTHER_IP)->deadline_ns,
		 H.s.now_ns + MS_TO_NS(1000));
	rx_request(FAKE_PEER_MAC, FAKE_PEER_IP, FAKE_OUR_IP);
	run_for(1900);
	CHECK_EQ(state_of(FAKE_PEER_IP), ARP_STALE);
	run_for(100);
	CHECK_EQ(state_of(FAKE_PEER_IP), ARP_FREE);
	CHECK(strcmp(arp_state_name(ARP_DELAY), "DELAY") == 0);
	CHECK(strcmp(arp_state_name(200), "?") == 0);
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
	CHECK_EQ(arp_lookup(&H.s.neigh, FAKE_OTHER_IP)->state, ARP_INCOMPLETE);

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
	CHECK(arp_lookup(&H.s.neigh, FAKE_OTHER_IP) == NULL);
	CHECK_EQ(fake_arp_free_slots(&H.s), AX_ARP_QUEUE_SLOTS);
	CHECK(fake_arp_invariants(&H.s) == NULL);

	/* Quiet afterwards: no more requests. */
	fake_mark(&H);
	fake_advance(&H, 10 * AX_ARP_RETRY_MS);
	CHECK_CNT(&H);

	/* A late reply teaches nothing: nobody is waiting for it. */
	rx_reply(FAKE_OTHER_MAC, FAKE_OTHER_IP);
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_arp_rx, 1 },
		  { AX_C_arp_replies_rx, 1 }, { AX_C_arp_unsolicited, 1 });
	CHECK_EQ(H.nif.n, 0);
	CHECK_EQ(H.s.neigh.used, 0);
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

/* BUG (fixed, arp.c evict_one): a flood of requests from made-up senders
 * evicted the gateway's entry. AX_ARP_ENTRIES neighbours fit; when the
 * table is full, a newcomer that asks us evicts the idle entry touched
 * longest ago (arp_evicted), so strangers displace strangers. Never
 * evicted: a route's gateway (even idle), an entry we sent to within the
 * stale time, an entry resolving. When nothing is evictable the newcomer
 * is still answered, not cached (arp_cache_full), and a new resolution is
 * refused. */
TEST(flood_spares_gateway_and_neighbours_in_use)
{
	unsigned int i, n = 3 * AX_ARP_ENTRIES, answered = 0;
	uint8_t mac[6] = { 0x02, 0x10, 0, 0, 0, 0 };

	REQUIRE(setup() == 0);
	REQUIRE(stack_init(&H.s, &H.nif.netif, FAKE_OUR_IP, 16, FAKE_GW_IP) == 0);
	stack_set_time(&H.s, MS_TO_NS(1000));
	CHECK_EQ(stack_ping(&H.s, FAKE_IP(8, 8, 8, 8), 1, 1, NULL, 0), 0);
	rx_reply(FAKE_GW_MAC, FAKE_GW_IP);
	/* The gateway falls idle past the stale time (and stays: a gateway
	 * is not garbage); the peer is in use. */
	run_for(AX_ARP_STALE_MS + 1000);
	CHECK_EQ(state_of(FAKE_GW_IP), ARP_STALE);
	CHECK_EQ(stack_ping(&H.s, FAKE_PEER_IP, 1, 1, NULL, 0), 0);
	rx_reply(FAKE_PEER_MAC, FAKE_PEER_IP);
	fake_mark(&H);

	for (i = 0; i < n; i++) {
		mac[4] = (uint8_t)(i >> 8);
		mac[5] = (uint8_t)i;
		stack_set_time(&H.s, H.s.now_ns + MS_TO_NS(1));
		rx_request(mac, FAKE_IP(10, 0, 1 + i / 250, 1 + i % 250), FAKE_OUR_IP);
	}
	answered = (unsigned int)(H.s.cnt[AX_C_arp_replies_tx] - H.mark[AX_C_arp_replies_tx]);
	CHECK_EQ(answered, n);
	CHECK_EQ(H.s.neigh.used, AX_ARP_ENTRIES);
	CHECK_EQ(H.s.cnt[AX_C_arp_evicted] - H.mark[AX_C_arp_evicted],
		 n - (AX_ARP_ENTRIES - 2));
	CHECK(knows(FAKE_GW_IP, FAKE_GW_MAC));
	CHECK(knows(FAKE_PEER_IP, FAKE_PEER_MAC));
	CHECK(arp_lookup(&H.s.neigh, FAKE_IP(10, 0, 1, 1)) == NULL); /* oldest */
	CHECK(arp_lookup(&H.s.neigh, FAKE_IP(10, 0, 1 + (n - 1) / 250,
					    1 + (n - 1) % 250)) != NULL);
	CHECK(fake_arp_invariants(&H.s) == NULL);

	/* Frames to the gateway and the peer leave at once. */
	fake_mark(&H);
	CHECK_EQ(stack_ping(&H.s, FAKE_IP(8, 8, 8, 8), 1, 2, NULL, 0), 0);
	CHECK_EQ(stack_ping(&H.s, FAKE_PEER_IP, 1, 3, NULL, 0), 0);
	REQUIRE(H.nif.n == 2);
	CHECK_MEM(H.nif.frames[0].data, FAKE_GW_MAC, 6);
	CHECK_MEM(H.nif.frames[1].data, FAKE_PEER_MAC, 6);

	/* Now fill the table with resolutions in progress: they displace
	 * the strangers, and then nothing is evictable. */
	for (i = 0; i < AX_ARP_ENTRIES - 2; i++)
		stack_ping(&H.s, FAKE_IP(10, 0, 100 + i / 200, 1 + i % 200), 1,
			   (uint16_t)i, NULL, 0);
	CHECK_EQ(H.s.neigh.used, AX_ARP_ENTRIES);
	fake_mark(&H);
	CHECK_EQ(stack_ping(&H.s, FAKE_IP(10, 0, 9, 9), 1, 1, NULL, 0), -ENOBUFS);
	CHECK_CNT(&H, { AX_C_arp_cache_full, 1 });
	fake_mark(&H);
	rx_request(mac_a, FAKE_IP(10, 0, 9, 10), FAKE_OUR_IP);
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_arp_rx, 1 },
		  { AX_C_arp_cache_full, 1 }, { AX_C_arp_requests_rx, 1 },
		  { AX_C_arp_replies_tx, 1 }, { AX_C_eth_tx, 1 });
	CHECK(arp_lookup(&H.s.neigh, FAKE_IP(10, 0, 9, 10)) == NULL);
	CHECK(knows(FAKE_GW_IP, FAKE_GW_MAC));
	CHECK(fake_arp_invariants(&H.s) == NULL);

	/* Unanswered, they all fail in time, and there is room again. */
	run_for((AX_ARP_MAX_TRIES + 1) * AX_ARP_RETRY_MS);
	CHECK(H.s.neigh.used <= 2);
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
	CHECK_EQ(H.s.neigh.used, 0);
}

/* Lines of stderr that contain needle while fn runs. */
static int stderr_lines(void (*fn)(void), const char *needle)
{
	FILE *tf = tmpfile();
	char line[512];
	int saved, n = 0;

	if (!tf)
		return -1;
	fflush(stderr);
	saved = dup(2);
	dup2(fileno(tf), 2);
	ax_log_set_level(AX_LOG_WARN); /* fake_host_init keeps errors only */
	fn();
	ax_log_set_level(AX_LOG_ERROR);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tf);
	while (fgets(line, sizeof(line), tf))
		if (strstr(line, needle))
			n++;
	fclose(tf);
	return n;
}

static void claim_100(void)
{
	int i;

	for (i = 0; i < 100; i++)
		rx_request(mac_a, FAKE_OUR_IP, FAKE_PEER_IP);
}

static void claim_once(void)
{
	rx_request(mac_b, FAKE_OUR_IP, FAKE_PEER_IP);
}

/* A peer claiming our address in every packet must not write a log line per
 * packet: one per AX_ARP_CONFLICT_LOG_MS, every claim counted. */
TEST(conflict_log_rate_limited)
{
	REQUIRE(setup() == 0);
	CHECK_EQ(stderr_lines(claim_100, "address conflict"), 1);
	CHECK_EQ(H.s.cnt[AX_C_arp_conflict] - H.mark[AX_C_arp_conflict], 100);
	fake_advance(&H, AX_ARP_CONFLICT_LOG_MS);
	CHECK_EQ(stderr_lines(claim_once, "address conflict"), 1);
	CHECK_EQ(stderr_lines(claim_once, "address conflict"), 0);
	CHECK_EQ(H.s.cnt[AX_C_arp_conflict] - H.mark[AX_C_arp_conflict], 102);
}

TEST_MAIN(T(request_for_us_answered), T(request_for_other_ignored),
	  T(merge_updates_existing), T(locktime_first_reply_wins),
	  T(unsolicited_reply_not_learned), T(gratuitous_updates_known_only),
	  T(mac_mismatch_dropped), T(off_subnet_ignored),
	  T(probe_answered_not_learned), T(conflict_counted), T(conflict_log_rate_limited),
	  T(malformed_counted), T(stale_used_then_probed),
	  T(busy_neighbour_refreshed_before_expiry),
	  T(unanswered_probes_drop_neighbour),
	  T(idle_entries_go_stale_then_freed), T(times_settable),
	  T(resolution_retries_then_fails), T(queue_per_entry_limit),
	  T(queue_slots_shared), T(flood_spares_gateway_and_neighbours_in_use),
	  T(no_tx_buffers), T(gratuitous_announce))
