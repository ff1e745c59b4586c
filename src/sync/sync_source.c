/*
 * sync_source.c: one data source in one run (SPEC §4.1-4.5). Three steps:
 *
 *  1. The id scan: every page id, title property only, sorted by
 *     created_time (stable while rows are edited). Each result page marks
 *     its ids seen with this run's scan epoch. Pages with no task yet, and
 *     tasks sync deleted whose page shows up again, widen step 2 back to
 *     their last_edited_time. Skipped when step 2 reads every row anyway
 *     (first sync, --full): that pass is the scan.
 *  2. The incremental pass: last_edited_time on_or_after (watermark -
 *     lookback, or earlier when widened), ascending, never a strict "after". Each result page is
 * one transaction holding its rows, their scan marks and the sync state with the new watermark (the
 * greatest last_edited_time committed) and resume point. A kill at any moment leaves a state from
 * which the next run re-reads every row not yet committed.
 *  3. Deletions, only after a scan that completed: active tasks the scan did
 *     not see are soft-deleted ("deleted in Notion"), unless that is more
 *     than half the active tasks and more than 10 (mass-delete guard).
 *
 * A dry run is this same code on a scratch copy of the store (sync.c).
 */
#include "sync/sync_internal.h"

#include <stdlib.h>
#include <string.h>

#include "mapper/mapper.h"
#include "notion/notion_json.h"
#include "util/nv_assert.h"
#include "util/xalloc.h"

void sync_source_run_release(struct source_run *r)
{
	sync_state_release(&r->st);
}

/* Dashed page id of a row into out; -1 when it has none. */
static int row_page_id(const json_t *row, char out[ID_DASHED_LEN + 1])
{
	return id_normalize(json_string_value(json_object_get(row, "id")), out);
}

static void report_progress(struct source_run *r, const char *phase)
{
	const struct sync_opts *o = r->run->opts;
	struct notion_stats ns;
	struct sync_progress p = {0};

	if (!o->progress)
		return;
	notion_client_stats(r->run->c, &ns);
	if (!strcmp(phase, "query") && r->pass_first_ms > 0) {
		int64_t server = notion_client_server_time(r->run->c);
		p.edited_from_ms = r->pass_first_ms;
		p.edited_at_ms = r->pass_at_ms;
		p.edited_until_ms = server > 0 ? server : time_now_ms();
	}
	p.database_id = r->db->database_id;
	p.phase = phase;
	p.rows = r->progress_rows;
	p.requests = ns.requests;
	p.rate_limit_waits = ns.rate_limited;
	o->progress(o->progress_ud, &p);
}

static int stop_requested(const struct source_run *r)
{
	return r->run->opts->stop && *r->run->opts->stop;
}

static int save_state(struct source_run *r, struct nv_err *err)
{
	return store_sync_state_put(r->run->s, &r->st, err);
}

static void set_str(char **slot, const char *value)
{
	char *copy = xstrdup(value);

	free(*slot);
	*slot = copy;
}

/* The active tasks stored for the data source (rows a full query should return), 0 unknown. */
static int64_t stored_tasks(struct source_run *r)
{
	int64_t active = 0, deleted = 0;
	struct nv_err err;

	nv_err_clear(&err);
	if (store_count_tasks(r->run->s, r->db->database_id, r->ds_id, &active, &deleted, &err))
		return 0;
	return active;
}

/* ---- step 1: the id scan ------------------------------------------------ */

/* Remembers a row the pass must read even if the watermark is past it. */
static void add_reread(struct source_run *r, const json_t *row)
{
	int64_t let = sync_parse_time(json_string_value(json_object_get(row, "last_edited_time")));

	if (let < 0)
		let = 0;
	if (!r->reread || let < r->reread_min_let_ms)
		r->reread_min_let_ms = let;
	r->reread++;
}

/*
 * Checks the pages one scan result page saw against the store (one query
 * for their heads). Two kinds of pages need the pass to reach back past the
 * watermark (their last_edited_time may be older than it): a page with no
 * task (shared with the integration late, moved into the database; rows
 * older than lastSyncTimestamp excepted, as asked), and a task the sync
 * deleted whose page is back (sync_scan_needs_reread()). A task deleted
 * locally is left alone unless Notion changes it (sync_decide() decides).
 */
