/*
 * cmd_status.c: `nvault status`: the scheduler state a daemon recorded in
 * the store (running, schedule, next and last run with its result) and,
 * per data source, the last sync (sync state plus the newest evidence
 * record of its database). Works from any process, daemon running or not;
 * a daemon that died without cleaning up (stale pid) shows as not running.
 * Never creates a store.
 *
 * The JSON document is built by the application layer (app_status_json(),
 * shared with MCP); the text rendering reads from it, so both say the same thing.
 */
#include "cli/commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "store/store.h"
#include "util/log.h"

static const char status_description[] =
	"Show the scheduler state recorded by 'nvault daemon' (running, schedule,\n"
	"next run, last run and its result) and, per data source, the last sync.\n"
	"schedule/enabled come from the daemon's record, or from the current\n"
	"settings when no daemon has run yet. A daemon that died without stopping\n"
	"cleanly is shown as not running.";

static const char *json_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static void print_status_text(const json_t *doc)
{
	const json_t *sources = json_object_get(doc, "dataSources");
	const json_t *success = json_object_get(doc, "lastRunSuccess");
	static const char *const headers[] = {"DATABASE", "DATA SOURCE", "LAST SYNC",
					      "STATUS",	  "TRIGGER",	 "WATERMARK"};
	struct table t;
	size_t i;
	json_t *ds;

	if (json_is_true(json_object_get(doc, "running")))
		printf("daemon:     running (pid %lld)\n",
		       (long long)json_integer_value(json_object_get(doc, "pid")));
	else
		printf("daemon:     not running\n");
	printf("enabled:    %s\n", json_is_true(json_object_get(doc, "enabled")) ? "yes" : "no");
	printf("schedule:   %s\n", json_str(doc, "schedule") ? json_str(doc, "schedule") : "-");
	printf("next run:   %s\n", json_str(doc, "nextRun") ? json_str(doc, "nextRun") : "-");
	if (json_str(doc, "lastRun"))
		printf("last run:   %s (%s)\n", json_str(doc, "lastRun"),
		       json_is_true(success)	       ? "success"
		       : json_str(doc, "lastRunError") ? json_str(doc, "lastRunError")
						       : "failed");
	else
		printf("last run:   -\n");
	if (!json_is_true(json_object_get(doc, "storeExists"))) {
		printf("\nno store at %s yet (nothing synced)\n", json_str(doc, "store"));
		return;
	}
	if (!json_array_size(sources)) {
		printf("\nno databases synced or configured\n");
		return;
	}
	printf("\n");
	table_init(&t, 6, headers);
	json_array_foreach(sources, i, ds)
	{
		const json_t *last = json_object_get(ds, "lastSync");
		const char *cells[6];
		cells[0] = json_str(ds, "name") ? json_str(ds, "name") : json_str(ds, "databaseId");
		cells[1] = json_str(ds, "dataSourceId");
		cells[2] = json_str(last, "finishedAt") ? json_str(last, "finishedAt")
							: json_str(last, "startedAt");
		cells[3] = json_is_true(json_object_get(ds, "runInProgress")) ? "running"
			   : json_is_object(last) ? json_str(last, "status")
						  : "never synced";
		cells[4] = json_str(last, "trigger");
		cells[5] = json_str(ds, "watermark");
		table_add(&t, cells);
	}
	table_print(&t, stdout);
	table_release(&t);
}

int cmd_status(struct cli_ctx *ctx, int argc, char **argv)
{
	const struct settings *set;
	struct config *cfg = NULL;
	struct store *s = NULL;
	struct nv_err err;
	json_t *doc = NULL;
	int rc;

	if (cli_parse(ctx, argc, argv, NULL, "nvault status", status_description, 0, 0))
		return ctx->exit_code;
	if ((rc = cli_settings(ctx, &set)))
		return rc;
	nv_err_clear(&err);
	/* names only: a missing or broken config must not hide the status */
	if (config_load(set->config_path, &cfg, &err)) {
		log_info("not showing database names: %s", err.msg);
		cfg = NULL;
		nv_err_clear(&err);
	}
	rc = store_open(set->db_path, STORE_READONLY | STORE_NO_CREATE, &s, &err);
	if (rc && rc != NV_ENOTFOUND)
		goto fail;
	if ((rc = app_status_json(s, set, cfg, &doc, &err)))
		goto fail;
	if (ctx->json)
		cli_print_json(doc);
	else
		print_status_text(doc);
	json_decref(doc);
	store_close(s);
	config_free(cfg);
	return 0;
fail:
	store_close(s);
	config_free(cfg);
	return cli_error(ctx, &err);
}
