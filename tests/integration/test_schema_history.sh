# test_schema_history.sh: schema history and rename-safe mappings (SPEC §3,
# §4.13). Each sync records the data sources' property schemas; a rename of
# a mapped property is followed by id (0 versions, a warning naming both
# names, a "renamed" event) and the next edit maps as before; a deleted
# mapped property, or one retyped to something unmappable, fails that
# database (exit 1, nothing changed, no cleared field) while the other
# database of the run syncs; a dry run records nothing; the history is
# append-only and readable with `nvault schema history`.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sync_lib.sh"

A=aaaaaaaa-0000-4000-8000-00000000000a; A_DS=aaaaaaaa-0000-4000-8000-0000000000d1
B=bbbbbbbb-0000-4000-8000-00000000000b; B_DS=bbbbbbbb-0000-4000-8000-0000000000d1
cat >"$T/fixture.json" <<JSON
{"databases": [
  {"id": "$A", "title": "Alpha", "data_sources": [{"id": "$A_DS", "name": "Alpha", "generate": {"rows": 40, "seed": 1}}]},
  {"id": "$B", "title": "Beta", "data_sources": [{"id": "$B_DS", "name": "Beta", "generate": {"rows": 30, "seed": 2}}]}
]}
JSON
fake_start --fixture "$T/fixture.json"

