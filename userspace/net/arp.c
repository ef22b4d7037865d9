/*
 * arp.c - see arp.h. The merge logic follows RFC 826 "Packet Reception"
 * as Linux applies it (net/ipv4/arp.c arp_process); the cache it feeds is
 * neigh.c's.
 */
#include "arp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "util/log.h"
#include "proto.h"
#include "stack.h"

#define MS_NS 1000000ull

static const uint8_t bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

int arp_set_times(struct neigh_table *t, uint32_t reachable_ms, uint32_t stale_ms)
{
	return neigh_set_times(t, reachable_ms, stale_ms);
}

const struct neigh_entry *arp_lookup(const struct neigh_table *t, uint32_t ip)
{
	struct ip_addr a = ip_addr_v4(ip);

	return neigh_lookup(t, &a);
}

const char *arp_state_name(uint8_t state)
{
	return neigh_state_name(state);
}

static int arp_send_from(struct ax_stack *s, uint16_t op, const uint8_t *eth_dst,
			 const uint8_t *tha, uint32_t tpa, uint32_t spa);

/* Our address for a packet about tpa: the one on tpa's subnet (RFC 826:
 * a request names the sender's address on that link). */
static uint32_t our_spa(const struct ax_stack *s, uint32_t tpa)
{
	struct ip_addr d = ip_addr_v4(tpa), src;

	if (tpa == s->addr || stack_src_select(s, &d, &src))
		return s->addr;
	return ip_addr_get_v4(&src);
}

static int arp_send(struct ax_stack *s, uint16_t op, const uint8_t *eth_dst,
		    const uint8_t *tha, uint32_t tpa)
{
	return arp_send_from(s, op, eth_dst, tha, tpa, our_spa(s, tpa));
}

static int arp_send_from(struct ax_stack *s, uint16_t op, const uint8_t *eth_dst,
			 const uint8_t *tha, uint32_t tpa, uint32_t spa)
{
	struct eth_hdr *eh;
	struct arp_hdr *ah;
	size_t cap;
	uint8_t *buf = s->netif->tx_begin(s->netif->ctx, &cap);

	if (!buf || cap < ETH_HLEN_AX + sizeof(*ah)) {
		stack_count(s, AX_C_tx_no_buffer);
		return -ENOBUFS;
	}
	eh = (struct eth_hdr *)buf;
	memcpy(eh->dst, eth_dst, 6);
	memcpy(eh->src, s->netif->mac, 6);
	eh->type = htons(ETHTYPE_ARP);
	ah = (struct arp_hdr *)(buf + ETH_HLEN_AX);
	ah->htype = htons(ARP_HTYPE_ETHER);
	ah->ptype = htons(ETHTYPE_IPV4);
	ah->hlen = 6;
	ah->plen = 4;
	ah->op = htons(op);
	memcpy(ah->sha, s->netif->mac, 6);
	ah->spa = spa;
	memcpy(ah->tha, tha, 6);
	ah->tpa = tpa;
	stack_count(s, op == ARP_OP_REQUEST ? AX_C_arp_requests_tx
					    : AX_C_arp_replies_tx);
	/* 42 bytes; the device pads to the 60-byte Ethernet minimum. */
	return stack_xmit(s, ETH_HLEN_AX + sizeof(*ah));
}

int arp_send_request(struct ax_stack *s, uint32_t tpa)
{
	static const uint8_t zero_mac[6];

	return arp_send(s, ARP_OP_REQUEST, bcast_mac, zero_mac, tpa);
}

/* RFC 4861 7.3.3 PROBE: a request sent to the cached MAC only, so the
 * neighbour confirms the binding we use. */
int arp_send_probe(struct ax_stack *s, const uint8_t *mac, uint32_t tpa)
{
	stack_count(s, AX_C_arp_probes_tx);
	return arp_send(s, ARP_OP_REQUEST, mac, mac, tpa);
}

static int is_ours(const struct ax_stack *s, uint32_t ip)
{
	struct ip_addr a = ip_addr_v4(ip);

	return stack_addr_local(s, &a) != NULL;
}

/* An address that can be a neighbour: on our subnet, not its network or
 * broadcast address (for prefixes that have them). */
static int on_link(const struct ax_stack *s, uint32_t ip)
{
	struct ip_addr a = ip_addr_v4(ip);

	return stack_addr_on_link(s, &a);
}

