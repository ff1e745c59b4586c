/*
 * fake_search.c: POST /v1/search, as Notion answers it for an integration:
 * every data source (2025-09-03 and later; database objects with 2022-06-28)
 * shared with it, optionally filtered by object type and by a text query on
 * the title, paginated with start_cursor / page_size (at most 100, or the
 * searchPageSize control setting) and next_cursor / has_more. Pages are not
 * searched: a page filter answers an empty list.
 */
#include "fake.h"

#include <string.h>
#include <strings.h>

/* 1 when the title contains query (ASCII case-insensitive); an empty query matches. */
static int title_matches(const char *title, const char *query)
{
	size_t n = query ? strlen(query) : 0;

	if (!n)
		return 1;
	for (const char *s = title ? title : ""; *s; s++)
		if (!strncasecmp(s, query, n))
			return 1;
	return 0;
}

void search_run(json_t *body, enum api_version v, struct http_reply *reply)
{
	const json_t *filter = json_object_get(body, "filter");
	const char *value = json_string_value(json_object_get(filter, "value"));
	const char *prop = json_string_value(json_object_get(filter, "property"));
	const char *query = json_string_value(json_object_get(body, "query"));
	const char *cursor = json_string_value(json_object_get(body, "start_cursor"));
	const json_t *size = json_object_get(body, "page_size");
	const char *want = v == V_LEGACY ? "database" : "data_source";
	long page = fake.search_page > 0 ? fake.search_page : 100;
	json_t *results = json_array(), *out;
	size_t n_items = v == V_LEGACY ? fake.n_dbs : fake.n_sources, i = 0;
	int started = cursor == NULL;

	if (filter && (!value || !prop || strcmp(prop, "object"))) {
		json_decref(results);
		return reply_error(reply, 400, "validation_error",
				   "body failed validation: body.filter.property should be "
				   "\"object\", and body.filter.value a string.");
	}
	if (value && strcmp(value, "page") && strcmp(value, want)) {
		json_decref(results);
		return reply_error(
			reply, 400, "validation_error",
			"body failed validation: body.filter.value should be \"page\" or "
			"\"%s\", instead was \"%s\".",
			want, value);
	}
	if (size && (!json_is_integer(size) || json_integer_value(size) < 1 ||
		     json_integer_value(size) > 100)) {
		json_decref(results);
		return reply_error(reply, 400, "validation_error",
				   "body failed validation: body.page_size should be a number "
				   "between 1 and 100.");
	}
	if (size && json_integer_value(size) < page)
		page = (long)json_integer_value(size);
	if (value && !strcmp(value, "page"))
		n_items = 0;
	for (; i < n_items; i++) {
		const char *id = v == V_LEGACY ? fake.dbs[i].id : fake.sources[i].id;
		const char *title = v == V_LEGACY ? fake.dbs[i].title : fake.sources[i].name;

		if (!started) {
			started = !strcmp(id, cursor);
			if (!started)
				continue;
		}
		if (!title_matches(title, query))
			continue;
		if ((long)json_array_size(results) == page)
			break;
		json_array_append_new(results, v == V_LEGACY
						       ? render_database(&fake.dbs[i], v)
						       : render_data_source(&fake.sources[i], v));
	}
	if (!started) {
		json_decref(results);
		return reply_error(
			reply, 400, "validation_error",
			"body failed validation: body.start_cursor is not a valid cursor.");
	}
	out = json_pack(
		"{s:s,s:o,s:o,s:b,s:s,s:{}}", "object", "list", "results", results, "next_cursor",
		i < n_items ? json_string(v == V_LEGACY ? fake.dbs[i].id : fake.sources[i].id)
			    : json_null(),
		"has_more", i < n_items, "type",
		v == V_LEGACY ? "page_or_database" : "page_or_data_source",
		v == V_LEGACY ? "page_or_database" : "page_or_data_source");
	reply_json(reply, 200, out);
}
