/*
 * test_route.c - the routing table (route.c) and the routes stack_init()
 * installs.
 */
#include "fake_netif.h"
#include "testlib.h"

#include "net/route.h"
#include "net/stack.h"

#include <stdio.h>
#include <string.h>

static struct route_table rt;

/* An IPv4 route (network order; gw 0: on-link), static. */
static int add4(uint32_t prefix, uint8_t len, uint32_t gw)
{
	struct ip_addr p = ip_addr_v4(prefix), g = ip_addr_v4(gw);

	return route_add(&rt, &p, len, gw ? &g : NULL, ROUTE_STATIC, NULL, 0);
}

/* Next hop for dst, or the negative errno route_lookup() returned. */
static long long hop(uint32_t dst)
{
	struct ip_addr d = ip_addr_v4(dst), nh = ip_addr_v4(0xdeadbeef);
	int err = route_lookup(&rt, &d, 0, &nh);

	if (err)
		return err;
	if (!ip_addr_is_v4(&nh))
		return -1000; /* a next hop of the other family */
	return (long long)ip_addr_get_v4(&nh);
}

/* Netmasks are network order, /0 is no bits (no shift by 32). */
TEST(masks)
{
	CHECK_EQ(route_mask(0), 0);
	CHECK_EQ(route_mask(1), FAKE_IP(128, 0, 0, 0));
	CHECK_EQ(route_mask(8), FAKE_IP(255, 0, 0, 0));
	CHECK_EQ(route_mask(24), FAKE_IP(255, 255, 255, 0));
	CHECK_EQ(route_mask(31), FAKE_IP(255, 255, 255, 254));
	CHECK_EQ(route_mask(32), 0xffffffffu);
}

/* RFC 1812 5.2.4.3: the most specific matching route wins, whatever the
 * order the routes were added in. */
TEST(longest_prefix_match)
{
	int order;

	for (order = 0; order < 2; order++) {
		route_init(&rt);
		if (order == 0) {
			CHECK_EQ(add4(0, 0, FAKE_IP(10, 0, 0, 254)), 0);
			CHECK_EQ(add4(FAKE_IP(10, 0, 0, 0), 8, FAKE_IP(10, 0, 0, 8)), 0);
			CHECK_EQ(add4(FAKE_IP(10, 1, 0, 0), 16, FAKE_IP(10, 0, 0, 16)), 0);
			CHECK_EQ(add4(FAKE_IP(10, 1, 2, 0), 24, 0), 0);
			CHECK_EQ(add4(FAKE_IP(10, 1, 2, 3), 32, FAKE_IP(10, 0, 0, 32)), 0);
		} else {
			CHECK_EQ(add4(FAKE_IP(10, 1, 2, 3), 32, FAKE_IP(10, 0, 0, 32)), 0);
			CHECK_EQ(add4(FAKE_IP(10, 1, 2, 0), 24, 0), 0);
			CHECK_EQ(add4(FAKE_IP(10, 1, 0, 0), 16, FAKE_IP(10, 0, 0, 16)), 0);
			CHECK_EQ(add4(FAKE_IP(10, 0, 0, 0), 8, FAKE_IP(10, 0, 0, 8)), 0);
			CHECK_EQ(add4(0, 0, FAKE_IP(10, 0, 0, 254)), 0);
		}
		CHECK_EQ(hop(FAKE_IP(10, 1, 2, 3)), FAKE_IP(10, 0, 0, 32));
		/* On-link: the destination is its own next hop. */
		CHECK_EQ(hop(FAKE_IP(10, 1, 2, 4)), FAKE_IP(10, 1, 2, 4));
		CHECK_EQ(hop(FAKE_IP(10, 1, 3, 4)), FAKE_IP(10, 0, 0, 16));
		CHECK_EQ(hop(FAKE_IP(10, 2, 0, 1)), FAKE_IP(10, 0, 0, 8));
		CHECK_EQ(hop(FAKE_IP(192, 0, 2, 1)), FAKE_IP(10, 0, 0, 254));
	}
}

