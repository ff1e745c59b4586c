/*
 * cmd_diff.c: `nvault diff --since TIME [--until TIME]`, what happened to
 * the tasks between two times: every task with versions written in
 * (since, until], classified as created, changed, deleted or restored, with
 * the version it had before and the one it had after. --json is streamed.
 */
#include "cli/commands.h"

#include <string.h>

#include "app/app.h"
#include "cli/task_view.h"
#include "store/store.h"
#include "util/timeutil.h"

struct diff_out {
	struct cli_ctx *ctx;
	struct json_stream js;
	struct table tb;
	int64_t counts[4];
};

static int diff_row(void *ud, const struct diff_entry *e)
{
	struct diff_out *o = ud;

	o->counts[e->kind]++;
	if (o->ctx->json) {
		json_t *item =
			json_pack("{s:s s:s? s:o s:I s:I s:o s:o}", "kind", diff_kind_name(e->kind),
				  "taskId", e->after->snap.id, "fromVersion",
				  e->before ? json_integer(e->before->num) : json_null(),
				  "toVersion", (json_int_t)e->after->num, "versionsInRange",
				  (json_int_t)e->versions_in_range, "before",
				  e->before ? task_version_to_json(e->before) : json_null(),
				  "after", task_version_to_json(e->after));
		json_stream_item(&o->js, item);
		json_decref(item);
	} else {
		char versions[64], title[256];
		if (e->before)
			snprintf(versions, sizeof(versions), "%lld -> %lld",
				 (long long)e->before->num, (long long)e->after->num);
		else
			snprintf(versions, sizeof(versions), "new -> %lld",
				 (long long)e->after->num);
		short_title(e->after->snap.title, 50, title, sizeof(title));
		const char *cells[] = {diff_kind_name(e->kind), e->after->snap.id, versions,
				       e->after->snap.status, title};
		table_add(&o->tb, cells);
	}
	return 0;
}

int cmd_diff(struct cli_ctx *ctx, int argc, char **argv)
{
	struct app_query q = {.name = cli_field_name};
	const struct cli_opt opts[] = {
		{"since", 0, CLI_STRING, &q.since, "TIME",
		 "start of the window (exclusive; required)"},
		{"until", 0, CLI_STRING, &q.until, "TIME",
		 "end of the window (inclusive; default now)"},
		{"database", 0, CLI_STRING, &q.database_id, "ID",
		 "only tasks of this Notion database"},
		{NULL},
	};
	static const char *const headers[] = {"KIND", "ID", "VERSIONS", "STATUS", "TITLE"};
	struct diff_out o = {.ctx = ctx};
	struct store *s = NULL;
	struct nv_err err;
	int64_t total;
	int rc;

	if (cli_parse(ctx, argc, argv, opts,
		      "nvault diff --since TIME [--until TIME] [--database ID]",
		      "Show which tasks were created, changed, deleted or restored between two\n"
		      "times (ISO 8601; versions written after --since and up to --until).",
		      0, 0))
		return ctx->exit_code;
	if (!q.since)
		return cli_usage_error(ctx, "--since TIME is required");
	nv_err_clear(&err);
	if (app_query_check(&q, &err))
		return cli_usage_error(ctx, "%s", err.msg);
	if ((rc = cli_open_store(ctx, STORE_READONLY | STORE_NO_CREATE, &s)))
		return rc;
	nv_err_clear(&err);
	if (ctx->json) {
		json_t *head = json_pack("{s:s s:s?}", "since", q.since, "until", q.until);
		json_stream_begin(&o.js, head, "changes");
		json_decref(head);
	} else {
		table_init(&o.tb, 5, headers);
	}
	rc = app_task_diff(s, &q, diff_row, &o, &total, &err);
	if (ctx->json) {
		json_t *tail = json_pack("{s:I s:I s:I s:I}", "created",
					 (json_int_t)o.counts[DIFF_CREATED], "changed",
					 (json_int_t)o.counts[DIFF_CHANGED], "deleted",
					 (json_int_t)o.counts[DIFF_DELETED], "restored",
					 (json_int_t)o.counts[DIFF_RESTORED]);
		rc = json_stream_finish(&o.js, tail, rc, &err);
	} else {
		if (rc) {
			rc = cli_error(ctx, &err);
		} else {
			if (o.tb.rows > 1) {
				table_print(&o.tb, stdout);
				putchar('\n');
			}
			printf("%lld created, %lld changed, %lld deleted, %lld restored after "
			       "%s%s%s.\n",
			       (long long)o.counts[DIFF_CREATED], (long long)o.counts[DIFF_CHANGED],
			       (long long)o.counts[DIFF_DELETED],
			       (long long)o.counts[DIFF_RESTORED], q.since,
			       q.until ? " up to " : "", q.until ? q.until : "");
		}
		table_release(&o.tb);
	}
	store_close(s);
	return rc;
}
