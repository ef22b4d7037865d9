/*
 * arp.c - see arp.h. The merge logic follows RFC 826 "Packet Reception"
 * as Linux applies it (net/ipv4/arp.c arp_process, net/core/neighbour.c
 * neigh_update and neigh_timer_handler); the states are RFC 4861 7.3.2's.
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

static unsigned int arp_hash(uint32_t ip)
{
	uint32_t h = ip * 2654435761u; /* Knuth's multiplicative hash */

	return (h >> 16) & (AX_ARP_BUCKETS - 1);
}

void arp_init(struct arp_table *t)
{
	int i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < AX_ARP_BUCKETS; i++)
		t->bucket[i] = -1;
	for (i = 0; i < AX_ARP_ENTRIES; i++)
		t->e[i].next = (int16_t)(i + 1 < AX_ARP_ENTRIES ? i + 1 : -1);
	t->free_head = 0;
	for (i = 0; i < AX_ARP_QUEUE_SLOTS; i++)
		t->q[i].next = (int16_t)(i + 1 < AX_ARP_QUEUE_SLOTS ? i + 1 : -1);
	t->qfree = 0;
	t->reachable_ms = AX_ARP_REACHABLE_MS;
	t->stale_ms = AX_ARP_STALE_MS;
}

int arp_set_times(struct arp_table *t, uint32_t reachable_ms, uint32_t stale_ms)
{
	if ((reachable_ms && reachable_ms < 100) || (stale_ms && stale_ms < 100))
		return -EINVAL;
	if (reachable_ms)
		t->reachable_ms = reachable_ms;
	if (stale_ms)
		t->stale_ms = stale_ms;
	return 0;
}

const char *arp_state_name(uint8_t state)
{
	static const char *const names[] = {
		[ARP_FREE] = "FREE",       [ARP_INCOMPLETE] = "INCOMPLETE",
		[ARP_REACHABLE] = "REACHABLE", [ARP_STALE] = "STALE",
		[ARP_DELAY] = "DELAY",     [ARP_PROBE] = "PROBE",
	};

	return state < sizeof(names) / sizeof(names[0]) ? names[state] : "?";
}

static struct arp_entry *find(struct arp_table *t, uint32_t ip)
{
	int16_t i;

	for (i = t->bucket[arp_hash(ip)]; i >= 0; i = t->e[i].next)
		if (t->e[i].ip == ip)
			return &t->e[i];
	return NULL;
}

const struct arp_entry *arp_lookup(const struct arp_table *t, uint32_t ip)
{
	return find((struct arp_table *)t, ip);
}

static void destroy(struct ax_stack *s, struct arp_entry *e);

static uint64_t last_touched(const struct arp_entry *e)
{
	return e->used_ns > e->updated_ns ? e->used_ns : e->updated_ns;
}

static int is_gateway(const struct ax_stack *s, uint32_t ip)
{
	struct ip_addr a = ip_addr_v4(ip);

	return route_is_gateway(&s->routes, &a);
}

/*
 * Make room in a full table: evict the idle entry touched longest ago.
 * Never a route's gateway, an entry resolving (it holds queued frames),
 * or one we sent to within the stale time: a flood of made-up senders
 * may displace each other, not the neighbours axnet talks to (Linux's
 * forced GC likewise spares referenced entries).
 */
static int evict_one(struct ax_stack *s)
{
	struct arp_table *t = &s->arp;
	struct arp_entry *victim = NULL;
	uint64_t busy = t->stale_ms * MS_NS;
	int i;

	for (i = 0; i < AX_ARP_ENTRIES; i++) {
		struct arp_entry *e = &t->e[i];

		if (e->state == ARP_FREE || e->state == ARP_INCOMPLETE)
			continue;
		if (e->used_ns && s->now_ns - e->used_ns < busy)
			continue;
		if (victim && last_touched(e) >= last_touched(victim))
			continue;
		if (is_gateway(s, e->ip))
			continue;
		victim = e;
	}
	if (!victim)
		return -ENOSPC;
	destroy(s, victim);
	stack_count(s, AX_C_arp_evicted);
	return 0;
}

static struct arp_entry *create(struct ax_stack *s, uint32_t ip)
{
	struct arp_table *t = &s->arp;
	unsigned int b = arp_hash(ip);
	struct arp_entry *e;
	int16_t i = t->free_head;

