/*
 * store_task.c: tasks and their append-only versions: writing a desired
 * state (store_task_put: new task, new version, or nothing), lookups by any
 * id form, history, filtered and paginated lists with full-text search,
 * point-in-time views, diffs between two times, and deletion-scan marks.
 *
 * Invariant kept here: a task row always equals its newest version (same
 * content hash), versions are numbered 1..N without gaps, and a version is
 * written in the same transaction as the task row update. Concurrent
 * writers are serialised by BEGIN IMMEDIATE, and the current version number
 * is read inside that transaction, so numbers stay dense.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/id.h"
#include "util/nv_assert.h"
#include "util/xalloc.h"

/* ---- lookups -------------------------------------------------------------- */

/* Steps a one-row task query; NV_ENOTFOUND (no message) when it has no row. */
static int fetch_task(struct store *s, struct db_stmt *st, struct task *out, struct nv_err *err)
{
	int rc = db_step(st);

	if (rc == DB_ROW) {
		row_to_task(st, 0, out);
		rc = NV_OK;
	} else if (rc == DB_DONE) {
		rc = NV_ENOTFOUND;
	} else {
		rc = store_sql_error(s, rc, err, "reading a task");
	}
	stmt_done(st);
	return rc;
}

static int task_by(struct store *s, enum stmt_id which, const char *a, const char *b,
		   struct task *out, struct nv_err *err)
{
	struct db_stmt *st = store_stmt(s, which, err);

	if (!st)
		return err ? err->code : NV_EIO;
	bind_text(st, 1, a);
	if (b)
		bind_text(st, 2, b);
	return fetch_task(s, st, out, err);
}

/*
 * Finds a task by an id a user typed: the task's own id as given, the same
 * id normalised (uppercase, no dashes), or a Notion page id in any form.
 */
static int find_task(struct store *s, const char *id, struct task *out, struct nv_err *err)
{
	char norm[ID_DASHED_LEN + 1];
	int rc;

	task_init(out);
	if (!id || !*id)
		return nv_err_set(err, NV_EINVAL, "no task id given");
	rc = task_by(s, ST_TASK_BY_ID, id, NULL, out, err);
	if (rc != NV_ENOTFOUND)
		return rc;
	if (!id_normalize(id, norm)) {
		if (strcmp(norm, id)) {
			rc = task_by(s, ST_TASK_BY_ID, norm, NULL, out, err);
			if (rc != NV_ENOTFOUND)
				return rc;
		}
		rc = task_by(s, ST_TASK_BY_PAGE, norm, NULL, out, err);
		if (rc != NV_ENOTFOUND)
			return rc;
	}
	return nv_err_set(err, NV_ENOTFOUND, "no task with id or Notion page id '%s'", id);
}

int store_task_get(struct store *s, const char *id, struct task *out, struct nv_err *err)
{
	return find_task(s, id, out, err);
}

/* Dashed lowercase form of a Notion id, or the text as given when it is none. */
static const char *norm_id(const char *in, char buf[ID_DASHED_LEN + 1])
{
	if (in && !id_normalize(in, buf))
		return buf;
	return in;
}

int store_task_get_by_page(struct store *s, const char *data_source_id, const char *page_id,
			   struct task *out, struct nv_err *err)
{
	char ds[ID_DASHED_LEN + 1], pg[ID_DASHED_LEN + 1];
	int rc;

	task_init(out);
	rc = task_by(s, ST_TASK_BY_SOURCE_PAGE, norm_id(data_source_id, ds), norm_id(page_id, pg),
		     out, err);
	if (rc == NV_ENOTFOUND)
		return nv_err_set(err, NV_ENOTFOUND, "no task for Notion page %s in data source %s",
				  page_id ? page_id : "?", data_source_id ? data_source_id : "?");
	return rc;
}

/* ---- writing -------------------------------------------------------------- */

static int step_write(struct store *s, struct db_stmt *st, struct nv_err *err, const char *what)
{
	int rc = db_step(st);

	stmt_done(st);
	if (rc != DB_DONE)
		return store_sql_error(s, rc, err, what);
	return NV_OK;
}

