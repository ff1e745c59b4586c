/*
 * store_engine.h: the statement-level interface between the store's logic
 * (src/store/store_*.c: hashes, chain, decisions, packing, cursors) and
 * the SQL engine underneath (engine_sqlite.c). The store names no engine
 * API: it prepares SQL with `?` / `?N` placeholders, binds, steps through
 * rows and reads columns through these functions. Nothing outside
 * src/store includes this header.
 *
 * Return codes and column types keep SQLite's numbers, so that an engine
 * maps its own errors onto them (DB_BUSY, DB_CONSTRAINT, ...) and the
 * store's error handling stays one piece of code.
 */
#ifndef NV_STORE_ENGINE_H
#define NV_STORE_ENGINE_H

#include <stdint.h>

/* A connection to one store. */
struct db;
/* A prepared statement of one connection. */
struct db_stmt;

enum db_rc {
	DB_OK = 0,
	DB_ERROR = 1,
	DB_PERM = 3,
	DB_BUSY = 5,
	DB_LOCKED = 6,
	DB_READONLY = 8,
	DB_CORRUPT = 11,
	DB_CANTOPEN = 14,
	DB_CONSTRAINT = 19,
	DB_NOTADB = 26,
	DB_ROW = 100, /* db_step(): a row is ready */
	DB_DONE = 101 /* db_step(): no more rows */
};

enum db_type { DB_INTEGER = 1, DB_FLOAT = 2, DB_TEXT = 3, DB_BLOB = 4, DB_NULL = 5 };

/* Opening flags of db_open_sqlite(). */
enum db_open_flags {
	DB_OPEN_READONLY = 1 << 0,
	DB_OPEN_CREATE = 1 << 1,
	DB_OPEN_URI = 1 << 2, /* name is a "file:" URI */
};

/*
 * Opens an SQLite file (or "file:" URI); *out is set even on failure so
 * that db_errmsg() can say why; close it with db_close().
 */
int db_open_sqlite(const char *name, unsigned flags, int busy_timeout_ms, struct db **out);
void db_close(struct db *db);

/* The last error of the connection, as text; a message for rc without one. */
const char *db_errmsg(const struct db *db);
const char *db_errstr(int rc);
/* The last error code of the connection (enum db_rc). */
int db_errcode(const struct db *db);

/* Runs SQL without results (several statements separated by ';'). */
int db_exec(struct db *db, const char *sql);
/* True when no transaction is open on the connection. */
int db_autocommit(const struct db *db);
/* Rows changed by the last INSERT/UPDATE/DELETE. */
int64_t db_changes(const struct db *db);
/* The integer key of the row the last INSERT added. */
int64_t db_last_insert_id(struct db *db);

/* Prepares one statement; *out is NULL on failure. */
int db_prepare(struct db *db, const char *sql, struct db_stmt **out);
/* Finalises st; NULL is a no-op. */
int db_finalize(struct db_stmt *st);
/* Ends the current execution of st (keeping its bindings). */
int db_reset(struct db_stmt *st);
void db_clear_bindings(struct db_stmt *st);
/* DB_ROW while there are rows, DB_DONE at the end, else an error. */
int db_step(struct db_stmt *st);

/* Parameters count from 1; text and blobs are copied; n < 0: up to the NUL. */
int db_bind_text(struct db_stmt *st, int idx, const char *text, int n);
int db_bind_blob(struct db_stmt *st, int idx, const void *data, int n);
int db_bind_int(struct db_stmt *st, int idx, int v);
int db_bind_int64(struct db_stmt *st, int idx, int64_t v);
int db_bind_double(struct db_stmt *st, int idx, double v);
int db_bind_null(struct db_stmt *st, int idx);
/* Binds a pointer for an engine function (SQLite's sqlite3_bind_pointer). */
int db_bind_pointer(struct db_stmt *st, int idx, void *p, const char *type);

/* Columns count from 0; text and blobs stay valid until the next step. */
int db_column_count(struct db_stmt *st);
int db_column_type(struct db_stmt *st, int idx);
const unsigned char *db_column_text(struct db_stmt *st, int idx);
const void *db_column_blob(struct db_stmt *st, int idx);
int db_column_bytes(struct db_stmt *st, int idx);
int db_column_int(struct db_stmt *st, int idx);
int64_t db_column_int64(struct db_stmt *st, int idx);
double db_column_double(struct db_stmt *st, int idx);

/* The SQLite handle, for the SQL functions the store registers on SQLite. */
struct sqlite3 *db_sqlite_handle(struct db *db);

#endif
