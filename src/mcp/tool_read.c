/*
 * tool_read.c: the single-purpose read tools beside memory_task and
 * notion_sync (SPEC §8): task_search, task_get, task_history,
 * task_changes and sync_status. Each is annotated read-only and closed
 * world, so a client can approve it on its own; each takes only its own
 * parameters and declares an exact outputSchema (the official SDK client
 * validates structuredContent against it). Tasks come compact (the task
 * fields and a short Notion summary; Notion properties only on request),
 * pages stop before the reply budget with truncated: true and a cursor,
 * and the text content is a line per task, never the JSON again.
 */
#include "mcp/mcp_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "util/log.h"

/* ---- output schemas ------------------------------------------------------ */

/* The compact task (app_task_view_json()). */
static const char task_schema_text[] =
	"{\"type\":\"object\",\"additionalProperties\":false,"
	"\"required\":[\"id\",\"title\",\"status\",\"active\",\"version\"],"
	"\"properties\":{"
	"\"id\":{\"type\":\"string\"},"
	"\"title\":{\"type\":[\"string\",\"null\"]},"
	"\"description\":{\"type\":[\"string\",\"null\"]},"
	"\"status\":{\"type\":[\"string\",\"null\"]},"
	"\"notionStatus\":{\"type\":[\"string\",\"null\"]},"
	"\"resolution\":{\"type\":[\"string\",\"null\"]},"
	"\"category\":{\"type\":[\"string\",\"null\"]},"
	"\"dueDate\":{\"type\":[\"string\",\"null\"]},"
	"\"assignee\":{\"type\":[\"string\",\"null\"]},"
	"\"tags\":{\"type\":[\"array\",\"null\"],\"items\":{\"type\":\"string\"}},"
	"\"metadata\":{\"type\":[\"object\",\"null\"]},"
	"\"scopeId\":{\"type\":[\"string\",\"null\"]},"
	"\"source\":{\"type\":[\"string\",\"null\"]},"
	"\"active\":{\"type\":\"boolean\"},"
	"\"deletedAt\":{\"type\":[\"string\",\"null\"]},"
	"\"version\":{\"type\":\"integer\"},"
	"\"createdAt\":{\"type\":[\"string\",\"null\"]},"
	"\"updatedAt\":{\"type\":[\"string\",\"null\"]},"
	"\"notion\":{\"type\":[\"object\",\"null\"],\"additionalProperties\":false,"
	"\"properties\":{\"url\":{\"type\":[\"string\",\"null\"]},"
	"\"pageId\":{\"type\":[\"string\",\"null\"]},"
	"\"databaseId\":{\"type\":[\"string\",\"null\"]},"
	"\"lastEditedTime\":{\"type\":[\"string\",\"null\"]}}},"
	"\"notionProperties\":{\"type\":\"object\"},"
	"\"snippet\":{\"type\":\"string\"},"
	"\"score\":{\"type\":\"number\"}}}";

/* The paging fields every list result has. */
#define PAGE_PROPS                                                                                 \
	"\"total\":{\"type\":[\"integer\",\"null\"]},\"count\":{\"type\":\"integer\"},"            \
	"\"hasMore\":{\"type\":\"boolean\"},\"truncated\":{\"type\":\"boolean\"},"                 \
	"\"nextCursor\":{\"type\":[\"string\",\"null\"]}"
#define PAGE_REQUIRED "\"total\",\"count\",\"hasMore\",\"truncated\",\"nextCursor\""

static const char search_schema_text[] =
	"{\"type\":\"object\",\"additionalProperties\":false,"
	"\"required\":[\"tasks\"," PAGE_REQUIRED "],"
	"\"properties\":{\"tasks\":{\"type\":\"array\",\"items\":\"$task\"},"
	"\"query\":{\"type\":[\"string\",\"null\"]}," PAGE_PROPS "}}";

static const char get_schema_text[] =
	"{\"type\":\"object\",\"additionalProperties\":false,"
	"\"required\":[\"task\"],"
	"\"properties\":{\"task\":\"$task\","
	"\"range\":{\"type\":\"object\",\"additionalProperties\":false,"
	"\"required\":[\"field\",\"offset\",\"length\",\"totalLength\",\"text\",\"nextOffset\"],"
	"\"properties\":{\"field\":{\"type\":\"string\"},"
	"\"offset\":{\"type\":\"integer\"},\"length\":{\"type\":\"integer\"},"
	"\"totalLength\":{\"type\":\"integer\"},\"text\":{\"type\":\"string\"},"
	"\"nextOffset\":{\"type\":[\"integer\",\"null\"]}}}}}";

static const char history_schema_text[] =
	"{\"type\":\"object\",\"additionalProperties\":false,"
	"\"required\":[\"taskId\",\"versions\"," PAGE_REQUIRED "],"
	"\"properties\":{\"taskId\":{\"type\":\"string\"},"
	"\"title\":{\"type\":[\"string\",\"null\"]},"
	"\"versions\":{\"type\":\"array\",\"items\":{\"type\":\"object\","
	"\"additionalProperties\":false,"
	"\"required\":[\"version\",\"createdAt\",\"createdBy\",\"changeReason\",\"conflict\"],"
	"\"properties\":{\"version\":{\"type\":\"integer\"},"
	"\"createdAt\":{\"type\":[\"string\",\"null\"]},"
	"\"createdBy\":{\"type\":[\"string\",\"null\"]},"
	"\"changeReason\":{\"type\":[\"string\",\"null\"]},"
	"\"conflict\":{\"type\":\"boolean\"},"
	"\"changedFields\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
	"\"title\":{\"type\":[\"string\",\"null\"]},"
	"\"status\":{\"type\":[\"string\",\"null\"]},"
	"\"active\":{\"type\":\"boolean\"},"
	"\"task\":\"$task\"}}}," PAGE_PROPS "}}";

