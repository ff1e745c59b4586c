/*
 * notion.h: the Notion API client (SPEC §6). The only code that includes
 * curl. One client holds one rate limiter (token bucket, shared by every
 * database synced through it), the retry policy and the circuit breaker;
 * its functions may be called from several threads at once, each request
 * on a connection of its own (kept alive and reused). Results are
 * streamed: notion_query() hands over one result page at a time, so memory
 * does not grow with the database.
 *
 * Errors: NV_EHTTP (err->http_status set; message has status, Notion code,
 * message and request_id), NV_ENET (transport, after retries), NV_EBREAKER
 * (failing fast while the breaker is open), NV_EINTERRUPTED (*opts.stop set).
 * The token never appears in any message.
 */
#ifndef NV_NOTION_H
#define NV_NOTION_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/*
 * The API versions nvault speaks (notion-api.md §1). Dates compare as
 * strings, so "v >= 2025-09-03" is strcmp(v, NOTION_VERSION_DATA_SOURCES) >= 0.
 * 2025-09-03: data sources. 2026-03-11: "archived" gone, only in_trash.
 * 2026-12-01: queries return only the title property unless
 * filter_properties names the others; a person's name may be null.
 */
#define NOTION_VERSION_LEGACY "2022-06-28"
#define NOTION_VERSION_DATA_SOURCES "2025-09-03"
#define NOTION_VERSION_IN_TRASH "2026-03-11"
#define NOTION_VERSION_TITLE_ONLY "2026-12-01"
#define NOTION_VERSION_DEFAULT NOTION_VERSION_TITLE_ONLY

/* 1 when v is one of the versions above. */
int notion_version_supported(const char *v);
/*
 * 1 when queries under version v must name every property they want with
 * filter_properties (2025-09-03 and later: the ids of the schema, so that
 * 2026-12-01's title-only default never drops a property).
 */
int notion_version_names_properties(const char *v);

struct notion_client_opts {
	const char *base_url;	     /* NULL → https://api.notion.com */
	const char *token;	     /* required; copied, wiped on free */
	const char *version;	     /* NULL → NOTION_VERSION_DEFAULT */
	double rate_per_sec;	     /* 0 → 3; < 0 → unlimited */
	double burst;		     /* bucket capacity; 0 → default */
	int max_retries;	     /* < 0 → 3 */
	long connect_timeout_ms;     /* 0 → 10000 */
	long request_timeout_ms;     /* 0 → 65000 */
	int64_t max_backoff_ms;	     /* 0 → default cap */
	int breaker_threshold;	     /* 0 → 5 consecutive failures */
	int64_t breaker_cooldown_ms; /* 0 → default */
	_Atomic int *stop;	     /* when it becomes nonzero, waits end early */
	int allow_insecure_http;     /* http:// to a host that is not loopback */
};

struct notion_stats {
	int64_t requests; /* HTTP requests sent */
	int64_t retries;
	int64_t rate_limited;	    /* 429/529 answers */
	int64_t rate_limit_wait_ms; /* time spent honouring Retry-After */
	int64_t throttle_wait_ms;   /* time spent waiting for the token bucket */
	int64_t cap_windows;	    /* query windows opened past Notion's result cap */
	/* successful answers that plain JSON parsing refused (notion_json.h) */
	int64_t repaired_text;	 /* invalid UTF-8, lone surrogates, control bytes → U+FFFD */
	int64_t numbers_as_text; /* numbers out of range kept as strings */
	int64_t unreadable_rows; /* rows delivered as unreadable stubs */
};

struct notion_client;

/* One HTTP attempt, as reported to the trace hook. Never holds the token. */
struct notion_trace {
	const char *method;	 /* "GET" or "POST" */
	const char *path;	 /* "/v1/data_sources/<id>/query": no host, no token */
	const char *body;	 /* the request's JSON (POST), or NULL */
	int status;		 /* HTTP status; 0 when no answer came */
	int attempt;		 /* 0 for the first */
	int64_t duration_ms;	 /* of this attempt */
	int64_t throttle_ms;	 /* waited for the rate limiter before it */
	int64_t retry_in_ms;	 /* the wait before the next attempt; -1 when none follows */
	const char *retry_after; /* the answer's Retry-After header, or NULL */
	size_t bytes;		 /* body bytes received */
	const char *error;	 /* why it failed (token redacted), or NULL */
};
typedef void (*notion_trace_fn)(void *ud, const struct notion_trace *t);
/*
 * Process-wide hook called after every attempt of every client (for -v);
 * NULL turns it off. Set it before clients are used; it is not locked.
 */
void notion_set_trace(notion_trace_fn fn, void *ud);

int notion_client_new(const struct notion_client_opts *opts, struct notion_client **out,
		      struct nv_err *err);
void notion_client_free(struct notion_client *c);
void notion_client_stats(const struct notion_client *c, struct notion_stats *out);
const char *notion_client_version(const struct notion_client *c);
/*
 * The server's time (its Date header, ms since the epoch) at the last
 * successful answer, or 0 when none carried one. The sync engine caps its
 * watermark there, so a row stamped in the future cannot move it ahead.
 */
