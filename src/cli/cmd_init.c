/*
 * cmd_init.c: `nvault init [--database ID...] [--all] [--force]`: finds the
 * data sources shared with the integration (POST /v1/search), shows them
 * (title, ids, properties), lets the user pick (a prompt on a terminal;
 * --database or --all otherwise), proposes fieldMappings from property
 * types and names and a statusMap from the status groups, writes the config
 * to the path nvault reads by default (never over an existing file without
 * --force), then checks it: the file as `config check` does, and every
 * mapping against the live schema it just read.
 */
#include "cli/commands.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mapper/mapper.h"
#include "notion/notion.h"
#include "task/task.h"
#include "util/buf.h"
#include "util/id.h"
#include "util/term.h"
#include "util/xalloc.h"

#define MAX_DATABASE_FLAGS 64

struct candidate {
	char *title;
	char database_id[ID_DASHED_LEN + 1];
	char data_source_id[ID_DASHED_LEN + 1]; /* "" with 2022-06-28 */
	json_t *properties;			/* owned reference */
	int chosen;
};

struct found {
	struct candidate *c;
	size_t n, cap;
	int legacy;
};

/* Plain text of a rich-text array (a title). Caller frees. */
static char *plain_text(const json_t *rich)
{
	struct buf b = BUF_INIT;
	json_t *item;
	size_t i;

	json_array_foreach(rich, i, item)
	{
		const char *s = json_string_value(json_object_get(item, "plain_text"));
		if (!s)
			s = json_string_value(
				json_object_get(json_object_get(item, "text"), "content"));
		if (s)
			buf_adds(&b, s);
	}
	if (!b.len)
		buf_adds(&b, "Untitled");
	return buf_detach(&b);
}

static int collect(void *ud, json_t *rows, struct nv_err *err)
{
	struct found *f = ud;
	json_t *row;
	size_t i;

	json_array_foreach(rows, i, row)
	{
		const json_t *parent = json_object_get(row, "parent");
		const char *db_id =
			f->legacy ? json_string_value(json_object_get(row, "id"))
				  : json_string_value(json_object_get(parent, "database_id"));
		struct candidate *c;

		if (json_is_true(json_object_get(row, "in_trash")) ||
		    json_is_true(json_object_get(row, "archived")))
			continue;
		f->c = xgrow(f->c, &f->cap, f->n + 1, sizeof(*f->c));
		c = &f->c[f->n];
		memset(c, 0, sizeof(*c));
		if (!db_id || id_normalize(db_id, c->database_id) ||
		    (!f->legacy && id_normalize(json_string_value(json_object_get(row, "id")),
						c->data_source_id)))
			return nv_err_set(err, NV_ERR,
					  "Notion search answered an object without a valid id");
		c->title = plain_text(json_object_get(row, "title"));
		c->properties = json_incref(json_object_get(row, "properties"));
		if (!json_is_object(c->properties)) {
			json_decref(c->properties);
			c->properties = json_object();
		}
		f->n++;
	}
	return 0;
}

static void found_release(struct found *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->c[i].title);
		json_decref(f->c[i].properties);
	}
	free(f->c);
}

/* ---- proposing mappings ------------------------------------------------- */

/* 1 when name contains any of words (ASCII case-insensitive). */
static int named_like(const char *name, const char *const *words)
{
	for (; *words; words++)
		for (const char *s = name; *s; s++)
			if (!strncasecmp(s, *words, strlen(*words)))
				return 1;
	return 0;
}

static const char *prop_type(const json_t *prop)
{
	return json_string_value(json_object_get(prop, "type"));
}

/* The first property of type (and, with words, named like one of them), or NULL. */
static const char *first_prop(const json_t *props, const char *type, const char *const *words,
			      const char *except)
{
	const char *key;
	json_t *val;

	json_object_foreach((json_t *)props, key, val)
	{
		const char *t = prop_type(val);
		if (t && !strcmp(t, type) && (!words || named_like(key, words)) &&
		    (!except || strcmp(key, except)))
			return key;
	}
	return NULL;
}

