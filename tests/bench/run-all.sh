#!/usr/bin/env bash
# The whole benchmark suite in one run (issue 8 item 5): hako's figures and, in the
# same run, the same operations with docker (+ docker-compose) and podman
# (+ podman-compose) when they are installed, then a table with the ratios.
# Root; builds nothing; subnets 10.214.0.0/16 only; names start with hkbench.
#   HAKO=build/hako tests/bench/run-all.sh [--runs N] [--no-peers] [--out DIR] [--only images]
# --only images runs just the image sections: a cold 5-RUN-step build and the pull of
# a 100 MB image (4 gzip layers of 25 MB of random data) from Debian's docker-registry
# on 127.0.0.1:5723.
# dockerd is started by hand only for the docker section and stopped after it; the
# iptables FORWARD policy, docker0, DOCKER chains and bridge-nf sysctls are put back.
set -uo pipefail
[[ $EUID -eq 0 ]] || { echo "run-all.sh needs root" >&2; exit 1; }
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
HAKO=$(readlink -f "${HAKO:-$SRC/build/hako}")
RUNS=10
PEERS=1
OUT=""
ONLY=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) RUNS=$2; shift 2 ;;
    --no-peers) PEERS=0; shift ;;
    --out) OUT=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    *) echo "usage: $0 [--runs N] [--no-peers] [--out DIR] [--only images]" >&2; exit 2 ;;
  esac
done
[[ -z $ONLY || $ONLY == images ]] || { echo "run-all.sh: --only takes images" >&2; exit 2; }
# want SECTION: whether this run measures it ("core" = everything but the image sections)
want() { [[ -z $ONLY || $ONLY == "$1" ]]; }
[[ -x $HAKO ]] || { echo "run-all.sh: HAKO=$HAKO is not an executable (build hako first)" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "run-all.sh: needs hyperfine (apt-get install hyperfine)" >&2; exit 1; }
OUT=${OUT:-$(mktemp -d /tmp/hkbench-results.XXXXXX)}
mkdir -p "$OUT/json"
W=$(mktemp -d /tmp/hkbench-work.XXXXXX)
R=$W/root
RESULTS=$OUT/results.tsv
: >"$RESULTS"
IMG=hkbench-busybox
DOCKER_BIN=/usr/bin/docker            # Debian's docker.io client, not a stray one in /usr/local
DOCKERD_PID=""
DNS_UPSTREAM_PID=""
REGISTRY_PID=""
REG=127.0.0.1:5723
PULL_REF=$REG/hkbench/pull100:1

