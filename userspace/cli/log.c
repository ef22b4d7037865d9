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
#include "common.h"
#include "util/mono.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: axnet log [--state-dir DIR | --ifname IF] [--since SEQ] [--json]\n"
		"                 [--follow [--follow-timeout SECS]]\n"
		"       axnet log verify [--state-dir DIR | --ifname IF]\n"
		"                 [--checkpoint FILE_OR_LINE] [--pubkey FILE_OR_HEX]\n"
		"       axnet log checkpoint [--state-dir DIR | --ifname IF]\n"
		"\n"
		"The commit log of an instance (DIR/axiom/), running or not.\n"
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
		"                     key instead of DIR/axiom/key.pub.\n"
		"  axnet log checkpoint   the latest signed checkpoint line.\n");
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Every subcommand finds the instance the way `axnet stats` does. */
#define COMMON_OPTS                                        \
	{ "state-dir", required_argument, NULL, 's' },     \
	{ "ifname", required_argument, NULL, 'i' },        \
	{ "help", no_argument, NULL, 'h' }

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
	const char *dir = NULL, *ifname = NULL;
	uint64_t since = 0, timeout_s = 0, deadline = 0;
	int opt, json = 0, follow = 0, rc;
	char state[PATH_MAX], err[320];
	struct axiom_iter *it;
	struct axiom_entry e;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 's': dir = optarg; break;
		case 'i': ifname = optarg; break;
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
	if (cli_state_dir(dir, ifname, state) < 0)
		return 1;
	rc = axiom_iter_open(&it, state, since, err, sizeof(err));
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
		static int out_of_reach;

		while ((rc = axiom_iter_next(it, &e)) > 0 && !stop)
			print_entry(stdout, &e, json);
		fflush(stdout);
		if (follow && (rc == -EAGAIN || rc == -ETIMEDOUT)) {
			/* A remote store out of reach: the iterator goes on
			 * from the same entry once it answers (axiom.h). */
			if (!out_of_reach)
				fprintf(stderr, "axnet: log: %s (retrying)\n", axiom_iter_error(it));
			out_of_reach = 1;
			rc = 0;
		} else {
			out_of_reach = 0;
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
	const char *dir = NULL, *ifname = NULL, *ckarg = NULL, *keyarg = NULL;
	struct axiom_verify_opts vo = { 0 };
	struct axiom_verify_report rep;
	uint8_t pk[AXIOM_PUBKEY_SIZE];
	char state[PATH_MAX], head[2 * AXIOM_HASH_SIZE + 1];
	char **lines = NULL;
	size_t nlines = 0, i;
	int opt, rc, ret = 1;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 's': dir = optarg; break;
		case 'i': ifname = optarg; break;
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
	if (cli_state_dir(dir, ifname, state) < 0)
		return 1;
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
	rc = axiom_verify(state, &vo, &rep);
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

static int log_checkpoint(int argc, char **argv)
{
	static const struct option opts[] = {
		COMMON_OPTS,
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *ifname = NULL;
	char state[PATH_MAX], logdir[PATH_MAX + 8], msg[320], line[AXIOM_CKPT_LINE_MAX];
	struct axiom_checkpoint *v;
	size_t n;
	int opt, rc;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 's': dir = optarg; break;
		case 'i': ifname = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (cli_state_dir(dir, ifname, state) < 0)
		return 1;
	snprintf(logdir, sizeof(logdir), "%s/axiom", state);
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
