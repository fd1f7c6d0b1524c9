#!/usr/bin/env bash
# Builds the loader's libFuzzer target with clang (ASan + UBSan) in build-fuzz/
# and runs it for SECONDS (default 600) on the seed corpus.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-600}
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DHAKO_FUZZ=ON -DHAKO_TESTS=OFF >/dev/null
cmake --build build-fuzz --target loader_fuzz -j"$(nproc)"
corpus=tests/fuzz/corpus-loader
mkdir -p "$corpus"
./build-fuzz/loader_fuzz -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
  "$corpus" tests/fuzz/seeds
