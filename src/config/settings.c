/*
 * settings.c: runtime settings from flags, environment and defaults
 * (SPEC §2.1); see config.h. The API token is read here and nowhere else.
 */
#include "config/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/buf.h"
#include "util/xalloc.h"

#define DEFAULT_BASE_URL "https://api.notion.com"
#define DEFAULT_SCHEDULE "0 5 * * *"
#define DEFAULT_CONFIG_PATH "./notion-sync.config.json"
#define DEFAULT_RATE 3.0

int parse_bool(const char *s)
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

int settings_resolve(struct settings *st, const char *flag_db, const char *flag_config,
		     struct nv_err *err)
{
	const char *v;
	const char *schedule_env = getenv("AGENT_MEMORY_NOTION_SYNC_SCHEDULE");

	memset(st, 0, sizeof(*st));
	st->db_path = flag_db ? xstrdup(flag_db) : default_db_path();
	if (flag_config)
		st->config_path = xstrdup(flag_config);
	else if ((v = env_value("AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH")))
		st->config_path = xstrdup(v);
	else
		st->config_path = xstrdup(DEFAULT_CONFIG_PATH);
	st->api_key = xstrdup(env_value("NOTION_API_KEY"));
	st->base_url = xstrdup((v = env_value("NOTION_API_BASE_URL")) ? v : DEFAULT_BASE_URL);
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
		int b = parse_bool(v);
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

int settings_require_token(const struct settings *st, const char *where, struct nv_err *err)
{
	if (settings_has_token(st))
		return 0;
	return nv_err_set(err, NV_ECONFIG,
			  "NOTION_API_KEY is not set%s%s: export the integration token as "
			  "NOTION_API_KEY (it is never read from the config file)",
			  where ? " " : "", where ? where : "");
}

void settings_release(struct settings *st)
{
	free(st->config_path);
	free(st->db_path);
	free_secret(st->api_key);
	free(st->base_url);
	free(st->schedule);
	memset(st, 0, sizeof(*st));
}