log() { printf '%s  %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
load1() { cut -d' ' -f1 /proc/loadavg; }
# record OP TOOL VALUE UNIT: one figure, with the 1-minute load average beside it.
record() { printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$(load1)" >>"$RESULTS"; log "$2: $1 = $3 $4 (load $(load1))"; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]}'; }
now_ms() { date +%s%3N; }
slug() { tr -c 'a-zA-Z0-9' '_' <<<"$1"; }

# hf OP TOOL WARMUP COMMAND...: hyperfine -N median in ms of RUNS runs (HF_RUNS for a slow
# peer), its JSON kept in OUT/json; HF_PREPARE (a command line without shell syntax)
# runs before each run, untimed.
hf() {
  local op=$1 tool=$2 warmup=$3; shift 3
  local cmd json prepare=()
  cmd=$(printf '%q ' "$@")
  json=$OUT/json/$(slug "$tool-$op").json
  [[ -n ${HF_PREPARE:-} ]] && prepare=(--prepare "$HF_PREPARE")
  if hyperfine -N --style none --warmup "$warmup" --runs "${HF_RUNS:-$RUNS}" "${prepare[@]}" --export-json "$json" "$cmd" >"$W/hf.log" 2>&1; then
    record "$op" "$tool" "$(python3 -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["results"][0]["median"]*1000, 1))' "$json")" ms
  else
    record "$op" "$tool" failed ""
    sed 's/^/    /' "$W/hf.log" | tail -5 >&2
  fi
}

# peak_rss OP TOOL COMMAND...: peak RSS of one run, MB.
peak_rss() {
  local op=$1 tool=$2; shift 2
  local kb
  /usr/bin/time -o "$W/time.out" -f '%M' "$@" >/dev/null 2>&1
  kb=$(tail -1 "$W/time.out")
  [[ $kb =~ ^[0-9]+$ ]] && record "$op" "$tool" "$(awk -v k="$kb" 'BEGIN {printf "%.1f", k / 1024}')" MB
}

# rss_of OP TOOL PID: VmRSS (RssAnon / RssFile) of a process, MB.
rss_of() {
  local s=/proc/$3/status
  [[ -r $s ]] || { record "$1" "$2" failed ""; return; }
  local v a f
  v=$(awk '/^VmRSS/ {print $2}' "$s"); a=$(awk '/^RssAnon/ {print $2}' "$s"); f=$(awk '/^RssFile/ {print $2}' "$s")
  record "$1" "$2" "$(awk -v v="$v" -v a="$a" -v f="$f" 'BEGIN {printf "%.1f (anon %.1f, file %.1f)", v/1024, a/1024, f/1024}')" MB
}
ppid_of() { awk '/^PPid/ {print $2}' "/proc/$1/status" 2>/dev/null; }

# ---- compose files, the same for every tool except the subnet ----
independent() {  # independent N SUBNET FILE
  {
    echo "services:"
    for i in $(seq 1 "$1"); do
      printf '  s%d:\n    image: %s\n    command: ["sleep", "1000"]\n    stop_signal: SIGKILL\n' "$i" "$IMG"
    done
    printf 'networks:\n  default:\n    ipam: {config: [{subnet: %s}]}\n' "$2"
  } >"$3"
}
chain() {  # chain SUBNET FILE: s1 <- s2 <- ... <- s5, each gated by service_healthy
  {
    echo "services:"
    for i in 1 2 3 4 5; do
      printf '  s%d:\n    image: %s\n    command: ["sleep", "1000"]\n    stop_signal: SIGKILL\n' "$i" "$IMG"
      printf '    healthcheck: {test: ["CMD", "true"], interval: 100ms, timeout: 1s, retries: 3}\n'
      [[ $i -gt 1 ]] && printf '    depends_on: {s%d: {condition: service_healthy}}\n' $((i - 1))
    done
    printf 'networks:\n  default:\n    ipam: {config: [{subnet: %s}]}\n' "$1"
  } >"$2"
}
# updown OP TOOL FILE UP-COMMAND... -- DOWN-COMMAND...: median up -d and down over RUNS/2
# (at least 3) runs, or UD_RUNS runs for a slow peer.
updown() {
  local op=$1 tool=$2 file=$3; shift 3
  local upcmd=() downcmd=()
  while [[ $1 != -- ]]; do upcmd+=("$1"); shift; done
  shift
  downcmd=("$@")
  local n=${UD_RUNS:-$(( RUNS / 2 < 3 ? 3 : RUNS / 2 ))} ups=() downs=() t0 t1 t2 ok=1
  for _ in $(seq 1 "$n"); do
    t0=$(now_ms)
    "${upcmd[@]}" -f "$file" -p hkbench up -d >"$W/up.log" 2>&1 || { ok=0; tail -5 "$W/up.log" >&2; }
    t1=$(now_ms)
    "${downcmd[@]}" -f "$file" -p hkbench down -t 0 >"$W/down.log" 2>&1 || { ok=0; tail -5 "$W/down.log" >&2; }
    t2=$(now_ms)
    [[ $ok == 1 ]] || break
    ups+=($((t1 - t0))); downs+=($((t2 - t1)))
  done
  if [[ $ok == 1 ]]; then
    record "up -d, $op" "$tool" "$(printf '%s\n' "${ups[@]}" | median)" ms
    record "down, $op" "$tool" "$(printf '%s\n' "${downs[@]}" | median)" ms
  else
    record "up -d, $op" "$tool" failed ""
  fi
}

# ---- the 10-step Dockerfile for the cached rebuild ----
make_build_context() {  # make_build_context DIR
  mkdir -p "$1"
  echo one >"$1/f1"; echo two >"$1/f2"
  cat >"$1/Dockerfile" <<EOF
FROM $IMG
ENV HKBENCH=1
WORKDIR /app
COPY f1 /app/f1
RUN echo one > /app/one
RUN echo two > /app/two
COPY f2 /app/f2
RUN cat /app/one /app/two > /app/three
LABEL hkbench.step=9
CMD ["cat", "/app/three"]
EOF
}

# ---- the cold build: five RUN steps, each writing a small file ----
make_cold_context() {  # make_cold_context DIR
  mkdir -p "$1"
  {
    echo "FROM $IMG"
    for i in 1 2 3 4 5; do echo "RUN echo step $i > /step$i"; done
  } >"$1/Dockerfile"
}

# ---- the 100 MB image in Debian's docker-registry on $REG ----
# start_registry: serves W/registry; pushes PULL_REF (an OCI image of 4 gzip layers of
# 25 MB of random data) with skopeo. Fails quietly when either tool is missing.
start_registry() {
  if ! command -v docker-registry >/dev/null || ! command -v skopeo >/dev/null; then
    log "no docker-registry/skopeo: no pull figures"
    return 1
  fi
  mkdir -p "$W/registry"
  printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: %s\n' \
    "$W/registry" "$REG" >"$W/registry.yml"
  docker-registry serve "$W/registry.yml" >"$OUT/registry.log" 2>&1 &
  REGISTRY_PID=$!
  for _ in $(seq 1 100); do curl -sf "http://$REG/v2/" >/dev/null 2>&1 && break; sleep 0.1; done
  python3 - "$W/oci100" <<'PY' || return 1
import gzip, hashlib, json, io, os, platform, sys, tarfile
out = sys.argv[1]; os.makedirs(out + "/blobs/sha256")
def blob(data):
    d = hashlib.sha256(data).hexdigest(); open(out + "/blobs/sha256/" + d, "wb").write(data); return "sha256:" + d
layers, diff_ids = [], []
for i in range(4):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
        info = tarfile.TarInfo("data%d" % i); info.size = 25 * 1000 * 1000; info.mode = 0o644
        t.addfile(info, io.BytesIO(os.urandom(info.size)))
    raw = buf.getvalue(); diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
    gz = gzip.compress(raw, compresslevel=1, mtime=0)
    layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": blob(gz), "size": len(gz)})
arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
config = json.dumps({"architecture": arch, "os": "linux", "config": {"Cmd": ["/data0"]},
                     "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": blob(config), "size": len(config)},
                       "layers": layers}).encode()
json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
           "digest": blob(manifest), "size": len(manifest), "annotations": {"org.opencontainers.image.ref.name": "1"}}]},
          open(out + "/index.json", "w"))
