#!/usr/bin/env bash
# The README's main job, examples/quickstart, on real containers: it comes up
# healthcheck-gated, its page shows live numbers from Redis through the API, the
# worker takes the jobs, Redis writes to the named volume, the front network cannot
# reach the db, and `down -v` leaves nothing behind (containers, networks, volumes,
# mounts, bridges, veths, nft table, processes). Private root, project hkqs, port
# 18380 (test_network_bridge publishes 18080; ctest runs two at once), networks in 10.210.0.0/16. The Debian base tar is cached by
# scripts/make-quickstart-images.sh (made once, a few minutes; then reused).
set -uo pipefail
if [[ $EUID -ne 0 ]]; then
  echo "SKIP: the quickstart test needs root" >&2
  exit 0
fi
HAKO=${HAKO:-${HAKO_BUILD_DIR:-/work/main/build}/hako}
SRC=${HAKO_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
for tool in curl mmdebstrap; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is missing (scripts/install-deps.sh)" >&2; exit 0; }
done
R=$(mktemp -d /tmp/hako-quickstart-test.XXXXXX)
port=18380
url=http://127.0.0.1:$port
failures=0

h() { "$HAKO" --root "$R" --progress plain "$@"; }
c() { QUICKSTART_PORT=$port h -f "$SRC/examples/quickstart/compose.yaml" -f "$R/override.yaml" -p hkqs "$@"; }

cleanup() {
  set +e
  c down -v -t 0 --remove-orphans >/dev/null 2>&1
  for id in $("$HAKO" --root "$R" container ls -a -q 2>/dev/null); do "$HAKO" --root "$R" container rm -f "$id" >/dev/null 2>&1; done
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
# poll SECONDS COMMAND…: true as soon as COMMAND succeeds, false after SECONDS
poll() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}
stat_of() { curl -sS --max-time 20 "$url/cgi-bin/stats" | sed -n "s/^  \"$1\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}\$/\1/p"; }
page_visits() { curl -sS --max-time 20 "$url/" | sed -n 's/.*id="visits">\([0-9]*\)<.*/\1/p'; }

cat >"$R/override.yaml" <<'YAML'
networks:
  front:
    ipam: {config: [{subnet: 10.210.1.0/24}]}
  back:
    ipam: {config: [{subnet: 10.210.2.0/24}]}
YAML

tar=${HAKO_QUICKSTART_TAR:-${XDG_CACHE_HOME:-$HOME/.cache}/hako/quickstart-base-bookworm.tar}
HAKO=$HAKO bash "$SRC/scripts/make-quickstart-images.sh" --root "$R" >"$R/images.out" 2>&1
status=$?
if ((status != 0)) && [[ ! -s $tar ]]; then
  # No Debian archive in reach: nothing of hako was tried yet.
  echo "SKIP: the quickstart's base image could not be made: $(tail -1 "$R/images.out")" >&2
  exit 0
fi
check "quickstart-base is taken from the cache (or made) and imported" "$status" "0"
c build -q >"$R/build.out" 2>&1; check "the api, worker and web images build FROM quickstart-base" "$?" "0"
c up -d --wait --wait-timeout 120 >"$R/up.out" 2>&1; check "up -d --wait of the quickstart succeeds" "$?" "0"
check "four services run" "$(c ps --services --status running 2>/dev/null | sort | tr '\n' ' ')" "api db web worker "
dbh=$(grep -n 'hkqs-db-1  Healthy' "$R/up.out" | cut -d: -f1 | head -1)
apic=$(grep -n 'hkqs-api-1  Creating' "$R/up.out" | cut -d: -f1 | head -1)
apih=$(grep -n 'hkqs-api-1  Healthy' "$R/up.out" | cut -d: -f1 | head -1)
webc=$(grep -n 'hkqs-web-1  Creating' "$R/up.out" | cut -d: -f1 | head -1)
[[ -n $dbh && -n $apic && $dbh -lt $apic ]]; check "api is created once db is healthy" "$?" "0"
[[ -n $apih && -n $webc && $apih -lt $webc ]]; check "web is created once api is healthy" "$?" "0"

# --- the page: live numbers from Redis through the API ---
first=$(page_visits)
second=$(page_visits)
[[ $first =~ ^[0-9]+$ && $second =~ ^[0-9]+$ ]]; check "the page shows a visit count" "$?" "0"
check "each view counts one visit in Redis" "$((${second:-0} - ${first:-0}))" "1"
curl -sS --max-time 20 "$url/" | grep -q 'Redis</td><td>7\.'; check "the page shows Redis's version, through the API" "$?" "0"

# --- the worker takes the jobs the views queued ---
worker_done() { [[ $(stat_of jobs_processed) -ge 2 && $(stat_of jobs_queued) == 0 ]]; }
poll 15 worker_done; check "the worker took every queued job" "$?" "0"
worker_logged() { c logs worker 2>/dev/null | grep -q 'worker: job 2 done: visit'; }
poll 10 worker_logged; check "the worker logs its jobs" "$?" "0"
check "the worker is seen by the API" "$(stat_of worker_seen_seconds_ago | grep -c '^[0-9]')" "1"

# --- the db's data is on the named volume ---
mountpoint=$(h volume inspect hkqs_redis-data 2>/dev/null | sed -n 's/^ *"Mountpoint": "\(.*\)",*$/\1/p')
aof_has_visits() { grep -rqs visits "$mountpoint/appendonlydir"; }
[[ -n $mountpoint ]] && poll 5 aof_has_visits; check "Redis's append-only file on volume hkqs_redis-data holds the counter" "$?" "0"

# --- networks: web is on front only, so db is not even a name there ---
c exec -T web sh -c 'redis-cli -h db ping' >/dev/null 2>&1; check "web (front) cannot reach db (back)" "$?" "1"
check "api (front + back) reaches db" "$(c exec -T api redis-cli -h db ping 2>/dev/null)" "PONG"

# what down must remove, noted while it runs
networks=$(h network ls -q 2>/dev/null | tr '\n' ' ')
veths=$(cat "$R"/networks/*/endpoints/*.json 2>/dev/null | sed -n 's/.*"host_interface": *"\([^"]*\)".*/\1/p' | tr '\n' ' ')
[[ -n $veths ]]; check "the running stack has veths to check" "$?" "0"
table=$(python3 -c 'import hashlib,os,sys;print("hako_"+hashlib.sha256(os.path.abspath(sys.argv[1]).encode()).hexdigest()[:10])' "$R")
ids=$(ls "$R/containers" 2>/dev/null | tr '\n' ' ')
monitors=$(cat "$R"/containers/*/state.json 2>/dev/null | sed -n 's/.*"monitor_pid": *\([0-9]*\).*/\1/p' | tr '\n' ' ')
check "four monitors to check" "$(echo $monitors | wc -w)" "4"
dns_pid=$(cut -d' ' -f1 "$R/run/dns.pid" 2>/dev/null)

# --- down -v leaves nothing behind ---
c down -v -t 1 >"$R/down.out" 2>&1; check "down -v succeeds" "$?" "0"
check "no container left" "$(h container ls -a -q 2>/dev/null)" ""
check "no network left" "$(h network ls -q 2>/dev/null)" ""
check "no volume left" "$(h volume ls -q 2>/dev/null)" ""
check "no mount under the root left" "$(awk -v r="$R" 'index($2, r) == 1' /proc/self/mounts | wc -l)" "0"
left=0
for n in $networks; do ip link show "hk-${n:0:12}" >/dev/null 2>&1 && left=$((left + 1)); done
for v in $veths; do ip link show "$v" >/dev/null 2>&1 && left=$((left + 1)); done
check "no bridge or veth left" "$left" "0"
check "no nft table of this root left" "$(nft list tables 2>/dev/null | grep -c "$table")" "0"
[[ -z $dns_pid ]] || poll 5 eval "! kill -0 $dns_pid 2>/dev/null"; check "the DNS responder is gone" "$?" "0"
alive=0
for pid in $monitors; do kill -0 "$pid" 2>/dev/null && alive=$((alive + 1)); done
check "no monitor left" "$alive" "0"
check "no process of the root left" "$(pgrep -f -- "$R" | grep -vx "$$" | wc -l)" "0"
check "no container folder left" "$(ls "$R/containers" 2>/dev/null | wc -l)" "0"
cgroups=0
for id in $ids; do
  for hierarchy in /sys/fs/cgroup /sys/fs/cgroup/*; do [[ -d $hierarchy/hako/$id ]] && cgroups=$((cgroups + 1)); done
done
check "no cgroup of the project's containers left" "$cgroups" "0"

if ((failures > 0)); then
  echo "$failures check(s) failed"
  for f in images build up down; do echo "--- $f"; tail -20 "$R/$f.out"; done
  exit 1
fi
echo "all checks passed"
