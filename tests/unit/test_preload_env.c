/*
 * test_preload_env.c - the environment an exec'd program gets from the
 * preload library (preload/env.c): LD_PRELOAD and AXNET_STATE_DIR put back
 * when missing, left alone when there, never duplicated.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

#include "preload/env.h"

#define LIB "/opt/ax/libaxnet-preload.so"

static int count(char **e)
{
	int n = 0;

	while (e[n])
		n++;
	return n;
}

static const char *get(char **e, const char *name)
{
	size_t l = strlen(name);

	for (; *e; e++)
		if (!strncmp(*e, name, l) && (*e)[l] == '=')
			return *e + l + 1;
	return NULL;
}

TEST(a_cleared_environment_gets_the_library_and_the_instance_back)
{
	char *env[] = { "PATH=/bin", NULL };
	char **r = axp_env_fix(env, LIB, NULL, "/run/axnet/x");

	REQUIRE(r && r != env);
	CHECK_EQ(count(r), 3);
	CHECK(!strcmp(get(r, "PATH"), "/bin"));
	CHECK(!strcmp(get(r, "LD_PRELOAD"), LIB));
	CHECK(!strcmp(get(r, "AXNET_STATE_DIR"), "/run/axnet/x"));
	free(r);
	r = axp_env_fix(NULL, LIB, NULL, NULL);
	REQUIRE(r);
	CHECK_EQ(count(r), 1);
	CHECK(!strcmp(r[0], "LD_PRELOAD=" LIB));
	free(r);
}

TEST(an_environment_that_has_both_is_passed_as_it_is)
{
	char *env[] = { "A=1", "LD_PRELOAD=/x/other.so " LIB, "AXNET_STATE_DIR=/elsewhere", NULL };
	char *env2[] = { "LD_PRELOAD=libaxnet-preload.so:/y.so", NULL };

	CHECK(axp_env_fix(env, LIB, NULL, "/run/axnet/x") == env);
	/* Named as it was loaded (a relative name), no dir known. */
	CHECK(axp_env_fix(env2, LIB, "libaxnet-preload.so", NULL) == env2);
	CHECK(axp_env_fix(env2, LIB, "libaxnet-preload.so", "") == env2);
}

TEST(another_preload_keeps_its_place_after_ours)
{
	char *env[] = { "LD_PRELOAD=/x/libother.so", "B=2", "LD_PRELOAD=/second", NULL };
	char **r = axp_env_fix(env, LIB, "/x/libother.so.1", "/d");

	REQUIRE(r && r != env);
	CHECK_EQ(count(r), 4);
	/* The first one (what getenv and ld.so read) is changed in place. */
	CHECK(!strcmp(r[0], "LD_PRELOAD=" LIB ":/x/libother.so"));
	CHECK(!strcmp(r[1], "B=2"));
	CHECK(!strcmp(r[2], "LD_PRELOAD=/second"));
	CHECK(!strcmp(r[3], "AXNET_STATE_DIR=/d"));
	free(r);
	/* A name that only starts like ours is not ours. */
	{
		char *e3[] = { "LD_PRELOAD=" LIB ".old", "AXNET_STATE_DIR=/d", NULL };
		r = axp_env_fix(e3, LIB, NULL, "/d");
		REQUIRE(r && r != e3);
		CHECK(!strcmp(r[0], "LD_PRELOAD=" LIB ":" LIB ".old"));
		CHECK_EQ(count(r), 2);
		free(r);
	}
	/* An empty LD_PRELOAD: ours alone. */
	{
		char *e4[] = { "LD_PRELOAD=", NULL };
		r = axp_env_fix(e4, LIB, NULL, NULL);
		REQUIRE(r && r != e4);
		CHECK(!strcmp(r[0], "LD_PRELOAD=" LIB));
		CHECK_EQ(count(r), 1);
		free(r);
	}
}

TEST_MAIN(T(a_cleared_environment_gets_the_library_and_the_instance_back),
	  T(an_environment_that_has_both_is_passed_as_it_is),
	  T(another_preload_keeps_its_place_after_ours))
