/*
 * opt.h - engine tunables, one place, each with its default and why
 * (the lwIP opt.h pattern). Override with -D at build time.
 */
#ifndef AX_OPT_H
#define AX_OPT_H

/* ARP cache size: a /24 worth of neighbours plus headroom. */
#ifndef AX_ARP_ENTRIES
#define AX_ARP_ENTRIES 256
#endif
/* Hash buckets for the ARP cache (power of two). */
#ifndef AX_ARP_BUCKETS
#define AX_ARP_BUCKETS 64
#endif
/* How long a reply to our request confirms a neighbour (RFC 4861 10
 * REACHABLE_TIME; Linux base_reachable_time_ms 30 s). `axnet run
 * --neigh-reachable-ms` overrides it. */
#ifndef AX_ARP_REACHABLE_MS
#define AX_ARP_REACHABLE_MS 30000
#endif
/* An entry neither used nor updated for this long is freed (Linux
 * gc_stale_time 60 s). `axnet run --neigh-stale-ms` overrides it. */
#ifndef AX_ARP_STALE_MS
#define AX_ARP_STALE_MS 60000
#endif
/* A STALE neighbour in use is probed after this long without a
 * confirmation (RFC 4861 10 DELAY_FIRST_PROBE_TIME; Linux 5 s). */
#ifndef AX_ARP_DELAY_MS
#define AX_ARP_DELAY_MS 5000
#endif
/* Unicast requests to re-confirm a neighbour before it is dropped
 * (RFC 4861 10 MAX_UNICAST_SOLICIT; Linux ucast_solicit 3), one every
 * AX_ARP_RETRY_MS. */
#ifndef AX_ARP_UCAST_PROBES
#define AX_ARP_UCAST_PROBES 3
#endif
/* A different MAC for a known neighbour is taken only this long after its
 * last update, so that the first of several racing replies wins (Linux
 * locktime 1 s); a gratuitous ARP is taken at once. */
#ifndef AX_ARP_LOCKTIME_MS
#define AX_ARP_LOCKTIME_MS 1000
#endif
/* Resolution: a request every second, three in all (RFC 1122 2.3.2.1
 * asks for at most one request per second per destination). */
/* An address conflict (another MAC claiming ours) is logged at most once
 * per this time (arp_conflict counts them all): one line tells the
 * operator, and a peer claiming our address in every packet cannot fill
 * the log (Linux logs none). */
#ifndef AX_ARP_CONFLICT_LOG_MS
#define AX_ARP_CONFLICT_LOG_MS 10000
#endif
#ifndef AX_ARP_RETRY_MS
#define AX_ARP_RETRY_MS 1000
#endif
#ifndef AX_ARP_MAX_TRIES
#define AX_ARP_MAX_TRIES 3
#endif
/* Frames waiting for resolution: per neighbour (Linux unres_qlen is 3 by
 * default in packets; we keep a few more) and in all. */
#ifndef AX_ARP_QUEUE_PER_ENTRY
#define AX_ARP_QUEUE_PER_ENTRY 8
#endif
#ifndef AX_ARP_QUEUE_SLOTS
#define AX_ARP_QUEUE_SLOTS 64
#endif
/* Addresses of the stack, both families (stack_addr.c): a few static
 * ones, the link-local, and room for SLAAC (RFC 4862) from a couple of RAs. */
#ifndef AX_ADDRS_MAX
#define AX_ADDRS_MAX 16
#endif
/* Routes in the routing table. */
#ifndef AX_ROUTES_MAX
#define AX_ROUTES_MAX 32
#endif
/* Path MTU (RFC 1191): destinations remembered, how long (RFC 1191 6.3
 * and Linux's mtu_expires: 10 minutes), and the floor a frag-needed
 * cannot push below (Linux's min_pmtu, 552: a smaller claim is a lie
 * meant to make us send tiny segments). */
