/*
 * app_sync.c: the sync use case for servers (see app.h): one run at a
 * time on a worker thread with its own store connection, so the server
 * keeps answering while Notion is read. The front end learns about the
 * run through hooks (progress, done) and can cancel it by its tag; the
 * engine's stop flag ends the run after its current transaction, and
 * nothing committed is lost.
 */
#include "app/app.h"

#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "util/buf.h"
#include "util/id.h"
#include "util/log.h"
#include "util/xalloc.h"

struct sync_job {
	struct app_syncer *y;
	struct app_sync_hooks hooks;
	json_t *tag;
	struct config *cfg;
	char database_id[ID_DASHED_LEN + 1]; /* "" = all */
	int full, dry_run;
	const char *trigger;
	_Atomic int stop; /* the engine's stop flag */
	int cancelled;	  /* by the front end: no done hook (y->lock) */
	int finished;	  /* the worker is done (y->lock) */
	pthread_t thread;
	/* progress (worker thread only) */
	char current_db[ID_DASHED_LEN + 1];
	int64_t rows_before; /* rows of the databases already finished */
	int64_t rows_current;
	int64_t last_sent;
};

struct app_syncer {
	const struct settings *set; /* borrowed */
	pthread_mutex_t lock;	    /* guards job */
	struct sync_job *job;	    /* the current or last run, or NULL */
};

static void job_free(struct sync_job *job)
{
	if (!job)
		return;
	if (job->hooks.release)
		job->hooks.release(job->hooks.ud);
	json_decref(job->tag);
	config_free(job->cfg);
	free(job);
}

struct app_syncer *app_syncer_new(const struct settings *set)
{
	struct app_syncer *y = xcalloc(1, sizeof(*y));

	y->set = set;
	pthread_mutex_init(&y->lock, NULL);
	return y;
}

int app_syncer_running(struct app_syncer *y)
{
	int running;

	pthread_mutex_lock(&y->lock);
	running = y->job && !y->job->finished;
	pthread_mutex_unlock(&y->lock);
	return running;
}

void app_syncer_cancel(struct app_syncer *y, const json_t *tag)
{
	pthread_mutex_lock(&y->lock);
	if (y->job && !y->job->finished && json_equal(y->job->tag, tag)) {
		y->job->cancelled = 1;
		y->job->stop = 1;
		log_info("sync cancelled by the client; stopping after the current transaction");
	}
	pthread_mutex_unlock(&y->lock);
}

void app_syncer_wait(struct app_syncer *y, int stop)
{
	struct sync_job *job;

	pthread_mutex_lock(&y->lock);
	job = y->job;
	y->job = NULL;
	if (job && stop)
		job->stop = 1;
	pthread_mutex_unlock(&y->lock);
	if (!job)
		return;
	pthread_join(job->thread, NULL);
	job_free(job);
}

void app_syncer_abandon(struct app_syncer *y)
{
	pthread_mutex_lock(&y->lock);
	if (y->job && !y->job->finished) {
		y->job->stop = 1;
		log_info("the client went away; stopping the sync after the current transaction");
	}
	pthread_mutex_unlock(&y->lock);
	app_syncer_wait(y, 1);
}

void app_syncer_free(struct app_syncer *y)
{
	if (!y)
		return;
	app_syncer_wait(y, 0);
	pthread_mutex_destroy(&y->lock);
	free(y);
}

/* Engine progress → the progress hook with a strictly increasing value. */
static void on_progress(void *ud, const struct sync_progress *p)
{
	struct sync_job *job = ud;
	int64_t value;
	char msg[256];

	if (!job->hooks.progress)
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
	job->hooks.progress(job->hooks.ud, value, -1, msg);
}

