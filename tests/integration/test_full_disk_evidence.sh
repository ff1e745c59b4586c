# test_full_disk_evidence.sh: issue 15 #10. A sync failing on a full disk
# (RLIMIT_FSIZE, SIGXFSZ ignored: writes fail with EFBIG as on a full file
# system) cannot write its evidence either; the next run records it as
# failed, with the reason, not as "interrupted (the process was killed)".
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
finish
