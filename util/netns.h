/*
 * netns.h - entering a network namespace.
 */
#ifndef AX_UTIL_NETNS_H
#define AX_UTIL_NETNS_H

/* Enter the named network namespace (/run/netns/NAME, or a path) with
 * setns(), which keeps this process's mounts (and so /sys/fs/bpf).
 * 0 or -errno. */
int netns_enter(const char *name);

#endif /* AX_UTIL_NETNS_H */
