#!/usr/bin/env bash
# Forwarding that holds whatever order things happen in (engine/net): a network and
# two containers first, THEN a docker-like firewall (iptables and ip6tables FORWARD
# policy DROP, br_netfilter's bridge-nf-call-* on); the containers still talk and
# still reach an "outside" network namespace over IPv4 and IPv6 through hako's
# masquerade (the outside has no route back to the subnets). IPv6 forwarding is on
# only while the IPv6 network exists, with accept_ra raised from 1 to 2 meanwhile,
# and both are put back after. All of it runs in a private network namespace, so
# the host's own firewall and sysctls are never touched.
# Subnets: 10.222.1.0/24, fd00:222:1::/64; outside 10.222.250.0/24, fd00:222:ffff::/64.
test_kind=network
source "$(dirname "${BASH_SOURCE[0]}")/netns_lib.sh"
[[ -d /proc/sys/net/bridge ]] || modprobe br_netfilter 2>/dev/null
[[ -d /proc/sys/net/bridge ]] || { echo "SKIP: no br_netfilter" >&2; exit 0; }
[[ $(cat /proc/sys/net/ipv6/conf/all/disable_ipv6) == 0 ]] || { echo "SKIP: IPv6 disabled" >&2; exit 0; }
BB=/bin/busybox
OUT=hk222-out-$$
server_pid=""
test_cleanup() {
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null
  ip netns del "$OUT" 2>/dev/null
}
GET='get() { a=$1; case $a in *:*) ;; *[!0-9.]*) a=$(nslookup $1 2>/dev/null | awk "/^Address/ {x=\$NF} END {print x}");; esac; printf "GET / HTTP/1.0\r\n\r\n" | nc -w 3 $a $2 | tail -n1 | grep .; }'

# The outside: a namespace behind a veth, with no route back to hako's subnets.
ip netns add "$OUT"
ip link add hk222-up type veth peer name hk222-down netns "$OUT"
ip addr add 10.222.250.1/24 dev hk222-up
ip addr add fd00:222:ffff::1/64 dev hk222-up nodad
ip link set hk222-up up
ip -n "$OUT" link set lo up
ip -n "$OUT" addr add 10.222.250.2/24 dev hk222-down
ip -n "$OUT" addr add fd00:222:ffff::2/64 dev hk222-down nodad
ip -n "$OUT" link set hk222-down up
mkdir -p "$R/www" && echo outside-ok >"$R/www/index.html"
ip netns exec "$OUT" $BB httpd -f -p 8080 -h "$R/www" &
server_pid=$!

ra_before=$(cat /proc/sys/net/ipv6/conf/hk222-up/accept_ra)
bash "$SRC/scripts/make-test-image.sh" "$R/image.tar" >/dev/null
h image import "$R/image.tar" busybox >/dev/null || { echo "FAIL: image import"; exit 1; }
h network create --ipv6 --subnet 10.222.1.0/24 --subnet fd00:222:1::/64 hk222-net >/dev/null ||
  { echo "FAIL: network create"; exit 1; }
check "IPv6 forwarding on while an IPv6 network exists" "$(cat /proc/sys/net/ipv6/conf/all/forwarding)" "1"
check "accept_ra 1 raised to 2 meanwhile" "$ra_before:$(cat /proc/sys/net/ipv6/conf/hk222-up/accept_ra)" "1:2"
h container run -d --name hk222-a --network hk222-net busybox sh -c \
  'mkdir /w && echo hello-a >/w/index.html && exec httpd -f -p 80 -h /w' >/dev/null
h container run -d --name hk222-b --network hk222-net busybox sleep 300 >/dev/null

# dockerd starts now: FORWARD chains with policy DROP, bridged packets through them.
iptables -P FORWARD DROP && ip6tables -P FORWARD DROP || { echo "FAIL: cannot set the FORWARD policy"; exit 1; }
echo 1 >/proc/sys/net/bridge/bridge-nf-call-iptables
echo 1 >/proc/sys/net/bridge/bridge-nf-call-ip6tables
for _ in $(seq 50); do
  [[ $(nft list chain ip6 filter FORWARD 2>/dev/null | grep -c 'comment "hako_') == 2 ]] && break
  sleep 0.1
done
check "accepts put into the new ip FORWARD chain" "$(nft list chain ip filter FORWARD | grep -c 'accept comment "hako_')" "2"
check "container to container, by name" "$(h container exec hk222-b sh -c "$GET; get hk222-a 80")" "hello-a"
check "container to container over IPv6" \
  "$(h container exec hk222-b sh -c "$GET; get \$(nslookup -type=AAAA hk222-a | awk '/^Address/ {x=\$NF} END {print x}') 80")" "hello-a"
check "outbound IPv4 through the masquerade" "$(h container exec hk222-b sh -c "$GET; get 10.222.250.2 8080")" "outside-ok"
check "outbound IPv6 through the masquerade" "$(h container exec hk222-b sh -c "$GET; get fd00:222:ffff::2 8080")" "outside-ok"

h container rm -f hk222-a hk222-b >/dev/null
h network rm hk222-net >/dev/null
check "IPv6 forwarding off again" "$(cat /proc/sys/net/ipv6/conf/all/forwarding)" "0"
check "accept_ra back to 1" "$(cat /proc/sys/net/ipv6/conf/hk222-up/accept_ra)" "1"
check "no FORWARD accepts left" "$(nft list ruleset | grep -c 'comment "hako_')" "0"
check "no record left" "$(ls /run/hako-net/ 2>/dev/null | grep -c "ipv6-forwarding-$(stat -L -c %i /proc/self/ns/net)")" "0"
if ((failures)); then echo "$failures failure(s)"; exit 1; fi
echo "all passed"