/* Appends version v (fully filled) to task_versions. */
static int insert_version(struct store *s, const struct task_version *v, const char *tags_text,
			  const char *metadata_text, struct nv_err *err)
{
	struct db_stmt *st = store_stmt(s, ST_VERSION_INSERT, err);
	int i = 1, shared, rc;

	if (!st)
		return err ? err->code : NV_EIO;
	/* a version is numbered, named and hashed before it is written */
	NV_ASSERT(v->num >= 1 && v->id && v->snap.id);
	NV_ASSERT(strlen(v->content_hash) == HASH_HEX_LEN && strlen(v->chain_hash) == HASH_HEX_LEN);
	bind_text(st, i++, v->id);
	bind_text(st, i++, v->snap.id);
	db_bind_int64(st, i++, v->num);
	shared = i;
	i = bind_shared(st, i, &v->snap, tags_text, metadata_text);
	/* the version keeps references to shared contents where that is smaller */
	if ((rc = content_bind_packed(s, st, shared + SHARED_DESCRIPTION, shared + SHARED_METADATA,
				      &v->snap, err))) {
		stmt_done(st);
		return rc;
	}
	bind_text(st, i++, v->created_at);
	bind_text(st, i++, v->created_by);
	bind_text(st, i++, v->change_reason);
	db_bind_int(st, i++, v->conflict ? 1 : 0);
	bind_text(st, i++, v->content_hash);
	bind_text(st, i++, v->chain_hash);
	return step_write(s, st, err, "writing a task version");
}

void store_task_normalise(struct task *t)
{
	char buf[ID_DASHED_LEN + 1], now[32];
	char **ids[] = {&t->notion_database_id, &t->notion_data_source_id, &t->notion_page_id};

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		if (*ids[i] && !id_normalize(*ids[i], buf) && strcmp(buf, *ids[i])) {
			free(*ids[i]);
			*ids[i] = xstrdup(buf);
		}
	if (!t->source)
		t->source = xstrdup(t->notion_page_id ? "notion" : "local");
	t->active = t->active ? 1 : 0;
	if (t->active) {
		free(t->deleted_at);
		t->deleted_at = NULL;
	} else if (!t->deleted_at) {
		store_now(now);
		t->deleted_at = xstrdup(now);
	}
}

/* Replaces *field with a copy of value. */
static void set_str(char **field, const char *value)
{
	char *copy = xstrdup(value);

	free(*field);
	*field = copy;
}

void store_head_release(struct store_head *h)
{
	if (!h)
		return;
	free(h->id);
	free(h->page_id);
	free(h->created_at);
	free(h->updated_at);
	free(h->notion_last_edited_time);
	free(h->deleted_at);
	free(h->current_version_id);
	memset(h, 0, sizeof(*h));
}

void store_heads_free(struct store_head *h, size_t n)
{
	if (!h)
		return;
	for (size_t i = 0; i < n; i++)
		store_head_release(&h[i]);
	free(h);
}

static void copy_hash(char out[HASH_HEX_LEN + 1], struct db_stmt *st, int col)
{
	const char *text = (const char *)db_column_text(st, col);

	snprintf(out, HASH_HEX_LEN + 1, "%s", text ? text : "");
}

/* Fills h (zeroed by the caller) from a TASK_HEAD_COLS row. */
static void row_to_head(struct db_stmt *st, struct store_head *h)
{
	h->id = col_text(st, 0);
	h->version = db_column_int64(st, 1);
	h->created_at = col_text(st, 2);
	h->notion_last_edited_time = col_text(st, 3);
	h->deleted_at = col_text(st, 4);
	copy_hash(h->content_hash, st, 5);
	copy_hash(h->chain_hash, st, 6);
	h->current_version_id = col_text(st, 7);
	h->updated_at = col_text(st, 8);
	h->active = db_column_int(st, 9);
}

/*
 * Reads the head of the task t refers to (by id, else by Notion identity)
 * without loading its content. NV_ENOTFOUND (no message) when none exists.
 * The author fields are left empty: a write does not need them.
 */
static int task_head_find(struct store *s, const struct task *t, struct store_head *h,
			  struct nv_err *err)
{
	struct db_stmt *st;
	int rc = DB_DONE;

	memset(h, 0, sizeof(*h));
	for (int pass = 0; pass < 2 && rc == DB_DONE; pass++) {
		if (pass == 0 && t->id) {
			if (!(st = store_stmt(s, ST_TASK_HEAD_BY_ID, err)))
				return err ? err->code : NV_EIO;
			bind_text(st, 1, t->id);
		} else if (pass == 1 && t->notion_data_source_id && t->notion_page_id) {
			if (!(st = store_stmt(s, ST_TASK_HEAD_BY_SOURCE_PAGE, err)))
				return err ? err->code : NV_EIO;
			bind_text(st, 1, t->notion_data_source_id);
			bind_text(st, 2, t->notion_page_id);
		} else {
			continue;
		}
		rc = db_step(st);
		if (rc == DB_ROW)
			row_to_head(st, h);
		stmt_done(st);
	}
	if (rc == DB_ROW)
		return NV_OK;
	if (rc == DB_DONE)
		return NV_ENOTFOUND;
	return store_sql_error(s, rc, err, "reading a task");
}

