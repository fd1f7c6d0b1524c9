#!/usr/bin/env bash
# IPv6 on a user bridge (engine/net): a container of an --ipv6 network gets its
# address and AAAA answers; published ports answer over IPv6 on [::] and on a host
# IPv6 address, [::1] is refused (not hung) so clients fall back to IPv4; an IPv6
# host_ip for a container without IPv6 is refused at start. Also --domainname in the
# container's UTS namespace. Subnets: 10.213.10.0/24 and fd00:213:10::/64 only.
set -uo pipefail
[[ $EUID -eq 0 ]] || { echo "SKIP: the network tests need root" >&2; exit 0; }
if [[ $(cat /proc/sys/net/ipv6/conf/all/disable_ipv6 2>/dev/null || echo 1) != 0 ]]; then
  echo "SKIP: IPv6 is disabled on this host (net.ipv6.conf.all.disable_ipv6)" >&2
  exit 0
fi
HAKO=${HAKO:-${HAKO_BUILD_DIR:-/work/main/build}/hako}
SRC=${HAKO_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BB=/bin/busybox
R=$(mktemp -d /tmp/hako-net6-test.XXXXXX)
failures=0
h() { "$HAKO" --root "$R" "$@"; }
cleanup() {
  set +e
  for id in $(h container ls -a -q 2>/dev/null); do h container rm -f "$id" >/dev/null 2>&1; done
  for n in $(h network ls -q 2>/dev/null); do h network rm "$n" >/dev/null 2>&1; done
  awk -v r="$R" 'index($2, r) == 1 {print $2}' /proc/self/mounts | sort -r | xargs -r umount -l
  rm -rf "$R"
}
trap cleanup EXIT
check() { if [[ "$2" == "$3" ]]; then echo "ok: $1"; else echo "FAIL: $1: got [$2], want [$3]"; failures=$((failures + 1)); fi; }
contains() { if [[ "$2" == *"$3"* ]]; then echo "ok: $1"; else echo "FAIL: $1: [$2] lacks [$3]"; failures=$((failures + 1)); fi; }
hget() { printf 'GET / HTTP/1.0\r\n\r\n' | timeout 5 $BB nc -w "$3" "$1" "$2" 2>/dev/null | tail -n1 | grep .; }

bash "$SRC/scripts/make-test-image.sh" "$R/image.tar" >/dev/null
h image import "$R/image.tar" busybox >/dev/null || { echo "FAIL: image import"; exit 1; }
h network create --ipv6 --subnet 10.213.10.0/24 --subnet fd00:213:10::/64 hk6-net >/dev/null || { echo "FAIL: network create"; exit 1; }
h network create --subnet 10.213.11.0/24 hk6-four >/dev/null

web='mkdir -p /w && echo hello-$HOSTNAME >/w/index.html && exec httpd -f -p 80 -h /w'
host6=$(ip -6 -o addr show scope global | awk '{print $4}' | cut -d/ -f1 | grep -v '^fd00:213:' | head -1)
pub=(-p 18680:80 -p '[::]:18681:80')
[[ -n $host6 ]] && pub+=(-p "[$host6]:18682:80")
h container run -d --name hk6-web --hostname web6 --network hk6-net "${pub[@]}" busybox sh -c "$web" >/dev/null
check "container has an IPv6 address on eth0" \
  "$(h container run --rm --network hk6-net busybox sh -c 'ip -6 -o addr show eth0 scope global' | awk '{print $4}' | cut -d: -f1-3)" "fd00:213:10"
check "AAAA of a container name" \
  "$(h container run --rm --network hk6-net busybox nslookup -type=AAAA hk6-web 2>/dev/null | awk '/^Address/ {x=$NF} END {print x}')" "fd00:213:10::2"
check "container reaches another over IPv6" \
  "$(h container run --rm --network hk6-net busybox sh -c 'printf "GET / HTTP/1.0\r\n\r\n" | nc -w 3 fd00:213:10::2 80 | tail -n1')" "hello-web6"
check "published on every address: 127.0.0.1" "$(hget 127.0.0.1 18680 3)" "hello-web6"
check "published on [::] only: 127.0.0.1 refused" "$(hget 127.0.0.1 18681 2 >/dev/null && echo 0 || echo 1)" "1"
if [[ -n $host6 ]]; then
  check "published on every address: host IPv6 $host6" "$(hget "$host6" 18680 3)" "hello-web6"
  check "published on [::]: host IPv6" "$(hget "$host6" 18681 3)" "hello-web6"
  check "published on one IPv6 host address" "$(hget "$host6" 18682 3)" "hello-web6"
else
  echo "note: no global IPv6 address on this host: host-address checks skipped"
fi
start=$(date +%s%N)
check "[::1] is refused, not hung" "$(hget ::1 18680 3 >/dev/null && echo answered || echo refused)" "refused"
check "refused at once" "$(( ($(date +%s%N) - start) / 1000000 < 1500 ))" "1"
out=$(h container run -d --name hk6-no --network hk6-four -p '[::]:18683:80' busybox sleep 30 2>&1)
check "IPv6 host_ip without IPv6 fails" "$?" "125"; contains "the entry is named" "$out" "IPv6"
h container rm -f hk6-no >/dev/null 2>&1
h container stop -t 0 hk6-web >/dev/null
check "IPv6 port released at stop" "$(python3 -c 'import socket;s=socket.socket(socket.AF_INET6);s.bind(("::",18681));print("free")')" "free"

# ---- domainname ----
check "--domainname in the UTS namespace" \
  "$(h container run --rm --hostname box --domainname example.test busybox cat /proc/sys/kernel/domainname)" "example.test"
check "--domainname on a bridge" \
  "$(h container run --rm --network hk6-net --domainname example.test busybox cat /proc/sys/kernel/domainname)" "example.test"

for id in $(h container ls -a -q); do h container rm -f "$id" >/dev/null; done
for n in hk6-net hk6-four; do h network rm "$n" >/dev/null; done
table=$(python3 -c 'import hashlib,os,sys;print("hako_"+hashlib.sha256(os.path.abspath(sys.argv[1]).encode()).hexdigest()[:10])' "$R")
check "no hako table of this root left" "$(nft list tables | grep -c "$table")" "0"
if ((failures)); then echo "$failures failure(s)"; exit 1; fi
echo "all IPv6 network tests passed"
