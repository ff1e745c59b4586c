/*
 * jsonrpc.h: JSON-RPC 2.0 framing and dispatch over newline-delimited
 * streams (the MCP stdio transport). This layer knows nothing about MCP:
 * it splits a byte stream into lines (each capped, so a hostile peer cannot
 * make it grow without bound), validates request objects, calls the handler
 * registered for the method in a table, and writes one compact JSON message
 * per line back through a caller-supplied writer.
 *
 * Malformed input never stops the server: bad JSON gets -32700, a message
 * that is not a request -32600, an unknown method -32601, and the caller's
 * loop simply reads the next line. Request ids may be any integer
 * (including 0) or a string; responses echo them unchanged. Batches (JSON
 * arrays) are handled when the server allows them (older MCP versions) and
 * answered with -32600 otherwise.
 *
 * Threads: responses and notifications may be sent from any thread (a
 * mutex serialises whole lines), so a handler can hand a slow request to a
 * worker, return JSONRPC_DEFERRED, and answer later with jsonrpc_respond().
 */
#ifndef NV_JSONRPC_H
#define NV_JSONRPC_H

#include <jansson.h>
#include <pthread.h>
#include <stddef.h>

#include "util/buf.h"

/* Default cap on one incoming line (4 MiB). */
#define JSONRPC_MAX_LINE ((size_t)4 << 20)

enum jsonrpc_code {
	JSONRPC_PARSE_ERROR = -32700,
	JSONRPC_INVALID_REQUEST = -32600,
	JSONRPC_METHOD_NOT_FOUND = -32601,
	JSONRPC_INVALID_PARAMS = -32602,
	JSONRPC_INTERNAL_ERROR = -32603,
};

/* One incoming request or notification; everything borrowed from the parsed message. */
struct jsonrpc_request {
	const char *method;
	json_t *id;	/* integer or string; NULL for a notification */
	json_t *params; /* object or array; NULL when absent */
};

/* What a handler hands back for an immediate answer. */
struct jsonrpc_reply {
	json_t *result; /* success: new reference (NULL → {}) */
	int code;	/* error: a JSON-RPC code (nonzero means error) */
	char message[1024];
};

/* Handler return values. */
enum jsonrpc_outcome {
	JSONRPC_ANSWER = 0, /* reply filled: result or error */
	JSONRPC_DEFERRED,   /* the handler (or its worker) will call jsonrpc_respond*() later */
};

struct jsonrpc_server;

/*
 * A method handler. Called on the reading thread. For notifications
 * (req->id NULL) any reply is discarded. A handler that returns
 * JSONRPC_DEFERRED must keep its own reference to req->id (json_incref).
 */
typedef int (*jsonrpc_handler)(struct jsonrpc_server *srv, void *ud,
			       const struct jsonrpc_request *req, struct jsonrpc_reply *reply);

/* One entry of a method table; tables end with an entry whose name is NULL. */
struct jsonrpc_method {
	const char *name;
	jsonrpc_handler fn;
};

/* Receives one outgoing message (compact JSON, no newline: the writer adds it). */
typedef void (*jsonrpc_write_fn)(void *ud, const char *line, size_t len);

struct jsonrpc_server {
	const struct jsonrpc_method *methods; /* borrowed */
	void *ud;			      /* passed to handlers */
	jsonrpc_handler fallback;	      /* unknown methods, or NULL → -32601 */
	jsonrpc_write_fn write;
	void *write_ud;
	int allow_batch;      /* answer batches instead of refusing them */
	pthread_mutex_t lock; /* serialises writes */
};

/* Sets up srv; methods and both user pointers are borrowed. */
void jsonrpc_server_init(struct jsonrpc_server *srv, const struct jsonrpc_method *methods, void *ud,
			 jsonrpc_write_fn write, void *write_ud);
void jsonrpc_server_release(struct jsonrpc_server *srv);

/*
 * Handles one incoming line (without its newline; a trailing CR is
 * ignored; blank lines are skipped): parse, validate, dispatch, answer.
 * Never fails: every problem becomes a JSON-RPC error message.
 */
void jsonrpc_handle_line(struct jsonrpc_server *srv, const char *line, size_t len);
/* Answers a line that was dropped for exceeding limit bytes (-32600, id null). */
void jsonrpc_reject_oversized(struct jsonrpc_server *srv, size_t limit);

/* Sends {"jsonrpc","id","result"}; takes the reference to result (NULL → {}). */
void jsonrpc_respond(struct jsonrpc_server *srv, json_t *id, json_t *result);
/* Sends {"jsonrpc","id","error":{code,message}}; id may be NULL (→ null). */
void jsonrpc_respond_error(struct jsonrpc_server *srv, json_t *id, int code, const char *message);
/* Sends a notification; takes the reference to params (may be NULL). */
void jsonrpc_notify(struct jsonrpc_server *srv, const char *method, json_t *params);

/* Convenience for handlers: fills reply with an error; returns JSONRPC_ANSWER. */
int jsonrpc_reply_error(struct jsonrpc_reply *reply, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A writer for jsonrpc_server_init(): ud points to an int file descriptor. */
void jsonrpc_fd_writer(void *ud, const char *line, size_t len);

/* ---- line reading -------------------------------------------------------- */

enum line_status {
	LINE_OK = 0,  /* a complete line is in the buffer */
	LINE_EOF,     /* end of input (a final unterminated line is returned as LINE_OK first) */
	LINE_TOOLONG, /* a line passed the cap; it was skipped up to its newline */
	LINE_INTR,    /* read() was interrupted by a signal; call again */
	LINE_IOERR,   /* read() failed (errno set) */
};

struct line_reader {
	int fd;
	size_t max; /* cap on one line, bytes */
	char chunk[65536];
	size_t pos, end; /* unread bytes are chunk[pos..end) */
	int eof;
	int skipping;	 /* discarding the rest of an oversized line */
	int complete;	 /* r->line holds a finished line (reset on the next call) */
	struct buf line; /* the current line, without its newline */
};

void line_reader_init(struct line_reader *r, int fd, size_t max);
void line_reader_release(struct line_reader *r);
/* Reads the next line into r->line. See enum line_status. */
int line_reader_next(struct line_reader *r);

#endif
