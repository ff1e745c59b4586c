/*
 * test_store.c: the store on a real SQLite file in a private temp dir:
 * every store operation, the append-only triggers, tamper detection by
 * verify, migrations (empty file, newer schema refused), unchanged puts,
 * as-of and diff on a controlled clock, pagination, full-text search with
 * hostile text, the sync lock, and two processes appending to one task.
 *
 * With NV_TEST_ENGINE=postgresql (ctest's unit/test_store_pg) the same
 * tests run on a real PostgreSQL server of its own (pg_harness.h), each in
 * a new schema; the tests of SQLite's own migrations and packs are left out.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "pg_harness.h"

#include "store/store.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define DB_ID "1a2b3c4d-5e6f-47a8-b9c0-d1e2f3a4b5c6"
#define DS_ID "2b3c4d5e-6f70-48a9-b0c1-d2e3f4a5b6c7"

static char dir[64];
static char db_path[640];
/* the store is on PostgreSQL (NV_TEST_ENGINE=postgresql), in schema pg_schema */
static int pg_mode;
static char pg_schema[64];

/* SQL for the engine of the run. */
static const char *SQL(const char *sqlite, const char *pg)
{
	return pg_mode ? pg : sqlite;
}
static int64_t fake_now;

static int64_t fake_clock(void)
{
	return fake_now;
}

static void set_time(const char *iso)
{
	assert_int_equal(time_parse_iso(iso, &fake_now), 0);
}

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/nv-store-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(db_path, sizeof(db_path), "%s/sub/vault.db", dir);
	if (pg_mode) {
		static int n;

		/* a new schema per test: a new store in the one server */
		snprintf(pg_schema, sizeof(pg_schema), "t%ld_%d", (long)getpid(), ++n);
		snprintf(db_path, sizeof(db_path), "%s&schema=%s", nv_pg_start(), pg_schema);
	}
	time_set_clock(NULL);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	time_set_clock(NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static struct store *open_store(void)
{
	struct store *s = NULL;
	struct nv_err err;

	nv_err_clear(&err);
	if (store_open(db_path, 0, &s, &err))
		fail_msg("store_open: %s", err.msg);
	return s;
}

/* A connection to the test's PostgreSQL schema, behind the store's back. */
static PGconn *raw_pg(void)
{
	PGconn *c = PQconnectdb(nv_pg_start());
	char set[128];

	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("connecting to the test server: %s", PQerrorMessage(c));
	snprintf(set, sizeof(set), "SET search_path TO %s", pg_schema);
	PQclear(PQexec(c, set));
	return c;
}

/* Runs SQL on the file directly, behind the store's back; returns the SQLite code. */
static int raw_sql(const char *sql, char **errmsg)
{
	sqlite3 *db;
	int rc;

	if (pg_mode) {
		PGconn *c = raw_pg();
		PGresult *r = PQexec(c, sql);
		ExecStatusType st = PQresultStatus(r);
		const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);

		rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? SQLITE_OK
		     : state && !strncmp(state, "23", 2)	     ? SQLITE_CONSTRAINT
								     : SQLITE_ERROR;
		if (errmsg && rc != SQLITE_OK)
			*errmsg = sqlite3_mprintf("%s", PQresultErrorMessage(r));
		PQclear(r);
		PQfinish(c);
		return rc;
	}
	assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	rc = sqlite3_exec(db, sql, NULL, NULL, errmsg);
	sqlite3_close(db);
	return rc;
}

static int64_t raw_count(const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t n;

	if (pg_mode) {
		PGconn *c = raw_pg();
		PGresult *r = PQexec(c, sql);

		if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) < 1)
			fail_msg("%s: %s", sql, PQresultErrorMessage(r));
		n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		PQclear(r);
		PQfinish(c);
		return n;
	}
	assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* A Notion-style task for page number i. */
static void notion_task(struct task *t, int i, const char *title)
{
	char page[40];

	task_init(t);
	snprintf(page, sizeof(page), "%08x000040008000%012x", i, i);
	t->title = xstrdup(title);
	t->status = xstrdup("open");
	t->source = xstrdup("notion");
	t->notion_database_id = xstrdup(DB_ID);
	t->notion_data_source_id = xstrdup(DS_ID);
	t->notion_page_id = xstrdup(page); /* undashed: the store normalises */
	t->tags = json_pack("[ss]", "alpha", "beta");
	t->metadata = json_pack("{s:i}", "n", i);
}

static const struct version_info sync_vi = {"notion-sync", "updated in Notion", 0};

static enum put_outcome put(struct store *s, struct task *t, const struct version_info *vi)
{
	enum put_outcome out;
	struct nv_err err;

	nv_err_clear(&err);
	if (store_task_put(s, t, vi, &out, &err))
		fail_msg("store_task_put: %s", err.msg);
	return out;
}

static void test_open_creates_and_migrates(void **state)
{
	struct store *s = open_store();
	struct nv_err err;
	struct store *s2 = NULL;

	store_close(s);
	assert_int_equal(
		raw_count(SQL("PRAGMA user_version", "SELECT max(version) FROM schema_version")),
		store_schema_version());
	assert_int_equal(
		raw_count(SQL("SELECT count(*) FROM sqlite_master WHERE name = 'task_versions'",
			      "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()"
			      " AND tablename = 'task_versions'")),
		1);
	/* a second open of a current store changes nothing */
	s = open_store();
	store_close(s);
	/* a missing store with STORE_NO_CREATE: not found, nothing created */
	if (pg_mode)
		snprintf(db_path, sizeof(db_path), "%s&schema=missing_db", nv_pg_start());
	else
		snprintf(db_path, sizeof(db_path), "%s/missing.db", dir);
	nv_err_clear(&err);
	assert_int_equal(store_open(db_path, STORE_NO_CREATE, &s2, &err), NV_ENOTFOUND);
	assert_null(s2);
	assert_non_null(strstr(err.msg, pg_mode ? "missing_db" : "missing.db"));
	if (pg_mode)
		assert_int_equal(
			raw_count("SELECT count(*) FROM pg_namespace WHERE nspname = 'missing_db'"),
			0);
	else
		assert_int_equal(access(db_path, F_OK), -1);
}

static void test_empty_file_migrates(void **state)
{
	FILE *f;
	struct store *s;

	snprintf(db_path, sizeof(db_path), "%s/empty.db", dir);
	f = fopen(db_path, "w");
	assert_non_null(f);
	fclose(f);
	s = open_store();
	store_close(s);
	assert_int_equal(raw_count("PRAGMA user_version"), store_schema_version());
}

static void test_newer_schema_refused(void **state)
{
	struct store *s = open_store();
	struct nv_err err;
	char want[64];

	store_close(s);
	assert_int_equal(
		raw_sql(SQL("PRAGMA user_version = 99", "UPDATE schema_version SET version = 99"),
			NULL),
		SQLITE_OK);
	nv_err_clear(&err);
	s = NULL;
	assert_int_equal(store_open(db_path, 0, &s, &err), NV_ESCHEMA);
	assert_null(s);
	assert_non_null(strstr(err.msg, "99"));
	snprintf(want, sizeof(want), "up to %d", store_schema_version());
	assert_non_null(strstr(err.msg, want));
	/* and it was not touched */
	assert_int_equal(
		raw_count(SQL("PRAGMA user_version", "SELECT max(version) FROM schema_version")),
		99);
}

static void test_older_schema_migrates_forward(void **state)
{
	struct store *s = open_store();
	struct task t;
	struct task_list l;
	struct nv_err err;

	notion_task(&t, 1, "kept across the migration");
	put(s, &t, &sync_vi);
	task_release(&t);
	store_close(s);
	/* make it look like a schema-1 store */
	assert_int_equal(raw_sql("DROP INDEX task_versions_task_time; DROP INDEX tasks_status;"
				 "DROP TABLE scan_seen; DROP TABLE schema_events;"
				 "CREATE INDEX tasks_page ON tasks(notion_page_id);"
				 "DROP TABLE contents; DROP TABLE pack_progress;"
				 "PRAGMA user_version = 1",
				 NULL),
			 SQLITE_OK);
	s = open_store();
	assert_int_equal(raw_count("PRAGMA user_version"), store_schema_version());
	assert_int_equal(
		raw_count("SELECT count(*) FROM sqlite_master WHERE name IN"
			  " ('task_versions_task_time', 'tasks_status', 'scan_seen', 'contents',"
			  " 'schema_events', 'schema_events_no_update')"),
		6);
	assert_int_equal(raw_count("SELECT count(*) FROM sqlite_master WHERE name = 'tasks_page'"),
			 0);
	nv_err_clear(&err);
	assert_int_equal(store_task_list(s, NULL, &l, &err), NV_OK);
	assert_int_equal(l.total, 1);
	assert_string_equal(l.items[0].title, "kept across the migration");
	task_list_release(&l);
	store_close(s);
}

