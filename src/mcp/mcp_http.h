/*
 * mcp_http.h: the MCP Streamable HTTP transport behind `nvault mcp --http
 * ADDR:PORT` (SPEC §8; MCP 2025-06-18 and 2025-11-25), on libmicrohttpd.
 *
 * One endpoint, /mcp. POST carries one JSON-RPC message: an initialize
 * without Mcp-Session-Id opens a session (a fresh, cryptographically random
 * id in the Mcp-Session-Id response header); every other message needs
 * that header (400 without it, 404 for a session this server does not
 * know, so the client initialises again). Requests are answered with
 * application/json; a request answered later by a worker (a notion_sync
 * run) is answered on a text/event-stream that first carries its progress
 * notifications, when the client accepts that. Notifications and client
 * responses get 202. DELETE ends a session (and stops its sync); GET is
 * 405 (no standalone stream is offered).
 *
 * Each session is its own MCP server (mcp.h) with its own store
 * connection, so many clients read at once beside one sync (the store's
 * sync lock refuses a second one with the usual "a sync is already
 * running" tool error). Every connection has its own thread
 * (libmicrohttpd's thread-per-connection mode); the messages of one
 * session are handled one at a time.
 *
 * Security: when a token is configured every request needs
 * `Authorization: Bearer <token>` (compared in constant time, never
 * logged), else 401; a non-loopback listen address without a token is
 * refused at start. A present Origin header must name a loopback host or
 * the listen host (DNS rebinding), else 403; on a loopback address the
 * Host header must name a loopback host too. Bodies over the limit get 413.
 */
#ifndef NV_MCP_HTTP_H
#define NV_MCP_HTTP_H

#include <stddef.h>

#include "config/config.h"
#include "util/err.h"

/* Default cap on one request body (4 MiB). */
#define MCP_HTTP_MAX_BODY ((size_t)4 << 20)
/* Default cap on open sessions; the least recently used idle one makes room. */
#define MCP_HTTP_MAX_SESSIONS 256

struct mcp_http_opts {
	const char *listen;    /* "ADDR:PORT": 127.0.0.1:8080, [::1]:0, 0.0.0.0:8080 */
	const char *token;     /* the bearer token clients must send, or NULL for none */
	size_t max_body;       /* 0: MCP_HTTP_MAX_BODY */
	unsigned max_sessions; /* 0: MCP_HTTP_MAX_SESSIONS */
};

struct mcp_http;

/*
 * Parses o->listen and tells whether it is a loopback address (*loopback).
 * NV_EUSAGE with a message naming the value when it is not ADDR:PORT.
 */
int mcp_http_check_listen(const char *listen, int *loopback, struct nv_err *err);
/*
 * Starts serving in background threads. st is borrowed and must outlive
 * the server, as must o->token. Fails with NV_ECONFIG for a non-loopback
 * address without a token, NV_EUSAGE for a malformed address, NV_EIO when
 * the address cannot be bound.
 */
int mcp_http_start(const struct settings *st, const struct mcp_http_opts *o, struct mcp_http **out,
		   struct nv_err *err);
/* The bound port (useful after asking for port 0). */
unsigned mcp_http_port(const struct mcp_http *h);
/* The endpoint URL, e.g. "http://127.0.0.1:8080/mcp" (borrowed). */
const char *mcp_http_url(const struct mcp_http *h);
/*
 * Stops: refuses new requests (503), asks every running sync to stop after
 * its current transaction (it records itself interrupted and its client
 * gets that answer), waits for the connections to finish, frees
 * everything. NULL is a no-op.
 */
void mcp_http_stop(struct mcp_http *h);

#endif
