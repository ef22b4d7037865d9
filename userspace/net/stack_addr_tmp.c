/*
 * stack_addr_tmp.c - TEMPORARY: the least of the stack address table
 * (stack.h) that IPv6 and ND need, until the "route" part's stack_addr.c
 * lands (connected routes, IPv4 addresses, RFC 6724 in full). Delete this
 * file when merging it.
 */
#include <errno.h>
#include <string.h>

#include "nd.h"
#include "route.h"
#include "stack.h"

int stack_addr_add(struct ax_stack *s, const struct ip_addr *a, uint8_t plen,
		   unsigned int flags)
{
	struct stack_addr *slot = NULL;
	unsigned int i;
	int v4 = ip_addr_is_v4(a);

	if (ip_addr_is_any(a) || plen > (v4 ? 32 : 128) ||
	    (!v4 && (ip_addr_is_multicast6(a) ||
		     (!memcmp(a->b, ip_addr_any6.b, 15) && a->b[15] == 1))))
		return -EINVAL;
	for (i = 0; i < AX_ADDRS_MAX; i++) {
		if (s->addrs[i].state == STACK_ADDR_FREE) {
			if (!slot)
				slot = &s->addrs[i];
		} else if (ip_addr_eq(&s->addrs[i].a, a)) {
			return -EEXIST;
		}
	}
	if (!slot)
		return -ENOSPC;
	memset(slot, 0, sizeof(*slot));
	slot->a = *a;
	slot->plen = plen;
	slot->flags = (uint8_t)flags;
	if (v4) {
		slot->state = STACK_ADDR_PREFERRED;
		stack_addr_notify(s, slot, STACK_ADDR_USABLE);
		return 0;
	}
	slot->state = STACK_ADDR_TENTATIVE;
	nd_dad_start(s, slot);
	return 0;
}

struct stack_addr *stack_addr_find(struct ax_stack *s, const struct ip_addr *a)
{
	unsigned int i;

	for (i = 0; i < AX_ADDRS_MAX; i++)
		if (s->addrs[i].state != STACK_ADDR_FREE && ip_addr_eq(&s->addrs[i].a, a))
			return &s->addrs[i];
	return NULL;
}

const struct stack_addr *stack_addr_local(const struct ax_stack *s,
					  const struct ip_addr *a)
{
	const struct stack_addr *sa = stack_addr_find((struct ax_stack *)s, a);

	return sa && sa->state == STACK_ADDR_PREFERRED ? sa : NULL;
}

void stack_addr_notify(struct ax_stack *s, const struct stack_addr *a,
		       enum stack_addr_event ev)
{
	if (s->addr_event)
		s->addr_event(s->addr_event_arg, a, ev);
}

/* Bits a and b have in common from the start (RFC 6724 2.2). */
static unsigned int common_len(const struct ip_addr *a, const struct ip_addr *b)
{
	unsigned int n = 0, i;

	for (i = 0; i < 16; i++, n += 8) {
		uint8_t x = a->b[i] ^ b->b[i];

		if (x) {
			while (!(x & 0x80)) {
				x <<= 1;
				n++;
			}
			return n;
		}
	}
	return n;
}

/* RFC 6724 5 in short, IPv6 only: a link-local destination (or a
 * link-scope group) gets our link-local address; others the usable
 * global address sharing the longest prefix with dst (rule 8), else the
 * link-local (rule 2 prefers the larger scope, but any source beats
 * none, as Linux). */
int stack_src_select(const struct ax_stack *s, const struct ip_addr *dst,
		     struct ip_addr *src)
{
	const struct stack_addr *ll = NULL, *best = NULL;
	int link = ip_addr_is_linklocal6(dst) ||
		   (ip_addr_is_multicast6(dst) && (dst->b[1] & 0x0f) <= 2);
	unsigned int i, best_len = 0;

	if (ip_addr_is_v4(dst)) {
		if (!s->addr)
			return -EADDRNOTAVAIL;
		*src = ip_addr_v4(s->addr);
		return 0;
	}
	for (i = 0; i < AX_ADDRS_MAX; i++) {
		const struct stack_addr *a = &s->addrs[i];
		unsigned int n;

		if (a->state != STACK_ADDR_PREFERRED || ip_addr_is_v4(&a->a))
			continue;
		if (ip_addr_is_linklocal6(&a->a)) {
			if (!ll)
				ll = a;
			continue;
		}
		n = common_len(dst, &a->a);
		if (!best || n > best_len) {
			best = a;
			best_len = n;
		}
	}
	if (link || !best)
		best = ll ? ll : best;
	if (!best)
		return -EADDRNOTAVAIL;
	*src = best->a;
	return 0;
}
