/*
 * tool_memory.c: the memory_task tool (SPEC §8): one function per action,
 * listed with their required parameters in memory_task_actions, over the
 * store interface. Writes are local edits: a new version authored
 * "mcp:<agentId>" with the caller's changeReason (or a default), never a
 * change of history. Deletion is soft (a version with active = false).
 */
#include "mcp/mcp_int.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "task/task.h"
#include "util/id.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

static const char *const memory_actions[] = {
	"add",	  "update", "get",   "list", "history", "get_version",
	"delete", "search", "as_of", "diff", NULL,
};

const struct mcp_param memory_task_params[] = {
	{"action", P_STRING, "What to do.", memory_actions, 0, 0},
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
	{"limit", P_INTEGER, "Page size (default 50).", NULL, 1, 1000},
	{"offset", P_INTEGER, "Rows to skip (default 0).", NULL, 0, INT64_MAX / 2},
	{"versionNum", P_INTEGER, "Version number (get_version).", NULL, 1, INT64_MAX / 2},
	{"query", P_STRING,
	 "Search query (search), ranked best first over every text of a task (title above "
	 "description above tags and Notion properties): words all match, \"a phrase\", "
	 "a OR b, a NOT b, prefix*. Each hit has a snippet with the match in **...**.",
	 NULL, 0, 0},
	{"time", P_STRING, "Point in time, ISO 8601 (as_of).", NULL, 0, 0},
	{"since", P_STRING, "Start of the window, exclusive, ISO 8601 (diff).", NULL, 0, 0},
	{"until", P_STRING, "End of the window, inclusive, ISO 8601 (diff; default now).", NULL, 0,
	 0},
	{NULL},
};

/* Parses an ISO time parameter into canonical store form (TIME_ISO_MAX bytes). */
static int time_param(struct mcp_call *c, const char *name, char *out, struct nv_err *err)
{
	const char *v = arg_str(c, name);
	int64_t ms;

	if (!v || time_parse_iso(v, &ms))
		return nv_err_set(err, NV_EINVAL,
				  "parameter '%s' must be an ISO 8601 time such as 2026-01-31 or "
				  "2026-01-31T09:00:00Z (got '%.60s')",
				  name, v ? v : "");
	time_format_iso(ms, out);
	return 0;
}

/* The canonical status named by parameter "status"; NV_EINVAL naming it otherwise. */
static int status_param(struct mcp_call *c, const char **out, struct nv_err *err)
{
	const char *v = arg_str(c, "status");

	*out = NULL;
	if (!v)
		return 0;
	if (!(*out = task_status_parse(v)))
		return nv_err_set(err, NV_EINVAL,
				  "parameter 'status': unknown status '%.60s' (expected one of: "
				  "backlog, open, in_progress, blocked, review, done, wont_do)",
				  v);
	return 0;
}

/* Fills a task filter from the filter parameters; strings point into c->args or db. */
static int filter_params(struct mcp_call *c, struct task_filter *f, char db[ID_DASHED_LEN + 1],
			 struct nv_err *err)
{
	const char *dbid = arg_str(c, "databaseId");

	memset(f, 0, sizeof(*f));
	f->scope = arg_str(c, "scopeId");
	if (status_param(c, &f->status, err))
		return NV_EINVAL;
	if (dbid) {
		if (id_normalize(dbid, db))
			return nv_err_set(
				err, NV_EINVAL,
				"parameter 'databaseId' is not a Notion id (32 hex digits): "
				"'%.60s'",
				dbid);
		f->database_id = db;
	}
	f->include_deleted = arg_bool(c, "includeInactive", 0);
	f->limit = arg_int(c, "limit", 50);
	f->offset = arg_int(c, "offset", 0);
	return 0;
}

static void set_field(char **field, json_t *v)
{
	free(*field);
	*field = json_is_string(v) ? xstrdup(json_string_value(v)) : NULL;
}

static void set_json(json_t **field, json_t *v)
{
	json_decref(*field);
	*field = json_is_null(v) ? NULL : json_deep_copy(v);
}

/* Text fields settable by add/update; null clears. */
static const struct {
	const char *param;
	size_t offset;
} text_fields[] = {
	{"description", offsetof(struct task, description)},
	{"resolution", offsetof(struct task, resolution)},
	{"category", offsetof(struct task, category)},
	{"assignee", offsetof(struct task, assignee)},
	{"dueDate", offsetof(struct task, due_date)},
};

