#!/usr/bin/env bash
# `down` removes a project's networks while the containers' folders go (src/cli/
# compose_down_cmd.cpp): the lines still say containers first, then networks; when
# down returns the bridges are gone and their subnets free (an up of the same
# project right after works); a container whose monitor was killed -9 is still
# removed, and its network with it. Subnets 10.216.1.0/24 and 10.216.2.0/24 only.
set -uo pipefail
[[ $EUID -eq 0 ]] || { echo "SKIP: the compose tests need root" >&2; exit 0; }
HAKO=${HAKO:-${HAKO_BUILD_DIR:-/work/main/build}/hako}
SRC=${HAKO_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
R=$(mktemp -d /tmp/hako-compose-down-net.XXXXXX)
failures=0
h() { "$HAKO" --root "$R" --progress plain "$@"; }
c() { h -f "$R/compose.yaml" -p hkdn "$@"; }
cleanup() {
  set +e
  c down -t 0 >/dev/null 2>&1
  for id in $("$HAKO" --root "$R" container ls -a -q 2>/dev/null); do "$HAKO" --root "$R" container rm -f "$id" >/dev/null 2>&1; done
  for n in $("$HAKO" --root "$R" network ls -q 2>/dev/null); do "$HAKO" --root "$R" network rm "$n" >/dev/null 2>&1; done
  awk -v r="$R" 'index($2, r) == 1 {print $2}' /proc/self/mounts | sort -r | xargs -r umount -l
  rm -rf "$R"
}
trap cleanup EXIT
check() { if [[ "$2" == "$3" ]]; then echo "ok: $1"; else echo "FAIL: $1: got [$2], want [$3]"; failures=$((failures + 1)); fi; }
# Links holding an address of this test's subnets.
bridges() { ip -o -4 addr show | grep -c -E ' 10\.216\.(1|2)\.'; }
leftovers() {
  echo $(($("$HAKO" --root "$R" container ls -a -q | wc -l) + $("$HAKO" --root "$R" network ls -q | wc -l)))
}
# Checks the order of down's lines: every container's Removed before the first network line.
order() {  # order OUTPUT_FILE
  local last_container first_network
  last_container=$(grep -n 'Container .* Removed' "$1" | tail -n 1 | cut -d: -f1)
  first_network=$(grep -n 'Network ' "$1" | head -n 1 | cut -d: -f1)
  [[ -n $last_container && -n $first_network && $last_container -lt $first_network ]] && echo containers-first || echo "wrong: $(tr '\n' '|' <"$1")"
}

bash "$SRC/scripts/make-test-image.sh" "$R/image.tar" >/dev/null
"$HAKO" --root "$R" image import "$R/image.tar" busybox >/dev/null || { echo "FAIL: image import"; exit 1; }
cat >"$R/compose.yaml" <<'EOF'
services:
  s1: {image: busybox, command: [sleep, "300"], stop_signal: SIGKILL}
  s2: {image: busybox, command: [sleep, "300"], stop_signal: SIGKILL, networks: [default, back]}
  s3: {image: busybox, command: [sleep, "300"], networks: [back]}
networks:
  default:
    ipam: {config: [{subnet: 10.216.1.0/24}]}
  back:
    ipam: {config: [{subnet: 10.216.2.0/24}]}
EOF

for round in 1 2; do
  c up -d >"$R/up.out" 2>&1; check "round $round: up" "$?" "0"
  check "round $round: two bridges" "$(bridges)" "2"
  c down -t 1 >"$R/down.out" 2>&1; check "round $round: down" "$?" "0"
  check "round $round: containers' lines before the networks'" "$(order "$R/down.out")" "containers-first"
  check "round $round: both networks said Removed" "$(grep -c 'Network .* Removed' "$R/down.out")" "2"
  check "round $round: no bridge left when down returns" "$(bridges)" "0"
  check "round $round: no container or network left" "$(leftovers)" "0"
done

# A monitor killed -9: nothing stops its container in order; down still removes it and the networks.
c up -d >"$R/up.out" 2>&1; check "up before kill -9" "$?" "0"
state=$(grep -l '"name": "hkdn-s2-1"' "$R"/containers/*/container.json | head -n 1)
monitor=$(grep -o '"monitor_pid": *[0-9]*' "$(dirname "$state")/state.json" | grep -o '[0-9]*$')
if [[ -n $monitor ]] && kill -9 "$monitor" 2>/dev/null; then
  check "the monitor of s2 killed" "yes" "yes"
else
  check "the monitor of s2 killed" "no monitor pid ($monitor)" "yes"
fi
c down -t 1 >"$R/down.out" 2>&1; check "down after kill -9" "$?" "0"
check "kill -9: s2 said Removed" "$(grep -c 'Container hkdn-s2-1 .*Removed' "$R/down.out")" "1"
check "kill -9: no bridge left" "$(bridges)" "0"
check "kill -9: no container or network left" "$(leftovers)" "0"
check "kill -9: no endpoint file left" "$(find "$R/networks" -name '*.json' | wc -l)" "0"
c up -d >"$R/up.out" 2>&1; check "up at once after down" "$?" "0"
c down -t 0 >"$R/down.out" 2>&1; check "last down" "$?" "0"
check "nothing left" "$(leftovers)/$(bridges)" "0/0"

if ((failures)); then echo "$failures failure(s)"; exit 1; fi
echo "all passed"
