/*
 * test_breaker.c: the circuit breaker with a fake clock: opens after the
 * threshold of consecutive failures, successes reset the count, fails fast
 * while open, one half-open probe after the cool-down, reopens on a failed
 * probe and closes on a good one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "net/breaker.h"

static void test_opens_after_threshold(void **state)
{
	struct breaker b;

	breaker_init(&b, 0, -1); /* defaults: 5 failures, 30 s */
	assert_int_equal(b.threshold, 5);
	assert_int_equal(b.cooldown_ms, 30000);
	for (int i = 0; i < 4; i++) {
		assert_true(breaker_allow(&b, 1000));
		breaker_failure(&b, 1000);
		assert_int_equal(b.state, BREAKER_CLOSED);
	}
	assert_true(breaker_allow(&b, 1000));
	breaker_failure(&b, 1000);
	assert_int_equal(b.state, BREAKER_OPEN);
	assert_string_equal(breaker_state_name(b.state), "open");
	/* fails fast for the whole cool-down */
	assert_false(breaker_allow(&b, 1000));
	assert_false(breaker_allow(&b, 30999));
	assert_int_equal(breaker_retry_in(&b, 21000), 10000);
}

static void test_success_resets_count(void **state)
{
	struct breaker b;

	breaker_init(&b, 3, 100);
	breaker_failure(&b, 0);
	breaker_failure(&b, 0);
	breaker_success(&b);
	breaker_failure(&b, 0);
	breaker_failure(&b, 0);
	assert_int_equal(b.state, BREAKER_CLOSED); /* not 3 in a row */
	breaker_failure(&b, 0);
	assert_int_equal(b.state, BREAKER_OPEN);
}

static void test_half_open_probe(void **state)
{
	struct breaker b;

	breaker_init(&b, 2, 500);
	breaker_failure(&b, 0);
	breaker_failure(&b, 0);
	assert_false(breaker_allow(&b, 499));
	/* after the cool-down exactly one probe goes through */
	assert_true(breaker_allow(&b, 500));
	assert_int_equal(b.state, BREAKER_HALF_OPEN);
	assert_false(breaker_allow(&b, 501));
	assert_int_equal(breaker_retry_in(&b, 501), 0);
	/* a failed probe opens it again for a fresh cool-down */
	breaker_failure(&b, 600);
	assert_int_equal(b.state, BREAKER_OPEN);
	assert_false(breaker_allow(&b, 1099));
	assert_int_equal(breaker_retry_in(&b, 1000), 100);
	assert_true(breaker_allow(&b, 1100));
	/* a good probe closes it and the count starts from zero */
	breaker_success(&b);
	assert_int_equal(b.state, BREAKER_CLOSED);
	assert_true(breaker_allow(&b, 1100));
	assert_true(breaker_allow(&b, 1100));
	breaker_failure(&b, 1200);
	assert_int_equal(b.state, BREAKER_CLOSED);
	breaker_failure(&b, 1200);
	assert_int_equal(b.state, BREAKER_OPEN);
}

static void test_late_failure_keeps_cooldown(void **state)
{
	struct breaker b;

	breaker_init(&b, 1, 1000);
	breaker_failure(&b, 0);
	/* a failure reported while already open does not restart the clock */
	breaker_failure(&b, 900);
	assert_true(breaker_allow(&b, 1000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opens_after_threshold),
		cmocka_unit_test(test_success_resets_count),
		cmocka_unit_test(test_half_open_probe),
		cmocka_unit_test(test_late_failure_keeps_cooldown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