static const char changes_schema_text[] =
	"{\"type\":\"object\",\"additionalProperties\":false,"
	"\"required\":[\"mode\"," PAGE_REQUIRED "],"
	"\"properties\":{\"mode\":{\"type\":\"string\",\"enum\":[\"diff\",\"as_of\"]},"
	"\"since\":{\"type\":\"string\"},\"until\":{\"type\":[\"string\",\"null\"]},"
	"\"time\":{\"type\":\"string\"},"
	"\"tasks\":{\"type\":\"array\",\"items\":\"$task\"},"
	"\"changes\":{\"type\":\"array\",\"items\":{\"type\":\"object\","
	"\"additionalProperties\":false,"
	"\"required\":[\"kind\",\"taskId\",\"toVersion\",\"versionsInRange\"],"
	"\"properties\":{\"kind\":{\"type\":\"string\","
	"\"enum\":[\"created\",\"changed\",\"deleted\",\"restored\"]},"
	"\"taskId\":{\"type\":\"string\"},"
	"\"title\":{\"type\":[\"string\",\"null\"]},"
	"\"fromVersion\":{\"type\":[\"integer\",\"null\"]},"
	"\"toVersion\":{\"type\":\"integer\"},"
	"\"versionsInRange\":{\"type\":\"integer\"},"
	"\"changedFields\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
	"\"task\":\"$task\"}}}," PAGE_PROPS "}}";

static const char schema_history_schema_text[] =
	"{\"type\":\"object\",\"additionalProperties\":false,"
	"\"required\":[\"changes\"," PAGE_REQUIRED "],"
	"\"properties\":{\"changes\":{\"type\":\"array\",\"items\":{\"type\":\"object\","
	"\"additionalProperties\":false,"
	"\"required\":[\"seq\",\"dataSourceId\",\"databaseId\",\"seenAt\",\"kind\",\"propertyId\","
	"\"name\",\"type\"],"
	"\"properties\":{\"seq\":{\"type\":\"integer\"},"
	"\"dataSourceId\":{\"type\":[\"string\",\"null\"]},"
	"\"databaseId\":{\"type\":[\"string\",\"null\"]},"
	"\"seenAt\":{\"type\":[\"string\",\"null\"]},"
	"\"kind\":{\"type\":\"string\",\"enum\":[\"initial\",\"added\",\"removed\",\"renamed\","
	"\"type_changed\",\"options_changed\"]},"
	"\"propertyId\":{\"type\":[\"string\",\"null\"]},"
	"\"name\":{\"type\":[\"string\",\"null\"]},"
	"\"type\":{\"type\":[\"string\",\"null\"]},"
	"\"options\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
	"\"oldName\":{\"type\":\"string\"},\"oldType\":{\"type\":\"string\"},"
	"\"oldOptions\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
	"\"runId\":{\"type\":\"string\"}}}}," PAGE_PROPS "}}";

static const char status_schema_text[] =
	"{\"type\":\"object\",\"additionalProperties\":false,"
	"\"required\":[\"syncRunning\",\"scheduler\",\"dataSources\"],"
	"\"properties\":{\"syncRunning\":{\"type\":\"boolean\"},"
	"\"scheduler\":{\"type\":\"object\",\"additionalProperties\":false,"
	"\"properties\":{\"enabled\":{\"type\":\"boolean\"},"
	"\"daemonRunning\":{\"type\":\"boolean\"},"
	"\"schedule\":{\"type\":[\"string\",\"null\"]},"
	"\"nextRun\":{\"type\":[\"string\",\"null\"]},"
	"\"lastRun\":{\"type\":[\"string\",\"null\"]},"
	"\"lastRunSuccess\":{\"type\":[\"boolean\",\"null\"]},"
	"\"lastRunError\":{\"type\":[\"string\",\"null\"]}}},"
	"\"dataSources\":{\"type\":\"array\",\"items\":{\"type\":\"object\","
	"\"additionalProperties\":false,"
	"\"properties\":{\"dataSourceId\":{\"type\":[\"string\",\"null\"]},"
	"\"databaseId\":{\"type\":[\"string\",\"null\"]},"
	"\"name\":{\"type\":[\"string\",\"null\"]},"
	"\"watermark\":{\"type\":[\"string\",\"null\"]},"
	"\"lastFullScanAt\":{\"type\":[\"string\",\"null\"]},"
	"\"resumeAfter\":{\"type\":[\"string\",\"null\"]},"
	"\"runInProgress\":{\"type\":\"boolean\"},"
	"\"runStartedAt\":{\"type\":[\"string\",\"null\"]},"
	"\"lastSync\":{\"type\":[\"object\",\"null\"],\"properties\":{"
	"\"status\":{\"type\":\"string\"},\"startedAt\":{\"type\":[\"string\",\"null\"]},"
	"\"finishedAt\":{\"type\":[\"string\",\"null\"]}}}}}},"
	"\"configError\":{\"type\":\"string\"}}}";

