/*
 * ping.c - `axnet ping`: ICMP echo requests sent by the running instance
 * (from axnet's address, through its device), reported like ping(8).
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "ctl_client.h"

static void usage(void)
{
	fprintf(stderr,
		"usage: axnet ping [--state-dir DIR | --ifname IF] [-c COUNT] [-i INTERVAL]\n"
		"                  [-s SIZE] [-W TIMEOUT] DEST\n"
		"\n"
		"Send COUNT (default 4) echo requests of SIZE data bytes (default 56) to\n"
		"DEST (IPv4, or IPv6: ICMPv6; a link-local zone such as %%eth0 is the\n"
		"instance's one link) every INTERVAL seconds (default 1), waiting TIMEOUT seconds\n"
		"(default 2) for each reply. Exit status 0 when every request was\n"
		"answered, 1 otherwise.\n");
}

int cmd_ping(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, 'D' },
		{ "ifname", required_argument, NULL, 'I' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *ifname = NULL;
	unsigned long count = 4, size = 56;
	double interval = 1.0, timeout = 2.0;
	double rmin = 1e30, rmax = 0, rsum = 0, rsum2 = 0;
	unsigned long sent = 0, received = 0;
	char state[PATH_MAX], req[256], line[256];
	int opt, done = 0, said = 0;
	FILE *f;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:i:s:W:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'D': dir = optarg; break;
		case 's': size = strtoul(optarg, NULL, 10); break;
		case 'I': ifname = optarg; break;
		case 'c': count = strtoul(optarg, NULL, 10); break;
		case 'i': interval = atof(optarg); break;
		case 'W': timeout = atof(optarg); break;
		case 'h': usage(); return 0;
		default: usage(); return 2;
		}
	}
	if (optind != argc - 1 || count == 0 || interval < 0 || timeout <= 0) {
		usage();
		return 2;
	}
	if (cli_state_dir(dir, ifname, state) < 0)
		return 1;
	snprintf(req, sizeof(req), "ping %s %lu %lu %lu %lu", argv[optind], count,
		 (unsigned long)(interval * 1000), size,
		 (unsigned long)(timeout * 1000));
	f = ctl_request(state, req);
	if (!f)
		return 1;
	printf("PING %s from axnet: %lu data bytes\n", argv[optind], size);
	fflush(stdout);
	while (fgets(line, sizeof(line), f)) {
		unsigned long seq, bytes, ttl;
		unsigned long long rtt_ns;

		if (sscanf(line, "reply seq=%lu bytes=%lu ttl=%lu rtt_ns=%llu", &seq,
			   &bytes, &ttl, &rtt_ns) == 4) {
			double ms = (double)rtt_ns / 1e6;

			printf("%lu bytes from %s: icmp_seq=%lu ttl=%lu time=%.3f ms\n",
			       bytes, argv[optind], seq, ttl, ms);
			rmin = ms < rmin ? ms : rmin;
			rmax = ms > rmax ? ms : rmax;
			rsum += ms;
			rsum2 += ms * ms;
		} else if (sscanf(line, "timeout seq=%lu", &seq) == 1) {
			printf("no answer yet for icmp_seq=%lu\n", seq);
		} else if (sscanf(line, "baddata seq=%lu", &seq) == 1) {
			printf("wrong data in reply to icmp_seq=%lu\n", seq);
		} else if (strncmp(line, "senderror", 9) == 0) {
			printf("send failed: %s", line + 10);
		} else if (sscanf(line, "done sent=%lu received=%lu", &sent,
				  &received) == 2) {
			done = 1;
			break;
		} else {
			fprintf(stderr, "axnet ping: %s", line);
			said = 1;
			break;
		}
		fflush(stdout);
	}
	fclose(f);
	if (!done) {
		if (!said)
			fprintf(stderr, "axnet ping: the instance closed the connection before the end "
					"(it stopped, or dropped us: see its log)\n");
		return 1;
	}
	printf("\n--- %s axnet ping statistics ---\n", argv[optind]);
	printf("%lu packets transmitted, %lu received, %.0f%% packet loss\n", sent,
	       received, sent ? 100.0 * (double)(sent - received) / (double)sent : 0.0);
	if (received) {
		double avg = rsum / (double)received;
		double var = rsum2 / (double)received - avg * avg;

		printf("rtt min/avg/max/mdev = %.3f/%.3f/%.3f/%.3f ms\n", rmin, avg,
		       rmax, var > 0 ? sqrt(var) : 0.0);
	}
	return received == sent ? 0 : 1;
}
