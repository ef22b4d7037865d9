/*
 * counters.h - the engine's counters, defined once as an X-macro so that
 * the enum, the names printed by `axnet stats` and the JSON keys can never
 * drift apart. Counters are plain uint64_t: the engine is single-threaded.
 */
#ifndef AX_COUNTERS_H
#define AX_COUNTERS_H

#include <stdint.h>

#define AX_COUNTERS(X)                                                        \
	X(eth_rx, "frames received by the engine")                            \
	X(eth_tx, "frames handed to the device")                              \
	X(eth_malformed, "frames shorter than an Ethernet header")           \
	X(eth_not_ours, "frames for another MAC address")                    \
	X(eth_vlan_dropped, "802.1Q-tagged frames (no VLAN configured)")     \
	X(eth_unknown_type, "frames of an EtherType the engine does not run") \
	X(tx_no_buffer, "frames lost because the device had no TX buffer")   \
	X(arp_rx, "ARP packets received")                                     \
	X(arp_malformed, "ARP packets truncated or not Ethernet/IPv4")       \
	X(arp_requests_rx, "ARP requests for our address")                   \
	X(arp_replies_tx, "ARP replies sent")                                 \
	X(arp_requests_tx, "ARP requests sent (gratuitous included)")        \
	X(arp_replies_rx, "ARP replies received")                             \
	X(arp_conflict, "ARP packets claiming our own address")              \
	X(arp_cache_full, "neighbours not cached: table full, none evictable") \
	X(arp_evicted, "idle neighbours evicted to make room")           \
	X(arp_queued, "frames queued waiting for resolution")                \
	X(arp_queue_dropped, "queued frames dropped (overflow or no answer)") \
	X(arp_resolve_failed, "resolutions that got no answer")              \
	X(arp_mac_mismatch, "ARP packets whose sender MAC is not the frame's source (dropped)") \
	X(arp_off_subnet, "ARP packets from a sender off our subnet (ignored)") \
	X(arp_unsolicited, "ARP replies and announcements from unknown senders (not learned)") \
	X(arp_update_locked, "new MACs for a neighbour ignored within the lock time") \
	X(arp_probes_tx, "unicast requests re-confirming a neighbour (in arp_requests_tx)") \
	X(arp_probe_failed, "neighbours dropped: unicast re-confirmation unanswered") \
	X(arp_stale_freed, "neighbours freed after the stale time unused")  \
	X(ip_rx, "IPv4 packets received")                                     \
	X(ip_malformed, "IPv4 packets with a bad header")                     \
	X(ip_bad_csum, "IPv4 packets with a bad header checksum")            \
	X(ip_not_ours, "IPv4 packets for another address")                   \
	X(ip_martian, "IPv4 packets from an impossible source address")      \
	X(ip_l2_bcast, "unicast IPv4 packets in a link-layer broadcast")      \
	X(ip_bad_options, "IPv4 packets dropped: malformed options (RFC 791)") \
	X(ip_source_route, "IPv4 packets dropped: source route option (LSRR/SSRR)") \
	X(ip_unknown_proto, "IPv4 packets of a protocol not served")         \
	X(ip_tx, "IPv4 packets sent")                                         \
	X(ip_no_route, "IPv4 packets with no route to the destination")      \
	X(icmp_rx, "ICMP messages received")                                  \
	X(icmp_malformed, "ICMP messages truncated")                          \
	X(icmp_bad_csum, "ICMP messages with a bad checksum")                \
	X(icmp_echo_rx, "echo requests received")                             \
	X(icmp_echo_ignored, "echo requests not answered (broadcast, code, size)") \
	X(icmp_echo_denied, "echo requests not answered: denied by policy")   \
	X(icmp_echo_reply_tx, "echo replies sent")                            \
	X(icmp_echo_tx, "echo requests sent")                                 \
	X(icmp_echo_reply_rx, "echo replies received")                        \
	X(icmp_frag_needed_rx, "ICMP fragmentation-needed messages received") \
	X(icmp_frag_needed_rejected, "frag-needed ignored: quote names no connection or an unsent/acked sequence, or no MTU (RFC 5927)") \
	X(icmp_other_rx, "other ICMP messages received")                      \
	X(udp_rx, "UDP datagrams received")                                   \
	X(udp_tx, "UDP datagrams sent")                                       \
	X(udp_malformed, "UDP datagrams with a bad length")                   \
	X(udp_bad_csum, "UDP datagrams with a bad checksum")                  \
	X(udp_no_port, "UDP datagrams for no bound port")                     \
	X(udp_delivered, "UDP datagrams handed to their port")                \
	X(udp_unreach_tx, "ICMP port unreachables sent for UDP to no socket") \
	X(udp_unreach_limited, "ICMP port unreachables not sent: rate limit") \
	X(udp_icmp_err, "ICMP unreachables reported on a connected UDP socket") \
	X(icmp_unreach_rx, "ICMP destination unreachables (not frag-needed) received") \
	X(sock_accept_overflow, "connections reset: the socket's accept queue was full") \
	X(sock_ports_exhausted, "binds and connects that found no free ephemeral port") \
	X(udp_rcvbuf_drops, "UDP datagrams dropped: the socket's receive queue was full") \
	X(tcp_rx, "TCP segments received")                                    \
	X(tcp_tx, "TCP segments sent")                                        \
	X(tcp_malformed, "TCP segments truncated, bad offset, or broadcast") \
	X(tcp_bad_csum, "TCP segments with a bad checksum")                  \
	X(tcp_bad_opts, "TCP segments with malformed options")               \
	X(tcp_no_port, "TCP segments for no connection or listener")         \
	X(tcp_rst_tx, "TCP resets sent")                                      \
	X(tcp_rst_rx, "TCP resets accepted")                                  \
	X(tcp_rst_noconn, "TCP resets sent for segments of no connection")   \
	X(tcp_rst_limited_src, "TCP resets for no connection not sent: source over its rate") \
	X(tcp_rst_limited_all, "TCP resets for no connection not sent: stack-wide rate") \
	X(tcp_conns_opened, "TCP connections created")                        \
	X(tcp_conns_closed, "TCP connections freed")                          \
	X(tcp_passive_opens, "TCP SYNs accepted by a listener")              \
	X(tcp_active_opens, "TCP connections we opened that got established") \
	X(tcp_conn_refused, "TCP connects refused by the peer")               \
	X(tcp_backlog_drops, "TCP SYNs dropped: listener backlog full")      \
	X(tcp_syn_evicted, "TCP half-open connections evicted by new SYNs") \
	X(tcp_syncookies_sent, "TCP SYNs answered with a SYN cookie (nothing kept)") \
	X(tcp_syncookies_recv, "TCP connections made from a valid SYN cookie's ACK") \
	X(tcp_syncookies_failed, "TCP ACKs to a listener whose cookie did not check") \
	X(tcp_admit_held, "TCP segments kept unacknowledged while their connection's admission was pending") \
	X(tcp_admit_held_dropped, "TCP segments (or tails) dropped while admission was pending: past the hold, or out of order") \
	X(tcp_auth_denied, "TCP connections denied by the admitter")      \
	X(tcp_time_wait_reused, "TCP TIME_WAIT tuples taken by a newer SYN")  \
	X(tcp_no_memory, "TCP SYNs dropped: no memory for a connection")     \
	X(tcp_retransmits, "TCP segments retransmitted")                      \
	X(tcp_rto_fired, "TCP retransmission timeouts")                       \
	X(tcp_fast_retransmits, "TCP fast retransmits (3 duplicate ACKs)")   \
	X(tcp_dupacks_rx, "TCP duplicate ACKs received")                      \
	X(tcp_sack_recoveries, "TCP SACK loss recoveries (RFC 6675) entered")  \
	X(tcp_sack_retransmits, "TCP holes retransmitted in SACK recovery")   \
	X(tcp_sack_dropped, "TCP SACKed ranges forgotten (scoreboard full)")  \
	X(tcp_dsack_rx, "TCP D-SACKs received (peer got data twice)")         \
	X(tcp_timeouts, "TCP connections dropped after too many retries")   \
	X(tcp_window_probes, "TCP zero-window probes")                        \
	X(tcp_challenge_acks, "TCP challenge ACKs (RFC 5961)")               \
	X(tcp_challenge_acks_limited, "TCP challenge ACKs not sent: rate limit") \
	X(tcp_challenge_acks_skipped, "TCP challenge ACKs not sent: one per connection per 500 ms") \
	X(tcp_paws_drops, "TCP segments dropped by PAWS")                     \
	X(tcp_out_of_window, "TCP segments outside the receive window")      \
	X(tcp_ooo_segs, "TCP segments received out of order")                \
	X(tcp_ooo_dropped, "TCP out-of-order ranges forgotten (table full)") \
	X(tcp_delayed_acks, "TCP delayed ACKs sent by timer")                \
	X(tcp_keepalive_probes, "TCP keepalive probes sent")                 \
	X(tcp_keepalive_drops, "TCP connections dropped: keepalive unanswered") \
	X(tcp_pmtu_lowered, "TCP path MTUs lowered by fragmentation-needed (RFC 1191)") \
	X(tcp_rcvbuf_grown, "TCP receive windows grown by autotuning (DRS)")  \
	X(tcp_rx_bytes, "TCP payload bytes received in order")               \
	X(tcp_tx_bytes, "TCP payload bytes sent for the first time")          \
	AX_COUNTERS_IPV6(X)                                                   \
	AX_COUNTERS_ND(X)                                                     \
	AX_COUNTERS_FRAG(X)                                                   \
	AX_COUNTERS_ROUTE(X)

