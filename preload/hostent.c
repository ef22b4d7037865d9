/*
 * hostent.c - the older lookups, over axnet too: gethostbyname,
 * gethostbyname2 and their _r forms answer from resolve.c's getaddrinfo
 * (/etc/hosts, then DNS through an axnet socket); gethostbyaddr and
 * getnameinfo make no reverse query (glibc's would leave through the
 * kernel, out of the policy's and the log's sight, as resolve.c explains):
 * getnameinfo gives the address as text (NI_NAMEREQD: EAI_NONAME),
 * gethostbyaddr finds nothing. gethostbyname2 takes AF_INET and AF_INET6
 * (AAAA records, 16-byte addresses); other families find nothing.
 * res_query and its family stay glibc's (kernel sockets).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netdb.h>
#include <stdint.h>
#include <string.h>

#include "preload.h"

#define HOSTENT_MAX_ADDRS 16

/*
 * name's hostent in buf (aligned pointers first: the address list, the
 * empty alias list; then the addresses, then the name). 0; ENOENT (not
 * found: *herr HOST_NOT_FOUND), EAGAIN (TRY_AGAIN), ERANGE (buf too small:
 * NETDB_INTERNAL, as glibc, so the caller grows it), another errno
 * (NO_RECOVERY).
 */
static int hostent_fill(const char *name, int af, struct hostent *he, char *buf, size_t len,
			int *herr)
{
	struct addrinfo hints = { .ai_family = af, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_CANONNAME },
			*res, *ai;
	struct in6_addr addrs[HOSTENT_MAX_ADDRS];
	size_t alen = af == AF_INET6 ? 16 : 4;
	const char *canon;
	size_t need, cl, pad;
	char **list, *p;
	int n = 0, r;

	if (af != AF_INET && af != AF_INET6) {
		*herr = HOST_NOT_FOUND;
		return ENOENT;
	}
	r = getaddrinfo(name, NULL, &hints, &res);
	if (r) {
		*herr = r == EAI_NONAME ? HOST_NOT_FOUND : r == EAI_AGAIN ? TRY_AGAIN : NO_RECOVERY;
		return r == EAI_NONAME ? ENOENT : r == EAI_AGAIN ? EAGAIN
		       : r == EAI_SYSTEM ? errno : EINVAL;
	}
	for (ai = res; ai && n < HOSTENT_MAX_ADDRS; ai = ai->ai_next) {
		if (ai->ai_family != af)
			continue;
		if (af == AF_INET6)
			addrs[n++] = ((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
		else
			memcpy(&addrs[n++], &((struct sockaddr_in *)ai->ai_addr)->sin_addr, 4);
	}
	canon = res->ai_canonname ? res->ai_canonname : name;
	cl = strlen(canon) + 1;
	pad = (sizeof(char *) - (uintptr_t)buf % sizeof(char *)) % sizeof(char *);
	need = pad + (size_t)(n + 2) * sizeof(char *) + (size_t)n * alen + cl;
	if (!buf || len < need) {
		freeaddrinfo(res);
		*herr = NETDB_INTERNAL;
		return ERANGE;
	}
	list = (char **)(buf + pad);
	he->h_aliases = list + n + 1;
	he->h_aliases[0] = NULL;
	p = (char *)(list + n + 2);
	for (int i = 0; i < n; i++) {
		memcpy(p, &addrs[i], alen);
		list[i] = p;
		p += alen;
	}
	list[n] = NULL;
	memcpy(p, canon, cl);
	freeaddrinfo(res);
	he->h_name = p;
	he->h_addrtype = af;
	he->h_length = (int)alen;
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
	return err == ENOENT ? 0 : err; /* not found: 0 and a NULL result, as glibc */
}

AXP_EXPORT int gethostbyname_r(const char *name, struct hostent *ret, char *buf, size_t buflen,
			       struct hostent **result, int *h_errnop)
{
	return gethostbyname2_r(name, AF_INET, ret, buf, buflen, result, h_errnop);
}

/* One static result for the plain forms, as glibc's (not thread-safe). */
static struct hostent static_he;
static char static_buf[HOSTENT_MAX_ADDRS * 16 + 1100];

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

AXP_EXPORT int getnameinfo(const struct sockaddr *sa, socklen_t salen, char *host,
			   socklen_t hostlen, char *serv, socklen_t servlen, int flags)
{
	static int (*real)(const struct sockaddr *, socklen_t, char *, socklen_t, char *,
			   socklen_t, int);
	int (*fn)(const struct sockaddr *, socklen_t, char *, socklen_t, char *, socklen_t, int) =
		__atomic_load_n(&real, __ATOMIC_ACQUIRE);

	if (!fn) {
		fn = (int (*)(const struct sockaddr *, socklen_t, char *, socklen_t, char *,
			      socklen_t, int))dlsym(RTLD_NEXT, "getnameinfo");
		if (!fn)
			return EAI_SYSTEM;
		__atomic_store_n(&real, fn, __ATOMIC_RELEASE);
	}
	if (host && hostlen && !(flags & NI_NUMERICHOST)) {
		if (flags & NI_NAMEREQD)
			return EAI_NONAME;
		flags |= NI_NUMERICHOST; /* no reverse query through the kernel */
	}
	return fn(sa, salen, host, hostlen, serv, servlen, flags);
}
