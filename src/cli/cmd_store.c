/*
 * cmd_store.c: `nvault store info` (engine, schema version, rows per
 * table, size) and `nvault store copy --to LOC [--from LOC]` (a whole store
 * into an empty one, between SQLite and PostgreSQL in any direction,
 * resumable). The work is the store's (store_copy.h); this parses, opens
 * both stores, shows progress and the result.
 */
#include "cli/commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store_copy.h"
#include "util/locator.h"
#include "util/xalloc.h"

static int store_info_cmd(struct cli_ctx *ctx, int argc, char **argv)
{
	const struct cli_opt opts[] = {{NULL}};
	const struct settings *st;
	struct store *s = NULL;
	json_t *info = NULL, *v;
	struct nv_err err;
	const char *name;
	char *shown;
	int rc;

	if (cli_parse(ctx, argc, argv, opts, "nvault store info",
		      "Show the store: its engine (sqlite or postgresql), where it is (a\n"
		      "PostgreSQL locator without its password), its schema version, the rows\n"
		      "of each table and its size in bytes (the database file; on PostgreSQL\n"
		      "the tables and indexes of its schema).",
		      0, 0))
		return ctx->exit_code;
	if ((rc = cli_settings(ctx, &st)) ||
	    (rc = cli_open_store(ctx, STORE_READONLY | STORE_NO_CREATE, &s)))
		return rc;
	nv_err_clear(&err);
	rc = store_info(s, &info, &err);
	store_close(s);
	if (rc)
		return cli_error(ctx, &err);
	shown = locator_redact(st->db_path);
	json_object_set_new(info, "locator", json_string(shown));
	free(shown);
	if (ctx->json) {
		cli_print_json(info);
	} else {
		static const char *const headers[] = {"TABLE", "ROWS"};
		struct table tb;

		printf("engine:         %s\n", json_string_value(json_object_get(info, "engine")));
		printf("store:          %s\n", json_string_value(json_object_get(info, "locator")));
		printf("schema version: %lld\n",
		       (long long)json_integer_value(json_object_get(info, "schemaVersion")));
		printf("size:           %lld bytes\n",
		       (long long)json_integer_value(json_object_get(info, "sizeBytes")));
		if (json_is_true(json_object_get(info, "copyInProgress")))
			printf("note:           an unfinished `nvault store copy` into this store: "
			       "run it again to finish it\n");
		table_init(&tb, 2, headers);
		json_object_foreach(json_object_get(info, "tables"), name, v)
		{
			char n[24];
			snprintf(n, sizeof(n), "%lld", (long long)json_integer_value(v));
			table_add(&tb, (const char *const[]){name, n});
		}
		table_print(&tb, stdout);
		table_release(&tb);
	}
	json_decref(info);
	return 0;
}

struct copy_view {
	int draw; /* a progress line on a terminal */
	int verbose;
	char table[64];
};

static void copy_progress(void *arg, const char *table, int64_t copied, int64_t total)
{
	struct copy_view *v = arg;

	if (v->draw)
		fprintf(stderr, "\r\033[Kcopying %s: %lld of %lld rows", table, (long long)copied,
			(long long)total);
	else if (v->verbose && copied >= total)
		fprintf(stderr, "copied %s: %lld rows\n", table, (long long)copied);
	snprintf(v->table, sizeof(v->table), "%s", table);
}

/* A locator given on the command line: no password in it; a file as an absolute path. */
static int copy_locator(struct cli_ctx *ctx, const char *opt, const char *loc, char **out)
{
	*out = NULL;
	if (!*loc)
		return cli_usage_error(
			ctx, "%s wants a store locator (a path or a postgresql:// URL)", opt);
	if (locator_has_password(loc)) {
		char *shown = locator_redact(loc);
		int rc =
			cli_usage_error(ctx,
					"the store locator given as %s (%s) holds a password; a "
					"password is never put there: set PGPASSWORD, or put it in "
					"~/.pgpass or the file PGPASSFILE names",
					opt, shown);
		free(shown);
		return rc;
	}
	*out = xstrdup(loc);
	return 0;
}

