/*
 * fleet.c - the fleet-policy watcher (fleet.h): a watch thread, a report
 * thread, and what the event loop does with each version.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "authz/authz.h"
#include "daemon/fleet.h"
#include "etcd/etcd.h"
#include "policy/policy.h"
#include "util/log.h"
#include "util/mono.h"

/* A version handed from the watch thread to the loop: its text (parsed
 * and hashed there already) or why it cannot be used. */
struct fleet_pending {
	uint64_t version;
	char *text;          /* malloc'd; NULL with err set */
	size_t len;
	uint8_t hash[32];
	char err[640];
	uint64_t seen_ns;    /* when the watch thread got it */
};

struct fleet {
	char endpoints[1024];
	char prefix[FLEET_PREFIX_MAX + 1];
	char name[FLEET_NAME_MAX + 1];
	char policy_key[FLEET_PREFIX_MAX + 16];
	char inst_key[FLEET_PREFIX_MAX + FLEET_NAME_MAX + 16];
	struct authz *authz;
	int efd;
	volatile int stop;
	pthread_t watch_thr, report_thr;
	int have_watch, have_report;
	pthread_mutex_t mu;
	pthread_cond_t cv;      /* report changed, or stop */
	/* Under mu: watch thread -> loop. */
	struct fleet_pending pend;
	int have_pend;
	/* Under mu: loop -> report thread. */
	char report[1400];
	uint64_t report_gen;
	uint64_t retry_at;      /* mono ns: kick the loop to retry a push; 0: none */
	/* The watch thread's own. */
	uint64_t watch_seen;
	struct etcd_client *watch_c;
	int watch_down;         /* said that etcd is out of reach */
	/* The loop's own. */
	uint64_t in_force;      /* fleet version in force; 0: none */
	int in_flight;
	struct fleet_pending flight; /* the version being pushed, kept for a retry */
};

/* --- formats ---------------------------------------------------------------- */

static int is_hex64(const char *s, size_t n)
{
	if (n != 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* The next space-separated "key=value" of [*p, end): 1 with key/value
 * spans, 0 at the end. */
static int next_kv(const char **p, const char *end, const char **k, size_t *kl, const char **v,
		   size_t *vl)
{
	const char *s = *p, *eq, *e;

	while (s < end && *s == ' ')
		s++;
	if (s >= end)
		return 0;
	e = memchr(s, ' ', (size_t)(end - s));
	if (!e)
		e = end;
	eq = memchr(s, '=', (size_t)(e - s));
	*k = s;
	*kl = eq ? (size_t)(eq - s) : (size_t)(e - s);
	*v = eq ? eq + 1 : e;
	*vl = eq ? (size_t)(e - eq - 1) : 0;
	*p = e;
	return 1;
}

static int parse_u64(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 20)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

int fleet_prefix_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > FLEET_PREFIX_MAX || s[0] == '/' || s[n - 1] == '/' || strstr(s, "//"))
		return 0;
	for (; *s; s++)
		if (*s <= ' ' || *s > '~')
			return 0;
	return 1;
}

int fleet_policy_hdr_parse(const void *val, size_t len, struct fleet_policy_hdr *h)
{
	const char *s = val, *nl = memchr(s, '\n', len), *end = nl ? nl : s + len, *p = s;
	const char *k, *v;
	size_t kl, vl;
	int have_v = 0, have_h = 0;

	memset(h, 0, sizeof(*h));
	while (next_kv(&p, end, &k, &kl, &v, &vl)) {
		if (kl == 7 && !memcmp(k, "version", 7)) {
			if (parse_u64(v, vl, &h->version) || h->version == 0)
				return -EINVAL;
			have_v = 1;
		} else if (kl == 6 && !memcmp(k, "sha256", 6)) {
			if (!is_hex64(v, vl))
				return -EINVAL;
			memcpy(h->sha256, v, 64);
			have_h = 1;
		} else if (kl == 6 && !memcmp(k, "source", 6)) {
			snprintf(h->source, sizeof(h->source), "%.*s", (int)vl, v);
		}
	}
	if (!have_v || !have_h)
		return -EINVAL;
	h->text_off = nl ? (size_t)(nl + 1 - s) : len;
	return 0;
}

