#!/usr/bin/env bash
# The stacks in examples/ run as their READMEs say, each checked for the thing it
# shows: migrate (healthcheck-gated order, a one-shot that exits 0, --wait),
# multistage (build stages, COPY --from, up --build), dev-override (the automatic
# override, -f for prod), profiles (--profile, COMPOSE_PROFILES, naming a service),
# internal-network (the backend reaches nothing outside its network), gpu-cdi (a
# fake CDI spec and a mknod'ed node), include (paths and variables of the included
# project). Each one: up, checks, down -v, nothing left. One image import, a
# private --root, every example copied to a temp folder first (the dev-override
# check edits its source folder). Subnets 10.211.0.0/16, ports 18100-18199 only.
set -uo pipefail
if [[ $EUID -ne 0 ]]; then
  echo "SKIP: the example tests need root" >&2
  exit 0
fi
HAKO=${HAKO:-${HAKO_BUILD_DIR:-/work/main/build}/hako}
SRC=${HAKO_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BB=/bin/busybox
R=$(mktemp -d /tmp/hako-examples-test.XXXXXX)
failures=0
listener_pid=""
LISTENER_PORT=18190

# hako on the private root, as a user types it (the example folder is the cwd).
h() { env -u HAKO_CDI_SPEC_DIRS -u HAKO_NVIDIA_ROOT -u COMPOSE_PROFILES -u COMPOSE_FILE \
  "$HAKO" --root "$R/root" --progress plain "$@"; }

cleanup() {
  set +e
  [[ -n $listener_pid ]] && kill "$listener_pid" 2>/dev/null
  for id in $("$HAKO" --root "$R/root" container ls -a -q 2>/dev/null); do
    "$HAKO" --root "$R/root" container rm -f "$id" >/dev/null 2>&1
  done
  for n in $("$HAKO" --root "$R/root" network ls -q 2>/dev/null); do
    "$HAKO" --root "$R/root" network rm "$n" >/dev/null 2>&1
  done
  cd /
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
# As contains, for a log: the monitor writes a line a moment after the container
# printed it, so the log is read again (10 ms steps, at most 10 s) until it has it.
log_contains() {  # log_contains DESCRIPTION SERVICE NEEDLE
  local text
  for _ in $(seq 1000); do
    text=$(h logs "$2" 2>&1)
    [[ $text == *"$3"* ]] && break
    sleep 0.01
  done
  contains "$1" "$text" "$3"
}
# The body of GET PATH from 127.0.0.1:PORT on the host; fails when nothing answers.
get() { printf 'GET %s HTTP/1.0\r\n\r\n' "$2" | $BB nc -w 2 127.0.0.1 "$1" 2>/dev/null | sed '1,/^\r*$/d' | grep .; }
# In a container: the last line of GET / from ADDRESS PORT (busybox's wget is not
# usable in a static busybox image, so nc).
CGET='cget() { printf "GET / HTTP/1.0\r\n\r\n" | nc -w 2 "$1" "$2" 2>/dev/null | tail -n 1 | grep .; }'
running() { h container ls 2>/dev/null | awk 'NR > 1 {print $NF}' | sort | tr '\n' ' '; }
# Everything of the root's that a project leaves: containers, networks, volumes.
leftovers() {
  echo "$(h container ls -a -q) $(h network ls -q) $(h volume ls -q)" | tr -s ' \n' ' ' | sed 's/^ //; s/ $//'
}
# example NAME: a fresh copy of examples/NAME as the working folder.
example() {
  echo "--- $1 (at ${SECONDS}s)"
  mkdir -p "$R/ex"
  cp -a "$SRC/examples/$1" "$R/ex/$1"
  cd "$R/ex/$1" || exit 1
}
line_of() { grep -n -F -- "$2" "$1" | head -1 | cut -d: -f1; }  # line_of FILE TEXT
before() {  # before DESCRIPTION FILE FIRST SECOND: FIRST's line comes before SECOND's
  local a b
  a=$(line_of "$2" "$3")
  b=$(line_of "$2" "$4")
  [[ -n $a && -n $b && $a -lt $b ]]
  check "$1" "$?" "0"
}

bash "$SRC/scripts/make-test-image.sh" "$R/image.tar" >/dev/null
"$HAKO" --root "$R/root" image import "$R/image.tar" busybox >/dev/null || { echo "FAIL: image import"; exit 1; }

# ---- migrate: db healthy -> migrate runs once, exits 0 -> app ----
example migrate
h up -d --wait --wait-timeout 60 >"$R/migrate.out" 2>&1
check "migrate: up -d --wait succeeds" "$?" "0"
before "migrate: the migration is created only once db is healthy" "$R/migrate.out" \
  "migrate-db-1  Healthy" "migrate-migrate-1  Creating"
before "migrate: app is created only once the migration exited" "$R/migrate.out" \
  "migrate-migrate-1  Exited" "migrate-app-1  Creating"
state=$(h ps -a --format json | tr '}' '\n' | grep '"Name":"migrate-migrate-1"')
contains "migrate: the one-shot exited" "$state" '"State":"exited"'
contains "migrate: with status 0" "$state" '"ExitCode":0'
log_contains "migrate: the migration ran" migrate "migrate: schema 0 -> 2"
check "migrate: app serves the migrated schema version" "$(get 18101 /)" "app: schema version 2"
h down -v >/dev/null 2>&1
check "migrate: down -v leaves nothing" "$(leftovers)" ""

# ---- multistage: builder stage -> COPY --from=builder ----
example multistage
h build >"$R/multistage.out" 2>&1
check "multistage: hako build succeeds" "$?" "0"
contains "multistage: the builder stage ran" "$(cat "$R/multistage.out")" "[builder"
h image inspect multistage-web >/dev/null 2>&1
check "multistage: the image is named multistage-web" "$?" "0"
check "multistage: the final image holds the verified artifact and not the builder's sources" \
  "$(h run --rm --no-deps web sh -c 'cd /srv && sha256sum -c MANIFEST >/dev/null && test ! -e /src && echo clean' 2>/dev/null)" "clean"
h up -d --build --wait >/dev/null 2>&1
check "multistage: up --build succeeds" "$?" "0"
contains "multistage: the page carries the version built in" "$(get 18102 /)" "version 1.0.0"
VERSION=2.0.0 h build >/dev/null 2>&1
h up -d --wait >"$R/multistage-up.out" 2>&1
contains "multistage: a rebuild with a new build arg recreates web" "$(cat "$R/multistage-up.out")" "multistage-web-1  Recreate"
contains "multistage: on the new image" "$(get 18102 /)" "version 2.0.0"
VERSION=3.0.0 h up -d --build --wait >"$R/multistage-up.out" 2>&1
contains "multistage: up --build with a new build arg recreates web at once" "$(cat "$R/multistage-up.out")" "multistage-web-1  Recreate"
contains "multistage: up --build serves the new image" "$(get 18102 /)" "version 3.0.0"
h down -v --rmi local >/dev/null 2>&1
check "multistage: down -v leaves nothing" "$(leftovers)" ""
h image inspect multistage-web >/dev/null 2>&1
check "multistage: down --rmi local removes the built image" "$?" "1"

# ---- dev-override: compose.override.yaml by default, -f for prod ----
example dev-override
h up -d --wait >/dev/null 2>&1
check "dev-override: up (dev) builds and starts" "$?" "0"
contains "dev-override: dev environment from the override" "$(get 18104 /cgi-bin/env)" "APP_ENV=development"
get 18103 / >/dev/null
check "dev-override: ports: !override drops the base's port" "$?" "1"
sed -i 's/Hello from the site folder/Edited live/' site/index.html
contains "dev-override: the bind-mounted source shows an edit at once" "$(get 18104 /)" "Edited live"
log_contains "dev-override: the override's command (httpd -vv) logs requests" web "url:/cgi-bin/env"
h -f compose.yaml -f compose.prod.yaml up -d --wait >"$R/prod.out" 2>&1
check "dev-override: up with -f compose.yaml -f compose.prod.yaml" "$?" "0"
contains "dev-override: the container is recreated for prod" "$(cat "$R/prod.out")" "devoverride-web-1  Recreate"
contains "dev-override: prod environment from the base" "$(get 18103 /cgi-bin/env)" "APP_ENV=production"
contains "dev-override: prod serves the image's copy of the site" "$(get 18103 /)" "Hello from the site folder"
get 18104 / >/dev/null
check "dev-override: prod does not publish the dev port" "$?" "1"
inspect=$(h container inspect devoverride-web-1)
contains "dev-override: prod's restart policy" "$inspect" '"Name": "unless-stopped"'
contains "dev-override: prod's read-only root" "$inspect" '"ReadonlyRootfs": true'
h -f compose.yaml -f compose.prod.yaml down -v --rmi local >/dev/null 2>&1
check "dev-override: down leaves nothing" "$(leftovers)" ""

# ---- profiles ----
example profiles
check "profiles: the profiles" "$(h config --profiles | tr '\n' ' ')" "debug tools "
check "profiles: without a profile" "$(h config --services | sort | tr '\n' ' ')" "app db "
check "profiles: --profile debug" "$(h --profile debug config --services | sort | tr '\n' ' ')" "app db debug "
check "profiles: COMPOSE_PROFILES=debug,tools" \
  "$(COMPOSE_PROFILES=debug,tools "$HAKO" --root "$R/root" config --services | sort | tr '\n' ' ')" \
  "app backup db debug seed "
h up -d >/dev/null 2>&1
check "profiles: up starts the services without a profile" "$(running)" "profiles-app-1 profiles-db-1 "
h --profile debug up -d >/dev/null 2>&1
check "profiles: --profile debug adds debug" "$(running)" "profiles-app-1 profiles-db-1 profiles-debug-1 "
check "profiles: run names seed, which turns tools on" "$(h run --rm seed 2>/dev/null)" "seed: wrote /data/seed"
check "profiles: run backup sees seed's file" "$(h run --rm backup 2>/dev/null)" "backup: 1 files in /data"
h up -d backup >/dev/null 2>&1
check "profiles: up naming backup starts it without --profile" "$?" "0"
log_contains "profiles: backup ran" backup "backup: 1 files in /data"
h down -v >/dev/null 2>&1
check "profiles: down -v removes profiled services too, and leaves nothing" "$(leftovers)" ""

# ---- internal-network: the backend reaches nothing outside its network ----
example internal-network
mkdir -p "$R/listener"
echo "host-listener" >"$R/listener/index.html"
$BB httpd -f -p "$LISTENER_PORT" -h "$R/listener" &
listener_pid=$!
h up -d --wait >/dev/null 2>&1
check "internal-network: up succeeds" "$?" "0"
for _ in $(seq 50); do get "$LISTENER_PORT" / >/dev/null && break; sleep 0.1; done
check "internal-network: the frontend answers with the backend's page" "$(get 18105 /cgi-bin/api)" \
  "backend: hello from the internal network"
check "internal-network: the backend has no default route" "$(h exec backend sh -c 'ip route | grep -c default')" "0"
check "internal-network: the frontend has one" "$(h exec frontend sh -c 'ip route | grep -c default')" "1"
targets="10.211.5.1"  # the public network's gateway, a host address
host_ip=$(ip -4 route get 1.1.1.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p')
[[ -n $host_ip ]] && targets="$targets $host_ip"
for target in $targets; do
  check "internal-network: the frontend reaches the host at $target" \
    "$(h exec frontend sh -c "$CGET; cget $target $LISTENER_PORT" 2>/dev/null)" "host-listener"
  h exec backend sh -c "$CGET; cget $target $LISTENER_PORT" >/dev/null 2>&1
  check "internal-network: the backend cannot reach the host at $target" "$?" "1"
done
kill "$listener_pid" 2>/dev/null
wait "$listener_pid" 2>/dev/null
listener_pid=""
h down -v >/dev/null 2>&1
check "internal-network: down leaves nothing" "$(leftovers)" ""

# ---- gpu-cdi: a fake nvidia.com/gpu CDI spec pointing at a node made here ----
example gpu-cdi
mkdir -p "$R/cdi" "$R/cdi-empty" "$R/no-nvidia" "$R/dev"
mknod -m 666 "$R/dev/fake-gpu0" c 1 3
cat >"$R/cdi/fake-nvidia.yaml" <<YAML
cdiVersion: "0.6.0"
kind: nvidia.com/gpu
containerEdits:
  env: ["NVIDIA_VISIBLE_DEVICES=void"]
devices:
  - name: "0"
    containerEdits:
      deviceNodes:
        - path: /dev/nvidia0
          hostPath: $R/dev/fake-gpu0
YAML
gpu() { HAKO_CDI_SPEC_DIRS=$1 HAKO_NVIDIA_ROOT=$R/no-nvidia "$HAKO" --root "$R/root" --progress plain "${@:2}"; }
gpu "$R/cdi-empty" up -d >"$R/gpu-none.out" 2>&1
check "gpu-cdi: without a spec up fails with status 125" "$?" "125"
contains "gpu-cdi: the error names the CDI device" "$(cat "$R/gpu-none.out")" "nvidia.com/gpu=all"
check "gpu-cdi: and nothing runs" "$(running)" ""
gpu "$R/cdi" up -d --wait >/dev/null 2>&1
check "gpu-cdi: up with the fake spec succeeds" "$?" "0"
for service in cuda trainer; do
  check "gpu-cdi: $service has the spec's node as /dev/nvidia0" \
    "$(h exec "$service" stat -c '%F %t:%T' /dev/nvidia0 2>&1)" "character special file 1:3"
  check "gpu-cdi: $service may write to it" "$(h exec "$service" sh -c 'echo x >/dev/nvidia0 && echo written' 2>&1)" "written"
  check "gpu-cdi: $service has the spec's environment" \
    "$(h exec "$service" sh -c 'echo $NVIDIA_VISIBLE_DEVICES' 2>&1)" "void"
done
contains "gpu-cdi: ps --format json shows the CDI device cuda holds" "$(h ps --format json cuda 2>&1)" '"DeviceIDs":["nvidia.com/gpu=all"]'
h down -v >/dev/null 2>&1
check "gpu-cdi: down leaves nothing" "$(leftovers)" ""

# ---- include: a project that includes another ----
example include
model=$(h config)
contains "include: the included file's paths resolve from its own folder" "$model" "source: $R/ex/include/db/init"
contains "include: its variables come from its env_file" "$model" "DB_NAME: shop"
h up -d --wait >/dev/null 2>&1
check "include: up -d --wait succeeds" "$?" "0"
check "include: one project, both services" "$(running)" "include-demo-app-1 include-demo-db-1 "
log_contains "include: app reached db by name" app "app: got 2 lines of schema from db"
contains "include: app serves db's file" "$(get 18107 /)" "CREATE TABLE customers"
h down -v >/dev/null 2>&1
check "include: down -v leaves nothing" "$(leftovers)" ""

echo "failures: $failures"
exit $((failures > 0))
