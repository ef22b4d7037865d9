/*
 * resolve.c - getaddrinfo for names, over axnet.
 *
 * glibc's resolver makes its UDP sockets with its internal calls
 * (__socket, __sendmmsg...), which no preloaded library can interpose:
 * left alone, a program's DNS lookups would go out on the kernel's
 * network, unauthorized and unlogged. So getaddrinfo is interposed: a
 * name (not a numeric address) is looked up in /etc/hosts, then asked of
 * /etc/resolv.conf's IPv4 name servers over an axnet UDP socket (the
 * policy must allow UDP to their port 53), as glibc would: search list
 * and ndots, timeout and attempts from resolv.conf; A queries for AF_INET,
 * AAAA (RFC 3596) for AF_INET6, both for AF_UNSPEC (AI_V4MAPPED and AI_ALL
 * as RFC 3493 6.1 says). Several addresses are ordered as glibc orders
 * them (RFC 3484 destination address selection, glibc's default tables,
 * gai.conf not read): each is probed with a connected axnet UDP socket, as
 * glibc probes with a kernel one, so an address axnet has no route or no
 * source address for goes last and, when both families are usable, IPv6
 * comes first. The service part (ports, socket types, the flags about
 * them) is glibc's own: getaddrinfo for 0.0.0.0 or :: with the same hints
 * gives the entries, we put the addresses in. The result is freed by
 * glibc's freeaddrinfo (one block per entry, ai_canonname apart, as glibc
 * allocates them). AI_ADDRCONFIG is not applied (the probe's order does
 * what it is for).
 *
 * Not interposed: gethostbyname and its family, getnameinfo (reverse
 * lookups), res_query: they use the kernel's network. Names that are
 * numeric addresses go to glibc untouched.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>

#include "axnet/socket.h"
#include "dns.h"
#include "preload.h"

#define MAX_ADDRS 32
#define MAX_NS 3     /* resolv.h MAXNS */
#define MAX_SEARCH 6 /* resolv.h MAXDNSRCH */

struct rconf {
	struct axp_addr ns[MAX_NS];
	int nns;
	char search[MAX_SEARCH][AXP_DNS_NAME_MAX];
	int nsearch;
	int ndots, timeout, attempts;
};

/* Text to an address of either family (IPv4 first, as glibc reads them). */
static int parse_addr(const char *s, struct axp_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, &a->u.v4) == 1) {
		a->family = AF_INET;
		return 1;
	}
	if (inet_pton(AF_INET6, s, &a->u.v6) == 1) {
		a->family = AF_INET6;
		return 1;
	}
	return 0;
}

/* resolv.conf(5), the parts that matter here; glibc's defaults. */
static void read_conf(struct rconf *c)
{
	char line[1024];
	FILE *f;

	memset(c, 0, sizeof(*c));
	c->ndots = 1;
	c->timeout = 5;
	c->attempts = 2;
	f = fopen("/etc/resolv.conf", "re");
	while (f && fgets(line, sizeof(line), f)) {
		char *save, *w = strtok_r(line, " \t\r\n", &save), *v;

		if (!w || *w == '#' || *w == ';')
			continue;
		if (!strcmp(w, "nameserver")) {
			v = strtok_r(NULL, " \t\r\n", &save);
			if (v && c->nns < MAX_NS && parse_addr(v, &c->ns[c->nns]))
				c->nns++;
		} else if (!strcmp(w, "search") || !strcmp(w, "domain")) {
			c->nsearch = 0; /* the last one wins */
			while ((v = strtok_r(NULL, " \t\r\n", &save)) && c->nsearch < MAX_SEARCH)
				snprintf(c->search[c->nsearch++], AXP_DNS_NAME_MAX, "%s", v);
		} else if (!strcmp(w, "options")) {
			while ((v = strtok_r(NULL, " \t\r\n", &save))) {
				if (!strncmp(v, "ndots:", 6))
					c->ndots = atoi(v + 6);
				else if (!strncmp(v, "timeout:", 8))
					c->timeout = atoi(v + 8) > 0 ? atoi(v + 8) : 1;
				else if (!strncmp(v, "attempts:", 9))
					c->attempts = atoi(v + 9) > 0 ? atoi(v + 9) : 1;
			}
		}
	}
	if (f)
		fclose(f);
	if (!c->nns) {
		c->ns[0].family = AF_INET;
		c->ns[0].u.v4.s_addr = htonl(INADDR_LOOPBACK);
		c->nns = 1;
	}
}

/* /etc/hosts: name's addresses of family (AF_UNSPEC: both), every
 * matching line in the file's order. */
