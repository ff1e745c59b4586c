/*
 * fake.h: internals of fake-notion, the loopback Notion API server that the
 * integration tests, benchmarks and the demo run nvault against (SPEC §9,
 * docs/internals/fake-notion.md).
 *
 * The data model is deliberately compact so that 100,000 rows cost a few
 * megabytes: a row is an id, two minute-rounded timestamps, flags and an
 * optional jansson object of "simple" values set through the control API or
 * a fixture. Generated rows keep no values at all: every property value is
 * derived again from (seed, row index, property) whenever a page is rendered,
 * so generation is O(rows) with tiny constants and rendering is on demand.
 *
 * Threading: libmicrohttpd runs one thread per connection. Every access to
 * struct fake_state goes through fake_lock()/fake_unlock() (one mutex), so
 * handlers may read and mutate freely while holding it. Stalls sleep with
 * the lock released.
 */
#ifndef FAKE_H
#define FAKE_H

#include <jansson.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define FAKE_ID_LEN 36
#define FAKE_MENTION_LIMIT 25 /* references per property in page objects */
#define FAKE_DEFAULT_CAP 10000

/* ---- deterministic random numbers (splitmix64) ---- */

struct rng {
	uint64_t s;
};

uint64_t mix64(uint64_t x);
void rng_seed(struct rng *r, uint64_t a, uint64_t b, uint64_t c);
uint64_t rng_next(struct rng *r);
/* Uniform in [0, n); n > 0. */
uint32_t rng_below(struct rng *r, uint32_t n);
/* 1 with probability percent/100. */
int rng_chance(struct rng *r, unsigned percent);

/* ---- schema ---- */

enum prop_type {
	PT_TITLE,
	PT_RICH_TEXT,
	PT_NUMBER,
	PT_SELECT,
	PT_MULTI_SELECT,
	PT_STATUS,
	PT_DATE,
	PT_CHECKBOX,
	PT_PEOPLE,
	PT_RELATION,
	PT_FILES,
	PT_URL,
	PT_EMAIL,
	PT_PHONE,
	PT_FORMULA,
	PT_UNIQUE_ID,
	PT_CREATED_TIME,
	PT_LAST_EDITED_TIME,
	PT_CREATED_BY,
	PT_LAST_EDITED_BY,
	PT__COUNT
};

/* Name of a type as Notion spells it ("multi_select"); NULL if out of range. */
const char *prop_type_name(enum prop_type t);
/* Type for a Notion type name; returns 0 and sets *out, or -1 if unknown. */
int prop_type_parse(const char *name, enum prop_type *out);

struct fake_prop {
	char *name;
	char *id;     /* as the API shows it: URL-encoded ("%3AUPp") */
	char *id_raw; /* decoded (":UPp"), as it arrives in a decoded URL */
	enum prop_type type;
	char **options; /* select, multi_select, status: option names */
	size_t n_options;
	char *prefix; /* unique_id prefix, may be NULL */
};

/* ---- rows, data sources, databases ---- */

enum {
	ROW_GENERATED = 1, /* values derive from (seed, gen_index) */
	ROW_TRASHED = 2,
	ROW_PURGED = 4, /* gone for good: every lookup says 404 */
};

struct fake_row {
	uint8_t id[16];
	int64_t created_ms; /* minute-rounded, like everything Notion shows */
	int64_t edited_ms;
	json_t *set;	    /* owned simple values overriding generation, or NULL */
	uint32_t gen_index; /* index for generated values, and unique_id number - 1 */
	uint16_t creator;   /* user pool indexes */
	uint16_t editor;
	uint8_t flags;
};

struct fake_source {
	char id[FAKE_ID_LEN + 1];
	char *name;
	size_t db; /* index of its database */
	struct fake_prop *props;
	size_t n_props;
	uint64_t seed;
	uint32_t n_generated; /* rows generated at start (relation targets) */
	uint32_t next_number; /* next unique_id number */
	int64_t created_ms;
	struct fake_row *rows;
	size_t n_rows, cap_rows;
	/* row indexes sorted by (created, row) and (last edited, row); a cache
	 * that data_touch() invalidates whenever a timestamp or the row set changes */
	uint32_t *order[2];
	int order_valid[2];
};

