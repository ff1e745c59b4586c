/*
 * config.c: loading and validating notion-sync.config.json (SPEC §2.2); see
 * config.h. The file is read with jansson (duplicate keys rejected), then
 * walked once against the key tables below. Every problem found is
 * collected as one line "FILE: JSON.PATH: what is wrong" and all of them are
 * reported together, so a user fixes the file in one pass. Unknown keys get
 * a "did you mean" hint (edit distance), enums list their allowed values.
 *
 * A key that looks like a credential, or any string that looks like a
 * Notion token, makes the file invalid wherever it is: the token belongs in
 * NOTION_API_KEY. Such values are never echoed into a message.
 */
#include "config/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "task/task.h"
#include "util/buf.h"
#include "util/id.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define CONFIG_MAX_BYTES (4 * 1024 * 1024)
#define MAX_PROBLEMS 200

/* Newest first; the first is the default (keep in step with src/notion/notion.h). */
static const char *const supported_versions[] = {"2026-12-01", "2026-03-11", "2025-09-03",
						 "2022-06-28", NULL};

const char *const config_mappable_types[] = {
	"title",  "rich_text", "number",   "select", "multi_select",
	"status", "date",      "checkbox", "people", NULL,
};

/* ---- validation context: problems, one per line, and the current JSON path ---- */

struct vctx {
	const char *file;
	struct buf out; /* "FILE: PATH: message\n" lines */
	int count;
	struct buf path; /* "databases[1].fieldMappings.Due" */
	json_t *lines;	 /* JSON path -> line of its key (or array element) in the file */
};

static void problem(struct vctx *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(struct vctx *v, const char *fmt, ...)
{
	va_list ap;

	v->count++;
	if (v->count > MAX_PROBLEMS)
		return;
	buf_addf(&v->out, "%s: ", v->file);
	if (v->path.len)
		buf_addf(&v->out, "%s: ", v->path.data);
	va_start(ap, fmt);
	buf_vaddf(&v->out, fmt, ap);
	va_end(ap);
	buf_addch(&v->out, '\n');
}

static int is_ident(const char *k)
{
	if (!*k || isdigit((unsigned char)*k))
		return 0;
	for (const char *p = k; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '$')
			return 0;
	return 1;
}

/* Appends a JSON-quoted rendering of s (bounded), for paths and messages. */
static void add_quoted(struct buf *b, const char *s, size_t max)
{
	size_t n = 0;

	buf_addch(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++, n++) {
		if (n >= max) {
			buf_adds(b, "...");
			break;
		}
		if (*p == '"' || *p == '\\')
			buf_addf(b, "\\%c", *p);
		else if (*p < 0x20)
			buf_addf(b, "\\u%04x", *p);
		else
			buf_addch(b, (char)*p);
	}
	buf_addch(b, '"');
}

static int looks_like_token(const char *s);

static size_t path_push_key(struct vctx *v, const char *key)
{
	size_t saved = v->path.len;

	if (looks_like_token(key)) {
		buf_adds(&v->path, "[<hidden key>]");
	} else if (is_ident(key)) {
		if (v->path.len)
			buf_addch(&v->path, '.');
		buf_adds(&v->path, key);
	} else {
		buf_addch(&v->path, '[');
		add_quoted(&v->path, key, 80);
		buf_addch(&v->path, ']');
	}
	return saved;
}

static size_t path_push_index(struct vctx *v, size_t i)
{
	size_t saved = v->path.len;

	buf_addf(&v->path, "[%zu]", i);
	return saved;
}

static void path_pop(struct vctx *v, size_t saved)
{
	v->path.len = saved;
	if (v->path.data)
		v->path.data[saved] = '\0';
}

/* "FILE:LINE: PATH" for the current path (a new string). */
static char *where_here(const struct vctx *v)
{
	json_int_t line = json_integer_value(json_object_get(v->lines, buf_str(&v->path)));
	struct buf b = BUF_INIT;

	if (line > 0)
		buf_addf(&b, "%s:%lld: %s", v->file, (long long)line, buf_str(&v->path));
	else
		buf_addf(&b, "%s: %s", v->file, buf_str(&v->path));
	return buf_detach(&b);
}

/*
 * ---- line numbers: jansson keeps none, so the text (already parsed) is
 * scanned once more and every key's and array element's JSON path (as the
 * walk spells it) is mapped to its line.
 */
struct line_scan {
	const char *p, *end;
	int line;
	struct vctx *v; /* its path buffer is used, and left as found */
	int depth;
};

static void ls_space(struct line_scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')) {
		if (*s->p == '\n')
			s->line++;
		s->p++;
	}
}

/* Skips a string at s->p; returns it decoded (a new json string) when want. */
static json_t *ls_string(struct line_scan *s, int want)
{
	const char *start = s->p;

	if (s->p >= s->end || *s->p != '"')
		return NULL;
	for (s->p++; s->p < s->end && *s->p != '"'; s->p++)
		if (*s->p == '\\' && s->p + 1 < s->end)
			s->p++;
	if (s->p < s->end)
		s->p++;
	return want ? json_loadb(start, (size_t)(s->p - start), JSON_DECODE_ANY, NULL) : NULL;
}

