/*
 * sync.c: a sync run over the configured databases (SPEC §4): the lock, the
 * data sources of each database, interrupted runs left behind by a killed
 * process, and one evidence record per database per run. The per-source
 * work lives in sync_source.c, the per-row work in sync_row.c.
 *
 * A run in progress is recorded in each data source's sync state (run_id)
 * from its start until the database's evidence is written, in the same
 * transaction that clears it. A run_id still present when the next run
 * takes the lock therefore belongs to a process that died (kill -9, power
 * loss); that run gets an "interrupted" evidence record of its own.
 *
 * A dry run is no mode of the engine: it copies the store (VACUUM INTO) to
 * a scratch file under $TMPDIR, runs the real engine on the copy, reports
 * its counts and removes the copy.
 */
#include "sync/sync.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mapper/mapper.h"
#include "mapper/schema.h"
#include "sync/sync_internal.h"
#include "util/buf.h"
#include "util/nv_assert.h"
#include "util/xalloc.h"

/* A data source of a database, with its schema (one reference owned). */
struct ds_entry {
	char id[ID_DASHED_LEN + 1];
	json_t *properties;
	int64_t created_ms; /* its created_time, 0 unknown: rows are expected after it */
};

static void ds_entries_free(struct ds_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		json_decref(e[i].properties);
	free(e);
}

static void db_result_init(struct sync_db_result *res, const struct db_config *db)
{
	memset(res, 0, sizeof(*res));
	res->database_id = xstrdup(db->database_id);
	res->name = xstrdup(db->name ? db->name : db->database_id);
	res->status = xstrdup("success");
	res->errors = json_array();
	res->warnings = json_array();
}

static void db_result_set_status(struct sync_db_result *res, const char *status)
{
	free(res->status);
	res->status = xstrdup(status);
}

/* The "properties" object of a schema response, or NULL. */
static json_t *schema_properties(json_t *obj)
{
	json_t *p = json_object_get(obj, "properties");

	return json_is_object(p) ? json_incref(p) : NULL;
}

/* The created_time of a database or data source object (ms), 0 when unknown. */
static int64_t created_time(json_t *obj)
{
	int64_t ms = sync_parse_time(json_string_value(json_object_get(obj, "created_time")));

	return ms > 0 ? ms : 0;
}

/*
 * Lists the data sources of db with their schemas. 2022-06-28: the database
 * is its own data source. 2025-09-03: the configured dataSourceId, else
 * every data source the database lists. *out is owned by the caller.
 */
static int resolve_sources(struct sync_run_ctx *ctx, const struct db_config *db, int legacy,
			   struct ds_entry **out, size_t *n, struct nv_err *err)
{
	json_t *dbobj = NULL, *src;
	struct ds_entry *e = NULL;
	size_t cap = 0, count = 0, i;
	int rc = NV_OK;

	*out = NULL;
	*n = 0;
	NV_ASSERT(!store_in_write_tx(ctx->s)); /* SPEC §4.14 */
	if (legacy || !db->data_source_id) {
		if ((rc = notion_retrieve_database(ctx->c, db->database_id, &dbobj, err)))
			return nv_err_prefix(err, "could not read database %s from Notion",
					     db->database_id);
	}
	if (legacy) {
		e = xcalloc(1, sizeof(*e));
		memcpy(e[0].id, db->database_id, ID_DASHED_LEN + 1);
		e[0].created_ms = created_time(dbobj);
		if (!(e[0].properties = schema_properties(dbobj))) {
			rc = nv_err_set(err, NV_EHTTP,
					"database %s: Notion returned no property schema",
					db->database_id);
			goto out;
		}
		count = 1;
		goto out;
	}
	if (db->data_source_id) {
		e = xcalloc(1, sizeof(*e));
		memcpy(e[0].id, db->data_source_id, ID_DASHED_LEN + 1);
		count = 1;
	} else {
		json_t *list = json_object_get(dbobj, "data_sources");
		json_array_foreach(list, i, src)
		{
			char id[ID_DASHED_LEN + 1];
			if (id_normalize(json_string_value(json_object_get(src, "id")), id))
				continue;
			e = xgrow(e, &cap, count + 1, sizeof(*e));
			memset(&e[count], 0, sizeof(*e));
			memcpy(e[count++].id, id, sizeof(id));
		}
		if (!count) {
			rc = nv_err_set(err, NV_EHTTP,
					"database %s: Notion lists no data sources for it",
					db->database_id);
			goto out;
		}
	}
	for (i = 0; i < count; i++) {
		json_t *dsobj = NULL;
		if ((rc = notion_retrieve_data_source(ctx->c, e[i].id, &dsobj, err))) {
			nv_err_prefix(err,
				      "could not read data source %s of database %s from Notion",
				      e[i].id, db->database_id);
			goto out;
		}
		e[i].properties = schema_properties(dsobj);
		e[i].created_ms = created_time(dsobj);
		json_decref(dsobj);
		if (!e[i].properties) {
			rc = nv_err_set(err, NV_EHTTP,
					"data source %s: Notion returned no property schema",
					e[i].id);
			goto out;
		}
	}
out:
	json_decref(dbobj);
	if (rc) {
		ds_entries_free(e, count);
		return rc;
	}
	*out = e;
	*n = count;
	return NV_OK;
}

