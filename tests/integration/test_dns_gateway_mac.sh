#!/usr/bin/env bash
# The 5 s DNS stall after a container goes (engine/net): a bridge without a MAC of
# its own takes the lowest of its ports', so removing that container changed the
# gateway's MAC under the other containers' ARP entries, and their next queries went
# to a MAC nobody had (lost, then the resolver's 5 s retry). The bridge now keeps
# 02:42 + its gateway address; a lookup right after containers go answers at once.
# Runs in a private network namespace. Subnet: 10.222.4.0/24.
test_kind=dns
source "$(dirname "${BASH_SOURCE[0]}")/netns_lib.sh"
bridge_mac() { ip -br link show type bridge | awk '{print $3}'; }
# Seconds (1/100) a lookup of $1 takes from the container hk222-q.
lookup_time() {
  h container exec hk222-q sh -c 's=$(cut -d" " -f1 /proc/uptime); nslookup '"$1"' >/dev/null 2>&1
    e=$(cut -d" " -f1 /proc/uptime); echo $s $e' | awk '{printf "%d\n", ($2 - $1) * 100}'
}

h image import /tmp/bb.tar busybox >/dev/null 2>&1 || {
  bash "$SRC/scripts/make-test-image.sh" "$R/image.tar" >/dev/null && h image import "$R/image.tar" busybox >/dev/null
} || { echo "FAIL: image import"; exit 1; }
h network create --subnet 10.222.4.0/24 hk222-mac >/dev/null || { echo "FAIL: network create"; exit 1; }
check "the bridge's own MAC" "$(bridge_mac)" "02:42:0a:de:04:01"
h container run -d --name hk222-q --network hk222-mac busybox sleep 300 >/dev/null
lookup_time hk222-q >/dev/null  # the gateway's MAC is in hk222-q's ARP cache now
slow=0
for round in 1 2; do
  for s in x y z; do h container run -d --name hk222-$s --network hk222-mac busybox sleep 300 >/dev/null; done
  for s in x y z; do (($(lookup_time hk222-$s) < 200)) || slow=$((slow + 1)); done
  h container rm -f hk222-x hk222-y hk222-z >/dev/null
  (($(lookup_time hk222-q) < 200)) || slow=$((slow + 1))
done
check "the bridge's MAC stays as containers come and go" "$(bridge_mac)" "02:42:0a:de:04:01"
check "the gateway's MAC in the container" "$(h container exec hk222-q ip neigh show 10.222.4.1 | awk '{print $5}')" "02:42:0a:de:04:01"
check "lookups over 2 s after containers went" "$slow" "0"
if ((failures)); then echo "$failures failure(s)"; exit 1; fi
echo "all passed"
