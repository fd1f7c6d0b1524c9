#!/usr/bin/env bash
# Makes the engine tests' image: a rootfs tar from Debian's busybox-static
# (/bin/busybox, its applet links, /etc/passwd and /etc/group with root and nobody,
# /tmp, /root and empty /proc /sys /dev). Reproducible: fixed owners, order, mtimes.
# Usage: scripts/make-test-image.sh OUT.tar   (import with: hako image import OUT.tar NAME)
set -euo pipefail
if [[ $# -ne 1 ]]; then
  echo "usage: $0 OUT.tar" >&2
  exit 2
fi
out=$1
busybox=${BUSYBOX:-/bin/busybox}
if [[ ! -x $busybox ]] || ! "$busybox" --list-full >/dev/null 2>&1; then
  echo "$0: $busybox is missing: install busybox-static (scripts/install-deps.sh)" >&2
  exit 1
fi
if ldd "$busybox" >/dev/null 2>&1; then
  echo "$0: $busybox is dynamically linked; the image needs busybox-static" >&2
  exit 1
fi

rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT
chmod 0755 "$rootfs"
mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,etc,root,tmp,proc,sys,dev,var}
chmod 1777 "$rootfs/tmp"
chmod 0700 "$rootfs/root"
install -m 0755 "$busybox" "$rootfs/bin/busybox"
mapfile -t applets < <("$busybox" --list-full | grep -v '^bin/busybox$')
(cd "$rootfs" && for applet in "${applets[@]}"; do ln -sf /bin/busybox "$applet"; done)
cat > "$rootfs/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat > "$rootfs/etc/group" <<'GROUP'
root:x:0:
nogroup:x:65534:
GROUP
chmod 0644 "$rootfs/etc/passwd" "$rootfs/etc/group"

tar --sort=name --mtime=@946684800 --owner=0 --group=0 --numeric-owner \
  -C "$rootfs" -cf "$out.tmp.$$" .
mv "$out.tmp.$$" "$out"
