/*
 * store.h: nvault's storage interface. Everything that is persisted goes
 * through these functions; only src/store includes sqlite3.h, so a
 * PostgreSQL backend can follow behind the same interface. Nothing here
 * names the engine.
 *
 * Model (SPEC §3): tasks (current state) and append-only task_versions;
 * append-only evidence (one record per database per sync run); mutable sync
 * state per data source; conflicts; scheduler state. A task is never
 * physically deleted: deletion is a version with active = 0.
 *
 * Conventions: every function returns an enum nv_status (0 = OK) and fills
 * the optional err. Output structs are initialised by the callee and
 * released by the caller with the matching *_release()/_free(). Strings
 * passed in are borrowed. Write functions called outside an explicit
 * store_begin()/store_commit() run in a transaction of their own; inside
 * one, they join it. Busy databases are retried internally (busy timeout),
 * so concurrent processes see no spurious errors.
 */
#ifndef NV_STORE_H
#define NV_STORE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "task/task.h"
#include "util/err.h"

struct store;

enum store_open_flags {
	STORE_NO_CREATE = 1 << 0, /* fail with NV_ENOTFOUND if the file does not exist */
	STORE_READONLY = 1 << 1,  /* open read-only; never migrate */
};

/*
 * Opens (creating directories and the file unless STORE_NO_CREATE) and
 * migrates the store at path. An older store is migrated forward; a store
 * written by a newer nvault is refused with NV_ESCHEMA and a message naming
 * both schema versions. *out is owned by the caller (store_close()).
 */
int store_open(const char *path, unsigned flags, struct store **out, struct nv_err *err);
/* Closes the store; NULL is a no-op. Rolls back an open transaction. */
void store_close(struct store *s);
/* The schema version this build writes (PRAGMA user_version). */
int store_schema_version(void);

/* One write transaction (not nestable). */
int store_begin(struct store *s, struct nv_err *err);
int store_commit(struct store *s, struct nv_err *err);
void store_rollback(struct store *s);

/* ---- tasks ------------------------------------------------------------ */

/* Who wrote a version and why; all borrowed. */
struct version_info {
	const char *created_by;	   /* "notion-sync", "cli", "mcp:<agent>" */
	const char *change_reason; /* "created", "updated in Notion", "local edit", ... */
	int conflict;
};

enum put_outcome { PUT_UNCHANGED = 0, PUT_CREATED, PUT_UPDATED };

/*
 * Writes the desired state t of a task. The task is found by t->id, else
 * by (t->notion_data_source_id, t->notion_page_id); if none exists it is
 * created with version 1 (t->id assigned when NULL). If it exists and the
 * content hash (task_content_hash) equals the current version's, nothing
 * is written (PUT_UNCHANGED) except that the task row's
 * notion_last_edited_time is refreshed. Otherwise version N+1 is appended
 * and the task row updated in the same transaction (PUT_UPDATED). Version
 * numbers stay dense under concurrent writers.
 * On return t's store-maintained fields (id, version, current_version_id,
 * created_at, updated_at) reflect the stored task.
 */
int store_task_put(struct store *s, struct task *t, const struct version_info *vi,
		   enum put_outcome *outcome, struct nv_err *err);

/*
 * Looks a task up by its id, or by Notion page id (dashed or not).
 * NV_ENOTFOUND (with a message naming the id) when there is none.
 */
int store_task_get(struct store *s, const char *id, struct task *out, struct nv_err *err);
/* Looks a task up by its Notion identity. NV_ENOTFOUND when absent. */
int store_task_get_by_page(struct store *s, const char *data_source_id, const char *page_id,
			   struct task *out, struct nv_err *err);

/*
 * The store's normalisations of a desired state, which its content hash
 * depends on: dashed Notion ids, source ("notion" when it has a page id,
 * else "local"), active as 0/1, deleted_at cleared while active and set
 * (to now, when absent) while deleted. store_task_put() applies them
 * itself; a caller of store_task_append() applies them before hashing.
 */
void store_task_normalise(struct task *t);

