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

void write_partial_user(struct jw *w, size_t user)
{
	jw_obj(w);
	jw_kstr(w, "object", "user");
	jw_kstr(w, "id", fake.users[user % fake.n_users].id);
	jw_obj_end(w);
}

void write_user(struct jw *w, const struct fake_user *u, enum api_version v)
{
	char avatar[128];
	size_t index = (size_t)(u - fake.users);

	snprintf(avatar, sizeof(avatar), "https://avatars.example.com/%.8s.png", u->id);
	jw_obj(w);
	jw_kstr(w, "object", "user");
	jw_kstr(w, "id", u->id);
	jw_kstr(w, "name", v >= V_2026_12 && index % 4 == 3 ? NULL : u->name);
	jw_kstr(w, "avatar_url", avatar);
	jw_kstr(w, "type", "person");
	jw_key(w, "person");
	jw_obj(w);
	jw_kstr(w, "email", u->email);
	jw_obj_end(w);
	jw_obj_end(w);
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
static void page_url(struct buf *b, const char *title, const char *id)
{
	char compact[33];
	int pending_dash = 0;

	buf_adds(b, "https://www.notion.so/");
	for (const char *p = title; *p && b->len < 100; p++) {
		char c = *p;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
			if (pending_dash && b->data[b->len - 1] != '/')
				buf_addch(b, '-');
			pending_dash = 0;
			buf_addch(b, c);
		} else {
			pending_dash = 1;
		}
	}
	if (b->data[b->len - 1] != '/')
		buf_addch(b, '-');
	compact_id(id, compact);
	buf_adds(b, compact);
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

void render_page(struct jw *w, const struct fake_source *src, const struct fake_row *row,
		 enum api_version v, char *const *only, size_t n_only)
{
	struct value_ctx ctx = {src, row, fake_now_ms(), v};
	struct vw vw = {w, VW_PAGE, NULL, 0, 0, 0, 0, 0};
	char id[FAKE_ID_LEN + 1], t[TIME_ISO_MAX];
	char *title = value_title_text(&ctx);
	int trashed = (row->flags & ROW_TRASHED) != 0;
	struct buf url = BUF_INIT;

	data_id_text(row->id, id);
	jw_obj(w);
	jw_kstr(w, "object", "page");
	jw_kstr(w, "id", id);
	jw_kstr(w, "created_time", time_format_iso(row->created_ms, t));
	jw_kstr(w, "last_edited_time", time_format_iso(row->edited_ms, t));
	jw_key(w, "created_by");
	write_partial_user(w, row->creator);
	jw_key(w, "last_edited_by");
	write_partial_user(w, row->editor);
	jw_knull(w, "cover");
	jw_key(w, "icon");
	if (row->flags & ROW_GENERATED && mix64(src->seed ^ row->gen_index ^ 0x69636f6e) % 5 == 0) {
		static const char *const icons[] = {"🐞", "📌", "🧭", "🗂️", "💡"};
		uint64_t h = mix64(src->seed ^ row->gen_index ^ 0x69636f6e);

		jw_obj(w);
		jw_kstr(w, "type", "emoji");
		jw_kstr(w, "emoji", icons[(h >> 8) % 5]);
		jw_obj_end(w);
	} else {
		jw_null(w);
	}
	jw_key(w, "parent");
	jw_obj(w);
	if (v >= V_2025) {
		jw_kstr(w, "type", "data_source_id");
		jw_kstr(w, "data_source_id", src->id);
	} else {
		jw_kstr(w, "type", "database_id");
	}
	jw_kstr(w, "database_id", fake.dbs[src->db].id);
	jw_obj_end(w);
	jw_kbool(w, "in_trash", trashed);
	if (v < V_2026_03)
		jw_kbool(w, "archived", trashed);
	if (v >= V_2025) {
		jw_kbool(w, "is_archived", 0);
		jw_kbool(w, "is_locked", 0);
	}
	jw_key(w, "properties");
	jw_obj(w);
	for (size_t i = 0; i < src->n_props; i++) {
		const struct fake_prop *p = &src->props[i];
		const char *tname = prop_type_name(p->type);

		if (!wanted(p, only, n_only))
			continue;
		jw_key(w, p->name);
		jw_obj(w);
		jw_kstr(w, "id", p->id);
		jw_kstr(w, "type", tname);
		jw_key(w, tname);
		value_write(&vw, &ctx, p);
		if (p->type == PT_RELATION)
			jw_kbool(w, "has_more", vw.truncated);
		jw_obj_end(w);
	}
	jw_obj_end(w);
	page_url(&url, title, id);
	jw_kstr(w, "url", url.data);
	jw_knull(w, "public_url");
	jw_obj_end(w);
	buf_release(&url);
	free(title);
}

char *render_page_doc(const struct fake_source *src, const struct fake_row *row, enum api_version v,
		      char *const *only, size_t n_only)
{
	struct buf b = BUF_INIT;
	struct jw w;

	jw_init(&w, &b);
	render_page(&w, src, row, v, only, n_only);
	/* reopen the object to append the request_id */
	b.len--;
	b.data[b.len] = '\0';
	w.depth = 1;
	w.first = 0;
	jw_request_id(&w);
	buf_addch(&b, '}');
	return buf_detach(&b);
}

static json_t *schema(const struct fake_source *src)
{
	json_t *props = json_object();

	for (size_t i = 0; i < src->n_props; i++) {
		const struct fake_prop *p = &src->props[i];

		json_object_set_new(props, p->name,
				    json_pack("{s:s,s:s,s:s,s:n,s:o}", "id", p->id, "name", p->name,
					      "type", prop_type_name(p->type), "description",
					      prop_type_name(p->type),
					      value_schema_config(src, p)));
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
	o = json_pack("{s:s,s:s,s:o,s:[],s:{s:s,s:s},s:b,s:b,s:b,s:s,s:s,s:n,s:n,s:o,s:n}",
		      "object", "database", "id", db->id, "title",
		      render_rich_text_title(db->title), "description", "parent", "type", "page_id",
		      "page_id", db->parent_page, "is_inline", 0, "in_trash", 0, "archived", 0,
		      "created_time", created, "last_edited_time", created, "icon", "cover", "url",
		      object_url(db->id), "public_url");
	json_object_set_new(o, "created_by", render_partial_user(0));
	json_object_set_new(o, "last_edited_by", render_partial_user(0));
	if (v >= V_2026_03)
		json_object_del(o, "archived");
	if (v >= V_2025) {
		json_t *list = json_array();

		for (size_t i = 0; i < db->n_sources; i++) {
			const struct fake_source *src = &fake.sources[db->sources[i]];
			json_array_append_new(
				list, json_pack("{s:s,s:s}", "id", src->id, "name", src->name));
		}
		json_object_set_new(o, "data_sources", list);
		json_object_set_new(o, "is_locked", json_false());
	} else {
		json_object_set_new(o, "properties", schema(&fake.sources[db->sources[0]]));
	}
	return o;
}

json_t *render_data_source(const struct fake_source *src, enum api_version v)
{
	const struct fake_db *db = &fake.dbs[src->db];
	char created[TIME_ISO_MAX];
	json_t *o;

	time_format_iso(src->created_ms, created);
	o = json_pack("{s:s,s:s,s:o,s:[],s:{s:s,s:s},s:{s:s,s:s},s:b,s:b,s:b,s:s,s:s,s:o,s:o,"
		      "s:o,s:n,s:n,s:o,s:n}",
		      "object", "data_source", "id", src->id, "title",
		      render_rich_text_title(src->name), "description", "parent", "type",
		      "database_id", "database_id", db->id, "database_parent", "type", "page_id",
		      "page_id", db->parent_page, "is_inline", 0, "in_trash", 0, "archived", 0,
		      "created_time", created, "last_edited_time", created, "created_by",
		      render_partial_user(0), "last_edited_by", render_partial_user(0),
		      "properties", schema(src), "icon", "cover", "url", object_url(src->id),
		      "public_url");
	if (v >= V_2026_03)
		json_object_del(o, "archived");
	return o;
}
