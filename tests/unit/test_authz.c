/*
 * test_authz.c - the authorizer's start: what it reads back from the log
 * and what it writes there. The policy in force is rebuilt exactly from
 * the log (or refused, never replaced); the start entry, the closes of a
 * killed instance's authorizations and the push are one group commit.
 *
 * Each test works in its own directory under /tmp and removes it. The
 * log's storage is the file backend wrapped to count syncs and to fail
 * writes with ENOSPC on demand.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "authz_helper.h"
#include "tmpdir.h"

static struct fake_host H;

static struct {
	int syncs;
	int fail_pwrite; /* errno for every write */
} W;

static int w_pwrite(void *f, const void *buf, size_t len, uint64_t off)
{
	if (__atomic_load_n(&W.fail_pwrite, __ATOMIC_SEQ_CST))
		return -__atomic_load_n(&W.fail_pwrite, __ATOMIC_SEQ_CST);
	return axiom_storage_file.pwrite(f, buf, len, off);
}

static int w_datasync(void *f)
{
	__atomic_add_fetch(&W.syncs, 1, __ATOMIC_SEQ_CST);
	return axiom_storage_file.datasync(f);
}

static struct axiom_storage_ops wrap_ops;

static struct axiom *open_log(const char *dir)
{
	struct axiom_config cfg = { .dir = dir, .storage = &wrap_ops, .log = authz_quiet };
	struct axiom *ax = NULL;
	char err[512];

	wrap_ops = axiom_storage_file;
	wrap_ops.pwrite = w_pwrite;
	wrap_ops.datasync = w_datasync;
	if (axiom_open(&ax, &cfg, err, sizeof(err)) != 0)
		printf("  axiom_open: %s\n", err);
	return ax;
}

static int setup(void)
{
	if (H.s.tcp)
		stack_fini(&H.s);
	memset(&W, 0, sizeof(W));
	return fake_host_init(&H);
}

static struct pol_policy *parse(const char *text)
{
	struct pol_policy *p = NULL;
	struct pol_error pe;

	if (pol_parse(text, strlen(text), "test.pol", &p, &pe) < 0)
		printf("  parse: %s\n", pe.msg);
	return p;
}

/* authz_open on dir's log; policy (may be NULL) is taken over. */
static int start(const char *dir, struct pol_policy *policy, const char *start_text,
		 struct axiom **ax, struct authz **a, char *err, size_t errlen)
{
	struct authz_config ac = { 0 };

	*a = NULL;
	*ax = open_log(dir);
	if (!*ax) {
		pol_free(policy);
		return -EIO;
	}
	ac.stack = &H.s;
	ac.ax = *ax;
	ac.state_dir = dir;
	ac.policy = policy;
	ac.policy_source = policy ? "test.pol" : NULL;
	ac.start_text = start_text;
	return authz_open(a, &ac, err, errlen);
}

/* Every entry of dir's log: how many, and the type and payload of the
 * one at seq (copied into text). */
static long entry(const char *dir, uint64_t seq, uint16_t *type, char *text, size_t tlen)
{
	if (type)
		authz_log_entry(dir, seq, type, text, tlen);
	return authz_log_count(dir);
}

static const char WEB[] = "default deny in\n"
			  "allow in tcp from 10.0.0.0/24 to port 80,443 # web\n"
			  "allow in icmp\n";

/*
 * A killed instance left 50 authorizations open. The start writes its
 * start entry, the 50 closes and the policy push with one write and one
 * fdatasync, consecutive, the start first.
 * BUG (fixed): each close was its own fdatasync (N closes, N syncs).
 */
TEST(restart_closes_in_one_group_commit)
{
	char *dir = tmpdir_make("authz-test"), err[768], text[512];
	struct axiom *ax;
	struct authz *a;
	struct axiom_result res;
	struct authz_stats st;
	uint16_t type = 0;
	int i, syncs;

	REQUIRE(dir);
	REQUIRE(setup() == 0);
	ax = open_log(dir);
	REQUIRE(ax);
	for (i = 0; i < 50; i++) {
		snprintf(text, sizeof(text), "dir=in proto=tcp local=10.0.0.1:80 remote=10.0.0.2:%d "
			 "rule=1 policy=0", 1000 + i);
		REQUIRE(axiom_submit(ax, AXIOM_CONN_AUTHORIZE, text, (uint32_t)strlen(text), &res) == 0);
		REQUIRE(res.committed);
	}
	axiom_close(ax);
	syncs = W.syncs;
	REQUIRE(start(dir, parse(WEB), "ifname=test", &ax, &a, err, sizeof(err)) == 0);
	CHECK_EQ(W.syncs - syncs, 1);
	authz_stats(a, &st);
	CHECK_EQ(st.closed, 50);
	CHECK_EQ(axiom_head_seq(ax), 50 + 1 + 50 + 1);
	authz_teardown(ax, a);
	CHECK_EQ(entry(dir, 51, &type, text, sizeof(text)), 102);
	CHECK(type == AXIOM_START && strcmp(text, "ifname=test") == 0);
	for (i = 52; i <= 101; i++) {
		entry(dir, (uint64_t)i, &type, text, sizeof(text));
		CHECK(type == AXIOM_CONN_CLOSE && strstr(text, "reason=instance-restarted"));
	}
	entry(dir, 102, &type, text, sizeof(text));
	CHECK(type == AXIOM_POLICY_PUSH);
	/* A second start has nothing to close and the policy from the log:
	 * just its start entry. */
	syncs = W.syncs;
	REQUIRE(start(dir, NULL, "again", &ax, &a, err, sizeof(err)) == 0);
	CHECK_EQ(W.syncs - syncs, 1);
	CHECK_EQ(axiom_head_seq(ax), 103);
	authz_teardown(ax, a);
	tmpdir_remove(dir);
}