/*
 * A task's head: what one decision about its next version needs, read
 * without its content. author_version/author_hash describe the newest
 * version written by the author named in the query (the sync passes
 * "notion-sync"), so a local edit after it shows as author_version <
 * version. Strings are owned (store_head_release()); id is NULL when the
 * page has no task.
 */
struct store_head {
	char *id;      /* task id */
	char *page_id; /* dashed Notion page id */
	int64_t version;
	int active;
	char *deleted_at;
	char *current_version_id;
	char *created_at;
	char *updated_at;
	char *notion_last_edited_time;
	char content_hash[HASH_HEX_LEN + 1];
	char chain_hash[HASH_HEX_LEN + 1];
	int64_t author_version; /* 0 when the author never wrote a version */
	char author_hash[HASH_HEX_LEN + 1];
};

void store_head_release(struct store_head *h);
void store_heads_free(struct store_head *h, size_t n);

/*
 * Reads the heads of the tasks of n Notion pages of a data source in as few
 * queries as possible (one per 100 pages). *out (new, n entries, freed with
 * store_heads_free()) is in the order of page_ids; an entry whose id is NULL
 * has no task. author names the versions author_version/author_hash follow.
 * Runs in one read snapshot when no transaction is open.
 */
int store_heads_by_pages(struct store *s, const char *data_source_id, const char *author,
			 const char *const *page_ids, size_t n, struct store_head **out,
			 struct nv_err *err);

/*
 * Appends the next version of t against the head the caller decided on:
 * head NULL creates the task (version 1), otherwise the version is
 * head->version + 1. content_hash is task_content_hash(t), computed by the
 * caller. The head is re-checked inside the transaction: if the task moved
 * on (another writer appended a version, or created the task of that page,
 * meanwhile) nothing is written and *moved is set to 1, so the caller reads
 * the head again and re-decides. A deleted task keeps its head's deleted_at
 * when t stays deleted; t->deleted_at is set to now when t becomes deleted,
 * and cleared when t is active. On success t's store-maintained fields
 * (id, version, current_version_id, created_at, updated_at) are filled.
 */
int store_task_append(struct store *s, const struct store_head *head, struct task *t,
		      const char *content_hash, const struct version_info *vi, int *moved,
		      struct nv_err *err);

/*
 * An unchanged row: records Notion's newer last_edited_time on the task of
 * head (no version; the time is outside the content hash). NV_OK when the
 * time is the same already.
 */
int store_task_touch(struct store *s, const struct store_head *head,
		     const char *notion_last_edited_time, struct nv_err *err);

/* True while a write transaction of store_begin() is open on s. */
int store_in_write_tx(const struct store *s);

/* All versions of a task, oldest first. *out is an array of *n versions. */
int store_task_history(struct store *s, const char *id, struct task_version **out, size_t *n,
		       struct nv_err *err);
/* One version by number. NV_ENOTFOUND when absent. */
int store_task_version(struct store *s, const char *id, int64_t num, struct task_version *out,
		       struct nv_err *err);
/*
 * The newest version of a task whose created_by starts with
 * created_by_prefix (e.g. "notion-sync"). NV_ENOTFOUND when none.
 */
int store_task_last_version_by(struct store *s, const char *task_id, const char *created_by_prefix,
			       struct task_version *out, struct nv_err *err);
void task_versions_free(struct task_version *v, size_t n);

