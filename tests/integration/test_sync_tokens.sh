# test_sync_tokens.sh: several workspaces in one config (SPEC §2.2 tokenEnv).
# Two tokens, each seeing only its own databases in the fake (a database
# given a token answers 404 to every other one, as an unshared one does on
# Notion): both back up in one run, two databases share one token, a
# database whose variable is unset or whose token cannot see it fails alone,
# and neither token string appears in any output, log, evidence, store or
# other file. A pasted token as tokenEnv is refused without being echoed.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sync_lib.sh"

A=aaaaaaaa-0000-4000-8000-00000000000a; A_DS=aaaaaaaa-0000-4000-8000-0000000000d1
A2=a2a2a2a2-0000-4000-8000-00000000000a; A2_DS=a2a2a2a2-0000-4000-8000-0000000000d1
B=bbbbbbbb-0000-4000-8000-00000000000b; B_DS=bbbbbbbb-0000-4000-8000-0000000000d1
cat >"$T/fixture.json" <<JSON
{"databases": [
  {"id": "$A", "title": "Alpha", "data_sources": [{"id": "$A_DS", "name": "Alpha", "generate": {"rows": 30, "seed": 1}}]},
  {"id": "$A2", "title": "Alpha two", "data_sources": [{"id": "$A2_DS", "name": "Alpha two", "generate": {"rows": 15, "seed": 3}}]},
  {"id": "$B", "title": "Beta", "data_sources": [{"id": "$B_DS", "name": "Beta", "generate": {"rows": 20, "seed": 2}}]}
]}
JSON
fake_start --fixture "$T/fixture.json"

TOK_A=ntn_alphaWorkspaceToken0123456789abcdefXYZ
TOK_B=ntn_betaWorkspaceToken9876543210fedcbaQRS
for db in $A $A2; do ctl POST "/_control/databases/$db/token" "{\"token\": \"$TOK_A\"}" >/dev/null; done
ctl POST "/_control/databases/$B/token" "{\"token\": \"$TOK_B\"}" >/dev/null
unset NOTION_API_KEY
export NOTION_TOKEN_ALPHA=$TOK_A NOTION_TOKEN_BETA=$TOK_B

# the fake keeps the workspaces apart (so the test below can fail)
get_db() { curl -sS -o /dev/null -w '%{http_code}' "$FAKE_URL/v1/databases/$1" \
  -H "Authorization: Bearer $2" -H 'Notion-Version: 2026-12-01'; }
check_eq "fake: token A sees database A" 200 "$(get_db $A "$TOK_A")"
check_eq "fake: token A does not see database B" 404 "$(get_db $B "$TOK_A")"
check_eq "fake: token B does not see database A" 404 "$(get_db $A "$TOK_B")"
check_eq "fake: another token sees neither" "404 404" "$(get_db $A ntn_other; echo -n ' '; get_db $B ntn_other)"

# tokens_config ENTRY...: "DBID:SCOPE:TOKENENV" (TOKENENV "-" leaves tokenEnv out)
tokens_config() {
  python3 - "$AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH" "$@" <<'PY'
import json, sys
path, entries = sys.argv[1], sys.argv[2:]
dbs = []
for e in entries:
    dbid, scope, env = e.split(":")
    db = {"notionDatabaseId": dbid, "name": "db-" + dbid[:4], "projectScopeId": scope,
          "fieldMappings": {"Name": "title", "Status": "status"}}
    if env != "-":
        db["tokenEnv"] = env
    dbs.append(db)
json.dump({"databases": dbs}, open(path, "w"), indent=2)
PY
}
count() { sq "select count(*) from tasks where $1"; }
ev() { sq "select status || ' ' || json_extract(metadata, '$.$2') from evidence where source_id = '$1' order by seq desc limit 1"; }

# ---- two workspaces, one run ----------------------------------------------------------
tokens_config "$A:alpha:NOTION_TOKEN_ALPHA" "$A2:alpha:NOTION_TOKEN_ALPHA" "$B:beta:NOTION_TOKEN_BETA"
nv config check >"$T/out.check" 2>&1
check_eq "config check accepts tokenEnv" 0 $?
check "config check says each variable is set" grep -q "^NOTION_TOKEN_BETA  *set" "$T/out.check"
nv --json config check >"$T/out.check.json" 2>&1
check_eq "config check --json names the variable, not its value" NOTION_TOKEN_ALPHA \
  "$(jget "$(cat "$T/out.check.json")" 'd["config"]["databases"][0]["tokenEnv"]')"