static void *sync_worker(void *arg)
{
	struct sync_job *job = arg;
	struct app_syncer *y = job->y;
	struct sync_opts opts;
	struct sync_report report;
	struct store *s = NULL;
	struct nv_err err;
	struct app_sync_result res;
	int cancelled;

	memset(&opts, 0, sizeof(opts));
	memset(&report, 0, sizeof(report));
	nv_err_clear(&err);
	opts.database_id = job->database_id[0] ? job->database_id : NULL;
	opts.full = job->full;
	opts.dry_run = job->dry_run;
	opts.trigger = job->trigger;
	opts.stop = &job->stop;
	opts.progress = on_progress;
	opts.progress_ud = job;

	if (job->hooks.progress)
		job->hooks.progress(job->hooks.ud, 0, -1, "sync started");
	/*
	 * a dry run only reads the store (the engine works on a scratch copy)
	 * and creates none: with no store yet it starts from an empty one
	 */
	if (job->dry_run) {
		res.rc = store_open(y->set->db_path, STORE_READONLY | STORE_NO_CREATE, &s, &err);
		if (res.rc == NV_ENOTFOUND) {
			nv_err_clear(&err);
			res.rc = 0;
			s = NULL;
		}
	} else {
		res.rc = store_open(y->set->db_path, 0, &s, &err);
	}
	if (!res.rc)
		res.rc = sync_execute(s, job->cfg, y->set, &opts, &report, &err);
	store_close(s);
	res.report = &report;
	res.err = &err;

	/* Finished before answering, so a status call after the answer sees it. */
	pthread_mutex_lock(&y->lock);
	cancelled = job->cancelled;
	job->finished = 1;
	pthread_mutex_unlock(&y->lock);
	if (!cancelled && job->hooks.progress) {
		/* the end of the run is its last step: now the total is known */
		int64_t last = job->last_sent + 1;
		char msg[128];
		snprintf(msg, sizeof(msg), "sync finished: %" PRId64 " rows processed",
			 job->rows_before + job->rows_current);
		job->hooks.progress(job->hooks.ud, last, last, msg);
	}
	if (!cancelled && job->hooks.done)
		job->hooks.done(job->hooks.ud, &res);
	sync_report_release(&report);
	return NULL;
}

int app_syncer_start(struct app_syncer *y, const struct app_sync_req *req,
		     const struct app_sync_hooks *hooks, struct nv_err *err)
{
	struct sync_job *job;
	struct config *cfg = NULL;
	char norm[ID_DASHED_LEN + 1] = "";
	sigset_t block, old;
	int rc;

	if (req->database_id && id_normalize(req->database_id, norm))
		return nv_err_set(
			err, NV_EINVAL,
			"parameter 'databaseId' is not a Notion id (32 hex digits): '%.60s'",
			req->database_id);
	if (app_syncer_running(y))
		return nv_err_set(err, NV_ELOCKED,
				  "a sync is already running (started in this session); wait for "
				  "it or cancel it");
	if ((rc = config_load(y->set->config_path, &cfg, err)))
		return nv_err_prefix(err, "sync configuration");
	if ((rc = settings_require_token(y->set, cfg, "in the environment of the nvault mcp server",
					 err))) {
		config_free(cfg);
		return rc;
	}
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
	app_syncer_wait(y, 0); /* reap the previous, finished run */

	job = xcalloc(1, sizeof(*job));
	job->y = y;
	job->hooks = *hooks;
	job->tag = req->tag ? json_deep_copy(req->tag) : NULL;
	job->cfg = cfg;
	memcpy(job->database_id, norm, sizeof(norm));
	job->full = req->full;
	job->dry_run = req->dry_run;
	job->trigger = req->trigger ? req->trigger : "mcp";

	/* Signals belong to the serving thread, which turns them into a stop. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	rc = pthread_create(&job->thread, NULL, sync_worker, job);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		job->hooks.release = NULL; /* the caller keeps ud */
		job_free(job);
		return nv_err_set(err, NV_ERR, "could not start the sync thread: %s", strerror(rc));
	}
	pthread_mutex_lock(&y->lock);
	y->job = job;
	pthread_mutex_unlock(&y->lock);
	return 0;
}
