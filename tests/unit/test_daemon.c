/*
 * test_daemon.c: the daemon's pure parts (src/sched/schedule.c): the
 * catch-up decision, the injectable test clock and the stale-pid check;
 * and the status document (app_status_json() in src/app) read from a real SQLite
 * store. The loop itself runs in tests/integration/test_daemon.sh against
 * the real binary and the fake Notion server.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "sched/cron.h"
#include "sched/daemon.h"
#include "app/app.h"
#include "store/store.h"
#include "util/err.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

static int64_t iso(const char *s)
{
	int64_t ms;

	assert_int_equal(time_parse_iso(s, &ms), 0);
	return ms;
}

static int missed(const char *last_run, const char *next_run, const char *now, int64_t *at)
{
	struct cron_expr e;
	struct sched_state st;

	memset(&st, 0, sizeof(st));
	st.last_run = (char *)last_run;
	st.next_run = (char *)next_run;
	assert_int_equal(cron_parse("0 5 * * *", &e, NULL), 0);
	return daemon_missed_run(&e, &st, iso(now), at);
}

static void test_missed_run(void **state)
{
	int64_t at = 0;

	setenv("TZ", "UTC", 1);
	tzset();
	/* nothing recorded: a first start has missed nothing */
	assert_false(missed(NULL, NULL, "2026-01-10T12:00:00Z", NULL));
	/* last run yesterday 05:00, now 12:00: today's 05:00 was missed */
	assert_true(missed("2026-01-09T05:00:00.120Z", "2026-01-10T05:00:00Z",
			   "2026-01-10T12:00:00Z", &at));
	assert_int_equal(at, iso("2026-01-10T05:00:00Z"));
	/* last run today 05:00 (a little after the time): nothing missed */
	assert_false(missed("2026-01-10T05:00:00.120Z", "2026-01-11T05:00:00Z",
			    "2026-01-10T12:00:00Z", NULL));
	/* down for a week: one catch-up, for the most recent time */
	assert_true(missed("2026-01-03T05:00:01Z", NULL, "2026-01-10T04:00:00Z", &at));
	assert_int_equal(at, iso("2026-01-09T05:00:00Z"));
	/* a caught-up run at 12:00 counts as the 05:00 run */
	assert_false(missed("2026-01-10T12:00:00Z", NULL, "2026-01-10T13:00:00Z", NULL));
	/* never ran, but a daemon had planned 05:00 and was down then */
	assert_true(missed(NULL, "2026-01-10T05:00:00Z", "2026-01-10T06:00:00Z", NULL));
	/* never ran, restarted before the planned time */
	assert_false(missed(NULL, "2026-01-10T05:00:00Z", "2026-01-10T04:59:00Z", NULL));
	/* exactly at the scheduled minute counts as due */
	assert_true(missed("2026-01-09T05:00:00Z", NULL, "2026-01-10T05:00:00Z", NULL));
	/* garbage in the store is ignored rather than trusted */
	assert_false(missed("yesterday", NULL, "2026-01-10T12:00:00Z", NULL));
}

static void test_clock_real(void **state)
{
	struct daemon_clock c;
	int64_t before;

	unsetenv("NVAULT_TEST_NOW");
	unsetenv("NVAULT_TEST_TIME_SCALE");
	before = time_now_ms();
	assert_int_equal(daemon_clock_init(&c, NULL), 0);
	assert_true(daemon_clock_now(&c) >= before);
	assert_true(daemon_clock_now(&c) - before < 600000); /* the real clock, not a test one */
	assert_int_equal(daemon_clock_real_ms(&c, 1234), 1234);
}

