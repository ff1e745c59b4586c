/*
 * sync_check.c: `nvault config check --online` (SPEC §4.13): reads the live
 * schema of every configured database's data sources and resolves each
 * field mapping and statusMap name against it, following renames recorded
 * in the store's schema history, without syncing or writing anything.
 */
#include "sync/sync.h"

#include <stdlib.h>
#include <string.h>

#include "mapper/mapper.h"
#include "mapper/schema.h"
#include "util/buf.h"
#include "util/id.h"
#include "util/xalloc.h"

/* A client per token variable, made on first use. */
struct check_clients {
	const char *env[64];
	struct notion_client *c[64];
	size_t n;
};

static struct notion_client *client_for(struct check_clients *cc, const struct config *cfg,
					const struct settings *st, const char *env,
					struct nv_err *err)
{
	struct notion_client_opts co;
	struct notion_client *c = NULL;
	char *token;

	for (size_t i = 0; i < cc->n; i++)
		if (!strcmp(cc->env[i], env))
			return cc->c[i];
	if (!(token = settings_token(st, env))) {
		nv_err_set(err, NV_ECONFIG, "%s (tokenEnv) is not set", env);
		return NULL;
	}
	memset(&co, 0, sizeof(co));
	co.base_url = st->base_url;
	co.token = token;
	co.version = cfg->notion_version;
	co.rate_per_sec = st->rate_limit > 0 ? st->rate_limit : -1;
	co.max_retries = -1;
	if (notion_client_new(&co, &c, err) == NV_OK && cc->n < 64) {
		cc->env[cc->n] = env;
		cc->c[cc->n++] = c;
	} else if (c) {
		notion_client_free(c);
		c = NULL;
		nv_err_set(err, NV_ERR, "too many token variables");
	}
	xfree_secret(token);
	return c;
}

/* Each data source of db with its live "properties": [{"id", "properties"}]. */
static int live_sources(struct notion_client *c, const struct db_config *db, int legacy,
			json_t **out, struct nv_err *err)
{
	json_t *list = json_array(), *dbobj = NULL, *src;
	size_t i;
	int rc = NV_OK;

	*out = NULL;
	if (legacy || !db->data_source_id) {
		if ((rc = notion_retrieve_database(c, db->database_id, &dbobj, err)))
			goto out;
	}
	if (legacy) {
		json_array_append_new(list,
				      json_pack("{s:s s:O}", "id", db->database_id, "properties",
						json_object_get(dbobj, "properties")));
		goto out;
	}
	if (db->data_source_id) {
		json_array_append_new(list, json_pack("{s:s}", "id", db->data_source_id));
	} else {
		json_array_foreach(json_object_get(dbobj, "data_sources"), i, src)
		{
			char id[ID_DASHED_LEN + 1];
			if (!id_normalize(json_string_value(json_object_get(src, "id")), id))
				json_array_append_new(list, json_pack("{s:s}", "id", id));
		}
	}
	json_array_foreach(list, i, src)
	{
		json_t *dsobj = NULL;
		if ((rc = notion_retrieve_data_source(
			     c, json_string_value(json_object_get(src, "id")), &dsobj, err)))
			goto out;
		json_object_set(src, "properties", json_object_get(dsobj, "properties"));
		json_decref(dsobj);
	}
out:
	json_decref(dbobj);
	if (rc)
		json_decref(list);
	else
		*out = list;
	return rc;
}

/* Mappings and statusMap of db against one data source; adds to *problems. */
static json_t *check_source(const struct db_config *db, const char *ds_id, const json_t *properties,
			    struct store *s, int *problems)
{
	struct schema_event *hist = NULL;
	size_t n_hist = 0;
	struct db_config resolved;
	json_t *maps = json_array(), *smap = json_array(), *warnings = json_array();
	const json_t *status_prop = NULL;
	struct nv_err err;

