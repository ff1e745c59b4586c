/*
 * app_task.c: the task use cases (see app.h): local edits with their
 * validation (add, update, delete), reads (get, history, one version) and
 * queries (list and search, as_of, diff) with their filters and paging.
 * Both the CLI and the MCP tools call these; neither validates a field
 * itself.
 */
#include "app/app.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/id.h"
#include "util/timeutil.h"
#include "util/utf8.h"
#include "util/xalloc.h"

const char *const app_field_names[APP_F_COUNT] = {
	[APP_F_TITLE] = "title",       [APP_F_DESCRIPTION] = "description",
	[APP_F_STATUS] = "status",     [APP_F_RESOLUTION] = "resolution",
	[APP_F_CATEGORY] = "category", [APP_F_DUE_DATE] = "dueDate",
	[APP_F_ASSIGNEE] = "assignee", [APP_F_SCOPE] = "scopeId",
	[APP_F_TAGS] = "tags",	       [APP_F_METADATA] = "metadata",
};

const char *app_field_label(app_namer nm, const char *field)
{
	static __thread char quoted[4][64]; /* a message may name several fields */
	static __thread unsigned next;
	const char *l = nm ? nm(field) : NULL;
	char *q;

	if (l)
		return l;
	q = quoted[next++ % 4];
	snprintf(q, sizeof(quoted[0]), "'%s'", field);
	return q;
}

const char *app_outcome_name(enum app_outcome o)
{
	static const char *const names[] = {
		[APP_UNCHANGED] = "unchanged",
		[APP_CREATED] = "created",
		[APP_UPDATED] = "updated",
		[APP_DELETED] = "deleted",
	};
	return names[o];
}

static enum app_outcome from_put(enum put_outcome o)
{
	return o == PUT_CREATED ? APP_CREATED : o == PUT_UPDATED ? APP_UPDATED : APP_UNCHANGED;
}

int app_task_edit_any(const struct app_task_edit *e)
{
	for (int f = 0; f < APP_F_COUNT; f++)
		if (e->set[f])
			return 1;
	return 0;
}

/* The status list for messages. */
static void status_choices(struct buf *b)
{
	for (int i = 0; i < task_status_count; i++)
		buf_addf(b, "%s%s", i ? ", " : "", task_status_names[i]);
}

/* The canonical status of value, or NV_EINVAL naming the field. */
static int check_status(app_namer nm, const char *value, const char **out, struct nv_err *err)
{
	struct buf b = BUF_INIT;

	if ((*out = task_status_parse(value)))
		return 0;
	status_choices(&b);
	nv_err_set(err, NV_EINVAL, "%s: unknown status '%.60s' (expected one of: %s)",
		   app_field_label(nm, "status"), value, b.data);
	buf_release(&b);
	return NV_EINVAL;
}

static int check_time(app_namer nm, const char *field, const char *value, char *iso,
		      struct nv_err *err)
{
	int64_t ms;

	if (!value || time_parse_iso(value, &ms))
		return nv_err_set(err, NV_EINVAL,
				  "%s must be an ISO 8601 time such as 2026-01-31 or "
				  "2026-01-31T09:00:00Z (got '%.60s')",
				  app_field_label(nm, field), value ? value : "");
	if (iso)
		time_format_iso(ms, iso);
	return 0;
}

/* NV_EINVAL naming the field when text is not valid UTF-8 (issue 15 #9). */
static int check_utf8(app_namer nm, const char *field, const char *text, size_t len,
		      struct nv_err *err)
{
	size_t at = utf8_invalid_at(text, len);

	if (at == UTF8_VALID)
		return 0;
	return nv_err_set(err, NV_EINVAL,
			  "%s is not valid UTF-8 (byte 0x%02x at offset %zu); nothing was written",
			  app_field_label(nm, field), (unsigned char)text[at], at);
}

