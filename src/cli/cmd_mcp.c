/*
 * cmd_mcp.c: `nvault mcp`, the MCP server on stdin/stdout (SPEC §8). Stdout
 * carries protocol messages only; every diagnostic goes to stderr. SIGINT
 * and SIGTERM stop a running sync after its current transaction and end
 * the server; SIGPIPE is ignored so a vanished client is a clean exit.
 */
#include "cli/commands.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "mcp/mcp.h"
#include "util/log.h"

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	stop_requested = 1;
}

int cmd_mcp(struct cli_ctx *ctx, int argc, char **argv)
{
	const struct settings *st;
	struct mcp_server *m = NULL;
	struct sigaction sa;
	struct nv_err err;
	int out_fd = STDOUT_FILENO;
	int rc;

	if (cli_parse(ctx, argc, argv, NULL, "nvault mcp",
		      "Serve the Model Context Protocol on stdin/stdout (JSON-RPC 2.0, one\n"
		      "message per line) with the tools memory_task and notion_sync. Register\n"
		      "it in an MCP client as the command `nvault mcp` (see docs/mcp.md).\n"
		      "The store, the sync config and NOTION_API_KEY come from the options\n"
		      "and environment of this process, never from the client.",
		      0, 0))
		return ctx->exit_code;
	if ((rc = cli_settings(ctx, &st)))
		return rc;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal; /* no SA_RESTART: read() must return EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	nv_err_clear(&err);
	if (mcp_server_new(st, jsonrpc_fd_writer, &out_fd, &m, &err))
		return cli_error(ctx, &err);
	log_info("mcp: serving on stdin/stdout (store %s)", st->db_path);
	rc = mcp_serve(m, STDIN_FILENO, &stop_requested);
	mcp_server_free(m);
	return rc ? 1 : 0;
}
