/*
 * fuzz_config.c: libFuzzer target for the config loader (untrusted: users
 * write it, tools generate it). Any bytes are loaded as a config file; a
 * valid result is then exercised through every accessor and config_to_json.
 * Checked besides "no crash, no leak": failure always leaves *out NULL and
 * a message; success always yields databases with dashed ids and known
 * statuses; and a Notion token in the input never appears in a message or
 * in config_to_json (the secret rule of SPEC §2.2).
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "task/task.h"

/*
 * Aborts if text contains "ntn_" or "secret_" plus the 16 characters after
 * it, for any token-looking run in the input (a token, or enough of one to
 * matter, was echoed).
 */
static void check_no_token_echo(const char *input, const char *text)
{
	static const char *const prefixes[] = {"ntn_", "secret_"};

	for (size_t k = 0; k < 2; k++) {
		size_t plen = strlen(prefixes[k]);
		for (const char *p = input; (p = strstr(p, prefixes[k])); p++) {
			char secret[7 + 16 + 1];
			size_t n = 0;
			while (n < 16 && isalnum((unsigned char)p[plen + n]))
				n++;
			if (n < 16)
				continue;
			memcpy(secret, p, plen + 16);
			secret[plen + 16] = '\0';
			if (strstr(text, secret))
				abort(); /* a token was echoed */
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct config *cfg = (struct config *)&text; /* must be overwritten */
	struct nv_err err;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	nv_err_clear(&err);
	if (config_load_string(text, "fuzz.json", &cfg, &err) != NV_OK) {
		if (cfg || !err.msg[0] || err.code != NV_ECONFIG)
			abort();
		check_no_token_echo(text, err.msg);
	} else {
		json_t *doc;
		char *dumped;

		if (!cfg || !cfg->n_dbs || !cfg->notion_version)
			abort();
		for (size_t i = 0; i < cfg->n_dbs; i++) {
			const struct db_config *db = &cfg->dbs[i];
			const char *st = config_map_status(db, "Done");
			if (!db->database_id || strlen(db->database_id) != 36)
				abort();
			if (config_find_db(cfg, db->database_id) != db)
				abort();
			if (!st || !task_status_parse(st))
				abort();
			for (size_t k = 0; k < db->n_status_map; k++)
				if (config_map_status(db, db->status_map[k].notion_name) == NULL)
					abort();
			for (int f = 0; f < FIELD_COUNT; f++)
				config_mapping_for(db, (enum task_field)f);
		}
		doc = config_to_json(cfg, NULL);
		dumped = json_dumps(doc, JSON_COMPACT);
		if (!dumped)
			abort();
		check_no_token_echo(text, dumped);
		free(dumped);
		json_decref(doc);
		config_free(cfg);
	}
	free(text);
	return 0;
}
