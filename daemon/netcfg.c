/*
 * netcfg.c - see netcfg.h.
 */
#include "daemon/netcfg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "axnet/xdp_shared.h"
#include "util/log.h"
#include "xdp_prog.h"

int netcfg_add_addr(struct netcfg *c, const char *text)
{
	struct ip_addr a;
	uint8_t plen;
	unsigned int i;

	{
		char buf[IP_ADDR_STRLEN + 8];
		const char *slash = strchr(text, '/');
		char *end;
		unsigned long n;

		if (!slash || (size_t)(slash - text) >= IP_ADDR_STRLEN)
			goto bad;
		memcpy(buf, text, (size_t)(slash - text));
		buf[slash - text] = '\0';
		if (ip_addr_parse(buf, &a) || slash[1] < '0' || slash[1] > '9')
			goto bad;
		errno = 0;
		n = strtoul(slash + 1, &end, 10);
		if (errno || *end || n > (ip_addr_is_v4(&a) ? 32u : 128u))
			goto bad;
		plen = (uint8_t)n;
	}
	for (i = 0; i < c->naddr; i++) {
		if (ip_addr_eq(&c->addr[i].a, &a)) {
			fprintf(stderr, "axnet run: --addr '%s' given twice\n", text);
			return -EINVAL;
		}
	}
	if (c->naddr == AX_ADDRS_MAX - 1) { /* one slot for the link-local */
		fprintf(stderr, "axnet run: --addr '%s': at most %u addresses\n", text,
			AX_ADDRS_MAX - 1);
		return -EINVAL;
	}
	c->addr[c->naddr].a = a;
	c->addr[c->naddr].plen = plen;
	c->addr[c->naddr].text = text;
	c->naddr++;
	return 0;
bad:
	fprintf(stderr, "axnet run: --addr wants A.B.C.D/P or IPv6/P, got '%s'\n", text);
	return -EINVAL;
}

int netcfg_add_gw(struct netcfg *c, const char *text)
{
	struct ip_addr g;
	int f;

	if (ip_addr_parse(text, &g) || ip_addr_is_any(&g)) {
		fprintf(stderr, "axnet run: --gw wants an IPv4 or IPv6 address, got '%s'\n",
			text);
		return -EINVAL;
	}
	f = ip_addr_is_v4(&g) ? 0 : 1;
	if (c->gw_text[f]) {
		fprintf(stderr, "axnet run: --gw '%s': one default gateway per family, "
			"already '%s'\n", text, c->gw_text[f]);
		return -EINVAL;
	}
	c->gw[f] = g;
	c->gw_text[f] = text;
	return 0;
}

int netcfg_add_route(struct netcfg *c, const char *prefix, const char *via)
{
	struct ip_addr d, g;
	uint8_t plen;

	if (route_parse_prefix(prefix, 0, &d, &plen)) {
		fprintf(stderr, "axnet run: --route wants PREFIX/LEN via ADDR (host bits zero), "
			"got '%s'\n", prefix);
		return -EINVAL;
	}
	if (!via || ip_addr_parse(via, &g) || ip_addr_is_any(&g)) {
		fprintf(stderr, "axnet run: --route %s: wants 'via ADDR', got '%s'\n", prefix,
			via ? via : "");
		return -EINVAL;
	}
	if (ip_addr_family(&d) != ip_addr_family(&g)) {
		fprintf(stderr, "axnet run: --route %s via %s: the gateway is of the other "
			"family\n", prefix, via);
		return -EINVAL;
	}
	if (c->nroute == AX_ROUTES_MAX) {
		fprintf(stderr, "axnet run: --route %s: at most %u routes\n", prefix,
			AX_ROUTES_MAX);
		return -EINVAL;
	}
	c->route[c->nroute].dst = d;
	c->route[c->nroute].plen = plen;
	c->route[c->nroute].via = g;
	c->route[c->nroute].text = prefix;
	c->route[c->nroute].via_text = via;
	c->nroute++;
	return 0;
}

static const char *why(int err)
{
	switch (err) {
	case -ENETUNREACH: return "the gateway is not on the link (no address of ours holds its prefix)";
	case -EINVAL: return "not a usable address here";
	case -EEXIST: return "given twice";
	case -ENOSPC: return "the table is full";
	default: return strerror(-err);
	}
}

int netcfg_apply(const struct netcfg *c, struct ax_stack *s)
{
	unsigned int i;
	int err;

	for (i = 0; i < c->naddr; i++) {
		err = stack_addr_add(s, &c->addr[i].a, c->addr[i].plen, STACK_ADDR_F_STATIC);
		if (err)
			return log_err(err, "--addr %s: %s", c->addr[i].text, why(err));
	}
	/* RFC 4862 5.3: every interface has its link-local address. */
	err = stack_addr_add_linklocal(s);
	if (err && err != -EEXIST)
		return log_err(err, "the link-local address: %s", why(err));
	for (i = 0; i < 2; i++) {
		if (!c->gw_text[i])
			continue;
		err = stack_gw_add(s, &c->gw[i]);
		if (err)
			return log_err(err, "--gw %s: %s", c->gw_text[i],
				       err == -EINVAL ? "one of our addresses, or not a unicast address"
						      : why(err));
	}
	for (i = 0; i < c->nroute; i++) {
		err = stack_route_add(s, &c->route[i].dst, c->route[i].plen, &c->route[i].via);
		if (err)
			return log_err(err, "--route %s via %s: %s", c->route[i].text,
				       c->route[i].via_text,
				       err == -EINVAL ? "the gateway is one of our addresses"
						      : why(err));
	}
	return 0;
}