struct task_filter {
	const char *scope;	 /* projectScopeId */
	const char *database_id; /* Notion database id (dashed or not) */
	const char *data_source_id;
	const char *status;
	const char *source; /* "notion" / "local" */
	/*
	 * Search query (docs/cli-tasks.md "Search"): words ANDed, "phrases",
	 * OR, NOT, prefix*, over every text of a task. With a search, a list
	 * is ranked by relevance and each item has a hit (snippet, score).
	 */
	const char *search;
	/*
	 * Filter expressions, ANDed (docs/cli-tasks.md "Filters"): NAME=VALUE,
	 * NAME!=VALUE, NAME~TEXT, NAME<V, NAME<=V, NAME>V, NAME>=V, NAME? (has
	 * a value), NAME= (is empty). NAME is a task field as in a task's JSON
	 * (status, dueDate, tags, ...) or else a Notion property by name.
	 * NV_EINVAL naming the expression when one is wrong.
	 */
	const char *const *where;
	size_t n_where;
	/*
	 * Sort key: KEY[:asc|:desc] with KEY relevance (a search's default),
	 * updated (the default otherwise, newest first), created (newest
	 * first), or a task field or Notion property as in where (ascending,
	 * empty values last). NV_EINVAL naming it when it is none.
	 */
	const char *sort;
	/*
	 * A task_list.next_cursor: the page after it, in the same order (the
	 * sort must be the same; offset is ignored). A list cursor is a key:
	 * rows written meanwhile do not shift it, so paging a whole list while
	 * a sync adds rows returns every earlier row exactly once. A cursor in
	 * relevance order is a position (scores move as the index changes).
	 */
	const char *cursor;
	/*
	 * Keep the cursor after every row in task_list.cursors (for a reader
	 * that may stop a page early, e.g. at its reply size budget).
	 */
	int row_cursors;
	int include_deleted;
	int64_t limit; /* 0 → 50; capped at 1000 */
	int64_t offset;
};

/* Why a task matched a search. */
struct task_hit {
	double score;  /* relevance (bm25, negated: higher is better) */
	char *snippet; /* the best-matching stretch of text, matches in **...** */
};

struct task_list {
	struct task *items;
	struct task_hit *hits; /* with a search: one per item; else NULL */
	size_t n;
	int has_more;	     /* more rows exist after this page */
	int64_t next_offset; /* offset of the next page when has_more (pages by offset) */
	char *next_cursor;   /* the cursor of the next page when has_more (new), else NULL */
	char **cursors;	     /* with f->row_cursors: cursors[i] continues after items[i] */
	int64_t total;	     /* rows matching the filter; -1 (not counted) on a cursor's page */
};

/*
 * One page of tasks matching f: by relevance with a search, else most
 * recently updated first. NV_EINVAL naming the query for a search query
 * that is wrong (a misplaced operator).
 */
int store_task_list(struct store *s, const struct task_filter *f, struct task_list *out,
		    struct nv_err *err);
void task_list_release(struct task_list *l);

/*
 * Calls cb for every task as it was at time `at` (ISO): the newest version
 * of each task created at or before `at`, skipping tasks deleted at that
 * time unless f->include_deleted. Filters as in task_filter (limit/offset
 * ignored). Streams: memory does not grow with the number of tasks.
 * cb returns 0 to go on; a nonzero value stops and is returned.
 */
typedef int (*store_version_cb)(void *ud, const struct task_version *v);
int store_task_as_of(struct store *s, const char *at, const struct task_filter *f,
		     store_version_cb cb, void *ud, struct nv_err *err);
/* Calls cb for the current version of every task matching f (export). */
int store_task_each_current(struct store *s, const struct task_filter *f, store_version_cb cb,
			    void *ud, struct nv_err *err);

enum diff_kind { DIFF_CREATED, DIFF_CHANGED, DIFF_DELETED, DIFF_RESTORED };
struct diff_entry {
	enum diff_kind kind;
	const struct task_version *before; /* newest version before `since`, or NULL */
	const struct task_version *after;  /* newest version at or before `until` */
	int64_t versions_in_range;	   /* versions written in the window */
};
/*
 * Calls cb for every task that has versions in (since, until]; until NULL
 * means now. kind: created (first version in the window), deleted / restored
 * (active flag changed across the window), else changed.
 */
typedef int (*store_diff_cb)(void *ud, const struct diff_entry *e);
int store_diff(struct store *s, const char *since, const char *until, const struct task_filter *f,
	       store_diff_cb cb, void *ud, struct nv_err *err);
const char *diff_kind_name(enum diff_kind k);

/* Active and soft-deleted task counts of a Notion database or data source. */
int store_count_tasks(struct store *s, const char *database_id, const char *data_source_id,
		      int64_t *active, int64_t *deleted, struct nv_err *err);

/* ---- deletion scans ----------------------------------------------------- */

