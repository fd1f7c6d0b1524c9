#!/usr/bin/env bash
# Leftovers after kill -9 (engine/net): `container run -d --network N -p …` is killed
# with SIGKILL at several points of its start; after `rm -f` of every container and
# `network rm`, nothing of the root remains: no bridge, veth, endpoint file, nft table
# or FORWARD accept, mount under the root, or DNS responder. Subnet 10.213.20.0/24 only.
set -uo pipefail
[[ $EUID -eq 0 ]] || { echo "SKIP: the network tests need root" >&2; exit 0; }
HAKO=${HAKO:-${HAKO_BUILD_DIR:-/work/main/build}/hako}
SRC=${HAKO_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
R=$(mktemp -d /tmp/hako-net-kill9.XXXXXX)
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

bash "$SRC/scripts/make-test-image.sh" "$R/image.tar" >/dev/null
h image import "$R/image.tar" busybox >/dev/null || { echo "FAIL: image import"; exit 1; }
net=$(h network create --subnet 10.213.20.0/24 hk9-net) || { echo "FAIL: network create"; exit 1; }
i=0
for delay in 0 0.005 0.01 0.02 0.04 0.08 0.15 0.3 0.6; do
  i=$((i + 1))
  h container run -d --name "hk9-$i" --network hk9-net -p "127.0.0.1:$((18790 + i)):80" busybox sleep 300 >/dev/null 2>&1 &
  pid=$!
  sleep "$delay"
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
done
dns=$(awk '{print $1}' "$R/run/dns.pid" 2>/dev/null)
check "the DNS responder ran" "$([[ -n $dns ]] && kill -0 "$dns" 2>/dev/null && echo running)" "running"
for id in $(h container ls -a -q); do h container rm -f "$id" >/dev/null 2>&1; done
check "no container left" "$(h container ls -a -q | wc -l)" "0"
h network rm hk9-net >/dev/null; check "network rm" "$?" "0"
table=$(python3 -c 'import hashlib,os,sys;print("hako_"+hashlib.sha256(os.path.abspath(sys.argv[1]).encode()).hexdigest()[:10])' "$R")
check "no bridge left" "$(ip -o link show | grep -c "hk-${net:0:12}")" "0"
check "no veth left" "$(ip -o link show | grep -c "hv[0-9a-f]\{7\}${net:0:6}")" "0"
check "no endpoint file left" "$(find "$R/networks" -name '*.json' | wc -l)" "0"
check "no nft table left" "$(nft list tables | grep -c "$table")" "0"
check "no FORWARD accept left" "$(nft list ruleset 2>/dev/null | grep -c "comment \"$table\"")" "0"
check "no mount under the root" "$(awk -v r="$R" 'index($2, r) == 1' /proc/self/mounts | wc -l)" "0"
# A zombie counts as gone: it has exited, and reaping it is its parent's business
# (here the responder was reparented to PID 1, which may reap late).
dns_state=$(sed 's/.*) //' "/proc/$dns/stat" 2>/dev/null | cut -d' ' -f1)
check "no DNS responder" "$([[ -n $dns_state && $dns_state != Z && $dns_state != X ]] && echo running || echo gone)" "gone"
if ((failures)); then echo "$failures failure(s)"; exit 1; fi
echo "all kill -9 leftover tests passed"
