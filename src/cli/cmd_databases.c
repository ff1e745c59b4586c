/*
 * cmd_databases.c: `nvault databases`: the databases of the config with
 * their task counts (active and deleted), their data sources' watermarks
 * and last complete deletion scan, and the last sync's evidence. Reads the
 * store read-only; a store that does not exist yet shows zero tasks.
 */
#include "cli/commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "util/id.h"

static int same_id(const char *a, const char *b)
{
	char x[33], y[33];

	return a && b && !id_compact(a, x) && !id_compact(b, y) && !strcmp(x, y);
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* One database's entry (new reference); store may be NULL (no store yet). */
static int database_json(struct store *s, const struct db_config *db,
			 const struct sync_state *states, size_t nstates, json_t **out,
			 struct nv_err *err)
{
	int64_t active = 0, deleted = 0;
	json_t *sources = json_array(), *last = json_null(), *o;
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
		json_array_append_new(sources,
				      json_pack("{s:s s:o s:o s:o s:b}", "dataSourceId",
						st->data_source_id, "watermark",
						str_or_null(st->watermark), "lastFullScanAt",
						str_or_null(st->last_full_scan_at), "resumeAfter",
						str_or_null(st->resume_after), "runInProgress",
						st->run_id != NULL));
		/* the database's watermark is its least advanced data source's */
		if (st->watermark && (!watermark || strcmp(st->watermark, watermark) < 0))
			watermark = st->watermark;
		if (st->last_full_scan_at && (!scan || strcmp(st->last_full_scan_at, scan) < 0))
			scan = st->last_full_scan_at;
		running |= st->run_id != NULL;
	}
	o = json_pack("{s:s s:o s:o s:b s:o s:I s:I s:o s:o s:b s:o s:o}", "databaseId",
		      db->database_id, "name", str_or_null(db->name), "scope",
		      str_or_null(db->scope), "syncEnabled", db->sync_enabled, "dataSourceId",
		      str_or_null(db->data_source_id), "activeTasks", (json_int_t)active,
		      "deletedTasks", (json_int_t)deleted, "watermark", str_or_null(watermark),
		      "lastFullScanAt", str_or_null(scan), "runInProgress", running, "lastSync",
		      last, "dataSources", sources);
	*out = o;
	return NV_OK;
}

static void print_table(const json_t *dbs)
{
	static const char *const headers[] = {"DATABASE",  "NAME",	"SCOPE",
					      "ENABLED",   "TASKS",	"DELETED",
					      "WATERMARK", "LAST SYNC", "STATUS"};
	struct table t;
	json_t *d;
	size_t i;

	table_init(&t, 9, headers);
	json_array_foreach(dbs, i, d)
	{
		char active[24], deleted[24];
		json_t *last = json_object_get(d, "lastSync");
		const char *cells[9];

		snprintf(active, sizeof(active), "%lld",
			 (long long)json_integer_value(json_object_get(d, "activeTasks")));
		snprintf(deleted, sizeof(deleted), "%lld",
			 (long long)json_integer_value(json_object_get(d, "deletedTasks")));
		cells[0] = json_string_value(json_object_get(d, "databaseId"));
		cells[1] = json_string_value(json_object_get(d, "name"));
		cells[2] = json_string_value(json_object_get(d, "scope"));
		cells[3] = json_is_true(json_object_get(d, "syncEnabled")) ? "yes" : "no";
		cells[4] = active;
		cells[5] = deleted;
		cells[6] = json_string_value(json_object_get(d, "watermark"));
		cells[7] = json_string_value(json_object_get(last, "finishedAt"));
		cells[8] = json_string_value(json_object_get(last, "status"));
		table_add(&t, cells);
	}
	table_print(&t, stdout);
	table_release(&t);
}

int cmd_databases(struct cli_ctx *ctx, int argc, char **argv)
{
	const struct settings *st;
	struct config *cfg = NULL;
	struct store *s = NULL;
	struct sync_state *states = NULL;
	size_t nstates = 0;
	json_t *dbs;
	struct nv_err err;
	int rc;

	if (cli_parse(
		    ctx, argc, argv, NULL, "nvault databases",
		    "List the databases of the sync config with their task counts (active and\n"
		    "deleted), watermark (the newest Notion edit time backed up; for several data\n"
		    "sources the least advanced), and the last sync's status.",
		    0, 0))
		return ctx->exit_code;
	dbs = json_array();
	if ((rc = cli_settings(ctx, &st)) || (rc = cli_load_config(ctx, &cfg)))
		goto out;
	nv_err_clear(&err);
	rc = store_open(st->db_path, STORE_READONLY | STORE_NO_CREATE, &s, &err);
	if (rc == NV_ENOTFOUND) {
		s = NULL;
		rc = NV_OK;
	} else if (rc || (rc = store_sync_state_list(s, &states, &nstates, &err))) {
		rc = cli_error(ctx, &err);
		goto out;
	}
	for (size_t i = 0; i < cfg->n_dbs; i++) {
		json_t *d;
		if ((rc = database_json(s, &cfg->dbs[i], states, nstates, &d, &err))) {
			rc = cli_error(ctx, &err);
			goto out;
		}
		json_array_append_new(dbs, d);
	}
	if (ctx->json) {
		json_t *doc = json_pack("{s:s s:O}", "config", cfg->path ? cfg->path : "",
					"databases", dbs);
		cli_print_json(doc);
		json_decref(doc);
	} else if (!cfg->n_dbs) {
		printf("No databases in %s.\n", cfg->path ? cfg->path : "the config");
	} else {
		print_table(dbs);
	}
out:
	json_decref(dbs);
	sync_states_free(states, nstates);
	store_close(s);
	config_free(cfg);
	return rc;
}
