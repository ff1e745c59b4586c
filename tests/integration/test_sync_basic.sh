# test_sync_basic.sh: first sync, no-change re-sync, edits (including one in
# the same minute as the previous sync), clearing a value, trash / restore /
# purge, dry run. Real nvault against the real fake Notion server.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sync_lib.sh"

fake_start --rows 1000 --seed 7
default_config

# ---- first sync --------------------------------------------------------------
check_eq "first sync exits 0" 0 "$(sync_rc)"
check_eq "1000 tasks" 1000 "$(sq 'select count(*) from tasks where active = 1')"
check_eq "every task at version 1" 1000 "$(sq 'select count(*) from tasks where version = 1')"
check_eq "1000 versions, all 'created'" "1000|1000" \
  "$(sq "select count(*), sum(change_reason = 'created' and created_by = 'notion-sync') from task_versions")"
check_eq "one evidence record" 1 "$(evidences)"
check_eq "evidence: success, manual, the database" "success manual $DB_ID" \
  "$(last_evidence 'e["status"]+" "+e["trigger"]+" "+e["source_id"]')"
check_eq "evidence counts" "1000 1000 0 0" \
  "$(last_evidence '"%d %d %d %d" % (m["syncedCount"], m["createdCount"], m["updatedCount"], m["unchangedCount"])')"
check "evidence has requests and watermarks" \
  test "$(last_evidence 'm["requests"] > 10 and m["watermarkAfter"] is not None and m["watermarkBefore"] is None')" = True
check "summary table on stdout" grep -q "Engineering tasks *success *1000 *1000" "$T/sync.out"
check "on a pipe: no progress, only the final line" \
  test "$(grep -Evc '^nvault: sync finished in [0-9.]+s: 1 database, 1000 rows, [0-9]+ requests$' "$T/sync.err")" = 0
check "on a pipe: no escape code" sh -c "! grep -q $'\033' '$T/sync.err'"
check "scope and ids stored" test "$(sq "select count(*) from tasks where scope = 'proj-eng' and notion_database_id = '$DB_ID' and notion_data_source_id = '$DS_ID'")" = 1000

# ---- no change -----------------------------------------------------------------
check_eq "second sync exits 0" 0 "$(sync_rc --json)"
check_eq "no new versions" 1000 "$(versions)"
check_eq "unchangedCount 1000" "1000 1000 0 0" \
  "$(last_evidence '"%d %d %d %d" % (m["unchangedCount"], m["syncedCount"], m["createdCount"], m["updatedCount"])')"
check_eq "--json report" "True 1000" "$(jget "$(cat "$T/sync.out")" 'str(d["success"]) + " " + str(d["databases"][0]["unchangedCount"])')"

# ---- an edit, and clearing a value --------------------------------------------------
mapfile -t IDS < <(page_ids)
P=${IDS[10]}
ctl PATCH "/_control/pages/$P" '{"set": {"Name": "Renamed by the test", "Due": null, "Tags": ["x", "y"]}}' >/dev/null
check_eq "sync after an edit exits 0" 0 "$(sync_rc)"
check_eq "exactly one new version" 1001 "$(versions)"
check_eq "the new version has the new values" "2|Renamed by the test||[\"x\",\"y\"]|updated in Notion" \
  "$(sq "select t.version, t.title, coalesce(t.due_date, ''), t.tags, v.change_reason from tasks t join task_versions v on v.id = t.current_version_id where t.notion_page_id = '$P'")"
check_eq "evidence: 1 updated, 999 unchanged" "1 999" "$(last_evidence '"%d %d" % (m["updatedCount"], m["unchangedCount"])')"

# ---- an edit in the same minute as the previous sync, after it ran -------------------------
# Notion rounds last_edited_time down to the minute: the second edit below
# keeps the timestamp the previous sync already saw.
for attempt in 1 2; do
  ctl PATCH "/_control/pages/$P" '{"set": {"Name": "First edit this minute"}}' >/dev/null
  before=$(ctl GET "/_control/pages?data_source_id=$DS_ID" | python3 -c "import json,sys; print([p['last_edited_time'] for p in json.load(sys.stdin)['pages'] if p['id']=='$P'][0])")
  sync_rc >/dev/null
  ctl PATCH "/_control/pages/$P" '{"set": {"Name": "Second edit, same minute"}}' >/dev/null
  after=$(ctl GET "/_control/pages?data_source_id=$DS_ID" | python3 -c "import json,sys; print([p['last_edited_time'] for p in json.load(sys.stdin)['pages'] if p['id']=='$P'][0])")
  [ "$before" = "$after" ] && break   # else the minute turned over: try again
