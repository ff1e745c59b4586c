#!/usr/bin/env bash
# test_init.sh: `nvault init` against the fake Notion's POST /v1/search
# (fixture tests/fake_notion/fixtures/init.json: three databases that
# exercise every mapping rule). Non-interactive (--all, --database) and
# interactive (a real pseudo-terminal through python3's pty module) runs
# write a config at the per-user path that `config check` accepts and
# `sync` uses; each mapping rule and the statusMap from status groups; no
# overwrite without --force; clear errors without a token, without a
# choice off a terminal, for an id that is not shared.
source "$(dirname "$0")/lib.sh"
export NVAULT_RATE_LIMIT=0
unset AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH
fake_start --fixture "$NV_SRC_DIR/tests/fake_notion/fixtures/init.json"
# two results per search page: init must follow next_cursor
curl -sf -X POST "$FAKE_URL/_control/settings" -d '{"searchPageSize": 2}' >/dev/null
cfg="$XDG_CONFIG_HOME/nvault/notion-sync.config.json"
ENG=1a2b3c4d-5e6f-47a8-b9c0-d1e2f3a4b5c6
SUP=0a1b2c3d-4e5f-4061-8273-a4b5c6d7e8f9
READ=0d1e2f30-6172-4384-8596-d7e8f9a0b1c2
READ_DS=0e1f2031-7283-4495-86a7-e8f9a0b1c2d3
mkdir -p "$T/elsewhere"
cd "$T/elsewhere" || exit 1

# m DBID EXPR: evaluates EXPR over the written config's entry for DBID (`e`)
m() { python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); e=[d for d in c["databases"] if d["notionDatabaseId"]==sys.argv[2]][0]; print(eval(sys.argv[3]))' "$cfg" "$1" "$2"; }

# ---- refusals -------------------------------------------------------------------------------------
NOTION_API_KEY= nv init --all >/dev/null 2>"$T/err"
check_eq "no token: exit 2" 2 "$?"
check "no token: says to export NOTION_API_KEY" grep -q 'NOTION_API_KEY is not set' "$T/err"
nv init </dev/null >/dev/null 2>"$T/err"
check_eq "not a terminal and no choice: exit 2" 2 "$?"
check "not a terminal: says --database or --all" grep -q -- '--database ID... or --all' "$T/err"
nv init --database 99999999-9999-4999-8999-999999999999 >/dev/null 2>"$T/err"
check_eq "an id not shared: exit 1" 1 "$?"
check "an id not shared: named" grep -q '99999999-9999-4999-8999-999999999999: no such database' "$T/err"
check "nothing written after refusals" test ! -e "$cfg"

# ---- --all -------------------------------------------------------------------------------------------
nv init --all >"$T/out" 2>"$T/err"
check_eq "init --all exits 0" 0 "$?"
check "lists every shared database with its id and properties" \
  sh -c "grep -q 'Engineering tasks' '$T/out' && grep -q 'Support queue' '$T/out' && grep -q 'Reading list' '$T/out' && grep -q 'database $SUP' '$T/out' && grep -q 'Deadline (date)' '$T/out'"
check "writes the per-user config" test -s "$cfg"
check "says it checked the mappings against Notion" grep -q 'every mapping fits the live Notion schema' "$T/out"
check_eq "three databases (search followed next_cursor)" 3 "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["databases"]))' "$cfg")"
log=$(curl -sf "$FAKE_URL/_control/log")
check "search was paginated (start_cursor sent)" grep -q 'start_cursor' <<<"$log"

# mapping rules
check_eq "generated: the full standard mapping" \
  "{'Name': 'title', 'Notes': 'description', 'Status': 'status', 'Priority': 'category', 'Due': 'dueDate', 'Owner': 'assignee', 'Tags': 'tags'}" \
  "$(m $ENG 'e["fieldMappings"]')"
check_eq "title -> title" "title" "$(m $SUP 'e["fieldMappings"]["Ticket"]')"
check_eq "a select named like state -> status" "status" "$(m $SUP 'e["fieldMappings"].get("State")')"
check_eq "a date named like deadline before the first date -> dueDate" \
  "dueDate None" "$(m $SUP 'str(e["fieldMappings"].get("Deadline")) + " " + str(e["fieldMappings"].get("Created on"))')"
check_eq "people (named like assign before others) -> assignee" \
  "assignee None" "$(m $SUP 'str(e["fieldMappings"].get("Assigned to")) + " " + str(e["fieldMappings"].get("Watchers"))')"
check_eq "multi_select named like labels -> tags" "tags" "$(m $SUP 'e["fieldMappings"].get("Labels")')"
check_eq "rich_text named like description -> description; other rich_text not" \
  "description None" "$(m $SUP 'str(e["fieldMappings"].get("Description")) + " " + str(e["fieldMappings"].get("Internal"))')"
