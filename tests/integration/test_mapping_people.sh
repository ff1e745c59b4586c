#!/usr/bin/env bash
# test_mapping_people.sh: a people property maps to assignee (SPEC §2.2, the
# SPEC's own "Owner": "assignee" example): config check accepts it and says
# it cannot verify it offline; the sync stores the people's names joined
# with ", " and keeps every id in the metadata; people onto another field
# still fails the sync naming the property's type.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sync_lib.sh"
fake_start --rows 60 --seed 5
default_config
python3 - "$AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["databases"][0]["fieldMappings"]["Owner"] = "assignee"
json.dump(c, open(sys.argv[1], "w"))
PY

out=$(nv config check 2>&1); rc=$?
check_eq "config check accepts Owner -> assignee" 0 "$rc"
check "config check says what it cannot verify offline" grep -q 'not verified offline:.*"Owner"' <<<"$out"
out=$(nv --json config check)
check "--json lists Owner as not verified offline" \
  test "$(jget "$out" '[m["field"] for m in d["notVerifiedOffline"] if m["property"] == "Owner"]')" = "['assignee']"

nv sync >/dev/null 2>"$T/sync.err"; rc=$?
check_eq "sync with Owner -> assignee exits 0" 0 "$rc"
[ "$rc" -eq 0 ] || cat "$T/sync.err" >&2
# every task: assignee == the names of its Owner people, in order, joined with ", "
bad=$(nv --json task list --limit 1000 | python3 -c '
import json, sys
d = json.load(sys.stdin)
tasks = d.get("tasks", d.get("items", []))
bad = 0; named = 0; multi = 0
for t in tasks:
    owner = t["metadata"]["notionProperties"]["Owner"]["value"]
    names = [p["name"] for p in owner if p.get("name")]
    want = ", ".join(names) if names else None
    if t.get("assignee") != want: bad += 1; print("mismatch", t["id"], t.get("assignee"), want, file=sys.stderr)
    if len(names) > 1: multi += 1
    if names: named += 1
    if any("id" not in p for p in owner): bad += 1
print(bad, named, multi, len(tasks))')
read -r nbad nnamed nmulti ntasks <<<"$bad"
check_eq "every assignee is its people's names joined (ids in metadata)" 0 "$nbad"
check "some tasks have an assignee, some several people" test "$nnamed" -gt 0 -a "$nmulti" -gt 0
check_eq "all 60 rows synced" 60 "$ntasks"

# people onto a field that cannot take it: the sync stops that database, naming the type
python3 - "$AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
del c["databases"][0]["fieldMappings"]["Owner"]
c["databases"][0]["fieldMappings"]["Owner"] = "description"
del c["databases"][0]["fieldMappings"]["Notes"]
json.dump(c, open(sys.argv[1], "w"))
PY
nv sync >/dev/null 2>"$T/sync.err"; rc=$?
check_eq "people -> description fails the sync" 1 "$rc"
check "the error says people cannot map to description" \
  grep -q 'Owner.*is of type people, which cannot map to description' "$T/sync.err"
finish
