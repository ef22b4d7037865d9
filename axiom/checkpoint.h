/*
 * checkpoint.h - signed checkpoints: "the log had N entries and entry N
 * hashed to H", signed with the instance's Ed25519 key. An auditor who
 * kept an old checkpoint can later check that the log only grew: entry N
 * of the current log must still hash to H (and H chains every entry
 * before it).
 *
 * Files, in the log directory (<state_dir>/axiom/):
 *
 *   key          the secret key, libsodium's 64-byte form (seed || public
 *                key), raw; mode 0600; made on the first writable open
 *   key.pub      the public key: 64 lowercase hex digits and a newline
 *   checkpoints  one line per checkpoint, appended, each synced:
 *
 *     seq=N head=HEX ts=NS sig=HEX
 *
 *   N the number of entries (decimal; entries 1..N), head the hash of
 *   entry N (64 hex digits; zeros when N = 0), ts CLOCK_REALTIME in ns
 *   when signed, sig the Ed25519 signature (128 hex digits) of the 67
 *   bytes  "axiom-checkpoint-v1" || le64(N) || head || le64(ts).
 *
 * A last line without its newline is the remains of an append a crash
 * cut short: readers skip it, the next append removes it.
 *
 * Thread rules: the functions are independent of one another and keep no
 * state; appends to one directory must be serialised by the caller (the
 * log does, under its own lock).
 */
#ifndef AXIOM_CHECKPOINT_H
#define AXIOM_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "axiom/storage.h"

#define AXIOM_KEY_FILE "key"
#define AXIOM_PUBKEY_FILE "key.pub"
#define AXIOM_CHECKPOINTS_FILE "checkpoints"
#define AXIOM_PUBKEY_SIZE 32u
#define AXIOM_SECKEY_SIZE 64u
#define AXIOM_SIG_SIZE 64u
/* The longest line, with its newline and NUL. */
#define AXIOM_CKPT_LINE_MAX 256u

struct axiom_checkpoint {
	uint64_t seq;
	uint8_t head[32];
	uint64_t ts_ns;
	uint8_t sig[AXIOM_SIG_SIZE];
};

/*
 * The secret key of the log in logdir; with create, make it (and key.pub)
 * first if there is none. A key.pub that does not match the key is an
 * error (someone replaced one of them), a missing one is rewritten; a
 * key.pub without its key is -ENOKEY, not a reason to make a new key.
 * 0 or -errno, with err filled.
 */
int axiom_key_load(const char *logdir, int create, uint8_t sk[AXIOM_SECKEY_SIZE],
		   char *err, size_t errlen);

/* key.pub of logdir. 0, -ENOENT, or -EINVAL when it is not a key. */
int axiom_pubkey_load(const char *logdir, uint8_t pk[AXIOM_PUBKEY_SIZE]);
/* 64 hex digits (surrounding white space allowed). 0 or -EINVAL. */
int axiom_pubkey_parse(const char *hex, uint8_t pk[AXIOM_PUBKEY_SIZE]);

/* Sign c (seq, head, ts_ns set) with sk: fills c->sig. */
void axiom_checkpoint_sign(struct axiom_checkpoint *c, const uint8_t sk[AXIOM_SECKEY_SIZE]);
/* 0, or -EKEYREJECTED when the signature does not match pk. */
int axiom_checkpoint_check_sig(const struct axiom_checkpoint *c,
			       const uint8_t pk[AXIOM_PUBKEY_SIZE]);

/* The line for c, without its newline. */
void axiom_checkpoint_format(const struct axiom_checkpoint *c, char line[AXIOM_CKPT_LINE_MAX]);
/* Parse one line (a trailing newline and white space are allowed).
 * 0 or -EINVAL. */
int axiom_checkpoint_parse(const char *line, struct axiom_checkpoint *c);

/* Append c to logdir/checkpoints and sync it (and the directory, when the
 * file is new). Cuts a torn last line first. 0 or -errno. */
int axiom_checkpoint_append(const char *logdir, const struct axiom_checkpoint *c);

/*
 * Every complete line of logdir/checkpoints, parsed, in file order: *v is
 * malloc'd (the caller frees it), v[i] is line i + 1. No file: 0 and
 * *n = 0. A line that does not parse: -EINVAL, with err naming it.
 */
int axiom_checkpoints_load(const char *logdir, struct axiom_checkpoint **v, size_t *n,
			   char *err, size_t errlen);

/*
 * The same kept in a store instead of files (storage.h: a store with
 * ckpt_load / keys_get; where names it in messages). Checkpoints: every
 * line, parsed, in append order; none: 0 and *n = 0; a line that does not
 * parse: -EINVAL naming it ("WHERE: stored checkpoint N: ..."). Keys: *pk
 * a malloc'd array of *n keys, oldest first; -ENOENT when the store has
 * none, -EINVAL for a line that is not a key, or the store's error.
 */
int axiom_checkpoints_load_store(const struct axiom_storage_ops *ops, void *store,
				 const char *where, struct axiom_checkpoint **v, size_t *n,
				 char *err, size_t errlen);
int axiom_keys_load_store(const struct axiom_storage_ops *ops, void *store, const char *where,
			  uint8_t (**pk)[AXIOM_PUBKEY_SIZE], size_t *n, char *err, size_t errlen);

#endif /* AXIOM_CHECKPOINT_H */