static void ls_value(struct line_scan *s);

static void ls_record(struct line_scan *s, int line)
{
	json_object_set_new(s->v->lines, buf_str(&s->v->path), json_integer(line));
}

static void ls_value(struct line_scan *s)
{
	ls_space(s);
	if (s->p >= s->end)
		return;
	if (++s->depth > 64) { /* deeper than any config: no lines there */
		s->p = s->end;
		return;
	}
	if (*s->p == '{') {
		for (s->p++;;) {
			json_t *key;
			size_t saved;
			int line;
			ls_space(s);
			if (s->p >= s->end || *s->p == '}')
				break;
			line = s->line;
			key = ls_string(s, 1);
			if (!json_is_string(key)) {
				json_decref(key);
				s->p = s->end;
				break;
			}
			saved = path_push_key(s->v, json_string_value(key));
			json_decref(key);
			ls_record(s, line);
			ls_space(s);
			if (s->p < s->end && *s->p == ':')
				s->p++;
			ls_value(s);
			path_pop(s->v, saved);
			ls_space(s);
			if (s->p < s->end && *s->p == ',')
				s->p++;
			else
				break;
		}
		if (s->p < s->end)
			s->p++;
	} else if (*s->p == '[') {
		size_t i = 0;
		for (s->p++;; i++) {
			size_t saved;
			ls_space(s);
			if (s->p >= s->end || *s->p == ']')
				break;
			saved = path_push_index(s->v, i);
			ls_record(s, s->line);
			ls_value(s);
			path_pop(s->v, saved);
			ls_space(s);
			if (s->p < s->end && *s->p == ',')
				s->p++;
			else
				break;
		}
		if (s->p < s->end)
			s->p++;
	} else if (*s->p == '"') {
		ls_string(s, 0);
	} else {
		while (s->p < s->end && !strchr(",]} \t\r\n", *s->p))
			s->p++;
	}
	s->depth--;
}

/* Fills v->lines from the text of the file. */
static void scan_lines(struct vctx *v, const char *text, size_t len)
{
	struct line_scan s = {text, text + len, 1, v, 0};

	v->lines = json_object();
	ls_value(&s);
	path_pop(v, 0);
}

/* "a string", "a number", ... for type errors (never the value itself). */
static const char *json_kind(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "something else";
}

/* A value for a message: quoted, shortened, and hidden if it looks secret. */
static const char *show(struct buf *scratch, const char *s)
{
	buf_reset(scratch);
	if (looks_like_token(s))
		buf_adds(scratch, "(value hidden)");
	else
		add_quoted(scratch, s, 60);
	return buf_str(scratch);
}

/* ---- secrets ---- */

/*
 * Whether s contains a Notion integration token: "ntn_" or "secret_"
 * followed by at least 16 letters and digits (real tokens have about 43),
 * anywhere, even glued to other text ("Bearer ntn_...", "abcntn_...").
 * Such a string is never accepted or echoed; a false alarm only costs a
 * rename, a miss could print a token.
 */
static int looks_like_token(const char *s)
{
	for (const char *p = s; *p; p++) {
		size_t n = 0;
		const char *q;

		if (!strncmp(p, "ntn_", 4))
			q = p + 4;
		else if (!strncmp(p, "secret_", 7))
			q = p + 7;
		else
			continue;
		while (isalnum((unsigned char)q[n]))
			n++;
		if (n >= 16)
			return 1;
	}
	return 0;
}

/*
 * Whether a key names a credential: its words (split at non-letters and at
 * camelCase humps) include token, secret, password, auth, credential(s),
 * bearer, or the pairs api+key, access+key, private+key, client+secret.
 * "author" or "keywords" are not credentials.
 */
static int is_credential_key(const char *key)
{
	/* names the variable that holds a token, never the token itself (checked apart) */
	if (!strcmp(key, "tokenEnv"))
		return 0;
	static const char *const words[] = {
		"token",  "tokens",	"secret",      "secrets",	"password",   "passwd",
		"pwd",	  "passphrase", "auth",	       "authorization", "credential", "credentials",
		"bearer", "apikey",	"accesstoken", "authtoken",	"privatekey", NULL,
	};
	static const char *const pairs[][2] = {
		{"api", "key"},	      {"access", "key"}, {"private", "key"},
		{"client", "secret"}, {"api", "keys"},
	};
	char w[16][32];
	size_t nw = 0, len = 0;

	for (const char *p = key;; p++) {
		unsigned char c = (unsigned char)*p;
		int boundary = !c || !isalnum(c) ||
			       (isupper(c) && p > key && islower((unsigned char)p[-1]));
		if (boundary && len) {
			w[nw][len] = '\0';
			if (++nw == 16)
				break;
			len = 0;
		}
		if (!c)
			break;
		if (isalnum(c) && len < sizeof(w[0]) - 1)
			w[nw][len++] = (char)tolower(c);
	}
	for (size_t i = 0; i < nw; i++) {
		for (const char *const *s = words; *s; s++)
			if (!strcmp(w[i], *s))
				return 1;
		for (size_t k = 0; i + 1 < nw && k < sizeof(pairs) / sizeof(pairs[0]); k++)
			if (!strcmp(w[i], pairs[k][0]) && !strcmp(w[i + 1], pairs[k][1]))
				return 1;
	}
	return 0;
}

