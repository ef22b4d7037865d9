/*
 * run.c - the daemon, `axnet run`: attach to an interface and run the
 * stack in the foreground until SIGINT or SIGTERM.
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
#include "axiom/checkpoint.h"
#include "axiom/storage_etcd.h"
#include "etcd/etcd.h"
#include "daemon/daemon.h"
#include "daemon/netcfg.h"
#include "authz/authz.h"
#include "policy/policy.h"
#include "axnet/xdp_shared.h"
#include "netdev.h"
#include "xdp_prog.h"
#include "util/log.h"
#include "net/stack.h"
#include "net/tcp.h"
#include "net/tcp_cc.h"
#include "daemon/services.h"
#include "daemon/sockserv.h"
#include "sock/sock.h"
#include "util/addr.h"
#include "util/instance.h"
#include "util/netns.h"
#include "util/durable.h"
#include "util/mono.h"

static int next_timeout_ms(struct daemon *r, uint64_t now)
{
	uint64_t next = stack_next_deadline(&r->stack, now + MAX_SLEEP_MS * 1000000ull);

	next = ctlsrv_deadline(r, now, next);
	return next <= now ? 0 : (int)((next - now + 999999) / 1000000);
}

static void rx_frame(void *arg, const uint8_t *frame, size_t len)
{
	stack_input(arg, frame, len);
}

static int loop(struct daemon *r)
{
	struct pollfd fds[AX_MAX_QUEUES + 3 + CTLSRV_NFDS];
	int busy = 0;

	while (!r->stop) {
		int n, nfd, base, api, timeout;
		uint64_t now = mono_ns();

		nfd = r->dev->ops->poll_fds(r->dev, fds, AX_MAX_QUEUES);
		base = nfd;
		fds[nfd++] = (struct pollfd){ .fd = r->sig_fd, .events = POLLIN };
		fds[nfd++] = (struct pollfd){ .fd = r->ax ? axiom_event_fd(r->ax) : -1,
					      .events = POLLIN };
		ctlsrv_fds(r, fds + nfd);
		nfd += CTLSRV_NFDS;
		api = nfd;
		fds[nfd++] = (struct pollfd){ .fd = sockserv_fd(r->sockserv), .events = POLLIN };
		if (busy || r->busy_poll)
			timeout = 0;
		else if (r->dev->ops->tx_pending(r->dev))
			timeout = 1; /* the device was busy: retry soon */
		else
			timeout = next_timeout_ms(r, now);
		/* Programs ring the doorbell only while we sleep. */
		timeout = sockserv_before_sleep(r->sockserv, timeout);
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
		/* Commits that came back: connections go on, pushes answer. */
		if (n > 0 && (fds[base + 1].revents & POLLIN))
			axiom_dispatch(r->ax);
		ctlsrv_io(r, fds + base + 2, n, now);
		sockserv_io(r->sockserv, n > 0 ? fds[api].revents : 0);
		stack_timers(&r->stack);
		if (r->authz && now - r->last_tick_ns >= 1000000000ull) {
			r->last_tick_ns = now;
			authz_tick(r->authz); /* idle UDP flows end */
		}
		ctlsrv_flush(r, now);
		sockserv_flush(r->sockserv);
		r->dev->ops->flush(r->dev);
	}
	return 0;
}

/* The verdict map, for the authorizer (XDP backend only). */
static int sink_set(void *arg, const struct ax_flow_key *k, const struct ax_flow_val *v)
{
	return xdp_prog_flow_set(arg, k, v);
}

static int sink_del(void *arg, const struct ax_flow_key *k)
{
	return xdp_prog_flow_del(arg, k);
}

static void sink_flush_denied(void *arg)
{
	xdp_prog_flow_flush(arg, AX_VERDICT_DENY);
}

static void axiom_log(void *arg, const char *msg)
{
	(void)arg;
	log_info("axiom: %s", msg);
}

