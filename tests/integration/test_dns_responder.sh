#!/usr/bin/env bash
# The DNS responder on its own (no containers): a port-less bridge of ours carries the
# gateway addresses 10.202.1.1, 10.202.2.1, 10.202.3.1; the live Catch2 cases
# (tests/unit/engine/dns_live_test.cpp) write a ROOT/networks tree by hand, start the
# responder through dns::sync and query it. The trap deletes the link.
set -euo pipefail
if [[ $EUID -ne 0 ]]; then
  echo "SKIP: the DNS responder test needs root" >&2
  exit 0
fi
BUILD=${HAKO_BUILD_DIR:-$(dirname "${HAKO:-/work/main/build/hako}")}
TESTS=$BUILD/hako_engine_tests
if [[ ! -x $TESTS ]]; then
  echo "SKIP: $TESTS is not built" >&2
  exit 0
fi
link=hkdns$$
cleanup() {
  ip link del "$link" 2>/dev/null || true
}
trap cleanup EXIT
# A bridge without ports: this kernel may lack the dummy driver, and local
# delivery to its addresses needs only the link up.
ip link add "$link" type bridge
for net in 1 2 3; do ip addr add "10.202.$net.1/24" dev "$link"; done
ip link set "$link" up
HAKO_DNS_LIVE=1 "$TESTS" "[.dns_live]"
