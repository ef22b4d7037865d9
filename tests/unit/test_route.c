/*
 * test_route.c - the routing table (route.c) and the routes stack_init()
 * installs.
 */
#include "fake_netif.h"
#include "testlib.h"

#include "net/route.h"

static struct route_table rt;

/* Next hop for dst, or the negative errno route_lookup() returned. */
static long long hop(uint32_t dst)
{
	uint32_t nh = 0xdeadbeef;
	int err = route_lookup(&rt, dst, &nh);

	return err ? err : (long long)nh;
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
			CHECK_EQ(route_add(&rt, 0, 0, FAKE_IP(10, 0, 0, 254)), 0);
			CHECK_EQ(route_add(&rt, FAKE_IP(10, 0, 0, 0), 8, FAKE_IP(10, 0, 0, 8)), 0);
			CHECK_EQ(route_add(&rt, FAKE_IP(10, 1, 0, 0), 16, FAKE_IP(10, 0, 0, 16)), 0);
			CHECK_EQ(route_add(&rt, FAKE_IP(10, 1, 2, 0), 24, 0), 0);
			CHECK_EQ(route_add(&rt, FAKE_IP(10, 1, 2, 3), 32, FAKE_IP(10, 0, 0, 32)), 0);
		} else {
			CHECK_EQ(route_add(&rt, FAKE_IP(10, 1, 2, 3), 32, FAKE_IP(10, 0, 0, 32)), 0);
			CHECK_EQ(route_add(&rt, FAKE_IP(10, 1, 2, 0), 24, 0), 0);
			CHECK_EQ(route_add(&rt, FAKE_IP(10, 1, 0, 0), 16, FAKE_IP(10, 0, 0, 16)), 0);
			CHECK_EQ(route_add(&rt, FAKE_IP(10, 0, 0, 0), 8, FAKE_IP(10, 0, 0, 8)), 0);
			CHECK_EQ(route_add(&rt, 0, 0, FAKE_IP(10, 0, 0, 254)), 0);
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
	CHECK_EQ(route_add(&rt, FAKE_IP(192, 168, 1, 0), 24, 0), 0);
	CHECK_EQ(route_add(&rt, 0, 0, FAKE_IP(192, 168, 1, 1)), 0);
	CHECK_EQ(hop(FAKE_IP(8, 8, 8, 8)), FAKE_IP(192, 168, 1, 1));
	CHECK_EQ(hop(0xffffffffu), FAKE_IP(192, 168, 1, 1));
	CHECK_EQ(hop(FAKE_IP(192, 168, 1, 77)), FAKE_IP(192, 168, 1, 77));
}

/* No match: -ENETUNREACH and the next hop is left alone. */
TEST(no_route)
{
	uint32_t nh = 0x11223344;

	route_init(&rt);
	CHECK_EQ(hop(FAKE_IP(10, 0, 0, 1)), -ENETUNREACH);
	CHECK_EQ(route_add(&rt, FAKE_IP(10, 0, 0, 0), 24, 0), 0);
	CHECK_EQ(route_lookup(&rt, FAKE_IP(10, 0, 1, 1), &nh), -ENETUNREACH);
	CHECK_EQ(nh, 0x11223344);
	/* A /32 matches its address only. */
	CHECK_EQ(route_add(&rt, FAKE_IP(172, 16, 0, 1), 32, FAKE_IP(10, 0, 0, 9)), 0);
	CHECK_EQ(hop(FAKE_IP(172, 16, 0, 1)), FAKE_IP(10, 0, 0, 9));
	CHECK_EQ(hop(FAKE_IP(172, 16, 0, 2)), -ENETUNREACH);
}

/* A prefix with host bits set, or longer than 32, is refused and does not
 * enter the table. */
TEST(bad_prefix_rejected)
{
	route_init(&rt);
	CHECK_EQ(route_add(&rt, FAKE_IP(10, 0, 0, 1), 24, 0), -EINVAL);
	CHECK_EQ(route_add(&rt, FAKE_IP(11, 0, 0, 0), 7, 0), -EINVAL);
	CHECK_EQ(route_add(&rt, FAKE_IP(0, 0, 0, 1), 0, 0), -EINVAL);
	CHECK_EQ(route_add(&rt, FAKE_IP(10, 0, 0, 0), 33, 0), -EINVAL);
	CHECK_EQ(route_add(&rt, FAKE_IP(10, 0, 0, 0), 255, 0), -EINVAL);
	CHECK_EQ(rt.n, 0);
	CHECK_EQ(hop(FAKE_IP(10, 0, 0, 1)), -ENETUNREACH);
}

