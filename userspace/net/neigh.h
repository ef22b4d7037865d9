/*
 * neigh.h - the neighbour cache for both families: IPv4 neighbours
 * resolved by ARP (arp.c, RFC 826) and IPv6 ones by neighbor discovery
 * (nd.c, RFC 4861), in one table keyed by struct ip_addr, with one set of
 * states, timers, queue and eviction rules. `axnet neigh` lists it.
 *
 * The states are RFC 4861 7.3.2's, as Linux's neighbour code applies them
 * to both families:
 *   INCOMPLETE  resolving: broadcast requests (ARP) or solicitations to the
 *               solicited-node group (ND), frames queued;
 *   REACHABLE   confirmed by an answer to one of our requests within the
 *               reachable time: frames go out;
 *   STALE       known but unconfirmed (learned from a request, or the
 *               reachable time ran out): frames still go out, and the
 *               first one starts re-confirmation (DELAY);
 *   DELAY       used while STALE: frames go out; after AX_ARP_DELAY_MS
 *               without confirmation, PROBE;
 *   PROBE       unicast requests to the cached MAC, frames still go out;
 *               no answer after AX_ARP_UCAST_PROBES: the entry goes, and
 *               the next frame resolves again.
 * A neighbour in use is therefore re-confirmed with a unicast request
 * before it could lapse, and never stalls behind the queue. An entry
 * neither used nor updated for the stale time is freed. The times are the
 * AX_ARP_* tunables for both families (RFC 4861 10's ReachableTime,
 * RetransTimer, DELAY_FIRST_PROBE_TIME and MAX_*_SOLICIT have the same
 * values as Linux's ARP defaults).
 *
 * When the table is full, a newcomer may evict only an entry that is idle:
 * never a route's gateway (IPv6: the default router of an RA), an entry
 * resolving, or one used within the stale time.
 *
 * The cache is a fixed array of AX_ARP_ENTRIES entries chained into
 * AX_ARP_BUCKETS hash buckets; the queue is a pool of AX_ARP_QUEUE_SLOTS
 * frame buffers shared by all unresolved entries. Nothing allocates.
 *
 * Sending goes through neigh_tx_begin()/neigh_tx_commit(): the caller gets
 * a buffer for its L3 packet, already behind an Ethernet header. When the
 * next hop is known that buffer is the device's own TX buffer; when not, it
 * is a queue slot, and the frame leaves when the answer arrives (or is
 * dropped and counted after AX_ARP_MAX_TRIES unanswered requests).
 *
 * Counters: an event on an IPv4 entry counts its arp_* counter, on an IPv6
 * one its nd_* counter (counters.h).
 */
#ifndef AX_NEIGH_H
#define AX_NEIGH_H

#include <stddef.h>
#include <stdint.h>

#include "ipaddr.h"
#include "netif.h"
#include "opt.h"

struct ax_stack;

enum neigh_state {
	NEIGH_FREE = 0,
	NEIGH_INCOMPLETE,
	NEIGH_REACHABLE,
	NEIGH_STALE,
	NEIGH_DELAY,
	NEIGH_PROBE,
};

struct neigh_entry {
	struct ip_addr ip;
	uint8_t mac[6];
	uint8_t state;        /* enum neigh_state */
	uint8_t tries;        /* requests sent in INCOMPLETE or PROBE */
	uint8_t nqueued;
	uint8_t router;       /* IPv6: the neighbour said it is a router (NA R flag, RA) */
	int16_t next;         /* hash chain, or free list; -1 ends */
	int16_t qhead, qtail; /* queued frames, -1 if none */
	uint64_t deadline_ns; /* INCOMPLETE, PROBE: next request; REACHABLE:
			       * end of the reachable time; DELAY: first
			       * probe; STALE: when it is freed unused */
	uint64_t confirmed_ns; /* last answer to our request (0: never) */
	uint64_t updated_ns;   /* last change of MAC or state by input */
	uint64_t used_ns;      /* last frame sent through it (0: never) */
};

struct neigh_qslot {
	int16_t next;
	uint16_t len;
	uint8_t frame[AX_FRAME_MAX];
};

