#!/usr/bin/env bash
# The compose view verbs (ps, logs, top, port, images, ls, wait, pause/unpause,
# stats, events, cp) on real containers of a project, made with labelled
# `hako container run -d` so the test needs nothing of `up`; own --root.
set -uo pipefail
if [[ $EUID -ne 0 ]]; then
  echo "SKIP: the compose view tests need root" >&2
  exit 0
fi
HAKO=${HAKO:-${HAKO_BUILD_DIR:-/work/main/build}/hako}
SRC=${HAKO_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
R=$(mktemp -d /tmp/hako-view-test.XXXXXX)
failures=0
events_pid=

cleanup() {
  [[ -n $events_pid ]] && kill "$events_pid" 2>/dev/null
  for id in $("$HAKO" --root "$R" container ls -a -q 2>/dev/null); do
    "$HAKO" --root "$R" container rm -f "$id" >/dev/null 2>&1
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
h() { "$HAKO" --root "$R" -p vw "$@"; }
# svc SERVICE NUMBER COMMAND: a container of project vw, as up would label it.
svc() {
  "$HAKO" --root "$R" container run -d -l hako.project=vw -l hako.service="$1" -l hako.container-number="$2" \
    -l hako.oneoff=False -l hako.config-files=/srv/vw/compose.yaml --name "vw-$1-$2" busybox sh -c "$3" >/dev/null
}

bash "$SRC/scripts/make-test-image.sh" "$R/image.tar" >/dev/null
"$HAKO" --root "$R" image import "$R/image.tar" busybox >/dev/null || { echo "FAIL: image import"; exit 1; }

"$HAKO" --root "$R" events --json -p vw >"$R/events" 2>&1 &
events_pid=$!
sleep 0.3

svc web 1 'echo web one; sleep 1.5; echo web two; trap "exit 0" TERM; while true; do sleep 0.1; done'
sleep 0.1
svc db 1 'echo db one >&2; sleep 60'
svc job 1 'echo job done; exit 3'
svc web 2 'trap "exit 0" TERM; while true; do sleep 0.1; done'
sleep 2
# On a busy machine 2 s may not be enough: job must have exited and web-1 printed its second line.
"$HAKO" --root "$R" container wait vw-job-1 >/dev/null 2>&1
for _ in $(seq 1000); do
  [[ $("$HAKO" --root "$R" container logs vw-web-1 2>/dev/null) == *"web two"* ]] && break
  sleep 0.01
done

# ps
check "ps lists the running containers by service and number" "$(h ps | awk 'NR>1 {print $1}' | tr '\n' ' ')" "vw-db-1 vw-web-1 vw-web-2 "
check "ps -a adds the exited one" "$(h ps -a --services | tr '\n' ' ')" "db job web "
check "ps --status exited" "$(h ps --status exited | awk 'NR>1 {print $1}')" "vw-job-1"
check "ps -q prints full ids" "$(h ps -q web | awk '{print length($0)}' | sort -u)" "64"
json=$(h ps -a --format json job)
for field in '"ID":"' '"Name":"vw-job-1"' '"Service":"job"' '"Project":"vw"' '"State":"exited"' '"Health":""' \
  '"ExitCode":3' '"Publishers":[]'; do
  [[ $json == *"$field"* ]]; check "ps json carries $field" "$?" "0"
done
check "ps --filter status=running --services" "$(h ps --filter status=running --services | tr '\n' ' ')" "db web "
h ps --format yaml >/dev/null 2>&1; check "ps: unsupported format is a usage error" "$?" "2"
h ps nosuch >/dev/null 2>&1; check "ps: unknown service fails" "$?" "1"

# logs
check "logs of one service" "$(h logs --no-color job)" "job-1  | job done"
check "logs merged in time order, prefixes padded" "$(h logs --no-color web db | grep -v '^web-2' | head -3 | tr '\n' '|')" \
  "web-1  | web one|db-1   | db one|web-1  | web two|"
check "logs --no-log-prefix --tail 1" "$(h logs --no-log-prefix --tail 1 web --index 1)" "web two"
check "logs -t starts with the time" "$(h logs -t --no-color job | sed -E 's/^job-1  \| [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z /T /')" "T job done"
check "logs --until in the past prints nothing" "$(h logs --until 2000-01-01T00:00:00Z)" ""
h logs --since yesterday >/dev/null 2>&1; check "logs: bad --since is a usage error" "$?" "2"
timeout 5 "$HAKO" --root "$R" -p vw logs -f --no-color job >"$R/follow"; rc=$?
check "logs -f ends when the containers stopped" "$rc:$(cat "$R/follow")" "0:job-1  | job done"
check "colours on with --ansi always" "$(h --ansi always logs job | head -c 5 | od -An -c | tr -d ' ')" '033[36m'

# top, port, images, ls, stats
check "top shows the container's processes" "$(h top db | sed -n 1p):$(h top db | grep -c 'sleep 60')" "vw-db-1:1"
h port web 80 >/dev/null 2>"$R/err"; check "port: unpublished port fails" "$?:$(cat "$R/err")" "1:hako: no port 80/tcp for container vw-web-1"
check "images" "$(h images db | awk 'NR==2 {print $1, $2, $3}')" "vw-db-1 busybox latest"
check "ls shows the project with its states and files" "$("$HAKO" --root "$R" ls | awk 'NR==2')" \
  "vw    exited(1), running(3)  /srv/vw/compose.yaml"
check "ls --format json" "$("$HAKO" --root "$R" ls --format json)" \
  '[{"Name":"vw","Status":"exited(1), running(3)","ConfigFiles":"/srv/vw/compose.yaml"}]'
check "stats --no-stream: one row per running container" "$(h stats --no-stream | awk 'NR>1 {print $2}' | tr '\n' ' ')" \
  "vw-db-1 vw-web-1 vw-web-2 "

# pause / unpause: the processes really stop and go on.
h pause web 2>/dev/null
sleep 0.3  # events polls every 100 ms: let it see the paused state
check "ps shows paused" "$(h ps --status paused --services)" "web"
h unpause web 2>/dev/null
sleep 0.3
check "unpause: running again" "$(h ps --status paused --services)" ""
h unpause web 2>/dev/null; check "unpause of a running service is a no-op" "$?" "0"

# cp both ways
echo payload >"$R/in.txt"
h cp "$R/in.txt" db:/tmp/in.txt; check "cp into a service" "$?" "0"
h cp db:/tmp/in.txt "$R/out.txt"; check "cp out of a service" "$(cat "$R/out.txt" 2>/dev/null)" "payload"

# wait: the exit status of the container it waited for
svc once 1 'sleep 0.5; exit 7'
h wait once >"$R/wait"; rc=$?
check "wait prints the exit code and exits with it" "$rc:$(cat "$R/wait")" "7:7"

# events: what happened since the watcher started
"$HAKO" --root "$R" container rm -f vw-web-2 >/dev/null
sleep 0.5
kill "$events_pid" 2>/dev/null; wait "$events_pid" 2>/dev/null; events_pid=
for event in '"action":"create","id":"[0-9a-f]*","service":"job"' '"action":"start","id":"[0-9a-f]*","service":"job"' \
  '"action":"die","id":"[0-9a-f]*","service":"job","attributes":{"exitCode":"3"' '"action":"pause","id":"[0-9a-f]*","service":"web"' \
  '"action":"unpause"' '"action":"destroy","id":"[0-9a-f]*","service":"web"'; do
  grep -q "$event" "$R/events"; check "events: $event" "$?" "0"
done

# exit statuses without a project
"$HAKO" --root "$R" -p nothere ps >"$R/out"; check "ps of an unknown project: empty table, status 0" "$?:$(wc -l <"$R/out")" "0:1"

echo "failures: $failures"
[[ $failures -eq 0 ]]
