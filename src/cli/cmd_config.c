/*
 * cmd_config.c: `nvault config check`: validates the sync config and prints
 * the resolved settings (flags > environment > file > defaults), as a table
 * or with --json one document. It says whether NOTION_API_KEY is set and
 * never prints it. Exit 0 when valid, 2 on any configuration error (every
 * problem in the file is listed, one per line). `nvault config path`: which
 * config file is used and why.
 */
#include "cli/commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store/store.h"
#include "sync/sync.h"
#include "util/buf.h"
#include "util/xalloc.h"

/* err->msg split into a JSON array of lines. */
static json_t *error_lines(const char *msg)
{
	json_t *lines = json_array();
	const char *p = msg;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		json_t *s = json_stringn(p, len);
		if (s)
			json_array_append_new(lines, s);
		if (!nl)
			break;
		p = nl + 1;
	}
	return lines;
}

static void print_settings(const struct settings *st, const struct config *cfg)
{
	static const char *const headers[] = {"SETTING", "VALUE"};
	struct table t;
	struct buf b = BUF_INIT;
	char rate[64];

	table_init(&t, 2, headers);
	buf_addf(&b, "%s (valid; from %s)", cfg->path, st->config_source ? st->config_source : "?");
	table_add(&t, (const char *const[]){"config", b.data});
	table_add(&t, (const char *const[]){"store", st->db_shown});
	table_add(&t, (const char *const[]){"Notion API", st->base_url});
	table_add(&t, (const char *const[]){"Notion version", cfg->notion_version});
	table_add(&t, (const char *const[]){"NOTION_API_KEY",
					    settings_has_token(st)
						    ? "set"
						    : "not set (sync refuses to run without it)"});
	/* the other token variables databases name with tokenEnv: set or not, never the value */
	for (size_t i = 0; i < cfg->n_dbs; i++) {
		const char *env = config_token_env(&cfg->dbs[i]);
		char *token;
		int dup = !strcmp(env, CONFIG_DEFAULT_TOKEN_ENV);

		for (size_t k = 0; k < i && !dup; k++)
			dup = !strcmp(config_token_env(&cfg->dbs[k]), env);
		if (dup)
			continue;
		token = settings_token(st, env);
		table_add(&t, (const char *const[]){env,
						    token ? "set (tokenEnv)"
							  : "not set (its databases cannot sync)"});
		free_secret(token);
	}
	table_add(&t, (const char *const[]){"schedule", st->schedule ? st->schedule : "none"});
	table_add(&t,
		  (const char *const[]){"daemon syncs", st->sync_enabled ? "enabled" : "disabled"});
	if (st->rate_limit > 0)
		snprintf(rate, sizeof(rate), "%g requests/s", st->rate_limit);
	else
		snprintf(rate, sizeof(rate), "unlimited");
	table_add(&t, (const char *const[]){"rate limit", rate});
	table_print(&t, stdout);
	table_release(&t);
	buf_release(&b);
}

/*
 * Mappings without a declared notionType: offline, nothing says whether the
 * property exists or has a type that fits (the sync checks at its start).
 */
static json_t *unverified_json(const struct config *cfg)
{
	json_t *out = json_array();

	for (size_t i = 0; i < cfg->n_dbs; i++)
		for (size_t k = 0; k < cfg->dbs[i].n_mappings; k++) {
			const struct field_mapping *m = &cfg->dbs[i].mappings[k];
			if (m->notion_type)
				continue;
			json_array_append_new(out, json_pack("{s:s s:s s:s}", "databaseId",
							     cfg->dbs[i].database_id, "property",
							     m->property, "field",
							     task_field_name(m->field)));
		}
	return out;
}

static void print_unverified(const struct db_config *db)
{
	size_t n = 0;

	for (size_t k = 0; k < db->n_mappings; k++) {
		if (db->mappings[k].notion_type)
			continue;
		printf("%s\"%s\"",
		       n++ ? ", " : "  not verified offline: ", db->mappings[k].property);
	}
	if (n)
		printf("\n    (whether %s exist%s in Notion with a type that fits is only known "
		       "online;\n    sync checks it before reading any row)\n",
		       n == 1 ? "it" : "they", n == 1 ? "s" : "");
}

