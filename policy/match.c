/*
 * match.c - the compiled matcher, and the linear one it is tested against.
 *
 * Rules are first split by what a flow has exactly one of: its direction
 * and its address family (the width of its addresses). Within such a
 * class, rules keep their order and are cut into blocks of up to B rules.
 * Each block is a bit-vector classifier (T. V. Lakshman, D. Stiliadis,
 * "High-speed policy-based packet forwarding using efficient
 * multi-dimensional range matching", SIGCOMM 1998):
 *
 *   - for each of source address, destination address, source port and
 *     destination port, the ends of every rule's ranges cut the dimension
 *     into sorted elementary intervals, each with a bitset of the block's
 *     rules that cover it all;
 *   - the protocol is a fifth dimension of four values, indexed directly;
 *   - the owner's uid, gid and program are three more range dimensions
 *     (below), and a row of the rules without owner conditions is ANDed
 *     in for a flow without an owner.
 *
 * Programs as ranges: a `program` path is a byte string Q (an exact path
 * with its terminating NUL, a directory "/dir/" without), and the paths
 * it matches are those that start with Q: in byte order (a path with its
 * NUL), an interval [Q, Q followed by +infinity). Every rule's two ends,
 * sorted (compile time), cut the paths into elementary intervals; an
 * executable's interval number is found by one binary search (strncmp
 * against the ends), once per match, and is the key of the program
 * dimension, searched as any other. So exact paths and directories mix,
 * nest and overlap freely and the first match is still the lowest bit.
 *
 * A flow finds its interval in each dimension by binary search, and the
 * AND of the bitsets holds the rules it matches; the lowest bit is the
 * first rule. Blocks are tried in rule order, so the first block with a
 * bit set has the answer.
 *
 * Why blocks: one classifier over R rules needs about R^2 bits per
 * dimension (2R intervals of R bits): 100 MB for 10,000 rules, gigabytes
 * for the 65,536 the language allows. Blocks of B rules need R * B bits
 * per dimension at the cost of R / B searches per match.
 *
 * A dimension in which every rule of a block is a wildcard has one
 * interval and is not searched. Matching touches only the compiled arrays:
 * no allocation, no locks, no writes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy_impl.h"

typedef unsigned __int128 u128;

enum { D_SRC, D_DST, D_SPORT, D_DPORT, D_UID, D_GID, D_PROG, NDIM };

/* IPv4 addresses and ports are searched as 32-bit keys: a quarter of the
 * cache lines of 128-bit ones, and a match is mostly cache misses. */
struct dim {
	uint32_t nint;   /* elementary intervals; 1: not searched */
	u128 *start;     /* first value of each, ascending; start[0] == 0 ... */
	uint32_t *start32; /* ... or this, when every value fits */
	uint64_t *bits;  /* nint rows of `words` words */
};

struct block {
	uint32_t n, words;
	uint32_t *rule;     /* bit i -> index into p->rules */
	uint64_t *pbits;    /* POL_PC_N rows: the protocol dimension */
	uint64_t *nobits;   /* the rules without owner conditions ... */
	uint8_t owned;      /* ... needed when some rule here has one */
	uint8_t pmask;      /* protocol classes some rule here covers */
	uint8_t nsearch;    /* dims with more than one interval ... */
	uint8_t search[NDIM]; /* ... and which */
	struct dim dim[NDIM];
};

struct class {
	struct block *blk;
	uint32_t nblk;
};

/* An end of a program's interval: bytes q[0..n), then -infinity (its
 * start) or +infinity (just past the paths that begin with it). */
struct prog_end {
	const char *q;
	uint16_t n;
	uint8_t inf;
};

struct pol_matcher {
	struct class cls[2][2]; /* [dir - 1][0: IPv4, 1: IPv6] */
	/* The program dimension's cuts, sorted and unique, and each rule's
	 * interval keys [prog_lo, prog_hi] (NULL when no rule has one). */
	struct prog_end *pend;
	uint32_t npend;
	uint32_t *prog_lo, *prog_hi;
	unsigned int block_rules;
	size_t bytes, intervals;
	unsigned int blocks;
};

static const uint8_t family_of[2] = { AF_INET, AF_INET6 };

/* --- keys ---------------------------------------------------------------- */

