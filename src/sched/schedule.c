/*
 * schedule.c: the pure parts of the daemon (see daemon.h): its clock, which
 * tests can start at a chosen time and speed up, and the catch-up decision.
 * Kept apart from daemon.c so unit tests link them without the sync engine.
 */
#include "sched/daemon.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "util/timeutil.h"

/* ---- clock ---------------------------------------------------------------- */

int daemon_clock_init(struct daemon_clock *clock, struct nv_err *err)
{
	const char *now = getenv("NVAULT_TEST_NOW");
	const char *scale = getenv("NVAULT_TEST_TIME_SCALE");
	const char *step = getenv("NVAULT_TEST_CLOCK_STEP");

	memset(clock, 0, sizeof(*clock));
	clock->scale = 1.0;
	clock->mono_start_ms = time_mono_ms();
	if (now && *now && time_parse_iso(now, &clock->base_ms))
		return nv_err_set(err, NV_ECONFIG,
				  "NVAULT_TEST_NOW=%s is not an ISO 8601 time "
				  "(e.g. 2026-03-08T04:59:57-05:00)",
				  now);
	if (now && *now && clock->base_ms <= 0)
		return nv_err_set(err, NV_ECONFIG, "NVAULT_TEST_NOW=%s is before 1970", now);
	if (scale && *scale) {
		char *end;
		errno = 0;
		clock->scale = strtod(scale, &end);
		if (errno || end == scale || *end || !(clock->scale > 0) || clock->scale > 1e6)
			return nv_err_set(err, NV_ECONFIG,
					  "NVAULT_TEST_TIME_SCALE=%s is not a speed factor "
					  "(a number above 0, at most 1000000)",
					  scale);
		if (!clock->base_ms)
			clock->base_ms = time_now_ms(); /* speed up from the real now */
	}
	if (step && *step) {
		long long after, delta;
		int used = 0;

		if (sscanf(step, "%lld:%lld%n", &after, &delta, &used) != 2 || step[used] ||
		    after < 0)
			return nv_err_set(err, NV_ECONFIG,
					  "NVAULT_TEST_CLOCK_STEP=%s is not AFTER_MS:DELTA_MS "
					  "(e.g. 500:-172800000)",
					  step);
		clock->step_after_ms = after;
		clock->step_ms = delta;
		if (!clock->base_ms)
			clock->base_ms = time_now_ms();
	}
	return NV_OK;
}

int64_t daemon_clock_now(const struct daemon_clock *clock)
{
	int64_t real;

	if (!clock->base_ms)
		return time_now_ms();
	real = time_mono_ms() - clock->mono_start_ms;
	return clock->base_ms + (int64_t)((double)real * clock->scale) +
	       (clock->step_ms && real >= clock->step_after_ms ? clock->step_ms : 0);
}

int64_t daemon_clock_real_ms(const struct daemon_clock *clock, int64_t ms)
{
	if (!clock->base_ms || clock->scale == 1.0)
		return ms;
	return (int64_t)((double)ms / clock->scale) + 1;
}

/* ---- decisions ------------------------------------------------------------ */

int daemon_missed_run(const struct cron_expr *e, const struct sched_state *st, int64_t now_ms,
		      int64_t *missed_at)
{
	int64_t prev, last, planned;

	if (cron_prev(e, now_ms, &prev))
		return 0;
	if (missed_at)
		*missed_at = prev;
	if (st->last_run && !time_parse_iso(st->last_run, &last))
		return last < prev;
	if (st->next_run && !time_parse_iso(st->next_run, &planned))
		return planned <= prev;
	return 0;
}

int daemon_clock_went_back(int64_t planned_at_ms, int64_t now_ms)
{
	return now_ms < planned_at_ms - 1000;
}

int daemon_pid_alive(int64_t pid)
{
	if (pid <= 0 || pid != (int64_t)(pid_t)pid)
		return 0;
	return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}
