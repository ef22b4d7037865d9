/*
 * nd.c - see nd.h. RFC 4861 (neighbor discovery), RFC 4862 (DAD, SLAAC).
 */
#include "nd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "util/log.h"
#include "ipv6.h"
#include "neigh.h"
#include "proto.h"
#include "stack.h"

#define MS_NS 1000000ull
#define S_NS 1000000000ull

static const struct ip_addr all_nodes = { { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 } };
static const uint8_t no_mac[6];
static const struct ip_addr all_routers = { { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 } };

void nd_init(struct ax_stack *s)
{
	memset(&s->nd, 0, sizeof(s->nd));
}

void nd_linklocal(const uint8_t mac[6], struct ip_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->b[0] = 0xfe;
	a->b[1] = 0x80;
	/* RFC 4291 appendix A: ff:fe in the middle, the universal/local
	 * bit inverted. */
	a->b[8] = mac[0] ^ 0x02;
	a->b[9] = mac[1];
	a->b[10] = mac[2];
	a->b[11] = 0xff;
	a->b[12] = 0xfe;
	a->b[13] = mac[3];
	a->b[14] = mac[4];
	a->b[15] = mac[5];
}

/*
 * Send an ND message (msg/len, checksum field zero) from src to dst with
 * hop limit 255 (RFC 4861 6.1, 7.1: receivers check it). To a group or
 * to dst_mac it leaves at once; to a unicast dst without dst_mac it goes
 * through the neighbour cache.
 */
static int nd_send(struct ax_stack *s, const uint8_t *dst_mac, const struct ip_addr *src,
		   const struct ip_addr *dst, uint8_t *msg, size_t len)
{
	struct ip_tx tx;
	struct ipv6_hdr h;
	struct eth_hdr *eh;
	size_t cap;
	uint8_t *buf, mmac[6];
	uint16_t c;
	int err;

	c = ip_l4_csum(src, dst, IP6_NH_ICMPV6, msg, len);
	memcpy(msg + 2, &c, 2);
	if (!dst_mac && !ip_addr_is_multicast6(dst)) {
		buf = ipv6_tx_begin_from(s, src, dst, IP6_NH_ICMPV6, &tx, &cap, &err);
		if (!buf)
			return err;
		if (cap < len) {
			ipv6_tx_abort(s, &tx);
			return -ENOBUFS;
		}
		memcpy(buf, msg, len);
		tx.hop_limit = 255;
		return ipv6_tx_commit(s, &tx, len);
	}
	if (!dst_mac) {
		neigh_mcast_mac(dst, mmac);
		dst_mac = mmac;
	}
	buf = s->netif->tx_begin(s->netif->ctx, &cap);
	if (!buf || cap < ETH_HLEN_AX + IP6_HLEN + len) {
		stack_count(s, AX_C_tx_no_buffer);
		return -ENOBUFS;
	}
	eh = (struct eth_hdr *)buf;
	memcpy(eh->dst, dst_mac, 6);
	memcpy(eh->src, s->netif->mac, 6);
	eh->type = htons(ETHTYPE_IPV6);
	h.ver_tc_flow = htonl(6u << 28);
	h.plen = htons((uint16_t)len);
	h.nh = IP6_NH_ICMPV6;
	h.hops = 255;
	memcpy(h.src, src->b, 16);
	memcpy(h.dst, dst->b, 16);
	memcpy(buf + ETH_HLEN_AX, &h, sizeof(h));
	memcpy(buf + ETH_HLEN_AX + sizeof(h), msg, len);
	stack_count(s, AX_C_ip6_tx);
	return stack_xmit(s, ETH_HLEN_AX + sizeof(h) + len);
}

static size_t put_lladdr_opt(uint8_t *o, uint8_t type, const uint8_t *mac)
{
	o[0] = type;
	o[1] = 1; /* in units of 8 bytes (RFC 4861 4.6) */
	memcpy(o + 2, mac, 6);
	return 8;
}

