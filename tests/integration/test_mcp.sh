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

finish