static int from_hosts(const char *name, int family, struct axp_addr *out, int max, char *canon)
{
	char line[1024];
	size_t nl = strlen(name);
	FILE *f = fopen("/etc/hosts", "re");
	int k = 0;

	if (nl && name[nl - 1] == '.')
		nl--;
	while (f && k < max && fgets(line, sizeof(line), f)) {
		char *save, *addr, *w, *first = NULL;
		struct axp_addr a;

		line[strcspn(line, "#")] = 0;
		addr = strtok_r(line, " \t\r\n", &save);
		if (!addr || !parse_addr(addr, &a) || (family != AF_UNSPEC && a.family != family))
			continue;
		while ((w = strtok_r(NULL, " \t\r\n", &save))) {
			if (!first)
				first = w;
			if (strlen(w) == nl && !strncasecmp(w, name, nl)) {
				if (!k && canon)
					snprintf(canon, AXP_DNS_NAME_MAX, "%s", first);
				out[k++] = a;
				break;
			}
		}
	}
	if (f)
		fclose(f);
	return k;
}

/* A socket address for a and port (host order), as the kernel takes it. */
union axp_sa {
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;
};

static socklen_t sockaddr_of(const struct axp_addr *a, uint16_t port, union axp_sa *sa)
{
	memset(sa, 0, sizeof(*sa));
	if (a->family == AF_INET6) {
		sa->v6.sin6_family = AF_INET6;
		sa->v6.sin6_port = htons(port);
		sa->v6.sin6_addr = a->u.v6;
		return sizeof(sa->v6);
	}
	sa->v4.sin_family = AF_INET;
	sa->v4.sin_port = htons(port);
	sa->v4.sin_addr = a->u.v4;
	return sizeof(sa->v4);
}

/* One question to one server over axnet: the count, or -errno (-ENOENT:
 * no such name; -EAGAIN: no answer in time; else the socket's error). */
static int ask(const struct axp_addr *ns, const char *name, int qtype, int timeout_s,
	       struct axp_addr *out, int max, char *canon)
{
	union axp_sa sa;
	uint8_t q[AXP_DNS_MSG_MAX], r[AXP_DNS_MSG_MAX];
	struct timespec t0, now;
	socklen_t salen;
	uint16_t id;
	int fd, len, ret = -EAGAIN;

	salen = sockaddr_of(ns, 53, &sa);
	if (getrandom(&id, sizeof(id), 0) != sizeof(id))
		id = (uint16_t)(time(NULL) ^ (long)&id);
	len = axp_dns_query(q, sizeof(q), id, name, qtype);
	if (len < 0)
		return -ENOENT; /* not a name DNS can carry */
	fd = ax_socket(ns->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ax_connect(fd, (struct sockaddr *)&sa, salen) < 0 ||
	    ax_send(fd, q, (size_t)len, MSG_NOSIGNAL) != len) {
		ret = -errno;
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long left;
		ssize_t n;
		int k;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = timeout_s * 1000L - ((now.tv_sec - t0.tv_sec) * 1000L +
					    (now.tv_nsec - t0.tv_nsec) / 1000000L);
		if (left <= 0)
			break;
		k = ax_poll(&p, 1, (int)left);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		n = ax_recv(fd, r, sizeof(r), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			ret = errno == ECONNREFUSED ? -EAGAIN : -errno;
			break;
		}
		k = axp_dns_answer(r, (size_t)n, id, name, qtype, out, max, canon);
		if (k == -EPROTO)
			continue; /* not ours (a late or forged answer): wait on */
		ret = k;
		break;
	}
out:
	ax_close(fd);
	return ret;
}

/* One name (already joined with a search domain) and one qtype through
 * every server, attempts times: count, 0 (the name exists, no record of
 * that type), -ENOENT (no such name) or the last error. */
static int ask_all(const struct rconf *c, const char *name, int qtype, struct axp_addr *out,
		   int max, char *canon)
{
	int err = -EAGAIN;

	for (int a = 0; a < c->attempts; a++) {
		for (int i = 0; i < c->nns; i++) {
			int k = ask(&c->ns[i], name, qtype, c->timeout, out, max, canon);

			if (k >= 0 || k == -ENOENT)
				return k; /* the server's word */
			err = k;
			if (k != -EAGAIN)
				return k; /* axnet refused (policy, no instance) */
		}
	}
	return err;
}

