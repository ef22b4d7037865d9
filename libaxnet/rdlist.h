/*
 * rdlist.h - an epoll set's ready list: an intrusive doubly linked FIFO
 * whose nodes know whether they are on it, so adding twice is a no-op and
 * removing a node that is not there is too (the kernel's rdllist with
 * ep_is_linked). O(1) each; no allocation. Pure, so
 * tests/unit/test_libaxnet_ring.c checks it without a daemon.
 */
#ifndef AX_LIBAXNET_RDLIST_H
#define AX_LIBAXNET_RDLIST_H

#include <stddef.h>

struct ax_rdnode {
	struct ax_rdnode *prev, *next; /* NULL when not on a list */
};

struct ax_rdlist {
	struct ax_rdnode head; /* circular through head */
	unsigned int len;
};

static inline void ax_rdlist_init(struct ax_rdlist *l)
{
	l->head.prev = l->head.next = &l->head;
	l->len = 0;
}

static inline int ax_rdlist_empty(const struct ax_rdlist *l)
{
	return l->head.next == &l->head;
}

static inline int ax_rdnode_linked(const struct ax_rdnode *n)
{
	return n->next != NULL;
}

/* At the tail, unless already on a list. */
static inline void ax_rdlist_add(struct ax_rdlist *l, struct ax_rdnode *n)
{
	if (n->next)
		return;
	n->prev = l->head.prev;
	n->next = &l->head;
	l->head.prev->next = n;
	l->head.prev = n;
	l->len++;
}

/* Off l, if on it (a node is only ever on one list). */
static inline void ax_rdlist_del(struct ax_rdlist *l, struct ax_rdnode *n)
{
	if (!n->next)
		return;
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n->next = NULL;
	l->len--;
}

/* The head, taken off; NULL when empty. */
static inline struct ax_rdnode *ax_rdlist_pop(struct ax_rdlist *l)
{
	struct ax_rdnode *n = l->head.next;

	if (n == &l->head)
		return NULL;
	ax_rdlist_del(l, n);
	return n;
}

/* Move all of from to the tail of to; from ends empty. */
static inline void ax_rdlist_splice(struct ax_rdlist *to, struct ax_rdlist *from)
{
	if (ax_rdlist_empty(from))
		return;
	from->head.next->prev = to->head.prev;
	to->head.prev->next = from->head.next;
	from->head.prev->next = &to->head;
	to->head.prev = from->head.prev;
	to->len += from->len;
	ax_rdlist_init(from);
}

#endif /* AX_LIBAXNET_RDLIST_H */
