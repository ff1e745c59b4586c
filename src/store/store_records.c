/*
 * store_records.c: the store's other records: append-only evidence of sync
 * runs, the mutable per-data-source sync state, conflicts, and the single
 * scheduler-state row that lets `nvault status` see what a daemon in
 * another process is doing.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/id.h"
#include "util/xalloc.h"

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* ---- evidence -------------------------------------------------------------- */

void evidence_init(struct evidence *e)
{
	memset(e, 0, sizeof(*e));
}

void evidence_release(struct evidence *e)
{
	if (!e)
		return;
	free(e->id);
	free(e->type);
	free(e->source);
	free(e->source_id);
	free(e->scope);
	free(e->trigger);
	free(e->started_at);
	free(e->finished_at);
	free(e->status);
	json_decref(e->metadata);
	evidence_init(e);
}

void evidence_free_array(struct evidence *e, size_t n)
{
	if (!e)
		return;
	for (size_t i = 0; i < n; i++)
		evidence_release(&e[i]);
	free(e);
}

json_t *evidence_to_json(const struct evidence *e)
{
	return json_pack("{s:o s:o s:o s:o s:o s:o s:o s:o s:o s:o}", "id", str_or_null(e->id),
			 "type", str_or_null(e->type), "source", str_or_null(e->source), "sourceId",
			 str_or_null(e->source_id), "scopeId", str_or_null(e->scope), "trigger",
			 str_or_null(e->trigger), "startedAt", str_or_null(e->started_at),
			 "finishedAt", str_or_null(e->finished_at), "status",
			 str_or_null(e->status), "metadata",
			 e->metadata ? json_deep_copy(e->metadata) : json_object());
}

int store_evidence_add(struct store *s, struct evidence *e, struct nv_err *err)
{
	char norm[ID_DASHED_LEN + 1];
	struct db_stmt *st;
	int own, rc, i = 1;

	if (!e->status)
		return nv_err_set(err, NV_EINVAL, "evidence record without a status");
	if (!e->id) {
		char id[ID_DASHED_LEN + 1];
		id_new_uuid7(id);
		e->id = xstrdup(id);
	}
	if ((rc = tx_enter(s, &own, err)))
		return rc;
	if (!(st = store_stmt(s, ST_EVIDENCE_INSERT, err))) {
		rc = err ? err->code : NV_EIO;
		goto out;
	}
	bind_text(st, i++, e->id);
	bind_text(st, i++, e->type ? e->type : "import");
	bind_text(st, i++, e->source ? e->source : "notion");
	bind_text(st, i++, e->source_id && !id_normalize(e->source_id, norm) ? norm : e->source_id);
	bind_text(st, i++, e->scope);
	bind_text(st, i++, e->trigger);
	bind_text(st, i++, e->started_at);
	bind_text(st, i++, e->finished_at);
	bind_text(st, i++, e->status);
	bind_json(st, i++, e->metadata);
	rc = db_step(st);
	stmt_done(st);
	rc = rc == DB_DONE ? NV_OK : store_sql_error(s, rc, err, "writing evidence");
out:
	return tx_leave(s, own, rc, err);
}

int store_evidence_list(struct store *s, const char *source_id, int64_t limit,
			struct evidence **out, size_t *n, struct nv_err *err)
{
	char norm[ID_DASHED_LEN + 1];
	struct db_stmt *st = NULL;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (limit <= 0)
		limit = 20;
	rc = store_prepare(s,
			   "SELECT id, type, source, source_id, scope, trigger, started_at,"
			   " finished_at, status, metadata FROM evidence"
			   " WHERE ?1 IS NULL OR source_id = ?1 ORDER BY seq DESC LIMIT ?2",
			   &st, err);
	if (rc)
		return rc;
	bind_text(st, 1, source_id && !id_normalize(source_id, norm) ? norm : source_id);
	db_bind_int64(st, 2, limit);
	while ((rc = db_step(st)) == DB_ROW) {
		struct evidence *e;
		int c = 0;

		*out = xgrow(*out, &cap, *n + 1, sizeof(**out));
		e = &(*out)[(*n)++];
		evidence_init(e);
		e->id = col_text(st, c++);
		e->type = col_text(st, c++);
		e->source = col_text(st, c++);
		e->source_id = col_text(st, c++);
		e->scope = col_text(st, c++);
		e->trigger = col_text(st, c++);
		e->started_at = col_text(st, c++);
		e->finished_at = col_text(st, c++);
		e->status = col_text(st, c++);
		e->metadata = col_json(st, c++);
	}
	db_finalize(st);
	if (rc != DB_DONE) {
		evidence_free_array(*out, *n);
		*out = NULL;
		*n = 0;
		return store_sql_error(s, rc, err, "reading evidence");
	}
	return NV_OK;
}

