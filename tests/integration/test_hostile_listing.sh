# test_hostile_listing.sh: issue 15 #5. A query answer whose has_more is
# missing, not a boolean, or contradicts its next_cursor makes the listing
# (and so the deletion scan) incomplete: the run fails, nothing is deleted,
# the evidence says why; the next clean run succeeds with nothing deleted.
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
finish
