/*
 * store_verify.c: `nvault verify`. Checks what the store promises: the
 * SQLite file is intact, the append-only triggers exist, every version's
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

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
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
	{"contents_no_update", "refuses UPDATE on contents (shared by versions)"},
	{"contents_no_delete", "refuses DELETE on contents (shared by versions)"},
	{"tasks_fts_insert", "keeps full-text search in step"},
	{"tasks_fts_update", "keeps full-text search in step"},
	{"tasks_fts_delete", "keeps full-text search in step"},
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
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_prepare(s, "PRAGMA integrity_check", &st, err)))
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *line = (const char *)sqlite3_column_text(st, 0);
		if (line && strcmp(line, "ok"))
			problem(vf, NULL, 0, "SQLite integrity check: %s", line);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_sql_error(s, rc, err, "checking integrity");
	return NV_OK;
}

static int check_triggers(struct store *s, struct verify *vf, struct nv_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_prepare(s,
				"SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"
				" AND name = ?",
				&st, err)))
		return rc;
	for (size_t i = 0; i < sizeof(required_triggers) / sizeof(required_triggers[0]); i++) {
		sqlite3_bind_text(st, 1, required_triggers[i].name, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc != SQLITE_ROW) {
			sqlite3_finalize(st);
			return store_sql_error(s, rc, err, "checking triggers");
		}
		if (!sqlite3_column_int(st, 0))
			problem(vf, NULL, 0, "trigger %s (%s) is missing",
				required_triggers[i].name, required_triggers[i].role);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return NV_OK;
}

/* Checks one task's versions and its row. */
static int check_task(struct store *s, struct verify *vf, const struct task *t, struct nv_err *err)
{
	sqlite3_stmt *st = store_stmt(s, ST_VERSION_HISTORY, err);
	struct task_version v, last;
	char prev_chain[HASH_HEX_LEN + 1] = "", hash[HASH_HEX_LEN + 1];
	int64_t expect = 1;
	int rc;

	if (!st)
		return err ? err->code : NV_EIO;
	task_version_init(&last);
	bind_text(st, 1, t->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row_to_version(st, 0, &v);
		vf->versions++;
		if (v.num != expect)
			problem(vf, t->id, v.num, "version numbers are not dense: expected %lld",
				(long long)expect);
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
	if (rc != SQLITE_DONE) {
		task_version_release(&last);
		return store_sql_error(s, rc, err, "reading versions");
	}
	if (!last.id) {
		problem(vf, t->id, 0, "task has no versions");
	} else {
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

static int check_tasks(struct store *s, struct verify *vf, struct nv_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_prepare(s, "SELECT " TASK_COLS " FROM tasks t ORDER BY t.seq", &st, err)))
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct task t;
		row_to_task(st, 0, &t);
		vf->tasks++;
		rc = check_task(s, vf, &t, err);
		task_release(&t);
		if (rc) {
			sqlite3_finalize(st);
			return rc;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_sql_error(s, rc, err, "reading tasks");

	/* versions of tasks that no longer exist (only possible behind our back) */
	if ((rc = store_prepare(s,
				"SELECT task_id, min(version) FROM task_versions"
				" WHERE task_id NOT IN (SELECT id FROM tasks) GROUP BY task_id",
				&st, err)))
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		problem(vf, (const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1),
			"versions exist but the task row is gone");
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_sql_error(s, rc, err, "reading versions");
	return NV_OK;
}

int store_verify(struct store *s, json_t **report, struct nv_err *err)
{
	struct verify vf;
	int rc, own;

	*report = NULL;
	memset(&vf, 0, sizeof(vf));
	vf.problems = json_array();
	/* one snapshot, so a concurrent sync cannot make a clean store look broken */
	own = !s->in_tx && sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
	if (!(rc = check_integrity(s, &vf, err)) && !(rc = check_triggers(s, &vf, err)))
		rc = check_tasks(s, &vf, err);
	if (own)
		sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	if (rc) {
		json_decref(vf.problems);
		return rc;
	}
	*report = json_pack("{s:b s:I s:I s:I s:o}", "ok", vf.n_problems == 0, "tasksChecked",
			    (json_int_t)vf.tasks, "versionsChecked", (json_int_t)vf.versions,
			    "problemCount", (json_int_t)vf.n_problems, "problems", vf.problems);
	if (vf.n_problems) {
		if (err)
			*err = vf.first;
		if (vf.n_problems > 1)
			nv_err_prefix(err, "%lld problems found; first", (long long)vf.n_problems);
		return NV_ETAMPERED;
	}
	return NV_OK;
}