int nd_send_ns(struct ax_stack *s, const struct ip_addr *target, const uint8_t *dst_mac)
{
	uint8_t msg[32] = { ND_NS };
	struct ip_addr src, dst;
	size_t len = 24;

	/* RFC 4861 7.2.2: from one of our addresses (the one the stack
	 * would use to reach the target). */
	if (stack_src_select(s, target, &src) < 0) {
		stack_count(s, AX_C_ip6_no_src);
		return -EADDRNOTAVAIL;
	}
	memcpy(msg + 8, target->b, 16);
	len += put_lladdr_opt(msg + 24, ND_OPT_SLLAO, s->netif->mac);
	if (dst_mac)
		dst = *target;
	else
		ipv6_solicited_node(target, &dst);
	stack_count(s, AX_C_nd_ns_tx);
	return nd_send(s, dst_mac, &src, &dst, msg, len);
}

/* RFC 4862 5.4.2: from ::, to the target's solicited-node group, with no
 * source link-layer address option (7.1.1 forbids it from ::). */
static int send_dad_ns(struct ax_stack *s, const struct ip_addr *target)
{
	uint8_t msg[24] = { ND_NS };
	struct ip_addr dst;

	memcpy(msg + 8, target->b, 16);
	ipv6_solicited_node(target, &dst);
	stack_count(s, AX_C_nd_ns_tx);
	return nd_send(s, NULL, &ip_addr_any6, &dst, msg, sizeof(msg));
}

/* RFC 4861 7.2.4: the answer to a solicitation for target (ours), to its
 * sender, or to all nodes when it came from :: (a DAD probe). to_mac: the
 * solicitation's source link-layer address, which the answer goes to
 * directly; NULL resolves `to` through the cache. */
static int send_na(struct ax_stack *s, const struct ip_addr *target,
		   const struct ip_addr *to, const uint8_t *to_mac, int solicited)
{
	uint8_t msg[32] = { ND_NA };

	msg[4] = (uint8_t)(ND_NA_F_OVERRIDE | (solicited ? ND_NA_F_SOLICITED : 0));
	memcpy(msg + 8, target->b, 16);
	put_lladdr_opt(msg + 24, ND_OPT_TLLAO, s->netif->mac);
	stack_count(s, AX_C_nd_na_tx);
	return nd_send(s, to_mac, target, to, msg, sizeof(msg));
}

/* RFC 4861 6.3.7: ask routers to advertise now rather than in minutes. */
static void send_rs(struct ax_stack *s, const struct ip_addr *src)
{
	uint8_t msg[16] = { ND_RS };

	put_lladdr_opt(msg + 8, ND_OPT_SLLAO, s->netif->mac);
	stack_count(s, AX_C_nd_rs_tx);
	nd_send(s, NULL, src, &all_routers, msg, sizeof(msg));
}

/* RFC 4861 4.6, 6.1.2, 7.1.x: every option at least 8 bytes (length 0 is
 * invalid), none past the message. */
static int opts_valid(const uint8_t *o, size_t len)
{
	size_t i = 0;

	while (i < len) {
		if (len - i < 2 || o[i + 1] == 0 || 8u * o[i + 1] > len - i)
			return 0;
		i += 8u * o[i + 1];
	}
	return 1;
}

/* The Ethernet address in the first option of type (of length 1), or NULL. */
static const uint8_t *opt_lladdr(const uint8_t *o, size_t len, uint8_t type)
{
	size_t i = 0;

	while (i + 8 <= len) {
		if (o[i] == type && o[i + 1] == 1)
			return o + i + 2;
		i += 8u * o[i + 1];
	}
	return NULL;
}

static void dad_fail(struct ax_stack *s, struct stack_addr *a, const uint8_t *mac)
{
	char ip[IP_ADDR_STRLEN];

	if (a->state != STACK_ADDR_TENTATIVE)
		return;
	a->dad_left = 0;
	stack_count(s, AX_C_nd_dad_failed);
	log_warn("dad: %s is in use by %02x:%02x:%02x:%02x:%02x:%02x, not using it",
		 ip_addr_fmt(&a->a, ip, sizeof(ip)), mac[0], mac[1], mac[2], mac[3],
		 mac[4], mac[5]);
	stack_addr_set_state(s, a, STACK_ADDR_DUPLICATE);
}

