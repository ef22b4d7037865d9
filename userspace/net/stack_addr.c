/*
 * stack_addr.c - the stack's addresses, both families, and the routes
 * they bring (see stack.h): the table, connected routes, source selection,
 * the static routes and gateways given on the command line.
 */
#include "stack.h"

#include <errno.h>
#include <string.h>

static unsigned int max_plen(const struct ip_addr *a)
{
	return ip_addr_is_v4(a) ? 32u : 128u;
}

/* Prefix length in 128-bit terms (route.c does the same). */
static unsigned int bits128(const struct ip_addr *a, unsigned int plen)
{
	return ip_addr_is_v4(a) ? 96u + plen : plen;
}

static void tell(struct ax_stack *s, const struct stack_addr *a, enum stack_addr_event ev)
{
	if (s->addr_event)
		s->addr_event(s->addr_event_arg, a, ev);
}

/* s->addr / s->prefix_len: the first usable IPv4 address (stack.h). */
static void refresh_primary4(struct ax_stack *s)
{
	unsigned int i;

	s->addr = 0;
	s->prefix_len = 0;
	for (i = 0; i < AX_ADDRS_MAX; i++) {
		const struct stack_addr *a = &s->addrs[i];

		if (stack_addr_usable(a) && ip_addr_is_v4(&a->a)) {
			s->addr = ip_addr_get_v4(&a->a);
			s->prefix_len = a->plen;
			return;
		}
	}
}

/* RFC 1122 3.2.1.3 / RFC 4291 2.4: what can never be a host's address. */
static int bad_unicast(const struct ip_addr *a)
{
	static const struct ip_addr loop6 = { { [15] = 1 } };

	if (ip_addr_is_v4(a)) {
		uint8_t first = a->b[12];

		/* this network, loopback, multicast, class E, broadcast */
		return first == 0 || first == 127 || first >= 224;
	}
	return ip_addr_is_any(a) || ip_addr_is_multicast6(a) || ip_addr_eq(a, &loop6);
}

struct stack_addr *stack_addr_find(struct ax_stack *s, const struct ip_addr *a)
{
	unsigned int i;

	for (i = 0; i < AX_ADDRS_MAX; i++)
		if (s->addrs[i].state != STACK_ADDR_FREE && ip_addr_eq(&s->addrs[i].a, a))
			return &s->addrs[i];
	return NULL;
}

const struct stack_addr *stack_addr_local(const struct ax_stack *s,
					  const struct ip_addr *a)
{
	unsigned int i;

	for (i = 0; i < AX_ADDRS_MAX; i++)
		if (stack_addr_usable(&s->addrs[i]) && ip_addr_eq(&s->addrs[i].a, a))
			return &s->addrs[i];
	return NULL;
}

/* The connected route of an address: none for a host prefix (/32, /128),
 * as Linux adds none. */
static int connected_add(struct ax_stack *s, const struct stack_addr *a)
{
	struct ip_addr p;

	if (a->plen == max_plen(&a->a))
		return 0;
	p = route_prefix(&a->a, a->plen);
	return route_add(&s->routes, &p, a->plen, NULL, ROUTE_KERNEL, &a->a, 0);
}

static void connected_del(struct ax_stack *s, const struct stack_addr *a)
{
	struct ip_addr p = route_prefix(&a->a, a->plen);
	unsigned int i;

	/* Another address on the same prefix keeps the route (its own
	 * address as the source). */
	for (i = 0; i < AX_ADDRS_MAX; i++) {
		const struct stack_addr *o = &s->addrs[i];

		if (o != a && o->state != STACK_ADDR_FREE && o->plen == a->plen &&
		    ip_addr_family(&o->a) == ip_addr_family(&a->a) &&
		    ip_addr_prefix_eq(&o->a, &p, bits128(&p, a->plen))) {
			route_add(&s->routes, &p, a->plen, NULL, ROUTE_KERNEL, &o->a, 0);
			return;
		}
	}
	route_del(&s->routes, &p, a->plen, ROUTE_KERNEL);
}

