/*
 * tcp_cc.h - pluggable TCP congestion control: how the congestion window
 * grows on ACKs and how far it falls on a loss. Loss *recovery* (fast
 * retransmit, NewReno partial ACKs, RTO) lives in tcp_in.c and tcp.c and
 * is the same for every algorithm; an algorithm only answers these calls.
 *
 * Algorithms: "newreno" (RFC 5681) and "cubic" (RFC 9438), the default.
 * Per-connection state lives in struct tcp_cc_state inside the pcb.
 */
#ifndef AX_TCP_CC_H
#define AX_TCP_CC_H

#include <stdint.h>

struct tcp_pcb;

/* CUBIC's per-connection state (RFC 9438 4.1). */
struct tcp_cc_state {
	double w_max;         /* segments, window before the last reduction */
	double w_last_max;    /* for fast convergence (RFC 9438 4.7) */
	double k;             /* seconds */
	double cwnd_epoch;    /* segments, at the start of the epoch */
	double w_est;         /* Reno-friendly estimate, segments */
	uint64_t epoch_ms;    /* 0: no epoch yet */
	uint64_t last_ms;     /* the last congestion-avoidance ACK */
	uint32_t acked_bytes; /* for whole-segment steps */
};

struct tcp_cc_ops {
	const char *name;
	/* Congestion avoidance: `acked` new bytes were ACKed (slow start is
	 * handled by the caller, the same for all). */
	void (*cong_avoid)(struct tcp_pcb *pcb, uint32_t acked);
	/* A loss was detected: return the new ssthresh, in bytes. */
	uint32_t (*ssthresh)(struct tcp_pcb *pcb);
	/* A retransmission timeout: the state starts over. */
	void (*on_rto)(struct tcp_pcb *pcb);
};

/* NULL when name is unknown. */
const struct tcp_cc_ops *tcp_cc_find(const char *name);
extern const struct tcp_cc_ops tcp_cc_newreno;
extern const struct tcp_cc_ops tcp_cc_cubic;

#endif /* AX_TCP_CC_H */
