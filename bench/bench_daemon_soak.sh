#!/usr/bin/env bash
# bench_daemon_soak.sh BUILD_DIR [RUNS]: the daemon soak of issue 15 at full
# length: RUNS (default 1,000) scheduled runs of the real daemon on its fast
# clock against the fake, with open descriptors and RSS sampled after a
# warm-up and at the end (tests/integration/test_daemon_soak.sh, which the
# suite runs with 60). Prints BENCH lines; exit 1 if they are not flat.
set -uo pipefail
build=$(cd "${1:?usage: bench_daemon_soak.sh BUILD_DIR [RUNS]}" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
NVAULT=$build/nvault FAKE_NOTION=$build/fake-notion NV_SRC_DIR=$src \
  NV_SOAK_RUNS=${2:-1000} bash "$src/tests/integration/test_daemon_soak.sh"