/* Reads the heads of at most STORE_HEADS_BATCH pages into out[0..n). */
static int heads_batch(struct store *s, const char *ds, const char *author, struct store_head *out,
		       size_t n, struct nv_err *err)
{
	struct db_stmt *st = store_stmt(s, ST_HEADS_BY_PAGES, err);
	int rc;

	if (!st)
		return err ? err->code : NV_EIO;
	bind_text(st, 1, ds);
	bind_text(st, 2, author);
	/* unused placeholders stay NULL, which IN never matches */
	for (size_t i = 0; i < n; i++)
		bind_text(st, 3 + (int)i, out[i].page_id);
	while ((rc = db_step(st)) == DB_ROW) {
		const char *page = (const char *)db_column_text(st, 10);

		for (size_t i = 0; page && i < n; i++) {
			struct store_head *h = &out[i];
			if (h->id || !h->page_id || strcmp(h->page_id, page))
				continue;
			row_to_head(st, h);
			h->author_version = db_column_int64(st, 11);
			copy_hash(h->author_hash, st, 12);
		}
	}
	stmt_done(st);
	if (rc != DB_DONE)
		return store_sql_error(s, rc, err, "reading task heads");
	return NV_OK;
}

int store_heads_by_pages(struct store *s, const char *data_source_id, const char *author,
			 const char *const *page_ids, size_t n, struct store_head **out,
			 struct nv_err *err)
{
	char ds[ID_DASHED_LEN + 1];
	struct store_head *h = xcalloc(n ? n : 1, sizeof(*h));
	int rc = NV_OK, own;

	for (size_t i = 0; i < n; i++) {
		char pg[ID_DASHED_LEN + 1];
		h[i].page_id = xstrdup(norm_id(page_ids[i], pg));
	}
	read_begin(s, &own);
	for (size_t i = 0; i < n && !rc; i += STORE_HEADS_BATCH)
		rc = heads_batch(s, norm_id(data_source_id, ds), author, h + i,
				 n - i < STORE_HEADS_BATCH ? n - i : STORE_HEADS_BATCH, err);
	read_end(s, own);
	if (rc) {
		store_heads_free(h, n);
		h = NULL;
	}
	*out = h;
	return rc;
}

/* Records Notion's edit time on the task of head inside the caller's transaction. */
static int touch_locked(struct store *s, const struct store_head *head, const char *let,
			struct nv_err *err)
{
	struct db_stmt *st = store_stmt(s, ST_TASK_TOUCH_EDITED, err);

	if (!st)
		return err ? err->code : NV_EIO;
	bind_text(st, 1, let);
	bind_text(st, 2, head->id);
	bind_text(st, 3, let);
	return step_write(s, st, err, "updating a task");
}

/*
 * An unchanged write: only Notion's edit time may move. Afterwards t holds
 * what is stored (its content equals the stored one by hash; the fields
 * outside the hash and the bookkeeping are taken from the row).
 */
static int put_unchanged(struct store *s, struct task *t, const struct store_head *h,
			 struct nv_err *err)
{
	int rc;

	if (t->notion_last_edited_time) {
		if (!h->notion_last_edited_time ||
		    strcmp(t->notion_last_edited_time, h->notion_last_edited_time))
			if ((rc = touch_locked(s, h, t->notion_last_edited_time, err)))
				return rc;
	} else {
		set_str(&t->notion_last_edited_time, h->notion_last_edited_time);
	}
	set_str(&t->deleted_at, h->deleted_at);
	set_str(&t->id, h->id);
	set_str(&t->current_version_id, h->current_version_id);
	set_str(&t->created_at, h->created_at);
	set_str(&t->updated_at, h->updated_at);
	t->version = h->version;
	return NV_OK;
}

/* The row number (tasks.seq, the search index's rowid) of task id. */
static int task_seq(struct store *s, const char *id, int64_t *seq, struct nv_err *err)
{
	struct db_stmt *st = store_stmt(s, ST_TASK_SEQ, err);
	int rc;

	if (!st)
		return err ? err->code : NV_EIO;
	bind_text(st, 1, id);
	rc = db_step(st);
	if (rc == DB_ROW)
		*seq = db_column_int64(st, 0);
	stmt_done(st);
	if (rc == DB_ROW)
		return NV_OK;
	if (rc == DB_DONE)
		return nv_err_set(err, NV_ESCHEMA, "task %s vanished while being written", id);
	return store_sql_error(s, rc, err, "reading a task");
}

int store_task_touch(struct store *s, const struct store_head *head,
		     const char *notion_last_edited_time, struct nv_err *err)
{
	int own, rc;

	if (!notion_last_edited_time ||
	    (head->notion_last_edited_time &&
	     !strcmp(notion_last_edited_time, head->notion_last_edited_time)))
		return NV_OK;
	if ((rc = tx_enter(s, &own, err)))
		return rc;
	rc = touch_locked(s, head, notion_last_edited_time, err);
	return tx_leave(s, own, rc, err);
}

