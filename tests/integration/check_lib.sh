# Shared preamble of the integration tests that drive the hako CLI (sourced, not
# run): skip unless root, HAKO and SRC, a temp folder R removed at exit together
# with every container of the state root STATE (default R; a test may set
# STATE=$R/root after sourcing) and every mount under R, and check/contains,
# which count failures in `failures`.
# Usage: test_kind=device source "$(dirname "${BASH_SOURCE[0]}")/check_lib.sh"
set -uo pipefail
if [[ $EUID -ne 0 ]]; then
  echo "SKIP: the ${test_kind:-integration} tests need root" >&2
  exit 0
fi
HAKO=${HAKO:-${HAKO_BUILD_DIR:-/work/main/build}/hako}
SRC=${HAKO_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
R=$(mktemp -d "/tmp/hako-${test_kind:-integration}-test.XXXXXX")
STATE=$R
failures=0

cleanup() {
  for id in $("$HAKO" --root "$STATE" container ls -a -q 2>/dev/null); do
    "$HAKO" --root "$STATE" container rm -f "$id" >/dev/null 2>&1
  done
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
