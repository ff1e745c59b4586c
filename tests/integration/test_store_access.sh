#!/usr/bin/env bash
# test_store_access.sh: a store that does not exist, and one that cannot be
# written (SPEC §1: read commands never create a store; issue 16).
#
# Missing store: the CLI's read commands and the MCP server's read tools
# fail with a message naming the path and how a store comes to be, and
# create nothing; the status views (nvault status, sync_status, notion_sync
# status / list_databases) say there is no store yet; an MCP-requested dry
# run reports what a sync would do and creates nothing; memory_task add (an
# edit) creates the store.
#
# Read-only store (file 0444 in a 0555 directory, used by a user who cannot
# write it: `nobody` when the test runs as root): every CLI read command and
# MCP read tool works, edits fail naming the store, and the files are
# byte-for-byte unchanged.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sync_lib.sh"
fake_start --rows 40 --seed 9
default_config

# mcp_call TOOL ARGS_JSON: one tools/call on a fresh `nvault mcp` (stdio);
# prints the answer line. Input stays open until the answer comes (end of
# input would stop a sync). Runs as $AS when set (a command prefix).
mcp_call() {
  local d
  d=$(mktemp -d "$T/mcp.XXXXXX")
  chmod 0755 "$d"
  mkfifo "$d/in"
  ${AS:-} "$NVAULT" mcp <"$d/in" >"$d/out" 2>"$d/err" &
  local pid=$!
  exec 7>"$d/in"
  echo '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}' >&7
  echo '{"jsonrpc":"2.0","method":"notifications/initialized"}' >&7
  echo "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"$1\",\"arguments\":$2}}" >&7
  while kill -0 "$pid" 2>/dev/null && ! grep -q '"id":2' "$d/out"; do sleep 0.1; done
  exec 7>&-
  wait "$pid"
  grep '"id":2' "$d/out"
}
is_error() { python3 -c 'import json,sys; sys.exit(0 if json.loads(sys.stdin.read())["result"].get("isError") else 1)'; }
text_of() { python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["result"]["content"][0]["text"])'; }

# ---- a store that does not exist -------------------------------------------------------------
mkdir -p "$T/none"
export NVAULT_DB="$T/none/vault.db"
for cmd in "task list" "task get 0123" "task history 0123" "as-of 2030-01-01T00:00:00Z" \
  "diff --since 2020-01-01T00:00:00Z" "evidence" "verify" "export --format jsonl" "schema history"; do
  nv $cmd >/dev/null 2>"$T/err"
  rc=$?
  check "CLI '$cmd' on no store: fails ($rc) naming the path" \
    sh -c "[ $rc -ne 0 ] && grep -qF 'no store at $NVAULT_DB' '$T/err'"
done
nv status >"$T/out" 2>&1
check "CLI status on no store: says so, exit 0" grep -q 'no store at .* yet' "$T/out"
check "no CLI read command created a store" test -z "$(ls -A "$T/none")"

for call in 'task_search {"query":"x"}' 'task_get {"id":"0123"}' 'task_history {"id":"0123"}' \
  'task_changes {"since":"2020-01-01T00:00:00Z"}' 'memory_task {"action":"list"}' \
  'memory_task {"action":"get","id":"0123"}' 'notion_sync {"action":"schema_history"}'; do
  # shellcheck disable=SC2086
  out=$(mcp_call $call)
  check "MCP $call on no store: an error" is_error <<<"$out"
  check "MCP $call: the error names the path" grep -qF "no store at $NVAULT_DB yet" <<<"$out"
  check "MCP $call: and how a store comes to be" grep -q "notion_sync with action 'sync'" <<<"$out"
done
out=$(mcp_call sync_status '{}')
check "MCP sync_status on no store: an answer, not an error" sh -c "! python3 -c 'import json,sys; sys.exit(0 if json.loads(sys.stdin.read())[\"result\"].get(\"isError\") else 1)'" <<<"$out"
check "MCP sync_status: says there is no store yet" grep -q 'No store at .* yet' <<<"$(text_of <<<"$out")"
out=$(mcp_call notion_sync '{"action":"status"}')
check "MCP notion_sync status on no store: an answer" grep -q '"isError":false' <<<"$out"
out=$(mcp_call notion_sync '{"action":"list_databases"}')
check "MCP notion_sync list_databases on no store: 0 tasks" grep -q 'Engineering tasks (.*): 0 tasks' <<<"$out"
check "no MCP read created a store" test -z "$(ls -A "$T/none")"

