/*
 * flow.c - see flow.h.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "authz/flow.h"

const char *authz_endpoint_fmt(char *buf, size_t len, const struct ip_addr *a, uint16_t port)
{
	char t[IP_ADDR_STRLEN];

	ip_addr_fmt(a, t, sizeof(t));
	snprintf(buf, len, ip_addr_is_v4(a) ? "%s:%u" : "[%s]:%u", t, port);
	return buf;
}

/* The bytes a pol_flow and a flow key hold: IPv4 in the first 4. */
static void addr_bytes(uint8_t out[16], const struct ip_addr *a)
{
	memset(out, 0, 16);
	if (ip_addr_is_v4(a))
		memcpy(out, a->b + 12, 4);
	else
		memcpy(out, a->b, 16);
}

void authz_flow_of(const struct ip_addr *laddr, uint16_t lport, const struct ip_addr *raddr,
		   uint16_t rport, int proto, int inbound, const struct ax_cred *owner,
		   struct pol_flow *f, struct ax_flow_key *k, char *tuple, size_t tlen)
{
	int v4 = ip_addr_is_v4(raddr);

	if (f) {
		memset(f, 0, sizeof(*f));
		f->dir = inbound ? POL_IN : POL_OUT;
		f->proto = (uint8_t)proto;
		f->family = v4 ? AF_INET : AF_INET6;
		addr_bytes(inbound ? f->src : f->dst, raddr);
		addr_bytes(inbound ? f->dst : f->src, laddr);
		f->sport = inbound ? rport : lport;
		f->dport = inbound ? lport : rport;
		f->owner = owner;
	}
	if (k) {
		memset(k, 0, sizeof(*k));
		k->family = v4 ? AX_AF_INET : AX_AF_INET6;
		k->proto = (uint8_t)proto;
		k->lport = htons(lport);
		k->rport = htons(rport);
		addr_bytes(k->laddr, laddr);
		addr_bytes(k->raddr, raddr);
	}
	if (tuple) {
		char l[IP_ADDR_STRLEN + 10], r[IP_ADDR_STRLEN + 10];

		snprintf(tuple, tlen, "local=%s remote=%s", authz_endpoint_fmt(l, sizeof(l), laddr, lport),
			 authz_endpoint_fmt(r, sizeof(r), raddr, rport));
	}
}
