# test_daemon.sh: `nvault daemon` and `nvault status`, the real binary
# against the real fake Notion server. The daemon's clock is injected
# (NVAULT_TEST_NOW) a few seconds before a scheduled time, so each scenario
# waits seconds, not hours: refusals, a run on time with its status,
# catch-up of a missed run, a run skipped because the lock is held, SIGHUP
# reload (bad config kept out, good config used), SIGTERM in the middle of
# a sync (exit 0 within 2 s, run recorded interrupted, a manual sync
# meanwhile refused with exit 3), a second daemon refused, a stale pid.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sync_lib.sh"

export TZ=UTC
export AGENT_MEMORY_NOTION_SYNC_SCHEDULE="0 5 * * *"
DPID=""

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# daemon_start NAME [VAR=VALUE...]: `nvault daemon` in the background, logs in $T/NAME.log.
daemon_start() {
  local name=$1; shift
  env "$@" "$NVAULT" daemon >"$T/$name.out" 2>"$T/$name.log" &
  DPID=$!
}

# wait_log NAME PATTERN: waits until the daemon's log matches. The 180 s guard
# only stops a hung test; nothing here asserts on how long an event takes.
wait_log() {
  local deadline=$(( $(now_ms) + 180 * 1000 ))
  until grep -qs -- "$2" "$T/$1.log"; do
    if [ "$(now_ms)" -gt "$deadline" ]; then
      echo "timed out waiting for '$2' in $1.log:" >&2; cat "$T/$1.log" >&2
      return 1
    fi
    sleep 0.05
  done
}

# daemon_stop [SIGNAL]: signals the daemon and waits; sets DRC (exit code) and STOP_MS.
daemon_stop() {
  local t0; t0=$(now_ms)
  kill -"${1:-TERM}" "$DPID"
  wait "$DPID" 2>/dev/null; DRC=$?
  STOP_MS=$(( $(now_ms) - t0 ))
  DPID=""
}

on_exit() {
  [ -n "$DPID" ] && kill -KILL "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
  [ -n "${HOLDER:-}" ] && kill "$HOLDER" 2>/dev/null && wait "$HOLDER" 2>/dev/null
  cleanup
}
trap on_exit EXIT

# status EXPR: evaluates a python expression over `nvault status --json` (d).
status() { jget "$(nv status --json)" "$1"; }
sched_evidence() { sq "select count(*) from evidence where trigger = 'schedule'"; }

fake_start --rows 300 --seed 11
default_config

# ---- refusals ------------------------------------------------------------------------
AGENT_MEMORY_NOTION_SYNC_SCHEDULE="61 * * * *" nv daemon >/dev/null 2>"$T/bad.err"
check_eq "invalid schedule: exit 2" 2 $?
check "invalid schedule: names the variable, field and reason" \
  grep -q "AGENT_MEMORY_NOTION_SYNC_SCHEDULE: invalid cron expression '61 \* \* \* \*': minute: 61 is out of range (0-59)" "$T/bad.err"
nv daemon --config "$T/missing.json" >/dev/null 2>"$T/bad.err"
check_eq "missing config: exit 2" 2 $?
check "missing config: names the file" grep -q "missing.json" "$T/bad.err"
NOTION_API_KEY= nv daemon >/dev/null 2>"$T/bad.err"
check_eq "no token: exit 2" 2 $?
check "no token: says NOTION_API_KEY" grep -q "NOTION_API_KEY is not set" "$T/bad.err"
AGENT_MEMORY_NOTION_SYNC_ENABLED=true AGENT_MEMORY_NOTION_SYNC_SCHEDULE= nv daemon >/dev/null 2>"$T/bad.err"
check_eq "enabled with an empty schedule: exit 2" 2 $?
check "enabled with an empty schedule: says so" grep -q "AGENT_MEMORY_NOTION_SYNC_SCHEDULE is empty" "$T/bad.err"
AGENT_MEMORY_NOTION_SYNC_ENABLED=maybe nv daemon >/dev/null 2>"$T/bad.err"
check_eq "enabled=maybe: exit 2" 2 $?
check "enabled=maybe: names the variable" grep -q "AGENT_MEMORY_NOTION_SYNC_ENABLED=maybe is not a boolean" "$T/bad.err"
AGENT_MEMORY_NOTION_SYNC_ENABLED=false nv daemon --json >"$T/off.out" 2>"$T/off.err"
check_eq "disabled: exit 0" 0 $?
check "disabled: says so" grep -q "scheduled sync is disabled" "$T/off.err"
check_eq "disabled: --json status" disabled "$(jget "$(cat "$T/off.out")" 'd["status"]')"
check_eq "disabled: recorded for status" "False False" "$(status 'd["enabled"], d["running"]' | tr -d '(),')"
check_eq "no sync ran yet" 0 "$(evidences)"

