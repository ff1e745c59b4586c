#!/usr/bin/env bash
# test_mcp.sh: protocol tests of `nvault mcp`. Each scenario file in
# tests/integration/mcp/*.jsonl (one per flow: handshake and version
# negotiation, every memory_task action, errors, notion_sync against the
# fake Notion server, cancellation) is piped into the real binary by
# mcp_check.py, which checks every reply. Each scenario gets a fresh store.
source "$(dirname "$0")/lib.sh"

HERE=$(cd "$(dirname "$0")" && pwd)
for scenario in "$HERE"/mcp/*.jsonl; do
  name=$(basename "$scenario" .jsonl)
  mkdir -p "$T/$name"
  export NVAULT_DB="$T/$name/vault.db"
  export AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH="$T/$name/notion-sync.config.json"
  check "mcp scenario $name" python3 "$HERE/mcp_check.py" "$NVAULT" "$scenario" "$T/$name"
done

# Stdout carries protocol messages only: even -v logging goes to stderr.
export NVAULT_DB="$T/log/vault.db"
mkdir -p "$T/log"
out=$(printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"ping"}' | nv -v mcp 2>"$T/log/stderr")
check_eq "stdout has only the reply with -v" '{"jsonrpc":"2.0","id":1,"result":{}}' "$out"
check "diagnostics went to stderr" grep -q "mcp:" "$T/log/stderr"

# A daemon that died without cleaning up (kill -9) is not reported as
# running: the status action checks the recorded pid like `nvault status`.
nv task add --title "make the store" >/dev/null
sqlite3 "$NVAULT_DB" "INSERT OR REPLACE INTO scheduler_state (id, enabled, running, pid, schedule)
  VALUES (1, 1, 1, 2147483646, '0 5 * * *')"
out=$(printf '%s\n' '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}' '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"notion_sync","arguments":{"action":"status"}}}' | nv mcp 2>/dev/null | tail -1)
check_eq "status: a dead daemon's pid is not running" "False" \
  "$(jget "$out" "d['result']['structuredContent']['scheduler']['daemonRunning']")"
check_eq "status: the recorded schedule is shown" "0 5 * * *" \
  "$(jget "$out" "d['result']['structuredContent']['scheduler']['schedule']")"

# SIGTERM during a sync: the run stops after its current transaction, is
# answered and recorded as interrupted, and the server exits 0.
fake_start --rows 400 --seed 9
mkdir -p "$T/term"
export NVAULT_DB="$T/term/vault.db"
export AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH="$T/term/notion-sync.config.json"
echo '{"databases": [{"notionDatabaseId": "1a2b3c4d5e6f47a8b9c0d1e2f3a4b5c6", "name": "Eng"}]}' \
  >"$AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH"
mkfifo "$T/term/in"
NVAULT_RATE_LIMIT=3 "$NVAULT" mcp <"$T/term/in" >"$T/term/out" 2>"$T/term/err" &
mcp_pid=$!
exec 7>"$T/term/in"
echo '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}' >&7
echo '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"notion_sync","arguments":{"action":"sync"}}}' >&7
# until the run has begun (its run id recorded): a count, not a time, so a loaded machine waits longer
for _ in $(seq 1 600); do
  [ "$(sqlite3 "$NVAULT_DB" "SELECT count(*) FROM sync_state WHERE run_id IS NOT NULL" 2>/dev/null)" = 1 ] && break
  sleep 0.05
done
kill -TERM "$mcp_pid"
rc=0
wait "$mcp_pid" || rc=$?
exec 7>&-
check_eq "SIGTERM during a sync: exit 0" 0 "$rc"
check "the sync was answered as an error" grep -q '"isError":true' "$T/term/out"
check "saying it was interrupted" grep -q 'sync interrupted' "$T/term/out"
check "the interrupted sync is answered once" test "$(grep -c '"id":1' "$T/term/out")" = 1
check "evidence records the run as interrupted" \
  python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if [e["status"] for e in d["evidence"]] == ["interrupted"] else 1)' \
  < <(nv --json evidence)

# End of input during a sync: the client is gone, so the run stops after
# its current transaction, is recorded as interrupted, and the server exits 0.
mkdir -p "$T/eof"
export NVAULT_DB="$T/eof/vault.db"
mkfifo "$T/eof/in"
NVAULT_RATE_LIMIT=1 "$NVAULT" -v mcp <"$T/eof/in" >"$T/eof/out" 2>"$T/eof/err" &
mcp_pid=$!
exec 7>"$T/eof/in"
echo '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}' >&7
echo '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"notion_sync","arguments":{"action":"sync"}}}' >&7
for _ in $(seq 1 200); do
  [ "$(sqlite3 "$NVAULT_DB" "SELECT count(*) FROM sync_state WHERE run_id IS NOT NULL" 2>/dev/null)" = 1 ] && break
  sleep 0.05
done
exec 7>&-
rc=0
wait "$mcp_pid" || rc=$?
check_eq "EOF during a sync: exit 0" 0 "$rc"
check "EOF during a sync: the client went away is logged" grep -q "client went away" "$T/eof/err"
check "EOF during a sync: answered (if anyone still reads) as interrupted" grep -q 'sync interrupted' "$T/eof/out"
check "evidence records the EOF-stopped run as interrupted" \
  python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if [e["status"] for e in d["evidence"]] == ["interrupted"] else 1)' \
  < <(nv --json evidence)

finish