/*
 * Each part added for IPv6 keeps its counters in its own list below, so
 * that they are named once and their lists change independently.
 */

/* ipv6.c, icmp6.c: RFC 8200, RFC 4443. */
#define AX_COUNTERS_IPV6(X)                                                   \
	X(ip6_rx, "IPv6 packets received")                                    \
	X(ip6_tx, "IPv6 packets sent")                                        \
	X(ip6_malformed, "IPv6 packets with a bad version or payload length") \
	X(ip6_not_ours, "IPv6 packets for another address or a group we are not in") \
	X(ip6_martian, "IPv6 packets from a multicast, unspecified, loopback or our own source") \
	X(ip6_l2_mcast, "unicast IPv6 packets in a link-layer multicast")     \
	X(ip6_bad_ext, "IPv6 packets dropped: extension headers truncated or out of order") \
	X(ip6_ext_too_many, "IPv6 packets dropped: more than AX_IP6_EXT_MAX extension headers") \
	X(ip6_bad_option, "IPv6 packets dropped by an option's action bits (RFC 8200 4.2)") \
	X(ip6_routing_hdr, "IPv6 packets dropped: routing header with segments left") \
	X(ip6_unknown_nh, "IPv6 packets of an unknown next header (parameter problem)") \
	X(ip6_atomic_frag, "IPv6 atomic fragments dropped (RFC 8021)")        \
	X(ip6_no_route, "IPv6 packets with no route to the destination")      \
	X(ip6_no_src, "IPv6 packets not sent: no usable source address")      \
	X(icmp6_rx, "ICMPv6 messages received")                               \
	X(icmp6_malformed, "ICMPv6 messages truncated")                       \
	X(icmp6_bad_csum, "ICMPv6 messages with a bad checksum")             \
	X(icmp6_echo_rx, "ICMPv6 echo requests received")                     \
	X(icmp6_echo_ignored, "ICMPv6 echo requests not answered (code, anycast)") \
	X(icmp6_echo_denied, "ICMPv6 echo requests not answered: denied by policy") \
	X(icmp6_echo_reply_tx, "ICMPv6 echo replies sent")                    \
	X(icmp6_echo_tx, "ICMPv6 echo requests sent")                         \
	X(icmp6_echo_reply_rx, "ICMPv6 echo replies received")                \
	X(icmp6_unreach_rx, "ICMPv6 destination unreachables received")      \
	X(icmp6_ptb_rx, "ICMPv6 packet too big received")                    \
	X(icmp6_time_exceeded_rx, "ICMPv6 time exceeded received")           \
	X(icmp6_param_problem_rx, "ICMPv6 parameter problems received")      \
	X(icmp6_err_unused, "ICMPv6 errors received quoting nothing of ours") \
	X(icmp6_unknown_type, "ICMPv6 messages of a type not served")