/* Adding the same prefix/len again replaces its gateway in place. */
TEST(replace_same_prefix)
{
	route_init(&rt);
	CHECK_EQ(route_add(&rt, 0, 0, FAKE_IP(10, 0, 0, 1)), 0);
	CHECK_EQ(route_add(&rt, 0, 0, FAKE_IP(10, 0, 0, 2)), 0);
	CHECK_EQ(rt.n, 1);
	CHECK_EQ(hop(FAKE_IP(1, 2, 3, 4)), FAKE_IP(10, 0, 0, 2));
	/* Same prefix, other length: a different route. */
	CHECK_EQ(route_add(&rt, 0, 1, 0), 0);
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
		if (route_add(&rt, FAKE_IP(10, i, 0, 0), 16, FAKE_IP(192, 168, 0, i + 1)))
			bad++;
	CHECK_EQ(bad, 0);
	CHECK_EQ(rt.n, AX_ROUTES_MAX);
	CHECK_EQ(route_add(&rt, FAKE_IP(11, 0, 0, 0), 16, 0), -ENOSPC);
	CHECK_EQ(route_add(&rt, 0, 0, FAKE_IP(1, 1, 1, 1)), -ENOSPC);
	CHECK_EQ(rt.n, AX_ROUTES_MAX);
	CHECK_EQ(route_add(&rt, FAKE_IP(10, 3, 0, 0), 16, FAKE_IP(9, 9, 9, 9)), 0);
	CHECK_EQ(rt.n, AX_ROUTES_MAX);
	CHECK_EQ(hop(FAKE_IP(10, 3, 7, 7)), FAKE_IP(9, 9, 9, 9));
	CHECK_EQ(hop(FAKE_IP(10, AX_ROUTES_MAX - 1, 1, 1)),
		 FAKE_IP(192, 168, 0, AX_ROUTES_MAX));
	CHECK_EQ(hop(FAKE_IP(11, 0, 0, 1)), -ENETUNREACH);
}

/* stack_init() installs the on-link route and the default route, and
 * refuses a bad prefix, address 0, or a gateway that is not on the link. */
TEST(stack_init_routes)
{
	static struct fake_netif nif;
	static struct ax_stack s;
	uint32_t nh = 0;

	fake_netif_init(&nif, FAKE_OUR_MAC);
	CHECK_EQ(stack_init(&s, &nif.netif, FAKE_OUR_IP, 24, FAKE_GW_IP), 0);
	CHECK_EQ(s.routes.n, 2);
	CHECK_EQ(route_lookup(&s.routes, FAKE_PEER_IP, &nh), 0);
	CHECK_EQ(nh, FAKE_PEER_IP);
	CHECK_EQ(route_lookup(&s.routes, FAKE_IP(8, 8, 8, 8), &nh), 0);
	CHECK_EQ(nh, FAKE_GW_IP);

	CHECK_EQ(stack_init(&s, &nif.netif, FAKE_OUR_IP, 24, 0), 0);
	CHECK_EQ(s.routes.n, 1);
	CHECK_EQ(route_lookup(&s.routes, FAKE_IP(8, 8, 8, 8), &nh), -ENETUNREACH);

	CHECK_EQ(stack_init(&s, &nif.netif, FAKE_OUR_IP, 33, 0), -EINVAL);
	CHECK_EQ(stack_init(&s, &nif.netif, 0, 24, 0), -EINVAL);
	CHECK_EQ(stack_init(&s, &nif.netif, FAKE_OUR_IP, 24, FAKE_IP(10, 0, 1, 1)), -EINVAL);
	CHECK_EQ(stack_init(&s, &nif.netif, FAKE_OUR_IP, 24, FAKE_OUR_IP), -EINVAL);
	CHECK_EQ(nif.n, 0);
}

TEST_MAIN(T(masks), T(longest_prefix_match), T(default_route_via_gw),
	  T(no_route), T(bad_prefix_rejected), T(replace_same_prefix),
	  T(table_full), T(stack_init_routes))
