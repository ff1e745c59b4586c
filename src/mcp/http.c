/*
 * http.c: MCP over Streamable HTTP (see mcp_http.h) on libmicrohttpd in
 * thread-per-connection mode.
 *
 * Each session owns an mcp_server whose writer is session_writer(). What
 * the server writes on the thread that is handling a message (handler)
 * is that message's immediate answer; what a worker thread writes (a
 * sync's progress and its final answer) is routed by request id or
 * progress token to the waiter registered for that request, which streams
 * it as server-sent events or, for a client that takes JSON only, answers
 * with the final message alone.
 *
 * Locks, always taken in this order: session.call (one message at a time
 * per session) → http.gate (admission) → the mcp server's own locks →
 * session.out (routing state, waiters, their queues) → the server's job
 * lock; http.lock (the session table, reference counts, stopping) is never
 * held while taking another.
 *
 * Admission: at most as many messages are handled at once as there are
 * CPUs (at least 2), the others wait their turn first come, first served.
 * Twenty clients reading flat out on two cores otherwise run twenty
 * threads at once: each call takes as long as all of them together, and
 * the scheduler's unfairness makes the slowest ones many times slower.
 */
#include "mcp/mcp_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <sys/sysinfo.h>

#include <jansson.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "mcp/mcp.h"
#include "util/buf.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define SESSION_ID_LEN 32	  /* hex digits of 16 random bytes */
#define MAX_QUEUED_NOTES 1024	  /* progress notifications kept for a slow reader */
#define KEEPALIVE_MS 15000	  /* an SSE comment this often while nothing happens */
#define ORPHAN_MS 5000		  /* a waiter whose worker is gone gives up after this */
#define IDLE_SESSION_MS 3600000LL /* an unused session expires after an hour */

/* One message a worker wrote for a waiting request. */
struct msg {
	struct msg *next;
	char *text;
	size_t len;
	int is_response;
};

/* A request answered later by a worker: its messages queue here. */
struct waiter {
	struct waiter *next;
	json_t *id;    /* the request id */
	json_t *token; /* its progressToken, or NULL */
	struct msg *head, **tail;
	int notes;	    /* notifications queued */
	int responded;	    /* the final answer is queued */
	int ended;	    /* cancelled or the session went away: stop waiting */
	int64_t idle_since; /* when the worker was first seen gone, or 0 */
};

struct mcp_http;

struct session {
	struct session *next;
	struct mcp_http *h;
	char id[SESSION_ID_LEN + 1];
	struct mcp_server *m;
	pthread_mutex_t call;
	/* out guards everything below */
	pthread_mutex_t out;
	pthread_cond_t cond;
	int handling; /* a message is being handled by `handler` */
	pthread_t handler;
	struct buf reply; /* its immediate answer */
	struct waiter *waiters;
	int deleted;
	int settled; /* the server is stopping and this session's sync has answered */
	/* http.lock guards these */
	int refs;
	int in_table;
	int64_t last_used;
};

struct mcp_http {
	const struct settings *st;
	struct MHD_Daemon *daemon;
	int listen_fd;
	unsigned port;
	char url[300];
	char host[256]; /* the listen host as written, without brackets */
	int loopback;	/* the listen address is a loopback one */
	int wildcard;	/* 0.0.0.0 or :: */
	int has_token;
	char token_hash[HASH_HEX_LEN + 1];
	size_t max_body;
	unsigned max_sessions;
	pthread_mutex_t lock;	/* sessions, counts, refs, streams, stopping */
	pthread_cond_t drained; /* streams went to 0 */
	struct session *sessions;
	unsigned n_sessions;
	unsigned streams; /* SSE responses not yet finished */
	int stopping;
	/* admission (see the top): tickets in arrival order, handled in that order */
	pthread_mutex_t gate;
	pthread_cond_t turn;
	uint64_t next_ticket, finished;
	unsigned slots;
};

/* Waits until a message may be handled: its ticket is among the first h->slots unfinished. */
static void gate_enter(struct mcp_http *h)
{
	uint64_t ticket;

	pthread_mutex_lock(&h->gate);
	ticket = h->next_ticket++;
	while (ticket >= h->finished + h->slots)
		pthread_cond_wait(&h->turn, &h->gate);
	pthread_mutex_unlock(&h->gate);
}

static void gate_leave(struct mcp_http *h)
{
	pthread_mutex_lock(&h->gate);
	h->finished++;
	pthread_cond_broadcast(&h->turn);
	pthread_mutex_unlock(&h->gate);
}

/* Per-request state of one HTTP request (MHD's con_cls). */
struct req {
	struct buf body;
	int too_large;
};

/* ---- small helpers --------------------------------------------------------- */

static int is_stopping(struct mcp_http *h)
{
	int s;

	pthread_mutex_lock(&h->lock);
	s = h->stopping;
	pthread_mutex_unlock(&h->lock);
	return s;
}

/* Case-insensitive: does the comma-separated header list name this media type? */
static int accepts(const char *accept, const char *type)
{
	size_t n = strlen(type);

	for (const char *p = accept; p && *p;) {
		while (*p == ' ' || *p == ',')
			p++;
		if (!strncasecmp(p, type, n) &&
		    (p[n] == '\0' || p[n] == ',' || p[n] == ';' || p[n] == ' '))
			return 1;
		p = strchr(p, ',');
	}
	return 0;
}

