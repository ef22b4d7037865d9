/*
 * arp.h - ARP (RFC 826) for Ethernet/IPv4: input, the neighbour cache with
 * its reachability states, and the queue of frames waiting for an address
 * to resolve.
 *
 * The cache follows what Linux's neighbour code applies to ARP (the states
 * of RFC 4861 7.3.2):
 *   INCOMPLETE  resolving: broadcast requests, frames queued;
 *   REACHABLE   confirmed by a reply to one of our requests within the
 *               reachable time: frames go out;
 *   STALE       known but unconfirmed (learned from a request, or the
 *               reachable time ran out): frames still go out, and the
 *               first one starts re-confirmation (DELAY);
 *   DELAY       used while STALE: frames go out; after AX_ARP_DELAY_MS
 *               without confirmation, PROBE;
 *   PROBE       unicast requests to the cached MAC, frames still go out;
 *               no answer after AX_ARP_UCAST_PROBES: the entry goes, and
 *               the next frame resolves again by broadcast.
 * A neighbour in use is therefore re-confirmed with a unicast request
 * before it could lapse, and never stalls behind the queue. An entry
 * neither used nor updated for the stale time is freed.
 *
 * Learning (RFC 826 "Packet Reception", as Linux's arp_process): an ARP
 * packet from a known sender updates its entry (a different MAC only after
 * AX_ARP_LOCKTIME_MS since the last update, or in a gratuitous ARP or a
 * request for our address); a new
 * entry is made only for an on-link sender whose request is for our
 * address, or by our own resolution. Unsolicited replies and gratuitous
 * ARPs from unknown senders, senders off our subnet and packets whose
 * sender MAC is not the Ethernet source teach nothing (each counted).
 * When the table is full, a newcomer may evict only an entry that is
 * idle: never a route's gateway, an entry resolving, or one used within
 * the stale time.
 *
 * The cache is a fixed array of AX_ARP_ENTRIES entries chained into
 * AX_ARP_BUCKETS hash buckets; the queue is a pool of AX_ARP_QUEUE_SLOTS
 * frame buffers shared by all unresolved entries. Nothing allocates.
 *
 * Sending goes through arp_tx_begin()/arp_tx_commit(): the caller gets a
 * buffer for its L3 packet, already behind an Ethernet header. When the
 * next hop is known that buffer is the device's own TX buffer; when not, it
 * is a queue slot, and the frame leaves when the reply arrives (or is
 * dropped and counted after AX_ARP_MAX_TRIES unanswered requests).
 */
#ifndef AX_ARP_H
#define AX_ARP_H

#include <stddef.h>
#include <stdint.h>

#include "netif.h"
#include "opt.h"

struct ax_stack;

enum arp_state {
	ARP_FREE = 0,
	ARP_INCOMPLETE,
	ARP_REACHABLE,
	ARP_STALE,
	ARP_DELAY,
	ARP_PROBE,
};

struct arp_entry {
	uint32_t ip;          /* network order */
	uint8_t mac[6];
	uint8_t state;        /* enum arp_state */
	uint8_t tries;        /* requests sent in INCOMPLETE or PROBE */
	uint8_t nqueued;
	int16_t next;         /* hash chain, or free list; -1 ends */
	int16_t qhead, qtail; /* queued frames, -1 if none */
	uint64_t deadline_ns; /* INCOMPLETE, PROBE: next request; REACHABLE:
			       * end of the reachable time; DELAY: first
			       * probe; STALE: when it is freed unused */
	uint64_t confirmed_ns; /* last reply to our request (0: never) */
	uint64_t updated_ns;   /* last change of MAC or state by input */
	uint64_t used_ns;      /* last frame sent through it (0: never) */
};

struct arp_qslot {
	int16_t next;
	uint16_t len;
	uint8_t frame[AX_FRAME_MAX];
};

struct arp_table {
	int16_t bucket[AX_ARP_BUCKETS];
	struct arp_entry e[AX_ARP_ENTRIES];
	int16_t free_head;
	unsigned int used;
	struct arp_qslot q[AX_ARP_QUEUE_SLOTS];
	int16_t qfree;
	uint64_t next_scan_ns;
	/* Run-time tunables (arp_set_times); defaults from opt.h. */
	uint32_t reachable_ms;
	uint32_t stale_ms;
};

/* A frame being built by arp_tx_begin(). Opaque to callers. */
struct arp_tx {
	uint8_t *frame;
	struct arp_entry *entry; /* set when the frame is queued */
	int16_t slot;
};

void arp_init(struct arp_table *t);

/* Reachable time (Linux base_reachable_time_ms) and the time an unused
 * entry stays (gc_stale_time); 0 keeps the current value. -EINVAL when a
 * value is under 100 ms (the timer scan's period). */
int arp_set_times(struct arp_table *t, uint32_t reachable_ms, uint32_t stale_ms);

/* Cache lookup (for tests and `stats`); NULL when absent. */
const struct arp_entry *arp_lookup(const struct arp_table *t, uint32_t ip);

/* "INCOMPLETE", "REACHABLE", ... as `ip neigh` names them. */
const char *arp_state_name(uint8_t state);

/*
 * Input: p/len is the ARP packet after the Ethernet header, eth_src the
 * frame's source MAC, l2_bcast whether it was sent to the broadcast MAC.
 */
void arp_input(struct ax_stack *s, const uint8_t *eth_src, int l2_bcast,
	       const uint8_t *p, size_t len);

/*
 * Start a frame of EtherType type to next_hop. Returns where the L3 packet
 * goes (behind the Ethernet header) and stores its capacity in *cap, or
 * NULL when no buffer is free (counted).
 */
uint8_t *arp_tx_begin(struct ax_stack *s, uint32_t next_hop, uint16_t type,
		      struct arp_tx *tx, size_t *cap);
/* Finish it: l3_len bytes were written. 0 or -errno. */
int arp_tx_commit(struct ax_stack *s, struct arp_tx *tx, size_t l3_len);

/* Give the buffer back unsent (a device buffer is simply not committed). */
void arp_tx_abort(struct ax_stack *s, struct arp_tx *tx);

/* Retries, probes, state changes and expiry. Cheap to call often. */
void arp_timers(struct ax_stack *s);

/* When arp_timers() next has something to do (ns, the stack's clock), or
 * UINT64_MAX when the cache is empty. Scans the table. */
uint64_t arp_next_deadline(const struct ax_stack *s);

/* Send a request for tpa; with tpa == our address it is gratuitous. */
int arp_send_request(struct ax_stack *s, uint32_t tpa);

#endif /* AX_ARP_H */
