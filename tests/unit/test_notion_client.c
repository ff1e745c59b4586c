/*
 * test_notion_client.c: the Notion client against the real fake Notion
 * server (tests/fake_notion) on 127.0.0.1, one fake process per test group.
 * Checks issue 3's "Done when": full pagination over 1,050 rows with both
 * API versions' routes; a results cap of 250 on 1,000 rows still yields
 * every row exactly once; a 429 with Retry-After: 2 delays the next request
 * by at least 2 s in the fake's own request log; every retryable fault
 * (409/500/502 HTML/503/504/529, dropped connection, truncated body, stall
 * past a short timeout) recovers and every non-retryable one (400, 401,
 * 403, 404) fails at once with status, code and request_id; the breaker
 * opens after 5 failures, fails fast and recovers after the cool-down;
 * truncated relations are completed through the property endpoint; the
 * token never shows up in a message; the stop flag ends waits early.
 * Backoffs and timeouts are shortened through the client options so the
 * whole file runs in a few seconds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>

#include "fake_proc.h"
#include "notion/notion.h"
#include "util/timeutil.h"

#define DB_ID "1a2b3c4d-5e6f-47a8-b9c0-d1e2f3a4b5c6"
#define DS_ID "2b3c4d5e-6f70-48a9-b0c1-d2e3f4a5b6c7"
#define TOKEN "secret_nvaultTestTokenDoNotLeak42"

/* ---- helpers ------------------------------------------------------------ */

/* Opens a client on the fake with fast test settings; overrides may be NULL. */
static struct notion_client *open_client(const struct fake_proc *f, const char *version,
					 const struct notion_client_opts *overrides)
{
	struct notion_client_opts o = {0};
	struct notion_client *c = NULL;
	struct nv_err err;

	if (overrides)
		o = *overrides;
	o.base_url = f->base_url;
	if (!o.token)
		o.token = TOKEN;
	o.version = version;
	if (!o.rate_per_sec)
		o.rate_per_sec = -1; /* unlimited unless a test asks */
	if (!o.max_backoff_ms)
		o.max_backoff_ms = 40;
	if (!o.request_timeout_ms)
		o.request_timeout_ms = 5000;
	if (!overrides)
		o.max_retries = -1;
	if (notion_client_new(&o, &c, &err) != NV_OK)
		fail_msg("notion_client_new: %s", err.msg);
	return c;
}

/* Collects delivered rows: counts, distinct ids, order of the sort key. */
struct rows_seen {
	json_t *ids; /* object used as a set: id → times delivered */
	int64_t rows;
	int64_t pages;
	int64_t max_ts;
	const char *ts_key; /* property to check ascending order on */
	int out_of_order;
	int stop_after_pages; /* 0 = never */
	json_t *first_row;    /* copy of the first row delivered */
	int64_t *times;	      /* if set (room for 2000), every row's sort time */
	size_t n_times;
};

static int collect_rows(void *ud, json_t *rows, struct nv_err *err)
{
	struct rows_seen *s = ud;
	json_t *row;
	size_t i;

	s->pages++;
	json_array_foreach(rows, i, row)
	{
		const char *id = json_string_value(json_object_get(row, "id"));
		const char *ts = json_string_value(json_object_get(row, s->ts_key));
		int64_t ms;

		assert_non_null(id);
		json_object_set_new(
			s->ids, id,
			json_integer(json_integer_value(json_object_get(s->ids, id)) + 1));
		if (!s->first_row)
			s->first_row = json_deep_copy(row);
		if (ts && time_parse_iso(ts, &ms) == 0) {
			if (s->times && s->n_times < 2000)
				s->times[s->n_times++] = ms;
			if (ms < s->max_ts)
				s->out_of_order = 1;
			else
				s->max_ts = ms;
		}
		s->rows++;
	}
	if (s->stop_after_pages && s->pages >= s->stop_after_pages)
		return nv_err_set(err, NV_EINVAL, "stopped by the callback");
	return 0;
}

static void rows_seen_init(struct rows_seen *s, const char *ts_key)
{
	memset(s, 0, sizeof(*s));
	s->ids = json_object();
	s->ts_key = ts_key;
	s->max_ts = INT64_MIN;
}

static void rows_seen_release(struct rows_seen *s)
{
	json_decref(s->ids);
	json_decref(s->first_row);
}

/* Number of ids delivered more than once. */
static int64_t duplicates(const struct rows_seen *s)
{
	const char *k;
	json_t *v;
	int64_t d = 0;

	json_object_foreach(s->ids, k, v) if (json_integer_value(v) > 1) d++;
	return d;
}

/* Counts log entries whose path starts with prefix. */
static size_t count_requests(json_t *log, const char *prefix)
{
	json_t *e;
	size_t i, n = 0;

	json_array_foreach(log, i, e)
	{
		const char *path = json_string_value(json_object_get(e, "path"));
		if (path && strncmp(path, prefix, strlen(prefix)) == 0)
			n++;
	}
	return n;
}

/*
 * A log entry's request body as a JSON object (new reference, or NULL):
 * the fake logs JSON bodies parsed, anything else as a string.
 */
static json_t *log_body(json_t *entry)
{
	json_t *b = json_object_get(entry, "body");

	if (json_is_string(b))
		return json_loads(json_string_value(b), 0, NULL);
	return json_is_object(b) ? json_incref(b) : NULL;
}

/* The on_or_after of a logged query's timestamp filter, or NULL. */
static const char *body_on_or_after(json_t *body)
{
	json_t *filter = json_object_get(body, "filter");
	const char *ts = json_string_value(json_object_get(filter, "timestamp"));

	return ts ? json_string_value(json_object_get(json_object_get(filter, ts), "on_or_after"))
		  : NULL;
}

static void inject_fault(const struct fake_proc *f, const char *json)
{
	int st = fake_proc_control(f, "POST", "/_control/faults", json, NULL);

	if (st < 200 || st >= 300)
		fail_msg("POST /_control/faults %s: HTTP %d", json, st);
}

static void clear_faults(const struct fake_proc *f)
{
	fake_proc_control(f, "DELETE", "/_control/faults", NULL, NULL);
}

static void set_fake(const struct fake_proc *f, const char *json)
{
	int st = fake_proc_control(f, "POST", "/_control/settings", json, NULL);

	if (st < 200 || st >= 300)
		fail_msg("POST /_control/settings %s: HTTP %d", json, st);
}

