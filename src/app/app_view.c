/*
 * app_view.c: the JSON shapes in which readers get tasks (see app.h):
 * compact by default, the Notion properties only when asked for. A synced
 * task keeps every Notion property in metadata.notionProperties, which is
 * most of its size; agents rarely need it, so it stays out unless a reader
 * names the properties it wants (fields) or asks for everything (full).
 */
#include "app/app.h"

#include <string.h>

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* The Notion properties v asks for (new object), or NULL when none. */
static json_t *properties_asked(const struct task *t, const struct app_view *v)
{
	json_t *all = json_object_get(t->metadata, "notionProperties"), *out, *name;
	size_t i;

	if (!v || (!v->full && !json_array_size(v->fields)))
		return NULL;
	if (v->full)
		return json_is_object(all) ? json_deep_copy(all) : json_object();
	out = json_object();
	json_array_foreach(v->fields, i, name)
	{
		json_t *p = json_object_get(all, json_string_value(name));
		if (p)
			json_object_set(out, json_string_value(name), p);
	}
	return out;
}

/* The metadata without the Notion properties (new reference, or null). */
static json_t *own_metadata(const struct task *t)
{
	json_t *m;

	if (!json_is_object(t->metadata))
		return json_null();
	if (!json_object_get(t->metadata, "notionProperties"))
		return json_incref(t->metadata);
	if (json_object_size(t->metadata) == 1)
		return json_null();
	m = json_copy(t->metadata);
	json_object_del(m, "notionProperties");
	return m;
}

/* The compact view's members, in order; NULL stands for metadata less its Notion properties. */
static const char *const view_members[] = {
	"id",	    "title",   "description", "status",	 "notionStatus", "resolution",
	"category", "dueDate", "assignee",    "tags",	 NULL,		 "scopeId",
	"source",   "active",  "deletedAt",   "version", "createdAt",	 "updatedAt",
};

json_t *app_task_view_json(const struct task *t, const struct app_view *v)
{
	json_t *o = json_object(), *props;

	for (size_t i = 0; i < sizeof(view_members) / sizeof(view_members[0]); i++)
		if (!view_members[i])
			json_object_set_new(o, "metadata", own_metadata(t));
		else
			json_object_set_new(o, view_members[i],
					    task_member_json(t, task_member_find(view_members[i])));
	if (t->notion_page_id)
		json_object_set_new(o, "notion",
				    json_pack("{s:o s:o s:o s:o}", "url",
					      str_or_null(t->notion_url), "pageId",
					      str_or_null(t->notion_page_id), "databaseId",
					      str_or_null(t->notion_database_id), "lastEditedTime",
					      str_or_null(t->notion_last_edited_time)));
	else
		json_object_set_new(o, "notion", json_null());
	if ((props = properties_asked(t, v)))
		json_object_set_new(o, "notionProperties", props);
	return o;
}

json_t *app_task_legacy_json(const struct task *t, const struct app_view *v)
{
	json_t *o = task_to_json(t), *props = properties_asked(t, v);

	json_object_set_new(o, "metadata", own_metadata(t));
	if (props) {
		json_t *m = json_object_get(o, "metadata");
		if (!json_is_object(m)) {
			m = json_object();
			json_object_set_new(o, "metadata", m);
		}
		json_object_set_new(m, "notionProperties", props);
	}
	return o;
}

json_t *app_version_legacy_json(const struct task_version *ver, const struct app_view *v)
{
	return task_version_json(ver, app_task_legacy_json(&ver->snap, v));
}
