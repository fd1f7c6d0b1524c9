#!/usr/bin/env bash
# hako network on real bridges (engine/net): create/ls/inspect/rm errors, two
# containers on a user bridge talking by IP, no traffic across networks, no way out
# of an internal network, published ports from the host (127.0.0.1 and a host
# address, only the address asked for, released at stop, a port in use named),
# connect/disconnect while running, all under an iptables-nft FORWARD policy of
# DROP with br_netfilter on (as dockerd leaves a host), and nothing left behind.
# Subnets: 10.201.0.0/16 only.
set -uo pipefail
if [[ $EUID -ne 0 ]]; then
  echo "SKIP: the network tests need root" >&2
  exit 0
fi
HAKO=${HAKO:-${HAKO_BUILD_DIR:-/work/main/build}/hako}
SRC=${HAKO_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BB=/bin/busybox
# HTTP GET through nc: busybox-static's wget dies of SIGSEGV on this Debian (also on
# the host), and its getaddrinfo cannot load NSS modules in a busybox image, so names
# are resolved with nslookup (hako's DNS) and the request is sent by nc.
GET='get() { a=$1; case $a in *[!0-9.]*) a=$(nslookup $1 2>/dev/null | awk "/^Address/ {x=\$NF} END {print x}");; esac; printf "GET / HTTP/1.0\r\n\r\n" | nc -w $3 $a $2 | tail -n1 | grep .; }'
hget() {  # hget HOST PORT TIMEOUT: the body's last line, from the host
  printf 'GET / HTTP/1.0\r\n\r\n' | $BB nc -w "$3" "$1" "$2" 2>/dev/null | tail -n1 | grep .
}
R=$(mktemp -d /tmp/hako-net-test.XXXXXX)
failures=0
made_filter_table=0
made_forward_chain=0
old_policy=""
old_bridge_nf=$(cat /proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null || echo "")

h() { "$HAKO" --root "$R" "$@"; }

cleanup() {
  set +e
  for id in $(h container ls -a -q 2>/dev/null); do h container rm -f "$id" >/dev/null 2>&1; done
  for n in $(h network ls -q 2>/dev/null); do h network rm "$n" >/dev/null 2>&1; done
  awk -v r="$R" 'index($2, r) == 1 {print $2}' /proc/self/mounts | sort -r | xargs -r umount -l
  if ((made_forward_chain)); then nft delete chain ip filter FORWARD 2>/dev/null
  elif [[ -n $old_policy ]]; then nft "add chain ip filter FORWARD { policy $old_policy; }" 2>/dev/null; fi
  ((made_filter_table)) && nft delete table ip filter 2>/dev/null
  [[ -n $old_bridge_nf ]] && echo "$old_bridge_nf" >/proc/sys/net/bridge/bridge-nf-call-iptables
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
  if [[ "$2" == *"$3"* ]]; then echo "ok: $1"; else echo "FAIL: $1: [$2] lacks [$3]"; failures=$((failures + 1)); fi
}

# dockerd's host: FORWARD policy DROP in iptables-nft's table, bridged packets through it.
modprobe br_netfilter 2>/dev/null
if ! nft list table ip filter >/dev/null 2>&1; then nft add table ip filter && made_filter_table=1; fi
if nft list chain ip filter FORWARD >/dev/null 2>&1; then
  old_policy=$(nft list chain ip filter FORWARD | sed -n 's/.*policy \([a-z]*\);.*/\1/p')
  nft 'add chain ip filter FORWARD { policy drop; }'
else
  nft 'add chain ip filter FORWARD { type filter hook forward priority 0; policy drop; }' && made_forward_chain=1
fi
[[ -n $old_bridge_nf ]] && echo 1 >/proc/sys/net/bridge/bridge-nf-call-iptables

bash "$SRC/scripts/make-test-image.sh" "$R/image.tar" >/dev/null
h image import "$R/image.tar" busybox >/dev/null || { echo "FAIL: image import"; exit 1; }

# ---- create and its errors ----
n1=$(h network create --subnet 10.201.10.0/24 hkt-one) || { echo "FAIL: network create"; exit 1; }
n2=$(h network create --subnet 10.201.11.0/24 hkt-two)
ni=$(h network create --subnet 10.201.12.0/24 --internal hkt-internal)
check "create prints the id" "${#n1}" "64"
check "bridge hk-<id12> exists" "$(ip -o link show "hk-${n1:0:12}" >/dev/null 2>&1 && echo yes)" "yes"
check "gateway on the bridge" "$(ip -4 -o addr show "hk-${n1:0:12}" | awk '{print $4}')" "10.201.10.1/24"
out=$(h network create --subnet 10.201.10.128/25 hkt-overlap 2>&1); rc=$?
check "overlapping subnet fails" "$rc" "1"; contains "overlap is named" "$out" "overlaps"
out=$(h network create --subnet 10.201.13.7/24 hkt-bad 2>&1); check "subnet with host bits fails" "$?" "1"
contains "host bits named" "$out" "10.201.13.0/24"
out=$(h network create --subnet 10.201.13.0/24 --gateway 10.201.14.1 hkt-bad 2>&1)
check "gateway outside fails" "$?" "1"; contains "gateway named" "$out" "10.201.14.1"
out=$(h network create --subnet 10.201.13.0/24 hkt-one 2>&1); check "duplicate name fails" "$?" "1"
check "nothing half-created" "$(h network ls -q | wc -l)" "3"
# A refused create leaves no bridge: none holds an address of the refused subnets (other roots' bridges
# may come and go meanwhile, so bridges are not counted).
check "no stray bridge" "$(ip -o addr show | grep -c -e ' 10\.201\.13\.' -e ' 10\.201\.10\.129/')" "0"
check "ls shows the name" "$(h network ls --format json | grep -c '"Name":"hkt-two"')" "1"
check "inspect subnet" "$(h network inspect hkt-two | grep -c '"Subnet": "10.201.11.0/24"')" "1"
out=$(h container run --rm --network hkt-nope busybox true 2>&1); check "unknown network is 125" "$?" "125"
contains "unknown network named" "$out" "hkt-nope"
out=$(h container run --rm --network hkt-one --ip 10.201.99.5 busybox true 2>&1)
check "address outside subnet is 125" "$?" "125"; contains "address named" "$out" "10.201.99.5"

# ---- two containers on a bridge ----
web='mkdir -p /w && echo hello-$HOSTNAME >/w/index.html && exec httpd -f -p 80 -h /w'
h container run -d --name hkt-web --hostname web --network hkt-one --ip 10.201.10.50 busybox sh -c "$web" >/dev/null
ip_of() {  # ip_of CONTAINER NETWORK_ID
  python3 -c 'import json,sys,glob
for f in glob.glob(sys.argv[1]+"/networks/"+sys.argv[3]+"/endpoints/*.json"):
  e=json.load(open(f))
  if e["container_name"]==sys.argv[2]: print(e["ipv4"])' "$R" "$1" "$2"
}
check "static address" "$(ip_of hkt-web "$n1")" "10.201.10.50"
sleep 0.3
check "reach by IP on the same network" \
  "$(h container run --rm --network hkt-one busybox sh -c "$GET; get 10.201.10.50 80 3" 2>&1)" "hello-web"
check "reach by container name (DNS)" \
  "$(h container run --rm --network hkt-one busybox sh -c "$GET; get hkt-web 80 3" 2>&1)" "hello-web"
check "reach by hostname (DNS)" \
  "$(h container run --rm --network hkt-one busybox sh -c "$GET; get web 80 3" 2>&1)" "hello-web"
check "name unknown on another network" \
  "$(h container run --rm --network hkt-two busybox nslookup hkt-web >/dev/null 2>&1 && echo 0 || echo 1)" "1"
check "not across networks" \
  "$(h container run --rm --network hkt-two busybox sh -c "$GET; get 10.201.10.50 80 2" >/dev/null 2>&1 && echo 0 || echo 1)" "1"
check "container has eth0 with its address" \
  "$(h container run --rm --network hkt-one --ip 10.201.10.60 busybox sh -c 'ip -4 -o addr show eth0' | awk '{print $4}')" "10.201.10.60/24"
check "lo is up" "$(h container run --rm --network hkt-one busybox sh -c 'ping -c1 -W1 127.0.0.1 >/dev/null && echo up')" "up"
check "resolv.conf names the gateway" \
  "$(h container run --rm --network hkt-one busybox head -1 /etc/resolv.conf)" "nameserver 10.201.10.1"
contains "hosts has the container" "$(h container run --rm --network hkt-one --hostname me --add-host db:10.201.10.99 busybox cat /etc/hosts)" "10.201.10.99	db"
check "hostname file" "$(h container run --rm --network hkt-one --hostname me busybox cat /etc/hostname)" "me"
two=$(h container run --rm --network hkt-one --network hkt-two busybox sh -c 'ip -o link show | grep -c "eth[01]@"')
check "two networks give eth0 and eth1" "$two" "2"

# ---- internal network ----
check "internal: no default route" "$(h container run --rm --network hkt-internal busybox sh -c 'ip route | grep -c default')" "0"
check "internal: host gateway of another network unreachable" \
  "$(h container run --rm --network hkt-internal busybox sh -c "$GET; get 10.201.10.50 80 2" >/dev/null 2>&1 && echo 0 || echo 1)" "1"

# ---- published ports ----
host_ip=$(ip -4 -o addr show scope global | awk '{print $4}' | cut -d/ -f1 | head -1)
h container run -d --name hkt-pub -p 127.0.0.1:18080:80 -p 18081:80 -p 127.0.0.1::80 --network hkt-one busybox sh -c "$web" >/dev/null
sleep 0.3
check "published on 127.0.0.1" "$(hget 127.0.0.1 18080 3 2>&1 | cut -c1-6)" "hello-"
check "published on every address: host address" "$(hget $host_ip 18081 3 2>&1 | cut -c1-6)" "hello-"
check "published on every address: 127.0.0.1" "$(hget 127.0.0.1 18081 3 2>&1 | cut -c1-6)" "hello-"
check "bound only to the address asked" "$(hget $host_ip 18080 2 >/dev/null 2>&1 && echo 0 || echo 1)" "1"
random=$(python3 -c 'import json,sys,glob
for f in glob.glob(sys.argv[1]+"/networks/*/endpoints/*.json"):
  e=json.load(open(f))
  if e["container_name"]=="hkt-pub":
    print([p["host_port"] for p in e["ports"] if p["host_port"] not in (18080,18081)][0])' "$R")
check "random host port recorded" "$([[ $random -gt 0 ]] && echo yes)" "yes"
check "random host port answers" "$(hget 127.0.0.1 $random 3 2>&1 | cut -c1-6)" "hello-"
out=$(h container run -d --name hkt-clash -p 127.0.0.1:18080:80 --network hkt-one busybox sleep 30 2>&1)
check "a port in use fails" "$?" "125"; contains "the port in use is named" "$out" "18080"
h container rm -f hkt-clash >/dev/null 2>&1
h container stop -t 0 hkt-pub >/dev/null
check "released when stopped" "$(hget 127.0.0.1 18080 2 >/dev/null 2>&1 && echo 0 || echo 1)" "1"
check "port free again" "$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",18080));print("free")')" "free"

