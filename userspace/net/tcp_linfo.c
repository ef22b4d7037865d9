/*
 * tcp_linfo.c - TCP_INFO in Linux's layout (tcp.h tcp_get_linux_info),
 * from what the engine knows; what it does not track is 0, as in a
 * kernel that lacks the feature. Units as Linux's: times in
 * microseconds (rto, ato, rtt) or milliseconds ago (last_*), windows in
 * segments (snd_cwnd, snd_ssthresh), the rest in bytes.
 *
 * Its own file: the kernel's <linux/tcp.h> (not glibc's <netinet/tcp.h>,
 * whose state names clash with enum tcp_state; glibc's struct is the first
 * 104 bytes of this one).
 */
#include <linux/tcp.h>
#include <stddef.h>
#include <string.h>

#include "stack.h"
#include "tcp_priv.h"

/* glibc's struct tcp_info ends with tcpi_total_retrans: the same bytes. */
_Static_assert(offsetof(struct tcp_info, tcpi_total_retrans) == 100,
	       "struct tcp_info: glibc's layout is its first 104 bytes");

/* Linux's state numbers (include/net/tcp_states.h). */
static uint8_t linux_state(enum tcp_state st)
{
	switch (st) {
	case TCP_ESTABLISHED: return 1;
	case TCP_SYN_SENT: return 2;
	case TCP_SYN_RECEIVED: return 3;
	case TCP_FIN_WAIT_1: return 4;
	case TCP_FIN_WAIT_2: return 5;
	case TCP_TIME_WAIT: return 6;
	case TCP_CLOSED: return 7;
	case TCP_CLOSE_WAIT: return 8;
	case TCP_LAST_ACK: return 9;
	case TCP_LISTEN: return 10;
	case TCP_CLOSING: return 11;
	}
	return 7;
}

static uint32_t ms_since(uint64_t now, uint64_t then)
{
	return then && now > then ? (uint32_t)(now - then) : 0;
}

static void fill(const struct tcp_pcb *pcb, struct tcp_info *i)
{
	uint64_t now = pcb->s->now_ns / 1000000u;
	uint32_t mss = pcb->mss ? pcb->mss : 536;
	uint32_t flight = pcb->snd_max - pcb->snd_una;
	uint32_t end = pcb->snd.head + pcb->snd.len;

	memset(i, 0, sizeof(*i));
	i->tcpi_state = linux_state(pcb->state);
	/* Linux's congestion states (TCP_CA_*): recovery, a timeout's loss
	 * state, duplicate ACKs seen, or open. */
	i->tcpi_ca_state = pcb->in_recovery ? TCP_CA_Recovery
			   : pcb->backoff  ? TCP_CA_Loss
			   : pcb->dupacks  ? TCP_CA_Disorder
					   : TCP_CA_Open;
	i->tcpi_retransmits = pcb->backoff;
	i->tcpi_probes = pcb->probes_out;
	i->tcpi_backoff = pcb->backoff;
	i->tcpi_options = (pcb->ts_ok ? TCPI_OPT_TIMESTAMPS : 0) |
			  (pcb->sack_ok ? TCPI_OPT_SACK : 0) | (pcb->ws_ok ? TCPI_OPT_WSCALE : 0);
	if (pcb->ws_ok) {
		i->tcpi_snd_wscale = pcb->snd_wscale & 15;
		i->tcpi_rcv_wscale = pcb->rcv_wscale & 15;
	}
	i->tcpi_rto = pcb->rto_ms * 1000u;
	i->tcpi_ato = AX_TCP_DELACK_MS * 1000u;
	i->tcpi_snd_mss = mss;
	/* Linux's rcv_mss is its guess of the peer's segment size: the
	 * largest it sent, at most ours, 536 before any. */
	i->tcpi_rcv_mss = pcb->rcv_mss ? pcb->rcv_mss : (mss < 536 ? mss : 536);
	i->tcpi_unacked = (flight + mss - 1) / mss;
	i->tcpi_sacked = (pcb->sacked_bytes + mss - 1) / mss;
	i->tcpi_last_data_sent = ms_since(now, pcb->last_send_ms);
	i->tcpi_last_data_recv = ms_since(now, pcb->last_data_rx_ms);
	i->tcpi_last_ack_recv = ms_since(now, pcb->last_rx_ms);
	i->tcpi_pmtu = pcb->pmtu;
	i->tcpi_rcv_ssthresh = pcb->rcv_buf;
	i->tcpi_rtt = pcb->srtt_us;
	i->tcpi_rttvar = pcb->rttvar_us;
	/* Linux says 0x7fffffff (TCP_INFINITE_SSTHRESH) for "none yet". */
	i->tcpi_snd_ssthresh = pcb->ssthresh == UINT32_MAX ? 0x7fffffffu : pcb->ssthresh / mss;
	i->tcpi_snd_cwnd = pcb->cwnd / mss;
	/* For the peer's family; without a peer (a listener, a socket not
	 * connected yet) the bound address's, IPv4's when unbound (:: is all
	 * zero: nothing known yet, as before IPv6 came). */
	{
		const struct ip_addr *fam = &pcb->raddr;

		if (ip_addr_eq(fam, &ip_addr_any6))
			fam = ip_addr_eq(&pcb->laddr, &ip_addr_any6) ? &ip_addr_any4 : &pcb->laddr;
		i->tcpi_advmss = tcp_adv_mss(pcb, fam);
	}
	i->tcpi_reordering = 3; /* RFC 5681's duplicate ACK threshold */
	i->tcpi_rcv_space = pcb->rcvq_space;
	i->tcpi_total_retrans = (uint32_t)pcb->retransmits;
	i->tcpi_bytes_acked = pcb->bytes_acked;
	i->tcpi_bytes_received = pcb->bytes_in;
	i->tcpi_segs_out = pcb->segs_out;
	i->tcpi_segs_in = pcb->segs_in;
	i->tcpi_notsent_bytes = SEQ_GT(end, pcb->snd_max) && pcb->snd.len
					? end - (SEQ_GT(pcb->snd_max, pcb->snd.head) ? pcb->snd_max
										       : pcb->snd.head)
					: 0;
	i->tcpi_min_rtt = pcb->min_rtt_us;
	i->tcpi_bytes_sent = pcb->bytes_out;
	i->tcpi_snd_wnd = pcb->snd_wnd;
}

void tcp_get_linux_info(const struct tcp_pcb *pcb, struct tcp_info *out)
{
	fill(pcb, out);
}

size_t tcp_get_linux_info_len(const struct tcp_pcb *pcb, void *out, size_t len)
{
	struct tcp_info i;

	fill(pcb, &i);
	if (len > sizeof(i))
		len = sizeof(i);
	memcpy(out, &i, len);
	return len;
}