/* The default route (0/0) catches everything not more specific. */
TEST(default_route_via_gw)
{
	route_init(&rt);
	CHECK_EQ(add4(FAKE_IP(192, 168, 1, 0), 24, 0), 0);
	CHECK_EQ(add4(0, 0, FAKE_IP(192, 168, 1, 1)), 0);
	CHECK_EQ(hop(FAKE_IP(8, 8, 8, 8)), FAKE_IP(192, 168, 1, 1));
	CHECK_EQ(hop(0xffffffffu), FAKE_IP(192, 168, 1, 1));
	CHECK_EQ(hop(FAKE_IP(192, 168, 1, 77)), FAKE_IP(192, 168, 1, 77));
}

/* No match: -ENETUNREACH and the next hop is left alone. */
TEST(no_route)
{
	struct ip_addr nh = ip_addr_v4(0x11223344), d = ip_addr_v4(FAKE_IP(10, 0, 1, 1));

	route_init(&rt);
	CHECK_EQ(hop(FAKE_IP(10, 0, 0, 1)), -ENETUNREACH);
	CHECK_EQ(add4(FAKE_IP(10, 0, 0, 0), 24, 0), 0);
	CHECK_EQ(route_lookup(&rt, &d, 0, &nh), -ENETUNREACH);
	CHECK_EQ(ip_addr_get_v4(&nh), 0x11223344);
	/* A /32 matches its address only. */
	CHECK_EQ(add4(FAKE_IP(172, 16, 0, 1), 32, FAKE_IP(10, 0, 0, 9)), 0);
	CHECK_EQ(hop(FAKE_IP(172, 16, 0, 1)), FAKE_IP(10, 0, 0, 9));
	CHECK_EQ(hop(FAKE_IP(172, 16, 0, 2)), -ENETUNREACH);
}

/* A prefix with host bits set, or longer than 32, is refused and does not
 * enter the table. */
TEST(bad_prefix_rejected)
{
	route_init(&rt);
	CHECK_EQ(add4(FAKE_IP(10, 0, 0, 1), 24, 0), -EINVAL);
	CHECK_EQ(add4(FAKE_IP(11, 0, 0, 0), 7, 0), -EINVAL);
	CHECK_EQ(add4(FAKE_IP(0, 0, 0, 1), 0, 0), -EINVAL);
	CHECK_EQ(add4(FAKE_IP(10, 0, 0, 0), 33, 0), -EINVAL);
	CHECK_EQ(add4(FAKE_IP(10, 0, 0, 0), 255, 0), -EINVAL);
	CHECK_EQ(rt.n, 0);
	CHECK_EQ(hop(FAKE_IP(10, 0, 0, 1)), -ENETUNREACH);
}

/* Adding the same prefix/len again replaces its gateway in place. */
TEST(replace_same_prefix)
{
	route_init(&rt);
	CHECK_EQ(add4(0, 0, FAKE_IP(10, 0, 0, 1)), 0);
	CHECK_EQ(add4(0, 0, FAKE_IP(10, 0, 0, 2)), 0);
	CHECK_EQ(rt.n, 1);
	CHECK_EQ(hop(FAKE_IP(1, 2, 3, 4)), FAKE_IP(10, 0, 0, 2));
	/* Same prefix, other length: a different route. */
	CHECK_EQ(add4(0, 1, 0), 0);
	CHECK_EQ(rt.n, 2);
	CHECK_EQ(hop(FAKE_IP(1, 2, 3, 4)), FAKE_IP(1, 2, 3, 4));
}

/* AX_ROUTES_MAX routes fit; one more is -ENOSPC, a replacement still
 * works when full. */
TEST(table_full)
{
	unsigned int i;
	int bad = 0;

	route_init(&rt);
	for (i = 0; i < AX_ROUTES_MAX; i++)
		if (add4(FAKE_IP(10, i, 0, 0), 16, FAKE_IP(192, 168, 0, i + 1)))
			bad++;
	CHECK_EQ(bad, 0);
	CHECK_EQ(rt.n, AX_ROUTES_MAX);
	CHECK_EQ(add4(FAKE_IP(11, 0, 0, 0), 16, 0), -ENOSPC);
	CHECK_EQ(add4(0, 0, FAKE_IP(1, 1, 1, 1)), -ENOSPC);
	CHECK_EQ(rt.n, AX_ROUTES_MAX);
	CHECK_EQ(add4(FAKE_IP(10, 3, 0, 0), 16, FAKE_IP(9, 9, 9, 9)), 0);
	CHECK_EQ(rt.n, AX_ROUTES_MAX);
	CHECK_EQ(hop(FAKE_IP(10, 3, 7, 7)), FAKE_IP(9, 9, 9, 9));
	CHECK_EQ(hop(FAKE_IP(10, AX_ROUTES_MAX - 1, 1, 1)),
		 FAKE_IP(192, 168, 0, AX_ROUTES_MAX));
	CHECK_EQ(hop(FAKE_IP(11, 0, 0, 1)), -ENETUNREACH);
}

