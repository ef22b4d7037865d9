/*
 * storage.h - where Axiom's segments live. The log reaches its segment
 * files only through these ops, so tests can count syncs or inject
 * failures by wrapping them, and the fuzz target can serve segments from
 * memory. axiom_storage_file is the real one: files in a directory.
 *
 * A store is one log directory; a file is one open segment. Handles are
 * the backend's own (void *). Every op returns 0 or a negative errno
 * unless it says otherwise.
 *
 * Thread rules: a store and its files are used by one thread at a time
 * (the log's opener, then its writer thread); different stores are
 * independent. The checkpoint key and checkpoints file are not segments
 * and do not go through here (checkpoint.h).
 */
#ifndef AXIOM_STORAGE_H
#define AXIOM_STORAGE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct axiom_storage_ops {
	/*
	 * Open the log directory dir (<state_dir>/axiom). writable: create
	 * it when missing, hold it exclusively against other writers until
	 * close_dir (-EBUSY if another has it), and discard what an
	 * interrupted create() left. Read-only: -ENOENT when missing; never
	 * changes anything. arg is axiom_config.storage_arg.
	 */
	int (*open_dir)(void *arg, const char *dir, int writable, void **store);
	void (*close_dir)(void *store);
	/* The names of the files that may be segments, in any order:
	 * *names is a malloc'd array of *n malloc'd strings, the caller's
	 * (axiom_storage_free_names). */
	int (*list)(void *store, char ***names, size_t *n);
	int (*open)(void *store, const char *name, int writable, void **file);
	/*
	 * Create segment name holding exactly data[0..len), open for
	 * writing. Atomic and durable: when it returns 0, the file with that
	 * content is on stable storage under that name; after a crash there
	 * is either no such file or the whole one.
	 */
	int (*create)(void *store, const char *name, const void *data, size_t len, void **file);
	int (*size)(void *file, uint64_t *size);
	/* Bytes read (fewer only at the end of the file) or -errno. */
	ssize_t (*pread)(void *file, void *buf, size_t len, uint64_t off);
	/* Write all of buf at off, or fail; a failure may leave part of it
	 * written. Not durable until datasync. */
	int (*pwrite)(void *file, const void *buf, size_t len, uint64_t off);
	/* Make the file's data and size durable (fdatasync). */
	int (*datasync)(void *file);
	/* Cut the file to len bytes, durably. */
	int (*truncate)(void *file, uint64_t len);
	void (*close)(void *file);
};

/* Segments as files in a directory, written with pwrite, made durable
 * with fdatasync; create() writes NAME.tmp, syncs it, renames it and
 * syncs the directory. The writer's exclusive hold is flock() on the
 * directory. arg is unused. */
extern const struct axiom_storage_ops axiom_storage_file;

void axiom_storage_free_names(char **names, size_t n);

#endif /* AXIOM_STORAGE_H */
