#!/usr/bin/env bash
# OCI hooks from a CDI spec, run by hako's built-in runtime: each phase runs once,
# in order (createRuntime, createContainer, startContainer, poststart, then
# poststop at removal), in the right namespace, with the container's id and pid on
# stdin; a hook that fails or times out fails the start, names the hook and leaves
# no process or cgroup behind.
test_kind=hooks source "$(dirname "${BASH_SOURCE[0]}")/check_lib.sh"
STATE=$R/root
h() { env -u HAKO_CDI_SPEC_DIRS "$HAKO" --root "$R/root" container "$@"; }
# field FILE KEY: a string or number of a one-line JSON object (the hook state).
field() { grep -o "\"$2\": *\"\?[^\",}]*" "$1" 2>/dev/null | head -n 1 | sed 's/^[^:]*: *"\?//'; }
# inspected NAME KEY: the first "KEY": value of `container inspect NAME`.
inspected() { h inspect "$1" 2>/dev/null >"$R/inspect.json" && field "$R/inspect.json" "$2"; }
wait_for() {  # wait_for FILE: up to 10 s
  for _ in $(seq 200); do [[ -e $1 ]] && return 0; sleep 0.05; done
  return 1
}
# Leftovers of container ID: cgroup folders in any hierarchy, processes in them.
leftovers() {
  [[ -n $1 ]] || { echo "no container id"; return; }
  local found=""
  for d in /sys/fs/cgroup/*/hako/"$1" /sys/fs/cgroup/hako/"$1"; do [[ -d $d ]] && found+="$d "; done
  echo "$found"
}

mkdir -p "$R/root" "$R/cdi" "$R/cdi-fail" "$R/cdi-slow" "$R/marks" "$R/hooks"
bash "$SRC/scripts/make-test-image.sh" "$R/image.tar" >/dev/null
"$HAKO" --root "$R/root" image import "$R/image.tar" busybox >/dev/null || { echo "FAIL: image import"; exit 1; }

# Host-side hooks: the state from stdin, the phase in order, the mount namespace.
for phase in createRuntime createContainer poststart poststop; do
  cat >"$R/hooks/$phase" <<SH
#!/bin/sh
cat > $R/marks/$phase.json
echo $phase >> $R/marks/order
readlink /proc/self/ns/mnt > $R/marks/$phase.mnt
SH
  chmod 755 "$R/hooks/$phase"
done
# startContainer resolves in the container: the image's sh, writing through the CDI mount.
cat >"$R/cdi/hooks.json" <<JSON
{"cdiVersion": "0.6.0", "kind": "example.com/hooks",
 "devices": [{"name": "all-phases", "containerEdits": {
   "mounts": [{"hostPath": "$R/marks", "containerPath": "/marks", "options": ["rw", "bind"]}],
   "hooks": [
     {"hookName": "createRuntime", "path": "$R/hooks/createRuntime", "timeout": 10},
     {"hookName": "createContainer", "path": "$R/hooks/createContainer"},
     {"hookName": "startContainer", "path": "/bin/sh",
      "args": ["sh", "-c", "cat > /marks/startContainer.json; echo startContainer >> /marks/order; readlink /proc/self/ns/mnt > /marks/startContainer.mnt"]},
     {"hookName": "poststart", "path": "$R/hooks/poststart"},
     {"hookName": "poststop", "path": "$R/hooks/poststop"}]}}]}
JSON

id=$(h run -d --name hooks-all --cdi-spec-dir "$R/cdi" --device example.com/hooks=all-phases busybox sleep 600 2>&1)
wait_for "$R/marks/poststart.json" || echo "FAIL: poststart never ran ($id)"
pid=$(inspected hooks-all Pid)
check "phases ran once each, in order" "$(tr '\n' ' ' <"$R/marks/order")" "createRuntime createContainer startContainer poststart "
for phase in createRuntime createContainer startContainer poststart; do
  check "$phase got the container's id" "$(field "$R/marks/$phase.json" id)" "$id"
  check "$phase got the init's host pid" "$(field "$R/marks/$phase.json" pid)" "$pid"
  check "$phase got the bundle" "$(field "$R/marks/$phase.json" bundle)" "$R/root/containers/$id"
done
check "createRuntime status" "$(field "$R/marks/createRuntime.json" status)" "creating"
check "startContainer status" "$(field "$R/marks/startContainer.json" status)" "created"
check "poststart status" "$(field "$R/marks/poststart.json" status)" "running"
host_mnt=$(readlink /proc/self/ns/mnt)
container_mnt=$(readlink "/proc/$pid/ns/mnt")
check "createRuntime ran in the runtime's mount namespace" "$(cat "$R/marks/createRuntime.mnt")" "$host_mnt"
check "createContainer ran in the container's mount namespace" "$(cat "$R/marks/createContainer.mnt")" "$container_mnt"
check "startContainer ran in the container's mount namespace" "$(cat "$R/marks/startContainer.mnt")" "$container_mnt"
check "poststart ran in the runtime's mount namespace" "$(cat "$R/marks/poststart.mnt")" "$host_mnt"
check "poststop has not run while the container runs" "$(ls "$R/marks/poststop.json" 2>/dev/null)" ""
h rm -f hooks-all >/dev/null
wait_for "$R/marks/poststop.json" || echo "FAIL: poststop never ran"
check "poststop runs on removal, last" "$(tail -n 1 "$R/marks/order")" "poststop"
check "poststop status" "$(field "$R/marks/poststop.json" status)" "stopped"
check "poststop id" "$(field "$R/marks/poststop.json" id)" "$id"

# A failing createContainer hook fails the start, names the hook, leaves nothing.
printf '#!/bin/sh\necho "no such gpu" >&2\nexit 3\n' >"$R/hooks/fail"
chmod 755 "$R/hooks/fail"
cat >"$R/cdi-fail/fail.json" <<JSON
{"cdiVersion": "0.6.0", "kind": "example.com/fail",
 "devices": [{"name": "x", "containerEdits": {"hooks": [
   {"hookName": "createContainer", "path": "$R/hooks/fail"},
   {"hookName": "poststop", "path": "$R/hooks/poststop"}]}}]}
JSON
rm -f "$R/marks/poststop.json"
out=$(h run -d --name hooks-fail --cdi-spec-dir "$R/cdi-fail" --device example.com/fail=x busybox sleep 30 2>&1)
status=$?
check "a failing hook fails the run" "$([[ $status -ne 0 ]] && echo failed)" "failed"
contains "the error names the hook" "$out" "createContainer hook #1 ($R/hooks/fail): exit status 3: no such gpu"
fail_id=$(inspected hooks-fail Id)
check "no cgroup left after the failed hook" "$(leftovers "$fail_id")" ""
check "the failed container is not running" "$(inspected hooks-fail Running)" "false"
check "poststop ran after the failed create" "$(field "$R/marks/poststop.json" status)" "stopped"
h rm -f hooks-fail >/dev/null 2>&1

# A startContainer hook past its timeout: killed, the start fails quickly.
cat >"$R/cdi-slow/slow.json" <<JSON
{"cdiVersion": "0.6.0", "kind": "example.com/slow",
 "devices": [{"name": "x", "containerEdits": {"hooks": [
   {"hookName": "startContainer", "path": "/bin/sleep", "args": ["sleep", "30"], "timeout": 1}]}}]}
JSON
begin=$(date +%s)
out=$(h run -d --name hooks-slow --cdi-spec-dir "$R/cdi-slow" --device example.com/slow=x busybox sleep 30 2>&1)
status=$?
elapsed=$(( $(date +%s) - begin ))
check "a hook past its timeout fails the run" "$([[ $status -ne 0 ]] && echo failed)" "failed"
contains "the error says it timed out" "$out" "startContainer hook #1 (/bin/sleep): timed out after 1 s"
check "the timeout is kept (under 10 s)" "$([[ $elapsed -lt 10 ]] && echo yes)" "yes"
slow_id=$(inspected hooks-slow Id)
check "no cgroup left after the timeout" "$(leftovers "$slow_id")" ""
check "no sleep of the hook survives" "$(pgrep -f '^sleep 30$' | while read -r p; do [[ $(readlink /proc/$p/root) != / ]] && echo $p; done)" ""

if [[ $failures -gt 0 ]]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all hook checks passed"
