/*
 * fake_http.c: the HTTP side of fake-notion on libmicrohttpd, one thread per
 * connection so that a stalled request never blocks the control endpoint.
 *
 * Every request under /v1/ is an API request and goes through the same
 * pipeline: request log entry → injected fault (if one matches) → bearer
 * token check (401) → rate limit (429 + Retry-After) → Notion-Version check
 * (400 missing_version) → route table. Paths under /_control/ are the test
 * control API (no auth, no log, no faults); see docs/internals/fake-notion.md.
 * The raw request URI (from MHD's URI log callback) is parsed here, so the
 * path and query are decoded exactly once, by us.
 */
#include "fake.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/id.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define MAX_BODY (1024 * 1024)
#define MAX_SEGS 8
#define MAX_FILTER_PROPS 256
#define MAX_LOG 200000

static struct MHD_Daemon *daemon_handle;
static uint64_t log_generation;

/* Per-request state, created by the URI log callback. */
struct request {
	char *uri; /* raw, as sent */
	struct buf body;
	int started;
	int too_big;
};

/* Parsed request handed to route handlers. */
struct call {
	const char *method;
	char *segs[MAX_SEGS]; /* decoded path segments */
	size_t n_segs;
	char *path;   /* raw path */
	char *query;  /* raw query ("" if none) */
	json_t *body; /* parsed body or NULL */
	enum api_version version;
	char *filter_props[MAX_FILTER_PROPS]; /* decoded filter_properties */
	size_t n_filter_props;
	int too_many_filter_props; /* more than MAX_FILTER_PROPS: 400, never a silent cut */
	const char *bearer; /* the request's bearer token (borrowed), NULL on control calls */
	struct MHD_Connection *conn;
};

enum reply_mode { SEND_NORMAL, SEND_DROP, SEND_TRUNCATE };

/* ---- locking and clock ---- */

void fake_lock(void)
{
	pthread_mutex_lock(&fake.lock);
}

void fake_unlock(void)
{
	pthread_mutex_unlock(&fake.lock);
}

int64_t fake_now_ms(void)
{
	return time_now_ms() + fake.clock_offset_ms;
}

/* ---- query string ---- */

/* Value of the nth (from 0) `name` parameter in a raw query (decoded; caller frees), or NULL. */
static char *query_param(const char *query, const char *name, size_t nth)
{
	size_t nlen = strlen(name), seen = 0;
	const char *p = query;

	while (p && *p) {
		const char *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);

		if (len > nlen && !strncmp(p, name, nlen) && p[nlen] == '=' && seen++ == nth) {
			char *raw = xstrndup(p + nlen + 1, len - nlen - 1),
			     *out = url_decode(raw, 1);
			free(raw);
			return out;
		}
		p = amp ? amp + 1 : NULL;
	}
	return NULL;
}

/* ---- request log ---- */

static size_t log_add(const struct call *c, const struct request *rq, const char *version)
{
	struct fake_log_entry *e;

	if (fake.n_log >= MAX_LOG)
		return (size_t)-1;
	fake.log = xgrow(fake.log, &fake.cap_log, fake.n_log + 1, sizeof(*fake.log));
	e = &fake.log[fake.n_log];
	e->method = xstrdup(c->method);
	e->path = xstrdup(c->path);
	e->query = xstrdup(c->query);
	e->body = rq->body.len ? xstrdup(rq->body.data) : NULL;
	e->version = xstrdup(version);
	e->time_ms = time_now_ms();
	e->status = 0;
	return fake.n_log++;
}

void log_free(void)
{
	for (size_t i = 0; i < fake.n_log; i++) {
		free(fake.log[i].method);
		free(fake.log[i].path);
		free(fake.log[i].query);
		free(fake.log[i].body);
		free(fake.log[i].version);
	}
	free(fake.log);
	fake.log = NULL;
	fake.n_log = fake.cap_log = 0;
	log_generation++;
}

static json_t *log_json(void)
{
	json_t *list = json_array();

	for (size_t i = 0; i < fake.n_log; i++) {
		const struct fake_log_entry *e = &fake.log[i];
		json_t *body = NULL;

		if (e->body)
			body = json_loads(e->body, JSON_DECODE_ANY, NULL);
		if (!body)
			body = e->body ? json_string(e->body) : json_null();
		json_array_append_new(
			list,
			json_pack("{s:s,s:s,s:s,s:o,s:I,s:i,s:o}", "method", e->method, "path",
				  e->path, "query", e->query, "body", body, "timeMs",
				  (json_int_t)e->time_ms, "status", e->status, "notionVersion",
				  e->version ? json_string(e->version) : json_null()));
	}
	return json_pack("{s:o}", "requests", list);
}

/* ---- faults ---- */

static void fault_release(struct fake_fault *f)
{
	free(f->retry_after);
	free(f->code);
	free(f->match);
	json_decref(f->set);
	json_decref(f->remove);
}

void faults_free(void)
{
	for (size_t i = 0; i < fake.n_faults; i++)
		fault_release(&fake.faults[i]);
	free(fake.faults);
	fake.faults = NULL;
	fake.n_faults = 0;
}

