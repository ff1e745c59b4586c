/*
 * store_copy.c: nvault store info and nvault store copy (store_copy.h),
 * written once over the engine interface and generic over the tables: the
 * tables, their columns, primary keys and foreign keys come from the
 * engine's catalog, so a table added by a later migration is copied without
 * an edit here. The few catalog queries are the only engine-specific SQL.
 *
 * A copy goes table by table, parents before children (foreign keys), each
 * in primary-key order, in batches of COPY_BATCH rows; each batch commits
 * in the target together with its progress row in nvault_copy_progress, so
 * a copy killed at any moment resumes after its last committed row. Rows
 * are copied value for value (ids, sequence numbers, version numbers,
 * hashes), which keeps the store-wide chain (over task_versions.seq) and
 * every per-task chain identical. Then, in one transaction, the derived
 * search index is rebuilt, PostgreSQL's identity sequences are moved past
 * the copied keys, the row counts are compared with the source, and the
 * progress table is dropped.
 *
 * SQLite stores a version's description and metadata as packs of shared
 * contents (store_content.c); PostgreSQL keeps them whole. Between the two
 * engines the packs are read expanded (nv_content()), `contents` and
 * `pack_progress` are not copied, and a SQLite target packs the versions
 * again afterwards (content_pack_old_versions(), itself resumable). Hashes
 * are over the canonical content, so they do not change.
 */
#include "store/store_copy.h"

#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/buf.h"
#include "util/xalloc.h"

/* rows per transaction; NVAULT_COPY_BATCH overrides it (tests: more commits to kill between) */
#define COPY_BATCH 1000
#define PROGRESS "nvault_copy_progress"

/* ---- the catalog ---------------------------------------------------------- */

/*
 * The engine of s. SQLite is the only engine until the PostgreSQL one
 * lands beside it (db_engine_name() of store_engine.h then answers).
 */
static const char *engine_name(struct store *s)
{
	return db_sqlite_handle(s->db) ? "sqlite" : "postgresql";
}

static int is_sqlite(struct store *s)
{
	return !strcmp(engine_name(s), "sqlite");
}

/*
 * Rebuilds the search index from the tasks table, in the caller's
 * transaction, through the function every write uses (whatever the engine
 * keeps as its index).
 */
static int search_rebuild(struct store *s, struct nv_err *err)
{
	struct db_stmt *st;
	int rc;

	if ((rc = store_prepare(s, "SELECT t.seq, " TASK_COLS " FROM tasks t ORDER BY t.seq", &st,
				err)))
		return rc;
	while ((rc = db_step(st)) == DB_ROW) {
		struct task t;

		row_to_task(st, 1, &t);
		rc = store_search_put(s, db_column_int64(st, 0), &t, err);
		task_release(&t);
		if (rc) {
			db_finalize(st);
			return rc;
		}
	}
	db_finalize(st);
	if (rc != DB_DONE)
		return store_sql_error(s, rc, err, "reading the tasks to index");
	return NV_OK;
}

/* Tables that hold no data of their own: rebuilt, or the engine's bookkeeping. */
static int derived_table(const char *name)
{
	static const char *const names[] = {"task_search",    "nvault_schema_version",
					    "schema_version", "sync_lock_note",
					    PROGRESS,	      NULL};
	for (size_t i = 0; names[i]; i++)
		if (!strcmp(name, names[i]))
			return 1;
	return 0;
}

static const char sqlite_tables[] =
	"SELECT name, coalesce(sql, '') LIKE 'CREATE VIRTUAL%' FROM sqlite_master"
	" WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name";
static const char pg_tables[] =
	"SELECT table_name::text, 0 FROM information_schema.tables"
	" WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1";

/* name, pk (1 for a column of the primary key) */
static const char sqlite_columns[] = "SELECT name, pk > 0 FROM pragma_table_info(?1) ORDER BY cid";
static const char pg_columns[] =
	"SELECT a.attname::text, CASE WHEN EXISTS (SELECT 1 FROM pg_index i"
	" WHERE i.indrelid = c.oid AND i.indisprimary AND a.attnum = ANY (i.indkey))"
	" THEN 1 ELSE 0 END"
	" FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
	" JOIN pg_attribute a ON a.attrelid = c.oid"
	" WHERE n.nspname = current_schema() AND c.relname = ?1 AND a.attnum > 0"
	" AND NOT a.attisdropped AND a.attgenerated = '' ORDER BY a.attnum";

