/*
 * timer.c - see timer.h.
 */
#include "timer.h"

void timer_wheel_init(struct ax_timer_wheel *w, uint64_t now_ms)
{
	unsigned int i;

	for (i = 0; i < AX_TIMER_SLOTS; i++)
		w->slot[i] = NULL;
	w->now_ms = now_ms;
	w->armed = 0;
}

void timer_cancel(struct ax_timer_wheel *w, struct ax_timer *t)
{
	if (!t->pprev)
		return;
	*t->pprev = t->next;
	if (t->next)
		t->next->pprev = t->pprev;
	t->next = NULL;
	t->pprev = NULL;
	w->armed--;
}

void timer_arm(struct ax_timer_wheel *w, struct ax_timer *t, uint64_t expires_ms,
	       ax_timer_fn fn)
{
	struct ax_timer **head;

	timer_cancel(w, t);
	if (expires_ms <= w->now_ms)
		expires_ms = w->now_ms + 1;
	t->expires_ms = expires_ms;
	t->fn = fn;
	head = &w->slot[expires_ms % AX_TIMER_SLOTS];
	t->next = *head;
	if (t->next)
		t->next->pprev = &t->next;
	*head = t;
	t->pprev = head;
	w->armed++;
}

void timer_wheel_advance(struct ax_timer_wheel *w, uint64_t now_ms)
{
	/* After a long pause, a full turn of the wheel visits every slot. */
	if (now_ms > w->now_ms + AX_TIMER_SLOTS)
		w->now_ms = now_ms - AX_TIMER_SLOTS;
	while (w->now_ms < now_ms) {
		uint64_t tick = ++w->now_ms;
		struct ax_timer *t;

		if (!w->armed)
			continue;
		/*
		 * Fire due timers one at a time, rescanning from the slot's
		 * head after each: a callback may cancel or free any other
		 * timer (its owner's other timers among them), so no pointer
		 * into the list survives a call. Slots hold few timers each.
		 */
		for (;;) {
			for (t = w->slot[tick % AX_TIMER_SLOTS]; t; t = t->next)
				if (t->expires_ms <= tick)
					break;
			if (!t)
				break;
			timer_cancel(w, t);
			t->fn(t); /* may re-arm t, or free its owner */
		}
	}
}

uint64_t timer_wheel_next(const struct ax_timer_wheel *w, uint64_t limit_ms)
{
	uint64_t tick, last;

	if (limit_ms <= w->now_ms)
		return w->now_ms + 1;
	if (!w->armed)
		return limit_ms;
	/* A timer in slot (tick % SLOTS) fires at tick when its expiry is no
	 * later: the others there wait for later turns of the wheel. */
	last = limit_ms < w->now_ms + AX_TIMER_SLOTS ? limit_ms : w->now_ms + AX_TIMER_SLOTS;
	for (tick = w->now_ms + 1; tick <= last; tick++) {
		const struct ax_timer *t;

		for (t = w->slot[tick % AX_TIMER_SLOTS]; t; t = t->next)
			if (t->expires_ms <= tick)
				return tick;
	}
	return last; /* nothing within a turn: a safe, early answer */
}
