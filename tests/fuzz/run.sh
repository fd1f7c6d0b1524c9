#!/usr/bin/env bash
# Builds one libFuzzer target with clang (ASan + UBSan) and runs it for SECONDS
# (default 600) on its seed corpus: `run.sh [loader|dockerfile] [SECONDS]`
# (loader is the default; a bare number is SECONDS for the loader, as before).
set -euo pipefail
cd "$(dirname "$0")/../.."
target=loader
case "${1:-}" in
  loader|dockerfile) target=$1; shift ;;
  ''|*[!0-9]*) [ -z "${1:-}" ] || { echo "usage: $0 [loader|dockerfile] [SECONDS]" >&2; exit 2; } ;;
esac
seconds=${1:-600}
if [ "$target" = loader ]; then
  build=build-fuzz; max_len=65536; seeds=(tests/fuzz/seeds)
else
  build=build-fuzz-df; max_len=16384; seeds=(tests/fuzz/seeds-dockerfile tests/fuzz/seeds/dockerfile)
fi
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DHAKO_FUZZ=ON -DHAKO_TESTS=OFF >/dev/null
cmake --build "$build" --target "${target}_fuzz" -j"$(nproc)"
corpus=tests/fuzz/corpus-$target
mkdir -p "$corpus"
"./$build/${target}_fuzz" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
  "$corpus" "${seeds[@]}"
