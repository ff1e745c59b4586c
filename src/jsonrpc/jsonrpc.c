/*
 * jsonrpc.c: JSON-RPC 2.0 message validation, dispatch and output; see
 * jsonrpc.h. Every incoming message ends in at most one outgoing line
 * (a batch in one array line), built here from what the handler replied.
 */
#include "jsonrpc/jsonrpc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/xalloc.h"

void jsonrpc_server_init(struct jsonrpc_server *srv, const struct jsonrpc_method *methods, void *ud,
			 jsonrpc_write_fn write, void *write_ud)
{
	memset(srv, 0, sizeof(*srv));
	srv->methods = methods;
	srv->ud = ud;
	srv->write = write;
	srv->write_ud = write_ud;
	pthread_mutex_init(&srv->lock, NULL);
}

void jsonrpc_server_release(struct jsonrpc_server *srv)
{
	pthread_mutex_destroy(&srv->lock);
}

/* Serialises msg compactly and writes it as one line; borrows msg. */
static void send_message(struct jsonrpc_server *srv, const json_t *msg)
{
	char *text = json_dumps(msg, JSON_COMPACT);

	if (!text) /* only on allocation failure inside jansson */
		return;
	pthread_mutex_lock(&srv->lock);
	srv->write(srv->write_ud, text, strlen(text));
	pthread_mutex_unlock(&srv->lock);
	free(text);
}

/* New response object for id (NULL → null) carrying result (taken). */
static json_t *make_result(json_t *id, json_t *result)
{
	return json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id", id ? id : json_null(), "result",
			 result ? result : json_object());
}

static json_t *make_error(json_t *id, int code, const char *message)
{
	return json_pack("{s:s, s:O, s:{s:i, s:s}}", "jsonrpc", "2.0", "id", id ? id : json_null(),
			 "error", "code", code, "message", message);
}

void jsonrpc_respond(struct jsonrpc_server *srv, json_t *id, json_t *result)
{
	json_t *msg = make_result(id, result);
	send_message(srv, msg);
	json_decref(msg);
}

void jsonrpc_respond_error(struct jsonrpc_server *srv, json_t *id, int code, const char *message)
{
	json_t *msg = make_error(id, code, message);
	send_message(srv, msg);
	json_decref(msg);
}

void jsonrpc_notify(struct jsonrpc_server *srv, const char *method, json_t *params)
{
	json_t *msg = json_pack("{s:s, s:s}", "jsonrpc", "2.0", "method", method);

	if (params)
		json_object_set_new(msg, "params", params);
	send_message(srv, msg);
	json_decref(msg);
}

int jsonrpc_reply_error(struct jsonrpc_reply *reply, int code, const char *fmt, ...)
{
	va_list ap;

	reply->code = code;
	va_start(ap, fmt);
	vsnprintf(reply->message, sizeof(reply->message), fmt, ap);
	va_end(ap);
	return JSONRPC_ANSWER;
}

void jsonrpc_reject_oversized(struct jsonrpc_server *srv, size_t limit)
{
	char msg[128];

	snprintf(msg, sizeof(msg), "Invalid Request: message too large (limit %zu bytes per line)",
		 limit);
	jsonrpc_respond_error(srv, NULL, JSONRPC_INVALID_REQUEST, msg);
}

static const struct jsonrpc_method *find_method(const struct jsonrpc_server *srv, const char *name)
{
	for (const struct jsonrpc_method *m = srv->methods; m && m->name; m++)
		if (!strcmp(m->name, name))
			return m;
	return NULL;
}

/* An id is usable when it is an integer or a string (MCP: never null). */
static int valid_id(const json_t *id)
{
	return json_is_integer(id) || json_is_string(id);
}

/*
 * Processes one message object; returns the response to send (new
 * reference) or NULL when none is due (notifications, client responses,
 * deferred requests).
 */
static json_t *process_message(struct jsonrpc_server *srv, json_t *msg)
{
	struct jsonrpc_request req = {0};
	struct jsonrpc_reply reply;
	const struct jsonrpc_method *m;
	jsonrpc_handler fn;
	json_t *version, *method, *id, *params;
	int outcome;

	if (!json_is_object(msg))
		return make_error(NULL, JSONRPC_INVALID_REQUEST,
				  "Invalid Request: a message must be a JSON object");
	id = json_object_get(msg, "id");
	method = json_object_get(msg, "method");
	version = json_object_get(msg, "jsonrpc");
	params = json_object_get(msg, "params");
	if (id && !valid_id(id))
		return make_error(NULL, JSONRPC_INVALID_REQUEST,
				  "Invalid Request: \"id\" must be an integer or a string");
	if (!json_is_string(version) || strcmp(json_string_value(version), "2.0"))
		return make_error(id, JSONRPC_INVALID_REQUEST,
				  "Invalid Request: \"jsonrpc\" must be \"2.0\"");
	if (!method) {
		/* A response to a request of ours (we send none): nothing to answer. */
		if (id && (json_object_get(msg, "result") || json_object_get(msg, "error")))
			return NULL;
		return make_error(id, JSONRPC_INVALID_REQUEST,
				  "Invalid Request: \"method\" is missing");
	}
	if (!json_is_string(method))
		return make_error(id, JSONRPC_INVALID_REQUEST,
				  "Invalid Request: \"method\" must be a string");
	if (params && !json_is_object(params) && !json_is_array(params))
		return make_error(id, JSONRPC_INVALID_REQUEST,
				  "Invalid Request: \"params\" must be an object or an array");

	req.method = json_string_value(method);
	req.id = id;
	req.params = params;
	m = find_method(srv, req.method);
	fn = m ? m->fn : srv->fallback;
	if (!fn) {
		char text[256];
		if (!id)
			return NULL;
		snprintf(text, sizeof(text), "Method not found: %.200s", req.method);
		return make_error(id, JSONRPC_METHOD_NOT_FOUND, text);
	}

	memset(&reply, 0, sizeof(reply));
	outcome = fn(srv, srv->ud, &req, &reply);
	if (outcome == JSONRPC_DEFERRED) {
		json_decref(reply.result);
		return NULL;
	}
	if (!id) {
		json_decref(reply.result);
		return NULL;
	}
	if (reply.code) {
		json_decref(reply.result);
		return make_error(id, reply.code, reply.message[0] ? reply.message : "error");
	}
	return make_result(id, reply.result);
}

