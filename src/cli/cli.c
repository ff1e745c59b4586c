/*
 * cli.c: option parsing, dispatch, help and error output shared by every
 * command; see cli.h.
 */
#include "cli/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "util/buf.h"
#include "util/log.h"
#include "util/xalloc.h"

static const char *const global_help =
	"Global options:\n"
	"  --db PATH          store: a file (SQLite) or a postgresql:// URL (default\n"
	"                     $NVAULT_DB, else $XDG_DATA_HOME/nvault/vault.db); a\n"
	"                     password comes from PGPASSWORD or ~/.pgpass, never here\n"
	"  --config PATH      sync config (default $AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH,\n"
	"                     else $XDG_CONFIG_HOME/nvault/notion-sync.config.json\n"
	"                     (~/.config/nvault/...), else ./notion-sync.config.json;\n"
	"                     `nvault config path` shows which)\n"
	"  --json             machine-readable output: one JSON document on stdout\n"
	"  -q                 errors only on stderr\n"
	"  -v, -vv            more on stderr: -v traces every Notion request (method,\n"
	"                     path, status, duration, retries, waits; never the token),\n"
	"                     -vv adds request bodies and debug messages\n"
	"  -h, --help         show help\n";

static void print_top_help(FILE *out)
{
	fprintf(out, "usage: nvault [global options] <command> [options]\n\n"
		     "nvault backs up Notion databases into a local, versioned task memory\n"
		     "that AI agents query over MCP.\n\nCommands:\n");
	for (const struct cli_command *c = cli_commands; c->name; c++)
		fprintf(out, "  %-12s %s\n", c->name, c->summary);
	fprintf(out,
		"\n%s\nRun 'nvault help COMMAND' or 'nvault COMMAND --help' for details.\n"
		"Exit codes: 0 success, 1 failure, 2 usage or configuration error,\n"
		"3 another sync holds the lock, 130 interrupted by Ctrl-C.\n",
		global_help);
}

static void print_command_help(const char *usage, const char *description,
			       const struct cli_opt *opts)
{
	printf("usage: %s\n\n%s\n", usage, description);
	if (opts && opts->name) {
		printf("\nOptions:\n");
		for (const struct cli_opt *o = opts; o->name; o++) {
			char left[64];
			if (o->short_name)
				snprintf(left, sizeof(left), "-%c, --%s%s%s", o->short_name,
					 o->name, o->arg ? " " : "", o->arg ? o->arg : "");
			else
				snprintf(left, sizeof(left), "--%s%s%s", o->name, o->arg ? " " : "",
					 o->arg ? o->arg : "");
			printf("  %-24s %s\n", left, o->help);
		}
	}
	printf("\n%s", global_help);
}

int cli_usage_error(struct cli_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", ctx->cmd_path[0] ? ctx->cmd_path : "nvault");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help'.\n", ctx->cmd_path[0] ? ctx->cmd_path : "nvault");
	ctx->exit_code = 2;
	return 2;
}

/* Handles a global option at argv[*i]; 1 if it was one, 0 if not, -1 on error. */
static int parse_global(struct cli_ctx *ctx, int argc, char **argv, int *i)
{
	const char *a = argv[*i];
	const char **target = NULL;
	const char *eq;
	size_t namelen;

	if (!strcmp(a, "--json")) {
		ctx->json = 1;
		return 1;
	}
	if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
		ctx->verbosity = -1;
		log_set_level(LOG_ERROR);
		return 1;
	}
	if (!strcmp(a, "-v") || !strcmp(a, "--verbose") || !strcmp(a, "-vv")) {
		ctx->verbosity += !strcmp(a, "-vv") ? 2 : 1;
		log_set_level(ctx->verbosity > 1 ? LOG_DEBUG : LOG_INFO);
		return 1;
	}
	eq = strchr(a, '=');
	namelen = eq ? (size_t)(eq - a) : strlen(a);
	if (namelen == 4 && !strncmp(a, "--db", 4))
		target = &ctx->db_flag;
	else if (namelen == 8 && !strncmp(a, "--config", 8))
		target = &ctx->config_flag;
	if (!target)
		return 0;
	if (eq) {
		*target = eq + 1;
	} else {
		if (*i + 1 >= argc) {
			cli_usage_error(ctx, "option '%s' needs a value", a);
			return -1;
		}
		*target = argv[++*i];
	}
	return 1;
}

static int set_option(struct cli_ctx *ctx, const struct cli_opt *o, const char *value)
{
	char *end;
	long long v;

	switch (o->type) {
	case CLI_FLAG:
		*(int *)o->value = 1;
		return 0;
	case CLI_STRING:
		*(const char **)o->value = value;
		return 0;
	case CLI_LIST: {
		struct cli_list *l = o->value;
		if (l->n == CLI_LIST_MAX) {
			cli_usage_error(ctx, "option '--%s' given more than %d times", o->name,
					CLI_LIST_MAX);
			return -1;
		}
		l->items[l->n++] = value;
		return 0;
	}
	case CLI_INT:
		errno = 0;
		v = strtoll(value, &end, 10);
		if (errno || end == value || *end) {
			cli_usage_error(ctx, "option '--%s' needs a whole number, not '%s'",
					o->name, value);
			return -1;
		}
		*(int64_t *)o->value = v;
		return 0;
	}
	return -1;
}

