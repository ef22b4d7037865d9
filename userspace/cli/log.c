/*
 * log.c - `axnet log`: print, follow and verify an instance's commit log
 * (Axiom), and show its latest signed checkpoint. Read-only: works beside
 * a running instance or without one, and never changes the log.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "axiom/axiom.h"
#include "axiom/checkpoint.h"
#include "axiom/storage_etcd.h"
#include "common.h"
#include "etcd/etcd.h"
#include "util/mono.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: axnet log [WHERE] [--since SEQ] [--json]\n"
		"                 [--follow [--follow-timeout SECS]]\n"
		"       axnet log verify [WHERE]\n"
		"                 [--checkpoint FILE_OR_LINE] [--pubkey FILE_OR_HEX]\n"
		"       axnet log checkpoint [WHERE]\n"
		"WHERE: --state-dir DIR | --ifname IF (files, the default), or\n"
		"       --axiom etcd://HOST:PORT[,HOST:PORT...] --axiom-prefix P | --name NAME\n"
		"\n"
		"The commit log of an instance (DIR/axiom/), running or not; or one kept\n"
		"on etcd (`axnet run --axiom etcd://...`), read from any machine that\n"
		"reaches the cluster: no state directory or running instance needed, and\n"
		"signatures checked with the keys the log lists (P/keys). --name NAME\n"
		"stands for --axiom-prefix axnet/log/NAME (the default of `axnet run`).\n"
		"\n"
		"  axnet log          one line per entry: SEQ TIME TYPE PAYLOAD, the payload\n"
		"                     as text when it is printable ASCII, else as hex:HEX.\n"
		"                     --json: one object per line, {\"seq\", \"ts\" (RFC 3339,\n"
		"                     ns), \"type\", \"payload\" (each byte one code point,\n"
		"                     U+0000..U+00FF), \"hash\", \"prev\"}.\n"
		"                     --since SEQ starts at entry SEQ. --follow keeps printing\n"
		"                     entries as they are committed until SIGINT/SIGTERM (or\n"
		"                     --follow-timeout SECS).\n"
		"  axnet log verify   recompute CRCs, seqs, the hash chain and every checkpoint\n"
		"                     signature; print \"ok: N entries, M checkpoints, head H\"\n"
		"                     or the first bad entry, and exit 1. --checkpoint also\n"
		"                     holds the log to a checkpoint line kept from before (or\n"
		"                     each line of a file): same signature, and entry N still\n"
		"                     hashes to its head. --pubkey checks signatures with that\n"
		"                     key instead of DIR/axiom/key.pub (or, on etcd, P/keys).\n"
		"  axnet log checkpoint   the latest signed checkpoint line.\n");
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Every subcommand finds the instance the way `axnet stats` does, or its
 * log on etcd. */
#define COMMON_OPTS                                        \
	{ "state-dir", required_argument, NULL, 's' },     \
	{ "ifname", required_argument, NULL, 'i' },        \
	{ "axiom", required_argument, NULL, 'A' },         \
	{ "axiom-prefix", required_argument, NULL, 'P' },  \
	{ "name", required_argument, NULL, 'N' },          \
	{ "help", no_argument, NULL, 'h' }

/* The log a subcommand reads: files in a state directory (the default), or
 * a store (--axiom etcd://...) that needs none. */
struct where {
	const char *dir, *ifname;       /* --state-dir, --ifname */
	const char *store, *prefix, *name; /* --axiom, --axiom-prefix, --name */
	char endpoints[512], pfx[512];
	struct axiom_etcd_config ec;
	struct axiom_config xc;         /* remote: filled by where_resolve */
	int remote;
	char state[PATH_MAX];           /* files: the state directory */
};

/* COMMON_OPTS' letters into w: 1 when opt was one of them. */
static int where_opt(struct where *w, int opt)
{
	switch (opt) {
	case 's': w->dir = optarg; return 1;
	case 'i': w->ifname = optarg; return 1;
	case 'A': w->store = optarg; return 1;
	case 'P': w->prefix = optarg; return 1;
	case 'N': w->name = optarg; return 1;
	}
	return 0;
}

/* Find the log: 0, or the exit status with why said (2: bad arguments;
 * what: "log verify"...). */
