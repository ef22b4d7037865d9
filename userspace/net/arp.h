/*
 * arp.h - ARP (RFC 826) for Ethernet/IPv4: the IPv4 resolver of the
 * neighbour cache (neigh.h, which holds the states, timers, queue and
 * eviction rules for both families).
 *
 * Learning (RFC 826 "Packet Reception", as Linux's arp_process): an ARP
 * packet from a known sender updates its entry (a different MAC only after
 * AX_ARP_LOCKTIME_MS since the last update, or in a gratuitous ARP or a
 * request for our address); a new entry is made only for an on-link
 * sender whose request is for our address, or by our own resolution.
 * Unsolicited replies and gratuitous ARPs from unknown senders, senders off
 * our subnet and packets whose sender MAC is not the Ethernet source teach
 * nothing (each counted).
 *
 * arp_tx_begin/commit/abort, arp_lookup and the ARP_* state names are the
 * neighbour cache's calls for an IPv4 next hop, kept for IPv4 callers.
 */
#ifndef AX_ARP_H
#define AX_ARP_H

#include <stddef.h>
#include <stdint.h>

#include "neigh.h"

struct ax_stack;

enum arp_state {
	ARP_FREE = NEIGH_FREE,
	ARP_INCOMPLETE = NEIGH_INCOMPLETE,
	ARP_REACHABLE = NEIGH_REACHABLE,
	ARP_STALE = NEIGH_STALE,
	ARP_DELAY = NEIGH_DELAY,
	ARP_PROBE = NEIGH_PROBE,
};

/* neigh_set_times(). */
int arp_set_times(struct neigh_table *t, uint32_t reachable_ms, uint32_t stale_ms);

/* The entry of IPv4 neighbour ip (network order); NULL when absent. */
const struct neigh_entry *arp_lookup(const struct neigh_table *t, uint32_t ip);

/* neigh_state_name(). */
const char *arp_state_name(uint8_t state);

/*
 * Input: p/len is the ARP packet after the Ethernet header, eth_src the
 * frame's source MAC, l2_bcast whether it was sent to the broadcast MAC.
 */
void arp_input(struct ax_stack *s, const uint8_t *eth_src, int l2_bcast,
	       const uint8_t *p, size_t len);

/* neigh_tx_begin() etc. for an IPv4 next hop (network order). */
uint8_t *arp_tx_begin(struct ax_stack *s, uint32_t next_hop, uint16_t type,
		      struct neigh_tx *tx, size_t *cap);
int arp_tx_commit(struct ax_stack *s, struct neigh_tx *tx, size_t l3_len);
void arp_tx_abort(struct ax_stack *s, struct neigh_tx *tx);

/* Send a request for tpa; with tpa == our address it is gratuitous. */
int arp_send_request(struct ax_stack *s, uint32_t tpa);
/* A request for tpa to mac only (RFC 4861 7.3.3 PROBE; counted
 * arp_probes_tx). */
int arp_send_probe(struct ax_stack *s, const uint8_t *mac, uint32_t tpa);

#endif /* AX_ARP_H */