#ifndef AX_PMTU_ENTRIES
#define AX_PMTU_ENTRIES 64
#endif
#ifndef AX_PMTU_AGE_MS
#define AX_PMTU_AGE_MS 600000u
#endif
#ifndef AX_PMTU_MIN
#define AX_PMTU_MIN 552u
#endif
/* IPv6's floor: every link carries 1280 bytes (RFC 8200 5, RFC 8201 4). */
#ifndef AX_PMTU_MIN6
#define AX_PMTU_MIN6 1280u
#endif
/* TTL of datagrams we originate (Linux default, RFC 1700). */
#ifndef AX_IP_DEFAULT_TTL
#define AX_IP_DEFAULT_TTL 64
#endif
/* Reassembly (frag.c). Buffers: each holds one datagram being
 * reassembled, up to 65535 bytes plus its headers, so the pool is their
 * number times ~64 KiB: 16 is 1 MiB, enough for a few peers' large UDP
 * datagrams at once (Linux's ipfrag_high_thresh is 4 MiB per namespace).
 * Queues: reassemblies known, twice the buffers, because a datagram
 * dropped (overlap, tiny first fragment) keeps its queue without a buffer
 * until its timeout, so its late fragments are discarded too (RFC 5722). */
#ifndef AX_FRAG_BUFS
#define AX_FRAG_BUFS 16
#endif
#ifndef AX_FRAG_QUEUES
#define AX_FRAG_QUEUES (2 * AX_FRAG_BUFS)
#endif
/* Buffers one source may hold (an IPv4 address, an IPv6 /64): a quarter
 * of the pool, so a flood from one source takes at most that share and
 * evicts only its own reassemblies (Linux has no such share; its
 * per-namespace threshold lets one source evict everyone's). */
#ifndef AX_FRAG_PER_SRC
#define AX_FRAG_PER_SRC (AX_FRAG_BUFS / 4)
#endif
/* Fragments of one datagram: a 64 KiB datagram at the IPv6 minimum MTU
 * (1280) is 54 fragments, at Ethernet's 1500 45; more is an attack on
 * the per-fragment work (each is checked against those held). */
#ifndef AX_FRAG_MAX_FRAGS
#define AX_FRAG_MAX_FRAGS 64
#endif
/* Unfragmentable part kept from the first fragment: the IPv4 header (60
 * at most) or the IPv6 header and the extension headers before the
 * fragment header. Larger is refused (frag_malformed). */
#ifndef AX_FRAG_HDR_MAX
#define AX_FRAG_HDR_MAX 256
#endif
/* Time to reassemble, from the first fragment: Linux's ipfrag_time (30 s)
 * for IPv4 (RFC 791 suggests 15 s upward), RFC 8200 4.5's 60 s for IPv6. */
#ifndef AX_FRAG_TIMEOUT_V4_MS
#define AX_FRAG_TIMEOUT_V4_MS 30000u
#endif
#ifndef AX_FRAG_TIMEOUT_V6_MS
#define AX_FRAG_TIMEOUT_V6_MS 60000u
#endif

#endif /* AX_OPT_H */

/* --- TCP ------------------------------------------------------------ */
/* Ring sizes per connection (power of two). The send ring holds what is
 * in flight until acknowledged: a veth round trip of ~50 us at 10 Gbit/s
 * is 64 KiB, four times that for headroom (1 MiB measured no faster
 * through libaxnet and slowed the built-in chargen ~10%: more memory to
 * stream through the cache each round). The receive ring is the limit
 * autotuning grows the window to (it starts at AX_TCP_RCVWND_INIT, pages
 * are touched only as data comes): 1 MiB (Linux grows to 6), because a
 * reader in another process (libaxnet) drains it a scheduling delay
 * after the data landed, hundreds of microseconds on shared cores: with
 * 256 KiB a libaxnet reader was window bound at 0.70 of the built-in
 * discard, with 1 MiB it moves as much (tests/bench/libaxnet_bench.sh). */