/*
 * One name's addresses of family as glibc's getaddrinfo asks for them:
 * AF_INET A, AF_INET6 AAAA (then A when v4mapped is 1: only if no AAAA;
 * 2 (AI_ALL): always), AF_UNSPEC A then AAAA (glibc sends both). IPv4
 * answers to an AF_INET6 question come back mapped. Count, or -ENOENT
 * (no such name, or no address of the families asked) or an error.
 */
static int ask_name(const struct rconf *c, const char *name, int family, int v4mapped,
		    struct axp_addr *out, int max, char *canon)
{
	int k4 = 0, k6 = 0, first;

	if (family == AF_INET || family == AF_UNSPEC) {
		k4 = ask_all(c, name, AXP_DNS_A, out, max, canon);
		if (k4 < 0)
			return k4;
	}
	if (family == AF_INET6 || family == AF_UNSPEC) {
		k6 = ask_all(c, name, AXP_DNS_AAAA, out + k4, max - k4, canon);
		if (k6 < 0)
			return k4 > 0 ? k4 : k6; /* glibc keeps the A answers */
		if (family == AF_INET6 && (v4mapped == 2 || (v4mapped && !k6))) {
			first = k6;
			k4 = ask_all(c, name, AXP_DNS_A, out + k6, max - k6, k6 ? NULL : canon);
			if (k4 < 0)
				k4 = 0;
			for (int i = first; i < first + k4; i++) {
				struct in_addr v4 = out[i].u.v4;

				memset(&out[i], 0, sizeof(out[i]));
				out[i].family = AF_INET6;
				out[i].u.v6.s6_addr[10] = out[i].u.v6.s6_addr[11] = 0xff;
				memcpy(&out[i].u.v6.s6_addr[12], &v4, 4);
			}
		}
	}
	return k4 + k6 > 0 ? k4 + k6 : -ENOENT;
}

/* The search list as glibc walks it (resolv.conf(5): ndots). */
static int lookup(const char *name, int family, int v4mapped, struct axp_addr *out, int max,
		  char *canon)
{
	char full[AXP_DNS_NAME_MAX + AXP_DNS_NAME_MAX];
	struct rconf c;
	size_t nl = strlen(name);
	int dots = 0, k, err = -ENOENT;

	k = from_hosts(name, family, out, max, canon);
	if (k > 0)
		return k;
	read_conf(&c);
	for (const char *p = name; *p; p++)
		dots += *p == '.';
	if ((nl && name[nl - 1] == '.') || dots >= c.ndots) {
		k = ask_name(&c, name, family, v4mapped, out, max, canon);
		if (k > 0 || k != -ENOENT || (nl && name[nl - 1] == '.'))
			return k;
	}
	for (int i = 0; i < c.nsearch; i++) {
		snprintf(full, sizeof(full), "%s.%s", name, c.search[i]);
		k = ask_name(&c, full, family, v4mapped, out, max, canon);
		if (k > 0)
			return k;
		if (k != -ENOENT)
			err = k;
	}
	if (dots < c.ndots) {
		k = ask_name(&c, name, family, v4mapped, out, max, canon);
		if (k > 0 || k != -ENOENT)
			return k;
	}
	return err;
}

/* ---- destination address selection (RFC 3484 section 6, as glibc) ---- */

struct cand {
	struct in6_addr dst, src; /* IPv4 as ::ffff:a.b.c.d */
	int usable, idx;
};

struct pfx_val {
	uint8_t p[16];
	int len, val;
};

/* glibc's default_labels and default_precedence (sysdeps/posix/getaddrinfo.c),
 * longest prefix first. */
static const struct pfx_val labels[] = {
	{ { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 }, 128, 0 },
	{ { 0x20, 0x02 }, 16, 2 },
	{ { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff }, 96, 4 },
	{ { 0 }, 96, 3 },
	{ { 0xfe, 0xc0 }, 10, 5 },
	{ { 0xfc }, 7, 6 },
	{ { 0x20, 0x01 }, 32, 7 },
	{ { 0 }, 0, 1 },
};
static const struct pfx_val precedence[] = {
	{ { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 }, 128, 50 },
	{ { 0x20, 0x02 }, 16, 30 },
	{ { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff }, 96, 10 },
	{ { 0 }, 96, 20 },
	{ { 0 }, 0, 40 },
};

static int in_prefix(const struct in6_addr *a, const uint8_t *p, int len)
{
	int full = len / 8, rest = len % 8;

	if (memcmp(a->s6_addr, p, (size_t)full))
		return 0;
	return !rest || !((a->s6_addr[full] ^ p[full]) & (0xff << (8 - rest)));
}

