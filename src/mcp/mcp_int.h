/*
 * mcp_int.h: what the files of src/mcp share and nothing outside uses: the
 * environment a tool runs in, the tool/action/parameter tables, the per-call context and
 * the argument accessors. server.c speaks the protocol, tools.c turns the
 * tables into schemas and validates arguments, tool_memory.c and
 * tool_sync.c parse each action's arguments for the application layer
 * (src/app) and render its results. Dependencies: server.c → tools.c →
 * tool_*.c → app; the tools reach the server only through struct mcp_env.
 */
#ifndef NV_MCP_INT_H
#define NV_MCP_INT_H

#include <stdint.h>

#include "app/app.h"
#include "jsonrpc/jsonrpc.h"
#include "mcp/mcp.h"
#include "store/store.h"
#include "util/buf.h"

/*
 * What a tool may use of the server that runs it, whatever the transport
 * (stdio now, HTTP later): the settings, the store, the sync runner and a
 * way to send notifications and late answers. Tools never see the server
 * itself, so src/mcp has no cycle between the protocol and the tools.
 */
struct mcp_env {
	const struct settings *st; /* borrowed */
	struct app_syncer *syncer; /* one sync at a time (borrowed) */
	/* the reading thread's store connection, opened on first use (borrowed) */
	int (*store)(void *ud, struct store **out, struct nv_err *err);
	/* sends a notification; takes params; any thread */
	void (*notify)(void *ud, const char *method, json_t *params);
	/* answers request id later with result (taken); any thread */
	void (*respond)(void *ud, json_t *id, json_t *result);
	void *ud;
};

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
	const struct mcp_env *env;
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
int mcp_tools_call(const struct mcp_env *env, const struct jsonrpc_request *req,
		   struct jsonrpc_reply *reply);
/* A tool result: structured (taken, may be NULL) with text; isError as given. */
json_t *mcp_tool_result(json_t *structured, const char *text, int is_error);

/* Argument accessors (arguments are validated before actions run). */
json_t *arg_get(const struct mcp_call *c, const char *name);	 /* NULL when absent */
int arg_has(const struct mcp_call *c, const char *name);	 /* present, even as null */
const char *arg_str(const struct mcp_call *c, const char *name); /* NULL when absent/null */
int64_t arg_int(const struct mcp_call *c, const char *name, int64_t dflt);
int arg_bool(const struct mcp_call *c, const char *name, int dflt);

/* The call's store connection (borrowed). */
int mcp_call_store(struct mcp_call *c, struct store **out, struct nv_err *err);
/* How memory_task and notion_sync name a parameter in messages: "parameter 'x'". */
const char *mcp_param_label(const char *field);

#endif