/* the tables a table's foreign keys point at */
static const char sqlite_parents[] =
	"SELECT DISTINCT \"table\", 0 FROM pragma_foreign_key_list(?1)";
static const char pg_parents[] =
	"SELECT DISTINCT p.relname::text, 0 FROM pg_constraint k"
	" JOIN pg_class t ON t.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid"
	" JOIN pg_namespace n ON n.oid = t.relnamespace"
	" WHERE k.contype = 'f' AND n.nspname = current_schema() AND t.relname = ?1";

static const char sqlite_size[] = "SELECT (SELECT page_count FROM pragma_page_count())"
				  " * (SELECT page_size FROM pragma_page_size())";
static const char pg_size[] = "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint"
			      " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
			      " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'm')";

struct names {
	char **name;
	int64_t *flag; /* the query's second column */
	size_t n;
};

static void names_release(struct names *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->name[i]);
	free(l->name);
	free(l->flag);
	memset(l, 0, sizeof(*l));
}

/* Runs sql (?1 = arg when arg) and collects its rows (text, integer). */
static int query_names(struct store *s, const char *sql, const char *arg, struct names *out,
		       const char *what, struct nv_err *err)
{
	struct db_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = store_prepare(s, sql, &st, err)))
		return nv_err_prefix(err, "%s", what);
	if (arg)
		db_bind_text(st, 1, arg, -1);
	while ((rc = db_step(st)) == DB_ROW) {
		out->name = xrealloc(out->name, (out->n + 1) * sizeof(*out->name));
		out->flag = xrealloc(out->flag, (out->n + 1) * sizeof(*out->flag));
		out->name[out->n] = col_text(st, 0);
		if (!out->name[out->n])
			out->name[out->n] = xstrdup("");
		out->flag[out->n] = db_column_int64(st, 1);
		out->n++;
	}
	if (rc != DB_DONE) {
		rc = store_sql_error(s, rc, err, what);
		db_finalize(st);
		names_release(out);
		return rc;
	}
	db_finalize(st);
	return NV_OK;
}

/* The tables of s that hold data, by name. */
static int data_tables(struct store *s, struct names *out, struct nv_err *err)
{
	struct names all;
	int rc;

	if ((rc = query_names(s, is_sqlite(s) ? sqlite_tables : pg_tables, NULL, &all,
			      "listing the store's tables", err)))
		return rc;
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < all.n; i++) {
		int skip = derived_table(all.name[i]) || all.flag[i]; /* virtual */
		/* the shadow tables of a virtual table are named after it */
		for (size_t k = 0; k < all.n && !skip; k++) {
			size_t len = strlen(all.name[k]);
			skip = all.flag[k] && !strncmp(all.name[i], all.name[k], len) &&
			       all.name[i][len] == '_';
		}
		if (skip)
			continue;
		out->name = xrealloc(out->name, (out->n + 1) * sizeof(*out->name));
		out->flag = xrealloc(out->flag, (out->n + 1) * sizeof(*out->flag));
		out->name[out->n] = xstrdup(all.name[i]);
		out->flag[out->n] = 0;
		out->n++;
	}
	names_release(&all);
	return NV_OK;
}

/* Does s have a table of that name (derived or not)? */
static int has_table(struct store *s, const char *name, int *found, struct nv_err *err)
{
	struct names all;
	int rc;

	*found = 0;
	if ((rc = query_names(s, is_sqlite(s) ? sqlite_tables : pg_tables, NULL, &all,
			      "listing the store's tables", err)))
		return rc;
	for (size_t i = 0; i < all.n; i++)
		*found |= !strcmp(all.name[i], name);
	names_release(&all);
	return NV_OK;
}

/* "name" with its double quotes doubled */
static void add_ident(struct buf *b, const char *name)
{
	buf_addch(b, '"');
	for (; *name; name++) {
		if (*name == '"')
			buf_addch(b, '"');
		buf_addch(b, *name);
	}
	buf_addch(b, '"');
}

/* Runs sql, whose one row has one integer. */
static int query_int(struct store *s, const char *sql, int64_t *out, const char *what,
		     struct nv_err *err)
{
	struct db_stmt *st;
	int rc;

