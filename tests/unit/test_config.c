/*
 * test_config.c: loading and validating notion-sync.config.json: both
 * fieldMappings forms, every kind of invalid file (each message must name
 * the file and the JSON path), all problems reported at once, credentials
 * refused without being echoed, status mapping rules, config_to_json.
 * Configs are written with ' for " to keep them readable.
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

#include "config/config.h"
#include "util/xalloc.h"
#include "util/err.h"

#define DB1 "1a2b3c4d5e6f47a8b9c0d1e2f3a4b5c6"
#define DB1_DASHED "1a2b3c4d-5e6f-47a8-b9c0-d1e2f3a4b5c6"
#define DB2 "2b3c4d5e-6f70-48a9-b0c1-d2e3f4a5b6c7"
#define TOKEN "ntn_abcdefghijklmnopqrstuvwxyz0123456789ABCD"

/* The text with every ' turned into ". Caller frees. */
static char *dq(const char *s)
{
	char *out = strdup(s);
	for (char *p = out; *p; p++)
		if (*p == '\'')
			*p = '"';
	return out;
}

/* Loads text (with ' quotes); returns the status, err filled. */
static int load(const char *text, struct config **cfg, struct nv_err *err)
{
	char *t = dq(text);
	int rc;

	nv_err_clear(err);
	rc = config_load_string(t, "t.json", cfg, err);
	free(t);
	return rc;
}

