/*
 * ctl_server.c - the control server (protocol in control.h): accepting
 * clients, reading their request line, answering it (stats, ping, conns,
 * neigh, policy push/show) into a buffer the loop drains.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "authz/authz.h"
#include "axiom/axiom.h"
#include "daemon/daemon.h"
#include "daemon/dump.h"
#include "daemon/sockserv.h"
#include "net/icmp.h"
#include "net/icmp6.h"
#include "netdev.h"
#include "net/stack.h"
#include "net/tcp.h"
#include "policy/policy.h"
#include "sock/sock.h"
#include "util/addr.h"
#include "util/log.h"
#include "util/mono.h"

/* Let go of a client now, whatever it still had coming. */
static void client_drop(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->ping);
	c->ping = NULL;
	ctl_out_free(&c->out);
	c->fd = -1;
	c->inlen = 0;
	c->blocking = 0;
	c->waiting = 0;
	c->asked = 0;
	c->closing = 0;
	c->listing = 0;
	c->list_udp = 0;
	c->list_pos = 0;
}

/* The conversation is over: close once the client has the reply. */
static void client_close(struct client *c)
{
	free(c->ping);
	c->ping = NULL;
	c->waiting = 0;
	c->listing = 0;
	if (c->fd >= 0 && ctl_out_pending(&c->out))
		c->closing = 1;
	else
		client_drop(c);
}

/*
 * Responses go into the client's buffer; the loop sends them as its socket
 * takes them (flush_clients), so the data path never waits for a reader. A
 * client whose buffer would pass its bound (CTL_OUT_LINES, or CTL_OUT_TABLE
 * for a table) reads too slowly: it is dropped. So is one that takes
 * nothing for CTL_STALL_MS.
 */
