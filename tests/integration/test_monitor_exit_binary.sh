#!/usr/bin/env bash
# A container's exit path runs in the lean hako-exit beside hako: during a restart
# backoff the monitor (same pid throughout) is hako-exit, and --rm and exit codes
# work through it. Without hako-exit (a hako folder lacking it) hako-monitor falls
# back to the full hako for the same verbs.
test_kind=monitor-exit source "$(dirname "${BASH_SOURCE[0]}")/check_lib.sh"
field() { sed -n "s/.*\"$1\": *\([0-9]*\).*/\1/p" "$R/containers/$2/state.json" | head -1; }

# exe_during_backoff BIN NAME: starts NAME restarting forever and prints the binary
# its monitor runs while it waits out a restart delay (they double: 100 ms, 200 ms…).
# Once a restart is counted the monitor has been through the exit path, so from then
# on it runs either hako-monitor or the exit path's binary.
exe_during_backoff() {
  local bin=$1 name=$2 id mon exe=""
  id=$("$bin" --root "$R" container run -d --name "$name" --restart always busybox false) || return
  mon=$(field monitor_pid "$id")
  for _ in $(seq 3000); do
    [[ $("$HAKO" --root "$R" container inspect -f '{{.RestartCount}}' "$id") != 0 ]] && break
    sleep 0.01
  done
  for _ in $(seq 3000); do
    exe=$(readlink "/proc/$mon/exe" 2>/dev/null) || break
    [[ $exe == */hako-monitor ]] || break
    sleep 0.01
  done
  echo "$exe"
  [[ $(field monitor_pid "$id") == "$mon" ]] || echo "(the monitor's pid changed from $mon)"
}

bash "$SRC/scripts/make-test-image.sh" "$R/image.tar" >/dev/null
"$HAKO" --root "$R" image import "$R/image.tar" busybox >/dev/null || { echo "FAIL: image import"; exit 1; }
bin=$(dirname "$(readlink -f "$HAKO")")
if [[ ! -x $bin/hako-exit ]]; then
  echo "FAIL: no hako-exit beside $HAKO (build the hako-exit target)"
  exit 1
fi

check "the exit path is hako-exit" "$(exe_during_backoff "$HAKO" xb-restart)" "$bin/hako-exit"
"$HAKO" --root "$R" container run --rm --name xb-rm busybox sh -c 'exit 3'
check "run --rm through hako-exit: the exit code" "$?" "3"
check "and the container is gone" "$("$HAKO" --root "$R" container ls -a | grep -cw xb-rm)" "0"
check "a bad __monitor-exit line is a usage error" \
  "$("$bin/hako-exit" --root "$R" __monitor-exit -- xb-none x 0 -1 -1 - 2>&1; echo "rc=$?")" \
  $'hako: wait_status: not a number: "x"\nrc=2'
"$bin/hako-exit" --help >/dev/null 2>&1
check "hako-exit runs only the monitor's verbs" "$?" "125"

# The same hako in a folder without hako-exit (hard links: no copy of the binary).
mkdir "$R/bin"
for f in hako hako-monitor hako-init; do
  ln "$bin/$f" "$R/bin/$f" 2>/dev/null || cp "$bin/$f" "$R/bin/$f"
done
check "without hako-exit the exit path is the full hako" "$(exe_during_backoff "$R/bin/hako" xb-fallback)" "$R/bin/hako"
"$R/bin/hako" --root "$R" container run --rm --name xb-rm2 busybox sh -c 'exit 4'
check "run --rm through the full hako: the exit code" "$?" "4"
check "and the container is gone" "$("$HAKO" --root "$R" container ls -a | grep -cw xb-rm2)" "0"

"$HAKO" --root "$R" container rm -f xb-restart xb-fallback >/dev/null
check "rm -f of the restarting containers" "$?" "0"
exit $((failures > 0))
