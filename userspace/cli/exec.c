/*
 * exec.c - `axnet exec`: run an unmodified, dynamically linked program on
 * axnet. The program's AF_INET and AF_INET6 sockets become the instance's through
 * LD_PRELOAD of libaxnet-preload.so (preload/); everything else stays the
 * kernel's.
 *
 *   axnet exec [--state-dir DIR | --ifname IF] [--] PROGRAM [ARGS...]
 *
 * LD_PRELOAD reaches only what glibc's dynamic loader links, so before
 * anything runs the program is checked, following #! interpreters (and
 * `#!/usr/bin/env NAME` to NAME) up to 4 levels, and refused with the
 * reason rather than left to run silently on the kernel's sockets:
 *   - no PT_INTERP: statically linked, no loader at all;
 *   - a PT_INTERP that is not glibc's loader (musl's, say);
 *   - an ELF of another class or machine than the library's (the loader
 *     skips a preload it cannot load, with only a warning);
 *   - set-user-ID, set-group-ID or file capabilities: the loader runs
 *     such a program in secure mode (AT_SECURE) and ignores LD_PRELOAD;
 *   - neither ELF nor #!.
 * Exit status as shells': 126 refused (or not executable), 127 not
 * found, 1 no instance or no library, 2 usage; else exec's.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <axnet/socket.h>

#include "common.h"

#define EXEC_MAX_DEPTH 4 /* #! levels followed, as the kernel's BINPRM_MAX_RECURSION */
#define EXEC_REFUSED 126
#define EXEC_NOT_FOUND 127
#define PRELOAD_NAME "libaxnet-preload.so"
#define PRELOAD_SYSTEM "/usr/local/lib/axnet/" PRELOAD_NAME

/* The ELF the library is built as: a program must be the same to load it. */
#if defined(__x86_64__)
#define EXEC_MACHINE EM_X86_64
#elif defined(__aarch64__)
#define EXEC_MACHINE EM_AARCH64
#else
#error "axnet exec: set EXEC_MACHINE for this architecture"
#endif

static void usage(void)
{
	fprintf(stderr,
		"usage: axnet exec [--state-dir DIR | --ifname IF] [--] PROGRAM [ARGS...]\n"
		"\n"
		"Run PROGRAM (found on PATH) with its IPv4 TCP and UDP sockets on the\n"
		"running axnet instance: LD_PRELOAD of libaxnet-preload.so ($AXNET_PRELOAD,\n"
		"else beside the axnet binary, else " PRELOAD_SYSTEM ").\n"
		"Unix sockets, files, pipes and everything else stay the kernel's. Its\n"
		"connections are authorized and logged as PROGRAM's (uid, executable).\n"
		"A program LD_PRELOAD cannot reach is refused, saying why: statically\n"
		"linked, another C library than glibc, set-user/group-ID or file\n"
		"capabilities, not an executable. #! scripts are checked through their\n"
		"interpreter. Exit status: 126 refused, 127 not found, 1 no instance or\n"
		"no library, 2 usage; else PROGRAM's.\n");
}

/* A refusal: "axnet exec: PATH[ (the interpreter of SCRIPT)] WHY". */
__attribute__((format(printf, 3, 4)))
static int refuse(const char *path, const char *script, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "axnet exec: %s", path);
	if (script)
		fprintf(stderr, " (the interpreter of %s)", script);
	fputc(' ', stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXEC_REFUSED;
}

/*
 * name as execvp finds it: with a '/', itself; else the first executable
 * regular file of that name on PATH (default as glibc's). 0, -ENOENT, or
 * -EACCES when only non-executable files of that name exist.
 */
static int exec_resolve(const char *name, char out[PATH_MAX])
{
	const char *path = getenv("PATH"), *p, *end;
	int err = -ENOENT;
	struct stat st;

	if (!*name)
		return -ENOENT;
	if (strchr(name, '/')) {
		if (snprintf(out, PATH_MAX, "%s", name) >= PATH_MAX)
			return -ENAMETOOLONG;
		if (stat(out, &st) < 0)
			return -errno;
		return S_ISREG(st.st_mode) && access(out, X_OK) == 0 ? 0 : -EACCES;
	}
	if (!path)
		path = "/bin:/usr/bin";
	for (p = path;; p = end + 1) {
		size_t len;

		end = strchrnul(p, ':');
		len = (size_t)(end - p);
		/* An empty entry is the current directory, as POSIX says. */
		if (snprintf(out, PATH_MAX, "%.*s%s%s", (int)len, p, len ? "/" : "", name) <
			    PATH_MAX &&
		    stat(out, &st) == 0 && S_ISREG(st.st_mode)) {
			if (access(out, X_OK) == 0)
				return 0;
			err = -EACCES;
		}
		if (!*end)
			break;
	}
	return err;
}

/* glibc's dynamic loaders are ld-linux*.so.*; ld.so is also its name. */
static int glibc_loader(const char *interp)
{
	const char *base = strrchr(interp, '/');

	base = base ? base + 1 : interp;
	return !strncmp(base, "ld-linux", 8) || !strcmp(base, "ld.so");
}

