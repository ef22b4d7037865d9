/*
 * policy.c - `axnet policy`: work with connection policies (the language
 * is in policy/README.md). One function per subcommand and a table, like
 * main.c's; the ones that talk to a running instance join the table as
 * they are written.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "common.h"
#include "ctl_client.h"
#include "daemon/fleet.h"
#include "etcd/etcd.h"
#include "policy/policy.h"
#include "util/mono.h"

struct policy_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

/* Parse and hash the policy file path (hex: the sha256 of its canonical
 * text, the one its log entry names). 0, or 1 with the error said as
 * "axnet WHAT: ...". */
static int parse_and_hash(const char *path, const char *what, struct pol_policy **p,
			  char hex[65])
{
	struct pol_error err;
	uint8_t hash[32];
	int rc;

	if (pol_parse_file(path, p, &err)) {
		pol_error_print(&err, stderr);
		return 1;
	}
	rc = pol_hash(*p, hash);
	if (rc) {
		fprintf(stderr, "axnet %s: %s: cannot hash: %s\n", what, path, strerror(-rc));
		pol_free(*p);
		return 1;
	}
	sodium_bin2hex(hex, 65, hash, sizeof(hash));
	return 0;
}

/* axnet policy check FILE: parse only; no instance needed. */
static int policy_check(int argc, char **argv)
{
	struct pol_policy *p;
	char hex[65];

	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: axnet policy check FILE\n");
		return 2;
	}
	if (parse_and_hash(argv[1], "policy", &p, hex))
		return 1;
	printf("%s: ok, %u rules, default in %s, default out %s, sha256 %s\n", argv[1],
	       pol_nrules(p), pol_default(p, POL_IN, NULL) ? "allow" : "deny",
	       pol_default(p, POL_OUT, NULL) ? "allow" : "deny", hex);
	pol_free(p);
	return 0;
}

/* --state-dir DIR / --ifname IF, then the rest; the state dir found.
 * Returns the index of the first operand, -1 (usage printed to stderr) or
 * -2 (--help: usage printed to stdout). */
static int instance_opts(int argc, char **argv, const char *usage, char state[PATH_MAX])
{
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, 's' },
		{ "ifname", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *ifname = NULL;
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 's': dir = optarg; break;
		case 'i': ifname = optarg; break;
		case 'h':
			printf("%s", usage);
			return -2;
		default:
			fprintf(stderr, "%s", usage);
			return -1;
		}
	}
	if (cli_state_dir(dir, ifname, state) < 0)
		return -1;
	return optind;
}

/* Exit statuses of `axnet policy push` (its usage says them too). */
#define PUSH_EXIT_REFUSED 1 /* not pushed: a bad file, or the instance said no */
#define PUSH_EXIT_UNKNOWN 3 /* sent, but no answer came: may be in force */

/* ctl_reply()'s line() for push: "pushed ..." is the whole answer. */
static int push_line(void *arg, const char *line)
{
	unsigned long long seq;
	unsigned int revoked;
	char hash[65];

	(void)arg;
	if (strncmp(line, "pushed ", 7) != 0) {
		fputs(line, stdout);
		return 0;
	}
	if (sscanf(line, "pushed seq=%llu sha256=%64s revoked=%u", &seq, hash, &revoked) == 3)
		printf("policy %.16s... committed as entry %llu, revoked %u connection%s\n", hash,
		       seq, revoked, revoked == 1 ? "" : "s");
	else
		fputs(line, stdout);
	return 1;
}

/* ctl_reply()'s line() for show: the text, as it comes. */
static int show_line(void *arg, const char *line)
{
	(void)arg;
	fputs(line, stdout);
	return 0;
}

static int policy_push_fleet(int argc, char **argv);

/* --fleet among the arguments: the command speaks to etcd, not to an
 * instance. */
static int wants_fleet(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--fleet") || !strncmp(argv[i], "--fleet=", 8))
			return 1;
	return 0;
}

/*
 * axnet policy push FILE: checked here first (a bad file never reaches
 * the instance), then the instance reads, commits and installs it; the
 * answer comes once the push and its revocations are committed.
 */
