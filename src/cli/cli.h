/*
 * cli.h: the command-line front end. Argument parsing, dispatch and output
 * only: each command lives in its own cmd_*.c, is one entry of the table in
 * commands.c, and calls the library (store, sync, ...) to do the work.
 *
 * Every command accepts the global options anywhere on its line: --db PATH,
 * --config PATH, --json, -q, -v, -h/--help. Results go to stdout (one JSON
 * document with --json), diagnostics to stderr. Exit codes per SPEC §1 via
 * nv_exit_code().
 */
#ifndef NV_CLI_H
#define NV_CLI_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "config/config.h"
#include "util/err.h"

struct store;

struct cli_ctx {
	const char *db_flag;	 /* --db */
	const char *config_flag; /* --config */
	int json;		 /* --json */
	int verbosity;		 /* -1 quiet, 0 normal, 1+ verbose */
	char **args;		 /* positional arguments after parsing */
	int nargs;
	int exit_code;		  /* set by cli_parse() when it returns nonzero */
	char cmd_path[128];	  /* "nvault task list" for messages */
	struct settings settings; /* valid after cli_settings() */
	int settings_ready;
};

enum cli_opt_type { CLI_FLAG, CLI_STRING, CLI_INT, CLI_LIST };

/* The values of a repeatable option (CLI_LIST), in the order given. */
#define CLI_LIST_MAX 16
struct cli_list {
	const char *items[CLI_LIST_MAX];
	size_t n;
};

/* One command-specific option; tables end with an entry whose name is NULL. */
struct cli_opt {
	const char *name; /* long name without "--" */
	char short_name;  /* 0 when none */
	enum cli_opt_type type;
	void *value; /* int * (flag), const char ** (string), int64_t * (int), struct cli_list * */
	const char *arg; /* placeholder in help, e.g. "ID" */
	const char *help;
};

struct cli_command {
	const char *name;
	int (*run)(struct cli_ctx *ctx, int argc, char **argv);
	const char *summary;
};

/* Entry point used by main(). */
int cli_main(int argc, char **argv);

/*
 * Parses argv (argv[0] is the command's own name) against opts and the
 * global options. Positionals go to ctx->args. usage is the synopsis after
 * "usage: ", description the help paragraph. Returns 0 to go on; nonzero
 * when the command must return ctx->exit_code at once (help printed → 0,
 * usage error printed → 2).
 */
int cli_parse(struct cli_ctx *ctx, int argc, char **argv, const struct cli_opt *opts,
	      const char *usage, const char *description, int min_args, int max_args);

/*
 * Runs the subcommand named by argv[1] from table (for "task", "config").
 * Prints the group's help for -h/--help or no subcommand.
 */
int cli_dispatch(struct cli_ctx *ctx, const char *group, const struct cli_command *table, int argc,
		 char **argv);

/* Resolved settings (flags > env > defaults); prints and returns exit code on error. */
int cli_settings(struct cli_ctx *ctx, const struct settings **out);
/*
 * Opens the store at the resolved path (store_open flags). On failure
 * prints the error and returns the exit code; 0 on success.
 */
int cli_open_store(struct cli_ctx *ctx, unsigned flags, struct store **out);
/* Loads the config at the resolved path; prints and returns the exit code on error. */
int cli_load_config(struct cli_ctx *ctx, struct config **out);

/*
 * Reports err: "nvault: error: <msg>" on stderr, and with --json also
 * {"error":{"code","message"}} on stdout. Returns nv_exit_code(err->code).
 */
int cli_error(struct cli_ctx *ctx, const struct nv_err *err);
/* Usage error: message plus a hint to --help on stderr; returns 2. */
int cli_usage_error(struct cli_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Prints a JSON document to stdout (indented, newline-terminated); borrows doc. */
void cli_print_json(const json_t *doc);

/* Aligned text tables for human output. */
struct table {
	int ncols;
	char **cells; /* rows * ncols, row 0 = headers */
	size_t rows, cap;
};
void table_init(struct table *t, int ncols, const char *const *headers);
/* Adds a row of ncols cells (NULL prints as "-"); cells are copied. */
void table_add(struct table *t, const char *const *cells);
void table_print(const struct table *t, FILE *out);
void table_release(struct table *t);

/* The command table (commands.c). */
extern const struct cli_command cli_commands[];

#endif