void jsonrpc_handle_line(struct jsonrpc_server *srv, const char *line, size_t len)
{
	json_error_t jerr;
	json_t *msg, *out = NULL;
	size_t i;

	while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	for (i = 0; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	if (i == len)
		return;

	/* \u0000 inside a string is valid JSON: accepted, and refused by a tool if it matters */
	msg = json_loadb(line, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	if (!msg && strstr(jerr.text, "too big")) {
		/* valid JSON with a number beyond 64 bits (an id, say): not a parse error */
		jsonrpc_respond_error(srv, NULL, JSONRPC_INVALID_REQUEST,
				      "Invalid Request: a number in the message does not fit in a "
				      "64-bit integer (ids must be integers within 64 bits, or "
				      "strings)");
		return;
	}
	if (!msg) {
		char text[400];
		snprintf(text, sizeof(text), "Parse error: %s (line %d, column %d)", jerr.text,
			 jerr.line, jerr.column);
		jsonrpc_respond_error(srv, NULL, JSONRPC_PARSE_ERROR, text);
		return;
	}

	if (json_is_array(msg)) {
		size_t idx;
		json_t *elem;

		if (!srv->allow_batch) {
			out = make_error(
				NULL, JSONRPC_INVALID_REQUEST,
				"Invalid Request: batch requests are not supported in this "
				"protocol version");
		} else if (json_array_size(msg) == 0) {
			out = make_error(NULL, JSONRPC_INVALID_REQUEST,
					 "Invalid Request: empty batch");
		} else {
			out = json_array();
			json_array_foreach(msg, idx, elem)
			{
				json_t *r = process_message(srv, elem);
				if (r)
					json_array_append_new(out, r);
			}
			if (!json_array_size(out)) {
				json_decref(out);
				out = NULL;
			}
		}
	} else {
		out = process_message(srv, msg);
	}
	if (out)
		send_message(srv, out);
	json_decref(out);
	json_decref(msg);
}

void jsonrpc_fd_writer(void *ud, const char *line, size_t len)
{
	int fd = *(int *)ud;
	struct iovec_like {
		const char *p;
		size_t n;
	} parts[2] = {{line, len}, {"\n", 1}};

	for (int i = 0; i < 2; i++) {
		const char *p = parts[i].p;
		size_t n = parts[i].n;
		while (n) {
			ssize_t w = write(fd, p, n);
			if (w < 0) {
				if (errno == EINTR)
					continue;
				return; /* peer gone: nothing sensible to do */
			}
			p += w;
			n -= (size_t)w;
		}
	}
}

/* ---- line reading -------------------------------------------------------- */

void line_reader_init(struct line_reader *r, int fd, size_t max)
{
	r->fd = fd;
	r->max = max ? max : JSONRPC_MAX_LINE;
	r->pos = r->end = 0;
	r->eof = 0;
	r->skipping = 0;
	r->complete = 0;
	buf_init(&r->line, r->max);
}

void line_reader_release(struct line_reader *r)
{
	buf_release(&r->line);
}

int line_reader_next(struct line_reader *r)
{
	/* A line cut short by LINE_INTR is kept and continued. */
	if (r->complete)
		buf_reset(&r->line);
	r->complete = 0;
	for (;;) {
		char *nl;
		size_t n;

		if (r->pos == r->end) {
			ssize_t got;
			if (r->eof)
				return LINE_EOF;
			got = read(r->fd, r->chunk, sizeof(r->chunk));
			if (got < 0)
				return errno == EINTR ? LINE_INTR : LINE_IOERR;
			r->pos = 0;
			r->end = (size_t)got;
			if (got == 0) {
				r->eof = 1;
				r->complete = 1;
				if (r->skipping) {
					r->skipping = 0;
					return LINE_TOOLONG;
				}
				return r->line.len ? LINE_OK : LINE_EOF;
			}
		}
		nl = memchr(r->chunk + r->pos, '\n', r->end - r->pos);
		n = nl ? (size_t)(nl - (r->chunk + r->pos)) : r->end - r->pos;
		if (!r->skipping && buf_add(&r->line, r->chunk + r->pos, n)) {
			/* Over the cap: drop what we have and skip to the newline. */
			buf_release(&r->line);
			r->skipping = 1;
		}
		r->pos += n;
		if (nl) {
			r->pos++;
			r->complete = 1;
			if (r->skipping) {
				r->skipping = 0;
				return LINE_TOOLONG;
			}
			return LINE_OK;
		}
	}
}
