/*
 * run.c - `axnet run`: attach to an interface and run the stack in the
 * foreground until SIGINT or SIGTERM.
 *
 * The event loop is one thread: poll() on the device's descriptors, the
 * signalfd, the control socket and its clients; then receive a batch of
 * frames into the engine, run the ping sessions and the engine's timers,
 * and flush what the engine transmitted. Nothing on the per-frame path
 * allocates. The control plane rides the same loop: Axiom's results come
 * back through its event fd (axiom_dispatch), so a commit never blocks
 * the data path.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "axiom/axiom.h"
#include "common.h"
#include "control.h"
#include "policy/authz.h"
#include "policy/policy.h"
#include "axnet/xdp_shared.h"
#include "netdev.h"
#include "net/log.h"
#include "net/stack.h"
#include "net/tcp.h"
#include "net/tcp_cc.h"
#include "relay.h"
#include "services.h"
#include "util/durable.h"
#include "util/mono.h"

#define MAX_CLIENTS CTL_MAX_CLIENTS
/* The longest poll() sleep: the engine's deadlines (stack_next_deadline)
 * are looked up this far ahead, and the once-a-second chores need no
 * better. */
#define MAX_SLEEP_MS 100
#define PING_WINDOW 1024     /* replies matched within this many seqs */
#define PING_MAX_DATA 1472   /* 1500 - IPv4 - ICMP headers */
#define RX_BUDGET 256

struct ping_sess {
	uint32_t dst;
	uint16_t id;
	uint32_t count, sent, received, finished;
	size_t size;
	uint64_t interval_ns, timeout_ns, next_send_ns;
	struct {
		uint32_t seq;     /* 0: slot unused */
		uint64_t sent_ns;
		uint8_t done;
	} win[PING_WINDOW];
};

struct client {
	int fd;
	size_t inlen;
	char in[CTL_REQ_MAX + 1];
	struct ping_sess *ping; /* NULL unless a ping is running */
	struct relay *relay;    /* NULL unless an `axnet nc` runs */
	int blocking;           /* a table: see client_blocking */
	int waiting;            /* a policy push is committing for it */
	uint64_t gen;           /* which client this slot holds */
	struct ctl_out out;     /* the reply, waiting for the client */
	int asked;              /* its request line came */
	int closing;            /* the reply is complete: close once sent */
	int listing;            /* `conns`: more of the table to walk */
	uint32_t list_pos;      /* where the walk goes on (tcp_foreach_from) */
	uint64_t since_ns;      /* accepted at (for CTL_IDLE_MS) */
};

struct runner {
	struct netdev *dev;
	struct ax_stack stack;
	int listen_fd, sig_fd, lock_fd;
	struct client clients[MAX_CLIENTS];
	uint16_t next_ping_id;
	int stop;
	int busy_poll; /* never sleep in poll(): lower latency, one core spent */
	char state_dir[PATH_MAX];
	char sock_path[PATH_MAX + 32];
	struct axiom *ax;
	struct authz *authz;
	uint64_t next_gen;
	uint64_t last_tick_ns;
	uint32_t udp_idle_ms;
};

/* Let go of a client now, whatever it still had coming. */
static void client_drop(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->ping);
	c->ping = NULL;
	relay_free(c->relay);
	c->relay = NULL;
	ctl_out_free(&c->out);
	c->fd = -1;
	c->inlen = 0;
	c->blocking = 0;
	c->waiting = 0;
	c->asked = 0;
	c->closing = 0;
	c->listing = 0;
	c->list_pos = 0;
}