struct fake_db {
	char id[FAKE_ID_LEN + 1];
	char *title;
	char *token; /* only this bearer token sees the database (else 404); NULL = any */
	char parent_page[FAKE_ID_LEN + 1];
	size_t *sources; /* indexes into state.sources */
	size_t n_sources;
	int64_t created_ms;
};

struct fake_user {
	char id[FAKE_ID_LEN + 1];
	const char *name;
	char email[64];
};

/* ---- request log, faults ---- */

struct fake_log_entry {
	char *method;
	char *path;
	char *query;
	char *body;    /* raw request body, NULL when empty */
	char *version; /* Notion-Version header, NULL when absent */
	int64_t time_ms;
	int status; /* 0 when the connection was dropped */
};

enum fault_kind { FAULT_STATUS, FAULT_HTML, FAULT_STALL, FAULT_DROP, FAULT_TRUNCATE, FAULT_PATCH };

struct fake_fault {
	enum fault_kind kind;
	int count; /* requests left to fail */
	int after; /* matching requests still to let through first */
	int status;
	char *retry_after; /* Retry-After header value, or NULL */
	char *code;	   /* Notion error code override, or NULL */
	int64_t stall_ms;
	char *match;	/* path prefix, or NULL for every API request */
	json_t *set;	/* patch: members replacing those of a successful JSON answer */
	json_t *remove; /* patch: names of members to drop from it */
};

struct fake_state {
	pthread_mutex_t lock;
	pthread_cond_t wake;	  /* broadcast on shutdown to end stalls early */
	unsigned stalls_released; /* DELETE /_control/faults ends stalls in progress too */
	volatile int stopping;

	struct fake_db *dbs;
	size_t n_dbs;
	struct fake_source *sources;
	size_t n_sources;
	struct fake_user *users;
	size_t n_users;

	/* id → (source, row) map, open addressing; slot value 0 = empty */
	uint64_t *map;
	size_t map_cap, map_used;

	int64_t clock_offset_ms; /* fake clock = real clock + offset */
	const char *token;	 /* required bearer token, or NULL for any */
	long cap;		 /* results per query */
	long search_page;	 /* results per search page (0 = 100) */
	double rate;		 /* requests per second, 0 = unlimited */
	long latency_ms;	 /* added to every API answer, outside the lock */
	double burst;		 /* bucket capacity, 0 = max(1, rate) */
	double tokens;
	int64_t tokens_at_ms;  /* monotonic time of the last refill */
	uint64_t sign_counter; /* makes every file URL signature new */
	uint64_t request_counter;
	uint64_t api_requests; /* /v1/ requests served, for the exit summary */

	struct fake_fault *faults;
	size_t n_faults;
	struct fake_log_entry *log;
	size_t n_log, cap_log;
	unsigned char cursor_key[16];
};

extern struct fake_state fake;

void fake_lock(void);
void fake_unlock(void);
/* The fake clock in ms (real wall clock plus the control offset). */
int64_t fake_now_ms(void);
static inline int64_t round_minute(int64_t ms)
{
	return ms - (((ms % 60000) + 60000) % 60000);
}

/* ---- data set (fake_data.c) ---- */

/* Builds the standard schema (the contract's 17 properties) into src. */
void data_standard_schema(struct fake_source *src);
/*
 * Adds a database with the given sources. Returns the index of the new
 * database; the caller then adds sources with data_add_source().
 */
size_t data_add_db(const char *id, const char *title);
size_t data_add_source(size_t db, const char *id, const char *name);
/* Generates n rows into source s (deterministic per seed). */
void data_generate(size_t s, uint32_t n, uint64_t seed);
/*
 * Appends a row to source s. id may be NULL (a random one is made). Returns
 * the row index, or -1 if the id is taken or invalid (message in err).
 */