/* Replaces every "$task" string in v with the task schema (in place). */
static json_t *expand_task(json_t *v)
{
	size_t i;
	const char *key;
	json_t *item;

	if (json_is_string(v) && !strcmp(json_string_value(v), "$task")) {
		json_decref(v);
		return json_loads(task_schema_text, 0, NULL);
	}
	if (json_is_array(v))
		json_array_foreach(v, i, item)
			json_array_set_new(v, i, expand_task(json_incref(item)));
	if (json_is_object(v))
		json_object_foreach(v, key, item)
			json_object_set_new(v, key, expand_task(json_incref(item)));
	return v;
}

/* A schema from its text (a program error if it does not parse: abort in tests). */
static json_t *schema(const char *text)
{
	json_error_t e;
	json_t *s = json_loads(text, 0, &e);

	if (!s) {
		log_error("mcp: bad built-in schema: %s at %d", e.text, e.position);
		return json_pack("{s:s}", "type", "object");
	}
	return expand_task(s);
}

static json_t *search_schema(void)
{
	return schema(search_schema_text);
}
static json_t *get_schema(void)
{
	return schema(get_schema_text);
}
static json_t *history_schema(void)
{
	return schema(history_schema_text);
}
static json_t *changes_schema(void)
{
	return schema(changes_schema_text);
}
static json_t *status_schema(void)
{
	return schema(status_schema_text);
}
static json_t *schema_history_schema(void)
{
	return schema(schema_history_schema_text);
}

/* ---- shared -------------------------------------------------------------- */

static const char *const detail_choices[] = {"compact", "full", NULL};

#define P_FIELDS                                                                                   \
	{                                                                                          \
		"fields", P_STRINGS,                                                               \
			"Notion property names to include as notionProperties (e.g. "              \
			"[\"Priority\", "                                                          \
			"\"Owner\"]); by default tasks come without them.",                        \
			NULL, 0, 0                                                                 \
	}
#define P_DETAIL                                                                                   \
	{                                                                                          \
		"detail", P_STRING,                                                                \
			"\"compact\" (default: task fields and a short notion summary) or "        \
			"\"full\" (also "                                                          \
			"every Notion property).",                                                 \
			detail_choices, 0, 0                                                       \
	}
#define P_CURSOR                                                                                   \
	{                                                                                          \
		"cursor", P_STRING,                                                                \
			"Where the previous reply stopped: pass its nextCursor unchanged to get "  \
			"the next page.",                                                          \
			NULL, 0, 0                                                                 \
	}
#define P_LIMIT(dflt)                                                                              \
	{                                                                                          \
		"limit", P_INTEGER,                                                                \
			"Page size (default " #dflt "); a page also stops at the reply size "      \
			"limit.",                                                                  \
			NULL, 1, 1000                                                              \
	}
#define P_FILTERS                                                                                  \
	{"scopeId", P_STRING, "Only tasks of this project scope.", NULL, 0, 0},                    \
		{"status",                                                                         \
		 P_STRING,                                                                         \
		 "Only tasks with this status (backlog, open, in_progress, blocked, review, "      \
		 "done, wont_do; words such as 'In progress' are accepted).",                      \
		 NULL,                                                                             \
		 0,                                                                                \
		 0},                                                                               \
		{"databaseId", P_STRING, "Only tasks of this Notion database (32 hex digits).",    \
		 NULL,	       0,	 0},                                                       \
	{                                                                                          \
		"includeInactive", P_BOOLEAN, "Include soft-deleted tasks (default false).", NULL, \
			0, 0                                                                       \
	}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

static void filter_params(struct mcp_call *c, struct app_query *q, int64_t dflt_limit)
{
	memset(q, 0, sizeof(*q));
	q->name = mcp_param_label;
	q->scope = mcp_arg_str(c, "scopeId");
	q->database_id = mcp_arg_str(c, "databaseId");
	q->status = mcp_arg_str(c, "status");
	q->include_deleted = mcp_arg_bool(c, "includeInactive", 0);
	q->limit = mcp_arg_int(c, "limit", dflt_limit);
	q->cursor = mcp_arg_str(c, "cursor");
}

static int id_error(int rc, struct nv_err *err)
{
	if (rc == NV_ENOTFOUND)
		nv_err_prefix(err, "parameter 'id'");
	return rc;
}

/* ---- task_search ---------------------------------------------------------- */

static const struct mcp_param search_params[] = {
	{"query", P_STRING,
	 "Full-text query over every text of the tasks (title, description, tags, Notion "
	 "select/status/people/rich text/url/email/formula values): words must all match, "
	 "\"a phrase\", OR, NOT, prefix*. Omit it to list tasks, most recently updated "
	 "first.",
	 NULL, 0, 0},
	P_FILTERS,
	{"where", P_STRINGS,
	 "Filters, all must hold: NAME=VALUE, NAME!=VALUE, NAME~TEXT (contains), NAME<V, "
	 "NAME<=V, NAME>V, NAME>=V, NAME? (has a value), NAME= (is empty). NAME is a task "
	 "field (status, dueDate, tags, assignee, ...) or a Notion property by name "
	 "(Priority=High, Estimate>=3, Owner~ada). Text ignores case; numbers compare as "
	 "numbers, dates as ISO text (dueDate<2026-12-31).",
	 NULL, 0, 0},
	{"sort", P_STRING,
	 "Order: relevance (default with a query; best match first), updated (default "
	 "without one; newest first), created, dueDate, or any task field or Notion "
	 "property; add :asc or :desc.",
	 NULL, 0, 0},
	P_LIMIT(20),
	{"cursor", P_STRING,
	 "Where the previous reply stopped: pass its nextCursor unchanged (with the same "
	 "query, filters and sort) to get the next page. Pages in any order but relevance "
	 "continue after the last task returned, so tasks written meanwhile never make "
	 "one repeat or go missing; relevance pages continue at a position in the "
	 "ranking, which a sync changing matching tasks between two pages can shift.",
	 NULL, 0, 0},
	P_FIELDS,
	P_DETAIL,
	{NULL},
};

