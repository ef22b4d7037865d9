/*
 * stats.c - `axnet stats`: the engine's, the XDP program's and the
 * backend's counters, from the running instance.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "control.h"

static void usage(void)
{
	fprintf(stderr,
		"usage: axnet stats [--state-dir DIR | --ifname IF] [--json] [--all]\n"
		"\n"
		"Print the counters of the running instance: engine.* (the TCP/IP\n"
		"engine), xdp.* (the XDP program, summed over CPUs), xsk.* or tap.*\n"
		"(the backend). Zero counters are left out unless --all is given.\n");
}

int cmd_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, 's' },
		{ "ifname", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *ifname = NULL;
	char state[PATH_MAX], line[512], name[128], group[128] = "", *text;
	unsigned long long value;
	int opt, json = 0, all = 0, first = 1, ended = 0;
	FILE *f;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 's': dir = optarg; break;
		case 'i': ifname = optarg; break;
		case 'j': json = 1; break;
		case 'a': all = 1; break;
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
	f = ctl_request(state, "stats");
	if (!f)
		return 1;
	if (json)
		printf("{");
	while (fgets(line, sizeof(line), f)) {
		char *dot;

		if (strcmp(line, "end\n") == 0) {
			ended = 1;
			break;
		}
		if (ctl_error_line("stats", line)) {
			fclose(f);
			return 1;
		}
		text = NULL;
		if (sscanf(line, "%127s %llu", name, &value) != 2) {
			/* "group.name text...": a state in words (axiom.error). */
			if (sscanf(line, "%127s", name) != 1 || !(text = strchr(line, ' '))) {
				fprintf(stderr, "axnet stats: unexpected answer: %s", line);
				fclose(f);
				return 1;
			}
			text++;
			text[strcspn(text, "\n")] = '\0';
		}
		dot = strchr(name, '.');
		if (!dot)
			continue;
		*dot = '\0';
		if (text) {
			if (json) {
				if (strcmp(group, name) != 0) {
					printf("%s\"%s\": {", first ? "" : "}, ", name);
					snprintf(group, sizeof(group), "%s", name);
					first = 2;
				}
				printf("%s\"%s\": \"", first == 2 ? "" : ", ", dot + 1);
				for (const char *q = text; *q; q++)
					printf(*q == '"' || *q == '\\' ? "\\%c" : "%c", *q);
				printf("\"");
				first = 0;
			} else {
				printf("%-8s %-24s %s\n", name, dot + 1, text);
			}
			continue;
		}
		if (json) {
			/* {"engine": {"eth_rx": 1, ...}, "xdp": {...}} */
			if (strcmp(group, name) != 0) {
				printf("%s\"%s\": {", first ? "" : "}, ", name);
				snprintf(group, sizeof(group), "%s", name);
				first = 2;
			}
			printf("%s\"%s\": %llu", first == 2 ? "" : ", ", dot + 1, value);
			first = 0;
		} else if (value || all) {
			printf("%-8s %-24s %llu\n", name, dot + 1, value);
		}
	}
	fclose(f);
	if (json)
		printf("%s}\n", first ? "" : "}");
	if (!ended) {
		fprintf(stderr, "axnet stats: the instance closed the connection before the "
				"end of the counters (it stopped, or dropped us); see its log\n");
		return 1;
	}
	return 0;
}
