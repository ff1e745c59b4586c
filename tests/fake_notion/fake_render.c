/*
 * fake_render.c: the Notion objects the fake returns — page (one row),
 * database, data source and user — in the shape of the requested API
 * version (notion-api.md §2–§4). Page objects apply Notion's read limits:
 * at most 25 people, 25 relation items (then "has_more": true) and 25
 * mentions inside title and rich text; the page-property endpoint gives the
 * full values.
 */
#include "fake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/timeutil.h"
#include "util/xalloc.h"

json_t *render_partial_user(size_t user)
{
	return json_pack("{s:s,s:s}", "object", "user", "id", fake.users[user % fake.n_users].id);
}

json_t *render_user(const struct fake_user *u)
{
	char avatar[128];

	snprintf(avatar, sizeof(avatar), "https://avatars.example.com/%.8s.png", u->id);
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:{s:s}}", "object", "user", "id", u->id, "name",
			 u->name, "avatar_url", avatar, "type", "person", "person", "email",
			 u->email);
}

json_t *render_rich_text_title(const char *text)
{
	return value_plain_rich_text(text);
}

static void compact_id(const char *dashed, char out[33])
{
	size_t o = 0;

	for (const char *p = dashed; *p && o < 32; p++)
		if (*p != '-')
			out[o++] = *p;
	out[o] = '\0';
}

/* "https://www.notion.so/Fix-login-flow-<32 hex>": slug from ASCII words. */
static json_t *page_url(const char *title, const char *id)
{
	struct buf b = BUF_INIT;
	char compact[33];
	int pending_dash = 0;
	json_t *out;

	buf_adds(&b, "https://www.notion.so/");
	for (const char *p = title; *p && b.len < 100; p++) {
		char c = *p;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
			if (pending_dash && b.data[b.len - 1] != '/')
				buf_addch(&b, '-');
			pending_dash = 0;
			buf_addch(&b, c);
		} else {
			pending_dash = 1;
		}
	}
	if (b.data[b.len - 1] != '/')
		buf_addch(&b, '-');
	compact_id(id, compact);
	buf_adds(&b, compact);
	out = json_string(b.data);
	buf_release(&b);
	return out;
}

/* Drops mention items after the 25th, as Notion does in page objects. */
static void truncate_mentions(json_t *items)
{
	size_t mentions = 0;

	for (size_t i = 0; i < json_array_size(items);) {
		json_t *it = json_array_get(items, i);
		const char *type = json_string_value(json_object_get(it, "type"));

		if (type && !strcmp(type, "mention") && ++mentions > FAKE_MENTION_LIMIT) {
			json_array_remove(items, i);
			continue;
		}
		i++;
	}
}

static void truncate_array(json_t *items)
{
	while (json_array_size(items) > FAKE_MENTION_LIMIT)
		json_array_remove(items, json_array_size(items) - 1);
}

static int wanted(const struct fake_prop *p, char *const *only, size_t n_only)
{
	if (!only)
		return 1;
	for (size_t i = 0; i < n_only; i++)
		if (!strcmp(only[i], p->id_raw))
			return 1;
	return 0;
}

