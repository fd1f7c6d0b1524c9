#!/usr/bin/env bash
# An attached run's exit path runs in its CLI (monitor::exit_in_caller): hako-monitor
# says "ended" on the status socket and waits for "done". What this must keep: the
# exit code, the state and log of a kept container, its teardown (rootfs, cgroups),
# a --rm container gone with its retired folder removed afterwards; a restart policy
# still goes through the monitor; and a CLI killed before the exit leaves the exit
# path to the monitor, as before.
test_kind=exit-by-caller source "$(dirname "${BASH_SOURCE[0]}")/check_lib.sh"

bash "$SRC/scripts/make-test-image.sh" "$R/image.tar" >/dev/null
"$HAKO" --root "$R" image import "$R/image.tar" busybox >/dev/null || { echo "FAIL: image import"; exit 1; }
inspect() { "$HAKO" --root "$R" container inspect -f "$1" "$2" 2>&1; }
gone_within() {  # gone_within SECONDS COMMAND…: 0 once COMMAND prints nothing
  for _ in $(seq $(($1 * 100))); do
    [[ -z $("${@:2}") ]] && return 0
    sleep 0.01
  done
  return 1
}
cgroup_dirs() { find /sys/fs/cgroup -maxdepth 3 -type d -path "*/hako/$1*" 2>/dev/null; }
retired() { ls "$R/tmp" 2>/dev/null | grep deleted-container- ; }

# --rm, attached: the exit code, nothing left in the store; the retired folder goes after.
out=$("$HAKO" --root "$R" container run --rm --name xc-rm --network none busybox sh -c 'echo from-rm; exit 3')
check "run --rm: the exit code" "$?" "3"
check "run --rm: the output" "$out" "from-rm"
check "run --rm: no such container afterwards" "$("$HAKO" --root "$R" container ls -a -q | wc -l)" "0"
gone_within 5 retired
check "run --rm: the retired folder is removed after the CLI returned" "$?" "0"
# hako-monitor disposed of it itself: emptied into the pool of spare folders.
check "run --rm: its folder waits in the spare pool" "$(ls "$R/spare" | wc -l)" "1"
# The next container takes it; its name files, kept in the pool, are written over
# and cut to the new length at its start.
"$HAKO" --root "$R" container run --name xc-long --hostname a-rather-long-host-name-for-the-spare-pool \
  --network none busybox true
check "spare: the pool lent its folder" "$(ls "$R/spare" | wc -l)" "0"
"$HAKO" --root "$R" container rm xc-long >/dev/null
check "spare: rm puts the folder back" "$(ls "$R/spare" | wc -l)" "1"
out=$("$HAKO" --root "$R" container run --rm --hostname short --network none busybox sh -c \
  'wc -c </etc/hostname; cat /etc/hostname /etc/hosts')