static struct ip_addr A(const char *text)
{
	struct ip_addr a;

	if (ip_addr_parse(text, &a))
		memset(&a, 0xee, sizeof(a));
	return a;
}

/* Next hop for dst (text), as text; "ENETUNREACH" when there is none. */
static const char *hop_s(const struct route_table *t, const char *dst, uint64_t now)
{
	static char buf[IP_ADDR_STRLEN];
	struct ip_addr d = A(dst), nh;

	if (route_lookup(t, &d, now, &nh))
		return "ENETUNREACH";
	return ip_addr_fmt(&nh, buf, sizeof(buf));
}

static int add_s(const char *pfx, unsigned int len, const char *gw, enum route_proto p,
		 uint64_t expires)
{
	struct ip_addr d = A(pfx), g;

	if (gw)
		g = A(gw);
	return route_add(&rt, &d, (uint8_t)len, gw ? &g : NULL, p, NULL, expires);
}

/* IPv6: the longest prefix wins; fe80::/64 is on-link. */
TEST(ipv6_longest_prefix_match)
{
	route_init(&rt);
	CHECK_EQ(add_s("::", 0, "fe80::1", ROUTE_STATIC, 0), 0);
	CHECK_EQ(add_s("fd00::", 64, NULL, ROUTE_KERNEL, 0), 0);
	CHECK_EQ(add_s("fd00:1::", 32, "fd00::fe", ROUTE_STATIC, 0), 0);
	CHECK_EQ(add_s("fd00:1:2::", 48, "fd00::fd", ROUTE_STATIC, 0), 0);
	CHECK_EQ(add_s("fe80::", 64, NULL, ROUTE_KERNEL, 0), 0);
	CHECK_EQ(strcmp(hop_s(&rt, "fd00::77", 0), "fd00::77"), 0);
	CHECK_EQ(strcmp(hop_s(&rt, "fd00:1:3::1", 0), "fd00::fe"), 0);
	CHECK_EQ(strcmp(hop_s(&rt, "fd00:1:2::1", 0), "fd00::fd"), 0);
	CHECK_EQ(strcmp(hop_s(&rt, "2001:db8::1", 0), "fe80::1"), 0);
	CHECK_EQ(strcmp(hop_s(&rt, "fe80::99", 0), "fe80::99"), 0);
	/* A prefix longer than 128 or with host bits is refused. */
	CHECK_EQ(add_s("fd00::", 129, NULL, ROUTE_STATIC, 0), -EINVAL);
	CHECK_EQ(add_s("fd00::1", 64, NULL, ROUTE_STATIC, 0), -EINVAL);
	CHECK_EQ(add_s("fd00::", 33, NULL, ROUTE_STATIC, 0), 0); /* fine for IPv6 */
	CHECK_EQ(add_s("10.0.0.0", 33, NULL, ROUTE_STATIC, 0), -EINVAL);
	/* A gateway of the other family is refused. */
	CHECK_EQ(add_s("fd00:9::", 64, "10.0.0.1", ROUTE_STATIC, 0), -EINVAL);
	CHECK_EQ(add_s("10.9.0.0", 16, "fd00::1", ROUTE_STATIC, 0), -EINVAL);
}

/* A route never matches across families: an IPv6 default route does not
 * hold the IPv4-mapped space, an IPv4 default holds no IPv6 address. */
