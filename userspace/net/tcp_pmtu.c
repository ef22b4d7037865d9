/*
 * tcp_pmtu.c - path MTU discovery for TCP (RFC 1191), validated against the
 * connection (RFC 5927): see tcp_icmp_frag_needed in tcp.h.
 */
#include <errno.h>

#include "pmtu.h"
#include "stack.h"
#include "tcp_priv.h"

/* Go back to SND.UNA and send again at the new MSS: every full-sized
 * segment in flight was dropped by the router that complained. cwnd
 * stays (Linux tcp_simple_retransmit: the data in the network did not
 * grow, only the unit shrank), recovery ends as after a timeout. */
static void resend_in_flight(struct tcp_pcb *pcb)
{
	if (pcb->snd_max == pcb->snd_una)
		return;
	if (pcb->in_recovery && pcb->cwnd > pcb->ssthresh)
		pcb->cwnd = pcb->ssthresh; /* NewReno's inflation goes */
	pcb->in_recovery = 0;
	pcb->dupacks = 0;
	pcb->recover = pcb->snd_max;
	pcb->high_rxt = pcb->snd_una;
	pcb->rtt_timing = 0; /* Karn */
	pcb->snd_nxt = pcb->snd_una;
	tcp_output(pcb);
}

int tcp_icmp_frag_needed(struct ax_stack *s, const struct ip_addr *laddr,
			 const struct ip_addr *raddr, uint16_t lport, uint16_t rport,
			 uint32_t seq, uint32_t mtu)
{
	struct tcp_pcb *pcb = tcp_lookup(s, laddr, lport, raddr, rport);
	uint32_t mss, floor = ip_addr_is_v4(raddr) ? AX_PMTU_MIN : AX_PMTU_MIN6;

	/* RFC 5927 4.1/5.2: the quote must name a connection of ours and
	 * a byte we sent and the peer has not acknowledged; anything else
	 * is stale or forged (a blind attacker must guess the window). A
	 * next-hop MTU of 0 (a pre-RFC 1191 router) is not a number to
	 * trust; the retransmission timer is left to cope. */
	if (!pcb || pcb->state == TCP_TIME_WAIT || pcb->state == TCP_CLOSED || !mtu ||
	    SEQ_LT(seq, pcb->snd_una) || SEQ_GEQ(seq, pcb->snd_max))
		return -EINVAL;
	/* Never below the floor (Linux clamps at min_pmtu too; IPv6's is
	 * 1280, RFC 8201 4: a smaller one is a forgery or a broken link). */
	if (mtu < floor)
		mtu = floor;
	/* RFC 1191 6.3: only ever lowered by a message; a larger MTU, or
	 * another copy for the same burst, changes nothing. */
	if (mtu >= pcb->pmtu)
		return 0;
	pcb->pmtu = (uint16_t)mtu;
	pmtu_set(s, raddr, (uint16_t)mtu);
	stack_count(s, AX_C_tcp_pmtu_lowered);
	/* The MSS follows (RFC 1191 6.4), never above what the peer asked
	 * for; before the handshake is done, take_syn_opts reads pmtu. */
	mss = mtu - tcp_hdrs_len(raddr) - (pcb->ts_ok ? 12u : 0u);
	if (mss >= pcb->mss)
		return 1;
	pcb->mss = (uint16_t)mss;
	switch (pcb->state) {
	case TCP_ESTABLISHED:
	case TCP_FIN_WAIT_1:
	case TCP_CLOSE_WAIT:
	case TCP_CLOSING:
	case TCP_LAST_ACK:
		resend_in_flight(pcb);
		break;
	default:
		break;
	}
	return 1;
}