check "spare: /etc/hostname is the new one, cut to size" "$(printf '%s\n' "$out" | head -2 | tr '\n' ' ')" "6 short "
check "spare: nothing of the last container in /etc/hosts" "$(printf '%s\n' "$out" | grep -c long)" "0"
gone_within 5 retired
# The pool keeps the records and the emptied log as spares, which the next
# container writes over: its log, record and state are its own, none of the last.
spare=$(ls -d "$R"/spare/*/ | head -1)
check "spare: the records wait as spares, the log emptied" \
  "$(cd "$spare" && stat -c '%n %s' .container.json.spare .state.json.spare .config.json.spare .log.spare 2>&1 |
    awk '{ print $1, ($1 == ".log.spare" ? $2 : ($2 > 0)) }' | tr '\n' ' ')" \
  ".container.json.spare 1 .state.json.spare 1 .config.json.spare 1 .log.spare 0 "
check "spare: no record under its own name" "$(ls "$spare" | grep -c -e json -e log)" "0"
spare_inodes=$(stat -c %i "$spare/.container.json.spare" "$spare/.config.json.spare" | tr '\n' ' ')
"$HAKO" --root "$R" container run --name xc-next --network none busybox sh -c 'echo next-line' >/dev/null
id=$(inspect '{{.Id}}' xc-next)
check "spare: the next container's record and bundle are written over the spares" \
  "$(stat -c %i "$R/containers/$id/container.json" "$R/containers/$id/config.json" | tr '\n' ' ')" "$spare_inodes"
check "spare: its log has its own lines only" "$("$HAKO" --root "$R" container logs xc-next 2>&1 | tr '\n' ' ')" "next-line "
check "spare: its record and state are its own" "$(inspect '{{.Name}} {{.State.Status}} {{.Config.Cmd}}' xc-next)" \
'/xc-next exited ["sh","-c","echo next-line"]'
check "spare: no spare is left in its folder" "$(ls -a "$R/containers/$id" | grep -c spare)" "0"
"$HAKO" --root "$R" container rm xc-next >/dev/null

# Kept, attached: the state, log and teardown the exit path writes.
"$HAKO" --root "$R" container run --name xc-keep --network none busybox sh -c 'echo kept; exit 5' >/dev/null
check "run: the exit code" "$?" "5"
id=$(inspect '{{.Id}}' xc-keep)
check "run: State.Status" "$(inspect '{{.State.Status}}' xc-keep)" "exited"
check "run: State.ExitCode" "$(inspect '{{.State.ExitCode}}' xc-keep)" "5"
check "run: State.Pid" "$(inspect '{{.State.Pid}}' xc-keep)" "0"
contains "run: the log has the output" "$("$HAKO" --root "$R" container logs xc-keep 2>&1)" "kept"
check "run: the rootfs is unmounted" "$(grep -c "$id/rootfs" /proc/self/mounts)" "0"
check "run: no cgroup is left" "$(cgroup_dirs "$id")" ""
check "run: no attach socket is left" "$(ls "$R/containers/$id" | grep -c attach.sock)" "0"
"$HAKO" --root "$R" container start -a xc-keep >/dev/null
check "start -a of it: the exit code again" "$?" "5"

# A container killed from outside is 128+signal through the same path.
wait_running() {
  for _ in $(seq 500); do
    [[ $(inspect '{{.State.Status}}' "$1") == running ]] && return
    sleep 0.01
  done
}
"$HAKO" --root "$R" container run --rm --name xc-kill --network none busybox sleep 10 >/dev/null &
cli=$!
wait_running xc-kill
"$HAKO" --root "$R" container kill xc-kill >/dev/null
wait "$cli"
check "run --rm killed with SIGKILL: the CLI's status is 137" "$?" "137"
"$HAKO" --root "$R" container run --rm --name xc-stop --network none busybox sleep 10 >/dev/null &
cli=$!
wait_running xc-stop
"$HAKO" --root "$R" container stop -t 0 xc-stop >/dev/null
check "stop of an attached run returns once it is removed" "$("$HAKO" --root "$R" container ls -a | grep -cw xc-stop)" "0"
wait "$cli"
check "and the CLI's status is 137" "$?" "137"

# A restart policy keeps the exit in the monitor: the run returns the first exit, and it restarts.
"$HAKO" --root "$R" container run --name xc-restart --network none --restart on-failure:1 busybox false
check "run --restart on-failure:1: the first exit code" "$?" "1"
for _ in $(seq 500); do
  [[ $(inspect '{{.RestartCount}}' xc-restart) == 1 && $(inspect '{{.State.Status}}' xc-restart) == exited ]] && break
  sleep 0.01
done
check "and it was restarted once by its monitor" "$(inspect '{{.RestartCount}}' xc-restart)/$(inspect '{{.State.Status}}' xc-restart)" "1/exited"

# The CLI killed while its container runs: the monitor does the exit path itself.
"$HAKO" --root "$R" container run --rm --name xc-orphan --network none busybox sleep 1 >/dev/null &
cli=$!
wait_running xc-orphan
kill -9 "$cli"
wait "$cli" 2>/dev/null
orphan() { "$HAKO" --root "$R" container ls -a | grep -w xc-orphan; }
gone_within 10 orphan
check "the CLI killed: its --rm container is still removed when it exits" "$?" "0"
gone_within 5 retired
check "and its folder too" "$?" "0"

# The monitor's set-up runs in its CLI's memory: it takes the record the CLI just
# wrote instead of reading container.json back (the exit path reads it once: a
# rename may have changed it meanwhile), and its rootfs's real path from /proc.
if command -v strace >/dev/null; then
  # A root of its own: create reads the records of a root's other containers.
  "$HAKO" --root "$R/alone" image import "$R/image.tar" busybox >/dev/null
  strace -f -qq -e trace=openat,readlink -o "$R/strace.txt" \
    "$HAKO" --root "$R/alone" container run --rm --network none busybox true
  check "strace: run --rm" "$?" "0"
  check "run --rm reads container.json once (the exit path)" \
    "$(grep -c 'containers/[0-9a-f]*/container.json", O_RDONLY|O_CLOEXEC)' "$R/strace.txt")" "1"
  check "…and resolves no path component by component (no readlink outside /proc)" \
    "$(grep 'readlink("/' "$R/strace.txt" | grep -vc 'readlink("/proc/')" "0"
  # On cgroup v1 the init moves itself in through each hierarchy's `tasks` file
  # (no threadgroup lock, no RCU grace period); nothing opens a cgroup.procs to join.
  if grep -q ' - cgroup cgroup ' /proc/self/mountinfo; then
    check "the init joins its v1 cgroups through tasks, not cgroup.procs" \
      "$(grep -q '/memory/.*/tasks", O_WRONLY' "$R/strace.txt" && echo memory)/$(grep -c '/cgroup.procs", O_WRONLY' "$R/strace.txt")" \
      "memory/0"
  fi
  alone_retired() { ls "$R/alone/tmp" 2>/dev/null | grep deleted-container- ; }
  gone_within 5 alone_retired
  "$HAKO" --root "$R/alone" image rm busybox >/dev/null
fi

# The removal verb hako-monitor runs takes only a retired folder of its root.
bin=$(dirname "$(readlink -f "$HAKO")")
mkdir -p "$R/keep-me"
"$bin/hako-exit" --root "$R" __dispose-retired "$R/keep-me"
check "__dispose-retired refuses a folder that retire did not make" "$?/$(test -d "$R/keep-me" && echo kept)" "2/kept"
"$bin/hako-exit" --root "$R" __dispose-retired "$R/tmp/../keep-me"
check "…also through .." "$?/$(test -d "$R/keep-me" && echo kept)" "2/kept"

exit $((failures > 0))