#ifndef AX_TCP_SNDBUF
#define AX_TCP_SNDBUF (256u * 1024)
#endif
#ifndef AX_TCP_RCVBUF
#define AX_TCP_RCVBUF (1024u * 1024)
#endif
/* SO_SNDBUF / SO_RCVBUF bounds (tcp_set_bufsize). Below one page the
 * receiver's SWS avoidance (RFC 9293 3.8.6.2.2) keeps the window under an
 * MSS and a transfer crawls (Linux's floor, SOCK_MIN_RCVBUF doubled, is
 * 4.5 KiB); above 8 MiB our window scale (AX_TCP_RCV_WSCALE 7) cannot
 * offer the space. */
#ifndef AX_TCP_BUF_MIN
#define AX_TCP_BUF_MIN 4096u
#endif
#ifndef AX_TCP_BUF_MAX
#define AX_TCP_BUF_MAX (8u * 1024 * 1024)
#endif
/* Receive-window autotuning (tcp_set_bufsize): the window a connection
 * first offers, Linux's too (its SYN offers 64 KiB, the most an unscaled
 * window can say); it grows toward the ring as the application drains it,
 * so a connection that moves little touches little of its ring. */
#ifndef AX_TCP_RCVWND_INIT
#define AX_TCP_RCVWND_INIT (64u * 1024)
#endif
/* Autotuning measures what the application read once a round trip, and
 * at least this long apart: our RTT samples have millisecond resolution
 * (a LAN's read 0), and a measure over less than a few reads sees one
 * read's worth, never more than the last, and never grows the window. */
#ifndef AX_TCP_RCVQ_MIN_US
#define AX_TCP_RCVQ_MIN_US 1000u
#endif
/* Rings this large or larger are mmap'd by the engine (not malloc'd) so a
 * closed connection's pages go back to the system at once: glibc's heap
 * keeps freed 256 KiB chunks (its mmap threshold rises to the largest
 * chunk freed), and 100k closed connections kept ~1 GB resident. */
#ifndef AX_TCP_RING_MMAP_MIN
#define AX_TCP_RING_MMAP_MIN (64u * 1024)
#endif
/* Connection hash buckets (power of two): 100k connections, short chains. */
#ifndef AX_TCP_HASH_BUCKETS
#define AX_TCP_HASH_BUCKETS 65536u
#endif
/* RFC 6298 2.4 says 1 s minimum; like Linux we use 200 ms on LANs. */
#ifndef AX_TCP_RTO_MIN_MS
#define AX_TCP_RTO_MIN_MS 200u
#endif
#ifndef AX_TCP_RTO_MAX_MS
#define AX_TCP_RTO_MAX_MS 60000u
#endif
#ifndef AX_TCP_RTO_INIT_MS
#define AX_TCP_RTO_INIT_MS 1000u /* RFC 6298 2.1 */
#endif
/* Retransmissions before giving up (Linux tcp_retries2 is 15). */
#ifndef AX_TCP_MAX_RETRIES
#define AX_TCP_MAX_RETRIES 12u
#endif
#ifndef AX_TCP_SYN_RETRIES
#define AX_TCP_SYN_RETRIES 6u
#endif
/* TCP_CORK holds a partial segment at most this long (Linux tcp(7): a
 * 200 ms ceiling, its TCP_RTO_MIN probe timer), so a program that never
 * pulls the cork still gets its tail out. */
#ifndef AX_TCP_CORK_MS
#define AX_TCP_CORK_MS 200u
#endif
/* Delayed ACK (RFC 1122 4.2.3.2: under 500 ms; Linux 40 ms). */
#ifndef AX_TCP_DELACK_MS
#define AX_TCP_DELACK_MS 40u
#endif
/* ACK every segment for the first segments of a connection (quick-ack),
 * so slow start is not throttled by delayed ACKs. */
