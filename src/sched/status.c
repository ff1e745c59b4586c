/*
 * status.c: the status document of `nvault status` and the MCP status
 * action; see status.h. Read-only: it never writes to the store.
 */
#include "sched/status.h"

#include <string.h>

#include "sched/daemon.h"
#include "util/log.h"

/* A new JSON string, or null for NULL. */
static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
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

static json_t *data_source_json(struct store *s, const struct config *cfg, const char *database_id,
				const struct sync_state *st)
{
	const struct db_config *db = cfg && database_id ? config_find_db(cfg, database_id) : NULL;

	return json_pack("{s:o s:o s:o s:o s:o s:b s:o}", "databaseId", str_or_null(database_id),
			 "name", str_or_null(db ? db->name : NULL), "dataSourceId",
			 str_or_null(st ? st->data_source_id : NULL), "watermark",
			 str_or_null(st ? st->watermark : NULL), "lastFullScanAt",
			 str_or_null(st ? st->last_full_scan_at : NULL), "runInProgress",
			 st && st->run_id, "lastSync", last_sync_json(s, database_id));
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
		json_array_append_new(arr,
				      data_source_json(s, cfg, states[i].database_id, &states[i]));
	for (size_t i = 0; cfg && i < cfg->n_dbs; i++) {
		const struct db_config *db = &cfg->dbs[i];
		int seen = 0;
		for (size_t j = 0; j < n && !seen; j++)
			seen = states[j].database_id &&
			       config_find_db(cfg, states[j].database_id) == db;
		if (!seen)
			json_array_append_new(arr, data_source_json(s, cfg, db->database_id, NULL));
	}
	sync_states_free(states, n);
	return NV_OK;
}

int sched_status_json(struct store *s, const struct settings *set, const struct config *cfg,
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
	json_object_set_new(*out, "store", json_string(set->db_path));
	json_object_set_new(*out, "storeExists", json_boolean(s != NULL));
	json_object_set_new(*out, "dataSources", sources);
	sched_state_release(&st);
	return NV_OK;
}
