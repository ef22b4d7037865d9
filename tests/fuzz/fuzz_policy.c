/*
 * fuzz_policy.c - libFuzzer target for the policy parser and everything
 * downstream of a successful parse. The input is policy text.
 *
 * A rejected input must come with a sane error: a message, and a line and
 * column inside the text (a column at most one past the end of its line).
 *
 * An accepted input must:
 *   - compile (with a block size the input picks, so policies of a few
 *     rules still spread over several blocks);
 *   - get the same verdict from the compiled and the linear matcher on
 *     flows made from its own edges: each rule's first and last addresses
 *     and ports, and their neighbours one below and one above; owners that
 *     meet a rule's conditions, miss them by one, or are absent (its
 *     program, a path just longer or shorter, one under a directory);
 *   - have a canonical text that parses back to an equal policy with the
 *     same canonical text, and an annotated listing (pol_format) that does
 *     too.
 * Any failure aborts, so libFuzzer keeps the input.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policy/policy.h"

/* The Makefile builds with plain -fsanitize=undefined, which reports and
 * carries on: make a UBSan report a crash the fuzzer keeps. */
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}

#define FLOWS_MAX 512

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_policy: %s\n", what);
		abort();
	}
}

/* The error must point into the text: line n exists, col <= its length + 1. */
static void check_error(const uint8_t *data, size_t size, int rc, const struct pol_error *err)
{
	size_t at = 0, len;
	unsigned int line = 1;

	check(rc == -EINVAL || rc == -ENOMEM || rc == -EFBIG, "unexpected error code");
	check(err->msg[0] != '\0', "error without a message");
	if (rc != -EINVAL)
		return;
	check(err->line >= 1 && err->col >= 1, "error without a place");
	while (line < err->line) {
		const uint8_t *nl = memchr(data + at, '\n', size - at);

		check(nl != NULL, "error line past the end");
		at = (size_t)(nl - data) + 1;
		line++;
	}
	{
		const uint8_t *nl = memchr(data + at, '\n', size - at);

		len = nl ? (size_t)(nl - (data + at)) : size - at;
	}
	check(err->col <= len + 1, "error column past the end of its line");
}

static void addr_step(uint8_t *a, unsigned int n, int up)
{
	int i;

	for (i = (int)n - 1; i >= 0; i--) {
		a[i] = (uint8_t)(a[i] + (up ? 1 : -1));
		if (a[i] != (up ? 0 : 0xff))
			break;
	}
}

/* Edge k (0..3: first, last, one below, one above) of a prefix. */
static void prefix_edge(const struct pol_prefix *p, unsigned int k, uint8_t *a)
{
	unsigned int max = p->family == AF_INET ? 32 : 128, i;

	memcpy(a, p->addr, 16);
	if (k == 1 || k == 3)
		for (i = p->len; i < max; i++)
			a[i / 8] |= (uint8_t)(0x80u >> (i % 8));
	if (k >= 2)
		addr_step(a, max / 8, k == 3);
	if (max == 32)
		memset(a + 4, 0, 12);
}

static uint16_t port_edge(const struct pol_end *e, unsigned int k, unsigned int j)
{
	const struct pol_range *r;

	if (!e->nport)
		return (uint16_t)(k * 1000);
	r = &e->port[j % e->nport];
	switch (k) {
	case 0: return r->lo;
	case 1: return r->hi;
	case 2: return (uint16_t)(r->lo - 1);
	default: return (uint16_t)(r->hi + 1);
	}
}

/*
 * An owner near rule r's conditions, variant k: ids equal or one off, the
 * path exact, cut short, one byte longer, under it, or unknown.
 */
static void owner_edge(const struct pol_rule *r, unsigned int k, struct ax_cred *c)
{
	size_t n = r->prog ? r->prog_len : 0;

	memset(c, 0, sizeof(*c));
	c->uid = r->uid + (k % 5 == 4);
	c->gid = r->gid - (k % 7 == 6);
	if (!r->prog)
		return;
	memcpy(c->exe, r->prog, n);
	switch (k % 4) {
	case 0: /* the path itself */
		break;
	case 1: /* one byte short */
		c->exe[n - 1] = '\0';
		break;
	case 2: /* one byte more: '/', below it, above it */
		if (n + 1 < sizeof(c->exe))
			c->exe[n] = "/.0\xff"[k / 4 % 4];
		break;
	default: /* under it, or unknown */
		if (k & 8)
			c->exe[0] = '\0';
		else if (n + 2 < sizeof(c->exe))
			memcpy(c->exe + n, "/x", 2);
	}
}

static void compare(const struct pol_policy *p, const struct pol_flow *f)
{
	struct pol_verdict v, l;

	check(pol_match(p, f, &v) == 0 && pol_match_linear(p, f, &l) == 0, "match failed");
	check(v.allow == l.allow && v.rule == l.rule && v.line == l.line,
	      "compiled and linear matchers disagree");
}