static int count_lines(const char *s)
{
	int n = 1;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void test_object_form(void **state)
{
	struct config *cfg;
	struct nv_err err;
	const struct db_config *db;

	assert_int_equal(load("{'$schema': './notion-sync.schema.json',"
			      " 'notionVersion': '2025-09-03', 'databases': [{"
			      " 'notionDatabaseId': '" DB1 "', 'dataSourceId': null,"
			      " 'name': 'Engineering tasks', 'projectScopeId': 'proj-eng',"
			      " 'syncEnabled': true,"
			      " 'fieldMappings': {'Name': 'title', 'Notes': 'description', "
			      "'Status': 'status',"
			      "   'Due': 'dueDate', 'Tags': 'tags'},"
			      " 'statusMap': {'Not started': 'open', 'Done': 'done'},"
			      " 'lastSyncTimestamp': '2026-01-01T01:00:00+01:00'}]}",
			      &cfg, &err),
			 NV_OK);
	assert_string_equal(cfg->notion_version, "2025-09-03");
	assert_int_equal(cfg->n_dbs, 1);
	config_free(cfg);
	/* the two newer versions are accepted as well */
	assert_int_equal(load("{'notionVersion': '2026-03-11', 'databases': [{"
			      " 'notionDatabaseId': '" DB1 "', 'dataSourceId': '" DB2 "'}]}",
			      &cfg, &err),
			 NV_OK);
	assert_string_equal(cfg->notion_version, "2026-03-11");
	config_free(cfg);
	assert_int_equal(load("{'notionVersion': '2026-12-01', 'databases': [{"
			      " 'notionDatabaseId': '" DB1 "', 'dataSourceId': '" DB2 "'}]}",
			      &cfg, &err),
			 NV_OK);
	assert_string_equal(cfg->notion_version, "2026-12-01");
	config_free(cfg);
	assert_int_equal(load("{'$schema': './notion-sync.schema.json',"
			      " 'notionVersion': '2025-09-03', 'databases': [{"
			      " 'notionDatabaseId': '" DB1 "', 'dataSourceId': null,"
			      " 'name': 'Engineering tasks', 'projectScopeId': 'proj-eng',"
			      " 'syncEnabled': true,"
			      " 'fieldMappings': {'Name': 'title', 'Notes': 'description', "
			      "'Status': 'status',"
			      "   'Due': 'dueDate', 'Tags': 'tags'},"
			      " 'statusMap': {'Not started': 'open', 'Done': 'done'},"
			      " 'lastSyncTimestamp': '2026-01-01T01:00:00+01:00'}]}",
			      &cfg, &err),
			 NV_OK);
	db = &cfg->dbs[0];
	assert_string_equal(db->database_id, DB1_DASHED);
	assert_null(db->data_source_id);
	assert_string_equal(db->name, "Engineering tasks");
	assert_string_equal(db->scope, "proj-eng");
	assert_int_equal(db->sync_enabled, 1);
	assert_int_equal(db->n_mappings, 5);
	/* file order is kept */
	assert_string_equal(db->mappings[0].property, "Name");
	assert_int_equal(db->mappings[3].field, FIELD_DUE_DATE);
	assert_string_equal(config_mapping_for(db, FIELD_TAGS)->property, "Tags");
	assert_null(config_mapping_for(db, FIELD_ASSIGNEE));
	assert_string_equal(db->last_sync_timestamp, "2026-01-01T00:00:00.000Z");
	assert_ptr_equal(config_find_db(cfg, "1A2B3C4D-5E6F-47A8-B9C0-D1E2F3A4B5C6"), db);
	assert_null(config_find_db(cfg, DB2));
	assert_null(config_find_db(cfg, "nonsense"));
	config_free(cfg);
}

static void test_array_form_and_defaults(void **state)
{
	struct config *cfg;
	struct nv_err err;
	const struct db_config *db;

	assert_int_equal(
		load("{'databases': [{'notionDatabaseId': '" DB1 "',"
		     " 'fieldMappings': ["
		     "  {'notionProperty': 'Name', 'taskField': 'title', 'notionType': 'title'},"
		     "  {'notionProperty': 'Status', 'taskField': 'status', 'notionType': "
		     "'status'},"
		     "  {'notionProperty': 'Owner name', 'taskField': 'assignee'}]},"
		     " {'notionDatabaseId': '" DB2 "', 'syncEnabled': false,"
		     "  'dataSourceId': '" DB1 "'}]}",
		     &cfg, &err),
		NV_OK);
	assert_string_equal(cfg->notion_version, "2026-12-01"); /* the default */
	assert_int_equal(cfg->n_dbs, 2);
	db = &cfg->dbs[0];
	assert_int_equal(db->n_mappings, 3);
	assert_string_equal(db->mappings[1].notion_type, "status");
	assert_null(db->mappings[2].notion_type);
	assert_string_equal(config_mapping_for(db, FIELD_ASSIGNEE)->property, "Owner name");
	assert_int_equal(db->sync_enabled, 1);
	assert_null(db->name);
	assert_int_equal(cfg->dbs[1].sync_enabled, 0);
	assert_string_equal(cfg->dbs[1].data_source_id, DB1_DASHED);
	config_free(cfg);
}

/* One invalid config and what its message must contain. */
static const struct invalid_case {
	const char *config;
	const char *expect[3];
} invalid_cases[] = {
	/* 1 JSON syntax: line and column */
	{"{'databases': [\n  {'notionDatabaseId': '" DB1 "',}\n]}",
	 {"t.json:2:", "JSON syntax error"}},
	/* 2 duplicate keys */
	{"{'notionVersion': '2025-09-03',\n 'notionVersion': '2022-06-28', 'databases': []}",
	 {"t.json:2:", "duplicate object key"}},
	/* 3 top level not an object */
	{"[1, 2]", {"t.json: the top level must be an object"}},
	/* 4 misspelt top-level key */
	{"{'databses': []}",
	 {"t.json: databses: unknown key \"databses\" in the top level (did you mean "
	  "\"databases\"?)",
	  "t.json: missing \"databases\""}},
	/* 5 enum: notionVersion */
	{"{'notionVersion': '2024-01-01', 'databases': [{'notionDatabaseId': '" DB1 "'}]}",
	 {"t.json: notionVersion: \"2024-01-01\" is not a supported Notion API version",
	  "allowed: 2026-12-01, 2026-03-11, 2025-09-03, 2022-06-28"}},
	/* 6 databases of the wrong type */
	{"{'databases': {'notionDatabaseId': '" DB1 "'}}",
	 {"t.json: databases: must be an array of database entries, not an object"}},
	/* 7 no databases */
	{"{'databases': []}", {"t.json: databases: must list at least one database"}},
	/* 8 bad id */
	{"{'databases': [{'notionDatabaseId': '1a2b3c4d5e6f47a8b9c0d1e2f3a4b5c'}]}",
	 {"t.json: databases[0].notionDatabaseId: \"1a2b3c4d5e6f47a8b9c0d1e2f3a4b5c\" is not a "
	  "Notion id (32 hexadecimal digits"}},
	/* 9 missing database id */
	{"{'databases': [{'notionDatabaseId': '" DB1 "'}, {'name': 'x'}]}",
	 {"t.json: databases[1]: missing \"notionDatabaseId\""}},
	/* 10 duplicate database ids, in different forms */
	{"{'databases': [{'notionDatabaseId': '" DB1 "'}, {'notionDatabaseId': '" DB1_DASHED "'}]}",
	 {"t.json: databases[1]: duplicate notionDatabaseId " DB1_DASHED
	  " (already in databases[0])"}},
	/* 11 field name typo */
	{"{'databases': [{'notionDatabaseId': '" DB1 "', 'fieldMappings': {'Due': 'duedate'}}]}",
	 {"t.json: databases[0].fieldMappings.Due: \"duedate\" is not a task field (did you mean "
	  "\"dueDate\"?",
	  "allowed: title, description, status"}},
	/* 12 array form entry missing a key */
	{"{'databases': [{'notionDatabaseId': '" DB1 "', 'fieldMappings': ["
	 " {'notionProperty': 'Name', 'taskField': 'title'}, {'taskField': 'description'}]}]}",
	 {"t.json: databases[0].fieldMappings[1]: missing \"notionProperty\""}},
	/* 13 array form: unmappable declared type */
	{"{'databases': [{'notionDatabaseId': '" DB1 "', 'fieldMappings': ["
	 " {'notionProperty': 'Owner', 'taskField': 'assignee', 'notionType': 'relation'}]}]}",
	 {"t.json: databases[0].fieldMappings[0].notionType: \"relation\" cannot be mapped",
	  "mappable types: title, rich_text, number, select, multi_select, status, date, "
	  "checkbox, people"}},
	/* 14 array form: type that cannot go to that field */
	{"{'databases': [{'notionDatabaseId': '" DB1 "', 'fieldMappings': ["
	 " {'notionProperty': 'Estimate', 'taskField': 'dueDate', 'notionType': 'number'}]}]}",
	 {"t.json: databases[0].fieldMappings[0]: a number property cannot map to dueDate "
	  "(dueDate takes date, title, rich_text)"}},
	/* 15 statusMap value not a task status */
	{"{'databases': [{'notionDatabaseId': '" DB1 "', 'statusMap': {'Done': 'finished'}}]}",
	 {"t.json: databases[0].statusMap.Done: \"finished\" is not a task status",
	  "allowed: backlog, open, in_progress, blocked, review, done, wont_do"}},
	/* 16 statusMap value in words: hint the enum name */
	{"{'databases': [{'notionDatabaseId': '" DB1 "', 'statusMap': {'Doing': 'In progress'}}]}",
	 {"t.json: databases[0].statusMap.Doing: \"In progress\" is not a task status; did you "
	  "mean \"in_progress\"?"}},
	/* 17 boolean of the wrong type */
	{"{'databases': [{'notionDatabaseId': '" DB1 "', 'syncEnabled': 'yes'}]}",
	 {"t.json: databases[0].syncEnabled: must be true or false, not a string"}},
	/* 18 bad timestamp */
	{"{'databases': [{'notionDatabaseId': '" DB1 "', 'lastSyncTimestamp': 'yesterday'}]}",
	 {"t.json: databases[0].lastSyncTimestamp: \"yesterday\" is not an ISO 8601 time"}},
	/* 19 misspelt database key */
	{"{'databases': [{'notionDatabaseId': '" DB1 "', 'fieldMapping': {}}]}",
	 {"t.json: databases[0].fieldMapping: unknown key \"fieldMapping\" in a database entry "
	  "(did you mean \"fieldMappings\"?)"}},
	/* 20 dataSourceId with the old API version */
	{"{'notionVersion': '2022-06-28', 'databases': [{'notionDatabaseId': '" DB1 "',"
	 " 'dataSourceId': '" DB2 "'}]}",
	 {"t.json: databases[0]: dataSourceId needs notionVersion \"2025-09-03\""}},
	/* 21 a field mapped twice */
	{"{'databases': [{'notionDatabaseId': '" DB1 "', 'fieldMappings': {'Name': 'title',"
	 " 'Title 2': 'title'}}]}",
	 {"t.json: databases[0].fieldMappings[\"Title 2\"]: task field title is mapped twice "
	  "(already from property \"Name\")"}},
	/* 22 fieldMappings of the wrong type */
	{"{'databases': [{'notionDatabaseId': '" DB1 "', 'fieldMappings': 'Name'}]}",
	 {"t.json: databases[0].fieldMappings: must be an object"}},
	/* 23 a database key at the top level */
	{"{'fieldMappings': {}, 'databases': [{'notionDatabaseId': '" DB1 "'}]}",
	 {"t.json: fieldMappings: \"fieldMappings\" belongs inside an entry of \"databases\""}},
	/* 24 credential key */
	{"{'notionApiKey': 'abc', 'databases': [{'notionDatabaseId': '" DB1 "'}]}",
	 {"t.json: notionApiKey: credential-looking key \"notionApiKey\" is not allowed",
	  "NOTION_API_KEY"}},
	/* 25 credential key deep inside */
	{"{'databases': [{'notionDatabaseId': '" DB1 "', 'auth': {'bearer_token': 'x'}}]}",
	 {"t.json: databases[0].auth: credential-looking key \"auth\"",
	  "t.json: databases[0].auth.bearer_token: credential-looking key"}},
	/* 26 a mapping entry with an unknown key */
	{"{'databases': [{'notionDatabaseId': '" DB1 "', 'fieldMappings': ["
	 " {'notionProperty': 'Name', 'taskFeild': 'title'}]}]}",
	 {"t.json: databases[0].fieldMappings[0].taskFeild: unknown key \"taskFeild\" in a "
	  "fieldMappings entry (did you mean \"taskField\"?)"}},
	/* 27 wrong type for a string */
	{"{'databases': [{'notionDatabaseId': '" DB1 "', 'name': 42}]}",
	 {"t.json: databases[0].name: must be a string or null, not a number"}},
	/* 28 a pasted URL: the hint gives the id */
	{"{'databases': [{'notionDatabaseId': 'https://www.notion.so/acme/" DB1 "?v=0123'}]}",
	 {"t.json: databases[0].notionDatabaseId: this is a URL, not a Notion id; use the id at "
	  "its "
	  "end: \"" DB1 "\""}},
	/* 29 dashes in odd places */
	{"{'databases': [{'notionDatabaseId': '1a2b-3c4d5e6f47a8b9c0d1e2f3a4b5c6'}]}",
	 {"t.json: databases[0].notionDatabaseId: \"1a2b-3c4d5e6f47a8b9c0d1e2f3a4b5c6\" is not a "
	  "Notion id"}},
	/* 30 the database entry is not an object */
	{"{'databases': ['" DB1 "']}",
	 {"t.json: databases[0]: each database must be an object, not a string"}},
};

static void test_invalid_configs_name_the_path(void **state)
{
	for (size_t i = 0; i < sizeof(invalid_cases) / sizeof(invalid_cases[0]); i++) {
		struct config *cfg = (struct config *)1;
		struct nv_err err;
		int rc = load(invalid_cases[i].config, &cfg, &err);

		if (rc != NV_ECONFIG)
			fail_msg("case %zu: expected NV_ECONFIG, got %d", i + 1, rc);
		assert_null(cfg);
		for (int k = 0; k < 3 && invalid_cases[i].expect[k]; k++)
			if (!strstr(err.msg, invalid_cases[i].expect[k]))
				fail_msg("case %zu: message\n%s\nlacks\n%s", i + 1, err.msg,
					 invalid_cases[i].expect[k]);
	}
}

static void test_every_problem_at_once(void **state)
{
	struct config *cfg;
	struct nv_err err;

	assert_int_equal(load("{'notionVersion': 'latest', 'databases': ["
			      " {'notionDatabaseId': 'abc', 'syncEnabled': 1,"
			      "  'fieldMappings': {'Due': 'due', 'Name': 'title'},"
			      "  'statusMap': {'Done': 'closed'}},"
			      " {'notionDatabaseId': '" DB1 "', 'nmae': 'x'}]}",
			      &cfg, &err),
			 NV_ECONFIG);
	assert_int_equal(count_lines(err.msg), 6);
	assert_non_null(strstr(err.msg, "t.json: notionVersion: "));
	assert_non_null(strstr(err.msg, "t.json: databases[0].notionDatabaseId: "));
	assert_non_null(strstr(err.msg, "t.json: databases[0].syncEnabled: "));
	assert_non_null(strstr(err.msg, "t.json: databases[0].fieldMappings.Due: "));
	assert_non_null(strstr(err.msg, "t.json: databases[0].statusMap.Done: "));
	assert_non_null(strstr(err.msg, "t.json: databases[1].nmae: unknown key \"nmae\" in a "
					"database entry (did you mean \"name\"?)"));
}

static void test_token_env(void **state)
{
	struct config *cfg;
	struct settings st;
	struct nv_err err;
	char *tok, *missing;
	int any;

	/* a variable name per database; the default for the others */
	assert_int_equal(load("{'databases': [{'notionDatabaseId': '" DB1 "', 'tokenEnv': "
			      "'NOTION_TOKEN_B'}, {'notionDatabaseId': '" DB2
			      "', 'tokenEnv': null}]}",
			      &cfg, &err),
			 NV_OK);
	assert_string_equal(config_token_env(&cfg->dbs[0]), "NOTION_TOKEN_B");
	assert_string_equal(config_token_env(&cfg->dbs[1]), "NOTION_API_KEY");

	/* tokens come from the environment only, the default one through settings */
	unsetenv("NOTION_TOKEN_B");
	setenv("NOTION_API_KEY", TOKEN, 1);
	assert_int_equal(settings_resolve(&st, "/tmp/x.db", "/tmp/x.json", &err), NV_OK);
	assert_null(settings_token(&st, "NOTION_TOKEN_B"));
	missing = settings_missing_tokens(&st, cfg, &any);
	assert_string_equal(missing, "NOTION_TOKEN_B");
	assert_true(any);
	free(missing);
	assert_int_equal(settings_require_token(&st, cfg, NULL, &err), NV_OK);
	setenv("NOTION_TOKEN_B", "ntn_other_workspace_token_0123456789", 1);
	tok = settings_token(&st, "NOTION_TOKEN_B");
	assert_string_equal(tok, "ntn_other_workspace_token_0123456789");
	xfree_secret(tok);
	tok = settings_token(&st, NULL);
	assert_string_equal(tok, TOKEN);
	xfree_secret(tok);
	assert_null(settings_missing_tokens(&st, cfg, &any));
	settings_release(&st);
	unsetenv("NOTION_API_KEY");
	unsetenv("NOTION_TOKEN_B");
	assert_int_equal(settings_resolve(&st, "/tmp/x.db", "/tmp/x.json", &err), NV_OK);
	assert_int_equal(settings_require_token(&st, cfg, "here", &err), NV_ECONFIG);
	assert_non_null(strstr(err.msg, "NOTION_TOKEN_B, NOTION_API_KEY are not set here"));
	settings_release(&st);
	config_free(cfg);

	/* a pasted token, or anything else that is not a variable name, is never echoed */
	assert_int_equal(load("{'databases': [{'notionDatabaseId': '" DB1 "', 'tokenEnv': '" TOKEN
			      "'}]}",
			      &cfg, &err),
			 NV_ECONFIG);
	assert_non_null(strstr(err.msg, "databases[0].tokenEnv: this value looks like a Notion "
					"API token"));
	assert_null(strstr(err.msg, "abcdefghijklmnop"));
	assert_int_equal(load("{'databases': [{'notionDatabaseId': '" DB1 "', 'tokenEnv': "
			      "'Bearer xoxb-1234-SECRET'}]}",
			      &cfg, &err),
			 NV_ECONFIG);
	assert_non_null(strstr(err.msg, "databases[0].tokenEnv: must be the name of the "
					"environment variable"));
	assert_null(strstr(err.msg, "SECRET"));
	assert_int_equal(load("{'databases': [{'notionDatabaseId': '" DB1 "', 'tokenEnv': "
			      "'9LIVES'}]}",
			      &cfg, &err),
			 NV_ECONFIG);
	assert_int_equal(
		load("{'databases': [{'notionDatabaseId': '" DB1 "', 'tokenEnv': 7}]}", &cfg, &err),
		NV_ECONFIG);
	/* at the top level it is misplaced, not a credential */
	assert_int_equal(load("{'tokenEnv': 'X', 'databases': [{'notionDatabaseId': '" DB1 "'}]}",
			      &cfg, &err),
			 NV_ECONFIG);
	assert_non_null(strstr(err.msg, "\"tokenEnv\" belongs inside an entry of \"databases\""));
}

static void test_secrets_never_echoed(void **state)
{
	struct config *cfg;
	struct nv_err err;

	/* under a credential key */
	assert_int_equal(load("{'token': '" TOKEN "', 'databases': [{'notionDatabaseId': '" DB1
			      "'}]}",
			      &cfg, &err),
			 NV_ECONFIG);
	assert_non_null(strstr(err.msg, "t.json: token: credential-looking key"));
	assert_non_null(strstr(err.msg, "NOTION_API_KEY"));
	assert_null(strstr(err.msg, "abcdefghijklmnop"));

	/* a token pasted into an ordinary field */
	assert_int_equal(load("{'databases': [{'notionDatabaseId': '" TOKEN "', 'name': 'secret_"
			      "0123456789abcdefghijKLMNOP'}]}",
			      &cfg, &err),
			 NV_ECONFIG);
	assert_non_null(strstr(err.msg, "t.json: databases[0].notionDatabaseId: this value looks "
					"like a Notion API token"));
	assert_non_null(strstr(err.msg, "t.json: databases[0].name: this value looks like a Notion "
					"API token"));
	assert_null(strstr(err.msg, "abcdefghijklmnop"));
	assert_null(strstr(err.msg, "0123456789abcdefghij"));

	/* inside longer text */
	assert_int_equal(load("{'databases': [{'notionDatabaseId': '" DB1 "', 'projectScopeId': "
			      "'Bearer " TOKEN "'}]}",
			      &cfg, &err),
			 NV_ECONFIG);
	assert_non_null(strstr(err.msg,
			       "t.json: databases[0].projectScopeId: this value looks like "
			       "a Notion API token"));
	assert_null(strstr(err.msg, "abcdefghijklmnop"));
	/* glued to other text (found by fuzz_config): still a token, still not echoed */
	assert_int_equal(load("{'databases': [{'notionDatabaseId': '1a2b3c4d5e6f47a8b9c" TOKEN
			      "'}]}",
			      &cfg, &err),
			 NV_ECONFIG);
	assert_non_null(strstr(err.msg, "t.json: databases[0].notionDatabaseId: this value looks "
					"like a Notion API token"));
	assert_null(strstr(err.msg, "abcdefghijklmnop"));
	/* words that merely start alike are fine */
	assert_int_equal(load("{'databases': [{'notionDatabaseId': '" DB1 "', 'name': "
			      "'secret_santa and ntn_short'}]}",
			      &cfg, &err),
			 NV_OK);
	config_free(cfg);

	/* as a key: the key itself is hidden in the path, and never quoted by a later
	   message such as "mapped twice" (found by fuzz_config) */
	assert_int_equal(load("{'databases': [{'notionDatabaseId': '" DB1 "', 'fieldMappings': {'"
			      "Sta" TOKEN "': 'title', 'Name': 'title'}, 'statusMap': {'x" TOKEN
			      "': 'done'}}]}",
			      &cfg, &err),
			 NV_ECONFIG);
	assert_non_null(strstr(err.msg,
			       "t.json: databases[0].fieldMappings[<hidden key>]: this key "
			       "looks like a Notion API token"));
	assert_non_null(strstr(err.msg, "t.json: databases[0].statusMap[<hidden key>]: this key"));
	assert_null(strstr(err.msg, "abcdefghijklmnop"));
	assert_null(strstr(err.msg, "mapped twice"));

	/* other spellings */
	static const char *const keys[] = {
		"apiKey",	 "notionToken", "NOTION_API_KEY", "password",
		"client_secret", "authToken",	"api-key",	  "credentials",
	};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char text[256];
		snprintf(text, sizeof(text),
			 "{'databases': [{'notionDatabaseId': '" DB1 "', '%s': 'x'}]}", keys[i]);
		assert_int_equal(load(text, &cfg, &err), NV_ECONFIG);
		if (!strstr(err.msg, "credential-looking key"))
			fail_msg("%s not taken for a credential: %s", keys[i], err.msg);
	}
	/* property names are the user's data: a property called "API token" is fine */
	assert_int_equal(load("{'databases': [{'notionDatabaseId': '" DB1 "', 'fieldMappings': "
			      "{'API token': 'description'}, 'statusMap': {'Secret': 'done'}}]}",
			      &cfg, &err),
			 NV_OK);
	config_free(cfg);
	/* "author" is an unknown key, not a credential */
	assert_int_equal(
		load("{'databases': [{'notionDatabaseId': '" DB1 "', 'author': 'x'}]}", &cfg, &err),
		NV_ECONFIG);
	assert_non_null(strstr(err.msg, "unknown key \"author\""));
	assert_null(strstr(err.msg, "credential"));
}

