/*
 * cmd_version.c: `nvault version`.
 */
#include "cli/commands.h"

#include <stdio.h>

int cmd_version(struct cli_ctx *ctx, int argc, char **argv)
{
	if (cli_parse(ctx, argc, argv, NULL, "nvault version", "Print nvault's version.", 0, 0))
		return ctx->exit_code;
	if (ctx->json) {
		json_t *doc = json_pack("{s:s}", "version", NVAULT_VERSION);
		cli_print_json(doc);
		json_decref(doc);
	} else {
		printf("nvault %s\n", NVAULT_VERSION);
	}
	return 0;
}
