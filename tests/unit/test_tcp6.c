/*
 * test_tcp6.c - TCP and UDP over IPv6 through a fake device (ip.c's
 * dispatch, ipv6.c's demux to L4): the handshake with the MSS of a 40-byte
 * header, data both ways with checksums over the IPv6 pseudo-header
 * (RFC 8200 8.1, computed here the textbook way), resets, an active open
 * from the source address selection picks, SYN cookies over 16-byte
 * addresses, the path MTU's IPv6 floor, and the dual stack as Linux has it:
 * a listener on :: takes both families unless V6ONLY, one on 0.0.0.0 IPv4
 * only, one on an address that address; UDP sockets likewise, with the
 * IPv6 checksum mandatory.
 */
#include "ip6_helper.h"
#include "testlib.h"

#define PORT 80
#define PPORT 40000
#define PISN 0x1000u
#define MSS6 (1500u - 60u) /* the device MTU less IPv6 and TCP headers */

static struct fake_host H;
static struct fake_tcp_app A;
static uint8_t f[4096];
static const struct ip_addr *peer = &ip6_peer_g, *ours = &ip6_our_g;

/* A host with 10.0.0.1/24 and fd00::1/64 (both usable), which knows the
 * peer under both families. */
static int setup(void)
{
	if (H.s.tcp)
		stack_fini(&H.s); /* what a test stopped by a REQUIRE left */
	if (ip6_host_init(&H))
		return -1;
	fake_learn(&H, FAKE_PEER_IP, FAKE_PEER_MAC);
	if (fake_pin_neighbour(&H, FAKE_PEER_IP))
		return -1;
	ip6_learn(&H, peer, FAKE_PEER_MAC);
	memset(&A, 0, sizeof(A));
	fake_mark(&H);
	return 0;
}

/* A TCP segment from the peer (src:sport) to dst:dport in an IPv6 frame,
 * every checksum right (csum_bad: the TCP one off by one). */
static void rx_tcp6(const struct ip_addr *src, const struct ip_addr *dst, uint16_t sport,
		    uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags, const uint8_t *opts,
		    size_t optlen, const void *data, size_t len, int csum_bad)
{
	uint8_t t[20 + 40 + 1500];
	size_t olen = (optlen + 3) & ~(size_t)3, thlen = 20 + olen;

	memset(t, 0, thlen);
	fake_put16(t, sport);
	fake_put16(t + 2, dport);
	fake_put32(t + 4, seq);
	fake_put32(t + 8, ack);
	t[12] = (uint8_t)((thlen / 4) << 4);
	t[13] = flags;
	fake_put16(t + 14, 65535);
	if (optlen)
		memcpy(t + 20, opts, optlen);
	if (len)
		memcpy(t + thlen, data, len);
	fake_put16(t + 16, (uint16_t)(ip6_csum(src, dst, IP6_NH_TCP, t, thlen + len) + !!csum_bad));
	fake_rx(&H, f, ip6_frame(f, FAKE_OUR_MAC, FAKE_PEER_MAC, src, dst, IP6_NH_TCP, 64, t,
				 thlen + len));
}

/* A segment from the peer's fd00::2:PPORT to our fd00::1:PORT. */
static void rx6(uint32_t seq, uint32_t ack, uint8_t flags, const void *data, size_t len)
{
	rx_tcp6(peer, ours, PPORT, PORT, seq, ack, flags, NULL, 0, data, len, 0);
}

/* A captured IPv6/TCP frame taken apart; 0, or -1 when frame i is not
 * one. csum_ok: the TCP checksum over the IPv6 pseudo-header. */
struct tcp6_view {
	struct ip6_view ip;
	uint16_t sport, dport, win;
	uint32_t seq, ack;
	uint8_t flags;
	size_t hlen, len;
	const uint8_t *data;
	struct tcp_opts o;
	int csum_ok;
};

static int sent6(unsigned int i, struct tcp6_view *v)
{
	memset(v, 0, sizeof(*v));
	if (ip6_parse(fake_frame(&H.nif, i), &v->ip) < 0 || v->ip.nh != IP6_NH_TCP ||
	    v->ip.plen < 20)
		return -1;
	v->sport = fake_get16(v->ip.pl);
	v->dport = fake_get16(v->ip.pl + 2);
	v->seq = fake_get32(v->ip.pl + 4);
	v->ack = fake_get32(v->ip.pl + 8);
	v->hlen = (size_t)(v->ip.pl[12] >> 4) * 4;
	v->flags = v->ip.pl[13];
	v->win = fake_get16(v->ip.pl + 14);
	if (v->hlen < 20 || v->hlen > v->ip.plen)
		return -1;
	v->data = v->ip.pl + v->hlen;
	v->len = v->ip.plen - v->hlen;
	v->csum_ok = ip6_csum(&v->ip.src, &v->ip.dst, IP6_NH_TCP, v->ip.pl, v->ip.plen) == 0;
	if (tcp_parse_opts(v->ip.pl, v->hlen, !!(v->flags & TH_SYN), &v->o) < 0)
		return -1;
	return 0;
}

/* The one frame sent is an IPv6 TCP segment from fd00::1:PORT to the
 * peer with flags and a right checksum, hop limit 64. */
static int sent_ours(struct tcp6_view *v, uint8_t flags)
{
	return H.nif.n == 1 && sent6(0, v) == 0 && v->csum_ok && v->flags == flags &&
	       v->ip.hops == 64 && ip_addr_eq(&v->ip.src, ours) && ip_addr_eq(&v->ip.dst, peer) &&
	       v->sport == PORT && v->dport == PPORT;
}

/* SYN (MSS 1440) and ACK from the peer: an established connection taken
 * by A, or NULL. *iss: our ISN. */