static int client_say(struct client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int client_say(struct client *c, const char *fmt, ...)
{
	char line[4096];
	va_list ap;
	int err;

	if (c->fd < 0)
		return -EPIPE;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	err = ctl_out_printf(&c->out, c->blocking ? CTL_OUT_TABLE : CTL_OUT_LINES, "%s", line);
	if (err) {
		log_info("control: dropping a client that does not keep up with its reply");
		client_drop(c);
		return -EPIPE;
	}
	return 0;
}

/* This reply is a table: it may buffer up to CTL_OUT_TABLE. */
static void client_blocking(struct client *c)
{
	c->blocking = 1;
}

struct stat_ctx {
	struct client *c;
	int err;
};

static void say_stat(void *arg, const char *name, uint64_t value)
{
	struct stat_ctx *sc = arg;

	if (!sc->err)
		sc->err = client_say(sc->c, "%s %llu", name, (unsigned long long)value);
}

static void handle_stats(struct daemon *r, struct client *c)
{
	struct stat_ctx sc = { .c = c };
	char name[64];
	int i;

	client_blocking(c);
	for (i = 0; i < AX_C_MAX && !sc.err; i++) {
		snprintf(name, sizeof(name), "engine.%s", ax_counter_name((enum ax_counter)i));
		say_stat(&sc, name, r->stack.cnt[i]);
	}
	say_stat(&sc, "arp.entries", r->stack.neigh.used);
	if (r->authz) {
		struct authz_stats as;
		struct axiom_stats xs;

		authz_stats(r->authz, &as);
		say_stat(&sc, "authz.authorized", as.authorized);
		say_stat(&sc, "authz.rejected", as.rejected);
		say_stat(&sc, "authz.rejects_unlogged", as.rejects_unlogged);
		say_stat(&sc, "authz.closed", as.closed);
		say_stat(&sc, "authz.revoked", as.revoked);
		say_stat(&sc, "authz.failed", as.failed);
		say_stat(&sc, "authz.refused_full", as.refused_full);
		say_stat(&sc, "authz.refused_unavail", as.refused_unavail);
		say_stat(&sc, "authz.live", as.live);
		say_stat(&sc, "authz.pending", as.pending);
		say_stat(&sc, "authz.udp_pending_dropped", as.udp_pending_dropped);
		say_stat(&sc, "authz.udp_pending_cap_dgrams", as.udp_pending_cap_dgrams);
		say_stat(&sc, "authz.udp_pending_cap_bytes", as.udp_pending_cap_bytes);
		say_stat(&sc, "authz.udp_pending_cap_total", as.udp_pending_cap_total);
		say_stat(&sc, "authz.udp_pending_delivered", as.udp_pending_delivered);
		say_stat(&sc, "authz.udp_pending_discarded", as.udp_pending_discarded);
		say_stat(&sc, "authz.udp_held", as.udp_held);
		say_stat(&sc, "authz.udp_held_bytes", as.udp_held_bytes);
		{
			uint32_t p50, p99, n;

			if (authz_latency(r->authz, &p50, &p99, &n) == 0) {
				say_stat(&sc, "authz.latency_samples", n);
				say_stat(&sc, "authz.latency_p50_us", p50);
				say_stat(&sc, "authz.latency_p99_us", p99);
			}
		}
		axiom_stats(r->ax, &xs);
		say_stat(&sc, "axiom.head_seq", axiom_head_seq(r->ax));
		say_stat(&sc, "axiom.committed", xs.committed);
		say_stat(&sc, "axiom.rejected", xs.rejected);
		say_stat(&sc, "axiom.batches", xs.batches);
		say_stat(&sc, "axiom.syncs", xs.syncs);
		say_stat(&sc, "axiom.disk_full", xs.full);
		say_stat(&sc, "axiom.full_events", xs.full_events);
		say_stat(&sc, "axiom.full_retries", xs.full_retries);
		say_stat(&sc, "axiom.refused_full", xs.refused_full);
		say_stat(&sc, "axiom.owed", xs.owed);
		say_stat(&sc, "axiom.owed_lost", xs.owed_lost);
		/* A remote store (etcd) that cannot take writes: as disk_full. */
		say_stat(&sc, "axiom.unavailable", xs.unavailable);
		say_stat(&sc, "axiom.unavail_events", xs.unavail_events);
		say_stat(&sc, "axiom.doubt_events", xs.doubt_events);
		say_stat(&sc, "axiom.unavail_retries", xs.unavail_retries);
		say_stat(&sc, "axiom.refused_unavail", xs.refused_unavail);
		{
			char why[256];

			/* Not a number: `axnet stats` shows it as text. */
			if (axiom_error(r->ax, why, sizeof(why)) && !sc.err)
				sc.err = client_say(c, "axiom.error %s", why);
		}
	}
	if (!sc.err)
		sockserv_stats(r->sockserv, say_stat, &sc);
	if (!sc.err)
		r->dev->ops->stats(r->dev, say_stat, &sc);
	if (!sc.err && client_say(c, "end") == 0)
		client_close(c);
}

/* Echo data: bytes that depend on seq, so a reply with other data (or the
 * data of another request) is caught. */
static void ping_fill(uint8_t *buf, size_t len, uint16_t id, uint32_t seq)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 31 + seq * 7 + id);
}

static void handle_ping(struct daemon *r, struct client *c, char *args)
{
	unsigned long count, interval_ms, size, timeout_ms;
	char dst_s[64], *pct;
	struct ping_sess *p;
	struct ip_addr dst;
	uint32_t dst4;
	int ok = 0;

	if (sscanf(args, "%63s %lu %lu %lu %lu", dst_s, &count, &interval_ms,
		   &size, &timeout_ms) == 5) {
		/* A zone (fe80::1%eth0) names the one link axnet has. */
		pct = strchr(dst_s, '%');
		if (pct)
			*pct = '\0';
		if (addr_parse4(dst_s, &dst4) == 0) {
			dst = ip_addr_v4(dst4);
			ok = 1;
		} else if (strchr(dst_s, ':') && ip_addr_parse(dst_s, &dst) == 0 &&
			   !ip_addr_is_v4(&dst)) {
			ok = 1;
		}
	}
	if (!ok || count == 0 || count > 100000 || size > PING_MAX_DATA ||
	    interval_ms > 60000 || timeout_ms == 0 || timeout_ms > 60000) {
		if (client_say(c, "error bad ping request") == 0)
			client_close(c);
		return;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		if (client_say(c, "error out of memory") == 0)
			client_close(c);
		return;
	}
	p->dst = dst;
	p->id = r->next_ping_id++;
	p->count = (uint32_t)count;
	p->size = size;
	p->interval_ns = interval_ms * 1000000ull;
	p->timeout_ns = timeout_ms * 1000000ull;
	p->next_send_ns = mono_ns();
	c->ping = p;
}