/* Copies the host part of "host[:port]" or "[v6]:port" (lowercase) into out. */
static void host_part(const char *hostport, char *out, size_t cap)
{
	const char *end;
	size_t n;

	if (hostport[0] == '[') {
		hostport++;
		end = strchr(hostport, ']');
	} else {
		end = strchr(hostport, ':');
	}
	n = end ? (size_t)(end - hostport) : strlen(hostport);
	if (n >= cap)
		n = cap - 1;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)((hostport[i] >= 'A' && hostport[i] <= 'Z') ? hostport[i] + 32
									   : hostport[i]);
	out[n] = '\0';
}

static int host_is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (!strcmp(host, "localhost"))
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return 0;
}

static int sockaddr_is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr) >>
			24) == 127;
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a =
			&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		if (IN6_IS_ADDR_LOOPBACK(a))
			return 1;
		return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
	}
	return 0;
}

static int sockaddr_is_wildcard(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr ==
		       INADDR_ANY;
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(
			&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr);
	return 0;
}

/* Splits "host:port" / "[v6]:port" and resolves it; *res from getaddrinfo. */
static int resolve_listen(const char *listen, char *host, size_t cap, struct addrinfo **res,
			  struct nv_err *err)
{
	struct addrinfo hints;
	const char *colon, *hs = listen, *he;
	char port[8];
	size_t n;
	int rc;

	*res = NULL;
	colon = listen ? strrchr(listen, ':') : NULL;
	if (!colon || colon == listen || !colon[1] || strlen(colon + 1) > 5 ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1))
		return nv_err_set(err, NV_EUSAGE,
				  "--http: '%.200s' is not ADDR:PORT (for example 127.0.0.1:8080, "
				  "[::1]:8080 or 0.0.0.0:8080)",
				  listen ? listen : "");
	he = colon;
	if (hs[0] == '[') {
		if (he[-1] != ']')
			return nv_err_set(err, NV_EUSAGE,
					  "--http: '%.200s': an IPv6 address goes in brackets, "
					  "[::1]:8080",
					  listen);
		hs++;
		he--;
	}
	n = (size_t)(he - hs);
	if (!n || n >= cap)
		return nv_err_set(err, NV_EUSAGE, "--http: '%.200s' has no usable address", listen);
	memcpy(host, hs, n);
	host[n] = '\0';
	snprintf(port, sizeof(port), "%s", colon + 1);
	if (atoi(port) > 65535)
		return nv_err_set(err, NV_EUSAGE, "--http: port %s is out of range (0-65535)",
				  port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
	rc = getaddrinfo(host, port, &hints, res);
	if (rc)
		return nv_err_set(err, NV_EUSAGE, "--http: cannot resolve '%s': %s", host,
				  gai_strerror(rc));
	return 0;
}

int mcp_http_check_listen(const char *listen, int *loopback, struct nv_err *err)
{
	struct addrinfo *res;
	char host[256];
	int rc = resolve_listen(listen, host, sizeof(host), &res, err);

	if (rc)
		return rc;
	*loopback = sockaddr_is_loopback(res->ai_addr);
	freeaddrinfo(res);
	return 0;
}

/* Constant-time check of "Authorization: Bearer <token>". */
static int authorized(struct mcp_http *h, const char *header)
{
	char got[HASH_HEX_LEN + 1];

	if (!h->has_token)
		return 1;
	if (!header || strncasecmp(header, "Bearer ", 7))
		return 0;
	header += 7;
	while (*header == ' ')
		header++;
	/* hashing first makes the comparison independent of the length too */
	hash_sha256_hex(header, strlen(header), got);
	return CRYPTO_memcmp(got, h->token_hash, HASH_HEX_LEN) == 0;
}

/* DNS-rebinding defence: which hosts may appear in Origin (and Host on loopback). */
static int host_allowed(struct mcp_http *h, const char *host)
{
	if (host_is_loopback(host))
		return 1;
	return !h->wildcard && !strcasecmp(host, h->host);
}

static int origin_allowed(struct mcp_http *h, const char *origin)
{
	const char *p = strstr(origin, "://");
	char host[256];
	size_t n;
	char hostport[300];

	if (!p)
		return 0; /* "null" and anything that is not scheme://host */
	p += 3;
	n = strcspn(p, "/");
	if (n >= sizeof(hostport))
		return 0;
	memcpy(hostport, p, n);
	hostport[n] = '\0';
	host_part(hostport, host, sizeof(host));
	return host_allowed(h, host);
}

/* ---- sessions -------------------------------------------------------------- */

static void msgs_free(struct msg *m)
{
	while (m) {
		struct msg *next = m->next;
		free(m->text);
		free(m);
		m = next;
	}
}

static void waiter_free(struct waiter *w)
{
	if (!w)
		return;
	msgs_free(w->head);
	json_decref(w->id);
	json_decref(w->token);
	free(w);
}

/* The waiter a worker's message belongs to (out held), or NULL. */
static struct waiter *route(struct session *s, const json_t *msg, int *is_response)
{
	const json_t *method = json_object_get(msg, "method");
	const json_t *key;

	*is_response = !method;
	if (method)
		key = json_object_get(json_object_get(msg, "params"), "progressToken");
	else
		key = json_object_get(msg, "id");
	if (!key)
		return NULL;
	for (struct waiter *w = s->waiters; w; w = w->next)
		if (json_equal(method ? w->token : w->id, key))
			return w;
	return NULL;
}

