#!/usr/bin/env bash
# bench_sync.sh: wall time and peak RSS of nvault sync against the fake
# Notion server with rate limiting off: a first sync of 10,000 and of
# 100,000 rows, then a no-change re-sync of each (requests made, versions
# written). Prints a Markdown table, one JSON line per figure and, for
# scripts/bench.sh, `BENCH figure|value|unit|rows|target` lines. Requests are
# counted twice: by nvault (evidence) and in the fake's request log.
#
#   bench/bench_sync.sh [BUILD_DIR] [ROWS...]     (default: build, 10000 100000)
#
# Needs /usr/bin/time (Debian package `time`), sqlite3 and python3.
set -eu
BUILD=${1:-build}
shift || true
ROWS=("$@")
[ ${#ROWS[@]} -eq 0 ] && ROWS=(10000 100000)
NVAULT=$(cd "$BUILD" && pwd)/nvault
FAKE=$(cd "$BUILD" && pwd)/fake-notion
[ -x /usr/bin/time ] || { echo "bench_sync: /usr/bin/time missing (apt-get install time)" >&2; exit 2; }
[ -x "$NVAULT" ] && [ -x "$FAKE" ] || { echo "bench_sync: build $BUILD first" >&2; exit 2; }

T=$(mktemp -d "${TMPDIR:-/tmp}/nvault-bench.XXXXXX")
FAKE_PID=""
cleanup() { [ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
export NVAULT_RATE_LIMIT=0 NOTION_API_KEY=ntn_bench_token
export AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH=$T/config.json
cat >"$AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH" <<'JSON'
{"databases": [{"notionDatabaseId": "1a2b3c4d-5e6f-47a8-b9c0-d1e2f3a4b5c6", "name": "Engineering tasks",
  "projectScopeId": "bench", "fieldMappings": {"Name": "title", "Notes": "description",
  "Status": "status", "Due": "dueDate", "Tags": "tags"}}]}
JSON

# measure LABEL ROWS: one timed sync; prints a table row and a JSON line
measure() {
  local label=$1 rows=$2 v0 v1 wall rss req fake_req cpu
  v0=$(sqlite3 "$NVAULT_DB" "select count(*) from task_versions" 2>/dev/null || echo 0)
  curl -sS -X DELETE "$NOTION_API_BASE_URL/_control/log" >/dev/null
  /usr/bin/time -v -o "$T/time.txt" "$NVAULT" sync >/dev/null 2>"$T/sync.err" ||
    { echo "bench_sync: sync failed:" >&2; cat "$T/sync.err" >&2; exit 1; }
  v1=$(sqlite3 "$NVAULT_DB" "select count(*) from task_versions")
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s}' "$T/time.txt")
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2 / 1024}' "$T/time.txt")
  # nvault's own CPU time (user + system): the rest of the wall time is spent
  # waiting for the fake server and the disk
  cpu=$(awk -F': ' '/User time|System time/ {s += $2} END {printf "%.2f", s}' "$T/time.txt")
  req=$(sqlite3 "$NVAULT_DB" "select json_extract(metadata, '\$.requests') from evidence order by seq desc limit 1")
  fake_req=$(curl -sS "$NOTION_API_BASE_URL/_control/log" |
    python3 -c 'import json,sys; print(sum(r["path"].startswith("/v1/") for r in json.load(sys.stdin)["requests"]))')
  printf '| %-18s | %7s | %8.2f s | %7.2f s | %8.0f rows/s | %6s MB | %6s | %8s |\n' "$label" "$rows" \
    "$wall" "$cpu" "$(awk "BEGIN {print $rows / ($wall > 0 ? $wall : 0.001)}")" "$rss" "$req" "$((v1 - v0))"
  printf '{"figure":"%s","rows":%s,"wall_s":%s,"cpu_s":%s,"peak_rss_mb":%s,"requests":%s,"versions_written":%s}\n' \
    "$label" "$rows" "$wall" "$cpu" "$rss" "$req" "$((v1 - v0))" >>"$T/results.jsonl"
  if [ "$label" = "first sync" ]; then
    bench_line "full sync (no rate limit): throughput" \
      "$(awk "BEGIN {printf \"%.0f\", $rows / ($wall > 0 ? $wall : 0.001)}")" rows/s "$rows" ">= 20000"
    bench_line "full sync (no rate limit): wall time" "$wall" s "$rows" ""
    bench_line "full sync (no rate limit): nvault CPU time" "$cpu" s "$rows" ""
    bench_line "full sync (no rate limit): nvault CPU per row" \
      "$(awk "BEGIN {printf \"%.0f\", $cpu * 1e6 / $rows}")" us "$rows" "<= 150"
    bench_line "full sync (no rate limit): peak RSS" "$rss" MB "$rows" "< 64, flat 10k to 100k"
    bench_line "full sync (no rate limit): requests (fake's log)" "$fake_req" requests "$rows" ""
  else
    bench_line "no-change re-sync: wall time" "$wall" s "$rows" ""
    bench_line "no-change re-sync: nvault CPU time" "$cpu" s "$rows" ""
    bench_line "no-change re-sync: peak RSS" "$rss" MB "$rows" ""
    bench_line "no-change re-sync: requests (fake's log)" "$fake_req" requests "$rows" ""
    bench_line "no-change re-sync: requests (evidence)" "$req" requests "$rows" ""
    bench_line "no-change re-sync: versions written" "$((v1 - v0))" versions "$rows" "0"
  fi
}

# bench_line FIGURE VALUE UNIT ROWS TARGET: one line for scripts/bench.sh
bench_line() { printf 'BENCH %s|%s|%s|%s|%s\n' "$@" >>"$T/bench.txt"; }

echo "| figure             |    rows |       wall | nvault CPU |       throughput | peak RSS | requests | versions |"
echo "|--------------------|---------|------------|------------|------------------|----------|----------|----------|"
for n in "${ROWS[@]}"; do
  rm -f "$T/port"
  "$FAKE" --port 0 --port-file "$T/port" --rows "$n" --seed 1 >"$T/fake.log" 2>&1 &
  FAKE_PID=$!
  for _ in $(seq 1 600); do [ -s "$T/port" ] && break; sleep 0.05; done
  [ -s "$T/port" ] || { echo "bench_sync: fake-notion did not start" >&2; cat "$T/fake.log" >&2; exit 1; }
  export NOTION_API_BASE_URL=http://127.0.0.1:$(cat "$T/port")
  export NVAULT_DB=$T/vault-$n.db
  measure "first sync" "$n"
  measure "no-change re-sync" "$n"
  kill "$FAKE_PID"; wait "$FAKE_PID" 2>/dev/null || true; FAKE_PID=""
  rm -f "$T"/vault-"$n".db*
done
echo
cat "$T/results.jsonl"
cat "$T/bench.txt"
