/*
 * retry.c: the retry policy and the Retry-After parser; see retry.h.
 */
#include "net/retry.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Statuses retried with backoff, and whether Retry-After governs them. */
static const struct {
	int status;
	int honours_retry_after;
} retryable_statuses[] = {
	{409, 0}, {429, 1}, {500, 0}, {502, 0}, {503, 0}, {504, 0}, {529, 1},
};

#define N_RETRYABLE (sizeof(retryable_statuses) / sizeof(retryable_statuses[0]))

void retry_policy_default(struct retry_policy *p)
{
	p->max_retries = RETRY_DEFAULT_MAX_RETRIES;
	p->base_ms = RETRY_DEFAULT_BASE_MS;
	p->max_backoff_ms = RETRY_DEFAULT_MAX_BACKOFF_MS;
	p->max_retry_after_ms = RETRY_DEFAULT_MAX_RETRY_AFTER_MS;
}

/* Index in retryable_statuses, or -1. */
static int find_status(int status)
{
	for (size_t i = 0; i < N_RETRYABLE; i++)
		if (retryable_statuses[i].status == status)
			return (int)i;
	return -1;
}

int retry_status_retryable(int http_status)
{
	return find_status(http_status) >= 0;
}

/* Capped exponential backoff with equal jitter: [d/2, d) for d = base*2^n. */
static int64_t backoff_delay(const struct retry_policy *p, int attempt, retry_rand_fn rand,
			     void *rand_ud)
{
	int64_t d = p->base_ms > 0 ? p->base_ms : 1;
	double r;

	for (int i = 0; i < attempt && d < p->max_backoff_ms; i++)
		d *= 2;
	if (p->max_backoff_ms > 0 && d > p->max_backoff_ms)
		d = p->max_backoff_ms;
	if (!rand)
		return d;
	r = rand(rand_ud);
	if (r < 0 || r >= 1)
		r = 0;
	return d / 2 + (int64_t)(r * (double)(d - d / 2));
}

int retry_decide(const struct retry_policy *p, const struct retry_attempt *a, retry_rand_fn rand,
		 void *rand_ud, int64_t *delay_ms)
{
	int idx = -1;
	int64_t wait;

	*delay_ms = 0;
	if (a->attempt >= p->max_retries)
		return 0;
	if (a->net == RETRY_NET_FATAL)
		return 0;
	if (a->net == RETRY_NET_NONE) {
		idx = find_status(a->http_status);
		if (idx < 0)
			return 0;
		if (retryable_statuses[idx].honours_retry_after && a->retry_after &&
		    retry_parse_retry_after(a->retry_after, a->now_ms, &wait) == 0) {
			if (wait > p->max_retry_after_ms)
				return 0;
			*delay_ms = wait;
			return 1;
		}
	}
	*delay_ms = backoff_delay(p, a->attempt, rand, rand_ud);
	return 1;
}

/* Parses delta-seconds with an optional fraction ("2", "0.5"). */
static int parse_seconds(const char *s, int64_t *delay_ms)
{
	int64_t whole = 0, frac = 0, scale = 100;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		whole = whole * 10 + (*p - '0');
		if (whole > 100000000)
			return -1;
	}
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		for (; isdigit((unsigned char)*p); p++) {
			frac += (*p - '0') * scale;
			scale /= 10;
		}
	}
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p)
		return -1;
	*delay_ms = whole * 1000 + frac;
	return 0;
}

static const char *const month_names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* Reads a three-letter month name; returns 0..11 or -1. */
static int read_month(const char **p)
{
	for (int i = 0; i < 12; i++) {
		if (strncmp(*p, month_names[i], 3) == 0) {
			*p += 3;
			return i;
		}
	}
	return -1;
}

/* Reads 1..max digits into *out; returns 0, or -1 if there is no digit. */
static int read_num(const char **p, int max, int *out)
{
	int v = 0, n = 0;

	while (n < max && isdigit((unsigned char)**p)) {
		v = v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	*out = v;
	return n ? 0 : -1;
}

static void skip_spaces(const char **p)
{
	while (**p == ' ')
		(*p)++;
}

/* Reads "HH:MM:SS". */
static int read_clock(const char **p, struct tm *tm)
{
	if (read_num(p, 2, &tm->tm_hour) || *(*p)++ != ':' || read_num(p, 2, &tm->tm_min) ||
	    *(*p)++ != ':' || read_num(p, 2, &tm->tm_sec))
		return -1;
	return tm->tm_hour > 23 || tm->tm_min > 59 || tm->tm_sec > 60 ? -1 : 0;
}

/*
 * Parses the three HTTP-date forms of RFC 9110 §5.6.7 into ms since the
 * epoch: "Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT"
 * and "Sun Nov  6 08:49:37 1994". Returns 0 or -1.
 */
static int parse_http_date(const char *s, int64_t *ms)
{
	const char *p = s;
	struct tm tm;
	int year = 0, mon = -1;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	while (isalpha((unsigned char)*p))
		p++;
	if (p == s)
		return -1;
	if (*p == ',') {
		p++;
		skip_spaces(&p);
		if (read_num(&p, 2, &tm.tm_mday))
			return -1;
		if (*p == ' ' || *p == '-') {
			char sep = *p++;
			if ((mon = read_month(&p)) < 0 || *p++ != sep)
				return -1;
			if (read_num(&p, 4, &year))
				return -1;
			if (sep == '-' && year < 100)
				year += year < 70 ? 2000 : 1900;
		} else {
			return -1;
		}
		skip_spaces(&p);
		if (read_clock(&p, &tm))
			return -1;
		skip_spaces(&p);
		if (strncmp(p, "GMT", 3) != 0)
			return -1;
		p += 3;
	} else {
		skip_spaces(&p);
		if ((mon = read_month(&p)) < 0)
			return -1;
		skip_spaces(&p);
		if (read_num(&p, 2, &tm.tm_mday))
			return -1;
		skip_spaces(&p);
		if (read_clock(&p, &tm))
			return -1;
		skip_spaces(&p);
		if (read_num(&p, 4, &year))
			return -1;
	}
	skip_spaces(&p);
	if (*p || tm.tm_mday < 1 || tm.tm_mday > 31 || year < 1970)
		return -1;
	tm.tm_mon = mon;
	tm.tm_year = year - 1900;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*ms = (int64_t)t * 1000;
	return 0;
}

int retry_parse_retry_after(const char *value, int64_t now_ms, int64_t *delay_ms)
{
	int64_t when;

	if (!value)
		return -1;
	while (*value == ' ' || *value == '\t')
		value++;
	if (parse_seconds(value, delay_ms) == 0)
		return 0;
	if (parse_http_date(value, &when) < 0)
		return -1;
	*delay_ms = when > now_ms ? when - now_ms : 0;
	return 0;
}
