/*
 * env.h - the environment an exec'd program gets from the preload
 * library: LD_PRELOAD naming the library and AXNET_STATE_DIR, put back
 * when the caller's environment lacks them (a program that clears its
 * environment for a child must not silently put that child on the
 * kernel's network). Pure: no I/O, tested in tests/unit/test_preload_env.c.
 */
#ifndef AX_PRELOAD_ENV_H
#define AX_PRELOAD_ENV_H

/*
 * envp with LD_PRELOAD holding lib (prepended to an existing value that
 * does not name it: "lib:old") and AXNET_STATE_DIR=dir added when envp has
 * none (dir NULL or empty: nothing added). Returns envp itself when it
 * needs nothing, else a new array (one malloc'd block, strings inside: the
 * caller frees it when the exec fails), or NULL (ENOMEM). envp NULL is an
 * empty environment. An LD_PRELOAD entry names lib when equal to it or to
 * alias (the name the library was loaded by, may be NULL); entries are
 * separated by ':' or spaces, as ld.so reads them.
 */
char **axp_env_fix(char *const envp[], const char *lib, const char *alias, const char *dir);

#endif /* AX_PRELOAD_ENV_H */
