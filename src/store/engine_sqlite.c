/*
 * engine_sqlite.c: the SQLite engine of the store (store_engine.h), a thin
 * wrapper: SQLite's codes and types are the interface's own numbers.
 */
#include "store/store_engine.h"

#include <sqlite3.h>
#include <stdlib.h>

#include "util/xalloc.h"

struct db {
	sqlite3 *h;
};

struct db_stmt {
	sqlite3_stmt *st;
	struct db *db;
};

int db_open_sqlite(const char *name, unsigned flags, int busy_timeout_ms, struct db **out)
{
	int oflags = (flags & DB_OPEN_READONLY) ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
	struct db *db = xcalloc(1, sizeof(*db));
	int rc;

	if (flags & DB_OPEN_CREATE)
		oflags |= SQLITE_OPEN_CREATE;
	if (flags & DB_OPEN_URI)
		oflags |= SQLITE_OPEN_URI;
	rc = sqlite3_open_v2(name, &db->h, oflags | SQLITE_OPEN_NOMUTEX, NULL);
	*out = db;
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_extended_result_codes(db->h, 0);
	sqlite3_busy_timeout(db->h, busy_timeout_ms);
	return DB_OK;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	sqlite3_close(db->h);
	free(db);
}

const char *db_errmsg(const struct db *db)
{
	return sqlite3_errmsg(db->h);
}

const char *db_errstr(int rc)
{
	return sqlite3_errstr(rc);
}

int db_errcode(const struct db *db)
{
	return sqlite3_errcode(db->h);
}

int db_exec(struct db *db, const char *sql)
{
	return sqlite3_exec(db->h, sql, NULL, NULL, NULL);
}

int db_autocommit(const struct db *db)
{
	return sqlite3_get_autocommit(db->h);
}

int64_t db_changes(const struct db *db)
{
	return sqlite3_changes(db->h);
}

int64_t db_last_insert_id(struct db *db)
{
	return sqlite3_last_insert_rowid(db->h);
}

int db_prepare(struct db *db, const char *sql, struct db_stmt **out)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db->h, sql, -1, &st, NULL);

	*out = NULL;
	if (rc != SQLITE_OK)
		return rc;
	*out = xmalloc(sizeof(**out));
	(*out)->st = st;
	(*out)->db = db;
	return DB_OK;
}

int db_finalize(struct db_stmt *st)
{
	int rc;

	if (!st)
		return DB_OK;
	rc = sqlite3_finalize(st->st);
	free(st);
	return rc;
}

int db_reset(struct db_stmt *st)
{
	return sqlite3_reset(st->st);
}

void db_clear_bindings(struct db_stmt *st)
{
	sqlite3_clear_bindings(st->st);
}

int db_step(struct db_stmt *st)
{
	return sqlite3_step(st->st);
}

int db_bind_text(struct db_stmt *st, int idx, const char *text, int n)
{
	return sqlite3_bind_text(st->st, idx, text, n, SQLITE_TRANSIENT);
}

int db_bind_blob(struct db_stmt *st, int idx, const void *data, int n)
{
	return sqlite3_bind_blob(st->st, idx, data, n, SQLITE_TRANSIENT);
}

int db_bind_int(struct db_stmt *st, int idx, int v)
{
	return sqlite3_bind_int(st->st, idx, v);
}

int db_bind_int64(struct db_stmt *st, int idx, int64_t v)
{
	return sqlite3_bind_int64(st->st, idx, v);
}

int db_bind_double(struct db_stmt *st, int idx, double v)
{
	return sqlite3_bind_double(st->st, idx, v);
}

int db_bind_null(struct db_stmt *st, int idx)
{
	return sqlite3_bind_null(st->st, idx);
}

int db_bind_pointer(struct db_stmt *st, int idx, void *p, const char *type)
{
	return sqlite3_bind_pointer(st->st, idx, p, type, NULL);
}

int db_column_count(struct db_stmt *st)
{
	return sqlite3_column_count(st->st);
}

int db_column_type(struct db_stmt *st, int idx)
{
	return sqlite3_column_type(st->st, idx);
}

const unsigned char *db_column_text(struct db_stmt *st, int idx)
{
	return sqlite3_column_text(st->st, idx);
}

const void *db_column_blob(struct db_stmt *st, int idx)
{
	return sqlite3_column_blob(st->st, idx);
}

int db_column_bytes(struct db_stmt *st, int idx)
{
	return sqlite3_column_bytes(st->st, idx);
}

int db_column_int(struct db_stmt *st, int idx)
{
	return sqlite3_column_int(st->st, idx);
}

int64_t db_column_int64(struct db_stmt *st, int idx)
{
	return sqlite3_column_int64(st->st, idx);
}

double db_column_double(struct db_stmt *st, int idx)
{
	return sqlite3_column_double(st->st, idx);
}

struct sqlite3 *db_sqlite_handle(struct db *db)
{
	return db->h;
}
