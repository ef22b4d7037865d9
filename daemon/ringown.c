/*
 * ringown.c - ring offset -> owner (ringown.h).
 */
#include <errno.h>
#include <stdlib.h>

#include "daemon/ringown.h"

/* Rings are at least 4 KiB apart: the block number, Fibonacci-hashed. */
static uint32_t home(uint64_t off, uint32_t mask)
{
	return (uint32_t)(((off >> 12) * 0x9E3779B97F4A7C15ull) >> 32) & mask;
}

/* off's entry, or the empty one where it would go (cap > 0). */
static uint32_t find(const struct ringown *m, uint64_t off)
{
	uint32_t mask = m->cap - 1, i = home(off, mask);

	while (m->t[i].off && m->t[i].off != off)
		i = (i + 1) & mask;
	return i;
}

int ringown_reserve(struct ringown *m, uint64_t n)
{
	struct ringown_ent *old = m->t;
	uint32_t ocap = m->cap, i;
	uint64_t cap = m->cap ? m->cap : 64;

	if (n * 2 <= m->cap)
		return 0;
	while (n * 2 > cap)
		cap *= 2;
	if (cap > (1u << 31))
		return -ENOMEM;
	m->t = calloc(cap, sizeof(*m->t));
	if (!m->t) {
		m->t = old;
		return -ENOMEM;
	}
	m->cap = (uint32_t)cap;
	for (i = 0; i < ocap; i++)
		if (old[i].off)
			m->t[find(m, old[i].off)] = old[i];
	free(old);
	return 0;
}

void *ringown_get(const struct ringown *m, uint64_t off)
{
	return m->cap && off ? m->t[find(m, off)].owner : NULL;
}

int ringown_set(struct ringown *m, uint64_t off, void *owner)
{
	uint32_t i;

	if (!off || !m->cap)
		return -ENOSPC;
	i = find(m, off);
	if (!m->t[i].off) {
		if ((uint64_t)(m->n + 1) * 2 > m->cap)
			return -ENOSPC;
		m->n++;
	}
	m->t[i].off = off;
	m->t[i].owner = owner;
	return 0;
}

void ringown_del(struct ringown *m, uint64_t off)
{
	uint32_t mask, i, j, h;

	if (!m->cap || !off)
		return;
	mask = m->cap - 1;
	i = find(m, off);
	if (!m->t[i].off)
		return;
	m->t[i].off = 0;
	m->t[i].owner = NULL;
	m->n--;
	/* Each later entry of the run whose home is not in (i, j]
	 * (cyclically) was pushed past the hole: it moves into it. */
	for (j = (i + 1) & mask; m->t[j].off; j = (j + 1) & mask) {
		h = home(m->t[j].off, mask);
		if (j > i ? (h <= i || h > j) : (h <= i && h > j)) {
			m->t[i] = m->t[j];
			m->t[j].off = 0;
			m->t[j].owner = NULL;
			i = j;
		}
	}
}

void ringown_fini(struct ringown *m)
{
	free(m->t);
	m->t = NULL;
	m->cap = m->n = 0;
}