static int run_search(struct mcp_call *c, struct nv_err *err)
{
	struct app_view v = mcp_view(c);
	struct store *s;
	struct app_query q;
	struct task_list l;
	struct mcp_page page;
	struct buf line = BUF_INIT;
	const char *query = mcp_arg_str(c, "query"), *exprs[MCP_WHERE_MAX];
	char *cursor;
	json_t *tasks;
	int rc;

	if ((rc = mcp_call_store(c, &s, err)))
		return rc;
	filter_params(c, &q, 20);
	q.search = query && *query ? query : NULL;
	q.row_cursors = 1; /* the budget may stop the page at any row */
	q.sort = mcp_arg_str(c, "sort");
	if ((rc = mcp_arg_where(c, &q, exprs, MCP_WHERE_MAX, err)) ||
	    (rc = app_task_list(s, &q, &l, err)))
		return rc;
	tasks = json_array();
	c->result = json_pack("{s:o, s:o, s:o}", "tasks", tasks, "query",
			      q.search ? json_string(q.search) : json_null(), "total",
			      l.total >= 0 ? json_integer(l.total) : json_null());
	mcp_page_init(&page, c, tasks);
	for (size_t i = 0; i < l.n; i++) {
		json_t *item = app_task_view_json(&l.items[i], &v);
		const char *snippet = l.hits ? l.hits[i].snippet : NULL;
		if (l.hits)
			json_object_set_new(item, "score", json_real(l.hits[i].score));
		if (snippet)
			json_object_set_new(item, "snippet", json_string(snippet));
		buf_reset(&line);
		mcp_task_line(&line, &l.items[i]);
		if (snippet)
			buf_addf(&line, " — %s", snippet);
		if (mcp_page_add(&page, item, line.data))
			break;
	}
	buf_release(&line);
	if (l.total >= 0)
		mcp_text_head(c, "%" PRId64 " task%s match%s; showing %zu:", l.total,
			      l.total == 1 ? "" : "s", l.total == 1 ? "es" : "", page.n);
	else
		mcp_text_head(c, "More matching tasks; showing %zu:", page.n);
	cursor = app_list_cursor(&q, &l, page.n);
	mcp_page_end(c, &page, page.n < l.n || l.has_more, cursor);
	free(cursor);
	task_list_release(&l);
	return 0;
}

/* ---- task_get ------------------------------------------------------------- */

static const struct mcp_param get_params[] = {
	{"id", P_STRING, "Task id, or the Notion page id (with or without dashes).", NULL, 0, 0},
	P_FIELDS,
	P_DETAIL,
	{"field", P_STRING,
	 "Read one text field in full, a range at a time: a task field (description, "
	 "title, ...) or notionProperties.NAME (a Notion text property). The reply's "
	 "range holds the text from offset on, as much as fits; pass range.nextOffset as "
	 "offset for the rest. Use it when a field came cut (\"[... cut by nvault ...]\").",
	 NULL, 0, 0},
	{"offset", P_INTEGER, "With field: the byte to start at (default 0).", NULL, 0,
	 INT64_MAX / 2},
	{"length", P_INTEGER, "With field: at most this many bytes (default: as many as fit).",
	 NULL, 1, INT64_MAX / 2},
	{NULL},
};

/* The text of field (a top-level string of the full view, or notionProperties.NAME). */
static json_t *field_value(json_t *full, const char *field)
{
	static const char props[] = "notionProperties.";

	static const char *const not_text[] = {"tags",	 "metadata", "notion", "notionProperties",
					       "active", "version",  NULL};

	for (const char *const *n = not_text; *n; n++)
		if (!strcmp(field, *n))
			return NULL;
	if (!strncmp(field, props, sizeof(props) - 1))
		return json_object_get(json_object_get(json_object_get(full, "notionProperties"),
						       field + sizeof(props) - 1),
				       "value");
	return json_object_get(full, field);
}

/* task_get with field: a range of one field's text, as much as fits the reply. */
static int get_range(struct mcp_call *c, const struct task *t, json_t *task, const char *field,
		     struct nv_err *err)
{
	struct app_view all = {.full = 1};
	json_t *full = app_task_view_json(t, &all), *val = field_value(full, field);
	const char *text = json_string_value(val) ? json_string_value(val) : "";
	size_t total = json_string_length(val), off = (size_t)mcp_arg_int(c, "offset", 0), len,
	       room;
	int64_t want = mcp_arg_int(c, "length", 0);
	int rc = 0;

