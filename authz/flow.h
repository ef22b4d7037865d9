/*
 * flow.h - one connection's three faces for the authorizer (authz.c): the
 * policy's flow (struct pol_flow), the verdict map's key (struct
 * ax_flow_key, include/axnet/xdp_shared.h) and the text its log entries
 * carry ("local=A:P remote=A:P"). Both families, from the engine's
 * struct ip_addr: an IPv4 (mapped) pair is family AF_INET / AX_AF_INET with
 * the address in the first 4 bytes and dotted-quad text, byte for byte as
 * before IPv6 came; an IPv6 pair is AF_INET6 / AX_AF_INET6 with all 16
 * bytes and the address in brackets, "[fd00::2]:80" (RFC 5952 section 6;
 * the address as ip_addr_fmt writes it). Pure: no allocation, no state.
 */
#ifndef AX_AUTHZ_FLOW_H
#define AX_AUTHZ_FLOW_H

#include <stddef.h>
#include <stdint.h>

#include "axnet/xdp_shared.h"
#include "net/ipaddr.h"
#include "policy/policy.h"

/* "local=[IPv6]:65535 remote=[IPv6]:65535" and its NUL fit. */
#define AUTHZ_TUPLE_MAX 128

/* "a.b.c.d:P" or "[v6]:P" into buf; returns buf. */
const char *authz_endpoint_fmt(char *buf, size_t len, const struct ip_addr *a, uint16_t port);

/*
 * The flow of a connection between laddr:lport (ours) and raddr:rport
 * (ports in host order), of proto (IPPROTO_TCP, IPPROTO_UDP), opened by the
 * peer (inbound) or by us, owned by owner (NULL: none): f, k and tuple
 * (AUTHZ_TUPLE_MAX bytes) filled; any of them may be NULL.
 */
void authz_flow_of(const struct ip_addr *laddr, uint16_t lport, const struct ip_addr *raddr,
		   uint16_t rport, int proto, int inbound, const struct ax_cred *owner,
		   struct pol_flow *f, struct ax_flow_key *k, char *tuple, size_t tlen);

#endif /* AX_AUTHZ_FLOW_H */
