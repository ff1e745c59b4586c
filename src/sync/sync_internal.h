/*
 * sync_internal.h: the sync engine's private pieces, shared by the files of
 * src/sync only. sync.c runs databases and writes evidence; sync_source.c
 * runs one data source (id scan, incremental pass, deletions); sync_row.c
 * turns one Notion row into a store write; idset.c is the page-id set the
 * dry run uses instead of the store's scan marks.
 *
 * Ownership: a struct source_run borrows everything from its struct
 * sync_run_ctx and its struct sync_db_result, except the fields marked
 * "owned", which source_run_release() frees.
 */
#ifndef NV_SYNC_INTERNAL_H
#define NV_SYNC_INTERNAL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "sync/sync.h"
#include "util/id.h"
#include "util/timeutil.h"

#define SYNC_CREATED_BY "notion-sync"
#define SYNC_DEFAULT_LOOKBACK_MS 120000
/* Rows written per transaction when soft-deleting after a scan. */
#define SYNC_DELETE_BATCH 100

/* One sync run: every database, one client, one lock. */
struct sync_run_ctx {
	struct store *s;
	const struct config *cfg;
	struct notion_client *c;
	const struct sync_opts *opts;
	char run_id[ID_DASHED_LEN + 1];
	char started_at[TIME_ISO_MAX];
	int64_t lookback_ms;
	const char *trigger;
	struct store_lock *lock; /* NULL in a dry run */
	/* runs that failed without their evidence: run id → error (from the lock note) */
	json_t *failed_runs;
	int failed_runs_changed; /* the note must be written again at the end */
};

/* A set of Notion page ids (16-byte keys), for dry runs. */
struct idset {
	unsigned char (*keys)[16];
	unsigned char *used;
	size_t cap, n;
};

void idset_init(struct idset *set);
void idset_release(struct idset *set);
/* Adds a page id (any Notion id form); invalid ids are ignored. */
void idset_add(struct idset *set, const char *page_id);
int idset_has(const struct idset *set, const char *page_id);

/* Outcome of one row, for the counters. */
enum row_outcome {
	ROW_CREATED = 0,
	ROW_UPDATED,
	ROW_UNCHANGED,
	ROW_DELETED,
	ROW_RESTORED,
	ROW_KEPT_LOCAL, /* local edit, Notion unchanged: left alone */
	ROW_SKIPPED,	/* could not be mapped (error recorded) */
};

/* One data source of one database in one run. */
struct source_run {
	struct sync_run_ctx *run;
	const struct db_config *db;
	struct sync_db_result *res; /* the database's counters and messages */
	json_t *ds_meta;	    /* this data source's evidence entry (borrowed from res) */
	char ds_id[ID_DASHED_LEN + 1];
	int legacy;		   /* 2022-06-28: query /v1/databases/{id} */
	const json_t *properties;  /* schema (borrowed) */
	const char *title_prop_id; /* borrowed from properties */

	struct sync_state st; /* owned; written per committed page */
	int have_state;
	int full_pass; /* the pass reads every row and serves as the id scan */
	int64_t epoch; /* this run's scan epoch */
	int scan_complete;
	struct idset seen; /* dry run: ids seen by the scan or pass */

	/* pages the scan saw that the pass must read: no task yet, or deleted by sync */
	int64_t reread;
	int64_t reread_min_let_ms; /* oldest last_edited_time among them */
	int64_t unknown_seen;	   /* of which pages with no task */

	/* counters of this data source */
	int64_t scan_seen;	/* rows returned by the (complete) id scan */
	int64_t pass_rows;	/* rows read by the incremental pass */
	int64_t pass_active;	/* of which active (not in trash) */
	int64_t pass_skipped;	/* of which could not be mapped */
	int64_t truncated_kept; /* properties kept with truncated: true */
	int64_t progress_rows;	/* rows received so far (scan and pass), for progress */
	int pass_complete;
	int store_failed;  /* a scan callback failed on the store */
	int guard_tripped; /* the mass-delete guard kept deletions back */
	int interrupted;
	/* rows Notion sent that could not be read (quarantined, issue 15 #3) */
	int64_t quarantined;
	int64_t hold_ms;  /* the watermark stays below this (a quarantined row), 0 = none */
	int unidentified; /* a row without a readable page id: the scan cannot complete */
};

void source_run_release(struct source_run *r);

/*
 * Runs one data source: the id scan (unless the pass is full), the
 * incremental pass, then deletions after a complete scan. Returns NV_OK,
 * NV_EINTERRUPTED when the stop flag ended it, or the error that ended it
 * (also recorded in r->res->errors). Problems that do not end the run
 * (a row that cannot be mapped, a failed scan) are recorded and NV_OK.
 */
int sync_source(struct source_run *r, struct nv_err *err);

/*
 * Maps one Notion row and writes it (or, in a dry run, works out what would
 * be written). Truncated properties are completed first. *outcome says what
 * happened. Returns NV_OK, or a store / interruption error that must end the
 * data source (the caller rolls back). Mapping problems are recorded in
 * r->res->errors and give ROW_SKIPPED.
 */
int sync_row(struct source_run *r, json_t *page, enum row_outcome *outcome, struct nv_err *err);

/* Adds a counter for outcome to r->res. */
void sync_count_outcome(struct source_run *r, enum row_outcome outcome);

/* Appends a formatted message to a JSON array of strings. */
void sync_note(json_t *list, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "2026-01-31T09:05:00.000Z"-style text of a Notion timestamp → ms; -1 if invalid. */
int64_t sync_parse_time(const char *iso);

#endif