static const char secret_hint[] =
	"the Notion token belongs in the NOTION_API_KEY environment variable, never in the "
	"config file; remove it from the file (and consider rotating the token)";

/*
 * Walks the whole document for credentials: keys that name one (except the
 * keys of fieldMappings / statusMap objects, which are Notion names) and
 * string keys or values that look like a Notion token.
 */
static void scan_secrets(struct vctx *v, const json_t *j, int keys_are_names)
{
	const char *key;
	json_t *val;
	size_t i, saved;

	if (json_is_string(j)) {
		if (looks_like_token(json_string_value(j)))
			problem(v, "this value looks like a Notion API token; %s", secret_hint);
		return;
	}
	if (json_is_array(j)) {
		json_array_foreach(j, i, val)
		{
			saved = path_push_index(v, i);
			scan_secrets(v, val, 0);
			path_pop(v, saved);
		}
		return;
	}
	if (!json_is_object(j))
		return;
	json_object_foreach((json_t *)j, key, val)
	{
		int names = !strcmp(key, "fieldMappings") || !strcmp(key, "statusMap");
		saved = path_push_key(v, key);
		if (looks_like_token(key))
			problem(v, "this key looks like a Notion API token; %s", secret_hint);
		else if (!keys_are_names && is_credential_key(key)) {
			problem(v, "credential-looking key \"%s\" is not allowed: %s", key,
				secret_hint);
			if (json_is_string(val)) { /* one problem, not two */
				path_pop(v, saved);
				continue;
			}
		}
		scan_secrets(v, val, names && json_is_object(val));
		path_pop(v, saved);
	}
}

/* ---- "did you mean" ---- */

/* Case-insensitive Levenshtein distance; large for long strings. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[65];

	if (la > 64 || lb > 64)
		return 1000;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t cost = tolower((unsigned char)a[i - 1]) !=
				      tolower((unsigned char)b[j - 1]);
			size_t best = diag + cost;
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/*
 * The closest candidate within a typo's distance (about one edit per four
 * letters), else one that the word is a prefix of ("due" → "dueDate"), else
 * NULL.
 */
static const char *closest(const char *word, const char *const *candidates)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1, len = strlen(word), limit = len / 4 + 1;

	for (const char *const *c = candidates; *c; c++) {
		size_t d = edit_distance(word, *c);
		if (d < best_d) {
			best_d = d;
			best = *c;
		}
	}
	if (best_d <= limit)
		return best;
	for (const char *const *c = candidates; len >= 3 && *c; c++)
		if (!strncasecmp(*c, word, len))
			return *c;
	return NULL;
}

static void add_list(struct buf *b, const char *const *items)
{
	for (const char *const *p = items; *p; p++)
		buf_addf(b, "%s%s", p == items ? "" : ", ", *p);
}

/* Reports an unknown key (credentials are reported by scan_secrets). */
static void unknown_key(struct vctx *v, const char *key, const char *const *allowed,
			const char *where)
{
	struct buf list = BUF_INIT;
	const char *hint;

	if (is_credential_key(key) || looks_like_token(key))
		return;
	add_list(&list, allowed);
	hint = closest(key, allowed);
	if (hint)
		problem(v, "unknown key \"%s\" in %s (did you mean \"%s\"?)", key, where, hint);
	else
		problem(v, "unknown key \"%s\" in %s (allowed: %s)", key, where, buf_str(&list));
	buf_release(&list);
}

/* ---- typed value checks; each reports at the current path ---- */

/* A string (or, with nullable, null → *out NULL). 0 if acceptable. */
static int want_string(struct vctx *v, const json_t *j, int nullable, int nonempty, char **out)
{
	if (nullable && json_is_null(j)) {
		*out = NULL;
		return 0;
	}
	if (!json_is_string(j)) {
		problem(v, "must be a string%s, not %s", nullable ? " or null" : "", json_kind(j));
		return -1;
	}
	if (nonempty && !json_string_length(j)) {
		problem(v, "must not be empty");
		return -1;
	}
	if (looks_like_token(json_string_value(j)))
		return -1; /* reported by scan_secrets */
	*out = xstrdup(json_string_value(j));
	return 0;
}

/*
 * 32 hex digits, or the dashed 8-4-4-4-12 form (the same rule as the JSON
 * Schema's pattern, so the two validators agree).
 */
