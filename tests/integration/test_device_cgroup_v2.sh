#!/usr/bin/env bash
# The device cgroup on a pure cgroup v2 host (an eBPF program, engine/runtime/device_bpf):
# on a hybrid host hako runs in a private mount namespace whose /sys/fs/cgroup is
# only the cgroup2 hierarchy, so it takes the v2 path. A requested node opens, one
# that was not requested is refused, permissions hold; a limit whose controller
# the v2 tree lacks fails with an error that names it, and only when asked for.
set -uo pipefail
if [[ $EUID -ne 0 ]]; then
  echo "SKIP: the device tests need root" >&2
  exit 0
fi
HAKO=${HAKO:-${HAKO_BUILD_DIR:-/work/main/build}/hako}
SRC=${HAKO_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
if ! grep -q " - cgroup2 " /proc/self/mountinfo; then
  echo "SKIP: no cgroup2 hierarchy on this host" >&2
  exit 0
fi
R=$(mktemp -d /tmp/hako-devv2-test.XXXXXX)
failures=0

# v2 COMMAND…: runs it where /sys/fs/cgroup is the cgroup2 hierarchy alone.
v2() {
  if grep -q " /sys/fs/cgroup .* - cgroup2 " /proc/self/mountinfo && ! grep -q " - cgroup cgroup " /proc/self/mountinfo; then
    "$@"
  else
    unshare -m sh -c 'umount -R /sys/fs/cgroup && mount -t cgroup2 none /sys/fs/cgroup && exec "$@"' sh "$@"
  fi
}
h() { v2 "$HAKO" --root "$R/root" container "$@"; }

cleanup() {
  for id in $(h ls -a -q 2>/dev/null); do h rm -f "$id" >/dev/null 2>&1; done
  awk -v r="$R" 'index($2, r) == 1 {print $2}' /proc/self/mounts | sort -r | xargs -r umount -l
  rm -rf "$R"
}
trap cleanup EXIT

check() {  # check DESCRIPTION ACTUAL EXPECTED
  if [[ "$2" == "$3" ]]; then
    echo "ok: $1"
  else
    echo "FAIL: $1: got [$2], want [$3]"
    failures=$((failures + 1))
  fi
}
contains() {  # contains DESCRIPTION TEXT NEEDLE
  if [[ "$2" == *"$3"* ]]; then
    echo "ok: $1"
  else
    echo "FAIL: $1: [$2] lacks [$3]"
    failures=$((failures + 1))
  fi
}

mkdir -p "$R/root" "$R/dev"
bash "$SRC/scripts/make-test-image.sh" "$R/image.tar" >/dev/null
"$HAKO" --root "$R/root" image import "$R/image.tar" busybox >/dev/null || { echo "FAIL: image import"; exit 1; }
# 10:237 (loop-control) opens without side effects and is not in the default list.
mknod "$R/dev/ctl" c 10 237

out=$(h run --rm busybox sh -c 'tail -n 1 /proc/self/cgroup' 2>&1)
check "the container runs on the v2 path (its own cgroup namespace)" "$out" "0::/"
out=$(h run --rm --device "$R/dev/ctl:/dev/example-ctl" busybox sh -c '{ : < /dev/example-ctl && echo open-ok; } 2>&1; : < /dev/null && echo null-ok' 2>&1)
check "a requested node opens, so do the defaults" "$out" "open-ok
null-ok"
out=$(h run --rm busybox sh -c '{ mknod /x c 10 237 && : < /x && echo open-ok; } 2>&1; echo end' 2>&1)
contains "a node that was not requested is refused by the program" "$out" "Operation not permitted"
out=$(h run --rm --device "$R/dev/ctl:/dev/example-ctl:r" busybox sh -c '{ : < /dev/example-ctl && echo read-ok; } 2>&1; { echo x > /dev/example-ctl; } 2>&1 || true' 2>&1)
contains "permission r: reading works" "$out" "read-ok"
contains "permission r: writing is refused" "$out" "Operation not permitted"
out=$(h run --rm --device-cgroup-rule 'c 10:237 r' busybox sh -c 'mknod /x c 10 237 && : < /x && echo open-ok' 2>&1)
check "--device-cgroup-rule lets it through" "$out" "open-ok"
out=$(h run --rm --privileged busybox sh -c 'mknod /x c 10 237 && : < /x && echo open-ok' 2>&1)
check "privileged: no restriction" "$out" "open-ok"

# Controllers: only those the tree delegates (none but hugetlb on a hybrid host).
if ! grep -qw memory /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null && [[ -d /sys/fs/cgroup/unified ]]; then
  out=$(h run --rm -m 64m busybox true 2>&1)
  status=$?
  check "a memory limit without the memory controller fails" "$([[ $status -ne 0 ]] && echo failed)" "failed"
  contains "the error names the missing limit file" "$out" "memory.max"
fi


if [[ $failures -gt 0 ]]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all cgroup v2 device checks passed"
