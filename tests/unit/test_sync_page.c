/*
 * test_sync_page.c: the sync's per-page pipeline (src/sync/sync_page.c) on a
 * real SQLite store in a private temp dir: rows are prepared (mapped,
 * hashed, heads read in one query) with no transaction open, then decided
 * and written inside one; a head that moves between the two steps (an
 * agent's local edit, another writer creating the page's task) is read
 * again and decided again instead of being overwritten blindly; pages a
 * complete scan missed are deleted through the same decision.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "sync/sync_internal.h"
#include "util/xalloc.h"

#define DB "1a2b3c4d-5e6f-47a8-b9c0-d1e2f3a4b5c6"
#define DS "2b3c4d5e-6f70-48a9-b0c1-d2e3f4a5b6c7"
#define PAGE1 "be633bf1-dfa0-436d-b259-571129a590e1"
#define PAGE2 "be633bf1-dfa0-436d-b259-571129a590e2"

struct fixture {
	char dir[64];
	char path[128];
	struct store *s;
	struct config *cfg;
	struct sync_opts opts;
	struct sync_run_ctx ctx;
	struct sync_db_result res;
	struct source_run r;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct nv_err err;
	const char *cfg =
		"{\"databases\": [{\"notionDatabaseId\": \"" DB "\","
		" \"projectScopeId\": \"eng\", \"fieldMappings\": {\"Name\": \"title\"}}]}";

	snprintf(f->dir, sizeof(f->dir), "/tmp/nv-syncpage-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/vault.db", f->dir);
	if (store_open(f->path, 0, &f->s, &err))
		fail_msg("store_open: %s", err.msg);
	if (config_load_string(cfg, "t.json", &f->cfg, &err))
		fail_msg("config: %s", err.msg);
	f->ctx.s = f->s;
	f->ctx.cfg = f->cfg;
	f->ctx.opts = &f->opts;
	f->res.errors = json_array();
	f->res.warnings = json_array();
	f->r.run = &f->ctx;
	f->r.db = &f->cfg->dbs[0];
	f->r.res = &f->res;
	snprintf(f->r.ds_id, sizeof(f->r.ds_id), "%s", DS);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	store_close(f->s);
	config_free(f->cfg);
	json_decref(f->res.errors);
	json_decref(f->res.warnings);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	free(f);
	return system(cmd);
}

/* A Notion row with a title, as a query result returns it. */
static json_t *row(const char *page_id, const char *title, const char *edited, int in_trash)
{
	json_t *r = json_pack(
		"{s:s s:s s:s s:s s:{s:s s:s s:s} s:b s:b s:{s:{s:s s:s s:[{s:s s:{s:s} s:s}]}}}",
		"object", "page", "id", page_id, "created_time", "2026-01-02T03:04:00.000Z",
		"last_edited_time", edited, "parent", "type", "data_source_id", "data_source_id",
		DS, "database_id", DB, "in_trash", in_trash, "archived", 0, "properties", "Name",
		"id", "title", "type", "title", "title", "type", "text", "text", "content", title,
		"plain_text", title);
	assert_non_null(r);
	return r;
}

/* Runs one page through both steps, the second in a transaction; returns the status. */
static int run_page(struct fixture *f, json_t *rows, struct page_batch *pb)
{
	struct nv_err err;
	int rc;

	nv_err_clear(&err);
	if ((rc = sync_page_prepare(&f->r, rows, NULL, pb, &err)))
		return rc;
	assert_false(store_in_write_tx(f->s));
	assert_int_equal(store_begin(f->s, &err), NV_OK);
	if ((rc = sync_page_write(&f->r, pb, &err))) {
		store_rollback(f->s);
		return rc;
	}
	return store_commit(f->s, &err);
}

static void sync_rows(struct fixture *f, json_t *rows)
{
	struct page_batch pb;

	assert_int_equal(run_page(f, rows, &pb), NV_OK);
	sync_page_batch_release(&pb);
	json_decref(rows);
}

