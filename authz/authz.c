/*
 * authz.c - the authorizer (authz.h): policy decisions, their Axiom
 * entries, and the verdict map, for every connection that opens or closes.
 *
 * Entry payloads are one line of key=value pairs, so `axnet log` shows
 * them as they are and the recovery below can read them back:
 *   connection-authorize  dir=in proto=tcp local=A:P remote=A:P rule=N policy=SEQ [OWNER]
 *   connection-reject     dir=in proto=tcp local=A:P remote=A:P rule=N policy=SEQ [OWNER]
 *                         [unlogged=K]
 *   connection-close      auth=SEQ reason=R [bytes_in=N bytes_out=N]
 *   revoke                auth=SEQ policy=SEQ local=A:P remote=A:P
 *   policy-push           sha256=HEX rules=N source=S [parts=K] text=T
 *   policy-text           sha256=HEX part=I/K text=T
 *
 * OWNER is whose socket the connection is (the program that opened it, the
 * listener's for an inbound one; util/cred.h), when one is known:
 *   uid=U gid=G pid=P exe=PATH
 * PATH escaped as a `program` condition writes it (pol_path_escape: no
 * blanks, so the line stays key=value; a rule can quote it), "-" when the
 * executable is unknown. Entries written before owners were recorded have
 * none; nothing reads them back.
 *
 * A push carries the policy itself: T is its canonical text (pol_canonical)
 * with '%', and every byte that is not printable ASCII, as %XX (so a line
 * break is %0a and `axnet log` shows the entry as text). A policy whose
 * text does not fit one entry is split: parts 1..K-1 in policy-text
 * entries, committed in one group with the push (consecutive seqs), the
 * push holding part K. At start the policy in force is rebuilt from the
 * log alone and must hash to the sha256 its entry names; pushes written
 * before the text was kept (no text=) are read from
 * <state>/policies/<sha256>.pol as before. A policy that cannot be
 * rebuilt stops the start: nothing silently takes its place.
 */
#include "authz/authz.h"
#include "authz/flow.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "axiom/axiom.h"
#include "util/log.h"
#include "net/stack.h"
#include "net/tcp.h"
#include "net/udp.h"
#include "util/cred.h"
#include "util/mono.h"

enum conn_state {
	C_PENDING, /* proposed, not committed; pcb alive */
	C_ORPHAN,  /* proposed, pcb gone: close it when it commits */
	C_LIVE,    /* committed, verdict in the map */
	C_REVOKED, /* revoked by a push: verdict gone, entry proposed */
};

/* One allowed connection, from its proposal to its end. */
struct authz_conn {
	struct authz *a;
	struct tcp_pcb *pcb;  /* NULL once the engine forgot it */
	enum conn_state state;
	struct ax_flow_key key;
	uint32_t rule;
	int inbound;
	uint64_t seq;         /* its connection-authorize entry */
	uint64_t asked_ns;    /* when request() came: for the latency sample */
	char tuple[AUTHZ_TUPLE_MAX]; /* "local=A:P remote=A:P" (flow.h) */
	/* Whose it was when asked: a copy, so a re-check after a push decides
	 * on what the entry says even if the owner has gone meanwhile. */
	int has_owner;
	struct ax_cred owner;
};

/* Room for an OWNER (its exe up to 3 bytes a byte), and for an entry's
 * text with one. */
#define OWNER_TEXT_MAX (64 + 3 * AX_CRED_EXE_MAX)
#define ENTRY_TEXT_MAX (256 + OWNER_TEXT_MAX)

#define UDP_BUCKETS 4096u
struct udp_flow;

struct authz {
	struct ax_stack *s;
	struct axiom *ax;
	struct authz_sink sink;
	int have_sink;
	char dir[4096];
	/* Where recover() reads the log: authz_config.log_cfg, during
	 * authz_open() only (NULL after). */
	const struct axiom_config *log_cfg;
	struct pol_policy *policy;
	uint64_t policy_seq;
	/* Reject entries: a token bucket, and what it kept out. */
	uint32_t reject_rate;
	double reject_tokens;
	uint64_t reject_last_ns;
	uint64_t rejects_unlogged_since;
	struct authz_stats st;
	/* How long authorizations took (request to commit), the last
	 * AUTHZ_LAT_SAMPLES of them, for authz_latency(). */
	uint32_t lat_us[AUTHZ_LAT_SAMPLES];
	uint64_t lat_n;
	/* UDP flows: hashed by (raddr, rport, lport), and in LRU order. */
	struct udp_flow *udp_hash[UDP_BUCKETS];
	struct udp_flow *lru_head, *lru_tail;
	unsigned int udp_count;
	uint64_t udp_idle_ns;
	int stopped;          /* authz_stop() has run */
};

/* A datagram held for its flow's commit. */
struct udp_held {
	struct udp_held *next;
	size_t len;
	int inbound;
	uint8_t data[];
};
_Static_assert(sizeof(struct udp_held) <= AUTHZ_UDP_HELD_OVERHEAD,
	       "AUTHZ_UDP_HELD_OVERHEAD must cover the bookkeeping");

/*
 * A UDP flow (inbound: the peer sent the first datagram; outbound: one of
 * our sockets did). UDP has no
 * connection, so the authorizer keeps the flow: its datagrams wait
 * here for the commit (udp_hold), then it is LIVE until AUTHZ_UDP_IDLE of silence
 * (an LRU list, oldest first, so expiry looks at the head only).
 */
struct udp_flow {
	struct udp_flow *hnext;              /* hash chain */
	struct udp_flow *prev, *next;        /* LRU */
	struct authz *a;
	struct ax_flow_key key;
	struct ip_addr raddr, laddr;
	uint16_t rport, lport;
	int live;                            /* else: waiting for its commit */
	int inbound;                         /* the first datagram came in */
	int gone;                            /* freed while waiting (close) */
	uint32_t rule;
	uint64_t seq, last_ns, asked_ns;
	/* What waits for the commit, in arrival order: the first datagram
	 * and, inbound, those after it, within the caps of authz.h. */
	struct udp_held *q_head, **q_tail;
	uint32_t q_n;
	size_t q_bytes;                      /* AUTHZ_UDP_HELD_COST of each */
	char tuple[AUTHZ_TUPLE_MAX];
	/* Whose socket it was (as struct authz_conn: a copy) */
	int has_owner;
	struct ax_cred owner;
};

/* A push on its way: the new policy until it commits, then the count of
 * revoke entries still to commit. */
struct push_ctx {
	struct authz *a;
	struct pol_policy *policy;
	authz_push_fn cb;
	void *arg;
	struct authz_push_result res;
	unsigned int outstanding;
};

static void hex(const uint8_t *b, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[b[i] >> 4];
		out[2 * i + 1] = d[b[i] & 15];
	}
	out[2 * n] = '\0';
}

/* A refusal because the log's store cannot take writes now, or holds a
 * write in doubt (axiom.h): fail closed, as for a full disk. */
static int unavail(int err)
{
	return err == -EAGAIN || err == -ETIMEDOUT;
}

static int propose(struct authz *a, uint16_t type, const char *text, axiom_done_fn cb, void *arg)
{
	return axiom_propose(a->ax, type, text, (uint32_t)strlen(text), cb, arg);
}

/* An entry owed to the log (a close, a revocation: it already happened):
 * a full disk delays it, never drops it (axiom.h: AXIOM_KEEP). What bounds
 * the owed entries is what can owe one: authorizations, each closed or
 * revoked once, and no new authorization commits while the disk is full. */
static int propose_owed(struct authz *a, uint16_t type, const char *text, axiom_done_fn cb,
			void *arg)
{
	return axiom_propose_ex(a->ax, type, text, (uint32_t)strlen(text), AXIOM_KEEP, cb, arg);
}

