/*
 * app.h: the application layer (STYLE rule 11). Every use case that a
 * front end offers is written here once: the CLI (`src/cli`), MCP over
 * stdio and MCP over HTTP (`src/mcp`) only parse their arguments into the
 * request structs below and render the results. Validation lives here too,
 * so a bad status or a bad time is refused with the same rule everywhere;
 * messages name the field the way the calling front end spells it (see
 * app_namer).
 *
 * Everything is over a borrowed struct store opened by the front end (the
 * CLI opens one per command, the MCP server one per connection), except
 * the sync runner (app_syncer), which owns its worker's connection.
 *
 * Conventions as in the store: functions return an enum nv_status (0 = OK)
 * and fill the optional err; output structs are initialised by the callee
 * and released by the caller; strings passed in are borrowed.
 */
#ifndef NV_APP_H
#define NV_APP_H

#include <jansson.h>
#include <stdint.h>

#include "config/config.h"
#include "store/store.h"
#include "sync/sync.h"
#include "task/task.h"
#include "util/err.h"
#include "util/id.h"
#include "util/timeutil.h"

/*
 * How a front end names a field in messages: given the canonical field
 * name (the MCP parameter name: "title", "dueDate", "databaseId", ...) it
 * returns a static string such as "parameter 'dueDate'" or "--due". NULL
 * means "'<field>'".
 */
typedef const char *(*app_namer)(const char *field);

/* The label of field under namer nm (never NULL; static or nm's). */
const char *app_field_label(app_namer nm, const char *field);

/* ---- task edits ------------------------------------------------------- */

/* The editable fields, in the order they are applied. */
enum app_field {
	APP_F_TITLE,
	APP_F_DESCRIPTION,
	APP_F_STATUS,
	APP_F_RESOLUTION,
	APP_F_CATEGORY,
	APP_F_DUE_DATE,
	APP_F_ASSIGNEE,
	APP_F_SCOPE,
	APP_F_TAGS,
	APP_F_METADATA,
	APP_F_COUNT
};

/* The canonical (MCP) name of a field: "title", "dueDate", "scopeId", ... */
extern const char *const app_field_names[APP_F_COUNT];

/*
 * A set of field changes. set[f] says whether field f is changed; text[f]
 * is the new value of a text field (NULL clears it), tags (an array of
 * strings) and metadata (an object) are the new JSON values (NULL clears;
 * borrowed, copied when applied). Statuses may be given in words ("In
 * progress"); they are stored canonical.
 */
struct app_task_edit {
	int set[APP_F_COUNT];
	const char *text[APP_F_COUNT];
	json_t *tags;
	json_t *metadata;
	app_namer name; /* how messages name the fields */
};

/* Who writes a version. created_by is "cli" or "mcp:<agent>"; reason NULL = the default. */
struct app_author {
	const char *created_by;
	const char *reason;
};

/* What a write did. */
enum app_outcome { APP_UNCHANGED, APP_CREATED, APP_UPDATED, APP_DELETED };
/* "unchanged", "created", "updated", "deleted". */
const char *app_outcome_name(enum app_outcome o);

/* Nonzero when e changes at least one field. */
int app_task_edit_any(const struct app_task_edit *e);

/*
 * Checks e and applies it to t: title not empty, status known, dueDate an
 * ISO 8601 date or date-time, tags an array of strings, metadata an
 * object. NV_EINVAL naming the field otherwise (t may be half changed).
 */
int app_task_apply(const struct app_task_edit *e, struct task *t, struct nv_err *err);

/*
 * Creates a local task (source "local", status "open" unless e sets it,
 * reason "created" by default) from e, which must set the title. *out
 * receives the stored task (release with task_release(), also on error).
 */
int app_task_add(struct store *s, const struct app_task_edit *e, const struct app_author *who,
		 struct task *out, enum app_outcome *outcome, struct nv_err *err);