static const struct {
	const char *name;
	enum fault_kind kind;
} fault_kinds[] = {
	{"status", FAULT_STATUS}, {"html", FAULT_HTML},		{"stall", FAULT_STALL},
	{"drop", FAULT_DROP},	  {"truncate", FAULT_TRUNCATE}, {"patch", FAULT_PATCH},
};

/* Notion's error code for an HTTP status, for injected status faults. */
static const struct {
	int status;
	const char *code;
	const char *message;
	const char *reason; /* HTTP reason phrase, for HTML pages */
} status_codes[] = {
	{400, "invalid_request", "Invalid request.", "Bad Request"},
	{401, "unauthorized", "API token is invalid.", "Unauthorized"},
	{403, "restricted_resource", "Insufficient permissions for this endpoint.", "Forbidden"},
	{404, "object_not_found", "Could not find the requested object.", "Not Found"},
	{409, "conflict_error", "Conflict occurred while saving. Please try again.", "Conflict"},
	{429, "rate_limited", "You have been rate limited. Please try again in a few minutes.",
	 "Too Many Requests"},
	{500, "internal_server_error", "Unexpected error occurred.", "Internal Server Error"},
	{502, "bad_gateway", "Bad gateway.", "Bad Gateway"},
	{503, "service_unavailable", "Notion is unavailable, please try again later.",
	 "Service Unavailable"},
	{504, "gateway_timeout", "Notion timed out. Please try again later.", "Gateway Timeout"},
	{529, "service_overload", "Notion is overloaded, please try again later.",
	 "Site Overloaded"},
};

/* Takes the first fault matching path, or returns 0 when none applies. */
static int fault_take(const char *path, struct fake_fault *out)
{
	for (size_t i = 0; i < fake.n_faults; i++) {
		struct fake_fault *f = &fake.faults[i];

		if (f->match && strncmp(path, f->match, strlen(f->match)))
			continue;
		if (f->after > 0) {
			f->after--;
			return 0;
		}
		*out = *f;
		out->retry_after = xstrdup(f->retry_after);
		out->code = xstrdup(f->code);
		out->match = NULL;
		out->set = json_incref(f->set);
		out->remove = json_incref(f->remove);
		if (--f->count <= 0) {
			fault_release(f);
			memmove(f, f + 1, (fake.n_faults - i - 1) * sizeof(*f));
			fake.n_faults--;
		}
		return 1;
	}
	return 0;
}

static void fault_status_reply(const struct fake_fault *f, struct http_reply *reply)
{
	const char *code = f->code, *message = "Injected failure.", *reason = "Error";

	for (size_t i = 0; i < sizeof(status_codes) / sizeof(status_codes[0]); i++) {
		if (status_codes[i].status == f->status) {
			if (!code)
				code = status_codes[i].code;
			message = status_codes[i].message;
			reason = status_codes[i].reason;
		}
	}
	if (f->kind == FAULT_HTML) {
		struct buf b = BUF_INIT;

		buf_addf(&b,
			 "<html>\r\n<head><title>%d %s</title></head>\r\n<body>\r\n"
			 "<center><h1>%d %s</h1></center>\r\n<hr><center>cloudflare"
			 "</center>\r\n</body>\r\n</html>\r\n",
			 f->status, reason, f->status, reason);
		reply->status = f->status;
		free(reply->body);
		reply->body = buf_detach(&b);
		reply->content_type = "text/html";
	} else if (f->status == 429) {
		reply_json(reply, 429,
			   json_pack("{s:s,s:i,s:s,s:s,s:{s:s}}", "object", "error", "status", 429,
				     "code", code, "message", message, "additional_data",
				     "rate_limit_reason", "public_api_request_rate_limit"));
	} else {
		reply_error(reply, f->status, code ? code : "internal_server_error", "%s", message);
	}
	if (f->retry_after)
		snprintf(reply->retry_after, sizeof(reply->retry_after), "%s", f->retry_after);
}

/* ---- rate limit ---- */

/* 0 if a token was taken; else the whole seconds until one is available. */
static long rate_take(void)
{
	double capacity = fake.burst >= 1 ? fake.burst : (fake.rate > 1 ? fake.rate : 1);
	int64_t now = time_mono_ms();
	double wait;

	if (fake.rate <= 0)
		return 0;
	fake.tokens += (double)(now - fake.tokens_at_ms) / 1000.0 * fake.rate;
	if (fake.tokens > capacity)
		fake.tokens = capacity;
	fake.tokens_at_ms = now;
	if (fake.tokens >= 1) {
		fake.tokens -= 1;
		return 0;
	}
	wait = (1 - fake.tokens) / fake.rate;
	return wait <= 1 ? 1 : (long)(wait + 0.999);
}

static void rate_reset(void)
{
	fake.tokens = fake.burst >= 1 ? fake.burst : (fake.rate > 1 ? fake.rate : 1);
	fake.tokens_at_ms = time_mono_ms();
}

/* ---- API routes ---- */

static const char multi_source_msg[] =
	"Databases with multiple data sources are not supported in this API version.";