TEST(no_match_across_families)
{
	route_init(&rt);
	CHECK_EQ(add_s("::", 0, "fe80::1", ROUTE_STATIC, 0), 0);
	CHECK_EQ(strcmp(hop_s(&rt, "10.0.0.5", 0), "ENETUNREACH"), 0);
	CHECK_EQ(strcmp(hop_s(&rt, "::ffff:10.0.0.5", 0), "ENETUNREACH"), 0);
	route_init(&rt);
	CHECK_EQ(add_s("0.0.0.0", 0, "10.0.0.254", ROUTE_STATIC, 0), 0);
	CHECK_EQ(strcmp(hop_s(&rt, "fd00::1", 0), "ENETUNREACH"), 0);
	CHECK_EQ(strcmp(hop_s(&rt, "::", 0), "ENETUNREACH"), 0);
	CHECK_EQ(strcmp(hop_s(&rt, "10.0.0.5", 0), "10.0.0.254"), 0);
	/* Both defaults side by side, one per family. */
	CHECK_EQ(add_s("::", 0, "fe80::1", ROUTE_STATIC, 0), 0);
	CHECK_EQ(rt.n, 2);
	CHECK_EQ(strcmp(hop_s(&rt, "2001:db8::1", 0), "fe80::1"), 0);
	CHECK_EQ(strcmp(hop_s(&rt, "192.0.2.1", 0), "10.0.0.254"), 0);
}

/* An RA route stops matching when its lifetime ends, and route_expire()
 * drops it; a static route for the same prefix wins over it meanwhile. */
TEST(ra_route_expires)
{
	const struct route *r;
	struct ip_addr d = A("2001:db8::1");

	route_init(&rt);
	CHECK_EQ(add_s("::", 0, "fe80::1", ROUTE_RA, 1800000000000ull), 0);
	CHECK_EQ(strcmp(hop_s(&rt, "2001:db8::1", 0), "fe80::1"), 0);
	CHECK_EQ(strcmp(hop_s(&rt, "2001:db8::1", 1799999999999ull), "fe80::1"), 0);
	CHECK_EQ(strcmp(hop_s(&rt, "2001:db8::1", 1800000000000ull), "ENETUNREACH"), 0);
	CHECK_EQ(route_expire(&rt, 1799999999999ull), 0);
	CHECK_EQ(rt.n, 1);
	CHECK_EQ(add_s("::", 0, "fe80::2", ROUTE_STATIC, 0), 0);
	CHECK_EQ(rt.n, 2);
	r = route_find(&rt, &d, 0);
	CHECK(r != NULL && r->proto == ROUTE_STATIC);
	CHECK_EQ(route_expire(&rt, 1800000000000ull), 1);
	CHECK_EQ(rt.n, 1);
	CHECK_EQ(strcmp(hop_s(&rt, "2001:db8::1", 1800000000000ull), "fe80::2"), 0);
	d = A("fe80::2");
	CHECK(route_is_gateway(&rt, &d));
	d = A("fe80::1");
	CHECK(!route_is_gateway(&rt, &d));
}

/* Prefix parsing as --route gives it; host bits are refused. */
TEST(prefix_parse)
{
	struct ip_addr d;
	uint8_t len = 99;
	char buf[IP_ADDR_STRLEN];

	CHECK_EQ(route_parse_prefix("10.1.0.0/16", 0, &d, &len), 0);
	CHECK_EQ(len, 16);
	CHECK_EQ(strcmp(ip_addr_fmt(&d, buf, sizeof(buf)), "10.1.0.0"), 0);
	CHECK_EQ(route_parse_prefix("fd00:1::/48", 0, &d, &len), 0);
	CHECK_EQ(len, 48);
	CHECK_EQ(strcmp(ip_addr_fmt(&d, buf, sizeof(buf)), "fd00:1::"), 0);
	CHECK_EQ(route_parse_prefix("default", 6, &d, &len), 0);
	CHECK(ip_addr_eq(&d, &ip_addr_any6) && len == 0);
	CHECK_EQ(route_parse_prefix("0.0.0.0/0", 0, &d, &len), 0);
	CHECK(ip_addr_eq(&d, &ip_addr_any4) && len == 0);
	CHECK_EQ(route_parse_prefix("10.1.0.1/16", 0, &d, &len), -EINVAL);
	CHECK_EQ(route_parse_prefix("10.1.0.0/33", 0, &d, &len), -EINVAL);
	CHECK_EQ(route_parse_prefix("10.1.0.0/", 0, &d, &len), -EINVAL);
	CHECK_EQ(route_parse_prefix("10.1.0.0/-1", 0, &d, &len), -EINVAL);
	CHECK_EQ(route_parse_prefix("10.1.0.0/1x", 0, &d, &len), -EINVAL);
	CHECK_EQ(route_parse_prefix("10.1.0.0", 0, &d, &len), -EINVAL);
	CHECK_EQ(route_parse_prefix("fd00::/129", 0, &d, &len), -EINVAL);
	CHECK_EQ(route_parse_prefix("default", 0, &d, &len), -EINVAL);
	CHECK_EQ(route_parse_prefix("bogus/8", 0, &d, &len), -EINVAL);
}

