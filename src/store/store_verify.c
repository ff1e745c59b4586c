/*
 * store_verify.c: `nvault verify`. Checks what the store promises: the
 * SQLite file is intact, the append-only triggers exist, the search index
 * holds every task's current text, every version's
 * content hash matches its fields and its chain hash links it to the
 * previous version, version numbers are 1..N without gaps, and each task
 * row equals its newest version. Every problem names the task and version.
 * Versions are read back through their packs (store_content.c), so a
 * content that was altered or is missing shows as a content-hash mismatch
 * of every version that uses it.
 *
 * The chain of each version is recomputed from the *stored* chain hash of
 * the version before it, so one rewritten version is reported once, where
 * it happened, rather than as a cascade down the rest of the history.
 */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/hash.h"
#include "util/xalloc.h"

#define MAX_PROBLEMS 1000

/* Triggers that must exist, and why. */
static const struct {
	const char *name;
	const char *role;
} required_triggers[] = {
	{"task_versions_no_update", "refuses UPDATE on task_versions"},
	{"task_versions_no_delete", "refuses DELETE on task_versions"},
	{"evidence_no_update", "refuses UPDATE on evidence"},
	{"evidence_no_delete", "refuses DELETE on evidence"},
	{"schema_events_no_update", "refuses UPDATE on schema_events"},
	{"schema_events_no_delete", "refuses DELETE on schema_events"},
	{"contents_no_update", "refuses UPDATE on contents (shared by versions)"},
	{"contents_no_delete", "refuses DELETE on contents (shared by versions)"},
};

struct verify {
	json_t *problems;
	int64_t n_problems;
	int64_t tasks, versions;
	struct nv_err first;
};

