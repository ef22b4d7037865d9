/*
 * test_etcd_json.c - the etcd client's pieces that need no etcd: answers
 * decoded (as etcd 3.4's gateway prints them: int64 as strings, defaults
 * left out), the error table, the watch stream cut into messages however
 * it arrives, endpoint lists and URLs.
 */
#include <errno.h>
#include <string.h>

#include "etcd/etcd.h"
#include "etcd/json.h"
#include "testlib.h"

static json_t *J(const char *s)
{
	json_t *j = json_loads(s, 0, NULL);

	if (!j) {
		fprintf(stderr, "bad JSON in test: %s\n", s);
		abort();
	}
	return j;
}

TEST(int64_strings_numbers_missing)
{
	json_t *j = J("{\"a\":\"-12\",\"b\":34,\"c\":\"9223372036854775807\",\"d\":\"1x\","
		      "\"e\":true,\"f\":\"\",\"g\":\"99999999999999999999\"}");
	int64_t v;

	CHECK_EQ(etcdj_i64(j, "a", &v), 0);
	CHECK_EQ(v, -12);
	CHECK_EQ(etcdj_i64(j, "b", &v), 0);
	CHECK_EQ(v, 34);
	CHECK_EQ(etcdj_i64(j, "c", &v), 0);
	CHECK_EQ(v, INT64_MAX);
	CHECK_EQ(etcdj_i64(j, "missing", &v), 0);
	CHECK_EQ(v, 0);
	CHECK_EQ(etcdj_i64(j, "d", &v), -EPROTO);
	CHECK_EQ(etcdj_i64(j, "e", &v), -EPROTO);
	CHECK_EQ(etcdj_i64(j, "f", &v), -EPROTO);
	CHECK_EQ(etcdj_i64(j, "g", &v), -EPROTO);
	json_decref(j);
}

TEST(range_binary_and_defaults)
{
	/* key "a\0\xff", value "\0\x01\xff"; version left out = 0 is
	 * impossible for a live key but must decode as 0. */
	json_t *j = J("{\"header\":{\"revision\":\"7\"},\"kvs\":[{\"key\":\"YQD/\","
		      "\"create_revision\":\"2\",\"mod_revision\":5,\"value\":\"AAH/\"},"
		      "{\"key\":\"Yg==\"}],\"more\":true,\"count\":\"9\"}");
	struct etcd_range r;

	REQUIRE(etcdj_range(j, &r) == 0);
	CHECK_EQ(r.revision, 7);
	CHECK_EQ(r.count, 9);
	CHECK_EQ(r.more, 1);
	REQUIRE(r.n == 2);
	CHECK_EQ(r.kvs[0].key_len, 3);
	CHECK_MEM(r.kvs[0].key, "a\0\xff", 3);
	CHECK_EQ(r.kvs[0].key[3], 0);
	CHECK_EQ(r.kvs[0].value_len, 3);
	CHECK_MEM(r.kvs[0].value, "\0\x01\xff", 3);
	CHECK_EQ(r.kvs[0].create_rev, 2);
	CHECK_EQ(r.kvs[0].mod_rev, 5);
	CHECK_EQ(r.kvs[0].version, 0);
	CHECK_EQ(r.kvs[1].value_len, 0);
	CHECK(r.kvs[1].value != NULL && r.kvs[1].value[0] == 0);
	etcd_range_free(&r);
	json_decref(j);

	j = J("{\"kvs\":[{\"key\":\"!!\"}]}");
	CHECK_EQ(etcdj_range(j, &r), -EPROTO);
	CHECK_EQ(r.n, 0);
	json_decref(j);
}

TEST(txn_ranges_in_order)
{
	json_t *j = J("{\"header\":{\"revision\":\"25\"},\"succeeded\":true,\"responses\":["
		      "{\"response_range\":{\"kvs\":[{\"key\":\"YQ==\"}],\"count\":\"1\"}},"
		      "{\"response_put\":{}},{\"response_range\":{}}]}");
	struct etcd_txn_result t;

	REQUIRE(etcdj_txn(j, &t) == 0);
	CHECK_EQ(t.succeeded, 1);
	CHECK_EQ(t.revision, 25);
	REQUIRE(t.nranges == 2);
	CHECK_EQ(t.ranges[0].n, 1);
	CHECK_EQ(t.ranges[1].n, 0);
	etcd_txn_free(&t);
	json_decref(j);
	/* A failed txn without responses: succeeded left out. */
	j = J("{\"header\":{\"revision\":\"3\"}}");
	REQUIRE(etcdj_txn(j, &t) == 0);
	CHECK_EQ(t.succeeded, 0);
	CHECK_EQ(t.nranges, 0);
	json_decref(j);
}

