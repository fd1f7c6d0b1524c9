#!/usr/bin/env bash
# kill -9 of a container's monitor takes the container with it (its init keeps
# PR_SET_PDEATHSIG SIGKILL), so ps's "Exited" is the truth and rm cleans up.
test_kind=monitor source "$(dirname "${BASH_SOURCE[0]}")/check_lib.sh"
h() { "$HAKO" --root "$R" container "$@"; }

bash "$SRC/scripts/make-test-image.sh" "$R/image.tar" >/dev/null
"$HAKO" --root "$R" image import "$R/image.tar" busybox >/dev/null || { echo "FAIL: image import"; exit 1; }

# A user other than root too: the uid change in the init clears the death signal.
for user in "" "-u 65534"; do
  h run -d $user --name md-sleeper busybox sleep 1000 >/dev/null
  check "run -d ${user:-as root}" "$?" "0"
  id=$(h inspect md-sleeper | sed -n 's/.*"Id": "\([0-9a-f]*\)".*/\1/p')
  mon=$(sed -n 's/.*"monitor_pid": *\([0-9]*\).*/\1/p' "$R/containers/$id/state.json")
  pid=$(sed -n 's/.*"pid": *\([0-9]*\).*/\1/p' "$R/containers/$id/state.json" | head -1)
  [[ -n "$mon" && -n "$pid" && "$pid" != 0 ]] || { echo "FAIL: no monitor/container pid in state.json"; exit 1; }
  kill -9 "$mon"
  gone=1
  for _ in $(seq 50); do
    if ! kill -0 "$pid" 2>/dev/null || grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null; then gone=0; break; fi
    sleep 0.1
  done
  check "the container's init died with its monitor (${user:-root})" "$gone" "0"
  contains "ps says Exited" "$(h ls -a)" "Exited"
  h rm -f md-sleeper >/dev/null; check "rm -f after the monitor died" "$?" "0"
  check "no mount left" "$(grep -c "$R/containers/$id" /proc/self/mounts)" "0"
done
exit $((failures > 0))
