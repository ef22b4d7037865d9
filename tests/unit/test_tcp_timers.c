/*
 * test_tcp_timers.c - the hashed timer wheel TCP runs its timers on
 * (timer.c): exact firing times, timers more than a turn of the wheel
 * ahead, long pauses between calls, and callbacks that re-arm themselves,
 * cancel other timers or free their owner.
 */
#include <stdint.h>
#include <stdlib.h>

#include "net/timer.h"
#include "testlib.h"

static struct ax_timer_wheel W;

struct owner {
	struct ax_timer t;
	unsigned int fired;
	uint64_t at[8];   /* the wheel's time at each firing */
	uint64_t rearm;   /* re-arm this far ahead, times left */
	unsigned int rearms;
	struct owner *victim; /* cancel this one's timer when firing */
	int free_self;
};

static void fire(struct ax_timer *t)
{
	struct owner *o = ax_container_of(t, struct owner, t);

	if (o->fired < 8)
		o->at[o->fired] = W.now_ms;
	o->fired++;
	if (o->victim)
		timer_cancel(&W, &o->victim->t);
	if (o->rearms) {
		o->rearms--;
		timer_arm(&W, t, W.now_ms + o->rearm, fire);
	}
	if (o->free_self)
		free(o);
}

/* A timer fires at its tick, not before; one in the past at the next
 * tick; re-arming moves it; cancel stops it and is idempotent. */
TEST(fires_on_time)
{
	struct owner a = { 0 }, b = { 0 }, c = { 0 };

	timer_wheel_init(&W, 1000);
	timer_arm(&W, &a.t, 1040, fire);
	timer_arm(&W, &b.t, 500, fire); /* already past */
	timer_arm(&W, &c.t, 1100, fire);
	CHECK_EQ(W.armed, 3);
	CHECK(timer_armed(&a.t));
	timer_wheel_advance(&W, 1001);
	CHECK_EQ(b.fired, 1);
	CHECK_EQ(b.at[0], 1001);
	CHECK(!timer_armed(&b.t));
	timer_wheel_advance(&W, 1039);
	CHECK_EQ(a.fired, 0);
	timer_wheel_advance(&W, 1040);
	CHECK_EQ(a.fired, 1);
	CHECK_EQ(a.at[0], 1040);
	timer_arm(&W, &c.t, 1200, fire); /* moved */
	timer_wheel_advance(&W, 1199);
	CHECK_EQ(c.fired, 0);
	timer_cancel(&W, &c.t);
	timer_cancel(&W, &c.t);
	CHECK_EQ(W.armed, 0);
	timer_wheel_advance(&W, 5000);
	CHECK_EQ(c.fired, 0);
	/* Time going backwards runs nothing and breaks nothing. */
	timer_arm(&W, &c.t, 5010, fire);
	timer_wheel_advance(&W, 10);
	CHECK_EQ(c.fired, 0);
	timer_wheel_advance(&W, 5010);
	CHECK_EQ(c.fired, 1);
}

/* Timers several turns ahead (TIME_WAIT: 60 s on a 1024-slot wheel) share
 * slots with near ones and fire only at their own time, whether the wheel
 * is advanced tick by tick or in one long jump. */
TEST(beyond_one_turn)
{
	struct owner near = { 0 }, far = { 0 }, farther = { 0 };
	uint64_t t;

	timer_wheel_init(&W, 0);
	timer_arm(&W, &near.t, 7, fire);
	timer_arm(&W, &far.t, 7 + AX_TIMER_SLOTS, fire);          /* same slot */
	timer_arm(&W, &farther.t, 7 + 60 * AX_TIMER_SLOTS, fire); /* same slot */
	for (t = 1; t <= 7 + AX_TIMER_SLOTS - 1; t++)
		timer_wheel_advance(&W, t);
	CHECK_EQ(near.fired, 1);
	CHECK_EQ(far.fired, 0);
	timer_wheel_advance(&W, 7 + AX_TIMER_SLOTS);
	CHECK_EQ(far.fired, 1);
	CHECK_EQ(far.at[0], 7 + AX_TIMER_SLOTS);
	/* One jump to a tick before it, then to it. */
	timer_wheel_advance(&W, 6 + 60 * AX_TIMER_SLOTS);
	CHECK_EQ(farther.fired, 0);
	timer_wheel_advance(&W, 7 + 60 * AX_TIMER_SLOTS);
	CHECK_EQ(farther.fired, 1);
	CHECK_EQ(W.armed, 0);
}

/* After a pause much longer than a turn, every timer that fell due in it
 * fires (once), and none that is not yet due. */
TEST(long_pause)
{
	struct owner o[6];
	static const uint64_t when[6] = { 5, 900, 1023, 1024, 3000, 250000 };
	unsigned int i;

	memset(o, 0, sizeof(o));
	timer_wheel_init(&W, 0);
	for (i = 0; i < 6; i++)
		timer_arm(&W, &o[i].t, when[i], fire);
	timer_wheel_advance(&W, 200000);
	for (i = 0; i < 5; i++)
		CHECK_EQ(o[i].fired, 1);
	CHECK_EQ(o[5].fired, 0);
	CHECK_EQ(W.armed, 1);
	CHECK_EQ(W.now_ms, 200000);
	timer_wheel_advance(&W, 250000);
	CHECK_EQ(o[5].fired, 1);
	CHECK_EQ(W.armed, 0);
}

/* Callbacks may re-arm their own timer (RTO back-off), cancel another one
 * due in the same tick (tcp_pcb_free cancels all three of a connection's
 * timers), and free their owner. */
TEST(callbacks_change_the_wheel)
{
	struct owner self = { 0 }, killer = { 0 }, victim = { 0 };
	struct owner *heap = calloc(1, sizeof(*heap));

	REQUIRE(heap != NULL);
	timer_wheel_init(&W, 0);
	self.rearm = 10;
	self.rearms = 3;
	timer_arm(&W, &self.t, 10, fire);
	timer_wheel_advance(&W, 100);
	CHECK_EQ(self.fired, 4);
	CHECK_EQ(self.at[0], 10);
	CHECK_EQ(self.at[3], 40);
	CHECK_EQ(W.armed, 0);

	/* Same tick: a timer cancelled by an earlier callback does not fire;
	 * one that fired before its killer is not fired twice. */
	killer.victim = &victim;
	timer_arm(&W, &victim.t, 200, fire);
	timer_arm(&W, &killer.t, 200, fire);
	heap->free_self = 1;
	timer_arm(&W, &heap->t, 200, fire);
	timer_wheel_advance(&W, 300);
	CHECK_EQ(killer.fired, 1);
	CHECK_EQ(victim.fired, 0);
	CHECK_EQ(W.armed, 0);
	memset(&killer, 0, sizeof(killer));
	memset(&victim, 0, sizeof(victim));
	killer.victim = &victim;
	timer_arm(&W, &killer.t, 400, fire);
	timer_arm(&W, &victim.t, 400, fire);
	timer_wheel_advance(&W, 400);
	CHECK_EQ(killer.fired, 1);
	CHECK(victim.fired <= 1);
	CHECK_EQ(W.armed, 0);
}

TEST_MAIN(T(fires_on_time), T(beyond_one_turn), T(long_pause), T(callbacks_change_the_wheel))