static void not_found(struct http_reply *reply, const char *what, const char *id)
{
	reply_error(reply, 404, "object_not_found",
		    "Could not find %s with ID: %s. Make sure the relevant pages and databases "
		    "are shared with your integration.",
		    what, id);
}

/* Notion answers 400 for an id that is not a UUID, 404 for an unknown one. */
static int bad_id(struct http_reply *reply, const char *param, const char *id)
{
	char norm[FAKE_ID_LEN + 1];

	if (id_normalize(id, norm) == 0)
		return 0;
	reply_error(reply, 400, "validation_error",
		    "path failed validation: path.%s should be a valid uuid, instead was `\"%s\"`.",
		    param, id);
	return 1;
}

static int check_filter_props(const struct call *c, const struct fake_source *src,
			      struct http_reply *reply)
{
	if (c->too_many_filter_props) {
		reply_error(reply, 400, "validation_error",
			    "filter_properties: more than %d property ids.", MAX_FILTER_PROPS);
		return -1;
	}
	for (size_t i = 0; i < c->n_filter_props; i++) {
		if (!data_prop_by_id(src, c->filter_props[i])) {
			reply_error(
				reply, 400, "validation_error",
				"filter_properties: no property with id `%s` in this data source "
				"(property ids, not names).",
				c->filter_props[i]);
			return -1;
		}
	}
	return 0;
}

/*
 * Whether the request's token may see database db: a database given a token
 * through the control API is shared with that token's integration only;
 * Notion answers 404 object_not_found for anything not shared.
 */
static int visible(const struct call *c, long db)
{
	const char *want = db >= 0 ? fake.dbs[db].token : NULL;

	return db >= 0 && (!want || (c->bearer && !strcmp(c->bearer, want)));
}

static void api_get_database(struct call *c, struct http_reply *reply)
{
	long db = data_find_db(c->segs[2]);

	if (bad_id(reply, "database_id", c->segs[2]))
		return;
	if (!visible(c, db))
		return not_found(reply, "database", c->segs[2]);
	if (c->version == V_LEGACY && fake.dbs[db].n_sources > 1)
		return reply_error(reply, 400, "validation_error", "%s", multi_source_msg);
	reply_json(reply, 200, render_database(&fake.dbs[db], c->version));
}

static void api_query_database(struct call *c, struct http_reply *reply)
{
	long db;

	if (c->version >= V_2025)
		return reply_error(reply, 400, "invalid_request_url", "Invalid request URL.");
	if (bad_id(reply, "database_id", c->segs[2]))
		return;
	db = data_find_db(c->segs[2]);
	if (!visible(c, db))
		return not_found(reply, "database", c->segs[2]);
	if (fake.dbs[db].n_sources > 1)
		return reply_error(reply, 400, "validation_error", "%s", multi_source_msg);
	if (check_filter_props(c, &fake.sources[fake.dbs[db].sources[0]], reply) < 0)
		return;
	query_run(fake.dbs[db].sources[0], c->body, c->version,
		  c->n_filter_props ? c->filter_props : NULL, c->n_filter_props, reply);
}

static void api_get_data_source(struct call *c, struct http_reply *reply)
{
	long s;

	if (c->version == V_LEGACY)
		return reply_error(reply, 400, "invalid_request_url", "Invalid request URL.");
	if (bad_id(reply, "data_source_id", c->segs[2]))
		return;
	s = data_find_source(c->segs[2]);
	if (s < 0 || !visible(c, (long)fake.sources[s].db))
		return not_found(reply, "data_source", c->segs[2]);
	reply_json(reply, 200, render_data_source(&fake.sources[s], c->version));
}

static void api_search(struct call *c, struct http_reply *reply)
{
	search_run(c->body, c->version, reply);
}

static void api_query_data_source(struct call *c, struct http_reply *reply)
{
	long s;

	if (c->version == V_LEGACY)
		return reply_error(reply, 400, "invalid_request_url", "Invalid request URL.");
	if (bad_id(reply, "data_source_id", c->segs[2]))
		return;
	s = data_find_source(c->segs[2]);
	if (s < 0 || !visible(c, (long)fake.sources[s].db))
		return not_found(reply, "data_source", c->segs[2]);
	if (check_filter_props(c, &fake.sources[s], reply) < 0)
		return;
	query_run((size_t)s, c->body, c->version, c->n_filter_props ? c->filter_props : NULL,
		  c->n_filter_props, reply);
}

static void api_get_page(struct call *c, struct http_reply *reply)
{
	size_t s, r;

	if (bad_id(reply, "page_id", c->segs[2]))
		return;
	if (data_find_row(c->segs[2], &s, &r) < 0 || !visible(c, (long)fake.sources[s].db))
		return not_found(reply, "page", c->segs[2]);
	if (check_filter_props(c, &fake.sources[s], reply) < 0)
		return;
	reply_text(reply, 200,
		   render_page_doc(&fake.sources[s], &fake.sources[s].rows[r], c->version,
				   c->n_filter_props ? c->filter_props : NULL, c->n_filter_props));
}