static void print_databases(const struct config *cfg)
{
	static const char *const headers[] = {"DATABASE", "NAME", "SCOPE", "SYNC", "DATA SOURCE"};
	struct table t;

	printf("\n");
	table_init(&t, 5, headers);
	for (size_t i = 0; i < cfg->n_dbs; i++) {
		const struct db_config *db = &cfg->dbs[i];
		table_add(&t,
			  (const char *const[]){db->database_id, db->name, db->scope,
						db->sync_enabled ? "yes" : "no",
						db->data_source_id ? db->data_source_id : "all"});
	}
	table_print(&t, stdout);
	table_release(&t);

	for (size_t i = 0; i < cfg->n_dbs; i++) {
		const struct db_config *db = &cfg->dbs[i];
		printf("\n%s%s%s%s\n", db->name ? db->name : db->database_id, db->name ? " (" : "",
		       db->name ? db->database_id : "", db->name ? ")" : "");
		if (!config_mapping_for(db, FIELD_TITLE))
			printf("  title            <- the database's title property (not "
			       "mapped)\n");
		for (size_t k = 0; k < db->n_mappings; k++)
			printf("  %-16s <- \"%s\"%s%s%s\n", task_field_name(db->mappings[k].field),
			       db->mappings[k].property, db->mappings[k].notion_type ? " (" : "",
			       db->mappings[k].notion_type ? db->mappings[k].notion_type : "",
			       db->mappings[k].notion_type ? ")" : "");
		for (size_t k = 0; k < db->n_status_map; k++)
			printf("  status map       \"%s\" -> %s\n", db->status_map[k].notion_name,
			       db->status_map[k].status);
		if (db->last_sync_timestamp)
			printf("  first watermark  %s\n", db->last_sync_timestamp);
		print_unverified(db);
	}
}

/* config check --online: the live schema against the mappings; takes cfg. */
static int check_online(struct cli_ctx *ctx, const struct settings *st, struct config *cfg)
{
	static const char *const headers[] = {"DATABASE", "DATA SOURCE", "CONFIG", "RESULT"};
	struct store *s = NULL;
	json_t *report = NULL, *db, *src, *item;
	struct nv_err err;
	struct table t;
	size_t i, j, k;
	int rc;

	nv_err_clear(&err);
	if ((rc = settings_require_token(st, cfg, NULL, &err))) {
		config_free(cfg);
		return cli_error(ctx, &err);
	}
	/* the schema history, when there is a store, lets renames be followed */
	if (store_open(st->db_path, STORE_NO_CREATE | STORE_READONLY, &s, &err))
		s = NULL;
	nv_err_clear(&err);
	rc = sync_check_online(cfg, st, s, &report, &err);
	store_close(s);
	if (ctx->json) {
		json_object_set_new(report, "valid", json_true());
		cli_print_json(report);
	} else {
		struct buf cell = BUF_INIT, res = BUF_INIT;
		table_init(&t, 4, headers);
		json_array_foreach(json_object_get(report, "databases"), i, db)
		{
			const char *dbid = json_string_value(json_object_get(db, "databaseId"));
			if (json_object_get(db, "error"))
				table_add(&t,
					  (const char *const[]){
						  dbid, "-", "(database)",
						  json_string_value(json_object_get(db, "error"))});
			json_array_foreach(json_object_get(db, "dataSources"), j, src)
			{
				const char *dsid =
					json_string_value(json_object_get(src, "dataSourceId"));
				json_array_foreach(json_object_get(src, "fieldMappings"), k, item)
				{
					const char *r =
						json_string_value(json_object_get(item, "result"));
					buf_reset(&cell);
					buf_reset(&res);
					buf_addf(&cell, "fieldMappings \"%s\" -> %s",
						 json_string_value(
							 json_object_get(item, "property")),
						 json_string_value(json_object_get(item, "field")));
					buf_adds(&res, r);
					if (json_object_get(item, "nameInNotion"))
						buf_addf(&res, ": now \"%s\" (id %s)",
							 json_string_value(json_object_get(
								 item, "nameInNotion")),
							 json_string_value(json_object_get(
								 item, "propertyId")));
					else if (!strcmp(r, "unmappable"))
						buf_addf(&res, ": its type is %s",
							 json_string_value(
								 json_object_get(item, "type")));
					table_add(&t, (const char *const[]){dbid, dsid, cell.data,
									    res.data});
				}
				json_array_foreach(json_object_get(src, "statusMap"), k, item)
				{
					buf_reset(&cell);
					buf_addf(
						&cell, "statusMap \"%s\" -> %s",
						json_string_value(json_object_get(item, "name")),
						json_string_value(json_object_get(item, "status")));
					table_add(&t, (const char *const[]){
							      dbid, dsid, cell.data,
							      json_string_value(json_object_get(
								      item, "result"))});
				}
			}
		}
		table_print(&t, stdout);
		table_release(&t);
		buf_release(&cell);
		buf_release(&res);
		printf("%s\n", rc ? err.msg : "Every mapping and statusMap name resolves.");
	}
	json_decref(report);
	config_free(cfg);
	if (rc && ctx->json)
		fprintf(stderr, "nvault: %s\n", err.msg);
	return rc ? 1 : 0; /* the report says what did not resolve */
}

