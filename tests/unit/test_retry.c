/*
 * test_retry.c: the retry policy as a table of cases (status or transport
 * failure, attempt, Retry-After → retry and delay), the backoff cap and
 * jitter bounds with a scripted random source, and the Retry-After parser
 * (seconds, fractions, the three HTTP-date forms, garbage).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "net/retry.h"

/* 2015-10-21T07:28:00Z in ms. */
#define NOW_MS 1445412480000LL

static double fixed_rand(void *ud)
{
	return *(double *)ud;
}

static const struct {
	int status;
	enum retry_net net;
	int attempt;
	const char *retry_after;
	int retry;
	int64_t delay_ms; /* with rand = 0.5 */
} cases[] = {
	/* 429/529 honour Retry-After, in seconds or as an HTTP-date */
	{429, RETRY_NET_NONE, 0, "2", 1, 2000},
	{429, RETRY_NET_NONE, 2, "1.5", 1, 1500},
	{529, RETRY_NET_NONE, 0, "3", 1, 3000},
	{429, RETRY_NET_NONE, 0, "Wed, 21 Oct 2015 07:28:05 GMT", 1, 5000},
	{429, RETRY_NET_NONE, 0, "Wed, 21 Oct 2015 07:27:00 GMT", 1, 0},
	/* no or unusable Retry-After: backoff (base 1000, rand .5 → 750) */
	{429, RETRY_NET_NONE, 0, NULL, 1, 750},
	{429, RETRY_NET_NONE, 0, "soon", 1, 750},
	/* a Retry-After beyond the limit is not waited out */
	{429, RETRY_NET_NONE, 0, "3600", 0, 0},
	/* Retry-After on a 503 does not override its backoff */
	{503, RETRY_NET_NONE, 1, "20", 1, 1500},
	{409, RETRY_NET_NONE, 0, NULL, 1, 750},
	{500, RETRY_NET_NONE, 0, NULL, 1, 750},
	{502, RETRY_NET_NONE, 1, NULL, 1, 1500},
	{504, RETRY_NET_NONE, 2, NULL, 1, 3000},
	/* transport failures back off too */
	{0, RETRY_NET_TIMEOUT, 0, NULL, 1, 750},
	{0, RETRY_NET_CONNECT, 1, NULL, 1, 1500},
	{0, RETRY_NET_RESET, 0, NULL, 1, 750},
	{0, RETRY_NET_TRUNCATED, 0, NULL, 1, 750},
	{0, RETRY_NET_FATAL, 0, NULL, 0, 0},
	/* never retried */
	{400, RETRY_NET_NONE, 0, NULL, 0, 0},
	{401, RETRY_NET_NONE, 0, NULL, 0, 0},
	{403, RETRY_NET_NONE, 0, NULL, 0, 0},
	{404, RETRY_NET_NONE, 0, "1", 0, 0},
	{422, RETRY_NET_NONE, 0, NULL, 0, 0},
	{501, RETRY_NET_NONE, 0, NULL, 0, 0},
	/* the retry budget: 3 retries, then give up, even on a 429 */
	{500, RETRY_NET_NONE, 3, NULL, 0, 0},
	{429, RETRY_NET_NONE, 3, "1", 0, 0},
	{0, RETRY_NET_RESET, 3, NULL, 0, 0},
};

static void test_decision_table(void **state)
{
	struct retry_policy p;
	double half = 0.5;

	retry_policy_default(&p);
	assert_int_equal(p.max_retries, 3);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct retry_attempt a = {
			.http_status = cases[i].status,
			.net = cases[i].net,
			.attempt = cases[i].attempt,
			.retry_after = cases[i].retry_after,
			.now_ms = NOW_MS,
		};
		int64_t delay = -1;
		int r = retry_decide(&p, &a, fixed_rand, &half, &delay);

		if (r != cases[i].retry || delay != cases[i].delay_ms)
			fail_msg("case %zu (status %d net %d attempt %d): got retry=%d delay=%lld",
				 i, cases[i].status, (int)cases[i].net, cases[i].attempt, r,
				 (long long)delay);
	}
}

