/*
 * conns.c - `axnet conns`: the TCP connection table of the running
 * instance.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "control.h"

static void usage(void)
{
	fprintf(stderr,
		"usage: axnet conns [--state-dir DIR | --ifname IF] [--json]\n"
		"\n"
		"List TCP listeners and connections: tuple, state, send/receive\n"
		"queue, cwnd, ssthresh, peer window, MSS, srtt, retransmits, bytes.\n");
}

int cmd_conns(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, 's' },
		{ "ifname", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *ifname = NULL;
	char state[PATH_MAX], line[512];
	int opt, json = 0, ended = 0, n = 0;
	FILE *f;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 's': dir = optarg; break;
		case 'i': ifname = optarg; break;
		case 'j': json = 1; break;
		case 'h': usage(); return 0;
		default: usage(); return 2;
		}
	}
	if (optind != argc) {
		usage();
		return 2;
	}
	if (cli_state_dir(dir, ifname, state) < 0)
		return 1;
	f = ctl_request(state, "conns");
	if (!f)
		return 1;
	if (json)
		printf("[");
	else
		printf("%-21s %-21s %-12s %8s %8s %8s %8s %5s %8s %6s %12s %12s %8s\n",
		       "local", "remote", "state", "sendq", "recvq", "cwnd", "snd_wnd",
		       "mss", "srtt_us", "retx", "bytes_in", "bytes_out", "auth");
	while (fgets(line, sizeof(line), f)) {
		char la[16], ra[16], st[16], l[32], r[32];
		unsigned int lp, rp, sq, rq, cwnd, ssth, wnd, mss, srtt;
		unsigned long long retx, bin, bout, auth;
		unsigned int pending;
		char as[24];

		if (strcmp(line, "end\n") == 0) {
			ended = 1;
			break;
		}
		if (ctl_error_line("conns", line)) {
			fclose(f);
			return 1;
		}
		if (sscanf(line, "conn %15s %u %15s %u %15s %u %u %u %u %u %u %u %llu %llu %llu %llu %u",
			   la, &lp, ra, &rp, st, &sq, &rq, &cwnd, &ssth, &wnd, &mss, &srtt,
			   &retx, &bin, &bout, &auth, &pending) != 17) {
			fprintf(stderr, "axnet conns: unexpected answer: %s", line);
			fclose(f);
			return 1;
		}
		if (json) {
			printf("%s{\"local\": \"%s:%u\", \"remote\": \"%s:%u\", \"state\": \"%s\", "
			       "\"sendq\": %u, \"recvq\": %u, \"cwnd\": %u, \"ssthresh\": %u, "
			       "\"snd_wnd\": %u, \"mss\": %u, \"srtt_us\": %u, \"retransmits\": %llu, "
			       "\"bytes_in\": %llu, \"bytes_out\": %llu, \"auth_seq\": %llu, "
			       "\"auth_pending\": %s}",
			       n ? ", " : "", la, lp, ra, rp, st, sq, rq, cwnd, ssth, wnd, mss,
			       srtt, retx, bin, bout, auth, pending ? "true" : "false");
		} else {
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
		}
		n++;
	}
	fclose(f);
	if (json)
		printf("]\n");
	if (!ended) {
		fprintf(stderr, "axnet conns: the instance closed the connection before the end "
				"of the table (it stopped, or dropped us); see its log\n");
		return 1;
	}
	return 0;
}