static int policy_push(int argc, char **argv)
{
	static const char usage[] =
		"usage: axnet policy push [--state-dir DIR | --ifname IF] FILE\n"
		"       axnet policy push --fleet etcd://HOST:PORT[,...] [--fleet-prefix F] FILE\n"
		"                         [--wait all|N] [--timeout SECS]   (the fleet: see\n"
		"                         `axnet policy push --fleet URL --help`)\n"
		"\n"
		"Exit status: 0 pushed (committed to the log and in force); 1 not pushed\n"
		"(a bad file, or the instance refused it); 2 usage; 3 unknown: the\n"
		"instance closed the connection before confirming (it stopped or was\n"
		"killed), so the push may or may not be in force: compare the sha256\n"
		"printed with `axnet policy show` or look for it in `axnet log`.\n";
	char state[PATH_MAX], path[PATH_MAX], req[PATH_MAX + 16], hx[65];
	struct pol_policy *p;
	FILE *f;
	int rc, i;

	if (wants_fleet(argc, argv))
		return policy_push_fleet(argc, argv);
	i = instance_opts(argc, argv, usage, state);
	if (i < 0)
		return i == -2 ? 0 : 2;
	if (i != argc - 1) {
		fprintf(stderr, "%s", usage);
		return 2;
	}
	if (parse_and_hash(argv[i], "policy push", &p, hx))
		return PUSH_EXIT_REFUSED;
	pol_free(p);
	if (!realpath(argv[i], path)) {
		perror(argv[i]);
		return PUSH_EXIT_REFUSED;
	}
	snprintf(req, sizeof(req), "policy push %s", path);
	f = ctl_request(state, req);
	if (!f)
		return PUSH_EXIT_REFUSED; /* nothing reached the instance */
	rc = ctl_reply(f, "policy push", push_line, NULL);
	if (rc >= 0)
		return rc;
	/* The request went out and no answer came back: the instance may
	 * have committed the push and died before telling us. Only its log
	 * knows. */
	fprintf(stderr,
		"axnet policy push: the instance closed the connection before confirming; the push "
		"may or may not be in force.\n"
		"  policy sha256 %s\n"
		"  to find out: `axnet policy show` (its first line names the sha256 in force; run it\n"
		"  once the instance is back), or look for a policy-push entry with sha256=%s\n"
		"  in `axnet log`\n",
		hx, hx);
	return PUSH_EXIT_UNKNOWN;
}

/* axnet policy show: the policy in force, canonical, rule numbers. */
static int policy_show(int argc, char **argv)
{
	static const char usage[] = "usage: axnet policy show [--state-dir DIR | --ifname IF]\n";
	char state[PATH_MAX];
	FILE *f;
	int i = instance_opts(argc, argv, usage, state);

	if (i < 0)
		return i == -2 ? 0 : 2;
	if (i != argc) {
		fprintf(stderr, "%s", usage);
		return 2;
	}
	f = ctl_request(state, "policy show");
	if (!f)
		return 1;
	i = ctl_reply(f, "policy show", show_line, NULL);
	if (i < 0)
		fprintf(stderr, "axnet policy show: the instance closed the connection before the "
				"end of the policy (it stopped, or dropped us)\n");
	return i ? 1 : 0;
}

/* --- the fleet: policy versions in etcd (daemon/fleet.h has the keys) ------ */

/* Exit status of `axnet policy push --fleet` when the store's answer did
 * not come (it may or may not hold the version): as for an instance. */
#define FLEET_PUSH_TRIES 64   /* concurrent pushes each win within a few */
#define FLEET_WAIT_POLL_MS 100u

struct fleet_cli {
	const char *prefix;
	char endpoints[1024];
	char policy_key[FLEET_PREFIX_MAX + 16];
	char inst_key[FLEET_PREFIX_MAX + 16];
	struct etcd_client *c;
};

/* --fleet URL and --fleet-prefix F into fc, with the client open. 0, or 1
 * with the error said as "axnet WHAT: ...". */
