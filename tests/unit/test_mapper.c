/*
 * test_mapper.c: Notion page → task. The eight mappable types with a value,
 * empty and null; every other property type round-trips into
 * metadata.notionProperties; rich text with mentions, equations, emoji and
 * long text; dates; a stable content hash across re-signed file URLs;
 * statusMap rules; schema checks; truncated values; hostile input.
 * JSON is written with ' for " to keep it readable.
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
#include "task/task.h"
#include "util/buf.h"

#define DB "1a2b3c4d-5e6f-47a8-b9c0-d1e2f3a4b5c6"
#define DS "2b3c4d5e-6f70-48a9-b0c1-d2e3f4a5b6c7"
#define PAGE "be633bf1-dfa0-436d-b259-571129a590e5"

static char *dq(const char *s)
{
	char *out = strdup(s);
	for (char *p = out; *p; p++)
		if (*p == '\'')
			*p = '"';
	return out;
}

/* Parses JSON written with ' quotes. New reference. */
static json_t *J(const char *s)
{
	char *t = dq(s);
	json_error_t e;
	json_t *j = json_loads(t, JSON_DECODE_ANY, &e);

	if (!j)
		fail_msg("bad test JSON (%s): %s", e.text, t);
	free(t);
	return j;
}

/* A page object around the given properties object (' quotes). */
static json_t *page_with(const char *props)
{
	json_t *page = J("{'object': 'page', 'id': '" PAGE "',"
			 " 'created_time': '2026-01-02T03:04:00.000Z',"
			 " 'last_edited_time': '2026-01-05T06:07:00.000Z',"
			 " 'parent': {'type': 'data_source_id', 'data_source_id': '" DS "',"
			 "            'database_id': '" DB "'},"
			 " 'in_trash': false, 'archived': false,"
			 " 'url': 'https://www.notion.so/Fix-be633bf1dfa0436db259571129a590e5'}");
	json_object_set_new(page, "properties", J(props));
	return page;
}

static struct config *config_of(const char *text)
{
	struct config *cfg;
	struct nv_err err;
	char *t = dq(text);

	if (config_load_string(t, "t.json", &cfg, &err))
		fail_msg("config: %s", err.msg);
	free(t);
	return cfg;
}

static const char eight_types_config[] =
	"{'databases': [{'notionDatabaseId': '" DB "', 'projectScopeId': 'proj-eng',"
	" 'fieldMappings': {'Name': 'title', 'Notes': 'description', 'Status': 'status',"
	"  'Priority': 'category', 'Tags': 'tags', 'Due': 'dueDate', 'Done': 'resolution',"
	"  'Estimate': 'assignee'},"
	" 'statusMap': {'Not started': 'backlog'}}]}";

/* Maps a page with db; fails the test on error. */
static void map(const struct db_config *db, json_t *page, struct task *t)
{
	struct nv_err err;

	task_init(t);
	if (mapper_map_page(db, DS, page, t, &err))
		fail_msg("map: %s", err.msg);
}

static const json_t *meta_prop(const struct task *t, const char *name)
{
	return json_object_get(json_object_get(t->metadata, "notionProperties"), name);
}

