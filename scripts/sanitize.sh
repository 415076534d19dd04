#!/usr/bin/env bash
# Sanitizer and fuzz checks: the test suite under ASan+UBSan and under TSan, then a short smoke run
# of every libFuzzer target over its seed corpus. Usage: scripts/sanitize.sh [asan|tsan|fuzz]...
# (default: all three). Needs clang for the fuzz targets (installed by scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${TICKPIPE_SETUP_DONE:-0}" = "1" ] || scripts/setup.sh
FUZZ_SECONDS=${FUZZ_SECONDS:-5}
steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=(asan tsan fuzz)

for step in "${steps[@]}"; do
  case "$step" in
    asan)
      cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTICKPIPE_ASAN=ON -DTICKPIPE_BENCH=OFF >/dev/null
      cmake --build build-asan -j2
      ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        ctest --test-dir build-asan --output-on-failure -j2
      ;;
    tsan)
      cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTICKPIPE_TSAN=ON -DTICKPIPE_BENCH=OFF >/dev/null
      cmake --build build-tsan -j2
      TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 ctest --test-dir build-tsan --output-on-failure -j2
      ;;
    fuzz)
      CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTICKPIPE_FUZZ=ON \
        -DTICKPIPE_TESTS=ON -DTICKPIPE_BENCH=OFF >/dev/null
      targets=$(cd tests/fuzz && ls fuzz_*.cpp | sed 's/\.cpp$//')
      # shellcheck disable=SC2086
      cmake --build build-fuzz -j2 --target $targets
      for t in $targets; do
        corpus="tests/fuzz/corpus/$t"
        work=$(mktemp -d)
        [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/
        echo "fuzz: $t for ${FUZZ_SECONDS}s"
        "build-fuzz/tests/$t" -max_total_time="$FUZZ_SECONDS" -print_final_stats=0 "$work" 2>&1 | tail -n 2
        rm -rf "$work"
      done
      ;;
    *) echo "unknown step: $step (asan|tsan|fuzz)" >&2; exit 2 ;;
  esac
done
