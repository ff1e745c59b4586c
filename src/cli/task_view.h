/*
 * task_view.h: presentation helpers shared by the task-reading commands
 * (task, as-of, diff, export): time arguments, short titles for tables,
 * the exported shape of a task version, CSV quoting, and a writer for JSON
 * documents whose array is streamed item by item so that memory does not
 * grow with the number of tasks.
 */
#ifndef NV_TASK_VIEW_H
#define NV_TASK_VIEW_H

#include <jansson.h>
#include <stdio.h>

#include "cli/cli.h"
#include "task/task.h"

/*
 * How the CLI names a field of the application layer in messages (an
 * app_namer): "dueDate" → "--due", "databaseId" → "--database", ...
 */
const char *cli_field_name(const char *field);

/* Checks that value is an ISO time for option opt; returns 0 or prints a usage error (2). */
int cli_check_time(struct cli_ctx *ctx, const char *opt, const char *value);

/* Copies title into out (size n), cut to at most max characters with "...". */
void short_title(const char *title, size_t max, char *out, size_t n);

/*
 * New JSON object: the task as it was in version v, the shape `export` and
 * `as-of` write (task fields plus id, version, versionId, versionCreatedAt).
 */
json_t *version_export_json(const struct task_version *v);

/* Writes one CSV field, quoted when it needs to be (RFC 4180); NULL is empty. */
void csv_field(FILE *out, const char *s);

/*
 * A JSON document {"<head keys>": ..., "<array_key>": [items...], <tail>}
 * written incrementally to stdout.
 */
struct json_stream {
	int n; /* items written */
};
/* Writes the opening, the members of head (borrowed; may be NULL), and "array_key": [. */
void json_stream_begin(struct json_stream *js, const json_t *head, const char *array_key);
/* Writes one array item (borrowed). */
void json_stream_item(struct json_stream *js, const json_t *item);
/* Closes the array, writes the members of tail (borrowed; may be NULL), and the brace. */
void json_stream_end(struct json_stream *js, const json_t *tail);
/*
 * Ends the document with tail (taken) for a run that returned rc: on
 * failure err's message goes into the tail as "error" (the document stays
 * valid JSON) and on stderr. Returns the exit code (0 when rc is 0).
 */
int json_stream_finish(struct json_stream *js, json_t *tail, int rc, const struct nv_err *err);

#endif
