/*
 * task.c: task lifecycle, status names, and the canonical serialisations
 * behind content and chain hashes; see task.h. Changing what goes into
 * task_content_json() changes every stored hash: don't, without a store
 * migration that says so.
 */
#include "task/task.h"

#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "util/utf8.h"
#include "util/xalloc.h"

const char *const task_status_names[] = {
	"backlog", "open", "in_progress", "blocked", "review", "done", "wont_do",
};
const int task_status_count = sizeof(task_status_names) / sizeof(task_status_names[0]);

void task_init(struct task *t)
{
	memset(t, 0, sizeof(*t));
	t->active = 1;
}

/* The string members, so that release and copy cannot drift from the struct. */
/* clang-format off */
#define TASK_STRING_FIELDS(X) \
	X(id) \
	X(scope) \
	X(title) \
	X(description) \
	X(status) \
	X(resolution) \
	X(category) \
	X(due_date) \
	X(assignee) \
	X(notion_status) \
	X(source) \
	X(notion_database_id) \
	X(notion_data_source_id) \
	X(notion_page_id) \
	X(notion_url) \
	X(notion_created_time) \
	X(notion_last_edited_time) \
	X(deleted_at) \
	X(current_version_id) \
	X(created_at) \
	X(updated_at)
/* clang-format on */

void task_release(struct task *t)
{
	if (!t)
		return;
#define FREE_FIELD(f) free(t->f);
	TASK_STRING_FIELDS(FREE_FIELD)
#undef FREE_FIELD
	json_decref(t->tags);
	json_decref(t->metadata);
	task_init(t);
}

void task_copy(struct task *dst, const struct task *src)
{
	task_init(dst);
#define COPY_FIELD(f) dst->f = xstrdup(src->f);
	TASK_STRING_FIELDS(COPY_FIELD)
#undef COPY_FIELD
	dst->tags = src->tags ? json_deep_copy(src->tags) : NULL;
	dst->metadata = src->metadata ? json_deep_copy(src->metadata) : NULL;
	dst->active = src->active;
	dst->version = src->version;
}

void task_version_init(struct task_version *v)
{
	memset(v, 0, sizeof(*v));
	task_init(&v->snap);
}

void task_version_release(struct task_version *v)
{
	if (!v)
		return;
	free(v->id);
	free(v->created_at);
	free(v->created_by);
	free(v->change_reason);
	task_release(&v->snap);
	task_version_init(v);
}

const char *task_status_parse(const char *name)
{
	char norm[64];
	size_t n = 0;

	if (!name)
		return NULL;
	for (const char *p = name; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '\'')
			continue; /* "won't do" */
		if (n + 1 >= sizeof(norm))
			return NULL;
		norm[n++] = (c == ' ' || c == '-') ? '_' : (char)tolower(c);
	}
	norm[n] = '\0';
	for (int i = 0; i < task_status_count; i++)
		if (!strcmp(norm, task_status_names[i]))
			return task_status_names[i];
	return NULL;
}

/* Text that is not UTF-8 (only written behind nvault's back) is shown repaired. */
static json_t *str_or_null(const char *s)
{
	json_t *j;
	char *fixed;

	if (!s)
		return json_null();
	if ((j = json_string(s)))
		return j;
	fixed = utf8_repair(s, strlen(s), NULL);
	j = json_string(fixed);
	free(fixed);
	return j;
}

#define M(json, member, kind, flags)                                                               \
	{                                                                                          \
		json, #member, kind, offsetof(struct task, member), flags                          \
	}
#define C_ TASK_M_CONTENT
#define P_ TASK_M_PUBLIC
#define U_ TASK_M_UTF8
/* Changing which members carry TASK_M_CONTENT changes every content hash. */
const struct task_member task_members[] = {
	M("scopeId", scope, TASK_TEXT, C_ | P_ | U_),
	M("title", title, TASK_TEXT, C_ | P_ | U_),
	M("description", description, TASK_TEXT, C_ | P_ | U_),
	M("status", status, TASK_TEXT, C_ | P_ | U_),
	M("resolution", resolution, TASK_TEXT, C_ | P_ | U_),
	M("category", category, TASK_TEXT, C_ | P_ | U_),
	M("dueDate", due_date, TASK_TEXT, C_ | P_ | U_),
	M("assignee", assignee, TASK_TEXT, C_ | P_ | U_),
	M("tags", tags, TASK_JSON, C_ | P_),
	M("metadata", metadata, TASK_JSON, C_ | P_),
	M("notionStatus", notion_status, TASK_TEXT, C_ | P_ | U_),
	M("source", source, TASK_TEXT, C_ | P_ | U_),
	M("notionDatabaseId", notion_database_id, TASK_TEXT, C_ | P_),
	M("notionDataSourceId", notion_data_source_id, TASK_TEXT, C_ | P_),
	M("notionPageId", notion_page_id, TASK_TEXT, C_ | P_),
	M("notionUrl", notion_url, TASK_TEXT, C_ | P_ | U_),
	M("notionCreatedTime", notion_created_time, TASK_TEXT, C_ | P_),
	M("active", active, TASK_FLAG, C_ | P_),
	M("deleted", deleted_at, TASK_DELETED, C_),
	/* outside the content: bookkeeping, and what moves on edits nvault does not keep */
	M("id", id, TASK_TEXT, P_),
	M("notionLastEditedTime", notion_last_edited_time, TASK_TEXT, P_),
	M("deletedAt", deleted_at, TASK_TEXT, P_),
	M("version", version, TASK_NUM, P_),
	M("currentVersionId", current_version_id, TASK_TEXT, P_),
	M("createdAt", created_at, TASK_TEXT, P_),
	M("updatedAt", updated_at, TASK_TEXT, P_),
	{NULL, NULL, TASK_TEXT, 0, 0},
};
#undef M
#undef C_
#undef P_
#undef U_

