# lib.sh: shared helpers for integration tests (sourced, not run).
# Each test runs the real nvault binary ($NVAULT) against the real fake Notion
# server ($FAKE_NOTION) in a private temp dir, on a port the server picks.
#
#   source "$(dirname "$0")/lib.sh"
#   fake_start --rows 100 --seed 1      # sets FAKE_URL, FAKE_PID
#   nv sync                             # runs $NVAULT with --db in the temp dir
#   check "sync created 100 tasks" test "$(nv --json task list | jq ...)" = ...
#   finish                              # prints 'N passed, M failed', exits
set -u
# Debian's python3 (the one python3-jsonschema installs into) ahead of any
# version manager's shim on PATH: a shim starts a shell per call, the suite
# makes thousands of calls, and on a loaded machine that was 13x the cost.
PATH=/usr/bin:$PATH
: "${NVAULT:?NVAULT must point to the nvault binary}"
: "${FAKE_NOTION:=}"
NV_SRC_DIR=${NV_SRC_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
T=$(mktemp -d "${TMPDIR:-/tmp}/nvault-it.XXXXXX")
export NVAULT_DB="$T/vault.db"
export XDG_DATA_HOME="$T/xdg"
export XDG_CONFIG_HOME="$T/xdg-config"
export AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH="$T/notion-sync.config.json"
export NOTION_API_KEY="ntn_test_token_0123456789"
unset NOTION_API_BASE_URL AGENT_MEMORY_NOTION_SYNC_ENABLED AGENT_MEMORY_NOTION_SYNC_SCHEDULE
PASSED=0
FAILED=0
FAKE_PID=""
FAKE_URL=""

cleanup() {
  [ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null && wait "$FAKE_PID" 2>/dev/null
  if [ "$FAILED" -eq 0 ]; then rm -rf "$T"; else echo "kept $T for inspection" >&2; fi
}
trap cleanup EXIT

# nv ARGS...: runs nvault; stdout/stderr as usual.
nv() { "$NVAULT" "$@"; }

# check DESCRIPTION COMMAND...: runs COMMAND; counts and reports the result.
check() {
  local what=$1; shift
  if "$@"; then PASSED=$((PASSED + 1)); echo "ok - $what"
  else FAILED=$((FAILED + 1)); echo "FAIL - $what" >&2; fi
}

# check_eq DESCRIPTION EXPECTED ACTUAL
check_eq() {
  if [ "$2" == "$3" ]; then PASSED=$((PASSED + 1)); echo "ok - $1"
  else FAILED=$((FAILED + 1)); echo "FAIL - $1: expected '$2', got '$3'" >&2; fi
}

# fake_start ARGS...: starts the fake Notion server on a free loopback port.
fake_start() {
  : "${FAKE_NOTION:?FAKE_NOTION must point to the fake-notion binary}"
  rm -f "$T/fake.port"
  "$FAKE_NOTION" --port 0 --port-file "$T/fake.port" "$@" >"$T/fake.log" 2>&1 &
  FAKE_PID=$!
  for _ in $(seq 1 100); do
    [ -s "$T/fake.port" ] && break
    sleep 0.05
  done
  [ -s "$T/fake.port" ] || { echo "fake-notion did not start:" >&2; cat "$T/fake.log" >&2; exit 1; }
  FAKE_URL="http://127.0.0.1:$(cat "$T/fake.port")"
  export NOTION_API_BASE_URL="$FAKE_URL"
}

# jget JSON PYTHON-EXPR: evaluates an expression over parsed JSON `d` (python3).
jget() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"; }

# mcp_e2e_setup: installs the official MCP SDK (tests/mcp-e2e, pinned by its
# package-lock.json) into $NV_BUILD_DIR/mcp-e2e once, under a lock so tests
# running in parallel share one install; copies the client scripts there and
# sets E2E to that directory.
mcp_e2e_setup() {
  local tool src="$NV_SRC_DIR/tests/mcp-e2e"
  for tool in node npm flock; do
    command -v "$tool" >/dev/null || { echo "$tool is required for this test (make deps installs nodejs and npm)" >&2; exit 1; }
  done
  E2E="${NV_BUILD_DIR:-$T}/mcp-e2e"
  mkdir -p "$E2E"
  (
    flock 9
    if ! cmp -s "$src/package-lock.json" "$E2E/package-lock.json" || [ ! -d "$E2E/node_modules/@modelcontextprotocol/sdk" ]; then
      cp "$src/package.json" "$src/package-lock.json" "$E2E/"
      (cd "$E2E" && npm ci --no-audit --no-fund --loglevel=error >"$T/npm.log" 2>&1) || {
        echo "npm ci failed:" >&2; cat "$T/npm.log" >&2; exit 1; }
    fi
    cp "$src"/*.mjs "$E2E/"
  ) 9>"$E2E.lock" || exit 1
}

finish() {
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
}
