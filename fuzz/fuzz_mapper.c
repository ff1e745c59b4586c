/*
 * fuzz_mapper.c: libFuzzer target for the mapper (its input is whatever
 * Notion, or something pretending to be Notion, sends). The bytes are
 * parsed as JSON and handed to every mapper entry point as a page, as a
 * property schema, and as property-item results, under a config that maps
 * all eight task fields. Checked besides "no crash, no leak": mapping is
 * deterministic (same content hash twice), a mapped task always has a
 * status from the enum, and a row keeps every property in metadata.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "mapper/mapper.h"
#include "task/task.h"

static const char fuzz_config[] =
	"{\"databases\": [{\"notionDatabaseId\": \"1a2b3c4d5e6f47a8b9c0d1e2f3a4b5c6\","
	" \"projectScopeId\": \"fuzz\","
	" \"fieldMappings\": {\"Name\": \"title\", \"Notes\": \"description\", \"Status\": "
	"\"status\","
	"  \"Priority\": \"category\", \"Tags\": \"tags\", \"Due\": \"dueDate\","
	"  \"Done\": \"resolution\", \"Estimate\": \"assignee\"},"
	" \"statusMap\": {\"Not started\": \"backlog\", \"Done\": \"done\", \"true\": \"done\"}}]}";

static void map_and_check(const struct db_config *db, const json_t *page)
{
	struct task a, b;
	struct nv_err err;
	char ha[HASH_HEX_LEN + 1], hb[HASH_HEX_LEN + 1];
	json_t *copy = json_deep_copy(page), *j;

	task_init(&a);
	task_init(&b);
	if (mapper_map_page(db, "2b3c4d5e-6f70-48a9-b0c1-d2e3f4a5b6c7", page, &a, &err) == NV_OK) {
		const json_t *props = json_object_get(page, "properties");
		if (!a.status || !task_status_parse(a.status))
			abort();
		if (json_object_size(json_object_get(a.metadata, "notionProperties")) !=
		    json_object_size(props))
			abort();
		if (mapper_map_page(db, "2b3c4d5e-6f70-48a9-b0c1-d2e3f4a5b6c7", copy, &b, &err))
			abort();
		task_content_hash(&a, ha);
		task_content_hash(&b, hb);
		if (strcmp(ha, hb))
			abort();
		j = task_to_json(&a);
		json_decref(j);
	}
	task_release(&a);
	task_release(&b);
	json_decref(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config *cfg;
	struct nv_err err;
	json_t *page, *trunc, *entry;
	size_t i;

	if (!cfg && config_load_string(fuzz_config, "fuzz", &cfg, &err))
		abort();
	page = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	if (!page)
		return 0;

	map_and_check(&cfg->dbs[0], page);
	map_and_check(NULL, page);
	mapper_check_schema(&cfg->dbs[0], json_object_get(page, "properties"), &err);
	mapper_check_schema(&cfg->dbs[0], page, &err);
	mapper_title_property_id(json_object_get(page, "properties"));

	/* truncation helpers: splice with the input's own "items" (or its properties) */
	trunc = mapper_truncated_properties(page);
	json_array_foreach(trunc, i, entry)
	{
		const char *name = json_string_value(json_object_get(entry, "name"));
		const json_t *items = json_object_get(page, "items");
		if (mapper_splice_property(page, name, items ? items : page) != 0)
			mapper_mark_truncated(page, name);
	}
	json_decref(trunc);
	if (json_is_object(json_object_get(page, "properties"))) {
		const char *key;
		json_t *val;
		json_object_foreach(json_object_get(page, "properties"), key, val)
		{
			mapper_splice_property(page, key, json_object_get(page, "items"));
			break;
		}
	}
	map_and_check(&cfg->dbs[0], page);
	json_decref(page);
	return 0;
}