/*
 * The mcp_server's writer: the handling thread's output is the immediate
 * answer; anything else came from a worker and goes to its waiter.
 */
static void session_writer(void *ud, const char *line, size_t len)
{
	struct session *s = ud;
	json_t *msg = NULL;
	struct waiter *w;
	struct msg *item;
	int is_response;

	pthread_mutex_lock(&s->out);
	if (s->handling && pthread_equal(s->handler, pthread_self())) {
		if (s->reply.len)
			buf_addch(&s->reply, '\n'); /* never expected: one answer per message */
		buf_add(&s->reply, line, len);
		pthread_mutex_unlock(&s->out);
		return;
	}
	pthread_mutex_unlock(&s->out);

	msg = json_loadb(line, len, 0, NULL);
	pthread_mutex_lock(&s->out);
	w = msg ? route(s, msg, &is_response) : NULL;
	if (!w || w->ended || (!is_response && w->notes >= MAX_QUEUED_NOTES)) {
		log_debug("mcp http: session %.8s…: a worker message has no waiting request; "
			  "dropped",
			  s->id);
	} else {
		item = xcalloc(1, sizeof(*item));
		item->text = xstrndup(line, len);
		item->len = len;
		item->is_response = is_response;
		*w->tail = item;
		w->tail = &item->next;
		if (is_response)
			w->responded = 1;
		else
			w->notes++;
		pthread_cond_broadcast(&s->cond);
	}
	pthread_mutex_unlock(&s->out);
	json_decref(msg);
}

static int session_new(struct mcp_http *h, struct session **out, struct nv_err *err)
{
	struct session *s = xcalloc(1, sizeof(*s));
	unsigned char rnd[SESSION_ID_LEN / 2];

	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		free(s);
		return nv_err_set(err, NV_ERR, "no random bytes for a session id");
	}
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(s->id + 2 * i, 3, "%02x", rnd[i]);
	s->h = h;
	s->refs = 1;
	pthread_mutex_init(&s->call, NULL);
	pthread_mutex_init(&s->out, NULL);
	pthread_cond_init(&s->cond, NULL);
	if (mcp_server_new(h->st, session_writer, s, &s->m, err)) {
		pthread_mutex_destroy(&s->call);
		pthread_mutex_destroy(&s->out);
		pthread_cond_destroy(&s->cond);
		free(s);
		return err && err->code ? (int)err->code : NV_ERR;
	}
	*out = s;
	return 0;
}

static void session_free(struct session *s)
{
	struct waiter *w, *next;

	mcp_server_free(s->m); /* waits for its worker, which writes through s */
	for (w = s->waiters; w; w = next) {
		next = w->next;
		waiter_free(w);
	}
	buf_release(&s->reply);
	pthread_mutex_destroy(&s->call);
	pthread_mutex_destroy(&s->out);
	pthread_cond_destroy(&s->cond);
	free(s);
}

static void session_put(struct session *s)
{
	struct mcp_http *h;
	int last;

	if (!s)
		return;
	h = s->h;
	pthread_mutex_lock(&h->lock);
	last = --s->refs == 0;
	pthread_mutex_unlock(&h->lock);
	if (last)
		session_free(s);
}

/* Unlinks s from the table (h->lock held); the table's reference passes to the caller. */
static void unlink_session(struct mcp_http *h, struct session *s)
{
	for (struct session **pp = &h->sessions; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			s->in_table = 0;
			h->n_sessions--;
			return;
		}
}

/* Finds a session by id and takes a reference, or NULL. */
static struct session *session_get(struct mcp_http *h, const char *id)
{
	struct session *found = NULL;

	if (strlen(id) != SESSION_ID_LEN)
		return NULL;
	pthread_mutex_lock(&h->lock);
	for (struct session *s = h->sessions; s; s = s->next)
		if (!CRYPTO_memcmp(s->id, id, SESSION_ID_LEN)) {
			found = s;
			s->refs++;
			s->last_used = time_mono_ms();
			break;
		}
	pthread_mutex_unlock(&h->lock);
	return found;
}

/* Marks s gone for its waiters and stops its sync; the caller holds a reference. */
static void session_end(struct session *s, int stop_sync)
{
	pthread_mutex_lock(&s->out);
	s->deleted = 1;
	for (struct waiter *w = s->waiters; w; w = w->next)
		w->ended = 1;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->out);
	if (stop_sync) {
		pthread_mutex_lock(&s->call);
		mcp_server_settle(s->m, 1);
		pthread_mutex_unlock(&s->call);
	}
}

/*
 * Adds s to the table, first dropping sessions unused for an hour and, when
 * full, the least recently used idle one. NV_EBUSY when none can go.
 */
