/*
 * cred.c - see cred.h.
 */
#include "util/cred.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int cred_of_pid(struct ax_cred *c, uint32_t pid, uint32_t uid, uint32_t gid)
{
	char path[64];
	ssize_t n;

	memset(c, 0, sizeof(*c));
	c->pid = pid;
	c->uid = uid;
	c->gid = gid;
	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	n = readlink(path, c->exe, sizeof(c->exe) - 1);
	if (n < 0) {
		c->exe[0] = '\0';
		return -errno;
	}
	if ((size_t)n >= sizeof(c->exe) - 1) {
		c->exe[0] = '\0'; /* cut short: unknown rather than wrong */
		return -ENAMETOOLONG;
	}
	c->exe[n] = '\0';
	return 0;
}

int cred_self(struct ax_cred *c)
{
	return cred_of_pid(c, (uint32_t)getpid(), (uint32_t)getuid(), (uint32_t)getgid());
}