/* --- connections ------------------------------------------------------------ */

/* " uid=U gid=G pid=P exe=PATH" for an entry, "" without an owner. */
static void owner_text(char *buf, size_t size, const struct ax_cred *o)
{
	char exe[3 * AX_CRED_EXE_MAX + 1];
	size_t n;

	if (!o) {
		buf[0] = '\0';
		return;
	}
	n = strnlen(o->exe, sizeof(o->exe));
	if (n == 0)
		snprintf(exe, sizeof(exe), "-");
	else
		pol_path_escape(exe, sizeof(exe), o->exe, n);
	snprintf(buf, size, " uid=%u gid=%u pid=%u exe=%s", o->uid, o->gid, o->pid, exe);
}

/* The policy's flow, the verdict map's key and the entry's tuple text of
 * a TCP connection i (addresses and ports as tcp_info_ax has them) owned
 * by owner (NULL: none): flow.h, both families. */
static void flow_of_info(const struct tcp_info_ax *ip, int inbound, const struct ax_cred *owner,
			 struct pol_flow *f, struct ax_flow_key *k, char *tuple, size_t tlen)
{
	authz_flow_of(&ip->laddr, ip->lport, &ip->raddr, ip->rport, IPPROTO_TCP, inbound, owner, f,
		      k, tuple, tlen);
}

static void flow_of(const struct tcp_pcb *pcb, int inbound, const struct ax_cred *owner,
		    struct pol_flow *f, struct ax_flow_key *k, char *tuple, size_t tlen)
{
	struct tcp_info_ax i;

	tcp_get_info(pcb, &i);
	flow_of_info(&i, inbound, owner, f, k, tuple, tlen);
}

/* Rate-limited connection-reject entry. Returns 1 when this rejection
 * was within the rate (its entry proposed), 0 when it was only counted. */
static int log_reject(struct authz *a, int inbound, const char *proto, const char *tuple,
		      uint32_t rule, const struct ax_cred *owner)
{
	uint64_t now = mono_ns();
	char text[ENTRY_TEXT_MAX], who[OWNER_TEXT_MAX];
	int n;

	a->reject_tokens += (double)(now - a->reject_last_ns) * a->reject_rate / 1e9;
	if (a->reject_tokens > a->reject_rate)
		a->reject_tokens = a->reject_rate;
	a->reject_last_ns = now;
	if (a->reject_tokens < 1.0) {
		a->rejects_unlogged_since++;
		a->st.rejects_unlogged++;
		return 0;
	}
	a->reject_tokens -= 1.0;
	owner_text(who, sizeof(who), owner);
	n = snprintf(text, sizeof(text), "dir=%s proto=%s %s rule=%u policy=%" PRIu64 "%s",
		     inbound ? "in" : "out", proto, tuple, rule, a->policy_seq, who);
	if (a->rejects_unlogged_since)
		snprintf(text + n, sizeof(text) - (size_t)n, " unlogged=%" PRIu64,
			 a->rejects_unlogged_since);
	if (propose(a, AXIOM_CONN_REJECT, text, NULL, NULL) == 0) {
		a->rejects_unlogged_since = 0;
	} else {
		/* The log cannot take it now (a full disk): the next reject
		 * entry says how many went unlogged. */
		a->rejects_unlogged_since++;
		a->st.rejects_unlogged++;
	}
	return 1;
}

static void close_entry(struct authz *a, uint64_t seq, const char *reason,
			const struct tcp_pcb *pcb)
{
	char text[200];

	if (pcb) {
		struct tcp_info_ax i;

		tcp_get_info(pcb, &i);
		snprintf(text, sizeof(text),
			 "auth=%" PRIu64 " reason=%s bytes_in=%" PRIu64 " bytes_out=%" PRIu64, seq,
			 reason, i.bytes_in, i.bytes_out);
	} else {
		snprintf(text, sizeof(text), "auth=%" PRIu64 " reason=%s", seq, reason);
	}
	if (propose_owed(a, AXIOM_CONN_CLOSE, text, NULL, NULL) == 0)
		a->st.closed++;
	else
		a->st.failed++;
}

/* A revoke entry for the authorization seq (tuple: "local=... remote=..."):
 * counted as a revocation; a log that cannot take it is counted too. */
static int revoke_entry(struct authz *a, uint64_t seq, const char *tuple, axiom_done_fn cb,
			void *arg)
{
	char text[256];
	int err;

	snprintf(text, sizeof(text), "auth=%" PRIu64 " policy=%" PRIu64 " %s", seq,
		 a->policy_seq, tuple);
	a->st.revoked++;
	err = propose_owed(a, AXIOM_REVOKE, text, cb, arg);
	if (err)
		a->st.failed++;
	return err;
}

/* Does the policy in force still allow this TCP connection (as it was
 * when asked: c's owner)? */
static int tcp_allowed(struct authz *a, const struct tcp_pcb *pcb, const struct authz_conn *c)
{
	struct pol_flow f;
	struct pol_verdict v = { 0 };
	struct ax_flow_key k;
	char tuple[AUTHZ_TUPLE_MAX];

	flow_of(pcb, c->inbound, c->has_owner ? &c->owner : NULL, &f, &k, tuple, sizeof(tuple));
	return pol_match(a->policy, &f, &v) == 0 && v.allow;
}

static void on_authorized(void *arg, const struct axiom_result *res)
{
	struct authz_conn *c = arg;
	struct authz *a = c->a;
	struct tcp_pcb *pcb = c->pcb;

	a->st.pending--;
	if (!res->committed) {
		/* A full disk refuses new authorizations (fail closed) and says
		 * so once, in axiom's own message; anything else is news. */
		if (res->err == -ENOSPC || res->err == -EDQUOT) {
			a->st.refused_full++;
		} else if (unavail(res->err)) {
			a->st.refused_unavail++; /* as for a full disk */
		} else {
			log_warn("authz: %s not authorized: the log refused it (%s)", c->tuple,
				 res->reason);
			a->st.failed++;
		}
		c->pcb = NULL;
		if (pcb) {
			tcp_set_admit_ctx(pcb, NULL);
			tcp_admit_done(pcb, -EACCES, 0);
		}
		free(c);
		return;
	}
	c->seq = res->seq;
	a->st.authorized++;
	a->lat_us[a->lat_n++ % AUTHZ_LAT_SAMPLES] = (uint32_t)((mono_ns() - c->asked_ns) / 1000);
	if (!pcb) {
		/* The connection went (reset, evicted) before the commit. */
		close_entry(a, c->seq, "gone-before-commit", NULL);
		free(c);
		return;
	}
	/* A push that committed after this proposal was made may have
	 * changed the answer: the entry stands, so it is revoked at once. */
	if (!tcp_allowed(a, pcb, c)) {
		revoke_entry(a, c->seq, c->tuple, NULL, NULL);
		c->pcb = NULL;
		tcp_set_admit_ctx(pcb, NULL);
		tcp_admit_done(pcb, -EACCES, 0);
		free(c);
		return;
	}
	if (a->have_sink) {
		struct ax_flow_val v = { .verdict = AX_VERDICT_ALLOW, .rule = c->rule,
					 .seq = c->seq };
		int err = a->sink.flow_set(a->sink.arg, &c->key, &v);

		if (err) {
			log_warn("authz: %s: cannot install its verdict: %s", c->tuple,
				 strerror(-err));
			close_entry(a, c->seq, "verdict-map-error", NULL);
			c->pcb = NULL;
			tcp_set_admit_ctx(pcb, NULL);
			tcp_admit_done(pcb, -EACCES, 0);
			free(c);
			return;
		}
	}
	c->state = C_LIVE;
	a->st.live++;
	tcp_admit_done(pcb, 0, c->seq);
}

/* A TCP connection the policy denies: its (rate-limited) reject entry,
 * and for an inbound one the deny verdict. */
