#!/usr/bin/env bash
# The monitor's process features on the busybox test image: healthchecks, exec,
# a terminal and stdin (-i/-t, detach keys, attach), --init, log rotation and
# logs --since, process options in the spec, and the external runc runtime.
test_kind=process source "$(dirname "${BASH_SOURCE[0]}")/check_lib.sh"
h() { "$HAKO" --root "$R" container "$@"; }
health() { h inspect "$1" | sed -n 's/.*"Status": "\(starting\|healthy\|unhealthy\)".*/\1/p' | head -1; }
# wait_health NAME STATUS SECONDS: polls inspect until the health status is STATUS.
wait_health() {
  local deadline=$((SECONDS + $3))
  while ((SECONDS < deadline)); do
    [[ $(health "$1") == "$2" ]] && return 0
    sleep 0.1
  done
  return 1
}

bash "$SRC/scripts/make-test-image.sh" "$R/image.tar" >/dev/null
"$HAKO" --root "$R" image import "$R/image.tar" busybox >/dev/null || { echo "FAIL: image import"; exit 1; }

# --- healthchecks ---
h run -d --name hok --health-cmd 'test -f /tmp/ready' --health-interval 200ms --health-retries 2 busybox \
  sh -c 'sleep 0.5; touch /tmp/ready; sleep 1000' >/dev/null
check "health starts as starting" "$(health hok)" "starting"
wait_health hok healthy 10; check "health becomes healthy once the probe passes" "$?" "0"
h inspect hok | grep -q '"FailingStreak": 0'; check "inspect shows the failing streak" "$?" "0"
h inspect hok | grep -q '"ExitCode": 0,'; check "inspect shows the probe log" "$?" "0"
h exec hok rm /tmp/ready
wait_health hok unhealthy 10; check "unhealthy after retries failures" "$?" "0"
streak=$(h inspect hok | sed -n 's/.*"FailingStreak": \([0-9]*\).*/\1/p')
[[ $streak -ge 2 ]]; check "failing streak reached the retries ($streak)" "$?" "0"
h rm -f hok >/dev/null

h run -d --name hsp --health-cmd 'exit 1' --health-interval 100ms --health-retries 1 --health-start-period 1s \
  --health-start-interval 100ms busybox sleep 1000 >/dev/null
sleep 0.6
check "failures inside the start period do not count" "$(health hsp)" "starting"
wait_health hsp unhealthy 5; check "after the start period the failure counts" "$?" "0"
h rm -f hsp >/dev/null

h run -d --name hto --health-cmd 'sleep 5' --health-interval 100ms --health-timeout 200ms --health-retries 1 \
  busybox sleep 1000 >/dev/null
wait_health hto unhealthy 5; check "a probe over its timeout fails" "$?" "0"
h inspect hto | grep -q 'Health check exceeded timeout'; check "the timeout is in the probe log" "$?" "0"
h rm -f hto >/dev/null

h run -d --name hnone --no-healthcheck busybox sleep 1000 >/dev/null
check "--no-healthcheck: no Health in State" "$(h inspect hnone | grep -c '"Health"')" "0"
h rm -f hnone >/dev/null

# --- exec ---
h run -d --name ex -e FROM_RUN=1 busybox sleep 1000 >/dev/null
check "exec prints the output" "$(h exec ex echo hi)" "hi"
h exec ex sh -c 'exit 7'; check "exec returns the command's status" "$?" "7"
h exec ex nosuchcommand 2>/dev/null; check "exec: not found is 127" "$?" "127"
h exec ex /etc/passwd 2>/dev/null; check "exec: not executable is 126" "$?" "126"
check "exec -u" "$(h exec -u nobody ex grep ^Uid: /proc/self/status | awk '{print $2}')" "$(awk -F: '$1=="nobody"{print $3}' <(tar -xOf "$R/image.tar" ./etc/passwd 2>/dev/null || tar -xOf "$R/image.tar" etc/passwd))"
check "exec -w" "$(h exec -w /etc ex pwd)" "/etc"
check "exec -e adds to the container's env" "$(h exec -e A=b ex sh -c 'echo $A$FROM_RUN')" "b1"
check "exec runs in the container's pid namespace" "$(h exec ex sh -c 'cat /proc/1/cmdline | tr "\0" " "')" "sleep 1000 "
check "exec -i forwards stdin" "$(echo piped | h exec -i ex cat)" "piped"
h exec -d ex sh -c 'echo bg > /tmp/bg'; check "exec -d returns at once" "$?" "0"
sleep 0.3
check "exec -d ran the command" "$(h exec ex cat /tmp/bg)" "bg"
h stop -t 0 ex >/dev/null
h exec ex true 2>/dev/null; check "exec in a stopped container fails" "$?" "1"
h rm -f ex >/dev/null

