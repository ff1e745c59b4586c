/*
 * schema.h: a data source's property schema as nvault tracks it (SPEC §3
 * "schema history", §4.13). Pure functions over JSON: no I/O, no globals.
 *
 * A schema here is a JSON object keyed by property id (as the API returns
 * ids: "%3AUPp"), each value {"name", "type", "options"?} where options is
 * the sorted array of option names of a select, multi_select or status
 * property. Ids survive renames, so comparing two schemas by id tells a
 * rename from a removal plus an addition.
 */
#ifndef NV_SCHEMA_H
#define NV_SCHEMA_H

#include <jansson.h>
#include <stddef.h>

#include "config/config.h"
#include "store/store.h"
#include "util/err.h"

/* The schema of a Notion "properties" object (new reference; {} when not an object). */
json_t *schema_from_notion(const json_t *properties);

/*
 * The schema last recorded by a history (events oldest first, as
 * store_schema_events() returns them): the newest event of every property
 * id, unless that event is a removal. New reference.
 */
json_t *schema_fold(const struct schema_event *events, size_t n);

/*
 * The changes from known to live, as events to append (ids, kinds, names,
 * types and options filled; data source, database, run and time left to
 * the caller). first: nothing was recorded before, so every property is an
 * "initial" event. A property renamed and retyped at once gives two events.
 * *out is owned by the caller (schema_events_free()); *n may be 0.
 */
void schema_diff(const json_t *known, int first, const json_t *live, struct schema_event **out,
		 size_t *n);

/*
 * The id of the property a configuration names, looking through the
 * history for the newest event that gave a property this name (now or
 * before a rename). NULL when no event ever used the name. Borrowed from
 * events.
 */
const char *schema_id_for_name(const struct schema_event *events, size_t n, const char *name);

/*
 * Resolves db's field mappings against the live "properties" object,
 * following renames recorded in the history: a mapping whose name is gone
 * but whose property id still exists under another name maps that name,
 * and a warning naming both names is appended to warnings (an array of
 * strings). *resolved becomes a copy of db whose mappings name the live
 * properties; release it with schema_resolved_release(). Mappings that
 * cannot resolve (removed, or never existed) keep their name, so that
 * mapper_check_schema() reports them.
 */
void schema_resolve_mappings(const struct db_config *db, const json_t *properties,
			     const struct schema_event *events, size_t n,
			     struct db_config *resolved, json_t *warnings);
void schema_resolved_release(struct db_config *resolved);

#endif
