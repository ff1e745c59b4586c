/*
 * cmd_task.c: `nvault task add|update|get|list|history`, the local view of
 * the task store: options in, application layer (src/app) call, output.
 * add and update are local edits: they write a new version
 * with created_by "cli" (reason "created" / "local edit"), exactly as a
 * sync would, so history, verify and diff see them like any other change.
 * Reading subcommands never create a store: on a missing store they say so.
 */
#include "cli/commands.h"

#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "cli/task_view.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

/* ---- add / update ---------------------------------------------------------- */

/* The editable fields as given on the command line (NULL = not given). */
struct task_edits {
	const char *title, *description, *status, *resolution, *category;
	const char *due, *assignee, *tags, *metadata, *scope;
};

#define EDIT_OPTIONS(e)                                                                            \
	{"title", 0, CLI_STRING, &(e).title, "TEXT", "title"},                                     \
		{"description", 0, CLI_STRING, &(e).description, "TEXT", "description"},           \
		{"status",   0,                                                                    \
		 CLI_STRING, &(e).status,                                                          \
		 "STATUS",   "backlog, open, in_progress, blocked, review, done or wont_do"},      \
		{"resolution", 0, CLI_STRING, &(e).resolution, "TEXT", "resolution"},              \
		{"category", 0, CLI_STRING, &(e).category, "TEXT", "category"},                    \
		{"due", 0, CLI_STRING, &(e).due, "DATE", "due date (ISO 8601 date or date-time)"}, \
		{"assignee", 0, CLI_STRING, &(e).assignee, "NAME", "assignee"},                    \
		{"tags", 0, CLI_STRING, &(e).tags, "A,B", "tags, comma-separated (replaces all)"}, \
		{"metadata", 0, CLI_STRING, &(e).metadata, "JSON", "metadata (a JSON object)"},    \
	{                                                                                          \
		"scope", 0, CLI_STRING, &(e).scope, "ID", "project scope id"                       \
	}

static int edits_given(const struct task_edits *e)
{
	return e->title || e->description || e->status || e->resolution || e->category || e->due ||
	       e->assignee || e->tags || e->metadata || e->scope;
}

/* "a, b,,c" → ["a","b","c"]; "" → NULL (no tags). */
static json_t *parse_tags(const char *text)
{
	json_t *arr = json_array();
	const char *p = text;

	while (*p) {
		const char *start, *end;
		while (*p == ' ' || *p == ',')
			p++;
		start = p;
		while (*p && *p != ',')
			p++;
		end = p;
		while (end > start && end[-1] == ' ')
			end--;
		if (end > start) {
			/* unchecked: invalid UTF-8 reaches validation and is refused there */
			json_array_append_new(arr,
					      json_stringn_nocheck(start, (size_t)(end - start)));
		}
	}
	if (!json_array_size(arr)) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}

/*
 * Turns the options into an application-layer edit: "" clears a field,
 * --tags is split at commas, --metadata parsed as JSON. *tags and *meta
 * receive the JSON values the edit borrows (the caller frees them).
 * Returns 0 or prints a usage error and returns 2.
 */
static int edit_from_options(struct cli_ctx *ctx, const struct task_edits *e,
			     struct app_task_edit *out, json_t **tags, json_t **meta)
{
	const char *const texts[APP_F_COUNT] = {
		[APP_F_TITLE] = e->title,	[APP_F_DESCRIPTION] = e->description,
		[APP_F_STATUS] = e->status,	[APP_F_RESOLUTION] = e->resolution,
		[APP_F_CATEGORY] = e->category, [APP_F_DUE_DATE] = e->due,
		[APP_F_ASSIGNEE] = e->assignee, [APP_F_SCOPE] = e->scope,
	};

	memset(out, 0, sizeof(*out));
	*tags = *meta = NULL;
	out->name = cli_field_name;
	for (int f = 0; f < APP_F_COUNT; f++) {
		if (!texts[f])
			continue;
		out->set[f] = 1;
		out->text[f] = *texts[f] ? texts[f] : NULL;
	}
	/* an empty title is refused, not a clear */
	if (e->title)
		out->text[APP_F_TITLE] = e->title;
	if (e->tags) {
		out->set[APP_F_TAGS] = 1;
		out->tags = *tags = parse_tags(e->tags);
	}
	if (e->metadata) {
		json_error_t jerr;
		out->set[APP_F_METADATA] = 1;
		if (*e->metadata &&
		    !(*meta = json_loads(e->metadata, JSON_REJECT_DUPLICATES, &jerr)))
			return cli_usage_error(
				ctx, "--metadata is not valid JSON: %s (line %d, column %d)",
				jerr.text, jerr.line, jerr.column);
		out->metadata = *meta;
	}
	return 0;
}