static void test_status_map_rules(void **state)
{
	struct config *cfg;
	struct nv_err err;
	const struct db_config *db;

	assert_int_equal(
		load("{'databases': [{'notionDatabaseId': '" DB1 "', 'statusMap': "
		     "{'Not started': 'backlog', 'Shipped': 'done', 'shipped': 'review'}}]}",
		     &cfg, &err),
		NV_OK);
	db = &cfg->dbs[0];
	assert_string_equal(config_map_status(db, "Not started"), "backlog");
	assert_string_equal(config_map_status(db, "NOT STARTED"), "backlog"); /* case-insensitive */
	assert_string_equal(config_map_status(db, "shipped"), "review");      /* exact wins */
	assert_string_equal(config_map_status(db, "Shipped"), "done");
	assert_string_equal(config_map_status(db, "In progress"), "in_progress");
	assert_string_equal(config_map_status(db, "won't do"), "wont_do");
	assert_string_equal(config_map_status(db, "DONE"), "done");
	assert_string_equal(config_map_status(db, "Incomplete"), "open"); /* no substring guess */
	assert_string_equal(config_map_status(db, "Not done"), "open");
	assert_string_equal(config_map_status(db, "Doneish"), "open");
	assert_null(config_map_status(db, NULL));
	assert_string_equal(config_map_status(NULL, "Blocked"), "blocked");
	config_free(cfg);
}

