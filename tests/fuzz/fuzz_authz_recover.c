/*
 * fuzz_authz_recover.c - libFuzzer target for the authorizer's recovery:
 * the decoder that reads the Axiom log back at authz_open() (policy-push
 * and policy-text entries, their %XX text and sha256, the authorizations
 * left open) and the start group it then commits.
 *
 * Each input builds a fresh log in a directory of its own under /dev/shm
 * (tmpfs: no disk; /tmp when there is none), through the public API
 * (axiom_open, proposals, one group per push), runs authz_open() on it
 * with no policy given, checks the outcome against a model of what was
 * written, and removes it all: nothing is kept between inputs.
 * FUZZ_VERBOSE=1 in the environment shows each input's operations and
 * outcome.
 *
 * The input's first byte steers:
 *
 *   bit 0  authz_open writes a start entry
 *   bit 1  close and reopen the log before authz_open (recovery of a log
 *          a previous instance left, its checkpoint included)
 *   bit 2  small segments (512 bytes): entries spread over many files
 *
 * Then operations, one byte each (low 3 bits: which; the rest, and the
 * bytes that follow, their arguments), until the input ends or
 * OPS_MAX of them:
 *
 *   0 raw entry: type 1 + (b % 7), then a length byte and that many
 *     bytes of payload, as they are (a damaged or hostile entry)
 *   1 connection-authorize, as the authorizer writes it
 *   2 connection-close of authorization (b % authorized so far)
 *   3 revoke of the same
 *   4 policy push as the authorizer writes it: a length byte and policy
 *     text (a built-in policy when it does not parse), a chunk byte (0:
 *     one entry; else policy-text parts of 1 + 3 * chunk bytes of the
 *     encoded text, cut anywhere, even inside a %XX), all one group
 *   5 the same push, damaged by a mode byte and an argument byte: a
 *     wrong sha256 (a digit changed), one byte of an entry's text
 *     replaced, a part left out, or two parts swapped
 *   6 a push from before the text was kept (no text=), its policy file
 *     in <state>/policies/ written when op bit 3 is set
 *   7 a policy-text entry naming the last push's sha256 (or garbage),
 *     part i/k from the next byte's nibbles, then a length byte and text
 *
 * Beyond "no crash, no leak, no sanitizer report", it checks:
 *   - authz_open() returns 0, or a negative errno and a message; when it
 *     fails, nothing was written to the log;
 *   - the policy in force hashes (SHA-256 of its canonical text,
 *     recomputed here) to the sha256 its push entry names: the last
 *     well-formed push, or, when the log has no push at all, the built-in
 *     default, committed now as a push;
 *   - a last push written as the authorizer writes it (or a legacy one
 *     whose file exists) always opens; one with a wrong sha256, a missing
 *     part or a missing file never does, nor any push entry whose sha256=
 *     is not 64 lowercase hex digits;
 *   - the log grows by exactly the start entry, one close per
 *     authorization left open, and the default's push, in that order;
 *     each close names an authorization not closed before, none twice,
 *     and (when no raw entry muddles which were closed) exactly those
 *     left open.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../unit/fake_netif.h"
#include "../unit/tmpdir.h"
#include "axiom/axiom.h"
#include "authz/authz.h"
#include "policy/policy.h"

/* The Makefile builds with plain -fsanitize=undefined, which reports and
 * carries on: make a UBSan report a crash the fuzzer keeps. */
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}

#define OPS_MAX 64
#define ENTRIES_MAX 512          /* parts of pushes included */
#define PARTS_MAX 64             /* per push */
#define ENC_MAX 16384            /* a push's encoded text, at most */

/* A broken invariant: say which (the line), then abort for libFuzzer. */
#define check(ok) check_at((ok), __LINE__)
static char *tmpdir;
static void check_at(int ok, int line)
{
	if (!ok) {
		fprintf(stderr, "fuzz_authz_recover: invariant at line %d broken\n", line);
		/* The log is libFuzzer's to keep as the input, not /dev/shm's. */
		if (tmpdir)
			nftw(tmpdir, tmpdir_rm_one, 16, FTW_DEPTH | FTW_PHYS);
		abort();
	}
}

static const char *const builtin[] = {
	("default deny in\nallow in tcp to port 80\nallow in tcp from 10.0.0.0/24 to port 22\n"
	 "allow in icmp\n"),
	"default allow in\ndeny in udp from 10.0.0.66 to port 53\n",
	"allow out tcp to fd00::/64 port 443,8443\n",
};

