/*
 * policy_impl.h - what the policy sources share and nobody else needs:
 * the policy object and the helpers the linear and compiled matchers must
 * agree on.
 */
#ifndef AX_POLICY_IMPL_H
#define AX_POLICY_IMPL_H

#include <netinet/in.h>
#include <sys/socket.h>

#include "policy/policy.h"

struct pol_matcher;

/*
 * One allocation per array: the rules, and every rule's address and port
 * lists packed into pfx[] and rng[] (the pol_end pointers point there).
 */
struct pol_policy {
	struct pol_rule *rules;
	uint32_t nrules;
	struct pol_prefix *pfx;
	size_t npfx;
	struct pol_range *rng;
	size_t nrng;
	char *str; /* the rules' `program` paths, NUL-terminated */
	size_t nstr;
	uint8_t def_allow[2]; /* [POL_IN - 1], [POL_OUT - 1] */
	uint32_t def_line[2]; /* 0: not in the text */
	struct pol_matcher *m; /* NULL until pol_compile() */
};

/* The flow's protocol as the classifier sees it: the rows of its
 * protocol dimension. ICMP is protocol 1 in IPv4 and 58 in IPv6 only. */
enum pol_pclass { POL_PC_TCP, POL_PC_UDP, POL_PC_ICMP, POL_PC_OTHER, POL_PC_N };

static inline unsigned int pol_pclass(const struct pol_flow *f)
{
	switch (f->proto) {
	case IPPROTO_TCP: return POL_PC_TCP;
	case IPPROTO_UDP: return POL_PC_UDP;
	case IPPROTO_ICMP: return f->family == AF_INET ? POL_PC_ICMP : POL_PC_OTHER;
	case IPPROTO_ICMPV6: return f->family == AF_INET6 ? POL_PC_ICMP : POL_PC_OTHER;
	default: return POL_PC_OTHER;
	}
}

/* Does a rule of protocol proto (enum pol_proto) cover protocol class pc? */
static inline int pol_proto_covers(unsigned int proto, unsigned int pc)
{
	switch (proto) {
	case POL_PROTO_ANY: return 1;
	case POL_PROTO_TCP: return pc == POL_PC_TCP;
	case POL_PROTO_UDP: return pc == POL_PC_UDP;
	case POL_PROTO_ICMP: return pc == POL_PC_ICMP;
	default: return 0;
	}
}

static inline int pol_flow_valid(const struct pol_flow *f)
{
	return (f->dir == POL_IN || f->dir == POL_OUT) &&
	       (f->family == AF_INET || f->family == AF_INET6);
}

/* Does the list (empty: any) hold an address of this family? */
static inline int pol_end_has_family(const struct pol_end *e, uint8_t family)
{
	uint16_t i;

	if (e->naddr == 0)
		return 1;
	for (i = 0; i < e->naddr; i++)
		if (e->addr[i].family == family)
			return 1;
	return 0;
}

/* Set *v from the default of the flow's direction. */
static inline void pol_verdict_default(const struct pol_policy *p, unsigned int dir,
				       struct pol_verdict *v)
{
	v->allow = p->def_allow[dir - 1];
	v->rule = 0;
	v->line = p->def_line[dir - 1];
}

/* match.c: free the compiled matcher (NULL is fine). */
void pol_matcher_free(struct pol_matcher *m);

#endif /* AX_POLICY_IMPL_H */
