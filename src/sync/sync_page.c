/*
 * sync_page.c: one result page of the incremental pass → store writes
 * (SPEC §4.2, §4.3, §4.6, §4.7, §4.14), in two steps:
 *
 *  1. sync_page_prepare(), with no write transaction open: the rows'
 *     truncated reference properties are completed through the
 *     page-property endpoint (or kept with an explicit truncated marker),
 *     every row is mapped, normalised and hashed once, and the heads of
 *     their tasks are read in one query.
 *  2. sync_page_write(), inside the page's transaction: sync_decide() per
 *     row, then store_task_append() against the head it decided on (the
 *     store re-checks the head; when another writer moved it meanwhile,
 *     the head is read again and the row decided again), a touch of
 *     Notion's edit time for unchanged rows, and a conflicts row when
 *     Notion's version overwrites a local edit.
 *
 * So no Notion request waits inside a transaction, and a local writer (an
 * agent's task add) never waits behind Notion.
 */
#include "sync/sync_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mapper/mapper.h"
#include "notion/notion_json.h"
#include "util/buf.h"
#include "util/nv_assert.h"
#include "util/xalloc.h"

#define SYNC_NOTES_MAX 50

void sync_note(json_t *list, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	size_t n = json_array_size(list);

	if (n > SYNC_NOTES_MAX)
		return;
	if (n == SYNC_NOTES_MAX) {
		json_array_append_new(list, json_string("further messages omitted"));
		return;
	}
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	/* Notion text is UTF-8, but a message must never make jansson refuse it */
	if (json_array_append_new(list, json_string(b.data)))
		json_array_append_new(list, json_string("(message not valid UTF-8)"));
	buf_release(&b);
}

int64_t sync_parse_time(const char *iso)
{
	int64_t ms;

	if (!iso || time_parse_iso(iso, &ms))
		return -1;
	return ms;
}

void sync_count_action(struct source_run *r, enum sync_action a)
{
	static const size_t field_of[] = {
		[SYNC_NEW] = offsetof(struct sync_db_result, created),
		[SYNC_UPDATED] = offsetof(struct sync_db_result, updated),
		[SYNC_UNCHANGED] = offsetof(struct sync_db_result, unchanged),
		[SYNC_DELETED] = offsetof(struct sync_db_result, deleted),
		[SYNC_RESTORED] = offsetof(struct sync_db_result, restored),
		[SYNC_KEPT_LOCAL] = offsetof(struct sync_db_result, unchanged),
	};

	*(int64_t *)((char *)r->res + field_of[a]) += 1;
}

/*
 * Completes each truncated property of page in place through client c.
 * A property that could not be completed is marked truncated, noted in
 * warnings and counted in *kept. Returns NV_OK, or NV_EINTERRUPTED when the
 * stop flag ended a request. Touches nothing but its arguments, so a fetch
 * thread runs it (sync_page_complete()).
 */
static int complete_truncated(struct notion_client *c, json_t *page, json_t *warnings,
			      int64_t *kept, struct nv_err *err)
{
	json_t *props = mapper_truncated_properties(page);
	const char *page_id = json_string_value(json_object_get(page, "id"));
	json_t *p;
	size_t i;
	int rc = NV_OK;

	json_array_foreach(props, i, p)
	{
		const char *name = json_string_value(json_object_get(p, "name"));
		const char *prop_id = json_string_value(json_object_get(p, "id"));
		json_t *full = NULL;
		struct nv_err perr;
		const char *why = NULL;

		if (!name)
			continue;
		nv_err_clear(&perr);
		if (!page_id || !prop_id) {
			why = "the row does not name the property id";
		} else if ((rc = notion_retrieve_property(c, page_id, prop_id, &full, &perr))) {
			if (rc == NV_EINTERRUPTED) {
				nv_err_set(err, rc, "%s", perr.msg);
				break;
			}
			why = perr.msg;
			rc = NV_OK;
		} else if (!json_is_array(json_object_get(full, "results")) ||
			   mapper_splice_property(page, name, json_object_get(full, "results"))) {
			why = "the property endpoint returned items of another type";
		}
		json_decref(full);
		if (why) {
			mapper_mark_truncated(page, name);
			(*kept)++;
			sync_note(warnings,
				  "page %s: property '%s' kept truncated (marked truncated: true): "
				  "%s",
				  page_id ? page_id : "?", name, why);
		}
	}
	json_decref(props);
	return rc;
}