static int check_scanned_rows(struct source_run *r, json_t *const *rows, const char *const *ids,
			      size_t n, struct nv_err *err)
{
	struct store_head *heads = NULL;
	int64_t floor = sync_parse_time(r->db->last_sync_timestamp);
	int rc;

	if ((rc = store_heads_by_pages(r->run->s, r->ds_id, SYNC_CREATED_BY, ids, n, &heads, err)))
		return rc;
	for (size_t i = 0; i < n; i++) {
		if (!sync_scan_needs_reread(&heads[i]))
			continue;
		if (!heads[i].id) {
			int64_t let = sync_parse_time(
				json_string_value(json_object_get(rows[i], "last_edited_time")));
			if (floor >= 0 && let < floor)
				continue;
			r->unknown_seen++;
		}
		add_reread(r, rows[i]);
	}
	store_heads_free(heads, n);
	return NV_OK;
}

/* Page ids of a result page, as an array for store_scan_mark_seen(). */
struct id_batch {
	char (*ids)[ID_DASHED_LEN + 1];
	const char **ptrs;
	size_t n;
};

static void id_batch_init(struct id_batch *b, size_t cap)
{
	b->ids = xcalloc(cap ? cap : 1, sizeof(*b->ids));
	b->ptrs = xcalloc(cap ? cap : 1, sizeof(*b->ptrs));
	b->n = 0;
}

static void id_batch_add(struct id_batch *b, const char *id)
{
	memcpy(b->ids[b->n], id, ID_DASHED_LEN + 1);
	b->ptrs[b->n] = b->ids[b->n];
	b->n++;
}

static void id_batch_release(struct id_batch *b)
{
	free(b->ids);
	free(b->ptrs);
}

/* Records the ids as seen by this run's scan epoch. */
static int mark_seen(struct source_run *r, const struct id_batch *b, struct nv_err *err)
{
	if (!b->n)
		return NV_OK;
	return store_scan_mark_seen(r->run->s, r->ds_id, r->epoch, b->ptrs, b->n, err);
}

static int scan_page_cb(void *ud, json_t *rows, struct nv_err *err)
{
	struct source_run *r = ud;
	struct id_batch b;
	json_t *row, **kept;
	size_t i;
	int rc = NV_OK;

	/* the client fetched this page, and will fetch the next, outside a transaction */
	NV_ASSERT(!store_in_write_tx(r->run->s));
	id_batch_init(&b, json_array_size(rows));
	kept = xcalloc(json_array_size(rows) ? json_array_size(rows) : 1, sizeof(*kept));
	json_array_foreach(rows, i, row)
	{
		char id[ID_DASHED_LEN + 1];
		if (json_object_get(row, NOTION_UNREADABLE_KEY) && row_page_id(row, id)) {
			r->unidentified = 1; /* a row we cannot name: nothing may be deleted */
			continue;
		}
		if (sync_row_in_trash(row) || row_page_id(row, id))
			continue;
		kept[b.n] = row;
		id_batch_add(&b, id);
	}
	if ((rc = check_scanned_rows(r, kept, b.ptrs, b.n, err)) || (rc = mark_seen(r, &b, err))) {
		r->store_failed = 1;
		goto out;
	}
	r->scan_seen += (int64_t)b.n;
	r->progress_rows += (int64_t)json_array_size(rows);
	report_progress(r, "scan");
	if (stop_requested(r))
		rc = nv_err_set(err, NV_EINTERRUPTED, "stopped during the id scan");
out:
	free(kept);
	id_batch_release(&b);
	return rc;
}

static int scan_page(void *ud, const struct notion_page *p, struct nv_err *err)
{
	return scan_page_cb(ud, p->rows, err);
}

static int begin_scan_epoch(struct source_run *r, struct nv_err *err)
{
	r->epoch = r->st.scan_epoch + 1;
	r->st.scan_epoch = r->epoch;
	return save_state(r, err);
}

/*
 * Step 1. Returns NV_OK whether or not the scan completed (r->scan_complete
 * says), NV_EINTERRUPTED when stopped, or a store error.
 */