	if (i < 0) {
		/* A scan of the table, paid only when it is full. */
		if (evict_one(s) < 0) {
			stack_count(s, AX_C_arp_cache_full);
			return NULL;
		}
		i = t->free_head;
	}
	e = &t->e[i];
	t->free_head = e->next;
	memset(e, 0, sizeof(*e));
	e->ip = ip;
	e->qhead = e->qtail = -1;
	e->updated_ns = s->now_ns;
	e->next = t->bucket[b];
	t->bucket[b] = i;
	t->used++;
	return e;
}

static void drop_queue(struct ax_stack *s, struct arp_entry *e)
{
	struct arp_table *t = &s->arp;

	while (e->qhead >= 0) {
		int16_t q = e->qhead;

		e->qhead = t->q[q].next;
		t->q[q].next = t->qfree;
		t->qfree = q;
		stack_count(s, AX_C_arp_queue_dropped);
	}
	e->qtail = -1;
	e->nqueued = 0;
}

static void destroy(struct ax_stack *s, struct arp_entry *e)
{
	struct arp_table *t = &s->arp;
	int16_t idx = (int16_t)(e - t->e);
	int16_t *pp = &t->bucket[arp_hash(e->ip)];

	drop_queue(s, e);
	while (*pp >= 0 && *pp != idx)
		pp = &t->e[*pp].next;
	if (*pp == idx)
		*pp = e->next;
	e->state = ARP_FREE;
	e->next = t->free_head;
	t->free_head = idx;
	t->used--;
}

/* Send what waited for the neighbour's address, in order. */
static void flush_queue(struct ax_stack *s, struct arp_entry *e)
{
	struct arp_table *t = &s->arp;

	while (e->qhead >= 0) {
		int16_t q = e->qhead;
		struct arp_qslot *slot = &t->q[q];
		size_t cap;
		uint8_t *buf = s->netif->tx_begin(s->netif->ctx, &cap);

		if (buf && slot->len <= cap) {
			memcpy(buf, slot->frame, slot->len);
			memcpy(((struct eth_hdr *)buf)->dst, e->mac, 6);
			stack_xmit(s, slot->len);
		} else {
			stack_count(s, AX_C_tx_no_buffer);
		}
		e->qhead = slot->next;
		slot->next = t->qfree;
		t->qfree = q;
	}
	e->qtail = -1;
	e->nqueued = 0;
	e->used_ns = s->now_ns;
}

static void set_stale(struct ax_stack *s, struct arp_entry *e)
{
	e->state = ARP_STALE;
	e->deadline_ns = last_touched(e) + s->arp.stale_ms * MS_NS;
}

static void set_reachable(struct ax_stack *s, struct arp_entry *e)
{
	e->state = ARP_REACHABLE;
	e->tries = 0;
	e->confirmed_ns = s->now_ns;
	e->deadline_ns = s->now_ns + s->arp.reachable_ms * MS_NS;
}

/*
 * What the neighbour code calls neigh_update: the sender of an ARP packet
 * says it has mac. confirm: a unicast reply to us, which proves two-way
 * reachability (RFC 4861 7.3.1); anything else (a request, a broadcast
 * reply) only makes a new or changed binding STALE. override: a different
 * MAC may replace the cached one.
 */