/*
 * A pushed policy lives in its log entry: its canonical text, %XX-encoded
 * (printable, one line), and the start rebuilds exactly that policy from
 * the log alone, with no file beside it.
 * BUG (fixed): the policy was a file written without a directory fsync;
 * a missing file made the start fall back to the built-in default.
 */
TEST(policy_survives_in_the_log)
{
	char *dir = tmpdir_make("authz-test"), err[768], text[2048], want[65], got[65], path[512];
	struct pol_policy *p = parse(WEB);
	struct axiom *ax;
	struct authz *a;
	uint64_t seq;
	uint16_t type = 0;

	REQUIRE(dir && p);
	REQUIRE(setup() == 0);
	authz_hash_hex(p, want);
	REQUIRE(start(dir, p, "one", &ax, &a, err, sizeof(err)) == 0);
	authz_policy(a, &seq);
	CHECK_EQ(seq, 2);
	authz_teardown(ax, a);
	entry(dir, 2, &type, text, sizeof(text));
	CHECK(type == AXIOM_POLICY_PUSH);
	CHECK(strncmp(text, "sha256=", 7) == 0 && strncmp(text + 7, want, 64) == 0);
	CHECK(strstr(text, " rules=2 source=test.pol text=default deny in%0adefault allow out%0a"
			   "allow in tcp from 10.0.0.0/24 to port 80,443%0aallow in icmp%0a") != NULL);
	/* No policies/ directory is needed (none is written). */
	snprintf(path, sizeof(path), "%s/policies", dir);
	CHECK(access(path, F_OK) != 0);
	REQUIRE(start(dir, NULL, "two", &ax, &a, err, sizeof(err)) == 0);
	authz_hash_hex(authz_policy(a, &seq), got);
	CHECK_EQ(seq, 2);
	CHECK(strcmp(got, want) == 0);
	authz_teardown(ax, a);
	tmpdir_remove(dir);
}

/* A policy of 4000 rules, too big for one entry (malloc'd text). */
static char *big_policy(void)
{
	size_t cap = 4u << 20, len = 0;
	char *big = malloc(cap);

	if (!big)
		return NULL;
	len += (size_t)snprintf(big + len, cap - len, "default deny in\n");
	for (int i = 0; i < 4000; i++)
		len += (size_t)snprintf(big + len, cap - len,
					"allow in tcp from 10.%d.%d.0/24 to port %d\n", i / 250,
					i % 250, 1 + i);
	return big;
}

/* A policy too big for one entry goes in policy-text parts committed with
 * its push, and comes back whole. */
TEST(big_policy_in_parts)
{
	char *dir = tmpdir_make("authz-test"), err[768], text[256], want[65], got[65];
	char *big = big_policy();
	struct pol_policy *p;
	struct axiom *ax;
	struct authz *a;
	uint64_t seq;
	uint16_t type = 0;
	long n;

	REQUIRE(dir && big);
	REQUIRE(setup() == 0);
	p = parse(big);
	free(big);
	REQUIRE(p);
	authz_hash_hex(p, want);
	REQUIRE(start(dir, p, "one", &ax, &a, err, sizeof(err)) == 0);
	authz_policy(a, &seq);
	authz_teardown(ax, a);
	n = entry(dir, 2, &type, text, sizeof(text));
	CHECK(n > 3 && seq == (uint64_t)n);
	CHECK(type == AXIOM_POLICY_TEXT && strstr(text, "part=1/") != NULL);
	entry(dir, seq, &type, text, sizeof(text));
	CHECK(type == AXIOM_POLICY_PUSH && strstr(text, " parts=") != NULL);
	REQUIRE(start(dir, NULL, "two", &ax, &a, err, sizeof(err)) == 0);
	authz_hash_hex(authz_policy(a, &seq), got);
	CHECK(strcmp(got, want) == 0);
	CHECK_EQ(pol_nrules(authz_policy(a, NULL)), 4000);
	authz_teardown(ax, a);
	tmpdir_remove(dir);
}