struct neigh_table {
	int16_t bucket[AX_ARP_BUCKETS];
	struct neigh_entry e[AX_ARP_ENTRIES];
	int16_t free_head;
	unsigned int used;
	struct neigh_qslot q[AX_ARP_QUEUE_SLOTS];
	int16_t qfree;
	uint64_t next_scan_ns;
	/* Run-time tunables (neigh_set_times); defaults from opt.h. */
	uint32_t reachable_ms;
	uint32_t stale_ms;
	/* arp.c: when an address conflict was last logged (0: never). */
	uint64_t conflict_logged_ns;
};

/* A frame being built by neigh_tx_begin(). Opaque to callers. */
struct neigh_tx {
	uint8_t *frame;
	struct neigh_entry *entry; /* set when the frame is queued */
	int16_t slot;
};

void neigh_init(struct neigh_table *t);

/* Reachable time (Linux base_reachable_time_ms) and the time an unused
 * entry stays (gc_stale_time); 0 keeps the current value. -EINVAL when a
 * value is under 100 ms (the timer scan's period). */
int neigh_set_times(struct neigh_table *t, uint32_t reachable_ms, uint32_t stale_ms);

/* Cache lookup; NULL when absent. */
const struct neigh_entry *neigh_lookup(const struct neigh_table *t,
				       const struct ip_addr *ip);

/* "INCOMPLETE", "REACHABLE", ... as `ip neigh` names them. */
const char *neigh_state_name(uint8_t state);

/*
 * Start a frame of EtherType type to next_hop. Returns where the L3 packet
 * goes (behind the Ethernet header) and stores its capacity in *cap, or
 * NULL when no buffer is free (counted). IPv4 broadcast and IPv6
 * multicast next hops need no resolution (RFC 2464 7's 33:33 mapping).
 */
uint8_t *neigh_tx_begin(struct ax_stack *s, const struct ip_addr *next_hop,
			uint16_t type, struct neigh_tx *tx, size_t *cap);
/* Finish it: l3_len bytes were written. 0 or -errno. */
int neigh_tx_commit(struct ax_stack *s, struct neigh_tx *tx, size_t l3_len);
/* Give the buffer back unsent (a device buffer is simply not committed). */
void neigh_tx_abort(struct ax_stack *s, struct neigh_tx *tx);

/* Retries, probes, state changes and expiry. Cheap to call often. */
void neigh_timers(struct ax_stack *s);

/* When neigh_timers() next has something to do (ns, the stack's clock), or
 * UINT64_MAX when the cache is empty. Scans the table. */
uint64_t neigh_next_deadline(const struct ax_stack *s);

/* --- for the resolvers (arp.c, nd.c) only ---------------------------------- */

struct neigh_entry *neigh_find(struct neigh_table *t, const struct ip_addr *ip);
/* A new entry (STATE to be set by the caller), evicting an idle one when
 * the table is full; NULL (counted) when none can go. */
struct neigh_entry *neigh_create(struct ax_stack *s, const struct ip_addr *ip);
void neigh_set_stale(struct ax_stack *s, struct neigh_entry *e);
/*
 * What the neighbour code calls neigh_update: the neighbour says it has
 * mac. confirm: an answer to our request sent to us, which proves two-way
 * reachability (RFC 4861 7.3.1); anything else only makes a new or changed
 * binding STALE. override: a different MAC may replace the cached one.
 * Returns 1 when the MAC changed, 0 when not, -1 when a change was refused.
 */
int neigh_update(struct ax_stack *s, struct neigh_entry *e, const uint8_t *mac,
		 int confirm, int override);
/* Count c4 for an IPv4 neighbour, c6 for an IPv6 one. */
void neigh_count(struct ax_stack *s, const struct ip_addr *ip, unsigned int c4,
		 unsigned int c6);

/* The Ethernet address of an IPv6 multicast group (RFC 2464 7). */
static inline void neigh_mcast_mac(const struct ip_addr *group, uint8_t mac[6])
{
	mac[0] = 0x33;
	mac[1] = 0x33;
	mac[2] = group->b[12];
	mac[3] = group->b[13];
	mac[4] = group->b[14];
	mac[5] = group->b[15];
}

#endif /* AX_NEIGH_H */