static void test_put_get_history(void **state)
{
	struct store *s = open_store();
	struct task t, got, again;
	struct task_version *hist, v;
	size_t n;
	struct nv_err err;
	char tid[64];

	set_time("2026-01-10T10:00:00Z");
	time_set_clock(fake_clock);
	notion_task(&t, 1, "Write the store");
	assert_int_equal(put(s, &t, &(struct version_info){"notion-sync", "created", 0}),
			 PUT_CREATED);
	assert_non_null(t.id);
	assert_int_equal(t.version, 1);
	assert_string_equal(t.notion_page_id, "00000001-0000-4000-8000-000000000001");
	snprintf(tid, sizeof(tid), "%s", t.id);

	/* the same content again writes nothing; Notion's edit time is refreshed */
	notion_task(&again, 1, "Write the store");
	again.notion_last_edited_time = xstrdup("2026-01-10T10:05:00.000Z");
	fake_now += 1000;
	assert_int_equal(put(s, &again, &sync_vi), PUT_UNCHANGED);
	assert_string_equal(again.id, tid);
	assert_int_equal(again.version, 1);
	assert_string_equal(again.notion_last_edited_time, "2026-01-10T10:05:00.000Z");
	assert_int_equal(raw_count("SELECT count(*) FROM task_versions"), 1);
	task_release(&again);

	/* a change appends version 2, found by Notion identity (no id given) */
	notion_task(&again, 1, "Write the store, properly");
	again.notion_last_edited_time = xstrdup("2026-01-10T10:06:00.000Z");
	fake_now += 1000;
	assert_int_equal(put(s, &again, &sync_vi), PUT_UPDATED);
	assert_string_equal(again.id, tid);
	assert_int_equal(again.version, 2);
	task_release(&again);

	/* get by own id, by page id with and without dashes, upper case */
	nv_err_clear(&err);
	assert_int_equal(store_task_get(s, tid, &got, &err), NV_OK);
	assert_string_equal(got.title, "Write the store, properly");
	assert_string_equal(got.notion_last_edited_time, "2026-01-10T10:06:00.000Z");
	assert_int_equal(got.version, 2);
	assert_int_equal(json_array_size(got.tags), 2);
	task_release(&got);
	assert_int_equal(store_task_get(s, "00000001000040008000000000000001", &got, &err), NV_OK);
	assert_string_equal(got.id, tid);
	task_release(&got);
	assert_int_equal(store_task_get(s, "00000001-0000-4000-8000-000000000001", &got, &err),
			 NV_OK);
	task_release(&got);
	assert_int_equal(
		store_task_get_by_page(s, DS_ID, "00000001000040008000000000000001", &got, &err),
		NV_OK);
	task_release(&got);
	assert_int_equal(store_task_get(s, "no-such-task", &got, &err), NV_ENOTFOUND);
	assert_non_null(strstr(err.msg, "no-such-task"));
	task_release(&got);

	/* history oldest first, with hashes chained */
	assert_int_equal(store_task_history(s, tid, &hist, &n, &err), NV_OK);
	assert_int_equal(n, 2);
	assert_int_equal(hist[0].num, 1);
	assert_int_equal(hist[1].num, 2);
	assert_string_equal(hist[0].change_reason, "created");
	assert_string_equal(hist[1].snap.title, "Write the store, properly");
	assert_string_equal(hist[0].snap.title, "Write the store");
	assert_string_not_equal(hist[0].content_hash, hist[1].content_hash);
	{
		char chain[HASH_HEX_LEN + 1];
		task_version_chain_hash(hist[0].chain_hash, &hist[1], chain);
		assert_string_equal(chain, hist[1].chain_hash);
	}
	task_versions_free(hist, n);

	assert_int_equal(store_task_version(s, tid, 1, &v, &err), NV_OK);
	assert_string_equal(v.snap.title, "Write the store");
	task_version_release(&v);
	assert_int_equal(store_task_version(s, tid, 7, &v, &err), NV_ENOTFOUND);
	task_version_release(&v);

	/* a local edit, then the newest version by notion-sync is still v2 */
	task_release(&t);
	assert_int_equal(store_task_get(s, tid, &t, &err), NV_OK);
	free(t.description);
	t.description = xstrdup("local note");
	assert_int_equal(put(s, &t, &(struct version_info){"cli", "local edit", 0}), PUT_UPDATED);
	assert_int_equal(store_task_last_version_by(s, tid, "notion-sync", &v, &err), NV_OK);
	assert_int_equal(v.num, 2);
	task_version_release(&v);
	assert_int_equal(store_task_last_version_by(s, tid, "mcp:", &v, &err), NV_ENOTFOUND);
	task_version_release(&v);
	task_release(&t);
	store_close(s);
}

static void test_soft_delete_restore_and_counts(void **state)
{
	struct store *s = open_store();
	struct task t;
	struct nv_err err;
	int64_t active, deleted;

	for (int i = 0; i < 3; i++) {
		notion_task(&t, i, "row");
		put(s, &t, &sync_vi);
		task_release(&t);
	}
	notion_task(&t, 1, "row");
	t.active = 0;
	assert_int_equal(put(s, &t, &(struct version_info){"notion-sync", "deleted in Notion", 0}),
			 PUT_UPDATED);
	assert_non_null(t.deleted_at);
	assert_int_equal(t.version, 2);
	task_release(&t);
	nv_err_clear(&err);
	assert_int_equal(store_count_tasks(s, "1a2b3c4d5e6f47a8b9c0d1e2f3a4b5c6", NULL, &active,
					   &deleted, &err),
			 NV_OK);
	assert_int_equal(active, 2);
	assert_int_equal(deleted, 1);
	/* deleting again changes nothing */
	notion_task(&t, 1, "row");
	t.active = 0;
	assert_int_equal(put(s, &t, &sync_vi), PUT_UNCHANGED);
	task_release(&t);
	/* restore is a version too */
	notion_task(&t, 1, "row");
	assert_int_equal(put(s, &t, &(struct version_info){"notion-sync", "restored in Notion", 0}),
			 PUT_UPDATED);
	assert_int_equal(t.version, 3);
	assert_null(t.deleted_at);
	task_release(&t);
	assert_int_equal(store_count_tasks(s, NULL, DS_ID, &active, &deleted, &err), NV_OK);
	assert_int_equal(active, 3);
	assert_int_equal(deleted, 0);
	store_close(s);
}

static void test_triggers_refuse_update_delete(void **state)
{
	struct store *s = open_store();
	struct task t;
	struct evidence e;
	struct nv_err err;
	char *msg = NULL;

	notion_task(&t, 1, "immutable");
	put(s, &t, &sync_vi);
	task_release(&t);
	evidence_init(&e);
	e.status = xstrdup("success");
	nv_err_clear(&err);
	assert_int_equal(store_evidence_add(s, &e, &err), NV_OK);
	evidence_release(&e);
	store_close(s);

	assert_int_equal(raw_sql("UPDATE task_versions SET title = 'x'", &msg), SQLITE_CONSTRAINT);
	assert_non_null(strstr(msg, "append-only"));
	sqlite3_free(msg);
	assert_int_equal(raw_sql("DELETE FROM task_versions", &msg), SQLITE_CONSTRAINT);
	sqlite3_free(msg);
	assert_int_equal(raw_sql("UPDATE evidence SET status = 'failed'", &msg), SQLITE_CONSTRAINT);
	assert_non_null(strstr(msg, "evidence is append-only"));
	sqlite3_free(msg);
	assert_int_equal(raw_sql("DELETE FROM evidence", &msg), SQLITE_CONSTRAINT);
	sqlite3_free(msg);
	assert_int_equal(raw_count("SELECT count(*) FROM task_versions WHERE title = 'immutable'"),
			 1);
}

static void test_verify_detects_tampering(void **state)
{
	struct store *s = open_store();
	struct task t;
	struct nv_err err;
	json_t *report = NULL, *p;
	char tid[64], sql[256];

	for (int i = 0; i < 3; i++) {
		notion_task(&t, 1, i == 0 ? "first" : i == 1 ? "second" : "third");
		put(s, &t, &sync_vi);
		snprintf(tid, sizeof(tid), "%s", t.id);
		task_release(&t);
	}
	notion_task(&t, 2, "other");
	put(s, &t, &sync_vi);
	task_release(&t);
	nv_err_clear(&err);
	assert_int_equal(store_verify(s, &report, &err), NV_OK);
	assert_true(json_is_true(json_object_get(report, "ok")));
	assert_int_equal(json_integer_value(json_object_get(report, "tasksChecked")), 2);
	assert_int_equal(json_integer_value(json_object_get(report, "versionsChecked")), 4);
	json_decref(report);
	store_close(s);

	/* behind nvault's back: drop the guard and rewrite version 2 */
	snprintf(sql, sizeof(sql),
		 "DROP TRIGGER task_versions_no_update%s;"
		 "UPDATE task_versions SET title = 'forged' WHERE task_id = '%s' AND version = 2",
		 pg_mode ? " ON task_versions" : "", tid);
	assert_int_equal(raw_sql(sql, NULL), SQLITE_OK);

	s = open_store();
	nv_err_clear(&err);
	assert_int_equal(store_verify(s, &report, &err), NV_ETAMPERED);
	assert_false(json_is_true(json_object_get(report, "ok")));
	assert_non_null(strstr(err.msg, "task_versions_no_update"));
	p = json_object_get(report, "problems");
	{
		int found = 0;
		size_t i;
		json_t *item;
		json_array_foreach(p, i, item)
		{
			const char *task = json_string_value(json_object_get(item, "taskId"));
			if (task && !strcmp(task, tid) &&
			    json_integer_value(json_object_get(item, "version")) == 2)
				found = 1;
		}
		assert_true(found);
	}
	json_decref(report);
	store_close(s);

	/* the first problem message names task and version when triggers are intact */
	snprintf(sql, sizeof(sql), "%s",
		 SQL("CREATE TRIGGER task_versions_no_update BEFORE UPDATE ON task_versions BEGIN"
		     " SELECT RAISE(ABORT, 'task_versions is append-only: UPDATE refused'); END;",
		     "CREATE TRIGGER task_versions_no_update BEFORE UPDATE ON task_versions"
		     " FOR EACH ROW EXECUTE FUNCTION nv_append_only()"));
	assert_int_equal(raw_sql(sql, NULL), SQLITE_OK);
	s = open_store();
	assert_int_equal(store_verify(s, &report, &err), NV_ETAMPERED);
	assert_non_null(strstr(err.msg, tid));
	assert_non_null(strstr(err.msg, "version 2"));
	json_decref(report);
	store_close(s);
}

