/*
 * fake_query.c: POST .../query and GET /v1/pages/{id}/properties/{prop}.
 *
 * A query validates its body as Notion does (page_size ≤ 100, no
 * filter_properties in the body, no empty filter), compiles the timestamp
 * filter (created_time / last_edited_time with equals, before, after,
 * on_or_before, on_or_after, is_empty, is_not_empty, nested in and/or),
 * then scans the data source once per result page, keeping the best
 * page_size + 1 rows in sort order after the cursor's position (keyset
 * pagination: no per-query state in the server). Row timestamps are
 * minute-rounded, the filter value is compared to the millisecond.
 *
 * Cursors are opaque: 24 bytes as hex — rows delivered so far (for the
 * results cap), the last row's index and sort keys, and a keyed checksum
 * that binds the cursor to its query, so a cursor that was altered or that
 * belongs to another query is "invalid" like Notion's.
 */
#include "fake.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/timeutil.h"
#include "util/xalloc.h"

#define MAX_SORTS 4
#define MAX_PAGE 100

/* ---- replies ---- */

void reply_text(struct http_reply *reply, int status, char *json_text)
{
	reply->status = status;
	free(reply->body);
	reply->body = json_text;
	reply->content_type = "application/json; charset=utf-8";
}

void reply_json(struct http_reply *reply, int status, json_t *j)
{
	if (json_is_object(j) && !json_object_get(j, "request_id")) {
		char rid[FAKE_ID_LEN + 1];

		make_request_id(rid);
		json_object_set_new(j, "request_id", json_string(rid));
	}
	reply_text(reply, status, json_dumps(j, JSON_COMPACT));
	json_decref(j);
}

void reply_error(struct http_reply *reply, int status, const char *code, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	reply_json(reply, status,
		   json_pack("{s:s,s:i,s:s,s:s}", "object", "error", "status", status, "code", code,
			     "message", buf_str(&msg)));
	buf_release(&msg);
}