/*
 * Writes the next version of t (normalised; hash = its content hash) inside
 * the caller's transaction: version 1 of a new task when head is NULL, else
 * head->version + 1. The task row is written first, guarded by the head (no
 * task of that page yet / still at head->version), so that when the head
 * moved nothing at all is written and *moved is set.
 */
static int write_version(struct store *s, const struct store_head *head, struct task *t,
			 const char *hash, const struct version_info *vi, int *moved,
			 struct nv_err *err)
{
	struct task_version v;
	char now[32], vid[ID_DASHED_LEN + 1];
	char *tags_text = NULL, *metadata_text = NULL;
	struct db_stmt *st;
	int64_t seq = 0;
	int rc, i = 1;

	*moved = 0;
	store_now(now);
	task_version_init(&v);
	snprintf(v.content_hash, sizeof(v.content_hash), "%s", hash);
	if (head) {
		set_str(&t->id, head->id);
		v.num = head->version + 1;
		/* deleted_at is when the task became deleted: a deleted task keeps it */
		if (!t->active && !head->active && head->deleted_at)
			set_str(&t->deleted_at, head->deleted_at);
	} else {
		if (!t->id) {
			char tid[ID_DASHED_LEN + 1];
			id_new_uuid7(tid);
			t->id = xstrdup(tid);
		}
		v.num = 1;
	}
	NV_ASSERT(t->active ? !t->deleted_at : t->deleted_at != NULL);

	id_new_uuid7(vid);
	set_str(&t->current_version_id, vid);
	t->version = v.num;
	set_str(&t->updated_at, now);
	set_str(&t->created_at, head ? head->created_at : now);
	/* the version's snapshot is t itself, borrowed until the end of this call */
	task_release(&v.snap);
	v.snap = *t;
	v.id = xstrdup(vid);
	v.created_at = xstrdup(now);
	v.created_by = xstrdup(vi && vi->created_by ? vi->created_by : "unknown");
	v.change_reason = xstrdup(vi && vi->change_reason ? vi->change_reason
							  : (head ? "updated" : "created"));
	v.conflict = vi ? vi->conflict : 0;
	task_version_chain_hash(head ? head->chain_hash : "", &v, v.chain_hash);
	/* serialised once, bound to both the task row and its version */
	tags_text = t->tags ? json_canonical(t->tags) : NULL;
	metadata_text = t->metadata ? json_canonical(t->metadata) : NULL;

	if (!head) {
		/* the task row first: the version's foreign key points at it */
		if (!(st = store_stmt(s, ST_TASK_INSERT, err))) {
			rc = err ? err->code : NV_EIO;
			goto out;
		}
		bind_text(st, i++, t->id);
		i = bind_shared(st, i, t, tags_text, metadata_text);
		bind_text(st, i++, t->current_version_id);
		db_bind_int64(st, i++, t->version);
		bind_text(st, i++, t->created_at);
		bind_text(st, i++, t->updated_at);
		if ((rc = step_write(s, st, err, "creating a task")))
			goto out;
		seq = db_last_insert_id(s->db);
	} else {
		if (!(st = store_stmt(s, ST_TASK_UPDATE, err))) {
			rc = err ? err->code : NV_EIO;
			goto out;
		}
		i = bind_shared(st, i, t, tags_text, metadata_text);
		bind_text(st, i++, t->current_version_id);
		db_bind_int64(st, i++, t->version);
		bind_text(st, i++, t->updated_at);
		bind_text(st, i++, t->id);
		db_bind_int64(st, i++, head->version);
		if ((rc = step_write(s, st, err, "updating a task")))
			goto out;
	}
	if (db_changes(s->db) != 1) {
		/* another writer created the page's task or appended a version */
		*moved = 1;
		goto out;
	}
	if ((rc = insert_version(s, &v, tags_text, metadata_text, err)) ||
	    (head && (rc = task_seq(s, t->id, &seq, err))))
		goto out;
	/* the search index, in the same transaction (store_search.c) */
	rc = store_search_put(s, seq, t, err);
out:
	task_init(&v.snap); /* borrowed from t */
	task_version_release(&v);
	free(tags_text);
	free(metadata_text);
	return rc;
}

static int put_locked(struct store *s, struct task *t, const struct version_info *vi,
		      enum put_outcome *outcome, struct nv_err *err)
{
	struct store_head head;
	char hash[HASH_HEX_LEN + 1];
	int rc, exists, moved = 0;