# schema_config [A_MAPPINGS_JSON]: both databases; A maps five properties by default
schema_config() {
  local amap=${1:-'{"Name": "title", "Notes": "description", "Status": "status", "Due": "dueDate", "Priority": "category"}'}
  local smap=${STATUS_MAP:-'{"Done": "done", "In progress": "in_progress"}'}
  cat >"$AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH" <<JSON
{"databases": [
  {"notionDatabaseId": "$A", "name": "alpha", "projectScopeId": "alpha", "fieldMappings": $amap,
   "statusMap": $smap},
  {"notionDatabaseId": "$B", "name": "beta", "projectScopeId": "beta",
   "fieldMappings": {"Name": "title", "Status": "status"}}
]}
JSON
}
# hist EXPR: EXPR over `c`, the changes of `nvault --json schema history` (ARGS in HIST_ARGS)
hist() { nv --json schema history ${HIST_ARGS:-} >"$T/hist.json" && python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["changes"]; print(eval(sys.argv[2]))' "$T/hist.json" "$1"; }
# tasks EXPR: EXPR over `tasks` of database A (exported)
tasks() { nv export --format jsonl --database "$A" 2>/dev/null >"$T/a.jsonl" && python3 -c 'import json,sys; tasks=[json.loads(l) for l in open(sys.argv[1]) if l.strip()]; print(eval(sys.argv[2]))' "$T/a.jsonl" "$1"; }
ev() { sq "select status from evidence where source_id = '$1' order by seq desc limit 1"; }
prop() { ctl "$1" "/_control/data_sources/$2/properties/$3" "${4:-}" >/dev/null; }

# ---- the first sync records every property --------------------------------------------------
schema_config
check_eq "first sync exits 0" 0 "$(sync_rc)"
check_eq "17 initial properties per data source" "34 True" "$(hist "'%d %s' % (len(c), all(e['kind'] == 'initial' for e in c))")"
check_eq "each named with its id and type" "Status M%3BBw status" \
  "$(hist "[' '.join((e['name'], e['propertyId'], e['type'])) for e in c if e['dataSourceId'] == '$A_DS' and e['name'] == 'Status'][0]")"
check_eq "options recorded sorted" "['Blocked', 'Done', 'In progress', 'Not started']" \
  "$(hist "[e['options'] for e in c if e['name'] == 'Status'][0]")"
check_eq "a re-sync records nothing new" "0 34" "$(sync_rc) $(hist 'len(c)')"
STATUSES=$(tasks "sorted((t['status'], t['notionStatus']) for t in tasks)")
DUES=$(tasks "sum(1 for t in tasks if t['dueDate'])")

# ---- a rename of a mapped property: followed by id, 0 versions ------------------------------
prop PATCH "$A_DS" M%3BBw '{"name": "State"}'
V0=$(versions)
check_eq "sync after the rename exits 0" 0 "$(sync_rc)"
check_eq "the rename wrote no version" "$V0" "$(versions)"
check "a warning names both names" grep -q 'property "Status" (mapped to status) was renamed in Notion to "State"' "$T/sync.out" "$T/sync.err"
check_eq "evidence of A: success, with the warning" "success 1" \
  "$(ev $A) $(sq "select json_extract(metadata, '\$.warnings') like '%was renamed%' from evidence where source_id = '$A' order by seq desc limit 1")"
check_eq "a renamed event: old and new name, same id" "renamed Status State M%3BBw" \
  "$(hist "[' '.join((e['kind'], e['oldName'], e['name'], e['propertyId'])) for e in c if e['kind'] == 'renamed'][0]")"
check_eq "the evidence lists the change" 1 \
  "$(sq "select json_array_length(json_extract(metadata, '\$.dataSources[0].schemaChanges')) from evidence where source_id = '$A' order by seq desc limit 1")"
check_eq "no status was cleared" "$STATUSES" "$(tasks "sorted((t['status'], t['notionStatus']) for t in tasks)")"

# config check --online resolves the mapping through the rename, writes nothing
E0=$(evidences)
nv config check --online >"$T/online.txt" 2>&1
check_eq "config check --online after the rename: exit 0" 0 $?
check "it says the mapping follows the rename" grep -q 'renamed: now "State" (id M%3BBw)' "$T/online.txt"
check_eq "it synced and recorded nothing" "$E0 $V0" "$(evidences) $(versions)"

# the next edit maps through the new name
EDIT=$(page_ids "$A_DS" | sed -n 3p)
ctl POST /_control/clock '{"advance_ms": 180000}' >/dev/null
ctl PATCH "/_control/pages/$EDIT" '{"set": {"State": "Done", "Notes": "after the rename"}}' >/dev/null
check_eq "the edit syncs" 0 "$(sync_rc)"
check_eq "one version for the edit" "$((V0 + 1))" "$(versions)"
check_eq "its status came through the renamed property" "done Done after the rename" \
  "$(tasks "[' '.join((t['status'], t['notionStatus'], t['description'])) for t in tasks if t['notionPageId'] == '$EDIT'][0]")"

# ---- a deleted mapped property fails that database only ---------------------------------------
prop DELETE "$A_DS" dUe1
V0=$(versions)
check_eq "sync with a deleted mapped property: exit 1" 1 "$(sync_rc)"
check_eq "database A failed" failed "$(ev $A)"
check "the error names the property" grep -q 'property "Due" (mapped to dueDate)' "$T/sync.out" "$T/sync.err"
check_eq "the other database synced" success "$(ev $B)"
check_eq "no version was written" "$V0" "$(versions)"
check_eq "no due date was cleared" "$DUES" "$(tasks "sum(1 for t in tasks if t['dueDate'])")"
check_eq "a removed event" "removed Due dUe1" \
  "$(hist "[' '.join((e['kind'], e['name'], e['propertyId'])) for e in c if e['kind'] == 'removed'][0]")"

nv --json config check --online >"$T/online.json" 2>/dev/null
check_eq "config check --online: exit 1 while Due is gone" 1 $?
check_eq "and names it removed" "removed" \
  "$(jget "$(cat "$T/online.json")" "[m['result'] for d in d['databases'] for s in d['dataSources'] for m in s['fieldMappings'] if m['property'] == 'Due'][0]")"

# ---- a mapped property retyped to something unmappable -----------------------------------------
schema_config '{"Name": "title", "Notes": "description", "State": "status", "Priority": "category"}'
prop PATCH "$B_DS" M%3BBw '{"type": "url"}'
# (an options change alters the fake's generated values, so it goes where nothing is written)
prop PATCH "$B_DS" 'pR%7Bq' '{"options": ["Low", "Medium", "High", "Urgent", "Someday"]}'
bversions() { sq "select count(*) from task_versions where notion_database_id = '$B'"; }
V0=$(bversions)
check_eq "sync with a retyped mapped property: exit 1" 1 "$(sync_rc)"
check_eq "database B failed" failed "$(ev $B)"
check "the error names the property and its new type" grep -q 'property "Status" (mapped to status) is of type url' "$T/sync.out" "$T/sync.err"
check_eq "database A (mapping fixed) synced" success "$(ev $A)"
check_eq "no version of B was written" "$V0" "$(bversions)"
check_eq "B's history: status -> url" "type_changed status url" \
  "$(HIST_ARGS="--database $B --limit 2" hist "[' '.join((e['kind'], e['oldType'], e['type'])) for e in c if e['kind'] == 'type_changed'][0]")"
check_eq "and an options_changed event for Priority" "Priority ['High', 'Low', 'Medium', 'Someday', 'Urgent']" \
  "$(HIST_ARGS="--database $B --limit 2" hist "[e['name'] + ' ' + str(e['options']) for e in c if e['kind'] == 'options_changed'][0]")"

nv --json config check --online >"$T/online.json" 2>/dev/null
check_eq "config check --online names the retyped property unmappable" "1 unmappable url" \
  "$?$(jget "$(cat "$T/online.json")" "''.join(' %s %s' % (m['result'], m['type']) for d in d['databases'] if d['databaseId'] == '$B' for s in d['dataSources'] for m in s['fieldMappings'] if m['property'] == 'Status')")"
check_eq "statusMap names of A resolve against the renamed status property" "ok ok" \
  "$(jget "$(cat "$T/online.json")" "' '.join(x['result'] for d in d['databases'] if d['databaseId'] == '$A' for s in d['dataSources'] for x in s['statusMap'])")"
STATUS_MAP='{"Done": "done", "Finished": "done"}' schema_config '{"Name": "title", "State": "status"}'
nv --json config check --online >"$T/online.json" 2>/dev/null
check_eq "a statusMap name that is no option of the status property" "unknown option" \
  "$(jget "$(cat "$T/online.json")" "[x['result'] for d in d['databases'] if d['databaseId'] == '$A' for s in d['dataSources'] for x in s['statusMap'] if x['name'] == 'Finished'][0]")"
schema_config '{"Name": "title", "Notes": "description", "State": "status", "Priority": "category"}'

# ---- the MCP read action -------------------------------------------------------------------
out=$(printf '%s\n' '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}' "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"notion_sync\",\"arguments\":{\"action\":\"schema_history\",\"databaseId\":\"$A\",\"limit\":3}}}" | nv mcp 2>/dev/null | tail -1)
check_eq "MCP schema_history: the newest 3 changes of A, the rename among them" "3 True" \
  "$(jget "$out" "'%d %s' % (d['result']['structuredContent']['count'], any(e['kind'] == 'renamed' for e in d['result']['structuredContent']['changes']) or any(e['kind'] == 'removed' for e in d['result']['structuredContent']['changes']))")"

# the read-only schema_history tool pages the same history with its cursor
check "MCP tool schema_history: pages of 2 with the cursor give the whole history, schema-valid" \
  python3 - "$NVAULT" "$A" "$(nv --json schema history --database "$A")" <<'PY'
import json, subprocess, sys, jsonschema
nvault, db, want = sys.argv[1], sys.argv[2], [e["seq"] for e in json.loads(sys.argv[3])["changes"]]
p = subprocess.Popen([nvault, "mcp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
def call(i, method, params):
    p.stdin.write(json.dumps({"jsonrpc": "2.0", "id": i, "method": method, "params": params}) + "\n")
    p.stdin.flush()
    return json.loads(p.stdout.readline())["result"]
call(0, "initialize", {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}})
tool = [t for t in call(1, "tools/list", {})["tools"] if t["name"] == "schema_history"][0]
assert tool["annotations"]["readOnlyHint"] is True, tool
seen, cursor, i = [], None, 2
while True:
    args = {"databaseId": db, "limit": 2}
    if cursor:
        args["cursor"] = cursor
    r = call(i, "tools/call", {"name": "schema_history", "arguments": args})
    assert not r["isError"], r
    jsonschema.validate(r["structuredContent"], tool["outputSchema"])
    seen += [e["seq"] for e in r["structuredContent"]["changes"]]
    cursor, i = r["structuredContent"]["nextCursor"], i + 1
    if not cursor:
        break
p.stdin.close()
p.wait()
sys.exit(0 if seen == want and len(want) > 2 and i > 3 else "seen %s, want %s" % (seen, want))
PY

# ---- a dry run records nothing; the history is append-only ---------------------------------------
N=$(hist 'len(c)')
prop PATCH "$A_DS" 'kjPO' '{"name": "Estimate (h)"}'
nv sync --dry-run >/dev/null 2>&1
check_eq "a dry run records no schema change" "$N" "$(hist 'len(c)')"
check "UPDATE on the history is refused" sh -c "! sqlite3 '$NVAULT_DB' \"update schema_events set name = 'x'\" 2>/dev/null"
check "DELETE on the history is refused" sh -c "! sqlite3 '$NVAULT_DB' 'delete from schema_events' 2>/dev/null"
nv verify >/dev/null 2>&1
check_eq "verify passes (the append-only triggers are there)" 0 $?
nv schema history --database "$A" >"$T/hist.txt"
check "the table shows the rename" grep -q '"Status" -> "State"' "$T/hist.txt"

finish