/* The task status for one of Notion's status groups, or NULL. */
static const char *group_status(const char *group)
{
	static const struct {
		const char *group, *status;
	} table[] = {
		{"to-do", "open"},    {"to do", "open"},
		{"todo", "open"},     {"in progress", "in_progress"},
		{"complete", "done"}, {"completed", "done"},
		{"done", "done"},
	};

	for (size_t i = 0; group && i < sizeof(table) / sizeof(table[0]); i++)
		if (!strcasecmp(group, table[i].group))
			return table[i].status;
	return NULL;
}

/*
 * statusMap from a status property's groups: To-do → open, In progress →
 * in_progress, Complete → done; an option whose own name is a task status
 * ("Blocked", "Won't do") keeps that status.
 */
static json_t *propose_status_map(const json_t *prop)
{
	const json_t *cfg = json_object_get(prop, "status");
	const json_t *options = json_object_get(cfg, "options");
	json_t *map = json_object(), *group, *opt_id;
	size_t i, j, k;

	json_array_foreach(json_object_get(cfg, "groups"), i, group)
	{
		const char *status =
			group_status(json_string_value(json_object_get(group, "name")));
		if (!status)
			continue;
		json_array_foreach(json_object_get(group, "option_ids"), j, opt_id)
		{
			json_t *opt;
			json_array_foreach(options, k, opt)
			{
				const char *id = json_string_value(json_object_get(opt, "id"));
				const char *name = json_string_value(json_object_get(opt, "name"));
				const char *own = name ? task_status_parse(name) : NULL;
				if (!id || !name || !json_is_string(opt_id) ||
				    strcmp(id, json_string_value(opt_id)))
					continue;
				json_object_set_new(map, name, json_string(own ? own : status));
			}
		}
	}
	return map;
}

/* fieldMappings (and statusMap, when a status property has groups) for a schema. */
static void propose(const json_t *props, json_t **mappings, json_t **status_map)
{
	static const char *const status_words[] = {"status", "state", NULL};
	static const char *const due_words[] = {"due", "deadline", NULL};
	static const char *const owner_words[] = {"assign", "owner", NULL};
	static const char *const tag_words[] = {"tag", "label", NULL};
	static const char *const text_words[] = {"note", "description", NULL};
	static const char *const category_words[] = {"priority", "area", "category", NULL};
	const char *title = first_prop(props, "title", NULL, NULL);
	const char *status = first_prop(props, "status", NULL, NULL);
	const char *due = first_prop(props, "date", due_words, NULL);
	const char *people = first_prop(props, "people", owner_words, NULL);
	const char *tags = first_prop(props, "multi_select", tag_words, NULL);
	const char *notes = first_prop(props, "rich_text", text_words, NULL);
	const char *category;

	*mappings = json_object();
	*status_map = NULL;
	if (!status)
		status = first_prop(props, "select", status_words, NULL);
	else
		*status_map = propose_status_map(json_object_get(props, status));
	if (!due)
		due = first_prop(props, "date", NULL, NULL);
	if (!people)
		people = first_prop(props, "people", NULL, NULL);
	category = first_prop(props, "select", category_words, status);
	if (title)
		json_object_set_new(*mappings, title, json_string("title"));
	if (notes)
		json_object_set_new(*mappings, notes, json_string("description"));
	if (status)
		json_object_set_new(*mappings, status, json_string("status"));
	if (category)
		json_object_set_new(*mappings, category, json_string("category"));
	if (due)
		json_object_set_new(*mappings, due, json_string("dueDate"));
	if (people)
		json_object_set_new(*mappings, people, json_string("assignee"));
	if (tags)
		json_object_set_new(*mappings, tags, json_string("tags"));
	if (*status_map && !json_object_size(*status_map)) {
		json_decref(*status_map);
		*status_map = NULL;
	}
}

/* ---- showing and choosing ------------------------------------------------ */

static void print_candidates(const struct found *f)
{
	for (size_t i = 0; i < f->n; i++) {
		const struct candidate *c = &f->c[i];
		const char *key;
		json_t *val;
		size_t n = 0;

		printf("%3zu) %s\n     database %s", i + 1, c->title, c->database_id);
		if (c->data_source_id[0])
			printf(", data source %s", c->data_source_id);
		printf("\n     %zu properties: ", json_object_size(c->properties));
		json_object_foreach(c->properties, key, val)
		{
			const char *t = prop_type(val);
			printf("%s%s (%s)", n++ ? ", " : "", key, t ? t : "?");
		}
		printf("\n");
	}
}

