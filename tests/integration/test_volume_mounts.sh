#!/usr/bin/env bash
# hako volume verbs and the mounts of containers on the busybox test image, each
# run with its own --root: named volumes that outlive containers, copy-up from the
# image, tmpfs size limits, secrets with owner and mode, read-only binds,
# volumes_from, a planted symlink that must not redirect a mount onto the host,
# removal rules, prune, and no mount left behind.
set -uo pipefail
if [[ $EUID -ne 0 ]]; then
  echo "SKIP: the volume tests need root" >&2
  exit 0
fi
HAKO=${HAKO:-${HAKO_BUILD_DIR:-/work/main/build}/hako}
SRC=${HAKO_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
R=$(mktemp -d /tmp/hako-volume-test.XXXXXX)
H=$(mktemp -d /tmp/hako-volume-host.XXXXXX)  # host folders the test binds or must leave alone
failures=0

cleanup() {
  for id in $("$HAKO" --root "$R" container ls -a -q 2>/dev/null); do
    "$HAKO" --root "$R" container rm -f "$id" >/dev/null 2>&1
  done
  for dir in "$R" "$H"; do
    awk -v r="$dir" 'index($2, r) == 1 {print $2}' /proc/self/mounts | sort -r | xargs -r umount -l
  done
  rm -rf "$R" "$H"
}
trap cleanup EXIT

check() {  # check DESCRIPTION ACTUAL EXPECTED
  if [[ "$2" == "$3" ]]; then
    echo "ok: $1"
  else
    echo "FAIL: $1: got [$2], want [$3]"
    failures=$((failures + 1))
  fi
}
h() { "$HAKO" --root "$R" "$@"; }
run() { "$HAKO" --root "$R" container run --rm "$@"; }
mounts_under() { awk -v r="$1" 'index($2, r) == 1' /proc/self/mounts | wc -l; }

# The test image, and a second one with symlinks planted where mounts will go.
bash "$SRC/scripts/make-test-image.sh" "$R/image.tar" >/dev/null
h image import "$R/image.tar" busybox >/dev/null || { echo "FAIL: image import"; exit 1; }
mkdir -p "$R/evil-rootfs" "$H/victim"
tar -xf "$R/image.tar" -C "$R/evil-rootfs"
echo original >"$H/victim/marker"
ln -s "$H/victim" "$R/evil-rootfs/abs"            # absolute link to a host folder
ln -s "../../../../../../../..$H/victim" "$R/evil-rootfs/rel"  # climbing link
mkdir -p "$R/evil-rootfs/seed" && echo seeded >"$R/evil-rootfs/seed/file" && chown 65534:65534 "$R/evil-rootfs/seed/file"
chmod 0750 "$R/evil-rootfs/seed"
tar -C "$R/evil-rootfs" -cf "$R/evil.tar" .
h image import "$R/evil.tar" evil >/dev/null || { echo "FAIL: evil image import"; exit 1; }

# --- volume verbs ---
check "volume create prints the name" "$(h volume create --label team=a data)" "data"
check "creating it again returns it" "$(h volume create data)" "data"
check "ls -q" "$(h volume ls -q)" "data"
check "ls filter by label" "$(h volume ls -q --filter label=team=a)" "data"
check "ls filter by other label is empty" "$(h volume ls -q --filter label=team=b)" ""
check "inspect mountpoint" "$(h volume inspect -f '{{.Mountpoint}}' data)" "$R/volumes/data/_data"
h volume create a/b 2>"$R/err"; check "a name with a slash fails" "$?" "1"
grep -q "use absolute path" "$R/err"; check "the error explains the slash" "$?" "0"
check "a bad name created nothing" "$(h volume ls -q)" "data"
h volume inspect nosuch >/dev/null 2>&1; check "inspect of an unknown volume fails" "$?" "1"

# --- a named volume keeps its data across container re-creation ---
run -v data:/data busybox sh -c 'echo kept >/data/file'
check "data written by one container" "$(run -v data:/data busybox cat /data/file)" "kept"
h container create --name holder -v data:/data busybox true >/dev/null
h volume rm data 2>"$R/err"; check "a volume in use cannot be removed" "$?" "1"
holder=$(h container inspect holder | sed -n 's/.*"Id": "\([0-9a-f]*\)".*/\1/p' | head -1)
grep -q "volume is in use - \[$holder\]" "$R/err"; check "the error names the container" "$?" "0"
h container rm holder >/dev/null
check "a volume no longer used can be removed" "$(h volume rm data)" "data"

# --- copy-up: an empty volume is filled from the image at its mount point ---
run -v seeded:/seed evil true
check "copy-up copied the file" "$(cat "$R/volumes/seeded/_data/file")" "seeded"
check "copy-up kept the owner" "$(stat -c %u:%g "$R/volumes/seeded/_data/file")" "65534:65534"
check "copy-up gave the volume the folder's mode" "$(stat -c %a "$R/volumes/seeded/_data")" "750"
run -v seeded:/seed evil sh -c 'echo changed >/seed/file'
check "a volume with content is not copied over" "$(run -v seeded:/seed evil cat /seed/file)" "changed"
run -v nocopy:/seed:nocopy evil true
check "nocopy leaves the volume empty" "$(ls -A "$R/volumes/nocopy/_data")" ""

# --- tmpfs: size is a hard limit, mode applied ---
run --tmpfs /t:size=1m,mode=1770 busybox sh -c 'dd if=/dev/zero of=/t/big bs=1k count=2048 2>/dev/null'
check "a tmpfs refuses to grow past its size" "$?" "1"
check "tmpfs mode" "$(run --tmpfs /t:size=1m,mode=1770 busybox stat -c %a /t)" "1770"
check "tmpfs mount type size" "$(run --mount type=tmpfs,dst=/t,tmpfs-size=2m busybox df -k /t | awk 'NR==2 {print $2}')" "2048"
h volume create -o type=tmpfs -o o=size=1m tmpvol >/dev/null
run -v tmpvol:/t busybox sh -c 'dd if=/dev/zero of=/t/big bs=1k count=2048 2>/dev/null'
check "a tmpfs volume refuses to grow past its size" "$?" "1"
check "the tmpfs volume is unmounted after the run" "$(mounts_under "$R/volumes/tmpvol")" "0"

# --- secrets and configs: owner and mode applied, read-only ---
echo -n s3cr3t >"$H/token"
out=$(run --mount type=secret,source=token,file="$H/token",uid=65534,gid=65534,mode=0400 busybox \
  sh -c 'stat -c "%u %g %a" /run/secrets/token; cat /run/secrets/token')
check "a secret arrives with its owner, mode and content" "$out" "$(printf '65534 65534 400\ns3cr3t')"
run --mount type=secret,source=token,file="$H/token" busybox sh -c 'echo x >/run/secrets/token' 2>/dev/null
check "a secret is read-only" "$?" "1"
check "a config goes to /NAME by default" "$(run --mount type=config,source=app.conf,file="$H/token" busybox cat /app.conf)" "s3cr3t"
run --mount type=secret,source=gone,file="$H/nosuchfile" busybox true 2>/dev/null
check "a secret from a missing file is refused" "$?" "125"

# --- binds ---
mkdir -p "$H/ro" && echo host >"$H/ro/file"
check "a read-only bind shows the host file" "$(run -v "$H/ro:/ro:ro" busybox cat /ro/file)" "host"
run -v "$H/ro:/ro:ro" busybox sh -c 'echo x >/ro/file' 2>/dev/null
check "a read-only bind cannot be written" "$?" "1"
check "the host file is unchanged" "$(cat "$H/ro/file")" "host"
run -v "$H/made/by/short:/m" busybox true
[[ -d $H/made/by/short ]]; check "short syntax creates a missing host folder" "$?" "0"
run --mount type=bind,src="$H/missing",dst=/m busybox true 2>"$R/err"
check "long syntax refuses a missing source" "$?" "125"
grep -q "bind source path does not exist: $H/missing" "$R/err"; check "the error names the source" "$?" "0"
[[ ! -e $H/missing ]]; check "and creates nothing" "$?" "0"
mkdir -p "$H/opt" && h volume create -o type=none -o o=bind -o device="$H/opt" bindvol >/dev/null
run -v bindvol:/b busybox sh -c 'echo via-volume >/b/file'
check "a bind volume writes to its device" "$(cat "$H/opt/file")" "via-volume"

check "a single file can be bound" "$(run -v "$H/token:/etc/token:ro" busybox cat /etc/token)" "s3cr3t"
check "a read-only root still gets its volume" "$(run --read-only -v bindvol:/b busybox cat /b/file)" "via-volume"
mkdir -p "$H/opt/sub" && echo in-sub >"$H/opt/sub/f" && ln -s "$H" "$H/opt/out"
check "volume-subpath mounts a folder of the volume" \
  "$(run --mount type=volume,src=bindvol,dst=/s,volume-subpath=sub busybox cat /s/f)" "in-sub"
run --mount type=volume,src=bindvol,dst=/s,volume-subpath=nosuch busybox true 2>/dev/null
check "a missing subpath is refused" "$?" "125"
run --mount type=volume,src=bindvol,dst=/s,volume-subpath=out busybox true 2>/dev/null
check "a subpath symlink out of the volume is refused" "$?" "125"

# --- nothing half-created on bad input ---
run -v fresh:/a --mount type=bind,src="$H/missing",dst=/b busybox true 2>/dev/null
check "a bad mount fails the run" "$?" "125"
h volume inspect fresh >/dev/null 2>&1; check "no volume was created for it" "$?" "1"
run -v fresh:/a -v other:/a busybox true 2>"$R/err"; check "duplicate mount point" "$?" "125"
grep -q "Duplicate mount point: /a" "$R/err"; check "duplicate mount point message" "$?" "0"

# --- volumes_from ---
h container run --name source -v shared:/s busybox sh -c 'echo from-source >/s/f' >/dev/null
check "volumes_from sees the volume" "$(run --volumes-from source:ro busybox cat /s/f)" "from-source"
run --volumes-from source:ro busybox sh -c 'echo x >/s/f' 2>/dev/null
check "volumes_from :ro is read-only" "$?" "1"
h container rm source >/dev/null

# --- planted symlinks cannot redirect a mount onto the host ---
before=$(mounts_under "$H/victim")
run -v planted:/abs evil sh -c 'echo inside >/abs/x'
run -v "$H/ro:/rel/sub:ro" evil true
run --tmpfs /abs/t evil true
# A symlink planted in a shared volume by one container, then used as a mount path by the next.
run -v linkvol:/s busybox ln -s "$H/victim" /s/link
run -v linkvol:/s -v "$H/ro:/s/link/sub:ro" busybox true
run -v linkvol:/s --tmpfs /s/link/t busybox true
check "no mount appeared on the host folder" "$(mounts_under "$H/victim")" "$before"
check "the host folder is untouched" "$(ls "$H/victim")" "marker"
check "the volume got the write" "$(cat "$R/volumes/planted/_data/x")" "inside"

# --- anonymous volumes: created at create, gone with --rm ---
run -v /anon busybox true
check "--rm removed the anonymous volume" "$(h volume ls -q --filter label=com.docker.volume.anonymous | wc -l)" "0"
h container run --name keeper -v /anon busybox true >/dev/null
check "an anonymous volume carries docker's label" "$(h volume ls -q --filter label=com.docker.volume.anonymous | wc -l)" "1"
h container rm keeper >/dev/null

# --- kill -9 of the monitor, then rm: the driver's mount goes too ---
id=$(h container run -d -v tmpvol:/t busybox sleep 60)
sleep 0.3
check "the tmpfs volume is mounted while it runs" "$(mounts_under "$R/volumes/tmpvol")" "1"
monitor=$(sed -n 's/.*"monitor_pid": *\([0-9]*\).*/\1/p' "$R/containers/$id/state.json")
[[ -n $monitor ]] && kill -9 "$monitor"
sleep 0.2
h container rm -f "$id" >/dev/null
check "after kill -9 of the monitor and rm, no volume mount is left" "$(mounts_under "$R/volumes/")" "0"

# --- an image's VOLUME gets an anonymous volume, filled from the image, unless a mount covers it ---
h image import -c "VOLUME /seed" "$R/evil.tar" withvolume >/dev/null
before=$(h volume ls -q --filter label=com.docker.volume.anonymous | wc -l)
id=$(h container create withvolume cat /seed/file)
check "VOLUME: one anonymous volume more" "$(h volume ls -q --filter label=com.docker.volume.anonymous | wc -l)" "$((before + 1))"
check "VOLUME: filled from the image" "$(h container start -a "$id" 2>/dev/null || h container logs "$id")" "seeded"
h container rm "$id" >/dev/null
check "VOLUME: a mount on the folder takes its place" "$(run -v seeded:/seed withvolume cat /seed/file)" "changed"
check "dangling=true lists unused volumes" "$(h volume ls -q --filter dangling=true | grep -c seeded)" "1"
h container create --name hold -v seeded:/x busybox true >/dev/null
check "dangling=false lists used volumes" "$(h volume ls -q --filter dangling=false)" "seeded"
h container rm hold >/dev/null

# --- prune ---
out=$(h volume prune -f)
check "prune removes the unused anonymous volume" "$(echo "$out" | sed -n 2p | wc -c)" "65"
check "prune keeps named volumes" "$(h volume ls -q | grep -c shared)" "1"
h volume prune -a -f >/dev/null
check "prune -a removes every unused volume" "$(h volume ls -q)" ""

# --- leftovers ---
check "no mount left under the root" "$(mounts_under "$R/")" "0"
check "no mount left under the host folders" "$(mounts_under "$H/")" "0"

if ((failures > 0)); then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all volume checks passed"
