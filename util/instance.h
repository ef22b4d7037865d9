/*
 * instance.h - where a running axnet instance is found: its state
 * directory (AX_RUN_ROOT/<ifname> unless given) and the Unix sockets in it.
 * Used by the daemon, the CLI and libaxnet alike. No allocation.
 */
#ifndef AX_UTIL_INSTANCE_H
#define AX_UTIL_INSTANCE_H

#include <limits.h>
#include <sys/un.h>

#define AX_RUN_ROOT "/run/axnet"
#define AX_CONTROL_SOCK "control.sock" /* the control server, root only */
#define AX_API_SOCK "api.sock"         /* libaxnet's sessions, any user */

/*
 * The state directory of an instance: dir if given, else
 * AX_RUN_ROOT/<ifname>, else the only directory under AX_RUN_ROOT.
 * 0, -ENOENT (no instance: AX_RUN_ROOT missing or empty) or -EINVAL
 * (several instances; *count says how many).
 */
int instance_state_dir(const char *dir, const char *ifname, char out[PATH_MAX], int *count);

/* A Unix socket address for path. 0 or -ENAMETOOLONG. */
int instance_sockaddr(const char *path, struct sockaddr_un *sa);

#endif /* AX_UTIL_INSTANCE_H */
