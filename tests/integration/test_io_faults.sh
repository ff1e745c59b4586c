# test_io_faults.sh: issue 15's I/O fault injection. An LD_PRELOAD shim
# (tests/faultinj/iofail.c, built as nv_iofail.so) fails the Nth write or
# fsync of the store's files during a small sync with edits, a trashed row
# and a new row; N runs over the sync's I/O (every one up to 40 of them,
# else 40 spread over all). After each fault: the sync fails cleanly (no
# crash), the store verifies, and the next run converges on the same store
# as an uninterrupted run.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sync_lib.sh"

SHIM="${NV_BUILD_DIR:?NV_BUILD_DIR must point to the build directory}/nv_iofail.so"
[ -f "$SHIM" ] || { echo "the fault shim $SHIM was not built" >&2; exit 1; }
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

fake_start --rows 20 --seed 17
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
fresh() { rm -f "$NVAULT_DB" "$NVAULT_DB-wal" "$NVAULT_DB-shm" "$NVAULT_DB.lock"; cp "$BASE" "$NVAULT_DB"; }

fresh
check_eq "a clean sync of the changes" 0 "$(sync_rc)"
EXPECT=$(dump "$NVAULT_DB")
fresh
NV_IOFAIL_MATCH="$NVAULT_DB" NV_IOFAIL_COUNT_FILE="$T/count" LD_PRELOAD="$SHIM" nv sync >/dev/null 2>&1
TOTAL=$(cat "$T/count")
check "the shim counts the sync's writes and fsyncs ($TOTAL)" test "$TOTAL" -gt 10
STEP=$(( TOTAL > 40 ? (TOTAL + 39) / 40 : 1 ))

injected=0; crashed=0; unverified=0; diverged=0; failed_clean=0
for ((n = 1; n <= TOTAL; n += STEP)); do
  fresh
  rc=0; NV_IOFAIL_MATCH="$NVAULT_DB" NV_IOFAIL_AT=$n LD_PRELOAD="$SHIM" nv sync >"$T/f.out" 2>"$T/f.err" || rc=$?
  injected=$((injected + 1))
  [ "$rc" -ge 128 ] && { crashed=$((crashed + 1)); echo "I/O $n: exit $rc" >&2; cat "$T/f.err" >&2; }
  nv verify >/dev/null 2>"$T/v.err" || { unverified=$((unverified + 1)); echo "I/O $n: verify failed: $(head -c 300 "$T/v.err")" >&2; }
  rc=0; nv sync >/dev/null 2>"$T/c.err" || rc=$?
  [ "$rc" -eq 0 ] || { failed_clean=$((failed_clean + 1)); echo "I/O $n: the next run exits $rc: $(head -c 300 "$T/c.err")" >&2; }
  [ "$(dump "$NVAULT_DB")" == "$EXPECT" ] || { diverged=$((diverged + 1)); echo "I/O $n: the store differs from a clean run's" >&2; }
done
echo "# $injected faults injected over $TOTAL writes/fsyncs (every ${STEP})"
check_eq "no crash ($injected faults)" 0 "$crashed"
check_eq "the store verifies after every fault" 0 "$unverified"
check_eq "the next run succeeds after every fault" 0 "$failed_clean"
check_eq "and converges on the clean run's store" 0 "$diverged"
finish