static int fleet_cli_open(struct fleet_cli *fc, const char *what, const char *url,
			  const char *prefix)
{
	struct etcd_config ec = { 0 };
	char err[256];

	fc->prefix = prefix ? prefix : FLEET_PREFIX_DEFAULT;
	if (!fleet_prefix_ok(fc->prefix)) {
		fprintf(stderr, "axnet %s: --fleet-prefix wants one word of printable ASCII (1..%d "
				"bytes), no '/' at either end, got '%s'\n", what, FLEET_PREFIX_MAX,
			fc->prefix);
		return 1;
	}
	if (etcd_parse_url(url, fc->endpoints, sizeof(fc->endpoints))) {
		fprintf(stderr, "axnet %s: --fleet wants etcd://HOST:PORT[,HOST:PORT...], got '%s'\n",
			what, url);
		return 1;
	}
	snprintf(fc->policy_key, sizeof(fc->policy_key), "%s/policy", fc->prefix);
	snprintf(fc->inst_key, sizeof(fc->inst_key), "%s/instances/", fc->prefix);
	ec.endpoints = fc->endpoints;
	if (etcd_open(&fc->c, &ec, err, sizeof(err))) {
		fprintf(stderr, "axnet %s: %s\n", what, err);
		return 1;
	}
	return 0;
}

/* Every F/instances/NAME now. 0, or -errno. */
static int fleet_instances(struct fleet_cli *fc, struct etcd_range *r)
{
	size_t kl = strlen(fc->inst_key);
	uint8_t end[FLEET_PREFIX_MAX + 16];

	etcd_prefix_end(fc->inst_key, kl, end);
	return etcd_range(fc->c, fc->inst_key, kl, end, kl, 0, 0, 0, r);
}

/* The highest version a live instance reports (0: none, or unreadable). */
static uint64_t fleet_max_reported(struct fleet_cli *fc)
{
	struct etcd_range r = { 0 };
	uint64_t max = 0;

	if (fleet_instances(fc, &r))
		return 0;
	for (size_t i = 0; i < r.n; i++) {
		struct fleet_report rep;

		if (fleet_report_parse(r.kvs[i].value, r.kvs[i].value_len, &rep) == 0 &&
		    rep.version > max)
			max = rep.version;
	}
	etcd_range_free(&r);
	return max;
}

/* The file's bytes, as they are stored (comments and all: the instances
 * parse them; the sha256 is of the canonical text, as a local push's). */
static char *read_all(const char *path, size_t *len)
{
	char *text = malloc(POL_FILE_MAX + 1);
	FILE *f = fopen(path, "re");

	*len = 0;
	if (!text || !f) {
		if (f)
			fclose(f);
		free(text);
		return NULL;
	}
	*len = fread(text, 1, POL_FILE_MAX + 1, f);
	fclose(f);
	return text;
}

/* Who pushed: USER@HOST:FILE (one word: it goes into "k=v" lines). */
static void push_source(const char *path, char *out, size_t len)
{
	struct passwd *pw = getpwuid(getuid());
	const char *base = strrchr(path, '/');
	char host[64] = "localhost";

	gethostname(host, sizeof(host) - 1);
	snprintf(out, len, "%s@%s:%s", pw ? pw->pw_name : "?", host, base ? base + 1 : path);
	for (char *q = out; *q; q++)
		if (*q <= ' ' || *q > '~')
			*q = '_';
}

/*
 * Store version N+1 (N: the one in F/policy now), atomically against
 * F/policy's mod_revision: if another push got in first, read again and
 * go for the next number. 0 and *version, 1 with the error said, or
 * PUSH_EXIT_UNKNOWN (the store's answer never came and a read back could
 * not tell).
 */
