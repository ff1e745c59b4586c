/*
 * daemon.h: the scheduler behind `nvault daemon` (SPEC §7). One loop with
 * a periodic tick: it sleeps until the next cron time of
 * AGENT_MEMORY_NOTION_SYNC_SCHEDULE, runs sync_execute() with trigger
 * "schedule", and records next run, last run and result in the store's
 * scheduler state so `nvault status` in another process can show them.
 *
 * Signals only set flags: SIGTERM/SIGINT stop the loop (a sync in progress
 * stops after its current transaction and is recorded as interrupted);
 * SIGHUP reloads the sync config file, keeping the old one if the new one
 * is invalid. A run missed while no daemon was running (the most recent
 * scheduled time is later than the last recorded run) is made up once at
 * start-up.
 *
 * The daemon's clock is the wall clock unless NVAULT_TEST_NOW (an ISO time)
 * is set: then time starts there and advances NVAULT_TEST_TIME_SCALE times
 * faster than real time (default 1); NVAULT_TEST_CLOCK_STEP=AFTER:DELTA
 * (milliseconds) makes it jump by DELTA (negative: back) AFTER real ms, as
 * an NTP step or a manual date change does. It is used only for scheduling
 * decisions and the times recorded in the scheduler state, so tests can
 * put the daemon a few seconds before a scheduled run.
 */
#ifndef NV_DAEMON_H
#define NV_DAEMON_H

#include <stdint.h>

#include "sched/cron.h"
#include "store/store.h"
#include "util/err.h"

struct daemon_opts {
	const char *db_flag;	 /* --db, or NULL (borrowed) */
	const char *config_flag; /* --config, or NULL (borrowed) */
};

struct daemon_result {
	int disabled; /* scheduling was disabled: the daemon did nothing */
	int64_t runs; /* scheduled syncs started (including skipped ones) */
};

/*
 * Runs the scheduler in the foreground until SIGTERM or SIGINT, logging
 * (with timestamps) what it does. Returns NV_OK after a clean stop, and
 * also at once when scheduled sync is disabled (result->disabled set);
 * NV_ECONFIG for an invalid schedule, config file, missing NOTION_API_KEY
 * or bad test-clock variable; NV_ELOCKED when another live daemon is
 * recorded for the same store; store errors as they come. result may be
 * NULL.
 */
int daemon_run(const struct daemon_opts *opts, struct daemon_result *result, struct nv_err *err);

/* The daemon's clock (see above). */
struct daemon_clock {
	int64_t base_ms; /* test start time; 0 = use the wall clock */
	int64_t mono_start_ms;
	double scale;
	int64_t step_after_ms; /* test: real ms after start when the clock steps */
	int64_t step_ms;       /* test: by how much (negative = back); 0 = never */
};

/*
 * Sets up *clock from NVAULT_TEST_NOW / NVAULT_TEST_TIME_SCALE. Returns
 * NV_ECONFIG naming the variable when one is malformed.
 */
int daemon_clock_init(struct daemon_clock *clock, struct nv_err *err);
int64_t daemon_clock_now(const struct daemon_clock *clock);
/* Real milliseconds that pass while the daemon's clock advances by ms. */
int64_t daemon_clock_real_ms(const struct daemon_clock *clock, int64_t ms);

/*
 * Whether a scheduled run was missed while no daemon ran: the most recent
 * scheduled time at or before now is later than the last recorded run (or,
 * with no run recorded yet, not earlier than the next run a previous daemon
 * had planned). A store no daemon has written to has missed nothing. On
 * return *missed_at (optional) holds that scheduled time.
 */
int daemon_missed_run(const struct cron_expr *e, const struct sched_state *st, int64_t now_ms,
		      int64_t *missed_at);

/*
 * Whether the plan made at planned_at_ms must be made again at now_ms: the
 * clock went back (more than a second) since, so the planned run may lie
 * days ahead while earlier scheduled times are still to come.
 */
int daemon_clock_went_back(int64_t planned_at_ms, int64_t now_ms);

/* Whether process pid is alive (stale pids from a crashed daemon are not). */
int daemon_pid_alive(int64_t pid);

#endif