done
check_eq "both edits share one last_edited_time" "$before" "$after"
check_eq "next sync exits 0" 0 "$(sync_rc)"
check_eq "the same-minute edit is captured" "Second edit, same minute" \
  "$(sq "select title from tasks where notion_page_id = '$P'")"

# ---- trash, restore, purge ---------------------------------------------------------
TR=${IDS[20]}
PU=${IDS[30]}
ctl POST "/_control/pages/$TR/trash" >/dev/null
check_eq "sync after trash exits 0" 0 "$(sync_rc)"
check_eq "trashed row soft-deleted with a new version" "0|deleted in Notion|notion-sync" \
  "$(sq "select t.active, v.change_reason, v.created_by from tasks t join task_versions v on v.id = t.current_version_id where t.notion_page_id = '$TR'")"
check "deleted_at set" test -n "$(sq "select deleted_at from tasks where notion_page_id = '$TR'")"
check_eq "evidence deletedCount 1" 1 "$(last_evidence 'm["deletedCount"]')"
ctl POST "/_control/pages/$TR/restore" >/dev/null
check_eq "sync after restore exits 0" 0 "$(sync_rc)"
check_eq "restored row active again" "1|restored in Notion" \
  "$(sq "select t.active, v.change_reason from tasks t join task_versions v on v.id = t.current_version_id where t.notion_page_id = '$TR'")"
check_eq "evidence restoredCount 1" 1 "$(last_evidence 'm["restoredCount"]')"
ctl POST "/_control/pages/$PU/purge" >/dev/null
check_eq "sync after purge exits 0" 0 "$(sync_rc)"
check_eq "purged row soft-deleted after the complete scan" "0|deleted in Notion" \
  "$(sq "select t.active, v.change_reason from tasks t join task_versions v on v.id = t.current_version_id where t.notion_page_id = '$PU'")"
check_eq "999 active tasks" 999 "$(sq 'select count(*) from tasks where active = 1')"

# ---- dry run ---------------------------------------------------------------------------
V=$(versions); E=$(evidences); S=$(sq "select group_concat(watermark) from sync_state")
ctl PATCH "/_control/pages/${IDS[40]}" '{"set": {"Name": "Dry run sees this"}}' >/dev/null
ctl POST "/_control/pages/${IDS[50]}/purge" >/dev/null
check_eq "dry run exits 0" 0 "$(sync_rc --dry-run --json)"
check_eq "dry run reports 1 update and 1 deletion" "True 1 1" \
  "$(jget "$(cat "$T/sync.out")" 'str(d["dryRun"]) + " " + str(d["databases"][0]["updatedCount"]) + " " + str(d["databases"][0]["deletedCount"])')"
check_eq "dry run wrote no version" "$V" "$(versions)"
check_eq "dry run wrote no evidence" "$E" "$(evidences)"
check_eq "dry run left the watermark" "$S" "$(sq "select group_concat(watermark) from sync_state")"
check_eq "real sync afterwards" "0 1 1" "$(sync_rc --json) $(jget "$(cat "$T/sync.out")" 'str(d["databases"][0]["updatedCount"]) + " " + str(d["databases"][0]["deletedCount"])')"

# ---- a dry run on a store that does not exist writes nothing at all ------------------------
check_eq "dry run without a store exits 0" 0 "$(NVAULT_DB=$T/none/vault.db sync_rc --dry-run --json)"
check "no store file created" test ! -e "$T/none/vault.db"
check_eq "everything would be created" 998 "$(jget "$(cat "$T/sync.out")" 'd["databases"][0]["createdCount"]')"

# ---- no token: a configuration error ------------------------------------------------------
check_eq "sync without NOTION_API_KEY exits 2" 2 "$(NOTION_API_KEY= sync_rc)"
check "and says where the token goes" grep -q "NOTION_API_KEY" "$T/sync.err"

# ---- the token never appears in output or in the store -----------------------------------
check "token not in any output" sh -c "! grep -rq '$NOTION_API_KEY' '$T'/sync.out '$T'/sync.err"
check "token not in the store" sh -c "! grep -aq '$NOTION_API_KEY' '$NVAULT_DB'*"

finish