json.dump({"imageLayoutVersion": "1.0.0"}, open(out + "/oci-layout", "w"))
PY
  skopeo copy -q --dest-tls-verify=false "oci:$W/oci100:1" "docker://$PULL_REF" >&2 || return 1
  rm -rf "$W/oci100"
}
stop_registry() {
  [[ -n $REGISTRY_PID ]] || return 0
  kill "$REGISTRY_PID" 2>/dev/null && wait "$REGISTRY_PID" 2>/dev/null
  REGISTRY_PID=""
}

# ---- DNS load generator (tests/bench/dns_load.cpp), linked with the engine library of
# HAKO's build folder (the responder's code reaches much of engine/net), cached by the
# hash of its source and that library ----
dns_load_binary() {
  local key dir lib
  lib=$(dirname "$HAKO")/libhako_engine.a
  [[ -f $lib ]] || { log "no $lib beside HAKO: DNS load generator not built"; return 1; }
  key=$(cat "$HERE/dns_load.cpp" "$lib" | sha256sum | cut -c1-16)
  dir=${XDG_CACHE_HOME:-$HOME/.cache}/hako-bench
  if [[ ! -x $dir/dns_load-$key ]]; then
    mkdir -p "$dir"
    log "building the DNS load generator…"
    ${CXX:-g++} -O2 -std=gnu++20 -I"$SRC" -isystem /usr/include/libnl3 -o "$dir/dns_load-$key.tmp" "$HERE/dns_load.cpp" \
      -Wl,--gc-sections "$lib" -lnl-route-3 -lnl-3 -lnftables -lseccomp -larchive -lcrypto -lspdlog -lfmt -lyaml-cpp \
      -lpthread -ldl >&2 || return 1
    mv "$dir/dns_load-$key.tmp" "$dir/dns_load-$key"
  fi
  echo "$dir/dns_load-$key"
}
# dns_measure TOOL INIT-PID: load from inside the container's network namespace against
# the nameserver its resolv.conf names, for the local name "web" and a forwarded one.
dns_measure() {
  local tool=$1 pid=$2 ns line
  ns=$(awk '/^nameserver/ {print $2; exit}' "/proc/$pid/root/etc/resolv.conf")
  [[ -n $ns ]] || { record "DNS" "$tool" failed ""; return; }
  for name in web forwarded.example; do
    for conc in 32 1; do
      line=$(nsenter -t "$pid" -n "$DNS_LOAD" load "$ns" "$name" 3 "$conc" 2>&1 | tail -1)
      echo "    $tool $ns $name x$conc: $line" >&2
      local qps p99 what=local
      qps=$(awk '{for (i = 1; i < NF; i++) if ($(i + 1) == "q/s") print $i}' <<<"$line")
      p99=$(awk '{for (i = 1; i < NF; i++) if ($i == "p99") print $(i + 1)}' <<<"$line")
      [[ $name == web ]] || what=forwarded
      record "DNS $what, $conc in flight" "$tool" "${qps:-failed}" "q/s"
      [[ -n $p99 ]] && record "DNS $what, $conc in flight, p99" "$tool" "$(awk -v u="$p99" 'BEGIN {printf "%.2f", u/1000}')" ms
    done
  done
}

