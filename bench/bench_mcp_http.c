/*
 * bench_mcp_http.c: `nvault mcp --http` under load: C clients, each on its
 * own MCP session and HTTP connection, send memory_task get and search
 * calls back to back while one more session runs a notion_sync of the
 * whole fake database (its progress streamed over SSE). Reports the
 * latency of every call made while the sync ran (p50, p99, max), the call
 * rate and the errors (an HTTP status other than 200, a JSON-RPC error or
 * an isError result).
 *
 *   bench_mcp_http URL [--clients N] [--seconds S] [--max-calls N] [--rows N]
 *
 * URL is the endpoint (http://127.0.0.1:PORT/mcp; loopback only); the
 * bearer token comes from NVAULT_MCP_TOKEN. Before the sync starts each
 * client adds nothing; one setup session adds 200 local tasks to read. The
 * clients stop when the sync has answered, after S seconds (default 300)
 * or after N calls each (default 1,000,000), whichever comes first.
 * --rows only labels the figures. Prints BENCH lines for scripts/bench.sh
 * and exits 1 when a call failed, the sync failed, or p99 missed 50 ms.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "util/buf.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define SETUP_TASKS 200

static const char *url;
static const char *token;
static char task_ids[SETUP_TASKS][64];
static int n_task_ids;
static atomic_int sync_started, sync_done, sync_ok;
static int64_t deadline_ms;
static long max_calls = 1000000;

struct session {
	CURL *curl;
	char id[80];
	struct buf body;
	long next_id;
};

struct client {
	pthread_t thread;
	int index;
	int64_t *lat_us; /* latencies of calls made while the sync ran */
	size_t n, cap;
	long calls, errors;
	char first_error[300];
};

static int64_t time_mono_us_bench(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	buf_add(ud, p, size * n);
	return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct session *s = ud;
	size_t len = size * n;

	if (len > 16 && !strncasecmp(p, "mcp-session-id:", 15)) {
		size_t i = 15, j = 0;
		while (i < len && p[i] == ' ')
			i++;
		while (i < len && p[i] != '\r' && p[i] != '\n' && j + 1 < sizeof(s->id))
			s->id[j++] = p[i++];
		s->id[j] = '\0';
	}
	return len;
}

