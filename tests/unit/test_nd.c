/*
 * test_nd.c - neighbor discovery (RFC 4861), DAD and SLAAC (RFC 4862)
 * through a fake device: solicitations answered, the shared neighbour
 * cache's states for IPv6, duplicate address detection both ways, router
 * advertisements (router, prefixes, MTU, hop limit), and hostile ND that
 * must change nothing (hop limit 254, unsolicited and spoofed
 * advertisements, redirects, RAs from global sources, options of length 0).
 */
#include "ip6_helper.h"
#include "testlib.h"

static struct fake_host H;
static uint8_t m[256];
static struct ip_addr our_ll, peer_ll;

static int setup(void)
{
	our_ll = ip6_ll(FAKE_OUR_MAC);
	peer_ll = ip6_ll(FAKE_PEER_MAC);
	return ip6_host_init(&H);
}

static int events[4];
static void on_event(void *arg, const struct stack_addr *a, enum stack_addr_event ev)
{
	(void)arg;
	(void)a;
	events[ev]++;
}

/* Adding an address: one DAD solicitation from :: to its solicited-node
 * group without options; unanswered for a second, the address is usable. */
TEST(dad_passes)
{
	static const struct ip_addr a = { { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x34, 0x56 } };
	struct ip_addr sn = ip6_sn(&a);
	struct ip6_view v;
	uint8_t mac[6];

	REQUIRE(setup() == 0);
	memset(events, 0, sizeof(events));
	H.s.addr_event = on_event;
	CHECK_EQ(stack_addr_add(&H.s, &a, 64, STACK_ADDR_F_STATIC), 0);
	CHECK_EQ(events[STACK_ADDR_DAD_START], 1);
	CHECK_EQ(stack_addr_add(&H.s, &a, 64, STACK_ADDR_F_STATIC), -EEXIST);
	REQUIRE(H.nif.n == 1);
	REQUIRE(ip6_parse(fake_frame(&H.nif, 0), &v) == 0);
	ip6_mcast_mac(&sn, mac);
	CHECK_MEM(v.eth_dst, mac, 6);
	CHECK(ip_addr_is_any(&v.src));
	CHECK(ip_addr_eq(&v.dst, &sn));
	CHECK_EQ(v.hops, 255);
	CHECK_EQ(v.plen, 24);
	CHECK(v.csum_ok);
	CHECK_EQ(v.pl[0], ND_NS);
	CHECK_MEM(v.pl + 8, a.b, 16);
	CHECK_EQ(stack_addr_find(&H.s, &a)->state, STACK_ADDR_TENTATIVE);
	CHECK(stack_addr_local(&H.s, &a) == NULL);
	/* The stack takes its solicited-node group already (5.4.2). */
	CHECK(ipv6_l2_mcast_ours(&H.s, mac));
	fake_advance(&H, AX_ND_DAD_WAIT_MS - 1);
	CHECK(stack_addr_local(&H.s, &a) == NULL);
	fake_advance(&H, 1);
	CHECK(stack_addr_local(&H.s, &a) != NULL);
	CHECK_EQ(events[STACK_ADDR_USABLE], 1);
	CHECK_CNT(&H, { AX_C_nd_ns_tx, 1 }, { AX_C_ip6_tx, 1 }, { AX_C_eth_tx, 1 },
		  { AX_C_nd_dad_ok, 1 });
}

/* The peer already holds the address: its advertisement makes ours
 * DUPLICATE, for good, and it is never used. */
TEST(dad_fails_on_advertisement)
{
	static const struct ip_addr a = { { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x22 } };
	size_t len;

	REQUIRE(setup() == 0);
	memset(events, 0, sizeof(events));
	H.s.addr_event = on_event;
	REQUIRE(stack_addr_add(&H.s, &a, 64, STACK_ADDR_F_STATIC) == 0);
	fake_mark(&H);
	len = ip6_na(m, ND_NA_F_OVERRIDE, &a, FAKE_PEER_MAC);
	ip6_rx_icmp(&H, (const uint8_t[6]){ 0x33, 0x33, 0, 0, 0, 1 }, FAKE_PEER_MAC, &a,
		    &ip6_all_nodes, 255, m, len);
	CHECK_EQ(stack_addr_find(&H.s, &a)->state, STACK_ADDR_DUPLICATE);
	CHECK_EQ(events[STACK_ADDR_DAD_FAILED], 1);
	fake_advance(&H, 5000);
	CHECK_EQ(stack_addr_find(&H.s, &a)->state, STACK_ADDR_DUPLICATE);
	CHECK(stack_addr_local(&H.s, &a) == NULL);
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_ip6_rx, 1 }, { AX_C_icmp6_rx, 1 },
		  { AX_C_nd_rx, 1 }, { AX_C_nd_na_rx, 1 }, { AX_C_nd_dad_failed, 1 });
	CHECK_EQ(H.nif.n, 0);
}

