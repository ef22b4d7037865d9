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
 * (the log's opener, then its writer thread), except the meta and
 * checkpoint ops below, which a store serialises itself (the writer and
 * the owner may both append a checkpoint); different stores are
 * independent.
 *
 * Remote stores (axiom_storage_etcd) may also return, from create,
 * pwrite and datasync:
 *
 *   -EAGAIN     nothing of this write was stored, for certain, and the
 *               store cannot take writes now (etcd: no quorum, no member
 *               reachable). The writer holds as for a full disk: it cuts
 *               the write back (truncate), refuses new refusable
 *               proposals, keeps AXIOM_KEEP ones and tries again every
 *               AXIOM_UNAVAIL_RETRY_MS.
 *   -ETIMEDOUT  in doubt: the write may or may not have been stored. The
 *               file keeps it pending, and every later datasync() of that
 *               file sends the very same write again until it learns the
 *               outcome: 0 (it is stored, exactly once), -ETIMEDOUT again,
 *               or -ESTALE. The writer never truncates or rewrites a write
 *               in doubt: it retries datasync() with the same proposals
 *               held, and refuses new refusable ones meanwhile.
 *   -ESTALE     someone else changed the log (another writer took the
 *               store): the log fails, as after an I/O error.
 *
 * A create() that failed with -EAGAIN or -ETIMEDOUT stored none of the
 * entries (they go into the segment by later writes): the writer holds as
 * for -EAGAIN and, at its next try, calls create() again with the same
 * name and bytes, which must then succeed if the first one was stored
 * (found there whole, and still the log's last segment). A pwrite() error
 * never puts a write in doubt: nothing is stored before datasync.
 *
 * The secret key always stays in the local log directory (checkpoint.h).
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
	 * changes anything. arg is axiom_config.storage_arg. dir is NULL
	 * for a reader without a state directory (a store with keys_get).
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

	/*
	 * Optional: NULL in axiom_storage_file, whose public key and
	 * checkpoints are the files of checkpoint.h in the log directory. A
	 * store that has them keeps these beside its segments instead.
	 *
	 * keys_get: the public keys that have signed for this log, 64 hex
	 * digits per line, oldest first (*text malloc'd, NUL-terminated);
	 * -ENOENT when none. keys_add: add one (hex) at the end, durably,
	 * unless it is there already.
	 */
	int (*keys_get)(void *store, char **text);
	int (*keys_add)(void *store, const char *hex);
	/* Append one checkpoint line (checkpoint.h's format, no newline),
	 * durably; load all in append order (*lines: malloc'd array of *n
	 * malloc'd strings, freed with axiom_storage_free_names). */
	int (*ckpt_append)(void *store, const char *line);
	int (*ckpt_load)(void *store, char ***lines, size_t *n);
	/* Optional (NULL: none): one line about the store's last failure, for
	 * reasons and messages ("etcd 10.1.0.2:2379: etcdserver: no leader");
	 * and where the log is ("etcd://10.1.0.2:2379/axnet/log/h-eth0"), in
	 * place of the log directory in messages. error(NULL): why the last
	 * open_dir of the calling thread failed ("" or NULL: no word), since
	 * no store exists then. */
	const char *(*error)(void *store);
	const char *(*where)(void *store);
};

/* Segments as files in a directory, written with pwrite, made durable
 * with fdatasync; create() writes NAME.tmp, syncs it, renames it and
 * syncs the directory. The writer's exclusive hold is flock() on the
 * directory. arg is unused. */
extern const struct axiom_storage_ops axiom_storage_file;

void axiom_storage_free_names(char **names, size_t n);

#endif /* AXIOM_STORAGE_H */
