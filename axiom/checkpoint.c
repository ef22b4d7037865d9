/*
 * checkpoint.c - signing keys and checkpoint lines, see checkpoint.h.
 */
#define _GNU_SOURCE
#include "axiom/checkpoint.h"

#include <ctype.h>
#include <stdarg.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "axiom/errmsg.h"
#include "util/durable.h"

#define CKPT_DOMAIN "axiom-checkpoint-v1"
#define CKPT_DOMAIN_LEN (sizeof(CKPT_DOMAIN) - 1)
#define CKPT_MSG_LEN (CKPT_DOMAIN_LEN + 8 + 32 + 8)


static int path_in(char out[PATH_MAX], const char *dir, const char *name)
{
	if ((size_t)snprintf(out, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX)
		return -ENAMETOOLONG;
	return 0;
}

/* Write dir/name atomically and durably (util/durable.h). */
static int write_file_atomic(const char *dir, const char *name, const void *data, size_t len,
			     mode_t mode)
{
	char path[PATH_MAX];
	int err;

	if ((err = path_in(path, dir, name)) < 0)
		return err;
	return durable_write_file(path, data, len, mode);
}

/* Read at most cap - 1 bytes of a small file, NUL-terminated. Bytes read
 * or -errno. */
static ssize_t read_small(const char *path, char *buf, size_t cap)
{
	ssize_t n, got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((size_t)got < cap - 1) {
		n = read(fd, buf + got, cap - 1 - (size_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			n = -errno;
			close(fd);
			return n;
		}
		if (n == 0)
			break;
		got += n;
	}
	close(fd);
	buf[got] = '\0';
	return got;
}

static int unhex(const char *hex, size_t hexlen, uint8_t *out, size_t outlen)
{
	size_t got = 0;
	const char *end = NULL;

	if (hexlen != 2 * outlen)
		return -EINVAL;
	if (sodium_hex2bin(out, outlen, hex, hexlen, NULL, &got, &end) != 0 || got != outlen ||
	    end != hex + hexlen)
		return -EINVAL;
	return 0;
}

int axiom_pubkey_parse(const char *hex, uint8_t pk[AXIOM_PUBKEY_SIZE])
{
	size_t len;

	while (isspace((unsigned char)*hex))
		hex++;
	len = strlen(hex);
	while (len && isspace((unsigned char)hex[len - 1]))
		len--;
	return unhex(hex, len, pk, AXIOM_PUBKEY_SIZE);
}

int axiom_pubkey_load(const char *logdir, uint8_t pk[AXIOM_PUBKEY_SIZE])
{
	char path[PATH_MAX], buf[256];
	ssize_t n;
	int err;

	if ((err = path_in(path, logdir, AXIOM_PUBKEY_FILE)) < 0)
		return err;
	n = read_small(path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	return axiom_pubkey_parse(buf, pk);
}

static int write_pubkey(const char *logdir, const uint8_t pk[AXIOM_PUBKEY_SIZE])
{
	char hex[2 * AXIOM_PUBKEY_SIZE + 2];

	sodium_bin2hex(hex, sizeof(hex), pk, AXIOM_PUBKEY_SIZE);
	strcat(hex, "\n");
	/* Public: an auditor may read it as another user. */
	return write_file_atomic(logdir, AXIOM_PUBKEY_FILE, hex, strlen(hex), 0644);
}

int axiom_key_load(const char *logdir, int create, uint8_t sk[AXIOM_SECKEY_SIZE], char *err,
		   size_t errlen)
{
	uint8_t pk[AXIOM_PUBKEY_SIZE], filepk[AXIOM_PUBKEY_SIZE];
	char path[PATH_MAX], buf[AXIOM_SECKEY_SIZE + 1];
	ssize_t n;
	int rc;

	if (sodium_init() < 0)
		return axiom_fail(err, errlen, -EIO, "libsodium failed to initialise");
	if ((rc = path_in(path, logdir, AXIOM_KEY_FILE)) < 0)
		return axiom_fail(err, errlen, rc, "%s: path too long", logdir);
	n = read_small(path, buf, sizeof(buf));
	if (n == -ENOENT && create && axiom_pubkey_load(logdir, pk) != -ENOENT)
		/* A new key would quietly orphan every checkpoint signed so
		 * far: that takes a person, not a default. */
		return axiom_fail(err, errlen, -ENOKEY, "%s is missing but %s/%s is there: restore the "
			    "key, or remove %s to start a new one", path, logdir,
			    AXIOM_PUBKEY_FILE, AXIOM_PUBKEY_FILE);
	if (n == -ENOENT && create) {
		/* The key appears whole or not at all (atomic rename), so a
		 * crash here never leaves half a key behind. */
		crypto_sign_keypair(pk, sk);
		rc = write_file_atomic(logdir, AXIOM_KEY_FILE, sk, AXIOM_SECKEY_SIZE, 0600);
		if (rc < 0)
			return axiom_fail(err, errlen, rc, "cannot write %s: %s", path, strerror(-rc));
		rc = write_pubkey(logdir, pk);
		if (rc < 0)
			return axiom_fail(err, errlen, rc, "cannot write %s/%s: %s", logdir,
				    AXIOM_PUBKEY_FILE, strerror(-rc));
		return 0;
	}
	if (n < 0)
		return axiom_fail(err, errlen, (int)n, "cannot read %s: %s", path, strerror((int)-n));
	if (n != AXIOM_SECKEY_SIZE)
		return axiom_fail(err, errlen, -EINVAL, "%s: %zd bytes, not a key", path, n);
	memcpy(sk, buf, AXIOM_SECKEY_SIZE);
	sodium_memzero(buf, sizeof(buf));
	crypto_sign_ed25519_sk_to_pk(pk, sk);
	rc = axiom_pubkey_load(logdir, filepk);
	if (rc == -ENOENT) {
		rc = write_pubkey(logdir, pk);
		if (rc < 0)
			return axiom_fail(err, errlen, rc, "cannot write %s/%s: %s", logdir,
				    AXIOM_PUBKEY_FILE, strerror(-rc));
		return 0;
	}
	if (rc < 0)
		return axiom_fail(err, errlen, rc, "%s/%s: not a public key", logdir, AXIOM_PUBKEY_FILE);
	if (memcmp(pk, filepk, sizeof(pk)) != 0)
		return axiom_fail(err, errlen, -EKEYREJECTED, "%s/%s does not match %s", logdir,
			    AXIOM_PUBKEY_FILE, path);
	return 0;
}

static void message(const struct axiom_checkpoint *c, uint8_t msg[CKPT_MSG_LEN])
{
	uint64_t v;

	memcpy(msg, CKPT_DOMAIN, CKPT_DOMAIN_LEN);
	v = htole64(c->seq);
	memcpy(msg + CKPT_DOMAIN_LEN, &v, 8);
	memcpy(msg + CKPT_DOMAIN_LEN + 8, c->head, 32);
	v = htole64(c->ts_ns);
	memcpy(msg + CKPT_DOMAIN_LEN + 40, &v, 8);
}

void axiom_checkpoint_sign(struct axiom_checkpoint *c, const uint8_t sk[AXIOM_SECKEY_SIZE])
{
	uint8_t msg[CKPT_MSG_LEN];

	message(c, msg);
	crypto_sign_detached(c->sig, NULL, msg, sizeof(msg), sk);
}

int axiom_checkpoint_check_sig(const struct axiom_checkpoint *c,
			       const uint8_t pk[AXIOM_PUBKEY_SIZE])
{
	uint8_t msg[CKPT_MSG_LEN];

	message(c, msg);
	if (crypto_sign_verify_detached(c->sig, msg, sizeof(msg), pk) != 0)
		return -EKEYREJECTED;
	return 0;
}

void axiom_checkpoint_format(const struct axiom_checkpoint *c, char line[AXIOM_CKPT_LINE_MAX])
{
	char head[65], sig[2 * AXIOM_SIG_SIZE + 1];

	sodium_bin2hex(head, sizeof(head), c->head, sizeof(c->head));
	sodium_bin2hex(sig, sizeof(sig), c->sig, sizeof(c->sig));
	snprintf(line, AXIOM_CKPT_LINE_MAX, "seq=%" PRIu64 " head=%s ts=%" PRIu64 " sig=%s",
		 c->seq, head, c->ts_ns, sig);
}

/* "KEY=" then a decimal u64 up to a space or the end. */
static const char *parse_u64_field(const char *p, const char *key, uint64_t *v)
{
	size_t klen = strlen(key);
	uint64_t x = 0;
	int digits = 0;

	if (strncmp(p, key, klen) != 0)
		return NULL;
	p += klen;
	for (; *p >= '0' && *p <= '9'; p++, digits++) {
		unsigned int d = (unsigned int)(*p - '0');

		if (x > (UINT64_MAX - d) / 10)
			return NULL;
		x = x * 10 + d;
	}
	if (!digits || digits > 20)
		return NULL;
	*v = x;
	return p;
}

static const char *parse_hex_field(const char *p, const char *key, uint8_t *out, size_t n)
{
	size_t klen = strlen(key);

	if (strncmp(p, key, klen) != 0)
		return NULL;
	p += klen;
	if (strnlen(p, 2 * n) != 2 * n || unhex(p, 2 * n, out, n) < 0)
		return NULL;
	return p + 2 * n;
}

int axiom_checkpoint_parse(const char *line, struct axiom_checkpoint *c)
{
	const char *p = line;

	while (*p == ' ' || *p == '\t')
		p++;
	if (!(p = parse_u64_field(p, "seq=", &c->seq)) ||
	    !(p = parse_hex_field(p, " head=", c->head, sizeof(c->head))) ||
	    !(p = parse_u64_field(p, " ts=", &c->ts_ns)) ||
	    !(p = parse_hex_field(p, " sig=", c->sig, sizeof(c->sig))))
		return -EINVAL;
	while (isspace((unsigned char)*p))
		p++;
	return *p ? -EINVAL : 0;
}

/* Cut whatever follows the last newline: the part of a line whose append
 * a crash interrupted. */
static int cut_torn_line(int fd)
{
	char buf[AXIOM_CKPT_LINE_MAX];
	struct stat st;
	off_t from;
	ssize_t n;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_size == 0)
		return 0;
	from = st.st_size > (off_t)sizeof(buf) ? st.st_size - (off_t)sizeof(buf) : 0;
	n = pread(fd, buf, sizeof(buf), from);
	if (n < 0)
		return -errno;
	if (n > 0 && buf[n - 1] == '\n')
		return 0;
	while (n > 0 && buf[n - 1] != '\n')
		n--;
	/* No newline in the last line's worth of bytes: none of it is a
	 * line; keep what precedes it. */
	if (ftruncate(fd, from + n) < 0)
		return -errno;
	return 0;
}

int axiom_checkpoint_append(const char *logdir, const struct axiom_checkpoint *c)
{
	char path[PATH_MAX], line[AXIOM_CKPT_LINE_MAX + 1];
	int fd, err, created = 0;

	if ((err = path_in(path, logdir, AXIOM_CHECKPOINTS_FILE)) < 0)
		return err;
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd >= 0)
		created = 1;
	else if (errno == EEXIST)
		fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	axiom_checkpoint_format(c, line);
	strcat(line, "\n");
	err = cut_torn_line(fd);
	if (!err && lseek(fd, 0, SEEK_END) < 0)
		err = -errno;
	if (!err)
		err = durable_write_all(fd, line, strlen(line), -1);
	if (!err && fdatasync(fd) < 0)
		err = -errno;
	if (close(fd) < 0 && !err)
		err = -errno;
	if (!err && created)
		err = durable_sync_dir(logdir);
	return err;
}

int axiom_checkpoints_load(const char *logdir, struct axiom_checkpoint **v, size_t *n,
			   char *err, size_t errlen)
{
	struct axiom_checkpoint *arr = NULL, *na;
	char path[PATH_MAX], *line = NULL;
	size_t cap = 0, cnt = 0, linecap = 0;
	ssize_t len;
	FILE *f;
	int rc = 0;

	*v = NULL;
	*n = 0;
	if ((rc = path_in(path, logdir, AXIOM_CHECKPOINTS_FILE)) < 0)
		return axiom_fail(err, errlen, rc, "%s: path too long", logdir);
	f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		rc = -errno;
		return axiom_fail(err, errlen, rc, "cannot read %s: %s", path, strerror(-rc));
	}
	while ((len = getline(&line, &linecap, f)) > 0) {
		if (line[len - 1] != '\n')
			break; /* torn append, see checkpoint.h */
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			na = realloc(arr, cap * sizeof(*arr));
			if (!na) {
				rc = axiom_fail(err, errlen, -ENOMEM, "out of memory");
				break;
			}
			arr = na;
		}
		if (axiom_checkpoint_parse(line, &arr[cnt]) < 0) {
			rc = axiom_fail(err, errlen, -EINVAL, "%s line %zu: not a checkpoint", path,
				  cnt + 1);
			break;
		}
		cnt++;
	}
	if (!rc && ferror(f))
		rc = axiom_fail(err, errlen, -EIO, "cannot read %s", path);
	free(line);
	fclose(f);
	if (rc < 0) {
		free(arr);
		return rc;
	}
	*v = arr;
	*n = cnt;
	return 0;
}

