#!/usr/bin/env bash
# test_task_cli.sh: the task commands of the real nvault binary on a real
# store file: task add/update/get/list/history, as-of, diff, evidence,
# verify (including a store tampered with behind nvault's back), export as
# JSON Lines and CSV, exit codes, --json validity and --help of each command.
source "$(dirname "$0")/lib.sh"

# isjson TEXT: true when TEXT is exactly one JSON document.
isjson() { python3 -c 'import json,sys; json.loads(sys.stdin.read())' <<<"$1" 2>/dev/null; }
# rc CMD...: prints the exit code of CMD (output discarded).
rc() { "$@" >/dev/null 2>&1; echo $?; }

# ---- a store that does not exist is reported, never created ----
check_eq "task list on a missing store fails" 1 "$(rc nv task list)"
out=$(nv evidence 2>&1)
check "the error says there is no store" grep -q "no store at $NVAULT_DB" <<<"$out"
check "no store file was created" test ! -e "$NVAULT_DB"

# ---- usage errors exit 2 ----
check_eq "add without --title is a usage error" 2 "$(rc nv task add)"
out=$(nv task add --title x --status nonsense 2>&1); code=$?
check_eq "an invalid status is a usage error" 2 "$code"
check "the status error lists the allowed values" grep -q "status.*backlog, open, in_progress, blocked, review, done, wont_do" <<<"$out"
check_eq "bad --metadata JSON is a usage error" 2 "$(rc nv task add --title x --metadata '{nope')"
check_eq "--metadata must be an object" 2 "$(rc nv task add --title x --metadata '[1]')"
check_eq "a bad --due is a usage error" 2 "$(rc nv task add --title x --due tomorrow)"
check_eq "an unknown option is a usage error" 2 "$(rc nv task list --bogus)"
check "usage errors created no store" test ! -e "$NVAULT_DB"

# ---- add / get ----
out=$(nv --json task add --title 'Ship, "the" store' --description $'two\nlines' \
      --status 'In progress' --tags 'backend, db' --metadata '{"points": 3}' --due 2026-03-01 --scope proj-a)
check "task add --json is one JSON document" isjson "$out"
check_eq "add reports created" created "$(jget "$out" 'd["outcome"]')"
ID=$(jget "$out" 'd["task"]["id"]')
check_eq "status words are canonicalised" in_progress "$(jget "$out" 'd["task"]["status"]')"
check_eq "tags are split on commas" "['backend', 'db']" "$(jget "$out" 'd["task"]["tags"]')"
check_eq "version 1" 1 "$(jget "$out" 'd["task"]["version"]')"

out=$(nv --json task get "$ID")
check "task get --json is valid" isjson "$out"
check_eq "get returns the title" 'Ship, "the" store' "$(jget "$out" 'd["title"]')"
check_eq "get returns metadata" 3 "$(jget "$out" 'd["metadata"]["points"]')"
check_eq "get by id in upper case without dashes" "$ID" \
  "$(jget "$(nv --json task get "$(tr -d - <<<"$ID" | tr a-f A-F)")" 'd["id"]')"
out=$(nv task get "$ID")
check "human get shows aligned fields" grep -qE '^status +in_progress$' <<<"$out"
check_eq "get of an unknown id exits 1" 1 "$(rc nv task get 00000000-0000-4000-8000-000000000000)"
out=$(nv --json task get nope 2>/dev/null)
check "errors with --json are a JSON document" isjson "$out"
check_eq "error code is not_found" not_found "$(jget "$out" 'd["error"]["code"]')"

sleep 0.01
T1=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
sleep 0.01

# ---- update: a change is a version, no change writes nothing ----
check_eq "update without fields is a usage error" 2 "$(rc nv task update "$ID")"
out=$(nv --json task update "$ID" --status done --resolution fixed)
check_eq "update reports updated" updated "$(jget "$out" 'd["outcome"]')"
check_eq "update writes version 2" 2 "$(jget "$out" 'd["task"]["version"]')"
out=$(nv --json task update "$ID" --status done)
check_eq "a no-op update reports unchanged" unchanged "$(jget "$out" 'd["outcome"]')"
check_eq "update of an unknown task exits 1" 1 "$(rc nv task update nope --title x)"
out=$(nv --json task update "$ID" --due '')
check_eq "an empty value clears a field" None "$(jget "$out" 'd["task"]["dueDate"]')"