/* route_fmt prints as `ip route` / `ip -6 route` do. */
TEST(route_text)
{
	struct route r;
	char buf[160];

	memset(&r, 0, sizeof(r));
	r.dst = ip_addr_any4;
	r.gw = A("10.0.0.1");
	r.family = 4;
	r.proto = ROUTE_STATIC;
	CHECK_EQ(strcmp(route_fmt(&r, 0, buf, sizeof(buf)), "default via 10.0.0.1 proto static"), 0);
	r.dst = A("10.0.0.0");
	r.plen = 24;
	r.gw = ip_addr_any6;
	r.prefsrc = A("10.0.0.2");
	r.proto = ROUTE_KERNEL;
	CHECK_EQ(strcmp(route_fmt(&r, 0, buf, sizeof(buf)),
			"10.0.0.0/24 proto kernel scope link src 10.0.0.2"), 0);
	memset(&r, 0, sizeof(r));
	r.family = 6;
	r.gw = A("fe80::1");
	r.proto = ROUTE_RA;
	r.expires_ns = 1800ull * 1000000000u;
	CHECK_EQ(strcmp(route_fmt(&r, 500000000u, buf, sizeof(buf)),
			"default via fe80::1 proto ra expires 1799sec"), 0);
}

/* --- the address table (stack_addr.c) ----------------------------------- */

static struct fake_netif nif;
static struct ax_stack st;
static int events[4];
static struct stack_addr last_ev;

static void on_event(void *arg, const struct stack_addr *a, enum stack_addr_event ev)
{
	(void)arg;
	events[ev]++;
	last_ev = *a;
}

static int addr_add(const char *text, unsigned int plen)
{
	struct ip_addr a = A(text);

	return stack_addr_add(&st, &a, (uint8_t)plen, STACK_ADDR_F_STATIC);
}

static const char *src_s(const char *dst)
{
	static char buf[IP_ADDR_STRLEN];
	struct ip_addr d = A(dst), src;
	int err = stack_src_select(&st, &d, &src);

	if (err)
		return err == -EADDRNOTAVAIL ? "EADDRNOTAVAIL" : "?";
	return ip_addr_fmt(&src, buf, sizeof(buf));
}

/* Let duplicate address detection (nd.c) pass: nobody answers. */
static void dad_done(void)
{
	stack_set_time(&st, st.now_ns + (uint64_t)AX_ND_DAD_WAIT_MS * 1000000u);
	stack_timers(&st);
}

static void setup(void)
{
	fake_netif_init(&nif, FAKE_OUR_MAC);
	CHECK_EQ(stack_setup(&st, &nif.netif), 0);
	memset(events, 0, sizeof(events));
	st.addr_event = on_event;
}

/* Addresses of both families; each brings its connected route, IPv4 is
 * usable at once and told; duplicates, bad addresses and a full table
 * are refused. */
