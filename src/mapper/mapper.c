/*
 * mapper.c: a Notion page object (one database row) → a task (SPEC §5); see
 * mapper.h. Pure functions over jansson values, no I/O, fuzzed: every value
 * is type-checked before use, and anything of an unexpected shape is kept
 * as raw JSON rather than trusted.
 *
 * Two outputs per row:
 *  - the mapped task fields, per the database's fieldMappings, converted by
 *    the property's real type (see docs/config.md for the conversion table);
 *  - metadata.notionProperties: every property, mapped or not, in a compact
 *    normalised form {"id", "type", "value"[, "truncated": true]}. Volatile
 *    parts that change on every read without an edit (signed URLs of
 *    Notion-hosted files, expiry_time) are removed, and the values of
 *    last_edited_time / last_edited_by properties are left out (they move on
 *    page-body edits, which nvault does not back up, exactly like
 *    notionLastEditedTime is kept out of the content hash), so re-reading an
 *    unchanged row always gives the same content hash.
 */
#include "mapper/mapper.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/buf.h"
#include "util/id.h"
#include "util/xalloc.h"

/* ---- small helpers ---- */

static const char *str_at(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* The property's value: prop[prop.type], or NULL. */
static const json_t *prop_value(const json_t *prop, const char **type_out)
{
	const char *type = str_at(prop, "type");

	if (type_out)
		*type_out = type;
	if (!type)
		return NULL;
	return json_object_get(prop, type);
}

/* Concatenated plain text of a rich text array. Appends to out. */
static void rich_plain(const json_t *arr, struct buf *out)
{
	size_t i;
	json_t *item;

	if (!json_is_array(arr))
		return;
	json_array_foreach(arr, i, item)
	{
		const char *s = str_at(item, "plain_text");
		if (!s) {
			const char *t = str_at(item, "type");
			const json_t *inner = t ? json_object_get(item, t) : NULL;
			if (t && !strcmp(t, "text"))
				s = str_at(inner, "content");
			else if (t && !strcmp(t, "equation"))
				s = str_at(inner, "expression");
		}
		if (s)
			buf_adds(out, s);
	}
}

/* Plain text of a rich text array, or NULL when empty. Caller frees. */
static char *rich_text_or_null(const json_t *arr)
{
	struct buf b = BUF_INIT;

	rich_plain(arr, &b);
	if (!b.len) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b);
}

static json_t *copy_or_null(const json_t *v)
{
	return v ? json_deep_copy(v) : json_null();
}

/*
 * Removes the volatile parts of a value in place, at any depth: every
 * "expiry_time", and the signed "url" of Notion-hosted files
 * ({"type":"file","file":{"url",...}}); external URLs are kept.
 */
static void strip_volatile(json_t *v)
{
	const char *key;
	json_t *val;
	void *tmp;
	size_t i;

	if (json_is_array(v)) {
		json_array_foreach(v, i, val) strip_volatile(val);
		return;
	}
	if (!json_is_object(v))
		return;
	json_object_del(v, "expiry_time");
	if ((val = json_object_get(v, "type")) && json_is_string(val) &&
	    !strcmp(json_string_value(val), "file")) {
		json_t *file = json_object_get(v, "file");
		if (json_is_object(file)) {
			json_object_del(file, "url");
			json_object_del(file, "expiry_time");
			if (!json_object_size(file))
				json_object_del(v, "file");
		}
	}
	json_object_foreach_safe(v, tmp, key, val) strip_volatile(val);
}

/* A deep copy with volatile parts removed; JSON null for NULL. */
static json_t *stable_copy(const json_t *v)
{
	json_t *c = copy_or_null(v);

	strip_volatile(c);
	return c;
}

/* ---- normalisation into metadata.notionProperties, one function per type ---- */

typedef json_t *(*normalize_fn)(const json_t *value, const json_t *prop);

static json_t *norm_text(const json_t *value, const json_t *prop)
{
	char *s;
	json_t *j;

	if (!json_is_array(value))
		return stable_copy(value);
	s = rich_text_or_null(value);
	j = s ? json_string(s) : json_null();
	free(s);
	return j ? j : json_null(); /* invalid UTF-8 cannot come from jansson input */
}

