#!/usr/bin/env bash
# Installs every Debian package hako needs to build, test and benchmark.
# Used by the README's commands and by .ci/run, so a fresh Debian 12 machine
# (as root) gets exactly what the project needs and nothing is installed by hand.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
packages=(
  build-essential cmake pkg-config ninja-build git
  libyaml-cpp-dev libvalijson-dev nlohmann-json3-dev libcli11-dev
  libboost-dev libboost-graph-dev libboost-filesystem-dev
  libnl-3-dev libnl-route-3-dev
  libspdlog-dev libfmt-dev catch2
  libarchive-dev libacl1-dev libzstd-dev liblz4-dev libseccomp-dev libssl-dev libcurl4-openssl-dev libcap-dev
  musl-tools   # hako-monitor and hako-init linked against musl (CMakeLists.txt: HAKO_MUSL_HELPERS)
  lld   # hako and hako-exit linked with their hot functions together (CMakeLists.txt: HAKO_LINK_ORDER)
  busybox-static runc iproute2 nftables
  docker-registry skopeo
  clang libclang-rt-14-dev
  python3 zstd   # zstd: test_registry.sh compresses a zstd layer
  mmdebstrap curl   # the quickstart's base image (scripts/make-quickstart-images.sh) and its test
  zsh groff-base man-db   # the generated completion and man page are checked by test_cli_docs.sh
  strace   # test_startup.sh and test_exit_by_caller.sh check the calls a start makes
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
