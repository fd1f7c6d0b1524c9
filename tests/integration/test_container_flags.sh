#!/usr/bin/env bash
# container run flags that had no test (issue 3): --cpus in the cgroup, --env-file,
# --privileged, --network host, --restart always, start -a's exit status,
# --runtime PATH (runc), an image of 130 layers, and the CVE-2019-5736 class (no
# hako binary nor host file reachable from inside), each with its own --root.
test_kind=flags source "$(dirname "${BASH_SOURCE[0]}")/check_lib.sh"
h() { "$HAKO" --root "$R" "$@"; }
state() { h container inspect -f "{{.State.$2}}" "$1"; }
poll() {  # poll TRIES COMMAND…: until COMMAND succeeds, 50 ms apart
  local n=$1; shift
  for ((; n > 0; n--)); do "$@" && return 0; sleep 0.05; done
  return 1
}

bash "$SRC/scripts/make-test-image.sh" "$R/image.tar" >/dev/null
h image import "$R/image.tar" busybox >/dev/null || { echo "FAIL: image import"; exit 1; }

# --cpus 0.5: a quota of half the period, in the cgroup the container's init is in.
cpu_limit() {  # the cpu quota/period of PID's cgroup: "QUOTA PERIOD"
  local pid=$1 path mnt
  path=$(awk -F: '$2 ~ /(^|,)cpu(,|$)/ {print $3}' "/proc/$pid/cgroup")
  if [[ -n $path ]]; then
    mnt=$(awk '{for (i = 7; i <= NF; i++) if ($i == "-") {fs = $(i+1); o = $(i+3)}} fs == "cgroup" && o ~ /(^|,)cpu(,|$)/ {print $5; exit}' /proc/self/mountinfo)
    echo "$(cat "$mnt$path/cpu.cfs_quota_us") $(cat "$mnt$path/cpu.cfs_period_us")"
  else
    path=$(awk -F: '$1 == "0" {print $3}' "/proc/$pid/cgroup")
    mnt=$(awk '{for (i = 7; i <= NF; i++) if ($i == "-") fs = $(i+1)} fs == "cgroup2" {print $5; exit}' /proc/self/mountinfo)
    cat "$mnt$path/cpu.max"
  fi
}
h container run -d --name flags-cpus --network none --cpus 0.5 busybox sleep 60 >/dev/null
check "--cpus 0.5: quota is half the period" "$(cpu_limit "$(state flags-cpus Pid)")" "50000 100000"
h container rm -f flags-cpus >/dev/null

# --env-file: comments and blank lines skipped, a bare name takes the host's value, -e wins.
printf '# a comment\nA=1\nB=two words\n\nC\nD=file\n' >"$R/env.list"
check "--env-file" "$(C=fromhost h container run --rm --network none --env-file "$R/env.list" -e D=flag busybox \
  sh -c 'echo "$A|$B|$C|$D"')" "1|two words|fromhost|flag"
h container run --rm --network none --env-file "$R/missing.list" busybox true 2>/dev/null
check "--env-file of a missing file fails" "$?" "125"

# --privileged: every capability the host has, and no seccomp filter.
host_caps=$(awk '/^CapBnd/ {print $2}' /proc/self/status)
check "--privileged: CapEff is the host's bounding set, Seccomp 0" \
  "$(h container run --rm --network none --privileged busybox grep -E '^(CapEff|Seccomp):' /proc/self/status | tr -s '\t' ' ')" \
  "CapEff: $host_caps
Seccomp: 0"
check "without it: Seccomp 2" "$(h container run --rm --network none busybox grep '^Seccomp:' /proc/self/status | tr -s '\t' ' ')" "Seccomp: 2"

# --network host: the host's interfaces, not just lo.
host_if=$(ip -o route show default 2>/dev/null | awk '{print $5; exit}')
host_if=${host_if:-$(ls /sys/class/net | grep -v '^lo$' | head -1)}
check "--network host sees the host's $host_if" \
  "$(h container run --rm --network host busybox sh -c "test -e /sys/class/net/$host_if && echo yes")" "yes"
check "--network none sees only lo" "$(h container run --rm --network none busybox ls /sys/class/net)" "lo"

# --restart always: a killed init comes back with a new pid; stop ends it for good.
h container run -d --name flags-restart --network none --restart always busybox sleep 300 >/dev/null
pid1=$(state flags-restart Pid)
kill -9 "$pid1"
restarted() { local p; p=$(state flags-restart Pid); [[ $p != 0 && $p != "$pid1" ]]; }
poll 100 restarted
check "--restart always: the killed container runs again with a new pid" "$?" "0"
check "… and says it restarted" "$(h container inspect -f '{{.RestartCount}}' flags-restart)" "1"
h container stop -t 1 flags-restart >/dev/null
sleep 0.5  # room for a restart that must not come
check "after stop it stays exited" "$(state flags-restart Status) $(state flags-restart Pid)" "exited 0"
h container rm flags-restart >/dev/null

