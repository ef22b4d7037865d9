/*
 * policy.h - the connection policy: a small text language (grammar in
 * policy/README.md), its parser, and a compiled first-match classifier
 * that answers "may this connection be opened?" for every new flow.
 *
 * Life of a policy:
 *   pol_parse() / pol_parse_file()  text -> a new, complete policy object,
 *                                   or an error with file:line:col; never
 *                                   half a policy
 *   pol_compile()                   builds the matcher (allocates; see cost)
 *   pol_match()                     decides one flow; allocates nothing
 *   pol_free()
 *
 * Ownership: a policy is owned by whoever got it from pol_parse*() or
 * pol_builtin_default(); rule pointers handed out by pol_rule() live as
 * long as the policy.
 *
 * Names in `user` and `group` conditions are resolved when the text is
 * parsed (getpwnam_r, getgrnam_r: the system's user database); the policy
 * holds the numbers, so a later change of /etc/passwd changes nothing
 * until the text is parsed again.
 *
 * Threads: parsing and compiling touch only the new object. A compiled
 * policy is immutable: pol_match() may run on any number of threads at
 * once. Replacing a policy (swap a pointer) and freeing the old one only
 * when no thread can still be in pol_match() on it is the caller's job.
 *
 * Costs (measured by tests/bench/policy_bench.c, see policy/README.md):
 * parsing is linear in the text. Compiling takes O(R * B) time and at most
 * about B bits per rule, dimension and class it lands in, for R rules and
 * blocks of B = POL_BLOCK_RULES (a rule lands in one to four classes: its
 * directions times its address families). Firewall-like rules: 6 MiB and
 * 7-11 ms for 10,000; the ceiling, 65,536 rules in four classes each, is
 * 270 MiB and 0.7 s. A match is O(R / B * (log B + B / 64)): about 0.1 us
 * typical and 0.5-0.7 us worst (no rule matches) for 10,000 rules.
 */
#ifndef AX_POLICY_H
#define AX_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/cred.h"

/* --- Limits and tunables (the language's limits are part of its contract) */

/* Bytes in a `program` path, decoded: an owner's executable is at most
 * this long (util/cred.h), so a longer path could never match. */
#define POL_PROG_MAX (AX_CRED_EXE_MAX - 1)
/* Bytes in a line, without its newline: longer lines are an error. */
#define POL_LINE_MAX 4096
/* Rules in a policy (defaults not counted). */
#define POL_RULES_MAX 65536
/* Addresses, or ports and ranges, in one list ("80,443,8000-8080"). A
 * 4096-byte line cannot hold many more than this anyway. */
#define POL_LIST_MAX 1024
/* Addresses and port ranges in a whole policy, each: bounds memory for a
 * file of POL_RULES_MAX rules with long lists. */
#define POL_ITEMS_MAX (1u << 20)
/* pol_parse_file() refuses larger files: 65536 rules of 256 bytes fit. */
#define POL_FILE_MAX (16u << 20)
/*
 * Rules per bit-vector block of the compiled matcher. Memory grows as
 * R * B bytes (one bit per rule for each elementary interval, two
 * intervals per rule and dimension); a match does one binary search per
 * dimension and block, so fewer, larger blocks are faster. 1024: about
 * 1 KiB per rule and a few hundred ns per block (policy_bench).
 */
#ifndef POL_BLOCK_RULES
#define POL_BLOCK_RULES 1024u
#endif

/* --- Policies and rules --------------------------------------------- */

/* Directions, as bits: a rule's `dir` may hold both, a flow's exactly one. */
#define POL_IN 1u  /* the peer opened the connection to us */
#define POL_OUT 2u /* we opened it */
#define POL_BOTH (POL_IN | POL_OUT)

enum pol_proto {
	POL_PROTO_ANY,  /* every IP protocol, including ones not named here */
	POL_PROTO_TCP,
	POL_PROTO_UDP,
	POL_PROTO_ICMP, /* ICMP for IPv4 flows, ICMPv6 for IPv6 flows */
};

/* An address prefix; host bits are zero (the parser rejects others). */
struct pol_prefix {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t len;    /* 0..32 or 0..128 */
	uint8_t addr[16]; /* network order; IPv4 in the first 4 bytes */
};