/* Another node probing the same tentative address: neither uses it. */
TEST(dad_fails_on_simultaneous_probe)
{
	static const struct ip_addr a = { { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x23 } };
	struct ip_addr sn = ip6_sn(&a);
	uint8_t mac[6];
	size_t len;

	REQUIRE(setup() == 0);
	REQUIRE(stack_addr_add(&H.s, &a, 64, STACK_ADDR_F_STATIC) == 0);
	fake_mark(&H);
	ip6_mcast_mac(&sn, mac);
	len = ip6_ns(m, &a, NULL);
	ip6_rx_icmp(&H, mac, FAKE_PEER_MAC, &ip_addr_any6, &sn, 255, m, len);
	CHECK_EQ(stack_addr_find(&H.s, &a)->state, STACK_ADDR_DUPLICATE);
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_ip6_rx, 1 }, { AX_C_icmp6_rx, 1 },
		  { AX_C_nd_rx, 1 }, { AX_C_nd_dad_failed, 1 });
}

/* A usable address is defended: a DAD probe for it gets an advertisement
 * to all nodes, not solicited, with override. */
TEST(dad_probe_for_our_address_defended)
{
	struct ip_addr sn = ip6_sn(&ip6_our_g);
	struct ip6_view v;
	uint8_t mac[6];
	size_t len;

	REQUIRE(setup() == 0);
	ip6_mcast_mac(&sn, mac);
	len = ip6_ns(m, &ip6_our_g, NULL);
	ip6_rx_icmp(&H, mac, FAKE_PEER_MAC, &ip_addr_any6, &sn, 255, m, len);
	REQUIRE(H.nif.n == 1);
	REQUIRE(ip6_parse(fake_frame(&H.nif, 0), &v) == 0);
	CHECK(ip_addr_eq(&v.dst, &ip6_all_nodes));
	CHECK(ip_addr_eq(&v.src, &ip6_our_g));
	CHECK_MEM(v.eth_dst, ((const uint8_t[6]){ 0x33, 0x33, 0, 0, 0, 1 }), 6);
	CHECK_EQ(v.pl[0], ND_NA);
	CHECK_EQ(v.pl[4], ND_NA_F_OVERRIDE);
	CHECK(v.csum_ok);
	CHECK_EQ(stack_addr_find(&H.s, &ip6_our_g)->state, STACK_ADDR_PREFERRED);
}

/* A solicitation for our address is answered (solicited, override, our
 * MAC) and teaches us the sender (STALE). */
TEST(solicitation_answered)
{
	struct ip_addr sn = ip6_sn(&ip6_our_g);
	const struct neigh_entry *e;
	struct ip6_view v;
	uint8_t mac[6];
	size_t len;

	REQUIRE(setup() == 0);
	ip6_mcast_mac(&sn, mac);
	len = ip6_ns(m, &ip6_our_g, FAKE_PEER_MAC);
	ip6_rx_icmp(&H, mac, FAKE_PEER_MAC, &ip6_peer_g, &sn, 255, m, len);
	REQUIRE(H.nif.n == 1);
	REQUIRE(ip6_parse(fake_frame(&H.nif, 0), &v) == 0);
	CHECK_MEM(v.eth_dst, FAKE_PEER_MAC, 6);
	CHECK(ip_addr_eq(&v.dst, &ip6_peer_g));
	CHECK(ip_addr_eq(&v.src, &ip6_our_g));
	CHECK_EQ(v.hops, 255);
	CHECK_EQ(v.plen, 32);
	CHECK(v.csum_ok);
	CHECK_EQ(v.pl[0], ND_NA);
	CHECK_EQ(v.pl[4], ND_NA_F_SOLICITED | ND_NA_F_OVERRIDE);
	CHECK_MEM(v.pl + 8, ip6_our_g.b, 16);
	CHECK_EQ(v.pl[24], ND_OPT_TLLAO);
	CHECK_EQ(v.pl[25], 1);
	CHECK_MEM(v.pl + 26, FAKE_OUR_MAC, 6);
	e = neigh_lookup(&H.s.neigh, &ip6_peer_g);
	REQUIRE(e != NULL);
	/* STALE when learned (7.2.3); the answer went to the option's
	 * address without using the entry (7.2.4), so it stays STALE. */
	CHECK_EQ(e->state, NEIGH_STALE);
	CHECK_MEM(e->mac, FAKE_PEER_MAC, 6);
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_ip6_rx, 1 }, { AX_C_icmp6_rx, 1 },
		  { AX_C_nd_rx, 1 }, { AX_C_nd_ns_rx, 1 }, { AX_C_nd_na_tx, 1 },
		  { AX_C_ip6_tx, 1 }, { AX_C_eth_tx, 1 });
}