static void assert_json(const json_t *actual, const char *expected)
{
	json_t *e = J(expected);

	if (!json_equal(actual, e)) {
		char *a = json_dumps(actual, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
		char *x = json_dumps(e, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
		fail_msg("JSON differs\n  got:      %s\n  expected: %s", a ? a : "(null)", x);
	}
	json_decref(e);
}

static void test_eight_types_with_values(void **state)
{
	struct config *cfg = config_of(eight_types_config);
	json_t *page = page_with(
		"{'Name': {'id': 'title', 'type': 'title', 'title': ["
		"   {'type': 'text', 'text': {'content': 'Fix ', 'link': null}, 'plain_text': 'Fix "
		"'},"
		"   {'type': 'text', 'text': {'content': 'bug', 'link': null}, 'plain_text': "
		"'bug'}]},"
		" 'Notes': {'id': 'n1', 'type': 'rich_text', 'rich_text': [{'type': 'text',"
		"   'text': {'content': 'Some notes'}, 'plain_text': 'Some notes'}]},"
		" 'Status': {'id': 's1', 'type': 'status', 'status': {'id': 'x', 'name': 'In "
		"progress',"
		"   'color': 'blue'}},"
		" 'Priority': {'id': 'p1', 'type': 'select', 'select': {'id': 'y', 'name': 'High',"
		"   'color': 'red'}},"
		" 'Tags': {'id': 't1', 'type': 'multi_select', 'multi_select': [{'id': '1', "
		"'name': 'b',"
		"   'color': 'red'}, {'id': '2', 'name': 'a', 'color': 'blue'}]},"
		" 'Due': {'id': 'd1', 'type': 'date', 'date': {'start': '2026-03-01', 'end': null,"
		"   'time_zone': null}},"
		" 'Done': {'id': 'c1', 'type': 'checkbox', 'checkbox': true},"
		" 'Estimate': {'id': 'e1', 'type': 'number', 'number': 12.5}}");
	struct task t;
	char *tags;

	map(&cfg->dbs[0], page, &t);
	assert_string_equal(t.title, "Fix bug");
	assert_string_equal(t.description, "Some notes");
	assert_string_equal(t.status, "in_progress");
	assert_string_equal(t.notion_status, "In progress");
	assert_string_equal(t.category, "High");
	tags = json_dumps(t.tags, JSON_COMPACT);
	assert_string_equal(tags, "[\"b\",\"a\"]"); /* Notion's order */
	free(tags);
	assert_string_equal(t.due_date, "2026-03-01");
	assert_string_equal(t.resolution, "true");
	assert_string_equal(t.assignee, "12.5");
	/* the row's identity */
	assert_string_equal(t.scope, "proj-eng");
	assert_string_equal(t.source, "notion");
	assert_string_equal(t.notion_page_id, PAGE);
	assert_string_equal(t.notion_database_id, DB);
	assert_string_equal(t.notion_data_source_id, DS);
	assert_string_equal(t.notion_created_time, "2026-01-02T03:04:00.000Z");
	assert_string_equal(t.notion_last_edited_time, "2026-01-05T06:07:00.000Z");
	assert_non_null(strstr(t.notion_url, "be633bf1"));
	assert_int_equal(t.active, 1);
	/* every property in metadata, compact */
	assert_json(meta_prop(&t, "Name"), "{'id': 'title', 'type': 'title', 'value': 'Fix bug'}");
	assert_json(meta_prop(&t, "Status"),
		    "{'id': 's1', 'type': 'status', 'value': 'In progress'}");
	assert_json(meta_prop(&t, "Priority"), "{'id': 'p1', 'type': 'select', 'value': 'High'}");
	assert_json(meta_prop(&t, "Tags"),
		    "{'id': 't1', 'type': 'multi_select', 'value': ['b', 'a']}");
	assert_json(meta_prop(&t, "Due"),
		    "{'id': 'd1', 'type': 'date', 'value': {'start': '2026-03-01',"
		    " 'end': null, 'timeZone': null}}");
	assert_json(meta_prop(&t, "Done"), "{'id': 'c1', 'type': 'checkbox', 'value': true}");
	assert_json(meta_prop(&t, "Estimate"), "{'id': 'e1', 'type': 'number', 'value': 12.5}");
	task_release(&t);
	json_decref(page);
	config_free(cfg);
}

static void test_eight_types_empty(void **state)
{
	struct config *cfg = config_of(eight_types_config);
	json_t *page = page_with(
		"{'Name': {'id': 'title', 'type': 'title', 'title': []},"
		" 'Notes': {'id': 'n1', 'type': 'rich_text', 'rich_text': [{'type': 'text',"
		"   'text': {'content': ''}, 'plain_text': ''}]},"
		" 'Status': {'id': 's1', 'type': 'status', 'status': {'id': 'x', 'name': ''}},"
		" 'Priority': {'id': 'p1', 'type': 'select', 'select': {'name': ''}},"
		" 'Tags': {'id': 't1', 'type': 'multi_select', 'multi_select': []},"
		" 'Due': {'id': 'd1', 'type': 'date', 'date': {'start': null, 'end': null}},"
		" 'Done': {'id': 'c1', 'type': 'checkbox', 'checkbox': false},"
		" 'Estimate': {'id': 'e1', 'type': 'number', 'number': 0}}");
	struct task t;

	map(&cfg->dbs[0], page, &t);
	assert_null(t.title);
	assert_null(t.description);
	assert_string_equal(t.status, "open");
	assert_null(t.notion_status);
	assert_null(t.category);
	assert_null(t.tags);
	assert_null(t.due_date);
	assert_string_equal(t.resolution, "false"); /* a checkbox is never empty */
	assert_string_equal(t.assignee, "0");
	assert_json(meta_prop(&t, "Name"), "{'id': 'title', 'type': 'title', 'value': null}");
	assert_json(meta_prop(&t, "Tags"), "{'id': 't1', 'type': 'multi_select', 'value': []}");
	task_release(&t);
	json_decref(page);
	config_free(cfg);
}

static void test_eight_types_null(void **state)
{
	struct config *cfg = config_of(eight_types_config);
	/* cleared values as Notion sends them; title/rich_text/multi_select null is not
	   Notion's but must not crash either */
	json_t *page =
		page_with("{'Name': {'id': 'title', 'type': 'title', 'title': null},"
			  " 'Notes': {'id': 'n1', 'type': 'rich_text', 'rich_text': null},"
			  " 'Status': {'id': 's1', 'type': 'status', 'status': null},"
			  " 'Priority': {'id': 'p1', 'type': 'select', 'select': null},"
			  " 'Tags': {'id': 't1', 'type': 'multi_select', 'multi_select': null},"
			  " 'Due': {'id': 'd1', 'type': 'date', 'date': null},"
			  " 'Done': {'id': 'c1', 'type': 'checkbox', 'checkbox': null},"
			  " 'Estimate': {'id': 'e1', 'type': 'number', 'number': null}}");
	struct task t, before;
	json_t *filled =
		page_with("{'Name': {'id': 'title', 'type': 'title', 'title': [{'plain_text':"
			  " 'x'}]}, 'Due': {'type': 'date', 'date': {'start': '2026-01-01'}}}");
	char h1[HASH_HEX_LEN + 1], h2[HASH_HEX_LEN + 1];

	map(&cfg->dbs[0], page, &t);
	assert_null(t.title);
	assert_null(t.description);
	assert_string_equal(t.status, "open");
	assert_null(t.notion_status);
	assert_null(t.category);
	assert_null(t.tags);
	assert_null(t.due_date);
	assert_null(t.resolution);
	assert_null(t.assignee);
	assert_json(meta_prop(&t, "Due"), "{'id': 'd1', 'type': 'date', 'value': null}");
	assert_json(meta_prop(&t, "Estimate"), "{'id': 'e1', 'type': 'number', 'value': null}");
	/* clearing a value changes the content hash: it makes a new version */
	map(&cfg->dbs[0], filled, &before);
	task_content_hash(&t, h1);
	task_content_hash(&before, h2);
	assert_string_not_equal(h1, h2);
	task_release(&before);
	task_release(&t);
	json_decref(filled);
	json_decref(page);
	config_free(cfg);
}

static void test_other_types_in_metadata(void **state)
{
	struct config *cfg = config_of("{'databases': [{'notionDatabaseId': '" DB "'}]}");
	json_t *page = page_with(
		"{'Name': {'id': 'title', 'type': 'title', 'title': [{'plain_text': 'Row'}]},"
		" 'Link': {'id': 'u', 'type': 'url', 'url': 'https://example.com/x'},"
		" 'Contact': {'id': 'm', 'type': 'email', 'email': 'a@example.com'},"
		" 'Phone': {'id': 'ph', 'type': 'phone_number', 'phone_number': null},"
		" 'Owner': {'id': 'o', 'type': 'people', 'people': ["
		"   {'object': 'user', 'id': 'u1'},"
		"   {'object': 'user', 'id': 'u2', 'name': 'Ada', 'avatar_url': 'https://s3/a.png',"
		"    'type': 'person', 'person': {'email': 'ada@example.com'}},"
		"   {'object': 'user', 'id': 'b1', 'name': 'Bot', 'type': 'bot', 'bot': {}},"
		"   {'object': 'group', 'id': 'g1', 'name': 'Team'}]},"
		" 'Related': {'id': 'r', 'type': 'relation', 'relation': [{'id': 'p1'}, {'id': "
		"'p2'}],"
		"   'has_more': false},"
		" 'Score': {'id': 'f', 'type': 'formula', 'formula': {'type': 'number', 'number': "
		"3}},"
		" 'FText': {'id': 'f2', 'type': 'formula', 'formula': {'type': 'string', 'string': "
		"null}},"
		" 'FBool': {'id': 'f3', 'type': 'formula', 'formula': {'type': 'boolean', "
		"'boolean': true}},"
		" 'FDate': {'id': 'f4', 'type': 'formula', 'formula': {'type': 'date', 'date': {"
		"   'start': '2026-01-01', 'end': null, 'time_zone': null}}},"
		" 'Count': {'id': 'ro', 'type': 'rollup', 'rollup': {'type': 'number', 'number': 2,"
		"   'function': 'count'}},"
		" 'Orig': {'id': 'ro2', 'type': 'rollup', 'rollup': {'type': 'array', 'function':"
		"   'show_original', 'array': [{'type': 'files', 'files': [{'name': 'a.pdf', "
		"'type':"
		"   'file', 'file': {'url': 'https://s3/sig=1', 'expiry_time': "
		"'2026-01-01T01:00:00Z'}}]}]}},"
		" 'Created': {'id': 'ct', 'type': 'created_time', 'created_time': "
		"'2026-01-02T03:04:00.000Z'},"
		" 'Creator': {'id': 'cb', 'type': 'created_by', 'created_by': {'object': 'user', "
		"'id': 'u1'}},"
		" 'Edited': {'id': 'et', 'type': 'last_edited_time', 'last_edited_time':"
		"   '2026-01-05T06:07:00.000Z'},"
		" 'Editor': {'id': 'eb', 'type': 'last_edited_by', 'last_edited_by': {'object': "
		"'user',"
		"   'id': 'u9'}},"
		" 'Ticket': {'id': 'ui', 'type': 'unique_id', 'unique_id': {'prefix': 'ENG', "
		"'number': 42}},"
		" 'Verified': {'id': 'v', 'type': 'verification', 'verification': {'state': "
		"'unverified',"
		"   'date': null, 'verified_by': null}},"
		" 'Go': {'id': 'bt', 'type': 'button', 'button': {}},"
		" 'Where': {'id': 'pl', 'type': 'place', 'place': {'lat': 1.5, 'lon': 2.5, 'name': "
		"'HQ'}},"
		" 'Future': {'id': 'fu', 'type': 'hologram', 'hologram': {'depth': [1, 2, {'x': "
		"null}]}},"
		" 'Odd': {'id': 'od'}}");
	struct task t;

	map(&cfg->dbs[0], page, &t);
	assert_string_equal(t.title, "Row"); /* unmapped title falls back to the title property */
	assert_json(meta_prop(&t, "Link"),
		    "{'id': 'u', 'type': 'url', 'value': 'https://example.com/x'}");
	assert_json(meta_prop(&t, "Contact"),
		    "{'id': 'm', 'type': 'email', 'value': 'a@example.com'}");
	assert_json(meta_prop(&t, "Phone"), "{'id': 'ph', 'type': 'phone_number', 'value': null}");
	assert_json(meta_prop(&t, "Owner"),
		    "{'id': 'o', 'type': 'people', 'value': [{'id': 'u1'},"
		    " {'id': 'u2', 'name': 'Ada', 'email': 'ada@example.com'},"
		    " {'id': 'b1', 'name': 'Bot', 'bot': true},"
		    " {'id': 'g1', 'object': 'group', 'name': 'Team'}]}");
	assert_json(meta_prop(&t, "Related"),
		    "{'id': 'r', 'type': 'relation', 'value': ['p1', 'p2']}");
	assert_json(meta_prop(&t, "Score"),
		    "{'id': 'f', 'type': 'formula', 'value': {'type': 'number', 'number': 3}}");
	assert_json(meta_prop(&t, "FText"),
		    "{'id': 'f2', 'type': 'formula', 'value': {'type': 'string', 'string': null}}");
	assert_json(
		meta_prop(&t, "FBool"),
		"{'id': 'f3', 'type': 'formula', 'value': {'type': 'boolean', 'boolean': true}}");
	assert_json(meta_prop(&t, "FDate"),
		    "{'id': 'f4', 'type': 'formula', 'value': {'type': 'date', 'date': {'start':"
		    " '2026-01-01', 'end': null, 'timeZone': null}}}");
	assert_json(meta_prop(&t, "Count"),
		    "{'id': 'ro', 'type': 'rollup', 'value': {'type': 'number',"
		    " 'number': 2, 'function': 'count'}}");
	/* signed URL and expiry removed even deep inside a rollup */
	assert_json(meta_prop(&t, "Orig"),
		    "{'id': 'ro2', 'type': 'rollup', 'value': {'type': 'array',"
		    " 'function': 'show_original', 'array': [{'type': 'files',"
		    " 'files': [{'name': 'a.pdf', 'type': 'file'}]}]}}");
	assert_json(meta_prop(&t, "Created"),
		    "{'id': 'ct', 'type': 'created_time', 'value': '2026-01-02T03:04:00.000Z'}");
	assert_json(meta_prop(&t, "Creator"),
		    "{'id': 'cb', 'type': 'created_by', 'value': {'id': 'u1'}}");
	/* values that move on page-body edits are left out */
	assert_json(meta_prop(&t, "Edited"), "{'id': 'et', 'type': 'last_edited_time'}");
	assert_json(meta_prop(&t, "Editor"), "{'id': 'eb', 'type': 'last_edited_by'}");
	assert_json(meta_prop(&t, "Ticket"),
		    "{'id': 'ui', 'type': 'unique_id', 'value': {'prefix': 'ENG', 'number': 42}}");
	assert_json(meta_prop(&t, "Verified"),
		    "{'id': 'v', 'type': 'verification', 'value': {'state':"
		    " 'unverified', 'date': null, 'verified_by': null}}");
	assert_json(meta_prop(&t, "Go"), "{'id': 'bt', 'type': 'button', 'value': {}}");
	assert_json(
		meta_prop(&t, "Where"),
		"{'id': 'pl', 'type': 'place', 'value': {'lat': 1.5, 'lon': 2.5, 'name': 'HQ'}}");
	/* unknown types: raw */
	assert_json(meta_prop(&t, "Future"),
		    "{'id': 'fu', 'type': 'hologram', 'value': {'depth': [1, 2, {'x': null}]}}");
	assert_json(meta_prop(&t, "Odd"), "{'id': 'od', 'type': null, 'value': {}}");
	assert_int_equal(json_object_size(json_object_get(t.metadata, "notionProperties")), 22);
	task_release(&t);
	json_decref(page);
	config_free(cfg);
}

static void test_rich_text(void **state)
{
	struct config *cfg = config_of("{'databases': [{'notionDatabaseId': '" DB "',"
				       " 'fieldMappings': {'Body': 'description'}}]}");
	json_t *page = page_with(
		"{'Name': {'id': 'title', 'type': 'title', 'title': [{'type': 'text', 'text': {"
		"   'content': '\xf0\x9f\x90\x9e Bug \xe2\x80\x94 caf\xc3\xa9'}, 'plain_text':"
		"   '\xf0\x9f\x90\x9e Bug \xe2\x80\x94 caf\xc3\xa9'}]},"
		" 'Body': {'id': 'b', 'type': 'rich_text', 'rich_text': ["
		"   {'type': 'text', 'text': {'content': 'See ', 'link': null}, 'annotations': {"
		"    'bold': true}, 'plain_text': 'See ', 'href': null},"
		"   {'type': 'mention', 'mention': {'type': 'page', 'page': {'id': 'p1'}},"
		"    'plain_text': 'Design doc', 'href': 'https://www.notion.so/p1'},"
		"   {'type': 'text', 'text': {'content': ', ask '}, 'plain_text': ', ask '},"
		"   {'type': 'mention', 'mention': {'type': 'user', 'user': {'object': 'user', "
		"'id': 'u1'}},"
		"    'plain_text': '@Ada'},"
		"   {'type': 'text', 'text': {'content': ' by '}, 'plain_text': ' by '},"
		"   {'type': 'mention', 'mention': {'type': 'date', 'date': {'start': "
		"'2026-02-01'}},"
		"    'plain_text': '2026-02-01'},"
		"   {'type': 'text', 'text': {'content': ': '}, 'plain_text': ': '},"
		"   {'type': 'equation', 'equation': {'expression': 'E=mc^2'}, 'plain_text': "
		"'E=mc^2'},"
		"   {'type': 'equation', 'equation': {'expression': '+1'}}]}}");
	struct task t;
	json_t *items = json_array(), *long_page;
	struct buf expect = BUF_INIT;

	map(&cfg->dbs[0], page, &t);
	assert_string_equal(t.title, "\xf0\x9f\x90\x9e Bug \xe2\x80\x94 caf\xc3\xa9");
	assert_string_equal(t.description, "See Design doc, ask @Ada by 2026-02-01: E=mc^2+1");
	task_release(&t);

	/* 2,000+ characters across items (Notion splits text at 2,000 per item) */
	for (int i = 0; i < 3; i++) {
		struct buf chunk = BUF_INIT;
		for (int k = 0; k < 2000; k++)
			buf_addch(&chunk, (char)('a' + (i + k) % 26));
		buf_adds(&expect, chunk.data);
		json_array_append_new(items,
				      json_pack("{s:s s:{s:s} s:s}", "type", "text", "text",
						"content", chunk.data, "plain_text", chunk.data));
		buf_release(&chunk);
	}
	long_page = page_with("{}");
	json_object_set_new(
		json_object_get(long_page, "properties"), "Body",
		json_pack("{s:s s:s s:o}", "id", "b", "type", "rich_text", "rich_text", items));
	map(&cfg->dbs[0], long_page, &t);
	assert_int_equal(strlen(t.description), 6000);
	assert_string_equal(t.description, expect.data);
	assert_string_equal(json_string_value(json_object_get(meta_prop(&t, "Body"), "value")),
			    expect.data);
	task_release(&t);
	buf_release(&expect);
	json_decref(long_page);
	json_decref(page);
	config_free(cfg);
}

static void test_dates(void **state)
{
	struct config *cfg =
		config_of("{'databases': [{'notionDatabaseId': '" DB "',"
			  " 'fieldMappings': {'Due': 'dueDate', 'Window': 'description',"
			  "  'Title': 'title'}}]}");
	static const struct {
		const char *date, *due, *meta;
	} cases[] = {
		{"{'start': '2026-03-01', 'end': null, 'time_zone': null}", "2026-03-01",
		 "{'start': '2026-03-01', 'end': null, 'timeZone': null}"},
		{"{'start': '2026-03-01T09:30:00.000+02:00', 'end': null, 'time_zone': null}",
		 "2026-03-01T09:30:00.000+02:00",
		 "{'start': '2026-03-01T09:30:00.000+02:00', 'end': null, 'timeZone': null}"},
		{"{'start': '2026-03-01T09:30:00.000Z', 'end': '2026-03-04T17:00:00.000Z',"
		 " 'time_zone': 'Europe/Berlin'}",
		 "2026-03-01T09:30:00.000Z",
		 "{'start': '2026-03-01T09:30:00.000Z', 'end': '2026-03-04T17:00:00.000Z',"
		 " 'timeZone': 'Europe/Berlin'}"},
		{"{'start': '2026-03-01', 'end': '2026-03-05', 'time_zone': null}", "2026-03-01",
		 "{'start': '2026-03-01', 'end': '2026-03-05', 'timeZone': null}"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct task t;
		json_t *page = page_with("{'Title': {'type': 'title', 'title': []}}");
		json_t *props = json_object_get(page, "properties");
		json_t *d = J(cases[i].date);

		json_object_set_new(props, "Due",
				    json_pack("{s:s s:O}", "type", "date", "date", d));
		json_object_set_new(props, "Window",
				    json_pack("{s:s s:o}", "type", "date", "date", d));
		map(&cfg->dbs[0], page, &t);
		assert_string_equal(t.due_date, cases[i].due);
		assert_json(json_object_get(meta_prop(&t, "Due"), "value"), cases[i].meta);
		/* on a text field a range reads start/end */
		if (json_is_string(json_object_get(d, "end"))) {
			char want[128];
			snprintf(want, sizeof(want), "%s/%s",
				 json_string_value(json_object_get(d, "start")),
				 json_string_value(json_object_get(d, "end")));
			assert_string_equal(t.description, want);
		} else {
			assert_string_equal(t.description, cases[i].due);
		}
		task_release(&t);
		json_decref(page);
	}
	config_free(cfg);
}

/* A row with Notion-hosted files whose signed URL depends on `sig`. */
static json_t *files_page(int sig, const char *external, const char *name)
{
	char props[1024];

	snprintf(props, sizeof(props),
		 "{'Name': {'id': 'title', 'type': 'title', 'title': [{'plain_text': 'Row'}]},"
		 " 'Attachments': {'id': 'fa', 'type': 'files', 'files': ["
		 "  {'name': '%s', 'type': 'file', 'file': {'url':"
		 "   "
		 "'https://prod-files-secure.s3.us-west-2.amazonaws.com/a/"
		 "spec.pdf?X-Amz-Signature=%08d',"
		 "   'expiry_time': '2026-01-05T0%d:00:00.000Z'}},"
		 "  {'name': 'site', 'type': 'external', 'external': {'url': '%s'}}]}}",
		 name, sig * 7919, sig % 10, external);
	return page_with(props);
}

static void test_hash_stable_across_resigned_urls(void **state)
{
	struct config *cfg = config_of("{'databases': [{'notionDatabaseId': '" DB "'}]}");
	char h1[HASH_HEX_LEN + 1], h2[HASH_HEX_LEN + 1];
	struct task a, b;
	json_t *p1 = files_page(1, "https://example.com", "spec.pdf");
	json_t *p2 = files_page(2, "https://example.com", "spec.pdf");
	json_t *p3 = files_page(3, "https://example.org", "spec.pdf");
	json_t *p4 = files_page(4, "https://example.com", "spec-v2.pdf");
	char *meta;

	map(&cfg->dbs[0], p1, &a);
	map(&cfg->dbs[0], p2, &b);
	task_content_hash(&a, h1);
	task_content_hash(&b, h2);
	assert_string_equal(h1, h2);
	meta = json_dumps(a.metadata, JSON_COMPACT);
	assert_null(strstr(meta, "Signature"));
	assert_null(strstr(meta, "expiry"));
	assert_non_null(strstr(meta, "https://example.com")); /* external URLs are kept */
	free(meta);
	assert_json(meta_prop(&a, "Attachments"),
		    "{'id': 'fa', 'type': 'files', 'value': [{'name': 'spec.pdf', 'type': 'file'},"
		    " {'name': 'site', 'type': 'external', 'url': 'https://example.com'}]}");
	task_release(&b);
	/* real changes still change the hash */
	map(&cfg->dbs[0], p3, &b);
	task_content_hash(&b, h2);
	assert_string_not_equal(h1, h2);
	task_release(&b);
	map(&cfg->dbs[0], p4, &b);
	task_content_hash(&b, h2);
	assert_string_not_equal(h1, h2);
	task_release(&b);
	/* a new last_edited_time alone (page body edit) changes nothing */
	json_object_set_new(p2, "last_edited_time", json_string("2026-02-01T00:00:00.000Z"));
	json_object_set_new(
		json_object_get(p2, "properties"), "Edited",
		J("{'type': 'last_edited_time', 'last_edited_time': '2026-02-01T00:00:00.000Z'}"));
	json_object_set_new(
		json_object_get(p1, "properties"), "Edited",
		J("{'type': 'last_edited_time', 'last_edited_time': '2026-01-05T06:07:00.000Z'}"));
	task_release(&a);
	map(&cfg->dbs[0], p1, &a);
	map(&cfg->dbs[0], p2, &b);
	task_content_hash(&a, h1);
	task_content_hash(&b, h2);
	assert_string_equal(h1, h2);
	task_release(&a);
	task_release(&b);
	json_decref(p1);
	json_decref(p2);
	json_decref(p3);
	json_decref(p4);
	config_free(cfg);
}

/* Status of a row whose Status option is `name`, under cfg. */
static void status_of(const struct db_config *db, const char *type, const char *value_json,
		      const char *want_status, const char *want_notion)
{
	struct task t;
	json_t *page = page_with("{}");
	json_t *prop = json_pack("{s:s s:o}", "type", type, type, J(value_json));

	json_object_set_new(json_object_get(page, "properties"), "State", prop);
	map(db, page, &t);
	assert_string_equal(t.status, want_status);
	if (want_notion)
		assert_string_equal(t.notion_status, want_notion);
	else
		assert_null(t.notion_status);
	task_release(&t);
	json_decref(page);
}

static void test_status_rules(void **state)
{
	struct config *cfg =
		config_of("{'databases': [{'notionDatabaseId': '" DB
			  "', 'fieldMappings': {'State': 'status'},"
			  " 'statusMap': {'Shipped': 'done', 'Parked': 'wont_do'}},"
			  " {'notionDatabaseId': '" DS "', 'fieldMappings': {'State': 'status'},"
			  "  'statusMap': {'false': 'backlog'}}]}");
	const struct db_config *db = &cfg->dbs[0];

	status_of(db, "status", "{'name': 'Shipped'}", "done", "Shipped");
	status_of(db, "status", "{'name': 'shipped'}", "done", "shipped");
	status_of(db, "select", "{'name': 'Parked'}", "wont_do", "Parked");
	status_of(db, "status", "{'name': 'In Progress'}", "in_progress", "In Progress");
	status_of(db, "status", "{'name': 'Blocked'}", "blocked", "Blocked");
	status_of(db, "status", "{'name': 'Incomplete'}", "open", "Incomplete");
	status_of(db, "status", "{'name': 'Not done'}", "open", "Not done");
	status_of(db, "status", "{'name': 'Done!'}", "open", "Done!");
	status_of(db, "status", "null", "open", NULL);
	status_of(db, "rich_text", "[{'plain_text': 'review'}]", "review", "review");
	status_of(db, "checkbox", "true", "done", "true");
	status_of(db, "checkbox", "false", "open", "false");
	status_of(&cfg->dbs[1], "checkbox", "false", "backlog", "false");
	/* a type the status field does not take: left open, nothing guessed */
	status_of(db, "number", "5", "open", NULL);
	config_free(cfg);
}

static void test_tags_from_other_types(void **state)
{
	struct config *cfg = config_of("{'databases': [{'notionDatabaseId': '" DB "',"
				       " 'fieldMappings': {'T': 'tags'}}]}");
	static const struct {
		const char *type, *value, *tags;
	} cases[] = {
		{"select", "{'name': 'urgent'}", "['urgent']"},
		{"select", "null", NULL},
		{"status", "{'name': 'Doing'}", "['Doing']"},
		{"rich_text", "[{'plain_text': 'a, b ,'}, {'plain_text': ',,c'}]",
		 "['a', 'b', 'c']"},
		{"rich_text", "[{'plain_text': ' , '}]", NULL},
		{"title", "[{'plain_text': 'solo'}]", "['solo']"},
		{"checkbox", "true", "['T']"},
		{"checkbox", "false", NULL},
		{"multi_select", "[{'name': 'z'}, {'name': 'y'}, {'name': 'x'}]",
		 "['z', 'y', 'x']"},
		{"number", "3", NULL},
		{"date", "{'start': '2026-01-01'}", NULL},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct task t;
		json_t *page = page_with("{}");
		json_object_set_new(json_object_get(page, "properties"), "T",
				    json_pack("{s:s s:o}", "type", cases[i].type, cases[i].type,
					      J(cases[i].value)));
		map(&cfg->dbs[0], page, &t);
		if (cases[i].tags)
			assert_json(t.tags, cases[i].tags);
		else if (t.tags)
			fail_msg("case %zu: expected no tags", i);
		task_release(&t);
		json_decref(page);
	}
	config_free(cfg);
}

/* people → assignee: names joined with ", "; nameless people skipped; ids in metadata. */
static void test_people_assignee(void **state)
{
	struct config *cfg = config_of("{'databases': [{'notionDatabaseId': '" DB "',"
				       " 'fieldMappings': {'Owner': 'assignee'}}]}");
	static const struct {
		const char *value, *assignee;
	} cases[] = {
		{"[{'object': 'user', 'id': 'u1', 'name': 'Ada'},"
		 " {'object': 'user', 'id': 'u2', 'name': 'Grace'}]",
		 "Ada, Grace"},
		{"[{'object': 'user', 'id': 'u1', 'name': null},"
		 " {'object': 'user', 'id': 'u2', 'name': 'Grace'}]",
		 "Grace"},
		{"[{'object': 'user', 'id': 'u1', 'name': null}]", NULL},
		{"[{'object': 'user', 'id': 'u1'}]", NULL},
		{"[]", NULL},
		{"[{'object': 'group', 'id': 'g1', 'name': 'Team'}]", "Team"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct task t;
		json_t *page = page_with("{}");
		json_object_set_new(json_object_get(page, "properties"), "Owner",
				    json_pack("{s:s s:s s:o}", "id", "o", "type", "people",
					      "people", J(cases[i].value)));
		map(&cfg->dbs[0], page, &t);
		if (cases[i].assignee)
			assert_string_equal(t.assignee, cases[i].assignee);
		else if (t.assignee)
			fail_msg("case %zu: expected no assignee, got '%s'", i, t.assignee);
		/* every person's id stays in the metadata, named or not */
		assert_int_equal(
			json_array_size(json_object_get(meta_prop(&t, "Owner"), "value")),
			json_array_size(json_object_get(
				json_object_get(json_object_get(page, "properties"), "Owner"),
				"people")));
		task_release(&t);
		json_decref(page);
	}
	/* the schema check accepts people for assignee */
	json_t *schema =
		J("{'Name': {'id': 'title', 'name': 'Name', 'type': 'title', 'title': {}},"
		  " 'Owner': {'id': 'o', 'name': 'Owner', 'type': 'people', 'people': {}}}");
	struct nv_err err;
	nv_err_clear(&err);
	assert_int_equal(mapper_check_schema(&cfg->dbs[0], schema, &err), NV_OK);
	json_decref(schema);
	config_free(cfg);
}

static void test_schema_check(void **state)
{
	struct config *cfg = config_of(
		"{'databases': [{'notionDatabaseId': '" DB "', 'name': 'Eng', 'fieldMappings': {"
		" 'Name': 'title', 'Owner': 'description', 'Due': 'dueDate', 'Estimate': "
		"'category'}},"
		" {'notionDatabaseId': '" DS "', 'fieldMappings': {'Estimate': 'dueDate'}}]}");
	json_t *schema =
		J("{'Name': {'id': 'title', 'name': 'Name', 'type': 'title', 'title': {}},"
		  " 'Owner': {'id': 'o', 'name': 'Owner', 'type': 'people', 'people': {}},"
		  " 'Due date': {'id': 'd', 'name': 'Due date', 'type': 'date', 'date': {}},"
		  " 'Estimate': {'id': 'e', 'name': 'Estimate', 'type': 'number', 'number': {}}}");
	struct nv_err err;

	assert_int_equal(mapper_check_schema(&cfg->dbs[0], schema, &err), NV_ECONFIG);
	/* a mapping loaded from a file is named by its place there */
	assert_non_null(strstr(err.msg,
			       ":1: databases[0].fieldMappings.Owner: property \"Owner\" is of "
			       "type people, which cannot map to description (description takes"));
	assert_non_null(strstr(err.msg,
			       "property \"Due\" (mapped to dueDate) does not exist; the data "
			       "source's properties are: \"Name\" (title), \"Owner\" (people), "
			       "\"Due date\" (date), \"Estimate\" (number)"));
	assert_null(strstr(err.msg, "\"Estimate\" (mapped")); /* number → category is fine */
	assert_non_null(strchr(err.msg, '\n'));		      /* both problems, one per line */
	assert_int_equal(mapper_check_schema(&cfg->dbs[1], schema, &err), NV_ECONFIG);
	assert_non_null(strstr(err.msg,
			       "property \"Estimate\" is of type number, which cannot map to "
			       "dueDate (dueDate takes date, title, rich_text)"));
	assert_string_equal(mapper_title_property_id(schema), "title");
	assert_null(mapper_title_property_id(NULL));
	assert_int_equal(mapper_check_schema(&cfg->dbs[0], NULL, &err), NV_EINVAL);
	json_object_set_new(schema, "Due", J("{'id': 'x', 'type': 'date', 'date': {}}"));
	json_object_set_new(schema, "Owner",
			    J("{'id': 'o', 'type': 'rich_text', 'rich_text': {}}"));
	assert_int_equal(mapper_check_schema(&cfg->dbs[0], schema, &err), NV_OK);
	json_decref(schema);
	config_free(cfg);
}

static void test_truncated_values(void **state)
{
	struct config *cfg = config_of("{'databases': [{'notionDatabaseId': '" DB "'}]}");
	json_t *page =
		page_with("{'Name': {'id': 'title', 'type': 'title', 'title': []},"
			  " 'Related': {'id': 'rel', 'type': 'relation', 'relation': [],"
			  "   'has_more': true},"
			  " 'Owner': {'id': 'own', 'type': 'people', 'people': []},"
			  " 'Few': {'id': 'few', 'type': 'people', 'people': [{'id': 'u'}]}}");
	json_t *props = json_object_get(page, "properties");
	json_t *rel = json_object_get(json_object_get(props, "Related"), "relation");
	json_t *people = json_object_get(json_object_get(props, "Owner"), "people");
	json_t *list, *items = json_array();
	struct task t;
	char id[16];

	for (int i = 0; i < 25; i++) {
		snprintf(id, sizeof(id), "r%d", i);
		json_array_append_new(rel, json_pack("{s:s}", "id", id));
		json_array_append_new(people, json_pack("{s:s s:s}", "object", "user", "id", id));
	}
	list = mapper_truncated_properties(page);
	assert_json(list, "[{'name': 'Related', 'id': 'rel', 'type': 'relation'},"
			  " {'name': 'Owner', 'id': 'own', 'type': 'people'}]");
	json_decref(list);

	/* the property-item endpoint's results complete the relation */
	for (int i = 0; i < 30; i++) {
		snprintf(id, sizeof(id), "r%d", i);
		json_array_append_new(items, json_pack("{s:s s:s s:s s:{s:s}}", "object",
						       "property_item", "id", "rel", "type",
						       "relation", "relation", "id", id));
	}
	assert_int_equal(mapper_splice_property(page, "Related", items), 0);
	assert_int_equal(
		json_array_size(json_object_get(json_object_get(props, "Related"), "relation")),
		30);
	/* items of another type do not fit, and leave the page alone */
	assert_int_equal(mapper_splice_property(page, "Owner", items), -1);
	assert_int_equal(json_array_size(people), 25);
	assert_int_equal(mapper_splice_property(page, "Nope", items), -1);
	assert_int_equal(mapper_splice_property(page, "Related", NULL), -1);
	mapper_mark_truncated(page, "Owner");
	mapper_mark_truncated(page, "Nope");
	list = mapper_truncated_properties(page);
	assert_json(list, "[{'name': 'Owner', 'id': 'own', 'type': 'people'}]");
	json_decref(list);

	map(&cfg->dbs[0], page, &t);
	assert_int_equal(json_array_size(json_object_get(meta_prop(&t, "Related"), "value")), 30);
	assert_null(json_object_get(meta_prop(&t, "Related"), "truncated"));
	assert_true(json_is_true(json_object_get(meta_prop(&t, "Owner"), "truncated")));
	assert_null(json_object_get(meta_prop(&t, "Few"), "truncated"));
	task_release(&t);

	/* rich text splice (one rich text item per result) */
	json_decref(items);
	items = J(
		"[{'object': 'property_item', 'type': 'title', 'title': {'plain_text': 'Part 1 '}},"
		" {'object': 'property_item', 'type': 'title', 'title': {'plain_text': 'part "
		"2'}}]");
	assert_int_equal(mapper_splice_property(page, "Name", items), 0);
	map(&cfg->dbs[0], page, &t);
	assert_string_equal(t.title, "Part 1 part 2");
	task_release(&t);
	json_decref(items);
	json_decref(page);
	config_free(cfg);
}

static void test_trash_ids_and_hostile_input(void **state)
{
	struct config *cfg =
		config_of("{'databases': [{'notionDatabaseId': '" DB "',"
			  " 'fieldMappings': {'N': 'title', 'S': 'status', 'T': 'tags',"
			  "  'D': 'dueDate', 'X': 'description'}}]}");
	struct task t;
	struct nv_err err;
	json_t *page;
	static const char *const not_pages[] = {
		"[]",
		"'page'",
		"{'object': 'database', 'id': '" PAGE "', 'properties': {}}",
		"{'object': 'page', 'properties': {}}",
		"{'object': 'page', 'id': 'xyz', 'properties': {}}",
	};

	for (size_t i = 0; i < sizeof(not_pages) / sizeof(not_pages[0]); i++) {
		json_t *j = J(not_pages[i]);
		task_init(&t);
		assert_int_equal(mapper_map_page(&cfg->dbs[0], DS, j, &t, &err), NV_EINVAL);
		task_release(&t);
		json_decref(j);
	}
	page = J("{'object': 'page', 'id': '" PAGE "'}");
	task_init(&t);
	assert_int_equal(mapper_map_page(&cfg->dbs[0], DS, page, &t, &err), NV_EINVAL);
	assert_non_null(strstr(err.msg, "read content"));
	task_release(&t);
	json_decref(page);

	/* every property malformed: kept raw, nothing crashes, fields cleared */
	page = page_with(
		"{'N': {'type': 5, 'title': 'x'}, 'S': {'type': 'status', 'status': [1]},"
		" 'T': {'type': 'multi_select', 'multi_select': [1, null, {'name': 3}, {}]},"
		" 'D': {'type': 'date', 'date': {'start': 7}},"
		" 'X': {'type': 'rich_text', 'rich_text': [null, 1, {'type': 'text'},"
		"   {'type': 'mention'}, {'plain_text': 5}]},"
		" 'F': {'type': 'files', 'files': [1, {'type': 'file', 'file': 'x'},"
		"   {'name': 'n'}, {'type': 'file_upload', 'file_upload': {'id': 'up'}}]},"
		" 'P': {'type': 'people', 'people': {'a': 1}},"
		" 'R': 'text', 'Q': null}");
	json_object_set_new(page, "in_trash", json_true());
	json_object_set_new(page, "url", json_integer(3));
	map(&cfg->dbs[0], page, &t);
	assert_int_equal(t.active, 0);
	assert_null(t.title);
	assert_null(t.notion_url);
	assert_string_equal(t.status, "open");
	assert_null(t.tags);
	assert_null(t.due_date);
	assert_null(t.description);
	assert_json(meta_prop(&t, "F"),
		    "{'type': 'files', 'value': [1, {'name': null, 'type': 'file'}, {'name': 'n'},"
		    " {'name': null, 'type': 'file_upload', 'file_upload': {'id': 'up'}}]}");
	assert_json(meta_prop(&t, "R"), "{'type': 'unknown', 'value': 'text'}");
	task_release(&t);

	/* archived (older versions) also means trashed; no db config; compact page id */
	json_object_del(page, "in_trash");
	json_object_set_new(page, "archived", json_true());
	json_object_set_new(page, "id", json_string("BE633BF1DFA0436DB259571129A590E5"));
	task_init(&t);
	assert_int_equal(mapper_map_page(NULL, NULL, page, &t, &err), NV_OK);
	assert_int_equal(t.active, 0);
	assert_string_equal(t.notion_page_id, PAGE);
	assert_string_equal(t.notion_database_id, DB); /* from the parent */
	assert_string_equal(t.notion_data_source_id, DS);
	assert_null(t.scope);
	task_release(&t);
	json_decref(page);
	config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eight_types_with_values),
		cmocka_unit_test(test_eight_types_empty),
		cmocka_unit_test(test_eight_types_null),
		cmocka_unit_test(test_other_types_in_metadata),
		cmocka_unit_test(test_rich_text),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_hash_stable_across_resigned_urls),
		cmocka_unit_test(test_status_rules),
		cmocka_unit_test(test_tags_from_other_types),
		cmocka_unit_test(test_people_assignee),
		cmocka_unit_test(test_schema_check),
		cmocka_unit_test(test_truncated_values),
		cmocka_unit_test(test_trash_ids_and_hostile_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