/* An address as a number, so that a prefix is a range [lo, hi]. */
static inline u128 addr_key(const uint8_t *a, int v6)
{
	u128 k = 0;
	unsigned int i, n = v6 ? 16 : 4;

	for (i = 0; i < n; i++)
		k = k << 8 | a[i];
	return k;
}

static u128 dim_max(unsigned int d, int v6)
{
	if (d == D_SPORT || d == D_DPORT)
		return 65535;
	if (d >= D_UID)
		return 0xffffffffu;
	return v6 ? ~(u128)0 : 0xffffffffu;
}

static void prefix_range(const struct pol_prefix *p, int v6, u128 *lo, u128 *hi)
{
	unsigned int host = (v6 ? 128u : 32u) - p->len;
	u128 ones = host == 0 ? 0 : host == 128 ? ~(u128)0 : ((u128)1 << host) - 1;

	*lo = addr_key(p->addr, v6);
	*hi = *lo | ones;
}

/* A rule's ranges in dimension d for family v6, into lo/hi if not NULL.
 * Returns how many; 0 means the rule does not restrict d. */
static unsigned int rule_ranges(const struct pol_matcher *m, const struct pol_policy *p,
				uint32_t ri, unsigned int d, int v6, u128 *lo, u128 *hi)
{
	const struct pol_rule *r = &p->rules[ri];
	const struct pol_end *e = (d == D_SRC || d == D_SPORT) ? &r->from : &r->to;
	unsigned int i, n = 0;

	if (d >= D_UID) {
		unsigned int bit = d == D_UID ? POL_OWN_UID : d == D_GID ? POL_OWN_GID : POL_OWN_PROG;

		if (!(r->owner & bit))
			return 0;
		if (lo) {
			lo[0] = d == D_UID ? r->uid : d == D_GID ? r->gid : m->prog_lo[ri];
			hi[0] = d == D_UID ? r->uid : d == D_GID ? r->gid : m->prog_hi[ri];
		}
		return 1;
	}

	if (d == D_SPORT || d == D_DPORT) {
		for (i = 0; i < e->nport; i++, n++) {
			if (lo) {
				lo[n] = e->port[i].lo;
				hi[n] = e->port[i].hi;
			}
		}
		return n;
	}
	for (i = 0; i < e->naddr; i++) {
		if (e->addr[i].family != family_of[v6])
			continue;
		if (lo)
			prefix_range(&e->addr[i], v6, &lo[n], &hi[n]);
		n++;
	}
	return n;
}

/* The last interval that starts at or before x (start[0] is 0, so there
 * is one). Branch-free halving: the loop runs log2(n) times whatever x. */
static inline uint32_t find(const u128 *start, uint32_t n, u128 x)
{
	const u128 *base = start;

	while (n > 1) {
		uint32_t half = n / 2;

		base = base[half] <= x ? base + half : base;
		n -= half;
	}
	return (uint32_t)(base - start);
}

static inline uint32_t find32(const uint32_t *start, uint32_t n, uint32_t x)
{
	const uint32_t *base = start;

	while (n > 1) {
		uint32_t half = n / 2;

		base = base[half] <= x ? base + half : base;
		n -= half;
	}
	return (uint32_t)(base - start);
}

/* --- programs --------------------------------------------------------------- */

static void *alloc(struct pol_matcher *m, size_t n, size_t size);

static int cmp_pend(const void *a, const void *b)
{
	const struct prog_end *x = a, *y = b;
	int c = memcmp(x->q, y->q, x->n < y->n ? x->n : y->n);

	if (c)
		return c;
	if (x->n == y->n)
		return (int)x->inf - (int)y->inf;
	/* x's bytes are a prefix of y's: after them x has -inf or +inf,
	 * y one more byte */
	if (x->n < y->n)
		return x->inf ? 1 : -1;
	return y->inf ? -1 : 1;
}

static void rule_pends(const struct pol_rule *r, struct prog_end *lo, struct prog_end *hi)
{
	lo->q = hi->q = r->prog;
	/* exact: the NUL too, so only the path itself begins with it */
	lo->n = hi->n = (uint16_t)(r->prog_len + (r->prog_dir ? 0 : 1));
	lo->inf = 0;
	hi->inf = 1;
}