struct collect {
	char titles[16][64];
	int n;
	enum diff_kind kinds[16];
	int64_t before[16];
};

static int collect_version(void *ud, const struct task_version *v)
{
	struct collect *c = ud;

	snprintf(c->titles[c->n++], 64, "%s@%lld", v->snap.title, (long long)v->num);
	return 0;
}

static int collect_diff(void *ud, const struct diff_entry *e)
{
	struct collect *c = ud;

	c->kinds[c->n] = e->kind;
	c->before[c->n] = e->before ? e->before->num : 0;
	snprintf(c->titles[c->n++], 64, "%s@%lld", e->after->snap.title, (long long)e->after->num);
	return 0;
}

static int has_title(const struct collect *c, const char *want)
{
	for (int i = 0; i < c->n; i++)
		if (!strcmp(c->titles[i], want))
			return i + 1;
	return 0;
}

static void test_as_of_and_diff(void **state)
{
	struct store *s = open_store();
	struct task a, b, c;
	struct collect col;
	struct nv_err err;
	struct task_filter f;
	int i;

	time_set_clock(fake_clock);
	set_time("2026-01-01T09:00:00Z");
	notion_task(&a, 1, "A1");
	put(s, &a, &sync_vi);
	notion_task(&b, 2, "B1");
	put(s, &b, &sync_vi);
	set_time("2026-01-02T09:00:00Z");
	free(a.title);
	a.title = xstrdup("A2");
	put(s, &a, &sync_vi);
	notion_task(&c, 3, "C1");
	put(s, &c, &sync_vi);
	set_time("2026-01-03T09:00:00Z");
	b.active = 0;
	put(s, &b, &sync_vi);

	memset(&f, 0, sizeof(f));
	nv_err_clear(&err);
	memset(&col, 0, sizeof(col));
	assert_int_equal(store_task_as_of(s, "2026-01-01", &f, collect_version, &col, &err), NV_OK);
	assert_int_equal(col.n, 0); /* midnight: before anything */
	memset(&col, 0, sizeof(col));
	assert_int_equal(
		store_task_as_of(s, "2026-01-01T12:00:00Z", &f, collect_version, &col, &err),
		NV_OK);
	assert_int_equal(col.n, 2);
	assert_true(has_title(&col, "A1@1") && has_title(&col, "B1@1"));
	memset(&col, 0, sizeof(col));
	assert_int_equal(
		store_task_as_of(s, "2026-01-02T12:00:00+00:00", &f, collect_version, &col, &err),
		NV_OK);
	assert_int_equal(col.n, 3);
	assert_true(has_title(&col, "A2@2") && has_title(&col, "C1@1"));
	/* deleted at that time: hidden unless asked for */
	memset(&col, 0, sizeof(col));
	assert_int_equal(store_task_as_of(s, "2026-01-04", &f, collect_version, &col, &err), NV_OK);
	assert_int_equal(col.n, 2);
	assert_false(has_title(&col, "B1@2"));
	f.include_deleted = 1;
	memset(&col, 0, sizeof(col));
	assert_int_equal(store_task_as_of(s, "2026-01-04", &f, collect_version, &col, &err), NV_OK);
	assert_int_equal(col.n, 3);
	assert_true(has_title(&col, "B1@2"));
	f.include_deleted = 0;
	assert_int_equal(store_task_as_of(s, "not a time", &f, collect_version, &col, &err),
			 NV_EINVAL);
	assert_non_null(strstr(err.msg, "not a time"));

	/* diff (Jan 1 12:00, Jan 3 12:00]: A changed, C created, B deleted */
	memset(&col, 0, sizeof(col));
	assert_int_equal(store_diff(s, "2026-01-01T12:00:00Z", "2026-01-03T12:00:00Z", &f,
				    collect_diff, &col, &err),
			 NV_OK);
	assert_int_equal(col.n, 3);
	i = has_title(&col, "A2@2");
	assert_true(i);
	assert_int_equal(col.kinds[i - 1], DIFF_CHANGED);
	assert_int_equal(col.before[i - 1], 1);
	i = has_title(&col, "C1@1");
	assert_true(i);
	assert_int_equal(col.kinds[i - 1], DIFF_CREATED);
	assert_int_equal(col.before[i - 1], 0);
	i = has_title(&col, "B1@2");
	assert_true(i);
	assert_int_equal(col.kinds[i - 1], DIFF_DELETED);
	/* until omitted = now; a window with nothing in it */
	memset(&col, 0, sizeof(col));
	assert_int_equal(store_diff(s, "2026-01-03T09:00:00Z", NULL, &f, collect_diff, &col, &err),
			 NV_OK);
	assert_int_equal(col.n, 0);
	/* restore shows as restored */
	set_time("2026-01-05T09:00:00Z");
	b.active = 1;
	put(s, &b, &sync_vi);
	memset(&col, 0, sizeof(col));
	assert_int_equal(store_diff(s, "2026-01-04", "2026-01-06", &f, collect_diff, &col, &err),
			 NV_OK);
	assert_int_equal(col.n, 1);
	assert_int_equal(col.kinds[0], DIFF_RESTORED);
	assert_string_equal(diff_kind_name(DIFF_RESTORED), "restored");
	assert_int_equal(store_diff(s, "2026-01-06", "2026-01-04", &f, collect_diff, &col, &err),
			 NV_EINVAL);
	task_release(&a);
	task_release(&b);
	task_release(&c);
	store_close(s);
}

static void test_list_pagination_filters_search(void **state)
{
	struct store *s = open_store();
	struct task t;
	struct task_list l;
	struct task_filter f;
	struct nv_err err;
	char title[64];

	assert_int_equal(store_begin(s, &err), NV_OK);
	for (int i = 0; i < 25; i++) {
		snprintf(title, sizeof(title), "Task %d %s", i,
			 i % 5 == 0 ? "migrate database" : "plain");
		notion_task(&t, i, title);
		if (i % 2) {
			free(t.status);
			t.status = xstrdup("done");
		}
		if (i == 3)
			t.description = xstrdup("needs a résumé of the incident");
		if (i == 24)
			t.active = 0;
		put(s, &t, &sync_vi);
		task_release(&t);
	}
	assert_int_equal(store_commit(s, &err), NV_OK);

	memset(&f, 0, sizeof(f));
	f.limit = 10;
	nv_err_clear(&err);
	if (store_task_list(s, &f, &l, &err))
		fail_msg("store_task_list: %s", err.msg);
	assert_int_equal(l.n, 10);
	assert_int_equal(l.total, 24);
	assert_true(l.has_more);
	assert_int_equal(l.next_offset, 10);
	task_list_release(&l);
	f.offset = 20;
	if (store_task_list(s, &f, &l, &err))
		fail_msg("store_task_list: %s", err.msg);
	assert_int_equal(l.n, 4);
	assert_false(l.has_more);
	task_list_release(&l);
	f.offset = 0;
	f.include_deleted = 1;
	f.limit = 5000; /* capped, never silently: has_more stays honest */
	if (store_task_list(s, &f, &l, &err))
		fail_msg("store_task_list: %s", err.msg);
	assert_int_equal(l.total, 25);
	assert_int_equal(l.n, 25);
	task_list_release(&l);

	memset(&f, 0, sizeof(f));
	f.status = "done";
	f.database_id = "1A2B3C4D5E6F47A8B9C0D1E2F3A4B5C6";
	if (store_task_list(s, &f, &l, &err))
		fail_msg("store_task_list: %s", err.msg);
	assert_int_equal(l.total, 12);
	for (size_t i = 0; i < l.n; i++)
		assert_string_equal(l.items[i].status, "done");
	task_list_release(&l);

	memset(&f, 0, sizeof(f));
	f.search = "migrate";
	if (store_task_list(s, &f, &l, &err))
		fail_msg("store_task_list: %s", err.msg);
	assert_int_equal(l.total, 5); /* tasks 0, 5, 10, 15, 20 */
	task_list_release(&l);
	f.search = "resume incident"; /* diacritics folded, words ANDed */
	if (store_task_list(s, &f, &l, &err))
		fail_msg("store_task_list: %s", err.msg);
	assert_int_equal(l.total, 1);
	assert_string_equal(l.items[0].title, "Task 3 plain");
	task_list_release(&l);
	f.search = "beta"; /* tags are indexed */
	if (store_task_list(s, &f, &l, &err))
		fail_msg("store_task_list: %s", err.msg);
	assert_int_equal(l.total, 24);
	task_list_release(&l);
	/*
	 * hostile text is never FTS5 syntax: it is searched for literally, or
	 * refused with a message that names the query (a misplaced operator)
	 */
	const char *hostile[] = {"foo\"bar OR", "\"",	   "AND",	  "NEAR(a b)", "*",
				 "title:x",	"(",	   "OR OR",	  "x NOT",     "\"\"\"",
				 "a\"b\"c",	"x* *y",   "NOT NOT x",	  "{a b}:c",   "^x",
				 "a + b",	"col : x", "\"x\"*\"y\"", "ü*",	       "- -"};
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		f.search = hostile[i];
		nv_err_clear(&err);
		int rc = store_task_list(s, &f, &l, &err);
		if (rc == NV_EINVAL) {
			if (!strstr(err.msg, hostile[i]))
				fail_msg("error for '%s' does not name it: %s", hostile[i],
					 err.msg);
			continue;
		}
		if (rc)
			fail_msg("search '%s' failed: %s", hostile[i], err.msg);
		assert_int_equal(l.total, 0);
		task_list_release(&l);
	}
	/* FTS stays in step when the title changes */
	notion_task(&t, 7, "renamed to zebra");
	put(s, &t, &sync_vi);
	task_release(&t);
	f.search = "zebra";
	if (store_task_list(s, &f, &l, &err))
		fail_msg("store_task_list: %s", err.msg);
	assert_int_equal(l.total, 1);
	task_list_release(&l);
	f.search = "Task 7";
	if (store_task_list(s, &f, &l, &err))
		fail_msg("store_task_list: %s", err.msg);
	assert_int_equal(l.total, 0);
	task_list_release(&l);
	store_close(s);
}

