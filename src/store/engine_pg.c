/*
 * engine_pg.c: the PostgreSQL engine of the store (store_engine.h) over
 * libpq. The store's SQL keeps SQLite's placeholders (`?`, `?N`); they are
 * rewritten to `$N` once per statement. Parameters go as text (typed for
 * numbers, untyped for text so the server infers them from the context)
 * or binary (bytea), results come back as text, one row at a time
 * (single-row mode), so a scan of the whole store keeps memory flat.
 *
 * One connection runs one query at a time. When the store steps a second
 * statement while the rows of a first are still arriving, the rest of the
 * first is read into memory first (pg_idle()); the store's loops that
 * query inside a scan are short, the long scans are not interleaved.
 *
 * Errors keep their SQLSTATE's meaning in SQLite's codes: integrity
 * violations (23xxx, and the append-only triggers' 23000) → DB_CONSTRAINT,
 * serialization failures and lock timeouts → DB_BUSY, missing privileges
 * → DB_PERM, a read-only transaction → DB_READONLY. A lost connection is
 * an error of the statement that found it; the store fails that run.
 */
#include "store/engine_int.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/xalloc.h"

/* the type OIDs of pg_type that the store's columns and parameters use */
#define OID_BOOL 16
#define OID_BYTEA 17
#define OID_INT8 20
#define OID_INT2 21
#define OID_INT4 23
#define OID_OID 26
#define OID_FLOAT4 700
#define OID_FLOAT8 701
#define OID_NUMERIC 1700

struct pg_stmt;

struct pg_db {
	struct db base;
	PGconn *conn;
	char *err; /* the last error's message */
	int errcode;
	int64_t changes;
	struct pg_stmt *active; /* the statement whose results are still arriving */
};

enum pg_state { PG_IDLE, PG_RUNNING, PG_DONE };

struct pg_stmt {
	struct db_stmt base;
	char *sql; /* with $N placeholders */
	int nparams;
	char **values;
	int *lengths;
	int *formats;
	Oid *types;
	enum pg_state state;
	int final_rc;	  /* DB_DONE or the error that ended the results */
	PGresult *row;	  /* the current row */
	PGresult **queue; /* rows read ahead by pg_idle() */
	size_t qhead, qlen, qcap;
	unsigned char **blobs; /* bytea columns of the current row, decoded on demand */
	size_t *blob_len;
	int nblobs;
};

#define PDB(db) ((struct pg_db *)(db))
#define PST(st) ((struct pg_stmt *)(st))

/* Records an error message and code on the connection; returns the code. */
static int set_error(struct pg_db *db, int code, const char *msg)
{
	size_t n;

	free(db->err);
	db->err = xstrdup(msg && *msg ? msg : "unknown PostgreSQL error");
	n = strlen(db->err);
	while (n && (db->err[n - 1] == '\n' || db->err[n - 1] == ' '))
		db->err[--n] = '\0';
	db->errcode = code;
	return code;
}

/* The code of a failed result, from its SQLSTATE; records the message. */
static int result_error(struct pg_db *db, const PGresult *r)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	int code = DB_ERROR;

	if (state) {
		if (!strncmp(state, "23", 2))
			code = DB_CONSTRAINT;
		else if (!strcmp(state, "40001") || !strcmp(state, "40P01") ||
			 !strcmp(state, "55P03"))
			code = DB_BUSY;
		else if (!strcmp(state, "42501"))
			code = DB_PERM;
		else if (!strcmp(state, "25006"))
			code = DB_READONLY;
	}
	if (PQstatus(db->conn) == CONNECTION_BAD) {
		struct buf b = BUF_INIT;

		buf_addf(&b, "the connection to PostgreSQL was lost: %s",
			 primary ? primary : PQerrorMessage(db->conn));
		code = set_error(db, DB_ERROR, b.data);
		buf_release(&b);
		return code;
	}
	return set_error(db, code,
			 primary ? primary
			 : r	 ? PQresultErrorMessage(r)
				 : PQerrorMessage(db->conn));
}