/* Marks the candidates whose database or data source id is id; 0 if none. */
static int choose_id(struct found *f, const char *id)
{
	char d[ID_DASHED_LEN + 1];
	int hit = 0;

	if (id_normalize(id, d))
		return 0;
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->c[i].database_id, d) || !strcmp(f->c[i].data_source_id, d))
			f->c[i].chosen = hit = 1;
	return hit;
}

/*
 * Parses the answer to the prompt: numbers separated by spaces or commas,
 * "all", or nothing (= all). Returns 0, or -1 naming the bad word in msg.
 */
static int choose_answer(struct found *f, const char *line, struct buf *msg)
{
	const char *p = line;
	int any = 0;

	while (*p && isspace((unsigned char)*p))
		p++;
	if (!*p || !strncasecmp(p, "all", 3)) {
		for (size_t i = 0; i < f->n; i++)
			f->c[i].chosen = 1;
		return 0;
	}
	while (*p) {
		char *end;
		long n;

		if (isspace((unsigned char)*p) || *p == ',') {
			p++;
			continue;
		}
		n = strtol(p, &end, 10);
		if (end == p || n < 1 || (size_t)n > f->n) {
			buf_addf(msg, "'%.*s' is not one of the numbers 1-%zu",
				 (int)strcspn(p, " ,\n"), p, f->n);
			return -1;
		}
		f->c[n - 1].chosen = any = 1;
		p = end;
	}
	return any ? 0 : -1;
}

/* ---- writing ------------------------------------------------------------ */

static int mkdir_parents(const char *path, struct nv_err *err)
{
	char *dir = xstrdup(path);

	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST) {
			nv_err_set(err, NV_EIO, "cannot create the directory %s: %s", dir,
				   strerror(errno));
			free(dir);
			return NV_EIO;
		}
		*p = '/';
	}
	free(dir);
	return NV_OK;
}

/* Writes text to path atomically; without force, never over an existing file. */
static int write_file(const char *path, const char *text, int force, struct nv_err *err)
{
	struct buf tmp = BUF_INIT;
	size_t len = strlen(text);
	int fd, rc = NV_OK;

	if ((rc = mkdir_parents(path, err)))
		return rc;
	buf_addf(&tmp, "%s.XXXXXX", path);
	fd = mkstemp(tmp.data);
	if (fd < 0) {
		rc = nv_err_set(err, NV_EIO, "cannot write %s: %s", path, strerror(errno));
		buf_release(&tmp);
		return rc;
	}
	if (fchmod(fd, 0644) || write(fd, text, len) != (ssize_t)len || fsync(fd)) {
		rc = nv_err_set(err, NV_EIO, "cannot write %s: %s", tmp.data, strerror(errno));
		close(fd);
		goto out;
	}
	close(fd);
	if (force ? rename(tmp.data, path) : link(tmp.data, path)) {
		if (errno == EEXIST)
			rc = nv_err_set(err, NV_ECONFIG,
					"%s already exists; nvault init never overwrites a config "
					"(use --force to replace it)",
					path);
		else
			rc = nv_err_set(err, NV_EIO, "cannot write %s: %s", path, strerror(errno));
	}
out:
	unlink(tmp.data);
	buf_release(&tmp);
	return rc;
}

/* One config entry per chosen database (a multi-source database: see docs/config.md). */
static json_t *build_config(const struct found *f, const char *version)
{
	json_t *dbs = json_array();

	for (size_t i = 0; i < f->n; i++) {
		const struct candidate *c = &f->c[i];
		size_t sources = 0, chosen = 0, first = i;
		json_t *entry, *mappings, *status_map;

		if (!c->chosen)
			continue;
		for (size_t k = 0; k < f->n; k++)
			if (!strcmp(f->c[k].database_id, c->database_id)) {
				sources++;
				chosen += f->c[k].chosen;
				if (f->c[k].chosen && k < first)
					first = k;
			}
		if (first != i)
			continue; /* this database has its entry already */
		propose(c->properties, &mappings, &status_map);
		entry = json_pack("{s:s s:s s:b s:o}", "notionDatabaseId", c->database_id, "name",
				  c->title, "syncEnabled", 1, "fieldMappings", mappings);
		/* one source of several: just that one; several chosen: every source */
		if (c->data_source_id[0] && sources > 1 && chosen == 1)
			json_object_set_new(entry, "dataSourceId", json_string(c->data_source_id));
		if (status_map)
			json_object_set_new(entry, "statusMap", status_map);
		json_array_append_new(dbs, entry);
	}
	return json_pack("{s:s s:o}", "notionVersion", version, "databases", dbs);
}

