/*
 * tools.c: the MCP tool table and everything generic about tools/list and
 * tools/call: input schemas generated from each tool's parameter table,
 * argument validation (unknown parameters, wrong types, out-of-range
 * numbers, missing required ones: each message names the parameter), the
 * action dispatch, and the result envelope (structuredContent plus a text
 * rendering, or isError with the message).
 */
#include "mcp/mcp_int.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/log.h"
#include "util/xalloc.h"

const struct mcp_tool mcp_tools[] = {
	{
		.name = "memory_task",
		.title = "Task memory",
		.description =
			"Read and write nvault's versioned task memory (tasks backed up from "
			"Notion and tasks created by agents). Every change is a new immutable "
			"version. Actions: add (title required), update (id + fields; null clears "
			"a "
			"field), get (id), list (filters scopeId, status, databaseId, "
			"includeInactive, limit, offset or cursor), history (id: all versions, "
			"oldest first), get_version (id, versionNum), delete (id: soft delete, "
			"recorded as a version), search (query: full text), as_of (time: every "
			"task "
			"as it was then), diff (since, optional until: what was created, changed, "
			"deleted or restored). id may be the task id or its Notion page id. Times "
			"are UTC ISO 8601. Edits stay local: Notion is not written, and the next "
			"sync of a row that changed in Notion overwrites them. Tasks come without "
			"their Notion properties unless asked for (fields or detail \"full\"); "
			"replies stop before NVAULT_MCP_MAX_REPLY bytes with truncated: true and "
			"nextCursor. For reads prefer the read-only tools task_search, task_get, "
			"task_history, task_changes.",
		.params = memory_task_params,
		.actions = memory_task_actions,
		.output_schema = memory_task_output_schema,
		.hints = {.read_only = 0, .destructive = 1, .idempotent = 0, .open_world = 0},
	},
	{
		.name = "notion_sync",
		.title = "Notion sync",
		.description =
			"Back up the configured Notion databases into the task memory. Actions: "
			"sync (optional databaseId, fullSync to re-read every row, dryRun to "
			"report without writing; sends progress notifications when the request "
			"carries a progressToken and stops when cancelled), status (last runs, "
			"watermarks, scheduler), list_databases (configured databases with task "
			"counts), schema_history (optional databaseId, limit: how the data "
			"sources' property schemas changed — properties added, removed, renamed, "
			"retyped, options changed — oldest first). success is false whenever any "
			"database failed. Only one sync "
			"runs at a time per store. Reads Notion; never writes to it. For status "
			"alone prefer the read-only sync_status.",
		.params = notion_sync_params,
		.actions = notion_sync_actions,
		.output_schema = notion_sync_output_schema,
		.hints = {.read_only = 0, .destructive = 0, .idempotent = 0, .open_world = 1},
	},
	{.name = NULL},
};

/* The JSON Schema of one parameter (new reference). */
static json_t *param_schema(const struct mcp_param *p)
{
	json_t *s = json_object();

	switch (p->type) {
	case P_STRING:
		json_object_set_new(s, "type", json_string("string"));
		break;
	case P_STRING_NULL:
		json_object_set_new(s, "type", json_pack("[ss]", "string", "null"));
		break;
	case P_INTEGER:
		json_object_set_new(s, "type", json_string("integer"));
		json_object_set_new(s, "minimum", json_integer(p->min));
		json_object_set_new(s, "maximum", json_integer(p->max));
		break;
	case P_BOOLEAN:
		json_object_set_new(s, "type", json_string("boolean"));
		break;
	case P_TAGS:
		json_object_set_new(s, "type", json_pack("[ss]", "array", "null"));
		json_object_set_new(s, "items", json_pack("{s:s}", "type", "string"));
		break;
	case P_OBJECT_NULL:
		json_object_set_new(s, "type", json_pack("[ss]", "object", "null"));
		break;
	case P_STRINGS:
		json_object_set_new(s, "type", json_string("array"));
		json_object_set_new(s, "items", json_pack("{s:s}", "type", "string"));
		break;
	}
	if (p->choices) {
		json_t *e = json_array();
		for (const char *const *c = p->choices; *c; c++)
			json_array_append_new(e, json_string(*c));
		if (p->type == P_STRING_NULL)
			json_array_append_new(e, json_null());
		json_object_set_new(s, "enum", e);
	}
	json_object_set_new(s, "description", json_string(p->description));
	return s;
}

