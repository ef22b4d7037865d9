/*
 * durable.c - crash-safe file writes (see durable.h).
 */
#define _GNU_SOURCE
#include "util/durable.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int durable_write_all(int fd, const void *buf, size_t len, off_t off)
{
	const char *p = buf;

	while (len) {
		ssize_t n = off < 0 ? write(fd, p, len) : pwrite(fd, p, len, off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		/* A short write is followed by the call that says why. */
		p += n;
		len -= (size_t)n;
		if (off >= 0)
			off += n;
	}
	return 0;
}

int durable_sync_dirfd(int dirfd)
{
	return fsync(dirfd) < 0 ? -errno : 0;
}

int durable_sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int err;

	if (fd < 0)
		return -errno;
	err = durable_sync_dirfd(fd);
	close(fd);
	return err;
}

int durable_create_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
		      int *fd_out)
{
	char tmp[NAME_MAX + 1];
	int fd, err;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s" DURABLE_TMP_SUFFIX, name) >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = openat(dirfd, tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	err = durable_write_all(fd, data, len, 0);
	/* The content is durable before the name is: a crash between the
	 * two leaves only NAME.tmp, never a short NAME. */
	if (!err && fsync(fd) < 0)
		err = -errno;
	if (!err && renameat(dirfd, tmp, dirfd, name) < 0)
		err = -errno;
	if (!err)
		err = durable_sync_dirfd(dirfd);
	if (err) {
		close(fd);
		unlinkat(dirfd, tmp, 0);
		return err;
	}
	if (fd_out)
		*fd_out = fd;
	else if (close(fd) < 0)
		return -errno;
	return 0;
}

int durable_write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int dfd, err;

	if (!slash) {
		snprintf(dir, sizeof(dir), ".");
	} else if (slash == path) {
		snprintf(dir, sizeof(dir), "/");
	} else {
		if ((size_t)(slash - path) >= sizeof(dir))
			return -ENAMETOOLONG;
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	err = durable_create_at(dfd, slash ? slash + 1 : path, data, len, mode, NULL);
	close(dfd);
	return err;
}

/* Sync the directory holding path[0..len). */
static int sync_parent(const char *path, size_t len)
{
	char buf[PATH_MAX];

	while (len > 1 && path[len - 1] != '/')
		len--;
	if (path[len - 1] != '/')
		snprintf(buf, sizeof(buf), ".");
	else
		snprintf(buf, sizeof(buf), "%.*s", (int)len, path);
	return durable_sync_dir(buf);
}

int durable_mkdirs(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t i, len = strlen(path);
	int err;

	if (len >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, path);
	for (i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, i == len ? mode : 0755) == 0) {
			if ((err = sync_parent(buf, i)) < 0)
				return err;
		} else if (errno != EEXIST) {
			return -errno;
		}
		if (i < len)
			buf[i] = '/';
	}
	return 0;
}
