/*
 * test_tcp_sock.c - the engine calls the socket layer builds on (tcp.h,
 * "for the socket layer"): a connection's owner and ring memory, passed on
 * by a listener to the connections it makes (half-open and SYN-cookie ones
 * too); rings allocated at establishment through the memory hook and given
 * back at the end, or in TIME_WAIT once let go; SO_SNDBUF/SO_RCVBUF and
 * receive-window autotuning (Linux's DRS); the zero-copy ring views and
 * their produced/consumed calls with untrusted counts; local ports
 * (tcp_connect2, tcp_new + tcp_connect_pcb), reuse-port groups,
 * tcp_tuple_busy with TIME_WAIT; TCP_MAXSEG, TCP_CONGESTION and TCP_INFO
 * in Linux's layout.
 */
#include <linux/tcp.h>
#include <stdint.h>
#include <sys/mman.h>

#include "fake_netif.h"
#include "testlib.h"
#include "tcp_check.h"
#include "net/tcp_cc.h"
#include "tcp_helper.h"

#define SHIFT AX_TCP_RCV_WSCALE
#define RPORT 8080 /* the peer's port for active opens */

/* An owner, as the socket layer's struct ax_cred would be. */
static const int CRED = 1000, CRED2 = 2000;

/* --- a counting memory hook ---------------------------------------------------------- */

#define M_MAX 16
static struct {
	unsigned int allocs, frees, fail_rcv, fail_all;
	uint64_t live;                 /* bytes handed out, not yet back */
	struct {
		void *mem;
		uint32_t size;
		int is_rcv;
		const struct tcp_pcb *pcb;
	} blk[M_MAX];
	unsigned int bad;              /* frees of what we never gave, or twice */
} M;

static void *m_alloc(void *arg, struct tcp_pcb *pcb, uint32_t size, int is_rcv)
{
	unsigned int i;
	void *p;

	if (arg != &M || M.fail_all || (is_rcv && M.fail_rcv))
		return NULL;
	for (i = 0; i < M_MAX && M.blk[i].mem; i++)
		;
	if (i == M_MAX || !(p = malloc(size)))
		return NULL;
	M.blk[i].mem = p;
	M.blk[i].size = size;
	M.blk[i].is_rcv = is_rcv;
	M.blk[i].pcb = pcb;
	M.allocs++;
	M.live += size;
	return p;
}

static void m_free(void *arg, struct tcp_pcb *pcb, void *mem, uint32_t size, int is_rcv)
{
	unsigned int i;

	for (i = 0; i < M_MAX; i++)
		if (M.blk[i].mem == mem)
			break;
	if (arg != &M || i == M_MAX || M.blk[i].size != size || M.blk[i].is_rcv != is_rcv ||
	    M.blk[i].pcb != pcb) {
		M.bad++;
		return;
	}
	free(mem);
	M.blk[i].mem = NULL;
	M.frees++;
	M.live -= size;
}

static const struct tcp_mem_ops m_ops = { .alloc = m_alloc, .free = m_free };

/* The block M gave for pcb's ring (is_rcv), or NULL. */
static void *m_block(const struct tcp_pcb *pcb, int is_rcv)
{
	unsigned int i;

	for (i = 0; i < M_MAX; i++)
		if (M.blk[i].mem && M.blk[i].pcb == pcb && M.blk[i].is_rcv == is_rcv)
			return M.blk[i].mem;
	return NULL;
}

/* --- a fake admitter that looks at the owner ------------------------------------------ */

/* What tcp_helper_admit_ops was asked; FA.owner: the owner request() saw. */
static struct tcp_helper_admit FA;

/* --- helpers ------------------------------------------------------------------------------ */

/* A host, the listener L on PORT (backlog 16), nothing else. */
static int setup(void)
{
	stream_fill();
	memset(&M, 0, sizeof(M));
	memset(&FA, 0, sizeof(FA));
	if (tcp_helper_host(PISN))
		return -1;
	H.s.tcp->cc = &tcp_cc_newreno;
	return tcp_helper_listen(16);
}

/* Let a step end (reap what was freed): timers run without time moving. */
static void settle(void)
{
	fake_advance(&H, 0);
}

/* The peer's SYN (Linux's options: MSS 1460, SACK, TS 100, WS 7) from
 * port pport to PORT. Leaves P ready for the handshake's ACK when a
 * SYN-ACK came; returns the frames sent. New step. */
static unsigned int peer_syn(uint16_t pport)
{
	size_t n = fake_tcp_syn_opts(O, 1460, 7, 1, 1, 100);

	fake_mark(&H);
	P.port = pport;
	P.lport = PORT;
	P.seq = PISN;
	P.tsval = 100;
	fake_tcp_rx(&P, PISN, 0, TH_SYN, 65535, O, n, NULL, 0);
	if (H.nif.n == 1 && fake_tcp_sent(&H, 0, &V) == 0) {
		P.seq = PISN + 1;
		P.ack = V.seq + 1;
		P.ts = V.o.ts_ok;
		P.tsecr = V.o.tsval;
		P.tsval = 101;
		P.win = 2048;
	}
	return H.nif.n;
}

/* The handshake's ACK (after peer_syn); A.pcb is the accepted connection. */
static struct tcp_pcb *peer_ack(void)
{
	A.pcb = NULL;
	fake_mark(&H);
	fake_tcp_send(&P, TH_ACK, NULL, 0);
	R0 = P.seq;
	return A.pcb;
}

/* The peer's SYN-ACK (ISN PISN, window 65535; MSS 1460, SACK, TSval 500,
 * WS 7) to the SYN in V, which we sent from lport to its RPORT. */
static void peer_syn_ack(uint16_t lport)
{
	P.port = RPORT;
	P.lport = lport;
	P.ack = V.seq + 1;
	fake_mark(&H);
	fake_tcp_rx(&P, PISN, P.ack, TH_SYN | TH_ACK, 65535, O,
		    fake_tcp_syn_opts(O, 1460, 7, 1, 1, 500), NULL, 0);
}

/* Active open of the fresh pcb from lport to the peer's RPORT; the peer
 * answers with MSS 1460, SACK, TS, WS 7 and window 2048 (<< 7). Returns
 * 0 once established, else -1 or tcp_connect_pcb's error. */
