/*
 * tcp_helper.h - the world the TCP unit tests share, and the helpers that
 * open connections in it (as lwIP's test/unit/tcp/tcp_helper.h).
 *
 * Every test program is one translation unit with one world, so the world
 * is static here: the host H, what the application saw A, the peer P (its
 * port PPORT, our PORT, its ISN PISN unless a test says otherwise), the
 * listener L, the last segment CHECK_SEG looked at V (tcp_check.h), O for
 * options under construction, and a byte stream: stream byte i is pat[i]
 * (after stream_fill()), rd takes what tcp_read gives, R0 is the peer's
 * first data byte once a connection is open.
 *
 * A test file's setup() is tcp_helper_host(), then what the stack should
 * hold (congestion control, authorizer, cookies), then tcp_helper_listen().
 */
#ifndef AX_TEST_TCP_HELPER_H
#define AX_TEST_TCP_HELPER_H

#include <stdint.h>

#include "fake_netif.h"
#include "testlib.h"
#include "tcp_check.h"

#define PORT 80      /* our listener */
#define PPORT 40000  /* the peer's port */
#define PISN 0x1000u /* the peer's ISN (low: the first half of seq space) */

#define MSS_TS 1448u /* 1460 less the timestamps option */

/* Our FIN: tcp_output sets PSH on the segment that empties the send
 * queue, a bare FIN included (harmless: RFC 9293 3.9.1 PUSH). */
#define OUR_FIN (TH_FIN | TH_PSH | TH_ACK)

/* The counters one TCP segment in or out moves (CHECK_CNT). */
#define RX(n) { AX_C_eth_rx, n }, { AX_C_ip_rx, n }, { AX_C_tcp_rx, n }
#define TX(n) { AX_C_tcp_tx, n }, { AX_C_ip_tx, n }, { AX_C_eth_tx, n }

#define TCP_HELPER_UNUSED __attribute__((unused))

static struct fake_host H;
static struct fake_tcp_app A TCP_HELPER_UNUSED;
static struct fake_tcp_peer P TCP_HELPER_UNUSED;
static struct tcp_pcb *L TCP_HELPER_UNUSED;
static struct fake_tcp_view V TCP_HELPER_UNUSED;
static uint8_t O[40] TCP_HELPER_UNUSED;
static uint8_t pat[AX_TCP_RCVBUF + 65536] TCP_HELPER_UNUSED;
static uint8_t rd[AX_TCP_RCVBUF + 65536] TCP_HELPER_UNUSED;
static uint32_t R0 TCP_HELPER_UNUSED;

/* The stream pat: no byte pattern repeats within a window. */
static inline void stream_fill(void)
{
	size_t i;

	for (i = 0; i < sizeof(pat); i++)
		pat[i] = (uint8_t)(i * 131 + (i >> 8) * 7 + (i >> 16) + 1);
}

/* A fresh host that knows the peer (fake_host_reset), A cleared, P the
 * peer from PPORT to PORT with ISN isn. No listener yet. 0, or -1. */
static inline int tcp_helper_host(uint32_t isn)
{
	if (fake_host_reset(&H, FAKE_PEER_IP, FAKE_PEER_MAC))
		return -1;
	memset(&A, 0, sizeof(A));
	fake_tcp_peer_init(&P, &H, PPORT, PORT, isn);
	return 0;
}

/* L, a listener on PORT with backlog, calling back fake_tcp_app_cb() with
 * A; then a new step. 0, or -1 when tcp_listen() refused. */
static inline int tcp_helper_listen(unsigned int backlog)
{
	L = tcp_listen(&H.s, PORT, backlog, fake_tcp_app_cb(), &A);
	fake_mark(&H);
	return L ? 0 : -1;
}

/* Our connection with P, or NULL. */
static inline struct tcp_pcb *conn(void)
{
	return tcp_lookup(&H.s, FAKE_V4(FAKE_OUR_IP), P.lport, FAKE_V4(FAKE_PEER_IP), P.port);
}

static inline struct tcp_info_ax info(const struct tcp_pcb *pcb)
{
	struct tcp_info_ax i;

	tcp_get_info(pcb, &i);
	return i;
}

static inline enum tcp_state state(const struct tcp_pcb *pcb)
{
	return info(pcb).state;
}

/* Active open to the peer's port: P now talks from port to the local port
 * we chose. 0, or tcp_connect()'s error. */
static inline int connect_to(uint16_t port, struct tcp_pcb **pcb)
{
	int err = tcp_connect(&H.s, FAKE_V4(FAKE_PEER_IP), port, fake_tcp_app_cb(), &A, pcb);

	if (err)
		return err;
	P.port = port;
	P.lport = (*pcb)->lport;
	return 0;
}

/* Passive open without options (MSS 536, no SACK, no timestamps). */
static inline struct tcp_pcb *establish_plain(void)
{
	struct tcp_pcb *pcb = fake_tcp_accept(&P, &A, NULL, 0, 65535);

	R0 = P.seq;
	return pcb;
}

/* Passive open with the options Linux sends: MSS 1460, SACK, TS (TSval
 * 100) and WS 7; the peer's window field win (<< 7). */
static inline struct tcp_pcb *establish_full_win(uint16_t win)
{
	struct tcp_pcb *pcb;

	P.tsval = 100;
	pcb = fake_tcp_accept(&P, &A, O, fake_tcp_syn_opts(O, 1460, 7, 1, 1, 100), win);
	R0 = P.seq;
	return pcb;
}

/* The same with window field 2048 (<< 7: 256 KiB). */
static inline struct tcp_pcb *establish_full(void)
{
	return establish_full_win(2048);
}

/* Stream bytes [off, off + len) from the peer with flags (ACK at least),
 * from its state (ACK, window, timestamps). */
static inline void send_flags(uint32_t off, uint32_t len, uint8_t flags)
{
	uint8_t o[12];
	size_t olen = P.ts ? fake_tcp_ts_opt(o, P.tsval, P.tsecr) : 0;

	fake_tcp_rx(&P, R0 + off, P.ack, flags, P.win, o, olen, pat + off, len);
}

/* The same with ACK alone. */
static inline void send_at(uint32_t off, uint32_t len)
{
	send_flags(off, len, TH_ACK);
}

/* A bare ACK from the peer (ack, window), with timestamps when agreed. */
static inline void ack_with(uint32_t ack, uint16_t win, uint32_t tsecr)
{
	uint8_t o[12];
	size_t olen = P.ts ? fake_tcp_ts_opt(o, P.tsval, tsecr) : 0;

	fake_tcp_rx(&P, P.seq, ack, TH_ACK, win, o, olen, NULL, 0);
}

/* An admitter (tcp_set_admit) that lets every connection in and counts
 * what it is asked into the struct tcp_helper_admit at its arg. */
struct tcp_helper_admit {
	unsigned int requests, forgets;
	const void *owner; /* tcp_owner() when request() was last asked */
};

static inline int tcp_helper_admit_request(void *arg, struct tcp_pcb *pcb, int inbound)
{
	struct tcp_helper_admit *fa = arg;

	(void)inbound;
	fa->requests++;
	fa->owner = tcp_owner(pcb);
	return 0;
}

static inline void tcp_helper_admit_forget(void *arg, struct tcp_pcb *pcb)
{
	struct tcp_helper_admit *fa = arg;

	(void)pcb;
	fa->forgets++;
}

static const struct tcp_admit_ops tcp_helper_admit_ops = { .request = tcp_helper_admit_request,
							   .forget = tcp_helper_admit_forget };
#endif /* AX_TEST_TCP_HELPER_H */
