/*
 * l4filter.c - the stack's l4_filter (stack.h) for the XDP backend: the
 * check XDP's flow_check makes on a whole packet, made on a datagram the
 * engine reassembled, since XDP could not see a non-first fragment's
 * ports and let the fragments through under their source's bucket only.
 *
 * A flow with a verdict in XDP's `flows` map goes by it (ALLOW passes,
 * DENY drops); an unknown flow passes only on the admission path: a TCP
 * SYN without ACK, or a UDP datagram to a bound port, which the engine's
 * admission hooks then take to the authorizer as any first frame. Other
 * protocols (ICMP) pass: XDP checks them by source rate only, and the
 * engine's icmp_filter decides echo requests.
 */
#include <arpa/inet.h>
#include <string.h>

#include "daemon/daemon.h"
#include "driver/netdev.h"
#include "driver/xdp_prog.h"
#include "net/proto.h"
#include "net/udp.h"

static int l4_filter(void *arg, const struct ip_rx *rx, uint16_t sport, uint16_t dport,
		     int tcp_syn)
{
	struct daemon *r = arg;
	struct xdp_prog *p = netdev_xdp(r->dev);
	struct ax_flow_key k;
	struct ax_flow_val v;

	if (rx->proto != IP_PROTO_TCP && rx->proto != IP_PROTO_UDP)
		return 1;
	memset(&k, 0, sizeof(k));
	k.family = rx->family == 4 ? AX_AF_INET : AX_AF_INET6;
	k.proto = rx->proto;
	k.lport = htons(dport);
	k.rport = htons(sport);
	if (rx->family == 4) {
		memcpy(k.laddr, rx->dst.b + 12, 4);
		memcpy(k.raddr, rx->src.b + 12, 4);
	} else {
		memcpy(k.laddr, rx->dst.b, 16);
		memcpy(k.raddr, rx->src.b, 16);
	}
	if (p && xdp_prog_flow_get(p, &k, &v) == 0)
		return v.verdict == AX_VERDICT_ALLOW;
	if (rx->proto == IP_PROTO_TCP)
		return tcp_syn;
	return udp_bound(&r->stack, dport) > 0;
}

void daemon_l4_filter_install(struct daemon *r)
{
	if (!netdev_xdp(r->dev))
		return; /* TAP: no verdict map; the engine's admission decides */
	r->stack.l4_filter = l4_filter;
	r->stack.l4_filter_arg = r;
}