static int active_open(struct tcp_pcb *pcb, uint16_t lport)
{
	int err;

	fake_mark(&H);
	A.connected = 0;
	err = tcp_connect_pcb(pcb, lport, FAKE_V4(FAKE_PEER_IP), RPORT, fake_tcp_app_cb(), &A);
	if (err)
		return err;
	if (H.nif.n != 1 || fake_tcp_sent(&H, 0, &V) || V.flags != TH_SYN)
		return -1;
	P.seq = PISN;
	peer_syn_ack(lport);
	if (H.nif.n != 1 || fake_tcp_sent(&H, 0, &V) || A.connected != 1 || A.connect_err)
		return -1;
	P.seq = PISN + 1;
	P.ts = 1;
	P.tsval = 501;
	P.tsecr = V.o.tsval;
	P.win = 2048;
	R0 = P.seq;
	fake_mark(&H);
	return 0;
}

/* Peer data at stream offset off, for streams longer than pat: bytes
 * from pat at off modulo 64 KiB (contents not checked). */
static void send_long(uint32_t off, uint32_t len)
{
	uint8_t o[12];

	fake_tcp_rx(&P, R0 + off, P.ack, TH_ACK, P.win, o, fake_tcp_ts_opt(o, P.tsval, P.tsecr),
		    pat + (off & 0xffff), len);
}

/* Copy n bytes into the send ring through its view, at its tail. */
static void view_write(struct tcp_pcb *pcb, const uint8_t *src, uint32_t n)
{
	struct tcp_ringview v;
	uint32_t i;

	tcp_snd_view(pcb, &v);
	for (i = 0; i < n; i++)
		v.buf[(v.head + v.len + i) & (v.size - 1)] = src[i];
}

/* --- owner ---------------------------------------------------------------------------------- */

/* The listener's owner is every connection's it makes: half-open (before
 * the handshake ends: the admitter asks then), established, and one made
 * from a SYN cookie's ACK. */
TEST(owner_inherited_by_connections)
{
	struct tcp_pcb *pcb;

	REQUIRE(setup() == 0);
	CHECK(tcp_owner(L) == NULL);
	tcp_set_owner(L, &CRED);
	CHECK(tcp_owner(L) == &CRED);
	tcp_set_admit(&H.s, &tcp_helper_admit_ops, &FA);
	REQUIRE(peer_syn(PPORT) == 1);
	CHECK_EQ(FA.requests, 1);
	CHECK(FA.owner == &CRED); /* asked with the owner known */
	REQUIRE(conn() != NULL);
	CHECK_EQ(state(conn()), TCP_SYN_RECEIVED);
	CHECK(tcp_owner(conn()) == &CRED);
	pcb = peer_ack();
	REQUIRE(pcb != NULL);
	CHECK(tcp_owner(pcb) == &CRED);
	/* The application may change it; the listener's stays. */
	tcp_set_owner(pcb, &CRED2);
	CHECK(tcp_owner(pcb) == &CRED2);
	CHECK(tcp_owner(L) == &CRED);
	stack_fini(&H.s);

	/* SYN cookies: nothing is kept at the SYN; the ACK makes it. */
	REQUIRE(setup() == 0);
	tcp_set_syncookies(&H.s, TCP_SYNCOOKIES_ALWAYS);
	tcp_set_owner(L, &CRED);
	REQUIRE(peer_syn(PPORT) == 1);
	CHECK_EQ(H.s.cnt[AX_C_tcp_syncookies_sent] - H.mark[AX_C_tcp_syncookies_sent], 1);
	CHECK(conn() == NULL);
	pcb = peer_ack();
	REQUIRE(pcb != NULL);
	CHECK_EQ(H.s.cnt[AX_C_tcp_syncookies_recv] - H.mark[AX_C_tcp_syncookies_recv], 1);
	CHECK(tcp_owner(pcb) == &CRED);
	stack_fini(&H.s);
}

/* An outbound connection's owner is set before its SYN (tcp_new, then
 * tcp_connect_pcb): the admitter's request() sees it. */
TEST(owner_known_to_admitter_before_syn)
{
	struct tcp_pcb *pcb;

	REQUIRE(setup() == 0);
	tcp_set_admit(&H.s, &tcp_helper_admit_ops, &FA);
	pcb = tcp_new(&H.s);
	REQUIRE(pcb != NULL);
	tcp_set_owner(pcb, &CRED2);
	REQUIRE(active_open(pcb, 50000) == 0);
	CHECK_EQ(FA.requests, 1);
	CHECK(FA.owner == &CRED2);
	CHECK(tcp_owner(pcb) == &CRED2);
	stack_fini(&H.s);
}

/* --- ring memory ----------------------------------------------------------------------------- */

/* Rings come from the listener's memory hook, at establishment (none at
 * the SYN), sized by its SO_SNDBUF/SO_RCVBUF; the views show that memory
 * and the data in it; everything is given back, once, when the
 * connection is freed, after its closed callback. */
TEST(ring_memory_from_hook)
{
	struct tcp_pcb *pcb;
	struct tcp_ringview sv, rv;

	REQUIRE(setup() == 0);
	tcp_set_mem(L, &m_ops, &M);
	CHECK_EQ(tcp_set_bufsize(L, 8192, 16384), 0);
	REQUIRE(peer_syn(PPORT) == 1);
	CHECK_EQ(M.allocs, 0); /* a half-open connection costs no ring */
	pcb = peer_ack();
	REQUIRE(pcb != NULL);
	CHECK_EQ(M.allocs, 2);
	CHECK_EQ(M.live, 8192 + 16384);
	tcp_snd_view(pcb, &sv);
	tcp_rcv_view(pcb, &rv);
	CHECK(sv.buf != NULL && sv.buf == m_block(pcb, 0));
	CHECK(rv.buf != NULL && rv.buf == m_block(pcb, 1));
	CHECK_EQ(sv.size, 8192);
	CHECK_EQ(rv.size, 16384);
	CHECK_EQ(sv.len, 0);
	CHECK_EQ(sv.head, P.ack);     /* stream offsets are sequence numbers */
	CHECK_EQ(rv.head, R0);
	CHECK_EQ(tcp_sndbuf(pcb), 8192);

	/* The peer's data lands in that memory at its sequence numbers. */
	send_at(0, 1000);
	tcp_rcv_view(pcb, &rv);
	CHECK_EQ(rv.len, 1000);
	CHECK_MEM(rv.buf + (rv.head & (rv.size - 1)), pat, 1000);

	/* Closed with unread data: RST, the closed callback is not ours
	 * (tcp_abort), and the memory goes back at the end of the step. */
	fake_mark(&H);
	tcp_abort(pcb);
	CHECK_EQ(H.nif.n, 1);
	CHECK_EQ(M.frees, 0);
	settle();
	CHECK_EQ(M.frees, 2);
	CHECK_EQ(M.live, 0);
	CHECK_EQ(M.bad, 0);
	stack_fini(&H.s);
	CHECK_EQ(M.frees, 2);
}

/* No memory for the rings: the peer gets a RST, nobody is handed a
 * connection, and what was given is given back. An active open learns it
 * from connected(-ENOMEM). */
