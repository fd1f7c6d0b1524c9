#!/usr/bin/env bash
# How a container's veth and a network's bridge go (engine/net): when `stop` or
# `rm -f` returns, the container's host-side veth is gone, whether its network
# namespace died with it (the kernel removes the pair) or something outside still
# holds the namespace (hako deletes it after waiting); when `network rm` returns,
# the bridge, its route and its name are free, and the same subnet can be made at
# once. Subnets 10.217.1.0/24 and 10.217.2.0/24 only.
# Runs in a private network namespace (netns_lib.sh).
test_kind=network
source "$(dirname "${BASH_SOURCE[0]}")/netns_lib.sh"
test_cleanup() { exec 9<&-; }
veth_of() { sed -n 's/.*"host_interface": *"\([^"]*\)".*/\1/p' "$R"/networks/*/endpoints/"$1".json 2>/dev/null; }
link_there() { ip link show "$1" >/dev/null 2>&1 && echo there || echo gone; }

h image import /tmp/bb.tar busybox >/dev/null 2>&1 || {
  bash "$SRC/scripts/make-test-image.sh" "$R/image.tar" >/dev/null && h image import "$R/image.tar" busybox >/dev/null
} || { echo "FAIL: image import"; exit 1; }
net=$(h network create --subnet 10.217.1.0/24 hkt-net) || { echo "FAIL: network create"; exit 1; }
bridge=hk-${net:0:12}

# 1. stop: the namespace dies with the container and takes the veth along.
id=$(h container run -d --name hkt-one --network hkt-net busybox sleep 300)
v=$(veth_of "$id")
check "the running container has a veth" "$([[ -n $v ]] && link_there "$v")" "there"
h container stop -t 0 hkt-one >/dev/null
check "stop returns with the veth gone" "$(link_there "$v")" "gone"
check "stop returns with the endpoint file gone" "$(ls "$R"/networks/*/endpoints/"$id".json 2>/dev/null | wc -l)" "0"

# 2. The namespace outlives the container (this shell holds it open): the veth
# does not go by itself, and stop deletes it.
id=$(h container run -d --name hkt-held --network hkt-net busybox sleep 300)
v=$(veth_of "$id")
pid=$(h container inspect -f '{{.State.Pid}}' hkt-held)
exec 9<"/proc/$pid/ns/net"
h container stop -t 0 hkt-held >/dev/null
check "stop deletes the veth of a namespace still held" "$(link_there "$v")" "gone"
exec 9<&-

# 3. Several at once (as down does): every veth gone when rm -f returns.
vs=()
for i in 1 2 3 4; do
  id=$(h container run -d --name "hkt-m$i" --network hkt-net busybox sleep 300)
  vs+=("$(veth_of "$id")")
done
h container rm -f hkt-m1 hkt-m2 hkt-m3 hkt-m4 >/dev/null
left=0
for v in "${vs[@]}"; do [[ -n $v && $(link_there "$v") == gone ]] || left=$((left + 1)); done
check "rm -f of four returns with their veths gone" "$left" "0"

# 4. network rm: bridge, route and name free on return; the subnet again at once.
h container rm -f hkt-one hkt-held >/dev/null
h network rm hkt-net >/dev/null; check "network rm" "$?" "0"
check "network rm returns with the bridge gone" "$(link_there "$bridge")" "gone"
check "network rm returns with its route gone" "$(ip route show 10.217.1.0/24 | wc -l)" "0"
net2=$(h network create --subnet 10.217.1.0/24 hkt-net); check "the same subnet again at once" "$?" "0"
check "the new bridge holds the gateway" "$(ip -o addr show dev "hk-${net2:0:12}" 2>/dev/null | grep -c '10\.217\.1\.1/24')" "1"
id=$(h container run --rm --network hkt-net busybox ping -c 1 -W 2 10.217.1.1 >/dev/null 2>&1; echo $?)
check "a container on it reaches the gateway" "$id" "0"
h network rm hkt-net >/dev/null
h network create --subnet 10.217.2.0/24 hkt-other >/dev/null
check "a network made right after a removal" "$?" "0"
h network rm hkt-other >/dev/null
check "no bridge left" "$(ip -o link show | grep -c -e "hk-${net:0:12}" -e "hk-${net2:0:12}")" "0"
if ((failures)); then echo "$failures failure(s)"; exit 1; fi
echo "all network teardown tests passed"
