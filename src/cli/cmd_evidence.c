/*
 * cmd_evidence.c: `nvault evidence`, the append-only audit records of sync
 * runs (one per database per run), newest first.
 */
#include "cli/commands.h"

#include <string.h>

#include "store/store.h"

/* A count from the record's metadata as text ("-" when absent). */
static void meta_count(const json_t *meta, const char *key, char *out, size_t n)
{
	json_t *v = json_object_get(meta, key);

	if (json_is_integer(v))
		snprintf(out, n, "%lld", (long long)json_integer_value(v));
	else if (json_is_array(v))
		snprintf(out, n, "%zu", json_array_size(v));
	else
		snprintf(out, n, "-");
}

int cmd_evidence(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *database = NULL;
	int64_t limit = 20;
	const struct cli_opt opts[] = {
		{"database", 0, CLI_STRING, &database, "ID",
		 "only records of this Notion database"},
		{"limit", 0, CLI_INT, &limit, "N", "at most N records (default 20)"},
		{NULL},
	};
	static const char *const headers[] = {"STARTED", "DATABASE", "TRIGGER", "STATUS", "SYNCED",
					      "CREATED", "UPDATED",  "DELETED", "ERRORS"};
	static const char *const count_keys[] = {"syncedCount", "createdCount", "updatedCount",
						 "deletedCount", "errors"};
	struct store *s = NULL;
	struct evidence *ev = NULL;
	size_t n = 0;
	struct nv_err err;
	int rc;

	if (cli_parse(ctx, argc, argv, opts, "nvault evidence [--database ID] [--limit N]",
		      "Show the audit records of sync runs, newest first: when, which database,\n"
		      "what triggered it, how it ended and what it changed.",
		      0, 0))
		return ctx->exit_code;
	if (limit <= 0)
		return cli_usage_error(ctx, "--limit must be a positive number");
	if ((rc = cli_open_store(ctx, STORE_READONLY | STORE_NO_CREATE, &s)))
		return rc;
	nv_err_clear(&err);
	if (store_evidence_list(s, database, limit, &ev, &n, &err)) {
		rc = cli_error(ctx, &err);
	} else if (ctx->json) {
		json_t *items = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(items, evidence_to_json(&ev[i]));
		json_t *doc = json_pack("{s:o s:I}", "evidence", items, "count", (json_int_t)n);
		cli_print_json(doc);
		json_decref(doc);
	} else if (!n) {
		printf(database ? "No sync records for database %s.\n" : "No sync records yet.%s\n",
		       database ? database : "");
	} else {
		struct table tb;
		table_init(&tb, 9, headers);
		for (size_t i = 0; i < n; i++) {
			char counts[5][24];
			for (int k = 0; k < 5; k++)
				meta_count(ev[i].metadata, count_keys[k], counts[k],
					   sizeof(counts[k]));
			const char *cells[] = {ev[i].started_at, ev[i].source_id, ev[i].trigger,
					       ev[i].status,	 counts[0],	  counts[1],
					       counts[2],	 counts[3],	  counts[4]};
			table_add(&tb, cells);
		}
		table_print(&tb, stdout);
		table_release(&tb);
	}
	evidence_free_array(ev, n);
	store_close(s);
	return rc;
}
