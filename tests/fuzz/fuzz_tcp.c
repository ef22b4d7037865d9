/*
 * fuzz_tcp.c - libFuzzer target for TCP: the options parser on its own,
 * and segments through stack_input() into a stack that lives across
 * inputs, with a listener, an established connection (a scripted
 * handshake, redone whenever the connection has gone) and, when an input
 * asks for one, a connection of our own in SYN-SENT.
 *
 * An input is a list of records (at most 64), each a segment from the
 * peer followed by an application action: a control byte, an action byte,
 * a length byte, then that many bytes of TCP header, options and data.
 * The control byte steers:
 *
 *   bits 0-1  the segment's ports: 0 the established connection's,
 *             1 peer port 41000 + the low byte of its source port to the
 *             listener (new connections), 2 our active connection's,
 *             3 as in the segment
 *   bit 2     seq and ack relative to the connection the ports name
 *             (RCV.NXT and SND.UNA plus a signed 16-bit offset taken
 *             from the segment's numbers), so the fuzzer meets the window;
 *             with no connection, to the last SYN-ACK sent to that port
 *             (the peer's ISN + 1, ours + 1), so it returns SYN cookies
 *   bit 3     keep the data offset as given (else it is clamped into the
 *             segment, so the options are parsed)
 *   bits 4-5  advance the clock by 0, 10 ms, 300 ms or 70 s first (delayed
 *             ACK, RTO, TIME_WAIT, keepalive, FIN_WAIT_2 timers)
 *   bit 6     leave the TCP checksum as given (else it is made right, so
 *             the fuzzer is not stuck in front of the state machine)
 *   bit 7     pad the segment with zero data to 1480 bytes, a full frame
 *             at MTU 1500: windows fill
 *
 * The action byte acts on the established connection after the segment
 * (low 3 bits; the high 5 a parameter): none, write, shutdown, close,
 * abort, Nagle on/off (and CUBIC or NewReno for new connections), connect
 * to the peer, keepalive and user timeout.
 * The application echoes what arrives, as `axnet run --serve echo` does,
 * and closes at the peer's FIN.
 * An admitter (with check(), so cookies are allowed) keeps the connections
 * from ports 41000 + i waiting for their commit until the clock moves
 * (bits 4-5 not 0): a cookie connection's data is held meanwhile.
 *
 * An input whose first byte is 0xff is for the options parser alone: the
 * second byte gives hlen (20 + bits 0-5, at most 60) and the SYN flag
 * (bit 7); the header is the rest, padded with zeros, in a heap block of
 * exactly hlen bytes. tcp_parse_opts() must keep its promises (0 or
 * -EINVAL, at most 4 SACK blocks, a shift of at most 14, SYN-only options
 * only on a SYN) and agree with the plain reading of RFC 9293 3.1 below.
 *
 * After every record: the device contract held; every frame we sent is
 * IPv4/TCP to the peer with correct checksums, well-formed options and at
 * most an MSS of data; the connection count matches the table and the
 * counters; every half-open queue is consistent and within its backlog;
 * every cwnd is within [MSS, 2^30] once synchronized (never wrapped);
 * what waiting cookie connections hold is within AX_TCP_ADMIT_HOLD each
 * and AX_TCP_ADMIT_HOLD_ALL together;
 * the connections we hold pointers to are still in the table (a
 * connection freed without its `closed` callback would leave us a
 * dangling pointer). Connections beyond a cap are aborted, so memory stays
 * bounded across millions of inputs.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/fake_netif.h"
#include "net/tcp_sack.h"

const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}

#define LPORT 80          /* our listener */
#define CAP_CONNS 48      /* connections kept across inputs, at most */
#define BACKLOG 16

static const uint64_t step_ms[4] = { 0, 10, 300, 70000 };

static struct fake_host H;
static struct tcp_pcb *listener;
/* Connections we hold: cleared by `closed` (arg points at the slot), or
 * by us when we let go. */
static struct tcp_pcb *est, *active;
static uint16_t active_lport, active_rport; /* to look it up by */
static struct fake_tcp_peer peer; /* the established connection's peer */
static uint16_t next_pport = 40000;
static int ready;
static uint8_t appbuf[4096];
/* The last SYN-ACK sent to each port of mode 1 (41000 + i), a cookie's
 * or a connection's: its ISN and the ISN it acknowledged. */