static void drop_row(struct pg_stmt *st)
{
	for (int i = 0; i < st->nblobs; i++)
		PQfreemem(st->blobs[i]);
	free(st->blobs);
	free(st->blob_len);
	st->blobs = NULL;
	st->blob_len = NULL;
	st->nblobs = 0;
	PQclear(st->row);
	st->row = NULL;
}

/*
 * Reads the next result of st's query: DB_ROW with st->row set, else the
 * end (DB_DONE or the error) once every result is read. keep: queue the
 * rows instead (pg_idle()), until the end.
 */
static int read_results(struct pg_db *db, struct pg_stmt *st, int keep)
{
	PGresult *r;

	while ((r = PQgetResult(db->conn))) {
		switch (PQresultStatus(r)) {
		case PGRES_SINGLE_TUPLE:
			if (!keep) {
				st->row = r;
				return DB_ROW;
			}
			st->queue = xgrow(st->queue, &st->qcap, st->qlen + 1, sizeof(*st->queue));
			st->queue[st->qlen++] = r;
			continue;
		case PGRES_TUPLES_OK:
		case PGRES_COMMAND_OK:
			if (*PQcmdTuples(r))
				db->changes = strtoll(PQcmdTuples(r), NULL, 10);
			break;
		default:
			st->final_rc = result_error(db, r);
			break;
		}
		PQclear(r);
	}
	st->state = PG_DONE;
	if (db->active == st)
		db->active = NULL;
	if (PQstatus(db->conn) == CONNECTION_BAD && st->final_rc == DB_DONE)
		st->final_rc = set_error(db, DB_ERROR, "the connection to PostgreSQL was lost");
	return st->final_rc;
}

/* Makes the connection free for a new query: the rows of a running one are read ahead. */
static void pg_idle(struct pg_db *db)
{
	if (db->active)
		read_results(db, db->active, 1);
}

static void pg_close(struct db *base)
{
	struct pg_db *db = PDB(base);

	PQfinish(db->conn);
	free(db->err);
	free(db);
}

static const char *pg_errmsg(const struct db *db)
{
	return PDB(db)->err ? PDB(db)->err : "not an error";
}

static int pg_errcode(const struct db *db)
{
	return PDB(db)->errcode;
}

/* Runs a command (or several) and reads every result; the last one decides. */
static int pg_exec(struct db *base, const char *sql)
{
	struct pg_db *db = PDB(base);
	PGresult *r;
	int rc = DB_OK;

	pg_idle(db);
	r = PQexec(db->conn, sql);
	switch (r ? PQresultStatus(r) : PGRES_FATAL_ERROR) {
	case PGRES_COMMAND_OK:
	case PGRES_TUPLES_OK:
		if (*PQcmdTuples(r))
			db->changes = strtoll(PQcmdTuples(r), NULL, 10);
		break;
	default:
		rc = result_error(db, r);
		break;
	}
	PQclear(r);
	return rc;
}

/*
 * A write transaction takes the store's write lock (a transaction-level
 * advisory lock, keyed by database and schema) first, so that writers are
 * serialised as on SQLite and each decision reads the state it writes
 * over; readers take none. A read is one snapshot (REPEATABLE READ).
 */