static void tcp_denied(struct authz *a, int inbound, const struct ax_flow_key *k,
		       const char *tuple, uint32_t rule, const struct ax_cred *owner)
{
	a->st.rejected++;
	/* XDP drops the flow's next frames (the peer's retries) itself,
	 * until a push changes the answer. Only at the reject entries' rate:
	 * a deny verdict helps only a peer that sends again, and the verdict
	 * map is an LRU that also holds the live connections' allow
	 * verdicts; one per spoofed source of a flood would evict them. */
	if (log_reject(a, inbound, "tcp", tuple, rule, owner) && a->have_sink && inbound) {
		struct ax_flow_val dv = { .verdict = AX_VERDICT_DENY, .rule = rule };

		a->sink.flow_set(a->sink.arg, k, &dv);
	}
}

/*
 * An inbound SYN to be answered with a SYN cookie: the policy decides
 * now, as for any SYN, but nothing is allocated and no authorize entry
 * proposed (a denial is logged and enforced as always). The connection,
 * if the peer's ACK proves its address, comes to hook_request then: its
 * SYN-ACK has left, nothing else, and the engine holds the rest (no data
 * taken, no ACK) until on_authorized, or resets it if the answer is no.
 */
static int hook_check(void *arg, const struct ip_addr *laddr, uint16_t lport,
		      const struct ip_addr *raddr, uint16_t rport, const void *owner)
{
	struct authz *a = arg;
	struct tcp_info_ax i = { .laddr = *laddr, .raddr = *raddr, .lport = lport, .rport = rport };
	struct pol_flow f;
	struct pol_verdict v = { 0 };
	struct ax_flow_key k;
	char tuple[AUTHZ_TUPLE_MAX];

	flow_of_info(&i, 1, owner, &f, &k, tuple, sizeof(tuple));
	if (pol_match(a->policy, &f, &v) < 0 || !v.allow) {
		tcp_denied(a, 1, &k, tuple, v.rule, owner);
		return -EACCES;
	}
	return 0;
}

/* Authorizations waiting for their commit beyond which new inbound
 * connections get SYN cookies: each is an entry in Axiom's queue, and a
 * queue that grows is a log under pressure. A burst of real connects
 * commits in one group (a few ms), far below this. */
#define AUTHZ_BUSY_PENDING 64u

static int hook_busy(void *arg)
{
	const struct authz *a = arg;

	return a->st.pending >= AUTHZ_BUSY_PENDING;
}

static int hook_request(void *arg, struct tcp_pcb *pcb, int inbound)
{
	struct authz *a = arg;
	struct pol_flow f;
	struct pol_verdict v = { 0 };
	const struct ax_cred *owner = tcp_owner(pcb);
	struct authz_conn *c;
	char text[ENTRY_TEXT_MAX], who[OWNER_TEXT_MAX];
	int err;

	c = calloc(1, sizeof(*c));
	if (!c) {
		a->st.failed++;
		return -EACCES;
	}
	if (owner) {
		c->owner = *owner;
		c->has_owner = 1;
	}
	flow_of(pcb, inbound, owner ? &c->owner : NULL, &f, &c->key, c->tuple, sizeof(c->tuple));
	if (pol_match(a->policy, &f, &v) < 0 || !v.allow) {
		tcp_denied(a, inbound, &c->key, c->tuple, v.rule, f.owner);
		free(c);
		return -EACCES;
	}
	c->a = a;
	c->pcb = pcb;
	c->asked_ns = mono_ns();
	c->inbound = inbound;
	c->rule = v.rule;
	c->state = C_PENDING;
	owner_text(who, sizeof(who), f.owner);
	snprintf(text, sizeof(text), "dir=%s proto=tcp %s rule=%u policy=%" PRIu64 "%s",
		 inbound ? "in" : "out", c->tuple, v.rule, a->policy_seq, who);
	err = propose(a, AXIOM_CONN_AUTHORIZE, text, on_authorized, c);
	if (err < 0) {
		/* The log cannot take it (disk full, closing, queue full): no
		 * entry, no connection: the SYN gets nothing, connect()
		 * EACCES. */
		if (err == -ENOSPC)
			a->st.refused_full++;
		else if (unavail(err))
			a->st.refused_unavail++;
		else
			a->st.failed++;
		free(c);
		return -EACCES;
	}
	a->st.pending++;
	tcp_set_admit_ctx(pcb, c);
	return -EINPROGRESS;
}

static void hook_forget(void *arg, struct tcp_pcb *pcb)
{
	struct authz *a = arg;
	struct authz_conn *c = tcp_admit_ctx(pcb);

	if (!c)
		return;
	tcp_set_admit_ctx(pcb, NULL);
	switch (c->state) {
	case C_PENDING:
		c->pcb = NULL;
		c->state = C_ORPHAN; /* on_authorized closes it */
		return;
	case C_LIVE:
		if (a->have_sink)
			a->sink.flow_del(a->sink.arg, &c->key);
		close_entry(a, c->seq, "closed", pcb);
		a->st.live--;
		break;
	case C_REVOKED:
		a->st.live--;
		break;
	case C_ORPHAN:
		break;
	}
	free(c);
}

static const struct tcp_admit_ops hooks = {
	.request = hook_request,
	.forget = hook_forget,
	.check = hook_check,
	.busy = hook_busy,
};

/* --- policy pushes ------------------------------------------------------------ */

/* Policy text in the log: the bytes a push entry may hold of it, per
 * entry (AXIOM_PAYLOAD_MAX less room for the keys and the source). */
#define POLICY_TEXT_CHUNK 60000u
#define POLICY_SOURCE_MAX 256u

/* '%' and every byte outside printable ASCII as %XX; the rest as is.
 * Malloc'd, NUL-terminated; NULL when out of memory. */
static char *text_encode(const char *t, size_t len, size_t *outlen)
{
	static const char d[] = "0123456789abcdef";
	char *o = malloc(3 * len + 1), *q = o;

	if (!o)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)t[i];

		if (c == '%' || c < 0x20 || c > 0x7e) {
			*q++ = '%';
			*q++ = d[c >> 4];
			*q++ = d[c & 15];
		} else {
			*q++ = (char)c;
		}
	}
	*q = '\0';
	*outlen = (size_t)(q - o);
	return o;
}

static int unhex1(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The reverse, strictly (lowercase %XX only). 0 or -EINVAL; *out
 * malloc'd, NUL-terminated. */
static int text_decode(const char *e, size_t len, char **out, size_t *outlen)
{
	char *o = malloc(len + 1), *q = o;

	if (!o)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		if (e[i] != '%') {
			*q++ = e[i];
			continue;
		}
		if (i + 2 >= len || unhex1(e[i + 1]) < 0 || unhex1(e[i + 2]) < 0) {
			free(o);
			return -EINVAL;
		}
		*q++ = (char)(unhex1(e[i + 1]) << 4 | unhex1(e[i + 2]));
		i += 2;
	}
	*q = '\0';
	*outlen = (size_t)(q - o);
	*out = o;
	return 0;
}

/* The entries that push p: policy-text parts, then the policy-push entry
 * (the last item; its cb is the caller's to set). items[i].payload are
 * malloc'd strings the caller frees (push_items_free). */
struct push_items {
	struct axiom_item *v;
	size_t n;
};

static void push_items_free(struct push_items *pi)
{
	for (size_t i = 0; i < pi->n; i++)
		free((void *)pi->v[i].payload);
	free(pi->v);
	pi->v = NULL;
	pi->n = 0;
}

/* The end of the part of enc (elen bytes) that starts at off: at most
 * POLICY_TEXT_CHUNK bytes, and never inside a %XX. */
