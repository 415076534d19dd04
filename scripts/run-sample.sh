#!/usr/bin/env bash
# Sets everything up, builds tickpipe (Release) and replays the bundled sample capture, printing
# the report. The README's first command.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DTICKPIPE_TESTS=OFF -DTICKPIPE_BENCH=OFF >/dev/null
cmake --build build -j2 --target tickpipe >/dev/null
exec build/app/tickpipe replay --journal build/sample-journal.jsonl "$@"