TEST(ring_memory_hook_out_of_memory)
{
	struct tcp_pcb *pcb;

	REQUIRE(setup() == 0);
	tcp_set_mem(L, &m_ops, &M);
	M.fail_rcv = 1;
	REQUIRE(peer_syn(PPORT) == 1);
	CHECK(peer_ack() == NULL);
	CHECK_EQ(A.accepted, 0);
	REQUIRE(H.nif.n == 1);
	CHECK_SEG(0, TH_RST | TH_ACK, P.ack, P.seq, 0);
	CHECK_EQ(H.s.cnt[AX_C_tcp_no_memory] - H.mark[AX_C_tcp_no_memory], 1);
	CHECK_EQ(M.allocs, 1); /* the send ring, given back */
	CHECK_EQ(M.frees, 1);
	CHECK_EQ(M.live, 0);
	CHECK(conn() == NULL);
	stack_fini(&H.s);

	REQUIRE(setup() == 0);
	M.fail_all = 1;
	pcb = tcp_new(&H.s);
	REQUIRE(pcb != NULL);
	tcp_set_mem(pcb, &m_ops, &M);
	CHECK_EQ(tcp_connect_pcb(pcb, 50000, FAKE_V4(FAKE_PEER_IP), RPORT, fake_tcp_app_cb(), &A), 0);
	REQUIRE(fake_tcp_sent(&H, 0, &V) == 0);
	P.port = RPORT;
	P.lport = 50000;
	fake_mark(&H);
	fake_tcp_rx(&P, PISN, V.seq + 1, TH_SYN | TH_ACK, 65535, NULL, 0, NULL, 0);
	CHECK_EQ(A.connected, 1);
	CHECK_EQ(A.connect_err, -ENOMEM);
	CHECK_EQ(M.allocs, 0);
	CHECK_EQ(M.live, 0);
	stack_fini(&H.s);
}

/* A connection in TIME_WAIT that the application let go of needs no
 * rings: they go back at once, not 2MSL later (100k closed connections
 * kept their pages for a minute). The tuple stays busy until 2MSL is over. */
TEST(rings_freed_in_time_wait_tuple_busy)
{
	struct tcp_pcb *pcb, *again;
	struct tcp_ringview v;

	REQUIRE(setup() == 0);
	pcb = tcp_new(&H.s);
	REQUIRE(pcb != NULL);
	tcp_set_mem(pcb, &m_ops, &M);
	REQUIRE(active_open(pcb, 50000) == 0);
	CHECK_EQ(M.allocs, 2);
	CHECK_EQ(tcp_tuple_busy(&H.s, NULL, 50000, FAKE_V4(FAKE_PEER_IP), RPORT), 1);
	CHECK_EQ(tcp_tuple_busy(&H.s, NULL, 50001, FAKE_V4(FAKE_PEER_IP), RPORT), 0);
	CHECK_EQ(tcp_tuple_busy(&H.s, NULL, 50000, FAKE_V4(FAKE_OTHER_IP), RPORT), 0);
	CHECK_EQ(tcp_tuple_busy(&H.s, NULL, 50000, FAKE_V4(FAKE_PEER_IP), RPORT + 1), 0);
	CHECK_EQ(tcp_connect2(&H.s, 50000, FAKE_V4(FAKE_PEER_IP), RPORT, fake_tcp_app_cb(), &A, &again),
		 -EADDRINUSE);

	/* We close first: FIN_WAIT_1, the peer ACKs and sends its FIN. */
	tcp_close(pcb);
	REQUIRE(H.nif.n == 1);
	CHECK_SEG(0, OUR_FIN, P.ack, R0, 0);
	P.ack++;
	fake_mark(&H);
	fake_tcp_send(&P, TH_ACK | TH_FIN, NULL, 0);
	REQUIRE(conn() != NULL);
	CHECK_EQ(state(conn()), TCP_TIME_WAIT);
	CHECK_EQ(M.frees, 2);
	CHECK_EQ(M.live, 0);
	tcp_rcv_view(conn(), &v);
	CHECK(v.buf == NULL);
	CHECK_EQ(v.len, 0);
	CHECK_EQ(tcp_tuple_busy(&H.s, NULL, 50000, FAKE_V4(FAKE_PEER_IP), RPORT), 1);
	CHECK_EQ(tcp_connect2(&H.s, 50000, FAKE_V4(FAKE_PEER_IP), RPORT, fake_tcp_app_cb(), &A, &again),
		 -EADDRINUSE);

	/* A retransmitted FIN is still answered. */
	fake_mark(&H);
	fake_tcp_rx(&P, P.seq - 1, P.ack, TH_ACK | TH_FIN, P.win, NULL, 0, NULL, 0);
	CHECK_EQ(H.nif.n, 1);

	/* 2MSL later the tuple is free. */
	fake_advance(&H, AX_TCP_TIME_WAIT_MS);
	CHECK(conn() == NULL);
	CHECK_EQ(tcp_tuple_busy(&H.s, NULL, 50000, FAKE_V4(FAKE_PEER_IP), RPORT), 0);
	fake_mark(&H);
	CHECK_EQ(tcp_connect2(&H.s, 50000, FAKE_V4(FAKE_PEER_IP), RPORT, fake_tcp_app_cb(), &A, &again), 0);
	CHECK_EQ(H.nif.n, 1);
	CHECK_EQ(M.bad, 0);
	stack_fini(&H.s);
}

/* Is [p, p + len) mapped? 1, 0 (mincore: ENOMEM), -1 (anything else). */
static int mapped(const void *p, size_t len)
{
	unsigned char vec[AX_TCP_BUF_MAX / 4096];

	if (mincore((void *)p, len, vec) == 0)
		return 1;
	return errno == ENOMEM ? 0 : -1;
}

/* The engine's own rings (no hook) likewise: none in TIME_WAIT. Rings of
 * 64 KiB and more are mappings of their own (opt.h
 * AX_TCP_RING_MMAP_MIN), gone from the address space once freed: from
 * glibc's heap, 100k closed connections kept ~1 GB resident. */
