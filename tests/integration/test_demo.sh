#!/usr/bin/env bash
# test_demo.sh: `make demo` from a clean clone shows what the README
# promises: the edited row with its two versions and the trashed row
# deleted. Under the sanitizer build (NV_SANITIZED=1) the demo script runs on
# that build's binaries instead of rebuilding a clone.
source "$(dirname "$0")/lib.sh"

if [ "${NV_SANITIZED:-0}" = 1 ]; then
  out=$(bash "$NV_SRC_DIR/scripts/demo.sh" "$NV_BUILD_DIR" 2>&1); rc=$?
else
  check "clone the repository" git clone -q "$NV_SRC_DIR" "$T/clone"
  out=$(make -C "$T/clone" demo 2>&1); rc=$?
fi
echo "$out" | tail -n 40
check_eq "make demo exits 0" 0 "$rc"
check "the edited row has two versions" grep -q "The edited row now has 2 versions." <<<"$out"
check "the trashed row is deleted" grep -q "deleted in the store: yes" <<<"$out"
check "the second sync reports the change" grep -Eiq "updated|changed" <<<"$out"
check "verify passes at the end" grep -q "OK: integrity" <<<"$out"
check "the token never shows" bash -c '! grep -q ntn_demo_token <<<"$1"' _ "$out"
check "no raw escape code in the output (not a terminal)" bash -c '! grep -q $'"'"'\033'"'"' <<<"$1"' _ "$out"
if [ "${NV_SANITIZED:-0}" != 1 ]; then
  # the build is one line; the demo's first heading follows within a few lines
  before=$(sed -n '1,/^==> /p' <<<"$out" | wc -l)
  check "the build is quiet: the demo starts by line 5 (line $before)" test "$before" -le 5
  check "the build says where its log is" grep -q '^Building nvault (log: build-demo/build.log)... done' <<<"$out"
  check "the demo built no test program" test ! -e "$T/clone/build-demo/test_config"
fi
finish