/* Resolution unanswered: three solicitations a second apart, then the
 * entry goes and its queued frame with it, counted on the ND side. */
TEST(resolution_fails_counted_for_nd)
{
	unsigned int i;

	REQUIRE(setup() == 0);
	CHECK_EQ(icmp6_send_echo(&H.s, &ip6_peer_g, 1, 1, NULL, 0), 0);
	CHECK_EQ(neigh_lookup(&H.s.neigh, &ip6_peer_g)->state, NEIGH_INCOMPLETE);
	for (i = 0; i < AX_ARP_MAX_TRIES; i++)
		fake_advance(&H, AX_ARP_RETRY_MS);
	CHECK(neigh_lookup(&H.s.neigh, &ip6_peer_g) == NULL);
	CHECK_CNT(&H, { AX_C_icmp6_echo_tx, 1 }, { AX_C_ip6_tx, 1 + AX_ARP_MAX_TRIES },
		  { AX_C_nd_ns_tx, AX_ARP_MAX_TRIES }, { AX_C_eth_tx, AX_ARP_MAX_TRIES },
		  { AX_C_nd_queued, 1 }, { AX_C_nd_queue_dropped, 1 }, { AX_C_nd_resolve_failed, 1 });
	CHECK(fake_arp_invariants(&H.s) == NULL);
}

/* A neighbour in use is re-confirmed: DELAY, then a unicast solicitation
 * to its cached MAC (PROBE), whose solicited answer makes it REACHABLE. */
TEST(stale_neighbour_probed_unicast)
{
	struct neigh_entry *e;
	struct ip6_view v;
	size_t len;

	REQUIRE(setup() == 0);
	ip6_learn(&H, &ip6_peer_g, FAKE_PEER_MAC);
	e = neigh_find(&H.s.neigh, &ip6_peer_g);
	e->confirmed_ns = 0;
	neigh_set_stale(&H.s, e);
	CHECK_EQ(icmp6_send_echo(&H.s, &ip6_peer_g, 1, 1, NULL, 0), 0);
	CHECK_EQ(e->state, NEIGH_DELAY);
	fake_mark(&H);
	fake_advance(&H, AX_ARP_DELAY_MS);
	CHECK_EQ(e->state, NEIGH_PROBE);
	REQUIRE(H.nif.n == 1);
	REQUIRE(ip6_parse(fake_frame(&H.nif, 0), &v) == 0);
	CHECK_MEM(v.eth_dst, FAKE_PEER_MAC, 6);
	CHECK(ip_addr_eq(&v.dst, &ip6_peer_g));
	CHECK_EQ(v.pl[0], ND_NS);
	CHECK_CNT(&H, { AX_C_nd_ns_tx, 1 }, { AX_C_nd_probes_tx, 1 }, { AX_C_ip6_tx, 1 },
		  { AX_C_eth_tx, 1 });
	len = ip6_na(m, ND_NA_F_SOLICITED, &ip6_peer_g, NULL);
	ip6_rx_icmp(&H, FAKE_OUR_MAC, FAKE_PEER_MAC, &ip6_peer_g, &ip6_our_g, 255, m, len);
	CHECK_EQ(e->state, NEIGH_REACHABLE);
	CHECK_MEM(e->mac, FAKE_PEER_MAC, 6);
}