static int fleet_store(struct fleet_cli *fc, const char *text, size_t tlen, const char *hex,
		       const char *source, uint64_t *version)
{
	size_t klen = strlen(fc->policy_key);
	char *val = malloc(tlen + 512);
	/* Instances never go back to a version at or below one they have
	 * seen: if F/policy was rewritten by hand with a lower number (or
	 * deleted), count on from theirs, or they would ignore this push. */
	uint64_t seen = fleet_max_reported(fc);
	int rc = 1, tries;

	if (!val) {
		fprintf(stderr, "axnet policy push: out of memory\n");
		return 1;
	}
	for (tries = 0; tries < FLEET_PUSH_TRIES; tries++) {
		struct fleet_policy_hdr h = { 0 };
		struct etcd_txn_result res = { 0 };
		struct etcd_range cur = { 0 };
		int64_t mod = 0;
		size_t vlen;
		int err;

		err = etcd_get(fc->c, fc->policy_key, &cur);
		if (err) {
			fprintf(stderr, "axnet policy push: reading %s: %s\n", fc->policy_key,
				etcd_error(fc->c));
			break;
		}
		if (cur.n) {
			mod = cur.kvs[0].mod_rev;
			if (fleet_policy_hdr_parse(cur.kvs[0].value, cur.kvs[0].value_len, &h))
				fprintf(stderr, "axnet policy push: %s has no 'version=N sha256=HEX' "
						"first line: counting from 0\n", fc->policy_key);
		}
		etcd_range_free(&cur);
		*version = (h.version > seen ? h.version : seen) + 1;
		vlen = (size_t)snprintf(val, 512, "version=%" PRIu64 " sha256=%s source=%s\n",
					*version, hex, source);
		memcpy(val + vlen, text, tlen);
		vlen += tlen;
		{
			struct etcd_cmp cmp = { .target = ETCD_CMP_MOD, .op = ETCD_EQUAL,
						.key = fc->policy_key, .klen = klen, .num = mod };
			struct etcd_op put = { .type = ETCD_OP_PUT, .key = fc->policy_key,
					       .klen = klen, .value = val, .vlen = vlen };

			err = etcd_txn(fc->c, &cmp, 1, &put, 1, NULL, 0, &res);
		}
		if (err == 0) {
			int won = res.succeeded;

			etcd_txn_free(&res);
			if (won) {
				rc = 0;
				break;
			}
			continue; /* another push got in first: the next number */
		}
		if (err == -EMSGSIZE) {
			fprintf(stderr, "axnet policy push: the policy is too large for etcd (%zu "
					"bytes with its header; at most about %u)\n", vlen,
				ETCD_REQUEST_MAX * 3 / 4);
			break;
		}
		if (err == -ETIMEDOUT || err == -EPROTO) {
			/* In doubt: did it land? Only a read can tell. */
			err = etcd_get(fc->c, fc->policy_key, &cur);
			if (err == 0 && cur.n && cur.kvs[0].value_len == vlen &&
			    memcmp(cur.kvs[0].value, val, vlen) == 0)
				rc = 0;
			else
				rc = PUSH_EXIT_UNKNOWN;
			if (err == 0)
				etcd_range_free(&cur);
			if (rc)
				fprintf(stderr, "axnet policy push: etcd did not answer (%s): version "
						"%" PRIu64 " may or may not be stored; `axnet policy status "
						"--fleet` tells\n", etcd_error(fc->c), *version);
			break;
		}
		fprintf(stderr, "axnet policy push: storing %s: %s\n", fc->policy_key,
			etcd_error(fc->c));
		break;
	}
	if (tries == FLEET_PUSH_TRIES)
		fprintf(stderr, "axnet policy push: %d concurrent pushes in a row got in first; "
				"nothing stored\n", FLEET_PUSH_TRIES);
	free(val);
	return rc;
}

/* An instance's name: its key less F/instances/. */
static const char *inst_name(const struct fleet_cli *fc, const struct etcd_kv *kv)
{
	return kv->key + strlen(fc->inst_key);
}

/*
 * --wait: poll the instances' reports until `want` (0: all live ones) say
 * version (or a later one) is in force, printing each as it does. 0, or
 * 1 at the timeout (or when every live instance has answered and too few
 * applied it), naming those that have not.
 */