static struct tcp_pcb *accept6(uint32_t *iss)
{
	struct tcp6_view v;
	uint8_t o[4] = { 2, 4, 0x05, 0xa0 };

	fake_mark(&H);
	rx_tcp6(peer, ours, PPORT, PORT, PISN, 0, TH_SYN, o, 4, NULL, 0, 0);
	if (!sent_ours(&v, TH_SYN | TH_ACK) || v.ack != PISN + 1)
		return NULL;
	*iss = v.seq;
	fake_mark(&H);
	rx6(PISN + 1, v.seq + 1, TH_ACK, NULL, 0);
	if (H.nif.n != 0)
		return NULL;
	fake_mark(&H);
	return A.pcb;
}

TEST(handshake_over_ipv6_announces_mss_of_a_40_byte_header)
{
	struct tcp6_view v;
	struct tcp_info_ax i;
	struct tcp_pcb *pcb;
	uint8_t o[4] = { 2, 4, 0x05, 0xa0 }; /* MSS 1440 */

	REQUIRE(setup() == 0);
	REQUIRE(tcp_listen(&H.s, PORT, 8, fake_tcp_app_cb(), &A) != NULL);
	fake_mark(&H);
	rx_tcp6(peer, ours, PPORT, PORT, PISN, 0, TH_SYN, o, 4, NULL, 0, 0);
	REQUIRE(sent_ours(&v, TH_SYN | TH_ACK));
	CHECK_EQ(v.ack, PISN + 1);
	CHECK_EQ(v.o.mss, MSS6);
	CHECK(memcmp(v.ip.eth_src, FAKE_OUR_MAC, 6) == 0);
	CHECK(memcmp(v.ip.eth_dst, FAKE_PEER_MAC, 6) == 0);
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_ip6_rx, 1 }, { AX_C_tcp_rx, 1 },
		  { AX_C_tcp_passive_opens, 1 }, { AX_C_tcp_conns_opened, 1 }, { AX_C_tcp_tx, 1 },
		  { AX_C_ip6_tx, 1 }, { AX_C_eth_tx, 1 });
	fake_mark(&H);
	rx6(PISN + 1, v.seq + 1, TH_ACK, NULL, 0);
	CHECK_EQ(H.nif.n, 0);
	CHECK_EQ(A.accepted, 1);
	pcb = A.pcb;
	REQUIRE(pcb != NULL);
	tcp_get_info(pcb, &i);
	CHECK_EQ(i.state, TCP_ESTABLISHED);
	CHECK(ip_addr_eq(&i.laddr, ours));
	CHECK(ip_addr_eq(&i.raddr, peer));
	CHECK_EQ(i.lport, PORT);
	CHECK_EQ(i.rport, PPORT);
	CHECK_EQ(i.mss, MSS6);
	CHECK(tcp_lookup(&H.s, ours, PORT, peer, PPORT) == pcb);
	/* The IPv4 form of nothing: no such tuple. */
	CHECK(tcp_lookup(&H.s, FAKE_V4(FAKE_OUR_IP), PORT, FAKE_V4(FAKE_PEER_IP), PPORT) == NULL);
	stack_fini(&H.s);
}

TEST(data_both_ways_with_ipv6_checksums)
{
	struct tcp6_view v;
	struct tcp_pcb *pcb;
	uint32_t iss;
	char buf[16];

	REQUIRE(setup() == 0);
	REQUIRE(tcp_listen(&H.s, PORT, 8, fake_tcp_app_cb(), &A) != NULL);
	pcb = accept6(&iss);
	REQUIRE(pcb != NULL);
	/* In: taken, acknowledged (now or by the delayed ACK). */
	rx6(PISN + 1, iss + 1, TH_ACK | TH_PSH, "hello", 5);
	CHECK_EQ(A.readable, 1);
	CHECK_EQ(tcp_read(pcb, buf, sizeof(buf)), 5);
	CHECK(memcmp(buf, "hello", 5) == 0);
	if (H.nif.n == 0)
		fake_advance(&H, 200);
	REQUIRE(sent_ours(&v, TH_ACK));
	CHECK_EQ(v.ack, PISN + 6);
	CHECK_EQ(v.len, 0);
	/* Out: one segment, the right bytes under a right checksum. */
	fake_mark(&H);
	CHECK_EQ(tcp_write(pcb, "world!", 6), 6);
	REQUIRE(sent_ours(&v, TH_ACK | TH_PSH));
	CHECK_EQ(v.seq, iss + 1);
	CHECK_EQ(v.ack, PISN + 6);
	CHECK_EQ(v.len, 6);
	CHECK(memcmp(v.data, "world!", 6) == 0);
	CHECK_EQ(v.ip.plen, 20 + 6);
	/* A segment with a bad checksum is counted and changes nothing. */
	fake_mark(&H);
	rx_tcp6(peer, ours, PPORT, PORT, PISN + 6, iss + 7, TH_ACK, NULL, 0, "x", 1, 1);
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_ip6_rx, 1 }, { AX_C_tcp_rx, 1 },
		  { AX_C_tcp_bad_csum, 1 });
	CHECK_EQ(tcp_read(pcb, buf, sizeof(buf)), -EAGAIN);
	stack_fini(&H.s);
}

