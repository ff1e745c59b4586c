/*
 * store_query.c: reading tasks back by filter: the WHERE clause every
 * filtered read shares (lists, search, as-of, diff, counts, export), and
 * one page of a list or of a ranked search.
 *
 * A search page is read in two steps: the matching rows are ranked by BM25
 * (nv_rank in store_search.c; title 10, description 4, other text 1) over rowids and scores only,
 * so the sorter never carries a task's content; then the page's few tasks are loaded by rowid and
 * given a snippet each.
 */
#include "store/store_int.h"

#include <sqlite3.h> /* the SQL functions registered on SQLite */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/buf.h"
#include "util/id.h"
#include "util/xalloc.h"

/* bm25 column weights: title, description, other text */
#define SEARCH_RANK "nv_rank(task_search, 10.0, 4.0, 1.0, ?)"

/* ---- filters -------------------------------------------------------------- */

/* Dashed lowercase form of a Notion id, or the text as given when it is none. */
static const char *norm_id(const char *in, char buf[ID_DASHED_LEN + 1])
{
	if (in && !id_normalize(in, buf))
		return buf;
	return in;
}

static void where_add(struct where *w, const char *cond, const char *param)
{
	buf_adds(&w->sql, w->sql.len ? " AND " : w->lead);
	buf_adds(&w->sql, cond);
	if (param)
		w->params[w->n++] = param;
}

/* Is the text only white space (or NULL)? */
static int blank(const char *s)
{
	if (!s)
		return 1;
	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return 0;
	return 1;
}

/* ---- SQL functions of filters and sorts ------------------------------------------- */

/* Appends the text of one item of a list value (a string, a person, a file, ...). */
static void item_text(struct buf *out, const json_t *item)
{
	const char *keys[] = {"name", "email", "id", "string"};
	const char *text = json_string_value(item);

	for (size_t i = 0; !text && i < sizeof(keys) / sizeof(keys[0]); i++)
		text = json_string_value(json_object_get(item, keys[i]));
	if (!text && json_is_number(item)) {
		buf_addf(out, "%s%g", out->len ? "\n" : "", json_number_value(item));
		return;
	}
	if (text && *text)
		buf_addf(out, "%s%s", out->len ? "\n" : "", text);
}

/* Sets the SQL result to a scalar JSON value (text, number, true/false), else NULL. */
static void result_scalar(sqlite3_context *ctx, const json_t *v)
{
	if (json_is_string(v) && *json_string_value(v))
		sqlite3_result_text(ctx, json_string_value(v), -1, SQLITE_TRANSIENT);
	else if (json_is_integer(v))
		sqlite3_result_int64(ctx, json_integer_value(v));
	else if (json_is_real(v))
		sqlite3_result_double(ctx, json_real_value(v));
	else if (json_is_boolean(v))
		sqlite3_result_text(ctx, json_is_true(v) ? "true" : "false", -1, SQLITE_STATIC);
	else
		sqlite3_result_null(ctx);
}

/* Sets the SQL result to the items of a list, one per line, or NULL when it has none. */
static void result_list(sqlite3_context *ctx, const json_t *arr)
{
	struct buf out = BUF_INIT;
	const json_t *item;
	size_t i;

	json_array_foreach(arr, i, item) item_text(&out, item);
	if (out.len)
		sqlite3_result_text(ctx, buf_detach(&out), -1, free);
	else
		sqlite3_result_null(ctx);
	buf_release(&out);
}

/* Sets the SQL result to the text of one item (a person), or NULL. */
static void result_list_one(sqlite3_context *ctx, const json_t *item)
{
	struct buf out = BUF_INIT;

	item_text(&out, item);
	if (out.len)
		sqlite3_result_text(ctx, buf_detach(&out), -1, free);
	else
		sqlite3_result_null(ctx);
	buf_release(&out);
}

/*
 * nv_prop_value(property JSON): the comparable value of one normalised
 * Notion property {"type", "value"} (mapper.c): an option's name, a
 * number, a date's start, "true"/"false", a formula's result, a unique
 * id as PREFIX-N; lists (multi-select, people, relations, files) as their
 * items' names, one per line. NULL when empty.
 */
