#!/usr/bin/env bash
# Sets everything up, builds and runs the whole test suite (ctest). The README's second command,
# and exactly what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build-test -G Ninja -DCMAKE_BUILD_TYPE=Release -DTICKPIPE_TESTS=ON -DTICKPIPE_BENCH=ON >/dev/null
cmake --build build-test -j2
ctest --test-dir build-test --output-on-failure -j2