struct pol_range {
	uint16_t lo, hi; /* 1 <= lo <= hi */
};

/*
 * One side of a connection. Lists are sorted and minimal: addresses by
 * family then address, none inside another; port ranges ascending,
 * disjoint and not adjacent. An empty list means "any".
 */
struct pol_end {
	const struct pol_prefix *addr;
	const struct pol_range *port;
	uint16_t naddr, nport;
};

/*
 * Conditions on the connection's owner (util/cred.h: the program whose
 * socket it is), as bits of pol_rule.owner. A rule with any of them
 * never matches a flow without an owner.
 */
#define POL_OWN_UID 1u  /* `user NAME|UID`: the owner's uid is uid */
#define POL_OWN_GID 2u  /* `group NAME|GID`: the owner's (primary) gid is gid */
#define POL_OWN_PROG 4u /* `program PATH`: the owner's executable is prog */

struct pol_rule {
	uint8_t allow;   /* 1 allow, 0 deny */
	uint8_t dir;     /* POL_IN, POL_OUT or POL_BOTH */
	uint8_t proto;   /* enum pol_proto */
	uint8_t owner;   /* POL_OWN_* bits: the owner conditions it has */
	struct pol_end from; /* the side that opened the connection */
	struct pol_end to;   /* the side it was opened to */
	uint32_t uid, gid;   /* with POL_OWN_UID, POL_OWN_GID (names resolved
			      * when parsed) */
	/* With POL_OWN_PROG: an absolute path (decoded: any byte but NUL),
	 * matched exactly against the owner's executable; or, when prog_dir,
	 * a directory path ending in '/' (written "/dir/" then "*") that every
	 * executable under it matches. NULL without POL_OWN_PROG. */
	const char *prog;
	uint16_t prog_len; /* strlen(prog) */
	uint8_t prog_dir;
	uint32_t line;   /* in the source text, 1-based */
};

struct pol_policy; /* opaque: see the accessors below */

/*
 * Where parsing failed: line and col are 1-based (col counts bytes; for a
 * truncated rule it is the column just past the rule's last character);
 * both are 0 for errors without a place (cannot open the file). msg says
 * what was expected and what was found, as in
 *   p.pol:3:17: expected a port (1-65535), got '70000'
 */
struct pol_error {
	char file[256];
	unsigned int line, col;
	char msg[256];
};

/*
 * Parse len bytes of policy text (need not be NUL-terminated); filename is
 * only copied into errors. On success *out is a new policy, not compiled.
 * 0, -EINVAL (the text is wrong: *err says where and why), -EFBIG (more
 * than POL_FILE_MAX bytes) or -ENOMEM (*err says so too). *out is
 * untouched on failure.
 */
int pol_parse(const char *text, size_t len, const char *filename,
	      struct pol_policy **out, struct pol_error *err);
/* pol_parse() on a file's contents (at most POL_FILE_MAX bytes). Adds
 * -errno from open/read, with err->line == 0. */
int pol_parse_file(const char *path, struct pol_policy **out,
		   struct pol_error *err);
/* "file:line:col: msg\n", or "file: msg\n" for errors without a place. */
void pol_error_print(const struct pol_error *err, FILE *out);

/*
 * The policy axnet runs with when given none:
 *   allow in icmp
 *   default deny in
 *   default allow out
 * i.e. inbound only ICMP echo, outbound everything. Returned compiled.
 * 0 or -ENOMEM.
 */
int pol_builtin_default(struct pol_policy **out);

void pol_free(struct pol_policy *p);

uint32_t pol_nrules(const struct pol_policy *p);
/* Rule n, 1-based as in verdicts and pol_format(); NULL if out of range. */
const struct pol_rule *pol_rule(const struct pol_policy *p, uint32_t n);
/* The fallback for one direction (POL_IN or POL_OUT): 1 allow, 0 deny.
 * *line (may be NULL) gets the line of its `default` statement, or 0
 * when the file has none for that direction (then: deny in, allow out). */
int pol_default(const struct pol_policy *p, unsigned int dir, uint32_t *line);

/* Same rules in the same order and the same defaults (line numbers and
 * spelling ignored). 1 or 0. */