static int run_id_scan(struct source_run *r, struct nv_err *err)
{
	struct notion_query q = {
		.data_source = !r->legacy,
		.id = r->ds_id,
		.sort = NOTION_SORT_CREATED,
		.expect_from_ms = r->created_ms,
		.expect_rows = stored_tasks(r),
	};
	struct notion_streams streams = {
		.max_streams = SYNC_MAX_STREAMS, .page = scan_page, .ud = r};
	const char *props[1];
	struct nv_err qerr;
	int rc;

	if ((rc = begin_scan_epoch(r, err)))
		return rc;
	if (r->title_prop_id) {
		props[0] = r->title_prop_id;
		q.filter_properties = props;
		q.n_filter_properties = 1;
	}
	nv_err_clear(&qerr);
	/* SPEC §4.14: pages are fetched on threads that hold no transaction */
	NV_ASSERT(!store_in_write_tx(r->run->s));
	rc = notion_query_streams(r->run->c, &q, &streams, &qerr);
	if (rc == NV_EINTERRUPTED) {
		r->interrupted = 1;
		json_object_set_new(r->ds_meta, "scan", json_string("interrupted"));
		sync_note(r->res->warnings,
			  "data source %s: id scan interrupted after %lld rows; "
			  "no task was deleted",
			  r->ds_id, (long long)r->scan_seen);
		return nv_err_set(err, rc, "%s", qerr.msg);
	}
	if (rc && r->store_failed) {
		/* the store failed under the scan: that ends this data source */
		nv_err_set(err, rc, "%s", qerr.msg);
		return rc;
	}
	if (rc) {
		json_object_set_new(r->ds_meta, "scan", json_string("failed"));
		sync_note(r->res->errors,
			  "data source %s: id scan failed after %lld rows, so no task "
			  "was deleted: %s",
			  r->ds_id, (long long)r->scan_seen, qerr.msg);
		r->scan_seen = 0;
		return NV_OK;
	}
	r->scan_complete = 1;
	json_object_set_new(r->ds_meta, "scan", json_string("complete"));
	json_object_set_new(r->ds_meta, "scanSeen", json_integer(r->scan_seen));
	json_object_set_new(r->ds_meta, "scanNewPages", json_integer(r->unknown_seen));
	return NV_OK;
}

/* ---- step 2: the incremental pass -------------------------------------- */

/*
 * What a result page changes in memory before its transaction commits. If
 * the commit fails (a full disk, say), the page is rolled back and so must
 * these be: write_evidence() later saves r->st, and a watermark past the
 * last committed row would make the next run skip the lost page's rows.
 */
struct page_undo {
	char *watermark, *resume_after;
	struct sync_db_result counts;
	int64_t pass_rows, pass_active, pass_skipped;
};

static void page_undo_save(struct page_undo *u, const struct source_run *r)
{
	u->watermark = r->st.watermark ? xstrdup(r->st.watermark) : NULL;
	u->resume_after = r->st.resume_after ? xstrdup(r->st.resume_after) : NULL;
	u->counts = *r->res;
	u->pass_rows = r->pass_rows;
	u->pass_active = r->pass_active;
	u->pass_skipped = r->pass_skipped;
}

/* Puts r back as page_undo_save() found it (restore != 0), and frees u. */
static void page_undo_finish(struct page_undo *u, struct source_run *r, int restore)
{
	if (restore) {
		free(r->st.watermark);
		free(r->st.resume_after);
		r->st.watermark = u->watermark;
		r->st.resume_after = u->resume_after;
		r->res->created = u->counts.created;
		r->res->updated = u->counts.updated;
		r->res->unchanged = u->counts.unchanged;
		r->res->deleted = u->counts.deleted;
		r->res->restored = u->counts.restored;
		r->res->conflicts = u->counts.conflicts;
		r->pass_rows = u->pass_rows;
		r->pass_active = u->pass_active;
		r->pass_skipped = u->pass_skipped;
	} else {
		free(u->watermark);
		free(u->resume_after);
	}
}

