#!/usr/bin/env bash
# The README's first command: sets everything up on a fresh Debian 12 machine (as
# root), builds hako, makes the quickstart's base image, and brings up the
# quickstart stack (examples/quickstart) in the background, healthy, then says
# where to open it. Running it again changes nothing and prints the same.
# Env: HAKO_ROOT (state root, default /var/lib/hako), QUICKSTART_PORT (8080),
#      QUICKSTART_ADDRESS (127.0.0.1; 0.0.0.0 for every address of the host).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
hako=$PWD/build/hako
compose=(-f "$PWD/examples/quickstart/compose.yaml")
port=${QUICKSTART_PORT:-8080}
address=${QUICKSTART_ADDRESS:-127.0.0.1}

echo "== base image"
HAKO=$hako scripts/make-quickstart-images.sh
echo "== building the api, worker and web images (FROM quickstart-base)"
"$hako" "${compose[@]}" build
echo "== hako up -d --wait"
if ! "$hako" "${compose[@]}" up -d --wait --wait-timeout 180; then
  cat >&2 <<TEXT

The quickstart did not come up. See docs/troubleshooting.md; common causes:
  - port $port is in use: QUICKSTART_PORT=8081 bash scripts/main.sh
  - what the services said: build/hako -f examples/quickstart/compose.yaml logs
TEXT
  exit 1
fi
"$hako" "${compose[@]}" ps

shown=$address
[[ $shown == 0.0.0.0 ]] && shown=localhost
cat <<TEXT

The quickstart runs. Open http://$shown:$port/ (each view is counted in Redis
through the API, and the worker takes the job it queues; the page reloads itself).
  follow the logs:  build/hako -f examples/quickstart/compose.yaml logs -f
  the JSON:         curl http://$shown:$port/cgi-bin/stats
  take it down:     build/hako -f examples/quickstart/compose.yaml down -v
TEXT
