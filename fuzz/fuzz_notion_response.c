/*
 * fuzz_notion_response.c: libFuzzer target for the whole Notion response
 * path (issue 15): the bytes of a query answer → notion_json_read() (with
 * its repairs and row-by-row reading) → each row mapped → written to a real
 * store file. Checked besides "no crash, no leak": a readable answer is an
 * object; every string in it is valid UTF-8 (what the repairs promise);
 * every unreadable stub carries its reason; a mapped row is written and
 * written again unchanged (same content, no second version).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "mapper/mapper.h"
#include "notion/notion_json.h"
#include "store/store.h"
#include "task/task.h"
#include "util/utf8.h"

static const char fuzz_config[] =
	"{\"databases\": [{\"notionDatabaseId\": \"1a2b3c4d5e6f47a8b9c0d1e2f3a4b5c6\","
	" \"projectScopeId\": \"fuzz\","
	" \"fieldMappings\": {\"Name\": \"title\", \"Notes\": \"description\", \"Status\": "
	"\"status\", \"Tags\": \"tags\", \"Due\": \"dueDate\"}}]}";

#define DS "2b3c4d5e-6f70-48a9-b0c1-d2e3f4a5b6c7"

static void check_utf8(const json_t *v)
{
	const char *key;
	json_t *x;
	size_t i;

	if (json_is_string(v)) {
		if (utf8_invalid_at(json_string_value(v), json_string_length(v)) != UTF8_VALID)
			abort();
	} else if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, x)
		{
			if (utf8_invalid_at(key, strlen(key)) != UTF8_VALID)
				abort();
			check_utf8(x);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x) check_utf8(x);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config *cfg;
	static struct store *s;
	struct notion_json_repairs rep = {0, 0, 0};
	struct nv_err err;
	json_error_t jerr;
	json_t *doc, *row;
	size_t i;

	if (!cfg && config_load_string(fuzz_config, "fuzz", &cfg, &err))
		abort();
	if (!s) {
		char path[64];

		snprintf(path, sizeof(path), "/tmp/nvault-fuzz-%ld.db", (long)getpid());
		unlink(path);
		if (store_open(path, 0, &s, &err))
			abort();
	}
	doc = notion_json_read((const char *)data, size, &rep, &jerr);
	if (!doc)
		return 0;
	if (!json_is_object(doc))
		abort();
	check_utf8(doc);
	json_array_foreach(json_object_get(doc, "results"), i, row)
	{
		struct version_info vi = {"notion-sync", "created", 0};
		enum put_outcome put;
		struct task t;

		if (json_object_get(row, NOTION_UNREADABLE_KEY)) {
			if (!json_is_string(json_object_get(row, NOTION_UNREADABLE_KEY)))
				abort();
			continue;
		}
		task_init(&t);
		if (mapper_map_page(&cfg->dbs[0], DS, row, &t, &err) == NV_OK && t.notion_page_id) {
			if (store_task_put(s, &t, &vi, &put, &err) == NV_OK) {
				if (store_task_put(s, &t, &vi, &put, &err) != NV_OK ||
				    put != PUT_UNCHANGED)
					abort();
			}
		}
		task_release(&t);
	}
	json_decref(doc);
	return 0;
}