/* Does exe lie at or after the end e? */
static inline int past(const char *exe, const struct prog_end *e)
{
	int c = strncmp(exe, e->q, e->n);

	return e->inf ? c > 0 : c >= 0;
}

/* exe's interval: the number of ends at or before it (0..npend). exe is
 * read at most AX_CRED_EXE_MAX bytes far (an end is at most that long). */
static uint32_t prog_key(const struct pol_matcher *m, const char *exe)
{
	uint32_t lo = 0, hi = m->npend;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (past(exe, &m->pend[mid]))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The program dimension's cuts, and each rule's keys: its interval holds
 * the keys after its start's cut up to and including its end's. */
static int build_progs(struct pol_matcher *m, const struct pol_policy *p)
{
	uint32_t i, n = 0, k;

	for (i = 0; i < p->nrules; i++)
		if (p->rules[i].owner & POL_OWN_PROG)
			n++;
	if (n == 0)
		return 0;
	m->pend = alloc(m, 2 * (size_t)n, sizeof(*m->pend));
	m->prog_lo = alloc(m, p->nrules, sizeof(*m->prog_lo));
	m->prog_hi = alloc(m, p->nrules, sizeof(*m->prog_hi));
	if (!m->pend || !m->prog_lo || !m->prog_hi)
		return -ENOMEM;
	for (i = 0, n = 0; i < p->nrules; i++) {
		if (p->rules[i].owner & POL_OWN_PROG) {
			rule_pends(&p->rules[i], &m->pend[n], &m->pend[n + 1]);
			n += 2;
		}
	}
	qsort(m->pend, n, sizeof(*m->pend), cmp_pend);
	for (i = 1, k = 1; i < n; i++)
		if (cmp_pend(&m->pend[i], &m->pend[k - 1]) != 0)
			m->pend[k++] = m->pend[i];
	m->npend = k;
	for (i = 0; i < p->nrules; i++) {
		struct prog_end lo, hi;
		const struct prog_end *a, *b;

		if (!(p->rules[i].owner & POL_OWN_PROG))
			continue;
		rule_pends(&p->rules[i], &lo, &hi);
		a = bsearch(&lo, m->pend, k, sizeof(*m->pend), cmp_pend);
		b = bsearch(&hi, m->pend, k, sizeof(*m->pend), cmp_pend);
		m->prog_lo[i] = (uint32_t)(a - m->pend) + 1;
		m->prog_hi[i] = (uint32_t)(b - m->pend);
	}
	return 0;
}

/* --- compiling ------------------------------------------------------------ */

static void *alloc(struct pol_matcher *m, size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (p)
		m->bytes += (n ? n : 1) * size;
	return p;
}

static int cmp_u128(const void *a, const void *b)
{
	u128 x = *(const u128 *)a, y = *(const u128 *)b;

	return x < y ? -1 : x > y;
}

static inline void set_bit(uint64_t *row, uint32_t i)
{
	row[i / 64] |= (uint64_t)1 << (i % 64);
}

/* Dimension d of block b, whose rules are p->rules[b->rule[0..n)]. */
static int build_dim(struct pol_matcher *m, struct block *b, const struct pol_policy *p,
		     unsigned int d, int v6)
{
	struct dim *dm = &b->dim[d];
	u128 max = dim_max(d, v6), *pts = NULL, *lo = NULL, *hi = NULL;
	uint64_t *wild = NULL;
	uint32_t i, k, items = 0, npts, nint, w;
	int rc = -ENOMEM;

	for (i = 0; i < b->n; i++)
		items += rule_ranges(m, p, b->rule[i], d, v6, NULL, NULL);
	/* Every rule is a wildcard here: one interval, all rules. */
	if (items == 0) {
		dm->nint = 1;
		return 0;
	}
	lo = malloc(items * sizeof(*lo));
	hi = malloc(items * sizeof(*hi));
	pts = malloc((2 * (size_t)items + 1) * sizeof(*pts));
	wild = calloc(b->words, sizeof(*wild));
	if (!lo || !hi || !pts || !wild)
		goto out;

	/* The cuts: 0, every range's start, and the value after its end. */
	npts = 0;
	pts[npts++] = 0;
	for (i = 0, k = 0; i < b->n; i++) {
		unsigned int n = rule_ranges(m, p, b->rule[i], d, v6, lo + k, hi + k);

		if (n == 0)
			set_bit(wild, i);
		for (; n > 0; n--, k++) {
			pts[npts++] = lo[k];
			if (hi[k] != max)
				pts[npts++] = hi[k] + 1;
		}
	}
	qsort(pts, npts, sizeof(*pts), cmp_u128);
	for (i = 1, nint = 1; i < npts; i++)
		if (pts[i] != pts[nint - 1])
			pts[nint++] = pts[i];
	if (nint == 1) {
		/* every range is the whole dimension (0.0.0.0/0): a wildcard */
		dm->nint = 1;
		rc = 0;
		goto out;
	}

	dm->nint = nint;
	dm->bits = alloc(m, (size_t)nint * b->words, sizeof(*dm->bits));
	if (!dm->bits)
		goto out;
	if (max <= 0xffffffffu) {
		dm->start32 = alloc(m, nint, sizeof(*dm->start32));
		if (!dm->start32)
			goto out;
		for (k = 0; k < nint; k++)
			dm->start32[k] = (uint32_t)pts[k];
	} else {
		dm->start = alloc(m, nint, sizeof(*dm->start));
		if (!dm->start)
			goto out;
		memcpy(dm->start, pts, nint * sizeof(*pts));
	}
	m->intervals += nint;
	for (k = 0; k < nint; k++)
		for (w = 0; w < b->words; w++)
			dm->bits[(size_t)k * b->words + w] = wild[w];
	/* Each range sets its rule's bit in the intervals it spans: its start
	 * is a cut, so the search lands on its first interval exactly. */
	for (i = 0, k = 0; i < b->n; i++) {
		unsigned int n = rule_ranges(m, p, b->rule[i], d, v6, lo + k, hi + k);

		for (; n > 0; n--, k++) {
			uint32_t j = find(pts, nint, lo[k]);

			for (; j < nint && pts[j] <= hi[k]; j++)
				set_bit(dm->bits + (size_t)j * b->words, i);
		}
	}
	rc = 0;
out:
	free(lo);
	free(hi);
	free(pts);
	free(wild);
	return rc;
}

static int build_block(struct pol_matcher *m, struct block *b, const struct pol_policy *p,
		       const uint32_t *idx, uint32_t n, int v6)
{
	uint32_t i, pc;
	unsigned int d;

	b->n = n;
	b->words = (n + 63) / 64;
	b->rule = alloc(m, n, sizeof(*b->rule));
	b->pbits = alloc(m, (size_t)POL_PC_N * b->words, sizeof(*b->pbits));
	b->nobits = alloc(m, b->words, sizeof(*b->nobits));
	if (!b->rule || !b->pbits || !b->nobits)
		return -ENOMEM;
	memcpy(b->rule, idx, n * sizeof(*idx));
	for (i = 0; i < n; i++) {
		if (p->rules[idx[i]].owner)
			b->owned = 1;
		else
			set_bit(b->nobits, i);
		for (pc = 0; pc < POL_PC_N; pc++) {
			if (pol_proto_covers(p->rules[idx[i]].proto, pc)) {
				set_bit(b->pbits + (size_t)pc * b->words, i);
				b->pmask |= (uint8_t)(1u << pc);
			}
		}
	}
	for (d = 0; d < NDIM; d++) {
		if (build_dim(m, b, p, d, v6))
			return -ENOMEM;
		if (b->dim[d].nint > 1)
			b->search[b->nsearch++] = (uint8_t)d;
	}
	m->blocks++;
	return 0;
}

/*
 * The rules of one class, in order, cut into blocks of at most B rules
 * and at most B ranges per dimension (so at most 2B + 1 intervals: long
 * lists do not blow up a block; a rule with more ranges gets a block to
 * itself).
 */
static int build_class(struct pol_matcher *m, struct class *c, const struct pol_policy *p,
		       unsigned int dir, int v6, uint32_t *idx)
{
	uint32_t i, n = 0, start, items[NDIM], cap = 0;
	unsigned int d;

	for (i = 0; i < p->nrules; i++) {
		const struct pol_rule *r = &p->rules[i];

		if ((r->dir & dir) && pol_end_has_family(&r->from, family_of[v6]) &&
		    pol_end_has_family(&r->to, family_of[v6]))
			idx[n++] = i;
	}
	for (start = 0; start < n;) {
		uint32_t end = start;

		memset(items, 0, sizeof(items));
		while (end < n && end - start < m->block_rules) {
			uint32_t add[NDIM];
			int full = 0;

			for (d = 0; d < NDIM; d++) {
				add[d] = rule_ranges(m, p, idx[end], d, v6, NULL, NULL);
				if (end > start && items[d] + add[d] > m->block_rules)
					full = 1;
			}
			if (full)
				break;
			for (d = 0; d < NDIM; d++)
				items[d] += add[d];
			end++;
		}
		if (c->nblk == cap) {
			struct block *nb;

			cap = cap ? cap * 2 : 4;
			nb = realloc(c->blk, cap * sizeof(*nb));
			if (!nb)
				return -ENOMEM;
			c->blk = nb;
		}
		memset(&c->blk[c->nblk], 0, sizeof(c->blk[0]));
		c->nblk++;
		m->bytes += sizeof(c->blk[0]);
		if (build_block(m, &c->blk[c->nblk - 1], p, idx + start, end - start, v6))
			return -ENOMEM;
		start = end;
	}
	return 0;
}

void pol_matcher_free(struct pol_matcher *m)
{
	unsigned int d, f, i, k;

	if (!m)
		return;
	for (d = 0; d < 2; d++) {
		for (f = 0; f < 2; f++) {
			struct class *c = &m->cls[d][f];

			for (i = 0; i < c->nblk; i++) {
				free(c->blk[i].rule);
				free(c->blk[i].pbits);
				free(c->blk[i].nobits);
				for (k = 0; k < NDIM; k++) {
					free(c->blk[i].dim[k].start);
					free(c->blk[i].dim[k].start32);
					free(c->blk[i].dim[k].bits);
				}
			}
			free(c->blk);
		}
	}
	free(m->pend);
	free(m->prog_lo);
	free(m->prog_hi);
	free(m);
}

int pol_compile_blocks(struct pol_policy *p, unsigned int block_rules)
{
	struct pol_matcher *m;
	uint32_t *idx;
	unsigned int d, f;
	int rc = 0;

	if (block_rules == 0 || block_rules > 65536)
		return -EINVAL;
	if (p->m && p->m->block_rules == block_rules)
		return 0;
	m = calloc(1, sizeof(*m));
	idx = malloc((p->nrules ? p->nrules : 1) * sizeof(*idx));
	if (!m || !idx) {
		free(m);
		free(idx);
		return -ENOMEM;
	}
	m->block_rules = block_rules;
	m->bytes = sizeof(*m);
	rc = build_progs(m, p);
	for (d = 0; d < 2 && rc == 0; d++)
		for (f = 0; f < 2 && rc == 0; f++)
			rc = build_class(m, &m->cls[d][f], p, d + 1, (int)f, idx);
	free(idx);
	if (rc) {
		pol_matcher_free(m);
		return rc;
	}
	pol_matcher_free(p->m);
	p->m = m;
	return 0;
}

int pol_compile(struct pol_policy *p)
{
	return pol_compile_blocks(p, p->m ? p->m->block_rules : POL_BLOCK_RULES);
}

void pol_stats(const struct pol_policy *p, struct pol_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!p->m)
		return;
	st->bytes = p->m->bytes;
	st->blocks = p->m->blocks;
	st->intervals = p->m->intervals;
}

