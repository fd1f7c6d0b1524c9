#!/usr/bin/env bash
# Benchmark: `hako config -q` on a generated 500-service project (anchors, merge
# keys, interpolation, healthchecks, a depends_on chain, ports, volumes, two
# networks). Prints hyperfine's summary and the peak RSS from /usr/bin/time.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
hako=${HAKO:-$here/../../build/hako}
n=${1:-500}
command -v hyperfine >/dev/null || apt-get install -y -qq hyperfine >/dev/null
[ -x /usr/bin/time ] || apt-get install -y -qq time >/dev/null
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 "$here/gen_compose.py" "$n" > "$dir/compose.yaml"
echo "project: $n services, $(wc -c < "$dir/compose.yaml") bytes"
hyperfine -N --warmup 3 --runs "${RUNS:-30}" "$hako --project-directory $dir config -q"
/usr/bin/time -v "$hako" --project-directory "$dir" config -q 2>&1 | grep -E 'Maximum resident|Elapsed'
