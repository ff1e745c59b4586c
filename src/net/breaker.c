/*
 * breaker.c: the circuit breaker state machine; see breaker.h.
 */
#include "net/breaker.h"

static const char *const state_names[] = {
	[BREAKER_CLOSED] = "closed",
	[BREAKER_OPEN] = "open",
	[BREAKER_HALF_OPEN] = "half-open",
};

void breaker_init(struct breaker *b, int threshold, int64_t cooldown_ms)
{
	b->threshold = threshold < 1 ? BREAKER_DEFAULT_THRESHOLD : threshold;
	b->cooldown_ms = cooldown_ms < 0 ? BREAKER_DEFAULT_COOLDOWN_MS : cooldown_ms;
	b->state = BREAKER_CLOSED;
	b->failures = 0;
	b->opened_ms = 0;
	b->probe_out = 0;
}

int breaker_allow(struct breaker *b, int64_t now_ms)
{
	switch (b->state) {
	case BREAKER_CLOSED:
		return 1;
	case BREAKER_OPEN:
		if (now_ms - b->opened_ms < b->cooldown_ms)
			return 0;
		b->state = BREAKER_HALF_OPEN;
		b->probe_out = 1;
		return 1;
	case BREAKER_HALF_OPEN:
		/* one probe at a time; its outcome decides the state */
		if (b->probe_out)
			return 0;
		b->probe_out = 1;
		return 1;
	}
	return 0;
}

void breaker_success(struct breaker *b)
{
	b->state = BREAKER_CLOSED;
	b->failures = 0;
	b->probe_out = 0;
}

void breaker_failure(struct breaker *b, int64_t now_ms)
{
	b->probe_out = 0;
	if (b->state == BREAKER_HALF_OPEN) {
		b->state = BREAKER_OPEN;
		b->opened_ms = now_ms;
		return;
	}
	if (b->state == BREAKER_OPEN)
		return; /* a request allowed before it opened; keep the cool-down */
	if (++b->failures >= b->threshold) {
		b->state = BREAKER_OPEN;
		b->opened_ms = now_ms;
	}
}

int64_t breaker_retry_in(const struct breaker *b, int64_t now_ms)
{
	int64_t left;

	if (b->state != BREAKER_OPEN)
		return 0;
	left = b->opened_ms + b->cooldown_ms - now_ms;
	return left > 0 ? left : 0;
}

const char *breaker_state_name(enum breaker_state s)
{
	return (unsigned)s < sizeof(state_names) / sizeof(state_names[0]) ? state_names[s] : "?";
}