static int same_id(const char *a, const char *b)
{
	char x[33], y[33];

	return a && b && !id_compact(a, x) && !id_compact(b, y) && !strcmp(x, y);
}

/*
 * The lock-file note (ctx->failed_runs) keeps, for a run that failed and
 * could not write its evidence (a full disk), why, per database:
 * {"<run id>": {"startedAt": ..., "trigger": ..., "databases": {"<database
 * id>": "<why>"}}}. (An older note held the reason string alone, for every
 * database of the run.) Returns db's reason for run, or NULL.
 */
static const char *failed_run_reason(struct sync_run_ctx *ctx, const char *run,
				     const struct db_config *db)
{
	json_t *v = json_object_get(ctx->failed_runs, run);

	if (json_is_string(v))
		return json_string_value(v);
	return json_string_value(json_object_get(json_object_get(v, "databases"), db->database_id));
}

/* Keeps in the note that db's part of this run failed, and why. */
static void failed_run_keep(struct sync_run_ctx *ctx, const struct db_config *db, const char *why)
{
	json_t *run = json_object_get(ctx->failed_runs, ctx->run_id);

	if (!ctx->failed_runs)
		return;
	if (!json_is_object(run)) {
		run = json_pack("{s:s s:s s:{}}", "startedAt", ctx->started_at, "trigger",
				ctx->trigger, "databases");
		json_object_set_new(ctx->failed_runs, ctx->run_id, run);
	}
	json_object_set_new(json_object_get(run, "databases"), db->database_id, json_string(why));
	ctx->failed_runs_changed = 1;
}

/* Drops db's part of run from the note once it is recorded (the whole run with its last). */
static void failed_run_forget(struct sync_run_ctx *ctx, const char *run, const struct db_config *db)
{
	json_t *v = json_object_get(ctx->failed_runs, run), *dbs;

	if (!json_is_object(v))
		return; /* an older note's string: prune_failed_runs() drops it */
	dbs = json_object_get(v, "databases");
	if (json_object_get(dbs, db->database_id)) {
		json_object_del(dbs, db->database_id);
		ctx->failed_runs_changed = 1;
	}
	if (!json_object_size(dbs)) {
		json_object_del(ctx->failed_runs, run);
		ctx->failed_runs_changed = 1;
	}
}

/*
 * Adds the evidence record of db's part of an earlier run that never wrote
 * its own: "failed" with why when the note has a reason, else
 * "interrupted" (the process died). Inside the caller's transaction.
 */
static int record_dead_run(struct sync_run_ctx *ctx, const struct db_config *db, const char *run,
			   const char *started_at, const char *trigger, const char *watermark,
			   const char *why, const char *now, struct sync_db_result *res,
			   struct nv_err *err)
{
	struct evidence e;
	struct buf msg = BUF_INIT;
	int rc;

	if (why)
		buf_addf(&msg,
			 "the run %s started %s failed and could not record its evidence then "
			 "(%s); the next run recorded it and carried on from its last committed "
			 "page",
			 run, started_at ? started_at : "at an unknown time", why);
	else
		buf_addf(&msg,
			 "the run %s started %s ended without finishing (the process was killed "
			 "or the machine stopped); the next run found it and carried on from "
			 "its last committed page",
			 run, started_at ? started_at : "at an unknown time");
	evidence_init(&e);
	e.type = xstrdup("import");
	e.source = xstrdup("notion");
	e.source_id = xstrdup(db->database_id);
	e.scope = xstrdup(db->scope);
	e.trigger = xstrdup(trigger ? trigger : "manual");
	e.started_at = xstrdup(started_at ? started_at : now);
	e.finished_at = xstrdup(now);
	e.status = xstrdup(why ? "failed" : "interrupted");
	e.metadata =
		json_pack("{s:s s:[s] s:[] s:s s:o s:b}", "runId", run, "errors", msg.data,
			  "warnings", "detectedByRun", ctx->run_id, "watermarkAfter",
			  watermark ? json_string(watermark) : json_null(), "detectedLater", 1);
	rc = store_evidence_add(ctx->s, &e, err);
	evidence_release(&e);
	sync_note(res->warnings, "%s", msg.data);
	buf_release(&msg);
	return rc;
}

/* Whether done (an array of run ids) holds run. */
static int run_listed(const json_t *done, const char *run)
{
	size_t j;
	json_t *v;

	json_array_foreach(done, j, v) if (!strcmp(json_string_value(v), run)) return 1;
	return 0;
}

