/*
 * fuzz_mcp.c: libFuzzer target for the MCP layer (src/mcp) behind the
 * JSON-RPC dispatch: every input line goes to a real MCP server over a
 * real store in a private temporary directory, so initialize, tools/list
 * and every memory_task / notion_sync action see hostile arguments
 * (wrong types, huge numbers, odd ids and times). No Notion token is set,
 * so a sync is refused before any network access. Every reply must be one
 * line of valid JSON.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mcp/mcp.h"

static struct mcp_server *server;
static struct settings settings;
static char dir[64];

static void check_output(void *ud, const char *line, size_t len)
{
	json_error_t e;
	json_t *m;

	if (memchr(line, '\n', len))
		abort();
	if (!(m = json_loadb(line, len, 0, &e)))
		abort();
	json_decref(m);
}

static void cleanup(void)
{
	char path[128];
	static const char *const files[] = {"vault.db", "vault.db-wal", "vault.db-shm"};

	mcp_server_free(server);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
	free(settings.db_path);
	free(settings.config_path);
}

static void setup(void)
{
	char path[128];

	snprintf(dir, sizeof(dir), "/tmp/nvault-fuzz-mcp.XXXXXX");
	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/vault.db", dir);
	settings.db_path = strdup(path);
	snprintf(path, sizeof(path), "%s/missing.config.json", dir);
	settings.config_path = strdup(path);
	if (mcp_server_new(&settings, check_output, NULL, &server, NULL))
		abort();
	atexit(cleanup);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;

	if (!server)
		setup();
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		mcp_handle_line(server, p, len);
		p += len + (nl ? 1 : 0);
	}
	return 0;
}