/* --- the input ------------------------------------------------------------------ */

struct in {
	const uint8_t *p;
	size_t n;
};

static int take(struct in *in, uint8_t *b)
{
	if (!in->n)
		return 0;
	*b = *in->p++;
	in->n--;
	return 1;
}

static size_t take_bytes(struct in *in, const uint8_t **p)
{
	uint8_t len = 0;

	take(in, &len);
	if (len > in->n)
		len = (uint8_t)in->n;
	*p = in->p;
	in->p += len;
	in->n -= len;
	return len;
}

/* --- the log as written, and the model ------------------------------------------- */

enum push_kind {
	P_NONE,     /* no push entry in the log */
	P_GOOD,     /* must open, with this hash */
	P_BAD,      /* must not open */
	P_MAYBE,    /* a damaged text: open or not, but the hash holds */
	P_RAW,      /* a raw policy-push entry: anything that holds */
};

static struct model {
	char *dir;
	struct axiom *ax;
	uint64_t n;                     /* entries proposed; entry i has seq i + 1 */
	uint16_t type[ENTRIES_MAX];
	char *payload[ENTRIES_MAX];
	uint32_t len[ENTRIES_MAX];
	uint8_t structured_closed[ENTRIES_MAX]; /* a close we wrote names it */
	uint64_t auths[ENTRIES_MAX];    /* seqs of our connection-authorize entries */
	size_t nauth;
	int raw_close;                  /* a raw close/revoke mentions auth= */
	int any_push;                   /* some policy-push entry, raw or ours */
	int structured_push;            /* one of ours */
	enum push_kind last;
	uint8_t last_hash[32];
	uint64_t last_seq;
	uint8_t files[OPS_MAX][32];     /* policies/<sha256>.pol written */
	size_t nfiles;
	size_t done;                    /* results back through dispatch */
	int failed;                     /* a proposal was not committed */
} M;

static void on_done(void *arg, const struct axiom_result *res)
{
	(void)arg;
	M.done++;
	if (!res->committed)
		M.failed = 1;
}

static void hexs(const uint8_t *b, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[b[i] >> 4];
		out[2 * i + 1] = d[b[i] & 15];
	}
	out[2 * n] = '\0';
}

/* Queue entries [from, M.n) as one group (consecutive seqs). */
static void propose_from(uint64_t from)
{
	struct axiom_item items[PARTS_MAX + 1];
	size_t k = 0;

	for (uint64_t i = from; i < M.n; i++)
		items[k++] = (struct axiom_item){ .type = M.type[i], .payload = M.payload[i],
						  .len = M.len[i], .cb = on_done };
	if (!k)
		return;
	check(axiom_propose_group(M.ax, items, k) == 0);
}

static int add(uint16_t type, char *payload, size_t len)
{
	if (!payload)
		return -1;
	if (M.n == ENTRIES_MAX || len > AXIOM_PAYLOAD_MAX) {
		free(payload);
		return -1;
	}
	M.type[M.n] = type;
	M.payload[M.n] = payload;
	M.len[M.n] = (uint32_t)len;
	M.n++;
	return 0;
}

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
	va_list ap;
	char *s = NULL;
	int rc;

	va_start(ap, f);
	rc = vasprintf(&s, f, ap);
	va_end(ap);
	return rc < 0 ? NULL : s;
}

static char *dup_bytes(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s) {
		memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

/* '%' and every byte outside printable ASCII as lowercase %XX: written
 * here from authz.c's comment, not from its code. */
static char *encode(const char *t, size_t len, size_t *outlen)
{
	char *o = malloc(3 * len + 1);
	size_t q = 0;

	if (!o)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)t[i];

		if (c == '%' || c < 0x20 || c > 0x7e)
			q += (size_t)sprintf(o + q, "%%%02x", c);
		else
			o[q++] = (char)c;
	}
	o[q] = '\0';
	*outlen = q;
	return o;
}

/* SHA-256 of a policy's canonical text. */
static void policy_sha(const struct pol_policy *p, uint8_t h[32])
{
	char *canon;
	size_t clen;

	check(pol_canonical(p, &canon, &clen) == 0);
	crypto_hash_sha256(h, (const unsigned char *)canon, clen);
	free(canon);
}