long data_add_row(size_t s, const char *id, int64_t created_ms, int64_t edited_ms, struct buf *err);
/* Invalidates source s's sort caches (after any edit, trash, restore or new row). */
void data_touch(size_t s);
/* Finds a live (not purged) row by any id spelling; 0 if found. */
int data_find_row(const char *id, size_t *s, size_t *r);
/* Finds a database / data source by id; -1 if none. */
long data_find_db(const char *id);
long data_find_source(const char *id);
/* Property of source s with the given name, or NULL. */
const struct fake_prop *data_prop_by_name(const struct fake_source *src, const char *name);
/* Property of source s whose decoded id is id_raw, or NULL. */
const struct fake_prop *data_prop_by_id(const struct fake_source *src, const char *id_raw);
/* Dashed lowercase text of a 16-byte id (out: 37 bytes). */
void data_id_text(const uint8_t id[16], char out[FAKE_ID_LEN + 1]);
/* Percent-decodes s (and '+' to space when plus_is_space); caller frees. */
char *url_decode(const char *s, int plus_is_space);
/* Loads a fixture file; 0, or -1 with a message in err. */
int data_load_fixture(const char *path, struct buf *err);
/* Sets up the user pool. */
void data_init_users(void);
/* Frees every database, source, row and user. */
void data_free(void);
/*
 * Checks a simple value for property p (control API and fixtures). Returns
 * 0, or -1 with a message in err naming the property.
 */
int data_check_value(const struct fake_prop *p, json_t *v, struct buf *err);

/* ---- streaming JSON writer (fake_json.c) ---- */

struct jw {
	struct buf *b;
	uint64_t first; /* bit per depth: next value is the first of its container */
	int depth;
	int after_key;
};

void jw_init(struct jw *w, struct buf *b);
/* Makes room for n bytes at once (result pages are large). */
void jw_reserve(struct buf *b, size_t n);
void jw_obj(struct jw *w);
void jw_obj_end(struct jw *w);
void jw_arr(struct jw *w);
void jw_arr_end(struct jw *w);
void jw_key(struct jw *w, const char *k);
void jw_str(struct jw *w, const char *s); /* NULL writes null */
void jw_int(struct jw *w, long long v);
void jw_num(struct jw *w, double v); /* whole numbers as integers */
void jw_bool(struct jw *w, int v);
void jw_null(struct jw *w);
void jw_json(struct jw *w, json_t *v); /* a jansson value, serialised */
void jw_kstr(struct jw *w, const char *k, const char *s);
void jw_kint(struct jw *w, const char *k, long long v);
void jw_kbool(struct jw *w, const char *k, int v);
void jw_knull(struct jw *w, const char *k);
/* A fresh request id (UUID); Notion puts one in every body. */
void make_request_id(char rid[FAKE_ID_LEN + 1]);
/* Writes "request_id": <fresh id>. */
void jw_request_id(struct jw *w);

/*
 * API versions, oldest first (comparisons such as v >= V_2025 mean "this
 * version and later"). V_2025: data sources. V_2026_03: no "archived"
 * anywhere, only in_trash. V_2026_12: queries return only the title
 * property unless filter_properties names others; some person names null.
 */
enum api_version { V_LEGACY, V_2025, V_2026_03, V_2026_12 };

/* ---- property values (fake_values.c) ---- */

struct value_ctx {
	const struct fake_source *src;
	const struct fake_row *row;
	int64_t now_ms;	    /* for signed file URLs */
	enum api_version v; /* the version the value is written for */
};

/*
 * How a value is written. VW_FULL: everything. VW_PAGE: Notion's page
 * object limits (25 people, 25 relation items, 25 mentions in title and
 * rich text; truncated is set when something was left out). VW_ITEMS: the
 * page-property endpoint: only top-level items [from, to), each wrapped in
 * a property_item object; total counts every item.
 */
