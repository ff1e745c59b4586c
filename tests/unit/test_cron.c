/*
 * test_cron.c: the cron module. Tables of expressions with a start time and
 * the expected next (or previous) run, in UTC and in two real zones across
 * their 2026 DST changes (America/New_York: Mar 8 02:00 -> 03:00, Nov 1
 * 02:00 -> 01:00; Europe/Berlin: Mar 29 02:00 -> 03:00, Oct 25 03:00 ->
 * 02:00), and a table of invalid expressions with the field and reason the
 * error must name. Times are written with their UTC offset so each row
 * reads as the wall clock the user sees.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "sched/cron.h"
#include "util/err.h"
#include "util/timeutil.h"

#define NY "America/New_York"
#define BERLIN "Europe/Berlin"

struct next_case {
	const char *tz;
	const char *expr;
	const char *from;
	const char *expect;
};

static const struct next_case next_cases[] = {
	/* plain fields, UTC */
	{"UTC", "0 5 * * *", "2026-01-10T04:00:00Z", "2026-01-10T05:00:00Z"},
	{"UTC", "0 5 * * *", "2026-01-10T05:00:00Z", "2026-01-11T05:00:00Z"},
	{"UTC", "0 5 * * *", "2026-01-10T04:59:59.999Z", "2026-01-10T05:00:00Z"},
	{"UTC", "* * * * *", "2026-01-10T10:00:59.999Z", "2026-01-10T10:01:00Z"},
	{"UTC", "*/15 * * * *", "2026-01-10T10:07:30Z", "2026-01-10T10:15:00Z"},
	{"UTC", "5/20 * * * *", "2026-01-10T10:30:00Z", "2026-01-10T10:45:00Z"},
	{"UTC", "0 9-17/2 * * mon-fri", "2026-01-10T12:00:00Z", "2026-01-12T09:00:00Z"},
	{"UTC", "0 9-17/2 * * MON-FRI", "2026-01-12T11:00:00Z", "2026-01-12T13:00:00Z"},
	{"UTC", "30 8 1,15 * *", "2026-01-15T09:00:00Z", "2026-02-01T08:30:00Z"},
	{"UTC", "0 0 31 * *", "2026-02-01T00:00:00Z", "2026-03-31T00:00:00Z"},
	{"UTC", "0 0 * jan,jul *", "2026-02-01T00:00:00Z", "2026-07-01T00:00:00Z"},
	{"UTC", "0 0 1 JAN-MAR/2 *", "2026-01-02T00:00:00Z", "2026-03-01T00:00:00Z"},
	{"UTC", "59 23 31 12 *", "2026-12-31T23:59:00Z", "2027-12-31T23:59:00Z"},
	{"UTC", " \t0   5 * *\t*  ", "2026-01-10T06:00:00Z", "2026-01-11T05:00:00Z"},
	{"UTC", "0,30 22-23,0-1 * * *", "2026-01-10T23:45:00Z", "2026-01-11T00:00:00Z"},
	/* Feb 29 */
	{"UTC", "0 0 29 2 *", "2026-03-01T00:00:00Z", "2028-02-29T00:00:00Z"},
	{"UTC", "0 0 29 2 *", "2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"},
	{"UTC", "0 0 29 2 *", "2096-03-01T00:00:00Z", "2104-02-29T00:00:00Z"},
	{"UTC", "0 6 29 2 mon", "2026-01-01T00:00:00Z", "2026-02-02T06:00:00Z"},
	/* day-of-week 0 and 7 are both Sunday */
	{"UTC", "0 12 * * 0", "2026-01-10T13:00:00Z", "2026-01-11T12:00:00Z"},
	{"UTC", "0 12 * * 7", "2026-01-10T13:00:00Z", "2026-01-11T12:00:00Z"},
	{"UTC", "0 12 * * sun", "2026-01-10T13:00:00Z", "2026-01-11T12:00:00Z"},
	{"UTC", "0 12 * * 5-7", "2026-01-10T13:00:00Z", "2026-01-11T12:00:00Z"},
	{"UTC", "0 12 * * fri-sun", "2026-01-12T00:00:00Z", "2026-01-16T12:00:00Z"},
	{"UTC", "0 12 * * 6,7", "2026-01-11T13:00:00Z", "2026-01-17T12:00:00Z"},
	/* Vixie rule: both day fields restricted -> either matches */
	{"UTC", "0 0 13 * fri", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"},
	{"UTC", "0 0 13 * fri", "2026-01-10T00:00:00Z", "2026-01-13T00:00:00Z"},
	/* ... but a field starting with '*' makes it "both" */
	{"UTC", "0 0 */10 * mon", "2026-01-01T00:00:00Z", "2026-05-11T00:00:00Z"},
	/* shorthands */
	{"UTC", "@hourly", "2026-01-10T10:30:00Z", "2026-01-10T11:00:00Z"},
	{"UTC", "@daily", "2026-01-10T10:30:00Z", "2026-01-11T00:00:00Z"},
	{"UTC", "@midnight", "2026-01-10T00:00:00Z", "2026-01-11T00:00:00Z"},
	{"UTC", "@weekly", "2026-01-10T10:30:00Z", "2026-01-11T00:00:00Z"},
	{"UTC", "@monthly", "2026-01-31T12:00:00Z", "2026-02-01T00:00:00Z"},
	{"UTC", "@yearly", "2026-01-31T12:00:00Z", "2027-01-01T00:00:00Z"},
	{"UTC", "@ANNUALLY", "2026-12-31T23:59:59Z", "2027-01-01T00:00:00Z"},
	/* a plain daily job keeps its wall-clock time across DST */
	{NY, "0 5 * * *", "2026-03-07T05:00:00-05:00", "2026-03-08T05:00:00-04:00"},
	{NY, "0 5 * * *", "2026-10-31T05:00:00-04:00", "2026-11-01T05:00:00-05:00"},
	/* New York spring forward: 02:00-02:59 does not exist on Mar 8 */
	{NY, "30 2 * * *", "2026-03-07T12:00:00-05:00", "2026-03-08T03:00:00-04:00"},
	{NY, "30 2 * * *", "2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"},
	{NY, "*/15 2 * * *", "2026-03-08T01:50:00-05:00", "2026-03-08T03:00:00-04:00"},
	{NY, "*/15 2 * * *", "2026-03-08T03:00:00-04:00", "2026-03-09T02:00:00-04:00"},
	{NY, "0 3 * * *", "2026-03-08T01:59:00-05:00", "2026-03-08T03:00:00-04:00"},
	{NY, "0 * * * *", "2026-03-08T01:00:00-05:00", "2026-03-08T03:00:00-04:00"},
	{NY, "0 * * * *", "2026-03-08T03:00:00-04:00", "2026-03-08T04:00:00-04:00"},
	/* New York fall back: 01:00-01:59 happens twice on Nov 1 */
	{NY, "30 1 * * *", "2026-11-01T00:00:00-04:00", "2026-11-01T01:30:00-04:00"},
	{NY, "30 1 * * *", "2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"},
	{NY, "30 1 * * *", "2026-11-01T01:10:00-05:00", "2026-11-02T01:30:00-05:00"},
	{NY, "0 * * * *", "2026-11-01T01:00:00-04:00", "2026-11-01T02:00:00-05:00"},
	/* Berlin spring forward: 02:00-02:59 does not exist on Mar 29 */
	{BERLIN, "30 2 * * *", "2026-03-28T03:00:00+01:00", "2026-03-29T03:00:00+02:00"},
	{BERLIN, "0 2 * * *", "2026-03-28T02:00:00+01:00", "2026-03-29T03:00:00+02:00"},
	{BERLIN, "0 2 * * *", "2026-03-29T03:00:00+02:00", "2026-03-30T02:00:00+02:00"},
	/* Berlin fall back: 02:00-02:59 happens twice on Oct 25 */
	{BERLIN, "30 2 * * *", "2026-10-24T03:00:00+02:00", "2026-10-25T02:30:00+02:00"},
	{BERLIN, "30 2 * * *", "2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"},
	{BERLIN, "*/30 * * * *", "2026-10-25T02:30:00+02:00", "2026-10-25T03:00:00+01:00"},
	{BERLIN, "0 5 * * *", "2026-10-24T05:00:00+02:00", "2026-10-25T05:00:00+01:00"},
};

