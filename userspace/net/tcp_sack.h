/*
 * tcp_sack.h - the sender's SACK scoreboard (RFC 2018, RFC 2883) and the
 * RFC 6675 helpers that SACK-based loss recovery in tcp_in.c/tcp_out.c is
 * built from.
 *
 * The scoreboard lives in the control block (pcb->sacked[], sorted,
 * disjoint, every range above SND.UNA, at most AX_TCP_MAX_SACKED of them).
 * Every call is O(AX_TCP_MAX_SACKED) and allocation-free. The data itself
 * stays in the send ring until it is cumulatively acknowledged: a peer
 * may renege on what it SACKed (RFC 2018 8), so the scoreboard only steers
 * what to send, never what to free.
 */
#ifndef AX_TCP_SACK_H
#define AX_TCP_SACK_H

#include <stdint.h>
#include <string.h>

#include "tcp_priv.h"

/* Forget all SACK information. */
void tcp_sack_clear(struct tcp_pcb *pcb);
/* Take the SACK blocks of an arriving ACK (cumulative ack number ack).
 * Bogus blocks (outside the data in flight) and D-SACK blocks are not
 * merged; D-SACKs are counted. 1 when more bytes are SACKed than before. */
int tcp_sack_update(struct tcp_pcb *pcb, const struct tcp_opts *o, uint32_t ack);
/* SND.UNA moved to una: drop what it covers. */
void tcp_sack_acked(struct tcp_pcb *pcb, uint32_t una);
/* RFC 6675 IsLost(seq). */
int tcp_sack_is_lost(const struct tcp_pcb *pcb, uint32_t seq);
/* RFC 6675 SetPipe(): bytes believed in the network, counting the
 * retransmissions below pcb->high_rxt. */
uint32_t tcp_sack_pipe(const struct tcp_pcb *pcb);
/* RFC 6675 NextSeg() rule 1: the first lost, not yet retransmitted hole
 * at or above pcb->high_rxt. 1 with *seq and *len (the whole hole; the
 * caller cuts it to a segment), or 0. */
int tcp_sack_next_hole(const struct tcp_pcb *pcb, uint32_t *seq, uint32_t *len);
/* For sending again from seq after a timeout: the first byte at or after
 * seq the peer has not SACKed, with *room cut so a segment from there
 * stops at the next SACKed range. */
uint32_t tcp_sack_skip(const struct tcp_pcb *pcb, uint32_t seq, uint32_t *room);
/* SACKed bytes below seq: after a timeout, what went out again up to
 * SND.NXT less these is what is in flight. */
uint32_t tcp_sack_below(const struct tcp_pcb *pcb, uint32_t seq);

#endif /* AX_TCP_SACK_H */