/*
 * The greatest time the watermark may take (SPEC §4.4, issue 15 #2): the
 * server's time of the answer (its Date header, 1 s resolution), or the
 * local clock plus a minute when there was none. A row stamped later (a
 * clock gone wrong, a hostile server) is still written, but would otherwise
 * move the watermark into the future and make every later edit invisible.
 */
#define WATERMARK_SKEW_MS 60000

static int64_t watermark_cap(struct source_run *r)
{
	int64_t server = notion_client_server_time(r->run->c);

	return server > 0 ? server + 1000 : time_now_ms() + WATERMARK_SKEW_MS;
}

static int64_t capped_edit_time(struct source_run *r, const json_t *row, int64_t let)
{
	int64_t cap = watermark_cap(r);
	char a[TIME_ISO_MAX], b[TIME_ISO_MAX];

	if (let <= cap)
		return let;
	sync_note(r->res->warnings,
		  "data source %s: row %s has last_edited_time %s, after the server's time %s; "
		  "the watermark stops at the server's time",
		  r->ds_id, json_string_value(json_object_get(row, "id")) ?: "?",
		  time_format_iso(let, a), time_format_iso(cap, b));
	return cap;
}

/*
 * A row the client could not read (notion_json.h): quarantined (SPEC
 * §4.12). It counts as present (never deleted), is named in the evidence,
 * and holds the watermark below its last_edited_time (below the page's
 * watermark when that is unknown), so every run reads it again until it
 * reads; the rest of its page is written as usual.
 */
static void quarantine_row(struct source_run *r, const json_t *row, int64_t page_start)
{
	const char *id = json_string_value(json_object_get(row, "id"));
	const char *why = json_string_value(json_object_get(row, NOTION_UNREADABLE_KEY));
	int64_t let = sync_parse_time(json_string_value(json_object_get(row, "last_edited_time")));
	int64_t hold = let > 0 ? let : page_start;
	json_t *list = json_object_get(r->ds_meta, "quarantined");

	r->quarantined++;
	if (!id)
		r->unidentified = 1;
	if (hold > 0 && (!r->hold_ms || hold < r->hold_ms))
		r->hold_ms = hold;
	if (!list) {
		list = json_array();
		json_object_set_new(r->ds_meta, "quarantined", list);
	}
	if (json_array_size(list) < 100)
		json_array_append_new(list, json_pack("{s:o s:s}", "pageId",
						      id ? json_string(id) : json_null(), "reason",
						      why ? why : "unreadable"));
	sync_note(r->res->errors,
		  "data source %s: row %s could not be read (%s); quarantined: the rest of its "
		  "page was written, and it is read again on every run until it reads",
		  r->ds_id, id ? id : "(page id unreadable)", why ? why : "unreadable");
}

/*
 * One result page of the pass, on the caller's thread: its rows (truncated
 * properties completed by the fetch thread: completed), then one
 * transaction with their versions, scan marks and the sync state. Pages of
 * different windows of the query arrive in any order, so the watermark goes
 * to the greatest last_edited_time committed, but never past
 * complete_below: below it every row of the pass has been committed.
 */