static size_t chunk_end(const char *enc, size_t elen, size_t off)
{
	size_t end = off + POLICY_TEXT_CHUNK < elen ? off + POLICY_TEXT_CHUNK : elen;

	if (end < elen && enc[end - 1] == '%')
		end -= 1;
	else if (end < elen && end >= 2 && enc[end - 2] == '%')
		end -= 2;
	return end;
}

static int push_items(const struct pol_policy *p, const char *source, uint8_t hash[32],
		      struct push_items *pi)
{
	char *canon = NULL, *enc = NULL, hx[65], src[POLICY_SOURCE_MAX + 1];
	size_t clen, elen, off = 0, k, parts;
	int err = -ENOMEM;

	pi->v = NULL;
	pi->n = 0;
	if (pol_hash(p, hash) < 0 || pol_canonical(p, &canon, &clen) < 0)
		goto out;
	enc = text_encode(canon, clen, &elen);
	if (!enc)
		goto out;
	hex(hash, 32, hx);
	/* Spaces would split the key=value line; keep it printable. */
	snprintf(src, sizeof(src), "%s", source && *source ? source : "-");
	for (char *q = src; *q; q++)
		if (*q == ' ' || *q < 0x20 || *q > 0x7e)
			*q = '_';
	for (parts = 0, off = 0; off < elen || parts == 0; parts++)
		off = chunk_end(enc, elen, off);
	pi->v = calloc(parts, sizeof(*pi->v));
	if (!pi->v)
		goto out;
	for (k = 0, off = 0; k < parts; k++) {
		size_t end = chunk_end(enc, elen, off), cap;
		char *buf;

		cap = 200 + sizeof(src) + (end - off);
		buf = malloc(cap);
		if (!buf) {
			push_items_free(pi);
			goto out;
		}
		if (k + 1 < parts) {
			snprintf(buf, cap, "sha256=%s part=%zu/%zu text=%.*s", hx, k + 1, parts,
				 (int)(end - off), enc + off);
			pi->v[k].type = AXIOM_POLICY_TEXT;
		} else if (parts > 1) {
			snprintf(buf, cap, "sha256=%s rules=%u source=%s parts=%zu text=%.*s", hx,
				 pol_nrules(p), src, parts, (int)(end - off), enc + off);
			pi->v[k].type = AXIOM_POLICY_PUSH;
		} else {
			snprintf(buf, cap, "sha256=%s rules=%u source=%s text=%.*s", hx, pol_nrules(p),
				 src, (int)(end - off), enc + off);
			pi->v[k].type = AXIOM_POLICY_PUSH;
		}
		pi->v[k].payload = buf;
		pi->v[k].len = (uint32_t)strlen(buf);
		pi->n = k + 1;
		off = end;
	}
	err = 0;
out:
	free(canon);
	free(enc);
	return err;
}

static void push_finish(struct push_ctx *pc)
{
	if (pc->cb)
		pc->cb(pc->arg, &pc->res);
	free(pc);
}

static void on_revoked(void *arg, const struct axiom_result *res)
{
	struct push_ctx *pc = arg;

	if (!res->committed)
		pc->a->st.failed++;
	if (--pc->outstanding == 0)
		push_finish(pc);
}

struct collect {
	struct tcp_pcb **v;
	size_t n, cap;
};

static void collect_pcb(void *arg, const struct tcp_pcb *pcb)
{
	struct collect *cl = arg;

	if (!tcp_admit_ctx(pcb))
		return;
	if (cl->n == cl->cap) {
		size_t cap = cl->cap ? 2 * cl->cap : 64;
		struct tcp_pcb **v = realloc(cl->v, cap * sizeof(*v));

		if (!v)
			return;
		cl->v = v;
		cl->cap = cap;
	}
	cl->v[cl->n++] = (struct tcp_pcb *)pcb;
}

/* Revoke every live connection the policy in force no longer allows. */
static void revoke_walk(struct authz *a, struct push_ctx *pc)
{
	struct collect cl = { 0 };

	/* A push that commits while the instance stops (axiom_close runs
	 * its callback) finds the engine's table gone (stack_fini): no
	 * connection is left to revoke. */
	if (!a->s->tcp)
		return;
	tcp_foreach(a->s, collect_pcb, &cl);
	for (size_t i = 0; i < cl.n; i++) {
		struct tcp_pcb *pcb = cl.v[i];
		struct authz_conn *c = tcp_admit_ctx(pcb);

		if (!c || c->state != C_LIVE || tcp_allowed(a, pcb, c))
			continue;
		if (a->have_sink)
			a->sink.flow_del(a->sink.arg, &c->key);
		c->state = C_REVOKED;
		if (revoke_entry(a, c->seq, c->tuple, on_revoked, pc) == 0)
			pc->outstanding++;
		pc->res.revoked++;
		tcp_reset_conn(pcb); /* RST; the socket gets ECONNRESET; forget() frees c */
	}
	free(cl.v);
}

static void udp_revoke_walk(struct authz *a, struct push_ctx *pc);

static void on_pushed(void *arg, const struct axiom_result *res)
{
	struct push_ctx *pc = arg;
	struct authz *a = pc->a;

	if (!res->committed) {
		pc->res.err = -EIO;
		snprintf(pc->res.reason, sizeof(pc->res.reason), "%s", res->reason);
		pol_free(pc->policy);
		push_finish(pc);
		return;
	}
	pol_free(a->policy);
	a->policy = pc->policy;
	pc->policy = NULL;
	/* Deny verdicts were the old policy's answers. */
	if (a->have_sink && a->sink.flush_denied)
		a->sink.flush_denied(a->sink.arg);
	a->policy_seq = res->seq;
	pc->res.seq = res->seq;
	pc->outstanding = 1; /* held by the walk itself */
	revoke_walk(a, pc);
	udp_revoke_walk(a, pc);
	if (--pc->outstanding == 0)
		push_finish(pc);
}

/* Propose the push of a compiled policy p (taken over): its text and
 * its push entry, as one group. */
static int push_policy(struct authz *a, struct pol_policy *p, const char *source,
		       authz_push_fn cb, void *arg)
{
	struct push_ctx *pc = calloc(1, sizeof(*pc));
	struct push_items pi;
	int err;

	if (!pc) {
		pol_free(p);
		return -ENOMEM;
	}
	err = push_items(p, source, pc->res.hash, &pi);
	if (err) {
		free(pc);
		pol_free(p);
		return err;
	}
	pc->a = a;
	pc->policy = p;
	pc->cb = cb;
	pc->arg = arg;
	pi.v[pi.n - 1].cb = on_pushed;
	pi.v[pi.n - 1].arg = pc;
	err = axiom_propose_group(a->ax, pi.v, pi.n);
	push_items_free(&pi);
	if (err) {
		pol_free(p);
		free(pc);
	}
	return err;
}

int authz_push(struct authz *a, const char *text, size_t len, const char *source,
	       authz_push_fn cb, void *arg, struct pol_error *perr)
{
	struct pol_policy *p = NULL;
	int err;

	err = pol_parse(text, len, source ? source : "policy", &p, perr);
	if (err)
		return err;
	err = pol_compile(p);
	if (err) {
		pol_free(p);
		return err;
	}
	return push_policy(a, p, source, cb, arg);
}

/* --- UDP flows ------------------------------------------------------------------- */

static unsigned int udp_bucket(const struct ip_addr *raddr, uint16_t rport, uint16_t lport)
{
	uint32_t h = ip_addr_hash(raddr) ^ ((uint32_t)rport << 16 | lport);

	h ^= h >> 16;
	h *= 0x7feb352du;
	h ^= h >> 15;
	return h & (UDP_BUCKETS - 1);
}

static struct udp_flow *udp_find(struct authz *a, const struct ip_addr *raddr, uint16_t rport,
				 uint16_t lport)
{
	struct udp_flow *f = a->udp_hash[udp_bucket(raddr, rport, lport)];

	while (f && !(ip_addr_eq(&f->raddr, raddr) && f->rport == rport && f->lport == lport))
		f = f->hnext;
	return f;
}

