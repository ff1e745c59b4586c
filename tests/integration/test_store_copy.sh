#!/usr/bin/env bash
# nvault store info / store copy between two SQLite stores (the PostgreSQL
# directions are test_pg_copy.sh): a store with versions, local edits,
# deletions, conflicts and shared contents is copied whole — every table,
# the same ids, version numbers and hashes, so verify passes on the copy
# with the same store-wide head, exports are identical and search works;
# a non-empty target and a password in a locator are refused; a copy killed
# with SIGKILL between its batches goes on when run again and ends equal.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sync_lib.sh"

fake_start --rows 400 --seed 7
default_config
check "first sync" nv sync -q
# history beyond version 1: Notion edits, a local edit, a deletion
mapfile -t pages < <(page_ids | head -n 20)
for p in "${pages[@]:0:10}"; do ctl PATCH "/_control/pages/$p" '{"set": {"Name": "edited in Notion"}}' >/dev/null; done
ctl PATCH "/_control/pages/${pages[10]}" '{"in_trash": true}' >/dev/null
task=$(nv --json task get "${pages[0]}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
check "a local edit" nv task update "$task" --title "edited locally" -q
check "second sync" nv sync -q --full
check "source verifies" nv verify -q

info=$(nv --json store info)
check_eq "store info: engine" sqlite "$(jget "$info" 'd["engine"]')"
check_eq "store info: schema version is the build's" "$(sq 'pragma user_version')" "$(jget "$info" 'd["schemaVersion"]')"
check_eq "store info: tasks counted" "$(sq 'select count(*) from tasks')" "$(jget "$info" 'd["tables"]["tasks"]')"
check_eq "store info: versions counted" "$(versions)" "$(jget "$info" 'd["tables"]["task_versions"]')"
check "store info: size in bytes" test "$(jget "$info" 'd["sizeBytes"]')" -gt 0
check_eq "store info: no copy in progress" False "$(jget "$info" 'd["copyInProgress"]')"
check "store info (text) names the engine" bash -c '"$NVAULT" store info | grep -q "^engine: *sqlite"'

head_a=$(nv verify --head)
export_a=$(nv export --format jsonl | sha256sum)

# the copy
out=$(nv --json store copy --to "$T/copy.db"); rc=$?
check_eq "store copy exits 0" 0 "$rc"
check_eq "store copy reports the rows of tasks" "$(sq 'select count(*) from tasks')" "$(jget "$out" 'd["tables"]["tasks"]')"
check_eq "store copy was not resumed" False "$(jget "$out" 'd["resumed"]')"
check "the copy verifies" nv --db "$T/copy.db" verify -q
check_eq "the copy has the same store-wide head" "$head_a" "$(nv --db "$T/copy.db" verify --head)"
check_eq "the copy exports the same tasks" "$export_a" "$(nv --db "$T/copy.db" export --format jsonl | sha256sum)"
for tbl in $(sqlite3 "$NVAULT_DB" "select name from sqlite_master where type = 'table' and name not like 'sqlite%' and name not like 'task_search%' order by name"); do
  check_eq "table $tbl copied row for row" \
    "$(sqlite3 "$NVAULT_DB" "select * from $tbl order by 1" | sha256sum)" \
    "$(sqlite3 "$T/copy.db" "select * from $tbl order by 1" | sha256sum)"
done
check_eq "history of an edited task is the same" "$(nv --json task history "$task")" \
  "$(nv --db "$T/copy.db" --json task history "$task")"
hits() { python3 -c 'import json,sys; print(len(json.load(sys.stdin)["tasks"]))'; }
check "search works on the copy" test "$(nv --db "$T/copy.db" --json task list --search 'edited' | hits)" -ge 9
check_eq "search finds on the copy what it finds on the source" \
  "$(nv --json task list --search 'edited' | hits)" "$(nv --db "$T/copy.db" --json task list --search 'edited' | hits)"
check_eq "the copy's progress table is gone" 0 \
  "$(sqlite3 "$T/copy.db" "select count(*) from sqlite_master where name = 'nvault_copy_progress'")"
check "the copy can be synced on" nv --db "$T/copy.db" sync -q
check "and still verifies" nv --db "$T/copy.db" verify -q

# refusals
sum=$(sha256sum <"$T/copy.db")
nv store copy --to "$T/copy.db" >"$T/out" 2>"$T/err"; rc=$?
check_eq "a non-empty target is refused (exit 1)" 1 "$rc"
check "the refusal says what the target holds" grep -q "not empty (.*tasks: [0-9]* rows" "$T/err"
check_eq "the refused target is untouched" "$sum" "$(sha256sum <"$T/copy.db")"
nv store copy --to 'postgresql://alice:hunter2@db.example/nv' >"$T/out" 2>"$T/err"; rc=$?
check_eq "a password in --to is refused (exit 2)" 2 "$rc"
check "the refusal hides the password" bash -c '! grep -q hunter2 "$1" && grep -q "alice:\*\*\*@db.example" "$1"' _ "$T/err"
NVAULT_DB='host=db.example password=hunter2' nv store info >"$T/out" 2>"$T/err"; rc=$?
check_eq "a password in NVAULT_DB is refused (exit 2)" 2 "$rc"
check "that refusal hides it too and names PGPASSWORD" bash -c '! grep -q hunter2 "$1" && grep -q PGPASSWORD "$1"' _ "$T/err"
nv store copy >"$T/out" 2>"$T/err"; rc=$?
check_eq "--to is required (exit 2)" 2 "$rc"
nv store copy --from "$T/none.db" --to "$T/x.db" >"$T/out" 2>"$T/err"; rc=$?
check_eq "a missing source fails (exit 1)" 1 "$rc"
check "naming the source" grep -q "source store" "$T/err"

# killed with SIGKILL between batches of 5 rows (hundreds of commits), then resumed
export NVAULT_COPY_BATCH=5
kills=0 mid=0
for round in $(seq 1 10); do
  "$NVAULT" store copy --to "$T/killed.db" >"$T/kill.out" 2>"$T/kill.err" &
  pid=$!
  # wait for this run's progress to move (a batch committed), then kill it
  before=$(sqlite3 "$T/killed.db" "select coalesce(sum(copied), 0) from nvault_copy_progress" 2>/dev/null || echo 0)
  while kill -0 $pid 2>/dev/null; do
    now=$(sqlite3 "$T/killed.db" "select coalesce(sum(copied), 0) from nvault_copy_progress" 2>/dev/null || echo 0)
    [ "$now" -gt "$before" ] && break
    sleep 0.02
  done
  kill -9 $pid 2>/dev/null && kills=$((kills + 1))
  wait $pid; rc=$?
  [ "$rc" -eq 0 ] && break
  [ -n "$(sqlite3 "$T/killed.db" "select 1 from nvault_copy_progress where tbl <> '' limit 1" 2>/dev/null)" ] && mid=$((mid + 1))
  [ $mid -ge 3 ] && break
done
check "copies were killed in the middle ($mid times)" test "$mid" -ge 3
unset NVAULT_COPY_BATCH
info=$(nv --db "$T/killed.db" --json store info)
check_eq "store info shows the unfinished copy" True "$(jget "$info" 'd["copyInProgress"]')"
nv --db "$T/killed.db" store copy --to "$T/other.db" >"$T/out" 2>"$T/err"; rc=$?
check_eq "an unfinished copy is no source" 1 "$rc"
check "saying so" grep -q "unfinished copy" "$T/err"
nv store copy --from "$T/copy.db" --to "$T/killed.db" >"$T/out" 2>"$T/err"; rc=$?
check_eq "resuming from another source is refused" 1 "$rc"
check "naming the source it is a copy of" grep -q "unfinished copy from $NVAULT_DB" "$T/err"
out=$(nv --json store copy --to "$T/killed.db"); rc=$?
check_eq "the resumed copy exits 0" 0 "$rc"
check_eq "it says it resumed" True "$(jget "$out" 'd["resumed"]')"
check "the resumed copy verifies" nv --db "$T/killed.db" verify -q
check_eq "with the same store-wide head" "$(nv verify --head)" "$(nv --db "$T/killed.db" verify --head)"
check_eq "and the same export" "$(nv export --format jsonl | sha256sum)" "$(nv --db "$T/killed.db" export --format jsonl | sha256sum)"
for tbl in tasks task_versions evidence contents sync_state scan_seen schema_events conflicts; do
  check_eq "resumed: table $tbl row for row" \
    "$(sqlite3 "$NVAULT_DB" "select * from $tbl order by 1" | sha256sum)" \
    "$(sqlite3 "$T/killed.db" "select * from $tbl order by 1" | sha256sum)"
done

finish