TEST(own_rings_freed_in_time_wait)
{
	struct tcp_pcb *pcb;
	struct tcp_ringview v;
	uint8_t *snd_mem, *rcv_mem;

	REQUIRE(setup() == 0);
	REQUIRE(tcp_connect2(&H.s, 50000, FAKE_V4(FAKE_PEER_IP), RPORT, fake_tcp_app_cb(), &A, &pcb) == 0);
	/* tcp_connect2 sent the SYN; replay the handshake on a fresh pcb
	 * would be simpler, but this checks tcp_connect2's path too. */
	REQUIRE(fake_tcp_sent(&H, 0, &V) == 0);
	P.port = RPORT;
	P.lport = 50000;
	P.ack = V.seq + 1;
	fake_mark(&H);
	fake_tcp_rx(&P, PISN, P.ack, TH_SYN | TH_ACK, 65535, NULL, 0, NULL, 0);
	REQUIRE(A.connected == 1 && A.connect_err == 0);
	P.seq = PISN + 1;
	R0 = P.seq;
	tcp_snd_view(pcb, &v);
	CHECK(v.buf != NULL);
	CHECK_EQ(v.size, AX_TCP_SNDBUF);
	snd_mem = v.buf;
	tcp_rcv_view(pcb, &v);
	rcv_mem = v.buf;
	CHECK_EQ((uintptr_t)snd_mem % 4096, 0);
	CHECK_EQ((uintptr_t)rcv_mem % 4096, 0);
	CHECK_EQ(mapped(snd_mem, AX_TCP_SNDBUF), 1);
	CHECK_EQ(mapped(rcv_mem, AX_TCP_RCVBUF), 1);
	fake_mark(&H);
	tcp_close(pcb);
	P.ack++;
	fake_tcp_send(&P, TH_ACK | TH_FIN, NULL, 0);
	REQUIRE(conn() != NULL);
	CHECK_EQ(state(conn()), TCP_TIME_WAIT);
	tcp_snd_view(conn(), &v);
	CHECK(v.buf == NULL);
	tcp_rcv_view(conn(), &v);
	CHECK(v.buf == NULL);
	CHECK_EQ(mapped(snd_mem, AX_TCP_SNDBUF), 0);
	CHECK_EQ(mapped(rcv_mem, AX_TCP_RCVBUF), 0);
	stack_fini(&H.s); /* LeakSanitizer: nothing left */
}

/* --- zero-copy views --------------------------------------------------------------------------- */

/* Bytes written at the send ring's tail through its view go out once
 * produced; a count beyond the free space (a program's nonsense) is
 * refused and changes nothing; after shutdown -EPIPE; before a connection
 * -ENOTCONN. The ring wraps. */
TEST(snd_produced_contract)
{
	struct tcp_pcb *pcb, *fresh;
	struct tcp_ringview v;
	uint32_t iss1;

	REQUIRE(setup() == 0);
	CHECK_EQ(tcp_set_bufsize(L, 4096, 0), 0);
	REQUIRE(peer_syn(PPORT) == 1);
	pcb = peer_ack();
	REQUIRE(pcb != NULL);
	iss1 = P.ack;
	tcp_set_nodelay(pcb, 1); /* the short third segment goes too */

	view_write(pcb, pat, 3000);
	fake_mark(&H);
	CHECK_EQ(tcp_snd_produced(pcb, 3000), 0);
	REQUIRE(H.nif.n == 3);
	CHECK_SEG(0, TH_ACK, iss1, R0, MSS_TS);
	CHECK_MEM(V.data, pat, MSS_TS);
	CHECK_SEG(2, TH_ACK | TH_PSH, iss1 + 2 * MSS_TS, R0, 3000 - 2 * MSS_TS);
	CHECK_MEM(V.data, pat + 2 * MSS_TS, 3000 - 2 * MSS_TS);
	tcp_snd_view(pcb, &v);
	CHECK_EQ(v.len, 3000);

	/* 1096 free: 1097 is refused, nothing moves. */
	fake_mark(&H);
	CHECK_EQ(tcp_snd_produced(pcb, 1097), -EINVAL);
	CHECK_EQ(tcp_snd_produced(pcb, UINT32_MAX), -EINVAL);
	CHECK_CNT(&H);
	tcp_snd_view(pcb, &v);
	CHECK_EQ(v.len, 3000);
	CHECK_EQ(tcp_sndbuf(pcb), 1096);

	/* The peer ACKs it all; 3000 more wrap around the 4096-byte ring. */
	P.win = 2048;
	fake_mark(&H);
	send_at(0, 0);
	{
		uint8_t o[12];

		fake_tcp_rx(&P, P.seq, iss1 + 3000, TH_ACK, P.win, o,
			    fake_tcp_ts_opt(o, P.tsval, P.tsecr), NULL, 0);
	}
	CHECK_EQ(tcp_sndbuf(pcb), 4096);
	view_write(pcb, pat + 3000, 3000);
	fake_mark(&H);
	CHECK_EQ(tcp_snd_produced(pcb, 3000), 0);
	REQUIRE(H.nif.n >= 2);
	CHECK_SEG(0, TH_ACK, iss1 + 3000, R0, MSS_TS);
	CHECK_MEM(V.data, pat + 3000, MSS_TS); /* crosses the ring's end */
	CHECK_EQ(tcp_snd_produced(pcb, 0), 0);

	/* Shut down: no more. */
	CHECK_EQ(tcp_shutdown(pcb), 0);
	CHECK_EQ(tcp_snd_produced(pcb, 1), -EPIPE);
	CHECK_EQ(tcp_snd_produced(pcb, 100000), -EPIPE);

	/* Not connected: a fresh pcb, and one in SYN_SENT. */
	fresh = tcp_new(&H.s);
	REQUIRE(fresh != NULL);
	tcp_snd_view(fresh, &v);
	CHECK(v.buf == NULL);
	CHECK_EQ(v.size, 0);
	CHECK_EQ(tcp_snd_produced(fresh, 1), -ENOTCONN);
	CHECK_EQ(tcp_rcv_consumed(fresh, 1), -EINVAL);
	CHECK_EQ(tcp_rcv_consumed(fresh, 0), 0);
	CHECK_EQ(tcp_connect_pcb(fresh, 50000, FAKE_V4(FAKE_PEER_IP), RPORT, fake_tcp_app_cb(), &A), 0);
	CHECK_EQ(state(fresh), TCP_SYN_SENT);
	CHECK_EQ(tcp_snd_produced(fresh, 1), -ENOTCONN);
	stack_fini(&H.s);
}

/* The receive ring's view shows the peer's bytes; consuming more than it
 * holds is refused and changes nothing; consuming opens a closed window
 * with an ACK, as tcp_read does. */