static void api_get_property(struct call *c, struct http_reply *reply)
{
	size_t s, r;
	const struct fake_prop *p;
	char id[FAKE_ID_LEN + 1];
	char *cursor, *size;

	if (bad_id(reply, "page_id", c->segs[2]))
		return;
	if (data_find_row(c->segs[2], &s, &r) < 0 || !visible(c, (long)fake.sources[s].db))
		return not_found(reply, "page", c->segs[2]);
	p = data_prop_by_id(&fake.sources[s], c->segs[4]);
	if (!p)
		return reply_error(reply, 404, "object_not_found",
				   "Could not find property with ID: %s.", c->segs[4]);
	data_id_text(fake.sources[s].rows[r].id, id);
	cursor = query_param(c->query, "start_cursor", 0);
	size = query_param(c->query, "page_size", 0);
	query_property(s, r, p, cursor, size, id, c->version, reply);
	free(cursor);
	free(size);
}

/* ---- control routes ---- */

static void control_error(struct http_reply *reply, const char *msg)
{
	reply_error(reply, 400, "validation_error", "%s", msg);
}

/* Checks every value of set against source s; 0 or -1 with a reply. */
static int check_set(size_t s, json_t *set, struct http_reply *reply)
{
	const char *key;
	json_t *v;
	struct buf err = BUF_INIT;

	if (!json_is_object(set)) {
		control_error(reply, "\"set\" must be an object of property name → value");
		return -1;
	}
	json_object_foreach(set, key, v)
	{
		const struct fake_prop *p = data_prop_by_name(&fake.sources[s], key);

		if (!p)
			buf_addf(&err, "no property named '%s' in data source %s", key,
				 fake.sources[s].id);
		else
			data_check_value(p, v, &err);
		if (err.len) {
			control_error(reply, err.data);
			buf_release(&err);
			return -1;
		}
	}
	return 0;
}

static void apply_set(struct fake_row *row, json_t *set)
{
	const char *key;
	json_t *v;

	if (!row->set)
		row->set = json_object();
	json_object_foreach(set, key, v) json_object_set(row->set, key, v);
}

static void control_create_page(struct call *c, struct http_reply *reply)
{
	const char *sid = json_string_value(json_object_get(c->body, "data_source_id"));
	json_t *set = json_object_get(c->body, "set");
	long s = sid ? data_find_source(sid) : -1;
	struct buf err = BUF_INIT;
	int64_t now = fake_now_ms();
	long r;

	if (!sid)
		sid = json_string_value(json_object_get(c->body, "database_id"));
	if (s < 0 && sid && data_find_db(sid) >= 0)
		s = (long)fake.dbs[data_find_db(sid)].sources[0];
	if (s < 0)
		return control_error(reply, "\"data_source_id\" must name an existing data source");
	if (set && check_set((size_t)s, set, reply) < 0)
		return;
	r = data_add_row((size_t)s, json_string_value(json_object_get(c->body, "id")), now, now,
			 &err);
	if (r < 0) {
		control_error(reply, err.data);
		buf_release(&err);
		return;
	}
	if (set)
		apply_set(&fake.sources[s].rows[r], set);
	reply_text(reply, 200,
		   render_page_doc(&fake.sources[s], &fake.sources[s].rows[r], V_2025, NULL, 0));
}

static void control_edit_page(struct call *c, struct http_reply *reply)
{
	size_t s, r;
	json_t *set = json_object_get(c->body, "set");

	if (data_find_row(c->segs[2], &s, &r) < 0)
		return not_found(reply, "page", c->segs[2]);
	if (check_set(s, set, reply) < 0)
		return;
	apply_set(&fake.sources[s].rows[r], set);
	fake.sources[s].rows[r].edited_ms = round_minute(fake_now_ms());
	data_touch(s);
	reply_text(reply, 200,
		   render_page_doc(&fake.sources[s], &fake.sources[s].rows[r], V_2025, NULL, 0));
}

static void control_page_action(struct call *c, struct http_reply *reply)
{
	size_t s, r;
	struct fake_row *row;
	const char *action = c->segs[3];

	if (data_find_row(c->segs[2], &s, &r) < 0)
		return not_found(reply, "page", c->segs[2]);
	row = &fake.sources[s].rows[r];
	data_touch(s);
	if (!strcmp(action, "trash")) {
		row->flags |= ROW_TRASHED;
		row->edited_ms = round_minute(fake_now_ms());
	} else if (!strcmp(action, "restore")) {
		row->flags &= (uint8_t)~ROW_TRASHED;
		row->edited_ms = round_minute(fake_now_ms());
	} else if (!strcmp(action, "purge")) {
		row->flags |= ROW_PURGED;
		json_decref(row->set);
		row->set = NULL;
		return reply_json(reply, 200,
				  json_pack("{s:s,s:b}", "id", c->segs[2], "purged", 1));
	} else {
		return control_error(reply, "page actions are trash, restore and purge");
	}
	reply_text(reply, 200, render_page_doc(&fake.sources[s], row, V_2025, NULL, 0));
}

