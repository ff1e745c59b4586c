/*
 * cmd_export.c: `nvault export --format jsonl|csv`, every task (or every
 * task as of a time) for other tools, streamed row by row so that memory
 * does not grow with the store. JSON Lines writes one object per task;
 * CSV writes a header and RFC 4180 quoted fields, with tags and metadata
 * as JSON text. With --json the output is one JSON document instead.
 */
#include "cli/commands.h"

#include <string.h>

#include "cli/task_view.h"
#include "store/store.h"

enum export_format { FORMAT_JSONL, FORMAT_CSV, FORMAT_JSON };

static const char *const format_names[] = {
	[FORMAT_JSONL] = "jsonl",
	[FORMAT_CSV] = "csv",
};

/* CSV columns: header name and the key of version_export_json(). */
static const char *const csv_columns[] = {
	"id",
	"version",
	"versionCreatedAt",
	"title",
	"status",
	"resolution",
	"category",
	"dueDate",
	"assignee",
	"tags",
	"scopeId",
	"source",
	"notionStatus",
	"notionDatabaseId",
	"notionDataSourceId",
	"notionPageId",
	"notionUrl",
	"notionCreatedTime",
	"notionLastEditedTime",
	"active",
	"deletedAt",
	"description",
	"metadata",
};
#define N_CSV_COLUMNS (sizeof(csv_columns) / sizeof(csv_columns[0]))

struct export_out {
	enum export_format format;
	struct json_stream js;
	int64_t n;
};

/* One JSON value as CSV text: strings as they are, null empty, the rest as JSON. */
static void csv_value(const json_t *v)
{
	char *text;

	if (!v || json_is_null(v))
		return;
	if (json_is_string(v)) {
		csv_field(stdout, json_string_value(v));
		return;
	}
	text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
	csv_field(stdout, text);
	free(text);
}

static int export_row(void *ud, const struct task_version *v)
{
	struct export_out *o = ud;
	json_t *item = version_export_json(v);

	o->n++;
	switch (o->format) {
	case FORMAT_JSONL:
		json_dumpf(item, stdout, JSON_COMPACT);
		fputc('\n', stdout);
		break;
	case FORMAT_CSV:
		for (size_t c = 0; c < N_CSV_COLUMNS; c++) {
			if (c)
				fputc(',', stdout);
			csv_value(json_object_get(item, csv_columns[c]));
		}
		fputs("\r\n", stdout);
		break;
	case FORMAT_JSON:
		json_stream_item(&o->js, item);
		break;
	}
	json_decref(item);
	return ferror(stdout) ? NV_EIO : 0;
}

int cmd_export(struct cli_ctx *ctx, int argc, char **argv)
{
	struct task_filter f = {0};
	const char *format = NULL, *as_of = NULL;
	int include_deleted = 0;
	const struct cli_opt opts[] = {
		{"format", 0, CLI_STRING, &format, "FORMAT", "jsonl or csv"},
		{"as-of", 0, CLI_STRING, &as_of, "TIME", "export tasks as they were at TIME"},
		{"database", 0, CLI_STRING, &f.database_id, "ID",
		 "only tasks of this Notion database"},
		{"include-deleted", 0, CLI_FLAG, &include_deleted, NULL, "also soft-deleted tasks"},
		{NULL},
	};
	struct export_out o = {0};
	struct store *s = NULL;
	struct nv_err err;
	int rc;

	if (cli_parse(ctx, argc, argv, opts,
		      "nvault export --format jsonl|csv [--as-of TIME] [--database ID]",
		      "Write every task (current versions, or as of TIME) to stdout for other\n"
		      "tools: JSON Lines (one object per task) or CSV (header row, RFC 4180\n"
		      "quoting, tags and metadata as JSON text). With --json, one JSON document\n"
		      "{\"tasks\": [...], \"count\": N} instead.",
		      0, 0))
		return ctx->exit_code;
	if (ctx->json) {
		if (format && strcmp(format, "jsonl"))
			return cli_usage_error(ctx,
					       "--json writes one JSON document; it cannot be "
					       "combined with --format %s",
					       format);
		o.format = FORMAT_JSON;
	} else if (!format) {
		return cli_usage_error(ctx, "--format is required (jsonl or csv)");
	} else if (!strcmp(format, format_names[FORMAT_JSONL])) {
		o.format = FORMAT_JSONL;
	} else if (!strcmp(format, format_names[FORMAT_CSV])) {
		o.format = FORMAT_CSV;
	} else {
		return cli_usage_error(ctx, "unknown --format '%s' (use jsonl or csv)", format);
	}
	if (as_of && (rc = cli_check_time(ctx, "--as-of", as_of)))
		return rc;
	f.include_deleted = include_deleted;
	if ((rc = cli_open_store(ctx, STORE_READONLY | STORE_NO_CREATE, &s)))
		return rc;
	if (o.format == FORMAT_CSV) {
		for (size_t c = 0; c < N_CSV_COLUMNS; c++)
			printf("%s%s", c ? "," : "", csv_columns[c]);
		fputs("\r\n", stdout);
	} else if (o.format == FORMAT_JSON) {
		json_t *head = json_pack("{s:s?}", "asOf", as_of);
		json_stream_begin(&o.js, head, "tasks");
		json_decref(head);
	}
	nv_err_clear(&err);
	if (as_of)
		rc = store_task_as_of(s, as_of, &f, export_row, &o, &err);
	else
		rc = store_task_each_current(s, &f, export_row, &o, &err);
	if (rc == NV_EIO && !err.msg[0])
		nv_err_set(&err, NV_EIO, "writing the export failed");
	if (o.format == FORMAT_JSON) {
		json_t *tail = json_pack("{s:I}", "count", (json_int_t)o.n);
		if (rc)
			json_object_set_new(tail, "error", json_string(err.msg));
		json_stream_end(&o.js, tail);
		json_decref(tail);
	}
	store_close(s);
	if (rc) {
		fprintf(stderr, "nvault: error: %s\n", err.msg);
		return nv_exit_code(err.code ? err.code : (enum nv_status)rc);
	}
	if (ctx->verbosity >= 0)
		fprintf(stderr, "exported %lld task%s\n", (long long)o.n, o.n == 1 ? "" : "s");
	return 0;
}