TEST(rcv_consumed_contract)
{
	struct tcp_pcb *pcb;
	struct tcp_ringview v;
	uint32_t k, full = AX_TCP_RCVWND_INIT;

	REQUIRE(setup() == 0);
	REQUIRE(peer_syn(PPORT) == 1);
	pcb = peer_ack();
	REQUIRE(pcb != NULL);
	for (k = 0; k < full / 1024; k++)
		send_at(k * 1024, 1024);
	fake_mark(&H);
	send_at(full, 1);
	REQUIRE(H.nif.n == 1);
	CHECK_SEG(0, TH_ACK, P.ack, R0 + full, 0);
	CHECK_EQ(V.win, 0);
	tcp_rcv_view(pcb, &v);
	CHECK_EQ(v.len, full);
	CHECK_EQ(v.head, R0);
	CHECK_MEM(v.buf + (v.head & (v.size - 1)), pat, 4096);

	fake_mark(&H);
	CHECK_EQ(tcp_rcv_consumed(pcb, full + 1), -EINVAL);
	CHECK_EQ(tcp_rcv_consumed(pcb, UINT32_MAX), -EINVAL);
	CHECK_CNT(&H);
	tcp_rcv_view(pcb, &v);
	CHECK_EQ(v.len, full);
	CHECK_EQ(v.head, R0);

	/* Under an MSS: silent; then 3000 free: offered. */
	CHECK_EQ(tcp_rcv_consumed(pcb, 1000), 0);
	CHECK_EQ(H.nif.n, 0);
	CHECK_EQ(tcp_rcv_consumed(pcb, 2000), 0);
	REQUIRE(H.nif.n == 1);
	CHECK_SEG(0, TH_ACK, P.ack, R0 + full, 0);
	CHECK_EQ(V.win, 3000 >> SHIFT);
	tcp_rcv_view(pcb, &v);
	CHECK_EQ(v.len, full - 3000);
	CHECK_EQ(v.head, R0 + 3000);
	CHECK_MEM(v.buf + (v.head & (v.size - 1)), pat + 3000, 1000);
	CHECK_EQ(tcp_rcv_consumed(pcb, full - 3000), 0);
	CHECK_EQ(tcp_read(pcb, rd, sizeof(rd)), -EAGAIN);
	stack_fini(&H.s);
}

/* --- buffer sizes and autotuning --------------------------------------------------------------- */

/* SO_SNDBUF/SO_RCVBUF: rounded up to a power of two within
 * AX_TCP_BUF_MIN..AX_TCP_BUF_MAX; the SYN offers the receive size (up to
 * 65535); once established only the window's limit may grow. */
TEST(bufsize_rounding_and_limits)
{
	struct tcp_pcb *pcb;
	uint32_t snd, rcv;

	REQUIRE(setup() == 0);
	pcb = tcp_new(&H.s);
	REQUIRE(pcb != NULL);
	tcp_get_bufsize(pcb, &snd, &rcv);
	CHECK_EQ(snd, AX_TCP_SNDBUF);
	CHECK_EQ(rcv, AX_TCP_RCVWND_INIT); /* autotuning's first window */
	CHECK_EQ(tcp_set_bufsize(pcb, 1, 5000), 0);
	tcp_get_bufsize(pcb, &snd, &rcv);
	CHECK_EQ(snd, AX_TCP_BUF_MIN);
	CHECK_EQ(rcv, 8192);
	CHECK_EQ(tcp_set_bufsize(pcb, UINT32_MAX, 9u << 20), 0);
	tcp_get_bufsize(pcb, &snd, &rcv);
	CHECK_EQ(snd, AX_TCP_BUF_MAX);
	CHECK_EQ(rcv, AX_TCP_BUF_MAX);
	CHECK_EQ(tcp_set_bufsize(pcb, 0, 8192), 0); /* 0: that side stays */
	tcp_get_bufsize(pcb, &snd, &rcv);
	CHECK_EQ(snd, AX_TCP_BUF_MAX);
	CHECK_EQ(rcv, 8192);
	REQUIRE(tcp_connect_pcb(pcb, 50000, FAKE_V4(FAKE_PEER_IP), RPORT, fake_tcp_app_cb(), &A) == 0);
	REQUIRE(fake_tcp_sent(&H, 0, &V) == 0);
	CHECK_EQ(V.win, 8192);
	peer_syn_ack(50000);
	REQUIRE(A.connected == 1 && A.connect_err == 0);
	REQUIRE(fake_tcp_sent(&H, 0, &V) == 0);
	CHECK_EQ(V.win, 8192 >> SHIFT);
	CHECK_EQ(tcp_sndbuf(pcb), AX_TCP_BUF_MAX);
	/* Established: the receive limit grows (to the ring at most), never
	 * shrinks; the send ring stays. */
	CHECK_EQ(tcp_set_bufsize(pcb, 4096, 4096), 0);
	tcp_get_bufsize(pcb, &snd, &rcv);
	CHECK_EQ(snd, AX_TCP_BUF_MAX);
	CHECK_EQ(rcv, 8192);
	CHECK_EQ(tcp_set_bufsize(pcb, 0, 1u << 20), 0);
	tcp_get_bufsize(pcb, &snd, &rcv);
	CHECK_EQ(rcv, 8192);
	stack_fini(&H.s);
}

/* Autotuning (Linux tcp_rcv_space_adjust): a connection first offers 64
 * KiB (AX_TCP_RCVWND_INIT) of its ring (AX_TCP_RCVBUF); a reader that drains more
 * in a round trip than before makes it offer more, up to the ring and no
 * further. Before, the window was the whole ring from the start, so every
 * connection let its peer fill (and touch) all of it. */
TEST(autotuning_grows_window_for_fast_reader)
{
	struct tcp_pcb *pcb;
	uint32_t off = 0, k, i, prev;

	REQUIRE(setup() == 0);
	REQUIRE(peer_syn(PPORT) == 1);
	CHECK_EQ(V.win, 65535); /* the SYN-ACK: unscaled, the first window */
	pcb = peer_ack();
	REQUIRE(pcb != NULL);
	CHECK_EQ(pcb->rcv_buf, AX_TCP_RCVWND_INIT);

	/* Rounds: the peer sends three quarters of the window (48 KiB
	 * first), 2 ms pass, the reader takes it all; until the window
	 * reached the ring. */
	prev = pcb->rcv_buf;
	for (i = 0; i < 32 && pcb->rcv_buf < AX_TCP_RCVBUF; i++) {
		uint32_t n = pcb->rcv_buf / 1024 * 3 / 4, got = 0;
		ssize_t r;

		for (k = 0; k < n; k++, off += 1024)
			send_long(off, 1024);
		fake_advance(&H, 2);
		fake_mark(&H);
		while ((r = tcp_read(pcb, rd, sizeof(rd))) > 0)
			got += (uint32_t)r;
		CHECK_EQ(got, n * 1024);
		CHECK(pcb->rcv_buf >= prev);
		CHECK(pcb->rcv_buf <= AX_TCP_RCVBUF);
		prev = pcb->rcv_buf;
	}
	CHECK_EQ(pcb->rcv_buf, AX_TCP_RCVBUF);
	CHECK(H.s.cnt[AX_C_tcp_rcvbuf_grown] >= 1);
	/* The window the peer sees says so. */
	fake_mark(&H);
	send_long(off, 1024);
	send_long(off + 1024, 1024);
	REQUIRE(H.nif.n >= 1);
	REQUIRE(fake_tcp_sent(&H, H.nif.n - 1, &V) == 0);
	CHECK_EQ(V.win, (AX_TCP_RCVBUF - 2048) >> SHIFT);
	stack_fini(&H.s);
}

