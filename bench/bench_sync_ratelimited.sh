#!/usr/bin/env bash
# bench_sync_ratelimited.sh: does a real sync stay under Notion's rate limit
# without wasting time? The fake Notion server enforces 3 requests/s (429 +
# Retry-After beyond that) and nvault syncs ROWS rows at its default client
# rate (3 req/s, NVAULT_RATE_LIMIT unset). Reports the wall time against the
# floor of requests / 3 s (target: within 5%) and the 429 answers in the
# fake's request log (target: 0). Prints `BENCH figure|value|unit|rows|target`
# lines (scripts/bench.sh collects them) after a human summary on stderr.
#
# LATENCY_MS (default 0) makes the fake answer every request that much later
# (Notion takes 0.3-1 s for a query of 100 rows with many properties): the
# sync then stays at the floor only if it overlaps its requests.
#
#   bench/bench_sync_ratelimited.sh [BUILD_DIR] [ROWS] [LATENCY_MS]
#                                               (default: build, 3000, 0)
set -eu
BUILD=${1:-build}
ROWS=${2:-3000}
LATENCY=${3:-0}
RATE=3
NVAULT=$(cd "$BUILD" && pwd)/nvault
FAKE=$(cd "$BUILD" && pwd)/fake-notion
[ -x "$NVAULT" ] && [ -x "$FAKE" ] || { echo "bench_sync_ratelimited: build $BUILD first" >&2; exit 2; }
command -v sqlite3 >/dev/null && command -v curl >/dev/null ||
  { echo "bench_sync_ratelimited: needs sqlite3 and curl" >&2; exit 2; }

T=$(mktemp -d "${TMPDIR:-/tmp}/nvault-bench.XXXXXX")
FAKE_PID=""
cleanup() { [ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
unset NVAULT_RATE_LIMIT
export NOTION_API_KEY=ntn_bench_token NVAULT_DB=$T/vault.db
export AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH=$T/config.json
cat >"$AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH" <<'JSON'
{"databases": [{"notionDatabaseId": "1a2b3c4d-5e6f-47a8-b9c0-d1e2f3a4b5c6", "name": "Engineering tasks",
  "projectScopeId": "bench", "fieldMappings": {"Name": "title", "Notes": "description",
  "Status": "status", "Due": "dueDate", "Tags": "tags"}}]}
JSON

"$FAKE" --port 0 --port-file "$T/port" --rows "$ROWS" --seed 1 --rate "$RATE" --latency-ms "$LATENCY" >"$T/fake.log" 2>&1 &
FAKE_PID=$!
for _ in $(seq 1 200); do [ -s "$T/port" ] && break; sleep 0.05; done
[ -s "$T/port" ] || { echo "bench_sync_ratelimited: fake-notion did not start" >&2; cat "$T/fake.log" >&2; exit 1; }
export NOTION_API_BASE_URL=http://127.0.0.1:$(cat "$T/port")

t0=$(date +%s.%N)
"$NVAULT" sync >"$T/sync.out" 2>"$T/sync.err" ||
  { echo "bench_sync_ratelimited: sync failed:" >&2; cat "$T/sync.err" >&2; exit 1; }
t1=$(date +%s.%N)
curl -sS "$NOTION_API_BASE_URL/_control/log" >"$T/log.json"
[ -n "${BENCH_KEEP_LOG:-}" ] && cp "$T/log.json" "$BENCH_KEEP_LOG"
tasks=$(sqlite3 "$NVAULT_DB" "select count(*) from tasks")
ev_requests=$(sqlite3 "$NVAULT_DB" "select json_extract(metadata, '\$.requests') from evidence order by seq desc limit 1")

python3 - "$T/log.json" "$t0" "$t1" "$ROWS" "$RATE" "$tasks" "$ev_requests" "$LATENCY" <<'PY'
import json, sys
log, t0, t1, rows, rate, tasks, ev_requests, latency = sys.argv[1:]
label = "rate-limited full sync (3 req/s%s)" % (", %s ms latency" % latency if int(latency) else "")
reqs = [r for r in json.load(open(log))["requests"] if r["path"].startswith("/v1/")]
n, n429 = len(reqs), sum(1 for r in reqs if r["status"] == 429)
kinds = {}
for r in reqs:
    p = r["path"]
    k = "query" if p.endswith("/query") else "property" if "/properties/" in p else p.split("/")[2]
    kinds[k] = kinds.get(k, 0) + 1
wall = float(t1) - float(t0)
floor = n / float(rate)
over = (wall / floor - 1) * 100 if floor else 0
sys.stderr.write("bench_sync_ratelimited: %s rows (%s tasks stored), %d requests in the fake's log "
                 "(%s in evidence), %d x 429; wall %.2f s vs floor %.2f s: %+.1f%%\n"
                 % (rows, tasks, n, ev_requests, n429, wall, floor, over))
sys.stderr.write("bench_sync_ratelimited: requests by kind: %s\n"
                 % ", ".join("%s %d" % kv for kv in sorted(kinds.items())))
for figure, value, unit, target in [
        (label + ": wall time", "%.2f" % wall, "s", "<= floor + 5%"),
        (label + ": floor, requests / 3", "%.2f" % floor, "s", ""),
        (label + ": over the floor", "%+.1f" % over, "%", "<= +10%" if int(latency) else "<= +5%"),
        (label + ": requests", str(n), "requests", ""),
        (label + ": 429 answers", str(n429), "answers", "0")]:
    print("BENCH %s|%s|%s|%s|%s" % (figure, value, unit, rows, target))
if int(tasks) != int(rows):
    sys.exit("bench_sync_ratelimited: only %s of %s rows stored" % (tasks, rows))
PY
