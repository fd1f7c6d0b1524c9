#!/usr/bin/env bash
# hako container cp (both ways, tar streams, running and stopped containers, symlinks
# planted in the container), rename, top, prune, and images kept while a container
# uses them — on the busybox test image, with its own --root.
test_kind=cp source "$(dirname "${BASH_SOURCE[0]}")/check_lib.sh"
h() { "$HAKO" --root "$R" container "$@"; }

bash "$SRC/scripts/make-test-image.sh" "$R/image.tar" >/dev/null
"$HAKO" --root "$R" image import "$R/image.tar" busybox >/dev/null || { echo "FAIL: image import"; exit 1; }

H=$R/host
mkdir -p "$H"
echo hostsecret >"$H/secret"
# The container plants symlinks that would lead to host files if followed outside its root.
h run -d --name cpbox busybox sh -c "mkdir -p /data/sub && echo hi >/data/a.txt && echo deep >/data/sub/b &&
  ln -s /etc /data/etclink && ln -s $H /data/hostdir && ln -s $H/secret /data/seclink &&
  ln -s ../../../../../../.. /data/up && touch /ready && exec sleep 1000" >/dev/null
for _ in $(seq 50); do h cp cpbox:/ready "$R/ready" 2>/dev/null && break; sleep 0.1; done

# Out of a running container.
h cp cpbox:/data/a.txt "$R/out.txt"; check "file out" "$(cat "$R/out.txt")" "hi"
h cp cpbox:/data "$R/outdir"; check "folder out to a new name" "$(cat "$R/outdir/sub/b")" "deep"
check "a symlink comes out as a symlink" "$(readlink "$R/outdir/etclink")" "/etc"
mkdir "$R/existing"
h cp cpbox:/data "$R/existing"; check "folder into an existing folder" "$(cat "$R/existing/data/a.txt")" "hi"
mkdir "$R/contents"
h cp cpbox:/data/. "$R/contents"; check "DIR/. copies the contents" "$(cat "$R/contents/a.txt")" "hi"
check "tar on stdout" "$(h cp cpbox:/data/sub - | tar -tf - | sort | tr '\n' ' ')" "sub/ sub/b "
h cp cpbox:/nosuch "$R/x" 2>"$R/err"; check "missing source is status 1" "$?" "1"
check "missing source message" "$(grep -c 'Could not find the file /nosuch in container cpbox' "$R/err")" "1"
h cp cpbox:/data/a.txt/ "$R/x" 2>/dev/null; check "FILE/ is not a folder" "$?" "1"

# Into a running container (checked by copying back out).
echo fromhost >"$H/in.txt"
h cp "$H/in.txt" cpbox:/data/in.txt; h cp cpbox:/data/in.txt "$R/back.txt"
check "file in" "$(cat "$R/back.txt")" "fromhost"
mkdir -p "$R/tree/d" && echo t >"$R/tree/d/f"
h cp "$R/tree" cpbox:/data/; h cp cpbox:/data/tree/d/f "$R/back2"; check "folder in" "$(cat "$R/back2")" "t"
tar -C "$R/tree" -cf - d | h cp - cpbox:/data/sub; h cp cpbox:/data/sub/d/f "$R/back3"
check "tar on stdin" "$(cat "$R/back3")" "t"

# Planted symlinks: resolved inside the container, never on the host.
h cp "$H/in.txt" cpbox:/data/hostdir/pwned 2>/dev/null
check "a write through an absolute symlink stays in the container" "$(ls "$H" | tr '\n' ' ')" "in.txt secret "
h cp "$H/in.txt" cpbox:/data/up/tmp/pwned2 2>/dev/null
[[ ! -e /tmp/pwned2 ]]; check "a write through ../../.. stays in the container" "$?" "0"
h cp cpbox:/data/up/tmp/pwned2 "$R/p2" 2>/dev/null; check "…and lands in the container's /tmp" "$(cat "$R/p2")" "fromhost"
h cp -L cpbox:/data/seclink "$R/got" 2>/dev/null; check "-L through a symlink to a host path finds nothing" "$?" "1"
[[ ! -e $R/got ]]; check "no host secret copied out" "$?" "0"
h cp cpbox:/data/hostdir/secret "$R/got2" 2>/dev/null; check "a read through a symlinked folder finds nothing" "$?" "1"
h cp "$H/in.txt" cpbox:/data/seclink
check "a write onto a symlink replaces it, the host file is untouched" "$(cat "$H/secret")" "hostsecret"
printf 'link-escape\n' >"$R/evil-src"
mkdir -p "$R/evil" && ln -s "$H" "$R/evil/l"
tar -C "$R/evil" -cf "$R/evil.tar" l && tar -C "$R" -rf "$R/evil.tar" --transform 's,^evil-src,l/dropped,' evil-src
h cp - cpbox:/data/sub <"$R/evil.tar" 2>/dev/null
[[ ! -e $H/dropped ]]; check "a tar that writes through its own symlink cannot reach the host" "$?" "0"

