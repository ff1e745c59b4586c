# test_sync_deletes.sh: deletion safety. A fault halfway through the id scan
# deletes nothing; the mass-delete guard; one sync at a time (exit 3); a
# stopped run and a killed run are both recorded as interrupted.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sync_lib.sh"

fake_start --rows 300 --seed 11
default_config
check_eq "first sync" 0 "$(sync_rc)"
mapfile -t IDS < <(page_ids)

# ---- a fault halfway through the id scan ------------------------------------------
for i in 0 1 2 3 4; do ctl POST "/_control/pages/${IDS[$i]}/purge" >/dev/null; done
V=$(versions)
# the scan's first result page goes through; its second gets a Notion 400
# (as when a cursor becomes invalid), which is not retried
ctl POST /_control/faults "{\"count\": 1, \"kind\": \"status\", \"status\": 400, \"match\": \"/v1/data_sources/$DS_ID/query\", \"after\": 1}" >/dev/null
check_eq "sync with a broken scan exits 1" 1 "$(SYNC_ONCE=1 sync_rc)"  # the fault is for one run
check_eq "no task deleted" 300 "$(sq 'select count(*) from tasks where active = 1')"
check_eq "no version written" "$V" "$(versions)"
check_eq "evidence: partial" partial "$(last_evidence 'e["status"]')"
check "evidence says the scan failed and nothing was deleted" \
  test "$(last_evidence 'any("id scan failed" in x and "no task" in x for x in m["errors"])')" = True
check "the error is on stderr" grep -q "id scan failed" "$T/sync.err"
ctl DELETE /_control/faults >/dev/null
check_eq "the next complete scan deletes them" 0 "$(sync_rc)"
check_eq "5 deleted" "295 5" "$(sq 'select count(*) from tasks where active = 1') $(last_evidence 'm["deletedCount"]')"

# ---- mass-delete guard: 60% of the rows vanish -----------------------------------------
for i in $(seq 5 184); do ctl POST "/_control/pages/${IDS[$i]}/purge" >/dev/null; done
V=$(versions)
check_eq "sync refusing a mass delete exits 1" 1 "$(sync_rc)"
check_eq "nothing deleted" "295 $V" "$(sq 'select count(*) from tasks where active = 1') $(versions)"
check "evidence warns about the guard" \
  test "$(last_evidence 'e["status"] == "partial" and any("mass-delete" in x for x in m["warnings"])')" = True
check "the warning names --allow-mass-delete" grep -q -- "--allow-mass-delete" "$T/sync.err"
check_eq "--allow-mass-delete deletes them" 0 "$(sync_rc --allow-mass-delete)"
check_eq "115 active, 180 deleted this run" "115 180" \
  "$(sq 'select count(*) from tasks where active = 1') $(last_evidence 'm["deletedCount"]')"

# ---- one sync at a time: exit 3 ------------------------------------------------------
# a stalled query keeps the first sync busy inside its data source
ctl POST /_control/faults "{\"count\": 1, \"kind\": \"stall\", \"stall_ms\": 20000, \"match\": \"/v1/data_sources/$DS_ID/query\"}" >/dev/null
ctl DELETE /_control/log >/dev/null
"$NVAULT" sync >"$T/bg.out" 2>"$T/bg.err" &
BG=$!
for _ in $(seq 1 100); do
  ctl GET /_control/log | grep -q "/v1/data_sources/$DS_ID/query" && break
  sleep 0.05
done
E=$(evidences)
check_eq "a second sync exits 3" 3 "$(sync_rc)"
check "it says a sync is running" grep -qi "already running" "$T/sync.err"
check_eq "the second sync wrote no evidence" "$E" "$(evidences)"
check_eq "a dry run may still read" 0 "$(sync_rc --dry-run)"

# SIGTERM: the first sync stops, records itself as interrupted
kill -TERM $BG
wait $BG
check_eq "the stopped sync exits 143 (128 + SIGTERM)" 143 "$?"
check_eq "its evidence says interrupted" interrupted "$(last_evidence 'e["status"]')"
check_eq "no run left in progress" 0 "$(sq 'select count(*) from sync_state where run_id is not null')"
ctl DELETE /_control/faults >/dev/null

# kill -9: the next run finds the dead run and records it
ctl POST /_control/faults "{\"count\": 1, \"kind\": \"stall\", \"stall_ms\": 20000, \"match\": \"/v1/data_sources/$DS_ID/query\"}" >/dev/null
ctl DELETE /_control/log >/dev/null
"$NVAULT" sync >/dev/null 2>&1 &
BG=$!
for _ in $(seq 1 100); do
  ctl GET /_control/log | grep -q "/v1/data_sources/$DS_ID/query" && break
  sleep 0.05
done
kill -9 $BG; wait $BG 2>/dev/null
check_eq "the killed run is still marked in progress" 1 "$(sq 'select count(*) from sync_state where run_id is not null')"
ctl DELETE /_control/faults >/dev/null
check_eq "the next sync exits 0" 0 "$(sync_rc)"
check_eq "the killed run got an interrupted record" 1 \
  "$(sq "select count(*) from evidence where status = 'interrupted' and json_extract(metadata, '$.detectedLater')")"
check_eq "the new run succeeded" success "$(last_evidence 'e["status"]')"
check_eq "no run left in progress" 0 "$(sq 'select count(*) from sync_state where run_id is not null')"

# ---- a page back from the trash with an old last_edited_time -----------------------
# The incremental filter cannot reach it; the id scan sees it again, and the
# pass is widened to re-read it.
X=${IDS[299]}
ctl POST "/_control/pages/$X/trash" >/dev/null
check_eq "trash" "0 0" "$(sync_rc) $(sq "select active from tasks where notion_page_id = '$X'")"
ctl POST /_control/clock '{"advance_ms": -86400000}' >/dev/null
ctl PATCH "/_control/pages/$X" '{"set": {"Name": "Changed a day ago"}}' >/dev/null
ctl POST "/_control/pages/$X/restore" >/dev/null
ctl POST /_control/clock '{"advance_ms": 86400000}' >/dev/null
check_eq "sync" 0 "$(sync_rc)"
check_eq "restored with its current content" "1|Changed a day ago|restored in Notion" \
  "$(sq "select t.active, t.title, v.change_reason from tasks t join task_versions v on v.id = t.current_version_id where t.notion_page_id = '$X'")"

# ---- a page never backed up, with an old last_edited_time (e.g. shared late) ----------
ctl POST /_control/clock '{"advance_ms": -86400000}' >/dev/null
NEW=$(ctl POST /_control/pages "{\"data_source_id\": \"$DS_ID\", \"set\": {\"Name\": \"Created a day ago\"}}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
ctl POST /_control/clock '{"advance_ms": 86400000}' >/dev/null
check_eq "sync" 0 "$(sync_rc)"
check_eq "the old page is backed up" "1|Created a day ago|created" \
  "$(sq "select t.active, t.title, v.change_reason from tasks t join task_versions v on v.id = t.current_version_id where t.notion_page_id = '$NEW'")"
check_eq "re-sync: nothing more to do" "0 0" "$(sync_rc) $(last_evidence 'm["createdCount"]')"

finish
