#!/bin/bash
# Times the floor of a container run on this machine (tests/bench/run_floor.c: cgroups,
# overlay, namespaces, pivot_root, mounts, device nodes, exec true, clean-up) and, when
# HAKO is set, `hako container run --rm --network none IMG true` beside it in one go.
# usage (root): tests/bench/run_floor.sh [RUNS]      env: HAKO=path/to/hako, CC
set -u
RUNS=${1:-100}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "run_floor.sh: needs root" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "run_floor.sh: needs hyperfine" >&2; exit 1; }
W=$(mktemp -d /tmp/run-floor.XXXXXX)
cleanup() {
  umount -l "$W/scratch/rootfs" 2>/dev/null
  [ -n "${HAKO:-}" ] && "$HAKO" --root "$W/root" container prune -f >/dev/null 2>&1
  rm -rf "$W"
}
trap cleanup EXIT

"${CC:-cc}" -O2 -Wall -Wextra -Werror -o "$W/run_floor" "$SRC/tests/bench/run_floor.c" || exit 1
bash "$SRC/scripts/make-test-image.sh" "$W/image.tar" >/dev/null || exit 1
mkdir -p "$W/lower" "$W/scratch"
tar -xf "$W/image.tar" -C "$W/lower" || exit 1
"$W/run_floor" "$W/lower" "$W/scratch" || { echo "run_floor.sh: the floor program failed" >&2; exit 1; }

median() {  # NAME COMMAND...: hyperfine -N median in ms
  local name=$1; shift
  hyperfine -N --style none --warmup 5 --runs "$RUNS" --export-json "$W/hf.json" "$*" >/dev/null 2>"$W/hf.err" ||
    { echo "$name: failed: $(tail -3 "$W/hf.err")"; return; }
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("%-34s median %6.1f ms  (min %.1f, max %.1f, n=%d)" % (sys.argv[2], r["median"]*1e3, r["min"]*1e3, r["max"]*1e3, len(r["times"])))' "$W/hf.json" "$name"
}

echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
median "/bin/true" /bin/true
median "floor (run_floor.c)" "$W/run_floor" "$W/lower" "$W/scratch"
if [ -n "${HAKO:-}" ]; then
  "$HAKO" --root "$W/root" image import "$W/image.tar" floorbb >/dev/null || exit 1
  median "hako run --rm --network none true" "$HAKO" --root "$W/root" container run --rm --network none floorbb true
fi
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