static int store_copy_cmd(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *to_opt = NULL, *from_opt = NULL;
	const struct cli_opt opts[] = {
		{"to", 0, CLI_STRING, &to_opt, "LOC",
		 "the store to fill: a path (SQLite) or a postgresql:// URL; must be empty"},
		{"from", 0, CLI_STRING, &from_opt, "LOC",
		 "the store to copy (default: --db, $NVAULT_DB, else the default store)"},
		{NULL},
	};
	const struct settings *st;
	struct store *from = NULL, *to = NULL;
	struct copy_view view = {0};
	char *from_loc = NULL, *to_loc = NULL, *from_name = NULL, *to_name = NULL;
	json_t *report = NULL;
	struct nv_err err;
	int rc;

	if (cli_parse(ctx, argc, argv, opts, "nvault store copy --to LOC [--from LOC]",
		      "Copy a whole store into an empty one, between SQLite and PostgreSQL in\n"
		      "any direction: every task, version, evidence record, conflict, sync and\n"
		      "scheduler state and every other table, keeping ids, version numbers and\n"
		      "hashes, so `nvault verify` passes on the copy with the same chain heads.\n"
		      "The target is created (and migrated) if needed and must hold nothing.\n"
		      "Rows are committed in batches with their progress, so a copy that is\n"
		      "stopped (Ctrl-C, kill -9, a lost connection) goes on where it stopped\n"
		      "when run again with the same --from and --to. No sync may run on either\n"
		      "store meanwhile (exit 3 when one does); stop the other writers (MCP\n"
		      "servers, task edits) too. A password never goes into a locator: use\n"
		      "PGPASSWORD, ~/.pgpass or PGPASSFILE.",
		      0, 0))
		return ctx->exit_code;
	if (!to_opt)
		return cli_usage_error(ctx, "--to LOC is required: the store to copy into");
	if ((rc = cli_settings(ctx, &st)) ||
	    (rc = copy_locator(ctx, "--from", from_opt ? from_opt : st->db_path, &from_loc)) ||
	    (rc = copy_locator(ctx, "--to", to_opt, &to_loc)))
		goto out;
	/* a file is named by its absolute path, so a resumed copy recognises its source */
	if (!locator_is_postgres(from_loc)) {
		char *real = realpath(from_loc, NULL);
		if (real) {
			free(from_loc);
			from_loc = real;
		}
	}
	from_name = locator_redact(from_loc);
	to_name = locator_redact(to_loc);
	nv_err_clear(&err);
	if (store_open(from_loc, STORE_READONLY | STORE_NO_CREATE, &from, &err)) {
		nv_err_prefix(&err, "the source store");
		rc = cli_error(ctx, &err);
		goto out;
	}
	if (store_open(to_loc, 0, &to, &err)) {
		nv_err_prefix(&err, "the target store");
		rc = cli_error(ctx, &err);
		goto out;
	}
	view.draw = !ctx->json && ctx->verbosity >= 0 && isatty(2);
	view.verbose = ctx->verbosity > 0;
	rc = store_copy(from, from_name, to, copy_progress, &view, &report, &err);
	if (view.draw)
		fprintf(stderr, "\r\033[K");
	if (rc) {
		rc = cli_error(ctx, &err);
		goto out;
	}
	json_object_set_new(report, "source", json_string(from_name));
	json_object_set_new(report, "target", json_string(to_name));
	if (ctx->json) {
		cli_print_json(report);
	} else {
		const char *name;
		json_t *v;
		printf("copied %lld rows from %s (%s) to %s (%s)%s\n",
		       (long long)json_integer_value(json_object_get(report, "rows")), from_name,
		       json_string_value(json_object_get(report, "from")), to_name,
		       json_string_value(json_object_get(report, "to")),
		       json_is_true(json_object_get(report, "resumed"))
			       ? ", resuming an earlier copy"
			       : "");
		json_object_foreach(json_object_get(report, "tables"), name, v)
			printf("  %-16s %lld\n", name, (long long)json_integer_value(v));
		printf("check it with: nvault --db '%s' verify\n", to_name);
	}
out:
	json_decref(report);
	store_close(from);
	store_close(to);
	free(from_loc);
	free(to_loc);
	free(from_name);
	free(to_name);
	return rc;
}

static const struct cli_command store_commands[] = {
	{.name = "info",
	 .run = store_info_cmd,
	 .summary = "engine, schema version, rows per table, size"},
	{.name = "copy",
	 .run = store_copy_cmd,
	 .summary = "copy a whole store into an empty one (SQLite <-> PostgreSQL)"},
	{.name = NULL},
};

int cmd_store(struct cli_ctx *ctx, int argc, char **argv)
{
	return cli_dispatch(ctx, "store", store_commands, argc, argv);
}
