/*
 * retry.h: the retry policy for Notion requests (SPEC §6, notion-api.md §5
 * and §6). A pure function of its inputs: the HTTP status or transport
 * failure of one attempt, how many retries were already made, the
 * Retry-After header, the current wall-clock time (for HTTP-date values)
 * and a random source for jitter. No clock is read and nothing sleeps, so
 * the tests are deterministic.
 *
 * Rules:
 *   - 429 and 529 wait for Retry-After (delta-seconds, fractions allowed,
 *     or an HTTP-date); without a usable header they back off like a 5xx.
 *     A Retry-After longer than max_retry_after_ms is not waited out: the
 *     request fails, so a sync never hangs for an hour on one answer.
 *   - 409, 500, 502, 503, 504 and transport failures (timeout, refused or
 *     reset connection, empty or truncated reply, unparsable body) back off
 *     exponentially: base * 2^attempt, capped at max_backoff_ms, with
 *     "equal jitter" (a random point in the upper half of that delay).
 *   - Everything else (400, 401, 403, 404, other 4xx, TLS errors, ...) is
 *     never retried.
 *   - At most max_retries retries per request.
 */
#ifndef NV_RETRY_H
#define NV_RETRY_H

#include <stdint.h>

#define RETRY_DEFAULT_MAX_RETRIES 3
#define RETRY_DEFAULT_BASE_MS 1000
#define RETRY_DEFAULT_MAX_BACKOFF_MS 30000
#define RETRY_DEFAULT_MAX_RETRY_AFTER_MS 120000

/* What went wrong below HTTP (RETRY_NET_NONE when a status arrived). */
enum retry_net {
	RETRY_NET_NONE = 0,
	RETRY_NET_TIMEOUT,   /* connect or transfer timed out */
	RETRY_NET_CONNECT,   /* refused, unreachable, name not resolved */
	RETRY_NET_RESET,     /* connection dropped or reset, empty reply */
	RETRY_NET_TRUNCATED, /* body shorter than announced, or not parsable */
	RETRY_NET_FATAL,     /* TLS, protocol or local errors: never retried */
};

struct retry_policy {
	int max_retries;	    /* retries after the first attempt */
	int64_t base_ms;	    /* first backoff step */
	int64_t max_backoff_ms;	    /* cap on one backoff delay */
	int64_t max_retry_after_ms; /* longest Retry-After honoured */
};

struct retry_attempt {
	int http_status; /* 0 when net != RETRY_NET_NONE */
	enum retry_net net;
	int attempt;		 /* retries already made for this request (0 first) */
	const char *retry_after; /* header value, or NULL */
	int64_t now_ms;		 /* wall clock (ms since epoch) for HTTP-dates */
};

/* Returns a uniformly random number in [0, 1). */
typedef double (*retry_rand_fn)(void *ud);

/* Fills p with the defaults above. */
void retry_policy_default(struct retry_policy *p);

/*
 * Decides about one failed attempt. Returns 1 and sets *delay_ms when the
 * request should be sent again after that delay, 0 when it must fail now.
 * rand may be NULL (no jitter: the full backoff delay is used).
 */
int retry_decide(const struct retry_policy *p, const struct retry_attempt *a, retry_rand_fn rand,
		 void *rand_ud, int64_t *delay_ms);

/* 1 if the status is one the policy would retry (ignoring the attempt count). */
int retry_status_retryable(int http_status);

/*
 * Parses a Retry-After value: delta-seconds ("2", "1.5") or an IMF-fixdate
 * HTTP-date ("Wed, 21 Oct 2015 07:28:00 GMT", also the obsolete RFC 850 and
 * asctime forms). Returns 0 and sets *delay_ms (dates in the past give 0),
 * or -1 if the value is neither.
 */
int retry_parse_retry_after(const char *value, int64_t now_ms, int64_t *delay_ms);

#endif