# ---- machine state that dockerd/podman change, recorded to be put back ----
record_host_state() {
  HOST_FORWARD_POLICY=$(iptables -S FORWARD 2>/dev/null | awk '/^-P FORWARD/ {print $3}')
  HOST_LINKS=$(ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | sort)
  HOST_NFT_TABLES=$(nft list tables 2>/dev/null | sort)
  HOST_BRNF=$(for f in /proc/sys/net/bridge/bridge-nf-call-{iptables,ip6tables,arptables}; do [[ -r $f ]] && echo "$f $(cat "$f")"; done)
}
restore_host_state() {
  local link t
  [[ -n ${HOST_FORWARD_POLICY:-} ]] && iptables -P FORWARD "$HOST_FORWARD_POLICY" 2>/dev/null
  for link in $(ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1); do
    if ! grep -qx "$link" <<<"$HOST_LINKS" && [[ $link =~ ^(docker0|br-[0-9a-f]{12}|cni-podman[0-9]+|podman[0-9]+|veth.*)$ ]]; then
      ip link del "$link" 2>/dev/null && log "removed link $link left by a peer"
    fi
  done
  for t in filter nat; do
    iptables-save -t "$t" 2>/dev/null | grep -E '^-A ' | grep -iE 'DOCKER|docker0|CNI-|NETAVARK|br-[0-9a-f]{12}|podman' |
      while read -r _ chain rest; do
        case $chain in DOCKER*|CNI-*|NETAVARK*) ;; *) eval "iptables -t $t -D $chain $rest" 2>/dev/null ;; esac
      done
    for chain in $(iptables-save -t "$t" 2>/dev/null | awk '/^:(DOCKER|CNI-|NETAVARK)/ {print substr($1, 2)}'); do
      iptables -t "$t" -F "$chain" 2>/dev/null
    done
    for chain in $(iptables-save -t "$t" 2>/dev/null | awk '/^:(DOCKER|CNI-|NETAVARK)/ {print substr($1, 2)}'); do
      iptables -t "$t" -X "$chain" 2>/dev/null
    done
    # a table that did not exist before and now holds nothing goes too
    if ! grep -qx "table ip $t" <<<"$HOST_NFT_TABLES" && nft list tables 2>/dev/null | grep -qx "table ip $t" &&
      ! iptables-save -t "$t" | grep -q '^-A ' && ! iptables-save -t "$t" | grep -E '^:' | grep -vqE ' ACCEPT '; then
      nft delete table ip "$t" 2>/dev/null
    fi
  done
  while read -r f v; do [[ -n $f ]] && echo "$v" >"$f"; done <<<"$HOST_BRNF"
  local now
  now=$(nft list tables 2>/dev/null | sort)
  [[ $now == "$HOST_NFT_TABLES" ]] || log "note: nft tables differ from before: $(diff <(echo "$HOST_NFT_TABLES") <(echo "$now") | grep '^[<>]' | tr '\n' ' ')"
}

