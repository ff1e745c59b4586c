/*
 * test_pg_harness.c: the unit tests' PostgreSQL server (pg_harness.h) is a
 * real server reachable through libpq at the locator it returns, survives
 * a forked child's exit, and makes fresh databases.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <libpq-fe.h>

#include "pg_harness.h"

/* The single value of query sql on locator url, malloc'd. */
static char *query1(const char *url, const char *sql)
{
	PGconn *c = PQconnectdb(url);
	PGresult *r;
	char *v;

	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("connect %s: %s", url, PQerrorMessage(c));
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	v = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(c);
	return v;
}

static void test_server_answers(void **state)
{
	const char *url = nv_pg_start();
	char *v;

	assert_string_equal(nv_pg_start(), url); /* once per process */
	assert_non_null(strstr(url, "postgresql:///nvault?host="));
	v = query1(url, "select current_user || '@' || current_database()");
	assert_string_equal(v, "nvault@nvault");
	free(v);
	v = query1(url, "show listen_addresses");
	assert_string_equal(v, "");
	free(v);
}

static void test_child_exit_keeps_server(void **state)
{
	const char *url = nv_pg_start();
	pid_t pid = fork();
	int status;
	char *v;

	assert_true(pid >= 0);
	if (pid == 0)
		exit(0); /* runs the atexit handlers: must not stop the parent's server */
	assert_int_equal(waitpid(pid, &status, 0), pid);
	v = query1(url, "select 1");
	assert_string_equal(v, "1");
	free(v);
}

static void test_newdb(void **state)
{
	char *url = nv_pg_newdb("harness_second");
	char *v;

	assert_non_null(strstr(url, "postgresql:///harness_second?host="));
	v = query1(url, "select current_database()");
	assert_string_equal(v, "harness_second");
	free(v);
	free(url);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_server_answers),
		cmocka_unit_test(test_child_exit_keeps_server),
		cmocka_unit_test(test_newdb),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