static int table_val(const struct pfx_val *t, size_t n, const struct in6_addr *a)
{
	int best = -1, val = 0;

	for (size_t i = 0; i < n; i++)
		if (t[i].len > best && in_prefix(a, t[i].p, t[i].len)) {
			best = t[i].len;
			val = t[i].val;
		}
	return val;
}

/* glibc get_scope: multicast's own, link-local (and loopback) 2,
 * site-local 5, else global 14; IPv4 loopback and 169.254/16 link-local. */
static int scope_of(const struct in6_addr *a)
{
	if (IN6_IS_ADDR_V4MAPPED(a)) {
		uint8_t b0 = a->s6_addr[12], b1 = a->s6_addr[13];

		return b0 == 127 || (b0 == 169 && b1 == 254) ? 2 : 14;
	}
	if (IN6_IS_ADDR_MULTICAST(a))
		return a->s6_addr[1] & 0x0f;
	if (IN6_IS_ADDR_LINKLOCAL(a) || IN6_IS_ADDR_LOOPBACK(a))
		return 2;
	if (IN6_IS_ADDR_SITELOCAL(a))
		return 5;
	return 14;
}

static int cand_cmp(const void *pa, const void *pb)
{
	const struct cand *a = pa, *b = pb;
	int d;

	/* Rule 1: avoid unusable destinations. */
	if (a->usable != b->usable)
		return b->usable - a->usable;
	if (a->usable) {
		int sa = scope_of(&a->dst), sb = scope_of(&b->dst);
		int ma, mb;

		/* Rule 2: prefer matching scope. */
		ma = sa == scope_of(&a->src);
		mb = sb == scope_of(&b->src);
		if (ma != mb)
			return mb - ma;
		/* Rule 5: prefer matching label. */
		ma = table_val(labels, sizeof(labels) / sizeof(labels[0]), &a->dst) ==
		     table_val(labels, sizeof(labels) / sizeof(labels[0]), &a->src);
		mb = table_val(labels, sizeof(labels) / sizeof(labels[0]), &b->dst) ==
		     table_val(labels, sizeof(labels) / sizeof(labels[0]), &b->src);
		if (ma != mb)
			return mb - ma;
		/* Rule 6: prefer higher precedence. */
		d = table_val(precedence, sizeof(precedence) / sizeof(precedence[0]), &b->dst) -
		    table_val(precedence, sizeof(precedence) / sizeof(precedence[0]), &a->dst);
		if (d)
			return d;
		/* Rule 8: prefer smaller scope. */
		if (sa != sb)
			return sa - sb;
	}
	/* Rule 10: otherwise, leave the order unchanged. */
	return a->idx - b->idx;
}

static void to_mapped(const struct axp_addr *a, struct in6_addr *out)
{
	if (a->family == AF_INET6) {
		*out = a->u.v6;
		return;
	}
	memset(out, 0, sizeof(*out));
	out->s6_addr[10] = out->s6_addr[11] = 0xff;
	memcpy(&out->s6_addr[12], &a->u.v4, 4);
}

/* Is a reachable through axnet, and from which source? A UDP socket
 * connected to it (no packet is sent), as glibc's rule 1 probe. */
