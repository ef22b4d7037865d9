/*
 * format.c - the canonical text of a policy, the annotated listing for
 * `axnet policy show`, and the policy's hash.
 *
 * The canonical text spells everything out (the protocol, even when
 * "any"; both defaults, even when implied) so that it reads the same to a
 * human as to the parser, and spells each thing one way only (lists are
 * kept sorted and merged by the parser) so that equal policies hash equal.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "policy/policy_impl.h"

/* Where the comments of pol_format() start, when the rule is shorter. */
#define COMMENT_COL 44

static const char *const proto_name[] = {
	[POL_PROTO_ANY] = "any", [POL_PROTO_TCP] = "tcp",
	[POL_PROTO_UDP] = "udp", [POL_PROTO_ICMP] = "icmp",
};

/* Each put_* returns the characters written, or -1 on a write error. */
static int put_end(FILE *f, const char *side, const struct pol_end *e)
{
	char a[INET6_ADDRSTRLEN];
	int n = 0, r;
	uint16_t i;

	if (!e->naddr && !e->nport)
		return 0;
	r = fprintf(f, " %s", side);
	if (r < 0)
		return -1;
	n += r;
	for (i = 0; i < e->naddr; i++) {
		const struct pol_prefix *p = &e->addr[i];
		unsigned int max = p->family == AF_INET ? 32 : 128;

		inet_ntop(p->family, p->addr, a, sizeof(a));
		r = fprintf(f, "%s%s", i ? "," : " ", a);
		if (r >= 0 && p->len != max) {
			int r2 = fprintf(f, "/%u", p->len);

			r = r2 < 0 ? -1 : r + r2;
		}
		if (r < 0)
			return -1;
		n += r;
	}
	if (e->nport) {
		r = fprintf(f, " port");
		if (r < 0)
			return -1;
		n += r;
	}
	for (i = 0; i < e->nport; i++) {
		const struct pol_range *g = &e->port[i];

		if (g->lo == g->hi)
			r = fprintf(f, "%s%u", i ? "," : " ", g->lo);
		else
			r = fprintf(f, "%s%u-%u", i ? "," : " ", g->lo, g->hi);
		if (r < 0)
			return -1;
		n += r;
	}
	return n;
}

/*
 * The owner conditions, in the order user, group, program. Numbers, not
 * names: the policy holds what the names meant when it was parsed, and the
 * canonical text (hashed, logged) must say what is enforced. A path byte a
 * word cannot hold, or that would mean something else ('%', '*', ',',
 * '#', blanks, non-ASCII), is %XX (lowercase, as the log's texts).
 */
static int path_byte_escaped(unsigned char c)
{
	return c <= 0x20 || c >= 0x7f || c == '%' || c == '*' || c == ',' || c == '#';
}

size_t pol_path_escape(char *buf, size_t size, const char *path, size_t len)
{
	static const char d[] = "0123456789abcdef";
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)path[i];
		char e[3] = { (char)c, 0, 0 };
		size_t k = 1, j;

		if (path_byte_escaped(c)) {
			e[0] = '%';
			e[1] = d[c >> 4];
			e[2] = d[c & 15];
			k = 3;
		}
		for (j = 0; j < k; j++, n++)
			if (n + 1 < size)
				buf[n] = e[j];
	}
	buf[n < size ? n : size - 1] = '\0';
	return n;
}

static int put_owner(FILE *f, const struct pol_rule *r)
{
	static const char d[] = "0123456789abcdef";
	int n = 0, k;
	uint16_t i;

	if (r->owner & POL_OWN_UID) {
		k = fprintf(f, " user %u", r->uid);
		if (k < 0)
			return -1;
		n += k;
	}
	if (r->owner & POL_OWN_GID) {
		k = fprintf(f, " group %u", r->gid);
		if (k < 0)
			return -1;
		n += k;
	}
	if (!(r->owner & POL_OWN_PROG))
		return n;
	if (fputs(" program ", f) < 0)
		return -1;
	n += 9;
	for (i = 0; i < r->prog_len; i++) {
		unsigned char c = (unsigned char)r->prog[i];

		if (path_byte_escaped(c)) {
			if (fputc('%', f) < 0 || fputc(d[c >> 4], f) < 0 || fputc(d[c & 15], f) < 0)
				return -1;
			n += 3;
		} else {
			if (fputc(c, f) < 0)
				return -1;
			n++;
		}
	}
	if (r->prog_dir) {
		if (fputc('*', f) < 0)
			return -1;
		n++;
	}
	return n;
}

