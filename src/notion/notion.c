/*
 * notion.c: the Notion API client (SPEC §6); see notion.h for the contract
 * and docs/internals/notion-client.md for the design. This is the only file
 * that includes curl.
 *
 * Every request goes through client_call(): circuit breaker → token bucket
 * → one libcurl transfer on the reused easy handle → classification of the
 * outcome (JSON answer, Notion error body, HTML or truncated body, transport
 * failure) → the retry policy. The pure state machines live in src/net; this
 * file owns the clocks, the sleeping and the I/O. On top of that sit the
 * endpoint functions, the streaming query with its windowing past Notion's
 * 10,000-results cap, and the paged property endpoint.
 */
#include "notion/notion.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "net/breaker.h"
#include "net/ratelimit.h"
#include "net/retry.h"
#include "notion/notion_json.h"
#include "util/buf.h"
#include "util/id.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define DEFAULT_BASE_URL "https://api.notion.com"
#define DEFAULT_RATE 3.0
#define DEFAULT_BURST 1.0
#define DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define DEFAULT_REQUEST_TIMEOUT_MS 65000L
#define DEFAULT_PAGE_SIZE 100
#define MAX_PAGE_SIZE 100
#define RESPONSE_MAX ((size_t)64 << 20) /* one answer; a 100-row page is far smaller */
#define SNIPPET_MAX 160			/* bytes of a bad body quoted in a message */
#define SLEEP_SLICE_MS 50		/* how often waits look at *stop */
#define HEADER_VALUE_MAX 128

/*
 * One transfer: an easy handle (its connection kept alive between uses)
 * and the scratch of the answer being read. Requests in flight at the same
 * time each hold one; idle ones wait in the client's free list.
 */
struct xfer {
	CURL *curl;
	struct notion_client *c;
	struct buf body;
	int body_overflow;
	char retry_after[HEADER_VALUE_MAX];
	char date[HEADER_VALUE_MAX]; /* Date header of the answer being read */
	char content_type[HEADER_VALUE_MAX];
	char curl_err[CURL_ERROR_SIZE];
	struct xfer *next; /* in the free list */
};

struct notion_client {
	/* set at creation, read-only afterwards (shared by every thread) */
	char *base_url; /* no trailing slash */
	char *token;	/* wiped on free */
	char *version;
	struct curl_slist *headers;	 /* auth, version, accept (holds the token) */
	struct curl_slist *body_headers; /* the same plus Content-Type */
	_Atomic int *stop;
	long connect_ms, request_ms;
	struct retry_policy retry;
	/* mu guards everything below: requests run on several threads at once */
	pthread_mutex_t mu;
	struct ratelimit limiter;
	struct breaker breaker;
	struct notion_stats stats;
	uint64_t rng;
	int64_t server_time_ms;	 /* Date of the last successful answer, or 0 */
	int64_t paused_until_ms; /* a 429's Retry-After holds every request until then */
	int64_t latency_ms;	 /* moving average of the time to an answer's first byte */
	int have_latency;
	struct xfer *idle; /* transfers not in use */
	/* the last failure, quoted when the breaker fails fast */
	char last_error[512];
};

/* ---- small helpers ------------------------------------------------------ */

/* xorshift64*: jitter only needs to be spread out, not unpredictable. Under c->mu. */
static double client_rand(void *ud)
{
	struct notion_client *c = ud;

	c->rng ^= c->rng >> 12;
	c->rng ^= c->rng << 25;
	c->rng ^= c->rng >> 27;
	return (double)((c->rng * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

static int stopped(const struct notion_client *c)
{
	return c->stop && *c->stop;
}

/* Sleeps ms in short slices; returns NV_EINTERRUPTED if *stop became set. */
static int client_sleep(struct notion_client *c, int64_t ms)
{
	int64_t end = time_mono_ms() + ms;

	for (;;) {
		int64_t left = end - time_mono_ms();
		if (stopped(c))
			return NV_EINTERRUPTED;
		if (left <= 0)
			return NV_OK;
		time_sleep_ms(left < SLEEP_SLICE_MS ? left : SLEEP_SLICE_MS, c->stop);
	}
}

/*
 * Appends at most max bytes of s to b with control characters turned into
 * spaces, runs of blanks collapsed and (unless keep_utf8) non-ASCII bytes
 * shown as '?', so a hostile or binary body cannot garble a terminal or a
 * log line. Adds "..." when cut.
 */
static void add_sanitised(struct buf *b, const char *s, size_t len, size_t max, int keep_utf8)
{
	int last_space = 1;
	size_t i;

	for (i = 0; i < len && i < max; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch < 0x20 || ch == 0x7f || ch == ' ') {
			if (!last_space)
				buf_addch(b, ' ');
			last_space = 1;
			continue;
		}
		buf_addch(b, ch >= 0x80 && !keep_utf8 ? '?' : (char)ch);
		last_space = 0;
	}
	if (i < len)
		buf_adds(b, "...");
}

/* Replaces every occurrence of the token in msg (in place) by "[redacted]". */
static void redact_token(const struct notion_client *c, char *msg, size_t size)
{
	size_t tlen = c->token ? strlen(c->token) : 0;
	struct buf out = BUF_INIT;
	const char *p = msg, *hit;

	if (!tlen || !strstr(msg, c->token))
		return;
	while ((hit = strstr(p, c->token))) {
		buf_add(&out, p, (size_t)(hit - p));
		buf_adds(&out, "[redacted]");
		p = hit + tlen;
	}
	buf_adds(&out, p);
	snprintf(msg, size, "%s", out.data);
	buf_release(&out);
}

/* Sets err from a buf, redacting the token; returns code. */
static int client_fail(struct notion_client *c, struct nv_err *err, enum nv_status code,
		       int http_status, const char *msg)
{
	nv_err_set(err, code, "%s", msg);
	if (err) {
		err->http_status = http_status;
		redact_token(c, err->msg, sizeof(err->msg));
	}
	return code;
}

/* ---- tracing -------------------------------------------------------------- */

struct attempt_trace {
	int status, attempt;
	int64_t duration_ms, throttle_ms, retry_in_ms;
	const char *error;
};

static notion_trace_fn trace_fn;
static void *trace_ud;
/* the hook is called from every thread that sends requests, one call at a time */
static pthread_mutex_t trace_mu = PTHREAD_MUTEX_INITIALIZER;

void notion_set_trace(notion_trace_fn fn, void *ud)
{
	pthread_mutex_lock(&trace_mu);
	trace_fn = fn;
	trace_ud = ud;
	pthread_mutex_unlock(&trace_mu);
}

/* Reports one attempt to the trace hook, if any. */
static void trace_attempt(struct notion_client *c, const struct xfer *x, const char *method,
			  const char *path, const char *body, const struct attempt_trace *at)
{
	struct notion_trace t;
	char error[512];

	pthread_mutex_lock(&trace_mu);
	if (!trace_fn) {
		pthread_mutex_unlock(&trace_mu);
		return;
	}
	memset(&t, 0, sizeof(t));
	t.method = method;
	t.path = path;
	t.body = body;
	t.status = at->status;
	t.attempt = at->attempt;
	t.duration_ms = at->duration_ms;
	t.throttle_ms = at->throttle_ms;
	t.retry_in_ms = at->retry_in_ms;
	t.retry_after = x->retry_after[0] ? x->retry_after : NULL;
	t.bytes = x->body.len;
	if (at->error && *at->error) {
		snprintf(error, sizeof(error), "%s", at->error);
		redact_token(c, error, sizeof(error));
		t.error = error;
	}
	trace_fn(trace_ud, &t);
	pthread_mutex_unlock(&trace_mu);
}

/* ---- libcurl callbacks -------------------------------------------------- */

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	size_t n = size * nmemb;

	if (buf_add(&x->body, data, n) < 0) {
		x->body_overflow = 1;
		return 0; /* makes curl fail the transfer with CURLE_WRITE_ERROR */
	}
	return n;
}

/* Copies a header's value (trimmed) into out if the line is `name: value`. */
static void grab_header(const char *line, size_t len, const char *name, char *out, size_t out_size)
{
	size_t nlen = strlen(name), vlen;
	const char *v;

	if (len <= nlen || strncasecmp(line, name, nlen) != 0 || line[nlen] != ':')
		return;
	v = line + nlen + 1;
	vlen = len - nlen - 1;
	while (vlen && (*v == ' ' || *v == '\t')) {
		v++;
		vlen--;
	}
	while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
		vlen--;
	if (vlen >= out_size)
		vlen = out_size - 1;
	memcpy(out, v, vlen);
	out[vlen] = '\0';
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	size_t n = size * nmemb;

	/* a new status line (after a 100 Continue, say) starts a fresh set */
	if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		x->retry_after[0] = '\0';
		x->content_type[0] = '\0';
		x->date[0] = '\0';
	}
	grab_header(data, n, "retry-after", x->retry_after, sizeof(x->retry_after));
	grab_header(data, n, "date", x->date, sizeof(x->date));
	grab_header(data, n, "content-type", x->content_type, sizeof(x->content_type));
	return n;
}

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	const struct xfer *x = ud;

	return stopped(x->c) ? 1 : 0;
}

