/*
 * conns.c - `axnet conns`: the TCP connection table of the running
 * instance.
 */
#include <stdio.h>

#include "common.h"

static void usage(void)
{
	fprintf(stderr,
		"usage: axnet conns [--state-dir DIR | --ifname IF] [--json]\n"
		"\n"
		"List TCP listeners and connections: tuple, state, send/receive\n"
		"queue, cwnd, ssthresh, peer window, MSS, srtt, retransmits, bytes.\n");
}

static void begin(struct cli_ask *q)
{
	if (q->json)
		printf("[");
	else
		printf("%-21s %-21s %-12s %8s %8s %8s %8s %5s %8s %6s %12s %12s %8s\n",
		       "local", "remote", "state", "sendq", "recvq", "cwnd", "snd_wnd",
		       "mss", "srtt_us", "retx", "bytes_in", "bytes_out", "auth");
}

static int line(struct cli_ask *q, const char *line)
{
	char la[16], ra[16], st[16], l[32], r[32];
	unsigned int lp, rp, sq, rq, cwnd, ssth, wnd, mss, srtt;
	unsigned long long retx, bin, bout, auth;
	unsigned int pending;
	char as[24];

	if (sscanf(line, "conn %15s %u %15s %u %15s %u %u %u %u %u %u %u %llu %llu %llu %llu %u",
		   la, &lp, ra, &rp, st, &sq, &rq, &cwnd, &ssth, &wnd, &mss, &srtt,
		   &retx, &bin, &bout, &auth, &pending) != 17)
		return -1;
	if (q->json) {
		printf("%s{\"local\": \"%s:%u\", \"remote\": \"%s:%u\", \"state\": \"%s\", "
		       "\"sendq\": %u, \"recvq\": %u, \"cwnd\": %u, \"ssthresh\": %u, "
		       "\"snd_wnd\": %u, \"mss\": %u, \"srtt_us\": %u, \"retransmits\": %llu, "
		       "\"bytes_in\": %llu, \"bytes_out\": %llu, \"auth_seq\": %llu, "
		       "\"auth_pending\": %s}",
		       q->n ? ", " : "", la, lp, ra, rp, st, sq, rq, cwnd, ssth, wnd, mss,
		       srtt, retx, bin, bout, auth, pending ? "true" : "false");
		return 0;
	}
	snprintf(l, sizeof(l), "%s:%u", la, lp);
	snprintf(r, sizeof(r), "%s:%u", ra, rp);
	if (pending)
		snprintf(as, sizeof(as), "wait");
	else if (auth)
		snprintf(as, sizeof(as), "%llu", auth);
	else
		snprintf(as, sizeof(as), "-");
	printf("%-21s %-21s %-12s %8u %8u %8u %8u %5u %8u %6llu %12llu %12llu %8s\n",
	       l, r, st, sq, rq, cwnd, wnd, mss, srtt, retx, bin, bout, as);
	return 0;
}

static void end(struct cli_ask *q)
{
	if (q->json)
		printf("]\n");
}

int cmd_conns(int argc, char **argv)
{
	struct cli_ask q = {
		.cmd = "conns",
		.request = "conns",
		.cut_short = "the instance closed the connection before the end of the table "
			     "(it stopped, or dropped us); see its log",
		.usage = usage,
		.begin = begin,
		.line = line,
		.end = end,
	};

	return cli_ask(argc, argv, &q);
}
