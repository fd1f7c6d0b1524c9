#!/usr/bin/env bash
# Benchmark (not a timed test): the time of net::attach (veth, addresses, routes,
# published port rules, DNS record) for N containers started one after another on a
# user bridge, each publishing one random port. The monitor writes each attach's
# "total netlink ports dns" microseconds to $HAKO_NET_TIMES; this prints the median and
# p90 of each column and the load average. Root; subnet 10.213.90.0/24 only.
#   tests/bench/net_attach.sh [N=30]
set -uo pipefail
[[ $EUID -eq 0 ]] || { echo "SKIP: needs root" >&2; exit 0; }
N=${1:-30}
HAKO=${HAKO:-${HAKO_BUILD_DIR:-/work/main/build}/hako}
SRC=${HAKO_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
R=$(mktemp -d /tmp/hako-net-bench.XXXXXX)
h() { "$HAKO" --root "$R" "$@"; }
cleanup() {
  set +e
  for id in $(h container ls -a -q 2>/dev/null); do h container rm -f "$id" >/dev/null 2>&1; done
  for n in $(h network ls -q 2>/dev/null); do h network rm "$n" >/dev/null 2>&1; done
  awk -v r="$R" 'index($2, r) == 1 {print $2}' /proc/self/mounts | sort -r | xargs -r umount -l
  rm -rf "$R"
}
trap cleanup EXIT
bash "$SRC/scripts/make-test-image.sh" "$R/image.tar" >/dev/null
h image import "$R/image.tar" busybox >/dev/null || { echo "image import failed"; exit 1; }
h network create --subnet 10.213.90.0/24 hkb-attach >/dev/null || exit 1
export HAKO_NET_TIMES=$R/times
for i in $(seq 1 "$N"); do
  h container run -d --name "hkb-$i" --network hkb-attach -p 127.0.0.1::80 busybox sleep 600 >/dev/null || exit 1
done
unset HAKO_NET_TIMES
python3 - "$R/times" <<'PY'
import sys
rows = [list(map(int, l.split())) for l in open(sys.argv[1]) if l.strip()]
def pct(v, p):
    v = sorted(v); return v[min(len(v) - 1, int(round(p * (len(v) - 1))))]
print(f"{len(rows)} attaches, microseconds:   median    p90    max")
for i, name in enumerate(["total", "netlink, IPAM", "ports, hosts", "DNS record"][:len(rows[0])]):
    col = [r[i] for r in rows]
    print(f"  {name:<16} {pct(col, .5):>12} {pct(col, .9):>6} {max(col):>6}")
PY
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
