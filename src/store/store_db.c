/*
 * store_db.c: the database side of the store: opening (WAL, foreign keys,
 * busy timeout), the versioned schema migrations, the cache of prepared
 * statements, write transactions that never surface DB_BUSY to callers,
 * the row <-> struct task mapping, and the cross-process sync lock.
 *
 * Migrations are a table of steps; step N brings a store from schema N-1 to
 * N and runs in one transaction with the PRAGMA user_version bump, so a
 * store is always at exactly one schema version. A store whose
 * user_version is newer than this build is refused, never touched.
 */
#include "store/store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

/* ---- schema ------------------------------------------------------------ */

#define VERSION_FIELDS_DDL                                                                         \
	"scope TEXT, title TEXT, description TEXT, status TEXT, resolution TEXT, "                 \
	"category TEXT, due_date TEXT, assignee TEXT, tags TEXT, metadata TEXT, "                  \
	"notion_status TEXT, source TEXT NOT NULL, notion_database_id TEXT, "                      \
	"notion_data_source_id TEXT, notion_page_id TEXT, notion_url TEXT, "                       \
	"notion_created_time TEXT, notion_last_edited_time TEXT, "                                 \
	"active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)), deleted_at TEXT, "

#define APPEND_ONLY(table)                                                                         \
	"CREATE TRIGGER " table "_no_update BEFORE UPDATE ON " table " BEGIN "                     \
	"SELECT RAISE(ABORT, '" table " is append-only: UPDATE refused'); END;\n"                  \
	"CREATE TRIGGER " table "_no_delete BEFORE DELETE ON " table " BEGIN "                     \
	"SELECT RAISE(ABORT, '" table " is append-only: DELETE refused'); END;\n"

static const char schema_v1[] =
	"CREATE TABLE tasks ("
	" seq INTEGER PRIMARY KEY,"
	" id TEXT NOT NULL UNIQUE, " VERSION_FIELDS_DDL
	" current_version_id TEXT, version INTEGER NOT NULL DEFAULT 0,"
	" created_at TEXT NOT NULL, updated_at TEXT NOT NULL,"
	" scan_epoch INTEGER NOT NULL DEFAULT 0," /* last deletion scan that saw the page */
	" UNIQUE (notion_data_source_id, notion_page_id));\n"
	"CREATE INDEX tasks_page ON tasks(notion_page_id);\n"
	"CREATE INDEX tasks_database ON tasks(notion_database_id, active);\n"
	"CREATE INDEX tasks_updated ON tasks(updated_at);\n"
	"CREATE TABLE task_versions ("
	" seq INTEGER PRIMARY KEY,"
	" id TEXT NOT NULL UNIQUE,"
	" task_id TEXT NOT NULL REFERENCES tasks(id),"
	" version INTEGER NOT NULL CHECK (version >= 1), " VERSION_FIELDS_DDL
	" created_at TEXT NOT NULL, created_by TEXT NOT NULL, change_reason TEXT NOT NULL,"
	" conflict INTEGER NOT NULL DEFAULT 0,"
	" content_hash TEXT NOT NULL, chain_hash TEXT NOT NULL,"
	" UNIQUE (task_id, version));\n"
	"CREATE INDEX task_versions_time ON task_versions(created_at);\n" APPEND_ONLY(
		"task_versions") "CREATE TABLE evidence ("
				 " seq INTEGER PRIMARY KEY,"
				 " id TEXT NOT NULL UNIQUE,"
				 " type TEXT NOT NULL, source TEXT NOT NULL, source_id TEXT, scope "
				 "TEXT,"
				 " trigger TEXT, started_at TEXT, finished_at TEXT, status TEXT "
				 "NOT NULL,"
				 " metadata TEXT);\n"
				 "CREATE INDEX evidence_source ON "
				 "evidence(source_id);\n" APPEND_ONLY(
					 "evidence") "CREATE TABLE sync_state ("
						     " data_source_id TEXT PRIMARY KEY,"
						     " database_id TEXT, watermark TEXT, "
						     "last_full_scan_at TEXT,"
						     " scan_epoch INTEGER NOT NULL DEFAULT 0, "
						     "resume_after TEXT,"
						     " run_id TEXT, run_started_at TEXT, "
						     "run_trigger TEXT, extra TEXT,"
						     " updated_at TEXT NOT NULL);\n"
						     "CREATE TABLE conflicts ("
						     " seq INTEGER PRIMARY KEY,"
						     " id TEXT NOT NULL UNIQUE,"
						     " task_id TEXT NOT NULL REFERENCES tasks(id),"
						     " local_version_id TEXT, notion_version_id "
						     "TEXT, created_at TEXT NOT NULL);\n"
						     "CREATE INDEX conflicts_task ON "
						     "conflicts(task_id);\n"
						     "CREATE TABLE scheduler_state ("
						     " id INTEGER PRIMARY KEY CHECK (id = 1),"
						     " enabled INTEGER NOT NULL DEFAULT 0, running "
						     "INTEGER NOT NULL DEFAULT 0,"
						     " pid INTEGER NOT NULL DEFAULT 0, schedule "
						     "TEXT, next_run TEXT, last_run TEXT,"
						     " last_run_success INTEGER NOT NULL DEFAULT "
						     "0, last_run_error TEXT, updated_at TEXT);\n"
						     /* full-text index over the current state, kept
							in step by triggers */
						     "CREATE VIRTUAL TABLE tasks_fts USING "
						     "fts5(title, description, tags,"
						     " content='tasks', content_rowid='seq', "
						     "tokenize='unicode61 remove_diacritics 2');\n"
						     "CREATE TRIGGER tasks_fts_insert AFTER INSERT "
						     "ON tasks BEGIN"
						     " INSERT INTO tasks_fts(rowid, title, "
						     "description, tags)"
						     " VALUES (new.seq, new.title, "
						     "new.description, new.tags); END;\n"
						     "CREATE TRIGGER tasks_fts_delete AFTER DELETE "
						     "ON tasks BEGIN"
						     " INSERT INTO tasks_fts(tasks_fts, rowid, "
						     "title, description, tags)"
						     " VALUES ('delete', old.seq, old.title, "
						     "old.description, old.tags); END;\n"
						     "CREATE TRIGGER tasks_fts_update AFTER UPDATE "
						     "OF title, description, tags ON tasks BEGIN"
						     " INSERT INTO tasks_fts(tasks_fts, rowid, "
						     "title, description, tags)"
						     " VALUES ('delete', old.seq, old.title, "
						     "old.description, old.tags);"
						     " INSERT INTO tasks_fts(rowid, title, "
						     "description, tags)"
						     " VALUES (new.seq, new.title, "
						     "new.description, new.tags); END;\n";