static const struct cli_opt *find_option(const struct cli_opt *opts, const char *name, size_t len,
					 char short_name)
{
	for (const struct cli_opt *o = opts; o && o->name; o++) {
		if (short_name ? o->short_name == short_name
			       : (strlen(o->name) == len && !strncmp(o->name, name, len)))
			return o;
	}
	return NULL;
}

int cli_parse(struct cli_ctx *ctx, int argc, char **argv, const struct cli_opt *opts,
	      const char *usage, const char *description, int min_args, int max_args)
{
	int only_positional = 0;

	free(ctx->args);
	ctx->args = xcalloc((size_t)argc + 1, sizeof(char *));
	ctx->nargs = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const struct cli_opt *o;
		int g;

		if (only_positional || a[0] != '-' || !a[1]) {
			ctx->args[ctx->nargs++] = argv[i];
			continue;
		}
		if (!strcmp(a, "--")) {
			only_positional = 1;
			continue;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			print_command_help(usage, description, opts);
			ctx->exit_code = 0;
			return 1;
		}
		g = parse_global(ctx, argc, argv, &i);
		if (g < 0)
			return 1;
		if (g)
			continue;
		if (a[1] == '-') {
			const char *eq = strchr(a + 2, '=');
			size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
			o = find_option(opts, a + 2, len, 0);
			if (!o)
				return cli_usage_error(ctx, "unknown option '%.*s'", (int)len + 2,
						       a);
			if (o->type == CLI_FLAG) {
				if (eq)
					return cli_usage_error(ctx, "option '--%s' takes no value",
							       o->name);
				set_option(ctx, o, NULL);
				continue;
			}
			if (!eq && i + 1 >= argc)
				return cli_usage_error(ctx, "option '--%s' needs a value (%s)",
						       o->name, o->arg ? o->arg : "VALUE");
			if (set_option(ctx, o, eq ? eq + 1 : argv[++i]))
				return 1;
		} else {
			o = a[2] ? NULL : find_option(opts, NULL, 0, a[1]);
			if (!o)
				return cli_usage_error(ctx, "unknown option '%s'", a);
			if (o->type != CLI_FLAG && i + 1 >= argc)
				return cli_usage_error(ctx, "option '-%c' needs a value",
						       o->short_name);
			if (set_option(ctx, o, o->type == CLI_FLAG ? NULL : argv[++i]))
				return 1;
		}
	}
	if (ctx->nargs < min_args)
		return cli_usage_error(ctx, "missing argument (usage: %s)", usage);
	if (max_args >= 0 && ctx->nargs > max_args)
		return cli_usage_error(ctx, "unexpected argument '%s'", ctx->args[max_args]);
	return 0;
}

static const struct cli_command *find_command(const struct cli_command *table, const char *name)
{
	for (const struct cli_command *c = table; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

static void print_group_help(const char *group, const struct cli_command *table)
{
	printf("usage: nvault %s <subcommand> [options]\n\nSubcommands:\n", group);
	for (const struct cli_command *c = table; c->name; c++)
		printf("  %-10s %s\n", c->name, c->summary);
	printf("\n%s", global_help);
}

int cli_dispatch(struct cli_ctx *ctx, const char *group, const struct cli_command *table, int argc,
		 char **argv)
{
	const struct cli_command *c;
	int sub = 1;

	/* global options may come before the subcommand */
	while (sub < argc && argv[sub][0] == '-') {
		int g;
		if (!strcmp(argv[sub], "-h") || !strcmp(argv[sub], "--help")) {
			print_group_help(group, table);
			return 0;
		}
		g = parse_global(ctx, argc, argv, &sub);
		if (g < 0)
			return 2;
		if (!g)
			break;
		sub++;
	}
	if (sub >= argc) {
		print_group_help(group, table);
		return 2;
	}
	c = find_command(table, argv[sub]);
	if (!c) {
		snprintf(ctx->cmd_path, sizeof(ctx->cmd_path), "nvault %s", group);
		return cli_usage_error(ctx, "unknown subcommand '%s'", argv[sub]);
	}
	snprintf(ctx->cmd_path, sizeof(ctx->cmd_path), "nvault %s %s", group, c->name);
	return c->run(ctx, argc - sub, argv + sub);
}

int cli_settings(struct cli_ctx *ctx, const struct settings **out)
{
	struct nv_err err;

	if (!ctx->settings_ready) {
		nv_err_clear(&err);
		if (settings_resolve(&ctx->settings, ctx->db_flag, ctx->config_flag, &err))
			return cli_error(ctx, &err);
		ctx->settings_ready = 1;
	}
	*out = &ctx->settings;
	return 0;
}

int cli_error(struct cli_ctx *ctx, const struct nv_err *err)
{
	fprintf(stderr, "%snvault: error: %s\n", log_prefix(LOG_ERROR),
		err->msg[0] ? err->msg : nv_status_name(err->code));
	if (ctx->json) {
		json_t *doc = json_pack("{s:{s:s s:s}}", "error", "code", nv_status_name(err->code),
					"message", err->msg);
		cli_print_json(doc);
		json_decref(doc);
	}
	ctx->exit_code = nv_exit_code(err->code);
	return ctx->exit_code;
}

void cli_print_json(const json_t *doc)
{
	json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY);
	fputc('\n', stdout);
}

void table_init(struct table *t, int ncols, const char *const *headers)
{
	t->ncols = ncols;
	t->cells = NULL;
	t->rows = t->cap = 0;
	table_add(t, headers);
}

void table_add(struct table *t, const char *const *cells)
{
	size_t cap_cells = t->cap * (size_t)t->ncols;

	t->cells = xgrow(t->cells, &cap_cells, (t->rows + 1) * (size_t)t->ncols, sizeof(char *));
	t->cap = cap_cells / (size_t)t->ncols;
	for (int c = 0; c < t->ncols; c++)
		t->cells[t->rows * (size_t)t->ncols + (size_t)c] =
			xstrdup(cells[c] ? cells[c] : "-");
	t->rows++;
}

/* Display width of UTF-8 text: counts code points, not bytes. */
static size_t text_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			w++;
	return w;
}

