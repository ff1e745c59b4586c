# test_hostile_input.sh: issue 15 #9. Text that is not UTF-8 is refused with
# a clear error naming the argument (exit 2, never an abort), a bad tag is
# refused rather than silently dropped, nothing is written; verify reports a
# stored row that is not UTF-8 instead of aborting.
source "$(dirname "$0")/lib.sh"
command -v sqlite3 >/dev/null || { echo "sqlite3 shell needed (Debian package sqlite3)" >&2; exit 1; }
sq() { sqlite3 -batch -noheader "$NVAULT_DB" "$1"; }

ID=$(nv --json task add --title "good" | python3 -c 'import json,sys; print(json.load(sys.stdin)["task"]["id"])')
check "a valid task is added" test -n "$ID"

for opt in --title --description --resolution --category --assignee --scope; do
  rc=0; nv task add --title ok "$opt" $'bad\xff' >/dev/null 2>"$T/err" || rc=$?
  check_eq "task add $opt <invalid UTF-8>: exit 2" 2 "$rc"
  check "the error names $opt and UTF-8" grep -q -- "$opt.*not valid UTF-8" "$T/err"
done
[ "$(sq 'select count(*) from tasks')" = 1 ] || echo "tasks: $(sq 'select count(*) from tasks')" >&2
check_eq "nothing was added" 1 "$(sq 'select count(*) from tasks')"

rc=0; nv task add --title ok --tags $'fine,b\xffad' >/dev/null 2>"$T/err" || rc=$?
check_eq "a bad tag: exit 2, not silently dropped" 2 "$rc"
check "the error names --tags" grep -q -- "--tags.*not valid UTF-8" "$T/err"

V=$(sq 'select count(*) from task_versions')
rc=0; nv task update "$ID" --title $'still\xc3(bad' >/dev/null 2>"$T/err" || rc=$?
check_eq "task update --title <invalid UTF-8>: exit 2" 2 "$rc"
check_eq "no version written" "$V" "$(sq 'select count(*) from task_versions')"
check_eq "the title is unchanged" good "$(sq "select title from tasks where id = '$ID'")"

# ---- query arguments that are not UTF-8 (fuzz_cli found --sort: a crash writing the cursor) ----
nv task add --title "second" >/dev/null
for opt in --sort --where --search --scope; do
  val=$'bad\xab-updated'; [ "$opt" = --where ] && val=$'status=op\xffen'
  rc=0; nv task list "$opt" "$val" --limit 1 >/dev/null 2>"$T/err" || rc=$?
  check_eq "task list $opt non-UTF-8: exit 2, not a crash" 2 "$rc"
  check "task list $opt non-UTF-8: names it" grep -q "'${opt#--}' is not valid UTF-8" "$T/err"
done

# ---- a stored row that is not UTF-8 (written behind nvault's back) ---------------------
sq "update tasks set title = cast(x'62616420ff' as text) where id = '$ID'"
rc=0; nv verify >"$T/out" 2>"$T/err" || rc=$?
check_eq "verify on a stored non-UTF-8 title: exit 1 (a problem, not an abort)" 1 "$rc"
check "verify names the task" grep -q "$ID" "$T/out" "$T/err"
rc=0; nv --json verify >"$T/out" 2>"$T/err" || rc=$?
check_eq "verify --json: exit 1" 1 "$rc"
check "verify --json is one JSON document" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/out"
rc=0; nv task list >/dev/null 2>"$T/err" || rc=$?
check "task list does not abort on it (exit $rc)" test "$rc" -lt 128
finish