/* Hostile ND changes nothing and is counted. */
TEST(hostile_nd_ignored)
{
	static const struct ip_addr stranger = { { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x66 } };
	const struct neigh_entry *e;
	size_t len;

	REQUIRE(setup() == 0);
	ip6_learn(&H, &ip6_peer_g, FAKE_PEER_MAC);
	fake_mark(&H);
	/* Hop limit 254: routed here from elsewhere. */
	len = ip6_na(m, ND_NA_F_SOLICITED | ND_NA_F_OVERRIDE, &ip6_peer_g, FAKE_OTHER_MAC);
	ip6_rx_icmp(&H, FAKE_OUR_MAC, FAKE_OTHER_MAC, &ip6_peer_g, &ip6_our_g, 254, m, len);
	/* Unsolicited override for a neighbour in use (the ND spoof). */
	len = ip6_na(m, ND_NA_F_OVERRIDE, &ip6_peer_g, FAKE_OTHER_MAC);
	ip6_rx_icmp(&H, (const uint8_t[6]){ 0x33, 0x33, 0, 0, 0, 1 }, FAKE_OTHER_MAC, &ip6_peer_g,
		    &ip6_all_nodes, 255, m, len);
	/* "Solicited" advertisement nobody asked for. */
	len = ip6_na(m, ND_NA_F_SOLICITED | ND_NA_F_OVERRIDE, &ip6_peer_g, FAKE_OTHER_MAC);
	ip6_rx_icmp(&H, FAKE_OUR_MAC, FAKE_OTHER_MAC, &ip6_peer_g, &ip6_our_g, 255, m, len);
	/* For an address we never solicited: not learned. */
	len = ip6_na(m, ND_NA_F_SOLICITED | ND_NA_F_OVERRIDE, &stranger, FAKE_OTHER_MAC);
	ip6_rx_icmp(&H, FAKE_OUR_MAC, FAKE_OTHER_MAC, &stranger, &ip6_our_g, 255, m, len);
	/* Claiming our own usable address. */
	len = ip6_na(m, ND_NA_F_OVERRIDE, &ip6_our_g, FAKE_OTHER_MAC);
	ip6_rx_icmp(&H, (const uint8_t[6]){ 0x33, 0x33, 0, 0, 0, 1 }, FAKE_OTHER_MAC, &stranger,
		    &ip6_all_nodes, 255, m, len);
	/* A redirect (from the "router", link-local, hop limit 255). */
	memset(m, 0, 40);
	m[0] = ND_REDIRECT;
	memcpy(m + 8, stranger.b, 16);
	memcpy(m + 24, ip6_peer_g.b, 16);
	ip6_rx_icmp(&H, FAKE_OUR_MAC, FAKE_OTHER_MAC, &peer_ll, &ip6_our_g, 255, m, 40);
	/* An option of length 0 (RFC 4861 4.6: would loop for ever). */
	len = ip6_na(m, ND_NA_F_SOLICITED, &ip6_peer_g, FAKE_OTHER_MAC);
	m[25] = 0;
	ip6_rx_icmp(&H, FAKE_OUR_MAC, FAKE_OTHER_MAC, &ip6_peer_g, &ip6_our_g, 255, m, len);
	/* A router advertisement from a global address. */
	memset(m, 0, 16);
	m[0] = ND_RA;
	m[4] = 1;
	m[6] = 0x07, m[7] = 0x08;
	ip6_rx_icmp(&H, FAKE_OUR_MAC, FAKE_OTHER_MAC, &stranger, &ip6_our_g, 255, m, 16);
	e = neigh_lookup(&H.s.neigh, &ip6_peer_g);
	REQUIRE(e != NULL);
	CHECK_EQ(e->state, NEIGH_REACHABLE);
	CHECK_MEM(e->mac, FAKE_PEER_MAC, 6);
	CHECK(neigh_lookup(&H.s.neigh, &stranger) == NULL);
	CHECK_EQ(H.s.nd.router_until_ns, 0);
	CHECK_EQ(H.s.nd.cur_hop_limit, 0);
	CHECK(stack_addr_local(&H.s, &ip6_our_g) != NULL);
	CHECK_EQ(H.nif.n, 0);
	CHECK_CNT(&H, { AX_C_eth_rx, 8 }, { AX_C_ip6_rx, 8 }, { AX_C_icmp6_rx, 8 },
		  { AX_C_nd_rx, 8 }, { AX_C_nd_bad_hop_limit, 1 }, { AX_C_nd_na_rx, 4 },
		  { AX_C_nd_na_unsolicited, 4 }, { AX_C_nd_redirect_ignored, 1 },
		  { AX_C_nd_malformed, 1 }, { AX_C_nd_ra_bad_src, 1 });
}

/* A router advertisement: default router with its lifetime, hop limit,
 * MTU, an on-link prefix and a SLAAC one. */
