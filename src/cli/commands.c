/*
 * commands.c: the table of nvault's commands, in the order `nvault --help`
 * lists them. Each entry's function lives in cmd_<name>.c.
 */
#include "cli/commands.h"

const struct cli_command cli_commands[] = {
	{.name = "sync", .run = cmd_sync, .summary = "back up the configured Notion databases now"},
	{.name = "databases",
	 .run = cmd_databases,
	 .summary = "configured databases, task counts, watermarks"},
	{.name = "status",
	 .run = cmd_status,
	 .summary = "scheduler state and each database's last sync"},
	{.name = "daemon",
	 .run = cmd_daemon,
	 .summary = "run the scheduler in the foreground (systemd, containers)"},
	{.name = "mcp", .run = cmd_mcp, .summary = "MCP server on stdin/stdout (for AI agents)"},
	{.name = "task",
	 .run = cmd_task,
	 .summary = "add, update, get, list and show history of tasks"},
	{.name = "as-of", .run = cmd_as_of, .summary = "every task as it was at a time"},
	{.name = "diff",
	 .run = cmd_diff,
	 .summary = "what was created/changed/deleted between two times"},
	{.name = "evidence", .run = cmd_evidence, .summary = "sync audit records, newest first"},
	{.name = "verify",
	 .run = cmd_verify,
	 .summary = "check store integrity and version hash chains"},
	{.name = "init",
	 .run = cmd_init,
	 .summary = "find the shared Notion databases, propose mappings, write the config"},
	{.name = "config",
	 .run = cmd_config,
	 .summary = "validate the sync config and show the settings"},
	{.name = "export", .run = cmd_export, .summary = "dump tasks as JSON Lines or CSV"},
	{.name = "version", .run = cmd_version, .summary = "print nvault's version"},
	{.name = NULL},
};