static void assert_no_token(const char *msg)
{
	if (strstr(msg, TOKEN) || strstr(msg, "nvaultTestToken"))
		fail_msg("the token leaked into a message: %s", msg);
}

/* Group setup: starts a fake with the arguments in *state (a NULL-ended array). */
static int start_fake(void **state, const char *const *args)
{
	struct fake_proc *f = calloc(1, sizeof(*f));

	if (!f || fake_proc_start(f, args) != 0) {
		if (f)
			fake_proc_stop(f, 1);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int stop_fake(void **state)
{
	struct fake_proc *f = *state;

	if (f)
		fake_proc_stop(f, 0);
	free(f);
	return 0;
}

/* ---- group 1: 1,050 rows, pagination, both versions ---------------------- */

static int setup_1050(void **state)
{
	static const char *const args[] = {"--rows", "1050", "--seed", "7", NULL};

	return start_fake(state, args);
}

static void test_pagination_data_source(void **state)
{
	struct fake_proc *f = *state;
	struct notion_client *c = open_client(f, NOTION_VERSION_DATA_SOURCES, NULL);
	struct notion_query q = {.data_source = 1, .id = DS_ID};
	struct rows_seen s;
	struct nv_err err;
	json_t *db = NULL, *log;
	struct notion_stats st;

	assert_int_equal(fake_proc_clear_log(f), 0);
	/* 2025-09-03: the database lists its data sources */
	assert_int_equal(notion_retrieve_database(c, DB_ID, &db, &err), NV_OK);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(json_object_get(db, "data_sources"), 0), "id")),
			    DS_ID);
	json_decref(db);

	rows_seen_init(&s, "last_edited_time");
	assert_int_equal(notion_query(c, &q, collect_rows, &s, &err), NV_OK);
	assert_int_equal(s.rows, 1050);
	assert_int_equal(json_object_size(s.ids), 1050);
	assert_int_equal(duplicates(&s), 0);
	assert_false(s.out_of_order);
	assert_int_equal(s.pages, 11); /* 10 full pages of 100 and one of 50 */

	log = fake_proc_log(f);
	assert_non_null(log);
	assert_int_equal(count_requests(log, "/v1/data_sources/" DS_ID "/query"), 11);
	/* every query sorts ascending and asks for 100 rows */
	{
		json_t *body = log_body(json_array_get(log, 1));
		assert_non_null(body);
		assert_int_equal(json_integer_value(json_object_get(body, "page_size")), 100);
		assert_string_equal(
			json_string_value(json_object_get(
				json_array_get(json_object_get(body, "sorts"), 0), "direction")),
			"ascending");
		json_decref(body);
	}
	json_decref(log);
	notion_client_stats(c, &st);
	assert_int_equal(st.requests, 12);
	assert_int_equal(st.retries, 0);
	rows_seen_release(&s);
	notion_client_free(c);
}

static void test_pagination_legacy_version(void **state)
{
	struct fake_proc *f = *state;
	struct notion_client *c = open_client(f, NOTION_VERSION_LEGACY, NULL);
	struct notion_query q = {.data_source = 0, .id = DB_ID, .sort = NOTION_SORT_CREATED};
	struct rows_seen s;
	struct nv_err err;
	json_t *db = NULL, *log, *row_parent;

	assert_string_equal(notion_client_version(c), NOTION_VERSION_LEGACY);
	assert_int_equal(fake_proc_clear_log(f), 0);
	/* 2022-06-28: the database carries the schema itself */
	assert_int_equal(notion_retrieve_database(c, DB_ID, &db, &err), NV_OK);
	assert_true(json_is_object(json_object_get(db, "properties")));
	json_decref(db);

	rows_seen_init(&s, "created_time");
	assert_int_equal(notion_query(c, &q, collect_rows, &s, &err), NV_OK);
	assert_int_equal(s.rows, 1050);
	assert_int_equal(duplicates(&s), 0);
	assert_false(s.out_of_order);
	row_parent = json_object_get(s.first_row, "parent");
	assert_string_equal(json_string_value(json_object_get(row_parent, "type")), "database_id");

	log = fake_proc_log(f);
	assert_int_equal(count_requests(log, "/v1/databases/" DB_ID "/query"), 11);
	assert_int_equal(count_requests(log, "/v1/data_sources/"), 0);
	json_decref(log);

	/* data sources do not exist in this version: refused before sending */
	assert_int_equal(notion_retrieve_data_source(c, DS_ID, &db, &err), NV_EINVAL);
	q.data_source = 1;
	q.id = DS_ID;
	assert_int_equal(notion_query(c, &q, collect_rows, &s, &err), NV_EINVAL);
	assert_non_null(strstr(err.msg, NOTION_VERSION_DATA_SOURCES));
	rows_seen_release(&s);
	notion_client_free(c);
}

static int cmp_int64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static void test_filter_and_properties(void **state)
{
	struct fake_proc *f = *state;
	struct notion_client *c = open_client(f, NOTION_VERSION_DATA_SOURCES, NULL);
	struct notion_query q = {.data_source = 1, .id = DS_ID, .page_size = 100};
	struct rows_seen all, later;
	struct nv_err err;
	json_t *ds = NULL, *log, *e, *p;
	const char *notes_id, *key, *fp[2];
	char since[TIME_ISO_MAX];
	int64_t since_ms, expected = 0;
	size_t i;

	assert_int_equal(notion_retrieve_data_source(c, DS_ID, &ds, &err), NV_OK);
	notes_id = json_string_value(
		json_object_get(json_object_get(json_object_get(ds, "properties"), "Notes"), "id"));
	assert_non_null(notes_id);

	/* the full set, to pick a midpoint and know how many rows follow it */
	rows_seen_init(&all, "last_edited_time");
	all.times = calloc(2000, sizeof(int64_t));
	assert_int_equal(notion_query(c, &q, collect_rows, &all, &err), NV_OK);
	assert_int_equal(all.n_times, 1050);
	qsort(all.times, all.n_times, sizeof(int64_t), cmp_int64);
	since_ms = all.times[525];
	for (i = 0; i < all.n_times; i++)
		expected += all.times[i] >= since_ms;
	time_format_iso(since_ms, since);

	/* on_or_after that midpoint, with filter_properties given as the API
	 * returns ids (already URL-encoded) */
	fp[0] = "title";
	fp[1] = notes_id;
	q.filter_properties = fp;
	q.n_filter_properties = 2;
	q.on_or_after = since;
	assert_int_equal(fake_proc_clear_log(f), 0);
	rows_seen_init(&later, "last_edited_time");
	later.max_ts = since_ms;
	assert_int_equal(notion_query(c, &q, collect_rows, &later, &err), NV_OK);
	assert_int_equal(later.rows, expected);
	assert_false(later.out_of_order); /* none before `since` either */
	assert_int_equal(duplicates(&later), 0);
	json_object_foreach(json_object_get(later.first_row, "properties"), key, p)
	{
		const char *pid = json_string_value(json_object_get(p, "id"));
		if (!pid || (strcmp(pid, "title") != 0 && strcmp(pid, notes_id) != 0))
			fail_msg("filter_properties let property %s (%s) through", key, pid);
	}
	log = fake_proc_log(f);
	assert_true(json_array_size(log) > 0);
	json_array_foreach(log, i, e)
	{
		const char *query = json_string_value(json_object_get(e, "query"));
		json_t *body = log_body(e);
		assert_non_null(query);
		assert_non_null(strstr(query, "filter_properties=title"));
		assert_string_equal(body_on_or_after(body), since);
		/* an id like %3AUPp must arrive as %3AUPp, never %253AUPp */
		assert_null(strstr(query, "%25"));
		json_decref(body);
	}
	json_decref(log);
	free(all.times);
	rows_seen_release(&all);
	rows_seen_release(&later);
	json_decref(ds);
	notion_client_free(c);
}