TEST(reset_over_ipv6_closed_port_and_connection)
{
	struct tcp6_view v;
	struct tcp_pcb *pcb;
	uint32_t iss;

	REQUIRE(setup() == 0);
	/* No listener: <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK> (RFC 9293
	 * 3.10.7.1), from the address the SYN came to. */
	rx6(PISN, 0, TH_SYN, NULL, 0);
	REQUIRE(sent_ours(&v, TH_RST | TH_ACK));
	CHECK_EQ(v.seq, 0);
	CHECK_EQ(v.ack, PISN + 1);
	CHECK_EQ(v.len, 0);
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_ip6_rx, 1 }, { AX_C_tcp_rx, 1 },
		  { AX_C_tcp_no_port, 1 }, { AX_C_tcp_rst_noconn, 1 }, { AX_C_tcp_rst_tx, 1 },
		  { AX_C_tcp_tx, 1 }, { AX_C_ip6_tx, 1 }, { AX_C_eth_tx, 1 });
	/* An ACK for nothing: <SEQ=SEG.ACK><CTL=RST>. */
	fake_mark(&H);
	rx6(PISN, 0x12345678, TH_ACK, NULL, 0);
	REQUIRE(sent_ours(&v, TH_RST));
	CHECK_EQ(v.seq, 0x12345678);
	/* The peer's exact RST ends an established connection. */
	REQUIRE(tcp_listen(&H.s, PORT, 8, fake_tcp_app_cb(), &A) != NULL);
	pcb = accept6(&iss);
	REQUIRE(pcb != NULL);
	rx6(PISN + 1, 0, TH_RST, NULL, 0);
	CHECK_EQ(A.closed, 1);
	CHECK_EQ(A.close_err, -ECONNRESET);
	CHECK(tcp_lookup(&H.s, ours, PORT, peer, PPORT) == NULL);
	CHECK_EQ(H.nif.n, 0);
	stack_fini(&H.s);
}

/* The SYN-ACK or RST an IPv4 SYN from 10.0.0.2:PPORT to 10.0.0.1:PORT
 * draws: its flags, 0 when nothing or something else left. */
static uint8_t v4_syn_answer(void)
{
	struct fake_tcp_peer p;
	struct fake_tcp_view v;
	uint8_t o[4] = { 2, 4, 0x05, 0xb4 }; /* MSS 1460 */

	fake_mark(&H);
	fake_tcp_peer_init(&p, &H, PPORT, PORT, PISN);
	fake_tcp_rx(&p, PISN, 0, TH_SYN, 65535, o, 4, NULL, 0);
	if (H.nif.n != 1 || fake_tcp_sent(&H, 0, &v) || !v.tcp_csum_ok ||
	    v.src != FAKE_OUR_IP || v.dst != FAKE_PEER_IP)
		return 0;
	return v.flags;
}

/* An IPv6 packet to our IPv4 address in its mapped form
 * (::ffff:10.0.0.1) is no packet of ours (RFC 4291 2.5.5.2: mapped
 * addresses never appear on the wire): a SYN to it opens nothing and
 * draws nothing, whatever listens. */
TEST(ipv6_syn_to_our_mapped_ipv4_address_is_not_ours)
{
	REQUIRE(setup() == 0);
	REQUIRE(tcp_listen(&H.s, PORT, 8, fake_tcp_app_cb(), &A) != NULL);
	fake_mark(&H);
	rx_tcp6(peer, FAKE_V4(FAKE_OUR_IP), PPORT, PORT, PISN, 0, TH_SYN, NULL, 0, NULL, 0, 0);
	CHECK_EQ(H.nif.n, 0);
	CHECK_EQ(H.s.tcp->count, 0);
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_ip6_rx, 1 }, { AX_C_ip6_not_ours, 1 });
	stack_fini(&H.s);
}

/* The same for an IPv6 SYN from fd00::2 to dst. */
static uint8_t v6_syn_answer(const struct ip_addr *dst)
{
	struct tcp6_view v;

	fake_mark(&H);
	rx_tcp6(peer, dst, PPORT, PORT, PISN, 0, TH_SYN, NULL, 0, NULL, 0, 0);
	if (H.nif.n != 1 || sent6(0, &v) || !v.csum_ok || !ip_addr_eq(&v.ip.src, dst))
		return 0;
	return v.flags;
}

/* Free every connection a SYN made (the listeners stay). */
static void drop_conns(void)
{
	struct tcp_pcb *c;

	while ((c = tcp_lookup(&H.s, FAKE_V4(FAKE_OUR_IP), PORT, FAKE_V4(FAKE_PEER_IP), PPORT)))
		tcp_abort(c);
	while ((c = tcp_lookup(&H.s, ours, PORT, peer, PPORT)))
		tcp_abort(c);
	fake_mark(&H);
}

TEST(dual_stack_listener_takes_ipv4_and_ipv6_syns)
{
	struct tcp_pcb *pcb;
	struct tcp_info_ax i;

	REQUIRE(setup() == 0);
	REQUIRE(tcp_listen2(&H.s, &ip_addr_any6, PORT, 8, 0, fake_tcp_app_cb(), &A) != NULL);
	CHECK_EQ(v4_syn_answer(), TH_SYN | TH_ACK);
	pcb = tcp_lookup(&H.s, FAKE_V4(FAKE_OUR_IP), PORT, FAKE_V4(FAKE_PEER_IP), PPORT);
	REQUIRE(pcb != NULL);
	tcp_get_info(pcb, &i);
	CHECK(ip_addr_is_v4(&i.raddr)); /* ::ffff:10.0.0.2, as Linux reports it */
	CHECK_EQ(i.mss, 1460u);          /* 1500 less IPv4's 40 bytes of headers */
	CHECK_EQ(v6_syn_answer(ours), TH_SYN | TH_ACK);
	CHECK(tcp_lookup(&H.s, ours, PORT, peer, PPORT) != NULL);
	/* The link-local address is ours too. */
	{
		struct ip_addr ll = ip6_ll(FAKE_OUR_MAC);

		drop_conns();
		CHECK_EQ(v6_syn_answer(&ll), TH_SYN | TH_ACK);
	}
	stack_fini(&H.s);
}

