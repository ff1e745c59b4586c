/*
 * sync_decide.c: the one decision per row (SPEC §4.2, §4.4, §4.7), a pure
 * function of the stored head and the mapped row, so that the rules read
 * as a table (tests/unit/test_sync_decide.c) and nothing else decides:
 *
 *   stored head                  mapped row                 → action      conflict
 *   none                         any                        → new
 *   any                          same content hash          → unchanged
 *   local edit since last sync   = the last sync's content  → kept local
 *   local edit since last sync   other content              → (below)     yes
 *   active                       in trash / missing         → deleted
 *   deleted                      active                     → restored
 *   otherwise                    other content              → updated
 *
 * "Local edit since last sync": the current version is newer than the
 * newest version the sync wrote (head->author_version < head->version). A
 * head with no version by the sync at all has no last sync to compare with,
 * so its rows follow the plain rules.
 */
#include <string.h>

#include "sync/sync_internal.h"

static const char *const action_names[] = {
	[SYNC_NEW] = "new",	      [SYNC_UNCHANGED] = "unchanged",
	[SYNC_UPDATED] = "updated",   [SYNC_DELETED] = "deleted",
	[SYNC_RESTORED] = "restored", [SYNC_KEPT_LOCAL] = "kept local",
};

/* Change reason of the version each writing action appends. */
static const char *const action_reasons[] = {
	[SYNC_NEW] = "created",
	[SYNC_UPDATED] = "updated in Notion",
	[SYNC_DELETED] = "deleted in Notion",
	[SYNC_RESTORED] = "restored in Notion",
};

const char *sync_action_name(enum sync_action a)
{
	if ((unsigned)a >= sizeof(action_names) / sizeof(action_names[0]))
		return "?";
	return action_names[a];
}

struct sync_decision sync_decide(const struct store_head *head, int row_active,
				 const char *row_hash)
{
	struct sync_decision d = {SYNC_NEW, 0, NULL};

	if (!head || !head->id) {
		d.action = SYNC_NEW;
	} else if (!strcmp(row_hash, head->content_hash)) {
		d.action = SYNC_UNCHANGED;
	} else {
		int local_edit = head->author_version > 0 && head->author_version < head->version;

		if (local_edit && !strcmp(row_hash, head->author_hash)) {
			d.action = SYNC_KEPT_LOCAL;
			return d;
		}
		d.conflict = local_edit;
		if (head->active && !row_active)
			d.action = SYNC_DELETED;
		else if (!head->active && row_active)
			d.action = SYNC_RESTORED;
		else
			d.action = SYNC_UPDATED;
	}
	d.reason = action_reasons[d.action];
	return d;
}

int sync_scan_needs_reread(const struct store_head *head)
{
	if (!head || !head->id)
		return 1;
	/* deleted, and the deletion was the sync's own: the page came back */
	return !head->active && head->author_version == head->version;
}
