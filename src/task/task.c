/*
 * task.c: task lifecycle, status names, and the canonical serialisations
 * behind content and chain hashes; see task.h. Changing what goes into
 * task_content_json() changes every stored hash: don't, without a store
 * migration that says so.
 */
#include "task/task.h"

#include <ctype.h>
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

const char *task_invalid_text_field(const struct task *t)
{
	const struct {
		const char *name;
		const char *value;
	} fields[] = {
		{"scopeId", t->scope},
		{"title", t->title},
		{"description", t->description},
		{"status", t->status},
		{"resolution", t->resolution},
		{"category", t->category},
		{"dueDate", t->due_date},
		{"assignee", t->assignee},
		{"notionStatus", t->notion_status},
		{"source", t->source},
		{"notionUrl", t->notion_url},
	};

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (fields[i].value &&
		    utf8_invalid_at(fields[i].value, strlen(fields[i].value)) != UTF8_VALID)
			return fields[i].name;
	return NULL;
}

/*
 * v (or null) for a new document: a deep copy, or with share a new
 * reference, for documents that are dumped and released at once (hashing),
 * where copying the metadata would be most of the cost.
 */
static json_t *value_or_null(const json_t *v, int share)
{
	if (!v)
		return json_null();
	return share ? json_incref((json_t *)v) : json_deep_copy(v);
}

static json_t *content_json(const struct task *t, int share)
{
	return json_pack(
		"{s:o s:o s:o s:o s:o s:o s:o s:o s:o s:o s:o s:o s:o s:o s:o s:o s:o s:b s:b}",
		"scopeId", str_or_null(t->scope), "title", str_or_null(t->title), "description",
		str_or_null(t->description), "status", str_or_null(t->status), "resolution",
		str_or_null(t->resolution), "category", str_or_null(t->category), "dueDate",
		str_or_null(t->due_date), "assignee", str_or_null(t->assignee), "tags",
		value_or_null(t->tags, share), "metadata", value_or_null(t->metadata, share),
		"notionStatus", str_or_null(t->notion_status), "source", str_or_null(t->source),
		"notionDatabaseId", str_or_null(t->notion_database_id), "notionDataSourceId",
		str_or_null(t->notion_data_source_id), "notionPageId",
		str_or_null(t->notion_page_id), "notionUrl", str_or_null(t->notion_url),
		"notionCreatedTime", str_or_null(t->notion_created_time), "active", t->active,
		"deleted", t->deleted_at != NULL);
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
	json_t *o = task_content_json(t);

	json_object_del(o, "deleted");
	json_object_set_new(o, "id", str_or_null(t->id));
	json_object_set_new(o, "notionLastEditedTime", str_or_null(t->notion_last_edited_time));
	json_object_set_new(o, "deletedAt", str_or_null(t->deleted_at));
	json_object_set_new(o, "version", json_integer(t->version));
	json_object_set_new(o, "currentVersionId", str_or_null(t->current_version_id));
	json_object_set_new(o, "createdAt", str_or_null(t->created_at));
	json_object_set_new(o, "updatedAt", str_or_null(t->updated_at));
	return o;
}

json_t *task_version_to_json(const struct task_version *v)
{
	json_t *o = json_pack("{s:o s:o s:I s:o s:o s:o s:b s:s s:s}", "versionId",
			      str_or_null(v->id), "taskId", str_or_null(v->snap.id), "version",
			      (json_int_t)v->num, "createdAt", str_or_null(v->created_at),
			      "createdBy", str_or_null(v->created_by), "changeReason",
			      str_or_null(v->change_reason), "conflict", v->conflict, "contentHash",
			      v->content_hash, "chainHash", v->chain_hash);
	json_t *snap = task_to_json(&v->snap);

	/* the snapshot's own bookkeeping belongs to the task, not the version */
	json_object_del(snap, "currentVersionId");
	json_object_del(snap, "version");
	json_object_del(snap, "id");
	json_object_del(snap, "createdAt");
	json_object_del(snap, "updatedAt");
	json_object_set_new(o, "task", snap);
	return o;
}