json_t *render_page(const struct fake_source *src, const struct fake_row *row, enum api_version v,
		    char *const *only, size_t n_only)
{
	struct value_ctx ctx = { src, row, fake_now_ms() };
	json_t *page, *props = json_object(), *parent, *icon = json_null();
	char id[FAKE_ID_LEN + 1], created[TIME_ISO_MAX], edited[TIME_ISO_MAX];
	char *title = value_title_text(&ctx);
	int trashed = (row->flags & ROW_TRASHED) != 0;

	data_id_text(row->id, id);
	for (size_t i = 0; i < src->n_props; i++) {
		const struct fake_prop *p = &src->props[i];
		json_t *val, *entry;
		int more = 0;

		if (!wanted(p, only, n_only))
			continue;
		val = value_full(&ctx, p);
		if (p->type == PT_TITLE || p->type == PT_RICH_TEXT) {
			truncate_mentions(val);
		} else if (p->type == PT_PEOPLE) {
			truncate_array(val);
		} else if (p->type == PT_RELATION) {
			more = json_array_size(val) > FAKE_MENTION_LIMIT;
			truncate_array(val);
		}
		entry = json_pack("{s:s,s:s,s:o}", "id", p->id, "type", prop_type_name(p->type),
				  prop_type_name(p->type), val);
		if (p->type == PT_RELATION)
			json_object_set_new(entry, "has_more", json_boolean(more));
		json_object_set_new(props, p->name, entry);
	}
	if (v == V_2025)
		parent = json_pack("{s:s,s:s,s:s}", "type", "data_source_id", "data_source_id",
				   src->id, "database_id", fake.dbs[src->db].id);
	else
		parent = json_pack("{s:s,s:s}", "type", "database_id", "database_id",
				   fake.dbs[src->db].id);
	if (row->flags & ROW_GENERATED) {
		static const char *const icons[] = { "🐞", "📌", "🧭", "🗂️", "💡" };
		uint64_t h = mix64(src->seed ^ row->gen_index ^ 0x69636f6e);
		if (h % 5 == 0)
			icon = json_pack("{s:s,s:s}", "type", "emoji", "emoji", icons[(h >> 8) % 5]);
	}
	page = json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:n,s:o,s:o,s:b,s:b,s:o,s:o,s:n}", "object",
			 "page", "id", id, "created_time", time_format_iso(row->created_ms, created),
			 "last_edited_time", time_format_iso(row->edited_ms, edited), "created_by",
			 render_partial_user(row->creator), "last_edited_by",
			 render_partial_user(row->editor), "cover", "icon", icon, "parent", parent,
			 "in_trash", trashed, "archived", trashed, "properties", props, "url",
			 page_url(title, id), "public_url");
	if (v == V_2025) {
		json_object_set_new(page, "is_archived", json_false());
		json_object_set_new(page, "is_locked", json_false());
	}
	free(title);
	return page;
}

static json_t *schema(const struct fake_source *src)
{
	json_t *props = json_object();

	for (size_t i = 0; i < src->n_props; i++) {
		const struct fake_prop *p = &src->props[i];

		json_object_set_new(props, p->name,
				    json_pack("{s:s,s:s,s:s,s:n,s:o}", "id", p->id, "name", p->name,
					      "type", prop_type_name(p->type), "description",
					      prop_type_name(p->type), value_schema_config(src, p)));
	}
	return props;
}

static json_t *object_url(const char *id)
{
	char compact[33], url[80];

	compact_id(id, compact);
	snprintf(url, sizeof(url), "https://www.notion.so/%s", compact);
	return json_string(url);
}

json_t *render_database(const struct fake_db *db, enum api_version v)
{
	char created[TIME_ISO_MAX];
	json_t *o;

	time_format_iso(db->created_ms, created);
	o = json_pack("{s:s,s:s,s:o,s:[],s:{s:s,s:s},s:b,s:b,s:b,s:s,s:s,s:n,s:n,s:o,s:n}", "object",
		      "database", "id", db->id, "title", render_rich_text_title(db->title),
		      "description", "parent", "type", "page_id", "page_id", db->parent_page,
		      "is_inline", 0, "in_trash", 0, "archived", 0, "created_time", created,
		      "last_edited_time", created, "icon", "cover", "url", object_url(db->id),
		      "public_url");
	json_object_set_new(o, "created_by", render_partial_user(0));
	json_object_set_new(o, "last_edited_by", render_partial_user(0));
	if (v == V_2025) {
		json_t *list = json_array();

		for (size_t i = 0; i < db->n_sources; i++) {
			const struct fake_source *src = &fake.sources[db->sources[i]];
			json_array_append_new(list, json_pack("{s:s,s:s}", "id", src->id, "name",
							      src->name));
		}
		json_object_set_new(o, "data_sources", list);
		json_object_set_new(o, "is_locked", json_false());
	} else {
		json_object_set_new(o, "properties", schema(&fake.sources[db->sources[0]]));
	}
	return o;
}

json_t *render_data_source(const struct fake_source *src)
{
	const struct fake_db *db = &fake.dbs[src->db];
	char created[TIME_ISO_MAX];

	time_format_iso(src->created_ms, created);
	return json_pack("{s:s,s:s,s:o,s:[],s:{s:s,s:s},s:{s:s,s:s},s:b,s:b,s:b,s:s,s:s,s:o,s:o,"
			 "s:o,s:n,s:n,s:o,s:n}",
			 "object", "data_source", "id", src->id, "title",
			 render_rich_text_title(src->name), "description", "parent", "type",
			 "database_id", "database_id", db->id, "database_parent", "type", "page_id",
			 "page_id", db->parent_page, "is_inline", 0, "in_trash", 0, "archived", 0,
			 "created_time", created, "last_edited_time", created, "created_by",
			 render_partial_user(0), "last_edited_by", render_partial_user(0),
			 "properties", schema(src), "icon", "cover", "url", object_url(src->id),
			 "public_url");
}
