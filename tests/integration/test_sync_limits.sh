# test_sync_limits.sh: Notion's limits. The per-query result cap (windowing,
# for the pass and for the id scan), relation / people values truncated at
# 25 items (completed through the page-property endpoint, or kept with an
# explicit truncated marker when that fails).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sync_lib.sh"

fake_start --rows 400 --seed 13 --cap 150
default_config
check_eq "first sync through a result cap of 150" 0 "$(sync_rc)"
check_eq "all 400 rows backed up, once each" "400 400" "$(sq "select count(*) || ' ' || count(distinct notion_page_id) from tasks")"
check_eq "evidence completeness: scan complete, 400 seen of 400 active, 2 windows past the cap" \
  "True 400 400 2 0" \
  "$(last_evidence '" ".join(str(x) for x in (m["completeness"]["scanComplete"], m["completeness"]["rowsSeenByScan"], m["completeness"]["activeTasks"], m["completeness"]["resultCapWindows"], m["completeness"]["propertiesTruncated"]))')"
check_eq "re-sync: all unchanged" "0 400 400" \
  "$(sync_rc) $(last_evidence 'm["unchangedCount"]') $(versions)"
mapfile -t IDS < <(page_ids)
ctl POST "/_control/pages/${IDS[399]}/purge" >/dev/null
check_eq "the windowed id scan completes: the purged row is deleted" "0 1 399" \
  "$(sync_rc) $(last_evidence 'm["deletedCount"]') $(sq 'select count(*) from tasks where active = 1')"
check_eq "completeness after the id scan: 399 seen, 399 active, windows counted" "True 399 399 True" \
  "$(last_evidence '" ".join(str(x) for x in (m["completeness"]["scanComplete"], m["completeness"]["rowsSeenByScan"], m["completeness"]["activeTasks"], m["completeness"]["resultCapWindows"] >= 2))')"

# ---- truncated relation / people values -------------------------------------------
REL=$(sq "select notion_page_id from tasks where json_array_length(json_extract(metadata, '$.notionProperties.Related.value')) > 25 limit 1")
check "relations with more than 25 items were completed" test -n "$REL"
check_eq "no property marked truncated" 0 "$(sq "select count(*) from tasks where metadata like '%\"truncated\":true%'")"
N=$(sq "select json_array_length(json_extract(metadata, '$.notionProperties.Related.value')) from tasks where notion_page_id = '$REL'")

# the page-property endpoint fails: the row is kept, marked truncated, with a warning
ctl POST /_control/faults "{\"count\": 100, \"kind\": \"status\", \"status\": 403, \"match\": \"/v1/pages/$REL/properties\"}" >/dev/null
ctl PATCH "/_control/pages/$REL" '{"set": {"Name": "Edited while the property endpoint fails"}}' >/dev/null
check_eq "sync with the property endpoint failing" 0 "$(sync_rc)"
check "the property is kept with truncated: true" \
  test "$(sq "select count(*) from tasks where notion_page_id = '$REL' and metadata like '%\"truncated\":true%'")" = 1
check_eq "the row's new title is stored anyway" "Edited while the property endpoint fails" \
  "$(sq "select title from tasks where notion_page_id = '$REL'")"
check "evidence warns about the truncated property" \
  test "$(last_evidence 'any("truncated" in x for x in m["warnings"])')" = True
check_eq "and counts it in completeness" 1 "$(last_evidence 'm["completeness"]["propertiesTruncated"]')"
ctl DELETE /_control/faults >/dev/null
ctl PATCH "/_control/pages/$REL" '{"set": {"Name": "Edited again"}}' >/dev/null
check_eq "next sync" 0 "$(sync_rc)"
check_eq "completed again: all $N items, no marker" "$N 0" \
  "$(sq "select json_array_length(json_extract(metadata, '$.notionProperties.Related.value')), metadata like '%\"truncated\":true%' from tasks where notion_page_id = '$REL'" | tr '|' ' ')"

# ---- lastSyncTimestamp: the first sync starts there instead of reading everything ---------
export NVAULT_DB=$T/from-timestamp.db
read -r LST EXPECTED < <(ctl GET "/_control/pages?data_source_id=$DS_ID" | python3 -c '
import json, sys, datetime
pages = [p for p in json.load(sys.stdin)["pages"] if not p.get("in_trash")]
times = sorted(p["last_edited_time"] for p in pages)
lst = times[len(times) // 2]
t = datetime.datetime.strptime(lst, "%Y-%m-%dT%H:%M:%S.%fZ") - datetime.timedelta(minutes=2)
cut = t.strftime("%Y-%m-%dT%H:%M:%S.000Z")
print(lst, sum(1 for x in times if x >= cut))')
python3 - "$AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH" "$LST" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["databases"][0]["lastSyncTimestamp"] = sys.argv[2]
json.dump(c, open(sys.argv[1], "w"))
PY
check_eq "first sync from lastSyncTimestamp" 0 "$(sync_rc)"
check_eq "only rows edited since then (minus the lookback)" "$EXPECTED" "$(sq 'select count(*) from tasks')"
check "that is fewer than all rows" test "$EXPECTED" -lt 399

finish
