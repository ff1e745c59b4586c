/*
 * test_locator.c: store locators (src/util/locator.c): which ones name
 * PostgreSQL, and that every password libpq would read from one — URL
 * credentials, password / sslpassword in a URL query (also %-encoded) or a
 * conninfo string (quoted, escaped) — is hidden and detected, while
 * everything else is shown as given.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config/config.h"
#include "util/locator.h"

static void test_is_postgres(void **state)
{
	assert_true(locator_is_postgres("postgresql://db.example/nv"));
	assert_true(locator_is_postgres("postgres://u@h/db"));
	assert_true(locator_is_postgres("PostgreSQL://h/db"));
	assert_true(locator_is_postgres("postgresql:///nvault?host=/tmp/x"));
	assert_true(locator_is_postgres("host=/tmp/x dbname=nv"));
	assert_true(locator_is_postgres("  dbname = nv"));
	assert_true(locator_is_postgres("service=team"));
	assert_true(locator_is_postgres("schema=team1 host=/tmp/x dbname=nv"));
	assert_false(locator_is_postgres("/home/u/.local/share/nvault/vault.db"));
	assert_false(locator_is_postgres("vault.db"));
	assert_false(locator_is_postgres("./host=x"));
	assert_false(locator_is_postgres("a=b.db"));	 /* not a libpq keyword */
	assert_false(locator_is_postgres("hostname=x")); /* nor is this */
	assert_false(locator_is_postgres("file:vault.db?mode=ro"));
	assert_false(locator_is_postgres("postgresql:/x"));
	assert_false(locator_is_postgres(""));
	assert_false(locator_is_postgres(NULL));
}

/* redact(loc) == want, and has_password(loc) == (want != loc) */
static void check(const char *loc, const char *want)
{
	char *got = locator_redact(loc);
	assert_string_equal(got, want);
	assert_int_equal(locator_has_password(loc), strcmp(loc, want) != 0);
	free(got);
}

static void test_redact_url(void **state)
{
	check("postgresql://alice:s3cret@db.example:5432/nv?sslmode=require",
	      "postgresql://alice:***@db.example:5432/nv?sslmode=require");
	check("postgres://alice:p%40ss@db/nv", "postgres://alice:***@db/nv");
	check("postgresql://alice:a:b@h1,h2:5433/nv", "postgresql://alice:***@h1,h2:5433/nv");
	check("postgresql://alice@db/nv", "postgresql://alice@db/nv");
	check("postgresql://alice:@db/nv",
	      "postgresql://alice:@db/nv"); /* empty: nothing to hide */
	check("postgresql://db/nv?user=a&password=s3cret&sslmode=verify-full",
	      "postgresql://db/nv?user=a&password=***&sslmode=verify-full");
	check("postgresql://db/nv?PASSWORD=x", "postgresql://db/nv?PASSWORD=***");
	check("postgresql://db/nv?pass%77ord=x&sslpassword=y",
	      "postgresql://db/nv?pass%77ord=***&sslpassword=***");
	check("postgresql://u:pw@db/nv?password=again", "postgresql://u:***@db/nv?password=***");
	check("postgresql:///nvault?host=/tmp/nvault-pg.x&user=nvault",
	      "postgresql:///nvault?host=/tmp/nvault-pg.x&user=nvault");
	check("postgresql://db/nv?passfile=/home/u/.pgpass",
	      "postgresql://db/nv?passfile=/home/u/.pgpass");
	/* a '@' after the path is not a credential */
	check("postgresql://db/n@v", "postgresql://db/n@v");
	check("postgresql://u:pw@db/nv?schema=team1", "postgresql://u:***@db/nv?schema=team1");
}

static void test_redact_conninfo(void **state)
{
	check("host=db dbname=nv password=s3cret sslmode=require",
	      "host=db dbname=nv password=*** sslmode=require");
	check("host=db password = 's3 cr\\'et' user=a", "host=db password=*** user=a");
	check("host=db password=s3\\ cret user=a", "host=db password=*** user=a");
	check("dbname=nv sslpassword=k", "dbname=nv sslpassword=***");
	check("host=/tmp/x dbname=nv user=nvault", "host=/tmp/x dbname=nv user=nvault");
	check("host=/tmp/x dbname=nv schema=team1 password=p",
	      "host=/tmp/x dbname=nv schema=team1 password=***");
	/* unparseable: hidden whole when it mentions a password, else as given */
	check("host=db password='unterminated",
	      "(PostgreSQL locator hidden: it may hold a password)");
	{
		char *got = locator_redact("host=db junk");
		assert_string_equal(got, "host=db junk");
		assert_false(locator_has_password("host=db junk"));
		free(got);
	}
}

static void test_paths_untouched(void **state)
{
	check("/srv/nvault/password=x.db", "/srv/nvault/password=x.db");
	check("u:pw@host.db", "u:pw@host.db");
	check("", "");
}

/* --db / NVAULT_DB with a password: refused, the message shows it hidden */
static void test_settings_refuse_password(void **state)
{
	struct settings st;
	struct nv_err err;

	unsetenv("NVAULT_DB");
	assert_int_equal(settings_resolve(&st, "postgresql://alice:s3cret@db/nv", NULL, &err),
			 NV_EUSAGE);
	assert_null(strstr(err.msg, "s3cret"));
	assert_non_null(strstr(err.msg, "--db"));
	assert_non_null(strstr(err.msg, "postgresql://alice:***@db/nv"));
	assert_non_null(strstr(err.msg, "PGPASSWORD"));
	settings_release(&st);

	setenv("NVAULT_DB", "host=db password=s3cret", 1);
	assert_int_equal(settings_resolve(&st, NULL, NULL, &err), NV_EUSAGE);
	assert_null(strstr(err.msg, "s3cret"));
	assert_non_null(strstr(err.msg, "NVAULT_DB"));
	settings_release(&st);

	setenv("NVAULT_DB", "postgresql://alice@db/nv?sslmode=require", 1);
	assert_int_equal(settings_resolve(&st, NULL, NULL, &err), NV_OK);
	assert_string_equal(st.db_path, "postgresql://alice@db/nv?sslmode=require");
	settings_release(&st);
	unsetenv("NVAULT_DB");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_is_postgres),
		cmocka_unit_test(test_redact_url),
		cmocka_unit_test(test_redact_conninfo),
		cmocka_unit_test(test_paths_untouched),
		cmocka_unit_test(test_settings_refuse_password),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
