# test_sync_overlap.sh: requests overlap (issue 17 #4). The fake answers
# every request 700 ms late and enforces 3 requests/s; nvault syncs at its
# default 3 requests/s. A sync then runs windows of one query side by side
# (notion_query_streams), so: every row arrives once, no request earns a
# 429, the result cap is handled inside windows, truncated relations are
# completed on the fetch threads, the watermark is the newest row once the
# pass completes, and after a kill -9 in the middle of a pass every row
# below the watermark is stored (what the next run relies on) and the next
# run converges. Counts, not times: nothing here has a wall-clock deadline.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sync_lib.sh"
export NVAULT_RATE_LIMIT=3

fake_start --rows 400 --seed 13 --cap 60 --rate 3 --latency-ms 700
default_config

# fake_log_check PYTHON-EXPR: evaluates EXPR over the fake's logged API
# requests `reqs` (list of {method, path, body, status, ...}).
fake_log_check() {
  ctl GET /_control/log | python3 -c '
import json, sys
reqs = [r for r in json.load(sys.stdin)["requests"] if r["path"].startswith("/v1/")]
def start(r):
    b = r.get("body") if isinstance(r.get("body"), dict) else {}
    if b.get("start_cursor"):
        return None
    f = b.get("filter") or {}
    f = f.get("and", [f])[0]
    return (f.get(f.get("timestamp", ""), {}) or {}).get("on_or_after", "-")
print(eval(sys.argv[1]))' "$1"
}

# every_row_below_watermark_stored: 1 when every row of the fake whose
# last_edited_time is below the stored watermark has a task.
every_row_below_watermark_stored() {
  local wm
  wm=$(sq "select coalesce(watermark, '') from sync_state where data_source_id = '$DS_ID'")
  ctl GET "/_control/pages?data_source_id=$DS_ID" | python3 -c '
import json, sqlite3, sys
wm, db = sys.argv[1], sys.argv[2]
stored = {r[0] for r in sqlite3.connect(db).execute("select notion_page_id from tasks")}
rows = [p for p in json.load(sys.stdin)["pages"] if not p.get("in_trash")]
missing = [p["id"] for p in rows if wm and p["last_edited_time"] < wm and p["id"] not in stored]
print(0 if missing else 1)' "$wm" "$NVAULT_DB"
}

ctl DELETE /_control/log >/dev/null
check_eq "first sync, 700 ms per answer" 0 "$(sync_rc)"
check_eq "all 400 rows backed up, once each" "400 400 400" \
  "$(sq "select count(*) || ' ' || count(distinct notion_page_id) from tasks") $(versions)"
check_eq "no request earned a 429" 0 "$(fake_log_check 'sum(1 for r in reqs if r["status"] == 429)')"
check "the pass ran in several windows of last_edited_time" \
  test "$(fake_log_check 'len({start(r) for r in reqs if r["path"].endswith("/query") and start(r)})')" -ge 4
check_eq "evidence: scan complete (full pass), 400 seen, windows past the cap counted" "True 400 True" \
  "$(last_evidence '" ".join(str(x) for x in (m["completeness"]["scanComplete"], m["completeness"]["rowsSeenByScan"], m["completeness"]["resultCapWindows"] >= 1))')"
REL=$(sq "select notion_page_id from tasks where json_array_length(json_extract(metadata, '$.notionProperties.Related.value')) > 25 limit 1")
check "relations with more than 25 items were completed (on the fetch threads)" test -n "$REL"
check_eq "no property marked truncated" 0 "$(sq "select count(*) from tasks where metadata like '%\"truncated\":true%'")"
MAXLET=$(ctl GET "/_control/pages?data_source_id=$DS_ID" |
  python3 -c 'import json,sys; print(max(p["last_edited_time"] for p in json.load(sys.stdin)["pages"]))')
check_eq "the watermark is the newest row once the pass completed" "$MAXLET" \
  "$(sq "select watermark from sync_state where data_source_id = '$DS_ID'")"

ctl DELETE /_control/log >/dev/null
check_eq "re-sync (id scan and pass side by side in windows): nothing changes" "0 400 400" \
  "$(sync_rc) $(last_evidence 'm["unchangedCount"]') $(versions)"
check_eq "re-sync: no 429" 0 "$(fake_log_check 'sum(1 for r in reqs if r["status"] == 429)')"
check_eq "re-sync: the id scan completed" True "$(last_evidence 'm["completeness"]["scanComplete"]')"

# ---- kill -9 in the middle of a first pass --------------------------------
export NVAULT_DB=$T/killed.db
"$NVAULT" sync >"$T/killed.out" 2>&1 &
PID=$!
while kill -0 "$PID" 2>/dev/null; do
  n=$( [ -e "$NVAULT_DB" ] && sq "select count(*) from tasks" 2>/dev/null || echo 0)
  [ "${n:-0}" -ge 150 ] && break
  sleep 0.2
done
kill -9 "$PID" 2>/dev/null
wait "$PID" 2>/dev/null
echo "# killed after $(sq 'select count(*) from tasks') of 400 rows"
check_eq "after the kill, every row below the watermark is stored" 1 "$(every_row_below_watermark_stored)"
check_eq "the next run converges: 400 rows, one version each" "0 400 400" \
  "$(SYNC_ONCE=1 sync_rc) $(sq 'select count(*) from tasks where active = 1') $(versions)"
check_eq "and its watermark is the newest row" "$MAXLET" \
  "$(sq "select watermark from sync_state where data_source_id = '$DS_ID'")"

finish