struct conns_ctx {
	struct client *c;
	int err;
};

/*
 * One socket of the table, as a "sock" line (control.h): what the
 * engine's tcp_info_ax or the socket layer's sock_info (sock/sock.h) says
 * of it.
 */
struct conn_row {
	const char *proto, *state;
	struct ip_addr laddr, raddr; /* raddr any: no peer */
	uint16_t lport, rport;
	uint32_t rx_queued, tx_queued;
	uint64_t admit_tag;
	int admit_pending;
	const struct ax_cred *owner;
	const struct tcp_info_ax *tcp; /* TCP's details, NULL for UDP */
};

/* "a.b.c.d:P" or "[v6]:P" (RFC 5952 6), as ss writes them. No peer yet:
 * the local address's family's any, so an IPv4 socket shows 0.0.0.0:0. */
static void endpoint(char *buf, size_t len, const struct ip_addr *a, uint16_t port,
		     const struct ip_addr *family_of)
{
	char t[IP_ADDR_STRLEN];

	if (ip_addr_is_any(a))
		a = ip_addr_is_v4(family_of) ? &ip_addr_any4 : &ip_addr_any6;
	ip_addr_fmt(a, t, sizeof(t));
	snprintf(buf, len, ip_addr_is_v4(a) ? "%s:%u" : "[%s]:%u", t, port);
}

static int say_row(struct client *c, const struct conn_row *w)
{
	char la[IP_ADDR_STRLEN + 10], ra[IP_ADDR_STRLEN + 10], owner[3 * AX_CRED_EXE_MAX + 64],
		tcp[200];

	endpoint(la, sizeof(la), &w->laddr, w->lport, &w->laddr);
	endpoint(ra, sizeof(ra), &w->raddr, w->rport, &w->laddr);
	if (w->owner) {
		char exe[3 * AX_CRED_EXE_MAX + 1];
		size_t n = strnlen(w->owner->exe, sizeof(w->owner->exe));

		if (n)
			pol_path_escape(exe, sizeof(exe), w->owner->exe, n);
		else
			snprintf(exe, sizeof(exe), "-");
		snprintf(owner, sizeof(owner), "%u %u %u %s", w->owner->uid, w->owner->gid,
			 w->owner->pid, exe);
	} else {
		snprintf(owner, sizeof(owner), "- - - -");
	}
	if (w->tcp)
		snprintf(tcp, sizeof(tcp), "%u %u %u %u %u %llu %llu %llu", w->tcp->cwnd,
			 w->tcp->ssthresh, w->tcp->snd_wnd, w->tcp->mss, w->tcp->srtt_us,
			 (unsigned long long)w->tcp->retransmits,
			 (unsigned long long)w->tcp->bytes_in,
			 (unsigned long long)w->tcp->bytes_out);
	else
		snprintf(tcp, sizeof(tcp), "- - - - - - - -");
	return client_say(c, "sock %s %s %u %u %s %s %llu %d %s %s", w->proto, w->state,
			  w->rx_queued, w->tx_queued, la, ra,
			  (unsigned long long)w->admit_tag, w->admit_pending, owner, tcp);
}

static void say_tcp(void *arg, const struct tcp_pcb *pcb)
{
	struct conns_ctx *cc = arg;
	struct tcp_info_ax i;
	struct conn_row w;

	if (cc->err)
		return;
	tcp_get_info(pcb, &i);
	w = (struct conn_row){
		.proto = "tcp", .state = tcp_state_name(i.state),
		.laddr = i.laddr, .raddr = i.raddr, .lport = i.lport, .rport = i.rport,
		.rx_queued = i.rcv_queued, .tx_queued = i.snd_queued,
		.admit_tag = i.admit_tag, .admit_pending = i.admit_pending,
		.owner = tcp_owner(pcb), .tcp = &i,
	};
	cc->err = say_row(cc->c, &w);
}

/* A UDP socket of the socket layer (its receive queue is the layer's);
 * one not bound yet is in no table, as ss has it. */