/* ---- sync state ------------------------------------------------------------ */

void sync_state_init(struct sync_state *st)
{
	memset(st, 0, sizeof(*st));
}

void sync_state_release(struct sync_state *st)
{
	if (!st)
		return;
	free(st->data_source_id);
	free(st->database_id);
	free(st->watermark);
	free(st->last_full_scan_at);
	free(st->resume_after);
	free(st->run_id);
	free(st->run_started_at);
	free(st->run_trigger);
	json_decref(st->extra);
	sync_state_init(st);
}

void sync_states_free(struct sync_state *st, size_t n)
{
	if (!st)
		return;
	for (size_t i = 0; i < n; i++)
		sync_state_release(&st[i]);
	free(st);
}

static void row_to_sync_state(struct db_stmt *q, struct sync_state *st)
{
	int c = 0;

	sync_state_init(st);
	st->data_source_id = col_text(q, c++);
	st->database_id = col_text(q, c++);
	st->watermark = col_text(q, c++);
	st->last_full_scan_at = col_text(q, c++);
	st->scan_epoch = db_column_int64(q, c++);
	st->resume_after = col_text(q, c++);
	st->run_id = col_text(q, c++);
	st->run_started_at = col_text(q, c++);
	st->run_trigger = col_text(q, c++);
	st->extra = col_json(q, c++);
}

int store_sync_state_get(struct store *s, const char *data_source_id, struct sync_state *out,
			 struct nv_err *err)
{
	char norm[ID_DASHED_LEN + 1];
	struct db_stmt *q = store_stmt(s, ST_SYNC_STATE_GET, err);
	int rc;

	sync_state_init(out);
	if (!q)
		return err ? err->code : NV_EIO;
	bind_text(q, 1,
		  data_source_id && !id_normalize(data_source_id, norm) ? norm : data_source_id);
	rc = db_step(q);
	if (rc == DB_ROW) {
		row_to_sync_state(q, out);
		rc = NV_OK;
	} else if (rc == DB_DONE) {
		rc = nv_err_set(err, NV_ENOTFOUND, "data source %s was never synced",
				data_source_id ? data_source_id : "?");
	} else {
		rc = store_sql_error(s, rc, err, "reading sync state");
	}
	stmt_done(q);
	return rc;
}

int store_sync_state_put(struct store *s, const struct sync_state *st, struct nv_err *err)
{
	char ds[ID_DASHED_LEN + 1], db[ID_DASHED_LEN + 1], now[32];
	struct db_stmt *q;
	int own, rc, i = 1;

	if (!st->data_source_id)
		return nv_err_set(err, NV_EINVAL, "sync state without a data source id");
	if ((rc = tx_enter(s, &own, err)))
		return rc;
	if (!(q = store_stmt(s, ST_SYNC_STATE_PUT, err))) {
		rc = err ? err->code : NV_EIO;
		goto out;
	}
	store_now(now);
	bind_text(q, i++, !id_normalize(st->data_source_id, ds) ? ds : st->data_source_id);
	bind_text(q, i++,
		  st->database_id && !id_normalize(st->database_id, db) ? db : st->database_id);
	bind_text(q, i++, st->watermark);
	bind_text(q, i++, st->last_full_scan_at);
	db_bind_int64(q, i++, st->scan_epoch);
	bind_text(q, i++, st->resume_after);
	bind_text(q, i++, st->run_id);
	bind_text(q, i++, st->run_started_at);
	bind_text(q, i++, st->run_trigger);
	bind_json(q, i++, st->extra);
	bind_text(q, i++, now);
	rc = db_step(q);
	stmt_done(q);
	rc = rc == DB_DONE ? NV_OK : store_sql_error(s, rc, err, "writing sync state");
out:
	return tx_leave(s, own, rc, err);
}

int store_sync_state_list(struct store *s, struct sync_state **out, size_t *n, struct nv_err *err)
{
	struct db_stmt *q = store_stmt(s, ST_SYNC_STATE_LIST, err);
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (!q)
		return err ? err->code : NV_EIO;
	while ((rc = db_step(q)) == DB_ROW) {
		*out = xgrow(*out, &cap, *n + 1, sizeof(**out));
		row_to_sync_state(q, &(*out)[(*n)++]);
	}
	stmt_done(q);
	if (rc != DB_DONE) {
		sync_states_free(*out, *n);
		*out = NULL;
		*n = 0;
		return store_sql_error(s, rc, err, "reading sync states");
	}
	return NV_OK;
}

/* ---- conflicts --------------------------------------------------------------- */