TEST(v6only_listener_refuses_ipv4_and_ipv4_listener_refuses_ipv6)
{
	struct fake_tcp_app B;
	struct tcp_pcb *l6, *l4;

	REQUIRE(setup() == 0);
	memset(&B, 0, sizeof(B));
	l6 = tcp_listen2(&H.s, &ip_addr_any6, PORT, 8, TCP_LISTEN_V6ONLY, fake_tcp_app_cb(), &A);
	REQUIRE(l6 != NULL);
	/* No IPv4 listener: the SYN is answered as for a closed port. */
	CHECK_EQ(v4_syn_answer(), TH_RST | TH_ACK);
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_ip_rx, 1 }, { AX_C_tcp_rx, 1 },
		  { AX_C_tcp_no_port, 1 }, { AX_C_tcp_rst_noconn, 1 }, { AX_C_tcp_rst_tx, 1 },
		  { AX_C_tcp_tx, 1 }, { AX_C_ip_tx, 1 }, { AX_C_eth_tx, 1 });
	CHECK_EQ(v6_syn_answer(ours), TH_SYN | TH_ACK);
	/* 0.0.0.0 on the same port does not clash with a V6ONLY :: (as
	 * Linux: nginx's ipv6only=on), and takes the IPv4 SYNs. */
	l4 = tcp_listen2(&H.s, &ip_addr_any4, PORT, 8, 0, fake_tcp_app_cb(), &B);
	REQUIRE(l4 != NULL);
	drop_conns();
	CHECK_EQ(v4_syn_answer(), TH_SYN | TH_ACK);
	CHECK(tcp_lookup(&H.s, FAKE_V4(FAKE_OUR_IP), PORT, FAKE_V4(FAKE_PEER_IP), PPORT)->listener ==
	      l4);
	drop_conns();
	CHECK(tcp_lookup(&H.s, ours, PORT, peer, PPORT) == NULL);
	CHECK_EQ(v6_syn_answer(ours), TH_SYN | TH_ACK);
	CHECK(tcp_lookup(&H.s, ours, PORT, peer, PPORT)->listener == l6);
	/* A dual-stack :: would take IPv4 too: it clashes with 0.0.0.0. */
	errno = 0;
	CHECK(tcp_listen2(&H.s, NULL, PORT, 8, 0, fake_tcp_app_cb(), &B) == NULL);
	CHECK_EQ(errno, EADDRINUSE);
	/* Only 0.0.0.0 left: IPv6 SYNs find no listener. */
	tcp_close(l6);
	drop_conns();
	CHECK_EQ(v6_syn_answer(ours), TH_RST | TH_ACK);
	stack_fini(&H.s);
}

TEST(listener_on_an_address_takes_that_address_first)
{
	struct fake_tcp_app B;
	struct tcp_pcb *la, *lw;
	struct ip_addr ll = ip6_ll(FAKE_OUR_MAC);

	REQUIRE(setup() == 0);
	memset(&B, 0, sizeof(B));
	errno = 0;
	CHECK(tcp_listen2(&H.s, &ip6_peer_g, PORT, 8, 0, fake_tcp_app_cb(), &A) == NULL);
	CHECK_EQ(errno, EADDRNOTAVAIL); /* not ours */
	la = tcp_listen2(&H.s, ours, PORT, 8, 0, fake_tcp_app_cb(), &A);
	REQUIRE(la != NULL);
	/* Another address of ours: nothing listens there. */
	CHECK_EQ(v6_syn_answer(&ll), TH_RST | TH_ACK);
	CHECK_EQ(v4_syn_answer(), TH_RST | TH_ACK);
	CHECK_EQ(v6_syn_answer(ours), TH_SYN | TH_ACK);
	/* With a wildcard beside it (both SO_REUSEPORT, as Linux needs for
	 * an overlap), the address's own listener wins for its SYNs. */
	errno = 0;
	CHECK(tcp_listen2(&H.s, NULL, PORT, 8, 0, fake_tcp_app_cb(), &B) == NULL);
	CHECK_EQ(errno, EADDRINUSE);
	tcp_close(la);
	la = tcp_listen2(&H.s, ours, PORT, 8, TCP_LISTEN_REUSEPORT, fake_tcp_app_cb(), &A);
	lw = tcp_listen2(&H.s, NULL, PORT, 8, TCP_LISTEN_REUSEPORT, fake_tcp_app_cb(), &B);
	REQUIRE(la != NULL && lw != NULL);
	drop_conns();
	CHECK_EQ(v6_syn_answer(ours), TH_SYN | TH_ACK);
	CHECK(tcp_lookup(&H.s, ours, PORT, peer, PPORT)->listener == la);
	CHECK_EQ(v6_syn_answer(&ll), TH_SYN | TH_ACK);
	CHECK(tcp_lookup(&H.s, &ll, PORT, peer, PPORT)->listener == lw);
	stack_fini(&H.s);
}