static void say_udp(void *arg, const struct sock_info *si)
{
	struct conns_ctx *cc = arg;
	struct conn_row w;

	if (cc->err || si->type != SOCK_DGRAM || !si->lport)
		return;
	w = (struct conn_row){
		.proto = "udp", .state = si->rport ? "ESTABLISHED" : "UNCONN",
		.laddr = si->laddr, .raddr = si->raddr, .lport = si->lport, .rport = si->rport,
		.rx_queued = si->rx_queued, .tx_queued = si->tx_queued,
		.admit_tag = si->admit_tag, .admit_pending = si->admit_pending,
		.owner = si->owner,
	};
	cc->err = say_row(cc->c, &w);
}

/*
 * The table is walked a few hash buckets at a time, whenever the client's
 * buffer runs low (as /proc/net/tcp is read): a connection that lives
 * through the listing is listed once, one opened or closed meanwhile may
 * or may not be, and the buffer never holds more than CTL_OUT_LOW and a
 * step's worth, whatever the number of connections. TCP first, from the
 * engine (listeners first; every connection, also those no socket holds
 * any more: orphans closing, TIME_WAIT, which ss lists too, without a
 * process), then UDP, from the socket layer's table.
 */
static void conns_more(struct daemon *r, struct client *c)
{
	struct conns_ctx cc = { .c = c };

	while (c->listing && !cc.err && ctl_out_pending(&c->out) < CTL_OUT_LOW) {
		if (!c->list_udp) {
			if (tcp_foreach_from(&r->stack, &c->list_pos, 64, say_tcp, &cc)) {
				c->list_udp = 1;
				c->list_pos = 0;
			}
			continue;
		}
		if (r->socks && !sock_foreach_from(r->socks, &c->list_pos, 64, say_udp, &cc))
			continue;
		c->listing = 0;
		if (!cc.err && client_say(c, "end") == 0)
			client_close(c);
	}
}

static void handle_conns(struct daemon *r, struct client *c)
{
	client_blocking(c);
	c->listing = 1;
	c->list_udp = 0;
	c->list_pos = 0;
	conns_more(r, c);
}

static void say_neigh(void *arg, const char *line)
{
	struct conns_ctx *cc = arg;

	if (!cc->err)
		cc->err = client_say(cc->c, "%s", line);
}

static void handle_neigh(struct daemon *r, struct client *c)
{
	struct conns_ctx cc = { .c = c };

	client_blocking(c);
	neigh_dump(&r->stack, say_neigh, &cc);
	if (!cc.err && client_say(c, "end") == 0)
		client_close(c);
}

static void handle_route(struct daemon *r, struct client *c)
{
	struct conns_ctx cc = { .c = c };

	client_blocking(c);
	route_dump(&r->stack, say_neigh, &cc);
	if (!cc.err && client_say(c, "end") == 0)
		client_close(c);
}

/* A push's answer goes to the client that asked, if it is still there. */
struct push_wait {
	struct daemon *r;
	int slot;
	uint64_t gen;
};

static void on_push_done(void *arg, const struct authz_push_result *res)
{
	struct push_wait *w = arg;
	struct client *c = &w->r->clients[w->slot];

	if (c->fd >= 0 && c->gen == w->gen && c->waiting) {
		c->waiting = 0;
		if (res->err == 0) {
			char hx[65];

			for (int i = 0; i < 32; i++)
				snprintf(hx + 2 * i, 3, "%02x", res->hash[i]);
			if (client_say(c, "pushed seq=%llu sha256=%s revoked=%u",
				       (unsigned long long)res->seq, hx, res->revoked) == 0)
				client_close(c);
		} else if (client_say(c, "error the log refused the push: %s", res->reason) == 0) {
			client_close(c);
		}
	}
	free(w);
}

/* "policy push PATH": the instance reads the file itself (both run as
 * root on one host), so a policy of any size needs no framing. */
