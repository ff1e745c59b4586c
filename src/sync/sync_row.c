/*
 * sync_row.c: one Notion row → one store write (SPEC §4.2, §4.6, §4.7).
 *
 * The row's truncated reference properties are completed through the
 * page-property endpoint (or kept with an explicit truncated marker), the
 * row is mapped, and the outcome decided against the stored task:
 *
 *   no task                          → version 1, "created"
 *   same content hash                → nothing written ("unchanged")
 *   active → in trash                → new version, "deleted in Notion"
 *   deleted → active                 → new version, "restored in Notion"
 *   otherwise changed                → new version, "updated in Notion"
 *
 * Conflicts: when the task's current version was written locally after its
 * last notion-sync version, the row is compared with that notion-sync
 * version. Same content: Notion did not change, the local edit stays.
 * Different: Notion wins, the version carries the conflict flag and a
 * conflicts row links the overwritten local version and the new one.
 *
 * A dry run takes the same decisions with reads only.
 */
#include "sync/sync_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mapper/mapper.h"
#include "util/buf.h"
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

void sync_count_outcome(struct source_run *r, enum row_outcome outcome)
{
	static const size_t field_of[] = {
		[ROW_CREATED] = offsetof(struct sync_db_result, created),
		[ROW_UPDATED] = offsetof(struct sync_db_result, updated),
		[ROW_UNCHANGED] = offsetof(struct sync_db_result, unchanged),
		[ROW_DELETED] = offsetof(struct sync_db_result, deleted),
		[ROW_RESTORED] = offsetof(struct sync_db_result, restored),
		[ROW_KEPT_LOCAL] = offsetof(struct sync_db_result, unchanged),
	};

	if (outcome == ROW_SKIPPED)
		return;
	*(int64_t *)((char *)r->res + field_of[outcome]) += 1;
}

/*
 * Completes each truncated property of page in place. Returns NV_OK (a
 * property that could not be completed is marked truncated and noted), or
 * NV_EINTERRUPTED when the stop flag ended a request.
 */
static int complete_truncated(struct source_run *r, json_t *page, struct nv_err *err)
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
		} else if ((rc = notion_retrieve_property(r->run->c, page_id, prop_id, &full,
							  &perr))) {
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
			r->truncated_kept++;
			sync_note(r->res->warnings,
				  "page %s: property '%s' kept truncated (marked truncated: true): "
				  "%s",
				  page_id ? page_id : "?", name, why);
		}
	}
	json_decref(props);
	return rc;
}

/* Content hash of the version numbered num of task id; NV_OK or a store error. */
static int version_hash(struct store *s, const char *id, int64_t num, char out[HASH_HEX_LEN + 1],
			struct nv_err *err)
{
	struct task_version v;
	int rc;

	task_version_init(&v);
	rc = store_task_version(s, id, num, &v, err);
	if (!rc)
		memcpy(out, v.content_hash, HASH_HEX_LEN + 1);
	task_version_release(&v);
	return rc;
}

int sync_row(struct source_run *r, json_t *page, enum row_outcome *outcome, struct nv_err *err)
{
	struct store *s = r->run->s;
	int dry = r->run->opts->dry_run;
	struct task t, cur;
	struct task_version last_sync;
	struct version_info vi = {.created_by = SYNC_CREATED_BY, .change_reason = "created"};
	struct nv_err merr;
	enum row_outcome kind = ROW_CREATED;
	enum put_outcome put = PUT_UNCHANGED;
	char now[TIME_ISO_MAX];
	char hash[HASH_HEX_LEN + 1];
	int have_cur = 0, local_edit = 0, rc;

	*outcome = ROW_SKIPPED;
	task_init(&t);
	task_init(&cur);
	task_version_init(&last_sync);
	if ((rc = complete_truncated(r, page, err)))
		goto out;
	nv_err_clear(&merr);
	if (mapper_map_page(r->db, r->ds_id, page, &t, &merr)) {
		const char *id = json_string_value(json_object_get(page, "id"));
		sync_note(r->res->errors, "row %s skipped: %s", id ? id : "(no id)", merr.msg);
		goto out;
	}
	if (!t.notion_page_id) {
		sync_note(r->res->errors, "a row without a page id was skipped");
		goto out;
	}

	rc = store_task_get_by_page(s, r->ds_id, t.notion_page_id, &cur, err);
	if (rc == NV_ENOTFOUND) {
		rc = NV_OK;
		nv_err_clear(err);
	} else if (rc) {
		goto out;
	} else {
		have_cur = 1;
	}

	if (!t.active && !t.deleted_at)
		t.deleted_at = xstrdup(have_cur && !cur.active && cur.deleted_at
					       ? cur.deleted_at
					       : time_format_iso(time_now_ms(), now));
	if (t.active) {
		free(t.deleted_at);
		t.deleted_at = NULL;
	}

	if (have_cur) {
		free(t.id);
		t.id = xstrdup(cur.id);
		if (cur.active && !t.active) {
			kind = ROW_DELETED;
			vi.change_reason = "deleted in Notion";
		} else if (!cur.active && t.active) {
			kind = ROW_RESTORED;
			vi.change_reason = "restored in Notion";
		} else {
			kind = ROW_UPDATED;
			vi.change_reason = "updated in Notion";
		}
		/* a local edit after the last notion-sync version? */
		rc = store_task_last_version_by(s, cur.id, SYNC_CREATED_BY, &last_sync, err);
		if (rc == NV_ENOTFOUND) {
			rc = NV_OK;
			nv_err_clear(err);
		} else if (rc) {
			goto out;
		} else if (last_sync.num < cur.version) {
			local_edit = 1;
		}
		task_content_hash(&t, hash);
		if (local_edit) {
			if (!strcmp(hash, last_sync.content_hash)) {
				*outcome = ROW_KEPT_LOCAL;
				goto out;
			}
			vi.conflict = 1;
		} else if (dry) {
			char cur_hash[HASH_HEX_LEN + 1];
			if ((rc = version_hash(s, cur.id, cur.version, cur_hash, err)))
				goto out;
			if (!strcmp(hash, cur_hash)) {
				*outcome = ROW_UNCHANGED;
				goto out;
			}
		}
	}

	if (dry) {
		*outcome = kind;
		if (vi.conflict)
			r->res->conflicts++;
		goto out;
	}
	if ((rc = store_task_put(s, &t, &vi, &put, err)))
		goto out;
	if (put == PUT_UNCHANGED) {
		*outcome = ROW_UNCHANGED;
		goto out;
	}
	*outcome = put == PUT_CREATED ? ROW_CREATED : kind;
	if (vi.conflict) {
		if ((rc = store_conflict_add(s, cur.id, cur.current_version_id,
					     t.current_version_id, err)))
			goto out;
		r->res->conflicts++;
		sync_note(r->res->warnings,
			  "task %s (page %s) was edited locally and in Notion: Notion's version "
			  "kept, "
			  "local version %lld flagged in conflicts",
			  cur.id, t.notion_page_id, (long long)cur.version);
	}
out:
	task_release(&t);
	task_release(&cur);
	task_version_release(&last_sync);
	return rc;
}
