/*
 * timer.h - a hashed timer wheel (Varghese & Lauck): O(1) to arm, cancel
 * and fire a timer, whatever the number of connections. Tick: 1 ms;
 * AX_TIMER_SLOTS slots, timers further out wait for more rounds.
 *
 * Timers are intrusive: embed a struct ax_timer in the object and get back
 * to it with container_of in the callback. A timer may be re-armed or
 * cancelled from its own callback.
 */
#ifndef AX_TIMER_H
#define AX_TIMER_H

#include <stddef.h>
#include <stdint.h>

#define AX_TIMER_SLOTS 1024u

struct ax_timer;
typedef void (*ax_timer_fn)(struct ax_timer *t);

struct ax_timer {
	struct ax_timer *next, **pprev; /* pprev NULL: not armed */
	uint64_t expires_ms;
	ax_timer_fn fn;
};

struct ax_timer_wheel {
	struct ax_timer *slot[AX_TIMER_SLOTS];
	uint64_t now_ms;   /* every tick up to here has run */
	unsigned int armed;
};

#define ax_container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

void timer_wheel_init(struct ax_timer_wheel *w, uint64_t now_ms);
/* (Re-)arm t to fire fn at expires_ms (at least the next tick). */
void timer_arm(struct ax_timer_wheel *w, struct ax_timer *t, uint64_t expires_ms,
	       ax_timer_fn fn);
void timer_cancel(struct ax_timer_wheel *w, struct ax_timer *t);
static inline int timer_armed(const struct ax_timer *t)
{
	return t->pprev != NULL;
}
/* Run every timer due up to now_ms. */
void timer_wheel_advance(struct ax_timer_wheel *w, uint64_t now_ms);

/*
 * The tick at which the earliest armed timer fires, if it is at most
 * limit_ms; else limit_ms (or, past one turn of the wheel, an earlier tick
 * at which nothing fires: early is safe, late never happens). Always > w->now_ms (a timer is never due at a
 * tick already run). Costs a look at the slots up to limit_ms (at most one
 * turn of the wheel) and at the timers in them: callers keep the limit
 * short (the event loop caps its sleep anyway).
 */
uint64_t timer_wheel_next(const struct ax_timer_wheel *w, uint64_t limit_ms);

#endif /* AX_TIMER_H */