static void handle_policy_push(struct daemon *r, struct client *c, const char *path)
{
	struct pol_error pe = { 0 };
	struct push_wait *w;
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int err;

	if (!r->authz) {
		if (client_say(c, "error no authorizer") == 0)
			client_close(c);
		return;
	}
	f = fopen(path, "re");
	if (!f) {
		if (client_say(c, "error %s: %s", path, strerror(errno)) == 0)
			client_close(c);
		return;
	}
	text = malloc(POL_FILE_MAX + 1);
	if (text)
		len = fread(text, 1, POL_FILE_MAX + 1, f);
	fclose(f);
	w = malloc(sizeof(*w));
	if (!text || !w || len > POL_FILE_MAX) {
		free(text);
		free(w);
		if (client_say(c, "error %s: too large or out of memory", path) == 0)
			client_close(c);
		return;
	}
	*w = (struct push_wait){ .r = r, .slot = (int)(c - r->clients), .gen = c->gen };
	c->waiting = 1;
	err = authz_push(r->authz, text, len, path, on_push_done, w, &pe);
	free(text);
	if (err) {
		free(w);
		c->waiting = 0;
		if (err == -EINVAL && pe.line)
			err = client_say(c, "error %s:%u:%u: %s", pe.file, pe.line, pe.col, pe.msg);
		else if (err == -EINVAL)
			err = client_say(c, "error %s: %s", pe.file, pe.msg);
		else
			err = client_say(c, "error %s: %s", path, strerror(-err));
		if (err == 0)
			client_close(c);
	}
}

static void handle_policy_show(struct daemon *r, struct client *c)
{
	char *buf = NULL, hx[65] = "?";
	const struct pol_policy *p;
	uint8_t hash[32];
	size_t len = 0;
	uint64_t seq = 0;
	FILE *f;

	if (!r->authz) {
		if (client_say(c, "error no authorizer") == 0)
			client_close(c);
		return;
	}
	f = open_memstream(&buf, &len);
	if (!f) {
		client_close(c);
		return;
	}
	p = authz_policy(r->authz, &seq);
	pol_format(p, f);
	fclose(f);
	/* The hash a push prints and its log entry names. */
	if (pol_hash(p, hash) == 0)
		for (int i = 0; i < 32; i++)
			snprintf(hx + 2 * i, 3, "%02x", hash[i]);
	client_blocking(c);
	/* The text goes whole (lines of any length; a policy file may be
	 * larger than CTL_OUT_TABLE): its own size is its bound. */
	if (client_say(c, "# policy in force since entry %llu, sha256 %s",
		       (unsigned long long)seq, hx) == 0) {
		if (ctl_out_write(&c->out, CTL_OUT_TABLE + len, buf, len) < 0 ||
		    (len && buf[len - 1] != '\n' && ctl_out_write(&c->out, CTL_OUT_TABLE + len,
								  "\n", 1) < 0))
			client_drop(c);
		else if (client_say(c, "end") == 0)
			client_close(c);
	}
	free(buf);
}

static void handle_request(struct daemon *r, struct client *c)
{
	char *line = c->in;

	if (strcmp(line, "stats") == 0)
		handle_stats(r, c);
	else if (strcmp(line, "conns") == 0)
		handle_conns(r, c);
	else if (strcmp(line, "neigh") == 0)
		handle_neigh(r, c);
	else if (strcmp(line, "route") == 0)
		handle_route(r, c);
	else if (strncmp(line, "ping ", 5) == 0)
		handle_ping(r, c, line + 5);
	else if (strncmp(line, "policy push ", 12) == 0)
		handle_policy_push(r, c, line + 12);
	else if (strcmp(line, "policy show") == 0)
		handle_policy_show(r, c);
	else if (client_say(c, "error unknown request") == 0)
		client_close(c);
}

/* Answer a request that cannot be taken, and end the conversation. */
static void client_refuse(struct client *c, const char *why)
{
	c->asked = 1;
	if (client_say(c, "error %s", why) == 0)
		client_close(c);
}

static void client_read(struct daemon *r, struct client *c)
{
	ssize_t n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - 1 - c->inlen,
			 MSG_DONTWAIT);
	char *nl;

	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			client_drop(c);
		return;
	}
	if (n == 0) {
		/* EOF: a partial request still gets its answer. */
		if (c->inlen)
			client_refuse(c, "incomplete request (no newline before end of input)");
		else
			client_drop(c);
		return;
	}
	c->inlen += (size_t)n;
	c->in[c->inlen] = '\0';
	nl = memchr(c->in, '\n', c->inlen);
	if (!nl) {
		if (c->inlen == sizeof(c->in) - 1) {
			char why[64];

			snprintf(why, sizeof(why), "request too long (at most %u bytes)",
				 CTL_REQ_MAX);
			client_refuse(c, why);
		}
		return;
	}
	*nl = '\0';
	if (memchr(c->in, '\0', (size_t)(nl - c->in))) {
		client_refuse(c, "request contains a NUL byte");
		return;
	}
	c->asked = 1;
	handle_request(r, c);
}