static json_t *norm_scalar(const json_t *value, const json_t *prop)
{
	return stable_copy(value);
}

static json_t *norm_option(const json_t *value, const json_t *prop)
{
	const char *name = str_at(value, "name");

	if (name)
		return json_string(name);
	return stable_copy(value);
}

/* An array of objects reduced to each one's string `key` (items without it kept whole). */
static json_t *norm_array_of(const json_t *value, const char *key)
{
	json_t *out, *item;
	size_t i;

	if (!json_is_array(value))
		return stable_copy(value);
	out = json_array();
	json_array_foreach(value, i, item)
	{
		const char *s = str_at(item, key);
		json_array_append_new(out, s ? json_string(s) : stable_copy(item));
	}
	return out;
}

static json_t *norm_multi_select(const json_t *value, const json_t *prop)
{
	return norm_array_of(value, "name");
}

static json_t *norm_date_value(const json_t *value)
{
	if (!json_is_object(value))
		return stable_copy(value);
	return json_pack("{s:o s:o s:o}", "start", copy_or_null(json_object_get(value, "start")),
			 "end", copy_or_null(json_object_get(value, "end")), "timeZone",
			 copy_or_null(json_object_get(value, "time_zone")));
}

static json_t *norm_date(const json_t *value, const json_t *prop)
{
	return norm_date_value(value);
}

/* One user or group: id, and name / email / object when present. */
static json_t *norm_user(const json_t *u)
{
	json_t *out;
	const char *s;

	if (!json_is_object(u))
		return stable_copy(u);
	out = json_object();
	if ((s = str_at(u, "id")))
		json_object_set_new(out, "id", json_string(s));
	if ((s = str_at(u, "object")) && strcmp(s, "user"))
		json_object_set_new(out, "object", json_string(s));
	if ((s = str_at(u, "name")))
		json_object_set_new(out, "name", json_string(s));
	if ((s = str_at(json_object_get(u, "person"), "email")))
		json_object_set_new(out, "email", json_string(s));
	if ((s = str_at(u, "type")) && !strcmp(s, "bot"))
		json_object_set_new(out, "bot", json_true());
	return out;
}

static json_t *norm_people(const json_t *value, const json_t *prop)
{
	json_t *out, *item;
	size_t i;

	if (!json_is_array(value))
		return stable_copy(value);
	out = json_array();
	json_array_foreach(value, i, item) json_array_append_new(out, norm_user(item));
	return out;
}

static json_t *norm_person_value(const json_t *value, const json_t *prop)
{
	return json_is_object(value) ? norm_user(value) : stable_copy(value);
}

static json_t *norm_relation(const json_t *value, const json_t *prop)
{
	return norm_array_of(value, "id");
}

/* Files: name and type; the URL only for external files (signed ones change). */
static json_t *norm_files(const json_t *value, const json_t *prop)
{
	json_t *out, *item;
	size_t i;

	if (!json_is_array(value))
		return stable_copy(value);
	out = json_array();
	json_array_foreach(value, i, item)
	{
		const char *type = str_at(item, "type");
		json_t *f;
		if (!json_is_object(item) || !type) {
			json_array_append_new(out, stable_copy(item));
			continue;
		}
		f = json_pack("{s:o s:s}", "name", copy_or_null(json_object_get(item, "name")),
			      "type", type);
		if (!strcmp(type, "external")) {
			json_object_set_new(f, "url",
					    copy_or_null(json_object_get(
						    json_object_get(item, "external"), "url")));
		} else if (strcmp(type, "file")) {
			/* file_upload and future kinds: keep their stable parts */
			json_object_set_new(f, type, stable_copy(json_object_get(item, type)));
		}
		json_array_append_new(out, f);
	}
	return out;
}

static json_t *norm_formula(const json_t *value, const json_t *prop)
{
	const char *t = str_at(value, "type");

	/* {"type":"date","date":{...}} keeps the date in the same compact form */
	if (t && !strcmp(t, "date") && json_object_get(value, "date"))
		return json_pack("{s:s s:o}", "type", "date", "date",
				 norm_date_value(json_object_get(value, "date")));
	return stable_copy(value);
}

