#!/usr/bin/env bash
# bench_daily_requests.sh: the Notion requests of a no-change daily sync
# (SPEC §4, issue 14's target: unchanged by filter_properties, schema
# history and tokenEnv). A first sync of ROWS rows, the fake's clock moved
# one day, then a plain sync with nothing changed in Notion: its requests,
# by endpoint, from the fake's request log, for each API version given.
# Counts, not timings, so the shared machine's load does not matter.
#
#   bench/bench_daily_requests.sh [BUILD_DIR] [ROWS] [VERSION...]
#       (default: build, 10000, 2026-12-01 2025-09-03)
set -eu
BUILD=${1:-build}
ROWS=${2:-10000}
shift 2 2>/dev/null || shift $# 2>/dev/null || true
VERSIONS=("$@")
[ ${#VERSIONS[@]} -eq 0 ] && VERSIONS=(2026-12-01 2025-09-03)
NVAULT=$(cd "$BUILD" && pwd)/nvault
FAKE=$(cd "$BUILD" && pwd)/fake-notion
[ -x "$NVAULT" ] && [ -x "$FAKE" ] || { echo "bench_daily_requests: build $BUILD first" >&2; exit 2; }

T=$(mktemp -d "${TMPDIR:-/tmp}/nvault-bench.XXXXXX")
FAKE_PID=""
cleanup() { [ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
export NVAULT_RATE_LIMIT=0 NOTION_API_KEY=ntn_bench_token
export AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH=$T/config.json

for v in "${VERSIONS[@]}"; do
  cat >"$AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH" <<JSON
{"notionVersion": "$v", "databases": [{"notionDatabaseId": "1a2b3c4d-5e6f-47a8-b9c0-d1e2f3a4b5c6",
  "name": "Engineering tasks", "projectScopeId": "bench", "fieldMappings": {"Name": "title",
  "Notes": "description", "Status": "status", "Due": "dueDate", "Tags": "tags"}}]}
JSON
  rm -f "$T/port"
  "$FAKE" --port 0 --port-file "$T/port" --rows "$ROWS" --seed 1 >"$T/fake.log" 2>&1 &
  FAKE_PID=$!
  for _ in $(seq 1 600); do [ -s "$T/port" ] && break; sleep 0.05; done
  export NOTION_API_BASE_URL="http://127.0.0.1:$(cat "$T/port")"
  export NVAULT_DB="$T/vault-$v.db"
  "$NVAULT" sync >/dev/null 2>"$T/err" || { cat "$T/err" >&2; exit 1; }
  curl -sS -X POST "$NOTION_API_BASE_URL/_control/clock" -d '{"advance_ms": 86400000}' >/dev/null
  curl -sS -X DELETE "$NOTION_API_BASE_URL/_control/log" >/dev/null
  "$NVAULT" sync >/dev/null 2>"$T/err" || { cat "$T/err" >&2; exit 1; }
  curl -sS "$NOTION_API_BASE_URL/_control/log" >"$T/log.json"
  python3 - "$T/log.json" "$v" "$ROWS" <<'PY'
import json, sys, collections
log = json.load(open(sys.argv[1]))["requests"]
v, rows = sys.argv[2], sys.argv[3]
kinds = collections.Counter()
for r in log:
    p = r["path"]
    kinds["query" if p.endswith("/query") else "data source" if "/data_sources/" in p else
          "database" if "/databases/" in p else "page property" if "/properties/" in p else "other"] += 1
print("%s: %d requests (%s)" % (v, len(log), ", ".join("%s %d" % kv for kv in sorted(kinds.items()))))
print("BENCH no-change daily sync requests (%s)|%d|requests|%s|unchanged" % (v, len(log), rows))
PY
  kill "$FAKE_PID" 2>/dev/null; wait "$FAKE_PID" 2>/dev/null || true; FAKE_PID=""
done