/* Reports a failed edit: invalid values are usage errors (2), the rest as usual. */
static int edit_error(struct cli_ctx *ctx, const struct nv_err *err)
{
	if (err->code == NV_EINVAL)
		return cli_usage_error(ctx, "%s", err->msg);
	return cli_error(ctx, err);
}

static void print_outcome(struct cli_ctx *ctx, enum app_outcome outcome, const struct task *t)
{
	if (ctx->json) {
		json_t *doc = json_pack("{s:s s:o}", "outcome", app_outcome_name(outcome), "task",
					task_to_json(t));
		cli_print_json(doc);
		json_decref(doc);
	} else if (outcome == APP_CREATED) {
		printf("created task %s (version 1)\n", t->id);
	} else if (outcome == APP_UPDATED) {
		printf("updated task %s to version %lld\n", t->id, (long long)t->version);
	} else {
		printf("no change: task %s already has these values (version %lld)\n", t->id,
		       (long long)t->version);
	}
}

static int task_add(struct cli_ctx *ctx, int argc, char **argv)
{
	struct task_edits e = {0};
	const struct cli_opt opts[] = {EDIT_OPTIONS(e), {NULL}};
	const struct app_author who = {"cli", NULL};
	struct app_task_edit edit;
	struct store *s = NULL;
	struct task t;
	struct nv_err err;
	enum app_outcome outcome;
	json_t *tags = NULL, *meta = NULL;
	int rc;

	if (cli_parse(ctx, argc, argv, opts, "nvault task add --title TEXT [options]",
		      "Create a local task (version 1, written by \"cli\"). The status defaults\n"
		      "to open.",
		      0, 0))
		return ctx->exit_code;
	if (!e.title)
		return cli_usage_error(ctx, "--title is required");
	task_init(&t);
	if ((rc = edit_from_options(ctx, &e, &edit, &tags, &meta)))
		goto out;
	/* validate before creating a store for nothing */
	nv_err_clear(&err);
	if (app_task_apply(&edit, &t, &err)) {
		rc = edit_error(ctx, &err);
		goto out;
	}
	if ((rc = cli_open_store(ctx, 0, &s)))
		goto out;
	task_release(&t);
	if (app_task_add(s, &edit, &who, &t, &outcome, &err)) {
		rc = edit_error(ctx, &err);
		goto out;
	}
	print_outcome(ctx, outcome, &t);
out:
	json_decref(tags);
	json_decref(meta);
	task_release(&t);
	store_close(s);
	return rc;
}

static int task_update(struct cli_ctx *ctx, int argc, char **argv)
{
	struct task_edits e = {0};
	const struct cli_opt opts[] = {EDIT_OPTIONS(e), {NULL}};
	const struct app_author who = {"cli", NULL};
	struct app_task_edit edit;
	struct store *s = NULL;
	struct task t;
	struct nv_err err;
	enum app_outcome outcome;
	json_t *tags = NULL, *meta = NULL;
	int rc;

	task_init(&t);
	if (cli_parse(ctx, argc, argv, opts, "nvault task update ID [options]",
		      "Change fields of a task: a new version written by \"cli\" with reason\n"
		      "\"local edit\". An empty value clears a field (--due \"\"). An update\n"
		      "that changes nothing writes nothing. ID is the task id or the Notion\n"
		      "page id, with or without dashes.",
		      1, 1))
		return ctx->exit_code;
	if (!edits_given(&e))
		return cli_usage_error(ctx, "nothing to change: give at least one field option");
	if ((rc = edit_from_options(ctx, &e, &edit, &tags, &meta)))
		goto out;
	if ((rc = cli_open_store(ctx, STORE_NO_CREATE, &s)))
		goto out;
	nv_err_clear(&err);
	if (app_task_update(s, ctx->args[0], &edit, &who, &t, &outcome, &err)) {
		rc = edit_error(ctx, &err);
		goto out;
	}
	print_outcome(ctx, outcome, &t);
out:
	json_decref(tags);
	json_decref(meta);
	task_release(&t);
	store_close(s);
	return rc;
}

