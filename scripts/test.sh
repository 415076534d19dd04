#!/usr/bin/env bash
# Sets everything up, builds and runs the whole test suite. The README's second command, and
# exactly what CI runs (.ci/run):
#   1. Release build (tests and benchmarks), ctest
#   2. the same tests under ASan+UBSan, then under TSan (the threaded pipeline)
#   3. a smoke run of every libFuzzer target over its seed corpus (FUZZ_SECONDS each, default 5)
# Set TICKPIPE_QUICK=1 to run step 1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build-test -G Ninja -DCMAKE_BUILD_TYPE=Release -DTICKPIPE_TESTS=ON -DTICKPIPE_BENCH=ON >/dev/null
cmake --build build-test -j2
ctest --test-dir build-test --output-on-failure -j2
if [ "${TICKPIPE_QUICK:-0}" != "1" ]; then
  TICKPIPE_SETUP_DONE=1 scripts/sanitize.sh asan tsan fuzz
fi
