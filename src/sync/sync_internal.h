/*
 * sync_internal.h: the sync engine's private pieces, shared by the files of
 * src/sync only. sync.c runs databases and writes evidence; sync_source.c
 * runs one data source (id scan, incremental pass, deletions); sync_page.c
 * turns a result page into store writes; sync_decide.c is the one decision
 * per row.
 *
 * Ownership: a struct source_run borrows everything from its struct
 * sync_run_ctx and its struct sync_db_result, except the fields marked
 * "owned", which sync_source_run_release() frees.
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
/*
 * Cursor chains of one query in flight at once (notion_query_streams()): as
 * many as the client's latency × rate asks for, up to this.
 */
#define SYNC_MAX_STREAMS 6
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

/* What the sync does with one row (sync_decide.c). */
enum sync_action {
	SYNC_NEW = 0,	 /* no task yet: version 1, "created" */
	SYNC_UNCHANGED,	 /* same content: no version */
	SYNC_UPDATED,	 /* "updated in Notion" */
	SYNC_DELETED,	 /* "deleted in Notion" */
	SYNC_RESTORED,	 /* "restored in Notion" */
	SYNC_KEPT_LOCAL, /* a local edit since the last sync, Notion unchanged: left alone */
};

struct sync_decision {
	enum sync_action action;
	int conflict;	    /* the version overwrites a local edit (SPEC §4.7) */
	const char *reason; /* change reason of the version to append; NULL when none */
};

/*
 * The one decision per row: a pure function of the stored head (NULL, or
 * head->id NULL, when the page has no task; its author fields follow
 * SYNC_CREATED_BY) and the mapped row (its active flag and content hash,
 * after store_task_normalise()). The table is in sync_decide.c.
 */
struct sync_decision sync_decide(const struct store_head *head, int row_active,
				 const char *row_hash);
/* "new", "unchanged", ... */
const char *sync_action_name(enum sync_action a);
/*
 * Whether a page the id scan saw must be read by the pass even when its
 * last_edited_time is older than the watermark: it has no task, or its task
 * was deleted by the sync and the page is back.
 */
int sync_scan_needs_reread(const struct store_head *head);

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
	int64_t created_ms;	   /* the data source's created_time, 0 unknown */

	struct sync_state st; /* owned; written per committed page */
	int have_state;
	int full_pass; /* the pass reads every row and serves as the id scan */
	int64_t epoch; /* this run's scan epoch */
	int scan_complete;

	/* pages the scan saw that the pass must read: no task yet, or deleted by sync */
	int64_t reread;
	int64_t reread_min_let_ms; /* oldest last_edited_time among them */
	int64_t unknown_seen;	   /* of which pages with no task */

	/* counters of this data source */
	int64_t scan_seen;		   /* rows returned by the (complete) id scan */
	int64_t pass_rows;		   /* rows read by the incremental pass */
	int64_t pass_active;		   /* of which active (not in trash) */
	int64_t pass_skipped;		   /* of which could not be mapped */
	int64_t truncated_kept;		   /* properties kept with truncated: true */
	int64_t progress_rows;		   /* rows received so far (scan and pass), for progress */
	int64_t pass_first_ms, pass_at_ms; /* the pass's first and latest last_edited_time */
	int64_t pass_max_let; /* greatest (capped) last_edited_time committed by the pass */
	int pass_complete;
	int store_failed;  /* a scan callback failed on the store */
	int guard_tripped; /* the mass-delete guard kept deletions back */
	int interrupted;
	/* rows Notion sent that could not be read (quarantined, issue 15 #3) */
	int64_t quarantined;
	int64_t hold_ms;  /* the watermark stays below this (a quarantined row), 0 = none */
	int unidentified; /* a row without a readable page id: the scan cannot complete */
};

void sync_source_run_release(struct source_run *r);

/*
 * Reads the schema history of data source ds_id, works out the changes
 * since into *pending (notes them in ds_meta), then resolves db's field
 * mappings against the live properties by property id into *resolved (a
 * copy of db to release with schema_resolved_release()): a renamed mapped
 * property keeps mapping, with a warning in res naming both names.
 * Returns a store error (resolved and pending left empty).
 */