static void validation(struct http_reply *reply, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void validation(struct http_reply *reply, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	reply_error(reply, 400, "validation_error", "%s", buf_str(&msg));
	buf_release(&msg);
}

/* ---- filters ---- */

enum ts_field { TS_CREATED, TS_EDITED };
enum ts_op { OP_EQ, OP_BEFORE, OP_AFTER, OP_ON_OR_BEFORE, OP_ON_OR_AFTER, OP_EMPTY, OP_NOT_EMPTY };

static const struct {
	const char *name;
	enum ts_op op;
	int takes_date;
} ops[] = {
	{"equals", OP_EQ, 1},
	{"before", OP_BEFORE, 1},
	{"after", OP_AFTER, 1},
	{"on_or_before", OP_ON_OR_BEFORE, 1},
	{"on_or_after", OP_ON_OR_AFTER, 1},
	{"is_empty", OP_EMPTY, 0},
	{"is_not_empty", OP_NOT_EMPTY, 0},
};

struct filter {
	int kind; /* 0 leaf, 1 and, 2 or */
	enum ts_field field;
	enum ts_op op;
	int64_t lo, hi; /* leaf: the instant, or for date-only values [day, next day) */
	int date_only;
	struct filter *kids;
	size_t n_kids;
};

static void filter_release(struct filter *f)
{
	for (size_t i = 0; i < f->n_kids; i++)
		filter_release(&f->kids[i]);
	free(f->kids);
}

static int ts_field_of(const struct fake_source *src, json_t *jf, enum ts_field *field,
		       const char **key)
{
	const char *ts = json_string_value(json_object_get(jf, "timestamp"));
	const char *prop = json_string_value(json_object_get(jf, "property"));

	if (prop) {
		const struct fake_prop *p = data_prop_by_name(src, prop);
		if (!p)
			p = data_prop_by_id(src, prop);
		if (!p)
			return -1;
		ts = prop_type_name(p->type);
	}
	if (!ts)
		return -1;
	if (!strcmp(ts, "created_time"))
		*field = TS_CREATED;
	else if (!strcmp(ts, "last_edited_time"))
		*field = TS_EDITED;
	else
		return -2;
	*key = ts;
	return 0;
}

static int filter_compile(const struct fake_source *src, json_t *jf, const char *where, int depth,
			  struct filter *f, struct buf *err)
{
	json_t *group, *cond;
	const char *key = NULL;
	int rc;

	memset(f, 0, sizeof(*f));
	if (!json_is_object(jf) || !json_object_size(jf)) {
		buf_addf(err, "body failed validation: %s should be a non-empty filter object",
			 where);
		return -1;
	}
	if ((group = json_object_get(jf, "and")) || (group = json_object_get(jf, "or"))) {
		size_t i;
		json_t *kid;

		f->kind = json_object_get(jf, "and") ? 1 : 2;
		if (!json_is_array(group) || depth > 2) {
			buf_addf(err,
				 "body failed validation: %s.%s should be an array of filters "
				 "(nested at most two levels)",
				 where, f->kind == 1 ? "and" : "or");
			return -1;
		}
		f->kids = xcalloc(json_array_size(group) + 1, sizeof(*f->kids));
		json_array_foreach(group, i, kid)
		{
			char sub[256];

			/* checked so that a Release build's -Wformat-truncation stays quiet */
			if (snprintf(sub, sizeof(sub), "%s.%s[%zu]", where,
				     f->kind == 1 ? "and" : "or", i) >= (int)sizeof(sub)) {
				buf_addf(err,
					 "body failed validation: filter nested too deep at %s",
					 where);
				return -1;
			}
			f->n_kids = i + 1;
			if (filter_compile(src, kid, sub, depth + 1, &f->kids[i], err) < 0)
				return -1;
		}
		return 0;
	}
	rc = ts_field_of(src, jf, &f->field, &key);
	if (rc == -2 || (rc == -1 && json_object_get(jf, "property"))) {
		buf_addf(err,
			 "fake-notion supports only created_time and last_edited_time "
			 "filters (at %s)",
			 where);
		return -1;
	}
	if (rc < 0) {
		buf_addf(err,
			 "body failed validation: %s should have \"timestamp\" or \"property\", "
			 "or be an \"and\"/\"or\" group",
			 where);
		return -1;
	}
	cond = json_object_get(jf, key);
	if (!json_is_object(cond) || json_object_size(cond) != 1) {
		buf_addf(err,
			 "body failed validation: %s.%s should be an object with one condition",
			 where, key);
		return -1;
	}
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		json_t *v = json_object_get(cond, ops[i].name);
		const char *s;

		if (!v)
			continue;
		f->op = ops[i].op;
		if (!ops[i].takes_date)
			return 0;
		s = json_string_value(v);
		if (!s || time_parse_iso(s, &f->lo) < 0) {
			buf_addf(err,
				 "body failed validation: %s.%s.%s should be an ISO 8601 date, "
				 "instead was `%s`.",
				 where, key, ops[i].name, s ? s : "(not a string)");
			return -1;
		}
		f->date_only = strlen(s) == 10;
		f->hi = f->date_only ? f->lo + 86400000 : f->lo + 1;
		return 0;
	}
	buf_addf(err,
		 "body failed validation: %s.%s: unsupported condition (fake-notion knows "
		 "equals, before, after, on_or_before, on_or_after, is_empty, is_not_empty)",
		 where, key);
	return -1;
}

/* Instants compare to the millisecond; date-only values cover their UTC day. */
static int filter_match(const struct filter *f, const struct fake_row *row)
{
	int64_t t;

	if (f->kind) {
		for (size_t i = 0; i < f->n_kids; i++) {
			int m = filter_match(&f->kids[i], row);
			if (f->kind == 1 && !m)
				return 0;
			if (f->kind == 2 && m)
				return 1;
		}
		return f->kind == 1;
	}
	t = f->field == TS_CREATED ? row->created_ms : row->edited_ms;
	switch (f->op) {
	case OP_EQ:
		return t >= f->lo && t < f->hi;
	case OP_BEFORE:
		return t < f->lo;
	case OP_AFTER:
		return t >= f->hi;
	case OP_ON_OR_BEFORE:
		return t < f->hi;
	case OP_ON_OR_AFTER:
		return t >= f->lo;
	case OP_EMPTY:
		return 0;
	case OP_NOT_EMPTY:
		return 1;
	}
	return 0;
}

/* ---- sorting ---- */

struct sort_spec {
	enum ts_field field[MAX_SORTS];
	int desc[MAX_SORTS];
	size_t n;
};

/* Sort key snapshot: what a cursor remembers of its last row. */
struct sort_key {
	uint32_t row;
	uint32_t created_min;
	uint32_t edited_min;
};

static struct sort_key key_of(const struct fake_source *src, uint32_t r)
{
	struct sort_key k = {r, (uint32_t)(src->rows[r].created_ms / 60000),
			     (uint32_t)(src->rows[r].edited_ms / 60000)};
	return k;
}

