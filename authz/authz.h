/*
 * authz.h - the authorizer: where policy, Axiom and the XDP verdicts meet.
 *
 * A new TCP connection (inbound SYN, outbound connect) is matched against
 * the policy in force, with its owner (tcp_owner: the program whose socket
 * it is, the listener's for an inbound one; policy rules may name its
 * user, group or program), which its entries record and which it is
 * judged as for its whole life (a copy is kept: a re-check after a push
 * does not depend on the owner still being there). Denied: a connection-reject entry is proposed
 * (rate-limited, so a flood cannot fill the disk) and the engine drops the
 * SYN or fails the connect with -EACCES. Allowed: a connection-authorize
 * entry is proposed and the connection waits; once Axiom says Committed,
 * the flow's allow verdict goes into the verdict map (XDP lets its frames
 * through from then on) and only then does the SYN or SYN-ACK leave,
 * carrying the entry's sequence number with the connection. When the
 * connection ends its verdict is deleted and a connection-close entry
 * proposed. A denied connection gets a connection-reject entry and, for
 * an inbound one, a deny verdict (XDP drops the peer's retries), both at
 * most reject_rate a second: the rest are counted (rejects_unlogged), so
 * a flood from spoofed sources can neither fill the log nor push the live
 * connections' allow verdicts out of the verdict map (an LRU). The data
 * plane never reaches this module.
 *
 * SYN cookies (the engine's, under pressure): the policy decides at the
 * SYN as always (a denial is logged and its deny verdict set, both
 * rate-limited), but an allowed SYN gets its cookie SYN-ACK with nothing allocated
 * and no entry proposed. Only the ACK that returns the cookie, which
 * proves the peer's address, makes the connection: it is matched again,
 * its connection-authorize entry proposed, and it waits as above (no data
 * taken, nothing sent) until the commit, when it is established and its
 * verdict set; if the answer is no by then, the engine resets it.
 * Authorizations waiting for their commit beyond AUTHZ_BUSY_PENDING (64)
 * make every new inbound connection a cookie one.
 *
 * A policy push parses and compiles the new policy (a bad one changes
 * nothing), commits a policy-push entry holding its canonical text and
 * its hash (authz.c has the payloads), swaps it in, and revokes
 * every live connection it no longer allows: the verdict is deleted
 * (synchronously: XDP drops the flow's frames from then on), the
 * connection reset, a revoke entry committed. The push's callback runs
 * once all of that is committed.
 *
 * At open, the log is read back: authorizations that were never closed
 * belonged to connections that died with the previous instance; each gets
 * a connection-close entry saying so, so none is silently lost and none
 * silently carried over. Without an explicit policy, the last pushed one
 * is rebuilt from the log and checked against its hash; one that cannot
 * be is an error (never replaced silently). With no push in the log, the
 * built-in default is committed as a push. The start entry, the closes and
 * the push are one group: all commit, or nothing is written.
 *
 * A full disk (axiom.h): new authorizations are refused (fail closed:
 * the SYN gets nothing, connect() EACCES, what a UDP flow held is
 * dropped; counted as refused_full) until
 * the log takes entries again, by itself; closes and revocations are owed
 * and wait in the log's queue, never dropped. A remote store that cannot
 * take writes (etcd without a quorum: -EAGAIN, or a write in doubt:
 * -ETIMEDOUT) is the same, counted as refused_unavail. Connections
 * already authorized carry on: the data path never waits for the log.
 *
 * Thread rules: the owner's thread (the event loop that runs the stack and
 * axiom_dispatch()). Costs: one allocation per allowed connection, for
 * its life, and one per UDP datagram held for a commit (capped, below);
 * matching allocates nothing.
 */
#ifndef AX_POLICY_AUTHZ_H
#define AX_POLICY_AUTHZ_H

#include <stddef.h>
#include <stdint.h>

#include "axnet/xdp_shared.h"
#include "policy/policy.h"

