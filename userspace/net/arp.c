/*
 * arp.c - see arp.h. The merge logic follows RFC 826 "Packet Reception".
 */
#include "arp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "log.h"
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

/*
 * Make room in a full table: evict the resolved entry closest to expiry,
 * so that a flood of made-up senders cannot lock new neighbours (the
 * gateway among them) out for a whole reachable time. Entries still
 * resolving are kept: they hold queued frames.
 */
static int evict_one(struct ax_stack *s)
{
	struct arp_table *t = &s->arp;
	struct arp_entry *victim = NULL;
	int i;

	for (i = 0; i < AX_ARP_ENTRIES; i++) {
		struct arp_entry *e = &t->e[i];

		if (e->state == ARP_REACHABLE &&
		    (!victim || e->deadline_ns < victim->deadline_ns))
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

/* The neighbour answered: learn it and send what waited for it. */
static void resolved(struct ax_stack *s, struct arp_entry *e,
		     const uint8_t *mac)
{
	struct arp_table *t = &s->arp;

	memcpy(e->mac, mac, 6);
	e->state = ARP_REACHABLE;
	e->tries = 0;
	e->deadline_ns = s->now_ns + AX_ARP_REACHABLE_MS * MS_NS;
	while (e->qhead >= 0) {
		int16_t q = e->qhead;
		struct arp_qslot *slot = &t->q[q];
		size_t cap;
		uint8_t *buf = s->netif->tx_begin(s->netif->ctx, &cap);

		if (buf && slot->len <= cap) {
			memcpy(buf, slot->frame, slot->len);
			memcpy(((struct eth_hdr *)buf)->dst, mac, 6);
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
}

static int arp_send(struct ax_stack *s, uint16_t op, const uint8_t *eth_dst,
		    const uint8_t *tha, uint32_t tpa)
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
	ah->spa = s->addr;
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

void arp_input(struct ax_stack *s, const uint8_t *p, size_t len)
{
	struct arp_hdr ah;
	struct arp_entry *e;
	int merged = 0;

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
	if (ah.spa == s->addr) {
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

	/* RFC 826: update an existing entry for the sender first... */
	if (ah.spa != 0 && (e = find(&s->arp, ah.spa)) != NULL) {
		resolved(s, e, ah.sha);
		merged = 1;
	}
	if (ah.tpa != s->addr)
		return;
	/* ...then, being the target, add it if it was not there. An ARP
	 * probe (spa 0, RFC 5227) teaches nothing. */
	if (!merged && ah.spa != 0) {
		e = create(s, ah.spa);
		if (e)
			resolved(s, e, ah.sha);
	}
	if (ah.op == htons(ARP_OP_REQUEST)) {
		stack_count(s, AX_C_arp_requests_rx);
		arp_send(s, ARP_OP_REPLY, ah.sha, ah.sha, ah.spa);
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
	if (is_bcast || (e && e->state == ARP_REACHABLE)) {
		buf = s->netif->tx_begin(s->netif->ctx, &c);
		if (!buf || c < ETH_HLEN_AX) {
			stack_count(s, AX_C_tx_no_buffer);
			return NULL;
		}
		eh = (struct eth_hdr *)buf;
		memcpy(eh->dst, is_bcast ? bcast_mac : e->mac, 6);
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

		if (e->state == ARP_FREE || s->now_ns < e->deadline_ns)
			continue;
		if (e->state == ARP_REACHABLE) {
			destroy(s, e);
		} else if (e->tries >= AX_ARP_MAX_TRIES) {
			stack_count(s, AX_C_arp_resolve_failed);
			destroy(s, e);
		} else {
			e->tries++;
			e->deadline_ns = s->now_ns + AX_ARP_RETRY_MS * MS_NS;
			arp_send_request(s, e->ip);
		}
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