static void control_list_pages(struct call *c, struct http_reply *reply)
{
	char *sid = query_param(c->query, "data_source_id", 0);
	long s = sid ? data_find_source(sid) : -1;
	json_t *list;

	free(sid);
	if (s < 0)
		return control_error(reply, "?data_source_id= must name an existing data source");
	list = json_array();
	for (size_t r = 0; r < fake.sources[s].n_rows; r++) {
		const struct fake_row *row = &fake.sources[s].rows[r];
		char id[FAKE_ID_LEN + 1], t[TIME_ISO_MAX];

		if (row->flags & ROW_PURGED)
			continue;
		data_id_text(row->id, id);
		json_array_append_new(list,
				      json_pack("{s:s,s:b,s:s}", "id", id, "in_trash",
						(row->flags & ROW_TRASHED) != 0, "last_edited_time",
						time_format_iso(row->edited_ms, t)));
	}
	reply_json(reply, 200, json_pack("{s:o}", "pages", list));
}

static void control_add_fault(struct call *c, struct http_reply *reply)
{
	json_t *b = c->body;
	const char *kind = json_string_value(json_object_get(b, "kind"));
	struct fake_fault f = {0};
	json_t *ra = json_object_get(b, "retry_after");
	size_t i;

	for (i = 0; kind && i < sizeof(fault_kinds) / sizeof(fault_kinds[0]); i++)
		if (!strcmp(kind, fault_kinds[i].name))
			break;
	if (!kind || i == sizeof(fault_kinds) / sizeof(fault_kinds[0]))
		return control_error(
			reply, "\"kind\" must be status, html, stall, drop, truncate or patch");
	f.kind = fault_kinds[i].kind;
	f.count = json_is_integer(json_object_get(b, "count"))
			  ? (int)json_integer_value(json_object_get(b, "count"))
			  : 1;
	f.after = (int)json_integer_value(json_object_get(b, "after"));
	f.status = json_is_integer(json_object_get(b, "status"))
			   ? (int)json_integer_value(json_object_get(b, "status"))
			   : (f.kind == FAULT_HTML ? 502 : 500);
	f.stall_ms = json_is_integer(json_object_get(b, "stall_ms"))
			     ? json_integer_value(json_object_get(b, "stall_ms"))
			     : 70000;
	if (f.count < 1 || f.after < 0 || f.status < 100 || f.status > 599 || f.stall_ms < 0)
		return control_error(reply, "fault needs count ≥ 1, after ≥ 0, status 100..599, "
					    "stall_ms ≥ 0");
	if (json_is_string(ra)) {
		f.retry_after = xstrdup(json_string_value(ra));
	} else if (json_is_integer(ra)) {
		char t[32];
		snprintf(t, sizeof(t), "%lld", (long long)json_integer_value(ra));
		f.retry_after = xstrdup(t);
	}
	f.code = xstrdup(json_string_value(json_object_get(b, "code")));
	f.match = xstrdup(json_string_value(json_object_get(b, "match")));
	if (f.kind == FAULT_PATCH) {
		f.set = json_incref(json_object_get(b, "set"));
		f.remove = json_incref(json_object_get(b, "remove"));
		if ((f.set && !json_is_object(f.set)) || (f.remove && !json_is_array(f.remove))) {
			fault_release(&f);
			return control_error(reply, "a patch fault needs \"set\" as an object and "
						    "\"remove\" as an array of names");
		}
	}
	fake.faults = xrealloc(fake.faults, (fake.n_faults + 1) * sizeof(*fake.faults));
	fake.faults[fake.n_faults++] = f;
	reply_json(reply, 200, json_pack("{s:i}", "faults", (int)fake.n_faults));
}

static void control_clear_faults(struct call *c, struct http_reply *reply)
{
	faults_free();
	/* stalls in progress end now: a test decides when a stalled request goes on */
	fake.stalls_released++;
	pthread_cond_broadcast(&fake.wake);
	reply_json(reply, 200, json_pack("{s:i}", "faults", 0));
}

static void control_settings(struct call *c, struct http_reply *reply)
{
	json_t *cap = json_object_get(c->body, "cap"), *rate = json_object_get(c->body, "rate");
	json_t *burst = json_object_get(c->body, "burst");
	json_t *search_page = json_object_get(c->body, "searchPageSize");

	if ((cap && (!json_is_integer(cap) || json_integer_value(cap) < 1)) ||
	    (rate && (!json_is_number(rate) || json_number_value(rate) < 0)) ||
	    (burst && (!json_is_number(burst) || json_number_value(burst) < 0)))
		return control_error(reply, "settings: cap ≥ 1, rate ≥ 0, burst ≥ 0");
	if (search_page && (!json_is_integer(search_page) || json_integer_value(search_page) < 1 ||
			    json_integer_value(search_page) > 100))
		return control_error(reply, "settings: searchPageSize 1..100");
	if (search_page)
		fake.search_page = (long)json_integer_value(search_page);
	if (cap)
		fake.cap = (long)json_integer_value(cap);
	if (rate)
		fake.rate = json_number_value(rate);
	if (burst)
		fake.burst = json_number_value(burst);
	rate_reset();
	reply_json(reply, 200,
		   json_pack("{s:I,s:f,s:f}", "cap", (json_int_t)fake.cap, "rate", fake.rate,
			     "burst", fake.burst));
}

