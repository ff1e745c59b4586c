/*
 * fuzz_cli.c: libFuzzer target for the command line (issue 15): the input
 * is an argument vector, one argument per line, run through cli_main() as
 * `nvault ARG...` against a store in a private temporary directory. Global
 * options anywhere, every command's option table, numbers, lists, "--x=y",
 * "--", help paths and the checks commands make of their arguments (UTF-8,
 * times, ids) are reached. Whatever the arguments, nvault must return an
 * exit code of SPEC §1 (0-3, 130 or 143) without crashing, leaking or exiting.
 *
 * Left out, so a run stays in its sandbox and never blocks: arguments with
 * '/' (every path stays inside the temporary directory), and the commands
 * that wait for input or a schedule (daemon, mcp, init). No token is set and
 * the Notion URL is a closed loopback port, so sync fails fast.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

#define MAX_ARGS 24

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char sandbox_dir[] = "/tmp/nvault-fuzz-cli.XXXXXX";

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* The temporary directory goes at exit, with every store the inputs made. */
static void remove_sandbox(void)
{
	if (chdir("/") == 0)
		nftw(sandbox_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void sandbox(void)
{
	static int ready;

	if (ready)
		return;
	ready = 1;
	if (!mkdtemp(sandbox_dir) || chdir(sandbox_dir))
		abort();
	atexit(remove_sandbox);
	setenv("NVAULT_DB", "vault.db", 1);
	setenv("XDG_DATA_HOME", "xdg", 1);
	setenv("XDG_CONFIG_HOME", "xdg-config", 1);
	setenv("HOME", ".", 1);
	setenv("AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH", "notion-sync.config.json", 1);
	setenv("NOTION_API_BASE_URL", "http://127.0.0.1:9", 1);
	setenv("NVAULT_RATE_LIMIT", "0", 1);
	unsetenv("NOTION_API_KEY");
	unsetenv("AGENT_MEMORY_NOTION_SYNC_SCHEDULE");
	/* results are not looked at; the exit code and the sanitizers are */
	if (!freopen("/dev/null", "w", stdout))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const skipped[] = {"daemon", "mcp", "init"};
	static char prog[] = "nvault";
	char *text, *argv[MAX_ARGS + 2];
	int argc = 1, rc;

	sandbox();
	if (size > 4096 || memchr(data, '/', size))
		return 0;
	text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	argv[0] = prog;
	for (char *p = text, *nl; argc <= MAX_ARGS; p = nl + 1) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		argv[argc++] = p;
		if (!nl)
			break;
	}
	argv[argc] = NULL;
	for (int i = 1; i < argc; i++)
		for (size_t k = 0; k < sizeof(skipped) / sizeof(skipped[0]); k++)
			if (!strcmp(argv[i], skipped[k]))
				goto out;
	rc = cli_main(argc, argv);
	fflush(stdout);
	if (!(rc >= 0 && rc <= 3) && rc != 130 && rc != 143) {
		fprintf(stderr, "fuzz_cli: exit code %d\n", rc);
		abort();
	}
out:
	free(text);
	return 0;
}
