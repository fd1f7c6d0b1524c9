#!/usr/bin/env bash
# Service DNS with real containers: busybox nslookup from inside containers on user
# bridges (10.202.5.0/24 and 10.202.6.0/24) against the embedded responder — names,
# aliases, replicas, isolation between networks, removal seen at once, forwarding to
# a test resolver on loopback (127.0.202.70) and SERVFAIL without one, and no
# responder left once the networks are gone.
set -uo pipefail
if [[ $EUID -ne 0 ]]; then
  echo "SKIP: the DNS container test needs root" >&2
  exit 0
fi
HAKO=${HAKO:-${HAKO_BUILD_DIR:-/work/main/build}/hako}
SRC=${HAKO_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
R=$(mktemp -d /tmp/hako-dns-test.XXXXXX)
failures=0
resolver_pid=""

cleanup() {
  set +e
  [[ -n $resolver_pid ]] && kill "$resolver_pid" 2>/dev/null && wait "$resolver_pid" 2>/dev/null
  for id in $("$HAKO" --root "$R" container ls -a -q 2>/dev/null); do
    "$HAKO" --root "$R" container rm -f "$id" >/dev/null 2>&1
  done
  for net in hkdns-a hkdns-b; do "$HAKO" --root "$R" network rm "$net" >/dev/null 2>&1; done
  if [[ -f $R/run/dns.pid ]]; then  # only our own responder, by the pid it recorded
    read -r pid start <"$R/run/dns.pid"
    [[ $(awk '{print $22}' "/proc/$pid/stat" 2>/dev/null) == "$start" ]] && kill "$pid"
  fi
  awk -v r="$R" 'index($2, r) == 1 {print $2}' /proc/self/mounts | sort -r | xargs -r umount -l
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
h() { "$HAKO" --root "$R" "$@"; }
# lookup NETWORK NAME: the IPv4 addresses nslookup finds for NAME from a container on NETWORK, sorted, one line.
lookup() {
  h container run --rm --network "$1" busybox nslookup -type=a "$2" 2>/dev/null |
    awk '/^Name:/ {found=1} found && /^Address/ {print $NF}' | sort | tr '\n' ' ' | sed 's/ $//'
}

# The test resolver: answers every A query with 10.202.99.99.
cat >"$R/resolver.py" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 53))
while True:
    q, peer = s.recvfrom(1500)
    if len(q) < 12:
        continue
    end = 12
    while end < len(q) and q[end] != 0:
        end += q[end] + 1
    question = q[12:end + 5]
    header = q[:2] + b"\x81\x80" + b"\x00\x01\x00\x01\x00\x00\x00\x00"
    answer = b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04" + bytes([10, 202, 99, 99])
    s.sendto(header + question + answer, peer)
EOF
python3 "$R/resolver.py" 127.0.202.70 &
resolver_pid=$!
echo "nameserver 127.0.202.70" >"$R/resolv.conf"
export HAKO_RESOLV_CONF=$R/resolv.conf

bash "$SRC/scripts/make-test-image.sh" "$R/image.tar" >/dev/null
h image import "$R/image.tar" busybox >/dev/null || { echo "FAIL: image import"; exit 1; }
h network create --subnet 10.202.5.0/24 hkdns-a >/dev/null || { echo "FAIL: network create"; exit 1; }
h network create --subnet 10.202.6.0/24 hkdns-b >/dev/null || { echo "FAIL: network create"; exit 1; }
[[ -f $R/run/dns.pid ]]; check "a bridge network starts the responder" "$?" "0"
read -r dns_pid _ <"$R/run/dns.pid"

h container run -d --name web1 --network hkdns-a --network-alias web busybox sleep 300 >/dev/null
h container run -d --name web2 --network hkdns-a --network-alias web busybox sleep 300 >/dev/null
h container run -d --name db1 --network hkdns-b busybox sleep 300 >/dev/null
sleep 0.3

web1=$(lookup hkdns-a web1)
web2=$(lookup hkdns-a web2)
[[ $web1 == 10.202.5.* ]]; check "container name resolves to its address ($web1)" "$?" "0"
[[ $web2 == 10.202.5.* && $web2 != "$web1" ]]; check "a second container has its own address ($web2)" "$?" "0"
check "an alias resolves to every replica" "$(lookup hkdns-a web)" "$(printf '%s\n' "$web1" "$web2" | sort | tr '\n' ' ' | sed 's/ $//')"
check "names are case-insensitive" "$(lookup hkdns-a WEB1)" "$web1"
check "a name of another network is not answered (forwarded instead)" "$(lookup hkdns-b web1)" "10.202.99.99"
[[ $(lookup hkdns-b db1) == 10.202.6.* ]]; check "the other network has its own names" "$?" "0"
check "other names are forwarded to the host's resolver" "$(lookup hkdns-a upstream.example)" "10.202.99.99"
ptr=$(h container run --rm --network hkdns-a busybox nslookup "$web1" 2>/dev/null | grep -c "name = web1")
check "PTR of a container address names it" "$ptr" "1"
check "a container resolves its own peers from inside a detached one" \
  "$(h container exec web2 nslookup -type=a web1 2>/dev/null | awk '/^Name:/ {f=1} f && /^Address/ {print $NF}')" "$web1"

h container rm -f web2 >/dev/null
check "a removed container's name stops resolving at once" "$(lookup hkdns-a web)" "$web1"

kill "$resolver_pid"
wait "$resolver_pid" 2>/dev/null
resolver_pid=""
start=$(date +%s%N)
out=$(h container run --rm --network hkdns-a busybox nslookup -type=a upstream.example 2>&1)
elapsed=$((($(date +%s%N) - start) / 1000000))
echo "$out" | grep -q "SERVFAIL"; check "without a resolver: SERVFAIL" "$?" "0"
[[ $elapsed -lt 5000 ]]; check "SERVFAIL comes quickly (${elapsed} ms, container start included)" "$?" "0"

for id in $(h container ls -a -q); do h container rm -f "$id" >/dev/null; done
h network rm hkdns-a hkdns-b >/dev/null
gone=1
for _ in $(seq 1 50); do
  [[ -d /proc/$dns_pid && $(awk '{print $3}' "/proc/$dns_pid/stat" 2>/dev/null) != Z ]] || { gone=0; break; }
  sleep 0.1
done
check "the responder is gone with the last network" "$gone" "0"
[[ ! -e $R/run/dns.pid ]]; check "its pid file is gone" "$?" "0"

[[ $failures -eq 0 ]] && echo "all DNS container checks passed"
exit $((failures > 0))
