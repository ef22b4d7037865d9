/*
 * control.c - see control.h.
 */
#include "control.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common.h"

static int make_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

int ctl_listen(const char *path)
{
	struct sockaddr_un sa;
	int fd, err = make_addr(path, &sa);

	if (err)
		return err;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	unlink(path);
	/* Only root talks to an instance: the socket can push policies and
	 * make the instance read files, whatever the umask was. */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, 0600) < 0 ||
	    listen(fd, 16) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int ctl_connect(const char *state_dir)
{
	char path[PATH_MAX + 32];
	struct sockaddr_un sa;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", state_dir, AX_CONTROL_SOCK);
	if (make_addr(path, &sa) < 0) {
		fprintf(stderr, "axnet: state directory path too long: %s\n", state_dir);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "axnet: no running instance at %s (%s); is `axnet run` running?\n",
			state_dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

FILE *ctl_request(const char *state_dir, const char *request)
{
	char path[PATH_MAX + 32];
	size_t len = strlen(request);
	FILE *f;
	int fd = ctl_connect(state_dir);

	if (fd < 0)
		return NULL;
	snprintf(path, sizeof(path), "%s/%s", state_dir, AX_CONTROL_SOCK);
	if (write(fd, request, len) != (ssize_t)len || write(fd, "\n", 1) != 1) {
		fprintf(stderr, "axnet: cannot send to %s: %s\n", path, strerror(errno));
		close(fd);
		return NULL;
	}
	shutdown(fd, SHUT_WR);
	f = fdopen(fd, "r");
	if (!f)
		close(fd);
	return f;
}