static const struct {
	const char *type;
	normalize_fn fn; /* NULL: value left out (moves without a real edit) */
} normalizers[] = {
	{"title", norm_text},	       {"rich_text", norm_text},
	{"number", norm_scalar},       {"select", norm_option},
	{"status", norm_option},       {"multi_select", norm_multi_select},
	{"date", norm_date},	       {"checkbox", norm_scalar},
	{"url", norm_scalar},	       {"email", norm_scalar},
	{"phone_number", norm_scalar}, {"people", norm_people},
	{"relation", norm_relation},   {"files", norm_files},
	{"formula", norm_formula},     {"rollup", norm_scalar},
	{"created_time", norm_scalar}, {"created_by", norm_person_value},
	{"last_edited_time", NULL},    {"last_edited_by", NULL},
	{"unique_id", norm_scalar},    {"verification", norm_scalar},
	{"button", norm_scalar},       {"place", norm_scalar},
};

/* The normalised form of one property. New reference. */
static json_t *normalize_property(const json_t *prop)
{
	const char *type = NULL;
	const json_t *value;
	json_t *out, *has_more;
	const char *id;

	if (!json_is_object(prop))
		return json_pack("{s:s s:o}", "type", "unknown", "value", stable_copy(prop));
	value = prop_value(prop, &type);
	out = json_object();
	if ((id = str_at(prop, "id")))
		json_object_set_new(out, "id", json_string(id));
	json_object_set_new(out, "type", type ? json_string(type) : json_null());
	if (!type) {
		/* no type: keep everything but the id, raw */
		json_t *raw = stable_copy(prop);
		json_object_del(raw, "id");
		json_object_set_new(out, "value", raw);
	} else {
		size_t k;
		for (k = 0; k < sizeof(normalizers) / sizeof(normalizers[0]); k++)
			if (!strcmp(normalizers[k].type, type))
				break;
		if (k == sizeof(normalizers) / sizeof(normalizers[0]))
			json_object_set_new(out, "value",
					    stable_copy(value)); /* unknown type: raw */
		else if (normalizers[k].fn)
			json_object_set_new(out, "value",
					    value ? normalizers[k].fn(value, prop) : json_null());
	}
	has_more = json_object_get(prop, "has_more");
	if (json_is_true(json_object_get(prop, "truncated")) || json_is_true(has_more))
		json_object_set_new(out, "truncated", json_true());
	return out;
}

/* ---- mapped task fields ---- */

static char *number_text(const json_t *v)
{
	char *s;

	if (!json_is_number(v))
		return NULL;
	s = json_dumps(v, JSON_ENCODE_ANY);
	return s ? s : NULL;
}

/*
 * The value of a property as text for a string field: plain text, the
 * option name, names joined by ", ", the date's start (or "start/end"),
 * "true"/"false", a number. NULL when cleared. for_due takes only the
 * start of a date. Caller frees.
 */
static char *value_text(const char *type, const json_t *v, int for_due)
{
	struct buf b = BUF_INIT;
	json_t *item;
	size_t i;
	const char *s;

	if (!type || !v)
		return NULL;
	if (!strcmp(type, "title") || !strcmp(type, "rich_text"))
		return rich_text_or_null(v);
	if (!strcmp(type, "number"))
		return number_text(v);
	if (!strcmp(type, "select") || !strcmp(type, "status"))
		return (s = str_at(v, "name")) && *s ? xstrdup(s) : NULL;
	if (!strcmp(type, "checkbox"))
		return json_is_boolean(v) ? xstrdup(json_is_true(v) ? "true" : "false") : NULL;
	if (!strcmp(type, "date")) {
		const char *start = str_at(v, "start"), *end = str_at(v, "end");
		if (!start || !*start)
			return NULL;
		if (for_due || !end || !*end)
			return xstrdup(start);
		buf_addf(&b, "%s/%s", start, end);
		return buf_detach(&b);
	}
	if (!strcmp(type, "people") && json_is_array(v)) {
		/* names only; a person without a name (null) is skipped, its id kept in metadata */
		json_array_foreach(v, i, item) if ((s = str_at(item, "name")) && *s)
			buf_addf(&b, "%s%s", b.len ? ", " : "", s);
		if (!b.len) {
			buf_release(&b);
			return NULL;
		}
		return buf_detach(&b);
	}
	if (!strcmp(type, "multi_select") && json_is_array(v)) {
		json_array_foreach(v, i, item) if ((s = str_at(item, "name")))
			buf_addf(&b, "%s%s", b.len ? ", " : "", s);
		if (!b.len) {
			buf_release(&b);
			return NULL;
		}
		return buf_detach(&b);
	}
	return NULL;
}