static void update(struct ax_stack *s, struct arp_entry *e, const uint8_t *mac,
		   int confirm, int override)
{
	uint8_t old = e->state;
	int changed;

	if (old == ARP_INCOMPLETE) {
		memcpy(e->mac, mac, 6);
		e->tries = 0;
		e->updated_ns = s->now_ns;
		if (confirm)
			set_reachable(s, e);
		else
			set_stale(s, e);
		flush_queue(s, e);
		return;
	}
	changed = memcmp(e->mac, mac, 6) != 0;
	if (changed && !override) {
		stack_count(s, AX_C_arp_update_locked);
		return;
	}
	if (changed) {
		memcpy(e->mac, mac, 6);
		e->updated_ns = s->now_ns;
	}
	if (confirm) {
		set_reachable(s, e);
		if (old != ARP_REACHABLE)
			e->updated_ns = s->now_ns;
	} else if (changed) {
		/* A new address nobody confirmed yet: use it, and check it
		 * at the first use (DELAY, PROBE). */
		e->tries = 0;
		set_stale(s, e);
	}
	/* The same MAC, not a confirmation: the state stays, so a broadcast
	 * request does not demote a REACHABLE neighbour (neigh_update). */
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
static void send_probe(struct ax_stack *s, struct arp_entry *e)
{
	stack_count(s, AX_C_arp_probes_tx);
	arp_send(s, ARP_OP_REQUEST, e->mac, e->mac, e->ip);
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
	struct arp_entry *e;
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
		if (memcmp(ah.sha, s->netif->mac, 6) != 0) {
			stack_count(s, AX_C_arp_conflict);
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
		e = find(&s->arp, ah.spa);
		if (e) {
			update(s, e, ah.sha,
			       ah.op == htons(ARP_OP_REPLY) && !l2_bcast && for_us,
			       garp || (for_us && ah.op == htons(ARP_OP_REQUEST)) ||
				       s->now_ns >= e->updated_ns +
							AX_ARP_LOCKTIME_MS * MS_NS);
		} else if (for_us && ah.op == htons(ARP_OP_REQUEST)) {
			/* ...then, being the target of a request, add the
			 * sender: it is about to talk to us. Unconfirmed
			 * (STALE) until it answers a request of ours. */
			e = create(s, ah.spa);
			if (e) {
				memcpy(e->mac, ah.sha, 6);
				set_stale(s, e);
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
		      struct arp_tx *tx, size_t *cap)
{
	struct arp_table *t = &s->arp;
	struct arp_entry *e = find(t, next_hop);
	struct eth_hdr *eh;
	uint8_t *buf;
	size_t c;

	/* Limited broadcast and the subnet's broadcast need no resolution. */
	uint32_t bcast = s->addr | ~route_mask(s->prefix_len);
	int is_bcast = next_hop == 0xffffffffu ||
		       (s->prefix_len < 31 && next_hop == bcast);

	tx->entry = NULL;
	tx->slot = -1;
	if (is_bcast || (e && e->state != ARP_INCOMPLETE)) {
		buf = s->netif->tx_begin(s->netif->ctx, &c);
		if (!buf || c < ETH_HLEN_AX) {
			stack_count(s, AX_C_tx_no_buffer);
			return NULL;
		}
		eh = (struct eth_hdr *)buf;
		memcpy(eh->dst, is_bcast ? bcast_mac : e->mac, 6);
		if (e && !is_bcast) {
			e->used_ns = s->now_ns;
			/* RFC 4861 7.3.3: a STALE binding is used at once,
			 * and re-confirmed unless traffic confirms it. */
			if (e->state == ARP_STALE) {
				e->state = ARP_DELAY;
				e->deadline_ns = s->now_ns + AX_ARP_DELAY_MS * MS_NS;
			}
		}
	} else {
		int16_t q;

		if (!e) {
			e = create(s, next_hop);
			if (!e)
				return NULL;
			e->state = ARP_INCOMPLETE;
			e->tries = 1;
			e->deadline_ns = s->now_ns + AX_ARP_RETRY_MS * MS_NS;
			arp_send_request(s, next_hop);
		}
		e->used_ns = s->now_ns;
		q = t->qfree;
		if (q < 0 || e->nqueued >= AX_ARP_QUEUE_PER_ENTRY) {
			stack_count(s, AX_C_arp_queue_dropped);
			return NULL;
		}
		t->qfree = t->q[q].next;
		tx->entry = e;
		tx->slot = q;
		buf = t->q[q].frame;
		c = sizeof(t->q[q].frame);
		eh = (struct eth_hdr *)buf;
		memset(eh->dst, 0, 6); /* filled in when resolved */
	}
	memcpy(eh->src, s->netif->mac, 6);
	eh->type = htons(type);
	tx->frame = buf;
	*cap = c - ETH_HLEN_AX;
	return buf + ETH_HLEN_AX;
}

int arp_tx_commit(struct ax_stack *s, struct arp_tx *tx, size_t l3_len)
{
	struct arp_table *t = &s->arp;
	struct arp_entry *e = tx->entry;
	struct arp_qslot *slot;

	if (!e)
		return stack_xmit(s, ETH_HLEN_AX + l3_len);
	slot = &t->q[tx->slot];
	slot->len = (uint16_t)(ETH_HLEN_AX + l3_len);
	slot->next = -1;
	if (e->qtail >= 0)
		t->q[e->qtail].next = tx->slot;
	else
		e->qhead = tx->slot;
	e->qtail = tx->slot;
	e->nqueued++;
	stack_count(s, AX_C_arp_queued);
	return 0;
}

void arp_tx_abort(struct ax_stack *s, struct arp_tx *tx)
{
	struct arp_table *t = &s->arp;

	if (tx->slot >= 0) {
		t->q[tx->slot].next = t->qfree;
		t->qfree = tx->slot;
		tx->slot = -1;
	}
}

/* One entry's deadline passed (neigh_timer_handler). */
static void expire(struct ax_stack *s, struct arp_entry *e)
{
	uint64_t now = s->now_ns, end;

	switch (e->state) {
	case ARP_REACHABLE:
		/* Still in use: confirm it before it lapses (DELAY, then a
		 * unicast PROBE) while frames keep going out. */
		if (e->used_ns && now < e->used_ns + AX_ARP_DELAY_MS * MS_NS) {
			e->state = ARP_DELAY;
			e->deadline_ns = now + AX_ARP_DELAY_MS * MS_NS;
		} else {
			set_stale(s, e);
		}
		break;
	case ARP_DELAY:
		if (e->confirmed_ns &&
		    now < e->confirmed_ns + s->arp.reachable_ms * MS_NS) {
			e->state = ARP_REACHABLE;
			e->deadline_ns = e->confirmed_ns + s->arp.reachable_ms * MS_NS;
			break;
		}
		e->state = ARP_PROBE;
		e->tries = 1;
		e->deadline_ns = now + AX_ARP_RETRY_MS * MS_NS;
		send_probe(s, e);
		break;
	case ARP_PROBE:
		if (e->tries >= AX_ARP_UCAST_PROBES) {
			/* Gone or moved without a word: forget it; the next
			 * frame asks the whole link again. */
			stack_count(s, AX_C_arp_probe_failed);
			destroy(s, e);
			break;
		}
		e->tries++;
		e->deadline_ns = now + AX_ARP_RETRY_MS * MS_NS;
		send_probe(s, e);
		break;
	case ARP_STALE:
		/* A gateway stays, however idle: all off-link traffic needs
		 * it, and a STALE binding lets the first frame leave at once
		 * (and re-confirms it) where a fresh resolution queues. */
		end = last_touched(e) + s->arp.stale_ms * MS_NS;
		if (now < end || is_gateway(s, e->ip)) {
			e->deadline_ns = now < end ? end : now + s->arp.stale_ms * MS_NS;
			break;
		}
		stack_count(s, AX_C_arp_stale_freed);
		destroy(s, e);
		break;
	case ARP_INCOMPLETE:
		if (e->tries >= AX_ARP_MAX_TRIES) {
			stack_count(s, AX_C_arp_resolve_failed);
			destroy(s, e);
			break;
		}
		e->tries++;
		e->deadline_ns = now + AX_ARP_RETRY_MS * MS_NS;
		arp_send_request(s, e->ip);
		break;
	default:
		break;
	}
}

void arp_timers(struct ax_stack *s)
{
	struct arp_table *t = &s->arp;
	int i;

	/* A scan of the whole table, but at most every 100 ms: the table is
	 * small and fixed, and no packet pays for it. */
	if (s->now_ns < t->next_scan_ns)
		return;
	t->next_scan_ns = s->now_ns + 100 * MS_NS;
	for (i = 0; i < AX_ARP_ENTRIES; i++) {
		struct arp_entry *e = &t->e[i];

		if (e->state != ARP_FREE && s->now_ns >= e->deadline_ns)
			expire(s, e);
	}
}

uint64_t arp_next_deadline(const struct ax_stack *s)
{
	const struct arp_table *t = &s->arp;
	uint64_t next = UINT64_MAX;
	int i;

	if (!t->used)
		return UINT64_MAX;
	for (i = 0; i < AX_ARP_ENTRIES; i++)
		if (t->e[i].state != ARP_FREE && t->e[i].deadline_ns < next)
			next = t->e[i].deadline_ns;
	/* arp_timers() looks no sooner than its next scan. */
	return next != UINT64_MAX && next < t->next_scan_ns ? t->next_scan_ns : next;
}