# ---- history ----
out=$(nv --json task history "$ID")
check "history --json is valid" isjson "$out"
check_eq "history has 3 versions" 3 "$(jget "$out" 'd["count"]')"
check_eq "oldest first" "[1, 2, 3]" "$(jget "$out" '[v["version"] for v in d["versions"]]')"
check_eq "local edits are written by cli" "['cli', 'cli', 'cli']" "$(jget "$out" '[v["createdBy"] for v in d["versions"]]')"
check_eq "reasons" "['created', 'local edit', 'local edit']" "$(jget "$out" '[v["changeReason"] for v in d["versions"]]')"
out=$(nv task history "$ID")
check "human history names the changed fields" grep -qE '^2 .*local edit +done .*status, resolution' <<<"$out"

# ---- list, pagination, filters, search ----
for i in 1 2 3 4; do nv task add --title "Backlog item $i" --status backlog >/dev/null; done
nv task add --title "Renovate the kitchen" --description "buy tiles" --tags home >/dev/null
out=$(nv --json task list --limit 2)
check "list --json is valid" isjson "$out"
check_eq "total counts every match" 6 "$(jget "$out" 'd["total"]')"
check_eq "a page holds --limit tasks" 2 "$(jget "$out" 'len(d["tasks"])')"
check_eq "hasMore when more exist" True "$(jget "$out" 'd["hasMore"]')"
check_eq "nextOffset" 2 "$(jget "$out" 'd["nextOffset"]')"
out=$(nv task list --limit 2)
check "human list says more rows exist" grep -q "more with --offset 2" <<<"$out"
check "human list has a header" grep -qE '^ID +STATUS +TITLE +VER +UPDATED$' <<<"$out"
out=$(nv --json task list --limit 2 --offset 4)
check_eq "last page has no more" False "$(jget "$out" 'd["hasMore"]')"
check_eq "status filter" 4 "$(jget "$(nv --json task list --status backlog)" 'd["total"]')"
check_eq "status filter accepts words" 1 "$(jget "$(nv --json task list --status Done)" 'd["total"]')"
check_eq "an invalid --status filter is a usage error" 2 "$(rc nv task list --status maybe)"
check_eq "search finds by description" "Renovate the kitchen" \
  "$(jget "$(nv --json task list --search tiles)" 'd["tasks"][0]["title"]')"
check_eq "search finds by tag" 1 "$(jget "$(nv --json task list --search backend)" 'd["total"]')"
check_eq "search by word prefix" 4 "$(jget "$(nv --json task list --search 'backl*')" 'd["total"]')"
check_eq "a word without * is a whole word" 0 "$(jget "$(nv --json task list --search backl)" 'd["total"]')"
out=$(nv --json task list --search 'tiles OR "item 3"')
check_eq "OR and a phrase" "['Backlog item 3', 'Renovate the kitchen']" "$(jget "$out" 'sorted(t["title"] for t in d["tasks"])')"
check_eq "a search hit has a marked snippet" "buy **tiles**" \
  "$(jget "$(nv --json task list --search tiles)" 'd["tasks"][0]["snippet"]')"
check_eq "backlog NOT 3" 3 "$(jget "$(nv --json task list --search 'backlog NOT 3')" 'd["total"]')"
check "human search shows the matches" grep -q '\*\*tiles\*\*' <<<"$(nv task list --search tiles)"
out=$(nv --json task list --search 'foo"bar')
check_eq "a stray quote is not an error" 0 "$(jget "$out" 'd["total"]')"
err=$(nv task list --search 'tiles OR' 2>&1 >/dev/null); code=$?
check_eq "a misplaced operator is a usage error" 2 "$code"
check "its message names the query" grep -q "search query 'tiles OR': OR needs a search term after it" <<<"$err"
check_eq "scope filter" 1 "$(jget "$(nv --json task list --scope proj-a)" 'd["total"]')"