/* A local task with a title, description and Notion properties (may be NULL). */
static void put_doc(struct store *s, const char *title, const char *description, json_t *props)
{
	struct task t;

	task_init(&t);
	t.title = xstrdup(title);
	t.description = description ? xstrdup(description) : NULL;
	t.status = xstrdup("open");
	t.source = xstrdup("local");
	t.active = 1;
	if (props)
		t.metadata = json_pack("{s:o}", "notionProperties", props);
	put(s, &t, &sync_vi);
	task_release(&t);
}

/* Runs a search; the titles of the hits in rank order, joined by "|". */
static char *search_titles(struct store *s, const char *query, struct task_list *keep)
{
	struct task_filter f;
	struct task_list l;
	struct nv_err err;
	char out[1024] = "";
	size_t len = 0;

	memset(&f, 0, sizeof(f));
	f.search = query;
	nv_err_clear(&err);
	if (store_task_list(s, &f, &l, &err))
		fail_msg("search '%s': %s", query, err.msg);
	assert_int_equal(l.total, (int64_t)l.n);
	for (size_t i = 0; i < l.n; i++) {
		assert_non_null(l.hits);
		assert_non_null(l.hits[i].snippet);
		if (i)
			assert_true(l.hits[i - 1].score >= l.hits[i].score);
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s", i ? "|" : "",
					l.items[i].title);
	}
	if (keep)
		*keep = l;
	else
		task_list_release(&l);
	return xstrdup(out);
}

#define ASSERT_SEARCH(s, query, want)                                                              \
	do {                                                                                       \
		char *got_ = search_titles(s, query, NULL);                                        \
		if (strcmp(got_, want))                                                            \
			fail_msg("search '%s': got '%s', want '%s'", query, got_, want);           \
		free(got_);                                                                        \
	} while (0)

static void test_search_ranks(void **state)
{
	struct store *s = open_store();
	struct task_list l;
	struct task_filter f;
	struct nv_err err;
	json_t *report;
	char *got;

	put_doc(s, "Weekly report", "remember to run the backup before friday", NULL);
	put_doc(s, "Backup the cache server", "nothing else", NULL);
	put_doc(s, "Cache warming", "after a deploy", NULL);
	put_doc(s, "Phrase one", "the quick brown fox", NULL);
	put_doc(s, "Phrase two", "a brown quick fox", NULL);
	put_doc(s, "Properties", "no words of interest",
		json_pack("{s:{s:s,s:s}, s:{s:s,s:[{s:s,s:s}]}, s:{s:s,s:[ss]},"
			  " s:{s:s,s:{s:s,s:s}}, s:{s:s,s:s}, s:{s:s,s:s}, s:{s:s,s:s}}",
			  "Priority", "type", "select", "value", "Urgent", "Owner", "type",
			  "people", "value", "name", "Ada Lovelace", "email", "ada@example.org",
			  "Areas", "type", "multi_select", "value", "Infra", "Kitchen", "Score",
			  "type", "formula", "value", "type", "string", "string", "Zeta grade",
			  "Link", "type", "url", "value", "https://example.org/runbook", "Stage",
			  "type", "status", "value", "Waiting on vendor", "Notes", "type",
			  "rich_text", "value", "ask about the quarterly numbers"));

	/* a title hit ranks above a description-only hit */
	ASSERT_SEARCH(s, "backup", "Backup the cache server|Weekly report");
	ASSERT_SEARCH(s, "BACKUP", "Backup the cache server|Weekly report");
	/* OR, NOT, phrases, prefixes; lower-case "or" is a word */
	ASSERT_SEARCH(s, "warming OR friday", "Cache warming|Weekly report");
	ASSERT_SEARCH(s, "server OR deploy", "Backup the cache server|Cache warming");
	ASSERT_SEARCH(s, "backup NOT cache", "Weekly report");
	ASSERT_SEARCH(s, "backup or friday", "");
	ASSERT_SEARCH(s, "\"quick brown\"", "Phrase one");
	ASSERT_SEARCH(s, "quick brown fox", "Phrase one|Phrase two");
	ASSERT_SEARCH(s, "\"quick bro\"*", "Phrase one");
	ASSERT_SEARCH(s, "cach", "");
	ASSERT_SEARCH(s, "warm*", "Cache warming");
	ASSERT_SEARCH(s, "cach* NOT warming", "Backup the cache server");
	ASSERT_SEARCH(s, "backup AND server", "Backup the cache server");
	/* every text-bearing Notion property is searchable */
	ASSERT_SEARCH(s, "Urgent", "Properties");
	ASSERT_SEARCH(s, "Lovelace", "Properties");
	ASSERT_SEARCH(s, "ada@example.org", "Properties");
	ASSERT_SEARCH(s, "kitchen", "Properties");
	ASSERT_SEARCH(s, "zeta", "Properties");
	ASSERT_SEARCH(s, "runbook", "Properties");
	ASSERT_SEARCH(s, "\"waiting on vendor\"", "Properties");
	ASSERT_SEARCH(s, "quarterly", "Properties");
	/* a stray quote is a phrase to the end */
	ASSERT_SEARCH(s, "\"quick brown", "Phrase one");
	/* the index text does not depend on the order the properties came in */
	nv_err_clear(&err);
	assert_int_equal(store_verify(s, &report, &err), NV_OK);
	json_decref(report);

	/* the snippet marks the match */
	got = search_titles(s, "friday", &l);
	assert_int_equal(l.n, 1);
	assert_non_null(strstr(l.hits[0].snippet, "**friday**"));
	task_list_release(&l);
	free(got);
	got = search_titles(s, "lovelace", &l);
	assert_non_null(strstr(l.hits[0].snippet, "**Lovelace**"));
	task_list_release(&l);
	free(got);

	/* a page of a search: the total counts every match, in rank order across pages */
	memset(&f, 0, sizeof(f));
	f.search = "backup OR cache OR fox";
	f.limit = 2;
	nv_err_clear(&err);
	if (store_task_list(s, &f, &l, &err))
		fail_msg("store_task_list: %s", err.msg);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.total, 5);
	assert_true(l.has_more);
	task_list_release(&l);
	f.offset = 4;
	if (store_task_list(s, &f, &l, &err))
		fail_msg("store_task_list: %s", err.msg);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.total, 5);
	assert_false(l.has_more);
	task_list_release(&l);

	/* misplaced operators are refused, naming the query */
	const char *bad[] = {"NOT backup", "backup OR", "backup OR AND cache", "OR"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&f, 0, sizeof(f));
		f.search = bad[i];
		nv_err_clear(&err);
		assert_int_equal(store_task_list(s, &f, &l, &err), NV_EINVAL);
		if (!strstr(err.msg, bad[i]) || !strstr(err.msg, "search query"))
			fail_msg("error for '%s': %s", bad[i], err.msg);
	}

	/* the index follows every write: old text gone, new text found */
	got = search_titles(s, "urgent", &l);
	assert_int_equal(l.n, 1);
	json_object_set_new(
		l.items[0].metadata, "notionProperties",
		json_pack("{s:{s:s,s:s}}", "Priority", "type", "select", "value", "Someday"));
	assert_int_equal(put(s, &l.items[0], &sync_vi), PUT_UPDATED);
	task_list_release(&l);
	free(got);
	ASSERT_SEARCH(s, "Urgent", "");
	ASSERT_SEARCH(s, "Someday", "Properties");
	nv_err_clear(&err);
	assert_int_equal(store_verify(s, &report, &err), NV_OK);
	json_decref(report);
	store_close(s);

	/* an index out of step is found by verify */
	assert_int_equal(raw_sql("DELETE FROM task_search WHERE rowid = 1", NULL), SQLITE_OK);
	s = open_store();
	nv_err_clear(&err);
	assert_int_equal(store_verify(s, &report, &err), NV_ETAMPERED);
	assert_non_null(strstr(err.msg, "search index"));
	json_decref(report);
	store_close(s);
}

