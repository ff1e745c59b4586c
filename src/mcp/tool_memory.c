/*
 * tool_memory.c: the memory_task tool (SPEC §8): one function per action,
 * listed with their required parameters in memory_task_actions. Each turns
 * its arguments into a request of the application layer (src/app, which
 * validates them) and renders the result. Writes are local edits: a new version authored
 * "mcp:<agentId>" with the caller's changeReason (or a default), never a
 * change of history. Deletion is soft (a version with active = false).
 */
#include "mcp/mcp_int.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "task/task.h"

static const char *const detail_choices[] = {"compact", "full", NULL};

const struct mcp_param memory_task_params[] = {
	{"action", P_STRING, "What to do.", NULL, 0, 0},
	{"id", P_STRING, "Task id, or the Notion page id (with or without dashes).", NULL, 0, 0},
	{"title", P_STRING, "Task title (add, update).", NULL, 0, 0},
	{"description", P_STRING_NULL, "Task description; null clears it.", NULL, 0, 0},
	{"status", P_STRING,
	 "Task status: backlog, open, in_progress, blocked, review, done, wont_do (words such "
	 "as 'In progress' are accepted). A field for add/update, a filter for list/search.",
	 NULL, 0, 0},
	{"resolution", P_STRING_NULL, "Resolution; null clears it.", NULL, 0, 0},
	{"category", P_STRING_NULL, "Category; null clears it.", NULL, 0, 0},
	{"dueDate", P_STRING_NULL, "Due date, ISO 8601 date or date-time; null clears it.", NULL, 0,
	 0},
	{"assignee", P_STRING_NULL, "Assignee; null clears it.", NULL, 0, 0},
	{"tags", P_TAGS, "Tags (array of strings); null clears them.", NULL, 0, 0},
	{"metadata", P_OBJECT_NULL, "Free-form JSON object kept with the task; null clears it.",
	 NULL, 0, 0},
	{"scopeId", P_STRING, "Project scope: set on add, filter for list/search/as_of/diff.", NULL,
	 0, 0},
	{"databaseId", P_STRING, "Filter by Notion database id (list/search/as_of/diff).", NULL, 0,
	 0},
	{"agentId", P_STRING, "Who is writing; versions are authored 'mcp:<agentId>'.", NULL, 0, 0},
	{"changeReason", P_STRING, "Why (recorded with the new version).", NULL, 0, 0},
	{"includeInactive", P_BOOLEAN, "Include soft-deleted tasks (default false).", NULL, 0, 0},
	{"limit", P_INTEGER, "Page size (default 50; history: every version).", NULL, 1, 1000},
	{"offset", P_INTEGER, "Rows to skip (default 0).", NULL, 0, INT64_MAX / 2},
	{"where", P_TAGS,
	 "Filters (list/search), all must hold: strings NAME=VALUE, NAME!=VALUE, NAME~TEXT "
	 "(contains), NAME<VALUE, NAME<=VALUE, NAME>VALUE, NAME>=VALUE, NAME? (has a value), "
	 "NAME= (is empty). NAME is a task field (status, dueDate, tags, assignee, ...) or a "
	 "Notion property by name (Priority=High, Estimate>=3, Owner~ada). Text ignores case; "
	 "numbers compare as numbers, dates as ISO text (dueDate<2026-12-31).",
	 NULL, 0, 0},
	{"sort", P_STRING,
	 "Sort (list/search): relevance (search default), updated (list default, newest "
	 "first), created, dueDate, or any task field or Notion property; add :asc or :desc.",
	 NULL, 0, 0},
	{"cursor", P_STRING,
	 "Continue a list, search, history, as_of or diff where the previous reply stopped: "
	 "pass its nextCursor unchanged (replaces offset).",
	 NULL, 0, 0},
	{"fields", P_STRINGS,
	 "Notion property names to include (in metadata.notionProperties); by default tasks "
	 "come without their Notion properties.",
	 NULL, 0, 0},
	{"detail", P_STRING, "\"compact\" (default) or \"full\" (every Notion property).",
	 detail_choices, 0, 0},
	{"versionNum", P_INTEGER, "Version number (get_version).", NULL, 1, INT64_MAX / 2},
	{"query", P_STRING, "Full-text query (search).", NULL, 0, 0},
	{"time", P_STRING, "Point in time, ISO 8601 (as_of).", NULL, 0, 0},
	{"since", P_STRING, "Start of the window, exclusive, ISO 8601 (diff).", NULL, 0, 0},
	{"until", P_STRING, "End of the window, inclusive, ISO 8601 (diff; default now).", NULL, 0,
	 0},
	{NULL},
};

