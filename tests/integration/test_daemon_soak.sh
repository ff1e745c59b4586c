# test_daemon_soak.sh: issue 15, a daemon soak. The real daemon on its
# injected fast clock (schedule "* * * * *", 600x: a run every 0.1 s) makes
# NV_SOAK_RUNS scheduled runs (default 60; bench/bench_daemon_soak.sh runs
# 1,000) against the fake with a row edited now and then. Its open file
# descriptors and resident memory, read from /proc after a warm-up and at
# the end (each the least of 40 readings, to catch it between runs), stay
# flat: the same descriptors, and RSS within
# NV_SOAK_RSS_SLACK_KB (default 2048). Prints the samples as BENCH lines.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sync_lib.sh"

RUNS=${NV_SOAK_RUNS:-60}
SLACK=${NV_SOAK_RSS_SLACK_KB:-2048}
WARM=$(( RUNS / 10 > 5 ? RUNS / 10 : 5 ))
export TZ=UTC AGENT_MEMORY_NOTION_SYNC_SCHEDULE="* * * * *"
fake_start --rows 30 --seed 37
default_config
check_eq "a first manual sync" 0 "$(sync_rc)"
mapfile -t IDS < <(page_ids)

NVAULT_TEST_NOW=2026-03-12T00:00:00Z NVAULT_TEST_TIME_SCALE=600 "$NVAULT" daemon >"$T/d.out" 2>"$T/d.log" &
DPID=$!
trap 'kill -KILL $DPID 2>/dev/null; cleanup' EXIT
runs() { grep -c "scheduled sync succeeded" "$T/d.log"; }
# wait_runs N: until N runs succeeded (no deadline: ctest's timeout ends a hung test)
wait_runs() {
  until [ "$(runs)" -ge "$1" ]; do
    kill -0 $DPID 2>/dev/null || { echo "the daemon died:" >&2; tail -20 "$T/d.log" >&2; exit 1; }
    sleep 0.05
  done
}
# A sync holds sockets and buffers while it runs: each figure is the least
# of 40 readings 25 ms apart, which catches the daemon between runs (bash
# builtins only: forks are slow on a loaded machine).
fd_list() { local f; for f in /proc/$DPID/fd/*; do readlink "$f"; done 2>/dev/null | sed 's/\[[0-9]*\]//' | sort | tr '\n' ' '; }
vm_rss() {
  local line
  while IFS= read -r line; do
    case $line in VmRSS:*) line=${line#VmRSS:}; echo $((${line% kB})); return ;; esac
  done <"/proc/$DPID/status"
}
sample() {
  local i list l n rss best_n=999999 best_rss=999999999
  for ((i = 0; i < 40; i++)); do
    list=(/proc/$DPID/fd/*)
    rss=$(vm_rss)
    if (( ${#list[@]} < best_n )); then
      l=$(fd_list)
      n=$(wc -w <<<"$l")
      (( n < best_n )) && { best_n=$n; FDLIST=$l; }
    fi
    [ -n "$rss" ] && (( rss < best_rss )) && best_rss=$rss
    sleep 0.025
  done
  FDS=$best_n RSS=$best_rss
}

wait_runs "$WARM"
sample; FD0=$FDS FDL0=$FDLIST RSS0=$RSS
echo "# after $WARM runs: $FD0 descriptors, RSS $RSS0 kB"
edits=0
for ((k = WARM + 1; k <= RUNS; k++)); do
  wait_runs "$k"
  if (( k % 10 == 0 )); then
    ctl PATCH "/_control/pages/${IDS[$(( (k / 10) % 30 ))]}" "{\"set\": {\"Name\": \"Soak edit $k\"}}" >/dev/null
    edits=$((edits + 1))
  fi
  if (( k % (RUNS / 5 > 0 ? RUNS / 5 : 1) == 0 )); then sample; echo "# after $k runs: $FDS descriptors, RSS $RSS kB"; fi
done
sample; FD1=$FDS FDL1=$FDLIST RSS1=$RSS
HWM=$(awk '/^VmHWM/ {print $2}' "/proc/$DPID/status")
kill -TERM $DPID; wait $DPID; DRC=$?
trap cleanup EXIT
echo "BENCH daemon soak: scheduled runs|$(runs)|runs|30|$RUNS"
echo "BENCH daemon soak: descriptors after warm-up / at the end|$FD0 / $FD1|fds|30|equal"
echo "BENCH daemon soak: RSS after warm-up|$RSS0|kB|30|"
echo "BENCH daemon soak: RSS at the end|$RSS1|kB|30|within ${SLACK} kB"
echo "BENCH daemon soak: peak RSS|$HWM|kB|30|"
check "the daemon made $RUNS scheduled runs" test "$(runs)" -ge "$RUNS"
check_eq "no scheduled run failed" 0 "$(grep -c "scheduled sync failed\|scheduled sync skipped" "$T/d.log")"
check_eq "the same descriptors after $RUNS runs as after $WARM" "$FDL0" "$FDL1"
if [ "${NV_SANITIZED:-0}" = 1 ]; then
  # ASan's quarantine keeps freed memory (up to 256 MB), so RSS grows by design;
  # LeakSanitizer checks for leaks when the daemon exits instead.
  echo "# RSS not compared under the sanitizer build ($RSS0 -> $RSS1 kB)"
else
  check "RSS flat: $RSS0 kB after $WARM runs, $RSS1 kB after $RUNS (slack $SLACK kB)" \
    test $(( RSS1 - RSS0 )) -le "$SLACK"
fi
check_eq "the daemon stops on SIGTERM (exit 0)" 0 "$DRC"
check "the edits made during the soak arrived ($edits)" \
  test "$(sq "select count(*) from task_versions where title like 'Soak edit %'")" -eq "$edits"
check_eq "the store verifies" 0 "$(nv verify >/dev/null 2>&1; echo $?)"
finish