/*
 * Records each run of db that ended without its evidence: those a dead
 * process left behind in the sync state ("interrupted", or "failed" with
 * the note's reason), and those the lock-file note names for db without a
 * mark in the state (the disk filled before the run could mark it). Clears
 * the marks, and db's part of the note once committed. One transaction.
 */
static int close_dead_runs(struct sync_run_ctx *ctx, const struct db_config *db,
			   struct sync_db_result *res, struct nv_err *err)
{
	struct sync_state *states = NULL;
	size_t n = 0;
	json_t *done = json_array(), *v;
	char now[TIME_ISO_MAX];
	const char *run;
	size_t j;
	int rc, began = 0;

	if ((rc = store_sync_state_list(ctx->s, &states, &n, err)))
		goto out;
	time_format_iso(time_now_ms(), now);
	for (size_t i = 0; i < n; i++) {
		struct sync_state *st = &states[i];

		if (!st->run_id || !same_id(st->database_id, db->database_id) ||
		    !strcmp(st->run_id, ctx->run_id))
			continue;
		if (!began) {
			if ((rc = store_begin(ctx->s, err)))
				goto out;
			began = 1;
		}
		if (!run_listed(done, st->run_id)) {
			if ((rc = record_dead_run(ctx, db, st->run_id, st->run_started_at,
						  st->run_trigger, st->watermark,
						  failed_run_reason(ctx, st->run_id, db), now, res,
						  err)))
				goto out;
			json_array_append_new(done, json_string(st->run_id));
		}
		free(st->run_id);
		st->run_id = NULL;
		if ((rc = store_sync_state_put(ctx->s, st, err)))
			goto out;
	}
	json_object_foreach(ctx->failed_runs, run, v)
	{
		const char *why = json_is_object(v) ? failed_run_reason(ctx, run, db) : NULL;

		if (!why || !strcmp(run, ctx->run_id) || run_listed(done, run))
			continue;
		if (!began) {
			if ((rc = store_begin(ctx->s, err)))
				goto out;
			began = 1;
		}
		if ((rc = record_dead_run(ctx, db, run,
					  json_string_value(json_object_get(v, "startedAt")),
					  json_string_value(json_object_get(v, "trigger")), NULL,
					  why, now, res, err)))
			goto out;
		json_array_append_new(done, json_string(run));
	}
	if (began) {
		rc = store_commit(ctx->s, err);
		began = 0;
		if (!rc)
			json_array_foreach(done, j, v)
				failed_run_forget(ctx, json_string_value(v), db);
	}
out:
	if (began)
		store_rollback(ctx->s);
	sync_states_free(states, n);
	json_decref(done);
	return rc;
}

/*
 * Drops from the lock-file note each older-format run (a reason string for
 * all its databases) that no data source's state names any more; kept as
 * it is when the states cannot be read.
 */
static void prune_failed_runs(struct sync_run_ctx *ctx)
{
	struct sync_state *states = NULL;
	size_t n = 0;
	struct nv_err err;
	const char *run;
	json_t *v;
	void *tmp;

	nv_err_clear(&err);
	if (!json_object_size(ctx->failed_runs) || store_sync_state_list(ctx->s, &states, &n, &err))
		return;
	json_object_foreach_safe(ctx->failed_runs, tmp, run, v)
	{
		int named = 0;

		if (!json_is_string(v))
			continue;
		for (size_t i = 0; i < n && !named; i++)
			named = states[i].run_id && !strcmp(states[i].run_id, run);
		if (!named) {
			json_object_del(ctx->failed_runs, run);
			ctx->failed_runs_changed = 1;
		}
	}
	sync_states_free(states, n);
}

/* Loads (or starts) the state of a data source and marks this run in it. */
static int start_source(struct source_run *r, const struct db_config *db, struct nv_err *err)
{
	struct sync_run_ctx *ctx = r->run;
	int rc;

	sync_state_init(&r->st);
	rc = store_sync_state_get(ctx->s, r->ds_id, &r->st, err);
	if (rc == NV_ENOTFOUND) {
		nv_err_clear(err);
		sync_state_init(&r->st);
		r->st.data_source_id = xstrdup(r->ds_id);
		rc = NV_OK;
	} else if (!rc) {
		r->have_state = 1;
	}
	if (rc)
		return rc;
	free(r->st.database_id);
	r->st.database_id = xstrdup(db->database_id);
	free(r->st.run_id);
	free(r->st.run_started_at);
	free(r->st.run_trigger);
	r->st.run_id = xstrdup(ctx->run_id);
	r->st.run_started_at = xstrdup(ctx->started_at);
	r->st.run_trigger = xstrdup(ctx->trigger);
	return store_sync_state_put(ctx->s, &r->st, err);
}

