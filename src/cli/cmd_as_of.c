/*
 * cmd_as_of.c: `nvault as-of TIME`, every task of the store (or of one
 * database) as it was at TIME: for each task its newest version written at
 * or before TIME. Tasks created later are absent; tasks deleted by then are
 * left out unless --include-deleted. The --json document is streamed.
 */
#include "cli/commands.h"

#include <string.h>

#include "app/app.h"
#include "cli/task_view.h"
#include "store/store.h"

struct as_of_out {
	struct cli_ctx *ctx;
	struct json_stream js;
	struct table tb;
	int64_t n;
};

static int as_of_row(void *ud, const struct task_version *v)
{
	struct as_of_out *o = ud;

	o->n++;
	if (o->ctx->json) {
		json_t *item = version_export_json(v);
		json_stream_item(&o->js, item);
		json_decref(item);
	} else {
		char num[24], title[256];
		snprintf(num, sizeof(num), "%lld", (long long)v->num);
		short_title(v->snap.title, 50, title, sizeof(title));
		const char *cells[] = {
			v->snap.id,   num, v->snap.status, title, v->snap.active ? "" : "deleted",
			v->created_at};
		table_add(&o->tb, cells);
	}
	return 0;
}

int cmd_as_of(struct cli_ctx *ctx, int argc, char **argv)
{
	struct app_query q = {.name = cli_field_name};
	const struct cli_opt opts[] = {
		{"database", 0, CLI_STRING, &q.database_id, "ID",
		 "only tasks of this Notion database"},
		{"include-deleted", 0, CLI_FLAG, &q.include_deleted, NULL,
		 "also tasks that were deleted at that time"},
		{NULL},
	};
	static const char *const headers[] = {"ID",    "VER",	"STATUS",
					      "TITLE", "STATE", "VERSION WRITTEN"};
	struct as_of_out o = {.ctx = ctx};
	struct store *s = NULL;
	struct nv_err err;
	int64_t total;
	int rc;

	if (cli_parse(ctx, argc, argv, opts, "nvault as-of TIME [--database ID]",
		      "Show every task as it was at TIME (ISO 8601; a date alone means its\n"
		      "midnight UTC): the newest version of each task written at or before\n"
		      "TIME.",
		      1, 1))
		return ctx->exit_code;
	q.at = ctx->args[0];
	nv_err_clear(&err);
	if (app_query_check(&q, &err))
		return cli_usage_error(ctx, "%s", err.msg);
	if ((rc = cli_open_store(ctx, STORE_READONLY | STORE_NO_CREATE, &s)))
		return rc;
	nv_err_clear(&err);
	if (ctx->json) {
		json_t *head = json_pack("{s:s}", "asOf", ctx->args[0]);
		json_stream_begin(&o.js, head, "tasks");
		json_decref(head);
	} else {
		table_init(&o.tb, 6, headers);
	}
	rc = app_task_as_of(s, &q, as_of_row, &o, &total, &err);
	if (ctx->json) {
		rc = json_stream_finish(&o.js, json_pack("{s:I}", "count", (json_int_t)o.n), rc,
					&err);
	} else {
		if (rc) {
			rc = cli_error(ctx, &err);
		} else if (o.n) {
			table_print(&o.tb, stdout);
			printf("\n%lld task%s as of %s.\n", (long long)o.n, o.n == 1 ? "" : "s",
			       ctx->args[0]);
		} else {
			printf("No tasks existed at %s.\n", ctx->args[0]);
		}
		table_release(&o.tb);
	}
	store_close(s);
	return rc;
}
