/*
 * settings.c: runtime settings from flags, environment and defaults
 * (SPEC §2.1); see config.h. API tokens are read here and nowhere else
 * (NOTION_API_KEY at start, a database's tokenEnv when a sync needs it).
 */
#include "config/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "util/buf.h"
#include "util/locator.h"
#include "util/secret.h"
#include "util/xalloc.h"

#define DEFAULT_BASE_URL "https://api.notion.com"
#define DEFAULT_SCHEDULE "0 5 * * *"
#define CONFIG_FILE_NAME "notion-sync.config.json"
#define CWD_CONFIG_PATH "./" CONFIG_FILE_NAME
#define DEFAULT_RATE 3.0

int settings_parse_bool(const char *s)
{
	static const char *const truthy[] = {"true", "yes", "on", "1", "y", "t"};
	static const char *const falsy[] = {"false", "no", "off", "0", "n", "f"};

	if (!s)
		return -1;
	for (size_t i = 0; i < sizeof(truthy) / sizeof(truthy[0]); i++)
		if (!strcasecmp(s, truthy[i]))
			return 1;
	for (size_t i = 0; i < sizeof(falsy) / sizeof(falsy[0]); i++)
		if (!strcasecmp(s, falsy[i]))
			return 0;
	return -1;
}

/* Non-empty environment value, or NULL. */
static const char *env_value(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

static char *default_db_path(void)
{
	const char *v;
	struct buf b = BUF_INIT;

	if ((v = env_value("NVAULT_DB")))
		return xstrdup(v);
	if ((v = env_value("XDG_DATA_HOME")))
		buf_addf(&b, "%s/nvault/vault.db", v);
	else
		buf_addf(&b, "%s/.local/share/nvault/vault.db",
			 env_value("HOME") ? env_value("HOME") : ".");
	return buf_detach(&b);
}

char *settings_default_config_path(void)
{
	const char *v;
	struct buf b = BUF_INIT;

	if ((v = env_value("XDG_CONFIG_HOME")) && v[0] == '/')
		buf_addf(&b, "%s/nvault/" CONFIG_FILE_NAME, v);
	else if ((v = env_value("HOME")))
		buf_addf(&b, "%s/.config/nvault/" CONFIG_FILE_NAME, v);
	else
		return NULL;
	return buf_detach(&b);
}

static int file_exists(const char *path)
{
	struct stat sb;
	return path && stat(path, &sb) == 0;
}

/*
 * --config, else the environment variable, else the per-user file when it
 * exists, else ./notion-sync.config.json when it exists; with neither, the
 * per-user path (where `nvault init` writes), so errors name it.
 */
static void resolve_config_path(struct settings *st, const char *flag_config)
{
	const char *v;
	char *user;

	if (flag_config) {
		st->config_path = xstrdup(flag_config);
		st->config_source = "--config";
		return;
	}
	if ((v = env_value("AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH"))) {
		st->config_path = xstrdup(v);
		st->config_source = "AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH";
		return;
	}
	user = settings_default_config_path();
	if (file_exists(user)) {
		st->config_path = user;
		st->config_source = env_value("XDG_CONFIG_HOME")
					    ? "$XDG_CONFIG_HOME"
					    : "the per-user default (~/.config)";
		return;
	}
	if (file_exists(CWD_CONFIG_PATH)) {
		free(user);
		st->config_path = xstrdup(CWD_CONFIG_PATH);
		st->config_source = "the current directory";
		return;
	}
	st->config_path = user ? user : xstrdup(CWD_CONFIG_PATH);
	st->config_source = NULL; /* nothing found */
}

int settings_resolve(struct settings *st, const char *flag_db, const char *flag_config,
		     struct nv_err *err)
{
	const char *v;
	const char *schedule_env = getenv("AGENT_MEMORY_NOTION_SYNC_SCHEDULE");

	memset(st, 0, sizeof(*st));
	st->db_path = flag_db ? xstrdup(flag_db) : default_db_path();
	if (locator_has_password(st->db_path)) {
		char *shown = locator_redact(st->db_path);
		int rc = nv_err_set(
			err, NV_EUSAGE,
			"the store locator given as %s (%s) holds a password; a password "
			"is never put there: set PGPASSWORD, or put it in ~/.pgpass or "
			"the file PGPASSFILE names",
			flag_db ? "--db" : "NVAULT_DB", shown);
		free(shown);
		settings_release(st);
		return rc;
	}
	st->db_shown = locator_redact(st->db_path);
	resolve_config_path(st, flag_config);
	st->api_key = xstrdup(env_value("NOTION_API_KEY"));
	if (st->api_key)
		secret_guard_process();
	st->base_url = xstrdup((v = env_value("NOTION_API_BASE_URL")) ? v : DEFAULT_BASE_URL);
	st->allow_insecure_http = (v = env_value("NVAULT_ALLOW_INSECURE_HTTP")) && !strcmp(v, "1");
	/* An empty schedule variable means "no schedule"; unset means the default. */
	st->schedule = xstrdup(schedule_env ? schedule_env : DEFAULT_SCHEDULE);
	for (char *p = st->schedule; *p; p++)
		if (!isspace((unsigned char)*p))
			goto has_schedule;
	free(st->schedule);
	st->schedule = NULL;
has_schedule:
	st->sync_enabled = st->schedule != NULL;
	if ((v = env_value("AGENT_MEMORY_NOTION_SYNC_ENABLED"))) {
		int b = settings_parse_bool(v);
		if (b < 0) {
			settings_release(st);
			return nv_err_set(err, NV_ECONFIG,
					  "AGENT_MEMORY_NOTION_SYNC_ENABLED=%s is not a boolean "
					  "(use true/false, yes/no, on/off or 1/0)",
					  v);
		}
		st->sync_enabled = b;
	}
	st->rate_limit = DEFAULT_RATE;
	if ((v = env_value("NVAULT_RATE_LIMIT"))) {
		char *end;
		errno = 0;
		st->rate_limit = strtod(v, &end);
		if (errno || end == v || *end || st->rate_limit < 0) {
			settings_release(st);
			return nv_err_set(
				err, NV_ECONFIG,
				"NVAULT_RATE_LIMIT=%s is not a number of requests per second "
				"(0 = unlimited)",
				v);
		}
	}
	return NV_OK;
}

int settings_has_token(const struct settings *st)
{
	return st->api_key && *st->api_key;
}

int settings_require_token(const struct settings *st, const struct config *cfg, const char *where,
			   struct nv_err *err)
{
	char *missing;
	const char *named = NULL;
	int any_set, rc;

	if (!cfg)
		missing = settings_has_token(st) ? NULL : xstrdup(CONFIG_DEFAULT_TOKEN_ENV);
	else
		missing = settings_missing_tokens(st, cfg, &any_set);
	if (!missing || (cfg && any_set)) {
		free(missing);
		return 0;
	}
	/* a variable the config file names (tokenEnv): say where */
	for (size_t i = 0; cfg && i < cfg->n_dbs && !named; i++) {
		char *token;
		if (!cfg->dbs[i].sync_enabled || !cfg->dbs[i].where_token_env)
			continue;
		token = settings_token(st, config_token_env(&cfg->dbs[i]));
		if (!token)
			named = cfg->dbs[i].where_token_env;
		xfree_secret(token);
	}
	rc = nv_err_set(err, NV_ECONFIG,
			"%s %s not set%s%s: export the integration token as %s (it is never "
			"read from the config file)%s%s",
			missing, strchr(missing, ',') ? "are" : "is", where ? " " : "",
			where ? where : "", missing, named ? "; named by tokenEnv at " : "",
			named ? named : "");
	free(missing);
	return rc;
}

char *settings_token(const struct settings *st, const char *env)
{
	const char *v;

	if (!env || !strcmp(env, CONFIG_DEFAULT_TOKEN_ENV))
		v = st->api_key;
	else
		v = env_value(env);
	if (!v || !*v)
		return NULL;
	/* whoever holds a token (the key or a tokenEnv one) may not dump core */
	secret_guard_process();
	return xstrdup(v);
}

char *settings_missing_tokens(const struct settings *st, const struct config *cfg, int *any_set)
{
	struct buf names = BUF_INIT;

	*any_set = 0;
	for (size_t i = 0; i < cfg->n_dbs; i++) {
		const char *env = config_token_env(&cfg->dbs[i]);
		char *token;
		int dup = 0;

		if (!cfg->dbs[i].sync_enabled)
			continue;
		for (size_t k = 0; k < i; k++)
			dup |= cfg->dbs[k].sync_enabled &&
			       !strcmp(config_token_env(&cfg->dbs[k]), env);
		if (dup)
			continue;
		if ((token = settings_token(st, env))) {
			*any_set = 1;
			xfree_secret(token);
		} else {
			buf_addf(&names, "%s%s", names.len ? ", " : "", env);
		}
	}
	if (!names.len) {
		buf_release(&names);
		return NULL;
	}
	return buf_detach(&names);
}

void settings_release(struct settings *st)
{
	free(st->config_path);
	free(st->db_path);
	free(st->db_shown);
	xfree_secret(st->api_key);
	free(st->base_url);
	free(st->schedule);
	memset(st, 0, sizeof(*st));
}