/* The evidence metadata of a database's run (new reference). */
static json_t *db_metadata(struct sync_run_ctx *ctx, const struct sync_db_result *res,
			   const struct notion_stats *before, const struct notion_stats *after,
			   json_t *sources, int64_t duration_ms)
{
	json_t *meta, *src, *wm_before = json_null(), *wm_after = json_null();
	size_t i;

	/* one data source: its watermarks; several: the oldest before, the newest after */
	json_array_foreach(sources, i, src)
	{
		json_t *b = json_object_get(src, "watermarkBefore");
		json_t *a = json_object_get(src, "watermarkAfter");
		if (json_is_string(b) &&
		    (json_is_null(wm_before) ||
		     strcmp(json_string_value(b), json_string_value(wm_before)) < 0)) {
			json_decref(wm_before);
			wm_before = json_incref(b);
		}
		if (json_is_string(a) &&
		    (json_is_null(wm_after) ||
		     strcmp(json_string_value(a), json_string_value(wm_after)) > 0)) {
			json_decref(wm_after);
			wm_after = json_incref(a);
		}
	}
	meta = json_pack(
		"{s:I s:I s:I s:I s:I s:I s:I s:O s:O s:I s:I s:I s:I s:I s:o s:o s:O "
		"s:s s:s s:b s:b s:I}",
		"syncedCount", (json_int_t)res->synced, "createdCount", (json_int_t)res->created,
		"updatedCount", (json_int_t)res->updated, "unchangedCount",
		(json_int_t)res->unchanged, "deletedCount", (json_int_t)res->deleted,
		"restoredCount", (json_int_t)res->restored, "conflictCount",
		(json_int_t)res->conflicts, "errors", res->errors, "warnings", res->warnings,
		"requests", (json_int_t)(after->requests - before->requests), "retries",
		(json_int_t)(after->retries - before->retries), "rateLimitWaits",
		(json_int_t)(after->rate_limited - before->rate_limited), "rateLimitWaitMs",
		(json_int_t)(after->rate_limit_wait_ms - before->rate_limit_wait_ms),
		"throttleWaitMs", (json_int_t)(after->throttle_wait_ms - before->throttle_wait_ms),
		"watermarkBefore", wm_before, "watermarkAfter", wm_after, "dataSources", sources,
		"runId", ctx->run_id, "notionVersion",
		ctx->c ? notion_client_version(ctx->c) : ctx->cfg->notion_version, "full",
		ctx->opts->full != 0, "allowMassDelete", ctx->opts->allow_mass_delete != 0,
		"durationMs", (json_int_t)duration_ms);
	/* what the client had to repair to read Notion's answers (issue 15 #3) */
	if (after->repaired_text > before->repaired_text ||
	    after->numbers_as_text > before->numbers_as_text ||
	    after->unreadable_rows > before->unreadable_rows)
		json_object_set_new(
			meta, "repaired",
			json_pack("{s:I s:I s:I}", "textValues",
				  (json_int_t)(after->repaired_text - before->repaired_text),
				  "numbersAsText",
				  (json_int_t)(after->numbers_as_text - before->numbers_as_text),
				  "unreadableRows",
				  (json_int_t)(after->unreadable_rows - before->unreadable_rows)));
	return meta;
}

/*
 * How whole the backup of db is after this run (SPEC §4.15), from its data
 * sources' evidence entries and the store: rows the deletion scan saw
 * against the active tasks, whether every scan completed, query windows
 * opened past the result cap, properties kept truncated, rows that could
 * not be mapped, and files skipped (none: files are kept as metadata).
 */
static json_t *completeness(struct sync_run_ctx *ctx, const struct db_config *db, json_t *sources,
			    int64_t cap_windows)
{
	int64_t seen = 0, truncated = 0, skipped = 0, active = -1, deleted = 0;
	int complete = json_array_size(sources) > 0;
	json_t *src, *out;
	struct nv_err err;
	size_t i;

	json_array_foreach(sources, i, src)
	{
		const char *scan = json_string_value(json_object_get(src, "scan"));
		complete &= scan && !strncmp(scan, "complete", 8);
		seen += json_integer_value(json_object_get(src, "scanSeen"));
		truncated += json_integer_value(json_object_get(src, "truncatedKept"));
		skipped += json_integer_value(json_object_get(src, "rowsNotMapped"));
	}
	nv_err_clear(&err);
	if (store_count_tasks(ctx->s, db->database_id, NULL, &active, &deleted, &err))
		active = -1;
	out = json_pack("{s:b s:I s:I s:I s:I s:{}}", "scanComplete", complete, "rowsSeenByScan",
			(json_int_t)(complete ? seen : 0), "resultCapWindows",
			(json_int_t)cap_windows, "propertiesTruncated", (json_int_t)truncated,
			"rowsNotMapped", (json_int_t)skipped, "filesSkipped");
	json_object_set_new(out, "activeTasks", active >= 0 ? json_integer(active) : json_null());
	return out;
}