static void lru_unlink(struct authz *a, struct udp_flow *f)
{
	if (f->prev)
		f->prev->next = f->next;
	else
		a->lru_head = f->next;
	if (f->next)
		f->next->prev = f->prev;
	else
		a->lru_tail = f->prev;
	f->prev = f->next = NULL;
}

static void lru_append(struct authz *a, struct udp_flow *f)
{
	f->prev = a->lru_tail;
	f->next = NULL;
	if (a->lru_tail)
		a->lru_tail->next = f;
	else
		a->lru_head = f;
	a->lru_tail = f;
}

/* Out of the table (and the verdict map); memory stays with a pending
 * commit (on_udp_authorized frees it). */
static void udp_remove(struct authz *a, struct udp_flow *f)
{
	struct udp_flow **pp = &a->udp_hash[udp_bucket(&f->raddr, f->rport, f->lport)];

	while (*pp && *pp != f)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = f->hnext;
	lru_unlink(a, f);
	a->udp_count--;
	if (f->live) {
		if (a->have_sink)
			a->sink.flow_del(a->sink.arg, &f->key);
		a->st.live--;
	}
}

/* Take f's held datagrams out (the caller delivers or frees them). */
static struct udp_held *udp_unhold(struct udp_flow *f)
{
	struct udp_held *h = f->q_head;

	f->a->st.udp_held -= f->q_n;
	f->a->st.udp_held_bytes -= f->q_bytes;
	f->q_head = NULL;
	f->q_tail = &f->q_head;
	f->q_n = 0;
	f->q_bytes = 0;
	return h;
}

/* What a flow still holds when it is freed never went anywhere: the flow
 * was refused, revoked or ended before its commit. */
static void udp_free(struct udp_flow *f)
{
	struct udp_held *h = f->q_tail ? udp_unhold(f) : NULL, *next;

	for (; h; h = next) {
		next = h->next;
		f->a->st.udp_pending_discarded++;
		free(h);
	}
	free(f);
}

/*
 * Hold a datagram of a waiting flow: 0, or -ENOBUFS when a cap says no
 * (the cap is counted), -ENOMEM. Inbound ones answer to the flow's caps
 * and the global one, so a flood of datagrams, or of flows from spoofed
 * sources, holds at most AUTHZ_UDP_PENDING_TOTAL; an outbound first
 * datagram (a program's, one per flow) to the global one only.
 */
static int udp_hold(struct authz *a, struct udp_flow *f, int inbound, const uint8_t *data,
		    size_t len)
{
	size_t cost = AUTHZ_UDP_HELD_COST(len);
	struct udp_held *h;

	if (inbound && f->q_n >= AUTHZ_UDP_PENDING_MAX) {
		a->st.udp_pending_cap_dgrams++;
		return -ENOBUFS;
	}
	if (inbound && f->q_bytes + cost > AUTHZ_UDP_PENDING_BYTES) {
		a->st.udp_pending_cap_bytes++;
		return -ENOBUFS;
	}
	if (a->st.udp_held_bytes + cost > AUTHZ_UDP_PENDING_TOTAL) {
		a->st.udp_pending_cap_total++;
		return -ENOBUFS;
	}
	h = malloc(sizeof(*h) + len);
	if (!h)
		return -ENOMEM;
	h->next = NULL;
	h->len = len;
	h->inbound = inbound;
	memcpy(h->data, data, len);
	*f->q_tail = h;
	f->q_tail = &h->next;
	f->q_n++;
	f->q_bytes += cost;
	a->st.udp_held++;
	a->st.udp_held_bytes += cost;
	return 0;
}

/* The policy's view of a UDP flow, by the direction of its first datagram. */
static void udp_pol_flow(const struct udp_flow *f, struct pol_flow *pf)
{
	authz_flow_of(&f->laddr, f->lport, &f->raddr, f->rport, IPPROTO_UDP, f->inbound,
		      f->has_owner ? &f->owner : NULL, pf, NULL, NULL, 0);
}

/* Does the policy in force still allow this UDP flow? */
static int udp_allowed(struct authz *a, const struct udp_flow *f)
{
	struct pol_flow pf;
	struct pol_verdict v = { 0 };

	udp_pol_flow(f, &pf);
	return pol_match(a->policy, &pf, &v) == 0 && v.allow;
}

static void on_udp_authorized(void *arg, const struct axiom_result *res)
{
	struct udp_flow *f = arg;
	struct authz *a = f->a;

	a->st.pending--;
	if (!res->committed) {
		/* A full disk refuses new authorizations (fail closed), as for
		 * TCP (on_authorized); anything else is a failure. */
		if (res->err == -ENOSPC || res->err == -EDQUOT)
			a->st.refused_full++;
		else if (unavail(res->err))
			a->st.refused_unavail++;
		else
			a->st.failed++;
		if (!f->gone)
			udp_remove(a, f);
		udp_free(f);
		return;
	}
	f->seq = res->seq;
	a->st.authorized++;
	a->lat_us[a->lat_n++ % AUTHZ_LAT_SAMPLES] = (uint32_t)((mono_ns() - f->asked_ns) / 1000);
	if (f->gone) {
		close_entry(a, f->seq, "gone-before-commit", NULL);
		udp_free(f);
		return;
	}
	/* A push that committed meanwhile may say no now. */
	if (!udp_allowed(a, f)) {
		revoke_entry(a, f->seq, f->tuple, NULL, NULL);
		udp_remove(a, f);
		udp_free(f);
		return;
	}
	if (a->have_sink) {
		struct ax_flow_val v = { .verdict = AX_VERDICT_ALLOW, .rule = f->rule, .seq = f->seq };

		if (a->sink.flow_set(a->sink.arg, &f->key, &v) < 0) {
			close_entry(a, f->seq, "verdict-map-error", NULL);
			udp_remove(a, f);
			udp_free(f);
			return;
		}
	}
	f->live = 1;
	a->st.live++;
	f->last_ns = mono_ns();
	/* What waited goes now, in the order it came (taken out first: a
	 * socket's callback may send on this flow, which is live now). */
	for (struct udp_held *h = udp_unhold(f), *next; h; h = next) {
		next = h->next;
		if (h->inbound)
			udp_deliver(a->s, &f->raddr, f->rport, &f->laddr, f->lport, h->data,
				    h->len);
		else
			udp_sendto(a->s, &f->laddr, &f->raddr, f->lport, f->rport, h->data,
				   h->len);
		a->st.udp_pending_delivered++;
		free(h);
	}
}

/*
 * The engine's UDP admission hook, both ways: src:sport is the remote end
 * and dst:dport ours whichever way the datagram goes. A flow is authorized
 * once, by its first datagram, for both directions.
 */