start_dockerd() {
  record_host_state
  log "starting dockerd (FORWARD policy was $HOST_FORWARD_POLICY)"
  mkdir -p /run/hkbench-docker
  dockerd --data-root /var/lib/hkbench-docker --exec-root /run/hkbench-docker --pidfile /run/hkbench-docker/dockerd.pid \
    -H unix:///run/hkbench-docker/docker.sock >"$OUT/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  export DOCKER_HOST=unix:///run/hkbench-docker/docker.sock
  for _ in $(seq 1 300); do
    "$DOCKER_BIN" version >/dev/null 2>&1 && return 0
    kill -0 "$DOCKERD_PID" 2>/dev/null || break
    sleep 0.1
  done
  log "dockerd did not come up (see $OUT/dockerd.log)"
  return 1
}
stop_dockerd() {
  [[ -n $DOCKERD_PID ]] || return 0
  local ids
  ids=$("$DOCKER_BIN" ps -aq --filter name=hkbench 2>/dev/null)
  [[ -n $ids ]] && xargs -r "$DOCKER_BIN" rm -f <<<"$ids" >/dev/null 2>&1
  "$DOCKER_BIN" network ls -q --filter name=hkbench 2>/dev/null | xargs -r "$DOCKER_BIN" network rm >/dev/null 2>&1
  kill "$DOCKERD_PID" 2>/dev/null
  for _ in $(seq 1 200); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$DOCKERD_PID" 2>/dev/null && kill -9 "$DOCKERD_PID"
  wait "$DOCKERD_PID" 2>/dev/null
  DOCKERD_PID=""
  unset DOCKER_HOST
  awk '$2 ~ "^/(var/lib|run)/hkbench-docker" {print $2}' /proc/self/mounts | sort -r | xargs -r umount -l
  rm -rf /var/lib/hkbench-docker /run/hkbench-docker
  restore_host_state
  log "dockerd stopped; FORWARD policy $(iptables -S FORWARD | awk '/^-P/ {print $3}')"
}

