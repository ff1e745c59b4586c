/*
 * store_int.h: what the files of src/store share and nobody else sees: the
 * struct store, the table of cached prepared statements, transaction
 * helpers, and the column lists that map struct task onto the tasks and
 * task_versions tables. SQL goes through the engine interface of
 * store_engine.h; no header of the store names an engine.
 */
#ifndef NV_STORE_INT_H
#define NV_STORE_INT_H

#include "store/store.h"
#include "store/store_engine.h"
#include "util/buf.h"
#include "util/id.h"

/*
 * The fields that tasks and task_versions share, in column order. Column
 * lists, placeholders and SET clauses are generated from this one list so
 * that reading and writing cannot drift from each other.
 */
/* One field per line reads better than clang-format's wrapping. */
/* clang-format off */
#define SHARED_FIELDS(X) \
	X(scope, plain) \
	X(title, plain) \
	X(description, packed) \
	X(status, plain) \
	X(resolution, plain) \
	X(category, plain) \
	X(due_date, plain) \
	X(assignee, plain) \
	X(tags, plain) \
	X(metadata, packed) \
	X(notion_status, plain) \
	X(source, plain) \
	X(notion_database_id, plain) \
	X(notion_data_source_id, plain) \
	X(notion_page_id, plain) \
	X(notion_url, plain) \
	X(notion_created_time, plain) \
	X(notion_last_edited_time, plain) \
	X(active, plain) \
	X(deleted_at, plain)
/* clang-format on */
#define N_SHARED 20
/* Offsets of the fields a version may store packed (store_content.c). */
#define SHARED_DESCRIPTION 2
#define SHARED_METADATA 9

/*
 * Column list helpers; k is the field's kind: "packed" fields of a version
 * may be a BLOB standing for their text, which nv_content() resolves.
 */
#define PLAIN_COL(f, k) #f ", "
#define T_COL(f, k) "t." #f ", "
#define V_COL(f, k) V_COL_##k(f)
#define V_COL_plain(f) "v." #f ", "
#define V_COL_packed(f) "nv_content(v." #f "), "
#define Q_COL(f, k) "?, "
#define SET_COL(f, k) #f " = ?, "

/* SELECT lists; read back with row_to_task() / row_to_version(). */
#define TASK_COLS                                                                                  \
	"t.id, " SHARED_FIELDS(T_COL) "t.current_version_id, t.version, t.created_at, "            \
				      "t.updated_at"
/* The current state's bookkeeping and hashes (struct task_head in store_task.c). */
#define TASK_HEAD_COLS                                                                             \
	"t.id, t.version, t.created_at, t.notion_last_edited_time, t.deleted_at,"                  \
	" v.content_hash, v.chain_hash, t.current_version_id, t.updated_at, t.active"
#define VERSION_COLS                                                                               \
	"v.id, v.task_id, v.version, " SHARED_FIELDS(                                              \
		V_COL) "v.created_at, v.created_by, v.change_reason, v.conflict, v.content_hash, " \
		       "v.chain_hash"

/* Pages whose heads store_heads_by_pages() reads with one query. */
#define STORE_HEADS_BATCH 100

/* Cached statements: one enum entry per SQL text in store_db.c's table. */
enum stmt_id {
	ST_TASK_BY_ID,
	ST_TASK_BY_PAGE,
	ST_TASK_ID_BY_ID,
	ST_TASK_ID_BY_PAGE,
	ST_TASK_BY_SOURCE_PAGE,
	ST_TASK_INSERT,
	ST_TASK_UPDATE,
	ST_TASK_TOUCH_EDITED,
	ST_TASK_HEAD_BY_ID,
	ST_TASK_HEAD_BY_SOURCE_PAGE,
	ST_VERSION_INSERT,
	ST_VERSION_BY_NUM,
	ST_VERSION_HISTORY,
	ST_VERSION_LAST_BY,
	ST_SCAN_MARK,
	ST_SCAN_FORGET,
	ST_CONTENT_FIND,
	ST_CONTENT_INSERT,
	ST_CONTENT_GET,
	ST_EVIDENCE_INSERT,
	ST_SYNC_STATE_GET,
	ST_SYNC_STATE_PUT,
	ST_SYNC_STATE_LIST,
	ST_CONFLICT_INSERT,
	ST_SCHED_GET,
	ST_SCHED_PUT,
	ST_TASK_SEQ,
	ST_SEARCH_GET,
	ST_TASK_BY_SEQ,
	ST_SEARCH_SNIPPET,
	ST_ANY_DELETED,
	ST_SEARCH_DELETE,
	ST_SEARCH_INSERT,
	ST_HEADS_BY_PAGES,
	ST_COUNT
};

