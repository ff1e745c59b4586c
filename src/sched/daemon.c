/*
 * daemon.c: the scheduler loop behind `nvault daemon`; see daemon.h.
 *
 * Shape (after redis's serverCron): one loop that wakes at least once per
 * TICK_MS, looks at the flags the signal handlers set (stop, reload), and
 * starts a sync when the daemon clock has reached the next cron time. The
 * sync itself runs in this thread; the stop flag is handed to the engine,
 * which finishes its current transaction and returns NV_EINTERRUPTED.
 * Every decision is written to the store's scheduler state (next run, last
 * run and result, running + pid) so other processes can see it.
 */
#include "sched/daemon.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "sync/sync.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define TICK_MS 1000
#define LOCAL_TIME_MAX 64

/*
 * Set by the signal handlers, read by the loop. stop_requested is an
 * _Atomic int (lock-free, so safe in a signal handler) because the sync
 * engine takes its stop flag as `_Atomic int *`: the flag is set on one
 * thread and read on another.
 */
static _Atomic int stop_requested;
static volatile sig_atomic_t stop_signal;
static volatile sig_atomic_t reload_requested;

static void on_stop_signal(int sig)
{
	stop_requested = 1;
	stop_signal = sig;
}

static void on_reload_signal(int sig)
{
	(void)sig;
	reload_requested = 1;
}

struct saved_signals {
	struct sigaction term, intr, hup;
};

/* No SA_RESTART: a signal interrupts the loop's sleep at once. */
static void install_signals(struct saved_signals *saved)
{
	struct sigaction sa;

	stop_requested = 0;
	stop_signal = 0;
	reload_requested = 0;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop_signal;
	sigaction(SIGTERM, &sa, &saved->term);
	sigaction(SIGINT, &sa, &saved->intr);
	sa.sa_handler = on_reload_signal;
	sigaction(SIGHUP, &sa, &saved->hup);
}

static void restore_signals(const struct saved_signals *saved)
{
	sigaction(SIGTERM, &saved->term, NULL);
	sigaction(SIGINT, &saved->intr, NULL);
	sigaction(SIGHUP, &saved->hup, NULL);
}

/* ---- the daemon ------------------------------------------------------------ */

struct daemon {
	struct daemon_clock clock;
	struct settings settings;
	int settings_ready;
	struct config *cfg;
	struct cron_expr cron;
	struct store *store; /* open only during a run or a state write */
	struct sched_state state;
	int64_t next_ms;
	int64_t planned_at_ms; /* daemon time when next_ms was planned */
	int64_t runs;
	/* identity (device, inode) of the store file the daemon last opened */
	dev_t store_dev;
	ino_t store_ino;
	int store_known;
	int store_noted; /* a change seen on a tick was logged */
};

/*
 * The store's identity (device, inode) is recorded when it is opened and
 * checked on every tick, before every state write and around every run.
 * When the file at the path was removed or replaced (a restored backup),
 * the connection to the old file is closed at once (its last close
 * checkpoints into the old file and removes the -wal it left at the path,
 * which would otherwise be replayed onto the new file) and nothing more is
 * written to it. Each run opens the store afresh; a missing store is not
 * created again (that would start an empty backup behind the user's back).
 */
static int store_identity(const char *path, dev_t *dev, ino_t *ino)
{
	struct stat sb;

	if (stat(path, &sb))
		return -1;
	*dev = sb.st_dev;
	*ino = sb.st_ino;
	return 0;
}

/* Whether the open store is still the file at the path. */
static int store_unchanged(struct daemon *d)
{
	dev_t dev;
	ino_t ino;

	return d->store_known && store_identity(d->settings.db_path, &dev, &ino) == 0 &&
	       dev == d->store_dev && ino == d->store_ino;
}

static int open_store(struct daemon *d, struct nv_err *err)
{
	dev_t dev;
	ino_t ino;

	if (d->store)
		return NV_OK;
	if (store_identity(d->settings.db_path, &dev, &ino))
		return nv_err_set(err, NV_ENOTFOUND,
				  "the store %s is gone (removed or moved away while the daemon "
				  "runs); not creating an empty one: restore it (see "
				  "docs/daemon.md, \"Restoring a backup\") or restart the daemon",
				  d->settings.db_shown);
	if (store_open(d->settings.db_path, STORE_NO_CREATE, &d->store, err))
		return err->code;
	d->store_dev = dev;
	d->store_ino = ino;
	d->store_known = 1;
	d->store_noted = 0;
	if (!store_unchanged(d)) {
		store_close(d->store);
		d->store = NULL;
		return nv_err_set(err, NV_EIO, "the store %s was replaced while being opened",
				  d->settings.db_shown);
	}
	return NV_OK;
}

