/*
 * status.h: the scheduler and sync status as one JSON document, shared by
 * `nvault status` and the MCP notion_sync tool's status action.
 */
#ifndef NV_SCHED_STATUS_H
#define NV_SCHED_STATUS_H

#include <jansson.h>

#include "config/config.h"
#include "store/store.h"
#include "util/err.h"

/*
 * Builds *out (new reference):
 *   {"running", "pid", "enabled", "schedule", "nextRun", "lastRun",
 *    "lastRunSuccess", "lastRunError", "updatedAt", "store", "storeExists",
 *    "dataSources": [{"databaseId", "name", "dataSourceId", "watermark",
 *                     "lastFullScanAt", "runInProgress", "lastSync"}]}
 * from the scheduler state a daemon recorded in s (running only while its
 * pid is alive; nextRun only while running; schedule/enabled from set when
 * no daemon ever recorded them), each data source's sync state and the
 * newest evidence record of its database (lastSync, as evidence_to_json(),
 * or null), then the databases of cfg never synced. s NULL means the store
 * does not exist yet; cfg NULL means no names. All arguments are borrowed.
 */
int sched_status_json(struct store *s, const struct settings *set, const struct config *cfg,
		      json_t **out, struct nv_err *err);

#endif
