# test_sync_scopes.sh: several databases in one run. Two databases in one
# scope never touch each other's tasks; a database with two data sources
# (2025-09-03), a configured dataSourceId, and a 2022-06-28 config (where a
# multi-source database fails without stopping the others).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sync_lib.sh"

A=aaaaaaaa-0000-4000-8000-00000000000a; A_DS=aaaaaaaa-0000-4000-8000-0000000000d1
B=bbbbbbbb-0000-4000-8000-00000000000b; B_DS=bbbbbbbb-0000-4000-8000-0000000000d1
M=cccccccc-0000-4000-8000-00000000000c
M_DS1=cccccccc-0000-4000-8000-0000000000d1; M_DS2=cccccccc-0000-4000-8000-0000000000d2
cat >"$T/fixture.json" <<JSON
{"databases": [
  {"id": "$A", "title": "Alpha", "data_sources": [{"id": "$A_DS", "name": "Alpha", "generate": {"rows": 50, "seed": 1}}]},
  {"id": "$B", "title": "Beta", "data_sources": [{"id": "$B_DS", "name": "Beta", "generate": {"rows": 40, "seed": 2}}]},
  {"id": "$M", "title": "Multi", "data_sources": [
    {"id": "$M_DS1", "name": "Bugs", "generate": {"rows": 30, "seed": 3}},
    {"id": "$M_DS2", "name": "Features", "generate": {"rows": 20, "seed": 4}}]}
]}
JSON
fake_start --fixture "$T/fixture.json"

# config VERSION ENTRY...: entries are "DBID:SCOPE[:DSID]"
config() {
  python3 - "$AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH" "$@" <<'PY'
import json, sys
path, version, entries = sys.argv[1], sys.argv[2], sys.argv[3:]
dbs = []
for e in entries:
    parts = e.split(":")
    db = {"notionDatabaseId": parts[0], "name": "db-" + parts[0][:4], "projectScopeId": parts[1],
          "fieldMappings": {"Name": "title", "Status": "status"}}
    if len(parts) > 2:
        db["dataSourceId"] = parts[2]
    dbs.append(db)
json.dump({"notionVersion": version, "databases": dbs}, open(path, "w"))
PY
}
count() { sq "select count(*) from tasks where $1"; }
ev() { sq "select status || ' ' || json_extract(metadata, '$.$2') from evidence where source_id = '$1' order by seq desc limit 1"; }

# ---- 2025-09-03: two databases in one scope, and a two-source database ----------------
config 2025-09-03 "$A:shared" "$B:shared" "$M:multi"
check_eq "sync of three databases" 0 "$(sync_rc)"
check_eq "Alpha's 50 tasks" 50 "$(count "notion_database_id = '$A' and notion_data_source_id = '$A_DS' and scope = 'shared'")"
check_eq "Beta's 40 tasks" 40 "$(count "notion_database_id = '$B' and notion_data_source_id = '$B_DS' and scope = 'shared'")"
check_eq "Multi: 30 + 20 tasks" "30 20" \
  "$(count "notion_database_id = '$M' and notion_data_source_id = '$M_DS1'") $(count "notion_database_id = '$M' and notion_data_source_id = '$M_DS2'")"
check_eq "one evidence record per database" "1 1 1" \
  "$(sq "select count(*) from evidence where source_id = '$A'") $(sq "select count(*) from evidence where source_id = '$B'") $(sq "select count(*) from evidence where source_id = '$M'")"
check_eq "Multi's evidence covers both data sources" "success 50" "$(ev "$M" createdCount)"
check_eq "Multi's evidence lists both sources" 2 "$(sq "select json_array_length(metadata, '$.dataSources') from evidence where source_id = '$M'")"