/*
 * Changes the task id (task id or Notion page id) by e, which must change
 * something (NV_EINVAL otherwise); reason "local edit" by default. A change
 * to the values it already has writes nothing (APP_UNCHANGED).
 */
int app_task_update(struct store *s, const char *id, const struct app_task_edit *e,
		    const struct app_author *who, struct task *out, enum app_outcome *outcome,
		    struct nv_err *err);
/*
 * Soft-deletes the task id: a version with active false and deletedAt
 * (reason "deleted" by default). APP_DELETED, or APP_UNCHANGED when it was
 * deleted already.
 */
int app_task_delete(struct store *s, const char *id, const struct app_author *who, struct task *out,
		    enum app_outcome *outcome, struct nv_err *err);

/* ---- reads ------------------------------------------------------------ */

/* The task id (task id or Notion page id); NV_ENOTFOUND naming it. */
int app_task_get(struct store *s, const char *id, struct task *out, struct nv_err *err);
/* The task id and all its versions, oldest first (task_versions_free()). */
int app_task_history(struct store *s, const char *id, struct task *task,
		     struct task_version **versions, size_t *n, struct nv_err *err);
/* Version num of the task id; NV_ENOTFOUND saying how many versions it has. */
int app_task_version(struct store *s, const char *id, int64_t num, struct task *task,
		     struct task_version *out, struct nv_err *err);

/*
 * A query over tasks: the filters of list and search, the point in time of
 * as_of, the window of diff, and paging. Raw values as the front end got
 * them; app_query_check() validates and normalises them.
 */
struct app_query {
	const char *scope;
	const char *database_id;  /* dashed or not */
	const char *status;	  /* enum name or words */
	const char *search;	  /* full-text query (list/search) */
	const char *const *where; /* filter expressions (task_filter.where) */
	size_t n_where;
	const char *sort; /* sort key (task_filter.sort) */
	/*
	 * nextCursor of the page before: "o<offset>" (app_cursor(), a
	 * position, e.g. after a reply cut by its size budget) or a store
	 * keyset cursor (task_list.next_cursor, list/search) or an
	 * app_page_cursor() (as_of/diff)
	 */
	const char *cursor;
	int include_deleted;
	int row_cursors;   /* list/search: keep the cursor after every row (app_list_cursor()) */
	int64_t limit;	   /* 0 → 50 for list/search; 0 → all for as_of/diff */
	int64_t offset;	   /* rows to skip */
	const char *at;	   /* as_of: ISO time */
	const char *since; /* diff: ISO time, exclusive */
	const char *until; /* diff: ISO time, inclusive; NULL = now */
	app_namer name;	   /* how messages name the fields */
	/* diff: the end of the window, fixed by the first page and kept in its cursor */
	char until_pin[TIME_ISO_MAX];
	/* filled by app_query_check() */
	struct task_filter filter;
	char db[ID_DASHED_LEN + 1];
	char at_iso[TIME_ISO_MAX], since_iso[TIME_ISO_MAX], until_iso[TIME_ISO_MAX];
};

/*
 * Validates q and fills q->filter and the canonical times; NV_EINVAL naming
 * the field. A cursor replaces the offset.
 */
int app_query_check(struct app_query *q, struct nv_err *err);

/* One page of tasks matching q (list; search when q->search is set), newest update first. */
int app_task_list(struct store *s, struct app_query *q, struct task_list *out, struct nv_err *err);
/*
 * Where a page of n_versions versions (oldest first) starts: q->cursor (an
 * app_page_cursor() of kind "history", or "o<offset>") or q->offset, into
 * q->offset. A history cursor is the number of versions already returned:
 * versions are append-only and numbered 1, 2, ..., so it is a key (the
 * last version returned), never shifted by versions written meanwhile.
 * NV_EINVAL naming the cursor or offset when it is not one.
 */
int app_history_page(struct app_query *q, int64_t n_versions, struct nv_err *err);
/*
 * The cursor after the first `consumed` items of page l of q, or NULL when
 * nothing follows them. New string. A front end that may stop a page early
 * (at its reply size) sets q->row_cursors before app_task_list(): the cursor
 * after any row is then the store's key of that row, as stable as the one
 * after the whole page.
 */
