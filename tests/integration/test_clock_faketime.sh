# test_clock_faketime.sh: issue 15, wall-clock steps both ways with the real
# process clock moved by libfaketime (Debian package faketime), not the
# daemon's injected test clock: CLOCK_REALTIME of the nvault process jumps
# when the test rewrites $FAKETIME_TIMESTAMP_FILE (re-read at every call),
# while CLOCK_MONOTONIC stays real.
#  - A sync during which the clock jumps three days back, then one during
#    which it jumps ten days forward: each succeeds, takes every edit, deletes
#    nothing, and the store verifies; the edits made while the clock is wrong
#    arrive too (the watermark follows Notion's times, not the local clock).
#  - The daemon (schedule 0 5 * * *) across steps: a run at 03-12 05:00; the
#    clock two days back re-plans for 03-11 05:00, which then runs; a step
#    three days forward makes up the missed runs with one run, not three,
#    and plans the next day.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sync_lib.sh"

LIBFAKETIME=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -1)
[ -n "$LIBFAKETIME" ] || { echo "libfaketime is needed (Debian package faketime; make deps installs it)" >&2; exit 1; }
export TZ=UTC
CLOCK=$T/faketime
# set_clock OFFSET: the nvault processes' clock is now the real one plus OFFSET
# (libfaketime syntax: +3d, -72h, +5400 seconds)
set_clock() { echo "$1" >"$CLOCK.tmp" && mv "$CLOCK.tmp" "$CLOCK"; }
# offset_to ISO-TIME: the offset in seconds that puts the clock at that time now
offset_to() { echo "$(( $(date -u -d "$1" +%s) - $(date -u +%s) ))"; }
faked() {
  LD_PRELOAD="$LIBFAKETIME" FAKETIME_TIMESTAMP_FILE="$CLOCK" FAKETIME_NO_CACHE=1 \
    FAKETIME_DONT_FAKE_MONOTONIC=1 "$@"
}
set_clock "+0"
check "libfaketime moves the clock of a process" \
  test "$(set_clock "-3d"; faked date -u +%F)" = "$(date -u -d '-3 days' +%F)"
set_clock "+0"

fake_start --rows 60 --seed 31
default_config
check_eq "a first sync on the real clock" 0 "$(sync_rc)"
mapfile -t IDS < <(page_ids)

# waits (no deadline: ctest's timeout ends a hung test) until the fake has
# been asked for the data source's rows $1 times
wait_queries() {
  until [ "$(ctl GET /_control/log | grep -o "/v1/data_sources/$DS_ID/query" | wc -l)" -ge "$1" ]; do
    sleep 0.05
  done
}
# sync_across_step OFFSET-BEFORE OFFSET-AFTER: a sync that starts at the first
# offset; while its first query stalls, the clock jumps to the second
sync_across_step() {
  set_clock "$1"
  ctl DELETE /_control/log >/dev/null
  ctl POST /_control/faults "{\"count\": 1, \"kind\": \"stall\", \"stall_ms\": 2000, \"match\": \"/v1/data_sources/$DS_ID/query\"}" >/dev/null
  faked "$NVAULT" sync >"$T/step.out" 2>"$T/step.err" &
  local bg=$!
  wait_queries 1
  set_clock "$2"
  wait $bg
}

for step in "+0 -3d" "-3d +10d"; do
  set -- $step
  ctl PATCH "/_control/pages/${IDS[1]}" "{\"set\": {\"Name\": \"Edited before the step $1 to $2\"}}" >/dev/null
  ctl POST /_control/pages "{\"data_source_id\": \"$DS_ID\", \"set\": {\"Name\": \"New before the step $1 to $2\"}}" >/dev/null
  sync_across_step "$1" "$2"
  check_eq "[$1 -> $2] the sync across the step succeeds" 0 $?
  check_eq "[$1 -> $2] the edit arrived" "Edited before the step $1 to $2" "$(sq "select title from tasks where notion_page_id = '${IDS[1]}'")"
  check_eq "[$1 -> $2] the new row arrived" 1 "$(sq "select count(*) from tasks where title = 'New before the step $1 to $2'")"
  check_eq "[$1 -> $2] nothing deleted" 0 "$(sq 'select count(*) from tasks where active = 0')"
  # an edit while the clock is still wrong, synced on that clock
  ctl PATCH "/_control/pages/${IDS[2]}" "{\"set\": {\"Name\": \"Edited at clock $2\"}}" >/dev/null
  rc=0; faked "$NVAULT" sync >/dev/null 2>"$T/wrong.err" || rc=$?
  check_eq "[$1 -> $2] a sync on the wrong clock succeeds" 0 "$rc"
  check_eq "[$1 -> $2] and takes the edit made meanwhile" "Edited at clock $2" "$(sq "select title from tasks where notion_page_id = '${IDS[2]}'")"
  check_eq "[$1 -> $2] the store verifies" 0 "$(nv verify >/dev/null 2>&1; echo $?)"
