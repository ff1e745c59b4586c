/*
 * test_jsonrpc.c: JSON-RPC framing and dispatch: standard errors for bad
 * JSON, invalid requests and unknown methods; ids 0, negative and string
 * echoed unchanged; notifications unanswered; batches answered or refused;
 * deferred answers; the line reader's cap (an oversized line is skipped and
 * the next line still read), CRLF and a final unterminated line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "jsonrpc/jsonrpc.h"

/* Everything the server wrote, one parsed message per element. */
static json_t *written;
static json_t *deferred_id;

static void capture(void *ud, const char *line, size_t len)
{
	json_error_t e;
	json_t *m;

	assert_null(memchr(line, '\n', len));
	m = json_loadb(line, len, 0, &e);
	assert_non_null(m);
	json_array_append_new(written, m);
}

static int h_echo(struct jsonrpc_server *srv, void *ud, const struct jsonrpc_request *req,
		  struct jsonrpc_reply *reply)
{
	reply->result = json_pack("{s:O?}", "params", req->params);
	(*(int *)ud)++;
	return JSONRPC_ANSWER;
}

static int h_fail(struct jsonrpc_server *srv, void *ud, const struct jsonrpc_request *req,
		  struct jsonrpc_reply *reply)
{
	return jsonrpc_reply_error(reply, JSONRPC_INVALID_PARAMS, "bad %s", "thing");
}

static int h_later(struct jsonrpc_server *srv, void *ud, const struct jsonrpc_request *req,
		   struct jsonrpc_reply *reply)
{
	deferred_id = json_incref(req->id);
	return JSONRPC_DEFERRED;
}

static const struct jsonrpc_method methods[] = {
	{"echo", h_echo},
	{"fail", h_fail},
	{"later", h_later},
	{NULL, NULL},
};

static int calls;
static struct jsonrpc_server srv;

static int setup(void **state)
{
	written = json_array();
	calls = 0;
	jsonrpc_server_init(&srv, methods, &calls, capture, NULL);
	return 0;
}

static int teardown(void **state)
{
	jsonrpc_server_release(&srv);
	json_decref(written);
	return 0;
}

static void feed(const char *line)
{
	jsonrpc_handle_line(&srv, line, strlen(line));
}

static json_t *last(void)
{
	size_t n = json_array_size(written);
	assert_true(n > 0);
	return json_array_get(written, n - 1);
}

static int last_error_code(void)
{
	return (int)json_integer_value(json_object_get(json_object_get(last(), "error"), "code"));
}

static void test_ids_echoed(void **state)
{
	feed("{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"echo\"}");
	assert_true(json_is_integer(json_object_get(last(), "id")));
	assert_int_equal(json_integer_value(json_object_get(last(), "id")), 0);
	assert_non_null(json_object_get(last(), "result"));

	feed("{\"jsonrpc\":\"2.0\",\"id\":\"abc-1\",\"method\":\"echo\",\"params\":{\"x\":1}}");
	assert_string_equal(json_string_value(json_object_get(last(), "id")), "abc-1");
	assert_int_equal(
		json_integer_value(json_object_get(
			json_object_get(json_object_get(last(), "result"), "params"), "x")),
		1);

	feed("{\"jsonrpc\":\"2.0\",\"id\":-7,\"method\":\"echo\"}\r");
	assert_int_equal(json_integer_value(json_object_get(last(), "id")), -7);
	assert_int_equal(json_array_size(written), 3);
	assert_int_equal(calls, 3);
}

static void test_standard_errors(void **state)
{
	feed("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":");
	assert_int_equal(last_error_code(), JSONRPC_PARSE_ERROR);
	assert_true(json_is_null(json_object_get(last(), "id")));

	feed("42");
	assert_int_equal(last_error_code(), JSONRPC_INVALID_REQUEST);

	feed("{\"jsonrpc\":\"1.0\",\"id\":2,\"method\":\"echo\"}");
	assert_int_equal(last_error_code(), JSONRPC_INVALID_REQUEST);
	assert_int_equal(json_integer_value(json_object_get(last(), "id")), 2);

	feed("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":5}");
	assert_int_equal(last_error_code(), JSONRPC_INVALID_REQUEST);

	feed("{\"jsonrpc\":\"2.0\",\"id\":{\"a\":1},\"method\":\"echo\"}");
	assert_int_equal(last_error_code(), JSONRPC_INVALID_REQUEST);
	assert_true(json_is_null(json_object_get(last(), "id")));

	feed("{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"echo\"}");
	assert_int_equal(last_error_code(), JSONRPC_INVALID_REQUEST);

	feed("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"echo\",\"params\":\"str\"}");
	assert_int_equal(last_error_code(), JSONRPC_INVALID_REQUEST);

	feed("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"nope\"}");
	assert_int_equal(last_error_code(), JSONRPC_METHOD_NOT_FOUND);
	assert_non_null(strstr(
		json_string_value(json_object_get(json_object_get(last(), "error"), "message")),
		"nope"));

	feed("{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"fail\"}");
	assert_int_equal(last_error_code(), JSONRPC_INVALID_PARAMS);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(last(), "error"), "message")),
		"bad thing");
	assert_int_equal(calls, 0);
	assert_int_equal(json_array_size(written), 9);
}

