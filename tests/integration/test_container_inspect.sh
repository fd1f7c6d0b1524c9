#!/usr/bin/env bash
# hako container inspect as docker scripts use it: --format json and Go-style
# templates ({{.State.Status}}, nested paths, {{json .X}}), Config.ExposedPorts from the
# image's EXPOSE, State.Paused after a compose pause, container ls's PORTS, and clear errors for a bad format.
test_kind=inspect source "$(dirname "${BASH_SOURCE[0]}")/check_lib.sh"
h() { "$HAKO" --root "$R" "$@"; }

bash "$SRC/scripts/make-test-image.sh" "$R/image.tar" >/dev/null
h image import --change 'EXPOSE 80' --change 'EXPOSE 53/udp' "$R/image.tar" busybox >/dev/null ||
  { echo "FAIL: image import"; exit 1; }

h container run -d --name insp-a --network none busybox sleep 60 >/dev/null
check "a template with nested fields" "$(h container inspect -f '{{.Name}} {{.State.Status}} {{.State.Running}} {{.Config.Image}}' insp-a)" \
  "/insp-a running true busybox"
check "{{json .Config.ExposedPorts}} carries the image's EXPOSE" \
  "$(h container inspect --format '{{json .Config.ExposedPorts}}' insp-a)" '{"53/udp":{},"80/tcp":{}}'
check "a missing key of a nested object prints <no value>" "$(h container inspect -f '{{.State.Nope}}' insp-a)" "<no value>"
check "--format json prints the array" "$(h container inspect --format json insp-a | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["State"]["Status"])')" "running"
pid=$(h container inspect -f '{{.State.Pid}}' insp-a)
check "{{.State.Pid}} is the container's init on the host" "$(tr '\0' ' ' </proc/"$pid"/cmdline)" "sleep 60 "

out=$(h container inspect -f '{{.Bogus}}' insp-a 2>&1); status=$?
check "an unknown field is a usage error" "$status" "2"
contains "the error names the field" "$out" "'.Bogus'"
out=$(h container inspect -f 'xml' insp-a 2>&1); status=$?
check "an unsupported format is a usage error" "$status" "2"
out=$(h container inspect -f '{{.Name' insp-a 2>&1); status=$?
contains "an unclosed {{ is named" "$out" "'{{' without '}}'"

# container ls shows the published ports as docker ps does (random host ports resolved).
h network create --subnet 10.225.0.0/24 hkinsp-net >/dev/null
h container run -d --name insp-p --network hkinsp-net -p 127.0.0.1:18191:80 -p 18192:81/udp busybox sleep 60 >/dev/null
check "container ls --format {{.Ports}}" "$(h container ls --format '{{.Names}} {{.Ports}}' | grep '^insp-p ')" \
  "insp-p 127.0.0.1:18191->80/tcp, 0.0.0.0:18192->81/udp"
contains "the table's PORTS column" "$(h container ls | grep insp-p)" "127.0.0.1:18191->80/tcp"
h container rm -f insp-p >/dev/null
h network rm hkinsp-net >/dev/null

# State.Paused through the compose pause verb (the freezer of the container's cgroup).
mkdir -p "$R/proj"
cat >"$R/proj/compose.yaml" <<'YAML'
name: hkinsp
services:
  s:
    image: busybox
    command: ["sleep", "60"]
    network_mode: none
YAML
(cd "$R/proj" && h up -d >/dev/null 2>&1) || echo "FAIL: up"
(cd "$R/proj" && h pause s >/dev/null 2>&1) || echo "FAIL: pause"
check "a paused container says so" "$(h container inspect -f '{{.State.Status}} {{.State.Paused}} {{.State.Running}}' hkinsp-s-1)" \
  "paused true true"
(cd "$R/proj" && h unpause s >/dev/null 2>&1 && h down -t 0 >/dev/null 2>&1)

[[ $failures -eq 0 ]] || { echo "$failures check(s) failed"; exit 1; }
echo "all container inspect checks passed"