static json_t *input_schema(const struct mcp_tool *t)
{
	json_t *props = json_object(), *required = json_array();

	for (const struct mcp_param *p = t->params; p->name; p++)
		json_object_set_new(props, p->name, param_schema(p));
	if (t->actions) { /* the action names come from the action table itself */
		json_t *e = json_array();
		for (const struct mcp_action *a = t->actions; a->name; a++)
			json_array_append_new(e, json_string(a->name));
		json_object_set_new(json_object_get(props, "action"), "enum", e);
	}
	if (t->actions)
		json_array_append_new(required, json_string("action"));
	for (const char *const *r = t->required; r && *r; r++)
		json_array_append_new(required, json_string(*r));
	return json_pack("{s:s, s:o, s:o, s:b}", "type", "object", "properties", props, "required",
			 required, "additionalProperties", 0);
}

/*
 * The action tools' output schemas: deliberately open (one object per
 * action, all with "action"), because each action returns a different
 * shape; the fields named here are documented in docs/mcp.md.
 */
json_t *memory_task_output_schema(void)
{
	json_t *props = json_pack("{s:{s:s}}", "action", "type", "string");

	json_object_set_new(props, "task", json_pack("{s:s}", "type", "object"));
	json_object_set_new(props, "tasks", json_pack("{s:s}", "type", "array"));
	json_object_set_new(props, "versions", json_pack("{s:s}", "type", "array"));
	json_object_set_new(props, "version", json_pack("{s:s}", "type", "object"));
	json_object_set_new(props, "changes", json_pack("{s:s}", "type", "array"));
	json_object_set_new(props, "outcome",
			    json_pack("{s:s, s:[ssss]}", "type", "string", "enum", "created",
				      "updated", "unchanged", "deleted"));
	/* null on a list page reached by a keyset cursor (not counted) */
	json_object_set_new(props, "total", json_pack("{s:[ss]}", "type", "integer", "null"));
	json_object_set_new(props, "hasMore", json_pack("{s:s}", "type", "boolean"));
	json_object_set_new(props, "truncated", json_pack("{s:s}", "type", "boolean"));
	json_object_set_new(props, "nextCursor", json_pack("{s:[ss]}", "type", "string", "null"));
	return json_pack("{s:s, s:o, s:[s]}", "type", "object", "properties", props, "required",
			 "action");
}

json_t *notion_sync_output_schema(void)
{
	json_t *props = json_pack("{s:{s:s}}", "action", "type", "string");

	json_object_set_new(props, "success", json_pack("{s:s}", "type", "boolean"));
	json_object_set_new(props, "dryRun", json_pack("{s:s}", "type", "boolean"));
	json_object_set_new(props, "databases", json_pack("{s:s}", "type", "array"));
	json_object_set_new(props, "syncRunning", json_pack("{s:s}", "type", "boolean"));
	return json_pack("{s:s, s:o, s:[s]}", "type", "object", "properties", props, "required",
			 "action");
}

static json_t *tool_json(const struct mcp_tool *t)
{
	return json_pack("{s:s, s:s, s:s, s:o, s:o, s:{s:s, s:b, s:b, s:b, s:b}}", "name", t->name,
			 "title", t->title, "description", t->description, "inputSchema",
			 input_schema(t), "outputSchema", t->output_schema(), "annotations",
			 "title", t->title, "readOnlyHint", t->hints.read_only, "destructiveHint",
			 t->hints.destructive, "idempotentHint", t->hints.idempotent,
			 "openWorldHint", t->hints.open_world);
}

/* The tool called name, or NULL. */
static const struct mcp_tool *find_tool(const char *name)
{
	for (const struct mcp_tool *t = mcp_tools; t->name; t++)
		if (!strcmp(t->name, name))
			return t;
	for (const struct mcp_tool *t = mcp_read_tools; t->name; t++)
		if (!strcmp(t->name, name))
			return t;
	return NULL;
}

json_t *mcp_tools_list(void)
{
	json_t *tools = json_array();

	for (const struct mcp_tool *t = mcp_tools; t->name; t++)
		json_array_append_new(tools, tool_json(t));
	for (const struct mcp_tool *t = mcp_read_tools; t->name; t++)
		json_array_append_new(tools, tool_json(t));
	return json_pack("{s:o}", "tools", tools);
}

json_t *mcp_tool_result(json_t *structured, const char *text, int is_error)
{
	json_t *r = json_pack("{s:[{s:s, s:s}], s:b}", "content", "type", "text", "text", text,
			      "isError", is_error);

	if (structured)
		json_object_set_new(r, "structuredContent", structured);
	return r;
}

/* ---- arguments ------------------------------------------------------------- */

json_t *mcp_arg_get(const struct mcp_call *c, const char *name)
{
	return c->args ? json_object_get(c->args, name) : NULL;
}