/* Appends the database's evidence and ends the run in its sources' states. */
static int write_evidence(struct sync_run_ctx *ctx, const struct db_config *db,
			  struct sync_db_result *res, json_t *meta, struct source_run *srcs,
			  size_t nsrc, const char *started_at, struct nv_err *err)
{
	struct evidence e;
	char now[TIME_ISO_MAX];
	int rc;

	evidence_init(&e);
	e.type = xstrdup("import");
	e.source = xstrdup("notion");
	e.source_id = xstrdup(db->database_id);
	e.scope = xstrdup(db->scope);
	e.trigger = xstrdup(ctx->trigger);
	e.started_at = xstrdup(started_at);
	e.finished_at = xstrdup(time_format_iso(time_now_ms(), now));
	e.status = xstrdup(res->status);
	e.metadata = json_incref(meta);
	if ((rc = store_begin(ctx->s, err)))
		goto out;
	{
		/* the store-wide chain as this transaction sees it (SPEC §3) */
		struct store_chain chain;

		if ((rc = store_chain_head(ctx->s, &chain, err)))
			goto fail;
		json_object_set_new(e.metadata, "storeChain",
				    json_pack("{s:s s:I}", "head", chain.head, "versions",
					      (json_int_t)chain.versions));
	}
	if ((rc = store_evidence_add(ctx->s, &e, err)))
		goto fail;
	for (size_t i = 0; i < nsrc; i++) {
		if (!srcs[i].st.data_source_id)
			continue;
		free(srcs[i].st.run_id);
		free(srcs[i].st.run_started_at);
		free(srcs[i].st.run_trigger);
		srcs[i].st.run_id = srcs[i].st.run_started_at = srcs[i].st.run_trigger = NULL;
		if ((rc = store_sync_state_put(ctx->s, &srcs[i].st, err)))
			goto fail;
	}
	if ((rc = store_commit(ctx->s, err)))
		goto fail;
	res->evidence_id = xstrdup(e.id);
	goto out;
fail:
	store_rollback(ctx->s);
out:
	evidence_release(&e);
	return rc;
}

/*
 * Syncs one database into res. Returns NV_EINTERRUPTED when stopped, NV_OK
 * otherwise (failures are in res); a store failure writing the evidence is
 * returned as is.
 */
static int sync_database(struct sync_run_ctx *ctx, const struct db_config *db,
			 struct sync_db_result *res)
{
	const char *version = ctx->c ? notion_client_version(ctx->c) : ctx->cfg->notion_version;
	int legacy = version && !strcmp(version, NOTION_VERSION_LEGACY);
	struct notion_stats before, after;
	struct ds_entry *ds = NULL;
	struct source_run *srcs = NULL;
	struct db_config *resolved = NULL;
	struct schema_event **pending = NULL;
	size_t *n_pending = NULL;
	size_t nds = 0, ok = 0, failed = 0;
	json_t *sources = json_array(), *meta;
	char started_at[TIME_ISO_MAX];
	int64_t t0 = time_mono_ms();
	int interrupted = 0, guard = 0, rc = NV_OK;
	struct nv_err err;

	db_result_init(res, db);
	memset(&before, 0, sizeof(before));
	if (ctx->c)
		notion_client_stats(ctx->c, &before);
	time_format_iso(time_now_ms(), started_at);
	nv_err_clear(&err);
	if (close_dead_runs(ctx, db, res, &err))
		sync_note(res->errors, "recording an earlier interrupted run failed: %s", err.msg);

	nv_err_clear(&err);
	if (!ctx->c) {
		sync_note(res->errors,
			  "the environment variable %s (tokenEnv%s%s) is not set: export this "
			  "database's integration token as %s",
			  config_token_env(db), db->where_token_env ? ", " : "",
			  db->where_token_env ? db->where_token_env : "", config_token_env(db));
	} else if (resolve_sources(ctx, db, legacy, &ds, &nds, &err)) {
		if (err.code == NV_EINTERRUPTED)
			interrupted = 1;
		else if (err.http_status == 404 && (db->where_id || db->where))
			/* the id in the config file is wrong, or not shared: say where it is */
			sync_note(res->errors, "%s; the id is at %s", err.msg,
				  db->data_source_id ? db->where : db->where_id);
		else
			sync_note(res->errors, "%s", err.msg);
	}
	srcs = xcalloc(nds ? nds : 1, sizeof(*srcs));
	resolved = xcalloc(nds ? nds : 1, sizeof(*resolved));
	pending = xcalloc(nds ? nds : 1, sizeof(*pending));
	n_pending = xcalloc(nds ? nds : 1, sizeof(*n_pending));
	for (size_t i = 0; i < nds && !interrupted; i++) {
		struct source_run *r = &srcs[i];
		json_t *ds_meta = json_pack("{s:s}", "dataSourceId", ds[i].id);

		json_array_append_new(sources, ds_meta);
		r->run = ctx;
		r->db = db;
		r->res = res;
		r->ds_meta = ds_meta;
		r->legacy = legacy;
		r->properties = ds[i].properties;
		r->created_ms = ds[i].created_ms;
		memcpy(r->ds_id, ds[i].id, sizeof(r->ds_id));
		sync_state_init(&r->st);
		nv_err_clear(&err);
		/* schema history, and mappings by property id (renames followed) */
		if (sync_schema_record(ctx, db, ds[i].id, ds[i].properties, ds_meta, res,
				       &resolved[i], &pending[i], &n_pending[i], &err)) {
			sync_note(res->errors, "%s", err.msg);
			json_object_set_new(ds_meta, "status", json_string("failed"));
			failed++;
			continue;
		}
		r->db = &resolved[i];
		nv_err_clear(&err);
		if (mapper_check_schema(r->db, ds[i].properties, &err)) {
			sync_note(res->errors, "data source %s: %s", ds[i].id, err.msg);
			json_object_set_new(ds_meta, "status", json_string("failed"));
			failed++;
			continue;
		}
		mapper_check_status_map(r->db, ds[i].properties, res->warnings);
		if (start_source(r, r->db, &err)) {
			sync_note(res->errors, "data source %s: %s", ds[i].id, err.msg);
			json_object_set_new(ds_meta, "status", json_string("failed"));
			failed++;
			continue;
		}
		nv_err_clear(&err);
		rc = sync_source(r, &err);
		guard |= r->guard_tripped;
		if (rc == NV_EINTERRUPTED || r->interrupted) {
			interrupted = 1;
			json_object_set_new(ds_meta, "status", json_string("interrupted"));
		} else if (rc) {
			json_object_set_new(ds_meta, "status", json_string("failed"));
			failed++;
		} else {
			json_object_set_new(ds_meta, "status", json_string("success"));
			ok++;
		}
		rc = NV_OK;
	}