	*out = 0;
	if ((rc = store_prepare(s, sql, &st, err)))
		return nv_err_prefix(err, "%s", what);
	rc = db_step(st);
	if (rc == DB_ROW)
		*out = db_column_int64(st, 0);
	if (rc != DB_ROW && rc != DB_DONE) {
		rc = store_sql_error(s, rc, err, what);
		db_finalize(st);
		return rc;
	}
	db_finalize(st);
	return NV_OK;
}

static int count_rows(struct store *s, const char *table, int64_t *out, struct nv_err *err)
{
	struct buf sql = BUF_INIT, what = BUF_INIT;
	int rc;

	buf_adds(&sql, "SELECT count(*) FROM ");
	add_ident(&sql, table);
	buf_addf(&what, "counting the rows of %s", table);
	rc = query_int(s, sql.data, out, what.data, err);
	buf_release(&sql);
	buf_release(&what);
	return rc;
}

/* ---- store info ----------------------------------------------------------- */

int store_info(struct store *s, json_t **out, struct nv_err *err)
{
	struct names tables;
	json_t *counts;
	int64_t size = 0;
	int rc, own, copying = 0;

	*out = NULL;
	read_begin(s, &own);
	if ((rc = data_tables(s, &tables, err)))
		goto out;
	counts = json_object();
	for (size_t i = 0; i < tables.n && !rc; i++) {
		int64_t n;
		if (!(rc = count_rows(s, tables.name[i], &n, err)))
			json_object_set_new(counts, tables.name[i], json_integer(n));
	}
	names_release(&tables);
	if (!rc)
		rc = query_int(s, is_sqlite(s) ? sqlite_size : pg_size, &size,
			       "measuring the store's size", err);
	if (!rc)
		rc = has_table(s, PROGRESS, &copying, err);
	if (rc) {
		json_decref(counts);
		goto out;
	}
	*out = json_pack("{s:s s:i s:o s:I s:b}", "engine", engine_name(s), "schemaVersion",
			 store_schema_version(), "tables", counts, "sizeBytes", (json_int_t)size,
			 "copyInProgress", copying);
out:
	read_end(s, own);
	return rc;
}

/* ---- store copy ----------------------------------------------------------- */

struct copy_table {
	char *name;
	struct names cols; /* flag: part of the primary key */
	int key;	   /* the column of a one-column primary key, or -1: one batch */
	int skip;	   /* not copied between engines (SQLite's shared contents) */
	int64_t total;	   /* rows in the source */
	/* progress */
	int64_t copied;
	int done;
	int has_last;
	int last_is_int;
	int64_t last_int;
	char *last_text;
};

struct copy {
	struct store *from, *to;
	int batch; /* rows per transaction */
	const char *from_name;
	struct copy_table *t;
	size_t n;
	int expand; /* read SQLite's packs expanded (the engines differ) */
	int repack; /* pack the versions of the SQLite target afterwards */
	store_copy_cb cb;
	void *cb_arg;
};

static void copy_release(struct copy *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->t[i].name);
		names_release(&c->t[i].cols);
		free(c->t[i].last_text);
	}
	free(c->t);
}

