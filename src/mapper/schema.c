/*
 * schema.c: property schemas by id, their history and rename-safe
 * mappings; see schema.h.
 */
#include "mapper/schema.h"

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/xalloc.h"

static const char *str_at(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int cmp_json_strings(const void *a, const void *b)
{
	const char *x = json_string_value(*(json_t *const *)a);
	const char *y = json_string_value(*(json_t *const *)b);

	return strcmp(x ? x : "", y ? y : "");
}

/* Sorted option names of a select, multi_select or status config; NULL otherwise. */
static json_t *option_names(const json_t *prop, const char *type)
{
	const json_t *opts, *o;
	json_t **items, *out;
	size_t i, n;

	if (strcmp(type, "select") && strcmp(type, "multi_select") && strcmp(type, "status"))
		return NULL;
	opts = json_object_get(json_object_get(prop, type), "options");
	n = json_is_array(opts) ? json_array_size(opts) : 0;
	items = xcalloc(n ? n : 1, sizeof(*items));
	json_array_foreach(opts, i, o) items[i] =
		json_string(str_at(o, "name") ? str_at(o, "name") : "");
	qsort(items, n, sizeof(*items), cmp_json_strings);
	out = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(out, items[i]);
	free(items);
	return out;
}

json_t *schema_from_notion(const json_t *properties)
{
	json_t *out = json_object(), *val;
	const char *key;

	if (!json_is_object(properties))
		return out;
	json_object_foreach((json_t *)properties, key, val)
	{
		const char *id = str_at(val, "id"), *type = str_at(val, "type");
		const char *name = str_at(val, "name") ? str_at(val, "name") : key;
		json_t *p, *opts;

		if (!id || !*id || !type)
			continue;
		p = json_pack("{s:s s:s}", "name", name, "type", type);
		if (!p)
			continue; /* a name jansson cannot hold (not UTF-8) */
		if ((opts = option_names(val, type)))
			json_object_set_new(p, "options", opts);
		json_object_set_new(out, id, p);
	}
	return out;
}

json_t *schema_fold(const struct schema_event *events, size_t n)
{
	json_t *out = json_object();

	for (size_t i = 0; i < n; i++) {
		const struct schema_event *e = &events[i];
		json_t *p;

		if (!e->property_id)
			continue;
		if (e->kind && !strcmp(e->kind, "removed")) {
			json_object_del(out, e->property_id);
			continue;
		}
		p = json_pack("{s:s? s:s?}", "name", e->name, "type", e->type);
		if (!p)
			continue;
		if (e->options)
			json_object_set(p, "options", e->options);
		json_object_set_new(out, e->property_id, p);
	}
	return out;
}

/* Appends an event for property id to the list. */
static struct schema_event *add_event(struct schema_event **list, size_t *n, size_t *cap,
				      const char *kind, const char *id, const json_t *now,
				      const json_t *before)
{
	struct schema_event *e;
	const json_t *state = now ? now : before;

	*list = xgrow(*list, cap, *n + 1, sizeof(**list));
	e = &(*list)[(*n)++];
	schema_event_init(e);
	e->kind = xstrdup(kind);
	e->property_id = xstrdup(id);
	e->name = xstrdup(str_at(state, "name"));
	e->type = xstrdup(str_at(state, "type"));
	e->options = json_deep_copy(json_object_get(state, "options"));
	return e;
}

static int same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

void schema_diff(const json_t *known, int first, const json_t *live, struct schema_event **out,
		 size_t *n)
{
	struct schema_event *list = NULL;
	size_t count = 0, cap = 0;
	const char *id;
	json_t *now, *before;

	json_object_foreach((json_t *)live, id, now)
	{
		struct schema_event *e;

		before = first ? NULL : json_object_get(known, id);
		if (!before) {
			add_event(&list, &count, &cap, first ? "initial" : "added", id, now, NULL);
			continue;
		}
		if (!same_str(str_at(now, "name"), str_at(before, "name"))) {
			e = add_event(&list, &count, &cap, "renamed", id, now, before);
			e->old_name = xstrdup(str_at(before, "name"));
			/* this event's state is the new name with the old type and options */
			if (!same_str(str_at(now, "type"), str_at(before, "type"))) {
				free(e->type);
				e->type = xstrdup(str_at(before, "type"));
				json_decref(e->options);
				e->options = json_deep_copy(json_object_get(before, "options"));
			}
		}
		if (!same_str(str_at(now, "type"), str_at(before, "type"))) {
			e = add_event(&list, &count, &cap, "type_changed", id, now, before);
			e->old_type = xstrdup(str_at(before, "type"));
			e->old_options = json_deep_copy(json_object_get(before, "options"));
		} else if (!json_equal(json_object_get(now, "options"),
				       json_object_get(before, "options")) &&
			   (json_object_get(now, "options") ||
			    json_object_get(before, "options"))) {
			e = add_event(&list, &count, &cap, "options_changed", id, now, before);
			e->old_options = json_deep_copy(json_object_get(before, "options"));
		}
	}
	json_object_foreach((json_t *)known, id, before)
	{
		if (!first && !json_object_get(live, id))
			add_event(&list, &count, &cap, "removed", id, NULL, before);
	}
	*out = list;
	*n = count;
}

const char *schema_id_for_name(const struct schema_event *events, size_t n, const char *name)
{
	for (size_t i = n; name && i-- > 0;)
		if (events[i].property_id &&
		    (same_str(events[i].name, name) || same_str(events[i].old_name, name)))
			return events[i].property_id;
	return NULL;
}

/*
 * property_keys: for each live property renamed since nvault first
 * recorded it, live name → first name, unless that name now belongs to
 * another live property (then the live name stays, to keep keys unique).
 */
static json_t *stable_keys(const json_t *properties, const struct schema_event *events, size_t n)
{
	json_t *keys = json_object(), *used = json_object(), *val;
	const char *live;

	json_object_foreach((json_t *)properties, live, val)
	{
		const char *id = str_at(val, "id"), *first = NULL;

		for (size_t i = 0; id && i < n && !first; i++)
			if (same_str(events[i].property_id, id) && events[i].kind &&
			    (!strcmp(events[i].kind, "initial") ||
			     !strcmp(events[i].kind, "added")))
				first = events[i].name;
		if (!first || !strcmp(first, live) || json_object_get(properties, first) ||
		    json_object_get(used, first))
			continue;
		json_object_set_new(keys, live, json_string(first));
		json_object_set_new(used, first, json_true());
	}
	json_decref(used);
	if (!json_object_size(keys)) {
		json_decref(keys);
		return NULL;
	}
	return keys;
}

void schema_resolve_mappings(const struct db_config *db, const json_t *properties,
			     const struct schema_event *events, size_t n,
			     struct db_config *resolved, json_t *warnings)
{
	*resolved = *db;
	resolved->property_keys = stable_keys(properties, events, n);
	resolved->mappings =
		xcalloc(db->n_mappings ? db->n_mappings : 1, sizeof(struct field_mapping));
	for (size_t i = 0; i < db->n_mappings; i++) {
		const struct field_mapping *m = &db->mappings[i];
		struct field_mapping *r = &resolved->mappings[i];
		const char *id, *live_name = NULL, *key;
		json_t *val;

		*r = *m;
		r->notion_type = m->notion_type ? xstrdup(m->notion_type) : NULL;
		if (json_object_get(properties, m->property) ||
		    !(id = schema_id_for_name(events, n, m->property))) {
			r->property = xstrdup(m->property);
			continue;
		}
		json_object_foreach((json_t *)properties, key, val)
		{
			if (same_str(str_at(val, "id"), id))
				live_name = key;
		}
		if (!live_name) {
			r->property = xstrdup(m->property);
			if (warnings)
				json_array_append_new(
					warnings,
					json_sprintf(
						"property \"%s\" (mapped to %s, id %s) was removed "
						"from the data source in Notion%s%s",
						m->property, task_field_name(m->field), id,
						m->where ? "; its mapping: " : "",
						m->where ? m->where : ""));
			continue;
		}
		r->property = xstrdup(live_name);
		if (warnings)
			json_array_append_new(
				warnings,
				json_sprintf(
					"property \"%s\" (mapped to %s) was renamed in Notion to "
					"\"%s\"; nvault follows it by its id (%s): rename it in "
					"fieldMappings%s%s",
					m->property, task_field_name(m->field), live_name, id,
					m->where ? " at " : "", m->where ? m->where : ""));
	}
}

void schema_resolved_release(struct db_config *resolved)
{
	json_decref(resolved->property_keys);
	for (size_t i = 0; i < resolved->n_mappings; i++) {
		free(resolved->mappings[i].property);
		free(resolved->mappings[i].notion_type);
	}
	free(resolved->mappings);
	memset(resolved, 0, sizeof(*resolved));
}
