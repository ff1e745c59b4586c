/*
 * breaker.h: a circuit breaker for the Notion client (SPEC §6). After
 * `threshold` consecutive failed requests (transport errors and 5xx
 * answers) it opens: requests fail fast without touching the network, so a
 * sync of many databases against a Notion outage ends in seconds instead of
 * retrying each one. After `cooldown_ms` it half-opens and lets exactly one
 * probe request through; a success closes it, a failure opens it again for
 * another cool-down. A pure state machine: the caller passes the time.
 */
#ifndef NV_BREAKER_H
#define NV_BREAKER_H

#include <stdint.h>

#define BREAKER_DEFAULT_THRESHOLD 5
#define BREAKER_DEFAULT_COOLDOWN_MS 30000

enum breaker_state { BREAKER_CLOSED = 0, BREAKER_OPEN, BREAKER_HALF_OPEN };

struct breaker {
	int threshold;	     /* consecutive failures that open the breaker */
	int64_t cooldown_ms; /* time open before a probe is allowed */
	enum breaker_state state;
	int failures;	   /* consecutive failures so far */
	int64_t opened_ms; /* when it last opened */
	int probe_out;	   /* half-open: the probe has been let through */
};

/* A closed breaker; threshold < 1 → default, cooldown_ms < 0 → default. */
void breaker_init(struct breaker *b, int threshold, int64_t cooldown_ms);

/*
 * Asks to send a request at now_ms. Returns 1 if it may go (closed, or the
 * single half-open probe), 0 to fail fast. Moves open → half-open once the
 * cool-down has passed.
 */
int breaker_allow(struct breaker *b, int64_t now_ms);

/* Reports that an allowed request succeeded: closes the breaker. */
void breaker_success(struct breaker *b);

/* Reports that an allowed request failed at now_ms. */
void breaker_failure(struct breaker *b, int64_t now_ms);

/* Milliseconds until an open breaker lets a probe through (0 if not open). */
int64_t breaker_retry_in(const struct breaker *b, int64_t now_ms);

/* "closed", "open" or "half-open". */
const char *breaker_state_name(enum breaker_state s);

#endif