static int udp_hook(void *arg, int inbound, const struct ax_cred *owner, const struct ip_addr *src,
		    uint16_t sport, const struct ip_addr *dst, uint16_t dport, const uint8_t *data,
		    size_t len)
{
	struct authz *a = arg;
	struct udp_flow *f = udp_find(a, src, sport, dport);
	struct pol_flow pf;
	struct pol_verdict v = { 0 };
	char text[ENTRY_TEXT_MAX], who[OWNER_TEXT_MAX];
	unsigned int b;
	int err;

	if (f) {
		if (!f->live) {
			/* Its first datagram waits for the commit. Later ones
			 * out: the sender waits too (-EAGAIN, as on a full
			 * socket buffer; a program's records stay in its
			 * ring); later ones in wait with it, within the caps,
			 * as a socket's receive queue would take them. */
			if (!inbound)
				return -EAGAIN;
			if (udp_hold(a, f, 1, data, len) < 0)
				a->st.udp_pending_dropped++;
			return 0;
		}
		f->last_ns = mono_ns();
		lru_unlink(a, f);
		lru_append(a, f);
		return 1;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		a->st.failed++;
		return 0;
	}
	if (owner) {
		f->owner = *owner;
		f->has_owner = 1;
	}
	f->a = a;
	f->q_tail = &f->q_head;
	f->inbound = inbound;
	f->raddr = *src;
	f->laddr = *dst;
	f->rport = sport;
	f->lport = dport;
	authz_flow_of(dst, dport, src, sport, IPPROTO_UDP, inbound, f->has_owner ? &f->owner : NULL,
		      &pf, &f->key, f->tuple, sizeof(f->tuple));
	if (pol_match(a->policy, &pf, &v) < 0 || !v.allow || a->udp_count >= AUTHZ_UDP_MAX_FLOWS) {
		a->st.rejected++;
		if (a->udp_count < AUTHZ_UDP_MAX_FLOWS) {
			/* A deny verdict at the reject entries' rate, as for
			 * TCP (tcp_denied). */
			if (log_reject(a, inbound, "udp", f->tuple, v.rule, pf.owner) && a->have_sink) {
				struct ax_flow_val dv = { .verdict = AX_VERDICT_DENY, .rule = v.rule };

				a->sink.flow_set(a->sink.arg, &f->key, &dv);
			}
		}
		udp_free(f);
		return inbound ? 0 : -EACCES;
	}
	f->rule = v.rule;
	/* A first datagram that cannot be held makes no flow (no entry for
	 * nothing): inbound it is dropped, as a full receive queue drops
	 * it; outbound the sender waits, as for the flow's later ones. */
	err = udp_hold(a, f, inbound, data, len);
	if (err < 0) {
		if (err == -ENOMEM)
			a->st.failed++;
		udp_free(f);
		if (!inbound)
			return err == -ENOMEM ? 0 : -EAGAIN;
		a->st.udp_pending_dropped++;
		return 0;
	}
	f->asked_ns = mono_ns();
	owner_text(who, sizeof(who), pf.owner);
	snprintf(text, sizeof(text), "dir=%s proto=udp %s rule=%u policy=%" PRIu64 "%s",
		 inbound ? "in" : "out", f->tuple, v.rule, a->policy_seq, who);
	err = propose(a, AXIOM_CONN_AUTHORIZE, text, on_udp_authorized, f);
	if (err < 0) {
		if (err == -ENOSPC)
			a->st.refused_full++;
		else if (unavail(err))
			a->st.refused_unavail++;
		else
			a->st.failed++;
		udp_free(f);
		return 0;
	}
	a->st.pending++;
	b = udp_bucket(src, sport, dport);
	f->hnext = a->udp_hash[b];
	a->udp_hash[b] = f;
	lru_append(a, f);
	a->udp_count++;
	return 0;
}

void authz_tick(struct authz *a)
{
	uint64_t now = mono_ns();

	/* The LRU's head is the longest silent; pending flows sit there
	 * too, but they are not expired (their commit decides). */
	while (a->lru_head && a->lru_head->live && now - a->lru_head->last_ns > a->udp_idle_ns) {
		struct udp_flow *f = a->lru_head;

		close_entry(a, f->seq, "idle", NULL);
		udp_remove(a, f);
		udp_free(f);
	}
}

/* After a push: UDP flows the policy no longer allows. */
static void udp_revoke_walk(struct authz *a, struct push_ctx *pc)
{
	struct udp_flow *f = a->lru_head, *next;

	for (; f; f = next) {
		next = f->next;
		/* A pending flow is rechecked when it commits. */
		if (!f->live || udp_allowed(a, f))
			continue;
		if (revoke_entry(a, f->seq, f->tuple, on_revoked, pc) == 0)
			pc->outstanding++;
		pc->res.revoked++;
		udp_remove(a, f);
		udp_free(f);
	}
}

/* --- recovery ---------------------------------------------------------------- */

/* Read the log: authorizations not closed, and the last policy push with
 * its text (or none, for a push from before the text was kept). */
struct recovered {
	uint64_t *open;
	size_t nopen, cap;
	uint64_t policy_seq;
	char policy_hash[65];
	char *policy_text;      /* encoded (%XX), malloc'd; NULL: not in the log */
	size_t policy_text_len;
	const char *policy_bad; /* why the last push's text is unusable */
	/* policy-text parts collected for the push that follows them */
	char part_hash[65];
	char *parts;
	size_t parts_len;
	uint64_t parts_next, parts_of, parts_last_seq;
};

static void recovered_free(struct recovered *r)
{
	free(r->open);
	free(r->policy_text);
	free(r->parts);
}

static void rec_remove(struct recovered *r, uint64_t seq)
{
	for (size_t i = 0; i < r->nopen; i++)
		if (r->open[i] == seq) {
			r->open[i] = r->open[--r->nopen];
			return;
		}
}

/* The value of key in a key=value line, up to the next space (or, for
 * "text", to the end: it is always last). NULL when absent. */
static const char *kv_str(const char *text, const char *key, size_t *len)
{
	size_t kl = strlen(key);
	const char *p = text;

	while ((p = strstr(p, key))) {
		if ((p == text || p[-1] == ' ') && p[kl] == '=') {
			p += kl + 1;
			*len = strcmp(key, "text") == 0 ? strlen(p) : strcspn(p, " ");
			return p;
		}
		p += kl;
	}
	return NULL;
}

static int kv_u64(const char *text, const char *key, uint64_t *out)
{
	size_t len;
	const char *p = kv_str(text, key, &len);
	unsigned long long v;
	char *end;

	if (!p)
		return -ENOENT;
	v = strtoull(p, &end, 10);
	if (end == p)
		return -EINVAL;
	*out = v;
	return 0;
}

static int append(char **buf, size_t *len, const char *p, size_t n)
{
	char *nb = realloc(*buf, *len + n + 1);

	if (!nb)
		return -ENOMEM;
	memcpy(nb + *len, p, n);
	*len += n;
	nb[*len] = '\0';
	*buf = nb;
	return 0;
}

/* A policy-text entry: part I of K of the policy sha256=H. Parts are
 * committed in one group with their push, so they arrive in order, and
 * the push entry right after them. */
static int recover_part(struct recovered *r, const struct axiom_entry *e, const char *text)
{
	size_t hl, tl;
	const char *h = kv_str(text, "sha256", &hl), *t = kv_str(text, "text", &tl);
	unsigned long long i = 0, k = 0;
	const char *pp;
	size_t pl;

	pp = kv_str(text, "part", &pl);
	if (!h || hl != 64 || !t || !pp || sscanf(pp, "%llu/%llu", &i, &k) != 2 || !i || i >= k)
		return 0; /* not ours to judge: a push that needs it will say */
	if (i == 1) {
		free(r->parts);
		r->parts = NULL;
		r->parts_len = 0;
		memcpy(r->part_hash, h, 64);
		r->part_hash[64] = '\0';
		r->parts_of = k;
	} else if (i != r->parts_next || k != r->parts_of || memcmp(h, r->part_hash, 64) != 0 ||
		   e->seq != r->parts_last_seq + 1) {
		r->parts_next = 0;
		return 0;
	}
	if (append(&r->parts, &r->parts_len, t, tl) < 0)
		return -ENOMEM;
	r->parts_next = i + 1;
	r->parts_last_seq = e->seq;
	return 0;
}

