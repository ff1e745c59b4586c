/*
 * cmd_verify.c: `nvault verify`, checks the store: SQLite integrity, every
 * version's content and chain hash, dense version numbers, task rows equal
 * to their current version, and the append-only triggers. Exit 0 when
 * clean, 1 when anything is wrong (each problem names task and version).
 */
#include "cli/commands.h"

#include <string.h>

#include "store/store.h"
#include "util/hash.h"

int cmd_verify(struct cli_ctx *ctx, int argc, char **argv)
{
	int head = 0;
	const char *expect = NULL;
	const struct cli_opt opts[] = {
		{"head", 0, CLI_FLAG, &head, NULL,
		 "print the store-wide chain's head (to pin elsewhere) and its length"},
		{"expect-head", 0, CLI_STRING, &expect, "H",
		 "also check that head H (pinned earlier) is in the store-wide chain"},
		{NULL},
	};
	struct store *s = NULL;
	json_t *report = NULL;
	struct nv_err err;
	int rc, found = 0;
	int64_t at = 0;

	if (cli_parse(ctx, argc, argv, opts, "nvault verify [--head] [--expect-head H]",
		      "Check the store: SQLite integrity, every version's content and chain\n"
		      "hash, dense version numbers, task rows matching their current version,\n"
		      "the triggers that keep history append-only, and the store-wide chain\n"
		      "over every version against the heads each sync recorded in its\n"
		      "evidence. Exits 1 when anything is wrong, naming the task and version.",
		      0, 0))
		return ctx->exit_code;
	if (expect && strlen(expect) != HASH_HEX_LEN && *expect)
		return cli_usage_error(ctx,
				       "--expect-head wants a %d-character hex head, as "
				       "'nvault verify --head' prints",
				       HASH_HEX_LEN);
	if ((rc = cli_open_store(ctx, STORE_READONLY | STORE_NO_CREATE, &s)))
		return rc;
	nv_err_clear(&err);
	rc = store_verify(s, &report, &err);
	if (report && expect) {
		struct nv_err ferr;

		nv_err_clear(&ferr);
		if (store_chain_find(s, expect, &at, &found, &ferr)) {
			json_decref(report);
			report = NULL;
			err = ferr;
		} else {
			json_object_set_new(report, "expectedHeadFound", json_boolean(found));
			if (!found) {
				json_object_set_new(report, "ok", json_false());
				if (!rc)
					rc = nv_err_set(
						&err, NV_ETAMPERED,
						"the pinned head %s is not in the store-wide "
						"chain: history before it was changed",
						expect);
			}
		}
	}
	store_close(s);
	if (!report) /* the check itself failed */
		return cli_error(ctx, &err);
	if (head && !ctx->json) {
		json_t *c = json_object_get(report, "storeChain");
		printf("%s %lld\n", json_string_value(json_object_get(c, "head")),
		       (long long)json_integer_value(json_object_get(c, "versions")));
		json_decref(report);
		if (rc) {
			fprintf(stderr, "nvault: verify: %s\n", err.msg);
			return nv_exit_code(err.code);
		}
		return 0;
	}
	if (ctx->json) {
		cli_print_json(report);
	} else {
		json_t *problems = json_object_get(report, "problems"), *p;
		size_t i;
		printf("%lld tasks and %lld versions checked.\n",
		       (long long)json_integer_value(json_object_get(report, "tasksChecked")),
		       (long long)json_integer_value(json_object_get(report, "versionsChecked")));
		if (expect)
			printf("pinned head %s: %s\n", expect,
			       found ? "found in the store-wide chain"
				     : "NOT in the store-wide chain");
		if (!json_array_size(problems) && !rc) {
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
