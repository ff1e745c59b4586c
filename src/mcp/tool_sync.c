/*
 * tool_sync.c: the notion_sync tool (SPEC §8): sync, status and
 * list_databases, over the application layer. A sync runs on the
 * app_syncer's worker thread with its own store connection, so the reading
 * thread keeps serving; the worker sends
 * notifications/progress when the request carried a progressToken and
 * answers the request itself when done. notifications/cancelled for that
 * request sets the engine's stop flag (the run ends after its current
 * transaction, nothing committed is lost) and suppresses the answer, as
 * MCP asks.
 *
 * The tool takes no paths: the store, the config file and the token come
 * from the server's own settings. Nothing here ever formats the token.
 */
#include "mcp/mcp_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "app/app.h"
#include "sync/sync.h"
#include "util/xalloc.h"

const struct mcp_param notion_sync_params[] = {
	{"action", P_STRING, "What to do.", NULL, 0, 0},
	{"databaseId", P_STRING,
	 "Sync only this configured Notion database (32 hex digits, dashes optional); default: "
	 "every enabled database.",
	 NULL, 0, 0},
	{"fullSync", P_BOOLEAN, "Re-read every row, ignoring the watermark (default false).", NULL,
	 0, 0},
	{"dryRun", P_BOOLEAN, "Read Notion and report what would change; write nothing.", NULL, 0,
	 0},
	{"limit", P_INTEGER, "schema_history: only the newest N changes (default 200).", NULL, 1,
	 10000},
	{NULL},
};

/* What the worker needs to answer the request: the call's environment and id. */
struct sync_call {
	const struct mcp_env *env;
	json_t *request_id;	/* the tools/call request to answer */
	json_t *progress_token; /* or NULL */
};

static void call_release(void *ud)
{
	struct sync_call *sc = ud;

	json_decref(sc->request_id);
	json_decref(sc->progress_token);
	free(sc);
}

/* The run's progress → notifications/progress. */
static void on_progress(void *ud, int64_t value, int64_t total, const char *message)
{
	struct sync_call *sc = ud;
	json_t *params;

	if (!sc->progress_token)
		return;
	params = json_pack("{s:O, s:I, s:s}", "progressToken", sc->progress_token, "progress",
			   (json_int_t)value, "message", message);
	if (total >= 0)
		json_object_set_new(params, "total", json_integer(total));
	sc->env->notify(sc->env->ud, "notifications/progress", params);
}

/* One line summing up a finished run. */
static void summarise(struct buf *text, const struct sync_report *r)
{
	int64_t created = 0, updated = 0, unchanged = 0, deleted = 0;
	size_t failed = 0;

	for (size_t i = 0; i < r->n; i++) {
		created += r->dbs[i].created;
		updated += r->dbs[i].updated;
		unchanged += r->dbs[i].unchanged;
		deleted += r->dbs[i].deleted;
		if (r->dbs[i].status && strcmp(r->dbs[i].status, "success"))
			failed++;
	}
	if (r->failed)
		buf_addf(text, "Sync FAILED for %zu of %zu database%s.", failed, r->n,
			 r->n == 1 ? "" : "s");
	else
		buf_addf(text, "Sync %s: %zu database%s.",
			 r->dry_run ? "dry run done" : "succeeded", r->n, r->n == 1 ? "" : "s");
	buf_addf(text,
		 " %s %" PRId64 " created, %" PRId64 " updated, %" PRId64 " unchanged, %" PRId64
		 " deleted.",
		 r->dry_run ? "Would have:" : "Tasks:", created, updated, unchanged, deleted);
	for (size_t i = 0; i < r->n; i++) {
		json_t *e = json_array_get(r->dbs[i].errors, 0);
		if (json_is_string(e))
			buf_addf(text, " %s: %s.",
				 r->dbs[i].name ? r->dbs[i].name : r->dbs[i].database_id,
				 json_string_value(e));
	}
}

/* The structured result of a run that produced a report. */
static json_t *report_result(const struct sync_report *r)
{
	json_t *j = sync_report_to_json(r);
	json_t *out;

	if (json_is_object(j)) {
		out = j;
	} else {
		out = json_object();
		json_object_set_new(out, "databases", j ? j : json_array());
	}
	json_object_set_new(out, "success", json_boolean(!r->failed));
	json_object_set_new(out, "dryRun", json_boolean(r->dry_run));
	json_object_set_new(out, "action", json_string("sync"));
	return out;
}