static void probe(const struct axp_addr *a, struct cand *c)
{
	union axp_sa sa, src;
	socklen_t len;
	int fd, saved = errno;

	len = sockaddr_of(a, 9, &sa);
	c->usable = 0;
	fd = ax_socket(a->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto out;
	if (ax_connect(fd, (struct sockaddr *)&sa, len) == 0) {
		len = sizeof(src);
		if (ax_getsockname(fd, (struct sockaddr *)&src, &len) == 0) {
			struct axp_addr s = { .family = src.v4.sin_family };

			if (s.family == AF_INET6)
				s.u.v6 = src.v6.sin6_addr;
			else
				s.u.v4 = src.v4.sin_addr;
			to_mapped(&s, &c->src);
			c->usable = 1;
		}
	}
	ax_close(fd);
out:
	errno = saved;
}

/* Order addrs[0..k) as glibc's rfc3484_sort would. */
static void sort_addrs(struct axp_addr *addrs, int k)
{
	struct cand c[MAX_ADDRS];
	struct axp_addr tmp[MAX_ADDRS];

	if (k < 2)
		return;
	for (int i = 0; i < k; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		to_mapped(&addrs[i], &c[i].dst);
		c[i].idx = i;
		probe(&addrs[i], &c[i]);
	}
	qsort(c, (size_t)k, sizeof(c[0]), cand_cmp);
	memcpy(tmp, addrs, sizeof(addrs[0]) * (size_t)k);
	for (int i = 0; i < k; i++)
		addrs[i] = tmp[c[i].idx];
}

static int numeric(const char *node)
{
	const char *pct = strchr(node, '%');
	char head[INET6_ADDRSTRLEN];
	struct in6_addr a;

	/* "fe80::1%eth0" (RFC 4007 11): glibc's numeric form with a scope,
	 * which it resolves to sin6_scope_id; never a name to ask DNS. */
	if (pct && (size_t)(pct - node) < sizeof(head)) {
		memcpy(head, node, (size_t)(pct - node));
		head[pct - node] = 0;
		return inet_pton(AF_INET6, head, &a) == 1;
	}
	return inet_pton(AF_INET, node, &a) == 1 || inet_pton(AF_INET6, node, &a) == 1 ||
	       inet_aton(node, (struct in_addr *)&a);
}

/* glibc's entries (socket type, protocol, port) for one family, from a
 * numeric lookup of that family's any address. */
static int templ(int family, const char *service, const struct addrinfo *hints,
		 struct addrinfo **out)
{
	struct addrinfo h = hints ? *hints : (struct addrinfo){ 0 };

	h.ai_family = family;
	h.ai_flags = (h.ai_flags & ~(AI_CANONNAME | AI_ADDRCONFIG | AI_V4MAPPED | AI_ALL)) |
		     AI_NUMERICHOST;
	return ax_real_getaddrinfo(family == AF_INET6 ? "::" : "0.0.0.0", service, &h, out);
}

AXP_EXPORT int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
			   struct addrinfo **res)
{
	struct axp_addr addrs[MAX_ADDRS];
	char canon[AXP_DNS_NAME_MAX] = "";
	struct addrinfo *t4 = NULL, *t6 = NULL, *head = NULL, **tail = &head;
	int k, r, family = hints ? hints->ai_family : AF_UNSPEC, v4mapped = 0;

	if (!node || numeric(node) || (hints && (hints->ai_flags & AI_NUMERICHOST)))
		return ax_real_getaddrinfo(node, service, hints, res);
	if (family != AF_UNSPEC && family != AF_INET && family != AF_INET6)
		return EAI_FAMILY;
	if (family == AF_INET6 && (hints->ai_flags & AI_V4MAPPED))
		v4mapped = hints->ai_flags & AI_ALL ? 2 : 1;
	/* The service part, glibc's: ports and socket types for any address. */
	if (family != AF_INET6) {
		r = templ(AF_INET, service, hints, &t4);
		if (r)
			return r;
	}
	if (family != AF_INET) {
		r = templ(AF_INET6, service, hints, &t6);
		if (r) {
			if (t4)
				ax_real_freeaddrinfo(t4);
			return r;
		}
	}
	k = lookup(node, family, v4mapped, addrs, MAX_ADDRS, canon);
	if (k <= 0) {
		r = k == -ENOENT ? EAI_NONAME : k == -EAGAIN || k == 0 ? EAI_AGAIN : EAI_SYSTEM;
		goto out;
	}
	sort_addrs(addrs, k);
	for (int i = 0; i < k; i++) {
		for (struct addrinfo *t = addrs[i].family == AF_INET6 ? t6 : t4; t; t = t->ai_next) {
			size_t alen = addrs[i].family == AF_INET6 ? sizeof(struct sockaddr_in6)
								  : sizeof(struct sockaddr_in);
			struct addrinfo *ai = calloc(1, sizeof(*ai) + alen);

			if (!ai) {
				freeaddrinfo(head);
				head = NULL;
				r = EAI_MEMORY;
				goto out;
			}
			*ai = *t;
			memcpy(ai + 1, t->ai_addr, alen);
			if (addrs[i].family == AF_INET6)
				((struct sockaddr_in6 *)(ai + 1))->sin6_addr = addrs[i].u.v6;
			else
				((struct sockaddr_in *)(ai + 1))->sin_addr = addrs[i].u.v4;
			ai->ai_addr = (struct sockaddr *)(ai + 1);
			ai->ai_addrlen = (socklen_t)alen;
			ai->ai_canonname = NULL;
			ai->ai_next = NULL;
			*tail = ai;
			tail = &ai->ai_next;
		}
	}
	r = head ? 0 : EAI_NONAME;
	if (head && hints && (hints->ai_flags & AI_CANONNAME))
		head->ai_canonname = strdup(canon[0] ? canon : node);
	*res = head;
out:
	if (t4)
		ax_real_freeaddrinfo(t4);
	if (t6)
		ax_real_freeaddrinfo(t6);
	if (r == EAI_SYSTEM)
		errno = -k;
	return r;
}