/* A policy from the input's text, or a built-in one when it does not
 * parse (or its text would not fit a push). Its canonical text, encoded,
 * and hash. */
static int pick_policy(struct in *in, char **enc, size_t *elen, uint8_t h[32], char **canon_out,
		       size_t *clen_out)
{
	const uint8_t *t;
	size_t tl = take_bytes(in, &t);
	struct pol_policy *p = NULL;
	struct pol_error pe;
	char *canon;
	size_t clen;

	if (pol_parse((const char *)t, tl, "fuzz.pol", &p, &pe) < 0) {
		const char *b = builtin[tl % (sizeof(builtin) / sizeof(builtin[0]))];

		p = NULL;
		check(pol_parse(b, strlen(b), "builtin.pol", &p, &pe) == 0);
	}
	check(pol_canonical(p, &canon, &clen) == 0);
	policy_sha(p, h);
	pol_free(p);
	*enc = encode(canon, clen, elen);
	check(*enc != NULL);
	if (*elen > ENC_MAX) {
		free(*enc);
		free(canon);
		return -1;
	}
	*canon_out = canon;
	*clen_out = clen;
	return 0;
}

/* Ops 4 and 5: a push as the authorizer writes it, damaged when bad. */
static void op_push(struct in *in, int bad)
{
	char *enc, *canon, hx[65];
	size_t elen, clen, chunk, nparts, off;
	uint8_t h[32], c = 0, mode = 0, arg = 0;
	uint64_t from = M.n, push;

	if (pick_policy(in, &enc, &elen, h, &canon, &clen) < 0)
		return;
	free(canon);
	take(in, &c);
	if (bad) {
		take(in, &mode);
		take(in, &arg);
	}
	chunk = c ? 1 + 3 * (size_t)c : elen + 1;
	nparts = elen ? (elen + chunk - 1) / chunk : 1;
	if (nparts > PARTS_MAX) {
		chunk = (elen + PARTS_MAX - 1) / PARTS_MAX;
		nparts = (elen + chunk - 1) / chunk;
	}
	if (M.n + nparts > ENTRIES_MAX) {
		free(enc);
		return;
	}
	hexs(h, 32, hx);
	for (size_t k = 0; k < nparts; k++) {
		size_t end;

		off = k * chunk;
		end = off + chunk < elen ? off + chunk : elen;
		if (k + 1 < nparts)
			add(AXIOM_POLICY_TEXT, fmt("sha256=%s part=%zu/%zu text=%.*s", hx, k + 1,
						   nparts, (int)(end - off), enc + off), 0);
		else if (nparts > 1)
			add(AXIOM_POLICY_PUSH, fmt("sha256=%s rules=3 source=fuzz parts=%zu text=%.*s",
						   hx, nparts, (int)(end - off), enc + off), 0);
		else
			add(AXIOM_POLICY_PUSH, fmt("sha256=%s rules=3 source=fuzz text=%.*s", hx,
						   (int)(end - off), enc + off), 0);
		M.len[M.n - 1] = (uint32_t)strlen(M.payload[M.n - 1]);
	}
	free(enc);
	push = M.n - 1;
	M.last = P_GOOD;
	memcpy(M.last_hash, h, 32);
	if (bad) {
		switch (mode % 4) {
		case 2: /* a part left out */
			if (nparts > 1) {
				uint64_t drop = from + arg % (nparts - 1);

				free(M.payload[drop]);
				memmove(&M.payload[drop], &M.payload[drop + 1],
					(M.n - drop - 1) * sizeof(M.payload[0]));
				memmove(&M.len[drop], &M.len[drop + 1], (M.n - drop - 1) * sizeof(M.len[0]));
				memmove(&M.type[drop], &M.type[drop + 1], (M.n - drop - 1) * sizeof(M.type[0]));
				M.n--;
				push--;
				M.last = P_BAD;
				break;
			}
			/* fall through */
		case 0: { /* a wrong sha256: one hex digit changed in the push */
			char *d = M.payload[push] + 7 + arg % 64;

			*d = *d == '0' ? '1' : '0';
			M.last = P_BAD;
			break;
		}
		case 1: { /* one byte of one entry's text= replaced */
			uint64_t e = from + arg % (M.n - from);
			char *t = strstr(M.payload[e], " text=") + 6;
			size_t tl = strlen(t);

			if (tl) {
				t[(size_t)mode / 4 % tl] = (char)(mode / 4 ? mode : ' ');
				M.len[e] = (uint32_t)strlen(M.payload[e]);
			}
			M.last = P_MAYBE;
			break;
		}
		case 3: /* two parts swapped */
			if (nparts > 2) {
				uint64_t x = from + arg % (nparts - 1), y = from + (arg + 1u) % (nparts - 1);
				char *tp = M.payload[x];
				uint32_t tl = M.len[x];

				if (x != y) {
					M.payload[x] = M.payload[y];
					M.len[x] = M.len[y];
					M.payload[y] = tp;
					M.len[y] = tl;
					M.last = P_BAD;
				}
			}
			break;
		}
	}
	M.last_seq = push + 1;
	M.any_push = M.structured_push = 1;
	propose_from(from);
}

