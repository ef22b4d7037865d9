/*
 * real.c - libc's own functions behind the interposers (sys.h,
 * preload.h): ax_real_NAME, the next definition of NAME after this
 * library (dlsym(RTLD_NEXT)).
 *
 * Each pointer starts as a stub that resolves them all and then calls the
 * real one, so a call that comes before any constructor ran (another
 * library's constructor making a socket, say) works. Resolving is
 * idempotent (every thread stores the same addresses), so no lock: two
 * threads racing through stubs both end in libc's function. A name libc
 * does not have (an older glibc without epoll_pwait2) resolves to a
 * function failing with ENOSYS, never back into the stub.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>

#include "preload.h"

#define ALL_CALLS(X) AX_SYS_CALLS(X) AXP_REAL_CALLS(X)

#define STUB(ret, name, params, args)                                                          \
	static ret stub_##name params                                                          \
	{                                                                                      \
		ax_sys_resolve();                                                              \
		return ax_real_##name args;                                                    \
	}                                                                                      \
	static ret nosys_##name params                                                         \
	{                                                                                      \
		errno = ENOSYS;                                                                \
		return (ret)-1;                                                                \
	}
#define PTR(ret, name, params, args) ret(*ax_real_##name) params = stub_##name;

/* The stubs and nosys functions never read their arguments. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
ALL_CALLS(STUB)
#pragma GCC diagnostic pop
ALL_CALLS(PTR)

void ax_sys_resolve(void)
{
#define RESOLVE(ret, name, params, args)                                                       \
	{                                                                                      \
		void *p = dlsym(RTLD_NEXT, #name);                                             \
		ret(*f) params = p ? (ret(*) params)p : nosys_##name;                          \
		__atomic_store_n(&ax_real_##name, f, __ATOMIC_RELEASE);                        \
	}
	ALL_CALLS(RESOLVE)
#undef RESOLVE
}