static void ns_input(struct ax_stack *s, const struct ip_rx *rx)
{
	const uint8_t *p = rx->l4, *o = p + 24, *sll;
	size_t olen = rx->l4_len - 24;
	struct ip_addr target, sn;
	struct stack_addr *a;
	int from_any = ip_addr_is_any(&rx->src);

	memcpy(target.b, p + 8, 16);
	sll = opt_lladdr(o, olen, ND_OPT_SLLAO);
	ipv6_solicited_node(&target, &sn);
	/* RFC 4861 7.1.1: a DAD probe (from ::) goes to the target's
	 * solicited-node group and names no link-layer address. */
	if (ip_addr_is_multicast6(&target) || ip_addr_is_v4(&target) ||
	    (from_any && (sll || !ip_addr_eq(&rx->dst, &sn)))) {
		stack_count(s, AX_C_nd_malformed);
		return;
	}
	a = stack_addr_find(s, &target);
	if (!a || a->state == STACK_ADDR_DUPLICATE)
		return; /* not for us */
	if (a->state == STACK_ADDR_TENTATIVE) {
		/* RFC 4862 5.4.3: another node testing the same address:
		 * neither may use it. A solicitation from a unicast source
		 * is resolution, which a tentative address does not answer. */
		if (from_any)
			dad_fail(s, a, s->rx_eth_src ? s->rx_eth_src : no_mac);
		return;
	}
	stack_count(s, AX_C_nd_ns_rx);
	if (from_any) {
		/* RFC 4862 5.4.3: defend it. */
		send_na(s, &target, &all_nodes, NULL, 0);
		return;
	}
	/* RFC 4861 7.2.3: the sender's link-layer address, when given, goes
	 * into the cache (STALE when new or changed). */
	if (sll && (sll[0] & 1))
		sll = NULL;
	if (sll) {
		struct neigh_entry *e = neigh_find(&s->neigh, &rx->src);

		if (e) {
			neigh_update(s, e, sll, 0, 1);
		} else if ((e = neigh_create(s, &rx->src)) != NULL) {
			memcpy(e->mac, sll, 6);
			neigh_set_stale(s, e);
		}
	}
	/* 7.2.4: the answer goes to that address directly, not through the
	 * cache: sending through it would mark a sender we never talk to as
	 * in use (DELAY, then unicast probes), and evict_one spares entries in
	 * use, so a flood of made-up solicitors would pin the whole table.
	 * Without the option, the sender is resolved as any next hop. */
	send_na(s, &target, &rx->src, sll, 1);
}

static void na_input(struct ax_stack *s, const struct ip_rx *rx)
{
	const uint8_t *p = rx->l4, *tll;
	uint8_t flags = p[4];
	struct ip_addr target;
	struct stack_addr *a;
	struct neigh_entry *e;

	memcpy(target.b, p + 8, 16);
	/* RFC 4861 7.1.2 */
	if (ip_addr_is_multicast6(&target) || ip_addr_is_v4(&target) ||
	    (ip_addr_is_multicast6(&rx->dst) && (flags & ND_NA_F_SOLICITED))) {
		stack_count(s, AX_C_nd_malformed);
		return;
	}
	stack_count(s, AX_C_nd_na_rx);
	tll = opt_lladdr(p + 24, rx->l4_len - 24, ND_OPT_TLLAO);
	a = stack_addr_find(s, &target);
	if (a) {
		/* RFC 4862 5.4.4: an answer to our DAD probe: the address is
		 * someone else's. For a usable address it is a conflict
		 * (5.4.4 leaves it to us): we keep the address. */
		if (a->state == STACK_ADDR_TENTATIVE)
			dad_fail(s, a, tll ? tll : s->rx_eth_src ? s->rx_eth_src : no_mac);
		else
			stack_count(s, AX_C_nd_na_unsolicited);
		return;
	}
	/* Only an answer to a solicitation of ours changes the cache: a
	 * resolution under way (INCOMPLETE) or a unicast probe (PROBE).
	 * RFC 4861 7.2.5 would also let an unsolicited override replace a
	 * binding in use; that is the ND spoof, and a neighbour that moved
	 * is found again by our own probes within DELAY + PROBE. */
	e = neigh_find(&s->neigh, &target);
	if (!e || (e->state != NEIGH_INCOMPLETE && e->state != NEIGH_PROBE)) {
		stack_count(s, AX_C_nd_na_unsolicited);
		return;
	}
	if (tll && (tll[0] & 1)) {
		stack_count(s, AX_C_nd_malformed);
		return;
	}
	if (e->state == NEIGH_INCOMPLETE) {
		if (!tll)
			return; /* 7.2.5: nothing to record */
		neigh_update(s, e, tll, !!(flags & ND_NA_F_SOLICITED), 1);
	} else {
		neigh_update(s, e, tll ? tll : e->mac, !!(flags & ND_NA_F_SOLICITED),
			     !!(flags & ND_NA_F_OVERRIDE));
	}
	/* 7.2.5: a router that says it is none no longer is our default. */
	if (e->router && !(flags & ND_NA_F_ROUTER) && ip_addr_eq(&s->nd.router, &e->ip) &&
	    s->nd.router_until_ns) {
		s->nd.router_until_ns = 0;
		route_del(&s->routes, &ip_addr_any6, 0, ROUTE_RA);
	}
	e->router = !!(flags & ND_NA_F_ROUTER);
}