static void close_store(struct daemon *d)
{
	store_close(d->store);
	d->store = NULL;
}

/* On each tick (and before each use): lets go of a store that changed under the daemon. */
static void watch_store(struct daemon *d)
{
	dev_t dev;
	ino_t ino;

	if (d->store_noted || !d->store_known)
		return;
	if (store_identity(d->settings.db_path, &dev, &ino)) {
		log_error("the store %s is gone (removed or moved away under the daemon); "
			  "nothing more is written to it, and scheduled runs are skipped until "
			  "it is back",
			  d->settings.db_shown);
		d->store_noted = 1;
		close_store(d);
	} else if (dev != d->store_dev || ino != d->store_ino) {
		log_warn("the store %s was replaced under the daemon (a restored backup?); "
			 "nothing more is written to the old file, the next run opens the new "
			 "one",
			 d->settings.db_shown);
		d->store_noted = 1;
		close_store(d);
	}
}

/* "2026-03-08T03:00:00-0400": a time as the local wall clock shows it. */
static const char *local_time(int64_t ms, char *out)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!localtime_r(&t, &tm) || !strftime(out, LOCAL_TIME_MAX, "%Y-%m-%dT%H:%M:%S%z", &tm))
		return time_format_iso(ms, out);
	return out;
}

static void set_time_field(char **field, int64_t ms)
{
	char iso[TIME_ISO_MAX];

	free(*field);
	*field = xstrdup(time_format_iso(ms, iso));
}

static void set_string_field(char **field, const char *value)
{
	free(*field);
	*field = xstrdup(value);
}

/* Writes the scheduler state; a failure is logged, not fatal (the next write may work). */
static void save_state(struct daemon *d)
{
	struct nv_err err;

	nv_err_clear(&err);
	watch_store(d);
	if (open_store(d, &err)) {
		log_warn("could not record the scheduler state: %s", err.msg);
		return;
	}
	if (store_sched_state_put(d->store, &d->state, &err))
		log_warn("could not record the scheduler state: %s", err.msg);
}

static void plan_next_run(struct daemon *d)
{
	char local[LOCAL_TIME_MAX];
	int64_t now = daemon_clock_now(&d->clock);

	d->planned_at_ms = now;
	if (cron_next(&d->cron, now, &d->next_ms)) {
		/* cannot happen for a parsed expression; retry in a day rather than spin */
		d->next_ms = now + 86400000;
		log_error("no next run found for schedule '%s'", d->settings.schedule);
	}
	set_time_field(&d->state.next_run, d->next_ms);
	save_state(d);
	log_info("next run at %s (schedule '%s')", local_time(d->next_ms, local),
		 d->settings.schedule);
}

/* Appends "name (id): status: first error" for each database that did not succeed. */
static void describe_failures(const struct sync_report *rep, struct buf *out)
{
	for (size_t i = 0; i < rep->n; i++) {
		const struct sync_db_result *r = &rep->dbs[i];
		json_t *first = r->errors ? json_array_get(r->errors, 0) : NULL;

		if (r->status && !strcmp(r->status, "success"))
			continue;
		buf_addf(out, "%s%s (%s): %s", out->len ? "; " : "", r->name ? r->name : "database",
			 r->database_id ? r->database_id : "?", r->status ? r->status : "failed");
		if (json_is_string(first))
			buf_addf(out, ": %s", json_string_value(first));
	}
}

static void log_success(const struct sync_report *rep)
{
	int64_t created = 0, updated = 0, unchanged = 0, deleted = 0, restored = 0, conflicts = 0;

	for (size_t i = 0; i < rep->n; i++) {
		created += rep->dbs[i].created;
		updated += rep->dbs[i].updated;
		unchanged += rep->dbs[i].unchanged;
		deleted += rep->dbs[i].deleted;
		restored += rep->dbs[i].restored;
		conflicts += rep->dbs[i].conflicts;
	}
	log_info("scheduled sync succeeded: %zu database(s); %lld created, %lld updated, "
		 "%lld unchanged, %lld deleted, %lld restored, %lld conflicts",
		 rep->n, (long long)created, (long long)updated, (long long)unchanged,
		 (long long)deleted, (long long)restored, (long long)conflicts);
}

/*
 * Runs the sync scheduled for scheduled_ms (catch_up: made up at start-up)
 * and records its outcome as the last run.
 */
