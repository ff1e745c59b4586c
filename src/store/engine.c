/*
 * engine.c: the calls of store_engine.h, dispatched to the engine of the
 * connection (engine_sqlite.c, engine_pg.c) through its table of operations.
 */
#include "store/engine_int.h"

#include <stddef.h>

enum db_engine db_engine(const struct db *db)
{
	return db->engine;
}

const char *db_engine_name(const struct db *db)
{
	return db->ops->name;
}

void db_close(struct db *db)
{
	if (db)
		db->ops->close(db);
}

const char *db_errmsg(const struct db *db)
{
	return db->ops->errmsg(db);
}

int db_errcode(const struct db *db)
{
	return db->ops->errcode(db);
}

int db_exec(struct db *db, const char *sql)
{
	return db->ops->exec(db, sql);
}

int db_begin(struct db *db, enum db_tx kind)
{
	return db->ops->begin(db, kind);
}

int db_autocommit(struct db *db)
{
	return db->ops->autocommit(db);
}

int64_t db_changes(const struct db *db)
{
	return db->ops->changes(db);
}

int64_t db_last_insert_id(struct db *db)
{
	return db->ops->last_insert_id(db);
}

int db_prepare(struct db *db, const char *sql, struct db_stmt **out)
{
	return db->ops->prepare(db, sql, out);
}

int db_finalize(struct db_stmt *st)
{
	return st ? st->db->ops->finalize(st) : DB_OK;
}

int db_reset(struct db_stmt *st)
{
	return st->db->ops->reset(st);
}

void db_clear_bindings(struct db_stmt *st)
{
	st->db->ops->clear_bindings(st);
}

int db_step(struct db_stmt *st)
{
	return st->db->ops->step(st);
}

int db_bind_text(struct db_stmt *st, int idx, const char *text, int n)
{
	return text ? st->db->ops->bind_text(st, idx, text, n) : st->db->ops->bind_null(st, idx);
}

int db_bind_blob(struct db_stmt *st, int idx, const void *data, int n)
{
	return st->db->ops->bind_blob(st, idx, data, n);
}

int db_bind_int(struct db_stmt *st, int idx, int v)
{
	return st->db->ops->bind_int64(st, idx, v);
}

int db_bind_int64(struct db_stmt *st, int idx, int64_t v)
{
	return st->db->ops->bind_int64(st, idx, v);
}

int db_bind_double(struct db_stmt *st, int idx, double v)
{
	return st->db->ops->bind_double(st, idx, v);
}

int db_bind_null(struct db_stmt *st, int idx)
{
	return st->db->ops->bind_null(st, idx);
}

int db_bind_pointer(struct db_stmt *st, int idx, void *p, const char *type)
{
	return st->db->ops->bind_pointer(st, idx, p, type);
}

int db_column_count(struct db_stmt *st)
{
	return st->db->ops->column_count(st);
}

const char *db_column_name(struct db_stmt *st, int idx)
{
	return st->db->ops->column_name(st, idx);
}

int db_column_type(struct db_stmt *st, int idx)
{
	return st->db->ops->column_type(st, idx);
}

const unsigned char *db_column_text(struct db_stmt *st, int idx)
{
	return st->db->ops->column_text(st, idx);
}

const void *db_column_blob(struct db_stmt *st, int idx)
{
	return st->db->ops->column_blob(st, idx);
}

int db_column_bytes(struct db_stmt *st, int idx)
{
	return st->db->ops->column_bytes(st, idx);
}

int db_column_int(struct db_stmt *st, int idx)
{
	return (int)st->db->ops->column_int64(st, idx);
}

int64_t db_column_int64(struct db_stmt *st, int idx)
{
	return st->db->ops->column_int64(st, idx);
}

double db_column_double(struct db_stmt *st, int idx)
{
	return st->db->ops->column_double(st, idx);
}