static void test_callback_stops_query(void **state)
{
	struct fake_proc *f = *state;
	struct notion_client *c = open_client(f, NOTION_VERSION_DATA_SOURCES, NULL);
	struct notion_query q = {.data_source = 1, .id = DS_ID, .page_size = 50};
	struct rows_seen s;
	struct nv_err err;
	json_t *log;

	rows_seen_init(&s, "last_edited_time");
	s.stop_after_pages = 2;
	assert_int_equal(fake_proc_clear_log(f), 0);
	assert_int_equal(notion_query(c, &q, collect_rows, &s, &err), NV_EINVAL);
	assert_string_equal(err.msg, "stopped by the callback");
	assert_int_equal(s.rows, 100);
	log = fake_proc_log(f);
	assert_int_equal(json_array_size(log), 2);
	json_decref(log);
	/* bad arguments are refused without a request */
	q.page_size = 101;
	assert_int_equal(notion_query(c, &q, collect_rows, &s, &err), NV_EINVAL);
	q.page_size = 0;
	q.id = "not-an-id";
	assert_int_equal(notion_query(c, &q, collect_rows, &s, &err), NV_EINVAL);
	assert_non_null(strstr(err.msg, "not-an-id"));
	rows_seen_release(&s);
	notion_client_free(c);
}

/* Keeps (a reference to) the first row whose Related property has_more. */
static int find_truncated(void *ud, json_t *rows, struct nv_err *e)
{
	json_t **out = ud, *row;
	size_t i;

	json_array_foreach(rows, i, row)
	{
		json_t *rel = json_object_get(json_object_get(row, "properties"), "Related");
		if (!*out && json_is_true(json_object_get(rel, "has_more"))) {
			assert_int_equal(json_array_size(json_object_get(rel, "relation")), 25);
			*out = json_incref(row);
		}
	}
	return 0;
}

static void test_truncated_relation_completed(void **state)
{
	struct fake_proc *f = *state;
	struct notion_client *c = open_client(f, NOTION_VERSION_DATA_SOURCES, NULL);
	struct notion_query q = {.data_source = 1, .id = DS_ID};
	struct nv_err err;
	json_t *truncated_row = NULL, *full = NULL, *results, *item, *seen;
	size_t i;
	const char *rel_id, *page_id;

	/* find a row whose Related relation came back cut at 25 */
	assert_int_equal(notion_query(c, &q, find_truncated, &truncated_row, &err), NV_OK);
	assert_non_null(truncated_row);
	page_id = json_string_value(json_object_get(truncated_row, "id"));
	rel_id = json_string_value(json_object_get(
		json_object_get(json_object_get(truncated_row, "properties"), "Related"), "id"));
	assert_non_null(rel_id);

	assert_int_equal(fake_proc_clear_log(f), 0);
	assert_int_equal(notion_retrieve_property(c, page_id, rel_id, &full, &err), NV_OK);
	results = json_object_get(full, "results");
	assert_true(json_array_size(results) > 25);
	seen = json_object();
	json_array_foreach(results, i, item)
	{
		const char *rid =
			json_string_value(json_object_get(json_object_get(item, "relation"), "id"));
		assert_non_null(rid);
		assert_null(json_object_get(seen, rid)); /* no related page twice */
		json_object_set_new(seen, rid, json_true());
	}
	/* the 25 in the page object are the first 25 of the full list */
	json_array_foreach(
		json_object_get(
			json_object_get(json_object_get(truncated_row, "properties"), "Related"),
			"relation"),
		i, item)
		assert_non_null(
			json_object_get(seen, json_string_value(json_object_get(item, "id"))));
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(full, "property_item"), "type")),
		"relation");
	json_decref(seen);
	json_decref(full);

	/* a simple property comes back as the single property item */
	assert_int_equal(notion_retrieve_property(c, page_id, "title", &full, &err), NV_OK);
	assert_true(json_is_array(json_object_get(full, "results")));
	json_decref(full);
	json_decref(truncated_row);
	notion_client_free(c);
}

/* ---- group 2: the results cap on 1,000 rows ----------------------------- */

static int setup_1000_cap(void **state)
{
	static const char *const args[] = {"--rows", "1000", "--seed", "3", "--cap", "250", NULL};

	return start_fake(state, args);
}

static int capped_page(void *ud, const struct notion_page *p, struct nv_err *err)
{
	return collect_rows(ud, p->rows, err);
}

