#!/usr/bin/env bash
# The network clauses of issue 5 that the other network tests leave out (engine/net):
# the subnet pool skips a subnet already routed on the host (a docker0-like
# 172.17.0.0/16), a malformed subnet and a taken address named, --ip-range, the MTU
# option on bridge and eth0, a static IPv6 address, UDP published ports (a range of
# two), a port out of range named, dns / dns_search / dns_opt in resolv.conf, the
# drivers host and none, network_mode container:NAME, and network prune. Runs in a
# private network namespace, so the pool's 172.17/172.18 never exist on the host.
# Subnets: 10.222.5.0/24, 10.222.6.0/24, fd00:222:6::/64 (172.17/18 in the namespace only).
test_kind=network
source "$(dirname "${BASH_SOURCE[0]}")/netns_lib.sh"
BB=/bin/busybox
ip link add hk222-dock type veth peer name hk222-dock2 && ip addr add 172.17.0.1/16 dev hk222-dock && ip link set hk222-dock up
run() { h container run --rm "$@"; }
bash "$SRC/scripts/make-test-image.sh" "$R/image.tar" >/dev/null
h image import "$R/image.tar" busybox >/dev/null || { echo "FAIL: image import"; exit 1; }

# --- IPAM ---
h network create hk222-auto >/dev/null
check "the pool skips a subnet the host routes" "$(h network inspect hk222-auto | grep -o '"Subnet": "[^"]*"')" '"Subnet": "172.18.0.0/16"'
h network create --subnet 10.222.5.0/24 --ip-range 10.222.5.128/25 -o com.docker.network.driver.mtu=1400 hk222-opt >/dev/null
check "an address from --ip-range" "$(run --network hk222-opt busybox sh -c 'ip -4 -o addr show eth0' | awk '{print $4}')" "10.222.5.128/24"
check "MTU on eth0" "$(run --network hk222-opt busybox cat /sys/class/net/eth0/mtu)" "1400"
check "MTU on the bridge, also with no container" "$(ip -o link show type bridge | grep -o 'mtu [0-9]*' | sort | tr '\n' ' ')" "mtu 1400 mtu 1500 "
out=$(h network create --subnet 10.222.300.0/24 hk222-bad 2>&1); check "a malformed subnet fails" "$?" "1"
contains "and is named" "$out" "10.222.300.0/24"
h container run -d --name hk222-fixed --network hk222-opt --ip 10.222.5.200 busybox sleep 300 >/dev/null
out=$(run --network hk222-opt --ip 10.222.5.200 busybox true 2>&1); check "a taken address is 125" "$?" "125"
contains "and is named" "$out" "10.222.5.200"
h container rm -f hk222-fixed >/dev/null
check "nothing half-created" "$(h network ls --format json | grep -c hk222-bad; h container ls -a -q | wc -l)" "$(printf '0\n0')"
h network create --ipv6 --subnet 10.222.6.0/24 --subnet fd00:222:6::/64 hk222-six >/dev/null
check "a static IPv6 address" "$(run --network hk222-six --ip6 fd00:222:6::99 busybox sh -c 'ip -6 -o addr show eth0 scope global' | awk '{print $4}')" "fd00:222:6::99/64"
out=$(run --network hk222-six --ip6 fd00:222:7::1 busybox true 2>&1); check "an IPv6 address outside the subnet is 125" "$?" "125"
contains "and is named" "$out" "fd00:222:7::1"

# --- published ports ---
# busybox has no UDP server: a datagram to a port nobody listens on counts in the
# container's Udp NoPorts, which is as good a proof that it arrived.
h container run -d --name hk222-udp --network hk222-opt -p 127.0.0.1:18540-18541:5000-5001/udp busybox sleep 300 >/dev/null
check "the UDP range is in the endpoint" "$(cat "$R"/networks/*/endpoints/*.json | python3 -c '
import json, sys
e = json.load(sys.stdin)
print(" ".join("%s:%d->%d/%s" % (p["host_ip"], p["host_port"], p["container_port"], p["protocol"]) for p in e["ports"]))')" \
  "127.0.0.1:18540->5000/udp 127.0.0.1:18541->5001/udp"
noports() { h container exec hk222-udp cat /proc/net/snmp | awk '/^Udp:/ {n++; if (n == 2) print $3}'; }
before=$(noports)
echo udp-ok >/dev/udp/127.0.0.1/18541
sleep 0.2
check "a UDP datagram reaches the container" "$(($(noports) - before))" "1"
out=$(run --network hk222-opt -p 70000:80 busybox true 2>&1); check "a port out of range is 125" "$?" "125"
contains "and is named" "$out" "70000"

# --- resolv.conf ---
conf=$(run --network hk222-opt --dns 10.222.5.53 --dns-search hk222.test --dns-option ndots:3 busybox cat /etc/resolv.conf)
check "dns, dns_search, dns_opt" "$(echo "$conf" | grep -v '^#')" \
  "$(printf 'nameserver 10.222.5.1\nnameserver 10.222.5.53\nsearch hk222.test\noptions ndots:3')"

# --- drivers host and none, container:NAME, prune ---
h network create -d host hk222-host >/dev/null && h network create -d none hk222-none >/dev/null
check "driver host: the host's interfaces" "$(run --network hk222-host busybox ip -o link show hk222-dock | grep -c hk222-dock)" "1"
check "driver none: loopback only" "$(run --network hk222-none busybox ls /sys/class/net)" "lo"
h container run -d --name hk222-a --network hk222-opt busybox sleep 300 >/dev/null
check "container:NAME shares its network" \
  "$(run --network container:hk222-a busybox sh -c 'ip -4 -o addr show eth0' | awk '{print $4}')" \
  "$(h container exec hk222-a sh -c 'ip -4 -o addr show eth0' | awk '{print $4}')"
h network prune -f >/dev/null
check "prune removes the unused networks only" "$(h network ls --format json | grep -o '"Name":"[^"]*"' | sort | tr '\n' ' ')" '"Name":"hk222-opt" '

h container rm -f hk222-a hk222-udp >/dev/null
h network rm hk222-opt >/dev/null
check "nothing left: no bridge" "$(ip -o link show type bridge | wc -l)" "0"
if ((failures)); then echo "$failures failure(s)"; exit 1; fi
echo "all passed"