/* This machine's name ("localhost" if it has none). */
static const char *host_name(void)
{
	static char h[64];

	if (gethostname(h, sizeof(h) - 1) < 0 || !h[0])
		snprintf(h, sizeof(h), "localhost");
	return h;
}

/* The public key of the secret key in force (<state_dir>/axiom/key:
 * libsodium's seed || public key), as hex. 0 or -errno. */
static int key_hex(const char *state_dir, char out[2 * AXIOM_PUBKEY_SIZE + 1])
{
	char logdir[PATH_MAX + 8], err[256];
	uint8_t sk[AXIOM_SECKEY_SIZE];
	int rc, i;

	snprintf(logdir, sizeof(logdir), "%s/axiom", state_dir);
	rc = axiom_key_load(logdir, 0, sk, err, sizeof(err));
	if (rc < 0)
		return rc;
	for (i = 0; i < (int)AXIOM_PUBKEY_SIZE; i++)
		snprintf(out + 2 * i, 3, "%02x", sk[AXIOM_SECKEY_SIZE - AXIOM_PUBKEY_SIZE + i]);
	explicit_bzero(sk, sizeof(sk));
	return 0;
}

/* The log on etcd would not open: one line that says where and why. When
 * another live writer holds the prefix (-EBUSY), name it, from P/owner,
 * unless the store's message does already. */
static int store_open_failed(struct daemon *r, int rc, const char *err)
{
	char owner[512] = "";

	if (rc == -EBUSY && !strstr(err, "host=")) {
		struct etcd_config cfg = { .endpoints = r->axiom_endpoints };
		struct etcd_client *c;
		struct etcd_range kv = { 0 };
		char key[AX_STORE_URL_MAX + 8], e[256];

		snprintf(key, sizeof(key), "%s/owner", r->axiom_prefix);
		if (etcd_open(&c, &cfg, e, sizeof(e)) == 0) {
			if (etcd_get(c, key, &kv) == 0 && kv.n)
				snprintf(owner, sizeof(owner), " (held by %.*s)",
					 (int)kv.kvs[0].value_len, (const char *)kv.kvs[0].value);
			etcd_range_free(&kv);
			etcd_close(c);
		}
	}
	if (rc == -EBUSY && owner[0])
		return log_err(rc, "axiom: not starting: another live writer holds the log "
			       "etcd://%s/%s%s: %s; one live instance per --axiom-prefix",
			       r->axiom_endpoints, r->axiom_prefix, owner, err);
	if (rc == -EBUSY)
		return log_err(rc, "axiom: not starting: another live writer holds the log: %s; "
			       "one live instance per --axiom-prefix", err);
	if (!strncmp(err, "etcd://", 7)) /* the store's message says where */
		return log_err(rc, "axiom: cannot open the log: %s", err);
	return log_err(rc, "axiom: cannot open the log etcd://%s/%s: %s", r->axiom_endpoints,
		       r->axiom_prefix, err);
}

/* Open the log, record the start, set up the authorizer and turn on
 * enforcement in XDP. policy (may be NULL) is taken over. */
