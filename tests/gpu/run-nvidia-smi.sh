#!/usr/bin/env bash
# On a machine with an NVIDIA GPU and its driver (not run by ctest): builds hako,
# makes a Debian rootfs with mmdebstrap (a C library for nvidia-smi), imports it,
# runs `nvidia-smi -L` through `gpus: all` (compose up, falling back to
# `container run --gpus all`), and prints what the container saw.
# Usage: tests/gpu/run-nvidia-smi.sh [BUILD_DIR]   (root; env ROOTFS_TAR reuses a rootfs tarball)
set -euo pipefail
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${1:-$SRC/build-gpu-test}
[[ $EUID -eq 0 ]] || { echo "run as root" >&2; exit 1; }
command -v nvidia-smi >/dev/null || { echo "no nvidia-smi on the host: not an NVIDIA machine?" >&2; exit 1; }
echo "== host"; nvidia-smi -L

if [[ ! -x $BUILD/hako ]]; then
  cmake -S "$SRC" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHAKO_TESTS=OFF >/dev/null
  ninja -C "$BUILD" hako
fi
HAKO=$BUILD/hako
work=$(mktemp -d /tmp/hako-gpu.XXXXXX)
cleanup() {
  set +e
  (cd "$work/project" 2>/dev/null && "$HAKO" --root "$work/root" down >/dev/null 2>&1)
  for id in $("$HAKO" --root "$work/root" container ls -a -q 2>/dev/null); do "$HAKO" --root "$work/root" container rm -f "$id" >/dev/null 2>&1; done
  awk -v r="$work" 'index($2, r) == 1 {print $2}' /proc/self/mounts | sort -r | xargs -r umount -l
  rm -rf "$work"
}
trap cleanup EXIT

tarball=${ROOTFS_TAR:-$work/debian.tar}
if [[ ! -f $tarball ]]; then
  command -v mmdebstrap >/dev/null || apt-get install -y mmdebstrap >/dev/null
  mmdebstrap --variant=minbase bookworm "$tarball"
fi
"$HAKO" --root "$work/root" image import "$tarball" debian-gpu >/dev/null

echo "== hako system info"
"$HAKO" --root "$work/root" system info

mkdir -p "$work/project"
cat >"$work/project/compose.yaml" <<'YAML'
services:
  smi:
    image: debian-gpu
    command: ["nvidia-smi", "-L"]
    gpus: all
YAML
echo "== compose: gpus: all"
if (cd "$work/project" && "$HAKO" --root "$work/root" up --abort-on-container-exit 2>&1); then
  seen=ok
else
  seen=failed
fi
echo "== container run --gpus all"
"$HAKO" --root "$work/root" container run --rm --gpus all debian-gpu sh -c 'nvidia-smi -L; ls /dev | grep nvidia; env | grep ^NVIDIA_'
echo "compose path: $seen"
