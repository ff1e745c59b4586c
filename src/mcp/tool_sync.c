/*
 * tool_sync.c: the notion_sync tool (SPEC §8): sync, status and
 * list_databases. A sync runs on one worker thread with its own store
 * connection, so the reading thread keeps serving; the worker sends
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
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "sched/status.h"
#include "sync/sync.h"
#include "util/id.h"
#include "util/log.h"
#include "util/xalloc.h"

static const char *const sync_actions[] = {"sync", "status", "list_databases", NULL};

const struct mcp_param notion_sync_params[] = {
	{"action", P_STRING, "What to do.", sync_actions, 0, 0},
	{"databaseId", P_STRING,
	 "Sync only this configured Notion database (32 hex digits, dashes optional); default: "
	 "every enabled database.",
	 NULL, 0, 0},
	{"fullSync", P_BOOLEAN, "Re-read every row, ignoring the watermark (default false).", NULL,
	 0, 0},
	{"dryRun", P_BOOLEAN, "Read Notion and report what would change; write nothing.", NULL, 0,
	 0},
	{NULL},
};

struct mcp_sync_job {
	struct mcp_server *m;
	json_t *request_id;	/* the tools/call request to answer */
	json_t *progress_token; /* or NULL */
	struct config *cfg;
	char database_id[ID_DASHED_LEN + 1]; /* "" = all */
	int full, dry_run;
	volatile int stop; /* the engine's stop flag */
	int cancelled;	   /* by the client: send no answer (job_lock) */
	int finished;	   /* the worker is done (job_lock) */
	pthread_t thread;
	/* progress (worker thread only) */
	char current_db[ID_DASHED_LEN + 1];
	int64_t rows_before; /* rows of the databases already finished */
	int64_t rows_current;
	int64_t last_sent;
};

static void job_free(struct mcp_sync_job *job)
{
	if (!job)
		return;
	json_decref(job->request_id);
	json_decref(job->progress_token);
	config_free(job->cfg);
	free(job);
}

int mcp_sync_running(struct mcp_server *m)
{
	int running;

	pthread_mutex_lock(&m->job_lock);
	running = m->job && !m->job->finished;
	pthread_mutex_unlock(&m->job_lock);
	return running;
}

void mcp_sync_cancel(struct mcp_server *m, const json_t *request_id)
{
	pthread_mutex_lock(&m->job_lock);
	if (m->job && !m->job->finished && json_equal(m->job->request_id, request_id)) {
		m->job->cancelled = 1;
		m->job->stop = 1;
		log_info("mcp: sync cancelled by the client; stopping after the current "
			 "transaction");
	}
	pthread_mutex_unlock(&m->job_lock);
}

void mcp_sync_finish(struct mcp_server *m, int stop)
{
	struct mcp_sync_job *job;

	pthread_mutex_lock(&m->job_lock);
	job = m->job;
	m->job = NULL;
	if (job && stop)
		job->stop = 1;
	pthread_mutex_unlock(&m->job_lock);
	if (!job)
		return;
	pthread_join(job->thread, NULL);
	job_free(job);
}