/* --- matching ------------------------------------------------------------- */

int pol_match(const struct pol_policy *p, const struct pol_flow *f, struct pol_verdict *v)
{
	const struct pol_matcher *m = p->m;
	const struct class *c;
	unsigned int pc;
	u128 key[NDIM];
	uint32_t i;
	int v6;

	if (!m || !pol_flow_valid(f))
		return -EINVAL;
	v6 = f->family == AF_INET6;
	pc = pol_pclass(f);
	key[D_SRC] = addr_key(f->src, v6);
	key[D_DST] = addr_key(f->dst, v6);
	key[D_SPORT] = f->sport;
	key[D_DPORT] = f->dport;
	/* Without an owner these keys match nothing that asks (nobits). */
	key[D_UID] = f->owner ? f->owner->uid : 0;
	key[D_GID] = f->owner ? f->owner->gid : 0;
	key[D_PROG] = f->owner && m->npend ? prog_key(m, f->owner->exe) : 0;
	c = &m->cls[f->dir - 1][v6];
	for (i = 0; i < c->nblk; i++) {
		const struct block *b = &c->blk[i];
		const uint64_t *row[2 + NDIM];
		unsigned int k, nrow = 0;
		uint32_t w;

		if (!(b->pmask & (1u << pc)))
			continue;
		row[nrow++] = b->pbits + (size_t)pc * b->words;
		if (b->owned && !f->owner)
			row[nrow++] = b->nobits;
		for (k = 0; k < b->nsearch; k++) {
			const struct dim *dm = &b->dim[b->search[k]];
			uint32_t j = dm->start32 ? find32(dm->start32, dm->nint,
							  (uint32_t)key[b->search[k]])
						 : find(dm->start, dm->nint, key[b->search[k]]);

			row[nrow++] = dm->bits + (size_t)j * b->words;
		}
		for (w = 0; w < b->words; w++) {
			uint64_t x = row[0][w];

			for (k = 1; k < nrow; k++)
				x &= row[k][w];
			if (x) {
				uint32_t r = b->rule[w * 64 + (uint32_t)__builtin_ctzll(x)];

				v->allow = p->rules[r].allow;
				v->rule = r + 1;
				v->line = p->rules[r].line;
				return 0;
			}
		}
	}
	pol_verdict_default(p, f->dir, v);
	return 0;
}