int app_task_apply(const struct app_task_edit *e, struct task *t, struct nv_err *err)
{
	const char *canon;
	int64_t ms;
	size_t i;
	json_t *v;

	for (int f = 0; f < APP_F_COUNT; f++)
		if (e->set[f] && e->text[f] &&
		    check_utf8(e->name, app_field_names[f], e->text[f], strlen(e->text[f]), err))
			return NV_EINVAL;
	if (e->set[APP_F_TAGS] && json_is_array(e->tags)) {
		json_array_foreach(e->tags, i, v)
		{
			if (json_is_string(v) && check_utf8(e->name, "tags", json_string_value(v),
							    json_string_length(v), err))
				return NV_EINVAL;
		}
	}

	if (e->set[APP_F_TITLE] && (!e->text[APP_F_TITLE] || !*e->text[APP_F_TITLE]))
		return nv_err_set(err, NV_EINVAL, "%s must not be empty",
				  app_field_label(e->name, "title"));
	if (e->set[APP_F_STATUS] && e->text[APP_F_STATUS]) {
		if (check_status(e->name, e->text[APP_F_STATUS], &canon, err))
			return NV_EINVAL;
		free(t->status);
		t->status = xstrdup(canon);
	}
	if (e->set[APP_F_DUE_DATE] && e->text[APP_F_DUE_DATE] &&
	    time_parse_iso(e->text[APP_F_DUE_DATE], &ms))
		return nv_err_set(err, NV_EINVAL,
				  "%s must be an ISO 8601 date or date-time (got '%.60s')",
				  app_field_label(e->name, "dueDate"), e->text[APP_F_DUE_DATE]);
	if (e->set[APP_F_TAGS] && e->tags) {
		if (!json_is_array(e->tags))
			return nv_err_set(err, NV_EINVAL, "%s must be an array of strings",
					  app_field_label(e->name, "tags"));
		json_array_foreach(e->tags, i, v) if (!json_is_string(v)) return nv_err_set(
			err, NV_EINVAL, "%s must be an array of strings: item %zu is not a string",
			app_field_label(e->name, "tags"), i);
	}
	if (e->set[APP_F_METADATA] && e->metadata && !json_is_object(e->metadata))
		return nv_err_set(err, NV_EINVAL, "%s must be a JSON object, like {\"key\": 1}",
				  app_field_label(e->name, "metadata"));
	/* the text fields but status (set canonical above), where task_members puts them */
	for (int f = 0; f < APP_F_COUNT; f++) {
		const struct task_member *m = task_member_find(app_field_names[f]);
		char **field;
		if (!e->set[f] || f == APP_F_STATUS || !m || m->kind != TASK_TEXT)
			continue;
		field = (char **)((char *)t + m->offset);
		free(*field);
		*field = e->text[f] ? xstrdup(e->text[f]) : NULL;
	}
	if (e->set[APP_F_TAGS]) {
		json_decref(t->tags);
		t->tags = e->tags && json_array_size(e->tags) ? json_deep_copy(e->tags) : NULL;
	}
	if (e->set[APP_F_METADATA]) {
		json_decref(t->metadata);
		t->metadata = e->metadata ? json_deep_copy(e->metadata) : NULL;
	}
	return 0;
}

/* Writes t as a new version by who (reason dflt unless who gives one). */
static int put(struct store *s, struct task *t, const struct app_author *who, const char *dflt,
	       enum app_outcome *outcome, struct nv_err *err)
{
	struct version_info vi = {.created_by = who->created_by,
				  .change_reason =
					  who->reason && *who->reason ? who->reason : dflt};
	enum put_outcome po;
	int rc;

	if ((rc = store_task_put(s, t, &vi, &po, err)))
		return rc;
	*outcome = from_put(po);
	return 0;
}

int app_task_add(struct store *s, const struct app_task_edit *e, const struct app_author *who,
		 struct task *out, enum app_outcome *outcome, struct nv_err *err)
{
	int rc;

	task_init(out);
	*outcome = APP_UNCHANGED;
	if (!e->set[APP_F_TITLE])
		return nv_err_set(err, NV_EINVAL, "%s is required",
				  app_field_label(e->name, "title"));
	out->source = xstrdup("local");
	out->status = xstrdup("open");
	out->active = 1;
	if ((rc = app_task_apply(e, out, err)))
		return rc;
	return put(s, out, who, "created", outcome, err);
}

int app_task_get(struct store *s, const char *id, struct task *out, struct nv_err *err)
{
	task_init(out);
	if (!id || !*id)
		return nv_err_set(err, NV_EINVAL, "a task id is required");
	return store_task_get(s, id, out, err);
}

int app_task_update(struct store *s, const char *id, const struct app_task_edit *e,
		    const struct app_author *who, struct task *out, enum app_outcome *outcome,
		    struct nv_err *err)
{
	int rc;

	*outcome = APP_UNCHANGED;
	if (!app_task_edit_any(e)) {
		task_init(out);
		return nv_err_set(err, NV_EINVAL,
				  "nothing to change: give at least one field (title, "
				  "description, status, resolution, category, dueDate, assignee, "
				  "tags, metadata)");
	}
	if ((rc = app_task_get(s, id, out, err)) || (rc = app_task_apply(e, out, err)))
		return rc;
	return put(s, out, who, "local edit", outcome, err);
}

