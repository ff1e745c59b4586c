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
	/*
	 * the reading thread's store connection, opened on first use
	 * (borrowed); a store that does not exist is created only when create
	 * is set (an edit), else NV_ENOTFOUND (SPEC §1: reads never create one)
	 */
	int (*store)(void *ud, int create, struct store **out, struct nv_err *err);
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
	P_STRINGS,     /* array of strings */
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

/* The annotations of a tool (MCP ToolAnnotations). */
struct mcp_hints {
	int read_only, destructive, idempotent, open_world;
};

struct mcp_tool {
	const char *name;
	const char *title;
	const char *description;
	const struct mcp_param *params;	  /* action tools: the first entry is "action" */
	const struct mcp_action *actions; /* action tools (memory_task, notion_sync) */
	mcp_action_fn run;		  /* single-purpose tools */
	const char *const *required;	  /* single-purpose tools: required parameters */
	json_t *(*output_schema)(void);	  /* new reference */
	struct mcp_hints hints;
};

extern const struct mcp_tool mcp_tools[];
/* The single-purpose read tools (tool_read.c), in tools/list order; name NULL ends. */
extern const struct mcp_tool mcp_read_tools[];
/* Output schemas of the action tools (open: one object per action). */
json_t *memory_task_output_schema(void);
json_t *notion_sync_output_schema(void);
extern const struct mcp_param memory_task_params[];
extern const struct mcp_action memory_task_actions[];
extern const struct mcp_param notion_sync_params[];
extern const struct mcp_action notion_sync_actions[];

/* One tools/call in progress. */
struct mcp_call {
	const struct mcp_env *env;
	const struct jsonrpc_request *req; /* borrowed; valid during the call only */
	const struct mcp_tool *tool;
	const char *action;   /* NULL for single-purpose tools */
	json_t *args;	      /* borrowed, validated */
	char created_by[128]; /* "mcp:<agentId or agent>" */
	json_t *result;	      /* structuredContent (new reference) */
	struct buf text;      /* one-paragraph human rendering */
	int deferred;	      /* the action will answer later itself */
	size_t budget;	      /* bytes the whole reply may take */
};

/* The tools/list result (new reference). */
json_t *mcp_tools_list(void);
/* Runs a tools/call request; see jsonrpc_handler. */
int mcp_tools_call(const struct mcp_env *env, const struct jsonrpc_request *req,
		   struct jsonrpc_reply *reply);
/* A tool result: structured (taken, may be NULL) with text; isError as given. */
json_t *mcp_tool_result(json_t *structured, const char *text, int is_error);

/* Argument accessors (arguments are validated before actions run). */
json_t *mcp_arg_get(const struct mcp_call *c, const char *name);     /* NULL when absent */
int mcp_arg_has(const struct mcp_call *c, const char *name);	     /* present, even as null */
const char *mcp_arg_str(const struct mcp_call *c, const char *name); /* NULL when absent/null */
int64_t mcp_arg_int(const struct mcp_call *c, const char *name, int64_t dflt);
int mcp_arg_bool(const struct mcp_call *c, const char *name, int dflt);
/* The where parameter's expressions (borrowed) into exprs[max] and q; NV_EINVAL when too many. */
#define MCP_WHERE_MAX 16
int mcp_arg_where(const struct mcp_call *c, struct app_query *q, const char **exprs, size_t max,
		  struct nv_err *err);

/* ---- reply budget (budget.c) ------------------------------------------------ */

/* No reply is ever longer: the official SDK client's read buffer. */
#define MCP_REPLY_HARD_MAX ((size_t)10 << 20)
/* NVAULT_MCP_MAX_REPLY, default 256 KiB, within [16 KiB, MCP_REPLY_HARD_MAX]. */
size_t mcp_reply_budget(void);
/* Compact serialised size of v. */
size_t mcp_json_size(const json_t *v);
/* Cuts every string in v longer than cap bytes, with a marker; returns how many. */
size_t mcp_cut_strings(json_t *v, size_t cap);

/* A page of items filled within the budget. */
struct mcp_page {
	json_t *items;	  /* the array being filled (borrowed) */
	struct buf *text; /* the call's text: a line per item */
	size_t budget, room, field_cap;
	size_t n;
	int full; /* an item did not fit: the page stops here */
};
void mcp_page_init(struct mcp_page *p, struct mcp_call *c, json_t *items);
/*
 * Adds item (taken) and its text line (borrowed, may be NULL) unless they
 * would pass the budget: 0 when added, 1 when the page is full (item
 * freed; stop and answer truncated with a cursor). Strings longer than a
 * sixteenth of the budget are cut first; the first item always fits.
 */
int mcp_page_add(struct mcp_page *p, json_t *item, const char *line);
/*
 * Ends the call's page p: count, hasMore (more), truncated (the budget
 * stopped the page) and nextCursor (cursor when more, else null) in
 * c->result, and a text line saying how to go on.
 */
void mcp_page_end(struct mcp_call *c, const struct mcp_page *p, int more, const char *cursor);
/*
 * How many bytes of s (len bytes), from its start and ending on a UTF-8
 * character boundary, take at most room bytes inside a JSON document.
 */
size_t mcp_fitting_prefix(const char *s, size_t len, size_t room);
/* Cuts text and the longest strings of structured until both fit budget. */
void mcp_fit_result(json_t *structured, struct buf *text, size_t budget);

/* Puts a printf-style line before the call's text (a summary over its lines). */
void mcp_text_head(struct mcp_call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One line of text about a task: "- Title [status] id". */
void mcp_task_line(struct buf *out, const struct task *t);
/* The view the call asks for with its fields / detail parameters. */
struct app_view mcp_view(const struct mcp_call *c);

/* The call's store connection (borrowed); NV_ENOTFOUND when there is no store yet. */
int mcp_call_store(struct mcp_call *c, struct store **out, struct nv_err *err);
/* The same for a call that writes (memory_task add): creates the store if needed. */
int mcp_call_store_create(struct mcp_call *c, struct store **out, struct nv_err *err);
/* The same for a status view: 0 with *out NULL when there is no store yet. */
int mcp_call_store_if_any(struct mcp_call *c, struct store **out, struct nv_err *err);
/* How memory_task and notion_sync name a parameter in messages: "parameter 'x'". */
const char *mcp_param_label(const char *field);

#endif