/* Applies every field parameter present to t; *changed counts them. */
static int apply_fields(struct mcp_call *c, struct task *t, int *changed, struct nv_err *err)
{
	const char *status;
	json_t *v;
	int64_t ms;

	*changed = 0;
	if ((v = arg_get(c, "title"))) {
		if (!*json_string_value(v))
			return nv_err_set(err, NV_EINVAL, "parameter 'title' must not be empty");
		set_field(&t->title, v);
		(*changed)++;
	}
	if (status_param(c, &status, err))
		return NV_EINVAL;
	if (status) {
		free(t->status);
		t->status = xstrdup(status);
		(*changed)++;
	}
	if ((v = arg_get(c, "dueDate")) && json_is_string(v) &&
	    time_parse_iso(json_string_value(v), &ms))
		return nv_err_set(err, NV_EINVAL,
				  "parameter 'dueDate' must be an ISO 8601 date or date-time (got "
				  "'%.60s')",
				  json_string_value(v));
	for (size_t i = 0; i < sizeof(text_fields) / sizeof(text_fields[0]); i++) {
		if ((v = arg_get(c, text_fields[i].param))) {
			set_field((char **)((char *)t + text_fields[i].offset), v);
			(*changed)++;
		}
	}
	if ((v = arg_get(c, "tags"))) {
		set_json(&t->tags, v);
		(*changed)++;
	}
	if ((v = arg_get(c, "metadata"))) {
		set_json(&t->metadata, v);
		(*changed)++;
	}
	return 0;
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

static const char *outcome_name(enum put_outcome o)
{
	static const char *const names[] = {
		[PUT_UNCHANGED] = "unchanged",
		[PUT_CREATED] = "created",
		[PUT_UPDATED] = "updated",
	};
	return names[o];
}

/* Stores t as a new version and fills the result; shared by add, update and delete. */
static int put_task(struct mcp_call *c, struct store *s, struct task *t, const char *reason,
		    struct nv_err *err)
{
	struct version_info vi = {.created_by = c->created_by, .change_reason = reason};
	enum put_outcome outcome;
	const char *explicit_reason = arg_str(c, "changeReason");

	if (explicit_reason && *explicit_reason)
		vi.change_reason = explicit_reason;
	if (store_task_put(s, t, &vi, &outcome, err))
		return err->code ? (int)err->code : NV_ERR;
	c->result =
		json_pack("{s:o, s:s}", "task", task_to_json(t), "outcome", outcome_name(outcome));
	buf_addf(&c->text, "Task '%s' (%s): %s, now at version %" PRId64 ".", or_empty(t->title),
		 t->id, outcome_name(outcome), t->version);
	return 0;
}

static int store_or_fail(struct mcp_call *c, struct store **s, struct nv_err *err)
{
	return mcp_store(c->m, s, err);
}

/* Looks up the task named by parameter id. */
static int get_task(struct mcp_call *c, struct store *s, struct task *t, struct nv_err *err)
{
	int rc = store_task_get(s, arg_str(c, "id"), t, err);
	if (rc == NV_ENOTFOUND)
		nv_err_prefix(err, "parameter 'id'");
	return rc;
}

static int act_add(struct mcp_call *c, struct nv_err *err)
{
	struct store *s;
	struct task t;
	int changed, rc;

	if ((rc = store_or_fail(c, &s, err)))
		return rc;
	task_init(&t);
	t.source = xstrdup("local");
	t.status = xstrdup("open");
	t.scope = xstrdup(arg_str(c, "scopeId"));
	t.active = 1;
	if (!(rc = apply_fields(c, &t, &changed, err)))
		rc = put_task(c, s, &t, "created", err);
	task_release(&t);
	return rc;
}

static int act_update(struct mcp_call *c, struct nv_err *err)
{
	struct store *s;
	struct task t;
	int changed, rc;

	if ((rc = store_or_fail(c, &s, err)))
		return rc;
	if ((rc = get_task(c, s, &t, err)))
		return rc;
	rc = apply_fields(c, &t, &changed, err);
	if (!rc && !changed)
		rc = nv_err_set(
			err, NV_EINVAL,
			"action 'update' needs at least one field to change (title, "
			"description, status, resolution, category, dueDate, assignee, tags, "
			"metadata)");
	if (!rc)
		rc = put_task(c, s, &t, "local edit", err);
	task_release(&t);
	return rc;
}

static int act_delete(struct mcp_call *c, struct nv_err *err)
{
	struct store *s;
	struct task t;
	char now[TIME_ISO_MAX];
	int rc;

	if ((rc = store_or_fail(c, &s, err)))
		return rc;
	if ((rc = get_task(c, s, &t, err)))
		return rc;
	if (t.active) {
		t.active = 0;
		free(t.deleted_at);
		t.deleted_at = xstrdup(time_format_iso(time_now_ms(), now));
	}
	rc = put_task(c, s, &t, "deleted", err);
	task_release(&t);
	return rc;
}

static int act_get(struct mcp_call *c, struct nv_err *err)
{
	struct store *s;
	struct task t;
	int rc;

	if ((rc = store_or_fail(c, &s, err)) || (rc = get_task(c, s, &t, err)))
		return rc;
	c->result = json_pack("{s:o}", "task", task_to_json(&t));
	buf_addf(&c->text, "Task '%s' (%s), status %s, version %" PRId64 "%s.", or_empty(t.title),
		 t.id, t.status ? t.status : "-", t.version, t.active ? "" : ", deleted");
	task_release(&t);
	return 0;
}

/* list and search share everything but the query. */
static int list_tasks(struct mcp_call *c, const char *query, struct nv_err *err)
{
	struct store *s;
	struct task_filter f;
	struct task_list l;
	char db[ID_DASHED_LEN + 1];
	json_t *tasks;
	int rc;

	if ((rc = store_or_fail(c, &s, err)) || (rc = filter_params(c, &f, db, err)))
		return rc;
	f.search = query;
	if ((rc = store_task_list(s, &f, &l, err)))
		return rc;
	tasks = json_array();
	for (size_t i = 0; i < l.n; i++) {
		json_t *item = task_to_json(&l.items[i]);
		if (l.hits) {
			json_object_set_new(item, "score", json_real(l.hits[i].score));
			json_object_set_new(item, "snippet",
					    l.hits[i].snippet ? json_string(l.hits[i].snippet)
							      : json_null());
		}
		json_array_append_new(tasks, item);
	}
	c->result = json_pack("{s:o, s:I, s:b, s:I, s:I}", "tasks", tasks, "total",
			      (json_int_t)l.total, "hasMore", l.has_more, "offset",
			      (json_int_t)f.offset, "count", (json_int_t)l.n);
	if (l.has_more)
		json_object_set_new(c->result, "nextOffset", json_integer(l.next_offset));
	buf_addf(&c->text, "%zu of %" PRId64 " matching tasks%s.", l.n, l.total,
		 l.has_more ? " (more: use offset)" : "");
	task_list_release(&l);
	return 0;
}

static int act_list(struct mcp_call *c, struct nv_err *err)
{
	return list_tasks(c, NULL, err);
}

static int act_search(struct mcp_call *c, struct nv_err *err)
{
	return list_tasks(c, arg_str(c, "query"), err);
}

static int act_history(struct mcp_call *c, struct nv_err *err)
{
	struct store *s;
	struct task t;
	struct task_version *v = NULL;
	size_t n = 0;
	json_t *versions;
	int rc;

	if ((rc = store_or_fail(c, &s, err)) || (rc = get_task(c, s, &t, err)))
		return rc;
	rc = store_task_history(s, t.id, &v, &n, err);
	if (!rc) {
		versions = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(versions, task_version_to_json(&v[i]));
		c->result = json_pack("{s:s, s:o, s:I}", "taskId", t.id, "versions", versions,
				      "count", (json_int_t)n);
		buf_addf(&c->text, "Task '%s' (%s) has %zu version%s, oldest first.",
			 or_empty(t.title), t.id, n, n == 1 ? "" : "s");
		task_versions_free(v, n);
	}
	task_release(&t);
	return rc;
}

static int act_get_version(struct mcp_call *c, struct nv_err *err)
{
	struct store *s;
	struct task t;
	struct task_version v;
	int64_t num = arg_int(c, "versionNum", 1);
	int rc;

	if ((rc = store_or_fail(c, &s, err)) || (rc = get_task(c, s, &t, err)))
		return rc;
	rc = store_task_version(s, t.id, num, &v, err);
	if (rc == NV_ENOTFOUND)
		nv_err_set(err, NV_ENOTFOUND,
			   "parameter 'versionNum': task %s has no version %" PRId64
			   " (it has %" PRId64 ")",
			   t.id, num, t.version);
	if (!rc) {
		c->result = json_pack("{s:o}", "version", task_version_to_json(&v));
		buf_addf(&c->text, "Version %" PRId64 " of task '%s' (%s), by %s: %s.", v.num,
			 v.snap.title ? v.snap.title : "", t.id, v.created_by ? v.created_by : "-",
			 v.change_reason ? v.change_reason : "-");
		task_version_release(&v);
	}
	task_release(&t);
	return rc;
}

/* Collects one page of a streamed result. */
struct collector {
	json_t *items;
	int64_t seen, offset, limit;
};

static int collect_version(void *ud, const struct task_version *v)
{
	struct collector *col = ud;

	if (col->seen >= col->offset && col->seen < col->offset + col->limit)
		json_array_append_new(col->items, task_version_to_json(v));
	col->seen++;
	return 0;
}

static int act_as_of(struct mcp_call *c, struct nv_err *err)
{
	struct store *s;
	struct task_filter f;
	struct collector col;
	char db[ID_DASHED_LEN + 1], at[TIME_ISO_MAX];
	int rc;

	if ((rc = store_or_fail(c, &s, err)) || (rc = filter_params(c, &f, db, err)) ||
	    (rc = time_param(c, "time", at, err)))
		return rc;
	col.items = json_array();
	col.seen = 0;
	col.offset = f.offset;
	col.limit = f.limit;
	if ((rc = store_task_as_of(s, at, &f, collect_version, &col, err))) {
		json_decref(col.items);
		return rc;
	}
	c->result = json_pack("{s:s, s:o, s:I, s:b}", "time", at, "tasks", col.items, "total",
			      (json_int_t)col.seen, "hasMore",
			      col.offset + (int64_t)json_array_size(col.items) < col.seen);
	buf_addf(&c->text, "%" PRId64 " tasks existed at %s (showing %zu).", col.seen, at,
		 json_array_size(col.items));
	return 0;
}

/* Content fields whose values differ between two versions (new array). */
static json_t *changed_fields(const struct task_version *a, const struct task_version *b)
{
	json_t *ca = task_content_json(&a->snap), *cb = task_content_json(&b->snap);
	json_t *out = json_array();
	const char *key;
	json_t *v;

	json_object_foreach(cb, key, v) if (!json_equal(v, json_object_get(ca, key)))
		json_array_append_new(out, json_string(key));
	json_decref(ca);
	json_decref(cb);
	return out;
}

static int collect_diff(void *ud, const struct diff_entry *e)
{
	struct collector *col = ud;

	if (col->seen >= col->offset && col->seen < col->offset + col->limit) {
		json_t *o = json_pack(
			"{s:s, s:o, s:o, s:I, s:o, s:o}", "kind", diff_kind_name(e->kind), "taskId",
			e->after && e->after->snap.id ? json_string(e->after->snap.id)
						      : json_null(),
			"title",
			e->after && e->after->snap.title ? json_string(e->after->snap.title)
							 : json_null(),
			"versionsInRange", (json_int_t)e->versions_in_range, "before",
			e->before ? task_version_to_json(e->before) : json_null(), "after",
			e->after ? task_version_to_json(e->after) : json_null());
		if (e->before && e->after)
			json_object_set_new(o, "changedFields",
					    changed_fields(e->before, e->after));
		json_array_append_new(col->items, o);
	}
	col->seen++;
	return 0;
}

static int act_diff(struct mcp_call *c, struct nv_err *err)
{
	struct store *s;
	struct task_filter f;
	struct collector col;
	char db[ID_DASHED_LEN + 1], since[TIME_ISO_MAX], until[TIME_ISO_MAX];
	int rc, has_until = arg_str(c, "until") != NULL;

	if ((rc = store_or_fail(c, &s, err)) || (rc = filter_params(c, &f, db, err)) ||
	    (rc = time_param(c, "since", since, err)) ||
	    (has_until && (rc = time_param(c, "until", until, err))))
		return rc;
	if (has_until && strcmp(until, since) < 0)
		return nv_err_set(err, NV_EINVAL, "parameter 'until' (%s) is before 'since' (%s)",
				  until, since);
	col.items = json_array();
	col.seen = 0;
	col.offset = f.offset;
	col.limit = f.limit;
	if ((rc = store_diff(s, since, has_until ? until : NULL, &f, collect_diff, &col, err))) {
		json_decref(col.items);
		return rc;
	}
	c->result = json_pack("{s:s, s:o, s:o, s:I, s:b}", "since", since, "until",
			      has_until ? json_string(until) : json_null(), "changes", col.items,
			      "total", (json_int_t)col.seen, "hasMore",
			      col.offset + (int64_t)json_array_size(col.items) < col.seen);
	buf_addf(&c->text, "%" PRId64 " tasks changed since %s%s%s (showing %zu).", col.seen, since,
		 has_until ? " until " : "", has_until ? until : "", json_array_size(col.items));
	return 0;
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