static void control_clock(struct call *c, struct http_reply *reply)
{
	json_t *adv = json_object_get(c->body, "advance_ms");
	char now[TIME_ISO_MAX];

	if (adv && !json_is_integer(adv))
		return control_error(reply, "clock: advance_ms must be an integer");
	fake.clock_offset_ms += json_integer_value(adv);
	reply_json(reply, 200,
		   json_pack("{s:s,s:I}", "now", time_format_iso(fake_now_ms(), now), "nowMs",
			     (json_int_t)fake_now_ms()));
}

/*
 * POST /_control/databases/{id}/token {"token": T}: from now on only bearer
 * token T sees this database, its data sources and rows (others get 404, as
 * for a database not shared with their integration); null shares it with
 * every token again. The token is never logged or echoed.
 */
static void control_db_token(struct call *c, struct http_reply *reply)
{
	long db = data_find_db(c->segs[2]);
	json_t *tok = json_object_get(c->body, "token");

	if (db < 0)
		return not_found(reply, "database", c->segs[2]);
	if (!tok || (!json_is_null(tok) && (!json_is_string(tok) || !json_string_length(tok))))
		return control_error(reply, "\"token\" must be a non-empty string or null");
	free(fake.dbs[db].token);
	fake.dbs[db].token = json_is_string(tok) ? xstrdup(json_string_value(tok)) : NULL;
	reply_json(reply, 200,
		   json_pack("{s:s,s:b}", "database_id", fake.dbs[db].id, "restricted",
			     fake.dbs[db].token != NULL));
}

static void control_get_log(struct call *c, struct http_reply *reply)
{
	reply_json(reply, 200, log_json());
}

static void control_clear_log(struct call *c, struct http_reply *reply)
{
	log_free();
	reply_json(reply, 200, json_pack("{s:[]}", "requests"));
}

/* ---- route table ---- */

typedef void (*route_fn)(struct call *c, struct http_reply *reply);

struct route {
	const char *method;
	const char *pattern; /* '/'-separated, '*' matches one segment */
	route_fn fn;
};

static const struct route api_routes[] = {
	{"GET", "v1/databases/*", api_get_database},
	{"POST", "v1/databases/*/query", api_query_database},
	{"GET", "v1/data_sources/*", api_get_data_source},
	{"POST", "v1/data_sources/*/query", api_query_data_source},
	{"GET", "v1/pages/*", api_get_page},
	{"GET", "v1/pages/*/properties/*", api_get_property},
	{"POST", "v1/search", api_search},
};

static const struct route control_routes[] = {
	{"POST", "_control/pages", control_create_page},
	{"GET", "_control/pages", control_list_pages},
	{"PATCH", "_control/pages/*", control_edit_page},
	{"POST", "_control/pages/*/*", control_page_action},
	{"POST", "_control/faults", control_add_fault},
	{"DELETE", "_control/faults", control_clear_faults},
	{"POST", "_control/settings", control_settings},
	{"POST", "_control/clock", control_clock},
	{"POST", "_control/databases/*/token", control_db_token},
	{"GET", "_control/log", control_get_log},
	{"DELETE", "_control/log", control_clear_log},
};

static int route_match(const struct route *rt, const struct call *c)
{
	const char *p = rt->pattern;
	size_t i = 0;

	while (*p) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);

		if (i >= c->n_segs)
			return 0;
		if (!(len == 1 && *p == '*') &&
		    (strlen(c->segs[i]) != len || strncmp(p, c->segs[i], len)))
			return 0;
		i++;
		p = slash ? slash + 1 : p + len;
	}
	return i == c->n_segs;
}

/* Runs the route for the call's method and path; Notion's answer for anything else. */
static void dispatch(const struct route *table, size_t n, struct call *c, struct http_reply *reply)
{
	for (size_t i = 0; i < n; i++) {
		if (route_match(&table[i], c) && !strcmp(table[i].method, c->method)) {
			table[i].fn(c, reply);
			return;
		}
	}
	reply_error(reply, 400, "invalid_request_url", "Invalid request URL.");
}

/* ---- versions ---- */

static const struct {
	const char *name;
	enum api_version v;
} versions[] = {
	{"2021-08-16", V_LEGACY}, {"2022-02-22", V_LEGACY},  {"2022-06-28", V_LEGACY},
	{"2025-09-03", V_2025},	  {"2026-03-11", V_2026_03}, {"2026-12-01", V_2026_12},
};

static int version_parse(const char *s, enum api_version *out)
{
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		if (!strcmp(versions[i].name, s)) {
			*out = versions[i].v;
			return 0;
		}
	}
	return -1;
}

/* ---- request handling ---- */

static void call_release(struct call *c)
{
	for (size_t i = 0; i < c->n_segs; i++)
		free(c->segs[i]);
	for (size_t i = 0; i < c->n_filter_props; i++)
		free(c->filter_props[i]);
	free(c->path);
	free(c->query);
	json_decref(c->body);
}

