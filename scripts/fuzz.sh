#!/usr/bin/env bash
# fuzz.sh BUILD_DIR SECONDS [TARGET...]: runs each libFuzzer target built in
# BUILD_DIR (cmake -DNVAULT_FUZZ=ON, CC=clang; `make fuzz` does both) for
# SECONDS, one after the other, at low priority (nice 10). Seeds come from
# fuzz/corpus/<target>/ (read only); new inputs go to fuzz/corpus-<target>/
# (not committed); crashes to BUILD_DIR/fuzz-artifacts/. Prints executions
# and coverage per target; fuzz/<target>.options adds libFuzzer flags
# (one per line). Exit 1 if any target crashed: turn the crash
# input into a seed in fuzz/corpus/<target>/ once fixed, so ctest replays it.
set -uo pipefail
build=${1:?usage: fuzz.sh BUILD_DIR SECONDS [TARGET...]}
seconds=${2:?usage: fuzz.sh BUILD_DIR SECONDS [TARGET...]}
shift 2
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$build" && pwd)
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in "$src"/fuzz/fuzz_*.c; do targets+=("$(basename "$f" .c)"); done
fi
mkdir -p "$build/fuzz-artifacts"
status=0
summary=()
for t in "${targets[@]}"; do
  bin="$build/$t"
  if [ ! -x "$bin" ]; then
    echo "fuzz: $bin not built (configure with -DNVAULT_FUZZ=ON and CC=clang)" >&2
    status=1; continue
  fi
  work="$src/fuzz/corpus-$t"
  mkdir -p "$work"
  args=(-max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$build/fuzz-artifacts/$t-")
  [ -f "$src/fuzz/$t.dict" ] && args+=(-dict="$src/fuzz/$t.dict")
  # fuzz/<target>.options: extra libFuzzer flags, one per line
  [ -f "$src/fuzz/$t.options" ] && mapfile -t -O ${#args[@]} args < <(grep -v '^#' "$src/fuzz/$t.options")
  log="$build/fuzz-artifacts/$t.log"
  echo "fuzz: $t for ${seconds}s (log: $log)" >&2
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
    nice -n 10 "$bin" "${args[@]}" "$work" "$src/fuzz/corpus/$t" >"$log" 2>&1
  rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  corpus=$(ls "$work" | wc -l)
  if [ $rc -ne 0 ]; then
    status=1
    summary+=("$t: FAILED (exit $rc) after ${runs:-?} runs; see $log and $build/fuzz-artifacts/$t-*")
  else
    summary+=("$t: ${runs:-?} runs in ${seconds}s, coverage ${cov:-?} edges / ${ft:-?} features, $corpus new corpus inputs")
  fi
done
printf '%s\n' "${summary[@]}"
exit $status