/* A reader that takes little per round trip keeps the first window; one
 * whose application set SO_RCVBUF gets that window and no autotuning. */
TEST(autotuning_slow_reader_and_user_rcvbuf)
{
	struct tcp_pcb *pcb;
	uint32_t off = 0, i;

	REQUIRE(setup() == 0);
	REQUIRE(peer_syn(PPORT) == 1);
	pcb = peer_ack();
	REQUIRE(pcb != NULL);
	fake_mark(&H);
	for (i = 0; i < 50; i++, off += 1000) {
		send_long(off, 1000);
		fake_advance(&H, 2);
		CHECK_EQ(tcp_read(pcb, rd, sizeof(rd)), 1000);
	}
	CHECK_EQ(pcb->rcv_buf, AX_TCP_RCVWND_INIT);
	CHECK_EQ(H.s.cnt[AX_C_tcp_rcvbuf_grown] - H.mark[AX_C_tcp_rcvbuf_grown], 0);
	stack_fini(&H.s);

	REQUIRE(setup() == 0);
	CHECK_EQ(tcp_set_bufsize(L, 0, 128 * 1024), 0);
	REQUIRE(peer_syn(PPORT) == 1);
	CHECK_EQ(V.win, 65535);
	pcb = peer_ack();
	REQUIRE(pcb != NULL);
	fake_mark(&H);
	for (i = 0, off = 0; i < 8; i++) {
		uint32_t k;

		for (k = 0; k < 48; k++, off += 1024)
			send_long(off, 1024);
		fake_advance(&H, 2);
		CHECK_EQ(tcp_read(pcb, rd, sizeof(rd)), 48 * 1024);
	}
	CHECK_EQ(pcb->rcv_buf, 128 * 1024);
	CHECK_EQ(pcb->rcv.size, 128 * 1024);
	CHECK_EQ(H.s.cnt[AX_C_tcp_rcvbuf_grown] - H.mark[AX_C_tcp_rcvbuf_grown], 0);
	fake_mark(&H);
	send_long(off, 1024);
	send_long(off + 1024, 1024);
	REQUIRE(fake_tcp_sent(&H, H.nif.n - 1, &V) == 0);
	CHECK_EQ(V.win, (128 * 1024 - 2048) >> SHIFT);
	stack_fini(&H.s);
}

/* --- local endpoints ------------------------------------------------------------------------------ */

/* Reuse-port groups: several listeners on one port if each asked; SYNs
 * spread over them by a hash of the 4-tuple (the same tuple, the same
 * listener); one that goes leaves the rest serving. */
TEST(reuseport_spreads_syns)
{
	static struct fake_tcp_app apps[4];
	struct tcp_pcb *g[4], *pcb;
	unsigned int i, j, hits[4] = { 0 };

	REQUIRE(setup() == 0);
	/* L (no reuse-port) has the port. */
	errno = 0;
	CHECK(tcp_listen2(&H.s, FAKE_V4(0), PORT, 16, 1, fake_tcp_app_cb(), &apps[0]) == NULL);
	CHECK_EQ(errno, EADDRINUSE);
	tcp_close(L);
	errno = 0;
	CHECK(tcp_listen2(&H.s, FAKE_V4(FAKE_OTHER_IP), PORT, 16, 1, fake_tcp_app_cb(), &apps[0]) ==
	      NULL);
	CHECK_EQ(errno, EADDRNOTAVAIL);
	memset(apps, 0, sizeof(apps));
	for (i = 0; i < 4; i++) {
		g[i] = tcp_listen2(&H.s, FAKE_V4(0), PORT, 64, 1, fake_tcp_app_cb(), &apps[i]);
		REQUIRE(g[i] != NULL);
	}
	/* One without reuse-port cannot join. */
	errno = 0;
	CHECK(tcp_listen2(&H.s, FAKE_V4(0), PORT, 16, 0, fake_tcp_app_cb(), &A) == NULL);
	CHECK_EQ(errno, EADDRINUSE);

	for (i = 0; i < 64; i++) {
		struct tcp_pcb *l = tcp_select_listener(&H.s, FAKE_V4(FAKE_OUR_IP), PORT, FAKE_V4(FAKE_PEER_IP),
							(uint16_t)(PPORT + i));

		REQUIRE(peer_syn((uint16_t)(PPORT + i)) == 1);
		pcb = conn();
		REQUIRE(pcb != NULL);
		CHECK(pcb->listener == l);
		CHECK(l == tcp_select_listener(&H.s, FAKE_V4(FAKE_OUR_IP), PORT, FAKE_V4(FAKE_PEER_IP), (uint16_t)(PPORT + i)));
		for (j = 0; j < 4; j++)
			if (pcb->listener == g[j])
				hits[j]++;
		fake_mark(&H);
		fake_tcp_send(&P, TH_ACK, NULL, 0);
	}
	for (j = 0; j < 4; j++) {
		CHECK(hits[j] > 0);
		CHECK_EQ(apps[j].accepted, hits[j]);
	}
	CHECK_EQ(hits[0] + hits[1] + hits[2] + hits[3], 64);

	/* Two go: the others take every SYN. */
	tcp_close(g[1]);
	tcp_close(g[2]);
	for (i = 64; i < 96; i++) {
		REQUIRE(peer_syn((uint16_t)(PPORT + i)) == 1);
		pcb = conn();
		REQUIRE(pcb != NULL);
		CHECK(pcb->listener == g[0] || pcb->listener == g[3]);
		fake_mark(&H);
		fake_tcp_send(&P, TH_ACK, NULL, 0); /* no half-open pile (cookies) */
	}
	CHECK_EQ(apps[0].accepted + apps[3].accepted, hits[0] + hits[3] + 32);
	stack_fini(&H.s);
}

/* tcp_connect2: the caller's local port; 0 is no port; a busy 4-tuple is
 * -EADDRINUSE (RFC 6056's collision check, tcp_tuple_busy), and so is one
 * still half-open. A pcb from tcp_new that is never connected is let go
 * with tcp_abort, costing nothing. */
