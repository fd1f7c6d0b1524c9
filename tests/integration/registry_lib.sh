# Shared by the registry tests (sourced, not run): start_registry DIR ADDRESS starts
# Debian's docker-registry on ADDRESS (127.0.0.1:PORT) with its storage under DIR,
# appends its pid to the caller's `pids` array (which the caller's cleanup ends), and
# returns once it answers /v2/, or fails after 10 s with its log printed.
start_registry() {
  local dir=$1 address=$2
  mkdir -p "$dir/data"
  printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: %s\n' \
    "$dir/data" "$address" >"$dir/registry.yml"
  docker-registry serve "$dir/registry.yml" >"$dir/registry.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    curl -s "http://$address/v2/" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "FAIL: docker-registry did not start on $address"
  cat "$dir/registry.log"
  return 1
}