/* ---- get ---------------------------------------------------------------------- */

/* Tags as "a, b", or NULL. Caller frees. */
static char *tags_text(const json_t *tags)
{
	struct buf b = BUF_INIT;
	size_t i;
	json_t *v;

	if (!json_array_size(tags))
		return NULL;
	json_array_foreach(tags, i, v)
		buf_addf(&b, "%s%s", i ? ", " : "", json_is_string(v) ? json_string_value(v) : "?");
	return buf_detach(&b);
}

static void print_field(const char *name, const char *value)
{
	if (value)
		printf("%-16s %s\n", name, value);
}

static void print_task(const struct task *t)
{
	char *tags = tags_text(t->tags);
	char version[32];

	snprintf(version, sizeof(version), "%lld", (long long)t->version);
	print_field("id", t->id);
	print_field("title", t->title);
	print_field("status", t->status);
	print_field("notion status", t->notion_status);
	print_field("resolution", t->resolution);
	print_field("category", t->category);
	print_field("due", t->due_date);
	print_field("assignee", t->assignee);
	print_field("tags", tags);
	print_field("scope", t->scope);
	print_field("source", t->source);
	print_field("active", t->active ? "yes" : "no (deleted)");
	print_field("deleted at", t->deleted_at);
	print_field("version", version);
	print_field("created", t->created_at);
	print_field("updated", t->updated_at);
	print_field("notion page", t->notion_page_id);
	print_field("notion database", t->notion_database_id);
	print_field("data source", t->notion_data_source_id);
	print_field("notion url", t->notion_url);
	print_field("notion edited", t->notion_last_edited_time);
	if (json_object_size(t->metadata)) {
		struct buf keys = BUF_INIT;
		const char *k;
		json_t *v;
		json_object_foreach(t->metadata, k, v)
			buf_addf(&keys, "%s%s", keys.len ? ", " : "", k);
		printf("%-16s %s (see --json)\n", "metadata", keys.data);
		buf_release(&keys);
	}
	if (t->description)
		printf("\n%s\n", t->description);
	free(tags);
}

static int task_get(struct cli_ctx *ctx, int argc, char **argv)
{
	struct store *s = NULL;
	struct task t;
	struct nv_err err;
	int rc = 0;

	if (cli_parse(ctx, argc, argv, NULL, "nvault task get ID",
		      "Show one task in its current version. ID is the task id or the Notion\n"
		      "page id, with or without dashes.",
		      1, 1))
		return ctx->exit_code;
	if ((rc = cli_open_store(ctx, STORE_READONLY | STORE_NO_CREATE, &s)))
		return rc;
	nv_err_clear(&err);
	if (app_task_get(s, ctx->args[0], &t, &err)) {
		rc = cli_error(ctx, &err);
	} else if (ctx->json) {
		json_t *doc = task_to_json(&t);
		cli_print_json(doc);
		json_decref(doc);
	} else {
		print_task(&t);
	}
	task_release(&t);
	store_close(s);
	return rc;
}

/* ---- list --------------------------------------------------------------------- */