static int pass_page_cb(struct source_run *r, json_t *rows, const json_t *completed,
			int64_t complete_below, struct nv_err *err)
{
	int64_t watermark = sync_parse_time(r->st.watermark);
	int64_t page_max = -1, most, upto;
	struct page_undo undo;
	struct page_batch pb;
	struct id_batch b;
	int rc;

	id_batch_init(&b, json_array_size(rows));
	/* Notion first (truncated properties), then the transaction */
	if ((rc = sync_page_prepare(r, rows, completed, &pb, err)))
		goto out;
	if ((rc = store_begin(r->run->s, err)))
		goto out;
	page_undo_save(&undo, r);
	if ((rc = sync_page_write(r, &pb, err)))
		goto fail;
	for (size_t i = 0; i < pb.n; i++) {
		const struct page_row *pr = &pb.rows[i];
		if (json_object_get(pr->json, NOTION_UNREADABLE_KEY))
			quarantine_row(r, pr->json, watermark);
		r->pass_rows++;
		if (!pr->mapped)
			r->pass_skipped++;
		if (!pr->trashed) {
			/* present in Notion, even if it could not be mapped: never delete it */
			r->pass_active++;
			if (pr->have_id)
				id_batch_add(&b, pr->page_id);
		}
		if (pr->last_edited > page_max)
			page_max = capped_edit_time(r, pr->json, pr->last_edited);
		if (pr->last_edited > 0 &&
		    (!r->pass_first_ms || pr->last_edited < r->pass_first_ms))
			r->pass_first_ms = pr->last_edited;
	}
	if (page_max > r->pass_at_ms)
		r->pass_at_ms = page_max;
	if ((rc = mark_seen(r, &b, err)))
		goto fail;
	most = page_max > r->pass_max_let ? page_max : r->pass_max_let;
	upto = most < complete_below ? most : complete_below;
	if (r->hold_ms && upto >= r->hold_ms)
		upto = r->hold_ms - 1;
	if (upto > watermark) {
		char iso[TIME_ISO_MAX];
		set_str(&r->st.watermark, time_format_iso(upto, iso));
	}
	set_str(&r->st.resume_after, r->st.watermark);
	if ((rc = save_state(r, err)))
		goto fail;
	if ((rc = store_commit(r->run->s, err)))
		goto fail;
	r->pass_max_let = most;
	r->progress_rows += (int64_t)json_array_size(rows);
	report_progress(r, "query");
	if (stop_requested(r))
		rc = nv_err_set(err, NV_EINTERRUPTED, "stopped after committing a result page");
	page_undo_finish(&undo, r, 0);
	goto out;
fail:
	store_rollback(r->run->s);
	page_undo_finish(&undo, r, 1);
out:
	sync_page_batch_release(&pb);
	id_batch_release(&b);
	return rc;
}

/* On a fetch thread: the rows' truncated properties, before their page is queued. */
static int pass_prepare(void *ud, json_t *rows, json_t **prepared, struct nv_err *err)
{
	const struct source_run *r = ud;

	return sync_page_complete(r->run->c, rows, prepared, err);
}

static int pass_page(void *ud, const struct notion_page *p, struct nv_err *err)
{
	return pass_page_cb(ud, p->rows, p->prepared, p->complete_below_ms, err);
}

/* The on_or_after time of the pass into out, or NULL for a full pass. */
static const char *pass_start(struct source_run *r, char out[TIME_ISO_MAX])
{
	int64_t base;

	if (r->full_pass)
		return NULL;
	base = sync_parse_time(r->st.watermark);
	if (base < 0)
		base = sync_parse_time(r->db->last_sync_timestamp);
	if (base < 0)
		return NULL;
	if (r->reread && r->reread_min_let_ms < base) {
		char iso[TIME_ISO_MAX];
		base = r->reread_min_let_ms;
		json_object_set_new(r->ds_meta, "widenedTo",
				    json_string(time_format_iso(base, iso)));
	}
	return time_format_iso(base - r->run->lookback_ms, out);
}

static int run_pass(struct source_run *r, struct nv_err *err)
{
	char from[TIME_ISO_MAX];
	struct notion_query q = {
		.data_source = !r->legacy,
		.id = r->ds_id,
		.sort = NOTION_SORT_LAST_EDITED,
		.expect_from_ms = r->created_ms,
		.expect_rows = stored_tasks(r),
	};
	struct notion_streams streams = {
		.max_streams = SYNC_MAX_STREAMS,
		.prepare = pass_prepare,
		.page = pass_page,
		.ud = r,
	};
	const char **props = NULL;
	struct nv_err qerr;
	int rc;

	/* 2025-09-03 on: name every property, or 2026-12-01 returns the title only */
	if (notion_version_names_properties(notion_client_version(r->run->c)))
		props = mapper_property_ids(r->properties, &q.n_filter_properties);
	q.filter_properties = props;
	q.on_or_after = pass_start(r, from);
	json_object_set_new(r->ds_meta, "mode", json_string(r->full_pass ? "full" : "incremental"));
	json_object_set_new(r->ds_meta, "onOrAfter",
			    q.on_or_after ? json_string(q.on_or_after) : json_null());
	if (r->full_pass && (rc = begin_scan_epoch(r, err))) {
		free(props);
		return rc;
	}
	nv_err_clear(&qerr);
	NV_ASSERT(!store_in_write_tx(r->run->s));
	r->pass_max_let = -1;
	rc = notion_query_streams(r->run->c, &q, &streams, &qerr);
	free(props);
	if (rc == NV_EINTERRUPTED)
		r->interrupted = 1;
	if (rc) {
		nv_err_set(err, rc, "%s", qerr.msg);
		return rc;
	}
	/*
	 * Every page is committed: the watermark may go to the newest row now,
	 * even when the last page committed was not the newest window's.
	 */
	if (r->pass_max_let >= 0) {
		int64_t upto = r->pass_max_let;
		char iso[TIME_ISO_MAX];

		if (r->hold_ms && upto >= r->hold_ms)
			upto = r->hold_ms - 1;
		if (upto > sync_parse_time(r->st.watermark))
			set_str(&r->st.watermark, time_format_iso(upto, iso));
	}
	if (r->full_pass) {
		r->scan_complete = 1;
		r->scan_seen = r->pass_active;
		json_object_set_new(r->ds_meta, "scan", json_string("complete (full pass)"));
		json_object_set_new(r->ds_meta, "scanSeen", json_integer(r->scan_seen));
	}
	free(r->st.resume_after);
	r->st.resume_after = NULL;
	r->pass_complete = 1;
	return NV_OK;
}