# ---- runs on time, records status ------------------------------------------------------
daemon_start ontime NVAULT_TEST_NOW=2026-03-10T04:59:45Z
wait_log ontime "next run at 2026-03-10T05:00:00+0000"
check_eq "first start: no catch-up (nothing was missed)" 0 "$(grep -c 'catching up' "$T/ontime.log")"
check_eq "status while waiting: running, next run" "True 2026-03-10T05:00:00.000Z None" \
  "$(status '"%s %s %s" % (d["running"], d["nextRun"], d["lastRun"])')"
check "text status says running with the pid" sh -c "'$NVAULT' status | grep -q 'daemon: *running (pid $DPID)'"
wait_log ontime "scheduled sync succeeded"
check_eq "one scheduled run" 1 "$(sched_evidence)"
check_eq "300 tasks backed up" 300 "$(sq 'select count(*) from tasks where active = 1')"
check_eq "status after the run" "True True None 2026-03-11T05:00:00.000Z" \
  "$(status '"%s %s %s %s" % (d["running"], d["lastRunSuccess"], d["lastRunError"], d["nextRun"])')"
# The daemon's clock starts 15 s before the schedule and runs in real time: the
# run must start at 05:00 (never before) on that clock, however slow the machine.
check "last run recorded at the scheduled time, not before" \
  test "$(status 'd["lastRun"] >= "2026-03-10T05:00:00" and d["lastRun"] < "2026-03-10T05:05:00"')" = True
check_eq "status lists the data source with its last sync" "$DS_ID success schedule" \
  "$(status '"%s %s %s" % (d["dataSources"][0]["dataSourceId"], d["dataSources"][0]["lastSync"]["status"], d["dataSources"][0]["lastSync"]["trigger"])')"
FIRST=$DPID
daemon_start second NVAULT_TEST_NOW=2026-03-10T06:00:00Z
wait "$DPID"; rc=$?
DPID=$FIRST
check_eq "a second daemon on the same store: exit 3" 3 "$rc"
check "a second daemon says who runs" grep -q "another nvault daemon (pid $DPID) is already running" "$T/second.log"
daemon_stop TERM
check_eq "idle daemon: SIGTERM exits 0" 0 "$DRC"
echo "# idle daemon stopped in $STOP_MS ms"
check_eq "stopped: not running, no next run" "False None" "$(status '"%s %s" % (d["running"], d["nextRun"])')"

# ---- catch-up of a missed run ------------------------------------------------------------
# The daemon was down over 2026-03-11 05:00 and 2026-03-12 05:00: one run at start-up.
ctl PATCH "/_control/pages/$(page_ids | sed -n 1p)" '{"set": {"Name": "Edited while the daemon was down"}}' >/dev/null
daemon_start catchup NVAULT_TEST_NOW=2026-03-12T09:00:00Z
wait_log catchup "the run scheduled for 2026-03-12T05:00:00+0000 was missed"
wait_log catchup "next run at 2026-03-13T05:00:00+0000"
check_eq "catch-up ran once" 2 "$(sched_evidence)"
check_eq "catch-up picked up the edit" 1 "$(sq "select count(*) from tasks where title = 'Edited while the daemon was down'")"
check_eq "catch-up recorded as the last run" "True 2026-03-12T09:00" \
  "$(status '"%s %s" % (d["lastRunSuccess"], d["lastRun"][:16])')"
daemon_stop TERM
check_eq "catch-up daemon: exit 0" 0 "$DRC"