static int start_authz(struct daemon *r, const char *ifname, const char *addr_s,
		       struct pol_policy *policy, const char *policy_path, unsigned int rate,
		       unsigned int burst)
{
	static struct authz_sink sink = {
		.flow_set = sink_set,
		.flow_del = sink_del,
		.flush_denied = sink_flush_denied,
	};
	struct axiom_config xc = { .dir = r->state_dir, .log = axiom_log };
	struct axiom_etcd_config ec = { 0 };
	struct authz_config ac = { 0 };
	char err[768], text[1024], holder[AX_NAME_MAX + 256], key[2 * AXIOM_PUBKEY_SIZE + 1];
	int rc, xdp = strcmp(r->dev->kind, "xdp") == 0;

	if (r->axiom_endpoints[0]) {
		/* The holder names us to a second instance refused the prefix. */
		snprintf(holder, sizeof(holder), "host=%s pid=%d ifname=%s name=%s",
			 host_name(), (int)getpid(), ifname, r->name);
		ec.endpoints = r->axiom_endpoints;
		ec.prefix = r->axiom_prefix;
		ec.holder = holder;
		/* A killed predecessor's hold lapses within its lease's TTL
		 * (etcd checks leases every 500 ms, and a new leader renews
		 * them all once): wait for that; a live holder renews its own,
		 * so the wait then ends in a refusal. */
		ec.wait_ms = (int)(2 * AXIOM_ETCD_LEASE_TTL_S + 1) * 1000;
		xc.storage = &axiom_storage_etcd;
		xc.storage_arg = &ec;
	}
	rc = axiom_open(&r->ax, &xc, err, sizeof(err));
	if (rc) {
		pol_free(policy);
		if (r->axiom_endpoints[0])
			return store_open_failed(r, rc, err);
		return log_err(rc, "axiom: cannot open the log in %s: %s", r->state_dir, err);
	}
	/* The start entry is written by authz_open(), in one group with
	 * what a start owes the log: all of it, or nothing. A remote log
	 * also says where it is and which key signs it now (a lost state
	 * directory means a new key: auditors see the change here). */
	rc = snprintf(text, sizeof(text), "ifname=%s addr=%s backend=%s pid=%d", ifname, addr_s,
		      r->dev->kind, (int)getpid());
	if (r->axiom_endpoints[0]) {
		if (key_hex(r->state_dir, key) < 0)
			snprintf(key, sizeof(key), "unknown");
		snprintf(text + rc, sizeof(text) - (size_t)rc, " store=etcd://%s/%s key=%s",
			 r->axiom_endpoints, r->axiom_prefix, key);
	}
	ac.start_text = text;
	/* authz reads the log back at open: from the same store. */
	ac.log_cfg = &xc;
	sink.arg = netdev_xdp(r->dev);
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
		xdp_prog_flow_flush(netdev_xdp(r->dev), AX_VERDICT_ALLOW);
		xdp_prog_flow_flush(netdev_xdp(r->dev), AX_VERDICT_DENY);
		rc = xdp_prog_set_config(netdev_xdp(r->dev), &cfg);
		if (rc)
			return log_err(rc, "xdp: cannot turn on enforcement: %s", strerror(-rc));
		daemon_l4_filter_install(r);
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
		"usage: axnet run --ifname IF --addr A/P [--addr A/P...] [--gw A...]\n"
		"                 [--route PREFIX via A...] [--netns NAME]\n"
		"                 [--backend xdp|tap] [--state-dir DIR] [--queues N]\n"
		"                 [--copy] [--skb-mode] [--busy-poll] [--serve SPEC] [--verbose]\n"
		"                 [--axiom file|etcd://HOST:PORT[,...] [--axiom-prefix P]]\n"
		"                 [--name NAME]\n"
		"\n"
		"Attach axnet to IF and run the stack in the foreground until SIGINT or\n"
		"SIGTERM; then detach the XDP program and remove the pinned maps.\n"
		"\n"
		"  --ifname IF       interface to attach to (a TAP device with --backend tap;\n"
		"                    it is created when missing)\n"
		"  --addr A/P        an address of axnet's and its on-link prefix length,\n"
		"                    IPv4 or IPv6 (repeatable; IPv6 ones after DAD); the\n"
		"                    link-local fe80::/64 address from the MAC is always added\n"
		"  --gw A            default gateway, IPv4 or IPv6, on the link (repeatable:\n"
		"                    one per family)\n"
		"  --route P via A   a static route: prefix P (e.g. 10.9.0.0/16, fd09::/48)\n"
		"                    through gateway A on the link (repeatable)\n"
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
		"  --ports LO-HI     ephemeral ports for sockets (RFC 6056; default 32768-60999)\n"
		"  --axiom STORE     where the commit log lives: file (the default: files in the\n"
		"                    state directory) or etcd://HOST:PORT[,HOST:PORT...], an\n"
		"                    etcd cluster (3.4+): an entry commits once a quorum has it;\n"
		"                    without a quorum new connections are refused (the secret\n"
		"                    key stays in the state directory)\n"
		"  --axiom-prefix P  the log's keys in etcd (default axnet/log/NAME); one live\n"
		"                    instance per prefix\n"
		"  --name NAME       this instance's name (default HOSTNAME-IFNAME)\n"
		"  --verbose         debug logging\n");
}