/* The tables of the source with their columns, parents first (the target's foreign keys). */
static int plan(struct copy *c, struct nv_err *err)
{
	struct names src, dst;
	struct names *parents;
	int *placed, rc;
	size_t n_placed = 0;

	if ((rc = data_tables(c->from, &src, err)))
		return rc;
	if ((rc = data_tables(c->to, &dst, err))) {
		names_release(&src);
		return rc;
	}
	/* same schema version, so the same tables: anything else is a mistake to report */
	for (size_t i = 0; i < src.n && !rc; i++) {
		int found = 0;
		for (size_t k = 0; k < dst.n; k++)
			found |= !strcmp(src.name[i], dst.name[k]);
		if (!found)
			rc = nv_err_set(err, NV_ESCHEMA,
					"the target store has no table %s, which the source has",
					src.name[i]);
	}
	names_release(&dst);
	if (rc) {
		names_release(&src);
		return rc;
	}
	parents = xcalloc(src.n, sizeof(*parents));
	placed = xcalloc(src.n, sizeof(*placed));
	for (size_t i = 0; i < src.n && !rc; i++)
		rc = query_names(c->to, is_sqlite(c->to) ? sqlite_parents : pg_parents, src.name[i],
				 &parents[i], "reading the target's foreign keys", err);
	c->t = xcalloc(src.n ? src.n : 1, sizeof(*c->t));
	/* a table goes once every parent it has among the tables has gone */
	while (!rc && n_placed < src.n) {
		size_t before = n_placed;
		for (size_t i = 0; i < src.n; i++) {
			int ready = !placed[i];
			for (size_t p = 0; p < parents[i].n && ready; p++)
				for (size_t k = 0; k < src.n; k++)
					if (k != i && !placed[k] &&
					    !strcmp(parents[i].name[p], src.name[k]))
						ready = 0;
			if (!ready)
				continue;
			placed[i] = 1;
			c->t[n_placed++].name = xstrdup(src.name[i]);
		}
		if (n_placed == before) /* a cycle: the rest by name */
			for (size_t i = 0; i < src.n; i++)
				if (!placed[i]) {
					placed[i] = 1;
					c->t[n_placed++].name = xstrdup(src.name[i]);
				}
	}
	c->n = n_placed;
	for (size_t i = 0; i < src.n; i++)
		names_release(&parents[i]);
	free(parents);
	free(placed);
	names_release(&src);
	for (size_t i = 0; i < c->n && !rc; i++) {
		struct copy_table *t = &c->t[i];
		int keys = 0;

		rc = query_names(c->from, is_sqlite(c->from) ? sqlite_columns : pg_columns, t->name,
				 &t->cols, "reading the source's columns", err);
		t->key = -1;
		for (size_t k = 0; !rc && k < t->cols.n; k++)
			if (t->cols.flag[k]) {
				keys++;
				t->key = (int)k;
			}
		if (keys != 1)
			t->key = -1;
		t->skip = c->expand &&
			  (!strcmp(t->name, "contents") || !strcmp(t->name, "pack_progress"));
	}
	return rc;
}

/* Reads the progress rows of an unfinished copy into c->t. */
static int read_progress(struct copy *c, struct nv_err *err)
{
	struct db_stmt *st;
	int rc;

	if ((rc = store_prepare(c->to,
				"SELECT tbl, last_int, last_text, copied, done FROM " PROGRESS
				" WHERE tbl <> ''",
				&st, err)))
		return rc;
	while ((rc = db_step(st)) == DB_ROW) {
		const char *name = (const char *)db_column_text(st, 0);
		for (size_t i = 0; i < c->n; i++) {
			struct copy_table *t = &c->t[i];
			if (!name || strcmp(name, t->name))
				continue;
			t->copied = db_column_int64(st, 3);
			t->done = db_column_int(st, 4);
			if (db_column_type(st, 1) != DB_NULL) {
				t->has_last = t->last_is_int = 1;
				t->last_int = db_column_int64(st, 1);
			} else if (db_column_type(st, 2) != DB_NULL) {
				t->has_last = 1;
				t->last_text = col_text(st, 2);
			}
		}
	}
	if (rc != DB_DONE)
		rc = store_sql_error(c->to, rc, err, "reading the progress of the copy");
	else
		rc = NV_OK;
	db_finalize(st);
	return rc;
}

/*
 * A fresh copy: the target must be empty; the progress table, naming the
 * source, marks the copy as under way. A resumed one: the same source.
 */