	store_task_normalise(t);
	rc = task_head_find(s, t, &head, err);
	if (rc && rc != NV_ENOTFOUND)
		return rc;
	exists = rc == NV_OK;
	task_content_hash(t, hash);
	if (exists && !strcmp(hash, head.content_hash)) {
		rc = put_unchanged(s, t, &head, err);
		*outcome = PUT_UNCHANGED;
	} else {
		rc = write_version(s, exists ? &head : NULL, t, hash, vi, &moved, err);
		/* the head was read inside this transaction: it cannot have moved */
		NV_ASSERT(rc || !moved);
		*outcome = exists ? PUT_UPDATED : PUT_CREATED;
	}
	store_head_release(&head);
	return rc;
}

int store_task_put(struct store *s, struct task *t, const struct version_info *vi,
		   enum put_outcome *outcome, struct nv_err *err)
{
	enum put_outcome dummy;
	int own, rc;

	if (!outcome)
		outcome = &dummy;
	*outcome = PUT_UNCHANGED;
	if ((rc = tx_enter(s, &own, err)))
		return rc;
	rc = put_locked(s, t, vi, outcome, err);
	return tx_leave(s, own, rc, err);
}

int store_task_append(struct store *s, const struct store_head *head, struct task *t,
		      const char *content_hash, const struct version_info *vi, int *moved,
		      struct nv_err *err)
{
	int own, rc;

	*moved = 0;
	NV_ASSERT(!head || head->id);
	if ((rc = tx_enter(s, &own, err)))
		return rc;
	rc = write_version(s, head, t, content_hash, vi, moved, err);
	return tx_leave(s, own, rc, err);
}

/* ---- versions ------------------------------------------------------------- */

void task_versions_free(struct task_version *v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		task_version_release(&v[i]);
	free(v);
}

/* Steps a one-row version query into out; NV_ENOTFOUND (no message) when empty. */
static int fetch_version(struct store *s, struct db_stmt *st, struct task_version *out,
			 struct nv_err *err)
{
	int rc = db_step(st);

	if (rc == DB_ROW) {
		row_to_version(st, 0, out);
		rc = NV_OK;
	} else if (rc == DB_DONE) {
		rc = NV_ENOTFOUND;
	} else {
		rc = store_sql_error(s, rc, err, "reading a task version");
	}
	stmt_done(st);
	return rc;
}

/* Steps an id-only lookup: the id (new string), or NULL when there is no row. */
static int id_by(struct store *s, enum stmt_id which, const char *key, char **out,
		 struct nv_err *err)
{
	struct db_stmt *st = store_stmt(s, which, err);
	int rc;

	*out = NULL;
	if (!st)
		return err ? err->code : NV_EIO;
	bind_text(st, 1, key);
	rc = db_step(st);
	if (rc == DB_ROW)
		*out = col_text(st, 0);
	stmt_done(st);
	if (rc != DB_ROW && rc != DB_DONE)
		return store_sql_error(s, rc, err, "looking a task up");
	return NV_OK;
}

/*
 * Resolves any id form to the task's own id (new string in *task_id), as
 * find_task() does, without reading the task's content.
 */
static int resolve_task_id(struct store *s, const char *id, char **task_id, struct nv_err *err)
{
	char norm[ID_DASHED_LEN + 1];
	int rc;

	*task_id = NULL;
	if (!id || !*id)
		return nv_err_set(err, NV_EINVAL, "no task id given");
	if ((rc = id_by(s, ST_TASK_ID_BY_ID, id, task_id, err)) || *task_id)
		return rc;
	if (!id_normalize(id, norm)) {
		if (strcmp(norm, id) &&
		    ((rc = id_by(s, ST_TASK_ID_BY_ID, norm, task_id, err)) || *task_id))
			return rc;
		if ((rc = id_by(s, ST_TASK_ID_BY_PAGE, norm, task_id, err)) || *task_id)
			return rc;
	}
	return nv_err_set(err, NV_ENOTFOUND, "no task with id or Notion page id '%s'", id);
}

int store_task_history(struct store *s, const char *id, struct task_version **out, size_t *n,
		       struct nv_err *err)
{
	struct db_stmt *st;
	char *task_id;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = resolve_task_id(s, id, &task_id, err)))
		return rc;
	if (!(st = store_stmt(s, ST_VERSION_HISTORY, err))) {
		free(task_id);
		return err ? err->code : NV_EIO;
	}
	bind_text(st, 1, task_id);
	while ((rc = db_step(st)) == DB_ROW) {
		*out = xgrow(*out, &cap, *n + 1, sizeof(**out));
		row_to_version(st, 0, &(*out)[(*n)++]);
	}
	stmt_done(st);
	free(task_id);
	if (rc != DB_DONE) {
		task_versions_free(*out, *n);
		*out = NULL;
		*n = 0;
		return store_sql_error(s, rc, err, "reading task history");
	}
	return NV_OK;
}

int store_task_version(struct store *s, const char *id, int64_t num, struct task_version *out,
		       struct nv_err *err)
{
	struct db_stmt *st;
	char *task_id;
	int rc;