static void test_clock_injected(void **state)
{
	struct daemon_clock c;
	struct nv_err err;
	int64_t t0, t1;

	setenv("NVAULT_TEST_NOW", "2026-03-08T01:59:58-05:00", 1);
	setenv("NVAULT_TEST_TIME_SCALE", "60", 1);
	assert_int_equal(daemon_clock_init(&c, NULL), 0);
	t0 = daemon_clock_now(&c);
	assert_true(t0 >= iso("2026-03-08T06:59:58Z"));
	assert_true(t0 < iso("2026-03-08T07:00:28Z"));
	time_sleep_ms(100, NULL);
	t1 = daemon_clock_now(&c);
	/* 100 ms real at 60x is about 6 s of daemon time */
	assert_true(t1 - t0 >= 5900);
	assert_true(t1 - t0 < 60000);
	assert_int_equal(daemon_clock_real_ms(&c, 60000), 1001);

	nv_err_clear(&err);
	setenv("NVAULT_TEST_NOW", "soon", 1);
	assert_int_equal(daemon_clock_init(&c, &err), NV_ECONFIG);
	assert_non_null(strstr(err.msg, "NVAULT_TEST_NOW=soon"));
	setenv("NVAULT_TEST_NOW", "2026-01-01T00:00:00Z", 1);
	setenv("NVAULT_TEST_TIME_SCALE", "0", 1);
	assert_int_equal(daemon_clock_init(&c, &err), NV_ECONFIG);
	assert_non_null(strstr(err.msg, "NVAULT_TEST_TIME_SCALE=0"));
	setenv("NVAULT_TEST_TIME_SCALE", "fast", 1);
	assert_int_equal(daemon_clock_init(&c, &err), NV_ECONFIG);
	unsetenv("NVAULT_TEST_NOW");
	unsetenv("NVAULT_TEST_TIME_SCALE");
}

/*
 * Issue 15 #8: a backward step of the clock (2 days) after the next run was
 * planned: the plan must be made again, or the runs of the two repeated days
 * are skipped. The injected clock steps as NVAULT_TEST_CLOCK_STEP says.
 */
static void test_clock_step_back_replans(void **state)
{
	struct daemon_clock c;
	struct cron_expr e;
	struct nv_err err;
	int64_t planned_at, next, now, replanned;

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	assert_int_equal(cron_parse("0 5 * * *", &e, &err), 0);
	setenv("NVAULT_TEST_NOW", "2026-03-12T04:59:00Z", 1);
	setenv("NVAULT_TEST_CLOCK_STEP", "50:-172800000", 1);
	assert_int_equal(daemon_clock_init(&c, &err), 0);
	planned_at = daemon_clock_now(&c);
	assert_int_equal(cron_next(&e, planned_at, &next), 0);
	assert_int_equal(next, iso("2026-03-12T05:00:00Z"));
	assert_false(daemon_clock_went_back(planned_at, planned_at));
	time_sleep_ms(120, NULL);
	now = daemon_clock_now(&c);
	assert_true(now < iso("2026-03-10T05:00:00Z"));
	assert_true(daemon_clock_went_back(planned_at, now));
	assert_int_equal(cron_next(&e, now, &replanned), 0);
	assert_int_equal(replanned, iso("2026-03-10T05:00:00Z"));
	/* jitter of less than a second is not a step */
	assert_false(daemon_clock_went_back(planned_at, planned_at - 900));
	/* forward steps never re-plan: the loop runs the overdue plan */
	assert_false(daemon_clock_went_back(planned_at, planned_at + 86400000));

	setenv("NVAULT_TEST_CLOCK_STEP", "later", 1);
	assert_int_equal(daemon_clock_init(&c, &err), NV_ECONFIG);
	assert_non_null(strstr(err.msg, "NVAULT_TEST_CLOCK_STEP=later"));
	unsetenv("NVAULT_TEST_CLOCK_STEP");
	unsetenv("NVAULT_TEST_NOW");
}

static void test_pid_alive(void **state)
{
	pid_t child;
	int status;

	assert_true(daemon_pid_alive((int64_t)getpid()));
	assert_false(daemon_pid_alive(0));
	assert_false(daemon_pid_alive(-5));
	assert_false(daemon_pid_alive(INT64_C(1) << 40));
	child = fork();
	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	assert_int_equal(waitpid(child, &status, 0), child);
	/* reaped: the pid is stale (pid reuse this fast is not a concern here) */
	assert_false(daemon_pid_alive((int64_t)child));
}