/* The finished run → the answer to the tools/call request. */
static void on_done(void *ud, const struct app_sync_result *r)
{
	struct sync_call *sc = ud;
	const struct nv_err *err = r->err;
	struct buf text = BUF_INIT;
	json_t *result;
	int rc = r->rc;

	if (rc == NV_OK || rc == NV_ERR) {
		if (rc == NV_ERR && !r->report->n) {
			buf_addf(&text, "notion_sync sync failed: %s", err->msg);
			result = mcp_tool_result(NULL, text.data, 1);
		} else {
			json_t *structured = report_result(r->report);
			summarise(&text, r->report);
			mcp_fit_result(structured, &text, mcp_reply_budget());
			result = mcp_tool_result(structured, text.data, 0);
		}
	} else if (rc == NV_ELOCKED) {
		buf_addf(&text,
			 "notion_sync sync failed: a sync is already running (%s); try again "
			 "when it has finished",
			 err->msg);
		result = mcp_tool_result(NULL, text.data, 1);
	} else if (rc == NV_EINTERRUPTED) {
		buf_addf(&text, "notion_sync sync interrupted: %s",
			 err->msg[0]
				 ? err->msg
				 : "stopped; every page committed before the stop is kept and the "
				   "next sync resumes");
		result = mcp_tool_result(NULL, text.data, 1);
	} else {
		buf_addf(&text, "notion_sync sync failed: %s",
			 err->msg[0] ? err->msg : nv_status_name(rc));
		result = mcp_tool_result(NULL, text.data, 1);
	}
	buf_release(&text);
	sc->env->respond(sc->env->ud, sc->request_id, result);
}

/* Loads the server's config; errors are tool errors (the path is the server's own). */
static int load_config(struct mcp_call *c, struct config **cfg, struct nv_err *err)
{
	int rc = config_load(c->env->st->config_path, cfg, err);
	if (rc)
		nv_err_prefix(err, "sync configuration");
	return rc;
}

static int act_sync(struct mcp_call *c, struct nv_err *err)
{
	json_t *meta = json_object_get(c->req->params, "_meta");
	json_t *token = json_object_get(meta, "progressToken");
	struct app_sync_req req = {.database_id = mcp_arg_str(c, "databaseId"),
				   .full = mcp_arg_bool(c, "fullSync", 0),
				   .dry_run = mcp_arg_bool(c, "dryRun", 0),
				   .trigger = "mcp",
				   .tag = c->req->id};
	struct app_sync_hooks hooks = {on_progress, on_done, call_release, NULL};
	struct sync_call *sc;
	int rc;

	if (!c->req->id)
		return nv_err_set(err, NV_EINVAL, "a sync must be a request (with an id)");
	sc = xcalloc(1, sizeof(*sc));
	sc->env = c->env;
	/* Own copies: the request's values are released by the reading thread. */
	sc->request_id = json_deep_copy(c->req->id);
	if (json_is_string(token) || json_is_integer(token))
		sc->progress_token = json_deep_copy(token);
	hooks.ud = sc;
	if ((rc = app_syncer_start(c->env->syncer, &req, &hooks, err))) {
		call_release(sc);
		return rc;
	}
	c->deferred = 1;
	return 0;
}