int fleet_report_parse(const void *val, size_t len, struct fleet_report *r)
{
	const char *s = val, *end = s + len, *p = s, *k, *v;
	size_t kl, vl;
	int have = 0;

	memset(r, 0, sizeof(*r));
	while (next_kv(&p, end, &k, &kl, &v, &vl)) {
		if (kl == 6 && !memcmp(k, "reason", 6)) {
			/* The rest of the value: a reason has spaces. */
			snprintf(r->reason, sizeof(r->reason), "%.*s", (int)(end - v), v);
			break;
		}
		if (kl == 7 && !memcmp(k, "version", 7)) {
			if (parse_u64(v, vl, &r->version))
				return -EINVAL;
			have |= 1;
		} else if (kl == 3 && !memcmp(k, "seq", 3)) {
			if (parse_u64(v, vl, &r->seq))
				return -EINVAL;
		} else if (kl == 2 && !memcmp(k, "ts", 2)) {
			if (parse_u64(v, vl, &r->ts))
				return -EINVAL;
		} else if (kl == 6 && !memcmp(k, "sha256", 6)) {
			snprintf(r->sha256, sizeof(r->sha256), "%.*s", (int)vl, v);
		} else if (kl == 5 && !memcmp(k, "state", 5)) {
			snprintf(r->state, sizeof(r->state), "%.*s", (int)vl, v);
			have |= 2;
		}
	}
	return have == 3 ? 0 : -EINVAL;
}

int fleet_report_format(const struct fleet_report *r, char *buf, size_t len)
{
	int n = snprintf(buf, len, "version=%" PRIu64 " seq=%" PRIu64 " sha256=%s state=%s ts=%" PRIu64,
			 r->version, r->seq, r->sha256, r->state, r->ts);

	if (n >= 0 && (size_t)n < len && strcmp(r->state, "applied") != 0)
		n += snprintf(buf + n, len - (size_t)n, " reason=%s", r->reason);
	return n;
}

/* --- shared state ----------------------------------------------------------------- */

static void hex32(const uint8_t h[32], char out[65])
{
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

static uint64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Wait up to ms on cv (it is signalled by reports and by stop): with mu
 * held. */
static void wait_ms(struct fleet *f, unsigned int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&f->cv, &f->mu, &ts);
}

/* Sleep ms, or less if stopped. */
static void nap(struct fleet *f, unsigned int ms)
{
	uint64_t until = mono_ns() + (uint64_t)ms * 1000000ull, now;

	pthread_mutex_lock(&f->mu);
	while (!f->stop && (now = mono_ns()) < until)
		wait_ms(f, (unsigned int)((until - now + 999999) / 1000000));
	pthread_mutex_unlock(&f->mu);
}

/* The loop's report: what is in force (the authorizer's policy and its
 * entry), for version (an error names the version it could not apply). */
static void report(struct fleet *f, uint64_t version, const char *state, const char *reason)
{
	struct fleet_report r = { .version = version, .ts = real_ns() };
	const struct pol_policy *p = authz_policy(f->authz, &r.seq);
	uint8_t h[32];

	if (p && pol_hash(p, h) == 0)
		hex32(h, r.sha256);
	else
		snprintf(r.sha256, sizeof(r.sha256), "-");
	snprintf(r.state, sizeof(r.state), "%s", state);
	snprintf(r.reason, sizeof(r.reason), "%s", reason ? reason : "");
	pthread_mutex_lock(&f->mu);
	fleet_report_format(&r, f->report, sizeof(f->report));
	f->report_gen++;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
}

static void pending_free(struct fleet_pending *p)
{
	free(p->text);
	memset(p, 0, sizeof(*p));
}

/* --- the watch thread ------------------------------------------------------------- */

/* Hand a version to the loop (the newest replaces one not yet taken). */
static void hand_over(struct fleet *f, struct fleet_pending *p)
{
	uint64_t one = 1;

	pthread_mutex_lock(&f->mu);
	pending_free(&f->pend);
	f->pend = *p;
	f->have_pend = 1;
	pthread_mutex_unlock(&f->mu);
	if (write(f->efd, &one, sizeof(one)) < 0) {
		/* an eventfd write fails only at its counter's limit: it is
		 * readable then anyway */
	}
}

/* A value of F/policy: parse the header and the text here, off the loop. */
/* A version's text (after its first line, h): parsed (*pol, may be NULL
 * when not wanted) and its hash checked against the one h names. 0, or
 * -errno with err filled ("KEY version=N:LINE:COL: ..."). */