/* The store's error line for err, or strerror when it has none. */
static const char *store_error(const struct axiom_storage_ops *ops, void *store, int err)
{
	const char *e = ops->error ? ops->error(store) : NULL;

	return e && e[0] ? e : strerror(-err);
}

int axiom_checkpoints_load_store(const struct axiom_storage_ops *ops, void *store,
				 const char *where, struct axiom_checkpoint **v, size_t *n,
				 char *err, size_t errlen)
{
	struct axiom_checkpoint *arr = NULL;
	char **lines = NULL;
	size_t cnt = 0, i;
	int rc;

	*v = NULL;
	*n = 0;
	rc = ops->ckpt_load(store, &lines, &cnt);
	if (rc < 0)
		return axiom_fail(err, errlen, rc, "%s: cannot read the checkpoints: %s", where,
				  store_error(ops, store, rc));
	if (cnt && !(arr = calloc(cnt, sizeof(*arr)))) {
		axiom_storage_free_names(lines, cnt);
		return axiom_fail(err, errlen, -ENOMEM, "out of memory");
	}
	for (i = 0; i < cnt; i++) {
		if (axiom_checkpoint_parse(lines[i], &arr[i]) < 0) {
			rc = axiom_fail(err, errlen, -EINVAL, "%s: stored checkpoint %zu: not a "
					"checkpoint", where, i + 1);
			break;
		}
	}
	axiom_storage_free_names(lines, cnt);
	if (rc < 0) {
		free(arr);
		return rc;
	}
	*v = arr;
	*n = cnt;
	return 0;
}

