# test_faults.sh: nvault sync when the world misbehaves (issue 8). The real
# nvault binary against the real fake Notion server:
#   1. the fake answers every request of a run with one fault (500, 502 as
#      an HTML page, 503, 504, 429 without end, 401, 404, a dropped
#      connection, a truncated body), from the first request or only once the
#      id scan is under way: nvault exits 1, never crashes, records a
#      "failed" evidence entry with the error, deletes nothing and keeps the
#      store valid; the next run without the fault completes;
#   2. the store on a full disk (RLIMIT_FSIZE via `ulimit -f`, SIGXFSZ
#      ignored so writes fail with EFBIG as on a full file system): the sync
#      fails with a clear message, `nvault verify` passes, nothing committed
#      is lost and the next run without the limit completes with every row;
#   3. a read-only store (file 0444 in a 0555 directory; as root, the
#      capabilities that bypass file modes are dropped): a clear error,
#      nothing lost.
# The fault runs wait out the client's real retry backoff (about 4-7 s
# each), so they run in parallel, one fake server and one store each.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sync_lib.sh"
command -v curl >/dev/null || { echo "curl needed" >&2; exit 1; }

ROWS=300   # three result pages of 100: a fault after the first scan page hits mid-scan

# ---- 1. every fault for a whole run ----------------------------------------------
# A second sync asks for the database, its data source, three id-scan pages
# and the incremental pass: "after": 2 fails the scan on its second page,
# "after": 4 lets the scan complete and fails the pass.
# name | fault JSON (count is "the whole run") | what the error must mention
FAULTS=(
  "500|{\"kind\":\"status\",\"status\":500}|HTTP 500"
  "502-html|{\"kind\":\"html\",\"status\":502}|HTTP 502"
  "503|{\"kind\":\"status\",\"status\":503}|HTTP 503"
  "504|{\"kind\":\"status\",\"status\":504}|HTTP 504"
  "429|{\"kind\":\"status\",\"status\":429,\"retry_after\":\"1\"}|HTTP 429"
  "401|{\"kind\":\"status\",\"status\":401}|HTTP 401"
  "404|{\"kind\":\"status\",\"status\":404}|HTTP 404"
  "drop|{\"kind\":\"drop\"}|Empty reply"
  "truncate|{\"kind\":\"truncate\"}|transfer closed"
  "500-midscan|{\"kind\":\"status\",\"status\":500,\"match\":\"/v1/data_sources\",\"after\":2}|HTTP 500"
  "drop-midscan|{\"kind\":\"drop\",\"match\":\"/v1/data_sources\",\"after\":2}|Empty reply"
  "404-midscan|{\"kind\":\"status\",\"status\":404,\"match\":\"/v1/data_sources\",\"after\":2}|HTTP 404"
  "503-afterscan|{\"kind\":\"status\",\"status\":503,\"match\":\"/v1/data_sources\",\"after\":4}|HTTP 503"
)

# fault_case NAME FAULT: in its own directory D=$T/NAME, with its own fake:
# a clean first sync, then one run with FAULT injected for every request,
# then one run without it. Leaves the evidence in files for the checks below.
fault_case() {
  local name=$1 fault=$2 D=$T/$1 port pid url
  mkdir -p "$D"
  export NVAULT_DB=$D/vault.db NVAULT_RATE_LIMIT=0
  "$FAKE_NOTION" --port 0 --port-file "$D/port" --rows $ROWS --seed 11 >"$D/fake.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do [ -s "$D/port" ] && break; sleep 0.05; done
  url=http://127.0.0.1:$(cat "$D/port")
  export NOTION_API_BASE_URL=$url
  "$NVAULT" sync >"$D/first.out" 2>&1; echo $? >"$D/first.rc"
  sqlite3 -batch "$D/vault.db" "select count(*) from tasks where active = 1" >"$D/active.before"
  sqlite3 -batch "$D/vault.db" "select count(*) from task_versions" >"$D/versions.before"
  curl -sS -X POST "$url/_control/faults" -d "${fault%\}},\"count\":1000000}" >"$D/fault.json"
  curl -sS -X DELETE "$url/_control/log" >/dev/null
  "$NVAULT" sync >"$D/fault.out" 2>"$D/fault.err"; echo $? >"$D/fault.rc"
  curl -sS "$url/_control/log" >"$D/log.json"
  "$NVAULT" sync --json >"$D/fault.json.out" 2>/dev/null; echo $? >"$D/fault.json.rc"
  sqlite3 -batch "$D/vault.db" "select count(*) from tasks where active = 1" >"$D/active.after"
  sqlite3 -batch -json "$D/vault.db" \
    "select status, metadata from evidence order by seq desc limit 2" >"$D/evidence.json"
  "$NVAULT" verify >"$D/verify.out" 2>&1; echo $? >"$D/verify.rc"
  curl -sS -X DELETE "$url/_control/faults" >/dev/null
  "$NVAULT" sync >"$D/after.out" 2>&1; echo $? >"$D/after.rc"
  sqlite3 -batch "$D/vault.db" "select count(*) from tasks where active = 1" >"$D/active.final"
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
}