/*
 * v2: as-of views read "newest version of each task at or before T" from a
 * covering index instead of one table lookup per version (4x faster on
 * 100,000 x 5 versions), and status-filtered lists count from an index.
 */
static const char schema_v2[] =
	"CREATE INDEX IF NOT EXISTS task_versions_task_time"
	" ON task_versions(task_id, created_at, version);\n"
	"CREATE INDEX IF NOT EXISTS tasks_status ON tasks(status, active, updated_at);\n";

/*
 * v3: writing less. A deletion scan's marks go to a narrow append-only
 * table instead of rewriting every wide task row (tasks.scan_epoch stays,
 * unused: dropping a column rewrites the whole table). The index on the
 * page id alone goes: page-only lookups walk the (data source, page)
 * unique index once per data source instead, and one fewer index takes a
 * random insert per new task.
 */
static const char schema_v3[] =
	"CREATE TABLE scan_seen ("
	" id INTEGER PRIMARY KEY," /* appended in the order pages are seen */
	" epoch INTEGER NOT NULL," /* the data source's scan number */
	" task_seq INTEGER NOT NULL);\n"
	"DROP INDEX IF EXISTS tasks_page;\n";

/*
 * v4: ranked search. The search index gets its own columns (title,
 * description, and every other text of the task, Notion properties
 * included; see store_search.c) and is kept in step by the store on each
 * write rather than by triggers; it is rebuilt here from the current state
 * with the same function the writes use (nv_search_other, registered on
 * every connection).
 */
static const char schema_v4[] =
	"DROP TRIGGER IF EXISTS tasks_fts_insert;\n"
	"DROP TRIGGER IF EXISTS tasks_fts_delete;\n"
	"DROP TRIGGER IF EXISTS tasks_fts_update;\n"
	"DROP TABLE IF EXISTS tasks_fts;\n"
	"DROP TABLE IF EXISTS task_search;\n"
	"CREATE INDEX IF NOT EXISTS tasks_deleted ON tasks(active) WHERE active = 0;\n"
	"CREATE VIRTUAL TABLE task_search USING fts5(title, description, other,"
	" tokenize='unicode61 remove_diacritics 2');\n"
	"INSERT INTO task_search (rowid, title, description, other)"
	" SELECT seq, title, description,"
	" nv_search_other(title, description, category, assignee, resolution, tags, metadata)"
	" FROM tasks ORDER BY seq;\n";

/*
 * v5: compact versions. Descriptions and metadata are stored once per
 * distinct content (per property for Notion's properties) in the
 * append-only `contents`, and versions keep packs of references
 * (store_content.c). The versions written before are packed after the
 * step, in bounded transactions that record their progress in
 * pack_progress, so a killed migration goes on at the next open.
 */
/* idempotent, like every step since: a step may meet what a test or an older build left */
static const char schema_v5[] =
	"CREATE TABLE IF NOT EXISTS contents ("
	" id INTEGER PRIMARY KEY,"
	" hash BLOB NOT NULL UNIQUE," /* SHA-256 of data */
	" data BLOB NOT NULL);\n"
	"CREATE TRIGGER IF NOT EXISTS contents_no_update BEFORE UPDATE ON contents BEGIN"
	" SELECT RAISE(ABORT, 'contents is append-only: UPDATE refused'); END;\n"
	"CREATE TRIGGER IF NOT EXISTS contents_no_delete BEFORE DELETE ON contents BEGIN"
	" SELECT RAISE(ABORT, 'contents is append-only: DELETE refused'); END;\n"
	"CREATE TABLE IF NOT EXISTS pack_progress ("
	" id INTEGER PRIMARY KEY CHECK (id = 1),"
	" next_seq INTEGER NOT NULL);\n"
	"INSERT OR IGNORE INTO pack_progress VALUES (1, 0);\n";

/*
 * Version 6: the append-only schema history of each data source (SPEC §3;
 * src/store/store_schema.c). Idempotent, like every step since 5.
 */
static const char schema_v6[] =
	"CREATE TABLE IF NOT EXISTS schema_events ("
	" seq INTEGER PRIMARY KEY,"
	" data_source_id TEXT NOT NULL, database_id TEXT,"
	" seen_at TEXT NOT NULL, run_id TEXT,"
	" kind TEXT NOT NULL CHECK (kind IN ('initial', 'added', 'removed',"
	" 'renamed', 'type_changed', 'options_changed')),"
	" property_id TEXT NOT NULL, name TEXT, type TEXT, options TEXT,"
	" old_name TEXT, old_type TEXT, old_options TEXT);\n"
	"CREATE INDEX IF NOT EXISTS schema_events_source ON schema_events(data_source_id, seq);\n"
	"CREATE TRIGGER IF NOT EXISTS schema_events_no_update BEFORE UPDATE ON schema_events BEGIN"
	" SELECT RAISE(ABORT, 'schema_events is append-only: UPDATE refused'); END;\n"
	"CREATE TRIGGER IF NOT EXISTS schema_events_no_delete BEFORE DELETE ON schema_events BEGIN"
	" SELECT RAISE(ABORT, 'schema_events is append-only: DELETE refused'); END;\n";

