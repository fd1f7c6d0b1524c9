# Shared setup for the runtime integration tests (sourced, not run): a busybox
# rootfs, a state folder, a cgroup parent, and a trap that removes all of it.
set -euo pipefail
if [[ $EUID -ne 0 ]]; then
  echo "SKIP: the runtime tests need root" >&2
  exit 0
fi
HAKO=${HAKO:-${HAKO_BUILD_DIR:-/work/main/build}/hako}
SRC=${HAKO_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
work=$(mktemp -d /tmp/hako-runtime-test.XXXXXX)
state=$work/state
cgparent=/hako-test-$$
rootfs=$work/rootfs
failures=0

runtime_cleanup() {
  set +e
  if [[ -d $state ]]; then
    for id in $(ls "$state"); do "$HAKO" runtime --state-dir "$state" delete --force "$id" >/dev/null 2>&1; done
  fi
  for hierarchy in /sys/fs/cgroup/* /sys/fs/cgroup; do
    [[ -d $hierarchy$cgparent ]] || continue
    find "$hierarchy$cgparent" -mindepth 1 -depth -type d -exec rmdir {} \; 2>/dev/null
    rmdir "$hierarchy$cgparent" 2>/dev/null
  done
  grep -q " $work" /proc/self/mounts && awk -v w="$work" '$2 ~ "^"w {print $2}' /proc/self/mounts | sort -r | xargs -r umount -l
  rm -rf "$work"
}
trap runtime_cleanup EXIT

mkdir -p "$rootfs" "$state"
bash "$SRC/scripts/make-test-image.sh" "$work/image.tar"
tar -xf "$work/image.tar" -C "$rootfs"

# bundle NAME [spec flags…] -- ARGS…: writes $work/NAME/config.json and prints the folder.
bundle() {
  local name=$1
  shift
  mkdir -p "$work/$name"
  "$HAKO" runtime spec --rootfs "$rootfs" --resolve-in "$rootfs" --cgroup-path "$cgparent/$name" "$@" >"$work/$name/config.json"
  echo "$work/$name"
}

# run NAME [spec flags…] -- ARGS…: runs a container to its end; stdout in $out,
# stderr in $err, exit status in $rc.
run() {
  local name=$1
  shift
  local dir
  dir=$(bundle "$name" "$@")
  set +e
  out=$("$HAKO" runtime --state-dir "$state" run "$name" --bundle "$dir" 2>"$work/$name.err")
  rc=$?
  set -e
  err=$(cat "$work/$name.err")
}

check() {  # check DESCRIPTION ACTUAL EXPECTED
  if [[ "$2" == "$3" ]]; then
    echo "ok: $1"
  else
    echo "FAIL: $1: got [$2], want [$3]" >&2
    failures=$((failures + 1))
  fi
}

check_match() {  # check_match DESCRIPTION ACTUAL REGEX
  if [[ "$2" =~ $3 ]]; then
    echo "ok: $1"
  else
    echo "FAIL: $1: [$2] does not match /$3/" >&2
    failures=$((failures + 1))
  fi
}

finish() {
  if ((failures > 0)); then
    echo "$failures check(s) failed" >&2
    exit 1
  fi
  echo "all checks passed"
}