check_eq "select named like area -> category" "category" "$(m $SUP 'e["fieldMappings"].get("Area")')"
check_eq "a select status has no statusMap" "None" "$(m $SUP 'e.get("statusMap")')"
check_eq "a status property -> status" "status" "$(m $READ 'e["fieldMappings"].get("Progress")')"
check_eq "no date named due: the first date -> dueDate" "dueDate" "$(m $READ 'e["fieldMappings"].get("Started")')"
check_eq "select named like category -> category" "category" "$(m $READ 'e["fieldMappings"].get("Category")')"
check_eq "a multi_select not named like tags is not mapped" "None" "$(m $READ 'e["fieldMappings"].get("Kind")')"
check_eq "rich_text named like notes -> description" "description" "$(m $READ 'e["fieldMappings"].get("Notes")')"
check_eq "statusMap from the status groups (own status names kept)" \
  "{'Not started': 'open', 'In review': 'in_progress', 'Blocked': 'blocked', 'Completed': 'done', \"Won't do\": 'wont_do'}" \
  "$(m $READ 'e["statusMap"]')"
check_eq "names come from Notion" "Support queue" "$(m $SUP 'e["name"]')"

# what init wrote is what nvault uses from any directory
nv config check >"$T/check" 2>&1
check_eq "config check accepts the written config" 0 "$?"
check "config check reads it from the per-user path" grep -qF "$cfg (valid; from \$XDG_CONFIG_HOME)" "$T/check"
nv sync >"$T/sync.out" 2>"$T/sync.err"
check_eq "sync with the written config exits 0" 0 "$?"
[ -s "$T/sync.err" ] && grep -v 'sync finished' "$T/sync.err" >&2
check_eq "sync backed up every row (40 + 1 + 2)" 43 \
  "$(nv --json task list --limit 1000 | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d.get("tasks", d.get("items", []))))')"
check_eq "the mapped status arrived (In review -> in_progress)" "in_progress" \
  "$(nv --json task get 0f202132-8394-45a6-97b8-f9a0b1c2d3e4 | python3 -c 'import json,sys; t=json.load(sys.stdin); t=t.get("task", t); print(t["status"])')"

# ---- no overwrite without --force ----------------------------------------------------------------
before=$(sha256sum "$cfg")
nv init --all >/dev/null 2>"$T/err"
check_eq "existing config: exit 2" 2 "$?"
check "existing config: says --force" grep -q 'already exists.*--force' "$T/err"
check_eq "existing config: unchanged" "$before" "$(sha256sum "$cfg")"
nv init --force --database "$READ_DS" >/dev/null 2>"$T/err"
check_eq "--force --database (a data source id) exits 0" 0 "$?"
check_eq "--force replaced it with the one chosen" "['$READ']" \
  "$(python3 -c 'import json,sys; print([d["notionDatabaseId"] for d in json.load(open(sys.argv[1]))["databases"]])' "$cfg")"
nv --json init --force --database "$SUP" "$ENG" >"$T/json" 2>"$T/err"
check_eq "--json init with two ids exits 0" 0 "$?"
check_eq "--json: path and validity" "$cfg True 2" \
  "$(jget "$(cat "$T/json")" 'd["path"] + " " + str(d["valid"]) + " " + str(len(d["config"]["databases"]))')"

# ---- interactive, through a pseudo-terminal ---------------------------------------------------------
rm -f "$cfg"
prc=$(python3 - "$NVAULT" "$T/pty.out" <<'PY'
import os, pty, sys, time
nvault, out = sys.argv[1], sys.argv[2]
pid, fd = pty.fork()
if pid == 0:
    os.execv(nvault, [nvault, "init"])
buf = b""
def read_until(marker, timeout=30):
    global buf
    end = time.time() + timeout
    while marker not in buf and time.time() < end:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        buf += chunk
    return marker in buf
ok = read_until(b"Back up which?")
os.write(fd, b"7\n")          # out of range: asked again
read_until(b"is not one of the numbers")
os.write(fd, b"1, 3\n")
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    buf += chunk
_, status = os.waitpid(pid, 0)
open(out, "wb").write(buf)
print(os.waitstatus_to_exitcode(status) if ok else 99)
PY
)
check_eq "interactive: init exits 0" 0 "$prc"
check "interactive: the prompt was shown" grep -q 'Back up which?' "$T/pty.out"
check "interactive: a bad answer is explained and asked again" grep -q "'7' is not one of the numbers 1-3" "$T/pty.out"
check_eq "interactive: wrote the two chosen databases" "['$ENG', '$READ']" \
  "$(python3 -c 'import json,sys; print([d["notionDatabaseId"] for d in json.load(open(sys.argv[1]))["databases"]])' "$cfg" 2>&1)"
nv config check >/dev/null 2>&1
check_eq "interactive: config check accepts it" 0 "$?"
NVAULT_DB="$T/interactive.db" nv sync >/dev/null 2>"$T/sync2.err"
check_eq "interactive: sync uses it" 0 "$?"
finish