TEST(router_advertisement_taken)
{
	static const struct ip_addr pfx = { { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0 } };
	static const struct ip_addr onlink = { { 0xfd, 0x99, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5 } };
	struct ip_addr slaac = pfx, ll = ip6_ll(FAKE_OUR_MAC);
	const struct neigh_entry *e;
	struct ip6_view v;
	size_t len = 16;

	REQUIRE(setup() == 0);
	memcpy(slaac.b + 8, ll.b + 8, 8);
	memset(m, 0, sizeof(m));
	m[0] = ND_RA;
	m[4] = 42;               /* cur hop limit */
	m[6] = 0x07, m[7] = 0x08; /* 1800 s */
	/* SLLAO */
	m[len] = ND_OPT_SLLAO, m[len + 1] = 1;
	memcpy(m + len + 2, FAKE_GW_MAC, 6);
	len += 8;
	/* MTU 1400 */
	m[len] = ND_OPT_MTU, m[len + 1] = 1;
	fake_put32(m + len + 4, 1400);
	len += 8;
	/* Prefix 2001:db8:1::/64, L and A, valid 3600, preferred 1800. */
	m[len] = ND_OPT_PREFIX, m[len + 1] = 4, m[len + 2] = 64, m[len + 3] = 0xc0;
	fake_put32(m + len + 4, 3600);
	fake_put32(m + len + 8, 1800);
	memcpy(m + len + 16, pfx.b, 16);
	len += 32;
	/* Prefix fd99::/64, L only. */
	m[len] = ND_OPT_PREFIX, m[len + 1] = 4, m[len + 2] = 64, m[len + 3] = 0x80;
	fake_put32(m + len + 4, 600);
	fake_put32(m + len + 8, 600);
	memcpy(m + len + 16, onlink.b, 8);
	len += 32;
	peer_ll = ip6_ll(FAKE_GW_MAC);
	ip6_rx_icmp(&H, (const uint8_t[6]){ 0x33, 0x33, 0, 0, 0, 1 }, FAKE_GW_MAC, &peer_ll,
		    &ip6_all_nodes, 255, m, len);
	CHECK_EQ(H.s.nd.cur_hop_limit, 42);
	CHECK_EQ(H.s.nd.mtu, 1400);
	CHECK(ip_addr_eq(&H.s.nd.router, &peer_ll));
	CHECK_EQ(H.s.nd.router_until_ns, H.s.now_ns + 1800ull * 1000000000ull);
	e = neigh_lookup(&H.s.neigh, &peer_ll);
	REQUIRE(e != NULL);
	CHECK_EQ(e->state, NEIGH_STALE);
	CHECK(e->router);
	CHECK_EQ(stack_addr_find(&H.s, &slaac)->state, STACK_ADDR_TENTATIVE);
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_ip6_rx, 1 }, { AX_C_icmp6_rx, 1 },
		  { AX_C_nd_rx, 1 }, { AX_C_nd_ra_rx, 1 }, { AX_C_nd_prefixes, 2 },
		  { AX_C_nd_slaac_addrs, 1 }, { AX_C_nd_ns_tx, 1 }, { AX_C_ip6_tx, 1 },
		  { AX_C_eth_tx, 1 });
	fake_advance(&H, AX_ND_DAD_WAIT_MS);
	CHECK(stack_addr_local(&H.s, &slaac) != NULL);
	/* Off-link goes to the router, with the advertised hop limit. */
	fake_mark(&H);
	CHECK_EQ(icmp6_send_echo(&H.s, &ip6_far, 1, 1, NULL, 0), 0);
	REQUIRE(H.nif.n == 1);
	REQUIRE(ip6_parse(fake_frame(&H.nif, 0), &v) == 0);
	CHECK_MEM(v.eth_dst, FAKE_GW_MAC, 6);
	CHECK(ip_addr_eq(&v.dst, &ip6_far));
	CHECK(stack_addr_local(&H.s, &v.src) != NULL && !ip_addr_is_linklocal6(&v.src));
	CHECK_EQ(v.hops, 42);
	/* The on-link prefix is resolved directly. */
	fake_mark(&H);
	CHECK_EQ(icmp6_send_echo(&H.s, &onlink, 1, 1, NULL, 0), 0);
	CHECK_EQ(neigh_lookup(&H.s.neigh, &onlink)->state, NEIGH_INCOMPLETE);
	/* An echo larger than the advertised MTU leaves in fragments of it
	 * (frag_out.c): 1352 bytes (1400 - 40 - 8) then the rest. */
	{
		static uint8_t big[1400];

		fake_mark(&H);
		CHECK_EQ(icmp6_send_echo(&H.s, &ip6_far, 1, 2, big, 1400 - 40 - 8 + 1), 0);
		REQUIRE(H.nif.n == 2);
		CHECK_EQ(H.nif.frames[0].len, 14 + 1400);
		CHECK_EQ(fake_get16(H.nif.frames[1].data + 14 + 4), 8 + 9);
	}
	/* The router's lifetime runs out: no route. */
	fake_advance(&H, 1800ull * 1000);
	CHECK_EQ(icmp6_send_echo(&H.s, &ip6_far, 1, 1, NULL, 0), -ENETUNREACH);
}