static int parse_version(const char *key, const uint8_t *val, size_t len,
			 const struct fleet_policy_hdr *h, struct pol_policy **pol, uint8_t hash[32],
			 char *err, size_t errlen)
{
	struct pol_policy *p = NULL;
	struct pol_error pe = { 0 };
	char where[FLEET_PREFIX_MAX + 64], hx[65];
	int rc;

	snprintf(where, sizeof(where), "%s version=%" PRIu64, key, h->version);
	rc = pol_parse((const char *)val + h->text_off, len - h->text_off, where, &p, &pe);
	if (rc) {
		if (pe.line)
			snprintf(err, errlen, "%s:%u:%u: %s", pe.file, pe.line, pe.col, pe.msg);
		else
			snprintf(err, errlen, "%s: %s", where, pe.msg[0] ? pe.msg : strerror(-rc));
		return rc;
	}
	rc = pol_hash(p, hash);
	if (rc) {
		snprintf(err, errlen, "%s: cannot hash: %s", where, strerror(-rc));
	} else if (hex32(hash, hx), strcmp(hx, h->sha256) != 0) {
		snprintf(err, errlen, "%s: says sha256=%.12s..., its text hashes to %.12s...",
			 where, h->sha256, hx);
		rc = -EINVAL;
	}
	if (rc || !pol)
		pol_free(p);
	else
		*pol = p;
	return rc;
}

/* A value of F/policy: parse the header and the text here, off the loop. */
static void on_value(struct fleet *f, const uint8_t *val, size_t len)
{
	struct fleet_pending p = { .seen_ns = mono_ns() };
	struct fleet_policy_hdr h;

	if (fleet_policy_hdr_parse(val, len, &h)) {
		log_warn("fleet: %s: no 'version=N sha256=HEX' first line: ignored (the policy in "
			 "force stays)", f->policy_key);
		return;
	}
	if (h.version <= f->watch_seen)
		return; /* never back: an older version, or one seen */
	f->watch_seen = h.version;
	p.version = h.version;
	if (parse_version(f->policy_key, val, len, &h, NULL, p.hash, p.err, sizeof(p.err)) == 0) {
		p.text = malloc(len - h.text_off + 1);
		if (!p.text) {
			snprintf(p.err, sizeof(p.err), "%s version=%" PRIu64 ": out of memory",
				 f->policy_key, h.version);
		} else {
			p.len = len - h.text_off;
			memcpy(p.text, (const char *)val + h.text_off, p.len);
			p.text[p.len] = '\0';
		}
	}
	hand_over(f, &p);
}

int fleet_fetch(const char *endpoints, const char *prefix, struct pol_policy **out,
		uint64_t *version, char *err, size_t errlen)
{
	struct etcd_config ec = { .endpoints = endpoints };
	struct etcd_client *c = NULL;
	struct etcd_range r = { 0 };
	struct fleet_policy_hdr h;
	char key[FLEET_PREFIX_MAX + 16];
	uint8_t hash[32];
	int rc;

	*out = NULL;
	snprintf(key, sizeof(key), "%s/policy", prefix ? prefix : FLEET_PREFIX_DEFAULT);
	rc = etcd_open(&c, &ec, err, errlen);
	if (rc)
		return rc;
	rc = etcd_get(c, key, &r);
	if (rc) {
		snprintf(err, errlen, "%s", etcd_error(c));
	} else if (r.n == 0) {
		snprintf(err, errlen, "no version in %s yet", key);
		rc = -ENOENT;
	} else if (fleet_policy_hdr_parse(r.kvs[0].value, r.kvs[0].value_len, &h)) {
		snprintf(err, errlen, "%s: no 'version=N sha256=HEX' first line", key);
		rc = -EINVAL;
	} else {
		rc = parse_version(key, r.kvs[0].value, r.kvs[0].value_len, &h, out, hash, err,
				   errlen);
		*version = h.version;
	}
	etcd_range_free(&r);
	etcd_close(c);
	return rc;
}

static void note(int *down, const char *who, int rc, struct etcd_client *c);

static int on_event(void *arg, const struct etcd_event *ev)
{
	struct fleet *f = arg;

	/* A resumed watch says so with its first event (it returns only on
	 * errors). */
	note(&f->watch_down, "watching the policy", 0, f->watch_c);
	/* A deleted F/policy changes nothing: the policy in force stays. */
	if (ev->type == ETCD_EV_PUT)
		on_value(f, ev->kv.value, ev->kv.value_len);
	return 0;
}

/* Said once when etcd stops answering, once when it answers again. */
static void note(int *down, const char *who, int rc, struct etcd_client *c)
{
	if (rc && !*down) {
		log_warn("fleet: %s: %s: the policy in force stays; retrying", who,
			 etcd_error(c)[0] ? etcd_error(c) : strerror(-rc));
		*down = 1;
	} else if (!rc && *down) {
		log_info("fleet: %s: etcd answers again (%s)", who, etcd_member(c));
		*down = 0;
	}
}

