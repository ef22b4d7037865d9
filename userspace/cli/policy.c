/*
 * policy.c - `axnet policy`: work with connection policies (the language
 * is in policy/README.md). One function per subcommand and a table, like
 * main.c's; the ones that talk to a running instance join the table as
 * they are written.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common.h"
#include "ctl_client.h"
#include "policy/policy.h"

struct policy_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

/* Parse and hash the policy file path (hex: the sha256 of its canonical
 * text, the one its log entry names). 0, or 1 with the error said as
 * "axnet WHAT: ...". */
static int parse_and_hash(const char *path, const char *what, struct pol_policy **p,
			  char hex[65])
{
	struct pol_error err;
	uint8_t hash[32];
	int rc;

	if (pol_parse_file(path, p, &err)) {
		pol_error_print(&err, stderr);
		return 1;
	}
	rc = pol_hash(*p, hash);
	if (rc) {
		fprintf(stderr, "axnet %s: %s: cannot hash: %s\n", what, path, strerror(-rc));
		pol_free(*p);
		return 1;
	}
	sodium_bin2hex(hex, 65, hash, sizeof(hash));
	return 0;
}

/* axnet policy check FILE: parse only; no instance needed. */
static int policy_check(int argc, char **argv)
{
	struct pol_policy *p;
	char hex[65];

	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: axnet policy check FILE\n");
		return 2;
	}
	if (parse_and_hash(argv[1], "policy", &p, hex))
		return 1;
	printf("%s: ok, %u rules, default in %s, default out %s, sha256 %s\n", argv[1],
	       pol_nrules(p), pol_default(p, POL_IN, NULL) ? "allow" : "deny",
	       pol_default(p, POL_OUT, NULL) ? "allow" : "deny", hex);
	pol_free(p);
	return 0;
}

/* --state-dir DIR / --ifname IF, then the rest; the state dir found.
 * Returns the index of the first operand, -1 (usage printed to stderr) or
 * -2 (--help: usage printed to stdout). */
static int instance_opts(int argc, char **argv, const char *usage, char state[PATH_MAX])
{
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, 's' },
		{ "ifname", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *ifname = NULL;
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 's': dir = optarg; break;
		case 'i': ifname = optarg; break;
		case 'h':
			printf("%s", usage);
			return -2;
		default:
			fprintf(stderr, "%s", usage);
			return -1;
		}
	}
	if (cli_state_dir(dir, ifname, state) < 0)
		return -1;
	return optind;
}

/* Exit statuses of `axnet policy push` (its usage says them too). */
#define PUSH_EXIT_REFUSED 1 /* not pushed: a bad file, or the instance said no */
#define PUSH_EXIT_UNKNOWN 3 /* sent, but no answer came: may be in force */

/* ctl_reply()'s line() for push: "pushed ..." is the whole answer. */
static int push_line(void *arg, const char *line)
{
	unsigned long long seq;
	unsigned int revoked;
	char hash[65];

	(void)arg;
	if (strncmp(line, "pushed ", 7) != 0) {
		fputs(line, stdout);
		return 0;
	}
	if (sscanf(line, "pushed seq=%llu sha256=%64s revoked=%u", &seq, hash, &revoked) == 3)
		printf("policy %.16s... committed as entry %llu, revoked %u connection%s\n", hash,
		       seq, revoked, revoked == 1 ? "" : "s");
	else
		fputs(line, stdout);
	return 1;
}

/* ctl_reply()'s line() for show: the text, as it comes. */
static int show_line(void *arg, const char *line)
{
	(void)arg;
	fputs(line, stdout);
	return 0;
}

/*
 * axnet policy push FILE: checked here first (a bad file never reaches
 * the instance), then the instance reads, commits and installs it; the
 * answer comes once the push and its revocations are committed.
 */
static int policy_push(int argc, char **argv)
{
	static const char usage[] =
		"usage: axnet policy push [--state-dir DIR | --ifname IF] FILE\n"
		"\n"
		"Exit status: 0 pushed (committed to the log and in force); 1 not pushed\n"
		"(a bad file, or the instance refused it); 2 usage; 3 unknown: the\n"
		"instance closed the connection before confirming (it stopped or was\n"
		"killed), so the push may or may not be in force: compare the sha256\n"
		"printed with `axnet policy show` or look for it in `axnet log`.\n";
	char state[PATH_MAX], path[PATH_MAX], req[PATH_MAX + 16], hx[65];
	struct pol_policy *p;
	FILE *f;
	int rc, i = instance_opts(argc, argv, usage, state);

	if (i < 0)
		return i == -2 ? 0 : 2;
	if (i != argc - 1) {
		fprintf(stderr, "%s", usage);
		return 2;
	}
	if (parse_and_hash(argv[i], "policy push", &p, hx))
		return PUSH_EXIT_REFUSED;
	pol_free(p);
	if (!realpath(argv[i], path)) {
		perror(argv[i]);
		return PUSH_EXIT_REFUSED;
	}
	snprintf(req, sizeof(req), "policy push %s", path);
	f = ctl_request(state, req);
	if (!f)
		return PUSH_EXIT_REFUSED; /* nothing reached the instance */
	rc = ctl_reply(f, "policy push", push_line, NULL);
	if (rc >= 0)
		return rc;
	/* The request went out and no answer came back: the instance may
	 * have committed the push and died before telling us. Only its log
	 * knows. */
	fprintf(stderr,
		"axnet policy push: the instance closed the connection before confirming; the push "
		"may or may not be in force.\n"
		"  policy sha256 %s\n"
		"  to find out: `axnet policy show` (its first line names the sha256 in force; run it\n"
		"  once the instance is back), or look for a policy-push entry with sha256=%s\n"
		"  in `axnet log`\n",
		hx, hx);
	return PUSH_EXIT_UNKNOWN;
}

/* axnet policy show: the policy in force, canonical, rule numbers. */
static int policy_show(int argc, char **argv)
{
	static const char usage[] = "usage: axnet policy show [--state-dir DIR | --ifname IF]\n";
	char state[PATH_MAX];
	FILE *f;
	int i = instance_opts(argc, argv, usage, state);

	if (i < 0)
		return i == -2 ? 0 : 2;
	if (i != argc) {
		fprintf(stderr, "%s", usage);
		return 2;
	}
	f = ctl_request(state, "policy show");
	if (!f)
		return 1;
	i = ctl_reply(f, "policy show", show_line, NULL);
	if (i < 0)
		fprintf(stderr, "axnet policy show: the instance closed the connection before the "
				"end of the policy (it stopped, or dropped us)\n");
	return i ? 1 : 0;
}

static const struct policy_cmd subcmds[] = {
	{ "check", policy_check, "parse FILE and print its summary, or its first error" },
	{ "push", policy_push, "install FILE in the running instance (committed to Axiom)" },
	{ "show", policy_show, "the policy in force in the running instance" },
};

static void usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: axnet policy SUBCOMMAND ...\n\n");
	for (i = 0; i < sizeof(subcmds) / sizeof(subcmds[0]); i++)
		fprintf(out, "  %-8s %s\n", subcmds[i].name, subcmds[i].summary);
	fprintf(out, "\nThe policy language is described in policy/README.md.\n");
}

int cmd_policy(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < sizeof(subcmds) / sizeof(subcmds[0]); i++)
		if (strcmp(argv[1], subcmds[i].name) == 0)
			return subcmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "axnet policy: unknown subcommand '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