TEST(lease_answers)
{
	json_t *j = J("{\"result\":{\"ID\":\"1234\"}}");
	int64_t id, ttl;

	CHECK_EQ(etcdj_lease_ttl(j, &ttl), -ENOENT);  /* keepalive of a lease gone */
	json_decref(j);
	j = J("{\"ID\":\"1234\",\"TTL\":\"-1\"}");
	CHECK_EQ(etcdj_lease_ttl(j, &ttl), -ENOENT);  /* timetolive of one gone */
	json_decref(j);
	j = J("{\"result\":{\"ID\":\"1234\",\"TTL\":\"5\"}}");
	CHECK_EQ(etcdj_lease_ttl(j, &ttl), 0);
	CHECK_EQ(ttl, 5);
	json_decref(j);
	j = J("{\"ID\":\"77\",\"TTL\":\"2\"}");
	CHECK_EQ(etcdj_lease_grant(j, &id, &ttl), 0);
	CHECK_EQ(id, 77);
	CHECK_EQ(ttl, 2);
	json_decref(j);
	j = J("{\"ID\":\"77\",\"TTL\":\"2\",\"error\":\"lessor: no space\"}");
	CHECK_EQ(etcdj_lease_grant(j, &id, &ttl), -EPROTO);
	json_decref(j);
}

/* The answers etcd 3.4.23 gave (json.c's table), for a write and a read. */
TEST(error_table)
{
	const char *msg;
	int code;
	json_t *j = J("{\"error\":\"etcdserver: request timed out\",\"message\":\"x\",\"code\":14}");

	REQUIRE(etcdj_error(j, &msg, &code) == 1);
	CHECK_EQ(code, 14);
	CHECK_EQ(etcdj_errno(msg, 1), -ETIMEDOUT);
	json_decref(j);
	j = J("{\"error\":{\"grpc_code\":14,\"http_code\":503,\"message\":\"etcdserver: no leader\"}}");
	REQUIRE(etcdj_error(j, &msg, &code) == 1);
	CHECK_EQ(code, 14);
	CHECK_EQ(etcdj_errno(msg, 1), -EAGAIN);
	json_decref(j);
	CHECK_EQ(etcdj_errno("context deadline exceeded", 1), -ETIMEDOUT);
	CHECK_EQ(etcdj_errno("etcdserver: leader changed", 0), -EAGAIN);
	CHECK_EQ(etcdj_errno("etcdserver: leader changed", 1), -ETIMEDOUT);
	CHECK_EQ(etcdj_errno("etcdserver: too many requests", 1), -EAGAIN);
	CHECK_EQ(etcdj_errno("etcdserver: request is too large", 1), -EMSGSIZE);
	CHECK_EQ(etcdj_errno("etcdserver: mvcc: required revision has been compacted", 0),
		 -ECANCELED);
	CHECK_EQ(etcdj_errno("etcdserver: requested lease not found", 1), -ENOENT);
	CHECK_EQ(etcdj_errno("etcdserver: duplicate key given in txn request", 1), -EINVAL);
	CHECK_EQ(etcdj_errno("something new", 1), -EPROTO);
	j = J("{\"header\":{}}");
	CHECK_EQ(etcdj_error(j, &msg, &code), 0);
	json_decref(j);
}

/* A stream cut at every byte gives the same messages as fed whole;
 * braces and escaped quotes inside strings do not cut. */