/* Step i brings the schema from version i to i + 1. */
static const struct migration {
	int to_version;
	const char *what;
	const char *sql;
} migrations[] = {
	{1, "initial schema", schema_v1},
	{2, "indexes for as-of and status lists", schema_v2},
	{3, "deletion-scan marks out of the task rows", schema_v3},
	{4, "ranked search over every text of a task", schema_v4},
	{5, "compact versions: shared contents", schema_v5},
	{6, "schema history", schema_v6},
};
#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

int store_schema_version(void)
{
	return migrations[N_MIGRATIONS - 1].to_version;
}

/* ---- statements ---------------------------------------------------------- */

/*
 * The data sources of the tasks, found by jumping through the (data source,
 * page) unique index (a loose index scan: one seek per data source), as
 * the CTE ds(x) for lookups by page id alone.
 */
#define DATA_SOURCES                                                                               \
	"ds(x) AS (SELECT min(notion_data_source_id) FROM tasks"                                   \
	" UNION ALL SELECT (SELECT min(notion_data_source_id) FROM tasks"                          \
	" WHERE notion_data_source_id > ds.x) FROM ds WHERE ds.x IS NOT NULL)"
#define Q10 "?, ?, ?, ?, ?, ?, ?, ?, ?, ?"
#define Q100 Q10 ", " Q10 ", " Q10 ", " Q10 ", " Q10 ", " Q10 ", " Q10 ", " Q10 ", " Q10 ", " Q10
_Static_assert(STORE_HEADS_BATCH == 100, "Q100 has STORE_HEADS_BATCH placeholders");

static const char *const stmt_sql[ST_COUNT] = {
	[ST_TASK_BY_ID] = "SELECT " TASK_COLS " FROM tasks t WHERE t.id = ?",
	/*
	 * A page id alone: one seek in the (data source, page) index per data
	 * source, the data sources found by jumping through that index (a
	 * loose index scan; there are a handful of them).
	 */
	[ST_TASK_BY_PAGE] = "WITH RECURSIVE " DATA_SOURCES " SELECT " TASK_COLS
			    " FROM ds JOIN tasks t ON t.notion_data_source_id = ds.x"
			    " AND t.notion_page_id = ? ORDER BY t.active DESC, t.updated_at DESC"
			    " LIMIT 1",
	[ST_TASK_ID_BY_ID] = "SELECT id FROM tasks WHERE id = ?",
	[ST_TASK_ID_BY_PAGE] = "WITH RECURSIVE " DATA_SOURCES " SELECT t.id"
			       " FROM ds JOIN tasks t ON t.notion_data_source_id = ds.x"
			       " AND t.notion_page_id = ? ORDER BY t.active DESC, t.updated_at DESC"
			       " LIMIT 1",
	[ST_TASK_BY_SOURCE_PAGE] = "SELECT " TASK_COLS " FROM tasks t"
				   " WHERE t.notion_data_source_id = ? AND t.notion_page_id = ?",
	/* what a write needs of the current state: no content to parse */
	[ST_TASK_HEAD_BY_ID] = "SELECT " TASK_HEAD_COLS " FROM tasks t JOIN task_versions v"
			       " ON v.task_id = t.id AND v.version = t.version WHERE t.id = ?",
	[ST_TASK_HEAD_BY_SOURCE_PAGE] =
		"SELECT " TASK_HEAD_COLS " FROM tasks t JOIN task_versions v"
		" ON v.task_id = t.id AND v.version = t.version"
		" WHERE t.notion_data_source_id = ? AND t.notion_page_id = ?",
	[ST_TASK_INSERT] = "INSERT INTO tasks (id, " SHARED_FIELDS(
		PLAIN_COL) "current_version_id, version, created_at, updated_at)"
			   " VALUES (?, " SHARED_FIELDS(
				   Q_COL) "?, ?, ?, ?)"
					  /* a writer that found no task re-checks: nothing when one
					     appeared */
					  " ON CONFLICT (notion_data_source_id, notion_page_id) DO "
					  "NOTHING",
	[ST_TASK_UPDATE] = "UPDATE tasks SET " SHARED_FIELDS(
		SET_COL) "current_version_id = ?, version = ?, updated_at = ?"
			 /* written against the head the writer read: nothing if it moved */
			 " WHERE id = ? AND version = ?",
	[ST_TASK_TOUCH_EDITED] = "UPDATE tasks SET notion_last_edited_time = ?"
				 " WHERE id = ? AND notion_last_edited_time IS NOT ?",
	[ST_VERSION_INSERT] = "INSERT INTO task_versions (id, task_id, version, " SHARED_FIELDS(
		PLAIN_COL) "created_at, created_by, change_reason, conflict, content_hash, "
			   "chain_hash)"
			   " VALUES (?, ?, ?, " SHARED_FIELDS(Q_COL) "?, ?, ?, ?, ?, ?)",
	[ST_VERSION_BY_NUM] = "SELECT " VERSION_COLS " FROM task_versions v"
			      " WHERE v.task_id = ? AND v.version = ?",
	[ST_VERSION_HISTORY] = "SELECT " VERSION_COLS " FROM task_versions v"
			       " WHERE v.task_id = ? ORDER BY v.version",
	[ST_VERSION_LAST_BY] = "SELECT " VERSION_COLS " FROM task_versions v"
			       " WHERE v.task_id = ?1 AND substr(v.created_by, 1, length(?2)) = ?2"
			       " ORDER BY v.version DESC LIMIT 1",
	[ST_SCAN_MARK] = "INSERT INTO scan_seen (epoch, task_seq) SELECT ?, seq FROM tasks"
			 " WHERE notion_data_source_id = ? AND notion_page_id = ?",
	[ST_CONTENT_FIND] = "SELECT id FROM contents WHERE hash = ?",
	[ST_CONTENT_INSERT] = "INSERT INTO contents (hash, data) VALUES (?, ?)",
	[ST_CONTENT_GET] = "SELECT data FROM contents WHERE id = ?",
	/* a data source's marks of earlier scans, dropped when a new one starts */
	[ST_SCAN_FORGET] = "DELETE FROM scan_seen WHERE epoch < ?1 AND task_seq IN"
			   " (SELECT seq FROM tasks WHERE notion_data_source_id = ?2)",
	[ST_EVIDENCE_INSERT] = "INSERT INTO evidence (id, type, source, source_id, scope, trigger,"
			       " started_at, finished_at, status, metadata)"
			       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	[ST_SYNC_STATE_GET] =
		"SELECT data_source_id, database_id, watermark, last_full_scan_at,"
		" scan_epoch, resume_after, run_id, run_started_at, run_trigger, extra"
		" FROM sync_state WHERE data_source_id = ?",
	[ST_SYNC_STATE_PUT] =
		"INSERT INTO sync_state (data_source_id, database_id, watermark,"
		" last_full_scan_at, scan_epoch, resume_after, run_id, run_started_at,"
		" run_trigger, extra, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
		" ON CONFLICT (data_source_id) DO UPDATE SET"
		" database_id = excluded.database_id, watermark = excluded.watermark,"
		" last_full_scan_at = excluded.last_full_scan_at,"
		" scan_epoch = excluded.scan_epoch, resume_after = excluded.resume_after,"
		" run_id = excluded.run_id, run_started_at = excluded.run_started_at,"
		" run_trigger = excluded.run_trigger, extra = excluded.extra,"
		" updated_at = excluded.updated_at",
	[ST_SYNC_STATE_LIST] =
		"SELECT data_source_id, database_id, watermark, last_full_scan_at,"
		" scan_epoch, resume_after, run_id, run_started_at, run_trigger, extra"
		" FROM sync_state ORDER BY database_id, data_source_id",
	[ST_CONFLICT_INSERT] = "INSERT INTO conflicts (id, task_id, local_version_id,"
			       " notion_version_id, created_at) VALUES (?, ?, ?, ?, ?)",
	[ST_SCHED_GET] =
		"SELECT enabled, running, pid, schedule, next_run, last_run,"
		" last_run_success, last_run_error, updated_at FROM scheduler_state WHERE id = 1",
	[ST_TASK_SEQ] = "SELECT seq FROM tasks WHERE id = ?",
	[ST_SEARCH_GET] = "SELECT title, description, other FROM task_search WHERE rowid = ?",
	[ST_TASK_BY_SEQ] = "SELECT " TASK_COLS " FROM tasks t WHERE t.seq = ?",
	[ST_SEARCH_SNIPPET] =
		"SELECT snippet(task_search, -1, '**', '**', '…', 16) FROM task_search"
		" WHERE task_search MATCH ? AND rowid = ?",
	[ST_ANY_DELETED] = "SELECT 1 FROM tasks WHERE active = 0 LIMIT 1",
	[ST_SEARCH_DELETE] = "DELETE FROM task_search WHERE rowid = ?",
	[ST_SEARCH_INSERT] = "INSERT INTO task_search (rowid, title, description, other)"
			     " VALUES (?, ?, ?, ?)",
	[ST_SCHED_PUT] =
		"INSERT OR REPLACE INTO scheduler_state (id, enabled, running, pid, schedule,"
		" next_run, last_run, last_run_success, last_run_error, updated_at)"
		" VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	/*
	 * Heads of up to STORE_HEADS_BATCH pages (?3...) of data source ?1, with
	 * the newest version by author ?2: the current one when it is by ?2 (the
	 * common case, no second lookup), else found walking back the task's
	 * versions by number.
	 */
	[ST_HEADS_BY_PAGES] =
		"SELECT " TASK_HEAD_COLS ", t.notion_page_id,"
		" CASE WHEN v.created_by = ?2 THEN v.version ELSE"
		"  (SELECT a.version FROM task_versions a WHERE a.task_id = t.id"
		"   AND a.created_by = ?2 ORDER BY a.version DESC LIMIT 1) END,"
		" CASE WHEN v.created_by = ?2 THEN v.content_hash ELSE"
		"  (SELECT a.content_hash FROM task_versions a WHERE a.task_id = t.id"
		"   AND a.created_by = ?2 ORDER BY a.version DESC LIMIT 1) END"
		" FROM tasks t JOIN task_versions v ON v.task_id = t.id AND v.version = t.version"
		" WHERE t.notion_data_source_id = ?1 AND t.notion_page_id IN (" Q100 ")",
};