TEST(active_open_over_ipv6_from_the_selected_source)
{
	struct tcp6_view v;
	struct tcp_pcb *pcb;
	struct tcp_info_ax i;
	uint8_t o[4] = { 2, 4, 0x04, 0xc4 }; /* MSS 1220 */

	REQUIRE(setup() == 0);
	REQUIRE(tcp_connect(&H.s, peer, 443, fake_tcp_app_cb(), &A, &pcb) == 0);
	REQUIRE(H.nif.n == 1 && sent6(0, &v) == 0);
	CHECK(v.csum_ok);
	CHECK_EQ(v.flags, TH_SYN);
	CHECK(ip_addr_eq(&v.ip.src, ours)); /* fd00::/64 holds the peer */
	CHECK(ip_addr_eq(&v.ip.dst, peer));
	CHECK_EQ(v.dport, 443);
	CHECK_EQ(v.o.mss, MSS6);
	fake_mark(&H);
	rx_tcp6(peer, ours, 443, v.sport, PISN, v.seq + 1, TH_SYN | TH_ACK, o, 4, NULL, 0, 0);
	CHECK_EQ(A.connected, 1);
	CHECK_EQ(A.connect_err, 0);
	tcp_get_info(pcb, &i);
	CHECK_EQ(i.state, TCP_ESTABLISHED);
	CHECK_EQ(i.mss, 1220u); /* the peer's, below ours */
	CHECK(ip_addr_eq(&i.laddr, ours));
	{
		struct tcp6_view a;

		REQUIRE(H.nif.n == 1 && sent6(0, &a) == 0);
		CHECK(a.csum_ok);
		CHECK_EQ(a.flags, TH_ACK);
		CHECK_EQ(a.ack, PISN + 1);
	}
	/* A link-local peer gets the link-local source (RFC 6724 rule 2). */
	{
		struct ip_addr pll = ip6_ll(FAKE_PEER_MAC), oll = ip6_ll(FAKE_OUR_MAC);
		struct tcp_pcb *p2;

		ip6_learn(&H, &pll, FAKE_PEER_MAC);
		fake_mark(&H);
		REQUIRE(tcp_connect(&H.s, &pll, 443, fake_tcp_app_cb(), &A, &p2) == 0);
		REQUIRE(H.nif.n == 1 && sent6(0, &v) == 0);
		CHECK(v.csum_ok);
		CHECK(ip_addr_eq(&v.ip.src, &oll));
	}
	stack_fini(&H.s);
}

TEST(syn_cookies_over_ipv6)
{
	struct tcp6_view v;
	struct tcp_info_ax i;
	uint8_t o[4] = { 2, 4, 0x05, 0xa0 }; /* MSS 1440 */
	uint32_t cookie;

	REQUIRE(setup() == 0);
	tcp_set_syncookies(&H.s, TCP_SYNCOOKIES_ALWAYS);
	REQUIRE(tcp_listen(&H.s, PORT, 8, fake_tcp_app_cb(), &A) != NULL);
	fake_mark(&H);
	rx_tcp6(peer, ours, PPORT, PORT, PISN, 0, TH_SYN, o, 4, NULL, 0, 0);
	REQUIRE(sent_ours(&v, TH_SYN | TH_ACK));
	CHECK_EQ(v.o.mss, MSS6);
	CHECK_EQ(H.s.tcp->count, 0); /* nothing kept */
	cookie = v.seq;
	/* A wrong cookie (another period): RST. */
	fake_mark(&H);
	rx6(PISN + 1, (cookie ^ 0x80000000u) + 1, TH_ACK, NULL, 0);
	CHECK(sent_ours(&v, TH_RST));
	CHECK_EQ(A.accepted, 0);
	/* The same ACK from another source address does not pass either
	 * (the cookie covers all 16 bytes). */
	{
		struct ip_addr other = ip6_peer_g;

		other.b[8] = 0x80;
		ip6_learn(&H, &other, FAKE_PEER_MAC);
		fake_mark(&H);
		rx_tcp6(&other, ours, PPORT, PORT, PISN + 1, cookie + 1, TH_ACK, NULL, 0, NULL, 0, 0);
		CHECK_EQ(A.accepted, 0);
		CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_ip6_rx, 1 }, { AX_C_tcp_rx, 1 },
			  { AX_C_tcp_syncookies_failed, 1 }, { AX_C_tcp_rst_noconn, 1 }, { AX_C_tcp_rst_tx, 1 }, { AX_C_tcp_tx, 1 },
			  { AX_C_ip6_tx, 1 }, { AX_C_eth_tx, 1 });
	}
	fake_mark(&H);
	rx6(PISN + 1, cookie + 1, TH_ACK, NULL, 0);
	CHECK_EQ(A.accepted, 1);
	REQUIRE(A.pcb != NULL);
	tcp_get_info(A.pcb, &i);
	CHECK_EQ(i.state, TCP_ESTABLISHED);
	CHECK_EQ(i.mss, MSS6); /* msstab_v6's 1440 (1500 - 60) */
	CHECK(ip_addr_eq(&i.raddr, peer));
	stack_fini(&H.s);
}

TEST(packet_too_big_lowers_mss_never_below_1280)
{
	struct tcp_pcb *pcb;
	uint32_t iss;

	REQUIRE(setup() == 0);
	REQUIRE(tcp_listen(&H.s, PORT, 8, fake_tcp_app_cb(), &A) != NULL);
	pcb = accept6(&iss);
	REQUIRE(pcb != NULL);
	CHECK_EQ(tcp_write(pcb, "0123456789", 10), 10);
	fake_mark(&H);
	/* RFC 8201 4: an MTU below 1280 is taken as 1280. */
	CHECK_EQ(tcp_icmp_frag_needed(&H.s, ours, peer, PORT, PPORT, iss + 1, 1000), 1);
	CHECK_EQ(tcp_get_maxseg(pcb), 1280u - 60u);
	CHECK_EQ(pmtu_get(&H.s, peer), 1280);
	CHECK_EQ(pmtu_get(&H.s, FAKE_V4(FAKE_PEER_IP)), 1500); /* another destination */
	/* Not for a sequence number outside the flight (RFC 5927). */
	CHECK_EQ(tcp_icmp_frag_needed(&H.s, ours, peer, PORT, PPORT, iss + 100, 1280), -EINVAL);
	/* Nor from another local address. */
	CHECK_EQ(tcp_icmp_frag_needed(&H.s, FAKE_V4(FAKE_OUR_IP), peer, PORT, PPORT, iss + 1, 1280),
		 -EINVAL);
	stack_fini(&H.s);
}