int stack_addr_add(struct ax_stack *s, const struct ip_addr *a, uint8_t plen,
		   unsigned int flags)
{
	struct stack_addr *slot = NULL;
	unsigned int i;
	int err;

	if (plen > max_plen(a) || bad_unicast(a))
		return -EINVAL;
	if (stack_addr_find(s, a))
		return -EEXIST;
	for (i = 0; i < AX_ADDRS_MAX && !slot; i++)
		if (s->addrs[i].state == STACK_ADDR_FREE)
			slot = &s->addrs[i];
	if (!slot)
		return -ENOSPC;
	memset(slot, 0, sizeof(*slot));
	slot->a = *a;
	slot->plen = plen;
	slot->flags = (uint8_t)flags;
	err = connected_add(s, slot);
	if (err)
		return err; /* slot still FREE */
	if (ip_addr_is_v4(a)) {
		/* IPv4 has no DAD here (RFC 5227 probing is optional; Linux
		 * does none): usable at once. */
		stack_addr_set_state(s, slot, STACK_ADDR_PREFERRED);
		return 0;
	}
	/* RFC 4862 5.4: no IPv6 address is used before DAD. */
	slot->state = STACK_ADDR_TENTATIVE;
	nd_dad_start(s, slot);
	return 0;
}

int stack_addr_add_linklocal(struct ax_stack *s)
{
	const uint8_t *m = s->netif->mac;
	struct ip_addr ll = { { 0xfe, 0x80 } };

	/* RFC 4291 appendix A: the EUI-64 from the MAC, universal/local bit
	 * inverted, ff:fe in the middle. */
	ll.b[8] = m[0] ^ 0x02;
	ll.b[9] = m[1];
	ll.b[10] = m[2];
	ll.b[11] = 0xff;
	ll.b[12] = 0xfe;
	ll.b[13] = m[3];
	ll.b[14] = m[4];
	ll.b[15] = m[5];
	return stack_addr_add(s, &ll, 64, STACK_ADDR_F_LINKLOCAL);
}

void stack_addr_set_state(struct ax_stack *s, struct stack_addr *a,
			  enum stack_addr_state st)
{
	int was = stack_addr_usable(a);

	a->state = (uint8_t)st;
	if (ip_addr_is_v4(&a->a))
		refresh_primary4(s);
	if (st == STACK_ADDR_PREFERRED && !was)
		tell(s, a, STACK_ADDR_USABLE);
	else if (st == STACK_ADDR_DUPLICATE)
		tell(s, a, STACK_ADDR_DAD_FAILED);
}

int stack_addr_del(struct ax_stack *s, const struct ip_addr *ip)
{
	struct stack_addr *a = stack_addr_find(s, ip);
	int was;

	if (!a)
		return -ENOENT;
	was = stack_addr_usable(a);
	connected_del(s, a);
	a->state = STACK_ADDR_FREE;
	if (ip_addr_is_v4(&a->a))
		refresh_primary4(s);
	if (was)
		tell(s, a, STACK_ADDR_GONE);
	return 0;
}

int stack_addr_on_link(const struct ax_stack *s, const struct ip_addr *ip)
{
	unsigned int i;

	/* RFC 4291 2.5.6: fe80::/64 is the link, whatever we hold. */
	if (!ip_addr_is_v4(ip))
		if (ip_addr_is_linklocal6(ip))
			return 1;
	for (i = 0; i < AX_ADDRS_MAX; i++) {
		const struct stack_addr *a = &s->addrs[i];

		if (a->state == STACK_ADDR_FREE ||
		    ip_addr_family(&a->a) != ip_addr_family(ip) ||
		    !ip_addr_prefix_eq(ip, &a->a, bits128(ip, a->plen)))
			continue;
		if (ip_addr_is_v4(ip) && a->plen < 31) {
			uint32_t mask = route_mask(a->plen), v = ip_addr_get_v4(ip);

			/* The subnet's network and broadcast addresses are
			 * nobody's. */
			if ((v & ~mask) == 0 || (v | mask) == 0xffffffffu)
				continue;
		}
		return 1;
	}
	return 0;
}