int store_sql_error(struct store *s, int rc, struct nv_err *err, const char *what)
{
	enum nv_status code;

	switch (rc & 0xff) {
	case DB_BUSY:
	case DB_LOCKED:
		code = NV_EBUSY;
		break;
	case DB_CONSTRAINT:
		code = NV_EINVAL;
		break;
	case DB_CORRUPT:
	case DB_NOTADB:
		code = NV_ESCHEMA;
		break;
	default:
		code = NV_EIO;
		break;
	}
	return nv_err_set(err, code, "%s: %s (store %s)", what,
			  s && s->db ? db_errmsg(s->db) : db_errstr(rc),
			  s && s->path ? s->path : "?");
}

int store_prepare(struct store *s, const char *sql, struct db_stmt **out, struct nv_err *err)
{
	int rc = db_prepare(s->db, sql, out);

	if (rc != DB_OK)
		return store_sql_error(s, rc, err, "preparing a query");
	return NV_OK;
}

void sql_quote(struct buf *b, const char *s)
{
	buf_addch(b, '\'');
	for (const char *p = s; *p; p++) {
		if (*p == '\'')
			buf_addch(b, '\'');
		buf_addch(b, *p);
	}
	buf_addch(b, '\'');
}

struct db_stmt *store_stmt(struct store *s, enum stmt_id id, struct nv_err *err)
{
	if (!s->stmts[id] && store_prepare(s, stmt_sql[id], &s->stmts[id], err))
		return NULL;
	return s->stmts[id];
}