/* --- several IPv4 addresses ------------------------------------------------ */

#define OUR_IP2 FAKE_IP(10, 0, 0, 5)

static void on_recv_any(void *arg, const struct ip_addr *src, uint16_t sport, uint16_t dport,
			const uint8_t *data, size_t len)
{
	(void)arg, (void)src, (void)sport, (void)dport, (void)data, (void)len;
}

/* A segment from 10.0.0.2:PPORT to dst:dport; the one frame it drew, as
 * IPv4/TCP with right checksums, in *v. 0, or -1. */
static int rx4_to(uint32_t dst, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
		  struct fake_tcp_view *v)
{
	uint8_t buf[200];
	struct fake_tcp_seg sg = {
		.src = FAKE_PEER_IP, .dst = dst, .sport = PPORT, .dport = dport,
		.seq = seq, .ack = ack, .flags = flags, .win = 65535,
	};

	fake_mark(&H);
	fake_rx(&H, buf, fake_tcp_frame(buf, FAKE_PEER_MAC, &sg));
	if (H.nif.n != 1 || fake_tcp_sent(&H, 0, v) || !v->ip_csum_ok || !v->tcp_csum_ok)
		return -1;
	return 0;
}

/* A connection answers from the address it was opened on, not from the
 * stack's first one: a listener bound to the second address, the
 * segments of its connection, a connect bound to it, a UDP socket bound
 * to it. */
TEST(connections_keep_their_own_local_address)
{
	struct fake_tcp_view v;
	struct tcp_pcb *l, *pcb;
	struct udp_pcb u;

	REQUIRE(setup() == 0);
	REQUIRE(stack_addr_add(&H.s, FAKE_V4(OUR_IP2), 24, STACK_ADDR_F_STATIC) == 0);
	l = tcp_listen2(&H.s, FAKE_V4(OUR_IP2), PORT, 8, 0, fake_tcp_app_cb(), &A);
	REQUIRE(l != NULL);
	/* The first address has no listener on PORT. */
	REQUIRE(rx4_to(FAKE_OUR_IP, PORT, PISN, 0, TH_SYN, &v) == 0);
	CHECK_EQ(v.flags, TH_RST | TH_ACK);
	CHECK_EQ(v.src, FAKE_OUR_IP);
	REQUIRE(rx4_to(OUR_IP2, PORT, PISN, 0, TH_SYN, &v) == 0);
	CHECK_EQ(v.flags, TH_SYN | TH_ACK);
	CHECK_EQ(v.src, OUR_IP2);
	CHECK_EQ(v.dst, FAKE_PEER_IP);
	{
		struct fake_tcp_view w;

		fake_mark(&H);
		REQUIRE(rx4_to(OUR_IP2, PORT, PISN + 1, v.seq + 1, TH_ACK, &w) != 0); /* nothing */
		REQUIRE(A.pcb != NULL);
		CHECK_EQ(tcp_write(A.pcb, "hi", 2), 2);
		REQUIRE(H.nif.n == 1 && fake_tcp_sent(&H, 0, &w) == 0);
		CHECK(w.tcp_csum_ok);
		CHECK_EQ(w.src, OUR_IP2);
		CHECK_EQ(w.len, 2);
		CHECK(ip_addr_eq(tcp_laddr(A.pcb), FAKE_V4(OUR_IP2)));
	}
	/* An active open bound to it leaves from it. */
	fake_mark(&H);
	pcb = tcp_new(&H.s);
	REQUIRE(pcb != NULL);
	CHECK_EQ(tcp_bind_addr(pcb, FAKE_V4(FAKE_IP(10, 0, 0, 9))), -EADDRNOTAVAIL);
	REQUIRE(tcp_bind_addr(pcb, FAKE_V4(OUR_IP2)) == 0);
	REQUIRE(tcp_connect_pcb(pcb, 45000, FAKE_V4(FAKE_PEER_IP), 443, fake_tcp_app_cb(), &A) == 0);
	REQUIRE(H.nif.n == 1 && fake_tcp_sent(&H, 0, &v) == 0);
	CHECK(v.tcp_csum_ok);
	CHECK_EQ(v.flags, TH_SYN);
	CHECK_EQ(v.src, OUR_IP2);
	CHECK_EQ(v.sport, 45000);
	CHECK(tcp_tuple_busy(&H.s, FAKE_V4(OUR_IP2), 45000, FAKE_V4(FAKE_PEER_IP), 443));
	CHECK(!tcp_tuple_busy(&H.s, FAKE_V4(FAKE_OUR_IP), 45000, FAKE_V4(FAKE_PEER_IP), 443));
	/* UDP: a socket bound to it sends from it. */
	fake_mark(&H);
	udp_pcb_init(&u, on_recv_any, NULL, NULL);
	u.lport = 53;
	u.laddr = ip_addr_v4(OUR_IP2);
	REQUIRE(udp_pcb_insert(&H.s, &u) == 0);
	CHECK_EQ(udp_send(&H.s, &u, FAKE_V4(FAKE_PEER_IP), 5353, "x", 1), 0);
	REQUIRE(H.nif.n == 1);
	CHECK_EQ(fake_get_ip(fake_frame(&H.nif, 0)->data + 14 + 12), OUR_IP2);
	CHECK_EQ(udp_send(&H.s, &u, peer, 5353, "x", 1), -EINVAL); /* other family */
	udp_pcb_remove(&H.s, &u);
	stack_fini(&H.s);
}

/* --- UDP ---------------------------------------------------------------- */