	if (!json_is_string(val) && !json_is_null(val)) {
		rc = nv_err_set(err, NV_EINVAL,
				"parameter 'field': task %s has no text field '%.100s' (a task "
				"field such as description, or notionProperties.NAME of a Notion "
				"text property)",
				t->id, field);
		goto out;
	}
	if (off > total) {
		rc = nv_err_set(err, NV_EINVAL,
				"parameter 'offset': %zu is past the end of field '%.100s' (%zu "
				"bytes)",
				off, field, total);
		goto out;
	}
	while (off > 0 && off < total && ((unsigned char)text[off] & 0xC0) == 0x80)
		off--; /* start on a character */
	/* the task comes small beside the range; the range gets the rest */
	mcp_cut_strings(task, c->budget / 64);
	room = c->budget / 8 * 7 > mcp_json_size(task) + 2048
		       ? c->budget / 8 * 7 - mcp_json_size(task) - 2048
		       : c->budget / 4;
	len = mcp_fitting_prefix(text + off, total - off, room);
	if (want > 0 && (size_t)want < len) {
		len = (size_t)want;
		while (len > 0 && off + len < total &&
		       ((unsigned char)text[off + len] & 0xC0) == 0x80)
			len--;
	}
	c->result =
		json_pack("{s:O, s:{s:s, s:I, s:I, s:I, s:s%, s:o}}", "task", task, "range",
			  "field", field, "offset", (json_int_t)off, "length", (json_int_t)len,
			  "totalLength", (json_int_t)total, "text", text + off, len, "nextOffset",
			  off + len < total ? json_integer((json_int_t)(off + len)) : json_null());
	mcp_task_line(&c->text, t);
	buf_addf(&c->text, "\n%s: bytes %zu to %zu of %zu", field, off, off + len, total);
	if (off + len < total)
		buf_addf(&c->text, "; more with offset %zu.", off + len);
	else
		buf_adds(&c->text, " (the end).");
out:
	json_decref(full);
	return rc;
}

static int run_get(struct mcp_call *c, struct nv_err *err)
{
	struct app_view v = mcp_view(c);
	struct store *s;
	struct task t;
	const char *field = mcp_arg_str(c, "field");
	int rc;

	if ((rc = mcp_call_store(c, &s, err)))
		return rc;
	if (!field && (mcp_arg_has(c, "offset") || mcp_arg_has(c, "length")))
		return nv_err_set(err, NV_EINVAL,
				  "parameters 'offset' and 'length' go with 'field' (the field "
				  "to read a range of)");
	if (!(rc = id_error(app_task_get(s, mcp_arg_str(c, "id"), &t, err), err))) {
		json_t *task = app_task_view_json(&t, &v);
		if (field) {
			rc = get_range(c, &t, task, field, err);
			json_decref(task);
			task_release(&t);
			return rc;
		}
		/* one task may take the whole reply, less room for the envelope and text */
		mcp_cut_strings(task, c->budget - c->budget / 8);
		c->result = json_pack("{s:o}", "task", task);
		mcp_task_line(&c->text, &t);
		buf_addf(&c->text, "\nversion %" PRId64 ", updated %s%s%s", t.version,
			 or_empty(t.updated_at), t.notion_url ? ", " : "", or_empty(t.notion_url));
	}
	task_release(&t);
	return rc;
}

/* ---- task_history --------------------------------------------------------- */

static const struct mcp_param history_params[] = {
	{"id", P_STRING, "Task id, or the Notion page id (with or without dashes).", NULL, 0, 0},
	{"versionNum", P_INTEGER, "Only this version, with the task as it was then.", NULL, 1,
	 INT64_MAX / 2},
	P_LIMIT(50),
	P_CURSOR,
	P_FIELDS,
	P_DETAIL,
	{NULL},
};

/* One version entry; with_task adds the task as it was. */
static json_t *version_json(const struct task_version *prev, const struct task_version *v,
			    int with_task, const struct app_view *view)
{
	json_t *o = json_pack(
		"{s:I, s:o, s:o, s:o, s:b, s:o, s:o, s:b}", "version", (json_int_t)v->num,
		"createdAt", v->created_at ? json_string(v->created_at) : json_null(), "createdBy",
		v->created_by ? json_string(v->created_by) : json_null(), "changeReason",
		v->change_reason ? json_string(v->change_reason) : json_null(), "conflict",
		v->conflict, "title", v->snap.title ? json_string(v->snap.title) : json_null(),
		"status", v->snap.status ? json_string(v->snap.status) : json_null(), "active",
		v->snap.active);

	if (prev)
		json_object_set_new(o, "changedFields", app_changed_fields(prev, v));
	if (with_task) {
		json_t *t = app_task_view_json(&v->snap, view);
		json_object_set_new(t, "version", json_integer(v->num));
		json_object_set_new(o, "task", t);
	}
	return o;
}