static int session_insert(struct mcp_http *h, struct session *s, struct nv_err *err)
{
	struct session *victims = NULL, *v, *oldest;
	int64_t now = time_mono_ms();
	int rc = 0;

	pthread_mutex_lock(&h->lock);
	if (h->stopping) {
		pthread_mutex_unlock(&h->lock);
		return nv_err_set(err, NV_EINTERRUPTED, "the server is stopping");
	}
	for (struct session **pp = &h->sessions; *pp;) {
		v = *pp;
		if (v->refs == 1 && now - v->last_used > IDLE_SESSION_MS &&
		    !mcp_server_pending(v->m)) {
			*pp = v->next;
			v->in_table = 0;
			h->n_sessions--;
			v->next = victims;
			victims = v;
		} else {
			pp = &v->next;
		}
	}
	if (h->n_sessions >= h->max_sessions) {
		oldest = NULL;
		for (v = h->sessions; v; v = v->next)
			if (v->refs == 1 && !mcp_server_pending(v->m) &&
			    (!oldest || v->last_used < oldest->last_used))
				oldest = v;
		if (oldest) {
			unlink_session(h, oldest);
			oldest->next = victims;
			victims = oldest;
		}
	}
	if (h->n_sessions >= h->max_sessions) {
		rc = nv_err_set(err, NV_EBUSY, "too many open sessions (%u); try again later",
				h->max_sessions);
	} else {
		s->refs++; /* the table's */
		s->in_table = 1;
		s->last_used = now;
		s->next = h->sessions;
		h->sessions = s;
		h->n_sessions++;
	}
	pthread_mutex_unlock(&h->lock);
	while (victims) {
		v = victims;
		victims = v->next;
		log_info("mcp http: session %.8s… expired", v->id);
		session_end(v, 1);
		session_put(v);
	}
	return rc;
}

/* ---- responses ------------------------------------------------------------- */

static enum MHD_Result send_response(struct MHD_Connection *c, unsigned status,
				     struct MHD_Response *r)
{
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static struct MHD_Response *buffer_response(char *data, size_t len, const char *type)
{
	struct MHD_Response *r;

	if (data)
		r = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	else
		r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (r && type)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	return r;
}

/* An HTTP error with a JSON-RPC error body, as the SDK's server sends. */
static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, int code,
				  const char *message)
{
	json_t *j = json_pack("{s:s, s:n, s:{s:i, s:s}}", "jsonrpc", "2.0", "id", "error", "code",
			      code, "message", message);
	char *text = json_dumps(j, JSON_COMPACT);
	struct MHD_Response *r;

	json_decref(j);
	r = buffer_response(text, text ? strlen(text) : 0, "application/json");
	if (r && status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Bearer realm=\"nvault\"");
	if (r && status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "POST, DELETE");
	log_debug("mcp http: answered %u: %s", status, message);
	return send_response(c, status, r);
}

/* ---- waiting for a worker's messages ------------------------------------- */

/*
 * Takes the next message for w (out held by the caller), waiting up to
 * wait_ms. Returns it (the caller frees it), or NULL when nothing came; sets
 * *done when nothing more will come.
 */
static struct msg *next_msg(struct session *s, struct waiter *w, int64_t wait_ms, int *done)
{
	struct msg *m;
	struct timespec ts;

	*done = 0;
	for (;;) {
		if ((m = w->head)) {
			w->head = m->next;
			m->next = NULL; /* the caller frees m alone, not the queue behind it */
			if (!w->head)
				w->tail = &w->head;
			if (!m->is_response)
				w->notes--;
			else
				*done = 1;
			return m;
		}
		if (w->ended || w->responded) {
			*done = 1;
			return NULL;
		}
		/* a worker that ended without answering (a cancelled run) */
		if (!mcp_server_pending(s->m)) {
			/*
			 * A worker marks itself finished just before it queues its
			 * answer: while stopping, end only once mcp_http_stop() has
			 * joined it, so the answer is in the queue by then.
			 */
			if (s->settled) {
				*done = 1;
				return NULL;
			}
			int64_t now = time_mono_ms();
			if (!w->idle_since)
				w->idle_since = now;
			else if (now - w->idle_since >= ORPHAN_MS) {
				*done = 1;
				return NULL;
			}
		}
		if (wait_ms <= 0)
			return NULL;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 250 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&s->cond, &s->out, &ts);
		wait_ms -= 250;
	}
}