static uint64_t lifetime_end(const struct ax_stack *s, uint32_t secs)
{
	return secs == 0xffffffffu ? UINT64_MAX : s->now_ns + (uint64_t)secs * S_NS;
}

/* The routing table's expiry: 0 is never. */
static uint64_t route_expiry(const struct ax_stack *s, uint32_t secs)
{
	return secs == 0xffffffffu ? 0 : s->now_ns + (uint64_t)secs * S_NS;
}

/* RFC 4861 6.3.4: an on-link prefix, for its valid lifetime; 0 ends it. */
static void prefix_onlink(struct ax_stack *s, const struct ip_addr *pfx, uint8_t len,
			  uint32_t valid)
{
	struct ip_addr p = route_prefix(pfx, len);

	const struct route_table *t = &s->routes;
	unsigned int i, n = 0;

	if (!valid) {
		route_del(&s->routes, &p, len, ROUTE_RA);
		return;
	}
	/* At most AX_ND_PREFIXES_MAX of them (opt.h): a prefix already held
	 * is refreshed, a new one beyond that is refused, so advertisements
	 * cannot fill the table the default router's route needs. */
	for (i = 0; i < t->n; i++) {
		if (t->r[i].proto != ROUTE_RA || t->r[i].plen == 0)
			continue;
		if (t->r[i].plen == len && ip_addr_eq(&t->r[i].dst, &p))
			break;
		n++;
	}
	if (i == t->n && n >= AX_ND_PREFIXES_MAX) {
		stack_count(s, AX_C_nd_prefixes_refused);
		return;
	}
	if (route_add(&s->routes, &p, len, NULL, ROUTE_RA, NULL, route_expiry(s, valid)) == 0)
		stack_count(s, AX_C_nd_prefixes);
}

/* RFC 4862 5.5.3: an address from a /64 prefix and our interface
 * identifier; the two-hour rule (e) keeps a forged advertisement from
 * shortening an address's life below two hours. */
