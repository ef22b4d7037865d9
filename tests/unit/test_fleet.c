/*
 * test_fleet.c - the fleet's value formats (daemon/fleet.h): F/policy's
 * first line and an instance's report, as `axnet policy --fleet` and the
 * watcher read and write them. The watcher itself runs against real etcd
 * in tests/e2e/test-fleet-policy.sh.
 */
#include <errno.h>

#include "testlib.h"
#include "daemon/fleet.c" /* its static helpers with it: one translation unit */

#define H64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

TEST(policy_header)
{
	static const char v[] = "version=12 sha256=" H64 " source=root@h:p.pol\ndefault deny\n";
	struct fleet_policy_hdr h;

	REQUIRE(fleet_policy_hdr_parse(v, sizeof(v) - 1, &h) == 0);
	CHECK_EQ(h.version, 12);
	CHECK(strcmp(h.sha256, H64) == 0);
	CHECK(strcmp(h.source, "root@h:p.pol") == 0);
	CHECK_EQ(h.text_off, strchr(v, '\n') + 1 - v);
	/* No text at all: an empty policy, not an error here. */
	CHECK(fleet_policy_hdr_parse("version=1 sha256=" H64, 81, &h) == 0);
	CHECK_EQ(h.text_off, 81);
}

TEST(policy_header_refused)
{
	struct fleet_policy_hdr h;
	static const char *bad[] = {
		"default deny\n",                               /* no header */
		"version=0 sha256=" H64 "\n",                   /* versions start at 1 */
		"version=x sha256=" H64 "\n",
		"version=99999999999999999999 sha256=" H64 "\n", /* over 2^64 */
		"version=3 sha256=0123\n",                      /* not 64 hex */
		"version=3 sha256=" H64 "A\n",
		"version=3\n",
		"sha256=" H64 "\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_EQ(fleet_policy_hdr_parse(bad[i], strlen(bad[i]), &h), -EINVAL);
	/* The sha256 of the first line only: one in the text does not count. */
	CHECK_EQ(fleet_policy_hdr_parse("version=3\nsha256=" H64, 81, &h), -EINVAL);
}

TEST(report_round_trip)
{
	struct fleet_report r = { .version = 7, .seq = 1234, .ts = 1700000000123456789ull }, back;
	char buf[2048];

	snprintf(r.sha256, sizeof(r.sha256), H64);
	snprintf(r.state, sizeof(r.state), "applied");
	snprintf(r.reason, sizeof(r.reason), "ignored when applied");
	fleet_report_format(&r, buf, sizeof(buf));
	CHECK(strcmp(buf, "version=7 seq=1234 sha256=" H64 " state=applied ts=1700000000123456789") == 0);
	REQUIRE(fleet_report_parse(buf, strlen(buf), &back) == 0);
	CHECK_EQ(back.version, 7);
	CHECK_EQ(back.seq, 1234);
	CHECK_EQ(back.ts, 1700000000123456789ull);
	CHECK(strcmp(back.state, "applied") == 0);
	CHECK(back.reason[0] == '\0');

	/* An error's reason has spaces and '=': it is the rest of the value. */
	snprintf(r.state, sizeof(r.state), "error");
	snprintf(r.reason, sizeof(r.reason), "axnet/fleet/policy version=8:3:22: expected a "
		 "port (1-65535), got '70000' (version 7 stays in force)");
	fleet_report_format(&r, buf, sizeof(buf));
	REQUIRE(fleet_report_parse(buf, strlen(buf), &back) == 0);
	CHECK(strcmp(back.state, "error") == 0);
	CHECK(strcmp(back.reason, r.reason) == 0);
	CHECK_EQ(back.version, 7);

	CHECK_EQ(fleet_report_parse("seq=1 state=applied", 19, &back), -EINVAL);
	CHECK_EQ(fleet_report_parse("version=1 seq=1", 15, &back), -EINVAL);
	CHECK_EQ(fleet_report_parse("version=-1 state=applied", 24, &back), -EINVAL);
}

TEST(prefix)
{
	CHECK(fleet_prefix_ok("axnet/fleet"));
	CHECK(fleet_prefix_ok("f"));
	CHECK(!fleet_prefix_ok(""));
	CHECK(!fleet_prefix_ok("/axnet/fleet"));
	CHECK(!fleet_prefix_ok("axnet/fleet/"));
	CHECK(!fleet_prefix_ok("axnet//fleet"));
	CHECK(!fleet_prefix_ok("axnet fleet"));
	CHECK(!fleet_prefix_ok("axnet\x7f"));
}

TEST_MAIN(T(policy_header), T(policy_header_refused), T(report_round_trip), T(prefix))
