/*
 * stats.c - `axnet stats`: the engine's, the XDP program's and the
 * backend's counters, from the running instance.
 */
#include <stdio.h>
#include <string.h>

#include "common.h"

static void usage(void)
{
	fprintf(stderr,
		"usage: axnet stats [--state-dir DIR | --ifname IF] [--json] [--all]\n"
		"\n"
		"Print the counters of the running instance: engine.* (the TCP/IP\n"
		"engine), xdp.* (the XDP program, summed over CPUs), xsk.* or tap.*\n"
		"(the backend). Zero counters are left out unless --all is given.\n");
}

/* JSON: {"engine": {"eth_rx": 1, ...}, "xdp": {...}}. */
struct json_state {
	char group[128]; /* the group whose object is open */
	int first;       /* 1: nothing printed; 2: a group just opened */
};

/* Open group's object unless it is the one open, then the key. */
static void json_key(struct json_state *js, const char *group, const char *name)
{
	if (strcmp(js->group, group) != 0) {
		printf("%s\"%s\": {", js->first ? "" : "}, ", group);
		snprintf(js->group, sizeof(js->group), "%s", group);
		js->first = 2;
	}
	printf("%s\"%s\": ", js->first == 2 ? "" : ", ", name);
	js->first = 0;
}

static void begin(struct cli_ask *q)
{
	if (q->json)
		printf("{");
}

static int line(struct cli_ask *q, const char *line)
{
	struct json_state *js = q->arg;
	char name[128], *text = NULL, *dot;
	unsigned long long value;

	if (sscanf(line, "%127s %llu", name, &value) != 2) {
		/* "group.name text...": a state in words (axiom.error). */
		if (sscanf(line, "%127s", name) != 1 || !(text = strchr(line, ' ')))
			return -1;
		text++;
	}
	dot = strchr(name, '.');
	if (!dot)
		return 0;
	*dot = '\0';
	if (text) {
		size_t len = strcspn(text, "\n");

		if (q->json) {
			json_key(js, name, dot + 1);
			printf("\"");
			for (const char *p = text; p < text + len; p++)
				printf(*p == '"' || *p == '\\' ? "\\%c" : "%c", *p);
			printf("\"");
		} else {
			printf("%-8s %-24s %.*s\n", name, dot + 1, (int)len, text);
		}
	} else if (q->json) {
		json_key(js, name, dot + 1);
		printf("%llu", value);
	} else if (value || q->all) {
		printf("%-8s %-24s %llu\n", name, dot + 1, value);
	}
	return 0;
}

static void end(struct cli_ask *q)
{
	struct json_state *js = q->arg;

	if (q->json)
		printf("%s}\n", js->first ? "" : "}");
}

int cmd_stats(int argc, char **argv)
{
	struct json_state js = { .first = 1 };
	struct cli_ask q = {
		.cmd = "stats",
		.request = "stats",
		.cut_short = "the instance closed the connection before the end of the counters "
			     "(it stopped, or dropped us); see its log",
		.usage = usage,
		.takes_all = 1,
		.begin = begin,
		.line = line,
		.end = end,
		.arg = &js,
	};

	return cli_ask(argc, argv, &q);
}