	/* the schema changes seen, recorded once the data sources ran */
	for (size_t i = 0; i < nds; i++) {
		nv_err_clear(&err);
		if (sync_schema_append(ctx, pending[i], n_pending[i], &err))
			sync_note(res->errors, "data source %s: %s", ds[i].id, err.msg);
		pending[i] = NULL;
		n_pending[i] = 0;
	}
	if (interrupted)
		db_result_set_status(res, "interrupted");
	else if (!ok)
		db_result_set_status(res, "failed");
	else if (failed || guard || json_array_size(res->errors))
		db_result_set_status(res, "partial");
	if (interrupted)
		sync_note(res->errors,
			  "the run was stopped before it finished; the next run carries "
			  "on from the last committed page");

	after = before;
	if (ctx->c)
		notion_client_stats(ctx->c, &after);
	meta = db_metadata(ctx, res, &before, &after, sources, time_mono_ms() - t0);
	json_object_set_new(meta, "completeness",
			    completeness(ctx, db, sources, after.cap_windows - before.cap_windows));
	json_object_set_new(meta, "tokenEnv", json_string(config_token_env(db)));
	nv_err_clear(&err);
	if (write_evidence(ctx, db, res, meta, srcs, nds, started_at, &err)) {
		json_t *first = json_array_get(res->errors, 0);
		struct buf why = BUF_INIT;

		/* the store cannot take it (full?): the lock file keeps the reason */
		buf_addf(&why, "%s%s%s", json_is_string(first) ? json_string_value(first) : "",
			 json_is_string(first) ? "; then writing the evidence failed: " : "",
			 err.msg);
		failed_run_keep(ctx, db, why.data);
		buf_release(&why);
		sync_note(res->errors, "writing the evidence record failed: %s", err.msg);
		db_result_set_status(res, "failed");
	}
	json_decref(meta);
	json_decref(sources);
	for (size_t i = 0; i < nds; i++) {
		sync_source_run_release(&srcs[i]);
		schema_resolved_release(&resolved[i]);
	}
	free(resolved);
	free(pending);
	free(n_pending);
	free(srcs);
	ds_entries_free(ds, nds);
	return interrupted ? NV_EINTERRUPTED : rc;
}

/* The client of db's token (opts->clients), else c. NULL: its variable is not set. */
static struct notion_client *client_for(const struct sync_opts *opts, const struct db_config *db,
					struct notion_client *c)
{
	for (size_t i = 0; i < opts->n_clients; i++)
		if (!strcmp(opts->clients[i].token_env, config_token_env(db)))
			return opts->clients[i].c;
	return c;
}

