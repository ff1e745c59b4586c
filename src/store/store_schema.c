/*
 * store_schema.c: the append-only schema history of each data source (SPEC
 * §3 "schema history", §4.13). Every run compares the data source's live
 * property schema with the one recorded here and appends one row per change
 * (property first recorded, added, removed, renamed, type changed, options
 * changed). Each row carries the property's whole state after the change,
 * so the schema nvault last knew is the newest row of every property id
 * whose newest row is not a removal (schema_fold() in src/mapper/schema.c).
 * UPDATE and DELETE are refused by triggers (migration in store_db.c).
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/id.h"
#include "util/xalloc.h"

#define SCHEMA_COLS                                                                                \
	"seq, data_source_id, database_id, seen_at, run_id, kind, property_id, name, type, "       \
	"options, old_name, old_type, old_options"

void schema_event_init(struct schema_event *e)
{
	memset(e, 0, sizeof(*e));
}

void schema_event_release(struct schema_event *e)
{
	if (!e)
		return;
	free(e->data_source_id);
	free(e->database_id);
	free(e->seen_at);
	free(e->run_id);
	free(e->kind);
	free(e->property_id);
	free(e->name);
	free(e->type);
	json_decref(e->options);
	free(e->old_name);
	free(e->old_type);
	json_decref(e->old_options);
	schema_event_init(e);
}

void schema_events_free(struct schema_event *e, size_t n)
{
	if (!e)
		return;
	for (size_t i = 0; i < n; i++)
		schema_event_release(&e[i]);
	free(e);
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *schema_event_to_json(const struct schema_event *e)
{
	json_t *o =
		json_pack("{s:I s:o s:o s:o s:o s:o s:o s:o}", "seq", (json_int_t)e->seq,
			  "dataSourceId", str_or_null(e->data_source_id), "databaseId",
			  str_or_null(e->database_id), "seenAt", str_or_null(e->seen_at), "kind",
			  str_or_null(e->kind), "propertyId", str_or_null(e->property_id), "name",
			  str_or_null(e->name), "type", str_or_null(e->type));

	if (e->options)
		json_object_set(o, "options", e->options);
	if (e->old_name)
		json_object_set_new(o, "oldName", json_string(e->old_name));
	if (e->old_type)
		json_object_set_new(o, "oldType", json_string(e->old_type));
	if (e->old_options)
		json_object_set(o, "oldOptions", e->old_options);
	if (e->run_id)
		json_object_set_new(o, "runId", json_string(e->run_id));
	return o;
}

int store_schema_event_add(struct store *s, const struct schema_event *e, struct nv_err *err)
{
	char ds[ID_DASHED_LEN + 1], db[ID_DASHED_LEN + 1], now[32];
	struct db_stmt *st = NULL;
	int own, rc, i = 1;

	if (!e->data_source_id || id_normalize(e->data_source_id, ds) || !e->kind ||
	    !e->property_id)
		return nv_err_set(err, NV_EINVAL,
				  "schema event without a data source, kind or property id");
	if ((rc = tx_enter(s, &own, err)))
		return rc;
	if ((rc = store_prepare(
		     s,
		     "INSERT INTO schema_events (data_source_id, database_id, seen_at, "
		     "run_id, kind, property_id, name, type, options, old_name, "
		     "old_type, old_options) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		     &st, err)))
		goto out;
	store_now(now);
	bind_text(st, i++, ds);
	bind_text(st, i++,
		  e->database_id && !id_normalize(e->database_id, db) ? db : e->database_id);
	bind_text(st, i++, e->seen_at ? e->seen_at : now);
	bind_text(st, i++, e->run_id);
	bind_text(st, i++, e->kind);
	bind_text(st, i++, e->property_id);
	bind_text(st, i++, e->name);
	bind_text(st, i++, e->type);
	bind_json(st, i++, e->options);
	bind_text(st, i++, e->old_name);
	bind_text(st, i++, e->old_type);
	bind_json(st, i++, e->old_options);
	rc = db_step(st);
	rc = rc == DB_DONE ? NV_OK : store_sql_error(s, rc, err, "recording a schema change");
	db_finalize(st);
out:
	return tx_leave(s, own, rc, err);
}

int store_schema_events(struct store *s, const char *data_source_id, const char *database_id,
			int64_t limit, struct schema_event **out, size_t *n, struct nv_err *err)
{
	char ds[ID_DASHED_LEN + 1], db[ID_DASHED_LEN + 1];
	struct buf sql = BUF_INIT;
	struct schema_event *list = NULL;
	size_t cap = 0, count = 0;
	struct db_stmt *st = NULL;
	int rc, i = 1;

	*out = NULL;
	*n = 0;
	if (data_source_id && id_normalize(data_source_id, ds))
		return nv_err_set(err, NV_EINVAL, "not a data source id: '%s'", data_source_id);
	if (database_id && id_normalize(database_id, db))
		return nv_err_set(err, NV_EINVAL, "not a database id: '%s'", database_id);
	/* the newest `limit` rows, returned oldest first */
	buf_adds(&sql, "SELECT " SCHEMA_COLS " FROM (SELECT " SCHEMA_COLS
		       " FROM schema_events WHERE 1 = 1");
	if (data_source_id)
		buf_adds(&sql, " AND data_source_id = ?");
	if (database_id)
		buf_adds(&sql, " AND database_id = ?");
	buf_adds(&sql, " ORDER BY seq DESC");
	if (limit > 0)
		buf_addf(&sql, " LIMIT %lld", (long long)limit);
	buf_adds(&sql, ") ORDER BY seq");
	if ((rc = store_prepare(s, sql.data, &st, err)))
		goto out;
	if (data_source_id)
		bind_text(st, i++, ds);
	if (database_id)
		bind_text(st, i++, db);
	while ((rc = db_step(st)) == DB_ROW) {
		struct schema_event *e;
		int c = 0;

		list = xgrow(list, &cap, count + 1, sizeof(*list));
		e = &list[count++];
		schema_event_init(e);
		e->seq = db_column_int64(st, c++);
		e->data_source_id = col_text(st, c++);
		e->database_id = col_text(st, c++);
		e->seen_at = col_text(st, c++);
		e->run_id = col_text(st, c++);
		e->kind = col_text(st, c++);
		e->property_id = col_text(st, c++);
		e->name = col_text(st, c++);
		e->type = col_text(st, c++);
		e->options = col_json(st, c++);
		e->old_name = col_text(st, c++);
		e->old_type = col_text(st, c++);
		e->old_options = col_json(st, c++);
	}
	rc = rc == DB_DONE ? NV_OK : store_sql_error(s, rc, err, "reading the schema history");
out:
	if (st)
		db_finalize(st);
	buf_release(&sql);
	if (rc) {
		schema_events_free(list, count);
		return rc;
	}
	*out = list;
	*n = count;
	return NV_OK;
}
