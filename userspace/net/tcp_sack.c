/*
 * tcp_sack.c - the sender's SACK scoreboard and SACK-based loss recovery
 * (RFC 6675, with the SACK option of RFC 2018 and D-SACK of RFC 2883).
 *
 * The scoreboard is a short sorted array of the ranges above SND.UNA the
 * peer says it holds. The holes between them are what recovery
 * retransmits; which holes count as lost, and how many bytes are still in
 * the network ("pipe"), follow RFC 6675 section 4. Every function here
 * walks at most AX_TCP_MAX_SACKED ranges, so the cost per ACK is bounded
 * and nothing is allocated.
 */
#include "tcp_sack.h"

#include "counters.h"
#include "stack.h"

#define DUPTHRESH 3u

void tcp_sack_clear(struct tcp_pcb *pcb)
{
	pcb->n_sacked = 0;
	pcb->sacked_bytes = 0;
}

static void recount(struct tcp_pcb *pcb)
{
	uint32_t n = 0;

	for (unsigned int i = 0; i < pcb->n_sacked; i++)
		n += pcb->sacked[i].end - pcb->sacked[i].start;
	pcb->sacked_bytes = n;
}

/* Insert [start, end) and merge neighbours. The array stays sorted and
 * disjoint; when it is full, the highest range goes: holes near SND.UNA
 * matter most, and forgetting a SACK only makes us resend more. */
static void insert(struct tcp_pcb *pcb, uint32_t start, uint32_t end)
{
	unsigned int i = 0, j;

	while (i < pcb->n_sacked && SEQ_LT(pcb->sacked[i].end, start))
		i++;
	/* Ranges i.. that touch or overlap [start, end) fold into it. */
	j = i;
	while (j < pcb->n_sacked && SEQ_LEQ(pcb->sacked[j].start, end)) {
		if (SEQ_LT(pcb->sacked[j].start, start))
			start = pcb->sacked[j].start;
		if (SEQ_GT(pcb->sacked[j].end, end))
			end = pcb->sacked[j].end;
		j++;
	}
	if (j > i) {
		/* Replace ranges i..j-1 with the merged one. */
		pcb->sacked[i].start = start;
		pcb->sacked[i].end = end;
		memmove(&pcb->sacked[i + 1], &pcb->sacked[j],
			(pcb->n_sacked - j) * sizeof(pcb->sacked[0]));
		pcb->n_sacked = (uint8_t)(pcb->n_sacked - (j - i - 1));
		return;
	}
	if (pcb->n_sacked == AX_TCP_MAX_SACKED) {
		if (i == AX_TCP_MAX_SACKED)
			return; /* above everything we keep */
		pcb->n_sacked--;
		stack_count(pcb->s, AX_C_tcp_sack_dropped);
	}
	memmove(&pcb->sacked[i + 1], &pcb->sacked[i],
		(pcb->n_sacked - i) * sizeof(pcb->sacked[0]));
	pcb->sacked[i].start = start;
	pcb->sacked[i].end = end;
	pcb->n_sacked++;
}

int tcp_sack_update(struct tcp_pcb *pcb, const struct tcp_opts *o, uint32_t ack)
{
	uint32_t before = pcb->sacked_bytes;
	/* The cumulative point after this ACK. */
	uint32_t una = SEQ_GT(ack, pcb->snd_una) ? ack : pcb->snd_una;

	if (!pcb->sack_ok)
		return 0;
	for (unsigned int b = 0; b < o->nsack; b++) {
		uint32_t start = o->sack[b].start, end = o->sack[b].end;

		/* RFC 2883: a first block below the cumulative ACK, or
		 * inside the second block, reports a duplicate: the peer got
		 * something twice. Not new information for the scoreboard. */
		if (b == 0 && (SEQ_LEQ(end, ack) ||
			       (o->nsack > 1 && SEQ_GEQ(start, o->sack[1].start) &&
				SEQ_LEQ(end, o->sack[1].end)))) {
			stack_count(pcb->s, AX_C_tcp_dsack_rx);
			continue;
		}
		/* Only blocks about data we sent and that is not yet
		 * cumulatively acked; anything else is bogus (a peer cannot
		 * move our scoreboard outside the flight). */
		if (!SEQ_LT(start, end) || SEQ_GT(end, pcb->snd_max) || SEQ_LEQ(end, una) ||
		    SEQ_LT(start, pcb->snd_una - pcb->max_snd_wnd))
			continue;
		if (SEQ_LT(start, una))
			start = una;
		insert(pcb, start, end);
	}
	recount(pcb);
	return pcb->sacked_bytes > before ? 1 : 0;
}