int stack_addr_is_bcast4(const struct ax_stack *s, uint32_t be)
{
	unsigned int i;

	for (i = 0; i < AX_ADDRS_MAX; i++) {
		const struct stack_addr *a = &s->addrs[i];

		if (stack_addr_usable(a) && ip_addr_is_v4(&a->a) && a->plen < 31 &&
		    (ip_addr_get_v4(&a->a) | ~route_mask(a->plen)) == be)
			return 1;
	}
	return 0;
}

/* Scope of an address for RFC 6724 rule 2: link-local below global. A
 * multicast destination has its scope in its address (RFC 4291 2.7:
 * interface- and link-local scope 1 and 2 are the link's). */
static int is_linklocal(const struct ip_addr *a)
{
	if (ip_addr_is_v4(a))
		return a->b[12] == 169 && a->b[13] == 254;
	if (ip_addr_is_multicast6(a))
		return (a->b[1] & 0x0f) <= 2;
	return ip_addr_is_linklocal6(a);
}

int stack_src_select(const struct ax_stack *s, const struct ip_addr *dst,
		     struct ip_addr *src)
{
	const struct stack_addr *pick = NULL;
	const struct route *r = route_find(&s->routes, dst, s->now_ns);
	int fam = ip_addr_family(dst), ll = is_linklocal(dst), best = -1;
	unsigned int i;

	/* RFC 6724 5 in short: same family (rule 0, implied), the same
	 * address (rule 1), appropriate scope (rule 2: a link-local
	 * destination gets a link-local source, a global one a global
	 * source), then the longest match with the destination or the
	 * route's preferred source (rule 8's spirit), then the first. */
	for (i = 0; i < AX_ADDRS_MAX; i++) {
		const struct stack_addr *a = &s->addrs[i];
		int score;

		if (!stack_addr_usable(a) || ip_addr_family(&a->a) != fam)
			continue;
		if (ip_addr_eq(&a->a, dst)) {
			pick = a;
			break;
		}
		score = 0;
		if (is_linklocal(&a->a) == ll)
			score += 4;
		if (r && ip_addr_eq(&r->prefsrc, &a->a))
			score += 2;
		if (ip_addr_prefix_eq(dst, &a->a, bits128(dst, a->plen)))
			score += 1;
		if (score > best) {
			best = score;
			pick = a;
		}
	}
	if (!pick)
		return -EADDRNOTAVAIL;
	*src = pick->a;
	return 0;
}

/* A gateway must be a neighbour: on one of our prefixes, not ours. */
static int check_gw(const struct ax_stack *s, const struct ip_addr *gw)
{
	unsigned int i;

	if (bad_unicast(gw))
		return -EINVAL;
	for (i = 0; i < AX_ADDRS_MAX; i++)
		if (s->addrs[i].state != STACK_ADDR_FREE && ip_addr_eq(&s->addrs[i].a, gw))
			return -EINVAL;
	return stack_addr_on_link(s, gw) ? 0 : -ENETUNREACH;
}

int stack_gw_add(struct ax_stack *s, const struct ip_addr *gw)
{
	int err = check_gw(s, gw);

	if (err)
		return err;
	return route_add(&s->routes, ip_addr_is_v4(gw) ? &ip_addr_any4 : &ip_addr_any6,
			 0, gw, ROUTE_STATIC, NULL, 0);
}

int stack_route_add(struct ax_stack *s, const struct ip_addr *dst, uint8_t plen,
		    const struct ip_addr *gw)
{
	int err;

	if (ip_addr_family(dst) != ip_addr_family(gw))
		return -EINVAL;
	err = check_gw(s, gw);
	if (err)
		return err;
	return route_add(&s->routes, dst, plen, gw, ROUTE_STATIC, NULL, 0);
}