int app_task_delete(struct store *s, const char *id, const struct app_author *who, struct task *out,
		    enum app_outcome *outcome, struct nv_err *err)
{
	char now[TIME_ISO_MAX];
	int rc;

	*outcome = APP_UNCHANGED;
	if ((rc = app_task_get(s, id, out, err)))
		return rc;
	if (out->active) {
		out->active = 0;
		free(out->deleted_at);
		out->deleted_at = xstrdup(time_format_iso(time_now_ms(), now));
	}
	if ((rc = put(s, out, who, "deleted", outcome, err)))
		return rc;
	if (*outcome == APP_UPDATED)
		*outcome = APP_DELETED;
	return 0;
}

int app_task_history(struct store *s, const char *id, struct task *task,
		     struct task_version **versions, size_t *n, struct nv_err *err)
{
	int rc;

	*versions = NULL;
	*n = 0;
	if ((rc = app_task_get(s, id, task, err)))
		return rc;
	return store_task_history(s, task->id, versions, n, err);
}

static int page_cursor_read(struct app_query *q, const char *kind, struct nv_err *err);

int app_history_page(struct app_query *q, int64_t n_versions, struct nv_err *err)
{
	int rc;

	if (q->cursor && !strncmp(q->cursor, "c1", 2)) {
		if ((rc = page_cursor_read(q, "history", err)))
			return rc;
		q->cursor = NULL;
	}
	if ((rc = app_query_check(q, err)))
		return rc;
	if (q->offset > n_versions)
		q->offset = n_versions; /* past the end: an empty page */
	return NV_OK;
}

int app_task_version(struct store *s, const char *id, int64_t num, struct task *task,
		     struct task_version *out, struct nv_err *err)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = app_task_get(s, id, task, err)))
		return rc;
	rc = store_task_version(s, task->id, num, out, err);
	if (rc == NV_ENOTFOUND)
		nv_err_set(err, NV_ENOTFOUND,
			   "task %s has no version %" PRId64 " (it has %" PRId64 ")", task->id, num,
			   task->version);
	return rc;
}

/* ---- queries ----------------------------------------------------------- */

/* NV_EINVAL naming the query field when text is not valid UTF-8 (fuzz_cli found --sort). */
static int check_query_utf8(app_namer nm, const char *field, const char *text, struct nv_err *err)
{
	size_t at = text ? utf8_invalid_at(text, strlen(text)) : UTF8_VALID;

	if (at == UTF8_VALID)
		return 0;
	return nv_err_set(err, NV_EINVAL, "%s is not valid UTF-8 (byte 0x%02x at offset %zu)",
			  app_field_label(nm, field), (unsigned char)text[at], at);
}

int app_query_check(struct app_query *q, struct nv_err *err)
{
	struct task_filter *f = &q->filter;

	memset(f, 0, sizeof(*f));
	if (check_query_utf8(q->name, "scope", q->scope, err) ||
	    check_query_utf8(q->name, "search", q->search, err) ||
	    check_query_utf8(q->name, "sort", q->sort, err) ||
	    check_query_utf8(q->name, "cursor", q->cursor, err))
		return NV_EINVAL;
	for (size_t i = 0; i < q->n_where; i++)
		if (check_query_utf8(q->name, "where", q->where[i], err))
			return NV_EINVAL;
	f->scope = q->scope;
	f->search = q->search;
	f->where = q->where;
	f->n_where = q->n_where;
	f->sort = q->sort;
	f->row_cursors = q->row_cursors;
	f->include_deleted = q->include_deleted;
	if (q->status && check_status(q->name, q->status, &f->status, err))
		return NV_EINVAL;
	if (q->database_id) {
		if (id_normalize(q->database_id, q->db))
			return nv_err_set(err, NV_EINVAL,
					  "%s is not a Notion id (32 hex digits): '%.60s'",
					  app_field_label(q->name, "databaseId"), q->database_id);
		f->database_id = q->db;
	}
	if (q->limit < 0 || q->offset < 0)
		return nv_err_set(err, NV_EINVAL, "%s and %s must not be negative",
				  app_field_label(q->name, "limit"),
				  app_field_label(q->name, "offset"));
	if (q->cursor && !strncmp(q->cursor, "c1", 2)) {
		/* a store keyset cursor (list/search): the store reads it */
		f->cursor = q->cursor;
	} else if (q->cursor) {
		char *end;
		long long off;
		errno = 0;
		off = q->cursor[0] == 'o' ? strtoll(q->cursor + 1, &end, 10) : -1;
		if (errno || off < 0 || q->cursor[0] != 'o' || *end)
			return nv_err_set(err, NV_EINVAL,
					  "%s is not a cursor this server gave out: '%.60s' (pass "
					  "back nextCursor unchanged)",
					  app_field_label(q->name, "cursor"), q->cursor);
		q->offset = off;
	}
	f->limit = q->limit;
	f->offset = q->offset;
	if (q->at && check_time(q->name, "time", q->at, q->at_iso, err))
		return NV_EINVAL;
	if (q->since && check_time(q->name, "since", q->since, q->since_iso, err))
		return NV_EINVAL;
	if (q->until && check_time(q->name, "until", q->until, q->until_iso, err))
		return NV_EINVAL;
	if (q->since && q->until && strcmp(q->until_iso, q->since_iso) < 0)
		return nv_err_set(err, NV_EINVAL, "%s (%s) is before %s (%s)",
				  app_field_label(q->name, "until"), q->until,
				  app_field_label(q->name, "since"), q->since);
	return 0;
}