/* A store of schema 3 (trigger-kept index over title, description, tags) is rebuilt. */
static void test_search_index_migration(void **state)
{
	struct store *s = open_store();
	struct task t;
	json_t *report;
	struct nv_err err;

	notion_task(&t, 1, "an old task");
	json_object_set_new(
		t.metadata, "notionProperties",
		json_pack("{s:{s:s,s:s}}", "Priority", "type", "select", "value", "Urgent"));
	put(s, &t, &sync_vi);
	task_release(&t);
	store_close(s);
	assert_int_equal(
		raw_sql("DROP TABLE task_search; DROP TABLE schema_events;"
			"CREATE VIRTUAL TABLE tasks_fts USING fts5(title, description, tags,"
			" content='tasks', content_rowid='seq');"
			"INSERT INTO tasks_fts(tasks_fts) VALUES ('rebuild');"
			"CREATE TRIGGER tasks_fts_insert AFTER INSERT ON tasks BEGIN"
			" INSERT INTO tasks_fts(rowid, title, description, tags)"
			" VALUES (new.seq, new.title, new.description, new.tags); END;"
			"PRAGMA user_version = 3",
			NULL),
		SQLITE_OK);
	s = open_store();
	assert_int_equal(
		raw_count("SELECT count(*) FROM sqlite_master WHERE name LIKE 'tasks_fts%'"), 0);
	ASSERT_SEARCH(s, "urgent", "an old task");
	ASSERT_SEARCH(s, "alpha", "an old task"); /* tags */
	nv_err_clear(&err);
	assert_int_equal(store_verify(s, &report, &err), NV_OK);
	json_decref(report);
	store_close(s);
}

/* A local task for the filter tests. */
static void put_fields(struct store *s, const char *title, const char *status, const char *due,
		       json_t *tags, json_t *props)
{
	struct task t;

	task_init(&t);
	t.title = xstrdup(title);
	t.status = xstrdup(status);
	t.due_date = due ? xstrdup(due) : NULL;
	t.source = xstrdup("local");
	t.active = 1;
	t.tags = tags;
	if (props)
		t.metadata = json_pack("{s:o}", "notionProperties", props);
	put(s, &t, &sync_vi);
	task_release(&t);
}

/* Lists with filters (NULL-terminated) and a sort; titles joined by "|" (new). */
static char *list_titles(struct store *s, const char *const *where, const char *sort,
			 struct nv_err *err, int *rc)
{
	struct task_filter f;
	struct task_list l;
	char out[1024] = "";
	size_t len = 0, n = 0;

	memset(&f, 0, sizeof(f));
	while (where && where[n])
		n++;
	f.where = where;
	f.n_where = n;
	f.sort = sort;
	nv_err_clear(err);
	if ((*rc = store_task_list(s, &f, &l, err)))
		return NULL;
	for (size_t i = 0; i < l.n; i++)
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s", i ? "|" : "",
					l.items[i].title);
	assert_int_equal(l.total, (int64_t)l.n);
	task_list_release(&l);
	return xstrdup(out);
}

#define ASSERT_LIST(s, sort, want, ...)                                                            \
	do {                                                                                       \
		const char *w_[] = {__VA_ARGS__, NULL};                                            \
		struct nv_err e_;                                                                  \
		int rc_;                                                                           \
		char *got_ = list_titles(s, w_[0] ? w_ : NULL, sort, &e_, &rc_);                   \
		if (rc_)                                                                           \
			fail_msg("list %s: %s", w_[0] ? w_[0] : "", e_.msg);                       \
		if (strcmp(got_, want))                                                            \
			fail_msg("list %s sorted %s: got '%s', want '%s'", w_[0] ? w_[0] : "",     \
				 sort ? sort : "-", got_, want);                                   \
		free(got_);                                                                        \
	} while (0)