/* POSTs one message; returns the HTTP status (0 on a transport error), body in s->body. */
static long post(struct session *s, const char *msg, int sse)
{
	struct curl_slist *h = NULL;
	struct buf line = BUF_INIT;
	long status = 0;

	buf_reset(&s->body);
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, sse ? "Accept: application/json, text/event-stream"
				     : "Accept: application/json");
	h = curl_slist_append(h, "MCP-Protocol-Version: 2025-11-25");
	if (s->id[0]) {
		buf_addf(&line, "Mcp-Session-Id: %s", s->id);
		h = curl_slist_append(h, line.data);
	}
	if (token) {
		buf_reset(&line);
		buf_addf(&line, "Authorization: Bearer %s", token);
		h = curl_slist_append(h, line.data);
	}
	curl_easy_setopt(s->curl, CURLOPT_URL, url);
	curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(s->curl, CURLOPT_POSTFIELDS, msg);
	curl_easy_setopt(s->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(s->curl, CURLOPT_WRITEDATA, &s->body);
	curl_easy_setopt(s->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(s->curl, CURLOPT_HEADERDATA, s);
	curl_easy_setopt(s->curl, CURLOPT_NOSIGNAL, 1L);
	if (curl_easy_perform(s->curl) == CURLE_OK)
		curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	buf_release(&line);
	return status;
}

static int session_open(struct session *s, const char *name)
{
	char msg[400];

	memset(s, 0, sizeof(*s));
	s->curl = curl_easy_init();
	s->next_id = 1;
	snprintf(msg, sizeof(msg),
		 "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{"
		 "\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{"
		 "\"name\":\"%s\",\"version\":\"1\"}}}",
		 name);
	if (post(s, msg, 0) != 200 || !s->id[0])
		return -1;
	return post(s, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}", 0) == 202
		       ? 0
		       : -1;
}

static void session_close(struct session *s)
{
	buf_release(&s->body);
	curl_easy_cleanup(s->curl);
}

/* One tools/call; returns the parsed result object (new reference) or NULL with why. */
static json_t *call(struct session *s, json_t *args, char *why, size_t cap)
{
	json_t *msg = json_pack("{s:s, s:I, s:s, s:{s:s, s:o}}", "jsonrpc", "2.0", "id",
				(json_int_t)s->next_id++, "method", "tools/call", "params", "name",
				"memory_task", "arguments", args);
	char *text = json_dumps(msg, JSON_COMPACT);
	long status = post(s, text, 0);
	json_t *reply = NULL, *result;

	free(text);
	json_decref(msg);
	if (status != 200) {
		snprintf(why, cap, "HTTP %ld: %.200s", status, s->body.data ? s->body.data : "");
		return NULL;
	}
	reply = json_loadb(s->body.data ? s->body.data : "", s->body.len, 0, NULL);
	result = json_object_get(reply, "result");
	if (!result || json_is_true(json_object_get(result, "isError"))) {
		snprintf(why, cap, "bad answer: %.200s", s->body.data ? s->body.data : "");
		json_decref(reply);
		return NULL;
	}
	json_incref(result);
	json_decref(reply);
	return result;
}

static void *client_main(void *arg)
{
	struct client *c = arg;
	struct session s;
	char name[32], why[300];
	unsigned seed = (unsigned)c->index * 7919u + 1;
	static const char *const words[] = {"alpha", "bravo", "charlie", "delta"};

	snprintf(name, sizeof(name), "bench-%d", c->index);
	if (session_open(&s, name)) {
		c->errors++;
		snprintf(c->first_error, sizeof(c->first_error), "initialize failed");
		session_close(&s);
		return NULL;
	}
	while (!atomic_load(&sync_started) && !atomic_load(&sync_done))
		time_sleep_ms(5, NULL);
	while (!atomic_load(&sync_done) && time_mono_ms() < deadline_ms && c->calls < max_calls) {
		json_t *args, *res;
		int64_t t0, t1;

		if (c->calls % 2 == 0)
			args = json_pack("{s:s, s:s}", "action", "get", "id",
					 task_ids[rand_r(&seed) % (unsigned)n_task_ids]);
		else
			args = json_pack("{s:s, s:s, s:i}", "action", "search", "query",
					 words[rand_r(&seed) % 4], "limit", 10);
		t0 = time_mono_us_bench();
		res = call(&s, args, why, sizeof(why));
		t1 = time_mono_us_bench();
		c->calls++;
		if (!res) {
			if (!c->errors++)
				snprintf(c->first_error, sizeof(c->first_error), "%s", why);
		}
		json_decref(res);
		if (!atomic_load(&sync_done)) {
			c->lat_us = xgrow(c->lat_us, &c->cap, c->n + 1, sizeof(*c->lat_us));
			c->lat_us[c->n++] = t1 - t0;
		}
	}
	session_close(&s);
	return NULL;
}

/* The sync session's SSE stream, parsed as it arrives. */
struct sse {
	struct buf pending;
	long progress_events;
	char result_text[400];
};

static void on_event(struct sse *e, const char *data, size_t len)
{
	json_t *m = json_loadb(data, len, 0, NULL);
	json_t *result = json_object_get(m, "result");

	if (json_object_get(m, "method")) {
		e->progress_events++;
		atomic_store(&sync_started, 1);
	} else if (m) {
		json_t *sc = json_object_get(result, "structuredContent");
		json_t *text = json_object_get(
			json_array_get(json_object_get(result, "content"), 0), "text");
		atomic_store(&sync_ok, result &&
					       !json_is_true(json_object_get(result, "isError")) &&
					       json_is_true(json_object_get(sc, "success")));
		snprintf(e->result_text, sizeof(e->result_text), "%.300s",
			 json_is_string(text) ? json_string_value(text) : data);
		atomic_store(&sync_done, 1);
	}
	json_decref(m);
}

static size_t on_sse(char *p, size_t size, size_t n, void *ud)
{
	struct sse *e = ud;
	char *start, *end;

	buf_add(&e->pending, p, size * n);
	while (e->pending.len && (end = strstr(e->pending.data, "\n\n"))) {
		size_t used = (size_t)(end - e->pending.data) + 2;
		*end = '\0';
		start = strstr(e->pending.data, "data: ");
		if (start)
			on_event(e, start + 6, strlen(start + 6));
		memmove(e->pending.data, e->pending.data + used, e->pending.len - used);
		e->pending.len -= used;
		e->pending.data[e->pending.len] = '\0';
	}
	return size * n;
}

static void *sync_main(void *arg)
{
	struct sse *e = arg;
	struct session s;
	struct curl_slist *h = NULL;
	struct buf line = BUF_INIT;

	if (session_open(&s, "bench-sync")) {
		snprintf(e->result_text, sizeof(e->result_text), "initialize failed");
		atomic_store(&sync_done, 1);
		session_close(&s);
		return NULL;
	}
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "Accept: application/json, text/event-stream");
	buf_addf(&line, "Mcp-Session-Id: %s", s.id);
	h = curl_slist_append(h, line.data);
	if (token) {
		buf_reset(&line);
		buf_addf(&line, "Authorization: Bearer %s", token);
		h = curl_slist_append(h, line.data);
	}
	curl_easy_setopt(s.curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(s.curl, CURLOPT_POSTFIELDS,
			 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{"
			 "\"name\":\"notion_sync\",\"arguments\":{\"action\":\"sync\"},"
			 "\"_meta\":{\"progressToken\":\"bench\"}}}");
	curl_easy_setopt(s.curl, CURLOPT_WRITEFUNCTION, on_sse);
	curl_easy_setopt(s.curl, CURLOPT_WRITEDATA, e);
	if (curl_easy_perform(s.curl) == CURLE_OK && !atomic_load(&sync_done) && e->pending.len)
		on_event(e, e->pending.data, e->pending.len); /* answered at once, as JSON */
	if (!e->result_text[0])
		snprintf(e->result_text, sizeof(e->result_text), "the sync stream failed");
	atomic_store(&sync_done, 1);
	curl_slist_free_all(h);
	buf_release(&line);
	session_close(&s);
	return NULL;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int clients = 20, seconds = 300;
	long rows = 0;
	struct client *cs;
	struct session setup;
	struct sse e;
	pthread_t sync_thread;
	int64_t *all = NULL, t_start, t_end;
	size_t n_all = 0, cap = 0;
	long calls = 0, errors = 0;
	char why[300];
	double p50, p99, max, rate;
	static const char *const words[] = {"alpha", "bravo", "charlie", "delta"};

	if (argc < 2 || strncmp(argv[1], "http://127.0.0.1:", 17)) {
		fprintf(stderr, "usage: bench_mcp_http http://127.0.0.1:PORT/mcp [--clients N] "
				"[--seconds S] [--max-calls N] [--rows N]\n");
		return 2;
	}
	url = argv[1];
	for (int i = 2; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--clients"))
			clients = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--seconds"))
			seconds = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--max-calls"))
			max_calls = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--rows"))
			rows = atol(argv[i + 1]);
	}
	if (clients < 1 || clients > 200 || seconds < 1) {
		fprintf(stderr, "bench_mcp_http: --clients 1..200, --seconds >= 1\n");
		return 2;
	}
	token = getenv("NVAULT_MCP_TOKEN");
	curl_global_init(CURL_GLOBAL_DEFAULT);

	if (session_open(&setup, "bench-setup")) {
		fprintf(stderr, "bench_mcp_http: cannot initialize a session at %s\n", url);
		return 1;
	}
	for (int i = 0; i < SETUP_TASKS; i++) {
		char title[160];
		json_t *res, *args;
		snprintf(title, sizeof(title), "bench task %d %s %s", i, words[i % 4],
			 words[(i / 4) % 4]);
		args = json_pack("{s:s, s:s, s:s, s:s}", "action", "add", "title", title,
				 "description", "a local task the HTTP benchmark reads", "agentId",
				 "bench");
		if (!(res = call(&setup, args, why, sizeof(why)))) {
			fprintf(stderr, "bench_mcp_http: add failed: %s\n", why);
			return 1;
		}
		snprintf(task_ids[n_task_ids++], sizeof(task_ids[0]), "%s",
			 json_string_value(json_object_get(
				 json_object_get(json_object_get(res, "structuredContent"), "task"),
				 "id")));
		json_decref(res);
	}
	session_close(&setup);

	cs = xcalloc((size_t)clients, sizeof(*cs));
	deadline_ms = time_mono_ms() + (int64_t)seconds * 1000;
	for (int i = 0; i < clients; i++) {
		cs[i].index = i;
		pthread_create(&cs[i].thread, NULL, client_main, &cs[i]);
	}
	memset(&e, 0, sizeof(e));
	t_start = time_mono_ms();
	pthread_create(&sync_thread, NULL, sync_main, &e);
	for (int i = 0; i < clients; i++) {
		pthread_join(cs[i].thread, NULL);
		calls += cs[i].calls;
		errors += cs[i].errors;
		if (cs[i].errors)
			fprintf(stderr, "client %d: %ld errors, first: %s\n", i, cs[i].errors,
				cs[i].first_error);
		for (size_t k = 0; k < cs[i].n; k++) {
			all = xgrow(all, &cap, n_all + 1, sizeof(*all));
			all[n_all++] = cs[i].lat_us[k];
		}
		free(cs[i].lat_us);
	}
	t_end = time_mono_ms();
	if (!atomic_load(&sync_done))
		fprintf(stderr, "bench_mcp_http: the clients stopped at the time limit; the sync "
				"is still running\n");
	pthread_join(sync_thread, NULL);
	qsort(all, n_all, sizeof(*all), cmp_i64);
	p50 = n_all ? (double)all[n_all / 2] / 1000.0 : 0;
	p99 = n_all ? (double)all[(n_all * 99) / 100] / 1000.0 : 0;
	max = n_all ? (double)all[n_all - 1] / 1000.0 : 0;
	rate = t_end > t_start ? (double)n_all * 1000.0 / (double)(t_end - t_start) : 0;

	printf("%d HTTP clients, get/search while a %ld-row sync ran (%.1f s, %ld progress "
	       "events): %zu calls during the sync, %ld in all, %ld errors; p50 %.2f ms, p99 "
	       "%.2f ms, max %.2f ms, %.0f calls/s\n",
	       clients, rows, (double)(t_end - t_start) / 1000.0, e.progress_events, n_all, calls,
	       errors, p50, p99, max, rate);
	printf("sync: %s\n", e.result_text[0] ? e.result_text : "(no answer)");
	printf("BENCH http: %d clients get/search during sync: p50|%.2f|ms|%ld|\n", clients, p50,
	       rows);
	printf("BENCH http: %d clients get/search during sync: p99|%.2f|ms|%ld|< 50\n", clients,
	       p99, rows);
	printf("BENCH http: %d clients get/search during sync: max|%.2f|ms|%ld|\n", clients, max,
	       rows);
	printf("BENCH http: %d clients get/search during sync: throughput|%.0f|calls/s|%ld|\n",
	       clients, rate, rows);
	printf("BENCH http: %d clients get/search during sync: errors|%ld|calls|%ld|0\n", clients,
	       errors, rows);
	printf("BENCH http: sync under load: wall time|%.1f|s|%ld|\n",
	       (double)(t_end - t_start) / 1000.0, rows);
	free(all);
	free(cs);
	buf_release(&e.pending);
	curl_global_cleanup();
	return errors || !atomic_load(&sync_ok) || !n_all || p99 >= 50.0 ? 1 : 0;
}