static int put_rule(FILE *f, const struct pol_rule *r)
{
	int n, a, b, c;

	n = fprintf(f, "%s%s %s", r->allow ? "allow" : "deny",
		    r->dir == POL_IN ? " in" : r->dir == POL_OUT ? " out" : "",
		    proto_name[r->proto]);
	if (n < 0)
		return -1;
	a = put_end(f, "from", &r->from);
	b = put_end(f, "to", &r->to);
	c = put_owner(f, r);
	return a < 0 || b < 0 || c < 0 ? -1 : n + a + b + c;
}

static const char *verb(uint8_t allow)
{
	return allow ? "allow" : "deny";
}

static void line_desc(char *buf, size_t size, uint32_t line)
{
	if (line)
		snprintf(buf, size, "line %u", line);
	else
		snprintf(buf, size, "implied: no default in the file");
}

/* The defaults, then the rules; with comments if annotate. */
static int put_policy(FILE *f, const struct pol_policy *p, int annotate)
{
	char in[48], out[48];
	uint32_t i;
	int n;

	line_desc(in, sizeof(in), p->def_line[0]);
	line_desc(out, sizeof(out), p->def_line[1]);
	if (p->def_allow[0] == p->def_allow[1]) {
		n = fprintf(f, "default %s", verb(p->def_allow[0]));
		if (annotate && p->def_line[0] == p->def_line[1])
			fprintf(f, "%*s# %s", n < COMMENT_COL ? COMMENT_COL - n : 3, "", in);
		else if (annotate)
			fprintf(f, "%*s# in: %s; out: %s", n < COMMENT_COL ? COMMENT_COL - n : 3,
				"", in, out);
		fputc('\n', f);
	} else {
		n = fprintf(f, "default %s in", verb(p->def_allow[0]));
		if (annotate)
			fprintf(f, "%*s# %s", n < COMMENT_COL ? COMMENT_COL - n : 3, "", in);
		fputc('\n', f);
		n = fprintf(f, "default %s out", verb(p->def_allow[1]));
		if (annotate)
			fprintf(f, "%*s# %s", n < COMMENT_COL ? COMMENT_COL - n : 3, "", out);
		fputc('\n', f);
	}
	for (i = 0; i < p->nrules; i++) {
		n = put_rule(f, &p->rules[i]);
		if (n < 0)
			return -EIO;
		if (annotate)
			fprintf(f, "%*s# rule %u (line %u)", n < COMMENT_COL ? COMMENT_COL - n : 3,
				"", i + 1, p->rules[i].line);
		fputc('\n', f);
	}
	return ferror(f) ? -EIO : 0;
}

int pol_format(const struct pol_policy *p, FILE *out)
{
	return put_policy(out, p, 1);
}

int pol_canonical(const struct pol_policy *p, char **text, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f;
	int rc;

	f = open_memstream(&buf, &n);
	if (!f)
		return -ENOMEM;
	rc = put_policy(f, p, 0);
	/* open_memstream's only failure is memory */
	if (fclose(f) != 0 || rc) {
		free(buf);
		return -ENOMEM;
	}
	*text = buf;
	*len = n;
	return 0;
}

int pol_hash(const struct pol_policy *p, uint8_t out[32])
{
	char *text;
	size_t len;
	int rc;

	if (sodium_init() < 0)
		return -EIO;
	rc = pol_canonical(p, &text, &len);
	if (rc)
		return rc;
	crypto_hash_sha256(out, (const unsigned char *)text, len);
	free(text);
	return 0;
}