static void test_list_filters_sorts(void **state)
{
	struct store *s = open_store();
	struct nv_err err;
	int rc;

	put_fields(s, "Alpha", "open", "2026-03-01", json_pack("[ss]", "home", "urgent"),
		   json_pack("{s:{s:s,s:s}, s:{s:s,s:i}, s:{s:s,s:[{s:s}]}, s:{s:s,s:b},"
			     " s:{s:s,s:[ss]}, s:{s:s,s:{s:s}}}",
			     "Priority", "type", "select", "value", "High", "Estimate", "type",
			     "number", "value", 3, "Owner", "type", "people", "value", "name",
			     "Ada Lovelace", "Done", "type", "checkbox", "value", 0, "Area", "type",
			     "multi_select", "value", "Infra", "Ops", "Deadline", "type", "date",
			     "value", "start", "2026-05-01"));
	put_fields(s, "Beta", "done", "2026-12-31", json_pack("[s]", "work"),
		   json_pack("{s:{s:s,s:s}, s:{s:s,s:f}, s:{s:s,s:[{s:s}]}, s:{s:s,s:b},"
			     " s:{s:s,s:[s]}}",
			     "Priority", "type", "select", "value", "Low", "Estimate", "type",
			     "number", "value", 8.0, "Owner", "type", "people", "value", "name",
			     "Grace Hopper", "Done", "type", "checkbox", "value", 1, "Area", "type",
			     "multi_select", "value", "Ops"));
	put_fields(s, "Gamma", "open", NULL, NULL,
		   json_pack("{s:{s:s,s:s}, s:{s:s,s:i}}", "Priority", "type", "select", "value",
			     "High", "Estimate", "type", "number", "value", 13));
	put_fields(s, "Delta", "blocked", "2027-01-15", NULL, NULL);

	ASSERT_LIST(s, "title", "Alpha|Gamma", "status=open");
	ASSERT_LIST(s, "title", "Alpha|Gamma", "Priority=high");
	ASSERT_LIST(s, "title", "Beta|Delta", "Priority!=High");
	ASSERT_LIST(s, "title", "Beta|Gamma", "Estimate>=8");
	ASSERT_LIST(s, "title", "Alpha", "Estimate<5");
	ASSERT_LIST(s, "title", "Alpha", "Estimate=3");
	ASSERT_LIST(s, "title", "Alpha", "dueDate<2026-12-31");
	ASSERT_LIST(s, "title", "Beta|Delta", "dueDate>=2026-12-31");
	ASSERT_LIST(s, "title", "Alpha", "Owner~ada");
	ASSERT_LIST(s, "title", "Beta", "Owner=grace hopper");
	ASSERT_LIST(s, "title", "Alpha", "tags=home");
	ASSERT_LIST(s, "title", "Alpha|Beta", "tags?");
	ASSERT_LIST(s, "title", "Delta|Gamma", "tags=");
	ASSERT_LIST(s, "title", "Alpha|Beta", "Area=Ops");
	ASSERT_LIST(s, "title", "Beta", "Done=true");
	ASSERT_LIST(s, "title", "Alpha", "Deadline<2026-06-01");
	ASSERT_LIST(s, "title", "Delta|Gamma", "Owner=");
	ASSERT_LIST(s, "title", "Gamma", "status=open", " Priority = High ", "Estimate>5");
	/* sorts: empty values last in either direction */
	ASSERT_LIST(s, "dueDate", "Alpha|Beta|Delta|Gamma", NULL);
	ASSERT_LIST(s, "dueDate:desc", "Delta|Beta|Alpha|Gamma", NULL);
	ASSERT_LIST(s, "Estimate", "Alpha|Beta|Gamma|Delta", NULL);
	ASSERT_LIST(s, "created", "Delta|Gamma|Beta|Alpha", NULL);
	ASSERT_LIST(s, "created:asc", "Alpha|Beta|Gamma|Delta", NULL);

	/* bad expressions name themselves and what is wrong */
	const struct {
		const char *expr, *want;
	} bad[] = {
		{"Priority", "filter 'Priority': no operator"},
		{"=High", "filter '=High': no field name"},
		{"Estimate>", "filter 'Estimate>': no value after '>'"},
		{"Pri\"ority=x", "contains a quote"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *w[] = {bad[i].expr, NULL};
		char *got = list_titles(s, w, NULL, &err, &rc);
		assert_null(got);
		assert_int_equal(rc, NV_EINVAL);
		if (!strstr(err.msg, bad[i].want))
			fail_msg("filter '%s': message '%s' lacks '%s'", bad[i].expr, err.msg,
				 bad[i].want);
	}
	assert_null(list_titles(s, NULL, "relevance", &err, &rc));
	assert_int_equal(rc, NV_EINVAL);
	assert_non_null(strstr(err.msg, "needs a search"));
	store_close(s);
}

/* Pages by cursor: every earlier task exactly once while others are written. */
static void test_list_cursors(void **state)
{
	struct store *s = open_store();
	struct task_filter f;
	struct task_list l;
	struct nv_err err;
	char title[32], *cursor = NULL;
	int seen[40] = {0}, pages = 0;
	const char *sorts[] = {NULL, "Estimate", "created:asc", "title:desc"};

	time_set_clock(fake_clock);
	set_time("2026-01-01T00:00:00Z");
	for (int i = 0; i < 20; i++) {
		snprintf(title, sizeof(title), "task %02d", i);
		fake_now += 1000;
		put_fields(s, title, "open", NULL, NULL,
			   i % 3 ? json_pack("{s:{s:s,s:i}}", "Estimate", "type", "number", "value",
					     i % 4)
				 : NULL);
	}
	for (size_t k = 0; k < sizeof(sorts) / sizeof(sorts[0]); k++) {
		memset(seen, 0, sizeof(seen));
		pages = 0;
		do {
			memset(&f, 0, sizeof(f));
			f.sort = sorts[k];
			f.limit = 3;
			f.cursor = cursor;
			nv_err_clear(&err);
			if (store_task_list(s, &f, &l, &err))
				fail_msg("page %d sorted %s: %s", pages, sorts[k], err.msg);
			assert_int_equal(l.total, cursor ? -1 : 20 + (int)k * 2);
			for (size_t i = 0; i < l.n; i++) {
				int num = atoi(l.items[i].title + 5);
				seen[num]++;
			}
			free(cursor);
			cursor = l.next_cursor ? xstrdup(l.next_cursor) : NULL;
			assert_int_equal(l.has_more, cursor != NULL);
			task_list_release(&l);
			/* writes between pages: two new tasks, one old one changed */
			if (pages++ == 1) {
				for (int j = 0; j < 2; j++) {
					snprintf(title, sizeof(title), "task %02d",
						 20 + (int)k * 2 + j);
					fake_now += 1000;
					put_fields(s, title, "open", NULL, NULL, NULL);
				}
			}
		} while (cursor);
		for (int i = 0; i < 20 + (int)k * 2; i++)
			if (seen[i] != 1)
				fail_msg("sorted %s: task %02d seen %d times", sorts[k], i,
					 seen[i]);
	}

	/* a cursor is checked: made for another sort, or not made by nvault at all */
	memset(&f, 0, sizeof(f));
	f.sort = "Estimate";
	f.limit = 2;
	if (store_task_list(s, &f, &l, &err))
		fail_msg("store_task_list: %s", err.msg);
	cursor = xstrdup(l.next_cursor);
	task_list_release(&l);
	f.sort = "title";
	f.cursor = cursor;
	assert_int_equal(store_task_list(s, &f, &l, &err), NV_EINVAL);
	assert_non_null(strstr(err.msg, "sorted by 'Estimate:asc'"));
	f.cursor = "c1zz";
	assert_int_equal(store_task_list(s, &f, &l, &err), NV_EINVAL);
	assert_non_null(strstr(err.msg, "is not one nvault gave"));
	free(cursor);
	store_close(s);
}

static void test_transaction_rollback(void **state)
{
	struct store *s = open_store();
	struct task t;
	struct nv_err err;

	nv_err_clear(&err);
	assert_int_equal(store_begin(s, &err), NV_OK);
	assert_int_equal(store_begin(s, &err), NV_EINVAL);
	notion_task(&t, 1, "gone");
	put(s, &t, &sync_vi);
	task_release(&t);
	store_rollback(s);
	assert_int_equal(raw_count("SELECT count(*) FROM tasks"), 0);
	/* close with an open transaction rolls back too */
	assert_int_equal(store_begin(s, &err), NV_OK);
	notion_task(&t, 1, "gone");
	put(s, &t, &sync_vi);
	task_release(&t);
	store_close(s);
	assert_int_equal(raw_count("SELECT count(*) FROM task_versions"), 0);
}

/* ---- compact versions (schema 5) ----------------------------------------- */

/* Notion-like metadata: a dozen properties, one of them changing with v. */
static json_t *notion_props(int i, int v)
{
	return json_pack("{s:{s:{s:s,s:s,s:i},s:{s:s,s:s,s:s},s:{s:s,s:s,s:b},s:{s:s,s:s,s:[ss]},"
			 "s:{s:s,s:s,s:s},s:{s:s,s:s,s:f},s:{s:s,s:s,s:n},s:{s:s,s:s,s:{}}},s:s}",
			 "notionProperties", "Estimate", "id", "kjPO", "type", "number", "value", v,
			 "Status", "id", "M%3BBw", "type", "status", "value",
			 i % 2 ? "In progress" : "Done", "Done", "id", "BBla", "type", "checkbox",
			 "value", i % 3 == 0, "Tags", "id", "t%5Bg", "type", "multi_select",
			 "value", "ops", "bug", "Name", "id", "title", "type", "title", "value",
			 i % 4 ? "Café ✨ \"quoted\"" : "plain", "Score", "id", "sc", "type",
			 "formula", "value", 0.1 * i, "Due", "id", "dUe1", "type", "date", "value",
			 "Empty", "id", "em", "type", "rich_text", "value", "local", "kept");
}

/* Writes tasks with several versions each (Notion and local, deleted, long texts). */
static void write_history(struct store *s, int tasks)
{
	char desc[400];

	for (int i = 1; i <= tasks; i++) {
		for (int v = 1; v <= 3; v++) {
			struct task t;
			notion_task(&t, i, i % 5 ? "a task" : "another task");
			json_decref(t.metadata);
			t.metadata = i % 7 ? notion_props(i, v == 3 ? 2 : 1) : NULL;
			snprintf(desc, sizeof(desc),
				 "A description long enough to be stored once and shared by the "
				 "versions that keep it, for task %d%s",
				 i, v == 3 ? " (revised)" : "");
			t.description = xstrdup(i % 3 ? desc : "short");
			t.active = !(i % 6 == 0 && v == 3);
			put(s, &t, &sync_vi);
			task_release(&t);
		}
	}
	for (int i = 0; i < 3; i++) {
		struct task t;
		task_init(&t);
		t.title = xstrdup("local");
		t.description = xstrdup(i ? "a local task with a description of some length, stored"
					  : NULL);
		t.metadata = i == 2 ? json_pack("{s:s}", "note", "x") : NULL;
		put(s, &t, &(struct version_info){"cli", "created", 0});
		task_release(&t);
	}
}

/* Every version of every task as JSON (what history reads back, hashes included). */
static json_t *all_versions(struct store *s)
{
	struct task_list l;
	struct task_filter f = {.include_deleted = 1, .limit = 1000};
	struct nv_err err;
	json_t *out = json_object();

	nv_err_clear(&err);
	if (store_task_list(s, &f, &l, &err))
		fail_msg("store_task_list: %s", err.msg);
	assert_false(l.has_more);
	for (size_t i = 0; i < l.n; i++) {
		struct task_version *v;
		size_t n;
		json_t *arr = json_array();
		assert_int_equal(store_task_history(s, l.items[i].id, &v, &n, &err), NV_OK);
		for (size_t j = 0; j < n; j++)
			json_array_append_new(arr, task_version_to_json(&v[j]));
		task_versions_free(v, n);
		json_object_set_new(out, l.items[i].id, arr);
	}
	task_list_release(&l);
	return out;
}

static void verify_ok(struct store *s)
{
	struct nv_err err;
	json_t *report = NULL;

	nv_err_clear(&err);
	if (store_verify(s, &report, &err))
		fail_msg("verify: %s", err.msg);
	assert_true(json_is_true(json_object_get(report, "ok")));
	json_decref(report);
}

/*
 * Turns versions from seq `from` on back into what schema 4 wrote: the
 * description and the canonical metadata JSON as TEXT (read back through
 * the store, so it is exactly what the put serialised).
 */
static void unpack_versions(int64_t from)
{
	sqlite3 *db;
	sqlite3_stmt *sel, *upd;

	assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
	assert_int_equal(
		sqlite3_exec(db, "BEGIN; DROP TRIGGER task_versions_no_update", NULL, NULL, NULL),
		SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT seq, task_id, version FROM task_versions"
					    " WHERE seq >= ? ORDER BY seq",
					    -1, &sel, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
					    "UPDATE task_versions SET description = ?,"
					    " metadata = ? WHERE seq = ?",
					    -1, &upd, NULL),
			 SQLITE_OK);
	sqlite3_bind_int64(sel, 1, from);
	{
		struct store *s = open_store();
		while (sqlite3_step(sel) == SQLITE_ROW) {
			struct task_version v;
			struct nv_err err;
			char *meta;
			nv_err_clear(&err);
			assert_int_equal(
				store_task_version(s, (const char *)sqlite3_column_text(sel, 1),
						   sqlite3_column_int64(sel, 2), &v, &err),
				NV_OK);
			meta = v.snap.metadata ? task_json_canonical(v.snap.metadata) : NULL;
			if (v.snap.description)
				sqlite3_bind_text(upd, 1, v.snap.description, -1, SQLITE_TRANSIENT);
			else
				sqlite3_bind_null(upd, 1);
			if (meta)
				sqlite3_bind_text(upd, 2, meta, -1, free);
			else
				sqlite3_bind_null(upd, 2);
			sqlite3_bind_int64(upd, 3, sqlite3_column_int64(sel, 0));
			assert_int_equal(sqlite3_step(upd), SQLITE_DONE);
			sqlite3_reset(upd);
			task_version_release(&v);
		}
		store_close(s);
	}
	sqlite3_finalize(sel);
	sqlite3_finalize(upd);
	assert_int_equal(sqlite3_exec(db,
				      "CREATE TRIGGER task_versions_no_update BEFORE UPDATE ON"
				      " task_versions BEGIN SELECT RAISE(ABORT, 'task_versions is"
				      " append-only: UPDATE refused'); END; COMMIT",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
}

/* A one-field edit adds a small version and one new content: the rest is shared. */
static void test_versions_share_contents(void **state)
{
	struct store *s = open_store();
	struct task t;
	int64_t contents, bytes;

	write_history(s, 12);
	verify_ok(s);
	/* packed: every version with metadata or a long description */
	assert_int_equal(raw_count("SELECT count(*) FROM task_versions WHERE metadata IS NOT NULL"
				   " AND typeof(metadata) <> 'blob'"),
			 0);
	assert_int_equal(raw_count("SELECT count(*) FROM task_versions WHERE typeof(description)"
				   " = 'text' AND length(description) >= 48"),
			 0);
	/* short texts stay inline */
	assert_true(raw_count("SELECT count(*) FROM task_versions WHERE description = 'short'") >
		    0);
	contents = raw_count("SELECT count(*) FROM contents");
	notion_task(&t, 1, "a task");
	json_decref(t.metadata);
	t.metadata = notion_props(1, 99);
	t.description = xstrdup("A description long enough to be stored once and shared by the "
				"versions that keep it, for task 1 (revised)");
	assert_int_equal(put(s, &t, &sync_vi), PUT_UPDATED);
	task_release(&t);
	/* one new content: the changed property */
	assert_int_equal(raw_count("SELECT count(*) FROM contents"), contents + 1);
	bytes = raw_count("SELECT length(metadata) FROM task_versions ORDER BY seq DESC LIMIT 1");
	assert_true(bytes < 40);
	/* the contents table is append-only too */
	assert_int_not_equal(raw_sql("UPDATE contents SET data = 'x'", NULL), SQLITE_OK);
	assert_int_not_equal(raw_sql("DELETE FROM contents", NULL), SQLITE_OK);
	store_close(s);
}

/*
 * A store of schema 4 (full texts in every version) is packed in place:
 * verify passes before and after, and every version reads back the same,
 * hashes included; a migration stopped half way goes on at the next open.
 */
static void test_old_versions_are_packed(void **state)
{
	struct store *s = open_store();
	json_t *before, *after;
	int64_t total, half;

	write_history(s, 40);
	verify_ok(s);
	before = all_versions(s);
	store_close(s);
	total = raw_count("SELECT count(*) FROM task_versions");
	assert_true(total > 60);

	/* what schema 4 had: TEXT everywhere, no contents table */
	unpack_versions(0);
	assert_int_equal(raw_sql("DROP TABLE contents; DROP TABLE pack_progress;"
				 "PRAGMA user_version = 4",
				 NULL),
			 SQLITE_OK);
	assert_int_equal(raw_count("SELECT count(*) FROM task_versions WHERE typeof(metadata)"
				   " = 'blob' OR typeof(description) = 'blob'"),
			 0);
	s = open_store();
	assert_int_equal(raw_count("PRAGMA user_version"), store_schema_version());
	assert_int_equal(raw_count("SELECT count(*) FROM pack_progress"), 0);
	assert_int_equal(raw_count("SELECT count(*) FROM task_versions WHERE metadata IS NOT NULL"
				   " AND typeof(metadata) <> 'blob'"),
			 0);
	verify_ok(s);
	after = all_versions(s);
	assert_true(json_equal(before, after));
	json_decref(after);
	store_close(s);

	/* stopped half way: the second half unpacked, the progress where it stopped */
	half = raw_count("SELECT seq FROM task_versions ORDER BY seq LIMIT 1 OFFSET 40");
	unpack_versions(half);
	{
		char sql[128];
		snprintf(sql, sizeof(sql), "INSERT INTO pack_progress VALUES (1, %lld)",
			 (long long)half);
		assert_int_equal(raw_sql(sql, NULL), SQLITE_OK);
	}
	assert_true(
		raw_count("SELECT count(*) FROM task_versions WHERE typeof(metadata) = 'text'") >
		0);
	/* a read-only open reads both forms as they are, and changes nothing */
	{
		struct nv_err err;
		nv_err_clear(&err);
		assert_int_equal(store_open(db_path, STORE_READONLY, &s, &err), NV_OK);
		after = all_versions(s);
		assert_true(json_equal(before, after));
		json_decref(after);
		store_close(s);
		assert_int_equal(raw_count("SELECT count(*) FROM pack_progress"), 1);
	}
	s = open_store();
	assert_int_equal(raw_count("SELECT count(*) FROM pack_progress"), 0);
	assert_int_equal(raw_count("SELECT count(*) FROM task_versions WHERE typeof(metadata)"
				   " = 'text'"),
			 0);
	verify_ok(s);
	after = all_versions(s);
	assert_true(json_equal(before, after));
	json_decref(after);
	json_decref(before);
	store_close(s);
}

/* A pack that points at no content reads as absent, and verify says which version. */
static void test_damaged_pack_is_reported(void **state)
{
	struct store *s = open_store();
	struct nv_err err;
	json_t *report = NULL;

	write_history(s, 2);
	store_close(s);
	assert_int_equal(raw_sql("DROP TRIGGER task_versions_no_update;"
				 "UPDATE task_versions SET metadata = x'0201009f7f'"
				 " WHERE seq = (SELECT min(seq) FROM task_versions);"
				 "CREATE TRIGGER task_versions_no_update BEFORE UPDATE ON"
				 " task_versions BEGIN SELECT RAISE(ABORT, 'refused'); END",
				 NULL),
			 SQLITE_OK);
	s = open_store();
	nv_err_clear(&err);
	assert_int_equal(store_verify(s, &report, &err), NV_ETAMPERED);
	if (!strstr(err.msg, "version 1: content hash does not match"))
		fail_msg("verify said: %s", err.msg);
	json_decref(report);
	store_close(s);
}

static int count_unseen(void *ud, const struct task *t)
{
	(*(int *)ud)++;
	return 0;
}

static void test_scan_marks(void **state)
{
	struct store *s = open_store();
	struct task t;
	struct nv_err err;
	int64_t count;
	int calls = 0;
	const char *seen[] = {"00000001-0000-4000-8000-000000000001",
			      "00000002000040008000000000000002",
			      "ffffffff000040008000000000000009"};

	for (int i = 1; i <= 4; i++) {
		notion_task(&t, i, "row");
		put(s, &t, &sync_vi);
		task_release(&t);
	}
	nv_err_clear(&err);
	assert_int_equal(store_scan_mark_seen(s, DS_ID, 1, seen, 3, &err), NV_OK);
	assert_int_equal(store_scan_unseen(s, DS_ID, 1, count_unseen, &calls, &count, &err), NV_OK);
	assert_int_equal(count, 2);
	assert_int_equal(calls, 2);
	assert_int_equal(store_scan_unseen(s, DS_ID, 2, NULL, NULL, &count, &err), NV_OK);
	assert_int_equal(count, 4);
	/* the marks live in their own narrow table, not in the task rows */
	assert_int_equal(raw_count("SELECT count(*) FROM scan_seen WHERE epoch = 1"), 2);
	assert_int_equal(raw_count("SELECT count(*) FROM tasks WHERE scan_epoch <> 0"), 0);
	/* the next scan of the data source drops the marks of the one before */
	assert_int_equal(store_scan_mark_seen(s, DS_ID, 2, seen + 1, 1, &err), NV_OK);
	assert_int_equal(raw_count("SELECT count(*) FROM scan_seen WHERE epoch = 1"), 0);
	assert_int_equal(raw_count("SELECT count(*) FROM scan_seen WHERE epoch = 2"), 1);
	assert_int_equal(store_scan_unseen(s, DS_ID, 2, NULL, NULL, &count, &err), NV_OK);
	assert_int_equal(count, 3);
	/* a mark that rolls back with its transaction is gone, and so is the forgetting */
	assert_int_equal(store_begin(s, &err), NV_OK);
	assert_int_equal(store_scan_mark_seen(s, DS_ID, 3, seen, 3, &err), NV_OK);
	store_rollback(s);
	assert_int_equal(raw_count("SELECT count(*) FROM scan_seen WHERE epoch = 2"), 1);
	assert_int_equal(store_scan_mark_seen(s, DS_ID, 3, seen, 1, &err), NV_OK);
	assert_int_equal(raw_count("SELECT count(*) FROM scan_seen"), 1);
	assert_int_equal(store_scan_unseen(s, DS_ID, 3, NULL, NULL, &count, &err), NV_OK);
	assert_int_equal(count, 3);
	store_close(s);
}

static void test_records(void **state)
{
	struct store *s = open_store();
	struct evidence e, *list;
	struct sync_state st, got, *states;
	struct sched_state sc;
	struct nv_err err;
	struct task t;
	json_t *conflicts;
	size_t n;

	nv_err_clear(&err);
	for (int i = 0; i < 3; i++) {
		evidence_init(&e);
		e.type = xstrdup("import");
		e.source = xstrdup("notion");
		e.source_id = xstrdup(i == 2 ? "ffffffffffffffffffffffffffffffff" : DB_ID);
		e.trigger = xstrdup("manual");
		e.status = xstrdup(i ? "success" : "failed");
		e.metadata = json_pack("{s:i s:[s]}", "syncedCount", i, "errors", "x");
		assert_int_equal(store_evidence_add(s, &e, &err), NV_OK);
		assert_non_null(e.id);
		evidence_release(&e);
	}
	assert_int_equal(store_evidence_list(s, NULL, 0, &list, &n, &err), NV_OK);
	assert_int_equal(n, 3);
	assert_string_equal(list[0].source_id, "ffffffff-ffff-ffff-ffff-ffffffffffff");
	assert_int_equal(json_integer_value(json_object_get(list[2].metadata, "syncedCount")), 0);
	{
		json_t *j = evidence_to_json(&list[1]);
		assert_string_equal(json_string_value(json_object_get(j, "status")), "success");
		json_decref(j);
	}
	evidence_free_array(list, n);
	assert_int_equal(
		store_evidence_list(s, "1a2b3c4d5e6f47a8b9c0d1e2f3a4b5c6", 1, &list, &n, &err),
		NV_OK);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].status, "success");
	evidence_free_array(list, n);

	sync_state_init(&st);
	assert_int_equal(store_sync_state_get(s, DS_ID, &got, &err), NV_ENOTFOUND);
	sync_state_release(&got);
	st.data_source_id = xstrdup("2b3c4d5e6f7048a9b0c1d2e3f4a5b6c7");
	st.database_id = xstrdup(DB_ID);
	st.watermark = xstrdup("2026-01-01T00:00:00.000Z");
	st.scan_epoch = 4;
	st.extra = json_pack("{s:b}", "x", 1);
	assert_int_equal(store_sync_state_put(s, &st, &err), NV_OK);
	free(st.watermark);
	st.watermark = xstrdup("2026-02-01T00:00:00.000Z");
	assert_int_equal(store_sync_state_put(s, &st, &err), NV_OK);
	assert_int_equal(store_sync_state_get(s, DS_ID, &got, &err), NV_OK);
	assert_string_equal(got.watermark, "2026-02-01T00:00:00.000Z");
	assert_int_equal(got.scan_epoch, 4);
	assert_null(got.resume_after);
	assert_true(json_is_true(json_object_get(got.extra, "x")));
	sync_state_release(&got);
	sync_state_release(&st);
	assert_int_equal(store_sync_state_list(s, &states, &n, &err), NV_OK);
	assert_int_equal(n, 1);
	sync_states_free(states, n);

	notion_task(&t, 1, "conflicted");
	put(s, &t, &sync_vi);
	assert_int_equal(store_conflict_add(s, t.id, "lv", t.current_version_id, &err), NV_OK);
	assert_int_equal(store_conflict_list(s, t.id, &conflicts, &err), NV_OK);
	assert_int_equal(json_array_size(conflicts), 1);
	assert_string_equal(
		json_string_value(json_object_get(json_array_get(conflicts, 0), "localVersionId")),
		"lv");
	json_decref(conflicts);
	assert_int_equal(store_conflict_list(s, NULL, &conflicts, &err), NV_OK);
	assert_int_equal(json_array_size(conflicts), 1);
	json_decref(conflicts);
	task_release(&t);

	assert_int_equal(store_sched_state_get(s, &sc, &err), NV_OK);
	assert_null(sc.schedule);
	assert_int_equal(sc.running, 0);
	sc.enabled = 1;
	sc.running = 1;
	sc.pid = 1234;
	sc.schedule = xstrdup("0 5 * * *");
	sc.next_run = xstrdup("2026-01-02T05:00:00.000Z");
	assert_int_equal(store_sched_state_put(s, &sc, &err), NV_OK);
	sched_state_release(&sc);
	assert_int_equal(store_sched_state_get(s, &sc, &err), NV_OK);
	assert_int_equal(sc.pid, 1234);
	assert_string_equal(sc.schedule, "0 5 * * *");
	assert_non_null(sc.updated_at);
	sched_state_release(&sc);
	store_close(s);
}

