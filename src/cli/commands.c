/*
 * commands.c: the table of nvault's commands, in the order `nvault --help`
 * lists them. Each entry's function lives in cmd_<name>.c.
 */
#include "cli/commands.h"

const struct cli_command cli_commands[] = {
	{ .name = "status", .run = cmd_status, .summary = "scheduler state and each database's last sync" },
	{ .name = "config", .run = cmd_config, .summary = "validate the sync config and show the settings" },
	{ .name = "version", .run = cmd_version, .summary = "print nvault's version" },
	{ .name = NULL },
};
