/*
 * cred.h - who a socket belongs to: the program that made it, as the
 * daemon learned it at registration (SO_PEERCRED, /proc/PID/exe), or the
 * daemon itself for its built-in services. Policy rules match it, the
 * log records it, `axnet conns` shows it.
 */
#ifndef AX_UTIL_CRED_H
#define AX_UTIL_CRED_H

#include <stdint.h>

#define AX_CRED_EXE_MAX 256

struct ax_cred {
	uint32_t uid, gid, pid;
	char exe[AX_CRED_EXE_MAX]; /* the executable's path; "" unknown */
};

/* This process's own cred (the daemon's, for its services). 0 or -errno
 * (exe "" when /proc/self/exe cannot be read; the rest is filled). */
int cred_self(struct ax_cred *c);
/* The cred of process pid with uid/gid as the kernel reported them
 * (SO_PEERCRED): exe from /proc/PID/exe. 0, or -errno (exe ""). */
int cred_of_pid(struct ax_cred *c, uint32_t pid, uint32_t uid, uint32_t gid);

#endif /* AX_UTIL_CRED_H */