static void get_task(struct fixture *f, const char *page, struct task *t)
{
	struct nv_err err;

	if (store_task_get_by_page(f->s, DS, page, t, &err))
		fail_msg("get: %s", err.msg);
}

/* A local edit of the page's task, as `nvault task update` writes it. */
static void local_edit(struct fixture *f, const char *page, const char *title)
{
	struct version_info vi = {"cli", "local edit", 0};
	struct task t;
	struct nv_err err;

	get_task(f, page, &t);
	free(t.title);
	t.title = xstrdup(title);
	if (store_task_put(f->s, &t, &vi, NULL, &err))
		fail_msg("local edit: %s", err.msg);
	task_release(&t);
}

static void test_new_unchanged_updated(void **state)
{
	struct fixture *f = *state;
	struct task t;

	sync_rows(f, json_pack("[o o]", row(PAGE1, "One", "2026-01-05T06:07:00.000Z", 0),
			       row(PAGE2, "Two", "2026-01-05T06:07:00.000Z", 0)));
	assert_int_equal(f->res.created, 2);

	/* the same rows again: nothing written, but a newer edit time is kept */
	sync_rows(f, json_pack("[o o]", row(PAGE1, "One", "2026-01-06T00:00:00.000Z", 0),
			       row(PAGE2, "Two", "2026-01-05T06:07:00.000Z", 0)));
	assert_int_equal(f->res.unchanged, 2);
	get_task(f, PAGE1, &t);
	assert_int_equal(t.version, 1);
	assert_string_equal(t.notion_last_edited_time, "2026-01-06T00:00:00.000Z");
	task_release(&t);

	/* a change, a trashing */
	sync_rows(f, json_pack("[o o]", row(PAGE1, "One edited", "2026-01-07T00:00:00.000Z", 0),
			       row(PAGE2, "Two", "2026-01-07T00:00:00.000Z", 1)));
	assert_int_equal(f->res.updated, 1);
	assert_int_equal(f->res.deleted, 1);
	get_task(f, PAGE2, &t);
	assert_int_equal(t.version, 2);
	assert_false(t.active);
	assert_non_null(t.deleted_at);
	task_release(&t);
	assert_int_equal(json_array_size(f->res.errors), 0);
}

/*
 * Between prepare (heads read) and write, an agent edits the task locally.
 * The Notion row changed too: the write must see the moved head and flag a
 * conflict, not append over the local edit as if it were not there.
 */
static void test_head_moved_by_local_edit_is_decided_again(void **state)
{
	struct fixture *f = *state;
	struct page_batch pb;
	struct nv_err err;
	json_t *conflicts = NULL, *rows;
	struct task t;

	sync_rows(f, json_pack("[o]", row(PAGE1, "One", "2026-01-05T06:07:00.000Z", 0)));
	rows = json_pack("[o]", row(PAGE1, "One from Notion", "2026-01-06T00:00:00.000Z", 0));
	assert_int_equal(sync_page_prepare(&f->r, rows, NULL, &pb, &err), NV_OK);
	assert_int_equal(pb.heads[0].version, 1);

	local_edit(f, PAGE1, "One, edited by an agent"); /* lands meanwhile */

	assert_int_equal(store_begin(f->s, &err), NV_OK);
	assert_int_equal(sync_page_write(&f->r, &pb, &err), NV_OK);
	assert_int_equal(store_commit(f->s, &err), NV_OK);
	assert_int_equal(pb.heads[0].version, 2); /* read again */
	sync_page_batch_release(&pb);
	json_decref(rows);

	get_task(f, PAGE1, &t);
	assert_int_equal(t.version, 3);
	assert_string_equal(t.title, "One from Notion");
	assert_int_equal(f->res.conflicts, 1);
	assert_int_equal(store_conflict_list(f->s, t.id, &conflicts, &err), NV_OK);
	assert_int_equal(json_array_size(conflicts), 1);
	json_decref(conflicts);
	task_release(&t);
}