/* ---- client lifecycle --------------------------------------------------- */

/* Appends line to *list; returns 0, or -1 (list freed, *list NULL) on failure. */
static int add_header(struct curl_slist **list, const char *line)
{
	struct curl_slist *next = curl_slist_append(*list, line);

	if (!next) {
		curl_slist_free_all(*list);
		*list = NULL;
		return -1;
	}
	*list = next;
	return 0;
}

/* Builds the header list; with_body adds Content-Type. NULL on failure. */
static struct curl_slist *build_headers(const struct notion_client *c, int with_body)
{
	struct curl_slist *list = NULL;
	struct buf auth = BUF_INIT, version = BUF_INIT;

	buf_addf(&auth, "Authorization: Bearer %s", c->token);
	buf_addf(&version, "Notion-Version: %s", c->version);
	if (add_header(&list, auth.data) == 0 && add_header(&list, version.data) == 0 &&
	    add_header(&list, "Accept: application/json") == 0 && with_body)
		add_header(&list, "Content-Type: application/json");
	for (volatile char *p = auth.data; *p; p++)
		*p = 0; /* the token's copy in this buffer */
	buf_release(&auth);
	buf_release(&version);
	return list;
}

/* Wipes every header line (one holds the token) and frees the list. */
static void free_headers(struct curl_slist *list)
{
	for (struct curl_slist *l = list; l; l = l->next)
		for (volatile char *p = l->data; *p; p++)
			*p = 0;
	curl_slist_free_all(list);
}

/* Sets the options that stay the same for every transfer of x. */
static CURLcode setup_handle(struct xfer *x, long connect_ms, long request_ms)
{
	CURL *h = x->curl;
	CURLcode rc = CURLE_OK;
	struct buf ua = BUF_INIT;

	buf_addf(&ua, "nvault/%s", NVAULT_VERSION);
	if (!rc)
		rc = curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	if (!rc)
		rc = curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
	if (!rc)
		rc = curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, request_ms);
	if (!rc)
		rc = curl_easy_setopt(h, CURLOPT_USERAGENT, ua.data); /* curl copies it */
	if (!rc)
		rc = curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	if (!rc)
		rc = curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (!rc)
		rc = curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	if (!rc)
		rc = curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	if (!rc)
		rc = curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	if (!rc)
		rc = curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	if (!rc)
		rc = curl_easy_setopt(h, CURLOPT_ERRORBUFFER, x->curl_err);
	if (!rc)
		rc = curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	if (!rc)
		rc = curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
	if (!rc)
		rc = curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	if (!rc)
		rc = curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
	if (!rc)
		rc = curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	if (!rc)
		rc = curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	if (!rc)
		rc = curl_easy_setopt(h, CURLOPT_XFERINFODATA, x);
	buf_release(&ua);
	return rc;
}

static void xfer_free(struct xfer *x)
{
	if (!x)
		return;
	if (x->curl)
		curl_easy_cleanup(x->curl);
	buf_release(&x->body);
	free(x);
}

/*
 * Takes an idle transfer (its connection may still be open) or makes a new
 * one. NULL when libcurl cannot make a handle.
 */
static struct xfer *xfer_get(struct notion_client *c)
{
	struct xfer *x;

	pthread_mutex_lock(&c->mu);
	x = c->idle;
	if (x)
		c->idle = x->next;
	pthread_mutex_unlock(&c->mu);
	if (x)
		return x;
	x = xcalloc(1, sizeof(*x));
	x->c = c;
	buf_init(&x->body, RESPONSE_MAX);
	x->curl = curl_easy_init();
	if (!x->curl || setup_handle(x, c->connect_ms, c->request_ms) != CURLE_OK) {
		xfer_free(x);
		return NULL;
	}
	return x;
}

static void xfer_put(struct notion_client *c, struct xfer *x)
{
	pthread_mutex_lock(&c->mu);
	x->next = c->idle;
	c->idle = x;
	pthread_mutex_unlock(&c->mu);
}

static const char *const supported_versions[] = {
	NOTION_VERSION_TITLE_ONLY,
	NOTION_VERSION_IN_TRASH,
	NOTION_VERSION_DATA_SOURCES,
	NOTION_VERSION_LEGACY,
};

int notion_version_supported(const char *v)
{
	for (size_t i = 0; v && i < sizeof(supported_versions) / sizeof(supported_versions[0]); i++)
		if (!strcmp(v, supported_versions[i]))
			return 1;
	return 0;
}

int notion_version_names_properties(const char *v)
{
	return notion_version_supported(v) && strcmp(v, NOTION_VERSION_DATA_SOURCES) >= 0;
}

/*
 * Whether the authority of an http:// URL (what follows "http://") names the
 * loopback interface: localhost, 127.0.0.0/8 or [::1]. Plain http:// is
 * accepted there only (tests, the fake server, a local TLS-terminating proxy).
 */
static int loopback_url(const char *rest)
{
	size_t n = strcspn(rest, "/?#");
	char host[256];
	const char *at, *end;
	size_t len;

	if (n >= sizeof(host))
		return 0;
	memcpy(host, rest, n);
	host[n] = '\0';
	at = strrchr(host, '@');
	rest = at ? at + 1 : host;
	if (*rest == '[') {
		end = strchr(rest, ']');
		return end && (size_t)(end - rest) == 4 && strncmp(rest, "[::1]", 5) == 0;
	}
	end = strchr(rest, ':');
	len = end ? (size_t)(end - rest) : strlen(rest);
	if (len == 9 && strncasecmp(rest, "localhost", 9) == 0)
		return 1;
	if (len < INET_ADDRSTRLEN) {
		char ip[INET_ADDRSTRLEN];
		struct in_addr a;

		memcpy(ip, rest, len);
		ip[len] = '\0';
		if (inet_pton(AF_INET, ip, &a) == 1)
			return (ntohl(a.s_addr) >> 24) == 127;
	}
	return 0;
}

int notion_client_new(const struct notion_client_opts *opts, struct notion_client **out,
		      struct nv_err *err)
{
	struct notion_client *c;
	const char *base = opts->base_url && *opts->base_url ? opts->base_url : DEFAULT_BASE_URL;
	const char *version = opts->version ? opts->version : NOTION_VERSION_DEFAULT;
	size_t blen = strlen(base);
	struct xfer *x;
	double rate;

	*out = NULL;
	if (!opts->token || !*opts->token)
		return nv_err_set(err, NV_ECONFIG, "no Notion API token (set NOTION_API_KEY)");
	for (const char *p = opts->token; *p; p++)
		if ((unsigned char)*p < 0x21 || *p == 0x7f)
			return nv_err_set(
				err, NV_ECONFIG,
				"the Notion API token contains spaces or control characters");
	if (strncmp(base, "https://", 8) != 0 && strncmp(base, "http://", 7) != 0)
		return nv_err_set(err, NV_ECONFIG,
				  "Notion API base URL '%s' must start with https:// or http://",
				  base);
	if (strncmp(base, "http://", 7) == 0 && !opts->allow_insecure_http &&
	    !loopback_url(base + 7))
		return nv_err_set(err, NV_ECONFIG,
				  "refusing to send the Notion token in clear text to %s (plain "
				  "http:// to a host that is not loopback): use https://, or set "
				  "NVAULT_ALLOW_INSECURE_HTTP=1 if the network path is trusted",
				  base);
	if (!notion_version_supported(version))
		return nv_err_set(err, NV_ECONFIG,
				  "unsupported Notion-Version '%s' (use %s, %s, %s or %s)", version,
				  NOTION_VERSION_TITLE_ONLY, NOTION_VERSION_IN_TRASH,
				  NOTION_VERSION_DATA_SOURCES, NOTION_VERSION_LEGACY);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return nv_err_set(err, NV_ERR, "libcurl initialisation failed");

	c = xcalloc(1, sizeof(*c));
	pthread_mutex_init(&c->mu, NULL);
	while (blen && base[blen - 1] == '/')
		blen--;
	c->base_url = xstrndup(base, blen);
	c->token = xstrdup(opts->token);
	c->version = xstrdup(version);
	c->stop = opts->stop;
	c->connect_ms = opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms
						     : DEFAULT_CONNECT_TIMEOUT_MS;
	c->request_ms = opts->request_timeout_ms > 0 ? opts->request_timeout_ms
						     : DEFAULT_REQUEST_TIMEOUT_MS;
	c->rng = (uint64_t)time_mono_ms() * 0x9E3779B97F4A7C15ULL ^ (uint64_t)(uintptr_t)c;
	if (!c->rng)
		c->rng = 1;

