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
 * and ndots, timeout and attempts from resolv.conf (RFC 1035 A queries;
 * IPv4 only, as axnet is). The service part (ports, socket types, the
 * flags about them) is glibc's own: getaddrinfo for 0.0.0.0 with the same
 * hints gives the entries, we put the addresses in. The result is freed by
 * glibc's freeaddrinfo (one block per entry, ai_canonname apart, as
 * glibc allocates them).
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
	struct in_addr ns[MAX_NS];
	int nns;
	char search[MAX_SEARCH][AXP_DNS_NAME_MAX];
	int nsearch;
	int ndots, timeout, attempts;
};

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
			if (v && c->nns < MAX_NS && inet_pton(AF_INET, v, &c->ns[c->nns]) == 1)
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
		c->ns[0].s_addr = htonl(INADDR_LOOPBACK);
		c->nns = 1;
	}
}

/* /etc/hosts: name's IPv4 addresses (every matching line). */
static int from_hosts(const char *name, struct in_addr *out, int max, char *canon)
{
	char line[1024];
	size_t nl = strlen(name);
	FILE *f = fopen("/etc/hosts", "re");
	int k = 0;

	if (nl && name[nl - 1] == '.')
		nl--;
	while (f && k < max && fgets(line, sizeof(line), f)) {
		char *save, *addr, *w, *first = NULL;
		struct in_addr a;

		line[strcspn(line, "#")] = 0;
		addr = strtok_r(line, " \t\r\n", &save);
		if (!addr || inet_pton(AF_INET, addr, &a) != 1)
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

/* One question to one server over axnet: the count, or -errno (-ENOENT:
 * no such name; -EAGAIN: no answer in time; else the socket's error). */
static int ask(struct in_addr ns, const char *name, int timeout_s, struct in_addr *out, int max,
	       char *canon)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(53), .sin_addr = ns };
	uint8_t q[AXP_DNS_MSG_MAX], r[AXP_DNS_MSG_MAX];
	struct timespec t0, now;
	uint16_t id;
	int fd, len, ret = -EAGAIN;

	if (getrandom(&id, sizeof(id), 0) != sizeof(id))
		id = (uint16_t)(time(NULL) ^ (long)&id);
	len = axp_dns_query(q, sizeof(q), id, name);
	if (len < 0)
		return -ENOENT; /* not a name DNS can carry */
	fd = ax_socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ax_connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
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
		k = axp_dns_answer(r, (size_t)n, id, name, out, max, canon);
		if (k == -EPROTO)
			continue; /* not ours (a late or forged answer): wait on */
		ret = k;
		break;
	}
out:
	ax_close(fd);
	return ret;
}

/* One name (already joined with a search domain) through every server,
 * attempts times: count, -ENOENT (no such name, or no A record) or the
 * last error. */
static int ask_all(const struct rconf *c, const char *name, struct in_addr *out, int max,
		   char *canon)
{
	int err = -EAGAIN;

	for (int a = 0; a < c->attempts; a++) {
		for (int i = 0; i < c->nns; i++) {
			int k = ask(c->ns[i], name, c->timeout, out, max, canon);

			if (k > 0)
				return k;
			if (k == 0 || k == -ENOENT)
				return -ENOENT; /* the server's word: next name */
			err = k;
			if (k != -EAGAIN)
				return k; /* axnet refused (policy, no instance) */
		}
	}
	return err;
}

/* The search list as glibc walks it (resolv.conf(5): ndots). */
static int lookup(const char *name, struct in_addr *out, int max, char *canon)
{
	char full[AXP_DNS_NAME_MAX + AXP_DNS_NAME_MAX];
	struct rconf c;
	size_t nl = strlen(name);
	int dots = 0, k, err = -ENOENT;

	k = from_hosts(name, out, max, canon);
	if (k > 0)
		return k;
	read_conf(&c);
	for (const char *p = name; *p; p++)
		dots += *p == '.';
	if ((nl && name[nl - 1] == '.') || dots >= c.ndots) {
		k = ask_all(&c, name, out, max, canon);
		if (k > 0 || k != -ENOENT || (nl && name[nl - 1] == '.'))
			return k;
	}
	for (int i = 0; i < c.nsearch; i++) {
		snprintf(full, sizeof(full), "%s.%s", name, c.search[i]);
		k = ask_all(&c, full, out, max, canon);
		if (k > 0)
			return k;
		if (k != -ENOENT)
			err = k;
	}
	if (dots < c.ndots) {
		k = ask_all(&c, name, out, max, canon);
		if (k > 0 || k != -ENOENT)
			return k;
	}
	return err;
}

static int numeric(const char *node)
{
	struct in6_addr a;

	return inet_pton(AF_INET, node, &a) == 1 || inet_pton(AF_INET6, node, &a) == 1 ||
	       inet_aton(node, (struct in_addr *)&a);
}

AXP_EXPORT int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
			   struct addrinfo **res)
{
	struct in_addr addrs[MAX_ADDRS];
	char canon[AXP_DNS_NAME_MAX] = "";
	struct addrinfo h = { 0 }, *tmpl, *head = NULL, **tail = &head;
	int k, r;

	if (!node || numeric(node) || (hints && (hints->ai_flags & AI_NUMERICHOST)))
		return ax_real_getaddrinfo(node, service, hints, res);
	if (hints)
		h = *hints;
	if (h.ai_family != AF_UNSPEC && h.ai_family != AF_INET)
		return h.ai_family == AF_INET6 ? EAI_NONAME : EAI_FAMILY; /* axnet: IPv4 only */
	/* The service part, glibc's: ports and socket types for any address. */
	h.ai_family = AF_INET;
	h.ai_flags = (h.ai_flags & ~(AI_CANONNAME | AI_ADDRCONFIG | AI_V4MAPPED | AI_ALL)) |
		     AI_NUMERICHOST;
	r = ax_real_getaddrinfo("0.0.0.0", service, &h, &tmpl);
	if (r)
		return r;
	k = lookup(node, addrs, MAX_ADDRS, canon);
	if (k <= 0) {
		ax_real_freeaddrinfo(tmpl);
		if (k == -ENOENT)
			return EAI_NONAME;
		if (k == -EAGAIN || k == 0)
			return EAI_AGAIN;
		errno = -k;
		return EAI_SYSTEM;
	}
	for (int i = 0; i < k; i++) {
		for (struct addrinfo *t = tmpl; t; t = t->ai_next) {
			struct addrinfo *ai = calloc(1, sizeof(*ai) + sizeof(struct sockaddr_in));
			struct sockaddr_in *sin = (struct sockaddr_in *)(ai + 1);

			if (!ai) {
				freeaddrinfo(head);
				ax_real_freeaddrinfo(tmpl);
				return EAI_MEMORY;
			}
			*ai = *t;
			memcpy(sin, t->ai_addr, sizeof(*sin));
			sin->sin_addr = addrs[i];
			ai->ai_addr = (struct sockaddr *)sin;
			ai->ai_addrlen = sizeof(*sin);
			ai->ai_canonname = NULL;
			ai->ai_next = NULL;
			*tail = ai;
			tail = &ai->ai_next;
		}
	}
	ax_real_freeaddrinfo(tmpl);
	if (head && hints && (hints->ai_flags & AI_CANONNAME))
		head->ai_canonname = strdup(canon[0] ? canon : node);
	*res = head;
	return head ? 0 : EAI_NONAME;
}