static void run_capped(struct fake_proc *f, enum notion_sort sort, const char *ts_key)
{
	struct notion_client *c = open_client(f, NOTION_VERSION_DATA_SOURCES, NULL);
	struct notion_query q = {.data_source = 1, .id = DS_ID, .sort = sort};
	struct rows_seen s;
	struct nv_err err;
	json_t *log, *e;
	size_t i, windows = 0;

	assert_int_equal(fake_proc_clear_log(f), 0);
	rows_seen_init(&s, ts_key);
	assert_int_equal(notion_query(c, &q, collect_rows, &s, &err), NV_OK);
	assert_int_equal(s.rows, 1000);
	assert_int_equal(json_object_size(s.ids), 1000);
	assert_int_equal(duplicates(&s), 0);
	assert_false(s.out_of_order);
	/* the cap forced new windows, each starting on_or_after a timestamp */
	log = fake_proc_log(f);
	json_array_foreach(log, i, e)
	{
		json_t *body = log_body(e);
		if (body_on_or_after(body) && !json_object_get(body, "start_cursor"))
			windows++;
		json_decref(body);
	}
	assert_true(windows >= 3);
	json_decref(log);
	rows_seen_release(&s);

	/* the same through notion_query_streams() with one stream: one chain,
	 * fetched ahead, in order, windows at the cap as before */
	{
		struct notion_streams st = {.max_streams = 1, .page = capped_page, .ud = &s};

		rows_seen_init(&s, ts_key);
		assert_int_equal(notion_query_streams(c, &q, &st, &err), NV_OK);
		assert_int_equal(s.rows, 1000);
		assert_int_equal(json_object_size(s.ids), 1000);
		assert_int_equal(duplicates(&s), 0);
		assert_false(s.out_of_order);
		rows_seen_release(&s);
	}
	notion_client_free(c);
}

static void test_cap_windows_last_edited(void **state)
{
	run_capped(*state, NOTION_SORT_LAST_EDITED, "last_edited_time");
}

static void test_cap_windows_created(void **state)
{
	run_capped(*state, NOTION_SORT_CREATED, "created_time");
}

static void test_cap_too_many_rows_in_one_minute(void **state)
{
	struct fake_proc *f = *state;
	struct notion_client *c = open_client(f, NOTION_VERSION_DATA_SOURCES, NULL);
	struct notion_query q = {.data_source = 1, .id = DS_ID, .sort = NOTION_SORT_CREATED};
	struct rows_seen s;
	struct nv_err err;
	char since[TIME_ISO_MAX];
	int rc;

	/* five new rows created together share one created_time minute (or,
	 * across a minute boundary, at least three of them do) */
	for (int i = 0; i < 5; i++) {
		char body[200];
		snprintf(body, sizeof(body),
			 "{\"data_source_id\":\"%s\",\"set\":{\"Name\":\"same minute %d\"}}", DS_ID,
			 i);
		rc = fake_proc_control(f, "POST", "/_control/pages", body, NULL);
		assert_true(rc >= 200 && rc < 300);
	}
	time_format_iso(time_now_ms() - 120000, since);
	q.on_or_after = since;

	/* a cap of 2 cannot get past them: a clear error, no row twice */
	set_fake(f, "{\"cap\": 2}");
	rows_seen_init(&s, "created_time");
	rc = notion_query(c, &q, collect_rows, &s, &err);
	assert_int_equal(rc, NV_ERR);
	if (!strstr(err.msg, "sharing created_time") || !strstr(err.msg, "cannot be reached"))
		fail_msg("unexpected message: %s", err.msg);
	assert_int_equal(duplicates(&s), 0);
	rows_seen_release(&s);

	/* with a cap of 1 even a single boundary row blocks progress */
	set_fake(f, "{\"cap\": 1}");
	rows_seen_init(&s, "created_time");
	assert_int_equal(notion_query(c, &q, collect_rows, &s, &err), NV_ERR);
	assert_int_equal(s.rows, 1);
	rows_seen_release(&s);

	/* a cap above their number reads them all, each once */
	set_fake(f, "{\"cap\": 10}");
	q.page_size = 2;
	rows_seen_init(&s, "created_time");
	assert_int_equal(notion_query(c, &q, collect_rows, &s, &err), NV_OK);
	assert_true(s.rows >= 5);
	assert_int_equal(duplicates(&s), 0);
	rows_seen_release(&s);
	set_fake(f, "{\"cap\": 250}");
	notion_client_free(c);
}

/* ---- group 3: faults, retries, the breaker ------------------------------ */

static int setup_small(void **state)
{
	static const char *const args[] = {"--rows", "5", "--seed", "1", NULL};

	return start_fake(state, args);
}

static const struct {
	const char *fault;
	const char *what;
	size_t count;
} retryable_faults[] = {
	{"{\"kind\":\"status\",\"status\":409,\"count\":1}", "409", 1},
	{"{\"kind\":\"status\",\"status\":500,\"count\":1}", "500", 1},
	{"{\"kind\":\"html\",\"status\":502,\"count\":1}", "502 html", 1},
	{"{\"kind\":\"status\",\"status\":503,\"count\":1}", "503", 1},
	{"{\"kind\":\"status\",\"status\":504,\"count\":1}", "504", 1},
	{"{\"kind\":\"status\",\"status\":529,\"count\":1,\"retry_after\":\"0\"}", "529", 1},
	/* two drops: libcurl itself resends once when a reused connection dies */
	{"{\"kind\":\"drop\",\"count\":2}", "drop", 2},
	{"{\"kind\":\"truncate\",\"count\":1}", "truncate", 1},
	{"{\"kind\":\"stall\",\"stall_ms\":5000,\"count\":1}", "stall", 1},
};

static void test_retryable_faults_recover(void **state)
{
	struct fake_proc *f = *state;
	struct notion_client_opts o = {.max_retries = -1, .request_timeout_ms = 400};
	struct notion_client *c = open_client(f, NOTION_VERSION_DATA_SOURCES, &o);
	struct notion_query q = {.data_source = 1, .id = DS_ID};

	for (size_t i = 0; i < sizeof(retryable_faults) / sizeof(retryable_faults[0]); i++) {
		struct notion_stats before, after;
		struct rows_seen s;
		struct nv_err err;
		json_t *db = NULL, *log;

		clear_faults(f);
		assert_int_equal(fake_proc_clear_log(f), 0);
		inject_fault(f, retryable_faults[i].fault);
		notion_client_stats(c, &before);
		/* alternate GETs and query POSTs so both paths meet every fault */
		if (i % 2 == 0) {
			if (notion_retrieve_database(c, DB_ID, &db, &err) != NV_OK)
				fail_msg("%s did not recover: %s", retryable_faults[i].what,
					 err.msg);
			json_decref(db);
		} else {
			rows_seen_init(&s, "last_edited_time");
			if (notion_query(c, &q, collect_rows, &s, &err) != NV_OK)
				fail_msg("%s did not recover: %s", retryable_faults[i].what,
					 err.msg);
			assert_int_equal(s.rows, 5);
			rows_seen_release(&s);
		}
		notion_client_stats(c, &after);
		if (after.retries < before.retries + 1)
			fail_msg("%s: recovered without a retry", retryable_faults[i].what);
		log = fake_proc_log(f);
		/* the failed request(s) plus exactly one good one */
		assert_int_equal(json_array_size(log), retryable_faults[i].count + 1);
		assert_int_equal(json_integer_value(json_object_get(
					 json_array_get(log, json_array_size(log) - 1), "status")),
				 200);
		json_decref(log);
	}
	clear_faults(f);
	notion_client_free(c);
}

