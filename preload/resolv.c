/*
 * resolv.c - name resolution of a program under `axnet exec`, over axnet.
 *
 * glibc (2.34 and later) resolves inside libc.so.6: its DNS code calls
 * libc's internal socket/connect/sendto/poll/recvfrom, which no LD_PRELOAD
 * library can interpose, so a stock getaddrinfo() would send its queries
 * through the kernel, unauthorized and unlogged. The lookups programs make
 * are interposed here instead: getaddrinfo, gethostbyname[2][_r] look the
 * name up in /etc/hosts, then ask the nameservers of /etc/resolv.conf
 * (search, ndots, timeout, attempts; IPv4 servers) for A records over an
 * axnet UDP socket, authorized by the policy like any other flow (a rule
 * allowing UDP to the resolver's port 53 is needed). getnameinfo and
 * gethostbyaddr answer numerically / not found: no reverse query leaves
 * through the kernel either. What stays glibc's: numeric names (no
 * lookup), and res_query/res_search/res_send and getaddrinfo_a (their
 * queries go through the kernel: not interposed).
 *
 * No AAAA: the engine has no IPv6 yet (an AF_INET6 socket fails), so
 * AF_INET6 lookups find nothing. AI_ADDRCONFIG is ignored: it asks about
 * the kernel's addresses, not axnet's.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "axnet/socket.h"
#include "dns.h"
#include "preload.h"

#define RES_MAX_NS 3     /* MAXNS, as glibc */
#define RES_MAX_SEARCH 6 /* MAXDNSRCH */
#define RES_MAX_ADDRS 16 /* addresses kept per name */

struct res_conf {
	uint32_t ns[RES_MAX_NS]; /* network order */
	int nns;
	char search[RES_MAX_SEARCH][DNS_NAME_MAX];
	int nsearch;
	int ndots, timeout, attempts;
};

/* /etc/resolv.conf as glibc reads it (resolv.conf(5)), IPv4 servers only. */
static void conf_read(struct res_conf *c)
{
	char line[1024];
	FILE *f;

	memset(c, 0, sizeof(*c));
	c->ndots = 1;
	c->timeout = 5;
	c->attempts = 2;
	f = fopen("/etc/resolv.conf", "re");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			char *save, *w = strtok_r(line, " \t\r\n", &save), *v;
			struct in_addr a;

			if (!w || *w == '#' || *w == ';')
				continue;
			if (!strcmp(w, "nameserver")) {
				v = strtok_r(NULL, " \t\r\n", &save);
				if (v && c->nns < RES_MAX_NS && inet_pton(AF_INET, v, &a) == 1)
					c->ns[c->nns++] = a.s_addr;
			} else if (!strcmp(w, "search") || !strcmp(w, "domain")) {
				c->nsearch = 0; /* the last one wins */
				while ((v = strtok_r(NULL, " \t\r\n", &save)) &&
				       c->nsearch < RES_MAX_SEARCH)
					snprintf(c->search[c->nsearch++], DNS_NAME_MAX, "%s", v);
			} else if (!strcmp(w, "options")) {
				while ((v = strtok_r(NULL, " \t\r\n", &save))) {
					if (!strncmp(v, "ndots:", 6))
						c->ndots = atoi(v + 6) > 15 ? 15 : atoi(v + 6);
					else if (!strncmp(v, "timeout:", 8))
						c->timeout = atoi(v + 8) > 30 ? 30 : atoi(v + 8);
					else if (!strncmp(v, "attempts:", 9))
						c->attempts = atoi(v + 9) > 5 ? 5 : atoi(v + 9);
				}
			}
		}
		fclose(f);
	}
	if (c->timeout < 1)
		c->timeout = 1;
	if (c->attempts < 1)
		c->attempts = 1;
	if (!c->nns) /* no nameserver line: the local one, as glibc */
		c->ns[c->nns++] = htonl(INADDR_LOOPBACK);
}

/* name's IPv4 addresses in /etc/hosts (its canonical name into canon):
 * how many, 0 when it is not there. */