void stmt_done(struct db_stmt *st)
{
	if (!st)
		return;
	db_reset(st);
	db_clear_bindings(st);
}

int store_exec(struct store *s, const char *sql, struct nv_err *err)
{
	int rc = db_exec(s->db, sql);

	if (rc != DB_OK) {
		nv_err_set(err, rc == DB_BUSY ? NV_EBUSY : NV_EIO, "%s (store %s)",
			   db_errmsg(s->db), s->path);
		return err ? err->code : NV_EIO;
	}
	return NV_OK;
}

/* ---- transactions --------------------------------------------------------- */

/* How long a writer waits for another process's write transaction in total. */
#define BUSY_TIMEOUT_MS 5000
#define BEGIN_RETRY_MS 60000

void store_tx_failed(struct store *s)
{
	s->scan_forgot_ds[0] = '\0';
	s->scan_forgot_epoch = 0;
	content_cache_clear(s);
}

int store_begin_immediate(struct store *s, struct nv_err *err)
{
	int64_t deadline = time_mono_ms() + BEGIN_RETRY_MS;
	int64_t pause = 2;
	int rc;

	/*
	 * The busy timeout already waits for the write lock; the loop covers
	 * the cases where SQLite reports BUSY without waiting (WAL recovery).
	 */
	for (;;) {
		rc = db_exec(s->db, "BEGIN IMMEDIATE");
		if (rc == DB_OK)
			return NV_OK;
		if ((rc & 0xff) != DB_BUSY && (rc & 0xff) != DB_LOCKED)
			return store_sql_error(s, rc, err, "starting a write transaction");
		if (time_mono_ms() > deadline)
			return nv_err_set(
				err, NV_EBUSY,
				"store %s stayed busy for %d s (another process is writing)",
				s->path, BEGIN_RETRY_MS / 1000);
		time_sleep_ms(pause, NULL);
		if (pause < 100)
			pause *= 2;
	}
}

int store_begin(struct store *s, struct nv_err *err)
{
	if (s->in_tx)
		return nv_err_set(err, NV_EINVAL, "a store transaction is already open");
	if (store_begin_immediate(s, err))
		return err ? err->code : NV_EBUSY;
	s->in_tx = 1;
	return NV_OK;
}

/* COMMIT, retried while readers block the WAL (rare; the busy timeout covers most). */
static int commit_retry(struct store *s, struct nv_err *err)
{
	int64_t deadline = time_mono_ms() + BEGIN_RETRY_MS;
	int rc;

	while ((rc = db_exec(s->db, "COMMIT")) != DB_OK) {
		if ((rc & 0xff) != DB_BUSY || time_mono_ms() > deadline) {
			int status = store_sql_error(s, rc, err, "committing");
			if (!db_autocommit(s->db))
				db_exec(s->db, "ROLLBACK");
			store_tx_failed(s);
			return status;
		}
		time_sleep_ms(10, NULL);
	}
	return NV_OK;
}

int store_commit(struct store *s, struct nv_err *err)
{
	if (!s->in_tx)
		return nv_err_set(err, NV_EINVAL, "no store transaction is open");
	s->in_tx = 0;
	return commit_retry(s, err);
}

void store_rollback(struct store *s)
{
	if (!s)
		return;
	if (!db_autocommit(s->db))
		db_exec(s->db, "ROLLBACK");
	s->in_tx = 0;
	store_tx_failed(s);
}

int store_in_write_tx(const struct store *s)
{
	return s && s->in_tx;
}

int tx_enter(struct store *s, int *own, struct nv_err *err)
{
	*own = 0;
	if (s->in_tx)
		return NV_OK;
	if (s->flags & STORE_READONLY)
		return nv_err_set(err, NV_EINVAL, "store %s is open read-only", s->path);
	if (store_begin_immediate(s, err))
		return err ? err->code : NV_EBUSY;
	*own = 1;
	return NV_OK;
}

int tx_leave(struct store *s, int own, int rc, struct nv_err *err)
{
	if (!own)
		return rc;
	if (rc) {
		if (!db_autocommit(s->db))
			db_exec(s->db, "ROLLBACK");
		store_tx_failed(s);
		return rc;
	}
	return commit_retry(s, err);
}

/* ---- binding and reading ------------------------------------------------- */

void bind_text(struct db_stmt *st, int idx, const char *s)
{
	if (s)
		db_bind_text(st, idx, s, -1);
	else
		db_bind_null(st, idx);
}

void bind_json(struct db_stmt *st, int idx, const json_t *v)
{
	char *text;

	if (!v) {
		db_bind_null(st, idx);
		return;
	}
	text = json_canonical(v);
	db_bind_text(st, idx, text, -1);
	free(text);
}

char *col_text(struct db_stmt *st, int idx)
{
	const unsigned char *t = db_column_text(st, idx);

	return t ? xstrdup((const char *)t) : NULL;
}

json_t *col_json(struct db_stmt *st, int idx)
{
	const char *t = (const char *)db_column_text(st, idx);

	/* decoding what we encoded; a NULL result means a tampered row, shown as absent */
	return t ? json_loads(t, JSON_DECODE_ANY, NULL) : NULL;
}

int bind_shared(struct db_stmt *st, int idx, const struct task *t, const char *tags_text,
		const char *metadata_text)
{
	bind_text(st, idx++, t->scope);
	bind_text(st, idx++, t->title);
	bind_text(st, idx++, t->description);
	bind_text(st, idx++, t->status);
	bind_text(st, idx++, t->resolution);
	bind_text(st, idx++, t->category);
	bind_text(st, idx++, t->due_date);
	bind_text(st, idx++, t->assignee);
	bind_text(st, idx++, tags_text);
	bind_text(st, idx++, metadata_text);
	bind_text(st, idx++, t->notion_status);
	bind_text(st, idx++, t->source);
	bind_text(st, idx++, t->notion_database_id);
	bind_text(st, idx++, t->notion_data_source_id);
	bind_text(st, idx++, t->notion_page_id);
	bind_text(st, idx++, t->notion_url);
	bind_text(st, idx++, t->notion_created_time);
	bind_text(st, idx++, t->notion_last_edited_time);
	db_bind_int(st, idx++, t->active ? 1 : 0);
	bind_text(st, idx++, t->deleted_at);
	return idx;
}