static void waiter_remove(struct session *s, struct waiter *w)
{
	pthread_mutex_lock(&s->out);
	for (struct waiter **pp = &s->waiters; *pp; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	pthread_mutex_unlock(&s->out);
	waiter_free(w);
}

/* An SSE response being streamed: a session reference and its waiter. */
struct stream {
	struct session *s;
	struct waiter *w;
	struct buf out;
	size_t off;
	int done;
	int64_t quiet_since;
};

static ssize_t stream_read(void *cls, uint64_t pos, char *dst, size_t max)
{
	struct stream *st = cls;
	size_t n;

	while (st->off == st->out.len) {
		struct msg *m;
		int done = 0;

		buf_reset(&st->out);
		st->off = 0;
		if (st->done)
			return MHD_CONTENT_READER_END_OF_STREAM;
		pthread_mutex_lock(&st->s->out);
		/* wait for one message, then take whatever else is already queued */
		for (int64_t wait = 1000; (m = next_msg(st->s, st->w, wait, &done)); wait = 0) {
			buf_adds(&st->out, "event: message\ndata: ");
			buf_add(&st->out, m->text, m->len);
			buf_adds(&st->out, "\n\n");
			msgs_free(m);
			if (done)
				break;
		}
		pthread_mutex_unlock(&st->s->out);
		if (done)
			st->done = 1;
		if (st->out.len) {
			st->quiet_since = time_mono_ms();
		} else if (!done && time_mono_ms() - st->quiet_since >= KEEPALIVE_MS) {
			buf_adds(&st->out, ": keepalive\n\n");
			st->quiet_since = time_mono_ms();
		}
	}
	n = st->out.len - st->off;
	if (n > max)
		n = max;
	memcpy(dst, st->out.data + st->off, n);
	st->off += n;
	return (ssize_t)n;
}

static void stream_free(void *cls)
{
	struct stream *st = cls;

	struct mcp_http *h = st->s->h;

	waiter_remove(st->s, st->w);
	session_put(st->s);
	buf_release(&st->out);
	free(st);
	pthread_mutex_lock(&h->lock);
	if (!--h->streams)
		pthread_cond_broadcast(&h->drained);
	pthread_mutex_unlock(&h->lock);
}

/* ---- POST ------------------------------------------------------------------ */

/* A session's answer as JSON (or one SSE event for a client taking only that). */
static enum MHD_Result send_reply(struct MHD_Connection *c, struct buf *reply, int as_sse,
				  const char *session_id)
{
	struct MHD_Response *r;

	if (as_sse) {
		struct buf b = BUF_INIT;
		buf_adds(&b, "event: message\ndata: ");
		buf_add(&b, reply->data, reply->len);
		buf_adds(&b, "\n\n");
		r = buffer_response(buf_detach(&b), b.len, "text/event-stream");
		buf_release(&b);
	} else {
		size_t len = reply->len;
		r = buffer_response(buf_detach(reply), len, "application/json");
	}
	if (r && session_id)
		MHD_add_response_header(r, "Mcp-Session-Id", session_id);
	return send_response(c, MHD_HTTP_OK, r);
}

/* What the HTTP layer needs to know about a message before handing it on. */
struct classified {
	int is_initialize;
	int has_request; /* a request (method and id) */
	int batch_with_initialize;
	int cancels;	     /* notifications/cancelled */
	const json_t *id;    /* single request: its id */
	const json_t *token; /* single request: params._meta.progressToken */
	const json_t *cancelled_id;
};

static void classify(const json_t *msg, struct classified *k)
{
	memset(k, 0, sizeof(*k));
	if (json_is_array(msg)) {
		size_t i;
		const json_t *e;
		json_array_foreach(msg, i, e)
		{
			const json_t *method = json_object_get(e, "method");
			if (json_is_string(method) &&
			    !strcmp(json_string_value(method), "initialize"))
				k->batch_with_initialize = 1;
			if (method && json_object_get(e, "id"))
				k->has_request = 1;
		}
		return;
	}
	if (!json_is_object(msg))
		return;
	{
		const json_t *method = json_object_get(msg, "method");
		const char *name = json_is_string(method) ? json_string_value(method) : "";
		const json_t *params = json_object_get(msg, "params");

		k->is_initialize = !strcmp(name, "initialize");
		k->cancels = !strcmp(name, "notifications/cancelled");
		if (k->cancels)
			k->cancelled_id = json_object_get(params, "requestId");
		if (method && json_object_get(msg, "id")) {
			k->has_request = 1;
			k->id = json_object_get(msg, "id");
			k->token =
				json_object_get(json_object_get(params, "_meta"), "progressToken");
		}
	}
}

/*
 * Runs one message through session s and answers the HTTP request:
 * immediate answer → 200; a request a worker will answer → SSE (or JSON
 * when the client takes no SSE); anything else → 202.
 */
static enum MHD_Result post_to_session(struct MHD_Connection *c, struct session *s,
				       const struct buf *body, const struct classified *k,
				       int sse_ok, int json_ok, int new_session)
{
	struct waiter *w = NULL;
	struct buf reply = BUF_INIT;
	struct stream *st;
	struct MHD_Response *r;

	pthread_mutex_lock(&s->call);
	if (is_stopping(s->h)) {
		pthread_mutex_unlock(&s->call);
		return send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, -32000,
				  "Service Unavailable: the server is stopping");
	}
	if (k->id) {
		/* registered first: a worker may write before the handler returns */
		w = xcalloc(1, sizeof(*w));
		w->id = json_deep_copy(k->id);
		w->token = k->token ? json_deep_copy(k->token) : NULL;
		w->tail = &w->head;
	}
	pthread_mutex_lock(&s->out);
	if (k->cancels && k->cancelled_id)
		for (struct waiter *x = s->waiters; x; x = x->next)
			if (json_equal(x->id, k->cancelled_id))
				x->ended = 1; /* MCP: no answer to a cancelled request */
	if (w) {
		w->next = s->waiters;
		s->waiters = w;
	}
	s->handling = 1;
	s->handler = pthread_self();
	buf_reset(&s->reply);
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->out);

	gate_enter(s->h);
	mcp_handle_line(s->m, body->data, body->len);
	gate_leave(s->h);

	pthread_mutex_lock(&s->out);
	s->handling = 0;
	reply = s->reply;
	memset(&s->reply, 0, sizeof(s->reply));
	pthread_mutex_unlock(&s->out);
	pthread_mutex_unlock(&s->call);

	if (reply.len) {
		enum MHD_Result ret;
		if (w)
			waiter_remove(s, w);
		ret = send_reply(c, &reply, !json_ok && sse_ok, new_session ? s->id : NULL);
		buf_release(&reply);
		return ret;
	}
	buf_release(&reply);
	if (!w || !k->has_request) {
		if (w)
			waiter_remove(s, w);
		return send_response(c, MHD_HTTP_ACCEPTED, buffer_response(NULL, 0, NULL));
	}

	if (!sse_ok) {
		/* JSON only: wait for the final answer, dropping progress */
		struct msg *m = NULL;
		int done = 0;
		pthread_mutex_lock(&s->out);
		while (!done) {
			msgs_free(m);
			m = next_msg(s, w, 1000, &done);
			if (m && !m->is_response) {
				msgs_free(m);
				m = NULL;
			}
		}
		pthread_mutex_unlock(&s->out);
		waiter_remove(s, w);
		if (!m)
			return send_response(c, MHD_HTTP_ACCEPTED, buffer_response(NULL, 0, NULL));
		r = buffer_response(m->text, m->len, "application/json");
		m->text = NULL;
		msgs_free(m);
		return send_response(c, MHD_HTTP_OK, r);
	}

	st = xcalloc(1, sizeof(*st));
	st->s = s;
	st->w = w;
	st->quiet_since = time_mono_ms();
	pthread_mutex_lock(&s->h->lock);
	s->refs++; /* the stream's */
	s->h->streams++;
	pthread_mutex_unlock(&s->h->lock);
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, stream_read, st,
					      stream_free);
	if (!r) {
		stream_free(st);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	return send_response(c, MHD_HTTP_OK, r);
}

