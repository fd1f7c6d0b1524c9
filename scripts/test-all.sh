#!/usr/bin/env bash
# Sets everything up on a fresh Debian 12 machine (as root) and runs every test:
# the unit tests, the end-to-end tests of the binary and the integration tests
# that run real containers. This is the README's test command; .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
cd build
ctest --output-on-failure -j"$(nproc)" "$@"