/* Reads the shared fields from column base on; returns the next column. */
static int read_shared(struct db_stmt *st, int c, struct task *t)
{
	t->scope = col_text(st, c++);
	t->title = col_text(st, c++);
	t->description = col_text(st, c++);
	t->status = col_text(st, c++);
	t->resolution = col_text(st, c++);
	t->category = col_text(st, c++);
	t->due_date = col_text(st, c++);
	t->assignee = col_text(st, c++);
	t->tags = col_json(st, c++);
	t->metadata = col_json(st, c++);
	t->notion_status = col_text(st, c++);
	t->source = col_text(st, c++);
	t->notion_database_id = col_text(st, c++);
	t->notion_data_source_id = col_text(st, c++);
	t->notion_page_id = col_text(st, c++);
	t->notion_url = col_text(st, c++);
	t->notion_created_time = col_text(st, c++);
	t->notion_last_edited_time = col_text(st, c++);
	t->active = db_column_int(st, c++);
	t->deleted_at = col_text(st, c++);
	return c;
}

void row_to_task(struct db_stmt *st, int base, struct task *t)
{
	int c = base;

	task_init(t);
	t->id = col_text(st, c++);
	c = read_shared(st, c, t);
	t->current_version_id = col_text(st, c++);
	t->version = db_column_int64(st, c++);
	t->created_at = col_text(st, c++);
	t->updated_at = col_text(st, c++);
}

static void col_hash(struct db_stmt *st, int idx, char out[HASH_HEX_LEN + 1])
{
	const char *t = (const char *)db_column_text(st, idx);
	size_t n = t ? strlen(t) : 0;

	if (n > HASH_HEX_LEN)
		n = HASH_HEX_LEN;
	if (n)
		memcpy(out, t, n);
	out[n] = '\0';
}

void row_to_version(struct db_stmt *st, int base, struct task_version *v)
{
	int c = base;

	task_version_init(v);
	v->id = col_text(st, c++);
	v->snap.id = col_text(st, c++);
	v->num = db_column_int64(st, c++);
	c = read_shared(st, c, &v->snap);
	v->snap.version = v->num;
	v->snap.current_version_id = xstrdup(v->id);
	v->created_at = col_text(st, c++);
	v->created_by = col_text(st, c++);
	v->change_reason = col_text(st, c++);
	v->conflict = db_column_int(st, c++);
	col_hash(st, c++, v->content_hash);
	col_hash(st, c++, v->chain_hash);
}

void store_now(char out[32])
{
	time_format_iso(time_now_ms(), out);
}

int store_norm_time(const char *in, char out[32], const char *what, struct nv_err *err)
{
	int64_t ms;

	if (!in || time_parse_iso(in, &ms))
		return nv_err_set(err, NV_EINVAL,
				  "%s '%s' is not a time (use ISO 8601, e.g. 2026-01-31 or "
				  "2026-01-31T09:00:00Z)",
				  what, in ? in : "");
	time_format_iso(ms, out);
	return NV_OK;
}

/* ---- open / migrate / close ------------------------------------------------ */

/* mkdir -p of the directory that will hold path. */
static int make_parent_dirs(const char *path, struct nv_err *err)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	int rc = NV_OK;

	if (!slash || slash == dir)
		goto out;
	*slash = '\0';
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) && errno != EEXIST) {
			rc = nv_err_set(err, NV_EIO, "cannot create directory %s: %s", dir,
					strerror(errno));
			goto out;
		}
		*p = '/';
	}
	if (mkdir(dir, 0700) && errno != EEXIST)
		rc = nv_err_set(err, NV_EIO, "cannot create directory %s: %s", dir,
				strerror(errno));
out:
	free(dir);
	return rc;
}

/*
 * Creates the empty store file 0600 whatever the umask (a backup of private
 * data); SQLite gives the -wal and -shm files the store file's mode.
 */
static int create_private_file(const char *path, struct nv_err *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0) {
		if (errno == EEXIST) /* another process created it meanwhile */
			return NV_OK;
		return nv_err_set(err, NV_EIO, "cannot create the store %s: %s", path,
				  strerror(errno));
	}
	if (fchmod(fd, 0600)) {
		int e = errno;

		close(fd);
		return nv_err_set(err, NV_EIO, "cannot set the mode of the store %s: %s", path,
				  strerror(e));
	}
	close(fd);
	return NV_OK;
}

static int read_user_version(struct store *s, int *out, struct nv_err *err)
{
	struct db_stmt *st;
	int rc;

	if (store_prepare(s, "PRAGMA user_version", &st, err))
		return err ? err->code : NV_EIO;
	rc = db_step(st);
	if (rc == DB_ROW)
		*out = db_column_int(st, 0);
	db_finalize(st);
	if (rc != DB_ROW)
		return store_sql_error(s, rc, err, "reading the schema version");
	return NV_OK;
}

static int newer_schema_error(struct store *s, int found, struct nv_err *err)
{
	return nv_err_set(err, NV_ESCHEMA,
			  "store %s has schema version %d, but this nvault (%s) only knows schema "
			  "versions up to %d: use a newer nvault",
			  s->path, found, NVAULT_VERSION, store_schema_version());
}

/* True while versions written before schema 5 wait to be packed. */
static int pack_pending(struct store *s)
{
	struct db_stmt *st;
	int pending = 0;

	if (store_prepare(s, "SELECT 1 FROM pack_progress", &st, NULL))
		return 0;
	pending = db_step(st) == DB_ROW;
	db_finalize(st);
	return pending;
}

