/*
 * sync.h: the sync engine (SPEC §4): Notion → store, per data source, with
 * an incremental pass on a lookback watermark, content-hash skipping, one
 * transaction per result page with its resume point, deletion only after a
 * complete id scan, conflict handling, and one evidence record per database
 * per run. One sync at a time per store (store_lock()).
 */
#ifndef NV_SYNC_H
#define NV_SYNC_H

#include <jansson.h>
#include <stdint.h>

#include "config/config.h"
#include "notion/notion.h"
#include "store/store.h"
#include "util/err.h"

struct sync_progress {
	const char *database_id;
	const char *phase; /* "query", "scan", "done" */
	int64_t rows;	   /* rows processed in this database so far */
	int64_t requests;  /* client requests so far (whole run) */
	int64_t rate_limit_waits;
	/*
	 * Where the pass ("query") is in its last_edited_time order (ms since
	 * the epoch, 0 = unknown): its first row's time, its latest row's, and
	 * the server's time it reads up to. With no row count to go by (a first
	 * sync), how far edited_at is from edited_from towards edited_until
	 * estimates the share of the pass done.
	 */
	int64_t edited_from_ms, edited_at_ms, edited_until_ms;
};

typedef void (*sync_progress_cb)(void *ud, const struct sync_progress *p);

/*
 * The Notion client of one token (SPEC §2.2 tokenEnv): every database whose
 * tokenEnv names token_env is synced through c, so databases sharing a
 * token share its rate budget and each token has its own. c NULL: the
 * variable is not set, and those databases fail (the others go on).
 */
struct sync_client {
	const char *token_env;
	struct notion_client *c;
};

struct sync_opts {
	const char *database_id; /* NULL = every enabled database */
	int full;		 /* ignore the watermark */
	int dry_run;		 /* run on a scratch copy of the store, then drop it */
	int allow_mass_delete;
	const char *trigger; /* "manual", "schedule", "mcp" */
	int64_t lookback_ms; /* 0 → 120000 */
	_Atomic int *stop;   /* set asynchronously to stop after the current transaction */
	sync_progress_cb progress;
	void *progress_ud;
	/* clients by token (see struct sync_client); none: sync_run's c for every database */
	const struct sync_client *clients;
	size_t n_clients;
};

struct sync_db_result {
	char *database_id;
	char *name;
	char *status; /* "success", "partial", "failed", "interrupted" */
	int64_t synced, created, updated, unchanged, deleted, restored, conflicts;
	json_t *errors;	   /* array of strings */
	json_t *warnings;  /* array of strings */
	char *evidence_id; /* NULL in dry runs (the record went to the scratch copy) */
};

struct sync_report {
	struct sync_db_result *dbs;
	size_t n;
	int failed; /* any database not "success" */
	int dry_run;
};

/*
 * Syncs the configured databases (or opts->database_id) into s through
 * client c. Returns NV_OK when every database succeeded; NV_ERR when any
 * failed (details per database in *report, which is always filled);
 * NV_ELOCKED when another sync holds the lock; NV_ECONFIG when
 * opts->database_id is not configured; NV_EINTERRUPTED when stopped.
 * *report is released by the caller with sync_report_release().
 *
 * opts->dry_run: the same engine runs against a scratch copy of s made
 * under $TMPDIR (an empty store when s is NULL: nothing synced yet), which
 * is removed afterwards; s is only read, and the report's counts are what a
 * sync would do now.
 */
int sync_run(struct store *s, const struct config *cfg, struct notion_client *c,
	     const struct sync_opts *opts, struct sync_report *report, struct nv_err *err);

/*
 * Convenience for the CLI, daemon and MCP: builds one Notion client per
 * token the databases to sync name (tokenEnv, default NOTION_API_KEY), with
 * settings and cfg's notionVersion, then calls sync_run(). NV_ECONFIG when
 * none of those variables is set; a database whose variable alone is unset
 * fails on its own.
 */
int sync_execute(struct store *s, const struct config *cfg, const struct settings *st,
		 const struct sync_opts *opts, struct sync_report *report, struct nv_err *err);

/*
 * `config check --online`: reads the live schema of every configured
 * database's data sources (tokens per tokenEnv) and resolves each field
 * mapping and statusMap name against it, following renames recorded in
 * store s (NULL: none known). Writes nothing. *report (new JSON, always set)
 * is {"ok", "problems", "databases": [{databaseId, name, error?, dataSources:
 * [{dataSourceId, fieldMappings: [{property, field, result: ok | renamed |
 * missing | removed | unmappable, propertyId?, type?, nameInNotion?}],
 * statusMap: [{name, status, result: ok | unknown option}], warnings}]}]}.
 * NV_ERR when a problem was found (a mapping that does not resolve, an
 * unknown statusMap option, a database that cannot be read).
 */
int sync_check_online(const struct config *cfg, const struct settings *st, struct store *s,
		      json_t **report, struct nv_err *err);

void sync_report_release(struct sync_report *r);
json_t *sync_report_to_json(const struct sync_report *r);

#endif