/* Splits the raw URI into decoded segments, raw path and raw query. */
static int call_parse(struct call *c, const char *uri)
{
	const char *q = strchr(uri, '?'), *p;
	size_t plen = q ? (size_t)(q - uri) : strlen(uri);

	c->path = xstrndup(uri, plen);
	c->query = xstrdup(q ? q + 1 : "");
	p = c->path;
	while (*p == '/')
		p++;
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		char *raw;

		if (c->n_segs == MAX_SEGS)
			return -1;
		raw = xstrndup(p, len);
		c->segs[c->n_segs++] = url_decode(raw, 0);
		free(raw);
		p += len;
		while (*p == '/')
			p++;
	}
	for (size_t i = 0; i <= MAX_FILTER_PROPS; i++) {
		char *v = query_param(c->query, "filter_properties", i);
		if (!v)
			break;
		if (i == MAX_FILTER_PROPS) {
			free(v);
			c->too_many_filter_props = 1;
			break;
		}
		c->filter_props[c->n_filter_props++] = v;
	}
	return 0;
}

static int parse_body(struct call *c, const struct request *rq, struct http_reply *reply)
{
	json_error_t jerr;

	if (rq->too_big) {
		reply_error(reply, 413, "validation_error", "Request body too large.");
		return -1;
	}
	if (!rq->body.len)
		return 0;
	c->body = json_loadb(rq->body.data, rq->body.len, 0, &jerr);
	if (!c->body) {
		reply_error(reply, 400, "invalid_json", "Error parsing JSON body.");
		return -1;
	}
	return 0;
}

/*
 * Waits up to ms with the lock held (released while waiting); ends early on
 * shutdown and when DELETE /_control/faults releases stalls.
 */
static void stall(int64_t ms)
{
	struct timespec until;
	unsigned released = fake.stalls_released;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += (time_t)(ms / 1000);
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	while (!fake.stopping && released == fake.stalls_released &&
	       pthread_cond_timedwait(&fake.wake, &fake.lock, &until) != ETIMEDOUT)
		;
}

/* Handles an API request under the lock; returns how to send the reply. */
static enum reply_mode handle_api(struct call *c, const struct request *rq,
				  struct http_reply *reply, size_t *log_index,
				  struct fake_fault *patch)
{
	const char *auth = MHD_lookup_connection_value(c->conn, MHD_HEADER_KIND, "Authorization");
	const char *version =
		MHD_lookup_connection_value(c->conn, MHD_HEADER_KIND, "Notion-Version");
	struct fake_fault f;
	enum reply_mode mode = SEND_NORMAL;
	long wait;

	fake.api_requests++;
	*log_index = log_add(c, rq, version);
	if (fault_take(c->path, &f)) {
		switch (f.kind) {
		case FAULT_STATUS:
		case FAULT_HTML:
			fault_status_reply(&f, reply);
			free(f.retry_after);
			free(f.code);
			return SEND_NORMAL;
		case FAULT_DROP:
			free(f.retry_after);
			free(f.code);
			return SEND_DROP;
		case FAULT_STALL:
			stall(f.stall_ms);
			if (fake.stopping)
				mode = SEND_DROP;
			break;
		case FAULT_TRUNCATE:
			mode = SEND_TRUNCATE;
			break;
		case FAULT_PATCH:
			*patch = f;
			f.set = f.remove = NULL;
			f.retry_after = f.code = NULL;
			break;
		}
		free(f.retry_after);
		free(f.code);
		json_decref(f.set);
		json_decref(f.remove);
	}
	if (!auth || strncmp(auth, "Bearer ", 7) || !auth[7] ||
	    (fake.token && strcmp(auth + 7, fake.token))) {
		reply_error(reply, 401, "unauthorized", "API token is invalid.");
		return mode;
	}
	c->bearer = auth + 7;
	if ((wait = rate_take()) > 0) {
		reply_json(
			reply, 429,
			json_pack("{s:s,s:i,s:s,s:s,s:{s:s}}", "object", "error", "status", 429,
				  "code", "rate_limited", "message",
				  "You have been rate limited. Please try again in a few minutes.",
				  "additional_data", "rate_limit_reason",
				  "public_api_request_rate_limit"));
		snprintf(reply->retry_after, sizeof(reply->retry_after), "%ld", wait);
		return mode;
	}
	if (!version) {
		reply_error(reply, 400, "missing_version",
			    "Notion-Version header failed validation: Notion-Version header should "
			    "be defined, instead was `undefined`.");
		return mode;
	}
	if (version_parse(version, &c->version) < 0) {
		reply_error(reply, 400, "validation_error",
			    "Notion-Version header failed validation: `%s` is not a supported "
			    "version (fake-notion knows 2022-06-28, 2025-09-03, 2026-03-11 and "
			    "2026-12-01).",
			    version);
		return mode;
	}
	if (parse_body(c, rq, reply) < 0)
		return mode;
	dispatch(api_routes, sizeof(api_routes) / sizeof(api_routes[0]), c, reply);
	return mode;
}