static void prefix_slaac(struct ax_stack *s, const struct ip_addr *pfx, uint32_t valid)
{
	struct ip_addr a, ll;
	struct stack_addr *sa;
	const uint64_t two_hours = 7200 * S_NS;

	nd_linklocal(s->netif->mac, &ll);
	memcpy(a.b, pfx->b, 8);
	memcpy(a.b + 8, ll.b + 8, 8);
	sa = stack_addr_find(s, &a);
	if (sa) {
		uint64_t end = lifetime_end(s, valid), left;

		if (!(sa->flags & STACK_ADDR_F_AUTOCONF))
			return;
		left = sa->valid_until_ns > s->now_ns ? sa->valid_until_ns - s->now_ns : 0;
		if (valid == 0xffffffffu || (uint64_t)valid * S_NS > two_hours ||
		    end > sa->valid_until_ns)
			sa->valid_until_ns = end;
		else if (left > two_hours)
			sa->valid_until_ns = s->now_ns + two_hours;
		return;
	}
	if (!valid)
		return;
	if (stack_addr_add(s, &a, 64, STACK_ADDR_F_AUTOCONF) == 0) {
		sa = stack_addr_find(s, &a);
		if (sa)
			sa->valid_until_ns = lifetime_end(s, valid);
		stack_count(s, AX_C_nd_slaac_addrs);
	}
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void ra_input(struct ax_stack *s, const struct ip_rx *rx)
{
	const uint8_t *p = rx->l4, *o = p + 16, *sll;
	size_t olen = rx->l4_len - 16, i;
	uint16_t lifetime = (uint16_t)(p[6] << 8 | p[7]);
	struct neigh_entry *e;

	/* RFC 4861 6.1.2: routers speak from their link-local address. */
	if (!ip_addr_is_linklocal6(&rx->src)) {
		stack_count(s, AX_C_nd_ra_bad_src);
		return;
	}
	stack_count(s, AX_C_nd_ra_rx);
	if (p[4])
		s->nd.cur_hop_limit = p[4];
	sll = opt_lladdr(o, olen, ND_OPT_SLLAO);
	e = neigh_find(&s->neigh, &rx->src);
	if (sll && !(sll[0] & 1)) {
		/* 6.3.4: the router's link-layer address, STALE when new. */
		if (e) {
			neigh_update(s, e, sll, 0, 1);
		} else if ((e = neigh_create(s, &rx->src)) != NULL) {
			memcpy(e->mac, sll, 6);
			neigh_set_stale(s, e);
		}
	}
	if (e)
		e->router = 1;
	/* 6.3.4: the default router for its lifetime; 0 retires it. */
	if (lifetime) {
		s->nd.router = rx->src;
		s->nd.router_until_ns = s->now_ns + lifetime * S_NS;
		route_add(&s->routes, &ip_addr_any6, 0, &rx->src, ROUTE_RA, NULL,
			  s->nd.router_until_ns);
	} else if (ip_addr_eq(&s->nd.router, &rx->src)) {
		s->nd.router_until_ns = 0;
		route_del(&s->routes, &ip_addr_any6, 0, ROUTE_RA);
	}
	for (i = 0; i + 8 <= olen; i += 8u * o[i + 1]) {
		const uint8_t *q = o + i;

		if (q[0] == ND_OPT_MTU && q[1] == 1) {
			uint32_t mtu = get32(q + 4);

			/* 6.3.4: ignored when out of the link's range. */
			if (mtu >= 1280 && mtu <= s->netif->mtu)
				s->nd.mtu = (uint16_t)mtu;
		} else if (q[0] == ND_OPT_PREFIX && q[1] == 4) {
			struct ip_addr pfx;
			uint8_t plen = q[2], fl = q[3];
			uint32_t valid = get32(q + 4), pref = get32(q + 8);

			memcpy(pfx.b, q + 16, 16);
			/* 6.3.4 and RFC 4862 5.5.3 (a), (c): never the
			 * link-local prefix, never preferred past valid.
			 * Nor ::/0: no on-link prefix, it would take the key
			 * of the default router's route (::/0, ROUTE_RA), so
			 * any node could delete or replace that route. */
			if (plen == 0 || plen > 128 || ip_addr_is_linklocal6(&pfx) ||
			    ip_addr_is_multicast6(&pfx) || pref > valid)
				continue;
			if (fl & 0x80)
				prefix_onlink(s, &pfx, plen, valid);
			if ((fl & 0x40) && plen == 64)
				prefix_slaac(s, &pfx, valid);
		}
	}
}

void nd_input(struct ax_stack *s, const struct ip_rx *rx)
{
	const uint8_t *p = rx->l4;
	size_t len = rx->l4_len, min;
	uint8_t type = p[0];

	stack_count(s, AX_C_nd_rx);
	/* RFC 4861 6.1, 7.1, 8.1: hop limit 255 proves the message was
	 * sent on this link (a router would have decremented it). */
	if (rx->ttl != 255) {
		stack_count(s, AX_C_nd_bad_hop_limit);
		return;
	}
	min = type == ND_RS ? 8 : type == ND_RA ? 16 : type == ND_REDIRECT ? 40 : 24;
	if (p[1] != 0 || len < min || !opts_valid(p + min, len - min)) {
		stack_count(s, AX_C_nd_malformed);
		return;
	}
	switch (type) {
	case ND_NS:
		ns_input(s, rx);
		break;
	case ND_NA:
		na_input(s, rx);
		break;
	case ND_RA:
		ra_input(s, rx);
		break;
	case ND_RS:
		stack_count(s, AX_C_nd_rs_ignored);
		break;
	default:
		/* RFC 4861 8: a host MAY ignore redirects; a redirect can
		 * only point our traffic somewhere, and the routes we use
		 * come from advertisements and the command line. */
		stack_count(s, AX_C_nd_redirect_ignored);
		break;
	}
}

void nd_dad_start(struct ax_stack *s, struct stack_addr *a)
{
	a->state = STACK_ADDR_TENTATIVE;
	a->dad_left = AX_ND_DAD_TRANSMITS;
	/* RFC 4862 5.4.2 asks for a random delay of up to a second before
	 * the first probe only when several nodes start together (a link
	 * coming up); one node adding an address sends at once. */
	a->deadline_ns = s->now_ns;
	if (s->addr_event)
		s->addr_event(s->addr_event_arg, a, STACK_ADDR_DAD_START);
	nd_timers(s);
}

static void dad_timer(struct ax_stack *s, struct stack_addr *a)
{
	if (a->dad_left) {
		a->dad_left--;
		a->deadline_ns = s->now_ns + AX_ND_DAD_WAIT_MS * MS_NS;
		send_dad_ns(s, &a->a);
		return;
	}
	/* RetransTimer after the last probe and nobody answered. */
	a->deadline_ns = 0;
	stack_count(s, AX_C_nd_dad_ok);
	stack_addr_set_state(s, a, STACK_ADDR_PREFERRED);
	if (a->flags & STACK_ADDR_F_LINKLOCAL)
		send_rs(s, &a->a);
}

void nd_timers(struct ax_stack *s)
{
	unsigned int i;

	for (i = 0; i < AX_ADDRS_MAX; i++) {
		struct stack_addr *a = &s->addrs[i];

		if (a->state == STACK_ADDR_FREE || ip_addr_is_v4(&a->a))
			continue;
		if (a->state == STACK_ADDR_TENTATIVE && s->now_ns >= a->deadline_ns)
			dad_timer(s, a);
		if (a->state == STACK_ADDR_FREE)
			continue;
		/* RFC 4862 5.5.4: an autoconfigured address whose valid
		 * lifetime ran out is gone. */
		if (a->valid_until_ns && s->now_ns >= a->valid_until_ns)
			stack_addr_del(s, &a->a);
	}
	if (s->nd.router_until_ns && s->now_ns >= s->nd.router_until_ns) {
		struct neigh_entry *e = neigh_find(&s->neigh, &s->nd.router);

		s->nd.router_until_ns = 0;
		if (e)
			e->router = 0;
	}
}

uint64_t nd_next_deadline(const struct ax_stack *s)
{
	uint64_t next = UINT64_MAX;
	unsigned int i;

	for (i = 0; i < AX_ADDRS_MAX; i++) {
		const struct stack_addr *a = &s->addrs[i];

		if (a->state == STACK_ADDR_FREE || ip_addr_is_v4(&a->a))
			continue;
		if (a->state == STACK_ADDR_TENTATIVE && a->deadline_ns < next)
			next = a->deadline_ns;
		if (a->valid_until_ns && a->valid_until_ns < next)
			next = a->valid_until_ns;
	}
	if (s->nd.router_until_ns && s->nd.router_until_ns < next)
		next = s->nd.router_until_ns;
	return next;
}
