/*
 * test_util.c: the utility layer: buffers (including the cap), ISO time
 * parsing and formatting, Notion id normalisation, hashing, settings,
 * jansson's allocator.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "config/config.h"
#include "task/task.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/hash.h"
#include "util/id.h"
#include "util/timeutil.h"
#include "util/utf8.h"
#include "util/xalloc.h"

static void test_buf_grows_and_caps(void **state)
{
	struct buf b = BUF_INIT;

	assert_string_equal(buf_str(&b), "");
	for (int i = 0; i < 1000; i++)
		assert_int_equal(buf_addf(&b, "%d,", i), 0);
	assert_int_equal(strncmp(b.data, "0,1,2,", 6), 0);
	assert_int_equal(b.len, strlen(b.data));
	buf_release(&b);

	buf_init(&b, 8);
	assert_int_equal(buf_adds(&b, "12345678"), 0);
	assert_int_equal(buf_addch(&b, '9'), -1);
	assert_string_equal(b.data, "12345678");
	buf_release(&b);
}

static void test_time_roundtrip(void **state)
{
	int64_t ms;
	char out[TIME_ISO_MAX];

	assert_int_equal(time_parse_iso("2026-01-31T09:05:00.123Z", &ms), 0);
	assert_string_equal(time_format_iso(ms, out), "2026-01-31T09:05:00.123Z");
	assert_int_equal(time_parse_iso("2026-01-31", &ms), 0);
	assert_string_equal(time_format_iso(ms, out), "2026-01-31T00:00:00.000Z");
	assert_int_equal(time_parse_iso("2026-01-31T10:05+01:00", &ms), 0);
	assert_string_equal(time_format_iso(ms, out), "2026-01-31T09:05:00.000Z");
	assert_int_equal(time_parse_iso("2024-02-29T23:59:59.9999-0530", &ms), 0);
	assert_string_equal(time_format_iso(ms, out), "2024-03-01T05:29:59.999Z");
	assert_int_equal(time_parse_iso("2023-02-29", &ms), -1);
	assert_int_equal(time_parse_iso("2026-13-01", &ms), -1);
	assert_int_equal(time_parse_iso("2026-01-01T25:00Z", &ms), -1);
	assert_int_equal(time_parse_iso("yesterday", &ms), -1);
	assert_int_equal(time_parse_iso("2026-01-01Tjunk", &ms), -1);
	assert_int_equal(time_parse_iso(NULL, &ms), -1);
}

static void test_ids(void **state)
{
	char out[ID_DASHED_LEN + 1], compact[33], a[ID_DASHED_LEN + 1], b[ID_DASHED_LEN + 1];

	assert_int_equal(id_normalize("1A2B3C4D5E6F47A8B9C0D1E2F3A4B5C6", out), 0);
	assert_string_equal(out, "1a2b3c4d-5e6f-47a8-b9c0-d1e2f3a4b5c6");
	assert_int_equal(id_normalize("1a2b3c4d-5e6f-47a8-b9c0-d1e2f3a4b5c6", out), 0);
	assert_int_equal(id_compact(out, compact), 0);
	assert_string_equal(compact, "1a2b3c4d5e6f47a8b9c0d1e2f3a4b5c6");
	assert_int_equal(id_normalize("1a2b3c4d5e6f47a8b9c0d1e2f3a4b5c", out), -1);
	assert_int_equal(id_normalize("1a2b3c4d5e6f47a8b9c0d1e2f3a4b5c67", out), -1);
	assert_int_equal(id_normalize("zz2b3c4d5e6f47a8b9c0d1e2f3a4b5c6", out), -1);
	id_new_uuid(a);
	id_new_uuid(b);
	assert_int_equal(strlen(a), 36);
	assert_int_equal(a[14], '4');
	assert_string_not_equal(a, b);
}

/* v7 ids carry the time, sort in the order they were made, and are valid ids. */
static void test_uuid7(void **state)
{
	char prev[ID_DASHED_LEN + 1], cur[ID_DASHED_LEN + 1], norm[ID_DASHED_LEN + 1];
	char hex[33];
	int64_t before = time_now_ms(), ms = 0;

	id_new_uuid7(prev);
	assert_int_equal(strlen(prev), 36);
	assert_int_equal(prev[14], '7');
	assert_true(strchr("89ab", prev[19]) != NULL);
	assert_int_equal(id_normalize(prev, norm), 0);
	assert_string_equal(norm, prev);
	assert_int_equal(id_compact(prev, hex), 0);
	for (int i = 0; i < 12; i++)
		ms = ms * 16 + (hex[i] <= '9' ? hex[i] - '0' : hex[i] - 'a' + 10);
	assert_true(ms >= before && ms <= time_now_ms());
	/* many in the same millisecond still come out strictly increasing */
	for (int i = 0; i < 10000; i++) {
		id_new_uuid7(cur);
		assert_true(strcmp(prev, cur) < 0);
		memcpy(prev, cur, sizeof(prev));
	}
}