static int supported_version(const char *v)
{
	for (const char *const *p = mcp_protocol_versions; *p; p++)
		if (!strcmp(*p, v))
			return 1;
	return 0;
}

static enum MHD_Result handle_post(struct mcp_http *h, struct MHD_Connection *c, struct req *q)
{
	const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept");
	const char *sid = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Mcp-Session-Id");
	const char *pv = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "MCP-Protocol-Version");
	int json_ok = !accept || accepts(accept, "application/json") ||
		      accepts(accept, "application/*") || accepts(accept, "*/*");
	int sse_ok = accept && accepts(accept, "text/event-stream");
	struct classified k;
	struct session *s = NULL;
	struct nv_err err;
	json_error_t jerr;
	json_t *msg;
	enum MHD_Result ret;
	char text[512];

	msg = json_loadb(q->body.data ? q->body.data : "", q->body.len, JSON_DECODE_ANY, &jerr);
	if (!msg) {
		snprintf(text, sizeof(text), "Parse error: %s (line %d, column %d)", jerr.text,
			 jerr.line, jerr.column);
		return send_error(c, MHD_HTTP_BAD_REQUEST, -32700, text);
	}
	classify(msg, &k);
	nv_err_clear(&err);

	if (k.batch_with_initialize) {
		ret = send_error(c, MHD_HTTP_BAD_REQUEST, -32600,
				 "Invalid Request: initialize must be sent on its own");
	} else if (k.is_initialize) {
		if (sid) {
			ret = send_error(c, MHD_HTTP_BAD_REQUEST, -32600,
					 "Invalid Request: this session is already initialized; "
					 "send initialize without Mcp-Session-Id to start a new "
					 "session");
		} else if (session_new(h, &s, &err)) {
			ret = send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, -32603, err.msg);
		} else {
			/* the session joins the table once initialize succeeded */
			struct buf reply = BUF_INIT;
			json_t *answer;

			pthread_mutex_lock(&s->call);
			pthread_mutex_lock(&s->out);
			s->handling = 1;
			s->handler = pthread_self();
			pthread_mutex_unlock(&s->out);
			mcp_handle_line(s->m, q->body.data, q->body.len);
			pthread_mutex_lock(&s->out);
			s->handling = 0;
			reply = s->reply;
			memset(&s->reply, 0, sizeof(s->reply));
			pthread_mutex_unlock(&s->out);
			pthread_mutex_unlock(&s->call);
			answer = json_loadb(reply.data ? reply.data : "", reply.len, 0, NULL);
			if (!json_object_get(answer, "result")) {
				ret = send_reply(c, &reply, !json_ok && sse_ok, NULL);
			} else if (session_insert(h, s, &err)) {
				ret = send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, -32000, err.msg);
			} else {
				log_info("mcp http: session %.8s… opened", s->id);
				ret = send_reply(c, &reply, !json_ok && sse_ok, s->id);
			}
			json_decref(answer);
			buf_release(&reply);
			session_put(s);
		}
	} else if (pv && !supported_version(pv)) {
		snprintf(text, sizeof(text),
			 "Bad Request: unsupported MCP-Protocol-Version '%.64s' (supported: "
			 "2025-11-25, 2025-06-18, 2025-03-26, 2024-11-05)",
			 pv);
		ret = send_error(c, MHD_HTTP_BAD_REQUEST, -32000, text);
	} else if (!sid) {
		ret = send_error(
			c, MHD_HTTP_BAD_REQUEST, -32000,
			"Bad Request: Mcp-Session-Id header is required (initialize first)");
	} else if (!(s = session_get(h, sid))) {
		ret = send_error(c, MHD_HTTP_NOT_FOUND, -32001,
				 "Session not found: initialize again");
	} else {
		ret = post_to_session(c, s, &q->body, &k, sse_ok, json_ok, 0);
		session_put(s);
	}
	json_decref(msg);
	return ret;
}

static enum MHD_Result handle_delete(struct mcp_http *h, struct MHD_Connection *c)
{
	const char *sid = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Mcp-Session-Id");
	struct session *s;
	int was_in;

