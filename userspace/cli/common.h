/*
 * common.h - what the subcommands of `axnet` share: finding an instance's
 * state directory, parsing addresses, entering a network namespace, asking
 * the running instance (cli_ask). The monotonic clock is util/mono.h.
 */
#ifndef AX_CLI_COMMON_H
#define AX_CLI_COMMON_H

#include <limits.h>
#include <stdint.h>

#include "util/addr.h"
#include "util/instance.h"
#include "util/netns.h"

/* One entry of the dispatch table in main.c. */
struct cli_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

int cmd_stats(int argc, char **argv);
int cmd_ping(int argc, char **argv);
int cmd_conns(int argc, char **argv);
int cmd_neigh(int argc, char **argv);
int cmd_route(int argc, char **argv);
int cmd_addr(int argc, char **argv);

int cmd_nc(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_log(int argc, char **argv);
int cmd_policy(int argc, char **argv);
int cmd_exec(int argc, char **argv);

/*
 * The state directory of an instance: dir if given, else
 * AX_RUN_ROOT/<ifname>, else the only directory under AX_RUN_ROOT.
 * 0, or -ENOENT / -EINVAL with a message printed.
 */
int cli_state_dir(const char *dir, const char *ifname, char out[PATH_MAX]);

/*
 * `axnet CMD [--state-dir DIR | --ifname IF] [--json] [--all]` for the
 * commands that ask the running instance one request whose reply is lines,
 * then "end" (stats, conns, neigh): cli_ask() parses those options into q,
 * sends the request and reads the reply with ctl_reply() (control.h),
 * saying "axnet CMD: ..." for an error, a line not understood and a reply
 * cut short; the command prints.
 */
struct cli_ask {
	const char *cmd;       /* "conns", for "axnet conns: ..." */
	const char *request;   /* the request line */
	const char *cut_short; /* said after "axnet CMD: " when the reply
				* stops before "end" */
	void (*usage)(void);   /* to stderr, for --help (exit 0) and bad usage */
	int takes_all;         /* --all is one of CMD's options */
	/* The request went out: print a header. NULL: none. */
	void (*begin)(struct cli_ask *q);
	/* One reply line before "end": print it; 0, or -1 if not understood. */
	int (*line)(struct cli_ask *q, const char *line);
	/* The reply is over, whole or cut short (not after an error): close
	 * what begin opened. NULL: nothing. */
	void (*end)(struct cli_ask *q);
	void *arg;             /* the command's own */
	int json, all;         /* from the options */
	unsigned long n;       /* lines printed so far */
};

/* The exit status: 0, 1 (message printed) or 2 (usage). */
int cli_ask(int argc, char **argv, struct cli_ask *q);

#endif /* AX_CLI_COMMON_H */