	rate = opts->rate_per_sec == 0 ? DEFAULT_RATE : opts->rate_per_sec;
	ratelimit_init(&c->limiter, rate < 0 ? -1.0 : rate,
		       opts->burst > 0 ? opts->burst : DEFAULT_BURST, time_mono_ms());
	retry_policy_default(&c->retry);
	if (opts->max_retries >= 0)
		c->retry.max_retries = opts->max_retries;
	if (opts->max_backoff_ms > 0) {
		c->retry.max_backoff_ms = opts->max_backoff_ms;
		if (c->retry.base_ms > opts->max_backoff_ms)
			c->retry.base_ms = opts->max_backoff_ms;
	}
	breaker_init(&c->breaker, opts->breaker_threshold,
		     opts->breaker_cooldown_ms > 0 ? opts->breaker_cooldown_ms
						   : BREAKER_DEFAULT_COOLDOWN_MS);

	c->headers = build_headers(c, 0);
	c->body_headers = build_headers(c, 1);
	if (!c->headers || !c->body_headers) {
		notion_client_free(c);
		return nv_err_set(err, NV_ERR, "libcurl could not build the request headers");
	}
	/* one transfer made now, so a libcurl that cannot make handles fails here */
	x = xfer_get(c);
	if (!x) {
		notion_client_free(c);
		return nv_err_set(err, NV_ERR, "libcurl could not create a handle");
	}
	xfer_put(c, x);
	*out = c;
	return NV_OK;
}

void notion_client_free(struct notion_client *c)
{
	if (!c)
		return;
	while (c->idle) {
		struct xfer *x = c->idle;
		c->idle = x->next;
		xfer_free(x);
	}
	free_headers(c->headers);
	free_headers(c->body_headers);
	xfree_secret(c->token);
	free(c->base_url);
	free(c->version);
	pthread_mutex_destroy(&c->mu);
	free(c);
	curl_global_cleanup();
}

void notion_client_stats(const struct notion_client *c, struct notion_stats *out)
{
	struct notion_client *m = (struct notion_client *)c; /* the lock, not the state */

	pthread_mutex_lock(&m->mu);
	*out = c->stats;
	pthread_mutex_unlock(&m->mu);
}

int64_t notion_client_server_time(const struct notion_client *c)
{
	struct notion_client *m = (struct notion_client *)c;
	int64_t t;

	pthread_mutex_lock(&m->mu);
	t = c->server_time_ms;
	pthread_mutex_unlock(&m->mu);
	return t;
}

const char *notion_client_version(const struct notion_client *c)
{
	return c->version;
}

/* ---- one request, with breaker, rate limit and retries ------------------ */

/* How a libcurl failure is treated by the retry policy. */
static const struct {
	CURLcode code;
	enum retry_net net;
} curl_failures[] = {
	{CURLE_OPERATION_TIMEDOUT, RETRY_NET_TIMEOUT},
	{CURLE_COULDNT_RESOLVE_HOST, RETRY_NET_CONNECT},
	{CURLE_COULDNT_RESOLVE_PROXY, RETRY_NET_CONNECT},
	{CURLE_COULDNT_CONNECT, RETRY_NET_CONNECT},
	{CURLE_SEND_ERROR, RETRY_NET_RESET},
	{CURLE_RECV_ERROR, RETRY_NET_RESET},
	{CURLE_GOT_NOTHING, RETRY_NET_RESET},
	{CURLE_HTTP2, RETRY_NET_RESET},
	{CURLE_HTTP2_STREAM, RETRY_NET_RESET},
	{CURLE_PARTIAL_FILE, RETRY_NET_TRUNCATED},
	{CURLE_BAD_CONTENT_ENCODING, RETRY_NET_TRUNCATED},
};

static enum retry_net classify_curl(CURLcode code)
{
	for (size_t i = 0; i < sizeof(curl_failures) / sizeof(curl_failures[0]); i++)
		if (curl_failures[i].code == code)
			return curl_failures[i].net;
	return RETRY_NET_FATAL;
}

/* The outcome of one attempt. */
struct attempt {
	int status; /* HTTP status, 0 if no answer */
	enum retry_net net;
	int interrupted; /* aborted because *stop was set */
	json_t *json;	 /* a 2xx answer's object (new reference) */
	struct buf msg;	 /* the failure, when json is NULL */
};

/*
 * Describes a non-2xx answer: Notion's error body (code, message,
 * request_id, rate-limit reason) when there is one, else the status, the
 * content type and the first bytes of whatever came back.
 */
static void describe_http_error(const struct xfer *x, struct buf *msg, int status)
{
	json_t *j = json_loadb(x->body.data ? x->body.data : "", x->body.len, 0, NULL);
	const char *code = NULL, *text = NULL, *rid = NULL, *reason = NULL;

	if (j && json_is_object(j)) {
		code = json_string_value(json_object_get(j, "code"));
		text = json_string_value(json_object_get(j, "message"));
		rid = json_string_value(json_object_get(j, "request_id"));
		reason = json_string_value(json_object_get(json_object_get(j, "additional_data"),
							   "rate_limit_reason"));
	}
	buf_addf(msg, "HTTP %d", status);
	if (code || text) {
		if (code) {
			buf_addch(msg, ' ');
			add_sanitised(msg, code, strlen(code), 64, 1);
		}
		if (text) {
			buf_adds(msg, ": ");
			add_sanitised(msg, text, strlen(text), 400, 1);
		}
		if (reason) {
			buf_adds(msg, " [");
			add_sanitised(msg, reason, strlen(reason), 64, 1);
			buf_addch(msg, ']');
		}
		buf_adds(msg, " (request_id ");
		if (rid)
			add_sanitised(msg, rid, strlen(rid), 64, 1);
		else
			buf_adds(msg, "none");
		buf_addch(msg, ')');
	} else if (!x->body.len) {
		buf_adds(msg, " with an empty body");
	} else {
		buf_addf(msg, " with a non-JSON body (%s, %zu bytes): ",
			 x->content_type[0] ? x->content_type : "no content type", x->body.len);
		add_sanitised(msg, x->body.data, x->body.len, SNIPPET_MAX, 0);
	}
	if (x->retry_after[0]) {
		buf_adds(msg, "; Retry-After: ");
		add_sanitised(msg, x->retry_after, strlen(x->retry_after), 64, 0);
	}
	json_decref(j);
}

/*
 * Sends one request on x and classifies what came back into *a (whose msg
 * the caller releases). url is the full URL, body NULL for a GET.
 * *ttfb_ms is the time to the answer's first byte (-1 when none came).
 */
static void perform(struct notion_client *c, struct xfer *x, const char *url, const char *body,
		    struct attempt *a, int64_t *ttfb_ms)
{
	CURLcode rc;
	long status = 0;
	curl_off_t ttfb_us = -1;

	*ttfb_ms = -1;
	buf_reset(&x->body);
	x->body_overflow = 0;
	x->retry_after[0] = '\0';
	x->date[0] = '\0';
	x->content_type[0] = '\0';
	x->curl_err[0] = '\0';

