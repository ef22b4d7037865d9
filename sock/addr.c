/*
 * addr.c - user socket addresses in and out of the socket layer, both
 * families: sockaddr_in for AF_INET sockets, sockaddr_in6 for AF_INET6
 * ones (IPv4 as ::ffff:a.b.c.d, RFC 4291 2.5.5.2), into and out of the
 * engine's struct ip_addr. The checks and their order are Linux's, call by
 * call (inet_bind, inet6_bind, tcp_v4/v6_connect, ip4/ip6_datagram_connect,
 * udp_sendmsg, udpv6_sendmsg), probed in a namespace: tests/unit/
 * test_sock6.c holds the table.
 */
#include <errno.h>
#include <string.h>

#include "sock_priv.h"

#define SIN6_LEN_RFC2133 24 /* sockaddr_in6 without sin6_scope_id */

/* The scope a link-local address needs (RFC 4007 6): our interface's
 * index. 0 when none given; -ENODEV/-ENETUNREACH for another one. */
static int scope_check(const struct sock *so, const struct sockaddr_in6 *s6, socklen_t len,
		       int wrong)
{
	uint32_t id = len >= (socklen_t)sizeof(*s6) ? s6->sin6_scope_id : 0;

	if (!id)
		return -EINVAL;
	if (so->l->ifindex && id != so->l->ifindex)
		return wrong;
	return 0;
}

static int v4_in(const struct sockaddr *sa, socklen_t len, int op, struct ip_addr *a,
		 uint16_t *port)
{
	struct sockaddr_in sin;

	if (!sa || len < (socklen_t)sizeof(sin))
		return -EINVAL;
	memcpy(&sin, sa, sizeof(sin));
	if (sin.sin_family != AF_INET) {
		/* bind: an old program's AF_UNSPEC with INADDR_ANY (Linux
		 * inet_bind); sendto: AF_UNSPEC is AF_INET (udp_sendmsg). */
		if (sin.sin_family != AF_UNSPEC ||
		    !(op == SOCK_ADDR_SENDTO ||
		      (op == SOCK_ADDR_BIND && sin.sin_addr.s_addr == htonl(INADDR_ANY))))
			return -EAFNOSUPPORT;
	}
	*a = ip_addr_v4(sin.sin_addr.s_addr);
	*port = ntohs(sin.sin_port);
	return 0;
}

int sock_addr_get(const struct sock *so, const struct sockaddr *sa, socklen_t len, int op,
		  struct ip_addr *a, uint16_t *port)
{
	struct sockaddr_in6 s6;

	if (so->family != AF_INET6)
		return v4_in(sa, len, op, a, port);
	if (!sa || len < (socklen_t)sizeof(sa_family_t))
		return -EINVAL;
	memset(&s6, 0, sizeof(s6));
	memcpy(&s6, sa, len < (socklen_t)sizeof(s6) ? len : sizeof(s6));
	if (s6.sin6_family == AF_INET && (op == SOCK_ADDR_CONNECT_UDP || op == SOCK_ADDR_SENDTO)) {
		/* ip6_datagram_connect, udpv6_sendmsg: IPv4 on a dual-stack
		 * socket is IPv4's business. */
		if (so->v6only)
			return op == SOCK_ADDR_SENDTO ? -ENETUNREACH : -EAFNOSUPPORT;
		return v4_in(sa, len, op, a, port);
	}
	if (s6.sin6_family == AF_UNSPEC && op == SOCK_ADDR_SENDTO)
		return 1; /* udpv6_sendmsg: as if no address were given */
	if (len < SIN6_LEN_RFC2133)
		return -EINVAL;
	if (s6.sin6_family != AF_INET6)
		return op == SOCK_ADDR_SENDTO ? -EINVAL : -EAFNOSUPPORT;
	memcpy(a->b, &s6.sin6_addr, 16);
	*port = ntohs(s6.sin6_port);
	/* Bound to one family, the socket reaches only that family's peers
	 * (tcp_v6_connect, ip6_datagram_connect, udpv6_sendmsg; probed):
	 * bound to a mapped address (or ::ffff:0.0.0.0) an IPv6 peer is
	 * EAFNOSUPPORT, bound to an IPv6 address a mapped peer is no route. */
	if (op != SOCK_ADDR_BIND && so->bound && ip_addr_is_v4(&so->laddr) != ip_addr_is_v4(a) &&
	    !ip_addr_eq(&so->laddr, &ip_addr_any6))
		return ip_addr_is_v4(a) ? -ENETUNREACH : -EAFNOSUPPORT;
	if (ip_addr_is_v4(a)) {
		if (!so->v6only)
			return 0;
		/* inet6_bind: EINVAL; connect and send: no route. */
		return op == SOCK_ADDR_BIND ? -EINVAL : -ENETUNREACH;
	}
	if (ip_addr_is_linklocal6(a)) {
		int err = scope_check(so, &s6, len, op == SOCK_ADDR_BIND ? -ENODEV : -ENETUNREACH);

		/* udpv6_sendmsg finds no route without the scope. */
		if (err == -EINVAL && op == SOCK_ADDR_SENDTO)
			return -EADDRNOTAVAIL;
		return err;
	}
	return 0;
}

void sock_addr_put(const struct sock *so, const struct ip_addr *a, uint16_t port,
		   struct sockaddr *sa, socklen_t *len)
{
	union {
		struct sockaddr_in v4;
		struct sockaddr_in6 v6;
	} u;
	size_t n;

	memset(&u, 0, sizeof(u));
	if (so->family == AF_INET6) {
		u.v6.sin6_family = AF_INET6;
		u.v6.sin6_port = htons(port);
		memcpy(&u.v6.sin6_addr, a->b, 16);
		if (ip_addr_is_linklocal6(a))
			u.v6.sin6_scope_id = so->l->ifindex;
		n = sizeof(u.v6);
	} else {
		u.v4.sin_family = AF_INET;
		u.v4.sin_port = htons(port);
		u.v4.sin_addr.s_addr = ip_addr_is_v4(a) ? ip_addr_get_v4(a) : 0;
		n = sizeof(u.v4);
	}
	if (sa && len)
		memcpy(sa, &u, *len < n ? *len : n);
	if (len)
		*len = (socklen_t)n;
}