static void key_of(const struct stack_addr *a, struct ax_addr_key *k)
{
	memset(k, 0, sizeof(*k));
	if (ip_addr_is_v4(&a->a)) {
		k->family = AX_AF_INET;
		memcpy(k->addr, a->a.b + 12, 4);
	} else {
		k->family = AX_AF_INET6;
		memcpy(k->addr, a->a.b, 16);
	}
}

/*
 * The solicited-node groups (RFC 4291 2.7.1) of our IPv6 addresses, in
 * XDP's `addrs` map from the start of DAD (RFC 4862 5.4.2: a tentative
 * address's group is joined, so another node's probe for it reaches us)
 * until the last address with the same low 24 bits goes: a link-local and
 * a SLAAC address share theirs. XDP takes only ICMPv6 to a group.
 */
static struct {
	uint8_t low[3];
	unsigned int n; /* 0: free */
} sn_groups[AX_ADDRS_MAX];

static void sn_group(struct xdp_prog *p, const struct stack_addr *a, int join)
{
	static const uint8_t pfx[13] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff };
	struct ax_addr_key k;
	unsigned int i, freeslot = AX_ADDRS_MAX;
	char txt[IP_ADDR_STRLEN];
	struct ip_addr g;
	int err;

	for (i = 0; i < AX_ADDRS_MAX; i++) {
		if (sn_groups[i].n && memcmp(sn_groups[i].low, a->a.b + 13, 3) == 0)
			break;
		if (!sn_groups[i].n && freeslot == AX_ADDRS_MAX)
			freeslot = i;
	}
	if (join) {
		if (i < AX_ADDRS_MAX) {
			sn_groups[i].n++;
			return;
		}
		if (freeslot == AX_ADDRS_MAX)
			return; /* cannot happen: one group per address at most */
		memcpy(sn_groups[freeslot].low, a->a.b + 13, 3);
		sn_groups[freeslot].n = 1;
	} else {
		if (i == AX_ADDRS_MAX || --sn_groups[i].n)
			return;
	}
	memset(&k, 0, sizeof(k));
	k.family = AX_AF_INET6;
	memcpy(k.addr, pfx, 13);
	memcpy(k.addr + 13, a->a.b + 13, 3);
	memcpy(g.b, k.addr, 16);
	ip_addr_fmt(&g, txt, sizeof(txt));
	err = join ? xdp_prog_add_addr(p, &k) : xdp_prog_del_addr(p, &k);
	if (err && err != -ENOENT)
		log_err(err, "cannot %s the group %s in XDP: %s", join ? "publish" : "withdraw",
			txt, strerror(-err));
}

/* All-nodes (ff02::1): XDP takes router and neighbor advertisements to it
 * once axnet runs IPv6; it always does from then on (its link-local). */
static void all_nodes(struct xdp_prog *p)
{
	static int joined;
	struct ax_addr_key k = { .family = AX_AF_INET6,
				 .addr = { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 } };
	int err;

	if (joined)
		return;
	err = xdp_prog_add_addr(p, &k);
	if (err)
		log_err(err, "cannot publish ff02::1 to XDP: %s", strerror(-err));
	else
		joined = 1;
}

void netcfg_addr_event(void *arg, const struct stack_addr *a, enum stack_addr_event ev)
{
	struct xdp_prog *p = arg;
	struct ax_addr_key k;
	char txt[IP_ADDR_STRLEN];
	int err;

	if (!p)
		return;
	if (!ip_addr_is_v4(&a->a)) {
		if (ev == STACK_ADDR_DAD_START) {
			all_nodes(p);
			sn_group(p, a, 1);
			return;
		}
		if (ev == STACK_ADDR_DAD_FAILED || ev == STACK_ADDR_GONE)
			sn_group(p, a, 0);
	}
	key_of(a, &k);
	ip_addr_fmt(&a->a, txt, sizeof(txt));
	/* XDP hands axnet the frames for usable addresses only: a
	 * duplicate belongs to its other holder, a gone one to the kernel. */
	if (ev == STACK_ADDR_USABLE) {
		err = xdp_prog_add_addr(p, &k);
		if (err)
			log_err(err, "cannot publish %s to XDP: %s", txt, strerror(-err));
	} else {
		err = xdp_prog_del_addr(p, &k);
		if (err && err != -ENOENT)
			log_err(err, "cannot withdraw %s from XDP: %s", txt, strerror(-err));
	}
}

int netcfg_publish(struct ax_stack *s, struct xdp_prog *p)
{
	struct ax_addr_key k;
	unsigned int i;
	int err;

	if (!p)
		return 0;
	for (i = 0; i < AX_ADDRS_MAX; i++) {
		if (!stack_addr_usable(&s->addrs[i]))
			continue;
		key_of(&s->addrs[i], &k);
		err = xdp_prog_add_addr(p, &k);
		if (err)
			return err;
	}
	return 0;
}