static void test_hash(void **state)
{
	char out[HASH_HEX_LEN + 1];

	hash_sha256_hex("abc", 3, out);
	assert_string_equal(out,
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	hash_sha256_hex2("a", "bc", out);
	assert_string_equal(out,
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_status_words(void **state)
{
	assert_string_equal(task_status_parse("In progress"), "in_progress");
	assert_string_equal(task_status_parse("IN_PROGRESS"), "in_progress");
	assert_string_equal(task_status_parse("Won't do"), "wont_do");
	assert_string_equal(task_status_parse("done"), "done");
	assert_null(task_status_parse("Incomplete"));
	assert_null(task_status_parse("Done-ish"));
	assert_null(task_status_parse(NULL));
}

static void test_content_hash_ignores_bookkeeping(void **state)
{
	struct task a, b;
	char ha[HASH_HEX_LEN + 1], hb[HASH_HEX_LEN + 1];

	task_init(&a);
	a.title = strdup("Write tests");
	a.tags = json_pack("[s,s]", "x", "y");
	task_copy(&b, &a);
	b.updated_at = strdup("2026-01-01T00:00:00.000Z");
	b.notion_last_edited_time = strdup("2026-01-01T00:00:00.000Z");
	task_content_hash(&a, ha);
	task_content_hash(&b, hb);
	assert_string_equal(ha, hb);
	free(b.title);
	b.title = strdup("Write more tests");
	task_content_hash(&b, hb);
	assert_string_not_equal(ha, hb);
	task_release(&a);
	task_release(&b);
}

static void test_settings_env(void **state)
{
	struct settings st;
	struct nv_err err;

	setenv("NVAULT_DB", "/tmp/x.db", 1);
	setenv("AGENT_MEMORY_NOTION_SYNC_ENABLED", "maybe", 1);
	assert_int_equal(settings_resolve(&st, NULL, NULL, &err), NV_ECONFIG);
	assert_non_null(strstr(err.msg, "AGENT_MEMORY_NOTION_SYNC_ENABLED"));
	setenv("AGENT_MEMORY_NOTION_SYNC_ENABLED", "off", 1);
	assert_int_equal(settings_resolve(&st, "/flag.db", NULL, &err), NV_OK);
	assert_string_equal(st.db_path, "/flag.db");
	assert_int_equal(st.sync_enabled, 0);
	settings_release(&st);
	unsetenv("AGENT_MEMORY_NOTION_SYNC_ENABLED");
	assert_int_equal(settings_resolve(&st, NULL, NULL, &err), NV_OK);
	assert_string_equal(st.db_path, "/tmp/x.db");
	assert_string_equal(st.schedule, "0 5 * * *");
	assert_int_equal(st.sync_enabled, 1);
	settings_release(&st);
	assert_int_equal(settings_parse_bool("Yes"), 1);
	assert_int_equal(settings_parse_bool("0"), 0);
	assert_int_equal(settings_parse_bool("2"), -1);
}

/* issue 15 #9: strict UTF-8, with the offset of the first bad byte */
static void test_utf8(void **state)
{
	static const struct {
		const char *s;
		size_t bad;
	} cases[] = {
		{"", UTF8_VALID},
		{"plain", UTF8_VALID},
		{"caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80", UTF8_VALID},
		{"bad\xff", 3},
		{"\xc3", 0},		      /* truncated */
		{"a\xc3(", 1},		      /* bad continuation */
		{"\xc0\xaf", 0},	      /* overlong */
		{"\xe0\x80\xaf", 0},	      /* overlong */
		{"x\xed\xa0\x80", 1},	      /* a UTF-16 surrogate */
		{"\xf4\x90\x80\x80", 0},      /* above U+10FFFF */
		{"ok\xf0\x9f\x98", 2},	      /* emoji cut short */
		{"\xef\xbf\xbd", UTF8_VALID}, /* U+FFFD itself */
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(utf8_invalid_at(cases[i].s, strlen(cases[i].s)), cases[i].bad);
}

/* jansson allocates through xmalloc: set before main(), failure aborts. */
static void test_jansson_uses_xmalloc(void **state)
{
	json_malloc_t m = NULL;
	json_free_t f = NULL;
	json_t *v;
	char *text;
	pid_t pid;
	int status;

	(void)state;
	json_get_alloc_funcs(&m, &f);
	assert_ptr_equal(m, xmalloc);
	assert_ptr_equal(f, free);
	/* what jansson hands out is still released with free() */
	v = json_pack("{s:[s,i]}", "k", "v", 1);
	text = json_dumps(v, JSON_COMPACT);
	assert_string_equal(text, "{\"k\":[\"v\",1]}");
	free(text);
	json_decref(v);
	/* an allocation jansson cannot get does not come back NULL */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		void *p = m((size_t)-1 / 2);
		_exit(p ? 4 : 3);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_false(WIFEXITED(status) && (WEXITSTATUS(status) == 3 || WEXITSTATUS(status) == 4));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_grows_and_caps),
		cmocka_unit_test(test_time_roundtrip),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_uuid7),
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_status_words),
		cmocka_unit_test(test_content_hash_ignores_bookkeeping),
		cmocka_unit_test(test_settings_env),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_jansson_uses_xmalloc),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