TEST(addr_table)
{
	struct ip_addr a;
	unsigned int i;
	int bad = 0;
	char txt[32];

	setup();
	CHECK_EQ(addr_add("10.0.0.1", 24), 0);
	CHECK_EQ(events[STACK_ADDR_USABLE], 1);
	CHECK_EQ(st.addr, FAKE_OUR_IP);
	CHECK_EQ(st.prefix_len, 24);
	CHECK_EQ(addr_add("10.0.0.1", 24), -EEXIST);
	CHECK_EQ(addr_add("192.168.7.1", 30), 0);
	CHECK_EQ(addr_add("fd00::2", 64), 0);
	CHECK_EQ(addr_add("fd00:5::2", 128), 0); /* host prefix: no route */
	CHECK_EQ(st.routes.n, 3);
	CHECK_EQ(addr_add("0.0.0.0", 8), -EINVAL);
	CHECK_EQ(addr_add("127.0.0.1", 8), -EINVAL);
	CHECK_EQ(addr_add("224.0.0.1", 8), -EINVAL);
	CHECK_EQ(addr_add("::", 64), -EINVAL);
	CHECK_EQ(addr_add("::1", 128), -EINVAL);
	CHECK_EQ(addr_add("ff02::1", 64), -EINVAL);
	CHECK_EQ(addr_add("10.0.0.9", 33), -EINVAL);
	CHECK_EQ(addr_add("fd00::9", 129), -EINVAL);
	a = A("10.0.0.1");
	CHECK(stack_addr_local(&st, &a) != NULL);
	a = A("192.168.7.1");
	CHECK(stack_addr_local(&st, &a) != NULL);
	a = A("10.0.0.2");
	CHECK(stack_addr_local(&st, &a) == NULL);
	CHECK_EQ(strcmp(hop_s(&st.routes, "192.168.7.2", 0), "192.168.7.2"), 0);
	CHECK_EQ(strcmp(hop_s(&st.routes, "fd00::99", 0), "fd00::99"), 0);
	CHECK_EQ(strcmp(hop_s(&st.routes, "8.8.8.8", 0), "ENETUNREACH"), 0);
	for (i = 0; i < AX_ADDRS_MAX; i++) {
		snprintf(txt, sizeof(txt), "172.16.%u.1", i);
		if (addr_add(txt, 32))
			bad++;
	}
	CHECK_EQ(bad, 4); /* 4 slots were taken */
	CHECK_EQ(addr_add("172.17.0.1", 32), -ENOSPC);
	/* Only the DAD solicitations of the two IPv6 addresses (nd.c). */
	CHECK_EQ(nif.n, 2);
}

/* An IPv6 address waits for DAD (TENTATIVE: not ours yet); the verdict
 * makes it usable (told) or DUPLICATE (told, never usable). */
TEST(ipv6_tentative_until_dad)
{
	struct stack_addr *e;
	struct ip_addr a = A("fd00::2");

	setup();
	e = NULL;
	/* Bypass nd_dad_start: put the entry in TENTATIVE by hand as it
	 * is between stack_addr_add and DAD's verdict. */
	CHECK_EQ(addr_add("fd00::2", 64), 0);
	e = stack_addr_find(&st, &a);
	CHECK(e != NULL);
	e->state = STACK_ADDR_TENTATIVE;
	CHECK(stack_addr_local(&st, &a) == NULL);
	CHECK_EQ(strcmp(src_s("fd00::5"), "EADDRNOTAVAIL"), 0);
	memset(events, 0, sizeof(events));
	stack_addr_set_state(&st, e, STACK_ADDR_PREFERRED);
	CHECK_EQ(events[STACK_ADDR_USABLE], 1);
	CHECK(stack_addr_local(&st, &a) == e);
	CHECK_EQ(strcmp(src_s("fd00::5"), "fd00::2"), 0);
	e->state = STACK_ADDR_TENTATIVE;
	stack_addr_set_state(&st, e, STACK_ADDR_DUPLICATE);
	CHECK_EQ(events[STACK_ADDR_DAD_FAILED], 1);
	CHECK_EQ(events[STACK_ADDR_USABLE], 1);
	CHECK(stack_addr_local(&st, &a) == NULL);
	CHECK(stack_addr_find(&st, &a) == e);
	CHECK_EQ(strcmp(src_s("fd00::5"), "EADDRNOTAVAIL"), 0);
}

/* The link-local address from the MAC (RFC 4291 appendix A) and its
 * fe80::/64 route; link-local destinations get it as source, global ones
 * a global address. */