done
set_clock "+0"
ctl PATCH "/_control/pages/${IDS[3]}" '{"set": {"Name": "Edited back on the real clock"}}' >/dev/null
check_eq "back on the real clock: the sync succeeds" 0 "$(SYNC_ONCE=1 sync_rc)"
check_eq "and takes the edit" "Edited back on the real clock" "$(sq "select title from tasks where notion_page_id = '${IDS[3]}'")"
check_eq "62 active tasks (60 and two new), none deleted" "62 0" "$(sq 'select count(*) from tasks where active = 1; select count(*) from tasks where active = 0' | tr '\n' ' ' | sed 's/ $//')"
check_eq "status reads the evidence of every run" 0 "$(nv status >/dev/null 2>&1; echo $?)"

# ---- the daemon across real clock steps -------------------------------------------------
export AGENT_MEMORY_NOTION_SYNC_SCHEDULE="0 5 * * *"
DPID=""
trap '[ -n "$DPID" ] && kill -KILL "$DPID" 2>/dev/null; cleanup' EXIT
# wait_log N PATTERN: until PATTERN occurs N times in the daemon's log (or it died)
wait_log() {
  until [ "$(grep -c -- "$2" "$T/daemon.log")" -ge "$1" ]; do
    kill -0 "$DPID" 2>/dev/null || { echo "the daemon died:" >&2; tail -20 "$T/daemon.log" >&2; return 1; }
    sleep 0.05
  done
}
set_clock "$(offset_to 2026-03-12T04:59:57Z)"
# not through faked(): $! must be the daemon itself, not a subshell
LD_PRELOAD="$LIBFAKETIME" FAKETIME_TIMESTAMP_FILE="$CLOCK" FAKETIME_NO_CACHE=1 \
  FAKETIME_DONT_FAKE_MONOTONIC=1 "$NVAULT" daemon >"$T/daemon.out" 2>"$T/daemon.log" &
DPID=$!
check "planned for 03-12 05:00" wait_log 1 "next run at 2026-03-12T05:00:00"
check "the 03-12 05:00 run succeeds" wait_log 1 "scheduled sync succeeded"
check "then planned for 03-13 05:00" wait_log 1 "next run at 2026-03-13T05:00:00"
set_clock "$(offset_to 2026-03-11T04:59:50Z)"
check "the step two days back is noticed" wait_log 1 "the clock went back by"
check "re-planned for 03-11 05:00" wait_log 1 "next run at 2026-03-11T05:00:00"
set_clock "$(offset_to 2026-03-11T04:59:57Z)"
check "the 03-11 05:00 run happens" wait_log 1 "starting the sync scheduled for 2026-03-11T05:00:00"
check "and succeeds" wait_log 2 "scheduled sync succeeded"
check "then planned for 03-12 05:00 again" wait_log 2 "next run at 2026-03-12T05:00:00"
set_clock "$(offset_to 2026-03-15T05:00:30Z)"
check "a step three days forward: the next planning is for 03-16 05:00" wait_log 1 "next run at 2026-03-16T05:00:00"
check_eq "the missed days are made up by one run, not three" 3 "$(grep -c "starting the sync scheduled" "$T/daemon.log")"
check_eq "every run succeeded" 3 "$(grep -c "scheduled sync succeeded" "$T/daemon.log")"
kill -TERM "$DPID"; wait "$DPID"; DRC=$?; DPID=""
check_eq "the daemon stops on SIGTERM (exit 0)" 0 "$DRC"
check_eq "the store verifies" 0 "$(nv verify >/dev/null 2>&1; echo $?)"
finish