static void test_files_and_json(void **state)
{
	char path[] = "/tmp/nv-config-XXXXXX";
	int fd = mkstemp(path);
	struct config *cfg;
	struct nv_err err;
	struct settings st;
	json_t *doc;
	char *text, *dumped;
	FILE *f;

	assert_true(fd >= 0);
	text = dq("{'databases': [{'notionDatabaseId': '" DB1 "', 'name': 'Eng',"
		  " 'fieldMappings': {'Name': 'title'}, 'statusMap': {'Done': 'done'}}]}");
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	free(text);

	assert_int_equal(config_load(path, &cfg, &err), NV_OK);
	assert_string_equal(cfg->path, path);
	setenv("NOTION_API_KEY", TOKEN, 1);
	assert_int_equal(settings_resolve(&st, "/tmp/x.db", path, &err), NV_OK);
	doc = config_to_json(cfg, &st);
	dumped = json_dumps(doc, JSON_COMPACT);
	assert_null(strstr(dumped, "abcdefghijklmnop"));
	assert_true(json_is_true(json_object_get(json_object_get(doc, "settings"), "apiKeySet")));
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(
				json_array_get(json_object_get(json_object_get(doc, "config"),
							       "databases"),
					       0),
				"fieldMappings"),
			"Name")),
		"title");
	free(dumped);
	json_decref(doc);
	settings_release(&st);
	unsetenv("NOTION_API_KEY");
	assert_int_equal(settings_resolve(&st, NULL, path, &err), NV_OK);
	doc = config_to_json(NULL, &st);
	assert_true(json_is_false(json_object_get(json_object_get(doc, "settings"), "apiKeySet")));
	assert_true(json_is_null(json_object_get(doc, "config")));
	json_decref(doc);
	settings_release(&st);
	config_free(cfg);

	/* errors name the real file */
	f = fopen(path, "w");
	fputs("{\"databases\": [{\"notionDatabaseId\": \"nope\"}]}", f);
	fclose(f);
	assert_int_equal(config_load(path, &cfg, &err), NV_ECONFIG);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, ": databases[0].notionDatabaseId: "));
	unlink(path);
	assert_int_equal(config_load(path, &cfg, &err), NV_ECONFIG);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, "no config file there"));
	assert_null(cfg);
	config_free(NULL);
}

