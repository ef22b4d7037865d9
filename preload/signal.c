/*
 * signal.c - the program's signal handlers, as libaxnet needs to know them:
 * sigaction, signal, bsd_signal, sysv_signal, sigset, siginterrupt, and
 * the other names glibc exports for them (__sigaction; ssignal;
 * __sysv_signal, which signal() is in a program built for strict
 * ISO C/POSIX).
 *
 * Linux restarts a socket call interrupted by a handler installed with
 * SA_RESTART (unless the socket has SO_RCVTIMEO/SO_SNDTIMEO for it); poll,
 * select and epoll_wait never restart. libaxnet's blocking calls sleep in
 * poll(2) or a futex, which return EINTR whatever the flags, and ask
 * ax_set_intr_hook's hook what the program's handler wanted. So every
 * handler the program installs is installed as a trampoline that notes,
 * per thread, whether every handler that ran since the thread's current
 * sleep began (ax_wait_seq) had SA_RESTART, then calls the program's
 * handler with its own flags' convention (SA_SIGINFO or not); its mask,
 * SA_RESTART (for the kernel's own calls), SA_NODEFER, SA_RESETHAND,
 * SA_ONSTACK go to the kernel as given. sigaction's old action is the
 * program's own, never the trampoline.
 *
 * Async-signal-safe as sigaction is: the table is updated with every
 * signal blocked in the calling thread, under a spin lock, and the
 * trampoline reads it without locks. glibc's internal calls (its own
 * signal handlers, siginterrupt's sigaction) do not come through here.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>

#include "libaxnet/lib.h"
#include "preload.h"

typedef int (*sigaction_fn)(int, const struct sigaction *, struct sigaction *);

static sigaction_fn real_sigaction_fn;

/* The program's actions for the signals whose kernel action is the
 * trampoline (valid), and the signals siginterrupt(sig, 1) made
 * interrupting (signal() then installs them without SA_RESTART). */
static struct sigaction acts[_NSIG];
static unsigned char valid[_NSIG], intr[_NSIG];
static int table_lock;

/* Per thread: the sleep the notes are about, and whether every handler
 * that ran since it began had SA_RESTART. */
static __thread struct {
	uint32_t seq;
	int all_restart;
} note __attribute__((tls_model("initial-exec")));

static int real_sigaction(int sig, const struct sigaction *a, struct sigaction *o)
{
	sigaction_fn f = __atomic_load_n(&real_sigaction_fn, __ATOMIC_ACQUIRE);

	if (!f) {
		f = (sigaction_fn)dlsym(RTLD_NEXT, "sigaction");
		if (!f) {
			errno = ENOSYS;
			return -1;
		}
		__atomic_store_n(&real_sigaction_fn, f, __ATOMIC_RELEASE);
	}
	return f(sig, a, o);
}

static void tramp(int sig, siginfo_t *si, void *uc)
{
	void (*h)(int) = __atomic_load_n(&acts[sig].sa_handler, __ATOMIC_ACQUIRE);
	int flags = __atomic_load_n(&acts[sig].sa_flags, __ATOMIC_RELAXED);
	uint32_t seq = ax_wait_seq;

	if (note.seq != seq) {
		note.seq = seq;
		note.all_restart = 1;
	}
	if (!(flags & SA_RESTART))
		note.all_restart = 0;
	if (h == SIG_IGN)
		return;
	if (h == SIG_DFL) {
		/* Changed to the default while this one was being delivered:
		 * the default it is (pending until the handler returns). */
		struct sigaction d;

		memset(&d, 0, sizeof(d));
		d.sa_handler = SIG_DFL;
		real_sigaction(sig, &d, NULL);
		raise(sig);
		return;
	}
	if (flags & SA_SIGINFO)
		((void (*)(int, siginfo_t *, void *))(void *)h)(sig, si, uc);
	else
		h(sig);
}

/* The interrupt hook (wait.c): restart when handlers ran since this
 * thread's sleep began and all had SA_RESTART. */
static int restart_hook(void)
{
	return note.seq == ax_wait_seq && note.all_restart;
}

static void lock_table(sigset_t *saved)
{
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, saved);
	while (__atomic_exchange_n(&table_lock, 1, __ATOMIC_ACQUIRE))
		;
}

static void unlock_table(const sigset_t *saved)
{
	__atomic_store_n(&table_lock, 0, __ATOMIC_RELEASE);
	pthread_sigmask(SIG_SETMASK, saved, NULL);
}

static int is_handler(void (*h)(int))
{
	return h != SIG_DFL && h != SIG_IGN;
}