static void test_notifications_and_responses_unanswered(void **state)
{
	feed("{\"jsonrpc\":\"2.0\",\"method\":\"echo\"}");
	feed("{\"jsonrpc\":\"2.0\",\"method\":\"unknown/notification\"}");
	feed("{\"jsonrpc\":\"2.0\",\"method\":\"fail\"}");
	feed("{\"jsonrpc\":\"2.0\",\"id\":9,\"result\":{}}");
	feed("   ");
	feed("");
	assert_int_equal(json_array_size(written), 0);
	assert_int_equal(calls, 1);
}

static void test_batches(void **state)
{
	const char *batch = "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\"},"
			    "{\"jsonrpc\":\"2.0\",\"method\":\"echo\"},"
			    "{\"jsonrpc\":\"2.0\",\"id\":\"b\",\"method\":\"nope\"}, 7]";

	feed(batch);
	assert_int_equal(last_error_code(), JSONRPC_INVALID_REQUEST);
	assert_int_equal(calls, 0);

	srv.allow_batch = 1;
	feed(batch);
	assert_true(json_is_array(last()));
	assert_int_equal(json_array_size(last()), 3);
	assert_int_equal(calls, 2);
	feed("[]");
	assert_int_equal(last_error_code(), JSONRPC_INVALID_REQUEST);
	feed("[{\"jsonrpc\":\"2.0\",\"method\":\"echo\"}]");
	assert_int_equal(json_array_size(written), 3);
}

static void test_deferred(void **state)
{
	feed("{\"jsonrpc\":\"2.0\",\"id\":\"slow\",\"method\":\"later\"}");
	assert_int_equal(json_array_size(written), 0);
	assert_non_null(deferred_id);
	jsonrpc_notify(&srv, "notifications/progress", json_pack("{s:i}", "progress", 1));
	jsonrpc_respond(&srv, deferred_id, json_pack("{s:b}", "done", 1));
	json_decref(deferred_id);
	deferred_id = NULL;
	assert_int_equal(json_array_size(written), 2);
	assert_string_equal(
		json_string_value(json_object_get(json_array_get(written, 0), "method")),
		"notifications/progress");
	assert_string_equal(json_string_value(json_object_get(last(), "id")), "slow");
}

/* Writes text to a pipe and returns the read end (text must fit the pipe). */
static int pipe_with(const char *text)
{
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], text, strlen(text)), (ssize_t)strlen(text));
	close(fds[1]);
	return fds[0];
}

static void test_line_reader(void **state)
{
	struct line_reader r;
	char big[300];
	char text[600];
	int fd;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	snprintf(text, sizeof(text), "first\r\n%s\nsecond\n\nlast", big);
	fd = pipe_with(text);
	line_reader_init(&r, fd, 100);
	assert_int_equal(line_reader_next(&r), LINE_OK);
	assert_string_equal(buf_str(&r.line), "first\r");
	assert_int_equal(line_reader_next(&r), LINE_TOOLONG);
	assert_int_equal(line_reader_next(&r), LINE_OK);
	assert_string_equal(buf_str(&r.line), "second");
	assert_int_equal(line_reader_next(&r), LINE_OK);
	assert_string_equal(buf_str(&r.line), "");
	assert_int_equal(line_reader_next(&r), LINE_OK);
	assert_string_equal(buf_str(&r.line), "last");
	assert_int_equal(line_reader_next(&r), LINE_EOF);
	assert_int_equal(line_reader_next(&r), LINE_EOF);
	line_reader_release(&r);
	close(fd);

	/* An oversized final line without newline still reports TOOLONG. */
	fd = pipe_with(big);
	line_reader_init(&r, fd, 100);
	assert_int_equal(line_reader_next(&r), LINE_TOOLONG);
	assert_int_equal(line_reader_next(&r), LINE_EOF);
	line_reader_release(&r);
	close(fd);
}

static void test_oversized_reply(void **state)
{
	jsonrpc_reject_oversized(&srv, 100);
	assert_int_equal(last_error_code(), JSONRPC_INVALID_REQUEST);
	assert_true(json_is_null(json_object_get(last(), "id")));
	assert_non_null(strstr(
		json_string_value(json_object_get(json_object_get(last(), "error"), "message")),
		"too large"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ids_echoed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_standard_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notifications_and_responses_unanswered, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_batches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deferred, setup, teardown),
		cmocka_unit_test_setup_teardown(test_line_reader, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oversized_reply, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