/* The conversation is over: close once the client has the reply. */
static void client_close(struct client *c)
{
	free(c->ping);
	c->ping = NULL;
	relay_free(c->relay);
	c->relay = NULL;
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

static void handle_stats(struct runner *r, struct client *c)
{
	struct stat_ctx sc = { .c = c };
	char name[64];
	int i;

	client_blocking(c);
	for (i = 0; i < AX_C_MAX && !sc.err; i++) {
		snprintf(name, sizeof(name), "engine.%s", ax_counter_name((enum ax_counter)i));
		say_stat(&sc, name, r->stack.cnt[i]);
	}
	say_stat(&sc, "arp.entries", r->stack.arp.used);
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
		say_stat(&sc, "authz.live", as.live);
		say_stat(&sc, "authz.pending", as.pending);
		say_stat(&sc, "authz.udp_pending_dropped", as.udp_pending_dropped);
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
		{
			char why[256];

			/* Not a number: `axnet stats` shows it as text. */
			if (axiom_error(r->ax, why, sizeof(why)) && !sc.err)
				sc.err = client_say(c, "axiom.error %s", why);
		}
	}
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

static void handle_ping(struct runner *r, struct client *c, char *args)
{
	unsigned long count, interval_ms, size, timeout_ms;
	char dst_s[64];
	struct ping_sess *p;
	uint32_t dst;

	if (sscanf(args, "%63s %lu %lu %lu %lu", dst_s, &count, &interval_ms,
		   &size, &timeout_ms) != 5 || cli_parse_addr(dst_s, &dst) < 0 ||
	    count == 0 || count > 100000 || size > PING_MAX_DATA ||
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

static void say_conn(void *arg, const struct tcp_pcb *pcb)
{
	struct conns_ctx *cc = arg;
	struct tcp_info_ax i;
	char la[16], ra[16];

	if (cc->err)
		return;
	tcp_get_info(pcb, &i);
	inet_ntop(AF_INET, &i.laddr, la, sizeof(la));
	inet_ntop(AF_INET, &i.raddr, ra, sizeof(ra));
	cc->err = client_say(cc->c,
			     "conn %s %u %s %u %s %u %u %u %u %u %u %u %llu %llu %llu %llu %d",
			     la, i.lport, ra, i.rport, tcp_state_name(i.state),
			     i.snd_queued, i.rcv_queued, i.cwnd, i.ssthresh, i.snd_wnd,
			     i.mss, i.srtt_us, (unsigned long long)i.retransmits,
			     (unsigned long long)i.bytes_in,
			     (unsigned long long)i.bytes_out, (unsigned long long)i.admit_tag,
			     i.admit_pending);
}

/*
 * The table is walked a few hash buckets at a time, whenever the client's
 * buffer runs low (as /proc/net/tcp is read): a connection that lives
 * through the listing is listed once, one opened or closed meanwhile may
 * or may not be, and the buffer never holds more than CTL_OUT_LOW and a
 * step's worth, whatever the number of connections.
 */
static void conns_more(struct runner *r, struct client *c)
{
	struct conns_ctx cc = { .c = c };

	while (c->listing && !cc.err && ctl_out_pending(&c->out) < CTL_OUT_LOW) {
		if (tcp_foreach_from(&r->stack, &c->list_pos, 64, say_conn, &cc)) {
			c->listing = 0;
			if (!cc.err && client_say(c, "end") == 0)
				client_close(c);
		}
	}
}

static void handle_conns(struct runner *r, struct client *c)
{
	client_blocking(c);
	c->listing = 1;
	c->list_pos = 0;
	conns_more(r, c);
}

static void say_neigh(void *arg, const char *line)
{
	struct conns_ctx *cc = arg;

	if (!cc->err)
		cc->err = client_say(cc->c, "%s", line);
}

static void handle_neigh(struct runner *r, struct client *c)
{
	struct conns_ctx cc = { .c = c };

	client_blocking(c);
	neigh_dump(&r->stack, say_neigh, &cc);
	if (!cc.err && client_say(c, "end") == 0)
		client_close(c);
}

static void handle_nc(struct runner *r, struct client *c, const char *args)
{
	char dst_s[64];
	unsigned long port;
	uint32_t dst;
	char line[160];

	if (sscanf(args, "%63s %lu", dst_s, &port) != 2 || cli_parse_addr(dst_s, &dst) < 0 ||
	    port == 0 || port > 65535) {
		if (client_say(c, "error bad nc request") == 0)
			client_close(c);
		return;
	}
	c->relay = relay_start(&r->stack, c->fd, dst, (uint16_t)port);
	if (!c->relay) {
		snprintf(line, sizeof(line), "error %s",
			 errno == EACCES ? "authorization denied" : strerror(errno));
		if (client_say(c, "%s", line) == 0)
			client_close(c);
	}
}

/* A push's answer goes to the client that asked, if it is still there. */
struct push_wait {
	struct runner *r;
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
static void handle_policy_push(struct runner *r, struct client *c, const char *path)
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

static void handle_policy_show(struct runner *r, struct client *c)
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

static void handle_request(struct runner *r, struct client *c)
{
	char *line = c->in;

	if (strcmp(line, "stats") == 0)
		handle_stats(r, c);
	else if (strcmp(line, "conns") == 0)
		handle_conns(r, c);
	else if (strcmp(line, "neigh") == 0)
		handle_neigh(r, c);
	else if (strncmp(line, "ping ", 5) == 0)
		handle_ping(r, c, line + 5);
	else if (strncmp(line, "nc ", 3) == 0)
		handle_nc(r, c, line + 3);
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

static void client_read(struct runner *r, struct client *c)
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

static void accept_clients(struct runner *r, uint64_t now)
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
static void flush_clients(struct runner *r, uint64_t now)
{
	int i;

	for (i = 0; i < MAX_CLIENTS; i++) {
		struct client *c = &r->clients[i];

		if (c->fd < 0 || c->relay)
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

static void on_echo_reply(void *arg, const struct icmp_echo_reply *rep)
{
	struct runner *r = arg;
	uint8_t expect[PING_MAX_DATA];
	uint64_t now = mono_ns();
	int i;

	for (i = 0; i < MAX_CLIENTS; i++) {
		struct client *c = &r->clients[i];
		struct ping_sess *p = c->ping;
		unsigned int slot;

		if (!p || p->id != rep->id || p->dst != rep->src)
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
static void ping_tick(struct runner *r, struct client *c, uint64_t now)
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
		err = stack_ping(&r->stack, p->dst, p->id, (uint16_t)seq, data, p->size);
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
static int next_timeout_ms(struct runner *r, uint64_t now)
{
	uint64_t next = stack_next_deadline(&r->stack, now + MAX_SLEEP_MS * 1000000ull);
	int i;

	for (i = 0; i < MAX_CLIENTS; i++) {
		struct ping_sess *p = r->clients[i].ping;

		if (p && p->sent < p->count && p->next_send_ns < next)
			next = p->next_send_ns;
		if (p && p->sent == p->count && now + 10 * 1000000ull < next)
			next = now + 10 * 1000000ull; /* timeouts, at 10 ms grain */
	}
	return next <= now ? 0 : (int)((next - now + 999999) / 1000000);
}

static void rx_frame(void *arg, const uint8_t *frame, size_t len)
{
	stack_input(arg, frame, len);
}

static int loop(struct runner *r)
{
	struct pollfd fds[AX_MAX_QUEUES + 3 + MAX_CLIENTS];
	int busy = 0;

	while (!r->stop) {
		int n, nfd, i, base, timeout;
		uint64_t now = mono_ns();

		nfd = r->dev->ops->poll_fds(r->dev, fds, AX_MAX_QUEUES);
		base = nfd;
		fds[nfd++] = (struct pollfd){ .fd = r->sig_fd, .events = POLLIN };
		fds[nfd++] = (struct pollfd){ .fd = r->listen_fd, .events = POLLIN };
		for (i = 0; i < MAX_CLIENTS; i++) {
			struct client *c = &r->clients[i];
			short ev = 0;

			/* A client is read until its request line is in; then
			 * written while its reply waits (hang-ups show either
			 * way). A relay reads and writes as it needs. */
			if (c->relay)
				ev = relay_events(c->relay);
			else if (!c->asked)
				ev = POLLIN;
			if (!c->relay && ctl_out_pending(&c->out))
				ev |= POLLOUT;
			fds[nfd++] = (struct pollfd){
				.fd = c->fd >= 0 && (!c->relay || ev) ? c->fd : -1,
				.events = ev,
			};
		}
		fds[nfd++] = (struct pollfd){ .fd = r->ax ? axiom_event_fd(r->ax) : -1,
					      .events = POLLIN };
		if (busy || r->busy_poll)
			timeout = 0;
		else if (r->dev->ops->tx_pending(r->dev))
			timeout = 1; /* the device was busy: retry soon */
		else
			timeout = next_timeout_ms(r, now);
		n = poll(fds, (nfds_t)nfd, timeout);
		if (n < 0 && errno != EINTR)
			return log_err(-errno, "poll: %s", strerror(errno));
		now = mono_ns();
		stack_set_time(&r->stack, now);

		busy = r->dev->ops->rx(r->dev, rx_frame, &r->stack, RX_BUDGET) == RX_BUDGET;

		if (n > 0 && (fds[base].revents & POLLIN)) {
			struct signalfd_siginfo si;

			if (read(r->sig_fd, &si, sizeof(si)) == sizeof(si)) {
				log_info("signal %u: stopping", si.ssi_signo);
				r->stop = 1;
			}
		}
		if (n > 0 && (fds[base + 1].revents & POLLIN))
			accept_clients(r, now);
		/* Commits that came back: connections go on, pushes answer. */
		if (n > 0 && (fds[base + 2 + MAX_CLIENTS].revents & POLLIN))
			axiom_dispatch(r->ax);
		for (i = 0; i < MAX_CLIENTS; i++) {
			struct client *c = &r->clients[i];

			if (c->relay) {
				if (n > 0 && fds[base + 2 + i].fd == c->fd &&
				    fds[base + 2 + i].revents)
					relay_io(c->relay, fds[base + 2 + i].revents);
				if (relay_done(c->relay))
					client_close(c);
				continue;
			}
			if (n > 0 && c->fd >= 0 && !c->asked && fds[base + 2 + i].fd == c->fd &&
			    (fds[base + 2 + i].revents & (POLLIN | POLLHUP | POLLERR)))
				client_read(r, c);
			else if (n > 0 && c->fd >= 0 && fds[base + 2 + i].fd == c->fd &&
				 (fds[base + 2 + i].revents & (POLLHUP | POLLERR)))
				client_drop(c); /* gone before its reply was complete */
			if (c->fd >= 0 && c->ping)
				ping_tick(r, c, now);
		}
		stack_timers(&r->stack);
		if (r->authz && now - r->last_tick_ns >= 1000000000ull) {
			r->last_tick_ns = now;
			authz_tick(r->authz); /* idle UDP flows end */
		}
		flush_clients(r, now);
		r->dev->ops->flush(r->dev);
	}
	return 0;
}

/* The verdict map, for the authorizer (XDP backend only). */
static int sink_set(void *arg, const struct ax_flow_key *k, const struct ax_flow_val *v)
{
	return netdev_flow_set(arg, k, v);
}

static int sink_del(void *arg, const struct ax_flow_key *k)
{
	return netdev_flow_del(arg, k);
}

static void sink_flush_denied(void *arg)
{
	netdev_flow_flush(arg, AX_VERDICT_DENY);
}

static void axiom_log(void *arg, const char *msg)
{
	(void)arg;
	log_info("axiom: %s", msg);
}

/* Open the log, record the start, set up the authorizer and turn on
 * enforcement in XDP. policy (may be NULL) is taken over. */
static int start_authz(struct runner *r, const char *ifname, const char *addr_s,
		       struct pol_policy *policy, const char *policy_path, unsigned int rate,
		       unsigned int burst)
{
	static struct authz_sink sink = {
		.flow_set = sink_set,
		.flow_del = sink_del,
		.flush_denied = sink_flush_denied,
	};
	struct axiom_config xc = { .dir = r->state_dir, .log = axiom_log };
	struct authz_config ac = { 0 };
	char err[768], text[256];
	int rc, xdp = strcmp(r->dev->kind, "xdp") == 0;

	rc = axiom_open(&r->ax, &xc, err, sizeof(err));
	if (rc) {
		pol_free(policy);
		return log_err(rc, "axiom: cannot open the log in %s: %s", r->state_dir, err);
	}
	/* The start entry is written by authz_open(), in one group with
	 * what a start owes the log: all of it, or nothing. */
	snprintf(text, sizeof(text), "ifname=%s addr=%s backend=%s pid=%d", ifname, addr_s,
		 r->dev->kind, (int)getpid());
	ac.start_text = text;
	sink.arg = r->dev;
	ac.stack = &r->stack;
	ac.ax = r->ax;
	ac.state_dir = r->state_dir;
	ac.sink = xdp ? &sink : NULL;
	ac.policy = policy;
	ac.policy_source = policy_path;
	ac.udp_idle_ms = r->udp_idle_ms;
	rc = authz_open(&r->authz, &ac, err, sizeof(err));
	if (rc)
		return log_err(rc, "authz: %s", err);
	if (xdp) {
		struct ax_xdp_config cfg = { .enforce = 1, .slow_rate = rate, .slow_burst = burst };

		/* Stale verdicts of a previous instance (its maps were
		 * pinned when it was killed) are not carried over. */
		netdev_flow_flush(r->dev, AX_VERDICT_ALLOW);
		netdev_flow_flush(r->dev, AX_VERDICT_DENY);
		rc = netdev_set_enforce(r->dev, &cfg);
		if (rc)
			return log_err(rc, "xdp: cannot turn on enforcement: %s", strerror(-rc));
	}
	{
		uint64_t seq;

		authz_policy(r->authz, &seq);
		log_info("authz: log head %llu, policy from entry %llu, enforcement %s",
			 (unsigned long long)axiom_head_seq(r->ax), (unsigned long long)seq,
			 xdp ? "in XDP and the engine" : "in the engine");
	}
	return 0;
}

/* --NAME S, a whole number in min..max: 0, or -1 with "axnet run: --NAME
 * wants MIN..MAX[ UNIT], got 'S'" said. */
static int opt_range(const char *name, const char *s, unsigned long min, unsigned long max,
		     const char *unit, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 10);
	if (!*s || *end || errno || s[0] == '-' || *v < min || *v > max) {
		fprintf(stderr, "axnet run: --%s wants %lu..%lu%s%s, got '%s'\n", name, min, max,
			*unit ? " " : "", unit, s);
		return -1;
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: axnet run --ifname IF --addr A.B.C.D/P [--gw A.B.C.D] [--netns NAME]\n"
		"                 [--backend xdp|tap] [--state-dir DIR] [--queues N]\n"
		"                 [--copy] [--skb-mode] [--busy-poll] [--serve SPEC] [--verbose]\n"
		"\n"
		"Attach axnet to IF and run the stack in the foreground until SIGINT or\n"
		"SIGTERM; then detach the XDP program and remove the pinned maps.\n"
		"\n"
		"  --ifname IF       interface to attach to (a TAP device with --backend tap;\n"
		"                    it is created when missing)\n"
		"  --addr A/P        axnet's IPv4 address and on-link prefix length\n"
		"  --gw A            default gateway (on the link)\n"
		"  --netns NAME      enter network namespace NAME first (setns, keeps mounts)\n"
		"  --backend B       xdp (AF_XDP, the default) or tap\n"
		"  --state-dir DIR   where control.sock lives (default /run/axnet/IF)\n"
		"  --queues N        AF_XDP sockets on queues 0..N-1 (default: all)\n"
		"  --copy            do not try zero-copy AF_XDP\n"
		"  --skb-mode        attach XDP in generic (SKB) mode\n"
		"  --busy-poll       never sleep waiting for frames (lower latency, a core)\n"
		"  --serve SPEC      services, e.g. echo:7,discard:9,chargen:19 (TCP, RFC 862-864),\n"
		"                    udp-echo:7 (UDP, RFC 862)\n"
		"  --tcp-time-wait MS  how long TIME_WAIT lasts (2*MSL, default 60000)\n"
		"  --tcp-cc NAME     congestion control: cubic (default) or newreno\n"
		"  --tcp-keepalive IDLE,INTVL,COUNT  keepalive on every connection (seconds)\n"
		"  --tcp-syncookies MODE  SYN cookies: auto (under pressure, the default),\n"
		"                    always, or never (a full half-open queue evicts its oldest)\n"
		"  --tcp-user-timeout MS  drop a connection whose data, or zero-window probes,\n"
		"                    go unanswered this long (RFC 9293 3.8.3; default 300000,\n"
		"                    0: only the retry limit)\n"
		"  --policy FILE     the connection policy (see README); default: the last one\n"
		"                    pushed to this state directory, else deny every inbound\n"
		"                    connection (ICMP echo allowed) and allow outbound\n"
		"  --syn-rate R[,B]  first frames of unknown flows (and TCP segments of no\n"
		"                    connection, and ICMP) XDP lets through per source:\n"
		"                    R a second, bursts of B (default 1000,2000)\n"
		"  --udp-idle S      a UDP flow's authorization ends after S seconds of silence\n"
		"                    (default 60)\n"
		"  --neigh-reachable-ms MS  how long a neighbour's reply confirms it\n"
		"                    (Linux base_reachable_time_ms; default 30000)\n"
		"  --neigh-stale-ms MS  an unused neighbour entry is freed after MS\n"
		"                    (Linux gc_stale_time; default 60000)\n"
		"  --verbose         debug logging\n");
}

/* Long options without a short letter. */
enum { OPT_NEIGH_REACHABLE = 0x100, OPT_NEIGH_STALE };

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ifname", required_argument, NULL, 'i' },
		{ "addr", required_argument, NULL, 'a' },
		{ "gw", required_argument, NULL, 'g' },
		{ "netns", required_argument, NULL, 'n' },
		{ "backend", required_argument, NULL, 'b' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "queues", required_argument, NULL, 'q' },
		{ "copy", no_argument, NULL, 'c' },
		{ "skb-mode", no_argument, NULL, 'k' },
		{ "busy-poll", no_argument, NULL, 'p' },
		{ "serve", required_argument, NULL, 'S' },
		{ "tcp-time-wait", required_argument, NULL, 'T' },
		{ "tcp-cc", required_argument, NULL, 'C' },
		{ "tcp-keepalive", required_argument, NULL, 'K' },
		{ "tcp-syncookies", required_argument, NULL, 'Y' },
		{ "tcp-user-timeout", required_argument, NULL, 'O' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "policy", required_argument, NULL, 'P' },
		{ "syn-rate", required_argument, NULL, 'R' },
		{ "udp-idle", required_argument, NULL, 'U' },
		{ "neigh-reachable-ms", required_argument, NULL, OPT_NEIGH_REACHABLE },
		{ "neigh-stale-ms", required_argument, NULL, OPT_NEIGH_STALE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *ifname = NULL, *addr_s = NULL, *gw_s = NULL, *netns = NULL;
	const char *backend = "xdp", *state_dir = NULL;
	int busy_poll = 0;
	const char *serve = NULL;
	long time_wait_ms = -1;
	const struct tcp_cc_ops *cc = NULL;
	unsigned int ka[3] = { 0, 0, 0 };
	int syncookies = TCP_SYNCOOKIES_AUTO;
	long user_timeout_ms = -1;
	const char *policy_path = NULL;
	struct pol_policy *policy = NULL;
	unsigned int syn_rate = 1000, syn_burst = 2000;
	unsigned long udp_idle_s = 0;
	unsigned long neigh_ms[2] = { 0, 0 }; /* reachable, stale; 0: default */
	unsigned long v;
	struct netdev_opts no = { 0 };
	struct runner *r;
	uint32_t addr = 0, gw = 0;
	uint8_t plen = 0;
	char lock_path[PATH_MAX + 8];
	sigset_t mask;
	int opt, i, locked = 0, stack_ready = 0, err = 0;
	unsigned int lost;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'i': ifname = optarg; break;
		case 'a': addr_s = optarg; break;
		case 'g': gw_s = optarg; break;
		case 'n': netns = optarg; break;
		case 'b': backend = optarg; break;
		case 's': state_dir = optarg; break;
		case 'q':
			if (opt_range("queues", optarg, 1, AX_MAX_QUEUES, "", &v) < 0)
				return 2;
			no.queues = (uint32_t)v;
			break;
		case 'c': no.force_copy = 1; break;
		case 'k': no.skb_mode = 1; break;
		case 'p': busy_poll = 1; break;
		case 'S':
			serve = optarg;
			if (services_parse(serve) < 0)
				return 2;
			break;
		case 'T': time_wait_ms = strtol(optarg, NULL, 10); break;
		case 'K':
			if (sscanf(optarg, "%u,%u,%u", &ka[0], &ka[1], &ka[2]) != 3 || !ka[0] ||
			    !ka[1] || !ka[2] || ka[0] > 86400 || ka[1] > 3600 || ka[2] > 255) {
				fprintf(stderr, "axnet run: --tcp-keepalive wants IDLE,INTVL,COUNT "
						"(seconds, seconds, probes), got '%s'\n", optarg);
				return 2;
			}
			break;
		case 'O':
			if (opt_range("tcp-user-timeout", optarg, 0, 86400000, "milliseconds", &v) < 0)
				return 2;
			user_timeout_ms = (long)v;
			break;
		case 'C':
			cc = tcp_cc_find(optarg);
			if (!cc) {
				fprintf(stderr, "axnet run: --tcp-cc is cubic or newreno, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'Y':
			if (!strcmp(optarg, "auto")) {
				syncookies = TCP_SYNCOOKIES_AUTO;
			} else if (!strcmp(optarg, "always")) {
				syncookies = TCP_SYNCOOKIES_ALWAYS;
			} else if (!strcmp(optarg, "never")) {
				syncookies = TCP_SYNCOOKIES_NEVER;
			} else {
				fprintf(stderr, "axnet run: --tcp-syncookies is auto, always or never, "
						"not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'v': ax_log_set_level(AX_LOG_DEBUG); break;
		case 'P': policy_path = optarg; break;
		case 'U':
			if (opt_range("udp-idle", optarg, 1, 86400, "seconds", &udp_idle_s) < 0)
				return 2;
			break;
		case OPT_NEIGH_REACHABLE:
		case OPT_NEIGH_STALE:
			if (opt_range(opt == OPT_NEIGH_REACHABLE ? "neigh-reachable-ms"
								 : "neigh-stale-ms",
				      optarg, 100, 3600000, "ms", &neigh_ms[opt == OPT_NEIGH_STALE]) < 0)
				return 2;
			break;
		case 'R': {
			int k = sscanf(optarg, "%u,%u", &syn_rate, &syn_burst);

			if (k < 1 || syn_rate == 0 || syn_rate > 1000000 || syn_burst == 0 ||
			    syn_burst > 1000000) {
				fprintf(stderr, "axnet run: --syn-rate wants R[,B] (1..1000000), "
						"got '%s'\n", optarg);
				return 2;
			}
			if (k == 1)
				syn_burst = 2 * syn_rate;
			break;
		}
		case 'h': usage(); return 0;
		default: usage(); return 2;
		}
	}
	if (!ifname || !addr_s || optind != argc) {
		usage();
		return 2;
	}
	if (cli_parse_prefix(addr_s, &addr, &plen) < 0) {
		fprintf(stderr, "axnet run: --addr wants A.B.C.D/P, got '%s'\n", addr_s);
		return 2;
	}
	if (gw_s && cli_parse_addr(gw_s, &gw) < 0) {
		fprintf(stderr, "axnet run: --gw wants A.B.C.D, got '%s'\n", gw_s);
		return 2;
	}
	if (strcmp(backend, "xdp") && strcmp(backend, "tap")) {
		fprintf(stderr, "axnet run: --backend is xdp or tap, not '%s'\n", backend);
		return 2;
	}
	/* A bad policy stops us before anything is touched. */
	if (policy_path) {
		struct pol_error pe;

		if (pol_parse_file(policy_path, &policy, &pe) < 0) {
			fprintf(stderr, "axnet run: ");
			pol_error_print(&pe, stderr);
			return 2;
		}
	}

	r = calloc(1, sizeof(*r));
	if (!r) {
		pol_free(policy);
		return 1;
	}
	r->listen_fd = r->sig_fd = r->lock_fd = -1;
	r->busy_poll = busy_poll;
	r->udp_idle_ms = (uint32_t)(udp_idle_s * 1000);
	for (i = 0; i < MAX_CLIENTS; i++)
		r->clients[i].fd = -1;
	r->next_ping_id = (uint16_t)(getpid() * 2654435761u >> 16);
	cli_state_dir(state_dir, ifname, r->state_dir);

	/* One instance per state directory. */
	err = durable_mkdirs(r->state_dir, 0755);
	if (err) {
		log_err(err, "cannot create %s: %s", r->state_dir, strerror(-err));
		goto out;
	}
	snprintf(lock_path, sizeof(lock_path), "%s/lock", r->state_dir);
	r->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (r->lock_fd < 0 || flock(r->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		err = log_err(-EBUSY, "another axnet instance runs with state directory %s",
			      r->state_dir);
		goto out;
	}
	locked = 1;
	if (netns) {
		err = cli_enter_netns(netns);
		if (err) {
			log_err(err, "cannot enter network namespace %s: %s", netns,
				strerror(-err));
			goto out;
		}
	}

	no.ifname = ifname;
	r->dev = strcmp(backend, "tap") == 0 ? netdev_open_tap(&no)
					     : netdev_open_xsk(&no);
	if (!r->dev) {
		err = -errno;
		goto out;
	}
	if (strcmp(backend, "xdp") == 0) {
		err = netdev_add_addr4(r->dev, addr);
		if (err) {
			log_err(err, "cannot publish our address to XDP: %s", strerror(-err));
			goto out;
		}
	}
	err = stack_init(&r->stack, &r->dev->netif, addr, plen, gw);
	if (err) {
		log_err(err, "bad address/prefix/gateway: %s", addr_s);
		goto out;
	}
	stack_ready = 1;
	arp_set_times(&r->stack.arp, (uint32_t)neigh_ms[0], (uint32_t)neigh_ms[1]);
	if (time_wait_ms >= 0)
		r->stack.tcp->time_wait_ms = (uint32_t)time_wait_ms;
	if (cc)
		r->stack.tcp->cc = cc;
	r->stack.tcp->ka_idle_ms = ka[0] * 1000u;
	r->stack.tcp->ka_intvl_ms = ka[1] * 1000u;
	r->stack.tcp->ka_probes = ka[2];
	tcp_set_syncookies(&r->stack, (enum tcp_syncookies)syncookies);
	if (user_timeout_ms >= 0)
		r->stack.tcp->user_timeout_ms = (uint32_t)user_timeout_ms;
	if (serve) {
		err = services_start(&r->stack);
		if (err)
			goto out;
	}
	r->stack.echo_reply_cb = on_echo_reply;
	r->stack.echo_reply_arg = r;
	stack_set_time(&r->stack, mono_ns());

	err = start_authz(r, ifname, addr_s, policy, policy_path, syn_rate, syn_burst);
	policy = NULL; /* the authorizer's now, or freed */
	if (err)
		goto out;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	r->sig_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	snprintf(r->sock_path, sizeof(r->sock_path), "%s/%s", r->state_dir, AX_CONTROL_SOCK);
	r->listen_fd = ctl_listen(r->sock_path);
	if (r->sig_fd < 0 || r->listen_fd < 0) {
		err = log_err(r->listen_fd < 0 ? r->listen_fd : -errno,
			      "cannot set up %s", r->sock_path);
		goto out;
	}

	stack_announce(&r->stack);
	r->dev->ops->flush(r->dev);
	{
		const uint8_t *m = r->dev->netif.mac;

		log_info("running on %s (%s backend), address %s/%u, mac %02x:%02x:%02x:%02x:%02x:%02x, control %s",
			 ifname, r->dev->kind, inet_ntoa((struct in_addr){ addr }), plen,
			 m[0], m[1], m[2], m[3], m[4], m[5], r->sock_path);
	}
	err = loop(r);

out:
	for (i = 0; i < MAX_CLIENTS; i++)
		if (r->clients[i].fd >= 0)
			client_drop(&r->clients[i]);
	if (r->listen_fd >= 0) {
		close(r->listen_fd);
		unlink(r->sock_path);
	}
	if (r->sig_fd >= 0)
		close(r->sig_fd);
	if (stack_ready) {
		services_stop();
		/* Connections end first (their verdicts go, their close
		 * entries are proposed), then the log commits what is
		 * queued and runs the last callbacks, then the authorizer. */
		stack_fini(&r->stack);
	}
	authz_stop(r->authz);
	lost = axiom_close(r->ax);
	if (lost) {
		/* Said as an error, and the exit status says it too: the log
		 * lacks what it was owed (axiom: lines above say why). */
		err = log_err(-EIO, "%u %s owed to the log (connection closes, revocations) %s not "
			      "written; the next start closes their authorizations in the log as "
			      "instance-restarted, without byte counts", lost,
			      lost == 1 ? "entry" : "entries", lost == 1 ? "was" : "were");
	}
	authz_close(r->authz);
	pol_free(policy);
	netdev_close(r->dev);
	if (locked) {
		unlink(lock_path);
		rmdir(r->state_dir);
	}
	if (r->lock_fd >= 0)
		close(r->lock_fd);
	free(r);
	if (!err)
		log_info("stopped cleanly");
	return err ? 1 : 0;
}
