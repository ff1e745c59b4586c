/*
 * app_status.c: the status and database views (see app.h) that `nvault
 * status`, `nvault databases` and the MCP status reads share, with one
 * shape for a data source's sync state. Read-only: nothing here writes to the store.
 */
#include "app/app.h"

#include <string.h>

#include "sched/daemon.h"
#include "util/id.h"
#include "util/log.h"

/* A new JSON string, or null for NULL. */
static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static int same_id(const char *a, const char *b)
{
	char x[33], y[33];

	return a && b && !id_compact(a, x) && !id_compact(b, y) && !strcmp(x, y);
}

json_t *app_data_source_json(const struct sync_state *st)
{
	return json_pack("{s:o s:o s:o s:o s:o s:b s:o}", "dataSourceId",
			 str_or_null(st->data_source_id), "databaseId",
			 str_or_null(st->database_id), "watermark", str_or_null(st->watermark),
			 "lastFullScanAt", str_or_null(st->last_full_scan_at), "resumeAfter",
			 str_or_null(st->resume_after), "runInProgress", st->run_id != NULL,
			 "runStartedAt", str_or_null(st->run_started_at));
}

/* The scheduler fields of the status document. */
static json_t *scheduler_json(const struct sched_state *st, const struct settings *set)
{
	int recorded = st->schedule || st->updated_at;
	int running = st->running && daemon_pid_alive(st->pid);

	return json_pack("{s:b s:o s:b s:o s:o s:o s:o s:o s:o}", "running", running, "pid",
			 running ? json_integer((json_int_t)st->pid) : json_null(), "enabled",
			 recorded ? st->enabled : set->sync_enabled, "schedule",
			 str_or_null(recorded ? st->schedule : set->schedule), "nextRun",
			 str_or_null(running ? st->next_run : NULL), "lastRun",
			 str_or_null(st->last_run), "lastRunSuccess",
			 st->last_run ? json_boolean(st->last_run_success) : json_null(),
			 "lastRunError", str_or_null(st->last_run ? st->last_run_error : NULL),
			 "updatedAt", str_or_null(st->updated_at));
}

/* The newest evidence record of a database as JSON, or null. */
static json_t *last_sync_json(struct store *s, const char *database_id)
{
	struct evidence *ev = NULL;
	struct nv_err err;
	size_t n = 0;
	json_t *out;

	nv_err_clear(&err);
	if (!database_id || store_evidence_list(s, database_id, 1, &ev, &n, &err)) {
		if (err.msg[0])
			log_warn("reading evidence of %s: %s", database_id, err.msg);
		return json_null();
	}
	out = n ? evidence_to_json(&ev[0]) : json_null();
	evidence_free_array(ev, n);
	return out;
}

/* A status entry: the data source's state (or only the database id) plus name and lastSync. */
static json_t *status_source_json(struct store *s, const struct config *cfg,
				  const char *database_id, const struct sync_state *st)
{
	const struct db_config *db = cfg && database_id ? config_find_db(cfg, database_id) : NULL;
	struct sync_state none;
	json_t *o;

	if (!st) {
		sync_state_init(&none);
		none.database_id = (char *)database_id;
		st = &none;
	}
	o = app_data_source_json(st);
	json_object_set_new(o, "name", str_or_null(db ? db->name : NULL));
	json_object_set_new(o, "lastSync", last_sync_json(s, database_id));
	return o;
}

/* One entry per synced data source, then configured databases never synced. */
static int data_sources_json(struct store *s, const struct config *cfg, json_t *arr,
			     struct nv_err *err)
{
	struct sync_state *states = NULL;
	size_t n = 0;
	int rc;

	if ((rc = store_sync_state_list(s, &states, &n, err)))
		return rc;
	for (size_t i = 0; i < n; i++)
		json_array_append_new(
			arr, status_source_json(s, cfg, states[i].database_id, &states[i]));
	for (size_t i = 0; cfg && i < cfg->n_dbs; i++) {
		const struct db_config *db = &cfg->dbs[i];
		int seen = 0;
		for (size_t j = 0; j < n && !seen; j++)
			seen = states[j].database_id &&
			       config_find_db(cfg, states[j].database_id) == db;
		if (!seen)
			json_array_append_new(arr,
					      status_source_json(s, cfg, db->database_id, NULL));
	}
	sync_states_free(states, n);
	return NV_OK;
}

