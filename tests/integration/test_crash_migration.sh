# test_crash_migration.sh: issue 15, kill -9 during a schema migration. A
# store is turned back into schema 3 (tests/faultinj/old_store.c: every
# version unpacked, the tables of schemas 5 and 6 gone) with more versions
# than one packing batch (2,000), so opening it runs migrations 4, 5 (and
# its resumable packing of the old versions, two batches) and 6, each
# with its user_version bump. The crash shim (tests/faultinj/crashfs.c)
# kills that first open at the Nth write/truncate/fsync of the migration,
# NV_CRASH_POINTS (default 8; `make torture` more) spread over all of them: at odd points as kill -9 does (every write kept), at even points as a
# power cut does (every write not yet fsynced dropped). Then the next run
# finishes the migration and the sync: the store verifies, has the current
# schema and nothing left to pack, and holds the same tasks and versions
# (content hashes) as a migration that was never interrupted.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sync_lib.sh"

SHIM="${NV_CRASHFS:-${NV_BUILD_DIR:?NV_BUILD_DIR must point to the build directory}/nv_crashfs.so}"
OLD_STORE="${NV_OLD_STORE:-$NV_BUILD_DIR/nv-old-store}"
[ -f "$SHIM" ] || { echo "the crash shim $SHIM was not built" >&2; exit 1; }
[ -x "$OLD_STORE" ] || { echo "the helper $OLD_STORE was not built" >&2; exit 1; }
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
POINTS=${NV_CRASH_POINTS:-8}

fake_start --rows 2100 --seed 29
default_config
OLD=$T/old.db
check_eq "base sync of 2,100 rows" 0 "$(SYNC_ONCE=1 NVAULT_DB=$OLD sync_rc)"
"$OLD_STORE" "$OLD" 2>"$T/old.err"
check_eq "the store is back at schema 3" "3 0" \
  "$(sqlite3 "$OLD" "pragma user_version; select count(*) from sqlite_master where name in ('contents', 'pack_progress', 'schema_events')" | tr '\n' ' ' | sed 's/ $//')"
check "its versions are plain text again" \
  test "$(sqlite3 "$OLD" "select count(*) from task_versions where typeof(metadata) = 'text'")" -ge 2100

dump() {
  sqlite3 -batch -noheader "$1" "select t.notion_page_id, t.active, t.version, v.content_hash
    from tasks t join task_versions v on v.id = t.current_version_id order by t.notion_page_id;
    select count(*), group_concat(content_hash || chain_hash) from (select * from task_versions order by seq)"
}
state() { sqlite3 -batch -noheader "$NVAULT_DB" "pragma user_version; select count(*) from pack_progress;
  select count(*) from task_versions where typeof(metadata) = 'text'" | tr '\n' ' ' | sed 's/ $//'; }
fresh() {
  rm -rf "$NVAULT_DB" "$NVAULT_DB-wal" "$NVAULT_DB-shm" "$NVAULT_DB.lock" "$T/images"
  cp "$OLD" "$NVAULT_DB"; mkdir "$T/images"
}
crash_sync() {
  NV_CRASH_MATCH="$NVAULT_DB" NV_CRASH_DIR="$T/images" NV_CRASH_AT=$1 NV_CRASH_KEEP=$2 \
    NV_CRASH_COUNT_FILE="$T/count" LD_PRELOAD="$SHIM" "$NVAULT" sync >"$T/c.out" 2>"$T/c.err"
}

fresh
rc=0; (crash_sync 0 0) 2>/dev/null || rc=$?
check_eq "an uninterrupted migration and sync under the shim" 0 "$rc"
check_eq "verify after it" 0 "$(nv verify >/dev/null 2>&1; echo $?)"
EXPECT=$(dump "$NVAULT_DB")
DONE_STATE=$(state)
check "it migrates: current schema, nothing left to pack ($DONE_STATE)" test "${DONE_STATE#* }" = "0 0"
ALL=$(cat "$T/count")
# the same sync on the migrated store: what is left is the migration's I/O
rc=0; (crash_sync 0 0) 2>/dev/null || rc=$?
TOTAL=$(( ALL - $(cat "$T/count") ))
check "the shim counts the migration's I/O ($TOTAL of $ALL)" test "$TOTAL" -gt 20
STEP=$(( TOTAL > POINTS ? (TOTAL + POINTS - 1) / POINTS : 1 ))

crashes=0; not_killed=0; failed_next=0; unverified=0; unmigrated=0; diverged=0
for ((n = 1; n <= TOTAL; n += STEP)); do
  fresh
  keep=$(( crashes % 2 == 0 ))
  rc=0; (crash_sync $n $keep) 2>/dev/null || rc=$?
  crashes=$((crashes + 1))
  [ "$rc" -eq 137 ] || { not_killed=$((not_killed + 1)); echo "crash point $n: exit $rc, not killed" >&2; }
  rc=0; nv sync >/dev/null 2>"$T/n.err" || rc=$?
  [ "$rc" -eq 0 ] || { failed_next=$((failed_next + 1)); echo "crash point $n (keep=$keep): the next run exits $rc: $(head -c 300 "$T/n.err")" >&2; }
  nv verify >/dev/null 2>"$T/v.err" || { unverified=$((unverified + 1)); echo "crash point $n (keep=$keep): verify failed: $(head -c 300 "$T/v.err")" >&2; }
  [ "$(state)" == "$DONE_STATE" ] || { unmigrated=$((unmigrated + 1)); echo "crash point $n (keep=$keep): schema/packing state $(state)" >&2; }
  [ "$(dump "$NVAULT_DB")" == "$EXPECT" ] || { diverged=$((diverged + 1)); echo "crash point $n (keep=$keep): tasks or versions differ" >&2; }
done
echo "# $crashes crashes over $TOTAL I/Os (every $STEP; half kill -9, half power cut)"
check_eq "every crash point killed the migrating run ($crashes)" 0 "$not_killed"
check_eq "the next run succeeds after every crash" 0 "$failed_next"
check_eq "the store verifies after it" 0 "$unverified"
check_eq "the migration is complete (schema, packing)" 0 "$unmigrated"
check_eq "same tasks and versions as an uninterrupted migration" 0 "$diverged"
finish