static void problem(struct verify *vf, const char *task_id, int64_t version, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void problem(struct verify *vf, const char *task_id, int64_t version, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	if (!vf->n_problems) {
		if (task_id && version > 0)
			nv_err_set(&vf->first, NV_ETAMPERED, "task %s version %lld: %s", task_id,
				   (long long)version, msg.data);
		else if (task_id)
			nv_err_set(&vf->first, NV_ETAMPERED, "task %s: %s", task_id, msg.data);
		else
			nv_err_set(&vf->first, NV_ETAMPERED, "%s", msg.data);
	}
	if (vf->n_problems++ < MAX_PROBLEMS)
		json_array_append_new(vf->problems,
				      json_pack("{s:o s:o s:s}", "taskId",
						task_id ? json_string(task_id) : json_null(),
						"version",
						version > 0 ? json_integer(version) : json_null(),
						"problem", msg.data));
	buf_release(&msg);
}

static int check_integrity(struct store *s, struct verify *vf, struct nv_err *err)
{
	struct db_stmt *st;
	int rc;

	if ((rc = store_prepare(s, "PRAGMA integrity_check", &st, err)))
		return rc;
	while ((rc = db_step(st)) == DB_ROW) {
		const char *line = (const char *)db_column_text(st, 0);
		if (line && strcmp(line, "ok"))
			problem(vf, NULL, 0, "SQLite integrity check: %s", line);
	}
	db_finalize(st);
	if (rc != DB_DONE)
		return store_sql_error(s, rc, err, "checking integrity");
	return NV_OK;
}

static int check_triggers(struct store *s, struct verify *vf, struct nv_err *err)
{
	struct db_stmt *st;
	int rc;

	if ((rc = store_prepare(s,
				"SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"
				" AND name = ?",
				&st, err)))
		return rc;
	for (size_t i = 0; i < sizeof(required_triggers) / sizeof(required_triggers[0]); i++) {
		db_bind_text(st, 1, required_triggers[i].name, -1);
		rc = db_step(st);
		if (rc != DB_ROW) {
			db_finalize(st);
			return store_sql_error(s, rc, err, "checking triggers");
		}
		if (!db_column_int(st, 0))
			problem(vf, NULL, 0, "trigger %s (%s) is missing",
				required_triggers[i].name, required_triggers[i].role);
		db_reset(st);
	}
	db_finalize(st);
	return NV_OK;
}

/*
 * The search index is derived, but a task missing from it cannot be found:
 * every task has exactly one index row holding its current text.
 */
static int check_search_index(struct store *s, struct verify *vf, struct nv_err *err)
{
	struct db_stmt *st;
	int rc;

	if ((rc = store_prepare(
		     s,
		     "SELECT t.id, CASE WHEN x.rowid IS NULL THEN 'missing from' ELSE"
		     " 'out of step with' END FROM tasks t LEFT JOIN task_search x ON x.rowid = "
		     "t.seq"
		     " WHERE x.rowid IS NULL OR x.title IS NOT t.title"
		     " OR x.description IS NOT t.description"
		     " OR x.other IS NOT nv_search_other(t.title, t.description, t.category,"
		     " t.assignee, t.resolution, t.tags, t.metadata)"
		     " UNION ALL SELECT NULL, 'a row of a task that does not exist in' FROM "
		     "task_search"
		     " WHERE rowid NOT IN (SELECT seq FROM tasks)",
		     &st, err)))
		return rc;
	while ((rc = db_step(st)) == DB_ROW)
		problem(vf, (const char *)db_column_text(st, 0), 0, "%s the search index",
			(const char *)db_column_text(st, 1));
	db_finalize(st);
	if (rc != DB_DONE)
		return store_sql_error(s, rc, err, "checking the search index");
	return NV_OK;
}

/* Checks one task's versions and its row. */
static int check_task(struct store *s, struct verify *vf, const struct task *t, struct nv_err *err)
{
	struct db_stmt *st = store_stmt(s, ST_VERSION_HISTORY, err);
	struct task_version v, last;
	char prev_chain[HASH_HEX_LEN + 1] = "", hash[HASH_HEX_LEN + 1];
	const char *bad;
	int64_t expect = 1;
	int rc;

	if (!st)
		return err ? err->code : NV_EIO;
	task_version_init(&last);
	bind_text(st, 1, t->id);
	while ((rc = db_step(st)) == DB_ROW) {
		row_to_version(st, 0, &v);
		vf->versions++;
		if (v.num != expect)
			problem(vf, t->id, v.num, "version numbers are not dense: expected %lld",
				(long long)expect);
		if ((bad = task_invalid_text_field(&v.snap)))
			problem(vf, t->id, v.num,
				"%s is not valid UTF-8 (written behind nvault's back)", bad);
		task_content_hash(&v.snap, hash);
		if (strcmp(hash, v.content_hash))
			problem(vf, t->id, v.num,
				"content hash does not match the stored fields (version was "
				"altered)");
		task_version_chain_hash(prev_chain, &v, hash);
		if (strcmp(hash, v.chain_hash))
			problem(vf, t->id, v.num,
				"chain hash does not match (history was rewritten)");
		memcpy(prev_chain, v.chain_hash, sizeof(prev_chain));
		expect = v.num + 1;
		task_version_release(&last);
		last = v;
	}
	stmt_done(st);
	if (rc != DB_DONE) {
		task_version_release(&last);
		return store_sql_error(s, rc, err, "reading versions");
	}
	if (!last.id) {
		problem(vf, t->id, 0, "task has no versions");
	} else {
		if ((bad = task_invalid_text_field(t)))
			problem(vf, t->id, last.num,
				"the task row's %s is not valid UTF-8 (written behind nvault's "
				"back)",
				bad);
		task_content_hash(t, hash);
		if (t->version != last.num || !t->current_version_id ||
		    strcmp(t->current_version_id, last.id))
			problem(vf, t->id, last.num,
				"task row points at version %lld, newest is %lld",
				(long long)t->version, (long long)last.num);
		else if (strcmp(hash, last.content_hash))
			problem(vf, t->id, last.num, "task row does not match its current version");
	}
	task_version_release(&last);
	return NV_OK;
}

/* ---- the store-wide chain ---------------------------------------------------- */

/* Calls at(ud, n, head_n) for n = 1..N; stops early when at returns nonzero. */
static int chain_walk(struct store *s, int (*at)(void *ud, int64_t n, const char *head), void *ud,
		      struct store_chain *out, struct nv_err *err)
{
	struct db_stmt *st;
	struct buf b = BUF_INIT;
	int rc;

	out->head[0] = '\0';
	out->versions = 0;
	if ((rc = store_prepare(s, "SELECT id, chain_hash FROM task_versions ORDER BY seq", &st,
				err)))
		return rc;
	while ((rc = db_step(st)) == DB_ROW) {
		const char *id = (const char *)db_column_text(st, 0);
		const char *chain = (const char *)db_column_text(st, 1);

		buf_reset(&b);
		buf_addf(&b, "%s\n%s\n%s", out->head, id ? id : "", chain ? chain : "");
		hash_sha256_hex(b.data, b.len, out->head);
		out->versions++;
		if (at && at(ud, out->versions, out->head)) {
			rc = DB_DONE;
			break;
		}
	}
	db_finalize(st);
	buf_release(&b);
	if (rc != DB_DONE)
		return store_sql_error(s, rc, err, "reading versions for the store-wide chain");
	return NV_OK;
}

int store_chain_head(struct store *s, struct store_chain *out, struct nv_err *err)
{
	return chain_walk(s, NULL, NULL, out, err);
}

struct chain_find {
	const char *head;
	int64_t at;
};

static int chain_find_at(void *ud, int64_t n, const char *head)
{
	struct chain_find *f = ud;

	if (strcmp(head, f->head))
		return 0;
	f->at = n;
	return 1;
}

int store_chain_find(struct store *s, const char *head, int64_t *at, int *found, struct nv_err *err)
{
	struct chain_find f = {head, 0};
	struct store_chain c;
	int rc;

	*found = 0;
	*at = 0;
	if (head && !*head) { /* the empty store's head */
		*found = 1;
		return NV_OK;
	}
	if ((rc = chain_walk(s, chain_find_at, &f, &c, err)))
		return rc;
	*found = f.at > 0;
	*at = f.at;
	return NV_OK;
}

/* The heads the evidence recorded, checked against the recomputed chain. */
struct chain_expect {
	json_t *by_count; /* "N" → [{"evidence": id, "head": h}, ...] */
	struct verify *vf;
};

static int chain_expect_at(void *ud, int64_t n, const char *head)
{
	struct chain_expect *x = ud;
	char key[24];
	json_t *list, *e;
	size_t i;

	snprintf(key, sizeof(key), "%lld", (long long)n);
	if (!(list = json_object_get(x->by_count, key)))
		return 0;
	json_array_foreach(list, i, e)
	{
		const char *want = json_string_value(json_object_get(e, "head"));
		if (want && strcmp(want, head))
			problem(x->vf, NULL, 0,
				"the store-wide chain after %lld versions differs from what "
				"evidence %s recorded: versions were deleted or rewritten",
				(long long)n, json_string_value(json_object_get(e, "evidence")));
	}
	json_object_del(x->by_count, key);
	return 0;
}

static int check_store_chain(struct store *s, struct verify *vf, struct store_chain *chain,
			     struct nv_err *err)
{
	struct chain_expect x = {json_object(), vf};
	struct db_stmt *st;
	const char *key;
	json_t *list;
	int rc;

	if ((rc = store_prepare(s,
				"SELECT id, json_extract(metadata, '$.storeChain.head'),"
				" json_extract(metadata, '$.storeChain.versions') FROM evidence"
				" WHERE json_extract(metadata, '$.storeChain.head') IS NOT NULL"
				" ORDER BY seq",
				&st, err)))
		goto out;
	while ((rc = db_step(st)) == DB_ROW) {
		char k[24];
		json_t *l;

		snprintf(k, sizeof(k), "%lld", (long long)db_column_int64(st, 2));
		if (!(l = json_object_get(x.by_count, k)))
			json_object_set_new(x.by_count, k, l = json_array());
		json_array_append_new(l,
				      json_pack("{s:s s:s}", "evidence",
						(const char *)db_column_text(st, 0) ?: "?", "head",
						(const char *)db_column_text(st, 1) ?: ""));
	}
	db_finalize(st);
	if (rc != DB_DONE) {
		rc = store_sql_error(s, rc, err, "reading evidence");
		goto out;
	}
	if ((rc = chain_walk(s, chain_expect_at, &x, chain, err)))
		goto out;
	/* recorded counts the store no longer reaches: history was cut */
	json_object_foreach(x.by_count, key, list)
	{
		problem(vf, NULL, 0,
			"evidence %s recorded %s versions in the store-wide chain, but the store "
			"has only %lld: versions were deleted",
			json_string_value(json_object_get(json_array_get(list, 0), "evidence")),
			key, (long long)chain->versions);
	}
	rc = NV_OK;
out:
	json_decref(x.by_count);
	return rc;
}

static int check_tasks(struct store *s, struct verify *vf, struct nv_err *err)
{
	struct db_stmt *st;
	int rc;

	if ((rc = store_prepare(s, "SELECT " TASK_COLS " FROM tasks t ORDER BY t.seq", &st, err)))
		return rc;
	while ((rc = db_step(st)) == DB_ROW) {
		struct task t;
		row_to_task(st, 0, &t);
		vf->tasks++;
		rc = check_task(s, vf, &t, err);
		task_release(&t);
		if (rc) {
			db_finalize(st);
			return rc;
		}
	}
	db_finalize(st);
	if (rc != DB_DONE)
		return store_sql_error(s, rc, err, "reading tasks");

	/* versions of tasks that no longer exist (only possible behind our back) */
	if ((rc = store_prepare(s,
				"SELECT task_id, min(version) FROM task_versions"
				" WHERE task_id NOT IN (SELECT id FROM tasks) GROUP BY task_id",
				&st, err)))
		return rc;
	while ((rc = db_step(st)) == DB_ROW)
		problem(vf, (const char *)db_column_text(st, 0), db_column_int64(st, 1),
			"versions exist but the task row is gone");
	db_finalize(st);
	if (rc != DB_DONE)
		return store_sql_error(s, rc, err, "reading versions");
	return NV_OK;
}

int store_verify(struct store *s, json_t **report, struct nv_err *err)
{
	struct verify vf;
	struct store_chain chain = {"", 0};
	int rc, own;

	*report = NULL;
	memset(&vf, 0, sizeof(vf));
	vf.problems = json_array();
	/* one snapshot, so a concurrent sync cannot make a clean store look broken */
	own = !s->in_tx && db_exec(s->db, "BEGIN") == DB_OK;
	if (!(rc = check_integrity(s, &vf, err)) && !(rc = check_triggers(s, &vf, err)) &&
	    !(rc = check_search_index(s, &vf, err)))
		rc = check_tasks(s, &vf, err);
	if (!rc)
		rc = check_store_chain(s, &vf, &chain, err);
	if (own)
		db_exec(s->db, "COMMIT");
	if (rc) {
		json_decref(vf.problems);
		return rc;
	}
	*report = json_pack("{s:b s:I s:I s:I s:o s:{s:s s:I}}", "ok", vf.n_problems == 0,
			    "tasksChecked", (json_int_t)vf.tasks, "versionsChecked",
			    (json_int_t)vf.versions, "problemCount", (json_int_t)vf.n_problems,
			    "problems", vf.problems, "storeChain", "head", chain.head, "versions",
			    (json_int_t)chain.versions);
	if (vf.n_problems) {
		if (err)
			*err = vf.first;
		if (vf.n_problems > 1)
			nv_err_prefix(err, "%lld problems found; first", (long long)vf.n_problems);
		return NV_ETAMPERED;
	}
	return NV_OK;
}