mapfile -t AIDS < <(page_ids "$A_DS")
mapfile -t BIDS < <(page_ids "$B_DS")
ctl POST "/_control/pages/${AIDS[0]}/purge" >/dev/null
ctl POST "/_control/pages/${AIDS[1]}/purge" >/dev/null
ctl PATCH "/_control/pages/${BIDS[0]}" '{"set": {"Name": "Only Beta changes"}}' >/dev/null
BV=$(sq "select count(*) from task_versions where task_id in (select id from tasks where notion_database_id = '$B')")
check_eq "second sync" 0 "$(sync_rc)"
check_eq "Alpha: 2 deleted" "success 2" "$(ev "$A" deletedCount)"
check_eq "Alpha: no update" "success 0" "$(ev "$A" updatedCount)"
check_eq "Beta: 1 updated" "success 1" "$(ev "$B" updatedCount)"
check_eq "Beta: nothing deleted" "success 0" "$(ev "$B" deletedCount)"
check_eq "Beta keeps all its tasks" 40 "$(count "notion_database_id = '$B' and active = 1")"
check_eq "Beta got exactly one version" "$((BV + 1))" \
  "$(sq "select count(*) from task_versions where task_id in (select id from tasks where notion_database_id = '$B')")"
check_eq "Multi unchanged" "success 50" "$(ev "$M" unchangedCount)"

# --database syncs one database only
E=$(evidences)
check_eq "--database syncs one" 0 "$(sync_rc --database "${B//-/}")"
check_eq "one new evidence record, for Beta" "$((E + 1)) $B" "$(evidences) $(sq 'select source_id from evidence order by seq desc limit 1')"
check_eq "--database with an unknown id exits 2" 2 "$(sync_rc --database 0123456789abcdef0123456789abcdef)"
check "and says so" grep -q "not in the config" "$T/sync.err"

# `nvault databases`
nv --json databases >"$T/dbs.json"
check_eq "databases --json: counts" "48 2 40 0 50" \
  "$(jget "$(cat "$T/dbs.json")" '" ".join(str(x) for x in [d["databases"][0]["activeTasks"], d["databases"][0]["deletedTasks"], d["databases"][1]["activeTasks"], d["databases"][1]["deletedTasks"], d["databases"][2]["activeTasks"]])')"
check "databases --json: watermarks and last sync" \
  test "$(jget "$(cat "$T/dbs.json")" 'all(x["watermark"] and x["lastSync"]["status"] == "success" for x in d["databases"]) and len(d["databases"][2]["dataSources"]) == 2')" = True
check "databases table" sh -c "\"$NVAULT\" databases | grep -q '^$A *db-aaaa *shared *yes *48 *2 '"

# ---- a mapping that does not fit one database's schema fails that database only --------
python3 - "$AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["databases"][0]["fieldMappings"]["Owner"] = "dueDate"   # Owner is a people property
json.dump(c, open(sys.argv[1], "w"))
PY
check_eq "sync with a bad mapping exits 1" 1 "$(sync_rc)"
check_eq "Alpha failed, Beta and Multi synced" "failed success success" \
  "$(sq "select status from evidence where source_id = '$A' order by seq desc limit 1") $(sq "select status from evidence where source_id = '$B' order by seq desc limit 1") $(sq "select status from evidence where source_id = '$M' order by seq desc limit 1")"
check "the error names the property and its type" grep -q "Owner.*people" "$T/sync.err"

# ---- one data source of a multi-source database --------------------------------------
export NVAULT_DB=$T/one-source.db
config 2025-09-03 "$M:multi:$M_DS2"
check_eq "dataSourceId: sync exits 0" 0 "$(sync_rc)"
check_eq "only that source's 20 tasks" "20 0" \
  "$(count "notion_data_source_id = '$M_DS2'") $(count "notion_data_source_id = '$M_DS1'")"

# ---- 2022-06-28 ----------------------------------------------------------------------
export NVAULT_DB=$T/legacy.db
config 2022-06-28 "$A:shared" "$M:multi" "$B:shared"
check_eq "legacy sync exits 1 (Multi cannot be read with 2022-06-28)" 1 "$(sync_rc)"
check_eq "Alpha synced; its data source is the database" 48 \
  "$(count "notion_database_id = '$A' and notion_data_source_id = '$A' and active = 1")"
check_eq "Beta synced after Multi failed" 40 "$(count "notion_database_id = '$B' and notion_data_source_id = '$B'")"
check_eq "Multi: failed evidence, no tasks" "failed 0" \
  "$(sq "select status from evidence where source_id = '$M'") $(count "notion_database_id = '$M'")"
check "the error names the reason" grep -qi "multiple data sources" "$T/sync.err"
check_eq "legacy re-sync: unchanged" "success 48" "$(config 2022-06-28 "$A:shared"; sync_rc >/dev/null; ev "$A" unchangedCount)"

finish