# ---- connect / disconnect while running ----
h container run -d --name hkt-side --network hkt-two busybox sleep 300 >/dev/null
pid=$(python3 -c 'import json,sys,glob
for d in glob.glob(sys.argv[1]+"/containers/*/"):
  r=json.load(open(d+"container.json"))
  if r["name"]=="hkt-side": print(json.load(open(d+"state.json"))["pid"])' "$R")
check "before connect: no way to the web" "$(nsenter -t "$pid" -n bash -c "BB=$BB; $(declare -f hget); hget 10.201.10.50 80 2" >/dev/null 2>&1 && echo 0 || echo 1)" "1"
h network connect --alias sidekick hkt-one hkt-side; check "connect" "$?" "0"
check "connect adds eth1" "$(nsenter -t "$pid" -n $BB ip -o link show eth1 >/dev/null 2>&1 && echo yes)" "yes"
check "after connect: reaches the web" "$(nsenter -t "$pid" -n bash -c "BB=$BB; $(declare -f hget); hget 10.201.10.50 80 3" 2>&1)" "hello-web"
contains "inspect lists the endpoint" "$(h network inspect hkt-one)" "hkt-side"
h network disconnect hkt-one hkt-side; check "disconnect" "$?" "0"
check "disconnect removes eth1" "$(nsenter -t "$pid" -n $BB ip -o link show eth1 >/dev/null 2>&1 && echo yes || echo no)" "no"
out=$(h network rm hkt-one 2>&1); check "rm refuses a network in use" "$?" "1"; contains "active endpoints" "$out" "active endpoints"

# ---- leftovers, also after kill -9 of a monitor ----
h container run -d --name hkt-killed --network hkt-one -p 127.0.0.1:18090:80 busybox sleep 300 >/dev/null
state=$(ls -d "$R"/containers/*/ | while read -r d; do grep -q '"name": *"hkt-killed"' "$d/container.json" && echo "$d"; done)
mpid=$(python3 -c 'import json,sys;s=json.load(open(sys.argv[1]+"/state.json"));print(s["monitor_pid"], s["pid"])' "$state")
kill -9 $mpid 2>/dev/null
sleep 0.2
for id in $(h container ls -a -q); do h container rm -f "$id" >/dev/null 2>&1; done
for n in hkt-one hkt-two hkt-internal; do h network rm "$n" >/dev/null; done
check "no network left" "$(h network ls -q | wc -l)" "0"
# Veths are hv<7 digits of the container id><6 of the network id>: only this root's networks count.
check "no bridge or veth left" "$(ip -o link show | grep -c -e "hk-${n1:0:12}" -e "hk-${n2:0:12}" -e "hk-${ni:0:12}" \
  -e "hv[0-9a-f]\{7\}${n1:0:6}" -e "hv[0-9a-f]\{7\}${n2:0:6}" -e "hv[0-9a-f]\{7\}${ni:0:6}")" "0"
check "no endpoint files left" "$(ls "$R"/networks/*/endpoints 2>/dev/null | grep -c json)" "0"
table=$(python3 -c 'import hashlib,os,sys;print("hako_"+hashlib.sha256(os.path.abspath(sys.argv[1]).encode()).hexdigest()[:10])' "$R")
leftover_rules=$(nft list chain ip filter FORWARD 2>/dev/null | grep -c "$table" || true)
check "no FORWARD accepts left" "$leftover_rules" "0"
check "no hako table of this root left" "$(nft list tables | grep -c "$(python3 -c 'import hashlib,os,sys;print("hako_"+hashlib.sha256(os.path.abspath(sys.argv[1]).encode()).hexdigest()[:10])' "$R")")" "0"

if ((failures)); then
  echo "$failures failure(s)"
  exit 1
fi
echo "all network tests passed"