static void test_backoff_cap_and_jitter(void **state)
{
	struct retry_policy p = {.max_retries = 20,
				 .base_ms = 100,
				 .max_backoff_ms = 1000,
				 .max_retry_after_ms = 5000};
	struct retry_attempt a = {.http_status = 500};
	double r;
	int64_t delay;

	/* no random source: the full step 100, 200, 400, 800, then the cap */
	static const int64_t steps[] = {100, 200, 400, 800, 1000, 1000, 1000};
	for (int i = 0; i < 7; i++) {
		a.attempt = i;
		assert_int_equal(retry_decide(&p, &a, NULL, NULL, &delay), 1);
		assert_int_equal(delay, steps[i]);
	}
	/* jitter stays within [d/2, d): rand 0 gives d/2, rand →1 stays below d */
	a.attempt = 2;
	r = 0.0;
	retry_decide(&p, &a, fixed_rand, &r, &delay);
	assert_int_equal(delay, 200);
	r = 0.999999;
	retry_decide(&p, &a, fixed_rand, &r, &delay);
	assert_int_equal(delay, 399);
	/* a broken random source (out of range) is treated as 0 */
	r = 7.0;
	retry_decide(&p, &a, fixed_rand, &r, &delay);
	assert_int_equal(delay, 200);
	/* huge attempt numbers do not overflow */
	a.attempt = 19;
	assert_int_equal(retry_decide(&p, &a, NULL, NULL, &delay), 1);
	assert_int_equal(delay, 1000);
	/* max_retries 0 disables retries */
	p.max_retries = 0;
	a.attempt = 0;
	assert_int_equal(retry_decide(&p, &a, NULL, NULL, &delay), 0);
}

static void test_retry_after_parser(void **state)
{
	int64_t d;

	assert_int_equal(retry_parse_retry_after("0", NOW_MS, &d), 0);
	assert_int_equal(d, 0);
	assert_int_equal(retry_parse_retry_after(" 120 ", NOW_MS, &d), 0);
	assert_int_equal(d, 120000);
	assert_int_equal(retry_parse_retry_after("0.25", NOW_MS, &d), 0);
	assert_int_equal(d, 250);
	/* IMF-fixdate, RFC 850 and asctime forms of 07:28:10 */
	assert_int_equal(retry_parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", NOW_MS, &d), 0);
	assert_int_equal(d, 10000);
	assert_int_equal(retry_parse_retry_after("Wednesday, 21-Oct-15 07:28:10 GMT", NOW_MS, &d),
			 0);
	assert_int_equal(d, 10000);
	assert_int_equal(retry_parse_retry_after("Wed Oct 21 07:28:10 2015", NOW_MS, &d), 0);
	assert_int_equal(d, 10000);
	assert_int_equal(
		retry_parse_retry_after("Thu Oct  1 07:28:10 2015", NOW_MS - 20 * 86400000LL, &d),
		0);
	assert_int_equal(d, 10000);
	/* garbage */
	static const char *const bad[] = {"",
					  "-1",
					  "1.",
					  "2s",
					  "soon",
					  "Wed, 21 Oct 2015",
					  "Wed, 21 Foo 2015 07:28:10 GMT",
					  "Wed, 21 Oct 2015 25:28:10 GMT",
					  "Wed, 21 Oct 2015 07:28:10 PST",
					  "99999999999"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (retry_parse_retry_after(bad[i], NOW_MS, &d) == 0)
			fail_msg("accepted bad Retry-After '%s'", bad[i]);
	assert_int_equal(retry_parse_retry_after(NULL, NOW_MS, &d), -1);
}

static void test_status_table(void **state)
{
	static const int yes[] = {409, 429, 500, 502, 503, 504, 529};
	static const int no[] = {200, 400, 401, 403, 404, 405, 422, 501, 505};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_true(retry_status_retryable(yes[i]));
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_false(retry_status_retryable(no[i]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decision_table),
		cmocka_unit_test(test_backoff_cap_and_jitter),
		cmocka_unit_test(test_retry_after_parser),
		cmocka_unit_test(test_status_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