static int where_resolve(struct where *w, const char *what)
{
	if (!w->store || !strcmp(w->store, "file")) {
		if (w->prefix || w->name) {
			fprintf(stderr, "axnet: %s: --axiom-prefix and --name go with --axiom "
					"etcd://...\n", what);
			return 2;
		}
		return cli_state_dir(w->dir, w->ifname, w->state) < 0 ? 1 : 0;
	}
	if (w->dir || w->ifname) {
		fprintf(stderr, "axnet: %s: --axiom etcd://... needs no --state-dir or --ifname\n",
			what);
		return 2;
	}
	if (strncmp(w->store, "etcd://", 7) ||
	    etcd_parse_url(w->store, w->endpoints, sizeof(w->endpoints)) < 0) {
		fprintf(stderr, "axnet: %s: --axiom is file or etcd://HOST:PORT[,HOST:PORT...], "
				"got '%s'\n", what, w->store);
		return 2;
	}
	if (w->prefix && w->name) {
		fprintf(stderr, "axnet: %s: --axiom-prefix or --name, not both\n", what);
		return 2;
	}
	if (w->prefix)
		snprintf(w->pfx, sizeof(w->pfx), "%s", w->prefix);
	else if (w->name)
		snprintf(w->pfx, sizeof(w->pfx), "axnet/log/%s", w->name);
	else {
		fprintf(stderr, "axnet: %s: --axiom etcd://... wants --axiom-prefix P or --name "
				"NAME (whose log)\n", what);
		return 2;
	}
	w->ec.endpoints = w->endpoints;
	w->ec.prefix = w->pfx;
	w->xc.storage = &axiom_storage_etcd;
	w->xc.storage_arg = &w->ec;
	w->xc.read_only = 1;
	w->remote = 1;
	return 0;
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	*v = strtoull(s, &end, 10);
	return errno || *end ? -EINVAL : 0;
}

static void print_time(FILE *out, uint64_t ns)
{
	time_t sec = (time_t)(ns / 1000000000ull);
	char buf[32];
	struct tm tm;

	gmtime_r(&sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(out, "%s.%09" PRIu64 "Z", buf, ns % UINT64_C(1000000000));
}

static void print_type(FILE *out, uint16_t type)
{
	const char *name = axiom_type_name(type);

	if (name)
		fputs(name, out);
	else
		fprintf(out, "type-%u", type);
}

static void print_hex(FILE *out, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(out, "%02x", p[i]);
}

static int printable(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return 0;
	return 1;
}

/* A JSON string in which every byte is one code point (U+0000..U+00FF):
 * arbitrary bytes survive the trip, and ASCII text reads as itself. */
static void print_json_bytes(FILE *out, const uint8_t *p, size_t n)
{
	size_t i;

	fputc('"', out);
	for (i = 0; i < n; i++) {
		uint8_t c = p[i];

		switch (c) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		default:
			if (c < 0x20 || c > 0x7e)
				fprintf(out, "\\u%04x", c);
			else
				fputc(c, out);
		}
	}
	fputc('"', out);
}

static void print_entry(FILE *out, const struct axiom_entry *e, int json)
{
	if (json) {
		fprintf(out, "{\"seq\":%" PRIu64 ",\"ts\":\"", e->seq);
		print_time(out, e->ts_ns);
		fputs("\",\"type\":\"", out);
		print_type(out, e->type);
		fputs("\",\"payload\":", out);
		print_json_bytes(out, e->payload, e->len);
		fputs(",\"hash\":\"", out);
		print_hex(out, e->hash, AXIOM_HASH_SIZE);
		fputs("\",\"prev\":\"", out);
		print_hex(out, e->prev_hash, AXIOM_HASH_SIZE);
		fprintf(out, "\",\"segment\":\"%s\",\"offset\":%" PRIu64 "}\n", e->segment,
			e->offset);
		return;
	}
	fprintf(out, "%" PRIu64 " ", e->seq);
	print_time(out, e->ts_ns);
	fputc(' ', out);
	print_type(out, e->type);
	if (e->len) {
		fputc(' ', out);
		if (printable(e->payload, e->len)) {
			fwrite(e->payload, 1, e->len, out);
		} else {
			fputs("hex:", out);
			print_hex(out, e->payload, e->len);
		}
	}
	fputc('\n', out);
}