	task_version_init(out);
	if ((rc = resolve_task_id(s, id, &task_id, err)))
		return rc;
	if (!(st = store_stmt(s, ST_VERSION_BY_NUM, err))) {
		free(task_id);
		return err ? err->code : NV_EIO;
	}
	bind_text(st, 1, task_id);
	db_bind_int64(st, 2, num);
	rc = fetch_version(s, st, out, err);
	if (rc == NV_ENOTFOUND)
		nv_err_set(err, NV_ENOTFOUND, "task %s has no version %lld", task_id,
			   (long long)num);
	free(task_id);
	return rc;
}

int store_task_last_version_by(struct store *s, const char *task_id, const char *created_by_prefix,
			       struct task_version *out, struct nv_err *err)
{
	struct db_stmt *st;
	int rc;

	task_version_init(out);
	if (!(st = store_stmt(s, ST_VERSION_LAST_BY, err)))
		return err ? err->code : NV_EIO;
	bind_text(st, 1, task_id);
	bind_text(st, 2, created_by_prefix ? created_by_prefix : "");
	rc = fetch_version(s, st, out, err);
	if (rc == NV_ENOTFOUND)
		nv_err_set(err, NV_ENOTFOUND, "task %s has no version written by %s*", task_id,
			   created_by_prefix ? created_by_prefix : "");
	return rc;
}

/* Steps st (VERSION_COLS rows) calling cb for each; returns cb's nonzero or a status. */
static int stream_versions(struct store *s, struct db_stmt *st, store_version_cb cb, void *ud,
			   struct nv_err *err)
{
	struct task_version v;
	int rc;

	while ((rc = db_step(st)) == DB_ROW) {
		int stop;
		row_to_version(st, 0, &v);
		stop = cb(ud, &v);
		task_version_release(&v);
		if (stop)
			return stop;
	}
	if (rc != DB_DONE)
		return store_sql_error(s, rc, err, "reading task versions");
	return NV_OK;
}

int store_task_as_of(struct store *s, const char *at, const struct task_filter *f,
		     store_version_cb cb, void *ud, struct nv_err *err)
{
	struct where w;
	struct buf sql = BUF_INIT;
	struct db_stmt *st = NULL;
	char when[32];
	int rc, own = 0;

	if ((rc = store_norm_time(at, when, "as-of time", err)))
		return rc;
	/* filters apply to each task as it was at that time */
	if ((rc = where_build(&w, f, "v", 1, " WHERE ", 0, err)))
		goto out;
	buf_addf(&sql,
		 "SELECT " VERSION_COLS " FROM task_versions v JOIN"
		 " (SELECT task_id, max(version) AS num FROM task_versions"
		 "  WHERE created_at <= ? GROUP BY task_id) last"
		 " ON v.task_id = last.task_id AND v.version = last.num%s",
		 buf_str(&w.sql));
	read_begin(s, &own);
	if ((rc = store_prepare(s, sql.data, &st, err)))
		goto out;
	bind_text(st, 1, when);
	where_bind(st, &w, 2);
	rc = stream_versions(s, st, cb, ud, err);
out:
	db_finalize(st);
	read_end(s, own);
	buf_release(&sql);
	where_release(&w);
	return rc;
}

int store_task_each_current(struct store *s, const struct task_filter *f, store_version_cb cb,
			    void *ud, struct nv_err *err)
{
	struct where w;
	struct buf sql = BUF_INIT;
	struct db_stmt *st = NULL;
	int rc, own = 0;

	if ((rc = where_build(&w, f, "t", 1, " WHERE ", 0, err)))
		goto out;
	buf_addf(&sql,
		 "SELECT " VERSION_COLS " FROM tasks t JOIN task_versions v"
		 " ON v.task_id = t.id AND v.version = t.version%s ORDER BY t.seq",
		 buf_str(&w.sql));
	read_begin(s, &own);
	if ((rc = store_prepare(s, sql.data, &st, err)))
		goto out;
	where_bind(st, &w, 1);
	rc = stream_versions(s, st, cb, ud, err);
out:
	db_finalize(st);
	read_end(s, own);
	buf_release(&sql);
	where_release(&w);
	return rc;
}

/* ---- diff ----------------------------------------------------------------- */

static const char *const diff_kind_names[] = {
	[DIFF_CREATED] = "created",
	[DIFF_CHANGED] = "changed",
	[DIFF_DELETED] = "deleted",
	[DIFF_RESTORED] = "restored",
};

const char *diff_kind_name(enum diff_kind k)
{
	if ((unsigned)k >= sizeof(diff_kind_names) / sizeof(diff_kind_names[0]))
		return "?";
	return diff_kind_names[k];
}