static int fleet_wait(struct fleet_cli *fc, uint64_t version, unsigned long want,
		      unsigned long timeout_s)
{
	uint64_t deadline = mono_ns() + (uint64_t)timeout_s * 1000000000ull;
	char **said = NULL; /* names already printed */
	size_t nsaid = 0;
	int rc = 1, warned = 0;

	for (;;) {
		struct etcd_range r = { 0 };
		unsigned long applied = 0, answered = 0;
		int err = fleet_instances(fc, &r), timed_out = mono_ns() >= deadline;
		char missing[2048] = "";
		size_t mlen = 0;

		if (err) {
			if (!warned++)
				fprintf(stderr, "axnet policy push: reading the instances: %s "
						"(retrying)\n", etcd_error(fc->c));
			if (timed_out)
				break;
			struct timespec ts = { 0, FLEET_WAIT_POLL_MS * 1000000L };
			nanosleep(&ts, NULL);
			continue;
		}
		for (size_t i = 0; i < r.n; i++) {
			struct fleet_report rep;
			const char *name = inst_name(fc, &r.kvs[i]);
			int ok = fleet_report_parse(r.kvs[i].value, r.kvs[i].value_len, &rep) == 0;
			int done = ok && rep.version >= version && !strcmp(rep.state, "applied");
			int failed = ok && rep.version >= version && !done;
			size_t k;

			applied += done;
			answered += done || failed;
			if (!done) {
				int m = snprintf(missing + mlen, sizeof(missing) - mlen, "%s%s%s%s",
						 mlen ? ", " : "", name, failed ? ": " : "",
						 failed ? rep.reason : "");
				if (m > 0 && mlen + (size_t)m < sizeof(missing))
					mlen += (size_t)m;
			}
			if (!done && !failed)
				continue;
			for (k = 0; k < nsaid && strcmp(said[k], name); k++)
				;
			if (k < nsaid)
				continue;
			said = realloc(said, (nsaid + 1) * sizeof(*said));
			if (said)
				said[nsaid++] = strdup(name);
			if (done)
				printf("%s version=%" PRIu64 " seq=%" PRIu64 " state=applied\n", name,
				       rep.version, rep.seq);
			else
				printf("%s version=%" PRIu64 " state=%s reason=%s\n", name, rep.version,
				       rep.state, rep.reason);
			fflush(stdout);
		}
		if (want ? applied >= want : applied == r.n) {
			if (!r.n)
				printf("no live instances\n");
			rc = 0;
		} else if (!want && answered == r.n && r.n) {
			fprintf(stderr, "axnet policy push: version %" PRIu64 " is in force on %lu of "
					"%s%lu; not on: %s\n", version, applied, want ? "" : "all ",
				want ? want : (unsigned long)r.n, missing);
		} else if (timed_out) {
			fprintf(stderr, "axnet policy push: timed out after %lu s: version %" PRIu64
					" is in force on %lu of %s%lu; not on: %s%s\n", timeout_s, version,
				applied, want ? "" : "all ", want ? want : (unsigned long)r.n,
				mlen ? missing : "(no other live instance)",
				want > r.n ? " (fewer instances live than asked for)" : "");
		} else {
			etcd_range_free(&r);
			struct timespec ts = { 0, FLEET_WAIT_POLL_MS * 1000000L };
			nanosleep(&ts, NULL);
			continue;
		}
		etcd_range_free(&r);
		break;
	}
	for (size_t k = 0; k < nsaid; k++)
		free(said[k]);
	free(said);
	return rc;
}

/* axnet policy push --fleet etcd://... [--fleet-prefix F] FILE [--wait all|N]
 * [--timeout SECS] */