static int is_id_form(const char *s)
{
	size_t len = strlen(s);

	if (len == 32) {
		for (size_t i = 0; i < 32; i++)
			if (!isxdigit((unsigned char)s[i]))
				return 0;
		return 1;
	}
	if (len != ID_DASHED_LEN)
		return 0;
	for (size_t i = 0; i < len; i++) {
		int dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

/* The last run of exactly 32 hex digits in a pasted Notion URL, or 0. */
static int id_from_url(const char *s, char out[33])
{
	const char *best = NULL;
	size_t run = 0;

	if (strncmp(s, "http", 4))
		return 0;
	for (const char *p = s;; p++) {
		if (*p && isxdigit((unsigned char)*p)) {
			run++;
			continue;
		}
		if (run == 32)
			best = p - 32;
		run = 0;
		if (!*p)
			break;
	}
	if (!best)
		return 0;
	memcpy(out, best, 32);
	out[32] = '\0';
	return 1;
}

/* A Notion id, stored dashed lowercase. */
static int want_id(struct vctx *v, const json_t *j, int nullable, char **out)
{
	char dashed[ID_DASHED_LEN + 1], from_url[33];
	struct buf s = BUF_INIT;

	*out = NULL;
	if (nullable && json_is_null(j))
		return 0;
	if (!json_is_string(j)) {
		problem(v, "must be a Notion id string%s, not %s", nullable ? " or null" : "",
			json_kind(j));
		return -1;
	}
	if (!is_id_form(json_string_value(j)) || id_normalize(json_string_value(j), dashed)) {
		if (looks_like_token(json_string_value(j)))
			; /* reported by scan_secrets */
		else if (id_from_url(json_string_value(j), from_url))
			problem(v, "this is a URL, not a Notion id; use the id at its end: \"%s\"",
				from_url);
		else
			problem(v,
				"%s is not a Notion id (32 hexadecimal digits, with or without "
				"dashes)",
				show(&s, json_string_value(j)));
		buf_release(&s);
		return -1;
	}
	*out = xstrdup(dashed);
	return 0;
}

/* ---- the walk ---- */

static const char *const top_keys[] = {"$schema", "notionVersion", "databases", NULL};
static const char *const db_keys[] = {
	"notionDatabaseId",
	"dataSourceId",
	"name",
	"projectScopeId",
	"syncEnabled",
	"fieldMappings",
	"statusMap",
	"lastSyncTimestamp",
	"tokenEnv",
	NULL,
};
static const char *const mapping_keys[] = {"notionProperty", "taskField", "notionType", NULL};
static const char *const field_names[] = {
	"title",   "description", "status", "resolution", "category",
	"dueDate", "assignee",	  "tags",   NULL,
};

static int in_list(const char *s, const char *const *list)
{
	for (const char *const *p = list; *p; p++)
		if (!strcmp(s, *p))
			return 1;
	return 0;
}

/* A task field name at the current path; -1 (reported) when it is not one. */
static int want_field(struct vctx *v, const json_t *j)
{
	struct buf s = BUF_INIT, list = BUF_INIT;
	const char *hint;
	int f;

	if (!json_is_string(j)) {
		problem(v, "must be a task field name (a string), not %s", json_kind(j));
		return -1;
	}
	f = task_field_parse(json_string_value(j));
	if (f >= 0)
		return f;
	if (looks_like_token(json_string_value(j)))
		return -1;
	add_list(&list, field_names);
	hint = closest(json_string_value(j), field_names);
	if (hint)
		problem(v, "%s is not a task field (did you mean \"%s\"? allowed: %s)",
			show(&s, json_string_value(j)), hint, buf_str(&list));
	else
		problem(v, "%s is not a task field (allowed: %s)", show(&s, json_string_value(j)),
			buf_str(&list));
	buf_release(&s);
	buf_release(&list);
	return -1;
}

/* Adds a mapping after checking for a field or property mapped twice. */
static void add_mapping(struct vctx *v, struct db_config *db, const char *property, int field,
			const char *notion_type)
{
	for (size_t i = 0; i < db->n_mappings; i++) {
		if (!strcmp(db->mappings[i].property, property)) {
			problem(v, "property \"%s\" is mapped twice (already to %s)", property,
				task_field_name(db->mappings[i].field));
			return;
		}
		if ((int)db->mappings[i].field == field) {
			problem(v, "task field %s is mapped twice (already from property \"%s\")",
				task_field_name((enum task_field)field), db->mappings[i].property);
			return;
		}
	}
	db->mappings = xrealloc(db->mappings, (db->n_mappings + 1) * sizeof(*db->mappings));
	db->mappings[db->n_mappings].property = xstrdup(property);
	db->mappings[db->n_mappings].field = (enum task_field)field;
	db->mappings[db->n_mappings].notion_type = xstrdup(notion_type);
	db->mappings[db->n_mappings].where = where_here(v);
	db->n_mappings++;
}

/* Array form entry: {"notionProperty", "taskField", "notionType"}. */
static void walk_mapping_entry(struct vctx *v, struct db_config *db, const json_t *e)
{
	const char *key;
	json_t *val;
	char *property = NULL, *type = NULL;
	int field = -1, ok = 1;
	struct buf s = BUF_INIT, list = BUF_INIT;

	if (!json_is_object(e)) {
		problem(v,
			"must be an object {\"notionProperty\", \"taskField\", \"notionType\"}, "
			"not %s",
			json_kind(e));
		return;
	}
	json_object_foreach((json_t *)e, key, val)
	{
		size_t saved = path_push_key(v, key);
		if (!strcmp(key, "notionProperty")) {
			ok &= !want_string(v, val, 0, 1, &property);
		} else if (!strcmp(key, "taskField")) {
			field = want_field(v, val);
			ok &= field >= 0;
		} else if (!strcmp(key, "notionType")) {
			if (json_is_null(val)) {
				/* allowed: type not declared */
			} else if (!json_is_string(val)) {
				problem(v, "must be a Notion property type (a string), not %s",
					json_kind(val));
				ok = 0;
			} else if (!in_list(json_string_value(val), config_mappable_types)) {
				const char *hint =
					closest(json_string_value(val), config_mappable_types);
				add_list(&list, config_mappable_types);
				problem(v, "%s cannot be mapped%s%s%s (mappable types: %s)",
					show(&s, json_string_value(val)),
					hint ? "; did you mean \"" : "", hint ? hint : "",
					hint ? "\"?" : "", buf_str(&list));
				ok = 0;
			} else {
				type = xstrdup(json_string_value(val));
			}
		} else {
			unknown_key(v, key, mapping_keys, "a fieldMappings entry");
			ok = 0;
		}
		path_pop(v, saved);
	}
	if (!json_object_get(e, "notionProperty")) {
		problem(v, "missing \"notionProperty\" (the Notion property name)");
		ok = 0;
	}
	if (!json_object_get(e, "taskField")) {
		problem(v, "missing \"taskField\" (one of title, description, status, resolution, "
			   "category, dueDate, assignee, tags)");
		ok = 0;
	}
	if (ok && type && !task_field_accepts((enum task_field)field, type)) {
		problem(v, "a %s property cannot map to %s (%s takes %s)", type,
			task_field_name((enum task_field)field),
			task_field_name((enum task_field)field),
			task_field_accepted_types((enum task_field)field));
		ok = 0;
	}
	if (ok)
		add_mapping(v, db, property, field, type);
	free(property);
	free(type);
	buf_release(&s);
	buf_release(&list);
}

static void walk_field_mappings(struct vctx *v, struct db_config *db, const json_t *j)
{
	const char *key;
	json_t *val;
	size_t i, saved;

	if (json_is_object(j)) {
		json_object_foreach((json_t *)j, key, val)
		{
			int field;
			saved = path_push_key(v, key);
			if (!*key)
				problem(v, "empty Notion property name");
			else if (looks_like_token(key))
				; /* reported by scan_secrets; never kept, so never quoted later */
			else if ((field = want_field(v, val)) >= 0)
				add_mapping(v, db, key, field, NULL);
			path_pop(v, saved);
		}
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, val)
		{
			saved = path_push_index(v, i);
			walk_mapping_entry(v, db, val);
			path_pop(v, saved);
		}
	} else {
		problem(v,
			"must be an object {\"Notion property\": \"taskField\"} or an array of "
			"{\"notionProperty\", \"taskField\", \"notionType\"}, not %s",
			json_kind(j));
	}
}

static void walk_status_map(struct vctx *v, struct db_config *db, const json_t *j)
{
	const char *key;
	json_t *val;
	struct buf s = BUF_INIT, list = BUF_INIT;

	const char *statuses[16] = {NULL}; /* task_status_names, NULL-terminated */

	if (!json_is_object(j)) {
		problem(v, "must be an object {\"Notion option\": \"task status\"}, not %s",
			json_kind(j));
		return;
	}
	for (int i = 0; i < task_status_count && i < 15; i++) {
		statuses[i] = task_status_names[i];
		buf_addf(&list, "%s%s", i ? ", " : "", task_status_names[i]);
	}
	db->status_map = xcalloc(json_object_size(j) + 1, sizeof(*db->status_map));
	json_object_foreach((json_t *)j, key, val)
	{
		size_t saved = path_push_key(v, key);
		const char *st = NULL;

		if (!*key) {
			problem(v, "empty Notion option name");
		} else if (looks_like_token(key)) {
			/* reported by scan_secrets */
		} else if (!json_is_string(val)) {
			problem(v, "must be a task status (one of %s), not %s", buf_str(&list),
				json_kind(val));
		} else {
			for (int i = 0; i < task_status_count; i++)
				if (!strcmp(json_string_value(val), task_status_names[i]))
					st = task_status_names[i];
			if (!st && !looks_like_token(json_string_value(val))) {
				const char *hint = task_status_parse(json_string_value(val));
				if (!hint)
					hint = closest(json_string_value(val), statuses);
				problem(v, "%s is not a task status%s%s%s (allowed: %s)",
					show(&s, json_string_value(val)),
					hint ? "; did you mean \"" : "", hint ? hint : "",
					hint ? "\"?" : "", buf_str(&list));
			}
		}
		if (st) {
			db->status_map[db->n_status_map].notion_name = xstrdup(key);
			db->status_map[db->n_status_map].status = st;
			db->status_map[db->n_status_map].where = where_here(v);
			db->n_status_map++;
		}
		path_pop(v, saved);
	}
	buf_release(&s);
	buf_release(&list);
}

/* ^[A-Z_][A-Z0-9_]*$, at most 128 characters: the name of an environment variable. */
static int is_env_name(const char *s)
{
	size_t n = 0;

	if (!*s || (*s >= '0' && *s <= '9'))
		return 0;
	for (; *s; s++, n++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_') ||
		    n >= 128)
			return 0;
	return 1;
}

/*
 * tokenEnv: the name of the environment variable holding this database's
 * token. A value that is not such a name is refused without being shown:
 * it may be a pasted token of a form looks_like_token() does not know.
 */
static void walk_token_env(struct vctx *v, struct db_config *db, const json_t *j)
{
	if (json_is_null(j))
		return;
	if (!json_is_string(j)) {
		problem(v, "must be the name of an environment variable (a string), not %s",
			json_kind(j));
		return;
	}
	if (looks_like_token(json_string_value(j)))
		return; /* reported by scan_secrets */
	if (!is_env_name(json_string_value(j))) {
		problem(v,
			"must be the name of the environment variable that holds the token "
			"(capital letters, digits and _, such as NOTION_API_KEY_TEAM_B), not the "
			"token itself; the value given is not such a name and is not shown");
		return;
	}
	free(db->token_env);
	db->token_env = xstrdup(json_string_value(j));
}

static void walk_database(struct vctx *v, struct config *cfg, struct db_config *db, const json_t *j)
{
	const char *key;
	json_t *val;
	struct buf s = BUF_INIT;

	db->sync_enabled = 1;
	db->where = where_here(v);
	if (!json_is_object(j)) {
		problem(v, "each database must be an object, not %s", json_kind(j));
		return;
	}
	json_object_foreach((json_t *)j, key, val)
	{
		size_t saved = path_push_key(v, key);

		if (!strcmp(key, "notionDatabaseId")) {
			want_id(v, val, 0, &db->database_id);
			free(db->where_id);
			db->where_id = where_here(v);
		} else if (!strcmp(key, "dataSourceId")) {
			want_id(v, val, 1, &db->data_source_id);
		} else if (!strcmp(key, "name")) {
			want_string(v, val, 1, 0, &db->name);
		} else if (!strcmp(key, "projectScopeId")) {
			want_string(v, val, 1, 0, &db->scope);
		} else if (!strcmp(key, "syncEnabled")) {
			if (json_is_boolean(val))
				db->sync_enabled = json_is_true(val);
			else
				problem(v, "must be true or false, not %s", json_kind(val));
		} else if (!strcmp(key, "fieldMappings")) {
			walk_field_mappings(v, db, val);
		} else if (!strcmp(key, "statusMap")) {
			walk_status_map(v, db, val);
		} else if (!strcmp(key, "tokenEnv")) {
			walk_token_env(v, db, val);
			free(db->where_token_env);
			db->where_token_env = where_here(v);
		} else if (!strcmp(key, "lastSyncTimestamp")) {
			int64_t ms;
			char iso[TIME_ISO_MAX];
			if (json_is_null(val)) {
				/* no starting watermark */
			} else if (!json_is_string(val)) {
				problem(v, "must be an ISO 8601 time string or null, not %s",
					json_kind(val));
			} else if (time_parse_iso(json_string_value(val), &ms)) {
				if (!looks_like_token(json_string_value(val)))
					problem(v,
						"%s is not an ISO 8601 time (e.g. "
						"\"2026-01-01T00:00:00Z\")",
						show(&s, json_string_value(val)));
			} else {
				db->last_sync_timestamp = xstrdup(time_format_iso(ms, iso));
			}
		} else if (in_list(key, top_keys)) {
			problem(v,
				"\"%s\" belongs at the top level of the file, not inside a "
				"database",
				key);
		} else {
			unknown_key(v, key, db_keys, "a database entry");
		}
		path_pop(v, saved);
	}
	if (!json_object_get(j, "notionDatabaseId"))
		problem(v, "missing \"notionDatabaseId\" (the Notion database id, 32 hex digits)");
	if (db->data_source_id && cfg->notion_version && !strcmp(cfg->notion_version, "2022-06-28"))
		problem(v, "dataSourceId needs notionVersion \"2025-09-03\" or later (data sources "
			   "do not exist in 2022-06-28)");
	buf_release(&s);
}

static void walk_top(struct vctx *v, struct config *cfg, const json_t *root)
{
	const char *key;
	json_t *val, *dbs;
	struct buf s = BUF_INIT, list = BUF_INIT;
	size_t i;

	if (!json_is_object(root)) {
		problem(v, "the top level must be an object {\"databases\": [...]}, not %s",
			json_kind(root));
		return;
	}
	/* notionVersion first: database checks depend on it */
	val = json_object_get(root, "notionVersion");
	if (val) {
		size_t saved = path_push_key(v, "notionVersion");
		add_list(&list, supported_versions);
		if (!json_is_string(val))
			problem(v, "must be a string (one of %s), not %s", buf_str(&list),
				json_kind(val));
		else if (!in_list(json_string_value(val), supported_versions))
			problem(v, "%s is not a supported Notion API version (allowed: %s)",
				show(&s, json_string_value(val)), buf_str(&list));
		else
			cfg->notion_version = xstrdup(json_string_value(val));
		path_pop(v, saved);
	}
	if (!cfg->notion_version)
		cfg->notion_version = xstrdup(supported_versions[0]);

	json_object_foreach((json_t *)root, key, val)
	{
		size_t saved = path_push_key(v, key);
		if (!strcmp(key, "$schema")) {
			if (!json_is_string(val))
				problem(v,
					"must be a string (a path or URL to the JSON Schema), not "
					"%s",
					json_kind(val));
		} else if (!strcmp(key, "notionVersion") || !strcmp(key, "databases")) {
			/* handled apart */
		} else if (in_list(key, db_keys)) {
			problem(v,
				"\"%s\" belongs inside an entry of \"databases\", not at the top "
				"level",
				key);
		} else {
			unknown_key(v, key, top_keys, "the top level");
		}
		path_pop(v, saved);
	}

	dbs = json_object_get(root, "databases");
	if (!dbs) {
		problem(v, "missing \"databases\" (an array with one entry per Notion database)");
	} else {
		size_t saved = path_push_key(v, "databases");
		if (!json_is_array(dbs)) {
			problem(v, "must be an array of database entries, not %s", json_kind(dbs));
		} else if (!json_array_size(dbs)) {
			problem(v, "must list at least one database");
		} else {
			cfg->dbs = xcalloc(json_array_size(dbs), sizeof(*cfg->dbs));
			json_array_foreach(dbs, i, val)
			{
				size_t s2 = path_push_index(v, i);
				struct db_config *db = &cfg->dbs[cfg->n_dbs++];
				walk_database(v, cfg, db, val);
				for (size_t k = 0; db->database_id && k + 1 < cfg->n_dbs; k++)
					if (cfg->dbs[k].database_id &&
					    !strcmp(cfg->dbs[k].database_id, db->database_id)) {
						problem(v,
							"duplicate notionDatabaseId %s (already in "
							"databases[%zu])",
							db->database_id, k);
						break;
					}
				path_pop(v, s2);
			}
		}
		path_pop(v, saved);
	}
	buf_release(&s);
	buf_release(&list);
}

/* ---- public API ---- */

static void db_config_release(struct db_config *db)
{
	free(db->database_id);
	free(db->data_source_id);
	free(db->name);
	free(db->scope);
	for (size_t i = 0; i < db->n_mappings; i++) {
		free(db->mappings[i].property);
		free(db->mappings[i].notion_type);
		free(db->mappings[i].where);
	}
	free(db->mappings);
	for (size_t i = 0; i < db->n_status_map; i++) {
		free(db->status_map[i].notion_name);
		free(db->status_map[i].where);
	}
	free(db->status_map);
	free(db->last_sync_timestamp);
	free(db->token_env);
	free(db->where);
	free(db->where_id);
	free(db->where_token_env);
}

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->n_dbs; i++)
		db_config_release(&cfg->dbs[i]);
	free(cfg->dbs);
	free(cfg->path);
	free(cfg->notion_version);
	free(cfg);
}