	rc = curl_easy_setopt(x->curl, CURLOPT_URL, url);
	if (!rc && body) {
		rc = curl_easy_setopt(x->curl, CURLOPT_POST, 1L);
		if (!rc)
			rc = curl_easy_setopt(x->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
		if (!rc)
			rc = curl_easy_setopt(x->curl, CURLOPT_POSTFIELDS, body);
		if (!rc)
			rc = curl_easy_setopt(x->curl, CURLOPT_HTTPHEADER, c->body_headers);
	} else if (!rc) {
		rc = curl_easy_setopt(x->curl, CURLOPT_HTTPGET, 1L);
		if (!rc)
			rc = curl_easy_setopt(x->curl, CURLOPT_HTTPHEADER, c->headers);
	}
	if (rc != CURLE_OK) {
		a->net = RETRY_NET_FATAL;
		buf_addf(&a->msg, "libcurl setup failed: %s", curl_easy_strerror(rc));
		return;
	}
	pthread_mutex_lock(&c->mu);
	c->stats.requests++;
	pthread_mutex_unlock(&c->mu);
	rc = curl_easy_perform(x->curl);
	if (curl_easy_getinfo(x->curl, CURLINFO_STARTTRANSFER_TIME_T, &ttfb_us) == CURLE_OK &&
	    ttfb_us > 0)
		*ttfb_ms = (int64_t)(ttfb_us / 1000);
	if (rc == CURLE_ABORTED_BY_CALLBACK && stopped(c)) {
		a->interrupted = 1;
		a->net = RETRY_NET_FATAL;
		buf_adds(&a->msg, "interrupted");
		return;
	}
	if (rc == CURLE_WRITE_ERROR && x->body_overflow) {
		a->net = RETRY_NET_FATAL;
		buf_addf(&a->msg, "the answer is larger than %zu MiB", RESPONSE_MAX >> 20);
		return;
	}
	if (rc != CURLE_OK) {
		const char *why = x->curl_err[0] ? x->curl_err : curl_easy_strerror(rc);

		a->net = classify_curl(rc);
		add_sanitised(&a->msg, why, strlen(why), 300, 0);
		if (x->body.len && a->net == RETRY_NET_TRUNCATED)
			buf_addf(&a->msg, " (after %zu bytes of the body)", x->body.len);
		return;
	}
	if (curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK)
		status = 0;
	a->status = (int)status;
	if (status >= 200 && status < 300) {
		struct notion_json_repairs rep = {0, 0, 0};
		json_error_t jerr;
		time_t t;

		a->json = notion_json_read(x->body.data ? x->body.data : "", x->body.len, &rep,
					   &jerr);
		t = a->json && json_is_object(a->json) && x->date[0] ? curl_getdate(x->date, NULL)
								     : -1;
		pthread_mutex_lock(&c->mu);
		c->stats.repaired_text += rep.text;
		c->stats.numbers_as_text += rep.numbers;
		c->stats.unreadable_rows += rep.rows;
		if (t > 0)
			c->server_time_ms = (int64_t)t * 1000;
		pthread_mutex_unlock(&c->mu);
		if (a->json && json_is_object(a->json))
			return;
		json_decref(a->json);
		a->json = NULL;
		/*
		 * The whole body arrived (libcurl checked its length): asking again
		 * would get the same bytes, so an unreadable success is not retried.
		 */
		a->net = RETRY_NET_FATAL;
		buf_addf(&a->msg, "HTTP %ld with an unreadable body (%s, %zu bytes: %s): ", status,
			 x->content_type[0] ? x->content_type : "no content type", x->body.len,
			 jerr.text);
		add_sanitised(&a->msg, x->body.data ? x->body.data : "", x->body.len, SNIPPET_MAX,
			      0);
		return;
	}
	describe_http_error(x, &a->msg, (int)status);
}

/* Sleeps until no 429 holds the client's requests; NV_EINTERRUPTED if stopped. */
static int wait_pause(struct notion_client *c)
{
	for (;;) {
		int64_t left;

		pthread_mutex_lock(&c->mu);
		left = c->paused_until_ms - time_mono_ms();
		pthread_mutex_unlock(&c->mu);
		if (left <= 0)
			return stopped(c) ? NV_EINTERRUPTED : NV_OK;
		if (client_sleep(c, left))
			return NV_EINTERRUPTED;
	}
}

/* Moving average of the time to an answer's first byte (under c->mu). */
static void note_latency(struct notion_client *c, int64_t ttfb_ms)
{
	if (ttfb_ms < 0)
		return;
	c->latency_ms = c->have_latency ? (3 * c->latency_ms + ttfb_ms) / 4 : ttfb_ms;
	c->have_latency = 1;
}

/*
 * Performs METHOD base_url+path (body NULL → GET, else POST with that JSON)
 * until it succeeds, fails for good, the breaker is open or *stop is set.
 * On success *out is the answer's JSON object (new reference). Safe to call
 * from several threads at once: the breaker, the token bucket and the
 * statistics are shared under c->mu, the transfer is the caller's own, and
 * a 429's Retry-After holds every thread's requests, not only its own.
 */
static int client_call(struct notion_client *c, const char *path, const char *body, json_t **out,
		       struct nv_err *err)
{
	const char *method = body ? "POST" : "GET";
	struct buf url = BUF_INIT, msg = BUF_INIT;
	struct xfer *x;
	int ret = NV_OK;

	*out = NULL;
	if (!(x = xfer_get(c)))
		return nv_err_set(err, NV_ERR, "libcurl could not create a handle");
	buf_addf(&url, "%s%s", c->base_url, path);
	for (int attempt = 0;; attempt++) {
		struct attempt a = {.msg = BUF_INIT};
		struct retry_attempt ra;
		int64_t now, wait, delay, started, ttfb;
		int failed, rate_limited, retry;
		struct attempt_trace at = {.attempt = attempt, .retry_in_ms = -1};

		if (stopped(c) || wait_pause(c)) {
			ret = nv_err_set(err, NV_EINTERRUPTED, "%s %s: interrupted", method, path);
			break;
		}
		pthread_mutex_lock(&c->mu);
		now = time_mono_ms();
		if (!breaker_allow(&c->breaker, now)) {
			buf_reset(&msg);
			buf_addf(&msg,
				 "%s %s: not sent, Notion looks unavailable (circuit breaker open "
				 "after %d consecutive failures; next attempt allowed in %lld ms). "
				 "Last error: %s",
				 method, path, c->breaker.threshold,
				 (long long)breaker_retry_in(&c->breaker, now), c->last_error);
			pthread_mutex_unlock(&c->mu);
			ret = client_fail(c, err, NV_EBREAKER, 0, msg.data);
			break;
		}
		wait = ratelimit_reserve(&c->limiter, now);
		if (wait > 0)
			c->stats.throttle_wait_ms += wait;
		pthread_mutex_unlock(&c->mu);
		at.throttle_ms = wait > 0 ? wait : 0;
		/* a 429 answered meanwhile holds this request too, token and all */
		if ((wait > 0 && client_sleep(c, wait)) || wait_pause(c)) {
			ret = nv_err_set(err, NV_EINTERRUPTED, "%s %s: interrupted", method, path);
			break;
		}

		started = time_mono_ms();
		perform(c, x, url.data, body, &a, &ttfb);
		at.duration_ms = time_mono_ms() - started;
		at.status = a.status;
		at.error = a.json ? NULL : a.msg.data;
		if (a.json || a.interrupted)
			trace_attempt(c, x, method, path, body, &at);
		if (a.json) {
			pthread_mutex_lock(&c->mu);
			breaker_success(&c->breaker);
			note_latency(c, ttfb);
			pthread_mutex_unlock(&c->mu);
			*out = a.json;
			buf_release(&a.msg);
			break;
		}
		if (a.interrupted) {
			buf_release(&a.msg);
			ret = nv_err_set(err, NV_EINTERRUPTED, "%s %s: interrupted", method, path);
			break;
		}

		/* transport failures and 5xx say Notion is unwell; 4xx answers do not */
		failed = a.net != RETRY_NET_NONE || a.status >= 500;
		rate_limited = a.status == 429 || a.status == 529;
		ra = (struct retry_attempt){.http_status = a.status,
					    .net = a.net,
					    .attempt = attempt,
					    .retry_after =
						    x->retry_after[0] ? x->retry_after : NULL,
					    .now_ms = time_now_ms()};
		pthread_mutex_lock(&c->mu);
		if (failed)
			breaker_failure(&c->breaker, time_mono_ms());
		else
			breaker_success(&c->breaker);
		if (rate_limited)
			c->stats.rate_limited++;
		snprintf(c->last_error, sizeof(c->last_error), "%s", a.msg.data ? a.msg.data : "");
		retry = retry_decide(&c->retry, &ra, client_rand, c, &delay);
		if (retry) {
			c->stats.retries++;
			if (rate_limited) {
				int64_t until = time_mono_ms() + delay + 2;

				c->stats.rate_limit_wait_ms += delay;
				if (until > c->paused_until_ms)
					c->paused_until_ms = until;
			}
		}
		pthread_mutex_unlock(&c->mu);
		if (retry) {
			at.retry_in_ms = delay;
			trace_attempt(c, x, method, path, body, &at);
			buf_release(&a.msg);
			/*
			 * Clock reads are whole milliseconds; 2 ms more make sure the
			 * real wait is never shorter than a Retry-After asked for, even
			 * measured by the server's own truncated clock.
			 */
			if (client_sleep(c, delay + 2)) {
				ret = nv_err_set(err, NV_EINTERRUPTED, "%s %s: interrupted", method,
						 path);
				break;
			}
			continue;
		}

		trace_attempt(c, x, method, path, body, &at);
		buf_reset(&msg);
		buf_addf(&msg, "Notion %s %s failed: %s", method, path, a.msg.data);
		if (attempt > 0)
			buf_addf(&msg, " (gave up after %d %s)", attempt,
				 attempt == 1 ? "retry" : "retries");
		buf_release(&a.msg);
		ret = client_fail(c, err, a.status ? NV_EHTTP : NV_ENET, a.status, msg.data);
		break;
	}
	xfer_put(c, x);
	buf_release(&url);
	buf_release(&msg);
	return ret;
}

/* ---- ids and query strings ---------------------------------------------- */

/* Normalises a Notion id for a URL path; NV_EINVAL with a message if bad. */
static int path_id(const char *in, const char *what, char out[ID_DASHED_LEN + 1],
		   struct nv_err *err)
{
	if (!in || id_normalize(in, out) < 0)
		return nv_err_set(err, NV_EINVAL, "not a Notion %s id: '%s'", what,
				  in ? in : "(none)");
	return NV_OK;
}

/*
 * Appends a property id URL-encoded exactly once: ids come from the API
 * already percent-encoded ("%3AUPp"), so they are decoded first and then
 * encoded again, as the official SDK does. Returns 0 or -1.
 */
static int add_encoded_property(struct notion_client *c, struct buf *b, const char *prop_id)
{
	int dlen = 0;
	char *decoded = curl_easy_unescape(NULL, prop_id, 0, &dlen);
	char *encoded;

	if (!decoded)
		return -1;
	encoded = curl_easy_escape(NULL, decoded, dlen);
	curl_free(decoded);
	if (!encoded)
		return -1;
	buf_adds(b, encoded);
	curl_free(encoded);
	return 0;
}

/* ---- endpoints ---------------------------------------------------------- */

int notion_retrieve_database(struct notion_client *c, const char *database_id, json_t **out,
			     struct nv_err *err)
{
	char id[ID_DASHED_LEN + 1];
	struct buf path = BUF_INIT;
	int ret;