static int key_cmp(const struct sort_spec *ss, const struct sort_key *a, const struct sort_key *b)
{
	for (size_t i = 0; i < ss->n; i++) {
		uint32_t x = ss->field[i] == TS_CREATED ? a->created_min : a->edited_min;
		uint32_t y = ss->field[i] == TS_CREATED ? b->created_min : b->edited_min;

		if (x != y)
			return (x < y ? -1 : 1) * (ss->desc[i] ? -1 : 1);
	}
	/* ties go by row, in the first sort's direction (so an index walks backwards) */
	return (a->row < b->row ? -1 : a->row > b->row) * (ss->n && ss->desc[0] ? -1 : 1);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Row indexes of src in (field, row) ascending order, rebuilt when stale. */
static const uint32_t *order_of(struct fake_source *src, enum ts_field f)
{
	if (!src->order_valid[f]) {
		uint64_t *tmp = xmalloc((src->n_rows + 1) * sizeof(*tmp));

		for (size_t r = 0; r < src->n_rows; r++) {
			struct sort_key k = key_of(src, (uint32_t)r);
			tmp[r] = (uint64_t)(f == TS_CREATED ? k.created_min : k.edited_min) << 32 |
				 r;
		}
		qsort(tmp, src->n_rows, sizeof(*tmp), cmp_u64);
		src->order[f] = xrealloc(src->order[f], (src->n_rows + 1) * sizeof(uint32_t));
		for (size_t r = 0; r < src->n_rows; r++)
			src->order[f][r] = (uint32_t)tmp[r];
		free(tmp);
		src->order_valid[f] = 1;
	}
	return src->order[f];
}

static int sorts_parse(const struct fake_source *src, json_t *js, struct sort_spec *ss,
		       struct buf *err)
{
	size_t i;
	json_t *e;

	ss->n = 0;
	if (!js || json_is_null(js))
		return 0;
	if (!json_is_array(js) || json_array_size(js) > MAX_SORTS) {
		buf_addf(err,
			 "body failed validation: body.sorts should be an array of at most %d "
			 "sorts",
			 MAX_SORTS);
		return -1;
	}
	json_array_foreach(js, i, e)
	{
		const char *dir = json_string_value(json_object_get(e, "direction"));
		const char *key = NULL;
		int rc = ts_field_of(src, e, &ss->field[i], &key);

		if (rc < 0) {
			buf_addf(err,
				 "fake-notion supports only created_time and last_edited_time "
				 "sorts (body.sorts[%zu])",
				 i);
			return -1;
		}
		if (dir && strcmp(dir, "ascending") && strcmp(dir, "descending")) {
			buf_addf(err,
				 "body failed validation: body.sorts[%zu].direction should be "
				 "`\"ascending\"` or `\"descending\"`, instead was `\"%s\"`.",
				 i, dir);
			return -1;
		}
		ss->desc[i] = dir && !strcmp(dir, "descending");
		ss->n = i + 1;
	}
	return 0;
}

/* ---- cursors ---- */

static uint64_t cursor_mac(const uint8_t payload[16], uint64_t query_hash)
{
	uint64_t h, k1, k2, p1, p2;

	memcpy(&k1, fake.cursor_key, 8);
	memcpy(&k2, fake.cursor_key + 8, 8);
	memcpy(&p1, payload, 8);
	memcpy(&p2, payload + 8, 8);
	h = mix64(k1 ^ query_hash);
	h = mix64(h ^ p1);
	h = mix64(h ^ p2 ^ k2);
	return h;
}

static void cursor_encode(const uint32_t words[4], uint64_t query_hash, char out[49])
{
	uint8_t raw[24];
	uint64_t mac;

	for (int w = 0; w < 4; w++)
		for (int i = 0; i < 4; i++)
			raw[w * 4 + i] = (uint8_t)(words[w] >> (8 * i));
	mac = cursor_mac(raw, query_hash);
	for (int i = 0; i < 8; i++)
		raw[16 + i] = (uint8_t)(mac >> (8 * i));
	for (int i = 0; i < 24; i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
}

static int cursor_decode(const char *s, uint64_t query_hash, uint32_t words[4])
{
	uint8_t raw[24];
	uint64_t mac = 0;

	if (!s || strlen(s) != 48)
		return -1;
	for (int i = 0; i < 24; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		raw[i] = (uint8_t)v;
	}
	for (int i = 0; i < 8; i++)
		mac |= (uint64_t)raw[16 + i] << (8 * i);
	if (mac != cursor_mac(raw, query_hash))
		return -1;
	for (int w = 0; w < 4; w++)
		words[w] = (uint32_t)raw[w * 4] | (uint32_t)raw[w * 4 + 1] << 8 |
			   (uint32_t)raw[w * 4 + 2] << 16 | (uint32_t)raw[w * 4 + 3] << 24;
	return 0;
}

static uint64_t hash_text(uint64_t h, const char *s)
{
	for (; s && *s; s++)
		h = mix64(h ^ (unsigned char)*s);
	return mix64(h ^ 0xff);
}

static uint64_t hash_json(uint64_t h, json_t *j)
{
	char *s;

	if (!j)
		return mix64(h ^ 0x6e756c6c);
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	h = hash_text(h, s);
	free(s);
	return h;
}

/* ---- the query ---- */

struct selection {
	struct sort_key *keys;
	size_t n, k;
};

static void select_offer(struct selection *sel, const struct sort_spec *ss, struct sort_key key)
{
	size_t lo = 0, hi = sel->n;

	if (sel->n == sel->k && key_cmp(ss, &key, &sel->keys[sel->n - 1]) >= 0)
		return;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (key_cmp(ss, &sel->keys[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (sel->n == sel->k)
		sel->n--;
	memmove(&sel->keys[lo + 1], &sel->keys[lo], (sel->n - lo) * sizeof(*sel->keys));
	sel->keys[lo] = key;
	sel->n++;
}

void query_run(size_t s, json_t *body, enum api_version v, char *const *only, size_t n_only,
	       struct http_reply *reply)
{
	const struct fake_source *src = &fake.sources[s];
	struct filter filter = {0};
	int have_filter = 0, trash = 0;
	struct sort_spec ss;
	struct buf err = BUF_INIT;
	json_t *jf = NULL, *jp, *jt;
	struct buf out;
	struct jw w;
	int capped;
	long page_size = MAX_PAGE, remaining;
	const char *cursor = NULL;
	uint32_t cw[4] = {0, 0, 0, 0};
	int have_cursor = 0;
	struct sort_key after = {0, 0, 0};
	struct selection sel = {NULL, 0, 0};
	uint64_t qhash;
	size_t take;
	int more_rows;
	char *title_only[1];
	size_t n_title_only = 0;

	if (body && !json_is_object(body)) {
		validation(reply, "body failed validation: body should be an object");
		return;
	}
	{
		/* Notion validates strictly: unknown keys (filter_properties too) are errors */
		static const char *const known[] = {"filter",	  "sorts",    "start_cursor",
						    "page_size",  "in_trash", "archived",
						    "result_type"};
		const char *key;
		json_t *val;

		json_object_foreach(body, key, val)
		{
			size_t i;
			char *shown;

			for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
				if (!strcmp(key, known[i]))
					break;
			/* 2026-03-11 removed "archived" everywhere */
			if (i < sizeof(known) / sizeof(known[0]) &&
			    !(v >= V_2026_03 && !strcmp(key, "archived")))
				continue;
			shown = json_dumps(val, JSON_COMPACT | JSON_ENCODE_ANY);
			validation(reply,
				   "body failed validation: body.%s should be not present, "
				   "instead was `%s`.",
				   key, shown);
			free(shown);
			return;
		}
	}
	if ((jp = json_object_get(body, "page_size")) && !json_is_null(jp)) {
		if (!json_is_integer(jp) || json_integer_value(jp) < 1) {
			validation(reply, "body failed validation: body.page_size should be a "
					  "positive integer.");
			return;
		}
		if (json_integer_value(jp) > MAX_PAGE) {
			validation(reply,
				   "body failed validation: body.page_size should be ≤ `%d`, "
				   "instead was `%lld`.",
				   MAX_PAGE, (long long)json_integer_value(jp));
			return;
		}
		page_size = (long)json_integer_value(jp);
	}
	jt = json_object_get(body, "in_trash");
	if (!jt && v < V_2026_03)
		jt = json_object_get(body, "archived");
	if (jt && !json_is_null(jt)) {
		if (!json_is_boolean(jt)) {
			validation(reply,
				   "body failed validation: body.in_trash should be a boolean.");
			return;
		}
		trash = json_is_true(jt);
	}
	if ((jf = json_object_get(body, "filter")) && !json_is_null(jf)) {
		if (filter_compile(src, jf, "body.filter", 0, &filter, &err) < 0)
			goto invalid;
		have_filter = 1;
	}
	if (sorts_parse(src, json_object_get(body, "sorts"), &ss, &err) < 0)
		goto invalid;
	jp = json_object_get(body, "start_cursor");
	if (jp && !json_is_null(jp) && !json_is_string(jp)) {
		buf_adds(&err, "body failed validation: body.start_cursor should be a string.");
		goto invalid;
	}
	cursor = json_string_value(jp);

	qhash = hash_text(0x71756572, src->id);
	qhash = hash_json(qhash, have_filter ? jf : NULL);
	qhash = hash_json(qhash, json_object_get(body, "sorts"));
	qhash = mix64(qhash ^ (uint64_t)trash);
	if (cursor) {
		if (cursor_decode(cursor, qhash, cw) < 0) {
			buf_addf(&err, "The start_cursor provided is invalid: %s", cursor);
			goto invalid;
		}
		have_cursor = 1;
		after.row = cw[1];
		after.created_min = cw[2];
		after.edited_min = cw[3];
	}

	remaining = fake.cap - (long)cw[0];
	if (remaining < 0)
		remaining = 0;
	take = (size_t)(page_size < remaining ? page_size : remaining);
	sel.k = take + 1;
	sel.keys = xmalloc(sel.k * sizeof(*sel.keys));
	if (ss.n <= 1) {
		/*
		 * Walk the rows in sort order from just after the cursor and stop
		 * after page_size + 1 matches: O(page) for the common queries.
		 */
		const uint32_t *ord = ss.n ? order_of(&fake.sources[s], ss.field[0]) : NULL;
		int desc = ss.n && ss.desc[0];
		size_t n = src->n_rows, lo = 0, hi = n;

#define VIEW(i) (ord ? ord[desc ? n - 1 - (i) : (i)] : (uint32_t)(i))
		while (have_cursor && lo < hi) {
			size_t mid = (lo + hi) / 2;
			struct sort_key k = key_of(src, VIEW(mid));
			if (key_cmp(&ss, &k, &after) <= 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (size_t i = lo; i < n && sel.n < sel.k; i++) {
			uint32_t r = VIEW(i);
			const struct fake_row *row = &src->rows[r];

			if ((row->flags & ROW_PURGED) || !(row->flags & ROW_TRASHED) != !trash)
				continue;
			if (have_filter && !filter_match(&filter, row))
				continue;
			sel.keys[sel.n++] = key_of(src, r);
		}
#undef VIEW
	} else {
		for (size_t r = 0; r < src->n_rows; r++) {
			const struct fake_row *row = &src->rows[r];
			struct sort_key key;

			if ((row->flags & ROW_PURGED) || !(row->flags & ROW_TRASHED) != !trash)
				continue;
			if (have_filter && !filter_match(&filter, row))
				continue;
			key = key_of(src, (uint32_t)r);
			if (have_cursor && key_cmp(&ss, &key, &after) <= 0)
				continue;
			select_offer(&sel, &ss, key);
		}
	}
	more_rows = sel.n > take;

	/* 2026-12-01: without filter_properties a query returns the title property only */
	if (!only && v >= V_2026_12) {
		for (size_t i = 0; i < src->n_props; i++)
			if (src->props[i].type == PT_TITLE)
				title_only[n_title_only++] = src->props[i].id_raw;
	}
	buf_init(&out, 0);
	jw_reserve(&out, 4096 + take * 6144);
	jw_init(&w, &out);
	jw_obj(&w);
	jw_kstr(&w, "object", "list");
	jw_key(&w, "results");
	jw_arr(&w);
	for (size_t i = 0; i < sel.n && i < take; i++)
		render_page(&w, src, &src->rows[sel.keys[i].row], v,
			    n_title_only ? title_only : only, n_title_only ? n_title_only : n_only);
	jw_arr_end(&w);
	capped = more_rows && (long)cw[0] + (long)take >= fake.cap;
	if (more_rows && !capped) {
		uint32_t words[4];
		struct sort_key last = sel.keys[take - 1];
		char next[49];

		words[0] = cw[0] + (uint32_t)take;
		words[1] = last.row;
		words[2] = last.created_min;
		words[3] = last.edited_min;
		cursor_encode(words, qhash, next);
		jw_kstr(&w, "next_cursor", next);
		jw_kbool(&w, "has_more", 1);
	} else {
		/* the cap ends a query early, as Notion's 10,000-results cap does */
		jw_knull(&w, "next_cursor");
		jw_kbool(&w, "has_more", 0);
	}
	jw_kstr(&w, "type", v >= V_2025 ? "page_or_data_source" : "page_or_database");
	jw_key(&w, v >= V_2025 ? "page_or_data_source" : "page_or_database");
	jw_obj(&w);
	jw_obj_end(&w);
	if (capped) {
		jw_key(&w, "request_status");
		jw_obj(&w);
		jw_kstr(&w, "type", "incomplete");
		jw_kstr(&w, "incomplete_reason", "query_result_limit_reached");
		jw_obj_end(&w);
	} else if (v >= V_2025) {
		jw_key(&w, "request_status");
		jw_obj(&w);
		jw_kstr(&w, "type", "complete");
		jw_obj_end(&w);
	}
	jw_request_id(&w);
	jw_obj_end(&w);
	reply_text(reply, 200, buf_detach(&out));
	free(sel.keys);
	filter_release(&filter);
	buf_release(&err);
	return;
invalid:
	validation(reply, "%s", buf_str(&err));
	filter_release(&filter);
	buf_release(&err);
}

/* ---- GET /v1/pages/{id}/properties/{prop} ---- */

void query_property(size_t s, size_t r, const struct fake_prop *p, const char *start_cursor,
		    const char *page_size, const char *page_id_text, enum api_version v,
		    struct http_reply *reply)
{
	const struct fake_source *src = &fake.sources[s];
	const struct fake_row *row = &src->rows[r];
	struct value_ctx ctx = {src, row, fake_now_ms(), v};
	const char *tname = prop_type_name(p->type);
	long size = MAX_PAGE;
	uint32_t cw[4] = {0, 0, 0, 0};
	uint64_t qhash = hash_text(hash_text(0x70726f70, page_id_text), p->id_raw);
	struct buf out = BUF_INIT;
	struct jw w;
	struct vw vw = {&w, VW_ITEMS, NULL, 0, 0, 0, 0, 0};

	jw_init(&w, &out);
	jw_obj(&w);
	if (!value_paged_type(p->type)) {
		vw.mode = VW_FULL;
		jw_kstr(&w, "object", "property_item");
		jw_kstr(&w, "id", p->id);
		jw_kstr(&w, "type", tname);
		jw_key(&w, tname);
		value_write(&vw, &ctx, p);
		jw_request_id(&w);
		jw_obj_end(&w);
		reply_text(reply, 200, buf_detach(&out));
		return;
	}
	if (page_size) {
		char *endp;
		size = strtol(page_size, &endp, 10);
		if (*endp || size < 1 || size > MAX_PAGE) {
			validation(reply,
				   "page_size should be an integer from 1 to %d, instead was "
				   "`%s`.",
				   MAX_PAGE, page_size);
			buf_release(&out);
			return;
		}
	}
	if (start_cursor && cursor_decode(start_cursor, qhash, cw) < 0) {
		validation(reply, "The start_cursor provided is invalid: %s", start_cursor);
		buf_release(&out);
		return;
	}
	vw.from = cw[0];
	vw.to = cw[0] + (size_t)size;
	jw_kstr(&w, "object", "list");
	jw_key(&w, "results");
	value_write(&vw, &ctx, p); /* writes the results array */
	if (vw.total > vw.to) {
		uint32_t words[4] = {(uint32_t)vw.to, 0, 0, 0};
		char next[49], url[256];

		cursor_encode(words, qhash, next);
		snprintf(url, sizeof(url),
			 "https://api.notion.com/v1/pages/%s/properties/%s?start_cursor=%s",
			 page_id_text, p->id, next);
		jw_kstr(&w, "next_cursor", next);
		jw_kbool(&w, "has_more", 1);
		jw_kstr(&w, "type", "property_item");
		jw_key(&w, "property_item");
		jw_obj(&w);
		jw_kstr(&w, "next_url", url);
	} else {
		jw_knull(&w, "next_cursor");
		jw_kbool(&w, "has_more", 0);
		jw_kstr(&w, "type", "property_item");
		jw_key(&w, "property_item");
		jw_obj(&w);
		jw_knull(&w, "next_url");
	}
	jw_kstr(&w, "id", p->id);
	jw_kstr(&w, "type", tname);
	jw_key(&w, tname);
	jw_obj(&w);
	jw_obj_end(&w);
	jw_obj_end(&w);
	jw_request_id(&w);
	jw_obj_end(&w);
	reply_text(reply, 200, buf_detach(&out));
}
