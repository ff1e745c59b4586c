/*
 * test_notion_json.c: issue 15 #3, reading Notion answers that plain JSON
 * parsing refuses. Each class of poison in one row of a three-row page: the
 * page still reads, the good rows intact, the poisoned value repaired (and
 * counted) or its row replaced by an unreadable stub naming its page id.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "notion/notion_json.h"
#include "util/buf.h"

#define ID_A "11111111-1111-4111-8111-111111111111"
#define ID_B "22222222-2222-4222-8222-222222222222"
#define ID_C "33333333-3333-4333-8333-333333333333"

/* A query answer whose middle row's title is the raw JSON text `title`. */
static char *page_with(const char *title_json)
{
	struct buf b = BUF_INIT;

	buf_addf(&b,
		 "{\"object\":\"list\",\"results\":["
		 "{\"object\":\"page\",\"id\":\"" ID_A "\",\"last_edited_time\":"
		 "\"2026-01-01T00:00:00.000Z\",\"properties\":{\"Name\":\"a\"}},"
		 "{\"object\":\"page\",\"id\":\"" ID_B "\",\"last_edited_time\":"
		 "\"2026-01-02T00:00:00.000Z\",\"properties\":{\"Name\":%s}},"
		 "{\"object\":\"page\",\"id\":\"" ID_C "\",\"last_edited_time\":"
		 "\"2026-01-03T00:00:00.000Z\",\"properties\":{\"Name\":\"c\"}}],"
		 "\"has_more\":false,\"next_cursor\":null}",
		 title_json);
	return buf_detach(&b);
}

static json_t *row(json_t *doc, size_t i)
{
	return json_array_get(json_object_get(doc, "results"), i);
}

static void check_outer_rows(json_t *doc)
{
	assert_non_null(doc);
	assert_int_equal(json_array_size(json_object_get(doc, "results")), 3);
	assert_string_equal(json_string_value(json_object_get(row(doc, 0), "id")), ID_A);
	assert_string_equal(json_string_value(json_object_get(row(doc, 2), "id")), ID_C);
	assert_true(json_is_false(json_object_get(doc, "has_more")));
}

static const char *name_of(json_t *doc)
{
	return json_string_value(
		json_object_get(json_object_get(row(doc, 1), "properties"), "Name"));
}

static void test_valid_page_untouched(void **state)
{
	struct notion_json_repairs rep = {0, 0, 0};
	json_error_t jerr;
	char *text = page_with("\"caf\\u00e9 \\ud83d\\ude00\"");
	json_t *doc = notion_json_read(text, strlen(text), &rep, &jerr);

	(void)state;
	check_outer_rows(doc);
	assert_string_equal(name_of(doc), "caf\xc3\xa9 \xf0\x9f\x98\x80");
	assert_int_equal(rep.text + rep.numbers + rep.rows, 0);
	json_decref(doc);
	free(text);
}

static void test_nul_is_read(void **state)
{
	struct notion_json_repairs rep = {0, 0, 0};
	json_error_t jerr;
	char *text = page_with("\"before\\u0000after\"");
	json_t *doc = notion_json_read(text, strlen(text), &rep, &jerr);
	json_t *v;

	(void)state;
	check_outer_rows(doc);
	v = json_object_get(json_object_get(row(doc, 1), "properties"), "Name");
	/* nothing after the NUL is lost: it becomes U+FFFD, and the repair is counted */
	assert_string_equal(json_string_value(v), "before\xef\xbf\xbd"
						  "after");
	assert_int_equal(json_string_length(v), strlen("before\xef\xbf\xbd"
						       "after"));
	assert_int_equal(rep.text, 1);
	json_decref(doc);
	free(text);
}

static const struct {
	const char *what;
	const char *title;
	const char *expect; /* the repaired value */
	int text, numbers;
} repairs[] = {
	{"lone high surrogate (emoji split)", "\"cut \\ud83d\"", "cut \xef\xbf\xbd", 1, 0},
	{"lone low surrogate", "\"\\ude00 tail\"", "\xef\xbf\xbd tail", 1, 0},
	{"invalid UTF-8 byte", "\"bad \xff byte\"", "bad \xef\xbf\xbd byte", 1, 0},
	{"truncated UTF-8", "\"cut \xe6\x97\"", "cut \xef\xbf\xbd\xef\xbf\xbd", 2, 0},
	{"raw control byte", "\"tab\x01here\"", "tab\x01here", 1, 0},
	{"number beyond 1e308", "1e400", "1e400", 0, 1},
	{"integer beyond 2^63", "123456789012345678901234567890", "123456789012345678901234567890",
	 0, 1},
};

static void test_repairs(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(repairs) / sizeof(repairs[0]); i++) {
		struct notion_json_repairs rep = {0, 0, 0};
		json_error_t jerr;
		char *text = page_with(repairs[i].title);
		json_t *doc = notion_json_read(text, strlen(text), &rep, &jerr);

		if (!doc)
			fail_msg("%s: unreadable: %s", repairs[i].what, jerr.text);
		check_outer_rows(doc);
		if (!name_of(doc) || strcmp(name_of(doc), repairs[i].expect))
			fail_msg("%s: got '%s'", repairs[i].what,
				 name_of(doc) ? name_of(doc) : "(null)");
		assert_int_equal(rep.text, repairs[i].text);
		assert_int_equal(rep.numbers, repairs[i].numbers);
		assert_int_equal(rep.rows, 0);
		json_decref(doc);
		free(text);
	}
}

/* Nesting deeper than jansson reads: the row becomes a stub, the page reads. */
static void test_deep_row_quarantined(void **state)
{
	struct notion_json_repairs rep = {0, 0, 0};
	struct buf deep = BUF_INIT;
	json_error_t jerr;
	json_t *doc, *stub;
	char *text;

	(void)state;
	for (int i = 0; i < 3000; i++)
		buf_adds(&deep, "[");
	for (int i = 0; i < 3000; i++)
		buf_adds(&deep, "]");
	text = page_with(deep.data);
	doc = notion_json_read(text, strlen(text), &rep, &jerr);
	check_outer_rows(doc);
	stub = row(doc, 1);
	assert_string_equal(json_string_value(json_object_get(stub, "id")), ID_B);
	assert_string_equal(json_string_value(json_object_get(stub, "last_edited_time")),
			    "2026-01-02T00:00:00.000Z");
	assert_non_null(json_string_value(json_object_get(stub, NOTION_UNREADABLE_KEY)));
	assert_int_equal(rep.rows, 1);
	json_decref(doc);
	free(text);
	buf_release(&deep);
}

/* A body whose envelope is broken is not read at all. */
static void test_broken_envelope(void **state)
{
	struct notion_json_repairs rep = {0, 0, 0};
	json_error_t jerr;
	const char *text = "{\"object\":\"list\",\"results\":[],\"has_more\":";

	(void)state;
	assert_null(notion_json_read(text, strlen(text), &rep, &jerr));
	assert_null(notion_json_read("<html>502</html>", 16, &rep, &jerr));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_page_untouched),
		cmocka_unit_test(test_nul_is_read),
		cmocka_unit_test(test_repairs),
		cmocka_unit_test(test_deep_row_quarantined),
		cmocka_unit_test(test_broken_envelope),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
