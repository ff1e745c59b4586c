#!/usr/bin/env bash
# bench.sh BUILD_DIR: runs every nvault benchmark against the binaries in
# BUILD_DIR (`make bench` builds build-bench in Release and calls this) and
# writes bench/RESULTS.md (a table: figure, value, unit, rows, target, date,
# machine) and bench/results.json. Takes about 5 minutes on 2 cores.
#
# Every benchmark prints its figures as lines of a tiny protocol, one per
# figure, which is all this script reads:
#
#   BENCH <figure>|<value>|<unit>|<rows>|<target, may be empty>
#
# so a new benchmark only has to print such lines and be listed below.
# A benchmark that fails (a missed target makes some exit 1) still has its
# figures recorded; the failure is noted in the table and in the exit code.
#
#   scripts/bench.sh build-bench
#   BENCH_SYNC_ROWS="10000" BENCH_ONLY=sync scripts/bench.sh build   (a subset)
#
# A subset (BENCH_ONLY or BENCH_SYNC_ROWS set) writes its RESULTS.md and
# results.json into BUILD_DIR instead, so the committed figures stay whole;
# BENCH_OUT=DIR chooses the directory explicitly.
set -uo pipefail
build=${1:?usage: bench.sh BUILD_DIR}
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$build" && pwd)
sync_rows=${BENCH_SYNC_ROWS:-10000 100000}
only=${BENCH_ONLY:-}
if [ -n "${BENCH_OUT:-}" ]; then results=$BENCH_OUT
elif [ -n "$only" ] || [ -n "${BENCH_SYNC_ROWS:-}" ]; then results=$build
else results=$src/bench; fi
out=$(mktemp -d "${TMPDIR:-/tmp}/nvault-bench-all.XXXXXX")
trap 'rm -rf "$out"' EXIT
export FAKE_NOTION=$build/fake-notion NVAULT=$build/nvault

# name | command (word-split; @B@ = build dir, @S@ = source dir)
BENCHES=(
  "sync|bash @S@/bench/bench_sync.sh @B@ $sync_rows"
  "sync_ratelimited|bash @S@/bench/bench_sync_ratelimited.sh @B@ 3000"
  "sync_latency500|bash @S@/bench/bench_sync_ratelimited.sh @B@ 3000 500"
  "sync_latency1000|bash @S@/bench/bench_sync_ratelimited.sh @B@ 3000 1000"
  "ratelimit|@B@/bench_ratelimit @B@/fake-notion"
  "store|@B@/bench_store --tasks 100000 --versions 5 --nvault @B@/nvault"
  "mcp|@B@/bench_mcp @B@/nvault 10000"
  "mcp_http|bash @S@/bench/bench_mcp_http.sh @B@ 20000"
  "daemon_soak|bash @S@/bench/bench_daemon_soak.sh @B@ 1000"
)

status=0
: >"$out/lines"
: >"$out/failed"
for b in "${BENCHES[@]}"; do
  name=${b%%|*}
  cmd=${b#*|}
  cmd=${cmd//@B@/$build}
  cmd=${cmd//@S@/$src}
  [ -n "$only" ] && [[ " $only " != *" $name "* ]] && continue
  read -r -a argv <<<"$cmd"
  if [ ! -e "${argv[0]}" ] && ! command -v "${argv[0]}" >/dev/null; then
    echo "bench: $name: ${argv[0]} not built, skipped" >&2
    echo "$name|not built" >>"$out/failed"
    continue
  fi
  echo "bench: $name: $cmd" >&2
  start=$(date +%s)
  "${argv[@]}" >"$out/$name.log" 2>&1
  rc=$?
  grep -a '^BENCH ' "$out/$name.log" | sed "s/^BENCH /$name|/" >>"$out/lines"
  grep -av '^BENCH ' "$out/$name.log" | sed "s/^/  $name: /" >&2
  echo "bench: $name: exit $rc after $(($(date +%s) - start)) s" >&2
  if [ $rc -ne 0 ]; then
    status=1
    echo "$name|exit $rc" >>"$out/failed"
  fi
done

python3 - "$out/lines" "$out/failed" "$results/RESULTS.md" "$results/results.json" <<'PY'
import datetime, json, os, platform, sys
lines, failed, md_path, json_path = sys.argv[1:]

def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"

def mem_gb():
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal:"):
                return "%.0f GB" % (int(line.split()[1]) / 1024 / 1024)
    except OSError:
        pass
    return "? GB"

date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
machine = "%s, %d cores, %s, %s %s" % (cpu_model(), os.cpu_count() or 0, mem_gb(),
                                       platform.system(), platform.release())
results = []
for line in open(lines, errors="replace"):
    parts = line.rstrip("\n").split("|")
    if len(parts) < 5:
        continue
    bench, figure, value, unit, rows = parts[:5]
    target = parts[5] if len(parts) > 5 else ""
    try:
        num = float(value)
    except ValueError:
        num = None
    results.append({"bench": bench, "figure": figure, "value": num if num is not None else value,
                    "text": value,
                    "unit": unit, "rows": int(rows) if rows.isdigit() else rows,
                    "target": target, "date": date, "machine": machine})
problems = [l.strip().split("|", 1) for l in open(failed) if l.strip()]

with open(json_path, "w") as f:
    json.dump({"date": date, "machine": machine, "results": results,
               "problems": [{"bench": b, "problem": p} for b, p in problems]}, f, indent=2)
    f.write("\n")

def cell(s):
    return str(s).replace("|", "\\|")

with open(md_path, "w") as f:
    f.write("# nvault benchmark results\n\n")
    f.write("Written by `make bench` (scripts/bench.sh); do not edit by hand. The same\n"
            "figures are in `bench/results.json`. Targets come from issue 8 and each\n"
            "benchmark's header; they are checked by reading this table.\n\n")
    f.write("Machine: %s. Date: %s.\n\n" % (machine, date))
    f.write("| figure | value | unit | rows | target | date | machine |\n")
    f.write("|---|---:|---|---:|---|---|---|\n")
    short = "%d cores" % (os.cpu_count() or 0)
    for r in results:
        f.write("| %s | %s | %s | %s | %s | %s | %s |\n" % (
            cell(r["figure"]), cell(r["text"]), cell(r["unit"]),
            "{:,}".format(r["rows"]) if isinstance(r["rows"], int) else cell(r["rows"]),
            cell(r["target"]), r["date"][:10], short))
    if problems:
        f.write("\nProblems in this run:\n\n")
        for b, p in problems:
            f.write("- `%s`: %s\n" % (b, p))
print("bench: %d figures written to %s and %s" % (len(results), md_path, json_path))
PY
exit $status