/* nd.c, neighbour cache: RFC 4861, RFC 4862. */
#define AX_COUNTERS_ND(X)                                                     \
	X(nd_rx, "ND messages received")                                      \
	X(nd_malformed, "ND messages invalid (RFC 4861 7.1.1, 6.1.2: code, length, option of length 0)") \
	X(nd_bad_hop_limit, "ND messages ignored: hop limit not 255 (RFC 4861 7.1.1)") \
	X(nd_ns_rx, "neighbor solicitations for our addresses")               \
	X(nd_ns_tx, "neighbor solicitations sent (DAD included)")            \
	X(nd_na_rx, "neighbor advertisements received")                       \
	X(nd_na_tx, "neighbor advertisements sent")                           \
	X(nd_na_unsolicited, "neighbor advertisements for addresses we never solicited (ignored)") \
	X(nd_redirect_ignored, "redirects ignored (RFC 4861 8: we take none)") \
	X(nd_ra_rx, "router advertisements taken")                            \
	X(nd_ra_bad_src, "router advertisements from a non-link-local source (ignored)") \
	X(nd_rs_ignored, "router solicitations ignored (we are no router)")  \
	X(nd_rs_tx, "router solicitations sent (once the link-local address is usable)") \
	X(nd_prefixes, "on-link prefixes learned from router advertisements") \
	X(nd_prefixes_refused, "on-link prefixes of router advertisements not taken: AX_ND_PREFIXES_MAX held") \
	X(nd_slaac_addrs, "addresses formed from router advertisement prefixes (RFC 4862 5.5.3)") \
	X(nd_dad_ok, "addresses that passed duplicate address detection")     \
	X(nd_dad_failed, "addresses refused: duplicate address detection failed") \
	X(nd_cache_full, "IPv6 neighbours not cached: table full, none evictable") \
	X(nd_evicted, "idle IPv6 neighbours evicted to make room")           \
	X(nd_queued, "frames queued waiting for neighbor discovery")          \
	X(nd_queue_dropped, "frames queued for ND dropped (overflow or no answer)") \
	X(nd_resolve_failed, "IPv6 resolutions that got no answer")           \
	X(nd_update_locked, "new MACs for an IPv6 neighbour refused (no override flag)") \
	X(nd_probes_tx, "unicast solicitations re-confirming a neighbour (in nd_ns_tx)") \
	X(nd_probe_failed, "IPv6 neighbours dropped: unicast re-confirmation unanswered") \
	X(nd_stale_freed, "IPv6 neighbours freed after the stale time unused")









