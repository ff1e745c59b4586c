/*
 * cmd_sync.c: `nvault sync [--database ID] [--full] [--dry-run]
 * [--allow-mass-delete]`: runs the sync engine once (trigger "manual") and
 * prints a per-database summary and a final line with the duration.
 * Progress (progress.c) is drawn on stderr only when it is a terminal; -v
 * traces every Notion request. SIGINT/SIGTERM stop the run after the
 * current transaction (a second signal kills it at once); the run is
 * recorded as interrupted and the exit code is 128 + the signal (130 for
 * Ctrl-C).
 *
 * A dry run opens the store read-only; the engine runs on a scratch copy
 * of it (or on an empty scratch store when there is none yet) under
 * $TMPDIR and removes the copy, so nothing at all is written.
 */
#include "cli/commands.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/progress.h"
#include "notion/notion.h"
#include "store/store.h"
#include "sync/sync.h"
#include "util/buf.h"
#include "util/term.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

static _Atomic int stop_flag;
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
	stop_flag = 1;
}

static void install_stop_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sa.sa_flags = SA_RESETHAND; /* a second signal ends the process */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/*
 * The last line on stderr: how the run ended and how long it took
 * ("nvault: sync finished in 4.2s: 2 databases, 20000 rows, 412 requests").
 */
static void print_final_line(const struct progress *p, const struct sync_report *rep, int rc)
{
	char took[32];
	int64_t rows = 0;
	int interrupted = 0, color = term_color_ok(STDERR_FILENO);
	const char *how;

	for (size_t i = 0; i < rep->n; i++) {
		rows += rep->dbs[i].synced;
		interrupted |= !strcmp(rep->dbs[i].status, "interrupted");
	}
	progress_format_duration(time_mono_ms() - p->started_ms, took, sizeof(took));
	how = interrupted || stop_flag ? "interrupted after"
	      : rc		       ? "failed after"
	      : rep->dry_run	       ? "dry run finished in"
				       : "finished in";
	fprintf(stderr, "nvault: sync %s%s%s %s: %zu database%s, %lld rows", color ? "\033[1m" : "",
		how, color ? "\033[0m" : "", took, rep->n, rep->n == 1 ? "" : "s", (long long)rows);
	if (p->requests)
		fprintf(stderr, ", %lld requests", (long long)p->requests);
	fputc('\n', stderr);
}

/*
 * Opens the store for a dry run: read-only (the engine copies it to a
 * scratch file); *s stays NULL when none exists yet, and the engine starts
 * from an empty scratch store.
 */
static int open_dry_run_store(struct cli_ctx *ctx, struct store **s)
{
	const struct settings *st;
	struct nv_err err;
	int rc;

	if ((rc = cli_settings(ctx, &st)))
		return rc;
	nv_err_clear(&err);
	rc = store_open(st->db_path, STORE_READONLY | STORE_NO_CREATE, s, &err);
	if (rc != NV_ENOTFOUND)
		return rc ? cli_error(ctx, &err) : 0;
	*s = NULL;
	if (ctx->verbosity >= 0)
		fprintf(stderr,
			"nvault: no store at %s yet: the dry run starts from an empty one\n",
			st->db_shown);
	return 0;
}

/* Errors always; warnings unless -q. */
static void print_messages(const struct sync_report *rep, int quiet)
{
	for (size_t i = 0; i < rep->n; i++) {
		const struct sync_db_result *d = &rep->dbs[i];
		json_t *v;
		size_t j;

		json_array_foreach(d->errors, j, v)
			fprintf(stderr, "nvault: %s: error: %s\n", d->name, json_string_value(v));
		if (quiet)
			continue;
		json_array_foreach(d->warnings, j, v)
			fprintf(stderr, "nvault: %s: warning: %s\n", d->name, json_string_value(v));
	}
}

static void print_summary(const struct sync_report *rep)
{
	static const char *const headers[] = {"DATABASE", "STATUS",   "SYNCED",
					      "CREATED",  "UPDATED",  "UNCHANGED",
					      "DELETED",  "RESTORED", "CONFLICTS"};
	struct table t;

	table_init(&t, 9, headers);
	for (size_t i = 0; i < rep->n; i++) {
		const struct sync_db_result *d = &rep->dbs[i];
		char n[7][24];
		const int64_t v[7] = {d->synced,  d->created,  d->updated,  d->unchanged,
				      d->deleted, d->restored, d->conflicts};
		const char *cells[9];

		cells[0] = d->name;
		cells[1] = d->status;
		for (int k = 0; k < 7; k++) {
			snprintf(n[k], sizeof(n[k]), "%lld", (long long)v[k]);
			cells[k + 2] = n[k];
		}
		table_add(&t, cells);
	}
	if (rep->dry_run)
		printf("Dry run: the sync ran on a scratch copy of the store, now removed; the "
		       "counts say what a sync would do.\n");
	table_print(&t, stdout);
	table_release(&t);
}