/* Op 6: a push without text=, as written before the text was kept. */
static void op_legacy(struct in *in, uint8_t op)
{
	char *enc, *canon, hx[65], path[4200];
	size_t elen, clen;
	uint8_t h[32];
	uint64_t from = M.n;

	if (pick_policy(in, &enc, &elen, h, &canon, &clen) < 0)
		return;
	free(enc);
	hexs(h, 32, hx);
	if (op & 8) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/policies", M.dir);
		mkdir(path, 0700);
		snprintf(path, sizeof(path), "%s/policies/%s.pol", M.dir, hx);
		f = fopen(path, "w");
		check(f != NULL);
		check(fwrite(canon, 1, clen, f) == clen);
		check(fclose(f) == 0);
		memcpy(M.files[M.nfiles++], h, 32);
	}
	free(canon);
	if (add(AXIOM_POLICY_PUSH, fmt("sha256=%s rules=3 source=old.pol", hx), 0) < 0)
		return;
	M.len[M.n - 1] = (uint32_t)strlen(M.payload[M.n - 1]);
	/* Its file, written by this push or an earlier one of the same
	 * policy, or missing. */
	M.last = P_BAD;
	for (size_t i = 0; i < M.nfiles; i++)
		if (memcmp(M.files[i], h, 32) == 0)
			M.last = P_GOOD;
	memcpy(M.last_hash, h, 32);
	M.last_seq = M.n;
	M.any_push = M.structured_push = 1;
	propose_from(from);
}

static void add_text(uint16_t type, char *s)
{
	uint64_t from = M.n;

	if (s && add(type, s, strlen(s)) == 0)
		propose_from(from);
}

/* A sha256= key (the first, at the start or after a space, before any
 * NUL: the payload is read as a C string) whose value is not 64 lowercase
 * hex digits: such a push is the one in force, and cannot be rebuilt. */
static int bad_sha(const uint8_t *t, size_t tl)
{
	const uint8_t *p = t, *end = t + strnlen((const char *)t, tl);
	size_t n = 0;

	while ((p = memmem(p, (size_t)(end - p), "sha256=", 7)) && p != t && p[-1] != ' ')
		p++;
	if (!p)
		return 0;
	for (p += 7; p + n < end && p[n] != ' '; n++)
		if (!strchr("0123456789abcdef", p[n]))
			return 1;
	return n != 64;
}