/* Parses and validates len bytes of text. */
static int config_load_bytes(const char *text, size_t len, const char *path, struct config **out,
			     struct nv_err *err)
{
	json_error_t jerr;
	json_t *root;
	struct vctx v;
	struct config *cfg;
	const char *file = path ? path : "(config)";

	*out = NULL;
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return nv_err_set(err, NV_ECONFIG, "%s:%d:%d: JSON syntax error: %s", file,
				  jerr.line, jerr.column, jerr.text);

	memset(&v, 0, sizeof(v));
	v.file = file;
	cfg = xcalloc(1, sizeof(*cfg));
	cfg->path = xstrdup(file);
	scan_lines(&v, text, len);
	scan_secrets(&v, root, 0);
	walk_top(&v, cfg, root);
	json_decref(root);
	json_decref(v.lines);
	buf_release(&v.path);

	if (v.count) {
		if (v.count > MAX_PROBLEMS)
			buf_addf(&v.out, "%s: ... and %d more problems\n", file,
				 v.count - MAX_PROBLEMS);
		/* drop the final newline; keep whole lines if the message buffer is too small */
		if (v.out.len && v.out.data[v.out.len - 1] == '\n')
			v.out.data[--v.out.len] = '\0';
		if (v.out.len >= NV_ERR_MSG_MAX - 64) {
			char *cut = v.out.data + NV_ERR_MSG_MAX - 64;
			while (cut > v.out.data && *cut != '\n')
				cut--;
			*cut = '\0';
			nv_err_set(err, NV_ECONFIG, "%s\n%s: ... (more problems not shown)",
				   v.out.data, file);
		} else {
			nv_err_set(err, NV_ECONFIG, "%s", v.out.data);
		}
		buf_release(&v.out);
		config_free(cfg);
		return NV_ECONFIG;
	}
	buf_release(&v.out);
	*out = cfg;
	return NV_OK;
}

