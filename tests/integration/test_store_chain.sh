# test_store_chain.sh: issue 15 #6. verify used to miss a whole task deleted
# with its versions, and a truncated history, when the append-only triggers
# were put back afterwards. The store-wide chain over every version (its
# head and length recorded in each sync's evidence, `verify --head` to pin
# it, `verify --expect-head H` to check a pinned head) finds both.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sync_lib.sh"

NO_DELETE="CREATE TRIGGER task_versions_no_delete BEFORE DELETE ON task_versions BEGIN SELECT RAISE(ABORT, 'task_versions is append-only: DELETE refused'); END;"

fake_start --rows 40 --seed 8
default_config
check_eq "first sync" 0 "$(sync_rc)"
check "the evidence records the store-wide chain" \
  test "$(last_evidence 'len(m["storeChain"]["head"]) == 64 and m["storeChain"]["versions"] == 40')" = True
check_eq "verify: clean" 0 "$(nv verify >/dev/null 2>&1; echo $?)"
read -r H0 N0 < <(nv verify --head)
check_eq "verify --head prints the head and the number of versions" "40" "$N0"
check_eq "the head is the one the evidence recorded" "$H0" "$(last_evidence 'm["storeChain"]["head"]')"

ID=$(nv --json task add --title "local one" | python3 -c 'import json,sys; print(json.load(sys.stdin)["task"]["id"])')
nv task update "$ID" --title "local one, edited" >/dev/null
read -r H1 N1 < <(nv verify --head)
check_eq "local edits extend the chain" 42 "$N1"
check_eq "a head pinned before still verifies" 0 "$(nv verify --expect-head "$H0" >/dev/null 2>&1; echo $?)"
check_eq "the current head verifies" 0 "$(nv verify --expect-head "$H1" >/dev/null 2>&1; echo $?)"
check_eq "a head that never was: exit 1" 1 "$(nv verify --expect-head "$(printf '%064d' 7)" >/dev/null 2>&1; echo $?)"
check_eq "a malformed head: exit 2" 2 "$(nv verify --expect-head abc >/dev/null 2>&1; echo $?)"
check_eq "a sync records the new head" 0 "$(sync_rc)"
check_eq "(its evidence has 42 versions)" 42 "$(last_evidence 'm["storeChain"]["versions"]')"
cp "$NVAULT_DB" "$T/pristine.db"

# ---- a whole task deleted with its versions, triggers put back ----------------------
VICTIM=$(sq "select id from tasks where source = 'notion' order by seq limit 1 offset 5")
sq "DROP TRIGGER task_versions_no_delete; DELETE FROM task_versions WHERE task_id = '$VICTIM'; DELETE FROM tasks WHERE id = '$VICTIM'; $NO_DELETE"
check_eq "(the triggers are all back)" 1 "$(sq "select count(*) from sqlite_master where name = 'task_versions_no_delete'")"
rc=0; nv verify >"$T/verify.out" 2>&1 || rc=$?
check_eq "verify finds the deleted task: exit 1" 1 "$rc"
check "it names the store-wide chain" grep -q "store-wide chain" "$T/verify.out"
check_eq "and the pinned head is gone from the chain" 1 "$(nv verify --expect-head "$H1" >/dev/null 2>&1; echo $?)"

# ---- the newest version truncated, the task row set back ----------------------------
cp "$T/pristine.db" "$NVAULT_DB"; rm -f "$NVAULT_DB-wal" "$NVAULT_DB-shm"
V1=$(sq "select id from task_versions where task_id = '$ID' and version = 1")
sq "DROP TRIGGER task_versions_no_delete; DELETE FROM task_versions WHERE task_id = '$ID' AND version = 2; UPDATE tasks SET title = 'local one', version = 1, current_version_id = '$V1' WHERE id = '$ID'; $NO_DELETE"
rc=0; nv --json verify >"$T/verify.out" 2>/dev/null || rc=$?
check_eq "verify finds the truncated history: exit 1" 1 "$rc"
check "the report says versions were deleted" \
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if any("store-wide chain" in p["problem"] for p in r["problems"]) else 1)' "$T/verify.out"
check_eq "the pinned head is not in the chain any more" 1 "$(nv verify --expect-head "$H1" >/dev/null 2>&1; echo $?)"
finish