static int task_list(struct cli_ctx *ctx, int argc, char **argv)
{
	struct app_query q = {.name = cli_field_name};
	struct cli_list where = {0};
	const struct cli_opt opts[] = {
		{"database", 0, CLI_STRING, &q.database_id, "ID",
		 "only tasks of this Notion database"},
		{"status", 0, CLI_STRING, &q.status, "STATUS", "only tasks with this status"},
		{"search", 0, CLI_STRING, &q.search, "QUERY",
		 "ranked full-text search over every text of a task: words (all must match),\n"
		 "\"a phrase\", a OR b, a NOT b, prefix*"},
		{"where", 0, CLI_LIST, &where, "EXPR",
		 "filter, repeatable (all must hold): NAME=VALUE, NAME!=VALUE, NAME~TEXT,\n"
		 "NAME<V, NAME<=V, NAME>V, NAME>=V, NAME? (has a value), NAME= (is empty);\n"
		 "NAME is a task field (status, dueDate, tags, ...) or a Notion property"},
		{"sort", 0, CLI_STRING, &q.sort, "KEY",
		 "relevance (search default), updated (default), created, dueDate, a field\n"
		 "or a Notion property; KEY:asc or KEY:desc"},
		{"scope", 0, CLI_STRING, &q.scope, "ID", "only tasks of this project scope"},
		{"include-deleted", 0, CLI_FLAG, &q.include_deleted, NULL,
		 "also soft-deleted tasks"},
		{"limit", 0, CLI_INT, &q.limit, "N", "page size (default 50, at most 1000)"},
		{"cursor", 0, CLI_STRING, &q.cursor, "C",
		 "continue after the page that gave this nextCursor (--json)"},
		{"offset", 0, CLI_INT, &q.offset, "N", "skip the first N tasks"},
		{NULL},
	};
	struct store *s = NULL;
	struct task_list l;
	struct nv_err err;
	int rc;

	if (cli_parse(ctx, argc, argv, opts, "nvault task list [options]",
		      "List tasks, most recently updated first, one page at a time. When more\n"
		      "tasks match than the page holds, the output says so and gives the\n"
		      "--cursor of the next page (hasMore / nextCursor with --json); a cursor\n"
		      "is stable while a sync writes (--offset is not).\n"
		      "With --search the best matches come first (title above description\n"
		      "above other text: tags, Notion selects, people, rich text, urls, ...),\n"
		      "each with a snippet where the match is marked **like this**.",
		      0, 0))
		return ctx->exit_code;
	q.where = where.items;
	q.n_where = where.n;
	nv_err_clear(&err);
	if (app_query_check(&q, &err))
		return cli_usage_error(ctx, "%s", err.msg);
	if ((rc = cli_open_store(ctx, STORE_READONLY | STORE_NO_CREATE, &s)))
		return rc;
	if (app_task_list(s, &q, &l, &err)) {
		rc = cli_error(ctx, &err);
		if (err.code == NV_EINVAL) /* a bad query or filter is bad usage */
			rc = ctx->exit_code = 2;
		store_close(s);
		return rc;
	}
	if (ctx->json) {
		json_t *items = json_array();
		for (size_t i = 0; i < l.n; i++) {
			json_t *item = task_to_json(&l.items[i]);
			if (l.hits) {
				json_object_set_new(item, "score", json_real(l.hits[i].score));
				json_object_set_new(item, "snippet",
						    l.hits[i].snippet
							    ? json_string(l.hits[i].snippet)
							    : json_null());
			}
			json_array_append_new(items, item);
		}
		json_t *doc = json_pack(
			"{s:o s:o s:I s:I s:b s:o s:o}", "tasks", items, "total",
			l.total >= 0 ? json_integer(l.total) : json_null(), "offset",
			(json_int_t)q.offset, "count", (json_int_t)l.n, "hasMore", l.has_more,
			"nextOffset",
			l.has_more && !q.cursor ? json_integer(l.next_offset) : json_null(),
			"nextCursor", l.next_cursor ? json_string(l.next_cursor) : json_null());
		cli_print_json(doc);
		json_decref(doc);
	} else if (!l.n) {
		if (q.cursor)
			printf("No more tasks.\n");
		else
			printf(l.total ? "No tasks past offset %lld (%lld match).\n"
				       : "No tasks match.\n",
			       (long long)q.offset, (long long)l.total);
	} else {
		static const char *const headers[] = {"ID", "STATUS", "TITLE", "VER", "UPDATED"};
		struct table tb;
		table_init(&tb, 5, headers);
		for (size_t i = 0; i < l.n; i++) {
			const struct task *t = &l.items[i];
			char title[256], ver[24];
			short_title(t->title, 50, title, sizeof(title));
			if (!t->active) {
				size_t len = strlen(title);
				snprintf(title + len, sizeof(title) - len, " [deleted]");
			}
			snprintf(ver, sizeof(ver), "%lld", (long long)t->version);
			const char *cells[] = {t->id, t->status, title, ver, t->updated_at};
			table_add(&tb, cells);
		}
		table_print(&tb, stdout);
		table_release(&tb);
		for (size_t i = 0; l.hits && i < l.n; i++) {
			if (!i)
				printf("\nMatches:\n");
			printf("  %s  %s\n", l.items[i].id,
			       l.hits[i].snippet ? l.hits[i].snippet : "");
		}
		if (q.cursor)
			printf("\n%zu more task%s%s%s\n", l.n, l.n == 1 ? "" : "s",
			       l.has_more ? "; more with --cursor " : ".",
			       l.has_more ? l.next_cursor : "");
		else if (l.has_more)
			printf("\nShowing %lld-%lld of %lld tasks; more with --offset %lld"
			       " (or --cursor %s).\n",
			       (long long)q.offset + 1, (long long)q.offset + (long long)l.n,
			       (long long)l.total, (long long)l.next_offset, l.next_cursor);
		else
			printf("\n%lld task%s.\n", (long long)l.total, l.total == 1 ? "" : "s");
	}
	task_list_release(&l);
	store_close(s);
	return 0;
}

