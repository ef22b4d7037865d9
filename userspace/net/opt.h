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
/* How long a resolved neighbour is trusted (Linux: base_reachable 30 s,
 * gc_stale 60 s). */
#ifndef AX_ARP_REACHABLE_MS
#define AX_ARP_REACHABLE_MS 60000
#endif
/* Resolution: a request every second, three in all (RFC 1122 2.3.2.1
 * asks for at most one request per second per destination). */
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
/* Largest frame the engine builds or queues (Ethernet header + 1500 MTU
 * + two VLAN tags, rounded). */
#ifndef AX_FRAME_MAX
#define AX_FRAME_MAX 1536
#endif
/* Routes in the routing table. */
#ifndef AX_ROUTES_MAX
#define AX_ROUTES_MAX 32
#endif
/* TTL of datagrams we originate (Linux default, RFC 1700). */
#ifndef AX_IP_DEFAULT_TTL
#define AX_IP_DEFAULT_TTL 64
#endif

#endif /* AX_OPT_H */
