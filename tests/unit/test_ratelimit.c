/*
 * test_ratelimit.c: the token bucket with a fake clock: bursts, the
 * steady-state rate, queued reservations, fractional rates, unlimited mode
 * and clocks that go backwards.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "net/ratelimit.h"

static void test_burst_then_rate(void **state)
{
	struct ratelimit rl;

	ratelimit_init(&rl, 3.0, 3.0, 1000);
	/* a full bucket lets `burst` requests through at once */
	assert_int_equal(ratelimit_reserve(&rl, 1000), 0);
	assert_int_equal(ratelimit_reserve(&rl, 1000), 0);
	assert_int_equal(ratelimit_reserve(&rl, 1000), 0);
	/* the fourth waits one token's time: 1/3 s, rounded up */
	assert_int_equal(ratelimit_reserve(&rl, 1000), 334);
	/* and a fifth at the same instant queues behind it */
	assert_int_equal(ratelimit_reserve(&rl, 1000), 667);
	assert_int_equal(ratelimit_peek(&rl, 1000), 1000);
	/* once the queue has drained, a request goes at once again */
	assert_int_equal(ratelimit_peek(&rl, 2000), 0);
	assert_int_equal(ratelimit_reserve(&rl, 2000), 0);
}

static void test_steady_rate_holds(void **state)
{
	struct ratelimit rl;
	int64_t now = 0, first_wait_free = 0;

	/* burst 1: a caller that always sleeps as told sends evenly at 3/s */
	ratelimit_init(&rl, 3.0, 1.0, 0);
	for (int i = 0; i < 60; i++) {
		int64_t wait = ratelimit_reserve(&rl, now);
		if (i == 0)
			first_wait_free = wait;
		now += wait;
	}
	assert_int_equal(first_wait_free, 0);
	/* 60 requests: the 60th goes at 59/3 s (within rounding) */
	assert_true(now >= 19666 && now <= 19700);
}

static void test_bucket_caps_at_burst(void **state)
{
	struct ratelimit rl;

	ratelimit_init(&rl, 2.0, 2.0, 0);
	/* a long idle period does not bank more than `burst` tokens */
	assert_int_equal(ratelimit_reserve(&rl, 100000), 0);
	assert_int_equal(ratelimit_reserve(&rl, 100000), 0);
	assert_int_equal(ratelimit_reserve(&rl, 100000), 500);
}

static void test_fractional_rate(void **state)
{
	struct ratelimit rl;

	ratelimit_init(&rl, 0.5, 0, 0); /* burst below 1 is raised to 1 */
	assert_true(rl.burst == 1.0);
	assert_int_equal(ratelimit_reserve(&rl, 0), 0);
	assert_int_equal(ratelimit_reserve(&rl, 0), 2000);
	/* half a second later the queued request still has 1.5 s to go */
	assert_int_equal(ratelimit_peek(&rl, 500), 3500);
}

static void test_unlimited(void **state)
{
	struct ratelimit rl;

	ratelimit_init(&rl, -1, 0, 0);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(ratelimit_reserve(&rl, 0), 0);
	ratelimit_init(&rl, 0, 0, 0);
	assert_int_equal(ratelimit_reserve(&rl, 0), 0);
	assert_int_equal(ratelimit_peek(&rl, 0), 0);
}

static void test_clock_going_backwards(void **state)
{
	struct ratelimit rl;

	ratelimit_init(&rl, 1.0, 1.0, 10000);
	assert_int_equal(ratelimit_reserve(&rl, 10000), 0);
	/* an earlier time counts as no time passing, not as negative refill */
	assert_int_equal(ratelimit_reserve(&rl, 5000), 1000);
	assert_int_equal(ratelimit_reserve(&rl, 12000), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_rate),
		cmocka_unit_test(test_steady_rate_holds),
		cmocka_unit_test(test_bucket_caps_at_burst),
		cmocka_unit_test(test_fractional_rate),
		cmocka_unit_test(test_unlimited),
		cmocka_unit_test(test_clock_going_backwards),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