#ifndef AX_TCP_QUICKACKS
#define AX_TCP_QUICKACKS 16u
#endif
/* 2*MSL in TIME_WAIT (Linux 60 s). */
#ifndef AX_TCP_TIME_WAIT_MS
#define AX_TCP_TIME_WAIT_MS 60000u
#endif
/* Orphaned FIN_WAIT_2 lifetime (Linux tcp_fin_timeout 60 s). */
#ifndef AX_TCP_FIN_WAIT2_MS
#define AX_TCP_FIN_WAIT2_MS 60000u
#endif
/* Initial window in segments (RFC 6928). */
#ifndef AX_TCP_INIT_CWND
#define AX_TCP_INIT_CWND 10u
#endif
/* Challenge ACKs per second, stack-wide, on average (RFC 5961 7; Linux's
 * tcp_challenge_ack_limit was 1000): each second's budget is drawn at
 * random from [limit/2, 3 limit/2) so that counting them tells an
 * off-path attacker nothing (CVE-2016-5696). */
#ifndef AX_TCP_CHALLENGE_ACK_LIMIT
#define AX_TCP_CHALLENGE_ACK_LIMIT 1000u
#endif
/* At most one challenge ACK per connection this often (Linux's
 * tcp_invalid_ratelimit, 500 ms). */
#ifndef AX_TCP_INVALID_RATELIMIT_MS
#define AX_TCP_INVALID_RATELIMIT_MS 500u
#endif
/* User timeout (RFC 9293 3.8.3: "the present global default is five
 * minutes"): unacknowledged data, or zero-window probes the peer does not
 * answer, for this long drop the connection. */
#ifndef AX_TCP_USER_TIMEOUT_MS
#define AX_TCP_USER_TIMEOUT_MS 300000u
#endif
/* Our receive window scale shift (RFC 7323): 2^7 * 65535 = 8 MiB max. */
#ifndef AX_TCP_RCV_WSCALE
#define AX_TCP_RCV_WSCALE 7u
#endif
/* Resets for segments of no connection (RFC 9293 3.10.7.1, 3.10.7.2):
 * token buckets, per source and stack-wide, so that spoofed segments
 * cannot make us send a flood (a RST is never larger than what drew it,
 * but a hostile peer should not choose where ours go). Stack-wide as
 * Linux limits the ICMP errors it sends (icmp_msgs_per_sec 1000);
 * per source well above what a client of a restarted instance needs (one
 * RST per connection it had), far below a flood. Sources share
 * AX_TCP_RST_SOURCES slots (keyed hash); a source that takes another's
 * slot starts with a full bucket, so the stack-wide bucket is the bound. */
#ifndef AX_TCP_RST_RATE
#define AX_TCP_RST_RATE 1000u
#endif
#ifndef AX_TCP_RST_BURST
#define AX_TCP_RST_BURST 1000u
#endif
#ifndef AX_TCP_RST_SRC_RATE
#define AX_TCP_RST_SRC_RATE 100u
#endif
#ifndef AX_TCP_RST_SRC_BURST
#define AX_TCP_RST_SRC_BURST 200u
#endif
#ifndef AX_TCP_RST_SOURCES
#define AX_TCP_RST_SOURCES 1024u
#endif
/*
 * SYN cookies (RFC 4987 3.6, tcp_cookie.c). Every connection that gets a
 * control block is authorized, two Axiom entries (authorize, close), so a
 * SYN from a source that has not proved its address must get none once a
 * flood is on. A listener answers SYNs with cookies while this many of its
 * connections are half-open (or its backlog, when smaller): a real client
 * completes within a commit and a round trip, so even a busy listener
 * rarely has more, and a random-source flood (its SYN-ACKs die, the
 * half-open entries stay for the ~2 min of SYN-ACK retries) writes at most
 * 2 x 16 entries before cookies take over.
 */