static struct {
	unsigned int n;
	struct ip_addr src;
	uint16_t sport;
	char data[64];
	size_t len;
} got;

static void on_recv(void *arg, const struct ip_addr *src, uint16_t sport, uint16_t dport,
		    const uint8_t *data, size_t len)
{
	(void)arg;
	(void)dport;
	got.n++;
	got.src = *src;
	got.sport = sport;
	got.len = len < sizeof(got.data) ? len : sizeof(got.data);
	memcpy(got.data, data, got.len);
}

static int udp_err;

static void on_err(void *arg, int err)
{
	(void)arg;
	udp_err = err;
}

/* A UDP datagram from the peer's port 5353 to dst:53; csum: 0 right, 1
 * off by one, 2 zero (none). */
static void rx_udp6(const struct ip_addr *src, const struct ip_addr *dst, const char *data,
		    int csum)
{
	uint8_t u[8 + 64];
	size_t len = strlen(data);

	fake_put16(u, 5353);
	fake_put16(u + 2, 53);
	fake_put16(u + 4, (uint16_t)(8 + len));
	fake_put16(u + 6, 0);
	memcpy(u + 8, data, len);
	if (csum != 2)
		fake_put16(u + 6, (uint16_t)(ip6_csum(src, dst, IP6_NH_UDP, u, 8 + len) + csum));
	fake_rx(&H, f, ip6_frame(f, FAKE_OUR_MAC, FAKE_PEER_MAC, src, dst, IP6_NH_UDP, 64, u,
				 8 + len));
}

TEST(udp_over_ipv6_both_ways)
{
	struct ip6_view v;

	REQUIRE(setup() == 0);
	memset(&got, 0, sizeof(got));
	REQUIRE(udp_bind(&H.s, 53, on_recv, NULL) == 0);
	rx_udp6(peer, ours, "query", 0);
	CHECK_EQ(got.n, 1);
	CHECK(ip_addr_eq(&got.src, peer));
	CHECK_EQ(got.sport, 5353);
	CHECK_EQ(got.len, 5);
	CHECK(memcmp(got.data, "query", 5) == 0);
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_ip6_rx, 1 }, { AX_C_udp_rx, 1 },
		  { AX_C_udp_delivered, 1 });
	/* A bad checksum, and none at all (mandatory over IPv6, RFC 8200
	 * 8.1): dropped, counted. */
	fake_mark(&H);
	rx_udp6(peer, ours, "bad", 1);
	rx_udp6(peer, ours, "none", 2);
	CHECK_EQ(got.n, 1);
	CHECK_CNT(&H, { AX_C_eth_rx, 2 }, { AX_C_ip6_rx, 2 }, { AX_C_udp_rx, 2 },
		  { AX_C_udp_bad_csum, 2 });
	/* Out: from the selected source, checksum right. */
	fake_mark(&H);
	CHECK_EQ(udp_sendto(&H.s, NULL, peer, 53, 5353, "answer", 6), 0);
	REQUIRE(H.nif.n == 1 && ip6_parse(fake_frame(&H.nif, 0), &v) == 0);
	CHECK_EQ(v.nh, IP6_NH_UDP);
	CHECK(ip_addr_eq(&v.src, ours));
	CHECK(ip_addr_eq(&v.dst, peer));
	CHECK_EQ(v.plen, 8 + 6);
	CHECK_EQ(fake_get16(v.pl), 53);
	CHECK_EQ(fake_get16(v.pl + 2), 5353);
	CHECK(fake_get16(v.pl + 6) != 0);
	CHECK_EQ(ip6_csum(&v.src, &v.dst, IP6_NH_UDP, v.pl, v.plen), 0);
	CHECK(memcmp(v.pl + 8, "answer", 6) == 0);
	/* A source of the other family is refused. */
	CHECK_EQ(udp_sendto(&H.s, FAKE_V4(FAKE_OUR_IP), peer, 53, 5353, "x", 1), -EADDRNOTAVAIL);
	stack_fini(&H.s);
}