/* Frames to other hosts' solicited-node groups are not ours. */
TEST(foreign_groups_not_taken)
{
	static const struct ip_addr other = { { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x77 } };
	struct ip_addr sn = ip6_sn(&other);
	uint8_t mac[6];
	size_t len;

	REQUIRE(setup() == 0);
	ip6_mcast_mac(&sn, mac);
	len = ip6_ns(m, &other, FAKE_PEER_MAC);
	ip6_rx_icmp(&H, mac, FAKE_PEER_MAC, &ip6_peer_g, &sn, 255, m, len);
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_eth_not_ours, 1 });
	/* The right MAC but a group address we are not in. */
	fake_mark(&H);
	sn = ip6_sn(&ip6_our_g);
	ip6_mcast_mac(&sn, mac);
	sn = ip6_sn(&other);
	ip6_rx_icmp(&H, mac, FAKE_PEER_MAC, &ip6_peer_g, &sn, 255, m, len);
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_ip6_rx, 1 }, { AX_C_ip6_not_ours, 1 });
}

TEST(link_local_from_mac)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	static const uint8_t want[16] = { 0xfe, 0x80, 0, 0, 0, 0, 0, 0,
					  0x50, 0x54, 0x00, 0xff, 0xfe, 0x12, 0x34, 0x56 };
	struct ip_addr a;

	nd_linklocal(mac, &a);
	CHECK_MEM(a.b, want, 16);
}

/* Router advertisements from more made-up link-local routers than the
 * cache holds: each displaces an older one; only the default router (the
 * last, a route's gateway) is kept, and the peer can still be resolved. */
TEST(ra_flood_does_not_pin_the_cache)
{
	struct ip_addr src = ip6_ll(FAKE_GW_MAC), last = src;
	const struct neigh_entry *e;
	uint8_t mac[6];
	unsigned int i;

	REQUIRE(setup() == 0);
	for (i = 0; i < AX_ARP_ENTRIES + 44; i++) {
		memset(m, 0, 24);
		m[0] = ND_RA;
		m[6] = 0x07, m[7] = 0x08;
		memcpy(mac, FAKE_GW_MAC, 6);
		mac[3] = (uint8_t)(i >> 8);
		mac[4] = (uint8_t)i;
		src.b[13] = mac[3];
		src.b[14] = mac[4];
		m[16] = ND_OPT_SLLAO, m[17] = 1;
		memcpy(m + 18, mac, 6);
		ip6_rx_icmp(&H, (const uint8_t[6]){ 0x33, 0x33, 0, 0, 0, 1 }, mac, &src,
			    &ip6_all_nodes, 255, m, 24);
		last = src;
		fake_advance(&H, 1);
	}
	CHECK_EQ(H.s.cnt[AX_C_nd_ra_rx] - H.mark[AX_C_nd_ra_rx], AX_ARP_ENTRIES + 44);
	CHECK_EQ(H.s.cnt[AX_C_nd_cache_full], 0);
	e = neigh_lookup(&H.s.neigh, &last);
	REQUIRE(e != NULL);
	CHECK(ip_addr_eq(&H.s.nd.router, &last));
	CHECK_EQ(icmp6_send_echo(&H.s, &ip6_peer_g, 1, 1, NULL, 0), 0);
	CHECK(neigh_lookup(&H.s.neigh, &ip6_peer_g) != NULL);
	CHECK(fake_arp_invariants(&H.s) == NULL);
}

/* Solicitations from more made-up on-link senders than the cache holds:
 * each is answered straight to its source link-layer address (RFC 4861
 * 7.2.4), which leaves the sender's entry STALE and idle. Answering through
 * the cache marked every one as in use (DELAY, then unicast probes), which
 * evict_one must spare: the table stayed full of them and a neighbour
 * axnet then had to resolve found no room (nd_cache_full). */
