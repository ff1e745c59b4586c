/*
 * test_schema.c: property schemas by id (src/mapper/schema.c). A first
 * recording gives one "initial" event per property; then renames, type and
 * option changes, additions and removals are told apart by id; folding the
 * history gives back the schema; mappings follow a rename by id and keep
 * metadata keys stable; a removed mapped property stays unresolved.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config/config.h"
#include "mapper/mapper.h"
#include "mapper/schema.h"
#include "task/task.h"

#define DB "1a2b3c4d-5e6f-47a8-b9c0-d1e2f3a4b5c6"

static json_t *js(const char *s)
{
	char *t = strdup(s);
	json_t *j;

	for (char *p = t; *p; p++)
		if (*p == '\'')
			*p = '"';
	j = json_loads(t, 0, NULL);
	free(t);
	assert_non_null(j);
	return j;
}

static const char props_v1[] =
	"{'Name': {'id': 'title', 'type': 'title', 'title': {}},"
	" 'Status': {'id': 'M%3BBw', 'type': 'status', 'status': {'options': [{'name': 'Done'},"
	"   {'name': 'Not started'}]}},"
	" 'Due': {'id': 'dUe1', 'type': 'date', 'date': {}},"
	" 'Notes': {'id': '%3AUPp', 'type': 'rich_text', 'rich_text': {}}}";
static const char props_v2[] = /* Status renamed State, Due gone, Notes retyped, Tags added */
	"{'Name': {'id': 'title', 'type': 'title', 'title': {}},"
	" 'State': {'id': 'M%3BBw', 'type': 'status', 'status': {'options': [{'name': 'Not "
	"started'},"
	"   {'name': 'Done'}, {'name': 'Blocked'}]}},"
	" 'Notes': {'id': '%3AUPp', 'type': 'url', 'url': {}},"
	" 'Tags': {'id': 't%5Bg%5D', 'type': 'multi_select', 'multi_select': {'options': []}}}";

/* Stamps events as a store would (ids only matter for these tests). */
static void stamp(struct schema_event *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		e[i].data_source_id = strdup(DB);
}

static size_t count_kind(const struct schema_event *e, size_t n, const char *kind)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		c += !strcmp(e[i].kind, kind);
	return c;
}

static const struct schema_event *find(const struct schema_event *e, size_t n, const char *kind)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(e[i].kind, kind))
			return &e[i];
	return NULL;
}

static void test_diff_and_fold(void **state)
{
	json_t *p1 = js(props_v1), *p2 = js(props_v2);
	json_t *live1 = schema_from_notion(p1), *live2 = schema_from_notion(p2), *known, *empty;
	struct schema_event *first = NULL, *second = NULL, *all;
	size_t n1 = 0, n2 = 0;
	const struct schema_event *e;

	/* options are sorted names; other types have none */
	assert_string_equal(
		json_string_value(json_array_get(
			json_object_get(json_object_get(live1, "M%3BBw"), "options"), 0)),
		"Done");
	assert_null(json_object_get(json_object_get(live1, "dUe1"), "options"));

	empty = json_object();
	schema_diff(empty, 1, live1, &first, &n1);
	assert_int_equal(n1, 4);
	assert_int_equal(count_kind(first, n1, "initial"), 4);
	stamp(first, n1);
	known = schema_fold(first, n1);
	assert_true(json_equal(known, live1));

	schema_diff(known, 0, live2, &second, &n2);
	/* renamed, options_changed (Status); type_changed (Notes); added (Tags); removed (Due) */
	assert_int_equal(n2, 5);
	e = find(second, n2, "renamed");
	assert_non_null(e);
	assert_string_equal(e->property_id, "M%3BBw");
	assert_string_equal(e->old_name, "Status");
	assert_string_equal(e->name, "State");
	assert_non_null(find(second, n2, "options_changed"));
	e = find(second, n2, "type_changed");
	assert_string_equal(e->old_type, "rich_text");
	assert_string_equal(e->type, "url");
	assert_string_equal(find(second, n2, "added")->name, "Tags");
	e = find(second, n2, "removed");
	assert_string_equal(e->name, "Due");
	assert_string_equal(e->property_id, "dUe1");
	stamp(second, n2);

	/* the whole history folds to the live schema */
	all = calloc(n1 + n2, sizeof(*all));
	memcpy(all, first, n1 * sizeof(*all));
	memcpy(all + n1, second, n2 * sizeof(*all));
	json_decref(known);
	known = schema_fold(all, n1 + n2);
	assert_true(json_equal(known, live2));
	/* and no change since: nothing to record */
	{
		struct schema_event *none = NULL;
		size_t n0 = 7;
		schema_diff(known, 0, live2, &none, &n0);
		assert_int_equal(n0, 0);
		free(none);
	}

	/* ids by name: now or before a rename */
	assert_string_equal(schema_id_for_name(all, n1 + n2, "Status"), "M%3BBw");
	assert_string_equal(schema_id_for_name(all, n1 + n2, "State"), "M%3BBw");
	assert_string_equal(schema_id_for_name(all, n1 + n2, "Due"), "dUe1");
	assert_null(schema_id_for_name(all, n1 + n2, "Nope"));
	free(all);
	schema_events_free(first, n1);
	schema_events_free(second, n2);
	json_decref(known);
	json_decref(empty);
	json_decref(live1);
	json_decref(live2);
	json_decref(p1);
	json_decref(p2);
}