/* Long options without a short letter. */
enum { OPT_NEIGH_REACHABLE = 0x100, OPT_NEIGH_STALE, OPT_PORTS, OPT_ROUTE };
/* ... added later, kept apart so that merges stay small. */
enum { OPT_AXIOM = 0x180, OPT_AXIOM_PREFIX, OPT_NAME };

/* A name or prefix that is one word of printable ASCII (it goes into key
 * names and into "k=v" log entries), no "//", no '/' at either end. */
static int word_ok(const char *s, int slash)
{
	const char *p;

	if (!*s || s[0] == '/' || s[strlen(s) - 1] == '/' || strstr(s, "//"))
		return 0;
	for (p = s; *p; p++)
		if (*p <= ' ' || *p > '~' || (*p == '/' && !slash))
			return 0;
	return 1;
}

/* --axiom, --axiom-prefix, --name into r: 0, or -1 with why said. */
static int store_opts(struct daemon *r, const char *store, const char *prefix, const char *name,
		      const char *ifname)
{
	if (name && (!word_ok(name, 0) || strlen(name) >= sizeof(r->name))) {
		fprintf(stderr, "axnet run: --name wants one word of printable ASCII without '/' "
				"(under %zu bytes), got '%s'\n", sizeof(r->name), name);
		return -1;
	}
	if (name)
		snprintf(r->name, sizeof(r->name), "%s", name);
	else
		snprintf(r->name, sizeof(r->name), "%s-%s", host_name(), ifname);
	if (!store || !strcmp(store, "file")) {
		if (prefix) {
			fprintf(stderr, "axnet run: --axiom-prefix goes with --axiom etcd://...\n");
			return -1;
		}
		return 0;
	}
	if (strncmp(store, "etcd://", 7) ||
	    etcd_parse_url(store, r->axiom_endpoints, sizeof(r->axiom_endpoints)) < 0) {
		fprintf(stderr, "axnet run: --axiom is file or etcd://HOST:PORT[,HOST:PORT...], "
				"got '%s'\n", store);
		r->axiom_endpoints[0] = '\0';
		return -1;
	}
	/* 256: what the store takes (storage_etcd.c), keys below it fit. */
	if (prefix && (!word_ok(prefix, 1) || strlen(prefix) > 256)) {
		fprintf(stderr, "axnet run: --axiom-prefix wants a key prefix of printable ASCII "
				"(at most 256 bytes), no spaces, no '/' at either end, got '%s'\n",
			prefix);
		return -1;
	}
	if (prefix)
		snprintf(r->axiom_prefix, sizeof(r->axiom_prefix), "%s", prefix);
	else
		snprintf(r->axiom_prefix, sizeof(r->axiom_prefix), "axnet/log/%s", r->name);
	return 0;
}