static const struct {
	int status;
	const char *code;
} fatal_statuses[] = {
	{400, "validation_error"},
	{401, "unauthorized"},
	{403, "restricted_resource"},
	{404, "object_not_found"},
};

static void test_non_retryable_fail_at_once(void **state)
{
	struct fake_proc *f = *state;
	struct notion_client *c = open_client(f, NOTION_VERSION_DATA_SOURCES, NULL);

	for (size_t i = 0; i < sizeof(fatal_statuses) / sizeof(fatal_statuses[0]); i++) {
		char fault[160], code[64];
		struct notion_stats st;
		struct nv_err err;
		json_t *db = NULL, *log;

		clear_faults(f);
		assert_int_equal(fake_proc_clear_log(f), 0);
		snprintf(fault, sizeof(fault),
			 "{\"kind\":\"status\",\"status\":%d,\"code\":\"%s\",\"count\":1}",
			 fatal_statuses[i].status, fatal_statuses[i].code);
		inject_fault(f, fault);
		assert_int_equal(notion_retrieve_database(c, DB_ID, &db, &err), NV_EHTTP);
		assert_null(db);
		assert_int_equal(err.http_status, fatal_statuses[i].status);
		snprintf(code, sizeof(code), "HTTP %d %s", fatal_statuses[i].status,
			 fatal_statuses[i].code);
		if (!strstr(err.msg, code) || !strstr(err.msg, "request_id"))
			fail_msg("message lacks status/code/request_id: %s", err.msg);
		assert_null(strstr(err.msg, "request_id none"));
		assert_no_token(err.msg);
		log = fake_proc_log(f);
		assert_int_equal(json_array_size(log), 1); /* never retried */
		json_decref(log);
		notion_client_stats(c, &st);
		assert_int_equal(st.retries, 0);
	}
	clear_faults(f);
	notion_client_free(c);
}

static void test_real_errors(void **state)
{
	struct fake_proc *f = *state;
	struct notion_client *c = open_client(f, NOTION_VERSION_DATA_SOURCES, NULL);
	struct nv_err err;
	json_t *out = NULL;

	/* an unknown id: Notion's 404 with its own request_id */
	assert_int_equal(
		notion_retrieve_database(c, "00000000-0000-4000-8000-000000000000", &out, &err),
		NV_EHTTP);
	assert_int_equal(err.http_status, 404);
	assert_non_null(strstr(err.msg, "object_not_found"));
	assert_non_null(strstr(err.msg, "request_id"));
	assert_no_token(err.msg);
	notion_client_free(c);
}

static void test_token_redacted_from_echoes(void **state)
{
	struct fake_proc *f = *state;
	struct notion_client *c = open_client(f, NOTION_VERSION_DATA_SOURCES, NULL);
	struct nv_err err;
	json_t *out = NULL;

	/* a server that echoes the token back (here as the error code) */
	clear_faults(f);
	inject_fault(f, "{\"kind\":\"status\",\"status\":400,\"code\":\"" TOKEN "\",\"count\":1}");
	assert_int_equal(notion_retrieve_database(c, DB_ID, &out, &err), NV_EHTTP);
	assert_no_token(err.msg);
	assert_non_null(strstr(err.msg, "HTTP 400 [redacted]"));
	clear_faults(f);
	notion_client_free(c);
}

static void test_wrong_token(void **state)
{
	static const char *const args[] = {"--rows", "1", "--token", "secret_right", NULL};
	struct fake_proc f;
	struct notion_client_opts o = {.max_retries = -1, .token = "secret_wrongWRONG"};
	struct notion_client *c;
	struct nv_err err;
	json_t *out = NULL;

	assert_int_equal(fake_proc_start(&f, args), 0);
	c = open_client(&f, NOTION_VERSION_DATA_SOURCES, &o);
	assert_int_equal(notion_retrieve_database(c, DB_ID, &out, &err), NV_EHTTP);
	assert_int_equal(err.http_status, 401);
	assert_non_null(strstr(err.msg, "unauthorized"));
	assert_null(strstr(err.msg, "wrongWRONG"));
	notion_client_free(c);
	o.token = "secret_right";
	c = open_client(&f, NOTION_VERSION_DATA_SOURCES, &o);
	assert_int_equal(notion_retrieve_database(c, DB_ID, &out, &err), NV_OK);
	json_decref(out);
	notion_client_free(c);
	fake_proc_stop(&f, 0);
}

static void test_retry_after_is_honoured(void **state)
{
	struct fake_proc *f = *state;
	struct notion_client *c = open_client(f, NOTION_VERSION_DATA_SOURCES, NULL);
	struct notion_stats st;
	struct nv_err err;
	json_t *out = NULL, *log;
	int64_t t0, t1;

	clear_faults(f);
	assert_int_equal(fake_proc_clear_log(f), 0);
	inject_fault(f, "{\"kind\":\"status\",\"status\":429,\"retry_after\":\"2\",\"count\":1}");
	assert_int_equal(notion_retrieve_database(c, DB_ID, &out, &err), NV_OK);
	json_decref(out);
	log = fake_proc_log(f);
	assert_int_equal(json_array_size(log), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(log, 0), "status")),
			 429);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(log, 1), "status")),
			 200);
	t0 = json_integer_value(json_object_get(json_array_get(log, 0), "timeMs"));
	t1 = json_integer_value(json_object_get(json_array_get(log, 1), "timeMs"));
	if (t1 - t0 < 2000)
		fail_msg("retried %lld ms after a 429 with Retry-After: 2", (long long)(t1 - t0));
	assert_true(t1 - t0 < 4000);
	json_decref(log);
	notion_client_stats(c, &st);
	assert_int_equal(st.rate_limited, 1);
	assert_int_equal(st.rate_limit_wait_ms, 2000);
	assert_int_equal(st.retries, 1);
	notion_client_free(c);
}

