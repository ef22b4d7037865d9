/*
 * ctl_client.c - the control socket's client side: see ctl_client.h.
 */
#include "ctl_client.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/instance.h"

int ctl_connect(const char *state_dir)
{
	char path[PATH_MAX + 32];
	struct sockaddr_un sa;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", state_dir, AX_CONTROL_SOCK);
	if (instance_sockaddr(path, &sa) < 0) {
		fprintf(stderr, "axnet: state directory path too long: %s\n", state_dir);
		return -1;
	}
	/* An instance that goes away mid-conversation is an error to report,
	 * not a signal to die of. */
	signal(SIGPIPE, SIG_IGN);
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
	/* An instance that refuses us closes at once, after its error line:
	 * EPIPE here (ctl_connect ignores SIGPIPE), and that line to read. */
	if (write(fd, request, len) != (ssize_t)len || write(fd, "\n", 1) != 1) {
		if (errno != EPIPE && errno != ECONNRESET) {
			fprintf(stderr, "axnet: cannot send to %s: %s\n", path, strerror(errno));
			close(fd);
			return NULL;
		}
	}
	shutdown(fd, SHUT_WR);
	f = fdopen(fd, "r");
	if (!f)
		close(fd);
	return f;
}

/* An "error MESSAGE" line? Then say "axnet CMD: MESSAGE" and return 1. */
static int ctl_error_line(const char *cmd, const char *line)
{
	if (strncmp(line, "error ", 6) != 0)
		return 0;
	fprintf(stderr, "axnet %s: %s%s", cmd, line + 6,
		line[strlen(line) - 1] == '\n' ? "" : "\n");
	return 1;
}

int ctl_reply(FILE *f, const char *cmd, int (*line)(void *arg, const char *text), void *arg)
{
	char buf[4200]; /* a server line is at most 4 KiB (ctl_out_printf) */
	int rc = -1;

	while (fgets(buf, sizeof(buf), f)) {
		if (strcmp(buf, "end\n") == 0) {
			rc = 0;
			break;
		}
		if (ctl_error_line(cmd, buf)) {
			rc = 1;
			break;
		}
		rc = line(arg, buf);
		if (rc < 0) {
			fprintf(stderr, "axnet %s: unexpected answer: %s", cmd, buf);
			rc = 1;
			break;
		}
		if (rc > 0) {
			rc = 0;
			break;
		}
		rc = -1;
	}
	fclose(f);
	return rc;
}

