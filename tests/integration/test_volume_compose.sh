#!/usr/bin/env bash
# The storage clauses of issue 5 that reach containers only through a compose file
# (engine/volume): a secret from the environment and a config from inline content,
# with uid/gid/mode and target; long-syntax binds with create_host_path true (made)
# and false (refused, the path named); bind propagation rslave (a mount made on the
# host later shows inside) against the default rprivate (it does not).
test_kind=volume
source "$(dirname "${BASH_SOURCE[0]}")/check_lib.sh"
D=$R/project
mkdir -p "$D/prop"
h() { "$HAKO" --root "$R" --progress plain "$@"; }
c() { h -f "$D/compose.yaml" -p hk222v "$@"; }
test_down() { c down -v -t 0 >/dev/null 2>&1; cleanup; }
trap test_down EXIT
h image import /tmp/bb.tar busybox >/dev/null 2>&1 || {
  bash "$SRC/scripts/make-test-image.sh" "$R/image.tar" >/dev/null && h image import "$R/image.tar" busybox >/dev/null
} || { echo "FAIL: image import"; exit 1; }
cat >"$D/compose.yaml" <<'YAML'
secrets:
  tok: {environment: HK222_TOKEN}
configs:
  cfg: {content: "cfg-content"}
services:
  app:
    image: busybox
    network_mode: none
    secrets: [{source: tok, uid: "65534", gid: "65534", mode: 0400}]
    configs: [{source: cfg, target: /etc/app.conf, mode: 0440}]
    volumes:
      - {type: bind, source: ./made/by/compose, target: /m, bind: {create_host_path: true}}
  nohost:
    image: busybox
    network_mode: none
    profiles: [x]
    volumes:
      - {type: bind, source: ./missing, target: /m, bind: {create_host_path: false}}
  slave:
    image: busybox
    network_mode: none
    command: sleep 300
    volumes:
      - {type: bind, source: ./prop, target: /p, bind: {propagation: rslave}}
  private:
    image: busybox
    network_mode: none
    command: sleep 300
    volumes:
      - {type: bind, source: ./prop, target: /p}
YAML
out=$(HK222_TOKEN=t0k3n c run --rm --no-deps app sh -c \
  'stat -c "%u %g %a" /run/secrets/tok; cat /run/secrets/tok; echo; stat -c %a /etc/app.conf; cat /etc/app.conf' 2>&1)
check "a secret from the environment, a config from content, with owner and mode" "$out" \
  "$(printf '65534 65534 400\nt0k3n\n440\ncfg-content')"
[[ -d $D/made/by/compose ]]; check "create_host_path: true makes the folder" "$?" "0"
out=$(c --profile x run --rm --no-deps nohost true 2>&1); check "create_host_path: false refuses a missing source" "$?" "125"
contains "and names it" "$out" "$D/missing"

# A shared host mount, so that propagation has something to carry.
mount --bind "$D/prop" "$D/prop" && mount --make-shared "$D/prop"
c up -d slave private >/dev/null 2>&1 || echo "FAIL: up"
mkdir -p "$D/prop/sub" && mount -t tmpfs hk222-prop "$D/prop/sub"
check "rslave: a later host mount shows inside" "$(c exec slave grep -c ' /p/sub ' /proc/self/mountinfo)" "1"
check "rprivate (default): it does not" "$(c exec private grep -c ' /p/sub ' /proc/self/mountinfo)" "0"
c down -v -t 0 >/dev/null 2>&1
umount "$D/prop/sub" "$D/prop"
if ((failures)); then echo "$failures failure(s)"; exit 1; fi
echo "all passed"