/* Engine progress → notifications/progress with a strictly increasing value. */
static void on_progress(void *ud, const struct sync_progress *p)
{
	struct mcp_sync_job *job = ud;
	int64_t value;
	json_t *params;
	char msg[256];

	if (!job->progress_token)
		return;
	if (p->database_id && strncmp(job->current_db, p->database_id, ID_DASHED_LEN)) {
		job->rows_before += job->rows_current;
		job->rows_current = 0;
		snprintf(job->current_db, sizeof(job->current_db), "%s", p->database_id);
	}
	job->rows_current = p->rows;
	value = job->rows_before + job->rows_current;
	if (value <= job->last_sent)
		return;
	job->last_sent = value;
	snprintf(msg, sizeof(msg),
		 "database %s: %" PRId64 " rows processed (%s), %" PRId64 " requests so far",
		 p->database_id ? p->database_id : "-", p->rows, p->phase ? p->phase : "-",
		 p->requests);
	params = json_pack("{s:O, s:I, s:s}", "progressToken", job->progress_token, "progress",
			   (json_int_t)value, "message", msg);
	jsonrpc_notify(&job->m->rpc, "notifications/progress", params);
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

static void *sync_worker(void *arg)
{
	struct mcp_sync_job *job = arg;
	struct mcp_server *m = job->m;
	struct sync_opts opts;
	struct sync_report report;
	struct store *s = NULL;
	struct nv_err err;
	struct buf text = BUF_INIT;
	json_t *result;
	int rc, cancelled;

	memset(&opts, 0, sizeof(opts));
	memset(&report, 0, sizeof(report));
	nv_err_clear(&err);
	opts.database_id = job->database_id[0] ? job->database_id : NULL;
	opts.full = job->full;
	opts.dry_run = job->dry_run;
	opts.trigger = "mcp";
	opts.stop = &job->stop;
	opts.progress = on_progress;
	opts.progress_ud = job;

	if (job->progress_token) {
		json_t *params = json_pack("{s:O, s:i, s:s}", "progressToken", job->progress_token,
					   "progress", 0, "message", "sync started");
		jsonrpc_notify(&m->rpc, "notifications/progress", params);
	}
	rc = store_open(m->st->db_path, 0, &s, &err);
	if (!rc)
		rc = sync_execute(s, job->cfg, m->st, &opts, &report, &err);
	store_close(s);

	if (rc == NV_OK || rc == NV_ERR) {
		if (rc == NV_ERR && !report.n) {
			buf_addf(&text, "notion_sync sync failed: %s", err.msg);
			result = mcp_tool_result(NULL, text.data, 1);
		} else {
			json_t *structured = report_result(&report);
			char *dump = json_dumps(structured, JSON_INDENT(2) | JSON_SORT_KEYS);
			summarise(&text, &report);
			buf_addf(&text, "\n\n%s", dump ? dump : "{}");
			free(dump);
			result = mcp_tool_result(structured, text.data, 0);
		}
	} else if (rc == NV_ELOCKED) {
		buf_addf(&text,
			 "notion_sync sync failed: a sync is already running (%s); try again "
			 "when it has finished",
			 err.msg);
		result = mcp_tool_result(NULL, text.data, 1);
	} else if (rc == NV_EINTERRUPTED) {
		buf_addf(&text, "notion_sync sync interrupted: %s",
			 err.msg[0]
				 ? err.msg
				 : "stopped; every page committed before the stop is kept and the "
				   "next sync resumes");
		result = mcp_tool_result(NULL, text.data, 1);
	} else {
		buf_addf(&text, "notion_sync sync failed: %s",
			 err.msg[0] ? err.msg : nv_status_name(rc));
		result = mcp_tool_result(NULL, text.data, 1);
	}
	sync_report_release(&report);
	buf_release(&text);

	/* Finished before answering, so a status call after the answer sees it. */
	pthread_mutex_lock(&m->job_lock);
	cancelled = job->cancelled;
	job->finished = 1;
	pthread_mutex_unlock(&m->job_lock);
	if (!cancelled)
		jsonrpc_respond(&m->rpc, job->request_id, result);
	else
		json_decref(result);
	return NULL;
}

/* Loads the server's config; errors are tool errors (the path is the server's own). */
static int load_config(struct mcp_call *c, struct config **cfg, struct nv_err *err)
{
	int rc = config_load(c->m->st->config_path, cfg, err);
	if (rc)
		nv_err_prefix(err, "sync configuration");
	return rc;
}

static int act_sync(struct mcp_call *c, struct nv_err *err)
{
	struct mcp_sync_job *job;
	struct config *cfg = NULL;
	const char *dbid = arg_str(c, "databaseId");
	json_t *meta = json_object_get(c->req->params, "_meta");
	json_t *token = json_object_get(meta, "progressToken");
	char norm[ID_DASHED_LEN + 1] = "";
	sigset_t block, old;
	int rc;

	if (!c->req->id)
		return nv_err_set(err, NV_EINVAL, "a sync must be a request (with an id)");
	if (dbid && id_normalize(dbid, norm))
		return nv_err_set(
			err, NV_EINVAL,
			"parameter 'databaseId' is not a Notion id (32 hex digits): '%.60s'", dbid);
	if (mcp_sync_running(c->m))
		return nv_err_set(err, NV_ELOCKED,
				  "a sync is already running (started in this session); wait for "
				  "it or cancel it");
	if (!c->m->st->api_key)
		return nv_err_set(err, NV_ECONFIG,
				  "NOTION_API_KEY is not set in the environment of the nvault mcp "
				  "server; add it to the server's env in the client configuration");
	if ((rc = load_config(c, &cfg, err)))
		return rc;
	if (norm[0] && !config_find_db(cfg, norm)) {
		struct buf b = BUF_INIT;
		for (size_t i = 0; i < cfg->n_dbs; i++)
			buf_addf(&b, "%s%s", i ? ", " : "", cfg->dbs[i].database_id);
		nv_err_set(err, NV_EINVAL,
			   "parameter 'databaseId': database %s is not configured (configured: %s)",
			   norm, b.len ? b.data : "none");
		buf_release(&b);
		config_free(cfg);
		return NV_EINVAL;
	}
	mcp_sync_finish(c->m, 0); /* reap the previous, finished run */

	job = xcalloc(1, sizeof(*job));
	job->m = c->m;
	/* Own copies: the request's values are released by the reading thread. */
	job->request_id = json_deep_copy(c->req->id);
	if (json_is_string(token) || json_is_integer(token))
		job->progress_token = json_deep_copy(token);
	job->cfg = cfg;
	memcpy(job->database_id, norm, sizeof(norm));
	job->full = arg_bool(c, "fullSync", 0);
	job->dry_run = arg_bool(c, "dryRun", 0);

	/* Signals belong to the reading thread, which turns them into a stop. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	rc = pthread_create(&job->thread, NULL, sync_worker, job);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		job_free(job);
		return nv_err_set(err, NV_ERR, "could not start the sync thread: %s", strerror(rc));
	}
	pthread_mutex_lock(&c->m->job_lock);
	c->m->job = job;
	pthread_mutex_unlock(&c->m->job_lock);
	c->deferred = 1;
	return 0;
}

static json_t *sync_state_json(const struct sync_state *st)
{
	return json_pack("{s:s?, s:s?, s:s?, s:s?, s:b, s:s?}", "dataSourceId", st->data_source_id,
			 "databaseId", st->database_id, "watermark", st->watermark,
			 "lastFullScanAt", st->last_full_scan_at, "runInProgress",
			 st->run_id != NULL, "runStartedAt", st->run_started_at);
}

static int act_status(struct mcp_call *c, struct nv_err *err)
{
	struct store *s;
	struct sync_state *states = NULL;
	struct evidence *ev = NULL;
	size_t n_states = 0, n_ev = 0;
	json_t *sched = NULL, *jstates, *jev, *last_run;
	int rc, running = mcp_sync_running(c->m);

	if ((rc = mcp_store(c->m, &s, err)))
		return rc;
	/* the same scheduler view as `nvault status`: a dead daemon's pid is not "running" */
	if ((rc = sched_status_json(s, c->m->st, NULL, &sched, err)))
		return rc;
	if ((rc = store_sync_state_list(s, &states, &n_states, err)))
		goto out;
	if ((rc = store_evidence_list(s, NULL, 10, &ev, &n_ev, err)))
		goto out;
	jstates = json_array();
	for (size_t i = 0; i < n_states; i++)
		json_array_append_new(jstates, sync_state_json(&states[i]));
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
	struct sync_state *states = NULL;
	size_t n_states = 0;
	json_t *dbs;
	int rc;

	if ((rc = mcp_store(c->m, &s, err)) || (rc = load_config(c, &cfg, err)))
		return rc;
	if ((rc = store_sync_state_list(s, &states, &n_states, err)))
		goto out;
	dbs = json_array();
	for (size_t i = 0; i < cfg->n_dbs; i++) {
		const struct db_config *db = &cfg->dbs[i];
		int64_t active = 0, deleted = 0;
		json_t *sources = json_array();

		if ((rc = store_count_tasks(s, db->database_id, NULL, &active, &deleted, err))) {
			json_decref(sources);
			json_decref(dbs);
			goto out;
		}
		for (size_t k = 0; k < n_states; k++)
			if (states[k].database_id &&
			    !strcmp(states[k].database_id, db->database_id))
				json_array_append_new(sources, sync_state_json(&states[k]));
		json_array_append_new(dbs,
				      json_pack("{s:s, s:s?, s:s?, s:s?, s:b, s:I, s:I, s:o}",
						"databaseId", db->database_id, "dataSourceId",
						db->data_source_id, "name", db->name, "scopeId",
						db->scope, "syncEnabled", db->sync_enabled,
						"activeTasks", (json_int_t)active, "deletedTasks",
						(json_int_t)deleted, "dataSources", sources));
		buf_addf(&c->text, "%s%s (%s): %" PRId64 " tasks%s", i ? "; " : "",
			 db->name ? db->name : "(unnamed)", db->database_id, active,
			 db->sync_enabled ? "" : ", sync disabled");
	}
	if (!cfg->n_dbs)
		buf_adds(&c->text, "No databases configured");
	buf_adds(&c->text, ".");
	c->result = json_pack("{s:o, s:s}", "databases", dbs, "notionVersion",
			      cfg->notion_version ? cfg->notion_version : "2025-09-03");
out:
	sync_states_free(states, n_states);
	config_free(cfg);
	return rc;
}

const struct mcp_action notion_sync_actions[] = {
	{"sync", act_sync, NULL},
	{"status", act_status, NULL},
	{"list_databases", act_list_databases, NULL},
	{NULL, NULL, NULL},
};