int sync_page_complete(struct notion_client *c, json_t *rows, json_t **prepared, struct nv_err *err)
{
	json_t *warnings = json_array(), *row;
	int64_t kept = 0;
	size_t i;
	int rc = NV_OK;

	json_array_foreach(rows, i, row)
	{
		if (json_object_get(row, NOTION_UNREADABLE_KEY))
			continue; /* quarantined by the pass, not mapped */
		if ((rc = complete_truncated(c, row, warnings, &kept, err)))
			break;
	}
	*prepared = json_pack("{s:o s:I}", "warnings", warnings, "truncatedKept", (json_int_t)kept);
	return rc;
}

int sync_row_in_trash(const json_t *row)
{
	return json_is_true(json_object_get(row, "in_trash")) ||
	       json_is_true(json_object_get(row, "archived"));
}

void sync_page_batch_release(struct page_batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		task_release(&b->rows[i].t);
	free(b->rows);
	store_heads_free(b->heads, b->n_ids);
	free(b->ids);
	memset(b, 0, sizeof(*b));
}

/*
 * Completes (unless completed says a fetch thread did), maps, normalises and
 * hashes one row into pr. NV_OK or NV_EINTERRUPTED.
 */
static int prepare_row(struct source_run *r, json_t *row, int completed, struct page_row *pr,
		       struct nv_err *err)
{
	struct nv_err merr;
	int rc;

	pr->json = row;
	task_init(&pr->t);
	pr->trashed = sync_row_in_trash(row);
	pr->have_id = !id_normalize(json_string_value(json_object_get(row, "id")), pr->page_id);
	pr->last_edited =
		sync_parse_time(json_string_value(json_object_get(row, "last_edited_time")));
	if (json_object_get(row, NOTION_UNREADABLE_KEY))
		return NV_OK; /* quarantined by the pass (sync_source.c), not mapped */
	if (!completed) {
		/* SPEC §4.14: no network I/O while a write transaction is open */
		NV_ASSERT(!store_in_write_tx(r->run->s));
		if ((rc = complete_truncated(r->run->c, row, r->res->warnings, &r->truncated_kept,
					     err)))
			return rc;
	}
	nv_err_clear(&merr);
	if (mapper_map_page(r->db, r->ds_id, row, &pr->t, &merr)) {
		const char *id = json_string_value(json_object_get(row, "id"));
		sync_note(r->res->errors, "row %s skipped: %s", id ? id : "(no id)", merr.msg);
		return NV_OK;
	}
	if (!pr->t.notion_page_id || !pr->have_id) {
		sync_note(r->res->errors, "a row without a page id was skipped");
		return NV_OK;
	}
	store_task_normalise(&pr->t);
	task_content_hash(&pr->t, pr->hash);
	pr->mapped = 1;
	return NV_OK;
}

int sync_page_prepare(struct source_run *r, json_t *rows, const json_t *completed,
		      struct page_batch *b, struct nv_err *err)
{
	json_t *row, *note;
	size_t i;
	int rc;

	memset(b, 0, sizeof(*b));
	if (completed) {
		json_array_foreach(json_object_get(completed, "warnings"), i, note)
			sync_note(r->res->warnings, "%s", json_string_value(note));
		r->truncated_kept +=
			json_integer_value(json_object_get(completed, "truncatedKept"));
	}
	/* Notion is asked first, the store read after, and nothing is written */
	NV_ASSERT(!store_in_write_tx(r->run->s));
	b->rows = xcalloc(json_array_size(rows) ? json_array_size(rows) : 1, sizeof(*b->rows));
	b->ids = xcalloc(json_array_size(rows) ? json_array_size(rows) : 1, sizeof(*b->ids));
	json_array_foreach(rows, i, row)
	{
		struct page_row *pr = &b->rows[b->n++];
		if ((rc = prepare_row(r, row, completed != NULL, pr, err)))
			return rc;
		if (pr->mapped)
			b->ids[b->n_ids++] = pr->page_id;
	}
	return store_heads_by_pages(r->run->s, r->ds_id, SYNC_CREATED_BY, b->ids, b->n_ids,
				    &b->heads, err);
}