/* The field edits given as parameters (values borrowed from c->args). */
static void edit_params(struct mcp_call *c, struct app_task_edit *e, int with_scope)
{
	memset(e, 0, sizeof(*e));
	e->name = mcp_param_label;
	for (int f = 0; f < APP_F_COUNT; f++) {
		json_t *v;
		if (f == APP_F_SCOPE && !with_scope)
			continue;
		if (!(v = mcp_arg_get(c, app_field_names[f])))
			continue;
		e->set[f] = 1;
		if (f == APP_F_TAGS)
			e->tags = json_is_null(v) ? NULL : v;
		else if (f == APP_F_METADATA)
			e->metadata = json_is_null(v) ? NULL : v;
		else
			e->text[f] = json_string_value(v);
	}
}

/* The filter and paging parameters as a query (values borrowed from c->args). */
static void query_params(struct mcp_call *c, struct app_query *q)
{
	memset(q, 0, sizeof(*q));
	q->name = mcp_param_label;
	q->scope = mcp_arg_str(c, "scopeId");
	q->database_id = mcp_arg_str(c, "databaseId");
	q->status = mcp_arg_str(c, "status");
	q->include_deleted = mcp_arg_bool(c, "includeInactive", 0);
	q->limit = mcp_arg_int(c, "limit", 50);
	q->offset = mcp_arg_int(c, "offset", 0);
	q->cursor = mcp_arg_str(c, "cursor");
	q->sort = mcp_arg_str(c, "sort");
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

/* The author of versions this call writes. */
static struct app_author author(struct mcp_call *c)
{
	return (struct app_author){.created_by = c->created_by,
				   .reason = mcp_arg_str(c, "changeReason")};
}

/* The result of a write. */
static void write_result(struct mcp_call *c, const struct task *t, enum app_outcome o)
{
	struct app_view v = mcp_view(c);
	const char *name = app_outcome_name(o);

	c->result = json_pack("{s:o, s:s}", "task", app_task_legacy_json(t, &v), "outcome", name);
	buf_addf(&c->text, "Task '%s' (%s): %s, now at version %" PRId64 ".", or_empty(t->title),
		 t->id, name, t->version);
}

/* Names the parameter in a "no such task" error. */
static int id_error(int rc, struct nv_err *err)
{
	if (rc == NV_ENOTFOUND)
		nv_err_prefix(err, "parameter 'id'");
	return rc;
}

static int act_add(struct mcp_call *c, struct nv_err *err)
{
	struct app_task_edit e;
	struct app_author who = author(c);
	struct store *s;
	struct task t;
	enum app_outcome o;
	int rc;

	if ((rc = mcp_call_store_create(c, &s, err)))
		return rc;
	edit_params(c, &e, 1);
	if (!(rc = app_task_add(s, &e, &who, &t, &o, err)))
		write_result(c, &t, o);
	task_release(&t);
	return rc;
}

static int act_update(struct mcp_call *c, struct nv_err *err)
{
	struct app_task_edit e;
	struct app_author who = author(c);
	struct store *s;
	struct task t;
	enum app_outcome o;
	int rc;

	if ((rc = mcp_call_store(c, &s, err)))
		return rc;
	edit_params(c, &e, 0);
	if (!app_task_edit_any(&e))
		return nv_err_set(
			err, NV_EINVAL,
			"action 'update' needs at least one field to change (title, "
			"description, status, resolution, category, dueDate, assignee, tags, "
			"metadata)");
	rc = id_error(app_task_update(s, mcp_arg_str(c, "id"), &e, &who, &t, &o, err), err);
	if (!rc)
		write_result(c, &t, o);
	task_release(&t);
	return rc;
}

static int act_delete(struct mcp_call *c, struct nv_err *err)
{
	struct app_author who = author(c);
	struct store *s;
	struct task t;
	enum app_outcome o;
	int rc;

	if ((rc = mcp_call_store(c, &s, err)))
		return rc;
	rc = id_error(app_task_delete(s, mcp_arg_str(c, "id"), &who, &t, &o, err), err);
	if (!rc)
		write_result(c, &t, o);
	task_release(&t);
	return rc;
}

static int act_get(struct mcp_call *c, struct nv_err *err)
{
	struct store *s;
	struct task t;
	int rc;

	if ((rc = mcp_call_store(c, &s, err)))
		return rc;
	if ((rc = id_error(app_task_get(s, mcp_arg_str(c, "id"), &t, err), err))) {
		task_release(&t);
		return rc;
	}
	struct app_view v = mcp_view(c);
	c->result = json_pack("{s:o}", "task", app_task_legacy_json(&t, &v));
	buf_addf(&c->text, "Task '%s' (%s), status %s, version %" PRId64 "%s.", or_empty(t.title),
		 t.id, t.status ? t.status : "-", t.version, t.active ? "" : ", deleted");
	task_release(&t);
	return 0;
}

/* list and search share everything but the query. */
static int list_tasks(struct mcp_call *c, const char *query, struct nv_err *err)
{
	struct app_view v = mcp_view(c);
	struct store *s;
	struct app_query q;
	struct task_list l;
	struct mcp_page page;
	struct buf line = BUF_INIT;
	const char *exprs[MCP_WHERE_MAX];
	char *cursor;
	json_t *tasks;
	int rc, more;

	if ((rc = mcp_call_store(c, &s, err)))
		return rc;
	query_params(c, &q);
	q.search = query;
	q.row_cursors = 1; /* the budget may stop the page at any row */
	if ((rc = mcp_arg_where(c, &q, exprs, MCP_WHERE_MAX, err)) ||
	    (rc = app_task_list(s, &q, &l, err)))
		return rc;
	tasks = json_array();
	/* a page reached by a keyset cursor is not counted: total null */
	c->result = json_pack("{s:o, s:o, s:I}", "tasks", tasks, "total",
			      l.total >= 0 ? json_integer(l.total) : json_null(), "offset",
			      (json_int_t)q.offset);
	if (l.total >= 0)
		buf_addf(&c->text, "%" PRId64 " matching tasks from offset %" PRId64 ":", l.total,
			 q.offset);
	else
		buf_addf(&c->text, "More matching tasks:");
	mcp_page_init(&page, c, tasks);
	for (size_t i = 0; i < l.n; i++) {
		json_t *item = app_task_legacy_json(&l.items[i], &v);
		if (l.hits) {
			json_object_set_new(item, "score", json_real(l.hits[i].score));
			json_object_set_new(item, "snippet",
					    l.hits[i].snippet ? json_string(l.hits[i].snippet)
							      : json_null());
		}
		buf_reset(&line);
		mcp_task_line(&line, &l.items[i]);
		if (l.hits && l.hits[i].snippet)
			buf_addf(&line, " — %s", l.hits[i].snippet);
		if (mcp_page_add(&page, item, line.data))
			break;
	}
	buf_release(&line);
	more = page.n < l.n || l.has_more;
	cursor = app_list_cursor(&q, &l, page.n);
	mcp_page_end(c, &page, more, cursor);
	free(cursor);
	if (more && !q.cursor)
		json_object_set_new(c->result, "nextOffset",
				    json_integer(q.offset + (int64_t)page.n));
	task_list_release(&l);
	return 0;
}

static int act_list(struct mcp_call *c, struct nv_err *err)
{
	return list_tasks(c, NULL, err);
}

static int act_search(struct mcp_call *c, struct nv_err *err)
{
	return list_tasks(c, mcp_arg_str(c, "query"), err);
}

static int act_history(struct mcp_call *c, struct nv_err *err)
{
	struct store *s;
	struct task t;
	struct task_version *v = NULL;
	struct app_query q;
	size_t n = 0;
	json_t *versions;
	int rc;

	if ((rc = mcp_call_store(c, &s, err)))
		return rc;
	/* every version unless limit asks for fewer; a cursor continues a cut page */
	memset(&q, 0, sizeof(q));
	q.name = mcp_param_label;
	q.limit = mcp_arg_int(c, "limit", 0);
	q.offset = mcp_arg_int(c, "offset", 0);
	q.cursor = mcp_arg_str(c, "cursor");
	rc = id_error(app_task_history(s, mcp_arg_str(c, "id"), &t, &v, &n, err), err);
	if (!rc && !(rc = app_history_page(&q, (int64_t)n, err))) {
		struct app_view view = mcp_view(c);
		struct mcp_page page;
		char *cursor;
		size_t i = (size_t)q.offset;

		versions = json_array();
		c->result = json_pack("{s:s, s:o, s:I}", "taskId", t.id, "versions", versions,
				      "total", (json_int_t)n);
		buf_addf(&c->text, "Task '%s' (%s) has %zu version%s, oldest first.",
			 or_empty(t.title), t.id, n, n == 1 ? "" : "s");
		mcp_page_init(&page, c, versions);
		for (; i < n && (!q.limit || (int64_t)page.n < q.limit); i++)
			if (mcp_page_add(&page, app_version_legacy_json(&v[i], &view), NULL))
				break;
		cursor = app_page_cursor(&q, "history", (int64_t)page.n);
		mcp_page_end(c, &page, q.offset + (int64_t)page.n < (int64_t)n, cursor);
		free(cursor);
	}
	task_versions_free(v, n);
	task_release(&t);
	return rc;
}

static int act_get_version(struct mcp_call *c, struct nv_err *err)
{
	struct store *s;
	struct task t;
	struct task_version v;
	int rc;

	if ((rc = mcp_call_store(c, &s, err)))
		return rc;
	rc = app_task_version(s, mcp_arg_str(c, "id"), mcp_arg_int(c, "versionNum", 1), &t, &v,
			      err);
	if (rc == NV_ENOTFOUND)
		nv_err_prefix(err, "parameter '%s'", t.id ? "versionNum" : "id");
	if (!rc) {
		struct app_view view = mcp_view(c);
		c->result = json_pack("{s:o}", "version", app_version_legacy_json(&v, &view));
		buf_addf(&c->text, "Version %" PRId64 " of task '%s' (%s), by %s: %s.", v.num,
			 v.snap.title ? v.snap.title : "", t.id, v.created_by ? v.created_by : "-",
			 v.change_reason ? v.change_reason : "-");
		task_version_release(&v);
	}
	task_release(&t);
	return rc;
}

/* A page being filled from a streamed result. */
struct collector {
	struct mcp_page page;
	struct app_view view;
	struct buf line;
};

static int collect_version(void *ud, const struct task_version *v)
{
	struct collector *col = ud;

	buf_reset(&col->line);
	mcp_task_line(&col->line, &v->snap);
	mcp_page_add(&col->page, app_version_legacy_json(v, &col->view), col->line.data);
	return 0; /* go on counting the total */
}

static int collect_diff(void *ud, const struct diff_entry *e)
{
	struct collector *col = ud;
	json_t *o = json_pack(
		"{s:s, s:o, s:o, s:I, s:o, s:o}", "kind", diff_kind_name(e->kind), "taskId",
		e->after && e->after->snap.id ? json_string(e->after->snap.id) : json_null(),
		"title",
		e->after && e->after->snap.title ? json_string(e->after->snap.title) : json_null(),
		"versionsInRange", (json_int_t)e->versions_in_range, "before",
		e->before ? app_version_legacy_json(e->before, &col->view) : json_null(), "after",
		e->after ? app_version_legacy_json(e->after, &col->view) : json_null());

	if (e->before && e->after)
		json_object_set_new(o, "changedFields", app_changed_fields(e->before, e->after));
	buf_reset(&col->line);
	buf_addf(&col->line, "%s: ", diff_kind_name(e->kind));
	if (e->after)
		mcp_task_line(&col->line, &e->after->snap);
	mcp_page_add(&col->page, o, col->line.data);
	return 0;
}

/* as_of and diff: the page of a streamed result of q, with its total and cursor. */
static int stream_page(struct mcp_call *c, int as_of, struct nv_err *err)
{
	struct store *s;
	struct app_query q;
	struct collector col = {.view = mcp_view(c), .line = BUF_INIT};
	json_t *items;
	int64_t total;
	char *cursor;
	int rc;

	if ((rc = mcp_call_store(c, &s, err)))
		return rc;
	query_params(c, &q);
	q.at = as_of ? mcp_arg_str(c, "time") : NULL;
	q.since = as_of ? NULL : mcp_arg_str(c, "since");
	q.until = as_of ? NULL : mcp_arg_str(c, "until");
	items = json_array();
	c->result = json_pack("{s:o}", as_of ? "tasks" : "changes", items);
	mcp_page_init(&col.page, c, items);
	rc = as_of ? app_task_as_of(s, &q, collect_version, &col, &total, err)
		   : app_task_diff(s, &q, collect_diff, &col, &total, err);
	buf_release(&col.line);
	if (rc)
		return rc;
	json_object_set_new(c->result, "total", json_integer(total));
	if (as_of) {
		json_object_set_new(c->result, "time", json_string(q.at_iso));
		mcp_text_head(c, "%" PRId64 " tasks existed at %s (showing %zu):", total, q.at_iso,
			      col.page.n);
	} else {
		json_object_set_new(c->result, "since", json_string(q.since_iso));
		json_object_set_new(c->result, "until",
				    q.until ? json_string(q.until_iso) : json_null());
		mcp_text_head(c, "%" PRId64 " tasks changed since %s%s%s (showing %zu):", total,
			      q.since_iso, q.until ? " until " : "", q.until ? q.until_iso : "",
			      col.page.n);
	}
	cursor = app_page_cursor(&q, as_of ? "as_of" : "diff", (int64_t)col.page.n);
	mcp_page_end(c, &col.page, q.offset + (int64_t)col.page.n < total, cursor);
	free(cursor);
	return 0;
}

static int act_as_of(struct mcp_call *c, struct nv_err *err)
{
	return stream_page(c, 1, err);
}

static int act_diff(struct mcp_call *c, struct nv_err *err)
{
	return stream_page(c, 0, err);
}

static const char *const need_id[] = {"id", NULL};
static const char *const need_title[] = {"title", NULL};
static const char *const need_version[] = {"id", "versionNum", NULL};
static const char *const need_query[] = {"query", NULL};
static const char *const need_time[] = {"time", NULL};
static const char *const need_since[] = {"since", NULL};

const struct mcp_action memory_task_actions[] = {
	{"add", act_add, need_title},
	{"update", act_update, need_id},
	{"get", act_get, need_id},
	{"list", act_list, NULL},
	{"history", act_history, need_id},
	{"get_version", act_get_version, need_version},
	{"delete", act_delete, need_id},
	{"search", act_search, need_query},
	{"as_of", act_as_of, need_time},
	{"diff", act_diff, need_since},
	{NULL, NULL, NULL},
};