struct ax_stack;
struct axiom;
struct axiom_config;
struct authz;

/* Where verdicts go (the XDP `flows` map); each returns 0 or -errno. */
struct authz_sink {
	int (*flow_set)(void *arg, const struct ax_flow_key *k, const struct ax_flow_val *v);
	int (*flow_del)(void *arg, const struct ax_flow_key *k);
	/* Delete every deny verdict (a new policy may allow those flows). */
	void (*flush_denied)(void *arg);
	void *arg;
};

struct authz_config {
	struct ax_stack *stack;
	struct axiom *ax;            /* open for writing */
	const char *state_dir;       /* policies/ lives here */
	const struct authz_sink *sink; /* NULL: no verdict map (TAP) */
	uint32_t reject_rate;        /* reject entries per second; 0: 100 */
	uint32_t udp_idle_ms;        /* a UDP flow ends after this silence; 0: default */
	/* The policy to start with (taken over; compiled or not) and where
	 * it came from, or NULL: the last pushed one, else the default. */
	struct pol_policy *policy;
	const char *policy_source;
	/* The payload of the start entry written with the start's group
	 * (NULL: none). */
	const char *start_text;
	/* How to read ax's log back at open (axiom_iter_open_cfg): its
	 * store, when not files in state_dir (NULL: those). Used during
	 * authz_open() only. */
	const struct axiom_config *log_cfg;
};

/* Recover from the log, pick the policy, install the engine's hooks.
 * 0, or -errno with err filled. */
int authz_open(struct authz **out, const struct authz_config *cfg, char *err, size_t errlen);
/*
 * Shutting down is two steps around axiom_close(): authz_stop() removes
 * the hooks, ends the UDP flows (their close entries are proposed, so
 * the log must still be open) and waits, dispatching, up to
 * AUTHZ_STOP_WAIT_MS for the authorizations still committing, so that
 * the closes they owe (their connections are gone) are proposed while the
 * log takes them; then axiom_close() commits and runs the last callbacks,
 * which still need the authorizer; then authz_close() frees it (it calls
 * authz_stop() too, for the simple cases; a second call does nothing).
 */
#define AUTHZ_STOP_WAIT_MS 2000u /* commits take ms; a slow disk's sync more */
void authz_stop(struct authz *a);
void authz_close(struct authz *a);

/*
 * UDP flows (inbound): the datagrams of a flow the policy allows wait for
 * its connection-authorize entry to commit, then go to its port in the
 * order they came; the flow stays authorized (verdict in the map) until
 * AUTHZ_UDP_IDLE_MS of silence, when a connection-close entry ends it.
 * At most AUTHZ_UDP_MAX_FLOWS at once; beyond that new flows are refused.
 * Call authz_tick() about once a second to expire idle flows.
 *
 * While a flow waits, what it may hold is capped: AUTHZ_UDP_PENDING_MAX
 * datagrams and AUTHZ_UDP_PENDING_BYTES per flow, AUTHZ_UDP_PENDING_TOTAL
 * over all waiting flows (each datagram costs AUTHZ_UDP_HELD_COST: its
 * length and the bookkeeping); a datagram past a cap is dropped and
 * counted (the cap in udp_pending_cap_*, the drop in udp_pending_dropped),
 * and a first datagram that cannot be held makes no flow. Outbound, a
 * sender whose flow waits is told -EAGAIN (its first datagram is held,
 * under the global cap only: a program's, one per flow).
 * What a flow held when it is refused, revoked or ended before its commit
 * is freed (udp_pending_discarded).
 */
#define AUTHZ_UDP_IDLE_MS 60000u
#define AUTHZ_UDP_MAX_FLOWS 65536u
/* A burst over a commit's few ms, or a slow disk's sync of 50 ms at
 * 20 MB/s (~700 datagrams of 1.4 KB); tiny ones are bounded by the count. */