static int hosts_lookup(const char *name, uint32_t *addrs, int max, char canon[DNS_NAME_MAX])
{
	char line[1024];
	int n = 0;
	FILE *f = fopen("/etc/hosts", "re");

	if (!f)
		return 0;
	while (n < max && fgets(line, sizeof(line), f)) {
		char *save, *w, *hash = strchr(line, '#');
		struct in_addr a;

		if (hash)
			*hash = '\0';
		w = strtok_r(line, " \t\r\n", &save);
		if (!w || inet_pton(AF_INET, w, &a) != 1)
			continue;
		while ((w = strtok_r(NULL, " \t\r\n", &save))) {
			if (!strcasecmp(w, name)) {
				if (!n)
					snprintf(canon, DNS_NAME_MAX, "%s", w);
				addrs[n++] = a.s_addr;
				break;
			}
		}
	}
	fclose(f);
	return n;
}

static long ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * One query for fqdn's A records to server ns over an axnet UDP socket,
 * waiting timeout_ms for the answer. Returns the addresses' count (>= 0)
 * with *rcode the answer's, or a negative errno: -ETIMEDOUT, -EACCES (the
 * policy denies the flow), another of the socket's.
 */
static int query_one(uint32_t ns, const char *fqdn, int timeout_ms, uint32_t *addrs, int max,
		     char canon[DNS_NAME_MAX], int *rcode)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(53), .sin_addr = { ns } };
	uint8_t q[DNS_MSG_MAX], r[DNS_MSG_MAX];
	long deadline = ms_now() + timeout_ms;
	uint16_t id;
	int fd, len, n = -ETIMEDOUT, tc;

	if (getrandom(&id, sizeof(id), GRND_NONBLOCK) != sizeof(id))
		id = (uint16_t)(ms_now() ^ getpid());
	len = dns_query(q, sizeof(q), id, fqdn, DNS_TYPE_A);
	if (len < 0)
		return -EINVAL;
	fd = ax_socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ax_connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    ax_send(fd, q, (size_t)len, MSG_NOSIGNAL) < 0) {
		n = -errno;
		goto out;
	}
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long left = deadline - ms_now();
		ssize_t got;

		if (left <= 0)
			break;
		if (ax_poll(&p, 1, (int)left) < 0 && errno != EINTR) {
			n = -errno;
			break;
		}
		got = ax_recv(fd, r, sizeof(r), MSG_DONTWAIT);
		if (got < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			n = -errno; /* ECONNREFUSED: nothing on port 53 there */
			break;
		}
		/* Not an answer to this query (RFC 5452): wait on for it. */
		n = dns_answer_a(r, (size_t)got, id, fqdn, addrs, max, canon, rcode, &tc);
		if (n >= 0)
			break;
		n = -ETIMEDOUT;
	}
out:
	ax_close(fd);
	return n;
}

/*
 * name's IPv4 addresses: /etc/hosts, then DNS as resolv.conf says. The
 * count (> 0) with canon set, or EAI_NONAME (no such name, or no A
 * record), EAI_AGAIN (no server answered; errno says why): glibc's EAI_*
 * are negative.
 */
static int resolve4(const char *in, uint32_t *addrs, int max, char canon[DNS_NAME_MAX])
{
	char name[DNS_NAME_MAX], fqdn[2 * DNS_NAME_MAX];
	struct res_conf c;
	int ncand, i, att, s, dots = 0, absolute, answered = 0, err = ETIMEDOUT;
	size_t len = strlen(in);

	if (len == 0 || len >= DNS_NAME_MAX)
		return EAI_NONAME;
	snprintf(name, sizeof(name), "%s", in);
	absolute = name[len - 1] == '.';
	if (absolute)
		name[len - 1] = '\0';
	i = hosts_lookup(name, addrs, max, canon);
	if (i > 0)
		return i;
	conf_read(&c);
	for (const char *p = name; *p; p++)
		dots += *p == '.';
	/* resolv.conf(5): the name as given first when it has ndots dots
	 * or more, else after the search list; only itself when absolute. */
	ncand = absolute ? 1 : c.nsearch + 1;
	for (int k = 0; k < ncand; k++) {
		int as_is = absolute || (dots >= c.ndots ? k == 0 : k == c.nsearch);
		int si = dots >= c.ndots ? k - 1 : k;

		if (as_is)
			snprintf(fqdn, sizeof(fqdn), "%s", name);
		else
			snprintf(fqdn, sizeof(fqdn), "%s.%s", name, c.search[si]);
		if (strlen(fqdn) >= DNS_NAME_MAX - 1)
			continue;
		for (att = 0; att < c.attempts; att++) {
			int next_name = 0;

			for (s = 0; s < c.nns; s++) {
				int rcode = 0, n = query_one(c.ns[s], fqdn, c.timeout * 1000, addrs, max,
							     canon, &rcode);

				if (n < 0) {
					err = -n;
					continue;
				}
				answered = 1;
				if (rcode == 0 && n > 0)
					return n;
				if (rcode == 0 || rcode == DNS_RCODE_NXDOMAIN) {
					next_name = 1; /* an answer: no such name or no A */
					break;
				}
				/* SERVFAIL, REFUSED...: the next server */
			}
			if (next_name)
				break;
		}
	}
	if (answered)
		return EAI_NONAME;
	errno = err;
	return EAI_AGAIN;
}

