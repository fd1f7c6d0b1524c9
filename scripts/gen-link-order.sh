#!/usr/bin/env bash
# Regenerates scripts/hako-link-order.txt, the order in which lld lays out hako's
# functions (CMakeLists.txt: HAKO_LINK_ORDER): the functions that a container start
# and the everyday verbs run, hottest first, so they share few text pages. It
# samples a build's hako with perf (cpu-clock at 20 kHz, and every page fault's
# instruction) while it runs `container run --rm` many times, a detached container's
# life, listings, and a compose project's up, ps and down; names no sample hit keep
# the default order after them. A name that a later change removes or renames is
# ignored by the link (--no-warn-symbol-ordering): rerun this after larger changes.
# usage (root, needs perf: apt-get install linux-perf): scripts/gen-link-order.sh [BUILD_DIR]
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
HAKO=$BUILD/hako
OUT=$SRC/scripts/hako-link-order.txt
[ "$(id -u)" = 0 ] || { echo "gen-link-order.sh: needs root" >&2; exit 1; }
command -v perf >/dev/null || { echo "gen-link-order.sh: needs perf (apt-get install linux-perf)" >&2; exit 1; }
[ -x "$HAKO" ] || { echo "gen-link-order.sh: no $HAKO (build first)" >&2; exit 1; }
W=$(mktemp -d /tmp/hako-link-order.XXXXXX)
R=$W/root
cleanup() {
  "$HAKO" --root "$R" -f "$W/compose.yaml" -p lorder down >/dev/null 2>&1 || true
  "$HAKO" --root "$R" container rm -f lorder-d >/dev/null 2>&1 || true
  "$HAKO" --root "$R" container prune -f >/dev/null 2>&1 || true
  rm -rf "$W"
}
trap cleanup EXIT

bash "$SRC/scripts/make-test-image.sh" "$W/image.tar" >/dev/null
"$HAKO" --root "$R" image import "$W/image.tar" lorder >/dev/null
cat >"$W/compose.yaml" <<'EOF'
services:
  a:
    image: lorder
    command: ["sleep", "30"]
  b:
    image: lorder
    command: ["sleep", "30"]
    depends_on: [a]
networks:
  default:
    ipam:
      config: [{subnet: 10.219.7.0/24}]
EOF

cat >"$W/scenario.sh" <<EOF
set -e
h() { "$HAKO" --root "$R" "\$@" >/dev/null 2>>"$W/scenario.log" || { cat "$W/scenario.log" >&2; exit 1; }; }
for i in \$(seq 150); do h container run --rm --network none lorder true; done
for i in \$(seq 10); do
  h container run -d --name lorder-d --network none lorder sleep 30
  h container ls; h container inspect lorder-d; h container logs lorder-d
  h container stop -t 1 lorder-d; h container rm lorder-d
  h image ls; h version
done
for i in \$(seq 5); do
  h -f "$W/compose.yaml" -p lorder up -d; h -f "$W/compose.yaml" -p lorder ps
  h -f "$W/compose.yaml" -p lorder down
done
EOF
perf record -q -o "$W/perf.data" -e cpu-clock/freq=20000/ -e page-faults/period=1/ -- bash "$W/scenario.sh"
# Samples in the text of hako and hako-exit (the exit path of a stopped detached
# container runs there), by symbol, the most sampled first.
perf script -i "$W/perf.data" --no-demangle -F ip,sym,dso 2>/dev/null |
  awk -v bin="($HAKO)" -v exit_bin="($BUILD/hako-exit)" '($NF == bin || $NF == exit_bin) && $2 != "[unknown]" { print $2 }' |
  sort | uniq -c | sort -k1,1nr -k2 | awk '{ print $2 }' >"$W/order.txt"
[ -s "$W/order.txt" ] || { echo "gen-link-order.sh: perf found no samples in $HAKO" >&2; exit 1; }
# The names of the previous list that no sample hit this time follow, in their old
# order: one sampling run misses some short functions, and a function that faulted
# in a page outside the list in an earlier run was sampled then (successive runs on
# a build linked with the list gather what it lacked).
{
  echo "# The order of hako's hottest functions for lld (CMakeLists.txt: HAKO_LINK_ORDER),"
  echo "# made by scripts/gen-link-order.sh; one mangled name per line."
  # hako_entry's code has a section of its own, after .text (engine/sys/prefault.cpp).
  grep -vx -e hako_hot_text_end -e hako_entry -e hako_prefault_at_entry -e '_ZN4hako3sys12_GLOBAL__N_117populate_segments.*' "$W/order.txt"
  [ -f "$OUT" ] && grep -v '^#' "$OUT" | grep -vx hako_hot_text_end | awk 'NR == FNR { seen[$0] = 1; next } !($0 in seen)' "$W/order.txt" -
  # Last: the mark of the hot text's end, up to which hako maps its text at start
  # (engine/sys/prefault.h).
  echo hako_hot_text_end
} >"$W/list.txt"
mv "$W/list.txt" "$OUT"
echo "gen-link-order.sh: $(wc -l <"$W/order.txt") functions sampled, $(grep -vc '^#' "$OUT") in $OUT"