/* Appends comma-separated, trimmed, non-empty parts of s to tags. */
static void add_split_tags(json_t *tags, const char *s)
{
	while (*s) {
		const char *end = strchr(s, ',');
		const char *a = s, *z = end ? end : s + strlen(s);
		while (a < z && isspace((unsigned char)*a))
			a++;
		while (z > a && isspace((unsigned char)z[-1]))
			z--;
		if (z > a) {
			char *t = xstrndup(a, (size_t)(z - a));
			json_t *js = json_string(t);
			if (js)
				json_array_append_new(tags, js);
			free(t);
		}
		if (!end)
			break;
		s = end + 1;
	}
}

/*
 * Tags from a property: multi_select names (order kept), a select/status
 * name, comma-separated text, or the property's name for a checked
 * checkbox. NULL when there is none (cleared).
 */
static json_t *value_tags(const char *prop_name, const char *type, const json_t *v)
{
	json_t *tags = json_array(), *item;
	size_t i;
	const char *s;
	char *text;

	if (!type || !v) {
		/* nothing */
	} else if (!strcmp(type, "multi_select") && json_is_array(v)) {
		json_array_foreach(v, i, item) if ((s = str_at(item, "name")) && *s)
			json_array_append_new(tags, json_string(s));
	} else if ((!strcmp(type, "select") || !strcmp(type, "status")) &&
		   (s = str_at(v, "name")) && *s) {
		json_array_append_new(tags, json_string(s));
	} else if (!strcmp(type, "title") || !strcmp(type, "rich_text")) {
		if ((text = rich_text_or_null(v))) {
			add_split_tags(tags, text);
			free(text);
		}
	} else if (!strcmp(type, "checkbox") && json_is_true(v)) {
		json_t *js = json_string(prop_name);
		if (js)
			json_array_append_new(tags, js);
	}
	if (!json_array_size(tags)) {
		json_decref(tags);
		return NULL;
	}
	return tags;
}

/* The task string member for a text field. */
static char **text_slot(struct task *t, enum task_field f)
{
	switch (f) {
	case FIELD_TITLE:
		return &t->title;
	case FIELD_DESCRIPTION:
		return &t->description;
	case FIELD_RESOLUTION:
		return &t->resolution;
	case FIELD_CATEGORY:
		return &t->category;
	case FIELD_DUE_DATE:
		return &t->due_date;
	case FIELD_ASSIGNEE:
		return &t->assignee;
	default:
		return NULL;
	}
}

/*
 * Status from the mapped property: the Notion name goes to notion_status,
 * the task status through the statusMap rules (config_map_status). A
 * checkbox is named "true"/"false" and defaults to done/open unless the
 * statusMap says otherwise. Cleared → notion_status NULL, status "open".
 */
static void map_status(const struct db_config *db, const char *type, const json_t *v,
		       struct task *t)
{
	char *name = value_text(type, v, 0);

	free(t->notion_status);
	t->notion_status = name;
	free(t->status);
	if (name && !strcmp(type, "checkbox")) {
		const char *st = NULL;
		for (size_t i = 0; db && i < db->n_status_map; i++)
			if (!strcasecmp(db->status_map[i].notion_name, name))
				st = db->status_map[i].status;
		t->status = xstrdup(st ? st : !strcmp(name, "true") ? "done" : "open");
		return;
	}
	t->status = xstrdup(name ? config_map_status(db, name) : "open");
}