static const struct next_case prev_cases[] = {
	{"UTC", "0 5 * * *", "2026-01-10T04:00:00Z", "2026-01-09T05:00:00Z"},
	{"UTC", "0 5 * * *", "2026-01-10T05:00:00Z", "2026-01-10T05:00:00Z"},
	{"UTC", "0 5 * * *", "2026-01-10T04:59:59.999Z", "2026-01-09T05:00:00Z"},
	{"UTC", "0 0 29 2 *", "2026-01-01T00:00:00Z", "2024-02-29T00:00:00Z"},
	{"UTC", "0 12 * * 7", "2026-01-10T13:00:00Z", "2026-01-04T12:00:00Z"},
	{"UTC", "@monthly", "2026-03-01T00:00:00Z", "2026-03-01T00:00:00Z"},
	{NY, "30 2 * * *", "2026-03-08T03:10:00-04:00", "2026-03-08T03:00:00-04:00"},
	{NY, "30 2 * * *", "2026-03-08T02:59:00-04:00", "2026-03-07T02:30:00-05:00"},
	{NY, "30 1 * * *", "2026-11-01T01:45:00-05:00", "2026-11-01T01:30:00-04:00"},
	{NY, "0 * * * *", "2026-11-01T01:30:00-05:00", "2026-11-01T01:00:00-04:00"},
	{BERLIN, "30 2 * * *", "2026-10-25T02:45:00+01:00", "2026-10-25T02:30:00+02:00"},
	{BERLIN, "0 2 * * *", "2026-03-29T03:30:00+02:00", "2026-03-29T03:00:00+02:00"},
};

