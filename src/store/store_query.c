/*
 * store_query.c: reading tasks back by filter: the WHERE clause every
 * filtered read shares (lists, search, as-of, diff, counts, export), and
 * one page of a list or of a ranked search.
 *
 * A search page is read in two steps: the matching rows are ranked by BM25
 * (nv_rank in store_search.c; title 10, description 4, other text 1) over rowids and scores only,
 * so the sorter never carries a task's content; then the page's few tasks are loaded by rowid and
 * given a snippet each.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/id.h"
#include "util/xalloc.h"

/* bm25 column weights: title, description, other text */
#define SEARCH_RANK "nv_rank(task_search, 10.0, 4.0, 1.0, ?)"

/* ---- filters -------------------------------------------------------------- */

/* Dashed lowercase form of a Notion id, or the text as given when it is none. */
static const char *norm_id(const char *in, char buf[ID_DASHED_LEN + 1])
{
	if (in && !id_normalize(in, buf))
		return buf;
	return in;
}

static void where_add(struct where *w, const char *cond, const char *param)
{
	buf_adds(&w->sql, w->sql.len ? " AND " : w->lead);
	buf_adds(&w->sql, cond);
	if (param)
		w->params[w->n++] = param;
}

/* Is the text only white space (or NULL)? */
static int blank(const char *s)
{
	if (!s)
		return 1;
	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return 0;
	return 1;
}

int where_build(struct where *w, const struct task_filter *f, const char *a, int active,
		const char *lead, unsigned flags, struct nv_err *err)
{
	struct buf cond = BUF_INIT;
	int rc = NV_OK;

	memset(w, 0, sizeof(*w));
	w->lead = lead;
#define COND(fmt, param)                                                                           \
	do {                                                                                       \
		buf_reset(&cond);                                                                  \
		buf_addf(&cond, fmt, a);                                                           \
		where_add(w, cond.data, param);                                                    \
	} while (0)
	if (!f) {
		if (active)
			COND("%s.active = 1", NULL);
		buf_release(&cond);
		return NV_OK;
	}
	if (f->scope)
		COND("%s.scope = ?", f->scope);
	if (f->database_id)
		COND("%s.notion_database_id = ?", norm_id(f->database_id, w->ids[0]));
	if (f->data_source_id)
		COND("%s.notion_data_source_id = ?", norm_id(f->data_source_id, w->ids[1]));
	if (f->status)
		COND("%s.status = ?", f->status);
	if (f->source)
		COND("%s.source = ?", f->source);
	if (active && !f->include_deleted)
		COND("%s.active = 1", NULL);
	if (!blank(f->search) && !(flags & WHERE_NO_SEARCH)) {
		if ((rc = store_search_query(f->search, &w->fts, err)))
			goto out;
		if (!w->fts)
			where_add(w, "0", NULL); /* nothing searchable: nothing matches */
		else if (!strcmp(a, "t"))
			where_add(w,
				  "t.seq IN (SELECT rowid FROM task_search WHERE task_search MATCH "
				  "?)",
				  w->fts);
		else /* versions join back to the task's current text */
			where_add(w,
				  "v.task_id IN (SELECT id FROM tasks WHERE seq IN"
				  " (SELECT rowid FROM task_search WHERE task_search MATCH ?))",
				  w->fts);
	}
out:
#undef COND
	buf_release(&cond);
	return rc;
}

void where_release(struct where *w)
{
	buf_release(&w->sql);
	free(w->fts);
	memset(w, 0, sizeof(*w));
}

int where_bind(sqlite3_stmt *st, const struct where *w, int first)
{
	for (int i = 0; i < w->n; i++)
		bind_text(st, first++, w->params[i]);
	return first;
}

/* ---- read snapshots ---------------------------------------------------------- */

int read_begin(struct store *s, int *own)
{
	*own = !s->in_tx && sqlite3_get_autocommit(s->db) &&
	       sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
	return NV_OK;
}