static void test_mappings_follow_renames(void **state)
{
	json_t *p1 = js(props_v1), *p2 = js(props_v2), *empty = json_object();
	json_t *live1 = schema_from_notion(p1), *warnings = json_array();
	struct schema_event *hist = NULL;
	size_t n = 0;
	char name[] = "Name", status[] = "Status", due[] = "Due", nope[] = "Nope", dbid[] = DB;
	struct field_mapping maps[] = {
		{name, FIELD_TITLE, NULL, NULL},
		{status, FIELD_STATUS, NULL, NULL},
		{due, FIELD_DUE_DATE, NULL, NULL},
		{nope, FIELD_CATEGORY, NULL, NULL},
	};
	struct db_config db = {.database_id = dbid, .mappings = maps, .n_mappings = 4};
	struct db_config r;
	struct task t;
	struct nv_err err;
	json_t *page;

	schema_diff(empty, 1, live1, &hist, &n);
	schema_resolve_mappings(&db, p2, hist, n, &r, warnings);
	assert_string_equal(r.mappings[0].property, "Name");
	assert_string_equal(r.mappings[1].property, "State"); /* followed by id */
	assert_string_equal(r.mappings[2].property, "Due");   /* removed: left for the check */
	assert_string_equal(r.mappings[3].property, "Nope");  /* never existed */
	assert_int_equal(json_array_size(warnings), 2);
	assert_non_null(strstr(json_string_value(json_array_get(warnings, 0)),
			       "\"Status\" (mapped to status) was renamed in Notion to \"State\""));
	assert_non_null(strstr(json_string_value(json_array_get(warnings, 1)),
			       "\"Due\" (mapped to dueDate, id dUe1) was removed"));
	/* the removed one fails the schema check, naming it */
	assert_int_equal(mapper_check_schema(&r, p2, &err), NV_ECONFIG);
	assert_non_null(strstr(err.msg, "\"Due\""));

	/* a page read after the rename maps its status, under the first recorded key */
	page = js("{'object': 'page', 'id': 'be633bf1-dfa0-436d-b259-571129a590e5',"
		  " 'properties': {'Name': {'id': 'title', 'type': 'title', 'title': "
		  "[{'plain_text': 'x'}]},"
		  " 'State': {'id': 'M%3BBw', 'type': 'status', 'status': {'name': 'Done'}}}}");
	task_init(&t);
	assert_int_equal(mapper_map_page(&r, DB, page, &t, &err), NV_OK);
	assert_string_equal(t.notion_status, "Done");
	assert_non_null(json_object_get(json_object_get(t.metadata, "notionProperties"), "Status"));
	assert_null(json_object_get(json_object_get(t.metadata, "notionProperties"), "State"));
	task_release(&t);
	json_decref(page);

	schema_resolved_release(&r);
	schema_events_free(hist, n);
	json_decref(warnings);
	json_decref(live1);
	json_decref(empty);
	json_decref(p1);
	json_decref(p2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diff_and_fold),
		cmocka_unit_test(test_mappings_follow_renames),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