static struct {
	uint32_t iss, irs;
	int seen;
} synack[256];

/* --- the application: echo, closing at the peer's FIN ---------------------- */

static void app_pump(void *arg, struct tcp_pcb *pcb)
{
	for (;;) {
		uint32_t room = tcp_sndbuf(pcb);
		int n;

		if (room == 0)
			return;
		n = tcp_read(pcb, appbuf, room < sizeof(appbuf) ? room : sizeof(appbuf));
		if (n == 0) {
			if (arg)
				*(struct tcp_pcb **)arg = NULL;
			tcp_close(pcb);
			return;
		}
		if (n < 0)
			return;
		tcp_write(pcb, appbuf, (size_t)n);
	}
}

static void app_closed(void *arg, struct tcp_pcb *pcb, int err)
{
	(void)pcb;
	(void)err;
	if (arg)
		*(struct tcp_pcb **)arg = NULL;
}

static void app_connected(void *arg, struct tcp_pcb *pcb, int err)
{
	(void)pcb;
	if (err && arg)
		*(struct tcp_pcb **)arg = NULL; /* no `closed` follows */
}

static const struct tcp_callbacks conn_cb = {
	.connected = app_connected,
	.readable = app_pump,
	.writable = app_pump,
	.closed = app_closed,
};

static struct tcp_pcb *last_accepted;

static void app_accepted(void *arg, struct tcp_pcb *pcb)
{
	(void)arg;
	last_accepted = pcb;
	tcp_set_callbacks(pcb, &conn_cb, NULL);
}

static const struct tcp_callbacks listen_cb = {
	.accepted = app_accepted,
};

/* --- an admitter: connections from ports 41000 + i wait for a commit ------ */

/* Inbound connections from the ports of mode 1 are asked about and wait
 * (their SYN-ACK, or for a cookie's, their data held, tcp_cookie.c) until
 * the clock next moves: then each is allowed, or denied when its port's
 * low two bits are 3. The scripted connection and ours are allowed at
 * once. */
#define MAX_WAITING 64
static struct tcp_pcb *waiting[MAX_WAITING];
static unsigned int n_waiting;

static int adm_request(void *arg, struct tcp_pcb *pcb, int inbound)
{
	(void)arg;
	if (!inbound || pcb->rport < 41000 || n_waiting == MAX_WAITING)
		return 0;
	waiting[n_waiting++] = pcb;
	return -EINPROGRESS;
}

static void adm_forget(void *arg, struct tcp_pcb *pcb)
{
	unsigned int i;

	(void)arg;
	for (i = 0; i < n_waiting; i++)
		if (waiting[i] == pcb) {
			waiting[i] = waiting[--n_waiting];
			return;
		}
}

static int adm_check(void *arg, const struct ip_addr *laddr, uint16_t lport,
		     const struct ip_addr *raddr, uint16_t rport, const void *owner)
{
	(void)arg;
	(void)laddr;
	(void)lport;
	(void)raddr;
	(void)rport;
	(void)owner;
	return 0;
}

static const struct tcp_admit_ops adm_ops = {
	.request = adm_request,
	.forget = adm_forget,
	.check = adm_check,
};

static void adm_commit_all(void)
{
	while (n_waiting) {
		struct tcp_pcb *pcb = waiting[--n_waiting];

		tcp_admit_done(pcb, (pcb->rport & 3) == 3 ? -EACCES : 0, 1);
	}
	tcp_reap(&H.s);
}

/* --- set-up and the scripted handshake ------------------------------------- */

static void setup(void)
{
	if (fake_host_init(&H))
		abort();
	/* A fixed ISN secret: the same history replays the same numbers. */
	H.s.tcp->isn_key[0] = 0x0123456789abcdefull;
	H.s.tcp->isn_key[1] = 0xfedcba9876543210ull;
	H.s.tcp->cookie_key[0] = 0x0f1e2d3c4b5a6978ull;
	H.s.tcp->cookie_key[1] = 0x8796a5b4c3d2e1f0ull;
	/* ...and the challenge ACK budgets */
	H.s.tcp->chack_key[0] = 0x1f1e2d3c4b5a6978ull;
	H.s.tcp->chack_key[1] = 0x8796a5b4c3d2e1f0ull;
	fake_learn(&H, FAKE_PEER_IP, FAKE_PEER_MAC);
	if (fake_pin_neighbour(&H, FAKE_PEER_IP))
		abort();
	listener = tcp_listen(&H.s, LPORT, BACKLOG, &listen_cb, NULL);
	if (!listener)
		abort();
	tcp_set_admit(&H.s, &adm_ops, NULL);
	ready = 1;
}