static int config_check(struct cli_ctx *ctx, int argc, char **argv)
{
	const struct settings *st;
	struct config *cfg = NULL;
	struct nv_err err;
	int rc, online = 0;
	const struct cli_opt opts[] = {
		{"online", 0, CLI_FLAG, &online, NULL,
		 "also resolve every mapping and statusMap name against the live Notion "
		 "schema (reads Notion, syncs nothing)"},
		{NULL},
	};

	if (cli_parse(ctx, argc, argv, opts, "nvault config check [--online] [--json]",
		      "Validate the sync config file and print the resolved settings.\n"
		      "Every problem in the file is listed, one per line, with its JSON path.\n"
		      "Says whether NOTION_API_KEY is set; never prints it. Exit 2 on errors.\n"
		      "--online reads each database's schema from Notion and resolves every\n"
		      "field mapping (following renames by property id) and statusMap name;\n"
		      "exit 1 when one does not resolve. Nothing is synced or written.",
		      0, 0))
		return ctx->exit_code;
	if ((rc = cli_settings(ctx, &st)))
		return rc;
	nv_err_clear(&err);
	if (config_load(st->config_path, &cfg, &err)) {
		json_t *lines = error_lines(err.msg);
		if (ctx->json) {
			json_t *doc = config_to_json(NULL, st);
			json_object_set_new(doc, "valid", json_false());
			json_object_set_new(doc, "errors", json_incref(lines));
			json_object_set_new(doc, "error",
					    json_pack("{s:s s:s}", "code", nv_status_name(err.code),
						      "message", err.msg));
			cli_print_json(doc);
			json_decref(doc);
		}
		fprintf(stderr, "nvault: error: %s is not valid (%zu problem%s):\n",
			st->config_path, json_array_size(lines),
			json_array_size(lines) == 1 ? "" : "s");
		for (size_t i = 0; i < json_array_size(lines); i++)
			fprintf(stderr, "  %s\n", json_string_value(json_array_get(lines, i)));
		json_decref(lines);
		return nv_exit_code(err.code);
	}
	if (online)
		return check_online(ctx, st, cfg);
	if (ctx->json) {
		json_t *doc = config_to_json(cfg, st);
		json_object_set_new(doc, "valid", json_true());
		json_object_set_new(doc, "notVerifiedOffline", unverified_json(cfg));
		cli_print_json(doc);
		json_decref(doc);
	} else {
		print_settings(st, cfg);
		print_databases(cfg);
	}
	config_free(cfg);
	return 0;
}

/* `nvault config path`: the config file used and why (exit 0 either way). */
static int config_path(struct cli_ctx *ctx, int argc, char **argv)
{
	const struct settings *st;
	struct stat sb;
	char *user;
	int rc, exists;

	if (cli_parse(ctx, argc, argv, NULL, "nvault config path [--json]",
		      "Print the sync config file nvault uses and why. The first that applies:\n"
		      "--config PATH; $AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH;\n"
		      "$XDG_CONFIG_HOME/nvault/notion-sync.config.json (default\n"
		      "~/.config/nvault/...) if it exists; ./notion-sync.config.json if it\n"
		      "exists. With none, the per-user path, where `nvault init` writes.",
		      0, 0))
		return ctx->exit_code;
	if ((rc = cli_settings(ctx, &st)))
		return rc;
	exists = stat(st->config_path, &sb) == 0;
	user = settings_default_config_path();
	if (ctx->json) {
		json_t *doc = json_pack("{s:s s:s? s:b s:s?}", "path", st->config_path, "source",
					st->config_source, "exists", exists, "userDefault", user);
		cli_print_json(doc);
		json_decref(doc);
	} else {
		printf("%s\n", st->config_path);
		if (st->config_source)
			printf("  from %s%s\n", st->config_source,
			       exists ? "" : " (the file does not exist)");
		else
			printf("  no config file found (looked for --config, "
			       "AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH,\n"
			       "  %s and ./notion-sync.config.json);\n"
			       "  `nvault init` writes this one\n",
			       user ? user : "~/.config/nvault/notion-sync.config.json");
	}
	free(user);
	return 0;
}

static const struct cli_command config_commands[] = {
	{.name = "check",
	 .run = config_check,
	 .summary = "validate the config file and print the resolved settings"},
	{.name = "path", .run = config_path, .summary = "which config file is used, and why"},
	{.name = NULL},
};

int cmd_config(struct cli_ctx *ctx, int argc, char **argv)
{
	return cli_dispatch(ctx, "config", config_commands, argc, argv);
}
