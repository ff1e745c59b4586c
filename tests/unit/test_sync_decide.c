/*
 * test_sync_decide.c: the sync's one decision per row (src/sync/sync_decide.c)
 * as a table that reads like SPEC §4.2, §4.4 and §4.7: the stored head, the
 * mapped row, and what the sync does. Hashes are stand-ins ("A", "B", ...):
 * the decision only compares them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "sync/sync_internal.h"

/* A stored head in one line: NONE, or id + version + active + hashes. */
struct head_spec {
	int exists;
	int64_t version;
	int active;
	const char *content_hash; /* current version's */
	int64_t sync_version;	  /* newest version by notion-sync, 0 = none */
	const char *sync_hash;	  /* its content hash */
};

#define NONE                                                                                       \
	{                                                                                          \
		0, 0, 0, NULL, 0, NULL                                                             \
	}
/* version N, written by the sync itself (no local edit since) */
#define SYNCED(n, active, hash)                                                                    \
	{                                                                                          \
		1, n, active, hash, n, hash                                                        \
	}
/* version N by a local writer, after the sync's version S with hash SH */
#define LOCAL(n, active, hash, s, sh)                                                              \
	{                                                                                          \
		1, n, active, hash, s, sh                                                          \
	}

enum { GONE = 0, ACTIVE = 1 };

static const struct decide_case {
	const char *rule;
	struct head_spec head;
	int row_active;
	const char *row_hash;
	enum sync_action action;
	int conflict;
	const char *reason;
} cases[] = {
	/* §4.2: new page, same content, changed content */
	{"a page with no task is new", NONE, ACTIVE, "A", SYNC_NEW, 0, "created"},
	{"a page first seen in the trash is new (stored deleted)", NONE, GONE, "A", SYNC_NEW, 0,
	 "created"},
	{"same content hash writes nothing", SYNCED(3, ACTIVE, "A"), ACTIVE, "A", SYNC_UNCHANGED, 0,
	 NULL},
	{"other content is a new version", SYNCED(3, ACTIVE, "A"), ACTIVE, "B", SYNC_UPDATED, 0,
	 "updated in Notion"},
	/* §4.4: trash and back */
	{"an active task seen in the trash is deleted", SYNCED(3, ACTIVE, "A"), GONE, "B",
	 SYNC_DELETED, 0, "deleted in Notion"},
	{"a deleted task seen active again is restored", SYNCED(4, GONE, "B"), ACTIVE, "A",
	 SYNC_RESTORED, 0, "restored in Notion"},
	{"a deleted task still in the trash, unchanged", SYNCED(4, GONE, "B"), GONE, "B",
	 SYNC_UNCHANGED, 0, NULL},
	{"a deleted task edited in the trash is updated", SYNCED(4, GONE, "B"), GONE, "C",
	 SYNC_UPDATED, 0, "updated in Notion"},
	/* §4.7: local edits */
	{"a local edit, Notion unchanged since the sync: kept", LOCAL(4, ACTIVE, "L", 3, "A"),
	 ACTIVE, "A", SYNC_KEPT_LOCAL, 0, NULL},
	{"a local edit and a Notion change: Notion wins, flagged", LOCAL(4, ACTIVE, "L", 3, "A"),
	 ACTIVE, "B", SYNC_UPDATED, 1, "updated in Notion"},
	{"a local edit, Notion now equal to it: unchanged", LOCAL(4, ACTIVE, "L", 3, "A"), ACTIVE,
	 "L", SYNC_UNCHANGED, 0, NULL},
	{"a local edit, then Notion trashes the row: deleted, flagged",
	 LOCAL(4, ACTIVE, "L", 3, "A"), GONE, "G", SYNC_DELETED, 1, "deleted in Notion"},
	{"a local delete, Notion unchanged: stays deleted", LOCAL(4, GONE, "L", 3, "A"), ACTIVE,
	 "A", SYNC_KEPT_LOCAL, 0, NULL},
	{"a local delete, then a Notion change: restored, flagged", LOCAL(4, GONE, "L", 3, "A"),
	 ACTIVE, "B", SYNC_RESTORED, 1, "restored in Notion"},
	{"a task the sync never wrote follows the plain rules", LOCAL(2, ACTIVE, "L", 0, ""),
	 ACTIVE, "B", SYNC_UPDATED, 0, "updated in Notion"},
};

static void fill_head(struct store_head *h, const struct head_spec *spec)
{
	static char task_id[] = "task-1";

	memset(h, 0, sizeof(*h));
	if (!spec->exists)
		return;
	h->id = task_id;
	h->version = spec->version;
	h->active = spec->active;
	snprintf(h->content_hash, sizeof(h->content_hash), "%s", spec->content_hash);
	h->author_version = spec->sync_version;
	snprintf(h->author_hash, sizeof(h->author_hash), "%s", spec->sync_hash);
}

static void test_decision_table(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct decide_case *c = &cases[i];
		struct store_head h;
		struct sync_decision d;

		fill_head(&h, &c->head);
		d = sync_decide(c->head.exists ? &h : NULL, c->row_active, c->row_hash);
		if (d.action != c->action || d.conflict != c->conflict ||
		    (c->reason ? !d.reason || strcmp(d.reason, c->reason) : d.reason != NULL))
			fail_msg("%s: got %s%s (%s), want %s%s (%s)", c->rule,
				 sync_action_name(d.action), d.conflict ? " + conflict" : "",
				 d.reason ? d.reason : "no version", sync_action_name(c->action),
				 c->conflict ? " + conflict" : "",
				 c->reason ? c->reason : "no version");
	}
}

static void test_head_without_id_is_no_task(void **state)
{
	struct store_head h;

	memset(&h, 0, sizeof(h)); /* what store_heads_by_pages() gives a page with no task */
	assert_int_equal(sync_decide(&h, 1, "A").action, SYNC_NEW);
}

static const struct reread_case {
	const char *rule;
	struct head_spec head;
	int reread;
} reread_cases[] = {
	{"a page with no task is read by the pass", NONE, 1},
	{"an active task is left to the watermark", SYNCED(2, ACTIVE, "A"), 0},
	{"a task the sync deleted whose page is back is re-read", SYNCED(3, GONE, "B"), 1},
	{"a task deleted locally is not re-read", LOCAL(3, GONE, "L", 2, "A"), 0},
};

static void test_scan_reread_table(void **state)
{
	for (size_t i = 0; i < sizeof(reread_cases) / sizeof(reread_cases[0]); i++) {
		const struct reread_case *c = &reread_cases[i];
		struct store_head h;

		fill_head(&h, &c->head);
		if (sync_scan_needs_reread(c->head.exists ? &h : NULL) != c->reread)
			fail_msg("%s: got %d", c->rule, !c->reread);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decision_table),
		cmocka_unit_test(test_head_without_id_is_no_task),
		cmocka_unit_test(test_scan_reread_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