char *app_list_cursor(const struct app_query *q, const struct task_list *l, size_t consumed);

/*
 * Calls cb for the tasks as they were at q->at whose position is in
 * [q->offset, q->offset + q->limit) (every one when q->limit is 0), and
 * counts all of them in *total. Streams.
 */
int app_task_as_of(struct store *s, struct app_query *q, store_version_cb cb, void *ud,
		   int64_t *total, struct nv_err *err);
/*
 * The same for the changes between q->since and q->until (diff). With a
 * q->cursor (app_page_cursor()), the page after the one it came from: the
 * position is stable because the window's end is fixed in the cursor and
 * versions are append-only. as_of cursors are positions too (a past time's
 * view does not change).
 */
int app_task_diff(struct store *s, struct app_query *q, store_diff_cb cb, void *ud, int64_t *total,
		  struct nv_err *err);

/*
 * The cursor of the page after one of n rows of q (as_of, diff or history,
 * named by kind "as_of" / "diff" / "history"), to pass back as q->cursor.
 * New string.
 */
char *app_page_cursor(const struct app_query *q, const char *kind, int64_t n);

/*
 * Cursors are opaque to clients: the position after the last row a page
 * returned, which the next page's query passes back as its cursor. Today
 * they carry an offset; a keyset position can replace it behind the same
 * two functions without a client noticing.
 */
#define APP_CURSOR_MAX 64
/* The cursor of the row after the first `consumed` rows from q's start. */
void app_cursor(const struct app_query *q, int64_t consumed, char out[APP_CURSOR_MAX]);

/* ---- schema history ------------------------------------------------------ */

/*
 * One page of the schema history (SPEC §3 "schema history"), oldest first:
 * q->database_id (NULL = every database), q->limit (0 → 200), q->cursor
 * (app_schema_cursor() of the page before: the last event's seq, a key of
 * the append-only history). *events (schema_events_free()) gets at most
 * q->limit events after the cursor, *total every event of the filter, *more
 * whether events follow the page.
 */
int app_schema_history(struct store *s, struct app_query *q, struct schema_event **events,
		       size_t *n, int64_t *total, int *more, struct nv_err *err);
/* The cursor after schema event seq (new string). */
char *app_schema_cursor(int64_t seq);

/* ---- views ------------------------------------------------------------- */

/*
 * How much of a task a reader asked for: compact by default (the task
 * fields and a short Notion summary); fields (an array of Notion property
 * names, borrowed) adds those properties; full adds every one.
 */
struct app_view {
	int full;
	const json_t *fields;
};

/*
 * The compact shape of a task (new reference): id, title, description,
 * status, notionStatus, resolution, category, dueDate, assignee, tags,
 * metadata (without the Notion properties), scopeId, source, active,
 * deletedAt, version, createdAt, updatedAt, notion {url, pageId,
 * databaseId, lastEditedTime} (null for local tasks), and notionProperties
 * {name: {type, value}} only when v asks for them.
 */
json_t *app_task_view_json(const struct task *t, const struct app_view *v);
/*
 * memory_task's shape (task_to_json()) with metadata.notionProperties
 * left out unless v asks for them (then only those asked for).
 */
json_t *app_task_legacy_json(const struct task *t, const struct app_view *v);

/* task_version_to_json() with the snapshot in app_task_legacy_json()'s shape. */
json_t *app_version_legacy_json(const struct task_version *ver, const struct app_view *v);

/* Content fields that differ from a to b, as a new JSON array of names. */
json_t *app_changed_fields(const struct task_version *a, const struct task_version *b);

/* ---- status and databases --------------------------------------------- */

/*
 * One data source's sync state (new reference): {dataSourceId, databaseId,
 * watermark, lastFullScanAt, resumeAfter, runInProgress, runStartedAt}.
 * The one shape every status view uses.
 */