int cmd_sync(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *database = NULL;
	int full = 0, dry_run = 0, allow_mass_delete = 0;
	const struct cli_opt opts[] = {
		{.name = "database",
		 .type = CLI_STRING,
		 .value = &database,
		 .arg = "ID",
		 .help = "sync only this configured database"},
		{.name = "full",
		 .type = CLI_FLAG,
		 .value = &full,
		 .help = "re-read every row, ignoring the watermark (still writes only changes)"},
		{.name = "dry-run",
		 .type = CLI_FLAG,
		 .value = &dry_run,
		 .help = "read Notion and report what would change; write nothing"},
		{.name = "allow-mass-delete",
		 .type = CLI_FLAG,
		 .value = &allow_mass_delete,
		 .help = "delete even when more than half of a database's tasks vanished"},
		{.name = NULL},
	};
	const struct settings *st;
	struct config *cfg = NULL;
	struct store *s = NULL;
	struct progress ps;
	struct sync_opts so;
	struct sync_report rep;
	struct nv_err err;
	int rc;

	if (cli_parse(ctx, argc, argv, opts,
		      "nvault sync [--database ID] [--full] [--dry-run] [--allow-mass-delete]",
		      "Back up the enabled databases of the config (or one) from Notion now.\n"
		      "Reads rows edited since the last sync (with a 2-minute lookback), checks\n"
		      "every page id to find deletions, writes a version only for real changes,\n"
		      "and records one evidence entry per database. Needs NOTION_API_KEY.\n"
		      "Exit codes: 0 all databases synced, 1 any failed, 2 usage or\n"
		      "configuration error, 3 another sync is running, 130 (143) stopped by\n"
		      "Ctrl-C (SIGTERM) after the current transaction, recorded interrupted.",
		      0, 0))
		return ctx->exit_code;
	if ((rc = cli_settings(ctx, &st)))
		return rc;
	if ((rc = cli_load_config(ctx, &cfg)))
		return rc;
	rc = dry_run ? open_dry_run_store(ctx, &s) : cli_open_store(ctx, 0, &s);
	if (rc)
		goto out;

	memset(&so, 0, sizeof(so));
	so.database_id = database;
	so.full = full;
	so.dry_run = dry_run;
	so.allow_mass_delete = allow_mass_delete;
	so.trigger = "manual";
	so.stop = &stop_flag;
	progress_init(&ps, cfg, s, ctx->verbosity, ctx->json);
	so.progress = progress_update;
	so.progress_ud = &ps;
	progress_trace_requests(&ps);
	install_stop_handlers();
	nv_err_clear(&err);
	rc = sync_execute(s, cfg, st, &so, &rep, &err);
	notion_set_trace(NULL, NULL);
	progress_clear(&ps);
	progress_release(&ps);
	if (rc == NV_ELOCKED || rc == NV_ECONFIG || (rc && !rep.n)) {
		rc = stop_flag && rc == NV_EINTERRUPTED ? 128 + stop_signal : cli_error(ctx, &err);
		sync_report_release(&rep);
		goto out;
	}
	if (ctx->json) {
		json_t *doc = sync_report_to_json(&rep);
		if (rc)
			json_object_set_new(doc, "error",
					    json_pack("{s:s s:s}", "code", nv_status_name(err.code),
						      "message", err.msg));
		cli_print_json(doc);
		json_decref(doc);
	} else {
		print_summary(&rep);
	}
	print_messages(&rep, ctx->verbosity < 0);
	if (rc)
		fprintf(stderr, "nvault: error: %s\n", err.msg);
	else if (!rep.n && ctx->verbosity >= 0)
		fprintf(stderr, "nvault: no database is enabled in %s\n", cfg->path);
	if (ctx->verbosity >= 0 && rep.n)
		print_final_line(&ps, &rep, rc);
	/* Ctrl-C (SIGINT) exits 130, SIGTERM 143: the shell's convention for a signal */
	rc = stop_flag ? 128 + stop_signal : nv_exit_code(rc);
	sync_report_release(&rep);
out:
	store_close(s);
	config_free(cfg);
	return rc;
}
