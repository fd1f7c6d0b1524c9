#!/usr/bin/env bash
# Makes the quickstart's base image, quickstart-base: a Debian bookworm root file
# system (minbase + redis-server, redis-tools, busybox) made with mmdebstrap from
# Debian's archive, cached as a tar, and imported into hako's image store.
# Each step is skipped when its result exists, so a second run does nothing.
# Usage: scripts/make-quickstart-images.sh [HAKO GLOBAL FLAGS, e.g. --root DIR]
# Env: HAKO (the binary, default build/hako), HAKO_QUICKSTART_TAR (the cached tar,
#      default ~/.cache/hako/quickstart-base-bookworm.tar), DEBIAN_MIRROR.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
hako=${HAKO:-$here/build/hako}
tar=${HAKO_QUICKSTART_TAR:-${XDG_CACHE_HOME:-$HOME/.cache}/hako/quickstart-base-bookworm.tar}
image=quickstart-base
packages=redis-server,redis-tools,busybox

if [[ ! -s $tar ]]; then
  command -v mmdebstrap >/dev/null || {
    echo "$0: mmdebstrap is missing: run scripts/install-deps.sh" >&2
    exit 1
  }
  echo "Making $tar with mmdebstrap (Debian bookworm minbase + $packages; a few minutes)"
  mkdir -p "$(dirname "$tar")"
  # Documentation and translations are left out (copyright files stay); the
  # runtime makes /dev, so the tar holds no device nodes.
  mmdebstrap --quiet --format=tar --variant=minbase --include="$packages" --skip=output/dev \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    bookworm "$tar.tmp.$$" ${DEBIAN_MIRROR:+"$DEBIAN_MIRROR"} || {
    rm -f "$tar.tmp.$$"
    echo "$0: mmdebstrap failed (is deb.debian.org reachable?)" >&2
    exit 1
  }
  mv "$tar.tmp.$$" "$tar"
fi

if "$hako" "$@" image inspect "$image" >/dev/null 2>&1; then
  echo "Image $image is present"
else
  echo "Importing $tar as $image"
  "$hako" "$@" image import "$tar" "$image" >/dev/null
fi
