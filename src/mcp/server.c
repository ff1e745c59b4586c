/*
 * server.c: the MCP protocol on top of src/jsonrpc (see mcp.h): the method
 * table (initialize, notifications/initialized, ping, tools/list,
 * tools/call, notifications/cancelled), protocol-version negotiation, the
 * read loop, and a last line of defence that keeps the Notion token out of
 * every outgoing message even if a lower layer ever put it in a message.
 */
#include "mcp/mcp_int.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"
#include "util/xalloc.h"

struct mcp_server {
	const struct settings *st; /* borrowed */
	struct jsonrpc_server rpc;
	jsonrpc_write_fn write; /* the real output, behind the redacting writer */
	void *write_ud;
	struct store *store;	   /* the reading thread's connection, opened on first use */
	char protocol_version[16]; /* negotiated; "" before initialize */
	struct app_syncer *syncer; /* notion_sync runs */
	struct mcp_env env;	   /* what the tools see of this server */
};

const char *const mcp_protocol_versions[] = {
	"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05", NULL,
};

/* Versions whose transport still allows JSON-RPC batches. */
static const char *const batch_versions[] = {"2025-03-26", "2024-11-05", NULL};

static int in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (!strcmp(*list, s))
			return 1;
	return 0;
}

static int server_store(void *ud, int create, struct store **out, struct nv_err *err)
{
	struct mcp_server *m = ud;
	struct nv_err rerr;
	int rc;

	if (m->store) {
		*out = m->store;
		return 0;
	}
	rc = store_open(m->st->db_path, create ? 0 : STORE_NO_CREATE, &m->store, err);
	/* reads never create a store (SPEC §1): say how one comes to be */
	if (rc == NV_ENOTFOUND)
		return nv_err_set(err, NV_ENOTFOUND,
				  "no store at %s yet: nothing has been synced or added there "
				  "(run notion_sync with action 'sync', or memory_task 'add'; or "
				  "point NVAULT_DB at the store the sync writes)",
				  m->st->db_path);
	/* a store this user cannot write is still read: edits then fail naming it */
	if (rc) {
		nv_err_clear(&rerr);
		if (store_open(m->st->db_path, STORE_READONLY | STORE_NO_CREATE, &m->store, &rerr))
			return rc;
		log_info("mcp: store %s opened read-only (%s)", m->st->db_path, err->msg);
		nv_err_clear(err);
	}
	*out = m->store;
	return 0;
}

static int h_initialize(struct jsonrpc_server *srv, void *ud, const struct jsonrpc_request *req,
			struct jsonrpc_reply *reply)
{
	struct mcp_server *m = ud;
	json_t *wanted = json_object_get(req->params, "protocolVersion");
	const char *version = mcp_protocol_versions[0];
	json_t *client = json_object_get(req->params, "clientInfo");

	if (m->protocol_version[0])
		return jsonrpc_reply_error(reply, JSONRPC_INVALID_REQUEST,
					   "Invalid Request: this session is already initialized "
					   "(protocol %s); initialize is sent once",
					   m->protocol_version);
	if (!json_is_object(req->params))
		return jsonrpc_reply_error(reply, JSONRPC_INVALID_PARAMS,
					   "Invalid params: initialize needs an object");
	if (!json_is_string(wanted))
		return jsonrpc_reply_error(reply, JSONRPC_INVALID_PARAMS,
					   "Invalid params: 'protocolVersion' must be a string");
	if (in_list(mcp_protocol_versions, json_string_value(wanted)))
		version = json_string_value(wanted);
	snprintf(m->protocol_version, sizeof(m->protocol_version), "%s", version);
	srv->allow_batch = in_list(batch_versions, version);
	log_info("mcp: client %s %s asked for protocol %s, speaking %s",
		 json_is_string(json_object_get(client, "name"))
			 ? json_string_value(json_object_get(client, "name"))
			 : "(unnamed)",
		 json_is_string(json_object_get(client, "version"))
			 ? json_string_value(json_object_get(client, "version"))
			 : "",
		 json_string_value(wanted), version);
	reply->result = json_pack(
		"{s:s, s:{s:{s:b}}, s:{s:s, s:s, s:s}, s:s}", "protocolVersion", version,
		"capabilities", "tools", "listChanged", 0, "serverInfo", "name", "nvault", "title",
		"nvault (Notion task memory)", "version", NVAULT_VERSION, "instructions",
		"nvault keeps a versioned backup of Notion task databases. Use memory_task to read "
		"and edit tasks (every change is a new version; history, as_of and diff show the "
		"past) and notion_sync to refresh the backup from Notion.");
	return JSONRPC_ANSWER;
}

static int h_initialized(struct jsonrpc_server *srv, void *ud, const struct jsonrpc_request *req,
			 struct jsonrpc_reply *reply)
{
	return JSONRPC_ANSWER;
}

static int h_ping(struct jsonrpc_server *srv, void *ud, const struct jsonrpc_request *req,
		  struct jsonrpc_reply *reply)
{
	reply->result = json_object();
	return JSONRPC_ANSWER;
}

/* Refuses a request that comes before initialize (ping excepted); 0 when initialized. */
static int not_initialized(const struct mcp_server *m, struct jsonrpc_reply *reply)
{
	if (m->protocol_version[0])
		return 0;
	jsonrpc_reply_error(reply, JSONRPC_INVALID_REQUEST,
			    "Invalid Request: the session is not initialized; send initialize "
			    "first");
	return 1;
}