	if (s && store_schema_events(s, ds_id, NULL, 0, &hist, &n_hist, &err)) {
		hist = NULL;
		n_hist = 0;
	}
	schema_resolve_mappings(db, properties, hist, n_hist, &resolved, warnings);
	for (size_t i = 0; i < db->n_mappings; i++) {
		const struct field_mapping *m = &db->mappings[i];
		const char *live = resolved.mappings[i].property;
		const json_t *p = json_object_get(properties, live);
		const char *type = json_string_value(json_object_get(p, "type"));
		const char *state;
		json_t *entry;

		if (!p)
			state = schema_id_for_name(hist, n_hist, m->property) ? "removed"
									      : "missing";
		else if (!type || !task_field_accepts(m->field, type))
			state = "unmappable";
		else if (strcmp(live, m->property))
			state = "renamed";
		else
			state = "ok";
		if (strcmp(state, "ok") && strcmp(state, "renamed"))
			(*problems)++;
		if (p && m->field == FIELD_STATUS)
			status_prop = p;
		entry = json_pack("{s:s s:s s:s}", "property", m->property, "field",
				  task_field_name(m->field), "result", state);
		if (p) {
			json_object_set_new(entry, "propertyId",
					    json_copy(json_object_get(p, "id")));
			json_object_set_new(entry, "type", json_string(type ? type : "?"));
			if (strcmp(live, m->property))
				json_object_set_new(entry, "nameInNotion", json_string(live));
		}
		json_array_append_new(maps, entry);
	}
	if (status_prop) {
		const char *type = json_string_value(json_object_get(status_prop, "type"));
		json_t *opts = type ? json_object_get(json_object_get(status_prop, type), "options")
				    : NULL;

		for (size_t i = 0; json_is_array(opts) && i < db->n_status_map; i++) {
			const char *name = db->status_map[i].notion_name;
			const char *state = "unknown option";
			json_t *o;
			size_t k;

			json_array_foreach(opts, k, o)
			{
				if (!strcmp(json_string_value(json_object_get(o, "name"))
						    ? json_string_value(json_object_get(o, "name"))
						    : "",
					    name))
					state = "ok";
			}
			if (strcmp(state, "ok"))
				(*problems)++;
			json_array_append_new(smap,
					      json_pack("{s:s s:s s:s}", "name", name, "status",
							db->status_map[i].status, "result", state));
		}
	}
	schema_resolved_release(&resolved);
	schema_events_free(hist, n_hist);
	return json_pack("{s:s s:o s:o s:o}", "dataSourceId", ds_id, "fieldMappings", maps,
			 "statusMap", smap, "warnings", warnings);
}

int sync_check_online(const struct config *cfg, const struct settings *st, struct store *s,
		      json_t **report, struct nv_err *err)
{
	struct check_clients cc = {{0}, {0}, 0};
	int legacy = cfg->notion_version && !strcmp(cfg->notion_version, NOTION_VERSION_LEGACY);
	json_t *dbs = json_array();
	int problems = 0;

	for (size_t i = 0; i < cfg->n_dbs; i++) {
		const struct db_config *db = &cfg->dbs[i];
		json_t *entry =
			json_pack("{s:s s:s?}", "databaseId", db->database_id, "name", db->name);
		json_t *sources = NULL, *src, *checked = json_array();
		struct notion_client *c;
		struct nv_err e;
		size_t k;

		json_array_append_new(dbs, entry);
		json_object_set_new(entry, "dataSources", checked);
		nv_err_clear(&e);
		if (!(c = client_for(&cc, cfg, st, config_token_env(db), &e)) ||
		    live_sources(c, db, legacy, &sources, &e)) {
			json_object_set_new(entry, "error", json_string(e.msg));
			problems++;
			continue;
		}
		json_array_foreach(sources, k, src) json_array_append_new(
			checked, check_source(db, json_string_value(json_object_get(src, "id")),
					      json_object_get(src, "properties"), s, &problems));
		json_decref(sources);
	}
	for (size_t i = 0; i < cc.n; i++)
		notion_client_free(cc.c[i]);
	*report = json_pack("{s:b s:i s:o}", "ok", problems == 0, "problems", problems, "databases",
			    dbs);
	return problems ? nv_err_set(err, NV_ERR,
				     "%d problem%s found against the live Notion schema", problems,
				     problems == 1 ? "" : "s")
			: NV_OK;
}