int mcp_arg_has(const struct mcp_call *c, const char *name)
{
	return mcp_arg_get(c, name) != NULL;
}

const char *mcp_arg_str(const struct mcp_call *c, const char *name)
{
	return json_string_value(mcp_arg_get(c, name));
}

int64_t mcp_arg_int(const struct mcp_call *c, const char *name, int64_t dflt)
{
	json_t *v = mcp_arg_get(c, name);
	return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}

int mcp_arg_bool(const struct mcp_call *c, const char *name, int dflt)
{
	json_t *v = mcp_arg_get(c, name);
	return json_is_boolean(v) ? json_is_true(v) : dflt;
}

int mcp_arg_where(const struct mcp_call *c, struct app_query *q, const char **exprs, size_t max,
		  struct nv_err *err)
{
	json_t *arr = mcp_arg_get(c, "where"), *v;
	size_t i;

	q->n_where = 0;
	q->where = exprs;
	if (!json_is_array(arr))
		return 0;
	if (json_array_size(arr) > max)
		return nv_err_set(err, NV_EINVAL, "parameter 'where': at most %zu filters", max);
	json_array_foreach(arr, i, v) exprs[q->n_where++] = json_string_value(v);
	return 0;
}

static const char *json_type_name(const json_t *v)
{
	static const char *const names[] = {
		[JSON_OBJECT] = "an object", [JSON_ARRAY] = "an array",
		[JSON_STRING] = "a string",  [JSON_INTEGER] = "an integer",
		[JSON_REAL] = "a number",    [JSON_TRUE] = "a boolean",
		[JSON_FALSE] = "a boolean",  [JSON_NULL] = "null",
	};
	return names[json_typeof(v)];
}

static void list_names(struct buf *b, const struct mcp_param *params)
{
	for (const struct mcp_param *p = params; p->name; p++)
		buf_addf(b, "%s%s", p == params ? "" : ", ", p->name);
}

static void list_choices(struct buf *b, const char *const *choices)
{
	for (const char *const *c = choices; *c; c++)
		buf_addf(b, "%s%s", c == choices ? "" : ", ", *c);
}

/* Checks one argument against its parameter; 0 or NV_EINVAL with err naming it. */
static int check_param(const struct mcp_param *p, json_t *v, struct nv_err *err)
{
	struct buf b = BUF_INIT;
	size_t i;
	json_t *item;
	int ok;

	if (json_is_string(v) && strlen(json_string_value(v)) != json_string_length(v))
		return nv_err_set(err, NV_EINVAL,
				  "parameter '%s' must not contain NUL characters (\\u0000)",
				  p->name);
	switch (p->type) {
	case P_STRING:
		ok = json_is_string(v);
		break;
	case P_STRING_NULL:
		ok = json_is_string(v) || json_is_null(v);
		break;
	case P_INTEGER:
		if (!json_is_integer(v))
			return nv_err_set(err, NV_EINVAL,
					  "parameter '%s' must be an integer, not %s", p->name,
					  json_type_name(v));
		if (json_integer_value(v) < p->min || json_integer_value(v) > p->max)
			return nv_err_set(err, NV_EINVAL,
					  "parameter '%s' must be between %" PRId64 " and %" PRId64
					  " (got %" JSON_INTEGER_FORMAT ")",
					  p->name, p->min, p->max, json_integer_value(v));
		return 0;
	case P_BOOLEAN:
		ok = json_is_boolean(v);
		break;
	case P_TAGS:
	case P_STRINGS:
		if (json_is_null(v) && p->type == P_TAGS)
			return 0;
		if (!json_is_array(v))
			return nv_err_set(err, NV_EINVAL,
					  "parameter '%s' must be an array of strings, not %s",
					  p->name, json_type_name(v));
		json_array_foreach(
			v, i,
			item) if (json_is_string(item) &&
				  strlen(json_string_value(item)) !=
					  json_string_length(
						  item)) return nv_err_set(err, NV_EINVAL,
									   "parameter '%s': item "
									   "%zu contains a NUL "
									   "character (\\u0000)",
									   p->name, i);
		json_array_foreach(v, i, item) if (!json_is_string(item)) return nv_err_set(
			err, NV_EINVAL,
			"parameter '%s' must be an array of strings: "
			"item %zu is %s",
			p->name, i, json_type_name(item));
		return 0;
	case P_OBJECT_NULL:
		ok = json_is_object(v) || json_is_null(v);
		break;
	default:
		ok = 0;
	}
	if (!ok) {
		static const char *const wanted[] = {
			[P_STRING] = "a string",
			[P_STRING_NULL] = "a string or null",
			[P_INTEGER] = "an integer",
			[P_BOOLEAN] = "a boolean (true or false)",
			[P_TAGS] = "an array of strings",
			[P_OBJECT_NULL] = "an object or null",
			[P_STRINGS] = "an array of strings",
		};
		return nv_err_set(err, NV_EINVAL, "parameter '%s' must be %s, not %s", p->name,
				  wanted[p->type], json_type_name(v));
	}
	if (p->choices && json_is_string(v)) {
		for (const char *const *c = p->choices; *c; c++)
			if (!strcmp(*c, json_string_value(v)))
				return 0;
		list_choices(&b, p->choices);
		nv_err_set(err, NV_EINVAL,
			   "parameter '%s': unknown value '%.100s' (expected one of: %s)", p->name,
			   json_string_value(v), b.data);
		buf_release(&b);
		return NV_EINVAL;
	}
	return 0;
}