static void *watch_main(void *arg)
{
	struct fleet *f = arg;
	struct etcd_config ec = { .endpoints = f->endpoints };
	struct etcd_client *c = NULL;
	unsigned int backoff = FLEET_BACKOFF_MIN_MS;
	int64_t rev = 0; /* where the watch resumes; 0: read F/policy first */
	char err[256];
	int rc;

	if (etcd_open(&c, &ec, err, sizeof(err))) {
		log_err(-EINVAL, "fleet: %s", err);
		return NULL;
	}
	f->watch_c = c;
	while (!f->stop) {
		int64_t next;

		if (rev == 0) {
			struct etcd_range r;

			rc = etcd_get(c, f->policy_key, &r);
			note(&f->watch_down, "reading the policy", rc, c);
			if (rc) {
				nap(f, backoff);
				backoff = backoff * 2 > FLEET_BACKOFF_MAX_MS ? FLEET_BACKOFF_MAX_MS
									     : backoff * 2;
				continue;
			}
			if (r.n == 1)
				on_value(f, r.kvs[0].value, r.kvs[0].value_len);
			rev = r.revision + 1;
			etcd_range_free(&r);
		}
		next = rev;
		rc = etcd_watch(c, f->policy_key, strlen(f->policy_key), NULL, 0, rev, on_event, f,
				&f->stop, &next);
		if (f->stop)
			break;
		if (next > rev) {
			backoff = FLEET_BACKOFF_MIN_MS; /* it was working */
			rev = next;
		}
		if (rc == -ECANCELED)
			rev = 0; /* compacted past us: read it whole again */
		note(&f->watch_down, "watching the policy", rc ? rc : -EPROTO, c);
		/* Never straight back: a watch that fails at once would spin. */
		nap(f, backoff);
		backoff = backoff * 2 > FLEET_BACKOFF_MAX_MS ? FLEET_BACKOFF_MAX_MS : backoff * 2;
	}
	etcd_close(c);
	return NULL;
}

/* --- the report thread ------------------------------------------------------------ */

static void *report_main(void *arg)
{
	struct fleet *f = arg;
	struct etcd_config ec = { .endpoints = f->endpoints };
	struct etcd_client *c = NULL;
	unsigned int backoff = FLEET_BACKOFF_MIN_MS;
	uint64_t put_gen = 0, next_ka = 0;
	int64_t lease = 0, ttl;
	char err[256], val[sizeof(f->report)];
	int down = 0, rc;

	if (etcd_open(&c, &ec, err, sizeof(err))) {
		log_err(-EINVAL, "fleet: %s", err);
		return NULL;
	}
	for (;;) {
		uint64_t gen, now, until, one = 1;
		int kick = 0;

		pthread_mutex_lock(&f->mu);
		for (;;) {
			now = mono_ns();
			if (f->retry_at && now >= f->retry_at) {
				f->retry_at = 0;
				kick = 1;
			}
			if (f->stop || f->report_gen != put_gen || !lease || now >= next_ka || kick)
				break;
			until = f->retry_at && f->retry_at < next_ka ? f->retry_at : next_ka;
			wait_ms(f, (unsigned int)((until - now) / 1000000 + 1));
		}
		gen = f->report_gen;
		snprintf(val, sizeof(val), "%s", f->report);
		pthread_mutex_unlock(&f->mu);
		if (f->stop)
			break;
		/* The loop's timer for a push the log could not take. */
		if (kick && write(f->efd, &one, sizeof(one)) < 0) {
			/* readable already */
		}
		if (!lease) {
			rc = etcd_lease_grant(c, FLEET_LEASE_TTL_S, &lease, &ttl);
			note(&down, "granting the instance's lease", rc, c);
			if (rc) {
				lease = 0;
				goto retry;
			}
			put_gen = 0; /* the key went with the old lease: put it again */
			next_ka = mono_ns() + FLEET_KEEPALIVE_MS * 1000000ull;
		}
		if (gen != put_gen && gen) {
			rc = etcd_put(c, f->inst_key, strlen(f->inst_key), val, strlen(val), lease,
				      NULL);
			note(&down, "reporting", rc, c);
			if (rc)
				goto retry;
			put_gen = gen;
		}
		now = mono_ns();
		if (now >= next_ka) {
			rc = etcd_lease_keepalive(c, lease, &ttl);
			if (rc == -ENOENT) {
				log_warn("fleet: the instance's lease expired (etcd was out of reach "
					 "for %d s): a new one", FLEET_LEASE_TTL_S);
				lease = 0;
				continue;
			}
			note(&down, "renewing the instance's lease", rc, c);
			if (rc)
				goto retry;
			next_ka = now + FLEET_KEEPALIVE_MS * 1000000ull;
		}
		backoff = FLEET_BACKOFF_MIN_MS;
		continue;
retry:
		nap(f, backoff);
		backoff = backoff * 2 > FLEET_BACKOFF_MAX_MS ? FLEET_BACKOFF_MAX_MS : backoff * 2;
	}
	/* Leaving: the key goes now, not in FLEET_LEASE_TTL_S. */
	if (lease)
		etcd_lease_revoke(c, lease);
	etcd_close(c);
	return NULL;
}