static void build(struct in *in)
{
	uint8_t op, b = 0;
	unsigned int ops = 0;

	while (ops++ < OPS_MAX && take(in, &op)) {
		if (getenv("FUZZ_VERBOSE"))
			fprintf(stderr, "fuzz_authz_recover: op %d (0x%02x) at entry %" PRIu64 "\n",
				op & 7, op, M.n + 1);
		switch (op & 7) {
		case 0: {
			const uint8_t *t;
			size_t tl;
			uint16_t type;
			uint64_t from = M.n;

			take(in, &b);
			type = (uint16_t)(1 + b % 7);
			tl = take_bytes(in, &t);
			if (add(type, dup_bytes(t, tl), tl) < 0)
				break;
			if (type == AXIOM_POLICY_PUSH) {
				M.any_push = 1;
				M.last = bad_sha(t, tl) ? P_BAD : P_RAW;
			}
			if ((type == AXIOM_CONN_CLOSE || type == AXIOM_REVOKE) &&
			    memmem(t, tl, "auth=", 5))
				M.raw_close = 1;
			propose_from(from);
			break;
		}
		case 1: {
			uint64_t before = M.n;

			add_text(AXIOM_CONN_AUTHORIZE,
				 fmt("dir=in proto=tcp local=10.0.0.1:80 remote=10.0.0.2:%u rule=1 "
				     "policy=%" PRIu64, 1024u + op, M.last_seq));
			if (M.n > before)
				M.auths[M.nauth++] = M.n;
			break;
		}
		case 2:
		case 3: {
			uint64_t seq;

			take(in, &b);
			seq = M.nauth ? M.auths[b % M.nauth] : b;
			if ((op & 7) == 2)
				add_text(AXIOM_CONN_CLOSE, fmt("auth=%" PRIu64 " reason=closed "
							       "bytes_in=%u bytes_out=0", seq, op));
			else
				add_text(AXIOM_REVOKE, fmt("auth=%" PRIu64 " policy=%" PRIu64
							   " local=10.0.0.1:80 remote=10.0.0.2:9",
							   seq, M.last_seq));
			/* Closing an authorization not (yet) in the log
			 * closes nothing. */
			if (seq >= 1 && seq < M.n && M.type[seq - 1] == AXIOM_CONN_AUTHORIZE)
				M.structured_closed[seq - 1] = 1;
			break;
		}
		case 4:
		case 5:
			op_push(in, (op & 7) == 5);
			break;
		case 6:
			op_legacy(in, op);
			break;
		case 7: {
			const uint8_t *t;
			size_t tl;
			char hx[65];

			take(in, &b);
			hexs(M.last_hash, 32, hx);
			if (op & 8)
				hx[b % 64] = 'g';
			tl = take_bytes(in, &t);
			add_text(AXIOM_POLICY_TEXT, fmt("sha256=%s part=%u/%u text=%.*s", hx, b >> 4,
							b & 15, (int)tl, (const char *)t));
			break;
		}
		}
	}
}

/* Wait for every proposal's result (the writer commits them in order);
 * 30 s at most, so a loaded machine is not a finding. */
static void drain(void)
{
	for (int i = 0; M.done < M.n && i < 300; i++) {
		struct pollfd pfd = { .fd = axiom_event_fd(M.ax), .events = POLLIN };

		poll(&pfd, 1, 100);
		axiom_dispatch(M.ax);
	}
	check(M.done == M.n && !M.failed);
}

/* --- checking the outcome ----------------------------------------------------------- */

static struct fake_host H;

static void quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

static struct axiom *open_log(uint64_t segment_size)
{
	struct axiom_config cfg = { .dir = M.dir, .log = quiet, .segment_size = segment_size };
	struct axiom *ax = NULL;
	char err[512];

