#!/usr/bin/env bash
# On a machine with an NVIDIA GPU and its driver (not run by ctest): builds hako,
# makes a Debian rootfs with mmdebstrap (a C library for nvidia-smi), imports it,
# runs `nvidia-smi -L` in a container through `container run --gpus all`, a compose
# service with `deploy.resources.reservations.devices`, compose `gpus: all`, and CDI
# (`nvidia-ctk cdi generate`, whose createContainer hooks hako runs) when nvidia-ctk
# is installed; prints what each saw and exits non-zero when any of them failed.
# Usage: tests/gpu/run-nvidia-smi.sh [BUILD_DIR]   (root; env ROOTFS_TAR reuses a rootfs tarball)
set -euo pipefail
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${1:-$SRC/build-gpu-test}
[[ $EUID -eq 0 ]] || { echo "run as root" >&2; exit 1; }
command -v nvidia-smi >/dev/null || { echo "FAIL: no nvidia-smi on the host: not an NVIDIA machine?" >&2; exit 1; }
ls /dev/nvidia[0-9]* >/dev/null 2>&1 || { echo "FAIL: no /dev/nvidiaN device node: no GPU or no driver loaded" >&2; exit 1; }
echo "== host"; nvidia-smi -L || { echo "FAIL: nvidia-smi -L fails on the host" >&2; exit 1; }

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

failed=()
# attempt NAME COMMAND…: runs it, prints its output, records NAME when it fails
# or when nvidia-smi listed no GPU.
attempt() {
  local name=$1 out status=0
  shift
  echo "== $name"
  out=$("$@" 2>&1) || status=$?
  echo "$out"
  if [[ $status -ne 0 || $out != *"GPU 0"* ]]; then failed+=("$name"); fi
}
compose_up() {  # compose_up DIR: up, wait for the one-shot service, print its logs
  (cd "$1" && "$HAKO" --root "$work/root" up --abort-on-container-exit && "$HAKO" --root "$work/root" down >/dev/null)
}

attempt "container run --gpus all" "$HAKO" --root "$work/root" container run --rm --gpus all debian-gpu \
  sh -c 'nvidia-smi -L; ls /dev | grep nvidia; env | grep ^NVIDIA_'

mkdir -p "$work/reservation" "$work/gpus"
cat >"$work/reservation/compose.yaml" <<'YAML'
services:
  smi:
    image: debian-gpu
    command: ["nvidia-smi", "-L"]
    deploy:
      resources:
        reservations:
          devices:
            - driver: nvidia
              count: all
              capabilities: [gpu]
YAML
cat >"$work/gpus/compose.yaml" <<'YAML'
services:
  smi:
    image: debian-gpu
    command: ["nvidia-smi", "-L"]
    gpus: all
YAML
attempt "compose deploy.resources.reservations.devices" compose_up "$work/reservation"
attempt "compose gpus: all" compose_up "$work/gpus"

if command -v nvidia-ctk >/dev/null; then
  mkdir -p "$work/cdi"
  nvidia-ctk cdi generate --output="$work/cdi/nvidia.yaml" >/dev/null
  attempt "CDI nvidia.com/gpu=all (nvidia-ctk spec, its hooks run)" "$HAKO" --root "$work/root" container run --rm \
    --cdi-spec-dir "$work/cdi" --device nvidia.com/gpu=all debian-gpu nvidia-smi -L
else
  echo "== CDI: skipped (no nvidia-ctk on this host)"
fi

if [[ ${#failed[@]} -gt 0 ]]; then
  printf 'FAIL: %s\n' "${failed[@]}"
  exit 1
fi
echo "all GPU paths listed the GPU"