TEST(linklocal_and_source_selection)
{
	char buf[IP_ADDR_STRLEN];
	struct ip_addr ll;

	setup();
	CHECK_EQ(stack_addr_add_linklocal(&st), 0);
	dad_done();
	ll = A("fe80::ff:fe00:1");
	CHECK(stack_addr_local(&st, &ll) != NULL);
	CHECK_EQ(strcmp(ip_addr_fmt(&last_ev.a, buf, sizeof(buf)), "fe80::ff:fe00:1"), 0);
	CHECK_EQ(last_ev.flags, STACK_ADDR_F_LINKLOCAL);
	CHECK_EQ(strcmp(hop_s(&st.routes, "fe80::1", 0), "fe80::1"), 0);
	CHECK_EQ(strcmp(src_s("fe80::1"), "fe80::ff:fe00:1"), 0);
	/* Only a link-local: a global destination still gets it (Linux
	 * too), and IPv4 nothing. */
	CHECK_EQ(strcmp(src_s("fd00::5"), "fe80::ff:fe00:1"), 0);
	CHECK_EQ(strcmp(src_s("10.0.0.2"), "EADDRNOTAVAIL"), 0);
	CHECK_EQ(addr_add("fd00::2", 64), 0);
	CHECK_EQ(addr_add("fd01::2", 64), 0);
	CHECK_EQ(addr_add("10.0.0.1", 24), 0);
	CHECK_EQ(addr_add("10.1.0.1", 24), 0);
	dad_done();
	CHECK_EQ(strcmp(src_s("fe80::1"), "fe80::ff:fe00:1"), 0);
	CHECK_EQ(strcmp(src_s("fd01::5"), "fd01::2"), 0);
	CHECK_EQ(strcmp(src_s("fd00::5"), "fd00::2"), 0);
	CHECK_EQ(strcmp(src_s("2001:db8::1"), "fd00::2"), 0);
	CHECK_EQ(strcmp(src_s("10.1.0.9"), "10.1.0.1"), 0);
	CHECK_EQ(strcmp(src_s("10.0.0.9"), "10.0.0.1"), 0);
	CHECK_EQ(strcmp(src_s("8.8.8.8"), "10.0.0.1"), 0);
	CHECK_EQ(strcmp(src_s("10.1.0.1"), "10.1.0.1"), 0);
	/* RFC 6724 rule 2 by the multicast scope (RFC 4291 2.7): a
	 * link-scope group (ff02::) gets the link-local source, as Linux's
	 * `ping ff02::1`; a site-scope one (ff05::) a global source. */
	CHECK_EQ(strcmp(src_s("ff02::1"), "fe80::ff:fe00:1"), 0);
	CHECK_EQ(strcmp(src_s("ff05::2"), "fd00::2"), 0);
}

/* Gateways and static routes want a neighbour: on one of our prefixes
 * (IPv6: or link-local), not ours, of the right family. */
TEST(gateways_on_link)
{
	struct ip_addr g, d;

	setup();
	CHECK_EQ(addr_add("10.0.0.1", 24), 0);
	CHECK_EQ(addr_add("fd00::2", 64), 0);
	g = A("10.0.1.1");
	CHECK_EQ(stack_gw_add(&st, &g), -ENETUNREACH);
	g = A("10.0.0.1");
	CHECK_EQ(stack_gw_add(&st, &g), -EINVAL);
	g = A("10.0.0.255"); /* the subnet's broadcast */
	CHECK_EQ(stack_gw_add(&st, &g), -ENETUNREACH);
	g = A("10.0.0.254");
	CHECK_EQ(stack_gw_add(&st, &g), 0);
	g = A("fe80::1");
	CHECK_EQ(stack_gw_add(&st, &g), 0);
	g = A("10.0.0.253"); /* one default per family: replaced */
	CHECK_EQ(stack_gw_add(&st, &g), 0);
	CHECK_EQ(st.routes.n, 4);
	CHECK_EQ(strcmp(hop_s(&st.routes, "8.8.8.8", 0), "10.0.0.253"), 0);
	CHECK_EQ(strcmp(hop_s(&st.routes, "2001:db8::1", 0), "fe80::1"), 0);
	d = A("192.168.50.0");
	g = A("10.0.0.7");
	CHECK_EQ(stack_route_add(&st, &d, 24, &g), 0);
	CHECK_EQ(strcmp(hop_s(&st.routes, "192.168.50.4", 0), "10.0.0.7"), 0);
	g = A("fd00::7");
	CHECK_EQ(stack_route_add(&st, &d, 24, &g), -EINVAL);
	d = A("fd09::");
	CHECK_EQ(stack_route_add(&st, &d, 64, &g), 0);
	CHECK_EQ(strcmp(hop_s(&st.routes, "fd09::4", 0), "fd00::7"), 0);
	g = A("fd01::7");
	CHECK_EQ(stack_route_add(&st, &d, 64, &g), -ENETUNREACH);
	g = A("10.0.0.7");
	CHECK(route_is_gateway(&st.routes, &g));
	g = A("10.0.0.8");
	CHECK(!route_is_gateway(&st.routes, &g));
}