check_eq "sync of both workspaces exits 0" 0 "$(sync_rc)"
cp "$T/sync.out" "$T/out.sync1"; cp "$T/sync.err" "$T/err.sync1"
check_eq "workspace A: both of its databases backed up" "30 15" "$(count "scope = 'alpha' and notion_database_id = '$A'") $(count "notion_database_id = '$A2'")"
check_eq "workspace B backed up" 20 "$(count "scope = 'beta'")"
check_eq "evidence of A names its variable" "success NOTION_TOKEN_ALPHA" "$(ev $A tokenEnv)"
check_eq "evidence of B names its variable" "success NOTION_TOKEN_BETA" "$(ev $B tokenEnv)"
nv -v --json sync >"$T/out.sync2" 2>"$T/err.sync2"
check_eq "a verbose re-sync exits 0" 0 $?
nv --json evidence >"$T/out.evidence" 2>&1
nv --json status >"$T/out.status" 2>&1
nv export --format jsonl >"$T/out.export" 2>&1

# ---- one workspace failing does not stop the other ------------------------------------------
tokens_config "$A:alpha:NOTION_TOKEN_BETA" "$B:beta:NOTION_TOKEN_BETA"
check_eq "a token that cannot see its database: exit 1" 1 "$(sync_rc)"
cp "$T/sync.err" "$T/err.swap"; cp "$T/sync.out" "$T/out.swap"
check_eq "that database failed (404)" "failed" "$(ev $A tokenEnv | cut -d' ' -f1)"
check "and the error says not found" grep -q "object_not_found" "$T/err.swap" "$T/out.swap"
check_eq "the other workspace still synced" "success" "$(ev $B tokenEnv | cut -d' ' -f1)"
check_eq "nothing of A was deleted" 30 "$(count "notion_database_id = '$A' and deleted_at is null")"

tokens_config "$A:alpha:NOTION_TOKEN_ALPHA" "$B:beta:NOTION_TOKEN_GAMMA"
check_eq "a variable that is not set: exit 1" 1 "$(sync_rc)"
cp "$T/sync.err" "$T/err.unset"
check "the error names the variable" grep -q "NOTION_TOKEN_GAMMA" "$T/err.unset"
check_eq "the database with its token synced" "success" "$(ev $A tokenEnv | cut -d' ' -f1)"
check_eq "the other failed on its own" "failed NOTION_TOKEN_GAMMA" "$(ev $B tokenEnv)"

tokens_config "$A:alpha:-" "$B:beta:NOTION_TOKEN_GAMMA"
check_eq "no variable set at all: exit 2" 2 "$(sync_rc)"
cp "$T/sync.err" "$T/err.none"
check "and both are named" grep -q "NOTION_API_KEY, NOTION_TOKEN_GAMMA are not set" "$T/err.none"

# ---- tokenEnv must name a variable; a pasted token is refused unseen ----------------------------
mkdir -p "$T/pasted"
python3 - "$T/pasted/config.json" "$A" "$TOK_A" <<'PY'
import json, sys
json.dump({"databases": [{"notionDatabaseId": sys.argv[2], "tokenEnv": sys.argv[3]}]}, open(sys.argv[1], "w"))
PY
nv --config "$T/pasted/config.json" config check >"$T/out.pasted" 2>&1
check_eq "a pasted token as tokenEnv: exit 2" 2 $?
check "the message points at tokenEnv" grep -q "databases\[0\].tokenEnv" "$T/out.pasted"
python3 - "$T/pasted/config.json" "$A" <<'PY'
import json, sys
json.dump({"databases": [{"notionDatabaseId": sys.argv[2], "tokenEnv": "my token 0123"}]}, open(sys.argv[1], "w"))
PY
nv --config "$T/pasted/config.json" config check >"$T/out.badname" 2>&1
check_eq "a tokenEnv that is not a variable name: exit 2" 2 $?
check "named, and its value not shown" sh -c "grep -q 'tokenEnv: must be the name of the environment variable' '$T/out.badname' && ! grep -q 'my token' '$T/out.badname'"
rm -rf "$T/pasted" # the only file the test itself put a token in

# ---- no token anywhere ----------------------------------------------------------------
nv sync >/dev/null 2>&1 # one more run: WAL, evidence and state written again
for tok in "$TOK_A" "$TOK_B"; do
  check "token ${tok:0:8}... is in no file under the test dir (store, WAL, outputs, logs, config)" \
    sh -c "! grep -rqa -- '$tok' '$T'"
done
check "the captured outputs are not empty (the grep above looked at something)" \
  sh -c "test -s '$T/out.sync2' && test -s '$T/out.evidence' && test -s '$T/out.export'"

finish