static void test_lock(void **state)
{
	struct store *s = open_store(), *s2 = open_store();
	struct store_lock *l1 = NULL, *l2 = NULL;
	struct nv_err err;
	pid_t pid;
	int status;

	nv_err_clear(&err);
	assert_int_equal(store_lock(s, &l1, &err), NV_OK);
	assert_int_equal(store_lock(s2, &l2, &err), NV_ELOCKED);
	assert_null(l2);
	assert_non_null(strstr(err.msg, "already running"));
	/* another process sees it held too */
	pid = fork();
	if (pid == 0) {
		struct store *c = open_store();
		struct store_lock *l = NULL;
		int rc = store_lock(c, &l, NULL);
		store_unlock(l);
		store_close(c);
		_exit(rc == NV_ELOCKED ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
	store_unlock(l1);
	assert_int_equal(store_lock(s2, &l2, &err), NV_OK);
	store_unlock(l2);
	store_close(s);
	store_close(s2);
}

#define WRITERS 2
#define EDITS 40

/* Two processes append versions to one task; numbers stay dense and unique. */
static void test_concurrent_writers(void **state)
{
	struct store *s = open_store();
	struct task t;
	pid_t pids[WRITERS];
	char tid[64];
	struct task_version *hist;
	size_t n;
	struct nv_err err;
	json_t *report;

	notion_task(&t, 1, "contended");
	put(s, &t, &sync_vi);
	snprintf(tid, sizeof(tid), "%s", t.id);
	task_release(&t);
	store_close(s);

	for (int w = 0; w < WRITERS; w++) {
		pids[w] = fork();
		assert_true(pids[w] >= 0);
		if (pids[w] == 0) {
			struct store *c = NULL;
			int bad = 0;
			if (store_open(db_path, 0, &c, NULL))
				_exit(2);
			for (int i = 0; i < EDITS && !bad; i++) {
				struct task u;
				struct nv_err e;
				char title[64];
				enum put_outcome out;
				task_init(&u);
				u.id = xstrdup(tid);
				snprintf(title, sizeof(title), "writer %d edit %d", w, i);
				u.title = xstrdup(title);
				u.source = xstrdup("local");
				nv_err_clear(&e);
				if (store_task_put(c, &u,
						   &(struct version_info){"cli", "local edit", 0},
						   &out, &e) ||
				    out != PUT_UPDATED) {
					fprintf(stderr, "writer %d: %s\n", w, e.msg);
					bad = 1;
				}
				task_release(&u);
			}
			store_close(c);
			_exit(bad);
		}
	}
	for (int w = 0; w < WRITERS; w++) {
		int status;
		assert_int_equal(waitpid(pids[w], &status, 0), pids[w]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	s = open_store();
	nv_err_clear(&err);
	assert_int_equal(store_task_history(s, tid, &hist, &n, &err), NV_OK);
	assert_int_equal(n, 1 + WRITERS * EDITS);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(hist[i].num, (int64_t)i + 1);
	task_versions_free(hist, n);
	assert_int_equal(store_verify(s, &report, &err), NV_OK);
	json_decref(report);
	store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_creates_and_migrates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_file_migrates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_older_schema_migrates_forward, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_put_get_history, setup, teardown),
		cmocka_unit_test_setup_teardown(test_soft_delete_restore_and_counts, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_triggers_refuse_update_delete, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_verify_detects_tampering, setup, teardown),
		cmocka_unit_test_setup_teardown(test_as_of_and_diff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_search_ranks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_filters_sorts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_cursors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_search_index_migration, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_pagination_filters_search, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_transaction_rollback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_marks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_versions_share_contents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_old_versions_are_packed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged_pack_is_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_writers, setup, teardown),
	};
	/* the same on PostgreSQL, without SQLite's own migrations and packs */
	const struct CMUnitTest pg_tests[] = {
		cmocka_unit_test_setup_teardown(test_open_creates_and_migrates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_put_get_history, setup, teardown),
		cmocka_unit_test_setup_teardown(test_soft_delete_restore_and_counts, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_triggers_refuse_update_delete, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_verify_detects_tampering, setup, teardown),
		cmocka_unit_test_setup_teardown(test_as_of_and_diff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_search_ranks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_filters_sorts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_cursors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_pagination_filters_search, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_transaction_rollback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_marks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_writers, setup, teardown),
	};
	const char *engine = getenv("NV_TEST_ENGINE");

	if (engine && !strcmp(engine, "postgresql")) {
		pg_mode = 1;
		nv_pg_start(); /* fails the program, saying why, when there is no server */
		return cmocka_run_group_tests(pg_tests, NULL, NULL);
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