	*out = NULL;
	nv_err_clear(err);
	if ((ret = path_id(database_id, "database", id, err)))
		return ret;
	buf_addf(&path, "/v1/databases/%s", id);
	ret = client_call(c, path.data, NULL, out, err);
	buf_release(&path);
	return ret;
}

int notion_retrieve_data_source(struct notion_client *c, const char *data_source_id, json_t **out,
				struct nv_err *err)
{
	char id[ID_DASHED_LEN + 1];
	struct buf path = BUF_INIT;
	int ret;

	*out = NULL;
	nv_err_clear(err);
	if (strcmp(c->version, NOTION_VERSION_LEGACY) == 0)
		return nv_err_set(err, NV_EINVAL,
				  "data sources need Notion-Version %s (the client uses %s)",
				  NOTION_VERSION_DATA_SOURCES, c->version);
	if ((ret = path_id(data_source_id, "data source", id, err)))
		return ret;
	buf_addf(&path, "/v1/data_sources/%s", id);
	ret = client_call(c, path.data, NULL, out, err);
	buf_release(&path);
	return ret;
}

/* ---- the streaming query and its windows -------------------------------- */

/*
 * A set of page ids (open addressing, linear probing). It holds only the
 * ids delivered with the newest sort timestamp, so it stays small: its size
 * is bounded by the rows sharing one timestamp, not by the database.
 */
struct idset {
	char **slots;
	size_t cap; /* power of two, or 0 */
	size_t n;
};

static uint64_t idset_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static void idset_clear(struct idset *s)
{
	for (size_t i = 0; i < s->cap; i++) {
		free(s->slots[i]);
		s->slots[i] = NULL;
	}
	s->n = 0;
}

static void idset_release(struct idset *s)
{
	idset_clear(s);
	free(s->slots);
	s->slots = NULL;
	s->cap = 0;
}

/* Returns the slot holding id, or the empty slot where it would go. */
static char **idset_slot(const struct idset *s, const char *id)
{
	size_t i = (size_t)idset_hash(id) & (s->cap - 1);

	while (s->slots[i] && strcmp(s->slots[i], id) != 0)
		i = (i + 1) & (s->cap - 1);
	return &s->slots[i];
}

/* Adds id (copied); returns 1 if it was new, 0 if already present. */
static int idset_add(struct idset *s, const char *id)
{
	char **slot;

	if ((s->n + 1) * 2 > s->cap) {
		struct idset bigger = {xcalloc(s->cap ? s->cap * 2 : 64, sizeof(char *)),
				       s->cap ? s->cap * 2 : 64, s->n};
		for (size_t i = 0; i < s->cap; i++)
			if (s->slots[i])
				*idset_slot(&bigger, s->slots[i]) = s->slots[i];
		free(s->slots);
		*s = bigger;
	}
	slot = idset_slot(s, id);
	if (*slot)
		return 0;
	*slot = xstrdup(id);
	s->n++;
	return 1;
}

static const char *const sort_timestamps[] = {
	[NOTION_SORT_LAST_EDITED] = "last_edited_time",
	[NOTION_SORT_CREATED] = "created_time",
};

struct query_run {
	const char *ts;			      /* "last_edited_time" or "created_time" */
	char window_start[TIME_ISO_MAX + 64]; /* on_or_after of this window, "" = none */
	int64_t window_start_ms;
	int has_window_start; /* window_start parsed as a time */
	int64_t window_rows;  /* rows received in this window */
	int64_t last_ms;      /* sort timestamp of the newest delivered row */
	int has_last;
	struct idset boundary; /* ids delivered with sort timestamp == last_ms */
	int windows;
};

/* A timestamp filter {"timestamp": ts, ts: {op: value}} (new reference). */
static json_t *ts_filter(const char *ts, const char *op, const char *value)
{
	json_t *filter = json_pack("{s:s}", "timestamp", ts);

	json_object_set_new(filter, ts, json_pack("{s:s}", op, value));
	return filter;
}

/*
 * Builds the JSON body of one query request; returns a new string. before
 * ("" or NULL: none) bounds the window from above (a window of a query run
 * on several streams).
 */
static char *query_body(const struct notion_query *q, const struct query_run *r, const char *before,
			const char *cursor)
{
	json_t *body = json_object(), *sort = json_object(), *lo = NULL, *hi = NULL;
	char *text;

	json_object_set_new(sort, "timestamp", json_string(r->ts));
	json_object_set_new(sort, "direction", json_string("ascending"));
	json_object_set_new(body, "sorts", json_pack("[o]", sort));
	json_object_set_new(body, "page_size",
			    json_integer(q->page_size ? q->page_size : DEFAULT_PAGE_SIZE));
	if (r->window_start[0])
		lo = ts_filter(r->ts, "on_or_after", r->window_start);
	if (before && *before)
		hi = ts_filter(r->ts, "before", before);
	if (lo && hi)
		json_object_set_new(body, "filter", json_pack("{s:[o o]}", "and", lo, hi));
	else if (lo || hi)
		json_object_set_new(body, "filter", lo ? lo : hi);
	if (cursor)
		json_object_set_new(body, "start_cursor", json_string(cursor));
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (!text) {
		fputs("nvault: out of memory\n", stderr);
		abort();
	}
	return text;
}

/*
 * Drops rows already delivered (same sort timestamp as the newest delivered
 * row and an id in the boundary set) and updates the boundary. Returns the
 * rows to hand over: `rows` itself (borrowed) when nothing was dropped, else
 * a new array (*owned set to it, released by the caller).
 */
static json_t *dedupe_rows(struct query_run *r, json_t *rows, json_t **owned)
{
	json_t *keep = NULL, *row;
	size_t i;

	*owned = NULL;
	json_array_foreach(rows, i, row)
	{
		const char *id = json_string_value(json_object_get(row, "id"));
		const char *ts = json_string_value(json_object_get(row, r->ts));
		int64_t ms;
		int dup = 0;

		if (id && ts && time_parse_iso(ts, &ms) == 0) {
			if (r->has_last && ms == r->last_ms) {
				dup = !idset_add(&r->boundary, id);
			} else if (!r->has_last || ms > r->last_ms) {
				idset_clear(&r->boundary);
				idset_add(&r->boundary, id);
				r->last_ms = ms;
				r->has_last = 1;
			}
		}
		if (dup && !keep) {
			keep = json_array();
			for (size_t j = 0; j < i; j++)
				json_array_append(keep, json_array_get(rows, j));
		} else if (!dup && keep) {
			json_array_append(keep, row);
		}
	}
	*owned = keep;
	return keep ? keep : rows;
}

/* Starts a new window at the newest delivered timestamp (cap reached). */
static int next_window(struct query_run *r, const struct notion_query *q, struct nv_err *err)
{
	char iso[TIME_ISO_MAX];

	if (!r->has_last)
		return nv_err_set(err, NV_ERR,
				  "Notion query on %s stopped at its result cap (request_status "
				  "incomplete) before returning any row with a %s",
				  q->id, r->ts);
	if (r->has_window_start && r->last_ms <= r->window_start_ms)
		return nv_err_set(err, NV_ERR,
				  "Notion query on %s hit the per-query result cap with all %lld "
				  "rows of the window sharing %s %s: too many rows share one "
				  "timestamp, the rows after them cannot be reached",
				  q->id, (long long)r->window_rows, r->ts,
				  time_format_iso(r->last_ms, iso));
	time_format_iso(r->last_ms, iso);
	snprintf(r->window_start, sizeof(r->window_start), "%s", iso);
	r->window_start_ms = r->last_ms;
	r->has_window_start = 1;
	r->window_rows = 0;
	r->windows++;
	return NV_OK;
}

/*
 * Reads the paging members of a list answer strictly (SPEC §4.4): has_more
 * must be a boolean and next_cursor null or a string; has_more false with a
 * cursor, or true without a new one, is a contradiction. Anything else would
 * let a damaged answer end a listing early and turn live rows into deletions.
 * On success *more is 0/1 and *next the cursor to follow (when *more).
 */
static int listing_paging(json_t *resp, const char *cursor, int *more, const char **next,
			  const char *what, struct nv_err *err)
{
	json_t *hm = json_object_get(resp, "has_more");
	json_t *nc = json_object_get(resp, "next_cursor");

	*more = 0;
	*next = NULL;
	if (!json_is_boolean(hm))
		return nv_err_set(err, NV_ERR,
				  "%s: the answer's has_more is %s, not a boolean; the listing "
				  "cannot be trusted to be complete",
				  what, hm ? "of the wrong type" : "missing");
	if (nc && !json_is_null(nc) && !json_is_string(nc))
		return nv_err_set(err, NV_ERR,
				  "%s: the answer's next_cursor is neither null nor a string; the "
				  "listing cannot be trusted to be complete",
				  what);
	*more = json_is_true(hm);
	*next = json_string_value(nc);
	if (!*more && *next && **next)
		return nv_err_set(err, NV_ERR,
				  "%s: the answer says has_more false but gives a next_cursor; the "
				  "listing contradicts itself",
				  what);
	if (*more && (!*next || !**next || (cursor && strcmp(cursor, *next) == 0)))
		return nv_err_set(err, NV_ERR, "%s: has_more without a new next_cursor", what);
	return NV_OK;
}

/*
 * Checks a query's arguments and builds its path (with filter_properties)
 * into path and its run state into r (r->ts, the initial window).
 */
static int query_setup(struct notion_client *c, const struct notion_query *q, struct query_run *r,
		       struct buf *path, char id[ID_DASHED_LEN + 1], struct nv_err *err)
{
	int ret;