static int h_tools_list(struct jsonrpc_server *srv, void *ud, const struct jsonrpc_request *req,
			struct jsonrpc_reply *reply)
{
	if (not_initialized(ud, reply))
		return JSONRPC_ANSWER;
	reply->result = mcp_tools_list();
	return JSONRPC_ANSWER;
}

static int h_tools_call(struct jsonrpc_server *srv, void *ud, const struct jsonrpc_request *req,
			struct jsonrpc_reply *reply)
{
	struct mcp_server *m = ud;

	if (not_initialized(m, reply))
		return JSONRPC_ANSWER;
	return mcp_tools_call(&m->env, req, reply);
}

static int h_cancelled(struct jsonrpc_server *srv, void *ud, const struct jsonrpc_request *req,
		       struct jsonrpc_reply *reply)
{
	json_t *id = json_object_get(req->params, "requestId");

	struct mcp_server *m = ud;

	if (id)
		app_syncer_cancel(m->syncer, id);
	return JSONRPC_ANSWER;
}

static const struct jsonrpc_method mcp_methods[] = {
	{"initialize", h_initialize},
	{"notifications/initialized", h_initialized},
	{"ping", h_ping},
	{"tools/list", h_tools_list},
	{"tools/call", h_tools_call},
	{"notifications/cancelled", h_cancelled},
	{NULL, NULL},
};

/* First occurrence of needle (nlen > 0) in hay, or NULL. */
static const char *find_bytes(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
	const char *end = hay + hlen;

	while ((size_t)(end - hay) >= nlen) {
		const char *p = memchr(hay, needle[0], (size_t)(end - hay) - nlen + 1);
		if (!p)
			return NULL;
		if (!memcmp(p, needle, nlen))
			return p;
		hay = p + 1;
	}
	return NULL;
}

/*
 * Writes a message after masking the token wherever it appears. Nothing is
 * meant to contain it; this only makes a future mistake harmless.
 */
static void redacting_writer(void *ud, const char *line, size_t len)
{
	struct mcp_server *m = ud;
	const char *key = m->st->api_key;
	size_t klen = key ? strlen(key) : 0;
	struct buf b = BUF_INIT;
	const char *p = line, *hit;

	if (klen < 8 || !find_bytes(line, len, key, klen)) {
		m->write(m->write_ud, line, len);
		return;
	}
	while ((hit = find_bytes(p, len - (size_t)(p - line), key, klen))) {
		buf_add(&b, p, (size_t)(hit - p));
		buf_adds(&b, "[redacted]");
		p = hit + klen;
	}
	buf_add(&b, p, len - (size_t)(p - line));
	log_warn("mcp: a message contained the Notion token; it was redacted");
	m->write(m->write_ud, b.data, b.len);
	buf_release(&b);
}

static void server_notify(void *ud, const char *method, json_t *params)
{
	struct mcp_server *m = ud;

	jsonrpc_notify(&m->rpc, method, params);
}

static void server_respond(void *ud, json_t *id, json_t *result)
{
	struct mcp_server *m = ud;

	jsonrpc_respond(&m->rpc, id, result);
}

int mcp_server_new(const struct settings *st, jsonrpc_write_fn write, void *write_ud,
		   struct mcp_server **out, struct nv_err *err)
{
	struct mcp_server *m = xcalloc(1, sizeof(*m));

	m->st = st;
	m->write = write;
	m->write_ud = write_ud;
	m->syncer = app_syncer_new(st);
	m->env = (struct mcp_env){.st = st,
				  .syncer = m->syncer,
				  .store = server_store,
				  .notify = server_notify,
				  .respond = server_respond,
				  .ud = m};
	jsonrpc_server_init(&m->rpc, mcp_methods, m, redacting_writer, m);
	*out = m;
	return 0;
}

void mcp_handle_line(struct mcp_server *m, const char *line, size_t len)
{
	jsonrpc_handle_line(&m->rpc, line, len);
}

int mcp_server_pending(struct mcp_server *m)
{
	return app_syncer_running(m->syncer);
}

void mcp_server_settle(struct mcp_server *m, int stop)
{
	app_syncer_wait(m->syncer, stop);
}

int mcp_serve(struct mcp_server *m, int in_fd, volatile sig_atomic_t *stop)
{
	struct line_reader r;
	int st, rc = 0;

	line_reader_init(&r, in_fd, JSONRPC_MAX_LINE);
	while (!(stop && *stop)) {
		st = line_reader_next(&r);
		if (st == LINE_OK)
			mcp_handle_line(m, r.line.data ? r.line.data : "", r.line.len);
		else if (st == LINE_TOOLONG)
			jsonrpc_reject_oversized(&m->rpc, r.max);
		else if (st == LINE_EOF) {
			/* nobody is left to answer: a running sync stops, recorded interrupted */
			app_syncer_abandon(m->syncer);
			break;
		} else if (st == LINE_IOERR) {
			log_error("mcp: reading the input failed: %s", strerror(errno));
			rc = NV_EIO;
			break;
		}
		/* LINE_INTR: loop to look at *stop */
	}
	line_reader_release(&r);
	app_syncer_wait(m->syncer, stop && *stop);
	return rc;
}

void mcp_server_free(struct mcp_server *m)
{
	if (!m)
		return;
	app_syncer_free(m->syncer);
	store_close(m->store);
	jsonrpc_server_release(&m->rpc);
	free(m);
}