/* ---- getaddrinfo ---- */

static int (*real_getaddrinfo)(const char *, const char *, const struct addrinfo *,
			       struct addrinfo **);
static int (*real_getnameinfo)(const struct sockaddr *, socklen_t, char *, socklen_t, char *,
			       socklen_t, int);

static void real_resolve(void)
{
	if (!__atomic_load_n(&real_getaddrinfo, __ATOMIC_ACQUIRE))
		__atomic_store_n(&real_getaddrinfo, dlsym(RTLD_NEXT, "getaddrinfo"),
				 __ATOMIC_RELEASE);
	if (!__atomic_load_n(&real_getnameinfo, __ATOMIC_ACQUIRE))
		__atomic_store_n(&real_getnameinfo, dlsym(RTLD_NEXT, "getnameinfo"),
				 __ATOMIC_RELEASE);
}

/* A name glibc takes as an address without a lookup (inet_aton's forms,
 * or IPv6). */
static int numeric(const char *node)
{
	struct in_addr a;
	struct in6_addr a6;

	return inet_aton(node, &a) || inet_pton(AF_INET6, node, &a6) == 1;
}

AXP_EXPORT int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
			   struct addrinfo **res)
{
	struct addrinfo h = { .ai_family = AF_UNSPEC }, *head = NULL, **tail = &head;
	uint32_t addrs[RES_MAX_ADDRS];
	char canon[DNS_NAME_MAX];
	int n, i, err = 0;

	real_resolve();
	if (!real_getaddrinfo)
		return EAI_SYSTEM;
	if (hints)
		h = *hints;
	/* Addresses, and no node at all, are glibc's: no lookup there. */
	if (!node || (h.ai_flags & AI_NUMERICHOST) || numeric(node))
		return real_getaddrinfo(node, service, hints, res);
	if (h.ai_family != AF_UNSPEC && h.ai_family != AF_INET)
		return h.ai_family == AF_INET6 ? EAI_NONAME : EAI_FAMILY;
	n = resolve4(node, addrs, RES_MAX_ADDRS, canon);
	if (n < 0)
		return n;
	/* Each address through glibc's own numeric path: socket types,
	 * protocols and the service's port as it makes them, freed by its
	 * freeaddrinfo. */
	h.ai_family = AF_INET;
	h.ai_flags = (h.ai_flags & ~(AI_CANONNAME | AI_ADDRCONFIG)) | AI_NUMERICHOST;
	for (i = 0; i < n; i++) {
		char text[INET_ADDRSTRLEN];
		struct addrinfo *part;

		inet_ntop(AF_INET, &addrs[i], text, sizeof(text));
		err = real_getaddrinfo(text, service, &h, &part);
		if (err)
			break;
		*tail = part;
		while (*tail)
			tail = &(*tail)->ai_next;
	}
	if (!err && hints && (hints->ai_flags & AI_CANONNAME) && head) {
		head->ai_canonname = strdup(canon);
		if (!head->ai_canonname)
			err = EAI_MEMORY;
	}
	if (err) {
		if (head)
			freeaddrinfo(head);
		return err;
	}
	*res = head;
	return 0;
}

/* No reverse lookup through the kernel: the address as text (with
 * NI_NAMEREQD, no name). Services are glibc's (/etc/services). */
AXP_EXPORT int getnameinfo(const struct sockaddr *sa, socklen_t salen, char *host,
			   socklen_t hostlen, char *serv, socklen_t servlen, int flags)
{
	real_resolve();
	if (!real_getnameinfo)
		return EAI_SYSTEM;
	if (host && hostlen && !(flags & NI_NUMERICHOST)) {
		if (flags & NI_NAMEREQD)
			return EAI_NONAME;
		flags |= NI_NUMERICHOST;
	}
	return real_getnameinfo(sa, salen, host, hostlen, serv, servlen, flags);
}

