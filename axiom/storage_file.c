/*
 * storage_file.c - Axiom segments as files in a directory (see storage.h).
 */
#define _GNU_SOURCE
#include "axiom/storage.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/durable.h"

struct file_store {
	int dirfd;
	int writable;
};

struct file_seg {
	int fd;
};


void axiom_storage_free_names(char **names, size_t n)
{
	size_t i;

	if (!names)
		return;
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static int has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Remove the NAME.seg.tmp files of create() calls a crash interrupted:
 * they were never renamed, so nothing in them was committed. */
static int remove_leftovers(int dirfd)
{
	struct dirent *de;
	DIR *d;
	int fd, err = 0;

	fd = dup(dirfd);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (has_suffix(de->d_name, ".seg" DURABLE_TMP_SUFFIX) &&
		    unlinkat(dirfd, de->d_name, 0) < 0 && errno != ENOENT) {
			err = -errno;
			break;
		}
	}
	closedir(d);
	return err;
}

static int file_open_dir(void *arg, const char *dir, int writable, void **store)
{
	struct file_store *s;
	int fd, err;

	(void)arg;
	/* 0700: the log records who connected where, and holds the key. */
	if (writable && (err = durable_mkdirs(dir, 0700)) < 0)
		return err;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (writable) {
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			err = errno == EWOULDBLOCK ? -EBUSY : -errno;
			close(fd);
			return err;
		}
		err = remove_leftovers(fd);
		if (err < 0) {
			close(fd);
			return err;
		}
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		close(fd);
		return -ENOMEM;
	}
	s->dirfd = fd;
	s->writable = writable;
	*store = s;
	return 0;
}

static void file_close_dir(void *store)
{
	struct file_store *s = store;

	if (!s)
		return;
	close(s->dirfd); /* also drops the flock */
	free(s);
}

static int file_list(void *store, char ***names, size_t *n)
{
	struct file_store *s = store;
	struct dirent *de;
	char **v = NULL, **nv;
	size_t cnt = 0, cap = 0;
	DIR *d;
	int fd, err = 0;

	fd = dup(s->dirfd);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	/* The dup shares the offset with earlier listings: start over. */
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (!has_suffix(de->d_name, ".seg"))
			continue;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				err = -ENOMEM;
				break;
			}
			v = nv;
		}
		v[cnt] = strdup(de->d_name);
		if (!v[cnt]) {
			err = -ENOMEM;
			break;
		}
		cnt++;
	}
	closedir(d);
	if (err < 0) {
		axiom_storage_free_names(v, cnt);
		return err;
	}
	*names = v;
	*n = cnt;
	return 0;
}

static int wrap_fd(int fd, void **file)
{
	struct file_seg *f = malloc(sizeof(*f));

	if (!f) {
		close(fd);
		return -ENOMEM;
	}
	f->fd = fd;
	*file = f;
	return 0;
}

static int file_open(void *store, const char *name, int writable, void **file)
{
	struct file_store *s = store;
	int fd;

	if (writable && !s->writable)
		return -EROFS;
	fd = openat(s->dirfd, name, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return wrap_fd(fd, file);
}

static int file_create(void *store, const char *name, const void *data, size_t len,
		       void **file)
{
	struct file_store *s = store;
	int fd, err;

	if (!s->writable)
		return -EROFS;
	/* Durable and atomic (util/durable.h): a crash leaves at most a
	 * NAME.tmp, which open_dir removes. */
	err = durable_create_at(s->dirfd, name, data, len, 0600, &fd);
	if (err < 0)
		return err;
	return wrap_fd(fd, file);
}

static int file_size(void *file, uint64_t *size)
{
	struct file_seg *f = file;
	struct stat st;

	if (fstat(f->fd, &st) < 0)
		return -errno;
	*size = (uint64_t)st.st_size;
	return 0;
}

static ssize_t file_pread(void *file, void *buf, size_t len, uint64_t off)
{
	struct file_seg *f = file;
	uint8_t *p = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(f->fd, p + got, len - got, (off_t)(off + got));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static int file_pwrite(void *file, const void *buf, size_t len, uint64_t off)
{
	struct file_seg *f = file;

	return durable_write_all(f->fd, buf, len, (off_t)off);
}

static int file_datasync(void *file)
{
	struct file_seg *f = file;

	return fdatasync(f->fd) < 0 ? -errno : 0;
}

static int file_truncate(void *file, uint64_t len)
{
	struct file_seg *f = file;

	if (ftruncate(f->fd, (off_t)len) < 0)
		return -errno;
	/* The size is metadata fdatasync covers. */
	return fdatasync(f->fd) < 0 ? -errno : 0;
}

static void file_close(void *file)
{
	struct file_seg *f = file;

	if (!f)
		return;
	close(f->fd);
	free(f);
}

const struct axiom_storage_ops axiom_storage_file = {
	.open_dir = file_open_dir,
	.close_dir = file_close_dir,
	.list = file_list,
	.open = file_open,
	.create = file_create,
	.size = file_size,
	.pread = file_pread,
	.pwrite = file_pwrite,
	.datasync = file_datasync,
	.truncate = file_truncate,
	.close = file_close,
};
