#!/usr/bin/env bash
# demo.sh BUILD_DIR: a real nvault session against the bundled fake Notion
# server, in plain words. Starts the fake with about 200 realistic rows,
# syncs them into a fresh store, edits and trashes rows in "Notion", syncs
# again, and shows what nvault recorded: history, diff, evidence. Everything
# happens in a temporary directory that is removed at the end (set
# NVAULT_DEMO_KEEP=1 to keep it).
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
nvault="$build/nvault"
fake="$build/fake-notion"
[ -x "$nvault" ] && [ -x "$fake" ] || { echo "demo: build first (missing $nvault or $fake)" >&2; exit 1; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/nvault-demo.XXXXXX")
fake_pid=""
cleanup() {
  [ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null && wait "$fake_pid" 2>/dev/null || true
  if [ "${NVAULT_DEMO_KEEP:-0}" = 1 ]; then echo "demo: kept $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT

# Bold headings on a terminal only, and never with NO_COLOR: no escape codes in logs.
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ] && [ "${TERM:-dumb}" != dumb ]; then
  say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
else
  say() { printf '\n==> %s\n' "$*"; }
fi
run() { printf '$ %s\n' "$*"; "$@"; }

database=1a2b3c4d-5e6f-47a8-b9c0-d1e2f3a4b5c6

say "Starting the fake Notion server (a real HTTP server on 127.0.0.1) with 200 rows"
"$fake" --port 0 --port-file "$dir/port" --rows 200 --seed 7 >"$dir/fake.log" 2>&1 &
fake_pid=$!
for _ in $(seq 1 100); do [ -s "$dir/port" ] && break; sleep 0.05; done
[ -s "$dir/port" ] || { cat "$dir/fake.log" >&2; exit 1; }
control="http://127.0.0.1:$(cat "$dir/port")/_control"

export NOTION_API_BASE_URL="http://127.0.0.1:$(cat "$dir/port")"
export NOTION_API_KEY="ntn_demo_token_not_a_real_secret"
export NVAULT_DB="$dir/vault.db"
export AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH="$dir/notion-sync.config.json"
cat >"$AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH" <<JSON
{
  "notionVersion": "2025-09-03",
  "databases": [
    {
      "notionDatabaseId": "$database",
      "name": "Engineering tasks",
      "projectScopeId": "proj-eng",
      "fieldMappings": {
        "Name": "title",
        "Notes": "description",
        "Status": "status",
        "Priority": "category",
        "Due": "dueDate",
        "Tags": "tags"
      },
      "statusMap": { "Not started": "open", "In progress": "in_progress", "Done": "done" }
    }
  ]
}
JSON

say "The config, checked (the API key is only ever read from NOTION_API_KEY)"
run "$nvault" config check

say "First sync: every row becomes a task with version 1"
run "$nvault" sync

say "A few of the tasks now in the local store"
run "$nvault" task list --limit 5

pages=$(curl -sf "$control/pages?data_source_id=2b3c4d5e-6f70-48a9-b0c1-d2e3f4a5b6c7")
edited=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["pages"][0]["id"])' "$pages")
trashed=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["pages"][1]["id"])' "$pages")
since=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)

say "Someone edits a row in Notion and moves another to the trash"
run curl -sf -o /dev/null -X PATCH "$control/pages/$edited" \
  -d '{"set": {"Name": "Ship the backup tool", "Status": "Done", "Due": null}}'
echo "edited  $edited: new title, status Done, due date cleared"
run curl -sf -o /dev/null -X POST "$control/pages/$trashed/trash"
echo "trashed $trashed"

say "Second sync: only what changed is written"
run "$nvault" sync

say "History of the edited row: both versions, oldest first"
run "$nvault" task history "$edited"

versions=$("$nvault" --json task history "$edited" | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')
echo "The edited row now has $versions versions."

say "The trashed row is kept, marked deleted"
run "$nvault" task get "$trashed"
deleted=$("$nvault" --json task get "$trashed" | python3 -c 'import json,sys; t=json.load(sys.stdin); t=t.get("task", t); print("yes" if not t["active"] and t["deletedAt"] else "no")')
echo "The trashed row is deleted in the store: $deleted (its history is kept)."

say "What changed since before the second sync"
run "$nvault" diff --since "$since"

say "The audit trail: one evidence record per database per sync"
run "$nvault" evidence

say "And the history is verifiably untampered"
run "$nvault" verify

say "Done. The fake server stops now; your own Notion is one NOTION_API_KEY away (see README)."