/* Brings the schema up to date, one transaction per step. */
static int migrate(struct store *s, struct nv_err *err)
{
	int current, rc;

	if ((rc = read_user_version(s, &current, err)))
		return rc;
	if (current > store_schema_version())
		return newer_schema_error(s, current, err);
	/* a read-only open reads unpacked versions as they are */
	if (current == store_schema_version() && ((s->flags & STORE_READONLY) || !pack_pending(s)))
		return NV_OK;
	if (s->flags & STORE_READONLY)
		return nv_err_set(err, NV_ESCHEMA,
				  "store %s has schema version %d and needs migrating to %d; "
				  "open it once with write access",
				  s->path, current, store_schema_version());
	for (int i = 0; i < N_MIGRATIONS; i++) {
		struct buf sql = BUF_INIT;

		if ((rc = store_begin_immediate(s, err)))
			return rc;
		/* another process may have migrated while we waited for the lock */
		if ((rc = read_user_version(s, &current, err)))
			goto fail;
		if (current > store_schema_version()) {
			rc = newer_schema_error(s, current, err);
			goto fail;
		}
		if (current >= migrations[i].to_version) {
			store_exec(s, "COMMIT", NULL);
			continue;
		}
		buf_addf(&sql, "%s\nPRAGMA user_version = %d;", migrations[i].sql,
			 migrations[i].to_version);
		rc = store_exec(s, sql.data, err);
		buf_release(&sql);
		if (rc) {
			nv_err_prefix(err, "migrating the store to schema %d (%s)",
				      migrations[i].to_version, migrations[i].what);
			goto fail;
		}
		if ((rc = commit_retry(s, err)))
			return rc;
		continue;
	fail:
		store_rollback(s);
		return rc;
	}
	/* schema 5's data step: nothing to do once pack_progress is empty */
	return content_pack_old_versions(s, err);
}

/* "file:" URI of path with the given query ("immutable=1"), escaped for SQLite. */
static char *file_uri(const char *path, const char *query)
{
	struct buf b = BUF_INIT;

	buf_adds(&b, "file:");
	for (const char *p = path; *p; p++) {
		if (*p == '%' || *p == '?' || *p == '#')
			buf_addf(&b, "%%%02x", (unsigned char)*p);
		else
			buf_add(&b, p, 1);
	}
	buf_addf(&b, "?%s", query);
	return buf_detach(&b);
}

/* A non-empty -wal next to path (committed changes not yet in the main file). */
static int has_wal_content(const char *path)
{
	struct buf wal = BUF_INIT;
	struct stat sb;
	int r;

	buf_addf(&wal, "%s-wal", path);
	r = stat(wal.data, &sb) == 0 && sb.st_size > 0;
	buf_release(&wal);
	return r;
}

/* Opens the SQLite connection of s; immutable only for read-only opens. */
static int open_db(struct store *s, int immutable, struct nv_err *err)
{
	unsigned oflags = (s->flags & STORE_READONLY) ? DB_OPEN_READONLY : DB_OPEN_CREATE;
	char *uri = immutable ? file_uri(s->path, "immutable=1") : NULL;
	int rc;

	rc = db_open_sqlite(uri ? uri : s->path, oflags | (uri ? DB_OPEN_URI : 0), BUSY_TIMEOUT_MS,
			    &s->db);
	free(uri);
	if (rc != DB_OK)
		return store_sql_error(s, rc, err, "opening the store");
	return NV_OK;
}

static void close_db(struct store *s)
{
	for (int i = 0; i < ST_COUNT; i++) {
		db_finalize(s->stmts[i]);
		s->stmts[i] = NULL;
	}
	db_close(s->db);
	s->db = NULL;
}

/*
 * A read-only open (SPEC §3, issue 15 #7): reading a WAL store needs its
 * -shm index; in a directory or on a file system this process cannot write,
 * SQLite cannot create it and refuses even to read. Then, when there is no
 * -wal content to miss, the store is opened immutable=1: nothing can write
 * it through this process and a short-lived reader sees the main file as it
 * is. A store whose schema is older than this build is migrated first
 * through a read-write open when the file is writable.
 */
static int open_readonly(struct store *s, struct nv_err *err)
{
	int version = 0, rc, code;

	if ((rc = open_db(s, 0, err)))
		return rc;
	rc = read_user_version(s, &version, err);
	code = s->db ? db_errcode(s->db) : DB_OK;
	if (rc && (code == DB_READONLY || code == DB_CANTOPEN) && !has_wal_content(s->path)) {
		close_db(s);
		nv_err_clear(err);
		if ((rc = open_db(s, 1, err)))
			return rc;
		rc = read_user_version(s, &version, err);
	}
	if (rc)
		return rc;
	if (version > 0 && version < store_schema_version() && access(s->path, W_OK) == 0) {
		struct store *rw = NULL;

		/* migrate once with write access, then read as asked */
		if (store_open(s->path, s->flags & ~(unsigned)STORE_READONLY, &rw, err))
			return err ? err->code : NV_EIO;
		store_close(rw);
		close_db(s);
		return open_readonly(s, err);
	}
	return NV_OK;
}