/* ---- history ------------------------------------------------------------------ */

/* Names of the content fields that differ between two versions ("title, status"). */
static char *changed_fields(const struct task_version *prev, const struct task_version *v)
{
	json_t *names = app_changed_fields(prev, v), *name;
	struct buf out = BUF_INIT;
	size_t i;

	json_array_foreach(names, i, name)
		buf_addf(&out, "%s%s", out.len ? ", " : "", json_string_value(name));
	json_decref(names);
	if (strcmp(prev->snap.notion_last_edited_time ? prev->snap.notion_last_edited_time : "",
		   v->snap.notion_last_edited_time ? v->snap.notion_last_edited_time : ""))
		buf_addf(&out, "%snotionLastEditedTime", out.len ? ", " : "");
	return out.len ? buf_detach(&out) : (buf_release(&out), NULL);
}

static int task_history(struct cli_ctx *ctx, int argc, char **argv)
{
	struct store *s = NULL;
	struct task_version *v = NULL;
	struct task t;
	size_t n = 0;
	struct nv_err err;
	int rc = 0;

	if (cli_parse(ctx, argc, argv, NULL, "nvault task history ID",
		      "Show every version of a task, oldest first, with who wrote it, why,\n"
		      "and which fields changed.",
		      1, 1))
		return ctx->exit_code;
	if ((rc = cli_open_store(ctx, STORE_READONLY | STORE_NO_CREATE, &s)))
		return rc;
	nv_err_clear(&err);
	if (app_task_history(s, ctx->args[0], &t, &v, &n, &err)) {
		rc = cli_error(ctx, &err);
	} else if (ctx->json) {
		json_t *items = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(items, task_version_to_json(&v[i]));
		json_t *doc = json_pack("{s:s s:I s:o}", "taskId", t.id ? t.id : "", "count",
					(json_int_t)n, "versions", items);
		cli_print_json(doc);
		json_decref(doc);
	} else {
		static const char *const headers[] = {"VER",	"WHEN",	 "BY",	   "REASON",
						      "STATUS", "TITLE", "CHANGED"};
		struct table tb;
		table_init(&tb, 7, headers);
		for (size_t i = 0; i < n; i++) {
			char num[24], title[256], reason[256];
			char *changed = i ? changed_fields(&v[i - 1], &v[i]) : NULL;
			snprintf(num, sizeof(num), "%lld", (long long)v[i].num);
			short_title(v[i].snap.title, 40, title, sizeof(title));
			snprintf(reason, sizeof(reason), "%s%s",
				 v[i].change_reason ? v[i].change_reason : "-",
				 v[i].conflict ? " (conflict)" : "");
			const char *cells[] = {num,    v[i].created_at,	 v[i].created_by,
					       reason, v[i].snap.status, title,
					       changed};
			table_add(&tb, cells);
			free(changed);
		}
		table_print(&tb, stdout);
		table_release(&tb);
	}
	task_versions_free(v, n);
	task_release(&t);
	store_close(s);
	return rc;
}

static const struct cli_command task_commands[] = {
	{.name = "add", .run = task_add, .summary = "create a local task"},
	{.name = "update", .run = task_update, .summary = "change a task (new version)"},
	{.name = "get", .run = task_get, .summary = "one task in its current version"},
	{.name = "list", .run = task_list, .summary = "list and search tasks"},
	{.name = "history",
	 .run = task_history,
	 .summary = "every version of a task, oldest first"},
	{.name = NULL},
};

int cmd_task(struct cli_ctx *ctx, int argc, char **argv)
{
	return cli_dispatch(ctx, "task", task_commands, argc, argv);
}
