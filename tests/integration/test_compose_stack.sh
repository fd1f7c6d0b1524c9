#!/usr/bin/env bash
# hako up/down/create/start/stop/restart/kill/rm/run/scale on real containers: a
# healthcheck-gated three-tier stack, recreate only what changed, scale, orphans,
# run --rm, down -v, profiles, --wait with a one-shot migration, a failing
# dependency, nothing to do on a second up, recovery after killed monitors.
# Networks use 10.203.0.0/16 only.
set -uo pipefail
if [[ $EUID -ne 0 ]]; then
  echo "SKIP: the compose tests need root" >&2
  exit 0
fi
HAKO=${HAKO:-${HAKO_BUILD_DIR:-/work/main/build}/hako}
SRC=${HAKO_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
R=$(mktemp -d /tmp/hako-compose-test.XXXXXX)
D=$R/project
mkdir -p "$D"
failures=0

h() { "$HAKO" --root "$R" --progress plain "$@"; }
c() { h -f "$D/compose.yaml" -p hkst "$@"; }

cleanup() {
  set +e
  for f in "$D"/*.yaml; do h -f "$f" -p hkst down -v -t 0 --remove-orphans >/dev/null 2>&1; done
  for id in $("$HAKO" --root "$R" container ls -a -q 2>/dev/null); do
    "$HAKO" --root "$R" container rm -f "$id" >/dev/null 2>&1
  done
  for n in $("$HAKO" --root "$R" network ls -q 2>/dev/null); do "$HAKO" --root "$R" network rm "$n" >/dev/null 2>&1; done
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
# names of the project's containers (all states), sorted
names() { "$HAKO" --root "$R" container ls -a 2>/dev/null | awk 'NR > 1 {print $NF}' | sort | tr '\n' ' '; }
running() { "$HAKO" --root "$R" container ls 2>/dev/null | awk 'NR > 1 {print $NF}' | sort | tr '\n' ' '; }
cid() { "$HAKO" --root "$R" container inspect "$1" 2>/dev/null | sed -n 's/^ *"Id": "\([0-9a-f]*\)".*/\1/p' | head -1; }

bash "$SRC/scripts/make-test-image.sh" "$R/image.tar" >/dev/null
"$HAKO" --root "$R" image import "$R/image.tar" busybox >/dev/null || { echo "FAIL: image import"; exit 1; }

stack() {  # stack API_COMMAND: the three-tier stack
  cat >"$D/compose.yaml" <<YAML
services:
  db:
    image: busybox
    command: ["sh", "-c", "sleep 0.3; touch /tmp/ready; exec sleep 1000"]
    stop_signal: SIGKILL
    healthcheck: {test: ["CMD", "test", "-f", "/tmp/ready"], interval: 200ms, retries: 20}
    volumes: [data:/data]
  api:
    image: busybox
    command: ["sh", "-c", "$1"]
    stop_signal: SIGKILL
    depends_on: {db: {condition: service_healthy}}
  web:
    image: busybox
    command: ["sleep", "1000"]
    stop_signal: SIGKILL
    depends_on: [api]
networks:
  default:
    ipam: {config: [{subnet: 10.203.10.0/24}]}
volumes:
  data: {}
YAML
}

# --- three-tier, healthcheck-gated ---
stack "exec sleep 1000"
c up -d >"$R/up.out" 2>&1; check "up -d of the stack succeeds" "$?" "0"
check "three containers run" "$(running)" "hkst-api-1 hkst-db-1 hkst-web-1 "
dbh=$(grep -n 'hkst-db-1  Healthy' "$R/up.out" | cut -d: -f1 | head -1)
apic=$(grep -n 'hkst-api-1  Creating' "$R/up.out" | cut -d: -f1 | head -1)
[[ -n $dbh && -n $apic && $dbh -lt $apic ]]; check "api is created only once db is healthy" "$?" "0"
"$HAKO" --root "$R" container inspect hkst-web-1 | grep -q '"hako.project": "hkst"'; check "labels carry the project" "$?" "0"

# --- second up: nothing to do ---
ids_before="$(cid hkst-db-1) $(cid hkst-api-1) $(cid hkst-web-1)"
c up -d >"$R/up2.out" 2>&1; check "second up succeeds" "$?" "0"
grep -q "Nothing to do" "$R/up2.out"; check "second up says there is nothing to do" "$?" "0"
check "second up keeps every container" "$(cid hkst-db-1) $(cid hkst-api-1) $(cid hkst-web-1)" "$ids_before"

# --- change one service: exactly one recreated ---
stack "exec sleep 999"
c up -d >"$R/up3.out" 2>&1; check "up after a change succeeds" "$?" "0"
[[ $(cid hkst-api-1) != $(echo $ids_before | cut -d' ' -f2) ]]; check "the changed service is recreated" "$?" "0"
check "the others are kept" "$(cid hkst-db-1) $(cid hkst-web-1)" "$(echo $ids_before | cut -d' ' -f1) $(echo $ids_before | cut -d' ' -f3)"

# --- scale ---
c up -d --scale web=3 >/dev/null 2>&1; check "up --scale web=3" "$(running)" "hkst-api-1 hkst-db-1 hkst-web-1 hkst-web-2 hkst-web-3 "
c scale web=1 >/dev/null 2>&1; check "scale web=1 keeps the lowest number" "$(running)" "hkst-api-1 hkst-db-1 hkst-web-1 "

# --- stop / start / restart / kill / rm ---
c stop -t 0 >/dev/null 2>&1; check "stop stops everything" "$(running)" ""
c start >/dev/null 2>&1; check "start starts everything" "$(running)" "hkst-api-1 hkst-db-1 hkst-web-1 "
old=$(cid hkst-web-1)
c restart web >/dev/null 2>&1; check "restart web keeps its container" "$(cid hkst-web-1)" "$old"
check "restart: web runs again" "$(running)" "hkst-api-1 hkst-db-1 hkst-web-1 "
c kill -s SIGKILL web >/dev/null 2>&1; check "kill web" "$(running)" "hkst-api-1 hkst-db-1 "
c rm -f web >/dev/null 2>&1; check "rm -f web removes the stopped container" "$(names)" "hkst-api-1 hkst-db-1 "
c up -d >/dev/null 2>&1; check "up brings web back" "$(running)" "hkst-api-1 hkst-db-1 hkst-web-1 "

# --- run --rm ---
check "run --rm prints the command's output" "$(c run --rm --no-deps web echo one-off 2>/dev/null)" "one-off"
c run --rm --no-deps web sh -c 'exit 7' >/dev/null 2>&1; check "run --rm returns the command's status" "$?" "7"
check "run --rm leaves no container" "$(names)" "hkst-api-1 hkst-db-1 hkst-web-1 "

# --- orphans ---
cat >"$D/small.yaml" <<YAML
services:
  db:
    image: busybox
    command: ["sleep", "1000"]
    stop_signal: SIGKILL
networks:
  default:
    ipam: {config: [{subnet: 10.203.10.0/24}]}
YAML
h -f "$D/small.yaml" -p hkst up -d >"$R/orphan.out" 2>&1
grep -q "orphan containers" "$R/orphan.out"; check "orphans are reported" "$?" "0"
h -f "$D/small.yaml" -p hkst up -d --remove-orphans >/dev/null 2>&1
check "--remove-orphans removes them" "$(names)" "hkst-db-1 "

# --- down -v removes the project's volumes and nothing else ---
"$HAKO" --root "$R" volume create keepme >/dev/null
c up -d >/dev/null 2>&1
"$HAKO" --root "$R" volume ls -q | grep -q '^hkst_data$'; check "the project volume exists" "$?" "0"
c down -v -t 0 >/dev/null 2>&1; check "down -v succeeds" "$?" "0"
check "down removes every container" "$(names)" ""
check "down -v removes the project's volume only" "$("$HAKO" --root "$R" volume ls -q | tr '\n' ' ')" "keepme "
"$HAKO" --root "$R" network ls | grep -q hkst_default; check "down removes the project's network" "$?" "1"
"$HAKO" --root "$R" volume rm keepme >/dev/null

# --- profiles ---
cat >"$D/compose.yaml" <<YAML
services:
  app:
    image: busybox
    command: ["sleep", "1000"]
    stop_signal: SIGKILL
  debug:
    image: busybox
    command: ["sleep", "1000"]
    stop_signal: SIGKILL
    profiles: [debug]
networks:
  default:
    ipam: {config: [{subnet: 10.203.11.0/24}]}
YAML
c up -d >/dev/null 2>&1; check "a profiled service stays off" "$(running)" "hkst-app-1 "
h -f "$D/compose.yaml" -p hkst --profile debug up -d >/dev/null 2>&1
check "--profile turns it on" "$(running)" "hkst-app-1 hkst-debug-1 "
c down -t 0 >/dev/null 2>&1

# --- --wait with a one-shot migration ---
cat >"$D/compose.yaml" <<YAML
services:
  migrate:
    image: busybox
    command: ["sh", "-c", "sleep 0.2; exit 0"]
  app:
    image: busybox
    command: ["sleep", "1000"]
    stop_signal: SIGKILL
    depends_on: {migrate: {condition: service_completed_successfully}}
networks:
  default:
    ipam: {config: [{subnet: 10.203.12.0/24}]}
YAML
c up -d --wait --wait-timeout 30 >"$R/wait.out" 2>&1; check "up --wait with a one-shot migration succeeds" "$?" "0"
check "the app runs after the migration" "$(running)" "hkst-app-1 "
c down -t 0 >/dev/null 2>&1

# --- a failing dependency fails up, naming it, without hanging ---
cat >"$D/compose.yaml" <<YAML
services:
  migrate:
    image: busybox
    command: ["sh", "-c", "exit 3"]
  app:
    image: busybox
    command: ["sleep", "1000"]
    depends_on: {migrate: {condition: service_completed_successfully}}
  sick:
    image: busybox
    command: ["sleep", "1000"]
    stop_signal: SIGKILL
    healthcheck: {test: ["CMD", "false"], interval: 100ms, retries: 2}
  needs_sick:
    image: busybox
    command: ["sleep", "1000"]
    depends_on: {sick: {condition: service_healthy}}
networks:
  default:
    ipam: {config: [{subnet: 10.203.13.0/24}]}
YAML
timeout 60 "$HAKO" --root "$R" --progress plain -f "$D/compose.yaml" -p hkst up -d >"$R/fail.out" 2>&1
rc=$?
check "a failing dependency fails up (status 1, no hang)" "$rc" "1"
grep -q 'migrate.*didn.t complete successfully: exit 3' "$R/fail.out"; check "the error names the failed one-shot" "$?" "0"
grep -q 'hkst-sick-1 is unhealthy' "$R/fail.out"; check "the error names the unhealthy dependency" "$?" "0"
check "dependents were not created" "$(names | grep -c -e hkst-app-1 -e hkst-needs_sick-1)" "0"
c down -t 0 >/dev/null 2>&1

# --- down after every monitor was killed (as after a reboot) ---
stack "exec sleep 1000"
c up -d >/dev/null 2>&1
for id in $("$HAKO" --root "$R" container ls -q --no-trunc 2>/dev/null); do
  mpid=$(sed -n 's/.*"monitor_pid": *\([0-9]*\).*/\1/p' "$R/containers/$id/state.json")
  [[ -n $mpid ]] && kill -9 "$mpid" 2>/dev/null
done
sleep 0.2
c down -v -t 0 >/dev/null 2>&1; check "down works after the monitors were killed" "$?" "0"
check "nothing is left" "$(names)" ""

echo "failures: $failures"
exit $((failures > 0))
