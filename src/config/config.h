/*
 * config.h: the sync configuration (notion-sync.config.json, SPEC §2.2) and
 * the resolved runtime settings (flags > environment > file > defaults,
 * SPEC §2.1). Loading validates everything and reports every problem at
 * once, each naming the file and the JSON path. API tokens are read only
 * from the environment (NOTION_API_KEY, or the variable a database names
 * with tokenEnv), by settings.c, and never come from the file.
 */
#ifndef NV_CONFIG_H
#define NV_CONFIG_H

#include <jansson.h>
#include <stddef.h>

#include "task/task.h"
#include "util/err.h"

/* The Notion property types that can be mapped (SPEC §2.2), NULL-terminated. */
extern const char *const config_mappable_types[];

/*
 * Where a setting is in the config file, for messages that come later (at
 * sync time): "FILE:LINE: JSON.PATH" ("notion-sync.config.json:9:
 * databases[0].fieldMappings.Due"), the line left out when not known.
 */
struct field_mapping {
	char *property; /* Notion property name */
	enum task_field field;
	char *notion_type; /* declared type (array form), or NULL */
	char *where;	   /* its place in the file */
};

struct status_mapping {
	char *notion_name;  /* Notion option name */
	const char *status; /* canonical task status (static string) */
	char *where;	    /* its place in the file */
};

struct db_config {
	char *database_id;    /* dashed lowercase */
	char *data_source_id; /* dashed lowercase, or NULL = all data sources */
	char *name;
	char *scope; /* projectScopeId */
	int sync_enabled;
	struct field_mapping *mappings;
	size_t n_mappings;
	struct status_mapping *status_map;
	size_t n_status_map;
	char *last_sync_timestamp; /* ISO, or NULL */
	char *token_env;	   /* tokenEnv, or NULL = CONFIG_DEFAULT_TOKEN_ENV */
	char *where;		   /* the entry's place in the file (databases[I]) */
	char *where_id;		   /* notionDatabaseId's */
	char *where_token_env;	   /* tokenEnv's, or NULL when the entry has none */
	/*
	 * Set by the sync, never from the file (schema_resolve_mappings()):
	 * live property name → the key metadata.notionProperties keeps it
	 * under, the name nvault first recorded for its id, so that a rename
	 * in Notion writes no version. NULL: the live names.
	 */
	json_t *property_keys;
};

#define CONFIG_DEFAULT_TOKEN_ENV "NOTION_API_KEY"

/* The name of the environment variable holding db's token (tokenEnv or the default). */
const char *config_token_env(const struct db_config *db);

struct config {
	char *path;
	char *notion_version; /* "2026-12-01" (default), "2026-03-11", "2025-09-03", "2022-06-28" */
	struct db_config *dbs;
	size_t n_dbs;
};

/*
 * Loads and validates the config file at path. On failure returns
 * NV_ECONFIG with every problem in err->msg, one per line, each naming the
 * file, the JSON path (databases[1].fieldMappings.Due) and, for syntax
 * errors, line and column. A missing file is NV_ECONFIG naming the path.
 * *out is owned by the caller (config_free()).
 */
int config_load(const char *path, struct config **out, struct nv_err *err);
/* Same, from text (path is used in messages only). */
int config_load_string(const char *text, const char *path, struct config **out, struct nv_err *err);
void config_free(struct config *cfg);
/* The database with this id (any id form), or NULL. */
const struct db_config *config_find_db(const struct config *cfg, const char *database_id);
/*
 * Task status for a Notion option name: the statusMap entry (exact, then
 * case-insensitive), else task_status_parse(), else "open". NULL → NULL.
 */
const char *config_map_status(const struct db_config *db, const char *notion_name);
/* The property mapped to a field, or NULL. */
const struct field_mapping *config_mapping_for(const struct db_config *db, enum task_field f);

/* Runtime settings resolved from flags, environment and defaults. */
struct settings {
	char *config_path;
	/*
	 * Why config_path: "--config", "AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH",
	 * "$XDG_CONFIG_HOME", "the per-user default (~/.config)", "the current
	 * directory"; NULL when no config file was found (config_path is then
	 * the per-user default, where `nvault init` writes).
	 */
	const char *config_source;
	char *db_path;	/* the store locator (--db, NVAULT_DB, default); never a password */
	char *db_shown; /* db_path as messages show it (util/locator.h: locator_redact()) */
	char *api_key;	/* secret: never printed; wiped by settings_release() */
	char *base_url; /* NOTION_API_BASE_URL or https://api.notion.com */
	int allow_insecure_http; /* NVAULT_ALLOW_INSECURE_HTTP=1: http:// beyond loopback */
	char *schedule;		 /* AGENT_MEMORY_NOTION_SYNC_SCHEDULE or "0 5 * * *" */
	int sync_enabled;  /* AGENT_MEMORY_NOTION_SYNC_ENABLED (default: schedule set → true) */
	double rate_limit; /* NVAULT_RATE_LIMIT requests/s (default 3; 0 = unlimited) */
};

/*
 * Resolves settings. flag_db / flag_config are the --db / --config values
 * (NULL when not given). Returns NV_ECONFIG for malformed environment values
 * (e.g. AGENT_MEMORY_NOTION_SYNC_ENABLED=maybe), naming the variable,
 * and NV_EUSAGE for a store locator that holds a password.
 */
int settings_resolve(struct settings *st, const char *flag_db, const char *flag_config,
		     struct nv_err *err);
void settings_release(struct settings *st);
/* Nonzero when NOTION_API_KEY is set (and not empty). */
int settings_has_token(const struct settings *st);
/*
 * The one check that the Notion tokens are there, for everything about to
 * talk to Notion: 0 when the token variable of at least one enabled
 * database of cfg is set (cfg NULL: NOTION_API_KEY), else NV_ECONFIG naming
 * the missing variables, where they must be set (where, e.g. "in the
 * environment of the nvault mcp server", may be NULL), and that a token is
 * never read from the config file.
 */
int settings_require_token(const struct settings *st, const struct config *cfg, const char *where,
			   struct nv_err *err);
/*
 * The per-user config path: $XDG_CONFIG_HOME/nvault/notion-sync.config.json,
 * else ~/.config/nvault/notion-sync.config.json; NULL without HOME. Caller frees.
 */
char *settings_default_config_path(void);
/*
 * The token held by the environment variable env (NULL or NOTION_API_KEY:
 * st->api_key): a new copy the caller frees with xfree_secret(), or NULL
 * when the variable is unset or empty.
 */
char *settings_token(const struct settings *st, const char *env);
/*
 * The token variables of cfg's enabled databases that are not set, joined
 * by ", " (a new string), or NULL when every one is set. *any_set says
 * whether at least one of them is.
 */
char *settings_missing_tokens(const struct settings *st, const struct config *cfg, int *any_set);
/* true/false, yes/no, on/off, 1/0 (any case) → 0/1; -1 for anything else. */
int settings_parse_bool(const char *s);

/* The resolved settings and config as JSON for `config check` (never the key). */
json_t *config_to_json(const struct config *cfg, const struct settings *st);

#endif
