# Shared preamble of the network tests that run in a network namespace of their own
# (sourced, not run): as root, the test runs again inside `unshare --net`, so its
# bridges, firewall rules and sysctls never touch the host's; then check_lib.sh,
# h() on the private root, loopback up, and a cleanup that removes every container
# and network of the root (and calls the test's own test_cleanup if it defines one)
# before check_lib's.
# Usage: test_kind=network source "$(dirname "${BASH_SOURCE[0]}")/netns_lib.sh"
[[ $EUID -ne 0 || -n ${HAKO_NETNS_INNER:-} ]] || exec unshare --net -- env HAKO_NETNS_INNER=1 bash "${BASH_SOURCE[1]}"
source "$(dirname "${BASH_SOURCE[0]}")/check_lib.sh"
h() { "$HAKO" --root "$R" "$@"; }
netns_cleanup() {
  set +e
  for id in $(h container ls -a -q 2>/dev/null); do h container rm -f "$id" >/dev/null 2>&1; done
  for n in $(h network ls -q 2>/dev/null); do h network rm "$n" >/dev/null 2>&1; done
  declare -F test_cleanup >/dev/null && test_cleanup
  cleanup
}
trap netns_cleanup EXIT
ip link set lo up
