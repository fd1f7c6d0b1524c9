#!/usr/bin/env bash
# hako container run/create/start/stop/kill/rm/ls/inspect/logs/wait on the busybox
# test image, each container under its own monitor, with its own --root.
test_kind=container source "$(dirname "${BASH_SOURCE[0]}")/check_lib.sh"
h() { "$HAKO" --root "$R" container "$@"; }

bash "$SRC/scripts/make-test-image.sh" "$R/image.tar" >/dev/null
"$HAKO" --root "$R" image import "$R/image.tar" busybox >/dev/null || { echo "FAIL: image import"; exit 1; }

# Attached run: output and exit status.
check "run prints the command's output" "$(h run --rm busybox echo hello)" "hello"
h run --rm busybox sh -c 'exit 3'; check "exit status 3" "$?" "3"
h run --rm busybox nosuchcommand 2>/dev/null; check "command not found is 127" "$?" "127"
h run --rm busybox /etc/passwd 2>/dev/null; check "not executable is 126" "$?" "126"
check "stderr reaches the terminal" "$(h run --rm busybox sh -c 'echo oops >&2' 2>&1 >/dev/null)" "oops"
check "-e, -w and --hostname apply" "$(h run --rm -e A=b -w /etc --hostname box busybox sh -c 'echo $A $(pwd) $(hostname)')" "b /etc box"
check "the init is pid 1" "$(h run --rm busybox sh -c 'echo $$')" "1"

# Bad input: docker's messages and status 125.
h run --rm nosuchimage true 2>"$R/err"; check "unknown image is 125" "$?" "125"
grep -q "Unable to find image" "$R/err"; check "unknown image message" "$?" "0"
h run --rm -m 12zz busybox true 2>"$R/err"; check "bad memory size is 125" "$?" "125"
grep -q "invalid size" "$R/err"; check "bad size message" "$?" "0"
h run --rm --cpus abc busybox true 2>"$R/err"; check "bad --cpus is 125" "$?" "125"
grep -q '"abc" for "--cpus"' "$R/err"; check "bad --cpus message names the flag" "$?" "0"

# Detached, then ls, inspect, logs, stop timing.
id=$(h run -d --name web busybox sh -c 'echo started; trap "exit 0" TERM; while true; do sleep 0.1; done')
check "-d prints a 64-hex id" "${#id}" "64"
sleep 0.3
check "the container outlives the CLI (ls shows it)" "$(h ls -q)" "${id:0:12}"
check "inspect: running" "$(h inspect web | grep -c '"Running": true')" "1"
pid=$(h inspect web | sed -n 's/.*"Pid": \([0-9]*\).*/\1/p')
[[ -n $pid && $pid -gt 0 && -d /proc/$pid ]]; check "inspect shows a live pid" "$?" "0"
check "inspect: name" "$(h inspect web | grep -c '"Name": "/web"')" "1"
check "logs" "$(h logs web)" "started"
grep -q '"log":"started\\n","stream":"stdout","time":"' "$R/containers/$id/$id-json.log"; check "json-file log line" "$?" "0"
h run -d --name web busybox true >/dev/null 2>"$R/err"; check "name taken is 125" "$?" "125"
grep -q "already in use" "$R/err"; check "name taken message" "$?" "0"
start=$(date +%s%N)
h stop -t 10 web >/dev/null
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
[[ $elapsed -lt 5000 ]]; check "stop of a shell that exits on TERM takes ${elapsed} ms, under the grace" "$?" "0"
check "stopped container is exited (0)" "$(h ls -a --format json | grep -c '"State":"exited"')" "1"
check "wait prints the exit code" "$(h wait web)" "0"

# kill and rm.
h run -d --name sleeper busybox sleep 1000 >/dev/null
h kill sleeper >/dev/null; check "kill" "$?" "0"
check "killed: wait says 137" "$(h wait sleeper)" "137"
h start sleeper >/dev/null; check "start again" "$(h inspect sleeper | grep -c '"Running": true')" "1"
h rm sleeper >/dev/null 2>&1; check "rm of a running container is refused" "$?" "1"
mon=$(sed -n 's/.*"monitor_pid":\([0-9]*\).*/\1/p' "$R"/containers/*/state.json | head -1)
sid=$(h inspect sleeper | sed -n 's/.*"Id": "\([0-9a-f]*\)".*/\1/p')
h rm -f sleeper >/dev/null; check "rm -f" "$?" "0"
check "rm removes the folder" "$(ls "$R/containers" | grep -c "$sid")" "0"
check "no mount left under the root" "$(grep -c "$R/containers/$sid" /proc/self/mounts)" "0"
check "no cgroup left" "$(ls -d /sys/fs/cgroup/*/hako/$sid 2>/dev/null | wc -l)" "0"

# --rm leaves nothing.
before=$(ls "$R/containers" | wc -l)
h run --rm busybox true
check "--rm leaves no folder" "$(ls "$R/containers" | wc -l)" "$before"

# restart=on-failure:2 runs three times in all.
h run -d --name flaky --restart on-failure:2 busybox sh -c 'echo run; exit 1' >/dev/null
for _ in $(seq 1 100); do
  [[ "$(h inspect flaky | grep -c '"Status": "exited"')" == 1 ]] && break
  sleep 0.1
done
check "on-failure:2 restarts twice" "$(h logs flaky | grep -c run)" "3"
check "restart count" "$(h inspect flaky | sed -n 's/.*"RestartCount": \([0-9]*\).*/\1/p')" "2"

# A memory limit that ends in an OOM kill.
h run --name hog -m 8m busybox sh -c 'x=a; while true; do x=$x$x; done' >/dev/null 2>&1
code=$?
check "OOM: killed (137)" "$code" "137"
check "OOM recorded" "$(h inspect hog | grep -c '"OOMKilled": true')" "1"

# Nothing left after rm of everything: no monitors, no mounts.
for c in $(h ls -a -q); do h rm -f "$c" >/dev/null; done
check "no container left" "$(h ls -a -q | wc -l)" "0"
check "no mount under the root" "$(grep -c "$R" /proc/self/mounts)" "0"
# The monitor exits right after its container; it is no longer our child (it
# double-forked), so a zombie waiting for its reaper counts as gone.
monitor_gone() {
  local state
  [[ -d /proc/$1 ]] || return 0
  state=$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null) || return 0
  [[ -z $state || $state == Z ]]
}
if [[ -n $mon ]]; then
  gone=1
  for _ in $(seq 50); do
    if monitor_gone "$mon"; then gone=0; break; fi
    sleep 0.1
  done
  check "the monitor is gone" "$gone" "0"
fi

[[ $failures -eq 0 ]] || { echo "$failures failure(s)"; exit 1; }
echo "all container lifecycle checks passed"