/* The real run (a dry run calls it on its scratch store). */
static int run_real(struct store *s, const struct config *cfg, struct notion_client *c,
		    const struct sync_opts *opts, struct sync_report *report, struct nv_err *err)
{
	struct sync_run_ctx ctx;
	struct store_lock *lock = NULL;
	const struct db_config *only = NULL;
	size_t nfailed = 0;
	int interrupted = 0, rc;

	memset(report, 0, sizeof(*report));
	NV_ASSERT(!opts->dry_run);
	if (opts->database_id && !(only = config_find_db(cfg, opts->database_id)))
		return nv_err_set(err, NV_ECONFIG, "database %s is not in the config %s",
				  opts->database_id, cfg->path ? cfg->path : "");
	if ((rc = store_lock(s, &lock, err)))
		return rc;

	memset(&ctx, 0, sizeof(ctx));
	ctx.s = s;
	ctx.cfg = cfg;
	ctx.c = c;
	ctx.opts = opts;
	ctx.lookback_ms = opts->lookback_ms > 0 ? opts->lookback_ms : SYNC_DEFAULT_LOOKBACK_MS;
	ctx.trigger = opts->trigger ? opts->trigger : "manual";
	id_new_uuid(ctx.run_id);
	time_format_iso(time_now_ms(), ctx.started_at);
	ctx.lock = lock;
	if (lock) {
		char *note = store_lock_read_note(lock);
		ctx.failed_runs = note ? json_loads(note, 0, NULL) : NULL;
		if (!json_is_object(ctx.failed_runs)) {
			json_decref(ctx.failed_runs);
			ctx.failed_runs = json_object();
		}
		free(note);
	}

	report->dbs = xcalloc(cfg->n_dbs ? cfg->n_dbs : 1, sizeof(*report->dbs));
	for (size_t i = 0; i < cfg->n_dbs; i++) {
		const struct db_config *db = &cfg->dbs[i];
		struct sync_db_result *res;

		if (only ? db != only : !db->sync_enabled)
			continue;
		if (opts->stop && *opts->stop) {
			interrupted = 1;
			break;
		}
		res = &report->dbs[report->n++];
		ctx.c = client_for(opts, db, c);
		if (sync_database(&ctx, db, res) == NV_EINTERRUPTED)
			interrupted = 1;
		if (strcmp(res->status, "success")) {
			report->failed = 1;
			nfailed++;
		}
		if (interrupted)
			break;
	}
	if (lock)
		prune_failed_runs(&ctx);
	if (lock && ctx.failed_runs_changed) {
		char *note = json_object_size(ctx.failed_runs)
				     ? json_dumps(ctx.failed_runs, JSON_COMPACT)
				     : NULL;
		store_lock_note(lock, note);
		free(note);
	}
	json_decref(ctx.failed_runs);
	store_unlock(lock);
	if (interrupted)
		return nv_err_set(err, NV_EINTERRUPTED,
				  "the sync was stopped; finished work is kept "
				  "and the next run carries on");
	if (report->failed)
		return nv_err_set(err, NV_ERR, "%zu of %zu database%s did not sync completely",
				  nfailed, report->n, report->n == 1 ? "" : "s");
	return NV_OK;
}

/* Removes the dry run's scratch directory and the files in it. */
static void remove_scratch(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		struct buf path = BUF_INIT;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		buf_addf(&path, "%s/%s", dir, de->d_name);
		unlink(path.data);
		buf_release(&path);
	}
	closedir(d);
	rmdir(dir);
}

/* Clears the run ids of every sync state of s (a scratch copy). */
static int forget_runs(struct store *s, struct nv_err *err)
{
	struct sync_state *states = NULL;
	size_t n = 0;
	int rc;

	if ((rc = store_sync_state_list(s, &states, &n, err)))
		return rc;
	for (size_t i = 0; i < n && !rc; i++) {
		if (!states[i].run_id)
			continue;
		free(states[i].run_id);
		states[i].run_id = NULL;
		rc = store_sync_state_put(s, &states[i], err);
	}
	sync_states_free(states, n);
	return rc;
}

/*
 * Makes the dry run's scratch store under $TMPDIR: a consistent copy of s,
 * or an empty store when s is NULL (nothing synced yet). *dir (new) is the
 * directory to remove afterwards, also on failure.
 */