static void check_matches(const struct pol_policy *p, const uint8_t *data, size_t size)
{
	static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_ICMPV6,
					  IPPROTO_SCTP };
	unsigned int n = 0, i, k;
	struct pol_flow f;
	struct ax_cred c;

	for (i = 1; i <= pol_nrules(p) && n < FLOWS_MAX; i++) {
		const struct pol_rule *r = pol_rule(p, i);

		for (k = 0; k < 8 && n < FLOWS_MAX; k++, n++) {
			unsigned int fam = r->from.naddr ? r->from.addr[k % r->from.naddr].family
				       : r->to.naddr ? r->to.addr[k % r->to.naddr].family
				       : (k & 1) ? AF_INET6 : AF_INET;

			memset(&f, 0, sizeof(f));
			f.dir = (r->dir == POL_BOTH) ? ((k & 4) ? POL_OUT : POL_IN) : r->dir;
			f.family = (uint8_t)fam;
			f.proto = protos[(i + k) % sizeof(protos)];
			if (r->proto == POL_PROTO_TCP && k < 6)
				f.proto = IPPROTO_TCP;
			else if (r->proto == POL_PROTO_UDP && k < 6)
				f.proto = IPPROTO_UDP;
			if (r->from.naddr && r->from.addr[k % r->from.naddr].family == fam)
				prefix_edge(&r->from.addr[k % r->from.naddr], k % 4, f.src);
			if (r->to.naddr && r->to.addr[(k / 2) % r->to.naddr].family == fam)
				prefix_edge(&r->to.addr[(k / 2) % r->to.naddr], (k + 1) % 4, f.dst);
			f.sport = port_edge(&r->from, k % 4, k);
			f.dport = port_edge(&r->to, (k + 3) % 4, k / 2);
			compare(p, &f);
			if (!r->owner)
				continue;
			f.owner = &c;
			owner_edge(r, k, &c);
			compare(p, &f);
			owner_edge(r, k + 8, &c);
			compare(p, &f);
			/* another rule's owner: where the programs' intervals meet */
			owner_edge(pol_rule(p, 1 + (i + k) % pol_nrules(p)), k, &c);
			compare(p, &f);
		}
	}
	/* and a few flows straight from the input bytes */
	for (i = 0; i + sizeof(f) <= size && i < 8 * sizeof(f); i += sizeof(f)) {
		memcpy(&f, data + i, sizeof(f));
		/* the bytes' owner pointer would point anywhere: an owner from
		 * the bytes too */
		memset(&c, 0, sizeof(c));
		memcpy(&c, data + i, sizeof(f) < sizeof(c) ? sizeof(f) : sizeof(c));
		c.exe[sizeof(c.exe) - 1] = '\0';
		f.owner = (f.dir & 2) ? &c : NULL;
		f.dir = (f.dir & 1) ? POL_IN : POL_OUT;
		f.family = (f.family & 1) ? AF_INET6 : AF_INET;
		if (f.family == AF_INET) {
			memset(f.src + 4, 0, 12);
			memset(f.dst + 4, 0, 12);
		}
		compare(p, &f);
	}
}

static char *listing(const struct pol_policy *p, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	check(f != NULL, "open_memstream");
	check(pol_format(p, f) == 0, "pol_format failed");
	fclose(f);
	return buf;
}

static void check_round_trip(const struct pol_policy *p)
{
	struct pol_policy *q, *r;
	struct pol_error err;
	char *c1, *c2, *l1, *l2, *l3;
	size_t n1, n2, m1, m2, m3;

	check(pol_canonical(p, &c1, &n1) == 0, "pol_canonical failed");
	if (pol_parse(c1, n1, "canonical", &q, &err)) {
		fprintf(stderr, "canonical text rejected: ");
		pol_error_print(&err, stderr);
		fprintf(stderr, "%s", c1);
		abort();
	}
	check(pol_equal(p, q), "canonical text parses to another policy");
	check(pol_canonical(q, &c2, &n2) == 0, "pol_canonical failed");
	check(n1 == n2 && memcmp(c1, c2, n1) == 0, "canonical text is not a fixed point");

	/* the listing's comments must not change the meaning */
	l1 = listing(p, &m1);
	check(pol_parse(l1, m1, "listing", &r, &err) == 0, "listing rejected");
	check(pol_equal(p, r), "listing parses to another policy");
	l2 = listing(r, &m2);
	pol_free(q);
	check(pol_parse(l2, m2, "listing", &q, &err) == 0, "second listing rejected");
	l3 = listing(q, &m3);
	check(m2 == m3 && memcmp(l2, l3, m2) == 0, "listing is not a fixed point");
	free(c1);
	free(c2);
	free(l1);
	free(l2);
	free(l3);
	pol_free(q);
	pol_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned int blocks[] = { 1, 2, 3, 64, POL_BLOCK_RULES };
	struct pol_policy *p = NULL;
	struct pol_error err;
	unsigned int h = 0;
	size_t i;
	int rc;

	rc = pol_parse((const char *)data, size, "fuzz.pol", &p, &err);
	if (rc) {
		check(p == NULL, "a failed parse returned a policy");
		check_error(data, size, rc, &err);
		return 0;
	}
	for (i = 0; i < size; i++)
		h = h * 31 + data[i];
	rc = pol_compile_blocks(p, blocks[h % (sizeof(blocks) / sizeof(blocks[0]))]);
	check(rc == 0 || rc == -ENOMEM, "compile failed");
	if (rc == 0)
		check_matches(p, data, size);
	check_round_trip(p);
	pol_free(p);
	return 0;
}