/* --- the loop's side -------------------------------------------------------------- */

/* The log cannot take entries now (a full disk, a store without a
 * quorum): the push is tried again, it is not given up. */
static int transient(int err)
{
	return err == -EAGAIN || err == -ETIMEDOUT || err == -ENOSPC || err == -EDQUOT ||
	       err == -EBUSY;
}

/* Put p (taken over) back to be pushed again in FLEET_RETRY_MS, unless a
 * newer version waits already. */
static void requeue(struct fleet *f, struct fleet_pending *p)
{
	pthread_mutex_lock(&f->mu);
	if (!f->have_pend) {
		f->pend = *p;
		f->have_pend = 1;
		memset(p, 0, sizeof(*p));
	}
	f->retry_at = mono_ns() + FLEET_RETRY_MS * 1000000ull;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	pending_free(p);
}

static void on_pushed(void *arg, const struct authz_push_result *res)
{
	struct fleet *f = arg;
	uint64_t one = 1, version = f->flight.version;

	f->in_flight = 0;
	if (res->err) {
		char why[900];
		int again = transient(res->err);

		snprintf(why, sizeof(why), "version %" PRIu64 " not committed: %s%s", version,
			 res->reason[0] ? res->reason : strerror(-res->err),
			 again ? " (retrying)" : "");
		log_warn("fleet: %s", why);
		report(f, version, "error", why);
		if (again)
			requeue(f, &f->flight);
	} else {
		f->in_force = version;
		log_info("fleet: version %" PRIu64 " in force (policy-push entry %" PRIu64
			 ", %u revoked), %.1f ms after it came",
			 f->in_force, res->seq, res->revoked,
			 (double)(mono_ns() - f->flight.seen_ns) / 1e6);
		report(f, f->in_force, "applied", NULL);
	}
	pending_free(&f->flight);
	/* A newer version came meanwhile: the loop takes it next. */
	pthread_mutex_lock(&f->mu);
	if (f->have_pend && write(f->efd, &one, sizeof(one)) < 0) {
		/* readable already */
	}
	pthread_mutex_unlock(&f->mu);
}

