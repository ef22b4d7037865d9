/*
 * env.c - see env.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "env.h"

#define PRELOAD_VAR "LD_PRELOAD="
#define DIR_VAR "AXNET_STATE_DIR="

static int has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

/* Does the list (ld.so's separators: ':' and space) name lib or alias? */
static int names(const char *list, const char *lib, const char *alias)
{
	const char *p = list;

	while (*p) {
		size_t n = strcspn(p, ": ");

		if ((n == strlen(lib) && !strncmp(p, lib, n)) ||
		    (alias && *alias && n == strlen(alias) && !strncmp(p, alias, n)))
			return 1;
		p += n;
		if (*p)
			p++;
	}
	return 0;
}

char **axp_env_fix(char *const envp[], const char *lib, const char *alias, const char *dir)
{
	static char *const empty[] = { NULL };
	const char *old = NULL;
	int n = 0, at = -1, need_lib, need_dir;
	size_t strs = 0;
	char **out, *s;

	if (!envp)
		envp = empty;
	for (n = 0; envp[n]; n++) {
		if (at < 0 && has_prefix(envp[n], PRELOAD_VAR)) { /* the first, as getenv */
			at = n;
			old = envp[n] + strlen(PRELOAD_VAR);
		}
	}
	need_lib = !old || !names(old, lib, alias);
	need_dir = dir && *dir;
	for (int i = 0; need_dir && envp[i]; i++)
		if (has_prefix(envp[i], DIR_VAR))
			need_dir = 0;
	if (!need_lib && !need_dir)
		return (char **)envp;
	if (need_lib)
		strs += strlen(PRELOAD_VAR) + strlen(lib) + (old && *old ? 1 + strlen(old) : 0) + 1;
	if (need_dir)
		strs += strlen(DIR_VAR) + strlen(dir) + 1;
	out = malloc((size_t)(n + 3) * sizeof(*out) + strs);
	if (!out) {
		errno = ENOMEM;
		return NULL;
	}
	memcpy(out, envp, (size_t)n * sizeof(*out));
	s = (char *)(out + n + 3);
	if (need_lib) {
		char *v = s;

		s = stpcpy(stpcpy(s, PRELOAD_VAR), lib);
		if (old && *old)
			s = stpcpy(stpcpy(s, ":"), old);
		s++;
		if (at >= 0)
			out[at] = v;
		else
			out[n++] = v;
	}
	if (need_dir) {
		out[n++] = s;
		s = stpcpy(stpcpy(s, DIR_VAR), dir) + 1;
	}
	out[n] = NULL;
	return out;
}