struct store {
	struct db *db;
	char *path;
	unsigned flags;
	int in_tx;			 /* inside store_begin() */
	struct db_stmt *stmts[ST_COUNT]; /* prepared on first use */
	/* the deletion scan whose older marks this connection already dropped */
	char scan_forgot_ds[40];
	int64_t scan_forgot_epoch;
	struct content_cache *cc; /* store_content.c; NULL until first used */
};

/* The cached statement id, reset and ready to bind; NULL (err set) on failure. */
struct db_stmt *store_stmt(struct store *s, enum stmt_id id, struct nv_err *err);
/* Resets a statement after use (cached or not) so it holds no read lock. */
void stmt_done(struct db_stmt *st);
/* Records the connection's last error as "<what>: <engine message>"; returns the status. */
int store_sql_error(struct store *s, int rc, struct nv_err *err, const char *what);
/* Runs SQL without results. */
int store_exec(struct store *s, const char *sql, struct nv_err *err);
/* Prepares an uncached statement (dynamic SQL). */
int store_prepare(struct store *s, const char *sql, struct db_stmt **out, struct nv_err *err);
/* Appends s to b as an SQL string literal ('...' with quotes doubled). */
void sql_quote(struct buf *b, const char *s);

/*
 * Write-transaction bracketing for functions that may run inside or outside
 * store_begin(): tx_enter sets *own when it began a transaction itself;
 * tx_leave commits it (rc == 0) or rolls it back, and returns the final status.
 */
int tx_enter(struct store *s, int *own, struct nv_err *err);
int tx_leave(struct store *s, int own, int rc, struct nv_err *err);
/*
 * Drops what this connection remembers of writes that a rolled-back
 * transaction undid; called on every rollback.
 */
void store_tx_failed(struct store *s);
/* BEGIN IMMEDIATE, retried while another process holds the write lock. */
int store_begin_immediate(struct store *s, struct nv_err *err);

/* Binding and reading helpers; text is copied by the engine. */
void bind_text(struct db_stmt *st, int idx, const char *s);
/* Binds a JSON value as compact canonical text, or NULL. */
void bind_json(struct db_stmt *st, int idx, const json_t *v);
/* New copy of a text column, or NULL. */
char *col_text(struct db_stmt *st, int idx);
/* New JSON value parsed from a text column, or NULL. */
json_t *col_json(struct db_stmt *st, int idx);

/*
 * Binds the 20 shared fields of t starting at parameter idx; returns the
 * next index. tags_text and metadata_text are t's tags and metadata already
 * serialised with json_canonical() (NULL when absent), so that one write
 * serialises them once for both the task row and its version.
 */
int bind_shared(struct db_stmt *st, int idx, const struct task *t, const char *tags_text,
		const char *metadata_text);
/* Fills t (initialised by the callee) from a TASK_COLS row starting at column base. */
void row_to_task(struct db_stmt *st, int base, struct task *t);
/* Fills v (initialised by the callee) from a VERSION_COLS row starting at column base. */
void row_to_version(struct db_stmt *st, int base, struct task_version *v);

/* The trigger that makes a table refuse UPDATE (same text as schema 1's). */
#define TRIGGER_NO_UPDATE(table)                                                                   \
	"CREATE TRIGGER " table "_no_update BEFORE UPDATE ON " table " BEGIN "                     \
	"SELECT RAISE(ABORT, '" table " is append-only: UPDATE refused'); END;\n"

/* ---- compact versions (store_content.c) ---- */

/* Registers nv_content() on the connection. */
int content_register(struct store *s, struct nv_err *err);
/*
 * Stores t's description and metadata as shared contents when that makes
 * them smaller and binds their packs to parameters desc_idx and meta_idx
 * of st (left as bound when they stay inline).
 */
