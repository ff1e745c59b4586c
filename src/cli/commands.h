/*
 * commands.h: one entry point per top-level command, each defined in
 * cmd_<name>.c and listed in the table in commands.c.
 */
#ifndef NV_COMMANDS_H
#define NV_COMMANDS_H

#include "cli/cli.h"

int cmd_version(struct cli_ctx *ctx, int argc, char **argv);
int cmd_sync(struct cli_ctx *ctx, int argc, char **argv);
int cmd_databases(struct cli_ctx *ctx, int argc, char **argv);

#endif
