/*
 * engine_sqlite.c: the SQLite engine of the store (store_engine.h), a thin
 * wrapper: SQLite's codes and types are the interface's own numbers.
 */
#include "store/engine_int.h"

#include <sqlite3.h>
#include <stdlib.h>

#include "util/xalloc.h"

struct sq_db {
	struct db base;
	sqlite3 *h;
};

struct sq_stmt {
	struct db_stmt base;
	sqlite3_stmt *st;
};

#define H(db) (((const struct sq_db *)(db))->h)
#define ST(s) (((struct sq_stmt *)(s))->st)

static void sq_close(struct db *db)
{
	sqlite3_close(H(db));
	free(db);
}

static const char *sq_errmsg(const struct db *db)
{
	return sqlite3_errmsg(H(db));
}

static int sq_errcode(const struct db *db)
{
	return sqlite3_errcode(H(db));
}

static int sq_exec(struct db *db, const char *sql)
{
	return sqlite3_exec(H(db), sql, NULL, NULL, NULL);
}

static int sq_begin(struct db *db, enum db_tx kind)
{
	/* IMMEDIATE: the write lock now, not at the first write (no deadlock between writers) */
	return sq_exec(db, kind == DB_TX_WRITE ? "BEGIN IMMEDIATE" : "BEGIN");
}

static int sq_autocommit(struct db *db)
{
	return sqlite3_get_autocommit(H(db));
}

static int64_t sq_changes(const struct db *db)
{
	return sqlite3_changes(H(db));
}

static int64_t sq_last_insert_id(struct db *db)
{
	return sqlite3_last_insert_rowid(H(db));
}

static int sq_prepare(struct db *db, const char *sql, struct db_stmt **out)
{
	sqlite3_stmt *st = NULL;
	struct sq_stmt *s;
	int rc = sqlite3_prepare_v2(H(db), sql, -1, &st, NULL);

	*out = NULL;
	if (rc != SQLITE_OK)
		return rc;
	s = xmalloc(sizeof(*s));
	s->base.db = db;
	s->st = st;
	*out = &s->base;
	return DB_OK;
}

static int sq_finalize(struct db_stmt *st)
{
	int rc = sqlite3_finalize(ST(st));

	free(st);
	return rc;
}

static int sq_reset(struct db_stmt *st)
{
	return sqlite3_reset(ST(st));
}

static void sq_clear_bindings(struct db_stmt *st)
{
	sqlite3_clear_bindings(ST(st));
}

static int sq_step(struct db_stmt *st)
{
	return sqlite3_step(ST(st));
}

static int sq_bind_text(struct db_stmt *st, int idx, const char *text, int n)
{
	return sqlite3_bind_text(ST(st), idx, text, n, SQLITE_TRANSIENT);
}

static int sq_bind_blob(struct db_stmt *st, int idx, const void *data, int n)
{
	return sqlite3_bind_blob(ST(st), idx, data, n, SQLITE_TRANSIENT);
}

static int sq_bind_int64(struct db_stmt *st, int idx, int64_t v)
{
	return sqlite3_bind_int64(ST(st), idx, v);
}

static int sq_bind_double(struct db_stmt *st, int idx, double v)
{
	return sqlite3_bind_double(ST(st), idx, v);
}

static int sq_bind_null(struct db_stmt *st, int idx)
{
	return sqlite3_bind_null(ST(st), idx);
}

static int sq_bind_pointer(struct db_stmt *st, int idx, void *p, const char *type)
{
	return sqlite3_bind_pointer(ST(st), idx, p, type, NULL);
}

static int sq_column_count(struct db_stmt *st)
{
	return sqlite3_column_count(ST(st));
}

static const char *sq_column_name(struct db_stmt *st, int idx)
{
	return sqlite3_column_name(ST(st), idx);
}

static int sq_column_type(struct db_stmt *st, int idx)
{
	return sqlite3_column_type(ST(st), idx);
}

static const unsigned char *sq_column_text(struct db_stmt *st, int idx)
{
	return sqlite3_column_text(ST(st), idx);
}

static const void *sq_column_blob(struct db_stmt *st, int idx)
{
	return sqlite3_column_blob(ST(st), idx);
}

static int sq_column_bytes(struct db_stmt *st, int idx)
{
	return sqlite3_column_bytes(ST(st), idx);
}

static int64_t sq_column_int64(struct db_stmt *st, int idx)
{
	return sqlite3_column_int64(ST(st), idx);
}

static double sq_column_double(struct db_stmt *st, int idx)
{
	return sqlite3_column_double(ST(st), idx);
}

static const struct db_ops sqlite_ops = {
	.name = "sqlite",
	.close = sq_close,
	.errmsg = sq_errmsg,
	.errcode = sq_errcode,
	.exec = sq_exec,
	.begin = sq_begin,
	.autocommit = sq_autocommit,
	.changes = sq_changes,
	.last_insert_id = sq_last_insert_id,
	.prepare = sq_prepare,
	.finalize = sq_finalize,
	.reset = sq_reset,
	.clear_bindings = sq_clear_bindings,
	.step = sq_step,
	.bind_text = sq_bind_text,
	.bind_blob = sq_bind_blob,
	.bind_int64 = sq_bind_int64,
	.bind_double = sq_bind_double,
	.bind_null = sq_bind_null,
	.bind_pointer = sq_bind_pointer,
	.column_count = sq_column_count,
	.column_name = sq_column_name,
	.column_type = sq_column_type,
	.column_text = sq_column_text,
	.column_blob = sq_column_blob,
	.column_bytes = sq_column_bytes,
	.column_int64 = sq_column_int64,
	.column_double = sq_column_double,
};

int db_open_sqlite(const char *name, unsigned flags, int busy_timeout_ms, struct db **out)
{
	int oflags = (flags & DB_OPEN_READONLY) ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
	struct sq_db *db = xcalloc(1, sizeof(*db));
	int rc;

	db->base.ops = &sqlite_ops;
	db->base.engine = DB_SQLITE;
	if (flags & DB_OPEN_CREATE)
		oflags |= SQLITE_OPEN_CREATE;
	if (flags & DB_OPEN_URI)
		oflags |= SQLITE_OPEN_URI;
	rc = sqlite3_open_v2(name, &db->h, oflags | SQLITE_OPEN_NOMUTEX, NULL);
	*out = &db->base;
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_extended_result_codes(db->h, 0);
	sqlite3_busy_timeout(db->h, busy_timeout_ms);
	return DB_OK;
}

const char *db_errstr(int rc)
{
	return sqlite3_errstr(rc);
}

struct sqlite3 *db_sqlite_handle(struct db *db)
{
	return db->engine == DB_SQLITE ? H(db) : NULL;
}