/* The same, with a Notion row that did not change: the local edit stays. */
static void test_head_moved_local_edit_kept(void **state)
{
	struct fixture *f = *state;
	struct page_batch pb;
	struct nv_err err;
	json_t *rows;
	struct task t;

	sync_rows(f, json_pack("[o]", row(PAGE1, "One", "2026-01-05T06:07:00.000Z", 0)));
	rows = json_pack("[o]", row(PAGE1, "One", "2026-01-05T06:07:00.000Z", 0));
	assert_int_equal(sync_page_prepare(&f->r, rows, NULL, &pb, &err), NV_OK);
	local_edit(f, PAGE1, "One, edited by an agent");
	assert_int_equal(store_begin(f->s, &err), NV_OK);
	assert_int_equal(sync_page_write(&f->r, &pb, &err), NV_OK);
	assert_int_equal(store_commit(f->s, &err), NV_OK);
	/* unchanged since the head read: nothing to write, so nothing overwritten */
	assert_int_equal(pb.rows[0].done, SYNC_UNCHANGED);
	assert_int_equal(f->res.unchanged, 1);
	sync_page_batch_release(&pb);
	json_decref(rows);

	get_task(f, PAGE1, &t);
	assert_int_equal(t.version, 2);
	assert_string_equal(t.title, "One, edited by an agent");
	task_release(&t);
	assert_int_equal(f->res.conflicts, 0);
}

/* Prepare saw no task; another writer created the page's task meanwhile. */
static void test_task_created_meanwhile(void **state)
{
	struct fixture *f = *state;
	struct page_batch pb, other;
	struct nv_err err;
	json_t *rows = json_pack("[o]", row(PAGE1, "One", "2026-01-05T06:07:00.000Z", 0));
	struct task t;

	assert_int_equal(sync_page_prepare(&f->r, rows, NULL, &pb, &err), NV_OK);
	assert_null(pb.heads[0].id);
	/* the other writer: the same pipeline, committed first */
	assert_int_equal(run_page(f, rows, &other), NV_OK);
	sync_page_batch_release(&other);
	assert_int_equal(store_begin(f->s, &err), NV_OK);
	assert_int_equal(sync_page_write(&f->r, &pb, &err), NV_OK);
	assert_int_equal(store_commit(f->s, &err), NV_OK);
	assert_int_equal(pb.rows[0].done, SYNC_UNCHANGED);
	sync_page_batch_release(&pb);
	json_decref(rows);
	get_task(f, PAGE1, &t);
	assert_int_equal(t.version, 1);
	task_release(&t);
}

/* Pages a complete scan did not see: deleted with the same decision. */
static void test_missing_pages_deleted(void **state)
{
	struct fixture *f = *state;
	const char *missing[] = {PAGE1, PAGE2, "be633bf1-dfa0-436d-b259-571129a590e3"};
	struct page_batch pb;
	struct nv_err err;
	struct task t;

	sync_rows(f, json_pack("[o o]", row(PAGE1, "One", "2026-01-05T06:07:00.000Z", 0),
			       row(PAGE2, "Two", "2026-01-05T06:07:00.000Z", 1)));
	assert_int_equal(store_begin(f->s, &err), NV_OK);
	assert_int_equal(sync_page_prepare_missing(&f->r, missing, 3, &pb, &err), NV_OK);
	assert_int_equal(pb.n_ids, 1); /* PAGE2 was deleted already, the third has no task */
	assert_int_equal(sync_page_write(&f->r, &pb, &err), NV_OK);
	assert_int_equal(store_commit(f->s, &err), NV_OK);
	sync_page_batch_release(&pb);
	assert_int_equal(f->res.deleted, 1);
	get_task(f, PAGE1, &t);
	assert_false(t.active);
	assert_int_equal(t.version, 2);
	task_release(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_new_unchanged_updated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_head_moved_by_local_edit_is_decided_again,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_head_moved_local_edit_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_task_created_meanwhile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_pages_deleted, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