static void test_retries_exhausted(void **state)
{
	struct fake_proc *f = *state;
	struct notion_client_opts o = {.max_retries = 2, .breaker_threshold = 100};
	struct notion_client *c = open_client(f, NOTION_VERSION_DATA_SOURCES, &o);
	struct nv_err err;
	json_t *out = NULL, *log;

	clear_faults(f);
	assert_int_equal(fake_proc_clear_log(f), 0);
	inject_fault(f, "{\"kind\":\"html\",\"status\":502,\"count\":10}");
	assert_int_equal(notion_retrieve_database(c, DB_ID, &out, &err), NV_EHTTP);
	assert_int_equal(err.http_status, 502);
	/* a readable message about the HTML page, not a crash or garbage */
	if (!strstr(err.msg, "HTTP 502 with a non-JSON body") || !strstr(err.msg, "text/html") ||
	    !strstr(err.msg, "gave up after 2 retries"))
		fail_msg("unexpected message: %s", err.msg);
	assert_null(strchr(err.msg, '\n'));
	log = fake_proc_log(f);
	assert_int_equal(json_array_size(log), 3);
	json_decref(log);

	/* transport failures after retries are NV_ENET */
	clear_faults(f);
	inject_fault(f, "{\"kind\":\"drop\",\"count\":10}");
	assert_int_equal(notion_retrieve_database(c, DB_ID, &out, &err), NV_ENET);
	assert_int_equal(err.http_status, 0);
	clear_faults(f);
	notion_client_free(c);
}

static void test_breaker_opens_and_recovers(void **state)
{
	struct fake_proc *f = *state;
	struct notion_client_opts o = {.max_retries = 0, .breaker_cooldown_ms = 300};
	struct notion_client *c = open_client(f, NOTION_VERSION_DATA_SOURCES, &o);
	struct nv_err err;
	json_t *out = NULL, *log;

	clear_faults(f);
	assert_int_equal(fake_proc_clear_log(f), 0);
	inject_fault(f, "{\"kind\":\"status\",\"status\":500,\"count\":6}");
	for (int i = 0; i < 5; i++)
		assert_int_equal(notion_retrieve_database(c, DB_ID, &out, &err), NV_EHTTP);
	/* open: fails fast, nothing reaches the server */
	assert_int_equal(notion_retrieve_database(c, DB_ID, &out, &err), NV_EBREAKER);
	assert_non_null(strstr(err.msg, "circuit breaker"));
	assert_non_null(strstr(err.msg, "HTTP 500"));
	log = fake_proc_log(f);
	assert_int_equal(json_array_size(log), 5);
	json_decref(log);

	/* after the cool-down one probe goes; it fails (6th fault): open again */
	fake_proc_nap(350);
	assert_int_equal(notion_retrieve_database(c, DB_ID, &out, &err), NV_EHTTP);
	assert_int_equal(notion_retrieve_database(c, DB_ID, &out, &err), NV_EBREAKER);
	/* the next probe succeeds and closes it */
	fake_proc_nap(350);
	assert_int_equal(notion_retrieve_database(c, DB_ID, &out, &err), NV_OK);
	json_decref(out);
	assert_int_equal(notion_retrieve_database(c, DB_ID, &out, &err), NV_OK);
	json_decref(out);
	log = fake_proc_log(f);
	assert_int_equal(json_array_size(log), 8);
	json_decref(log);

	/* 4xx answers do not count as failures */
	inject_fault(f, "{\"kind\":\"status\",\"status\":404,\"count\":8}");
	for (int i = 0; i < 8; i++)
		assert_int_equal(notion_retrieve_database(c, DB_ID, &out, &err), NV_EHTTP);
	assert_int_equal(notion_retrieve_database(c, DB_ID, &out, &err), NV_OK);
	json_decref(out);
	clear_faults(f);
	notion_client_free(c);
}

static void *raise_stop(void *arg)
{
	fake_proc_nap(300);
	*(_Atomic int *)arg = 1;
	return NULL;
}

static void test_stop_ends_waits(void **state)
{
	struct fake_proc *f = *state;
	_Atomic int stop = 0;
	struct notion_client_opts o = {.max_retries = -1, .stop = &stop};
	struct notion_client *c = open_client(f, NOTION_VERSION_DATA_SOURCES, &o);
	struct nv_err err;
	json_t *out = NULL;
	pthread_t th;
	int64_t t0;

	/*
	 * a 100 s Retry-After wait (the most the client accepts is 120 s) is cut short by the stop
	 * flag: the bound is half the wait, so it tells "cut short" from "waited out" under any
	 * load
	 */
	clear_faults(f);
	inject_fault(f, "{\"kind\":\"status\",\"status\":429,\"retry_after\":\"100\",\"count\":1}");
	t0 = time_mono_ms();
	assert_int_equal(pthread_create(&th, NULL, raise_stop, (void *)&stop), 0);
	assert_int_equal(notion_retrieve_database(c, DB_ID, &out, &err), NV_EINTERRUPTED);
	pthread_join(th, NULL);
	assert_true(time_mono_ms() - t0 < 50000);

	/* and so is a stalled transfer */
	stop = 0;
	clear_faults(f);
	inject_fault(f, "{\"kind\":\"stall\",\"stall_ms\":600000,\"count\":1}");
	t0 = time_mono_ms();
	assert_int_equal(pthread_create(&th, NULL, raise_stop, (void *)&stop), 0);
	assert_int_equal(notion_retrieve_database(c, DB_ID, &out, &err), NV_EINTERRUPTED);
	pthread_join(th, NULL);
	assert_true(time_mono_ms() - t0 < 300000);
	/* once set, nothing is sent */
	assert_int_equal(notion_retrieve_database(c, DB_ID, &out, &err), NV_EINTERRUPTED);
	clear_faults(f);
	notion_client_free(c);
}

static void test_client_options(void **state)
{
	struct notion_client_opts o = {.token = TOKEN};
	struct notion_client *c = NULL;
	struct nv_err err;

	o.token = "";
	assert_int_equal(notion_client_new(&o, &c, &err), NV_ECONFIG);
	assert_null(c);
	o.token = "secret_with\nnewline";
	assert_int_equal(notion_client_new(&o, &c, &err), NV_ECONFIG);
	assert_null(strstr(err.msg, "secret_with"));
	o.token = TOKEN;
	o.version = "2021-05-13";
	assert_int_equal(notion_client_new(&o, &c, &err), NV_ECONFIG);
	o.version = NULL;
	o.base_url = "ftp://example.com";
	assert_int_equal(notion_client_new(&o, &c, &err), NV_ECONFIG);
	o.base_url = NULL;
	assert_int_equal(notion_client_new(&o, &c, &err), NV_OK);
	assert_string_equal(notion_client_version(c), NOTION_VERSION_DEFAULT);
	assert_string_equal(notion_client_version(c), "2026-12-01");
	notion_client_free(c);
	notion_client_free(NULL);
	/* every version nvault speaks, and which of them name their properties */
	assert_true(notion_version_supported("2026-12-01"));
	assert_true(notion_version_supported("2026-03-11"));
	assert_true(notion_version_supported("2025-09-03"));
	assert_true(notion_version_supported("2022-06-28"));
	assert_false(notion_version_supported("2026-12-02"));
	assert_false(notion_version_supported(NULL));
	assert_true(notion_version_names_properties("2026-12-01"));
	assert_true(notion_version_names_properties("2026-03-11"));
	assert_true(notion_version_names_properties("2025-09-03"));
	assert_false(notion_version_names_properties("2022-06-28"));
	assert_false(notion_version_names_properties("2099-01-01"));
}