enum vw_mode { VW_FULL, VW_PAGE, VW_ITEMS };

struct vw {
	struct jw *jw;
	enum vw_mode mode;
	const struct fake_prop *prop;
	size_t from, to;
	size_t total;
	size_t mentions;
	int truncated;
};

/* Before each top-level item of a paged value: 1 = write it, then vw_item_end(). */
int vw_item(struct vw *v, int is_mention);
void vw_item_end(struct vw *v);
/* Writes the value of p for ctx->row: what goes under "<type>" in a page. */
void value_write(struct vw *v, const struct value_ctx *ctx, const struct fake_prop *p);
/* 1 and *out if p (a number property) has a value for the row, else 0. */
int value_number(const struct value_ctx *ctx, const struct fake_prop *p, double *out);
/* Schema configuration of p (what goes under "T" in the schema). New reference. */
json_t *value_schema_config(const struct fake_source *src, const struct fake_prop *p);
/* A rich text array holding one plain text item. New reference. */
json_t *value_plain_rich_text(const char *text);
/* The title of a row as plain text (caller frees). */
char *value_title_text(const struct value_ctx *ctx);
/* 1 if the property endpoint pages this type (title, rich_text, relation, people). */
int value_paged_type(enum prop_type t);

/* ---- objects (fake_render.c) ---- */

/*
 * Writes the page object for a row. only: decoded property ids to include
 * (NULL = all). Applies the 25-reference truncation.
 */
void render_page(struct jw *w, const struct fake_source *src, const struct fake_row *row,
		 enum api_version v, char *const *only, size_t n_only);
/* The page object as a JSON document with a request_id (caller frees). */
char *render_page_doc(const struct fake_source *src, const struct fake_row *row, enum api_version v,
		      char *const *only, size_t n_only);
json_t *render_database(const struct fake_db *db, enum api_version v);
json_t *render_data_source(const struct fake_source *src, enum api_version v);
json_t *render_partial_user(size_t user);
/*
 * A full user object. From 2026-12-01 on, every fourth user of the pool
 * (index % 4 == 3) has "name": null, as Notion allows there.
 */
void write_user(struct jw *w, const struct fake_user *u, enum api_version v);
void write_partial_user(struct jw *w, size_t user);
json_t *render_rich_text_title(const char *text);

/* ---- HTTP (fake_http.c) ---- */

/* Starts the server on 127.0.0.1:port; writes the bound port to *bound. */
int http_start(unsigned port, unsigned *bound);
void http_stop(void);
void faults_free(void);
void log_free(void);

/* ---- queries (fake_query.c) ---- */

struct http_reply {
	int status;
	char *body; /* owned, JSON unless content_type says otherwise */
	const char *content_type;
	char retry_after[32]; /* "" = no header */
};

/*
 * Runs a query on source s (body already parsed; may be NULL). only: the
 * decoded filter_properties (NULL when none were sent: every property, or
 * from 2026-12-01 on the title property only). Fills reply with the list or
 * a Notion error.
 */
void query_run(size_t s, json_t *body, enum api_version v, char *const *only, size_t n_only,
	       struct http_reply *reply);
/* GET /v1/pages/{id}/properties/{prop}: start_cursor and page_size may be NULL. */
void query_property(size_t s, size_t r, const struct fake_prop *p, const char *start_cursor,
		    const char *page_size, const char *page_id_text, enum api_version v,
		    struct http_reply *reply);

/* POST /v1/search (fake_search.c): data sources (databases with 2022-06-28), paginated. */
void search_run(json_t *body, enum api_version v, struct http_reply *reply);

/* A Notion error body into reply. */
void reply_error(struct http_reply *reply, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* A JSON reply (takes the reference to j; adds a request_id to objects). */
void reply_json(struct http_reply *reply, int status, json_t *j);
/* A reply whose body is already JSON text (taken). */
void reply_text(struct http_reply *reply, int status, char *json_text);

#endif