/* SYN (MSS, SACK-permitted, timestamps, window scale, as Linux sends
 * them), our SYN-ACK, the peer's ACK: `est` is the accepted connection,
 * or stays NULL when the listener did not answer (backlog, no memory). */
static void handshake(void)
{
	struct fake_tcp_view v;
	uint8_t o[20];
	size_t olen;
	unsigned int i = H.nif.n;

	fake_tcp_peer_init(&peer, &H, next_pport, LPORT, 0x10000000u + next_pport);
	next_pport = next_pport == 40999 ? 40000 : next_pport + 1;
	peer.tsval = (uint32_t)(H.s.now_ns / 1000000u);
	olen = fake_tcp_syn_opts(o, 1460, 7, 1, 1, peer.tsval);
	fake_tcp_rx(&peer, peer.seq, 0, TH_SYN, 65535, o, olen, NULL, 0);
	for (; i < H.nif.n; i++)
		if (!fake_tcp_sent(&H, i, &v) && v.flags == (TH_SYN | TH_ACK) &&
		    v.dport == peer.port && v.ack == peer.seq + 1)
			break;
	if (i == H.nif.n)
		return;
	peer.seq++;
	peer.ack = v.seq + 1;
	peer.ts = v.o.ts_ok;
	peer.tsecr = v.o.tsval;
	peer.win = 1024; /* << 7: 128 KiB */
	last_accepted = NULL;
	fake_tcp_send(&peer, TH_ACK, NULL, 0);
	est = last_accepted;
	if (est)
		tcp_set_callbacks(est, &conn_cb, &est);
}

/* --- keeping memory bounded -------------------------------------------------- */

struct collect {
	struct tcp_pcb *p[CAP_CONNS * 2 + 512];
	unsigned int n, conns;
};

static void collect_one(void *arg, const struct tcp_pcb *pcb)
{
	struct collect *c = arg;

	if (pcb->flags & TF_LISTENER)
		return;
	c->conns++;
	if (c->n < sizeof(c->p) / sizeof(c->p[0]))
		c->p[c->n++] = (struct tcp_pcb *)pcb;
}

/* Beyond the cap, abort every connection we hold no pointer to. */
static void cap_conns(void)
{
	static struct collect c;
	unsigned int i;

	if (H.s.tcp->count <= CAP_CONNS)
		return;
	c.n = c.conns = 0;
	tcp_foreach(&H.s, collect_one, &c);
	for (i = 0; i < c.n; i++)
		if (c.p[i] != est && c.p[i] != active)
			tcp_abort(c.p[i]);
	tcp_reap(&H.s);
}

/* --- checks ----------------------------------------------------------------------- */

static void check_sent(void)
{
	unsigned int i;

	for (i = 0; i < H.nif.n && i < FAKE_MAX_FRAMES; i++) {
		struct fake_tcp_view v;

		if (fake_tcp_sent(&H, i, &v))
			abort(); /* only TCP goes out: the neighbour is known */
		if (v.flags == (TH_SYN | TH_ACK) && v.dport >= 41000 && v.dport < 41256) {
			synack[v.dport - 41000].iss = v.seq;
			synack[v.dport - 41000].irs = v.ack - 1;
			synack[v.dport - 41000].seen = 1;
		}
		if (!v.ip_csum_ok || !v.tcp_csum_ok || v.opts_err || v.src != FAKE_OUR_IP ||
		    v.dst != FAKE_PEER_IP || memcmp(v.eth_dst, FAKE_PEER_MAC, 6) ||
		    v.len > 1460 || v.hlen > 60)
			abort();
	}
}