static int open_scratch(struct store *s, char **dir, struct store **out, struct nv_err *err)
{
	const char *tmp = getenv("TMPDIR");
	struct buf path = BUF_INIT;
	int running = 0, rc;

	*out = NULL;
	buf_addf(&path, "%s/nvault-dry-run.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	*dir = buf_detach(&path);
	if (!mkdtemp(*dir)) {
		rc = nv_err_set(err, NV_EIO,
				"cannot create a scratch directory for the dry run in %s: %s",
				tmp && *tmp ? tmp : "/tmp", strerror(errno));
		free(*dir);
		*dir = NULL;
		return rc;
	}
	buf_addf(&path, "%s/store.db", *dir);
	if (s && ((rc = store_sync_running(s, &running, err)) ||
		  (rc = store_copy_to(s, path.data, err))))
		goto out;
	if ((rc = store_open(path.data, 0, out, err)))
		goto out;
	/*
	 * A run in progress elsewhere left its run id in the copy; the copy
	 * would take it for a dead run and report it interrupted.
	 */
	if (running)
		rc = forget_runs(*out, err);
out:
	buf_release(&path);
	return rc;
}

/*
 * The dry run: the real engine against a scratch copy of the store, which
 * is then thrown away, so it reports exactly what a sync would do now and
 * cannot drift from it. s may be NULL when no store exists yet.
 */
static int run_dry(struct store *s, const struct config *cfg, struct notion_client *c,
		   const struct sync_opts *opts, struct sync_report *report, struct nv_err *err)
{
	struct sync_opts real = *opts;
	struct store *scratch = NULL;
	char *dir = NULL;
	int rc;

	memset(report, 0, sizeof(*report));
	real.dry_run = 0;
	if (!(rc = open_scratch(s, &dir, &scratch, err)))
		rc = run_real(scratch, cfg, c, &real, report, err);
	store_close(scratch);
	if (dir)
		remove_scratch(dir);
	free(dir);
	report->dry_run = 1;
	for (size_t i = 0; i < report->n; i++) {
		free(report->dbs[i].evidence_id); /* written to the scratch store only */
		report->dbs[i].evidence_id = NULL;
	}
	return rc;
}

int sync_run(struct store *s, const struct config *cfg, struct notion_client *c,
	     const struct sync_opts *opts, struct sync_report *report, struct nv_err *err)
{
	if (opts->dry_run)
		return run_dry(s, cfg, c, opts, report, err);
	return run_real(s, cfg, c, opts, report, err);
}

/* Whether db takes part in a run with these options. */
static int db_selected(const struct db_config *db, const struct config *cfg,
		       const struct sync_opts *opts)
{
	if (opts->database_id)
		return db == config_find_db(cfg, opts->database_id);
	return db->sync_enabled;
}

int sync_execute(struct store *s, const struct config *cfg, const struct settings *st,
		 const struct sync_opts *opts, struct sync_report *report, struct nv_err *err)
{
	struct sync_client *clients = NULL;
	size_t n = 0, cap = 0, made = 0;
	struct sync_opts o = *opts;
	struct buf missing = BUF_INIT;
	int rc = NV_OK;

	memset(report, 0, sizeof(*report));
	/* one client per distinct token variable of the databases to sync */
	for (size_t i = 0; i < cfg->n_dbs && !rc; i++) {
		const char *env = config_token_env(&cfg->dbs[i]);
		struct notion_client_opts co;
		char *token;
		size_t k;

		if (!db_selected(&cfg->dbs[i], cfg, opts))
			continue;
		for (k = 0; k < n && strcmp(clients[k].token_env, env); k++)
			;
		if (k < n)
			continue;
		clients = xgrow(clients, &cap, n + 1, sizeof(*clients));
		clients[n].token_env = env;
		clients[n].c = NULL;
		n++;
		if (!(token = settings_token(st, env))) {
			buf_addf(&missing, "%s%s", missing.len ? ", " : "", env);
			continue;
		}
		memset(&co, 0, sizeof(co));
		co.base_url = st->base_url;
		co.token = token;
		co.allow_insecure_http = st->allow_insecure_http;
		co.version = cfg->notion_version;
		co.rate_per_sec = st->rate_limit > 0 ? st->rate_limit : -1;
		co.max_retries = -1;
		co.stop = opts->stop;
		rc = notion_client_new(&co, &clients[n - 1].c, err);
		xfree_secret(token);
		if (!rc)
			made++;
	}
	/* no token at all: the one message, naming the file's tokenEnv if any */
	if (!rc && !made && n && !(rc = settings_require_token(st, cfg, NULL, err)))
		rc = nv_err_set(err, NV_ECONFIG, "%s %s not set", missing.data,
				strchr(missing.data, ',') ? "are" : "is");
	if (!rc) {
		o.clients = clients;
		o.n_clients = n;
		rc = sync_run(s, cfg, NULL, &o, report, err);
	}
	for (size_t i = 0; i < n; i++)
		notion_client_free(clients[i].c);
	free(clients);
	buf_release(&missing);
	return rc;
}

void sync_report_release(struct sync_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		struct sync_db_result *d = &r->dbs[i];
		free(d->database_id);
		free(d->name);
		free(d->status);
		json_decref(d->errors);
		json_decref(d->warnings);
		free(d->evidence_id);
	}
	free(r->dbs);
	memset(r, 0, sizeof(*r));
}

json_t *sync_report_to_json(const struct sync_report *r)
{
	json_t *dbs = json_array();

	for (size_t i = 0; i < r->n; i++) {
		const struct sync_db_result *d = &r->dbs[i];
		json_array_append_new(
			dbs,
			json_pack("{s:s s:s s:s s:I s:I s:I s:I s:I s:I s:I s:O s:O s:o}",
				  "databaseId", d->database_id, "name", d->name, "status",
				  d->status, "syncedCount", (json_int_t)d->synced, "createdCount",
				  (json_int_t)d->created, "updatedCount", (json_int_t)d->updated,
				  "unchangedCount", (json_int_t)d->unchanged, "deletedCount",
				  (json_int_t)d->deleted, "restoredCount", (json_int_t)d->restored,
				  "conflictCount", (json_int_t)d->conflicts, "errors", d->errors,
				  "warnings", d->warnings, "evidenceId",
				  d->evidence_id ? json_string(d->evidence_id) : json_null()));
	}
	return json_pack("{s:b s:b s:o}", "success", !r->failed, "dryRun", r->dry_run, "databases",
			 dbs);
}