int64_t notion_client_server_time(const struct notion_client *c);

/* GET /v1/databases/{id}; *out new reference. */
int notion_retrieve_database(struct notion_client *c, const char *database_id, json_t **out,
			     struct nv_err *err);
/* GET /v1/data_sources/{id} (2025-09-03 only); *out new reference. */
int notion_retrieve_data_source(struct notion_client *c, const char *data_source_id, json_t **out,
				struct nv_err *err);

enum notion_sort { NOTION_SORT_LAST_EDITED = 0, NOTION_SORT_CREATED };

struct notion_query {
	int data_source; /* 1: /v1/data_sources/{id}/query, 0: /v1/databases/{id}/query */
	const char *id;
	enum notion_sort sort;		      /* ascending by this timestamp */
	const char *on_or_after;	      /* filter on the sort timestamp (ISO), or NULL */
	const char *const *filter_properties; /* property ids as the API returns them */
	size_t n_filter_properties;
	int page_size; /* 0 → 100 */
	/*
	 * notion_query_streams(): rows are expected at or after this time (ms,
	 * say the data source's created_time; 0 unknown), so the range can be
	 * cut into windows before the first page arrives. Only a hint: rows
	 * before it are read all the same. expect_rows: how many rows the
	 * query is expected to return (say the tasks stored), 0 unknown; a
	 * query expected to be small is not split before its first page.
	 */
	int64_t expect_from_ms;
	int64_t expect_rows;
};

/*
 * Called once per result page with that page's rows (a borrowed array of
 * page objects). Return 0 to continue; any other value stops the query and
 * is returned by notion_query(). Pages without a row not already delivered
 * (an empty result, or a new window's first page holding only boundary
 * rows) are not passed on.
 */
typedef int (*notion_rows_cb)(void *ud, json_t *rows, struct nv_err *err);

/*
 * Runs a query to the end, page by page. When Notion's per-query result cap
 * is hit (request_status "incomplete"), continues with a new query window
 * starting at the last row's sort timestamp and drops rows already handed
 * over, so every row is delivered exactly once.
 */
int notion_query(struct notion_client *c, const struct notion_query *q, notion_rows_cb cb, void *ud,
		 struct nv_err *err);

/* One result page of notion_query_streams(). */
struct notion_page {
	json_t *rows;	  /* borrowed: the page's rows, none already delivered */
	json_t *prepared; /* what the prepare hook made of them (borrowed), or NULL */
	/*
	 * Every row of the query whose sort timestamp (ms) is below this has
	 * been delivered, in this page or before; INT64_MAX once the query has
	 * delivered everything. Pages of different windows come in any order,
	 * so a sync's watermark may go this far and no further.
	 */
	int64_t complete_below_ms;
};

struct notion_streams {
	/*
	 * Most cursor chains in flight at once (1..8). The query starts as one;
	 * while the client's latency says more requests in flight are needed to
	 * use the rate budget (latency × rate), its range of the sort timestamp
	 * is cut into windows [start, end) fetched side by side.
	 */
	int max_streams;
	/*
	 * Called on a fetch thread for each page before it is queued (may be
	 * NULL): completes rows through Notion (say truncated properties), may
	 * change them, and may set *prepared (new reference) for page(). It must
	 * not touch anything the caller's thread uses without a lock. Nonzero
	 * ends the query with that code.
	 */
	int (*prepare)(void *ud, json_t *rows, json_t **prepared, struct nv_err *err);
	/* Called on the caller's thread per page; nonzero ends the query. */
	int (*page)(void *ud, const struct notion_page *p, struct nv_err *err);
	void *ud;
};

/*
 * Runs a query to the end like notion_query(), but fetches ahead on up to
 * s->max_streams threads (the next page is in flight while page() runs,
 * and windows of the range run side by side when latency calls for it),
 * all through the client's one rate budget, retry policy and breaker. Rows
 * of one window come in order; windows interleave. Every row is delivered
 * exactly once, unless it moves (edited) while the query runs. Pages stay
 * bounded: at most max_streams + 1 wait for page(). A failed request ends
 * the query with its error after the pages before it were delivered.
 */
int notion_query_streams(struct notion_client *c, const struct notion_query *q,
			 const struct notion_streams *s, struct nv_err *err);

/*
 * POST /v1/search for everything of one kind shared with the integration:
 * data sources (2025-09-03 and later) or databases (2022-06-28), following
 * next_cursor to the end (paging checked as strictly as a query). cb gets
 * each answer's results array (borrowed). Used by `nvault init`.
 */
int notion_search(struct notion_client *c, notion_rows_cb cb, void *ud, struct nv_err *err);

/*
 * GET /v1/pages/{page_id}/properties/{property_id}, following its
 * pagination. *out (new reference) is {"results":[property_item...],
 * "property_item":{...last page's}} for paged types, or the single
 * property_item object for simple ones.
 */
int notion_retrieve_property(struct notion_client *c, const char *page_id, const char *property_id,
			     json_t **out, struct nv_err *err);

#endif