	memset(r, 0, sizeof(*r));
	nv_err_clear(err);
	if ((unsigned)q->sort >= sizeof(sort_timestamps) / sizeof(sort_timestamps[0]))
		return nv_err_set(err, NV_EINVAL, "unknown query sort %d", (int)q->sort);
	if (q->page_size < 0 || q->page_size > MAX_PAGE_SIZE)
		return nv_err_set(err, NV_EINVAL, "page_size %d is outside 1..%d", q->page_size,
				  MAX_PAGE_SIZE);
	if (q->data_source && strcmp(c->version, NOTION_VERSION_LEGACY) == 0)
		return nv_err_set(err, NV_EINVAL,
				  "data source queries need Notion-Version %s (the client uses %s)",
				  NOTION_VERSION_DATA_SOURCES, c->version);
	if ((ret = path_id(q->id, q->data_source ? "data source" : "database", id, err)))
		return ret;
	r->ts = sort_timestamps[q->sort];
	if (q->on_or_after && *q->on_or_after) {
		snprintf(r->window_start, sizeof(r->window_start), "%s", q->on_or_after);
		r->has_window_start = time_parse_iso(q->on_or_after, &r->window_start_ms) == 0;
	}
	buf_addf(path, "/v1/%s/%s/query", q->data_source ? "data_sources" : "databases", id);
	for (size_t i = 0; i < q->n_filter_properties; i++) {
		buf_adds(path, i ? "&filter_properties=" : "?filter_properties=");
		if (add_encoded_property(c, path, q->filter_properties[i]) < 0)
			return nv_err_set(err, NV_EINVAL, "cannot encode property id '%s'",
					  q->filter_properties[i]);
	}
	return NV_OK;
}

int notion_query(struct notion_client *c, const struct notion_query *q, notion_rows_cb cb, void *ud,
		 struct nv_err *err)
{
	char id[ID_DASHED_LEN + 1];
	struct buf path = BUF_INIT;
	struct query_run r;
	char *cursor = NULL;
	int ret;

	if ((ret = query_setup(c, q, &r, &path, id, err)))
		goto out;

	for (;;) {
		char *body = query_body(q, &r, NULL, cursor);
		json_t *resp = NULL, *rows, *owned, *deliver;
		const char *next, *status;
		int has_more;

		ret = client_call(c, path.data, body, &resp, err);
		free(body);
		if (ret)
			goto out;
		rows = json_object_get(resp, "results");
		if (!json_is_array(rows)) {
			json_decref(resp);
			ret = nv_err_set(err, NV_ERR,
					 "Notion query on %s: answer has no results list", id);
			goto out;
		}
		r.window_rows += (int64_t)json_array_size(rows);
		deliver = dedupe_rows(&r, rows, &owned);
		if (json_array_size(deliver) > 0) {
			nv_err_clear(err);
			ret = cb(ud, deliver, err);
		}
		json_decref(owned);
		if (ret) {
			json_decref(resp);
			goto out;
		}

		status = json_string_value(
			json_object_get(json_object_get(resp, "request_status"), "type"));
		if (!(status && strcmp(status, "incomplete") == 0)) {
			char what[128];

			snprintf(what, sizeof(what), "Notion query on %s", id);
			if ((ret = listing_paging(resp, cursor, &has_more, &next, what, err))) {
				json_decref(resp);
				goto out;
			}
		}
		if (status && strcmp(status, "incomplete") == 0) {
			json_decref(resp);
			free(cursor);
			cursor = NULL;
			if (!(ret = next_window(&r, q, err))) {
				pthread_mutex_lock(&c->mu);
				c->stats.cap_windows++;
				pthread_mutex_unlock(&c->mu);
			}
			if (ret)
				goto out;
			continue;
		}
		if (!has_more) {
			json_decref(resp);
			break;
		}
		free(cursor);
		cursor = xstrdup(next);
		json_decref(resp);
	}
	ret = NV_OK;
out:
	free(cursor);
	idset_release(&r.boundary);
	buf_release(&path);
	return ret;
}

/* ---- one query on several streams ----------------------------------------- */

/*
 * notion_query_streams() cuts the query's range of the sort timestamp into
 * windows [start, end) and runs each window's cursor chain on a fetch
 * thread, so several requests can be in flight while the caller's thread
 * works through the pages already fetched. It starts with one window (the
 * whole query); a thread with nothing to do splits the running window with
 * the widest unread range at the middle of what it has left, while the
 * client's latency says more requests in flight are needed to use the rate
 * budget (latency × rate). The split-off window queries on_or_after its
 * start (and before its end); the old one stops at the first row at or past
 * its new end. A window reaching the result cap continues on its own, as a
 * plain query does.
 */
#define STREAMS_MAX 8
#define MINUTE_MS 60000
/* a range narrower than this is not split: Notion's times are whole minutes */
#define SPLIT_MIN_MS (2 * MINUTE_MS)
/* no split below this time to an answer's first byte (a local server) */
#define SPLIT_MIN_LATENCY_MS 100

struct qwin {
	struct query_run r;	   /* cap windows and boundary ids (its thread's) */
	int64_t start_ms;	   /* INT64_MIN when the query has no lower bound */
	int64_t end_ms;		   /* rows from here on are a later window's; INT64_MAX none */
	char before[TIME_ISO_MAX]; /* the upper bound its requests send, "" none */
	int64_t fetched_ms;	   /* sort time of the newest row fetched */
	int64_t first_ms;	   /* of the oldest */
	int64_t fetched_rows;	   /* rows kept so far */
	int64_t delivered_ms;	   /* of the newest row handed to the callback */
	int have_fetched, have_delivered;
	int taken;	    /* a thread runs (or ran) its chain */
	int fetched_done;   /* its last page is fetched */
	int delivered_done; /* and handed over */
	struct qwin *next;  /* windows in order of their start */
};

struct qitem {
	struct qwin *w;
	json_t *rows;	  /* one reference, or NULL */
	json_t *prepared; /* the prepare hook's result (one reference), or NULL */
	int64_t max_ms;	  /* sort time of its newest row; INT64_MIN none */
	int last;
	int rc; /* a failed window: ends the query with err */
	struct nv_err err;
	struct qitem *next;
};

struct qengine {
	struct notion_client *c;
	const struct notion_query *q;
	const struct notion_streams *s;
	const char *path;
	const char *id;
	pthread_mutex_t mu;
	pthread_cond_t work_cv;	 /* fetch threads: a window to take or split */
	pthread_cond_t main_cv;	 /* the caller: a page is queued */
	pthread_cond_t space_cv; /* fetch threads: room in the queue */
	struct qwin *windows;
	struct qitem *head, *tail;
	size_t queued, queue_max;
	int running; /* windows whose chain is being fetched */
	int abort;
};

static int64_t row_sort_ms(const json_t *row, const char *ts)
{
	int64_t ms;

	if (time_parse_iso(json_string_value(json_object_get(row, ts)), &ms))
		return INT64_MIN;
	return ms;
}

static int page_size(const struct notion_query *q)
{
	return q->page_size ? q->page_size : DEFAULT_PAGE_SIZE;
}

/* How many chains should be in flight to keep up with the rate budget (under e->mu). */
static int streams_wanted(struct qengine *e)
{
	struct notion_client *c = e->c;
	double rate, want;
	int64_t lat;
	int have;

	pthread_mutex_lock(&c->mu);
	rate = c->limiter.rate > 0 ? c->limiter.rate : DEFAULT_RATE;
	lat = c->latency_ms;
	have = c->have_latency;
	pthread_mutex_unlock(&c->mu);
	if (!have || lat < SPLIT_MIN_LATENCY_MS)
		return 1;
	want = rate * (double)lat / 1000.0 * 1.5;
	if (want > e->s->max_streams)
		want = e->s->max_streams;
	return want < 1 ? 1 : (int)ceil(want);
}

/* The newest time a row can have: the server's clock (or ours) and a minute. */
static int64_t upper_estimate(struct notion_client *c)
{
	int64_t t = notion_client_server_time(c);

	return (t > 0 ? t : time_now_ms()) + MINUTE_MS;
}

/*
 * Whether windows may be split before their first page: only for a query
 * over the whole range (no on_or_after: a full pass, an id scan) whose rows
 * are expected from a known time and are not known to be few. An
 * incremental pass waits for its first page, whose times say how dense
 * the range is, so a small one stays one request.
 */
static int presplit(const struct qengine *e)
{
	const struct notion_query *q = e->q;

	return !(q->on_or_after && *q->on_or_after) && q->expect_from_ms > 0 &&
	       (q->expect_rows <= 0 || q->expect_rows >= 4 * (int64_t)page_size(q));
}

/*
 * Under e->mu: a window for an idle thread. An untaken one, or one split off
 * the running window with the widest range left, or NULL.
 */
static struct qwin *take_window(struct qengine *e)
{
	struct qwin *w, *best = NULL, *nw;
	int64_t best_span = 0, best_at = 0, upper = 0, hi, mid;