static const struct mcp_param *find_param(const struct mcp_tool *t, const char *name)
{
	for (const struct mcp_param *p = t->params; p->name; p++)
		if (!strcmp(p->name, name))
			return p;
	return NULL;
}

/* Validates c->args for c->tool and finds the action; 0 or NV_EINVAL with err set. */
static int validate_args(struct mcp_call *c, const struct mcp_action **action, struct nv_err *err)
{
	const char *key;
	json_t *v;
	struct buf b = BUF_INIT;

	json_object_foreach(c->args, key, v)
	{
		const struct mcp_param *p = find_param(c->tool, key);
		if (!p) {
			list_names(&b, c->tool->params);
			nv_err_set(err, NV_EINVAL, "unknown parameter '%.100s' for %s (valid: %s)",
				   key, c->tool->name, b.data);
			buf_release(&b);
			return NV_EINVAL;
		}
		if (check_param(p, v, err))
			return NV_EINVAL;
	}
	if (!c->tool->actions) {
		*action = NULL;
		for (const char *const *r = c->tool->required; r && *r; r++) {
			json_t *val = mcp_arg_get(c, *r);
			if (!val || json_is_null(val) ||
			    (json_is_string(val) && !*json_string_value(val)))
				return nv_err_set(err, NV_EINVAL, "parameter '%s' is required", *r);
		}
		return 0;
	}
	c->action = mcp_arg_str(c, "action");
	if (!c->action)
		return nv_err_set(err, NV_EINVAL, "parameter 'action' is required");
	for (*action = c->tool->actions; (*action)->name; (*action)++)
		if (!strcmp((*action)->name, c->action))
			break;
	if (!(*action)->name) {
		for (const struct mcp_action *a = c->tool->actions; a->name; a++)
			buf_addf(&b, "%s%s", a == c->tool->actions ? "" : ", ", a->name);
		nv_err_set(err, NV_EINVAL,
			   "parameter 'action': unknown value '%.100s' (expected one of: %s)",
			   c->action, b.data);
		buf_release(&b);
		return NV_EINVAL;
	}
	for (const char *const *r = (*action)->required; r && *r; r++) {
		json_t *val = mcp_arg_get(c, *r);
		if (!val || json_is_null(val) || (json_is_string(val) && !*json_string_value(val)))
			return nv_err_set(err, NV_EINVAL, "action '%s' needs parameter '%s'",
					  c->action, *r);
	}
	return 0;
}

/* The "mcp:<agent>" author of versions written by this call. */
static int set_author(struct mcp_call *c, struct nv_err *err)
{
	const char *agent = mcp_arg_str(c, "agentId");

	if (!agent || !*agent)
		agent = "agent";
	if (strlen(agent) > 100)
		return nv_err_set(err, NV_EINVAL,
				  "parameter 'agentId' is longer than 100 characters");
	for (const char *p = agent; *p; p++)
		if ((unsigned char)*p < 0x20)
			return nv_err_set(
				err, NV_EINVAL,
				"parameter 'agentId' must not contain control characters");
	snprintf(c->created_by, sizeof(c->created_by), "mcp:%s", agent);
	return 0;
}

void mcp_text_head(struct mcp_call *c, const char *fmt, ...)
{
	struct buf head = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&head, fmt, ap);
	va_end(ap);
	if (c->text.len)
		buf_add(&head, c->text.data, c->text.len);
	buf_release(&c->text);
	c->text = head;
}