	if (!sid)
		return send_error(c, MHD_HTTP_BAD_REQUEST, -32000,
				  "Bad Request: Mcp-Session-Id header is required");
	if (!(s = session_get(h, sid)))
		return send_error(c, MHD_HTTP_NOT_FOUND, -32001, "Session not found");
	pthread_mutex_lock(&h->lock);
	was_in = s->in_table;
	if (was_in)
		unlink_session(h, s);
	pthread_mutex_unlock(&h->lock);
	if (was_in) {
		log_info("mcp http: session %.8s… ended by the client", s->id);
		session_end(s, 1);
		session_put(s); /* the table's reference */
	}
	session_put(s);
	return send_response(c, MHD_HTTP_OK, buffer_response(NULL, 0, NULL));
}

/* ---- the request callback ---------------------------------------------------- */

/* Checks that hold for every request; queues the refusal and returns 1 when one fails. */
static int refuse(struct mcp_http *h, struct MHD_Connection *c, const char *url,
		  enum MHD_Result *ret)
{
	const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
	const char *hosthdr = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	char host[256];

	if (is_stopping(h)) {
		*ret = send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, -32000,
				  "Service Unavailable: the server is stopping");
		return 1;
	}
	if (origin && !origin_allowed(h, origin)) {
		log_warn("mcp http: refused a request from origin '%.100s' (not this host)",
			 origin);
		*ret = send_error(c, MHD_HTTP_FORBIDDEN, -32000,
				  "Forbidden: Origin is not allowed (DNS rebinding protection)");
		return 1;
	}
	if (h->loopback && hosthdr) {
		host_part(hosthdr, host, sizeof(host));
		if (!host_is_loopback(host)) {
			log_warn("mcp http: refused a request for host '%.100s' on a loopback "
				 "address",
				 hosthdr);
			*ret = send_error(c, MHD_HTTP_FORBIDDEN, -32000,
					  "Forbidden: Host is not a loopback name (DNS rebinding "
					  "protection)");
			return 1;
		}
	}
	if (strcmp(url, "/mcp") && strcmp(url, "/mcp/")) {
		*ret = send_error(c, MHD_HTTP_NOT_FOUND, -32000,
				  "Not Found: the MCP endpoint is /mcp");
		return 1;
	}
	if (!authorized(h, auth)) {
		log_info("mcp http: refused a request without the right bearer token");
		*ret = send_error(c, MHD_HTTP_UNAUTHORIZED, -32000,
				  "Unauthorized: send Authorization: Bearer <NVAULT_MCP_TOKEN>");
		return 1;
	}
	return 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct mcp_http *h = cls;
	struct req *q = *con_cls;
	enum MHD_Result ret;

	if (!q) {
		const char *ctype, *clen, *accept;

		if (refuse(h, c, url, &ret))
			return ret;
		if (!strcmp(method, "DELETE"))
			return handle_delete(h, c);
		if (strcmp(method, "POST"))
			return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, -32000,
					  "Method Not Allowed: POST messages to /mcp; this server "
					  "offers no GET stream");
		ctype = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
		if (!ctype || strncasecmp(ctype, "application/json", 16))
			return send_error(c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, -32000,
					  "Unsupported Media Type: Content-Type must be "
					  "application/json");
		accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept");
		if (accept && !accepts(accept, "application/json") &&
		    !accepts(accept, "text/event-stream") && !accepts(accept, "*/*") &&
		    !accepts(accept, "application/*"))
			return send_error(c, MHD_HTTP_NOT_ACCEPTABLE, -32000,
					  "Not Acceptable: accept application/json and "
					  "text/event-stream");
		clen = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
		if (clen && strtoull(clen, NULL, 10) > h->max_body) {
			char text[160];
			snprintf(text, sizeof(text),
				 "Payload Too Large: the body limit is %zu bytes", h->max_body);
			return send_error(c, MHD_HTTP_CONTENT_TOO_LARGE, -32000, text);
		}
		q = xcalloc(1, sizeof(*q));
		buf_init(&q->body, h->max_body);
		*con_cls = q;
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (!q->too_large && buf_add(&q->body, upload_data, *upload_data_size))
			q->too_large = 1;
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (q->too_large) {
		char text[160];
		snprintf(text, sizeof(text), "Payload Too Large: the body limit is %zu bytes",
			 h->max_body);
		return send_error(c, MHD_HTTP_CONTENT_TOO_LARGE, -32000, text);
	}
	return handle_post(h, c, q);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct req *q = *con_cls;

	if (!q)
		return;
	buf_release(&q->body);
	free(q);
	*con_cls = NULL;
}

/* libmicrohttpd's logger: fmt is its own printf format (checked as one by the attribute) */
__attribute__((format(printf, 2, 0))) static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char text[512];

	vsnprintf(text, sizeof(text), fmt, ap);
	text[strcspn(text, "\n")] = '\0';
	log_debug("mcp http: libmicrohttpd: %s", text);
}

/* ---- start and stop -------------------------------------------------------- */

int mcp_http_start(const struct settings *st, const struct mcp_http_opts *o, struct mcp_http **out,
		   struct nv_err *err)
{
	struct mcp_http *h;
	struct addrinfo *res;
	struct sockaddr_storage bound;
	socklen_t blen = sizeof(bound);
	char host[256];
	int fd, one = 1, rc;
	unsigned flags;