struct bad_case {
	const char *expr;
	const char *message; /* must appear in the error */
};

static const struct bad_case bad_cases[] = {
	{"", "the schedule is empty"},
	{"   ", "the schedule is empty"},
	{"* * * *", "4 fields given, 5 expected"},
	{"*", "1 field given, 5 expected"},
	{"* * * * * *", "too many fields"},
	{"60 * * * *", "minute: 60 is out of range (0-59)"},
	{"* 24 * * *", "hour: 24 is out of range (0-23)"},
	{"* * 0 * *", "day-of-month: 0 is out of range (1-31)"},
	{"* * 32 * *", "day-of-month: 32 is out of range (1-31)"},
	{"* * * 13 *", "month: 13 is out of range (1-12)"},
	{"* * * 0 *", "month: 0 is out of range (1-12)"},
	{"* * * * 8", "day-of-week: 8 is out of range (0-7)"},
	{"99999999999999999999 * * * *", "minute: 1000000 is out of range"},
	{"*/0 * * * *", "minute: step 0 is invalid"},
	{"*/61 * * * *", "minute: step 61 is larger than the field's range"},
	{"*/ * * * *", "minute: a step ('/') must be followed by a number"},
	{"5-1 * * * *", "minute: range 5-1 is reversed"},
	{"* 22-2 * * *", "hour: range 22-2 is reversed"},
	{"1,,2 * * * *", "minute: empty list item"},
	{"1, * * * *", "minute: empty list item"},
	{"1- * * * *", "minute: a value is missing"},
	{"1-2-3 * * * *", "minute: unexpected '-3' in '1-2-3'"},
	{"a * * * *", "minute: 'a' is not a number"},
	{"* * * foo *", "month: 'foo' is not a month name"},
	{"* * * * funday", "day-of-week: 'funday' is not a weekday name"},
	{"* * * * 1#2", "day-of-week: unexpected '#2'"},
	{"* * L * *", "day-of-month: 'L' is not a number"},
	{"? * * * *", "minute: expected a number at '?'"},
	{"0 0 30 2 *", "day-of-month: the selected days never occur in the selected months"},
	{"0 0 31 4,6,9,11 *", "day-of-month: the selected days never occur"},
	{"@reboot", "@reboot is not supported"},
	{"@often", "unknown shorthand '@often'"},
	{"@daily 5", "nothing may follow @daily"},
};

static void set_tz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

static int64_t iso(const char *s)
{
	int64_t ms;

	if (time_parse_iso(s, &ms)) {
		print_message("bad time in test table: %s\n", s);
		fail();
	}
	return ms;
}

static void run_cases(const struct next_case *cases, size_t n, int prev)
{
	int failures = 0;

	for (size_t i = 0; i < n; i++) {
		const struct next_case *c = &cases[i];
		struct cron_expr e;
		struct nv_err err;
		int64_t got = 0;
		char a[TIME_ISO_MAX], b[TIME_ISO_MAX];

		set_tz(c->tz);
		nv_err_clear(&err);
		if (cron_parse(c->expr, &e, &err)) {
			print_message("'%s': unexpected parse error: %s\n", c->expr, err.msg);
			failures++;
			continue;
		}
		if ((prev ? cron_prev(&e, iso(c->from), &got)
			  : cron_next(&e, iso(c->from), &got))) {
			print_message("'%s' (%s) from %s: no run found\n", c->expr, c->tz, c->from);
			failures++;
			continue;
		}
		if (got != iso(c->expect)) {
			print_message("'%s' (%s) %s %s: expected %s (%s), got %s\n", c->expr, c->tz,
				      prev ? "at or before" : "after", c->from, c->expect,
				      time_format_iso(iso(c->expect), a), time_format_iso(got, b));
			failures++;
		}
	}
	set_tz("UTC");
	assert_int_equal(failures, 0);
}

