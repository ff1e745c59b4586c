/*
 * task.h: the task, nvault's unit of memory, and its immutable versions.
 *
 * A task is the current state of one Notion row (source "notion") or of a
 * task created locally (source "local"). Every change to any content field
 * produces a new version; the version carries a content hash (what decides
 * "changed or not") and a chain hash linking it to the previous version, so
 * that history cannot be rewritten without `nvault verify` noticing.
 *
 * All strings are owned by the struct (NULL = absent/cleared) and released by
 * task_release(); tags and metadata are jansson values owned by the struct
 * (one reference each). Timestamps are ISO strings from time_format_iso(),
 * except Notion's own times, which are kept as Notion sent them.
 */
#ifndef NV_TASK_H
#define NV_TASK_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "util/hash.h"

struct task {
	char *id;    /* uuid */
	char *scope; /* projectScopeId */
	char *title;
	char *description;
	char *status; /* one of task_status_names */
	char *resolution;
	char *category;
	char *due_date; /* date or date-time text */
	char *assignee;
	json_t *tags;		     /* array of strings, or NULL */
	json_t *metadata;	     /* object, or NULL */
	char *notion_status;	     /* raw Notion option name */
	char *source;		     /* "notion" or "local" */
	char *notion_database_id;    /* dashed */
	char *notion_data_source_id; /* dashed; for 2022-06-28 the database id */
	char *notion_page_id;	     /* dashed */
	char *notion_url;
	char *notion_created_time;
	char *notion_last_edited_time;
	int active;	  /* 0 once soft-deleted */
	char *deleted_at; /* set while deleted */
	/* maintained by the store */
	char *current_version_id;
	int64_t version; /* current version number, 0 if none */
	char *created_at;
	char *updated_at;
};

struct task_version {
	char *id;	  /* uuid of the version */
	int64_t num;	  /* 1, 2, ... per task */
	struct task snap; /* every task field as it was (snap.id = task id) */
	char *created_at;
	char *created_by;    /* "notion-sync", "mcp:<agent>", "cli" */
	char *change_reason; /* "created", "updated in Notion", ... */
	int conflict;
	char content_hash[HASH_HEX_LEN + 1];
	char chain_hash[HASH_HEX_LEN + 1];
};

/* The task status enum, in order. */
extern const char *const task_status_names[];
extern const int task_status_count;

void task_init(struct task *t);
void task_release(struct task *t);
/* Deep copy of src into dst (dst is initialised first). */
void task_copy(struct task *dst, const struct task *src);
void task_version_init(struct task_version *v);
void task_version_release(struct task_version *v);

/*
 * Returns the canonical name for a status given as an enum name or its
 * words, compared case-insensitively ("In progress", "in-progress",
 * "IN_PROGRESS" → "in_progress"; "Won't do" → "wont_do"), or NULL when it
 * is none of them. No substring matching: "Incomplete" is NULL.
 */
const char *task_status_parse(const char *name);

/*
 * New JSON object with the fields whose change makes a new version:
 * everything but the store's bookkeeping (id, version, timestamps) and
 * notionLastEditedTime (which moves on body edits nvault does not back up).
 */
json_t *task_content_json(const struct task *t);
/* SHA-256 of the canonical (sorted, compact) serialisation of task_content_json(). */
void task_content_hash(const struct task *t, char out[HASH_HEX_LEN + 1]);
/* The name of the first text field of t that is not valid UTF-8, or NULL. */
const char *task_invalid_text_field(const struct task *t);
/*
 * Chain hash of a version: SHA-256 of prev_chain ("" for version 1) followed
 * by the canonical serialisation of the version record: its content hash
 * (which commits to every content field), the fields outside the content
 * (notionLastEditedTime, deletedAt), number, ids, author, reason, conflict
 * flag and time.
 */
void task_version_chain_hash(const char *prev_chain, const struct task_version *v,
			     char out[HASH_HEX_LEN + 1]);

/*
 * The members of struct task by name: one row per name a reader sees, so
 * that the content hash, the public JSON, the compact view and UTF-8
 * checks render a field the same way (task.c). The C member is also
 * the store's column.
 */
enum task_kind {
	TASK_TEXT,   /* char *: a string, or null */
	TASK_JSON,   /* json_t *: tags or metadata, or null */
	TASK_FLAG,   /* int: a boolean */
	TASK_NUM,    /* int64_t: an integer */
	TASK_DELETED /* char *deleted_at: true while set (the content's "deleted") */
};
#define TASK_M_CONTENT 1u /* in task_content_json(), hence in the content hash */
#define TASK_M_PUBLIC 2u  /* in task_to_json() */
#define TASK_M_UTF8 4u	  /* checked by task_invalid_text_field() */

struct task_member {
	const char *json;   /* "dueDate": the name in JSON, MCP parameters and filters */
	const char *member; /* "due_date": the C member and the store's column */
	enum task_kind kind;
	size_t offset;
	unsigned flags;
};

/* Every member, content ones first, in the order they are rendered; json NULL ends. */
extern const struct task_member task_members[];
/* The member named json ("dueDate", "deletedAt", ...), or NULL. */
const struct task_member *task_member_find(const char *json);
/*
 * The member's value in t as a new JSON value (null when absent); tags and
 * metadata are deep copies, invalid UTF-8 is shown repaired.
 */
json_t *task_member_json(const struct task *t, const struct task_member *m);

/* New JSON object: the public (camelCase) representation used by --json and MCP. */
json_t *task_to_json(const struct task *t);
json_t *task_version_to_json(const struct task_version *v);
/*
 * The version record of v around snap, a rendering of v->snap (taken): the
 * snapshot loses the task's bookkeeping (id, version, timestamps).
 */
json_t *task_version_json(const struct task_version *v, json_t *snap);

/* Canonical serialisation used for hashing: sorted keys, compact. Caller frees. */
char *task_json_canonical(const json_t *value);

/*
 * The task fields a Notion property can be mapped onto (fieldMappings,
 * SPEC §2.2), and the Notion types each one takes: task_field.c.
 */
enum task_field {
	FIELD_TITLE = 0,
	FIELD_DESCRIPTION,
	FIELD_STATUS,
	FIELD_RESOLUTION,
	FIELD_CATEGORY,
	FIELD_DUE_DATE,
	FIELD_ASSIGNEE,
	FIELD_TAGS,
	FIELD_COUNT
};

/* "title", "description", ..., "dueDate", ..., "tags". */
const char *task_field_name(enum task_field f);
/* -1 when name is not a task field. */
int task_field_parse(const char *name);

/* 1 when a property of this Notion type can be mapped onto field f, else 0. */
int task_field_accepts(enum task_field f, const char *notion_type);
/* The types field f accepts, as text for messages ("date, rich_text, title"). Static. */
const char *task_field_accepted_types(enum task_field f);

#endif
