/*
 * cmd_databases.c: `nvault databases`: the databases of the config with
 * their task counts (active and deleted), their data sources' watermarks
 * and last complete deletion scan, and the last sync's evidence: the view
 * app_databases_json() that MCP's list_databases shares. Reads the store
 * read-only; a store that does not exist yet shows zero tasks.
 */
#include "cli/commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "store/store.h"

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
		cells[2] = json_string_value(json_object_get(d, "scopeId"));
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
	json_t *dbs = NULL;
	struct nv_err err;
	int rc;

	if (cli_parse(
		    ctx, argc, argv, NULL, "nvault databases",
		    "List the databases of the sync config with their task counts (active and\n"
		    "deleted), watermark (the newest Notion edit time backed up; for several data\n"
		    "sources the least advanced), and the last sync's status.",
		    0, 0))
		return ctx->exit_code;
	if ((rc = cli_settings(ctx, &st)) || (rc = cli_load_config(ctx, &cfg)))
		goto out;
	nv_err_clear(&err);
	rc = store_open(st->db_path, STORE_READONLY | STORE_NO_CREATE, &s, &err);
	if (rc == NV_ENOTFOUND) {
		s = NULL;
		rc = NV_OK;
	}
	if (rc || (rc = app_databases_json(s, cfg, &dbs, &err))) {
		rc = cli_error(ctx, &err);
		goto out;
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
	store_close(s);
	config_free(cfg);
	return rc;
}
