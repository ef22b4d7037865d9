/*
 * conns.c - `axnet conns`: the socket table of the running instance, as
 * `ss -tunap` shows the kernel's: TCP and UDP, listening and connected,
 * queues, both ends, the Axiom entry that authorized each, and whose
 * socket it is (pid and program). The daemon's "sock" lines are in
 * daemon/control.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

/* What to show (ss's -t -u -l -i), from argv before cli_ask sees it. */
struct conns_opt {
	int tcp, udp, listening, info;
};

static void usage(void)
{
	fprintf(stderr,
		"usage: axnet conns [--state-dir DIR | --ifname IF] [-t] [-u] [-l] [-i] [--json]\n"
		"\n"
		"The socket table, as ss -tunap shows the kernel's: protocol, state, receive\n"
		"and send queues (bytes), local and peer address, the Axiom entry that\n"
		"authorized it (wait: its commit is pending; -: none), and its owner's pid\n"
		"and program (-: none known; the built-in services are the daemon's).\n"
		"  -t, --tcp        TCP only\n"
		"  -u, --udp        UDP only\n"
		"  -l, --listening  listening TCP and unconnected UDP sockets only\n"
		"  -i, --info       TCP internals too: cwnd, ssthresh, peer window, MSS,\n"
		"                   srtt, retransmits, bytes in and out\n"
		"  --json           everything, as a JSON array\n");
}

/* One "sock" line, split. The owner's and TCP's fields are "-" when they
 * do not apply. */
struct row {
	char proto[8], state[16], local[64], peer[64]; /* a.b.c.d:port, [v6]:port */
	unsigned long long rq, sq, auth;
	int pending;
	char uid[16], gid[16], pid[16], exe[800];
	char tcp[8][24];
};

static int parse_row(const char *line, struct row *w)
{
	int n = sscanf(line,
		       "sock %7s %15s %llu %llu %63s %63s %llu %d %15s %15s %15s %799s "
		       "%23s %23s %23s %23s %23s %23s %23s %23s",
		       w->proto, w->state, &w->rq, &w->sq, w->local, w->peer, &w->auth,
		       &w->pending, w->uid, w->gid, w->pid, w->exe, w->tcp[0], w->tcp[1],
		       w->tcp[2], w->tcp[3], w->tcp[4], w->tcp[5], w->tcp[6], w->tcp[7]);

	return n == 20 ? 0 : -1;
}

/* "A:0" is "A:*", as ss writes a port that is not there. */
static void endpoint(char *out, size_t size, const char *ap)
{
	size_t n = strlen(ap);

	if (n >= 2 && strcmp(ap + n - 2, ":0") == 0)
		snprintf(out, size, "%.*s:*", (int)(n - 2), ap);
	else
		snprintf(out, size, "%s", ap);
}

/* The exe as the daemon escaped it (a policy's `program` path: %XX),
 * decoded for a terminal: printable ASCII stays, the rest is \xXX, so
 * nothing a program's path holds can drive the terminal. */
static void exe_text(char *out, size_t size, const char *e)
{
	size_t n = 0;

	for (; *e && n + 5 < size; e++) {
		unsigned int c = (unsigned char)*e;

		if (c == '%' && e[1] && e[2]) {
			char hx[3] = { e[1], e[2], 0 };

			c = (unsigned int)strtoul(hx, NULL, 16);
			e += 2;
		}
		if (c > 0x20 && c < 0x7f && c != '\\')
			out[n++] = (char)c;
		else
			n += (size_t)snprintf(out + n, size - n, "\\x%02x", c);
	}
	out[n] = '\0';
}

static int wanted(const struct conns_opt *o, const struct row *w)
{
	int is_tcp = strcmp(w->proto, "tcp") == 0;

	if ((o->tcp || o->udp) && !(is_tcp ? o->tcp : o->udp))
		return 0;
	if (o->listening)
		return is_tcp ? strcmp(w->state, "LISTEN") == 0 : strcmp(w->state, "UNCONN") == 0;
	return 1;
}

static void begin(struct cli_ask *q)
{
	const struct conns_opt *o = q->arg;

	if (q->json) {
		printf("[");
		return;
	}
	printf("%-5s %-12s %8s %8s %-21s %-21s %8s %7s", "proto", "state", "recv-q", "send-q",
	       "local", "peer", "auth", "pid");
	if (o->info)
		printf(" %8s %8s %8s %5s %8s %6s %12s %12s", "cwnd", "ssthresh", "snd_wnd", "mss",
		       "srtt_us", "retx", "bytes_in", "bytes_out");
	printf(" %s\n", "program");
}

