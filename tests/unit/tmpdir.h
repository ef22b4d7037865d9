/*
 * tmpdir.h - a directory of a test's own under /tmp, and its removal, for
 * the tests that keep files (the Axiom log, the authorizer's state).
 *
 * nftw() and FTW_PHYS are XSI: the test file defines _GNU_SOURCE before
 * its first include.
 */
#ifndef AX_TEST_TMPDIR_H
#define AX_TEST_TMPDIR_H

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef FTW_PHYS
#error "tmpdir.h: define _GNU_SOURCE before the first include"
#endif

/* A new directory /tmp/NAME-XXXXXX (mkdtemp); the caller frees it with
 * tmpdir_remove(). NULL, errno set, when it could not be made. */
static inline char *tmpdir_make(const char *name)
{
	char tmpl[256];

	if (snprintf(tmpl, sizeof(tmpl), "/tmp/%s-XXXXXX", name) >= (int)sizeof(tmpl)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	return mkdtemp(tmpl) ? strdup(tmpl) : NULL;
}

static inline int tmpdir_rm_one(const char *path, const struct stat *st, int flag,
				struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* dir and everything below it (links not followed), then dir's memory.
 * NULL-safe. */
static inline void tmpdir_remove(char *dir)
{
	if (dir)
		nftw(dir, tmpdir_rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

#endif /* AX_TEST_TMPDIR_H */