/* ---- step 3: deletions --------------------------------------------------- */

struct unseen_list {
	char **page_ids;
	size_t n, cap;
};

static int collect_unseen(void *ud, const struct task *t)
{
	struct unseen_list *l = ud;

	if (!t->notion_page_id)
		return 0;
	l->page_ids = xgrow(l->page_ids, &l->cap, l->n + 1, sizeof(char *));
	l->page_ids[l->n++] = xstrdup(t->notion_page_id);
	return 0;
}

/*
 * Inside a deletion transaction: the scan epoch stored for the data source
 * must still be this run's. Another run (one that reached the store without
 * this run's lock) that started a scan since would make "not seen by this
 * scan" meaningless, so nothing is deleted.
 */
static int check_scan_epoch(struct source_run *r, struct nv_err *err)
{
	struct sync_state cur;
	int rc;

	sync_state_init(&cur);
	rc = store_sync_state_get(r->run->s, r->ds_id, &cur, err);
	if (rc == NV_OK && cur.scan_epoch != r->epoch)
		rc = nv_err_set(err, NV_ERR,
				"data source %s: another run started a deletion scan (epoch %lld, "
				"this run's is %lld); no task was deleted",
				r->ds_id, (long long)cur.scan_epoch, (long long)r->epoch);
	sync_state_release(&cur);
	return rc;
}

/*
 * Soft-deletes the tasks of up to SYNC_DELETE_BATCH pages in one
 * transaction: the same decision and write as a row seen in the trash.
 * Counts are kept only when the batch commits.
 */
static int delete_batch(struct source_run *r, const char *const *page_ids, size_t n,
			struct nv_err *err)
{
	struct page_batch pb;
	struct page_undo undo;
	int rc;

	memset(&pb, 0, sizeof(pb));
	if ((rc = store_begin(r->run->s, err)))
		return rc;
	page_undo_save(&undo, r);
	if ((rc = check_scan_epoch(r, err)) ||
	    (rc = sync_page_prepare_missing(r, page_ids, n, &pb, err)) ||
	    (rc = sync_page_write(r, &pb, err)) || (rc = store_commit(r->run->s, err))) {
		store_rollback(r->run->s);
		page_undo_finish(&undo, r, 1);
	} else {
		page_undo_finish(&undo, r, 0);
	}
	sync_page_batch_release(&pb);
	return rc;
}

