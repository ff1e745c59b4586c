/*
 * commands.c: the table of nvault's commands, in the order `nvault --help`
 * lists them. Each entry's function lives in cmd_<name>.c.
 */
#include "cli/commands.h"

const struct cli_command cli_commands[] = {
	{ .name = "sync", .run = cmd_sync, .summary = "back up the configured Notion databases now" },
	{ .name = "databases", .run = cmd_databases, .summary = "configured databases, task counts, watermarks" },
	{ .name = "version", .run = cmd_version, .summary = "print nvault's version" },
	{ .name = NULL },
};
