/*
 * fleet.h - fleet policy: one policy, kept in etcd, enforced by every
 * instance started with --fleet-policy (README, "Fleet policy").
 *
 * Keys, under a prefix F (default "axnet/fleet"):
 *   F/policy          "version=N sha256=HEX source=NAME\n" then the policy
 *                     text; written by `axnet policy push --fleet` with a
 *                     txn on its mod_revision (one of two concurrent pushes
 *                     wins, the other retries with N+1).
 *   F/instances/NAME  "version=N seq=S sha256=HEX state=applied ts=NS", or
 *                     "... state=error ts=NS reason=TEXT": what the instance
 *                     enforces, put on its own lease (FLEET_LEASE_TTL_S), so
 *                     a dead instance drops out. version=0: no fleet
 *                     version in force yet (the local or default policy).
 *
 * The watcher (fleet_open): two threads, each with its own etcd client.
 * One reads F/policy, then watches it (resumed from the last revision
 * seen after an error, with backoff; re-read whole if that revision was
 * compacted), parses and hashes each new version and hands the newest to
 * the event loop through fleet_event_fd(). The other keeps the lease
 * alive and puts the instance's report whenever it changes (and again on
 * a new lease). While etcd cannot be reached the instance keeps the policy
 * in force and both threads retry; nothing waits on etcd in the loop.
 *
 * The loop (fleet_dispatch, on its thread, the authorizer's): a version
 * newer than the one in force whose sha256 differs from the policy in
 * force goes through authz_push() with source "fleet:F version=N" (its
 * policy-push entry names the version; what it no longer allows is
 * revoked); one push at a time, the newest pending next. A version is
 * never undone by an older one. A version whose text does not parse or
 * does not match its sha256 is reported state=error and changes nothing.
 *
 * Costs: the policy text is copied once per version; nothing on the data
 * path. Thread rules: fleet_open/dispatch/close on the loop's thread.
 */
#ifndef AX_DAEMON_FLEET_H
#define AX_DAEMON_FLEET_H

#include <stddef.h>
#include <stdint.h>

/* The instance's key lives as long as the instance (design: 10 s); it is
 * renewed at a third of that so one lost renewal does not drop it. */
#define FLEET_LEASE_TTL_S 10
#define FLEET_KEEPALIVE_MS 3000u
/* Retry after an etcd error: doubling from MIN to MAX, so a lost cluster
 * costs a request every few seconds, and a blip is over in 100 ms. */
#define FLEET_BACKOFF_MIN_MS 100u
#define FLEET_BACKOFF_MAX_MS 3200u
/* A push the log could not take (full disk, store without a quorum) is
 * made again after this: the log says when it takes entries again, not us. */
#define FLEET_RETRY_MS 1000u
#define FLEET_PREFIX_DEFAULT "axnet/fleet"
#define FLEET_PREFIX_MAX 200
#define FLEET_NAME_MAX 128

struct authz;
struct fleet;

struct fleet_config {
	const char *endpoints; /* "host:port[,...]" (etcd_parse_url) */
	const char *prefix;    /* F; NULL: FLEET_PREFIX_DEFAULT */
	const char *name;      /* the instance's name: F/instances/NAME */
	struct authz *authz;   /* where versions are pushed */
	uint64_t start_version; /* the fleet version the authorizer started
				 * with (fleet_fetch), or 0 */
};

/*
 * At start, before the authorizer opens: the fleet's current version, for
 * the instance to start with, so that it never enforces another policy
 * first (its start entries name it). One read, bounded by the etcd
 * client's timeouts. 0 with *out (parsed, its hash checked) and *version;
 * else -ENOENT (nothing pushed yet) or -errno (etcd out of reach, a
 * version that does not parse), err filled: the instance starts with its
 * own policy and the watcher catches up.
 */
struct pol_policy;
int fleet_fetch(const char *endpoints, const char *prefix, struct pol_policy **out,
		uint64_t *version, char *err, size_t errlen);

/* Start the threads (they retry until etcd answers). 0, or -errno with
 * err filled (bad endpoints, name or prefix; no memory; no threads). */
int fleet_open(struct fleet **out, const struct fleet_config *cfg, char *err, size_t errlen);
/* Readable when a version waits for fleet_dispatch() (an eventfd). */
int fleet_event_fd(const struct fleet *f);
/* Apply the newest waiting version, if any (see above). */
void fleet_dispatch(struct fleet *f);
/* Stop the threads, revoke the lease (the instance leaves `status` at
 * once), free. Call after authz_close(): a push's callback may still run
 * until then. NULL: nothing. */
void fleet_close(struct fleet *f);

/* --- the values' formats, shared with `axnet policy --fleet` ---------------- */

/* A prefix F is one word of printable ASCII, 1..FLEET_PREFIX_MAX bytes, no
 * '/' at either end, no "//" (its keys are F/policy, F/instances/NAME).
 * 1 or 0. */
int fleet_prefix_ok(const char *prefix);

/* F/policy's first line. */
struct fleet_policy_hdr {
	uint64_t version;
	char sha256[65];
	char source[128];
	size_t text_off; /* where the policy text starts in the value */
};
/* 0, or -EINVAL (no "version=N sha256=HEX" first line). */
int fleet_policy_hdr_parse(const void *val, size_t len, struct fleet_policy_hdr *h);

/* F/instances/NAME. */
struct fleet_report {
	uint64_t version, seq, ts;
	char sha256[65];
	char state[16];    /* "applied" or "error" */
	char reason[1024]; /* "" unless error */
};
/* 0, or -EINVAL. */
int fleet_report_parse(const void *val, size_t len, struct fleet_report *r);
/* The value for r (reason only with state=error); snprintf's result. */
int fleet_report_format(const struct fleet_report *r, char *buf, size_t len);

#endif /* AX_DAEMON_FLEET_H */