static void map_field(const struct db_config *db, enum task_field f, const char *prop_name,
		      const json_t *prop, struct task *t)
{
	const char *type = NULL;
	const json_t *v = json_is_object(prop) ? prop_value(prop, &type) : NULL;
	char **slot;

	if (type && !task_field_accepts(f, type))
		type = NULL, v = NULL; /* unmappable here: mapper_check_schema reports it */
	if (f == FIELD_STATUS) {
		map_status(db, type, v, t);
	} else if (f == FIELD_TAGS) {
		json_decref(t->tags);
		t->tags = value_tags(prop_name, type, v);
	} else if ((slot = text_slot(t, f))) {
		free(*slot);
		*slot = value_text(type, v, f == FIELD_DUE_DATE);
	}
}

/* The page's title property (name and value), or NULL. */
static const json_t *find_title_property(const json_t *props, const char **name_out)
{
	const char *key;
	json_t *val;

	json_object_foreach((json_t *)props, key, val)
	{
		const char *type = str_at(val, "type");
		if (type && !strcmp(type, "title")) {
			*name_out = key;
			return val;
		}
	}
	return NULL;
}

static char *dashed_or_null(const char *id)
{
	char d[ID_DASHED_LEN + 1];

	if (!id || id_normalize(id, d))
		return NULL;
	return xstrdup(d);
}

int mapper_map_page(const struct db_config *db, const char *data_source_id, const json_t *page,
		    struct task *out, struct nv_err *err)
{
	const json_t *props, *parent;
	const char *key, *s;
	json_t *val, *normalized;
	char *page_id;
	int title_mapped = 0;

	if (!json_is_object(page))
		return nv_err_set(err, NV_EINVAL, "not a Notion page: expected an object");
	if ((s = str_at(page, "object")) && strcmp(s, "page"))
		return nv_err_set(err, NV_EINVAL, "not a Notion page: object is \"%.40s\"", s);
	page_id = dashed_or_null(str_at(page, "id"));
	if (!page_id)
		return nv_err_set(err, NV_EINVAL, "Notion page without a valid id");
	props = json_object_get(page, "properties");
	if (!json_is_object(props)) {
		nv_err_set(err, NV_EINVAL,
			   "Notion page %s has no properties (does the integration have the "
			   "\"read content\" capability?)",
			   page_id);
		free(page_id);
		return NV_EINVAL;
	}

	out->notion_page_id = page_id;
	parent = json_object_get(page, "parent");
	out->notion_database_id = db && db->database_id
					  ? xstrdup(db->database_id)
					  : dashed_or_null(str_at(parent, "database_id"));
	if (data_source_id)
		out->notion_data_source_id = dashed_or_null(data_source_id);
	if (!out->notion_data_source_id && data_source_id)
		out->notion_data_source_id = xstrdup(data_source_id);
	if (!out->notion_data_source_id)
		out->notion_data_source_id = dashed_or_null(str_at(parent, "data_source_id"));
	if (!out->notion_data_source_id)
		out->notion_data_source_id = xstrdup(out->notion_database_id);
	out->notion_url = xstrdup(str_at(page, "url"));
	out->notion_created_time = xstrdup(str_at(page, "created_time"));
	out->notion_last_edited_time = xstrdup(str_at(page, "last_edited_time"));
	out->scope = db ? xstrdup(db->scope) : NULL;
	out->source = xstrdup("notion");
	out->active = !(json_is_true(json_object_get(page, "in_trash")) ||
			json_is_true(json_object_get(page, "archived")));
	out->status = xstrdup("open");

	for (size_t i = 0; db && i < db->n_mappings; i++) {
		const struct field_mapping *m = &db->mappings[i];
		map_field(db, m->field, m->property, json_object_get(props, m->property), out);
		if (m->field == FIELD_TITLE)
			title_mapped = 1;
	}
	if (!title_mapped) {
		const char *name = NULL;
		const json_t *tp = find_title_property(props, &name);
		if (tp)
			map_field(db, FIELD_TITLE, name, tp, out);
	}

	normalized = json_object();
	json_object_foreach((json_t *)props, key, val)
	{
		const char *stable =
			db ? json_string_value(json_object_get(db->property_keys, key)) : NULL;
		json_object_set_new(normalized, stable ? stable : key, normalize_property(val));
	}
	json_decref(out->metadata);
	out->metadata = json_pack("{s:o}", "notionProperties", normalized);
	return NV_OK;
}