TEST(udp_sockets_dual_stack_as_linux)
{
	struct udp_pcb any6, v6only, any4;

	REQUIRE(setup() == 0);
	udp_pcb_init(&any6, on_recv, NULL, NULL);
	udp_pcb_init(&v6only, on_recv, NULL, NULL);
	udp_pcb_init(&any4, on_recv, NULL, NULL);
	any6.lport = 53;
	v6only.lport = 54;
	v6only.v6only = 1;
	any4.lport = 55;
	any4.laddr = ip_addr_any4;
	REQUIRE(udp_pcb_insert(&H.s, &any6) == 0);
	REQUIRE(udp_pcb_insert(&H.s, &v6only) == 0);
	REQUIRE(udp_pcb_insert(&H.s, &any4) == 0);
	CHECK(udp_lookup(&H.s, ours, peer, 5353, 53) == &any6);
	CHECK(udp_lookup(&H.s, FAKE_V4(FAKE_OUR_IP), FAKE_V4(FAKE_PEER_IP), 5353, 53) == &any6);
	CHECK(udp_lookup(&H.s, ours, peer, 5353, 54) == &v6only);
	CHECK(udp_lookup(&H.s, FAKE_V4(FAKE_OUR_IP), FAKE_V4(FAKE_PEER_IP), 5353, 54) == NULL);
	CHECK(udp_lookup(&H.s, ours, peer, 5353, 55) == NULL);
	CHECK(udp_lookup(&H.s, FAKE_V4(FAKE_OUR_IP), FAKE_V4(FAKE_PEER_IP), 5353, 55) == &any4);
	/* An IPv6 datagram to port 55 (IPv4 only) draws a port unreachable. */
	memset(&got, 0, sizeof(got));
	fake_mark(&H);
	{
		uint8_t u[8 + 2] = { 0x14, 0xe9, 0, 55, 0, 10, 0, 0, 'h', 'i' };

		fake_put16(u + 6, ip6_csum(peer, ours, IP6_NH_UDP, u, sizeof(u)));
		fake_rx(&H, f, ip6_frame(f, FAKE_OUR_MAC, FAKE_PEER_MAC, peer, ours, IP6_NH_UDP, 64,
					 u, sizeof(u)));
	}
	CHECK_EQ(got.n, 0);
	{
		struct ip6_view v;

		REQUIRE(H.nif.n == 1 && ip6_parse(fake_frame(&H.nif, 0), &v) == 0);
		CHECK_EQ(v.nh, IP6_NH_ICMPV6);
		CHECK(v.csum_ok);
		CHECK_EQ(v.pl[0], ICMP6_DEST_UNREACH);
		CHECK_EQ(v.pl[1], 4); /* port unreachable (RFC 4443 3.1) */
		CHECK(ip_addr_eq(&v.dst, peer));
	}
	/* Connected to the peer: an error quoting its flow reaches it; one
	 * quoting another local address of ours, or unconnected, does not. */
	any6.raddr = *peer;
	any6.rport = 5353;
	any6.err = on_err;
	udp_err = 0;
	CHECK_EQ(udp_icmp_error(&H.s, ours, peer, 53, 5353, -ECONNREFUSED), 1);
	CHECK_EQ(udp_err, -ECONNREFUSED);
	udp_err = 0;
	CHECK_EQ(udp_icmp_error(&H.s, ours, peer, 53, 5354, -ECONNREFUSED), 0);
	CHECK_EQ(udp_icmp_error(&H.s, ours, peer, 53, 5353, 0), 0); /* soft: not told */
	CHECK_EQ(udp_err, 0);
	udp_pcb_remove(&H.s, &any6);
	udp_pcb_remove(&H.s, &v6only);
	udp_pcb_remove(&H.s, &any4);
	stack_fini(&H.s);
}

/* An ICMPv6 destination unreachable of code from the peer quoting a UDP
 * datagram from qsrc:53 to the peer's 5353. */
static void rx_unreach6(uint8_t code, const struct ip_addr *qsrc)
{
	uint8_t m[8 + 40 + 8 + 4];

	memset(m, 0, sizeof(m));
	m[0] = ICMP6_DEST_UNREACH;
	m[1] = code;
	fake_put32(m + 8, 6u << 28);
	fake_put16(m + 8 + 4, 8 + 4);
	m[8 + 6] = IP6_NH_UDP;
	m[8 + 7] = 64;
	memcpy(m + 8 + 8, qsrc->b, 16);
	memcpy(m + 8 + 24, peer->b, 16);
	fake_put16(m + 48, 53);
	fake_put16(m + 50, 5353);
	fake_put16(m + 52, 12);
	ip6_rx_icmp(&H, FAKE_OUR_MAC, FAKE_PEER_MAC, peer, ours, 64, m, sizeof(m));
}

TEST(icmp6_port_unreachable_reaches_the_connected_udp_socket)
{
	struct udp_pcb u;

	REQUIRE(setup() == 0);
	udp_pcb_init(&u, on_recv, on_err, NULL);
	u.lport = 53;
	u.raddr = *peer;
	u.rport = 5353;
	REQUIRE(udp_pcb_insert(&H.s, &u) == 0);
	udp_err = 0;
	/* Address unreachable (3) is soft (Linux: not fatal): not told. */
	rx_unreach6(3, ours);
	CHECK_EQ(udp_err, 0);
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_ip6_rx, 1 }, { AX_C_icmp6_rx, 1 },
		  { AX_C_icmp6_unreach_rx, 1 }, { AX_C_icmp6_err_unused, 1 });
	/* A quote of a datagram we never sent (its source not ours). */
	fake_mark(&H);
	rx_unreach6(4, &ip6_far);
	CHECK_EQ(udp_err, 0);
	fake_mark(&H);
	rx_unreach6(4, ours);
	CHECK_EQ(udp_err, -ECONNREFUSED);
	CHECK_CNT(&H, { AX_C_eth_rx, 1 }, { AX_C_ip6_rx, 1 }, { AX_C_icmp6_rx, 1 },
		  { AX_C_icmp6_unreach_rx, 1 }, { AX_C_udp_icmp_err, 1 });
	/* Linux's tab_unreach: reject route (6) is EACCES; a code past the
	 * table is fatal with EPROTO (icmpv6_err_convert). */
	rx_unreach6(6, ours);
	CHECK_EQ(udp_err, -EACCES);
	rx_unreach6(7, ours);
	CHECK_EQ(udp_err, -EPROTO);
	udp_pcb_remove(&H.s, &u);
	stack_fini(&H.s);
}

TEST_MAIN(T(handshake_over_ipv6_announces_mss_of_a_40_byte_header),
	  T(data_both_ways_with_ipv6_checksums), T(reset_over_ipv6_closed_port_and_connection),
	  T(dual_stack_listener_takes_ipv4_and_ipv6_syns),
	  T(ipv6_syn_to_our_mapped_ipv4_address_is_not_ours),
	  T(v6only_listener_refuses_ipv4_and_ipv4_listener_refuses_ipv6),
	  T(listener_on_an_address_takes_that_address_first),
	  T(active_open_over_ipv6_from_the_selected_source), T(syn_cookies_over_ipv6),
	  T(packet_too_big_lowers_mss_never_below_1280), T(connections_keep_their_own_local_address),
	  T(udp_over_ipv6_both_ways),
	  T(udp_sockets_dual_stack_as_linux),
	  T(icmp6_port_unreachable_reaches_the_connected_udp_socket))