TEST(connect2_local_port)
{
	struct tcp_pcb *pcb, *other, *fresh;

	REQUIRE(setup() == 0);
	CHECK_EQ(tcp_connect2(&H.s, 0, FAKE_V4(FAKE_PEER_IP), RPORT, fake_tcp_app_cb(), &A, &pcb), -EINVAL);
	fake_mark(&H);
	REQUIRE(tcp_connect2(&H.s, 40001, FAKE_V4(FAKE_PEER_IP), RPORT, fake_tcp_app_cb(), &A, &pcb) == 0);
	REQUIRE(fake_tcp_sent(&H, 0, &V) == 0);
	CHECK_EQ(V.sport, 40001);
	CHECK_EQ(V.dport, RPORT);
	CHECK_EQ(V.flags, TH_SYN);
	CHECK_EQ(state(pcb), TCP_SYN_SENT);
	CHECK_EQ(tcp_tuple_busy(&H.s, NULL, 40001, FAKE_V4(FAKE_PEER_IP), RPORT), 1);
	CHECK_EQ(tcp_connect2(&H.s, 40001, FAKE_V4(FAKE_PEER_IP), RPORT, fake_tcp_app_cb(), &A, &other),
		 -EADDRINUSE);
	/* Another peer port from the same local port is another tuple. */
	CHECK_EQ(tcp_connect2(&H.s, 40001, FAKE_V4(FAKE_PEER_IP), RPORT + 1, fake_tcp_app_cb(), &A, &other),
		 0);

	fake_mark(&H);
	fresh = tcp_new(&H.s);
	REQUIRE(fresh != NULL);
	CHECK_EQ(state(fresh), TCP_CLOSED);
	tcp_set_owner(fresh, &CRED);
	tcp_abort(fresh);
	fresh = tcp_new(&H.s);
	REQUIRE(fresh != NULL);
	tcp_close(fresh);
	settle();
	CHECK_CNT(&H); /* no connection counted, nothing sent */
	/* A fresh pcb that fails to connect is freed by the call. */
	fresh = tcp_new(&H.s);
	REQUIRE(fresh != NULL);
	CHECK_EQ(tcp_connect_pcb(fresh, 40001, FAKE_V4(FAKE_PEER_IP), RPORT, fake_tcp_app_cb(), &A),
		 -EADDRINUSE);
	stack_fini(&H.s); /* LeakSanitizer: nothing left */
}

/* --- per-connection options --------------------------------------------------------------------- */

/* TCP_MAXSEG before the SYN clamps the MSS we announce and use (Linux:
 * the user's MSS less the timestamps option); out of 88..32767 is
 * -EINVAL. A listener's is its connections'. TCP_CONGESTION by name
 * ("reno" is RFC 5681's, as Linux calls it), -ENOENT for an unknown one,
 * passed on by a listener that had it set, as are keepalive, the user
 * timeout and TCP_NODELAY; else the stack's defaults of the moment. */
TEST(maxseg_and_congestion)
{
	struct tcp_pcb *pcb;

	REQUIRE(setup() == 0);
	pcb = tcp_new(&H.s);
	REQUIRE(pcb != NULL);
	CHECK_EQ(tcp_get_maxseg(pcb), 536);
	CHECK_EQ(tcp_set_maxseg(pcb, 87), -EINVAL);
	CHECK_EQ(tcp_set_maxseg(pcb, 32768), -EINVAL);
	CHECK_EQ(tcp_set_maxseg(pcb, 1000), 0);
	CHECK_EQ(tcp_get_maxseg(pcb), 1000);
	CHECK_EQ(tcp_set_congestion(pcb, "vegas"), -ENOENT);
	CHECK_EQ(tcp_set_congestion(pcb, "cubic"), 0);
	CHECK(strcmp(tcp_get_congestion(pcb), "cubic") == 0);
	CHECK_EQ(tcp_set_congestion(pcb, "reno"), 0);
	CHECK(strcmp(tcp_get_congestion(pcb), "reno") == 0);
	CHECK(pcb->cc == &tcp_cc_newreno);
	fake_mark(&H);
	REQUIRE(tcp_connect_pcb(pcb, 50000, FAKE_V4(FAKE_PEER_IP), RPORT, fake_tcp_app_cb(), &A) == 0);
	REQUIRE(fake_tcp_sent(&H, 0, &V) == 0);
	CHECK_EQ(V.o.mss, 1000);
	peer_syn_ack(50000);
	REQUIRE(A.connected == 1 && A.connect_err == 0);
	CHECK_EQ(tcp_get_maxseg(pcb), 1000 - 12);
	CHECK_EQ(tcp_set_maxseg(pcb, 500), 0); /* taken, no effect now */
	CHECK_EQ(tcp_get_maxseg(pcb), 1000 - 12);
	stack_fini(&H.s);

	/* A listener's, passed on. */
	REQUIRE(setup() == 0);
	CHECK_EQ(tcp_set_maxseg(L, 1200), 0);
	CHECK_EQ(tcp_set_congestion(L, "cubic"), 0);
	REQUIRE(peer_syn(PPORT) == 1);
	CHECK_EQ(V.o.mss, 1200);
	pcb = peer_ack();
	REQUIRE(pcb != NULL);
	CHECK_EQ(tcp_get_maxseg(pcb), 1200 - 12);
	CHECK(strcmp(tcp_get_congestion(pcb), "cubic") == 0);
	CHECK(pcb->cc == &tcp_cc_cubic);
	stack_fini(&H.s);

	/* Keepalive, the user timeout and TCP_NODELAY set on a listener are
	 * its connections' too. */
	REQUIRE(setup() == 0);
	tcp_set_keepalive(L, 7000, 700, 5);
	tcp_set_user_timeout(L, 12345);
	tcp_set_nodelay(L, 1);
	CHECK_EQ(H.nif.n, 0);
	REQUIRE(peer_syn(PPORT) == 1);
	pcb = peer_ack();
	REQUIRE(pcb != NULL);
	CHECK_EQ(pcb->ka_idle_ms, 7000);
	CHECK_EQ(pcb->ka_intvl_ms, 700);
	CHECK_EQ(pcb->ka_probes, 5);
	CHECK_EQ(pcb->user_timeout_ms, 12345);
	CHECK(pcb->flags & TF_NODELAY);
	stack_fini(&H.s);

	/* A listener nobody set: its connections take the stack's default
	 * of the moment (L was made under newreno; now it is cubic). */
	REQUIRE(setup() == 0);
	H.s.tcp->cc = &tcp_cc_cubic;
	H.s.tcp->user_timeout_ms = 4321;
	REQUIRE(peer_syn(PPORT) == 1);
	pcb = peer_ack();
	REQUIRE(pcb != NULL);
	CHECK(pcb->cc == &tcp_cc_cubic);
	CHECK_EQ(pcb->user_timeout_ms, 4321);
	CHECK(!(pcb->flags & TF_NODELAY));
	stack_fini(&H.s);
}

