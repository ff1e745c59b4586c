# test_daemon_store.sh: issue 15 #4 and #8, the real daemon on a fast
# injected clock. The store removed under a running daemon: the next runs
# are skipped with a clear error and no file is created; a backup restored
# with mv while the daemon runs: the next run works on the restored file,
# which verifies. A clock stepped two days back re-plans, so the runs of the
# repeated days are not skipped.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sync_lib.sh"

export TZ=UTC
# the daemon helpers (daemon_start, wait_log, daemon_stop) are in lib.sh

fake_start --rows 40 --seed 7
default_config
check_eq "a first manual sync" 0 "$(sync_rc)"

# ---- #4: store removed, then a backup restored, under a running daemon -------------------
# every minute on a 30x clock: a run every 2 real seconds
export AGENT_MEMORY_NOTION_SYNC_SCHEDULE="* * * * *"
sqlite3 "$NVAULT_DB" ".backup '$T/backup.db'"
daemon_start store NVAULT_TEST_NOW=2026-03-12T04:59:58Z NVAULT_TEST_TIME_SCALE=30
check "a scheduled run succeeds" wait_log store "scheduled sync succeeded"
mv "$NVAULT_DB" "$T/moved-away.db"
rm -f "$NVAULT_DB-wal" "$NVAULT_DB-shm"
check "the tick notices the store is gone" wait_log store "is gone (removed or moved away under the daemon)"
check "the next run is skipped, naming the store" wait_log store "scheduled sync skipped: the store $NVAULT_DB is gone"
check "no store was created at the path" test ! -e "$NVAULT_DB"
check "the daemon keeps running" kill -0 "$DPID"
S=$(log_count store "scheduled sync succeeded")
cp "$T/backup.db" "$T/restore.tmp" && mv "$T/restore.tmp" "$NVAULT_DB"
check "a run on the restored backup succeeds" wait_log store "scheduled sync succeeded" $((S + 1))
# the reported case: a backup moved straight over the live store, -wal and all
sqlite3 "$NVAULT_DB" ".backup '$T/backup2.db'"
S=$(log_count store "scheduled sync succeeded")
mv "$T/backup2.db" "$NVAULT_DB"
check "the replacement is noticed" wait_log store "was replaced under the daemon"
check "the next run on the replaced file succeeds" wait_log store "scheduled sync succeeded" $((S + 1))
check_eq "no run failed on a malformed store" 0 "$(grep -c "malformed" "$T/store.log")"
daemon_stop
check_eq "the daemon exits 0" 0 "$DRC"
rc=0; nv verify >"$T/verify.out" 2>&1 || rc=$?
check_eq "the restored store verifies" 0 "$rc"
check_eq "it holds the 40 tasks" 40 "$(sq 'select count(*) from tasks where active = 1')"
check_eq "sqlite integrity" ok "$(sq 'pragma integrity_check')"
check "the run on the restored file is in its evidence" \
  test "$(sq "select count(*) from evidence where trigger = 'schedule'")" -ge 1

# ---- #8: the clock steps two days back after the next run was planned --------------------
# 05:00 daily on a 120x clock (2 min = 1 s); at 04:56:00 on 03-12 the plan is
# 03-12 05:00; 0.5 s later the clock says 03-10 04:57 and the next run due is
# 03-10 05:00, 1.5 s away (the loop wakes at least once a second).
export AGENT_MEMORY_NOTION_SYNC_SCHEDULE="0 5 * * *"
daemon_start step NVAULT_TEST_NOW=2026-03-12T04:56:00Z NVAULT_TEST_TIME_SCALE=120 \
  NVAULT_TEST_CLOCK_STEP=500:-172800000
check "planned for 03-12 05:00 first" wait_log step "next run at 2026-03-12T05:00:00+0000"
check "the step back is noticed" wait_log step "the clock went back by 172"
check "re-planned for 03-10 05:00" wait_log step "next run at 2026-03-10T05:00:00+0000"
check "the 03-10 05:00 run happens" wait_log step "starting the sync scheduled for 2026-03-10T05:00:00+0000"
daemon_stop
finish
