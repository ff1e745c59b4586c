/*
 * cmd_mcp.c: `nvault mcp`, the MCP server (SPEC §8): on stdin/stdout by
 * default, or over Streamable HTTP with --http ADDR:PORT (src/mcp/http.c).
 * On stdio, stdout carries protocol messages only; every diagnostic goes to
 * stderr. SIGINT and SIGTERM stop a running sync after its current
 * transaction and end the server; SIGPIPE is ignored so a vanished client
 * is a clean exit.
 */
#include "cli/commands.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mcp/mcp.h"
#include "mcp/mcp_http.h"
#include "util/buf.h"
#include "util/log.h"

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	stop_requested = 1;
}

/* Writes the port to path atomically (a temporary file renamed over it). */
static int write_port_file(const char *path, unsigned port, struct nv_err *err)
{
	struct buf tmp = BUF_INIT;
	FILE *f;
	int ok;

	buf_addf(&tmp, "%s.tmp", path);
	f = fopen(tmp.data, "w");
	if (!f) {
		nv_err_set(err, NV_EIO, "--port-file: cannot write %s: %s", tmp.data,
			   strerror(errno));
		buf_release(&tmp);
		return NV_EIO;
	}
	fprintf(f, "%u\n", port);
	ok = fclose(f) == 0 && rename(tmp.data, path) == 0;
	if (!ok)
		nv_err_set(err, NV_EIO, "--port-file: cannot write %s: %s", path, strerror(errno));
	buf_release(&tmp);
	return ok ? 0 : NV_EIO;
}

/*
 * Serves HTTP until SIGINT or SIGTERM. The signals are blocked in every
 * thread (the server's threads inherit the mask) and taken here with
 * sigwait(), so no handler runs on a connection or sync thread.
 */
static int serve_http(struct cli_ctx *ctx, const struct settings *st, const char *listen,
		      const char *port_file)
{
	struct mcp_http_opts o;
	struct mcp_http *h = NULL;
	struct nv_err err;
	sigset_t set, old;
	int sig = 0, loopback = 0;
	const char *token = getenv("NVAULT_MCP_TOKEN");

	nv_err_clear(&err);
	if (mcp_http_check_listen(listen, &loopback, &err))
		return cli_usage_error(ctx, "%s", err.msg);
	memset(&o, 0, sizeof(o));
	o.listen = listen;
	o.token = token && *token ? token : NULL;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	signal(SIGPIPE, SIG_IGN);
	if (mcp_http_start(st, &o, &h, &err)) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return cli_error(ctx, &err);
	}
	if (port_file && write_port_file(port_file, mcp_http_port(h), &err)) {
		mcp_http_stop(h);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return cli_error(ctx, &err);
	}
	/* printed whatever the verbosity: it says where to connect */
	fprintf(stderr, "nvault mcp: listening on %s (store %s, %s)\n", mcp_http_url(h),
		st->db_shown,
		o.token ? "bearer token required" : "no token: loopback clients only");
	while (sigwait(&set, &sig) == EINTR)
		;
	log_info("mcp http: %s received; stopping (a running sync stops after its current "
		 "transaction)",
		 sig == SIGINT ? "SIGINT" : "SIGTERM");
	mcp_http_stop(h);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	fprintf(stderr, "nvault mcp: stopped\n");
	return 0;
}

int cmd_mcp(struct cli_ctx *ctx, int argc, char **argv)
{
	const struct settings *st;
	struct mcp_server *m = NULL;
	struct sigaction sa;
	struct nv_err err;
	const char *http = NULL, *port_file = NULL;
	int out_fd = STDOUT_FILENO;
	int rc;
	const struct cli_opt opts[] = {
		{"http", 0, CLI_STRING, &http, "ADDR:PORT",
		 "serve Streamable HTTP at http://ADDR:PORT/mcp, not stdio"},
		{"port-file", 0, CLI_STRING, &port_file, "FILE",
		 "with --http: write the bound port to FILE (for port 0)"},
		{NULL},
	};

	if (cli_parse(ctx, argc, argv, opts, "nvault mcp [--http ADDR:PORT [--port-file FILE]]",
		      "Serve the Model Context Protocol with the tools memory_task and\n"
		      "notion_sync. By default on stdin/stdout (JSON-RPC 2.0, one message per\n"
		      "line): register it in an MCP client as the command `nvault mcp`.\n"
		      "With --http ADDR:PORT, serve the Streamable HTTP transport at\n"
		      "http://ADDR:PORT/mcp to many clients at once (port 0 picks a free\n"
		      "one). Clients must send `Authorization: Bearer $NVAULT_MCP_TOKEN` when\n"
		      "that variable is set; it must be set for any address that is not\n"
		      "loopback. See docs/mcp.md.\n"
		      "The store, the sync config and NOTION_API_KEY come from the options\n"
		      "and environment of this process, never from the client.",
		      0, 0))
		return ctx->exit_code;
	if (port_file && !http)
		return cli_usage_error(ctx, "--port-file needs --http");
	if ((rc = cli_settings(ctx, &st)))
		return rc;
	if (http)
		return serve_http(ctx, st, http, port_file);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal; /* no SA_RESTART: read() must return EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	nv_err_clear(&err);
	if (mcp_server_new(st, jsonrpc_fd_writer, &out_fd, &m, &err))
		return cli_error(ctx, &err);
	log_info("mcp: serving on stdin/stdout (store %s)", st->db_shown);
	rc = mcp_serve(m, STDIN_FILENO, &stop_requested);
	mcp_server_free(m);
	return rc ? 1 : 0;
}
