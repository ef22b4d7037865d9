/*
 * neigh.c - see neigh.h. The state machine follows Linux's
 * net/core/neighbour.c (neigh_update, neigh_timer_handler) and RFC 4861
 * 7.3; the resolvers' packets are arp.c's and nd.c's.
 */
#include "neigh.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "arp.h"
#include "nd.h"
#include "proto.h"
#include "stack.h"

#define MS_NS 1000000ull

static const uint8_t bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static unsigned int neigh_hash(const struct ip_addr *ip)
{
	/* IPv4 keeps the hash it had (Knuth's multiplicative hash of the
	 * address), so its chains and tests are as before. */
	uint32_t h = ip_addr_is_v4(ip) ? ip_addr_get_v4(ip) * 2654435761u
				       : ip_addr_hash(ip) * 2654435761u;

	return (h >> 16) & (AX_ARP_BUCKETS - 1);
}

void neigh_count(struct ax_stack *s, const struct ip_addr *ip, unsigned int c4,
		 unsigned int c6)
{
	stack_count(s, (enum ax_counter)(ip_addr_is_v4(ip) ? c4 : c6));
}

#define COUNT(s, ip, name) neigh_count((s), (ip), AX_C_arp_##name, AX_C_nd_##name)

void neigh_init(struct neigh_table *t)
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

int neigh_set_times(struct neigh_table *t, uint32_t reachable_ms, uint32_t stale_ms)
{
	if ((reachable_ms && reachable_ms < 100) || (stale_ms && stale_ms < 100))
		return -EINVAL;
	if (reachable_ms)
		t->reachable_ms = reachable_ms;
	if (stale_ms)
		t->stale_ms = stale_ms;
	return 0;
}

const char *neigh_state_name(uint8_t state)
{
	static const char *const names[] = {
		[NEIGH_FREE] = "FREE",       [NEIGH_INCOMPLETE] = "INCOMPLETE",
		[NEIGH_REACHABLE] = "REACHABLE", [NEIGH_STALE] = "STALE",
		[NEIGH_DELAY] = "DELAY",     [NEIGH_PROBE] = "PROBE",
	};

	return state < sizeof(names) / sizeof(names[0]) ? names[state] : "?";
}

struct neigh_entry *neigh_find(struct neigh_table *t, const struct ip_addr *ip)
{
	int16_t i;

	for (i = t->bucket[neigh_hash(ip)]; i >= 0; i = t->e[i].next)
		if (ip_addr_eq(&t->e[i].ip, ip))
			return &t->e[i];
	return NULL;
}

const struct neigh_entry *neigh_lookup(const struct neigh_table *t,
				       const struct ip_addr *ip)
{
	return neigh_find((struct neigh_table *)t, ip);
}

static void destroy(struct ax_stack *s, struct neigh_entry *e);

static uint64_t last_touched(const struct neigh_entry *e)
{
	return e->used_ns > e->updated_ns ? e->used_ns : e->updated_ns;
}

/* A next hop all off-link traffic needs: a route's gateway (the default
 * router of the last router advertisement is one, ROUTE_RA). Not every
 * node that ever said it is a router: a flood of advertisements from made-up
 * link-local sources must not pin the table. */
static int is_gateway(const struct ax_stack *s, const struct neigh_entry *e)
{
	return route_is_gateway(&s->routes, &e->ip);
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
	struct neigh_table *t = &s->neigh;
	struct neigh_entry *victim = NULL;
	uint64_t busy = t->stale_ms * MS_NS;
	int i;

	for (i = 0; i < AX_ARP_ENTRIES; i++) {
		struct neigh_entry *e = &t->e[i];

		if (e->state == NEIGH_FREE || e->state == NEIGH_INCOMPLETE)
			continue;
		if (e->used_ns && s->now_ns - e->used_ns < busy)
			continue;
		if (victim && last_touched(e) >= last_touched(victim))
			continue;
		if (is_gateway(s, e))
			continue;
		victim = e;
	}
	if (!victim)
		return -ENOSPC;
	/* Counted on the victim's side (the table is shared: an IPv6
	 * newcomer may evict an IPv4 neighbour). */
	COUNT(s, &victim->ip, evicted);
	destroy(s, victim);
	return 0;
}