/* Deleting an address takes its connected route (unless another address
 * on the prefix keeps it) and tells GONE. */
TEST(addr_delete)
{
	struct ip_addr a = A("10.0.0.1"), b = A("10.0.0.5");

	setup();
	CHECK_EQ(addr_add("10.0.0.1", 24), 0);
	CHECK_EQ(addr_add("10.0.0.5", 24), 0);
	CHECK_EQ(st.routes.n, 1);
	CHECK_EQ(stack_addr_del(&st, &a), 0);
	CHECK_EQ(events[STACK_ADDR_GONE], 1);
	CHECK_EQ(st.addr, ip_addr_get_v4(&b));
	CHECK_EQ(st.routes.n, 1);
	CHECK(ip_addr_eq(&st.routes.r[0].prefsrc, &b));
	CHECK_EQ(stack_addr_del(&st, &a), -ENOENT);
	CHECK_EQ(stack_addr_del(&st, &b), 0);
	CHECK_EQ(st.routes.n, 0);
	CHECK_EQ(st.addr, 0);
	CHECK_EQ(strcmp(src_s("10.0.0.9"), "EADDRNOTAVAIL"), 0);
}

/* stack_init() installs the on-link route and the default route, and
 * refuses a bad prefix, address 0, or a gateway that is not on the link. */
TEST(stack_init_routes)
{
	static struct fake_netif nif;
	static struct ax_stack s;
	char b[IP_ADDR_STRLEN];

	fake_netif_init(&nif, FAKE_OUR_MAC);
	CHECK_EQ(stack_init(&s, &nif.netif, FAKE_OUR_IP, 24, FAKE_GW_IP), 0);
	CHECK_EQ(s.routes.n, 2);
	CHECK_EQ(strcmp(hop_s(&s.routes, "10.0.0.2", 0), "10.0.0.2"), 0);
	CHECK_EQ(strcmp(hop_s(&s.routes, "8.8.8.8", 0), "10.0.0.254"), 0);
	CHECK_EQ(strcmp(ip_addr_fmt(&s.routes.r[0].prefsrc, b, sizeof(b)), "10.0.0.1"), 0);
	CHECK_EQ(s.routes.r[0].proto, ROUTE_KERNEL);
	CHECK_EQ(s.routes.r[1].proto, ROUTE_STATIC);

	CHECK_EQ(stack_init(&s, &nif.netif, FAKE_OUR_IP, 24, 0), 0);
	CHECK_EQ(s.routes.n, 1);
	CHECK_EQ(strcmp(hop_s(&s.routes, "8.8.8.8", 0), "ENETUNREACH"), 0);

	CHECK_EQ(stack_init(&s, &nif.netif, FAKE_OUR_IP, 33, 0), -EINVAL);
	CHECK_EQ(stack_init(&s, &nif.netif, 0, 24, 0), -EINVAL);
	CHECK_EQ(stack_init(&s, &nif.netif, FAKE_OUR_IP, 24, FAKE_IP(10, 0, 1, 1)), -EINVAL);
	CHECK_EQ(stack_init(&s, &nif.netif, FAKE_OUR_IP, 24, FAKE_OUR_IP), -EINVAL);
	CHECK_EQ(nif.n, 0);
}

TEST_MAIN(T(masks), T(longest_prefix_match), T(default_route_via_gw),
	  T(no_route), T(bad_prefix_rejected), T(replace_same_prefix),
	  T(table_full), T(ipv6_longest_prefix_match), T(no_match_across_families),
	  T(ra_route_expires), T(prefix_parse), T(route_text), T(addr_table),
	  T(ipv6_tentative_until_dad), T(linklocal_and_source_selection),
	  T(gateways_on_link), T(addr_delete), T(stack_init_routes))