/* The path init writes: --config or the variable when given, else the per-user file. */
static char *target_path(const struct settings *st)
{
	char *user;

	if (st->config_source &&
	    (!strcmp(st->config_source, "--config") ||
	     !strcmp(st->config_source, "AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH")))
		return xstrdup(st->config_path);
	user = settings_default_config_path();
	return user ? user : xstrdup(st->config_path);
}

/* `config check` on the written file, plus every mapping against the live schema. */
static int check_written(struct cli_ctx *ctx, const char *path, const struct found *f)
{
	struct config *cfg = NULL;
	struct nv_err err;
	int problems = 0;

	nv_err_clear(&err);
	if (config_load(path, &cfg, &err))
		return cli_error(ctx, &err);
	for (size_t i = 0; i < cfg->n_dbs; i++)
		for (size_t k = 0; k < f->n; k++) {
			if (!f->c[k].chosen || strcmp(f->c[k].database_id, cfg->dbs[i].database_id))
				continue;
			nv_err_clear(&err);
			if (mapper_check_schema(&cfg->dbs[i], f->c[k].properties, &err)) {
				fprintf(stderr, "nvault: error: %s: %s\n", path, err.msg);
				problems++;
			}
		}
	config_free(cfg);
	return problems ? 2 : 0;
}

