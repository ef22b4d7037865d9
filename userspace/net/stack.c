/*
 * stack.c - see stack.h: set-up, Ethernet demux and the glue of the layers.
 */
#include "stack.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "icmp.h"
#include "ipv4.h"
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

int stack_init(struct ax_stack *s, struct ax_netif *netif, uint32_t addr,
	       uint8_t prefix_len, uint32_t gw)
{
	uint32_t mask;
	int err;

	/* Every frame the engine builds must fit a queue slot. */
	if (prefix_len > 32 || addr == 0 || netif->mtu < 68 ||
	    (size_t)netif->mtu + 14 > AX_FRAME_MAX)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	s->netif = netif;
	s->addr = addr;
	s->prefix_len = prefix_len;
	s->ip_id = 1;
	route_init(&s->routes);
	arp_init(&s->arp);
	frag_init(&s->frag);
	mask = route_mask(prefix_len);
	err = route_add(&s->routes, addr & mask, prefix_len, 0);
	if (err)
		return err;
	err = tcp_init(s);
	if (err)
		return err;
	if (gw) {
		/* The gateway must be reachable on the link. */
		if ((gw & mask) != (addr & mask) || gw == addr)
			return -EINVAL;
		err = route_add(&s->routes, 0, 0, gw);
	}
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
	int l2_bcast;

	stack_count(s, AX_C_eth_rx);
	if (len < sizeof(eh)) {
		stack_count(s, AX_C_eth_malformed);
		return;
	}
	memcpy(&eh, frame, sizeof(eh));
	/* Ours: our unicast address or broadcast. Multicast has no user yet
	 * (IPv6 ND will be its first). */
	l2_bcast = memcmp(eh.dst, bcast, 6) == 0;
	if (!l2_bcast && memcmp(eh.dst, s->netif->mac, 6) != 0) {
		stack_count(s, AX_C_eth_not_ours);
		return;
	}
	switch (ntohs(eh.type)) {
	case ETHTYPE_ARP:
		arp_input(s, eh.src, l2_bcast, frame + sizeof(eh), len - sizeof(eh));
		break;
	case ETHTYPE_IPV4:
		ipv4_input(s, frame + sizeof(eh), len - sizeof(eh), l2_bcast);
		break;
	case ETHTYPE_VLAN:
	case ETHTYPE_QINQ:
		stack_count(s, AX_C_eth_vlan_dropped);
		break;
	default:
		stack_count(s, AX_C_eth_unknown_type);
		break;
	}
}

void stack_timers(struct ax_stack *s)
{
	arp_timers(s);
	tcp_timers(s);
	frag_timers(s);
}

uint64_t stack_next_deadline(const struct ax_stack *s, uint64_t limit_ns)
{
	uint64_t next = limit_ns, arp = arp_next_deadline(s);

	if (arp < next)
		next = arp;
	if (frag_next_deadline(s) < next)
		next = frag_next_deadline(s);
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
	arp_send_request(s, s->addr);
}

int stack_ping(struct ax_stack *s, uint32_t dst, uint16_t id, uint16_t seq,
	       const void *data, size_t data_len)
{
	return icmp_send_echo(s, dst, id, seq, data, data_len);
}