static void check_table(void)
{
	static struct collect c;
	const struct tcp_pcb *l = listener, *p;
	unsigned int n = 0, m = 0;

	c.n = c.conns = 0;
	tcp_foreach(&H.s, collect_one, &c);
	if (c.conns != H.s.tcp->count ||
	    H.s.cnt[AX_C_tcp_conns_opened] - H.s.cnt[AX_C_tcp_conns_closed] != c.conns)
		abort();
	/* The half-open queue: children in SYN-RECEIVED, linked both ways,
	 * as many as `pending`, no more than the backlog but for cookie
	 * connections waiting for their admission (made at their ACK,
	 * whatever the queue). What those hold is within its bounds. */
	for (p = l->hq_head; p; p = p->hq_next) {
		if (p->listener != l || p->state != TCP_SYN_RECEIVED ||
		    (p->hq_next ? p->hq_next->hq_prev != p : l->hq_tail != p) ||
		    (!(p->flags & TF_COOKIE) && ++m > l->backlog) ||
		    p->held_len > p->held_cap || p->held_cap > AX_TCP_ADMIT_HOLD)
			abort();
		n++;
	}
	if (n != l->pending || H.s.tcp->held_bytes > AX_TCP_ADMIT_HOLD_ALL)
		abort();
	/* The SACK scoreboards: sorted, disjoint, inside the flight, their
	 * byte count right; in recovery, pipe no more than the flight. */
	for (unsigned int i = 0; i < c.n; i++) {
		const struct tcp_pcb *q = c.p[i];
		uint32_t bytes = 0;

		if (q->n_sacked > AX_TCP_MAX_SACKED)
			abort();
		for (unsigned int k = 0; k < q->n_sacked; k++) {
			if (!SEQ_LT(q->sacked[k].start, q->sacked[k].end) ||
			    !SEQ_GT(q->sacked[k].start, q->snd_una - 1) ||
			    SEQ_GT(q->sacked[k].end, q->snd_max) ||
			    (k && !SEQ_GT(q->sacked[k].start, q->sacked[k - 1].end)))
				abort();
			bytes += q->sacked[k].end - q->sacked[k].start;
		}
		if (bytes != q->sacked_bytes ||
		    (q->in_recovery && q->sack_ok && tcp_sack_pipe(q) > q->snd_max - q->snd_una))
			abort();
		/* cwnd bounded, never wrapped (RFC 7323 2.3: no window past
		 * 2^30); at least a segment once synchronized. */
		if (q->cwnd > AX_TCP_CWND_MAX ||
		    (q->state >= TCP_ESTABLISHED && q->cwnd < q->mss))
			abort();
	}
	/* Still in the table: else we were not told it closed. */
	if (est && tcp_lookup(&H.s, FAKE_V4(FAKE_OUR_IP), peer.lport, FAKE_V4(peer.ip), peer.port) != est)
		abort();
	if (active &&
	    tcp_lookup(&H.s, FAKE_V4(FAKE_OUR_IP), active_lport, FAKE_V4(FAKE_PEER_IP), active_rport) != active)
		abort();
}

/* --- options mode ----------------------------------------------------------------- */

/* RFC 9293 3.1 read plainly: EOL ends the list, NOP is one byte, every
 * other kind has a length byte of at least 2 that stays inside the header;
 * MSS 4, WS 3, SACK-permitted 2, timestamps 10 bytes long, SACK 2 + 8n
 * (n >= 1). The last of a kind wins; MSS, WS, SACK-permitted count on a
 * SYN only; a shift over 14 is 14 (RFC 7323 2.3). */
static int ref_parse(const uint8_t *h, size_t hlen, int syn, struct tcp_opts *o)
{
	size_t i = 20;

	memset(o, 0, sizeof(*o));
	while (i < hlen && h[i] != 0) {
		size_t len;

		if (h[i] == 1) {
			i++;
			continue;
		}
		if (i + 2 > hlen || h[i + 1] < 2 || i + h[i + 1] > hlen)
			return -EINVAL;
		len = h[i + 1];
		if ((h[i] == 2 && len != 4) || (h[i] == 3 && len != 3) || (h[i] == 4 && len != 2) ||
		    (h[i] == 8 && len != 10) || (h[i] == 5 && (len < 10 || (len - 2) % 8)))
			return -EINVAL;
		if (h[i] == 2 && syn)
			o->mss = fake_get16(h + i + 2);
		if (h[i] == 3 && syn) {
			o->ws_ok = 1;
			o->ws = h[i + 2] > 14 ? 14 : h[i + 2];
		}
		if (h[i] == 4 && syn)
			o->sack_ok = 1;
		if (h[i] == 5) {
			unsigned int b;

			o->nsack = (uint8_t)((len - 2) / 8 > 4 ? 4 : (len - 2) / 8);
			for (b = 0; b < o->nsack; b++) {
				o->sack[b].start = fake_get32(h + i + 2 + 8 * b);
				o->sack[b].end = fake_get32(h + i + 6 + 8 * b);
			}
		}
		if (h[i] == 8) {
			o->ts_ok = 1;
			o->tsval = fake_get32(h + i + 2);
			o->tsecr = fake_get32(h + i + 6);
		}
		i += len;
	}
	return 0;
}