static void sql_prop_value(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *text = (const char *)sqlite3_value_text(argv[0]);
	json_t *prop, *v;
	const char *type;

	(void)argc;
	if (!text || !(prop = json_loads(text, JSON_DECODE_ANY, NULL))) {
		sqlite3_result_null(ctx);
		return;
	}
	type = json_string_value(json_object_get(prop, "type"));
	v = json_object_get(prop, "value");
	if (json_is_object(v) && type && !strcmp(type, "formula")) {
		const char *ft = json_string_value(json_object_get(v, "type"));
		v = ft ? json_object_get(v, ft) : NULL;
	}
	if (json_is_object(v) && json_object_get(v, "start")) {
		v = json_object_get(v, "start"); /* a date (or a formula's) */
	} else if (json_is_object(v) && json_is_integer(json_object_get(v, "number")) && type &&
		   !strcmp(type, "unique_id")) {
		const char *prefix = json_string_value(json_object_get(v, "prefix"));
		char buf[128];
		if (prefix) {
			snprintf(buf, sizeof(buf), "%s-%lld", prefix,
				 (long long)json_integer_value(json_object_get(v, "number")));
			sqlite3_result_text(ctx, buf, -1, SQLITE_TRANSIENT);
			json_decref(prop);
			return;
		}
		v = json_object_get(v, "number");
	} else if (json_is_object(v) && json_object_get(v, "type")) {
		/* a rollup: {"type": "number", "number": 3} */
		const char *rt = json_string_value(json_object_get(v, "type"));
		v = rt ? json_object_get(v, rt) : NULL;
	}
	if (json_is_array(v))
		result_list(ctx, v);
	else if (json_is_object(v)) /* a person (created_by) */
		result_list_one(ctx, v);
	else
		result_scalar(ctx, v);
	json_decref(prop);
}

/* nv_list_text(JSON array): its items one per line (tags), NULL when none. */
static void sql_list_text(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *text = (const char *)sqlite3_value_text(argv[0]);
	json_t *arr;

	(void)argc;
	if (!text || !(arr = json_loads(text, JSON_DECODE_ANY, NULL))) {
		sqlite3_result_null(ctx);
		return;
	}
	result_list(ctx, arr);
	json_decref(arr);
}

/* Does text look like a number (for comparing numerically)? */
static int looks_numeric(const char *text)
{
	char *end;

	if (!*text)
		return 0;
	(void)strtod(text, &end);
	return *end == '\0';
}

/* ASCII case-insensitive search of needle in hay[0..len). */
static int contains_nocase(const char *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; n <= len && i <= len - n; i++)
		if (!strncasecmp(hay + i, needle, n))
			return 1;
	return 0;
}

/* Does one line of text equal want (case ignored)? */
static int line_equals(const char *text, const char *want)
{
	size_t n = strlen(want);

	for (const char *p = text; p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (len == n && !strncasecmp(p, want, n))
			return 1;
		p = nl ? nl + 1 : NULL;
	}
	return 0;
}

/*
 * nv_match(value, op, operand): one filter expression (where_expr) over a
 * field's value. "=": the value, or one of its lines (list items), equals
 * the operand, case ignored, or numerically for numbers; "!=": not that
 * (an empty value is unequal to everything); "~": contains, case ignored;
 * "<", "<=", ">", ">=": numbers against a numeric operand, text (ISO
 * dates) against any other; "?": has a value; "=" with an empty operand:
 * is empty.
 */
static void sql_match(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *op = (const char *)sqlite3_value_text(argv[1]);
	const char *operand = (const char *)sqlite3_value_text(argv[2]);
	int type = sqlite3_value_type(argv[0]), numeric_value, r = 0;
	const char *text;
	double num = 0, want = 0;
	char *end;

	(void)argc;
	(void)end;
	if (!op || !operand) {
		sqlite3_result_int(ctx, 0);
		return;
	}
	numeric_value = type == SQLITE_INTEGER || type == SQLITE_FLOAT;
	text = type == SQLITE_NULL ? NULL : (const char *)sqlite3_value_text(argv[0]);
	if (numeric_value)
		num = sqlite3_value_double(argv[0]);
	int numeric_operand = looks_numeric(operand);
	int empty = !text || !*text;

	if (numeric_operand)
		want = strtod(operand, &end);

	if (!strcmp(op, "?") || ((!strcmp(op, "=") || !strcmp(op, "!=")) && !*operand)) {
		r = !strcmp(op, "=") ? empty : !empty;
	} else if (!strcmp(op, "=") || !strcmp(op, "!=")) {
		int eq = !empty && ((numeric_value && numeric_operand && num == want) ||
				    line_equals(text, operand));
		r = !strcmp(op, "=") ? eq : !eq;
	} else if (!strcmp(op, "~")) {
		r = !empty && contains_nocase(text, strlen(text), operand);
	} else if (!empty && (numeric_operand ? numeric_value : !numeric_value)) {
		int c = numeric_operand ? (num > want) - (num < want) : strcmp(text, operand);
		r = !strcmp(op, "<")	? c < 0
		    : !strcmp(op, "<=") ? c <= 0
		    : !strcmp(op, ">")	? c > 0
					: c >= 0;
	}
	sqlite3_result_int(ctx, r);
}