#ifndef AX_TCP_SYNCOOKIE_HALFOPEN
#define AX_TCP_SYNCOOKIE_HALFOPEN 16u
#endif
/* The same for all listeners together (a flood spread over many ports). */
#ifndef AX_TCP_SYNCOOKIE_HALFOPEN_ALL
#define AX_TCP_SYNCOOKIE_HALFOPEN_ALL 64u
#endif
/* After pressure was seen, a listener keeps answering with cookies this
 * long: half-open entries that die (a spoofed address that answers with
 * RST) do not each make room for two fresh entries; at most 16 per 5 s. */
#ifndef AX_TCP_SYNCOOKIE_HOLD_MS
#define AX_TCP_SYNCOOKIE_HOLD_MS 5000u
#endif
/* Bytes a cookie connection keeps, unacknowledged, while its admission
 * commits (its peer, told it is connected, sends at once): a whole
 * initial window of Linux's (10 segments, RFC 6928) fits, so a request is
 * acknowledged at the commit instead of after the peer's RTO; never more
 * than the SYN-ACK's window offered. Past it, data is dropped unacked. */
#ifndef AX_TCP_ADMIT_HOLD
#define AX_TCP_ADMIT_HOLD 16384u
#endif
/* The same for all connections together: what many waiting at once may
 * hold (a commit that stalls; many sources), a few connections' rings. */
#ifndef AX_TCP_ADMIT_HOLD_ALL
#define AX_TCP_ADMIT_HOLD_ALL (4u * 1024 * 1024)
#endif
/* The cookies' clock: a cookie is good for one to two periods (Linux: 60 s,
 * MAX_SYNCOOKIE_AGE 2), longer than any handshake's SYN-ACK retries take
 * to be answered on a sane path. */
#ifndef AX_TCP_SYNCOOKIE_PERIOD_MS
#define AX_TCP_SYNCOOKIE_PERIOD_MS 60000u
/* UDP socket hash buckets, by local port (power of two). */
#ifndef AX_UDP_HASH_BUCKETS
#define AX_UDP_HASH_BUCKETS 1024u
#endif
/* ICMP errors we send, both families (ip_send_error, icmp_err.c: port and
 * protocol unreachable, reassembly time exceeded, parameter problem),
 * limited as TCP's resets for no connection are: per family as Linux's
 * icmp_msgs_per_sec 1000 / icmp_msgs_burst 50 (one bucket for IPv4, one
 * for IPv6: RFC 4443 2.4(f)), per destination as Linux's icmp_ratelimit
 * (one a second, a burst of 6), over AX_ICMP_ERR_SOURCES hashed slots. */
#ifndef AX_ICMP_ERR_RATE
#define AX_ICMP_ERR_RATE 1000u
#endif
#ifndef AX_ICMP_ERR_BURST
#define AX_ICMP_ERR_BURST 50u
#endif
#ifndef AX_ICMP_ERR_SRC_RATE
#define AX_ICMP_ERR_SRC_RATE 1u
#endif
#ifndef AX_ICMP_ERR_SRC_BURST
#define AX_ICMP_ERR_SRC_BURST 6u
#endif
#ifndef AX_ICMP_ERR_SOURCES
#define AX_ICMP_ERR_SOURCES 256u
#endif
/* Ephemeral ports (RFC 6056), Linux's ip_local_port_range default;
 * `axnet run --ports LO-HI` overrides them. */
#ifndef AX_PORT_LO
#define AX_PORT_LO 32768u
#endif
#ifndef AX_PORT_HI
#define AX_PORT_HI 60999u
#endif
/* A UDP socket's receive queue (bytes, a power of two) unless SO_RCVBUF
 * says otherwise: Linux's rmem_default (212992) rounded up. */