	if (axiom_open(&ax, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_authz_recover: axiom_open: %s\n", err);
		check(0);
	}
	return ax;
}

/* Is "sha256=<hx>" a key=value of payload (at its start or after a
 * space)? */
static int names_sha(const char *payload, size_t len, const char *hx)
{
	char key[80];
	const char *p = payload, *end = payload + len;

	snprintf(key, sizeof(key), "sha256=%s", hx);
	while ((p = memmem(p, (size_t)(end - p), key, strlen(key)))) {
		if (p == payload || p[-1] == ' ')
			return 1;
		p++;
	}
	return 0;
}

/* The entries authz_open() wrote (after seq n): start, closes, push. */
static void check_written(int start, const struct pol_policy *pol, uint64_t pseq)
{
	struct axiom_iter *it;
	struct axiom_entry e;
	uint8_t closed[ENTRIES_MAX] = { 0 };
	uint64_t expect = 0, got = 0, seq_next = M.n + 1;
	char err[320];
	int rc, state = start ? 0 : 1; /* 0 start, 1 closes, 2 push, 3 end */

	for (size_t i = 0; i < M.n; i++)
		if (M.type[i] == AXIOM_CONN_AUTHORIZE && !M.structured_closed[i])
			expect++;
	check(axiom_iter_open(&it, M.dir, M.n + 1, err, sizeof(err)) == 0);
	while ((rc = axiom_iter_next(it, &e)) == 1) {
		char text[128];
		unsigned long long auth;
		int used = 0;

		if (e.seq <= M.n)
			continue;
		check(e.seq == seq_next++);
		if (state == 0) {
			check(e.type == AXIOM_START);
			state = 1;
			continue;
		}
		if (state == 1 && e.type == AXIOM_CONN_CLOSE) {
			check(e.len < sizeof(text));
			memcpy(text, e.payload, e.len);
			text[e.len] = '\0';
			check(sscanf(text, "auth=%llu reason=instance-restarted%n", &auth, &used) == 1 &&
			      used == (int)e.len);
			/* An authorization of the old log, not closed before,
			 * closed once. */
			check(auth >= 1 && auth <= M.n && M.type[auth - 1] == AXIOM_CONN_AUTHORIZE);
			check(!M.structured_closed[auth - 1] && !closed[auth - 1]);
			closed[auth - 1] = 1;
			got++;
			continue;
		}
		/* The default's push, only when the log had none of ours
		 * (a raw one may not be well-formed). */
		check(state < 3 && e.type == AXIOM_POLICY_PUSH && !M.structured_push &&
		      e.seq == pseq);
		state = 3;
	}
	check(rc == 0);
	axiom_iter_close(it);
	check(!start || state >= 1);
	check(axiom_head_seq(M.ax) == seq_next - 1);
	if (!M.raw_close)
		check(got == expect);
	else
		check(got <= expect);
	/* The log had no push: the built-in default, pushed now. */
	if (!M.any_push)
		check(state == 3 && pseq > M.n);
	if (pseq > M.n) {
		struct pol_policy *d;
		uint8_t h1[32], h2[32];

		check(state == 3);
		check(pol_builtin_default(&d) == 0);
		policy_sha(d, h1);
		policy_sha(pol, h2);
		check(memcmp(h1, h2, 32) == 0);
		pol_free(d);
	}
}

static void check_policy(const struct pol_policy *pol, uint64_t pseq)
{
	uint8_t h[32];
	char hx[65];

	check(pol != NULL);
	policy_sha(pol, h);
	hexs(h, 32, hx);
	if (pseq > M.n)
		return; /* check_written() saw the default */
	/* It came from a push of the old log that names its hash. */
	check(pseq >= 1 && pseq <= M.n && M.type[pseq - 1] == AXIOM_POLICY_PUSH);
	check(names_sha(M.payload[pseq - 1], M.len[pseq - 1], hx));
	if (M.last != P_RAW)
		check(pseq == M.last_seq && memcmp(h, M.last_hash, 32) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size };
	struct authz_config ac = { 0 };
	struct authz *a = NULL;
	uint8_t steer = 0;
	uint64_t segsz, pseq = 0;
	char err[1024] = "";
	int rc;

	if (size > 8192)
		return 0;
	take(&in, &steer);
	segsz = steer & 4 ? 512 : 1u << 20;
	memset(&M, 0, sizeof(M));
	M.dir = strdup(access("/dev/shm", W_OK) == 0 ? "/dev/shm/axnet-fuzz-authz-XXXXXX" :
		       "/tmp/axnet-fuzz-authz-XXXXXX");
	check(M.dir && mkdtemp(M.dir));
	tmpdir = M.dir;
	M.ax = open_log(segsz);
	build(&in);
	drain();
	if (steer & 2) {
		check(axiom_close(M.ax) == 0);
		M.ax = open_log(segsz);
	}
	check(axiom_head_seq(M.ax) == M.n);

	check(fake_host_init(&H) == 0);
	ac.stack = &H.s;
	ac.ax = M.ax;
	ac.state_dir = M.dir;
	ac.start_text = steer & 1 ? "fuzz start" : NULL;
	rc = authz_open(&a, &ac, err, sizeof(err));
	/* FUZZ_VERBOSE=1 shows what each input came to (seeds, findings). */
	if (getenv("FUZZ_VERBOSE"))
		fprintf(stderr, "fuzz_authz_recover: %" PRIu64 " entries, last push %d: %d %s\n",
			M.n, (int)M.last, rc, rc ? err : "");
	check(rc <= 0);
	if (rc < 0) {
		check(err[0] != '\0' && a == NULL);
		/* Nothing partial: the start group is all or nothing. */
		check(axiom_head_seq(M.ax) == M.n);
		check(M.last == P_BAD || M.last == P_MAYBE || M.last == P_RAW);
	} else {
		const struct pol_policy *pol = authz_policy(a, &pseq);

		check(M.last != P_BAD);
		check_written(steer & 1, pol, pseq);
		check_policy(pol, pseq);
		authz_stop(a);
	}
	check(axiom_close(M.ax) == 0);
	authz_close(a);
	stack_fini(&H.s);
	for (size_t i = 0; i < M.n; i++)
		free(M.payload[i]);
	tmpdir = NULL;
	tmpdir_remove(M.dir);
	return 0;
}
