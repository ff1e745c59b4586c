/*
 * sync_schema.c: each run reads a data source's schema, appends what
 * changed since the last recorded one to the store's schema history, and
 * resolves the database's field mappings against it by property id, so a
 * renamed mapped property keeps mapping (SPEC §4.13). See sync_internal.h.
 */
#include "sync/sync_internal.h"

#include <stdlib.h>
#include <string.h>

#include "mapper/schema.h"
#include "util/xalloc.h"

/* Evidence entry of one change (not the properties of a first recording). */
static json_t *change_json(const struct schema_event *e)
{
	json_t *o = json_pack("{s:s s:s s:s?}", "kind", e->kind, "propertyId", e->property_id,
			      "name", e->name);

	if (e->old_name)
		json_object_set_new(o, "oldName", json_string(e->old_name));
	if (e->old_type)
		json_object_set_new(o, "oldType", json_string(e->old_type));
	if (!strcmp(e->kind, "type_changed") && e->type)
		json_object_set_new(o, "type", json_string(e->type));
	return o;
}

int sync_schema_record(struct sync_run_ctx *ctx, const struct db_config *db, const char *ds_id,
		       const json_t *properties, json_t *ds_meta, struct sync_db_result *res,
		       struct db_config *resolved, struct schema_event **pending, size_t *n_pending,
		       struct nv_err *err)
{
	struct schema_event *hist = NULL, *changes = NULL;
	size_t n_hist = 0, n_changes = 0;
	json_t *known = NULL, *live = NULL, *list, *warnings = json_array(), *w;
	char now[TIME_ISO_MAX];
	size_t i;
	int rc;

	memset(resolved, 0, sizeof(*resolved));
	*pending = NULL;
	*n_pending = 0;
	if ((rc = store_schema_events(ctx->s, ds_id, NULL, 0, &hist, &n_hist, err)))
		goto out;
	known = schema_fold(hist, n_hist);
	live = schema_from_notion(properties);
	schema_diff(known, n_hist == 0, live, &changes, &n_changes);

	time_format_iso(time_now_ms(), now);
	for (i = 0; i < n_changes; i++) {
		changes[i].data_source_id = xstrdup(ds_id);
		changes[i].database_id = xstrdup(db->database_id);
		changes[i].run_id = xstrdup(ctx->run_id);
		changes[i].seen_at = xstrdup(now);
	}
	list = json_array();
	for (i = 0; i < n_changes; i++)
		if (strcmp(changes[i].kind, "initial"))
			json_array_append_new(list, change_json(&changes[i]));
	if (n_hist == 0)
		json_object_set_new(ds_meta, "schemaRecorded", json_integer((json_int_t)n_changes));
	if (json_array_size(list))
		json_object_set_new(ds_meta, "schemaChanges", list);
	else
		json_decref(list);

	schema_resolve_mappings(db, properties, hist, n_hist, resolved, warnings);
	json_array_foreach(warnings, i, w)
		sync_note(res->warnings, "data source %s: %s", ds_id, json_string_value(w));
	/* appended after the data source's run (sync_schema_append()) */
	*pending = changes;
	*n_pending = n_changes;
	changes = NULL;
	n_changes = 0;
out:
	schema_events_free(hist, n_hist);
	schema_events_free(changes, n_changes);
	json_decref(known);
	json_decref(live);
	json_decref(warnings);
	if (rc)
		nv_err_prefix(err, "data source %s: schema history", ds_id);
	return rc;
}

int sync_schema_append(struct sync_run_ctx *ctx, struct schema_event *pending, size_t n,
		       struct nv_err *err)
{
	int rc = NV_OK;

	if (n && !ctx->opts->dry_run) {
		if ((rc = store_begin(ctx->s, err)))
			goto out;
		for (size_t i = 0; i < n && !rc; i++)
			rc = store_schema_event_add(ctx->s, &pending[i], err);
		if (rc)
			store_rollback(ctx->s);
		else
			rc = store_commit(ctx->s, err);
		if (rc)
			nv_err_prefix(err, "recording %zu schema change%s", n, n == 1 ? "" : "s");
	}
out:
	schema_events_free(pending, n);
	return rc;
}