int sync_schema_record(struct sync_run_ctx *ctx, const struct db_config *db, const char *ds_id,
		       const json_t *properties, json_t *ds_meta, struct sync_db_result *res,
		       struct db_config *resolved, struct schema_event **pending, size_t *n_pending,
		       struct nv_err *err);
/*
 * Appends the pending schema changes (none in a dry run) in one
 * transaction, after the data source's run, and frees them.
 */
int sync_schema_append(struct sync_run_ctx *ctx, struct schema_event *pending, size_t n,
		       struct nv_err *err);

/*
 * Runs one data source: the id scan (unless the pass is full), the
 * incremental pass, then deletions after a complete scan. Returns NV_OK,
 * NV_EINTERRUPTED when the stop flag ended it, or the error that ended it
 * (also recorded in r->res->errors). Problems that do not end the run
 * (a row that cannot be mapped, a failed scan) are recorded and NV_OK.
 */
int sync_source(struct source_run *r, struct nv_err *err);

/* One row of a result page, mapped and hashed before any transaction. */
struct page_row {
	json_t *json; /* the Notion row (borrowed from the result page) */
	struct task t;
	char hash[HASH_HEX_LEN + 1];
	char page_id[ID_DASHED_LEN + 1];
	int mapped;	       /* t and hash are valid */
	int trashed;	       /* in_trash / archived */
	int have_id;	       /* page_id is valid */
	int64_t last_edited;   /* ms, -1 when invalid */
	enum sync_action done; /* what the write step did (mapped rows) */
};

/* One result page on its way to the store. */
struct page_batch {
	struct page_row *rows;
	size_t n;
	struct store_head *heads; /* heads[i] for rows[i] (by page id) */
	const char **ids;	  /* page ids of the rows that have one */
	size_t n_ids;
};

/*
 * Step 0 of a result page, on the thread that fetched it (no store, no
 * run state): completes each row's truncated properties through Notion (the
 * only network I/O of a page). *prepared (new reference) holds the warnings
 * and the count of properties kept truncated, for sync_page_prepare().
 * NV_OK or NV_EINTERRUPTED.
 */
int sync_page_complete(struct notion_client *c, json_t *rows, json_t **prepared,
		       struct nv_err *err);
/*
 * Step 1 of a result page, with no transaction open: completes each row's
 * truncated properties through Notion unless completed (sync_page_complete()'s
 * result) says that was done, maps, normalises and hashes the rows, and
 * reads their heads (one query). *b is filled (release with
 * sync_page_batch_release()). Returns NV_OK, NV_EINTERRUPTED, or a store error.
 * Rows that cannot be mapped are noted in r->res->errors and left unmapped.
 */
int sync_page_prepare(struct source_run *r, json_t *rows, const json_t *completed,
		      struct page_batch *b, struct nv_err *err);
/*
 * Step 2, inside the caller's transaction: decides each mapped row against
 * its head and writes the outcome (a version, a touch of Notion's edit
 * time, a conflicts row). A head that moved since step 1 is read again and
 * the row decided again. Counts go to r->res. Returns NV_OK or a store
 * error (the caller rolls back).
 */
int sync_page_write(struct source_run *r, struct page_batch *b, struct nv_err *err);
void sync_page_batch_release(struct page_batch *b);
/*
 * Step 1 for pages a complete scan did not see, inside the caller's
 * transaction (their stored content is read to write the deletion): each
 * task as stored, with active = 0, normalised and hashed, and its head.
 * Pages with no task are left unmapped. NV_OK or a store error.
 */
int sync_page_prepare_missing(struct source_run *r, const char *const *page_ids, size_t n,
			      struct page_batch *b, struct nv_err *err);

/* True when a Notion row is in the trash (in_trash or archived). */
int sync_row_in_trash(const json_t *row);

/* Adds a counter for an action to r->res. */
void sync_count_action(struct source_run *r, enum sync_action a);

/* Appends a formatted message to a JSON array of strings. */
void sync_note(json_t *list, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "2026-01-31T09:05:00.000Z"-style text of a Notion timestamp → ms; -1 if invalid. */
int64_t sync_parse_time(const char *iso);

#endif