static int run_history(struct mcp_call *c, struct nv_err *err)
{
	struct app_view view = mcp_view(c);
	struct store *s;
	struct task t;
	struct task_version *v = NULL;
	struct app_query q;
	struct mcp_page page;
	struct buf line = BUF_INIT;
	size_t n = 0;
	int64_t only = mcp_arg_int(c, "versionNum", 0), total;
	int with_task = view.full || json_array_size(view.fields) || only;
	char *cursor;
	json_t *versions;
	int rc;

	if ((rc = mcp_call_store(c, &s, err)))
		return rc;
	memset(&q, 0, sizeof(q));
	q.name = mcp_param_label;
	q.limit = mcp_arg_int(c, "limit", 50);
	q.cursor = mcp_arg_str(c, "cursor");
	rc = id_error(app_task_history(s, mcp_arg_str(c, "id"), &t, &v, &n, err), err);
	if (rc || (rc = app_history_page(&q, (int64_t)n, err)))
		goto out;
	if (only && (only > (int64_t)n || v[only - 1].num != only)) {
		rc = nv_err_set(err, NV_ENOTFOUND,
				"parameter 'versionNum': task %s has no version %" PRId64
				" (it has %zu)",
				t.id, only, n);
		goto out;
	}
	versions = json_array();
	c->result = json_pack("{s:s, s:o, s:o}", "taskId", t.id, "title",
			      t.title ? json_string(t.title) : json_null(), "versions", versions);
	mcp_page_init(&page, c, versions);
	total = (int64_t)n;
	if (only) {
		q.offset = only - 1;
		mcp_page_add(&page,
			     version_json(only > 1 ? &v[only - 2] : NULL, &v[only - 1], 1, &view),
			     NULL);
		total = only; /* the page ends with it */
	} else {
		for (int64_t i = q.offset; i < (int64_t)n && (int64_t)page.n < q.limit; i++) {
			buf_reset(&line);
			buf_addf(&line, "- v%" PRId64 " %s by %s: %s", v[i].num,
				 or_empty(v[i].created_at), or_empty(v[i].created_by),
				 or_empty(v[i].change_reason));
			if (mcp_page_add(
				    &page,
				    version_json(i ? &v[i - 1] : NULL, &v[i], with_task, &view),
				    line.data))
				break;
		}
	}
	mcp_text_head(c, "Task '%s' (%s): %zu version%s, oldest first; showing %zu:",
		      or_empty(t.title), t.id, n, n == 1 ? "" : "s", page.n);
	json_object_set_new(c->result, "total", json_integer(total));
	cursor = app_page_cursor(&q, "history", (int64_t)page.n);
	mcp_page_end(c, &page, q.offset + (int64_t)page.n < total, cursor);
	free(cursor);
out:
	buf_release(&line);
	task_versions_free(v, n);
	task_release(&t);
	return rc;
}

/* ---- task_changes --------------------------------------------------------- */

static const struct mcp_param changes_params[] = {
	{"since", P_STRING,
	 "What changed after this time (exclusive; UTC ISO 8601 such as 2026-01-31 or "
	 "2026-01-31T09:00:00Z): every task created, changed, deleted or restored. Give since "
	 "or time, not both.",
	 NULL, 0, 0},
	{"until", P_STRING, "End of the since window (inclusive; default now).", NULL, 0, 0},
	{"time", P_STRING,
	 "Every task as it was at this time (UTC ISO 8601): the point-in-time view.", NULL, 0, 0},
	P_FILTERS,
	P_LIMIT(50),
	P_CURSOR,
	P_FIELDS,
	P_DETAIL,
	{NULL},
};

struct changes_page {
	struct mcp_page page;
	struct app_view view;
	struct buf line;
};

static int change_as_of(void *ud, const struct task_version *v)
{
	struct changes_page *cp = ud;
	json_t *t = app_task_view_json(&v->snap, &cp->view);

	json_object_set_new(t, "version", json_integer(v->num));
	buf_reset(&cp->line);
	mcp_task_line(&cp->line, &v->snap);
	mcp_page_add(&cp->page, t, cp->line.data);
	return 0; /* go on counting the total */
}

static int change_diff(void *ud, const struct diff_entry *e)
{
	struct changes_page *cp = ud;
	json_t *t = app_task_view_json(&e->after->snap, &cp->view);
	json_t *o;

	json_object_set_new(t, "version", json_integer(e->after->num));
	o = json_pack("{s:s, s:s?, s:o, s:o, s:I, s:I, s:o}", "kind", diff_kind_name(e->kind),
		      "taskId", e->after->snap.id, "title",
		      e->after->snap.title ? json_string(e->after->snap.title) : json_null(),
		      "fromVersion", e->before ? json_integer(e->before->num) : json_null(),
		      "toVersion", (json_int_t)e->after->num, "versionsInRange",
		      (json_int_t)e->versions_in_range, "task", t);
	if (e->before)
		json_object_set_new(o, "changedFields", app_changed_fields(e->before, e->after));
	buf_reset(&cp->line);
	buf_addf(&cp->line, "%s ", diff_kind_name(e->kind));
	mcp_task_line(&cp->line, &e->after->snap);
	mcp_page_add(&cp->page, o, cp->line.data);
	return 0;
}