int daemon_main(int argc, char **argv)
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
		{ "ports", required_argument, NULL, OPT_PORTS },
		{ "route", required_argument, NULL, OPT_ROUTE },
		{ "axiom", required_argument, NULL, OPT_AXIOM },
		{ "axiom-prefix", required_argument, NULL, OPT_AXIOM_PREFIX },
		{ "name", required_argument, NULL, OPT_NAME },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *ifname = NULL, *addr_s = NULL, *netns = NULL;
	const char *backend = "xdp", *state_dir = NULL;
	const char *store = NULL, *store_prefix = NULL, *name = NULL;
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
	struct sock_config scfg = { 0 };
	struct netdev_opts no = { 0 };
	struct daemon *r;
	static struct netcfg nc;
	char lock_path[PATH_MAX + 8];
	char api_path[PATH_MAX + 16];
	sigset_t mask;
	int opt, i, locked = 0, stack_ready = 0, err = 0;
	unsigned int lost;

	memset(&nc, 0, sizeof(nc));
	optind = 1;
	/* "+": no permutation, so that --route's "via A" (the words after
	 * its argument) stay where they are and are taken here. */
	while ((opt = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (opt) {
		case 'i': ifname = optarg; break;
		case 'a':
			if (!addr_s)
				addr_s = optarg;
			if (netcfg_add_addr(&nc, optarg))
				return 2;
			break;
		case 'g':
			if (netcfg_add_gw(&nc, optarg))
				return 2;
			break;
		case OPT_ROUTE: {
			/* --route PREFIX via A: three words (or one, quoted). */
			static char words[AX_ROUTES_MAX][4][64];
			const char *via = NULL;

			if (strchr(optarg, ' ') && nc.nroute < AX_ROUTES_MAX) {
				char (*w)[64] = words[nc.nroute];
				int n = sscanf(optarg, "%63s %63s %63s %63s", w[0], w[1], w[2], w[3]);

				if (n == 3 && strcmp(w[1], "via") == 0) {
					if (netcfg_add_route(&nc, w[0], w[2]))
						return 2;
					break;
				}
			} else if (optind + 1 < argc && strcmp(argv[optind], "via") == 0) {
				via = argv[optind + 1];
				optind += 2;
				if (netcfg_add_route(&nc, optarg, via))
					return 2;
				break;
			}
			fprintf(stderr, "axnet run: --route wants PREFIX via ADDR, got '%s'\n",
				optarg);
			return 2;
		}
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
		case OPT_PORTS: {
			unsigned int lo, hi;
			char end;

			if (sscanf(optarg, "%u-%u%c", &lo, &hi, &end) != 2 || !lo || lo > hi ||
			    hi > 65535) {
				fprintf(stderr, "axnet run: --ports wants LO-HI (1..65535, LO <= HI), "
						"got '%s'\n", optarg);
				return 2;
			}
			scfg.port_lo = (uint16_t)lo;
			scfg.port_hi = (uint16_t)hi;
			break;
		}
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
		case OPT_AXIOM: store = optarg; break;
		case OPT_AXIOM_PREFIX: store_prefix = optarg; break;
		case OPT_NAME: name = optarg; break;
		case 'h': usage(); return 0;
		default: usage(); return 2;
		}
	}
	if (!ifname || !addr_s || optind != argc) {
		usage();
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
	if (store_opts(r, store, store_prefix, name, ifname) < 0) {
		pol_free(policy);
		free(r);
		return 2;
	}
	r->busy_poll = busy_poll;
	r->udp_idle_ms = (uint32_t)(udp_idle_s * 1000);
	/* exe "" if /proc is not there: the rest still names the daemon */
	cred_self(&r->self);
	for (i = 0; i < MAX_CLIENTS; i++)
		r->clients[i].fd = -1;
	r->next_ping_id = (uint16_t)(getpid() * 2654435761u >> 16);
	instance_state_dir(state_dir, ifname, r->state_dir, NULL);

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
		err = netns_enter(netns);
		if (err) {
			log_err(err, "cannot enter network namespace %s: %s", netns,
				strerror(-err));
			goto out;
		}
	}

	/* SIGINT and SIGTERM are read from the signalfd by the loop, so
	 * they are blocked before any thread starts (threads inherit the
	 * mask): the log's store keeps its etcd lease from a thread of its
	 * own, and a signal left unblocked there would kill the process
	 * without a clean stop. One that comes during the start stops the
	 * loop at once. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);

	no.ifname = ifname;
	r->dev = strcmp(backend, "tap") == 0 ? netdev_open_tap(&no)
					     : netdev_open_xsk(&no);
	if (!r->dev) {
		err = -errno;
		goto out;
	}
	err = stack_setup(&r->stack, &r->dev->netif);
	if (err) {
		log_err(err, "cannot set up the stack on %s (MTU %u)", ifname, r->dev->netif.mtu);
		goto out;
	}
	stack_ready = 1;
	/* XDP's `addrs` map follows the address table: usable addresses in,
	 * duplicate or gone ones out (netcfg.c). */
	r->stack.addr_event = netcfg_addr_event;
	r->stack.addr_event_arg = netdev_xdp(r->dev);
	/* DAD (nd.c) starts as each IPv6 address is added and times its
	 * wait on the stack's clock: set it first, or the wait is over at the
	 * first timer run. */
	stack_set_time(&r->stack, mono_ns());
	err = netcfg_apply(&nc, &r->stack);
	if (err)
		goto out;
	neigh_set_times(&r->stack.neigh, (uint32_t)neigh_ms[0], (uint32_t)neigh_ms[1]);
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
	scfg.stack = &r->stack;
	scfg.ifindex = (uint32_t)r->dev->ifindex;
	err = sock_layer_open(&r->socks, &scfg);
	if (err) {
		log_err(err, "cannot set up the socket layer: %s", strerror(-err));
		goto out;
	}
	if (serve) {
		err = services_start(r->socks, &r->self);
		if (err)
			goto out;
	}
	r->stack.echo_reply_cb = ctlsrv_echo_reply;
	r->stack.echo_reply_arg = r;
	stack_set_time(&r->stack, mono_ns());

	err = start_authz(r, ifname, addr_s, policy, policy_path, syn_rate, syn_burst);
	policy = NULL; /* the authorizer's now, or freed */
	if (err)
		goto out;

	signal(SIGPIPE, SIG_IGN);
	r->sig_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	snprintf(r->sock_path, sizeof(r->sock_path), "%s/%s", r->state_dir, AX_CONTROL_SOCK);
	r->listen_fd = ctl_listen(r->sock_path);
	if (r->sig_fd < 0 || r->listen_fd < 0) {
		err = log_err(r->listen_fd < 0 ? r->listen_fd : -errno,
			      "cannot set up %s", r->sock_path);
		goto out;
	}

	{
		struct sockserv_config ac = { .path = api_path, .socks = r->socks };

		snprintf(api_path, sizeof(api_path), "%s/%s", r->state_dir, AX_API_SOCK);
		err = sockserv_open(&r->sockserv, &ac);
		if (err) {
			log_err(err, "cannot set up %s: %s", api_path, strerror(-err));
			goto out;
		}
	}

	stack_announce(&r->stack);
	r->dev->ops->flush(r->dev);
	{
		const uint8_t *m = r->dev->netif.mac;

		log_info("running on %s (%s backend), address %s%s, mac %02x:%02x:%02x:%02x:%02x:%02x, control %s",
			 ifname, r->dev->kind, addr_s, nc.naddr > 1 ? " and more (axnet route)" : "",
			 m[0], m[1], m[2], m[3], m[4], m[5], r->sock_path);
	}
	err = loop(r);

out:
	ctlsrv_close_all(r);
	/* Programs' sockets close first (as at their exit); the
	 * connections that linger end with the socket layer and the stack. */
	sockserv_close(r->sockserv);
	r->sockserv = NULL;
	if (r->listen_fd >= 0) {
		close(r->listen_fd);
		unlink(r->sock_path);
	}
	if (r->sig_fd >= 0)
		close(r->sig_fd);
	if (stack_ready) {
		services_stop();
		sock_layer_close(r->socks);
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