int cmd_init(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *databases[MAX_DATABASE_FLAGS];
	size_t n_databases = 0;
	const char *database = NULL;
	int all = 0, force = 0;
	const struct cli_opt opts[] = {
		{.name = "database",
		 .type = CLI_STRING,
		 .value = &database,
		 .arg = "ID",
		 .help = "back up this database or data source (repeatable; also IDs after it)"},
		{.name = "all",
		 .type = CLI_FLAG,
		 .value = &all,
		 .help = "back up every database shared with the integration"},
		{.name = "force",
		 .type = CLI_FLAG,
		 .value = &force,
		 .help = "replace an existing config"},
		{.name = NULL},
	};
	const struct settings *st;
	struct notion_client_opts co;
	struct notion_client *client = NULL;
	struct found f = {0};
	struct nv_err err;
	struct stat sb;
	char *path = NULL, *text = NULL;
	json_t *doc = NULL;
	int rc, interactive;

	if (cli_parse(ctx, argc, argv, opts, "nvault init [--database ID...|--all] [--force]",
		      "Find the Notion databases shared with your integration (NOTION_API_KEY),\n"
		      "show them, let you pick (a prompt on a terminal; --database or --all\n"
		      "otherwise), propose field mappings and a status map from their\n"
		      "properties, write the config where nvault reads it by default\n"
		      "(~/.config/nvault/notion-sync.config.json, or --config /\n"
		      "AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH), and check it against Notion.\n"
		      "Never replaces an existing config without --force.",
		      0, -1))
		return ctx->exit_code;
	/* --database ID [ID...]: the positionals are more ids */
	if (database)
		databases[n_databases++] = database;
	for (int i = 0; i < ctx->nargs && n_databases < MAX_DATABASE_FLAGS; i++) {
		if (!database)
			return cli_usage_error(ctx, "unexpected argument '%s'", ctx->args[i]);
		databases[n_databases++] = ctx->args[i];
	}
	if (all && n_databases)
		return cli_usage_error(ctx, "use --database or --all, not both");
	if ((rc = cli_settings(ctx, &st)))
		return rc;
	path = target_path(st);
	if (!force && stat(path, &sb) == 0) {
		nv_err_set(&err, NV_ECONFIG,
			   "%s already exists; nvault init never overwrites a config (use --force "
			   "to replace it, or --config PATH to write another file)",
			   path);
		rc = cli_error(ctx, &err);
		goto out;
	}
	if (!st->api_key || !*st->api_key) {
		nv_err_set(&err, NV_ECONFIG,
			   "NOTION_API_KEY is not set: create an integration at "
			   "https://www.notion.so/profile/integrations, share your databases with "
			   "it, and export its token as NOTION_API_KEY");
		rc = cli_error(ctx, &err);
		goto out;
	}

	memset(&co, 0, sizeof(co));
	co.base_url = st->base_url;
	co.token = st->api_key;
	co.version = NOTION_VERSION_DEFAULT;
	co.rate_per_sec = st->rate_limit > 0 ? st->rate_limit : -1;
	nv_err_clear(&err);
	if ((rc = notion_client_new(&co, &client, &err)) ||
	    (rc = notion_search(client, collect, &f, &err))) {
		rc = cli_error(ctx, &err);
		goto out;
	}
	if (!f.n) {
		nv_err_set(&err, NV_ENOTFOUND,
			   "no database is shared with this integration: in Notion, open the "
			   "database, ••• → Connections → add the integration, then run nvault "
			   "init again");
		rc = cli_error(ctx, &err);
		goto out;
	}

	interactive = !all && !n_databases && !ctx->json && term_is_tty(STDIN_FILENO) &&
		      term_is_tty(STDOUT_FILENO);
	if (!ctx->json) {
		printf("Shared with the integration (%zu):\n", f.n);
		print_candidates(&f);
	}
	if (all) {
		for (size_t i = 0; i < f.n; i++)
			f.c[i].chosen = 1;
	} else if (n_databases) {
		for (size_t i = 0; i < n_databases; i++)
			if (!choose_id(&f, databases[i])) {
				nv_err_set(&err, NV_ENOTFOUND,
					   "--database %s: no such database or data source is "
					   "shared with the integration (see the list above)",
					   databases[i]);
				rc = cli_error(ctx, &err);
				goto out;
			}
	} else if (interactive) {
		for (;;) {
			char line[1024];
			struct buf msg = BUF_INIT;

			printf("\nBack up which? Numbers separated by spaces or commas, or 'all' "
			       "[all]: ");
			fflush(stdout);
			if (!fgets(line, sizeof(line), stdin)) {
				printf("\n");
				nv_err_set(&err, NV_EINVAL, "no answer: nothing written");
				rc = cli_error(ctx, &err);
				goto out;
			}
			for (size_t i = 0; i < f.n; i++)
				f.c[i].chosen = 0;
			if (!choose_answer(&f, line, &msg)) {
				buf_release(&msg);
				break;
			}
			printf("%s\n", msg.len ? msg.data : "pick at least one");
			buf_release(&msg);
		}
	} else {
		rc = cli_usage_error(ctx, "not a terminal, so no prompt: pass --database ID... or "
					  "--all");
		goto out;
	}
	doc = build_config(&f, NOTION_VERSION_DEFAULT);
	text = json_dumps(doc, JSON_INDENT(2));
	{
		struct buf b = BUF_INIT;
		buf_addf(&b, "%s\n", text);
		nv_err_clear(&err);
		rc = write_file(path, b.data, force, &err);
		buf_release(&b);
	}
	if (rc) {
		rc = cli_error(ctx, &err);
		goto out;
	}
	rc = check_written(ctx, path, &f);
	if (ctx->json) {
		json_t *out =
			json_pack("{s:s s:b s:O}", "path", path, "valid", rc == 0, "config", doc);
		cli_print_json(out);
		json_decref(out);
	} else {
		printf("\nWrote %s (%zu database%s):\n%s\n", path,
		       json_array_size(json_object_get(doc, "databases")),
		       json_array_size(json_object_get(doc, "databases")) == 1 ? "" : "s", text);
		if (!rc)
			printf("\nChecked: the file is valid and every mapping fits the live "
			       "Notion "
			       "schema.\nEdit the mappings if you like (docs/config.md), then "
			       "run:\n"
			       "  nvault sync\n");
	}
out:
	free(text);
	json_decref(doc);
	found_release(&f);
	notion_client_free(client);
	free(path);
	return rc;
}