int config_load_string(const char *text, const char *path, struct config **out, struct nv_err *err)
{
	if (!text) {
		*out = NULL;
		return nv_err_set(err, NV_ECONFIG, "%s: no config text", path ? path : "(config)");
	}
	return config_load_bytes(text, strlen(text), path, out, err);
}

int config_load(const char *path, struct config **out, struct nv_err *err)
{
	FILE *f;
	struct buf b = BUF_INIT;
	char chunk[8192];
	size_t n;
	int rc;

	*out = NULL;
	if (!path)
		return nv_err_set(err, NV_ECONFIG, "no config file given");
	f = fopen(path, "rb");
	if (!f && errno == ENOENT)
		return nv_err_set(err, NV_ECONFIG,
				  "%s: no config file there (write one with `nvault init`, or "
				  "set --config or AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH; `nvault "
				  "config path` shows where nvault looks)",
				  path);
	if (!f)
		return nv_err_set(err, NV_ECONFIG,
				  "%s: cannot read the config file: %s (set --config or "
				  "AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH)",
				  path, strerror(errno));
	buf_init(&b, CONFIG_MAX_BYTES);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (buf_add(&b, chunk, n)) {
			fclose(f);
			buf_release(&b);
			return nv_err_set(err, NV_ECONFIG,
					  "%s: the config file is larger than %d bytes", path,
					  CONFIG_MAX_BYTES);
		}
	}
	if (ferror(f)) {
		int e = errno;
		fclose(f);
		buf_release(&b);
		return nv_err_set(err, NV_ECONFIG, "%s: cannot read the config file: %s", path,
				  strerror(e));
	}
	fclose(f);
	rc = config_load_bytes(b.data ? b.data : "", b.len, path, out, err);
	buf_release(&b);
	return rc;
}

