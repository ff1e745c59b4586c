/*
 * engine_int.h: what the engines (engine_sqlite.c, engine_pg.c) share with
 * the dispatch of store_engine.h's calls (engine.c): each connection and
 * statement begins with the engine's table of operations.
 */
#ifndef NV_STORE_ENGINE_INT_H
#define NV_STORE_ENGINE_INT_H

#include "store/store_engine.h"

struct db_ops {
	const char *name;
	void (*close)(struct db *db);
	const char *(*errmsg)(const struct db *db);
	int (*errcode)(const struct db *db);
	int (*exec)(struct db *db, const char *sql);
	int (*begin)(struct db *db, enum db_tx kind);
	int (*autocommit)(struct db *db);
	int64_t (*changes)(const struct db *db);
	int64_t (*last_insert_id)(struct db *db);
	int (*prepare)(struct db *db, const char *sql, struct db_stmt **out);
	int (*finalize)(struct db_stmt *st);
	int (*reset)(struct db_stmt *st);
	void (*clear_bindings)(struct db_stmt *st);
	int (*step)(struct db_stmt *st);
	int (*bind_text)(struct db_stmt *st, int idx, const char *text, int n);
	int (*bind_blob)(struct db_stmt *st, int idx, const void *data, int n);
	int (*bind_int64)(struct db_stmt *st, int idx, int64_t v);
	int (*bind_double)(struct db_stmt *st, int idx, double v);
	int (*bind_null)(struct db_stmt *st, int idx);
	int (*bind_pointer)(struct db_stmt *st, int idx, void *p, const char *type);
	int (*column_count)(struct db_stmt *st);
	const char *(*column_name)(struct db_stmt *st, int idx);
	int (*column_type)(struct db_stmt *st, int idx);
	const unsigned char *(*column_text)(struct db_stmt *st, int idx);
	const void *(*column_blob)(struct db_stmt *st, int idx);
	int (*column_bytes)(struct db_stmt *st, int idx);
	int64_t (*column_int64)(struct db_stmt *st, int idx);
	double (*column_double)(struct db_stmt *st, int idx);
};

/* The first member of every engine's connection. */
struct db {
	const struct db_ops *ops;
	enum db_engine engine;
};

/* The first member of every engine's statement. */
struct db_stmt {
	struct db *db;
};

#endif