static int start_or_resume(struct copy *c, int *resumed, struct nv_err *err)
{
	struct db_stmt *st;
	int found, rc;
	char *source = NULL;

	*resumed = 0;
	if ((rc = has_table(c->to, PROGRESS, &found, err)))
		return rc;
	if (found) {
		if ((rc = store_prepare(c->to, "SELECT last_text FROM " PROGRESS " WHERE tbl = ''",
					&st, err)))
			return rc;
		if (db_step(st) == DB_ROW)
			source = col_text(st, 0);
		db_finalize(st);
		if (!source || strcmp(source, c->from_name)) {
			rc = nv_err_set(err, NV_EINVAL,
					"the target store holds an unfinished copy from %s: finish "
					"it with --from %s, or copy into an empty store",
					source ? source : "another store",
					source ? source : "that store");
			free(source);
			return rc;
		}
		free(source);
		*resumed = 1;
		return read_progress(c, err);
	}
	{
		struct buf held = BUF_INIT;
		for (size_t i = 0; i < c->n && !rc; i++) {
			int64_t n;
			if (!(rc = count_rows(c->to, c->t[i].name, &n, err)) && n)
				buf_addf(&held, "%s%s: %lld row%s", held.len ? ", " : "",
					 c->t[i].name, (long long)n, n == 1 ? "" : "s");
		}
		if (!rc && held.len)
			rc = nv_err_set(err, NV_EINVAL,
					"the target store is not empty (%s): store copy only fills "
					"an empty store",
					held.data);
		buf_release(&held);
		if (rc)
			return rc;
	}
	if ((rc = store_begin(c->to, err)))
		return rc;
	rc = store_exec(c->to,
			"CREATE TABLE " PROGRESS " (tbl TEXT PRIMARY KEY, last_int BIGINT,"
			" last_text TEXT, copied BIGINT NOT NULL, done INTEGER NOT NULL)",
			err);
	if (!rc && !(rc = store_prepare(c->to,
					"INSERT INTO " PROGRESS " (tbl, last_text, copied, done)"
					" VALUES ('', ?1, 0, 0)",
					&st, err))) {
		db_bind_text(st, 1, c->from_name, -1);
		if ((rc = db_step(st)) != DB_DONE)
			rc = store_sql_error(c->to, rc, err, "recording the copy's source");
		else
			rc = NV_OK;
		db_finalize(st);
	}
	if (rc) {
		store_rollback(c->to);
		return nv_err_prefix(err, "starting the copy");
	}
	return store_commit(c->to, err);
}

static void bind_value(struct db_stmt *ins, int idx, struct db_stmt *sel, int col)
{
	switch (db_column_type(sel, col)) {
	case DB_INTEGER:
		db_bind_int64(ins, idx, db_column_int64(sel, col));
		break;
	case DB_FLOAT:
		db_bind_double(ins, idx, db_column_double(sel, col));
		break;
	case DB_TEXT: {
		const unsigned char *v = db_column_text(sel, col);
		db_bind_text(ins, idx, (const char *)v, db_column_bytes(sel, col));
		break;
	}
	case DB_BLOB: {
		const void *v = db_column_blob(sel, col);
		db_bind_blob(ins, idx, v, db_column_bytes(sel, col));
		break;
	}
	default:
		db_bind_null(ins, idx);
	}
}

/* The source's SELECT of one batch of t and the target's INSERT of one row. */
static void batch_sql(const struct copy *c, const struct copy_table *t, struct buf *sel,
		      struct buf *ins)
{
	int packed_table = c->expand && !strcmp(t->name, "task_versions");

	buf_adds(sel, "SELECT ");
	buf_adds(ins, "INSERT INTO ");
	add_ident(ins, t->name);
	buf_adds(ins, " (");
	for (size_t k = 0; k < t->cols.n; k++) {
		const char *col = t->cols.name[k];
		int packed =
			packed_table && (!strcmp(col, "description") || !strcmp(col, "metadata"));
		if (k) {
			buf_adds(sel, ", ");
			buf_adds(ins, ", ");
		}
		if (packed)
			buf_adds(sel, "nv_content(");
		add_ident(sel, col);
		if (packed)
			buf_adds(sel, ")");
		add_ident(ins, col);
	}
	buf_adds(sel, " FROM ");
	add_ident(sel, t->name);
	buf_adds(ins, ") VALUES (");
	for (size_t k = 0; k < t->cols.n; k++)
		buf_adds(ins, k ? ", ?" : "?");
	buf_adds(ins, ")");
	if (t->key < 0)
		return; /* no one-column key: the whole table in one batch */
	if (t->has_last) {
		buf_adds(sel, " WHERE ");
		add_ident(sel, t->cols.name[t->key]);
		buf_adds(sel, " > ?1");
	}
	buf_adds(sel, " ORDER BY ");
	add_ident(sel, t->cols.name[t->key]);
	buf_addf(sel, " LIMIT %d", c->batch);
}

static int save_progress(struct copy *c, const struct copy_table *t, struct nv_err *err)
{
	struct db_stmt *st;
	int rc;

	if ((rc = store_prepare(c->to,
				"INSERT INTO " PROGRESS " (tbl, last_int, last_text, copied, done)"
				" VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (tbl) DO UPDATE SET"
				" last_int = excluded.last_int, last_text = excluded.last_text,"
				" copied = excluded.copied, done = excluded.done",
				&st, err)))
		return rc;
	db_bind_text(st, 1, t->name, -1);
	if (t->has_last && t->last_is_int)
		db_bind_int64(st, 2, t->last_int);
	else
		db_bind_null(st, 2);
	if (t->has_last && !t->last_is_int)
		db_bind_text(st, 3, t->last_text, -1);
	else
		db_bind_null(st, 3);
	db_bind_int64(st, 4, t->copied);
	db_bind_int(st, 5, t->done);
	rc = db_step(st);
	db_finalize(st);
	if (rc != DB_DONE)
		return store_sql_error(c->to, rc, err, "recording the copy's progress");
	return NV_OK;
}