#ifndef AUTHZ_UDP_PENDING_MAX
#define AUTHZ_UDP_PENDING_MAX 1024u
#endif
/* That burst in bytes; all of it reaches a socket whose SO_RCVBUF takes it
 * (a default one, AX_UDP_RCVBUF, drops the excess at the release and counts
 * it, as Linux's would a burst it cannot queue). */
#ifndef AUTHZ_UDP_PENDING_BYTES
#define AUTHZ_UDP_PENDING_BYTES (1024u * 1024)
#endif
/* Spoofed sources make flows at will: all waiting flows together hold no
 * more than this (16 flows at their cap, or ~11,000 datagrams of 1.4 KB). */
#ifndef AUTHZ_UDP_PENDING_TOTAL
#define AUTHZ_UDP_PENDING_TOTAL (16u * 1024 * 1024)
#endif
/* What holding a datagram costs beyond its bytes (the bookkeeping). */
#define AUTHZ_UDP_HELD_OVERHEAD 64u
#define AUTHZ_UDP_HELD_COST(len) ((size_t)(len) + AUTHZ_UDP_HELD_OVERHEAD)
void authz_tick(struct authz *a);

/* What a push achieved, for its callback. */
struct authz_push_result {
	int err;             /* 0, or -errno (Axiom rejected the entry: reason) */
	uint64_t seq;        /* the policy-push entry */
	unsigned int revoked;
	char reason[256];
	uint8_t hash[32];
};
typedef void (*authz_push_fn)(void *arg, const struct authz_push_result *res);

/*
 * Push policy text. Parse errors come back at once (-EINVAL with *perr
 * filled: file:line:col) and change nothing; otherwise 0 and cb runs
 * later, from axiom_dispatch(), after the push and its revocations have
 * committed.
 */
int authz_push(struct authz *a, const char *text, size_t len, const char *source,
	       authz_push_fn cb, void *arg, struct pol_error *perr);

/* The policy in force and the entry that installed it. */
const struct pol_policy *authz_policy(const struct authz *a, uint64_t *seq);

/* ICMP echo from src (network order, IPv4) to us: allowed by policy?
 * No entry is written for it: ICMP is decided per packet. */
int authz_icmp_in(struct authz *a, uint32_t src, uint32_t dst);
/* The same for an ICMPv6 echo request (addresses as on the wire). */
int authz_icmp6_in(struct authz *a, const uint8_t src[16], const uint8_t dst[16]);

struct authz_stats {
	uint64_t authorized, rejected, rejects_unlogged, closed, revoked, failed;
	uint64_t refused_full;  /* authorizations refused: the log's disk was full */
	/* ... the log's store could not take writes (etcd without a quorum)
	 * or held a write in doubt (axiom.h: -EAGAIN, -ETIMEDOUT) */
	uint64_t refused_unavail;
	unsigned int live, pending;
	/* UDP datagrams dropped because their flow was still waiting for its
	 * authorization to commit and a cap (or memory) would not hold them;
	 * the caps each hit, and what was held and then delivered (or sent)
	 * at the commit or freed without (the flow refused, revoked, ended). */
	uint64_t udp_pending_dropped;
	uint64_t udp_pending_cap_dgrams, udp_pending_cap_bytes, udp_pending_cap_total;
	uint64_t udp_pending_delivered, udp_pending_discarded;
	/* Held now: datagrams, and their AUTHZ_UDP_HELD_COST. */
	uint64_t udp_held, udp_held_bytes;
};
void authz_stats(const struct authz *a, struct authz_stats *st);

/* Latency of the last AUTHZ_LAT_SAMPLES authorizations, from the request
 * (SYN in, or connect) to the commit that let the connection go on: what
 * authorization adds to a connect. 0 or -ENOMEM; *n samples. */
#define AUTHZ_LAT_SAMPLES 4096
int authz_latency(const struct authz *a, uint32_t *p50_us, uint32_t *p99_us, uint32_t *n);

#endif /* AX_POLICY_AUTHZ_H */