AXP_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	struct sigaction cur, prev, k, was;
	unsigned char was_valid;
	sigset_t saved;
	int r;

	/* The kernel's answers (EINVAL) for what cannot be caught. */
	if (sig < 1 || sig >= _NSIG || sig == SIGKILL || sig == SIGSTOP)
		return real_sigaction(sig, act, old);
	lock_table(&saved);
	r = real_sigaction(sig, NULL, &cur);
	if (r < 0)
		goto out;
	/* The program's handler while the trampoline is installed; the
	 * kernel's word otherwise (SIG_DFL after SA_RESETHAND fired, or an
	 * action set behind our back). */
	prev = cur;
	if (valid[sig]) {
		/* The kernel's flags and mask are the program's (what the
		 * kernel adds, SA_RESTORER, included) but for SA_SIGINFO, ours;
		 * also once SA_RESETHAND fired (the kernel resets the handler
		 * alone). */
		if ((void *)cur.sa_sigaction == (void *)tramp)
			prev.sa_handler = acts[sig].sa_handler;
		prev.sa_flags = (cur.sa_flags & ~SA_SIGINFO) | (acts[sig].sa_flags & SA_SIGINFO);
	}
	if (act) {
		was = acts[sig];
		was_valid = valid[sig];
		k = *act;
		if (is_handler(act->sa_handler)) {
			/* In the table before the kernel can call the trampoline. */
			__atomic_store_n(&acts[sig].sa_flags, act->sa_flags, __ATOMIC_RELAXED);
			__atomic_store_n(&acts[sig].sa_handler, act->sa_handler, __ATOMIC_RELEASE);
			valid[sig] = 1;
			k.sa_sigaction = tramp;
			k.sa_flags |= SA_SIGINFO;
		} else {
			valid[sig] = 0;
		}
		r = real_sigaction(sig, &k, NULL);
		if (r < 0) {
			acts[sig] = was;
			valid[sig] = was_valid;
			goto out;
		}
	}
	if (old)
		*old = prev;
out:
	unlock_table(&saved);
	return r;
}

AXP_EXPORT int __sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	return sigaction(sig, act, old);
}

/* The old calls' common part: h for sig with flags; the signal blocked
 * in its handler when block_self. The previous handler, or SIG_ERR. */
static void (*install(int sig, void (*h)(int), int flags, int block_self))(int)
{
	struct sigaction a, o;

	if (sig < 1 || sig >= _NSIG || h == SIG_ERR) {
		errno = EINVAL;
		return SIG_ERR;
	}
	memset(&a, 0, sizeof(a));
	a.sa_handler = h;
	a.sa_flags = flags;
	sigemptyset(&a.sa_mask);
	if (block_self)
		sigaddset(&a.sa_mask, sig);
	if (sigaction(sig, &a, &o) < 0)
		return SIG_ERR;
	return o.sa_handler;
}

/* signal(2) with glibc's BSD semantics: SA_RESTART (unless siginterrupt
 * said otherwise), the signal blocked in its handler. bsd_signal and
 * ssignal are the same. */
AXP_EXPORT void (*signal(int sig, void (*h)(int)))(int)
{
	return install(sig, h, intr[sig > 0 && sig < _NSIG ? sig : 0] ? 0 : SA_RESTART, 1);
}

AXP_EXPORT void (*bsd_signal(int sig, void (*h)(int)))(int)
{
	return signal(sig, h);
}

AXP_EXPORT void (*ssignal(int sig, void (*h)(int)))(int)
{
	return signal(sig, h);
}

/* System V: reset to the default on delivery, not blocked in its handler,
 * no restart (glibc's sysv_signal). */
AXP_EXPORT void (*sysv_signal(int sig, void (*h)(int)))(int)
{
	return install(sig, h, SA_RESETHAND | SA_NODEFER, 0);
}

AXP_EXPORT void (*__sysv_signal(int sig, void (*h)(int)))(int)
{
	return sysv_signal(sig, h);
}

/* glibc's sigset: SIG_HOLD blocks the signal; anything else is installed
 * (flags 0) and the signal unblocked. The previous disposition, or
 * SIG_HOLD when it was blocked. */
AXP_EXPORT void (*sigset(int sig, void (*h)(int)))(int)
{
	struct sigaction a, o;
	sigset_t one, old;

	if (sig < 1 || sig >= _NSIG || h == SIG_ERR) {
		errno = EINVAL;
		return SIG_ERR;
	}
	sigemptyset(&one);
	sigaddset(&one, sig);
	if (h == SIG_HOLD) {
		if (pthread_sigmask(SIG_BLOCK, &one, &old) != 0 || sigaction(sig, NULL, &o) < 0)
			return SIG_ERR;
		return sigismember(&old, sig) ? SIG_HOLD : o.sa_handler;
	}
	memset(&a, 0, sizeof(a));
	a.sa_handler = h;
	sigemptyset(&a.sa_mask);
	if (sigaction(sig, &a, &o) < 0 || pthread_sigmask(SIG_UNBLOCK, &one, &old) != 0)
		return SIG_ERR;
	return sigismember(&old, sig) ? SIG_HOLD : o.sa_handler;
}

/* flag 1: the signal's handler interrupts calls (no SA_RESTART), now and
 * for later signal() calls; 0: they restart. */
AXP_EXPORT int siginterrupt(int sig, int flag)
{
	struct sigaction a;

	if (sig < 1 || sig >= _NSIG) {
		errno = EINVAL;
		return -1;
	}
	if (sigaction(sig, NULL, &a) < 0)
		return -1;
	intr[sig] = !!flag;
	if (flag)
		a.sa_flags &= ~SA_RESTART;
	else
		a.sa_flags |= SA_RESTART;
	return sigaction(sig, &a, NULL);
}

__attribute__((constructor)) static void signal_init(void)
{
	real_sigaction(0, NULL, NULL); /* resolved now, not in a handler */
	ax_set_intr_hook(restart_hook);
}