/* Copies the next batch of t in one target transaction with its progress. */
static int copy_batch(struct copy *c, struct copy_table *t, struct nv_err *err)
{
	struct buf sel_sql = BUF_INIT, ins_sql = BUF_INIT;
	struct db_stmt *sel = NULL, *ins = NULL;
	int rc, n = 0;

	batch_sql(c, t, &sel_sql, &ins_sql);
	if ((rc = store_prepare(c->from, sel_sql.data, &sel, err)) ||
	    (rc = store_prepare(c->to, ins_sql.data, &ins, err)))
		goto out;
	if (t->key >= 0 && t->has_last) {
		if (t->last_is_int)
			db_bind_int64(sel, 1, t->last_int);
		else
			db_bind_text(sel, 1, t->last_text, -1);
	}
	if ((rc = store_begin(c->to, err)))
		goto out;
	while ((rc = db_step(sel)) == DB_ROW) {
		for (size_t k = 0; k < t->cols.n; k++)
			bind_value(ins, (int)k + 1, sel, (int)k);
		rc = db_step(ins);
		db_reset(ins);
		if (rc != DB_DONE) {
			rc = store_sql_error(c->to, rc, err, "inserting a row");
			goto fail;
		}
		n++;
		if (t->key >= 0) {
			t->has_last = 1;
			free(t->last_text);
			t->last_text = NULL;
			t->last_is_int = db_column_type(sel, t->key) == DB_INTEGER;
			if (t->last_is_int)
				t->last_int = db_column_int64(sel, t->key);
			else
				t->last_text = col_text(sel, t->key);
		}
	}
	if (rc != DB_DONE) {
		rc = store_sql_error(c->from, rc, err, "reading the source");
		goto fail;
	}
	t->copied += n;
	t->done = t->key < 0 || n < c->batch;
	if ((rc = save_progress(c, t, err)) || (rc = store_commit(c->to, err)))
		goto fail;
	goto out;
fail:
	store_rollback(c->to);
out:
	if (rc)
		nv_err_prefix(err, "copying table %s", t->name);
	db_finalize(sel);
	db_finalize(ins);
	buf_release(&sel_sql);
	buf_release(&ins_sql);
	return rc;
}

/* PostgreSQL: each identity sequence past the largest key copied. */
static int fix_sequences(struct copy *c, struct nv_err *err)
{
	for (size_t i = 0; i < c->n; i++) {
		struct copy_table *t = &c->t[i];
		struct buf sql = BUF_INIT, name = BUF_INIT;
		struct db_stmt *st;
		int rc;

		if (t->key < 0 || t->skip || (t->has_last && !t->last_is_int))
			continue; /* only integer keys have a sequence */
		add_ident(&name, t->name);
		buf_adds(&sql,
			 "SELECT setval(pg_get_serial_sequence(?1, ?2)::regclass, (SELECT max(");
		add_ident(&sql, t->cols.name[t->key]);
		buf_adds(&sql, ") FROM ");
		add_ident(&sql, t->name);
		buf_adds(&sql, ")::bigint)");
		rc = store_prepare(c->to, sql.data, &st, err);
		buf_release(&sql);
		if (rc) {
			buf_release(&name);
			return rc;
		}
		db_bind_text(st, 1, name.data, -1);
		db_bind_text(st, 2, t->cols.name[t->key], -1);
		while ((rc = db_step(st)) == DB_ROW)
			;
		db_finalize(st);
		buf_release(&name);
		if (rc != DB_DONE)
			return store_sql_error(c->to, rc, err,
					       "moving a key sequence past the copy");
	}
	return NV_OK;
}