static int log_show(int argc, char **argv)
{
	static const struct option opts[] = {
		COMMON_OPTS,
		{ "since", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ "follow", no_argument, NULL, 'f' },
		{ "follow-timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct where w = { 0 };
	uint64_t since = 0, timeout_s = 0, deadline = 0;
	int opt, json = 0, follow = 0, rc, away = 0;
	char err[320];
	struct axiom_iter *it;
	struct axiom_entry e;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (where_opt(&w, opt))
			continue;
		switch (opt) {
		case 'j': json = 1; break;
		case 'f': follow = 1; break;
		case 'S':
			if (parse_u64(optarg, &since) < 0) {
				fprintf(stderr, "axnet: log: --since wants an entry number\n");
				return 2;
			}
			break;
		case 't':
			if (parse_u64(optarg, &timeout_s) < 0 || !timeout_s) {
				fprintf(stderr, "axnet: log: --follow-timeout wants seconds\n");
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if ((rc = where_resolve(&w, "log")))
		return rc;
	if (w.remote)
		rc = axiom_iter_open_cfg(&it, &w.xc, since, err, sizeof(err));
	else
		rc = axiom_iter_open(&it, w.state, since, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "axnet: log: %s\n", err);
		return 1;
	}
	if (follow) {
		struct sigaction sa = { .sa_handler = on_signal };

		/* No SA_RESTART: the poll sleep ends at the signal. */
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		if (timeout_s)
			deadline = mono_ns() + timeout_s * 1000000000ull;
	}
	for (;;) {
		while ((rc = axiom_iter_next(it, &e)) > 0 && !stop) {
			if (away) {
				fprintf(stderr, "axnet: log: the store answers again\n");
				away = 0;
			}
			print_entry(stdout, &e, json);
		}
		fflush(stdout);
		/* A store out of reach (etcd without a quorum) is not the
		 * log's fault: a follower says so once and goes on from the
		 * same entry when it is back (reader.c keeps its place). */
		if (follow && w.remote && (rc == -EAGAIN || rc == -ETIMEDOUT) && !stop &&
		    !(deadline && mono_ns() >= deadline)) {
			if (!away)
				fprintf(stderr, "axnet: log: %s (following on)\n",
					axiom_iter_error(it));
			away = 1;
			rc = 0;
		}
		if (rc < 0 || !follow || stop || (deadline && mono_ns() >= deadline))
			break;
		/* New entries are found by reading the files again: a
		 * reader needs no help from the writer. */
		nanosleep(&(struct timespec){ .tv_nsec = 100 * 1000 * 1000 }, NULL);
	}
	if (rc < 0)
		fprintf(stderr, "axnet: log: %s\n", axiom_iter_error(it));
	axiom_iter_close(it);
	return rc < 0 ? 1 : 0;
}

/* Complete lines of a file (a checkpoint kept by an auditor, or many):
 * a malloc'd array of malloc'd strings. */
static int read_lines(const char *path, char ***out, size_t *n)
{
	char *line = NULL, **v = NULL, **nv;
	size_t cap = 0, cnt = 0;
	ssize_t len;
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	while ((len = getline(&line, &cap, f)) > 0) {
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (!len)
			continue;
		nv = realloc(v, (cnt + 1) * sizeof(*v));
		if (!nv)
			break;
		v = nv;
		v[cnt] = strdup(line);
		if (!v[cnt])
			break;
		cnt++;
	}
	free(line);
	fclose(f);
	*out = v;
	*n = cnt;
	return 0;
}

static int load_pubkey(const char *arg, uint8_t pk[AXIOM_PUBKEY_SIZE])
{
	char buf[256];
	size_t n;
	FILE *f;

	if (axiom_pubkey_parse(arg, pk) == 0)
		return 0;
	f = fopen(arg, "re");
	if (!f)
		return -errno;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return axiom_pubkey_parse(buf, pk);
}

static int log_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		COMMON_OPTS,
		{ "checkpoint", required_argument, NULL, 'c' },
		{ "pubkey", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	const char *ckarg = NULL, *keyarg = NULL;
	struct where w = { 0 };
	struct axiom_verify_opts vo = { 0 };
	struct axiom_verify_report rep;
	uint8_t pk[AXIOM_PUBKEY_SIZE];
	char head[2 * AXIOM_HASH_SIZE + 1];
	char **lines = NULL;
	size_t nlines = 0, i;
	int opt, rc, ret = 1;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (where_opt(&w, opt))
			continue;
		switch (opt) {
		case 'c': ckarg = optarg; break;
		case 'k': keyarg = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if ((rc = where_resolve(&w, "log verify")))
		return rc;
	if (keyarg) {
		if (load_pubkey(keyarg, pk) < 0) {
			fprintf(stderr, "axnet: log verify: --pubkey %s: not a key or a file with "
					"one (64 hex digits)\n", keyarg);
			return 2;
		}
		vo.pubkey = pk;
	}
	if (ckarg && strncmp(ckarg, "seq=", 4) == 0) {
		vo.checkpoints = &ckarg;
		vo.ncheckpoints = 1;
	} else if (ckarg) {
		rc = read_lines(ckarg, &lines, &nlines);
		if (rc < 0 || !nlines) {
			fprintf(stderr, "axnet: log verify: --checkpoint %s: %s\n", ckarg,
				rc < 0 ? strerror(-rc) : "no checkpoint line in it");
			goto out;
		}
		vo.checkpoints = (const char *const *)lines;
		vo.ncheckpoints = nlines;
	}
	memset(&rep, 0, sizeof(rep));
	rc = w.remote ? axiom_verify_cfg(&w.xc, &vo, &rep) : axiom_verify(w.state, &vo, &rep);
	if (rep.torn_bytes)
		fprintf(stderr, "axnet: log verify: warning: segment %s offset %" PRIu64 ": %"
			PRIu64 " bytes that are not a record (%s): a torn tail, or a write in "
			"progress\n", rep.torn_segment, rep.torn_offset, rep.torn_bytes,
			rep.torn_what);
	if (rc < 0) {
		fprintf(stderr, "axnet: log verify: %s\n", rep.message);
		goto out;
	}
	sodium_bin2hex(head, sizeof(head), rep.head, sizeof(rep.head));
	printf("ok: %" PRIu64 " entries, %" PRIu64 " checkpoints, head %s\n", rep.entries,
	       rep.checkpoints, head);
	ret = 0;
out:
	for (i = 0; i < nlines; i++)
		free(lines[i]);
	free(lines);
	return ret;
}

/* The latest checkpoint line a store keeps (P/ckpt/ on etcd). */
static int remote_checkpoint(struct where *w)
{
	const struct axiom_storage_ops *ops = w->xc.storage;
	char **lines = NULL;
	size_t n = 0;
	void *store;
	int rc;

	rc = ops->open_dir(w->xc.storage_arg, NULL, 0, &store);
	if (rc < 0) {
		fprintf(stderr, "axnet: log checkpoint: etcd://%s/%s: %s\n", w->endpoints, w->pfx,
			rc == -ENOENT ? "no log there" : strerror(-rc));
		return 1;
	}
	rc = ops->ckpt_load(store, &lines, &n);
	if (rc < 0)
		fprintf(stderr, "axnet: log checkpoint: etcd://%s/%s: %s\n", w->endpoints,
			w->pfx, ops->error && *ops->error(store) ? ops->error(store)
								 : strerror(-rc));
	else if (!n)
		fprintf(stderr, "axnet: log checkpoint: no checkpoint in etcd://%s/%s\n",
			w->endpoints, w->pfx);
	else
		printf("%s\n", lines[n - 1]);
	axiom_storage_free_names(lines, n);
	ops->close_dir(store);
	return rc < 0 || !n ? 1 : 0;
}

static int log_checkpoint(int argc, char **argv)
{
	static const struct option opts[] = {
		COMMON_OPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct where w = { 0 };
	char logdir[PATH_MAX + 8], msg[320], line[AXIOM_CKPT_LINE_MAX];
	struct axiom_checkpoint *v;
	size_t n;
	int opt, rc;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (where_opt(&w, opt))
			continue;
		switch (opt) {
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if ((rc = where_resolve(&w, "log checkpoint")))
		return rc;
	if (w.remote)
		return remote_checkpoint(&w);
	snprintf(logdir, sizeof(logdir), "%s/axiom", w.state);
	rc = axiom_checkpoints_load(logdir, &v, &n, msg, sizeof(msg));
	if (rc < 0) {
		fprintf(stderr, "axnet: log checkpoint: %s\n", msg);
		return 1;
	}
	if (!n) {
		fprintf(stderr, "axnet: log checkpoint: no checkpoint in %s\n", logdir);
		return 1;
	}
	axiom_checkpoint_format(&v[n - 1], line);
	printf("%s\n", line);
	free(v);
	return 0;
}

int cmd_log(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "verify") == 0)
		return log_verify(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "checkpoint") == 0)
		return log_checkpoint(argc - 1, argv + 1);
	return log_show(argc, argv);
}
