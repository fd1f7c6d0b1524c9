#!/usr/bin/env bash
# A running container's monitor is the small static hako-monitor (exec'd by the
# set-up, same pid): its resident set stays under 1.5 MB, none of its fds reach
# the container, its healthcheck probes work, and its json-file lines are
# docker's, byte for byte. Starts of one container at once set it up one at a
# time; kill returns once the container stopped.
test_kind=monitor source "$(dirname "${BASH_SOURCE[0]}")/check_lib.sh"
h() { "$HAKO" --root "$R" container "$@"; }
field() { sed -n "s/.*\"$1\": *\([0-9]*\).*/\1/p" "$R/containers/$2/state.json" | head -1; }

bash "$SRC/scripts/make-test-image.sh" "$R/image.tar" >/dev/null
"$HAKO" --root "$R" image import "$R/image.tar" busybox >/dev/null || { echo "FAIL: image import"; exit 1; }

id=$(h run -d --name mx-run --health-cmd true --health-interval 1s busybox sleep 1000)
check "run -d" "$?" "0"
mon=$(field monitor_pid "$id")
pid=$(field pid "$id")
contains "the monitor is hako-monitor" "$(readlink "/proc/$mon/exe")" "/hako-monitor"
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$mon/status")
check "the monitor's RSS is under 1.5 MB (${rss} kB)" "$((rss < 1536))" "1"
check "the container's init has only stdio open" "$(ls "/proc/$pid/fd" | sort -n | tr '\n' ' ')" "0 1 2 "
check "the init is the monitor's child" "$(awk '/^PPid/ {print $2}' "/proc/$pid/status")" "$mon"
status=""
for _ in $(seq 50); do
  status=$(h inspect -f '{{.State.Health.Status}}' mx-run)
  [[ $status == healthy ]] && break
  sleep 0.1
done
check "a probe run by the monitor made it healthy" "$status" "healthy"

id=$(h run -d --name mx-log busybox printf 'tab\there "q" \\ \001 caf\303\251\n')
h wait mx-log >/dev/null
line=$(sed 's/"time":"[0-9T:.-]*Z"/"time":"T"/' "$R/containers/$id/$id-json.log")
check "the log line is docker's json-file line" "$line" \
  '{"log":"tab\there \"q\" \\ \u0001 café\n","stream":"stdout","time":"T"}'
# Several starts of one container at once (an up killed with -9 leaves its
# monitors setting up while the next up starts the same containers): each
# monitor sets it up in turn, so one init runs and every start succeeds.
h create --name mx-race busybox sleep 1000 >/dev/null
pids=()
for _ in 1 2 3 4; do h start mx-race >/dev/null 2>&1 & pids+=($!); done
codes=""
for p in "${pids[@]}"; do wait "$p"; codes+="$? "; done
check "four starts at once all succeed" "$codes" "0 0 0 0 "
check "and one init runs" "$(h ls | grep -c mx-race) $(h top mx-race 2>/dev/null | grep -c 'sleep 1000')" "1 1"
h kill mx-race >/dev/null
check "kill returns once the container stopped" "$(h inspect -f '{{.State.Running}}' mx-race)" "false"
h rm -f mx-run mx-log mx-race >/dev/null
check "rm -f" "$?" "0"
exit $((failures > 0))
