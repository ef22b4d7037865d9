/*
 * policy.c - the policy object: lifetime, accessors, comparison, and the
 * built-in policy.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy_impl.h"

/*
 * With no policy given, axnet must not be an open door (inbound is what
 * an attacker controls) yet must stay reachable for diagnosis (ping) and
 * useful as a client (outbound).
 */
static const char builtin_text[] =
	"# axnet's built-in policy, used when none is given\n"
	"default deny in\n"
	"default allow out\n"
	"allow in icmp\n";

int pol_builtin_default(struct pol_policy **out)
{
	struct pol_policy *p;
	struct pol_error err;
	int rc;

	rc = pol_parse(builtin_text, sizeof(builtin_text) - 1, "<built-in>", &p, &err);
	if (rc)
		return rc; /* only -ENOMEM: the text is tested */
	rc = pol_compile(p);
	if (rc) {
		pol_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

void pol_free(struct pol_policy *p)
{
	if (!p)
		return;
	pol_matcher_free(p->m);
	free(p->rules);
	free(p->pfx);
	free(p->rng);
	free(p->str);
	free(p);
}

uint32_t pol_nrules(const struct pol_policy *p)
{
	return p->nrules;
}

const struct pol_rule *pol_rule(const struct pol_policy *p, uint32_t n)
{
	return n >= 1 && n <= p->nrules ? &p->rules[n - 1] : NULL;
}

int pol_default(const struct pol_policy *p, unsigned int dir, uint32_t *line)
{
	unsigned int d = dir == POL_OUT ? 1 : 0;

	if (line)
		*line = p->def_line[d];
	return p->def_allow[d];
}

static int end_equal(const struct pol_end *a, const struct pol_end *b)
{
	/* The parser keeps lists sorted and merged, and zeroes the unused
	 * bytes of IPv4 addresses: comparing bytes compares meaning. */
	return a->naddr == b->naddr && a->nport == b->nport &&
	       (!a->naddr || !memcmp(a->addr, b->addr, a->naddr * sizeof(*a->addr))) &&
	       (!a->nport || !memcmp(a->port, b->port, a->nport * sizeof(*a->port)));
}

static int owner_equal(const struct pol_rule *a, const struct pol_rule *b)
{
	if (a->owner != b->owner)
		return 0;
	if ((a->owner & POL_OWN_UID) && a->uid != b->uid)
		return 0;
	if ((a->owner & POL_OWN_GID) && a->gid != b->gid)
		return 0;
	return !(a->owner & POL_OWN_PROG) ||
	       (a->prog_dir == b->prog_dir && a->prog_len == b->prog_len &&
		memcmp(a->prog, b->prog, a->prog_len) == 0);
}

int pol_equal(const struct pol_policy *a, const struct pol_policy *b)
{
	uint32_t i;

	if (a->nrules != b->nrules || a->def_allow[0] != b->def_allow[0] ||
	    a->def_allow[1] != b->def_allow[1])
		return 0;
	for (i = 0; i < a->nrules; i++) {
		const struct pol_rule *x = &a->rules[i], *y = &b->rules[i];

		if (x->allow != y->allow || x->dir != y->dir || x->proto != y->proto ||
		    !end_equal(&x->from, &y->from) || !end_equal(&x->to, &y->to) ||
		    !owner_equal(x, y))
			return 0;
	}
	return 1;
}