void app_cursor(const struct app_query *q, int64_t consumed, char out[APP_CURSOR_MAX])
{
	snprintf(out, APP_CURSOR_MAX, "o%" PRId64, q->offset + consumed);
}

int app_task_list(struct store *s, struct app_query *q, struct task_list *out, struct nv_err *err)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = app_query_check(q, err)))
		return rc;
	return store_task_list(s, &q->filter, out, err);
}

char *app_list_cursor(const struct app_query *q, const struct task_list *l, size_t consumed)
{
	char pos[APP_CURSOR_MAX];

	if (consumed >= l->n)
		return l->has_more && l->next_cursor ? xstrdup(l->next_cursor) : NULL;
	if (consumed && l->cursors)
		return xstrdup(l->cursors[consumed - 1]); /* the key of the last row taken */
	if (!consumed && q->cursor)
		return xstrdup(q->cursor); /* nothing taken: where this page began */
	/* a page by offset whose rows' keys were not kept */
	app_cursor(q, (int64_t)consumed, pos);
	return xstrdup(pos);
}

/* A page window over a streamed result. */
struct pager {
	int64_t seen, offset, limit;
	store_version_cb vcb;
	store_diff_cb dcb;
	void *ud;
};

static int in_page(struct pager *p)
{
	int64_t at = p->seen++;
	return at >= p->offset && (!p->limit || at < p->offset + p->limit);
}

static int page_version(void *ud, const struct task_version *v)
{
	struct pager *p = ud;
	return in_page(p) ? p->vcb(p->ud, v) : 0;
}

static int page_diff(void *ud, const struct diff_entry *e)
{
	struct pager *p = ud;
	return in_page(p) ? p->dcb(p->ud, e) : 0;
}

/* ---- position cursors (as_of, diff) ---- */

/* "c1" and the hex of doc's compact JSON (the store's cursor shape). New string. */
static char *cursor_text(json_t *doc)
{
	struct buf out = BUF_INIT;
	char *text = json_dumps(doc, JSON_COMPACT);

	buf_adds(&out, "c1");
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		buf_addf(&out, "%02x", *p);
	free(text);
	json_decref(doc);
	return buf_detach(&out);
}

char *app_page_cursor(const struct app_query *q, const char *kind, int64_t n)
{
	json_t *doc = json_pack("{s:s s:I}", "sort", kind, "o", (json_int_t)(q->offset + n));

	if (!strcmp(kind, "diff"))
		json_object_set_new(doc, "u", json_string(q->until ? q->until_iso : q->until_pin));
	return cursor_text(doc);
}

char *app_schema_cursor(int64_t seq)
{
	return cursor_text(json_pack("{s:s s:I}", "sort", "schema", "o", (json_int_t)seq));
}