void table_print(const struct table *t, FILE *out)
{
	size_t *width = xcalloc((size_t)t->ncols, sizeof(size_t));

	for (size_t r = 0; r < t->rows; r++)
		for (int c = 0; c < t->ncols; c++) {
			size_t w = text_width(t->cells[r * (size_t)t->ncols + (size_t)c]);
			if (w > width[c])
				width[c] = w;
		}
	for (size_t r = 0; r < t->rows; r++) {
		for (int c = 0; c < t->ncols; c++) {
			const char *cell = t->cells[r * (size_t)t->ncols + (size_t)c];
			fputs(cell, out);
			if (c + 1 < t->ncols)
				for (size_t pad = text_width(cell); pad < width[c] + 2; pad++)
					fputc(' ', out);
		}
		fputc('\n', out);
	}
	free(width);
}

void table_release(struct table *t)
{
	for (size_t i = 0; i < t->rows * (size_t)t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->rows = t->cap = 0;
}

/*
 * A process that holds the Notion token writes no core dump (the token would
 * be in it, in several buffers) and cannot be ptrace-attached by other
 * processes of the user: RLIMIT_CORE 0 and PR_SET_DUMPABLE 0 (issue 15 #11).
 */
static void protect_token(void)
{
	const char *token = getenv("NOTION_API_KEY");
	struct rlimit none = {0, 0};

	if (!token || !*token)
		return;
	setrlimit(RLIMIT_CORE, &none);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

int cli_main(int argc, char **argv)
{
	struct cli_ctx ctx;
	const struct cli_command *c;
	int i = 1, rc;

	protect_token();
	memset(&ctx, 0, sizeof(ctx));
	for (; i < argc && argv[i][0] == '-'; i++) {
		int g;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			print_top_help(stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--version")) {
			printf("nvault %s\n", NVAULT_VERSION);
			return 0;
		}
		g = parse_global(&ctx, argc, argv, &i);
		if (g < 0)
			return 2;
		if (!g) {
			fprintf(stderr, "nvault: unknown option '%s'\nTry 'nvault --help'.\n",
				argv[i]);
			return 2;
		}
	}
	if (i >= argc) {
		print_top_help(stderr);
		return 2;
	}
	if (!strcmp(argv[i], "help")) {
		char *help_argv[] = {NULL, (char *)"--help", NULL};
		if (i + 1 >= argc) {
			print_top_help(stdout);
			return 0;
		}
		c = find_command(cli_commands, argv[i + 1]);
		if (!c) {
			fprintf(stderr, "nvault: no such command '%s'\nTry 'nvault --help'.\n",
				argv[i + 1]);
			return 2;
		}
		snprintf(ctx.cmd_path, sizeof(ctx.cmd_path), "nvault %s", c->name);
		help_argv[0] = argv[i + 1];
		/* "nvault help task list" → "task list --help" */
		if (i + 2 < argc) {
			char **sub_argv = xcalloc((size_t)(argc - i) + 1, sizeof(char *));
			int n = 0;
			for (int j = i + 1; j < argc; j++)
				sub_argv[n++] = argv[j];
			sub_argv[n++] = (char *)"--help";
			rc = c->run(&ctx, n, sub_argv);
			free(sub_argv);
		} else {
			rc = c->run(&ctx, 2, help_argv);
		}
		goto out;
	}
	c = find_command(cli_commands, argv[i]);
	if (!c) {
		fprintf(stderr, "nvault: '%s' is not an nvault command.\nTry 'nvault --help'.\n",
			argv[i]);
		return 2;
	}
	snprintf(ctx.cmd_path, sizeof(ctx.cmd_path), "nvault %s", c->name);
	rc = c->run(&ctx, argc - i, argv + i);
out:
	free(ctx.args);
	if (ctx.settings_ready)
		settings_release(&ctx.settings);
	fflush(stdout);
	return rc;
}
