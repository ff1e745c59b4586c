/*
 * ratelimit.c: the token bucket; see ratelimit.h. Tokens are a double so
 * that fractional rates (0.5 req/s) and refills between whole tokens work
 * without drift.
 */
#include "net/ratelimit.h"

#include <math.h>

void ratelimit_init(struct ratelimit *rl, double rate, double burst, int64_t now_ms)
{
	rl->rate = rate;
	rl->burst = burst < 1.0 ? 1.0 : burst;
	rl->tokens = rl->burst;
	rl->last_ms = now_ms;
}

/* Returns the level the bucket would have at now_ms (never above burst). */
static double level_at(const struct ratelimit *rl, int64_t now_ms)
{
	double level = rl->tokens;

	if (now_ms > rl->last_ms)
		level += (double)(now_ms - rl->last_ms) * rl->rate / 1000.0;
	return level > rl->burst ? rl->burst : level;
}

/* Milliseconds until a bucket at `level` reaches one whole token. */
static int64_t wait_for_token(const struct ratelimit *rl, double level)
{
	if (level >= 1.0)
		return 0;
	/* ceil so the caller never wakes a hair before the token exists */
	return (int64_t)ceil((1.0 - level) * 1000.0 / rl->rate - 1e-9);
}

int64_t ratelimit_reserve(struct ratelimit *rl, int64_t now_ms)
{
	int64_t wait;

	if (rl->rate <= 0)
		return 0;
	rl->tokens = level_at(rl, now_ms);
	if (now_ms > rl->last_ms)
		rl->last_ms = now_ms;
	wait = wait_for_token(rl, rl->tokens);
	rl->tokens -= 1.0;
	return wait;
}

int64_t ratelimit_peek(const struct ratelimit *rl, int64_t now_ms)
{
	if (rl->rate <= 0)
		return 0;
	return wait_for_token(rl, level_at(rl, now_ms));
}