static int hex_digit(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Reads q->cursor of kind into q->offset (and q->until_pin for diff). */
static int page_cursor_read(struct app_query *q, const char *kind, struct nv_err *err)
{
	struct buf raw = BUF_INIT;
	json_t *doc = NULL, *o, *u;
	size_t len = strlen(q->cursor);
	int rc = NV_EINVAL;

	if (len < 4 || strncmp(q->cursor, "c1", 2) || len % 2)
		goto out;
	for (size_t i = 2; i < len; i += 2) {
		int hi = hex_digit(q->cursor[i]), lo = hex_digit(q->cursor[i + 1]);
		if (hi < 0 || lo < 0)
			goto out;
		buf_addch(&raw, (char)(hi * 16 + lo));
	}
	if (!(doc = json_loads(raw.data, 0, NULL)) ||
	    strcmp(json_string_value(json_object_get(doc, "sort")) ?: "", kind) ||
	    !json_is_integer(o = json_object_get(doc, "o")) || json_integer_value(o) < 0)
		goto out;
	q->offset = json_integer_value(o);
	u = json_object_get(doc, "u");
	if (!strcmp(kind, "diff") &&
	    (!json_is_string(u) || strlen(json_string_value(u)) >= TIME_ISO_MAX))
		goto out;
	if (json_is_string(u))
		snprintf(q->until_pin, sizeof(q->until_pin), "%s", json_string_value(u));
	rc = NV_OK;
out:
	if (rc)
		nv_err_set(err, NV_EINVAL, "%s '%.40s%s' is not a cursor this %s gave",
			   app_field_label(q->name, "cursor"), q->cursor, len > 40 ? "..." : "",
			   kind);
	json_decref(doc);
	buf_release(&raw);
	return rc;
}

int app_task_as_of(struct store *s, struct app_query *q, store_version_cb cb, void *ud,
		   int64_t *total, struct nv_err *err)
{
	struct pager p = {.offset = q->offset, .limit = q->limit, .vcb = cb, .ud = ud};
	int rc;

	*total = 0;
	if (!q->at)
		return nv_err_set(err, NV_EINVAL, "%s is required",
				  app_field_label(q->name, "time"));
	if (q->cursor && !strncmp(q->cursor, "c1", 2)) {
		if ((rc = page_cursor_read(q, "as_of", err)))
			return rc;
		q->cursor = NULL;
	}
	if ((rc = app_query_check(q, err)))
		return rc;
	p.offset = q->offset;
	rc = store_task_as_of(s, q->at_iso, &q->filter, page_version, &p, err);
	*total = p.seen;
	return rc;
}

int app_task_diff(struct store *s, struct app_query *q, store_diff_cb cb, void *ud, int64_t *total,
		  struct nv_err *err)
{
	struct pager p = {.offset = q->offset, .limit = q->limit, .dcb = cb, .ud = ud};
	int rc;

	*total = 0;
	if (!q->since)
		return nv_err_set(err, NV_EINVAL, "%s is required",
				  app_field_label(q->name, "since"));
	if (q->cursor && !strncmp(q->cursor, "c1", 2)) {
		if ((rc = page_cursor_read(q, "diff", err)))
			return rc;
		q->cursor = NULL;
	}
	if ((rc = app_query_check(q, err)))
		return rc;
	p.offset = q->offset;
	/* the window ends now, fixed for the pages after this one */
	if (!q->until && !q->until_pin[0])
		time_format_iso(time_now_ms(), q->until_pin);
	rc = store_diff(s, q->since_iso, q->until ? q->until_iso : q->until_pin, &q->filter,
			page_diff, &p, err);
	*total = p.seen;
	return rc;
}

json_t *app_changed_fields(const struct task_version *a, const struct task_version *b)
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

/* ---- schema history ------------------------------------------------------ */

int app_schema_history(struct store *s, struct app_query *q, struct schema_event **events,
		       size_t *n, int64_t *total, int *more, struct nv_err *err)
{
	struct schema_event *all = NULL;
	size_t count = 0, first = 0, take;
	int64_t limit, after = 0;
	int rc;

	*events = NULL;
	*n = 0;
	*total = 0;
	*more = 0;
	if (q->cursor) {
		if ((rc = page_cursor_read(q, "schema", err)))
			return rc;
		after = q->offset; /* the seq of the last event returned */
		q->offset = 0;
		q->cursor = NULL;
	}
	if ((rc = app_query_check(q, err)))
		return rc;
	limit = q->limit ? q->limit : 200;
	if ((rc = store_schema_events(s, NULL, q->database_id ? q->db : NULL, 0, &all, &count,
				      err)))
		return rc;
	/* the page after the cursor's event, or after q->offset events */
	while (first < count && (after ? all[first].seq <= after : (int64_t)first < q->offset))
		first++;
	take = count - first < (size_t)limit ? count - first : (size_t)limit;
	*total = (int64_t)count;
	*more = first + take < count;
	if (take) {
		*events = xcalloc(take, sizeof(**events));
		memcpy(*events, all + first, take * sizeof(**events));
		/* the events moved out are owned by *events now */
		for (size_t i = first; i < first + take; i++)
			schema_event_init(&all[i]);
	}
	*n = take;
	schema_events_free(all, count);
	return NV_OK;
}
