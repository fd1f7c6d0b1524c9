#!/usr/bin/env bash
# Benchmark (not a test): `hako up -d` and `hako down` of 10 and of 30 independent
# busybox services (stop_signal SIGKILL) and of a five-service chain gated by
# service_healthy; prints the median of RUNS runs (default 5) in milliseconds.
# Where cgroup v1's cpuacct is mounted it also prints the median CPU time of the
# CLI and the monitors (a private cpuacct group holds this script; containers move
# to their own): on a shared, loaded machine it says more than the wall time.
# Needs root. Usage: tests/bench/compose_updown.sh [HAKO] [RUNS]
set -euo pipefail
HAKO=${1:-${HAKO:-/work/main/build/hako}}
RUNS=${2:-5}
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
R=$(mktemp -d /tmp/hako-bench-compose.XXXXXX)
CPU_GROUP=/sys/fs/cgroup/cpuacct/hako-bench-updown.$$
if [[ -d /sys/fs/cgroup/cpuacct ]] && mkdir "$CPU_GROUP" 2>/dev/null; then
  echo $$ >"$CPU_GROUP/cgroup.procs"
else
  CPU_GROUP=
fi
cleanup() {
  set +e
  for f in "$R"/*.yaml; do "$HAKO" --root "$R" -f "$f" -p hkbench down -t 0 >/dev/null 2>&1; done
  awk -v r="$R" 'index($2, r) == 1 {print $2}' /proc/self/mounts | sort -r | xargs -r umount -l
  rm -rf "$R"
  if [[ -n $CPU_GROUP ]]; then
    echo $$ >/sys/fs/cgroup/cpuacct/cgroup.procs
    rmdir "$CPU_GROUP"
  fi
}
trap cleanup EXIT

bash "$SRC/scripts/make-test-image.sh" "$R/image.tar" >/dev/null
"$HAKO" --root "$R" image import "$R/image.tar" busybox >/dev/null

independent() {  # independent N FILE
  {
    echo "services:"
    for i in $(seq 1 "$1"); do
      printf '  s%d:\n    image: busybox\n    command: ["sleep", "1000"]\n    stop_signal: SIGKILL\n' "$i"
    done
    printf 'networks:\n  default:\n    ipam: {config: [{subnet: 10.212.200.0/24}]}\n'
  } >"$2"
}
chain() {  # chain FILE: s1 ← s2 ← … ← s5, each gated by service_healthy
  {
    echo "services:"
    for i in 1 2 3 4 5; do
      printf '  s%d:\n    image: busybox\n    command: ["sleep", "1000"]\n    stop_signal: SIGKILL\n' "$i"
      printf '    healthcheck: {test: ["CMD", "true"], interval: 100ms, start_interval: 10ms, start_period: 5s}\n'
      [[ $i -gt 1 ]] && printf '    depends_on: {s%d: {condition: service_healthy}}\n' $((i - 1))
    done
    printf 'networks:\n  default:\n    ipam: {config: [{subnet: 10.212.201.0/24}]}\n'
  } >"$1"
}

now_ms() { date +%s%3N; }
cpu_ms() { if [[ -n $CPU_GROUP ]]; then echo $(($(cat "$CPU_GROUP/cpuacct.usage") / 1000000)); else echo 0; fi; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

bench() {  # bench LABEL FILE
  local up=() down=() up_cpu=() down_cpu=()
  for _ in $(seq 1 "$RUNS"); do
    local t0 t1 t2 c0 c1 c2
    c0=$(cpu_ms)
    t0=$(now_ms)
    "$HAKO" --root "$R" --progress quiet -f "$2" -p hkbench up -d >/dev/null
    t1=$(now_ms)
    c1=$(cpu_ms)
    "$HAKO" --root "$R" --progress quiet -f "$2" -p hkbench down -t 0 >/dev/null
    t2=$(now_ms)
    c2=$(cpu_ms)
    up+=($((t1 - t0)))
    down+=($((t2 - t1)))
    up_cpu+=($((c1 - c0)))
    down_cpu+=($((c2 - c1)))
  done
  printf '%-28s up -d median %5d ms   down median %5d ms   (runs: %s / %s)\n' "$1" \
    "$(printf '%s\n' "${up[@]}" | median)" "$(printf '%s\n' "${down[@]}" | median)" "${up[*]}" "${down[*]}"
  [[ -n $CPU_GROUP ]] && printf '%-28s up -d CPU    %5d ms   down CPU    %5d ms   (CLI and monitors)\n' "" \
    "$(printf '%s\n' "${up_cpu[@]}" | median)" "$(printf '%s\n' "${down_cpu[@]}" | median)"
  return 0
}

independent 10 "$R/ten.yaml"
independent 30 "$R/thirty.yaml"
chain "$R/chain.yaml"
bench "10 services" "$R/ten.yaml"
bench "30 services" "$R/thirty.yaml"
bench "5-service healthy chain" "$R/chain.yaml"
echo "load average: $(cut -d" " -f1-3 /proc/loadavg)"
