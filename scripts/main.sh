#!/usr/bin/env bash
# Sets everything up on a fresh Debian 12 machine (as root), builds hako and
# runs the main job on the example project: prints its fully resolved model.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
./build/hako --project-directory examples/webapp -f examples/webapp/compose.yaml config