# ---- as-of and diff ----
out=$(nv --json as-of "$T1")
check "as-of --json is valid" isjson "$out"
check_eq "as-of sees only the first task" 1 "$(jget "$out" 'd["count"]')"
check_eq "as-of shows the old status" in_progress "$(jget "$out" 'd["tasks"][0]["status"]')"
check_eq "as-of before anything is empty" 0 "$(jget "$(nv --json as-of 2000-01-01)" 'd["count"]')"
check "human as-of of an empty time says so" grep -q "No tasks existed" <<<"$(nv as-of 2000-01-01)"
check_eq "as-of with a bad time is a usage error" 2 "$(rc nv as-of yesterday)"
check_eq "as-of needs a time" 2 "$(rc nv as-of)"
out=$(nv --json diff --since "$T1")
check "diff --json is valid" isjson "$out"
check_eq "diff: 5 created" 5 "$(jget "$out" 'd["created"]')"
check_eq "diff: 1 changed" 1 "$(jget "$out" 'd["changed"]')"
check_eq "diff: the change goes from version 1 to 3" "1 3" \
  "$(jget "$out" '" ".join(str(c[k]) for c in d["changes"] if c["kind"]=="changed" for k in ("fromVersion","toVersion"))')"
check_eq "diff of an empty window" 0 "$(jget "$(nv --json diff --since 2000-01-01 --until 2000-01-02)" 'len(d["changes"])')"
check_eq "diff without --since is a usage error" 2 "$(rc nv diff)"
check_eq "diff with since after until is a usage error" 2 "$(rc nv diff --since 2026-02-01 --until 2026-01-01)"
check "human diff summarises" grep -q "5 created, 1 changed, 0 deleted, 0 restored" <<<"$(nv diff --since "$T1")"

# ---- evidence on a store with no sync ----
out=$(nv evidence); code=$?
check_eq "evidence on an empty store exits 0" 0 "$code"
check "evidence says there are no records" grep -q "No sync records yet" <<<"$out"
out=$(nv --json evidence)
check_eq "evidence --json has an empty list" 0 "$(jget "$out" 'len(d["evidence"])')"
check_eq "evidence --limit 0 is a usage error" 2 "$(rc nv evidence --limit 0)"

# ---- export ----
nv export --format jsonl >"$T/out.jsonl" 2>/dev/null
check_eq "jsonl has one line per task" 6 "$(wc -l <"$T/out.jsonl")"
check "every jsonl line is JSON" python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$T/out.jsonl"
nv export --format csv >"$T/out.csv" 2>/dev/null
check_eq "csv round-trips quotes, commas and newlines" "6 Ship, \"the\" store|two
lines" "$(python3 -c '
import csv,sys
rows=list(csv.DictReader(open(sys.argv[1],newline="")))
r=[x for x in rows if x["title"].startswith("Ship")][0]
print(len(rows), r["title"] + "|" + r["description"])' "$T/out.csv")"
check_eq "export --as-of" 1 "$(nv export --format jsonl --as-of "$T1" 2>/dev/null | wc -l)"
check "export --json is one document" isjson "$(nv --json export 2>/dev/null)"
check_eq "export needs --format" 2 "$(rc nv export)"
check_eq "export rejects unknown formats" 2 "$(rc nv export --format xml)"

# ---- verify, then tamper behind nvault's back ----
out=$(nv verify); code=$?
check_eq "verify of a clean store exits 0" 0 "$code"
check "verify says OK" grep -q "^OK" <<<"$out"
check_eq "verify --json ok" True "$(jget "$(nv --json verify)" 'd["ok"]')"
if command -v sqlite3 >/dev/null; then
  sqlite3 "$NVAULT_DB" "DROP TRIGGER task_versions_no_update;
    UPDATE task_versions SET title = 'forged' WHERE task_id = '$ID' AND version = 2;"
  out=$(nv verify 2>&1); code=$?
  check_eq "verify of a tampered store exits 1" 1 "$code"
  check "verify names the task and version" grep -qE "^$ID +2 +content hash" <<<"$out"
  check "verify names the missing trigger" grep -q "task_versions_no_update" <<<"$out"
  out=$(nv --json verify 2>/dev/null)
  check "tampered verify --json is valid" isjson "$out"
  check_eq "tampered verify --json ok=false" False "$(jget "$out" 'd["ok"]')"
fi

# ---- help for every command ----
for cmd in "task" "task add" "task update" "task get" "task list" "task history" \
           "as-of" "diff" "evidence" "verify" "export"; do
  # shellcheck disable=SC2086
  out=$(nv $cmd --help); code=$?
  check_eq "'$cmd --help' exits 0" 0 "$code"
  check "'$cmd --help' shows usage" grep -q "^usage: nvault $cmd" <<<"$out"
done
check_eq "unknown task subcommand is a usage error" 2 "$(rc nv task frobnicate)"

finish
