/*
 * fuzz_jsonrpc.c: libFuzzer target for the JSON-RPC framing and dispatch
 * (src/jsonrpc). The input is a byte stream as a client would write it to
 * nvault mcp's stdin: it is split by the real line reader (with a small cap,
 * so the oversized-line path is exercised too) and every line goes through
 * jsonrpc_handle_line() with batches allowed and refused in turn. Every
 * output line must be one valid JSON message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonrpc/jsonrpc.h"

static void check_output(void *ud, const char *line, size_t len)
{
	json_error_t e;
	json_t *m;

	if (memchr(line, '\n', len))
		abort();
	m = json_loadb(line, len, 0, &e);
	if (!m)
		abort();
	json_decref(m);
	(*(size_t *)ud)++;
}

static int h_echo(struct jsonrpc_server *srv, void *ud, const struct jsonrpc_request *req,
		  struct jsonrpc_reply *reply)
{
	reply->result = json_pack("{s:O?}", "params", req->params);
	return JSONRPC_ANSWER;
}

static int h_fail(struct jsonrpc_server *srv, void *ud, const struct jsonrpc_request *req,
		  struct jsonrpc_reply *reply)
{
	return jsonrpc_reply_error(reply, JSONRPC_INVALID_PARAMS, "params: %s",
				   req->params ? "present" : "absent");
}

static const struct jsonrpc_method methods[] = {
	{"initialize", h_echo},
	{"tools/call", h_fail},
	{NULL, NULL},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jsonrpc_server srv;
	struct line_reader r;
	size_t outputs = 0;
	int fds[2], st, n = 0;

	if (size > 60000 || pipe(fds)) /* must fit the pipe buffer */
		return 0;
	if (size && write(fds[1], data, size) != (ssize_t)size)
		abort();
	close(fds[1]);
	jsonrpc_server_init(&srv, methods, NULL, check_output, &outputs);
	line_reader_init(&r, fds[0], 4096);
	while ((st = line_reader_next(&r)) != LINE_EOF && st != LINE_IOERR) {
		srv.allow_batch = n++ & 1;
		if (st == LINE_OK)
			jsonrpc_handle_line(&srv, r.line.data ? r.line.data : "", r.line.len);
		else if (st == LINE_TOOLONG)
			jsonrpc_reject_oversized(&srv, r.max);
	}
	line_reader_release(&r);
	jsonrpc_server_release(&srv);
	close(fds[0]);
	return 0;
}