# start -a waits and passes the exit status (and the output).
h container create --name flags-start --network none busybox sh -c 'echo started; exit 7' >/dev/null
out=$(h container start -a flags-start)
check "start -a passes the exit status" "$?" "7"
check "start -a prints the output" "$out" "started"

# --runtime PATH: the bundle runs under runc (its state is in runc's --root).
if [[ -x /usr/sbin/runc ]]; then
  id=$(h container run -d --name flags-runc --network none --runtime /usr/sbin/runc busybox sleep 60)
  check "--runtime /usr/sbin/runc: runc knows the container as running" \
    "$(/usr/sbin/runc --root "$R/run/oci-runtime" state "$id" 2>&1 | grep -o '"status": *"[a-z]*"' | tr -d ' ')" '"status":"running"'
  check "… and exec reaches it" "$(h container exec flags-runc echo hi)" "hi"
  check "--runtime runc: output and exit status" "$(h container run --rm --network none --runtime /usr/sbin/runc busybox sh -c 'echo via-runc; exit 3'; echo "rc=$?")" "via-runc
rc=3"
  h container rm -f flags-runc >/dev/null
else
  echo "SKIP: /usr/sbin/runc is not installed: --runtime PATH not checked"
fi

# An image of 130 layers (a generated docker-archive): it loads, mounts and runs,
# with the layers in order (each writes /top).
python3 - "$R/image.tar" "$R/deep.tar" 130 <<'PY'
import hashlib, io, json, sys, tarfile
base, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
def member(tar, name, data):
    info = tarfile.TarInfo(name); info.size = len(data); info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))
layers = [open(base, "rb").read()]
for i in range(1, n):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        d = tarfile.TarInfo("layers"); d.type = tarfile.DIRTYPE; d.mode = 0o755; t.addfile(d)
        member(t, "layers/%d" % i, b"%d\n" % i)
        member(t, "top", b"%d\n" % i)
    layers.append(buf.getvalue())
config = json.dumps({"architecture": "amd64", "os": "linux",
    "config": {"Cmd": ["sh"], "Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]},
    "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(l).hexdigest() for l in layers]},
    "history": [{"created_by": "layer %d" % i} for i in range(n)]}).encode()
with tarfile.open(out, "w") as t:
    member(t, "config.json", config)
    for i, l in enumerate(layers): member(t, "l%d/layer.tar" % i, l)
    member(t, "manifest.json", json.dumps([{"Config": "config.json", "RepoTags": ["flags-deep:1"],
        "Layers": ["l%d/layer.tar" % i for i in range(n)]}]).encode())
PY
h image load -i "$R/deep.tar" >/dev/null
check "a 130-layer image loads with 130 layers" \
  "$(h image inspect flags-deep:1 | python3 -c 'import json,sys; print(len(json.load(sys.stdin)[0]["RootFS"]["Layers"]))')" "130"
check "… mounts and runs, top layer last" \
  "$(h container run --rm --network none flags-deep:1 sh -c 'ls /layers | wc -l; cat /top')" "129
129"

# CVE-2019-5736 class: nothing inside reaches the hako binary or a host file.
h container run -d --name flags-cve --network none busybox sleep 300 >/dev/null
# A watcher inside records every process whose exe is not the container's own
# binary while execs come and go (a hako process in setup would show as a host path).
h container exec -d flags-cve sh -c 'while :; do for p in /proc/[0-9]*; do l=$(readlink $p/exe 2>/dev/null) &&
  [ "$l" != /bin/busybox ] && echo "$p $l" >>/tmp/foreign; done; done'
for _ in 1 2 3 4 5 6 7 8 9 10; do h container exec flags-cve true; done
check "no process inside ever showed a foreign exe" "$(h container exec flags-cve sh -c 'sort -u /tmp/foreign 2>/dev/null')" ""
check "pid 1's exe inside is the container's busybox" "$(h container exec flags-cve readlink /proc/1/exe)" "/bin/busybox"
check "pid 1's fds are stdio only: /dev/null and pipes, no host file" \
  "$(h container exec flags-cve ls -l /proc/1/fd | awk 'NR > 1 {sub(/:\[[0-9]+\]$/, "", $NF); print $(NF-2), $NF}' | tr '\n' ' ')" \
  "0 /dev/null 1 pipe 2 pipe "
check "the hako binary's path does not exist inside" "$(h container exec flags-cve sh -c "test -e '$HAKO' || echo absent")" "absent"
init=$(state flags-cve Pid)
check "the container's init is not the hako binary (another inode)" \
  "$([[ $(stat -L -c %d:%i "/proc/$init/exe") != $(stat -L -c %d:%i "$HAKO") ]] && echo different)" "different"
check "only the container's own processes are visible inside (no monitor)" \
  "$(h container exec flags-cve sh -c 'for p in /proc/[0-9]*; do readlink $p/exe; done' | sort -u)" "/bin/busybox"
h container rm -f flags-cve >/dev/null

if [[ $failures -ne 0 ]]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all container flag checks passed"
