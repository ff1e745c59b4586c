/*
 * mapper.h: Notion row (page object JSON) → task fields (SPEC §5). Pure
 * functions: no I/O, no globals, safe on any input (fuzzed).
 */
#ifndef NV_MAPPER_H
#define NV_MAPPER_H

#include <jansson.h>

#include "config/config.h"
#include "task/task.h"
#include "util/err.h"

/*
 * Fills out (initialised by the caller with task_init()) from a Notion page:
 * the mapped fields per db's fieldMappings (title falls back to the page's
 * title property when unmapped), status through config_map_status() with
 * the raw name in notion_status, the Notion ids (dashed), url, created and
 * last-edited times, scope from the config, source "notion", and
 * metadata.notionProperties holding every property normalised (volatile
 * parts such as signed file URLs and expiry_time removed; unknown types kept
 * as raw JSON). A row in the trash (in_trash or archived true) maps with
 * active = 0. data_source_id is the data source the row was read from.
 * Returns NV_EINVAL (with the reason) when page is not a page object.
 */
int mapper_map_page(const struct db_config *db, const char *data_source_id, const json_t *page,
		    struct task *out, struct nv_err *err);

/*
 * Checks db's field mappings against a data source's property schema (the
 * "properties" object of a data source or 2022-06-28 database). Mapping a
 * property the schema lacks, or one of a type that cannot map to the
 * field, is NV_ECONFIG; the message names the property, its actual type,
 * and lists the schema's property names.
 */
int mapper_check_schema(const struct db_config *db, const json_t *properties, struct nv_err *err);
/*
 * statusMap names that are not options of the mapped status (or select)
 * property: one message each, naming where the entry is in the config file
 * and the property's options, appended to warnings (a JSON array of
 * strings). Such an entry matches no row; the sync goes on.
 */
void mapper_check_status_map(const struct db_config *db, const json_t *properties,
			     json_t *warnings);

/* Property ids of the title property in a schema (for filter_properties), or NULL. */
const char *mapper_title_property_id(const json_t *properties);
/*
 * The id of every property of a schema, as the API returns them (for
 * filter_properties). A new array of *n pointers borrowed from properties
 * (free() the array only); NULL with *n 0 when there are none. Properties
 * without a string id are left out.
 */
const char **mapper_property_ids(const json_t *properties, size_t *n);

/*
 * Names of the page's properties whose values Notion truncated (relation
 * with has_more, or people/title/rich_text holding 25 items). New JSON
 * array of {"name","id","type"}; empty when none.
 */
json_t *mapper_truncated_properties(const json_t *page);

/*
 * Replaces property `name` of page (modified in place) with the full value
 * assembled from the property-item endpoint's results (array of
 * property_item objects). Returns 0, or -1 when the items do not fit the
 * property's type.
 */
int mapper_splice_property(json_t *page, const char *name, const json_t *items);
/* Marks property `name` of page as truncated ("truncated": true) when it could not be completed. */
void mapper_mark_truncated(json_t *page, const char *name);

#endif
