# test_crash_unsynced.sh: issue 15's crash test. An LD_PRELOAD shim
# (tests/faultinj/crashfs.c, built as nv_crashfs.so) cuts the power at the
# Nth write/truncate/fsync of the store's files during a small sync with
# edits, a trashed row and a new row: every write not yet fsynced is
# dropped (each file goes back to its last synced contents) and the process
# dies with SIGKILL. N runs over the sync's I/O: NV_CRASH_POINTS of them
# spread over all (default 12; `make torture` runs every one). After each
# crash the store opens and verifies, and the next run succeeds and ends
# with the same tasks, versions and content as an uninterrupted run.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sync_lib.sh"

SHIM="${NV_CRASHFS:-${NV_BUILD_DIR:?NV_BUILD_DIR must point to the build directory}/nv_crashfs.so}"
[ -f "$SHIM" ] || { echo "the crash shim $SHIM was not built" >&2; exit 1; }
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

fake_start --rows 20 --seed 23
default_config
BASE=$T/base.db
check_eq "base sync" 0 "$(NVAULT_DB=$BASE sync_rc)"
mapfile -t IDS < <(page_ids)
ctl PATCH "/_control/pages/${IDS[1]}" '{"set": {"Name": "Edited one"}}' >/dev/null
ctl PATCH "/_control/pages/${IDS[2]}" '{"set": {"Status": "Done"}}' >/dev/null
ctl POST "/_control/pages/${IDS[3]}/trash" >/dev/null
ctl POST /_control/pages "{\"data_source_id\": \"$DS_ID\", \"set\": {\"Name\": \"Brand new\"}}" >/dev/null

dump() {
  sqlite3 -batch -noheader "$1" "select t.notion_page_id, t.active, t.version, v.content_hash
    from tasks t join task_versions v on v.id = t.current_version_id order by t.notion_page_id"
}
fresh() {
  rm -rf "$NVAULT_DB" "$NVAULT_DB-wal" "$NVAULT_DB-shm" "$NVAULT_DB.lock" "$T/images"
  cp "$BASE" "$NVAULT_DB"; mkdir "$T/images"
}
crash_sync() {
  NV_CRASH_MATCH="$NVAULT_DB" NV_CRASH_DIR="$T/images" NV_CRASH_AT=$1 \
    NV_CRASH_COUNT_FILE="$T/count" LD_PRELOAD="$SHIM" "$NVAULT" sync >"$T/c.out" 2>"$T/c.err"
}

fresh
check_eq "a clean sync of the changes" 0 "$(sync_rc)"
EXPECT=$(dump "$NVAULT_DB")
fresh
rc=0; (crash_sync 0) 2>/dev/null || rc=$?
check_eq "the sync runs under the shim without a crash point" 0 "$rc"
check_eq "and ends as a clean run does" "$EXPECT" "$(dump "$NVAULT_DB")"
TOTAL=$(cat "$T/count")
check "the shim counts the sync's writes, truncates and fsyncs ($TOTAL)" test "$TOTAL" -gt 10
POINTS=${NV_CRASH_POINTS:-12}
[ "$POINTS" = all ] && POINTS=$TOTAL
STEP=$(( TOTAL > POINTS ? (TOTAL + POINTS - 1) / POINTS : 1 ))

crashes=0; not_killed=0; unverified=0; failed_next=0; diverged=0; lost=0
for ((n = 1; n <= TOTAL; n += STEP)); do
  fresh
  rc=0; (crash_sync $n) 2>/dev/null || rc=$?
  crashes=$((crashes + 1))
  [ "$rc" -eq 137 ] || { not_killed=$((not_killed + 1)); echo "crash point $n: exit $rc, not killed" >&2; }
  # what survived the crash is a store nvault opens and verifies
  nv verify >/dev/null 2>"$T/v.err" || { unverified=$((unverified + 1)); echo "crash point $n: verify failed: $(head -c 300 "$T/v.err")" >&2; }
  [ "$(sq 'select count(*) from tasks')" -ge 20 ] || { lost=$((lost + 1)); echo "crash point $n: tasks lost" >&2; }
  rc=0; nv sync >/dev/null 2>"$T/n.err" || rc=$?
  [ "$rc" -eq 0 ] || { failed_next=$((failed_next + 1)); echo "crash point $n: the next run exits $rc: $(head -c 300 "$T/n.err")" >&2; }
  [ "$(dump "$NVAULT_DB")" == "$EXPECT" ] || { diverged=$((diverged + 1)); echo "crash point $n: the store differs from a clean run's" >&2; }
done
echo "# $crashes power cuts over $TOTAL I/Os (every ${STEP})"
check_eq "every crash point killed the sync ($crashes)" 0 "$not_killed"
check_eq "the store opens and verifies after every crash" 0 "$unverified"
check_eq "no task synced before the crash is lost" 0 "$lost"
check_eq "the next run succeeds after every crash" 0 "$failed_next"
check_eq "and converges on the clean run's store" 0 "$diverged"
check_eq "the last one verifies after converging" 0 "$(nv verify >/dev/null 2>&1; echo $?)"
finish