/*
 * Records that these pages of a data source were seen by deletion scan
 * `epoch` (a number the sync engine increments per scan). Pages with no
 * task yet are ignored.
 */
int store_scan_mark_seen(struct store *s, const char *data_source_id, int64_t epoch,
			 const char *const *page_ids, size_t n, struct nv_err *err);
/*
 * Calls cb for every active task of the data source not seen by scan
 * `epoch` (the candidates for soft deletion). *count (optional) receives
 * their number; cb may be NULL to only count.
 */
typedef int (*store_task_cb)(void *ud, const struct task *t);
int store_scan_unseen(struct store *s, const char *data_source_id, int64_t epoch, store_task_cb cb,
		      void *ud, int64_t *count, struct nv_err *err);

/* ---- evidence (append-only) -------------------------------------------- */

struct evidence {
	char *id;
	char *type;	 /* "import" */
	char *source;	 /* "notion" */
	char *source_id; /* Notion database id */
	char *scope;
	char *trigger; /* "manual", "schedule", "mcp" */
	char *started_at;
	char *finished_at;
	char *status;	  /* "success", "partial", "failed", "interrupted" */
	json_t *metadata; /* counts, errors[], requests, retries, waits, watermarks */
};

void evidence_init(struct evidence *e);
void evidence_release(struct evidence *e);
void evidence_free_array(struct evidence *e, size_t n);
json_t *evidence_to_json(const struct evidence *e);
/* Appends a record (e->id assigned when NULL). */
int store_evidence_add(struct store *s, struct evidence *e, struct nv_err *err);
/* Records newest first; source_id NULL = all; limit 0 → 20. */
int store_evidence_list(struct store *s, const char *source_id, int64_t limit,
			struct evidence **out, size_t *n, struct nv_err *err);

/* ---- schema history (append-only, per data source) ----------------------- */

/*
 * One change to a data source's property schema, as seen by a sync run.
 * kind: "initial" (the property when nvault first recorded the schema),
 * "added", "removed", "renamed", "type_changed", "options_changed". name,
 * type and options describe the property after the change (before it, for
 * "removed"); old_* what changed from, when it did.
 */
struct schema_event {
	int64_t seq;
	char *data_source_id;
	char *database_id;
	char *seen_at; /* ISO; NULL on add → now */
	char *run_id;
	char *kind;
	char *property_id; /* as the API returns it ("%3AUPp") */
	char *name;
	char *type;
	json_t *options; /* select/multi_select/status: sorted option names; else NULL */
	char *old_name;
	char *old_type;
	json_t *old_options;
};

void schema_event_init(struct schema_event *e);
void schema_event_release(struct schema_event *e);
void schema_events_free(struct schema_event *e, size_t n);
json_t *schema_event_to_json(const struct schema_event *e);
int store_schema_event_add(struct store *s, const struct schema_event *e, struct nv_err *err);
/*
 * Schema events oldest first, of one data source and/or one database (NULL
 * = any); limit > 0 keeps only the newest `limit` of them.
 */
int store_schema_events(struct store *s, const char *data_source_id, const char *database_id,
			int64_t limit, struct schema_event **out, size_t *n, struct nv_err *err);

/* ---- sync state (mutable, per data source) ------------------------------ */

struct sync_state {
	char *data_source_id; /* key */
	char *database_id;
	char *watermark;	 /* greatest committed last_edited_time, ISO */
	char *last_full_scan_at; /* when the last complete deletion scan finished */
	int64_t scan_epoch;	 /* number of the last deletion scan started */
	char *resume_after;	 /* resume point of an interrupted run, or NULL */
	char *run_id;		 /* a run in progress (not finished), or NULL */
	char *run_started_at;
	char *run_trigger;
	json_t *extra; /* engine-private JSON object, or NULL */
};

void sync_state_init(struct sync_state *st);
void sync_state_release(struct sync_state *st);
/* NV_ENOTFOUND when the data source was never synced. */
int store_sync_state_get(struct store *s, const char *data_source_id, struct sync_state *out,
			 struct nv_err *err);
