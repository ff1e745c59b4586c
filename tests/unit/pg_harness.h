/*
 * pg_harness.h: a real PostgreSQL server for a cmocka test program, from
 * tests/pg/pg_cluster.sh (Unix socket only, role nvault owning database
 * nvault, trusted). Header-only; include it in the test's .c file.
 *
 *   const char *url = nv_pg_start();      // once; the server stops at exit
 *   char *other = nv_pg_newdb("second");  // a new empty database (free it)
 *
 * The server belongs to this process: it is stopped at exit(), and one left
 * by a crashed program is stopped by the next start (pg_cluster.sh reap).
 * A server that cannot start ends the program with exit status 1 and the
 * reason on stderr: a test that needs PostgreSQL fails, it never skips.
 * Needs NV_SRC_DIR (ctest sets it); NV_BUILD_DIR keeps a template cluster.
 */
#ifndef NV_TEST_PG_HARNESS_H
#define NV_TEST_PG_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char nv_pg_dir[256];
static char nv_pg_url[512];
static pid_t nv_pg_owner;

/* The pg_cluster.sh command line with args appended (static buffer). */
/* a program may use only some of these helpers */
#define NV_PG_HELPER static __attribute__((unused))

NV_PG_HELPER const char *nv_pg_script(const char *args)
{
	static char cmd[1024];
	const char *src = getenv("NV_SRC_DIR");

	if (!src) {
		fprintf(stderr, "pg_harness: NV_SRC_DIR is not set (ctest sets it to the "
				"source tree)\n");
		exit(1);
	}
	snprintf(cmd, sizeof(cmd), "bash '%s/tests/pg/pg_cluster.sh' %s", src, args);
	return cmd;
}

NV_PG_HELPER void nv_pg_stop(void)
{
	char args[512];

	/* a forked child exiting must not stop its parent's server */
	if (!nv_pg_dir[0] || getpid() != nv_pg_owner)
		return;
	snprintf(args, sizeof(args), "stop '%s'", nv_pg_dir);
	if (system(nv_pg_script(args)) != 0)
		fprintf(stderr, "pg_harness: could not stop the server in %s\n", nv_pg_dir);
	nv_pg_dir[0] = '\0';
}

/* Copies VALUE of a line KEY=VALUE or KEY='VALUE' into out when the key matches. */
NV_PG_HELPER int nv_pg_take(const char *line, const char *key, char *out, size_t size)
{
	size_t k = strlen(key), n;

	if (strncmp(line, key, k) != 0 || line[k] != '=')
		return 0;
	line += k + 1;
	n = strcspn(line, "\n");
	if (n >= 2 && line[0] == '\'' && line[n - 1] == '\'') {
		line++;
		n -= 2;
	}
	if (n >= size)
		return 0;
	memcpy(out, line, n);
	out[n] = '\0';
	return 1;
}

/* Starts the server (once per process) and returns the locator of database nvault. */
NV_PG_HELPER const char *nv_pg_start(void)
{
	static const char *const vars[] = {
		"PGHOST",	 "PGHOSTADDR", "PGPORT",     "PGUSER",	  "PGDATABASE", "PGSERVICE",
		"PGSERVICEFILE", "PGPASSWORD", "PGPASSFILE", "PGOPTIONS", "PGSSLMODE",	NULL};
	char args[64], line[1024];
	FILE *p;
	int status;

	if (nv_pg_url[0])
		return nv_pg_url;
	for (size_t i = 0; vars[i]; i++)
		unsetenv(vars[i]);
	nv_pg_owner = getpid();
	snprintf(args, sizeof(args), "start --owner %ld", (long)nv_pg_owner);
	fflush(NULL);
	p = popen(nv_pg_script(args), "r");
	if (!p) {
		perror("pg_harness: popen");
		exit(1);
	}
	while (fgets(line, sizeof(line), p)) {
		nv_pg_take(line, "NV_PG_DIR", nv_pg_dir, sizeof(nv_pg_dir));
		nv_pg_take(line, "NV_PG_URL", nv_pg_url, sizeof(nv_pg_url));
	}
	status = pclose(p);
	if (status != 0 || !nv_pg_dir[0] || !nv_pg_url[0]) {
		fprintf(stderr, "pg_harness: PostgreSQL did not start (see above); this test "
				"needs it\n");
		if (nv_pg_dir[0])
			nv_pg_stop();
		exit(1);
	}
	atexit(nv_pg_stop);
	return nv_pg_url;
}

/* A new empty database name (lower case, digits, _) in the server; its locator, malloc'd. */
NV_PG_HELPER char *nv_pg_newdb(const char *name)
{
	char args[512], line[1024] = "";
	FILE *p;

	nv_pg_start();
	snprintf(args, sizeof(args), "newdb '%s' '%s'", nv_pg_dir, name);
	fflush(NULL);
	p = popen(nv_pg_script(args), "r");
	if (!p || !fgets(line, sizeof(line), p) || pclose(p) != 0) {
		fprintf(stderr, "pg_harness: could not create database %s\n", name);
		exit(1);
	}
	line[strcspn(line, "\n")] = '\0';
	return strdup(line);
}

#endif
