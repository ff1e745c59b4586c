/*
 * cmd_schema.c: `nvault schema history`, the append-only record of how the
 * property schemas of the synced data sources changed (SPEC §3 "schema
 * history"): properties first recorded, added, removed, renamed, retyped,
 * their options changed. Oldest first, so it reads as a story.
 */
#include "cli/commands.h"

#include <string.h>

#include "store/store.h"
#include "util/buf.h"

/* "Old → New", the type change, or the option names, for the table. */
static void change_text(const struct schema_event *e, struct buf *b)
{
	buf_reset(b);
	if (!strcmp(e->kind, "renamed"))
		buf_addf(b, "\"%s\" -> \"%s\"", e->old_name ? e->old_name : "?",
			 e->name ? e->name : "?");
	else if (!strcmp(e->kind, "type_changed"))
		buf_addf(b, "%s -> %s", e->old_type ? e->old_type : "?", e->type ? e->type : "?");
	else if (!strcmp(e->kind, "options_changed") && e->options) {
		json_t *o;
		size_t i;
		json_array_foreach(e->options, i, o)
			buf_addf(b, "%s%s", i ? ", " : "", json_string_value(o));
		if (!json_array_size(e->options))
			buf_adds(b, "(no options)");
	} else {
		buf_adds(b, e->type ? e->type : "");
	}
}

static int cmd_schema_history(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *database = NULL;
	int64_t limit = 0;
	const struct cli_opt opts[] = {
		{"database", 0, CLI_STRING, &database, "ID",
		 "only this Notion database's data sources"},
		{"limit", 0, CLI_INT, &limit, "N", "only the newest N changes"},
		{NULL},
	};
	static const char *const headers[] = {"SEEN",	  "DATA SOURCE", "CHANGE",
					      "PROPERTY", "ID",		 "DETAIL"};
	struct store *s = NULL;
	struct schema_event *ev = NULL;
	struct buf detail = BUF_INIT;
	size_t n = 0;
	struct nv_err err;
	int rc;

	if (cli_parse(ctx, argc, argv, opts, "nvault schema history [--database ID] [--limit N]",
		      "Show how the property schemas of the synced data sources changed, oldest\n"
		      "first: each property when nvault first recorded it (initial), then every\n"
		      "property added, removed, renamed, retyped (type_changed) or whose options\n"
		      "changed (options_changed), as seen by sync runs. Append-only.",
		      0, 0))
		return ctx->exit_code;
	if (limit < 0)
		return cli_usage_error(ctx, "--limit must be a positive number");
	if ((rc = cli_open_store(ctx, STORE_READONLY | STORE_NO_CREATE, &s)))
		return rc;
	nv_err_clear(&err);
	if (store_schema_events(s, NULL, database, limit, &ev, &n, &err)) {
		rc = cli_error(ctx, &err);
	} else if (ctx->json) {
		json_t *items = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(items, schema_event_to_json(&ev[i]));
		json_t *doc = json_pack("{s:o s:I}", "changes", items, "count", (json_int_t)n);
		cli_print_json(doc);
		json_decref(doc);
	} else if (!n) {
		printf("No schema recorded yet%s%s (each sync records it).\n",
		       database ? " for database " : "", database ? database : "");
	} else {
		struct table tb;
		table_init(&tb, 6, headers);
		for (size_t i = 0; i < n; i++) {
			change_text(&ev[i], &detail);
			const char *cells[] = {ev[i].seen_at,	  ev[i].data_source_id,
					       ev[i].kind,	  ev[i].name ? ev[i].name : "",
					       ev[i].property_id, detail.data ? detail.data : ""};
			table_add(&tb, cells);
		}
		table_print(&tb, stdout);
		table_release(&tb);
	}
	buf_release(&detail);
	schema_events_free(ev, n);
	store_close(s);
	return rc;
}

static const struct cli_command schema_commands[] = {
	{.name = "history",
	 .run = cmd_schema_history,
	 .summary = "how the data sources' property schemas changed"},
	{.name = NULL},
};

int cmd_schema(struct cli_ctx *ctx, int argc, char **argv)
{
	return cli_dispatch(ctx, "schema", schema_commands, argc, argv);
}
