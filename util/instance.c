/*
 * instance.c - see instance.h.
 */
#include "util/instance.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int instance_state_dir(const char *dir, const char *ifname, char out[PATH_MAX], int *count)
{
	struct dirent *de;
	DIR *d;
	int found = 0;

	if (count)
		*count = 0;
	if (dir) {
		snprintf(out, PATH_MAX, "%s", dir);
		return 0;
	}
	if (ifname) {
		snprintf(out, PATH_MAX, "%s/%s", AX_RUN_ROOT, ifname);
		return 0;
	}
	d = opendir(AX_RUN_ROOT);
	if (!d)
		return -ENOENT;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (found++ == 0)
			snprintf(out, PATH_MAX, "%s/%s", AX_RUN_ROOT, de->d_name);
	}
	closedir(d);
	if (count)
		*count = found;
	if (found == 1)
		return 0;
	return found ? -EINVAL : -ENOENT;
}

int instance_sockaddr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}