static int run_changes(struct mcp_call *c, struct nv_err *err)
{
	struct changes_page cp = {.view = mcp_view(c), .line = BUF_INIT};
	struct store *s;
	struct app_query q;
	json_t *items = json_array();
	int64_t total = 0;
	char *cursor;
	int rc;

	filter_params(c, &q, 50);
	q.at = mcp_arg_str(c, "time");
	q.since = mcp_arg_str(c, "since");
	q.until = mcp_arg_str(c, "until");
	if (!q.at == !q.since)
		rc = nv_err_set(
			err, NV_EINVAL,
			"give parameter 'since' (what changed after a time) or 'time' (every "
			"task as it was then), not %s",
			q.at ? "both" : "neither");
	else if (q.at && q.until)
		rc = nv_err_set(err, NV_EINVAL,
				"parameter 'until' goes with 'since', not with 'time'");
	else
		rc = mcp_call_store(c, &s, err);
	if (rc) {
		json_decref(items);
		return rc;
	}
	c->result = json_pack("{s:s, s:o}", "mode", q.at ? "as_of" : "diff",
			      q.at ? "tasks" : "changes", items);
	mcp_page_init(&cp.page, c, items);
	rc = q.at ? app_task_as_of(s, &q, change_as_of, &cp, &total, err)
		  : app_task_diff(s, &q, change_diff, &cp, &total, err);
	buf_release(&cp.line);
	if (rc)
		return rc;
	if (q.at) {
		json_object_set_new(c->result, "time", json_string(q.at_iso));
		mcp_text_head(c, "%" PRId64 " tasks existed at %s; showing %zu:", total, q.at_iso,
			      cp.page.n);
	} else {
		json_object_set_new(c->result, "since", json_string(q.since_iso));
		json_object_set_new(c->result, "until",
				    q.until ? json_string(q.until_iso) : json_null());
		mcp_text_head(c, "%" PRId64 " tasks changed after %s%s%s; showing %zu:", total,
			      q.since_iso, q.until ? " up to " : "", q.until ? q.until_iso : "",
			      cp.page.n);
	}
	json_object_set_new(c->result, "total", json_integer(total));
	cursor = app_page_cursor(&q, q.at ? "as_of" : "diff", (int64_t)cp.page.n);
	mcp_page_end(c, &cp.page, q.offset + (int64_t)cp.page.n < total, cursor);
	free(cursor);
	return 0;
}

/* ---- sync_status ---------------------------------------------------------- */

static const struct mcp_param status_params[] = {{NULL}};

static int run_status(struct mcp_call *c, struct nv_err *err)
{
	struct store *s;
	struct config *cfg = NULL;
	struct nv_err cerr;
	json_t *doc = NULL, *sources, *src;
	size_t i;
	int rc, running = app_syncer_running(c->env->syncer);

	if ((rc = mcp_call_store_if_any(c, &s, err)))
		return rc;
	nv_err_clear(&cerr);
	/* names only: a missing or broken config must not hide the status */
	if (config_load(c->env->st->config_path, &cfg, &cerr))
		cfg = NULL;
	rc = app_status_json(s, c->env->st, cfg, &doc, err);
	config_free(cfg);
	if (rc)
		return rc;
	sources = json_object_get(doc, "dataSources");
	c->result = json_pack("{s:b, s:{s:O, s:O, s:O, s:O, s:O, s:O, s:O}, s:O}", "syncRunning",
			      running, "scheduler", "enabled", json_object_get(doc, "enabled"),
			      "daemonRunning", json_object_get(doc, "running"), "schedule",
			      json_object_get(doc, "schedule"), "nextRun",
			      json_object_get(doc, "nextRun"), "lastRun",
			      json_object_get(doc, "lastRun"), "lastRunSuccess",
			      json_object_get(doc, "lastRunSuccess"), "lastRunError",
			      json_object_get(doc, "lastRunError"), "dataSources", sources);
	if (cerr.msg[0])
		json_object_set_new(c->result, "configError", json_string(cerr.msg));
	buf_addf(&c->text, "%s. Daemon %s; last scheduled run: %s.",
		 running ? "A sync started in this session is running"
			 : "No sync running in this session",
		 json_is_true(json_object_get(doc, "running")) ? "running" : "not running",
		 json_is_string(json_object_get(doc, "lastRun"))
			 ? json_string_value(json_object_get(doc, "lastRun"))
			 : "never");
	if (!s)
		buf_addf(&c->text, " No store at %s yet: nothing synced.", c->env->st->db_path);
	json_array_foreach(sources, i, src)
	{
		json_t *last = json_object_get(src, "lastSync");
		const char *name = json_string_value(json_object_get(src, "name"));
		buf_addf(&c->text, "\n- %s: watermark %s, last sync %s %s",
			 name ? name
			      : or_empty(json_string_value(json_object_get(src, "databaseId"))),
			 json_string_value(json_object_get(src, "watermark"))
				 ? json_string_value(json_object_get(src, "watermark"))
				 : "none",
			 json_string_value(json_object_get(last, "status"))
				 ? json_string_value(json_object_get(last, "status"))
				 : "never",
			 or_empty(json_string_value(json_object_get(last, "finishedAt"))));
	}
	json_decref(doc);
	return 0;
}

/* ---- schema_history ------------------------------------------------------- */

static const struct mcp_param schema_params[] = {
	{"databaseId", P_STRING, "Only this Notion database's data sources (32 hex digits).", NULL,
	 0, 0},
	P_LIMIT(200),
	P_CURSOR,
	{NULL},
};

