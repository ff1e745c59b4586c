/*
 * old_store.c: nv-old-store STORE turns a store of the current schema into
 * one of schema 3, as an older nvault left it, for the migration crash test
 * (tests/integration/test_crash_migration.sh): every version's description
 * and metadata back to plain text (schema 5 packs them), the tables of
 * schemas 5 and 6 (contents, pack_progress, schema_events) dropped, and
 * user_version 3, so the next read-write open runs migrations 4 (search
 * index rebuilt), 5 (contents, then the resumable packing of every old
 * version in batches) and 6. Exit 0, or 1 with a message.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

#include "store/store.h"
#include "task/task.h"

static int fail(const char *what, sqlite3 *db)
{
	fprintf(stderr, "nv-old-store: %s: %s\n", what, db ? sqlite3_errmsg(db) : "");
	return 1;
}

int main(int argc, char **argv)
{
	sqlite3 *db;
	sqlite3_stmt *sel, *upd;
	struct store *s;
	struct nv_err err;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: nv-old-store STORE\n");
		return 2;
	}
	nv_err_clear(&err);
	if (store_open(argv[1], STORE_NO_CREATE, &s, &err)) {
		fprintf(stderr, "nv-old-store: %s\n", err.msg);
		return 1;
	}
	if (sqlite3_open(argv[1], &db) != SQLITE_OK)
		return fail("open", db);
	sqlite3_busy_timeout(db, 60000);
	if (sqlite3_exec(db, "BEGIN IMMEDIATE; DROP TRIGGER task_versions_no_update", NULL, NULL,
			 NULL) != SQLITE_OK)
		return fail("begin", db);
	if (sqlite3_prepare_v2(db, "SELECT seq, task_id, version FROM task_versions ORDER BY seq",
			       -1, &sel, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(
		    db, "UPDATE task_versions SET description = ?, metadata = ? WHERE seq = ?", -1,
		    &upd, NULL) != SQLITE_OK)
		return fail("prepare", db);
	while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
		struct task_version v;
		char *meta;

		nv_err_clear(&err);
		if (store_task_version(s, (const char *)sqlite3_column_text(sel, 1),
				       sqlite3_column_int64(sel, 2), &v, &err)) {
			fprintf(stderr, "nv-old-store: %s\n", err.msg);
			return 1;
		}
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
		if (sqlite3_step(upd) != SQLITE_DONE)
			return fail("unpacking a version", db);
		sqlite3_reset(upd);
		task_version_release(&v);
	}
	if (rc != SQLITE_DONE)
		return fail("reading versions", db);
	sqlite3_finalize(sel);
	sqlite3_finalize(upd);
	store_close(s);
	if (sqlite3_exec(db,
			 "CREATE TRIGGER task_versions_no_update BEFORE UPDATE ON task_versions"
			 " BEGIN SELECT RAISE(ABORT, 'task_versions is append-only: UPDATE"
			 " refused'); END;"
			 "DROP TABLE contents; DROP TABLE pack_progress; DROP TABLE schema_events;"
			 "PRAGMA user_version = 3; COMMIT",
			 NULL, NULL, NULL) != SQLITE_OK)
		return fail("dropping the newer tables", db);
	sqlite3_close(db);
	return 0;
}
