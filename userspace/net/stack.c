/*
 * stack.c - see stack.h: set-up, Ethernet demux and the glue of the layers.
 */
#include "stack.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "icmp.h"
#include "ipv4.h"
#include "ipv6.h"
#include "nd.h"
#include "proto.h"

static const char *const counter_names[AX_C_MAX] = {
#define AX_COUNTER_NAME(name, desc) #name,
	AX_COUNTERS(AX_COUNTER_NAME)
#undef AX_COUNTER_NAME
};

static const char *const counter_descs[AX_C_MAX] = {
#define AX_COUNTER_DESC(name, desc) desc,
	AX_COUNTERS(AX_COUNTER_DESC)
#undef AX_COUNTER_DESC
};

const char *ax_counter_name(enum ax_counter c)
{
	return c < AX_C_MAX ? counter_names[c] : "?";
}

const char *ax_counter_desc(enum ax_counter c)
{
	return c < AX_C_MAX ? counter_descs[c] : "?";
}

int stack_setup(struct ax_stack *s, struct ax_netif *netif)
{
	/* Every frame the engine builds must fit a queue slot. */
	if (netif->mtu < 68 || (size_t)netif->mtu + 14 > AX_FRAME_MAX)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	s->netif = netif;
	s->ip_id = 1;
	route_init(&s->routes);
	neigh_init(&s->neigh);
	nd_init(s);
	return tcp_init(s);
}

int stack_init(struct ax_stack *s, struct ax_netif *netif, uint32_t addr,
	       uint8_t prefix_len, uint32_t gw)
{
	struct ip_addr a = ip_addr_v4(addr), g = ip_addr_v4(gw);
	int err;

	if (prefix_len > 32 || addr == 0)
		return -EINVAL;
	err = stack_setup(s, netif);
	if (!err)
		err = stack_addr_add(s, &a, prefix_len, STACK_ADDR_F_STATIC);
	/* The gateway must be reachable on the link (stack_init's callers
	 * have always been told -EINVAL). */
	if (!err && gw && stack_gw_add(s, &g))
		err = -EINVAL;
	return err;
}

int stack_xmit(struct ax_stack *s, size_t len)
{
	int err = s->netif->tx_commit(s->netif->ctx, len);

	if (err) {
		stack_count(s, AX_C_tx_no_buffer);
		return err;
	}
	stack_count(s, AX_C_eth_tx);
	return 0;
}

void stack_input(struct ax_stack *s, const uint8_t *frame, size_t len)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct eth_hdr eh;
	int l2_bcast, l2_mcast;

	stack_count(s, AX_C_eth_rx);
	if (len < sizeof(eh)) {
		stack_count(s, AX_C_eth_malformed);
		return;
	}
	memcpy(&eh, frame, sizeof(eh));
	/* Ours: our unicast address, broadcast, or the IPv6 groups we are
	 * in (all-nodes and our solicited-node groups, RFC 2464 7). */
	l2_bcast = memcmp(eh.dst, bcast, 6) == 0;
	l2_mcast = !l2_bcast && (eh.dst[0] & 1) && ntohs(eh.type) == ETHTYPE_IPV6 &&
		   ipv6_l2_mcast_ours(s, eh.dst);
	if (!l2_bcast && !l2_mcast && memcmp(eh.dst, s->netif->mac, 6) != 0) {
		stack_count(s, AX_C_eth_not_ours);
		return;
	}
	s->rx_eth_src = frame + 6;
	switch (ntohs(eh.type)) {
	case ETHTYPE_ARP:
		arp_input(s, eh.src, l2_bcast, frame + sizeof(eh), len - sizeof(eh));
		break;
	case ETHTYPE_IPV4:
		ipv4_input(s, frame + sizeof(eh), len - sizeof(eh), l2_bcast);
		break;
	case ETHTYPE_IPV6:
		/* IPv6 has no broadcast (RFC 4291 2): a broadcast frame is
		 * as foreign as another host's multicast. */
		ipv6_input(s, frame + sizeof(eh), len - sizeof(eh), l2_mcast || l2_bcast);
		break;
	case ETHTYPE_VLAN:
	case ETHTYPE_QINQ:
		stack_count(s, AX_C_eth_vlan_dropped);
		break;
	default:
		stack_count(s, AX_C_eth_unknown_type);
		break;
	}
	s->rx_eth_src = NULL;
}

void stack_timers(struct ax_stack *s)
{
	neigh_timers(s);
	nd_timers(s);
	tcp_timers(s);
	/* RA routes whose router lifetime ran out (RFC 4861 6.3.5). */
	route_expire(&s->routes, s->now_ns);
}

uint64_t stack_next_deadline(const struct ax_stack *s, uint64_t limit_ns)
{
	uint64_t next = limit_ns, arp = neigh_next_deadline(s);

	if (arp < next)
		next = arp;
	arp = nd_next_deadline(s);
	if (arp < next)
		next = arp;
	if (s->tcp) {
		/* The wheel ticks in whole ms: a timer at tick T runs once the
		 * clock reaches T ms. */
		uint64_t ms = timer_wheel_next(&s->tcp->wheel, (next + 999999u) / 1000000u);

		if (ms * 1000000u < next)
			next = ms * 1000000u;
	}
	return next;
}

void stack_fini(struct ax_stack *s)
{
	tcp_fini(s);
}

void stack_announce(struct ax_stack *s)
{
	unsigned int i;

	for (i = 0; i < AX_ADDRS_MAX; i++)
		if (stack_addr_usable(&s->addrs[i]) && ip_addr_is_v4(&s->addrs[i].a))
			arp_send_request(s, ip_addr_get_v4(&s->addrs[i].a));
}

int stack_ping(struct ax_stack *s, uint32_t dst, uint16_t id, uint16_t seq,
	       const void *data, size_t data_len)
{
	return icmp_send_echo(s, dst, id, seq, data, data_len);
}