out=$(mcp_call notion_sync '{"action":"sync","dryRun":true}')
check "MCP dry run on no store: reports what a sync would do" grep -q 'Would have: 40 created' <<<"$out"
check "MCP dry run created no store" test -z "$(ls -A "$T/none")"

out=$(mcp_call memory_task '{"action":"add","title":"first local task"}')
check "MCP memory_task add on no store: created" grep -q '"isError":false' <<<"$out"
check "... and so was the store" test -s "$NVAULT_DB"

# ---- a read-only store -------------------------------------------------------------------------
mkdir -p "$T/ro"
export NVAULT_DB="$T/ro/vault.db"
check_eq "a sync fills the store" 0 "$(SYNC_ONCE=1 sync_rc)"
id=$(sq "select id from tasks limit 1")
# a user who cannot write it: nobody (root writes any file whatever its mode)
if [ "$(id -u)" -eq 0 ]; then
  command -v runuser >/dev/null || { echo "runuser needed (util-linux)" >&2; exit 1; }
  id nobody >/dev/null 2>&1 || { echo "user nobody needed" >&2; exit 1; }
  # nobody must reach the binary, the config and the store
  mkdir -p "$T/bin" && cp "$NVAULT" "$T/bin/nvault" && NVAULT="$T/bin/nvault"
  chmod 0755 "$T" "$T/bin"
  chmod 0644 "$AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH"
  AS="runuser -u nobody --"
else
  AS=""
fi
chmod 0444 "$T/ro"/vault.db*
chmod 0555 "$T/ro"
before=$(cd "$T/ro" && sha256sum vault.db* | sha256sum)
for cmd in "task list" "task get $id" "task history $id" "as-of 2030-01-01T00:00:00Z" \
  "diff --since 2020-01-01T00:00:00Z" "evidence" "verify" "export --format jsonl" "schema history" \
  "status" "databases"; do
  $AS "$NVAULT" $cmd >/dev/null 2>"$T/ro.err"
  rc=$?
  check_eq "CLI '$cmd' on a read-only store: exit 0 $(head -c 200 "$T/ro.err")" 0 "$rc"
done
$AS "$NVAULT" task add --title "not allowed" >/dev/null 2>"$T/ro.err"
rc=$?
check "CLI task add on a read-only store: fails ($rc) naming the store" \
  sh -c "[ $rc -ne 0 ] && grep -qF '$NVAULT_DB' '$T/ro.err'"
for call in 'task_search {"query":"release"}' "task_get {\"id\":\"$id\"}" "task_history {\"id\":\"$id\"}" \
  'task_changes {"since":"2020-01-01T00:00:00Z"}' 'memory_task {"action":"list","limit":2}' \
  'sync_status {}' 'notion_sync {"action":"list_databases"}' 'notion_sync {"action":"schema_history"}'; do
  # shellcheck disable=SC2086
  out=$(mcp_call $call)
  check "MCP $call on a read-only store: works" grep -q '"isError":false' <<<"$out"
done
out=$(mcp_call notion_sync '{"action":"list_databases"}')
check "MCP list_databases on a read-only store: 40 tasks" grep -q 'Engineering tasks (.*): 40 tasks' <<<"$out"
out=$(mcp_call memory_task '{"action":"add","title":"not allowed"}')
check "MCP memory_task add on a read-only store: an error" is_error <<<"$out"
check "... naming the store" grep -qF "$NVAULT_DB" <<<"$out"
out=$(mcp_call notion_sync '{"action":"sync","dryRun":true}')
check "MCP dry run on a read-only store: works" grep -q 'Would have: 0 created' <<<"$out"
after=$(cd "$T/ro" && sha256sum vault.db* | sha256sum)
check_eq "the read-only store's files are unchanged" "$before" "$after"
chmod 0755 "$T/ro"
chmod 0644 "$T/ro"/vault.db*
finish