/* Loads version num of task_id into out (by the task's own id). */
static int load_version(struct store *s, const char *task_id, int64_t num, struct task_version *out,
			struct nv_err *err)
{
	struct db_stmt *st = store_stmt(s, ST_VERSION_BY_NUM, err);
	int rc;

	task_version_init(out);
	if (!st)
		return err ? err->code : NV_EIO;
	bind_text(st, 1, task_id);
	db_bind_int64(st, 2, num);
	rc = fetch_version(s, st, out, err);
	if (rc == NV_ENOTFOUND)
		rc = nv_err_set(err, NV_ESCHEMA,
				"task %s is missing version %lld (run nvault verify)", task_id,
				(long long)num);
	return rc;
}

static int diff_in_snapshot(struct store *s, const char *since, const char *until,
			    const struct task_filter *f, store_diff_cb cb, void *ud,
			    struct nv_err *err)
{
	struct where w;
	struct buf sql = BUF_INIT;
	struct db_stmt *st = NULL;
	int rc;

	/* filters (include_deleted aside) select tasks by their current row */
	if ((rc = where_build(&w, f, "t", 0, " AND ", 0, err)))
		goto out;
	buf_addf(&sql,
		 "SELECT v.task_id, count(*), min(v.version), max(v.version)"
		 " FROM task_versions v JOIN tasks t ON t.id = v.task_id"
		 " WHERE v.created_at > ? AND v.created_at <= ?%s"
		 " GROUP BY v.task_id ORDER BY min(v.created_at), v.task_id",
		 buf_str(&w.sql));
	if ((rc = store_prepare(s, sql.data, &st, err)))
		goto out;
	bind_text(st, 1, since);
	bind_text(st, 2, until);
	where_bind(st, &w, 3);
	while ((rc = db_step(st)) == DB_ROW) {
		struct task_version before, after;
		struct diff_entry e;
		const char *task_id = (const char *)db_column_text(st, 0);
		int64_t first = db_column_int64(st, 2), last = db_column_int64(st, 3);
		int has_before = first > 1, stop;

		task_version_init(&before);
		memset(&e, 0, sizeof(e));
		e.versions_in_range = db_column_int64(st, 1);
		if ((has_before && (rc = load_version(s, task_id, first - 1, &before, err))) ||
		    (rc = load_version(s, task_id, last, &after, err))) {
			task_version_release(&before);
			goto out;
		}
		e.before = has_before ? &before : NULL;
		e.after = &after;
		if (!has_before)
			e.kind = DIFF_CREATED;
		else if (before.snap.active && !after.snap.active)
			e.kind = DIFF_DELETED;
		else if (!before.snap.active && after.snap.active)
			e.kind = DIFF_RESTORED;
		else
			e.kind = DIFF_CHANGED;
		stop = cb(ud, &e);
		task_version_release(&before);
		task_version_release(&after);
		if (stop) {
			rc = stop;
			goto out;
		}
	}
	rc = rc == DB_DONE ? NV_OK : store_sql_error(s, rc, err, "computing a diff");
out:
	db_finalize(st);
	buf_release(&sql);
	where_release(&w);
	return rc;
}

int store_diff(struct store *s, const char *since, const char *until, const struct task_filter *f,
	       store_diff_cb cb, void *ud, struct nv_err *err)
{
	char from[32], to[32];
	int rc, own;

	if ((rc = store_norm_time(since, from, "--since time", err)))
		return rc;
	if (until) {
		if ((rc = store_norm_time(until, to, "--until time", err)))
			return rc;
	} else {
		store_now(to);
	}
	if (strcmp(from, to) > 0)
		return nv_err_set(err, NV_EINVAL,
				  "the --since time %s is after the --until time %s", from, to);
	read_begin(s, &own);
	rc = diff_in_snapshot(s, from, to, f, cb, ud, err);
	read_end(s, own);
	return rc;
}

/* ---- counts and deletion scans ------------------------------------------- */

int store_count_tasks(struct store *s, const char *database_id, const char *data_source_id,
		      int64_t *active, int64_t *deleted, struct nv_err *err)
{
	struct task_filter f;
	struct where w;
	struct buf sql = BUF_INIT;
	struct db_stmt *st = NULL;
	int rc;

	memset(&f, 0, sizeof(f));
	f.database_id = database_id;
	f.data_source_id = data_source_id;
	if ((rc = where_build(&w, &f, "t", 0, " WHERE ", 0, err)))
		goto out;
	buf_addf(&sql,
		 "SELECT coalesce(sum(t.active), 0), coalesce(sum(1 - t.active), 0)"
		 " FROM tasks t%s",
		 buf_str(&w.sql));
	if ((rc = store_prepare(s, sql.data, &st, err)))
		goto out;
	where_bind(st, &w, 1);
	if ((rc = db_step(st)) != DB_ROW) {
		rc = store_sql_error(s, rc, err, "counting tasks");
		goto out;
	}
	if (active)
		*active = db_column_int64(st, 0);
	if (deleted)
		*deleted = db_column_int64(st, 1);
	rc = NV_OK;
out:
	db_finalize(st);
	buf_release(&sql);
	where_release(&w);
	return rc;
}

