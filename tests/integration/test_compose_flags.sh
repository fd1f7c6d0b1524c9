#!/usr/bin/env bash
# Project verb flags that had no test (issue 6), on services with network_mode
# none: up --abort-on-container-failure, --exit-code-from, --attach/--no-attach,
# --timestamps, --no-log-prefix, --no-start, --progress json/bogus,
# COMPOSE_PROGRESS=quiet, --ansi never, exec -e/-u/-w/-d/--index, attach,
# deploy.replicas, an optional failed dependency, stop order, --wait-timeout,
# logs --since/--until, down --rmi all.
test_kind=compose-flags source "$(dirname "${BASH_SOURCE[0]}")/check_lib.sh"
D=$R/project
mkdir -p "$D"
h() { "$HAKO" --root "$R" "$@"; }
c() { h --progress quiet -f "$D/compose.yaml" -p hkcf "$@"; }
cp_() { h --progress plain -f "$D/compose.yaml" -p hkcf "$@"; }  # with plain progress lines
states() {  # "NAME STATE" of every container of the project, sorted, one line
  c ps -a | awk 'NR > 1 {print $1, (/ Up / ? "running" : / Exited / ? "exited" : / Created / ? "created" : "?")}' |
    sort | tr '\n' ' '
}
down() { c down -t 0 >/dev/null 2>&1; }
elapsed_ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

bash "$SRC/scripts/make-test-image.sh" "$R/image.tar" >/dev/null
h image import "$R/image.tar" busybox >/dev/null || { echo "FAIL: image import"; exit 1; }
h image tag busybox hkcf-img:1 >/dev/null
h image tag busybox hkcf-other:1 >/dev/null  # in no service

cat >"$D/compose.yaml" <<'EOF'
x-base: &base
  image: busybox
  network_mode: none
  stop_signal: SIGKILL
services:
  good:
    <<: *base
    command: sh -c 'echo good-out; sleep 0.2'
  bad:
    <<: *base
    command: sh -c 'echo bad-out; exit 3'
  slow:
    <<: *base
    command: sh -c 'echo slow-out; sleep 30'
  web:
    <<: *base
    command: sleep 30
    deploy:
      replicas: 3
  late:
    <<: *base
    command: sh -c 'sleep 0.5; echo late-line; exit 4'
  two:
    <<: *base
    command: sh -c 'echo first; sleep 0.6; echo second; sleep 30'
  x:
    <<: *base
    command: sh -c 'exit 1'
  y:
    <<: *base
    command: sleep 30
    depends_on:
      x: {condition: service_completed_successfully, required: false}
  a:
    <<: *base
    command: sleep 30
  b:
    <<: *base
    command: sleep 30
    depends_on: [a]
  c:
    <<: *base
    command: sleep 30
    depends_on: [b]
  never:
    <<: *base
    command: sleep 30
    healthcheck: {test: ["CMD", "false"], interval: 1s, retries: 100}
  own:
    <<: *base
    image: hkcf-img:1
    command: "true"
EOF

# --abort-on-container-failure: the failing one's status; the others are stopped.
start=$(date +%s%N)
c up --abort-on-container-failure good bad slow >/dev/null 2>&1
check "up --abort-on-container-failure exits with the failing container's status" "$?" "3"
check "… and stops the others at once" "$(( $(elapsed_ms "$start") < 8000 )) $(states)" \
  "1 hkcf-bad-1 exited hkcf-good-1 exited hkcf-slow-1 exited "
down
c up --exit-code-from bad good bad >/dev/null 2>&1
check "up --exit-code-from bad" "$?" "3"
down
check "up --attach good: only good's output" "$(c up --attach good good bad 2>/dev/null)" "good-1  | good-out"
down
check "up --no-attach bad: only good's output" "$(c up --no-attach bad good bad 2>/dev/null)" "good-1  | good-out"
down
check "up --timestamps prefixes an RFC 3339 time" \
  "$(c up --timestamps good 2>/dev/null | sed -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z/TIME/')" "good-1  | TIME good-out"
down
check "up --no-log-prefix" "$(c up --no-log-prefix good 2>/dev/null)" "good-out"
down

# --no-start creates and does not start.
c up --no-start good slow >/dev/null 2>&1
check "up --no-start: created, not running" "$(states)" "hkcf-good-1 created hkcf-slow-1 created "
down

# Progress output: json lines, quiet by the environment, a bogus mode, --ansi never.
out=$(h --progress json -f "$D/compose.yaml" -p hkcf up -d slow 2>&1 >/dev/null)
check "--progress json: every line an object with id and status" \
  "$(grep -cvE '^\{"id":"[^"]+","status":"[^"]+"' <<<"$out") $(grep -c . <<<"$out")" "0 4"
contains "--progress json: the container's start" "$out" '{"id":"Container hkcf-slow-1","status":"Started"}'
down
check "COMPOSE_PROGRESS=quiet: up -d prints nothing" \
  "$(COMPOSE_PROGRESS=quiet "$HAKO" --root "$R" -f "$D/compose.yaml" -p hkcf up -d slow 2>&1)" ""