/* ---- schema check ---- */

static int is_mappable(const char *type)
{
	for (const char *const *t = config_mappable_types; *t; t++)
		if (!strcmp(*t, type))
			return 1;
	return 0;
}

/* "Name (title), Notes (rich_text), ..." (at most 60 names). */
static void list_properties(struct buf *b, const json_t *properties)
{
	const char *key;
	json_t *val;
	size_t n = 0;

	json_object_foreach((json_t *)properties, key, val)
	{
		const char *type = str_at(val, "type");
		if (n == 60) {
			buf_addf(b, ", ... (%zu in all)", json_object_size(properties));
			break;
		}
		buf_addf(b, "%s\"%s\" (%s)", n++ ? ", " : "", key, type ? type : "?");
	}
	if (!n)
		buf_adds(b, "none");
}

int mapper_check_schema(const struct db_config *db, const json_t *properties, struct nv_err *err)
{
	struct buf msg = BUF_INIT, names = BUF_INIT, prefix = BUF_INIT;
	int problems = 0;

	if (!db)
		return NV_OK;
	buf_addf(&prefix, "database %s", db->database_id ? db->database_id : "?");
	if (db->name)
		buf_addf(&prefix, " (%s)", db->name);
	if (!json_is_object(properties)) {
		nv_err_set(err, NV_EINVAL, "%s: Notion sent no property schema", prefix.data);
		buf_release(&prefix);
		return NV_EINVAL;
	}
	list_properties(&names, properties);
	for (size_t i = 0; i < db->n_mappings; i++) {
		const struct field_mapping *m = &db->mappings[i];
		const char *field = task_field_name(m->field);
		const json_t *prop = json_object_get(properties, m->property);
		const char *type = str_at(prop, "type");
		size_t mark = msg.len;

		/* where the mapping is in the config file, else which database */
		if (problems++)
			buf_addch(&msg, '\n');
		if (m->where)
			buf_addf(&msg, "%s: ", m->where);
		else
			buf_addf(&msg, "%s: fieldMappings: ", prefix.data);
		if (!prop) {
			buf_addf(&msg,
				 "property \"%s\" (mapped to %s) does not exist; the "
				 "data source's properties are: %s",
				 m->property, field, names.data);
		} else if (!type || !is_mappable(type)) {
			buf_addf(&msg,
				 "property \"%s\" (mapped to %s) is of type %s, which cannot be "
				 "mapped (mappable types: title, rich_text, number, select, "
				 "multi_select, status, date, checkbox, people); the data "
				 "source's properties are: %s",
				 m->property, field, type ? type : "(unknown)", names.data);
		} else if (!task_field_accepts(m->field, type)) {
			buf_addf(&msg,
				 "property \"%s\" is of type %s, which cannot map to %s (%s "
				 "takes %s); the data source's properties are: %s",
				 m->property, type, field, field,
				 task_field_accepted_types(m->field), names.data);
		} else {
			/* this one is fine: take back its prefix */
			problems--;
			msg.len = mark;
			if (msg.data)
				msg.data[mark] = '\0';
		}
	}
	if (problems)
		nv_err_set(err, NV_ECONFIG, "%s", msg.data);
	buf_release(&msg);
	buf_release(&names);
	buf_release(&prefix);
	return problems ? NV_ECONFIG : NV_OK;
}

