/*
 * parse.c - policy text -> struct pol_policy. The grammar is in
 * policy/README.md.
 *
 * A line at a time: its bytes are checked first (length, NUL, non-ASCII,
 * control characters), the comment is cut off, and what is left is split
 * into words and commas. A word is a maximal run of anything but blanks,
 * ',' and '#', so "8000-8080" and "10.0.0.0/24" are single words whose
 * parts are checked here, with columns pointing inside the word.
 *
 * The rules and their lists grow in the parser's own arrays; the policy
 * object is made only when the whole text is good, so a caller never sees
 * half a policy.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/policy_impl.h"

enum tok_kind { T_END, T_WORD, T_COMMA };

struct tok {
	enum tok_kind kind;
	const char *s;
	size_t n;
	unsigned int col; /* 1-based; for T_END just past the last character */
};

/* Where a rule's lists start in the parser's arrays: pointers are set
 * only at the end, when the arrays have stopped moving. */
struct rule_off {
	uint32_t from_addr, from_port, to_addr, to_port;
	uint32_t prog; /* into str[] */
};

struct parser {
	const char *file;
	struct pol_error *err;
	unsigned int lineno;
	const char *line; /* this line, without comment and trailing blanks */
	size_t len;
	size_t pos;
	struct tok t; /* the current token */

	struct pol_rule *rules;
	struct rule_off *off;
	uint32_t nrules;
	size_t cap_rules, cap_off;
	struct pol_prefix *pfx;
	size_t npfx, cap_pfx;
	struct pol_range *rng;
	size_t nrng, cap_rng;
	char *str; /* `program` paths, each NUL-terminated */
	size_t nstr, cap_str;
	uint8_t def_allow[2];
	uint32_t def_line[2];
};