	*out = NULL;
	if ((rc = resolve_listen(o->listen, host, sizeof(host), &res, err)))
		return rc;
	if (!sockaddr_is_loopback(res->ai_addr) && !(o->token && *o->token)) {
		freeaddrinfo(res);
		return nv_err_set(err, NV_ECONFIG,
				  "--http %s is not a loopback address: set NVAULT_MCP_TOKEN to "
				  "the bearer token clients must send (anyone who can reach the "
				  "port could otherwise read and edit the memory)",
				  o->listen);
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		freeaddrinfo(res);
		return nv_err_set(err, NV_EIO, "--http %s: cannot create a socket: %s", o->listen,
				  strerror(errno));
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, res->ai_addr, res->ai_addrlen) || listen(fd, 64)) {
		int e = errno;
		close(fd);
		freeaddrinfo(res);
		return nv_err_set(err, NV_EIO, "--http %s: cannot listen: %s", o->listen,
				  strerror(e));
	}
	h = xcalloc(1, sizeof(*h));
	h->st = st;
	h->listen_fd = fd;
	h->loopback = sockaddr_is_loopback(res->ai_addr);
	h->wildcard = sockaddr_is_wildcard(res->ai_addr);
	snprintf(h->host, sizeof(h->host), "%s", host);
	h->max_body = o->max_body ? o->max_body : MCP_HTTP_MAX_BODY;
	h->max_sessions = o->max_sessions ? o->max_sessions : MCP_HTTP_MAX_SESSIONS;
	if (o->token && *o->token) {
		h->has_token = 1;
		hash_sha256_hex(o->token, strlen(o->token), h->token_hash);
	}
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->drained, NULL);
	pthread_mutex_init(&h->gate, NULL);
	pthread_cond_init(&h->turn, NULL);
	h->slots = get_nprocs() > 2 ? (unsigned)get_nprocs() : 2;
	if (!getsockname(fd, (struct sockaddr *)&bound, &blen))
		h->port = ntohs(bound.ss_family == AF_INET6
					? ((struct sockaddr_in6 *)(void *)&bound)->sin6_port
					: ((struct sockaddr_in *)(void *)&bound)->sin_port);
	snprintf(h->url, sizeof(h->url), "http://%s%s%s:%u/mcp",
		 res->ai_family == AF_INET6 ? "[" : "", host, res->ai_family == AF_INET6 ? "]" : "",
		 h->port);
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL |
		MHD_USE_ITC | MHD_USE_ERROR_LOG;
	if (res->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	freeaddrinfo(res);
	h->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h, MHD_OPTION_LISTEN_SOCKET,
				     fd, MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
				     MHD_OPTION_CONNECTION_LIMIT, (unsigned)512,
				     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)600,
				     MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h, MHD_OPTION_END);
	if (!h->daemon) {
		close(fd);
		pthread_mutex_destroy(&h->lock);
		pthread_cond_destroy(&h->drained);
		pthread_mutex_destroy(&h->gate);
		pthread_cond_destroy(&h->turn);
		free(h);
		return nv_err_set(err, NV_EIO, "--http %s: the HTTP server did not start",
				  o->listen);
	}
	*out = h;
	return 0;
}

unsigned mcp_http_port(const struct mcp_http *h)
{
	return h->port;
}

const char *mcp_http_url(const struct mcp_http *h)
{
	return h->url;
}

void mcp_http_stop(struct mcp_http *h)
{
	struct session **all, *s;
	size_t n = 0;

	if (!h)
		return;
	pthread_mutex_lock(&h->lock);
	h->stopping = 1;
	all = xcalloc(h->n_sessions + 1, sizeof(*all));
	for (s = h->sessions; s; s = s->next) {
		s->refs++; /* kept while we stop its sync below */
		all[n++] = s;
	}
	pthread_mutex_unlock(&h->lock);
	/* a running sync stops after its current transaction and answers its client */
	for (size_t i = 0; i < n; i++) {
		pthread_mutex_lock(&all[i]->call);
		mcp_server_settle(all[i]->m, 1);
		pthread_mutex_unlock(&all[i]->call);
		pthread_mutex_lock(&all[i]->out);
		all[i]->settled = 1;
		pthread_cond_broadcast(&all[i]->cond);
		pthread_mutex_unlock(&all[i]->out);
	}
	/* let the streams deliver those answers (a stalled client gets 10 s) */
	pthread_mutex_lock(&h->lock);
	{
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 10;
		while (h->streams && pthread_cond_timedwait(&h->drained, &h->lock, &ts) == 0)
			;
	}
	pthread_mutex_unlock(&h->lock);
	MHD_stop_daemon(h->daemon); /* waits for every connection's thread; closes the socket */
	pthread_mutex_lock(&h->lock);
	while ((s = h->sessions)) {
		h->sessions = s->next;
		s->in_table = 0;
		s->refs--; /* the table's; ours below is the last unless a stream holds one */
	}
	h->n_sessions = 0;
	pthread_mutex_unlock(&h->lock);
	for (size_t i = 0; i < n; i++)
		session_put(all[i]);
	free(all);
	pthread_mutex_destroy(&h->lock);
	pthread_cond_destroy(&h->drained);
	pthread_mutex_destroy(&h->gate);
	pthread_cond_destroy(&h->turn);
	free(h);
}