# ---- SIGHUP: an invalid config is refused and the old one kept; a valid one is used -----------
# Restarted 15 s before 2026-03-13 05:00; the caught-up run means nothing is missed now.
daemon_start reload NVAULT_TEST_NOW=2026-03-13T04:59:45Z
wait_log reload "next run at 2026-03-13T05:00:00+0000"
check_eq "restart after a caught-up run: no second catch-up" 0 "$(grep -c 'catching up' "$T/reload.log")"
echo '{"databases": [' >"$AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH"
kill -HUP "$DPID"
wait_log reload "reload failed, keeping the previous configuration"
check "still running after a bad reload" kill -0 "$DPID"
default_config
sed -i 's/"proj-eng"/"proj-reloaded"/' "$AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH"
kill -HUP "$DPID"
wait_log reload "configuration reloaded: 1 database(s), 1 enabled for sync"
check_eq "reloaded before the scheduled run" 0 "$(grep -c 'starting the sync' "$T/reload.log")"
wait_log reload "scheduled sync succeeded"
daemon_stop TERM
check_eq "the run after SIGHUP used the reloaded config" "proj-reloaded" \
  "$(sq "select scope from evidence where trigger = 'schedule' order by seq desc limit 1")"

# ---- a run that finds the lock held is skipped and recorded ----------------------------------
flock "$NVAULT_DB.lock" sleep 30 &
HOLDER=$!
sleep 0.2
before=$(evidences)
daemon_start locked NVAULT_TEST_NOW=2026-03-14T04:59:58Z
wait_log locked "scheduled sync skipped"
wait_log locked "next run at 2026-03-15T05:00:00+0000"
check_eq "skipped run: no evidence written" "$before" "$(evidences)"
check "skipped run recorded" test "$(status 'd["lastRunSuccess"] is False and d["lastRunError"].startswith("skipped: a sync is already running")')" = True
check "the daemon keeps running after a skip" kill -0 "$DPID"
daemon_stop TERM
kill "$HOLDER"; wait "$HOLDER" 2>/dev/null; HOLDER=""

# ---- SIGTERM in the middle of a sync ---------------------------------------------------------
# A fresh store; the second query page stalls in the fake until the test releases it, so the
# run is mid-sync for as long as the checks below take.
export NVAULT_DB="$T/interrupt.db"
ctl POST /_control/faults "{\"count\": 1, \"after\": 1, \"kind\": \"stall\", \"stall_ms\": 600000, \"match\": \"/v1/data_sources/$DS_ID/query\"}" >/dev/null
daemon_start interrupt NVAULT_TEST_NOW=2026-03-15T04:59:59Z
wait_log interrupt "starting the sync scheduled for"
until [ "$(sq 'select count(*) from tasks' 2>/dev/null || echo 0)" -gt 0 ]; do sleep 0.05; done
check "mid-sync: some rows committed" test "$(sq 'select count(*) from tasks')" -gt 0
nv sync >/dev/null 2>"$T/manual.err"
check_eq "a manual sync during the scheduled one: exit 3" 3 $?
daemon_stop TERM
ctl DELETE /_control/faults >/dev/null
check_eq "SIGTERM mid-sync: exit 0" 0 "$DRC"
echo "# mid-sync daemon stopped in $STOP_MS ms (not all rows synced: checked below)"
check "not all rows were synced" test "$(sq 'select count(*) from tasks')" -lt 300
check_eq "the run is recorded interrupted in the evidence" "interrupted schedule" \
  "$(sq "select status || ' ' || trigger from evidence order by seq desc limit 1")"
check "status: last run interrupted, not running" \
  test "$(status 'd["running"] is False and d["lastRunSuccess"] is False and d["lastRunError"].startswith("interrupted")')" = True

# ---- a daemon killed without cleanup shows as not running; the next one takes over ---------------
daemon_start killed NVAULT_TEST_NOW=2026-03-16T12:00:00Z
wait_log killed "next run at"
daemon_stop KILL
check_eq "killed daemon: status shows not running" False "$(status 'd["running"]')"
daemon_start takeover NVAULT_TEST_NOW=2026-03-16T12:00:30Z
wait_log takeover "did not stop cleanly; taking over"
daemon_stop TERM
check_eq "takeover daemon: exit 0" 0 "$DRC"

# ---- the token never shows ------------------------------------------------------------------------
check "no log or output contains the token" sh -c "! grep -rq '$NOTION_API_KEY' '$T'/*.log '$T'/*.out '$T'/*.err"
finish
