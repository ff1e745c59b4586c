/*
 * test_sync_idset.c: the page-id set the sync engine's dry run uses in
 * place of the store's scan marks (src/sync/idset.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "sync/sync_internal.h"

static void fake_id(unsigned n, char out[ID_DASHED_LEN + 1])
{
	char hex[33];

	snprintf(hex, sizeof(hex), "%08x0000400080000000%08x", n * 2654435761u, n);
	assert_int_equal(id_normalize(hex, out), 0);
}

static void test_idset_members(void **state)
{
	struct idset set;
	char id[ID_DASHED_LEN + 1];

	(void)state;
	idset_init(&set);
	assert_false(idset_has(&set, "1a2b3c4d-5e6f-47a8-b9c0-d1e2f3a4b5c6"));
	for (unsigned i = 0; i < 5000; i++) {
		fake_id(i, id);
		idset_add(&set, id);
	}
	idset_add(&set, "not an id"); /* ignored */
	fake_id(17, id);
	idset_add(&set, id); /* twice is once */
	assert_int_equal(set.n, 5000);
	for (unsigned i = 0; i < 5000; i++) {
		fake_id(i, id);
		assert_true(idset_has(&set, id));
	}
	for (unsigned i = 5000; i < 6000; i++) {
		fake_id(i, id);
		assert_false(idset_has(&set, id));
	}
	assert_false(idset_has(&set, "not an id"));
	idset_release(&set);
}

static void test_idset_any_id_form(void **state)
{
	struct idset set;

	(void)state;
	idset_init(&set);
	idset_add(&set, "1A2B3C4D5E6F47A8B9C0D1E2F3A4B5C6");
	assert_true(idset_has(&set, "1a2b3c4d-5e6f-47a8-b9c0-d1e2f3a4b5c6"));
	assert_true(idset_has(&set, "1a2b3c4d5e6f47a8b9c0d1e2f3a4b5c6"));
	assert_false(idset_has(&set, "1a2b3c4d-5e6f-47a8-b9c0-d1e2f3a4b5c7"));
	idset_release(&set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idset_members),
		cmocka_unit_test(test_idset_any_id_form),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