/*
 * Drops the marks of the data source's earlier scans the first time this
 * connection marks scan `epoch`, so the table holds at most one scan per
 * data source (two while a scan that started elsewhere is being replaced).
 */
static int forget_older_scans(struct store *s, const char *ds, int64_t epoch, struct nv_err *err)
{
	struct db_stmt *st;
	int rc;

	if (s->scan_forgot_epoch == epoch && !strcmp(s->scan_forgot_ds, ds))
		return NV_OK;
	if (!(st = store_stmt(s, ST_SCAN_FORGET, err)))
		return err ? err->code : NV_EIO;
	db_bind_int64(st, 1, epoch);
	bind_text(st, 2, ds);
	if ((rc = step_write(s, st, err, "dropping the marks of an earlier deletion scan")))
		return rc;
	/* forgotten again if the transaction rolls back (store_tx_failed()) */
	snprintf(s->scan_forgot_ds, sizeof(s->scan_forgot_ds), "%s", ds);
	s->scan_forgot_epoch = epoch;
	return NV_OK;
}

static int mark_locked(struct store *s, const char *ds, int64_t epoch, const char *const *page_ids,
		       size_t n, struct nv_err *err)
{
	char pg[ID_DASHED_LEN + 1];
	int rc;

	if ((rc = forget_older_scans(s, ds, epoch, err)))
		return rc;
	for (size_t i = 0; i < n; i++) {
		struct db_stmt *st = store_stmt(s, ST_SCAN_MARK, err);
		if (!st)
			return err ? err->code : NV_EIO;
		db_bind_int64(st, 1, epoch);
		bind_text(st, 2, ds);
		bind_text(st, 3, norm_id(page_ids[i], pg));
		if ((rc = step_write(s, st, err, "recording a deletion scan")))
			return rc;
	}
	return NV_OK;
}

/*
 * The marks are rows appended to scan_seen (epoch, task rowid): a scan of
 * 100,000 pages writes about 1.5 MB at the end of one narrow table, where
 * rewriting a column of every task row wrote the whole task table.
 */
int store_scan_mark_seen(struct store *s, const char *data_source_id, int64_t epoch,
			 const char *const *page_ids, size_t n, struct nv_err *err)
{
	char ds[ID_DASHED_LEN + 1];
	const char *dsn = norm_id(data_source_id, ds);
	int own, rc;

	if (!dsn)
		return nv_err_set(err, NV_EINVAL, "no data source given for a deletion scan");
	if ((rc = tx_enter(s, &own, err)))
		return rc;
	rc = mark_locked(s, dsn, epoch, page_ids, n, err);
	return tx_leave(s, own, rc, err);
}

int store_scan_unseen(struct store *s, const char *data_source_id, int64_t epoch, store_task_cb cb,
		      void *ud, int64_t *count, struct nv_err *err)
{
	char ds[ID_DASHED_LEN + 1];
	struct task *items = NULL;
	size_t n = 0, cap = 0;
	struct db_stmt *st = NULL;
	int rc;

	if (count)
		*count = 0;
	rc = store_prepare(s,
			   "SELECT " TASK_COLS " FROM tasks t WHERE t.notion_data_source_id = ?"
			   " AND t.active = 1 AND t.seq NOT IN"
			   " (SELECT task_seq FROM scan_seen WHERE epoch = ?) ORDER BY t.seq",
			   &st, err);
	if (rc)
		return rc;
	bind_text(st, 1, norm_id(data_source_id, ds));
	db_bind_int64(st, 2, epoch);
	/*
	 * Collected first: the callback soft-deletes, which updates the very
	 * rows this query walks. The candidates are bounded by the mass-delete
	 * guard of the caller, not by the database size.
	 */
	while ((rc = db_step(st)) == DB_ROW) {
		items = xgrow(items, &cap, n + 1, sizeof(*items));
		row_to_task(st, 0, &items[n++]);
	}
	db_finalize(st);
	if (rc != DB_DONE) {
		rc = store_sql_error(s, rc, err, "finding unseen tasks");
		goto out;
	}
	rc = NV_OK;
	if (count)
		*count = (int64_t)n;
	for (size_t i = 0; cb && i < n; i++)
		if ((rc = cb(ud, &items[i])))
			break;
out:
	for (size_t i = 0; i < n; i++)
		task_release(&items[i]);
	free(items);
	return rc;
}
