# Shared helpers for hako's end-to-end tests (sourced by tests/e2e/test_*.sh):
# a temporary folder removed on exit, and assertions on exit status and output.
set -euo pipefail

: "${HAKO:?HAKO must name the hako binary}"
HAKO_SOURCE_DIR="${HAKO_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/hako-e2e.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
# The tests must not see the caller's Compose settings.
unset COMPOSE_FILE COMPOSE_PROJECT_NAME COMPOSE_PROFILES COMPOSE_ENV_FILES COMPOSE_DISABLE_ENV_FILE \
  COMPOSE_PATH_SEPARATOR HAKO_LOG || true
export HAKO_ROOT="$WORK/root"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# run_hako ARGS…: runs hako, keeping stdout in $OUT, stderr in $ERR, status in $STATUS.
run_hako() {
  set +e
  "$HAKO" "$@" >"$WORK/.out" 2>"$WORK/.err"
  STATUS=$?
  set -e
  OUT="$(cat "$WORK/.out")"
  ERR="$(cat "$WORK/.err")"
}

# expect_status N ARGS…: runs hako and fails unless it exits with N.
expect_status() {
  local want="$1"
  shift
  run_hako "$@"
  if [[ "$STATUS" != "$want" ]]; then
    fail "hako $* exited $STATUS, wanted $want; stderr: $ERR"
  fi
}

expect_contains() {  # expect_contains TEXT NEEDLE
  [[ "$1" == *"$2"* ]] || fail "expected to find '$2' in: $1"
}

expect_not_contains() {
  [[ "$1" != *"$2"* ]] || fail "did not expect '$2' in: $1"
}

expect_equal() {  # expect_equal ACTUAL WANTED
  [[ "$1" == "$2" ]] || fail "expected '$2', got '$1'"
}

expect_lines() {  # expect_lines TEXT N
  local n
  n="$(printf '%s\n' "$1" | grep -c '' || true)"
  [[ "$n" == "$2" ]] || fail "expected $2 line(s), got $n: $1"
}

# json_get JSON PYTHON_EXPRESSION_ON_d: prints the expression's value.
json_get() {
  python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"
}