json_t *app_data_source_json(const struct sync_state *st);

/*
 * The status document (new reference in *out):
 *   {"running", "pid", "enabled", "schedule", "nextRun", "lastRun",
 *    "lastRunSuccess", "lastRunError", "updatedAt", "store", "storeExists",
 *    "dataSources": [app_data_source_json() + {"name", "lastSync"}]}
 * from the scheduler state a daemon recorded in s (running only while its
 * pid is alive; nextRun only while running; schedule/enabled from set when
 * no daemon ever recorded them), each data source's sync state and the
 * newest evidence record of its database (lastSync, as evidence_to_json(),
 * or null), then the databases of cfg never synced. s NULL means the store
 * does not exist yet; cfg NULL means no names. All arguments are borrowed.
 */
int app_status_json(struct store *s, const struct settings *set, const struct config *cfg,
		    json_t **out, struct nv_err *err);

/*
 * The configured databases (new array in *out), one object each:
 * {databaseId, name, scopeId, syncEnabled, dataSourceId, activeTasks,
 * deletedTasks, watermark (the least advanced data source's),
 * lastFullScanAt, runInProgress, lastSync {evidenceId, status, startedAt,
 * finishedAt, metadata} or null, dataSources [app_data_source_json()]}.
 * s NULL (no store yet) counts zero tasks.
 */
int app_databases_json(struct store *s, const struct config *cfg, json_t **out, struct nv_err *err);

/* ---- sync --------------------------------------------------------------- */

struct app_syncer;

/* What a finished sync run produced; handed to the done hook. */
struct app_sync_result {
	int rc; /* sync_execute()'s status, or the store's */
	const struct sync_report *report;
	const struct nv_err *err;
};

/* Hooks a front end gives a sync run; all called on the worker thread. */
struct app_sync_hooks {
	/*
	 * progress: value (rows read from Notion so far, scan and query pass)
	 * strictly increasing; total -1 while unknown. A run that finishes
	 * sends one last step, value + 1, with total equal to it.
	 */
	void (*progress)(void *ud, int64_t value, int64_t total, const char *message);
	/* the run finished; not called when the run was cancelled with app_syncer_cancel() */
	void (*done)(void *ud, const struct app_sync_result *r);
	/* frees ud; called once, last */
	void (*release)(void *ud);
	void *ud;
};

/* A sync request. */
struct app_sync_req {
	const char *database_id; /* NULL = every enabled database */
	int full, dry_run;
	const char *trigger; /* "mcp", "manual" */
	json_t *tag;	     /* identifies the run for app_syncer_cancel() (borrowed, copied) */
};

/*
 * A runner of one sync at a time on a worker thread with its own store
 * connection, for servers that keep answering while Notion is read. set is
 * borrowed and must outlive it.
 */
struct app_syncer *app_syncer_new(const struct settings *set);
/*
 * Validates req (database id configured, token set), loads the config and
 * starts the run. NV_ELOCKED when a run of this syncer is still going.
 * On success the hooks are called later, from the worker; on failure
 * hooks->release is not called (the caller still owns ud).
 */
int app_syncer_start(struct app_syncer *y, const struct app_sync_req *req,
		     const struct app_sync_hooks *hooks, struct nv_err *err);
/* Stops the run tagged tag after its current transaction; its done hook is not called. */
void app_syncer_cancel(struct app_syncer *y, const json_t *tag);
/* Nonzero while a run is going. */
int app_syncer_running(struct app_syncer *y);
/* Waits for the run (asking it to stop first when stop is set). */
void app_syncer_wait(struct app_syncer *y, int stop);
/*
 * The front end's client is gone: stops the run after its current
 * transaction (the engine records it interrupted; its done hook still
 * reports that to whoever may read), and waits for it.
 */
void app_syncer_abandon(struct app_syncer *y);
/* Waits for the run, then frees; NULL is a no-op. */
void app_syncer_free(struct app_syncer *y);

#endif