static void fuzz_opts(const uint8_t *data, size_t size)
{
	struct tcp_opts o, r;
	size_t hlen;
	uint8_t *hdr;
	int syn, rc, want;
	unsigned int b;

	if (size < 1)
		return;
	hlen = 20 + (data[0] & 0x3f);
	if (hlen > 60)
		hlen = 60;
	syn = data[0] >> 7;
	data++;
	size--;
	hdr = calloc(1, hlen); /* exactly hlen: ASan sees a read past it */
	if (!hdr)
		abort();
	memcpy(hdr, data, size < hlen ? size : hlen);
	rc = tcp_parse_opts(hdr, hlen, syn, &o);
	want = ref_parse(hdr, hlen, syn, &r);
	free(hdr);
	if (rc != 0 && rc != -EINVAL)
		abort();
	if (rc != want)
		abort();
	if (rc)
		return;
	if (o.nsack > 4 || o.ws > 14 || (!o.ws_ok && o.ws) ||
	    (!syn && (o.mss || o.ws_ok || o.sack_ok)))
		abort();
	if (o.mss != r.mss || o.ws_ok != r.ws_ok || o.ws != r.ws || o.sack_ok != r.sack_ok ||
	    o.ts_ok != r.ts_ok || o.nsack != r.nsack ||
	    (o.ts_ok && (o.tsval != r.tsval || o.tsecr != r.tsecr)))
		abort();
	for (b = 0; b < o.nsack; b++)
		if (o.sack[b].start != r.sack[b].start || o.sack[b].end != r.sack[b].end)
			abort();
}

/* --- segment mode ----------------------------------------------------------------- */

static void app_action(uint8_t act)
{
	unsigned int param = act >> 3;

	switch (act & 7) {
	case 1:
		if (est && (param & 16)) {
			/* The zero-copy path with a count nobody checked (a
			 * program's index): never more than the room. */
			struct tcp_ringview v, w;
			uint32_t n = (param & 8) ? UINT32_MAX - param : (param & 7) * 40000u + 1;
			int rc;

			tcp_snd_view(est, &v);
			rc = tcp_snd_produced(est, n);
			tcp_snd_view(est, &w);
			if (rc == 0 && (n > v.size - v.len || !v.buf))
				abort();
			if (rc == -EINVAL && (n <= v.size - v.len || w.len != v.len))
				abort();
		} else if (est) {
			static const uint8_t junk[32 * 512];

			tcp_write(est, junk, param * 512 + 1);
		}
		break;
	case 2:
		if (est && (param & 16)) {
			struct tcp_ringview v;
			uint32_t n = (param & 8) ? UINT32_MAX - param : (param & 7) * 1000u;
			int rc;

			tcp_rcv_view(est, &v);
			rc = tcp_rcv_consumed(est, n);
			if ((rc == 0) != (n <= v.len))
				abort();
		} else if (est) {
			tcp_shutdown(est);
		}
		break;
	case 3:
		if (est) {
			struct tcp_pcb *p = est;

			est = NULL; /* no callback comes after tcp_close */
			tcp_close(p);
		}
		break;
	case 4:
		if (est) {
			struct tcp_pcb *p = est;

			est = NULL;
			tcp_abort(p);
		}
		break;
	case 5:
		if (est)
			tcp_set_nodelay(est, param & 1);
		/* Congestion control of the connections to come. */
		H.s.tcp->cc = tcp_cc_find(param & 2 ? "newreno" : "cubic");
		break;
	case 6:
		if (!active && tcp_connect(&H.s, FAKE_V4(FAKE_PEER_IP), (uint16_t)(7000 + param), &conn_cb,
					   &active, &active) == 0 && active) {
			active_lport = active->lport;
			active_rport = active->rport;
		}
		break;
	case 7:
		if (est) {
			tcp_set_keepalive(est, param ? param * 100 : 0, 100, 3);
			tcp_set_user_timeout(est, (param & 3) * 500);
		}
		break;
	}
}