static int delete_unseen(struct source_run *r, struct nv_err *err)
{
	struct unseen_list l = {NULL, 0, 0};
	int64_t unseen = 0, active = 0, deleted = 0;
	char now[TIME_ISO_MAX];
	int rc;

	if ((rc = store_count_tasks(r->run->s, r->db->database_id, r->ds_id, &active, &deleted,
				    err)))
		return rc;
	if ((rc = store_scan_unseen(r->run->s, r->ds_id, r->epoch, NULL, NULL, &unseen, err)))
		return rc;
	json_object_set_new(r->ds_meta, "unseenByScan", json_integer(unseen));
	if (unseen > active / 2 && unseen > 10 && !r->run->opts->allow_mass_delete) {
		r->guard_tripped = 1;
		sync_note(r->res->warnings,
			  "data source %s: the scan did not see %lld of %lld active tasks; more "
			  "than half "
			  "would be deleted, so none was (mass-delete guard). If the rows really "
			  "are gone, "
			  "run 'nvault sync --allow-mass-delete'",
			  r->ds_id, (long long)unseen, (long long)active);
		return NV_OK;
	}
	if (unseen &&
	    (rc = store_scan_unseen(r->run->s, r->ds_id, r->epoch, collect_unseen, &l, NULL, err)))
		goto out;
	for (size_t i = 0; i < l.n && !rc; i += SYNC_DELETE_BATCH) {
		size_t k = l.n - i < SYNC_DELETE_BATCH ? l.n - i : SYNC_DELETE_BATCH;
		if ((rc = delete_batch(r, (const char *const *)l.page_ids + i, k, err)))
			break;
		if (stop_requested(r) && i + SYNC_DELETE_BATCH < l.n) {
			r->interrupted = 1;
			rc = nv_err_set(err, NV_EINTERRUPTED, "stopped while deleting tasks");
		}
	}
	if (!rc) {
		set_str(&r->st.last_full_scan_at, time_format_iso(time_now_ms(), now));
		rc = save_state(r, err);
	}
out:
	for (size_t i = 0; i < l.n; i++)
		free(l.page_ids[i]);
	free(l.page_ids);
	return rc;
}

/* ---- the three steps ----------------------------------------------------- */

int sync_source(struct source_run *r, struct nv_err *err)
{
	int first = !r->have_state || !r->st.watermark;
	int rc;

	r->title_prop_id = mapper_title_property_id(r->properties);
	r->full_pass = r->run->opts->full || (first && !r->db->last_sync_timestamp);
	json_object_set_new(r->ds_meta, "watermarkBefore",
			    r->st.watermark ? json_string(r->st.watermark) : json_null());
	if (r->st.resume_after)
		json_object_set_new(r->ds_meta, "resumedAfter", json_string(r->st.resume_after));

	if (!r->full_pass) {
		if ((rc = run_id_scan(r, err)))
			goto out;
		if (stop_requested(r)) {
			r->interrupted = 1;
			rc = nv_err_set(err, NV_EINTERRUPTED, "stopped after the id scan");
			goto out;
		}
	}
	if ((rc = run_pass(r, err)))
		goto out;
	if (r->scan_complete && r->unidentified) {
		sync_note(r->res->errors,
			  "data source %s: a row without a readable page id was listed; the "
			  "deletion scan is incomplete and no task was deleted",
			  r->ds_id);
	} else if (r->scan_complete) {
		if (stop_requested(r)) {
			r->interrupted = 1;
			rc = nv_err_set(err, NV_EINTERRUPTED, "stopped before deletions");
			goto out;
		}
		if ((rc = delete_unseen(r, err)))
			goto out;
	}
	rc = save_state(r, err);
out:
	/* rows confirmed present and unchanged: the pass's, plus those only the scan saw */
	r->res->synced += r->pass_rows - r->pass_skipped;
	if (r->scan_complete && r->pass_complete && r->scan_seen > r->pass_active) {
		r->res->unchanged += r->scan_seen - r->pass_active;
		r->res->synced += r->scan_seen - r->pass_active;
	}
	json_object_set_new(r->ds_meta, "watermarkAfter",
			    r->st.watermark ? json_string(r->st.watermark) : json_null());
	json_object_set_new(r->ds_meta, "rowsRead", json_integer(r->pass_rows));
	if (r->truncated_kept)
		json_object_set_new(r->ds_meta, "truncatedKept", json_integer(r->truncated_kept));
	if (r->pass_skipped)
		json_object_set_new(r->ds_meta, "rowsNotMapped", json_integer(r->pass_skipped));
	if (rc && rc != NV_EINTERRUPTED)
		sync_note(r->res->errors, "data source %s: %s", r->ds_id, err->msg);
	return rc;
}