/* TCP_INFO in Linux's layout: state numbers, options, MSS, RTO and RTT in
 * microseconds, cwnd in segments, bytes acknowledged and received,
 * retransmissions; glibc's 104 bytes or the kernel's whole struct. */
TEST(linux_tcp_info)
{
	struct tcp_pcb *pcb;
	struct tcp_info ti;
	uint8_t buf[sizeof(struct tcp_info) + 16];
	uint8_t o[12];

	REQUIRE(setup() == 0);
	tcp_get_linux_info(L, &ti);
	CHECK_EQ(ti.tcpi_state, 10); /* TCP_LISTEN */
	REQUIRE(peer_syn(PPORT) == 1);
	tcp_get_linux_info(conn(), &ti);
	CHECK_EQ(ti.tcpi_state, 3); /* TCP_SYN_RECV */
	pcb = peer_ack();
	REQUIRE(pcb != NULL);
	tcp_get_linux_info(pcb, &ti);
	CHECK_EQ(ti.tcpi_state, 1); /* TCP_ESTABLISHED */
	CHECK_EQ(ti.tcpi_ca_state, TCP_CA_Open);
	CHECK_EQ(ti.tcpi_options, TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK | TCPI_OPT_WSCALE);
	CHECK_EQ(ti.tcpi_snd_wscale, 7);
	CHECK_EQ(ti.tcpi_rcv_wscale, AX_TCP_RCV_WSCALE);
	CHECK_EQ(ti.tcpi_snd_mss, MSS_TS);
	CHECK_EQ(ti.tcpi_advmss, 1460);
	CHECK_EQ(ti.tcpi_rcv_mss, 536); /* nothing from the peer yet */
	CHECK_EQ(ti.tcpi_pmtu, 1500);
	/* No round-trip sample yet (a passive open times none): the
	 * initial RTO (RFC 6298 2.1). */
	CHECK_EQ(ti.tcpi_rtt, 0);
	CHECK_EQ(ti.tcpi_rto, AX_TCP_RTO_INIT_MS * 1000);
	CHECK_EQ(ti.tcpi_ato, AX_TCP_DELACK_MS * 1000);
	CHECK_EQ(ti.tcpi_snd_cwnd, AX_TCP_INIT_CWND);
	CHECK_EQ(ti.tcpi_snd_ssthresh, 0x7fffffff);
	CHECK_EQ(ti.tcpi_rcv_ssthresh, AX_TCP_RCVWND_INIT);
	CHECK_EQ(ti.tcpi_snd_wnd, 2048u << 7);
	CHECK_EQ(ti.tcpi_reordering, 3);
	CHECK_EQ(ti.tcpi_total_retrans, 0);
	CHECK_EQ(ti.tcpi_bytes_acked, 0);
	CHECK_EQ(ti.tcpi_bytes_received, 0);

	/* 1000 bytes each way; ours acknowledged 5 ms later. */
	CHECK_EQ(tcp_write(pcb, pat, 1000), 1000);
	send_at(0, 500);
	tcp_get_linux_info(pcb, &ti);
	CHECK_EQ(ti.tcpi_unacked, 1);
	CHECK_EQ(ti.tcpi_bytes_received, 500);
	CHECK_EQ(ti.tcpi_rcv_mss, 500);
	CHECK_EQ(ti.tcpi_bytes_sent, 1000);
	fake_advance(&H, 5);
	fake_tcp_rx(&P, R0 + 500, P.ack + 1000, TH_ACK, P.win, o,
		    fake_tcp_ts_opt(o, P.tsval, P.tsecr), NULL, 0);
	tcp_get_linux_info(pcb, &ti);
	CHECK_EQ(ti.tcpi_unacked, 0);
	CHECK_EQ(ti.tcpi_bytes_acked, 1000);
	CHECK_EQ(ti.tcpi_last_data_recv, 5);
	/* The timestamp echo timed it: 5 ms (RFC 6298 2.2: RTTVAR R/2). */
	CHECK_EQ(ti.tcpi_rtt, 5000);
	CHECK_EQ(ti.tcpi_rttvar, 2500);
	CHECK_EQ(ti.tcpi_min_rtt, 5000);
	CHECK_EQ(ti.tcpi_rto, 200000); /* 5 + 4 * 2.5 ms, under the floor */
	CHECK(ti.tcpi_segs_in >= 3);
	CHECK(ti.tcpi_segs_out >= 3);

	/* A retransmission timeout: Loss, one retransmission, backoff 1. */
	CHECK_EQ(tcp_write(pcb, pat, 100), 100);
	fake_mark(&H);
	fake_advance(&H, pcb->rto_ms);
	CHECK_EQ(H.s.cnt[AX_C_tcp_rto_fired] - H.mark[AX_C_tcp_rto_fired], 1);
	tcp_get_linux_info(pcb, &ti);
	CHECK_EQ(ti.tcpi_ca_state, TCP_CA_Loss);
	CHECK_EQ(ti.tcpi_total_retrans, 1);
	CHECK_EQ(ti.tcpi_retransmits, 1);
	CHECK_EQ(ti.tcpi_backoff, 1);
	CHECK_EQ(ti.tcpi_snd_cwnd, 1);

	/* Lengths: glibc's struct, the kernel's, nothing; never past len. */
	memset(buf, 0xa5, sizeof(buf));
	CHECK_EQ(tcp_get_linux_info_len(pcb, buf, 104), 104);
	CHECK_EQ(buf[0], 1);
	CHECK_EQ(buf[104], 0xa5);
	CHECK_EQ(tcp_get_linux_info_len(pcb, buf, sizeof(buf)), sizeof(struct tcp_info));
	CHECK_EQ(buf[sizeof(struct tcp_info)], 0xa5);
	CHECK_EQ(tcp_get_linux_info_len(pcb, buf, 0), 0);
	stack_fini(&H.s);
}

TEST_MAIN(T(owner_inherited_by_connections), T(owner_known_to_admitter_before_syn),
	  T(ring_memory_from_hook), T(ring_memory_hook_out_of_memory),
	  T(rings_freed_in_time_wait_tuple_busy), T(own_rings_freed_in_time_wait),
	  T(snd_produced_contract), T(rcv_consumed_contract), T(bufsize_rounding_and_limits),
	  T(autotuning_grows_window_for_fast_reader), T(autotuning_slow_reader_and_user_rcvbuf),
	  T(reuseport_spreads_syns), T(connect2_local_port), T(maxseg_and_congestion),
	  T(linux_tcp_info))
