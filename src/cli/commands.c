/*
 * commands.c: the table of nvault's commands, in the order `nvault --help`
 * lists them. Each entry's function lives in cmd_<name>.c.
 */
#include "cli/commands.h"

const struct cli_command cli_commands[] = {
	{ .name = "mcp", .run = cmd_mcp, .summary = "MCP server on stdin/stdout (for AI agents)" },
	{ .name = "version", .run = cmd_version, .summary = "print nvault's version" },
	{ .name = NULL },
};