/* The derived data, the sequences, the counts; the copy is done when this commits. */
static int finish(struct copy *c, struct nv_err *err)
{
	int rc;

	if ((rc = store_begin(c->to, err)))
		return rc;
	if ((rc = search_rebuild(c->to, err)))
		goto fail;
	if (!is_sqlite(c->to) && (rc = fix_sequences(c, err)))
		goto fail;
	for (size_t i = 0; i < c->n; i++) {
		struct copy_table *t = &c->t[i];
		int64_t n;
		if (t->skip)
			continue;
		if ((rc = count_rows(c->to, t->name, &n, err)))
			goto fail;
		if (n != t->total) {
			rc = nv_err_set(
				err, NV_ERR,
				"table %s has %lld rows in the source but %lld in the copy: "
				"the source changed during the copy (stop every writer and "
				"copy again into an empty store)",
				t->name, (long long)t->total, (long long)n);
			goto fail;
		}
	}
	/* versions that came in whole are packed again on SQLite, resumably */
	if (c->repack && (rc = store_exec(c->to,
					  "INSERT INTO pack_progress (id, next_seq) VALUES (1, 0)"
					  " ON CONFLICT (id) DO NOTHING",
					  err)))
		goto fail;
	if ((rc = store_exec(c->to, "DROP TABLE " PROGRESS, err)) ||
	    (rc = store_commit(c->to, err)))
		goto fail;
	if (c->repack && (rc = content_pack_old_versions(c->to, err)))
		return rc;
	return NV_OK;
fail:
	store_rollback(c->to);
	return nv_err_prefix(err, "finishing the copy");
}

int store_copy(struct store *from, const char *from_name, struct store *to, store_copy_cb cb,
	       void *cb_arg, json_t **report, struct nv_err *err)
{
	struct copy c = {
		.from = from, .from_name = from_name, .to = to, .cb = cb, .cb_arg = cb_arg};
	struct store_lock *lock_from = NULL, *lock_to = NULL;
	struct nv_err lerr;
	int rc, own = 0, resumed = 0, partial = 0;
	int64_t rows = 0;

	const char *batch = getenv("NVAULT_COPY_BATCH");

	if (report)
		*report = NULL;
	c.batch = batch && atoi(batch) > 0 ? atoi(batch) : COPY_BATCH;
	c.expand = strcmp(engine_name(from), engine_name(to)) != 0 && is_sqlite(from);
	c.repack = is_sqlite(to) && !is_sqlite(from);
	/* no sync may write either store meanwhile; a source we cannot lock (read-only) is read as
	 * is */
	if ((rc = store_lock(to, &lock_to, err)))
		return nv_err_prefix(err, "the target store");
	nv_err_clear(&lerr);
	if ((rc = store_lock(from, &lock_from, &lerr)) == NV_ELOCKED) {
		*err = lerr;
		store_unlock(lock_to);
		return nv_err_prefix(err, "the source store");
	}
	read_begin(from, &own); /* one snapshot of the source */
	if ((rc = has_table(from, PROGRESS, &partial, err)))
		goto out;
	if (partial) {
		rc = nv_err_set(err, NV_EINVAL,
				"the source store is an unfinished copy: finish that copy first");
		goto out;
	}
	if ((rc = plan(&c, err)) || (rc = start_or_resume(&c, &resumed, err)))
		goto out;
	for (size_t i = 0; i < c.n && !rc; i++)
		if (!c.t[i].skip)
			rc = count_rows(from, c.t[i].name, &c.t[i].total, err);
	for (size_t i = 0; i < c.n && !rc; i++) {
		struct copy_table *t = &c.t[i];
		while (!t->skip && !t->done && !rc) {
			rc = copy_batch(&c, t, err);
			if (!rc && cb)
				cb(cb_arg, t->name, t->copied, t->total);
		}
	}
	if (!rc)
		rc = finish(&c, err);
	if (!rc && report) {
		json_t *tables = json_object();
		for (size_t i = 0; i < c.n; i++)
			if (!c.t[i].skip) {
				json_object_set_new(tables, c.t[i].name,
						    json_integer(c.t[i].total));
				rows += c.t[i].total;
			}
		*report = json_pack("{s:o s:I s:b s:s s:s}", "tables", tables, "rows",
				    (json_int_t)rows, "resumed", resumed, "from", engine_name(from),
				    "to", engine_name(to));
	}
out:
	read_end(from, own);
	copy_release(&c);
	store_unlock(lock_from);
	store_unlock(lock_to);
	return rc;
}