static int pg_begin(struct db *db, enum db_tx kind)
{
	if (kind == DB_TX_READ)
		return pg_exec(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
	return pg_exec(db, "BEGIN; SELECT pg_advisory_xact_lock(" DB_PG_WRITE_LOCK ")");
}

static int pg_autocommit(struct db *base)
{
	struct pg_db *db = PDB(base);

	pg_idle(db);
	return PQtransactionStatus(db->conn) == PQTRANS_IDLE;
}

static int64_t pg_changes(const struct db *db)
{
	return PDB(db)->changes;
}

static int64_t pg_last_insert_id(struct db *base)
{
	struct pg_db *db = PDB(base);
	PGresult *r;
	int64_t id = 0;

	pg_idle(db);
	r = PQexec(db->conn, "SELECT lastval()");
	if (r && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	else
		result_error(db, r);
	PQclear(r);
	return id;
}

/*
 * SQLite's placeholders as PostgreSQL's: `?N` → `$N`, `?` → the next
 * number after the largest so far (SQLite's rule). Literals, quoted names
 * and comments are copied as they are. *nparams: the largest number.
 */
static char *translate(const char *sql, int *nparams)
{
	struct buf b = BUF_INIT;
	int max = 0;

	for (const char *p = sql; *p;) {
		if (*p == '\'' || *p == '"') {
			const char *q = p + 1;

			while (*q && *q != *p)
				q++;
			if (*q)
				q++;
			buf_add(&b, p, (size_t)(q - p));
			p = q;
		} else if (p[0] == '-' && p[1] == '-') {
			size_t n = strcspn(p, "\n");

			buf_add(&b, p, n);
			p += n;
		} else if (p[0] == '/' && p[1] == '*') {
			const char *q = strstr(p + 2, "*/");
			size_t n = q ? (size_t)(q + 2 - p) : strlen(p);

			buf_add(&b, p, n);
			p += n;
		} else if (*p == '?') {
			int n = 0;

			p++;
			if (*p >= '0' && *p <= '9') {
				while (*p >= '0' && *p <= '9')
					n = n * 10 + (*p++ - '0');
			} else {
				n = max + 1;
			}
			if (n > max)
				max = n;
			buf_addf(&b, "$%d", n);
		} else {
			buf_add(&b, p, 1);
			p++;
		}
	}
	*nparams = max;
	if (!b.data)
		buf_adds(&b, "");
	return buf_detach(&b);
}

static int pg_prepare(struct db *db, const char *sql, struct db_stmt **out)
{
	struct pg_stmt *st = xcalloc(1, sizeof(*st));

	st->base.db = db;
	st->sql = translate(sql, &st->nparams);
	if (st->nparams) {
		st->values = xcalloc((size_t)st->nparams, sizeof(*st->values));
		st->lengths = xcalloc((size_t)st->nparams, sizeof(*st->lengths));
		st->formats = xcalloc((size_t)st->nparams, sizeof(*st->formats));
		st->types = xcalloc((size_t)st->nparams, sizeof(*st->types));
	}
	st->final_rc = DB_DONE;
	*out = &st->base;
	return DB_OK;
}

static int pg_reset(struct db_stmt *base)
{
	struct pg_stmt *st = PST(base);
	struct pg_db *db = PDB(base->db);

	drop_row(st);
	if (st->state == PG_RUNNING && db->active == st) {
		PGresult *r;

		/* the rest of the rows are read and dropped */
		while ((r = PQgetResult(db->conn)))
			PQclear(r);
		db->active = NULL;
	}
	for (size_t i = st->qhead; i < st->qlen; i++)
		PQclear(st->queue[i]);
	st->qhead = st->qlen = 0;
	st->state = PG_IDLE;
	st->final_rc = DB_DONE;
	return DB_OK;
}

static void pg_clear_bindings(struct db_stmt *base)
{
	struct pg_stmt *st = PST(base);

	for (int i = 0; i < st->nparams; i++) {
		free(st->values[i]);
		st->values[i] = NULL;
		st->lengths[i] = 0;
		st->formats[i] = 0;
		st->types[i] = 0;
	}
}

static int pg_finalize(struct db_stmt *base)
{
	struct pg_stmt *st = PST(base);

	pg_reset(base);
	pg_clear_bindings(base);
	free(st->queue);
	free(st->values);
	free(st->lengths);
	free(st->formats);
	free(st->types);
	free(st->sql);
	free(st);
	return DB_OK;
}

static int pg_step(struct db_stmt *base)
{
	struct pg_stmt *st = PST(base);
	struct pg_db *db = PDB(base->db);

	drop_row(st);
	if (st->qhead < st->qlen) {
		st->row = st->queue[st->qhead++];
		return DB_ROW;
	}
	if (st->state == PG_DONE)
		return st->final_rc;
	if (st->state == PG_IDLE) {
		pg_idle(db);
		st->final_rc = DB_DONE;
		if (!PQsendQueryParams(db->conn, st->sql, st->nparams, st->types,
				       (const char *const *)st->values, st->lengths, st->formats,
				       0)) {
			st->state = PG_DONE;
			st->final_rc = result_error(db, NULL);
			return st->final_rc;
		}
		PQsetSingleRowMode(db->conn);
		st->state = PG_RUNNING;
		db->active = st;
	}
	return read_results(db, st, 0);
}

/* The parameter slot idx (1-based) emptied, or NULL when out of range. */
static int slot(struct pg_stmt *st, int idx)
{
	if (idx < 1 || idx > st->nparams)
		return -1;
	free(st->values[idx - 1]);
	st->values[idx - 1] = NULL;
	st->lengths[idx - 1] = 0;
	st->formats[idx - 1] = 0;
	st->types[idx - 1] = 0;
	return idx - 1;
}

static int pg_bind_text(struct db_stmt *base, int idx, const char *text, int n)
{
	struct pg_stmt *st = PST(base);
	int i = slot(st, idx);
	size_t len;

	if (i < 0)
		return DB_ERROR;
	len = n < 0 ? strlen(text) : (size_t)n;
	st->values[i] = xmalloc(len + 1);
	memcpy(st->values[i], text, len);
	st->values[i][len] = '\0';
	return DB_OK;
}

static int pg_bind_blob(struct db_stmt *base, int idx, const void *data, int n)
{
	struct pg_stmt *st = PST(base);
	int i = slot(st, idx);

	if (i < 0)
		return DB_ERROR;
	st->values[i] = xmalloc(n > 0 ? (size_t)n : 1);
	if (n > 0)
		memcpy(st->values[i], data, (size_t)n);
	st->lengths[i] = n;
	st->formats[i] = 1;
	st->types[i] = OID_BYTEA;
	return DB_OK;
}

static int pg_bind_int64(struct db_stmt *base, int idx, int64_t v)
{
	struct pg_stmt *st = PST(base);
	int i = slot(st, idx);
	char text[24];

	if (i < 0)
		return DB_ERROR;
	snprintf(text, sizeof(text), "%lld", (long long)v);
	st->values[i] = xstrdup(text);
	st->types[i] = OID_INT8;
	return DB_OK;
}

static int pg_bind_double(struct db_stmt *base, int idx, double v)
{
	struct pg_stmt *st = PST(base);
	int i = slot(st, idx);
	char text[40];

	if (i < 0)
		return DB_ERROR;
	snprintf(text, sizeof(text), "%.17g", v);
	st->values[i] = xstrdup(text);
	st->types[i] = OID_FLOAT8;
	return DB_OK;
}

static int pg_bind_null(struct db_stmt *base, int idx)
{
	return slot(PST(base), idx) < 0 ? DB_ERROR : DB_OK;
}

static int pg_bind_pointer(struct db_stmt *base, int idx, void *p, const char *type)
{
	(void)p;
	(void)type;
	(void)idx;
	return set_error(PDB(base->db), DB_ERROR, "pointer parameters are SQLite's only");
}

/* Is column idx of the current row there and not NULL? */
static int has_value(struct pg_stmt *st, int idx)
{
	return st->row && idx >= 0 && idx < PQnfields(st->row) && !PQgetisnull(st->row, 0, idx);
}

static int pg_column_count(struct db_stmt *base)
{
	struct pg_stmt *st = PST(base);

	return st->row ? PQnfields(st->row) : 0;
}

static const char *pg_column_name(struct db_stmt *base, int idx)
{
	struct pg_stmt *st = PST(base);

	return st->row && idx >= 0 && idx < PQnfields(st->row) ? PQfname(st->row, idx) : NULL;
}

static int pg_column_type(struct db_stmt *base, int idx)
{
	struct pg_stmt *st = PST(base);

	if (!has_value(st, idx))
		return DB_NULL;
	switch (PQftype(st->row, idx)) {
	case OID_INT2:
	case OID_INT4:
	case OID_INT8:
	case OID_OID:
	case OID_BOOL:
		return DB_INTEGER;
	case OID_FLOAT4:
	case OID_FLOAT8:
	case OID_NUMERIC:
		return DB_FLOAT;
	case OID_BYTEA:
		return DB_BLOB;
	default:
		return DB_TEXT;
	}
}

static const unsigned char *pg_column_text(struct db_stmt *base, int idx)
{
	struct pg_stmt *st = PST(base);

	return has_value(st, idx) ? (const unsigned char *)PQgetvalue(st->row, 0, idx) : NULL;
}

/* The decoded bytes of a bytea column (kept until the next row). */
static const unsigned char *bytea(struct pg_stmt *st, int idx, size_t *len)
{
	if (!st->blobs) {
		st->nblobs = PQnfields(st->row);
		st->blobs = xcalloc((size_t)st->nblobs, sizeof(*st->blobs));
		st->blob_len = xcalloc((size_t)st->nblobs, sizeof(*st->blob_len));
	}
	if (!st->blobs[idx])
		st->blobs[idx] = PQunescapeBytea((const unsigned char *)PQgetvalue(st->row, 0, idx),
						 &st->blob_len[idx]);
	*len = st->blob_len[idx];
	return st->blobs[idx];
}

static const void *pg_column_blob(struct db_stmt *base, int idx)
{
	struct pg_stmt *st = PST(base);
	size_t len;

	if (!has_value(st, idx))
		return NULL;
	if (PQftype(st->row, idx) == OID_BYTEA)
		return bytea(st, idx, &len);
	return PQgetvalue(st->row, 0, idx);
}

static int pg_column_bytes(struct db_stmt *base, int idx)
{
	struct pg_stmt *st = PST(base);
	size_t len;

	if (!has_value(st, idx))
		return 0;
	if (PQftype(st->row, idx) == OID_BYTEA)
		return bytea(st, idx, &len) ? (int)len : 0;
	return PQgetlength(st->row, 0, idx);
}

static int64_t pg_column_int64(struct db_stmt *base, int idx)
{
	struct pg_stmt *st = PST(base);
	const char *v;

	if (!has_value(st, idx))
		return 0;
	v = PQgetvalue(st->row, 0, idx);
	switch (PQftype(st->row, idx)) {
	case OID_BOOL:
		return *v == 't';
	case OID_FLOAT4:
	case OID_FLOAT8:
	case OID_NUMERIC:
		return (int64_t)strtod(v, NULL);
	default:
		return strtoll(v, NULL, 10);
	}
}

static double pg_column_double(struct db_stmt *base, int idx)
{
	struct pg_stmt *st = PST(base);

	return has_value(st, idx) ? strtod(PQgetvalue(st->row, 0, idx), NULL) : 0.0;
}

static const struct db_ops pg_ops = {
	.name = "postgresql",
	.close = pg_close,
	.errmsg = pg_errmsg,
	.errcode = pg_errcode,
	.exec = pg_exec,
	.begin = pg_begin,
	.autocommit = pg_autocommit,
	.changes = pg_changes,
	.last_insert_id = pg_last_insert_id,
	.prepare = pg_prepare,
	.finalize = pg_finalize,
	.reset = pg_reset,
	.clear_bindings = pg_clear_bindings,
	.step = pg_step,
	.bind_text = pg_bind_text,
	.bind_blob = pg_bind_blob,
	.bind_int64 = pg_bind_int64,
	.bind_double = pg_bind_double,
	.bind_null = pg_bind_null,
	.bind_pointer = pg_bind_pointer,
	.column_count = pg_column_count,
	.column_name = pg_column_name,
	.column_type = pg_column_type,
	.column_text = pg_column_text,
	.column_blob = pg_column_blob,
	.column_bytes = pg_column_bytes,
	.column_int64 = pg_column_int64,
	.column_double = pg_column_double,
};

/* Notices ("relation exists, skipping") are not errors: not printed. */
static void quiet_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* Is the URL query parameter at p nvault's schema=NAME? */
static int is_schema_key(const char *p)
{
	return !strncmp(p, "schema=", 7);
}

/* Percent-decodes src[0..n) (a URL query value). New string. */
static char *url_decode(const char *src, size_t n)
{
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < n; i++) {
		unsigned v;

		if (src[i] == '%' && i + 2 < n && sscanf(src + i + 1, "%2x", &v) == 1) {
			buf_addch(&b, (char)v);
			i += 2;
		} else {
			buf_addch(&b, src[i]);
		}
	}
	if (!b.data)
		buf_adds(&b, "");
	return buf_detach(&b);
}

int db_pg_locator_split(const char *locator, char **conninfo, char **schema)
{
	const char *q;
	struct buf out = BUF_INIT;

	*schema = NULL;
	if (!strncasecmp(locator, "postgresql://", 13) ||
	    !strncasecmp(locator, "postgres://", 11)) {
		q = strchr(locator, '?');
		if (!q) {
			*conninfo = xstrdup(locator);
			return 0;
		}
		buf_add(&out, locator, (size_t)(q - locator));
		for (const char *p = q + 1; *p;) {
			size_t n = strcspn(p, "&");

			if (is_schema_key(p)) {
				free(*schema);
				*schema = url_decode(p + 7, n - 7);
			} else if (n) {
				buf_addch(&out, out.len == (size_t)(q - locator) ? '?' : '&');
				buf_add(&out, p, n);
			}
			p += n;
			if (*p == '&')
				p++;
		}
		*conninfo = buf_detach(&out);
		return 0;
	}
	/* a conninfo string: key = value pairs, values maybe quoted */
	for (const char *p = locator; *p;) {
		const char *start;
		struct buf v = BUF_INIT;

		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			break;
		start = p;
		while (*p && *p != '=' && *p != ' ')
			p++;
		while (*p == ' ')
			p++;
		if (*p != '=') {
			buf_release(&out);
			*conninfo = xstrdup(locator);
			return -1;
		}
		p++;
		while (*p == ' ')
			p++;
		if (*p == '\'') {
			for (p++; *p && *p != '\''; p++) {
				if (*p == '\\' && p[1])
					p++;
				buf_addch(&v, *p);
			}
			if (*p)
				p++;
		} else {
			while (*p && *p != ' ' && *p != '\t' && *p != '\n') {
				if (*p == '\\' && p[1])
					p++;
				buf_addch(&v, *p++);
			}
		}
		if (!strncmp(start, "schema", 6) && (start[6] == '=' || start[6] == ' ')) {
			free(*schema);
			*schema = v.data ? buf_detach(&v) : xstrdup("");
		} else {
			if (out.len)
				buf_addch(&out, ' ');
			buf_add(&out, start, (size_t)(p - start));
		}
		buf_release(&v);
	}
	if (!out.data)
		buf_adds(&out, "");
	*conninfo = buf_detach(&out);
	return 0;
}

int db_open_pg(const char *conninfo, struct db **out)
{
	static const char *const keys[] = {"dbname", "fallback_application_name", "client_encoding",
					   NULL};
	const char *values[] = {conninfo, "nvault", "UTF8", NULL};
	struct pg_db *db = xcalloc(1, sizeof(*db));

	db->base.ops = &pg_ops;
	db->base.engine = DB_POSTGRES;
	*out = &db->base;
	db->conn = PQconnectdbParams(keys, values, 1);
	if (!db->conn)
		return set_error(db, DB_CANTOPEN, "out of memory connecting to PostgreSQL");
	if (PQstatus(db->conn) != CONNECTION_OK)
		return set_error(db, DB_CANTOPEN, PQerrorMessage(db->conn));
	PQsetNoticeProcessor(db->conn, quiet_notice, NULL);
	return DB_OK;
}