/*
 * The ELF at fd: PT_INTERP into interp (empty when none). 0, -ENOEXEC (not
 * an ELF this library can be loaded into: *why says how), -EIO (cut short).
 */
static int elf_interp(int fd, char *interp, size_t size, const char **why)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	ssize_t n;
	int i;

	interp[0] = '\0';
	n = pread(fd, &eh, sizeof(eh), 0);
	if (n < EI_NIDENT || memcmp(eh.e_ident, ELFMAG, SELFMAG)) {
		*why = "is not an ELF executable or a #! script";
		return -ENOEXEC;
	}
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || n != sizeof(eh) || eh.e_machine != EXEC_MACHINE) {
		*why = "is an ELF of another class or machine than " PRELOAD_NAME
		       " (the loader would skip it and run the program on the kernel's sockets)";
		return -ENOEXEC;
	}
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) {
		*why = "is not an ELF executable";
		return -ENOEXEC;
	}
	if (eh.e_phentsize != sizeof(ph))
		return -EIO;
	for (i = 0; i < eh.e_phnum; i++) {
		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + (uint64_t)i * sizeof(ph))) !=
		    (ssize_t)sizeof(ph))
			return -EIO;
		if (ph.p_type != PT_INTERP)
			continue;
		if (ph.p_filesz == 0 || ph.p_filesz >= size ||
		    pread(fd, interp, ph.p_filesz, (off_t)ph.p_offset) != (ssize_t)ph.p_filesz)
			return -EIO;
		interp[ph.p_filesz] = '\0';
		break;
	}
	return 0;
}

/*
 * "#!INTERP [ARG]" at the start of buf (n bytes): INTERP into interp and
 * the argument (first word of the rest, as Linux passes the rest as one)
 * into arg. 0, or -ENOEXEC when it is no #! line.
 */
static int shebang(const char *buf, size_t n, char interp[PATH_MAX], char arg[PATH_MAX])
{
	const char *p = buf + 2, *end = buf + n, *w;

	if (n < 2 || buf[0] != '#' || buf[1] != '!')
		return -ENOEXEC;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	for (w = p; p < end && *p != ' ' && *p != '\t' && *p != '\n'; p++)
		;
	if (p == w || p - w >= PATH_MAX)
		return -ENOEXEC;
	snprintf(interp, PATH_MAX, "%.*s", (int)(p - w), w);
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	for (w = p; p < end && *p != ' ' && *p != '\t' && *p != '\n'; p++)
		;
	snprintf(arg, PATH_MAX, "%.*s", (int)(p - w < PATH_MAX ? p - w : 0), w);
	return 0;
}

/*
 * Whether LD_PRELOAD reaches the program at path (script: the script it
 * is the interpreter of, NULL for the program itself). 0, or an exit
 * status with the reason printed.
 */
static int exec_check(const char *path, const char *script, int depth)
{
	char buf[256], interp[PATH_MAX], arg[PATH_MAX], next[PATH_MAX];
	const char *why = NULL;
	struct stat st;
	ssize_t n;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		int err = errno;

		if (fd >= 0)
			close(fd);
		/* A script's missing interpreter: 126, as shells ("bad
		 * interpreter"); the program itself missing: 127. */
		if (script)
			return refuse(path, script, "cannot be opened: %s", strerror(err));
		fprintf(stderr, "axnet exec: %s: %s\n", path, strerror(err));
		return err == ENOENT ? EXEC_NOT_FOUND : EXEC_REFUSED;
	}
	n = pread(fd, buf, sizeof(buf), 0);
	if (n >= 2 && buf[0] == '#' && buf[1] == '!') {
		close(fd);
		if (shebang(buf, (size_t)n, interp, arg) < 0)
			return refuse(path, script, "has a #! line without an interpreter");
		if (depth >= EXEC_MAX_DEPTH)
			return refuse(path, script, "has more than %d levels of #! interpreters",
				      EXEC_MAX_DEPTH);
		/* `#!/usr/bin/env NAME`: env is glibc's, NAME is what runs. */
		if (!strcmp(basename(interp), "env") && arg[0] && arg[0] != '-') {
			err = exec_resolve(arg, next);
			if (err < 0) {
				fprintf(stderr, "axnet exec: %s (named by %s's #! line): %s\n", arg,
					path, strerror(-err));
				return err == -ENOENT ? EXEC_NOT_FOUND : EXEC_REFUSED;
			}
		} else {
			snprintf(next, sizeof(next), "%s", interp);
		}
		return exec_check(next, script ? script : path, depth + 1);
	}
	/* Secure mode (AT_SECURE): the loader ignores LD_PRELOAD. */
	if (st.st_mode & S_ISUID) {
		close(fd);
		return refuse(path, script, "is set-user-ID: the loader ignores LD_PRELOAD for it");
	}
	if (st.st_mode & S_ISGID) {
		close(fd);
		return refuse(path, script, "is set-group-ID: the loader ignores LD_PRELOAD for it");
	}
	if (fgetxattr(fd, "security.capability", NULL, 0) > 0) {
		close(fd);
		return refuse(path, script,
			      "has file capabilities: the loader ignores LD_PRELOAD for it");
	}
	err = elf_interp(fd, interp, sizeof(interp), &why);
	close(fd);
	if (err == -ENOEXEC)
		return refuse(path, script, "%s", why);
	if (err < 0)
		return refuse(path, script, "is a damaged ELF file");
	if (!interp[0])
		return refuse(path, script,
			      "is statically linked: LD_PRELOAD cannot reach its socket calls");
	if (!glibc_loader(interp))
		return refuse(path, script,
			      "is not linked with glibc (its loader is %s): " PRELOAD_NAME
			      " needs glibc's",
			      interp);
	return 0;
}