void read_end(struct store *s, int own)
{
	if (own)
		sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
}

/* ---- lists ---------------------------------------------------------------- */

void task_list_release(struct task_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		task_release(&l->items[i]);
		if (l->hits)
			free(l->hits[i].snippet);
	}
	free(l->items);
	free(l->hits);
	memset(l, 0, sizeof(*l));
}

#define LIST_DEFAULT 50
#define LIST_MAX 1000

/* Runs a one-row count query. */
static int count_rows(struct store *s, const char *sql, const struct where *w, int64_t *out,
		      struct nv_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = store_prepare(s, sql, &st, err)))
		return rc;
	where_bind(st, w, 1);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = NV_OK;
	} else {
		rc = store_sql_error(s, rc, err, "counting tasks");
	}
	sqlite3_finalize(st);
	return rc;
}

static int list_plain(struct store *s, const struct task_filter *f, int64_t limit, int64_t offset,
		      struct task_list *out, struct nv_err *err)
{
	struct where w;
	struct buf sql = BUF_INIT;
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int rc, i;

	if ((rc = where_build(&w, f, "t", 1, " WHERE ", 0, err)))
		goto out;
	buf_addf(&sql, "SELECT count(*) FROM tasks t%s", buf_str(&w.sql));
	if ((rc = count_rows(s, sql.data, &w, &out->total, err)))
		goto out;
	buf_reset(&sql);
	buf_addf(&sql,
		 "SELECT " TASK_COLS " FROM tasks t%s"
		 " ORDER BY t.updated_at DESC, t.seq DESC LIMIT ? OFFSET ?",
		 buf_str(&w.sql));
	if ((rc = store_prepare(s, sql.data, &st, err)))
		goto out;
	i = where_bind(st, &w, 1);
	sqlite3_bind_int64(st, i++, limit);
	sqlite3_bind_int64(st, i++, offset);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		out->items = xgrow(out->items, &cap, out->n + 1, sizeof(*out->items));
		row_to_task(st, 0, &out->items[out->n++]);
	}
	rc = rc == SQLITE_DONE ? NV_OK : store_sql_error(s, rc, err, "listing tasks");
out:
	sqlite3_finalize(st);
	buf_release(&sql);
	where_release(&w);
	return rc;
}

/* Loads task seq into *t and its snippet for fts into *snippet (new). */
static int load_hit(struct store *s, int64_t seq, const char *fts, struct task *t, char **snippet,
		    struct nv_err *err)
{
	sqlite3_stmt *st;
	int rc;