/*
 * Decides one mapped row against *head and writes the outcome; re-reads
 * *head (replacing it) and decides again when the store says it moved.
 */
static int write_row(struct source_run *r, struct page_row *pr, struct store_head *head,
		     struct nv_err *err)
{
	struct store *s = r->run->s;
	char *deleted_at = pr->t.deleted_at ? xstrdup(pr->t.deleted_at) : NULL;
	struct sync_decision d;
	int rc = NV_OK, moved = 0;

	for (int attempt = 0;; attempt++) {
		struct version_info vi = {.created_by = SYNC_CREATED_BY};
		struct store_head *fresh = NULL;
		const char *id = pr->page_id;

		d = sync_decide(head, pr->t.active, pr->hash);
		if (d.action == SYNC_KEPT_LOCAL)
			break;
		if (d.action == SYNC_UNCHANGED) {
			rc = store_task_touch(s, head, pr->t.notion_last_edited_time, err);
			break;
		}
		vi.change_reason = d.reason;
		vi.conflict = d.conflict;
		rc = store_task_append(s, head->id ? head : NULL, &pr->t, pr->hash, &vi, &moved,
				       err);
		if (rc || !moved)
			break;
		/* read inside this transaction, the head cannot move a second time */
		NV_ASSERT(attempt == 0);
		free(pr->t.deleted_at);
		pr->t.deleted_at = deleted_at ? xstrdup(deleted_at) : NULL;
		if ((rc = store_heads_by_pages(s, r->ds_id, SYNC_CREATED_BY, &id, 1, &fresh, err)))
			break;
		store_head_release(head);
		*head = fresh[0];
		free(fresh);
	}
	free(deleted_at);
	if (rc)
		return rc;
	pr->done = d.action;
	sync_count_action(r, d.action);
	if (!d.conflict)
		return NV_OK;
	r->res->conflicts++;
	if ((rc = store_conflict_add(s, head->id, head->current_version_id,
				     pr->t.current_version_id, err)))
		return rc;
	sync_note(r->res->warnings,
		  "task %s (page %s) was edited locally and in Notion: Notion's version kept, "
		  "local version %lld flagged in conflicts",
		  head->id, pr->page_id, (long long)head->version);
	return NV_OK;
}

int sync_page_write(struct source_run *r, struct page_batch *b, struct nv_err *err)
{
	size_t k = 0;
	int rc;

	NV_ASSERT(store_in_write_tx(r->run->s));
	for (size_t i = 0; i < b->n; i++) {
		struct page_row *pr = &b->rows[i];
		if (!pr->mapped)
			continue;
		/* heads are in the order of the mapped rows' ids */
		NV_ASSERT(k < b->n_ids && b->ids[k] == pr->page_id);
		if ((rc = write_row(r, pr, &b->heads[k++], err)))
			return rc;
	}
	return NV_OK;
}

int sync_page_prepare_missing(struct source_run *r, const char *const *page_ids, size_t n,
			      struct page_batch *b, struct nv_err *err)
{
	int rc;

	memset(b, 0, sizeof(*b));
	b->rows = xcalloc(n ? n : 1, sizeof(*b->rows));
	b->ids = xcalloc(n ? n : 1, sizeof(*b->ids));
	for (size_t i = 0; i < n; i++) {
		struct page_row *pr = &b->rows[b->n++];

		task_init(&pr->t);
		pr->trashed = 1;
		pr->last_edited = -1;
		if (id_normalize(page_ids[i], pr->page_id))
			continue;
		pr->have_id = 1;
		rc = store_task_get_by_page(r->run->s, r->ds_id, pr->page_id, &pr->t, err);
		if (rc == NV_ENOTFOUND) {
			nv_err_clear(err);
			continue;
		}
		if (rc)
			return rc;
		if (!pr->t.active)
			continue; /* deleted already */
		/* Notion's last word on the row: as stored, and gone */
		pr->t.active = 0;
		free(pr->t.deleted_at);
		pr->t.deleted_at = NULL;
		store_task_normalise(&pr->t);
		task_content_hash(&pr->t, pr->hash);
		pr->mapped = 1;
		b->ids[b->n_ids++] = pr->page_id;
	}
	return store_heads_by_pages(r->run->s, r->ds_id, SYNC_CREATED_BY, b->ids, b->n_ids,
				    &b->heads, err);
}