static int fail(struct parser *ps, unsigned int col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct parser *ps, unsigned int col, const char *fmt, ...)
{
	va_list ap;

	ps->err->line = ps->lineno;
	ps->err->col = col;
	va_start(ap, fmt);
	vsnprintf(ps->err->msg, sizeof(ps->err->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* A piece of the text for a message, quoted; long words are cut so the
 * message keeps its end. */
static void quote(char *buf, size_t size, const char *s, size_t n)
{
	if (n > 40)
		snprintf(buf, size, "'%.36s...'", s);
	else
		snprintf(buf, size, "'%.*s'", (int)n, s);
}

static void describe(const struct tok *t, char *buf, size_t size)
{
	if (t->kind == T_END)
		snprintf(buf, size, "end of line");
	else
		quote(buf, size, t->s, t->n);
}

/* "expected WHAT, got 'TOKEN'", at the current token. */
static int expected(struct parser *ps, const char *what)
{
	char got[64];

	describe(&ps->t, got, sizeof(got));
	return fail(ps, ps->t.col, "expected %s, got %s", what, got);
}

static void next(struct parser *ps)
{
	struct tok *t = &ps->t;
	size_t start;

	while (ps->pos < ps->len && (ps->line[ps->pos] == ' ' || ps->line[ps->pos] == '\t'))
		ps->pos++;
	if (ps->pos >= ps->len) {
		t->kind = T_END;
		t->s = ps->line + ps->len;
		t->n = 0;
		t->col = (unsigned int)ps->len + 1;
		return;
	}
	start = ps->pos;
	t->col = (unsigned int)start + 1;
	t->s = ps->line + start;
	if (ps->line[start] == ',') {
		t->kind = T_COMMA;
		t->n = 1;
		ps->pos++;
		return;
	}
	while (ps->pos < ps->len && ps->line[ps->pos] != ' ' &&
	       ps->line[ps->pos] != '\t' && ps->line[ps->pos] != ',')
		ps->pos++;
	t->kind = T_WORD;
	t->n = ps->pos - start;
}

static int is(const struct tok *t, const char *word)
{
	size_t n = strlen(word);

	return t->kind == T_WORD && t->n == n && memcmp(t->s, word, n) == 0;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 16;
	void *q;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	q = realloc(*p, n * elem);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

static int oom(struct parser *ps)
{
	fail(ps, 0, "out of memory");
	ps->err->line = 0;
	return -ENOMEM;
}

/* --- ports -------------------------------------------------------------- */

/* Decimal 1..65535 in s[0..n), which is at column col. */
static int port_number(struct parser *ps, const char *s, size_t n, unsigned int col,
		       uint16_t *out)
{
	unsigned long v = 0;
	char got[64];
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			break;
		if (v <= 65535)
			v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (n == 0 || i < n || v == 0 || v > 65535) {
		quote(got, sizeof(got), s, n);
		return fail(ps, col, "expected a port (1-65535), got %s", got);
	}
	*out = (uint16_t)v;
	return 0;
}

/* The current word as "P" or "A-B". */
static int port_word(struct parser *ps, struct pol_range *r)
{
	const struct tok *t = &ps->t;
	const char *dash = memchr(t->s, '-', t->n);
	char got[64];
	int rc;

	if (!dash) {
		rc = port_number(ps, t->s, t->n, t->col, &r->lo);
		r->hi = r->lo;
		return rc;
	}
	if (dash == t->s || dash == t->s + t->n - 1) {
		/* "-80" or "80-": the word as a whole is what is wrong */
		quote(got, sizeof(got), t->s, t->n);
		return fail(ps, t->col, "expected a port (1-65535), got %s", got);
	}
	rc = port_number(ps, t->s, (size_t)(dash - t->s), t->col, &r->lo);
	if (rc)
		return rc;
	rc = port_number(ps, dash + 1, t->n - (size_t)(dash - t->s) - 1,
			 t->col + (unsigned int)(dash - t->s) + 1, &r->hi);
	if (rc)
		return rc;
	if (r->lo > r->hi)
		return fail(ps, t->col, "reversed port range %u-%u (the lower port comes first)",
			    r->lo, r->hi);
	return 0;
}

static int cmp_range(const void *a, const void *b)
{
	const struct pol_range *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->hi < y->hi ? -1 : x->hi > y->hi;
}

/* Sort, then merge overlapping and adjacent ranges: one spelling per set
 * of ports, so equal policies compare and hash equal. */
static size_t norm_ranges(struct pol_range *v, size_t n)
{
	size_t i, k = 0;

	qsort(v, n, sizeof(*v), cmp_range);
	for (i = 0; i < n; i++) {
		if (k > 0 && (unsigned int)v[i].lo <= (unsigned int)v[k - 1].hi + 1) {
			if (v[i].hi > v[k - 1].hi)
				v[k - 1].hi = v[i].hi;
			continue;
		}
		v[k++] = v[i];
	}
	return k;
}

/*
 * 'port' PORTS, the current token being 'port'. Ports exist only for TCP
 * and UDP: a rule for ICMP, or for any protocol (which covers ICMP), that
 * named ports would either never match ICMP or silently ignore the ports
 * for it; both would surprise, so it is an error.
 */
static int parse_ports(struct parser *ps, unsigned int proto, uint32_t *first,
		       uint16_t *count)
{
	size_t n = 0;
	int rc;

	if (proto == POL_PROTO_ICMP)
		return fail(ps, ps->t.col, "ports need 'tcp' or 'udp': icmp has no ports");
	if (proto == POL_PROTO_ANY)
		return fail(ps, ps->t.col, "ports need 'tcp' or 'udp': a rule for any "
			    "protocol also covers ICMP, which has no ports");
	*first = (uint32_t)ps->nrng;
	next(ps);
	for (;;) {
		if (ps->t.kind != T_WORD)
			return expected(ps, "a port (1-65535)");
		if (n == POL_LIST_MAX)
			return fail(ps, ps->t.col, "more than %d ports in one list", POL_LIST_MAX);
		if (ps->nrng == POL_ITEMS_MAX)
			return fail(ps, ps->t.col, "more than %u port ranges in the policy",
				    POL_ITEMS_MAX);
		if (grow((void **)&ps->rng, &ps->cap_rng, ps->nrng + 1, sizeof(*ps->rng)))
			return oom(ps);
		rc = port_word(ps, &ps->rng[ps->nrng]);
		if (rc)
			return rc;
		ps->nrng++;
		n++;
		next(ps);
		if (ps->t.kind != T_COMMA)
			break;
		next(ps);
	}
	n = norm_ranges(ps->rng + *first, n);
	ps->nrng = *first + n;
	*count = (uint16_t)n;
	return 0;
}

/* --- addresses ---------------------------------------------------------- */

static int looks_like_address(const struct tok *t)
{
	return t->kind == T_WORD && (memchr(t->s, '.', t->n) || memchr(t->s, ':', t->n) ||
				     memchr(t->s, '/', t->n));
}

/* The current word as ADDRESS or ADDRESS/LENGTH. */
static int address_word(struct parser *ps, struct pol_prefix *p)
{
	const struct tok *t = &ps->t;
	const char *slash = memchr(t->s, '/', t->n);
	size_t an = slash ? (size_t)(slash - t->s) : t->n;
	const char *fam_name;
	char buf[64], got[64], net[INET6_ADDRSTRLEN];
	unsigned int max, v = 0, i;

	memset(p, 0, sizeof(*p));
	p->family = memchr(t->s, ':', an) ? AF_INET6 : AF_INET;
	fam_name = p->family == AF_INET ? "IPv4" : "IPv6";
	max = p->family == AF_INET ? 32 : 128;
	if (an >= sizeof(buf))
		an = sizeof(buf) - 1; /* too long for any address: inet_pton says no */
	memcpy(buf, t->s, an);
	buf[an] = '\0';
	if (inet_pton(p->family, buf, p->addr) != 1) {
		quote(got, sizeof(got), t->s, slash ? (size_t)(slash - t->s) : t->n);
		return fail(ps, t->col, "expected an %s address, got %s", fam_name, got);
	}
	p->len = (uint8_t)max;
	if (slash) {
		const char *l = slash + 1;
		size_t ln = t->n - (size_t)(l - t->s);
		unsigned int lcol = t->col + (unsigned int)(l - t->s);

		for (i = 0; i < ln && l[i] >= '0' && l[i] <= '9'; i++)
			if (v <= 1000)
				v = v * 10 + (unsigned int)(l[i] - '0');
		if (ln == 0 || i < ln) {
			if (ln == 0)
				snprintf(got, sizeof(got), "nothing");
			else
				quote(got, sizeof(got), l, ln);
			return fail(ps, lcol, "expected a prefix length (0-%u) after '/', got %s",
				    max, got);
		}
		if (v > max) {
			quote(got, sizeof(got), l, ln);
			/* the digits as written: the value may not fit */
			return fail(ps, lcol, "bad prefix length %.*s for an %s address",
				    (int)strlen(got) - 2, got + 1, fam_name);
		}
		p->len = (uint8_t)v;
	}
	/*
	 * Host bits: "10.0.0.1/24" is more likely a typo for a host, or for
	 * its network, than a deliberate way to write 10.0.0.0/24. Guessing
	 * either way would open or close a whole subnet, so it is an error
	 * that says what the network would be.
	 */
	for (i = p->len; i < max; i++) {
		if (p->addr[i / 8] & (0x80u >> (i % 8)))
			break;
	}
	if (i < max) {
		struct pol_prefix q = *p;

		for (i = p->len; i < max; i++)
			q.addr[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
		inet_ntop(q.family, q.addr, net, sizeof(net));
		quote(got, sizeof(got), t->s, t->n);
		return fail(ps, t->col, "host bits set in %.*s (the network is %s/%u)",
			    (int)strlen(got) - 2, got + 1, net, p->len);
	}
	return 0;
}

static int cmp_prefix(const void *a, const void *b)
{
	const struct pol_prefix *x = a, *y = b;
	int c;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	c = memcmp(x->addr, y->addr, sizeof(x->addr));
	if (c)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

/* Is b inside a? */
static int prefix_covers(const struct pol_prefix *a, const struct pol_prefix *b)
{
	unsigned int i;

	if (a->family != b->family || a->len > b->len)
		return 0;
	for (i = 0; i < a->len / 8u; i++)
		if (a->addr[i] != b->addr[i])
			return 0;
	if (a->len % 8)
		return ((a->addr[i] ^ b->addr[i]) & (0xff00u >> (a->len % 8))) == 0;
	return 1;
}

/*
 * Sort by family, address, then length, and drop prefixes inside another
 * one of the list. Prefixes either nest or are disjoint, and a prefix
 * sorts before everything inside it, which therefore follows it without a
 * gap: comparing with the last one kept is enough.
 */
static size_t norm_prefixes(struct pol_prefix *v, size_t n)
{
	size_t i, k = 0;

	qsort(v, n, sizeof(*v), cmp_prefix);
	for (i = 0; i < n; i++) {
		if (k > 0 && prefix_covers(&v[k - 1], &v[i]))
			continue;
		v[k++] = v[i];
	}
	return k;
}

/* ADDR { ',' ADDR }, at the first address. */
static int parse_addresses(struct parser *ps, const char *side, uint32_t *first,
			   uint16_t *count)
{
	size_t n = 0;
	int rc;

	*first = (uint32_t)ps->npfx;
	for (;;) {
		if (is(&ps->t, "any"))
			return fail(ps, ps->t.col, "'any' cannot be part of a list");
		if (!looks_like_address(&ps->t)) {
			char what[64];

			snprintf(what, sizeof(what), "an address after '%s'", n ? "," : side);
			return expected(ps, what);
		}
		if (n == POL_LIST_MAX)
			return fail(ps, ps->t.col, "more than %d addresses in one list",
				    POL_LIST_MAX);
		if (ps->npfx == POL_ITEMS_MAX)
			return fail(ps, ps->t.col, "more than %u addresses in the policy",
				    POL_ITEMS_MAX);
		if (grow((void **)&ps->pfx, &ps->cap_pfx, ps->npfx + 1, sizeof(*ps->pfx)))
			return oom(ps);
		rc = address_word(ps, &ps->pfx[ps->npfx]);
		if (rc)
			return rc;
		ps->npfx++;
		n++;
		next(ps);
		if (ps->t.kind != T_COMMA)
			break;
		next(ps);
	}
	n = norm_prefixes(ps->pfx + *first, n);
	ps->npfx = *first + n;
	*count = (uint16_t)n;
	return 0;
}


/* --- owner conditions ---------------------------------------------------- */

static int all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return n > 0;
}

/*
 * The current word as a uid or gid: decimal (0-4294967294: (uid_t)-1 is
 * "no id" to the kernel), else a name looked up now. A word of digits is
 * always a number, as in chown(1).
 */
static int id_word(struct parser *ps, int group, uint32_t *out)
{
	const struct tok *t = &ps->t;
	const char *what = group ? "group" : "user";
	char name[256], got[64], buf[16384];
	int rc;

	if (t->kind != T_WORD) {
		snprintf(name, sizeof(name), "a %s name or %s after '%s'", what,
			 group ? "gid" : "uid", what);
		return expected(ps, name);
	}
	quote(got, sizeof(got), t->s, t->n);
	if (all_digits(t->s, t->n)) {
		unsigned long long v = 0;
		size_t i;

		for (i = 0; i < t->n && v <= 0xffffffffull; i++)
			v = v * 10 + (unsigned long long)(t->s[i] - '0');
		if (v >= 0xffffffffull)
			return fail(ps, t->col, "expected a %s (0-4294967294), got %s",
				    group ? "gid" : "uid", got);
		*out = (uint32_t)v;
		return 0;
	}
	if (t->n >= sizeof(name))
		return fail(ps, t->col, "unknown %s %s", what, got);
	memcpy(name, t->s, t->n);
	name[t->n] = '\0';
	if (group) {
		struct group g, *res = NULL;

		rc = getgrnam_r(name, &g, buf, sizeof(buf), &res);
		if (res) {
			*out = (uint32_t)g.gr_gid;
			return 0;
		}
	} else {
		struct passwd pw, *res = NULL;

		rc = getpwnam_r(name, &pw, buf, sizeof(buf), &res);
		if (res) {
			*out = (uint32_t)pw.pw_uid;
			return 0;
		}
	}
	if (rc && rc != ENOENT && rc != ESRCH && rc != EBADF && rc != EPERM)
		return fail(ps, t->col, "cannot look up %s %s: %s", what, got, strerror(rc));
	return fail(ps, t->col, "unknown %s %s", what, got);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * The current word as a `program` path, decoded into the parser's string
 * pool: an absolute path, %XX for any byte a word cannot hold (blanks,
 * ',', '#', '%', '*', non-ASCII); a last component of an unescaped '*'
 * makes it a directory that every program under it matches. /proc/PID/exe
 * shows a resolved path: one with "//", "/./" or "/../" in it, or that
 * ends in '/', could never match, so it is an error.
 */
static int prog_word(struct parser *ps, struct pol_rule *r, uint32_t *off)
{
	const struct tok *t = &ps->t;
	char path[POL_PROG_MAX + 2], got[64];
	size_t i, n = 0;

	if (t->kind != T_WORD)
		return expected(ps, "an absolute path after 'program'");
	quote(got, sizeof(got), t->s, t->n);
	if (t->s[0] != '/')
		return fail(ps, t->col, "expected an absolute path after 'program', got %s", got);
	r->prog_dir = 0;
	for (i = 0; i < t->n; i++) {
		unsigned int col = t->col + (unsigned int)i;
		char c = t->s[i];

		if (c == '*') {
			if (i + 1 != t->n || t->s[i - 1] != '/')
				return fail(ps, col, "'*' only as a path's last part ('/dir/*': "
					    "every program under /dir/); %%2a is a '*'");
			r->prog_dir = 1;
			break;
		}
		if (c == '%') {
			int hi = i + 2 < t->n ? hexval(t->s[i + 1]) : -1;
			int lo = i + 2 < t->n ? hexval(t->s[i + 2]) : -1;

			if (hi < 0 || lo < 0)
				return fail(ps, col, "'%%' in a path must be followed by two hex "
					    "digits (%%20 is a space)");
			c = (char)(hi << 4 | lo);
			if (c == '\0')
				return fail(ps, col, "%%00 in a path (a path has no NUL)");
			i += 2;
		}
		if (n == POL_PROG_MAX)
			return fail(ps, t->col, "path longer than %d bytes after decoding (an "
				    "owner's executable is never longer)", POL_PROG_MAX);
		path[n++] = c;
	}
	path[n] = '\0';
	if (strstr(path, "//") || strstr(path, "/./") || strstr(path, "/../") ||
	    (n >= 2 && strcmp(path + n - 2, "/.") == 0) ||
	    (n >= 3 && strcmp(path + n - 3, "/..") == 0))
		return fail(ps, t->col, "%s is not a resolved path ('//', '.' or '..' in it): an "
			    "owner's executable never is, so the rule could never match", got);
	if (!r->prog_dir && path[n - 1] == '/')
		return fail(ps, t->col, "%s ends in '/': no program does (for every program "
			    "under a directory: '/dir/*')", got);
	if (ps->nstr + n + 1 > (size_t)POL_ITEMS_MAX * 16)
		return fail(ps, t->col, "more than %u bytes of paths in the policy",
			    POL_ITEMS_MAX * 16);
	if (grow((void **)&ps->str, &ps->cap_str, ps->nstr + n + 1, 1))
		return oom(ps);
	memcpy(ps->str + ps->nstr, path, n + 1);
	*off = (uint32_t)ps->nstr;
	ps->nstr += n + 1;
	r->prog_len = (uint16_t)n;
	return 0;
}

/*
 * { ('user' ID | 'group' ID | 'program' PATH) }, each at most once, in any
 * order, at the current token; they end the rule. want: what else the rule
 * could have had here, for the message if what follows is none of them.
 */
static int parse_owner(struct parser *ps, struct pol_rule *r, struct rule_off *o,
		       const char *want)
{
	static const char *const kw[] = { "user", "group", "program" };
	unsigned int k, first = 3;
	char msg[160];
	int rc;

	for (;;) {
		for (k = 0; k < 3 && !is(&ps->t, kw[k]); k++)
			;
		if (k == 3)
			break;
		if (r->owner & (1u << k))
			return fail(ps, ps->t.col, "second '%s' in one rule", kw[k]);
		if (first == 3)
			first = k;
		next(ps);
		if (k == 0)
			rc = id_word(ps, 0, &r->uid);
		else if (k == 1)
			rc = id_word(ps, 1, &r->gid);
		else
			rc = prog_word(ps, r, &o->prog);
		if (rc)
			return rc;
		r->owner |= (uint8_t)(1u << k);
		next(ps);
	}
	if (ps->t.kind == T_END)
		return 0;
	if (r->owner && (is(&ps->t, "from") || is(&ps->t, "to") || is(&ps->t, "port")))
		return fail(ps, ps->t.col, "'%.*s' must come before '%s'", (int)ps->t.n, ps->t.s,
			    kw[first]);
	msg[0] = '\0';
	if (!r->owner) {
		snprintf(msg, sizeof(msg), "%s%s'user', 'group', 'program' or end of line", want,
			 *want ? ", " : "");
	} else {
		size_t m = 0;

		for (k = 0; k < 3; k++)
			if (!(r->owner & (1u << k)))
				m += (size_t)snprintf(msg + m, sizeof(msg) - m, "'%s', ", kw[k]);
		snprintf(msg + m, sizeof(msg) - m, "%send of line", m ? "or " : "");
		if (m) {
			/* "'a', or end" reads badly: drop the last comma */
			char *c = strstr(msg, ", or end");

			if (c)
				memmove(c, c + 1, strlen(c + 1) + 1);
		}
	}
	return expected(ps, msg);
}

/* --- statements --------------------------------------------------------- */

/*
 * ('from' | 'to') ( ADDRS ['port' PORTS] | 'any' ['port' PORTS] |
 * 'port' PORTS ), the current token being 'from' or 'to'. *addr_col gets
 * the column of the addresses (0 if none).
 */
static int parse_end(struct parser *ps, unsigned int proto, struct pol_end *e,
		     uint32_t *addr_off, uint32_t *port_off, unsigned int *addr_col)
{
	const char *side = is(&ps->t, "from") ? "from" : "to";
	char what[64];
	int rc;

	*addr_col = 0;
	next(ps);
	if (is(&ps->t, "any")) {
		unsigned int col = ps->t.col;

		next(ps);
		if (ps->t.kind == T_COMMA)
			return fail(ps, col, "'any' cannot be part of a list");
	} else if (looks_like_address(&ps->t)) {
		*addr_col = ps->t.col;
		rc = parse_addresses(ps, side, addr_off, &e->naddr);
		if (rc)
			return rc;
	} else if (!is(&ps->t, "port")) {
		snprintf(what, sizeof(what), "an address, 'any' or 'port' after '%s'", side);
		return expected(ps, what);
	}
	if (is(&ps->t, "port"))
		return parse_ports(ps, proto, port_off, &e->nport);
	return 0;
}

static unsigned int families(const struct parser *ps, uint32_t off, uint16_t n)
{
	unsigned int f = 0;
	uint16_t i;

	if (n == 0)
		return 3;
	for (i = 0; i < n; i++)
		f |= ps->pfx[off + i].family == AF_INET ? 1 : 2;
	return f;
}

/* ACTION [DIR] [PROTO] ['from' END] ['to' END], at the action. */
static int parse_rule(struct parser *ps)
{
	static const char *const proto_names[] = {
		[POL_PROTO_ANY] = "any", [POL_PROTO_TCP] = "tcp",
		[POL_PROTO_UDP] = "udp", [POL_PROTO_ICMP] = "icmp",
	};
	struct pol_rule r = { .dir = POL_BOTH, .proto = POL_PROTO_ANY };
	struct rule_off o = { 0, 0, 0, 0, 0 };
	const char *want = "'in', 'out', a protocol, 'from', 'to'";
	unsigned int i, from_col = 0, to_col = 0;
	int rc;

	if (ps->nrules == POL_RULES_MAX)
		return fail(ps, ps->t.col, "more than %d rules", POL_RULES_MAX);
	r.allow = is(&ps->t, "allow");
	r.line = ps->lineno;
	next(ps);
	if (is(&ps->t, "in") || is(&ps->t, "out")) {
		r.dir = is(&ps->t, "in") ? POL_IN : POL_OUT;
		want = "a protocol, 'from', 'to'";
		next(ps);
	}
	for (i = 0; i < sizeof(proto_names) / sizeof(proto_names[0]); i++) {
		if (is(&ps->t, proto_names[i])) {
			r.proto = (uint8_t)i;
			want = "'from', 'to'";
			next(ps);
			break;
		}
	}
	if (is(&ps->t, "from")) {
		rc = parse_end(ps, r.proto, &r.from, &o.from_addr, &o.from_port, &from_col);
		if (rc)
			return rc;
		want = r.from.nport ? "'to'" : "'port', 'to'";
	}
	if (is(&ps->t, "to")) {
		rc = parse_end(ps, r.proto, &r.to, &o.to_addr, &o.to_port, &to_col);
		if (rc)
			return rc;
		want = r.to.nport ? "" : "'port'";
		if (is(&ps->t, "from"))
			return fail(ps, ps->t.col, "'from' must come before 'to'");
	}
	rc = parse_owner(ps, &r, &o, want);
	if (rc)
		return rc;
	if (!(families(ps, o.from_addr, r.from.naddr) & families(ps, o.to_addr, r.to.naddr)))
		return fail(ps, to_col, "no address after 'to' is of the family of those "
			    "after 'from': the rule could never match");

	if (grow((void **)&ps->rules, &ps->cap_rules, ps->nrules + 1, sizeof(*ps->rules)) ||
	    grow((void **)&ps->off, &ps->cap_off, ps->nrules + 1, sizeof(*ps->off)))
		return oom(ps);
	ps->rules[ps->nrules] = r;
	ps->off[ps->nrules] = o;
	ps->nrules++;
	return 0;
}

/* 'default' ACTION [DIR], at 'default'. */
static int parse_default(struct parser *ps)
{
	static const char *const dir_name[] = { "in", "out" };
	unsigned int col = ps->t.col, dirs = POL_BOTH, d;
	uint8_t allow;

	next(ps);
	if (!is(&ps->t, "allow") && !is(&ps->t, "deny"))
		return expected(ps, "'allow' or 'deny' after 'default'");
	allow = is(&ps->t, "allow");
	next(ps);
	if (is(&ps->t, "in") || is(&ps->t, "out")) {
		dirs = is(&ps->t, "in") ? POL_IN : POL_OUT;
		next(ps);
		if (ps->t.kind != T_END)
			return expected(ps, "end of line");
	} else if (ps->t.kind != T_END) {
		return expected(ps, "'in', 'out' or end of line");
	}
	for (d = 0; d < 2; d++)
		if ((dirs & (1u << d)) && ps->def_line[d])
			return fail(ps, col, "second default for '%s' (the first is on line %u)",
				    dir_name[d], ps->def_line[d]);
	for (d = 0; d < 2; d++) {
		if (dirs & (1u << d)) {
			ps->def_allow[d] = allow;
			ps->def_line[d] = ps->lineno;
		}
	}
	return 0;
}

/*
 * Check the bytes of a line (without its newline). Non-ASCII is refused
 * in comments too: bidirectional-override characters can make a comment
 * hide a rule from a reviewer ("Trojan Source", CVE-2021-42574), and a
 * policy file gains nothing from them.
 */
static int check_bytes(struct parser *ps, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i == POL_LINE_MAX)
			return fail(ps, (unsigned int)i + 1, "line longer than %d bytes",
				    POL_LINE_MAX);
		if (c == 0)
			return fail(ps, (unsigned int)i + 1, "NUL byte (a policy is text)");
		if (c >= 0x80)
			return fail(ps, (unsigned int)i + 1,
				    "non-ASCII byte 0x%02x (a policy is ASCII, comments too)", c);
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return fail(ps, (unsigned int)i + 1, "control character 0x%02x", c);
	}
	return 0;
}

static int parse_line(struct parser *ps, const char *s, size_t n)
{
	const char *hash;
	int rc;

	if (n > 0 && s[n - 1] == '\r') /* CRLF files */
		n--;
	rc = check_bytes(ps, s, n);
	if (rc)
		return rc;
	hash = memchr(s, '#', n);
	if (hash)
		n = (size_t)(hash - s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	ps->line = s;
	ps->len = n;
	ps->pos = 0;
	next(ps);
	if (ps->t.kind == T_END)
		return 0;
	if (is(&ps->t, "allow") || is(&ps->t, "deny"))
		return parse_rule(ps);
	if (is(&ps->t, "default"))
		return parse_default(ps);
	return expected(ps, "'allow', 'deny' or 'default'");
}

/* Move the parser's arrays into a new policy. */
static int finish(struct parser *ps, struct pol_policy **out)
{
	struct pol_policy *p = calloc(1, sizeof(*p));
	uint32_t i;

	if (!p)
		return oom(ps);
	p->rules = ps->rules;
	p->nrules = ps->nrules;
	p->pfx = ps->pfx;
	p->npfx = ps->npfx;
	p->rng = ps->rng;
	p->nrng = ps->nrng;
	p->str = ps->str;
	p->nstr = ps->nstr;
	ps->str = NULL;
	ps->rules = NULL;
	ps->pfx = NULL;
	ps->rng = NULL;
	for (i = 0; i < p->nrules; i++) {
		struct pol_rule *r = &p->rules[i];
		const struct rule_off *o = &ps->off[i];

		r->from.addr = r->from.naddr ? p->pfx + o->from_addr : NULL;
		r->from.port = r->from.nport ? p->rng + o->from_port : NULL;
		r->to.addr = r->to.naddr ? p->pfx + o->to_addr : NULL;
		r->to.port = r->to.nport ? p->rng + o->to_port : NULL;
		r->prog = (r->owner & POL_OWN_PROG) ? p->str + o->prog : NULL;
	}
	/* Without a default: inbound is refused, outbound allowed, as a host
	 * behind a stateful firewall would be. */
	p->def_allow[0] = ps->def_line[0] ? ps->def_allow[0] : 0;
	p->def_allow[1] = ps->def_line[1] ? ps->def_allow[1] : 1;
	p->def_line[0] = ps->def_line[0];
	p->def_line[1] = ps->def_line[1];
	*out = p;
	return 0;
}

int pol_parse(const char *text, size_t len, const char *filename,
	      struct pol_policy **out, struct pol_error *err)
{
	struct parser ps = { .file = filename, .err = err };
	size_t at = 0;
	int rc = 0;

	memset(err, 0, sizeof(*err));
	snprintf(err->file, sizeof(err->file), "%s", filename ? filename : "<policy>");
	if (len > POL_FILE_MAX) {
		snprintf(err->msg, sizeof(err->msg), "policy larger than %u bytes", POL_FILE_MAX);
		return -EFBIG;
	}
	while (at < len && rc == 0) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t n = nl ? (size_t)(nl - (text + at)) : len - at;

		ps.lineno++;
		rc = parse_line(&ps, text + at, n);
		at += n + 1;
	}
	if (rc == 0)
		rc = finish(&ps, out);
	if (rc == 0)
		memset(err, 0, sizeof(*err));
	free(ps.rules);
	free(ps.off);
	free(ps.pfx);
	free(ps.rng);
	free(ps.str);
	return rc;
}

int pol_parse_file(const char *path, struct pol_policy **out, struct pol_error *err)
{
	size_t len = 0, cap = 0;
	char *buf = NULL;
	int fd, rc;

	memset(err, 0, sizeof(*err));
	snprintf(err->file, sizeof(err->file), "%s", path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(err->msg, sizeof(err->msg), "cannot open: %s", strerror(-rc));
		return rc;
	}
	/* Read to the end rather than trust st_size: pipes and /proc have
	 * none. One byte more than allowed is enough to know it is too big. */
	for (;;) {
		ssize_t r;

		if (len == cap) {
			char *nb;

			if (cap > POL_FILE_MAX) {
				snprintf(err->msg, sizeof(err->msg), "larger than %u bytes",
					 POL_FILE_MAX);
				rc = -EFBIG;
				goto out;
			}
			cap = cap ? cap * 2 : 65536;
			if (cap > (size_t)POL_FILE_MAX + 1)
				cap = (size_t)POL_FILE_MAX + 1;
			nb = realloc(buf, cap);
			if (!nb) {
				snprintf(err->msg, sizeof(err->msg), "out of memory");
				rc = -ENOMEM;
				goto out;
			}
			buf = nb;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			snprintf(err->msg, sizeof(err->msg), "cannot read: %s", strerror(-rc));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	rc = pol_parse(buf ? buf : "", len, path, out, err);
out:
	free(buf);
	close(fd);
	return rc;
}

void pol_error_print(const struct pol_error *err, FILE *out)
{
	if (err->line)
		fprintf(out, "%s:%u:%u: %s\n", err->file, err->line, err->col, err->msg);
	else
		fprintf(out, "%s: %s\n", err->file, err->msg);
}