struct neigh_entry *neigh_create(struct ax_stack *s, const struct ip_addr *ip)
{
	struct neigh_table *t = &s->neigh;
	unsigned int b = neigh_hash(ip);
	struct neigh_entry *e;
	int16_t i = t->free_head;

	if (i < 0) {
		/* A scan of the table, paid only when it is full. */
		if (evict_one(s) < 0) {
			COUNT(s, ip, cache_full);
			return NULL;
		}
		i = t->free_head;
	}
	e = &t->e[i];
	t->free_head = e->next;
	memset(e, 0, sizeof(*e));
	e->ip = *ip;
	e->qhead = e->qtail = -1;
	e->updated_ns = s->now_ns;
	e->next = t->bucket[b];
	t->bucket[b] = i;
	t->used++;
	return e;
}

static void drop_queue(struct ax_stack *s, struct neigh_entry *e)
{
	struct neigh_table *t = &s->neigh;

	while (e->qhead >= 0) {
		int16_t q = e->qhead;

		e->qhead = t->q[q].next;
		t->q[q].next = t->qfree;
		t->qfree = q;
		COUNT(s, &e->ip, queue_dropped);
	}
	e->qtail = -1;
	e->nqueued = 0;
}

static void destroy(struct ax_stack *s, struct neigh_entry *e)
{
	struct neigh_table *t = &s->neigh;
	int16_t idx = (int16_t)(e - t->e);
	int16_t *pp = &t->bucket[neigh_hash(&e->ip)];

	drop_queue(s, e);
	while (*pp >= 0 && *pp != idx)
		pp = &t->e[*pp].next;
	if (*pp == idx)
		*pp = e->next;
	e->state = NEIGH_FREE;
	e->next = t->free_head;
	t->free_head = idx;
	t->used--;
}