static int act_status(struct mcp_call *c, struct nv_err *err)
{
	struct store *s;
	struct sync_state *states = NULL;
	struct evidence *ev = NULL;
	size_t n_states = 0, n_ev = 0;
	json_t *sched = NULL, *jstates, *jev, *last_run;
	int rc, running = app_syncer_running(c->env->syncer);

	if ((rc = mcp_call_store_if_any(c, &s, err)))
		return rc;
	/* the same scheduler view as `nvault status`: a dead daemon's pid is not "running" */
	if ((rc = app_status_json(s, c->env->st, NULL, &sched, err)))
		return rc;
	/* no store yet: nothing synced, no runs */
	if (s && (rc = store_sync_state_list(s, &states, &n_states, err)))
		goto out;
	if (s && (rc = store_evidence_list(s, NULL, 10, &ev, &n_ev, err)))
		goto out;
	jstates = json_array();
	for (size_t i = 0; i < n_states; i++)
		json_array_append_new(jstates, app_data_source_json(&states[i]));
	jev = json_array();
	for (size_t i = 0; i < n_ev; i++)
		json_array_append_new(jev, evidence_to_json(&ev[i]));
	c->result = json_pack(
		"{s:b, s:{s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?}, s:o, s:o}", "syncRunning",
		running, "scheduler", "enabled", json_object_get(sched, "enabled"), "daemonRunning",
		json_object_get(sched, "running"), "schedule", json_object_get(sched, "schedule"),
		"nextRun", json_object_get(sched, "nextRun"), "lastRun",
		json_object_get(sched, "lastRun"), "lastRunSuccess",
		json_object_get(sched, "lastRunSuccess"), "lastRunError",
		json_object_get(sched, "lastRunError"), "dataSources", jstates, "recentRuns", jev);
	last_run = json_object_get(sched, "lastRun");
	buf_addf(&c->text, "%s. %zu data source%s synced before; last scheduled run: %s.",
		 running ? "A sync started in this session is running"
			 : "No sync running in this session",
		 n_states, n_states == 1 ? "" : "s",
		 json_is_string(last_run) ? json_string_value(last_run) : "never");
out:
	sync_states_free(states, n_states);
	evidence_free_array(ev, n_ev);
	json_decref(sched);
	return rc;
}

static int act_list_databases(struct mcp_call *c, struct nv_err *err)
{
	struct store *s;
	struct config *cfg = NULL;
	json_t *dbs, *d;
	size_t i;
	int rc;

	if ((rc = mcp_call_store_if_any(c, &s, err)) || (rc = load_config(c, &cfg, err)))
		return rc;
	if ((rc = app_databases_json(s, cfg, &dbs, err)))
		goto out;
	json_array_foreach(dbs, i, d)
	{
		const char *name = json_string_value(json_object_get(d, "name"));
		buf_addf(&c->text, "%s%s (%s): %" JSON_INTEGER_FORMAT " tasks%s", i ? "; " : "",
			 name ? name : "(unnamed)",
			 json_string_value(json_object_get(d, "databaseId")),
			 json_integer_value(json_object_get(d, "activeTasks")),
			 json_is_true(json_object_get(d, "syncEnabled")) ? "" : ", sync disabled");
	}
	if (!cfg->n_dbs)
		buf_adds(&c->text, "No databases configured");
	buf_adds(&c->text, ".");
	c->result = json_pack("{s:o, s:s}", "databases", dbs, "notionVersion",
			      cfg->notion_version ? cfg->notion_version : "2025-09-03");
out:
	config_free(cfg);
	return rc;
}

/* schema_history: how the data sources' property schemas changed, oldest first (read-only). */
static int act_schema_history(struct mcp_call *c, struct nv_err *err)
{
	struct store *s;
	struct schema_event *ev = NULL;
	size_t n = 0, renamed = 0;
	json_t *items, *lim = json_object_get(c->args, "limit");
	int rc;

	if ((rc = mcp_call_store(c, &s, err)))
		return rc;
	if ((rc = store_schema_events(
		     s, NULL, json_string_value(json_object_get(c->args, "databaseId")),
		     json_is_integer(lim) ? json_integer_value(lim) : 200, &ev, &n, err)))
		return rc;
	items = json_array();
	for (size_t i = 0; i < n; i++) {
		json_array_append_new(items, schema_event_to_json(&ev[i]));
		renamed += !strcmp(ev[i].kind, "renamed");
	}
	c->result = json_pack("{s:o s:I}", "changes", items, "count", (json_int_t)n);
	buf_addf(&c->text, "%zu schema change%s (oldest first; %zu rename%s).", n,
		 n == 1 ? "" : "s", renamed, renamed == 1 ? "" : "s");
	schema_events_free(ev, n);
	return 0;
}

const struct mcp_action notion_sync_actions[] = {
	{"sync", act_sync, NULL},
	{"status", act_status, NULL},
	{"list_databases", act_list_databases, NULL},
	{"schema_history", act_schema_history, NULL},
	{NULL, NULL, NULL},
};