/* The library: $AXNET_PRELOAD, beside this binary, or the system's. */
static int preload_path(char out[PATH_MAX])
{
	const char *env = getenv("AXNET_PRELOAD");
	char self[PATH_MAX], cand[PATH_MAX + sizeof(PRELOAD_NAME) + 1];
	ssize_t n;

	if (env && *env) {
		if (!realpath(env, out) || access(out, R_OK) < 0) {
			fprintf(stderr, "axnet exec: AXNET_PRELOAD=%s: %s\n", env, strerror(errno));
			return -1;
		}
		return 0;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		snprintf(cand, sizeof(cand), "%s/%s", dirname(self), PRELOAD_NAME);
		if (realpath(cand, out) && access(out, R_OK) == 0)
			return 0;
	}
	if (realpath(PRELOAD_SYSTEM, out) && access(out, R_OK) == 0)
		return 0;
	fprintf(stderr,
		"axnet exec: " PRELOAD_NAME " not found (beside the axnet binary or at "
		PRELOAD_SYSTEM "); set AXNET_PRELOAD\n");
	return -1;
}

/* Whether the LD_PRELOAD list (ld.so(8): separated by ':' or spaces)
 * holds lib. */
static int preload_has(const char *list, const char *lib)
{
	size_t n = strlen(lib);

	for (const char *p = list; (p = strstr(p, lib)); p += n)
		if ((p == list || p[-1] == ':' || p[-1] == ' ') &&
		    (p[n] == '\0' || p[n] == ':' || p[n] == ' '))
			return 1;
	return 0;
}

/* LD_PRELOAD with lib first (once), what was there kept after it: an
 * axnet exec under an axnet exec'd program adds nothing. */
static int set_preload(const char *lib)
{
	const char *old = getenv("LD_PRELOAD");
	char *val;
	int rc;

	if (!old || !*old)
		return setenv("LD_PRELOAD", lib, 1);
	if (preload_has(old, lib))
		return 0;
	if (asprintf(&val, "%s:%s", lib, old) < 0)
		return -1;
	rc = setenv("LD_PRELOAD", val, 1);
	free(val);
	return rc;
}

int cmd_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, 's' },
		{ "ifname", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *ifname = NULL;
	char prog[PATH_MAX], state[PATH_MAX], abs_state[PATH_MAX], lib[PATH_MAX];
	int opt, rc, err;

	optind = 1;
	/* '+': the first non-option is PROGRAM; its own options are its. */
	while ((opt = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (opt) {
		case 's': dir = optarg; break;
		case 'i': ifname = optarg; break;
		case 'h': usage(); return 0;
		default: usage(); return 2;
		}
	}
	if (optind >= argc) {
		usage();
		return 2;
	}
	err = exec_resolve(argv[optind], prog);
	if (err < 0) {
		fprintf(stderr, "axnet exec: %s: %s\n", argv[optind],
			err == -ENOENT ? "command not found" : strerror(-err));
		return err == -ENOENT ? EXEC_NOT_FOUND : EXEC_REFUSED;
	}
	rc = exec_check(prog, NULL, 0);
	if (rc)
		return rc;
	if (preload_path(lib) < 0)
		return 1;
	/* The instance as libaxnet finds it, checked now, not at the
	 * program's first socket. */
	if (!dir && !ifname) {
		dir = getenv("AXNET_STATE_DIR");
		if (dir && !*dir)
			dir = NULL;
	}
	if (cli_state_dir(dir, ifname, state) < 0)
		return 1;
	if (!realpath(state, abs_state)) {
		fprintf(stderr, "axnet exec: no instance (%s): %s\n", state, strerror(errno));
		return 1;
	}
	if (ax_init(abs_state) < 0) {
		fprintf(stderr, "axnet exec: no instance (%s): %s\n", abs_state, strerror(errno));
		return 1;
	}
	if (set_preload(lib) < 0 || setenv("AXNET_STATE_DIR", abs_state, 1) < 0) {
		fprintf(stderr, "axnet exec: environment: %s\n", strerror(errno));
		return 1;
	}
	/* The session ax_init opened closes at exec (its descriptors are
	 * close-on-exec); the program opens its own at its first socket. */
	execv(prog, argv + optind);
	err = errno;
	fprintf(stderr, "axnet exec: %s: %s\n", prog, strerror(err));
	return err == ENOENT ? EXEC_NOT_FOUND : EXEC_REFUSED;
}