/*
 * Issue 15 #5: a listing whose has_more is missing or not a boolean, or
 * whose cursor contradicts it, is an error, never the end of the listing
 * (an early end would turn the rows not yet listed into deletions).
 */
static const struct {
	const char *patch;
	const char *what;
	const char *message; /* part of the error */
} bad_listings[] = {
	{"{\"kind\":\"patch\",\"match\":\"/v1/data_sources\",\"remove\":[\"has_more\"]}",
	 "has_more missing", "has_more is missing"},
	{"{\"kind\":\"patch\",\"match\":\"/v1/data_sources\",\"set\":{\"has_more\":\"true\"}}",
	 "has_more as a string", "not a boolean"},
	{"{\"kind\":\"patch\",\"match\":\"/v1/data_sources\",\"set\":{\"has_more\":null}}",
	 "has_more null", "not a boolean"},
	{"{\"kind\":\"patch\",\"match\":\"/v1/data_sources\",\"set\":{\"has_more\":false}}",
	 "has_more false with a next_cursor", "contradicts itself"},
	{"{\"kind\":\"patch\",\"match\":\"/v1/data_sources\",\"set\":{\"next_cursor\":7}}",
	 "next_cursor a number", "next_cursor is neither"},
	{"{\"kind\":\"patch\",\"match\":\"/v1/data_sources\",\"after\":1,"
	 "\"set\":{\"has_more\":true,\"next_cursor\":null}}",
	 "has_more true without a cursor", "without a new next_cursor"},
};

static void test_bad_listing_is_an_error(void **state)
{
	struct fake_proc *f = *state;
	struct notion_client *c = open_client(f, NOTION_VERSION_DATA_SOURCES, NULL);
	struct notion_query q = {.data_source = 1, .id = DS_ID, .page_size = 2};

	for (size_t i = 0; i < sizeof(bad_listings) / sizeof(bad_listings[0]); i++) {
		struct rows_seen s;
		struct nv_err err;

		clear_faults(f);
		inject_fault(f, bad_listings[i].patch);
		rows_seen_init(&s, "last_edited_time");
		if (notion_query(c, &q, collect_rows, &s, &err) == NV_OK)
			fail_msg("%s: the listing ended without an error after %lld of 5 rows",
				 bad_listings[i].what, (long long)s.rows);
		if (!strstr(err.msg, bad_listings[i].message))
			fail_msg("%s: unexpected error: %s", bad_listings[i].what, err.msg);
		rows_seen_release(&s);
	}
	/* the same listing without a fault is complete */
	{
		struct rows_seen s;
		struct nv_err err;

		clear_faults(f);
		rows_seen_init(&s, "last_edited_time");
		assert_int_equal(notion_query(c, &q, collect_rows, &s, &err), NV_OK);
		assert_int_equal(s.rows, 5);
		rows_seen_release(&s);
	}
	notion_client_free(c);
}

/* ---- group 5: one query on several streams (notion_query_streams) ------- */

static int setup_1050_slow(void **state)
{
	/* 600 ms per answer: latency × rate asks for three chains in flight */
	static const char *const args[] = {"--rows",	   "1050", "--seed", "7",
					   "--latency-ms", "600",  NULL};

	return start_fake(state, args);
}

struct streams_seen {
	struct rows_seen rows;
	const int64_t *ref; /* every row's sort time, ascending (from notion_query) */
	size_t n_ref;
	int64_t *got; /* sort times delivered so far */
	size_t n_got;
	int64_t last_below;
	int below_wrong, below_backwards, prepared_missing;
	int pages;
	int stop_after_pages;
	pthread_t caller;
	_Atomic int prepared_elsewhere, prepare_calls;
};

static int streams_prepare(void *ud, json_t *rows, json_t **prepared, struct nv_err *err)
{
	struct streams_seen *s = ud;

	s->prepare_calls++;
	if (!pthread_equal(pthread_self(), s->caller))
		s->prepared_elsewhere = 1;
	*prepared = json_integer((json_int_t)json_array_size(rows));
	return 0;
}

static int streams_page(void *ud, const struct notion_page *p, struct nv_err *err)
{
	struct streams_seen *s = ud;
	json_t *row;
	size_t i, ref_below = 0, got_below = 0;

	s->pages++;
	if (json_integer_value(p->prepared) != (json_int_t)json_array_size(p->rows))
		s->prepared_missing = 1;
	json_array_foreach(p->rows, i, row)
	{
		int64_t ms;
		if (time_parse_iso(json_string_value(json_object_get(row, "last_edited_time")),
				   &ms) == 0 &&
		    s->n_got < 2000)
			s->got[s->n_got++] = ms;
	}
	/* every row below complete_below has been delivered, none is missing */
	for (i = 0; i < s->n_ref; i++)
		ref_below += s->ref[i] < p->complete_below_ms;
	for (i = 0; i < s->n_got; i++)
		got_below += s->got[i] < p->complete_below_ms;
	if (ref_below != got_below)
		s->below_wrong = 1;
	if (p->complete_below_ms < s->last_below)
		s->below_backwards = 1;
	s->last_below = p->complete_below_ms;
	s->rows.out_of_order = 0; /* windows interleave: order is not checked */
	collect_rows(&s->rows, p->rows, err);
	if (s->stop_after_pages && s->pages >= s->stop_after_pages)
		return nv_err_set(err, NV_EINVAL, "stopped by the callback");
	return 0;
}