	*snippet = NULL;
	task_init(t);
	if (!(st = store_stmt(s, ST_TASK_BY_SEQ, err)))
		return err ? err->code : NV_EIO;
	sqlite3_bind_int64(st, 1, seq);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		row_to_task(st, 0, t);
	stmt_done(st);
	if (rc != SQLITE_ROW)
		return store_sql_error(s, rc, err, "reading a search hit");
	if (!(st = store_stmt(s, ST_SEARCH_SNIPPET, err)))
		return err ? err->code : NV_EIO;
	bind_text(st, 1, fts);
	sqlite3_bind_int64(st, 2, seq);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*snippet = col_text(st, 0);
	stmt_done(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE
		       ? NV_OK
		       : store_sql_error(s, rc, err, "making a snippet");
}

/* Are there soft-deleted tasks at all? (From the partial index of them: cheap.) */
static int any_deleted(struct store *s, int *out, struct nv_err *err)
{
	sqlite3_stmt *st = store_stmt(s, ST_ANY_DELETED, err);
	int rc;

	if (!st)
		return err ? err->code : NV_EIO;
	rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW;
	stmt_done(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE
		       ? NV_OK
		       : store_sql_error(s, rc, err, "looking for deleted tasks");
}

static int list_search(struct store *s, const struct task_filter *f, int64_t limit, int64_t offset,
		       struct task_list *out, struct nv_err *err)
{
	struct where w;
	struct buf sql = BUF_INIT, from = BUF_INIT;
	sqlite3_stmt *st = NULL;
	struct {
		int64_t seq;
		double score;
	} *rows = NULL;
	size_t cap = 0, n = 0;
	char *fts = NULL;
	int rc, i, deleted = 0;

	memset(&w, 0, sizeof(w));
	if ((rc = store_search_query(f->search, &fts, err)))
		goto out;
	if (!fts) /* nothing searchable in the text: nothing matches */
		goto out;
	/*
	 * Deleted tasks are few: leaving them out needs no look at the task
	 * rows (large, with their descriptions), only the partial index of
	 * deleted ones. Other filters join the task rows.
	 */
	if ((rc = where_build(&w, f, "t", 0, " AND ", WHERE_NO_SEARCH, err)))
		goto out;
	if (w.sql.len)
		buf_adds(&from, " JOIN tasks t ON t.seq = task_search.rowid");
	buf_adds(&from, " WHERE task_search MATCH ?");
	if (!f->include_deleted && (rc = any_deleted(s, &deleted, err)))
		goto out;
	if (deleted)
		buf_adds(&from, " AND task_search.rowid NOT IN"
				" (SELECT seq FROM tasks WHERE active = 0)");
	/* every matching row is ranked once, and counted as it is: no second pass */
	buf_addf(&sql,
		 "SELECT task_search.rowid, " SEARCH_RANK " AS score FROM task_search%s%s"
		 " ORDER BY score, task_search.rowid LIMIT ? OFFSET ?",
		 from.data, buf_str(&w.sql));
	if ((rc = store_prepare(s, sql.data, &st, err)))
		goto out;
	sqlite3_bind_pointer(st, 1, &out->total, RANK_COUNTER, NULL);
	bind_text(st, 2, fts);
	i = where_bind(st, &w, 3);
	sqlite3_bind_int64(st, i++, limit);
	sqlite3_bind_int64(st, i++, offset);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		rows = xgrow(rows, &cap, n + 1, sizeof(*rows));
		rows[n].seq = sqlite3_column_int64(st, 0);
		rows[n++].score = sqlite3_column_double(st, 1);
	}
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE) {
		rc = store_sql_error(s, rc, err, "searching tasks");
		goto out;
	}
	rc = NV_OK;
	out->items = xcalloc(n ? n : 1, sizeof(*out->items));
	out->hits = xcalloc(n ? n : 1, sizeof(*out->hits));
	for (size_t k = 0; k < n; k++) {
		if ((rc = load_hit(s, rows[k].seq, fts, &out->items[k], &out->hits[k].snippet,
				   err)))
			goto out;
		out->hits[k].score = -rows[k].score; /* bm25 is lower for better matches */
		out->n++;
	}
out:
	sqlite3_finalize(st);
	buf_release(&sql);
	buf_release(&from);
	where_release(&w);
	free(fts);
	free(rows);
	return rc;
}

int store_task_list(struct store *s, const struct task_filter *f, struct task_list *out,
		    struct nv_err *err)
{
	int64_t limit = f && f->limit > 0 ? f->limit : LIST_DEFAULT;
	int64_t offset = f && f->offset > 0 ? f->offset : 0;
	int own, rc;

	memset(out, 0, sizeof(*out));
	if (limit > LIST_MAX)
		limit = LIST_MAX;
	/* one snapshot, so that the count matches the rows */
	read_begin(s, &own);
	if (f && !blank(f->search))
		rc = list_search(s, f, limit, offset, out, err);
	else
		rc = list_plain(s, f, limit, offset, out, err);
	read_end(s, own);
	if (rc) {
		task_list_release(out);
		return rc;
	}
	out->has_more = offset + (int64_t)out->n < out->total;
	out->next_offset = out->has_more ? offset + (int64_t)out->n : 0;
	return NV_OK;
}