int store_sync_state_put(struct store *s, const struct sync_state *st, struct nv_err *err);
/* All sync states (for status output). */
int store_sync_state_list(struct store *s, struct sync_state **out, size_t *n, struct nv_err *err);
void sync_states_free(struct sync_state *st, size_t n);

/* ---- conflicts ---------------------------------------------------------- */

int store_conflict_add(struct store *s, const char *task_id, const char *local_version_id,
		       const char *notion_version_id, struct nv_err *err);
/* JSON array of {id, taskId, localVersionId, notionVersionId, createdAt}; task_id NULL = all. */
int store_conflict_list(struct store *s, const char *task_id, json_t **out, struct nv_err *err);

/* ---- scheduler state (single row) --------------------------------------- */

struct sched_state {
	int enabled;
	int running; /* a daemon is alive (pid below) */
	int64_t pid;
	char *schedule;
	char *next_run;
	char *last_run;
	int last_run_success;
	char *last_run_error;
	char *updated_at;
};

void sched_state_init(struct sched_state *st);
void sched_state_release(struct sched_state *st);
/* Never-written state comes back initialised (everything NULL/0), NV_OK. */
int store_sched_state_get(struct store *s, struct sched_state *out, struct nv_err *err);
int store_sched_state_put(struct store *s, const struct sched_state *st, struct nv_err *err);

/* ---- the sync lock ------------------------------------------------------ */

struct store_lock;
/*
 * Takes the store's exclusive sync lock without waiting; held until
 * store_unlock() or process exit (a killed process never leaves it held).
 * NV_ELOCKED, with a message saying a sync is already running, if another
 * holder exists in any process.
 */
int store_lock(struct store *s, struct store_lock **out, struct nv_err *err);
void store_unlock(struct store_lock *lock);
/*
 * A short note kept in the lock file itself, for what cannot be written to
 * a store that is full (issue 15 #10): the sync records there that a run
 * failed without its evidence, and the next run records it properly. The
 * lock file's blocks are already allocated for a note of a few hundred
 * bytes on most file systems, and it needs no SQLite transaction.
 * store_lock_note() replaces the note (NULL clears it); store_lock_read_note()
 * returns a copy, or NULL when there is none.
 */
int store_lock_note(struct store_lock *lock, const char *text);
char *store_lock_read_note(struct store_lock *lock);

/*
 * Sets *running when another process holds the sync lock of s, without
 * taking it and without creating anything.
 */
int store_sync_running(struct store *s, int *running, struct nv_err *err);

/* ---- copies --------------------------------------------------------------- */

/*
 * Writes a consistent copy of the whole store to a new file at path (which
 * must not exist), e.g. the scratch store of a dry run. s may be read-only.
 */
int store_copy_to(struct store *s, const char *path, struct nv_err *err);

/* ---- verification ------------------------------------------------------- */

/*
 * Checks integrity (engine check), every task's version chain (content and
 * chain hashes recomputed, numbers dense, task row matches its current
 * version) and that the append-only triggers exist. *report (new JSON) is
 * {"ok":bool, "tasksChecked":n, "versionsChecked":n, "problems":[{"taskId",
 * "version", "problem"}...]}. Returns NV_OK when clean, NV_ETAMPERED when a
 * problem was found (message summarises the first).
 */
int store_verify(struct store *s, json_t **report, struct nv_err *err);

/*
 * The store-wide chain (SPEC §3, issue 15 #6): every version, in sequence
 * order, extends one chain, head_n = SHA-256(head_{n-1} "\n" version id
 * "\n" the version's own chain hash), head_0 = "". Each sync's evidence
 * records {head, versions}; verify recomputes the chain and checks every
 * recorded head, so deleting a whole task with its versions or truncating
 * history is found even with the triggers put back.
 */
struct store_chain {
	char head[HASH_HEX_LEN + 1]; /* "" for a store without versions */
	int64_t versions;
};
int store_chain_head(struct store *s, struct store_chain *out, struct nv_err *err);
/* Whether head is the chain's head after some number of versions (*at: how many). */
int store_chain_find(struct store *s, const char *head, int64_t *at, int *found,
		     struct nv_err *err);

#endif