static int policy_push_fleet(int argc, char **argv)
{
	static const char usage[] =
		"usage: axnet policy push --fleet etcd://HOST:PORT[,HOST:PORT...] [--fleet-prefix F]\n"
		"                         FILE [--wait all|N] [--timeout SECS]\n"
		"\n"
		"Check FILE (nothing is stored if it has an error), then store it in etcd as the\n"
		"fleet's next policy version (F/policy, F default axnet/fleet); every instance\n"
		"run with --fleet-policy applies it. Prints `pushed version N sha256=HEX`.\n"
		"  --wait all|N   then wait until every live instance (or N of them) reports\n"
		"                 version N in force, printing each as it does\n"
		"  --timeout SECS how long --wait waits (default 30)\n"
		"\n"
		"Exit status: 0 stored (and, with --wait, in force as asked); 1 not stored (a\n"
		"bad file, etcd refused), or --wait timed out (the instances that have not\n"
		"are named); 2 usage; 3 unknown: etcd's answer never came, the version may be\n"
		"stored (`axnet policy status --fleet` tells).\n";
	static const struct option opts[] = {
		{ "fleet", required_argument, NULL, 'f' },
		{ "fleet-prefix", required_argument, NULL, 'p' },
		{ "wait", required_argument, NULL, 'w' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *url = NULL, *prefix = NULL;
	unsigned long want = 0, timeout_s = 30;
	struct fleet_cli fc = { 0 };
	struct pol_policy *p;
	char hx[65], source[256], *text, *end;
	uint64_t version = 0;
	size_t tlen;
	int opt, wait = 0, rc;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'f': url = optarg; break;
		case 'p': prefix = optarg; break;
		case 'w':
			wait = 1;
			if (strcmp(optarg, "all")) {
				errno = 0;
				want = strtoul(optarg, &end, 10);
				if (*end || errno || !want || optarg[0] == '-') {
					fprintf(stderr, "axnet policy push: --wait is all or a number "
							"of instances (1 or more), not '%s'\n", optarg);
					return 2;
				}
			}
			break;
		case 't':
			errno = 0;
			timeout_s = strtoul(optarg, &end, 10);
			if (*end || errno || !timeout_s || timeout_s > 86400 || optarg[0] == '-') {
				fprintf(stderr, "axnet policy push: --timeout wants 1..86400 seconds, "
						"not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h': printf("%s", usage); return 0;
		default: fprintf(stderr, "%s", usage); return 2;
		}
	}
	if (!url || optind != argc - 1) {
		fprintf(stderr, "%s", usage);
		return 2;
	}
	/* A bad file never reaches etcd. */
	if (parse_and_hash(argv[optind], "policy push", &p, hx))
		return PUSH_EXIT_REFUSED;
	pol_free(p);
	text = read_all(argv[optind], &tlen);
	if (!text) {
		perror(argv[optind]);
		return PUSH_EXIT_REFUSED;
	}
	if (fleet_cli_open(&fc, "policy push", url, prefix)) {
		free(text);
		return PUSH_EXIT_REFUSED;
	}
	push_source(argv[optind], source, sizeof(source));
	rc = fleet_store(&fc, text, tlen, hx, source, &version);
	free(text);
	if (rc == 0) {
		printf("pushed version %" PRIu64 " sha256=%s\n", version, hx);
		fflush(stdout);
		if (wait)
			rc = fleet_wait(&fc, version, want, timeout_s);
	}
	etcd_close(fc.c);
	return rc;
}

/* axnet policy status --fleet etcd://... [--fleet-prefix F] [--json] */
static int policy_status(int argc, char **argv)
{
	static const char usage[] =
		"usage: axnet policy status --fleet etcd://HOST:PORT[,HOST:PORT...]\n"
		"                           [--fleet-prefix F] [--json]\n"
		"\n"
		"The fleet's policy version and sha256, then one line per live instance:\n"
		"  NAME version=N seq=S sha256=HEX state=applied\n"
		"(or state=error reason=...): the fleet version it enforces (0: none yet), the\n"
		"policy-push entry in its log that installed it and its sha256.\n";
	static const struct option opts[] = {
		{ "fleet", required_argument, NULL, 'f' },
		{ "fleet-prefix", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *url = NULL, *prefix = NULL;
	struct fleet_cli fc = { 0 };
	struct fleet_policy_hdr h = { 0 };
	struct etcd_range pr = { 0 }, ir = { 0 };
	json_t *jo = NULL, *ja = NULL;
	int opt, json = 0, have = 0, rc = 1;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'f': url = optarg; break;
		case 'p': prefix = optarg; break;
		case 'j': json = 1; break;
		case 'h': printf("%s", usage); return 0;
		default: fprintf(stderr, "%s", usage); return 2;
		}
	}
	if (!url || optind != argc) {
		fprintf(stderr, "%s", usage);
		return 2;
	}
	if (fleet_cli_open(&fc, "policy status", url, prefix))
		return 1;
	if (etcd_get(fc.c, fc.policy_key, &pr) || fleet_instances(&fc, &ir)) {
		fprintf(stderr, "axnet policy status: %s\n", etcd_error(fc.c));
		goto out;
	}
	have = pr.n && fleet_policy_hdr_parse(pr.kvs[0].value, pr.kvs[0].value_len, &h) == 0;
	if (json) {
		jo = json_object();
		ja = json_array();
		json_object_set_new(jo, "prefix", json_string(fc.prefix));
		json_object_set_new(jo, "policy", have ? json_pack("{s:I, s:s, s:s, s:I}",
			"version", (json_int_t)h.version, "sha256", h.sha256, "source", h.source,
			"mod_revision", (json_int_t)pr.kvs[0].mod_rev) : json_null());
		json_object_set(jo, "instances", ja);
	} else if (have) {
		printf("policy version=%" PRIu64 " sha256=%s source=%s\n", h.version, h.sha256,
		       h.source);
	} else {
		printf("policy none%s\n", pr.n ? " (its key has no version line)" : "");
	}
	for (size_t i = 0; i < ir.n; i++) {
		struct fleet_report rep;
		const char *name = inst_name(&fc, &ir.kvs[i]);

		if (fleet_report_parse(ir.kvs[i].value, ir.kvs[i].value_len, &rep)) {
			if (!json)
				printf("%s ? (%.*s)\n", name, (int)ir.kvs[i].value_len,
				       (const char *)ir.kvs[i].value);
			continue;
		}
		if (json) {
			json_t *o = json_pack("{s:s, s:I, s:I, s:s, s:s, s:I}", "name", name,
					      "version", (json_int_t)rep.version, "seq",
					      (json_int_t)rep.seq, "sha256", rep.sha256, "state",
					      rep.state, "ts", (json_int_t)rep.ts);

			if (o && rep.reason[0])
				json_object_set_new(o, "reason", json_string(rep.reason));
			json_array_append_new(ja, o);
		} else if (!strcmp(rep.state, "applied")) {
			printf("%s version=%" PRIu64 " seq=%" PRIu64 " sha256=%s state=applied\n",
			       name, rep.version, rep.seq, rep.sha256);
		} else {
			printf("%s version=%" PRIu64 " seq=%" PRIu64 " sha256=%s state=%s reason=%s\n",
			       name, rep.version, rep.seq, rep.sha256, rep.state, rep.reason);
		}
	}
	if (json) {
		json_dumpf(jo, stdout, JSON_COMPACT);
		putchar('\n');
	}
	rc = 0;
out:
	json_decref(ja);
	json_decref(jo);
	etcd_range_free(&pr);
	etcd_range_free(&ir);
	etcd_close(fc.c);
	return rc;
}

static const struct policy_cmd subcmds[] = {
	{ "check", policy_check, "parse FILE and print its summary, or its first error" },
	{ "push", policy_push, "install FILE in the running instance (committed to Axiom)" },
	{ "show", policy_show, "the policy in force in the running instance" },
	{ "status", policy_status, "--fleet etcd://...: the fleet's version, and each instance's" },
};

static void usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: axnet policy SUBCOMMAND ...\n\n");
	for (i = 0; i < sizeof(subcmds) / sizeof(subcmds[0]); i++)
		fprintf(out, "  %-8s %s\n", subcmds[i].name, subcmds[i].summary);
	fprintf(out, "\nThe policy language is described in policy/README.md.\n");
}

int cmd_policy(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < sizeof(subcmds) / sizeof(subcmds[0]); i++)
		if (strcmp(argv[1], subcmds[i].name) == 0)
			return subcmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "axnet policy: unknown subcommand '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