/* --- the reference ----------------------------------------------------- */

static int prefix_has(const struct pol_prefix *p, const uint8_t *a)
{
	unsigned int i;

	for (i = 0; i < p->len / 8u; i++)
		if (p->addr[i] != a[i])
			return 0;
	return p->len % 8 == 0 || ((p->addr[i] ^ a[i]) & (0xff00u >> (p->len % 8))) == 0;
}

static int end_has(const struct pol_end *e, uint8_t family, const uint8_t *addr,
		   uint16_t port)
{
	uint16_t i;
	int ok = e->naddr == 0;

	for (i = 0; i < e->naddr && !ok; i++)
		ok = e->addr[i].family == family && prefix_has(&e->addr[i], addr);
	if (!ok || e->nport == 0)
		return ok;
	for (i = 0; i < e->nport; i++)
		if (port >= e->port[i].lo && port <= e->port[i].hi)
			return 1;
	return 0;
}

/* Does the owner (NULL: none) meet the rule's owner conditions? The
 * executable's path is read at most AX_CRED_EXE_MAX bytes far. */
static int owner_has(const struct pol_rule *r, const struct ax_cred *o)
{
	size_t n;

	if (!r->owner)
		return 1;
	if (!o)
		return 0;
	if ((r->owner & POL_OWN_UID) && o->uid != r->uid)
		return 0;
	if ((r->owner & POL_OWN_GID) && o->gid != r->gid)
		return 0;
	if (!(r->owner & POL_OWN_PROG))
		return 1;
	n = strnlen(o->exe, sizeof(o->exe));
	if (r->prog_dir)
		return n >= r->prog_len && memcmp(o->exe, r->prog, r->prog_len) == 0;
	return n == r->prog_len && memcmp(o->exe, r->prog, n) == 0;
}

int pol_match_linear(const struct pol_policy *p, const struct pol_flow *f,
		     struct pol_verdict *v)
{
	unsigned int pc;
	uint32_t i;

	if (!pol_flow_valid(f))
		return -EINVAL;
	pc = pol_pclass(f);
	for (i = 0; i < p->nrules; i++) {
		const struct pol_rule *r = &p->rules[i];

		if ((r->dir & f->dir) && pol_proto_covers(r->proto, pc) &&
		    end_has(&r->from, f->family, f->src, f->sport) &&
		    end_has(&r->to, f->family, f->dst, f->dport) && owner_has(r, f->owner)) {
			v->allow = r->allow;
			v->rule = i + 1;
			v->line = r->line;
			return 0;
		}
	}
	pol_verdict_default(p, f->dir, v);
	return 0;
}
