# test_hostile_listing.sh: issue 15 #5 and #2. A query answer whose has_more
# is missing, not a boolean, or contradicts its next_cursor makes the listing
# (and so the deletion scan) incomplete: the run fails, nothing is deleted,
# the evidence says why; the next clean run succeeds with nothing deleted.
# A row stamped ten years ahead does not move the watermark past the
# server's time: a later edit is still synced, and the evidence warns.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sync_lib.sh"

fake_start --rows 150 --seed 5
default_config
check_eq "first sync" 0 "$(sync_rc)"
check_eq "150 tasks" 150 "$(sq 'select count(*) from tasks where active = 1')"

for patch in '"remove": ["has_more"]' '"set": {"has_more": "true"}' \
  '"set": {"has_more": false}' '"set": {"next_cursor": 12}'; do
  ctl DELETE /_control/faults >/dev/null
  ctl POST /_control/faults "{\"kind\": \"patch\", \"count\": 1000, \"match\": \"/v1/data_sources/$DS_ID/query\", $patch}" >/dev/null
  V=$(versions)
  check_eq "[$patch] the sync fails" 1 "$(sync_rc)"
  check_eq "[$patch] no task deleted" 150 "$(sq 'select count(*) from tasks where active = 1')"
  check_eq "[$patch] no version written" "$V" "$(versions)"
  check "[$patch] evidence names the listing problem" \
    test "$(last_evidence 'e["status"] in ("partial", "failed") and any(("has_more" in x or "next_cursor" in x) for x in m["errors"])')" = True
done
ctl DELETE /_control/faults >/dev/null
check_eq "a clean sync succeeds" 0 "$(sync_rc)"
check_eq "still 150 tasks, none deleted" "150 0" \
  "$(sq 'select count(*) from tasks where active = 1') $(last_evidence 'm["deletedCount"]')"

# ---- #2: a row stamped ten years in the future -------------------------------------------
mapfile -t IDS < <(page_ids)
TEN_YEARS=315360000000
ctl POST /_control/clock "{\"advance_ms\": $TEN_YEARS}" >/dev/null
ctl PATCH "/_control/pages/${IDS[0]}" '{"set": {"Name": "Stamped in the future"}}' >/dev/null
ctl POST /_control/clock "{\"advance_ms\": -$TEN_YEARS}" >/dev/null
check_eq "a sync reading the future row succeeds" 0 "$(sync_rc)"
check_eq "the future row is stored" "Stamped in the future" "$(sq "select title from tasks where notion_page_id = '${IDS[0]}'")"
WM=$(sq "select watermark from sync_state")
check "the watermark stays before next year ($WM)" test "${WM:0:4}" -le "$(( $(date -u +%Y) + 1 ))"
check "the evidence warns about the row" \
  test "$(last_evidence 'any("after the server" in x and "'"${IDS[0]}"'" in x for x in m["warnings"])')" = True
ctl PATCH "/_control/pages/${IDS[1]}" '{"set": {"Name": "Edited after the future row"}}' >/dev/null
check_eq "the next sync" 0 "$(sync_rc)"
check_eq "a later edit is still synced" "Edited after the future row" \
  "$(sq "select title from tasks where notion_page_id = '${IDS[1]}'")"
finish