default_config
started=$(date +%s)
PIDS=()
for f in "${FAULTS[@]}"; do
  IFS='|' read -r name fault _ <<<"$f"
  fault_case "$name" "$fault" &
  PIDS+=($!)
done
for p in "${PIDS[@]}"; do wait "$p"; done
echo "# fault runs took $(($(date +%s) - started)) s"

# facts NAME: one line per JSON-derived fact of a case, "what<TAB>expected<TAB>actual"
# (one python3 per case keeps the checks fast)
facts() {
  python3 - "$T/$1" "$2" <<'PY'
import json, os, sys
D, tries = sys.argv[1], sys.argv[2]
lo, hi = (int(x) for x in (tries + "-" + tries).split("-")[:2])
def load(f):
    try:
        return json.load(open(os.path.join(D, f)))
    except Exception as e:
        return {"unreadable": str(e)}
def fact(what, expected, actual):
    print("%s\t%s\t%s" % (what, expected, actual))
fact("fault accepted by the fake", 1, load("fault.json").get("faults"))
reqs = [json.dumps([r["method"], r["path"], r["body"]], sort_keys=True)
        for r in load("log.json").get("requests", [])]
sent = max([reqs.count(r) for r in reqs] or [0])
fact("the failing request was sent %s times (1 + retries)" % tries, tries,
     tries if lo <= sent <= hi else sent)
rep = load("fault.json.out")
try:
    db = rep["databases"][0]
    fact("--json report: success false, database failed, errors[]", "False failed True",
         "%s %s %s" % (rep["success"], db["status"], len(db["errors"]) > 0))
except Exception as e:
    fact("--json report", "readable", repr(e))
ev = load("evidence.json")
fact("evidence of both runs: failed, with errors[]", "failed True failed True",
     " ".join("%s %s" % (e["status"], len(json.loads(e["metadata"])["errors"]) > 0) for e in ev)
     if isinstance(ev, list) else ev)
PY
}

for f in "${FAULTS[@]}"; do
  IFS='|' read -r name fault expect <<<"$f"
  D=$T/$name
  # libcurl itself re-sends once when a reused connection turns out dropped
  case $name in 401*|404*) tries=1 ;; drop-*) tries=4-5 ;; *) tries=4 ;; esac
  check_eq "$name: clean first sync" 0 "$(cat "$D/first.rc")"
  check_eq "$name: $ROWS tasks before" $ROWS "$(cat "$D/active.before")"
  check_eq "$name: sync exits 1 (not a crash)" 1 "$(cat "$D/fault.rc")"
  check_eq "$name: --json run exits 1 too" 1 "$(cat "$D/fault.json.rc")"
  check "$name: the error names the fault" grep -q "$expect" "$D/fault.err"
  check "$name: no sanitizer or crash report" \
    sh -c "! grep -Eqi 'sanitizer|segmentation|core dumped|abort' '$D/fault.err'"
  while IFS=$'\t' read -r what expected actual; do
    check_eq "$name: $what" "$expected" "$actual"
  done < <(facts "$name" "$tries")
  check_eq "$name: nothing deleted" "$(cat "$D/active.before")" "$(cat "$D/active.after")"
  check_eq "$name: store verifies" 0 "$(cat "$D/verify.rc")"
  check "$name: the token never appears" \
    sh -c "! grep -q '$NOTION_API_KEY' '$D/fault.out' '$D/fault.err' '$D/fault.json.out' '$D/evidence.json'"
  check_eq "$name: next run without the fault exits 0" 0 "$(cat "$D/after.rc")"
  check_eq "$name: $ROWS tasks after" $ROWS "$(cat "$D/active.final")"
done

# ---- 2. the store on a full disk ---------------------------------------------------
# RLIMIT_FSIZE of 2 MiB: writes past it fail with EFBIG (SIGXFSZ ignored),
# which SQLite reports like a full disk. 3,000 rows need about 20 MB.
export NVAULT_DB=$T/disk/vault.db
mkdir -p "$T/disk"
fake_start --rows 3000 --seed 5
LIMIT_KB=2048
limited_sync() { ( trap '' XFSZ; ulimit -f $LIMIT_KB; nv sync "$@" >"$T/sync.out" 2>"$T/sync.err"; echo $? ); }

check_eq "full disk: first sync fails" 1 "$(limited_sync)"
check "full disk: the error says the store could not be written" \
  grep -Eq "disk I/O error|database or disk is full|File too large" "$T/sync.err"
check "full disk: the error names the store file" grep -q "$NVAULT_DB" "$T/sync.err"
check "full disk: no crash report" sh -c "! grep -Eqi 'sanitizer|segmentation|abort' '$T/sync.err'"
check_eq "full disk: the store verifies" 0 "$(nv verify >/dev/null 2>&1; echo $?)"
partial=$(sq "select count(*) from tasks")
check "full disk: only whole result pages were kept ($partial tasks)" \
  test "$partial" -lt 3000 -a $((partial % 100)) -eq 0
