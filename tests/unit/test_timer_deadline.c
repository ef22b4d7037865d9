/*
 * test_timer_deadline.c - "when is the next timer due", for the event loop
 * to sleep exactly that long: timer_wheel_next() on the wheel alone (never
 * late, never in the past, the limit when nothing is due, an early but
 * safe answer for timers beyond one turn of the wheel), and
 * stack_next_deadline() over the engine's TCP wheel and ARP table.
 */
#include <stdint.h>

#include "fake_netif.h"
#include "testlib.h"

static struct fake_host H;
static unsigned int fired;

static void on_fire(struct ax_timer *t)
{
	(void)t;
	fired++;
}

TEST(wheel_next)
{
	struct ax_timer_wheel w;
	struct ax_timer a = { 0 }, b = { 0 }, far = { 0 };

	timer_wheel_init(&w, 1000);
	CHECK_EQ(timer_wheel_next(&w, 1100), 1100); /* nothing armed */
	timer_arm(&w, &b, 1500, on_fire);
	timer_arm(&w, &a, 1040, on_fire);
	CHECK_EQ(timer_wheel_next(&w, 1100), 1040);
	CHECK_EQ(timer_wheel_next(&w, 1040), 1040);
	CHECK_EQ(timer_wheel_next(&w, 1039), 1039); /* not within the limit */
	CHECK_EQ(timer_wheel_next(&w, 3000), 1040);
	timer_cancel(&w, &a);
	CHECK_EQ(timer_wheel_next(&w, 1100), 1100);
	CHECK_EQ(timer_wheel_next(&w, 3000), 1500);
	/* A limit at or before the wheel's time: the next tick, never the past. */
	CHECK_EQ(timer_wheel_next(&w, 1000), 1001);
	CHECK_EQ(timer_wheel_next(&w, 10), 1001);

	/* A timer a turn and more away shares a slot with nearer ticks: it
	 * is not taken for them, and the answer is never later than it. */
	timer_cancel(&w, &b);
	timer_arm(&w, &far, 1000 + AX_TIMER_SLOTS + 60, on_fire);
	CHECK_EQ(timer_wheel_next(&w, 1100), 1100);
	CHECK(timer_wheel_next(&w, 5000) <= 1000 + AX_TIMER_SLOTS + 60);
	CHECK(timer_wheel_next(&w, 5000) > 1000);
	timer_arm(&w, &a, 1040 + AX_TIMER_SLOTS, on_fire); /* same slot as 1040 */
	timer_arm(&w, &b, 1050, on_fire);
	CHECK_EQ(timer_wheel_next(&w, 1100), 1050);

	/* After it runs, the next answer is past the wheel's time. */
	fired = 0;
	timer_wheel_advance(&w, 1050);
	CHECK_EQ(fired, 1);
	CHECK_EQ(timer_wheel_next(&w, 1100), 1100);
	CHECK_EQ(timer_wheel_next(&w, 1000 + AX_TIMER_SLOTS + 60), 1040 + AX_TIMER_SLOTS);
	timer_wheel_advance(&w, 1040 + AX_TIMER_SLOTS);
	CHECK_EQ(fired, 2);
	CHECK_EQ(timer_wheel_next(&w, 5000), 1000 + AX_TIMER_SLOTS + 60);
	timer_cancel(&w, &far);
	CHECK_EQ(w.armed, 0);
}

TEST(stack_next_deadline_tcp_and_arp)
{
	struct ax_timer t = { 0 };
	uint64_t now, next;

	if (H.s.tcp)
		stack_fini(&H.s);
	REQUIRE(fake_host_init(&H) == 0);
	stack_timers(&H.s);
	now = H.s.now_ns;
	/* Nothing armed, nothing to resolve: the limit. */
	CHECK_EQ(stack_next_deadline(&H.s, now + MS_TO_NS(100)), now + MS_TO_NS(100));

	/* A TCP timer 40 ms out (as a delayed ACK is armed). */
	timer_arm(&H.s.tcp->wheel, &t, now / 1000000u + 40, on_fire);
	CHECK_EQ(stack_next_deadline(&H.s, now + MS_TO_NS(100)), now + MS_TO_NS(40));
	CHECK_EQ(stack_next_deadline(&H.s, now + MS_TO_NS(30)), now + MS_TO_NS(30));

	/* An ARP resolution under way: its retry (AX_ARP_RETRY_MS) is later
	 * than the TCP timer; once that is gone, it is the next deadline. */
	fake_mark(&H);
	CHECK_EQ(stack_ping(&H.s, FAKE_PEER_IP, 1, 1, "x", 1), 0);
	CHECK_EQ(stack_next_deadline(&H.s, now + MS_TO_NS(5000)), now + MS_TO_NS(40));
	timer_cancel(&H.s.tcp->wheel, &t);
	next = stack_next_deadline(&H.s, now + MS_TO_NS(5000));
	CHECK_EQ(next, now + MS_TO_NS(AX_ARP_RETRY_MS));
	/* Sleeping until then and running the timers does the retry. */
	stack_set_time(&H.s, next);
	fake_mark(&H);
	stack_timers(&H.s);
	CHECK_CNT(&H, { AX_C_arp_requests_tx, 1 }, { AX_C_eth_tx, 1 });
	CHECK(stack_next_deadline(&H.s, next + MS_TO_NS(5000)) > next);
	stack_fini(&H.s);
}

/* The loop's contract: sleep until the deadline, run the timers, and the
 * TCP timer has fired; the next deadline is later (no spinning). */
TEST(deadline_then_timers_fire)
{
	struct ax_timer t = { 0 };
	uint64_t now, next;

	if (H.s.tcp)
		stack_fini(&H.s);
	REQUIRE(fake_host_init(&H) == 0);
	now = H.s.now_ns + 123456; /* between ms ticks */
	stack_set_time(&H.s, now);
	stack_timers(&H.s);
	timer_arm(&H.s.tcp->wheel, &t, now / 1000000u + 40, on_fire);
	next = stack_next_deadline(&H.s, now + MS_TO_NS(100));
	CHECK(next > now);
	CHECK(next <= now + MS_TO_NS(40));
	fired = 0;
	stack_set_time(&H.s, next);
	stack_timers(&H.s);
	CHECK_EQ(fired, 1);
	CHECK_EQ(stack_next_deadline(&H.s, next + MS_TO_NS(100)), next + MS_TO_NS(100));
	stack_fini(&H.s);
}

TEST_MAIN(T(wheel_next), T(stack_next_deadline_tcp_and_arp), T(deadline_then_timers_fire))