#ifndef AX_UDP_RCVBUF
#define AX_UDP_RCVBUF (256u * 1024)
#endif
/* SO_RCVBUF for UDP is clamped to this range (rounded up to a power of 2). */
#ifndef AX_UDP_RCVBUF_MIN
#define AX_UDP_RCVBUF_MIN 4096u
#endif
#ifndef AX_UDP_RCVBUF_MAX
#define AX_UDP_RCVBUF_MAX (16u * 1024 * 1024)
#endif
/* Sockets' accept queue when listen() asks for more (Linux somaxconn). */
#ifndef AX_SOMAXCONN
#define AX_SOMAXCONN 4096u
#endif
#endif

/* --- the daemon's server for programs (daemon/sockserv.c) ------------- */
/* A program family's shared segment: virtual (pages cost only when
 * touched, freed rings are punched out); room for 26k connections with
 * opt.h's rings (1 MiB + 256 KiB), or 64k slots of smaller ones. */
#ifndef AX_IPC_SEG_SIZE
#define AX_IPC_SEG_SIZE (32ull << 30)
#endif
/* A UDP socket's send ring (datagram records): two of the largest
 * datagrams, so one always fits behind a wrap (records never wrap). */
#ifndef AX_IPC_UDP_TXRING
#define AX_IPC_UDP_TXRING (256u * 1024)
#endif
/* Sessions (connected processes) at once: each costs descriptors and a
 * segment's address space (1024 x 32 GiB is a quarter of the daemon's 47
 * bits); more are refused at accept. */
#ifndef AX_IPC_MAX_SESSIONS
#define AX_IPC_MAX_SESSIONS 1024u
#endif
/* Sessions of one uid at once (a forked child that attaches is one):
 * half of AX_IPC_MAX_SESSIONS, so one user's programs cannot take every
 * session from the others, and a prefork server of a few hundred workers
 * still fits; more are answered EMFILE. */
#ifndef AX_IPC_MAX_SESSIONS_UID
#define AX_IPC_MAX_SESSIONS_UID 512u
#endif
/* Sockets of one uid at once (each costs the daemon an eventfd and a
 * slot): as many as one segment has slots; more are EMFILE, as a process
 * at its RLIMIT_NOFILE. */
#ifndef AX_IPC_MAX_SOCKETS_UID
#define AX_IPC_MAX_SOCKETS_UID 65536u
#endif
/* Descriptors the daemon keeps for itself (the engine, Axiom's log, the
 * control socket, new sessions): programs' sockets and segments stop
 * (ENFILE, as a full system file table) this far below its RLIMIT_NOFILE,
 * so no program can make the daemon itself run out. */
#ifndef AX_IPC_FD_RESERVE
#define AX_IPC_FD_RESERVE 512u
/* --- IPv6 and neighbor discovery (ipv6.c, nd.c) --- */

/* Extension headers walked per packet before it is dropped (RFC 8200 4.1
 * sets no limit; RFC 7112 and Linux's max_hbh/dst_opts_number cap the
 * work a packet can ask for: 8 is past any chain in use). */
#ifndef AX_IP6_EXT_MAX
#define AX_IP6_EXT_MAX 8
#endif
/* Hop limit of what we send until a router advertises one (RFC 8200 3,
 * Linux's hop_limit 64). */
#ifndef AX_IP6_DEFAULT_HOPS
#define AX_IP6_DEFAULT_HOPS 64
#endif
/* DupAddrDetectTransmits (RFC 4862 5.1: default 1) and the time to wait
 * for a defence (RetransTimer, RFC 4861 10: 1 s). */
/* On-link prefixes taken from router advertisements (RFC 4861 6.3.4), at
 * most: they share the AX_ROUTES_MAX routing table with connected routes,
 * static routes and the default routers, and one advertisement can carry
 * dozens of prefixes of infinite lifetime; a link has a few. */
#ifndef AX_ND_PREFIXES_MAX
#define AX_ND_PREFIXES_MAX 8
#endif
#ifndef AX_ND_DAD_TRANSMITS
#define AX_ND_DAD_TRANSMITS 1
#endif
#ifndef AX_ND_DAD_WAIT_MS
#define AX_ND_DAD_WAIT_MS 1000
#endif

#endif