/* ---- gethostbyname and family ---- */

/* The hostent of name's IPv4 addresses in buf; 0, or an errno (ERANGE:
 * buf too small) with *herr set (HOST_NOT_FOUND, TRY_AGAIN, NO_RECOVERY). */
static int hostent_fill(const char *name, int af, struct hostent *he, char *buf, size_t len,
			int *herr)
{
	uint32_t addrs[RES_MAX_ADDRS];
	char canon[DNS_NAME_MAX];
	struct in_addr a;
	size_t need, cl;
	char **list, *p;
	int n, i;

	if (af != AF_INET) {
		*herr = HOST_NOT_FOUND; /* no IPv6 yet */
		return ENOENT;
	}
	if (inet_aton(name, &a)) {
		addrs[0] = a.s_addr;
		snprintf(canon, sizeof(canon), "%s", name);
		n = 1;
	} else {
		n = resolve4(name, addrs, RES_MAX_ADDRS, canon);
		if (n < 0) {
			*herr = n == EAI_AGAIN ? TRY_AGAIN : HOST_NOT_FOUND;
			return n == EAI_AGAIN ? EAGAIN : ENOENT;
		}
	}
	cl = strlen(canon) + 1;
	/* Pointers first (aligned): the address list, the (empty) alias
	 * list; then the addresses, then the name. */
	need = (size_t)(n + 1) * sizeof(char *) + sizeof(char *) + (size_t)n * 4 + cl;
	if (!buf || len < need + sizeof(char *)) {
		*herr = NETDB_INTERNAL;
		return ERANGE;
	}
	p = buf + ((sizeof(char *) - ((uintptr_t)buf % sizeof(char *))) % sizeof(char *));
	list = (char **)p;
	he->h_aliases = list + n + 1;
	he->h_aliases[0] = NULL;
	p = (char *)(list + n + 2);
	for (i = 0; i < n; i++) {
		memcpy(p, &addrs[i], 4);
		list[i] = p;
		p += 4;
	}
	list[n] = NULL;
	memcpy(p, canon, cl);
	he->h_name = p;
	he->h_addrtype = AF_INET;
	he->h_length = 4;
	he->h_addr_list = list;
	*herr = 0;
	return 0;
}

AXP_EXPORT int gethostbyname2_r(const char *name, int af, struct hostent *ret, char *buf,
				size_t buflen, struct hostent **result, int *h_errnop)
{
	int herr = 0, err = hostent_fill(name, af, ret, buf, buflen, &herr);

	*result = err ? NULL : ret;
	if (h_errnop)
		*h_errnop = herr;
	return err == ENOENT ? 0 : err; /* not found: 0 with a NULL result, as glibc */
}

AXP_EXPORT int gethostbyname_r(const char *name, struct hostent *ret, char *buf, size_t buflen,
			       struct hostent **result, int *h_errnop)
{
	return gethostbyname2_r(name, AF_INET, ret, buf, buflen, result, h_errnop);
}

/* The non-reentrant ones: one static result, as glibc's (not thread-safe). */
static struct hostent static_he;
static char static_buf[RES_MAX_ADDRS * 16 + DNS_NAME_MAX + 64];

AXP_EXPORT struct hostent *gethostbyname2(const char *name, int af)
{
	struct hostent *r;
	int herr;

	gethostbyname2_r(name, af, &static_he, static_buf, sizeof(static_buf), &r, &herr);
	h_errno = herr;
	return r;
}

AXP_EXPORT struct hostent *gethostbyname(const char *name)
{
	return gethostbyname2(name, AF_INET);
}

/* No reverse lookup through the kernel. */
AXP_EXPORT int gethostbyaddr_r(const void *addr, socklen_t len, int type, struct hostent *ret,
			       char *buf, size_t buflen, struct hostent **result, int *h_errnop)
{
	(void)addr; (void)len; (void)type; (void)ret; (void)buf; (void)buflen;
	*result = NULL;
	if (h_errnop)
		*h_errnop = HOST_NOT_FOUND;
	return 0;
}

AXP_EXPORT struct hostent *gethostbyaddr(const void *addr, socklen_t len, int type)
{
	(void)addr; (void)len; (void)type;
	h_errno = HOST_NOT_FOUND;
	return NULL;
}
