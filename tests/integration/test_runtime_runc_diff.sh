#!/usr/bin/env bash
# Differential test (as root): the same bundle, written by `hako runtime spec`,
# runs under hako's built-in runtime and under runc; what the container sees
# (capability sets, seccomp mode, no_new_privs, ids, hostname, mount list
# shape, devices, pid) must be the same.
source "$(dirname "$0")/runtime_lib.sh"
if ! command -v runc >/dev/null; then
  echo "SKIP: runc is not installed" >&2
  exit 0
fi

probe='grep -E "^(Cap(Inh|Prm|Eff|Bnd|Amb)|Seccomp|NoNewPrivs):" /proc/self/status | tr -s "\t" " "
echo "ids: $(id -u) $(id -g) $(id -G)"
echo "hostname: $(hostname)"
echo "pid: $$"
echo "cwd: $(pwd)"
awk "{print \"mount:\", \$2, \$3}" /proc/self/mounts | sort
ls -l /dev | awk "{print \"dev:\", \$1, \$5, \$6, \$NF}" | sort
echo "mount-denied: $(mount -t tmpfs none /mnt 2>/dev/null && echo no || echo yes)"
echo "kcore: $( (wc -c < /proc/kcore) 2>&1 )"'

compare() {  # compare NAME [spec flags…]
  local name=$1
  shift
  local dir
  dir=$(bundle "$name" "$@" -- sh -c "$probe")
  local ours theirs
  ours=$("$HAKO" runtime --state-dir "$state" run "$name" --bundle "$dir" 2>&1)
  # runc gets its own cgroup path; the spec is otherwise byte for byte the same.
  sed -i "s|$cgparent/$name\"|$cgparent/$name-runc\"|" "$dir/config.json"
  theirs=$(cd "$dir" && runc --root "$work/runc" run "$name-runc" 2>&1 </dev/null)
  if [[ "$ours" == "$theirs" ]]; then
    echo "ok: $name: hako and runc agree ($(wc -l <<<"$ours") lines)"
  else
    echo "FAIL: $name: hako and runc differ" >&2
    diff <(echo "$ours") <(echo "$theirs") >&2 || true
    failures=$((failures + 1))
  fi
}

compare defaults --hostname differ
compare restricted --hostname differ --user nobody --cap-drop ALL --cap-add CHOWN --no-new-privileges --cwd /tmp
compare readonly --read-only --cap-add SYS_ADMIN --seccomp-unconfined

finish