const struct task_member *task_member_find(const char *json)
{
	for (const struct task_member *m = task_members; json && m->json; m++)
		if (!strcmp(m->json, json))
			return m;
	return NULL;
}

/* share: tags and metadata as new references (for documents dumped at once) */
static json_t *member_json(const struct task *t, const struct task_member *m, int share)
{
	const char *p = (const char *)t + m->offset;

	switch (m->kind) {
	case TASK_TEXT:
		return str_or_null(*(char *const *)p);
	case TASK_JSON: {
		const json_t *v = *(json_t *const *)p;
		if (!v)
			return json_null();
		return share ? json_incref((json_t *)v) : json_deep_copy(v);
	}
	case TASK_FLAG:
		return json_boolean(*(const int *)p);
	case TASK_NUM:
		return json_integer(*(const int64_t *)p);
	case TASK_DELETED:
		return json_boolean(*(char *const *)p != NULL);
	}
	return json_null();
}

json_t *task_member_json(const struct task *t, const struct task_member *m)
{
	return member_json(t, m, 0);
}

const char *task_invalid_text_field(const struct task *t)
{
	for (const struct task_member *m = task_members; m->json; m++) {
		const char *v = *(char *const *)((const char *)t + m->offset);
		if ((m->flags & TASK_M_UTF8) && v && utf8_invalid_at(v, strlen(v)) != UTF8_VALID)
			return m->json;
	}
	return NULL;
}

/* The members with any of flags, as a new object. */
static json_t *members_json(const struct task *t, unsigned flags, int share)
{
	json_t *o = json_object();

	for (const struct task_member *m = task_members; m->json; m++)
		if (m->flags & flags)
			json_object_set_new(o, m->json, member_json(t, m, share));
	return o;
}

static json_t *content_json(const struct task *t, int share)
{
	return members_json(t, TASK_M_CONTENT, share);
}

json_t *task_content_json(const struct task *t)
{
	return content_json(t, 0);
}

char *task_json_canonical(const json_t *value)
{
	char *s = json_dumps(value, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY);

	if (!s)
		abort(); /* only fails on allocation */
	return s;
}

void task_content_hash(const struct task *t, char out[HASH_HEX_LEN + 1])
{
	json_t *content = content_json(t, 1);
	char *s = task_json_canonical(content);

	hash_sha256_hex(s, strlen(s), out);
	free(s);
	json_decref(content);
}

void task_version_chain_hash(const char *prev_chain, const struct task_version *v,
			     char out[HASH_HEX_LEN + 1])
{
	/* the content enters through contentHash: serialising it again would add nothing */
	json_t *record = json_object();
	char *s;

	json_object_set_new(record, "taskId", str_or_null(v->snap.id));
	json_object_set_new(record, "versionId", str_or_null(v->id));
	json_object_set_new(record, "version", json_integer(v->num));
	json_object_set_new(record, "notionLastEditedTime",
			    str_or_null(v->snap.notion_last_edited_time));
	json_object_set_new(record, "deletedAt", str_or_null(v->snap.deleted_at));
	json_object_set_new(record, "createdAt", str_or_null(v->created_at));
	json_object_set_new(record, "createdBy", str_or_null(v->created_by));
	json_object_set_new(record, "changeReason", str_or_null(v->change_reason));
	json_object_set_new(record, "conflict", json_boolean(v->conflict));
	json_object_set_new(record, "contentHash", json_string(v->content_hash));
	s = task_json_canonical(record);
	hash_sha256_hex2(prev_chain ? prev_chain : "", s, out);
	free(s);
	json_decref(record);
}

json_t *task_to_json(const struct task *t)
{
	return members_json(t, TASK_M_PUBLIC, 0);
}

json_t *task_version_to_json(const struct task_version *v)
{
	return task_version_json(v, task_to_json(&v->snap));
}

json_t *task_version_json(const struct task_version *v, json_t *snap)
{
	json_t *o = json_pack("{s:o s:o s:I s:o s:o s:o s:b s:s s:s}", "versionId",
			      str_or_null(v->id), "taskId", str_or_null(v->snap.id), "version",
			      (json_int_t)v->num, "createdAt", str_or_null(v->created_at),
			      "createdBy", str_or_null(v->created_by), "changeReason",
			      str_or_null(v->change_reason), "conflict", v->conflict, "contentHash",
			      v->content_hash, "chainHash", v->chain_hash);

	/* the snapshot's own bookkeeping belongs to the task, not the version */
	json_object_del(snap, "currentVersionId");
	json_object_del(snap, "version");
	json_object_del(snap, "id");
	json_object_del(snap, "createdAt");
	json_object_del(snap, "updatedAt");
	json_object_set_new(o, "task", snap);
	return o;
}
