#!/usr/bin/env bash
# test_config_sync_errors.sh: problems with the config that only a sync can
# see (issue 16): the message names the config file, the line and the JSON
# path of the setting at fault, whether it comes from the command line, the
# MCP notion_sync tool or the evidence record. Covered: a mapped property
# Notion lacks, a property of a type that cannot map, a statusMap option the
# status property lacks (a warning; the sync goes on), a notionDatabaseId
# Notion does not know, a tokenEnv variable that is not set (one database of
# two, and every database). Also config check --online naming the same line.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sync_lib.sh"
fake_start --rows 30 --seed 5
CFG=$AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH

# a config with the mapping on a line of its own, so the line is known: 10
cat >"$CFG" <<JSON
{
  "notionVersion": "2025-09-03",
  "databases": [
    {
      "notionDatabaseId": "$DB_ID",
      "name": "Engineering tasks",
      "fieldMappings": {
        "Name": "title",
        "Status": "status",
        "Deu": "dueDate"
      },
      "statusMap": {"Not started": "open", "Doen": "done"}
    }
  ]
}
JSON

# ---- a mapped property Notion lacks --------------------------------------------------------
rc=$(sync_rc)
check_eq "a misspelt mapping: sync exits 1" 1 "$rc"
check "stderr names file, line and JSON path" \
  grep -qF "$CFG:10: databases[0].fieldMappings.Deu: property \"Deu\" (mapped to dueDate) does not exist" "$T/sync.err"
check "stderr lists the properties Notion has" grep -q '"Due" (date)' "$T/sync.err"
check "the evidence record keeps the same words" \
  test "$(last_evidence "any('$CFG:10: databases[0].fieldMappings.Deu' in x for x in m['errors'])")" = True
check "a dry run says the same" grep -qF "$CFG:10: databases[0].fieldMappings.Deu" "$T/dry.out"
nv config check --online >"$T/online.out" 2>&1
check "config check --online also reports it" grep -q '"Deu" -> dueDate *missing' "$T/online.out"

# ---- the MCP notion_sync tool: the same message --------------------------------------------
# (input stays open until the answer comes: end of input would stop the sync)
mkfifo "$T/mcp.in"
nv mcp <"$T/mcp.in" >"$T/mcp.out" 2>"$T/mcp.err" &
mcp_pid=$!
exec 7>"$T/mcp.in"
echo '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}' >&7
echo '{"jsonrpc":"2.0","method":"notifications/initialized"}' >&7
echo '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"notion_sync","arguments":{"action":"sync"}}}' >&7
while kill -0 "$mcp_pid" 2>/dev/null && ! grep -q '"id":2' "$T/mcp.out"; do sleep 0.1; done
exec 7>&-
wait "$mcp_pid"
check "MCP notion_sync: the error names file, line and path" \
  grep -qF "notion-sync.config.json:10: databases[0].fieldMappings.Deu" "$T/mcp.out"

# ---- a property of a type that cannot map: line 9 ----------------------------------------------
sed -i 's/"Status": "status"/"Estimate": "status"/; s/"Deu"/"Due"/' "$CFG"
rc=$(SYNC_ONCE=1 sync_rc)
check_eq "a number property mapped to status: exit 1" 1 "$rc"
check "names line 9 and the path" \
  grep -qF "$CFG:9: databases[0].fieldMappings.Estimate: property \"Estimate\" is of type number, which cannot map to status" "$T/sync.err"

# ---- a statusMap option the property lacks: a warning naming line 12 ------------------------
sed -i 's/"Estimate": "status"/"Status": "status"/' "$CFG"
rc=$(sync_rc)
check_eq "a misspelt statusMap option: the sync still succeeds" 0 "$rc"
check "the warning names file, line, path and the options" \
  grep -qF "$CFG:12: databases[0].statusMap.Doen: \"Doen\" is not an option of status property \"Status\" in Notion, so it maps no row (its options: \"Not started\"" "$T/sync.err"
check "the warning is in the evidence" \
  test "$(last_evidence "any('statusMap.Doen' in x for x in m['warnings'])")" = True
check_eq "and the rows were synced" 30 "$(sq 'select count(*) from tasks')"

# ---- a database Notion does not know: the id's line -------------------------------------------
sed -i 's/"Doen"/"Done"/' "$CFG"
other=1a2b3c4d-5e6f-47a8-b9c0-000000000001
sed -i "s/$DB_ID/$other/" "$CFG"
rc=$(sync_rc)
check_eq "an unknown notionDatabaseId: exit 1" 1 "$rc"
check "the 404 names where the id is" grep -qF "HTTP 404" "$T/sync.err"
check "... at file, line 5 and path" grep -qF "the id is at $CFG:5: databases[0].notionDatabaseId" "$T/sync.err"
sed -i "s/$other/$DB_ID/" "$CFG"

# ---- tokenEnv not set: one database of two, then every database -------------------------------
python3 - "$CFG" "$DB_ID" <<'PY'
import json, sys
path, dbid = sys.argv[1], sys.argv[2]
c = json.load(open(path))
c["databases"].append({"notionDatabaseId": "1a2b3c4d-5e6f-47a8-b9c0-d1e2f3a4b5c7", "name": "Other",
                       "tokenEnv": "NV_TEST_OTHER_TOKEN", "fieldMappings": {"Name": "title"}})
json.dump(c, open(path, "w"), indent=2)
PY
line=$(grep -n '"tokenEnv"' "$CFG" | cut -d: -f1)
unset NV_TEST_OTHER_TOKEN
rc=$(SYNC_ONCE=1 sync_rc)
check_eq "one database's tokenEnv unset: exit 1" 1 "$rc"
check "names the variable and where the file names it" \
  grep -qF "NV_TEST_OTHER_TOKEN (tokenEnv, $CFG:$line: databases[1].tokenEnv) is not set" "$T/sync.err"
python3 - "$CFG" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["databases"] = c["databases"][1:]
json.dump(c, open(sys.argv[1], "w"), indent=2)
PY
line=$(grep -n '"tokenEnv"' "$CFG" | cut -d: -f1)
rc=$(SYNC_ONCE=1 sync_rc)
check_eq "no database has its token: exit 2" 2 "$rc"
check "names where the file names the variable" \
  grep -qF "NV_TEST_OTHER_TOKEN is not set: export the integration token as NV_TEST_OTHER_TOKEN (it is never read from the config file); named by tokenEnv at $CFG:$line: databases[0].tokenEnv" "$T/sync.err"
finish