/* Send what waited for the neighbour's address, in order. */
static void flush_queue(struct ax_stack *s, struct neigh_entry *e)
{
	struct neigh_table *t = &s->neigh;

	while (e->qhead >= 0) {
		int16_t q = e->qhead;
		struct neigh_qslot *slot = &t->q[q];
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

void neigh_set_stale(struct ax_stack *s, struct neigh_entry *e)
{
	e->state = NEIGH_STALE;
	e->deadline_ns = last_touched(e) + s->neigh.stale_ms * MS_NS;
}

static void set_reachable(struct ax_stack *s, struct neigh_entry *e)
{
	e->state = NEIGH_REACHABLE;
	e->tries = 0;
	e->confirmed_ns = s->now_ns;
	e->deadline_ns = s->now_ns + s->neigh.reachable_ms * MS_NS;
}

int neigh_update(struct ax_stack *s, struct neigh_entry *e, const uint8_t *mac,
		 int confirm, int override)
{
	uint8_t old = e->state;
	int changed;

	if (old == NEIGH_INCOMPLETE) {
		memcpy(e->mac, mac, 6);
		e->tries = 0;
		e->updated_ns = s->now_ns;
		if (confirm)
			set_reachable(s, e);
		else
			neigh_set_stale(s, e);
		flush_queue(s, e);
		return 1;
	}
	changed = memcmp(e->mac, mac, 6) != 0;
	if (changed && !override) {
		COUNT(s, &e->ip, update_locked);
		return -1;
	}
	if (changed) {
		memcpy(e->mac, mac, 6);
		e->updated_ns = s->now_ns;
	}
	if (confirm) {
		set_reachable(s, e);
		if (old != NEIGH_REACHABLE)
			e->updated_ns = s->now_ns;
	} else if (changed) {
		/* A new address nobody confirmed yet: use it, and check it
		 * at the first use (DELAY, PROBE). */
		e->tries = 0;
		neigh_set_stale(s, e);
	}
	/* The same MAC, not a confirmation: the state stays, so a broadcast
	 * request does not demote a REACHABLE neighbour (neigh_update). */
	return changed;
}

/* Ask the link (unicast NULL) or the cached MAC (RFC 4861 7.3.3 PROBE)
 * for the neighbour's address, with the family's resolver. */
static void solicit(struct ax_stack *s, struct neigh_entry *e, int unicast)
{
	if (ip_addr_is_v4(&e->ip)) {
		if (unicast)
			arp_send_probe(s, e->mac, ip_addr_get_v4(&e->ip));
		else
			arp_send_request(s, ip_addr_get_v4(&e->ip));
	} else {
		if (unicast)
			stack_count(s, AX_C_nd_probes_tx);
		nd_send_ns(s, &e->ip, unicast ? e->mac : NULL);
	}
}

/* An IPv4 next hop sent to the Ethernet broadcast address: the limited
 * broadcast and our subnet's. */
static int is_v4_bcast(const struct ax_stack *s, const struct ip_addr *nh)
{
	uint32_t ip;

	if (!ip_addr_is_v4(nh))
		return 0;
	ip = ip_addr_get_v4(nh);
	return ip == 0xffffffffu || stack_addr_is_bcast4(s, ip);
}

uint8_t *neigh_tx_begin(struct ax_stack *s, const struct ip_addr *next_hop,
			uint16_t type, struct neigh_tx *tx, size_t *cap)
{
	struct neigh_table *t = &s->neigh;
	struct neigh_entry *e = NULL;
	struct eth_hdr *eh;
	uint8_t *buf, mmac[6];
	const uint8_t *fixed = NULL; /* a destination MAC without resolution */
	size_t c;

	if (is_v4_bcast(s, next_hop)) {
		fixed = bcast_mac;
	} else if (ip_addr_is_multicast6(next_hop)) {
		neigh_mcast_mac(next_hop, mmac);
		fixed = mmac;
	} else {
		e = neigh_find(t, next_hop);
	}
	tx->entry = NULL;
	tx->slot = -1;
	if (fixed || (e && e->state != NEIGH_INCOMPLETE)) {
		buf = s->netif->tx_begin(s->netif->ctx, &c);
		if (!buf || c < ETH_HLEN_AX) {
			stack_count(s, AX_C_tx_no_buffer);
			return NULL;
		}
		eh = (struct eth_hdr *)buf;
		memcpy(eh->dst, fixed ? fixed : e->mac, 6);
		if (e) {
			e->used_ns = s->now_ns;
			/* RFC 4861 7.3.3: a STALE binding is used at once,
			 * and re-confirmed unless traffic confirms it. */
			if (e->state == NEIGH_STALE) {
				e->state = NEIGH_DELAY;
				e->deadline_ns = s->now_ns + AX_ARP_DELAY_MS * MS_NS;
			}
		}
	} else {
		int16_t q;

		if (!e) {
			e = neigh_create(s, next_hop);
			if (!e)
				return NULL;
			e->state = NEIGH_INCOMPLETE;
			e->tries = 1;
			e->deadline_ns = s->now_ns + AX_ARP_RETRY_MS * MS_NS;
			solicit(s, e, 0);
		}
		e->used_ns = s->now_ns;
		q = t->qfree;
		if (q < 0 || e->nqueued >= AX_ARP_QUEUE_PER_ENTRY) {
			COUNT(s, next_hop, queue_dropped);
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

int neigh_tx_commit(struct ax_stack *s, struct neigh_tx *tx, size_t l3_len)
{
	struct neigh_table *t = &s->neigh;
	struct neigh_entry *e = tx->entry;
	struct neigh_qslot *slot;

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
	COUNT(s, &e->ip, queued);
	return 0;
}

void neigh_tx_abort(struct ax_stack *s, struct neigh_tx *tx)
{
	struct neigh_table *t = &s->neigh;

	if (tx->slot >= 0) {
		t->q[tx->slot].next = t->qfree;
		t->qfree = tx->slot;
		tx->slot = -1;
	}
}

/* One entry's deadline passed (neigh_timer_handler). */
static void expire(struct ax_stack *s, struct neigh_entry *e)
{
	uint64_t now = s->now_ns, end;

	switch (e->state) {
	case NEIGH_REACHABLE:
		/* Still in use: confirm it before it lapses (DELAY, then a
		 * unicast PROBE) while frames keep going out. */
		if (e->used_ns && now < e->used_ns + AX_ARP_DELAY_MS * MS_NS) {
			e->state = NEIGH_DELAY;
			e->deadline_ns = now + AX_ARP_DELAY_MS * MS_NS;
		} else {
			neigh_set_stale(s, e);
		}
		break;
	case NEIGH_DELAY:
		if (e->confirmed_ns &&
		    now < e->confirmed_ns + s->neigh.reachable_ms * MS_NS) {
			e->state = NEIGH_REACHABLE;
			e->deadline_ns = e->confirmed_ns + s->neigh.reachable_ms * MS_NS;
			break;
		}
		e->state = NEIGH_PROBE;
		e->tries = 1;
		e->deadline_ns = now + AX_ARP_RETRY_MS * MS_NS;
		solicit(s, e, 1);
		break;
	case NEIGH_PROBE:
		if (e->tries >= AX_ARP_UCAST_PROBES) {
			/* Gone or moved without a word: forget it; the next
			 * frame asks the whole link again. */
			COUNT(s, &e->ip, probe_failed);
			destroy(s, e);
			break;
		}
		e->tries++;
		e->deadline_ns = now + AX_ARP_RETRY_MS * MS_NS;
		solicit(s, e, 1);
		break;
	case NEIGH_STALE:
		/* A gateway stays, however idle: all off-link traffic needs
		 * it, and a STALE binding lets the first frame leave at once
		 * (and re-confirms it) where a fresh resolution queues. */
		end = last_touched(e) + s->neigh.stale_ms * MS_NS;
		if (now < end || is_gateway(s, e)) {
			e->deadline_ns = now < end ? end : now + s->neigh.stale_ms * MS_NS;
			break;
		}
		COUNT(s, &e->ip, stale_freed);
		destroy(s, e);
		break;
	case NEIGH_INCOMPLETE:
		if (e->tries >= AX_ARP_MAX_TRIES) {
			COUNT(s, &e->ip, resolve_failed);
			destroy(s, e);
			break;
		}
		e->tries++;
		e->deadline_ns = now + AX_ARP_RETRY_MS * MS_NS;
		solicit(s, e, 0);
		break;
	default:
		break;
	}
}

void neigh_timers(struct ax_stack *s)
{
	struct neigh_table *t = &s->neigh;
	int i;

	/* A scan of the whole table, but at most every 100 ms: the table is
	 * small and fixed, and no packet pays for it. */
	if (s->now_ns < t->next_scan_ns)
		return;
	t->next_scan_ns = s->now_ns + 100 * MS_NS;
	for (i = 0; i < AX_ARP_ENTRIES; i++) {
		struct neigh_entry *e = &t->e[i];

		if (e->state != NEIGH_FREE && s->now_ns >= e->deadline_ns)
			expire(s, e);
	}
}

uint64_t neigh_next_deadline(const struct ax_stack *s)
{
	const struct neigh_table *t = &s->neigh;
	uint64_t next = UINT64_MAX;
	int i;

	if (!t->used)
		return UINT64_MAX;
	for (i = 0; i < AX_ARP_ENTRIES; i++)
		if (t->e[i].state != NEIGH_FREE && t->e[i].deadline_ns < next)
			next = t->e[i].deadline_ns;
	/* neigh_timers() looks no sooner than its next scan. */
	return next != UINT64_MAX && next < t->next_scan_ns ? t->next_scan_ns : next;
}