# top and rename on the running container.
top=$(h top cpbox)
check "top header" "$(echo "$top" | head -1 | awk '{print $1, $2, $3}')" "UID PID PPID"
check "top shows the container's sleep" "$(echo "$top" | grep -c 'sleep 1000')" "1"
check "top shows only the container's process" "$(echo "$top" | tail -n +2 | wc -l)" "1"
check "top passes ps options" "$(h top cpbox -o pid,comm | head -1 | awk '{print $1, $2}')" "PID COMMAND"
h rename cpbox cpbox2; check "rename" "$(h inspect cpbox2 | grep -c '"Name": "/cpbox2"')" "1"
h create --name other busybox true >/dev/null
h rename cpbox2 other 2>"$R/err"; check "rename to a taken name is status 1" "$?" "1"
check "taken name message" "$(grep -c 'is already in use' "$R/err")" "1"
h rename cpbox2 'bad name' 2>/dev/null; check "invalid name is status 1" "$?" "1"

# A stopped container: its layer is mounted for the copy and unmounted after.
h stop -t 1 cpbox2 >/dev/null
h cp cpbox2:/data/in.txt "$R/stopped.txt"; check "file out of a stopped container" "$(cat "$R/stopped.txt")" "fromhost"
echo later >"$H/later"
h cp "$H/later" cpbox2:/later; h cp cpbox2:/later "$R/later"; check "file into a stopped container" "$(cat "$R/later")" "later"
check "no mount left behind" "$(grep -c "$R" /proc/self/mounts)" "0"
h top cpbox2 >/dev/null 2>&1; check "top of a stopped container is status 1" "$?" "1"

# The image is in use: rm refuses, -f only untags, prune keeps it.
img=$("$HAKO" --root "$R" image ls -q)
"$HAKO" --root "$R" image rm busybox 2>"$R/err"; check "image rm of a used image is status 1" "$?" "1"
check "conflict message" "$(grep -c 'conflict: unable to remove repository reference' "$R/err")" "1"
"$HAKO" --root "$R" image rm "$img" 2>/dev/null; check "image rm by id of a used image is status 1" "$?" "1"
"$HAKO" --root "$R" image rm -f busybox >/dev/null; check "rm -f of a used image untags it" "$("$HAKO" --root "$R" image ls --format json | grep -c '"Repository":"busybox"')" "0"
check "…and keeps the image" "$("$HAKO" --root "$R" image ls -q)" "$img"
"$HAKO" --root "$R" image prune -a -f >/dev/null
check "prune -a keeps a used image" "$("$HAKO" --root "$R" image ls -q)" "$img"
"$HAKO" --root "$R" image tag "$img" keep:1

# prune: stopped containers go (with a label filter), running ones stay.
h run -d --name runner keep:1 sleep 1000 >/dev/null
h create --label keep=yes --name labelled keep:1 true >/dev/null
h prune -f --filter label!=keep >"$R/prune.out"
check "prune lists what it deleted" "$(grep -c '^Deleted Containers:' "$R/prune.out")" "1"
check "prune removed the stopped ones but not the labelled one" "$(h ls -a --format json | grep -o '"Names":"[a-z0-9]*"' | sort | tr '\n' ' ')" '"Names":"labelled" "Names":"runner" '
h prune -f --filter bogus=1 2>/dev/null; check "unknown filter is a usage error" "$?" "2"
h rm -f runner labelled >/dev/null
"$HAKO" --root "$R" image prune -a -f >/dev/null
check "prune -a removes the image once unused" "$("$HAKO" --root "$R" image ls -q | wc -l)" "0"

if ((failures > 0)); then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all checks passed"