down
h --progress bogus -f "$D/compose.yaml" -p hkcf up -d slow >/dev/null 2>&1
check "--progress bogus: usage error" "$?" "2"
check "--ansi never: no escape byte, even on a terminal" \
  "$(script -qec "'$HAKO' --root '$R' -f '$D/compose.yaml' -p hkcf --ansi never up -d slow" /dev/null | grep -c $'\x1b')" "0"
check "(the terminal view without it has escapes)" \
  "$(script -qec "'$HAKO' --root '$R' -f '$D/compose.yaml' -p hkcf up -d --force-recreate slow" /dev/null | grep -c $'\x1b' | sed 's/^[1-9][0-9]*$/some/')" "some"
down

# deploy.replicas: three containers numbered 1-3; exec picks one with --index.
c up -d web >/dev/null 2>&1
check "deploy.replicas: 3 containers numbered 1-3" "$(states)" "hkcf-web-1 running hkcf-web-2 running hkcf-web-3 running "
id2=$(h container inspect -f '{{.Id}}' hkcf-web-2)
check "exec -e -u -w --index 2" \
  "$(c exec -T -e FOO=bar -u nobody -w /tmp --index 2 web sh -c 'echo "$FOO $(id -u) $(pwd) $HOSTNAME"')" "bar 65534 /tmp ${id2:0:12}"
c exec -T web sh -c 'exit 5'
check "exec passes the exit status" "$?" "5"
c exec -T -d --index 3 web sh -c 'echo detached >/tmp/d'
check "exec -d returns at once with 0" "$?" "0"
has_d() { [[ $(c exec -T --index 3 web cat /tmp/d 2>/dev/null) == detached ]]; }
for _ in $(seq 40); do has_d && break; sleep 0.05; done
check "… and the detached command ran" "$(c exec -T --index 3 web cat /tmp/d)" "detached"
c exec -T --index 4 web true 2>/dev/null
check "exec --index 4 of 3 fails" "$?" "1"
down

# attach: the running container's output, and its exit status when it ends.
c up -d late >/dev/null 2>&1
out=$(timeout 10 "$HAKO" --root "$R" -f "$D/compose.yaml" -p hkcf attach --no-stdin late </dev/null)
check "attach streams the output and passes the exit status" "$? $out" "4 late-line"
down

# An optional (required: false) dependency that fails: the dependent starts, with a warning.
out=$(cp_ up -d y 2>&1)
check "optional failed dependency: up succeeds" "$?" "0"
contains "… and warns naming it" "$out" "optional dependency x failed"
check "… the dependent runs" "$(states)" "hkcf-x-1 exited hkcf-y-1 running "
down

# Stop order is the reverse of the start order (a <- b <- c).
started=$(cp_ up -d c 2>&1 | awk '$3 == "Started" {print $2}' | tr '\n' ' ')
check "start order a b c" "$started" "hkcf-a-1 hkcf-b-1 hkcf-c-1 "
stopped=$(cp_ down -t 0 2>&1 | awk '$3 == "Stopped" {print $2}' | tr '\n' ' ')
check "stop order c b a" "$stopped" "hkcf-c-1 hkcf-b-1 hkcf-a-1 "

# --wait-timeout: a never-healthy service fails the wait in time.
start=$(date +%s%N)
c up -d --wait --wait-timeout 2 never >/dev/null 2>&1
rc=$?
ms=$(elapsed_ms "$start")
check "up --wait --wait-timeout 2 of a never-healthy service fails" "$([[ $rc -ne 0 ]] && echo failed)" "failed"
check "… within the timeout and a second (${ms} ms)" "$(( ms >= 2000 && ms < 3500 ))" "1"
down

# logs --since / --until around a time between two lines.
c up -d two >/dev/null 2>&1
has() { [[ $(c logs --no-log-prefix two 2>/dev/null) == *"$1"* ]]; }
for _ in $(seq 100); do has first && break; sleep 0.05; done
mid=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
for _ in $(seq 100); do has second && break; sleep 0.05; done
check "logs --since MID: the later line only" "$(c logs --no-log-prefix --since "$mid" two)" "second"
check "logs --until MID: the earlier line only" "$(c logs --no-log-prefix --until "$mid" two)" "first"
check "logs --since 1h: both" "$(c logs --no-log-prefix --since 1h two | tr '\n' ' ')" "first second "
check "logs --since a future time: none" "$(c logs --no-log-prefix --since 2099-01-01T00:00:00Z two)" ""
c logs --since bogus two >/dev/null 2>&1
check "logs --since bogus: usage error" "$?" "2"
down

# down --rmi all: the images of the project's services go, others stay.
c up -d own >/dev/null 2>&1
c down -t 0 --rmi all >/dev/null 2>&1
check "down --rmi all removes the project's image and keeps the others" \
  "$(h image ls | awk 'NR > 1 {print $1 ":" $2}' | sort | tr '\n' ' ')" "hkcf-other:1 "

if [[ $failures -ne 0 ]]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all compose flag checks passed"
