/*
 * task_view.c: presentation helpers for the task-reading commands; see
 * task_view.h.
 */
#include "cli/task_view.h"

#include <string.h>

#include "util/timeutil.h"

const char *cli_field_name(const char *field)
{
	static const char *const names[][2] = {
		{"title", "--title"},	      {"description", "--description"},
		{"status", "--status"},	      {"resolution", "--resolution"},
		{"category", "--category"},   {"dueDate", "--due"},
		{"assignee", "--assignee"},   {"scopeId", "--scope"},
		{"tags", "--tags"},	      {"metadata", "--metadata"},
		{"databaseId", "--database"}, {"limit", "--limit"},
		{"offset", "--offset"},	      {"time", "TIME"},
		{"since", "--since"},	      {"until", "--until"},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(names[i][0], field))
			return names[i][1];
	return NULL;
}

int cli_check_time(struct cli_ctx *ctx, const char *opt, const char *value)
{
	int64_t ms;

	if (value && !time_parse_iso(value, &ms))
		return 0;
	return cli_usage_error(ctx,
			       "%s '%s' is not a time: use ISO 8601, e.g. 2026-01-31, "
			       "2026-01-31T09:00 or 2026-01-31T09:00:00+01:00 (UTC if no zone)",
			       opt, value ? value : "");
}

void short_title(const char *title, size_t max, char *out, size_t n)
{
	size_t chars = 0, i, cut = 0;

	if (!title) {
		snprintf(out, n, "-");
		return;
	}
	if (max < 4)
		max = 4;
	/* one line only; count characters, not bytes */
	for (i = 0; title[i] && title[i] != '\n' && title[i] != '\r' && title[i] != '\t'; i++) {
		if (((unsigned char)title[i] & 0xC0) == 0x80)
			continue;
		if (chars == max - 3)
			cut = i;
		chars++;
	}
	if (!title[i] && chars <= max) {
		snprintf(out, n, "%s", title);
		return;
	}
	if (chars <= max - 3)
		cut = i;
	snprintf(out, n, "%.*s...", (int)cut, title);
}

json_t *version_export_json(const struct task_version *v)
{
	json_t *o = task_to_json(&v->snap);

	json_object_set_new(o, "version", json_integer(v->num));
	json_object_set_new(o, "versionId", v->id ? json_string(v->id) : json_null());
	json_object_set_new(o, "versionCreatedAt",
			    v->created_at ? json_string(v->created_at) : json_null());
	json_object_set_new(o, "versionCreatedBy",
			    v->created_by ? json_string(v->created_by) : json_null());
	json_object_del(o, "currentVersionId");
	json_object_del(o, "createdAt");
	json_object_del(o, "updatedAt");
	return o;
}

void csv_field(FILE *out, const char *s)
{
	if (!s)
		return;
	if (!strpbrk(s, ",\"\r\n") && s[0] != ' ' && (!*s || s[strlen(s) - 1] != ' ')) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

/* Writes the members of obj as "key": value pairs (indented), each followed by ",\n". */
static void write_members(const json_t *obj)
{
	const char *key;
	json_t *value;

	if (!obj)
		return;
	json_object_foreach((json_t *)obj, key, value)
	{
		json_t *k = json_string(key);
		fputs("  ", stdout);
		json_dumpf(k, stdout, JSON_ENCODE_ANY);
		fputs(": ", stdout);
		json_dumpf(value, stdout, JSON_ENCODE_ANY | JSON_COMPACT);
		fputs(",\n", stdout);
		json_decref(k);
	}
}

void json_stream_begin(struct json_stream *js, const json_t *head, const char *array_key)
{
	json_t *k = json_string(array_key);

	js->n = 0;
	fputs("{\n", stdout);
	write_members(head);
	fputs("  ", stdout);
	json_dumpf(k, stdout, JSON_ENCODE_ANY);
	fputs(": [", stdout);
	json_decref(k);
}

void json_stream_item(struct json_stream *js, const json_t *item)
{
	fputs(js->n++ ? ",\n    " : "\n    ", stdout);
	json_dumpf(item, stdout, JSON_COMPACT | JSON_ENCODE_ANY);
}

void json_stream_end(struct json_stream *js, const json_t *tail)
{
	const char *key;
	json_t *value;
	int first = 1;

	fputs(js->n ? "\n  ]" : "]", stdout);
	if (tail)
		json_object_foreach((json_t *)tail, key, value)
		{
			json_t *k = json_string(key);
			fputs(first ? ",\n  " : ",\n  ", stdout);
			first = 0;
			json_dumpf(k, stdout, JSON_ENCODE_ANY);
			fputs(": ", stdout);
			json_dumpf(value, stdout, JSON_ENCODE_ANY | JSON_COMPACT);
			json_decref(k);
		}
	fputs("\n}\n", stdout);
}

int json_stream_finish(struct json_stream *js, json_t *tail, int rc, const struct nv_err *err)
{
	if (rc)
		json_object_set_new(tail, "error", json_string(err->msg));
	json_stream_end(js, tail);
	json_decref(tail);
	if (!rc)
		return 0;
	fprintf(stderr, "nvault: error: %s\n", err->msg);
	return nv_exit_code(err->code);
}