static int recover_push(struct recovered *r, const struct axiom_entry *e, const char *text)
{
	size_t hl, tl, pl;
	const char *h = kv_str(text, "sha256", &hl), *t = kv_str(text, "text", &tl);
	const char *pp = kv_str(text, "parts", &pl);
	unsigned long long k = pp ? strtoull(pp, NULL, 10) : 1;

	if (!h)
		return 0; /* not a push this version wrote */
	memcpy(r->policy_hash, h, hl < 64 ? hl : 64);
	r->policy_hash[hl < 64 ? hl : 64] = '\0';
	r->policy_seq = e->seq;
	r->policy_bad = NULL;
	free(r->policy_text);
	r->policy_text = NULL;
	r->policy_text_len = 0;
	/* The hash names the file of a push from before the text was kept
	 * (policies/<sha256>.pol): anything but hex digits could name a file
	 * elsewhere ("../"), or a FIFO that blocks the start. */
	if (hl != 64 || strspn(h, "0123456789abcdef") < 64) {
		r->policy_bad = "its sha256 is not 64 lowercase hex digits";
		return 0;
	}
	if (!t) {
		if (pp)
			r->policy_bad = "its entry says parts= but holds no text";
		return 0; /* written before the text was kept: policies/ */
	}
	if (k > 1) {
		if (r->parts_next != k || r->parts_of != k || memcmp(r->part_hash, h, 64) != 0 ||
		    r->parts_last_seq + 1 != e->seq) {
			r->policy_bad = "the policy-text entries before it are missing or out of order";
			return 0;
		}
		r->policy_text = r->parts;
		r->policy_text_len = r->parts_len;
		r->parts = NULL;
		r->parts_len = 0;
	}
	r->parts_next = 0;
	return append(&r->policy_text, &r->policy_text_len, t, tl);
}

static int recover(struct authz *a, struct recovered *r, char *err, size_t errlen)
{
	struct axiom_iter *it;
	struct axiom_entry e;
	char *text;
	int rc;

	if (a->log_cfg)
		rc = axiom_iter_open_cfg(&it, a->log_cfg, 0, err, errlen);
	else
		rc = axiom_iter_open(&it, a->dir, 0, err, errlen);
	if (rc == -ENOENT)
		return 0;
	if (rc)
		return rc;
	text = malloc(AXIOM_PAYLOAD_MAX + 1);
	if (!text) {
		axiom_iter_close(it);
		return -ENOMEM;
	}
	while ((rc = axiom_iter_next(it, &e)) == 1) {
		uint64_t seq;

		memcpy(text, e.payload, e.len);
		text[e.len] = '\0';
		switch (e.type) {
		case AXIOM_CONN_AUTHORIZE:
			if (r->nopen == r->cap) {
				size_t cap = r->cap ? 2 * r->cap : 256;
				uint64_t *v = realloc(r->open, cap * sizeof(*v));

				if (!v) {
					rc = -ENOMEM;
					goto out;
				}
				r->open = v;
				r->cap = cap;
			}
			r->open[r->nopen++] = e.seq;
			break;
		case AXIOM_CONN_CLOSE:
		case AXIOM_REVOKE:
			if (kv_u64(text, "auth", &seq) == 0)
				rec_remove(r, seq);
			break;
		case AXIOM_POLICY_TEXT:
			rc = recover_part(r, &e, text);
			break;
		case AXIOM_POLICY_PUSH:
			rc = recover_push(r, &e, text);
			break;
		default:
			break;
		}
		if (rc < 0)
			goto out;
	}
	if (rc < 0)
		snprintf(err, errlen, "%s", axiom_iter_error(it));
out:
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory reading the log");
	free(text);
	axiom_iter_close(it);
	return rc < 0 ? rc : 0;
}

/*
 * The policy of the last push, rebuilt exactly: from its text in the log,
 * or (a push from before the text was kept) from policies/<sha256>.pol.
 * It must hash to the sha256 its entry names. Anything else is an error
 * that stops the start: a policy silently replaced by another (the
 * built-in default, say) would widen or narrow what is allowed.
 */
