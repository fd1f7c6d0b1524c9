#!/usr/bin/env bash
# Compose verbs under faults and the remaining flags: kill -9 of hako in the
# middle of `up` (the next up and down complete it), Ctrl-C of an attached up
# (stops the project; a second one kills), two `up` at once on one project,
# up -V (anonymous volumes renewed; without it a recreate keeps them), run
# passing stdin, ps --format json Publishers and port for random host ports.
# Networks use 10.212.0.0/16 only.
set -uo pipefail
if [[ $EUID -ne 0 ]]; then
  echo "SKIP: the compose tests need root" >&2
  exit 0
fi
HAKO=${HAKO:-${HAKO_BUILD_DIR:-/work/main/build}/hako}
SRC=${HAKO_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
R=$(mktemp -d /tmp/hako-compose-faults.XXXXXX)
D=$R/project
mkdir -p "$D"
failures=0
background=()

h() { "$HAKO" --root "$R" --progress plain "$@"; }
c() { h -f "$D/compose.yaml" -p hkft "$@"; }
# In the background, hako itself (not a subshell) must be $!: a function or a
# subshell would take the signals meant for hako (and ignores SIGINT there).
c_bg() {  # c_bg OUTPUT ARGS…
  local out=$1
  shift
  "$HAKO" --root "$R" --progress plain -f "$D/compose.yaml" -p hkft "$@" >"$out" 2>&1 &
}

cleanup() {
  set +e
  for pid in "${background[@]}"; do kill -9 "$pid" 2>/dev/null; done
  c down -v -t 0 --remove-orphans >/dev/null 2>&1
  for id in $("$HAKO" --root "$R" container ls -a -q 2>/dev/null); do
    "$HAKO" --root "$R" container rm -f -v "$id" >/dev/null 2>&1
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
names() { "$HAKO" --root "$R" container ls -a 2>/dev/null | awk 'NR > 1 {print $NF}' | sort | tr '\n' ' '; }
running() { "$HAKO" --root "$R" container ls 2>/dev/null | awk 'NR > 1 {print $NF}' | sort | tr '\n' ' '; }
leftovers() {  # containers, networks and volumes of the root, one count
  echo $(($("$HAKO" --root "$R" container ls -a -q | wc -l) + $("$HAKO" --root "$R" network ls -q | wc -l) +
    $("$HAKO" --root "$R" volume ls -q | wc -l)))
}
# Waits at most 20 s for a background hako to end (killed after that); its status.
ended() { timeout 20 tail --pid="$1" -f /dev/null; kill -9 "$1" 2>/dev/null; wait "$1"; }
# Polls (10 ms steps, at most 20 s) until the command succeeds.
until_true() { for _ in $(seq 2000); do eval "$1" && return 0; sleep 0.01; done; return 1; }

bash "$SRC/scripts/make-test-image.sh" "$R/image.tar" >/dev/null
"$HAKO" --root "$R" image import "$R/image.tar" busybox >/dev/null || { echo "FAIL: image import"; exit 1; }

many() {  # many N: N independent services
  {
    echo "services:"
    for i in $(seq 1 "$1"); do
      printf '  s%d:\n    image: busybox\n    command: ["sleep", "1000"]\n    stop_signal: SIGKILL\n' "$i"
    done
    printf 'networks:\n  default:\n    ipam: {config: [{subnet: 10.212.1.0/24}]}\n'
  } >"$D/compose.yaml"
}

# --- kill -9 of hako in the middle of up ---
many 6
c_bg /dev/null up -d
up_pid=$!
background+=("$up_pid")
until_true '[[ -n $(ls "$R/containers" 2>/dev/null) ]]'
kill -9 "$up_pid" 2>/dev/null
wait "$up_pid" 2>/dev/null
c up -d >"$R/after-kill.out" 2>&1
status=$?
check "up after a killed up succeeds" "$status" "0"
[[ $status == 0 ]] || sed 's/^/  | /' "$R/after-kill.out"
check "every service runs after it" "$(running)" "hkft-s1-1 hkft-s2-1 hkft-s3-1 hkft-s4-1 hkft-s5-1 hkft-s6-1 "
c down -t 0 >/dev/null 2>&1
check "down after it leaves nothing" "$(leftovers)" "0"

# --- two up at once on one project ---
many 4
c_bg "$R/up1.out" up -d
p1=$!
c_bg "$R/up2.out" up -d
p2=$!
background+=("$p1" "$p2")
ended "$p1"; r1=$?
ended "$p2"; r2=$?
check "two concurrent ups both succeed" "$r1 $r2" "0 0"
check "one container per service" "$(names)" "hkft-s1-1 hkft-s2-1 hkft-s3-1 hkft-s4-1 "
check "all of them run" "$(running)" "hkft-s1-1 hkft-s2-1 hkft-s3-1 hkft-s4-1 "
c down -t 0 >/dev/null 2>&1
check "down leaves nothing" "$(leftovers)" "0"

# --- Ctrl-C of an attached up ---
cat >"$D/compose.yaml" <<'YAML'
services:
  talker:
    image: busybox
    command: ["sh", "-c", "echo hello-from-talker; exec sleep 1000"]
  stubborn:
    image: busybox
    command: ["sh", "-c", "trap '' TERM INT; echo stubborn-ready; while :; do sleep 1; done"]
    stop_grace_period: 30s
networks:
  default:
    ipam: {config: [{subnet: 10.212.2.0/24}]}
YAML
c_bg "$R/attached.out" up talker
up_pid=$!
background+=("$up_pid")
until_true 'grep -q hello-from-talker "$R/attached.out"'
check "attached up streams the output with a prefix" "$(grep -c 'talker-1  *| hello-from-talker' "$R/attached.out")" "1"
kill -INT "$up_pid"
ended "$up_pid"
check "Ctrl-C: up exits 130" "$?" "130"
check "Ctrl-C stopped the project" "$(running)" ""
check "the container is kept, stopped" "$(names)" "hkft-talker-1 "
# A container that ignores SIGTERM for 30 s: the second Ctrl-C kills it at once.
c_bg "$R/stubborn.out" up stubborn
up_pid=$!
background+=("$up_pid")
until_true 'grep -q stubborn-ready "$R/stubborn.out"'
kill -INT "$up_pid"
until_true 'grep -q "Gracefully stopping" "$R/stubborn.out"'
start=$(date +%s)
kill -INT "$up_pid"
ended "$up_pid"
check "second Ctrl-C: up exits 130" "$?" "130"
check "second Ctrl-C killed it well before the grace period" "$(($(date +%s) - start < 10))" "1"
check "nothing runs after the second Ctrl-C" "$(running)" ""
c down -t 0 >/dev/null 2>&1

# --- up -V and anonymous volumes across a recreate ---
cat >"$D/compose.yaml" <<'YAML'
services:
  keeper:
    image: busybox
    command: ["sleep", "1000"]
    stop_signal: SIGKILL
    volumes: ["/cache"]
networks:
  default:
    ipam: {config: [{subnet: 10.212.3.0/24}]}
YAML
c up -d >/dev/null 2>&1
c exec -T keeper sh -c 'echo kept >/cache/mark'
c up -d --force-recreate >/dev/null 2>&1
check "without -V a recreated container keeps its anonymous volume" "$(c exec -T keeper cat /cache/mark 2>&1)" "kept"
check "no second anonymous volume" "$("$HAKO" --root "$R" volume ls -q | wc -l)" "1"
c up -d --force-recreate -V >/dev/null 2>&1
check "with -V the anonymous volume is new" "$(c exec -T keeper sh -c 'cat /cache/mark 2>/dev/null || echo empty')" "empty"
check "the old anonymous volume is gone" "$("$HAKO" --root "$R" volume ls -q | wc -l)" "1"

# --- run passes stdin ---
check "echo hi | run --rm -T svc cat prints hi" "$(echo hi | c run --rm -T --no-deps keeper cat 2>/dev/null)" "hi"
check "run without -T passes a piped stdin too" "$(printf 'a\nb\n' | c run --rm --no-deps keeper wc -l 2>/dev/null | tr -d ' ')" "2"
c down -v -t 0 >/dev/null 2>&1
check "down -v leaves nothing" "$(leftovers)" "0"

# --- ps --format json Publishers and port with a random host port ---
cat >"$D/compose.yaml" <<'YAML'
services:
  web:
    image: busybox
    command: ["sleep", "1000"]
    stop_signal: SIGKILL
    ports: ["127.0.0.1::80"]
networks:
  default:
    ipam: {config: [{subnet: 10.212.4.0/24}]}
YAML
c up -d >/dev/null 2>&1
published=$(c ps --format json | python3 -c 'import json,sys
for line in sys.stdin:
    line = line.strip()
    if not line: continue
    items = json.loads(line)
    for c in (items if isinstance(items, list) else [items]):
        for p in c["Publishers"]:
            if p["TargetPort"] == 80: print(p["PublishedPort"])')
check "ps Publishers shows the assigned random port" "$([[ $published -gt 0 ]] && echo yes || echo "no ($published)")" "yes"
check "port prints the same address" "$(c port web 80)" "127.0.0.1:$published"
c down -t 0 >/dev/null 2>&1
check "down leaves nothing at the end" "$(leftovers)" "0"

echo "failures: $failures"
exit $((failures > 0))