const char *config_token_env(const struct db_config *db)
{
	return db && db->token_env ? db->token_env : CONFIG_DEFAULT_TOKEN_ENV;
}

const struct db_config *config_find_db(const struct config *cfg, const char *database_id)
{
	char dashed[ID_DASHED_LEN + 1];

	if (!cfg || !database_id || id_normalize(database_id, dashed))
		return NULL;
	for (size_t i = 0; i < cfg->n_dbs; i++)
		if (cfg->dbs[i].database_id && !strcmp(cfg->dbs[i].database_id, dashed))
			return &cfg->dbs[i];
	return NULL;
}

const char *config_map_status(const struct db_config *db, const char *notion_name)
{
	const char *st;

	if (!notion_name)
		return NULL;
	if (db) {
		for (size_t i = 0; i < db->n_status_map; i++)
			if (!strcmp(db->status_map[i].notion_name, notion_name))
				return db->status_map[i].status;
		for (size_t i = 0; i < db->n_status_map; i++)
			if (!strcasecmp(db->status_map[i].notion_name, notion_name))
				return db->status_map[i].status;
	}
	st = task_status_parse(notion_name);
	return st ? st : "open";
}

const struct field_mapping *config_mapping_for(const struct db_config *db, enum task_field f)
{
	if (!db)
		return NULL;
	for (size_t i = 0; i < db->n_mappings; i++)
		if (db->mappings[i].field == f)
			return &db->mappings[i];
	return NULL;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *db_config_to_json(const struct db_config *db)
{
	json_t *maps = json_object(), *status = json_object();

	for (size_t i = 0; i < db->n_mappings; i++)
		json_object_set_new(maps, db->mappings[i].property,
				    json_string(task_field_name(db->mappings[i].field)));
	for (size_t i = 0; i < db->n_status_map; i++)
		json_object_set_new(status, db->status_map[i].notion_name,
				    json_string(db->status_map[i].status));
	return json_pack("{s:o s:o s:o s:o s:b s:o s:o s:o s:s}", "notionDatabaseId",
			 str_or_null(db->database_id), "dataSourceId",
			 str_or_null(db->data_source_id), "name", str_or_null(db->name),
			 "projectScopeId", str_or_null(db->scope), "syncEnabled", db->sync_enabled,
			 "fieldMappings", maps, "statusMap", status, "lastSyncTimestamp",
			 str_or_null(db->last_sync_timestamp), "tokenEnv", config_token_env(db));
}

json_t *config_to_json(const struct config *cfg, const struct settings *st)
{
	json_t *doc = json_object();

	if (st) {
		json_object_set_new(doc, "settings",
				    json_pack("{s:o s:o s:o s:o s:b s:f s:b}", "configPath",
					      str_or_null(st->config_path), "dbPath",
					      str_or_null(st->db_shown), "baseUrl",
					      str_or_null(st->base_url), "schedule",
					      str_or_null(st->schedule), "syncEnabled",
					      st->sync_enabled, "rateLimit", st->rate_limit,
					      "apiKeySet", settings_has_token(st)));
	}
	if (cfg) {
		json_t *dbs = json_array();
		for (size_t i = 0; i < cfg->n_dbs; i++)
			json_array_append_new(dbs, db_config_to_json(&cfg->dbs[i]));
		json_object_set_new(doc, "config",
				    json_pack("{s:o s:o s:o}", "path", str_or_null(cfg->path),
					      "notionVersion", str_or_null(cfg->notion_version),
					      "databases", dbs));
	} else {
		json_object_set_new(doc, "config", json_null());
	}
	return doc;
}