void arp_input(struct ax_stack *s, const uint8_t *eth_src, int l2_bcast,
	       const uint8_t *p, size_t len)
{
	struct arp_hdr ah;
	struct neigh_entry *e;
	struct ip_addr spa;
	int for_us, garp;

	stack_count(s, AX_C_arp_rx);
	if (len < sizeof(ah)) {
		stack_count(s, AX_C_arp_malformed);
		return;
	}
	memcpy(&ah, p, sizeof(ah));
	if (ah.htype != htons(ARP_HTYPE_ETHER) ||
	    ah.ptype != htons(ETHTYPE_IPV4) || ah.hlen != 6 || ah.plen != 4 ||
	    (ah.op != htons(ARP_OP_REQUEST) && ah.op != htons(ARP_OP_REPLY))) {
		stack_count(s, AX_C_arp_malformed);
		return;
	}
	/* A sender hardware address that is broadcast or multicast is a lie. */
	if (ah.sha[0] & 1) {
		stack_count(s, AX_C_arp_malformed);
		return;
	}
	/* On one Ethernet segment the sender's hardware address is the
	 * frame's source: a packet naming another MAC points us at a third
	 * party (the usual ARP spoof). Nothing from it is used. */
	if (memcmp(ah.sha, eth_src, 6) != 0) {
		stack_count(s, AX_C_arp_mac_mismatch);
		return;
	}
	/* Any of our usable addresses is answered for (Linux's
	 * arp_ignore=0). */
	for_us = is_ours(s, ah.tpa);
	if (is_ours(s, ah.spa)) {
		/* Someone else claims our address (RFC 5227 2.4): say so,
		 * keep it; never learn our own address. */
		struct neigh_table *t = &s->neigh;

		if (memcmp(ah.sha, s->netif->mac, 6) != 0) {
			stack_count(s, AX_C_arp_conflict);
			/* Logged once per AX_ARP_CONFLICT_LOG_MS: the peer
			 * sends as many claims as it likes. */
			if (t->conflict_logged_ns &&
			    s->now_ns - t->conflict_logged_ns < AX_ARP_CONFLICT_LOG_MS * MS_NS)
				return;
			t->conflict_logged_ns = s->now_ns ? s->now_ns : 1;
			log_warn("arp: address conflict: %02x:%02x:%02x:%02x:%02x:%02x claims our address",
				 ah.sha[0], ah.sha[1], ah.sha[2], ah.sha[3],
				 ah.sha[4], ah.sha[5]);
		}
		return;
	}
	if (ah.spa != 0) {
		/* Only neighbours on our subnet are ever next hops: a sender
		 * elsewhere is neither learned nor answered. */
		if (!on_link(s, ah.spa)) {
			stack_count(s, AX_C_arp_off_subnet);
			return;
		}
		/* RFC 826: update an existing entry for the sender first.
		 * A gratuitous ARP (RFC 5227 3: spa == tpa) is news of a
		 * move, and a request for us names the MAC to answer: both
		 * are taken at once (Linux: is_garp, neigh_event_ns); other
		 * packets only after the lock time. */
		garp = ah.spa == ah.tpa;
		spa = ip_addr_v4(ah.spa);
		e = neigh_find(&s->neigh, &spa);
		if (e) {
			neigh_update(s, e, ah.sha,
			       ah.op == htons(ARP_OP_REPLY) && !l2_bcast && for_us,
			       garp || (for_us && ah.op == htons(ARP_OP_REQUEST)) ||
				       s->now_ns >= e->updated_ns +
							AX_ARP_LOCKTIME_MS * MS_NS);
		} else if (for_us && ah.op == htons(ARP_OP_REQUEST)) {
			/* ...then, being the target of a request, add the
			 * sender: it is about to talk to us. Unconfirmed
			 * (STALE) until it answers a request of ours. */
			e = neigh_create(s, &spa);
			if (e) {
				memcpy(e->mac, ah.sha, 6);
				neigh_set_stale(s, e);
			}
		} else if (ah.op == htons(ARP_OP_REPLY) || garp) {
			/* A reply we did not ask for, or an announcement
			 * of a host we do not know (Linux arp_accept=0). */
			stack_count(s, AX_C_arp_unsolicited);
		}
	}
	/* An ARP probe (spa 0, RFC 5227 2.1.1) teaches nothing, but a probe
	 * for our address is answered. */
	if (!for_us)
		return;
	if (ah.op == htons(ARP_OP_REQUEST)) {
		stack_count(s, AX_C_arp_requests_rx);
		arp_send_from(s, ARP_OP_REPLY, ah.sha, ah.sha, ah.spa, ah.tpa);
	} else {
		stack_count(s, AX_C_arp_replies_rx);
	}
}


uint8_t *arp_tx_begin(struct ax_stack *s, uint32_t next_hop, uint16_t type,
		      struct neigh_tx *tx, size_t *cap)
{
	struct ip_addr nh = ip_addr_v4(next_hop);

	return neigh_tx_begin(s, &nh, type, tx, cap);
}

int arp_tx_commit(struct ax_stack *s, struct neigh_tx *tx, size_t l3_len)
{
	return neigh_tx_commit(s, tx, l3_len);
}

void arp_tx_abort(struct ax_stack *s, struct neigh_tx *tx)
{
	neigh_tx_abort(s, tx);
}