cleanup() {
  set +e
  [[ -n $DNS_UPSTREAM_PID ]] && kill "$DNS_UPSTREAM_PID" 2>/dev/null && wait "$DNS_UPSTREAM_PID" 2>/dev/null
  stop_dockerd
  stop_registry
  if [[ -d $R ]]; then
    for id in $("$HAKO" --root "$R" container ls -a -q 2>/dev/null); do "$HAKO" --root "$R" container rm -f "$id" >/dev/null 2>&1; done
    for n in $("$HAKO" --root "$R" network ls -q 2>/dev/null); do "$HAKO" --root "$R" network rm "$n" >/dev/null 2>&1; done
  fi
  if command -v podman >/dev/null && [[ $PEERS == 1 ]]; then
    podman ps -aq --filter name=hkbench | xargs -r podman rm -f >/dev/null 2>&1
    podman network ls -q --filter name=hkbench | xargs -r podman network rm -f >/dev/null 2>&1
    podman rmi -f hkbench-rebuild hkbench-cold "$PULL_REF" "$IMG" >/dev/null 2>&1
  fi
  awk -v r="$W" 'index($2, r) == 1 {print $2}' /proc/self/mounts | sort -r | xargs -r umount -l
  rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ======================================================================
log "results in $OUT; hako $HAKO; $RUNS runs per figure"
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "machine: $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r), $(nproc) CPUs ($(lscpu | awk -F': *' '/Model name/ {print $2}')), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
  echo "hako: $HAKO, built $(date -u -r "$HAKO" +%H:%M:%SZ); source tree at $(git -C "$SRC" log -1 --format='%h %ci' 2>/dev/null)"
  echo "virtualisation: $(systemd-detect-virt 2>/dev/null || echo unknown)"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT/machine.txt" >&2

bash "$SRC/scripts/make-test-image.sh" "$W/image.tar" >/dev/null || exit 1
"$HAKO" --root "$R" image import "$W/image.tar" "$IMG" >/dev/null || exit 1
mkdir -p "$W/p500" "$W/ctx"
# docker-compose 1.29 predates the top-level name: key, so every tool gets -p instead
python3 "$HERE/gen_compose.py" 500 | sed '/^name: /d' >"$W/p500/compose.yaml"
make_build_context "$W/ctx"
make_cold_context "$W/cold"
REGISTRY_OK=0
want images && start_registry && REGISTRY_OK=1
independent 10 10.214.1.0/24 "$W/hako-10.yaml"; independent 30 10.214.2.0/24 "$W/hako-30.yaml"; chain 10.214.3.0/24 "$W/hako-chain.yaml"
independent 10 10.214.11.0/24 "$W/docker-10.yaml"; independent 30 10.214.12.0/24 "$W/docker-30.yaml"; chain 10.214.13.0/24 "$W/docker-chain.yaml"
independent 10 10.214.21.0/24 "$W/podman-10.yaml"; independent 30 10.214.22.0/24 "$W/podman-30.yaml"; chain 10.214.23.0/24 "$W/podman-chain.yaml"
DNS_LOAD=""
want core && { DNS_LOAD=$(dns_load_binary) || DNS_LOAD=""; }

# ---------------------------------------------------------------- hako
log "== hako"
h() { "$HAKO" --root "$R" "$@"; }
if want images; then
  HF_RUNS=5 hf "cold build, 5 RUN steps (--no-cache)" hako 1 "$HAKO" --root "$R" image build -q --no-cache --network none -t hkbench-cold "$W/cold"
  # a fresh state root for every pull: nothing of the image is there
  [[ $REGISTRY_OK == 1 ]] && HF_RUNS=5 HF_PREPARE="rm -rf $W/pullroot" hf "pull of a 100 MB image (4 layers) from a loopback registry" hako 0 \
    "$HAKO" --root "$W/pullroot" image pull -q "$PULL_REF"
  rm -rf "$W/pullroot"
fi
if want core; then
hf "start-up (version)" hako 3 "$HAKO" version
hf "config -q, 500 services" hako 3 "$HAKO" -p bench -f "$W/p500/compose.yaml" config -q
peak_rss "config -q peak RSS" hako "$HAKO" -p bench -f "$W/p500/compose.yaml" config -q
hf "run --rm --network none true" hako 2 "$HAKO" --root "$R" container run --rm --network none "$IMG" true
hf "cached rebuild, 10 steps" hako 1 "$HAKO" --root "$R" image build -q --network none -t hkbench-rebuild "$W/ctx"
updown "10 services" hako "$W/hako-10.yaml" "$HAKO" --root "$R" --progress quiet -- "$HAKO" --root "$R" --progress quiet
updown "30 services" hako "$W/hako-30.yaml" "$HAKO" --root "$R" --progress quiet -- "$HAKO" --root "$R" --progress quiet
updown "5-service healthy chain" hako "$W/hako-chain.yaml" "$HAKO" --root "$R" --progress quiet -- "$HAKO" --root "$R" --progress quiet
id=$(h container run -d --network none --name hkbench-rss "$IMG" sleep 600)
pid=$(h container inspect "$id" | python3 -c 'import json,sys; d=json.load(sys.stdin); d=d[0] if isinstance(d,list) else d; print(d["State"]["Pid"])')
sleep 0.5
rss_of "monitor RSS (per container)" hako "$(ppid_of "$pid")"
h container rm -f "$id" >/dev/null
if [[ -n $DNS_LOAD ]]; then
  echo "nameserver 127.0.214.60" >"$W/resolv.conf"
  "$DNS_LOAD" serve 127.0.214.60 >/dev/null 2>&1 &
  DNS_UPSTREAM_PID=$!
  export HAKO_RESOLV_CONF=$W/resolv.conf
  h network create --subnet 10.214.30.0/24 hkbench-dns >/dev/null &&
    h container run -d --network hkbench-dns --name hkbench-web --network-alias web "$IMG" sleep 600 >/dev/null &&
    cid=$(h container run -d --network hkbench-dns --name hkbench-client "$IMG" sleep 600) &&
    pid=$(h container inspect "$cid" | python3 -c 'import json,sys; d=json.load(sys.stdin); d=d[0] if isinstance(d,list) else d; print(d["State"]["Pid"])') &&
    dns_measure hako "$pid"
  h container rm -f hkbench-web hkbench-client >/dev/null 2>&1
  h network rm hkbench-dns >/dev/null 2>&1
  unset HAKO_RESOLV_CONF
fi
if [[ -x $HERE/net_attach.sh ]]; then
  HAKO=$HAKO bash "$HERE/net_attach.sh" 10 >"$W/attach.log" 2>&1
  us=$(awk '$1 == "total" {print $2}' "$W/attach.log")
  [[ -n $us ]] && record "network attach (net_attach.sh, median of 10)" hako "$(awk -v u="$us" 'BEGIN {printf "%.1f", u/1000}')" ms
  [[ -n $us ]] || tail -3 "$W/attach.log" >&2
fi
fi  # want core

# ---------------------------------------------------------------- podman
if [[ $PEERS == 1 ]] && command -v podman >/dev/null; then
  log "== podman $(podman version --format '{{.Client.Version}}' 2>/dev/null)"
  record_host_state
  podman import -q "$W/image.tar" "$IMG" >/dev/null
  if want images; then
    HF_RUNS=5 hf "cold build, 5 RUN steps (--no-cache)" podman 1 podman build -q --no-cache --network none -t hkbench-cold "$W/cold"
    [[ $REGISTRY_OK == 1 ]] && HF_RUNS=5 HF_PREPARE="bash -c 'podman rmi -f $PULL_REF >/dev/null 2>&1; true'" hf "pull of a 100 MB image (4 layers) from a loopback registry" podman 0 \
      podman pull -q --tls-verify=false "$PULL_REF"
    podman rmi -f hkbench-cold "$PULL_REF" >/dev/null 2>&1
  fi
  if want core; then
  hf "run --rm --network none true" podman 2 podman run --rm --network none "$IMG" true
  hf "cached rebuild, 10 steps" podman 1 podman build -q --network none -t hkbench-rebuild "$W/ctx"
  if command -v podman-compose >/dev/null; then
    # podman-compose 1.0.3 has no config verb
    # one run each: podman-compose takes about a minute per 10 services here (up and down)
    UD_RUNS=1 updown "10 services" podman-compose "$W/podman-10.yaml" podman-compose -- podman-compose
    UD_RUNS=1 updown "30 services" podman-compose "$W/podman-30.yaml" podman-compose -- podman-compose
  fi
  cid=$(podman run -d --network none --name hkbench-rss "$IMG" sleep 600)
  sleep 0.5
  rss_of "monitor RSS (per container)" "podman (conmon)" "$(ppid_of "$(podman inspect -f '{{.State.Pid}}' "$cid")")"
  podman rm -f hkbench-rss >/dev/null 2>&1
  fi  # want core
  podman rmi -f hkbench-rebuild "$IMG" >/dev/null 2>&1
  restore_host_state
fi

# ---------------------------------------------------------------- docker
if want core && [[ $PEERS == 1 ]] && command -v docker-compose >/dev/null; then   # no daemon needed
  log "== docker-compose $(docker-compose version --short 2>/dev/null)"
  HF_RUNS=3 hf "config -q, 500 services" docker-compose 1 docker-compose -p bench -f "$W/p500/compose.yaml" config -q
  peak_rss "config -q peak RSS" docker-compose docker-compose -p bench -f "$W/p500/compose.yaml" config -q
fi
if [[ $PEERS == 1 ]] && [[ -x $DOCKER_BIN ]] && command -v dockerd >/dev/null && start_dockerd; then
  log "== docker $("$DOCKER_BIN" version --format '{{.Server.Version}}' 2>/dev/null)"
  export DOCKER_BUILDKIT=0   # the classic builder, as the issue's figures
  "$DOCKER_BIN" import "$W/image.tar" "$IMG" >/dev/null
  if want images; then
    HF_RUNS=5 hf "cold build, 5 RUN steps (--no-cache)" docker 1 "$DOCKER_BIN" build -q --no-cache --network none -t hkbench-cold "$W/cold"
    # docker treats 127.0.0.0/8 registries as insecure (plain HTTP) by default
    [[ $REGISTRY_OK == 1 ]] && HF_RUNS=5 HF_PREPARE="bash -c '$DOCKER_BIN rmi -f $PULL_REF >/dev/null 2>&1; true'" hf "pull of a 100 MB image (4 layers) from a loopback registry" docker 0 \
      "$DOCKER_BIN" pull -q "$PULL_REF"
  fi
  if want core; then
  # DNS first, before docker-compose's runs raise the load (hako's is measured at its start too)
  if [[ -n $DNS_LOAD ]]; then
    "$DOCKER_BIN" network create --subnet 10.214.31.0/24 hkbench-dns >/dev/null
    [[ -n $DNS_UPSTREAM_PID ]] && kill "$DNS_UPSTREAM_PID" 2>/dev/null && wait "$DNS_UPSTREAM_PID" 2>/dev/null
    "$DNS_LOAD" serve 10.214.31.1 >/dev/null 2>&1 &
    DNS_UPSTREAM_PID=$!
    "$DOCKER_BIN" run -d --network hkbench-dns --name hkbench-web --network-alias web "$IMG" sleep 600 >/dev/null &&
      cid=$("$DOCKER_BIN" run -d --network hkbench-dns --dns 10.214.31.1 --name hkbench-client "$IMG" sleep 600) &&
      dns_measure docker "$("$DOCKER_BIN" inspect -f '{{.State.Pid}}' "$cid")"
    "$DOCKER_BIN" rm -f hkbench-web hkbench-client >/dev/null 2>&1
  fi
  hf "run --rm --network none true" docker 2 "$DOCKER_BIN" run --rm --network none "$IMG" true
  hf "cached rebuild, 10 steps" docker 1 "$DOCKER_BIN" build -q --network none -t hkbench-rebuild "$W/ctx"
  if command -v docker-compose >/dev/null; then
    updown "10 services" docker-compose "$W/docker-10.yaml" docker-compose -- docker-compose
    updown "30 services" docker-compose "$W/docker-30.yaml" docker-compose -- docker-compose
    updown "5-service healthy chain" docker-compose "$W/docker-chain.yaml" docker-compose -- docker-compose
  fi
  if "$DOCKER_BIN" compose version >/dev/null 2>&1; then
    updown "10 services" "docker compose" "$W/docker-10.yaml" "$DOCKER_BIN" compose -- "$DOCKER_BIN" compose
    updown "30 services" "docker compose" "$W/docker-30.yaml" "$DOCKER_BIN" compose -- "$DOCKER_BIN" compose
  fi
  cid=$("$DOCKER_BIN" run -d --network none --name hkbench-rss "$IMG" sleep 600)
  sleep 0.5
  rss_of "monitor RSS (per container)" "docker (shim)" "$(ppid_of "$("$DOCKER_BIN" inspect -f '{{.State.Pid}}' "$cid")")"
  rss_of "daemon RSS (dockerd)" docker "$DOCKERD_PID"
  "$DOCKER_BIN" rm -f hkbench-rss >/dev/null 2>&1
  fi  # want core
  stop_dockerd
fi

# ---------------------------------------------------------------- the table
python3 - "$RESULTS" <<'PY' | tee "$OUT/table.md"
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
ops, tools, val, unit, load = [], [], {}, {}, {}
for op, tool, v, u, ld in rows:
    if op not in ops: ops.append(op)
    if tool not in tools: tools.append(tool)
    val[op, tool], unit[op], load[op, tool] = v, u or unit.get(op, ""), ld
def num(s):
    try: return float(s.split()[0])
    except (ValueError, IndexError): return None
def peer(op, fam):
    for t in tools:
        if t.split()[0].startswith(fam) and (op, t) in val: return t
print("| operation | unit | hako | docker | podman | docker/hako | podman/hako |")
print("|---|---|---|---|---|---|---|")
for op in ops:
    h = val.get((op, "hako"), "—")
    cells, ratios = [], []
    for fam in ("docker", "podman"):
        t = peer(op, fam)
        if t is None:
            cells.append("—"); ratios.append("—"); continue
        v = val[op, t]
        cells.append(f"{v} ({t}, load {load[op, t]})" if t != fam else f"{v} (load {load[op, t]})")
        a, b = num(h), num(v)
        if a and b:
            r = a / b if unit[op] == "q/s" else b / a
            ratios.append(f"{r:.1f}×")
        else:
            ratios.append("—")
    hl = f"{h} (load {load[op, 'hako']})" if (op, "hako") in load else h
    print(f"| {op} | {unit[op]} | {hl} | {cells[0]} | {cells[1]} | {ratios[0]} | {ratios[1]} |")
print()
print("ratio = peer time / hako time (for q/s: hako / peer); above 1 means hako is faster or smaller.")
PY
log "done: $OUT/table.md, $OUT/results.tsv, $OUT/json/"
