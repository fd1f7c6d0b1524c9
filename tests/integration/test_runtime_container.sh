#!/usr/bin/env bash
# Integration test of hako's built-in OCI runtime (`hako runtime`, as root): what
# a container sees (pid 1, hostname, mounts, capabilities, seccomp, masked paths,
# user), exit statuses 127/126, fd hygiene, limits (OOM kill, pids), the
# create/start/exec/kill/delete lifecycle, and that nothing is left behind.
source "$(dirname "$0")/runtime_lib.sh"

run pid1 -- sh -c 'echo $$'
check "the process is pid 1" "$out" "1"

run host --hostname box -- hostname
check "own hostname" "$out" "box"

mkdir -p "$work/hostmnt"
mount -t tmpfs marker "$work/hostmnt"
run mounts -- cat /proc/self/mounts
check "host mounts are invisible" "$(grep -c marker <<<"$out" || true)" "0"
check_match "proc, sysfs, devpts, mqueue and shm are mounted" "$(awk '{print $2}' <<<"$out" | sort | tr '\n' ' ')" \
  "/dev /dev/mqueue /dev/pts /dev/shm /proc .*/sys "
umount "$work/hostmnt"

run caps -- grep -E '^(CapEff|CapBnd|Seccomp|NoNewPrivs):' /proc/self/status
host_nnp=$(awk '/^NoNewPrivs:/ {print $2}' /proc/self/status)  # inherited when the caller has it
check "default capabilities (docker's 14) and seccomp mode 2" "$(tr -s '\t' ' ' <<<"$out" | tr '\n' ';')" \
  "CapEff: 00000000a80425fb;CapBnd: 00000000a80425fb;NoNewPrivs: $host_nnp;Seccomp: 2;"
run capdrop --cap-drop ALL --cap-add NET_ADMIN --no-new-privileges -- grep -E '^(CapEff|NoNewPrivs):' /proc/self/status
check "cap-drop ALL, cap-add NET_ADMIN, no_new_privs" "$(tr -s '\t' ' ' <<<"$out" | tr '\n' ';')" \
  "CapEff: 0000000000001000;NoNewPrivs: 1;"
run unconfined --seccomp-unconfined -- grep '^Seccomp:' /proc/self/status
check "seccomp=unconfined" "$(tr -s '\t' ' ' <<<"$out")" "Seccomp: 0"

run mountdenied -- sh -c 'mount -t tmpfs none /mnt 2>&1; echo rc=$?'
check_match "mount is refused inside" "$out" "rc=[1-9]"
run unshare -- unshare -n true
check "unshare of a namespace is refused" "$rc" "1"

# /proc/kcore only exists on kernels built with it; what exists must read empty.
run masked -- sh -c 'for f in /proc/kcore /proc/keys /proc/timer_list; do [ -e $f ] && echo "$f $(cat $f | wc -c)"; done; echo x > /proc/sys/kernel/hostname 2>/dev/null || echo ro'
check_match "/proc/kcore, /proc/keys, /proc/timer_list masked, /proc/sys read-only" "$(tr '\n' ' ' <<<"$out")" \
  "^(/proc/kcore 0 )?/proc/keys 0 (/proc/timer_list 0 )?ro $"

run nobody --user nobody -- sh -c 'id -u; id -g; grep ^CapEff: /proc/self/status'
check "user by name from the image's passwd, no capabilities" "$(tr -s '\t' ' ' <<<"$out" | tr '\n' ';')" \
  "65534;65534;CapEff: 0000000000000000;"

run notfound -- no-such-command
check "missing command exits 127" "$rc" "127"
check_match "missing command message" "$err" 'exec: "no-such-command": executable file not found in \$PATH'
run notexec -- /etc/passwd
check "non-executable command exits 126" "$rc" "126"
run exitcode -- sh -c 'exit 3'
check "exit status is passed through" "$rc" "3"

run readonly --read-only -- sh -c 'touch /x 2>/dev/null && echo writable || echo read-only'
check "read-only rootfs" "$out" "read-only"

exec 7<"$work/image.tar"
run fds -- ls /proc/self/fd
exec 7<&-
check "only stdio (and ls's own directory) reach the container" "$(tr '\n' ' ' <<<"$out")" "0 1 2 3 "