/* Write a push entry as an older axnet did: the hash only. */
static void old_push(const char *dir, const char *hx)
{
	struct axiom_result res;
	struct axiom *ax = open_log(dir);
	char text[256];

	if (!ax)
		return;
	snprintf(text, sizeof(text), "sha256=%s rules=2 source=old.pol", hx);
	axiom_submit(ax, AXIOM_POLICY_PUSH, text, (uint32_t)strlen(text), &res);
	axiom_close(ax);
}

/*
 * A push from before the text was kept names a file: found and hashing
 * right, it is used; missing or altered, the start stops and says which
 * file and what to do. Never the built-in default in its place.
 * BUG (fixed): a missing file silently meant the built-in default.
 */
TEST(policy_that_cannot_be_rebuilt_stops_the_start)
{
	char *dir = tmpdir_make("authz-test"), err[768], hx[65], got[65], path[512], *canon = NULL;
	struct pol_policy *p = parse(WEB);
	struct axiom_result res;
	struct axiom *ax;
	struct authz *a;
	size_t clen;
	uint64_t seq, head;
	int fd;

	REQUIRE(dir && p);
	REQUIRE(setup() == 0);
	authz_hash_hex(p, hx);
	old_push(dir, hx);
	/* The file is missing. */
	CHECK_EQ(start(dir, NULL, "start", &ax, &a, err, sizeof(err)), -ENOENT);
	snprintf(path, sizeof(path), "%s/policies/%s.pol", dir, hx);
	CHECK(strstr(err, path) != NULL);
	CHECK(strstr(err, "--policy FILE") != NULL);
	head = axiom_head_seq(ax);
	axiom_close(ax);
	CHECK_EQ(head, 1); /* nothing written: not even the start */
	/* The file is there but says something else. */
	snprintf(path, sizeof(path), "%s/policies", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/policies/%s.pol", dir, hx);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	REQUIRE(fd >= 0);
	CHECK(write(fd, "default allow in\n", 17) == 17);
	close(fd);
	CHECK_EQ(start(dir, NULL, "start", &ax, &a, err, sizeof(err)), -EBADMSG);
	CHECK(strstr(err, "hashes to") != NULL);
	axiom_close(ax);
	/* The right file: used. */
	REQUIRE(pol_canonical(p, &canon, &clen) == 0);
	fd = open(path, O_WRONLY | O_TRUNC);
	REQUIRE(fd >= 0);
	CHECK(write(fd, canon, clen) == (ssize_t)clen);
	close(fd);
	free(canon);
	REQUIRE(start(dir, NULL, "start", &ax, &a, err, sizeof(err)) == 0);
	authz_hash_hex(authz_policy(a, &seq), got);
	CHECK_EQ(seq, 1);
	CHECK(strcmp(got, hx) == 0);
	authz_teardown(ax, a);
	/* A push whose text does not hash to its sha256 (altered, or a bug):
	 * refused too. */
	ax = open_log(dir);
	REQUIRE(ax);
	{
		char text[256];

		snprintf(text, sizeof(text), "sha256=%s rules=1 source=x text=default allow in%%0a",
			 hx);
		CHECK_EQ(axiom_submit(ax, AXIOM_POLICY_PUSH, text, (uint32_t)strlen(text), &res), 0);
	}
	axiom_close(ax);
	CHECK_EQ(start(dir, NULL, "start", &ax, &a, err, sizeof(err)), -EBADMSG);
	CHECK(strstr(err, "hashes to") != NULL && strstr(err, "log entry") != NULL);
	axiom_close(ax);
	pol_free(p);
	tmpdir_remove(dir);
}

/*
 * A push's sha256 names the file of a push from before the text was kept
 * (policies/<sha256>.pol), so it must be a sha256: 64 lowercase hex
 * digits. Anything else stops the start, and no file is looked for.
 * BUG (fixed): "../" in a tampered entry's sha256 made the start open and
 * parse a .pol file outside policies/ (a FIFO there would block the start
 * for ever), and a sha256 of another length made recovery skip the push,
 * so the push before it, or the built-in default, silently took its place.
 */
TEST(push_with_a_malformed_sha256_stops_the_start)
{
	/* <dir>/policies/../././...//evil.pol: <dir>/evil.pol, 64 bytes. */
	static const char outside[] = "../" "./././././././././././././././././././././././././././."
				      "/" "/evil";
	char *dir = tmpdir_make("authz-test"), err[768], path[512];
	struct axiom *ax;
	struct authz *a;
	int fd;

	REQUIRE(dir);
	REQUIRE(strlen(outside) == 64);
	REQUIRE(setup() == 0);
	snprintf(path, sizeof(path), "%s/policies", dir);
	REQUIRE(mkdir(path, 0700) == 0);
	snprintf(path, sizeof(path), "%s/evil.pol", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	REQUIRE(fd >= 0);
	CHECK(write(fd, WEB, strlen(WEB)) == (ssize_t)strlen(WEB));
	close(fd);
	old_push(dir, outside);
	CHECK_EQ(start(dir, NULL, "start", &ax, &a, err, sizeof(err)), -EBADMSG);
	CHECK(strstr(err, "not 64 lowercase hex digits") != NULL);
	CHECK(strstr(err, "evil") == NULL); /* the file was never named */
	CHECK_EQ(axiom_head_seq(ax), 1);     /* nothing written */
	axiom_close(ax);
	/* A shorter one is no less the push in force: not skipped. */
	old_push(dir, "dc67b4d2");
	CHECK_EQ(start(dir, NULL, "start", &ax, &a, err, sizeof(err)), -EBADMSG);
	CHECK(strstr(err, "log entry 2") != NULL && strstr(err, "hex digits") != NULL);
	CHECK_EQ(axiom_head_seq(ax), 2);
	axiom_close(ax);
	tmpdir_remove(dir);
}

/* Starting on a full disk: a clear error that names ENOSPC and the file,
 * and nothing written (no start entry without its push). */
TEST(start_on_a_full_disk_writes_nothing)
{
	char *dir = tmpdir_make("authz-test"), err[768];
	struct axiom_result res;
	struct axiom *ax;
	struct authz *a;

	REQUIRE(dir);
	REQUIRE(setup() == 0);
	ax = open_log(dir);
	REQUIRE(ax);
	REQUIRE(axiom_submit(ax, AXIOM_START, "first", 5, &res) == 0 && res.committed);
	axiom_close(ax);
	__atomic_store_n(&W.fail_pwrite, ENOSPC, __ATOMIC_SEQ_CST);
	CHECK_EQ(start(dir, NULL, "second", &ax, &a, err, sizeof(err)), -ENOSPC);
	CHECK(strstr(err, "nothing was written") != NULL);
	CHECK(strstr(err, "No space left on device (ENOSPC)") != NULL);
	CHECK(strstr(err, dir) != NULL && strstr(err, "/axiom/00000000000000000001.seg") != NULL);
	CHECK_EQ(axiom_head_seq(ax), 1);
	axiom_close(ax);
	__atomic_store_n(&W.fail_pwrite, 0, __ATOMIC_SEQ_CST);
	CHECK_EQ(entry(dir, 0, NULL, NULL, 0), 1);
	REQUIRE(start(dir, NULL, "third", &ax, &a, err, sizeof(err)) == 0);
	CHECK_EQ(axiom_head_seq(ax), 3); /* the start and the default's push */
	authz_teardown(ax, a);
	tmpdir_remove(dir);
}

/*
 * A log holding a policy in parts (records with the write-position flag,
 * policy-text entries, a group commit) verifies as `axnet log verify`
 * checks it (axiom_verify): chain, seqs, checkpoints; and again after a
 * second start appended to it.
 */
TEST(log_with_policy_parts_verifies)
{
	char *dir = tmpdir_make("authz-test"), err[768], text[256];
	char *big = big_policy();
	struct axiom_verify_report rep;
	struct axiom *ax;
	struct authz *a;
	uint16_t type = 0;
	long n;

	REQUIRE(dir && big);
	REQUIRE(setup() == 0);
	REQUIRE(start(dir, parse(big), "one", &ax, &a, err, sizeof(err)) == 0);
	free(big);
	authz_teardown(ax, a);
	n = entry(dir, 2, &type, text, sizeof(text));
	REQUIRE(n > 3 && type == AXIOM_POLICY_TEXT);
	CHECK_EQ(axiom_verify(dir, NULL, &rep), 0);
	CHECK_EQ(rep.entries, (uint64_t)n);
	CHECK_EQ(rep.checkpoints, 1);
	CHECK_EQ(rep.torn_bytes, 0);
	REQUIRE(start(dir, NULL, "two", &ax, &a, err, sizeof(err)) == 0);
	authz_teardown(ax, a);
	CHECK_EQ(axiom_verify(dir, NULL, &rep), 0);
	CHECK_EQ(rep.entries, (uint64_t)n + 1);
	CHECK_EQ(rep.checkpoints, 2);
	tmpdir_remove(dir);
}

TEST_MAIN(T(restart_closes_in_one_group_commit), T(policy_survives_in_the_log),
	  T(big_policy_in_parts), T(policy_that_cannot_be_rebuilt_stops_the_start),
	  T(start_on_a_full_disk_writes_nothing), T(log_with_policy_parts_verifies),
	  T(push_with_a_malformed_sha256_stops_the_start))