int content_bind_packed(struct store *s, struct db_stmt *st, int desc_idx, int meta_idx,
			const struct task *t, struct nv_err *err);
/*
 * Packs the versions written before schema 5, in transactions of a few
 * thousand that record where they stopped (pack_progress), so a killed
 * migration goes on at the next open. NV_OK when none is left.
 */
int content_pack_old_versions(struct store *s, struct nv_err *err);
/* Forgets the cached content ids and texts (a rollback may have undone them). */
void content_cache_clear(struct store *s);
void content_cache_free(struct store *s);

/* Now as a stored ISO timestamp. */
void store_now(char out[32]);
/*
 * Normalises a user time to the stored ISO form (so "2026-01-31" compares
 * correctly with stored times). NV_EINVAL naming what when it is no time.
 */
int store_norm_time(const char *in, char out[32], const char *what, struct nv_err *err);

/* ---- filtered reads (store_query.c) ---- */

#define WHERE_MAX_PARAMS 128
/* filter expressions of one query at most (task_filter.where) */
#define WHERE_MAX_EXPRS 16

/* A WHERE clause under construction with its text parameters. */
struct where {
	struct buf sql;
	const char *params[WHERE_MAX_PARAMS];
	int n;
	char *owned[WHERE_MAX_PARAMS]; /* parameters built here (JSON paths, operands) */
	int n_owned;
	char ids[3][ID_DASHED_LEN + 1];
	char *fts;	  /* owned: the FTS5 query built from user text */
	const char *lead; /* " WHERE " or " AND " before the first condition */
};

enum where_flags {
	WHERE_NO_SEARCH = 1 << 0, /* leave f->search out (the caller joins the index itself) */
};

/*
 * Builds the conditions of f over alias a ("t" for tasks, "v" for
 * versions), the first one preceded by lead; active: only active rows
 * unless f->include_deleted. Text parameters point into f or w. NV_EINVAL
 * (naming it) for a search query or filter expression that is wrong. w is
 * released by the caller with where_release() in every case.
 */
int where_build(struct where *w, const struct task_filter *f, const char *a, int active,
		const char *lead, unsigned flags, struct nv_err *err);
void where_release(struct where *w);
/* Binds the where parameters starting at index first; returns the next index. */
int where_bind(struct db_stmt *st, const struct where *w, int first);
/* Opens a read snapshot unless a transaction is open; *own says whether to end it. */
int read_begin(struct store *s, int *own);
void read_end(struct store *s, int own);

/* ---- search (store_search.c) ---- */

/* The "other" column of the search index for t: its texts, one per line. New string. */
char *store_search_other_text(const struct task *t);
/*
 * Brings the search index row of task seq in step with t (the state just
 * written), inside the caller's write transaction; no write when the
 * indexed text is unchanged.
 */
int store_search_put(struct store *s, int64_t seq, const struct task *t, struct nv_err *err);
/* The pointer type of nv_rank()'s row counter (db_bind_pointer of an int64_t). */
#define RANK_COUNTER "nv_rank_counter"
/*
 * Appends to sql the SQL expression of a field named as in a filter or a
 * sort key (a task field such as "dueDate", else a Notion property by
 * name) over alias a; its parameters (a JSON path) are added to w. Sets
 * *numeric for fields that are numbers. NV_EINVAL naming the field.
 */
int where_field_expr(struct where *w, struct buf *sql, const char *a, const char *name, size_t len,
		     int *numeric, struct nv_err *err);
/* Registers nv_prop_value() and nv_list_text() (filters and sorts) on the connection. */
int store_query_register(struct store *s, struct nv_err *err);
/* Registers nv_rank() and nv_search_other() (used by the schema migration) on the connection. */
int store_search_register(struct store *s, struct nv_err *err);
/*
 * Parses a user search query (see store_search.c) into an FTS5 query.
 * *out (new) is NULL when the text holds no searchable term. NV_EINVAL,
 * naming the query and the problem, for a misplaced operator.
 */
int store_search_query(const char *text, char **out, struct nv_err *err);

#endif