TEST(ns_flood_does_not_pin_the_cache)
{
	struct ip_addr sn = ip6_sn(&ip6_our_g), src = ip6_peer_g;
	const struct neigh_entry *e;
	const struct fake_frame *f;
	struct ip6_view v;
	uint8_t mac[6], gmac[6];
	unsigned int i;

	REQUIRE(setup() == 0);
	ip6_mcast_mac(&sn, gmac);
	for (i = 0; i < AX_ARP_ENTRIES; i++) {
		size_t len;

		memcpy(mac, FAKE_OTHER_MAC, 6);
		mac[3] = (uint8_t)(i >> 8);
		mac[4] = (uint8_t)i;
		src.b[12] = 0x77;
		src.b[13] = mac[3];
		src.b[14] = mac[4];
		len = ip6_ns(m, &ip6_our_g, mac);
		fake_netif_clear(&H.nif);
		ip6_rx_icmp(&H, gmac, mac, &src, &sn, 255, m, len);
		REQUIRE(H.nif.n == 1);
		f = fake_frame(&H.nif, 0);
		REQUIRE(ip6_parse(f, &v) == 0);
		CHECK_MEM(v.eth_dst, mac, 6);
		CHECK(ip_addr_eq(&v.dst, &src));
		CHECK_EQ(v.pl[0], ND_NA);
		e = neigh_lookup(&H.s.neigh, &src);
		REQUIRE(e != NULL);
		CHECK_EQ(e->state, NEIGH_STALE);
	}
	CHECK_EQ(H.s.cnt[AX_C_nd_na_tx] - H.mark[AX_C_nd_na_tx], AX_ARP_ENTRIES);
	fake_advance(&H, 1);
	CHECK_EQ(icmp6_send_echo(&H.s, &ip6_far, 1, 1, NULL, 0), -ENETUNREACH);
	/* The peer, never seen: resolution must find room. */
	CHECK_EQ(icmp6_send_echo(&H.s, &ip6_peer_g, 1, 1, NULL, 0), 0);
	e = neigh_lookup(&H.s.neigh, &ip6_peer_g);
	REQUIRE(e != NULL);
	CHECK_EQ(e->state, NEIGH_INCOMPLETE);
	CHECK_EQ(H.s.cnt[AX_C_nd_cache_full] - H.mark[AX_C_nd_cache_full], 0);
	CHECK_EQ(H.s.cnt[AX_C_nd_evicted] - H.mark[AX_C_nd_evicted], 1);
	/* No unicast probes for the flood's entries later either. */
	fake_netif_clear(&H.nif);
	fake_advance(&H, AX_ARP_DELAY_MS + 100);
	CHECK_EQ(H.s.cnt[AX_C_nd_probes_tx] - H.mark[AX_C_nd_probes_tx], 0);
	CHECK(fake_arp_invariants(&H.s) == NULL);
}

/* The shared cache full of idle IPv4 neighbours: an IPv6 newcomer evicts
 * one of them, and the eviction is counted on the victim's side
 * (arp_evicted), as every event on an entry is (neigh.h), not as an IPv6
 * neighbour evicted. */
TEST(eviction_counted_for_the_victims_family)
{
	const struct neigh_entry *e;
	unsigned int i;

	REQUIRE(setup() == 0);
	for (i = 0; i < AX_ARP_ENTRIES; i++) {
		struct ip_addr a = ip_addr_v4(FAKE_IP(10, 1, (i >> 8) & 0xff, i & 0xff));
		struct neigh_entry *n = neigh_create(&H.s, &a);

		REQUIRE(n != NULL);
		memcpy(n->mac, FAKE_OTHER_MAC, 6);
		neigh_set_stale(&H.s, n);
	}
	fake_advance(&H, 1);
	CHECK_EQ(icmp6_send_echo(&H.s, &ip6_peer_g, 1, 1, NULL, 0), 0);
	e = neigh_lookup(&H.s.neigh, &ip6_peer_g);
	REQUIRE(e != NULL);
	CHECK_EQ(e->state, NEIGH_INCOMPLETE);
	CHECK_EQ(H.s.cnt[AX_C_arp_evicted] - H.mark[AX_C_arp_evicted], 1);
	CHECK_EQ(H.s.cnt[AX_C_nd_evicted] - H.mark[AX_C_nd_evicted], 0);
	CHECK_EQ(H.s.cnt[AX_C_nd_cache_full] - H.mark[AX_C_nd_cache_full], 0);
	CHECK(fake_arp_invariants(&H.s) == NULL);
}

/* A prefix option for ::/0 is no on-link prefix: it names the default
 * route, which in the routing table has the same key as the default router
 * of an advertisement (::/0, proto ra). Another node's advertisement with
 * one, lifetime 0 or not, must neither delete nor replace the default
 * router we have. */