/* One record: a segment from the peer, then an application action. */
static void record(uint8_t ctl, uint8_t act, const uint8_t *seg, size_t size)
{
	static uint8_t frame[ETH_HLEN_AX + 20 + 1480];
	uint8_t *ip, *t;
	struct tcp_pcb *to = NULL;
	size_t len, iphl;
	uint16_t sport, dport;

	fake_advance(&H, step_ms[(ctl >> 4) & 3]);
	if ((ctl >> 4) & 3)
		adm_commit_all();
	if (!est)
		handshake();

	/* The segment: the record's bytes, at least a bare header, with
	 * bit 7 zeros up to a full frame. */
	len = size < 20 ? 20 : size;
	if ((ctl & 0x80) && len < 1480)
		len = 1480;
	ip = frame + fake_eth(frame, FAKE_OUR_MAC, FAKE_PEER_MAC, ETHTYPE_IPV4);
	iphl = fake_ipv4(ip, FAKE_PEER_IP, FAKE_OUR_IP, IP_PROTO_TCP, 0, len);
	t = ip + iphl;
	memset(t, 0, len);
	memcpy(t, seg, size);

	switch (ctl & 3) {
	case 0:
		sport = peer.port;
		dport = LPORT;
		break;
	case 1:
		sport = (uint16_t)(41000 + t[1]);
		dport = LPORT;
		break;
	case 2:
		sport = active ? active_rport : fake_get16(t);
		dport = active ? active_lport : fake_get16(t + 2);
		break;
	default:
		sport = fake_get16(t);
		dport = fake_get16(t + 2);
		break;
	}
	fake_put16(t, sport);
	fake_put16(t + 2, dport);
	if (ctl & 4)
		to = tcp_lookup(&H.s, FAKE_V4(FAKE_OUR_IP), dport, FAKE_V4(FAKE_PEER_IP), sport);
	if (to) {
		fake_put32(t + 4, to->rcv_nxt + (uint32_t)(int32_t)(int16_t)fake_get16(t + 6));
		fake_put32(t + 8, to->snd_una + (uint32_t)(int32_t)(int16_t)fake_get16(t + 10));
	} else if ((ctl & 4) && sport >= 41000 && sport < 41256 && synack[sport - 41000].seen) {
		fake_put32(t + 4, synack[sport - 41000].irs + 1 +
					  (uint32_t)(int32_t)(int16_t)fake_get16(t + 6));
		fake_put32(t + 8, synack[sport - 41000].iss + 1 +
					  (uint32_t)(int32_t)(int16_t)fake_get16(t + 10));
	}
	if (!(ctl & 8)) {
		size_t off = (size_t)(t[12] >> 4) * 4;

		if (off < 20)
			off = 20;
		if (off > len)
			off = len - len % 4;
		t[12] = (uint8_t)((off / 4) << 4 | (t[12] & 0x0f));
	}
	if (!(ctl & 0x40)) {
		fake_put16(t + 16, 0);
		fake_put16(t + 16, fake_tcp_csum(FAKE_PEER_IP, FAKE_OUR_IP, t, len));
	}
	fake_rx(&H, frame, ETH_HLEN_AX + iphl + len);
	app_action(act);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int n;

	if (size == 0)
		return 0;
	if (data[0] == 0xff) {
		fuzz_opts(data + 1, size - 1);
		return 0;
	}
	if (!ready)
		setup();
	for (n = 0; size >= 2 && n < 64; n++) {
		uint8_t ctl = data[0], act = data[1];
		size_t len = size > 2 ? data[2] : 0;

		data += size > 2 ? 3 : 2;
		size -= size > 2 ? 3 : 2;
		if (len > size)
			len = size;
		/* Everything the record makes us send is checked, timers'
		 * too. */
		fake_netif_clear(&H.nif);
		record(ctl, act, data, len);
		data += len;
		size -= len;
		if (H.nif.contract_errors)
			abort();
		check_sent();
		cap_conns();
		check_table();
	}
	return 0;
}
