/*
 * commands.h: one entry point per top-level command, each defined in
 * cmd_<name>.c and listed in the table in commands.c.
 */
#ifndef NV_COMMANDS_H
#define NV_COMMANDS_H

#include "cli/cli.h"

int cmd_config(struct cli_ctx *ctx, int argc, char **argv);
int cmd_daemon(struct cli_ctx *ctx, int argc, char **argv);
int cmd_status(struct cli_ctx *ctx, int argc, char **argv);
int cmd_mcp(struct cli_ctx *ctx, int argc, char **argv);
int cmd_version(struct cli_ctx *ctx, int argc, char **argv);
int cmd_sync(struct cli_ctx *ctx, int argc, char **argv);
int cmd_databases(struct cli_ctx *ctx, int argc, char **argv);
int cmd_task(struct cli_ctx *ctx, int argc, char **argv);
int cmd_as_of(struct cli_ctx *ctx, int argc, char **argv);
int cmd_diff(struct cli_ctx *ctx, int argc, char **argv);
int cmd_evidence(struct cli_ctx *ctx, int argc, char **argv);
int cmd_schema(struct cli_ctx *ctx, int argc, char **argv);
int cmd_verify(struct cli_ctx *ctx, int argc, char **argv);
int cmd_init(struct cli_ctx *ctx, int argc, char **argv);
int cmd_export(struct cli_ctx *ctx, int argc, char **argv);
int cmd_store(struct cli_ctx *ctx, int argc, char **argv);

#endif
