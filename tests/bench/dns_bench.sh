#!/usr/bin/env bash
# Benchmark of the DNS responder (root): queries per second and p50/p99 latency for
# a local name and a forwarded one, the cost of dns::sync, and the responder's RSS.
# The responder runs for a hand-written ROOT/networks tree on a port-less bridge of
# our own (10.202.50.1); the upstream is tests/bench/dns_load.cpp's stand-in
# resolver on 127.0.202.60. Usage: dns_bench.sh [SECONDS] [CONCURRENCY]
set -euo pipefail
[[ $EUID -eq 0 ]] || { echo "dns_bench.sh needs root" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
seconds=${1:-3}
concurrency=${2:-32}
work=$(mktemp -d /tmp/hako-dns-bench.XXXXXX)
link=hkdnsb$$
upstream_pid=""
cleanup() {
  set +e
  [[ -n $upstream_pid ]] && kill "$upstream_pid" 2>/dev/null && wait "$upstream_pid" 2>/dev/null
  if [[ -x $work/dns_load && -d $work/root/networks ]]; then
    rm -rf "$work/root/networks"
    "$work/dns_load" sync "$work/root" 1 >/dev/null
  fi
  ip link del "$link" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

echo "building the load generator…"
${CXX:-g++} -O2 -std=gnu++20 -I"$src" -o "$work/dns_load" "$here/dns_load.cpp" \
  "$src"/engine/net/dns_{control,packet,records,forward,server}.cpp "$src"/engine/sys/{file,lock}.cpp \
  "$src/engine/store/state_root.cpp" "$src/engine/runtime/state.cpp" -lpthread

ip link add "$link" type bridge
ip addr add 10.202.50.1/24 dev "$link"
ip link set "$link" up

root=$work/root
mkdir -p "$root/networks/bench/endpoints"
cat >"$root/networks/bench/network.json" <<'EOF'
{"id":"bench","name":"bench","driver":"bridge","bridge":"","internal":false,"enable_ipv6":false,
 "subnets":[{"subnet":"10.202.50.0/24","gateway":"10.202.50.1","ip_range":""}],"labels":{},"options":{},"created":""}
EOF
for i in 1 2 3; do
  cat >"$root/networks/bench/endpoints/c$i.json" <<EOF
{"container_id":"c$i","container_name":"bench-web-$i","names":["web","bench-web-$i"],"ipv4":"10.202.50.$((i + 1))","ipv6":"","mac":""}
EOF
done
echo "nameserver 127.0.202.60" >"$work/resolv.conf"
"$work/dns_load" serve 127.0.202.60 &
upstream_pid=$!

HAKO_RESOLV_CONF=$work/resolv.conf "$work/dns_load" sync "$root" 1 >/dev/null
pid=$(cut -d' ' -f1 "$root/run/dns.pid")
echo "responder pid $pid; concurrency $concurrency; ${seconds}s per run"
"$work/dns_load" load 10.202.50.1 web "$seconds" "$concurrency"
"$work/dns_load" load 10.202.50.1 forwarded.example "$seconds" "$concurrency"
"$work/dns_load" load 10.202.50.1 web "$seconds" 1
"$work/dns_load" load 10.202.50.1 forwarded.example "$seconds" 1
"$work/dns_load" sync "$root" 200
grep -E 'VmRSS|VmHWM' "/proc/$pid/status"