static void accept_clients(struct daemon *r, uint64_t now)
{
	char busy[96];
	int fd, i, n;

	n = snprintf(busy, sizeof(busy), "error too many control clients (%u); try again later\n",
		     CTL_MAX_CLIENTS);

	while ((fd = accept4(r->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		for (i = 0; i < MAX_CLIENTS; i++) {
			if (r->clients[i].fd < 0) {
				r->clients[i].fd = fd;
				r->clients[i].inlen = 0;
				r->clients[i].gen = ++r->next_gen;
				r->clients[i].since_ns = now;
				break;
			}
		}
		if (i == MAX_CLIENTS) {
			/* A new socket's buffer is empty: this line fits. */
			if (send(fd, busy, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
				log_debug("control: cannot tell a client we are full: %s",
					  strerror(errno));
			close(fd);
		}
	}
}

/*
 * Send what the clients' sockets take; go on with listings that ran low;
 * close the finished, drop the gone and the too slow, and end the idle.
 */
static void flush_clients(struct daemon *r, uint64_t now)
{
	int i;

	for (i = 0; i < MAX_CLIENTS; i++) {
		struct client *c = &r->clients[i];

		if (c->fd < 0)
			continue;
		if (!c->asked && now - c->since_ns >= CTL_IDLE_MS * 1000000ull) {
			char why[64];

			snprintf(why, sizeof(why), "no request within %u ms", CTL_IDLE_MS);
			client_refuse(c, why);
			if (c->fd < 0)
				continue;
		}
		if (c->fd < 0 || !ctl_out_pending(&c->out))
			continue;
		if (ctl_out_flush(&c->out, c->fd, now) < 0) {
			client_drop(c); /* the client went away */
			continue;
		}
		if (c->listing)
			conns_more(r, c);
		if (c->fd >= 0 && !ctl_out_pending(&c->out)) {
			if (c->closing)
				client_drop(c);
		} else if (c->fd >= 0 && c->out.stalled_ns &&
			   now - c->out.stalled_ns >= CTL_STALL_MS * 1000000ull) {
			log_info("control: dropping a client that read nothing for %u ms",
				 CTL_STALL_MS);
			client_drop(c);
		}
	}
}

void ctlsrv_echo_reply(void *arg, const struct icmp_echo_reply *rep)
{
	struct daemon *r = arg;
	uint8_t expect[PING_MAX_DATA];
	uint64_t now = mono_ns();
	int i;

	for (i = 0; i < MAX_CLIENTS; i++) {
		struct client *c = &r->clients[i];
		struct ping_sess *p = c->ping;
		unsigned int slot;

		if (!p || p->id != rep->id)
			continue;
		if (rep->family == 6 ? !ip_addr_eq(&p->dst, &rep->src6)
				     : !ip_addr_is_v4(&p->dst) || ip_addr_get_v4(&p->dst) != rep->src)
			continue;
		slot = rep->seq % PING_WINDOW;
		if (p->win[slot].seq != rep->seq || p->win[slot].done)
			return; /* late, duplicate or foreign */
		p->win[slot].done = 1;
		p->finished++;
		ping_fill(expect, p->size, p->id, rep->seq);
		if (rep->data_len != p->size ||
		    memcmp(rep->data, expect, p->size) != 0) {
			client_say(c, "baddata seq=%u", rep->seq);
			return;
		}
		p->received++;
		client_say(c, "reply seq=%u bytes=%zu ttl=%u rtt_ns=%llu", rep->seq,
			   rep->data_len + 8, rep->ttl,
			   (unsigned long long)(now - p->win[slot].sent_ns));
		return;
	}
}

/* Send what is due, time out what is overdue, finish what is complete. */
static void ping_tick(struct daemon *r, struct client *c, uint64_t now)
{
	struct ping_sess *p = c->ping;
	uint8_t data[PING_MAX_DATA];
	unsigned int i;

	for (i = 0; i < PING_WINDOW; i++) {
		if (!p->win[i].seq || p->win[i].done ||
		    now < p->win[i].sent_ns + p->timeout_ns)
			continue;
		p->win[i].done = 1;
		p->finished++;
		if (client_say(c, "timeout seq=%u", p->win[i].seq) < 0)
			return;
	}
	if (p->sent < p->count && now >= p->next_send_ns) {
		uint32_t seq = ++p->sent;
		unsigned int slot = seq % PING_WINDOW;
		int err;

		if (p->win[slot].seq && !p->win[slot].done)
			p->finished++; /* the window wrapped past it */
		p->win[slot].seq = seq;
		p->win[slot].sent_ns = now;
		p->win[slot].done = 0;
		ping_fill(data, p->size, p->id, seq);
		err = ip_addr_is_v4(&p->dst)
			      ? stack_ping(&r->stack, ip_addr_get_v4(&p->dst), p->id,
					   (uint16_t)seq, data, p->size)
			      : icmp6_send_echo(&r->stack, &p->dst, p->id, (uint16_t)seq, data,
						p->size);
		if (err) {
			p->win[slot].done = 1;
			p->finished++;
			if (client_say(c, "senderror seq=%u %s", seq, strerror(-err)) < 0)
				return;
		}
		p->next_send_ns = now + p->interval_ns;
	}
	if (p->sent == p->count && p->finished >= p->count) {
		if (client_say(c, "done sent=%u received=%u", p->sent, p->received) == 0)
			client_close(c);
	}
}

/*
 * How long poll() may sleep: until the engine's next timer (a delayed ACK
 * is due 40 ms after its segment, an RTO to the ms), a ping's next send or
 * timeout check, and at most MAX_SLEEP_MS (control clients' idle and
 * stall limits, authz_tick). Rounded up to whole ms, so the timer is due
 * when poll() returns and the loop never spins on it.
 */
void ctlsrv_fds(struct daemon *r, struct pollfd *fds)
{
	int i;

	fds[0] = (struct pollfd){ .fd = r->listen_fd, .events = POLLIN };
	for (i = 0; i < MAX_CLIENTS; i++) {
		struct client *c = &r->clients[i];
		short ev = 0;

		/* A client is read until its request line is in; then
		 * written while its reply waits (hang-ups show either
		 * way). */
		if (!c->asked)
			ev = POLLIN;
		if (ctl_out_pending(&c->out))
			ev |= POLLOUT;
		fds[1 + i] = (struct pollfd){
			.fd = c->fd,
			.events = ev,
		};
	}
}

void ctlsrv_io(struct daemon *r, const struct pollfd *fds, int n, uint64_t now)
{
	int i;

	if (n > 0 && (fds[0].revents & POLLIN))
		accept_clients(r, now);
	for (i = 0; i < MAX_CLIENTS; i++) {
		struct client *c = &r->clients[i];
		const struct pollfd *p = &fds[1 + i];

		if (n > 0 && c->fd >= 0 && !c->asked && p->fd == c->fd &&
		    (p->revents & (POLLIN | POLLHUP | POLLERR)))
			client_read(r, c);
		else if (n > 0 && c->fd >= 0 && p->fd == c->fd && (p->revents & (POLLHUP | POLLERR)))
			client_drop(c); /* gone before its reply was complete */
		if (c->fd >= 0 && c->ping)
			ping_tick(r, c, now);
	}
}

void ctlsrv_flush(struct daemon *r, uint64_t now)
{
	flush_clients(r, now);
}

uint64_t ctlsrv_deadline(struct daemon *r, uint64_t now, uint64_t next)
{
	int i;

	for (i = 0; i < MAX_CLIENTS; i++) {
		struct ping_sess *p = r->clients[i].ping;

		if (p && p->sent < p->count && p->next_send_ns < next)
			next = p->next_send_ns;
		if (p && p->sent == p->count && now + 10 * 1000000ull < next)
			next = now + 10 * 1000000ull; /* timeouts, at 10 ms grain */
	}
	return next;
}

void ctlsrv_close_all(struct daemon *r)
{
	int i;

	for (i = 0; i < MAX_CLIENTS; i++)
		if (r->clients[i].fd >= 0)
			client_drop(&r->clients[i]);
}
