/*
 * mcp_int.h: what the files of src/mcp share and nothing outside uses: the
 * server state, the tool/action/parameter tables, the per-call context and
 * the argument accessors. server.c speaks the protocol, tools.c turns the
 * tables into schemas and validates arguments, tool_memory.c and
 * tool_sync.c implement the actions.
 */
#ifndef NV_MCP_INT_H
#define NV_MCP_INT_H

#include <pthread.h>
#include <stdint.h>

#include "jsonrpc/jsonrpc.h"
#include "mcp/mcp.h"
#include "store/store.h"
#include "util/buf.h"

struct mcp_sync_job;

struct mcp_server {
	const struct settings *st; /* borrowed */
	struct jsonrpc_server rpc;
	jsonrpc_write_fn write; /* the real output, behind the redacting writer */
	void *write_ud;
	struct store *store;	   /* the reading thread's connection, opened on first use */
	char protocol_version[16]; /* negotiated; "" before initialize */
	pthread_mutex_t job_lock;  /* guards job */
	struct mcp_sync_job *job;  /* the current or last sync run, or NULL */
};

/* Opens the store on first use; *out is borrowed from m. */
int mcp_store(struct mcp_server *m, struct store **out, struct nv_err *err);

/* ---- tools ---------------------------------------------------------------- */

enum mcp_param_type {
	P_STRING,      /* string */
	P_STRING_NULL, /* string, or null to clear */
	P_INTEGER,     /* integer within [min, max] */
	P_BOOLEAN,
	P_TAGS,	       /* array of strings, or null to clear */
	P_OBJECT_NULL, /* object, or null to clear */
};

struct mcp_param {
	const char *name;
	enum mcp_param_type type;
	const char *description;
	const char *const *choices; /* allowed strings (NULL-terminated), or NULL */
	int64_t min, max;	    /* P_INTEGER bounds */
};

struct mcp_call;
/* An action: fills c->result (and c->text) or returns an nv_status with err set. */
typedef int (*mcp_action_fn)(struct mcp_call *c, struct nv_err *err);

struct mcp_action {
	const char *name;
	mcp_action_fn run;
	const char *const *required; /* parameters the action needs, NULL-terminated */
};

struct mcp_tool {
	const char *name;
	const char *title;
	const char *description;
	const struct mcp_param *params; /* first entry is "action" */
	const struct mcp_action *actions;
	int read_only; /* annotations.readOnlyHint */
};

extern const struct mcp_tool mcp_tools[];
extern const struct mcp_param memory_task_params[];
extern const struct mcp_action memory_task_actions[];
extern const struct mcp_param notion_sync_params[];
extern const struct mcp_action notion_sync_actions[];

/* One tools/call in progress. */
struct mcp_call {
	struct mcp_server *m;
	const struct jsonrpc_request *req; /* borrowed; valid during the call only */
	const struct mcp_tool *tool;
	const char *action;
	json_t *args;	      /* borrowed, validated */
	char created_by[128]; /* "mcp:<agentId or agent>" */
	json_t *result;	      /* structuredContent (new reference) */
	struct buf text;      /* one-paragraph human rendering */
	int deferred;	      /* the action will answer later itself */
};

/* The tools/list result (new reference). */
json_t *mcp_tools_list(void);
/* Runs a tools/call request; see jsonrpc_handler. */
int mcp_tools_call(struct mcp_server *m, const struct jsonrpc_request *req,
		   struct jsonrpc_reply *reply);
/* A tool result: structured (taken, may be NULL) with text; isError as given. */
json_t *mcp_tool_result(json_t *structured, const char *text, int is_error);

/* Argument accessors (arguments are validated before actions run). */
json_t *arg_get(const struct mcp_call *c, const char *name);	 /* NULL when absent */
int arg_has(const struct mcp_call *c, const char *name);	 /* present, even as null */
const char *arg_str(const struct mcp_call *c, const char *name); /* NULL when absent/null */
int64_t arg_int(const struct mcp_call *c, const char *name, int64_t dflt);
int arg_bool(const struct mcp_call *c, const char *name, int dflt);

/* ---- notion_sync's worker (tool_sync.c) ----------------------------------- */

/* Asks the sync started by request id to stop; its answer is then suppressed. */
void mcp_sync_cancel(struct mcp_server *m, const json_t *request_id);
/* Waits for a running sync (asking it to stop first when stop is set), then frees it. */
void mcp_sync_finish(struct mcp_server *m, int stop);
/* Nonzero while a sync started by this server is running. */
int mcp_sync_running(struct mcp_server *m);

#endif
