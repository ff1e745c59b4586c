#!/usr/bin/env bash
# bench_sync.sh: wall time and peak RSS of nvault sync against the fake
# Notion server with rate limiting off: a first sync of 10,000 and of
# 100,000 rows, then a no-change re-sync of each (requests made, versions
# written, bytes written to disk, store size), then the growth of the store
# per one-field edit (EDITS pages get a new Estimate, then a sync). Prints a
# Markdown table, one JSON line per figure and, for scripts/bench.sh,
# `BENCH figure|value|unit|rows|target` lines. Requests are counted twice: by
# nvault (evidence) and in the fake's request log. Bytes written are the
# kernel's count of blocks the process wrote to storage (/usr/bin/time's
# "File system outputs", 512-byte units: WAL, checkpoints and fsync'd pages).
#
#   bench/bench_sync.sh [BUILD_DIR] [ROWS...]     (default: build, 10000 100000)
#   BENCH_EDITS=N: pages edited for the growth figure (default 1000)
#
# Needs /usr/bin/time (Debian package `time`), sqlite3 and python3.
set -eu
BUILD=${1:-build}
shift || true
ROWS=("$@")
EDITS=${BENCH_EDITS:-1000}
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
  local label=$1 rows=$2 v0 v1 wall rss req fake_req cpu wmb size
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
  wmb=$(awk -F': ' '/File system outputs/ {printf "%.1f", $2 * 512 / 1048576}' "$T/time.txt")
  size=$(store_mb)
  req=$(sqlite3 "$NVAULT_DB" "select json_extract(metadata, '\$.requests') from evidence order by seq desc limit 1")
  fake_req=$(curl -sS "$NOTION_API_BASE_URL/_control/log" |
    python3 -c 'import json,sys; print(sum(r["path"].startswith("/v1/") for r in json.load(sys.stdin)["requests"]))')
  printf '| %-18s | %7s | %8.2f s | %7.2f s | %8.0f rows/s | %6s MB | %6s | %8s | %8s MB | %7s MB |\n' "$label" "$rows" \
    "$wall" "$cpu" "$(awk "BEGIN {print $rows / ($wall > 0 ? $wall : 0.001)}")" "$rss" "$req" "$((v1 - v0))" "$wmb" "$size"
  printf '{"figure":"%s","rows":%s,"wall_s":%s,"cpu_s":%s,"peak_rss_mb":%s,"requests":%s,"versions_written":%s,"written_mb":%s,"store_mb":%s}\n' \
    "$label" "$rows" "$wall" "$cpu" "$rss" "$req" "$((v1 - v0))" "$wmb" "$size" >>"$T/results.jsonl"
  if [ "$label" = "first sync" ]; then
    bench_line "full sync (no rate limit): throughput" \
      "$(awk "BEGIN {printf \"%.0f\", $rows / ($wall > 0 ? $wall : 0.001)}")" rows/s "$rows" ">= 20000"
    bench_line "full sync (no rate limit): wall time" "$wall" s "$rows" ""
    bench_line "full sync (no rate limit): nvault CPU time" "$cpu" s "$rows" ""
    bench_line "full sync (no rate limit): nvault CPU per row" \
      "$(awk "BEGIN {printf \"%.0f\", $cpu * 1e6 / $rows}")" us "$rows" "<= 150"
    bench_line "full sync (no rate limit): peak RSS" "$rss" MB "$rows" "< 64, flat 10k to 100k"
    bench_line "full sync (no rate limit): requests (fake's log)" "$fake_req" requests "$rows" ""
    bench_line "full sync (no rate limit): bytes written" "$wmb" MB "$rows" ""
    bench_line "full sync (no rate limit): store size" "$size" MB "$rows" ""
  else
    bench_line "no-change re-sync: wall time" "$wall" s "$rows" ""
    bench_line "no-change re-sync: nvault CPU time" "$cpu" s "$rows" ""
    bench_line "no-change re-sync: peak RSS" "$rss" MB "$rows" ""
    bench_line "no-change re-sync: requests (fake's log)" "$fake_req" requests "$rows" ""
    bench_line "no-change re-sync: requests (evidence)" "$req" requests "$rows" ""
    bench_line "no-change re-sync: versions written" "$((v1 - v0))" versions "$rows" "0"
    bench_line "no-change re-sync: bytes written" "$wmb" MB "$rows" ""
  fi
}

# store_mb: bytes in use in the store (pages minus free pages), after a checkpoint
store_mb() {
  sqlite3 "$NVAULT_DB" "pragma wal_checkpoint(truncate)" >/dev/null
  sqlite3 "$NVAULT_DB" "select printf('%.1f', (p.page_count - f.freelist_count) * s.page_size / 1048576.0)
    from pragma_page_count p, pragma_freelist_count f, pragma_page_size s"
}

# edit_growth ROWS: EDITS pages get one new property value, then one sync;
# prints the growth of the store per edited page
edit_growth() {
  local rows=$1 before after ds ids
  ds=$(sqlite3 "$NVAULT_DB" "select notion_data_source_id from tasks limit 1")
  ids=$(curl -sS "$NOTION_API_BASE_URL/_control/pages?data_source_id=$ds" |
    python3 -c 'import json,sys; [print(p["id"]) for p in json.load(sys.stdin)["pages"][:'"$EDITS"']]')
  before=$(sqlite3 "$NVAULT_DB" "pragma wal_checkpoint(truncate)" >/dev/null;
    sqlite3 "$NVAULT_DB" "select (p.page_count - f.freelist_count) * s.page_size from pragma_page_count p, pragma_freelist_count f, pragma_page_size s")
  local i=0
  for id in $ids; do
    i=$((i + 1))
    curl -sS -X PATCH "$NOTION_API_BASE_URL/_control/pages/$id" -d "{\"set\": {\"Estimate\": $((i + 1000))}}" >/dev/null
  done
  "$NVAULT" sync >/dev/null 2>"$T/sync.err" ||
    { echo "bench_sync: sync failed:" >&2; cat "$T/sync.err" >&2; exit 1; }
  sqlite3 "$NVAULT_DB" "pragma wal_checkpoint(truncate)" >/dev/null
  after=$(sqlite3 "$NVAULT_DB" "select (p.page_count - f.freelist_count) * s.page_size from pragma_page_count p, pragma_freelist_count f, pragma_page_size s")
  local per=$(( (after - before) / i ))
  echo "growth per one-field edit ($i pages edited, $rows rows): $per bytes"
  printf '{"figure":"one-field edit","rows":%s,"edits":%s,"growth_bytes_per_edit":%s}\n' "$rows" "$i" "$per" >>"$T/results.jsonl"
  bench_line "one-field edit: store growth per edited page" "$per" bytes "$rows" "<= 1024"
}

# bench_line FIGURE VALUE UNIT ROWS TARGET: one line for scripts/bench.sh
bench_line() { printf 'BENCH %s|%s|%s|%s|%s\n' "$@" >>"$T/bench.txt"; }

echo "| figure             |    rows |       wall | nvault CPU |       throughput | peak RSS | requests | versions |    written |     store |"
echo "|--------------------|---------|------------|------------|------------------|----------|----------|----------|------------|-----------|"
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
  edit_growth "$n"
  kill "$FAKE_PID"; wait "$FAKE_PID" 2>/dev/null || true; FAKE_PID=""
  rm -f "$T"/vault-"$n".db*
done
echo
cat "$T/results.jsonl"
cat "$T/bench.txt"
