/*
 * cmd_verify.c: `nvault verify`, checks the store: SQLite integrity, every
 * version's content and chain hash, dense version numbers, task rows equal
 * to their current version, and the append-only triggers. Exit 0 when
 * clean, 1 when anything is wrong (each problem names task and version).
 */
#include "cli/commands.h"

#include "store/store.h"

int cmd_verify(struct cli_ctx *ctx, int argc, char **argv)
{
	struct store *s = NULL;
	json_t *report = NULL;
	struct nv_err err;
	int rc;

	if (cli_parse(ctx, argc, argv, NULL, "nvault verify",
		      "Check the store: SQLite integrity, every version's content and chain\n"
		      "hash, dense version numbers, task rows matching their current version,\n"
		      "and the triggers that keep history append-only. Exits 1 when anything\n"
		      "is wrong, naming the task and version.",
		      0, 0))
		return ctx->exit_code;
	if ((rc = cli_open_store(ctx, STORE_READONLY | STORE_NO_CREATE, &s)))
		return rc;
	nv_err_clear(&err);
	rc = store_verify(s, &report, &err);
	store_close(s);
	if (!report) /* the check itself failed */
		return cli_error(ctx, &err);
	if (ctx->json) {
		cli_print_json(report);
	} else {
		json_t *problems = json_object_get(report, "problems"), *p;
		size_t i;
		printf("%lld tasks and %lld versions checked.\n",
		       (long long)json_integer_value(json_object_get(report, "tasksChecked")),
		       (long long)json_integer_value(json_object_get(report, "versionsChecked")));
		if (!json_array_size(problems)) {
			printf("OK: integrity, hash chains and append-only triggers are intact.\n");
		} else {
			static const char *const headers[] = {"TASK", "VERSION", "PROBLEM"};
			struct table tb;
			table_init(&tb, 3, headers);
			json_array_foreach(problems, i, p)
			{
				char ver[24] = "-";
				json_t *v = json_object_get(p, "version");
				if (json_is_integer(v))
					snprintf(ver, sizeof(ver), "%lld",
						 (long long)json_integer_value(v));
				const char *cells[] = {
					json_string_value(json_object_get(p, "taskId")), ver,
					json_string_value(json_object_get(p, "problem"))};
				table_add(&tb, cells);
			}
			table_print(&tb, stdout);
			table_release(&tb);
		}
	}
	json_decref(report);
	if (rc) {
		fprintf(stderr, "nvault: verify: %s\n", err.msg);
		return nv_exit_code(err.code);
	}
	return 0;
}
