/*
 * durable.h - writing files so that they survive a crash or a power cut:
 * the one helper every module uses (axiom/ for segments, keys and
 * checkpoints; policy/; the CLI), at the ground floor, depending on
 * nothing above libc.
 *
 * The promise of durable_create_at() and durable_write_file(): when they
 * return 0, the file holds exactly the data given, under its name, on
 * stable storage (the data synced before the rename, the directory synced
 * after it). After a crash at any point there is either the old file (or
 * none) or the whole new one, never a mix; what a crash leaves behind is
 * at most a NAME.tmp beside it, which the next durable write of that name
 * replaces. A failure before the rename leaves the name untouched and
 * NAME.tmp removed; one after it (syncing the directory, or closing) is
 * returned although the name already holds the new data, which a crash
 * may still undo: the caller treats it as not written, and a retry
 * replaces it the same way.
 *
 * EINTR is retried and short writes continued everywhere. Errors are
 * negative errnos, the first one met (an ENOSPC stays ENOSPC).
 *
 * Thread rules: none of its own; two writers of the same name race on
 * NAME.tmp, so callers serialise those.
 */
#ifndef UTIL_DURABLE_H
#define UTIL_DURABLE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The suffix of the temporary file a durable write goes through. */
#define DURABLE_TMP_SUFFIX ".tmp"

/* Write all of buf to fd: at off with pwrite, or (off < 0) at the file
 * offset with write. 0 or -errno. */
int durable_write_all(int fd, const void *buf, size_t len, off_t off);

/* fsync the directory open as dirfd, or named dir: names made, renamed
 * or removed in it survive a crash. 0 or -errno. */
int durable_sync_dirfd(int dirfd);
int durable_sync_dir(const char *dir);

/*
 * Create or replace name in the directory dirfd with exactly data[0..len)
 * and mode (see the promise above). fd_out: NULL, or where the new file's
 * descriptor goes, open read-write, for the caller to keep (it then owns
 * it). 0 or -errno.
 */
int durable_create_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
		      int *fd_out);

/* durable_create_at() on a path: its directory and last component. */
int durable_write_file(const char *path, const void *data, size_t len, mode_t mode);

/* mkdir -p: the last component gets mode, the parents 0755; each
 * directory made is synced into its parent, so a directory made before a
 * crash is still there after it. Existing ones are left as they are.
 * 0 or -errno. */
int durable_mkdirs(const char *path, mode_t mode);

#endif /* UTIL_DURABLE_H */