run cwd --cwd /var/app/data -- pwd
check "working directory is created and used" "$out" "/var/app/data"

run oom --memory 16m --memory-swap 16m -- sh -c 'x=aaaaaaaaaaaaaaaa; while true; do x=$x$x; done'
check "a memory hog is killed" "$rc" "137"
check_match "the OOM kill is detected" "$err" "OOM-killed"

# The loop runs in a subshell (ash exits when fork fails); counting uses a glob, not a fork.
run pids --pids-limit 8 -- sh -c '(for i in $(seq 1 32); do sleep 5 & done) 2>/dev/null; set -- /proc/[0-9]*; echo $#'
check_match "pids limit stops the fork loop" "$out" "^[2-8]$"

# A private cgroup namespace is rooted at the container's cgroup: the init
# unshares it only after it was moved in.
dir=$(bundle cgns -- sh -c 'grep -E "^[0-9]+:(memory|pids):" /proc/self/cgroup')
jq '.linux.namespaces += [{"type": "cgroup"}]' "$dir/config.json" >"$dir/with-cgns.json"
mv "$dir/with-cgns.json" "$dir/config.json"
set +e
out=$("$HAKO" runtime --state-dir "$state" run cgns --bundle "$dir" </dev/null 2>"$work/cgns.err")
set -e
check "a cgroup namespace shows the container's cgroup as its root" "$(cut -d: -f3 <<<"$out" | sort -u)" "/"

# Lifecycle through separate commands, as runc's.
dir=$(bundle life --hostname life -- sleep 300)
"$HAKO" runtime --state-dir "$state" create life --bundle "$dir" --pid-file "$work/life.pid" </dev/null >/dev/null 2>&1
pid=$(cat "$work/life.pid")
check "state after create" "$("$HAKO" runtime --state-dir "$state" state life | jq -r .status)" "created"
# create returns once the init is in the container's cgroup in every hierarchy
# (the init sets up its rootfs while it is being moved in).
joined=none
for d in /sys/fs/cgroup/*"$cgparent/life" /sys/fs/cgroup"$cgparent/life"; do
  [[ -d $d ]] || continue
  [[ $joined == none ]] && joined=yes
  grep -qx "$pid" "$d/cgroup.procs" || joined="not in $d"
done
check "after create the init is in its cgroup in every hierarchy" "$joined" "yes"
"$HAKO" runtime --state-dir "$state" start life
check "state after start" "$("$HAKO" runtime --state-dir "$state" state life | jq -r .status)" "running"
check "exec runs in the container" "$("$HAKO" runtime --state-dir "$state" exec life -- sh -c 'hostname; grep ^Seccomp: /proc/self/status | tr -s "\t" " "')" \
  "$(printf 'life\nSeccomp: 2')"
set +e
"$HAKO" runtime --state-dir "$state" exec life -- sh -c 'exit 5'
exec_rc=$?
set -e
check "exec exit status" "$exec_rc" "5"
check "the init is pid 1 inside and exec'd processes see it" \
  "$("$HAKO" runtime --state-dir "$state" exec life -- cat /proc/1/cmdline | tr '\0' ' ')" "sleep 300 "
"$HAKO" runtime --state-dir "$state" kill life KILL
for _ in $(seq 100); do
  [[ $("$HAKO" runtime --state-dir "$state" state life | jq -r .status) == stopped ]] && break
  sleep 0.05
done
check "state after kill" "$("$HAKO" runtime --state-dir "$state" state life | jq -r .status)" "stopped"
"$HAKO" runtime --state-dir "$state" delete life
check "state folder removed" "$(ls "$state")" ""
# The init's parent is whoever reaps orphans here: it may still be a zombie.
check "init gone" "$( [[ ! -e /proc/$pid ]] || awk '{print $3}' /proc/$pid/stat | grep -q Z && echo gone || echo alive)" "gone"
left=$(find /sys/fs/cgroup -maxdepth 3 -path "*$cgparent/*" -type d 2>/dev/null | head -3)
check "no container cgroup left behind" "$left" ""
check "no mount left behind" "$(grep -c "$work/" /proc/self/mounts || true)" "0"

finish