static void json_row(struct cli_ask *q, const struct row *w)
{
	static const char *const tcp_keys[8] = { "cwnd", "ssthresh", "snd_wnd", "mss",
						 "srtt_us", "retransmits", "bytes_in",
						 "bytes_out" };
	char exe[1024];
	unsigned int k;

	printf("%s{\"proto\": \"%s\", \"state\": \"%s\", \"recvq\": %llu, \"sendq\": %llu, "
	       "\"local\": \"%s\", \"remote\": \"%s\", \"auth_seq\": %llu, "
	       "\"auth_pending\": %s",
	       q->n ? ", " : "", w->proto, w->state, w->rq, w->sq, w->local, w->peer, w->auth,
	       w->pending ? "true" : "false");
	if (strcmp(w->uid, "-") != 0) {
		size_t n = 0;

		/* JSON: the path's bytes as \u00XX where they are not plain
		 * printable ASCII (a path need not be UTF-8) */
		exe[0] = '\0';
		if (strcmp(w->exe, "-") != 0) {
			const char *e;

			for (e = w->exe; *e && n + 8 < sizeof(exe); e++) {
				unsigned int c = (unsigned char)*e;

				if (c == '%' && e[1] && e[2]) {
					char hx[3] = { e[1], e[2], 0 };

					c = (unsigned int)strtoul(hx, NULL, 16);
					e += 2;
				}
				if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
					exe[n++] = (char)c;
				else
					n += (size_t)snprintf(exe + n, sizeof(exe) - n, "\\u%04x", c);
			}
			exe[n] = '\0';
		}
		printf(", \"owner\": {\"uid\": %s, \"gid\": %s, \"pid\": %s, \"exe\": %s%s%s}",
		       w->uid, w->gid, w->pid, strcmp(w->exe, "-") ? "\"" : "",
		       strcmp(w->exe, "-") ? exe : "null", strcmp(w->exe, "-") ? "\"" : "");
	} else {
		printf(", \"owner\": null");
	}
	if (strcmp(w->tcp[0], "-") != 0)
		for (k = 0; k < 8; k++)
			printf(", \"%s\": %s", tcp_keys[k], w->tcp[k]);
	printf("}");
}

static int line(struct cli_ask *q, const char *text)
{
	const struct conns_opt *o = q->arg;
	char l[40], r[40], as[24], exe[1024];
	struct row w;
	unsigned int k;

	if (parse_row(text, &w) < 0)
		return -1;
	if (!wanted(o, &w)) {
		/* cli_ask counts the lines taken in q->n, which the JSON
		 * commas go by: this one printed nothing */
		q->n--;
		return 0;
	}
	if (q->json) {
		json_row(q, &w);
		return 0;
	}
	endpoint(l, sizeof(l), w.local);
	endpoint(r, sizeof(r), w.peer);
	if (w.pending)
		snprintf(as, sizeof(as), "wait");
	else if (w.auth)
		snprintf(as, sizeof(as), "%llu", w.auth);
	else
		snprintf(as, sizeof(as), "-");
	printf("%-5s %-12s %8llu %8llu %-21s %-21s %8s %7s", w.proto, w.state, w.rq, w.sq, l, r,
	       as, w.pid);
	if (o->info)
		for (k = 0; k < 8; k++)
			printf(" %*s", k == 3 ? 5 : k == 5 ? 6 : k >= 6 ? 12 : 8, w.tcp[k]);
	if (strcmp(w.exe, "-") == 0)
		snprintf(exe, sizeof(exe), "-");
	else
		exe_text(exe, sizeof(exe), w.exe);
	printf(" %s\n", exe);
	return 0;
}

static void end(struct cli_ask *q)
{
	if (q->json)
		printf("]\n");
}

/* Take ss's letters (-t -u -l -i, and together: -tl) and their long
 * names out of argv; the rest is cli_ask's. The new argc. */
static int take_opts(int argc, char **argv, struct conns_opt *o)
{
	int i, k = 0;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (i > 0 && a[0] == '-' && a[1] && a[1] != '-' &&
		    strspn(a + 1, "tuli") == strlen(a + 1)) {
			o->tcp |= strchr(a, 't') != NULL;
			o->udp |= strchr(a, 'u') != NULL;
			o->listening |= strchr(a, 'l') != NULL;
			o->info |= strchr(a, 'i') != NULL;
			continue;
		}
		if (i > 0 && strcmp(a, "--tcp") == 0) {
			o->tcp = 1;
			continue;
		}
		if (i > 0 && strcmp(a, "--udp") == 0) {
			o->udp = 1;
			continue;
		}
		if (i > 0 && strcmp(a, "--listening") == 0) {
			o->listening = 1;
			continue;
		}
		if (i > 0 && strcmp(a, "--info") == 0) {
			o->info = 1;
			continue;
		}
		if (strcmp(a, "--") == 0)
			break;
		argv[k++] = argv[i];
	}
	for (; i < argc; i++)
		argv[k++] = argv[i];
	return k;
}

int cmd_conns(int argc, char **argv)
{
	struct conns_opt o = { 0 };
	struct cli_ask q = {
		.cmd = "conns",
		.request = "conns",
		.cut_short = "the instance closed the connection before the end of the table "
			     "(it stopped, or dropped us); see its log",
		.usage = usage,
		.begin = begin,
		.line = line,
		.end = end,
		.arg = &o,
	};

	argc = take_opts(argc, argv, &o);
	return cli_ask(argc, argv, &q);
}
