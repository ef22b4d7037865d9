/*
 * exec.c - the exec family, posix_spawn and vfork.
 *
 * axnet sockets do not cross exec: their state (the session, the table,
 * the shared segment) is this image's. So every exec (1) puts FD_CLOEXEC
 * on each axnet socket's descriptor first, and takes it off again when
 * the exec fails; (2) gives the new image LD_PRELOAD (this library) and
 * AXNET_STATE_DIR when the caller's environment lacks them (env.h), so
 * the child is on axnet too. glibc's execvp/execl... call its internal
 * execve, which no library can interpose: each is interposed here itself.
 * system() and popen() use glibc's internal spawn and are left alone:
 * their children get the library only if the environment still has it,
 * and inherit the sockets' descriptors as inert eventfds.
 *
 * vfork is fork: the child then runs the atfork handlers (its ATTACH to
 * the instance) and never shares the parent's memory, which a child that
 * calls a library function before exec must not (and this library does).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "env.h"
#include "libaxnet/lib.h"
#include "preload.h"

extern char **environ;

static char lib_path[PATH_MAX];   /* this library, absolute */
static char lib_alias[PATH_MAX];  /* the name it was loaded by */
static char state_dir[PATH_MAX];  /* AXNET_STATE_DIR at load, absolute */

__attribute__((constructor)) static void preload_init(void)
{
	Dl_info di;
	const char *d;

	ax_sys_resolve();
	if (dladdr((void *)preload_init, &di) && di.dli_fname) {
		snprintf(lib_alias, sizeof(lib_alias), "%s", di.dli_fname);
		if (!realpath(di.dli_fname, lib_path))
			snprintf(lib_path, sizeof(lib_path), "%s", di.dli_fname);
	}
	d = getenv("AXNET_STATE_DIR");
	if (d && *d && !realpath(d, state_dir))
		snprintf(state_dir, sizeof(state_dir), "%s", d);
}

/* The sockets exec must close: their fds and whether we set the flag. */
struct cloexec_save {
	int *fds;
	int n, cap;
	int failed; /* ENOMEM: then every socket was still flagged */
};

static void mark_one(int fd, void *arg)
{
	struct cloexec_save *sv = arg;
	int fl = ax_sys_fcntl(fd, F_GETFD, NULL);

	if (fl < 0 || (fl & FD_CLOEXEC))
		return;
	if (ax_sys_fcntl(fd, F_SETFD, (void *)(long)(fl | FD_CLOEXEC)) < 0)
		return;
	if (sv->n == sv->cap) {
		int cap = sv->cap ? sv->cap * 2 : 16, *n = realloc(sv->fds, (size_t)cap * sizeof(int));

		if (!n) {
			sv->failed = 1; /* flagged, but not taken off again on failure */
			return;
		}
		sv->fds = n;
		sv->cap = cap;
	}
	sv->fds[sv->n++] = fd;
}

static void restore(struct cloexec_save *sv)
{
	int e = errno;

	for (int i = 0; i < sv->n; i++) {
		int fl = ax_sys_fcntl(sv->fds[i], F_GETFD, NULL);

		if (fl >= 0)
			ax_sys_fcntl(sv->fds[i], F_SETFD, (void *)(long)(fl & ~FD_CLOEXEC));
	}
	free(sv->fds);
	sv->fds = NULL;
	sv->n = sv->cap = 0;
	errno = e;
}

/* Before an exec: the environment to pass (envp or a new one: free it
 * with done()) and the sockets flagged. NULL: ENOMEM. */
static char **prepare(char *const envp[], struct cloexec_save *sv)
{
	const char *dir = state_dir;
	char **env;

	memset(sv, 0, sizeof(*sv));
	/* The instance we are on, if the variable had none (the only one). */
	if (!*dir && ax_sess.ctl >= 0)
		dir = ax_sess.dir;
	env = lib_path[0] ? axp_env_fix(envp, lib_path, lib_alias, dir) : (char **)envp;
	if (!env)
		return NULL;
	ax_fd_each_sock(mark_one, sv);
	return env;
}

static void done(char *const envp[], char **env, struct cloexec_save *sv)
{
	int e = errno;

	restore(sv);
	if (env != (char **)envp)
		free(env);
	errno = e;
}

AXP_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	struct cloexec_save sv;
	char **env = prepare(envp, &sv);

	if (!env)
		return -1;
	ax_real_execve(path, argv, env);
	done(envp, env, &sv);
	return -1;
}

AXP_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	struct cloexec_save sv;
	char **env = prepare(envp, &sv);

	if (!env)
		return -1;
	ax_real_execvpe(file, argv, env);
	done(envp, env, &sv);
	return -1;
}

AXP_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	struct cloexec_save sv;
	char **env = prepare(envp, &sv);

	if (!env)
		return -1;
	ax_real_fexecve(fd, argv, env);
	done(envp, env, &sv);
	return -1;
}

AXP_EXPORT int execv(const char *path, char *const argv[])
{
	return execve(path, argv, environ);
}

AXP_EXPORT int execvp(const char *file, char *const argv[])
{
	return execvpe(file, argv, environ);
}

/* execl's arguments as an argv (on the stack, as glibc does), then call. */
#define LIST_ARGV(arg0, last, then)                                                            \
	do {                                                                                   \
		va_list ap;                                                                    \
		size_t n = 1;                                                                  \
                                                                                               \
		va_start(ap, arg0);                                                            \
		while (va_arg(ap, const char *))                                               \
			n++;                                                                   \
		va_end(ap);                                                                    \
		{                                                                              \
			const char *argv[n + 1];                                               \
                                                                                               \
			argv[0] = arg0;                                                        \
			va_start(ap, arg0);                                                    \
			for (size_t i = 1; i <= n; i++)                                        \
				argv[i] = va_arg(ap, const char *);                            \
			last;                                                                  \
			va_end(ap);                                                            \
			then;                                                                  \
		}                                                                              \
	} while (0)

AXP_EXPORT int execl(const char *path, const char *arg, ...)
{
	LIST_ARGV(arg, (void)0, return execve(path, (char *const *)argv, environ));
}

AXP_EXPORT int execlp(const char *file, const char *arg, ...)
{
	LIST_ARGV(arg, (void)0, return execvpe(file, (char *const *)argv, environ));
}

AXP_EXPORT int execle(const char *path, const char *arg, ...)
{
	char *const *envp;

	LIST_ARGV(arg, envp = va_arg(ap, char *const *),
		  return execve(path, (char *const *)argv, envp));
}

typedef int spawn_fn(pid_t *, const char *, const posix_spawn_file_actions_t *,
		     const posix_spawnattr_t *, char *const[], char *const[]);

/* posix_spawn and posix_spawnp: glibc's own, with our environment and the
 * sockets close-on-exec around it (its child runs no atfork handler). */
static int spawn(spawn_fn *real, pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
		 const posix_spawnattr_t *at, char *const argv[], char *const envp[])
{
	struct cloexec_save sv;
	char **env = prepare(envp, &sv);
	int r;

	if (!env)
		return ENOMEM;
	r = real(pid, path, fa, at, argv, env);
	done(envp, env, &sv);
	return r;
}

AXP_EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
			   const posix_spawnattr_t *at, char *const argv[], char *const envp[])
{
	return spawn(ax_real_posix_spawn, pid, path, fa, at, argv, envp);
}

AXP_EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
			    const posix_spawnattr_t *at, char *const argv[], char *const envp[])
{
	return spawn(ax_real_posix_spawnp, pid, file, fa, at, argv, envp);
}

AXP_EXPORT pid_t vfork(void)
{
	return fork();
}