# --- terminal, stdin, detach keys, attach (driven through a pty by python) ---
pty_run() {  # pty_run SCRIPT: runs python3 with the helpers below
  python3 - "$HAKO" "$R" <<PY
import os, pty, sys, time, select, signal
hako, root = sys.argv[1], sys.argv[2]
children = []
def give_up(*_):  # a hung client fails its checks instead of hanging the suite
    for child in children:
        try:
            os.kill(child, signal.SIGKILL)
        except OSError:
            pass
    print("status timeout")
    sys.stdout.flush()
    os._exit(0)
signal.signal(signal.SIGALRM, give_up)
signal.alarm(60)
def spawn(*args):
    pid, fd = pty.fork()
    if pid == 0:
        import termios
        termios.tcsetwinsize(0, (30, 100))
        os.execv(hako, [hako, "--root", root, "container", *args])
    children.append(pid)
    return pid, fd
def read_until(fd, needle, timeout=10):
    data = b""
    end = time.time() + timeout
    while needle.encode() not in data and time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
    return data.decode(errors="replace")
def status(pid):
    _, st = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(st)
$1
PY
}
out=$(pty_run '
pid, fd = spawn("run", "-it", "--rm", "busybox", "sh")
os.write(fd, b"stty size; tty; echo TERM=$TERM; echo marker$((1+1))\n")
print(read_until(fd, "marker2").replace("\r", ""))
os.write(fd, b"exit 3\n")
read_until(fd, "nothing", 2)
print("status", status(pid))
')
grep -qE '^/dev/(pts/|console)' <<<"$out"; check "run -it: stdin is a terminal" "$?" "0"
grep -q '^TERM=xterm' <<<"$out"; check "run -it: TERM is set" "$?" "0"
grep -q '^30 100$' <<<"$out"; check "run -it: the terminal has the size of ours" "$?" "0"
grep -q '^status 3$' <<<"$out"; check "run -it: the exit status of the shell" "$?" "0"

out=$(pty_run '
pid, fd = spawn("run", "-it", "--name", "dk", "busybox", "sh")
os.write(fd, b"echo ready$((2+2))\n")
read_until(fd, "ready4")
os.write(fd, b"\x10\x11")
print("status", status(pid))
')
grep -q '^status 0$' <<<"$out"; check "ctrl-p ctrl-q detaches with status 0" "$?" "0"
check "the container runs on after the detach" "$(h inspect dk | grep -c '"Running": true')" "1"
out=$(pty_run '
pid, fd = spawn("attach", "dk")
time.sleep(1.5)  # the client connects before the line is typed
os.write(fd, b"echo again$((3+3)); exit 5\n")
print(read_until(fd, "again6").replace("\r", ""))
print("status", status(pid))
')
grep -q '^again6' <<<"$out"; check "attach reaches the container's terminal" "$?" "0"
grep -q '^status 5$' <<<"$out"; check "attach returns the exit status" "$?" "0"
h rm -f dk >/dev/null

check "run -i without a terminal forwards stdin" "$(printf 'a\nb\n' | h run -i --rm busybox wc -l)" "2"

# --- init ---
check "--init: the tiny init is pid 1" "$(h run --rm --init busybox cat /proc/1/cmdline | tr '\0' ' ')" "/sbin/docker-init -- cat /proc/1/cmdline "
h run --rm --init busybox sh -c 'exit 4'; check "--init passes the exit status" "$?" "4"
# An orphan's zombie: sh's grandchild exits after its parent; the init must reap it.
zombies=$(h run --rm --init busybox sh -c '(sleep 0.2 &) ; sleep 0.8; grep -l "^State:.*Z" /proc/[0-9]*/status 2>/dev/null | wc -l')
check "--init reaps zombies" "$zombies" "0"
h run -d --name ini --init busybox sleep 1000 >/dev/null
start=$(date +%s%N)
h stop -t 10 ini >/dev/null
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
[[ $elapsed -lt 5000 ]]; check "--init forwards the stop signal (stopped in ${elapsed} ms)" "$?" "0"
h rm -f ini >/dev/null

# --- log rotation, --since/--until, rm -v ---
id=$(h run -d --log-opt max-size=2k --log-opt max-file=3 busybox sh -c 'i=0; while [ $i -lt 200 ]; do echo line$i; i=$((i+1)); done')
h wait "$id" >/dev/null
check "rotation keeps max-file files" "$(ls "$R/containers/$id" | grep -c -- '-json.log')" "3"
big=0
for f in "$R/containers/$id/$id"-json.log*; do (( $(stat -c %s "$f") > 2048 )) && big=1; done
check "no log file passes max-size" "$big" "0"
check "logs reads across rotated files up to the last line" "$(h logs "$id" | tail -1)" "line199"
check "logs -n across rotated files" "$(h logs -n 2 "$id" | head -1)" "line198"
h rm "$id" >/dev/null

id=$(h run -d busybox sh -c 'echo early; sleep 4; echo late; sleep 1000')
sleep 5
check "logs --since 3s shows only the later line" "$(h logs --since 3s "$id")" "late"
check "logs --until 3s shows only the earlier line" "$(h logs --until 3s "$id")" "early"
h logs --since yesterday "$id" >/dev/null 2>&1; check "a bad --since is a usage error" "$?" "2"
h rm -f -v "$id" >/dev/null; check "rm -f -v" "$?" "0"

id=$(h run -d --log-opt max-size=1k --log-opt max-file=2 busybox sh -c 'sleep 0.5; i=0; while [ $i -lt 100 ]; do echo n$i; i=$((i+1)); done; sleep 1000')
h logs -f "$id" >"$R/follow" 2>&1 &
follower=$!
sleep 2
h stop -t 0 "$id" >/dev/null
wait "$follower"
check "logs -f follows across rotation to the last line" "$(tail -1 "$R/follow")" "n99"
h rm "$id" >/dev/null

# --- process options in the spec ---
check "--ulimit" "$(h run --rm --ulimit nofile=123:456 busybox sh -c 'ulimit -n; ulimit -Hn' | tr '\n' ' ')" "123 456 "
check "--shm-size" "$(h run --rm --shm-size 8m busybox df -k /dev/shm | awk 'NR==2{print $2}')" "8192"
check "--sysctl" "$(h run --rm --sysctl net.ipv4.ip_forward=1 busybox cat /proc/sys/net/ipv4/ip_forward)" "1"
check "--security-opt no-new-privileges" "$(h run --rm --security-opt no-new-privileges busybox grep NoNewPrivs /proc/self/status | awk '{print $2}')" "1"
check "--security-opt seccomp=unconfined" "$(h run --rm --security-opt seccomp=unconfined busybox grep ^Seccomp: /proc/self/status | awk '{print $2}')" "0"
check "--group-add" "$(h run --rm --group-add 1234 busybox id -G | tr ' ' '\n' | grep -c '^1234$')" "1"
[[ $(h run --rm --pid host busybox sh -c 'echo $$') != 1 ]]; check "--pid host: not pid 1" "$?" "0"
h run --rm --pid container:x busybox true 2>/dev/null; check "an unsupported --pid is 125" "$?" "125"
h run -d --name sig --stop-signal USR1 --stop-timeout 1 busybox sh -c 'trap "exit 9" USR1; while true; do sleep 0.1; done' >/dev/null
h stop sig >/dev/null
check "--stop-signal reaches the container" "$(h wait sig)" "9"
h rm sig >/dev/null

# --- the external runtime ---
if command -v runc >/dev/null; then
  check "--runtime runc runs the container" "$(h run --rm --runtime runc --hostname rc busybox sh -c 'echo $(hostname) $$')" "rc 1"
  h run --rm --runtime runc busybox sh -c 'exit 6'; check "--runtime runc: the exit status" "$?" "6"
  h run -d --name rcx --runtime runc busybox sleep 1000 >/dev/null
  check "--runtime runc: exec" "$(h exec rcx echo in-runc)" "in-runc"
  h stop -t 1 rcx >/dev/null; check "--runtime runc: stop (sleep as pid 1 ignores TERM: killed)" "$(h wait rcx)" "137"
  h rm rcx >/dev/null
  h run --rm --runtime /nonexistent/runtime busybox true 2>/dev/null; check "a missing runtime is 125" "$?" "125"
else
  echo "skip: runc is not installed"
fi

# --- CPU affinity: the start runs pinned to the CLI's CPU (engine/sys/affinity.h);
# the container's processes and the monitor get the caller's set back ---
allowed() { sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "$1"; }
if (( $(nproc) > 1 )); then
  h run -d --name aff busybox sleep 1000 >/dev/null
  monitor_pid=$(sed -n 's/.*"monitor_pid":\([0-9]*\).*/\1/p' "$R/containers/$(h inspect -f '{{.Id}}' aff)/state.json")
  check "affinity: the init has the caller's CPUs" "$(allowed "/proc/$(h inspect -f '{{.State.Pid}}' aff)/status")" \
    "$(allowed /proc/self/status)"
  check "affinity: the monitor has the caller's CPUs" "$(allowed "/proc/$monitor_pid/status")" "$(allowed /proc/self/status)"
  check "affinity: a process exec'd into it too" "$(h exec aff sh -c 'grep Cpus_allowed_list /proc/self/status' | cut -f2)" \
    "$(allowed /proc/self/status)"
  h rm -f aff >/dev/null
  check "affinity: a caller on one CPU gives its container that one" \
    "$(taskset -c 0 "$HAKO" --root "$R" container run --rm busybox sh -c 'grep Cpus_allowed_list /proc/self/status' | cut -f2)" "0"
else
  echo "skip: one CPU, no affinity to restore"
fi

leftover=$(ps -eo args | grep -F "$R" | grep -vc grep)
check "no process of this test is left" "$leftover" "0"
echo "failures: $failures"
[[ $failures -eq 0 ]]
