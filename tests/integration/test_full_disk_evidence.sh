# test_full_disk_evidence.sh: issue 15 #10. A sync failing on a full disk
# (RLIMIT_FSIZE, SIGXFSZ ignored: writes fail with EFBIG as on a full file
# system; or the fault shim failing every write of the WAL with ENOSPC)
# cannot write its evidence either; the next run records it as
# failed, with the reason, not as "interrupted (the process was killed)";
# with two databases in the run, both are recorded so (the note naming the
# run is kept until the last database that run left behind is recorded).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sync_lib.sh"

fake_start --rows 1000 --seed 4
default_config
check_eq "first sync" 0 "$(sync_rc)"
E=$(evidences)
P=$(page_ids | sed -n 7p)
ctl PATCH "/_control/pages/$P" '{"set": {"Name": "Edited before the disk filled"}}' >/dev/null
limited_sync() { ( trap '' XFSZ; ulimit -f 64; nv sync "$@" >"$T/sync.out" 2>"$T/sync.err"; echo $? ); }
check_eq "a full pass on the full disk fails" 1 "$(limited_sync --full)"
check "it says the evidence could not be written" grep -q "writing the evidence record failed" "$T/sync.err"
check_eq "(so no evidence record now)" "$E" "$(evidences)"
check "the lock file keeps the reason" grep -q "disk I/O error\|File too large\|disk is full" "$NVAULT_DB.lock"
check_eq "the next run without the limit succeeds" 0 "$(sync_rc)"
check_eq "the failed run is recorded as failed, by the next run" 1 \
  "$(sq "select count(*) from evidence where status = 'failed' and json_extract(metadata, '$.detectedLater')")"
check "with its reason" test "$(sq "select count(*) from evidence where status = 'failed' and json_extract(metadata, '$.errors') like '%could not record its evidence%'")" = 1
check_eq "and not as killed" 0 "$(sq "select count(*) from evidence where metadata like '%process was killed%'")"
check_eq "the edit arrived" "Edited before the disk filled" "$(sq "select title from tasks where notion_page_id = '$P'")"
check_eq "the lock file's note is cleared" 0 "$(stat -c %s "$NVAULT_DB.lock")"
check_eq "the store verifies" 0 "$(nv verify >/dev/null 2>&1; echo $?)"

# ---- two databases in the failed run ----------------------------------------------------
kill "$FAKE_PID" 2>/dev/null; wait "$FAKE_PID" 2>/dev/null
A=aaaaaaaa-0000-4000-8000-00000000000a; A_DS=aaaaaaaa-0000-4000-8000-0000000000d1
B=bbbbbbbb-0000-4000-8000-00000000000b; B_DS=bbbbbbbb-0000-4000-8000-0000000000d1
cat >"$T/fixture.json" <<JSON
{"databases": [
  {"id": "$A", "title": "Alpha", "data_sources": [{"id": "$A_DS", "name": "Alpha", "generate": {"rows": 600, "seed": 1}}]},
  {"id": "$B", "title": "Beta", "data_sources": [{"id": "$B_DS", "name": "Beta", "generate": {"rows": 600, "seed": 2}}]}
]}
JSON
fake_start --fixture "$T/fixture.json"
write_config 2025-09-03 "$A" "$B"
export NVAULT_DB="$T/two.db"
check_eq "two databases: first sync" 0 "$(sync_rc)"
for ds in $A_DS $B_DS; do
  ctl PATCH "/_control/pages/$(page_ids $ds | sed -n 3p)" '{"set": {"Name": "Edited before the disk filled"}}' >/dev/null
done
# Both databases must have started (their run marks committed) and then
# failed to write their evidence: a disk with room for B bytes of the WAL
# (a rolled-back transaction frees its tail again), for the first B that
# does this, on a fresh copy of the store each time.
SHIM="${NV_BUILD_DIR:?NV_BUILD_DIR must point to the build directory}/nv_iofail.so"
[ -f "$SHIM" ] || { echo "the fault shim $SHIM was not built" >&2; exit 1; }
cp "$NVAULT_DB" "$T/two.base"
found=""
for ((kb = 8; kb <= 256 && !found; kb += 4)); do
  rm -f "$NVAULT_DB" "$NVAULT_DB-wal" "$NVAULT_DB-shm"; cp "$T/two.base" "$NVAULT_DB"; : >"$NVAULT_DB.lock"
  NV_IOFAIL_MATCH="$NVAULT_DB-wal" NV_IOFAIL_MAX_BYTES=$((kb * 1024)) LD_PRELOAD="$SHIM" \
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
    nv sync --full >"$T/sync.out" 2>"$T/sync.err"
  [ "$(grep -c "writing the evidence record failed" "$T/sync.err")" = 2 ] && found=$kb
done
echo "# both evidence writes fail with ${found:-no} KiB for the WAL"
check "a full disk where both databases ran and neither could write its evidence" test -n "$found"
check_eq "two databases: the next run succeeds" 0 "$(sync_rc)"
check_eq "both databases' failed run is recorded as failed, with its reason" 2 \
  "$(sq "select count(*) from evidence where status = 'failed' and json_extract(metadata, '$.errors') like '%could not record its evidence%'")"
check_eq "neither as killed" 0 "$(sq "select count(*) from evidence where metadata like '%process was killed%'")"
check_eq "both edits arrived" 2 "$(sq "select count(*) from tasks where title = 'Edited before the disk filled'")"
check_eq "the lock file's note is cleared once both are recorded" 0 "$(stat -c %s "$NVAULT_DB.lock")"
finish