static int run_schema_history(struct mcp_call *c, struct nv_err *err)
{
	struct store *s;
	struct app_query q;
	struct schema_event *ev = NULL;
	struct mcp_page page;
	struct buf line = BUF_INIT;
	size_t n = 0;
	int64_t total;
	int more, rc;
	char *cursor = NULL;
	json_t *items;

	if ((rc = mcp_call_store(c, &s, err)))
		return rc;
	memset(&q, 0, sizeof(q));
	q.name = mcp_param_label;
	q.database_id = mcp_arg_str(c, "databaseId");
	q.limit = mcp_arg_int(c, "limit", 200);
	q.cursor = mcp_arg_str(c, "cursor");
	if ((rc = app_schema_history(s, &q, &ev, &n, &total, &more, err)))
		return rc;
	items = json_array();
	c->result = json_pack("{s:o, s:I}", "changes", items, "total", (json_int_t)total);
	mcp_page_init(&page, c, items);
	for (size_t i = 0; i < n; i++) {
		buf_reset(&line);
		buf_addf(&line, "- %s %s '%s' (%s)", or_empty(ev[i].seen_at), ev[i].kind,
			 or_empty(ev[i].name), or_empty(ev[i].type));
		if (ev[i].old_name)
			buf_addf(&line, ", was '%s'", ev[i].old_name);
		if (ev[i].old_type)
			buf_addf(&line, ", was %s", ev[i].old_type);
		if (mcp_page_add(&page, schema_event_to_json(&ev[i]), line.data))
			break;
	}
	buf_release(&line);
	mcp_text_head(c, "%" PRId64 " schema change%s recorded, oldest first; showing %zu:", total,
		      total == 1 ? "" : "s", page.n);
	if (page.n)
		cursor = app_schema_cursor(ev[page.n - 1].seq);
	mcp_page_end(c, &page, page.n < n || more, cursor);
	free(cursor);
	schema_events_free(ev, n);
	return 0;
}

/* ---- the table ------------------------------------------------------------ */

#define READ_HINTS                                                                                 \
	{                                                                                          \
		.read_only = 1, .destructive = 0, .idempotent = 1, .open_world = 0                 \
	}
#define LOCAL_NOTE                                                                                 \
	" The memory is a local backup of Notion: tasks edited here stay local, and the next "     \
	"sync of a row that changed in Notion overwrites them. Times are UTC ISO 8601."
#define PAGING_NOTE                                                                                \
	" Replies stop before the size limit (NVAULT_MCP_MAX_REPLY, default 256 KiB): when "       \
	"hasMore is true, call again with cursor set to nextCursor (truncated: true says the "     \
	"size limit, not limit, ended the page); a field longer than the limit allows is cut "     \
	"with a marker."

static const char *const need_id[] = {"id", NULL};

const struct mcp_tool mcp_read_tools[] = {
	{
		.name = "task_search",
		.title = "Search tasks",
		.description =
			"Find tasks in nvault's task memory: full-text query and/or filters "
			"(scopeId, status, databaseId, includeInactive); without query it lists "
			"tasks, most recently updated first. Each task comes compact: its fields "
			"and a notion summary (url, pageId, lastEditedTime); ask for Notion "
			"properties with fields or detail \"full\"." PAGING_NOTE LOCAL_NOTE,
		.params = search_params,
		.run = run_search,
		.output_schema = search_schema,
		.hints = READ_HINTS,
	},
	{
		.name = "task_get",
		.title = "Get a task",
		.description = "One task in its current version, by task id or Notion page id. "
			       "Compact by default; fields or detail \"full\" add its Notion "
			       "properties." LOCAL_NOTE,
		.params = get_params,
		.run = run_get,
		.required = need_id,
		.output_schema = get_schema,
		.hints = READ_HINTS,
	},
	{
		.name = "task_history",
		.title = "Task history",
		.description =
			"Every version of a task, oldest first: when, by whom (notion-sync, cli, "
			"mcp:<agent>), why, and which fields changed. versionNum gives one version "
			"with the task as it was; detail \"full\" adds the task to every "
			"version." PAGING_NOTE LOCAL_NOTE,
		.params = history_params,
		.run = run_history,
		.required = need_id,
		.output_schema = history_schema,
		.hints = READ_HINTS,
	},
	{
		.name = "task_changes",
		.title = "Changes and past states",
		.description =
			"The past of the task memory. With since (and optional until): every task "
			"created, changed, deleted or restored in that window, with the fields "
			"that changed and the task as it is after. With time: every task as it "
			"was at that moment." PAGING_NOTE LOCAL_NOTE,
		.params = changes_params,
		.run = run_changes,
		.output_schema = changes_schema,
		.hints = READ_HINTS,
	},
	{
		.name = "schema_history",
		.title = "Notion schema history",
		.description =
			"How the property schemas of the synced Notion data sources changed, "
			"oldest first: each property when nvault first recorded it (initial), "
			"then every property added, removed, renamed, retyped (type_changed) or "
			"whose options changed (options_changed), with the time a sync saw "
			"it. Append-only; a cursor is the last change returned." PAGING_NOTE
				LOCAL_NOTE,
		.params = schema_params,
		.run = run_schema_history,
		.output_schema = schema_history_schema,
		.hints = READ_HINTS,
	},
	{
		.name = "sync_status",
		.title = "Sync status",
		.description =
			"Whether a sync is running, the scheduler (daemon, schedule, last and "
			"next run) and per Notion data source the watermark (newest Notion edit "
			"backed up) and the last sync's result. Use notion_sync to run a "
			"sync." LOCAL_NOTE,
		.params = status_params,
		.run = run_status,
		.output_schema = status_schema,
		.hints = READ_HINTS,
	},
	{.name = NULL},
};