void tcp_sack_acked(struct tcp_pcb *pcb, uint32_t una)
{
	unsigned int i = 0;

	while (i < pcb->n_sacked && SEQ_LEQ(pcb->sacked[i].end, una))
		i++;
	if (i) {
		memmove(&pcb->sacked[0], &pcb->sacked[i],
			(pcb->n_sacked - i) * sizeof(pcb->sacked[0]));
		pcb->n_sacked = (uint8_t)(pcb->n_sacked - i);
	}
	if (pcb->n_sacked && SEQ_LT(pcb->sacked[0].start, una))
		pcb->sacked[0].start = una;
	recount(pcb);
}

/* RFC 6675 4, IsLost(): a hole below range i is lost when DupThresh
 * ranges, or more than (DupThresh - 1) * SMSS bytes, are SACKed above it.
 * above_bytes/above_ranges are what lies at or above range i. */
static int hole_lost(const struct tcp_pcb *pcb, uint32_t above_bytes, unsigned int above_ranges)
{
	return above_ranges >= DUPTHRESH || above_bytes > (DUPTHRESH - 1) * pcb->mss;
}

int tcp_sack_is_lost(const struct tcp_pcb *pcb, uint32_t seq)
{
	uint32_t bytes = 0;
	unsigned int ranges = 0;

	for (int i = pcb->n_sacked - 1; i >= 0 && SEQ_GT(pcb->sacked[i].start, seq); i--) {
		bytes += pcb->sacked[i].end - pcb->sacked[i].start;
		ranges++;
	}
	return hole_lost(pcb, bytes, ranges);
}

uint32_t tcp_sack_pipe(const struct tcp_pcb *pcb)
{
	uint32_t pipe = 0, above = 0, top;
	int i;

	/* Above the highest SACKed byte nothing is known lost: all of it
	 * is in flight. */
	top = pcb->n_sacked ? pcb->sacked[pcb->n_sacked - 1].end : pcb->snd_una;
	if (SEQ_GT(pcb->snd_max, top))
		pipe += pcb->snd_max - top;
	/* Each hole, from the top down so the SACKed bytes above it add
	 * up as we go. */
	for (i = pcb->n_sacked - 1; i >= 0; i--) {
		uint32_t hs = i ? pcb->sacked[i - 1].end : pcb->snd_una;
		uint32_t he = pcb->sacked[i].start;
		uint32_t rxt_end;

		above += pcb->sacked[i].end - pcb->sacked[i].start;
		if (!SEQ_LT(hs, he))
			continue;
		/* Bytes we retransmitted in this recovery are in flight
		 * again; the rest counts only while not deemed lost. */
		rxt_end = SEQ_LT(pcb->high_rxt, hs) ? hs : SEQ_GT(pcb->high_rxt, he) ? he : pcb->high_rxt;
		pipe += rxt_end - hs;
		if (!hole_lost(pcb, above, (unsigned int)(pcb->n_sacked - i)))
			pipe += he - rxt_end;
	}
	return pipe;
}

int tcp_sack_next_hole(const struct tcp_pcb *pcb, uint32_t *seq, uint32_t *len)
{
	uint32_t above = pcb->sacked_bytes;

	/* RFC 6675 4, NextSeg() rule 1: the lowest lost byte not yet
	 * retransmitted in this recovery. */
	for (unsigned int i = 0; i < pcb->n_sacked; i++) {
		uint32_t hs = i ? pcb->sacked[i - 1].end : pcb->snd_una;
		uint32_t he = pcb->sacked[i].start;

		if (SEQ_LT(hs, pcb->high_rxt))
			hs = pcb->high_rxt;
		if (SEQ_LT(hs, he) && hole_lost(pcb, above, pcb->n_sacked - i)) {
			*seq = hs;
			*len = he - hs;
			return 1;
		}
		above -= pcb->sacked[i].end - pcb->sacked[i].start;
	}
	return 0;
}

uint32_t tcp_sack_skip(const struct tcp_pcb *pcb, uint32_t seq, uint32_t *room)
{
	for (unsigned int i = 0; i < pcb->n_sacked; i++) {
		if (SEQ_LT(seq, pcb->sacked[i].start)) {
			uint32_t gap = pcb->sacked[i].start - seq;

			if (*room > gap)
				*room = gap;
			return seq;
		}
		if (SEQ_LT(seq, pcb->sacked[i].end))
			seq = pcb->sacked[i].end;
	}
	return seq;
}

uint32_t tcp_sack_below(const struct tcp_pcb *pcb, uint32_t seq)
{
	uint32_t n = 0;

	for (unsigned int i = 0; i < pcb->n_sacked && SEQ_LT(pcb->sacked[i].start, seq); i++)
		n += (SEQ_LT(pcb->sacked[i].end, seq) ? pcb->sacked[i].end : seq) -
		     pcb->sacked[i].start;
	return n;
}