int store_conflict_add(struct store *s, const char *task_id, const char *local_version_id,
		       const char *notion_version_id, struct nv_err *err)
{
	char id[ID_DASHED_LEN + 1], now[32];
	struct db_stmt *q;
	int own, rc;

	if ((rc = tx_enter(s, &own, err)))
		return rc;
	if (!(q = store_stmt(s, ST_CONFLICT_INSERT, err))) {
		rc = err ? err->code : NV_EIO;
		goto out;
	}
	id_new_uuid7(id);
	store_now(now);
	bind_text(q, 1, id);
	bind_text(q, 2, task_id);
	bind_text(q, 3, local_version_id);
	bind_text(q, 4, notion_version_id);
	bind_text(q, 5, now);
	rc = db_step(q);
	stmt_done(q);
	rc = rc == DB_DONE ? NV_OK : store_sql_error(s, rc, err, "recording a conflict");
out:
	return tx_leave(s, own, rc, err);
}

int store_conflict_list(struct store *s, const char *task_id, json_t **out, struct nv_err *err)
{
	struct db_stmt *q = NULL;
	int rc;

	*out = NULL;
	rc = store_prepare(s,
			   "SELECT id, task_id, local_version_id, notion_version_id, created_at"
			   " FROM conflicts WHERE ?1 IS NULL OR task_id = ?1 ORDER BY seq",
			   &q, err);
	if (rc)
		return rc;
	bind_text(q, 1, task_id);
	*out = json_array();
	while ((rc = db_step(q)) == DB_ROW) {
		json_t *o = json_pack("{s:s? s:s? s:s? s:s? s:s?}", "id",
				      (const char *)db_column_text(q, 0), "taskId",
				      (const char *)db_column_text(q, 1), "localVersionId",
				      (const char *)db_column_text(q, 2), "notionVersionId",
				      (const char *)db_column_text(q, 3), "createdAt",
				      (const char *)db_column_text(q, 4));
		json_array_append_new(*out, o);
	}
	db_finalize(q);
	if (rc != DB_DONE) {
		json_decref(*out);
		*out = NULL;
		return store_sql_error(s, rc, err, "reading conflicts");
	}
	return NV_OK;
}

/* ---- scheduler state --------------------------------------------------------- */

void sched_state_init(struct sched_state *st)
{
	memset(st, 0, sizeof(*st));
}

void sched_state_release(struct sched_state *st)
{
	if (!st)
		return;
	free(st->schedule);
	free(st->next_run);
	free(st->last_run);
	free(st->last_run_error);
	free(st->updated_at);
	sched_state_init(st);
}

int store_sched_state_get(struct store *s, struct sched_state *out, struct nv_err *err)
{
	struct db_stmt *q = store_stmt(s, ST_SCHED_GET, err);
	int rc, c = 0;

	sched_state_init(out);
	if (!q)
		return err ? err->code : NV_EIO;
	rc = db_step(q);
	if (rc == DB_ROW) {
		out->enabled = db_column_int(q, c++);
		out->running = db_column_int(q, c++);
		out->pid = db_column_int64(q, c++);
		out->schedule = col_text(q, c++);
		out->next_run = col_text(q, c++);
		out->last_run = col_text(q, c++);
		out->last_run_success = db_column_int(q, c++);
		out->last_run_error = col_text(q, c++);
		out->updated_at = col_text(q, c++);
		rc = NV_OK;
	} else if (rc == DB_DONE) {
		rc = NV_OK;
	} else {
		rc = store_sql_error(s, rc, err, "reading scheduler state");
	}
	stmt_done(q);
	return rc;
}

int store_sched_state_put(struct store *s, const struct sched_state *st, struct nv_err *err)
{
	char now[32];
	struct db_stmt *q;
	int own, rc, i = 1;

	if ((rc = tx_enter(s, &own, err)))
		return rc;
	if (!(q = store_stmt(s, ST_SCHED_PUT, err))) {
		rc = err ? err->code : NV_EIO;
		goto out;
	}
	store_now(now);
	db_bind_int(q, i++, st->enabled ? 1 : 0);
	db_bind_int(q, i++, st->running ? 1 : 0);
	db_bind_int64(q, i++, st->pid);
	bind_text(q, i++, st->schedule);
	bind_text(q, i++, st->next_run);
	bind_text(q, i++, st->last_run);
	db_bind_int(q, i++, st->last_run_success ? 1 : 0);
	bind_text(q, i++, st->last_run_error);
	bind_text(q, i++, now);
	rc = db_step(q);
	stmt_done(q);
	rc = rc == DB_DONE ? NV_OK : store_sql_error(s, rc, err, "writing scheduler state");
out:
	return tx_leave(s, own, rc, err);
}
