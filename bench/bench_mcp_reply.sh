#!/usr/bin/env bash
# bench_mcp_reply.sh: bytes of the MCP replies agents get most often, on a
# store synced from the fake Notion server (ROWS rows, default 3000): a
# default memory_task list (50 tasks), a 10-hit memory_task search, the
# same through task_search when the binary has it, and a list over four
# tasks with 1.5 MB descriptions. Sizes are of the whole JSON-RPC line.
# Deterministic (not timing), so the shared machine does not disturb them.
#
#   bench/bench_mcp_reply.sh [BUILD_DIR] [ROWS]
set -eu
BUILD=${1:-build}
ROWS=${2:-3000}
NVAULT=${NVAULT:-$(cd "$BUILD" && pwd)/nvault}
FAKE=${FAKE:-$(cd "$BUILD" && pwd)/fake-notion}
[ -x "$NVAULT" ] && [ -x "$FAKE" ] || { echo "bench_mcp_reply: build $BUILD first" >&2; exit 2; }

T=$(mktemp -d "${TMPDIR:-/tmp}/nvault-bench.XXXXXX")
FAKE_PID=""
cleanup() { [ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
export NVAULT_RATE_LIMIT=0 NOTION_API_KEY=ntn_bench_token NVAULT_DB=$T/vault.db
export AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH=$T/config.json
echo '{"databases": [{"notionDatabaseId": "1a2b3c4d-5e6f-47a8-b9c0-d1e2f3a4b5c6", "name": "Eng"}]}' \
  >"$AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH"
"$FAKE" --port 0 --port-file "$T/port" --rows "$ROWS" --seed 5 >"$T/fake.log" 2>&1 &
FAKE_PID=$!
for _ in $(seq 1 100); do [ -s "$T/port" ] && break; sleep 0.05; done
export NOTION_API_BASE_URL="http://127.0.0.1:$(cat "$T/port")"
"$NVAULT" -q sync >/dev/null

# reply_bytes ARGS-JSON TOOL: size of the reply line to one tools/call
reply_bytes() {
  printf '%s\n%s\n' \
    '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}' \
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"$2\",\"arguments\":$1}}" |
    "$NVAULT" -q mcp | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("id") == 1:
        r = m["result"]
        n = len((r.get("structuredContent") or {}).get("tasks") or [])
        print(len(line.encode()), n, "error" if r.get("isError") else "ok")'
}

INIT='{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}'

emit() { # FIGURE ARGS TOOL
  read -r bytes n status < <(reply_bytes "$2" "$3")
  echo "BENCH $1|$bytes|bytes|$ROWS|tasks=$n $status"
}
emit "memory_task list default" '{"action":"list"}' memory_task
emit "memory_task search 10 hits" '{"action":"search","query":"review","limit":10}' memory_task
# (a session starts with initialize: requests before it are refused)
if printf '%s\n%s\n' "$INIT" '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' | "$NVAULT" -q mcp | grep -q '"task_search"'; then
  emit "task_search 10 hits" '{"query":"review","limit":10}' task_search
  emit "task_search default list" '{}' task_search
fi

# Four tasks with 1.5 MB descriptions in a fresh store.
export NVAULT_DB=$T/big.db
python3 -c '
import json, sys
print(sys.argv[1])
for i in range(1, 5):
    print(json.dumps({"jsonrpc": "2.0", "id": i, "method": "tools/call", "params": {"name": "memory_task",
          "arguments": {"action": "add", "title": "big %d" % i, "description": "x" * 1500000}}}))' "$INIT" |
  "$NVAULT" -q mcp >/dev/null
emit "memory_task list 4 x 1.5 MB" '{"action":"list"}' memory_task
