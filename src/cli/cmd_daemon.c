/*
 * cmd_daemon.c: `nvault daemon`, the scheduler in the foreground (for
 * systemd or a container). The loop lives in src/sched/daemon.c; this only
 * parses the command line, turns on timestamped info logging and maps the
 * outcome to an exit code.
 */
#include "cli/commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli/progress.h"
#include "notion/notion.h"
#include "sched/daemon.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/term.h"

static const char daemon_description[] =
	"Run the scheduler in the foreground: sleep until the next time of\n"
	"AGENT_MEMORY_NOTION_SYNC_SCHEDULE (cron, local time zone; default '0 5 * * *'),\n"
	"sync every enabled database with trigger 'schedule', record the result in\n"
	"the store (see 'nvault status'), repeat. A run missed while no daemon was\n"
	"running is made up once at start-up. A run that finds another sync holding\n"
	"the lock is skipped and recorded as such.\n"
	"\n"
	"Refuses to start (exit 2) with an invalid schedule or config, or without\n"
	"NOTION_API_KEY. With AGENT_MEMORY_NOTION_SYNC_ENABLED=false it says so and\n"
	"exits 0. SIGTERM/SIGINT: stop after the current transaction (the run is\n"
	"recorded 'interrupted') and exit 0. SIGHUP: reload the config file (an\n"
	"invalid file is logged and the previous one kept).";

/* -v: one log line per Notion request, -vv with the request body. */
static void daemon_trace(void *ud, const struct notion_trace *t)
{
	const struct cli_ctx *ctx = ud;
	struct buf b = BUF_INIT;

	progress_format_trace(t, ctx->verbosity, &b);
	log_info("%s", b.data);
	buf_release(&b);
}

int cmd_daemon(struct cli_ctx *ctx, int argc, char **argv)
{
	struct daemon_opts opts = {.db_flag = NULL, .config_flag = NULL};
	struct daemon_result res;
	struct nv_err err;
	int rc;

	if (cli_parse(ctx, argc, argv, NULL, "nvault daemon", daemon_description, 0, 0))
		return ctx->exit_code;
	if (ctx->verbosity == 0)
		log_set_level(LOG_INFO);
	log_set_timestamps(1);
	/* journald (JOURNAL_STREAM, or a non-terminal stderr) reads "<3>"-style priorities */
	log_set_syslog_prefix(getenv("JOURNAL_STREAM") || !term_is_tty(STDERR_FILENO));
	if (ctx->verbosity >= 1)
		notion_set_trace(daemon_trace, ctx);
	opts.db_flag = ctx->db_flag;
	opts.config_flag = ctx->config_flag;
	nv_err_clear(&err);
	rc = daemon_run(&opts, &res, &err);
	notion_set_trace(NULL, NULL);
	if (rc)
		return cli_error(ctx, &err);
	if (ctx->json) {
		json_t *doc =
			json_pack("{s:s s:I}", "status", res.disabled ? "disabled" : "stopped",
				  "runs", (json_int_t)res.runs);
		cli_print_json(doc);
		json_decref(doc);
	}
	return 0;
}