int store_query_register(struct store *s, struct nv_err *err)
{
	int rc = sqlite3_create_function(db_sqlite_handle(s->db), "nv_prop_value", 1,
					 SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_prop_value,
					 NULL, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_create_function(db_sqlite_handle(s->db), "nv_match", 3,
					     SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_match,
					     NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function(db_sqlite_handle(s->db), "nv_list_text", 1,
					     SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
					     sql_list_text, NULL, NULL);
	return rc == SQLITE_OK ? NV_OK : store_sql_error(s, rc, err, "registering functions");
}

/* ---- filter expressions ------------------------------------------------------- */

/*
 * The task fields a filter or a sort may name, as the JSON of a task names
 * them. Any other name is a Notion property of metadata.notionProperties.
 */
static const struct {
	const char *name;
	const char *column;
	int kind;
} task_fields[] = {
	{"id", "id", 0},
	{"title", "title", 0},
	{"description", "description", 0},
	{"status", "status", 0},
	{"resolution", "resolution", 0},
	{"category", "category", 0},
	{"dueDate", "due_date", 0},
	{"assignee", "assignee", 0},
	{"tags", "tags", 'l'},
	{"scopeId", "scope", 0},
	{"source", "source", 0},
	{"notionStatus", "notion_status", 0},
	{"databaseId", "notion_database_id", 0},
	{"notionPageId", "notion_page_id", 0},
	{"notionUrl", "notion_url", 0},
	{"notionCreatedTime", "notion_created_time", 0},
	{"notionLastEditedTime", "notion_last_edited_time", 0},
	{"deletedAt", "deleted_at", 0},
	{"version", "version", 'n'},
	{"createdAt", "created_at", 0},
	{"updatedAt", "updated_at", 0},
};

static const char *owned_param(struct where *w, char *text)
{
	w->owned[w->n_owned++] = text;
	return text;
}

int where_field_expr(struct where *w, struct buf *sql, const char *a, const char *name, size_t len,
		     int *numeric, struct nv_err *err)
{
	struct buf path = BUF_INIT;

	*numeric = 0;
	for (size_t i = 0; i < sizeof(task_fields) / sizeof(task_fields[0]); i++) {
		if (strlen(task_fields[i].name) != len || strncmp(task_fields[i].name, name, len))
			continue;
		if (task_fields[i].kind == 'l')
			buf_addf(sql, "nv_list_text(%s.%s)", a, task_fields[i].column);
		else
			buf_addf(sql, "%s.%s", a, task_fields[i].column);
		*numeric = task_fields[i].kind == 'n';
		return NV_OK;
	}
	if (!len)
		return nv_err_set(err, NV_EINVAL, "no field name given");
	if (memchr(name, '"', len) || memchr(name, '\\', len))
		return nv_err_set(err, NV_EINVAL,
				  "'%.*s' is no field or Notion property name nvault can look up "
				  "(it contains a quote or a backslash)",
				  (int)len, name);
	/*
	 * A Notion property, by its name in metadata.notionProperties. The
	 * path is an SQL literal (quoted by sql_quote()), not a parameter, so
	 * that the expression can appear more than once in a condition.
	 */
	buf_addf(&path, "$.notionProperties.\"%.*s\"", (int)len, name);
	buf_addf(sql, "nv_prop_value(json_extract(%s.metadata, ", a);
	sql_quote(sql, path.data);
	buf_adds(sql, "))");
	buf_release(&path);
	(void)w;
	return NV_OK;
}

static int is_blank_char(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * Adds one filter expression (docs/cli-tasks.md "Filters"):
 *   NAME=VALUE  NAME!=VALUE  NAME~TEXT  NAME<V  NAME<=V  NAME>V  NAME>=V
 *   NAME?  (has a value)   NAME=  (is empty)
 * NAME is a task field or a Notion property. Text compares without regard
 * to case; a list (tags, multi-select, people) equals VALUE when one of its
 * items does; numbers compare as numbers; dates as ISO text.
 */
static int where_expr(struct where *w, const char *a, const char *expr, struct nv_err *err)
{
	static const char *const ops[] = {"!=", "<=", ">=", "=", "<", ">", "~"};
	const char *p, *op = NULL, *value;
	size_t name_len, op_len = 0;
	struct buf x = BUF_INIT, cond = BUF_INIT;
	int numeric, rc = NV_OK;
	char *operand;

	for (p = expr; *p && !op; p++)
		for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
			if (!strncmp(p, ops[i], strlen(ops[i]))) {
				op = ops[i];
				op_len = strlen(ops[i]);
				break;
			}
	if (!op) {
		size_t n = strlen(expr);
		while (n && is_blank_char(expr[n - 1]))
			n--;
		if (!n || expr[n - 1] != '?')
			return nv_err_set(
				err, NV_EINVAL,
				"filter '%.200s': no operator (use NAME=VALUE, NAME!=VALUE, "
				"NAME~TEXT, NAME<VALUE, NAME<=VALUE, NAME>VALUE, "
				"NAME>=VALUE, NAME? or NAME=)",
				expr);
		op = "?";
		op_len = 0;
		p = expr + n; /* one past the '?' */
		name_len = n - 1;
		value = "";
	} else {
		p--; /* at the operator */
		name_len = (size_t)(p - expr);
		value = p + op_len;
	}
	while (name_len && is_blank_char(expr[name_len - 1]))
		name_len--;
	while (name_len && is_blank_char(*expr)) {
		expr++;
		name_len--;
	}
	while (is_blank_char(*value))
		value++;
	operand = xstrdup(value);
	for (size_t n = strlen(operand); n && is_blank_char(operand[n - 1]); n--)
		operand[n - 1] = '\0';
	if (!name_len) {
		free(operand);
		return nv_err_set(err, NV_EINVAL, "filter '%.200s': no field name before '%s'",
				  expr, op);
	}
	if (w->n + 4 >= WHERE_MAX_PARAMS) {
		free(operand);
		return nv_err_set(err, NV_EINVAL, "filter '%.200s': too many filters", expr);
	}
	if ((rc = where_field_expr(w, &x, a, expr, name_len, &numeric, err))) {
		nv_err_prefix(err, "filter '%.200s'", expr);
		free(operand);
		goto out;
	}
	owned_param(w, operand);
	if (strcmp(op, "?") && strcmp(op, "=") && strcmp(op, "!=") && strcmp(op, "~") &&
	    !*operand) {
		rc = nv_err_set(err, NV_EINVAL, "filter '%.200s': no value after '%s'", expr, op);
		goto out;
	}
	/* one call per row and filter: the value is computed once (nv_match) */
	buf_addf(&cond, "nv_match(%s, '%s', ?)", x.data, op);
	w->params[w->n++] = operand;
	(void)numeric;
	where_add(w, cond.data, NULL);
out:
	buf_release(&x);
	buf_release(&cond);
	return rc;
}

int where_build(struct where *w, const struct task_filter *f, const char *a, int active,
		const char *lead, unsigned flags, struct nv_err *err)
{
	struct buf cond = BUF_INIT;
	int rc = NV_OK;

	memset(w, 0, sizeof(*w));
	w->lead = lead;
#define COND(fmt, param)                                                                           \
	do {                                                                                       \
		buf_reset(&cond);                                                                  \
		buf_addf(&cond, fmt, a);                                                           \
		where_add(w, cond.data, param);                                                    \
	} while (0)
	if (!f) {
		if (active)
			COND("%s.active = 1", NULL);
		buf_release(&cond);
		return NV_OK;
	}
	if (f->scope)
		COND("%s.scope = ?", f->scope);
	if (f->database_id)
		COND("%s.notion_database_id = ?", norm_id(f->database_id, w->ids[0]));
	if (f->data_source_id)
		COND("%s.notion_data_source_id = ?", norm_id(f->data_source_id, w->ids[1]));
	if (f->status)
		COND("%s.status = ?", f->status);
	if (f->source)
		COND("%s.source = ?", f->source);
	if (active && !f->include_deleted)
		COND("%s.active = 1", NULL);
	if (f->n_where > WHERE_MAX_EXPRS) {
		rc = nv_err_set(err, NV_EINVAL, "%zu filters given; at most %d", f->n_where,
				WHERE_MAX_EXPRS);
		goto out;
	}
	for (size_t i = 0; i < f->n_where; i++)
		if ((rc = where_expr(w, a, f->where[i], err)))
			goto out;
	if (!blank(f->search) && !(flags & WHERE_NO_SEARCH)) {
		if ((rc = store_search_query(f->search, &w->fts, err)))
			goto out;
		if (!w->fts)
			where_add(w, "0", NULL); /* nothing searchable: nothing matches */
		else if (!strcmp(a, "t"))
			where_add(w,
				  "t.seq IN (SELECT rowid FROM task_search WHERE task_search MATCH "
				  "?)",
				  w->fts);
		else /* versions join back to the task's current text */
			where_add(w,
				  "v.task_id IN (SELECT id FROM tasks WHERE seq IN"
				  " (SELECT rowid FROM task_search WHERE task_search MATCH ?))",
				  w->fts);
	}
out:
#undef COND
	buf_release(&cond);
	return rc;
}

void where_release(struct where *w)
{
	buf_release(&w->sql);
	for (int i = 0; i < w->n_owned; i++)
		free(w->owned[i]);
	free(w->fts);
	memset(w, 0, sizeof(*w));
}

int where_bind(struct db_stmt *st, const struct where *w, int first)
{
	for (int i = 0; i < w->n; i++)
		bind_text(st, first++, w->params[i]);
	return first;
}

/* ---- read snapshots ---------------------------------------------------------- */

int read_begin(struct store *s, int *own)
{
	*own = !s->in_tx && db_autocommit(s->db) && db_exec(s->db, "BEGIN") == DB_OK;
	return NV_OK;
}

void read_end(struct store *s, int own)
{
	if (own)
		db_exec(s->db, "COMMIT");
}

/* ---- lists ---------------------------------------------------------------- */

void task_list_release(struct task_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		task_release(&l->items[i]);
		if (l->hits)
			free(l->hits[i].snippet);
	}
	free(l->items);
	free(l->hits);
	free(l->next_cursor);
	memset(l, 0, sizeof(*l));
}

#define LIST_DEFAULT 50
#define LIST_MAX 1000

/* Runs a one-row count query. */
static int count_rows(struct store *s, const char *sql, const struct where *w, int64_t *out,
		      struct nv_err *err)
{
	struct db_stmt *st = NULL;
	int rc;

	if ((rc = store_prepare(s, sql, &st, err)))
		return rc;
	where_bind(st, w, 1);
	rc = db_step(st);
	if (rc == DB_ROW) {
		*out = db_column_int64(st, 0);
		rc = NV_OK;
	} else {
		rc = store_sql_error(s, rc, err, "counting tasks");
	}
	db_finalize(st);
	return rc;
}

/* ---- sorting and cursors ----------------------------------------------------------- */

/*
 * The order of a page: by relevance (a search's default), or by a sort
 * value expr (NULLs last) then the row number, both in one direction, so
 * that (value, row) is a unique key a cursor can continue after.
 */
struct order {
	int relevance;
	int desc;
	int not_null;	 /* expr is never NULL: plain (value, row) order, index-friendly */
	struct buf expr; /* SQL of the sort value over alias t */
	char *name;	 /* the canonical sort key, kept in cursors */
};

static void order_release(struct order *o)
{
	buf_release(&o->expr);
	free(o->name);
}

/*
 * Parses f->sort: KEY[:asc|:desc], KEY = relevance, updated, created,
 * dueDate, or any task field or Notion property (as in filters). Default:
 * relevance with a search, else updated. updated and created default to
 * newest first, everything else to ascending.
 */
static int order_parse(const struct task_filter *f, int search, struct order *o, struct nv_err *err)
{
	const char *key = f && f->sort && !blank(f->sort) ? f->sort
			  : search			  ? "relevance"
							  : "updated";
	const char *colon = strrchr(key, ':');
	size_t len = strlen(key);
	int dir = 0; /* 0 = the key's default, 1 = asc, 2 = desc */
	int numeric;
	struct where scratch;

	memset(o, 0, sizeof(*o));
	if (colon && (!strcmp(colon, ":asc") || !strcmp(colon, ":desc"))) {
		dir = !strcmp(colon, ":asc") ? 1 : 2;
		len = (size_t)(colon - key);
	}
	while (len && is_blank_char(key[len - 1]))
		len--;
	while (len && is_blank_char(*key)) {
		key++;
		len--;
	}
	if (len == 9 && !strncmp(key, "relevance", 9)) {
		if (!search)
			return nv_err_set(err, NV_EINVAL,
					  "sort 'relevance' needs a search (--search / query)");
		if (dir == 1)
			return nv_err_set(err, NV_EINVAL,
					  "sort 'relevance' is best match first; it has no :asc");
		o->relevance = 1;
	} else if ((len == 7 && !strncmp(key, "updated", 7)) ||
		   (len == 9 && !strncmp(key, "updatedAt", 9))) {
		buf_adds(&o->expr, "t.updated_at");
		o->desc = dir != 1;
		o->not_null = 1;
	} else if ((len == 7 && !strncmp(key, "created", 7)) ||
		   (len == 9 && !strncmp(key, "createdAt", 9))) {
		/* rows are numbered in the order they were created */
		buf_adds(&o->expr, "t.seq");
		o->desc = dir != 1;
		o->not_null = 1;
	} else {
		memset(&scratch, 0, sizeof(scratch));
		if (where_field_expr(&scratch, &o->expr, "t", key, len, &numeric, err)) {
			nv_err_prefix(err, "sort '%.200s'", f->sort);
			return NV_EINVAL;
		}
		o->desc = dir == 2;
	}
	o->name = xstrndup(key, len);
	if (!o->relevance) {
		char *named = xstrdup(o->name);
		free(o->name);
		o->name = NULL;
		{
			struct buf b = BUF_INIT;
			buf_addf(&b, "%s:%s", named, o->desc ? "desc" : "asc");
			o->name = buf_detach(&b);
		}
		free(named);
	}
	return NV_OK;
}

/* A cursor: where the page before ended, in the order it was read. */
struct cursor {
	int null;	/* the sort value was NULL */
	json_t *value;	/* the sort value (string or number) */
	int64_t seq;	/* the row */
	int64_t offset; /* relevance order: rows already returned */
};

/* Opaque text of a cursor: "c1" and the hex of a small JSON object. */
static char *cursor_encode(const struct order *o, const struct cursor *c)
{
	json_t *doc =
		o->relevance
			? json_pack("{s:s s:I}", "sort", o->name, "o", (json_int_t)c->offset)
			: json_pack("{s:s s:b s:O s:I}", "sort", o->name, "n", c->null, "k",
				    c->value ? c->value : json_null(), "s", (json_int_t)c->seq);
	char *text = json_dumps(doc, JSON_COMPACT);
	struct buf out = BUF_INIT;

	buf_adds(&out, "c1");
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		buf_addf(&out, "%02x", *p);
	free(text);
	json_decref(doc);
	return buf_detach(&out);
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Reads a cursor made by cursor_encode() for the same order; NV_EINVAL when it is none. */
static int cursor_decode(const char *text, const struct order *o, struct cursor *c,
			 struct nv_err *err)
{
	struct buf raw = BUF_INIT;
	json_t *doc = NULL, *v;
	const char *sort;
	size_t len = strlen(text);
	int rc = NV_OK;

	memset(c, 0, sizeof(*c));
	if (len < 4 || strncmp(text, "c1", 2) || len % 2)
		goto bad;
	for (size_t i = 2; i < len; i += 2) {
		int hi = hex_value(text[i]), lo = hex_value(text[i + 1]);
		if (hi < 0 || lo < 0)
			goto bad;
		buf_addch(&raw, (char)(hi * 16 + lo));
	}
	if (!(doc = json_loads(raw.data, 0, NULL)) ||
	    !(sort = json_string_value(json_object_get(doc, "sort"))))
		goto bad;
	if (strcmp(sort, o->name)) {
		rc = nv_err_set(err, NV_EINVAL,
				"the cursor continues a list sorted by '%s', not by '%s' (give the "
				"same sort, or no cursor)",
				sort, o->name);
		goto out;
	}
	if (o->relevance) {
		if (!json_is_integer(v = json_object_get(doc, "o")) || json_integer_value(v) < 0)
			goto bad;
		c->offset = json_integer_value(v);
	} else {
		v = json_object_get(doc, "k");
		if (!json_is_integer(json_object_get(doc, "s")) ||
		    !json_is_boolean(json_object_get(doc, "n")) ||
		    !(json_is_string(v) || json_is_number(v) || json_is_null(v)))
			goto bad;
		c->seq = json_integer_value(json_object_get(doc, "s"));
		c->null = json_is_true(json_object_get(doc, "n"));
		c->value = json_is_null(v) ? NULL : json_incref(v);
	}
	goto out;
bad:
	rc = nv_err_set(err, NV_EINVAL,
			"cursor '%.40s%s' is not one nvault gave (pass nextCursor back as it is)",
			text, len > 40 ? "..." : "");
out:
	json_decref(doc);
	buf_release(&raw);
	return rc;
}

/* The SQL literal of a cursor value (quoted text, or a number). New string. */
static char *cursor_literal(const json_t *v)
{
	struct buf b = BUF_INIT;

	if (json_is_integer(v)) {
		buf_addf(&b, "%lld", (long long)json_integer_value(v));
	} else if (json_is_real(v)) {
		buf_addf(&b, "%.17g", json_real_value(v));
	} else {
		sql_quote(&b, json_is_string(v) ? json_string_value(v) : "");
	}
	return buf_detach(&b);
}

/* Appends " AND (rows after cursor c in order o)" over alias t (seq: its row number SQL). */
static void cursor_condition(struct buf *sql, const struct order *o, const struct cursor *c,
			     const char *seq)
{
	const char *cmp = o->desc ? "<" : ">";

	if (c->null) {
		/* NULLs come last: only NULLs after a NULL, by row */
		buf_addf(sql, " AND (%s) IS NULL AND %s %s %lld", o->expr.data, seq, cmp,
			 (long long)c->seq);
		return;
	}
	char *lit = cursor_literal(c->value);
	if (o->not_null) {
		/* a row value: SQLite walks the index from the key on */
		buf_addf(sql, " AND (%s, %s) %s (%s, %lld)", o->expr.data, seq, cmp, lit,
			 (long long)c->seq);
		free(lit);
		return;
	}
	buf_addf(sql, " AND ((%s) IS NULL OR (%s) %s %s OR ((%s) = %s AND %s %s %lld))",
		 o->expr.data, o->expr.data, cmp, lit, o->expr.data, lit, seq, cmp,
		 (long long)c->seq);
	free(lit);
}

/* Appends the ORDER BY terms of o (seq: the row number SQL). */
static void order_by(struct buf *sql, const struct order *o, const char *seq)
{
	const char *dir = o->desc ? "DESC" : "ASC";

	if (!o->not_null)
		buf_addf(sql, "(%s) IS NULL, ", o->expr.data);
	buf_addf(sql, "%s %s, %s %s", o->expr.data, dir, seq, dir);
}

/* The cursor after a row whose sort value is column col of st and row number seq. */
static void cursor_from_row(struct db_stmt *st, int col, int64_t seq, struct cursor *c)
{
	memset(c, 0, sizeof(*c));
	c->seq = seq;
	switch (db_column_type(st, col)) {
	case DB_NULL:
		c->null = 1;
		break;
	case DB_INTEGER:
		c->value = json_integer(db_column_int64(st, col));
		break;
	case DB_FLOAT:
		c->value = json_real(db_column_double(st, col));
		break;
	default:
		c->value = json_string((const char *)db_column_text(st, col));
		if (!c->value) /* not UTF-8: the value cannot be a key; restart after the row */
			c->null = 1;
		break;
	}
}

/* ---- lists ---------------------------------------------------------------- */

/* Reads up to limit + 1 rows of a page query; sets has_more and the cursor. */
static int list_plain(struct store *s, const struct task_filter *f, const struct order *o,
		      const struct cursor *after, int64_t limit, int64_t offset,
		      struct task_list *out, struct nv_err *err)
{
	struct where w;
	struct buf sql = BUF_INIT;
	struct db_stmt *st = NULL;
	struct cursor last;
	size_t cap = 0;
	int rc, i;

	memset(&last, 0, sizeof(last));
	if ((rc = where_build(&w, f, "t", 1, " WHERE ", 0, err)))
		goto out;
	if (!after) { /* the first page counts; the next ones need not */
		buf_addf(&sql, "SELECT count(*) FROM tasks t%s", buf_str(&w.sql));
		if ((rc = count_rows(s, sql.data, &w, &out->total, err)))
			goto out;
		buf_reset(&sql);
	} else {
		out->total = -1;
	}
	buf_addf(&sql, "SELECT " TASK_COLS ", t.seq, (%s) FROM tasks t%s", o->expr.data,
		 w.sql.len ? w.sql.data : " WHERE 1");
	if (after)
		cursor_condition(&sql, o, after, "t.seq");
	buf_adds(&sql, " ORDER BY ");
	order_by(&sql, o, "t.seq");
	buf_adds(&sql, " LIMIT ? OFFSET ?");
	if ((rc = store_prepare(s, sql.data, &st, err)))
		goto out;
	i = where_bind(st, &w, 1);
	db_bind_int64(st, i++, limit + 1);
	db_bind_int64(st, i++, after ? 0 : offset);
	while ((rc = db_step(st)) == DB_ROW) {
		if ((int64_t)out->n == limit) {
			out->has_more = 1;
			continue;
		}
		out->items = xgrow(out->items, &cap, out->n + 1, sizeof(*out->items));
		row_to_task(st, 0, &out->items[out->n++]);
		json_decref(last.value);
		cursor_from_row(st, 6 + N_SHARED, db_column_int64(st, 5 + N_SHARED), &last);
	}
	rc = rc == DB_DONE ? NV_OK : store_sql_error(s, rc, err, "listing tasks");
	if (!rc && out->has_more)
		out->next_cursor = cursor_encode(o, &last);
out:
	json_decref(last.value);
	db_finalize(st);
	buf_release(&sql);
	where_release(&w);
	return rc;
}

/* Loads task seq into *t and its snippet for fts into *snippet (new). */
static int load_hit(struct store *s, int64_t seq, const char *fts, struct task *t, char **snippet,
		    struct nv_err *err)
{
	struct db_stmt *st;
	int rc;

	*snippet = NULL;
	task_init(t);
	if (!(st = store_stmt(s, ST_TASK_BY_SEQ, err)))
		return err ? err->code : NV_EIO;
	db_bind_int64(st, 1, seq);
	rc = db_step(st);
	if (rc == DB_ROW)
		row_to_task(st, 0, t);
	stmt_done(st);
	if (rc != DB_ROW)
		return store_sql_error(s, rc, err, "reading a search hit");
	if (!(st = store_stmt(s, ST_SEARCH_SNIPPET, err)))
		return err ? err->code : NV_EIO;
	bind_text(st, 1, fts);
	db_bind_int64(st, 2, seq);
	rc = db_step(st);
	if (rc == DB_ROW)
		*snippet = col_text(st, 0);
	stmt_done(st);
	return rc == DB_ROW || rc == DB_DONE ? NV_OK
					     : store_sql_error(s, rc, err, "making a snippet");
}

/* Are there soft-deleted tasks at all? (From the partial index of them: cheap.) */
static int any_deleted(struct store *s, int *out, struct nv_err *err)
{
	struct db_stmt *st = store_stmt(s, ST_ANY_DELETED, err);
	int rc;

	if (!st)
		return err ? err->code : NV_EIO;
	rc = db_step(st);
	*out = rc == DB_ROW;
	stmt_done(st);
	return rc == DB_ROW || rc == DB_DONE
		       ? NV_OK
		       : store_sql_error(s, rc, err, "looking for deleted tasks");
}

static int list_search(struct store *s, const struct task_filter *f, const struct order *o,
		       const struct cursor *after, int64_t limit, int64_t offset,
		       struct task_list *out, struct nv_err *err)
{
	struct where w;
	struct buf sql = BUF_INIT, from = BUF_INIT;
	struct db_stmt *st = NULL;
	struct {
		int64_t seq;
		double score;
	} *rows = NULL;
	struct cursor last;
	size_t cap = 0, n = 0;
	char *fts = NULL;
	int rc, i, deleted = 0;

	memset(&w, 0, sizeof(w));
	memset(&last, 0, sizeof(last));
	if ((rc = store_search_query(f->search, &fts, err)))
		goto out;
	if (!fts) /* nothing searchable in the text: nothing matches */
		goto out;
	/*
	 * Deleted tasks are few: leaving them out needs no look at the task
	 * rows (large, with their descriptions), only the partial index of
	 * deleted ones. Other filters and sorts join the task rows.
	 */
	if ((rc = where_build(&w, f, "t", 0, " AND ", WHERE_NO_SEARCH, err)))
		goto out;
	if (w.sql.len || !o->relevance)
		buf_adds(&from, " JOIN tasks t ON t.seq = task_search.rowid");
	buf_adds(&from, " WHERE task_search MATCH ?");
	if (!f->include_deleted && (rc = any_deleted(s, &deleted, err)))
		goto out;
	if (deleted)
		buf_adds(&from, " AND task_search.rowid NOT IN"
				" (SELECT seq FROM tasks WHERE active = 0)");
	/* every matching row is ranked once, and counted as it is: no second pass */
	buf_addf(&sql,
		 "SELECT task_search.rowid, " SEARCH_RANK " AS score, %s FROM task_search%s%s",
		 o->relevance ? "NULL" : o->expr.data, from.data, buf_str(&w.sql));
	if (after && !o->relevance)
		cursor_condition(&sql, o, after, "task_search.rowid");
	if (o->relevance) {
		buf_adds(&sql, " ORDER BY score, task_search.rowid");
	} else {
		buf_adds(&sql, " ORDER BY ");
		order_by(&sql, o, "task_search.rowid");
	}
	buf_adds(&sql, " LIMIT ? OFFSET ?");
	if ((rc = store_prepare(s, sql.data, &st, err)))
		goto out;
	db_bind_pointer(st, 1, &out->total, RANK_COUNTER);
	bind_text(st, 2, fts);
	i = where_bind(st, &w, 3);
	/* a relevance cursor is positional: scores move as the index changes */
	if (after && o->relevance)
		offset = after->offset;
	else if (after)
		offset = 0;
	db_bind_int64(st, i++, limit + 1);
	db_bind_int64(st, i++, offset);
	while ((rc = db_step(st)) == DB_ROW) {
		if ((int64_t)n == limit) {
			out->has_more = 1;
			continue;
		}
		rows = xgrow(rows, &cap, n + 1, sizeof(*rows));
		rows[n].seq = db_column_int64(st, 0);
		rows[n++].score = db_column_double(st, 1);
		json_decref(last.value);
		cursor_from_row(st, 2, rows[n - 1].seq, &last);
	}
	db_finalize(st);
	st = NULL;
	if (rc != DB_DONE) {
		rc = store_sql_error(s, rc, err, "searching tasks");
		goto out;
	}
	rc = NV_OK;
	if (after && !o->relevance)
		out->total = -1; /* counted past the cursor only */
	if (out->has_more) {
		last.offset = offset + (int64_t)n;
		out->next_cursor = cursor_encode(o, &last);
	}
	out->items = xcalloc(n ? n : 1, sizeof(*out->items));
	out->hits = xcalloc(n ? n : 1, sizeof(*out->hits));
	for (size_t k = 0; k < n; k++) {
		if ((rc = load_hit(s, rows[k].seq, fts, &out->items[k], &out->hits[k].snippet,
				   err)))
			goto out;
		out->hits[k].score = -rows[k].score; /* nv_rank is lower for better matches */
		out->n++;
	}
out:
	json_decref(last.value);
	db_finalize(st);
	buf_release(&sql);
	buf_release(&from);
	where_release(&w);
	free(fts);
	free(rows);
	return rc;
}

int store_task_list(struct store *s, const struct task_filter *f, struct task_list *out,
		    struct nv_err *err)
{
	int64_t limit = f && f->limit > 0 ? f->limit : LIST_DEFAULT;
	int64_t offset = f && f->offset > 0 ? f->offset : 0;
	int search = f && !blank(f->search);
	struct order o;
	struct cursor after;
	int own, rc;

	memset(out, 0, sizeof(*out));
	memset(&after, 0, sizeof(after));
	if (limit > LIST_MAX)
		limit = LIST_MAX;
	if ((rc = order_parse(f, search, &o, err)))
		goto out;
	if (f && f->cursor && *f->cursor && (rc = cursor_decode(f->cursor, &o, &after, err)))
		goto out;
	/* one snapshot, so that the count matches the rows */
	read_begin(s, &own);
	if (search)
		rc = list_search(s, f, &o, f->cursor && *f->cursor ? &after : NULL, limit, offset,
				 out, err);
	else
		rc = list_plain(s, f, &o, f && f->cursor && *f->cursor ? &after : NULL, limit,
				offset, out, err);
	read_end(s, own);
	if (!rc && out->has_more && !(f && f->cursor && *f->cursor))
		out->next_offset = offset + (int64_t)out->n;
out:
	json_decref(after.value);
	order_release(&o);
	if (rc)
		task_list_release(out);
	return rc;
}