static void test_streams_split_the_range(void **state)
{
	struct fake_proc *f = *state;
	struct notion_client *c = open_client(f, NOTION_VERSION_DATA_SOURCES, NULL);
	struct notion_query q = {.data_source = 1, .id = DS_ID};
	struct streams_seen s;
	struct notion_streams st = {
		.max_streams = 4, .prepare = streams_prepare, .page = streams_page, .ud = &s};
	struct rows_seen all;
	struct nv_err err;
	json_t *ds = NULL, *log, *e, *starts = json_object();
	int64_t created;
	size_t i;

	/* the reference: every row's time, by the plain query (which also
	 * teaches the client the latency) */
	rows_seen_init(&all, "last_edited_time");
	all.times = calloc(2000, sizeof(int64_t));
	assert_int_equal(notion_query(c, &q, collect_rows, &all, &err), NV_OK);
	assert_int_equal(all.n_times, 1050);
	qsort(all.times, all.n_times, sizeof(int64_t), cmp_int64);
	assert_int_equal(notion_retrieve_data_source(c, DS_ID, &ds, &err), NV_OK);
	assert_int_equal(
		time_parse_iso(json_string_value(json_object_get(ds, "created_time")), &created),
		0);
	q.expect_from_ms = created;

	memset(&s, 0, sizeof(s));
	rows_seen_init(&s.rows, "last_edited_time");
	s.ref = all.times;
	s.n_ref = all.n_times;
	s.got = calloc(2000, sizeof(int64_t));
	s.last_below = INT64_MIN;
	s.caller = pthread_self();
	assert_int_equal(fake_proc_clear_log(f), 0);
	assert_int_equal(notion_query_streams(c, &q, &st, &err), NV_OK);
	assert_int_equal(s.rows.rows, 1050);
	assert_int_equal(json_object_size(s.rows.ids), 1050);
	assert_int_equal(duplicates(&s.rows), 0);
	assert_false(s.below_wrong);
	assert_false(s.below_backwards);
	assert_false(s.prepared_missing);
	assert_true(s.prepared_elsewhere);
	assert_int_equal(s.prepare_calls, s.pages);

	/* the range was cut: queries started at more than one time */
	log = fake_proc_log(f);
	json_array_foreach(log, i, e)
	{
		json_t *body = log_body(e);
		json_t *filter = json_object_get(body, "filter");
		json_t *and = json_object_get(filter, "and");
		const char *from = body_on_or_after(and? json_array_get(and, 0) : body);

		if (and)
			from = json_string_value(json_object_get(
				json_object_get(json_array_get(and, 0), "last_edited_time"),
				"on_or_after"));
		if (!json_object_get(body, "start_cursor"))
			json_object_set_new(starts, from ? from : "-", json_true());
		json_decref(body);
	}
	assert_true(json_object_size(starts) >= 2);
	json_decref(starts);
	json_decref(log);

	/* a callback that says stop ends the query with its error */
	rows_seen_release(&s.rows);
	rows_seen_init(&s.rows, "last_edited_time");
	s.n_got = 0;
	s.pages = 0;
	s.last_below = INT64_MIN;
	s.stop_after_pages = 3;
	assert_int_equal(notion_query_streams(c, &q, &st, &err), NV_EINVAL);
	assert_string_equal(err.msg, "stopped by the callback");
	assert_int_equal(s.pages, 3);

	free(s.got);
	rows_seen_release(&s.rows);
	free(all.times);
	rows_seen_release(&all);
	json_decref(ds);
	notion_client_free(c);
}

/* A failed request ends the query with its error (and the fetch threads). */
static void test_streams_error_ends_query(void **state)
{
	struct fake_proc *f = *state;
	struct notion_client *c = open_client(f, NOTION_VERSION_DATA_SOURCES, NULL);
	struct notion_query q = {.data_source = 1, .id = DS_ID, .page_size = 50};
	struct streams_seen s;
	struct notion_streams st = {.max_streams = 4, .page = streams_page, .ud = &s};
	struct nv_err err;

	memset(&s, 0, sizeof(s));
	rows_seen_init(&s.rows, "last_edited_time");
	s.got = calloc(2000, sizeof(int64_t));
	s.last_below = INT64_MIN;
	inject_fault(f, "{\"kind\":\"status\",\"status\":404,\"after\":2,\"count\":1000}");
	assert_int_equal(notion_query_streams(c, &q, &st, &err), NV_EHTTP);
	assert_int_equal(err.http_status, 404);
	assert_true(s.rows.rows <= 100);
	clear_faults(f);
	free(s.got);
	rows_seen_release(&s.rows);
	notion_client_free(c);
}

int main(void)
{
	const struct CMUnitTest pagination[] = {
		cmocka_unit_test(test_pagination_data_source),
		cmocka_unit_test(test_pagination_legacy_version),
		cmocka_unit_test(test_filter_and_properties),
		cmocka_unit_test(test_callback_stops_query),
		cmocka_unit_test(test_truncated_relation_completed),
	};
	const struct CMUnitTest cap[] = {
		cmocka_unit_test(test_cap_windows_last_edited),
		cmocka_unit_test(test_cap_windows_created),
		cmocka_unit_test(test_cap_too_many_rows_in_one_minute),
	};
	const struct CMUnitTest faults[] = {
		cmocka_unit_test(test_retryable_faults_recover),
		cmocka_unit_test(test_non_retryable_fail_at_once),
		cmocka_unit_test(test_real_errors),
		cmocka_unit_test(test_retry_after_is_honoured),
		cmocka_unit_test(test_retries_exhausted),
		cmocka_unit_test(test_breaker_opens_and_recovers),
		cmocka_unit_test(test_stop_ends_waits),
		cmocka_unit_test(test_token_redacted_from_echoes),
		cmocka_unit_test(test_bad_listing_is_an_error),
	};
	const struct CMUnitTest streams[] = {
		cmocka_unit_test(test_streams_split_the_range),
		cmocka_unit_test(test_streams_error_ends_query),
	};
	const struct CMUnitTest standalone[] = {
		cmocka_unit_test(test_wrong_token),
		cmocka_unit_test(test_client_options),
	};
	int failed = 0;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	failed += cmocka_run_group_tests_name("pagination", pagination, setup_1050, stop_fake);
	failed += cmocka_run_group_tests_name("cap", cap, setup_1000_cap, stop_fake);
	failed += cmocka_run_group_tests_name("faults", faults, setup_small, stop_fake);
	failed += cmocka_run_group_tests_name("streams", streams, setup_1050_slow, stop_fake);
	failed += cmocka_run_group_tests_name("standalone", standalone, NULL, NULL);
	curl_global_cleanup();
	return failed ? 1 : 0;
}