TEST(stream_split_any_cut)
{
	static const char stream[] =
		"{\"result\":{\"created\":true}}\n"
		"{\"result\":{\"cancel_reason\":\"a \\\"}\\\" {[\",\"events\":[{\"kv\":{}}]}}\n"
		"  {\"result\":{}}";
	size_t n = strlen(stream), cut;

	for (cut = 0; cut <= n; cut++) {
		struct etcdj_split s;
		const char *obj;
		size_t len, got = 0;
		size_t lens[3] = { 27, 62, 13 };

		etcdj_split_init(&s);
		REQUIRE(etcdj_split_feed(&s, stream, cut) == 0);
		while (etcdj_split_next(&s, &obj, &len) == 1) {
			REQUIRE(got < 3);
			CHECK_EQ(len, lens[got]);
			got++;
		}
		REQUIRE(etcdj_split_feed(&s, stream + cut, n - cut) == 0);
		while (etcdj_split_next(&s, &obj, &len) == 1) {
			REQUIRE(got < 3);
			CHECK_EQ(len, lens[got]);
			json_t *j = json_loadb(obj, len, 0, NULL);
			CHECK(j != NULL);
			json_decref(j);
			got++;
		}
		CHECK_EQ(got, 3);
		etcdj_split_free(&s);
	}
}

TEST(stream_split_refuses)
{
	struct etcdj_split s;
	const char *obj;
	size_t len;

	etcdj_split_init(&s);
	REQUIRE(etcdj_split_feed(&s, "{\"a\":[1}", 8) == 0);
	CHECK_EQ(etcdj_split_next(&s, &obj, &len), -EPROTO);
	etcdj_split_free(&s);
	etcdj_split_init(&s);
	REQUIRE(etcdj_split_feed(&s, "x{}", 3) == 0);
	CHECK_EQ(etcdj_split_next(&s, &obj, &len), -EPROTO);
	etcdj_split_free(&s);
}

TEST(watch_message)
{
	json_t *j = J("{\"result\":{\"header\":{\"revision\":\"9\"},\"events\":["
		      "{\"kv\":{\"key\":\"YQ==\",\"mod_revision\":\"8\",\"value\":\"eA==\"}},"
		      "{\"type\":\"DELETE\",\"kv\":{\"key\":\"YQ==\",\"mod_revision\":\"9\"}}]}}");
	struct etcdj_watch_msg m;

	REQUIRE(etcdj_watch_msg(j, &m) == 0);
	REQUIRE(m.nevents == 2);
	CHECK_EQ(m.events[0].type, ETCD_EV_PUT);
	CHECK_EQ(m.events[0].kv.mod_rev, 8);
	CHECK_EQ(m.events[1].type, ETCD_EV_DELETE);
	CHECK_EQ(m.header_rev, 9);
	etcdj_watch_msg_free(&m);
	json_decref(j);
	j = J("{\"result\":{\"canceled\":true,\"compact_revision\":\"3\"}}");
	REQUIRE(etcdj_watch_msg(j, &m) == 0);
	CHECK_EQ(m.canceled, 1);
	CHECK_EQ(m.compact_revision, 3);
	json_decref(j);
}

TEST(urls_and_prefixes)
{
	char eps[64];
	uint8_t end[3];
	struct etcd_client *c;
	struct etcd_config cfg = { .endpoints = "a:1,b:65536" };
	char err[128];

	CHECK_EQ(etcd_parse_url("etcd://10.0.0.1:2379,10.0.0.2:2379/", eps, sizeof(eps)), 0);
	CHECK(!strcmp(eps, "10.0.0.1:2379,10.0.0.2:2379"));
	CHECK_EQ(etcd_parse_url("etcd://[fd00::1]:2379", eps, sizeof(eps)), 0);
	CHECK_EQ(etcd_parse_url("etcd://fd00::1:2379", eps, sizeof(eps)), -EINVAL);
	CHECK_EQ(etcd_parse_url("etcd://", eps, sizeof(eps)), -EINVAL);
	CHECK_EQ(etcd_parse_url("etcd://a:1,", eps, sizeof(eps)), -EINVAL);
	CHECK_EQ(etcd_parse_url("etcd://a:1", eps, 3), -EINVAL);
	CHECK_EQ(etcd_open(&c, &cfg, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "b:65536") != NULL);
	CHECK_EQ(etcd_prefix_end("ab\x01", 3, end), 0);
	CHECK_MEM(end, "ab\x02", 3);
	CHECK_EQ(etcd_prefix_end("ab\xff", 3, end), -EINVAL);
	CHECK_EQ(etcd_prefix_end("", 0, end), -EINVAL);
}

TEST_MAIN(T(int64_strings_numbers_missing), T(range_binary_and_defaults), T(txn_ranges_in_order),
	  T(lease_answers), T(error_table), T(stream_split_any_cut), T(stream_split_refuses),
	  T(watch_message), T(urls_and_prefixes))
