/*
 * common.h - what the subcommands of `axnet` share: finding an instance's
 * state directory, parsing addresses, entering a network namespace, and the
 * monotonic clock.
 */
#ifndef AX_CLI_COMMON_H
#define AX_CLI_COMMON_H

#include <limits.h>
#include <stdint.h>

#define AX_RUN_ROOT "/run/axnet"
#define AX_CONTROL_SOCK "control.sock"

/* One entry of the dispatch table in main.c. */
struct cli_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

int cmd_run(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_ping(int argc, char **argv);
int cmd_conns(int argc, char **argv);
int cmd_neigh(int argc, char **argv);

/* The server's side of `axnet neigh` (neigh.c): one line per neighbour
 * entry of s, in the format cmd_neigh reads. */
struct ax_stack;
void neigh_dump(const struct ax_stack *s, void (*say)(void *arg, const char *line),
		void *arg);
int cmd_nc(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_log(int argc, char **argv);
int cmd_policy(int argc, char **argv);

/*
 * The state directory of an instance: dir if given, else
 * AX_RUN_ROOT/<ifname>, else the only directory under AX_RUN_ROOT.
 * 0, or -ENOENT / -EINVAL with a message printed.
 */
int cli_state_dir(const char *dir, const char *ifname, char out[PATH_MAX]);

/* "A.B.C.D/P" -> address (network order) and prefix. 0 or -EINVAL. */
int cli_parse_prefix(const char *s, uint32_t *addr, uint8_t *plen);
/* "A.B.C.D" -> address (network order). 0 or -EINVAL. */
int cli_parse_addr(const char *s, uint32_t *addr);

/* Enter the named network namespace (/run/netns/NAME) with setns(), which
 * keeps this process's mounts (and so /sys/fs/bpf). 0 or -errno. */
int cli_enter_netns(const char *name);

uint64_t cli_now_ns(void);

/* mkdir -p. 0 or -errno. */
int cli_mkdirs(const char *path, unsigned int mode);

#endif /* AX_CLI_COMMON_H */