static void run_scheduled_sync(struct daemon *d, int64_t scheduled_ms, int catch_up)
{
	char local[LOCAL_TIME_MAX];
	struct sync_opts so;
	struct sync_report rep;
	struct nv_err err;
	struct buf msg = BUF_INIT;
	int rc;

	memset(&so, 0, sizeof(so));
	memset(&rep, 0, sizeof(rep));
	nv_err_clear(&err);
	so.trigger = "schedule";
	so.stop = &stop_requested;
	d->runs++;
	set_time_field(&d->state.last_run, daemon_clock_now(&d->clock));
	log_info("starting the %ssync scheduled for %s", catch_up ? "catch-up " : "",
		 local_time(scheduled_ms, local));
	/* a fresh connection per run: never a stale handle on a file that changed */
	watch_store(d);
	close_store(d);
	if ((rc = open_store(d, &err))) {
		buf_addf(&msg, "skipped: %s", err.msg);
		log_error("scheduled sync %s", msg.data);
		goto record;
	}
	rc = sync_execute(d->store, d->cfg, &d->settings, &so, &rep, &err);
	if (!store_unchanged(d)) {
		rc = nv_err_set(&err, NV_EIO,
				"the store %s was removed or replaced during the run; what the run "
				"wrote went to the old file",
				d->settings.db_shown);
		close_store(d);
	}
	switch (rc) {
	case NV_OK:
		log_success(&rep);
		break;
	case NV_ELOCKED:
		buf_addf(&msg, "skipped: %s", err.msg[0] ? err.msg : "another sync holds the lock");
		log_warn("scheduled sync %s", msg.data);
		break;

	case NV_EINTERRUPTED:
		buf_addf(&msg, "interrupted: the daemon was stopped (%s) during the sync",
			 stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
		log_warn("scheduled sync %s", msg.data);
		break;
	case NV_ERR:
		buf_adds(&msg, "failed: ");
		describe_failures(&rep, &msg);
		if (msg.len == strlen("failed: "))
			buf_adds(&msg, err.msg[0] ? err.msg : "the sync failed");
		log_error("scheduled sync %s", msg.data);
		break;
	default:
		buf_addf(&msg, "failed: %s",
			 err.msg[0] ? err.msg : nv_status_name((enum nv_status)rc));
		log_error("scheduled sync %s", msg.data);
		break;
	}
record:
	d->state.last_run_success = rc == NV_OK;
	free(d->state.last_run_error);
	d->state.last_run_error = rc == NV_OK ? NULL : buf_detach(&msg);
	buf_release(&msg);
	sync_report_release(&rep);
	save_state(d);
}

/* SIGHUP: reloads the sync config file; a bad file leaves the running one in place. */
static void reload_config(struct daemon *d)
{
	struct config *cfg = NULL;
	struct nv_err err;
	size_t enabled = 0;

	nv_err_clear(&err);
	log_info("SIGHUP: reloading %s", d->settings.config_path);
	if (config_load(d->settings.config_path, &cfg, &err)) {
		log_error("reload failed, keeping the previous configuration: %s", err.msg);
		return;
	}
	config_free(d->cfg);
	d->cfg = cfg;
	for (size_t i = 0; i < cfg->n_dbs; i++)
		enabled += cfg->dbs[i].sync_enabled != 0;
	log_info("configuration reloaded: %zu database(s), %zu enabled for sync", cfg->n_dbs,
		 enabled);
}

static void daemon_release(struct daemon *d)
{
	sched_state_release(&d->state);
	store_close(d->store);
	config_free(d->cfg);
	if (d->settings_ready)
		settings_release(&d->settings);
}

/* Records that scheduling is off (for `nvault status`); best effort. */
static void record_disabled(struct daemon *d)
{
	struct nv_err err;

	nv_err_clear(&err);
	if (store_open(d->settings.db_path, 0, &d->store, &err) ||
	    store_sched_state_get(d->store, &d->state, &err)) {
		log_warn("could not record the scheduler state: %s", err.msg);
		return;
	}
	if (store_identity(d->settings.db_path, &d->store_dev, &d->store_ino) == 0)
		d->store_known = 1;
	d->state.enabled = 0;
	if (!daemon_pid_alive(d->state.pid) || d->state.pid == (int64_t)getpid()) {
		d->state.running = 0;
		d->state.pid = 0;
	}
	set_string_field(&d->state.schedule, d->settings.schedule);
	free(d->state.next_run);
	d->state.next_run = NULL;
	save_state(d);
}

/* Everything that can refuse a start: settings, schedule, token, config, store, other daemon. */
static int daemon_start(struct daemon *d, const struct daemon_opts *opts, struct daemon_result *res,
			struct nv_err *err)
{
	struct nv_err cron_err;
	int rc;

	nv_err_clear(&cron_err);
	if ((rc = daemon_clock_init(&d->clock, err)))
		return rc;
	if ((rc = settings_resolve(&d->settings, opts->db_flag, opts->config_flag, err)))
		return rc;
	d->settings_ready = 1;
	if (!d->settings.sync_enabled) {
		log_info("scheduled sync is disabled (AGENT_MEMORY_NOTION_SYNC_ENABLED=%s); "
			 "nothing to do, exiting",
			 getenv("AGENT_MEMORY_NOTION_SYNC_ENABLED")
				 ? getenv("AGENT_MEMORY_NOTION_SYNC_ENABLED")
				 : "unset, and no schedule");
		res->disabled = 1;
		record_disabled(d);
		return NV_OK;
	}
	if (!d->settings.schedule)
		return nv_err_set(
			err, NV_ECONFIG,
			"AGENT_MEMORY_NOTION_SYNC_ENABLED is true but "
			"AGENT_MEMORY_NOTION_SYNC_SCHEDULE is empty; set a cron expression "
			"such as '0 5 * * *'");
	if (cron_parse(d->settings.schedule, &d->cron, &cron_err))
		return nv_err_set(err, NV_ECONFIG, "AGENT_MEMORY_NOTION_SYNC_SCHEDULE: %s",
				  cron_err.msg);
	if ((rc = config_load(d->settings.config_path, &d->cfg, err)))
		return rc;
	if ((rc = settings_require_token(&d->settings, d->cfg,
					 "in the environment of the daemon (see "
					 "contrib/nvault.service)",
					 err)))
		return rc;
	if ((rc = store_open(d->settings.db_path, 0, &d->store, err)))
		return rc;
	if ((rc = store_sched_state_get(d->store, &d->state, err)))
		return rc;
	if (store_identity(d->settings.db_path, &d->store_dev, &d->store_ino) == 0)
		d->store_known = 1;
	if (d->state.running && d->state.pid != (int64_t)getpid()) {
		if (daemon_pid_alive(d->state.pid))
			return nv_err_set(
				err, NV_ELOCKED,
				"another nvault daemon (pid %lld) is already running for %s",
				(long long)d->state.pid, d->settings.db_shown);
		log_warn("the previous daemon (pid %lld) did not stop cleanly; taking over",
			 (long long)d->state.pid);
	}
	return NV_OK;
}

int daemon_run(const struct daemon_opts *opts, struct daemon_result *result, struct nv_err *err)
{
	struct daemon d;
	struct daemon_result dummy;
	struct saved_signals saved;
	char local[LOCAL_TIME_MAX];
	int64_t missed_at = 0;
	int rc, missed;

	if (!result)
		result = &dummy;
	memset(result, 0, sizeof(*result));
	memset(&d, 0, sizeof(d));
	sched_state_init(&d.state);
	if ((rc = daemon_start(&d, opts, result, err)) || result->disabled)
		goto out;

	install_signals(&saved);
	missed = daemon_missed_run(&d.cron, &d.state, daemon_clock_now(&d.clock), &missed_at);
	d.state.enabled = 1;
	d.state.running = 1;
	d.state.pid = (int64_t)getpid();
	set_string_field(&d.state.schedule, d.settings.schedule);
	log_info("daemon started (pid %lld), store %s, schedule '%s' in local time (%s), "
		 "%zu database(s) configured",
		 (long long)d.state.pid, d.settings.db_shown, d.settings.schedule,
		 getenv("TZ") && *getenv("TZ") ? getenv("TZ") : "system zone", d.cfg->n_dbs);
	if (missed) {
		log_info("the run scheduled for %s was missed while no daemon was running; "
			 "catching up now",
			 local_time(missed_at, local));
		save_state(&d);
		run_scheduled_sync(&d, missed_at, 1);
	}
	if (!stop_requested)
		plan_next_run(&d);

	while (!stop_requested) {
		int64_t now, wait;

		if (reload_requested) {
			reload_requested = 0;
			reload_config(&d);
		}
		watch_store(&d);
		now = daemon_clock_now(&d.clock);
		if (daemon_clock_went_back(d.planned_at_ms, now)) {
			log_warn("the clock went back by %lld s since the next run was planned; "
				 "planning it again",
				 (long long)((d.planned_at_ms - now) / 1000));
			plan_next_run(&d);
			continue;
		}
		if (now >= d.next_ms) {
			run_scheduled_sync(&d, d.next_ms, 0);
			if (!stop_requested)
				plan_next_run(&d);
			continue;
		}
		wait = daemon_clock_real_ms(&d.clock, d.next_ms - now);
		time_sleep_ms(wait < TICK_MS ? wait : TICK_MS, &stop_requested);
	}

	log_info("received %s; stopping", stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
	d.state.running = 0;
	d.state.pid = 0;
	save_state(&d);
	result->runs = d.runs;
	restore_signals(&saved);
out:
	daemon_release(&d);
	return rc;
}