int pol_equal(const struct pol_policy *a, const struct pol_policy *b);

/* --- Canonical text -------------------------------------------------- */

/*
 * The canonical text: both defaults first (explicit even when the file
 * had none), then one rule per line, lists sorted and merged, nothing
 * else. It parses back to an equal policy and is the input of pol_hash(),
 * so two files that differ only in comments, spacing, list order or
 * implied defaults have the same hash. *text is malloc'ed and
 * NUL-terminated; the caller frees it. 0 or -ENOMEM.
 */
int pol_canonical(const struct pol_policy *p, char **text, size_t *len);
/* The canonical text with each line's origin as a comment, for humans:
 *   allow in tcp from 10.0.0.0/24 to port 80,443   # rule 2 (line 3)
 * 0 or -EIO. */
int pol_format(const struct pol_policy *p, FILE *out);
/* SHA-256 of pol_canonical()'s text. 0, -ENOMEM, or -EIO if libsodium
 * cannot initialise. */
int pol_hash(const struct pol_policy *p, uint8_t out[32]);

/*
 * A path written as a `program` condition writes it: %XX (lowercase) for
 * blanks, ',', '#', '%', '*', control and non-ASCII bytes, the rest as is;
 * so the log's exe= of a connection can be quoted in a rule verbatim.
 * Writes at most size - 1 bytes and a NUL (size > 0); returns the length
 * the whole would take, as snprintf.
 */
size_t pol_path_escape(char *buf, size_t size, const char *path, size_t len);

/* --- Matching -------------------------------------------------------- */

/* A connection to decide on. from/to in the language = src/dst here:
 * src opened the connection, so for an inbound flow src is the peer. */
struct pol_flow {
	uint8_t dir;    /* POL_IN or POL_OUT */
	uint8_t proto;  /* IPPROTO_TCP, _UDP, _ICMP, _ICMPV6 or any other */
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t src[16], dst[16]; /* network order; IPv4 in the first 4 bytes */
	uint16_t sport, dport;    /* host order; ignored unless TCP or UDP */
	/* Whose socket the connection is (the program that opened it, or
	 * the listener's for an inbound one), NULL: none known. Rules with
	 * owner conditions match only flows that have one. */
	const struct ax_cred *owner;
};

struct pol_verdict {
	uint8_t allow; /* 1 allow, 0 deny */
	uint32_t rule; /* 1-based number of the rule that decided; 0: default */
	uint32_t line; /* that rule's (or default's) line; 0: implied default */
};

/*
 * Build the matcher: per direction and address family, blocks of up to
 * POL_BLOCK_RULES rules, each a bit-vector classifier (Lakshman and
 * Stiliadis, SIGCOMM 1998) over source, destination, ports and protocol.
 * Idempotent. 0 or -ENOMEM (the policy is then as before, uncompiled).
 */
int pol_compile(struct pol_policy *p);
/* pol_compile() with another block size (1..65536): for tests, which want
 * many small blocks, and for the benchmark. Recompiles if needed. */
int pol_compile_blocks(struct pol_policy *p, unsigned int block_rules);

/*
 * Decide: the first rule (in file order) that matches the flow, else the
 * default of its direction. An IPv4 prefix never matches an IPv6 flow nor
 * the reverse; a rule with owner conditions never matches a flow without
 * an owner. Allocates nothing, takes no lock.
 * 0; -EINVAL for a flow with a bad dir or family, or a policy that is not
 * compiled.
 */
int pol_match(const struct pol_policy *p, const struct pol_flow *f,
	      struct pol_verdict *v);
/* The same answer by trying every rule in order: the reference the tests
 * hold pol_match() to. Needs no compile. 0 or -EINVAL (bad flow). */
int pol_match_linear(const struct pol_policy *p, const struct pol_flow *f,
		     struct pol_verdict *v);

struct pol_stats {
	size_t bytes;         /* heap memory of the compiled matcher */
	unsigned int blocks;  /* over all directions and families */
	size_t intervals;     /* elementary intervals, all dimensions */
};
/* Zeroes when not compiled. */
void pol_stats(const struct pol_policy *p, struct pol_stats *st);

#endif /* AX_POLICY_H */