TEST(default_prefix_option_leaves_default_router)
{
	static const uint8_t other_mac[6] = { 0x02, 0, 0, 0, 0, 0x44 };
	struct ip_addr gw = ip6_ll(FAKE_GW_MAC), other = ip6_ll(other_mac), nh;
	uint32_t valid[2] = { 0, 600 };
	unsigned int i;

	REQUIRE(setup() == 0);
	memset(m, 0, sizeof(m));
	m[0] = ND_RA;
	m[6] = 0x07, m[7] = 0x08; /* 1800 s */
	ip6_rx_icmp(&H, (const uint8_t[6]){ 0x33, 0x33, 0, 0, 0, 1 }, FAKE_GW_MAC, &gw,
		    &ip6_all_nodes, 255, m, 16);
	REQUIRE(route_lookup(&H.s.routes, &ip6_far, H.s.now_ns, &nh) == 0);
	REQUIRE(ip_addr_eq(&nh, &gw));
	for (i = 0; i < 2; i++) {
		memset(m, 0, sizeof(m));
		m[0] = ND_RA; /* router lifetime 0: not a default router */
		m[16] = ND_OPT_PREFIX, m[17] = 4, m[18] = 0, m[19] = 0x80;
		fake_put32(m + 20, valid[i]);
		fake_put32(m + 24, 0);
		ip6_rx_icmp(&H, (const uint8_t[6]){ 0x33, 0x33, 0, 0, 0, 1 }, other_mac, &other,
			    &ip6_all_nodes, 255, m, 48);
		CHECK_EQ(route_lookup(&H.s.routes, &ip6_far, H.s.now_ns, &nh), 0);
		CHECK(ip_addr_eq(&nh, &gw));
	}
	CHECK_EQ(H.s.cnt[AX_C_nd_ra_rx] - H.mark[AX_C_nd_ra_rx], 3);
	CHECK_EQ(H.s.cnt[AX_C_nd_prefixes] - H.mark[AX_C_nd_prefixes], 0);
	CHECK(ip_addr_eq(&H.s.nd.router, &gw));
}

/* One advertisement with more on-link prefixes (infinite lifetime) than the
 * routing table has room for: only AX_ND_PREFIXES_MAX are taken (the rest
 * counted), so the table keeps room for what the link needs later, here the
 * default router of the real router's advertisement. */
TEST(ra_prefix_flood_leaves_room_for_the_router)
{
	static const uint8_t other_mac[6] = { 0x02, 0, 0, 0, 0, 0x44 };
	struct ip_addr gw = ip6_ll(FAKE_GW_MAC), other = ip6_ll(other_mac), nh;
	static uint8_t big[16 + 32 * AX_ROUTES_MAX];
	size_t len = 16;
	unsigned int i;

	REQUIRE(setup() == 0);
	memset(big, 0, sizeof(big));
	big[0] = ND_RA;
	for (i = 0; i < AX_ROUTES_MAX; i++, len += 32) {
		big[len] = ND_OPT_PREFIX, big[len + 1] = 4, big[len + 2] = 64, big[len + 3] = 0x80;
		fake_put32(big + len + 4, 0xffffffffu);
		fake_put32(big + len + 8, 0xffffffffu);
		big[len + 16] = 0xfd, big[len + 17] = 0x55, big[len + 18] = (uint8_t)i;
	}
	ip6_rx_icmp(&H, (const uint8_t[6]){ 0x33, 0x33, 0, 0, 0, 1 }, other_mac, &other,
		    &ip6_all_nodes, 255, big, len);
	CHECK_EQ(H.s.cnt[AX_C_nd_prefixes] - H.mark[AX_C_nd_prefixes], AX_ND_PREFIXES_MAX);
	CHECK_EQ(H.s.cnt[AX_C_nd_prefixes_refused] - H.mark[AX_C_nd_prefixes_refused],
		 AX_ROUTES_MAX - AX_ND_PREFIXES_MAX);
	/* A prefix already taken is still refreshed. */
	ip6_rx_icmp(&H, (const uint8_t[6]){ 0x33, 0x33, 0, 0, 0, 1 }, other_mac, &other,
		    &ip6_all_nodes, 255, big, 16 + 32);
	CHECK_EQ(H.s.cnt[AX_C_nd_prefixes] - H.mark[AX_C_nd_prefixes], AX_ND_PREFIXES_MAX + 1);
	memset(m, 0, sizeof(m));
	m[0] = ND_RA;
	m[6] = 0x07, m[7] = 0x08; /* 1800 s */
	ip6_rx_icmp(&H, (const uint8_t[6]){ 0x33, 0x33, 0, 0, 0, 1 }, FAKE_GW_MAC, &gw,
		    &ip6_all_nodes, 255, m, 16);
	CHECK_EQ(route_lookup(&H.s.routes, &ip6_far, H.s.now_ns, &nh), 0);
	CHECK(ip_addr_eq(&nh, &gw));
}

TEST_MAIN(T(dad_passes), T(dad_fails_on_advertisement), T(dad_fails_on_simultaneous_probe),
	  T(dad_probe_for_our_address_defended), T(solicitation_answered),
	  T(resolution_fails_counted_for_nd), T(stale_neighbour_probed_unicast),
	  T(hostile_nd_ignored), T(router_advertisement_taken), T(foreign_groups_not_taken),
	  T(link_local_from_mac), T(ra_flood_does_not_pin_the_cache),
	  T(ns_flood_does_not_pin_the_cache),
	  T(eviction_counted_for_the_victims_family),
	  T(default_prefix_option_leaves_default_router),
	  T(ra_prefix_flood_leaves_room_for_the_router))
