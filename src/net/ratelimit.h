/*
 * ratelimit.h: a token bucket for outgoing requests (SPEC §6: 3 requests/s
 * on average, small bursts). A pure state machine: the caller passes the
 * current time (a monotonic clock in ms), so tests drive it with a fake
 * clock and no sleeping. ratelimit_reserve() takes one token and says how
 * long the caller must wait before sending; tokens taken ahead of time make
 * the bucket go negative, so several waiters queue up fairly and the average
 * rate holds even if callers sleep a little longer than asked.
 *
 *   struct ratelimit rl;
 *   ratelimit_init(&rl, 3.0, 1.0, now_ms());
 *   sleep_ms(ratelimit_reserve(&rl, now_ms()));
 *   send();
 */
#ifndef NV_RATELIMIT_H
#define NV_RATELIMIT_H

#include <stdint.h>

struct ratelimit {
	double rate;	 /* tokens per second; <= 0 means unlimited */
	double burst;	 /* bucket capacity (>= 1) */
	double tokens;	 /* current level; negative while requests are queued */
	int64_t last_ms; /* clock value of the last refill */
};

/*
 * Sets up a full bucket. rate <= 0 disables limiting (every reserve returns
 * 0); burst < 1 is raised to 1 (one request must always be able to pass).
 */
void ratelimit_init(struct ratelimit *rl, double rate, double burst, int64_t now_ms);

/*
 * Takes one token at time now_ms and returns the number of milliseconds to
 * wait before the request may be sent (0 = send now). The token is taken
 * whether or not the caller waits. A clock that goes backwards counts as no
 * time passing.
 */
int64_t ratelimit_reserve(struct ratelimit *rl, int64_t now_ms);

/*
 * Milliseconds until a token would be available at now_ms, without taking
 * one (0 if a request could go now).
 */
int64_t ratelimit_peek(const struct ratelimit *rl, int64_t now_ms);

#endif