int app_status_json(struct store *s, const struct settings *set, const struct config *cfg,
		    json_t **out, struct nv_err *err)
{
	struct sched_state st;
	json_t *sources = json_array();
	int rc;

	*out = NULL;
	sched_state_init(&st);
	if (s && ((rc = store_sched_state_get(s, &st, err)) ||
		  (rc = data_sources_json(s, cfg, sources, err)))) {
		json_decref(sources);
		sched_state_release(&st);
		return rc;
	}
	*out = scheduler_json(&st, set);
	json_object_set_new(*out, "store", json_string(set->db_shown));
	json_object_set_new(*out, "storeExists", json_boolean(s != NULL));
	json_object_set_new(*out, "dataSources", sources);
	sched_state_release(&st);
	return NV_OK;
}

/* One database's entry (new reference); s may be NULL (no store yet). */
static int database_json(struct store *s, const struct db_config *db,
			 const struct sync_state *states, size_t nstates, json_t **out,
			 struct nv_err *err)
{
	int64_t active = 0, deleted = 0;
	json_t *sources = json_array(), *last = json_null();
	const char *watermark = NULL, *scan = NULL;
	int running = 0;

	if (s) {
		struct evidence *ev = NULL;
		size_t nev = 0;
		int rc = store_count_tasks(s, db->database_id, NULL, &active, &deleted, err);
		if (!rc)
			rc = store_evidence_list(s, db->database_id, 1, &ev, &nev, err);
		if (rc) {
			json_decref(sources);
			return rc;
		}
		if (nev)
			last = json_pack("{s:o s:o s:o s:o s:O}", "evidenceId",
					 str_or_null(ev[0].id), "status", str_or_null(ev[0].status),
					 "startedAt", str_or_null(ev[0].started_at), "finishedAt",
					 str_or_null(ev[0].finished_at), "metadata",
					 ev[0].metadata ? ev[0].metadata : json_null());
		evidence_free_array(ev, nev);
	}
	for (size_t i = 0; i < nstates; i++) {
		const struct sync_state *st = &states[i];
		if (!same_id(st->database_id, db->database_id))
			continue;
		json_array_append_new(sources, app_data_source_json(st));
		/* the database's watermark is its least advanced data source's */
		if (st->watermark && (!watermark || strcmp(st->watermark, watermark) < 0))
			watermark = st->watermark;
		if (st->last_full_scan_at && (!scan || strcmp(st->last_full_scan_at, scan) < 0))
			scan = st->last_full_scan_at;
		running |= st->run_id != NULL;
	}
	*out = json_pack("{s:s s:o s:o s:b s:o s:I s:I s:o s:o s:b s:o s:o}", "databaseId",
			 db->database_id, "name", str_or_null(db->name), "scopeId",
			 str_or_null(db->scope), "syncEnabled", db->sync_enabled, "dataSourceId",
			 str_or_null(db->data_source_id), "activeTasks", (json_int_t)active,
			 "deletedTasks", (json_int_t)deleted, "watermark", str_or_null(watermark),
			 "lastFullScanAt", str_or_null(scan), "runInProgress", running, "lastSync",
			 last, "dataSources", sources);
	return NV_OK;
}

int app_databases_json(struct store *s, const struct config *cfg, json_t **out, struct nv_err *err)
{
	struct sync_state *states = NULL;
	size_t nstates = 0;
	json_t *dbs = json_array();
	int rc = 0;

	*out = NULL;
	if (s && (rc = store_sync_state_list(s, &states, &nstates, err)))
		goto out;
	for (size_t i = 0; i < cfg->n_dbs; i++) {
		json_t *d;
		if ((rc = database_json(s, &cfg->dbs[i], states, nstates, &d, err)))
			goto out;
		json_array_append_new(dbs, d);
	}
	*out = dbs;
	dbs = NULL;
out:
	json_decref(dbs);
	sync_states_free(states, nstates);
	return rc;
}