static void test_next_runs(void **state)
{
	run_cases(next_cases, sizeof(next_cases) / sizeof(next_cases[0]), 0);
}

static void test_prev_runs(void **state)
{
	run_cases(prev_cases, sizeof(prev_cases) / sizeof(prev_cases[0]), 1);
}

static void test_invalid_expressions(void **state)
{
	int failures = 0;

	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct cron_expr e;
		struct nv_err err;
		int rc;

		nv_err_clear(&err);
		rc = cron_parse(bad_cases[i].expr, &e, &err);
		if (rc != NV_EINVAL || !strstr(err.msg, bad_cases[i].message) ||
		    !strstr(err.msg, "invalid cron expression")) {
			print_message("'%s': expected NV_EINVAL with '%s', got %d '%s'\n",
				      bad_cases[i].expr, bad_cases[i].message, rc, err.msg);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

static void test_parsed_fields(void **state)
{
	struct cron_expr e;

	assert_int_equal(cron_parse("0 12 * * 7", &e, NULL), 0);
	assert_int_equal(e.weekdays, 1);
	assert_true(e.dom_star);
	assert_false(e.dow_star);
	assert_int_equal(cron_parse("0 12 * * sun-sat", &e, NULL), 0);
	assert_int_equal(e.weekdays, 0x7f);
	assert_int_equal(cron_parse("0 12 * * sun-sun", &e, NULL), 0);
	assert_int_equal(e.weekdays, 1);
	assert_int_equal(cron_parse("1-3,7 0 1 dec *", &e, NULL), 0);
	assert_int_equal(e.minutes, 0x8eu);
	assert_int_equal(e.months, 1u << 12);
	assert_int_equal(cron_parse("@weekly", &e, NULL), 0);
	assert_int_equal(e.weekdays, 1);
	assert_int_equal(e.minutes, 1);
	assert_int_equal(e.hours, 1);
	/* NULL is refused like the empty string, without crashing */
	assert_int_equal(cron_parse(NULL, &e, NULL), NV_EINVAL);
}

static void test_out_of_range_instants(void **state)
{
	struct cron_expr e;
	int64_t out;

	assert_int_equal(cron_parse("* * * * *", &e, NULL), 0);
	assert_int_equal(cron_next(&e, -1, &out), NV_EINVAL);
	assert_int_equal(cron_prev(&e, INT64_MAX, &out), NV_EINVAL);
	/* the far end still works */
	assert_int_equal(cron_next(&e, iso("8999-12-31T23:58:00Z"), &out), 0);
	assert_int_equal(out, iso("8999-12-31T23:59:00Z"));
}

/* Walking a whole DST year run by run: strictly increasing, one run per day. */
static void test_daily_walk_across_year(void **state)
{
	static const char *const zones[] = {NY, BERLIN, "UTC", "Australia/Lord_Howe"};
	static const char *const exprs[] = {"30 2 * * *", "0 1 * * *", "59 23 * * *"};

	for (size_t z = 0; z < sizeof(zones) / sizeof(zones[0]); z++)
		for (size_t x = 0; x < sizeof(exprs) / sizeof(exprs[0]); x++) {
			struct cron_expr e;
			/* noon UTC is none of these zones' run times */
			int64_t t = iso("2026-01-01T12:00:00Z"), end = iso("2027-01-01T12:00:00Z");
			int64_t next, back;
			int runs = 0;

			set_tz(zones[z]);
			assert_int_equal(cron_parse(exprs[x], &e, NULL), 0);
			for (;;) {
				assert_int_equal(cron_next(&e, t, &next), 0);
				assert_true(next > t);
				if (next >= end)
					break;
				/* prev of a run is the run itself; prev just before it is earlier
				 */
				assert_int_equal(cron_prev(&e, next, &back), 0);
				assert_int_equal(back, next);
				assert_int_equal(cron_prev(&e, next - 1, &back), 0);
				assert_true(back < next);
				t = next;
				runs++;
			}
			assert_int_equal(runs, 365);
		}
	set_tz("UTC");
}

/* A valid-looking random field: "*", "*\/S", "A", "A-B", "A-B/S" or "A,B". */
static void random_field(char *out, size_t n, int lo, int hi, unsigned *seed)
{
	int a = lo + (int)(rand_r(seed) % (unsigned)(hi - lo + 1));
	int b = a + (int)(rand_r(seed) % (unsigned)(hi - a + 1));
	int step = 1 + (int)(rand_r(seed) % 7u);

	switch (rand_r(seed) % 6u) {
	case 0:
		snprintf(out, n, "*");
		break;
	case 1:
		snprintf(out, n, "*/%d", step);
		break;
	case 2:
		snprintf(out, n, "%d", a);
		break;
	case 3:
		snprintf(out, n, "%d-%d", a, b);
		break;
	case 4:
		snprintf(out, n, "%d-%d/%d", a, b, step);
		break;
	default:
		snprintf(out, n, "%d,%d", a, b);
		break;
	}
}

/* Whether broken-down time tm matches e, written independently of cron.c's search. */
static int brute_matches(const struct cron_expr *e, const struct tm *tm)
{
	int dom = (e->days >> tm->tm_mday) & 1, dow = (e->weekdays >> tm->tm_wday) & 1;
	int day = e->dom_star || e->dow_star ? dom && dow : dom || dow;

	return ((e->minutes >> tm->tm_min) & 1) && ((e->hours >> tm->tm_hour) & 1) &&
	       ((e->months >> (tm->tm_mon + 1)) & 1) && day;
}

/*
 * Random expressions against a minute-by-minute walk over two days, in UTC
 * and in New York away from its DST changes (where wall-clock minutes and
 * instants correspond one to one): cron_next must find the first match.
 */
static void test_next_matches_brute_force(void **state)
{
	static const struct {
		const char *tz, *start;
	} starts[] = {
		{"UTC", "2026-01-30T22:17:00Z"},
		{"UTC", "2028-02-27T10:00:30Z"},
		{NY, "2026-06-14T20:00:00-04:00"},
		{NY, "2026-12-31T12:00:00-05:00"},
	};
	unsigned seed = 20260308;
	int tried = 0, failures = 0;

	for (int i = 0; i < 300; i++) {
		char f[5][32], text[200];
		struct cron_expr e;

		random_field(f[0], sizeof(f[0]), 0, 59, &seed);
		random_field(f[1], sizeof(f[1]), 0, 23, &seed);
		random_field(f[2], sizeof(f[2]), 1, 31, &seed);
		random_field(f[3], sizeof(f[3]), 1, 12, &seed);
		random_field(f[4], sizeof(f[4]), 0, 7, &seed);
		snprintf(text, sizeof(text), "%s %s %s %s %s", f[0], f[1], f[2], f[3], f[4]);
		if (cron_parse(text, &e, NULL))
			continue; /* e.g. a day that never occurs in the chosen months */
		tried++;
		for (size_t k = 0; k < sizeof(starts) / sizeof(starts[0]); k++) {
			int64_t from = iso(starts[k].start), next = 0, expect = -1;
			int64_t t = (from / 60000 + 1) * 60000;

			set_tz(starts[k].tz);
			for (int m = 0; m < 2 * 1440 && expect < 0; m++, t += 60000) {
				time_t secs = (time_t)(t / 1000);
				struct tm tm;
				localtime_r(&secs, &tm);
				if (brute_matches(&e, &tm))
					expect = t;
			}
			assert_int_equal(cron_next(&e, from, &next), 0);
			if (expect >= 0 ? next != expect : next < t) {
				print_message(
					"'%s' (%s) after %s: cron_next %lld, brute force %lld\n",
					text, starts[k].tz, starts[k].start, (long long)next,
					(long long)expect);
				failures++;
			}
		}
	}
	set_tz("UTC");
	assert_true(tried > 150);
	assert_int_equal(failures, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_next_runs),
		cmocka_unit_test(test_prev_runs),
		cmocka_unit_test(test_invalid_expressions),
		cmocka_unit_test(test_parsed_fields),
		cmocka_unit_test(test_out_of_range_instants),
		cmocka_unit_test(test_daily_walk_across_year),
		cmocka_unit_test(test_next_matches_brute_force),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