/* A patch fault: rewrites the members of a successful JSON answer. */
static void apply_patch(const struct fake_fault *f, struct http_reply *reply)
{
	json_t *doc, *name;
	const char *key;
	json_t *value;
	size_t i;

	if (reply->status != 200 || !reply->body)
		return;
	doc = json_loads(reply->body, 0, NULL);
	if (!json_is_object(doc)) {
		json_decref(doc);
		return;
	}
	json_array_foreach(f->remove, i, name)
	{
		if (json_is_string(name))
			json_object_del(doc, json_string_value(name));
	}
	json_object_foreach(f->set, key, value)
	{
		json_object_set(doc, key, value);
	}
	free(reply->body);
	reply->body = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
}

/* ---- libmicrohttpd glue ---- */

struct truncated {
	char *body;
	size_t send; /* bytes actually sent before the connection is cut */
};

static ssize_t truncated_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct truncated *t = cls;
	size_t n;

	if (pos >= t->send)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	n = t->send - (size_t)pos < max ? t->send - (size_t)pos : max;
	memcpy(out, t->body + pos, n);
	return (ssize_t)n;
}

static void truncated_free(void *cls)
{
	struct truncated *t = cls;

	free(t->body);
	free(t);
}

static enum MHD_Result send_reply(struct MHD_Connection *conn, struct http_reply *reply,
				  enum reply_mode mode)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	size_t len = reply->body ? strlen(reply->body) : 0;

	if (mode == SEND_DROP)
		return MHD_NO;
	if (mode == SEND_TRUNCATE) {
		struct truncated *t = xmalloc(sizeof(*t));

		t->body = reply->body;
		t->send = len / 2;
		reply->body = NULL;
		resp = MHD_create_response_from_callback(len, 4096, truncated_read, t,
							 truncated_free);
	} else {
		resp = MHD_create_response_from_buffer(len, reply->body ? reply->body : (char *)"",
						       reply->body ? MHD_RESPMEM_MUST_FREE
								   : MHD_RESPMEM_PERSISTENT);
		reply->body = NULL;
	}
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type",
				reply->content_type ? reply->content_type : "application/json");
	if (reply->retry_after[0])
		MHD_add_response_header(resp, "Retry-After", reply->retry_after);
	ret = MHD_queue_response(conn, (unsigned)reply->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *http_version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct request *rq = *con_cls;
	struct call c;
	struct http_reply reply = {500, NULL, NULL, ""};
	enum reply_mode mode = SEND_NORMAL;
	size_t log_index = (size_t)-1;
	uint64_t gen;
	enum MHD_Result ret;

	if (!rq)
		return MHD_NO;
	if (!rq->started) {
		rq->started = 1;
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (rq->body.len + *upload_data_size > MAX_BODY)
			rq->too_big = 1;
		else
			buf_add(&rq->body, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}

	memset(&c, 0, sizeof(c));
	c.method = method;
	c.conn = conn;
	fake_lock();
	gen = log_generation;
	if (call_parse(&c, rq->uri) < 0) {
		reply_error(&reply, 400, "invalid_request_url", "Invalid request URL.");
	} else if (c.n_segs && !strcmp(c.segs[0], "_control")) {
		if (parse_body(&c, rq, &reply) == 0)
			dispatch(control_routes, sizeof(control_routes) / sizeof(control_routes[0]),
				 &c, &reply);
	} else {
		struct fake_fault patch = {0};

		mode = handle_api(&c, rq, &reply, &log_index, &patch);
		if (patch.kind == FAULT_PATCH)
			apply_patch(&patch, &reply);
		fault_release(&patch);
	}
	if (log_index != (size_t)-1 && gen == log_generation && log_index < fake.n_log)
		fake.log[log_index].status = mode == SEND_DROP ? 0 : reply.status;
	fake_unlock();
	/* a slow Notion: each answer waits, but not for the others (no lock held) */
	if (log_index != (size_t)-1 && fake.latency_ms > 0)
		time_sleep_ms(fake.latency_ms, NULL);
	call_release(&c);
	ret = send_reply(conn, &reply, mode);
	free(reply.body);
	return ret;
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct request *rq = xcalloc(1, sizeof(*rq));

	rq->uri = xstrdup(uri);
	buf_init(&rq->body, 0);
	return rq;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct request *rq = *con_cls;

	if (!rq)
		return;
	free(rq->uri);
	buf_release(&rq->body);
	free(rq);
	*con_cls = NULL;
}

int http_start(unsigned port, unsigned *bound)
{
	struct sockaddr_in addr;
	const union MHD_DaemonInfo *info;

	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rate_reset();
	daemon_handle = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL |
			MHD_USE_ERROR_LOG,
		(uint16_t)port, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, &addr,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL, MHD_OPTION_NOTIFY_COMPLETED,
		on_completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)600, MHD_OPTION_END);
	if (!daemon_handle)
		return -1;
	info = MHD_get_daemon_info(daemon_handle, MHD_DAEMON_INFO_BIND_PORT);
	*bound = info ? info->port : port;
	return 0;
}

void http_stop(void)
{
	fake_lock();
	fake.stopping = 1;
	pthread_cond_broadcast(&fake.wake);
	fake_unlock();
	if (daemon_handle)
		MHD_stop_daemon(daemon_handle);
	daemon_handle = NULL;
}