	for (w = e->windows; w; w = w->next)
		if (!w->taken)
			return w;
	if (e->running >= streams_wanted(e))
		return NULL;
	for (w = e->windows; w; w = w->next) {
		int64_t at;

		if (!w->taken || w->fetched_done)
			continue;
		/* where its chain is: the newest row fetched, else where it starts */
		if (w->have_fetched)
			at = w->fetched_ms;
		else if (!presplit(e))
			continue;
		else if (w->start_ms != INT64_MIN)
			at = w->start_ms;
		else
			at = e->q->expect_from_ms;
		if (w->end_ms == INT64_MAX && !upper)
			upper = upper_estimate(e->c);
		hi = w->end_ms == INT64_MAX ? upper : w->end_ms;
		/*
		 * Rows left, at the density read so far: a split leaves each side a
		 * last page that is not full, so a window with less than two pages
		 * left is not worth one (two pages: one each side).
		 */
		if (w->have_fetched && w->first_ms != INT64_MIN && w->fetched_ms > w->first_ms &&
		    (double)w->fetched_rows * (double)(hi - w->fetched_ms) /
				    (double)(w->fetched_ms - w->first_ms) <
			    2.0 * page_size(e->q))
			continue;
		if (hi - at > best_span) {
			best_span = hi - at;
			best_at = at;
			best = w;
		}
	}
	if (!best || best_span < SPLIT_MIN_MS)
		return NULL;
	mid = best_at + best_span / 2;
	mid -= mid % MINUTE_MS;
	if (mid <= best_at || (best->have_fetched && mid <= best->fetched_ms))
		return NULL;
	nw = xcalloc(1, sizeof(*nw));
	nw->r.ts = best->r.ts;
	time_format_iso(mid, nw->r.window_start);
	nw->r.window_start_ms = mid;
	nw->r.has_window_start = 1;
	nw->start_ms = mid;
	nw->end_ms = best->end_ms;
	if (best->end_ms != INT64_MAX)
		time_format_iso(best->end_ms, nw->before);
	best->end_ms = mid;
	nw->next = best->next;
	best->next = nw;
	return nw;
}

/* Under e->mu: queues it (waits for room); drops it when the query is aborted. */
static void push_item(struct qengine *e, struct qitem *it)
{
	while (e->queued >= e->queue_max && !e->abort)
		pthread_cond_wait(&e->space_cv, &e->mu);
	if (e->abort) {
		json_decref(it->rows);
		json_decref(it->prepared);
		free(it);
		return;
	}
	if (e->tail)
		e->tail->next = it;
	else
		e->head = it;
	e->tail = it;
	e->queued++;
	pthread_cond_signal(&e->main_cv);
}

/* Fails window w with err: the query ends (under no lock). */
static void push_error(struct qengine *e, struct qwin *w, int rc, const struct nv_err *err)
{
	struct qitem *it = xcalloc(1, sizeof(*it));

	it->w = w;
	it->rc = rc ? rc : NV_ERR;
	it->err = *err;
	it->max_ms = INT64_MIN;
	pthread_mutex_lock(&e->mu);
	push_item(e, it);
	w->fetched_done = 1; /* after the item is queued: the caller waits for it */
	pthread_cond_broadcast(&e->work_cv);
	pthread_mutex_unlock(&e->mu);
}

/*
 * Keeps the rows of deliver below w's end (under e->mu): a new array (one
 * reference) and whether a row at or past the end was seen.
 */
static json_t *trim_window(struct qwin *w, json_t *deliver, int64_t *max_ms, int *reached_end)
{
	json_t *kept = json_array(), *row;
	size_t i;

	*max_ms = INT64_MIN;
	*reached_end = 0;
	json_array_foreach(deliver, i, row)
	{
		int64_t ms = row_sort_ms(row, w->r.ts);

		if (ms != INT64_MIN && ms >= w->end_ms) {
			*reached_end = 1;
			break; /* ascending: the rest is past it too */
		}
		if (ms > *max_ms)
			*max_ms = ms;
		json_array_append(kept, row);
	}
	return kept;
}

/* Runs window w's cursor chain on this thread, queueing each page. */
static void run_window(struct qengine *e, struct qwin *w)
{
	struct notion_client *c = e->c;
	char *cursor = NULL;
	struct nv_err err;

	for (;;) {
		char *body = query_body(e->q, &w->r, w->before, cursor);
		json_t *resp = NULL, *rows, *owned, *deliver, *kept, *prepared = NULL;
		const char *next = NULL, *status;
		int has_more = 0, incomplete, reached_end, last, rc, aborted;
		int64_t max_ms;
		struct qitem *it;

		pthread_mutex_lock(&e->mu);
		aborted = e->abort;
		pthread_mutex_unlock(&e->mu);
		if (aborted) {
			free(body);
			break;
		}
		nv_err_clear(&err);
		rc = client_call(c, e->path, body, &resp, &err);
		free(body);
		if (rc) {
			push_error(e, w, rc, &err);
			break;
		}
		rows = json_object_get(resp, "results");
		if (!json_is_array(rows)) {
			json_decref(resp);
			nv_err_set(&err, NV_ERR, "Notion query on %s: answer has no results list",
				   e->id);
			push_error(e, w, NV_ERR, &err);
			break;
		}
		status = json_string_value(
			json_object_get(json_object_get(resp, "request_status"), "type"));
		incomplete = status && strcmp(status, "incomplete") == 0;
		if (!incomplete) {
			char what[128];

			snprintf(what, sizeof(what), "Notion query on %s", e->id);
			if ((rc = listing_paging(resp, cursor, &has_more, &next, what, &err))) {
				json_decref(resp);
				push_error(e, w, rc, &err);
				break;
			}
		}
		w->r.window_rows += (int64_t)json_array_size(rows);
		deliver = dedupe_rows(&w->r, rows, &owned);

		pthread_mutex_lock(&e->mu);
		kept = trim_window(w, deliver, &max_ms, &reached_end);
		if (max_ms != INT64_MIN) {
			if (!w->have_fetched)
				w->first_ms = row_sort_ms(json_array_get(kept, 0), w->r.ts);
			w->fetched_ms = max_ms;
			w->have_fetched = 1;
		}
		w->fetched_rows += (int64_t)json_array_size(kept);
		last = reached_end || (!incomplete && !has_more);
		/* a split may be due now: new times and a new latency */
		pthread_cond_broadcast(&e->work_cv);
		pthread_mutex_unlock(&e->mu);
		json_decref(owned);

		if (incomplete && !last) {
			nv_err_clear(&err);
			if ((rc = next_window(&w->r, e->q, &err))) {
				json_decref(kept);
				json_decref(resp);
				push_error(e, w, rc, &err);
				break;
			}
			pthread_mutex_lock(&c->mu);
			c->stats.cap_windows++;
			pthread_mutex_unlock(&c->mu);
		} else if (!last) {
			free(cursor);
			cursor = xstrdup(next);
		}
		json_decref(resp);
		if (json_array_size(kept) && e->s->prepare) {
			nv_err_clear(&err);
			if ((rc = e->s->prepare(e->s->ud, kept, &prepared, &err))) {
				json_decref(kept);
				json_decref(prepared);
				push_error(e, w, rc, &err);
				break;
			}
		}
		it = xcalloc(1, sizeof(*it));
		it->w = w;
		it->rows = kept;
		it->prepared = prepared;
		it->max_ms = max_ms;
		it->last = last;
		pthread_mutex_lock(&e->mu);
		push_item(e, it);
		if (last)
			w->fetched_done = 1; /* after the item is queued: the caller waits for it */
		pthread_cond_broadcast(&e->work_cv);
		pthread_mutex_unlock(&e->mu);
		if (last)
			break;
		if (incomplete) {
			free(cursor);
			cursor = NULL;
		}
	}
	free(cursor);
	idset_release(&w->r.boundary);
}

/* Under e->mu: every window's chain is fetched to its end. */
static int all_fetched(const struct qengine *e)
{
	for (const struct qwin *w = e->windows; w; w = w->next)
		if (!w->fetched_done)
			return 0;
	return 1;
}

static void *stream_thread(void *arg)
{
	struct qengine *e = arg;

	pthread_mutex_lock(&e->mu);
	for (;;) {
		struct qwin *w;

		if (e->abort || all_fetched(e))
			break;
		if (!(w = take_window(e))) {
			pthread_cond_wait(&e->work_cv, &e->mu);
			continue;
		}
		w->taken = 1;
		e->running++;
		pthread_mutex_unlock(&e->mu);
		run_window(e, w);
		pthread_mutex_lock(&e->mu);
		e->running--;
		pthread_cond_broadcast(&e->work_cv);
	}
	pthread_mutex_unlock(&e->mu);
	return NULL;
}

/*
 * Under e->mu: every row with a sort time below the result has been handed
 * over (windows tile the query's range; within one, rows come in order).
 */
static int64_t complete_below(const struct qengine *e)
{
	int64_t b = INT64_MAX;

	for (const struct qwin *w = e->windows; w; w = w->next) {
		int64_t at;

		if (w->delivered_done)
			continue;
		at = w->have_delivered && w->delivered_ms > w->start_ms ? w->delivered_ms
									: w->start_ms;
		if (at < b)
			b = at;
	}
	return b;
}

int notion_query_streams(struct notion_client *c, const struct notion_query *q,
			 const struct notion_streams *s, struct nv_err *err)
{
	char id[ID_DASHED_LEN + 1];
	struct buf path = BUF_INIT;
	struct notion_streams opts = *s;
	struct qengine e;
	struct qwin *w0;
	pthread_t threads[STREAMS_MAX];
	int n_threads = 0, ret;

	memset(&e, 0, sizeof(e));
	w0 = xcalloc(1, sizeof(*w0));
	if ((ret = query_setup(c, q, &w0->r, &path, id, err))) {
		idset_release(&w0->r.boundary);
		free(w0);
		buf_release(&path);
		return ret;
	}
	if (opts.max_streams < 1)
		opts.max_streams = 1;
	if (opts.max_streams > STREAMS_MAX)
		opts.max_streams = STREAMS_MAX;
	w0->start_ms = w0->r.has_window_start ? w0->r.window_start_ms : INT64_MIN;
	w0->end_ms = INT64_MAX;
	e.c = c;
	e.q = q;
	e.s = &opts;
	e.path = path.data;
	e.id = id;
	e.windows = w0;
	e.queue_max = (size_t)opts.max_streams + 1;
	pthread_mutex_init(&e.mu, NULL);
	pthread_cond_init(&e.work_cv, NULL);
	pthread_cond_init(&e.main_cv, NULL);
	pthread_cond_init(&e.space_cv, NULL);
	for (int i = 0; i < opts.max_streams; i++) {
		if (pthread_create(&threads[n_threads], NULL, stream_thread, &e) != 0)
			break;
		n_threads++;
	}
	ret = NV_OK;
	if (!n_threads)
		ret = nv_err_set(err, NV_ERR, "Notion query on %s: cannot start a fetch thread",
				 id);

	pthread_mutex_lock(&e.mu);
	while (!ret) {
		struct qitem *it;
		struct notion_page page;

		while (!e.head && !all_fetched(&e))
			pthread_cond_wait(&e.main_cv, &e.mu);
		if (!(it = e.head))
			break; /* every window fetched and handed over */
		e.head = it->next;
		if (!e.head)
			e.tail = NULL;
		e.queued--;
		pthread_cond_signal(&e.space_cv);
		if (it->rc) {
			ret = it->rc;
			nv_err_set(err, it->rc, "%s", it->err.msg);
			if (err)
				err->http_status = it->err.http_status;
			free(it);
			break;
		}
		if (it->max_ms != INT64_MIN) {
			it->w->delivered_ms = it->max_ms;
			it->w->have_delivered = 1;
		}
		if (it->last)
			it->w->delivered_done = 1;
		page.rows = it->rows;
		page.prepared = it->prepared;
		page.complete_below_ms = complete_below(&e);
		pthread_mutex_unlock(&e.mu);
		if (json_array_size(it->rows) > 0) {
			nv_err_clear(err);
			ret = opts.page(opts.ud, &page, err);
		}
		json_decref(it->rows);
		json_decref(it->prepared);
		free(it);
		pthread_mutex_lock(&e.mu);
	}
	e.abort = 1;
	pthread_cond_broadcast(&e.work_cv);
	pthread_cond_broadcast(&e.space_cv);
	pthread_mutex_unlock(&e.mu);
	for (int i = 0; i < n_threads; i++)
		pthread_join(threads[i], NULL);

	while (e.head) {
		struct qitem *it = e.head;
		e.head = it->next;
		json_decref(it->rows);
		json_decref(it->prepared);
		free(it);
	}
	while (e.windows) {
		struct qwin *w = e.windows;
		e.windows = w->next;
		idset_release(&w->r.boundary);
		free(w);
	}
	pthread_cond_destroy(&e.work_cv);
	pthread_cond_destroy(&e.main_cv);
	pthread_cond_destroy(&e.space_cv);
	pthread_mutex_destroy(&e.mu);
	buf_release(&path);
	return ret;
}

/* ---- the paged property endpoint ---------------------------------------- */

int notion_retrieve_property(struct notion_client *c, const char *page_id, const char *property_id,
			     json_t **out, struct nv_err *err)
{
	char id[ID_DASHED_LEN + 1];
	struct buf base = BUF_INIT, path = BUF_INIT;
	json_t *results = NULL, *last_item = NULL;
	char *cursor = NULL;
	int ret;

	*out = NULL;
	nv_err_clear(err);
	if ((ret = path_id(page_id, "page", id, err)))
		return ret;
	if (!property_id || !*property_id)
		return nv_err_set(err, NV_EINVAL, "no property id given for page %s", id);
	buf_addf(&base, "/v1/pages/%s/properties/", id);
	if (add_encoded_property(c, &base, property_id) < 0) {
		ret = nv_err_set(err, NV_EINVAL, "cannot encode property id '%s'", property_id);
		goto out;
	}

	for (;;) {
		json_t *resp = NULL, *items;
		const char *object, *next;

		buf_reset(&path);
		buf_addf(&path, "%s?page_size=%d", base.data, DEFAULT_PAGE_SIZE);
		if (cursor) {
			char *enc = curl_easy_escape(NULL, cursor, 0);
			if (!enc) {
				ret = nv_err_set(err, NV_ERR, "cannot encode a cursor");
				goto out;
			}
			buf_addf(&path, "&start_cursor=%s", enc);
			curl_free(enc);
		}
		if ((ret = client_call(c, path.data, NULL, &resp, err)))
			goto out;
		object = json_string_value(json_object_get(resp, "object"));
		if (!object || strcmp(object, "list") != 0) {
			if (results) {
				json_decref(resp);
				ret = nv_err_set(
					err, NV_ERR,
					"property %s of page %s: a later page is not a list",
					property_id, id);
				goto out;
			}
			*out = resp; /* a simple property: one item */
			goto out;
		}
		items = json_object_get(resp, "results");
		if (!json_is_array(items)) {
			json_decref(resp);
			ret = nv_err_set(err, NV_ERR,
					 "property %s of page %s: list without results",
					 property_id, id);
			goto out;
		}
		if (!results)
			results = json_array();
		json_array_extend(results, items);
		json_decref(last_item);
		last_item = json_incref(json_object_get(resp, "property_item"));
		{
			char what[160];
			int more;

			snprintf(what, sizeof(what), "property %s of page %s", property_id, id);
			if ((ret = listing_paging(resp, cursor, &more, &next, what, err))) {
				json_decref(resp);
				goto out;
			}
			if (!more) {
				json_decref(resp);
				break;
			}
		}
		free(cursor);
		cursor = xstrdup(next);
		json_decref(resp);
	}
	*out = json_object();
	json_object_set_new(*out, "results", results);
	results = NULL;
	json_object_set_new(*out, "property_item", last_item ? last_item : json_null());
	last_item = NULL;
out:
	json_decref(results);
	json_decref(last_item);
	free(cursor);
	buf_release(&base);
	buf_release(&path);
	return ret;
}

/* ---- search ------------------------------------------------------------- */

int notion_search(struct notion_client *c, notion_rows_cb cb, void *ud, struct nv_err *err)
{
	const char *kind = strcmp(c->version, NOTION_VERSION_LEGACY) ? "data_source" : "database";
	char *cursor = NULL;
	int rc = NV_OK;

	for (;;) {
		json_t *body = json_pack("{s:{s:s s:s} s:i}", "filter", "property", "object",
					 "value", kind, "page_size", 100);
		json_t *resp = NULL, *results;
		const char *next;
		char *text;
		int more;

		if (cursor)
			json_object_set_new(body, "start_cursor", json_string(cursor));
		text = json_dumps(body, JSON_COMPACT);
		json_decref(body);
		rc = client_call(c, "/v1/search", text, &resp, err);
		free(text);
		if (rc)
			break;
		results = json_object_get(resp, "results");
		if (!json_is_array(results)) {
			json_decref(resp);
			rc = nv_err_set(err, NV_ERR,
					"Notion search: the answer has no results list");
			break;
		}
		if ((rc = listing_paging(resp, cursor, &more, &next, "Notion search", err)) ||
		    (rc = cb(ud, results, err))) {
			json_decref(resp);
			break;
		}
		free(cursor);
		cursor = more ? xstrdup(next) : NULL;
		json_decref(resp);
		if (!more)
			break;
	}
	free(cursor);
	return rc;
}