int store_open(const char *path, unsigned flags, struct store **out, struct nv_err *err)
{
	struct store *s;
	struct stat sb;
	int rc;

	*out = NULL;
	if (!path || !*path)
		return nv_err_set(err, NV_EINVAL, "no store path given");
	if (stat(path, &sb)) {
		if (flags & (STORE_NO_CREATE | STORE_READONLY))
			return nv_err_set(err, NV_ENOTFOUND,
					  "no store at %s (nothing has been synced or added yet; "
					  "check --db or NVAULT_DB)",
					  path);
		if ((rc = make_parent_dirs(path, err)) || (rc = create_private_file(path, err)))
			return rc;
	} else if (S_ISDIR(sb.st_mode)) {
		return nv_err_set(err, NV_EINVAL, "store path %s is a directory", path);
	}
	s = xcalloc(1, sizeof(*s));
	s->path = xstrdup(path);
	s->flags = flags;
	rc = (flags & STORE_READONLY) ? open_readonly(s, err) : open_db(s, 0, err);
	if (rc)
		goto fail;
	/* journal_mode needs write access; a read-only opener uses what is there */
	if (!(flags & STORE_READONLY) && (rc = store_exec(s, "PRAGMA journal_mode = WAL", err))) {
		int code = db_errcode(s->db);

		/* name the likely cause: a read-only file is not a format problem */
		nv_err_prefix(err, code == DB_READONLY || code == DB_CANTOPEN || code == DB_PERM
					   ? "opening the store for writing (check the permissions "
					     "of the file and its directory)"
				   : code == DB_NOTADB ? "opening the store (is it an SQLite file?)"
						       : "opening the store");
		goto fail;
	}
	if ((rc = store_exec(s, "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL", err)) ||
	    (rc = content_register(s, err)))
		goto fail;
	if ((rc = store_search_register(s, err)))
		goto fail;
	if ((rc = migrate(s, err)))
		goto fail;
	*out = s;
	return NV_OK;
fail:
	store_close(s);
	return rc ? rc : NV_EIO;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	if (s->db) {
		store_rollback(s);
		for (int i = 0; i < ST_COUNT; i++)
			db_finalize(s->stmts[i]);
		db_close(s->db);
	}
	content_cache_free(s);
	free(s->path);
	free(s);
}

/* ---- the sync lock ------------------------------------------------------- */

struct store_lock {
	int fd;
};

/*
 * The lock belongs to the store, not to the path string used to reach it
 * (SPEC §4.14): the lock file is named after the store's real path, with
 * symlinks and ".." resolved, so a store reached through a symlink, a bind
 * mount of its directory or a detour takes the same lock. The lock file is
 * opened without following a symlink planted in its place, and must be a
 * regular file.
 */
int store_lock(struct store *s, struct store_lock **out, struct nv_err *err)
{
	struct buf path = BUF_INIT;
	struct stat sb;
	char *real;
	int fd;

	*out = NULL;
	real = realpath(s->path, NULL);
	if (!real)
		return nv_err_set(err, NV_EIO, "cannot resolve the store path %s: %s", s->path,
				  strerror(errno));
	buf_addf(&path, "%s.lock", real);
	free(real);
	fd = open(path.data, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
	if (fd < 0) {
		nv_err_set(err, NV_EIO, "cannot open lock file %s: %s%s", path.data,
			   strerror(errno),
			   errno == ELOOP ? " (it is a symbolic link: remove it)" : "");
		buf_release(&path);
		return NV_EIO;
	}
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
		close(fd);
		nv_err_set(err, NV_EIO, "lock file %s is not a regular file: remove it", path.data);
		buf_release(&path);
		return NV_EIO;
	}
	/* flock: released by the kernel when the process dies, so never stale */
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		int e = errno;
		close(fd);
		if (e == EWOULDBLOCK)
			nv_err_set(err, NV_ELOCKED,
				   "a sync is already running on store %s (lock %s is held)",
				   s->path, path.data);
		else
			nv_err_set(err, NV_EIO, "cannot lock %s: %s", path.data, strerror(e));
		buf_release(&path);
		return e == EWOULDBLOCK ? NV_ELOCKED : NV_EIO;
	}
	buf_release(&path);
	*out = xmalloc(sizeof(**out));
	(*out)->fd = fd;
	return NV_OK;
}

int store_lock_note(struct store_lock *lock, const char *text)
{
	size_t len = text ? strlen(text) : 0, done = 0;

	if (!lock || ftruncate(lock->fd, 0))
		return NV_EIO;
	while (done < len) {
		ssize_t n = pwrite(lock->fd, text + done, len - done, (off_t)done);

		if (n <= 0)
			return NV_EIO;
		done += (size_t)n;
	}
	return fdatasync(lock->fd) ? NV_EIO : NV_OK;
}

char *store_lock_read_note(struct store_lock *lock)
{
	struct buf b = BUF_INIT;
	char chunk[4096];
	off_t off = 0;
	ssize_t n;

	if (!lock)
		return NULL;
	while ((n = pread(lock->fd, chunk, sizeof(chunk), off)) > 0 && off < (1 << 20)) {
		buf_add(&b, chunk, (size_t)n);
		off += n;
	}
	if (!b.len) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b);
}

int store_sync_running(struct store *s, int *running, struct nv_err *err)
{
	struct buf path = BUF_INIT;
	int fd, rc = NV_OK;
	char *real;

	*running = 0;
	/* the lock file store_lock() takes: named after the real path */
	if (!(real = realpath(s->path, NULL)))
		return nv_err_set(err, NV_EIO, "cannot resolve the store path %s: %s", s->path,
				  strerror(errno));
	buf_addf(&path, "%s.lock", real);
	free(real);
	fd = open(path.data, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		if (errno != ENOENT)
			rc = nv_err_set(err, NV_EIO, "cannot open lock file %s: %s", path.data,
					strerror(errno));
		buf_release(&path);
		return rc; /* no lock file: no sync ever ran here */
	}
	if (flock(fd, LOCK_SH | LOCK_NB)) {
		if (errno == EWOULDBLOCK)
			*running = 1;
		else
			rc = nv_err_set(err, NV_EIO, "cannot probe lock %s: %s", path.data,
					strerror(errno));
	}
	close(fd); /* releases the probe's shared lock */
	buf_release(&path);
	return rc;
}

int store_copy_to(struct store *s, const char *path, struct nv_err *err)
{
	struct db_stmt *st;
	int rc;

	if ((rc = store_prepare(s, "VACUUM INTO ?", &st, err)))
		return rc;
	bind_text(st, 1, path);
	rc = db_step(st);
	db_finalize(st);
	if (rc != DB_DONE)
		return store_sql_error(s, rc, err, "copying the store");
	return NV_OK;
}

void store_unlock(struct store_lock *lock)
{
	if (!lock)
		return;
	flock(lock->fd, LOCK_UN);
	close(lock->fd);
	free(lock);
}