static const char *tmp_store(char *dir, size_t n, char *path, size_t pn)
{
	snprintf(dir, n, "%s/nvault-status-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(dir));
	snprintf(path, pn, "%s/vault.db", dir);
	return path;
}

static void remove_store(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_status_document(void **state)
{
	char dir[256], path[300];
	struct settings set;
	struct store *s = NULL;
	struct sched_state st;
	struct sync_state ss;
	struct evidence ev;
	json_t *doc, *ds;
	pid_t child;
	int status;

	memset(&set, 0, sizeof(set));
	set.db_path = (char *)tmp_store(dir, sizeof(dir), path, sizeof(path));
	set.db_shown = set.db_path;
	set.schedule = (char *)"*/5 * * * *";
	set.sync_enabled = 1;

	/* no store yet: settings' schedule, nothing recorded */
	assert_int_equal(app_status_json(NULL, &set, NULL, &doc, NULL), 0);
	assert_false(json_is_true(json_object_get(doc, "running")));
	assert_string_equal(json_string_value(json_object_get(doc, "schedule")), "*/5 * * * *");
	assert_true(json_is_true(json_object_get(doc, "enabled")));
	assert_false(json_is_true(json_object_get(doc, "storeExists")));
	assert_true(json_is_null(json_object_get(doc, "lastRunSuccess")));
	json_decref(doc);

	/* a live daemon (this process) with a failed last run */
	assert_int_equal(store_open(path, 0, &s, NULL), 0);
	sched_state_init(&st);
	st.enabled = 1;
	st.running = 1;
	st.pid = (int64_t)getpid();
	st.schedule = (char *)"0 5 * * *";
	st.next_run = (char *)"2026-01-11T05:00:00.000Z";
	st.last_run = (char *)"2026-01-10T05:00:00.000Z";
	st.last_run_success = 0;
	st.last_run_error = (char *)"skipped: a sync is already running";
	assert_int_equal(store_sched_state_put(s, &st, NULL), 0);
	sync_state_init(&ss);
	ss.data_source_id = (char *)"2b3c4d5e-6f70-48a9-b0c1-d2e3f4a5b6c7";
	ss.database_id = (char *)"1a2b3c4d-5e6f-47a8-b9c0-d1e2f3a4b5c6";
	ss.watermark = (char *)"2026-01-10T04:58:00.000Z";
	assert_int_equal(store_sync_state_put(s, &ss, NULL), 0);
	evidence_init(&ev);
	ev.source_id = xstrdup("1a2b3c4d-5e6f-47a8-b9c0-d1e2f3a4b5c6");
	ev.trigger = xstrdup("schedule");
	ev.status = xstrdup("success");
	ev.started_at = xstrdup("2026-01-10T05:00:00.000Z");
	ev.finished_at = xstrdup("2026-01-10T05:00:03.000Z");
	assert_int_equal(store_evidence_add(s, &ev, NULL), 0);
	evidence_release(&ev);

	assert_int_equal(app_status_json(s, &set, NULL, &doc, NULL), 0);
	assert_true(json_is_true(json_object_get(doc, "running")));
	assert_int_equal(json_integer_value(json_object_get(doc, "pid")), getpid());
	assert_string_equal(json_string_value(json_object_get(doc, "schedule")), "0 5 * * *");
	assert_string_equal(json_string_value(json_object_get(doc, "nextRun")),
			    "2026-01-11T05:00:00.000Z");
	assert_true(json_is_false(json_object_get(doc, "lastRunSuccess")));
	assert_non_null(strstr(json_string_value(json_object_get(doc, "lastRunError")), "skipped"));
	assert_int_equal(json_array_size(json_object_get(doc, "dataSources")), 1);
	ds = json_array_get(json_object_get(doc, "dataSources"), 0);
	assert_string_equal(json_string_value(json_object_get(ds, "watermark")),
			    "2026-01-10T04:58:00.000Z");
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(ds, "lastSync"), "trigger")),
		"schedule");
	json_decref(doc);

	/* the recorded daemon died without cleaning up: not running, no next run */
	child = fork();
	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	assert_int_equal(waitpid(child, &status, 0), child);
	st.pid = (int64_t)child;
	assert_int_equal(store_sched_state_put(s, &st, NULL), 0);
	assert_int_equal(app_status_json(s, &set, NULL, &doc, NULL), 0);
	assert_false(json_is_true(json_object_get(doc, "running")));
	assert_true(json_is_null(json_object_get(doc, "pid")));
	assert_true(json_is_null(json_object_get(doc, "nextRun")));
	assert_string_equal(json_string_value(json_object_get(doc, "lastRun")),
			    "2026-01-10T05:00:00.000Z");
	json_decref(doc);
	store_close(s);
	remove_store(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missed_run),
		cmocka_unit_test(test_clock_real),
		cmocka_unit_test(test_clock_injected),
		cmocka_unit_test(test_pid_alive),
		cmocka_unit_test(test_status_document),
		cmocka_unit_test(test_clock_step_back_replans),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