int axiom_keys_load_store(const struct axiom_storage_ops *ops, void *store, const char *where,
			  uint8_t (**pk)[AXIOM_PUBKEY_SIZE], size_t *n, char *err, size_t errlen)
{
	uint8_t (*v)[AXIOM_PUBKEY_SIZE] = NULL, (*nv)[AXIOM_PUBKEY_SIZE];
	char *text = NULL, *line, *save = NULL;
	size_t cnt = 0, no = 0;
	int rc;

	*pk = NULL;
	*n = 0;
	rc = ops->keys_get(store, &text);
	if (rc == -ENOENT)
		return axiom_fail(err, errlen, rc, "%s: no public keys in the store", where);
	if (rc < 0)
		return axiom_fail(err, errlen, rc, "%s: cannot read the public keys: %s", where,
				  store_error(ops, store, rc));
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		no++;
		if (strspn(line, " \t\r") == strlen(line))
			continue;
		nv = realloc(v, (cnt + 1) * sizeof(*v));
		if (!nv) {
			rc = axiom_fail(err, errlen, -ENOMEM, "out of memory");
			break;
		}
		v = nv;
		if (axiom_pubkey_parse(line, v[cnt]) < 0) {
			rc = axiom_fail(err, errlen, -EINVAL, "%s: public key line %zu: not a key",
					where, no);
			break;
		}
		cnt++;
	}
	free(text);
	if (rc == 0 && cnt == 0)
		rc = axiom_fail(err, errlen, -ENOENT, "%s: no public keys in the store", where);
	if (rc < 0) {
		free(v);
		return rc;
	}
	*pk = v;
	*n = cnt;
	return 0;
}
