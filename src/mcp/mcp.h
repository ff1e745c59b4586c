/*
 * mcp.h: the Model Context Protocol server behind `nvault mcp` (SPEC §8).
 * It speaks MCP over the JSON-RPC layer (src/jsonrpc): initialize with
 * protocol-version negotiation, ping, tools/list, tools/call, cancellation
 * and progress notifications, and offers two tools, memory_task (the task
 * memory: read, write, history, point-in-time and diff) and notion_sync
 * (run a sync, status, configured databases).
 *
 * Requests are read and answered on the calling thread; a notion_sync run
 * goes to one worker thread with its own store connection, so the server
 * keeps reading (and answering memory_task calls, pings and cancellations)
 * while Notion is being read. Only protocol messages are written to the
 * output descriptor; diagnostics go to the log (stderr).
 */
#ifndef NV_MCP_H
#define NV_MCP_H

#include <signal.h>

#include "config/config.h"
#include "jsonrpc/jsonrpc.h"
#include "util/err.h"

/* The protocol versions this server speaks, newest first; NULL-terminated. */
extern const char *const mcp_protocol_versions[];

struct mcp_server;

/*
 * Creates a server that hands each outgoing message to write (for stdio:
 * jsonrpc_fd_writer with a pointer to the descriptor; both borrowed). st
 * (borrowed, must outlive the server) gives the store path, the config
 * path, the Notion token and base URL; a client can never change them
 * through the protocol. *out is released with mcp_server_free().
 */
int mcp_server_new(const struct settings *st, jsonrpc_write_fn write, void *write_ud,
		   struct mcp_server **out, struct nv_err *err);
/*
 * Serves requests read from in_fd until end of input or until *stop is set
 * (by a signal handler; read() must be interruptible, i.e. no SA_RESTART).
 * At end of input a running sync is waited for; on *stop it is asked to
 * stop after its current transaction. Returns 0, or NV_EIO when reading
 * failed.
 */
int mcp_serve(struct mcp_server *m, int in_fd, volatile sig_atomic_t *stop);
/*
 * Handles one message (a JSON-RPC line without its newline) as if read from
 * the input: stdio, tests, fuzzing, benchmarks, and the HTTP transport
 * (http.c), which creates one server per session. An immediate answer is
 * written through the server's writer on the calling thread before this
 * returns; a request answered later (a notion_sync run) is answered, and
 * its progress notifications sent, through the same writer from the
 * worker thread, while mcp_server_pending() is nonzero.
 */
void mcp_handle_line(struct mcp_server *m, const char *line, size_t len);
/* Nonzero while a request of this server is still to be answered by a worker. */
int mcp_server_pending(struct mcp_server *m);
/*
 * Waits for the worker of a deferred request to end (asking it to stop
 * after its current transaction first when stop is set; the sync then
 * records itself interrupted and answers so). Its answer, if any, has been
 * written when this returns.
 */
void mcp_server_settle(struct mcp_server *m, int stop);
/* Waits for a running sync, then frees everything; NULL is a no-op. */
void mcp_server_free(struct mcp_server *m);

#endif