/* frag.c: reassembly, both families (RFC 791, RFC 8200 4.5, RFC 5722). */
#define AX_COUNTERS_FRAG(X)                                                   \
	X(frag_rx, "fragments received (both families)")                     \
	X(frag_reassembled, "datagrams reassembled from fragments")          \
	X(frag_malformed, "fragments dropped: not a multiple of 8 bytes, empty, or headers too long") \
	X(frag_overlap, "datagrams dropped: overlapping or inconsistent fragments (RFC 5722)") \
	X(frag_duplicate, "fragments dropped: exact duplicates of one held (RFC 5722 4)") \
	X(frag_tiny, "datagrams dropped: first fragment without the whole L4 header (RFC 3128, RFC 7112)") \
	X(frag_too_many, "datagrams dropped: more than AX_FRAG_MAX_FRAGS fragments") \
	X(frag_oversize, "datagrams dropped: reassembled length over 65535") \
	X(frag_dead, "fragments discarded: their datagram was already dropped (RFC 5722)") \
	X(frag_timeout, "datagrams dropped: not complete in time (RFC 791, RFC 8200 4.5)") \
	X(frag_evicted, "datagrams dropped to free a buffer (the source over its share, or the biggest holder)") \
	X(frag_filtered, "reassembled datagrams dropped by the stack's l4_filter (denied or unknown flow)") \
	X(frag_bufs_peak, "most reassembly buffers held at once (of AX_FRAG_BUFS)") \
	X(frag_tx, "fragments sent (both families)")                         \
	X(frag_tx_datagrams, "datagrams sent in fragments")                  \
	X(frag_tx_too_big, "datagrams not sent: over 65535 or fragmenting not allowed") \
	X(frag_pmtu_lowered, "IPv6 path MTUs lowered by packet too big about UDP/ICMPv6 (RFC 8201; TCP's count in tcp_pmtu_lowered)") \
	X(frag_pmtu_rejected, "IPv6 packet too big ignored: quote not ours, or no live TCP connection and byte in flight (RFC 5927)") \
	X(frag_nd_ignored, "ND messages that came in fragments, ignored (RFC 6980)")









/* route.c, addresses, ICMP errors sent (both families). */
#define AX_COUNTERS_ROUTE(X)                                                  \
	X(route_no_route, "packets not sent: no route (both families)")        \
	X(icmp_err_tx, "ICMP errors sent (IPv4)")                              \
	X(icmp6_err_tx, "ICMPv6 errors sent")                                  \
	X(icmp_err_rate_limited, "ICMP errors not sent: rate limit (IPv4)")    \
	X(icmp6_err_rate_limited, "ICMPv6 errors not sent: rate limit")        \
	X(icmp_err_suppressed, "ICMP errors not sent: RFC 1122 3.2.2 / RFC 4443 2.4(e) (both)")

enum ax_counter {
#define AX_COUNTER_ENUM(name, desc) AX_C_##name,
	AX_COUNTERS(AX_COUNTER_ENUM)
#undef AX_COUNTER_ENUM
	AX_C_MAX
};

/* Name and one-line description of counter c (static strings). */
const char *ax_counter_name(enum ax_counter c);
const char *ax_counter_desc(enum ax_counter c);

#endif /* AX_COUNTERS_H */