void fleet_dispatch(struct fleet *f)
{
	struct fleet_pending p;
	struct pol_error pe = { 0 };
	const struct pol_policy *cur;
	char source[FLEET_PREFIX_MAX + 64], why[900];
	uint8_t h[32];
	uint64_t v;
	int rc;

	if (!f)
		return;
	if (read(f->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	if (f->in_flight)
		return; /* on_pushed() comes back for it */
	pthread_mutex_lock(&f->mu);
	if (!f->have_pend) {
		pthread_mutex_unlock(&f->mu);
		return;
	}
	p = f->pend;
	memset(&f->pend, 0, sizeof(f->pend));
	f->have_pend = 0;
	pthread_mutex_unlock(&f->mu);

	if (p.version <= f->in_force)
		goto out;
	if (p.err[0]) {
		snprintf(why, sizeof(why), "%s (version %" PRIu64 " stays in force)", p.err,
			 f->in_force);
		log_warn("fleet: version %" PRIu64 " refused: %s", p.version, why);
		report(f, p.version, "error", why);
		goto out;
	}
	cur = authz_policy(f->authz, NULL);
	if (cur && pol_hash(cur, h) == 0 && memcmp(h, p.hash, 32) == 0) {
		/* The same policy is in force already (a restart): nothing to
		 * push, nothing to revoke. */
		f->in_force = p.version;
		log_info("fleet: version %" PRIu64 " is the policy in force already", p.version);
		report(f, p.version, "applied", NULL);
		goto out;
	}
	snprintf(source, sizeof(source), "fleet:%s version=%" PRIu64, f->prefix, p.version);
	rc = authz_push(f->authz, p.text, p.len, source, on_pushed, f, &pe);
	if (rc) {
		if (rc == -EINVAL && pe.line)
			snprintf(why, sizeof(why), "%s:%u:%u: %s", pe.file, pe.line, pe.col, pe.msg);
		else
			snprintf(why, sizeof(why), "cannot push: %s", pe.msg[0] ? pe.msg
								       : strerror(-rc));
		if (transient(rc)) {
			snprintf(why + strlen(why), sizeof(why) - strlen(why), " (retrying)");
			log_warn("fleet: version %" PRIu64 " not pushed: %s", p.version, why);
			report(f, p.version, "error", why);
			requeue(f, &p);
			return;
		}
		log_warn("fleet: version %" PRIu64 " refused: %s", p.version, why);
		report(f, p.version, "error", why);
		goto out;
	}
	/* Kept until on_pushed(): the push may have to be made again. */
	f->in_flight = 1;
	f->flight = p;
	return;
out:
	pending_free(&p);
}

int fleet_event_fd(const struct fleet *f)
{
	return f ? f->efd : -1;
}

int fleet_open(struct fleet **out, const struct fleet_config *cfg, char *err, size_t errlen)
{
	const char *prefix = cfg->prefix ? cfg->prefix : FLEET_PREFIX_DEFAULT;
	struct fleet *f;
	pthread_condattr_t ca;
	sigset_t all, old;
	int rc;

	*out = NULL;
	if (!cfg->name || !*cfg->name || strlen(cfg->name) > FLEET_NAME_MAX ||
	    strpbrk(cfg->name, "/ \t\n")) {
		snprintf(err, errlen, "the instance name '%s' must be 1..%d characters, no '/' or "
			 "blanks", cfg->name ? cfg->name : "", FLEET_NAME_MAX);
		return -EINVAL;
	}
	if (!fleet_prefix_ok(prefix)) {
		snprintf(err, errlen, "the fleet prefix '%.*s' must be one word of printable ASCII "
			 "(1..%d bytes), no '/' at either end", FLEET_PREFIX_MAX, prefix,
			 FLEET_PREFIX_MAX);
		return -EINVAL;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	snprintf(f->endpoints, sizeof(f->endpoints), "%s", cfg->endpoints);
	snprintf(f->prefix, sizeof(f->prefix), "%s", prefix);
	snprintf(f->name, sizeof(f->name), "%s", cfg->name);
	snprintf(f->policy_key, sizeof(f->policy_key), "%s/policy", prefix);
	snprintf(f->inst_key, sizeof(f->inst_key), "%s/instances/%s", prefix, cfg->name);
	f->authz = cfg->authz;
	/* Started with the fleet's version (fleet_fetch): it is in force. */
	f->in_force = f->watch_seen = cfg->start_version;
	f->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (f->efd < 0) {
		rc = -errno;
		snprintf(err, errlen, "eventfd: %s", strerror(-rc));
		free(f);
		return rc;
	}
	pthread_mutex_init(&f->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&f->cv, &ca);
	pthread_condattr_destroy(&ca);
	/* Listed at once, with what it enforces now (version 0: no fleet
	 * version yet). */
	report(f, f->in_force, "applied", NULL);
	/* Signals are the loop's (its signalfd): the threads take none, or a
	 * SIGTERM could land in one and kill the daemon before it stops. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = -pthread_create(&f->report_thr, NULL, report_main, f);
	f->have_report = rc == 0;
	if (!rc) {
		rc = -pthread_create(&f->watch_thr, NULL, watch_main, f);
		f->have_watch = rc == 0;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		snprintf(err, errlen, "cannot start its threads: %s", strerror(-rc));
		fleet_close(f);
		return rc;
	}
	log_info("fleet: instance %s follows %s/policy on etcd %s", f->name, f->prefix,
		 f->endpoints);
	*out = f;
	return 0;
}

void fleet_close(struct fleet *f)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->mu);
	f->stop = 1;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	if (f->have_watch)
		pthread_join(f->watch_thr, NULL);
	if (f->have_report)
		pthread_join(f->report_thr, NULL);
	pending_free(&f->pend);
	pending_free(&f->flight);
	pthread_cond_destroy(&f->cv);
	pthread_mutex_destroy(&f->mu);
	close(f->efd);
	free(f);
}