static void test_field_table(void **state)
{
	assert_int_equal(task_field_parse("dueDate"), FIELD_DUE_DATE);
	assert_int_equal(task_field_parse("due_date"), -1);
	assert_string_equal(task_field_name(FIELD_TAGS), "tags");
	assert_true(task_field_accepts(FIELD_DUE_DATE, "date"));
	assert_false(task_field_accepts(FIELD_DUE_DATE, "number"));
	assert_true(task_field_accepts(FIELD_TAGS, "multi_select"));
	assert_false(task_field_accepts(FIELD_TITLE, "people"));
	assert_true(task_field_accepts(FIELD_ASSIGNEE, "people")); /* names joined */
	assert_false(task_field_accepts(FIELD_DESCRIPTION, "people"));
	assert_false(task_field_accepts(FIELD_COUNT, "title"));
	/* the message text and the table agree */
	for (int f = 0; f < FIELD_COUNT; f++)
		for (const char *const *t = config_mappable_types; *t; t++)
			assert_int_equal(
				task_field_accepts((enum task_field)f, *t),
				strstr(task_field_accepted_types((enum task_field)f), *t) != NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_object_form),
		cmocka_unit_test(test_array_form_and_defaults),
		cmocka_unit_test(test_invalid_configs_name_the_path),
		cmocka_unit_test(test_every_problem_at_once),
		cmocka_unit_test(test_secrets_never_echoed),
		cmocka_unit_test(test_token_env),
		cmocka_unit_test(test_status_map_rules),
		cmocka_unit_test(test_files_and_json),
		cmocka_unit_test(test_field_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
