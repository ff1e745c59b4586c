# test_crash.sh: kill -9 the sync at random moments, re-run, and compare the
# store with one made by uninterrupted runs over the same Notion states: same
# tasks, same current content, same version counts, no duplicate versions,
# and `nvault verify` passes. NV_TORTURE_ITERATIONS kills (default 20), half
# during the first sync, half during a sync with edits, trash, purges and
# new rows (so kills land in the scan, the pass and the deletions).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sync_lib.sh"

N=${NV_TORTURE_ITERATIONS:-20}
fake_start --rows 1500 --seed 21
default_config
CRASH=$NVAULT_DB
CLEAN=$T/clean.db

# the clean store; its duration sets the range of the kill times
t0=$(date +%s%N)
check_eq "clean first sync" 0 "$(NVAULT_DB=$CLEAN sync_rc)"
DUR_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "# a clean first sync takes ${DUR_MS} ms"

# kill_runs COUNT: starts syncs and kills each with SIGKILL at a random moment
kill_runs() {
  local i ms
  for i in $(seq 1 "$1"); do
    ms=$(( RANDOM % (DUR_MS + 50) ))
    "$NVAULT" sync >/dev/null 2>&1 &
    pid=$!
    sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
}

dump() {
  sqlite3 -batch -noheader "$1" "select t.notion_page_id, t.active, t.version, v.content_hash
    from tasks t join task_versions v on v.id = t.current_version_id order by t.notion_page_id"
}
dupes() {
  sqlite3 -batch -noheader "$1" "select count(*) from task_versions a join task_versions b
    on b.task_id = a.task_id and b.version = a.version + 1 and b.content_hash = a.content_hash"
}
verify() {
  if nv help verify >/dev/null 2>&1; then NVAULT_DB=$1 nv verify >/dev/null 2>&1; echo $?; else echo 0; fi
}

# ---- phase 1: kills during the first sync -------------------------------------------
kill_runs $((N / 2))
check_eq "crash store: the sync after the kills exits 0" 0 "$(sync_rc)"
check_eq "phase 1: same tasks and content as the clean store" "$(dump "$CLEAN")" "$(dump "$CRASH")"

# ---- phase 2: Notion changes, kills during the next sync ---------------------------------
mapfile -t IDS < <(page_ids)
for i in $(seq 0 9); do ctl POST "/_control/pages/${IDS[$i]}/purge" >/dev/null; done
for i in $(seq 10 14); do ctl POST "/_control/pages/${IDS[$i]}/trash" >/dev/null; done
for i in $(seq 100 50 1400); do
  ctl PATCH "/_control/pages/${IDS[$i]}" "{\"set\": {\"Name\": \"edited $i\", \"Estimate\": $i, \"Tags\": [\"crash\"]}}" >/dev/null
done
for i in 1 2 3; do
  ctl POST /_control/pages "{\"data_source_id\": \"$DS_ID\", \"set\": {\"Name\": \"new row $i\"}}" >/dev/null
done
t0=$(date +%s%N)
check_eq "clean store: second sync" 0 "$(NVAULT_DB=$CLEAN sync_rc)"
DUR_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "# a clean second sync takes ${DUR_MS} ms"
kill_runs $((N - N / 2))
check_eq "crash store: the sync after the kills exits 0" 0 "$(sync_rc)"

check_eq "same tasks, current content and version counts" "$(dump "$CLEAN")" "$(dump "$CRASH")"
check_eq "task count" 1503 "$(sq 'select count(*) from tasks')"
check_eq "no duplicate versions (crash store)" 0 "$(dupes "$CRASH")"
check_eq "no duplicate versions (clean store)" 0 "$(dupes "$CLEAN")"
check_eq "no run left in progress" 0 "$(sq 'select count(*) from sync_state where run_id is not null')"
check_eq "nvault verify passes on the crash store" 0 "$(verify "$CRASH")"
echo "# $(sq "select count(*) from evidence where status = 'interrupted'") killed runs were recorded as interrupted"

finish