check_eq "full disk: a failed evidence record" failed "$(sq "select status from evidence order by seq desc limit 1")"
check_eq "full disk: the watermark covers only committed rows" 1 \
  "$(sq "select coalesce((select max(watermark) from sync_state), '') <= coalesce((select max(notion_last_edited_time) from tasks), '')")"

check_eq "full disk: the next run without the limit exits 0" 0 "$(sync_rc)"
check_eq "full disk: every row is there" "3000|3000" "$(sq "select count(*), sum(active) from tasks")"
check_eq "full disk: one version per task" 3000 "$(versions)"
check_eq "full disk: the store verifies" 0 "$(nv verify >/dev/null 2>&1; echo $?)"

# now on an existing, larger store: an edit, then a run on the full disk. A
# run that changes nothing writes little (the scan's marks are a narrow
# table), so the limit is smaller here: above the 32 KiB WAL index, below
# what a full pass of 3,000 rows appends to the WAL.
LIMIT_KB=64
P=$(page_ids | sed -n 7p)
ctl PATCH "/_control/pages/$P" '{"set": {"Name": "Edited before the disk filled"}}' >/dev/null
before=$(sq "select count(*) || '|' || sum(active) || '|' || (select count(*) from task_versions) from tasks")
check_eq "full disk on a full store: sync fails" 1 "$(limited_sync --full)"
check_eq "full disk on a full store: nothing lost, no half-written version" "$before" \
  "$(sq "select count(*) || '|' || sum(active) || '|' || (select count(*) from task_versions) from tasks")"
check_eq "full disk on a full store: the store verifies" 0 "$(nv verify >/dev/null 2>&1; echo $?)"
check_eq "full disk on a full store: the next run exits 0" 0 "$(sync_rc)"
check_eq "full disk on a full store: the edit arrives" "Edited before the disk filled|2" \
  "$(sq "select title, version from tasks where notion_page_id = '$P'")"
check_eq "full disk on a full store: the store verifies after" 0 "$(nv verify >/dev/null 2>&1; echo $?)"
kill "$FAKE_PID" 2>/dev/null; wait "$FAKE_PID" 2>/dev/null; FAKE_PID=""

# ---- 3. a read-only store --------------------------------------------------------
export NVAULT_DB=$T/ro/vault.db
mkdir -p "$T/ro"
fake_start --rows 200 --seed 9
check_eq "read-only: first sync" 0 "$(sync_rc)"
ctl POST /_control/clock '{"advance_ms": 600000}' >/dev/null
ctl PATCH "/_control/pages/$(page_ids | sed -n 3p)" '{"set": {"Name": "Edited while read-only"}}' >/dev/null
snapshot=$(sq "select count(*) || '|' || sum(active) || '|' || (select count(*) from task_versions) || '|' || (select count(*) from evidence) from tasks")
sum_before=$(cksum <"$NVAULT_DB")
chmod 0444 "$NVAULT_DB"
chmod 0555 "$T/ro"
# root ignores file modes: drop the capabilities that let it
as_user() {
  if [ "$(id -u)" -eq 0 ]; then
    setpriv --bounding-set=-dac_override,-dac_read_search,-fowner "$@"
  else "$@"; fi
}
as_user "$NVAULT" sync >"$T/ro.out" 2>"$T/ro.err"; rc=$?
check "read-only: sync fails (exit $rc)" test "$rc" -ne 0 -a "$rc" -lt 128
check "read-only: the error says the store is not writable" \
  grep -Eiq "read-only|readonly|permission denied|not writable|unable to open" "$T/ro.err"
check "read-only: the error names the store" grep -q "$T/ro" "$T/ro.err"
check "read-only: the error points at permissions, not the file format" \
  sh -c "grep -q 'permissions' '$T/ro.err' && ! grep -q 'is it an SQLite file' '$T/ro.err'"
check "read-only: no crash report" sh -c "! grep -Eqi 'sanitizer|segmentation|abort' '$T/ro.err'"
check_eq "read-only: the file is unchanged" "$sum_before" "$(cksum <"$NVAULT_DB")"
chmod 0755 "$T/ro"
chmod 0644 "$NVAULT_DB"
check_eq "read-only: nothing lost" "$snapshot" \
  "$(sq "select count(*) || '|' || sum(active) || '|' || (select count(*) from task_versions) || '|' || (select count(*) from evidence) from tasks")"
check_eq "read-only: the store verifies" 0 "$(nv verify >/dev/null 2>&1; echo $?)"
check_eq "read-only: writable again, the next sync exits 0" 0 "$(sync_rc)"
check_eq "read-only: the edit arrives" "Edited while read-only" \
  "$(sq "select title from tasks where title = 'Edited while read-only'")"

finish