void mapper_check_status_map(const struct db_config *db, const json_t *properties, json_t *warnings)
{
	const struct field_mapping *m = db ? config_mapping_for(db, FIELD_STATUS) : NULL;
	const json_t *prop = m ? json_object_get(properties, m->property) : NULL;
	const char *type = str_at(prop, "type");
	const json_t *opts, *o;
	struct buf names = BUF_INIT;
	size_t k;

	if (!type || (strcmp(type, "status") && strcmp(type, "select")))
		return; /* checkbox, text: any name may come */
	opts = json_object_get(json_object_get(prop, type), "options");
	if (!json_is_array(opts))
		return;
	json_array_foreach(opts, k, o) buf_addf(&names, "%s\"%s\"", k ? ", " : "",
						str_at(o, "name") ? str_at(o, "name") : "?");
	for (size_t i = 0; i < db->n_status_map; i++) {
		const struct status_mapping *sm = &db->status_map[i];
		int found = 0;
		json_array_foreach(opts, k, o) if (str_at(o, "name") &&
						   !strcmp(str_at(o, "name"), sm->notion_name))
			found = 1;
		if (!found)
			json_array_append_new(
				warnings,
				json_sprintf("%s: \"%s\" is not an option of %s property \"%s\" in "
					     "Notion, so it maps no row (its options: %s)",
					     sm->where ? sm->where : "statusMap", sm->notion_name,
					     type, m->property, names.len ? names.data : "none"));
	}
	buf_release(&names);
}

const char *mapper_title_property_id(const json_t *properties)
{
	const char *name;
	const json_t *tp;

	if (!json_is_object(properties))
		return NULL;
	tp = find_title_property(properties, &name);
	return tp ? str_at(tp, "id") : NULL;
}

const char **mapper_property_ids(const json_t *properties, size_t *n)
{
	const char **ids = NULL, *key, *id;
	json_t *val;
	size_t cap = 0;

	*n = 0;
	if (!json_is_object(properties))
		return NULL;
	json_object_foreach((json_t *)properties, key, val)
	{
		if (!(id = str_at(val, "id")) || !*id)
			continue;
		ids = xgrow(ids, &cap, *n + 1, sizeof(*ids));
		ids[(*n)++] = id;
	}
	return ids;
}

/* ---- truncated values ---- */

#define NOTION_REFERENCE_CAP 25

json_t *mapper_truncated_properties(const json_t *page)
{
	json_t *out = json_array(), *val;
	const json_t *props = json_object_get(page, "properties");
	const char *key;

	if (!json_is_object(props))
		return out;
	json_object_foreach((json_t *)props, key, val)
	{
		const char *type = NULL;
		const json_t *v = json_is_object(val) ? prop_value(val, &type) : NULL;
		int truncated = 0;

		if (!type)
			continue;
		if (!strcmp(type, "relation"))
			truncated = json_is_true(json_object_get(val, "has_more"));
		else if (!strcmp(type, "people") || !strcmp(type, "title") ||
			 !strcmp(type, "rich_text"))
			truncated = json_is_array(v) && json_array_size(v) >= NOTION_REFERENCE_CAP;
		if (truncated)
			json_array_append_new(out,
					      json_pack("{s:s s:o s:s}", "name", key, "id",
							copy_or_null(json_object_get(val, "id")),
							"type", type));
	}
	return out;
}

int mapper_splice_property(json_t *page, const char *name, const json_t *items)
{
	json_t *prop = json_object_get(json_object_get(page, "properties"), name ? name : "");
	const char *type = NULL;
	json_t *full, *item;
	size_t i;

	if (!json_is_object(prop) || !prop_value(prop, &type) || !type)
		return -1;
	if (strcmp(type, "relation") && strcmp(type, "people") && strcmp(type, "title") &&
	    strcmp(type, "rich_text"))
		return -1;
	if (json_is_object(items))
		items = json_object_get(items, "results"); /* a whole list response */
	if (!json_is_array(items))
		return -1;
	full = json_array();
	json_array_foreach(items, i, item)
	{
		const char *it = str_at(item, "type");
		json_t *v = json_object_get(item, type);
		if (!it || strcmp(it, type) || !json_is_object(v)) {
			json_decref(full);
			return -1;
		}
		json_array_append_new(full, json_deep_copy(v));
	}
	json_object_set_new(prop, type, full);
	if (!strcmp(type, "relation"))
		json_object_set_new(prop, "has_more", json_false());
	json_object_del(prop, "truncated");
	return 0;
}

void mapper_mark_truncated(json_t *page, const char *name)
{
	json_t *prop = json_object_get(json_object_get(page, "properties"), name ? name : "");

	if (json_is_object(prop))
		json_object_set_new(prop, "truncated", json_true());
}