static int restore_policy(struct authz *a, const struct recovered *r, struct pol_policy **out,
			  char *err, size_t errlen)
{
	char path[4200], hx[65], what[4200], *plain = NULL;
	struct pol_policy *p = NULL;
	struct pol_error pe = { 0 };
	size_t plen;
	uint8_t h[32];
	int rc;

	snprintf(what, sizeof(what), "log entry %" PRIu64, r->policy_seq);
	if (r->policy_bad) {
		snprintf(err, errlen, "the policy in force (%s, sha256 %.12s...) cannot be rebuilt: "
			 "%s; start with --policy FILE to choose one", what, r->policy_hash,
			 r->policy_bad);
		return -EBADMSG;
	}
	if (r->policy_text) {
		rc = text_decode(r->policy_text, r->policy_text_len, &plain, &plen);
		if (rc == -ENOMEM) {
			snprintf(err, errlen, "out of memory");
			return rc;
		}
		if (rc == 0)
			rc = pol_parse(plain, plen, what, &p, &pe);
		free(plain);
		if (rc < 0) {
			snprintf(err, errlen, "the policy in force (%s, sha256 %.12s...) cannot be "
				 "rebuilt from the log: %s; start with --policy FILE to choose one",
				 what, r->policy_hash, rc == -EINVAL && pe.msg[0] ? pe.msg :
				 "its text is not %%XX-encoded");
			return -EBADMSG;
		}
	} else {
		snprintf(path, sizeof(path), "%s/policies/%s.pol", a->dir, r->policy_hash);
		rc = pol_parse_file(path, &p, &pe);
		if (rc < 0) {
			snprintf(err, errlen, "the policy in force (%s, pushed before policies were "
				 "kept in the log) cannot be read back: %s: %s; restore that file, or "
				 "start with --policy FILE to choose one", what, path,
				 pe.msg[0] ? pe.msg : strerror(-rc));
			return rc == -ENOENT ? -ENOENT : -EBADMSG;
		}
		snprintf(what, sizeof(what), "%s", path);
	}
	if (pol_hash(p, h) < 0 || pol_compile(p) < 0) {
		pol_free(p);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	hex(h, 32, hx);
	if (strcmp(hx, r->policy_hash) != 0) {
		pol_free(p);
		snprintf(err, errlen, "the policy in force (log entry %" PRIu64 ") cannot be rebuilt: "
			 "%s hashes to %.12s..., not to %.12s... as its entry says; start with "
			 "--policy FILE to choose one", r->policy_seq, what, hx, r->policy_hash);
		return -EBADMSG;
	}
	*out = p;
	return 0;
}

static int icmp_filter(void *arg, uint32_t src, uint32_t dst)
{
	return authz_icmp_in(arg, src, dst);
}

static int icmp6_filter(void *arg, const struct ip_addr *src, const struct ip_addr *dst)
{
	return authz_icmp6_in(arg, src->b, dst->b);
}

/*
 * What a start writes, as one group (one write, one sync: all of it
 * commits or none): the start entry, a close for every authorization the
 * previous instance left open (its connections died with it), and the
 * push of the policy p when it is not the one the log already has in
 * force. A full disk (or any failure) leaves the log as it was and stops
 * the start with the reason: nothing partial.
 */
static int start_entries(struct authz *a, const struct recovered *r, const char *start_text,
			 struct pol_policy *p, const char *source, char *err, size_t errlen)
{
	size_t n = (start_text ? 1 : 0) + r->nopen, i, k = 0;
	struct push_items pi = { 0 };
	struct axiom_result *res = NULL;
	struct axiom_item *items = NULL;
	char (*closes)[96] = NULL;
	uint8_t hash[32];
	int rc = -ENOMEM;

	if (p && push_items(p, source, hash, &pi) < 0)
		goto nomem;
	n += pi.n;
	if (!n)
		return 0;
	items = calloc(n, sizeof(*items));
	res = calloc(n, sizeof(*res));
	closes = r->nopen ? calloc(r->nopen, sizeof(*closes)) : NULL;
	if (!items || !res || (r->nopen && !closes))
		goto nomem;
	if (start_text)
		items[k++] = (struct axiom_item){ .type = AXIOM_START, .payload = start_text,
						  .len = (uint32_t)strlen(start_text) };
	for (i = 0; i < r->nopen; i++) {
		snprintf(closes[i], sizeof(closes[i]), "auth=%" PRIu64 " reason=instance-restarted",
			 r->open[i]);
		items[k++] = (struct axiom_item){ .type = AXIOM_CONN_CLOSE, .payload = closes[i],
						  .len = (uint32_t)strlen(closes[i]) };
	}
	for (i = 0; i < pi.n; i++)
		items[k++] = pi.v[i];
	rc = axiom_submit_group(a->ax, items, n, res);
	if (rc < 0) {
		snprintf(err, errlen, "cannot write to the log: %s", strerror(-rc));
	} else if (!res[n - 1].committed) {
		rc = res[n - 1].err ? res[n - 1].err : -EIO;
		snprintf(err, errlen, "cannot record the start in the log (nothing was written): %s",
			 res[n - 1].reason);
	} else {
		a->st.closed += r->nopen;
		if (p) {
			a->policy = p;
			a->policy_seq = res[n - 1].seq;
		}
		rc = 0;
	}
	goto out;
nomem:
	snprintf(err, errlen, "out of memory");
out:
	push_items_free(&pi);
	free(items);
	free(res);
	free(closes);
	return rc;
}

int authz_open(struct authz **out, const struct authz_config *cfg, char *err, size_t errlen)
{
	struct authz *a = calloc(1, sizeof(*a));
	struct recovered r = { 0 };
	struct pol_policy *p = cfg->policy;
	const char *source = cfg->policy_source;
	int rc;

	if (!a) {
		snprintf(err, errlen, "out of memory");
		pol_free(p);
		return -ENOMEM;
	}
	a->s = cfg->stack;
	a->ax = cfg->ax;
	if (cfg->sink) {
		a->sink = *cfg->sink;
		a->have_sink = 1;
	}
	snprintf(a->dir, sizeof(a->dir), "%s", cfg->state_dir);
	a->log_cfg = cfg->log_cfg;
	a->reject_rate = cfg->reject_rate ? cfg->reject_rate : 100;
	a->udp_idle_ns = (uint64_t)(cfg->udp_idle_ms ? cfg->udp_idle_ms : AUTHZ_UDP_IDLE_MS) * 1000000u;
	a->reject_tokens = a->reject_rate;
	a->reject_last_ns = mono_ns();

	rc = recover(a, &r, err, errlen);
	a->log_cfg = NULL; /* the caller's, gone after this call */
	if (!rc && !p && r.policy_seq) {
		rc = restore_policy(a, &r, &p, err, errlen);
		if (!rc) {
			a->policy = p;
			a->policy_seq = r.policy_seq;
			log_info("authz: policy %.12s... from the log (entry %" PRIu64 ")",
				 r.policy_hash, r.policy_seq);
		}
	}
	if (!rc && !a->policy && !p) {
		rc = pol_builtin_default(&p);
		if (rc == 0) {
			source = "builtin-default";
			log_info("policy: none given: deny everything inbound but ICMP echo, "
				 "allow outbound (the built-in default)");
		} else {
			snprintf(err, errlen, "out of memory");
		}
	}
	if (!rc && !a->policy && (rc = pol_compile(p)) < 0)
		snprintf(err, errlen, "cannot compile the policy: %s", strerror(-rc));
	if (!rc)
		rc = start_entries(a, &r, cfg->start_text, a->policy ? NULL : p, source, err, errlen);
	if (rc) {
		if (!a->policy)
			pol_free(p);
		pol_free(a->policy);
		free(a);
		recovered_free(&r);
		return rc;
	}
	if (r.nopen)
		log_info("authz: %zu authorization(s) of the previous instance closed in the log",
			 r.nopen);
	recovered_free(&r);
	tcp_set_admit(a->s, &hooks, a);
	udp_set_admit(a->s, udp_hook, a);
	a->s->icmp_filter = icmp_filter;
	a->s->icmp_filter_arg = a;
	a->s->icmp6_filter = icmp6_filter;
	a->s->icmp6_filter_arg = a;
	*out = a;
	return 0;
}

void authz_stop(struct authz *a)
{
	uint64_t until;

	if (!a || a->stopped)
		return;
	a->stopped = 1;
	if (a->s->tcp)
		tcp_set_admit(a->s, NULL, NULL);
	udp_set_admit(a->s, NULL, NULL);
	a->s->icmp_filter = NULL;
	a->s->icmp6_filter = NULL;
	/* UDP flows end with the instance: a live one's verdict goes and its
	 * close entry is proposed; a pending one is left to its commit
	 * callback (which axiom_close() runs), marked gone. */
	while (a->lru_head) {
		struct udp_flow *f = a->lru_head;
		int live = f->live;

		if (live)
			close_entry(a, f->seq, "instance-stopped", NULL);
		udp_remove(a, f);
		if (live)
			udp_free(f);
		else
			f->gone = 1;
	}
	/* Authorizations still committing (their connections ended with the
	 * engine, or their flows above): their commits come back now, while
	 * the log still takes the closes they owe, instead of inside
	 * axiom_close(), when it no longer does. Bounded: what is still out
	 * after AUTHZ_STOP_WAIT_MS is reported lost by axiom_close(). */
	until = mono_ns() + (uint64_t)AUTHZ_STOP_WAIT_MS * 1000000u;
	while (a->st.pending && mono_ns() < until) {
		struct pollfd pfd = { .fd = axiom_event_fd(a->ax), .events = POLLIN };

		poll(&pfd, 1, 10);
		axiom_dispatch(a->ax);
	}
}

void authz_close(struct authz *a)
{
	if (!a)
		return;
	authz_stop(a);
	pol_free(a->policy);
	free(a);
}

const struct pol_policy *authz_policy(const struct authz *a, uint64_t *seq)
{
	if (seq)
		*seq = a->policy_seq;
	return a->policy;
}

int authz_icmp_in(struct authz *a, uint32_t src, uint32_t dst)
{
	struct pol_flow f = { .dir = POL_IN, .proto = IPPROTO_ICMP, .family = AF_INET };
	struct pol_verdict v = { 0 };

	memcpy(f.src, &src, 4);
	memcpy(f.dst, &dst, 4);
	return pol_match(a->policy, &f, &v) == 0 && v.allow;
}

int authz_icmp6_in(struct authz *a, const uint8_t src[16], const uint8_t dst[16])
{
	struct pol_flow f = { .dir = POL_IN, .proto = IPPROTO_ICMPV6, .family = AF_INET6 };
	struct pol_verdict v = { 0 };

	memcpy(f.src, src, 16);
	memcpy(f.dst, dst, 16);
	return pol_match(a->policy, &f, &v) == 0 && v.allow;
}

void authz_stats(const struct authz *a, struct authz_stats *st)
{
	*st = a->st;
}

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return a < b ? -1 : a > b;
}

int authz_latency(const struct authz *a, uint32_t *p50_us, uint32_t *p99_us, uint32_t *n)
{
	size_t k = a->lat_n < AUTHZ_LAT_SAMPLES ? (size_t)a->lat_n : AUTHZ_LAT_SAMPLES;
	uint32_t *v;

	*n = (uint32_t)k;
	*p50_us = *p99_us = 0;
	if (!k)
		return 0;
	v = malloc(k * sizeof(*v));
	if (!v)
		return -ENOMEM;
	memcpy(v, a->lat_us, k * sizeof(*v));
	qsort(v, k, sizeof(*v), cmp_u32);
	*p50_us = v[k / 2];
	*p99_us = v[k * 99 / 100 < k ? k * 99 / 100 : k - 1];
	free(v);
	return 0;
}