void mcp_task_line(struct buf *out, const struct task *t)
{
	size_t chars = 0, i;
	const char *title = t->title ? t->title : "(untitled)";

	buf_adds(out, "- ");
	/* the first line of the title, at most 100 characters */
	for (i = 0; title[i] && title[i] != '\n' && title[i] != '\r'; i++) {
		if (((unsigned char)title[i] & 0xC0) != 0x80 && ++chars > 100)
			break;
	}
	buf_add(out, title, i);
	if (title[i])
		buf_adds(out, "...");
	buf_addf(out, " [%s%s] %s", t->status ? t->status : "-", t->active ? "" : ", deleted",
		 t->id ? t->id : "");
	if (t->due_date)
		buf_addf(out, " due %s", t->due_date);
}

struct app_view mcp_view(const struct mcp_call *c)
{
	const char *detail = mcp_arg_str(c, "detail");

	return (struct app_view){.full = detail && !strcmp(detail, "full"),
				 .fields = mcp_arg_get(c, "fields")};
}

int mcp_call_store(struct mcp_call *c, struct store **out, struct nv_err *err)
{
	return c->env->store(c->env->ud, 0, out, err);
}

int mcp_call_store_create(struct mcp_call *c, struct store **out, struct nv_err *err)
{
	return c->env->store(c->env->ud, 1, out, err);
}

int mcp_call_store_if_any(struct mcp_call *c, struct store **out, struct nv_err *err)
{
	int rc = c->env->store(c->env->ud, 0, out, err);

	if (rc == NV_ENOTFOUND) {
		*out = NULL;
		nv_err_clear(err);
		return 0;
	}
	return rc;
}

const char *mcp_param_label(const char *field)
{
	static __thread char labels[4][128];
	static __thread unsigned next;
	char *l = labels[next++ % 4];

	snprintf(l, sizeof(labels[0]), "parameter '%s'", field);
	return l;
}

int mcp_tools_call(const struct mcp_env *env, const struct jsonrpc_request *req,
		   struct jsonrpc_reply *reply)
{
	struct mcp_call c;
	struct nv_err err;
	const struct mcp_action *action = NULL;
	json_t *name = json_object_get(req->params, "name");
	json_t *args = json_object_get(req->params, "arguments");
	json_t *empty = NULL;
	int rc;

	if (!json_is_object(req->params))
		return jsonrpc_reply_error(reply, JSONRPC_INVALID_PARAMS,
					   "Invalid params: tools/call needs an object");
	if (!json_is_string(name))
		return jsonrpc_reply_error(reply, JSONRPC_INVALID_PARAMS,
					   "Invalid params: 'name' (the tool) must be a string");
	if (args && !json_is_object(args) && !json_is_null(args))
		return jsonrpc_reply_error(reply, JSONRPC_INVALID_PARAMS,
					   "Invalid params: 'arguments' must be an object");
	memset(&c, 0, sizeof(c));
	if (!(c.tool = find_tool(json_string_value(name))))
		return jsonrpc_reply_error(reply, JSONRPC_INVALID_PARAMS,
					   "Unknown tool: %.200s (tools: memory_task, notion_sync, "
					   "task_search, task_get, task_history, task_changes, "
					   "sync_status)",
					   json_string_value(name));
	if (!json_is_object(args))
		args = empty = json_object();
	c.env = env;
	c.req = req;
	c.args = args;
	c.budget = mcp_reply_budget();
	if (c.tool->actions) /* for messages */
		c.action = json_string_value(json_object_get(args, "action"));
	nv_err_clear(&err);
	rc = validate_args(&c, &action, &err);
	if (!rc)
		rc = set_author(&c, &err);
	if (!rc)
		rc = action ? action->run(&c, &err) : c.tool->run(&c, &err);
	if (c.deferred) {
		json_decref(empty);
		buf_release(&c.text);
		return JSONRPC_DEFERRED;
	}
	if (rc) {
		struct buf b = BUF_INIT;
		if (c.tool->actions)
			buf_addf(&b, "%s %s failed: %s", c.tool->name, c.action ? c.action : "call",
				 err.msg[0] ? err.msg : nv_status_name(rc));
		else
			buf_addf(&b, "%s failed: %s", c.tool->name,
				 err.msg[0] ? err.msg : nv_status_name(rc));
		log_debug("mcp: %s", b.data);
		json_decref(c.result);
		reply->result = mcp_tool_result(NULL, b.data, 1);
		buf_release(&b);
	} else {
		if (!c.result)
			c.result = json_object();
		if (c.action)
			json_object_set_new(c.result, "action", json_string(c.action));
		/* the text is a short rendering, never the JSON again */
		mcp_fit_result(c.result, &c.text, c.budget);
		reply->result = mcp_tool_result(c.result, c.text.len ? c.text.data : "Done.", 0);
	}
	buf_release(&c.text);
	json_decref(empty);
	return JSONRPC_ANSWER;
}
